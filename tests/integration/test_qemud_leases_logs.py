# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud with virtbus-lockd and virtbus-logd, all real, on private
buses (lockd and logd are D-Bus activated on first use unless said otherwise).

Leases: before a guest runs, qemud takes a lease on each writable disk for the
guest (owner = the domain's uuid and QEMU's pid): exclusive for normal disks,
shared for <shareable/> ones, none for <readonly/> ones. A second guest (on the
same qemud, or on a second "host": another qemud and lockd, on another bus,
sharing the lockspace directory) is refused with ResourceBusy naming the disk,
and its failed start leaves nothing behind. The leases go when the guest stops
(Destroy, or a clean ACPI shutdown), and qemud takes them again when lockd comes
back after a SIGKILL.

Logs: QEMU's stdout/stderr and the serial console go through a pipe from logd
into <root>/var/log/virtbus/qemu/<name>.log, with the command line first; the
log keeps growing while qemud is killed and restarted, loses nothing across
logd re-execs, and without logd on the bus qemud writes the file itself.

Guests that need no booted kernel are idle QEMUs (no kernel, type 'kvm' when
KVM works here, else 'qemu'); guests that must boot are the test guest (TCG)."""

import os
import re
import signal
import subprocess
import time
import uuid as uuidlib
from pathlib import Path

import dbus
import pytest

import virtbus_harness as h
from virtbus_harness import DomainEvent as E
from virtbus_harness import DomainState as S
from virtbus_harness import expect_dbus_error, wait_until

pytestmark = pytest.mark.timeout(120)

LOCKD, LOCKD_PATH, LOCK1 = "org.virtbus.lockd", "/org/virtbus/lockd", "org.virtbus.Lock1"
LOGD, LOGD_PATH, LOG1 = "org.virtbus.logd", "/org/virtbus/logd", "org.virtbus.Log1"
QEMUD_PATH = "/org/virtbus/qemud"
BUSY = "org.virtbus.Error.ResourceBusy"
SHUTOFF_FAILED = 6                      # virDomainShutoffReason
SHARED = 1                              # lockd's lease flag
TICK_RE = rb"VIRTBUS-GUEST-TICK (\d+)"
BOOT_TIMEOUT = 90


def idle_type():
    """The domain type of guests that never boot a kernel."""
    return "kvm" if h.kvm_available() else "qemu"


def make_disk(root, name, size="4M"):
    path = Path(root) / f"{name}.raw"
    subprocess.run(["truncate", "-s", size, str(path)], check=True)
    return str(path)


def disks_xml(disks):
    """disks: [(path, mode)], mode 'rw', 'shareable' or 'readonly'; as vda, vdb..."""
    out = []
    for i, (path, mode) in enumerate(disks):
        flag = {"rw": "", "shareable": "\n      <shareable/>",
                "readonly": "\n      <readonly/>"}[mode]
        out.append(f"    <disk type='file' device='disk'>\n"
                   f"      <driver name='qemu' type='raw'/>\n"
                   f"      <source file='{path}'/>\n"
                   f"      <target dev='vd{chr(ord('a') + i)}' bus='virtio'/>{flag}\n"
                   f"    </disk>")
    return "\n".join(out)


def idle_xml(name, disks, uuid=None):
    """A guest with no kernel to boot: QEMU just runs (firmware finds nothing)."""
    uuid = uuid or str(uuidlib.uuid4())
    return f"""<domain type='{idle_type()}'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>{h.QEMU}</emulator>
{disks_xml(disks)}
  </devices>
