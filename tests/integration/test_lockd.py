# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-lockd on a private bus: leases, busy errors, owner death, a second
instance sharing the lockspace, re-exec with a checker, bad input, policy."""

import fcntl
import hashlib
import json
import os
import signal
import struct
import subprocess
import sys
import time
import uuid as uuidlib
from pathlib import Path

import dbus
import dbus.connection
import pytest

import virtbus_harness as harness
from virtbus_harness import expect_dbus_error, wait_until

LOCK1 = "org.virtbus.Lock1"
BUSY = "org.virtbus.Error.ResourceBusy"
INVALID = "org.virtbus.Error.InvalidArg"


class Owner:
    """A process standing in for a guest: its pid is the lease owner."""

    def __init__(self, name):
        self.name = name
        self.uuid = str(uuidlib.uuid4())
        self.proc = harness.spawn(["sleep", "3600"])

    @property
    def pid(self):
        return self.proc.pid

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def owners():
    made = []

    def make(name):
        o = Owner(name)
        made.append(o)
        return o
    yield make
    for o in made:
        o.kill()


@pytest.fixture
def lockd(daemon):
    return daemon("lockd")


def call(d, method, *args, **kw):
    return d.call(method, *args, interface=LOCK1, **kw)


def acquire(d, path, owner, flags=0):
    return call(d, "Acquire", str(path), owner.uuid, owner.name, owner.pid, flags)


def leases(d):
    return sorted(call(d, "ListLeases"))


def lockspace_of(root):
    return Path(root) / "var/lib/virtbus/lockd/lockspace"


def try_ofd_lock(path):
    """True if this process could take byte 0 of path exclusively (then drops it)."""
    fd = os.open(path, os.O_RDWR)
    try:
        fl = struct.pack("@hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0)
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, fl)
            return True
        except OSError:
            return False
    finally:
        os.close(fd)


def test_acquire_busy_release(lockd, owners, vroot):
    a, b = owners("vm1"), owners("vm2")
    disk = "/images/disk-a.qcow2"
    assert acquire(lockd, disk, a) is None
    assert acquire(lockd, disk, a) is None          # idempotent
    with expect_dbus_error(BUSY) as e:
        acquire(lockd, disk, b)
    assert disk in e.message and "'vm1'" in e.message and a.uuid in e.message
    got = leases(lockd)
    assert len(got) == 1
    path, ouuid, oname, opid, flags, file = got[0]
    assert (path, ouuid, oname, opid, flags) == (disk, a.uuid, "vm1", a.pid, 0)
    assert Path(file).parent == lockspace_of(vroot)
    assert not try_ofd_lock(file)
    assert "owner_name=vm1" in Path(file).read_text()
    assert call(lockd, "ListOwners") == [(a.uuid, "vm1", a.pid, 1)]

    assert call(lockd, "Release", disk, a.uuid, 0) is None
    with expect_dbus_error("org.virtbus.Error.NoLease"):
        call(lockd, "Release", disk, a.uuid, 0)
    assert try_ofd_lock(file)
    assert acquire(lockd, disk, b) is None
    assert call(lockd, "ReleaseOwner", b.uuid) == 1
    assert leases(lockd) == [] and call(lockd, "ListOwners") == []


def peer_call(vroot, method, *args):
    """A call on lockd's private socket, peer to peer (no broker, no Hello)."""
    sock = Path(vroot) / "run/virtbus/private/lockd"
    conn = dbus.connection.Connection(f"unix:path={sock}")
    try:
        obj = conn.get_object("org.virtbus.lockd", "/org/virtbus/lockd", introspect=False)
        return obj.get_dbus_method(method, LOCK1)(*args)
    finally:
        conn.close()


