# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-proxyd's org.libvirt: libvirt-dbus's API (reference/libvirt-dbus-api.md)
for desktop tools such as cockpit-machines, forwarded to qemud, storaged and
networkd on a private bus.

What is checked is what libvirt-dbus's clients see: paths below
/org/libvirt/QEMU whatever daemon owns the object, the merged
org.libvirt.Connect, signals sent by the owner of org.libvirt with its paths,
GetAll's double variants, and who may call what."""

import os
import shutil
import subprocess
import uuid as uuidlib

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import QemudEnv, READY  # noqa: F401

pytestmark = pytest.mark.timeout(240)

L = "org.libvirt"
Q = "/org/libvirt/QEMU"
CONNECT = "org.libvirt.Connect"
DOMAIN = "org.libvirt.Domain"
PROPS = "org.freedesktop.DBus.Properties"
STARTED, STOPPED = 2, 5


def wait_for_name(bus, proxy):
    def owned():
        if not proxy.alive():
            raise RuntimeError(f"virtbus-proxyd exited:\n{h.tail(proxy.log_path, 60)}")
        return bus.name_has_owner(L)
    h.wait_until(owned, 30, what="org.libvirt on the bus")


class DbusEnv(QemudEnv):
    def __init__(self, guest):
        super().__init__(guest)
        self.proxy = h.Proxy(self.bus, self.root).start()
        wait_for_name(self.bus, self.proxy)

    def register_logs(self):
        super().register_logs()
        h.register_log("virtbus-proxyd", self.proxy.log_path)

    def close(self):
        self.proxy.stop()
        return super().close()

    def lcall(self, path, interface, method, *args, signature=None, raw=False):
        """A call on org.libvirt, typed by signature (as cockpit passes it)."""
        return self.bus.call(L, path, interface, method, *args, signature=signature or "", raw=raw)

    def owner(self):
        return self.bus.conn.get_name_owner(L)


@pytest.fixture(scope="module")
def env(guest, request):
    e = DbusEnv(guest)
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def test_introspect_merged_connect(env):
    xml = env.lcall(Q, "org.freedesktop.DBus.Introspectable", "Introspect")
    for member in ("ListDomains", "DomainLookupByName", "ListStoragePools", "StoragePoolLookupByName",
                   "StorageVolLookupByPath", "DomainEvent", "StoragePoolEvent",
                   "LibVersion"):
        assert f'name="{member}"' in xml, member
    assert xml.count('name="org.libvirt.Connect"') == 1
    assert '<node name="storagepool"' in xml
    assert "ListNetworks" not in xml   # no networkd on this bus: merged from those that answer
    top = env.lcall("/org/libvirt", "org.freedesktop.DBus.Introspectable", "Introspect")
    assert '<node name="QEMU"/>' in top
    # what cockpit-machines reads first
    v = env.lcall(Q, PROPS, "Get", CONNECT, "LibVersion", signature="ss", raw=True)
    assert v.variant_level == 1 and int(v) > 0
    # outside libvirt-dbus's subtrees, as GDBus answers
    with h.expect_dbus_error("org.freedesktop.DBus.Error.UnknownMethod"):
        env.lcall("/org/libvirt/Nope", PROPS, "GetAll", CONNECT, signature="s")