</domain>
"""


def booting_xml(guest, root, name, disks=(), tick=False, uuid=None):
    """The test guest (TCG), its console also in <root>/<name>.serial."""
    serial = Path(root) / f"{name}.serial"
    h.register_log(f"serial console of {name}", serial)
    return h.guest_domain_xml(guest, name, uuid=uuid, serial_log=serial, nic=None,
                              extra_cmdline="virtbus.tick=1" if tick else "",
                              extra_devices=disks_xml(disks))


def pid_alive(pid):
    return pid is not None and not h._is_zombie_or_gone(pid)


def qemu_pids_of(uuid):
    """Live processes whose command line carries `-uuid <uuid>` (QEMUs of that domain)."""
    needle = b"\0-uuid\0" + str(uuid).encode() + b"\0"
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if needle in f.read() and pid_alive(int(d)):
                    found.append(int(d))
        except OSError:
            pass
    return found


class Host:
    """One "host": a bus, its qemud (and the lockd/logd activated on it), a root."""

    def __init__(self, bus, qemud, root, monitor=None):
        self.bus, self.qemud, self.root, self.mon = bus, qemud, Path(root), monitor
        self.logs_registered = set()

    # --- qemud -------------------------------------------------------------
    def define(self, xml):
        name = re.search(r"<name>([^<]+)</name>", xml).group(1)
        uuid = re.search(r"<uuid>([^<]+)</uuid>", xml).group(1)
        path = self.qemud.call("DomainDefineXML", xml)
        return Dom(self, path, name, uuid)

    @property
    def run_dir(self):
        return self.root / "run/virtbus/qemu"

    @property
    def conf_dir(self):
        return self.root / "etc/virtbus/qemu"

    def log_file(self, name):
        return self.root / "var/log/virtbus/qemu" / f"{name}.log"

    # --- lockd -------------------------------------------------------------
    def lockd(self, method, *args, **kw):
        return self.bus.call(LOCKD, LOCKD_PATH, LOCK1, method, *args, **kw)

    def leases(self):
        """ListLeases (activates lockd): sorted (path, uuid, name, pid, flags)."""
        return sorted(tuple(l[:5]) for l in self.lockd("ListLeases"))

    # --- logd --------------------------------------------------------------
    def logd(self, method, *args, **kw):
        return self.bus.call(LOGD, LOGD_PATH, LOG1, method, *args, **kw)

    def tail(self, name, n=16 << 20):
        return bytes(self.logd("Tail", "qemu", name, n))


class Dom:
    def __init__(self, host, path, name, uuid):
        self.host, self.path, self.name, self.uuid = host, path, name, uuid
        h.register_log(f"QEMU log of {name}", host.log_file(name))

    def call(self, method, *args, **kw):
        return self.host.qemud.domain_call(self.path, method, *args, **kw)

    def state(self):
        return tuple(self.call("GetState", 0))

    def prop(self, name):
        return self.host.qemud.get_property(self.path, "org.libvirt.Domain", name)

    def start(self):
        self.call("Create", 0)
        return self

    def status_file(self):
        return self.host.run_dir / f"{self.name}.xml"

    def pid(self):
        try:
            text = self.status_file().read_text()
        except FileNotFoundError:
            return None
        m = re.search(r"<domstatus [^>]*\bpid='(\d+)'", text)
        return int(m.group(1)) if m else None

    def destroy(self):
        pid = self.pid()
        self.call("Destroy", 0)
        wait_until(lambda: self.state()[0] == S.SHUTOFF, 15, what=f"{self.name} shut off")
        if pid:
            wait_until(lambda: not pid_alive(pid), 15, what=f"QEMU {pid} of {self.name} to exit")

    @property
    def serial(self):
        return self.host.root / f"{self.name}.serial"

    def serial_text(self):
        try:
            return self.serial.read_bytes()
        except FileNotFoundError:
            return b""

    def log_text(self):
        try:
            return self.host.log_file(self.name).read_bytes()
        except FileNotFoundError:
            return b""


def expected_leases(dom, disks):
    """What ListLeases must show for `dom` running with `disks`."""
    pid = dom.pid()
    return sorted((path, dom.uuid, dom.name, pid, SHARED if mode == "shareable" else 0)
                  for path, mode in disks if mode != "readonly")


def leases_of(host, dom):
    return [l for l in host.leases() if l[1] == dom.uuid]


def refuse(dom, *words, look_right_after=False):
    """Create must fail with ResourceBusy naming each of `words`; then waits
    until the failed start is cleaned up (shut off, its QEMU gone). Returns the
    message and, with look_right_after, what a client saw right after the
    error: (GetState, Active, the outcome of an immediate second Create)."""
    seen = None
    with expect_dbus_error(BUSY) as e:
        dom.start()
    if look_right_after:
        seen_state, seen_active = dom.state(), dom.prop("Active")
        try:
            dom.start()
            retry = "succeeded"
        except dbus.exceptions.DBusException as x:
            retry = f"{x.get_dbus_name()}: {x.get_dbus_message()}"
        seen = (seen_state, seen_active, retry)
    for w in words:
        assert w in e.message, f"ResourceBusy does not name {w!r}: {e.message}"
    wait_until(lambda: dom.state()[0] == S.SHUTOFF, 15, what=f"{dom.name} to be shut off")
    wait_until(lambda: qemu_pids_of(dom.uuid) == [], 15, what=f"the QEMU of {dom.name} to go")
    return e.message, seen


def ticks(data):
    return [int(x) for x in re.findall(TICK_RE, data)]


def assert_consecutive(nums, what):
    assert nums, f"no tick in {what}"
    want = list(range(nums[0], nums[0] + len(nums)))
    if nums != want:
        missing = sorted(set(range(nums[0], nums[-1] + 1)) - set(nums))
        dup = sorted({n for n in nums if nums.count(n) > 1})
        raise AssertionError(f"ticks in {what} are not consecutive: missing {missing}, "
                             f"repeated {dup} (from {nums[0]} to {nums[-1]})")


def press_power_button(host, dom, since, timeout=60):
    """Domain.Shutdown until the guest reacts (DomainEvent SHUTDOWN). The test
    guest prints READY when busybox acpid's parent returns, but acpid opens
    /dev/input/event* only after it daemonized: on a loaded host a press right
    after READY can come before anyone listens (a guest race, not qemud's)."""
    deadline = time.monotonic() + timeout
    while True:
        dom.call("Shutdown", 0)
        try:
            return host.mon.wait_domain_event(dom.path, E.SHUTDOWN, since=since, timeout=5,
                                              root_path=QEMUD_PATH)
        except TimeoutError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{dom.name} ignored the power button for {timeout}s; "
                                     f"console ends with:\n{h.tail(dom.serial, 15)}") from None


