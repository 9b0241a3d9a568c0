#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Block jobs: virtbus-qemud beside libvirt 9.0, in the same run.

    /usr/bin/python3 bench/blockjob-bench.py        (as root; make first)

The guest is the test guest (tests/.guest or $VIRTBUS_GUEST_DIR, TCG, 256
MiB, booted to its init) with three disks, made anew for each side:

  vda  copy.raw    1 GiB of data (not sparse: every byte is copied)
  vdb  ctop.qcow2  (128 MiB written) <- cbase.raw (256 MiB of data)
  vdc  ptop.qcow2  (nothing written)  <- pbase.raw (256 MiB of data)

and measures, each side the same way (calls, then GetBlockJobInfo polled
every 10 ms, as a client without events would):

  copy      BlockCopy of vda to a new raw file, from the call to the job's
            cur == end (ready), VIRTBUS_BLOCKJOB_BENCH_RUNS times (default 2),
            then the pivot (BlockJobAbort PIVOT, synchronous: call to answer);
            each run copies back from where the last one pivoted to;
  cp        just before each copy, `cp --reflink=never` of the same image to
            a new file in the same directory (same disk, same page cache):
            what the copy is held against (target: BlockCopy >= 90 % of cp's
            MiB/s);
  commit    active BlockCommit of vdb (ctop into cbase) to ready, then its pivot;
  pull      BlockPull of vdc to the end of the job (the chain flattened).

Figures: seconds and MiB/s of the disk's size (copy: 1024 MiB; commit: the
128 MiB the overlay holds; pull: the 256 MiB pulled up).

The plumbing (private dbus-daemon, libvirtd under bench/qemud-libvirtd-wrap.py
in its own mount namespace, clean-up by pid) is bench/qemud-bench.py's, the
guest's files and READY wait bench/save-bench.py's, both imported.
Environment: VIRTBUS_BUILD, VIRTBUS_BENCH_NO_LIBVIRT=1 as there."""

import importlib.util
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


qb = _load("qemud_bench", "qemud-bench.py")
sb = _load("save_bench", "save-bench.py")

RUNS = int(os.environ.get("VIRTBUS_BLOCKJOB_BENCH_RUNS", "2"))
MIB = 1 << 20
COPY_MIB, COMMIT_MIB, PULL_MIB = 1024, 128, 256
NAME = qb.PREFIX + "blockjob"
ABORT_PIVOT = 2
COMMIT_ACTIVE = 4

GUEST_XML = """<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>{kernel}</kernel>
    <initrd>{initrd}</initrd>
    <cmdline>console=ttyS0 panic=-1 virtbus.tick=1</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <emulator>{qemu}</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/><source file='{d}/copy.raw'/><target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/><source file='{d}/ctop.qcow2'/><target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/><source file='{d}/ptop.qcow2'/><target dev='vdc' bus='virtio'/>
    </disk>
    <serial type='file'><source path='{serial}'/><target port='0'/></serial>
  </devices>
