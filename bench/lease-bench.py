#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Guest start with 8 writable disks, with and without disk leases: virtbus
(qemud + lockd) beside libvirt 9.0 with virtlockd, in the same run.

    /usr/bin/python3 bench/lease-bench.py        (as root; make first)

One guest (64 MiB, 1 vCPU, TCG, firmware only) with 8 raw disks (sparse
files, virtio), started RUNS times by python-libvirt's dom.create() (after one
warm-up start), destroyed in between:
- virtbus through virtbus-proxyd, without lockd (no leases: qemud finds no
  lock manager on the bus, like libvirt's default "nop" driver), then with
  virtbus-lockd running (8 leases, in its lockspace; taken on lockd's private
  socket, the 8 in one AcquireMany);
- libvirtd with lock_manager = "lockd" and a virtlockd of its own (8 leases
  in file_lockspace_dir, as virtbus's lockspace).
While each guest runs the bench checks that 8 leases are held: lockd's
ListLeases for virtbus, the lock files of the lockspace locked by another
process (F_GETLK) for libvirt.

The plumbing (private bus, virtbus-qemud, -storaged and -proxyd; libvirtd in
a mount namespace of its own under /tmp/vbp-bench-*, clean-up by pid) is
bench/proxy-bench.py's; virtlockd runs in libvirtd's namespace, started
before it. Environment: VIRTBUS_BUILD, VIRTBUS_BENCH_NO_LIBVIRT=1,
VIRTBUS_BENCH_KEEP=1 as there; VIRTBUS_LEASE_RUNS (default 7)."""

import fcntl
import importlib.util
import os
import struct
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import dbus

REPO = Path(__file__).resolve().parents[1]


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


pb = _load("proxy_bench", "proxy-bench.py")
log = pb.log

RUNS = int(os.environ.get("VIRTBUS_LEASE_RUNS", "7"))
DISKS = 8
VIRTLOCKD = "/usr/sbin/virtlockd"

DOMAIN_XML = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>{qemu}</emulator>
{disks}  </devices>
</domain>
"""
DISK_XML = """    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{path}'/>
      <target dev='vd{letter}' bus='virtio'/>
    </disk>
"""

# libvirtd's namespace, as proxy-bench's, with virtlockd started first (its
# socket lands in the bench's folder bound on /run/libvirt).
NS_SCRIPT = pb.NS_SCRIPT.replace('exec "$@"', f'{VIRTLOCKD} -d -p "$T/virtlockd.pid"\nexec "$@"')


def locked(path):
    """Whether another process holds a lock on byte 0 of path (F_GETLK sees
    POSIX and OFD locks alike)."""
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        got = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0))
        return struct.unpack("hhqqi", got)[0] != fcntl.F_UNLCK
    finally:
        os.close(fd)


