#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-networkd benchmark, side by side with libvirt 9.0's network driver.

    /usr/bin/python3 bench/networkd-bench.py [--runs N] [--ports N] [--no-libvirt]

Everything runs in network namespaces made here (vbb-<random>): bridges,
firewall tables, dnsmasq, taps; DNS queries go to the bridge address inside
the namespace and nowhere else. Prints figures, never fails on them.

Figures (targets from issue 5):
  start     NetworkCreate of a nat network with DHCP until the reply: bridge,
            address, nftables table and dnsmasq with its sockets bound
            (target <= 150 ms); and until dnsmasq answers a DNS query on the
            bridge address (a prober inside the namespace, same clock)
  port      AllocatePort + ReleasePort of a tap (target <= 5 ms the pair)
  rss       networkd's VmRSS, idle after start, and with a network running
            (target <= 4 MiB idle)
libvirt:    libvirtd (Debian's 9.0) in a namespace of its own with private
            /run/libvirt, /var/lib/libvirt, /etc/libvirt...: virNetworkCreate
            of the same network through python3-libvirt, same measurement.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("VIRTBUS_BUILD", REPO / "build"))
NETWORKD = BUILD / "virtbus-networkd"

NET_XML = """<network>
  <name>bench</name>
  <forward mode='nat'/>
  <bridge name='vbbench0'/>
  <domain name='bench.test' localOnly='yes'/>
  <dns><host ip='192.168.200.1'><hostname>gw</hostname></host></dns>
  <ip address='192.168.200.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.200.100' end='192.168.200.199'/></dhcp>
  </ip>
</network>"""

# Runs inside the namespace: waits for "go", then asks 192.168.200.1 for
# gw.bench.test every 0.5 ms until an answer comes; prints its CLOCK_MONOTONIC.
PROBER = textwrap.dedent(r"""
    import socket, sys, time, struct
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for part in b"gw.bench.test".split(b"."):
        q += bytes([len(part)]) + part
    q += b"\0" + struct.pack(">HH", 1, 1)
    for line in sys.stdin:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.0005)
        deadline = time.monotonic() + 5
        got = None
        while time.monotonic() < deadline and got is None:
            try:
                s.sendto(q, ("192.168.200.1", 53))
                data = s.recv(512)
                if data[:2] == q[:2]:
                    got = time.monotonic()
            except OSError:
                time.sleep(0.0005)
        s.close()
        print(got if got else "none", flush=True)
""")


def run(*argv, check=True, **kw):
    return subprocess.run([str(a) for a in argv], check=check, capture_output=True, text=True, **kw)


def stats(values, unit="ms", scale=1000.0):
    if not values:
        return "n/a"
    v = [x * scale for x in values]
    return f"{statistics.median(v):.1f} {unit} median (min {min(v):.1f}, max {max(v):.1f}, n={len(v)})"


def rss_kib(pid):
    """(VmRSS, Pss, private) in KiB: most of VmRSS is shared library text."""
    out = {}
    for path, keys in ((f"/proc/{pid}/status", ("VmRSS",)),
                       (f"/proc/{pid}/smaps_rollup", ("Pss", "Private_Clean", "Private_Dirty"))):
        try:
            with open(path) as f:
                for line in f:
                    k = line.split(":")[0]
                    if k in keys:
                        out[k] = int(line.split()[1])
        except OSError:
            pass
    return (out.get("VmRSS", 0), out.get("Pss", 0), out.get("Private_Clean", 0) + out.get("Private_Dirty", 0))


def mib(t):
    return f"{t[0] / 1024:.2f} MiB (Pss {t[1] / 1024:.2f} MiB, private {t[2] / 1024:.2f} MiB)"


class Namespace:
    def __init__(self):
        self.name = f"vbb-{uuid.uuid4().hex[:8]}"
        run("ip", "netns", "add", self.name)
        run("ip", "-n", self.name, "link", "set", "lo", "up")

    def delete(self):
        for pid in run("ip", "netns", "pids", self.name, check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run("ip", "netns", "del", self.name, check=False)


class Prober:
    def __init__(self, ns):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns.name, sys.executable, "-c", PROBER],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()

    def result(self):
        line = self.p.stdout.readline().strip()
        return None if line in ("", "none") else float(line)

    def close(self):
        self.p.kill()
        self.p.wait()


