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

The plumbing (private bus, virtbus-qemud --root, libvirtd under
bench/qemud-libvirtd-wrap.py, clean-up of everything started here) is
qemud-bench.py's Bench, imported, not copied. VIRTBUS_BENCH_NO_LIBVIRT=1
skips libvirt. Bench domains are named vbqb<pid>-*.
"""

import importlib.util
import os
import re
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("qemud_bench", REPO / "bench" / "qemud-bench.py")
qb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qb)

RUNS = int(os.environ.get("VIRTBUS_BENCH_RUNS", "200"))
DOC = (REPO / "tests" / "data" / "domain" / "virt-manager-desktop.xml").read_text()


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


def bench_virtbus(b):
    b.start_qemud()
    conn, dom = "org.libvirt.Connect", "org.libvirt.Domain"
    res = run(lambda x: b.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT, conn, "DomainDefineXML", "s", x),
              lambda p: b.dcall(qb.QEMUD_DEST, p, dom, "Undefine", "u", 0))
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
