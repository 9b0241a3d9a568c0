# SPDX-License-Identifier: LGPL-2.1-or-later
"""Multiqueue taps in virtbus-qemud: <interface><driver queues='N'/> on a
virtio interface of type network (networkd's tap) or ethernet (qemud's).

As libvirt, the tap is made with IFF_MULTI_QUEUE and QEMU gets one fd per
queue ("-netdev tap,fds=a:b"), with mq=on and vectors=2N+2 on virtio-net;
the booted guest (TCG, 2 vCPUs) sees N queue pairs on its NIC
(/sys/class/net/ethX/queues/). The same through AttachDevice: each queue's
fd goes to QEMU by a getfd of its own. An existing tap made without
IFF_MULTI_QUEUE cannot take the queues: the start fails naming it and
leaves the definition as it was.

networkd runs in a network namespace of its own (test_qemud_network.Env):
qemud opens the other queues in the tap's namespace.
"""

import os
import re
import subprocess

import pytest

import virtbus_harness as h
import test_qemud_device as tdev
import test_qemud_network as tnet
from test_qemud_network import _logs, env  # noqa: F401 - the network test env and its logs, shared
from test_qemud_common import dbus_error, xmllint_relaxng

pytestmark = pytest.mark.timeout(400)

LIVE, CONFIG = 1, 2
NAME, UUID = "mqvm", "6b1f0d33-6a0e-4c5e-9d6e-0000000000c1"
MAC1, MAC2 = "52:54:00:5c:00:01", "52:54:00:5c:00:02"


def mq_nic(mac, queues=2):
    return (f"<interface type='network'><mac address='{mac}'/><source network='{tnet.NET}'/>"
            f"<model type='virtio'/><driver queues='{queues}'/></interface>")


def tun_queues(pid, tap):
    """How many of QEMU's fds are queues of tap (a tun fd's fdinfo names
    its device)."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            info = open(f"/proc/{pid}/fdinfo/{fd}").read()
        except OSError:
            continue
        if re.search(rf"^iff:\s+{re.escape(tap)}$", info, re.M):
            n += 1
    return n


def qemu_netdevs(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = f.read().decode().split("\0")
    return [a for a in argv if a.startswith("tap,")]


@pytest.fixture(scope="module")
def vm(env):
    path, con = tdev.start_shell_guest(env, NAME, env.root / "mq-console.sock", mq_nic(MAC1), uuid=UUID,
                                       vcpus=2)
    try:
        tdev.wait_shell(con, 200)
        yield path, con
    finally:
        con.close()
        try:
            env.destroy(path)
            tnet.assert_released(env, UUID, [])
        finally:
            env.dcall(path, "Undefine", 0)


def test_start_opens_a_tap_fd_per_queue(env, vm):
    path, con = vm
    live = env.dcall(path, "GetXMLDesc", 0)
    xmllint_relaxng(live, "domain", "the live XML of a multiqueue interface")
    assert "<driver queues='2'/>" in live, live
    tap = tnet.target_devs(live)[0]
    link = env.link(tap)
    tnet.assert_tap(env, tap, env.bridge, MAC1)
    assert link["linkinfo"]["info_data"].get("multi_queue") is True, link

    pid = env.status_pid(NAME)
    netdevs = qemu_netdevs(pid)
    assert len(netdevs) == 1 and re.match(r"tap,fds=\d+:\d+,", netdevs[0]), netdevs
    assert tun_queues(pid, tap) == 2
    # nothing of the queues stays open in qemud
    assert tun_queues(env.qemud.pid, tap) == 0

    ifname, queues = tdev.guest_queues(con, MAC1)
    assert queues == ["rx-0", "rx-1", "tx-0", "tx-1"], (ifname, queues)


def test_hotplug_gets_a_getfd_per_queue(env, vm):
    path, con = vm
    before = env.dcall(path, "GetXMLDesc", 0)
    env.dcall(path, "AttachDevice", mq_nic(MAC2), LIVE)
    live = env.dcall(path, "GetXMLDesc", 0)
    taps = tnet.target_devs(live)
    assert len(taps) == 2, live
    tap = taps[1]
    assert env.link(tap)["linkinfo"]["info_data"].get("multi_queue") is True
    pid = env.status_pid(NAME)
    assert tun_queues(pid, tap) == 2
    assert tun_queues(env.qemud.pid, tap) == 0

    h.wait_until(lambda: tdev.guest_queues(con, MAC2)[1] == ["rx-0", "rx-1", "tx-0", "tx-1"], 30, 0.5,
                 "the hot-plugged NIC's two queue pairs in the guest")

    env.dcall(path, "DetachDevice", mq_nic(MAC2), LIVE)
    h.wait_until(lambda: MAC2 not in env.dcall(path, "GetXMLDesc", 0), 30, 0.5, "the NIC to leave the live XML")
    assert env.dcall(path, "GetXMLDesc", 0) == before
    h.wait_until(lambda: env.link(tap) is None, 10, what=f"tap {tap} to go")


def test_existing_tap_without_multiqueue_is_refused(env):
    """An unmanaged tap of the user's, made with one queue: the start names
    it, and the definition and every link stay as they were."""
    tap = "vbsq0"
    subprocess.run(["ip", "tuntap", "add", "dev", tap, "mode", "tap", "vnet_hdr"], check=True)
    try:
        extra = (f"<interface type='ethernet'><mac address='52:54:00:5c:00:09'/>"
                 f"<target dev='{tap}' managed='no'/><model type='virtio'/><driver queues='2'/></interface>")
        xml = h.guest_domain_xml(env.guest, "mqbad", nic=None, vcpus=2, extra_devices=extra)
        path = env.qemud.call("DomainDefineXML", xml)
        try:
            inactive = env.dcall(path, "GetXMLDesc", 0)
            with dbus_error("org.virtbus.Error.OperationFailed", tap, "queue"):
                env.dcall(path, "Create", 0)
            assert env.state(path)[0] == h.DomainState.SHUTOFF
            assert env.dcall(path, "GetXMLDesc", 0) == inactive
            r = subprocess.run(["ip", "-d", "-j", "link", "show", "dev", tap], capture_output=True, text=True)
            assert r.returncode == 0, "the user's tap went with the failed start"
        finally:
            env.dcall(path, "Undefine", 0)
    finally:
        subprocess.run(["ip", "link", "del", tap], check=False)


def test_vhost_asked_of_a_tcg_guest(env):
    """<driver name='vhost' queues='2'/> on a TCG guest: QEMU gets vhost=on
    where the host has /dev/vhost-net, and none where it has not (libvirt
    never gives a TCG guest vhost; QEMU 7.2 aborts on a multiqueue tap whose
    vhost it cannot open)."""
    extra = ("<interface type='ethernet'><mac address='52:54:00:5c:00:0a'/>"
             "<model type='virtio'/><driver name='vhost' queues='2'/></interface>")
    xml = h.guest_domain_xml(env.guest, "mqvhost", nic=None, vcpus=2, extra_devices=extra)
    path = env.qemud.call("DomainDefineXML", xml)
    try:
        env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.RUNNING
        netdevs = qemu_netdevs(env.status_pid("mqvhost"))
        assert len(netdevs) == 1 and re.match(r"tap,fds=\d+:\d+", netdevs[0]), netdevs
        assert ("vhost=on" in netdevs[0]) == os.path.exists("/dev/vhost-net"), netdevs
        env.dcall(path, "Destroy", 0)
    finally:
        env.dcall(path, "Undefine", 0)
