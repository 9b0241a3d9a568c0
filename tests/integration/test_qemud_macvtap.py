# SPDX-License-Identifier: LGPL-2.1-or-later
"""<interface type='direct'> (macvtap) with the real QEMU (TCG, a guest
that boots nothing) and the real kernel, in the host's network namespace
on a veth pair of the test's (this kernel has no dummy links; a veth with
no address carries nothing off the host), deleted at the end:

- the start makes a macvtap on the parent with the guest's MAC and mode
  (a generated macvtapN in bridge mode, a user's name in vepa mode), up,
  and QEMU holds its /dev/tapN; Destroy deletes both.
- qemud SIGKILLed and restarted: Destroy still deletes it; QEMU killed
  while qemud was down: the restarted qemud finds the guest gone and
  deletes it.
- a parent that does not exist, or mode='passthrough' (which would set
  the parent's MAC, as libvirt does and restores): the start fails naming
  it, the domain stays shut off; hot-plug is refused by name.
"""

import json
import os
import signal
import subprocess

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from test_qemud_common import bare_domain, dbus_error, module_env

pytestmark = pytest.mark.timeout(300)

env = module_env()

TAG = os.getpid() % 10000


@pytest.fixture
def parent():
    name, peer = f"vbtest-mv{TAG}", f"vbtest-mp{TAG}"
    subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", peer], check=True)
    try:
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        # a kernel without macvtap (CONFIG_MACVTAP) cannot run these: a skip, not a failure
        probe = subprocess.run(["ip", "link", "add", "link", name, f"vbtest-mq{TAG}", "type", "macvtap"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            pytest.skip(f"this kernel makes no macvtap link: {probe.stderr.strip()}")
        subprocess.run(["ip", "link", "del", f"vbtest-mq{TAG}"], check=True)
        yield name
    finally:
        # its macvtaps go with it
        subprocess.run(["ip", "link", "del", name], check=False, capture_output=True)


def direct_nic(mac, dev, mode, target=None):
    t = f"<target dev='{target}'/>" if target else ""
    return (f"<interface type='direct'><mac address='{mac}'/><source dev='{dev}' mode='{mode}'/>{t}"
            f"<model type='virtio'/></interface>")


def link(name):
    """ip's JSON view of a link, or None."""
    r = subprocess.run(["ip", "-d", "-j", "link", "show", "dev", name], capture_output=True, text=True)
    return json.loads(r.stdout)[0] if r.returncode == 0 else None


def targets(xml):
    return [s.split("'", 1)[0] for s in xml.split("<target dev='")[1:]]


def qemu_holds(pid, path):
    fd_dir = f"/proc/{pid}/fd"
    return any(os.readlink(os.path.join(fd_dir, f)) == path for f in os.listdir(fd_dir))


def define(env, name, devices):
    return env.call("DomainDefineXML", bare_domain(name, devices))


def cleanup(env, path):
    if env.state(path)[0] != S.SHUTOFF:
        env.dcall(path, "Destroy", 0)
    env.dcall(path, "Undefine", 0)


def check_link(name, parent, mac, mode):
    info = link(name)
    assert info, f"no link {name}"
    assert info["linkinfo"]["info_kind"] == "macvtap"
    assert info["linkinfo"]["info_data"]["mode"] == mode
    assert info["address"] == mac
    assert info["link"] == parent
    assert "UP" in info["flags"]
    return info["ifindex"]


def test_start_destroy(env, parent):
    user = f"vbtest-mt{TAG}"
    path = define(env, "mvtap", direct_nic("52:54:00:6e:5d:01", parent, "bridge") +
                  direct_nic("52:54:00:6e:5d:02", parent, "vepa", target=user))
    try:
        inactive = env.dcall(path, "GetXMLDesc", 2)
        assert f"<source dev='{parent}' mode='bridge'/>" in inactive
        assert targets(inactive) == [user]
        env.dcall(path, "Create", 0)
        names = targets(env.dcall(path, "GetXMLDesc", 0))
        assert len(names) == 2 and names[0].startswith("macvtap") and names[1] == user, names
        pid = env.status_pid("mvtap")
        for name, mac, mode in zip(names, ("52:54:00:6e:5d:01", "52:54:00:6e:5d:02"), ("bridge", "vepa")):
            index = check_link(name, parent, mac, mode)
            assert qemu_holds(pid, f"/dev/tap{index}"), f"QEMU does not hold /dev/tap{index}"
        env.dcall(path, "Destroy", 0)
        for name in names:
            assert link(name) is None, f"{name} left after Destroy"
        assert f"<target dev='{user}'/>" in env.dcall(path, "GetXMLDesc", 0)
    finally:
        cleanup(env, path)


def test_restart_then_destroy_and_guest_gone(env, parent):
    path = define(env, "mvrestart", direct_nic("52:54:00:6e:5d:03", parent, "private"))
    try:
        env.dcall(path, "Create", 0)
        name = targets(env.dcall(path, "GetXMLDesc", 0))[0]
        check_link(name, parent, "52:54:00:6e:5d:03", "private")
        # a qemud killed and back knows its macvtap
        env.qemud.restart()
        assert env.state(path)[0] == S.RUNNING
        env.dcall(path, "Destroy", 0)
        assert link(name) is None, f"{name} left after a restart and Destroy"
        # QEMU killed while qemud is down: the restarted qemud cleans up
        env.dcall(path, "Create", 0)
        name = targets(env.dcall(path, "GetXMLDesc", 0))[0]
        assert link(name)
        qemu = env.status_pid("mvrestart")
        env.qemud.kill()
        os.kill(qemu, signal.SIGKILL)
        env.qemud.start()
        h.wait_until(lambda: env.state(path)[0] == S.SHUTOFF, 30, 0.2, "the restarted qemud to find QEMU gone")
        assert link(name) is None, f"{name} left after the guest was found gone"
    finally:
        cleanup(env, path)


def test_missing_parent_and_hotplug_refused(env, parent):
    missing = f"vbtest-no{TAG}"
    path = define(env, "mvmissing", direct_nic("52:54:00:6e:5d:04", missing, "bridge"))
    try:
        with dbus_error("OperationFailed", f"host interface '{missing}': no such interface"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == S.SHUTOFF
    finally:
        env.dcall(path, "Undefine", 0)
    # passthrough would change the parent's MAC: refused, naming it
    path = define(env, "mvpass", direct_nic("52:54:00:6e:5d:06", parent, "passthrough"))
    try:
        with dbus_error("OperationFailed", "<source mode='passthrough'>"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == S.SHUTOFF
    finally:
        env.dcall(path, "Undefine", 0)
    path = define(env, "mvplug", "")
    try:
        env.dcall(path, "Create", 0)
        with dbus_error("NotSupported", "of type 'direct' cannot be hot-plugged"):
            env.dcall(path, "AttachDevice", direct_nic("52:54:00:6e:5d:05", parent, "bridge"), 1)
        assert "type='direct'" not in env.dcall(path, "GetXMLDesc", 0)
        assert not [l for l in os.listdir("/sys/class/net") if l.startswith("macvtap") and
                    os.path.exists(f"/sys/class/net/{l}/lower_{parent}")]
    finally:
        cleanup(env, path)


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    yield p
    p.stop()


def test_through_libvirt(env, proxy, parent):
    """python-libvirt on the proxy defines and starts it; virsh domiflist
    shows the macvtap on its parent; destroy deletes it."""
    libvirt = pytest.importorskip("libvirt")
    conn = libvirt.open(proxy.uri)
    try:
        dom = conn.defineXML(bare_domain("mvlibvirt", direct_nic("52:54:00:6e:5d:07", parent, "bridge")))
        try:
            dom.create()
            name = targets(dom.XMLDesc(0))[0]
            check_link(name, parent, "52:54:00:6e:5d:07", "bridge")
            out = proxy.virsh("domiflist", "mvlibvirt").stdout
            assert name in out and "direct" in out and parent in out, out
            dom.destroy()
            assert link(name) is None
        finally:
            if dom.isActive():
                dom.destroy()
            dom.undefine()
    finally:
        conn.close()
