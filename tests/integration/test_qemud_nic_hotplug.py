# SPDX-License-Identifier: LGPL-2.1-or-later
"""Interface hot-plug in virtbus-qemud: AttachDevice/DetachDevice of an
<interface type='network'> on a running guest (TCG), with virtbus-networkd.

qemud asks networkd for a port as the start does, passes the tap to QEMU
with getfd (SCM_RIGHTS on the monitor), then netdev_add and device_add; the
guest sees a new NIC and gets a DHCP lease from the network's dnsmasq
(typed into its root shell on the serial console, reached through a unix
socket). qemud is killed and started again while the NIC is plugged (the
tests ask QEMU's query-pci meanwhile): the interface and its port are known
again, and DetachDevice removes it from the guest, QEMU, both definitions
and networkd. Bad input (a network that does not exist, a MAC in use, a PCI
address in use) gets its own error and leaves no port, no tap and the guest
and its definitions as they were. virsh attach-interface/detach-interface
through the proxy do the same.

networkd runs in a network namespace of its own, as in test_qemud_network.
"""

import json
import re
import signal
import time

import dbus
import pytest

import virtbus_harness as h
import test_qemud_device as tdev
import test_qemud_network as tnet
from test_qemud_network import _logs, env  # noqa: F401 - the network test env and its logs, shared
from test_qemud_common import dbus_error

pytestmark = pytest.mark.timeout(400)

LIVE, CONFIG = 1, 2
NAME, UUID = "nicvm", "6b1f0d33-6a0e-4c5e-9d6e-0000000000a1"
MAC1, MAC2, MAC3 = "52:54:00:5b:00:01", "52:54:00:5b:00:02", "52:54:00:5b:00:03"
SRC_LEASE = 0


def nic_xml(mac, network=tnet.NET, address=""):
    return (f"<interface type='network'><mac address='{mac}'/><source network='{network}'/>"
            f"<model type='virtio'/>{address}</interface>")


class Nic:
    def __init__(self, env, path, con):
        self.env, self.path, self.con = env, path, con

    def call(self, method, *args):
        return self.env.dcall(self.path, method, *args)

    def xmls(self):
        return self.call("GetXMLDesc", 0), self.call("GetXMLDesc", 2)

    def guest_nics(self):
        out = self.con.run("for n in /sys/class/net/*; do echo NIC ${n##*/} $(cat $n/address); done")
        return dict(re.findall(r"NIC (\w+) ([0-9a-f:]+)", out.decode(errors="replace")))

    def query_pci_ids(self):
        """The qdev ids on QEMU's PCI buses, asked over its monitor with
        qemud killed (QEMU takes one monitor client), then qemud started
        again: it must know the guest, its NICs and their ports again."""
        text = (self.env.root / "run" / "virtbus" / "qemu" / f"{NAME}.xml").read_text()
        monitor = re.search(r"<monitor path='([^']+)'", text).group(1)
        self.env.qemud.kill(signal.SIGKILL)
        try:
            qmp = h.Qmp(monitor, timeout=20)
            try:
                ids = set()

                def walk(devs):
                    for d in devs:
                        if d.get("qdev_id"):
                            ids.add(d["qdev_id"])
                        walk(d.get("pci_bridge", {}).get("devices", []))
                for bus in qmp.cmd("query-pci"):
                    walk(bus["devices"])
                return ids
            finally:
                qmp.close()
        finally:
            self.env.qemud.start()


@pytest.fixture(scope="module")
def nic(env):
    path, con = tdev.start_shell_guest(env, NAME, env.root / "nic-console.sock", root_ports=4, uuid=UUID)
    try:
        tdev.wait_shell(con, 150)
        yield Nic(env, path, con)
    finally:
        con.close()
        try:
            env.destroy(path)
            tnet.assert_released(env, UUID, [])
        finally:
            env.dcall(path, "Undefine", 0)


def assert_unchanged(env, n, before, links_before, ports_before):
    assert n.xmls() == before, "a failed attach changed a definition"
    assert env.owner_ports(UUID) == ports_before, env.owner_ports(UUID)
    h.wait_until(lambda: env.links() <= links_before, 10,
                 what=f"the links of the failed attach to go (now {sorted(env.links())})")
    assert env.state(n.path) == (h.DomainState.RUNNING, 1)


