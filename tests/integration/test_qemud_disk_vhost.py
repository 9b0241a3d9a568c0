# SPDX-License-Identifier: LGPL-2.1-or-later
"""Disks served by helper processes in virtbus-qemud, with the TCG test guest.

- <disk type='vhostuser'>: Debian's qemu-storage-daemon exports a raw file
  as vhost-user-blk on a unix socket; QEMU's vhost-user-blk-pci connects to
  it and the booted guest (its RAM a shared memfd) sees a virtio disk of the
  file's size; a second one hot-plugged (chardev-add, then the device) is
  seen by the guest's kernel, detached (its chardev removed) and plugged
  again. A start without a back end listening fails naming the
  socket, and leaves the domain shut off. Through python-libvirt on the
  proxy and virsh too.
- <reservations managed='yes'/> on a device='lun' disk: qemud runs
  qemu-pr-helper for the guest (its socket in the live XML) and stops it with
  the guest; on a host without a SCSI disk the start refuses naming the
  device and leaves no helper (test-qemu-pr-helper runs the real helper
  against QEMU's pr-manager-helper there).
- bus='sd': kept, on QEMU's line as libvirt's -drive if=sd; x86 QEMU refuses
  it at start (no SD controller), naming it.
"""

import os
import re
import subprocess

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, module_env
from virtbus_harness import DomainState as S

env = module_env()

QSD = "/usr/bin/qemu-storage-daemon"
LIVE = 1
SHARED = "<memoryBacking>\n    <source type='memfd'/>\n    <access mode='shared'/>\n  </memoryBacking>\n  "
DISK_RE = rb"VIRTBUS-GUEST-DISK (vd[a-z]+) (\d+)"
SIZE = 24 << 20
SIZE2 = 40 << 20


def vhost_disk(sock, dev="vda", reconnect=""):
    inner = f"\n        <reconnect enabled='yes' timeout='{reconnect}'/>\n      " if reconnect else ""
    end = f">{inner}</source>" if inner else "/>"
    return (f"    <disk type='vhostuser' device='disk'>\n"
            f"      <driver name='qemu' type='raw'/>\n"
            f"      <source type='unix' path='{sock}'{end}\n"
            f"      <target dev='{dev}' bus='virtio'/>\n"
            f"    </disk>")


def define(env, name, devices, shared=True):
    xml = env.guest_xml(name, nic=None, machine="pc", extra_devices=devices)
    if shared:
        xml = xml.replace("<vcpu>", SHARED + "<vcpu>", 1)
    return Guest(env, env.call("DomainDefineXML", xml), name)


