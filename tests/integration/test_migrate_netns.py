# SPDX-License-Identifier: LGPL-2.1-or-later
"""Migration between two hosts in two network namespaces (issue 15's
harness): each host its own namespace (h.NetnsPair: a veth pair between
them, 10.231.N.1 and .2), its own root, private bus, qemud, logd, lockd and
proxy, all running in its namespace; B's proxy is reached from A's over
tcp across the veth (a forwarder in B's namespace from B's address, port
16509, to B's proxy socket: qemu+tcp://10.231.N.2/system), and QEMU's
streams (memory, NBD) cross the veth too.

- virsh migrate --live --p2p to B: the ticking test guest goes on from where
  it was; B's QEMU runs in B's namespace; B's veth received the stream;
  back to A with --tunnelled (the stream inside the proxies' connection).
- virsh migrate --live --p2p --copy-storage-all back to A, the guest writing
  its disk throughout: A's disk is B's to the byte (the guest left paused
  with --suspend), and resumed it writes on.
- a guest on a virtbus network (networkd in each namespace, the same nat
  network on both): B's networkd gives it its port before it runs on B
  (Prepare3), A's goes with A's QEMU (Confirm3); it answers a ping on B.
- a SPICE guest listening on every address: A's QEMU is told to send its
  clients to B's veth address and B's port.
The test process itself talks to each host's bus and proxy over their unix
sockets (the two namespaces share the file system)."""

import filecmp
import os
import json
import re
import subprocess
import time

import pytest

import virtbus_harness as h
from migrate_common import qmp_trace, ticks_go_on, writes_go_on  # noqa: F401
from test_qemud_common import Guest, QemudEnv, S

libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")

pytestmark = pytest.mark.timeout(400)

RUNNING_MIGRATED = 2
LIBVIRT_TCP = 16509
MIB = 1 << 20
MARK_SECTOR = 32 * MIB // 512


class Host(QemudEnv):
    """A QemudEnv whose bus, daemons and proxy run in network namespace i of pair."""

    def __init__(self, guest, pair, i, host_uuid):
        if not h.shutil.which("virsh"):
            pytest.skip("virsh (libvirt-clients) is not installed")
        super().__init__(guest, netns=pair.argv(i))
        self.addr = pair.addrs[i]
        (self.root / "etc" / "virtbus" / "host-uuid").write_text(host_uuid + "\n")
        self.proxy = h.Proxy(self.bus, self.root).start()
        self.forwarder = h.tcp_to_unix(pair.argv(i), self.addr, LIBVIRT_TCP, self.proxy.socket)
        self.tcp_uri = f"qemu+tcp://{self.addr}/system"

    def register_logs(self):
        super().register_logs()
        h.register_log("virtbus-proxyd", self.proxy.log_path)

    def close(self):
        self.forwarder.kill()
        self.forwarder.wait()
        self.proxy.stop()
        return super().close()

    def virsh(self, *args, **kw):
        return self.proxy.virsh(*args, **kw)

    def open(self):
        return libvirt.open(self.proxy.uri)


@pytest.fixture(scope="module")
def hosts(guest, request):
    why = h.NetnsPair.unavailable()
    if why:
        pytest.skip(why)
    pair = h.NetnsPair()
    made = []
    try:
        made.append(Host(guest, pair, 0, "33333333-0000-4000-8000-00000000000a"))
        made.append(Host(guest, pair, 1, "33333333-0000-4000-8000-00000000000b"))
        yield pair, made[0], made[1]
    finally:
        errors = []
        for e in made:
            e.failed = request.session.testsfailed > 0
            errors += e.close()
        errors += pair.close()
        if errors:
            raise RuntimeError("cleanup errors: " + "; ".join(errors))


@pytest.fixture(autouse=True)
def _logs(hosts):
    for e in hosts[1:]:
        e.register_logs()


def moved_xml(src, dst, name):
    """The guest's XML with every path of src's root in dst's."""
    xml = src.open().lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE)
    f = src.root / f"{name}-to-{dst.addr}.xml"
    f.write_text(xml.replace(str(src.root), str(dst.root)))
    return f


