# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-lxcd's interfaces: veth pairs whose container end is moved into
the container's network namespace, named, with its MAC. networkd and lxcd
both run in a network namespace of the test's own (networkd as in
test_networkd_common; lxcd through nsenter, which keeps the host's mounts
and cgroups), so no link is ever made in the host's namespace.

A container with an <interface type='network'> gets a DHCP lease from the
network's dnsmasq (busybox udhcpc inside) and pings the bridge, and is
pinged back; an <interface type='ethernet'> gets its <ip> and <route>; a
type='bridge' one is a port on the network's bridge; a reboot makes them
anew. Everything goes at Destroy, after a failed start, and when the container ended while lxcd
was SIGKILLed. Bad input is refused by name with nothing left."""

import os
import re
import uuid as uuidlib
from xml.sax.saxutils import escape

import pytest

import virtbus_harness as h
from test_lxcd import APPLETS, cgroup_dirs, make_rootfs, mounts_mentioning, SHUTOFF, RUNNING
from test_networkd_common import UDHCPC_SCRIPT, module_env, nat_xml, run

pytestmark = pytest.mark.timeout(180)

env, env_logs = module_env()

SUBNET = "192.168.157"
BRIDGE = "vbtlxcbr0"


@pytest.fixture(scope="module")
def network(env):
    path = env.define(nat_xml("lxcnet", subnet=SUBNET, bridge=BRIDGE))
    yield "lxcnet"
    env.remove(path)


@pytest.fixture
def lxcd(env):
    wrapper = env.root / "lxcd-in-netns"
    # nsenter: the namespace's network only (ip netns exec would remount /sys
    # and hide the cgroups)
    wrapper.write_text(f"#!/bin/sh\nexec nsenter --net=/run/netns/{env.ns} {h.BUILD / 'virtbus-lxcd'} \"$@\"\n")
    wrapper.chmod(0o755)
    d = h.Daemon("lxcd", env.bus, env.root, binary=wrapper)
    h.register_log("virtbus-lxcd", d.log_path)
    d.start()
    yield d
    if d.alive():
        for path in d.call("ListDomains", 0):
            try:
                if state(d, path)[0] != SHUTOFF:
                    d.domain_call(path, "Destroy", 0)
                d.domain_call(path, "Undefine", 0)
            except Exception as e:  # noqa: BLE001 - best effort, reported
                print(f"cleanup of {path}: {e}")
    d.stop()


@pytest.fixture(scope="module")
def rootfs(env):
    r = make_rootfs(env.root / "rootfs", APPLETS + ("udhcpc", "ip", "ping", "sed", "grep", "ifconfig", "reboot"))
    (r / "udhcpc.script").write_text(UDHCPC_SCRIPT.read_text())
    (r / "udhcpc.script").chmod(0o755)
    return r


def state(lxcd, path):
    return tuple(int(x) for x in lxcd.domain_call(path, "GetState", 0))


def log_of(env, name):
    found = list(env.root.path.rglob(f"lxc/{name}.log"))
    return found[0].read_text(errors="replace") if found else ""


def container_xml(name, rootfs, script, interfaces, uuid=None):
    return f"""<domain type='lxc'>
  <name>{name}</name>
  {f"<uuid>{uuid}</uuid>" if uuid else ""}
  <memory unit='MiB'>64</memory>
  <os><type>exe</type><init>/bin/sh</init><initarg>-c</initarg><initarg>{escape(script)}</initarg></os>
  <devices>
    <filesystem type='mount'><source dir='{rootfs}'/><target dir='/'/></filesystem>
    {interfaces}
  </devices>
</domain>"""


def ports_of(env, owner):
    return [p for p in env.port_call("ListPorts", "") if str(p[2]) == owner]


def peers_on_host(env):
    """The container ends lxcd made (vc...) still in networkd's namespace."""
    out = env.in_ns("ip", "-o", "link", "show").stdout
    return re.findall(r"^\d+: (vc[0-9a-f]+)", out, re.M)


def wait_log(env, name, needle, timeout=30):
    h.wait_until(lambda: needle in log_of(env, name), timeout, what=f"'{needle}' in {name}'s console")
    return log_of(env, name)


