# SPDX-License-Identifier: LGPL-2.1-or-later
"""Device hot-plug in virtbus-qemud: AttachDevice, DetachDevice and
UpdateDevice with libvirt's AFFECT flags, on the booted test guest (TCG).

One guest for the module (q35 with two spare pcie-root-ports, a virtio
disk vda with its lease, an empty SATA cdrom), with a root shell on its
serial console, reached through a unix socket: the tests look into the
guest's /sys/block and write to a plugged disk from inside it.
"""

import re
import shutil
import socket
import threading
import time

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import dbus_error, module_env, snapshot, assert_same_snapshot

env = module_env()

LIVE, CONFIG = 1, 2
DOMAIN_IF = "org.libvirt.Domain"


class Console:
    """The guest's ttyS0 through QEMU's unix socket: everything read is kept;
    run() types a command and waits for its end marker."""

    def __init__(self, path):
        self.path = str(path)
        self.buf = b""
        self.lock = threading.Lock()
        self.sock = None
        self.stop = False
        self.n = 0

    def connect(self, timeout=60):
        h.wait_until(lambda: self._try_connect(), timeout, 0.2, f"the console socket {self.path}")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        return self

    def _try_connect(self):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.path)
            self.sock = s
            return True
        except OSError:
            return False

    def _read(self):
        while not self.stop:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.buf += data

    def text(self):
        with self.lock:
            return self.buf

    def run(self, cmd, timeout=30):
        """Runs cmd in the guest's shell; returns its output (bytes)."""
        self.n += 1
        mark = f"VBDONE{self.n}"
        start = len(self.text())
        # the marker is assembled by the shell, so the echo of the typed
        # line never matches
        self.sock.sendall(f"{cmd}; echo VB''DONE{self.n}\n".encode())
        h.wait_until(lambda: mark.encode() in self.text()[start:], timeout, 0.1,
                     f"{cmd!r} in the guest")
        out = self.text()[start:]
        out = out[:out.index(mark.encode())]
        return out

    def close(self):
        self.stop = True
        if self.sock:
            self.sock.close()