def test_private_socket_serves_leases(lockd, owners, vroot):
    """Root's peer-to-peer door (what a bench or qemud may use to skip the
    broker) takes and gives back the same leases as the bus does."""
    a, b = owners("vm1"), owners("vm2")
    disk = "/images/peer.img"
    peer_call(vroot, "Acquire", disk, a.uuid, a.name, dbus.UInt32(a.pid), dbus.UInt32(0))
    assert [l[0] for l in leases(lockd)] == [disk]
    with expect_dbus_error(BUSY):
        acquire(lockd, disk, b)
    peer_call(vroot, "Release", disk, a.uuid, dbus.UInt32(0))
    assert leases(lockd) == []
    reexec_and_wait(lockd, "sigusr1")
    peer_call(vroot, "Acquire", disk, b.uuid, b.name, dbus.UInt32(b.pid), dbus.UInt32(0))
    assert leases(lockd)[0][1] == b.uuid


def acquire_many(d, paths, owner, flags=0):
    return call(d, "AcquireMany", [(str(p), flags) for p in paths], owner.uuid, owner.name, owner.pid)


def test_acquire_many_all_or_none(lockd, owners, vroot):
    """A guest's leases in one call: all taken, or (one busy) none of those
    this call took, the busy one named; those held before stay. The same on
    the private socket, and with busctl."""
    a, b = owners("vm1"), owners("vm2")
    disks = [f"/images/many{i}.img" for i in range(4)]
    acquire(lockd, disks[0], a)
    acquire(lockd, disks[2], b)
    with expect_dbus_error(BUSY) as e:
        acquire_many(lockd, disks, a)
    assert f"'{disks[2]}'" in e.message and "vm2" in e.message
    assert [(l[0], l[1]) for l in leases(lockd)] == [(disks[0], a.uuid), (disks[2], b.uuid)]
    assert call(lockd, "ReleaseOwner", b.uuid) == 1
    acquire_many(lockd, disks, a)
    assert [(l[0], l[1]) for l in leases(lockd)] == [(d, a.uuid) for d in disks]
    acquire_many(lockd, disks, a)  # held already: nothing changes
    assert call(lockd, "ListOwners") == [(a.uuid, "vm1", a.pid, 4)]
    with expect_dbus_error(BUSY):
        peer_call(vroot, "AcquireMany", [(disks[1], dbus.UInt32(0))], b.uuid, b.name, dbus.UInt32(b.pid))
    assert call(lockd, "ReleaseOwner", a.uuid) == 4
    peer_call(vroot, "AcquireMany", [(d, dbus.UInt32(1)) for d in disks[:2]], b.uuid, b.name, dbus.UInt32(b.pid))
    assert [(l[0], l[1], l[4]) for l in leases(lockd)] == [(d, b.uuid, 1) for d in disks[:2]]
    r = lockd.bus.busctl("call", "org.virtbus.lockd", "/org/virtbus/lockd", LOCK1, "AcquireMany", "a(su)ssu",
                         "2", disks[2], "0", disks[3], "0", a.uuid, a.name, str(a.pid))
    assert r.returncode == 0, r.stderr
    assert call(lockd, "ListOwners") == sorted([(a.uuid, "vm1", a.pid, 2), (b.uuid, "vm2", b.pid, 2)])
    a.kill()
    wait_until(lambda: [l[1] for l in leases(lockd)] == [b.uuid, b.uuid], 10, what="vm1's leases to go")


def test_acquire_many_bad_input_changes_nothing(lockd, owners):
    """A bad entry anywhere in the array: InvalidArg naming it, and nothing
    taken, not even the good entries before it."""
    a = owners("vm1")
    for bad, needle in [("images/rel.img", "'images/rel.img'"), ("", "empty")]:
        with expect_dbus_error(INVALID) as e:
            acquire_many(lockd, ["/images/good.img", bad], a)
        assert needle in e.message
    with expect_dbus_error(INVALID) as e:
        call(lockd, "AcquireMany", [("/images/good.img", 64)], a.uuid, a.name, a.pid)
    assert "0x40" in e.message
    with expect_dbus_error(INVALID) as e:
        acquire_many(lockd, [f"/images/n{i}.img" for i in range(4097)], a)
    assert "4096" in e.message
    assert leases(lockd) == [] and call(lockd, "ListOwners") == []
    acquire_many(lockd, [], a)
    assert call(lockd, "ListOwners") == []


