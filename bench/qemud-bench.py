#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud beside libvirt 9.0 (Debian's libvirtd + libvirt-dbus), measured in
the same run, each figure beside the project's target.

    /usr/bin/python3 bench/qemud-bench.py        (as root; make first)

Environment: VIRTBUS_BUILD (default build/) holds virtbus-qemud;
VIRTBUS_BENCH_DOMAINS (default 1000) is the number of defined domains;
VIRTBUS_BENCH_NO_LIBVIRT=1 skips libvirt (its column then says n/a, as it
does when libvirt is not installed or another libvirtd is running).

What runs: everything lives in a temporary directory: a private dbus-daemon
(scripts/dbus-test-bus.conf, plus Debian's org.libvirt.conf and a rule letting
root own org.libvirt), virtbus-qemud --root TMP/root, and the sd-bus client
bench/qemud-callrate.c, built here. libvirt is the system one (/run/libvirt,
/etc/libvirt): libvirtd runs by hand under bench/qemud-libvirtd-wrap.py (a child
subreaper, pinned to CPU 0, with a root:kvm 0660 copy of /dev/kvm bind-mounted
in its own mount namespace; that file says why), virtlogd beside it (unless
one runs already), libvirt-dbus on the private bus. Bench domains are named
vbqb<pid>-*; every one is destroyed and undefined at the end, every process
started here is stopped by its pid, and the temporary directory is removed.

