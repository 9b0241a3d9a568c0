# SPDX-License-Identifier: LGPL-2.1-or-later
"""<interface type='direct'> (macvtap) seen from a booted guest (TCG, 2
vCPUs, a shell on its serial console), on veth pairs of the test's in the
host's network namespace, deleted at the end:

- a multiqueue macvtap (<driver queues='2'/>) at start: the guest's NIC
  has two queue pairs.
- hot-plug of a multiqueue macvtap: the guest sees the NIC (its MAC, two
  queue pairs); qemud SIGKILLed and back; DetachDevice: the guest lets it
  go, the link is deleted, the live XML is what it was.
- hot-plug of a passthrough macvtap: the parent takes the guest's MAC;
  its unplug gives the parent its own MAC back.
"""

import json
import os
import subprocess

import pytest

import virtbus_harness as h
import test_qemud_device as tdev
from test_qemud_common import module_env, need_macvtap, veth_pair

pytestmark = pytest.mark.timeout(400)

env = module_env()

LIVE = 1
NAME = "mvguest"
TAG = os.getpid() % 10000
MAC0, MAC1, MAC2 = "52:54:00:6e:5e:01", "52:54:00:6e:5e:02", "52:54:00:6e:5e:03"


def link(name):
    r = subprocess.run(["ip", "-d", "-j", "link", "show", "dev", name], capture_output=True, text=True)
    return json.loads(r.stdout)[0] if r.returncode == 0 else None


def targets(xml):
    return [s.split("'", 1)[0] for s in xml.split("<target dev='")[1:]]


def direct_nic(mac, dev, mode, queues=None):
    q = f"<driver queues='{queues}'/>" if queues else ""
    return (f"<interface type='direct'><mac address='{mac}'/><source dev='{dev}' mode='{mode}'/>"
            f"<model type='virtio'/>{q}</interface>")


@pytest.fixture(scope="module")
def parents():
    names = (f"vbtest-gv{TAG}", f"vbtest-gp{TAG}")
    try:
        for n in names:
            veth_pair(n, n + "p")
        need_macvtap(names[0], f"vbtest-gq{TAG}")
        yield names
    finally:
        for n in names:
            subprocess.run(["ip", "link", "del", n], check=False, capture_output=True)


@pytest.fixture(scope="module")
def vm(env, parents):
    path, con = tdev.start_shell_guest(env, NAME, env.root / "mv-console.sock",
                                       direct_nic(MAC0, parents[0], "bridge", queues=2), vcpus=2)
    try:
        tdev.wait_shell(con, 200)
        yield path, con
    finally:
        con.close()
        try:
            if env.state(path)[0] != h.DomainState.SHUTOFF:
                env.dcall(path, "Destroy", 0)
        finally:
            env.dcall(path, "Undefine", 0)


def test_start_multiqueue_seen_by_the_guest(env, vm, parents):
    path, con = vm
    name = targets(env.dcall(path, "GetXMLDesc", 0))[0]
    assert link(name)["linkinfo"]["info_kind"] == "macvtap"
    _, queues = tdev.guest_queues(con, MAC0)
    assert queues == ["rx-0", "rx-1", "tx-0", "tx-1"], queues


def test_hotplug_sigkill_unplug(env, vm, parents):
    path, con = vm
    before = env.dcall(path, "GetXMLDesc", 0)
    env.dcall(path, "AttachDevice", direct_nic(MAC1, parents[0], "vepa", queues=2), LIVE)
    names = targets(env.dcall(path, "GetXMLDesc", 0))
    assert len(names) == 2, names
    name = names[1]
    info = link(name)
    assert info and info["address"] == MAC1 and info["linkinfo"]["info_data"]["mode"] == "vepa"
    h.wait_until(lambda: tdev.guest_queues(con, MAC1)[1] == ["rx-0", "rx-1", "tx-0", "tx-1"], 30, 0.5,
                 "the hot-plugged NIC's two queue pairs in the guest")

    env.qemud.restart()
    assert targets(env.dcall(path, "GetXMLDesc", 0)) == names
    env.dcall(path, "DetachDevice", direct_nic(MAC1, parents[0], "vepa", queues=2), LIVE)
    h.wait_until(lambda: MAC1 not in env.dcall(path, "GetXMLDesc", 0), 30, 0.5, "the NIC to leave the live XML")
    assert env.dcall(path, "GetXMLDesc", 0) == before
    assert link(name) is None, f"{name} left after the unplug"
    h.wait_until(lambda: tdev.guest_queues(con, MAC1)[0] is None, 10, 0.5, "the NIC to leave the guest")


def test_passthrough_hotplug_unplug(env, vm, parents):
    path, con = vm
    parent = parents[1]
    own = link(parent)["address"]
    env.dcall(path, "AttachDevice", direct_nic(MAC2, parent, "passthrough"), LIVE)
    name = targets(env.dcall(path, "GetXMLDesc", 0))[-1]
    assert link(parent)["address"] == MAC2
    assert link(name)["linkinfo"]["info_data"]["mode"] == "passthru"
    h.wait_until(lambda: tdev.guest_queues(con, MAC2)[0] is not None, 30, 0.5, "the passthrough NIC in the guest")
    env.dcall(path, "DetachDevice", direct_nic(MAC2, parent, "passthrough"), LIVE)
    h.wait_until(lambda: MAC2 not in env.dcall(path, "GetXMLDesc", 0), 30, 0.5, "the NIC to leave the live XML")
    assert link(name) is None
    assert link(parent)["address"] == own
    assert not (env.run_dir / "macvtap-passthrough" / parent).exists()
