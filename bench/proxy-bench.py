#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-proxyd beside libvirt 9.0's libvirtd, measured in the same run with
the same client (python3-libvirt), each figure beside the project's target.

    /usr/bin/python3 bench/proxy-bench.py        (as root; make first)

  calls/s   dom.info(), dom.XMLDesc(0) (round-robin over the defined domains)
            and conn.listAllDomains(0), one call at a time on one connection,
            with 1,000 domains defined: through the proxy (to virtbus-qemud)
            against libvirtd directly. Windows of both sides alternate, so
            that both see the same load. Target: proxy >= 2x libvirtd.
  events    a running TCG guest (no disk: QEMU's firmware spins) suspended and
            resumed; from the call to the client's lifecycle callback
            (SUSPENDED / RESUMED, fed by QEMU's STOP / RESUME events), with
            the call's own return beside it. Also defined / undefined events
            (no QEMU involved). Measured the same way on both sides.
  streams   `virsh vol-upload` / `vol-download` of 1 GiB of random data into /
            out of a new sparse raw volume of a dir pool, each followed by
            `sync`, against `cp` of the same file + `sync` (the source is in
            the page cache for all). Target: >= 90 % of cp's rate.
  RSS       virtbus-proxyd's VmRSS idle (one client served and gone, 2 s
            later; target <= 4 MiB) and with 100 python-libvirt connections
            open; libvirtd's beside it.

Environment: VIRTBUS_BUILD (default build/); VIRTBUS_BENCH_DOMAINS (default
1000); VIRTBUS_BENCH_SIZE_MIB (default 1024); VIRTBUS_BENCH_NO_LIBVIRT=1 skips
libvirt (its column says n/a, as when it is not installed);
VIRTBUS_BENCH_KEEP=1 keeps the temporary directory.

What runs, and what it leaves behind (nothing): a temporary directory
/tmp/vbp-bench-* holds a private dbus-daemon, virtbus-qemud, -storaged and
-proxyd --root TMP/root, the pools and the files. libvirtd runs privately: in
a mount namespace of its own where TMP/lv/{run,etc,lib,cache,log} are
bind-mounted over /run/libvirt, /etc/libvirt, /var/lib/libvirt,
/var/cache/libvirt and /var/log/libvirt (the configuration is the bench's
own: auth none on the socket, stdio_handler "file" so no virtlogd, no
security driver; the QEMU capabilities cache is copied in when there is
one), only the qemu and storage drivers loaded, under
bench/qemud-libvirtd-wrap.py (child subreaper, pinned to CPU 0). So a system
libvirtd, running or not, and its domains, pools and files are never seen nor
changed. Bench domains and pools are named vbpb<pid>-*; all are destroyed and
undefined at the end (also on failure or Ctrl-C), every process started here
is stopped by its pid, leftover QEMUs of the private libvirtd by theirs, and
the temporary directory is removed.
"""

import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("VIRTBUS_BUILD", REPO / "build")).resolve()
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
N_DOMAINS = int(os.environ.get("VIRTBUS_BENCH_DOMAINS", "1000"))
SIZE_MIB = int(os.environ.get("VIRTBUS_BENCH_SIZE_MIB", "1024"))
RATE_SECONDS = 1.5
RATE_REPS = 3
EVENT_RUNS = 20
STREAM_REPS = 3
CLIENTS = 100
IDLE_WAIT = 2.0
PREFIX = f"vbpb{os.getpid()}-"
LIBVIRTD = "/usr/sbin/libvirtd"
DRIVERS = Path("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver")

DOMAIN_XML = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><emulator>{qemu}</emulator></devices>
</domain>
"""

# Runs in libvirtd's own mount namespace (unshare -m): the bench's folders
# over libvirt's, then the wrapper and libvirtd.
NS_SCRIPT = r"""
set -e
T=$1; shift
mount --make-rprivate /
if [ ! -d /run/libvirt ]; then
    mount -t tmpfs -o mode=0755 tmpfs /run   # not made on the host: a private /run
    mkdir /run/libvirt
fi
mount --bind "$T/run" /run/libvirt
mount --bind "$T/etc" /etc/libvirt
for d in lib cache log; do mount --bind "$T/$d" "/var/$d/libvirt"; done
exec "$@"
"""

LIBVIRTD_CONF = """# proxy-bench's private libvirtd
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_rw_perms = "0700"
log_outputs = "3:stderr"
"""
QEMU_CONF = """# proxy-bench's private libvirtd: no virtlogd, no AppArmor profiles
stdio_handler = "file"
security_driver = "none"
"""

LOADS = []


def log(msg):
    LOADS.append(os.getloadavg()[0])
    print(f"[{time.strftime('%H:%M:%S')}] {msg} (load {LOADS[-1]:.2f})", file=sys.stderr, flush=True)


class Skip(Exception):
    pass


def stats(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def spread(s, scale=1.0, fmt="{:.1f}"):
    if not s:
        return "n/a"
    f = lambda x: fmt.format(x * scale)      # noqa: E731
    return f"{f(s['median'])} ({f(s['min'])}–{f(s['max'])}, n={s['n']})"


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.split()[0] if v.split() else ""
    except OSError:
        pass
    return out


def rss_kib(pid):
    v = proc_status(pid).get("VmRSS")
    return int(v) if v else None


def rss_detail(pid):
    s = proc_status(pid)
    return (f"VmRSS {s.get('VmRSS')} KiB = anon {s.get('RssAnon')} + file {s.get('RssFile')} + "
            f"shmem {s.get('RssShmem')}")


def cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            v = f.read().rsplit(")", 1)[1].split()
        return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def children(pid):
    kids = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def wait_for(fn, timeout, what, interval=0.01):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Events:
    """Lifecycle callbacks of every connection: (name, event) -> perf_counter."""

    def __init__(self, libvirt):
        self.cond = threading.Condition()
        self.seen = {}
        libvirt.virEventRegisterDefaultImpl()
        t = threading.Thread(target=self.loop, args=(libvirt,), daemon=True)
        t.start()

    @staticmethod
    def loop(libvirt):
        while True:
            libvirt.virEventRunDefaultImpl()

    def callback(self, conn, dom, event, detail, opaque):
        t = time.perf_counter()
        with self.cond:
            self.seen.setdefault((dom.name(), event), t)
            self.cond.notify_all()

    def clear(self):
        with self.cond:
            self.seen.clear()

    def wait(self, name, event, timeout=30):
        with self.cond:
            if not self.cond.wait_for(lambda: (name, event) in self.seen, timeout):
                raise RuntimeError(f"no lifecycle event {event} for {name} within {timeout} s")
            return self.seen[(name, event)]


class Side:
    """One column: a libvirt URI and what was made through it."""

    def __init__(self, key, label, uri):
        self.key, self.label, self.uri = key, label, uri
        self.conn = None
        self.pool = None
        self.pid = None      # the daemon the client talks to (proxyd / libvirtd)


class Bench:
    def __init__(self):
        self.work = Path(tempfile.mkdtemp(prefix="vbp-bench-", dir="/tmp"))
        os.chmod(self.work, 0o755)
        self.procs = []
        self.res = {}        # key -> {side key: value}
        self.notes, self.details = [], []
        self.vb = self.lv = None
        self.lv_skip = None
        self.lv_wrap = None
        self.libvirt = None
        self.events = None

    # ------------------------------------------------------------ plumbing
    def spawn(self, argv, log_name, env=None, **kw):
        logf = open(self.work / log_name, "ab")
        p = subprocess.Popen([str(a) for a in argv], env=env, stdin=subprocess.DEVNULL,
                             stdout=logf, stderr=logf, **kw)
        logf.close()
        self.procs.append(p)
        return p

    def stop(self, p, timeout=60):
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"pid {p.pid} ignored SIGTERM for {timeout} s: SIGKILL")
            p.kill()
            p.wait()

    def tail(self, name, n=20):
        try:
            return "\n".join((self.work / name).read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def env_bus(self):
        env = dict(os.environ)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_address
        for k in ("DBUS_SESSION_BUS_ADDRESS", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID"):
            env.pop(k, None)
        return env

    def env_nobus(self):
        env = dict(os.environ)
        for k in ("DBUS_SYSTEM_BUS_ADDRESS", "DBUS_SESSION_BUS_ADDRESS", "NOTIFY_SOCKET",
                  "LISTEN_FDS", "LISTEN_PID"):
            env.pop(k, None)
        return env

    def virsh(self, side, *args, timeout=600):
        env = self.env_nobus()
        env.pop("LIBVIRT_DEFAULT_URI", None)
        env["HOME"] = str(self.work)
        r = subprocess.run(["virsh", "-q", "-c", side.uri] + [str(a) for a in args], env=env,
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"{side.label}: virsh {' '.join(map(str, args))}: {r.stderr.strip()}")
        return r.stdout

    # ------------------------------------------------------------ setup
    def setup(self):
        if os.geteuid() != 0:
            sys.exit("proxy-bench: run as root")
        for d in ("qemud", "storaged", "proxyd"):
            if not (BUILD / f"virtbus-{d}").exists():
                sys.exit(f"proxy-bench: {BUILD}/virtbus-{d} is not built: run make (or set VIRTBUS_BUILD)")
        try:
            import libvirt
        except ImportError:
            sys.exit("proxy-bench: python3-libvirt is not installed (scripts/install-deps.sh bench)")
        if not shutil.which("virsh"):
            sys.exit("proxy-bench: virsh is not installed (scripts/install-deps.sh bench)")
        self.libvirt = libvirt
        libvirt.registerErrorHandler(lambda c, e: None, None)
        self.events = Events(libvirt)

        conf = self.work / "bus.conf"
        conf.write_text(
            '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n'
            ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
            f"<busconfig>\n  <include>{REPO}/scripts/dbus-test-bus.conf</include>\n</busconfig>\n")
        self.bus_address = f"unix:path={self.work}/bus"
        logf = open(self.work / "dbus-daemon.log", "ab")
        bus = subprocess.Popen(["dbus-daemon", f"--config-file={conf}", f"--address={self.bus_address}",
                                "--nofork", "--nopidfile", "--print-address=1"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=logf)
        logf.close()
        self.procs.append(bus)
        if not bus.stdout.readline():
            raise RuntimeError("dbus-daemon did not start:\n" + self.tail("dbus-daemon.log"))
        bus.stdout.close()

    def start_virtbus(self):
        root = self.work / "root"
        for d in ("qemud", "storaged"):
            p = self.spawn([BUILD / f"virtbus-{d}", "--root", root], f"virtbus-{d}.log", env=self.env_bus())
            wait_for(lambda: p.poll() is not None or subprocess.run(
                ["busctl", f"--address={self.bus_address}", "status", f"org.virtbus.{d}"],
                capture_output=True).returncode == 0, 30, f"virtbus-{d} on the bus")
            if p.poll() is not None:
                raise RuntimeError(f"virtbus-{d} exited:\n" + self.tail(f"virtbus-{d}.log"))
        p = self.spawn([BUILD / "virtbus-proxyd", "--root", root], "virtbus-proxyd.log", env=self.env_bus())
        sock = root / "run/libvirt/libvirt-sock"
        wait_for(lambda: p.poll() is not None or sock.exists(), 30, "virtbus-proxyd's socket")
        if p.poll() is not None:
            raise RuntimeError("virtbus-proxyd exited:\n" + self.tail("virtbus-proxyd.log"))
        self.vb = Side("vb", "virtbus-proxyd", f"qemu+unix:///system?socket={sock}")
        self.vb.pid = p.pid
        self.vb.proc = p

    def start_libvirtd(self):
        if os.environ.get("VIRTBUS_BENCH_NO_LIBVIRT") == "1":
            raise Skip("VIRTBUS_BENCH_NO_LIBVIRT=1")
        if not os.path.exists(LIBVIRTD):
            raise Skip(f"{LIBVIRTD} is not installed (scripts/install-deps.sh bench)")
        for d in ("/etc/libvirt", "/var/lib/libvirt", "/var/cache/libvirt", "/var/log/libvirt"):
            if not os.path.isdir(d):
                raise Skip(f"{d} does not exist (libvirt-daemon is not installed)")
        if not shutil.which("unshare"):
            raise Skip("unshare (util-linux) is not installed")
        t = self.work / "lv"
        for d in ("run", "etc", "lib", "cache", "log/qemu", "drv", "etc/qemu", "etc/storage"):
            (t / d).mkdir(parents=True, exist_ok=True)
        (t / "etc/libvirtd.conf").write_text(LIBVIRTD_CONF)
        (t / "etc/qemu.conf").write_text(QEMU_CONF)
        for drv in ("qemu", "storage"):
            so = DRIVERS / f"libvirt_driver_{drv}.so"
            if not so.exists():
                raise Skip(f"{so} is not installed")
            (t / "drv" / so.name).symlink_to(so)
        caps = Path("/var/cache/libvirt/qemu")
        if caps.is_dir():
            # a copy: the probe it saves costs seconds; the system's stays as it is
            shutil.copytree(caps, t / "cache/qemu", symlinks=True)
        env = self.env_nobus()
        env["LIBVIRT_DRIVER_DIR"] = str(t / "drv")
        script = self.work / "libvirtd-ns.sh"
        script.write_text(NS_SCRIPT)
        argv = ["unshare", "-m", "sh", script, t, "/usr/bin/python3", REPO / "bench/qemud-libvirtd-wrap.py",
                "--cpu", "0", "--subreaper"]
        node = self.kvm_node()
        if node:
            argv += ["--kvm-node", node]
        argv += ["--", LIBVIRTD, "--pid-file", t / "libvirtd.pid"]
        self.lv_wrap = self.spawn(argv, "libvirtd.log", env=env, start_new_session=True)
        sock = t / "run/libvirt-sock"
        wait_for(lambda: self.lv_wrap.poll() is not None or sock.exists(), 60, "libvirtd's socket")
        if self.lv_wrap.poll() is not None:
            raise RuntimeError("libvirtd did not start:\n" + self.tail("libvirtd.log"))
        self.lv = Side("lv", "libvirtd", f"qemu+unix:///system?socket={sock}")
        self.lv.pid = int(wait_for(lambda: (t / "libvirtd.pid").exists() and (t / "libvirtd.pid").read_text().strip(),
                                   30, "libvirtd's pid file"))

    def kvm_node(self):
        """A root:kvm 0660 node of /dev/kvm for libvirtd's namespace when
        the host's is root-only (as udev would make it on a Debian host):
        libvirt runs QEMU as libvirt-qemu:kvm, and its QEMU capabilities
        cache, judged by whether that user can use KVM, would otherwise be
        re-probed (seconds) at every lookup. The host's /dev/kvm is not
        changed. The guests are TCG on both sides all the same."""
        import grp
        try:
            st = os.stat("/dev/kvm")
            kvm = grp.getgrnam("kvm").gr_gid
        except (OSError, KeyError):
            return None
        if st.st_gid == kvm and (st.st_mode & 0o060) == 0o060:
            return None
        node = self.work / "kvm"
        os.mknod(node, 0o660 | 0o020000, st.st_rdev)
        os.chown(node, 0, kvm)
        os.chmod(node, 0o660)
        self.notes.append("/dev/kvm is root-only here: libvirtd's namespace has a root:kvm 0660 node bind-mounted "
                          "on /dev/kvm (what udev makes on a Debian host); the host's /dev/kvm was not changed")
        return node

    def sides(self):
        return [s for s in (self.vb, self.lv) if s is not None]

    def open(self, side):
        deadline = time.monotonic() + 60
        while True:
            try:
                return self.libvirt.open(side.uri)
            except self.libvirt.libvirtError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    # ------------------------------------------------------------ figures
    def rss_phase(self, when):
        """RSS idle (a client came and went), then with CLIENTS connections."""
        for s in self.sides():
            c = self.open(s)
            c.listAllDomains(0)
            c.close()
        time.sleep(IDLE_WAIT)
        for s in self.sides():
            self.res.setdefault(f"rss_idle_{when}", {})[s.key] = rss_kib(s.pid)
            self.details.append(f"{s.label} idle ({when}): {rss_detail(s.pid)}")
        log(f"{CLIENTS} connections open on each side")
        for s in self.sides():
            conns = [self.open(s) for _ in range(CLIENTS)]
            for c in conns:
                c.getType()
            time.sleep(0.5)
            self.res.setdefault("rss_clients", {})[s.key] = rss_kib(s.pid)
            self.details.append(f"{s.label} with {CLIENTS} clients: {rss_detail(s.pid)}")
            for c in conns:
                c.close()

    def define_all(self):
        for s in self.sides():
            log(f"{s.label}: define {N_DOMAINS}")
            t0 = time.perf_counter()
            for i in range(N_DOMAINS):
                s.conn.defineXML(DOMAIN_XML.format(name=f"{PREFIX}{i:04d}", qemu=QEMU))
            self.res.setdefault("define", {})[s.key] = time.perf_counter() - t0
            s.doms = [d for d in s.conn.listAllDomains(0) if d.name().startswith(PREFIX)]
            if len(s.doms) != N_DOMAINS:
                raise RuntimeError(f"{s.label}: {len(s.doms)} bench domains listed, {N_DOMAINS} defined")

    def rates(self):
        kinds = {
            "info": lambda s, k: s.doms[k % N_DOMAINS].info(),
            "xml": lambda s, k: s.doms[k % N_DOMAINS].XMLDesc(0),
            "list": lambda s, k: s.conn.listAllDomains(0),
        }
        for rep in range(RATE_REPS):
            log(f"call rates, window set {rep + 1}/{RATE_REPS}")
            for kind, fn in kinds.items():
                for s in self.sides():
                    c0, k, t0 = cpu_s(s.pid), 0, time.perf_counter()
                    while time.perf_counter() - t0 < RATE_SECONDS:
                        fn(s, k)
                        k += 1
                    dt = time.perf_counter() - t0
                    r = self.res.setdefault(f"rate_{kind}", {}).setdefault(s.key, [])
                    r.append(k / dt)
                    cpu = self.res.setdefault(f"cpu_{kind}", {}).setdefault(s.key, [])
                    cpu.append((cpu_s(s.pid) - c0) / k * 1e6)
        for kind in kinds:
            for key in ("rate_", "cpu_"):
                d = self.res[key + kind]
                for side in d:
                    d[side] = stats(d[side])

    def undefine_all(self):
        for s in self.sides():
            log(f"{s.label}: undefine {N_DOMAINS}")
            t0 = time.perf_counter()
            for d in s.doms:
                d.undefine()
            self.res.setdefault("undefine", {})[s.key] = time.perf_counter() - t0
            s.doms = []

    def event_latency(self):
        lv = self.libvirt
        ev = self.events
        for s in self.sides():
            cid = s.conn.domainEventRegisterAny(None, lv.VIR_DOMAIN_EVENT_ID_LIFECYCLE, ev.callback, None)
            try:
                log(f"{s.label}: defined/undefined events, {EVENT_RUNS} runs")
                dl, ul = [], []
                name = f"{PREFIX}ev-def"
                for _ in range(EVENT_RUNS):
                    ev.clear()
                    t0 = time.perf_counter()
                    d = s.conn.defineXML(DOMAIN_XML.format(name=name, qemu=QEMU))
                    dl.append(ev.wait(name, lv.VIR_DOMAIN_EVENT_DEFINED) - t0)
                    t0 = time.perf_counter()
                    d.undefine()
                    ul.append(ev.wait(name, lv.VIR_DOMAIN_EVENT_UNDEFINED) - t0)
                self.res.setdefault("ev_define", {})[s.key] = stats(dl)
                self.res.setdefault("ev_undefine", {})[s.key] = stats(ul)

                log(f"{s.label}: a running TCG guest suspended and resumed, {EVENT_RUNS} runs")
                name = f"{PREFIX}ev-run"
                d = s.conn.defineXML(DOMAIN_XML.format(name=name, qemu=QEMU))
                ev.clear()
                d.create()
                ev.wait(name, lv.VIR_DOMAIN_EVENT_STARTED)
                time.sleep(0.5)
                sus, res, sus_ret, res_ret = [], [], [], []
                for _ in range(EVENT_RUNS):
                    ev.clear()
                    t0 = time.perf_counter()
                    d.suspend()
                    sus_ret.append(time.perf_counter() - t0)
                    sus.append(ev.wait(name, lv.VIR_DOMAIN_EVENT_SUSPENDED) - t0)
                    time.sleep(0.02)
                    t0 = time.perf_counter()
                    d.resume()
                    res_ret.append(time.perf_counter() - t0)
                    res.append(ev.wait(name, lv.VIR_DOMAIN_EVENT_RESUMED) - t0)
                    time.sleep(0.02)
                d.destroy()
                d.undefine()
                for k, v in (("ev_suspend", sus), ("ev_resume", res), ("ret_suspend", sus_ret),
                             ("ret_resume", res_ret)):
                    self.res.setdefault(k, {})[s.key] = stats(v)
            finally:
                s.conn.domainEventDeregisterAny(cid)

    def streams(self):
        size = SIZE_MIB << 20
        src = self.work / "src.raw"
        log(f"writing {SIZE_MIB} MiB of random data")
        with open(src, "wb") as f:
            for _ in range(SIZE_MIB):
                f.write(os.urandom(1 << 20))
        os.sync()
        for s in self.sides():
            target = self.work / f"pool-{s.key}"
            target.mkdir()
            s.pool = s.conn.storagePoolDefineXML(
                f"<pool type='dir'><name>{PREFIX}pool</name><target><path>{target}</path></target></pool>", 0)
            s.pool.create(0)
        vol_xml = (f"<volume><name>vol</name><capacity unit='bytes'>{size}</capacity>"
                   "<allocation>0</allocation></volume>")
        dst = self.work / "out.raw"

        def timed(argv_fn, side=None, what=None):
            dst.unlink(missing_ok=True)
            os.sync()
            ru0, c0 = resource.getrusage(resource.RUSAGE_CHILDREN), side and cpu_s(side.pid)
            t0 = time.perf_counter()
            argv_fn()
            os.sync()
            t = time.perf_counter() - t0
            if side:
                ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = self.res.setdefault(f"cpu_{what}", {}).setdefault(side.key, {"client": [], "daemon": []})
                cpu["client"].append(ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime)
                cpu["daemon"].append(cpu_s(side.pid) - c0)
            return t

        for rep in range(STREAM_REPS):
            log(f"1 GiB transfers, run {rep + 1}/{STREAM_REPS}")
            t = timed(lambda: subprocess.run(["cp", src, dst], check=True))
            self.res.setdefault("cp", {}).setdefault("cp", []).append(t)
            for s in self.sides():
                vol = s.pool.createXML(vol_xml, 0)
                os.sync()
                t = timed(lambda: self.virsh(s, "vol-upload", "--pool", f"{PREFIX}pool", "vol", src), s, "upload")
                self.res.setdefault("upload", {}).setdefault(s.key, []).append(t)
                # virtbus's upload leaves little of the volume in the page cache
                # (libvirt's leaves all of it): both download from memory, as cp reads.
                with open(vol.path(), "rb") as f:
                    while f.read(8 << 20):
                        pass
                t = timed(lambda: self.virsh(s, "vol-download", "--pool", f"{PREFIX}pool", "vol", dst),
                          s, "download")
                self.res.setdefault("download", {}).setdefault(s.key, []).append(t)
                if rep == 0:
                    same = subprocess.run(["cmp", "-s", src, dst]).returncode == 0
                    self.details.append(f"{s.label}: uploaded then downloaded file byte-identical: "
                                        f"{'yes' if same else 'NO'}")
                vol.delete(0)
                vol = None
        dst.unlink(missing_ok=True)
        src.unlink()
        for s in self.sides():
            s.pool.destroy()
            s.pool.undefine()
            s.pool = None   # it holds the connection open
        for k in ("cp", "upload", "download"):
            for side, v in self.res[k].items():
                self.res[k][side] = stats(v)

    # ------------------------------------------------------------ run
    def run(self):
        self.setup()
        log("starting virtbus-qemud, -storaged, -proxyd")
        self.start_virtbus()
        try:
            log("starting a private libvirtd (own mount namespace)")
            self.start_libvirtd()
        except Skip as e:
            self.lv_skip = str(e)
        except Exception as e:      # noqa: BLE001 - the proxy's figures still count
            self.lv_skip = f"libvirtd did not start: {e}"
            self.lv = None
        log("RSS")
        self.rss_phase("fresh")
        for s in self.sides():
            s.conn = self.open(s)
        self.define_all()
        self.rates()
        self.undefine_all()
        self.event_latency()
        self.streams()
        for s in self.sides():
            s.conn.close()
            s.conn = None
        time.sleep(IDLE_WAIT)
        for s in self.sides():
            self.res.setdefault("rss_idle_after", {})[s.key] = rss_kib(s.pid)
            self.details.append(f"{s.label} idle after everything: {rss_detail(s.pid)}")

    def cleanup(self):
        for s in self.sides():
            try:
                c = s.conn or self.open(s)
                for d in c.listAllDomains(0):
                    if d.name().startswith(PREFIX):
                        if d.isActive():
                            d.destroy()
                        d.undefine()
                for p in c.listAllStoragePools(0):
                    if p.name().startswith(PREFIX):
                        for v in (p.listAllVolumes(0) if p.isActive() else []):
                            v.delete(0)
                        if p.isActive():
                            p.destroy()
                        p.undefine()
                c.close()
            except Exception as e:      # noqa: BLE001 - go on cleaning
                log(f"{s.label}: clean-up through the API failed: {e}")
        if self.lv_wrap is not None and self.lv_wrap.poll() is None:
            if self.lv and self.lv.pid:
                try:
                    os.kill(self.lv.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                wait_for(lambda: cpu_s(self.lv.pid) is None or
                         proc_status(self.lv.pid).get("State") in ("Z", None), 60, "libvirtd to stop")
            # QEMUs the private libvirtd left (it daemonizes them: the
            # subreaper wrapper is their parent now)
            wrap = self.lv_wrap.pid
            for w in [wrap] + children(wrap):
                for k in children(w):
                    try:
                        with open(f"/proc/{k}/cmdline", "rb") as f:
                            if f"guest={PREFIX}".encode() in f.read():
                                log(f"killing leftover QEMU {k}")
                                os.kill(k, signal.SIGKILL)
                    except OSError:
                        pass
        for p in reversed(self.procs):
            self.stop(p)
        if os.environ.get("VIRTBUS_BENCH_KEEP") == "1":
            log(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    # ------------------------------------------------------------ report
    def report(self, elapsed):
        R = self.res

        def get(key, side, fn=lambda v: v):
            v = R.get(key, {}).get(side)
            return None if v is None else fn(v)

        med = lambda s: s["median"]                   # noqa: E731
        ms = lambda s: s["median"] * 1e3              # noqa: E731
        mib = lambda k: k / 1024                      # noqa: E731
        cp = get("cp", "cp")
        mibs = lambda s: SIZE_MIB / s["median"]      # noqa: E731
        rows = [
            # label, vb, lv, unit, better, target, fmt
            (f"dom.info() calls/s, {N_DOMAINS} defined", get("rate_info", "vb", med), get("rate_info", "lv", med),
             "/s", "high", ("ratio", 2), "{:.0f}"),
            (f"dom.XMLDesc(0) calls/s, {N_DOMAINS} defined", get("rate_xml", "vb", med), get("rate_xml", "lv", med),
             "/s", "high", ("ratio", 2), "{:.0f}"),
            (f"conn.listAllDomains(0) calls/s, {N_DOMAINS} defined", get("rate_list", "vb", med),
             get("rate_list", "lv", med), "/s", "high", ("ratio", 2), "{:.1f}"),
            ("event: suspend() → SUSPENDED callback (running TCG guest)", get("ev_suspend", "vb", ms),
             get("ev_suspend", "lv", ms), "ms", "low", None, "{:.2f}"),
            ("event: resume() → RESUMED callback", get("ev_resume", "vb", ms), get("ev_resume", "lv", ms),
             "ms", "low", None, "{:.2f}"),
            ("event: defineXML() → DEFINED callback", get("ev_define", "vb", ms), get("ev_define", "lv", ms),
             "ms", "low", None, "{:.2f}"),
            ("event: undefine() → UNDEFINED callback", get("ev_undefine", "vb", ms), get("ev_undefine", "lv", ms),
             "ms", "low", None, "{:.2f}"),
            (f"virsh vol-upload {SIZE_MIB} MiB + sync", get("upload", "vb", mibs), get("upload", "lv", mibs),
             "MiB/s", "high", ("cp", 0.9), "{:.0f}"),
            (f"virsh vol-download {SIZE_MIB} MiB + sync", get("download", "vb", mibs), get("download", "lv", mibs),
             "MiB/s", "high", ("cp", 0.9), "{:.0f}"),
            ("RSS idle (fresh: one client came and went)", get("rss_idle_fresh", "vb", mib),
             get("rss_idle_fresh", "lv", mib), "MiB", "low", ("<=", 4), "{:.1f}"),
            (f"RSS with {CLIENTS} clients connected", get("rss_clients", "vb", mib), get("rss_clients", "lv", mib),
             "MiB", "low", None, "{:.1f}"),
            ("RSS idle after the whole bench", get("rss_idle_after", "vb", mib), get("rss_idle_after", "lv", mib),
             "MiB", "low", ("<=", 4), "{:.1f}"),
        ]
        table = [("figure", "virtbus (proxy)", "libvirtd 9.0", "ratio", "target", "met?")]
        for label, vb, lv, unit, better, target, fmt in rows:
            f = lambda v: "n/a" if v is None else f"{fmt.format(v)} {unit}"   # noqa: E731
            ratio = None
            if better and vb and lv:
                ratio = lv / vb if better == "low" else vb / lv
            tgt, met = "—", "—"
            if target:
                op, tv = target
                if op == "ratio":
                    tgt = f"≥ {tv:g}× libvirtd"
                    met = "n/a" if ratio is None else ("yes" if ratio >= tv else "NO")
                elif op == "cp":
                    tgt = f"≥ {tv * 100:.0f} % of cp"
                    if vb is not None and cp:
                        pct = vb / mibs(cp) * 100
                        tgt += f" (is {pct:.0f} %)"
                        met = "yes" if pct >= tv * 100 else "NO"
                else:
                    tgt = f"≤ {tv:g} {unit}"
                    met = "n/a" if vb is None else ("yes" if vb <= tv else "NO")
            table.append((label, f(vb), f(lv), "—" if ratio is None else f"{ratio:.1f}×", tgt, met))
        widths = [max(len(r[i]) for r in table) for i in range(6)]
        line = lambda r: "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |"   # noqa: E731
        print()
        print(f"== virtbus-proxyd vs libvirtd 9.0 (python3-libvirt, virsh) — {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, "
              f"{os.cpu_count()} CPUs")
        print(line(table[0]))
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for r in table[1:]:
            print(line(r))
        print("ratio: how many times better the proxy is (its rate ÷ libvirtd's, libvirtd's time or RSS ÷ its).")
        if cp:
            print(f"cp {SIZE_MIB} MiB + sync: {spread(cp, 1, '{:.2f}')} s = {mibs(cp):.0f} MiB/s (median)")
        print()
        print("Details, median (min–max, n):")
        for key, title, scale, fmt, unit in (
                ("rate_info", "dom.info()", 1, "{:.0f}", "calls/s"),
                ("rate_xml", "dom.XMLDesc(0)", 1, "{:.0f}", "calls/s"),
                ("rate_list", "listAllDomains(0)", 1, "{:.1f}", "calls/s"),
                ("cpu_info", "daemon CPU per info()", 1, "{:.1f}", "µs"),
                ("cpu_xml", "daemon CPU per XMLDesc", 1, "{:.1f}", "µs"),
                ("cpu_list", "daemon CPU per listAll", 1, "{:.0f}", "µs"),
                ("ev_suspend", "suspend → callback", 1e3, "{:.2f}", "ms"),
                ("ret_suspend", "suspend() returns", 1e3, "{:.2f}", "ms"),
                ("ev_resume", "resume → callback", 1e3, "{:.2f}", "ms"),
                ("ret_resume", "resume() returns", 1e3, "{:.2f}", "ms"),
                ("ev_define", "define → callback", 1e3, "{:.2f}", "ms"),
                ("ev_undefine", "undefine → callback", 1e3, "{:.2f}", "ms"),
                ("upload", "vol-upload + sync", 1, "{:.2f}", "s"),
                ("download", "vol-download + sync", 1, "{:.2f}", "s")):
            for side, who in (("vb", "virtbus"), ("lv", "libvirtd")):
                s = R.get(key, {}).get(side)
                if s is not None:
                    print(f"  {title:<24} {who:<8} {spread(s, scale, fmt)} {unit}")
        for what in ("upload", "download"):
            for side, who in (("vb", "virtbus"), ("lv", "libvirtd")):
                v = R.get(f"cpu_{what}", {}).get(side)
                if v:
                    print(f"  CPU per {what} of {SIZE_MIB} MiB, {who}: virsh {statistics.median(v['client']):.2f} s, "
                          f"{'virtbus-proxyd' if side == 'vb' else 'libvirtd'} "
                          f"{statistics.median(v['daemon']):.2f} s (medians)")
        for side, who in (("vb", "virtbus"), ("lv", "libvirtd")):
            if side in R.get("define", {}):
                print(f"  define ×{N_DOMAINS} {who}: {R['define'][side]:.2f} s, undefine ×{N_DOMAINS} "
                      f"{R.get('undefine', {}).get(side, float('nan')):.2f} s (one connection, sequential)")
        print("  'daemon CPU' is the CPU time (utime+stime) of virtbus-proxyd / libvirtd per call; on the virtbus "
              "side qemud and dbus-daemon work too, not counted there.")
        for d in self.details:
            print("  " + d)
        print("Events: the call's time is taken before it is sent; the callback's as python-libvirt's event loop "
              "thread runs it. SUSPENDED/RESUMED come from QEMU's STOP/RESUME events through the daemon.")
        print("Transfers: each one is `virsh ... vol-upload|vol-download` (its process start included) and then sync, "
              "timed as `cp` + sync; into a new sparse raw volume each run.")
        if self.lv_skip:
            print(f"libvirtd figures n/a: {self.lv_skip}")
        for n in self.notes:
            print("note: " + n)
        if LOADS:
            print(f"1-minute load average over the run: {min(LOADS):.2f}–{max(LOADS):.2f} on {os.cpu_count()} CPUs "
                  "(other work on this machine shows up in every figure)")
        print(f"bench time {elapsed:.0f} s")


def run_bench(b, name, logs):
    """Runs b.run() and b.report(elapsed); on failure prints the tails of
    the named logs; always b.cleanup(), signals ignored meanwhile. The exit
    status: 0, 1 on failure, 130 when interrupted."""
    t_start = time.monotonic()

    def on_signal(sig, frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rc = 0
    try:
        b.run()
        b.report(time.monotonic() - t_start)
    except KeyboardInterrupt as e:
        log(f"interrupted ({e})")
        rc = 130
    except Exception as e:      # noqa: BLE001
        import traceback
        traceback.print_exc()
        log(f"{name} failed: {e}")
        for logname in logs:
            t = b.tail(logname, 15)
            if t:
                log(f"--- {logname}:\n{t}")
        rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        b.cleanup()
    return rc


def main():
    return run_bench(Bench(), "proxy-bench",
                     ("virtbus-proxyd.log", "virtbus-qemud.log", "virtbus-storaged.log", "libvirtd.log"))


if __name__ == "__main__":
    sys.exit(main())
