# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud SIGKILLed in the middle of a start (Create) and started
again: the start is rolled back, never left half done.

A start takes, in order: storaged's in-use mark on volume disks, a tap from
networkd, QEMU (paused, -S), lockd's leases on the writable disks (owned by
QEMU's pid), then "cont". qemud records phase='starting' in the live state
<rundir>/qemu/<name>.xml before each of these steps; a qemud that finds such
a start after a restart kills its QEMU (found by the -pidfile its command line
names, even when qemud died right after the fork), releases the leases, ports
and in-use marks, and reports the domain shut off (failed) with a STOPPED /
FAILED event. The definition stays; the next Create works.

- qemud killed while QEMU exists but has not answered its monitor yet (QEMU
  is held with SIGSTOP right when it appears, so the start cannot finish);
- qemud killed at random moments of several Creates: afterwards the domain is
  shut off or, when the kill came after the start finished, running;
- qemud killed while the start waits for storaged, networkd or lockd (each
  held with SIGSTOP): no tap, port, in-use mark or lease is left once they go
  on;
- a guest started paused (by the user) is not taken for a half-done start.

The guests boot nothing: idle QEMUs (type 'kvm' when KVM works here, else
'qemu'), with a volume disk (storaged), a raw file disk and an interface on
an isolated network (networkd in a namespace of its own, as in
test_qemud_network)."""

import os
import random
import re
import signal
import subprocess
import time
import uuid as uuidlib

import pytest

import virtbus_harness as h
from virtbus_harness import DomainEvent as E
from virtbus_harness import DomainState as S
from virtbus_harness import wait_until
from test_networkd_common import NetworkdEnv
from test_qemud_common import destroy_active, pid_alive
from test_qemud_leases_logs import qemu_pids_of
from test_storaged_common import Storaged, vol_xml

pytestmark = pytest.mark.timeout(300)

QEMUD, QEMUD_PATH = "org.virtbus.qemud", "/org/virtbus/qemud"
LOCKD, LOCKD_PATH, LOCK1 = "org.virtbus.lockd", "/org/virtbus/lockd", "org.virtbus.Lock1"
POOL, NET = "rbpool", "rbnet"
SHUTOFF_FAILED = 6
PAUSED_USER = 1


def idle_type():
    return "kvm" if h.kvm_available() else "qemu"


class Env:
    """networkd in a namespace (NetworkdEnv: root, bus, monitor), storaged
    with a dir pool, qemud; lockd is D-Bus activated."""

    def __init__(self):
        for name in ("qemud", "storaged", "lockd"):
            if not (h.BUILD / f"virtbus-{name}").exists():
                pytest.fail(f"{h.BUILD / f'virtbus-{name}'} is not built (run make)")
        self.net = NetworkdEnv()
        self.root, self.bus, self.mon = self.net.root, self.net.bus, self.net.mon
        self.storaged = self.qemud = None
        try:
            self.bus.install_service("org.virtbus.networkd",
                                     [self.net.wrapper, "--root", self.root.path])
            self.storaged = h.Daemon("storaged", self.bus, self.root).start()
            self.s = Storaged(self.storaged, self.bus, self.mon)
            self.pool = self.s.start_dir_pool(POOL, self.root / "pool")
            self.qemud = h.Daemon("qemud", self.bus, self.root).start()
            self.net.define(f"<network><name>{NET}</name></network>")
            self.lockd("ListLeases")            # activates lockd
        except BaseException:
            self.close()
            raise

    def close(self):
        for pid in self.stopped_pids():
            os.kill(pid, signal.SIGCONT)
        try:
            destroy_active(self.qemud)
        finally:
            for d in (self.qemud, self.storaged):
                if d is not None:
                    d.stop()
            self.net.close()

    def stopped_pids(self):
        return getattr(self, "_stopped", [])

    def register_logs(self):
        for title, path in self.net.logs():
            h.register_log(title, path)
        for d in (self.qemud, self.storaged):
            if d:
                h.register_log(f"virtbus-{d.name}", d.log_path)
        h.register_log("dbus-daemon (and D-Bus activated daemons)", self.bus.log_path)
        qlog = self.root / "var" / "log" / "virtbus" / "qemu"
        if qlog.is_dir():
            for f in sorted(qlog.glob("*.log")):
                h.register_log(f"QEMU log {f.name}", f)

    # --- the other daemons ----------------------------------------------------
    def lockd(self, method, *args):
        return self.bus.call(LOCKD, LOCKD_PATH, LOCK1, method, *args)

    def leases(self, uuid):
        return [tuple(l[:4]) for l in self.lockd("ListLeases") if l[1] == uuid]

    def ports(self, uuid):
        return [tuple(p) for p in self.net.port_call("ListPorts", "") if p[2] == uuid]

    def taps(self):
        out = self.net.in_ns("ip", "-o", "link", "show", "type", "tun").stdout
        return re.findall(r"^\d+: ([^:@]+)", out, flags=re.M)

    def in_use(self, uuid):
        return [tuple(x) for x in self.s.storage1("ListVolumesInUse") if x[0] == uuid]

    def hold(self, pid):
        """SIGSTOPs a daemon (the test gives it SIGCONT, or close() does)."""
        os.kill(pid, signal.SIGSTOP)
        self.__dict__.setdefault("_stopped", []).append(pid)

    def release(self, pid):
        os.kill(pid, signal.SIGCONT)
        self._stopped.remove(pid)

    # --- qemud --------------------------------------------------------------
    @property
    def run_dir(self):
        return self.root / "run" / "virtbus" / "qemu"

    def restart_qemud(self):
        rc = self.qemud.kill(signal.SIGKILL)
        assert rc == -signal.SIGKILL, f"virtbus-qemud exited with {rc} before the SIGKILL"
        m = self.mon.mark()
        self.qemud.start()
        return m


class Dom:
    def __init__(self, env, name):
        self.env, self.name = env, name
        self.uuid = str(uuidlib.uuid4())
        vol = f"{name}.raw"
        env.s.create_vol(env.pool, vol_xml(vol, 8 << 20, "raw"))
        self.file_disk = str(env.root / f"{name}-file.raw")
        subprocess.run(["truncate", "-s", "4M", self.file_disk], check=True)
        self.xml = f"""<domain type='{idle_type()}'>
  <name>{name}</name>
  <uuid>{self.uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>{h.QEMU}</emulator>
    <disk type='volume' device='disk'>
      <source pool='{POOL}' volume='{vol}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{self.file_disk}'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='{NET}'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
"""
        self.path = env.qemud.call("DomainDefineXML", self.xml)
        self.inactive = self.call("GetXMLDesc", 2)

    def call(self, method, *args, **kw):
        return self.env.qemud.domain_call(self.path, method, *args, **kw)

    def state(self):
        return tuple(self.call("GetState", 0))

    def create_in_background(self, flags=0):
        """Create, from a busctl of its own: the caller goes on at once."""
        return h.spawn(["busctl", f"--address={self.env.bus.address}", "--timeout=120", "call",
                        QEMUD, self.path, "org.libvirt.Domain", "Create", "u", str(flags)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env.bus.env)

    def wait_qemu(self, timeout=30):
        found = []

        def appeared():
            found[:] = qemu_pids_of(self.uuid)
            return bool(found)
        wait_until(appeared, timeout, interval=0.005, what=f"QEMU of {self.name} to appear")
        return found[0]

    def assert_nothing_left(self, allow_running=False):
        """After a restart: shut off (or running, when the start had finished
        and allow_running), no QEMU but a running one's, no lease, port, tap
        or in-use mark but a running one's; the definition as it was."""
        env = self.env
        # A rollback that kills QEMU ends when QEMU is gone.
        wait_until(lambda: self.state()[0] in (S.SHUTOFF, S.RUNNING), 15,
                   what=f"{self.name} to be shut off or running (it is {self.state()})")
        state = self.state()
        if allow_running and state[0] == S.RUNNING:
            assert len(qemu_pids_of(self.uuid)) == 1
            assert len(env.leases(self.uuid)) == 2 and len(env.ports(self.uuid)) == 1
            return "running"
        assert state[0] == S.SHUTOFF, f"{self.name} is {state} after the restart, not shut off"
        wait_until(lambda: not qemu_pids_of(self.uuid), 15, what=f"the QEMU of {self.name} to go")
        wait_until(lambda: not env.leases(self.uuid), 15,
                   what=f"the leases of {self.name} to go: {env.leases(self.uuid)}")
        wait_until(lambda: not env.ports(self.uuid) and not env.taps(), 15,
                   what=f"the ports of {self.name} to go: {env.ports(self.uuid)}, taps {env.taps()}")
        wait_until(lambda: not env.in_use(self.uuid), 15,
                   what=f"the in-use marks of {self.name} to go: {env.in_use(self.uuid)}")
        assert not (env.run_dir / f"{self.name}.xml").exists(), "the live state is still there"
        assert self.call("GetXMLDesc", 2) == self.inactive, "the definition changed"
        # Another owner can take the disk now.
        other = str(uuidlib.uuid4())
        env.lockd("Acquire", self.file_disk, other, "other", os.getpid(), 0)
        env.lockd("Release", self.file_disk, other, 0)
        return "shut off"

    def start_and_destroy(self):
        """A following Create works, and so does Destroy."""
        self.call("Create", 0)
        assert self.state() == (S.RUNNING, 1)
        assert len(self.env.leases(self.uuid)) == 2
        self.call("Destroy", 0)
        assert self.state()[0] == S.SHUTOFF
        wait_until(lambda: not qemu_pids_of(self.uuid), 15, what=f"QEMU of {self.name} to exit")


@pytest.fixture(scope="module")
def env():
    e = Env()
    try:
        yield e
    finally:
        e.close()


@pytest.fixture(autouse=True)
def _logs(env):
    env.register_logs()
    for pid in list(env.stopped_pids()):
        env.release(pid)
    if not env.qemud.alive():
        env.qemud.start()
    yield
    env.register_logs()


def expect_rolled_back(env, dom, mark):
    env.mon.wait_domain_event(dom.path, E.STOPPED, E.STOPPED_FAILED, since=mark, timeout=30,
                              root_path=QEMUD_PATH)
    assert dom.state() == (S.SHUTOFF, SHUTOFF_FAILED)
    dom.assert_nothing_left()


def test_killed_while_qemu_has_not_answered(env):
    """QEMU runs (paused, -S) and holds the leases, its monitor has not
    answered: the start waits, as long as the test wants."""
    dom = Dom(env, "rb-early")
    lockd = env.bus.name_owner_pid(LOCKD)
    env.hold(lockd)                      # the start waits for the leases...
    client = dom.create_in_background()
    qemu = dom.wait_qemu()
    env.hold(qemu)                       # ...and then for QEMU's monitor
    env.release(lockd)
    wait_until(lambda: len(env.leases(dom.uuid)) == 2, 15, what="lockd to give QEMU the leases")
    time.sleep(0.5)
    assert dom.state() == (S.PAUSED, 11)
    m = env.restart_qemud()
    client.wait(timeout=30)
    assert client.returncode != 0, "Create succeeded though qemud was killed"
    env.release(qemu)                    # it goes on: paused, waiting for "cont"
    expect_rolled_back(env, dom, m)
    assert not pid_alive(qemu)
    dom.start_and_destroy()


def test_killed_right_after_the_fork(env):
    """The kill comes as soon as QEMU shows in /proc: qemud may not even have
    recorded its pid yet (QEMU is found by its -pidfile)."""
    dom = Dom(env, "rb-fork")
    client = dom.create_in_background()
    qemu = dom.wait_qemu()
    env.qemud.proc.send_signal(signal.SIGKILL)
    m = env.restart_qemud()
    client.wait(timeout=30)
    if dom.state()[0] == S.RUNNING:
        pytest.skip("the start finished before the kill reached qemud (this host is fast)")
    expect_rolled_back(env, dom, m)
    assert not pid_alive(qemu)
    dom.start_and_destroy()


def test_killed_at_random_moments(env):
    dom = Dom(env, "rb-random")
    t0 = time.monotonic()
    dom.call("Create", 0)
    took = time.monotonic() - t0
    dom.call("Destroy", 0)
    wait_until(lambda: not qemu_pids_of(dom.uuid), 15, what="QEMU to exit")
    seed = random.randrange(1 << 30)
    rnd = random.Random(seed)
    outcomes = []
    for i in range(6):
        delay = rnd.uniform(0, took * 2 + 0.05)
        client = dom.create_in_background()
        time.sleep(delay)
        m = env.restart_qemud()
        client.wait(timeout=30)
        try:
            got = dom.assert_nothing_left(allow_running=True)
        except AssertionError as e:
            raise AssertionError(f"round {i} (seed {seed}, kill {delay:.3f}s into a "
                                 f"{took:.3f}s start): {e}") from e
        outcomes.append(f"{delay:.3f}s: {got}")
        if got == "running":
            dom.call("Destroy", 0)
            wait_until(lambda: not qemu_pids_of(dom.uuid), 15, what="QEMU to exit")
        else:
            ev = env.mon.domain_events(QEMUD_PATH, dom.path, since=m)
            assert all(e[1] == E.STOPPED and e[2] == E.STOPPED_FAILED for e in ev), ev
    print(f"seed {seed}, a start takes {took:.3f}s; kills: {', '.join(outcomes)}")
    dom.start_and_destroy()


@pytest.mark.parametrize("daemon", ["storaged", "networkd", "lockd"])
def test_killed_while_waiting_for(env, daemon):
    dom = Dom(env, f"rb-wait-{daemon}")
    name = {"storaged": "org.virtbus.storaged", "networkd": "org.virtbus.networkd",
            "lockd": LOCKD}[daemon]
    held = env.bus.name_owner_pid(name)
    env.hold(held)
    try:
        client = dom.create_in_background()
        wait_until(lambda: dom.state() == (S.PAUSED, 11), 15, what=f"{dom.name} to start")
        if daemon == "lockd":
            dom.wait_qemu()              # spawned: the leases are asked for next
        time.sleep(1.0)                  # the request is on its way to the held daemon
        assert dom.state() == (S.PAUSED, 11), "the start did not wait"
        m = env.restart_qemud()
    finally:
        env.release(held)
    client.wait(timeout=30)
    expect_rolled_back(env, dom, m)
    dom.start_and_destroy()


def test_started_paused_is_not_a_half_done_start(env):
    dom = Dom(env, "rb-paused")
    m = env.mon.mark()
    dom.call("Create", 1)                 # VIR_DOMAIN_START_PAUSED
    assert dom.state() == (S.PAUSED, PAUSED_USER)
    pid = qemu_pids_of(dom.uuid)
    assert len(pid) == 1
    m = env.restart_qemud()
    assert dom.state() == (S.PAUSED, PAUSED_USER)
    assert qemu_pids_of(dom.uuid) == pid and len(env.leases(dom.uuid)) == 2
    time.sleep(1)
    assert env.mon.domain_events(QEMUD_PATH, dom.path, since=m) == []
    dom.call("Resume")
    assert dom.state() == (S.RUNNING, 5)
    dom.call("Destroy", 0)
    wait_until(lambda: not qemu_pids_of(dom.uuid), 15, what="QEMU to exit")


def test_transient_start_cut_short_leaves_no_domain(env):
    """DomainCreateXML cut short: the transient domain goes with its start."""
    dom = Dom(env, "rb-transient")
    dom.call("Undefine", 0)
    lockd = env.bus.name_owner_pid(LOCKD)
    env.hold(lockd)
    client = h.spawn(["busctl", f"--address={env.bus.address}", "--timeout=120", "call",
                      QEMUD, QEMUD_PATH, "org.libvirt.Connect", "DomainCreateXML", "su", dom.xml, "0"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env.bus.env)
    qemu = dom.wait_qemu()
    m = env.restart_qemud()
    env.release(lockd)
    client.wait(timeout=30)
    env.mon.wait_domain_event(dom.path, E.STOPPED, E.STOPPED_FAILED, since=m, timeout=30,
                              root_path=QEMUD_PATH)
    wait_until(lambda: dom.path not in env.qemud.call("ListDomains", 0), 15,
               what="the transient domain to go")
    wait_until(lambda: not pid_alive(qemu), 15, what="its QEMU to be killed")
    wait_until(lambda: not env.leases(dom.uuid) and not env.ports(dom.uuid) and not env.taps()
               and not env.in_use(dom.uuid), 15, what="its leases, ports and in-use marks to go")
    assert not (env.run_dir / "rb-transient.xml").exists()