def wait_in(fn, pattern, timeout, what):
    rx = re.compile(pattern)
    try:
        return wait_until(lambda: rx.search(fn()), timeout, 0.1, what)
    except TimeoutError as e:
        raise AssertionError(f"{e}; it ends with:\n{fn()[-1500:].decode(errors='replace')}") \
            from None


# ---------------------------------------------------------------------------
# fixtures

@pytest.fixture
def host(bus, bus_monitor, daemon, vroot):
    return Host(bus, daemon("qemud"), vroot, bus_monitor)


def write_lockd_conf(root, lockspace):
    conf = Path(root) / "etc/virtbus"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "lockd.conf").write_text(f'lockspace_dir = "{lockspace}"\n')


@pytest.fixture
def second_host(vroot):
    """Factory: a second host below the test's root (own bus with activation,
    own qemud); stopped at teardown (the root's cleanup kills the rest)."""
    made = []

    def make(name, lockspace=None):
        root = Path(vroot) / name
        (root / "test-logs").mkdir(parents=True)
        os.chmod(root, 0o755)
        if lockspace:
            write_lockd_conf(root, lockspace)
        bus = h.TestBus(root).start()
        made.append(bus)
        qemud = h.Daemon("qemud", bus, root)
        made.append(qemud)
        qemud.start()
        return Host(bus, qemud, root)

    yield make
    for x in reversed(made):
        x.stop()


# ---------------------------------------------------------------------------
# leases

def test_leases_by_disk_mode_taken_before_the_guest_runs(host, vroot):
    disks = [(make_disk(vroot, "rw"), "rw"), (make_disk(vroot, "shared"), "shareable"),
             (make_disk(vroot, "ro"), "readonly")]
    dom = host.define(idle_xml("modes", disks))
    m = host.mon.mark()
    dom.start()
    assert dom.state() == (S.RUNNING, 1)
    pid = dom.pid()
    assert pid_alive(pid)

    got = leases_of(host, dom)
    assert got == expected_leases(dom, disks), "one exclusive and one shared lease, none for " \
                                               "the read-only disk"
    assert [o for o in host.lockd("ListOwners") if o[0] == dom.uuid] == [
        (dom.uuid, "modes", pid, 2)]
    # The lease files say who holds them.
    for path, *_rest, lockfile in host.lockd("ListLeases"):
        text = Path(lockfile).read_text()
        assert f"resource={path}" in text and f"owner_uuid={dom.uuid}" in text
        assert f"owner_pid={pid}" in text and "owner_name=modes" in text

    # On the bus: one AcquireMany for both leases, answered before the guest
    # was announced as started (qemud sends `cont` only after the leases).
    msgs = host.mon.messages[m:]
    acquires = {(x["sender"], x["cookie"]): x for x in msgs
                if x.get("type") == "method_call" and x.get("member") in ("Acquire", "AcquireMany")
                and x.get("destination") == LOCKD}
    assert [a["member"] for a in acquires.values()] == ["AcquireMany"]
    assert sorted(tuple(e) for a in acquires.values() for e in a["payload"]["data"][0]) == \
        sorted((p, 1 if mode == "shareable" else 0) for p, mode in disks if mode != "readonly")
    started = next(i for i, x in enumerate(msgs)
                   if x.get("type") == "signal" and x.get("member") == "DomainEvent"
                   and x["payload"]["data"][:2] == [dom.path, E.STARTED])
    answered = [i for i, x in enumerate(msgs)
                if x.get("type") == "method_return"
                and (x.get("destination"), x.get("reply_cookie")) in acquires]
    assert len(answered) == len(acquires) and max(answered) < started, \
        "the guest was started before lockd granted the leases"
    for a in acquires.values():
        assert a["payload"]["data"][1:4] == [dom.uuid, "modes", pid]

    dom.destroy()
    wait_until(lambda: leases_of(host, dom) == [], 10, what="the leases to go after Destroy")


