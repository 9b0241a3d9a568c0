# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud drives the real test guest (TCG) through its life: boot and
DHCP, suspend/resume, reboot, reset, ACPI shutdown, destroy, start paused,
define/redefine/undefine, transient domains and autodestroy. Each step is
checked by GetState (libvirt's numbers) and by the exact DomainEvent(oii)
sequence a signal listener sees.

One qemud and one persistent guest ("vm1", console ticking every second) are
shared by the module; each test first brings the guest to the state it needs."""

import time

import pytest

import virtbus_harness as h
from test_qemud_common import (_env_logs, module_env, dbus_error, pid_alive, Client,  # noqa: F401
                               E, S, READY, POWEROFF, ROOT_PATH)

pytestmark = pytest.mark.timeout(150)

env = module_env()


@pytest.fixture(scope="module")
def vm(env):
    return env.define("vm1", tick=True)


def test_define_redefine_undefine_events(env):
    m = env.mark()
    g = env.define("defs", uuid="6695eb01-f6a4-8304-79aa-97f2502e193f")
    assert g.path == h.domain_path(ROOT_PATH, "6695eb01-f6a4-8304-79aa-97f2502e193f")
    env.expect_events(g.path, m, [(E.DEFINED, E.DEFINED_ADDED)])
    assert g.state() == (S.SHUTOFF, 0)
    assert g.prop("Persistent") is True and g.prop("Active") is False
    assert g.path in env.list_domains()

    m = env.mark()
    xml = env.guest_xml("defs", uuid="6695eb01-f6a4-8304-79aa-97f2502e193f", memory_mib=200)
    assert env.call("DomainDefineXML", xml) == g.path
    env.expect_events(g.path, m, [(E.DEFINED, E.DEFINED_UPDATED)])
    assert "<memory unit='KiB'>204800</memory>" in g.call("GetXMLDesc", 2)

    m = env.mark()
    g.call("Undefine", 0)
    env.expect_events(g.path, m, [(E.UNDEFINED, 0)])
    assert g.path not in env.list_domains()
    assert not (env.conf_dir / "defs.xml").exists()
    with dbus_error("NoDomain", "defs"):
        env.call("DomainLookupByName", "defs")


def test_boot_to_ready_and_dhcp(env, vm):
    vm.ensure_shutoff()
    m = env.mark()
    vm.start()
    env.expect_events(vm.path, m, [(E.STARTED, E.STARTED_BOOTED)])
    assert vm.state() == (S.RUNNING, 1)            # running, booted
    assert vm.prop("Active") is True and vm.prop("Id") > 0
    assert pid_alive(vm.pid()), "no live QEMU pid in the live state file"
    vm.wait_ready()
    ip = h.wait_for_serial(vm.serial, h.GUEST_IP_RE, 60).group(1).decode()
    assert ip == "10.0.2.15"
    assert b"VIRTBUS-GUEST-MODULE-FAILED" not in vm.serial_text()


def test_suspend_and_resume(env, vm):
    vm.ensure_running()
    t = vm.wait_tick_after(vm.last_tick())
    pid = vm.pid()

    m = env.mark()
    vm.call("Suspend")
    env.expect_events(vm.path, m, [(E.SUSPENDED, E.SUSPENDED_PAUSED)])
    assert vm.state() == (S.PAUSED, 1)             # paused by the user
    assert vm.prop("Active") is True
    paused_at = vm.last_tick()
    time.sleep(2.5)
    assert vm.last_tick() == paused_at, "the guest kept ticking while paused"
    assert paused_at >= t

    m = env.mark()
    vm.call("Resume")
    env.expect_events(vm.path, m, [(E.RESUMED, E.RESUMED_UNPAUSED)])
    assert vm.state() == (S.RUNNING, 5)            # running, unpaused
    vm.wait_tick_after(paused_at)
    assert vm.pid() == pid


def test_reboot_turns_the_guests_poweroff_into_a_reset(env, vm):
    """The test guest powers off on the ACPI button: Reboot resets it instead."""
    vm.ensure_running()
    pid = vm.pid()
    readies = vm.count(READY)
    m = env.mark()
    vm.press_power_button("Reboot")
    env.expect_events(vm.path, m, [(E.SHUTDOWN, E.SHUTDOWN_GUEST),
                                   (E.RESUMED, E.RESUMED_UNPAUSED)], timeout=60)
    assert vm.count(POWEROFF) >= 1, "the guest did not power off on the ACPI button"
    vm.wait_ready(readies + 1)                     # booted again, same console
    assert vm.state() == (S.RUNNING, 1)            # running, booted
    assert vm.pid() == pid and pid_alive(pid), "Reboot must not start a new QEMU"


def test_reset_signals_reboot_and_boots_again(env, vm):
    vm.ensure_running()
    pid = vm.pid()
    readies = vm.count(READY)
    m = env.mark()
    vm.call("Reset", 0)
    env.mon.wait_signal("Reboot", "org.libvirt.Domain", vm.path, since=m, timeout=20)
    vm.wait_ready(readies + 1)
    assert vm.state()[0] == S.RUNNING
    assert env.events(vm.path, m) == [], "Reset is no lifecycle change"
    assert vm.pid() == pid


def test_shutdown_is_the_guests_own_poweroff(env, vm):
    vm.ensure_running()
    pid = vm.pid()
    poweroffs = vm.count(POWEROFF)
    m = env.mark()
    vm.press_power_button("Shutdown")
    env.expect_events(vm.path, m, [(E.SHUTDOWN, E.SHUTDOWN_GUEST),
                                   (E.STOPPED, E.STOPPED_SHUTDOWN)], timeout=60)
    assert vm.count(POWEROFF) == poweroffs + 1, "no POWEROFF marker: not the guest's own shutdown"
    assert vm.state() == (S.SHUTOFF, 1)            # shut off, shutdown
    assert vm.prop("Active") is False and vm.prop("Id") == 0
    h.wait_until(lambda: not pid_alive(pid), 10, what=f"QEMU pid {pid} to exit")
    assert not env.status_file("vm1").exists()
    assert vm.path in env.list_domains(), "a persistent domain stays defined"


def test_create_paused_then_resume(env, vm):
    vm.ensure_shutoff()
    m = env.mark()
    vm.start(1)                                    # VIR_DOMAIN_START_PAUSED
    env.expect_events(vm.path, m, [(E.STARTED, E.STARTED_BOOTED),
                                   (E.SUSPENDED, E.SUSPENDED_PAUSED)])
    assert vm.state() == (S.PAUSED, 1)
    time.sleep(1.5)
    assert vm.count(READY) == 0, "a guest started paused must not run"
    m = env.mark()
    vm.call("Resume")
    env.expect_events(vm.path, m, [(E.RESUMED, E.RESUMED_UNPAUSED)])
    assert vm.state() == (S.RUNNING, 5)
    vm.wait_ready()


def test_destroy(env, vm):
    vm.ensure_running()
    pid = vm.pid()
    poweroffs = vm.count(POWEROFF)
    m = env.mark()
    vm.call("Destroy", 0)                          # answered once QEMU is gone
    assert not pid_alive(pid)
    env.expect_events(vm.path, m, [(E.STOPPED, E.STOPPED_DESTROYED)])
    assert vm.state() == (S.SHUTOFF, 2)            # shut off, destroyed
    assert vm.count(POWEROFF) == poweroffs, "Destroy must not go through the guest"
    assert not env.status_file("vm1").exists()


def test_transient_domain(env):
    m = env.mark()
    t = env.create_transient("tr1")
    env.expect_events(t.path, m, [(E.STARTED, E.STARTED_BOOTED)])
    assert t.path in env.list_domains()
    assert t.path in env.list_domains(8)           # LIST_TRANSIENT
    assert t.path not in env.list_domains(4)       # LIST_PERSISTENT
    assert env.call("DomainLookupByName", "tr1") == t.path
    assert t.prop("Persistent") is False and t.prop("Active") is True
    assert t.state() == (S.RUNNING, 1)
    t.wait_ready()
    with dbus_error("OperationInvalid", "tr1"):
        t.call("Undefine", 0)

    m = env.mark()
    t.call("Destroy", 0)
    env.expect_events(t.path, m, [(E.STOPPED, E.STOPPED_DESTROYED)])
    assert t.path not in env.list_domains()
    with dbus_error("NoDomain", "tr1"):
        env.call("DomainLookupByName", "tr1")
    assert not env.status_file("tr1").exists()


def test_transient_domain_gone_after_guest_poweroff(env):
    t = env.create_transient("tr2")
    t.wait_ready()
    m = env.mark()
    t.press_power_button("Shutdown")
    env.expect_events(t.path, m, [(E.SHUTDOWN, E.SHUTDOWN_GUEST),
                                  (E.STOPPED, E.STOPPED_SHUTDOWN)], timeout=60)
    assert t.path not in env.list_domains()


def test_autodestroy_when_the_starting_client_goes(env, vm):
    vm.ensure_shutoff()
    m = env.mark()
    c = Client(env, "create", vm.path, 2)          # VIR_DOMAIN_START_AUTODESTROY
    try:
        env.expect_events(vm.path, m, [(E.STARTED, E.STARTED_BOOTED)])
        time.sleep(1)
        assert vm.state() == (S.RUNNING, 1), "destroyed while its client is still there"
    finally:
        c.close()
    env.expect_events(vm.path, m, [(E.STARTED, E.STARTED_BOOTED),
                                   (E.STOPPED, E.STOPPED_DESTROYED)], timeout=20)
    assert vm.state() == (S.SHUTOFF, 2)
    assert vm.path in env.list_domains(), "the persistent definition stays"


def test_autodestroy_transient_disappears(env):
    m = env.mark()
    c = Client(env, "createxml", None, 2, xml=env.guest_xml("tr3"))
    try:
        path = c.result
        assert path == env.call("DomainLookupByName", "tr3")
        assert path in env.list_domains()
    finally:
        c.close()
    env.expect_events(path, m, [(E.STARTED, E.STARTED_BOOTED),
                                (E.STOPPED, E.STOPPED_DESTROYED)], timeout=20)
    assert path not in env.list_domains()
    with dbus_error("NoDomain", "tr3"):
        env.call("DomainLookupByName", "tr3")