def bench_networkd(args, tmp):
    import dbus
    ns = Namespace()
    bus_proc = daemon = prober = None
    out = {}
    try:
        conf = tmp / "bus.conf"
        conf.write_text('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n'
                        ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
                        f"<busconfig><include>{REPO}/scripts/dbus-test-bus.conf</include></busconfig>\n")
        sock = tmp / "bus.sock"
        bus_proc = subprocess.Popen(["dbus-daemon", f"--config-file={conf}", f"--address=unix:path={sock}",
                                     "--nofork", "--print-address=1"], stdout=subprocess.PIPE, text=True)
        bus_proc.stdout.readline()
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={sock}")
        env.pop("VIRTBUS_LOG_LEVEL", None)
        log = open(tmp / "networkd.log", "w")
        daemon = subprocess.Popen(["ip", "netns", "exec", ns.name, NETWORKD, "--root", tmp / "root"], env=env,
                                  stdout=log, stderr=log)
        bus = dbus.bus.BusConnection(f"unix:path={sock}")
        deadline = time.monotonic() + 10
        while not bus.name_has_owner("org.virtbus.networkd"):
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError("networkd did not start: " + (tmp / "networkd.log").read_text())
            time.sleep(0.01)
        root = bus.get_object("org.virtbus.networkd", "/org/virtbus/networkd")
        conn = dbus.Interface(root, "org.libvirt.Connect")
        ports = dbus.Interface(root, "org.virtbus.NetworkPort1")
        conn.ListNetworks(dbus.UInt32(0))
        time.sleep(0.5)
        out["rss_idle"] = rss_kib(daemon.pid)

        path = conn.NetworkDefineXML(NET_XML)
        net = dbus.Interface(bus.get_object("org.virtbus.networkd", path), "org.libvirt.Network")
        prober = Prober(ns)
        starts, answers = [], []
        for i in range(args.runs + 1):
            prober.start()
            t0 = time.monotonic()
            net.Create()
            t1 = time.monotonic()
            answered = prober.result()
            if i:   # the first run warms the page cache of dnsmasq and nft
                starts.append(t1 - t0)
                if answered:
                    answers.append(answered - t0)
            if i < args.runs:
                net.Destroy()
        out["start"], out["answer"] = starts, answers

        owner = str(uuid.uuid4())
        alloc, release, pair = [], [], []
        for i in range(args.ports):
            mac = f"52:54:00:aa:{i >> 8 & 0xff:02x}:{i & 0xff:02x}"
            t0 = time.monotonic()
            fd, ifname, port = ports.AllocatePort("bench", owner, mac, "", dbus.Dictionary({}, signature="sv"))
            t1 = time.monotonic()
            ports.ReleasePort(port)
            t2 = time.monotonic()
            os.close(fd.take())
            alloc.append(t1 - t0)
            release.append(t2 - t1)
            pair.append(t2 - t0)
        out["alloc"], out["release"], out["pair"] = alloc, release, pair
        time.sleep(0.5)
        out["rss_running"] = rss_kib(daemon.pid)
        net.Destroy()
        net.Undefine()
    finally:
        if prober:
            prober.close()
        if daemon:
            daemon.terminate()
            daemon.wait()
        if bus_proc:
            bus_proc.terminate()
            bus_proc.wait()
        ns.delete()
    return out


LIBVIRT_SCRIPT = textwrap.dedent(r"""
    set -e
    T=$1; shift
    mount --make-rprivate /
    for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt; do
        mkdir -p "$T$d"
        [ -d "$d" ] || mkdir -p "$d"
    done
    cp -a /etc/libvirt/. "$T/etc/libvirt/"
    rm -f "$T"/etc/libvirt/qemu/networks/*.xml "$T"/etc/libvirt/qemu/networks/autostart/*.xml 2>/dev/null || true
    for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt; do
        mount --bind "$T$d" "$d"
    done
    mkdir -p /var/lib/libvirt/dnsmasq /run/libvirt/network
    # only the network driver: the others would only slow the daemon down
    mkdir -p "$T/drv"
    ln -sf /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_network.so "$T/drv/"
    LIBVIRT_DRIVER_DIR="$T/drv" /usr/sbin/libvirtd --pid-file "$T/libvirtd.pid" > "$T/libvirtd.log" 2>&1 &
    LPID=$!
    for i in $(seq 1 200); do [ -S /run/libvirt/libvirt-sock ] && break; sleep 0.05; done
    "$@"
    status=$?
    kill $LPID; wait $LPID 2>/dev/null || true
    pkill -F /run/libvirt/network/bench.pid 2>/dev/null || true
    exit $status
""")