def test_leases_go_peer_to_peer_once_lockd_runs(host, vroot):
    """With lockd running, qemud takes leases on lockd's private socket, not
    through the broker; a release asks for no answer."""
    host.leases()  # lockd activated and listening on <rundir>/private/lockd
    disks = [(make_disk(vroot, "p2p"), "rw")]
    dom = host.define(idle_xml("p2p", disks))
    m = host.mon.mark()
    dom.start()
    assert leases_of(host, dom) == expected_leases(dom, disks)
    calls = [x for x in host.mon.messages[m:] if x.get("type") == "method_call"
             and x.get("destination") == LOCKD and x.get("member") in ("Acquire", "AcquireMany", "Release",
                                                                       "ReleaseOwner")]
    assert calls == [], "lease calls crossed the bus although lockd's private socket was there"
    dom.destroy()
    wait_until(lambda: leases_of(host, dom) == [], 10, what="the leases to go after Destroy")


def test_leases_in_one_call_outlive_a_qemud_sigkill(host, vroot):
    """A guest's three leases, taken in one AcquireMany on lockd's private
    socket, belong to its QEMU, not to qemud or qemud's connection: qemud
    SIGKILLed (its connection to lockd gone) keeps them, and another guest is
    refused; the QEMU SIGKILLed lets them all go."""
    host.leases()  # lockd running: qemud's calls go peer to peer
    disks = [(make_disk(vroot, f"keep{i}"), "rw") for i in range(3)]
    a = host.define(idle_xml("keeper", disks)).start()
    want = expected_leases(a, disks)
    assert leases_of(host, a) == want
    qemu_pid = a.pid()
    b = host.define(idle_xml("taker", disks[1:2]))
    host.qemud.kill(signal.SIGKILL)
    assert pid_alive(qemu_pid)
    host.qemud.start()
    assert a.pid() == qemu_pid and a.state() == (S.RUNNING, 1)
    assert leases_of(host, a) == want
    refuse(b, disks[1][0], "'keeper'")
    assert leases_of(host, b) == []
    os.kill(qemu_pid, signal.SIGKILL)
    wait_until(lambda: leases_of(host, a) == [], 10, what="the leases to go with the guest's QEMU")
    wait_until(lambda: a.state()[0] == S.SHUTOFF, 15, what="qemud to see the guest gone")
    b.start()
    assert leases_of(host, b) == [(disks[1][0], b.uuid, "taker", b.pid(), 0)]
    b.destroy()


