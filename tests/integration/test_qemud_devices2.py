# SPDX-License-Identifier: LGPL-2.1-or-later
"""Devices of issue 16 in virtbus-qemud, with the TCG test guest.

- virtiofs: qemud runs virtiofsd (Debian 12's, of qemu-system-common) on the
  share and QEMU's vhost-user-fs-pci connects to it; the booted guest mounts
  the tag and prints a host file. The fuse and virtiofs modules are not in
  the test initramfs: the test appends a second cpio archive with them and a
  power-button action that mounts the share (as test_qemud_filesystem.py
  does for 9p). Through python-libvirt on the proxy too: the definition
  keeps <binary> and its options.
- virtiofs without shared memory is refused at define, naming it; a share
  whose directory is missing fails at start, naming it, and leaves no
  virtiofsd behind.
"""

import gzip
import copy
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, module_env
from virtbus_harness import DomainState as S

env = module_env()

VIRTIOFSD = "/usr/lib/qemu/virtiofsd"
SHARED = "<memoryBacking>\n    <source type='memfd'/>\n    <access mode='shared'/>\n  </memoryBacking>\n  "
MOUNTED = "VIRTBUS-TEST-VIRTIOFS-MOUNTED"
MODULES = ("fuse", "virtiofs")

MOUNT_SCRIPT = f"""#!/bin/sh
mkdir -p /mnt/share
if mount -t virtiofs share0 /mnt/share; then
    echo "{MOUNTED} $(cat /mnt/share/hello.txt)" > /dev/console
else
    echo "VIRTBUS-TEST-VIRTIOFS-MOUNT-FAILED" > /dev/console
fi
"""


def kernel_modules_dir(guest):
    for d in sorted((Path(guest.dir) / "cache").glob("linux-image-*/lib/modules/*")):
        if d.is_dir():
            return d
    return None


def overlay_initrd(guest, workdir, modules, script, name):
    """The test initramfs plus an archive with more modules and a power-button
    action, or (None, reason) when the modules are not at hand."""
    mods = kernel_modules_dir(guest)
    if mods is None:
        return None, "the kernel package's modules are not in the guest cache"
    tree = Path(workdir) / f"{name}-overlay"
    (tree / "lib/modules").mkdir(parents=True, exist_ok=True)
    (tree / "etc/acpi/PWRF").mkdir(parents=True, exist_ok=True)
    for m in modules:
        hits = list(mods.glob(f"kernel/**/{m}.ko"))
        if not hits:
            return None, f"{m}.ko (uncompressed) is not in {mods}: the guest kernel lacks it"
        shutil.copy(hits[0], tree / "lib/modules" / f"{m}.ko")
    order = subprocess.run(f"zcat {guest.initrd} | cpio -i --quiet --to-stdout lib/modules/order",
                           shell=True, capture_output=True, check=True).stdout.decode()
    (tree / "lib/modules/order").write_text(order + "".join(m + "\n" for m in modules))
    action = tree / "etc/acpi/PWRF/00000080"
    action.write_text(script)
    action.chmod(0o755)
    files = "\n".join(str(p.relative_to(tree)) for p in sorted(tree.rglob("*"))) + "\n"
    archive = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=tree, input=files.encode(),
                             capture_output=True, check=True).stdout
    out = Path(workdir) / f"initrd-{name}.gz"
    out.write_bytes(Path(guest.initrd).read_bytes() + gzip.compress(archive))
    return out, None


def define(env, name, devices, guest=None, top=SHARED):
    img = guest or env.guest
    serial = env.root / f"{name}.serial"
    env.serials[name] = serial
    h.register_log(f"serial console of {name}", serial)
    xml = h.guest_domain_xml(img, name, serial_log=serial, extra_devices=devices, nic=None)
    xml = xml.replace("<vcpu>", top + "<vcpu>", 1)
    return Guest(env, env.call("DomainDefineXML", xml), name)