def net_ns_of(pid):
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def test_live_p2p_across_the_veth(hosts):
    pair, a, b = hosts
    g = a.define("nsmig", tick=True)
    g.start()
    g.wait_ready()
    g.wait_tick_after(0)
    assert net_ns_of(g.pid()) == pair.ns_inode(0)
    before = g.wait_tick_after(g.last_tick())
    rx = pair.rx_bytes(1)
    xml = moved_xml(a, b, "nsmig")
    r = a.virsh("migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--xml", xml,
                "--listen-address", b.addr, "nsmig", b.tcp_uri, check=False)
    assert r.returncode == 0, r.stderr
    gb = Guest(b, b.call("DomainLookupByName", "nsmig"), "nsmig")
    gb.serial = b.root / "nsmig.serial"
    assert gb.state() == (S.RUNNING, RUNNING_MIGRATED)
    first = ticks_go_on(gb, before, "B")
    assert net_ns_of(gb.pid()) == pair.ns_inode(1)
    # the stream came over the veth (a 256 MiB guest sends a few MiB at least)
    assert pair.rx_bytes(1) - rx > 1 * MIB
    assert a.open().listAllDomains() == []
    # back with --tunnelled: the stream inside the proxies' tcp connection,
    # A's QEMU listening on no port
    before = gb.wait_tick_after(gb.last_tick())
    rx = pair.rx_bytes(0)
    r = b.virsh("migrate", "--live", "--p2p", "--tunnelled", "--persistent", "--undefinesource", "--xml",
                moved_xml(b, a, "nsmig"), "nsmig", a.tcp_uri, check=False)
    assert r.returncode == 0, r.stderr
    ga = Guest(a, a.call("DomainLookupByName", "nsmig"), "nsmig")
    ga.serial = a.root / "nsmig.serial"
    assert ga.state() == (S.RUNNING, RUNNING_MIGRATED)
    first = ticks_go_on(ga, before, "A")
    assert pair.rx_bytes(0) - rx > 1 * MIB
    assert "reads the proxy's tunnel" in a.qemud.log_path.read_text()
    ga.call("Destroy", 0)
    ga.call("Undefine", 0)


def markers(path):
    out = []
    with open(path, "rb") as f:
        f.seek(MARK_SECTOR * 512)
        while True:
            s = f.read(512)
            if not s.startswith(b"VBMARK"):
                return out
            out.append(int(s[6:14]))


def test_copy_storage_across_the_veth(hosts):
    """To B with --copy-storage-all, then back to A the same way, the guest
    writing its disk throughout; each time the destination's guest is left
    paused (--suspend) and its disk compared with the source's."""
    from test_qemud_control import Console
    pair, a, b = hosts
    disk_a, disk_b = a.root / "nscs.raw", b.root / "nscs.raw"
    with open(disk_a, "wb") as f:
        f.write(os.urandom(16 * MIB))
        f.truncate(64 * MIB)
    sock = a.root / "nscs.console"
    extra = (f"    <serial type='unix'>\n      <source mode='bind' path='{sock}'/>\n"
             f"      <target port='0'/>\n    </serial>")
    xml = h.guest_domain_xml(a.guest, "nscs", serial_log=None, nic=None, disks=[(str(disk_a), "raw", "vda")],
                             extra_cmdline="virtbus.shell virtbus.nodhcp", extra_devices=extra)
    dom = a.open().defineXML(xml)
    dom.create()
    con = Console(sock)
    con.wait("VIRTBUS-GUEST-READY", 120)
    time.sleep(1)
    con.run("echo shell-up", 30)
    con.sock.sendall((f"(i=0; while :; do printf 'VBMARK%08d' $i | dd of=/dev/vda bs=512 seek=$(({MARK_SECTOR}+i))"
                      f" conv=notrunc,fsync 2>/dev/null; i=$((i+1)); usleep 50000; done) >/dev/null 2>&1 &\n")
                     .encode())
    con.run("echo writer-started", 30)
    con.close()
    h.wait_until(lambda: len(markers(disk_a)) > 5, 60, what="the guest writing its disk")
    for src, dst, sdisk, ddisk in ((a, b, disk_a, disk_b), (b, a, disk_b, disk_a)):
        if ddisk.exists():
            ddisk.rename(ddisk.with_suffix(".old"))
        rx = pair.rx_bytes(pair.addrs.index(dst.addr))
        r = src.virsh("migrate", "--live", "--p2p", "--copy-storage-all", "--suspend", "--persistent",
                      "--undefinesource", "--xml", moved_xml(src, dst, "nscs"), "--listen-address", dst.addr,
                      "nscs", dst.tcp_uri, check=False)
        assert r.returncode == 0, r.stderr
        d = dst.open().lookupByName("nscs")
        assert d.state()[0] == libvirt.VIR_DOMAIN_PAUSED
        assert filecmp.cmp(sdisk, ddisk, shallow=False), f"{ddisk} differs from {sdisk}"
        # 16 MiB of disk data and the memory came over the veth
        assert pair.rx_bytes(pair.addrs.index(dst.addr)) - rx > 16 * MIB
        n = markers(ddisk)
        assert len(n) > 5 and n == list(range(len(n)))
        d.resume()
        writes_go_on(lambda: len(markers(ddisk)) > len(n) + 5, f"the guest writing on {dst.addr}",
                     dst.qemu_log_dir / "nscs.log", dst.addr)
    d.destroy()
    d.undefine()
    assert re.search(r"Copying the disks of nscs to 10\.231\.\d+\.1:", a.qemud.log_path.read_text()) is None
    assert re.search(r"Copying the disks of nscs to 10\.231\.\d+\.2:", a.qemud.log_path.read_text())


