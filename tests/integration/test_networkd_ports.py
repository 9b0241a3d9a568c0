# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-networkd's ports (org.virtbus.NetworkPort1), in a network
namespace of its own: taps and veths allocated and released, a tap released
by itself when its last fd closes, bandwidth (tc htb) and floors from
portgroups, VLANs with the bridge's VLAN filtering, a port's own MTU, and a
SIGKILL restart that keeps networks, dnsmasq, ports and firewall as they
were."""

import os
import signal
import uuid as uuidlib

import dbus
import pytest

from virtbus_harness import expect_dbus_error, unwrap, wait_until
from test_networkd_common import ROOT_PATH, kernel_has_vlan_filtering, module_env, nat_xml  # noqa: F401

env, env_logs = module_env()

ERR = "org.virtbus.Error."

QOS_EXTRA = """
  <bandwidth><inbound average='10000' peak='20000'/></bandwidth>
  <portgroup name='slow' default='yes'>
    <bandwidth>
      <inbound average='1000' peak='2000' burst='64'/>
      <outbound average='500' burst='32'/>
    </bandwidth>
  </portgroup>
  <portgroup name='gold'>
    <bandwidth><inbound floor='6000'/></bandwidth>
  </portgroup>
"""


def ports(env, network=""):
    return env.port_call("ListPorts", network)


def test_tap_allocate_release(env):
    path = env.define(nat_xml("taps", "192.168.120"))
    try:
        bridge = env.prop(path, "BridgeName")
        owner = str(uuidlib.uuid4())
        fd, ifname, port = env.allocate_tap("taps", "52:54:00:40:00:01", owner=owner,
                                            owner_name="vm1")
        try:
            assert os.readlink(f"/proc/self/fd/{fd}") == "/dev/net/tun"
            link = env.in_ns("ip", "-d", "link", "show", "dev", ifname).stdout
            assert f"master {bridge}" in link and "fe:54:00:40:00:01" in link and "tun" in link
            assert ports(env) == [(port, "taps", owner, "vm1", "52:54:00:40:00:01", "tap", ifname, "")]
            assert "connections='1'" in env.xml(path)
            # a named tap
            fd2, ifname2, port2 = env.allocate_tap("taps", "52:54:00:40:00:02", ifname="vbtest%d")
            assert ifname2.startswith("vbtest")
            assert env.port_call("ReleaseOwner", owner) == 1
            # the kernel deletes the link in the background (RCU grace periods)
            wait_until(lambda: not env.link_exists(ifname), 5, what=f"{ifname} deleted")
            env.port_call("ReleasePort", port2)
            wait_until(lambda: not env.link_exists(ifname2), 5, what=f"{ifname2} deleted")
            os.close(fd2)
            with expect_dbus_error(ERR + "InvalidArg"):
                env.port_call("ReleasePort", port2)
        finally:
            os.close(fd)

        # the last fd of a tap closes (QEMU exits): the port goes by itself
        fd, ifname, port = env.allocate_tap("taps", "52:54:00:40:00:03")
        assert env.link_exists(ifname)
        os.close(fd)
        wait_until(lambda: ports(env) == [], 10, what="the port to go")
        assert not env.link_exists(ifname)
        assert not (env.root / "run/virtbus/network/ports" / f"{port}.port").exists()
    finally:
        env.remove(path)


def link_mtu(env, ifname):
    return int(env.in_ns("cat", f"/sys/class/net/{ifname}/mtu").stdout)


def test_port_mtu(env):
    """Option 'mtu' (an interface's <mtu>) is the tap's MTU instead of the
    network's; kept across a SIGKILL restart and a restart of the network,
    which plugs the port back in. A value that is no MTU is refused."""
    path = env.define(nat_xml("mtu", "192.168.126", extra="<mtu size='9000'/>"))

    def allocate(mac, value):
        opts = dbus.Dictionary({"mtu": value}, signature="sv")
        return tuple(unwrap(x) for x in env.port_call("AllocatePort", "mtu", str(uuidlib.uuid4()), mac, "", opts))

    try:
        fd, ifname, port = allocate("52:54:00:40:01:01", dbus.UInt32(1400, variant_level=1))
        fd2, ifname2, _ = env.allocate_tap("mtu", "52:54:00:40:01:02")
        try:
            assert (link_mtu(env, ifname), link_mtu(env, ifname2)) == (1400, 9000)
            with expect_dbus_error(ERR + "InvalidArg"):
                allocate("52:54:00:40:01:03", dbus.UInt32(20, variant_level=1))
            with expect_dbus_error(ERR + "InvalidArg"):
                allocate("52:54:00:40:01:03", dbus.String("1400", variant_level=1))
            env.daemon.kill(signal.SIGKILL)
            env.daemon.start()
            env.net_call(path, "Destroy")
            env.net_call(path, "Create")
            assert port in [p[0] for p in ports(env)]
            assert f"master {env.prop(path, 'BridgeName')}" in env.in_ns("ip", "link", "show", "dev", ifname).stdout
            assert (link_mtu(env, ifname), link_mtu(env, ifname2)) == (1400, 9000)
        finally:
            os.close(fd)
            os.close(fd2)
    finally:
        env.remove(path)


def test_veth_names(env):
    """Unnamed veth ports are vnetN as libvirt names them, like the taps;
    a <target dev> name is kept."""
    path = env.define(nat_xml("veths", "192.168.126"))
    try:
        owner = str(uuidlib.uuid4())
        fd, tap, _ = env.allocate_tap("veths", "52:54:00:41:00:01", owner=owner)
        one, peer, _ = env.allocate_veth("veths", "52:54:00:41:00:02", owner=owner)
        two, _, _ = env.allocate_veth("veths", "52:54:00:41:00:03", owner=owner)
        named, _, _ = env.allocate_veth("veths", "52:54:00:41:00:04", owner=owner, ifname="vbnamed0")
        names = [tap, one, two]
        assert all(n.startswith("vnet") and n[4:].isdigit() for n in names), names
        assert len(set(names)) == 3 and named == "vbnamed0"
        assert peer.startswith("vbp") and env.link_exists(one) and env.link_exists(peer)
        assert env.port_call("ReleaseOwner", owner) == 4
        os.close(fd)
        for n in (tap, one, two, named):
            wait_until(lambda: not env.link_exists(n), 5, what=f"{n} deleted")
    finally:
        env.remove(path)


def test_bandwidth_and_floor(env):
    path = env.define(nat_xml("qos", "192.168.121", extra=QOS_EXTRA))
    try:
        bridge = env.prop(path, "BridgeName")
        # the network's own inbound average shapes the bridge, in classes
        classes = env.in_ns("tc", "class", "show", "dev", bridge).stdout
        assert "htb 1:1" in classes and "htb 1:2" in classes

        # the default portgroup 'slow': htb on the tap, the outbound side shaped too
        fd, ifname, port = env.allocate_tap("qos", "52:54:00:50:00:01")
        try:
            qd = env.in_ns("tc", "qdisc", "show", "dev", ifname).stdout
            assert "qdisc htb 1: root" in qd and "qdisc ingress ffff:" in qd
            cls = env.in_ns("tc", "class", "show", "dev", ifname).stdout
            assert "rate 8Mbit ceil 16Mbit" in cls, cls          # 1000 kB/s, 2000 kB/s
            assert ports(env, "qos")[0][7] == "slow"
            # outbound: policed, or shaped on an ifb where the kernel has no police action
            filters = env.in_ns("tc", "filter", "show", "dev", ifname, "ingress").stdout
            assert "police" in filters or "mirred" in filters, filters

            # 'gold' has a floor: a class of its own on the bridge, matched by MAC
            fd2, ifname2, port2 = env.allocate_tap("qos", "52:54:00:50:00:02", portgroup="gold")
            classes = env.in_ns("tc", "class", "show", "dev", bridge).stdout
            assert "htb 1:3" in classes and "rate 48Mbit" in classes, classes   # 6000 kB/s
            flt = env.in_ns("tc", "filter", "show", "dev", bridge).stdout
            assert "flowid 1:3" in flt
            # a second floor of 6000 does not fit in 10000: refused, naming it
            with expect_dbus_error(ERR + "OperationInvalid") as e:
                env.allocate_tap("qos", "52:54:00:50:00:03", portgroup="gold")
            assert "6000" in e.message and "10000" in e.message
            env.port_call("ReleasePort", port2)
            os.close(fd2)
            assert "htb 1:3" not in env.in_ns("tc", "class", "show", "dev", bridge).stdout
            # ... and now it fits
            fd3, _, port3 = env.allocate_tap("qos", "52:54:00:50:00:04", portgroup="gold")
            env.port_call("ReleasePort", port3)
            os.close(fd3)
            with expect_dbus_error(ERR + "InvalidArg") as e:
                env.allocate_tap("qos", "52:54:00:50:00:05", portgroup="platinum")
            assert "platinum" in e.message
        finally:
            env.port_call("ReleasePort", port)
            os.close(fd)
        # no ifb left behind
        wait_until(lambda: ": vbo" not in env.in_ns("ip", "-o", "link").stdout, 5, what="ifb deleted")
    finally:
        env.remove(path)


def test_vlan_portgroups(env):
    if not kernel_has_vlan_filtering(env.ns):
        pytest.skip("this kernel's bridge has no VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)")
    extra = """
  <portgroup name='prod' default='yes'><vlan><tag id='42'/></vlan></portgroup>
  <portgroup name='trunk'><vlan trunk='yes'><tag id='42'/><tag id='43' nativeMode='untagged'/></vlan></portgroup>
"""
    path = env.define(nat_xml("vlans", "192.168.122", extra=extra))
    try:
        bridge = env.prop(path, "BridgeName")
        assert "vlan_filtering 1" in env.in_ns("ip", "-d", "link", "show", "dev", bridge).stdout
        fd, ifname, port = env.allocate_tap("vlans", "52:54:00:60:00:01")
        fd2, ifname2, port2 = env.allocate_tap("vlans", "52:54:00:60:00:02", portgroup="trunk")
        access = env.in_ns("bridge", "vlan", "show", "dev", ifname).stdout
        trunk = env.in_ns("bridge", "vlan", "show", "dev", ifname2).stdout
        assert "42 PVID Egress Untagged" in access and " 1 " not in access, access
        assert "43 PVID Egress Untagged" in trunk and "42" in trunk, trunk
        for p, f in ((port, fd), (port2, fd2)):
            env.port_call("ReleasePort", p)
            os.close(f)
    finally:
        env.remove(path)


def test_vlan_refused_without_kernel_support(env):
    if kernel_has_vlan_filtering(env.ns):
        pytest.skip("this kernel's bridge filters VLANs")
    extra = "<portgroup name='prod' default='yes'><vlan><tag id='42'/></vlan></portgroup>"
    path = env.call("NetworkDefineXML", nat_xml("novlan", "192.168.123", extra=extra))
    try:
        with expect_dbus_error(ERR + "NotSupported") as e:
            env.net_call(path, "Create")
        assert "VLAN" in e.message
        assert env.prop(path, "Active") is False
    finally:
        env.remove(path)


def test_sigkill_restart_keeps_everything(env):
    path = env.define(nat_xml("keep", "192.168.124", extra=QOS_EXTRA))
    try:
        bridge = env.prop(path, "BridgeName")
        c = env.client("keep", "52:54:00:70:00:01")
        ip = c.dhcp()
        assert ip
        fd, ifname, port = env.allocate_tap("keep", "52:54:00:70:00:02", portgroup="gold")
        before = {
            "dnsmasq": env.dnsmasq_pid("keep"),
            "nft": env.nft().stdout,
            "links": env.in_ns("ip", "-o", "link", "show", "master", bridge).stdout,
            "classes": env.in_ns("tc", "class", "show", "dev", bridge).stdout,
            "ports": sorted(ports(env)),
            "xml": env.xml(path),
        }
        env.daemon.kill(signal.SIGKILL)
        # nothing went away while the daemon was gone
        assert env.dnsmasq_pid("keep") == before["dnsmasq"]
        assert c.ping("192.168.124.1")
        env.daemon.start()
        assert env.prop(path, "Active") is True
        assert env.dnsmasq_pid("keep") == before["dnsmasq"]
        assert env.nft().stdout == before["nft"]
        assert env.in_ns("ip", "-o", "link", "show", "master", bridge).stdout == before["links"]
        assert env.in_ns("tc", "class", "show", "dev", bridge).stdout == before["classes"]
        assert sorted(ports(env)) == before["ports"]
        assert env.xml(path) == before["xml"]
        assert env.net_call(path, "GetDHCPLeases", "52:54:00:70:00:01", 0)[0][5] == ip
        assert c.ping("192.168.124.1")
        # the floor bookkeeping came back too: a second gold port does not fit
        with expect_dbus_error(ERR + "OperationInvalid"):
            env.allocate_tap("keep", "52:54:00:70:00:03", portgroup="gold")
        # a tap whose fd closed while the daemon was away is released at start
        env.daemon.kill(signal.SIGKILL)
        os.close(fd)
        env.daemon.start()
        assert port not in [p[0] for p in ports(env)]
        assert "htb 1:3" not in env.in_ns("tc", "class", "show", "dev", bridge).stdout
        # and it still stops cleanly, dnsmasq included
        env.net_call(path, "Destroy")
        assert env.dnsmasq_pid("keep") is None
        assert not env.link_exists(bridge)
    finally:
        env.remove(path)
