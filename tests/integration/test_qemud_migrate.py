# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live migration between two qemud instances on this machine (issue 15, qemud's
side): each has its own root, private bus and host UUID; the test plays the
part the proxy plays in a real migration and carries the v3 phases' cookies
and URI from one to the other (Begin3 on A, Prepare3 on B, Perform3 on A,
Finish3 on B, Confirm3 on A), over tcp on loopback.

The real test guest (TCG, ticking on its console every second) moves live
from A to B: on B its tick counter goes on from where it was (no new boot),
A's QEMU is gone (shut off, reason migrated), the events are libvirt's, the
job stats carry QEMU's figures. A migration cancelled after Prepare3 leaves
the guest running on A and nothing on B. Bad input fails before anything
pauses. The settings (max downtime, speed, compression cache) read back."""

import filecmp
import os
import re
import subprocess
import time

import dbus
import pytest

import virtbus_harness as h
from migrate_common import qmp_trace, ticks_go_on, writes_go_on  # noqa: F401
from test_qemud_common import QemudEnv, Guest, dbus_error, E, S  # noqa: F401

pytestmark = pytest.mark.timeout(300)

# libvirt's numbers
MIGRATE_LIVE, MIGRATE_PEER2PEER, MIGRATE_TUNNELLED, MIGRATE_PERSIST_DEST = 1, 2, 4, 8
MIGRATE_UNDEFINE_SOURCE, MIGRATE_OFFLINE, MIGRATE_AUTO_CONVERGE = 16, 1024, 8192
PAUSED_MIGRATION, RUNNING_MIGRATED, SHUTOFF_MIGRATED = 2, 2, 4
STARTED_MIGRATED, SUSPENDED_MIGRATED, RESUMED_MIGRATED, STOPPED_MIGRATED = 1, 1, 1, 3
JOB_COMPLETED, OP_MIGRATION_OUT, OP_MIGRATION_IN = 3, 5, 4


def make_env(guest, host_uuid):
    e = QemudEnv(guest)
    (e.root / "etc" / "virtbus" / "host-uuid").write_text(host_uuid + "\n")
    return e


@pytest.fixture(scope="module")
def hosts(guest, request):
    a = make_env(guest, "11111111-0000-4000-8000-00000000000a")
    b = make_env(guest, "11111111-0000-4000-8000-00000000000b")
    # One lockspace for both "hosts" (shared storage): lockd, activated on
    # first use, holds each lease in it.
    space = a.root / "lockspace"
    space.mkdir()
    for e in (a, b):
        (e.root / "etc" / "virtbus" / "lockd.conf").write_text(f'lockspace_dir = "{space}"\n')
    yield a, b
    for e in (a, b):
        e.failed = request.session.testsfailed > 0
        errors = e.close()
        if errors:
            raise RuntimeError("cleanup errors: " + "; ".join(errors))


@pytest.fixture(autouse=True)
def _logs(hosts):
    for e in hosts:
        e.register_logs()


def params(**kw):
    d = {}
    for k, v in kw.items():
        k = k.replace("__", ".")
        if isinstance(v, str):
            d[k] = dbus.String(v, variant_level=1)
        elif isinstance(v, tuple):       # (type, value)
            t, val = v
            d[k] = {"t": dbus.UInt64, "i": dbus.Int32}[t](val, variant_level=1)
        else:
            raise TypeError(k)
    return dbus.Dictionary(d, signature="sv")


def cookie_bytes(v):
    return dbus.ByteArray(bytes(v)) if v else dbus.ByteArray(b"")


def move_serial(xml, src_env, dst_env, name):
    """The destination's XML (libvirt's dxml): the console goes to B's root."""
    dst = dst_env.root / f"{name}.serial"
    dst_env.serials[name] = dst
    h.register_log(f"serial console of {name} on B", dst)
    return re.sub(r"(<serial type='file'>\s*<source path=')[^']*'", rf"\g<1>{dst}'", xml, count=1)


