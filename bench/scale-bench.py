#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A hundred running guests: virtbus-qemud beside libvirt 9.0, in the same run.

    /usr/bin/python3 bench/scale-bench.py        (as root; make first)

Each side defines N guests (64 MiB, 1 vCPU, no disk: qemud-bench's domain, type
kvm when QEMU runs with KVM here, else TCG), then:
- starts them all at once, from CLIENTS client threads with a connection each
  (D-Bus for qemud, python-libvirt for libvirtd): time until every start call
  returned (each returns once its guest runs);
- the daemon's RSS and CPU time: RSS growth per running guest, CPU spent on
  the starts per guest;
- GetAllDomainStats / getAllDomainStats over all of them (median of 5);
- events: all suspended at once, then all resumed at once, while one
  subscriber counts the lifecycle events (Connect.DomainEvent on D-Bus, a
  python-libvirt callback for libvirtd): time from the first call until the
  last guest's event arrived;
- the daemon killed with SIGKILL and started again: time from its exec until
  it answers and lists N running guests (every guest reconnected);
- all destroyed at once: time until every call returned;
- then the same guests through virtbus-proxyd with python-libvirt, as
  libvirtd is driven: all started, GetAllDomainStats, all destroyed,
  VIRTBUS_SCALE_PROXY_ROUNDS times (default 2). qemud's RSS per running guest
  is sampled each time (after the restart and in each proxy round: running
  minus stopped, in the same process) and its median is printed.
Targets (issue: performance at scale): all running in at most 1/5 of
libvirt's time, qemud under 64 KiB per running guest, restart under 200 ms.

