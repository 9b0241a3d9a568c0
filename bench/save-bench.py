#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Save and Restore of a 256 MiB guest: virtbus-qemud beside libvirt 9.0, in
the same run.

    /usr/bin/python3 bench/save-bench.py        (as root; make first)

The guest is the test guest (tests/.guest, or $VIRTBUS_GUEST_DIR: Debian's
kernel and a busybox initramfs, built by the integration tests), booted with
TCG to its init, 256 MiB, 1 vCPU, no disk, console to a file. Each side boots
it once, waits for its READY line, then Save -> Restore RUNS times (call to
answer; Restore answers once the guest runs again). Figures: seconds, MiB/s
of guest memory (256 MiB / seconds) and the save file's size; for virtbus
also each compressed format its host has (save_image_format in qemud.conf).
libvirt saves raw: its save_image_format is in /etc/libvirt/qemu.conf, the
system's, which this bench leaves alone.

The plumbing (private dbus-daemon, libvirtd under bench/qemud-libvirtd-wrap.py
in its own mount namespace, clean-up by pid) is bench/qemud-bench.py's,
imported. Environment: VIRTBUS_BUILD, VIRTBUS_BENCH_NO_LIBVIRT=1 as there;
VIRTBUS_SAVE_BENCH_RUNS (default 3)."""

import importlib.util
import os
import shutil
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("qemud_bench", REPO / "bench" / "qemud-bench.py")
qb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qb)

RUNS = int(os.environ.get("VIRTBUS_SAVE_BENCH_RUNS", "3"))
GUEST_DIR = Path(os.environ.get("VIRTBUS_GUEST_DIR", REPO / "tests" / ".guest"))
MEMORY_MIB = 256
READY = b"VIRTBUS-GUEST-READY"
NAME = qb.PREFIX + "save"

GUEST_XML = """<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>{mib}</memory>
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
    <serial type='file'><source path='{serial}'/><target port='0'/></serial>
  </devices>