class LeaseBench(pb.Bench):
    def __init__(self):
        super().__init__()
        self.starts = {}        # column -> [seconds]
        self.leases = {}        # column -> leases seen while running
        self.lockspace = self.work / "lv" / "lockspace"

    def disks_xml(self, side):
        d = self.work / "disks" / side
        d.mkdir(parents=True, exist_ok=True)
        out = ""
        for i in range(DISKS):
            path = d / f"disk{i}.img"
            with open(path, "wb") as f:
                f.truncate(16 << 20)
            out += DISK_XML.format(path=path, letter="abcdefgh"[i])
        return out

    def define(self, side):
        return side.conn.defineXML(DOMAIN_XML.format(name=f"{pb.PREFIX}{side.key}", qemu=pb.QEMU,
                                                     disks=self.disks_xml(side.key)))

    def starts_of(self, column, side, dom, count_leases):
        log(f"{column}: {RUNS} starts with {DISKS} disks")
        dom.create()            # warm-up: caches, lease files made
        dom.destroy()
        times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            dom.create()
            times.append(time.perf_counter() - t0)
            self.leases[column] = count_leases()
            dom.destroy()
        self.starts[column] = times

    def lockd_leases(self):
        conn = dbus.bus.BusConnection(self.bus_address)
        try:
            return len(conn.call_blocking("org.virtbus.lockd", "/org/virtbus/lockd", "org.virtbus.Lock1",
                                          "ListLeases", "", ()))
        finally:
            conn.close()

    def start_lockd(self):
        p = self.spawn([pb.BUILD / "virtbus-lockd", "--root", self.work / "root"], "virtbus-lockd.log",
                       env=self.env_bus())
        pb.wait_for(lambda: p.poll() is not None or subprocess.run(
            ["busctl", f"--address={self.bus_address}", "status", "org.virtbus.lockd"],
            capture_output=True).returncode == 0, 30, "virtbus-lockd on the bus")
        if p.poll() is not None:
            raise RuntimeError("virtbus-lockd exited:\n" + self.tail("virtbus-lockd.log"))

    def virtbus(self):
        side = self.vb
        side.conn = self.open(side)
        dom = self.define(side)
        self.starts_of("virtbus, no lock manager", side, dom, lambda: 0)
        self.start_lockd()
        self.starts_of("virtbus + virtbus-lockd", side, dom, self.lockd_leases)

    def libvirt_side(self):
        if not os.path.exists(VIRTLOCKD):
            raise pb.Skip(f"{VIRTLOCKD} is not installed (libvirt-daemon)")
        self.lockspace.mkdir(parents=True)
        (self.work / "lv" / "etc").mkdir(parents=True, exist_ok=True)
        (self.work / "lv" / "etc" / "qemu-lockd.conf").write_text(
            f'# lease-bench: leases in a lockspace, as virtbus-lockd\nfile_lockspace_dir = "{self.lockspace}"\n')
        pb.QEMU_CONF += 'lock_manager = "lockd"\n'
        pb.NS_SCRIPT = NS_SCRIPT
        self.start_libvirtd()
        side = self.lv
        side.conn = self.open(side)
        dom = self.define(side)
        self.starts_of("libvirt 9.0 + virtlockd", side, dom, lambda: sum(locked(f) for f in self.lockspace.iterdir()))

    def run(self):
        self.setup()
        log("starting virtbus-qemud, -storaged, -proxyd")
        self.start_virtbus()
        self.virtbus()
        try:
            log("starting a private libvirtd with lock_manager lockd and its virtlockd")
            self.libvirt_side()
        except pb.Skip as e:
            self.lv_skip = str(e)
        except Exception as e:      # noqa: BLE001 - virtbus's figures still count
            self.lv_skip = f"libvirtd did not start: {e}"

    def cleanup(self):
        # virtlockd's pid file lives in the work directory, which the base
        # cleanup removes: stop virtlockd first.
        pid_file = self.work / "lv" / "virtlockd.pid"
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            pb.wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 30, "virtlockd to stop")
        except (OSError, ValueError):
            pass
        super().cleanup()

    def report(self, elapsed):
        print(f"== guest start with {DISKS} writable disks, with and without leases "
              f"({os.cpu_count()} CPUs, TCG; load average {min(pb.LOADS):.2f}-{max(pb.LOADS):.2f} over the run)")
        print(f"{'':34} {'median':>8} {'min-max':>16}  leases held")
        base = None
        for column, times in self.starts.items():
            med = statistics.median(times) * 1e3
            extra = ""
            if column.startswith("virtbus, no"):
                base = med
            elif column.startswith("virtbus +") and base is not None:
                extra = f"   ({med - base:+.1f} ms for the leases)"
            print(f"{column:34} {med:6.1f} ms {min(times) * 1e3:6.1f}-{max(times) * 1e3:6.1f} ms  "
                  f"{self.leases[column]}{extra}")
        if self.lv_skip:
            print(f"libvirt 9.0 + virtlockd: n/a ({self.lv_skip})")
        print(f"dom.create() call -> return, {RUNS} runs each after a warm-up; python-libvirt on both sides "
              f"(virtbus through virtbus-proxyd). bench time {elapsed:.0f} s")


def main():
    return pb.run_bench(LeaseBench(), "lease-bench",
                        ("virtbus-proxyd.log", "virtbus-qemud.log", "virtbus-lockd.log", "libvirtd.log"))


if __name__ == "__main__":
    sys.exit(main())
