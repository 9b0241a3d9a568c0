# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud with virtbus-networkd: the real test guest (TCG) on virtual
networks.

- <interface type='network'> on a nat network with DHCP: qemud asks networkd
  for a port, QEMU gets the tap as -netdev tap,fd=N, the guest gets a lease
  from the network's dnsmasq (GetDHCPLeases shows it with the guest's MAC)
  and answers a ping from the bridge's side; the live XML names the tap and
  validates against domain.rng; ListPorts shows the port, owned by the
  domain, until Destroy releases it and the tap is gone.
- <interface type='bridge'> on a host bridge, and a forward mode='bridge'
  network on another: each tap is plugged into its bridge.
- A network that does not exist or is not running: Create fails with
  networkd's error naming it, and leaves a shut off domain and no port, tap,
  QEMU or live state behind; the domain starts once the network is there.

networkd runs in a network namespace of its own (test_networkd_common's
NetworkdEnv: bridges, dnsmasq and taps live there); qemud and QEMU run in the
host's namespace on the same private bus (a tap fd works wherever QEMU runs).
NetworkdEnv installs a D-Bus activation file for networkd that starts
it in that namespace too, so that networkd can never come up in the host's.
"""

import json
import os
import re
import time

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from test_networkd_common import NetworkdEnv, nat_xml
from test_qemud_common import BOOT_TIMEOUT, dbus_error, destroy_active, xmllint_relaxng

pytestmark = pytest.mark.timeout(150)

QEMUD = "org.virtbus.qemud"
QEMUD_PATH = "/org/virtbus/qemud"

NET = "vbnet"                    # nat + DHCP, started by the fixture
SUBNET = "192.168.150"


class Env:
    """NetworkdEnv (namespace, bus, monitor, networkd in the namespace) plus
    a virtbus-qemud in the host's namespace on the same bus and root."""

    def __init__(self, guest):
        self.guest = guest
        self.net = NetworkdEnv()
        self.root = self.net.root
        self.bus = self.net.bus
        self.ns = self.net.ns
        self.qemud = None
        self.serials = {}
        try:
            self.qemud = h.Daemon("qemud", self.bus, self.root).start()
            self.net_path = self.net.define(nat_xml(NET, SUBNET))
            self.bridge = self.net.prop(self.net_path, "BridgeName")
        except BaseException:
            self.close()        # the namespace and the bus must not outlive a failed setup
            raise

    def close(self):
        try:
            destroy_active(self.qemud)
            if self.qemud:
                self.qemud.stop()
        finally:
            self.net.close()

    def register_logs(self):
        for title, path in self.net.logs():
            h.register_log(title, path)
        if self.qemud:
            h.register_log("virtbus-qemud", self.qemud.log_path)
        for name, path in self.serials.items():
            h.register_log(f"serial console of {name}", path)
        qlog = self.root / "var" / "log" / "virtbus" / "qemu"
        if qlog.is_dir():
            for f in sorted(qlog.glob("*.log")):
                h.register_log(f"QEMU log {f.name}", f)

    # --- qemud ---------------------------------------------------------------
    def define(self, name, uuid, **kw):
        serial = self.root / f"{name}.serial"
        self.serials[name] = serial
        h.register_log(f"serial console of {name}", serial)
        xml = h.guest_domain_xml(self.guest, name, uuid=uuid, serial_log=serial, **kw)
        return self.qemud.call("DomainDefineXML", xml)

    def dcall(self, path, method, *args, **kw):
        return self.qemud.domain_call(path, method, *args, **kw)

    def state(self, path):
        return tuple(self.dcall(path, "GetState", 0))

    def start(self, path, name, flags=0):
        serial = self.serials.get(name)
        if serial and serial.exists():
            serial.write_bytes(b"")
        self.dcall(path, "Create", flags)

    def destroy(self, path):
        if self.state(path)[0] != S.SHUTOFF:
            self.dcall(path, "Destroy", 0)
        assert self.state(path)[0] == S.SHUTOFF

    def status_pid(self, name):
        try:
            text = (self.root / "run" / "virtbus" / "qemu" / f"{name}.xml").read_text()
        except FileNotFoundError:
            return None
        m = re.search(r"<domstatus [^>]*\bpid='(\d+)'", text)
        return int(m.group(1)) if m else None

    def wait_serial(self, name, pattern, timeout=BOOT_TIMEOUT):
        return h.wait_for_serial(self.serials[name], pattern, timeout)

    # --- networkd ------------------------------------------------------------
    def ports(self, network=""):
        return self.net.port_call("ListPorts", network)

    def owner_ports(self, owner):
        return [p for p in self.ports() if p[2] == owner]

    def link(self, name):
        """`ip -d -j link show` of a link in networkd's namespace, or None."""
        r = self.net.in_ns("ip", "-d", "-j", "link", "show", "dev", name, check=False)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)[0]

    def links(self):
        r = self.net.in_ns("ip", "-j", "link", "show")
        return {l["ifname"] for l in json.loads(r.stdout)}

    def ping(self, addr, timeout=20):
        """Pings `addr` from networkd's namespace until it answers."""
        return h.wait_until(
            lambda: self.net.in_ns("ping", "-c", "1", "-W", "1", addr, check=False).returncode == 0,
            timeout, 0.2, f"{addr} to answer a ping from the namespace")