def test_busy_disk_refused_failed_start_leaves_nothing_release_on_destroy(host, vroot):
    shared_rw = make_disk(vroot, "common")
    own_b = make_disk(vroot, "own-b")
    a = host.define(idle_xml("holder", [(shared_rw, "rw")]))
    b = host.define(idle_xml("second", [(own_b, "rw"), (shared_rw, "rw")]))
    a.start()
    a_pid = a.pid()
    assert leases_of(host, a) == [(shared_rw, a.uuid, "holder", a_pid, 0)]

    b_conf = (host.conf_dir / "second.xml").read_bytes()
    b_inactive = b.call("GetXMLDesc", 2)
    m = host.mon.mark()
    seen = []
    for _ in range(3):
        _, right_after = refuse(b, shared_rw, "'holder'", look_right_after=True)
        seen.append(right_after)

        # Nothing left behind.
        assert b.state() == (S.SHUTOFF, SHUTOFF_FAILED)
        assert b.prop("Active") is False and b.prop("Id") == 0
        assert not b.status_file().exists()
        assert not (host.run_dir / "second.monitor").exists()
        assert b.call("GetXMLDesc", 2) == b_inactive
        assert b.call("GetXMLDesc", 0) == b_inactive, "a live definition was left behind"
        assert (host.conf_dir / "second.xml").read_bytes() == b_conf
        wait_until(lambda: leases_of(host, b) == [], 10,
                   what="the refused guest's lease on its own disk to go")
    assert [ev for ev in host.mon.domain_events(QEMUD_PATH, b.path, since=m)
            if ev[1] in (E.STARTED, E.RESUMED)] == []
    # The holder is untouched.
    assert a.state() == (S.RUNNING, 1) and a.pid() == a_pid
    assert leases_of(host, a) == [(shared_rw, a.uuid, "holder", a_pid, 0)]

    # Destroy releases: the second guest now starts, with both its leases.
    a.destroy()
    wait_until(lambda: leases_of(host, a) == [], 10, what="the holder's lease to go")
    b.start()
    assert b.state() == (S.RUNNING, 1)
    assert leases_of(host, b) == expected_leases(b, [(own_b, "rw"), (shared_rw, "rw")])
    # ...and now the first one is refused.
    refuse(a, shared_rw, "'second'")
    assert a.state() == (S.SHUTOFF, SHUTOFF_FAILED)
    b.destroy()

    # A start that failed is over when its error is answered, as with libvirt:
    # the domain is shut off and may be started again at once.
    good = ((S.SHUTOFF, SHUTOFF_FAILED), False)
    assert all(x[:2] == good and x[2].startswith(BUSY) for x in seen), (
        "right after Create answered ResourceBusy, the domain was still starting: "
        "(GetState, Active, an immediate second Create) = " + "; ".join(map(str, seen)))


def test_shareable_disk_runs_in_two_guests(host, vroot):
    disk = make_disk(vroot, "cluster")
    a = host.define(idle_xml("node1", [(disk, "shareable")])).start()
    b = host.define(idle_xml("node2", [(disk, "shareable")])).start()
    assert a.state() == (S.RUNNING, 1) and b.state() == (S.RUNNING, 1)
    assert sorted(l for l in host.leases() if l[0] == disk) == sorted(
        [(disk, a.uuid, "node1", a.pid(), SHARED), (disk, b.uuid, "node2", b.pid(), SHARED)])
    # A guest that wants it for itself is refused while they hold it.
    c = host.define(idle_xml("loner", [(disk, "rw")]))
    refuse(c, disk)
    a.destroy()
    refuse(c, disk, "'node2'")
    b.destroy()
    wait_until(lambda: [l for l in host.leases() if l[0] == disk] == [], 10,
               what="the shared leases to go")
    c.start()
    assert leases_of(host, c) == [(disk, c.uuid, "loner", c.pid(), 0)]
    c.destroy()


def test_two_hosts_sharing_a_lockspace(host, second_host, vroot):
    lockspace = Path(vroot) / "shared-lockspace"
    lockspace.mkdir()
    write_lockd_conf(vroot, lockspace)
    other = second_host("host2", lockspace=lockspace)
    disk = make_disk(vroot, "san-lun")

    a = host.define(idle_xml("on-h1", [(disk, "rw")])).start()
    assert host.bus.get_property(LOCKD, LOCKD_PATH, LOCK1, "LockspaceDirectory") == str(lockspace)
    b = other.define(idle_xml("on-h2", [(disk, "rw")]))
    refuse(b, disk, "'on-h1'")
    assert b.state() == (S.SHUTOFF, SHUTOFF_FAILED)
    assert other.bus.get_property(LOCKD, LOCKD_PATH, LOCK1,
                                  "LockspaceDirectory") == str(lockspace)
    assert other.leases() == []
    assert a.state() == (S.RUNNING, 1)

    # Host 1 lets go: host 2 gets it, and host 1 is refused in turn.
    a.destroy()
    wait_until(lambda: host.leases() == [], 10, what="host 1's lease to go")
    b.start()
    assert other.leases() == [(disk, b.uuid, "on-h2", b.pid(), 0)]
    refuse(a, disk, "'on-h2'")
    b.destroy()