The domain is the baseline's: 64 MiB, 1 vCPU, q35, no disk, type kvm when
QEMU starts with KVM here (nested KVM cannot boot Linux, but these figures
only need QEMU up), else type qemu (TCG).
"""

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dbus

REPO = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("VIRTBUS_BUILD", REPO / "build")).resolve()
QEMUD = BUILD / "virtbus-qemud"
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
N_DOMAINS = int(os.environ.get("VIRTBUS_BENCH_DOMAINS", "1000"))
RUNS = 15               # start/destroy and virtbus cold starts
LIBVIRTD_COLD_RUNS = 5  # each libvirtd cold start with 1000 defined costs seconds
RATE_SECONDS = 1.5      # each call-rate window...
RATE_REPS = 3           # ...and how many of them
WINDOW = 64             # calls in flight for the pipelined rate
LATENCY_CALLS = 101
IDLE_WAIT = 2.0         # seconds between the first answered call and reading VmRSS
PREFIX = f"vbqb{os.getpid()}-"

QEMUD_DEST, QEMUD_ROOT = "org.virtbus.qemud", "/org/virtbus/qemud"
LV_DEST, LV_ROOT = "org.libvirt", "/org/libvirt/QEMU"
LIBVIRTD, VIRTLOGD, LIBVIRT_DBUS = "/usr/sbin/libvirtd", "/usr/sbin/virtlogd", "/usr/sbin/libvirt-dbus"

DOMAIN_XML = """<domain type='{type}'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><emulator>{qemu}</emulator></devices>
</domain>
"""


class Skip(Exception):
    """A part that cannot run here: its figures say n/a, with this reason."""


LOADS = []      # (what, 1-minute load average) as the bench goes


def log(msg):
    LOADS.append((msg, os.getloadavg()[0]))
    print(f"[{time.strftime('%H:%M:%S')}] {msg} (load {LOADS[-1][1]:.2f})", file=sys.stderr, flush=True)


def stats(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def spread(s, scale=1.0, fmt="{:.1f}"):
    if not s:
        return "n/a"
    return (f"{fmt.format(s['median'] * scale)} ({fmt.format(s['min'] * scale)}–"
            f"{fmt.format(s['max'] * scale)}, n={s['n']})")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def rss_detail(pid):
    """'VmRSS = RssAnon + RssFile + RssShmem' in KiB, threads."""
    f = {}
    with open(f"/proc/{pid}/status") as st:
        for line in st:
            k, _, v = line.partition(":")
            f[k] = v.split()[0] if v.split() else ""
    return (f"VmRSS {f.get('VmRSS')} KiB = anon {f.get('RssAnon')} + file {f.get('RssFile')} + "
            f"shmem {f.get('RssShmem')}, {f.get('Threads')} thread(s)")


def cpu_s(pid):
    """CPU time the threads of `pid` have used so far (schedstat), seconds."""
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        return None
    return total / 1e9


def kv(line):
    """'word k=v k=v' -> {k: v} (numbers as float)."""
    out = {}
    for w in line.split():
        if "=" in w:
            k, v = w.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def pid_gone(pid):
    """Gone or a zombie (a zombie's memory and devices are released)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def procs_named(comm):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() == comm:
                        out.append(int(d))
            except OSError:
                pass
    return out


def children(pid):
    kids = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def wait_for(fn, timeout, what, interval=0.005):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Bench:
    def __init__(self):
        self.work = Path(tempfile.mkdtemp(prefix="vbq-bench-", dir="/tmp"))
        os.chmod(self.work, 0o755)
        self.procs = []          # every Popen started here, stopped by pid at the end
        self.res = {}            # figure key -> {"vb": stats or value, "lv": ...}
        self.notes = []
        self.ref = []            # (text) extra libvirt reference lines
        self.lv_skip = None
        self.vb_error = None
        self.rss_notes = []
        self.cpu_notes = []
        self.lv_qemu_cpus = None
        self.lv_defined = False  # bench domains may exist in libvirt: clean them up
        self.libvirtd = None     # (wrapper Popen, libvirtd pid)
        self.virtlogd = None
        self.lvdbus = None
        self.qemud = None
        self.bus = None
        self.kvm_node = None

    # ------------------------------------------------------------------ plumbing
    def spawn(self, argv, log_name, env=None, **kw):
        logf = open(self.work / log_name, "ab")
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", logf)
        kw.setdefault("stderr", logf)
        p = subprocess.Popen([str(a) for a in argv], env=env, **kw)
        logf.close()
        self.procs.append(p)
        return p

    def stop(self, p, timeout=60, sig=signal.SIGTERM):
        if p is None or p.poll() is not None:
            return
        try:
            p.send_signal(sig)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"pid {p.pid} ({p.args[0]}) ignored SIGTERM for {timeout} s: SIGKILL")
            p.kill()
            p.wait()

    def tail(self, name, n=30):
        try:
            return "\n".join((self.work / name).read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def env_bus(self):
        env = dict(os.environ)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_address
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.pop("NOTIFY_SOCKET", None)
        return env

    def env_nobus(self):
        # libvirtd ran without a system bus in the baseline.
        env = dict(os.environ)
        for k in ("DBUS_SYSTEM_BUS_ADDRESS", "DBUS_SESSION_BUS_ADDRESS", "NOTIFY_SOCKET"):
            env.pop(k, None)
        return env

    def callrate(self, *args, timeout=600):
        r = subprocess.run([str(self.client)] + [str(a) for a in args], env=self.env_bus(),
                           capture_output=True, text=True, timeout=timeout)
        with open(self.work / "callrate.log", "a") as f:
            f.write(f"$ {' '.join(str(a) for a in args)}\n{r.stdout}{r.stderr}\n")
        if r.returncode != 0:
            raise RuntimeError(f"qemud-callrate {args[0]} failed ({r.returncode}): "
                               f"{(r.stderr or r.stdout).strip()[-800:]}")
        return r.stdout

    def dcall(self, dest, path, iface, method, sig="", *args, timeout=120):
        return self.conn.call_blocking(dest, path, iface, method, sig, args, timeout=timeout)

    def has_owner(self, name):
        return bool(self.conn.name_has_owner(name))

    # ------------------------------------------------------------------ setup
    def bus_command(self):
        """dbus-daemon, or dbus-broker (scripts/dbus-broker-run) when VIRTBUS_TEST_BUS=broker."""
        if os.environ.get("VIRTBUS_TEST_BUS") == "broker":
            return [sys.executable, str(REPO / "scripts/dbus-broker-run")]
        return ["dbus-daemon"]

    def router_pid(self):
        """The process that routes the messages: dbus-daemon, or the dbus-broker below the launcher."""
        todo = [self.bus.pid]
        while todo:
            p = todo.pop(0)
            try:
                with open(f"/proc/{p}/comm") as f:
                    if f.read().strip() in ("dbus-daemon", "dbus-broker"):
                        return p
            except OSError:
                continue
            todo += children(p)
        return None

    def setup(self):
        if os.geteuid() != 0:
            sys.exit("qemud-bench: run as root (QEMU with KVM, libvirt's system daemon)")
        if not QEMUD.exists():
            sys.exit(f"qemud-bench: {QEMUD} is not built: run make (or set VIRTBUS_BUILD)")
        self.client = self.work / "qemud-callrate"
        cc = subprocess.run(f"cc -O2 -Wall -o {self.client} {REPO}/bench/qemud-callrate.c "
                            "$(pkg-config --cflags --libs libsystemd)", shell=True,
                            capture_output=True, text=True)
        if cc.returncode != 0:
            sys.exit(f"qemud-bench: cannot build bench/qemud-callrate.c:\n{cc.stderr}")
        self.accel, self.dtype = self.pick_accel()
        self.template = self.work / "domain.xml.in"
        self.template.write_text(DOMAIN_XML.format(type=self.dtype, name="@NAME@", qemu=QEMU))

        conf = self.work / "bus.conf"
        conf.write_text(
            '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n'
            ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
            "<busconfig>\n"
            f"  <include>{REPO}/scripts/dbus-test-bus.conf</include>\n"
            '  <include ignore_missing="yes">/usr/share/dbus-1/system.d/org.libvirt.conf</include>\n'
            '  <policy user="root">\n    <allow own="org.libvirt"/>\n  </policy>\n'
            "</busconfig>\n")
        self.bus_address = f"unix:path={self.work}/bus"
        logf = open(self.work / "dbus-daemon.log", "ab")
        self.bus = subprocess.Popen([*self.bus_command(), f"--config-file={conf}", f"--address={self.bus_address}",
                                     "--nofork", "--nopidfile", "--print-address=1"],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=logf)
        logf.close()
        self.procs.append(self.bus)
        if not self.bus.stdout.readline():
            sys.exit("qemud-bench: dbus-daemon did not start:\n" + self.tail("dbus-daemon.log"))
        self.bus.stdout.close()
        self.conn = dbus.bus.BusConnection(self.bus_address)

    def pick_accel(self):
        """kvm when QEMU reaches running with it here, else tcg."""
        try:
            fd = os.open("/dev/kvm", os.O_RDWR)
            os.close(fd)
        except OSError as e:
            self.notes.append(f"/dev/kvm cannot be opened ({e.strerror}): TCG (domain type 'qemu') everywhere")
            return "tcg", "qemu"
        try:
            self.bare_qemu_once("kvm")
            self.bare_qemu_once("kvm")
        except Exception as e:     # noqa: BLE001
            self.notes.append(f"QEMU does not start with KVM here ({e}): TCG (domain type 'qemu') everywhere")
            return "tcg", "qemu"
        return "kvm", "kvm"

    # ------------------------------------------------------------------ bare QEMU
    def bare_qemu_once(self, accel):
        """exec -> QMP cont answered and query-status running; quit -> reaped.
        The monitor socket is made here and passed as a file descriptor, as
        qemud does, so no connect polling skews the figure."""
        path = str(self.work / "bare.qmp")
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(path)
        ls.listen(1)
        fd = ls.fileno()
        argv = [QEMU, "-machine", f"q35,accel={accel}", "-m", "64", "-smp", "1", "-nodefaults",
                "-no-user-config", "-display", "none", "-S",
                "-chardev", f"socket,id=mon,fd={fd},server=on,wait=off", "-mon", "chardev=mon,mode=control"]
        logf = open(self.work / "bare-qemu.log", "ab")
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=logf, stderr=logf)
        logf.close()
        self.procs.append(p)
        ls.close()
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(30)
        try:
            c.connect(path)
            f = c.makefile("rwb", buffering=0)

            def reply():
                while True:
                    line = f.readline()
                    if not line:
                        raise RuntimeError("QEMU closed its monitor: " + self.tail("bare-qemu.log", 5))
                    m = json.loads(line)
                    if "event" not in m:
                        return m

            def cmd(name):
                f.write(json.dumps({"execute": name}).encode() + b"\n")
                m = reply()
                if "error" in m:
                    raise RuntimeError(f"QMP {name}: {m['error']}")
                return m["return"]

            reply()                                   # greeting
            cmd("qmp_capabilities")
            cmd("cont")
            st = cmd("query-status")
            t1 = time.perf_counter()
            if st.get("status") != "running":
                raise RuntimeError(f"query-status says {st}")
            t2 = time.perf_counter()
            f.write(b'{"execute":"quit"}\n')
            p.wait(timeout=30)
            t3 = time.perf_counter()
        finally:
            c.close()
            if p.poll() is None:
                p.kill()
                p.wait()
            self.procs.remove(p)
        return t1 - t0, t3 - t2

    # ------------------------------------------------------------------ virtbus
    def start_qemud(self):
        self.qemud = self.spawn([QEMUD, "--root", self.work / "root"], "virtbus-qemud.log", env=self.env_bus())
        wait_for(lambda: self.qemud.poll() is not None or self.has_owner(QEMUD_DEST), 30, "virtbus-qemud on the bus")
        if self.qemud.poll() is not None:
            raise RuntimeError("virtbus-qemud exited:\n" + self.tail("virtbus-qemud.log"))

    def stop_qemud(self):
        self.stop(self.qemud)
        wait_for(lambda: not self.has_owner(QEMUD_DEST), 30, "org.virtbus.qemud to leave the bus")
        self.qemud = None

    def lifecycle(self, create, destroy, state, qemu_pid, label):
        """Warm-up, then RUNS times: a bare QEMU (exec -> running, quit), then
        create (call -> returns, state checked after) and destroy (call ->
        returns; the QEMU process must be gone). The bare runs are interleaved
        so that both see the same load on this shared machine."""
        self.bare_qemu_once(self.accel)
        create()
        pid = qemu_pid()
        destroy()
        wait_for(lambda: pid_gone(pid), 30, f"{label}'s warm-up QEMU to go")
        bare, bare_quit, cr, de, paired, late = [], [], [], [], [], 0
        for _ in range(RUNS):
            b, q = self.bare_qemu_once(self.accel)
            bare.append(b)
            bare_quit.append(q)
            time.sleep(0.05)
            t0 = time.perf_counter()
            create()
            t1 = time.perf_counter()
            st = state()
            if st != 1:
                raise RuntimeError(f"{label}: state after create is {st}, not running (1)")
            pid = qemu_pid()
            time.sleep(0.05)
            t2 = time.perf_counter()
            destroy()
            t3 = time.perf_counter()
            if not pid_gone(pid):
                late += 1
                wait_for(lambda: pid_gone(pid), 30, f"{label}'s QEMU {pid} to go", interval=0.0005)
                t3 = time.perf_counter()
            cr.append(t1 - t0)
            de.append(t3 - t2)
            paired.append(cr[-1] - bare[-1])
            time.sleep(0.1)
        if late:
            self.notes.append(f"{label}: destroy returned before QEMU was gone in {late} of {RUNS} runs "
                              "(the figure then runs until it was gone)")
        self.res.setdefault("paired", {})["vb" if label.startswith("virtbus") else "lv"] = stats(paired)
        return stats(bare), stats(bare_quit), stats(cr), stats(de)

    def bench_virtbus(self):
        root = self.work / "root"
        log("virtbus-qemud: idle RSS")
        self.start_qemud()
        self.dcall(QEMUD_DEST, QEMUD_ROOT, "org.libvirt.Connect", "ListDomains", "u", 0)
        time.sleep(IDLE_WAIT)
        self.res["rss_idle"] = {"vb": rss_kib(self.qemud.pid)}
        self.rss_notes.append(f"virtbus-qemud idle: {rss_detail(self.qemud.pid)}")

        log(f"virtbus-qemud: Domain.Create / Destroy, {RUNS} runs")
        path = str(self.dcall(QEMUD_DEST, QEMUD_ROOT, "org.libvirt.Connect", "DomainDefineXML", "s",
                              DOMAIN_XML.format(type=self.dtype, name=PREFIX + "life", qemu=QEMU)))
        qemud_pid = self.qemud.pid

        def qemu_pid():
            want = f"guest={PREFIX}life,".encode()
            for k in children(qemud_pid):
                try:
                    with open(f"/proc/{k}/cmdline", "rb") as f:
                        if want in f.read():
                            return k
                except OSError:
                    pass
            raise RuntimeError(f"no QEMU of {PREFIX}life among virtbus-qemud's children "
                               f"{children(qemud_pid)}")

        bare, bq, cr, de = self.lifecycle(
            lambda: self.dcall(QEMUD_DEST, path, "org.libvirt.Domain", "Create", "u", 0),
            lambda: self.dcall(QEMUD_DEST, path, "org.libvirt.Domain", "Destroy", "u", 0),
            lambda: int(self.dcall(QEMUD_DEST, path, "org.libvirt.Domain", "GetState", "u", 0)[0]),
            qemu_pid, "virtbus-qemud")
        self.res["bare"] = {"vb": bare}
        self.res["bare_quit"] = {"vb": bq}
        self.res["create"] = {"vb": cr}
        self.res["destroy"] = {"vb": de}
        self.dcall(QEMUD_DEST, path, "org.libvirt.Domain", "Undefine", "u", 0)

        log(f"virtbus-qemud: define {N_DOMAINS}")
        paths = self.work / "qemud-paths"
        self.fsync_floor()
        os.sync()      # defines are fsync-bound: start with no one else's dirty data
        c0 = cpu_s(self.qemud.pid)
        out = kv(self.callrate("define", QEMUD_DEST, QEMUD_ROOT, self.template, PREFIX, N_DOMAINS, paths))
        self.res["define"] = {"vb": out["seconds"]}
        self.cpu_notes.append(f"define {N_DOMAINS}: virtbus-qemud on CPU {cpu_s(self.qemud.pid) - c0:.3f} s "
                              f"of {out['seconds']:.3f} s")
        self.measure_calls(QEMUD_DEST, QEMUD_ROOT, paths, "vb")
        self.res["rss_1000_long"] = {"vb": rss_kib(self.qemud.pid)}
        self.rss_notes.append(f"virtbus-qemud after the calls, {N_DOMAINS} defined: {rss_detail(self.qemud.pid)}")
        self.stop_qemud()

        log(f"virtbus-qemud: cold start with {N_DOMAINS} defined, {RUNS} runs")
        out = self.callrate("coldstart", QEMUD_DEST, QEMUD_ROOT, RUNS, int(IDLE_WAIT * 1000), "--",
                            QEMUD, "--root", root)
        runs = [kv(line) for line in out.splitlines() if line.startswith("run=")]
        bad = [r for r in runs if int(r["domains"]) != N_DOMAINS]
        if bad:
            raise RuntimeError(f"virtbus-qemud cold start answered ListDomains with {int(bad[0]['domains'])} "
                               f"domains, expected {N_DOMAINS}")
        self.res["cold"] = {"vb": stats([r["seconds"] for r in runs])}
        self.cpu_notes.append(f"cold start, {N_DOMAINS} defined: virtbus-qemud on CPU until the first answer "
                              f"{spread(stats([r['cpu_ms'] for r in runs]))} ms")
        rss = [kv(line) for line in out.splitlines() if line.startswith("rss_kib=")]
        self.res["rss_1000_fresh"] = {"vb": int(rss[0]["rss_kib"])}

    def measure_calls(self, dest, root, paths, side):
        log(f"{dest}: ListDomains latency, GetXMLDesc rates ({N_DOMAINS} defined)")
        out = kv(self.callrate("latency", dest, root, LATENCY_CALLS))
        if int(out["domains"]) != N_DOMAINS:
            raise RuntimeError(f"{dest} ListDomains returned {int(out['domains'])} domains, expected {N_DOMAINS}")
        self.res.setdefault("list", {})[side] = {"median": out["median_ms"] / 1e3, "min": out["min_ms"] / 1e3,
                                                 "max": out["max_ms"] / 1e3, "n": int(out["calls"]),
                                                 "p90": out["p90_ms"] / 1e3}
        for key, window in (("xml_pipe", WINDOW), ("xml_seq", 1)):
            out = kv(self.callrate("rate", dest, paths, window, RATE_SECONDS, RATE_REPS))
            reps = [v for k, v in out.items() if k.startswith("rep")]
            self.res.setdefault(key, {})[side] = stats(reps)

    def fsync_floor(self, n=200):
        """What the disk costs: n atomic small-file writes (write, fsync,
        rename) beside qemud's configuration, with and without an fsync of
        the folder after the rename; printed per 1,000."""
        d = self.work / "root" / "fsync-floor"
        d.mkdir(exist_ok=True)
        data = DOMAIN_XML.format(type=self.dtype, name="x" * 20, qemu=QEMU).encode() * 2
        os.sync()
        res = {}
        for dirsync in (False, True):
            t0 = time.perf_counter()
            for i in range(n):
                tmp, final = d / f"f{i}.xml.tmp", d / f"f{dirsync:d}-{i}.xml"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.write(fd, data)
                os.fsync(fd)
                os.close(fd)
                os.rename(tmp, final)
                if dirsync:
                    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
                    os.fsync(dfd)
                    os.close(dfd)
            res[dirsync] = (time.perf_counter() - t0) * 1000 / n
        shutil.rmtree(d)
        self.cpu_notes.append(f"disk floor beside qemud's configuration, per 1000 atomic file writes: "
                              f"{res[False]:.2f} s with fsync(file) (what libvirt does per define), "
                              f"{res[True]:.2f} s with fsync(file) + fsync(folder) (what virtbus-qemud does); "
                              f"from {n} of each")

    # ------------------------------------------------------------------ libvirt
    def libvirt_preflight(self):
        if os.environ.get("VIRTBUS_BENCH_NO_LIBVIRT") == "1":
            raise Skip("VIRTBUS_BENCH_NO_LIBVIRT=1")
        for f in (LIBVIRTD, VIRTLOGD):
            if not os.path.exists(f):
                raise Skip(f"{f} is not installed (scripts/install-deps.sh bench)")
        try:
            import libvirt     # noqa: F401
        except ImportError:
            raise Skip("python3-libvirt is not installed (scripts/install-deps.sh bench)") from None
        others = procs_named("libvirtd")
        if others:
            raise Skip(f"a libvirtd not started by this bench is running (pid {others[0]}); "
                       "only one system libvirtd can run")
        if self.accel == "kvm":
            st = os.stat("/dev/kvm")
            import grp
            import pwd
            try:
                qu = pwd.getpwnam("libvirt-qemu")
                groups = {g.gr_gid for g in grp.getgrall() if "libvirt-qemu" in g.gr_mem} | {qu.pw_gid}
            except KeyError:
                groups = set()
            ok = (st.st_mode & 0o006) == 0o006 or (st.st_gid in groups and (st.st_mode & 0o060) == 0o060)
            if not ok:
                node = self.work / "kvm"
                os.mknod(node, 0o660 | 0o020000, os.makedev(os.major(st.st_rdev), os.minor(st.st_rdev)))
                os.chown(node, 0, grp.getgrnam("kvm").gr_gid)
                os.chmod(node, 0o660)
                self.kvm_node = node
                self.notes.append("/dev/kvm is root-only here: libvirtd ran in its own mount namespace with a "
                                  "root:kvm 0660 node bind-mounted on /dev/kvm (what udev does on a normal "
                                  "Debian host); the host's /dev/kvm was not changed")

    def start_libvirtd(self, subreaper=True):
        """libvirtd under the wrapper; returns (t0 of its exec, its pid)."""
        import libvirt
        rfd, wfd = os.pipe()
        argv = ["/usr/bin/python3", REPO / "bench" / "qemud-libvirtd-wrap.py", "--cpu", "0", "--stamp-fd", wfd]
        if self.kvm_node:
            argv += ["--kvm-node", self.kvm_node]
        if subreaper:
            argv.append("--subreaper")
        argv += ["--", LIBVIRTD]
        p = self.spawn(argv, "libvirtd.log", env=self.env_nobus(), pass_fds=(wfd,), start_new_session=True)
        os.close(wfd)
        with os.fdopen(rfd) as f:
            line = f.read()
        if not line:
            p.wait(timeout=30)
            raise RuntimeError("libvirtd did not start:\n" + self.tail("libvirtd.log"))
        info = kv(line)
        self.libvirtd = (p, int(info["pid"]))
        return info["t0"], int(info["pid"])

    def lv_open(self, timeout=120):
        import libvirt
        p, _ = self.libvirtd
        deadline = time.monotonic() + timeout
        while True:
            try:
                return libvirt.open("qemu:///system")
            except libvirt.libvirtError:
                if p.poll() is not None:
                    raise RuntimeError("libvirtd exited:\n" + self.tail("libvirtd.log")) from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.001)

    def stop_libvirtd(self):
        if not self.libvirtd:
            return
        p, pid = self.libvirtd
        if p.poll() is None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                log(f"libvirtd {pid} did not stop in 60 s: SIGKILL")
                os.kill(pid, signal.SIGKILL)
                p.wait(timeout=30)
        self.libvirtd = None

    def bench_libvirt(self):
        self.libvirt_preflight()
        import libvirt
        libvirt.registerErrorHandler(lambda c, e: None, None)
        if not procs_named("virtlogd"):
            self.virtlogd = self.spawn([VIRTLOGD], "virtlogd.log", env=self.env_nobus(), start_new_session=True)
            wait_for(lambda: os.path.exists("/run/libvirt/virtlogd-sock") or self.virtlogd.poll() is not None,
                     30, "virtlogd's socket")

        log("libvirtd: idle RSS")
        self.start_libvirtd()
        c = self.lv_open()
        c.listAllDomains(0)
        time.sleep(IDLE_WAIT)
        _, lvpid = self.libvirtd
        self.res.setdefault("rss_idle", {})["lv"] = rss_kib(lvpid)
        self.rss_notes.append(f"libvirtd idle: {rss_detail(lvpid)}")
        v, q = c.getLibVersion(), c.getVersion()
        self.ref.append(f"libvirtd {v // 1000000}.{v // 1000 % 1000}.{v % 1000}, "
                        f"QEMU {q // 1000000}.{q // 1000 % 1000}.{q % 1000}, "
                        f"{len(c.listAllDomains(0))} domains defined before this bench")

        log(f"libvirtd: dom.create() / dom.destroy(), {RUNS} runs")
        self.lv_defined = True
        dom = c.defineXML(DOMAIN_XML.format(type=self.dtype, name=PREFIX + "life", qemu=QEMU))
        name = dom.name()

        def qemu_pid():
            with open(f"/run/libvirt/qemu/{name}.pid") as f:
                pid = int(f.read())
            if not self.lv_qemu_cpus:
                with open(f"/proc/{pid}/status") as f:
                    self.lv_qemu_cpus = [ln.split()[1] for ln in f if ln.startswith("Cpus_allowed_list")][0]
                self.notes.append(f"libvirtd was pinned to CPU 0 (the capabilities-cache trap); "
                                  f"the QEMU it started may run on CPUs {self.lv_qemu_cpus}")
            return pid
        bare, bq, cr, de = self.lifecycle(dom.create, dom.destroy, lambda: dom.state()[0], qemu_pid, "libvirtd")
        self.res.setdefault("bare", {})["lv"] = bare
        self.res.setdefault("bare_quit", {})["lv"] = bq
        self.res.setdefault("create", {})["lv"] = cr
        self.res.setdefault("destroy", {})["lv"] = de
        dom.undefine()

        log(f"libvirtd: define {N_DOMAINS} (python3-libvirt), then through libvirt-dbus")
        xmls = [DOMAIN_XML.format(type=self.dtype, name=f"{PREFIX}{i:04d}", qemu=QEMU) for i in range(N_DOMAINS)]
        os.sync()
        t0 = time.perf_counter()
        doms = [c.defineXML(x) for x in xmls]
        t1 = time.perf_counter()
        for d in doms:
            d.undefine()
        t2 = time.perf_counter()
        self.ref.append(f"python3-libvirt, one connection: defineXML x{N_DOMAINS} {t1 - t0:.3f} s, "
                        f"undefine x{N_DOMAINS} {t2 - t1:.3f} s")

        lvdbus = os.path.exists(LIBVIRT_DBUS)
        if lvdbus:
            self.lvdbus = self.spawn([LIBVIRT_DBUS, "--system"], "libvirt-dbus.log", env=self.env_bus(),
                                     start_new_session=True)
            wait_for(lambda: self.lvdbus.poll() is not None or self.has_owner(LV_DEST), 30, "libvirt-dbus")
            if self.lvdbus.poll() is not None:
                raise RuntimeError("libvirt-dbus exited:\n" + self.tail("libvirt-dbus.log"))
            paths = self.work / "libvirt-paths"
            os.sync()
            c0, d0 = cpu_s(lvpid), cpu_s(self.lvdbus.pid)
            out = kv(self.callrate("define", LV_DEST, LV_ROOT, self.template, PREFIX, N_DOMAINS, paths))
            self.res.setdefault("define", {})["lv"] = out["seconds"]
            self.cpu_notes.append(f"define {N_DOMAINS}: libvirtd on CPU {cpu_s(lvpid) - c0:.3f} s + libvirt-dbus "
                                  f"{cpu_s(self.lvdbus.pid) - d0:.3f} s of {out['seconds']:.3f} s")
            self.measure_calls(LV_DEST, LV_ROOT, paths, "lv")
        else:
            self.notes.append(f"{LIBVIRT_DBUS} is not installed: libvirt's D-Bus figures are n/a")
            for x in xmls:
                c.defineXML(x)

        # libvirt's own RPC from Python, for reference (the baseline's way)
        lat = []
        for i in range(LATENCY_CALLS + 5):
            t0 = time.perf_counter()
            n = len(c.listAllDomains(0))
            if i >= 5:
                lat.append(time.perf_counter() - t0)
        self.ref.append(f"python3-libvirt listAllDomains(0) -> {n} domains: "
                        f"{spread(stats(lat), 1e3, '{:.2f}')} ms")
        doms = [d for d in c.listAllDomains(0) if d.name().startswith(PREFIX)]
        rates = []
        for _ in range(RATE_REPS):
            k, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < RATE_SECONDS:
                doms[k % len(doms)].XMLDesc(0)
                k += 1
            rates.append(k / (time.perf_counter() - t0))
        self.ref.append(f"python3-libvirt XMLDesc(0), one at a time, round-robin over {len(doms)}: "
                        f"{spread(stats(rates), 1, '{:.0f}')} calls/s")
        self.res.setdefault("rss_1000_long", {})["lv"] = rss_kib(lvpid)
        self.rss_notes.append(f"libvirtd after the calls, {N_DOMAINS} defined: {rss_detail(lvpid)}")

        if lvdbus:
            log(f"libvirt-dbus: cold start with {N_DOMAINS} defined (libvirtd up), 5 runs")
            self.stop(self.lvdbus)
            wait_for(lambda: not self.has_owner(LV_DEST), 30, "org.libvirt to leave the bus")
            self.lvdbus = None
            out = self.callrate("coldstart", LV_DEST, LV_ROOT, 5, 0, "--", LIBVIRT_DBUS, "--system")
            runs = [kv(line)["seconds"] for line in out.splitlines() if line.startswith("run=")]
            self.ref.append(f"libvirt-dbus exec -> first answered ListDomains ({N_DOMAINS} defined, libvirtd "
                            f"already up): {spread(stats(runs), 1e3)} ms")
        c.close()
        self.stop_libvirtd()

        log(f"libvirtd: cold start with {N_DOMAINS} defined, up to {LIBVIRTD_COLD_RUNS} runs")
        cold, cold_cpu = [], []
        for i in range(LIBVIRTD_COLD_RUNS):
            t0, pid = self.start_libvirtd(subreaper=False)
            c = self.lv_open(timeout=300)
            n = len(c.listAllDomains(0))
            t1 = time.monotonic()
            cold_cpu.append(cpu_s(pid))
            if n < N_DOMAINS:
                raise RuntimeError(f"libvirtd answered listAllDomains with {n} domains, expected >= {N_DOMAINS}")
            cold.append(t1 - t0)
            log(f"  run {i}: {t1 - t0:.3f} s")
            last = i == LIBVIRTD_COLD_RUNS - 1 or t1 - t0 > 20
            if last:
                time.sleep(IDLE_WAIT)
                self.res.setdefault("rss_1000_fresh", {})["lv"] = rss_kib(pid)
                self.lv_cleanup(c)
                c.close()
                self.stop_libvirtd()
                break
            c.close()
            self.stop_libvirtd()
        if len(cold) < LIBVIRTD_COLD_RUNS:
            self.notes.append(f"libvirtd cold start took {cold[-1]:.1f} s: only {len(cold)} run(s)")
        self.res.setdefault("cold", {})["lv"] = stats(cold)
        self.cpu_notes.append(f"cold start, {N_DOMAINS} defined: libvirtd on CPU until the first answer "
                              f"{spread(stats(cold_cpu), 1e3)} ms")

    def lv_cleanup(self, c=None):
        """Destroys and undefines every bench domain in libvirt."""
        import libvirt
        if not self.lv_defined:
            return
        own = None
        if c is None:
            if not self.libvirtd:
                self.start_libvirtd()
                own = True
            c = self.lv_open(timeout=300)
        n = 0
        for d in c.listAllDomains(0):
            if d.name().startswith(PREFIX):
                try:
                    if d.isActive():
                        d.destroy()
                    d.undefine()
                    n += 1
                except libvirt.libvirtError as e:
                    log(f"cannot remove {d.name()}: {e}")
        log(f"libvirt: removed {n} bench domain(s)")
        self.lv_defined = False
        if own:
            c.close()
            self.stop_libvirtd()
        for f in Path("/var/log/libvirt/qemu").glob(PREFIX + "*"):
            try:
                f.unlink()
            except OSError:
                pass

    # ------------------------------------------------------------------ teardown
    def cleanup(self):
        try:
            if self.lv_defined:
                self.lv_cleanup()
        except Exception as e:     # noqa: BLE001 - go on cleaning
            log(f"libvirt clean-up failed: {e}")
        self.stop_libvirtd()
        for p in (self.lvdbus, self.qemud, self.virtlogd):
            self.stop(p)
        for p in reversed(self.procs):
            self.stop(p)
        keep = os.environ.get("VIRTBUS_BENCH_KEEP") == "1"
        if keep:
            log(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    # ------------------------------------------------------------------ report
    def report(self, elapsed):
        ms = lambda s: s["median"] * 1e3                       # noqa: E731
        mib = lambda k: k / 1024                              # noqa: E731
        R = self.res

        def get(key, side, fn):
            v = R.get(key, {}).get(side)
            return None if v is None else fn(v)

        def ovh(side):
            c, b = get("create", side, ms), get("bare", side, ms)
            return None if c is None or b is None else c - b

        rows = [
            # label, vb, lv, unit, better, target(op, value), fmt
            ("bare QEMU exec → running (-S, QMP cont) ³", get("bare", "vb", ms), get("bare", "lv", ms), "ms", None, None, "{:.1f}"),
            ("Create: call → returns running", get("create", "vb", ms), get("create", "lv", ms), "ms", "low", None, "{:.1f}"),
            ("start overhead: Create − bare (medians)", ovh("vb"), ovh("lv"), "ms", None, ("<=", 30), "{:.1f}"),
            ("Destroy: call → returns, QEMU gone", get("destroy", "vb", ms), get("destroy", "lv", ms), "ms", "low", ("<=", 30), "{:.1f}"),
            (f"GetXMLDesc calls/s, {WINDOW} in flight ¹", get("xml_pipe", "vb", lambda s: s["median"]),
             get("xml_pipe", "lv", lambda s: s["median"]), "/s", "high", (">=", 8000), "{:.0f}"),
            ("GetXMLDesc calls/s, one at a time ¹", get("xml_seq", "vb", lambda s: s["median"]),
             get("xml_seq", "lv", lambda s: s["median"]), "/s", "high", None, "{:.0f}"),
            (f"ListDomains, {N_DOMAINS} defined: one call ¹", get("list", "vb", ms), get("list", "lv", ms), "ms", "low", ("<=", 5), "{:.2f}"),
            (f"define {N_DOMAINS} from one connection ¹", get("define", "vb", float), get("define", "lv", float), "s", "low", ("<=", 1.5), "{:.3f}"),
            (f"cold start → first answer, {N_DOMAINS} defined ²", get("cold", "vb", ms), get("cold", "lv", ms), "ms", "low", ("<=", 50), "{:.1f}"),
            ("RSS idle (fresh, 0 domains)", get("rss_idle", "vb", mib), get("rss_idle", "lv", mib), "MiB", "low", ("<=", 4), "{:.1f}"),
            (f"RSS, {N_DOMAINS} defined (fresh start)", get("rss_1000_fresh", "vb", mib), get("rss_1000_fresh", "lv", mib), "MiB", "low", ("<=", 16), "{:.1f}"),
            (f"RSS, {N_DOMAINS} defined (after the calls above)", get("rss_1000_long", "vb", mib), get("rss_1000_long", "lv", mib), "MiB", "low", ("<=", 16), "{:.1f}"),
        ]
        table = [("figure", "virtbus", "libvirt 9.0", "ratio", "target", "met?")]
        for label, vb, lv, unit, better, target, fmt in rows:
            f = lambda v: "n/a" if v is None else f"{fmt.format(v)} {unit}"   # noqa: E731
            ratio = "—"
            if better and vb is not None and lv is not None and vb > 0 and lv > 0:
                ratio = f"{(lv / vb if better == 'low' else vb / lv):.1f}×"
            tgt, met = "—", "—"
            if target:
                op, tv = target
                tgt = f"{'≤' if op == '<=' else '≥'} {tv:g} {unit}"
                met = "n/a" if vb is None else ("yes" if (vb <= tv if op == "<=" else vb >= tv) else "NO")
            table.append((label, f(vb), f(lv), ratio, tgt, met))
        widths = [max(len(r[i]) for r in table) for i in range(6)]
        line = lambda r: "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |"  # noqa: E731
        print()
        print(f"== virtbus-qemud vs libvirt 9.0 — {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} CPUs, "
              f"accel {self.accel} (domain type '{self.dtype}'), "
              f"{N_DOMAINS} domains")
        print(line(table[0]))
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for r in table[1:]:
            print(line(r))
        print("ratio: how many times better virtbus is (libvirt time ÷ virtbus time, virtbus rate ÷ libvirt rate, "
              "libvirt RSS ÷ virtbus RSS).")
        print(f"¹ sd-bus C client (bench/qemud-callrate.c), one connection; libvirt column = libvirt-dbus on the same "
              f"private bus. GetXMLDesc round-robin over the {N_DOMAINS} domains, {RATE_REPS} windows of "
              f"{RATE_SECONDS:g} s, median. ListDomains: median of {LATENCY_CALLS} calls one after the other.")
        print(f"² virtbus: exec of virtbus-qemud → first answered ListDomains (polled every 1 ms, C client). "
              f"libvirt: exec of libvirtd (pinned to CPU 0) → first answered libvirt.open + listAllDomains "
              f"(python3-libvirt, 1 ms poll).")
        print(f"³ {QEMU} -machine q35,accel={self.accel} -m 64 -smp 1 -nodefaults -no-user-config -display none -S, "
              "QMP on a socket passed as a file descriptor: exec → qmp_capabilities, cont, query-status = running; "
              "run before each Create of the same column, so each column's overhead is against its own bare runs.")
        print("Create: virtbus Domain.Create over D-Bus (python3-dbus), libvirt dom.create() (python3-libvirt), "
              "state checked after; Destroy: Domain.Destroy / dom.destroy(), QEMU's pid checked gone at return.")
        print("RSS is VmRSS of virtbus-qemud / libvirtd, read " f"{IDLE_WAIT:g} s after the first answered call; MiB = KiB/1024.")
        print()
        print("Details, median (min–max, n):")
        for key, title, scale, fmt, unit in (
                ("bare", "bare QEMU", 1e3, "{:.1f}", "ms"), ("bare_quit", "bare quit→reaped", 1e3, "{:.1f}", "ms"),
                ("create", "Create", 1e3, "{:.1f}", "ms"), ("paired", "Create − bare ⁴", 1e3, "{:.1f}", "ms"),
                ("destroy", "Destroy", 1e3, "{:.1f}", "ms"),
                ("list", "ListDomains", 1e3, "{:.2f}", "ms"), ("xml_pipe", f"GetXMLDesc ×{WINDOW}", 1, "{:.0f}", "/s"),
                ("xml_seq", "GetXMLDesc ×1", 1, "{:.0f}", "/s"), ("cold", "cold start", 1e3, "{:.1f}", "ms")):
            for side, who in (("vb", "virtbus"), ("lv", "libvirt")):
                s = R.get(key, {}).get(side)
                if s is not None:
                    print(f"  {title:<16} {who:<8} {spread(s, scale, fmt)} {unit}")
        print("  ⁴ each Create minus the bare run just before it (less sensitive to load drifting during the run)")
        for r in self.rss_notes + self.cpu_notes:
            print("  " + r)
        if self.ref:
            print("libvirt's own RPC and libvirt-dbus, for reference:")
            for r in self.ref:
                print("  " + r)
        if self.vb_error:
            print(f"virtbus figures missing: {self.vb_error}")
        if self.lv_skip:
            print(f"libvirt figures n/a: {self.lv_skip}")
        for n in self.notes:
            print("note: " + n)
        loads = [l for _, l in LOADS]
        if loads:
            print(f"1-minute load average over the run: {min(loads):.2f}–{max(loads):.2f} on {os.cpu_count()} CPUs "
                  "(other work on this machine shows up in every figure)")
        print(f"bench time {elapsed:.0f} s")


def main():
    t_start = time.monotonic()
    b = Bench()

    def on_signal(sig, frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rc = 0
    try:
        b.setup()
        try:
            b.bench_virtbus()
        except Exception as e:     # noqa: BLE001 - libvirt's figures still count
            import traceback
            traceback.print_exc()
            b.vb_error = f"{type(e).__name__}: {e}"
            log(f"virtbus part failed: {b.vb_error}")
            rc = 1
            b.stop(b.qemud)
            b.qemud = None
        try:
            b.bench_libvirt()
        except Skip as e:
            b.lv_skip = str(e)
        except Exception as e:     # noqa: BLE001 - virtbus figures still count
            b.lv_skip = f"libvirt part failed: {e}"
            log(b.lv_skip)
            rc = 1
        b.report(time.monotonic() - t_start)
    except KeyboardInterrupt as e:
        log(f"interrupted ({e})")
        rc = 130
    except Exception as e:         # noqa: BLE001
        import traceback
        traceback.print_exc()
        log(f"qemud-bench failed: {e}")
        for name in ("virtbus-qemud.log", "callrate.log"):
            t = b.tail(name, 20)
            if t:
                log(f"--- {name}:\n{t}")
        rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        b.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