def migrate(src, dst, g, flags=MIGRATE_LIVE, cancel_after_prepare=False, **extra):
    """The v3 phases as the proxy runs them; returns (path on B or '/',
    Perform3's cookie)."""
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    xml = move_serial(xml, src, dst, g.name)
    # a libvirtd p2p source keeps PEER2PEER in what it sends the destination
    ck, uri = dst.call("DomainMigratePrepare3",
                       params(destination_xml=xml, listen_address="127.0.0.1", **extra),
                       cookie_bytes(ck), dbus.UInt32(flags | MIGRATE_PEER2PEER))
    if not (flags & MIGRATE_OFFLINE):
        assert uri.startswith("tcp:127.0.0.1:"), uri
    if cancel_after_prepare:
        path, _ = dst.call("DomainMigrateFinish3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
        g.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
        return path, None
    out = g.call("MigratePerform3", "", params(migrate_uri=uri), cookie_bytes(ck), dbus.UInt32(flags))
    path, ck2 = dst.call("DomainMigrateFinish3", params(), cookie_bytes(out), dbus.UInt32(flags), 0)
    g.call("MigrateConfirm3", params(), cookie_bytes(ck2), dbus.UInt32(flags), 0)
    return path, bytes(out)


@pytest.fixture(scope="module")
def vm(hosts):
    a, _ = hosts
    g = a.define("mig1", tick=True)
    g.start()
    g.wait_ready()
    g.wait_tick_after(0)
    return g


def test_live_migration_moves_the_running_guest(hosts, vm):
    a, b = hosts
    before = vm.wait_tick_after(vm.last_tick())
    ma, mb = a.mark(), b.mark()
    path, cookie = migrate(a, b, vm, MIGRATE_LIVE | MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE)
    assert path != "/"
    # A: QEMU gone, shut off as migrated, undefined (UNDEFINE_SOURCE).
    a.expect_events(vm.path, ma, [(E.SUSPENDED, SUSPENDED_MIGRATED), (E.UNDEFINED, 0),
                                  (E.STOPPED, STOPPED_MIGRATED)])
    assert vm.path not in a.list_domains()
    # Perform3's cookie carries QEMU's figures.
    assert b"<downtime>" in cookie and b"<hostuuid>11111111-0000-4000-8000-00000000000a" in cookie
    # B: running, migrated, persistent; the same boot's counter goes on.
    gb = Guest(b, path, "mig1")
    assert gb.state() == (S.RUNNING, RUNNING_MIGRATED)
    assert gb.prop("Persistent") is True
    b.expect_events(path, mb, [(E.STARTED, STARTED_MIGRATED), (E.DEFINED, 0), (E.RESUMED, RESUMED_MIGRATED)])
    first = ticks_go_on(gb, before, "B")
    gb.wait_tick_after(first)
    typ, stats = gb.call("GetJobStats", dbus.UInt32(1))
    assert typ == JOB_COMPLETED and stats["operation"] == OP_MIGRATION_IN


def test_back_to_a_with_settings(hosts):
    a, b = hosts
    gb = Guest(b, b.list_domains()[0], "mig1")
    gb.serial = b.root / "mig1.serial"
    gb.call("MigrateSetMaxDowntime", dbus.UInt64(500), dbus.UInt32(0))
    assert gb.call("MigrateGetMaxDowntime", dbus.UInt32(0)) == 500
    gb.call("MigrateSetMaxSpeed", dbus.UInt64(1000), dbus.UInt32(0))
    assert gb.call("MigrateGetMaxSpeed", dbus.UInt32(0)) == 1000
    gb.call("MigrateSetCompressionCache", dbus.UInt64(1 << 26), dbus.UInt32(0))
    assert gb.call("MigrateGetCompressionCache", dbus.UInt32(0)) == 1 << 26
    with dbus_error("InvalidArg", "compression cache", "12345"):
        gb.call("MigrateSetCompressionCache", dbus.UInt64(12345), dbus.UInt32(0))
    before = gb.wait_tick_after(gb.last_tick())
    path, _ = migrate(b, a, gb, MIGRATE_LIVE | MIGRATE_AUTO_CONVERGE)
    ga = Guest(a, path, "mig1")
    ga.serial = a.root / "mig1.serial"
    assert ga.state() == (S.RUNNING, RUNNING_MIGRATED)
    first = ticks_go_on(ga, before, "A")
    # B keeps the definition (no UNDEFINE_SOURCE), shut off as migrated.
    assert gb.state() == (S.SHUTOFF, SHUTOFF_MIGRATED)
    typ, stats = ga.call("GetJobStats", dbus.UInt32(1))
    assert typ == JOB_COMPLETED
    b.call("DomainLookupByName", "mig1")
    b.dcall(gb.path, "Undefine", dbus.UInt32(0))


def test_cancelled_after_prepare_leaves_the_guest_on_a(hosts):
    a, b = hosts
    path = a.call("DomainLookupByName", "mig1")
    ga = Guest(a, path, "mig1")
    ga.serial = a.root / "mig1.serial"
    before = ga.wait_tick_after(ga.last_tick())
    p, _ = migrate(a, b, ga, MIGRATE_LIVE, cancel_after_prepare=True)
    assert p == "/"
    assert ga.state()[0] == S.RUNNING
    ga.wait_tick_after(before)
    h.wait_until(lambda: b.list_domains() == [], 15, what="nothing left on B")


def test_bad_input_changes_nothing(hosts):
    a, b = hosts
    ga = Guest(a, a.call("DomainLookupByName", "mig1"), "mig1")
    with dbus_error("InvalidArg", "teleport"):
        ga.call("MigrateBegin3", params(teleport="x"), dbus.UInt32(MIGRATE_LIVE))
    with dbus_error("InvalidArg", "bandwidth", "t"):
        ga.call("MigrateBegin3", params(bandwidth="x"), dbus.UInt32(MIGRATE_LIVE))
    with dbus_error("InvalidArg", "peer-to-peer"):
        ga.call("MigrateBegin3", params(), dbus.UInt32(MIGRATE_LIVE | MIGRATE_PEER2PEER))
    ck, xml = ga.call("MigrateBegin3", params(), dbus.UInt32(MIGRATE_LIVE))
    # to the same host: refused by A itself
    with dbus_error("OperationInvalid", "the host it runs on"):
        a.call("DomainMigratePrepare3", params(destination_xml=xml), cookie_bytes(ck),
               dbus.UInt32(MIGRATE_LIVE))
    with dbus_error("InvalidArg", "cookie"):
        b.call("DomainMigratePrepare3", params(destination_xml=xml), cookie_bytes(b"<nope"),
               dbus.UInt32(MIGRATE_LIVE))
    with dbus_error("InvalidArg", "ftp://x"):
        ga.call("MigratePerform3", "", params(migrate_uri="ftp://x"), cookie_bytes(ck),
                dbus.UInt32(MIGRATE_LIVE))
    with dbus_error("NoDomain", "mig1"):
        b.call("DomainMigrateFinish3", params(), cookie_bytes(ck), dbus.UInt32(MIGRATE_LIVE), 0)
    # an emulator B does not have, named by B before anything moves
    other = re.sub(r"<emulator>[^<]*</emulator>", "<emulator>/nonexistent/qemu-kvm</emulator>", xml)
    with dbus_error("OperationFailed", "/nonexistent/qemu-kvm"):
        b.call("DomainMigratePrepare3", params(destination_xml=other), cookie_bytes(ck),
               dbus.UInt32(MIGRATE_LIVE))
    # libvirt 9.0's refusal, its words: QEMU's NBD mirrors cannot go through the tunnel
    with dbus_error("OperationUnsupported", "non-shared storage is not supported with tunnelled migration"):
        ga.call("MigrateBegin3", params(), dbus.UInt32(MIGRATE_LIVE | MIGRATE_TUNNELLED | MIGRATE_NON_SHARED_DISK))
    assert ga.state()[0] == S.RUNNING
    assert b.list_domains() == []


def perform_async(env, path, uri, flags=MIGRATE_LIVE):
    """Perform3 through busctl in the background (an empty cookie), so that
    the test can act while QEMU sends."""
    import subprocess
    argv = ["busctl", f"--address={env.bus.address}", "--timeout=300", "call", "org.virtbus.qemud", path,
            "org.libvirt.Domain", "MigratePerform3", "sa{sv}ayu", "", "1", "migrate_uri", "s", uri, "0",
            str(flags)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env.bus.env)


def slow_start(a, b, ga, flags=MIGRATE_LIVE):
    """Begin3 and Prepare3, and a Perform3 slowed to 1 MiB/s under way."""
    ga.call("MigrateSetMaxSpeed", dbus.UInt64(1), dbus.UInt32(0))
    ck, xml = ga.call("MigrateBegin3", params(), dbus.UInt32(flags))
    xml = move_serial(xml, a, b, ga.name)
    ck, uri = b.call("DomainMigratePrepare3", params(destination_xml=xml, listen_address="127.0.0.1"),
                     cookie_bytes(ck), dbus.UInt32(flags))
    proc = perform_async(a, ga.path, uri, flags)

    def sending():
        typ, st = ga.call("GetJobStats", dbus.UInt32(0))
        return typ == 2 and st.get("operation") == OP_MIGRATION_OUT and st.get("memory_processed", 0) > 0
    h.wait_until(sending, 60, 0.2, what="the migration sending")
    return ck, proc


def cancel_on_b(b, ck):
    path, _ = b.call("DomainMigrateFinish3", params(), cookie_bytes(ck), dbus.UInt32(MIGRATE_LIVE), 1)
    assert path == "/"
    h.wait_until(lambda: b.list_domains() == [], 15, what="nothing left on B")


def test_abort_job_during_migration(hosts):
    a, b = hosts
    ga = Guest(a, a.call("DomainLookupByName", "mig1"), "mig1")
    ga.serial = a.root / "mig1.serial"
    ck, proc = slow_start(a, b, ga)
    # a second migration of a guest whose job runs: refused before anything moves
    with dbus_error("OperationInvalid", "cannot migrate domain 'mig1': the job", "is running"):
        ga.call("MigrateBegin3", params(), dbus.UInt32(MIGRATE_LIVE))
    ga.call("AbortJob")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "cancelled" in err, err
    cancel_on_b(b, ck)
    ga.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(MIGRATE_LIVE), 1)
    assert ga.state()[0] == S.RUNNING
    ga.wait_tick_after(ga.last_tick())
    typ, st = ga.call("GetJobStats", dbus.UInt32(1))
    assert typ == 5  # cancelled
    ga.call("MigrateSetMaxSpeed", dbus.UInt64(8796093022207), dbus.UInt32(0))