@pytest.fixture(scope="module")
def env(guest):
    e = Env(guest)
    try:
        yield e
    finally:
        e.close()


@pytest.fixture(autouse=True)
def _logs(env):
    env.register_logs()
    yield
    env.register_logs()


def iface_xml(kind, source, mac, target=None):
    attr = "network" if kind == "network" else "bridge"
    tgt = f"\n      <target dev='{target}'/>" if target else ""
    return (f"    <interface type='{kind}'>\n      <mac address='{mac}'/>\n"
            f"      <source {attr}='{source}'/>{tgt}\n"
            f"      <model type='virtio'/>\n    </interface>")


def target_devs(xml):
    return re.findall(r"<target dev='([^']+)'/>", re.sub(r"<disk .*?</disk>", "", xml, flags=re.S))


def qemu_tap_fds(pid):
    """{fd: target} of QEMU's -netdev tap,fd=N, read from /proc."""
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = f.read().decode().split("\0")
    fds = [int(m) for a in argv for m in re.findall(r"^tap,fd=(\d+)", a)]
    return {fd: os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds}


def assert_tap(env, ifname, bridge, mac, vnet_hdr=True):
    link = env.link(ifname)
    assert link is not None, f"tap {ifname} does not exist in {env.ns}"
    info = link.get("linkinfo", {})
    assert info.get("info_kind") == "tun" and info.get("info_data", {}).get("type") == "tap", link
    assert link.get("master") == bridge, f"{ifname}: master {link.get('master')}, expected {bridge}"
    assert link["address"] == "fe" + mac[2:], f"{ifname}: MAC {link['address']} (guest {mac})"
    assert "UP" in link["flags"], link["flags"]
    if vnet_hdr:
        assert info.get("info_data", {}).get("vnet_hdr") is True, info


def assert_released(env, owner, taps, timeout=10):
    """No port of `owner` is left and its taps are gone from the namespace."""
    h.wait_until(lambda: env.owner_ports(owner) == [], timeout,
                 what=f"the ports of {owner} to be released (ListPorts: {env.ports()})")
    for t in taps:
        h.wait_until(lambda: env.link(t) is None, timeout, what=f"tap {t} to be deleted")
    ports_dir = env.root / "run" / "virtbus" / "network" / "ports"
    left = [p.name for p in ports_dir.glob("*.port")] if ports_dir.is_dir() else []
    assert left == [], f"port files left in {ports_dir}: {left}"


# ---------------------------------------------------------------------------