@pytest.fixture(scope="module")
def dev(env):
    """The running guest and its console: (Guest, Console, files dir)."""
    files = env.root / "devfiles"
    files.mkdir()
    vda = files / "vda.img"
    vda.write_bytes(b"\0" * (16 << 20))
    for name, size in (("vdb.img", 8 << 20), ("vdc.img", 4 << 20), ("cd1.iso", 1 << 20),
                       ("cd2.iso", 2 << 20)):
        (files / name).write_bytes(b"\0" * size)
    sock = env.root / "console.sock"
    extra = f"""    <serial type='unix'>
      <source mode='bind' path='{sock}'/>
      <target port='0'/>
    </serial>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <controller type='pci' index='3' model='pcie-root-port'/>
    <controller type='pci' index='4' model='pcie-root-port'/>
    <controller type='pci' index='5' model='pcie-root-port'/>"""
    xml = h.guest_domain_xml(env.guest, "dev1", nic=None, disks=[str(vda)], extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp")
    path = env.call("DomainDefineXML", xml)
    from test_qemud_common import Guest
    g = Guest(env, path, "dev1")
    g.call("Create", 0)
    con = Console(sock).connect()
    # the shell answers once the guest booted
    try:
        h.wait_until(lambda: _shell_ready(con), 150, 1, "a shell on the guest's console")
    except TimeoutError as e:
        raise AssertionError(f"{e}; console ends with:\n"
                             f"{con.text()[-3000:].decode(errors='replace')}") from None
    yield g, con, files
    con.close()
    try:
        g.call("Destroy", 0)
    except dbus.exceptions.DBusException:
        pass


def _shell_ready(con):
    try:
        con.sock.sendall(b"\necho RE''ADY\n")
    except OSError:
        return False
    time.sleep(0.5)
    return b"READY" in con.text()


def console_devices(sock, root_ports=3):
    """The devices of a guest with a shell on its console: a serial console
    on the unix socket sock, and a PCIe root with root_ports
    pcie-root-ports to hot-plug into."""
    ports = "".join(f"\n    <controller type='pci' index='{i}' model='pcie-root-port'/>"
                    for i in range(1, root_ports + 1))
    return f"""    <serial type='unix'>
      <source mode='bind' path='{sock}'/>
      <target port='0'/>
    </serial>
    <controller type='pci' index='0' model='pcie-root'/>{ports}"""


def start_shell_guest(env, name, sock, devices="", root_ports=3, **kw):
    """Defines and starts the test guest `name` with a shell on its console
    (console_devices() after devices, no NIC of its own); returns its path
    and its connected Console, for the caller to wait_shell() on and end."""
    extra = (f"    {devices}\n" if devices else "") + console_devices(sock, root_ports)
    xml = h.guest_domain_xml(env.guest, name, nic=None, extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp", **kw)
    path = env.qemud.call("DomainDefineXML", xml)
    env.dcall(path, "Create", 0)
    return path, Console(sock).connect()


def wait_shell(con, timeout):
    """Waits for the shell on the guest's console (the guest booted); fails
    with the end of the console."""
    try:
        h.wait_until(lambda: _shell_ready(con), timeout, 1, "a shell on the guest's console")
    except TimeoutError as e:
        raise AssertionError(f"{e}; console ends with:\n"
                             f"{con.text()[-3000:].decode(errors='replace')}") from None


def guest_queues(con, nic_mac):
    """(ifname, sorted queue dirs) of the guest's NIC with this MAC, or
    (None, None)."""
    out = con.run("for n in /sys/class/net/eth*; do echo NIC ${n##*/} $(cat $n/address) $(ls $n/queues); done")
    for line in out.decode(errors="replace").splitlines():
        w = line.split()
        if len(w) >= 3 and w[0] == "NIC" and w[2] == nic_mac:
            return w[1], sorted(w[3:])
    return None, None


def disk_xml(path, dev, bus="virtio", extra=""):
    return (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
            f"<source file='{path}'/><target dev='{dev}' bus='{bus}'/>{extra}</disk>")


def xmls(g):
    return g.call("GetXMLDesc", 0), g.call("GetXMLDesc", 2)


def guest_blocks(con):
    return set(con.run("ls /sys/block").decode(errors="replace").split())


def guest_disks(con):
    """{name: size in sectors} of the guest's virtio disks. The guest's
    kernel names them in the order they came (a disk plugged after vdb went
    away is vdb again), so the tests tell them apart by size."""
    out = con.run("for d in /sys/block/vd*; do echo DISK ${d##*/} $(cat $d/size); done")
    return {m[0]: int(m[1]) for m in re.findall(r"DISK (vd\w+) (\d+)", out.decode(errors="replace"))}


def has_size(con, size):
    return size // 512 in guest_disks(con).values()


def test_virtio_disk_attached_seen_written_detached(env, dev):
    g, con, files = dev
    vdb = files / "vdb.img"
    assert "vdb" not in guest_blocks(con)
    added = env.mon.mark()
    t0 = time.monotonic()
    g.call("AttachDevice", disk_xml(vdb, "vdb"), LIVE | CONFIG)
    attach_s = time.monotonic() - t0
    # libvirt's DEVICE_ADDED once QEMU has the device
    env.mon.wait_signal("DeviceAdded", interface=DOMAIN_IF, path=g.path, args=["virtio-disk1"],
                        since=added, timeout=10)
    live, inactive = xmls(g)
    assert f"<source file='{vdb}'/>" in live and "dev='vdb'" in live
    assert "alias name='virtio-disk1'" in live
    assert "dev='vdb'" in inactive and "alias" not in inactive
    # the saved definition has it too, with the address it got live
    conf = (env.conf_dir / "dev1.xml").read_text()
    assert "dev='vdb'" in conf
    addr_live = re.search(r"dev='vdb'.*?(<address type='pci'[^>]*>)", live, re.S).group(1)
    addr_conf = re.search(r"dev='vdb'.*?(<address type='pci'[^>]*>)", conf, re.S).group(1)
    assert addr_live == addr_conf
    # the guest sees it, and writes to it
    h.wait_until(lambda: "vdb" in guest_blocks(con), 30, 0.5, "vdb in the guest's /sys/block")
    assert con.run("cat /sys/block/vdb/size").split()[-1] == str((8 << 20) // 512).encode()
    con.run("echo VIRTBUS-HOTPLUG-WRITTEN | dd of=/dev/vdb bs=512 conv=fsync 2>/dev/null")
    assert vdb.read_bytes().startswith(b"VIRTBUS-HOTPLUG-WRITTEN\n")
    # the live state keeps it
    assert "dev='vdb'" in env.status_file("dev1").read_text()

    mark = env.mon.mark()
    t0 = time.monotonic()
    g.call("DetachDevice", disk_xml(vdb, "vdb"), LIVE | CONFIG)
    detach_s = time.monotonic() - t0
    env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=["virtio-disk1"],
                        since=mark, timeout=30)
    h.wait_until(lambda: "vdb" not in guest_blocks(con), 30, 0.5, "vdb gone from the guest")
    live, inactive = xmls(g)
    assert "vdb" not in live and "vdb" not in inactive
    assert "vdb" not in (env.conf_dir / "dev1.xml").read_text()
    assert "vdb" not in env.status_file("dev1").read_text()
    print(f"\nattach {attach_s:.3f}s, detach {detach_s:.3f}s")


def test_flags_config_only_and_live_only(env, dev):
    g, con, files = dev
    vdc = files / "vdc.img"
    g.call("AttachDevice", disk_xml(vdc, "vdc"), CONFIG)
    live, inactive = xmls(g)
    assert "dev='vdc'" in inactive and "dev='vdc'" not in live
    assert not has_size(con, 4 << 20)
    g.call("DetachDevice", disk_xml(vdc, "vdc"), CONFIG)
    live, inactive = xmls(g)
    assert "vdc" not in inactive
    # CURRENT on a running guest is LIVE
    g.call("AttachDevice", disk_xml(vdc, "vdc"), 0)
    live, inactive = xmls(g)
    assert "dev='vdc'" in live and "dev='vdc'" not in inactive
    h.wait_until(lambda: has_size(con, 4 << 20), 30, 0.5, "vdc (4 MiB) in the guest")
    mark = env.mon.mark()
    g.call("DetachDevice", disk_xml(vdc, "vdc"), 0)
    env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, since=mark, timeout=30)
    assert "vdc" not in g.call("GetXMLDesc", 0)


def test_bad_input_changes_nothing(env, dev):
    g, con, files = dev
    vdb = files / "vdb.img"
    before = snapshot(env)
    with dbus_error("XMLError", "malformed"):
        g.call("AttachDevice", "<disk type='file'", LIVE)
    with dbus_error("NotSupported", "unknown device type 'frobnicator'"):
        g.call("AttachDevice", "<frobnicator/>", LIVE)
    with dbus_error("OperationFailed", "vdq", "live"):
        g.call("DetachDevice", disk_xml(vdb, "vdq"), LIVE)
    with dbus_error("OperationFailed", "vdq", "persistent"):
        g.call("DetachDevice", disk_xml(vdb, "vdq"), CONFIG)
    with dbus_error("OperationFailed", "vdq"):
        g.call("UpdateDevice", disk_xml(vdb, "vdq"), LIVE)
    with dbus_error("OperationInvalid", "vda", "already exists"):
        g.call("AttachDevice", disk_xml(vdb, "vda"), LIVE | CONFIG)
    # vda's PCI address, taken by another disk
    live = g.call("GetXMLDesc", 0)
    addr = re.search(r"dev='vda'.*?(<address type='pci'[^>]*/>)", live, re.S).group(1)
    with pytest.raises(dbus.exceptions.DBusException) as e:
        g.call("AttachDevice", disk_xml(vdb, "vdd", extra=addr), LIVE)
    assert "vda" in e.value.get_dbus_message() and "vdd" in e.value.get_dbus_message(), e.value
    with dbus_error("OperationInvalid", "only disk", "lease"):
        g.call("DetachDevice", disk_xml(files / "vda.img", "vda"), LIVE)
    with dbus_error("InvalidArg"):
        g.call("AttachDevice", disk_xml(vdb, "vdd"), 4)
    assert_same_snapshot(before, snapshot(env))
    assert sorted(guest_disks(con)) == ["vda"]


def test_cdrom_insert_eject_signals(env, dev):
    g, con, files = dev
    cd1, cd2 = files / "cd1.iso", files / "cd2.iso"

    def cd(src=None):
        s = f"<source file='{src}'/>" if src else ""
        return (f"<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>{s}"
                f"<target dev='sda' bus='sata'/><readonly/></disk>")

    mark = env.mon.mark()
    g.call("UpdateDevice", cd(cd1), LIVE)
    env.mon.wait_signal("TrayChange", interface=DOMAIN_IF, path=g.path, args=["sata0-0-0", 1],
                        since=mark, timeout=10)
    env.mon.wait_signal("DiskChange", interface=DOMAIN_IF, path=g.path,
                        args=["", str(cd1), "sata0-0-0"], since=mark, timeout=10)
    trays = [m["payload"]["data"] for m in env.mon.signals("TrayChange", path=g.path, since=mark)]
    assert trays[0] == ["sata0-0-0", 0] and trays[-1] == ["sata0-0-0", 1]
    assert f"<source file='{cd1}'/>" in g.call("GetXMLDesc", 0)
    assert f"{cd1}" not in g.call("GetXMLDesc", 2)

    mark = env.mon.mark()
    g.call("UpdateDevice", cd(cd2), LIVE | CONFIG)
    env.mon.wait_signal("DiskChange", interface=DOMAIN_IF, path=g.path,
                        args=[str(cd1), str(cd2), "sata0-0-0"], since=mark, timeout=10)
    assert f"<source file='{cd2}'/>" in g.call("GetXMLDesc", 0)
    assert f"<source file='{cd2}'/>" in g.call("GetXMLDesc", 2)

    mark = env.mon.mark()
    g.call("UpdateDevice", cd(None), LIVE | CONFIG)     # eject
    env.mon.wait_signal("TrayChange", interface=DOMAIN_IF, path=g.path, args=["sata0-0-0", 0],
                        since=mark, timeout=10)
    env.mon.wait_signal("DiskChange", interface=DOMAIN_IF, path=g.path,
                        args=[str(cd2), "", "sata0-0-0"], since=mark, timeout=10)
    assert "cd2.iso" not in g.call("GetXMLDesc", 0)
    assert "cd2.iso" not in g.call("GetXMLDesc", 2)


def test_plugged_disk_survives_a_qemud_sigkill(env, dev):
    g, con, files = dev
    vdc = files / "vdc.img"
    g.call("AttachDevice", disk_xml(vdc, "vdc"), LIVE)
    h.wait_until(lambda: has_size(con, 4 << 20), 30, 0.5, "vdc (4 MiB) in the guest")
    pid = g.pid()
    before = g.call("GetXMLDesc", 0)
    env.qemud.kill()
    env.qemud.start()
    assert g.pid() == pid
    after = g.call("GetXMLDesc", 0)
    assert "dev='vdc'" in after and "virtio-disk2" in after
    assert after == before
    # and it still goes away through the reconnected monitor
    mark = env.mon.mark()
    g.call("DetachDevice", disk_xml(vdc, "vdc"), LIVE)
    env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=["virtio-disk2"],
                        since=mark, timeout=30)
    h.wait_until(lambda: not has_size(con, 4 << 20), 30, 0.5, "vdc (4 MiB) gone from the guest")


