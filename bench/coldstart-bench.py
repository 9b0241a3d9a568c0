#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud's cold start with many defined domains (issue 17: <= 50 ms
with 10,000, ListDomains <= 10 ms), with the index of definitions and
without it.

    /usr/bin/python3 bench/coldstart-bench.py        (as root; make first)

Environment: VIRTBUS_BUILD (default build/); VIRTBUS_BENCH_DOMAINS (default
10000); VIRTBUS_BENCH_RUNS (default 5) cold starts per case;
VIRTBUS_TEST_BUS=broker to run on dbus-broker (scripts/dbus-broker-run)
instead of dbus-daemon.

What runs: a private dbus-daemon and virtbus-qemud --root TMP/root, as
bench/qemud-bench.py sets them up (its Bench class), and its sd-bus client
bench/qemud-callrate.c. One domain is defined through D-Bus; the others are
copies of its file with their own name and uuid, written straight into the
definitions folder (defining 10,000 through D-Bus costs 10,000 fsyncs and
measures something else: bench/define-bench.py does). Cases, each a
fork+exec of virtbus-qemud up to its first ListDomains answer:

  no index      the index removed before each start: every file parsed
                (the first start after an upgrade, or after the index was lost)
  with index    the index as the previous start wrote it: nothing parsed
  1 changed     with index, one definition rewritten (another inode) before
                each start: that one parsed