def test_shared_leases(lockd, owners):
    a, b, c = owners("vm1"), owners("vm2"), owners("vm3")
    disk = "/images/shared.raw"
    acquire(lockd, disk, a, 1)
    acquire(lockd, disk, b, 1)
    with expect_dbus_error(BUSY) as e:
        acquire(lockd, disk, c, 0)
    assert disk in e.message
    assert [l[4] for l in leases(lockd)] == [1, 1]
    call(lockd, "Release", disk, a.uuid, 0)
    call(lockd, "Release", disk, b.uuid, 0)
    acquire(lockd, disk, c, 0)


def test_direct_lease(lockd, owners, vroot):
    a, b = owners("vm1"), owners("vm2")
    disk = Path(vroot) / "direct.img"
    disk.write_bytes(b"\0" * 4096)
    acquire(lockd, disk, a, 2)
    assert not try_ofd_lock(disk)
    with expect_dbus_error(BUSY):
        acquire(lockd, disk, b, 2)
    assert leases(lockd)[0][5] == str(disk)
    call(lockd, "ReleaseOwner", a.uuid)
    assert try_ofd_lock(disk)


def test_owner_death_drops_leases(lockd, owners):
    a, b = owners("vm1"), owners("vm2")
    for i in range(3):
        acquire(lockd, f"/images/d{i}.img", a)
    acquire(lockd, "/images/other.img", b)
    a.kill()
    wait_until(lambda: [l[0] for l in leases(lockd)] == ["/images/other.img"], 10,
               what="vm1's leases to go")
    acquire(lockd, "/images/d0.img", b)
    assert call(lockd, "ListOwners") == [(b.uuid, "vm2", b.pid, 2)]


def records_of(root):
    return Path(root) / "run/virtbus/lockd/leases"


def test_sigkill_restart_takes_leases_back(daemon, owners, vroot):
    """lockd SIGKILLed (its locks die with it) and started again takes back,
    before it owns its name, every lease whose owner still runs; another
    owner's Acquire is refused as before. Leases of owners that died while
    lockd was down, and records naming a pid that is now another process,
    are dropped."""
    d = daemon("lockd")
    a, b, c = owners("vm1"), owners("vm2"), owners("vm3")
    img = Path(vroot) / "direct.img"
    img.write_bytes(b"\0" * 4096)
    acquire(d, "/images/k.img", a)
    acquire(d, "/images/shared.img", a, 1)
    acquire(d, img, a, 2)
    acquire(d, "/images/c.img", c)
    held = [l for l in leases(d) if l[1] == a.uuid]
    files = {l[0]: l[5] for l in leases(d)}
    for round_ in range(3):
        d.kill()
        assert try_ofd_lock(files["/images/k.img"])     # the locks died with lockd
        if round_ == 0:
            c.kill()
            # A record naming a live pid that is not the process recorded
            # (pid reused): its start time differs, it must be dropped.
            records_of(vroot).mkdir(parents=True, exist_ok=True)
            with open(records_of(vroot) / "journal", "a") as j:
                j.write(f"+ {b.uuid} {b.pid} 1 0 vm2 {lockspace_of(vroot)} /images/forged.img\n")
        d.start()
        assert leases(d) == held, f"round {round_}"
        assert not try_ofd_lock(files["/images/k.img"]) and not try_ofd_lock(img)
        with expect_dbus_error(BUSY) as e:
            acquire(d, "/images/k.img", b)
        assert "'vm1'" in e.message
        with expect_dbus_error(BUSY):
            acquire(d, img, b, 2)
        with expect_dbus_error(BUSY):
            acquire(d, "/images/shared.img", b, 0)
        acquire(d, "/images/shared.img", b, 1)          # shared stays shared
        call(d, "Release", "/images/shared.img", b.uuid, 0)
        assert call(d, "ListOwners") == [(a.uuid, "vm1", a.pid, 3)]
        # qemud asking again for what it holds (it does when lockd returns).
        acquire(d, "/images/k.img", a)
        acquire(d, "/images/shared.img", a, 1)
        assert leases(d) == held
    assert "Took back 3 recorded lease(s) of 1 running owner(s)." in d.log()
    acquire(d, "/images/c.img", b)                      # c died: its lease went
    acquire(d, "/images/forged.img", b)
    assert "Owner 'vm2' (uuid %s, pid %d) is gone" % (b.uuid, b.pid) in d.log()
    # Released leases are not taken back; an owner's death drops its records.
    call(d, "ReleaseOwner", b.uuid)
    call(d, "Release", "/images/k.img", a.uuid, 0)
    d.kill()
    d.start()
    assert sorted(l[0] for l in leases(d)) == sorted(["/images/shared.img", str(img)])
    a.kill()
    wait_until(lambda: leases(d) == [], 10, what="vm1's leases to go")
    d.kill()
    d.start()
    assert leases(d) == []