</domain>
"""


def fill(path, mib, byte):
    chunk = bytes([byte]) * MIB
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(chunk)


def run(*argv):
    subprocess.run([str(a) for a in argv], check=True, capture_output=True)


def make_disks(d):
    """The three disks of the module docstring, in d (made for each side)."""
    d.mkdir(parents=True, exist_ok=True)
    fill(d / "copy.raw", COPY_MIB, 0x5a)
    fill(d / "cbase.raw", 256, 0x11)
    run("qemu-img", "create", "-q", "-f", "qcow2", "-b", d / "cbase.raw", "-F", "raw", d / "ctop.qcow2")
    run("qemu-io", "-f", "qcow2", "-c", f"write -P 0x22 0 {COMMIT_MIB}M", d / "ctop.qcow2")
    fill(d / "pbase.raw", PULL_MIB, 0x33)
    run("qemu-img", "create", "-q", "-f", "qcow2", "-b", d / "pbase.raw", "-F", "raw", d / "ptop.qcow2")
    for f in d.iterdir():
        os.chmod(f, 0o666)
    os.sync()


class BlockJobBench(sb.SaveBench):
    def __init__(self):
        super().__init__()
        self.times = {}     # (side, what) -> [s]

    def guest_xml(self, d, serial):
        serial.write_bytes(b"")
        os.chmod(serial, 0o666)
        return GUEST_XML.format(name=NAME, uuid=uuid.uuid4(), kernel=self.kernel, initrd=self.initrd,
                                qemu=qb.QEMU, d=d, serial=serial)

    def note(self, side, what, s):
        self.times.setdefault((side, what), []).append(s)
        qb.log(f"{side}: {what} {s:.2f} s")

    def measure(self, side, info, copy, abort, commit, pull, d):
        """The jobs of the docstring through one side's calls: info(disk) ->
        (type, bandwidth, cur, end); copy(disk, dest); abort(disk, flags);
        commit(disk, flags); pull(disk)."""
        def wait(disk, done):
            deadline = time.monotonic() + 900
            while True:
                i = info(disk)
                if done(i):
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{side}: the job on {disk} did not end: {i}")
                time.sleep(0.01)
        ready = lambda i: i[0] != 0 and i[3] > 0 and i[2] == i[3]   # noqa: E731
        src = d / "copy.raw"
        for n in range(RUNS):
            dest = d / f"copy-{n}.raw"
            self.note(side, "cp", self.cp_time(src, d / f"cp-{n}.raw"))
            qb.log(f"{side}: BlockCopy of 1 GiB ({n + 1}/{RUNS})")
            os.sync()   # neither pays for the other's writeback
            t0 = time.perf_counter()
            copy("vda", dest)
            wait("vda", ready)
            t1 = time.perf_counter()
            abort("vda", ABORT_PIVOT)
            t2 = time.perf_counter()
            self.note(side, "copy", t1 - t0)
            self.note(side, "copy pivot", t2 - t1)
            src = dest
        qb.log(f"{side}: active BlockCommit of {COMMIT_MIB} MiB")
        t0 = time.perf_counter()
        commit("vdb", COMMIT_ACTIVE)
        wait("vdb", ready)
        t1 = time.perf_counter()
        abort("vdb", ABORT_PIVOT)
        t2 = time.perf_counter()
        self.note(side, "commit", t1 - t0)
        self.note(side, "commit pivot", t2 - t1)
        qb.log(f"{side}: BlockPull of {PULL_MIB} MiB")
        t0 = time.perf_counter()
        pull("vdc")
        wait("vdc", lambda i: i[0] == 0)
        self.note(side, "pull", time.perf_counter() - t0)

    def cp_time(self, src, dest):
        """cp of the image the copy reads, onto the same disk: seconds.
        --reflink=never: a clone would copy nothing."""
        os.sync()
        t0 = time.perf_counter()
        run("cp", "--reflink=never", "--sparse=never", src, dest)
        s = time.perf_counter() - t0
        os.unlink(dest)
        return s

    # ---------------------------------------------------------------- virtbus
    def bench_virtbus(self):
        d = self.work / "vb-img"
        make_disks(d)
        self.start_qemud()
        serial = self.work / "vb.serial"
        path = str(self.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT, "org.libvirt.Connect", "DomainDefineXML", "s",
                              self.guest_xml(d, serial)))
        dom = lambda m, sig="", *a: self.dcall(qb.QEMUD_DEST, path, "org.libvirt.Domain", m, sig, *a)  # noqa: E731
        qb.log("virtbus-qemud: booting the guest (TCG)")
        dom("Create", "u", 0)
        self.wait_ready(serial, "virtbus")
        self.measure(
            "vb", lambda disk: tuple(int(x) for x in dom("GetBlockJobInfo", "su", disk, 0)),
            lambda disk, dest: dom("BlockCopy", "ssa{sv}u", disk,
                                   f"<disk type='file'><source file='{dest}'/><driver type='raw'/></disk>",
                                   {}, 0),
            lambda disk, flags: dom("BlockJobAbort", "su", disk, flags),
            lambda disk, flags: dom("BlockCommit", "ssstu", disk, "", "", 0, flags),
            lambda disk: dom("BlockPull", "stu", disk, 0, 0), d)
        dom("Destroy", "u", 0)
        qb.wait_for(lambda: int(dom("GetState", "u", 0)[0]) == 5, 30, "virtbus guest shut off")
        dom("Undefine", "u", 0)
        self.stop_qemud()
        subprocess.run(["rm", "-rf", str(d)], check=False)

    # ---------------------------------------------------------------- libvirt
    def bench_libvirt(self):
        self.libvirt_preflight()
        import libvirt
        libvirt.registerErrorHandler(lambda c, e: None, None)
        if not qb.procs_named("virtlogd"):
            self.virtlogd = self.spawn([qb.VIRTLOGD], "virtlogd.log", env=self.env_nobus(), start_new_session=True)
            qb.wait_for(lambda: os.path.exists("/run/libvirt/virtlogd-sock") or self.virtlogd.poll() is not None,
                        30, "virtlogd's socket")
        d = self.work / "lv-img"
        make_disks(d)
        self.start_libvirtd()
        c = self.lv_open()
        v = c.getLibVersion()
        self.ref.append(f"libvirtd {v // 1000000}.{v // 1000 % 1000}.{v % 1000}")
        serial = self.work / "lv.serial"
        self.lv_defined = True
        dom = c.defineXML(self.guest_xml(d, serial))
        qb.log("libvirtd: booting the guest (TCG)")
        dom.create()
        self.wait_ready(serial, "libvirt")

        def info(disk):
            i = dom.blockJobInfo(disk, 0)
            return (i["type"], i["bandwidth"], i["cur"], i["end"]) if i else (0, 0, 0, 0)

        # libvirt copies a persistent domain's disk only as a transient job
        self.measure(
            "lv", info,
            lambda disk, dest: dom.blockCopy(disk, f"<disk type='file'><source file='{dest}'/>"
                                                   "<driver type='raw'/></disk>",
                                             None, libvirt.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB),
            lambda disk, flags: dom.blockJobAbort(disk, flags),
            lambda disk, flags: dom.blockCommit(disk, None, None, 0, flags),
            lambda disk: dom.blockPull(disk, 0, 0), d)
        dom.destroy()
        self.lv_cleanup(c)
        c.close()
        self.stop_libvirtd()
        subprocess.run(["rm", "-rf", str(d)], check=False)

    # ---------------------------------------------------------------- report
    def report(self, elapsed):
        sizes = {"copy": COPY_MIB, "cp": COPY_MIB, "commit": COMMIT_MIB, "pull": PULL_MIB}
        print(f"\nBlock jobs of the test guest (TCG), copy: median of {RUNS} runs; commit, pull: 1 run")
        print(f"{'':34} {'virtbus s':>10} {'MiB/s':>7} {'libvirt s':>10} {'MiB/s':>7}")
        for what, label in (("copy", f"BlockCopy {COPY_MIB} MiB to ready"), ("cp", f"  cp of the same {COPY_MIB} MiB"),
                            ("copy pivot", "  its pivot"),
                            ("commit", f"active BlockCommit {COMMIT_MIB} MiB"), ("commit pivot", "  its pivot"),
                            ("pull", f"BlockPull {PULL_MIB} MiB")):
            cells = []
            for side in ("vb", "lv"):
                v = self.times.get((side, what))
                if not v:
                    cells.append(f"{'n/a':>10} {'':>7}")
                    continue
                s = statistics.median(v)
                rate = f"{sizes[what] / s:7.0f}" if what in sizes else f"{'':>7}"
                cells.append(f"{s:10.3f} {rate}")
            print(f"{label:34} {' '.join(cells)}")
        for side, name in (("vb", "virtbus"), ("lv", "libvirt")):
            copy, cp = self.times.get((side, "copy")), self.times.get((side, "cp"))
            if copy and cp:
                pct = 100 * statistics.median(cp) / statistics.median(copy)
                print(f"{name}: BlockCopy at {pct:.0f} % of cp's MiB/s (target >= 90 %)")
        if self.lv_skip:
            print(f"libvirt: n/a ({self.lv_skip})")
        if self.vb_error:
            print(f"virtbus: failed ({self.vb_error})")
        for line in self.ref + self.notes:
            print(f"  {line}")
        print(f"(bench took {elapsed:.0f} s; load average {os.getloadavg()[0]:.2f})")


def main():
    return sb.run(BlockJobBench())


if __name__ == "__main__":
    sys.exit(main())
