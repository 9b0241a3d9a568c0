# SPDX-License-Identifier: LGPL-2.1-or-later
"""The QEMU guest agent in virtbus-qemud: the test guest runs Debian's qemu-ga
on its virtio port org.qemu.guest_agent.0 (tests/guest/build-guest.sh); qemud
talks to it over the <channel type='unix'> socket. One guest boots for the
whole module (TCG); a second one, without the channel, never needs to boot.

Over D-Bus: AgentEvent and the live XML's <target state='connected'/> when the
agent comes up, GetHostname, GetTime, SetTime, GetFSInfo, GetGuestVcpus,
SetGuestVcpus, FSFreeze/FSThaw, FSTrim, SetUserPassword, InterfaceAddresses
(agent, arp, lease), the errors of a guest without a channel and of a bad
argument, and last Shutdown with the GUEST_AGENT flag powering the guest off.
Through the proxy: virsh domhostname, domtime, domifaddr --source agent,
domfsfreeze/domfsthaw, and python-libvirt's calls."""

import re
import subprocess
import time

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import BOOT_TIMEOUT, module_env
from virtbus_harness import DomainState as S

env = module_env()

AGENT_CHANNEL = """    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>"""
AGENT_MARK = "VIRTBUS-GUEST-AGENT "
SHUTDOWN_GUEST_AGENT = 2
IFADDR_LEASE, IFADDR_AGENT, IFADDR_ARP = 0, 1, 2
AGENT_CONNECTED, AGENT_DISCONNECTED, AGENT_REASON_CHANNEL = 1, 2, 2


def dbus_error(e):
    return (e.get_dbus_name(), e.get_dbus_message())


@pytest.fixture(scope="module")
def agent_guest(env, guest):
    """The test guest with the agent channel, booted, its agent connected."""
    if not guest.agent:
        pytest.skip("the test guest was built without qemu-guest-agent "
                    "(build-guest.sh could not fetch it)")
    since = env.mark()
    g = env.define("agentvm", extra_devices=AGENT_CHANNEL, nic="user",
                   extra_cmdline="virtbus.nodhcp")
    g.start()
    g.wait_marker(AGENT_MARK, timeout=BOOT_TIMEOUT)
    g.agent_event_since = since
    env.mon.wait_signal("AgentEvent", "org.libvirt.Domain", g.path,
                        [AGENT_CONNECTED, AGENT_REASON_CHANNEL], since=since, timeout=60)
    yield g
    g.ensure_shutoff()
    g.call("Undefine", 0)


@pytest.fixture(scope="module")
def plain_guest(env):
    """A guest without an agent channel (KVM is not needed: it never boots far)."""
    g = env.define("plainvm", nic=None)
    g.start()
    yield g
    g.ensure_shutoff()
    g.call("Undefine", 0)


def test_agent_connects(env, agent_guest):
    g = agent_guest
    # exactly one AgentEvent(connected, channel) since the start
    evs = env.mon.signals("AgentEvent", "org.libvirt.Domain", g.path, since=g.agent_event_since)
    assert [m["payload"]["data"] for m in evs] == [[AGENT_CONNECTED, AGENT_REASON_CHANNEL]]
    xml = g.call("GetXMLDesc", 0)
    m = re.search(r"<channel type='unix'>.*?</channel>", xml, re.S)
    assert m, xml
    assert "name='org.qemu.guest_agent.0'" in m.group(0)
    assert "state='connected'" in m.group(0)
    # the inactive definition has no live state
    assert "state=" not in re.search(r"<channel type='unix'>.*?</channel>",
                                     g.call("GetXMLDesc", 2), re.S).group(0)


def test_hostname_and_time(env, agent_guest):
    g = agent_guest
    assert g.call("GetHostname", 0) == "virtbus-guest"
    secs, nsecs = g.call("GetTime", 0)
    assert abs(int(secs) - time.time()) < 120
    assert 0 <= int(nsecs) < 10**9