def test_domain_through_org_libvirt(env):
    name = "ld1"
    mark = env.mon.mark()
    path = env.lcall(Q, CONNECT, "DomainDefineXML", env.guest_xml(name), signature="s")
    assert path.startswith(Q + "/domain/_") and len(path) == len(Q + "/domain/") + 37, path
    try:
        assert path in env.lcall(Q, CONNECT, "ListDomains", 0, signature="u")
        assert env.lcall(Q, CONNECT, "DomainLookupByName", name, signature="s") == path
        uuid = env.lcall(path, PROPS, "Get", DOMAIN, "UUID", signature="ss")
        assert env.lcall(Q, CONNECT, "DomainLookupByUUID", uuid, signature="s") == path
        assert f"<name>{name}</name>" in env.lcall(path, DOMAIN, "GetXMLDesc", 0, signature="u")
        # an object's introspection is its daemon's; dbus-python's typed call needs it
        assert 'name="org.libvirt.Domain"' in env.lcall(path, "org.freedesktop.DBus.Introspectable",
                                                         "Introspect")
        assert env.bus.call(L, path, DOMAIN, "GetState", 0)[0] == 5   # typed by introspection
        # the DEFINED event, re-emitted by org.libvirt's owner with our path
        sig = env.mon.wait_signal("DomainEvent", CONNECT, Q, args=[path, 0], since=mark,
                                  sender=env.owner(), timeout=30)
        assert sig["payload"]["data"][0] == path

        # GetAll: every value in two variants (cockpit's "GetAll quirk")
        props = env.lcall(path, PROPS, "GetAll", DOMAIN, signature="s", raw=True)
        assert props["Name"].variant_level == 2 and str(props["Name"]) == name
        assert bool(props["Persistent"]) is True and props["Autostart"].variant_level == 2
        # Get: one variant
        assert env.lcall(path, PROPS, "Get", DOMAIN, "Name", signature="ss", raw=True).variant_level == 1
        # Set Autostart goes through
        env.lcall(path, PROPS, "Set", DOMAIN, "Autostart", dbus.Boolean(True, variant_level=1),
                  signature="ssv")
        assert env.lcall(path, PROPS, "Get", DOMAIN, "Autostart", signature="ss") is True
        env.lcall(path, PROPS, "Set", DOMAIN, "Autostart", dbus.Boolean(False, variant_level=1),
                  signature="ssv")

        mark = env.mon.mark()
        env.lcall(path, DOMAIN, "Create", 0, signature="u")
        sig = env.mon.wait_signal("DomainEvent", CONNECT, Q, args=[path, STARTED], since=mark,
                                  sender=env.owner(), timeout=60)
        assert sig["path"] == Q
        # and the daemon's own signal is still its own
        env.mon.wait_signal("DomainEvent", CONNECT, "/org/virtbus/qemud",
                            args=lambda d: d[0].startswith("/org/virtbus/qemud/domain/") and d[1] == STARTED,
                            since=mark, timeout=10)
        assert env.lcall(path, DOMAIN, "GetState", 0, signature="u") == (1, 1)
        assert env.lcall(path, PROPS, "Get", DOMAIN, "Active", signature="ss") is True
        stats = env.lcall(path, DOMAIN, "GetStats", 1 | 8, 0, signature="uu", raw=True)
        assert stats["state.state"].variant_level == 2 and int(stats["state.state"]) == 1
        assert int(stats["vcpu.current"]) == 1

        mark = env.mon.mark()
        env.lcall(path, DOMAIN, "Destroy", 0, signature="u")
        env.mon.wait_signal("DomainEvent", CONNECT, Q, args=[path, STOPPED], since=mark,
                            sender=env.owner(), timeout=60)
        assert env.lcall(path, DOMAIN, "GetState", 0, signature="u")[0] == 5
    finally:
        env.lcall(path, DOMAIN, "Undefine", 0, signature="u")
    # gone: a method fails with the daemon's error, GetAll is an empty dict
    with h.expect_dbus_error("org.freedesktop.DBus.Error.UnknownObject") as e:
        env.lcall(path, DOMAIN, "GetXMLDesc", 0, signature="u")
    assert path in e.message, e.message   # the daemon's path written as ours
    assert env.lcall(path, PROPS, "GetAll", DOMAIN, signature="s") == {}


