#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-lxcd beside libvirt 9.0's LXC driver (Debian's libvirtd with
libvirt-daemon-driver-lxc), measured in the same run.

    /usr/bin/python3 bench/lxcd-bench.py        (as root; make first)

Environment: VIRTBUS_BUILD (default build/) holds virtbus-lxcd;
VIRTBUS_BENCH_RUNS (default 10) start/stop rounds; VIRTBUS_BENCH_CONTAINERS
(default 100) containers running at once for the memory figures; VIRTBUS_BENCH_NO_LIBVIRT=1 skips libvirt (its column then
says n/a, as it does when the LXC driver is not installed or another
libvirtd runs).

The figures, for each side:
- start: define + start of an application container (busybox sh from a
  busybox-static root filesystem made here) until its first output: a line
  the container writes into a file of its root, which the bench polls
  (0.5 ms) — the same for both sides, whose consoles differ;
- stop: Destroy (lxcd) / destroy (libvirt) of a running container, the call's
  time (both answer once the container's processes are gone);
- memory: the daemon's RSS idle and with N containers running, and the RSS
  of each container's supervisor (lxcd's forked self, whose RSS counts the pages it
  still shares with lxcd; libvirt's libvirt_lxc controller).

The plumbing is bench/qemud-bench.py's (imported): a private dbus-daemon in a
temporary directory for lxcd --root /dev/shm/vblb-root-* (run state on a
tmpfs as /run is, its etc/ a link to the temporary directory on disk), and the system libvirtd run by
hand under bench/qemud-libvirtd-wrap.py with no bus. Containers are named
vblb<pid>-*, each destroyed and undefined at the end; every process started
here is stopped by its pid, and the temporary directory is removed.
"""

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dbus

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("qemud_bench", REPO / "bench" / "qemud-bench.py")
qb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qb)

LXCD = qb.BUILD / "virtbus-lxcd"
RUNS = int(os.environ.get("VIRTBUS_BENCH_RUNS", "10"))
N_RUNNING = int(os.environ.get("VIRTBUS_BENCH_CONTAINERS", "100"))
PREFIX = f"vblb{os.getpid()}-"
BUSYBOX = "/bin/busybox"
LXCD_DEST, LXCD_ROOT = "org.virtbus.lxcd", "/org/virtbus/lxcd"
CONNECT, DOMAIN = "org.libvirt.Connect", "org.libvirt.Domain"

CONTAINER_XML = """<domain type='lxc'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>{features}
  <os><type>exe</type><init>/bin/sh</init><initarg>-c</initarg>
    <initarg>echo started &gt; /tmp/{name}.out; exec sleep 100000</initarg></os>
  <devices>
    <filesystem type='mount'><source dir='{root}'/><target dir='/'/></filesystem>{console}
  </devices>
</domain>
"""


# A hybrid host (v1 controllers, cgroup2 on /sys/fs/cgroup/unified with a
# controller or two) makes libvirt_lxc bind-mount the cgroup2 into each
# container at a path it fails to make ("Unable to create directory
# /sys/fs/cgroup/unified"). libvirtd runs in a mount namespace of its own
# without that mount: libvirt then uses the v1 controllers only, as lxcd
# does. The host's mounts are not touched.
HIDE_UNIFIED = "umount /sys/fs/cgroup/unified 2>/dev/null; exec \"$@\""


class LxcBench(qb.Bench):
    def spawn(self, argv, log_name, env=None, **kw):
        if log_name == "libvirtd.log":
            argv = ["unshare", "-m", "--propagation", "slave", "sh", "-c", HIDE_UNIFIED, "sh"] + list(argv)
        return super().spawn(argv, log_name, env=env, **kw)

    def setup(self):
        if os.geteuid() != 0:
            sys.exit("lxcd-bench: run as root (namespaces, cgroups, libvirt's system daemon)")
        if not LXCD.exists():
            sys.exit(f"lxcd-bench: {LXCD} is not built: run make (or set VIRTBUS_BUILD)")
        if not os.path.exists(BUSYBOX):
            sys.exit("lxcd-bench: busybox-static is not installed (/bin/busybox)")
        self.rootfs = self.work / "rootfs"
        for d in ("bin", "etc", "proc", "sys", "dev", "tmp"):
            (self.rootfs / d).mkdir(parents=True, exist_ok=True)
        shutil.copy(BUSYBOX, self.rootfs / "bin" / "busybox")
        for app in ("sh", "sleep", "echo"):
            os.symlink("busybox", self.rootfs / "bin" / app)
        conf = self.work / "bus.conf"
        conf.write_text(
            '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n'
            ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
            f"<busconfig>\n  <include>{REPO}/scripts/dbus-test-bus.conf</include>\n</busconfig>\n")
        self.bus_address = f"unix:path={self.work}/bus"
        self.bus = self.spawn(["dbus-daemon", f"--config-file={conf}", f"--address={self.bus_address}",
                               "--nofork", "--nopidfile", "--print-address=1"], "dbus-daemon.log",
                              stdout=subprocess.PIPE)
        if not self.bus.stdout.readline():
            sys.exit("lxcd-bench: dbus-daemon did not start:\n" + self.tail("dbus-daemon.log"))
        self.bus.stdout.close()
        self.conn = dbus.bus.BusConnection(self.bus_address)
        self.lxcd = None
        self.shm_root = None

    def xml(self, name, console=False):
        # libvirt's LXC driver wants a pty console (lxcd's console is its
        # log), and <privnet/> for a network namespace of the container's
        # own, which lxcd always makes
        return CONTAINER_XML.format(name=name, root=self.rootfs,
                                    features="\n  <features><privnet/></features>" if console else "",
                                    console="\n    <console type='pty'/>" if console else "")

    def out_file(self, name):
        return self.rootfs / "tmp" / f"{name}.out"

    def first_output(self, name, t0, timeout=60):
        f = self.out_file(name)
        qb.wait_for(lambda: f.exists() and f.stat().st_size > 0, timeout, f"{name}'s first output", 0.0005)
        return time.monotonic() - t0

    # ------------------------------------------------------------------ lxcd
    def start_lxcd(self):
        # As installed: run state on a tmpfs (/run; here /dev/shm), the
        # definitions on disk (/etc), as libvirt keeps them (/run/libvirt,
        # /etc/libvirt)
        self.shm_root = Path(tempfile.mkdtemp(prefix="vblb-root-", dir="/dev/shm"))
        root = self.shm_root
        (self.work / "etc").mkdir(exist_ok=True)
        os.symlink(self.work / "etc", root / "etc")
        self.lxcd = self.spawn([LXCD, "--root", root], "virtbus-lxcd.log", env=self.env_bus())
        qb.wait_for(lambda: self.has_owner(LXCD_DEST) or self.lxcd.poll() is not None, 30, "lxcd on the bus")
        if self.lxcd.poll() is not None:
            raise RuntimeError("virtbus-lxcd exited:\n" + self.tail("virtbus-lxcd.log"))

    def vb_call(self, path, iface, method, sig="", *args):
        return self.dcall(LXCD_DEST, path, iface, method, sig, *args)

    def vb_start(self, name):
        t0 = time.monotonic()
        path = self.vb_call(LXCD_ROOT, CONNECT, "DomainDefineXML", "s", self.xml(name))
        self.vb_call(path, DOMAIN, "Create", "u", 0)
        return path, self.first_output(name, t0)

    def vb_stop(self, path):
        t0 = time.monotonic()
        self.vb_call(path, DOMAIN, "Destroy", "u", 0)
        return time.monotonic() - t0

    def supervisors(self):
        return [c for c in qb.children(self.lxcd.pid)]

    def bench_lxcd(self):
        self.start_lxcd()
        time.sleep(1)
        idle = qb.rss_kib(self.lxcd.pid)
        starts, stops = [], []
        for i in range(RUNS):
            name = f"{PREFIX}vb{i}"
            path, t = self.vb_start(name)
            starts.append(t)
            stops.append(self.vb_stop(path))
            self.vb_call(path, DOMAIN, "Undefine", "u", 0)
        paths = []
        try:
            for i in range(N_RUNNING):
                paths.append(self.vb_start(f"{PREFIX}vbn{i}")[0])
            time.sleep(1)
            busy = qb.rss_kib(self.lxcd.pid)
            sup = [qb.rss_kib(p) for p in self.supervisors()]
            detail = qb.rss_detail(self.lxcd.pid)
        finally:
            for p in paths:
                self.vb_stop(p)
                self.vb_call(p, DOMAIN, "Undefine", "u", 0)
        self.res["vb"] = {"start": qb.stats(starts), "stop": qb.stats(stops), "idle": idle, "busy": busy,
                          "sup": qb.stats(sup) if sup else None, "detail": detail}

    # ------------------------------------------------------------------ libvirt
    def lv_open(self, timeout=120):
        import libvirt
        p, _ = self.libvirtd
        deadline = time.monotonic() + timeout
        while True:
            try:
                return libvirt.open("lxc:///system")
            except libvirt.libvirtError:
                if p.poll() is not None:
                    raise RuntimeError("libvirtd exited:\n" + self.tail("libvirtd.log")) from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.001)

    def bench_libvirt(self):
        if os.environ.get("VIRTBUS_BENCH_NO_LIBVIRT") == "1":
            raise qb.Skip("VIRTBUS_BENCH_NO_LIBVIRT=1")
        if not os.path.exists("/usr/lib/libvirt/libvirt_lxc"):
            raise qb.Skip("libvirt-daemon-driver-lxc is not installed")
        try:
            import libvirt
        except ImportError:
            raise qb.Skip("python3-libvirt is not installed") from None
        if qb.procs_named("libvirtd"):
            raise qb.Skip("a libvirtd not started by this bench is running: only one system libvirtd can run")
        libvirt.registerErrorHandler(lambda c, e: None, None)
        self.start_libvirtd()
        c = self.lv_open()
        _, lpid = self.libvirtd
        time.sleep(1)
        idle = qb.rss_kib(lpid)
        starts, stops, doms = [], [], []
        self.lv_defined = True
        try:
            for i in range(RUNS):
                name = f"{PREFIX}lv{i}"
                t0 = time.monotonic()
                dom = c.defineXML(self.xml(name, console=True))
                dom.create()
                starts.append(self.first_output(name, t0))
                t0 = time.monotonic()
                dom.destroy()
                stops.append(time.monotonic() - t0)
                dom.undefine()
            for i in range(N_RUNNING):
                dom = c.defineXML(self.xml(f"{PREFIX}lvn{i}", console=True))
                dom.create()
                doms.append(dom)
            for i, d in enumerate(doms):
                self.first_output(f"{PREFIX}lvn{i}", time.monotonic())
            time.sleep(1)
            busy = qb.rss_kib(lpid)
            ctl = [qb.rss_kib(p) for p in qb.procs_named("libvirt_lxc")]
        finally:
            self.lv_cleanup(c)
            c.close()
        self.res["lv"] = {"start": qb.stats(starts), "stop": qb.stats(stops), "idle": idle, "busy": busy,
                          "sup": qb.stats(ctl) if ctl else None, "detail": qb.rss_detail(lpid)}

    def lv_cleanup(self, c=None):
        if not self.lv_defined or c is None:
            return

        def remove(d):
            try:
                if d.isActive():
                    d.destroy()
                d.undefine()
            except Exception as e:  # noqa: BLE001 - reported, the rest still goes
                print(f"lxcd-bench: cannot remove {d.name()}: {e}", file=sys.stderr)

        # libvirt's destroy of a container takes ~1.8 s: a hundred one after
        # the other would be most of the bench; its workers take several
        with ThreadPoolExecutor(max_workers=5) as pool:
            list(pool.map(remove, [d for d in c.listAllDomains() if d.name().startswith(PREFIX)]))

    # ------------------------------------------------------------------ report
    def report(self):
        vb, lv = self.res.get("vb"), self.res.get("lv")

        def ms(side, key):
            return qb.spread(side[key], 1000.0) if side else "n/a"

        def kib(side, key):
            return f"{side[key]}" if side and side[key] is not None else "n/a"

        def sup(side):
            return qb.spread(side["sup"], 1.0, "{:.0f}") if side and side["sup"] else "n/a"

        print(f"\nlxcd-bench: {RUNS} start/stop rounds, {N_RUNNING} containers running at once")
        print(f"{'figure':<48} {'virtbus-lxcd':>28} {'libvirt 9.0 LXC':>28}")
        rows = [
            ("define + start to first output, ms", ms(vb, "start"), ms(lv, "start")),
            ("stop (Destroy) of a running container, ms", ms(vb, "stop"), ms(lv, "stop")),
            ("daemon RSS idle, KiB", kib(vb, "idle"), kib(lv, "idle")),
            (f"daemon RSS with {N_RUNNING} running, KiB", kib(vb, "busy"), kib(lv, "busy")),
            ("RSS of each container's supervisor, KiB", sup(vb), sup(lv)),
        ]
        for r in rows:
            print(f"{r[0]:<48} {r[1]:>28} {r[2]:>28}")
        if vb and lv:
            ratio = vb["start"]["median"] / lv["start"]["median"]
            print(f"start: lxcd takes {ratio:.2f}x libvirt's time (target <= 0.20)")
        if vb:
            print(f"lxcd: {vb['detail']}")
        if lv:
            print(f"libvirtd: {lv['detail']}")
        for n in self.notes:
            print(f"note: {n}")

    def cleanup(self):
        if self.lxcd:
            self.stop(self.lxcd)
        if self.shm_root:
            shutil.rmtree(self.shm_root, ignore_errors=True)
        self.stop_libvirtd()
        for p in reversed(self.procs):
            self.stop(p)
        shutil.rmtree(self.work, ignore_errors=True)


def main():
    b = LxcBench()
    try:
        b.setup()
        b.bench_lxcd()
        try:
            b.bench_libvirt()
        except qb.Skip as e:
            b.notes.append(f"libvirt: n/a ({e})")
        except Exception as e:  # noqa: BLE001 - the lxcd figures still count
            b.notes.append(f"libvirt: failed ({str(e).strip()}); see /var/log/libvirt/lxc/{PREFIX}lv0.log")
        b.report()
    finally:
        b.cleanup()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    main()