def test_set_time(env, agent_guest):
    g = agent_guest
    target = int(time.time()) - 3600
    g.call("SetTime", dbus.UInt64(target), dbus.UInt32(0), dbus.UInt32(0))
    secs, _ = g.call("GetTime", 0)
    assert abs(int(secs) - target) < 60, (int(secs), target)
    # SYNC: back to the host's time
    g.call("SetTime", dbus.UInt64(0), dbus.UInt32(0), dbus.UInt32(1))
    secs, _ = g.call("GetTime", 0)
    assert abs(int(secs) - time.time()) < 60
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        g.call("SetTime", dbus.UInt64(1), dbus.UInt32(2 * 10**9), dbus.UInt32(0))
    assert ei.value.get_dbus_name() == "org.virtbus.Error.InvalidArg", dbus_error(ei.value)


def test_fs_freeze_thaw_trim_info(env, agent_guest):
    g = agent_guest
    # the initramfs is a rootfs qemu-ga skips: nothing to freeze, and no error
    frozen = g.call("FSFreeze", dbus.Array([], signature="s"), 0)
    thawed = g.call("FSThaw", dbus.Array([], signature="s"), 0)
    assert int(frozen) >= 0 and int(thawed) >= 0
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        g.call("FSThaw", ["/"], 0)
    assert ei.value.get_dbus_name() == "org.virtbus.Error.ArgumentUnsupported"
    g.call("FSTrim", "", dbus.UInt64(0), 0)
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        g.call("FSTrim", "/", dbus.UInt64(0), 0)
    assert ei.value.get_dbus_name() == "org.virtbus.Error.ArgumentUnsupported"
    info = g.call("GetFSInfo", 0)
    assert isinstance(info, list)


def test_guest_vcpus(env, agent_guest):
    g = agent_guest
    v = {str(k): str(x) for k, x in g.call("GetGuestVcpus", 0).items()}
    assert v == {"vcpus": "0", "online": "0", "offlinable": ""}, v
    # vCPU 0 cannot be taken offline; vCPU 3 is not there
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        g.call("SetGuestVcpus", [True], 0, 0)
    assert "is not offlinable" in ei.value.get_dbus_message()
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        g.call("SetGuestVcpus", [False, False, False, True], 1, 0)
    assert "vCPU '3' is not present" in ei.value.get_dbus_message()
    # online what is online already: fine
    g.call("SetGuestVcpus", [True], 1, 0)


def test_set_user_password(env, agent_guest):
    g = agent_guest
    n = g.count("VIRTBUS-GUEST-PASSWORD root")
    g.call("SetUserPassword", "root", "s3cret", 0)
    g.wait_marker("VIRTBUS-GUEST-PASSWORD root", n + 1, timeout=30)
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        g.call("SetUserPassword", "nosuchuser", "x", 0)
    assert ei.value.get_dbus_name() == "org.virtbus.Error.InternalError"
    assert "unable to execute QEMU agent command 'guest-set-user-password'" in \
        ei.value.get_dbus_message()


def test_interface_addresses(env, agent_guest):
    g = agent_guest
    ifaces = {str(n): (str(mac), [(int(t), str(a), int(p)) for t, a, p in addrs])
              for n, mac, addrs in g.call("InterfaceAddresses", IFADDR_AGENT, 0)}
    assert "lo" in ifaces and (0, "127.0.0.1", 8) in ifaces["lo"][1], ifaces
    mac = re.search(r"<mac address='([0-9a-f:]+)'/>", g.call("GetXMLDesc", 0)).group(1)
    assert any(m == mac for m, _ in ifaces.values()), (mac, ifaces)
    # arp and lease: a user-mode NIC is in no host table and no network
    assert list(g.call("InterfaceAddresses", IFADDR_ARP, 0)) == []
    assert list(g.call("InterfaceAddresses", IFADDR_LEASE, 0)) == []
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        g.call("InterfaceAddresses", 7, 0)
    assert ei.value.get_dbus_name() == "org.virtbus.Error.ArgumentUnsupported"