</domain>
"""


def median(v):
    return statistics.median(v) if v else None


class SaveBench(qb.Bench):
    def __init__(self):
        super().__init__()
        self.rows = {}      # (side, format) -> {"save": [s], "restore": [s], "size": bytes}

    def guest_files(self):
        kernel = GUEST_DIR / "vmlinux"
        if not kernel.exists():
            kernel = GUEST_DIR / "vmlinuz"
        initrd = GUEST_DIR / "initrd.gz"
        if not kernel.exists() or not initrd.exists():
            sys.exit(f"save-bench: no test guest in {GUEST_DIR} (run the integration tests once, "
                     "or set VIRTBUS_GUEST_DIR)")
        # In the bench's directory (0755), so libvirt's QEMU user reads them too.
        k, i = self.work / kernel.name, self.work / "initrd.gz"
        shutil.copy(kernel, k)
        shutil.copy(initrd, i)
        os.chmod(k, 0o644)
        os.chmod(i, 0o644)
        return k, i

    def xml(self, serial):
        serial.write_bytes(b"")
        os.chmod(serial, 0o666)
        return GUEST_XML.format(name=NAME, uuid=uuid.uuid4(), mib=MEMORY_MIB, kernel=self.kernel,
                                initrd=self.initrd, qemu=qb.QEMU, serial=serial)

    def wait_ready(self, serial, label):
        qb.wait_for(lambda: READY in serial.read_bytes(), 180, f"{label}: the guest's READY", interval=0.1)
        time.sleep(2)     # its ticking loop and DHCP settle

    def record(self, side, fmt, save_s, restore_s, size):
        r = self.rows.setdefault((side, fmt), {"save": [], "restore": [], "size": size})
        r["save"].append(save_s)
        r["restore"].append(restore_s)
        r["size"] = size

    # ---------------------------------------------------------------- virtbus
    def qemud_conf(self, text):
        f = self.work / "root" / "etc" / "virtbus" / "qemud.conf"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)

    def bench_virtbus(self):
        self.start_qemud()
        serial = self.work / "vb.serial"
        path = str(self.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT, "org.libvirt.Connect", "DomainDefineXML", "s",
                              self.xml(serial)))
        dom = lambda m, sig="", *a: self.dcall(qb.QEMUD_DEST, path, "org.libvirt.Domain", m, sig, *a)  # noqa: E731
        qb.log("virtbus-qemud: booting the guest (TCG)")
        dom("Create", "u", 0)
        self.wait_ready(serial, "virtbus")
        formats = ["raw"] + [f for f in ("gzip", "zstd", "xz") if shutil.which(f)]
        for fmt in formats:
            self.qemud_conf(f"save_image_format = {fmt}\n")
            for _ in range(RUNS if fmt == "raw" else 1):
                f = self.work / f"vb-{fmt}.save"
                qb.log(f"virtbus-qemud: Save/Restore ({fmt})")
                t0 = time.perf_counter()
                dom("Save", "ssu", str(f), "", 0)
                t1 = time.perf_counter()
                self.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT, "org.libvirt.Connect", "DomainRestore", "ssu", str(f), "", 0)
                t2 = time.perf_counter()
                state = int(dom("GetState", "u", 0)[0])
                if state != 1:
                    raise RuntimeError(f"virtbus: state after Restore is {state}, not running")
                self.record("vb", fmt, t1 - t0, t2 - t1, f.stat().st_size)
                f.unlink()
                time.sleep(1)
        self.qemud_conf("")
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
        dom = c.defineXML(self.xml(serial))
        qb.log("libvirtd: booting the guest (TCG)")
        dom.create()
        self.wait_ready(serial, "libvirt")
        for _ in range(RUNS):
            f = self.work / "lv-raw.save"
            qb.log("libvirtd: save/restore (raw)")
            t0 = time.perf_counter()
            dom.save(str(f))
            t1 = time.perf_counter()
            c.restore(str(f))
            t2 = time.perf_counter()
            dom = c.lookupByName(NAME)
            if dom.state()[0] != 1:
                raise RuntimeError(f"libvirt: state after restore is {dom.state()}")
            self.record("lv", "raw", t1 - t0, t2 - t1, f.stat().st_size)
            f.unlink()
            time.sleep(1)
        dom.destroy()
        self.lv_cleanup(c)
        c.close()
        self.stop_libvirtd()

    # ---------------------------------------------------------------- report
    def report(self, elapsed):
        print(f"\nSave and Restore of a {MEMORY_MIB} MiB test guest (TCG, booted to its init), "
              f"median of {RUNS} runs (compressed formats: 1 run)")
        print(f"{'':22} {'save s':>8} {'MiB/s':>8} {'restore s':>10} {'MiB/s':>8} {'file MiB':>9}")
        for (side, fmt), r in sorted(self.rows.items(), key=lambda kv: (kv[0][0] != "vb", kv[0][1] != "raw")):
            s, rs = median(r["save"]), median(r["restore"])
            who = "virtbus-qemud" if side == "vb" else "libvirt 9.0"
            print(f"{who + ' ' + fmt:22} {s:8.2f} {MEMORY_MIB / s:8.0f} {rs:10.2f} {MEMORY_MIB / rs:8.0f} "
                  f"{r['size'] / 2**20:9.1f}")
        if self.lv_skip:
            print(f"libvirt: n/a ({self.lv_skip})")
        if self.vb_error:
            print(f"virtbus: failed ({self.vb_error})")
        for line in self.ref + self.notes:
            print(f"  {line}")
        print(f"(bench took {elapsed:.0f} s; load average {os.getloadavg()[0]:.2f})")


def run(b):
    """Runs bench b (a SaveBench or one built like it, from another bench
    file): virtbus, then libvirt, then the report; cleans up on any end."""
    t_start = time.monotonic()

    def on_signal(sig, frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rc = 0
    try:
        b.setup()
        b.kernel, b.initrd = b.guest_files()
        try:
            b.bench_virtbus()
        except Exception as e:     # noqa: BLE001 - libvirt's figures still count
            b.vb_error = f"{type(e).__name__}: {e}"
            print(b.tail("virtbus-qemud.log", 30))
            rc = 1
            b.stop(b.qemud)
            b.qemud = None
        try:
            b.bench_libvirt()
        except qb.Skip as e:
            b.lv_skip = str(e)
        except Exception as e:     # noqa: BLE001
            b.lv_skip = f"libvirt part failed: {e}"
            rc = 1
        b.report(time.monotonic() - t_start)
    except KeyboardInterrupt as e:
        qb.log(f"interrupted ({e})")
        rc = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        b.cleanup()
    return rc



def main():
    return run(SaveBench())


if __name__ == "__main__":
    sys.exit(main())