def test_leases_taken_again_when_lockd_returns(host, daemon, vroot):
    disk = make_disk(vroot, "precious")
    shared = make_disk(vroot, "quorum")
    disks = [(disk, "rw"), (shared, "shareable")]
    a = host.define(idle_xml("survivor", disks)).start()
    want = expected_leases(a, disks)
    assert leases_of(host, a) == want
    b = host.define(idle_xml("intruder", [(disk, "rw")]))

    # 1. SIGKILL; the next call activates lockd, qemud sees it and asks again.
    first = host.bus.name_owner_pid(LOCKD)
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: not host.bus.name_has_owner(LOCKD), 10, what="lockd to leave the bus")
    wait_until(lambda: leases_of(host, a) == want, 15,
               what="qemud to take the leases again from the activated lockd")
    second = host.bus.name_owner_pid(LOCKD)
    assert second != first
    refuse(b, disk, "'survivor'")

    # 2. SIGKILL; lockd started by hand this time.
    os.kill(second, signal.SIGKILL)
    wait_until(lambda: not host.bus.name_has_owner(LOCKD), 10, what="lockd to leave the bus")
    assert a.state() == (S.RUNNING, 1), "the guest must keep running without lockd"
    lockd = daemon("lockd")
    wait_until(lambda: leases_of(host, a) == want, 15,
               what="qemud to take the leases again from the restarted lockd")
    assert host.bus.name_owner_pid(LOCKD) == lockd.pid
    refuse(b, disk, "'survivor'")

    # 3. A qemud restarted meanwhile (it adopted the running guest) does the same.
    host.qemud.restart(signal.SIGKILL)
    assert a.state() == (S.RUNNING, 1)
    lockd.kill(signal.SIGKILL)
    wait_until(lambda: leases_of(host, a) == want, 15,
               what="the restarted qemud to take the leases again")
    refuse(b, disk, "'survivor'")

    a.destroy()
    wait_until(lambda: leases_of(host, a) == [], 10, what="the leases to go")
    b.start()
    assert leases_of(host, b) == [(disk, b.uuid, "intruder", b.pid(), 0)]
    b.destroy()


# ---------------------------------------------------------------------------
# booted guests: clean shutdown, and the log