def test_attach_dhcp_restart_detach(env, nic):
    n = nic
    before = n.xmls()
    links_before = env.links()
    assert env.owner_ports(UUID) == []
    assert "eth0" not in n.guest_nics()

    t0 = time.monotonic()
    n.call("AttachDevice", nic_xml(MAC1), LIVE | CONFIG)
    attach_s = time.monotonic() - t0
    live, inactive = n.xmls()
    assert f"<mac address='{MAC1}'/>" in live and "alias name='net0'" in live, live
    assert f"<mac address='{MAC1}'/>" in inactive and "alias" not in re.sub(r"<disk.*?</disk>", "", inactive, flags=re.S)
    taps = tnet.target_devs(live)
    assert len(taps) == 1, live
    tap = taps[0]
    assert tnet.target_devs(inactive) == []
    # the same PCI address in both definitions
    addr = lambda x: re.search(re.escape(MAC1) + r".*?(<address type='pci'[^>]*>)", x, re.S).group(1)
    assert addr(live) == addr(inactive)
    assert f"<target dev='{tap}'/>" in (env.root / "run" / "virtbus" / "qemu" / f"{NAME}.xml").read_text()

    # networkd's port, owned by the guest, its tap on the network's bridge
    ports = env.owner_ports(UUID)
    assert [(p[1], p[3], p[4], p[5], p[6]) for p in ports] == [(tnet.NET, NAME, MAC1, "tap", tap)], ports
    tnet.assert_tap(env, tap, env.bridge, MAC1)

    # the guest sees the NIC and gets a lease from networkd's dnsmasq
    h.wait_until(lambda: n.guest_nics().get("eth0") == MAC1, 30, 0.5, "eth0 in the guest")
    n.con.run("udhcpc -i eth0 -s /usr/share/udhcpc/default.script -q -t 10 -T 2 "
              "-x hostname:virtbus-guest >/dev/null 2>&1", timeout=60)
    m = re.search(rb"VIRTBUS-GUEST-IP (\d+\.\d+\.\d+\.\d+)", n.con.text())
    assert m, n.con.text()[-2000:]
    ip = m.group(1).decode()
    assert ip.startswith(tnet.SUBNET + "."), ip
    leases = h.wait_until(lambda: env.net.net_call(env.net_path, "GetDHCPLeases", MAC1, 0) or None, 10,
                          what=f"a lease for {MAC1}")
    assert leases[0][5] == ip, leases
    addrs = n.call("InterfaceAddresses", SRC_LEASE, 0)
    assert [(a[0], a[1], [(x[0], x[1], x[2]) for x in a[2]]) for a in addrs] == [(tap, MAC1, [(0, ip, 24)])], addrs
    env.ping(ip)
    print(f"\nNIC attached in {attach_s:.2f} s: tap {tap}, lease {ip}")

    # QEMU has it; qemud killed and started again knows it and its port
    assert "net0" in n.query_pci_ids()
    assert tnet.target_devs(n.call("GetXMLDesc", 0)) == [tap]

    # detach: gone from the guest, QEMU, both definitions, networkd
    n.call("DetachDevice", nic_xml(MAC1), LIVE | CONFIG)
    h.wait_until(lambda: MAC1 not in n.call("GetXMLDesc", 0), 30, 0.5, "the NIC to leave the live XML")
    assert n.xmls() == before
    tnet.assert_released(env, UUID, [tap])
    h.wait_until(lambda: "eth0" not in n.guest_nics(), 30, 0.5, "eth0 to leave the guest")
    assert "net0" not in n.query_pci_ids()
    assert env.links() <= links_before