def test_no_channel_errors(env, plain_guest):
    g = plain_guest
    for method, args in (("GetHostname", (0,)), ("GetTime", (0,)),
                         ("FSFreeze", (dbus.Array([], signature="s"), 0)),
                         ("InterfaceAddresses", (IFADDR_AGENT, 0))):
        with pytest.raises(dbus.exceptions.DBusException) as ei:
            g.call(method, *args)
        assert dbus_error(ei.value) == ("org.virtbus.Error.ArgumentUnsupported",
                                        "QEMU guest agent is not configured"), method
    with pytest.raises(dbus.exceptions.DBusException) as ei:
        g.call("Shutdown", SHUTDOWN_GUEST_AGENT)
    assert ei.value.get_dbus_name() == "org.virtbus.Error.ArgumentUnsupported"
    assert g.state()[0] == S.RUNNING


def test_not_running_error(env):
    g = env.define("offvm", extra_devices=AGENT_CHANNEL, nic=None)
    try:
        with pytest.raises(dbus.exceptions.DBusException) as ei:
            g.call("GetHostname", 0)
        assert ei.value.get_dbus_name() == "org.virtbus.Error.OperationInvalid"
    finally:
        g.call("Undefine", 0)


def test_virsh_through_proxy(env, agent_guest):
    g = agent_guest
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        def virsh(*args):
            r = subprocess.run(["virsh", "-c", proxy.uri, *args], capture_output=True,
                               text=True, timeout=60)
            assert r.returncode == 0, f"virsh {args}: {r.stderr}"
            return r.stdout
        assert virsh("domhostname", g.name).strip() == "virtbus-guest"
        out = virsh("domtime", g.name)
        m = re.search(r"Time:\s*(\d+)", out)
        assert m and abs(int(m.group(1)) - time.time()) < 120, out
        out = virsh("domifaddr", g.name, "--source", "agent")
        assert "127.0.0.1/8" in out, out
        out = virsh("domfsfreeze", g.name)
        virsh("domfsthaw", g.name)
        virsh("domfsinfo", g.name)
        virsh("domtime", g.name, "--sync")
        out = virsh("guestvcpus", g.name)
        assert re.search(r"vcpus\s*:\s*0\b", out) and re.search(r"online\s*:\s*0\b", out), out
        r = subprocess.run(["virsh", "-c", proxy.uri, "domhostname", "plainvm"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode == 0:
            pytest.fail("domhostname of a guest without an agent succeeded")
        assert "QEMU guest agent is not configured" in r.stderr, r.stderr

        import libvirt
        conn = libvirt.open(proxy.uri)
        try:
            dom = conn.lookupByName(g.name)
            assert dom.hostname() == "virtbus-guest"
            t = dom.getTime()
            assert abs(t["seconds"] - time.time()) < 120
            dom.setTime({"seconds": int(time.time()), "nseconds": 0})
            ifs = dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)
            assert ifs["lo"]["addrs"][0]["addr"] == "127.0.0.1"
            assert dom.guestVcpus()["vcpus"] == "0"
            with pytest.raises(libvirt.libvirtError) as ei:
                conn.lookupByName("plainvm").hostname()
            assert ei.value.get_error_code() == libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED
        finally:
            conn.close()
    finally:
        proxy.stop()


def test_shutdown_by_agent(env, agent_guest):
    """Last: the agent powers the guest off (its own poweroff, no ACPI)."""
    g = agent_guest
    since = env.mark()
    g.call("Shutdown", SHUTDOWN_GUEST_AGENT)
    g.wait_marker("VIRTBUS-GUEST-AGENT-SHUTDOWN poweroff", timeout=30)
    h.wait_until(lambda: g.state()[0] == S.SHUTOFF, 60, what="the guest shut off")
    assert g.count(h.GUEST_POWEROFF) == 0  # not the power button