def test_sigkill_restart_takes_batched_leases_back(daemon, owners, vroot):
    """The leases of one AcquireMany are recorded together (one write): all
    taken back after a SIGKILL; a refused AcquireMany records nothing that
    comes back; one ReleaseOwner's leases are all gone after the next."""
    d = daemon("lockd")
    a, b = owners("vm1"), owners("vm2")
    mine = [f"/images/batch{i}.img" for i in range(5)]
    acquire_many(d, mine, a)
    acquire(d, "/images/taken.img", b)
    with expect_dbus_error(BUSY):
        acquire_many(d, ["/images/new1.img", "/images/new2.img", "/images/taken.img"], a)
    held = leases(d)
    d.kill()
    d.start()
    assert leases(d) == held
    assert [l[0] for l in leases(d) if l[1] == a.uuid] == sorted(mine)
    call(d, "ReleaseOwner", a.uuid)
    d.kill()
    d.start()
    assert [l[0] for l in leases(d)] == ["/images/taken.img"]


def test_bad_input(lockd, owners):
    a = owners("vm1")
    gone = subprocess.Popen(["true"])
    gone.wait()
    cases = [
        (("", a.uuid, "vm1", a.pid, 0), "empty"),
        (("images/rel.img", a.uuid, "vm1", a.pid, 0), "'images/rel.img'"),
        (("/images/../x.img", a.uuid, "vm1", a.pid, 0), "'/images/../x.img'"),
        (("/images/x.img", "nope", "vm1", a.pid, 0), "'nope'"),
        (("/images/x.img", a.uuid, "vm/1", a.pid, 0), "'vm/1'"),
        (("/images/x.img", a.uuid, "vm1", gone.pid, 0), f"pid {gone.pid}"),
        (("/images/x.img", a.uuid, "vm1", a.pid, 64), "0x40"),
    ]
    for args, needle in cases:
        with expect_dbus_error(INVALID) as e:
            call(lockd, "Acquire", *args)
        assert needle in e.message, (args, e.message)
    with expect_dbus_error(INVALID):
        call(lockd, "Release", "", a.uuid, 0)
    with expect_dbus_error(INVALID):
        call(lockd, "ReleaseOwner", "x")
    assert leases(lockd) == [] and call(lockd, "ListOwners") == []
    assert list(lockspace_of(lockd.root).iterdir()) == []