NET_SCRIPT = ("trap '[ $$ = 1 ] && reboot -f' HUP; ip -o link show; cat /sys/class/net/eth0/address; "
              "udhcpc -i eth0 -n -q -t 8 -T 1 -A 1 -s /udhcpc.script && echo dhcp-ok; "
              "ip -4 -o addr show; ip route show; "
              f"ping -c 1 -W 3 {SUBNET}.1 && echo ping-ok; echo ready-$((6*7)); while true; do sleep 1; done")


def test_network_bridge_ethernet(env, network, lxcd, rootfs):
    owner = str(uuidlib.uuid4())
    nets = (f"<interface type='network'><mac address='52:54:00:aa:01:02'/><source network='{network}'/></interface>"
            "<interface type='ethernet'><mac address='52:54:00:aa:01:03'/><target dev='vbteth0'/>"
            "<guest dev='inner0'/><ip address='10.99.0.2' prefix='24'/>"
            "<route address='10.98.0.0' prefix='16' gateway='10.99.0.1'/></interface>"
            f"<interface type='bridge'><mac address='52:54:00:aa:01:04'/><source bridge='{BRIDGE}'/></interface>")
    path = lxcd.call("DomainDefineXML", container_xml("net1", rootfs, NET_SCRIPT, nets, uuid=owner))
    lxcd.domain_call(path, "Create", 0)
    assert state(lxcd, path) == (RUNNING, 1)
    out = wait_log(env, "net1", "ready-42")

    # named as asked, in order, with their MACs, lo up
    assert re.search(r"^\d+: eth0@.*<[A-Z,_-]*\bUP\b", out, re.M), out
    assert re.search(r"^\d+: inner0@.*<[A-Z,_-]*\bUP\b", out, re.M), out
    assert re.search(r"^\d+: eth2@", out, re.M), out
    assert "52:54:00:aa:01:02\n" in out, out
    assert re.search(r"^\d+: lo: <LOOPBACK,UP", out, re.M), out
    # the lease from the network's dnsmasq, and the bridge pinged
    assert "dhcp-ok\n" in out and "ping-ok\n" in out, out
    m = re.search(rf"eth0\s+inet ({SUBNET}\.\d+)/24", out)
    assert m, out
    leased = m.group(1)
    # <ip> and <route> of the ethernet interface
    assert re.search(r"inner0\s+inet 10\.99\.0\.2/24", out), out
    assert "10.98.0.0/16 via 10.99.0.1 dev inner0" in out, out
    # the host's side: two ports of networkd (network, bridge) on the
    # bridge, the ethernet veth on no bridge, and the container pinged back
    ports = ports_of(env, owner)
    assert sorted(str(p[5]) for p in ports) == ["veth", "veth"], ports
    assert env.in_ns("ping", "-c", "1", "-W", "3", leased, check=False).returncode == 0
    assert "state UP" in env.in_ns("ip", "link", "show", "dev", "vbteth0").stdout
    xml = lxcd.domain_call(path, "GetXMLDesc", 0)
    assert "<target dev='vbteth0'/>" in xml and "<guest dev='inner0'/>" in xml, xml
    for p in ports:
        assert f"<target dev='{p[6]}'/>" in xml, xml
        assert f"master {BRIDGE}" in env.in_ns("ip", "link", "show", "dev", str(p[6])).stdout
    assert not peers_on_host(env)
    # a reboot makes the container anew: new ports, the old ones released,
    # the same names inside
    lxcd.domain_call(path, "Reboot", 8)
    h.wait_until(lambda: log_of(env, "net1").count("ready-42") == 2, 30, what="the container's second boot")
    out = log_of(env, "net1").split("ready-42")[1]
    assert "dhcp-ok\n" in out and "ping-ok\n" in out and "inner0" in out, out
    assert state(lxcd, path) == (RUNNING, 1)
    again = ports_of(env, owner)
    assert len(again) == 2 and not {str(p[0]) for p in again} & {str(p[0]) for p in ports}, (ports, again)
    # (vnetN names, as libvirt's: a new port may take an old one's name)
    for p in ports:
        if str(p[6]) not in {str(q[6]) for q in again}:
            h.wait_until(lambda: not env.link_exists(str(p[6])), 10, what=f"{p[6]} to go")
    ports = again
    assert not peers_on_host(env)
    # Destroy: every port and link goes
    lxcd.domain_call(path, "Destroy", 0)
    h.wait_until(lambda: not ports_of(env, owner), 10, what="the ports to be released")
    h.wait_until(lambda: not env.link_exists("vbteth0"), 10, what="the ethernet veth to go")
    for p in ports:
        h.wait_until(lambda: not env.link_exists(str(p[6])), 10, what=f"{p[6]} to go")
    assert not peers_on_host(env)