def test_not_live_pauses_the_guest_while_it_moves(hosts):
    """Without MIGRATE_LIVE the guest is paused (migration) while its memory
    moves, as libvirt does; cancelled, it runs on where it was."""
    a, b = hosts
    ga = Guest(a, a.call("DomainLookupByName", "mig1"), "mig1")
    ga.serial = a.root / "mig1.serial"
    ck, proc = slow_start(a, b, ga, flags=0)
    assert ga.state() == (S.PAUSED, PAUSED_MIGRATION)
    ga.call("AbortJob")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "cancelled" in err, err
    cancel_on_b(b, ck)
    ga.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(0), 1)
    assert ga.state()[0] == S.RUNNING
    ga.wait_tick_after(ga.last_tick())
    ga.call("MigrateSetMaxSpeed", dbus.UInt64(8796093022207), dbus.UInt32(0))


def test_source_qemud_killed_during_perform(hosts):
    a, b = hosts
    ga = Guest(a, a.call("DomainLookupByName", "mig1"), "mig1")
    ga.serial = a.root / "mig1.serial"
    ck, proc = slow_start(a, b, ga)
    a.qemud.restart()
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    # the restarted qemud cancels QEMU's sending: the guest runs on A
    h.wait_until(lambda: ga.state()[0] == S.RUNNING, 30, what="mig1 running on A")
    before = ga.wait_tick_after(ga.last_tick())
    time.sleep(2)
    assert ga.state()[0] == S.RUNNING
    ga.wait_tick_after(before)
    cancel_on_b(b, ck)
    assert "<migration" not in a.status_file("mig1").read_text()
    ga.call("MigrateSetMaxSpeed", dbus.UInt64(8796093022207), dbus.UInt32(0))


def test_destination_qemud_killed_after_prepare(hosts):
    a, b = hosts
    ga = Guest(a, a.call("DomainLookupByName", "mig1"), "mig1")
    ga.serial = a.root / "mig1.serial"
    ck, xml = ga.call("MigrateBegin3", params(), dbus.UInt32(MIGRATE_LIVE))
    xml = move_serial(xml, a, b, ga.name)
    b.call("DomainMigratePrepare3", params(destination_xml=xml, listen_address="127.0.0.1"),
           cookie_bytes(ck), dbus.UInt32(MIGRATE_LIVE))
    assert len(b.list_domains()) == 1
    b.qemud.restart()
    # the incoming guest that never got its Finish3 is gone
    h.wait_until(lambda: b.list_domains() == [], 30, what="nothing left on B")
    ga.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(MIGRATE_LIVE), 1)
    assert ga.state()[0] == S.RUNNING
    ga.wait_tick_after(ga.last_tick())


def test_offline_migration_moves_the_definition(hosts):
    a, b = hosts
    g = a.define("off1")
    flags = MIGRATE_OFFLINE | MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    ck, uri = b.call("DomainMigratePrepare3", params(destination_xml=xml, listen_address="127.0.0.1"),
                     cookie_bytes(ck), dbus.UInt32(flags))
    assert uri.startswith("tcp:127.0.0.1:"), uri        # libvirt's clients want one
    assert b.list_domains() == []                       # nothing runs for an offline migration
    out = g.call("MigratePerform3", "", params(migrate_uri=uri), cookie_bytes(ck), dbus.UInt32(flags))
    mb = b.mark()
    path, _ = b.call("DomainMigrateFinish3", params(), cookie_bytes(out), dbus.UInt32(flags), 0)
    g.call("MigrateConfirm3", params(), cookie_bytes(b""), dbus.UInt32(flags), 0)
    assert b.state(path) == (S.SHUTOFF, 0) or b.state(path)[0] == S.SHUTOFF
    assert b.prop(path, "Persistent") is True
    b.expect_events(path, mb, [(E.DEFINED, 0)])
    assert "off1" not in [a.prop(p, "Name") for p in a.list_domains()]
    b.dcall(path, "Undefine", dbus.UInt32(0))


LOCKD, LOCKD_PATH, LOCK1 = "org.virtbus.lockd", "/org/virtbus/lockd", "org.virtbus.Lock1"


