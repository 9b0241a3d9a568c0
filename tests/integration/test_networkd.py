# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-networkd in a network namespace of its own: nat with DHCP (a
client in another namespace gets a lease, shows in GetDHCPLeases and pings
the bridge), isolated/route/open firewall rules and isolation, Update of
DHCP and DNS hosts live and config, transient networks, the XML against
network.rng, bad input, and what other users may call."""

import re
import time
import uuid as uuidlib

import dbus
import pytest

import virtbus_harness as h
from virtbus_harness import expect_dbus_error, wait_until
from test_networkd_common import (AFFECT_CONFIG, AFFECT_LIVE, CMD_ADD_LAST, CMD_DELETE, CMD_MODIFY,  # noqa: F401
                                  EV_DEFINED, EV_STARTED, EV_STOPPED, EV_UNDEFINED, ROOT_PATH,
                                  SEC_DNS_HOST, SEC_IP_DHCP_HOST, SEC_IP_DHCP_RANGE, module_env, nat_xml,
                                  schema_check)

env, env_logs = module_env()

ERR = "org.virtbus.Error."


def events(env, path, since):
    return [m["payload"]["data"][1] for m in env.mon.signals("NetworkEvent", "org.libvirt.Connect", ROOT_PATH,
                                                              since=since)
            if m["payload"]["data"][0] == path]


def test_nat_network_dhcp_lease_and_ping(env):
    mark = env.mon.mark()
    xml = nat_xml("nat1", "192.168.100", extra="<domain name='vb.test'/>",
                  dhcp_extra="<host mac='52:54:00:10:00:07' name='web' ip='192.168.100.7'/>")
    path = env.define(xml)
    try:
        wait_until(lambda: events(env, path, mark) == [EV_DEFINED, EV_STARTED], 10, what="events")
        assert env.prop(path, "Active") is True
        assert env.prop(path, "Persistent") is True
        bridge = env.prop(path, "BridgeName")
        assert re.fullmatch(r"virbr\d+", bridge)
        assert env.call("NetworkLookupByName", "nat1") == path
        assert path in env.call("ListNetworks", 2)          # ACTIVE
        assert path not in env.call("ListNetworks", 1)      # INACTIVE

        # bridge and address made through netlink, dnsmasq, the firewall
        out = env.in_ns("ip", "-4", "addr", "show", "dev", bridge).stdout
        assert "192.168.100.1/24" in out
        assert env.dnsmasq_pid("nat1")
        nft = env.nft().stdout
        assert f'oifname "{bridge}" ip daddr 192.168.100.0/24 ct state established,related accept' in nft
        assert "masquerade" in nft

        for x in (env.xml(path), env.xml(path, inactive=True)):
            ok, out = schema_check(x, env.root)
            assert ok, out
            assert f"<bridge name='{bridge}'/>" in x and "<mac address='52:54:00:" in x

        # a guest stand-in: the static host entry gives it .7
        c = env.client("nat1", "52:54:00:10:00:07")
        assert c.dhcp() == "192.168.100.7"
        assert c.ping("192.168.100.1")
        leases = env.net_call(path, "GetDHCPLeases", "", 0)
        assert [(l[0], l[2], l[3], l[5], l[6], l[7]) for l in leases] == \
            [(bridge, 0, "52:54:00:10:00:07", "192.168.100.7", 24, "web")]
        assert leases[0][1] > time.time()
        assert env.net_call(path, "GetDHCPLeases", "52:54:00:99:99:99", 0) == []
        # a dynamic lease from the range
        d = env.client("nat1", "52:54:00:10:00:08")
        ip = d.dhcp()
        assert ip and 100 <= int(ip.split(".")[-1]) <= 199
        assert d.ping("192.168.100.1")
        assert len(env.net_call(path, "GetDHCPLeases", "", 0)) == 2
        # the live XML counts the ports
        assert "connections='2'" in env.xml(path)

        mark = env.mon.mark()
        env.net_call(path, "Destroy")
        wait_until(lambda: events(env, path, mark) == [EV_STOPPED], 10, what="STOPPED")
        assert not env.link_exists(bridge)
        assert env.dnsmasq_pid("nat1") is None
        assert env.prop(path, "Active") is False
    finally:
        env.remove(path)


def test_isolated_route_open_rules_and_isolation(env):
    iso = env.define(nat_xml("iso", "10.20.1", forward=None))
    ra = env.define(nat_xml("routea", "10.20.2", forward="route"))
    rb = env.define(nat_xml("routeb", "10.20.3", forward="route"))
    op = env.define(nat_xml("open", "10.20.4", forward="open"))
    try:
        b = {n: env.prop(p, "BridgeName") for n, p in (("iso", iso), ("ra", ra), ("rb", rb), ("op", op))}
        nft = env.nft().stdout
        assert f'oifname "{b["iso"]}" reject' in nft and f'iifname "{b["iso"]}" reject' in nft
        assert f'oifname "{b["ra"]}" ip daddr 10.20.2.0/24 accept' in nft
        assert f'iifname "{b["ra"]}" ip saddr 10.20.2.0/24 accept' in nft
        assert "masquerade" not in nft
        assert b["op"] not in nft           # open: no rule at all
        for p in (iso, ra, rb, op):
            assert schema_check(env.xml(p), env.root)[0]

        ci, ca, cb = (env.client(n, f"52:54:00:20:00:0{i}") for i, n in
                      enumerate(("iso", "routea", "routeb"), 1))
        addrs = [c.dhcp() for c in (ci, ca, cb)]
        assert all(addrs), addrs
        # routed networks reach each other through the host
        assert ca.ping(addrs[2])
        # the isolated one reaches its bridge and nothing beyond it
        assert ci.ping("10.20.1.1")
        assert not ci.ping(addrs[1], timeout=1)
        assert not ca.ping(addrs[0], timeout=1)
    finally:
        for p in (iso, ra, rb, op):
            env.remove(p)
    # with no network left, the table is gone
    assert env.nft().returncode != 0


def test_update_dhcp_and_dns_hosts_live_and_config(env):
    path = env.define(nat_xml("upd", "192.168.101"))
    try:
        host = "<host mac='52:54:00:30:00:01' name='alpha' ip='192.168.101.50'/>"
        env.net_call(path, "Update", CMD_ADD_LAST, SEC_IP_DHCP_HOST, -1, host, AFFECT_LIVE | AFFECT_CONFIG)
        for x in (env.xml(path), env.xml(path, inactive=True)):
            assert "<host mac='52:54:00:30:00:01' name='alpha' ip='192.168.101.50'/>" in x
        c = env.client("upd", "52:54:00:30:00:01")
        assert c.dhcp() == "192.168.101.50"

        # a duplicate is refused, and nothing changes
        with expect_dbus_error(ERR + "OperationInvalid") as e:
            env.net_call(path, "Update", CMD_ADD_LAST, SEC_IP_DHCP_HOST, -1, host, AFFECT_LIVE)
        assert "52:54:00:30:00:01" in e.message

        # modify, live only: the config keeps .50
        moved = "<host mac='52:54:00:30:00:01' name='alpha' ip='192.168.101.51'/>"
        env.net_call(path, "Update", CMD_MODIFY, SEC_IP_DHCP_HOST, -1, moved, AFFECT_LIVE)
        assert "192.168.101.51" in env.xml(path) and "192.168.101.51" not in env.xml(path, inactive=True)
        c.flush()
        assert c.dhcp() == "192.168.101.51"

        env.net_call(path, "Update", CMD_DELETE, SEC_IP_DHCP_HOST, -1, moved, AFFECT_LIVE)
        env.net_call(path, "Update", CMD_DELETE, SEC_IP_DHCP_HOST, -1, host, AFFECT_CONFIG)
        assert "alpha" not in env.xml(path) and "alpha" not in env.xml(path, inactive=True)

        # DNS host, live: dnsmasq answers it (nslookup from the client)
        dns = "<host ip='192.168.101.9'><hostname>db</hostname></host>"
        env.net_call(path, "Update", CMD_ADD_LAST, SEC_DNS_HOST, -1, dns, AFFECT_LIVE | AFFECT_CONFIG)
        assert "<hostname>db</hostname>" in env.xml(path, inactive=True)
        r = h.subprocess.run(["ip", "netns", "exec", c.ns, "busybox", "nslookup", "db", "192.168.101.1"],
                             capture_output=True, text=True, timeout=20)
        assert "192.168.101.9" in r.stdout, r.stdout + r.stderr

        # a new range, live: dnsmasq restarts with it
        pid = env.dnsmasq_pid("upd")
        env.net_call(path, "Update", CMD_ADD_LAST, SEC_IP_DHCP_RANGE, -1,
                     "<range start='192.168.101.210' end='192.168.101.220'/>", AFFECT_LIVE)
        wait_until(lambda: env.dnsmasq_pid("upd") not in (None, pid), 10, what="dnsmasq restarted")
        assert "192.168.101.210" in env.xml(path)
        # a range outside the subnet: InvalidArg naming it, nothing touched
        new_pid = env.dnsmasq_pid("upd")
        with expect_dbus_error(ERR + "InvalidArg") as e:
            env.net_call(path, "Update", CMD_ADD_LAST, SEC_IP_DHCP_RANGE, -1,
                         "<range start='10.9.9.10' end='10.9.9.20'/>", AFFECT_LIVE)
        assert "10.9.9.10" in e.message
        assert env.dnsmasq_pid("upd") == new_pid
        ok, out = schema_check(env.xml(path), env.root)
        assert ok, out
    finally:
        env.remove(path)


def test_transient_network_and_autostart(env):
    mark = env.mon.mark()
    path = env.call("NetworkCreateXML", nat_xml("trans", "192.168.102"))
    assert env.prop(path, "Persistent") is False and env.prop(path, "Active") is True
    with expect_dbus_error(ERR + "OperationInvalid"):
        env.bus.call("org.virtbus.networkd", path, "org.freedesktop.DBus.Properties", "Set",
                     "org.libvirt.Network", "Autostart", dbus.Boolean(True, variant_level=1))
    env.net_call(path, "Destroy")
    wait_until(lambda: events(env, path, mark) == [EV_STARTED, EV_STOPPED], 10, what="events")
    with expect_dbus_error(ERR + "NoNetwork"):
        env.call("NetworkLookupByName", "trans")

    path = env.define(nat_xml("auto", "192.168.103"), start=False)
    try:
        env.bus.call("org.virtbus.networkd", path, "org.freedesktop.DBus.Properties", "Set",
                     "org.libvirt.Network", "Autostart", dbus.Boolean(True, variant_level=1))
        assert env.prop(path, "Autostart") is True
        assert (env.root / "etc/virtbus/network/autostart/auto.xml").is_symlink()
        assert path in env.call("ListNetworks", 16)     # AUTOSTART
    finally:
        env.remove(path)
    assert not (env.root / "etc/virtbus/network/autostart/auto.xml").exists()


def test_bad_input(env):
    path = env.define(nat_xml("good", "192.168.104"))
    try:
        bridge = env.prop(path, "BridgeName")
        pid = env.dnsmasq_pid("good")
        nft = env.nft().stdout

        def refused(err, xml, *words, start=True):
            with expect_dbus_error(ERR + err) as e:
                if start:
                    env.call("NetworkCreateXML", xml)
                else:
                    env.call("NetworkDefineXML", xml)
            for w in words:
                assert w in e.message, e.message

        refused("ResourceBusy", nat_xml("clash", "192.168.104"), "192.168.104.0/24", "good")
        refused("ResourceBusy", nat_xml("samebr", "192.168.105", bridge=bridge), bridge)
        env.in_ns("ip", "link", "add", "vbthost0", "type", "veth", "peer", "name", "vbthost1")
        refused("ResourceBusy", nat_xml("hostbr", "192.168.106", bridge="vbthost0"), "vbthost0")
        env.in_ns("ip", "link", "del", "vbthost0")
        refused("InvalidArg", nat_xml("range", "192.168.107").replace(
            "192.168.107.199'", "192.168.108.10'"), "192.168.107.100", "192.168.108.10")
        refused("NotSupported", nat_xml("fwd", "192.168.109", forward="teleport"), "teleport", start=False)
        refused("NotSupported", nat_xml("vepa", "192.168.109", forward="vepa"), "vepa", start=False)
        refused("InvalidMAC", nat_xml("mac", "192.168.110", dhcp_extra=(
            "<host mac='52:54:00:zz:00:01' ip='192.168.110.5'/>")), "52:54:00:zz:00:01", start=False)
        refused("XMLError", "<network><name>x</name>", start=False)
        with expect_dbus_error(ERR + "InvalidMAC") as e:
            env.allocate_tap("good", "not-a-mac")
        assert "not-a-mac" in e.message
        with expect_dbus_error(ERR + "NoNetwork"):
            env.allocate_tap("nosuch", "52:54:00:00:00:01")
        with expect_dbus_error(ERR + "InvalidArg") as e:
            env.allocate_tap("good", "52:54:00:00:00:01", color="blue")
        assert "color" in e.message
        with expect_dbus_error(ERR + "OperationInvalid"):
            env.net_call(path, "Create")

        # nothing that runs was touched
        assert env.prop(path, "Active") is True
        assert env.dnsmasq_pid("good") == pid
        assert env.nft().stdout == nft
        assert env.link_exists(bridge)
        names = [env.bus.get_property("org.virtbus.networkd", p, "org.libvirt.Network", "Name")
                 for p in env.call("ListNetworks", 0)]
        assert names == ["good"]
    finally:
        env.remove(path)


def test_non_root_may_only_read(env):
    path = env.define(nat_xml("ro", "192.168.111"))
    try:
        for m, sig, args in (("ListNetworks", "u", [0]), ("NetworkLookupByName", "s", ["ro"])):
            r = env.daemon.call_as("nobody", m, sig, *args)
            assert r.returncode == 0, r.stderr
        r = env.bus.call_as("nobody", "org.virtbus.networkd", path, "org.libvirt.Network", "GetXMLDesc", "u", 0)
        assert r.returncode == 0 and "<name>ro</name>" in r.stdout
        r = env.daemon.call_as("nobody", "ListPorts", "s", "", interface="org.virtbus.NetworkPort1")
        assert r.returncode == 0, r.stderr
        for iface, p, m, sig, args in (
                ("org.libvirt.Connect", ROOT_PATH, "NetworkDefineXML", "s", [nat_xml("x", "10.99.0")]),
                ("org.libvirt.Network", path, "Destroy", "", []),
                ("org.libvirt.Network", path, "Undefine", "", []),
                ("org.virtbus.NetworkPort1", ROOT_PATH, "AllocateVethPort", "ssssa{sv}",
                 ["ro", str(uuidlib.uuid4()), "52:54:00:00:00:01", "", 0]),
                ("org.virtbus.NetworkPort1", ROOT_PATH, "ReleaseOwner", "s", [str(uuidlib.uuid4())])):
            r = env.bus.call_as("nobody", "org.virtbus.networkd", p, iface, m, sig, *args)
            assert r.denied, (m, r.stderr)
        assert env.prop(path, "Active") is True
    finally:
        env.remove(path)