# A system container: busybox init from /etc/inittab. Its sysinit gets a
# lease and says what the container sees; an initctl listener (busybox init
# has none of its own) powers it off on runlevel 0, as sysvinit would.
SYS_RC = f"""#!/bin/sh
hostname
udhcpc -i eth0 -n -q -t 8 -T 1 -A 1 -s /udhcpc.script && echo dhcp-ok
ip -4 -o addr show dev eth0
echo procs=$(ps -o pid= | wc -l)
ps -o pid,comm | grep '^ *1 ' | sed 's/^ */pid1=/'
grep -E '^MemTotal:' /proc/meminfo
echo ready-$((6*7))
"""
SYS_INITCTL = """#!/bin/sh
rm -f /run/initctl; mkfifo /run/initctl; exec 3<>/run/initctl; echo > /run/initctl-ready
lvl=$(dd bs=384 count=1 <&3 2>/dev/null | dd bs=1 skip=8 count=1 2>/dev/null)
echo runlevel-$lvl
[ "$lvl" = 0 ] && poweroff
"""
SYS_INITTAB = """::sysinit:/etc/rc.sysinit
::once:/etc/initctl-listener
::shutdown:/bin/echo shutdown-actions-ran
"""


def test_system_container(env, network, lxcd):
    """busybox init boots, gets a DHCP lease from the network, is pinged
    from the host, sees only its own processes, its hostname and its
    memory limit in /proc/meminfo (the FUSE view), and Shutdown ends it
    cleanly (its shutdown actions run): shut off, reason shutdown."""
    r = make_rootfs(env.root / "sysroot", APPLETS + ("init", "udhcpc", "ip", "ps", "wc", "grep", "sed", "mkfifo",
                                                     "dd", "rm", "poweroff", "ifconfig", "route"))
    os.symlink("../bin/busybox", r / "sbin" / "init")
    (r / "udhcpc.script").write_text(UDHCPC_SCRIPT.read_text())
    for name, text in (("etc/rc.sysinit", SYS_RC), ("etc/initctl-listener", SYS_INITCTL),
                       ("etc/inittab", SYS_INITTAB), ("udhcpc.script", None)):
        if text is not None:
            (r / name).write_text(text)
        (r / name).chmod(0o755)
    owner = str(uuidlib.uuid4())
    nets = f"<interface type='network'><source network='{network}'/></interface>"
    xml = container_xml("sys1", r, "", nets, uuid=owner).replace(
        "<init>/bin/sh</init><initarg>-c</initarg><initarg></initarg>", "<init>/sbin/init</init>").replace(
        "<memory unit='MiB'>64</memory>", "<memory unit='MiB'>96</memory>")
    path = lxcd.call("DomainDefineXML", xml)
    lxcd.domain_call(path, "Create", 0)
    out = wait_log(env, "sys1", "ready-42")
    assert "\nsys1\n" in out and "dhcp-ok\n" in out, out
    m = re.search(rf"eth0\s+inet ({SUBNET}\.\d+)/24", out)
    assert m, out
    assert env.in_ns("ping", "-c", "1", "-W", "3", m.group(1), check=False).returncode == 0
    # init, the rc script, ps, wc and (maybe) the listener: nothing of the host's
    procs = int(re.search(r"procs=(\d+)", out).group(1))
    assert 2 <= procs <= 8, out
    assert re.search(r"^pid1=1 init$", out, re.M), out
    assert re.search(r"^MemTotal:\s+98304 kB$", out, re.M), out
    # listening: the FIFO open (a FIFO without a reader is no listener, and
    # Shutdown would then send SIGTERM, which busybox init takes as reboot)
    h.wait_until(lambda: os.path.exists(r / "run" / "initctl-ready"), 10, what="the container's initctl listener")
    lxcd.domain_call(path, "Shutdown", 0)
    h.wait_until(lambda: state(lxcd, path)[0] == SHUTOFF, 30, what="the container to shut down")
    assert state(lxcd, path) == (SHUTOFF, 1)   # shutdown
    # logd writes the console's last lines from its pipe: they may lag a little
    out = wait_log(env, "sys1", "shutdown-actions-ran\n", timeout=10)
    assert "runlevel-0\n" in out, out
    h.wait_until(lambda: not ports_of(env, owner), 10, what="the port to be released")
    assert not peers_on_host(env)
    lxcd.domain_call(path, "Undefine", 0)