def test_second_instance_shares_lockspace(lockd, owners, vroot):
    """Another --root (its own bus: one name per bus) configured with the first
    instance's lockspace directory is refused with ResourceBusy."""
    a, b = owners("vm1"), owners("vm2")
    acquire(lockd, "/shared/images/vm.img", a)
    root2 = harness.Root(prefix="vb-lockd2-")
    bus2 = d2 = None
    try:
        conf = root2.path / "etc/virtbus"
        conf.mkdir(parents=True)
        (conf / "lockd.conf").write_text(f'lockspace_dir = "{lockspace_of(vroot)}"\n')
        bus2 = harness.TestBus(root2, activation=False).start()
        d2 = harness.Daemon("lockd", bus2, root2).start()
        assert d2.get_property(d2.path, LOCK1, "LockspaceDirectory") == str(lockspace_of(vroot))
        with expect_dbus_error(BUSY) as e:
            call(d2, "Acquire", "/shared/images/vm.img", b.uuid, "vm2", b.pid, 0)
        assert "/shared/images/vm.img" in e.message and "'vm1'" in e.message
        # The other way round too.
        call(d2, "Acquire", "/shared/images/other.img", b.uuid, "vm2", b.pid, 0)
        with expect_dbus_error(BUSY) as e:
            acquire(lockd, "/shared/images/other.img", a)
        assert "'vm2'" in e.message
        d2.kill()
        acquire(lockd, "/shared/images/other.img", a)
    finally:
        if d2:
            d2.stop()
        if bus2:
            bus2.stop()
        root2.cleanup()


CHECKER = r"""
import fcntl, os, struct, sys
d, stop = sys.argv[1], sys.argv[2]
fds = [os.open(os.path.join(d, n), os.O_RDWR) for n in sorted(os.listdir(d))]
fl = struct.pack("@hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0)
unl = struct.pack("@hhqqi", fcntl.F_UNLCK, os.SEEK_SET, 0, 1, 0)
rounds = won = 0
print("ready", len(fds), flush=True)
while not os.path.exists(stop):
    for fd in fds:
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, fl)
            won += 1
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, unl)
        except OSError:
            pass
    rounds += 1
print(rounds, won, flush=True)
"""


def reexec_and_wait(d, how):
    bus = d.bus
    before = bus.conn.get_name_owner(d.bus_name)
    if how == "method":
        call(d, "ReExec")
    else:
        os.kill(d.pid, signal.SIGUSR1)

    def new_owner():
        try:
            return bus.conn.get_name_owner(d.bus_name) != before
        except Exception:       # noqa: BLE001 - the name is away during the exec
            return False
    wait_until(new_owner, 10, what="lockd back on the bus")


def test_stop_reexec_sigkill_keep_every_record(daemon, owners, vroot):
    """Enough leases that the journal may be rewritten (over 4096), all of
    one owner: a stop (SIGTERM: the table is freed, the records stay), a
    re-exec and a SIGKILL each give every lease back."""
    d = daemon("lockd")
    a = owners("vm1")
    mine = [f"/images/many/{i}.img" for i in range(6000)]
    acquire_many(d, mine[:3000], a)
    acquire_many(d, mine[3000:], a)
    d.stop()
    d.start()
    assert call(d, "ListOwners") == [(a.uuid, "vm1", a.pid, 6000)]
    reexec_and_wait(d, "method")
    assert call(d, "ListOwners") == [(a.uuid, "vm1", a.pid, 6000)]
    d.kill()
    d.start()
    assert call(d, "ListOwners") == [(a.uuid, "vm1", a.pid, 6000)]


