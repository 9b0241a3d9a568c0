#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live migration of a 256 MiB guest between two virtbus-qemud instances on
this machine (two roots, two private buses, tcp on loopback).

    /usr/bin/python3 bench/migrate-bench.py      (as root; make first)

The test guest (tests/.guest or $VIRTBUS_GUEST_DIR) boots with TCG on A; it
then moves A -> B -> A ... RUNS times per case, the bench playing the
proxy's part in the v3 phases (Begin3, Prepare3, Perform3, Finish3,
Confirm3). The cases:

  idle      shared storage, the guest idle (ticking on its console)
  dirty     shared storage, the guest rewriting 32 MiB of random data in
            its memory (a tmpfs file) in a loop the whole time
  copy      copied storage (NON_SHARED_DISK): a 1 GiB raw disk holding
            256 MiB of data, mirrored over NBD, then the memory; each run
            the destination makes the file anew
  tunnel    the idle guest, TUNNELLED: qemud's tunnel methods with one pipe
            between the two QEMUs (what the proxies' stream carries between
            hosts, without the proxies)

Figures, the median of the runs:

  total     Begin3's call to Confirm3's answer (what `virsh migrate` waits)
  downtime  QEMU's own "downtime" (Perform3's cookie, from query-migrate)
  paused    the window the daemons add to it: Perform3's answer (QEMU on A
            said completed) to Finish3's answer (B's QEMU runs again), as
            seen by the caller; the guest is paused through all of it

libvirt 9.0 beside it is not measured here: it needs two libvirtds (two
hosts), which this bench does not run yet.
Environment: VIRTBUS_GUEST_DIR, VIRTBUS_MIGRATE_BENCH_RUNS (default 3),
VIRTBUS_MIGRATE_BENCH_CASES (default "idle dirty copy tunnel")."""

import os
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

import dbus  # noqa: E402

import virtbus_harness as h  # noqa: E402
from test_qemud_common import QemudEnv, Guest  # noqa: E402
from test_qemud_control import Console  # noqa: E402

RUNS = int(os.environ.get("VIRTBUS_MIGRATE_BENCH_RUNS", "3"))
CASES = os.environ.get("VIRTBUS_MIGRATE_BENCH_CASES", "idle dirty copy tunnel").split()
LIVE, TUNNELLED, NON_SHARED_DISK = 1, 4, 64
MIB = 1 << 20
DISK = 1024 * MIB
DISK_DATA = 256 * MIB


def params(**kw):
    return dbus.Dictionary({k: dbus.String(v, variant_level=1) for k, v in kw.items()}, signature="sv")


def ay(v):
    return dbus.ByteArray(bytes(v) if v else b"")


def one(src, dst, g, flags):
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
        ck, uri = dst.call("DomainMigratePrepare3", params(destination_xml=xml, listen_address="127.0.0.1"),
                           ay(ck), dbus.UInt32(flags))
        out = g.call("MigratePerform3", "", params(migrate_uri=uri), ay(ck), dbus.UInt32(flags))
    t1 = time.monotonic()
    path, ck = dst.call("DomainMigrateFinish3", params(), ay(out), dbus.UInt32(flags), 0)
    t2 = time.monotonic()
    g.call("MigrateConfirm3", params(), ay(ck), dbus.UInt32(flags), 0)
    t3 = time.monotonic()
    m = re.search(rb"<downtime>(\d+)</downtime>", bytes(out))
    return Guest(dst, path, g.name), {"total": t3 - t0, "downtime": int(m.group(1)) / 1000.0, "paused": t2 - t1}


def shell_guest(env, name, disks=()):
    """The test guest with a root shell on a unix socket console; returns
    (Guest, Console) once the shell answers."""
    sock = env.root / f"{name}.console"
    extra = (f"    <serial type='unix'>\n      <source mode='bind' path='{sock}'/>\n"
             f"      <target port='0'/>\n    </serial>")
    xml = h.guest_domain_xml(env.guest, name, serial_log=None, nic=None, disks=disks,
                             extra_cmdline="virtbus.shell virtbus.nodhcp", extra_devices=extra)
    g = Guest(env, env.call("DomainCreateXML", xml, dbus.UInt32(0)), name)
    con = Console(sock)
    con.wait("VIRTBUS-GUEST-READY", 180)
    time.sleep(1)
    con.run("echo shell-up", 60)
    return g, con


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
        con.run("dd if=/dev/urandom of=/dev/shm/r bs=1M count=32 2>/dev/null", 300)
        con.sock.sendall(b"(while :; do cat /dev/shm/r > /dev/shm/d; done) >/dev/null 2>&1 &\n")
        con.run("echo dirtying", 60)
        con.close()
    else:
        flags |= NON_SHARED_DISK
        disk = a.root / "bench-copy.raw"
        with open(disk, "wb") as f:
            for _ in range(DISK_DATA // (16 * MIB)):
                f.write(os.urandom(16 * MIB))
            f.truncate(DISK)
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


def main():
    guest = h.build_guest()
    envs = []
    results = {}
    try:
        for tag in "ab":
            e = QemudEnv(guest)
            (e.root / "etc" / "virtbus" / "host-uuid").write_text(f"22222222-0000-4000-8000-00000000000{tag}\n")
            envs.append(e)
        a, b = envs
        for case in CASES:
            t = time.monotonic()
            results[case] = run_case(case, a, b)
            print(f"  ({case}: {time.monotonic() - t:.0f} s)", file=sys.stderr)
        load = os.getloadavg()[0]
        print(f"migrate-bench: 256 MiB TCG guest, two qemuds, tcp on loopback, {RUNS} runs per case, load {load:.2f}")
        print(f"  {'case':6s} {'total ms':>10s} {'downtime ms':>12s} {'paused ms':>10s}   (median; min-max)")
        for case, rows in results.items():
            cells = []
            for k in ("total", "downtime", "paused"):
                v = [r[k] * 1000 for r in rows]
                cells.append((statistics.median(v), min(v), max(v)))
            print(f"  {case:6s} " + " ".join(f"{m:10.1f}" if i != 1 else f"{m:12.1f}" for i, (m, _, _) in enumerate(cells))
                  + "   " + ", ".join(f"{lo:.0f}-{hi:.0f}" for _, lo, hi in cells))
        if "copy" in results:
            print(f"  copy: a {DISK // MIB} MiB raw disk with {DISK_DATA // MIB} MiB of data, mirrored over NBD")
        print("  libvirt 9.0: not measured in this run (needs two libvirtds)")
    finally:
        for e in envs:
            e.close()


if __name__ == "__main__":
    main()