LIBVIRT_CLIENT = textwrap.dedent(r"""
    import libvirt, sys, time, statistics, subprocess
    runs = int(sys.argv[1]); xml = sys.stdin.read()
    c = libvirt.open(sys.argv[2] if len(sys.argv) > 2 else "network:///system")
    n = c.networkDefineXML(xml)
    starts = []
    for i in range(runs + 1):
        t0 = time.monotonic(); n.create(); t1 = time.monotonic()
        if i: starts.append(t1 - t0)
        n.destroy()
    n.undefine()
    print(" ".join(str(s) for s in starts))
""")


def bench_libvirt(args, tmp):
    if not shutil.which("libvirtd") and not Path("/usr/sbin/libvirtd").exists():
        return "n/a (libvirtd is not installed: sh scripts/install-deps.sh bench)"
    try:
        import libvirt  # noqa: F401
    except ImportError:
        return "n/a (python3-libvirt is not installed)"
    ns = Namespace()
    try:
        script = tmp / "libvirt-ns.sh"
        script.write_text(LIBVIRT_SCRIPT)
        client = tmp / "libvirt-client.py"
        client.write_text(LIBVIRT_CLIENT)
        t = tmp / "libvirt"
        t.mkdir()
        r = subprocess.run(["ip", "netns", "exec", ns.name, "unshare", "-m", "sh", script, t,
                            sys.executable, client, str(args.runs)],
                           input=NET_XML, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            log = (t / "libvirtd.log").read_text() if (t / "libvirtd.log").exists() else ""
            err = (r.stderr.strip().splitlines() or ["?"])[-1]
            return f"n/a (libvirt could not start the network here: {err} {log[-300:]})"
        return [float(x) for x in r.stdout.split()]
    finally:
        ns.delete()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--ports", type=int, default=200)
    ap.add_argument("--no-libvirt", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("networkd-bench: needs root (network namespaces)")
    if not NETWORKD.exists():
        sys.exit(f"networkd-bench: {NETWORKD} is not built (make)")
    # /dev/shm: the state directories live on tmpfs, as /run does on a host
    tmp = Path(tempfile.mkdtemp(prefix="vbb-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    try:
        nd = bench_networkd(args, tmp)
        lv = "n/a (--no-libvirt)" if args.no_libvirt else bench_libvirt(args, tmp)
    finally:
        subprocess.run(["pkill", "-F", str(tmp / "root/run/virtbus/network/bench.pid")], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)

    print("virtbus-networkd benchmark (inside network namespaces)")
    print(f"  start nat network with DHCP, Create -> reply  : {stats(nd['start'])}   [target <= 150 ms]")
    print(f"  start nat network, Create -> dnsmasq answers  : {stats(nd['answer'])}")
    print(f"  AllocatePort (tap)                            : {stats(nd['alloc'])}")
    print(f"  ReleasePort                                   : {stats(nd['release'])}")
    print(f"  AllocatePort + ReleasePort                    : {stats(nd['pair'])}   [target <= 5 ms]")
    print(f"  networkd VmRSS idle (no network)              : {mib(nd['rss_idle'])}   [target <= 4 MiB]")
    print(f"  networkd VmRSS, one network running           : {mib(nd['rss_running'])}")
    if isinstance(lv, list):
        print(f"  libvirt 9.0 net-start (virNetworkCreate)      : {stats(lv)}")
    else:
        print(f"  libvirt 9.0 net-start (virNetworkCreate)      : {lv}")


if __name__ == "__main__":
    main()