def test_network_port_moves_with_the_guest(hosts):
    """A guest on a virtbus network (the same nat network with DHCP on both
    hosts, each host's networkd in its namespace): before the guest runs on
    B, B's networkd gave it its port (a tap on B's bridge, made at Prepare3
    as a start makes it); A's port goes only with A's QEMU (Confirm3). The
    guest keeps its address and answers a ping from B's bridge."""
    from test_networkd_common import PORT_IFACE, host_network_limit, nat_xml
    why = host_network_limit()
    if why:
        pytest.skip(f"this host cannot run networkd's networks: {why}")
    pair, a, b = hosts
    name, mac, ip = "nsnet", "52:54:00:5a:31:01", "192.168.151.50"
    daemons, bridges = [], []
    try:
        for x in (a, b):
            d = h.Daemon("networkd", x.bus, x.root).start()
            daemons.append(d)
            path = d.call("NetworkDefineXML", nat_xml("mignet", "192.168.151",
                                                     dhcp_extra=f"<host mac='{mac}' ip='{ip}'/>"))
            x.bus.call(d.bus_name, path, "org.libvirt.Network", "Create")
            bridges.append(x.bus.get_property(d.bus_name, path, "org.libvirt.Network", "BridgeName"))

        def ports(i):
            return [p for p in daemons[i].call("ListPorts", "", interface=PORT_IFACE) if p[3] == name]

        def ping(i):
            return subprocess.run(["ip", "netns", "exec", pair.names[i], "ping", "-c", "1", "-W", "1", ip],
                                  capture_output=True).returncode == 0

        g = a.define(name, tick=True, nic=("network", "mignet"), mac=mac)
        g.start()
        g.wait_ready()
        assert len(ports(0)) == 1 and ports(1) == []
        h.wait_until(lambda: ping(0), 60, 0.5, f"{ip} to answer a ping on A")
        before = g.wait_tick_after(g.last_tick())
        r = a.virsh("migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--xml",
                    moved_xml(a, b, name), "--listen-address", b.addr, name, b.tcp_uri, check=False)
        assert r.returncode == 0, r.stderr
        gb = Guest(b, b.call("DomainLookupByName", name), name)
        gb.serial = b.root / f"{name}.serial"
        assert gb.state() == (S.RUNNING, RUNNING_MIGRATED)
        first = ticks_go_on(gb, before, "B")
        # B's port, a tap on B's bridge, is the guest's; A's is gone
        pb = ports(1)
        assert len(pb) == 1 and pb[0][4] == mac and pb[0][5] == "tap", pb
        tap = pb[0][6]
        assert f"<target dev='{tap}'/>" in gb.call("GetXMLDesc", 0)
        h.wait_until(lambda: ports(0) == [], 20, what=f"A's port of {name} to go")
        link = json.loads(subprocess.run(["ip", "-n", pair.names[1], "-j", "link", "show", "dev", tap],
                                         capture_output=True, text=True, check=True).stdout)[0]
        assert link.get("master") == bridges[1] and "UP" in link["flags"], link
        h.wait_until(lambda: ping(1), 60, 0.5, f"{ip} to answer a ping on B")
        gb.call("Destroy", 0)
        gb.call("Undefine", 0)
        h.wait_until(lambda: ports(1) == [], 20, what=f"B's port of {name} to go")
    finally:
        for d in daemons:
            d.stop()


def test_spice_clients_follow_to_b(hosts):
    """virsh migrate --p2p of a guest whose SPICE server listens on every
    address: A's QEMU is told (client_migrate_info) to send its clients to
    the address the stream went to, B's veth address, and B's port."""
    pair, a, b = hosts
    name = "nsspice"
    g = a.define(name, tick=True, nic=None,
                 extra_devices="    <graphics type='spice' autoport='yes' listen='0.0.0.0'/>")
    g.start()
    g.wait_ready()
    r = a.virsh("migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--xml",
                moved_xml(a, b, name), "--listen-address", b.addr, name, b.tcp_uri, check=False)
    assert r.returncode == 0, r.stderr
    gb = Guest(b, b.call("DomainLookupByName", name), name)
    m = re.search(r"<graphics type='spice' port='(\d+)'", gb.call("GetXMLDesc", 0))
    assert m and int(m.group(1)) > 0
    told = f"SPICE clients of {name} are to reconnect to spice://{b.addr}:{m.group(1)}"
    assert told in a.qemud.log_path.read_text()
    gb.call("Destroy", 0)
    gb.call("Undefine", 0)
