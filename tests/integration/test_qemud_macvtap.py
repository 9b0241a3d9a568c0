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
- mode='passthrough': the parent's own MAC saved in the run directory, the
  parent (and so its macvtap) given the guest's; no other macvtap on that
  parent (the start of a second guest fails naming it, the first keeps
  the parent); Destroy, also after a SIGKILL of qemud, and a guest gone
  while qemud was down give the parent its own MAC back.
- multiqueue (<driver queues='3'/>): QEMU holds /dev/tapN three times
  (tap,fds=a:b:c), its virtio-net has mq on and 8 vectors (QMP).
- hot-plug of a multiqueue macvtap: made, each queue by a getfd, known
  after a SIGKILL of qemud and deleted by Destroy; a missing parent, and a
  device QEMU refuses, leave no link and the live XML as it was.
- a parent that does not exist: the start fails naming it.
- through the proxy: python-libvirt starts one, virsh domiflist shows it,
  virsh attach-device --live plugs another.
Unplug (which needs a guest that lets the NIC go) is in
test_qemud_macvtap_guest.py.
"""

import json
import os
import re
import signal
import subprocess

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from test_qemud_common import bare_domain, dbus_error, module_env, need_macvtap, qmp_ask, veth_pair

pytestmark = pytest.mark.timeout(300)

env = module_env()

TAG = os.getpid() % 10000


@pytest.fixture
def parent():
    name, peer = f"vbtest-mv{TAG}", f"vbtest-mp{TAG}"
    try:
        veth_pair(name, peer)
        need_macvtap(name, f"vbtest-mq{TAG}")
        yield name
    finally:
        # its macvtaps go with it
        subprocess.run(["ip", "link", "del", name], check=False, capture_output=True)


def direct_nic(mac, dev, mode, target=None, queues=None, extra=""):
    t = f"<target dev='{target}'/>" if target else ""
    q = f"<driver queues='{queues}'/>" if queues else ""
    return (f"<interface type='direct'><mac address='{mac}'/><source dev='{dev}' mode='{mode}'/>{t}"
            f"<model type='virtio'/>{q}{extra}</interface>")


def mac_of(name):
    return link(name)["address"]


def tap_fds(pid, index):
    """How many of the process's fds are /dev/tap<index>."""
    fd_dir = f"/proc/{pid}/fd"
    n = 0
    for f in os.listdir(fd_dir):
        try:
            n += os.readlink(os.path.join(fd_dir, f)) == f"/dev/tap{index}"
        except OSError:
            pass
    return n


def parent_macvtaps(parent):
    return [l for l in os.listdir("/sys/class/net")
            if os.path.exists(f"/sys/class/net/{l}/macvtap") and os.path.exists(f"/sys/class/net/{l}/lower_{parent}")]


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


