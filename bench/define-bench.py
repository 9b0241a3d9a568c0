#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""DomainDefineXML of a large virt-manager-style document in virtbus-qemud,
beside libvirt 9.0's defineXML of the same document, in the same run.

    /usr/bin/python3 bench/define-bench.py        (as root; make first)

The document is tests/data/domain/virt-manager-desktop.xml (a desktop guest
as virt-manager writes it, about 7 KiB: q35, UEFI-less, SPICE, QXL, USB
redirection, virtio disks and NIC, channels). Each side defines it RUNS times
(VIRTBUS_BENCH_RUNS, default 200) under a new name and uuid, one call at a
time on one connection, and undefines every one afterwards. Each define goes
through the whole define path: parse, the model's and the driver's checks,
addresses, libvirt's define-time rules (qemud/qemu-rules.c), the config file
written and synced. Prints median and p99 of one call, and the load.

Then many defines at once: PARALLEL documents (VIRTBUS_BENCH_PARALLEL, default
1000) defined from CLIENTS connections at once, as definitions per second,
beside the disk's own rate of durable file replacements measured in the same
run in the same folder (write, fsync, rename, fsync of the folder: what one
define needs when it is alone), and its rate of plain fsyncs (one small file
rewritten and synced). qemud flushes the definitions that arrive together as
one batch (common/sync-batch.c), so many clients may define faster than one
durable write at a time allows; the defines' rate is also printed as a
multiple of the durable-write rate. VIRTBUS_BENCH_CLIENTS sets the clients
(default 8); VIRTBUS_BENCH_PARALLEL=10000 gives the issue's figure.