def leases(env):
    return sorted((str(l[0]), str(l[2])) for l in env.bus.call(LOCKD, LOCKD_PATH, LOCK1, "ListLeases"))


def test_the_disk_lease_moves_with_the_guest(hosts):
    """Shared storage: the lease on the guest's disk is A's while it runs
    there, B's after; B takes it only once A let go (one lockspace)."""
    import subprocess
    a, b = hosts
    disk = a.root / "shared-disk.raw"
    subprocess.run(["truncate", "-s", "4M", str(disk)], check=True)
    g = a.define("disk1", tick=True, disks=[str(disk)])
    g.start()
    g.wait_tick_after(-1, timeout=90)
    assert leases(a) == [(str(disk), "disk1")]
    path, _ = migrate(a, b, g, MIGRATE_LIVE | MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE)
    gb = Guest(b, path, "disk1")
    assert gb.state() == (S.RUNNING, RUNNING_MIGRATED)
    assert leases(b) == [(str(disk), "disk1")]
    h.wait_until(lambda: leases(a) == [], 10, what="A's lease to go")
    gb.serial = b.root / "disk1.serial"
    gb.wait_tick_after(gb.last_tick())
    gb.call("Destroy", dbus.UInt32(0))
    gb.call("Undefine", dbus.UInt32(0))


DBUS = ("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus")
LOCKD_BACK = "lockd is (back) on the bus"


def restart_lockd(env):
    """Stops env's lockd by its pid, has the bus start it again (a call
    activates it) and returns once env's qemud has seen it come back, as
    after lockd's idle exit and activation."""
    import signal
    seen = env.qemud.log_path.read_text().count(LOCKD_BACK)
    if env.bus.call(*DBUS, "NameHasOwner", LOCKD):
        os.kill(int(env.bus.call(*DBUS, "GetConnectionUnixProcessID", LOCKD)), signal.SIGTERM)
        h.wait_until(lambda: not env.bus.call(*DBUS, "NameHasOwner", LOCKD), 10, what="lockd to leave the bus")
    leases(env)
    h.wait_until(lambda: env.qemud.log_path.read_text().count(LOCKD_BACK) > seen, 10,
                 what="qemud to see lockd back")
    env.call("ListDomains", dbus.UInt32(0))  # qemud has run its reaction to lockd's return


def test_lockd_back_during_a_migration_leaves_the_leases_to_it(hosts):
    """Shared storage, each host's lockd stopped and activated again in the
    middle of a migration (as after its idle exit): B's, between Prepare3 and
    Perform3, does not take the incoming guest's lease while A holds it;
    A's, after Perform3 let the lease go, does not take it back for the
    paused source, so B takes it in Finish3 and the guest runs on B."""
    a, b = hosts
    disk = a.root / "shared-disk2.raw"
    subprocess.run(["truncate", "-s", "4M", str(disk)], check=True)
    g = a.define("disk2", tick=True, disks=[str(disk)])
    g.start()
    g.wait_tick_after(-1, timeout=90)
    assert leases(a) == [(str(disk), "disk2")]
    flags = MIGRATE_LIVE | MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    xml = move_serial(xml, a, b, "disk2")
    ck, uri = b.call("DomainMigratePrepare3", params(destination_xml=xml, listen_address="127.0.0.1"),
                     cookie_bytes(ck), dbus.UInt32(flags))
    restart_lockd(b)
    assert "Cannot take the leases of disk2" not in b.qemud.log_path.read_text()
    out = g.call("MigratePerform3", "", params(migrate_uri=uri), cookie_bytes(ck), dbus.UInt32(flags))
    h.wait_until(lambda: leases(a) == [], 10, what="A to let the lease go")
    restart_lockd(a)
    assert leases(a) == []
    path, ck2 = b.call("DomainMigrateFinish3", params(), cookie_bytes(out), dbus.UInt32(flags), 0)
    g.call("MigrateConfirm3", params(), cookie_bytes(ck2), dbus.UInt32(flags), 0)
    gb = Guest(b, path, "disk2")
    assert gb.state() == (S.RUNNING, RUNNING_MIGRATED)
    assert leases(b) == [(str(disk), "disk2")] and leases(a) == []
    gb.serial = b.root / "disk2.serial"
    gb.wait_tick_after(gb.last_tick())
    gb.call("Destroy", dbus.UInt32(0))
    gb.call("Undefine", dbus.UInt32(0))


# --- copied storage (NON_SHARED_DISK / _INC) ------------------------------------------

MIGRATE_PAUSED, MIGRATE_NON_SHARED_DISK, MIGRATE_NON_SHARED_INC = 32, 64, 128
MIB = 1 << 20
CS_DISK = 64 * MIB
MARK_SECTOR = 32 * MIB // 512       # the writer's markers: one 512-byte sector each from here


def console_serial(sock):
    return (f"    <serial type='unix'>\n      <source mode='bind' path='{sock}'/>\n"
            f"      <target port='0'/>\n    </serial>")


def disk_guest(env, name, disk, fmt="raw"):
    """The test guest with vda = disk, its console a root shell on a unix
    socket (virtbus.shell); returns (Guest, Console)."""
    from test_qemud_control import Console
    sock = env.root / f"{name}.console"
    xml = h.guest_domain_xml(env.guest, name, serial_log=None, nic=None, disks=[(str(disk), fmt, "vda")],
                             extra_cmdline="virtbus.shell virtbus.nodhcp", extra_devices=console_serial(sock))
    g = Guest(env, env.call("DomainDefineXML", xml), name)
    g.call("Create", dbus.UInt32(0))
    con = Console(sock)
    con.wait("VIRTBUS-GUEST-READY", 120)
    time.sleep(1)
    con.run("echo shell-up", 30)
    return g, con


def start_writer(con):
    """The guest writes a numbered marker to the next sector of vda every
    50 ms, each through fsync, until stopped."""
    line = (f"(i=0; while :; do printf 'VBMARK%08d' $i | dd of=/dev/vda bs=512 seek=$(({MARK_SECTOR}+i))"
            f" conv=notrunc,fsync 2>/dev/null; i=$((i+1)); usleep 50000; done) >/dev/null 2>&1 &\n")
    con.sock.sendall(line.encode())
    con.run("echo writer-started", 30)