def test_booted_guest_log_and_lease_release_on_shutdown(host, guest, vroot):
    disk = make_disk(vroot, "boot-data")
    dom = host.define(booting_xml(guest, vroot, "logged", [(disk, "rw")]))
    other = host.define(idle_xml("waiting", [(disk, "rw")]))
    dom.start()
    pid = dom.pid()
    assert leases_of(host, dom) == [(disk, dom.uuid, "logged", pid, 0)]
    wait_in(dom.serial_text, re.escape(h.GUEST_READY.encode()), BOOT_TIMEOUT,
            "the guest to be ready")

    # The log, written by logd (activated by qemud's Open).
    assert host.bus.name_has_owner(LOGD)
    log = host.log_file("logged")
    wait_in(dom.log_text, re.escape(h.GUEST_READY.encode()), 15,
            f"{h.GUEST_READY} in {log}")
    text = log.read_bytes()
    assert re.search(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: starting up\n", text, re.M), \
        "no start line"
    cmd = re.search(rb"^(\S*qemu-system-x86_64 .*)$", text, re.M)
    assert cmd, f"no QEMU command line in {log}:\n{text[:2000]!r}"
    for want in (b"-name guest=logged", dom.uuid.encode(), disk.encode(), b"-S"):
        assert want in cmd.group(1), f"{want!r} not in the logged command line"
    assert text.index(cmd.group(1)) < text.index(h.GUEST_READY.encode())
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    tail = host.tail("logged")
    assert cmd.group(1) in tail and h.GUEST_READY.encode() in tail
    assert tail.startswith(text[:len(text) // 2]), "Tail does not give the log's bytes"
    assert host.bus.get_property(LOGD, LOGD_PATH, LOG1, "OpenPipes") >= 1

    # A clean shutdown through the guest releases the lease.
    m = host.mon.mark()
    press_power_button(host, dom, m)
    host.mon.wait_domain_event(dom.path, E.STOPPED, E.STOPPED_SHUTDOWN, since=m, timeout=60,
                               root_path=QEMUD_PATH)
    assert dom.state() == (S.SHUTOFF, 1)
    assert h.GUEST_POWEROFF.encode() in dom.serial_text()
    wait_until(lambda: not pid_alive(pid), 15, what="QEMU to exit")
    wait_until(lambda: leases_of(host, dom) == [], 10, what="the lease to go after Shutdown")
    other.start()
    assert leases_of(host, other) == [(disk, other.uuid, "waiting", other.pid(), 0)]
    # The power-off reached the log too, before the pipe closed; then why it stopped.
    assert h.GUEST_POWEROFF.encode() in host.tail("logged")
    wait_in(dom.log_text, rb"\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: shutting down, reason=shutdown\n", 15,
            "the stop line in the log")
    other.destroy()


def test_qemu_killed_by_a_signal_is_named_in_both_logs(host, vroot):
    """A QEMU gone by a signal nobody here sent: qemud's log names the
    signal, the guest's log ends with libvirt's 'reason=crashed'."""
    dom = host.define(idle_xml("segv", [])).start()
    os.kill(dom.pid(), signal.SIGSEGV)
    wait_until(lambda: dom.state() == (S.SHUTOFF, 3), 15, what="the guest to be shut off, crashed")
    wait_in(dom.log_text, rb": shutting down, reason=crashed\n", 15, "the stop line in the guest's log")
    wait_in(lambda: host.qemud.log_path.read_bytes(),
            rb"QEMU of segv \(pid \d+\) was killed by signal 11 \(Segmentation fault\)", 15,
            "the signal in qemud's log")
    assert b"Lost the monitor of segv" not in host.qemud.log_path.read_bytes()
    dom.start()
    dom.destroy()
    wait_in(dom.log_text, rb": shutting down, reason=destroyed\n", 15, "the Destroy in the guest's log")


def test_log_survives_qemud_sigkill_and_logd_reexec(host, guest, vroot):
    dom = host.define(booting_xml(guest, vroot, "ticker", tick=True)).start()
    log = host.log_file("ticker")
    logd_pid = host.bus.name_owner_pid(LOGD)

    # Re-exec logd again and again while the kernel prints its boot messages
    # and the guest ticks.
    reexecs = 0
    deadline = time.monotonic() + BOOT_TIMEOUT
    while h.GUEST_READY.encode() not in dom.serial_text():
        assert time.monotonic() < deadline, "the guest did not get ready"
        host.logd("ReExec")
        reexecs += 1
        time.sleep(0.2)
    wait_in(dom.log_text, rb"VIRTBUS-GUEST-TICK 1\b", 15, "ticks in the log")
    for _ in range(6):
        host.logd("ReExec")
        reexecs += 1
        time.sleep(0.4)
    assert host.bus.name_owner_pid(LOGD) == logd_pid, "ReExec must keep the same process"
    assert host.bus.get_property(LOGD, LOGD_PATH, LOG1, "OpenPipes") >= 1

    # qemud killed: the pipe is logd's, the log keeps growing meanwhile.
    qemu_pid = dom.pid()
    host.qemud.kill(signal.SIGKILL)
    assert pid_alive(qemu_pid)
    size = log.stat().st_size
    last = ticks(dom.log_text())[-1]
    wait_in(dom.log_text, rb"VIRTBUS-GUEST-TICK %d\b" % (last + 2), 15,
            "ticks in the log while qemud is down")
    assert log.stat().st_size > size
    host.qemud.start()
    assert dom.pid() == qemu_pid and dom.state() == (S.RUNNING, 1)
    last = ticks(dom.log_text())[-1]
    host.logd("ReExec")
    wait_in(dom.log_text, rb"VIRTBUS-GUEST-TICK %d\b" % (last + 2), 15,
            "ticks in the log after qemud's restart")

    # Every tick is there, and every byte of the console.
    dom.destroy()
    tail = host.tail("ticker")
    assert_consecutive(ticks(tail), f"{log} ({reexecs} logd re-execs, a qemud SIGKILL)")
    serial = dom.serial_text()
    assert serial and serial in tail, \
        "the log does not hold the console's bytes in one piece (bytes were lost)"
    assert ticks(tail)[-1] >= ticks(serial)[-1]


def test_log_survives_logd_sigkill(host, guest, vroot):
    """logd SIGKILLed while a guest runs: the console used to be lost until
    the guest restarted. Now the FIFO keeps the bytes, qemud has logd
    activated again at once, and no tick is missing."""
    dom = host.define(booting_xml(guest, vroot, "logged2", tick=True)).start()
    wait_in(dom.log_text, rb"VIRTBUS-GUEST-TICK 1\b", BOOT_TIMEOUT, "ticks in the log")
    def logd_pid():
        try:
            return host.bus.name_owner_pid(LOGD)
        except dbus.DBusException:      # between two owners
            return None

    for _ in range(3):
        old = wait_until(logd_pid, 15, what="logd on the bus")
        os.kill(old, signal.SIGKILL)
        # Nobody calls logd here: qemud brings it back for its running guest.
        wait_until(lambda: logd_pid() not in (None, old), 15, what="logd back on the bus")
        last = ticks(dom.log_text())[-1]
        wait_in(dom.log_text, rb"VIRTBUS-GUEST-TICK %d\b" % (last + 2), 15,
                "ticks in the log after a logd SIGKILL")
    dom.destroy()
    tail = host.tail("logged2")
    assert_consecutive(ticks(tail), f"{host.log_file('logged2')} (3 logd SIGKILLs)")
    serial = dom.serial_text()
    assert ticks(tail)[-1] >= ticks(serial)[-1]


# ---------------------------------------------------------------------------
# without logd

@pytest.fixture
def bare_host(vroot):
    """A bus without D-Bus activation and a qemud alone on it: no logd, no lockd."""
    bus = h.TestBus(vroot, activation=False).start()
    qemud = h.Daemon("qemud", bus, vroot)
    try:
        qemud.start()
        yield Host(bus, qemud, vroot)
    finally:
        qemud.stop()
        bus.stop()


def test_log_written_without_logd(bare_host, guest, vroot):
    host = bare_host
    dom = host.define(booting_xml(guest, vroot, "direct", tick=True)).start()
    log = host.log_file("direct")
    wait_in(dom.log_text, re.escape(h.GUEST_READY.encode()), BOOT_TIMEOUT,
            f"{h.GUEST_READY} in {log}")
    assert not host.bus.name_has_owner(LOGD)
    text = log.read_bytes()
    assert re.search(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: starting up\n", text, re.M)
    cmd = re.search(rb"^(\S*qemu-system-x86_64 .*)$", text, re.M)
    assert cmd and b"-name guest=direct" in cmd.group(1) and dom.uuid.encode() in cmd.group(1)
    assert text.index(cmd.group(1)) < text.index(h.GUEST_READY.encode())
    assert oct(log.stat().st_mode & 0o777) == "0o600"

    # QEMU writes the file itself: it grows while qemud is away too.
    wait_in(dom.log_text, rb"VIRTBUS-GUEST-TICK 1\b", 15, "ticks in the log")
    host.qemud.kill(signal.SIGKILL)
    last = ticks(dom.log_text())[-1]
    wait_in(dom.log_text, rb"VIRTBUS-GUEST-TICK %d\b" % (last + 2), 15,
            "ticks in the log while qemud is down")
    host.qemud.start()
    dom.destroy()
    assert_consecutive(ticks(dom.log_text()), str(log))

    # A second run appends to the same file.
    before = log.read_bytes()
    dom.start()
    wait_until(lambda: dom.log_text().count(b"starting up\n") == 2, 15,
               what="a second start line")
    assert dom.log_text().startswith(before)
    dom.destroy()


def test_log_written_by_qemud_when_told_not_to_use_logd(bus, bus_monitor, daemon, vroot):
    """VIRTBUS_NO_LOGD=1: qemud never asks logd (even though it could be
    activated) and writes the start line and command line itself."""
    host = Host(bus, daemon("qemud", env={"VIRTBUS_NO_LOGD": "1"}), vroot, bus_monitor)
    m = bus_monitor.mark()
    dom = host.define(idle_xml("nologd", [])).start()
    assert dom.state() == (S.RUNNING, 1)
    text = dom.log_text()
    assert re.search(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: starting up\n", text, re.M)
    cmd = re.search(rb"^(\S*qemu-system-x86_64 .*)$", text, re.M)
    assert cmd and b"-name guest=nologd" in cmd.group(1) and dom.uuid.encode() in cmd.group(1)
    assert [x for x in bus_monitor.messages[m:] if x.get("destination") == LOGD] == []
    assert not bus.name_has_owner(LOGD)
    dom.destroy()
    assert dom.log_text().endswith(b": shutting down, reason=destroyed\n")
