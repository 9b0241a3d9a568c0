# SPDX-License-Identifier: LGPL-2.1-or-later
"""The integration harness itself, and the D-Bus policy in units/: a stand-in
service owns org.virtbus.qemud on the private system bus; root may call
everything, another user only the methods that read."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import dbus
import pytest

import virtbus_harness as h

pytestmark = pytest.mark.timeout(120)
needs_gi = pytest.mark.skipif(not h.have_gi(), reason="python3-gi is not installed")

QEMUD = "org.virtbus.qemud"
ROOT = "/org/virtbus/qemud"
DOM = ROOT + "/domain/_0"


@pytest.fixture
def fake_qemud(bus, vroot):
    p = h.spawn(h.fake_service_argv(vroot, QEMUD, ROOT), env=bus.env,
                stdout=open(vroot / "test-logs" / "fake.log", "wb"),
                stderr=subprocess.STDOUT)
    h.wait_until(lambda: p.poll() is not None or bus.name_has_owner(QEMUD), 20,
                 what="the fake service")
    assert p.poll() is None, (vroot / "test-logs" / "fake.log").read_text()
    yield p
    p.kill()
    p.wait()


def test_units_policy_is_installed_in_the_test_bus(bus):
    conf = (h.REPO / "units" / "org.virtbus.qemud.conf").read_text()
    assert 'own="org.virtbus.qemud"' in conf
    # The bus started with every units/*.conf included: they are well-formed.
    assert bus.name_has_owner("org.freedesktop.DBus")


@needs_gi
def test_root_may_call_everything(bus, fake_qemud):
    assert bus.call(QEMUD, ROOT, "org.libvirt.Connect", "ListDomains", 0) == [DOM]
    assert bus.call(QEMUD, ROOT, "org.libvirt.Connect", "DomainDefineXML", "<domain/>", 0) == DOM
    bus.call(QEMUD, DOM, "org.libvirt.Domain", "Create", 0)
    bus.call(QEMUD, DOM, "org.freedesktop.DBus.Properties", "Set", "org.libvirt.Domain",
             "Autostart", dbus.Boolean(True, variant_level=1))
    assert bus.call(QEMUD, ROOT, "org.virtbus.Test", "Calls") == [
        "DomainDefineXML", "Create", "Set"]
    r = bus.busctl("call", QEMUD, ROOT, "org.libvirt.Connect", "DomainDefineXML", "su",
                   "<domain/>", "0")
    assert r.returncode == 0, r.stderr


@needs_gi
@pytest.mark.parametrize("path,iface,method,sig,args", [
    (ROOT, "org.libvirt.Connect", "ListDomains", "u", [0]),
    (ROOT, "org.libvirt.Connect", "GetCapabilities", "u", [0]),
    (ROOT, "org.freedesktop.DBus.Introspectable", "Introspect", "", []),
    (ROOT, "org.freedesktop.DBus.Peer", "Ping", "", []),
    (ROOT, "org.freedesktop.DBus.Properties", "GetAll", "s", ["org.libvirt.Connect"]),
    (DOM, "org.freedesktop.DBus.Properties", "Get", "ss", ["org.libvirt.Domain", "Name"]),
    (DOM, "org.libvirt.Domain", "GetState", "u", [0]),
])
def test_other_users_may_read(bus, fake_qemud, path, iface, method, sig, args):
    r = bus.call_as("nobody", QEMUD, path, iface, method, sig, *args)
    assert r.returncode == 0, r.stderr


@needs_gi
@pytest.mark.parametrize("path,iface,method,sig,args", [
    (ROOT, "org.libvirt.Connect", "DomainDefineXML", "su", ["<domain/>", 0]),
    (DOM, "org.libvirt.Domain", "Create", "u", [0]),
    (DOM, "org.freedesktop.DBus.Properties", "Set", "ssv",
     ["org.libvirt.Domain", "Autostart", "b", "true"]),
    (ROOT, "org.virtbus.Test", "Calls", "", []),
])
def test_other_users_may_not_write(bus, fake_qemud, path, iface, method, sig, args):
    r = bus.call_as("nobody", QEMUD, path, iface, method, sig, *args)
    assert r.returncode != 0 and r.denied, (r.returncode, r.stderr)
    assert bus.call(QEMUD, ROOT, "org.virtbus.Test", "Calls") == []


def test_other_users_may_not_own_the_name(bus):
    r = bus.busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                   "org.freedesktop.DBus", "RequestName", "su", QEMUD, "0", user="nobody")
    assert r.returncode != 0 and "denied" in r.stderr.lower(), r.stderr
    r = bus.busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                   "org.freedesktop.DBus", "RequestName", "su", QEMUD, "0")
    assert r.returncode == 0 and r.stdout.strip() == "u 1", r.stderr


@needs_gi
def test_monitor_records_domain_events(bus, bus_monitor, fake_qemud):
    m = bus_monitor.mark()
    bus.call(QEMUD, ROOT, "org.virtbus.Test", "Emit", DOM, h.DomainEvent.STARTED,
             h.DomainEvent.STARTED_BOOTED)
    got = bus_monitor.wait_domain_event(DOM, h.DomainEvent.STARTED, since=m, timeout=10)
    assert got == (DOM, 2, 0)
    assert bus_monitor.domain_events(ROOT, since=m) == [(DOM, 2, 0)]
    with pytest.raises(TimeoutError):
        bus_monitor.wait_domain_event(DOM, h.DomainEvent.STOPPED, since=m, timeout=0.5)


@needs_gi
def test_activation_passes_the_root_on(bus, vroot):
    name = "org.virtbus.test.activation"
    bus.install_service(name, h.fake_service_argv(vroot, name, "/org/virtbus/test"))
    env = bus.call(name, "/org/virtbus/test", "org.virtbus.Test", "Environment")
    assert env["VIRTBUS_ROOT"] == str(vroot)
    assert env["DBUS_SYSTEM_BUS_ADDRESS"].startswith(bus.address)  # dbus-daemon adds ,guid=
    # The activated process names the root in its environment: teardown kills it.
    assert bus.name_owner_pid(name) in h.pids_mentioning(vroot)


def test_root_cleanup_kills_unmounts_and_removes():
    root = h.Root()
    try:
        p = subprocess.Popen(["sleep", "300"], cwd=root, start_new_session=True)
        q = subprocess.Popen(["sleep", "301"], env={"VIRTBUS_ROOT": str(root)},
                             start_new_session=True)
        r = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(302)", f"{root}/x"],
                             start_new_session=True)
        (root / "mnt").mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(root / "mnt")], check=True)
        assert set(h.pids_mentioning(root)) >= {p.pid, q.pid, r.pid}
        assert h.mounts_under(root) == [str(root / "mnt")]
    finally:
        root.cleanup()
    assert p.wait(timeout=5) == -signal.SIGKILL
    assert q.wait(timeout=5) == -signal.SIGKILL
    assert r.wait(timeout=5) == -signal.SIGKILL
    assert not h.mounts_under(root)
    assert not root.path.exists()


def test_daemon_fixture_reports_an_early_exit(bus, vroot):
    fake = vroot / "virtbus-broken"
    fake.write_text("#!/bin/sh\necho 'cannot start: bad config' >&2\nexit 3\n")
    fake.chmod(0o755)
    d = h.Daemon("broken", bus, vroot, binary=fake)
    with pytest.raises(RuntimeError, match="(?s)exited with 3.*cannot start: bad config"):
        d.start(timeout=10)


@needs_gi
def test_daemon_kill_and_restart(bus, vroot):
    """Daemon start/kill/restart against a stand-in binary that owns the name."""
    script = vroot / "virtbus-standin"
    argv = h.fake_service_argv(vroot, "org.virtbus.test.standin", "/org/virtbus/test")
    # Daemon passes --root DIR first; the stand-in ignores it.
    script.write_text("#!/bin/sh\nshift 2\nexec " + " ".join(str(a) for a in argv) + "\n")
    script.chmod(0o755)
    d = h.Daemon("standin", bus, vroot, binary=script, bus_name="org.virtbus.test.standin",
                 path="/org/virtbus/test").start()
    first = d.pid
    assert d.call("ListDomains", 0) == ["/org/virtbus/test/domain/_0"]
    assert d.kill() == -signal.SIGKILL
    assert not bus.name_has_owner(d.bus_name)
    d.start()
    assert d.pid != first and d.starts == 2
    assert d.call("GetCapabilities", 0) == "<capabilities/>"
    assert "start #2" in d.log()
    assert d.stop() == -signal.SIGTERM


def test_timeout_marker_fails_a_hanging_test(vroot):
    here = os.path.dirname(os.path.abspath(__file__))
    d = vroot / "inner"
    d.mkdir()
    for f in ("conftest.py", "virtbus_harness.py"):
        (d / f).write_text(open(os.path.join(here, f)).read())
    (d / "test_inner.py").write_text(textwrap.dedent("""
        import time, pytest
        @pytest.mark.timeout(1)
        def test_hangs():
            try:
                time.sleep(30)
            except Exception:
                pass
        def test_fine():
            pass
    """))
    t = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(d)],
                       capture_output=True, text=True, timeout=60, cwd=d)
    assert time.monotonic() - t < 25
    assert "1 failed, 1 passed" in r.stdout, r.stdout + r.stderr
    assert "took more than 1 s" in r.stdout


def test_qemud_fixture_smoke(qemud, bus):
    """The fixtures against the real daemon: it owns its name, answers, obeys
    the bus policy and comes back after SIGKILL."""
    assert isinstance(qemud.call("ListDomains", 0), list)
    r = qemud.call_as("nobody", "ListDomains", "u", 0)
    assert r.returncode == 0, r.stderr
    r = qemud.call_as("nobody", "DomainDefineXML", "s", "<domain/>")
    assert r.denied, r.stderr
    first = qemud.pid
    assert qemud.kill() == -signal.SIGKILL
    qemud.start()
    assert qemud.pid != first and bus.name_owner_pid(qemud.bus_name) == qemud.pid
    assert isinstance(qemud.call("ListDomains", 0), list)
