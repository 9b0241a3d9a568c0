# SPDX-License-Identifier: LGPL-2.1-or-later
"""<filesystem> of a QEMU guest in virtbus-qemud, with the TCG test guest.

- a 9p share (virtio-9p-pci on -fsdev local): the booted guest mounts it by
  its tag and prints a file the test wrote on the host, and a file the guest
  writes appears on the host. The 9p modules are not in the test initramfs:
  the test appends a second cpio archive (the kernel unpacks both) with them
  and an ACPI power-button action that mounts the share, so the guest does it
  when the test asks (as test_qemud_platform_devs.py arms its watchdog).
- the live XML names it fs0; the definition keeps the tag, modes and
  write policy.
- <driver type='handle'/>: taken at define as libvirt takes it, the start
  fails naming it (QEMU 7.2 has no 'handle' 9p driver) and leaves the guest
  shut off.
"""

import copy
import gzip
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

MOUNTED = "VIRTBUS-TEST-9P-MOUNTED"
MODULES = ("netfs", "fscache", "9pnet", "9pnet_virtio", "9p")

# Run by the guest's acpid on the power button instead of the power-off.
MOUNT_SCRIPT = f"""#!/bin/sh
mkdir -p /mnt/share
if mount -t 9p -o trans=virtio,version=9p2000.L share0 /mnt/share; then
    echo "{MOUNTED} $(cat /mnt/share/hello.txt)" > /dev/console
    echo from-guest > /mnt/share/guest.txt
    sync
else
    echo "VIRTBUS-TEST-9P-MOUNT-FAILED" > /dev/console
fi
"""


def kernel_modules_dir(guest):
    """The unpacked kernel package's modules tree that build-guest.sh keeps."""
    for d in sorted((Path(guest.dir) / "cache").glob("linux-image-*/lib/modules/*")):
        if d.is_dir():
            return d
    return None


def share_initrd(guest, workdir):
    """The test initramfs plus an archive with the 9p modules and the mount
    action, or None (with the reason) when the modules are not at hand."""
    mods = kernel_modules_dir(guest)
    if mods is None:
        return None, "the kernel package's modules are not in the guest cache"
    tree = Path(workdir) / "9p-overlay"
    (tree / "lib/modules").mkdir(parents=True, exist_ok=True)
    (tree / "etc/acpi/PWRF").mkdir(parents=True, exist_ok=True)
    for name in MODULES:
        hits = list(mods.glob(f"kernel/**/{name}.ko"))
        if not hits:
            return None, f"{name}.ko (uncompressed) is not in {mods}: the guest kernel has no 9p"
        shutil.copy(hits[0], tree / "lib/modules" / f"{name}.ko")
    order = subprocess.run(f"zcat {guest.initrd} | cpio -i --quiet --to-stdout lib/modules/order",
                           shell=True, capture_output=True, check=True).stdout.decode()
    (tree / "lib/modules/order").write_text(order + "".join(m + "\n" for m in MODULES))
    action = tree / "etc/acpi/PWRF/00000080"
    action.write_text(MOUNT_SCRIPT)
    action.chmod(0o755)
    files = "\n".join(str(p.relative_to(tree)) for p in sorted(tree.rglob("*"))) + "\n"
    archive = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=tree, input=files.encode(),
                             capture_output=True, check=True).stdout
    out = Path(workdir) / "initrd-9p.gz"
    out.write_bytes(Path(guest.initrd).read_bytes() + gzip.compress(archive))
    return out, None


def define(env, name, devices, guest=None):
    img = guest or env.guest
    serial = env.root / f"{name}.serial"
    env.serials[name] = serial
    h.register_log(f"serial console of {name}", serial)
    xml = h.guest_domain_xml(img, name, serial_log=serial, extra_devices=devices, nic=None)
    return Guest(env, env.call("DomainDefineXML", xml), name)


@pytest.fixture
def share():
    """A host directory QEMU's user can read and write (passthrough keeps
    the owners: the guest writes as QEMU's user)."""
    d = Path(tempfile.mkdtemp(prefix="vb-9p-"))
    d.chmod(0o777)
    (d / "hello.txt").write_text("hello-from-host\n")
    (d / "hello.txt").chmod(0o644)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_9p_share_mounted_by_the_guest(env, share):
    initrd, why = share_initrd(env.guest, env.root.path)
    if initrd is None:
        pytest.skip(f"cannot give the guest its 9p driver: {why}")
    img = copy.copy(env.guest)
    img.initrd = initrd
    fs = (f"    <filesystem type='mount' accessmode='passthrough'>\n"
          f"      <driver type='path' wrpolicy='immediate'/>\n"
          f"      <source dir='{share}'/>\n"
          f"      <target dir='share0'/>\n"
          f"    </filesystem>")
    g = define(env, "ninep", fs, guest=img)
    inactive = g.call("GetXMLDesc", 0)
    assert "<target dir='share0'/>" in inactive and "wrpolicy='immediate'" in inactive
    g.start()
    live = g.call("GetXMLDesc", 0)
    assert "<alias name='fs0'/>" in live and "<address type='pci'" in live
    g.wait_ready()
    assert b"MODULE-FAILED" not in g.serial_text(), h.tail(g.serial, 30)
    g.call("Shutdown", 0)
    g.wait_marker(MOUNTED, timeout=60)
    assert b"VIRTBUS-TEST-9P-MOUNTED hello-from-host" in g.serial_text(), h.tail(g.serial, 30)
    # the file appears when the guest creates it, its text a moment later
    guest_file = share / "guest.txt"
    h.wait_until(lambda: guest_file.exists() and guest_file.read_text() == "from-guest\n", 30,
                 what="the guest's file on the host, with its text")
    g.ensure_shutoff()
    g.call("Undefine", 0)


def test_9p_handle_driver_fails_at_start(env, share):
    fs = (f"    <filesystem type='mount'>\n"
          f"      <driver type='handle'/>\n"
          f"      <source dir='{share}'/>\n"
          f"      <target dir='share0'/>\n"
          f"    </filesystem>")
    g = define(env, "ninep-handle", fs)
    with pytest.raises(dbus.exceptions.DBusException) as e:
        g.call("Create", 0)
    msg = e.value.get_dbus_message()
    assert "driver type 'handle'" in msg and "share0" in msg, msg
    assert g.state()[0] == S.SHUTOFF
    assert "<driver type='handle'/>" in g.call("GetXMLDesc", 0)
    g.call("Undefine", 0)


def test_9p_bad_mode_refused(env, share):
    fs = (f"    <filesystem type='mount' accessmode='mapped' fmode='999'>\n"
          f"      <source dir='{share}'/>\n"
          f"      <target dir='share0'/>\n"
          f"    </filesystem>")
    with pytest.raises(dbus.exceptions.DBusException) as e:
        define(env, "ninep-bad", fs)
    assert "value '999' of attribute 'fmode' of <devices/filesystem>" in e.value.get_dbus_message()
    with pytest.raises(dbus.exceptions.DBusException):
        env.call("DomainLookupByName", "ninep-bad")
