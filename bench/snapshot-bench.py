#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Snapshots of a running 256 MiB guest: internal (create, revert), external
disk-only and external with memory (create, delete: the overlay merged
back with block-commit), virtbus-qemud beside libvirt 9.0, in the same run.

    /usr/bin/python3 bench/snapshot-bench.py        (as root; make first)

The guest is save-bench's (the test guest, TCG, 256 MiB, 1 vCPU, ticking),
with one 64 MiB qcow2 disk that holds the snapshots (disks and memory
state). Each side boots it once, waits for its READY line, then RUNS times:
SnapshotCreateXML (call to answer: the guest is paused, its state written,
and it runs again) and Revert to it (the state loaded, running again), then
the snapshot is deleted; then an external disk-only snapshot (a new
overlay put on top while it runs) and an external one with memory (the
guest paused, its memory written to a file, the overlay, running again),
each deleted after (block-commit of the overlay into the disk). Figures:
milliseconds, median and spread.

Plumbing (private dbus-daemon, libvirtd in its own mount namespace, guest
files, clean-up by pid) is bench/qemud-bench.py's and bench/save-bench.py's,
imported. Environment: VIRTBUS_BUILD, VIRTBUS_BENCH_NO_LIBVIRT=1 as there;
VIRTBUS_SNAPSHOT_BENCH_RUNS (default 3)."""

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


sb = _load("save_bench", "save-bench.py")
qb = sb.qb

RUNS = int(os.environ.get("VIRTBUS_SNAPSHOT_BENCH_RUNS", "3"))
DISK_ONLY = 16
OPS = ("create", "revert", "ext-create", "ext-delete", "mem-create", "mem-delete")
NAME = qb.PREFIX + "snap"
DISK_XML = """    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
"""


class SnapshotBench(sb.SaveBench):
    def __init__(self):
        super().__init__()
        self.times = {}     # (side, op) -> [s]

    def disk(self, side):
        d = self.work / f"{side}-disk.qcow2"
        if d.exists():
            d.unlink()
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(d), "64M"], check=True)
        os.chmod(d, 0o666)
        return d

    def xml_with_disk(self, serial, disk):
        xml = self.xml(serial).replace(sb.NAME, NAME)
        return xml.replace("  </devices>", DISK_XML.format(disk=disk) + "  </devices>")

    def note(self, side, op, seconds):
        self.times.setdefault((side, op), []).append(seconds)

    def external_xml(self, side, name, memory):
        ov = self.work / f"{side}-disk.{name}"
        mem = self.work / f"{side}-{name}.mem"
        for f in (ov, mem):
            if f.exists():
                f.unlink()
        m = f"<memory snapshot='external' file='{mem}'/>" if memory else ""
        return (f"<domainsnapshot><name>{name}</name>{m}<disks><disk name='vda' snapshot='external'>"
                f"<source file='{ov}'/></disk></disks></domainsnapshot>")

    def timed(self, side, op, fn):
        t0 = time.perf_counter()
        r = fn()
        self.note(side, op, time.perf_counter() - t0)
        return r

    # ---------------------------------------------------------------- virtbus
    def bench_virtbus(self):
        self.start_qemud()
        serial = self.work / "vb.serial"
        xml = self.xml_with_disk(serial, self.disk("vb"))
        path = str(self.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT, "org.libvirt.Connect", "DomainDefineXML", "s", xml))
        dom = lambda m, sig="", *a: self.dcall(qb.QEMUD_DEST, path, "org.libvirt.Domain", m, sig, *a)  # noqa: E731

        def snap(p, m, sig="", *a):
            return self.dcall(qb.QEMUD_DEST, p, "org.libvirt.DomainSnapshot", m, sig, *a)
        qb.log("virtbus-qemud: booting the guest (TCG)")
        dom("Create", "u", 0)
        self.wait_ready(serial, "virtbus")
        for i in range(RUNS):
            qb.log(f"virtbus-qemud: snapshot create/revert {i + 1}/{RUNS}")
            t0 = time.perf_counter()
            p = str(dom("SnapshotCreateXML", "su", f"<domainsnapshot><name>b{i}</name></domainsnapshot>", 0))
            t1 = time.perf_counter()
            time.sleep(1)
            snap(p, "Revert", "u", 0)
            t2 = time.perf_counter()
            if int(dom("GetState", "u", 0)[0]) != 1:
                raise RuntimeError("virtbus: the guest does not run after the revert")
            self.note("vb", "create", t1 - t0)
            self.note("vb", "revert", t2 - t1)
            snap(p, "Delete", "u", 0)
            for kind, memory in (("ext", False), ("mem", True)):
                x = self.external_xml("vb", f"{kind}{i}", memory)
                p = str(self.timed("vb", f"{kind}-create",
                                   lambda: dom("SnapshotCreateXML", "su", x, 0 if memory else DISK_ONLY)))
                if int(dom("GetState", "u", 0)[0]) != 1:
                    raise RuntimeError(f"virtbus: the guest does not run after the {kind} snapshot")
                self.timed("vb", f"{kind}-delete", lambda: snap(p, "Delete", "u", 0))
        dom("Destroy", "u", 0)
        qb.wait_for(lambda: int(dom("GetState", "u", 0)[0]) == 5, 30, "virtbus guest shut off")
        dom("Undefine", "u", 0)
        self.stop_qemud()

    # ---------------------------------------------------------------- libvirt
    def bench_libvirt(self):
        self.libvirt_preflight()
        import libvirt
        libvirt.registerErrorHandler(lambda c, e: None, None)
        if not qb.procs_named("virtlogd"):
            self.virtlogd = self.spawn([qb.VIRTLOGD], "virtlogd.log", env=self.env_nobus(), start_new_session=True)
            qb.wait_for(lambda: os.path.exists("/run/libvirt/virtlogd-sock") or self.virtlogd.poll() is not None,
                        30, "virtlogd's socket")
        self.start_libvirtd()
        c = self.lv_open()
        v = c.getLibVersion()
        self.ref.append(f"libvirtd {v // 1000000}.{v // 1000 % 1000}.{v % 1000}")
        serial = self.work / "lv.serial"
        self.lv_defined = True
        dom = c.defineXML(self.xml_with_disk(serial, self.disk("lv")))
        qb.log("libvirtd: booting the guest (TCG)")
        dom.create()
        self.wait_ready(serial, "libvirt")
        for i in range(RUNS):
            qb.log(f"libvirtd: snapshot create/revert {i + 1}/{RUNS}")
            t0 = time.perf_counter()
            s = dom.snapshotCreateXML(f"<domainsnapshot><name>b{i}</name></domainsnapshot>", 0)
            t1 = time.perf_counter()
            time.sleep(1)
            dom.revertToSnapshot(s, 0)
            t2 = time.perf_counter()
            if dom.state()[0] != 1:
                raise RuntimeError(f"libvirt: state after revert is {dom.state()}")
            self.note("lv", "create", t1 - t0)
            self.note("lv", "revert", t2 - t1)
            s.delete(0)
            for kind, memory in (("ext", False), ("mem", True)):
                x = self.external_xml("lv", f"{kind}{i}", memory)
                s = self.timed("lv", f"{kind}-create",
                               lambda: dom.snapshotCreateXML(x, 0 if memory else DISK_ONLY))
                if dom.state()[0] != 1:
                    raise RuntimeError(f"libvirt: state after the {kind} snapshot is {dom.state()}")
                self.timed("lv", f"{kind}-delete", lambda: s.delete(0))
        dom.destroy()
        for s in dom.listAllSnapshots():
            s.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
        self.lv_cleanup(c)
        c.close()
        self.stop_libvirtd()

    # ---------------------------------------------------------------- report
    def report(self, elapsed):
        print(f"\nSnapshots of a running {sb.MEMORY_MIB} MiB test guest (TCG, booted to its init), {RUNS} runs, "
              "ms: internal (disks and memory state in its qcow2 disk) create and revert; external disk-only "
              "(ext) and with memory (mem) create, and their delete (block-commit back)")
        print(f"{'':16}" + "".join(f" {op:>21}" for op in OPS))
        for side, who in (("vb", "virtbus-qemud"), ("lv", "libvirt 9.0")):
            if (side, "create") not in self.times:
                continue
            cols = [qb.spread(qb.stats(self.times[(side, op)]), 1000.0, "{:.0f}") if (side, op) in self.times
                    else "n/a" for op in OPS]
            print(f"{who:16}" + "".join(f" {c:>21}" for c in cols))
        if self.lv_skip:
            print(f"libvirt: n/a ({self.lv_skip})")
        if self.vb_error:
            print(f"virtbus: failed ({self.vb_error})")
        for line in self.ref + self.notes:
            print(f"  {line}")
        print(f"(bench took {elapsed:.0f} s; load average {os.getloadavg()[0]:.2f})")


def main():
    return sb.run(SnapshotBench())


if __name__ == "__main__":
    sys.exit(main())
