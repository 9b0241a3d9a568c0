# SPDX-License-Identifier: LGPL-2.1-or-later
"""A hot-plug cut short by a qemud SIGKILL is taken back by the restarted
qemud.

AttachDevice records the plug in the guest's live state (<plug alias=...
undo=.../>) before its first host-side step, and again before its first
QMP command, once the host side is known (a macvtap made). The window is
the test's hook: qemud started with VIRTBUS_TEST_PLUG_PAUSE=<alias> holds
the plug of that alias right before its device_add, and the test SIGKILLs
qemud there. QEMU is asked over its own monitor while qemud is down (what
the plug left is there), then qemud is started again and must:
- find the device absent from QEMU's /machine/peripheral, send the undo
  (netdev_del and closefd of a NIC, chardev-remove of a channel,
  blockdev-del of a disk's nodes) and undo the host side (the macvtap link
  deleted, the disk's image and lease given back);
- drop the <plug> record, keep the live XML as it was before the call, and
  keep the guest running (a new plug of the same device then works).
A guest that boots nothing (q35, TCG) is enough: no device_add reaches QEMU
for a plug held before it. Held after it (<alias>:after), QEMU has the NIC:
the restarted qemud device_dels it (the booted test guest lets it go) and
undoes the rest on its DEVICE_DELETED.
"""

import os
import re
import signal
import subprocess

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from test_qemud_common import bare_domain, module_env, pid_alive

pytestmark = pytest.mark.timeout(300)

env = module_env()

TAG = os.getpid() % 10000
LIVE = 1


def q35_domain(name, extra="", memory_backing=False):
    """bare_domain on q35 with root ports to hot-plug into (and shared memfd
    memory, which a virtiofs share needs)."""
    xml = bare_domain(name, "<controller type='pci' index='0' model='pcie-root'/>"
                            "<controller type='pci' index='1' model='pcie-root-port'/>"
                            "<controller type='pci' index='2' model='pcie-root-port'/>"
                            "<memballoon model='none'/>" + extra).replace("machine='pc'", "machine='q35'")
    if memory_backing:
        xml = xml.replace("</memory>", "</memory>\n  <memoryBacking><source type='memfd'/>"
                                       "<access mode='shared'/></memoryBacking>")
    return xml


def link_exists(name):
    return os.path.exists(f"/sys/class/net/{name}")


def macvtaps_on(parent):
    return [l for l in os.listdir("/sys/class/net")
            if os.path.exists(f"/sys/class/net/{l}/macvtap") and os.path.exists(f"/sys/class/net/{l}/lower_{parent}")]