def test_rng_and_channel_hotplug(env, dev):
    g, con, files = dev
    rng = "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
    g.call("AttachDevice", rng, LIVE)
    assert "<rng model='virtio'>" in g.call("GetXMLDesc", 0)
    chan = (f"<channel type='unix'><source mode='bind' path='{env.root}/chan.sock'/>"
            f"<target type='virtio' name='org.virtbus.test.0'/></channel>")
    g.call("AttachDevice", chan, LIVE)
    live = g.call("GetXMLDesc", 0)
    assert "org.virtbus.test.0" in live
    assert (env.root / "chan.sock").exists()
    mark = env.mon.mark()
    g.call("DetachDevice", chan, LIVE)
    g.call("DetachDevice", rng, LIVE)
    env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=["rng0"],
                        since=mark, timeout=30)
    live = g.call("GetXMLDesc", 0)
    assert "<rng" not in live

    # Aliases stay what they were plugged with: a third rng plugged after
    # the first went takes the free rng0, not rng1 (the second's, which
    # QEMU still has), and each leaves with its own backend object.
    builtin = "<rng model='virtio'><backend model='builtin'/></rng>"
    g.call("AttachDevice", rng, LIVE)
    g.call("AttachDevice", builtin, LIVE)
    mark = env.mon.mark()
    g.call("DetachDevice", rng, LIVE)
    env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=["rng0"],
                        since=mark, timeout=30)
    g.call("AttachDevice", rng, LIVE)
    live = g.call("GetXMLDesc", 0)
    assert live.count("<rng ") == 2 and "<alias name='rng0'/>" in live and "<alias name='rng1'/>" in live, live
    for xml, alias in ((builtin, "rng1"), (rng, "rng0")):
        mark = env.mon.mark()
        g.call("DetachDevice", xml, LIVE)
        env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=[alias],
                            since=mark, timeout=30)
    assert "<rng" not in g.call("GetXMLDesc", 0)
    # the backend objects went with them: the same rngs plug again
    g.call("AttachDevice", builtin, LIVE)
    mark = env.mon.mark()
    g.call("DetachDevice", builtin, LIVE)
    env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=["rng0"],
                        since=mark, timeout=30)