def markers(path):
    """The marker numbers on the disk image at path, in sector order."""
    out = []
    with open(path, "rb") as f:
        f.seek(MARK_SECTOR * 512)
        while True:
            s = f.read(512)
            if not s.startswith(b"VBMARK"):
                return out
            out.append(int(s[6:14]))


def dest_xml_for(xml, src_root, dst_root):
    """A's XML with every path under A's root moved under B's (the console
    socket, the disk)."""
    return xml.replace(str(src_root), str(dst_root))


def copy_storage(a, b, g, flags, dst_params=None, src_params=None):
    """The v3 phases with copied storage; B's XML has B's paths. Returns
    (path on B, Perform3's cookie)."""
    src_params = src_params or {}
    ck, xml = g.call("MigrateBegin3", params(**src_params), dbus.UInt32(flags))
    assert b"<nbd" in bytes(ck) and b"target='vda'" in bytes(ck), bytes(ck)
    xml = dest_xml_for(xml, a.root, b.root)
    ck, uri = b.call("DomainMigratePrepare3",
                     params(destination_xml=xml, listen_address="127.0.0.1", **(dst_params or {})),
                     cookie_bytes(ck), dbus.UInt32(flags))
    m = re.search(rb"<nbd port='(\d+)'>", bytes(ck))
    assert m, bytes(ck)
    out = g.call("MigratePerform3", "", params(migrate_uri=uri, **src_params), cookie_bytes(ck),
                 dbus.UInt32(flags))
    path, ck2 = b.call("DomainMigrateFinish3", params(), cookie_bytes(out), dbus.UInt32(flags), 0)
    g.call("MigrateConfirm3", params(), cookie_bytes(ck2), dbus.UInt32(flags), 0)
    return path, bytes(out)


def test_copy_storage_all_while_the_guest_writes(hosts):
    """--copy-storage-all: B makes the disk (a file of the same size), QEMU
    there serves it over NBD, A mirrors it while the guest keeps writing to
    it, then the memory. B's guest stays paused (PAUSED): the two images
    are byte for byte the same; resumed, it goes on writing where it was."""
    a, b = hosts
    disk_a, disk_b = a.root / "cs1.raw", b.root / "cs1.raw"
    with open(disk_a, "wb") as f:             # 16 MiB of data for the copy, the rest holes
        f.write(os.urandom(16 * MIB))
        f.truncate(CS_DISK)
    g, con = disk_guest(a, "cs1", disk_a)
    start_writer(con)
    h.wait_until(lambda: len(markers(disk_a)) > 5, 60, what="the guest writing its disk")
    flags = MIGRATE_LIVE | MIGRATE_NON_SHARED_DISK | MIGRATE_PAUSED
    try:
        copy_storage_all_checks(a, b, g, con, disk_a, disk_b, flags)
    finally:
        # the tests after this one want no cs1 on either host, whatever happened here
        for e in (a, b):
            drop(e, "cs1")


def drop(env, name):
    """name gone from env, whatever state a failed test left it in."""
    try:
        path = env.call("DomainLookupByName", name)
    except dbus.exceptions.DBusException:
        return
    for method in ("Destroy", "Undefine"):
        try:
            env.dcall(path, method, dbus.UInt32(0))
        except dbus.exceptions.DBusException:
            pass


def copy_storage_all_checks(a, b, g, con, disk_a, disk_b, flags):
    from test_qemud_control import Console
    path, _ = copy_storage(a, b, g, flags)
    con.close()
    gb = Guest(b, path, "cs1")
    assert gb.state()[0] == S.PAUSED
    assert not g.state()[0] == S.RUNNING
    n = markers(disk_b)
    assert len(n) > 5 and n == list(range(len(n))), n[-5:]
    assert disk_b.stat().st_size == CS_DISK
    assert filecmp.cmp(disk_a, disk_b, shallow=False), "the copied disk differs from the source's"
    # resumed on B: the same writer goes on, on B's disk
    gb.call("Resume")
    writes_go_on(lambda: len(markers(disk_b)) > len(n) + 5, "the guest writing on B", b.qemu_log_dir / "cs1.log", "B")
    m = markers(disk_b)
    assert m == list(range(len(m)))
    conb = Console(b.root / "cs1.console")
    h.wait_until(lambda: conb.sock is not None, 30, what="B's console")
    conb.run("echo still-here", 60)
    conb.close()
    gb.call("Destroy", dbus.UInt32(0))
    g.call("Undefine", dbus.UInt32(0))


