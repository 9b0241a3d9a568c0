#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-storaged figures, each beside its target, and beside libvirt 9.0
(virsh vol-upload / vol-download against Debian's libvirtd) measured in the
same run when a libvirtd can be started here:

  transfer  Upload and Download of 1 GiB of random data into / out of a raw
            volume of a dir pool on /var/tmp, beside `cp` of the same file,
            each followed by `sync` and timed the same way (Upload makes the
            volume durable itself, with fsync, before it answers). Target:
            Upload and Download >= 90 % of cp's rate. The source is in the
            page cache for every method (as in reference/libvirt-baseline.md f;
            the volume is read once before each Download, since an Upload
            leaves little of it in the page cache).
  refresh   Refresh of a dir pool holding 10,000 volumes (8,000 sparse raw
            files, 2,000 qcow2 images). Target <= 2 s.
  rss       storaged's VmRSS, idle after start (one call answered, 2 s later).
            Target <= 4 MiB. Pss and private memory are printed beside it: most
            of VmRSS is shared library text (libc, libsystemd, libxml2 with ICU
            and libstdc++).

Usage: bench/storaged-bench.py [--reps N] [--size-mib N] [--volumes N] [--no-libvirt]
Figures are medians (min-max) of N runs. Nothing here is a test: it prints.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("VIRTBUS_BUILD", REPO / "build"))
D, ROOT = "org.virtbus.storaged", "/org/virtbus/storaged"
MiB = 1 << 20


def log(msg):
    sys.stderr.write(f"[storaged-bench] {msg}\n")
    sys.stderr.flush()


def sync():
    os.sync()


def warm(path):
    """Reads path into the page cache. An upload leaves little of the volume
    there (it drops what it wrote once on disk, so that a large image does not
    push everything else out); without this a download right after it would
    be read from disk while cp's source comes from memory."""
    with open(path, "rb") as f:
        while f.read(MiB * 8):
            pass


def timed(fn):
    t = time.monotonic()
    fn()
    return time.monotonic() - t


def med(xs):
    return f"{statistics.median(xs):.3f} s ({min(xs):.3f}-{max(xs):.3f}, n={len(xs)})"


def rate(size, xs):
    return size / MiB / statistics.median(xs)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Pss", "Private_Clean", "Private_Dirty"):
                out[k] = int(v.split()[0])
    return out