@pytest.mark.parametrize("how", ["method", "sigusr1"])
def test_reexec_keeps_leases(lockd, owners, vroot, how):
    a, b = owners("vm1"), owners("vm2")
    for i in range(100):
        acquire(lockd, f"/images/r{i}.img", a if i % 2 else b, 1 if i % 10 == 0 else 0)
    before = leases(lockd)
    stop = Path(vroot) / "checker.stop"
    checker = harness.spawn([sys.executable, "-c", CHECKER, lockspace_of(vroot), stop],
                            stdout=subprocess.PIPE, text=True)
    assert checker.stdout.readline().split() == ["ready", "100"]
    pid = lockd.pid
    reexec_and_wait(lockd, how)
    reexec_and_wait(lockd, how)
    time.sleep(0.2)
    stop.touch()
    rounds, won = map(int, checker.stdout.readline().split())
    checker.wait()
    assert won == 0, f"the checker took {won} lease(s) during the re-exec"
    assert rounds > 0
    assert lockd.pid == pid and lockd.alive()
    assert leases(lockd) == before
    assert "Re-executed: 100 lease(s) of 2 owner(s) kept." in lockd.log()
    # Still fully working: busy, owner death, release.
    c = owners("vm3")
    with expect_dbus_error(BUSY):
        acquire(lockd, "/images/r1.img", c)
    a.kill()
    wait_until(lambda: all(l[1] == b.uuid for l in leases(lockd)), 10, what="vm1's leases to go")
    acquire(lockd, "/images/r1.img", c)


def test_non_root_is_denied(lockd, owners):
    a = owners("vm1")
    r = lockd.call_as("nobody", "Acquire", "sssuu", "/images/x.img", a.uuid, "vm1", a.pid, 0,
                      interface=LOCK1)
    assert r.denied, r.stderr
    for m, sig, args in [("Release", "ssu", ("/images/x.img", a.uuid, 0)),
                         ("ReleaseOwner", "s", (a.uuid,)), ("ReExec", "", ())]:
        r = lockd.call_as("nobody", m, sig, *args, interface=LOCK1)
        assert r.denied, (m, r.stderr)
    for m in ("ListLeases", "ListOwners"):
        r = lockd.call_as("nobody", m, interface=LOCK1)
        assert r.returncode == 0, (m, r.stderr)
    r = lockd.bus.busctl("get-property", lockd.bus_name, lockd.path, LOCK1, "LockspaceDirectory",
                         user="nobody")
    assert r.returncode == 0 and "lockspace" in r.stdout
    assert leases(lockd) == []


AS_USER = r"""
import json, os, sys, dbus
bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
dest, path, iface = sys.argv[1:4]
out = []
for method, sig, args in json.load(sys.stdin):
    try:
        obj = bus.get_object(dest, path, introspect=False)
        r = obj.get_dbus_method(method, iface)(*args, signature=sig, timeout=60)
        out.append({"ok": True, "value": json.loads(json.dumps(r, default=str))})
    except dbus.exceptions.DBusException as e:
        out.append({"ok": False, "name": e.get_dbus_name(), "message": e.get_dbus_message()})
print(json.dumps(out))
"""


def open_bus_policy(bus, dest):
    """Lets everybody send to dest, as on a bus without virtbus's policy
    files: what is refused now is refused by the daemon itself."""
    conf = bus.dir / "bus.conf"
    conf.write_text(conf.read_text().replace(
        "</busconfig>",
        '  <policy context="mandatory">\n'
        f'    <allow send_destination="{dest}"/>\n'
        "  </policy>\n</busconfig>"))
    bus.conn.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "ReloadConfig", "", ())


def calls_as_nobody(d, interface, calls):
    """Runs [(method, signature, args)] on d as nobody (python3-dbus, one
    connection); returns one {"ok", "value"|"name","message"} each."""
    script = Path(d.root) / "as-nobody.py"
    script.write_text(AS_USER)
    script.chmod(0o644)
    r = subprocess.run(harness.setpriv_argv("nobody") +
                       [sys.executable, script, d.bus_name, d.path, interface],
                       input=json.dumps(calls), capture_output=True, text=True,
                       timeout=120, env=d.bus.env)
    assert r.returncode == 0, f"client as nobody failed: {r.stderr}"
    return json.loads(r.stdout)


