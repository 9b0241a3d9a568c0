#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""GetAllDomainStats of N running guests (100 unless --guests says): virtbus-qemud
beside libvirt 9.0's libvirtd in the same run (what monitoring exporters poll).

    /usr/bin/python3 bench/stats-bench.py [--guests N]   (as root; make first)

  calls/s   conn.getAllDomainStats() (every group: stats 0, flags 0) with
            N running guests on each side, one call at a time on one
            connection, through python3-libvirt: via virtbus-proxyd (to
            virtbus-qemud) and against libvirtd; and directly over D-Bus
            (Connect.GetAllDomainStats(0, 0) with sd-bus, the reply received
            whole and not decoded: a small C client built here). Windows of
            the sides alternate, so that all see the same load.
            Target: >= 10x libvirtd's calls/s.

The guests: KVM when /dev/kvm can run one, else TCG; 64 MiB, one vCPU, no
disk, no interface (QEMU's firmware finds nothing to boot and waits).

Environment: VIRTBUS_BUILD (default build/); VIRTBUS_STATS_GUESTS (the
default of --guests, else 100); VIRTBUS_BENCH_NO_LIBVIRT=1 skips libvirt; VIRTBUS_BENCH_KEEP=1 keeps
the temporary directory.

The plumbing is bench/proxy-bench.py's, imported (not copied): its private
dbus-daemon, virtbus-qemud, -storaged and -proxyd under /tmp/vbp-bench-*,
and its private libvirtd in a mount namespace of its own; guests are named
vbpb<pid>-*, destroyed and undefined at the end (also on failure or Ctrl-C),
every process started here is stopped by its pid, and the temporary
directory is removed.
"""

import argparse
import importlib.util
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("proxy_bench", REPO / "bench" / "proxy-bench.py")
pb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pb)

N_GUESTS = int(os.environ.get("VIRTBUS_STATS_GUESTS", "100"))
RATE_SECONDS = 2.0
RATE_REPS = 3
TARGET = 10.0

GUEST_XML = """<domain type='{kind}'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><emulator>{qemu}</emulator></devices>
</domain>
"""

# The D-Bus client: GetAllDomainStats(0, 0) one call after the other for
# SECONDS; prints the rate.
CLIENT_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <systemd/sd-bus.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
        sd_bus *bus = NULL; double secs = atof(argv[1]), t0; long n = 0;
        if (sd_bus_open_system(&bus) < 0) return 2;
        t0 = now();
        while (now() - t0 < secs) {
                sd_bus_message *reply = NULL; sd_bus_error e = SD_BUS_ERROR_NULL;
                if (sd_bus_call_method(bus, "org.virtbus.qemud", "/org/virtbus/qemud", "org.libvirt.Connect",
                                       "GetAllDomainStats", &e, &reply, "uu", 0, 0) < 0) {
                        fprintf(stderr, "%s\n", e.message); return 1; }
                sd_bus_message_unref(reply); n++;
        }
        printf("rate=%.1f calls=%ld\n", n / (now() - t0), n);
        return 0;
}
"""


class StatsBench(pb.Bench):
    def build_client(self):
        src = self.work / "stats-client.c"
        src.write_text(CLIENT_C)
        self.client = self.work / "stats-client"
        r = subprocess.run(f"cc -O2 -o {self.client} {src} $(pkg-config --cflags --libs libsystemd)",
                           shell=True, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"stats-bench: cannot build the D-Bus client:\n{r.stderr}")

    def kind(self):
        """kvm when this host's QEMU can use it, else qemu (TCG)."""
        try:
            fd = os.open("/dev/kvm", os.O_RDWR)
            os.close(fd)
            return "kvm"
        except OSError:
            return "qemu"

    def start_guests(self, side, kind):
        pb.log(f"{side.label}: define and start {N_GUESTS} {kind} guests")
        t0 = time.perf_counter()
        for i in range(N_GUESTS):
            d = side.conn.defineXML(GUEST_XML.format(kind=kind, name=f"{pb.PREFIX}{i:03d}", qemu=pb.QEMU))
            d.create()
        self.res.setdefault("start", {})[side.key] = time.perf_counter() - t0
        running = [d for d in side.conn.listAllDomains(1) if d.name().startswith(pb.PREFIX)]
        if len(running) != N_GUESTS:
            raise RuntimeError(f"{side.label}: {len(running)} of {N_GUESTS} guests run")

    def stop_guests(self, side):
        pb.log(f"{side.label}: destroy and undefine {N_GUESTS} guests")
        for d in side.conn.listAllDomains(0):
            if d.name().startswith(pb.PREFIX):
                if d.isActive():
                    d.destroy()
                d.undefine()

    def rate_libvirt(self, side):
        k, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < RATE_SECONDS:
            recs = side.conn.getAllDomainStats(0, 0)
            k += 1
        side.fields = sum(len(s) for _, s in recs)
        side.records = len(recs)
        return k / (time.perf_counter() - t0)

    def rate_dbus(self):
        r = subprocess.run([str(self.client), str(RATE_SECONDS)], env=self.env_bus(), capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"D-Bus client failed: {r.stderr.strip()}")
        return float(dict(w.split("=") for w in r.stdout.split())["rate"])

    def run(self):
        self.setup()
        self.build_client()
        pb.log("starting virtbus-qemud, -storaged, -proxyd")
        self.start_virtbus()
        try:
            pb.log("starting a private libvirtd (own mount namespace)")
            self.start_libvirtd()
        except pb.Skip as e:
            self.lv_skip = str(e)
        except Exception as e:      # noqa: BLE001 - our figures still count
            self.lv_skip = f"libvirtd did not start: {e}"
            self.lv = None
        kind = self.kind()
        self.notes.append(f"guests: {kind} ({'KVM' if kind == 'kvm' else 'TCG'}), 64 MiB, 1 vCPU, no disk")
        # One side's guests at a time: 200 guests at once would load a
        # small host more than the calls measured; each side is measured
        # with its own N guests running and nothing else of the bench.
        for s in self.sides():
            s.conn = self.open(s)
            self.start_guests(s, kind)
            time.sleep(2)
            for rep in range(RATE_REPS):
                pb.log(f"{s.label}: rates, window {rep + 1}/{RATE_REPS}")
                rate = self.rate_libvirt(s)
                self.res.setdefault("rate", {}).setdefault(s.key, []).append(rate)
                pb.log(f"{s.label}: {rate:.2f} calls/s through python-libvirt")
                if s is self.vb:
                    rate = self.rate_dbus()
                    self.res.setdefault("rate", {}).setdefault("dbus", []).append(rate)
                    pb.log(f"D-Bus direct: {rate:.1f} calls/s")
            self.stop_guests(s)

    def report(self, elapsed):
        med = {k: statistics.median(v) for k, v in self.res.get("rate", {}).items()}
        lv = med.get("lv")
        print(f"\nGetAllDomainStats, {N_GUESTS} running guests, calls/s (median of {RATE_REPS} windows "
              f"of {RATE_SECONDS:.0f} s; all windows: {self.res.get('rate')})")
        for key, label in (("vb", "python-libvirt -> virtbus-proxyd -> qemud"),
                           ("dbus", "D-Bus direct (sd-bus) -> qemud"),
                           ("lv", "python-libvirt -> libvirtd 9.0")):
            v = med.get(key)
            if v is None:
                print(f"  {label:45} n/a ({self.lv_skip})")
                continue
            ratio = f"  {v / lv:.1f}x libvirtd (target >= {TARGET:.0f}x)" if lv and key != "lv" else ""
            print(f"  {label:45} {v:8.1f}/s{ratio}")
        for s in self.sides():
            print(f"  {s.label}: {getattr(s, 'records', 0)} records, {getattr(s, 'fields', 0)} fields per call; "
                  f"{N_GUESTS} guests started in {self.res['start'][s.key]:.1f} s")
        for n in self.notes:
            print(f"  note: {n}")
        print(f"  bench time {elapsed:.0f} s")


def parse_args(argv):
    global N_GUESTS
    ap = argparse.ArgumentParser(description="GetAllDomainStats calls/s: virtbus-proxyd, D-Bus and libvirtd "
                                             "side by side")
    ap.add_argument("--guests", type=int, default=N_GUESTS,
                    help=f"running guests on each side (default {N_GUESTS})")
    args = ap.parse_args(argv)
    if args.guests < 1:
        ap.error("--guests must be 1 or more")
    N_GUESTS = args.guests


def main():
    parse_args(sys.argv[1:])
    t_start = time.monotonic()
    b = StatsBench()

    def on_signal(sig, frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rc = 0
    try:
        b.run()
        b.report(time.monotonic() - t_start)
    except KeyboardInterrupt as e:
        pb.log(f"interrupted ({e})")
        rc = 130
    except Exception as e:      # noqa: BLE001
        import traceback
        traceback.print_exc()
        pb.log(f"stats-bench failed: {e}")
        rc = 1
    finally:
        b.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