@pytest.fixture(scope="module")
def backend(env):
    """qemu-storage-daemon exporting two raw files, each on its own
    vhost-user-blk socket (one client each)."""
    if not os.access(QSD, os.X_OK):
        pytest.skip(f"{QSD} is missing (Debian's qemu-system-common has it)")
    args, out = [QSD], []
    for i, size in enumerate((SIZE, SIZE2)):
        img, sock = env.root / f"vu-disk{i}.img", env.root / f"vu-disk{i}.sock"
        with open(img, "wb") as f:
            f.truncate(size)
        args += ["--blockdev", f"driver=file,node-name=file{i},filename={img}",
                 "--export", f"type=vhost-user-blk,id=exp{i},node-name=file{i},writable=on,"
                 f"addr.type=unix,addr.path={sock}"]
        out.append(sock)
    log = open(env.root / "qsd.log", "wb")
    h.register_log("qemu-storage-daemon", env.root / "qsd.log")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        h.wait_until(lambda: all(os.path.exists(s) for s in out) or p.poll() is not None, 30, 0.1,
                     "qemu-storage-daemon's sockets")
        if p.poll() is not None:
            pytest.fail(f"qemu-storage-daemon ended: {(env.root / 'qsd.log').read_text()}")
        yield out
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def test_guest_sees_vhostuser_disk(env, backend):
    sock, sock2 = backend
    g = define(env, "vudisk", vhost_disk(sock, reconnect="5"))
    try:
        inactive = g.call("GetXMLDesc", 0)
        assert f"<source type='unix' path='{sock}'>" in inactive, inactive
        assert "<reconnect enabled='yes' timeout='5'/>" in inactive
        g.start()
        live = g.call("GetXMLDesc", 0)
        assert "<alias name='virtio-disk0'/>" in live, live
        argv = open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")
        assert f"socket,id=chr-vu-virtio-disk0,path={sock},reconnect=5".encode() in argv, argv
        g.wait_marker("VIRTBUS-GUEST-DISK")
        seen = {m[0].decode(): int(m[1]) for m in re.findall(DISK_RE, g.serial_text())}
        assert seen == {"vda": SIZE // 512}, seen

        # hot-plug: chardev-add, then the device; the guest's kernel names the new disk's size
        g.call("AttachDevice", vhost_disk(sock2, "vdb"), LIVE)
        assert f"<source type='unix' path='{sock2}'/>" in g.call("GetXMLDesc", 0)
        g.wait_marker(f"[vdb] {SIZE2 // 512} 512-byte logical blocks".encode(), timeout=60)
        g.call("DetachDevice", vhost_disk(sock2, "vdb"), LIVE)
        h.wait_until(lambda: f"path='{sock2}'" not in g.call("GetXMLDesc", 0), 60, 0.5, "vdb's removal")
        # its chardev went too: the same disk plugs again
        g.call("AttachDevice", vhost_disk(sock2, "vdb"), LIVE)
        g.wait_marker(f"[vdb] {SIZE2 // 512} 512-byte logical blocks".encode(), n=2, timeout=60)
    finally:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


def test_start_without_backend_names_the_socket(env):
    missing = env.root / "nobody-listens.sock"
    g = define(env, "vunone", vhost_disk(missing))
    try:
        with pytest.raises(dbus.exceptions.DBusException) as e:
            g.call("Create", 0)
        said = e.value.get_dbus_message()
        print(f"\nstart without a back end: {said}")
        assert str(missing) in said, said
        assert g.state()[0] == S.SHUTOFF
    finally:
        g.call("Undefine", 0)


def test_snapshot_leaves_vhostuser_disk_out(env):
    """libvirt's default for a vhostuser disk is snapshot='no': the back
    end's image is not QEMU's to snapshot, so a guest with no other disk
    has nothing to snapshot (not a refusal of the vhostuser disk)."""
    g = define(env, "vusnap", vhost_disk("/run/vu-snap.sock"))
    try:
        with pytest.raises(dbus.exceptions.DBusException) as e:
            g.call("SnapshotCreateXML", "<domainsnapshot><name>s1</name></domainsnapshot>", 0)
        assert "has no disk to snapshot" in e.value.get_dbus_message(), e.value.get_dbus_message()
    finally:
        g.call("Undefine", 0)


def test_vhostuser_needs_shared_memory(env):
    with pytest.raises(dbus.exceptions.DBusException) as e:
        define(env, "vuprivate", vhost_disk("/run/vu.sock"), shared=False)
    assert "'vhostuser' requires shared memory" in e.value.get_dbus_message()
    with pytest.raises(dbus.exceptions.DBusException):
        env.call("DomainLookupByName", "vuprivate")


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    yield p
    p.stop()


def test_vhostuser_through_libvirt(env, proxy):
    """python-libvirt on the proxy defines a vhostuser disk and reads it
    back; virsh shows it."""
    libvirt = pytest.importorskip("libvirt")
    conn = libvirt.open(proxy.uri)
    try:
        xml = env.guest_xml("vu-lv", nic=None, extra_devices=vhost_disk("/run/vu-elsewhere.sock", reconnect="3"))
        dom = conn.defineXML(xml.replace("<vcpu>", SHARED + "<vcpu>", 1))
        assert "<source type='unix' path='/run/vu-elsewhere.sock'>" in dom.XMLDesc(0)
        out = proxy.virsh("dumpxml", "vu-lv").stdout
        assert "<disk type='vhostuser' device='disk'>" in out and "timeout='3'" in out, out
        dom.undefine()
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# <reservations managed='yes'/>: qemud runs qemu-pr-helper for the guest

PR_HELPER = "/usr/bin/qemu-pr-helper"


def lun_disk(dev, reservations="<reservations managed='yes'/>"):
    return (f"    <disk type='block' device='lun'>\n"
            f"      <driver name='qemu' type='raw'/>\n"
            f"      <source dev='{dev}'>\n        {reservations}\n      </source>\n"
            f"      <target dev='sda' bus='scsi'/>\n"
            f"    </disk>\n"
            f"    <controller type='scsi' index='0' model='virtio-scsi'/>")


def pr_helpers():
    out = set()
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if open(f"/proc/{p}/comm").read().strip() == "qemu-pr-helper":
                    out.add(int(p))
            except OSError:
                pass
    return out


def host_scsi_disk():
    """A SCSI disk of the host (/dev/sdX with its sg node), or None."""
    for sg in sorted(os.listdir("/sys/class/scsi_generic")) if os.path.isdir("/sys/class/scsi_generic") else ():
        blk = f"/sys/class/scsi_generic/{sg}/device/block"
        if os.path.isdir(blk):
            for name in os.listdir(blk):
                return f"/dev/{name}"
    return None


def test_managed_reservations_run_the_helper(env):
    if not os.access(PR_HELPER, os.X_OK):
        pytest.skip(f"{PR_HELPER} is missing (Debian's qemu-system-common has it)")
    dev = host_scsi_disk()
    before = pr_helpers()
    if dev is None:
        # what this host can check: the start refuses, naming the device,
        # and leaves no helper behind
        img = env.root / "not-scsi.img"
        with open(img, "wb") as f:
            f.truncate(1 << 20)
        g = define(env, "prnone", lun_disk(img), shared=False)
        try:
            with pytest.raises(dbus.exceptions.DBusException) as e:
                g.call("Create", 0)
            assert str(img) in e.value.get_dbus_message(), e.value.get_dbus_message()
            assert g.state()[0] == S.SHUTOFF
            assert pr_helpers() == before
            assert "<reservations managed='yes'/>" in g.call("GetXMLDesc", 0)
        finally:
            g.call("Undefine", 0)
        pytest.skip("this host has no SCSI disk for a device='lun' guest disk (test-qemu-pr-helper proves the "
                    "helper qemud runs answers QEMU's pr-manager-helper)")
    g = define(env, "prlun", lun_disk(dev), shared=False)
    try:
        g.start()
        live = g.call("GetXMLDesc", 0)
        assert re.search(r"<reservations managed='yes'>\s*<source type='unix' path='[^']*/pr-helper0.sock' "
                         r"mode='client'/>", live), live
        assert pr_helpers() - before, "no qemu-pr-helper runs for the guest"
        g.call("Destroy", 0)
        h.wait_until(lambda: not (pr_helpers() - before), 30, what="qemu-pr-helper's end with the guest")
        assert "<reservations managed='yes'/>" in g.call("GetXMLDesc", 0)
    finally:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


def test_reservations_through_libvirt(env, proxy):
    libvirt = pytest.importorskip("libvirt")
    conn = libvirt.open(proxy.uri)
    try:
        res = "<reservations managed='no'><source type='unix' path='/run/pr.sock' mode='client'/></reservations>"
        dom = conn.defineXML(env.guest_xml("pr-lv", nic=None, extra_devices=lun_disk("/dev/sdz", res)))
        xml = dom.XMLDesc(0)
        assert "<source type='unix' path='/run/pr.sock' mode='client'/>" in xml, xml
        out = proxy.virsh("dumpxml", "pr-lv").stdout
        assert "<reservations managed='no'>" in out, out
        dom.undefine()
        with pytest.raises(libvirt.libvirtError) as e:
            conn.defineXML(env.guest_xml("pr-bad", nic=None, extra_devices=lun_disk(
                "/dev/sdz", "<reservations managed='no'/>")))
        assert "missing connection type for <reservations/>" in str(e.value)
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# bus='sd': kept, and on QEMU's line as libvirt 9.0 puts it (-drive if=sd)

def test_sd_disk_start_fails_in_qemu(env):
    """x86 machines have no SD card controller: QEMU refuses libvirt's line,
    naming if=sd, and the guest stays shut off with its definition."""
    img = env.root / "card.img"
    with open(img, "wb") as f:
        f.truncate(1 << 20)
    disk = (f"    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw'/>\n"
            f"      <source file='{img}'/>\n      <target dev='sda' bus='sd'/>\n    </disk>")
    g = define(env, "sdcard", disk, shared=False)
    try:
        assert "<target dev='sda' bus='sd'/>" in g.call("GetXMLDesc", 0)
        with pytest.raises(dbus.exceptions.DBusException) as e:
            g.call("Create", 0)
        said = e.value.get_dbus_message()
        print(f"\nstart of an sd disk: {said}")
        assert "if=sd" in said, said
        assert g.state()[0] == S.SHUTOFF
        assert "<target dev='sda' bus='sd'/>" in g.call("GetXMLDesc", 0)
    finally:
        g.call("Undefine", 0)