def test_daemon_checks_privileges_itself(lockd, owners):
    """With a bus policy that lets everybody through, lockd itself refuses
    every call that changes something from another user; the lists stay open."""
    a = owners("vm1")
    acquire(lockd, "/images/root.img", a)
    before = leases(lockd)
    open_bus_policy(lockd.bus, lockd.bus_name)
    b_uuid = str(uuidlib.uuid4())
    writes = [("Acquire", "sssuu", ["/images/other.img", b_uuid, "intruder", a.pid, 0]),
              ("Release", "ssu", ["/images/root.img", a.uuid, 0]),
              ("ReleaseOwner", "s", [a.uuid]),
              ("ReExec", "", [])]
    reads = [("ListLeases", "", []), ("ListOwners", "", [])]
    pid = lockd.pid
    got = calls_as_nobody(lockd, LOCK1, writes + reads)
    for (m, _, _), r in zip(writes, got):
        assert not r["ok"], f"{m} as nobody succeeded: lockd does not check the caller"
        assert r["name"].endswith("AccessDenied"), (m, r)
    for (m, _, _), r in zip(reads, got[len(writes):]):
        assert r["ok"], (m, r)
    assert len(got[len(writes)]["value"]) == 1
    assert leases(lockd) == before
    assert lockd.pid == pid and "Re-executed" not in lockd.log()


def start_with_fd_limit(name, bus, root, limit):
    """build/virtbus-<name> on bus with RLIMIT_NOFILE limit:limit (the daemon
    may raise its soft limit only up to the hard one)."""
    wrapper = Path(root) / f"{name}-nofile.sh"
    wrapper.write_text(f"#!/bin/sh\nexec prlimit --nofile={limit}:{limit} "
                       f"{harness.BUILD / ('virtbus-' + name)} \"$@\"\n")
    wrapper.chmod(0o755)
    return harness.Daemon(name, bus, root, binary=wrapper).start()


def until_out_of_fds(limit, attempt, what):
    """Calls attempt(i) for i = 0, 1, ... until it fails, which must be a
    SystemError that says the daemon is out of fds and names its limit.
    Returns (i, the error's message); `what` names what attempt() opens."""
    for i in range(limit):
        try:
            attempt(i)
        except dbus.exceptions.DBusException as err:
            assert err.get_dbus_name() == "org.virtbus.Error.SystemError", err
            msg = err.get_dbus_message()
            assert "too many open files" in msg and f"limit of {limit}" in msg, msg
            return i, msg
    raise AssertionError(f"{limit} {what} fit in {limit} fds")


def test_out_of_fds_says_so(bus, bus_monitor, vroot, owners):
    """A lockd out of fds says so, naming its limit: not 'pid N does not
    exist' for a live owner, nor a bare errno."""
    limit = 40
    d = start_with_fd_limit("lockd", bus, vroot, limit)
    try:
        a, b = owners("vm1"), owners("vm2")
        i, msg = until_out_of_fds(limit, lambda i: acquire(d, f"/images/fd{i}.img", a), "leases")
        assert f"/images/fd{i}.img" in msg, msg
        held = len(leases(d))
        assert held == i
        # A new owner needs a pidfd: that fails for the same reason, not
        # because vm2's pid would be gone.
        with expect_dbus_error("org.virtbus.Error.SystemError") as e:
            acquire(d, "/images/new.img", b)
        assert "too many open files" in e.message and f"limit of {limit}" in e.message, e.message
        assert "does not exist" not in e.message and str(b.pid) in e.message, e.message
        assert len(leases(d)) == held and call(d, "ListOwners") == [(a.uuid, "vm1", a.pid, held)]
        # Room again: the same calls work.
        call(d, "ReleaseOwner", a.uuid)
        acquire(d, "/images/new.img", b)
    finally:
        d.stop()


def test_dbus_activation(bus, vroot):
    """A call to the name starts lockd through units/org.virtbus.lockd.service."""
    assert not bus.name_has_owner("org.virtbus.lockd")
    assert bus.call("org.virtbus.lockd", "/org/virtbus/lockd", LOCK1, "ListLeases") == []
    assert bus.get_property("org.virtbus.lockd", "/org/virtbus/lockd", LOCK1,
                            "LockspaceDirectory") == str(lockspace_of(vroot))