def test_bad_input_leaves_nothing(env, nic):
    n = nic
    links_before = env.links()
    # a NIC in place, to collide with
    n.call("AttachDevice", nic_xml(MAC1), LIVE)
    try:
        before = n.xmls()
        ports_before = env.owner_ports(UUID)
        assert len(ports_before) == 1
        links_with = env.links()

        with dbus_error("NoNetwork", "nosuchnet") as e:
            n.call("AttachDevice", nic_xml(MAC2, network="nosuchnet"), LIVE)
        print(f"\nmissing network: {e.message}")
        assert_unchanged(env, n, before, links_with, ports_before)

        with dbus_error("OperationInvalid", MAC1, "already exists") as e:
            n.call("AttachDevice", nic_xml(MAC1), LIVE)
        print(f"MAC in use: {e.message}")
        assert_unchanged(env, n, before, links_with, ports_before)

        live = before[0]
        addr = re.search(re.escape(MAC1) + r".*?(<address type='pci'[^>]*/>)", live, re.S).group(1)
        with dbus_error("InvalidArg", "used twice", MAC1) as e:
            n.call("AttachDevice", nic_xml(MAC3, address=addr), LIVE)
        print(f"PCI address in use: {e.message}")
        assert_unchanged(env, n, before, links_with, ports_before)
        # the guest still has just the one NIC
        h.wait_until(lambda: list(n.guest_nics().values()).count(MAC1) == 1, 30, 0.5, "eth0 in the guest")
        assert MAC3 not in n.guest_nics().values() and MAC2 not in n.guest_nics().values()
    finally:
        n.call("DetachDevice", nic_xml(MAC1), LIVE)
        h.wait_until(lambda: MAC1 not in n.call("GetXMLDesc", 0), 30, 0.5, "the NIC to leave the live XML")
    tnet.assert_released(env, UUID, [])
    h.wait_until(lambda: env.links() <= links_before, 10, what="the tap to go")


def test_virsh_attach_detach_interface(env, nic):
    n = nic
    before = n.xmls()
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        proxy.virsh("attach-interface", NAME, "network", tnet.NET, "--mac", MAC2, "--model", "virtio", "--live")
        live = n.call("GetXMLDesc", 0)
        assert f"<mac address='{MAC2}'/>" in live
        ports = env.owner_ports(UUID)
        assert [(p[1], p[4]) for p in ports] == [(tnet.NET, MAC2)], ports
        out = proxy.virsh("domiflist", NAME).stdout
        assert MAC2 in out and ports[0][6] in out, out
        h.wait_until(lambda: MAC2 in n.guest_nics().values(), 30, 0.5, "the NIC in the guest")
        proxy.virsh("detach-interface", NAME, "network", "--mac", MAC2, "--live")
        h.wait_until(lambda: MAC2 not in n.call("GetXMLDesc", 0), 30, 0.5, "the NIC to leave the live XML")
        tnet.assert_released(env, UUID, [ports[0][6]])
        assert n.xmls() == before
    finally:
        proxy.stop()


def test_aliases_stay_after_a_detach(env, nic):
    """Two NICs, the first detached, a third attached: the second keeps its
    alias (QEMU knows it by that name, and its netdev by host<alias>), the
    third takes the free one, and both detach cleanly."""
    n = nic
    before = n.xmls()

    def alias_of(mac):
        live = n.call("GetXMLDesc", 0)
        return re.search(re.escape(mac) + r".*?<alias name='([^']+)'/>", live, re.S).group(1)

    def detach(mac):
        n.call("DetachDevice", nic_xml(mac), LIVE)
        h.wait_until(lambda: mac not in n.call("GetXMLDesc", 0), 30, 0.5, f"{mac} to leave the live XML")

    n.call("AttachDevice", nic_xml(MAC1), LIVE)
    n.call("AttachDevice", nic_xml(MAC2), LIVE)
    assert (alias_of(MAC1), alias_of(MAC2)) == ("net0", "net1")
    h.wait_until(lambda: {MAC1, MAC2} <= set(n.guest_nics().values()), 30, 0.5, "both NICs in the guest")
    detach(MAC1)
    n.call("AttachDevice", nic_xml(MAC3), LIVE)
    assert (alias_of(MAC2), alias_of(MAC3)) == ("net1", "net0")
    assert {"net0", "net1"} <= n.query_pci_ids()
    h.wait_until(lambda: {MAC2, MAC3} <= set(n.guest_nics().values()), 30, 0.5, "both NICs in the guest")
    assert sorted(p[4] for p in env.owner_ports(UUID)) == [MAC2, MAC3]
    detach(MAC2)
    detach(MAC3)
    tnet.assert_released(env, UUID, [])
    assert n.xmls() == before
    assert not {"net0", "net1"} & n.query_pci_ids()


# --- bandwidth: Get/SetInterfaceParameters ------------------------------------

PARAMS = ("inbound.average", "inbound.peak", "inbound.burst", "inbound.floor",
          "outbound.average", "outbound.peak", "outbound.burst")