def test_copy_storage_refuses_a_disk_b_has(hosts):
    """A path that exists on B with other content: Prepare3 refuses before
    anything pauses; B's file untouched, nothing left on B, the guest
    runs on A. migrate_disks naming no disk of the guest: refused at Begin3."""
    a, b = hosts
    disk_a, disk_b = a.root / "cs2.raw", b.root / "cs2.raw"
    subprocess.run(["truncate", "-s", str(CS_DISK), str(disk_a)], check=True)
    disk_b.write_bytes(b"B's own data" * 1000)
    g, con = disk_guest(a, "cs2", disk_a)
    flags = MIGRATE_LIVE | MIGRATE_NON_SHARED_DISK
    with dbus_error("InvalidArg", "vdz"):
        g.call("MigrateBegin3", dbus.Dictionary({"migrate_disks": dbus.String("vdz", variant_level=1)},
                                                signature="sv"), dbus.UInt32(flags))
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    xml = dest_xml_for(xml, a.root, b.root)
    with dbus_error("OperationInvalid", "vda", str(disk_b), "other content"):
        b.call("DomainMigratePrepare3", params(destination_xml=xml, listen_address="127.0.0.1"),
               cookie_bytes(ck), dbus.UInt32(flags))
    g.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
    assert disk_b.read_bytes() == b"B's own data" * 1000
    assert b.list_domains() == []
    assert g.state()[0] == S.RUNNING
    # a cancelled migration takes back the disk B made for it
    disk_b.unlink()
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    ck, uri = b.call("DomainMigratePrepare3",
                     params(destination_xml=dest_xml_for(xml, a.root, b.root), listen_address="127.0.0.1"),
                     cookie_bytes(ck), dbus.UInt32(flags))
    assert disk_b.exists() and disk_b.stat().st_size == CS_DISK
    path, _ = b.call("DomainMigrateFinish3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
    g.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
    h.wait_until(lambda: b.list_domains() == [], 15, what="nothing left on B")
    h.wait_until(lambda: not disk_b.exists(), 15, what="B's disk removed")
    con.run("echo still-here", 60)
    con.close()
    g.call("Destroy", dbus.UInt32(0))
    g.call("Undefine", dbus.UInt32(0))


def test_copy_storage_aborted_while_the_disks_copy(hosts):
    """AbortJob while the mirrors copy (slowed by bandwidth 1 MiB/s, as
    libvirt slows its mirrors): Perform3 fails as cancelled, a cancelled
    Finish3 removes B's disk, Confirm3 resumes nothing (the guest never
    paused): it goes on writing on A. Then --copy-storage-inc (sync top: the
    whole of a disk without a backing chain) moves it."""
    import filecmp
    a, b = hosts
    disk_a, disk_b = a.root / "cs3.raw", b.root / "cs3.raw"
    with open(disk_a, "wb") as f:
        f.write(os.urandom(16 * MIB))
        f.truncate(CS_DISK)
    g, con = disk_guest(a, "cs3", disk_a)
    start_writer(con)
    flags = MIGRATE_LIVE | MIGRATE_NON_SHARED_DISK
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    ck, uri = b.call("DomainMigratePrepare3",
                     params(destination_xml=dest_xml_for(xml, a.root, b.root), listen_address="127.0.0.1"),
                     cookie_bytes(ck), dbus.UInt32(flags))
    argv = ["busctl", f"--address={a.bus.address}", "--timeout=300", "call", "org.virtbus.qemud", g.path,
            "org.libvirt.Domain", "MigratePerform3", "sa{sv}ayu", "", "2", "migrate_uri", "s", uri,
            "bandwidth", "t", "1", str(len(bytes(ck))), *[str(x) for x in bytes(ck)], str(flags)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=a.bus.env)
    h.wait_until(lambda: "Copying the disks of cs3" in a.qemud.log_path.read_text(), 60, 0.1,
                 what="the disks' copy under way")
    time.sleep(1)
    # GetJobStats shows the disks' copy under way (libvirt's disk_* figures)
    typ, st = g.call("GetJobStats", dbus.UInt32(0))
    assert st["disk_total"] == CS_DISK, st
    assert 0 < st["disk_processed"] < CS_DISK and st["disk_processed"] + st["disk_remaining"] == CS_DISK, st
    assert st["data_total"] >= st["disk_total"], st
    g.call("AbortJob")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "cancelled" in err, err
    cancel_on_b(b, ck)
    h.wait_until(lambda: not disk_b.exists(), 15, what="B's disk removed")
    g.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
    assert g.state()[0] == S.RUNNING
    n = len(markers(disk_a))
    h.wait_until(lambda: len(markers(disk_a)) > n + 5, 60, what="the guest writing on A")
    g.call("MigrateSetMaxSpeed", dbus.UInt64(8796093022207), dbus.UInt32(0))   # bandwidth stays, as libvirt's
    # the same again with NON_SHARED_INC, to the end
    path, _ = copy_storage(a, b, g, MIGRATE_LIVE | MIGRATE_NON_SHARED_INC | MIGRATE_PAUSED)
    con.close()
    gb = Guest(b, path, "cs3")
    assert gb.state()[0] == S.PAUSED
    assert filecmp.cmp(disk_a, disk_b, shallow=False), "the copied disk differs from the source's"
    gb.call("Destroy", dbus.UInt32(0))
    g.call("Undefine", dbus.UInt32(0))


def test_copy_storage_inc_copies_the_top_only(hosts):
    """--copy-storage-inc of a qcow2 overlay: Begin3's cookie names its
    backing file; B, which has it, makes its own overlay of it and the
    mirror (sync top) copies the top image only. B without the backing file
    refuses at Prepare3, naming it, and makes nothing."""
    import json
    a, b = hosts
    base, top_a, top_b = a.root / "incbase.raw", a.root / "inc.qcow2", b.root / "inc.qcow2"
    with open(base, "wb") as f:
        f.write(os.urandom(16 * MIB))
        f.truncate(CS_DISK)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(base), str(top_a)], check=True)
    g, con = disk_guest(a, "inc1", top_a, fmt="qcow2")
    start_writer(con)
    time.sleep(2)
    flags = MIGRATE_LIVE | MIGRATE_NON_SHARED_INC | MIGRATE_PAUSED
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    assert f"backing='{base}' backingFormat='raw'".encode() in bytes(ck), bytes(ck)
    bad = bytes(ck).replace(str(base).encode(), b"/nonexistent/incbase.raw")
    with dbus_error("OperationInvalid", "vda", "/nonexistent/incbase.raw", "not on this host"):
        b.call("DomainMigratePrepare3",
               params(destination_xml=dest_xml_for(xml, a.root, b.root), listen_address="127.0.0.1"),
               cookie_bytes(bad), dbus.UInt32(flags))
    g.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
    assert not top_b.exists() and b.list_domains() == []
    path, _ = copy_storage(a, b, g, flags)
    con.close()
    gb = Guest(b, path, "inc1")
    assert gb.state()[0] == S.PAUSED
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", str(top_b)], check=True,
                                     capture_output=True, text=True).stdout)
    assert info["format"] == "qcow2" and info["backing-filename"] == str(base), info
    # only the top came: far less than the base's 16 MiB of data
    assert info["actual-size"] < 8 * MIB, info
    # through their chains, A's disk and B's read the same
    r = subprocess.run(["qemu-img", "compare", "-U", str(top_a), str(top_b)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    gb.call("Destroy", dbus.UInt32(0))
    g.call("Undefine", dbus.UInt32(0))


MIGRATE_TUNNELLED = 4


def test_tunnelled_through_a_pipe(hosts):
    """The tunnel's methods with the test as the two proxies: one pipe from
    A's QEMU (MigratePerform3Tunnel, QEMU's migrate to fd:) to B's
    (DomainMigratePrepareTunnel3, migrate-incoming from fd:); no port
    opened. TUNNELLED on the plain methods, or the tunnel's without it, is
    refused before anything pauses."""
    a, b = hosts
    g = a.define("tun1", tick=True)
    g.start()
    g.wait_ready()
    g.wait_tick_after(0)
    flags = MIGRATE_LIVE | MIGRATE_TUNNELLED | MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    xml = move_serial(xml, a, b, "tun1")
    with dbus_error("InvalidArg", "DomainMigratePrepareTunnel3"):
        b.call("DomainMigratePrepare3", params(destination_xml=xml), cookie_bytes(ck), dbus.UInt32(flags))
    rfd, wfd = os.pipe()
    with dbus_error("InvalidArg", "TUNNELLED"):
        b.call("DomainMigratePrepareTunnel3", params(destination_xml=xml), cookie_bytes(ck),
               dbus.UInt32(MIGRATE_LIVE), dbus.types.UnixFd(rfd))
    assert b.list_domains() == []
    ck, = [b.call("DomainMigratePrepareTunnel3", params(destination_xml=xml), cookie_bytes(ck), dbus.UInt32(flags),
                  dbus.types.UnixFd(rfd))]
    os.close(rfd)
    with dbus_error("InvalidArg", "MigratePerform3Tunnel"):
        g.call("MigratePerform3", "", params(migrate_uri="tcp:127.0.0.1:1"), cookie_bytes(ck), dbus.UInt32(flags))
    assert g.state()[0] == S.RUNNING
    before = g.wait_tick_after(g.last_tick())
    out = g.call("MigratePerform3Tunnel", "", params(), cookie_bytes(ck), dbus.UInt32(flags), dbus.types.UnixFd(wfd))
    os.close(wfd)
    path, ck2 = b.call("DomainMigrateFinish3", params(), cookie_bytes(out), dbus.UInt32(flags), 0)
    g.call("MigrateConfirm3", params(), cookie_bytes(ck2), dbus.UInt32(flags), 0)
    gb = Guest(b, path, "tun1")
    gb.serial = b.root / "tun1.serial"
    try:
        assert gb.state() == (S.RUNNING, RUNNING_MIGRATED)
        first = ticks_go_on(gb, before, "B")
        assert "reads the proxy's tunnel" in b.qemud.log_path.read_text()
    finally:
        # the tests after this one expect nothing on B: tun1 goes whatever happened
        gb.call("Destroy", dbus.UInt32(0))
        gb.call("Undefine", dbus.UInt32(0))


STORAGED = ("org.virtbus.storaged", "/org/virtbus/storaged")


def test_copy_storage_into_a_storaged_volume(hosts):
    """B's definition names a storaged volume for the copied disk: Prepare3
    has B's storaged make it (the source's size, raw), a cancelled Finish3
    deletes it again, a volume already there is refused; then the copy
    lands in it, the same bytes as A's file."""
    import filecmp
    from test_storaged_common import dir_pool_xml
    a, b = hosts
    pool_dir = b.root / "pool"
    pool = b.bus.call(*STORAGED, "org.libvirt.Connect", "StoragePoolDefineXML", dir_pool_xml("mpool", pool_dir),
                      dbus.UInt32(0))
    b.bus.call(STORAGED[0], pool, "org.libvirt.StoragePool", "Build", dbus.UInt32(0))
    b.bus.call(STORAGED[0], pool, "org.libvirt.StoragePool", "Create", dbus.UInt32(0))
    disk_a = a.root / "cs4.raw"
    with open(disk_a, "wb") as f:
        f.write(os.urandom(16 * MIB))
        f.truncate(CS_DISK)
    g, con = disk_guest(a, "cs4", disk_a)
    start_writer(con)
    flags = MIGRATE_LIVE | MIGRATE_NON_SHARED_DISK | MIGRATE_PAUSED

    def to_volume(xml):
        xml = dest_xml_for(xml, a.root, b.root)
        return re.sub(r"<disk type='file' device='disk'>(.*?)<source file='[^']*'/>",
                      r"<disk type='volume' device='disk'>\1<source pool='mpool' volume='cs4.raw'/>", xml,
                      count=1, flags=re.S)

    def volumes():
        try:
            return [str(b.bus.get_property(STORAGED[0], v, "org.libvirt.StorageVol", "Name"))
                    for v in b.bus.call(STORAGED[0], pool, "org.libvirt.StoragePool", "ListStorageVolumes",
                                        dbus.UInt32(0))]
        except dbus.exceptions.DBusException:
            return None         # one went away while we asked

    # made, then deleted by a cancelled Finish3
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    ck, uri = b.call("DomainMigratePrepare3", params(destination_xml=to_volume(xml), listen_address="127.0.0.1"),
                     cookie_bytes(ck), dbus.UInt32(flags))
    assert volumes() == ["cs4.raw"] and (pool_dir / "cs4.raw").stat().st_size == CS_DISK
    b.call("DomainMigrateFinish3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
    g.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
    h.wait_until(lambda: volumes() == [], 15, what="the volume deleted")
    # a volume B has already: refused
    other = b.bus.call(STORAGED[0], pool, "org.libvirt.StoragePool", "StorageVolCreateXML",
                       "<volume><name>cs4.raw</name><capacity>1048576</capacity></volume>", dbus.UInt32(0))
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    with dbus_error("OperationInvalid", "vda", "cs4.raw", "mpool"):
        b.call("DomainMigratePrepare3", params(destination_xml=to_volume(xml), listen_address="127.0.0.1"),
               cookie_bytes(ck), dbus.UInt32(flags))
    g.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
    assert b.list_domains() == [] and g.state()[0] == S.RUNNING
    assert (pool_dir / "cs4.raw").stat().st_size == MIB
    b.bus.call(STORAGED[0], other, "org.libvirt.StorageVol", "Delete", dbus.UInt32(0))
    # and to the end
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    ck, uri = b.call("DomainMigratePrepare3", params(destination_xml=to_volume(xml), listen_address="127.0.0.1"),
                     cookie_bytes(ck), dbus.UInt32(flags))
    out = g.call("MigratePerform3", "", params(migrate_uri=uri), cookie_bytes(ck), dbus.UInt32(flags))
    path, ck2 = b.call("DomainMigrateFinish3", params(), cookie_bytes(out), dbus.UInt32(flags), 0)
    g.call("MigrateConfirm3", params(), cookie_bytes(ck2), dbus.UInt32(flags), 0)
    con.close()
    gb = Guest(b, path, "cs4")
    assert gb.state()[0] == S.PAUSED
    assert "<source pool='mpool' volume='cs4.raw'" in gb.call("GetXMLDesc", dbus.UInt32(0))
    assert filecmp.cmp(disk_a, pool_dir / "cs4.raw", shallow=False), "the volume differs from A's disk"
    gb.call("Destroy", dbus.UInt32(0))
    g.call("Undefine", dbus.UInt32(0))


def test_destination_qemud_killed_after_copy_prepare(hosts):
    """B's qemud SIGKILLed after a copy-storage Prepare3: restarted, it kills
    the incoming guest and removes the disk it made for it (the live state
    named it); the guest runs on A."""
    a, b = hosts
    disk_a, disk_b = a.root / "cs5.raw", b.root / "cs5.raw"
    subprocess.run(["truncate", "-s", str(CS_DISK), str(disk_a)], check=True)
    g, con = disk_guest(a, "cs5", disk_a)
    flags = MIGRATE_LIVE | MIGRATE_NON_SHARED_DISK
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    ck, uri = b.call("DomainMigratePrepare3",
                     params(destination_xml=dest_xml_for(xml, a.root, b.root), listen_address="127.0.0.1"),
                     cookie_bytes(ck), dbus.UInt32(flags))
    assert disk_b.exists()
    assert f"<created file='{disk_b}'/>" in b.status_file("cs5").read_text()
    b.qemud.restart()
    h.wait_until(lambda: b.list_domains() == [], 30, what="nothing left on B")
    h.wait_until(lambda: not disk_b.exists(), 15, what="B's disk removed")
    g.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
    assert g.state()[0] == S.RUNNING
    con.run("echo still-here", 60)
    con.close()
    g.call("Destroy", dbus.UInt32(0))
    g.call("Undefine", dbus.UInt32(0))


def test_source_qemud_killed_while_the_disks_copy(hosts):
    """A's qemud SIGKILLed while the mirrors copy (1 MiB/s): restarted, it
    cancels them and removes their nbd nodes, the guest runs on; B's side is
    cancelled; a new copy-storage migration then goes through."""
    import filecmp
    a, b = hosts
    disk_a, disk_b = a.root / "cs6.raw", b.root / "cs6.raw"
    with open(disk_a, "wb") as f:
        f.write(os.urandom(16 * MIB))
        f.truncate(CS_DISK)
    g, con = disk_guest(a, "cs6", disk_a)
    flags = MIGRATE_LIVE | MIGRATE_NON_SHARED_DISK
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    ck, uri = b.call("DomainMigratePrepare3",
                     params(destination_xml=dest_xml_for(xml, a.root, b.root), listen_address="127.0.0.1"),
                     cookie_bytes(ck), dbus.UInt32(flags))
    argv = ["busctl", f"--address={a.bus.address}", "--timeout=300", "call", "org.virtbus.qemud", g.path,
            "org.libvirt.Domain", "MigratePerform3", "sa{sv}ayu", "", "2", "migrate_uri", "s", uri,
            "bandwidth", "t", "1", str(len(bytes(ck))), *[str(x) for x in bytes(ck)], str(flags)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=a.bus.env)
    h.wait_until(lambda: "Copying the disks of cs6" in a.qemud.log_path.read_text(), 60, 0.1,
                 what="the disks' copy under way")
    time.sleep(1)
    a.qemud.restart()
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    h.wait_until(lambda: g.state()[0] == S.RUNNING, 30, what="cs6 running on A")
    cancel_on_b(b, ck)
    h.wait_until(lambda: not disk_b.exists(), 15, what="B's disk removed")
    g.call("MigrateConfirm3", params(), cookie_bytes(ck), dbus.UInt32(flags), 1)
    g.call("MigrateSetMaxSpeed", dbus.UInt64(8796093022207), dbus.UInt32(0))
    path, _ = copy_storage(a, b, g, flags | MIGRATE_PAUSED)
    con.close()
    gb = Guest(b, path, "cs6")
    assert filecmp.cmp(disk_a, disk_b, shallow=False)
    gb.call("Destroy", dbus.UInt32(0))
    g.call("Undefine", dbus.UInt32(0))


def test_spice_clients_are_told_where_the_guest_goes(hosts):
    """B's Prepare3 cookie names its SPICE server (type, port, listen); A's
    QEMU hears it (client_migrate_info) before the memory moves and accepts
    it; a VNC guest's cookie names its server too, and its QEMU hears
    nothing (VNC has no relocation)."""
    a, b = hosts
    for kind in ("spice", "vnc"):
        name = f"gfx{kind}"
        g = a.create_transient(name, tick=True, extra_devices=(
            f"    <graphics type='{kind}' autoport='yes' listen='127.0.0.1'/>"))
        g.wait_ready()
        ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(MIGRATE_LIVE))
        xml = move_serial(xml, a, b, name)
        ck, uri = b.call("DomainMigratePrepare3", params(destination_xml=xml, listen_address="127.0.0.1"),
                         cookie_bytes(ck), dbus.UInt32(MIGRATE_LIVE | MIGRATE_PEER2PEER))
        m = re.search(rb"<graphics type='(\w+)' port='(\d+)' listen='127\.0\.0\.1'/>", bytes(ck))
        assert m and m.group(1).decode() == kind, bytes(ck)
        port = int(m.group(2))
        out = g.call("MigratePerform3", "", params(migrate_uri=uri), cookie_bytes(ck), dbus.UInt32(MIGRATE_LIVE))
        path, ck2 = b.call("DomainMigrateFinish3", params(), cookie_bytes(out), dbus.UInt32(MIGRATE_LIVE), 0)
        g.call("MigrateConfirm3", params(), cookie_bytes(ck2), dbus.UInt32(MIGRATE_LIVE), 0)
        gb = Guest(b, path, name)
        assert re.search(rf"<graphics type='{kind}' port='{port}'", gb.call("GetXMLDesc", 0))
        told = f"SPICE clients of {name} are to reconnect to spice://127.0.0.1:{port}"
        log = a.qemud.log_path.read_text()
        if kind == "spice":
            assert told in log
        else:
            assert f"SPICE clients of {name}" not in log
        gb.call("Destroy", 0)