def verdict(ok):
    return "ok" if ok else "MISSED"


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="virtbus-storaged-bench.", dir="/var/tmp"))
        self.procs = []
        self.env = dict(os.environ)
        self.env["DBUS_SYSTEM_BUS_ADDRESS"] = f"unix:path={self.work}/bus"
        self.env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        self.lines = []

    # ---- processes -----------------------------------------------------------
    def spawn(self, argv, logname, **kw):
        f = open(self.work / logname, "ab")
        p = subprocess.Popen([str(a) for a in argv], stdout=f, stderr=f, stdin=subprocess.DEVNULL,
                             env=kw.pop("env", self.env), **kw)
        f.close()
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def start_bus(self):
        self.spawn(["dbus-daemon", f"--config-file={REPO}/scripts/dbus-test-bus.conf",
                    f"--address=unix:path={self.work}/bus", "--nofork", "--nopidfile"], "bus.log")
        deadline = time.monotonic() + 10
        while not (self.work / "bus").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("dbus-daemon did not start")
            time.sleep(0.02)
        import dbus
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self.env["DBUS_SYSTEM_BUS_ADDRESS"]
        self.dbus = dbus
        self.bus = dbus.bus.BusConnection(self.env["DBUS_SYSTEM_BUS_ADDRESS"])

    def start_storaged(self):
        self.storaged = self.spawn([BUILD / "virtbus-storaged", "--root", self.work / "root"], "storaged.log")
        deadline = time.monotonic() + 30
        while not self.bus.name_has_owner(D):
            if self.storaged.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("storaged did not start: " + (self.work / "storaged.log").read_text())
            time.sleep(0.02)

    def call(self, path, iface, method, *args, timeout=600):
        obj = self.bus.get_object(D, path)
        return obj.get_dbus_method(method, iface)(*args, timeout=timeout)

    # ---- figures ---------------------------------------------------------------
    def rss_idle(self):
        self.call(ROOT, "org.libvirt.Connect", "ListStoragePools", self.dbus.UInt32(0))
        time.sleep(2)
        s = proc_status(self.storaged.pid)
        self.idle = s
        kib = s["VmRSS"]
        self.lines.append(
            f"storaged idle VmRSS: {kib / 1024:.1f} MiB (target <= 4 MiB) {verdict(kib <= 4096)}   "
            f"[anon {s['RssAnon']} KiB + file {s['RssFile']} KiB; Pss {s['Pss']} KiB; private "
            f"{s['Private_Clean'] + s['Private_Dirty']} KiB]")

    def make_source(self):
        size = self.args.size_mib * MiB
        self.src = self.work / "src.raw"
        log(f"writing {self.args.size_mib} MiB of random data")
        with open(self.src, "wb") as f:
            for _ in range(self.args.size_mib):
                f.write(os.urandom(MiB))
        sync()
        self.size = size

    def transfer(self):
        c = "org.libvirt.Connect"
        pool = self.call(ROOT, c, "StoragePoolDefineXML",
                         f"<pool type='dir'><name>bench</name><target><path>{self.work}/pool</path></target></pool>",
                         self.dbus.UInt32(0))
        self.call(pool, "org.libvirt.StoragePool", "Build", self.dbus.UInt32(0))
        self.call(pool, "org.libvirt.StoragePool", "Create", self.dbus.UInt32(0))
        vol = self.call(pool, "org.libvirt.StoragePool", "StorageVolCreateXML",
                        f"<volume><name>vol1</name><capacity unit='bytes'>{self.size}</capacity></volume>",
                        self.dbus.UInt32(0))
        vol1 = self.dbus.Interface(self.bus.get_object(D, vol), "org.virtbus.StorageVol1")
        pool_i = self.dbus.Interface(self.bus.get_object(D, pool), "org.libvirt.StoragePool")
        cp_t, cp_only, up_t, new_t, dl_t = [], [], [], [], []
        dst, dl = self.work / "cp.raw", self.work / "dl.raw"

        def upload(target=vol1):
            fd = os.open(self.src, os.O_RDONLY)
            try:
                target.Upload(self.dbus.types.UnixFd(fd), self.dbus.UInt64(0), self.dbus.UInt64(0),
                              self.dbus.UInt32(0), timeout=600)
            finally:
                os.close(fd)
            sync()

        def fresh_volume():
            """A new sparse volume: its blocks are allocated by the upload, as cp's are."""
            path = pool_i.StorageVolCreateXML(
                f"<volume><name>fresh</name><capacity unit='bytes'>{self.size}</capacity>"
                f"<allocation>0</allocation></volume>", self.dbus.UInt32(0))
            sync()
            return path

        def download():
            fd = os.open(dl, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                vol1.Download(self.dbus.types.UnixFd(fd), self.dbus.UInt64(0), self.dbus.UInt64(0),
                              self.dbus.UInt32(0), timeout=600)
            finally:
                os.close(fd)
            sync()

        for rep in range(self.args.reps):
            log(f"transfer run {rep + 1}/{self.args.reps}")
            dst.unlink(missing_ok=True)
            sync()
            t0 = time.monotonic()
            subprocess.run(["cp", self.src, dst], check=True)
            cp_only.append(time.monotonic() - t0)
            sync()
            cp_t.append(time.monotonic() - t0)
            dst.unlink()
            sync()
            up_t.append(timed(upload))
            fresh = fresh_volume()
            new_t.append(timed(lambda: upload(self.dbus.Interface(self.bus.get_object(D, fresh),
                                                                  "org.virtbus.StorageVol1"))))
            self.call(fresh, "org.libvirt.StorageVol", "Delete", self.dbus.UInt32(0))
            dl.unlink(missing_ok=True)
            sync()
            warm(self.work / "pool/vol1")
            dl_t.append(timed(download))
            if rep == 0:
                same = subprocess.run(["cmp", self.src, self.work / "pool/vol1"]).returncode == 0 and \
                    subprocess.run(["cmp", self.src, dl]).returncode == 0
                self.lines.append(f"upload and download byte-identical (cmp): {'yes' if same else 'NO'}")
            dl.unlink()
            sync()
        cp_rate, up_rate, dl_rate = rate(self.size, cp_t), rate(self.size, up_t), rate(self.size, dl_t)
        new_rate = rate(self.size, new_t)
        mib = self.args.size_mib
        self.lines.append(f"cp {mib} MiB + sync:       {med(cp_t)}  {cp_rate:.0f} MiB/s   "
                          f"[cp alone {med(cp_only)}]")
        self.lines.append(f"Upload {mib} MiB + sync:   {med(new_t)}  {new_rate:.0f} MiB/s = "
                          f"{100 * new_rate / cp_rate:.0f} % of cp (target >= 90 %) {verdict(new_rate >= 0.9 * cp_rate)}"
                          f"   [into a new sparse volume, blocks allocated as cp's are]")
        self.lines.append(f"Upload {mib} MiB + sync:   {med(up_t)}  {up_rate:.0f} MiB/s = "
                          f"{100 * up_rate / cp_rate:.0f} % of cp   [into the preallocated volume, as libvirt's "
                          f"vol-upload below]")
        self.lines.append(f"Download {mib} MiB + sync: {med(dl_t)}  {dl_rate:.0f} MiB/s = "
                          f"{100 * dl_rate / cp_rate:.0f} % of cp (target >= 90 %) {verdict(dl_rate >= 0.9 * cp_rate)}")
        self.cp_rate = cp_rate

    def refresh(self):
        n = self.args.volumes
        many = self.work / "many"
        many.mkdir()
        log(f"creating {n} volumes")
        qcow = self.work / "tiny.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", qcow, "64M"], check=True)
        qdata = qcow.read_bytes()
        for i in range(n):
            if i % 5 == 4:
                (many / f"vm{i:05d}.qcow2").write_bytes(qdata)
            else:
                with open(many / f"vm{i:05d}.img", "wb") as f:
                    f.truncate(16 * MiB)
        sync()
        c = "org.libvirt.Connect"
        pool = self.call(ROOT, c, "StoragePoolCreateXML",
                         f"<pool type='dir'><name>many</name><target><path>{many}</path></target></pool>",
                         self.dbus.UInt32(0))
        p = self.dbus.Interface(self.bus.get_object(D, pool), "org.libvirt.StoragePool")
        times, lists = [], []
        for _ in range(self.args.reps):
            times.append(timed(lambda: p.Refresh(self.dbus.UInt32(0), timeout=600)))
            got = []
            lists.append(timed(lambda: got.append(p.ListStorageVolumes(self.dbus.UInt32(0), timeout=600))))
        count = len(got[0])
        self.lines.append(f"Refresh of a dir pool with {count} volumes: {med(times)} (target <= 2 s) "
                          f"{verdict(statistics.median(times) <= 2.0)}   [ListStorageVolumes: {med(lists)}]")
        s = proc_status(self.storaged.pid)
        self.lines.append(f"storaged VmRSS with {count} volumes: {s['VmRSS'] / 1024:.1f} MiB "
                          f"[anon {s['RssAnon']} KiB]")
        p.Destroy(timeout=600)

    # ---- libvirt 9.0 -------------------------------------------------------------
    def libvirt(self):
        virsh, libvirtd = shutil.which("virsh"), "/usr/sbin/libvirtd"
        if self.args.no_libvirt:
            return self.lines.append("libvirt 9.0 vol-upload/vol-download: n/a (--no-libvirt)")
        if not virsh or not os.path.exists(libvirtd):
            return self.lines.append("libvirt 9.0 vol-upload/vol-download: n/a (libvirtd/virsh not installed: "
                                     "sh scripts/install-deps.sh bench)")
        others = subprocess.run(["pgrep", "-x", "libvirtd"], capture_output=True, text=True).stdout.split()
        if others or os.path.exists("/run/libvirt/libvirt-sock"):
            return self.lines.append(f"libvirt 9.0 vol-upload/vol-download: n/a (a libvirtd is running already: "
                                     f"{' '.join(others) or '/run/libvirt/libvirt-sock exists'}; only one can run)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
        # qemud's bench wrapper reaps orphans at once (this sandbox's PID 1 is slow);
        # storage needs no QEMU, so libvirtd alone does too.
        wrapper = REPO / "bench/qemud-libvirtd-wrap.py"
        wrap = [sys.executable, wrapper, "--subreaper", "--", libvirtd] if wrapper.exists() else [libvirtd]
        log("starting libvirtd")
        lv = self.spawn(wrap, "libvirtd.log", env=env, start_new_session=True)
        V = [virsh, "-q", "-c", "qemu:///system"]
        name = f"vbbench{os.getpid()}"
        try:
            deadline = time.monotonic() + 60
            while subprocess.run(V + ["version"], capture_output=True, env=env).returncode != 0:
                if lv.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("libvirtd did not start: " + (self.work / "libvirtd.log").read_text()[-2000:])
                time.sleep(0.1)
            run = lambda *a: subprocess.run(V + [str(x) for x in a], check=True, capture_output=True, env=env)
            run("pool-create-as", name, "dir", "--target", self.work / "lvpool", "--build")
            run("vol-create-as", name, "vol1", f"{self.args.size_mib}M", "--format", "raw")
            up, dn = [], []
            out = self.work / "lvdl.raw"
            for rep in range(max(1, self.args.reps - 2)):
                log(f"libvirt run {rep + 1}")
                sync()
                up.append(timed(lambda: (run("vol-upload", "--pool", name, "vol1", self.src), sync())))
                out.unlink(missing_ok=True)
                sync()
                dn.append(timed(lambda: (run("vol-download", "--pool", name, "vol1", out), sync())))
                out.unlink()
            self.lines.append(f"libvirt 9.0 virsh vol-upload + sync:   {med(up)}  {rate(self.size, up):.0f} MiB/s = "
                              f"{100 * rate(self.size, up) / self.cp_rate:.0f} % of cp")
            self.lines.append(f"libvirt 9.0 virsh vol-download + sync: {med(dn)}  {rate(self.size, dn):.0f} MiB/s = "
                              f"{100 * rate(self.size, dn) / self.cp_rate:.0f} % of cp")
        except (RuntimeError, subprocess.CalledProcessError) as e:
            why = (e.stderr.decode() if isinstance(e, subprocess.CalledProcessError) else str(e)).strip()
            self.lines.append(f"libvirt 9.0 vol-upload/vol-download: n/a ({why[:300]})")
        finally:
            subprocess.run(V + ["pool-destroy", name], capture_output=True, env=env)
            self.stop(lv)

    def run(self):
        load0 = os.getloadavg()
        try:
            self.start_bus()
            self.start_storaged()
            self.rss_idle()
            self.make_source()
            self.transfer()
            self.libvirt()
            self.refresh()
        finally:
            for p in reversed(self.procs):
                self.stop(p)
            shutil.rmtree(self.work, ignore_errors=True)
        load1 = os.getloadavg()
        print(f"== virtbus-storaged benchmark ({os.cpu_count()} CPUs, {self.args.size_mib} MiB, "
              f"{self.args.reps} runs, on {self.work.parent}; load average {load0[0]:.2f} at the start, "
              f"{load1[0]:.2f} at the end)")
        for line in self.lines:
            print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--volumes", type=int, default=10000)
    ap.add_argument("--no-libvirt", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("storaged-bench: run as root (the daemon and libvirtd need it)")
    if not (BUILD / "virtbus-storaged").exists():
        sys.exit(f"storaged-bench: {BUILD}/virtbus-storaged is not built (make)")
    Bench(args).run()


if __name__ == "__main__":
    main()