def test_errors_pass_through(env):
    """libvirt's errors are libvirt-dbus's org.libvirt.Error, with virError's
    message (its words for the code first), not virtbus's own names."""
    with h.expect_dbus_error("org.libvirt.Error") as e:
        env.lcall(Q, CONNECT, "DomainLookupByName", "nosuch", signature="s")
    assert e.message.startswith("Domain not found: ") and "nosuch" in e.message, e.message
    with h.expect_dbus_error("org.libvirt.Error") as e:
        env.lcall(Q, CONNECT, "DomainDefineXML", "<domain", signature="s")
    assert e.message.startswith("XML error: "), e.message
    # Connect methods no daemon has yet: the daemon's UnknownMethod...
    with h.expect_dbus_error("org.freedesktop.DBus.Error.UnknownMethod"):
        env.lcall(Q, CONNECT, "NodeDeviceCreateXML", "<device/>", 0, signature="su")
    # ...but for the lists of kinds nobody serves, which are empty (secrets
    # are secretd's: none defined here)
    for method in ("ListSecrets", "ListNodeDevices", "ListInterfaces", "ListNWFilters"):
        assert env.lcall(Q, CONNECT, method, 0, signature="u") == [], method


def test_storage_through_org_libvirt(env):
    target = env.root / "ldpool"
    pool_xml = f"<pool type='dir'><name>ldp</name><target><path>{target}</path></target></pool>"
    mark = env.mon.mark()
    pool = env.lcall(Q, CONNECT, "StoragePoolCreateXML", pool_xml, 1, signature="su")
    assert pool.startswith(Q + "/storagepool/_"), pool
    try:
        env.mon.wait_signal("StoragePoolEvent", CONNECT, Q, args=[pool, 2], since=mark,
                            sender=env.owner(), timeout=30)
        assert pool in env.lcall(Q, CONNECT, "ListStoragePools", 0, signature="u")
        assert env.lcall(Q, CONNECT, "StoragePoolLookupByName", "ldp", signature="s") == pool
        props = env.lcall(pool, PROPS, "GetAll", "org.libvirt.StoragePool", signature="s", raw=True)
        assert str(props["Name"]) == "ldp" and props["Active"].variant_level == 2
        vol = env.lcall(pool, "org.libvirt.StoragePool", "StorageVolCreateXML",
                        "<volume><name>v.img</name><capacity>1048576</capacity></volume>", 0, signature="su")
        assert vol == Q + "/storagevol/" + "".join(
            c if c.isalnum() else "_%02x" % ord(c) for c in f"{target}/v.img"), vol
        assert vol in env.lcall(pool, "org.libvirt.StoragePool", "ListStorageVolumes", 0, signature="u")
        assert env.lcall(Q, CONNECT, "StorageVolLookupByPath", f"{target}/v.img", signature="s") == vol
        assert "<name>v.img</name>" in env.lcall(vol, "org.libvirt.StorageVol", "GetXMLDesc", 0, signature="u")

        # fds pass through: upload a file, download it again
        src, back = env.root / "ld-src.bin", env.root / "ld-back.bin"
        data = os.urandom(65536) + b"\0" * 65536
        src.write_bytes(data)
        fd = os.open(src, os.O_RDONLY)
        try:
            n = env.lcall(vol, "org.virtbus.StorageVol1", "Upload", dbus.types.UnixFd(fd), 0, len(data), 0,
                          signature="httu")
        finally:
            os.close(fd)
        assert n == len(data)
        fd = os.open(back, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            env.lcall(vol, "org.virtbus.StorageVol1", "Download", dbus.types.UnixFd(fd), 0, len(data), 0,
                      signature="httu")
        finally:
            os.close(fd)
        assert back.read_bytes() == data
        env.lcall(vol, "org.libvirt.StorageVol", "Delete", 0, signature="u")
        # a signal of the object itself, on our path
        mark = env.mon.mark()
        env.lcall(pool, "org.libvirt.StoragePool", "Refresh", 0, signature="u")
        env.mon.wait_signal("Refresh", "org.libvirt.StoragePool", pool, since=mark, sender=env.owner(),
                            timeout=30)
    finally:
        mark = env.mon.mark()
        env.lcall(pool, "org.libvirt.StoragePool", "Destroy")
    env.mon.wait_signal("StoragePoolEvent", CONNECT, Q, args=[pool, 3], since=mark,
                        sender=env.owner(), timeout=30)


def test_other_users_read_only(env):
    name = "ldro"
    path = env.lcall(Q, CONNECT, "DomainDefineXML", env.guest_xml(name), signature="s")
    try:
        r = env.bus.call_as("nobody", L, Q, CONNECT, "ListDomains", "u", 0)
        assert r.returncode == 0 and path in r.stdout, r.stderr
        r = env.bus.call_as("nobody", L, Q, CONNECT, "DomainLookupByName", "s", name)
        assert r.returncode == 0 and path in r.stdout, r.stderr
        r = env.bus.call_as("nobody", L, path, DOMAIN, "GetXMLDesc", "u", 0)
        assert r.returncode == 0 and f"<name>{name}</name>" in r.stdout, r.stderr
        r = env.bus.call_as("nobody", L, path, PROPS, "GetAll", "s", DOMAIN)
        assert r.returncode == 0 and "Persistent" in r.stdout, r.stderr
        # refused: what changes, and the passwords (the policy lets GetXMLDesc
        # through; the proxy refuses the flag, as the daemon would)
        for args in ((path, DOMAIN, "Create", "u", 0), (path, DOMAIN, "Undefine", "u", 0),
                     (Q, CONNECT, "DomainDefineXML", "s", "<domain/>"),
                     (path, PROPS, "Set", "ssv", DOMAIN, "Autostart", "b", "true")):
            r = env.bus.call_as("nobody", L, *args)
            assert r.returncode != 0 and r.denied, (args, r.stdout, r.stderr)
        r = env.bus.call_as("nobody", L, path, DOMAIN, "GetXMLDesc", "u", 1)
        assert r.returncode != 0 and "root only" in r.stderr, r.stderr
        assert env.lcall(path, PROPS, "Get", DOMAIN, "Autostart", signature="ss") is False
    finally:
        env.lcall(path, DOMAIN, "Undefine", 0, signature="u")


def test_name_taken_rpc_still_served(env):
    """A second proxy on the same bus cannot have org.libvirt: it says so and
    serves libvirt's socket all the same; the first keeps the name."""
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    owner = env.owner()
    root2 = env.root / "second"
    (root2 / "test-logs").mkdir(parents=True)
    p2 = h.Proxy(env.bus, root2).start()
    try:
        h.wait_until(lambda: "Cannot own org.libvirt" in p2.log_path.read_text(), 20,
                     what="the second proxy's word on org.libvirt")
        assert p2.alive()
        r = p2.virsh("list", "--all")
        assert r.returncode == 0
        assert env.owner() == owner
        assert env.lcall(Q, CONNECT, "ListDomains", 0, signature="u") is not None
    finally:
        p2.stop()


# ---------------------------------------------------------------------------
# networks: networkd in a namespace of the test's own, on its own bus

@pytest.fixture(scope="module")
def netenv():
    from test_networkd_common import NetworkdEnv
    e = NetworkdEnv()
    try:
        e.proxy = h.Proxy(e.bus, e.root).start()
        h.register_log("virtbus-proxyd (networks)", e.proxy.log_path)
        wait_for_name(e.bus, e.proxy)
        yield e
    finally:
        if getattr(e, "proxy", None):
            e.proxy.stop()
        e.close()


def test_network_through_org_libvirt(netenv):
    from test_networkd_common import nat_xml
    bus = netenv.bus

    def lcall(path, iface, method, *args, signature="", raw=False):
        return bus.call(L, path, iface, method, *args, signature=signature, raw=raw)

    # the three daemons' parts of the merged Connect (qemud and storaged activated)
    xml = lcall(Q, "org.freedesktop.DBus.Introspectable", "Introspect")
    for member in ("ListNetworks", "NetworkEvent", "ListDomains", "ListStoragePools"):
        assert f'name="{member}"' in xml, member
    assert '<node name="network"' in xml
    mark = netenv.mon.mark()
    net = lcall(Q, CONNECT, "NetworkDefineXML", nat_xml("ldn", subnet="192.168.233", bridge="vbld1"),
                signature="s")
    assert net.startswith(Q + "/network/_"), net
    owner = bus.conn.get_name_owner(L)
    try:
        netenv.mon.wait_signal("NetworkEvent", CONNECT, Q, args=[net, 0], since=mark, sender=owner, timeout=30)
        assert net in lcall(Q, CONNECT, "ListNetworks", 0, signature="u")
        assert lcall(Q, CONNECT, "NetworkLookupByName", "ldn", signature="s") == net
        props = lcall(net, PROPS, "GetAll", "org.libvirt.Network", signature="s", raw=True)
        assert str(props["Name"]) == "ldn" and props["Active"].variant_level == 2 and not bool(props["Active"])
        mark = netenv.mon.mark()
        lcall(net, "org.libvirt.Network", "Create")
        netenv.mon.wait_signal("NetworkEvent", CONNECT, Q, args=[net, 2], since=mark, sender=owner, timeout=30)
        assert "<name>ldn</name>" in lcall(net, "org.libvirt.Network", "GetXMLDesc", 0, signature="u")
        r = bus.call_as("nobody", L, net, "org.libvirt.Network", "Destroy")
        assert r.returncode != 0 and r.denied, r.stderr
        lcall(net, "org.libvirt.Network", "Destroy")
    finally:
        lcall(net, "org.libvirt.Network", "Undefine")


def test_cockpit_machines_calls(env):
    """What Debian 12's cockpit-machines (288) calls, in its order, with its
    signatures: the start, its domainGet() chain (a failure anywhere in it
    hides the VM), the usage polling and the lifecycle buttons."""
    import re
    v = env.lcall(Q, PROPS, "Get", CONNECT, "LibVersion", signature="ss", raw=True)
    assert v.variant_level == 1
    path = env.lcall(Q, CONNECT, "DomainDefineXML", env.guest_xml("cm1"), signature="s")
    try:
        assert path in env.lcall(Q, CONNECT, "ListDomains", 0, signature="u")
        env.lcall(Q, CONNECT, "ListStoragePools", 0, signature="u")
        # getApiData(): each failure would be in cockpit's error banner
        assert env.lcall(Q, CONNECT, "ListInterfaces", 3, signature="u") == []
        assert env.lcall(Q, CONNECT, "ListNodeDevices", 0, signature="u") == []
        mem = env.lcall(Q, CONNECT, "NodeGetMemoryStats", -1, 0, signature="iu")
        with open("/proc/meminfo") as f:
            total = int(f.readline().split()[1])
        assert mem["total"] == total and 0 < mem["free"] <= total, mem
        with h.expect_dbus_error("org.libvirt.Error") as e:
            env.lcall(Q, CONNECT, "NodeGetMemoryStats", -1, 1 << 20, signature="iu")
        assert e.message.startswith("invalid argument: "), e.message
        # domainGet()
        xml = env.lcall(path, DOMAIN, "GetXMLDesc", 1, signature="u")
        env.lcall(path, DOMAIN, "GetXMLDesc", 1 | 2, signature="u")
        assert env.lcall(path, DOMAIN, "GetState", 0, signature="u")[0] == 5
        props = env.lcall(path, PROPS, "GetAll", DOMAIN, signature="s", raw=True)
        for k in ("Name", "Persistent", "Autostart"):
            assert props[k].variant_level == 2, k
        m = re.search(r"<type arch='([^']+)' machine='([^']+)'", xml)
        assert m, xml
        caps = env.lcall(Q, CONNECT, "GetDomainCapabilities", "", m.group(1), m.group(2), "", 0,
                         signature="ssssu")
        assert "<domainCapabilities" in caps
        # snapshots: cockpit lists them (none yet)
        assert list(env.lcall(path, DOMAIN, "ListDomainSnapshots", 0, signature="u")) == []
        env.lcall(path, DOMAIN, "Create", 0, signature="u")
        # usage polling: BALLOON | VCPU | BLOCK | STATE
        stats = env.lcall(path, DOMAIN, "GetStats", 45, 0, signature="uu", raw=True)
        assert all(val.variant_level == 2 for val in stats.values()), stats
        env.lcall(path, DOMAIN, "Destroy", 0, signature="u")
    finally:
        env.lcall(path, DOMAIN, "Undefine", 0, signature="u")


def test_lxc_root_once_lxcd_exists(vroot):
    """With org.virtbus.lxcd activatable (a stand-in that never runs), the
    proxy serves /org/libvirt/LXC too: storage and networks are the same
    daemons' under both roots, each root with its own paths and signals;
    LXC's domains are lxcd's, whose error passes through."""
    bus = h.TestBus(vroot).start()
    mon = h.BusMonitor(bus).start()
    proxy = None
    try:
        bus.install_service("org.virtbus.lxcd", ["/bin/false"])
        proxy = h.Proxy(bus, vroot).start()
        wait_for_name(bus, proxy)
        h.wait_until(lambda: '"LXC"' in bus.call(L, "/org/libvirt", "org.freedesktop.DBus.Introspectable",
                                                 "Introspect", signature=""), 20, what="/org/libvirt/LXC")
        lxc = "/org/libvirt/LXC"
        target = vroot / "lxcpool"
        mark = mon.mark()
        pool = bus.call(L, lxc, CONNECT, "StoragePoolCreateXML",
                        f"<pool type='dir'><name>lxp</name><target><path>{target}</path></target></pool>", 1,
                        signature="su")
        assert pool.startswith(lxc + "/storagepool/_"), pool
        same = Q + pool[len(lxc):]
        assert bus.call(L, Q, CONNECT, "StoragePoolLookupByName", "lxp", signature="s") == same
        owner = bus.conn.get_name_owner(L)
        mon.wait_signal("StoragePoolEvent", CONNECT, lxc, args=[pool, 2], since=mark, sender=owner, timeout=30)
        mon.wait_signal("StoragePoolEvent", CONNECT, Q, args=[same, 2], since=mark, sender=owner, timeout=30)
        with pytest.raises(dbus.exceptions.DBusException) as e:
            bus.call(L, lxc, CONNECT, "ListDomains", 0, signature="u")
        assert e.value.get_dbus_name().startswith("org.freedesktop.DBus.Error."), e.value
        bus.call(L, pool, "org.libvirt.StoragePool", "Destroy", signature="")
    finally:
        if proxy:
            proxy.stop()
        mon.stop()
        bus.stop()


def test_signals_only_from_the_daemons(env):
    """A signal sent to the proxy directly (a unicast signal needs no match
    rule) by another process, on a daemon's path, is not emitted again under
    org.libvirt: only the daemons' own are."""
    owner = env.owner()
    fake = "/org/virtbus/qemud/domain/_00000000_0000_0000_0000_00000000beef"
    mark = env.mon.mark()
    for user in ("nobody", None):
        r = env.bus.busctl("emit", f"--destination={owner}", "/org/virtbus/qemud", CONNECT, "DomainEvent",
                           "oii", fake, 2, 0, user=user)
        assert r.returncode == 0, r.stderr
    env.mon.wait_signal("DomainEvent", CONNECT, "/org/virtbus/qemud", args=[fake], since=mark, timeout=10)
    # a round trip through the proxy: it has read both by now
    env.lcall(Q, CONNECT, "ListDomains", 0, signature="u")
    import time
    time.sleep(0.5)
    assert not env.mon.signals("DomainEvent", CONNECT, Q, since=mark, sender=owner), \
        env.mon.signals("DomainEvent", CONNECT, Q, since=mark)


def test_idle_exit_waits_for_org_libvirt_callers(env):
    """With --timeout, calls through org.libvirt keep the proxy running as
    libvirt's clients do; once they stop it exits and the name is free."""
    import time
    env.proxy.stop()
    try:
        env.proxy.start(args=["--timeout", "1"])
        wait_for_name(env.bus, env.proxy)
        end = time.monotonic() + 3.5
        while time.monotonic() < end:
            env.lcall(Q, CONNECT, "ListDomains", 0, signature="u")
            time.sleep(0.3)
        assert env.proxy.alive(), "exited while org.libvirt was being called"
        assert env.proxy.proc.wait(timeout=15) == 0
        h.wait_until(lambda: not env.bus.name_has_owner(L), 10, what="org.libvirt released")
    finally:
        if not env.proxy.alive():
            env.proxy.start()
            wait_for_name(env.bus, env.proxy)
