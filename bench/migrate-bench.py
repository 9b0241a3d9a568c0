#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live migration of a 256 MiB guest between two hosts: two network
namespaces joined by a veth (h.NetnsPair), a virtbus-qemud with its own root
and private bus in each, then two private libvirtds (libvirt 9.0) in the
same two namespaces, in the same run.

    /usr/bin/python3 bench/migrate-bench.py      (as root; make first)

The test guest (tests/.guest or $VIRTBUS_GUEST_DIR) boots with TCG on A; it
then moves A -> B -> A ... RUNS times per case. With virtbus the bench
plays the proxy's part in the v3 phases (Begin3, Prepare3, Perform3,
Finish3, Confirm3); with libvirt it asks A's libvirtd for a p2p live
migration (migrateToURI3 to qemu+tcp://B, the stream to tcp://B's address),
as `virsh migrate --live --p2p` does. The cases:

  idle      shared storage, the guest idle (ticking on its console)
  dirty     shared storage, the guest rewriting 32 MiB of random data in
            its memory (a tmpfs file) in a loop the whole time
  copy      copied storage (NON_SHARED_DISK): a 1 GiB raw disk holding
            256 MiB of data, mirrored over NBD, then the memory; each run
            the destination makes the file anew
  tunnel    the idle guest, TUNNELLED: qemud's tunnel methods with one pipe
            between the two QEMUs (what the proxies' stream carries between
            hosts, without the proxies); virtbus only

Figures, the median of the runs:

  total     Begin3's call to Confirm3's answer (what `virsh migrate` waits)
  downtime  QEMU's own "downtime" (Perform3's cookie, from query-migrate)
  stopped   RESUME on B minus STOP on A, QEMU's own event timestamps
            (host clock; qemud logs them for a migration): the guest's whole
            pause
  daemons   stopped - downtime: the daemons' share of the pause (A's qemud
            hearing QEMU completed, the answer, the caller, B's Finish3 up
            to its "cont"), as issue 15 defines it. Target < 10 ms. It
            holds B's QEMU still loading the stream after A's QEMU sent it
            all (and QEMU's own downtime figure is coarse on TCG).
  after     RESUME on B minus the later of the two QEMUs' MIGRATION
            "completed" events: the pause left once both QEMUs were done,
            the daemons' and the caller's alone
  paused    Perform3's answer (QEMU on A said completed) to Finish3's
            answer (B's QEMU runs again), as seen by the caller

With libvirt: total (migrateToURI3's call to its return) and downtime
(libvirt's own figure in B's completed job: from A's libvirtd seeing QEMU's
STOP to B's guest running, the daemons' share included, the window of
virtbus's "stopped"; libvirt does not pass on QEMU's own). libvirt's two daemons (bench/migrate_libvirt.py)
run in a mount namespace each, with the bench's folders over libvirt's, so
a system libvirtd and its domains are never touched. For "copy" libvirt
makes no plain file on B: the bench makes it empty and the guest's
destination XML names it.

Environment: VIRTBUS_GUEST_DIR, VIRTBUS_MIGRATE_BENCH_RUNS (default 3),
VIRTBUS_MIGRATE_BENCH_CASES (default "idle dirty copy tunnel"),
VIRTBUS_MIGRATE_BENCH_LIBVIRT=0 (virtbus only)."""

import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

import dbus  # noqa: E402

import virtbus_harness as h  # noqa: E402
from test_qemud_common import QemudEnv, Guest  # noqa: E402
from test_qemud_control import Console  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import migrate_libvirt  # noqa: E402

RUNS = int(os.environ.get("VIRTBUS_MIGRATE_BENCH_RUNS", "3"))
CASES = os.environ.get("VIRTBUS_MIGRATE_BENCH_CASES", "idle dirty copy tunnel").split()
if set(CASES) - {"idle", "dirty", "copy", "tunnel"}:
    sys.exit(f"migrate-bench: VIRTBUS_MIGRATE_BENCH_CASES={' '.join(CASES)}: the cases are idle, dirty, copy "
             "and tunnel, separated by spaces")
LIVE, TUNNELLED, NON_SHARED_DISK = 1, 4, 64
MIB = 1 << 20
DISK = 1024 * MIB
DISK_DATA = 256 * MIB


def params(**kw):
    return dbus.Dictionary({k: dbus.String(v, variant_level=1) for k, v in kw.items()}, signature="sv")


def ay(v):
    return dbus.ByteArray(bytes(v) if v else b"")


STAMP = re.compile(rb"Migration of (\S+): QEMU (stopped the guest|resumed the guest|completed the incoming stream|"
                   rb"completed the outgoing stream) at (\d+\.\d+)")


def log_size(env):
    try:
        return env.qemud.log_path.stat().st_size
    except FileNotFoundError:
        return 0


def stamp(env, since, name, what, wait=5.0):
    """QEMU's timestamp of its STOP (A), RESUME (B) or MIGRATION completed
    (both) for this migration, from the line qemud logs
    (qemu_migrate_note_event); None if none came."""
    end = time.monotonic() + wait
    while True:
        with open(env.qemud.log_path, "rb") as f:
            f.seek(since)
            hits = [float(m.group(3)) for m in STAMP.finditer(f.read())
                    if m.group(1).decode() == name and m.group(2).decode() == what]
        if hits or time.monotonic() > end:
            return hits[-1] if hits else None
        time.sleep(0.05)


def one(src, dst, g, flags):
    """One migration, the bench playing the proxy's part; (the guest on dst, figures)."""
    since = (log_size(src), log_size(dst))
    t0 = time.monotonic()
    ck, xml = g.call("MigrateBegin3", params(), dbus.UInt32(flags))
    xml = xml.replace(str(src.root), str(dst.root))
    if flags & TUNNELLED:
        rfd, wfd = os.pipe()
        ck = dst.call("DomainMigratePrepareTunnel3", params(destination_xml=xml), ay(ck), dbus.UInt32(flags),
                      dbus.types.UnixFd(rfd))
        os.close(rfd)
        out = g.call("MigratePerform3Tunnel", "", params(), ay(ck), dbus.UInt32(flags), dbus.types.UnixFd(wfd))
        os.close(wfd)
    else:
        ck, uri = dst.call("DomainMigratePrepare3", params(destination_xml=xml, listen_address=dst.addr),
                           ay(ck), dbus.UInt32(flags))
        out = g.call("MigratePerform3", "", params(migrate_uri=uri), ay(ck), dbus.UInt32(flags))
    t1 = time.monotonic()
    path, ck = dst.call("DomainMigrateFinish3", params(), ay(out), dbus.UInt32(flags), 0)
    t2 = time.monotonic()
    g.call("MigrateConfirm3", params(), ay(ck), dbus.UInt32(flags), 0)
    t3 = time.monotonic()
    m = re.search(rb"<downtime>(\d+)</downtime>", bytes(out))
    downtime = int(m.group(1)) / 1000.0
    stop = stamp(src, since[0], g.name, "stopped the guest")
    resume = stamp(dst, since[1], g.name, "resumed the guest")
    out_done = stamp(src, since[0], g.name, "completed the outgoing stream")
    in_done = stamp(dst, since[1], g.name, "completed the incoming stream")
    nan = float("nan")
    fig = {"total": t3 - t0, "downtime": downtime, "paused": t2 - t1, "stopped": nan, "daemons": nan,
           "after": nan}
    if stop and resume:
        fig["stopped"] = resume - stop
        fig["daemons"] = resume - stop - downtime
    if resume and out_done and in_done:
        fig["after"] = resume - max(out_done, in_done)
    return Guest(dst, path, g.name), fig


def shell_xml(guest, name, sock, disks=()):
    """The test guest with a root shell on a unix socket console."""
    extra = (f"    <serial type='unix'>\n      <source mode='bind' path='{sock}'/>\n"
             f"      <target port='0'/>\n    </serial>")
    return h.guest_domain_xml(guest, name, serial_log=None, nic=None, disks=disks,
                              extra_cmdline="virtbus.shell virtbus.nodhcp", extra_devices=extra)


def shell_up(sock):
    """The shell on the console at sock, once it answers."""
    con = Console(sock)
    con.wait("VIRTBUS-GUEST-READY", 180)
    time.sleep(1)
    con.run("echo shell-up", 60)
    return con


def shell_guest(env, name, disks=()):
    """(Guest, Console) of the test guest with a root shell."""
    sock = env.root / f"{name}.console"
    g = Guest(env, env.call("DomainCreateXML", shell_xml(env.guest, name, sock, disks), dbus.UInt32(0)), name)
    return g, shell_up(sock)


def start_dirtying(con):
    """The guest rewrites 32 MiB of random data in its memory, in a loop."""
    con.run("dd if=/dev/urandom of=/dev/shm/r bs=1M count=32 2>/dev/null", 300)
    con.sock.sendall(b"(while :; do cat /dev/shm/r > /dev/shm/d; done) >/dev/null 2>&1 &\n")
    con.run("echo dirtying", 60)
    con.close()


def make_disk(path):
    """A DISK-sized raw file holding DISK_DATA of random data."""
    with open(path, "wb") as f:
        for _ in range(DISK_DATA // (16 * MIB)):
            f.write(os.urandom(16 * MIB))
        f.truncate(DISK)


def run_case(case, a, b):
    rows = []
    flags = LIVE
    if case in ("idle", "tunnel"):
        g = a.create_transient(f"bench-{case}", tick=True)
        g.wait_ready()
        if case == "tunnel":
            flags |= TUNNELLED
    elif case == "dirty":
        g, con = shell_guest(a, "bench-dirty")
        start_dirtying(con)
    else:
        flags |= NON_SHARED_DISK
        disk = a.root / "bench-copy.raw"
        make_disk(disk)
        g, con = shell_guest(a, "bench-copy", disks=[(str(disk), "raw", "vda")])
        con.close()
    src, dst = a, b
    for i in range(RUNS):
        if case == "copy":
            stale = dst.root / "bench-copy.raw"
            if stale.exists():
                stale.unlink()          # last run's source: B would refuse it
        g, fig = one(src, dst, g, flags)
        rows.append(fig)
        src, dst = dst, src
        time.sleep(1)
    g.call("Destroy", dbus.UInt32(0))
    return rows


def lv_run_case(case, a, b, guest, work):
    """The case with libvirt: the same guest created on libvirtd A, moved
    A -> B -> A ... RUNS times (p2p live); rows of total and downtime."""
    name = f"lvbench-{case}"
    flags = 0
    if case == "idle":
        xml = h.guest_domain_xml(guest, name, serial_log=work / f"{name}.serial", extra_cmdline="virtbus.tick=1")
        a.conn.createXML(xml, 0)
        h.wait_until(lambda: b"VIRTBUS-GUEST-READY" in (work / f"{name}.serial").read_bytes(), 180, 0.5,
                     "the libvirt guest to boot")
    elif case == "dirty":
        sock = work / f"{name}.console"
        a.conn.createXML(shell_xml(guest, name, sock), 0)
        start_dirtying(shell_up(sock))
    else:
        flags = migrate_libvirt.NON_SHARED_DISK
        disks = {x: x.t / "bench-copy.raw" for x in (a, b)}
        make_disk(disks[a])
        sock = work / f"{name}.console"
        a.conn.createXML(shell_xml(guest, name, sock, disks=[(str(disks[a]), "raw", "vda")]), 0)
        shell_up(sock).close()
    rows = []
    src, dst = a, b
    for i in range(RUNS):
        dest_xml = None
        if case == "copy":
            # libvirt makes no plain file for a copy: B's is made empty, the
            # guest's XML names it instead of A's
            with open(disks[dst], "wb") as f:
                f.truncate(DISK)
            dest_xml = src.conn.lookupByName(name).XMLDesc(src.libvirt.VIR_DOMAIN_XML_MIGRATABLE)
            dest_xml = dest_xml.replace(str(disks[src]), str(disks[dst]))
        total, downtime = migrate_libvirt.migrate(src, dst, name, flags, dest_xml)
        rows.append({"total": total, "downtime": downtime})
        src, dst = dst, src
        time.sleep(1)
    src.conn.lookupByName(name).destroy()
    return rows


def libvirt_cases(pair, guest, work):
    """The cases with two libvirtds (not tunnel); {case: rows} or the reason
    they could not run."""
    why = migrate_libvirt.unavailable()
    if why:
        return why
    hosts = []
    results = {}
    try:
        for i in (0, 1):
            hosts.append(migrate_libvirt.LibvirtHost(REPO, work / f"lv-{'ab'[i]}", pair, i,
                                                     f"44444444-0000-4000-8000-00000000000{'ab'[i]}"))
        for case in CASES:
            if case == "tunnel":
                continue
            t = time.monotonic()
            results[case] = lv_run_case(case, hosts[0], hosts[1], guest, work)
            print(f"  (libvirt {case}: {time.monotonic() - t:.0f} s)", file=sys.stderr)
    except Exception as e:               # noqa: BLE001 - said in the output
        tails = " | ".join(f"libvirtd {'ab'[i]}: " + x.tail(600).replace("\n", " ")
                           for i, x in enumerate(hosts))
        return f"{type(e).__name__}: {e} ({tails})" if not results else results
    finally:
        for x in hosts:
            x.close()
    return results


def print_rows(label, results, keys):
    print(f"  {label}")
    print(f"  {'case':6s} " + " ".join(f"{k + ' ms':>12s}" for k in keys) + "   (median; min-max)")
    for case, rows in results.items():
        cells = []
        for k in keys:
            v = [r[k] * 1000 for r in rows if r[k] == r[k]] or [float("nan")]
            cells.append((statistics.median(v), min(v), max(v)))
        print(f"  {case:6s} " + " ".join(f"{m:12.1f}" for m, _, _ in cells)
              + "   " + ", ".join(f"{lo:.1f}-{hi:.1f}" for _, lo, hi in cells))


def main():
    why = h.NetnsPair.unavailable()
    if why:
        print(f"migrate-bench: skipped: {why}")
        return
    guest = h.build_guest()
    pair = h.NetnsPair()
    envs = []
    results = {}
    work = Path(tempfile.mkdtemp(prefix="migrate-bench-"))
    try:
        for i, tag in enumerate("ab"):
            e = QemudEnv(guest, netns=pair.argv(i))
            e.addr = pair.addrs[i]
            (e.root / "etc" / "virtbus" / "host-uuid").write_text(f"22222222-0000-4000-8000-00000000000{tag}\n")
            envs.append(e)
        a, b = envs
        for case in CASES:
            t = time.monotonic()
            results[case] = run_case(case, a, b)
            print(f"  (virtbus {case}: {time.monotonic() - t:.0f} s)", file=sys.stderr)
        for e in envs:
            e.close()
        envs = []
        lv = "skipped (VIRTBUS_MIGRATE_BENCH_LIBVIRT=0)"
        if os.environ.get("VIRTBUS_MIGRATE_BENCH_LIBVIRT", "1") != "0":
            lv = libvirt_cases(pair, guest, work)
        load = os.getloadavg()[0]
        print(f"migrate-bench: 256 MiB TCG guest, two hosts in two network namespaces (a veth), "
              f"{RUNS} runs per case, load {load:.2f}")
        print_rows("virtbus (two qemuds, the bench as the proxy):", results,
                   ("total", "downtime", "stopped", "daemons", "after", "paused"))
        if isinstance(lv, dict):
            print_rows("libvirt 9.0 (two libvirtds, p2p live; downtime: libvirt's own, B's completed job, from "
                       "A's STOP to B's resume with the daemons, virtbus's 'stopped'):", lv,
                       ("total", "downtime"))
        else:
            print(f"  libvirt 9.0: not measured: {lv}")
        if "copy" in results:
            print(f"  copy: a {DISK // MIB} MiB raw disk with {DISK_DATA // MIB} MiB of data, mirrored over NBD")
    finally:
        for e in envs:
            e.close()
        pair.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