def test_virsh_attach_detach_through_the_proxy(env, dev):
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    g, con, files = dev
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        xmlf = env.root / "vdd.xml"
        xmlf.write_text(disk_xml(files / "vdb.img", "vdd"))
        proxy.virsh("attach-device", "dev1", str(xmlf), "--live", "--config")
        assert "dev='vdd'" in g.call("GetXMLDesc", 0) and "dev='vdd'" in g.call("GetXMLDesc", 2)
        h.wait_until(lambda: has_size(con, 8 << 20), 30, 0.5, "vdd (8 MiB) in the guest")
        r = proxy.virsh("domblklist", "dev1", check=False)
        proxy.virsh("detach-device", "dev1", str(xmlf), "--live", "--config")
        h.wait_until(lambda: "vdd" not in g.call("GetXMLDesc", 0), 30, 0.5, "vdd gone")
        assert "vdd" not in g.call("GetXMLDesc", 2)
        # the flagless call (proc 8) is a live attach
        proxy.virsh("attach-disk", "dev1", str(files / "vdb.img"), "vde", "--targetbus", "virtio")
        assert "dev='vde'" in g.call("GetXMLDesc", 0) and "vde" not in g.call("GetXMLDesc", 2)
        proxy.virsh("detach-disk", "dev1", "vde")
        h.wait_until(lambda: "vde" not in g.call("GetXMLDesc", 0), 30, 0.5, "vde gone")
        # a cdrom's medium (proc 162)
        proxy.virsh("change-media", "dev1", "sda", str(files / "cd1.iso"), "--insert", "--live")
        assert f"<source file='{files / 'cd1.iso'}'/>" in g.call("GetXMLDesc", 0)
        proxy.virsh("change-media", "dev1", "sda", "--eject", "--live")
        assert "cd1.iso" not in g.call("GetXMLDesc", 0)
    finally:
        proxy.stop()