def test_network_interface_dhcp_ping_ports(env):
    name, uuid, mac = "netvm", "6b1f0d33-6a0e-4c5e-9d6e-000000000001", "52:54:00:5a:00:01"
    path = env.define(name, uuid, nic=("network", NET), mac=mac)
    started = time.monotonic()
    env.start(path, name)
    try:
        assert env.state(path) == (S.RUNNING, 1)

        # the live XML names the tap, and validates; the inactive one does not
        live = env.dcall(path, "GetXMLDesc", 0)
        xmllint_relaxng(live, "domain", "live XML of a guest on a network")
        devs = target_devs(live)
        assert len(devs) == 1, f"expected one <target dev=''/> in the live XML:\n{live}"
        tap = devs[0]
        assert f"<source network='{NET}'/>" in live and f"<mac address='{mac}'/>" in live
        inactive = env.dcall(path, "GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "inactive XML of a guest on a network")
        assert target_devs(inactive) == []
        status = (env.root / "run" / "virtbus" / "qemu" / f"{name}.xml").read_text()
        assert f"<target dev='{tap}'/>" in status, "the live state file lacks the tap's name"

        # the port: owned by the domain, a tap on the network's bridge
        ports = env.ports(NET)
        assert len(ports) == 1, ports
        port_uuid = ports[0][0]
        assert ports[0][1:] == (NET, uuid, name, mac, "tap", tap, ""), ports
        assert env.ports() == ports
        assert_tap(env, tap, env.bridge, mac)
        assert "connections='1'" in env.net.xml(env.net_path)
        assert (env.root / "run" / "virtbus" / "network" / "ports" / f"{port_uuid}.port").exists()

        # QEMU has the tap itself: -netdev tap,fd=N, N is /dev/net/tun
        pid = env.status_pid(name)
        assert pid and h.pids_mentioning(env.root).count(pid) == 1
        assert list(qemu_tap_fds(pid).values()) == ["/dev/net/tun"]

        # DHCP from the network's dnsmasq
        ip = env.wait_serial(name, h.GUEST_IP_RE).group(1).decode()
        booted = time.monotonic() - started
        assert ip.startswith(SUBNET + ".") and 100 <= int(ip.rsplit(".", 1)[1]) <= 199, ip
        assert f"VIRTBUS-GUEST-IFACE eth0 {mac}".encode() in env.serials[name].read_bytes()

        def lease():
            ls = env.net.net_call(env.net_path, "GetDHCPLeases", mac, 0)
            return ls if ls else None
        leases = h.wait_until(lease, 10, what=f"a lease for {mac} in GetDHCPLeases")
        assert len(leases) == 1, leases
        l = leases[0]
        assert (l[0], l[2], l[3], l[5], l[6]) == (env.bridge, 0, mac, ip, 24), l
        assert l[7] == "virtbus-guest", f"hostname in the lease: {l[7]!r}"
        assert l[1] > time.time()
        assert [x[3] for x in env.net.net_call(env.net_path, "GetDHCPLeases", "", 0)] == [mac]

        # the guest answers from the bridge's side
        env.ping(ip)
        neigh = env.net.in_ns("ip", "neigh", "show", ip, "dev", env.bridge).stdout
        assert mac in neigh, f"neighbour entry of {ip}: {neigh!r}"
        print(f"\nguest on {NET}: tap {tap}, {ip} after {booted:.1f} s")
    finally:
        if env.state(path)[0] != S.SHUTOFF:
            env.dcall(path, "Destroy", 0)

    # Destroy: shut off, the port released, the tap gone
    assert env.state(path) == (S.SHUTOFF, 2)           # destroyed
    assert_released(env, uuid, [tap])
    assert "connections=" not in env.net.xml(env.net_path)
    assert target_devs(env.dcall(path, "GetXMLDesc", 0)) == []
    assert not (env.root / "run" / "virtbus" / "qemu" / f"{name}.xml").exists()
    assert not h.pids_mentioning(env.serials[name])

    # and again (paused: no need to boot): a new port, released once more
    env.start(path, name, 1)
    try:
        ports = env.owner_ports(uuid)
        assert len(ports) == 1 and ports[0][0] != port_uuid, ports
        tap2 = ports[0][6]
        assert target_devs(env.dcall(path, "GetXMLDesc", 0)) == [tap2]
        assert_tap(env, tap2, env.bridge, mac)
    finally:
        env.destroy(path)
    assert_released(env, uuid, [tap2])
    env.dcall(path, "Undefine", 0)


def test_bridge_interfaces(env):
    """<interface type='bridge'> on a host bridge made in the namespace, and
    a forward mode='bridge' network on another one: each tap has its bridge
    as master, and the guest (static address on eth0) answers a ping."""
    br0, br1 = "vbtbr0", "vbtbr1"
    for br in (br0, br1):
        env.net.in_ns("ip", "link", "add", br, "type", "bridge")
        env.net.in_ns("ip", "link", "set", br, "up")
    env.net.in_ns("ip", "addr", "add", "10.77.0.1/24", "dev", br0)
    hostbr = env.net.define(f"""<network>
  <name>hostbr</name>
  <forward mode='bridge'/>
  <bridge name='{br1}'/>
</network>""")
    name, uuid = "brvm", "6b1f0d33-6a0e-4c5e-9d6e-000000000002"
    mac0, mac1 = "52:54:00:5a:00:02", "52:54:00:5a:00:03"
    path = env.define(name, uuid, nic=("bridge", br0), mac=mac0,
                      extra_devices=iface_xml("network", "hostbr", mac1),
                      extra_cmdline="virtbus.ip=10.77.0.2/24")
    taps = []
    try:
        env.start(path, name)
        live = env.dcall(path, "GetXMLDesc", 0)
        xmllint_relaxng(live, "domain", "live XML of a guest on bridges")
        taps = target_devs(live)
        assert len(taps) == 2, f"expected two <target dev=''/>:\n{live}"
        assert f"<source bridge='{br0}'/>" in live

        ports = sorted(env.owner_ports(uuid), key=lambda p: p[4])
        assert [(p[1], p[3], p[4], p[5], p[6]) for p in ports] == \
            [("", name, mac0, "tap", taps[0]), ("hostbr", name, mac1, "tap", taps[1])], ports
        assert_tap(env, taps[0], br0, mac0)
        assert_tap(env, taps[1], br1, mac1)
        assert len(qemu_tap_fds(env.status_pid(name))) == 2

        assert env.wait_serial(name, h.GUEST_IP_RE).group(1) == b"10.77.0.2"
        env.ping("10.77.0.2")
    finally:
        if env.state(path)[0] != S.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        try:
            assert_released(env, uuid, taps)
            # the bridges are not networkd's to remove
            assert env.link(br0) is not None and env.link(br1) is not None
        finally:
            env.dcall(path, "Undefine", 0)
            env.net.remove(hostbr)
            for br in (br0, br1):
                env.net.in_ns("ip", "link", "del", br, check=False)


def test_target_dev_names_the_tap(env):
    """<target dev='NAME'/> of an <interface type='network'> is the tap's
    name (NetworkdPortRequest.ifname, README.md, networkd)."""
    name, uuid, mac = "tgtvm", "6b1f0d33-6a0e-4c5e-9d6e-000000000003", "52:54:00:5a:00:04"
    path = env.define(name, uuid, nic=None,
                      extra_devices=iface_xml("network", NET, mac, target="vbguest0"))
    try:
        env.start(path, name, 1)                       # paused: QEMU runs, no boot
        assert target_devs(env.dcall(path, "GetXMLDesc", 0)) == ["vbguest0"]
        assert [p[6] for p in env.owner_ports(uuid)] == ["vbguest0"]
        assert_tap(env, "vbguest0", env.bridge, mac)
    finally:
        env.destroy(path)
        assert_released(env, uuid, ["vbguest0"])
        env.dcall(path, "Undefine", 0)


def test_interface_mtu_is_the_taps(env):
    """<mtu size=''/> of an interface is its tap's MTU, whatever the NIC
    model, as libvirt sets it: an e1000 on the network gets a tap of that
    MTU (networkd's port option 'mtu', instead of the network's) and no
    host_mtu, which only virtio-net has; a virtio-net on it gets both."""
    name, uuid = "mtuvm", "6b1f0d33-6a0e-4c5e-9d6e-000000000004"
    macs = ("52:54:00:5a:00:05", "52:54:00:5a:00:06")
    nics = "".join(iface_xml("network", NET, mac, target=tap).replace(
        "<model type='virtio'/>", f"<model type='{model}'/><mtu size='{mtu}'/>")
        for mac, tap, model, mtu in ((macs[0], "vbmtu0", "e1000", 1400), (macs[1], "vbmtu1", "virtio", 1300)))
    path = env.define(name, uuid, nic=None, extra_devices=nics)
    try:
        env.start(path, name, 1)                       # paused: QEMU runs, no boot
        assert [env.link(t)["mtu"] for t in ("vbmtu0", "vbmtu1")] == [1400, 1300]
        with open(f"/proc/{env.status_pid(name)}/cmdline", "rb") as f:
            devices = [a for a in f.read().decode().split("\0") if '"mac":"' in a]
        assert len(devices) == 2, devices
        assert [("host_mtu" in d, '"host_mtu":1300' in d) for d in devices] == [(False, False), (True, True)], \
            devices
        assert "<mtu size='1400'/>" in env.dcall(path, "GetXMLDesc", 0)
    finally:
        env.destroy(path)
        assert_released(env, uuid, ["vbmtu0", "vbmtu1"])
        env.dcall(path, "Undefine", 0)


def test_port_isolated_and_vlan(env):
    """<port isolated='yes'/> of an interface makes its tap an isolated
    bridge port (networkd's AllocatePort option); a <vlan> on a network
    without VLAN filtering is networkd's refusal, naming the network."""
    name, uuid, mac = "isovm", "6b1f0d33-6a0e-4c5e-9d6e-000000000005", "52:54:00:5a:00:06"
    nic = (f"    <interface type='network'>\n      <mac address='{mac}'/>\n      <source network='{NET}'/>\n"
           f"      <port isolated='yes'/>\n      <target dev='vbiso0'/>\n      <model type='virtio'/>\n"
           f"    </interface>")
    path = env.define(name, uuid, nic=None, extra_devices=nic)
    try:
        env.start(path, name, 1)                       # paused: QEMU runs, no boot
        assert "<port isolated='yes'/>" in env.dcall(path, "GetXMLDesc", 0)
        link = env.link("vbiso0")
        assert link["linkinfo"].get("info_slave_data", {}).get("isolated") is True, link
    finally:
        env.destroy(path)
        assert_released(env, uuid, ["vbiso0"])
        env.dcall(path, "Undefine", 0)
    name, uuid = "vlanvm", "6b1f0d33-6a0e-4c5e-9d6e-000000000006"
    nic = nic.replace("<port isolated='yes'/>", "<vlan><tag id='42'/></vlan>").replace("vbiso0", "vbvlan0")
    path = env.define(name, uuid, nic=None, extra_devices=nic)
    try:
        with dbus_error("NotSupported", "a VLAN for a port needs a network with VLANs", NET):
            env.start(path, name, 1)
        assert env.state(path)[0] == S.SHUTOFF
    finally:
        env.dcall(path, "Undefine", 0)


def assert_nothing_left(env, path, name, uuid, links_before):
    assert env.state(path)[0] == S.SHUTOFF, env.state(path)
    assert env.qemud.get_property(path, "org.libvirt.Domain", "Active") is False
    assert env.qemud.get_property(path, "org.libvirt.Domain", "Id") == 0
    assert target_devs(env.dcall(path, "GetXMLDesc", 0)) == []
    assert not (env.root / "run" / "virtbus" / "qemu" / f"{name}.xml").exists()
    assert not h.pids_mentioning(env.serials[name]), "a QEMU of the failed start is still there"
    assert_released(env, uuid, [])
    h.wait_until(lambda: env.links() <= links_before, 10,
                 what=f"the links of the failed start to go (now {sorted(env.links())}, "
                      f"before {sorted(links_before)})")


def test_missing_or_inactive_network(env):
    """The first interface gets a port, the second's network does not exist:
    Create fails with networkd's NoNetwork naming it, after the cleanup; then
    a defined but inactive network (OperationInvalid); once the network runs,
    the same domain starts."""
    name, uuid = "nonetvm", "6b1f0d33-6a0e-4c5e-9d6e-000000000004"
    mac0, mac1 = "52:54:00:5a:00:05", "52:54:00:5a:00:06"
    path = env.define(name, uuid, nic=("network", NET), mac=mac0,
                      extra_devices=iface_xml("network", "nosuchnet", mac1))
    links_before = env.links()
    late = None
    try:
        m = env.net.mon.mark()
        with dbus_error("NoNetwork", "nosuchnet") as e:
            env.start(path, name)
        print(f"\nCreate with a missing network: {e.message}")
        assert env.state(path) == (S.SHUTOFF, 6)       # failed
        assert_nothing_left(env, path, name, uuid, links_before)
        # qemud did ask networkd (and the port on NET was made, then released)
        # (the bus monitor may lag behind the reply: give it a moment)
        def port_calls():
            return [x.get("member") for x in env.net.mon.messages[m:]
                    if x.get("type") == "method_call" and x.get("interface") == "org.virtbus.NetworkPort1"]
        deadline = time.monotonic() + 5
        while "ReleaseOwner" not in port_calls() and time.monotonic() < deadline:
            time.sleep(0.05)
        calls = port_calls()
        assert calls.count("AllocatePort") == 2 and "ReleaseOwner" in calls, calls

        # a network that exists but does not run
        late = env.net.define(nat_xml("nosuchnet", "192.168.151"), start=False)
        with dbus_error("OperationInvalid", "nosuchnet"):
            env.start(path, name)
        assert env.state(path) == (S.SHUTOFF, 6)
        assert_nothing_left(env, path, name, uuid, links_before)

        # it runs: the domain starts, with one port on each network
        env.net.net_call(late, "Create")
        env.start(path, name, 1)
        ports = sorted(env.owner_ports(uuid), key=lambda p: p[4])
        assert [(p[1], p[4]) for p in ports] == [(NET, mac0), ("nosuchnet", mac1)], ports
        assert target_devs(env.dcall(path, "GetXMLDesc", 0)) == [p[6] for p in ports]
        env.destroy(path)
        assert_released(env, uuid, [p[6] for p in ports])
    finally:
        if env.state(path)[0] != S.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)
        if late:
            env.net.remove(late)


def test_networkd_never_runs_in_host_namespace(env):
    """The daemon that answers is the one in the test's namespace."""
    pid = env.bus.name_owner_pid("org.virtbus.networkd")
    assert pid == env.net.daemon.pid
    assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