@pytest.fixture
def parent():
    name, peer = f"vbtest-pv{TAG}", f"vbtest-pp{TAG}"
    subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", peer], check=True)
    try:
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        probe = subprocess.run(["ip", "link", "add", "link", name, f"vbtest-pq{TAG}", "type", "macvtap"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            pytest.skip(f"this kernel makes no macvtap link: {probe.stderr.strip()}")
        subprocess.run(["ip", "link", "del", f"vbtest-pq{TAG}"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], check=False, capture_output=True)


def qemud_pausing(env, alias):
    """qemud started again holding the plug of alias before its device_add."""
    env.qemud.kill(signal.SIGKILL)
    env.qemud.extra_env["VIRTBUS_TEST_PLUG_PAUSE"] = alias
    env.qemud.start()


def qmp(env, name):
    monitor = re.search(r"<monitor path='([^']+)'", env.status_file(name).read_text()).group(1)
    return h.Qmp(monitor, timeout=20)


def qemu_view(q):
    return {"devices": {d["name"] for d in q.cmd("qom-list", path="/machine/peripheral")},
            "chardevs": {c["label"] for c in q.cmd("query-chardev")},
            "netdevs": q.cmd("human-monitor-command", **{"command-line": "info network"}),
            "status": q.cmd("query-status")["status"],
            "files": {n.get("file") for n in q.cmd("query-named-block-nodes")}}


def held_plug(env, path, name, alias, xml):
    """AttachDevice asked (by busctl: it is never answered) and held before
    its device_add; returns the busctl process."""
    marks = env.qemud.log().count("its device_add (VIRTBUS_TEST_PLUG_PAUSE)")
    call = h.spawn(["busctl", f"--address={env.bus.address}", "--timeout=300", "call", "org.virtbus.qemud", path,
                    "org.libvirt.Domain", "AttachDevice", "su", xml, str(LIVE)],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env.bus.env)
    h.wait_until(lambda: env.qemud.log().count("its device_add (VIRTBUS_TEST_PLUG_PAUSE)") > marks, 60, 0.2,
                 f"the plug of {alias} to be held")
    assert f"<plug alias='{alias}'" in env.status_file(name).read_text()
    return call


def killed_midway(env, name, call):
    """SIGKILL of qemud with the plug held; QEMU's view while it is down."""
    env.qemud.kill(signal.SIGKILL)
    call.communicate(timeout=30)
    assert call.returncode != 0     # never answered
    q = qmp(env, name)
    try:
        return qemu_view(q)
    finally:
        q.close()


def view_after_restart(env, name, alias):
    """qemud started again; QEMU's view once the plug's record is gone."""
    env.qemud.start()
    h.wait_until(lambda: f"<plug alias='{alias}'" not in env.status_file(name).read_text(), 60, 0.2,
                 f"the restarted qemud to take back the plug of {alias}")
    env.dcall(env.path_of[name], "MemoryStats", 0)   # answered once QEMU did what qemud sent before
    env.qemud.kill(signal.SIGKILL)
    try:
        q = qmp(env, name)
        try:
            return qemu_view(q)
        finally:
            q.close()
    finally:
        env.qemud.start()


@pytest.fixture
def running(env):
    made = []

    def make(name, extra="", memory_backing=False):
        path = env.call("DomainDefineXML", q35_domain(name, extra, memory_backing))
        made.append(path)
        env.dcall(path, "Create", 0)
        if not hasattr(env, "path_of"):
            env.path_of = {}
        env.path_of[name] = path
        return path

    yield make
    env.qemud.extra_env.pop("VIRTBUS_TEST_PLUG_PAUSE", None)
    if not env.qemud.alive():
        env.qemud.start()
    for path in made:
        if env.state(path)[0] != S.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


def test_macvtap_plug_cut_short(env, running, parent):
    name, mac = "plugmv", "52:54:00:6e:5e:01"
    nic = (f"<interface type='direct'><mac address='{mac}'/><source dev='{parent}' mode='bridge'/>"
           "<model type='virtio'/></interface>")
    path = running(name)
    before = env.dcall(path, "GetXMLDesc", 0)
    qemud_pausing(env, "net0")
    call = held_plug(env, path, name, "net0", nic)
    record = env.status_file(name).read_text()
    made = macvtaps_on(parent)
    assert len(made) == 1, made
    assert f"direct='{made[0]}'" in record, record

    down = killed_midway(env, name, call)
    assert "net0" not in down["devices"]
    assert "hostnet0" in down["netdevs"], down["netdevs"]      # what the plug left in QEMU
    assert link_exists(made[0])

    after = view_after_restart(env, name, "net0")
    assert "hostnet0" not in after["netdevs"], after["netdevs"]
    assert after["status"] == "running"
    assert not link_exists(made[0]), f"macvtap {made[0]} left behind"
    assert macvtaps_on(parent) == []
    assert env.dcall(path, "GetXMLDesc", 0) == before
    assert env.state(path)[0] == S.RUNNING
    assert "<plug " not in env.status_file(name).read_text()

    # the guest takes the same NIC afterwards (nothing of the first one is in the way)
    env.qemud.extra_env.pop("VIRTBUS_TEST_PLUG_PAUSE")
    env.qemud.restart()
    env.dcall(path, "AttachDevice", nic, LIVE)
    assert mac in env.dcall(path, "GetXMLDesc", 0)
    assert len(macvtaps_on(parent)) == 1


def test_macvtap_plug_cut_short_and_qemu_gone(env, running, parent):
    """QEMU killed too while qemud is down in the middle of the plug: the
    restarted qemud finds the guest gone, and its stop takes back what the
    plug made on the host (the macvtap)."""
    name, mac = "plugmvgone", "52:54:00:6e:5e:03"
    nic = (f"<interface type='direct'><mac address='{mac}'/><source dev='{parent}' mode='bridge'/>"
           "<model type='virtio'/></interface>")
    path = running(name)
    qemud_pausing(env, "net0")
    call = held_plug(env, path, name, "net0", nic)
    made = macvtaps_on(parent)
    assert len(made) == 1, made
    qemu = env.status_pid(name)
    env.qemud.kill(signal.SIGKILL)
    call.communicate(timeout=30)
    os.kill(qemu, signal.SIGKILL)
    h.wait_until(lambda: not pid_alive(qemu), 20, what="QEMU gone")
    env.qemud.extra_env.pop("VIRTBUS_TEST_PLUG_PAUSE")
    env.qemud.start()
    h.wait_until(lambda: env.state(path)[0] == S.SHUTOFF, 30, what="the guest found shut off")
    h.wait_until(lambda: not link_exists(made[0]), 10, what=f"macvtap {made[0]} to go")
    assert macvtaps_on(parent) == []
    assert "taking back what the unfinished plug of net0 took" in env.qemud.log()


def test_channel_plug_cut_short(env, running):
    name = "plugchr"
    sock = env.root.path / "plugchr.sock"
    xml = (f"<channel type='unix'><source mode='bind' path='{sock}'/>"
           "<target type='virtio' name='org.test.pend.0'/></channel>")
    path = running(name, "<controller type='virtio-serial' index='0'/>")
    before = env.dcall(path, "GetXMLDesc", 0)
    qemud_pausing(env, "channel0")
    call = held_plug(env, path, name, "channel0", xml)

    down = killed_midway(env, name, call)
    assert "charchannel0" in down["chardevs"], down["chardevs"]   # what the plug left in QEMU
    assert "channel0" not in down["devices"]

    after = view_after_restart(env, name, "channel0")
    assert "charchannel0" not in after["chardevs"], after["chardevs"]
    assert after["status"] == "running"
    assert env.dcall(path, "GetXMLDesc", 0) == before
    assert env.state(path)[0] == S.RUNNING
    assert "<plug " not in env.status_file(name).read_text()


def test_device_in_qemu_is_unplugged_then_undone(env, parent):
    """Killed once QEMU took the device_add (held before its answer is
    read): the restarted qemud finds the NIC in QEMU, not in the live XML,
    unplugs it (the booted guest lets it go) and then undoes the rest."""
    if not env.guest:
        pytest.skip("no test guest (VIRTBUS_GUEST_DIR)")
    name, mac = "plugboot", "52:54:00:6e:5e:02"
    log = env.root.path / "plugboot-serial.log"
    ports = "".join(f"<controller type='pci' index='{i}' model='pcie-root-port'/>" for i in (1, 2, 3))
    path = env.call("DomainDefineXML", h.guest_domain_xml(env.guest, name, nic=None, serial_log=log,
                                                          extra_devices=ports, extra_cmdline="virtbus.nodhcp"))
    env.path_of = getattr(env, "path_of", {})
    env.path_of[name] = path
    nic = (f"<interface type='direct'><mac address='{mac}'/><source dev='{parent}' mode='bridge'/>"
           "<model type='virtio'/></interface>")
    try:
        env.dcall(path, "Create", 0)
        h.wait_until(lambda: log.exists() and b"VIRTBUS-GUEST-READY" in log.read_bytes(), 150, 0.5,
                     "the guest to boot")
        before = env.dcall(path, "GetXMLDesc", 0)
        qemud_pausing(env, "net0:after")
        call = held_plug(env, path, name, "net0", nic)
        made = macvtaps_on(parent)
        assert len(made) == 1, made

        down = killed_midway(env, name, call)
        assert "net0" in down["devices"], down["devices"]      # QEMU has the device

        env.qemud.extra_env.pop("VIRTBUS_TEST_PLUG_PAUSE")
        after = view_after_restart(env, name, "net0")
        assert "net0 was plugged while qemud went down: unplugging it" in env.qemud.log()
        assert "net0" not in after["devices"], after["devices"]
        assert "hostnet0" not in after["netdevs"], after["netdevs"]
        assert after["status"] == "running"
        assert macvtaps_on(parent) == [], "the macvtap left behind"
        assert env.dcall(path, "GetXMLDesc", 0) == before
        assert env.state(path)[0] == S.RUNNING
    finally:
        env.qemud.extra_env.pop("VIRTBUS_TEST_PLUG_PAUSE", None)
        if not env.qemud.alive():
            env.qemud.start()
        if env.state(path)[0] != S.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


def test_disk_plug_cut_short(env, running):
    """The disk's blockdev-add nodes are taken back (blockdev-del), and the
    image given back as the record says (its lease, its owner)."""
    name = "plugdisk"
    img = env.root.path / "plugdisk.img"
    with open(img, "wb") as f:
        f.truncate(8 << 20)
    xml = (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{img}'/>"
           "<target dev='vdb' bus='virtio'/></disk>")
    path = running(name)
    before = env.dcall(path, "GetXMLDesc", 0)
    owner = os.stat(img).st_uid, os.stat(img).st_gid
    qemud_pausing(env, "virtio-disk1")
    call = held_plug(env, path, name, "virtio-disk1", xml)
    record = env.status_file(name).read_text()
    assert f"disk='{img}'" in record and f"lease='{img}'" in record, record

    down = killed_midway(env, name, call)
    assert str(img) in down["files"], down["files"]     # what the plug left in QEMU
    assert "virtio-disk1" not in down["devices"]

    after = view_after_restart(env, name, "virtio-disk1")
    assert str(img) not in after["files"], after["files"]
    assert after["status"] == "running"
    assert (os.stat(img).st_uid, os.stat(img).st_gid) == owner
    assert env.dcall(path, "GetXMLDesc", 0) == before
    assert env.state(path)[0] == S.RUNNING
    assert "<plug " not in env.status_file(name).read_text()


def alive(pid):
    """Running (a zombie left to whoever reaps it counts as ended)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" not in f.read()
    except FileNotFoundError:
        return False


def test_virtiofs_plug_cut_short(env, running):
    """A share's virtiofsd, started right before the plug's QMP commands,
    ends after the restart: the undo's chardev-remove closes QEMU's
    connection to it (the record's virtiofsd='yes' stops one QEMU never
    connected to)."""
    if not os.access("/usr/lib/qemu/virtiofsd", os.X_OK):
        pytest.skip("no /usr/lib/qemu/virtiofsd on this host")
    name = "plugfs"
    share = env.root.path / "plugfs-share"
    share.mkdir()
    xml = (f"<filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/>"
           f"<source dir='{share}'/><target dir='plugtag'/></filesystem>")
    path = running(name, memory_backing=True)
    before = env.dcall(path, "GetXMLDesc", 0)
    qemud_pausing(env, "fs0")
    call = held_plug(env, path, name, "fs0", xml)
    assert "virtiofsd='yes'" in env.status_file(name).read_text()
    pidfiles = list(env.root.path.rglob("fs0-fs.pid"))
    assert len(pidfiles) == 1, pidfiles
    pid = int(pidfiles[0].read_text().split()[0])
    assert alive(pid)

    killed_midway(env, name, call)
    assert alive(pid)
    view_after_restart(env, name, "fs0")
    h.wait_until(lambda: not alive(pid), 20, 0.2, f"virtiofsd {pid} to end")
    assert env.dcall(path, "GetXMLDesc", 0) == before
    assert env.state(path)[0] == S.RUNNING