def test_detach_of_a_paused_guest_returns_after_5s_and_completes_later(env, dev):
    """libvirt's asynchronous removal: the guest cannot answer while paused;
    the call returns after 5 s, the device stays in the live definition until
    the guest lets it go, then DeviceRemoved."""
    g, con, files = dev
    vdc = files / "vdc.img"
    g.call("AttachDevice", disk_xml(vdc, "vdc"), LIVE)
    h.wait_until(lambda: has_size(con, 4 << 20), 30, 0.5, "vdc (4 MiB) in the guest")
    g.call("Suspend")
    try:
        mark = env.mon.mark()
        t0 = time.monotonic()
        g.call("DetachDevice", disk_xml(vdc, "vdc"), LIVE)
        took = time.monotonic() - t0
        assert 4.5 <= took < 15, f"DetachDevice of a paused guest took {took:.1f}s"
        assert "dev='vdc'" in g.call("GetXMLDesc", 0)
        assert not env.mon.signals("DeviceRemoved", path=g.path, since=mark)
        # a second detach of the same device is refused while the first waits
        with dbus_error("OperationInvalid", "already in progress"):
            g.call("DetachDevice", disk_xml(vdc, "vdc"), LIVE)
    finally:
        g.call("Resume")
    env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=["virtio-disk2"],
                        since=mark, timeout=30)
    assert "vdc" not in g.call("GetXMLDesc", 0)
    h.wait_until(lambda: not has_size(con, 4 << 20), 30, 0.5, "vdc gone from the guest")


