# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-lxcd's <hostdev mode='capabilities'>: a host network interface
moved into the container (type='net') and given back to the host when the
container stops, is destroyed, fails to start, or ends while lxcd is
SIGKILLed; device nodes of the host made in the container's /dev
(type='storage' a block node, type='misc' a character node) and allowed
by its device cgroup. lxcd runs in a network namespace of the test's own
(as in test_lxcd_net), where the host interface is one end of a veth pair
(a virtual link: the kernel would destroy it with the container's
namespace, unlike a physical one): no link of the real host is touched. Bad input is refused by name, nothing moved."""

import os
import re
import shutil
import uuid as uuidlib

import pytest

import virtbus_harness as h
from test_lxcd import SHUTOFF, RUNNING
from test_lxcd_net import container_xml, log_of, lxcd, rootfs, state, wait_log  # noqa: F401 - fixtures
from test_networkd_common import module_env, run

pytestmark = pytest.mark.timeout(180)

env, env_logs = module_env()

DUMMY = "vbthd0"


@pytest.fixture
def dummy(env):
    # a veth (the dummy module may not be there): its peer stays on the host
    env.in_ns("ip", "link", "add", DUMMY, "type", "veth", "peer", "name", DUMMY + "p")
    yield DUMMY
    env.in_ns("ip", "link", "del", DUMMY, check=False)


def on_host(env, name):
    return env.link_exists(name)


def hostdev_net(name, extra=""):
    return (f"<hostdev mode='capabilities' type='net'><source><interface>{name}</interface></source>"
            f"{extra}</hostdev>")


NODES = ("<hostdev mode='capabilities' type='storage'><source><block>/dev/loop0</block></source></hostdev>"
         "<hostdev mode='capabilities' type='misc'><source><char>/dev/net/tun</char></source></hostdev>")

SCRIPT = ("ip -o link show; ip -4 -o addr show; ip route show; ls -l /dev/net/tun /dev/loop0; "
          "exec 3<>/dev/net/tun && echo tun-open; exec 4</dev/loop0 && echo loop-open; echo ready-$((6*7)); ")


def supervisors(env):
    return [p for p in h.pids_mentioning(str(env.root.path))
            if open(f"/proc/{p}/comm").read().strip() == "lxcd-supervise"]


def test_net_and_nodes(env, lxcd, rootfs, dummy):
    devices = hostdev_net(dummy, "<ip address='192.0.2.5' prefix='24'/>"
                                 "<route address='198.51.100.0' prefix='24' gateway='192.0.2.1'/>") + NODES
    path = lxcd.call("DomainDefineXML", container_xml("hd1", rootfs, SCRIPT + "while true; do sleep 1; done",
                                                      devices))
    lxcd.domain_call(path, "Create", 0)
    assert state(lxcd, path) == (RUNNING, 1)
    out = wait_log(env, "hd1", "ready-42")
    # the host's interface inside, by its own name, up, with its <ip> and <route>
    assert re.search(rf"^\d+: {dummy}(@\S+)?: <[A-Z,_-]*\bUP\b", out, re.M), out
    assert re.search(rf"{dummy}\s+inet 192\.0\.2\.5/24", out), out
    assert f"198.51.100.0/24 via 192.0.2.1 dev {dummy}" in out, out
    assert not on_host(env, dummy)
    # the nodes, with the host's numbers, usable through the device cgroup
    assert re.search(r"^c\S+ .* 10,\s+200 .* /dev/net/tun$", out, re.M), out
    assert re.search(r"^b\S+ .* 7,\s+0 .* /dev/loop0$", out, re.M), out
    assert "tun-open\n" in out and "loop-open\n" in out, out
    xml = lxcd.domain_call(path, "GetXMLDesc", 0)
    assert f"<interface>{dummy}</interface>" in xml and "<char>/dev/net/tun</char>" in xml, xml
    # Destroy: back on the host, down
    lxcd.domain_call(path, "Destroy", 0)
    assert state(lxcd, path)[0] == SHUTOFF
    h.wait_until(lambda: on_host(env, dummy), 10, what=f"{dummy} back on the host")
    assert "state DOWN" in env.in_ns("ip", "link", "show", "dev", dummy).stdout
    # again, and a container that ends by itself gives it back too
    lxcd.domain_call(path, "Create", 0)
    assert not on_host(env, dummy)
    lxcd.domain_call(path, "Destroy", 0)
    h.wait_until(lambda: on_host(env, dummy), 10, what=f"{dummy} back on the host")
    lxcd.domain_call(path, "Undefine", 0)
    path = lxcd.call("DomainDefineXML", container_xml("hd2", rootfs, "ip -o link show; echo bye", hostdev_net(dummy)))
    lxcd.domain_call(path, "Create", 0)
    h.wait_until(lambda: state(lxcd, path)[0] == SHUTOFF, 20, what="the container to end")
    assert re.search(rf"^\d+: {dummy}(@\S+)?:", log_of(env, "hd2"), re.M), log_of(env, "hd2")
    h.wait_until(lambda: on_host(env, dummy), 10, what=f"{dummy} back on the host")


def test_gone_while_lxcd_down(env, lxcd, rootfs, dummy):
    """The container's init killed while lxcd was SIGKILLed: the
    supervisor gave the interface back; lxcd finds the container shut off."""
    path = lxcd.call("DomainDefineXML", container_xml("hd3", rootfs, "sleep 1000", hostdev_net(dummy)))
    lxcd.domain_call(path, "Create", 0)
    assert not on_host(env, dummy)
    lxcd.kill()
    sup = supervisors(env)
    assert len(sup) == 1
    init = open(f"/proc/{sup[0]}/task/{sup[0]}/children").read().split()
    assert init
    run("kill", "-9", init[0])
    h.wait_until(lambda: not os.path.exists(f"/proc/{sup[0]}"), 10, what="the supervisor to end")
    assert on_host(env, dummy)
    lxcd.start()
    assert state(lxcd, path)[0] == SHUTOFF


def test_failed_start_gives_it_back(env, lxcd, rootfs, dummy):
    """A route the kernel refuses fails the start after the move."""
    devices = hostdev_net(dummy, "<route address='198.51.100.0' prefix='24' gateway='203.0.113.1'/>")
    path = lxcd.call("DomainDefineXML", container_xml("hd4", rootfs, "sleep 1000", devices))
    with h.expect_dbus_error("org.virtbus.Error.OperationFailed") as e:
        lxcd.domain_call(path, "Create", 0)
    assert "198.51.100.0" in e.message, e.message
    assert state(lxcd, path)[0] == SHUTOFF
    assert on_host(env, dummy)
    assert not supervisors(env)


def test_already_in_another_container(env, lxcd, rootfs, dummy):
    first = lxcd.call("DomainDefineXML", container_xml("hd5", rootfs, "sleep 1000", hostdev_net(dummy)))
    second = lxcd.call("DomainDefineXML", container_xml("hd6", rootfs, "sleep 1000", hostdev_net(dummy)))
    lxcd.domain_call(first, "Create", 0)
    with h.expect_dbus_error("org.virtbus.Error.ResourceBusy") as e:
        lxcd.domain_call(second, "Create", 0)
    assert dummy in e.message and "hd5" in e.message, e.message
    assert state(lxcd, second) == (SHUTOFF, 0)
    assert state(lxcd, first) == (RUNNING, 1)
    assert len(supervisors(env)) == 1
    lxcd.domain_call(first, "Destroy", 0)
    h.wait_until(lambda: on_host(env, dummy), 10, what=f"{dummy} back on the host")


BAD = [
    ("missing interface", hostdev_net("vbtnosuch0"), "start", "org.virtbus.Error.InvalidArg",
     "'vbtnosuch0' of <hostdev type='net'> does not exist"),
    ("missing node", "<hostdev mode='capabilities' type='misc'><source><char>/dev/vbtnosuch</char></source>"
     "</hostdev>", "start", "org.virtbus.Error.InvalidArg", "'/dev/vbtnosuch'"),
    ("wrong node type", "<hostdev mode='capabilities' type='storage'><source><block>/dev/null</block></source>"
     "</hostdev>", "start", "org.virtbus.Error.InvalidArg", "is not a block device"),
    ("node outside /dev", "<hostdev mode='capabilities' type='misc'><source><char>/etc/passwd</char></source>"
     "</hostdev>", "define", "NotSupported", "/etc/passwd"),
    ("pci", "<hostdev mode='subsystem' type='pci'><source><address bus='0x06' slot='0x02'/></source></hostdev>",
     "define", "NotSupported", "pci 0000:06:02.0"),
    ("usb", "<hostdev mode='subsystem' type='usb'><source><vendor id='0x0781'/><product id='0x5567'/></source>"
     "</hostdev>", "define", "NotSupported", "usb 0781:5567"),
    ("twice", hostdev_net("vbtx0") + hostdev_net("vbtx0"), "define", "InvalidArg", "net vbtx0"),
]


@pytest.mark.parametrize("what,devices,when,error,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_input(env, lxcd, rootfs, what, devices, when, error, needle):
    xml = container_xml("bad1", rootfs, "true", devices, uuid=str(uuidlib.uuid4()))
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
    assert not supervisors(env)


def test_virsh(env, lxcd, rootfs, dummy):
    """Through the proxy: virsh defines, starts and dumps a container with
    host devices; a subsystem hostdev is refused naming it."""
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        uri = f"lxc+unix:///system?socket={proxy.socket}"
        f = env.root / "hd7.xml"
        f.write_text(container_xml("hd7", rootfs, "sleep 1000", hostdev_net(dummy) + NODES))
        proxy.virsh("define", f, uri=uri)
        proxy.virsh("start", "hd7", uri=uri)
        assert not on_host(env, dummy)
        out = proxy.virsh("dumpxml", "hd7", uri=uri).stdout
        assert f"<interface>{dummy}</interface>" in out and "<block>/dev/loop0</block>" in out, out
        proxy.virsh("destroy", "hd7", uri=uri)
        h.wait_until(lambda: on_host(env, dummy), 10, what=f"{dummy} back on the host")
        proxy.virsh("undefine", "hd7", uri=uri)
        f.write_text(container_xml("hd8", rootfs, "true", BAD[4][1]))
        r = proxy.virsh("define", f, uri=uri, check=False)
        assert r.returncode != 0 and "mode='subsystem' type='pci'" in r.stderr, r.stderr
    finally:
        proxy.stop()


def test_user_namespace(env, lxcd, rootfs, dummy):
    """With <idmap>: the interface moved in (the container's network
    namespace is then its user namespace's) and given back; the nodes bound
    from the host's, as a user namespace may not mknod (with the host's
    owner and mode, so not opened here: root of the container is not the
    host's root)."""
    idmap = ("<idmap><uid start='0' target='100000' count='65536'/>"
             "<gid start='0' target='100000' count='65536'/></idmap>")
    script = ("ip -o link show; ip -4 -o addr show; ls -l /dev/net/tun /dev/loop0; echo ready-$((6*7)); "
              "while true; do sleep 1; done")
    xml = container_xml("hd9", rootfs, script,
                        hostdev_net(dummy, "<ip address='192.0.2.9' prefix='24'/>") + NODES)
    path = lxcd.call("DomainDefineXML", xml.replace("<devices>", idmap + "<devices>"))
    lxcd.domain_call(path, "Create", 0)
    out = wait_log(env, "hd9", "ready-42")
    assert re.search(rf"^\d+: {dummy}(@\S+)?: <[A-Z,_-]*\bUP\b", out, re.M), out
    assert re.search(rf"{dummy}\s+inet 192\.0\.2\.9/24", out), out
    assert re.search(r"^c\S+ .* 10,\s+200 .* /dev/net/tun$", out, re.M), out
    assert re.search(r"^b\S+ .* 7,\s+0 .* /dev/loop0$", out, re.M), out
    assert not on_host(env, dummy)
    lxcd.domain_call(path, "Destroy", 0)
    h.wait_until(lambda: on_host(env, dummy), 10, what=f"{dummy} back on the host")