def test_missing_parent(env, parent):
    missing = f"vbtest-no{TAG}"
    path = define(env, "mvmissing", direct_nic("52:54:00:6e:5d:04", missing, "bridge"))
    try:
        with dbus_error("OperationFailed", f"host interface '{missing}': no such interface"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == S.SHUTOFF
    finally:
        env.dcall(path, "Undefine", 0)


def test_passthrough_sets_and_restores_the_parent_mac(env, parent):
    own, mac = mac_of(parent), "52:54:00:6e:5d:10"
    saved = env.run_dir / "macvtap-passthrough" / parent
    path = define(env, "mvpass", direct_nic(mac, parent, "passthrough"))
    other = define(env, "mvpass2", direct_nic("52:54:00:6e:5d:11", parent, "bridge"))
    try:
        env.dcall(path, "Create", 0)
        name = targets(env.dcall(path, "GetXMLDesc", 0))[0]
        index = check_link(name, parent, mac, "passthru")
        assert mac_of(parent) == mac
        assert saved.read_text().strip() == own
        assert qemu_holds(env.status_pid("mvpass"), f"/dev/tap{index}")
        # the kernel lets no other macvtap on it: refused, naming why; the first guest keeps the parent
        with dbus_error("OperationFailed", "a passthrough macvtap must be the only one on its parent"):
            env.dcall(other, "Create", 0)
        assert env.state(other)[0] == S.SHUTOFF
        assert mac_of(parent) == mac and saved.read_text().strip() == own
        assert parent_macvtaps(parent) == [name]

        # qemud killed and back: Destroy gives the parent its own MAC
        env.qemud.restart()
        assert env.state(path)[0] == S.RUNNING
        env.dcall(path, "Destroy", 0)
        assert link(name) is None
        assert mac_of(parent) == own
        assert not saved.exists()

        # QEMU killed while qemud is down: the restarted qemud gives it back
        env.dcall(path, "Create", 0)
        name = targets(env.dcall(path, "GetXMLDesc", 0))[0]
        assert mac_of(parent) == mac
        qemu = env.status_pid("mvpass")
        env.qemud.kill()
        os.kill(qemu, signal.SIGKILL)
        env.qemud.start()
        h.wait_until(lambda: env.state(path)[0] == S.SHUTOFF, 30, 0.2, "the restarted qemud to find QEMU gone")
        assert link(name) is None
        assert mac_of(parent) == own
        assert not saved.exists()
    finally:
        cleanup(env, other)
        cleanup(env, path)


def test_multiqueue(env, parent):
    path = define(env, "mvmq", direct_nic("52:54:00:6e:5d:20", parent, "bridge", queues=3))
    try:
        env.dcall(path, "Create", 0)
        assert "<driver queues='3'/>" in env.dcall(path, "GetXMLDesc", 0)
        name = targets(env.dcall(path, "GetXMLDesc", 0))[0]
        index = check_link(name, parent, "52:54:00:6e:5d:20", "bridge")
        pid = env.status_pid("mvmq")
        assert tap_fds(pid, index) == 3
        assert tap_fds(env.qemud.pid, index) == 0
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().decode().split("\0")
        assert [a for a in argv if re.match(r"tap,fds=\d+:\d+:\d+,id=hostnet0$", a)], argv
        mq, vectors = qmp_ask(env, "mvmq", ("qom-get", {"path": "/machine/peripheral/net0/virtio-backend",
                                                         "property": "mq"}),
                              ("qom-get", {"path": "/machine/peripheral/net0", "property": "vectors"}))
        assert mq is True and vectors == 8, (mq, vectors)
        env.dcall(path, "Destroy", 0)
        assert link(name) is None
    finally:
        cleanup(env, path)


def q35_domain(name):
    """bare_domain on q35 with two root ports: slots to hot-plug into."""
    return bare_domain(name, "<controller type='pci' index='0' model='pcie-root'/>"
                             "<controller type='pci' index='1' model='pcie-root-port'/>"
                             "<controller type='pci' index='2' model='pcie-root-port'/>"
                             "<memballoon model='none'/>").replace(
        "machine='pc'", "machine='q35'")


def test_hotplug_then_sigkill_then_destroy(env, parent):
    path = env.call("DomainDefineXML", q35_domain("mvplug"))
    try:
        env.dcall(path, "Create", 0)
        before = env.dcall(path, "GetXMLDesc", 0)
        # refused before anything is made, and after (QEMU finds no ROM file): nothing left
        missing = f"vbtest-no{TAG}"
        with dbus_error("OperationFailed", f"host interface '{missing}': no such interface"):
            env.dcall(path, "AttachDevice", direct_nic("52:54:00:6e:5d:05", missing, "bridge"), 1)
        with dbus_error("OperationFailed", "romfile"):
            env.dcall(path, "AttachDevice", direct_nic("52:54:00:6e:5d:05", parent, "bridge", queues=2,
                                                       extra="<rom file='/nonexistent/vbtest.rom'/>"), 1)
        assert env.dcall(path, "GetXMLDesc", 0) == before
        assert parent_macvtaps(parent) == []

        env.dcall(path, "AttachDevice", direct_nic("52:54:00:6e:5d:05", parent, "bridge", queues=2), 1)
        live = env.dcall(path, "GetXMLDesc", 0)
        assert "type='direct'" in live and "<driver queues='2'/>" in live, live
        name = targets(live)[0]
        index = check_link(name, parent, "52:54:00:6e:5d:05", "bridge")
        assert tap_fds(env.status_pid("mvplug"), index) == 2
        assert tap_fds(env.qemud.pid, index) == 0
        # known from the status file
        env.qemud.restart()
        assert targets(env.dcall(path, "GetXMLDesc", 0)) == [name]
        env.dcall(path, "Destroy", 0)
        assert link(name) is None
    finally:
        cleanup(env, path)


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    yield p
    p.stop()


def test_through_libvirt(env, proxy, parent, tmp_path):
    """python-libvirt on the proxy defines and starts it; virsh domiflist
    shows the macvtap on its parent; virsh attach-device --live plugs a
    multiqueue macvtap; destroy deletes both."""
    libvirt = pytest.importorskip("libvirt")
    conn = libvirt.open(proxy.uri)
    try:
        dom = conn.defineXML(q35_domain("mvlibvirt").replace(
            "<memballoon", direct_nic("52:54:00:6e:5d:07", parent, "bridge") + "<memballoon"))
        try:
            dom.create()
            name = targets(dom.XMLDesc(0))[0]
            check_link(name, parent, "52:54:00:6e:5d:07", "bridge")
            out = proxy.virsh("domiflist", "mvlibvirt").stdout
            assert name in out and "direct" in out and parent in out, out
            nic = tmp_path / "nic.xml"
            nic.write_text(direct_nic("52:54:00:6e:5d:08", parent, "private", queues=2))
            proxy.virsh("attach-device", "mvlibvirt", str(nic), "--live")
            names = targets(dom.XMLDesc(0))
            assert len(names) == 2, names
            index = check_link(names[1], parent, "52:54:00:6e:5d:08", "private")
            assert tap_fds(env.status_pid("mvlibvirt"), index) == 2
            dom.destroy()
            assert link(name) is None and link(names[1]) is None
        finally:
            if dom.isActive():
                dom.destroy()
            dom.undefine()
    finally:
        conn.close()