def test_scsi_disk_brings_its_controller(env, dev):
    g, con, files = dev
    assert "type='scsi'" not in g.call("GetXMLDesc", 0)
    g.call("AttachDevice", disk_xml(files / "vdc.img", "sdb", bus="scsi"), LIVE)
    live = g.call("GetXMLDesc", 0)
    assert re.search(r"<controller type='scsi' index='0' model='virtio-scsi'>", live), live
    assert "dev='sdb'" in live and "alias name='scsi0-0-0-1'" in live or "dev='sdb'" in live
    # the controller is in use: not detached before its disk
    with dbus_error("OperationInvalid", "in use by disk 'sdb'"):
        g.call("DetachDevice", "<controller type='scsi' index='0'/>", LIVE)
    mark = env.mon.mark()
    g.call("DetachDevice", disk_xml(files / "vdc.img", "sdb", bus="scsi"), LIVE)
    env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, since=mark, timeout=30)
    assert "dev='sdb'" not in g.call("GetXMLDesc", 0)


def test_volume_disk_resolved_marked_and_released(env, dev):
    """<disk type='volume'> attached live: storaged resolves it (the guest
    sees the volume's capacity) and marks it in use by the guest; the mark
    goes when the disk is detached."""
    from test_storaged_common import Storaged, vol_xml
    g, con, files = dev
    sd = h.Daemon("storaged", env.bus, env.root).start()
    try:
        s = Storaged(sd, env.bus, env.mon)
        pool = s.start_dir_pool("hp", env.root / "hp-pool")
        vol = s.create_vol(pool, vol_xml("v1.img", 6 << 20, "raw"))
        vpath = s.bus.get_property("org.virtbus.storaged", vol, "org.libvirt.StorageVol", "Path")
        uuid = g.prop("UUID")

        def in_use():
            return sorted(tuple(x)[:2] for x in s.storage1("ListVolumesInUse"))

        xml = ("<disk type='volume' device='disk'><source pool='hp' volume='v1.img'/>"
               "<target dev='vdf' bus='virtio'/></disk>")
        g.call("AttachDevice", xml, LIVE)
        live = g.call("GetXMLDesc", 0)
        assert "<source pool='hp' volume='v1.img'/>" in live, live
        h.wait_until(lambda: has_size(con, 6 << 20), 30, 0.5, "the volume (6 MiB) in the guest")
        h.wait_until(lambda: (uuid, vpath) in in_use(), 10, 0.2, "the volume marked in use")
        mark = env.mon.mark()
        g.call("DetachDevice", xml, LIVE)
        env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, since=mark, timeout=30)
        h.wait_until(lambda: (uuid, vpath) not in in_use(), 10, 0.2, "the volume's mark released")
        # a volume that does not exist: a specific error, nothing changed
        before = g.call("GetXMLDesc", 0)
        with dbus_error("NoStorageVol", "nosuch.img"):
            g.call("AttachDevice", xml.replace("v1.img", "nosuch.img"), LIVE)
        assert g.call("GetXMLDesc", 0) == before
    finally:
        sd.stop()


def test_live_refusal_of_a_live_and_config_attach_changes_neither(env, dev):
    """The persistent half is checked first and would fit; the live half is
    refused: neither definition changes and qemud lives on (the persistent
    copy was once freed twice here)."""
    g, con, files = dev
    vdc = files / "vdc.img"
    g.call("AttachDevice", disk_xml(vdc, "vdc"), LIVE)
    try:
        before = snapshot(env)
        with dbus_error("OperationInvalid", "vdc", "already exists in the live definition"):
            g.call("AttachDevice", disk_xml(vdc, "vdc"), LIVE | CONFIG)
        assert env.qemud.alive()
        assert_same_snapshot(before, snapshot(env))
    finally:
        mark = env.mon.mark()
        g.call("DetachDevice", disk_xml(vdc, "vdc"), LIVE)
        env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, since=mark, timeout=30)
