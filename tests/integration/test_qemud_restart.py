# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud killed (SIGKILL) or stopped and started again loses nothing:
running guests keep running under the same QEMU and are controllable again,
a guest whose QEMU died meanwhile is reported crashed, one that powered off
meanwhile is reported shut off, definitions and autostart links survive and
autostart domains start by themselves."""

import os
import re
import signal
import time

import pytest

import virtbus_harness as h
from test_qemud_common import (_env_logs, module_env, pid_alive, Client,  # noqa: F401
                               E, S, POWEROFF)

pytestmark = pytest.mark.timeout(150)

env = module_env()


@pytest.fixture(autouse=True)
def qemud_up(env):
    """A test that failed while qemud was down must not leave the next one
    without it (nor to a D-Bus activated stand-in of unknown state)."""
    if not env.qemud.alive():
        owner = env.bus.name_has_owner("org.virtbus.qemud")
        assert not owner, ("org.virtbus.qemud is owned by a D-Bus activated qemud: an earlier "
                           "test called the daemon while it was down")
        env.qemud.start()
    yield


def proc_starttime(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def observe(env, g):
    """What a client sees of a domain."""
    return {
        "list": env.list_domains(),
        "state": g.state(),
        "xml": g.call("GetXMLDesc", 0),
        "xml_inactive": g.call("GetXMLDesc", 2),
        "props": env.bus.get_all_properties("org.virtbus.qemud", g.path, "org.libvirt.Domain"),
        "by_name": env.call("DomainLookupByName", g.name),
        "by_id": env.call("DomainLookupByID", g.prop("Id")) if g.prop("Id") else None,
    }


def restart_qemud(env, sig=signal.SIGKILL):
    first = env.qemud.pid
    rc = env.qemud.kill(sig)
    ok = (-sig,) if sig == signal.SIGKILL else (0, -sig)
    assert rc in ok, f"virtbus-qemud exited with {rc} on signal {sig!r}"
    env.qemud.start()
    assert env.qemud.pid != first


def test_sigkill_restart_keeps_the_running_guest(env):
    g = env.define("keep", tick=True, start=True)
    g.wait_ready()
    t = g.wait_tick_after(0)
    pid = g.pid()
    assert pid_alive(pid)
    start = proc_starttime(pid)
    before = observe(env, g)
    assert before["state"] == (S.RUNNING, 1) and before["props"]["Id"] > 0

    assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
    assert pid_alive(pid), "QEMU died with virtbus-qemud"
    t = g.wait_tick_after(t)                       # the guest runs on, unattended
    m = env.mark()
    env.qemud.start()

    assert g.pid() == pid and pid_alive(pid) and proc_starttime(pid) == start
    after = observe(env, g)
    for k in before:
        assert after[k] == before[k], f"{k} changed across the restart:\n{before[k]}\n{after[k]}"
    g.wait_tick_after(t)
    assert env.events(g.path, m) == [], "reconnecting is no lifecycle change"

    # Fully controllable again: through the monitor it reconnected to.
    m = env.mark()
    g.call("Suspend")
    env.expect_events(g.path, m, [(E.SUSPENDED, E.SUSPENDED_PAUSED)])
    assert g.state() == (S.PAUSED, 1)
    paused_at = g.last_tick()
    time.sleep(2)
    assert g.last_tick() == paused_at, "Suspend after the restart did not pause the guest"

    m = env.mark()
    g.call("Resume")
    env.expect_events(g.path, m, [(E.RESUMED, E.RESUMED_UNPAUSED)])
    assert g.state() == (S.RUNNING, 5)
    g.wait_tick_after(paused_at)

    # A clean stop (SIGTERM) of the daemon leaves the guest running too.
    assert env.qemud.stop() in (0, -signal.SIGTERM)
    assert pid_alive(pid), "QEMU died when virtbus-qemud was stopped with SIGTERM"
    env.qemud.start()
    assert g.pid() == pid and g.state() == (S.RUNNING, 5)

    m = env.mark()
    g.press_power_button("Shutdown")
    env.expect_events(g.path, m, [(E.SHUTDOWN, E.SHUTDOWN_GUEST),
                                  (E.STOPPED, E.STOPPED_SHUTDOWN)], timeout=60)
    assert g.count(POWEROFF) == 1
    assert g.state() == (S.SHUTOFF, 1)
    h.wait_until(lambda: not pid_alive(pid), 10, what="QEMU to exit")


def test_new_ids_do_not_clash_after_a_restart(env):
    g = env.define("idkeep", start=True)
    gid = g.prop("Id")
    restart_qemud(env)
    assert g.prop("Id") == gid
    t = env.create_transient("idnew", nic=None)
    try:
        assert t.prop("Id") not in (0, gid)
        assert env.call("DomainLookupByID", gid) == g.path
        assert env.call("DomainLookupByID", t.prop("Id")) == t.path
    finally:
        t.call("Destroy", 0)
        g.call("Destroy", 0)


def test_qemu_killed_while_qemud_is_down_is_reported_crashed(env):
    g = env.define("crashy", start=True)
    pid = g.pid()
    assert pid_alive(pid)
    text = env.status_file("crashy").read_text()
    assert f"pid='{pid}'" in text

    env.qemud.kill(signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    h.wait_until(lambda: not pid_alive(pid), 10, what=f"QEMU {pid} to die")
    env.qemud.start()

    assert g.state() == (S.SHUTOFF, 3)             # shut off, crashed
    assert g.prop("Active") is False and g.prop("Id") == 0
    assert not env.status_file("crashy").exists()
    assert g.path in env.list_domains(), "the definition stays"
    # ...and it starts again normally.
    g.start()
    assert g.state() == (S.RUNNING, 1)
    g.call("Destroy", 0)
    assert g.state() == (S.SHUTOFF, 2)


def test_guest_powered_off_while_qemud_is_down_is_reported_shutoff(env):
    """While qemud is away, its monitor socket is free: the test presses the
    ACPI power button itself (QMP system_powerdown); the guest powers off on
    its own. QEMU (-no-shutdown) waits; qemud, started again, finds it so."""
    g = env.define("offdown", start=True)
    g.wait_ready()
    pid = g.pid()
    monitor = re.search(r"<monitor path='([^']+)'", env.status_file("offdown").read_text()).group(1)

    env.qemud.kill(signal.SIGKILL)
    qmp = h.Qmp(monitor, timeout=20)
    try:
        for _ in range(3):      # see Guest.press_power_button
            qmp.cmd("system_powerdown")
            try:
                ev = qmp.wait_event("SHUTDOWN", timeout=10)
                break
            except TimeoutError:
                pass
        else:
            raise AssertionError("the guest never reacted to system_powerdown:\n"
                                 + h.tail(g.serial, 15))
        assert ev["data"]["guest"] is True
        assert qmp.cmd("query-status")["status"] == "shutdown"
    finally:
        qmp.close()
    assert pid_alive(pid), "QEMU must wait (-no-shutdown) after the guest's power-off"
    assert g.count(POWEROFF) == 1

    m = env.mark()
    env.qemud.start()
    env.wait_event(g.path, E.STOPPED, E.STOPPED_SHUTDOWN, since=m, timeout=30)
    assert g.state() == (S.SHUTOFF, 1)             # shut off, shutdown
    h.wait_until(lambda: not pid_alive(pid), 10, what="QEMU to be told to quit")
    assert not env.status_file("offdown").exists()


def test_definitions_survive_restart(env):
    env.define("def-a")
    b = env.define("def-b", memory_mib=128, vcpus=2, nic=None)
    c = env.define("def-c", machine="pc")
    env.set_autostart(c.path, True)

    def seen():
        return {p: (env.dcall(p, "GetXMLDesc", 2),
                    env.bus.get_all_properties("org.virtbus.qemud", p, "org.libvirt.Domain"))
                for p in env.list_domains()}
    before = seen()
    assert b.path in before and c.path in before

    for sig in (signal.SIGKILL, signal.SIGTERM):
        m = env.mark()
        restart_qemud(env, sig)
        env.wait_event(c.path, E.STARTED, E.STARTED_BOOTED, since=m, timeout=30)
        assert c.state() == (S.RUNNING, 1), "the autostart domain did not start"
        c.call("Destroy", 0)
        after = seen()
        assert sorted(after) == sorted(before), f"ListDomains changed after {sig!r}"
        for p in before:
            assert after[p][0] == before[p][0], f"inactive XML of {p} changed after {sig!r}"
            for k in ("Name", "UUID", "Persistent", "Autostart", "Active"):
                assert after[p][1][k] == before[p][1][k], f"{k} of {p} changed after {sig!r}"
    env.set_autostart(c.path, False)


def test_autostart(env):
    g = env.define("auto", tick=True)
    m = env.mark()
    env.set_autostart(g.path, True)
    assert g.prop("Autostart") is True
    link = env.conf_dir / "autostart" / "auto.xml"
    assert link.is_symlink() and link.resolve() == (env.conf_dir / "auto.xml").resolve()
    assert g.path in env.list_domains(1 << 10)     # LIST_AUTOSTART
    assert g.state() == (S.SHUTOFF, 0), "setting Autostart must not start it"

    restart_qemud(env)
    env.wait_event(g.path, E.STARTED, E.STARTED_BOOTED, since=m, timeout=30)
    assert g.state() == (S.RUNNING, 1)
    g.wait_ready()
    g.call("Destroy", 0)

    env.set_autostart(g.path, False)
    assert not link.exists() and not link.is_symlink()
    restart_qemud(env)
    assert g.state()[0] == S.SHUTOFF
    assert g.prop("Autostart") is False


def test_autodestroy_client_gone_while_qemud_is_down(env):
    g = env.define("ad-down")
    c = Client(env, "create", g.path, 2)
    pid = g.pid()
    assert g.state() == (S.RUNNING, 1)
    env.qemud.kill(signal.SIGKILL)
    c.close()
    m = env.mark()
    env.qemud.start()
    env.wait_event(g.path, E.STOPPED, E.STOPPED_DESTROYED, since=m, timeout=30)
    assert g.state() == (S.SHUTOFF, 2)
    h.wait_until(lambda: not pid_alive(pid), 10, what="QEMU to be destroyed")


def test_redefined_running_domain_survives_restart(env):
    g = env.define("redef", start=True, nic=None)
    xml_live = g.call("GetXMLDesc", 0)
    env.call("DomainDefineXML", env.guest_xml("redef", uuid=g.prop("UUID"), nic=None,
                                              memory_mib=300))
    assert g.prop("Updated") is True
    new_inactive = g.call("GetXMLDesc", 2)
    assert "<memory unit='KiB'>307200</memory>" in new_inactive
    restart_qemud(env)
    assert g.state() == (S.RUNNING, 1)
    assert g.call("GetXMLDesc", 0) == xml_live, "the live XML changed across the restart"
    assert g.call("GetXMLDesc", 2) == new_inactive, "the new definition was lost in the restart"
    g.call("Destroy", 0)
    assert g.call("GetXMLDesc", 0) == new_inactive