then ListDomains latency (101 calls) and the daemon's RSS, with the index.
Each cold start also gives the daemon's CPU time split user/system (the
kernel's split of its total, by tick samples) and its minor page faults, at
its first answer. Each ListDomains figure is split too: the CPU time per call
of virtbus-qemud (building and sending the answer), of the bus's router
(dbus-daemon, or dbus-broker) and of the client (reading the 10,000 paths),
measured over the 101 calls.
libvirtd is not measured here: bench/qemud-bench.py measures its cold start
with 1,000 defined (VIRTBUS_BENCH_DOMAINS), which takes seconds already.
Everything lives in a temporary directory, removed at the end; every process
started here is stopped by its pid.
"""

import importlib.util
import os
import re
import statistics
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

N = int(os.environ.get("VIRTBUS_BENCH_DOMAINS", "10000"))
RUNS = int(os.environ.get("VIRTBUS_BENCH_RUNS", "5"))
TARGET_COLD_MS, TARGET_LIST_MS = 50, 10


def load():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


class ColdBench(qb.Bench):
    def confdir(self):
        return self.work / "root/etc/virtbus/qemu"

    def index(self):
        return self.work / "root/var/lib/virtbus/qemu/definitions.index"

    def populate(self):
        self.start_qemud()
        name = qb.PREFIX + "0"
        self.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT, "org.libvirt.Connect", "DomainDefineXML", "s",
                   qb.DOMAIN_XML.format(type=self.dtype, name=name, qemu=qb.QEMU))
        self.stop_qemud()
        text = (self.confdir() / f"{name}.xml").read_text()
        uuid0 = re.search(r"<uuid>([^<]+)</uuid>", text).group(1)
        for i in range(1, N):
            n = f"{qb.PREFIX}{i}"
            (self.confdir() / f"{n}.xml").write_text(
                text.replace(f"<name>{name}</name>", f"<name>{n}</name>").replace(uuid0, str(uuid.uuid4())))

    def cold(self, runs, before=None):
        """runs cold starts, before() ahead of each: (seconds, cpu ms, (user ms, sys ms, faults)) lists
        and the last RSS."""
        secs, cpu, split, rss = [], [], [], None
        for i in range(runs):
            if before:
                before(i)
            out = self.callrate("coldstart", qb.QEMUD_DEST, qb.QEMUD_ROOT, 1, int(qb.IDLE_WAIT * 1000), "--",
                                qb.QEMUD, "--root", self.work / "root")
            r = [qb.kv(line) for line in out.splitlines() if line.startswith("run=")][0]
            if int(r["domains"]) != N:
                raise RuntimeError(f"virtbus-qemud answered ListDomains with {int(r['domains'])} domains, "
                                   f"expected {N}")
            secs.append(r["seconds"])
            cpu.append(r["cpu_ms"])
            split.append((r.get("user_ms", -1), r.get("sys_ms", -1), r.get("minflt", -1)))
            rss = int([qb.kv(line) for line in out.splitlines() if line.startswith("rss_kib=")][0]["rss_kib"])
        return secs, cpu, split, rss

    def run(self):
        self.setup()
        qb.log(f"writing {N} definitions")
        self.populate()
        res = {}

        def drop_index(i):
            self.index().unlink(missing_ok=True)

        qb.log(f"cold start without the index, {RUNS} runs")
        res["none"] = self.cold(RUNS, drop_index) + (load(),)
        # the previous start wrote the index (at exit at the latest)
        self.cold(1)
        if not self.index().exists():
            raise RuntimeError("virtbus-qemud wrote no index")
        qb.log(f"cold start with the index, {RUNS} runs")
        res["index"] = self.cold(RUNS) + (load(),)

        def change_one(i):
            f = self.confdir() / f"{qb.PREFIX}{(i + 1) % N}.xml"
            text = f.read_text()
            f.unlink()
            f.write_text(text)

        qb.log(f"cold start with the index, one definition rewritten before each, {RUNS} runs")
        res["one"] = self.cold(RUNS, change_one) + (load(),)

        qb.log("ListDomains latency, with the index")
        self.start_qemud()
        # the background check of the files is over before the calls are measured
        time.sleep(qb.IDLE_WAIT)
        router = self.router_pid()
        q0, b0 = qb.cpu_s(self.qemud.pid), qb.cpu_s(router) if router else None
        out = qb.kv(self.callrate("latency", qb.QEMUD_DEST, qb.QEMUD_ROOT, qb.LATENCY_CALLS))
        q1, b1 = qb.cpu_s(self.qemud.pid), qb.cpu_s(router) if router else None
        if int(out["domains"]) != N:
            raise RuntimeError(f"ListDomains returned {int(out['domains'])} domains, expected {N}")
        calls = out["calls"] + 5  # and the warm-up calls
        out["qemud_cpu_ms"] = (q1 - q0) * 1e3 / calls
        out["bus_cpu_ms"] = (b1 - b0) * 1e3 / calls if b0 is not None and b1 is not None else -1
        res["list"] = (out, load())
        self.stop_qemud()
        self.report(res)

    def report(self, res):
        def ms(v):
            return f"{statistics.median(v) * 1e3:7.1f} ms (min {min(v) * 1e3:.1f}, max {max(v) * 1e3:.1f})"

        bus = "dbus-broker" if os.environ.get("VIRTBUS_TEST_BUS") == "broker" else "dbus-daemon"
        print(f"\nvirtbus-qemud cold start, {N} defined, on {bus}, exec -> first ListDomains answer, "
              f"median of {RUNS}:")
        for key, label in (("none", "no index (all parsed)"), ("index", "with index"),
                           ("one", "with index, 1 changed")):
            secs, cpu, split, rss, ld = res[key]
            user, sys_, faults = (statistics.median(v[k] for v in split) for k in range(3))
            print(f"  {label:24} {ms(secs)}  CPU {statistics.median(cpu):.0f} ms (user {user:.0f}, sys {sys_:.0f})"
                  f"  {faults:.0f} faults  RSS {rss / 1024:.1f} MiB  target <= {TARGET_COLD_MS} ms  load {ld}")
        out, ld = res["list"]
        print(f"  ListDomains ({int(out['calls'])} calls) median {out['median_ms']:.2f} ms, p90 {out['p90_ms']:.2f} ms,"
              f" max {out['max_ms']:.2f} ms  target <= {TARGET_LIST_MS} ms  load {ld}")
        print(f"    CPU a call: virtbus-qemud {out['qemud_cpu_ms']:.2f} ms, {bus} {out['bus_cpu_ms']:.2f} ms,"
              f" client {out.get('client_cpu_ms', -1):.2f} ms")
        print(f"  index file: {self.index().stat().st_size / 1024:.0f} KiB")


def main():
    b = ColdBench()
    t0 = time.monotonic()
    try:
        b.run()
    finally:
        b.cleanup()
    qb.log(f"done in {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