def tc_shaping(env, tap):
    """(rate of the htb class on the tap in kilobytes/s or None, the tap's
    ingress qdisc is there), as `tc` in networkd's namespace shows them."""
    # iproute2 6.1 prints htb classes as text even with -j
    text = env.net.in_ns("tc", "class", "show", "dev", tap).stdout
    m = re.search(r"class htb 1:1 .*?\brate (\d+)([KMG]?)bit", text)
    rate = None
    if m:
        bits = int(m.group(1)) * {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}[m.group(2)]
        rate = bits // 8 // 1000
    qdiscs = json.loads(env.net.in_ns("tc", "-j", "qdisc", "show", "dev", tap).stdout or "[]")
    return rate, any(q.get("kind") == "ingress" for q in qdiscs)


def params(n, device, flags):
    got = n.call("GetInterfaceParameters", device, flags)
    assert sorted(got) == sorted(PARAMS), got
    return {k: int(v) for k, v in got.items()}


def test_interface_bandwidth(env, nic):
    n = nic
    bw = "<bandwidth><inbound average='1000' peak='2000' burst='256'/><outbound average='500'/></bandwidth>"
    xml = nic_xml(MAC1).replace("</interface>", bw + "</interface>")
    n.call("AttachDevice", xml, LIVE | CONFIG)
    try:
        tap = tnet.target_devs(n.call("GetXMLDesc", 0))[0]
        # networkd shaped the tap from the start (AllocatePort's bandwidth)
        assert tc_shaping(env, tap) == (1000, True)
        want = dict.fromkeys(PARAMS, 0)
        want.update({"inbound.average": 1000, "inbound.peak": 2000, "inbound.burst": 256,
                     "outbound.average": 500})
        assert params(n, tap, LIVE) == want
        assert params(n, MAC1, CONFIG) == want
        assert params(n, tap, CONFIG) == want      # the tap's name finds the persistent one too

        # live and config: the tap gets the new rate, both definitions say so
        mark = env.net.mon.mark()
        n.call("SetInterfaceParameters", tap,
               {"inbound.average": dbus.UInt32(3000), "inbound.peak": dbus.UInt32(4000)}, LIVE | CONFIG)
        assert tc_shaping(env, tap) == (3000, True)
        want.update({"inbound.average": 3000, "inbound.peak": 4000})
        assert params(n, tap, LIVE) == want and params(n, MAC1, CONFIG) == want
        live, inactive = n.xmls()
        for x in (live, inactive):
            assert "<inbound average='3000' peak='4000' burst='256'/>" in x, x
        sig = env.net.mon.wait_signal("Tunable", path=n.path, since=mark, timeout=10)
        print(f"\nTunable: {sig.get('payload', {}).get('data')}")

        # config only: the tap keeps its rate
        n.call("SetInterfaceParameters", MAC1, {"outbound.average": dbus.UInt32(0)}, CONFIG)
        assert tc_shaping(env, tap) == (3000, True)
        assert params(n, MAC1, CONFIG)["outbound.average"] == 0
        assert params(n, tap, LIVE)["outbound.average"] == 500
        # live only: the outbound policing goes
        n.call("SetInterfaceParameters", tap, {"outbound.average": dbus.UInt32(0)}, LIVE)
        assert tc_shaping(env, tap) == (3000, False)

        # bad input: named errors, nothing changed
        before = n.xmls()
        with dbus_error("InvalidArg", "nosuchdev"):
            n.call("SetInterfaceParameters", "nosuchdev", {"inbound.average": dbus.UInt32(1)}, LIVE)
        with dbus_error("InvalidArg", "inbound.nosuch"):
            n.call("SetInterfaceParameters", tap, {"inbound.nosuch": dbus.UInt32(1)}, LIVE)
        with dbus_error("InvalidArg", "inbound.average", "'u'"):
            n.call("SetInterfaceParameters", tap, {"inbound.average": "fast"}, LIVE)
        with dbus_error("NotSupported", "floor"):
            n.call("SetInterfaceParameters", tap, {"inbound.floor": dbus.UInt32(100)}, LIVE)
        assert n.xmls() == before and tc_shaping(env, tap) == (3000, False)

        # virsh domiftune through the proxy
        proxy = h.Proxy(env.bus, env.root).start()
        try:
            proxy.virsh("domiftune", NAME, tap, "--inbound", "5000,6000,512", "--live")
            assert tc_shaping(env, tap) == (5000, False)
            out = proxy.virsh("domiftune", NAME, tap, "--live").stdout
            assert re.search(r"inbound\.average\s*:\s*5000", out) and re.search(r"inbound\.burst\s*:\s*512", out), out
            out = proxy.virsh("domiftune", NAME, MAC1, "--config").stdout
            assert re.search(r"inbound\.average\s*:\s*3000", out), out
            # an average of 0 removes the inbound limits
            proxy.virsh("domiftune", NAME, tap, "--inbound", "0", "--live")
            assert tc_shaping(env, tap) == (None, False)
            assert "<bandwidth>" not in n.call("GetXMLDesc", 0)
        finally:
            proxy.stop()
    finally:
        n.call("DetachDevice", nic_xml(MAC1), LIVE | CONFIG)
        h.wait_until(lambda: MAC1 not in n.call("GetXMLDesc", 0), 30, 0.5, "the NIC to leave the live XML")
        tnet.assert_released(env, UUID, [])