def virtiofsd_pids():
    out = subprocess.run(["pgrep", "-x", "virtiofsd"], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


@pytest.fixture
def share():
    d = Path(tempfile.mkdtemp(prefix="vb-virtiofs-"))
    (d / "hello.txt").write_text("hello-over-virtiofs\n")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def fs_xml(share, binary=""):
    return (f"    <filesystem type='mount' accessmode='passthrough'>\n"
            f"      <driver type='virtiofs' queue='1024'/>\n{binary}"
            f"      <source dir='{share}'/>\n"
            f"      <target dir='share0'/>\n"
            f"    </filesystem>")


def test_virtiofs_share_mounted_by_the_guest(env, share):
    if not os.access(VIRTIOFSD, os.X_OK):
        pytest.skip(f"{VIRTIOFSD} is missing (Debian's qemu-system-common has it)")
    initrd, why = overlay_initrd(env.guest, env.root.path, MODULES, MOUNT_SCRIPT, "virtiofs")
    if initrd is None:
        pytest.skip(f"cannot give the guest its virtiofs driver: {why}")
    img = copy.copy(env.guest)
    img.initrd = initrd
    binary = (f"      <binary path='{VIRTIOFSD}' xattr='off'>\n"
              f"        <cache mode='always'/>\n"
              f"        <lock posix='off' flock='off'/>\n"
              f"        <thread_pool size='4'/>\n"
              f"      </binary>\n")
    before = virtiofsd_pids()
    g = define(env, "vfs", fs_xml(share, binary), guest=img)
    inactive = g.call("GetXMLDesc", 0)
    assert "<driver type='virtiofs' queue='1024'/>" in inactive, inactive
    assert "<thread_pool size='4'/>" in inactive and "<cache mode='always'/>" in inactive
    g.start()
    live = g.call("GetXMLDesc", 0)
    assert "<alias name='fs0'/>" in live
    assert virtiofsd_pids() - before, "no virtiofsd runs for the share"
    g.wait_ready()
    assert b"MODULE-FAILED" not in g.serial_text(), h.tail(g.serial, 30)
    g.call("Shutdown", 0)
    g.wait_marker(MOUNTED, timeout=60)
    assert f"{MOUNTED} hello-over-virtiofs".encode() in g.serial_text(), h.tail(g.serial, 30)
    g.ensure_shutoff()
    # virtiofsd ends with QEMU's connection
    h.wait_until(lambda: not (virtiofsd_pids() - before), 30, what="virtiofsd's end with QEMU")
    g.call("Undefine", 0)


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    yield p
    p.stop()


def test_virtiofs_through_libvirt(env, proxy):
    """python-libvirt on the proxy defines a share of an external daemon's
    socket and reads it back; virsh lists it."""
    libvirt = pytest.importorskip("libvirt")
    conn = libvirt.open(proxy.uri)
    try:
        xml = h.guest_domain_xml(env.guest, "vfs-lv", extra_devices=(
            "    <filesystem type='mount'>\n      <driver type='virtiofs'/>\n"
            "      <source socket='/run/vfs-elsewhere.sock'/>\n      <target dir='ext0'/>\n    </filesystem>"),
            nic=None).replace("<vcpu>", SHARED + "<vcpu>", 1)
        dom = conn.defineXML(xml)
        assert "<source socket='/run/vfs-elsewhere.sock'/>" in dom.XMLDesc(0)
        out = proxy.virsh("dumpxml", "vfs-lv").stdout
        assert "<driver type='virtiofs'/>" in out
        dom.undefine()
    finally:
        conn.close()


def test_virtiofs_needs_shared_memory(env, share):
    with pytest.raises(dbus.exceptions.DBusException) as e:
        define(env, "vfs-private", fs_xml(share), top="")
    assert "'virtiofs' requires shared memory" in e.value.get_dbus_message()
    with pytest.raises(dbus.exceptions.DBusException):
        env.call("DomainLookupByName", "vfs-private")


def test_virtiofs_missing_directory_fails_at_start(env, share):
    if not os.access(VIRTIOFSD, os.X_OK):
        pytest.skip(f"{VIRTIOFSD} is missing (Debian's qemu-system-common has it)")
    gone = share / "gone"
    before = virtiofsd_pids()
    g = define(env, "vfs-gone", fs_xml(gone))
    with pytest.raises(dbus.exceptions.DBusException) as e:
        g.call("Create", 0)
    msg = e.value.get_dbus_message()
    assert f"source directory '{gone}'" in msg and "share0" in msg, msg
    assert g.state()[0] == S.SHUTOFF
    assert not (virtiofsd_pids() - before)
    g.call("Undefine", 0)


# ---------------------------------------------------------------------------
# <shmem>

SHM_NAME = "vbtest-devices2-shm"


@pytest.fixture
def shm_file():
    path = Path("/dev/shm") / SHM_NAME
    yield path
    path.unlink(missing_ok=True)


def test_shmem_plain_memory_in_dev_shm(env, proxy, shm_file):
    """ivshmem-plain: QEMU maps /dev/shm/NAME, shared, of the given size;
    virsh shows the live device with its alias and PCI address."""
    dev = (f"    <shmem name='{SHM_NAME}' role='master'>\n      <model type='ivshmem-plain'/>\n"
           f"      <size unit='M'>8</size>\n    </shmem>")
    g = define(env, "shm-plain", dev, top="")
    assert "<size unit='M'>8</size>" in g.call("GetXMLDesc", 0)
    g.start()
    assert shm_file.exists() and shm_file.stat().st_size == 8 << 20
    live = proxy.virsh("dumpxml", "shm-plain").stdout
    assert "<alias name='shmem0'/>" in live and "<model type='ivshmem-plain'/>" in live, live
    g.ensure_shutoff()
    g.call("Undefine", 0)


def test_shmem_doorbell_needs_its_server(env):
    sock = env.root / "no-ivshmem-server.sock"
    dev = (f"    <shmem name='bell'>\n      <model type='ivshmem-doorbell'/>\n"
           f"      <server path='{sock}'/>\n    </shmem>")
    g = define(env, "shm-bell", dev, top="")
    # libvirt's defaults: msi on, ioeventfd on
    assert "<msi ioeventfd='on'/>" in g.call("GetXMLDesc", 0)
    with pytest.raises(dbus.exceptions.DBusException) as e:
        g.call("Create", 0)
    msg = e.value.get_dbus_message()
    assert "no ivshmem-server listens on " + str(sock) in msg, msg
    assert g.state()[0] == S.SHUTOFF
    g.call("Undefine", 0)


def test_shmem_bad_size_refused(env):
    dev = "    <shmem name='odd'>\n      <model type='ivshmem-plain'/>\n      <size unit='M'>3</size>\n    </shmem>"
    with pytest.raises(dbus.exceptions.DBusException) as e:
        define(env, "shm-odd", dev, top="")
    assert "shmem size must be a power of two" in e.value.get_dbus_message()
    with pytest.raises(dbus.exceptions.DBusException):
        env.call("DomainLookupByName", "shm-odd")


# ---------------------------------------------------------------------------
# <hostdev> with <address type='unassigned'/>

def test_hostdev_unassigned_kept(env, proxy):
    """A PCI hostdev libvirt reserves for the guest without giving it: kept
    with its address through D-Bus and virsh."""
    dev = ("    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <driver name='vfio'/>\n"
           "      <source>\n        <address domain='0x0000' bus='0x3e' slot='0x1f' function='0x6'/>\n"
           "      </source>\n      <address type='unassigned'/>\n    </hostdev>")
    g = define(env, "hd-unassigned", dev, top="")
    assert "<address type='unassigned'/>" in g.call("GetXMLDesc", 0)
    assert "<address type='unassigned'/>" in proxy.virsh("dumpxml", "hd-unassigned").stdout
    g.call("Undefine", 0)