The plumbing (private dbus-daemon, libvirtd under bench/qemud-libvirtd-wrap.py,
clean-up by pid) is bench/qemud-bench.py's; the run and its clean-up are
bench/save-bench.py's run(). Environment: VIRTBUS_BUILD,
VIRTBUS_BENCH_NO_LIBVIRT=1 as there; VIRTBUS_SCALE_GUESTS (default 100)."""

import importlib.util
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dbus

REPO = Path(__file__).resolve().parents[1]


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


qb = _load("qemud_bench", "qemud-bench.py")
sb = _load("save_bench", "save-bench.py")

N = int(os.environ.get("VIRTBUS_SCALE_GUESTS", "100"))
CLIENTS = 8
STATS_RUNS = 5
PROXY_ROUNDS = int(os.environ.get("VIRTBUS_SCALE_PROXY_ROUNDS", "2"))
PREFIX = qb.PREFIX + "s"
SUSPENDED, RESUMED = 3, 4       # libvirt's lifecycle event numbers


class LvEvents:
    """libvirt lifecycle events, counted by event number, with the monotonic
    time of the last of each."""

    def __init__(self, libvirt):
        self.cond = threading.Condition()
        self.count, self.last = {}, {}
        libvirt.virEventRegisterDefaultImpl()
        threading.Thread(target=self.loop, args=(libvirt,), daemon=True).start()

    @staticmethod
    def loop(libvirt):
        while True:
            libvirt.virEventRunDefaultImpl()

    def callback(self, conn, dom, event, detail, opaque):
        with self.cond:
            self.count[event] = self.count.get(event, 0) + 1
            self.last[event] = time.monotonic()
            self.cond.notify_all()

    def wait(self, event, n, timeout=300):
        with self.cond:
            if not self.cond.wait_for(lambda: self.count.get(event, 0) >= n, timeout):
                raise RuntimeError(f"only {self.count.get(event, 0)} of {n} events {event} in {timeout} s")
            self.count[event] = 0
            return self.last[event]


class ScaleBench(qb.Bench):
    def __init__(self):
        super().__init__()
        self.fig = {}       # figure -> {"vb": value, "px": value, "lv": value}
        self.rss_samples = []   # qemud's RSS per running guest, KiB, each time measured

    def guest_files(self):
        return None, None   # no kernel: the guests only need QEMU up

    def put(self, key, side, value):
        self.fig.setdefault(key, {})[side] = value

    def names(self):
        return [f"{PREFIX}{i:03d}" for i in range(N)]

    def xml(self, name):
        return qb.DOMAIN_XML.format(type=self.dtype, name=name, qemu=qb.QEMU)

    def together(self, fn, items):
        """fn(item) for every item from CLIENTS threads; seconds until all returned.
        The threads live as long as the bench, so a thread's connection is
        opened by its first call and used again by the later ones."""
        if not hasattr(self, "pool"):
            self.pool = ThreadPoolExecutor(CLIENTS)
        t0 = time.perf_counter()
        list(self.pool.map(fn, items))
        return time.perf_counter() - t0

    # ---------------------------------------------------------------- virtbus
    def bench_virtbus(self):
        root_call = lambda m, sig="", *a: self.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT,  # noqa: E731
                                                     "org.libvirt.Connect", m, sig, *a, timeout=600)
        self.start_qemud()
        paths = [str(root_call("DomainDefineXML", "s", self.xml(n))) for n in self.names()]
        time.sleep(1)
        pid = self.qemud.pid
        rss0, cpu0 = qb.rss_kib(pid), qb.cpu_s(pid)
        local = threading.local()

        def dom(path, method):
            if not hasattr(local, "conn"):
                local.conn = dbus.bus.BusConnection(self.bus_address)
            sig, args = ("u", (0,)) if method not in ("Suspend", "Resume") else ("", ())
            local.conn.call_blocking(qb.QEMUD_DEST, path, "org.libvirt.Domain", method, sig, args, timeout=600)

        qb.log(f"virtbus-qemud: {N} guests started at once")
        self.put("start_all", "vb", self.together(lambda p: dom(p, "Create"), paths))
        cpu1 = qb.cpu_s(pid)
        time.sleep(1)
        rss_running = qb.rss_kib(pid)
        self.put("cpu_per_start", "vb", (cpu1 - cpu0) / N)
        self.put("stats_all", "vb", self.timed(lambda: root_call("GetAllDomainStats", "uu", 0, 0)))
        for method, event, key in (("Suspend", SUSPENDED, "ev_suspend"), ("Resume", RESUMED, "ev_resume")):
            self.put(key, "vb", self.vb_events(lambda p, m=method: dom(p, m), paths, event))

        qb.log("virtbus-qemud: SIGKILL and start again")
        self.stop(self.qemud, sig=signal.SIGKILL)
        qb.wait_for(lambda: not self.has_owner(qb.QEMUD_DEST), 30, "qemud to leave the bus")
        t0 = time.perf_counter()
        self.start_qemud()
        qb.wait_for(lambda: len(root_call("ListDomains", "u", 1)) == N, 60, "every guest found again",
                    interval=0.001)
        self.put("restart", "vb", time.perf_counter() - t0)
        time.sleep(1)
        rss_adopted = qb.rss_kib(self.qemud.pid)

        qb.log(f"virtbus-qemud: {N} guests destroyed at once")
        self.put("destroy_all", "vb", self.together(lambda p: dom(p, "Destroy"), paths))
        time.sleep(1)
        rss_stopped = qb.rss_kib(self.qemud.pid)
        self.rss_per_guest("vb", rss0, rss_running, rss_adopted, rss_stopped)
        self.bench_proxy(rss_stopped)
        for p in paths:
            self.dcall(qb.QEMUD_DEST, p, "org.libvirt.Domain", "Undefine", "u", 0)
        self.stop_qemud()

    def bench_proxy(self, rss_stopped):
        """The same guests through virtbus-proxyd, python-libvirt's calls as
        on libvirtd's side: all started, GetAllDomainStats, all destroyed,
        PROXY_ROUNDS times. Each round is also a sample of qemud's RSS per
        running guest in the same process (running minus stopped)."""
        import libvirt
        libvirt.registerErrorHandler(lambda c, e: None, None)
        root = self.work / "root"
        proxyd = self.spawn([qb.BUILD / "virtbus-proxyd", "--root", root], "virtbus-proxyd.log", env=self.env_bus())
        sock = root / "run/libvirt/libvirt-sock"
        qb.wait_for(lambda: proxyd.poll() is not None or sock.exists(), 30, "virtbus-proxyd's socket")
        if proxyd.poll() is not None:
            raise RuntimeError("virtbus-proxyd exited:\n" + self.tail("virtbus-proxyd.log"))
        uri = f"qemu+unix:///system?socket={sock}"
        local = threading.local()

        def dom(name, method):
            if not hasattr(local, "conn"):
                local.conn = libvirt.open(uri)
            getattr(local.conn.lookupByName(name), method)()

        c = libvirt.open(uri)
        names = self.names()
        starts, stats, destroys = [], [], []
        for i in range(PROXY_ROUNDS):
            qb.log(f"virtbus-proxyd: {N} guests started at once (round {i + 1} of {PROXY_ROUNDS})")
            starts.append(self.together(lambda n: dom(n, "create"), names))
            time.sleep(1)
            running = qb.rss_kib(self.qemud.pid)
            stats.append(self.timed(lambda: c.getAllDomainStats(0, 0)))
            destroys.append(self.together(lambda n: dom(n, "destroy"), names))
            time.sleep(1)
            stopped = qb.rss_kib(self.qemud.pid)
            self.rss_samples.append((running - stopped) / N)
            self.notes.append(f"virtbus-qemud RSS, KiB, proxy round {i + 1}: {running} with {N} running, "
                              f"{stopped} once destroyed")
        c.close()
        self.put("start_all", "px", statistics.median(starts))
        self.put("stats_all", "px", statistics.median(stats))
        self.put("destroy_all", "px", statistics.median(destroys))
        self.put("rss_per_guest", "vb", statistics.median(self.rss_samples))
        self.notes.append("virtbus-qemud RSS per running guest, KiB, each sample: " +
                          ", ".join(f"{x:.1f}" for x in self.rss_samples))
        self.stop(proxyd)

    def vb_events(self, act, paths, event):
        """act(path) for every guest at once; seconds from the first call until
        qemud's last DomainEvent `event` reached a separate subscriber."""
        qb.log(f"virtbus-qemud: {N} guests changing state together, event {event}")
        sub = subprocess.Popen([str(self.client), "events", qb.QEMUD_DEST, str(event), str(N)],
                               env=self.env_bus(), stdout=subprocess.PIPE, text=True)
        try:
            if sub.stdout.readline().strip() != "ready":
                raise RuntimeError("the event subscriber did not start")
            t0 = time.monotonic()
            calls = self.together(act, paths)
            out, _ = sub.communicate(timeout=300)
        finally:
            if sub.poll() is None:
                sub.kill()
                sub.wait()
        if sub.returncode != 0:
            raise RuntimeError(f"the event subscriber failed ({sub.returncode})")
        got = dict(w.split("=") for w in out.split())
        self.notes.append(f"virtbus event {event}: calls returned after {calls * 1e3:.0f} ms, "
                          f"first event {(float(got['first']) - t0) * 1e3:.0f} ms")
        return float(got["last"]) - t0

    def rss_per_guest(self, side, defined, running, adopted, stopped):
        """RSS per running guest, in one process: the daemon started again
        with every guest running (adopted) minus the same process once they
        were destroyed. The first process's figures are noisier: defining N
        domains leaves freed heap that is given back later."""
        self.put("rss_per_guest", side, (adopted - stopped) / N)
        if side == "vb":
            self.rss_samples.append((adopted - stopped) / N)
        who = "virtbus-qemud" if side == "vb" else "libvirtd"
        self.notes.append(f"{who} RSS, KiB: {defined} with {N} defined, {running} with them running; "
                          f"after its restart {adopted} with them running, {stopped} once destroyed")

    @staticmethod
    def timed(fn):
        t = []
        for _ in range(STATS_RUNS):
            t0 = time.perf_counter()
            fn()
            t.append(time.perf_counter() - t0)
        return statistics.median(t)

    # ---------------------------------------------------------------- libvirt
    def bench_libvirt(self):
        self.libvirt_preflight()
        import libvirt
        libvirt.registerErrorHandler(lambda c, e: None, None)
        events = LvEvents(libvirt)      # before any connection is opened
        if not qb.procs_named("virtlogd"):
            self.virtlogd = self.spawn([qb.VIRTLOGD], "virtlogd.log", env=self.env_nobus(), start_new_session=True)
            qb.wait_for(lambda: os.path.exists("/run/libvirt/virtlogd-sock") or self.virtlogd.poll() is not None,
                        30, "virtlogd's socket")
        self.start_libvirtd()
        c = self.lv_open()
        v = c.getLibVersion()
        self.ref.append(f"libvirtd {v // 1000000}.{v // 1000 % 1000}.{v % 1000}")
        self.lv_defined = True
        names = self.names()
        for n in names:
            c.defineXML(self.xml(n))
        time.sleep(1)
        _, pid = self.libvirtd
        rss0, cpu0 = qb.rss_kib(pid), qb.cpu_s(pid)
        local = threading.local()

        def dom(name, method):
            if not hasattr(local, "conn"):
                local.conn = self.lv_open()
            try:
                getattr(local.conn.lookupByName(name), method)()
            except libvirt.libvirtError as e:
                if method != "destroy" or e.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:
                    raise
                self.notes.append(f"libvirtd: {name} had stopped by itself before the destroy")

        qb.log(f"libvirtd: {N} guests started at once")
        self.put("start_all", "lv", self.together(lambda n: dom(n, "create"), names))
        cpu1 = qb.cpu_s(pid)
        time.sleep(1)
        rss_running = qb.rss_kib(pid)
        self.put("cpu_per_start", "lv", (cpu1 - cpu0) / N)
        self.put("stats_all", "lv", self.timed(lambda: c.getAllDomainStats(0, 0)))
        cid = c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, events.callback, None)
        for method, event, key in (("suspend", SUSPENDED, "ev_suspend"), ("resume", RESUMED, "ev_resume")):
            qb.log(f"libvirtd: {N} guests changing state together, event {event}")
            t0 = time.monotonic()
            self.together(lambda n, m=method: dom(n, m), names)
            self.put(key, "lv", events.wait(event, N) - t0)
        c.domainEventDeregisterAny(cid)
        c.close()

        qb.log("libvirtd: SIGKILL and start again")
        # Its wrapper stays: as subreaper it is the running QEMUs' parent
        # now; cleanup() stops it by pid with the rest.
        os.kill(pid, signal.SIGKILL)
        qb.wait_for(lambda: qb.pid_gone(pid), 30, "libvirtd to die")
        self.libvirtd = None
        t0 = time.perf_counter()
        self.start_libvirtd()
        c = self.lv_open()
        qb.wait_for(lambda: len(c.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)) == N, 120,
                    "libvirtd to find every guest again", interval=0.001)
        self.put("restart", "lv", time.perf_counter() - t0)
        rss_adopted = qb.rss_kib(self.libvirtd[1])

        time.sleep(1)
        lost = N - len(c.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE))
        if lost:
            self.notes.append(f"libvirtd: {lost} of {N} guests were no longer running a second after "
                              "its restart found them")
        qb.log(f"libvirtd: {N} guests destroyed at once")
        local = threading.local()
        running = [d.name() for d in c.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)]
        self.put("destroy_all", "lv", self.together(lambda n: dom(n, "destroy"), running))
        time.sleep(1)
        self.rss_per_guest("lv", rss0, rss_running, rss_adopted, qb.rss_kib(self.libvirtd[1]))
        self.lv_cleanup(c)
        c.close()
        self.stop_libvirtd()

    # ---------------------------------------------------------------- report
    def report(self, elapsed):
        rows = [
            ("start_all", f"{N} guests started at once, s", "{:.2f}", "<= 1/5 of libvirt's",
             lambda vb, lv: lv is not None and vb <= lv / 5),
            ("rss_per_guest", "daemon RSS per running guest, KiB", "{:.0f}", "< 64 KiB",
             lambda vb, lv: vb < 64),
            ("cpu_per_start", "daemon CPU per start, ms", "{:.2f}", "", None),
            ("stats_all", f"GetAllDomainStats over {N}, ms", "{:.1f}", "", None),
            ("ev_suspend", f"all {N} suspended: last event after, ms", "{:.0f}", "", None),
            ("ev_resume", f"all {N} resumed: last event after, ms", "{:.0f}", "", None),
            ("restart", f"restart until all {N} found, ms", "{:.0f}", "< 200 ms",
             lambda vb, lv: vb < 0.2),
            ("destroy_all", f"{N} guests destroyed at once, s", "{:.2f}", "", None),
        ]
        scale = {"cpu_per_start": 1e3, "stats_all": 1e3, "restart": 1e3, "ev_suspend": 1e3, "ev_resume": 1e3}
        print(f"\n{N} guests of 64 MiB ({self.dtype}), {CLIENTS} clients calling at once")
        print(f"{'':42} {'virtbus':>10} {'via proxyd':>10} {'libvirt 9.0':>12}  target")
        for key, label, fmt, target, ok in rows:
            vb, lv = self.fig.get(key, {}).get("vb"), self.fig.get(key, {}).get("lv")
            px = self.fig.get(key, {}).get("px")
            show = lambda v: "-" if v is None else fmt.format(v * scale.get(key, 1))  # noqa: E731
            verdict = "" if ok is None or vb is None else ("ok" if ok(vb, lv) else "MISSED")
            print(f"{label:42} {show(vb):>10} {show(px):>10} {show(lv):>12}  {target} {verdict}")
        print("virtbus: D-Bus calls (python3-dbus); via proxyd: python-libvirt through virtbus-proxyd, "
              f"median of {PROXY_ROUNDS} rounds; RSS per guest: median of every sample (notes)")
        if self.lv_skip:
            print(f"libvirt: n/a ({self.lv_skip})")
        if self.vb_error:
            print(f"virtbus: failed ({self.vb_error})")
        for line in self.ref + self.notes:
            print(f"  {line}")
        print(f"(bench took {elapsed:.0f} s; load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    sys.exit(sb.run(ScaleBench()))