def test_bandwidth_at_start(env):
    """An interface defined with <bandwidth>: the start asks networkd for a
    port with it, the tap is shaped from the first moment (paused guest)."""
    name, uuid, mac = "bwvm", "6b1f0d33-6a0e-4c5e-9d6e-0000000000a2", "52:54:00:5b:00:09"
    bw = "<bandwidth><inbound average='2000'/><outbound average='700' burst='128'/></bandwidth>"
    xml = h.guest_domain_xml(env.guest, name, uuid=uuid, nic=None,
                             extra_devices=nic_xml(mac).replace("</interface>", bw + "</interface>"))
    path = env.qemud.call("DomainDefineXML", xml)
    try:
        env.dcall(path, "Create", 1)
        tap = tnet.target_devs(env.dcall(path, "GetXMLDesc", 0))[0]
        assert tc_shaping(env, tap) == (2000, True)
        got = {k: int(v) for k, v in env.dcall(path, "GetInterfaceParameters", tap, LIVE).items()}
        assert (got["inbound.average"], got["outbound.average"], got["outbound.burst"]) == (2000, 700, 128), got
    finally:
        if env.state(path)[0] != h.DomainState.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        tnet.assert_released(env, uuid, [])
        env.dcall(path, "Undefine", 0)


def test_generated_mac_same_in_both_definitions(env, nic):
    """LIVE and CONFIG without a MAC: one generated MAC in both definitions
    and on networkd's port; the detach by that MAC removes it from both."""
    n = nic
    before = n.xmls()
    n.call("AttachDevice", f"<interface type='network'><source network='{tnet.NET}'/>"
                           f"<model type='virtio'/></interface>", LIVE | CONFIG)
    live, inactive = n.xmls()
    macs = lambda x: re.findall(r"<mac address='([0-9a-f:]+)'/>", x)
    assert len(macs(live)) == 1 and macs(live) == macs(inactive), (live, inactive)
    mac = macs(live)[0]
    assert [p[4] for p in env.owner_ports(UUID)] == [mac]
    n.call("DetachDevice", nic_xml(mac), LIVE | CONFIG)
    h.wait_until(lambda: mac not in n.call("GetXMLDesc", 0), 30, 0.5, "the NIC to leave the live XML")
    assert n.xmls() == before
    tnet.assert_released(env, UUID, [])


def test_bridge_interface_hotplug(env, nic):
    """<interface type='bridge'> on a host bridge (made in networkd's
    namespace): the tap is plugged into it, and goes with the detach."""
    n = nic
    br = "vbhpbr0"
    env.net.in_ns("ip", "link", "add", br, "type", "bridge")
    try:
        env.net.in_ns("ip", "link", "set", br, "up")
        xml = (f"<interface type='bridge'><mac address='{MAC2}'/><source bridge='{br}'/>"
               f"<model type='virtio'/></interface>")
        n.call("AttachDevice", xml, LIVE)
        live = n.call("GetXMLDesc", 0)
        assert f"<source bridge='{br}'/>" in live
        tap = tnet.target_devs(live)[0]
        ports = env.owner_ports(UUID)
        assert [(p[1], p[4], p[6]) for p in ports] == [("", MAC2, tap)], ports
        tnet.assert_tap(env, tap, br, MAC2)
        h.wait_until(lambda: MAC2 in n.guest_nics().values(), 30, 0.5, "the NIC in the guest")
        n.call("DetachDevice", xml, LIVE)
        h.wait_until(lambda: MAC2 not in n.call("GetXMLDesc", 0), 30, 0.5, "the NIC to leave the live XML")
        tnet.assert_released(env, UUID, [tap])
        assert env.link(br) is not None            # the bridge is not networkd's to remove
    finally:
        env.net.in_ns("ip", "link", "del", br, check=False)