The plumbing (private bus, virtbus-qemud --root, libvirtd under
bench/qemud-libvirtd-wrap.py, clean-up of everything started here) is
qemud-bench.py's Bench, imported, not copied. VIRTBUS_BENCH_NO_LIBVIRT=1
skips libvirt. Bench domains are named vbqb<pid>-*.
"""

import importlib.util
import os
import re
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("qemud_bench", REPO / "bench" / "qemud-bench.py")
qb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qb)

RUNS = int(os.environ.get("VIRTBUS_BENCH_RUNS", "200"))
PARALLEL = int(os.environ.get("VIRTBUS_BENCH_PARALLEL", "1000"))
CLIENTS = int(os.environ.get("VIRTBUS_BENCH_CLIENTS", "8"))
DOC = (REPO / "tests" / "data" / "domain" / "virt-manager-desktop.xml").read_text()
if not os.path.exists("/dev/kvm"):
    # libvirt refuses to define a kvm guest on a host without KVM, and a
    # host-passthrough CPU on TCG: both sides get the same TCG document.
    DOC = DOC.replace("<domain type='kvm'", "<domain type='qemu'", 1)
    DOC = DOC.replace("<cpu mode='host-passthrough' check='none' migratable='on'/>",
                      "<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>", 1)


def document(i):
    """The document as the i-th domain: its own name, uuid and MAC."""
    doc = re.sub(r"<name>[^<]*</name>", f"<name>{qb.PREFIX}def{i}</name>", DOC, count=1)
    doc = re.sub(r"<uuid>[^<]*</uuid>", f"<uuid>{uuid.uuid4()}</uuid>", doc, count=1)
    return re.sub(r"<mac address='[^']*'/>", f"<mac address='52:54:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:"
                  f"{i & 255:02x}'/>", doc)


def figures(v):
    v = sorted(v)
    return {"median": v[len(v) // 2], "p99": v[min(len(v) - 1, (len(v) * 99) // 100)], "n": len(v)}


def run(define, undefine):
    times, handles = [], []
    try:
        for i in range(RUNS + 1):       # the first one warms up
            doc = document(i)
            t0 = time.perf_counter()
            h = define(doc)
            t1 = time.perf_counter()
            handles.append(h)
            if i:
                times.append(t1 - t0)
    finally:
        for h in handles:
            undefine(h)
    return figures(times)


def run_parallel(connect, define, undefine):
    """PARALLEL defines from CLIENTS threads, each with its own connection
    (connect()); definitions per second."""
    local, handles = threading.local(), []
    docs = [document(RUNS + 1 + i) for i in range(PARALLEL)]

    def one(doc):
        if not hasattr(local, "conn"):
            local.conn = connect()
        return define(local.conn, doc)
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(lambda i: one(docs[i]), range(CLIENTS)))   # connect and warm up
            t0 = time.perf_counter()
            handles = list(pool.map(one, docs[CLIENTS:]))
            rate = (len(docs) - CLIENTS) / (time.perf_counter() - t0)
    finally:
        for i in range(CLIENTS):
            undefine(qb.PREFIX + f"def{RUNS + 1 + i}", None)
        for h in handles:
            undefine(None, h)
    return rate


def disk_rate(folder, n=200):
    """Durable replacements of a small file per second in folder, one at a
    time: what write_file_atomic() costs."""
    data = b"x" * len(DOC)
    dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    t0 = time.perf_counter()
    try:
        for i in range(n):
            tmp, path = folder / f".bench-{i}.tmp", folder / f".bench-{i}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, data)
            os.fsync(fd)
            os.close(fd)
            os.rename(tmp, path)
            os.fsync(dfd)
        return n / (time.perf_counter() - t0)
    finally:
        os.close(dfd)
        for i in range(n):
            (folder / f".bench-{i}").unlink(missing_ok=True)


def fsync_rate(folder, n=200):
    """Plain fsyncs per second: one small file rewritten in place and synced."""
    path = folder / ".bench-fsync"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            os.pwrite(fd, b"x" * 512, 0)
            os.fsync(fd)
        return n / (time.perf_counter() - t0)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


def bench_virtbus(b):
    import dbus
    b.start_qemud()
    conn, dom = "org.libvirt.Connect", "org.libvirt.Domain"
    res = run(lambda x: b.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT, conn, "DomainDefineXML", "s", x),
              lambda p: b.dcall(qb.QEMUD_DEST, p, dom, "Undefine", "u", 0))
    qb.log(f"virtbus: {PARALLEL} defines from {CLIENTS} clients at once")

    def undefine(name, path):
        if name:
            path = b.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT, conn, "DomainLookupByName", "s", name)
        b.dcall(qb.QEMUD_DEST, path, dom, "Undefine", "u", 0)
    c0 = qb.cpu_s(b.qemud.pid)
    res["parallel"] = run_parallel(
        lambda: dbus.bus.BusConnection(b.bus_address),
        lambda c, x: c.call_blocking(qb.QEMUD_DEST, qb.QEMUD_ROOT, conn, "DomainDefineXML", "s", (x,), timeout=600),
        undefine)
    # qemud's CPU for each define and undefine of the parallel part: near
    # 1/rate, the daemon's CPU is the limit, not the disk.
    c1 = qb.cpu_s(b.qemud.pid)
    if c0 is not None and c1 is not None:
        res["cpu_ms"] = (c1 - c0) * 1e3 / PARALLEL
    res["disk"] = disk_rate(b.work / "root" / "etc" / "virtbus" / "qemu")
    res["fsync"] = fsync_rate(b.work / "root" / "etc" / "virtbus" / "qemu")
    b.stop_qemud()
    return res


def bench_libvirt(b):
    b.libvirt_preflight()
    import libvirt
    libvirt.registerErrorHandler(lambda c, e: None, None)
    b.start_libvirtd()
    c = b.lv_open()
    b.lv_defined = True
    try:
        res = run(c.defineXML, lambda d: d.undefine())
        qb.log(f"libvirt: {PARALLEL} defines from {CLIENTS} clients at once")
        res["parallel"] = run_parallel(b.lv_open, lambda lc, x: lc.defineXML(x).name(),
                                       lambda name, h: c.lookupByName(name or h).undefine())
        res["disk"] = disk_rate(Path("/etc/libvirt/qemu"))
        res["fsync"] = fsync_rate(Path("/etc/libvirt/qemu"))
    finally:
        b.lv_defined = False
        c.close()
        b.stop_libvirtd()
    return res


def show(vb, lv, lv_skip, elapsed):
    def fmt(s):
        return "n/a" if not s else f"{s['median'] * 1e3:.2f} ms / {s['p99'] * 1e3:.2f} ms"
    print(f"\nDomainDefineXML of virt-manager-desktop.xml ({len(DOC)} bytes), {RUNS} calls each; "
          f"load average {os.getloadavg()[0]:.1f}; {elapsed:.0f} s")
    print(f"{'figure':<22} | {'virtbus':<24} | {'libvirt 9.0':<24} | ratio")
    ratio = f"{lv['median'] / vb['median']:.1f}x" if vb and lv and vb["median"] > 0 else "n/a"
    print(f"{'define: median / p99':<22} | {fmt(vb):<24} | {fmt(lv):<24} | {ratio}")

    def rate(side, key):
        return "n/a" if not side or key not in side else f"{side[key]:.0f}/s"
    print(f"{f'{PARALLEL} defines, {CLIENTS} clients':<22} | {rate(vb, 'parallel'):<24} | {rate(lv, 'parallel'):<24} |")
    print(f"{'disk: durable writes':<22} | {rate(vb, 'disk'):<24} | {rate(lv, 'disk'):<24} | (same folder as the defines)")
    print(f"{'disk: plain fsyncs':<22} | {rate(vb, 'fsync'):<24} | {rate(lv, 'fsync'):<24} |")

    def times(side):
        return "n/a" if not side or not side.get("disk") else f"{side['parallel'] / side['disk']:.2f}x"
    if vb and "cpu_ms" in vb:
        print(f"{'qemud CPU a define':<22} | {vb['cpu_ms']:.1f} ms (with its undefine)  | {'':<24} | "
              f"a CPU's limit {1e3 / vb['cpu_ms']:.0f}/s")
    print(f"{'defines / durable wr.':<22} | {times(vb):<24} | {times(lv):<24} | (above 1: flushes shared)")
    if lv_skip:
        print(f"libvirt: {lv_skip}")
    for what, load in qb.LOADS:
        print(f"  load {load:5.1f}  {what}")


def main():
    t0 = time.monotonic()
    b = qb.Bench()
    vb = lv = None
    lv_skip = None
    rc = 0
    try:
        b.setup()
        qb.log(f"virtbus: define x{RUNS}")
        vb = bench_virtbus(b)
        try:
            qb.log(f"libvirt: define x{RUNS}")
            lv = bench_libvirt(b)
        except qb.Skip as e:
            lv_skip = str(e)
        except Exception as e:     # noqa: BLE001 - virtbus figures still count
            lv_skip = f"libvirt part failed: {e}"
            rc = 1
        show(vb, lv, lv_skip, time.monotonic() - t0)
    except KeyboardInterrupt:
        rc = 130
    finally:
        b.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