def test_gone_while_lxcd_down(env, network, lxcd, rootfs):
    """A container that ended while lxcd was SIGKILLed: its port is
    released when lxcd comes back."""
    owner = str(uuidlib.uuid4())
    nets = f"<interface type='network'><source network='{network}'/></interface>"
    path = lxcd.call("DomainDefineXML", container_xml("net2", rootfs, "sleep 1000", nets, uuid=owner))
    lxcd.domain_call(path, "Create", 0)
    assert len(ports_of(env, owner)) == 1
    supervisor = int(lxcd.get_property(path, "org.libvirt.Domain", "Id") or 0)
    lxcd.kill()
    pids = [p for p in h.pids_mentioning(str(env.root.path)) if open(f"/proc/{p}/comm").read().strip() == "lxcd-supervise"]
    assert pids
    for p in pids:
        run("kill", "-9", p)
    h.wait_until(lambda: not any(os.path.exists(f"/proc/{p}") for p in pids), 10, what="the supervisor to go")
    lxcd.start()
    assert state(lxcd, path)[0] == SHUTOFF
    h.wait_until(lambda: not ports_of(env, owner), 10, what="the port to be released")
    assert supervisor >= 0


BAD = [
    ("missing network", "<interface type='network'><source network='nosuchnet'/></interface>",
     "start", "org.virtbus.Error.NoNetwork", "nosuchnet"),
    ("taken target dev", "<interface type='network'><source network='{network}'/></interface>"
     "<interface type='ethernet'><target dev='lo'/></interface>",
     "start", "org.virtbus.Error.ResourceBusy", "lo"),
    ("bad MAC", "<interface type='network'><mac address='52:54:00:zz:00:01'/>"
     "<source network='{network}'/></interface>", "define", "InvalidMAC", "52:54:00:zz:00:01"),
    ("multicast MAC", "<interface type='network'><mac address='01:54:00:00:00:01'/>"
     "<source network='{network}'/></interface>", "define", "InvalidMAC", "multicast"),
    ("user", "<interface type='user'/>", "define", "NotSupported", "type='user'"),
    ("bad ip", "<interface type='ethernet'><ip address='10.0.0.300' prefix='24'/></interface>",
     "define", "", "10.0.0.300"),
    ("same guest name", "<interface type='ethernet'/><interface type='ethernet'><guest dev='eth0'/></interface>",
     "define", "", "eth0"),
]


@pytest.mark.parametrize("what,nets,when,error,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_input(env, network, lxcd, rootfs, what, nets, when, error, needle):
    owner = str(uuidlib.uuid4())
    xml = container_xml("bad1", rootfs, "true", nets.format(network=network), uuid=owner)
    if when == "define":
        with pytest.raises(Exception) as e:
            lxcd.call("DomainDefineXML", xml)
        assert error in str(e.value) and needle in str(e.value), str(e.value)
        assert list(lxcd.call("ListDomains", 0)) == []
        return
    path = lxcd.call("DomainDefineXML", xml)
    with h.expect_dbus_error(error) as e:
        lxcd.domain_call(path, "Create", 0)
    assert needle in e.message, e.message
    assert state(lxcd, path) == (SHUTOFF, 0)
    h.wait_until(lambda: not ports_of(env, owner), 10, what="the ports to be released")
    assert not peers_on_host(env)
    assert not [p for p in h.pids_mentioning(str(env.root.path))
                if open(f"/proc/{p}/comm").read().strip() == "lxcd-supervise"]
    # nor cgroup nor mount
    assert not any(os.path.exists(d) for d in cgroup_dirs(lxcd, path))
    assert not mounts_mentioning(env.root)
