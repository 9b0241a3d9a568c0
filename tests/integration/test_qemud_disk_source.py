# SPDX-License-Identifier: LGPL-2.1-or-later
"""<disk><source> extras in virtbus-qemud with the real QEMU (TCG, no guest
OS needed): a raw image's storage slice is the offset and size of QEMU's
raw node, and QEMU runs with it; what only a start can answer is refused there,
naming it, and leaves the definition as it was: an fdgroup (no call passes
a domain file descriptors), an NVMe controller that is not on this host.
A volume's iSCSI mode is refused at start after storaged resolved the
volume (as libvirt, which looks the pool up first): test-qemu-disk-prepare
checks that message.
"""

import dbus

import virtbus_harness as h
from test_qemud_common import Guest, dbus_error, module_env
from test_qemud_storage import blockdev_of, qemu_argv

env = module_env()


def no_boot_xml(name, disk):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    {disk}
  </devices>
</domain>"""


def define(e, name, disk):
    return Guest(e, e.call("DomainDefineXML", no_boot_xml(name, disk)), name)


def test_raw_slice_is_what_qemu_serves(env):
    img = env.root / "sliced.raw"
    img.write_bytes(b"\0" * (8 << 20))
    disk = (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
            f"<source file='{img}'><slices><slice type='storage' offset='1048576' size='2097152'/></slices>"
            f"</source><target dev='vda' bus='virtio'/></disk>")
    g = define(env, "slice1", disk)
    g.call("Create", 0)
    try:
        _, fmt = blockdev_of(qemu_argv(g.pid()), str(img))
        assert (fmt["driver"], fmt["offset"], fmt["size"]) == ("raw", 1 << 20, 2 << 20), fmt
        assert g.state()[0] == h.DomainState.RUNNING
        assert "<slice type='storage' offset='1048576' size='2097152'/>" in g.call("GetXMLDesc", 0)
        # the guest's disk is the slice; the file is still the whole file
        stats = h.unwrap(g.call("GetStats", dbus.UInt32(32), dbus.UInt32(0)))
        assert (stats["block.0.capacity"], stats["block.0.physical"]) == (2 << 20, 8 << 20), stats
    finally:
        g.call("Destroy", 0)
        g.call("Undefine", 0)


def refused_at_start(e, name, disk, error, *words):
    g = define(e, name, disk)
    before = g.call("GetXMLDesc", 0)
    with dbus_error(error, *words) as err:
        g.call("Create", 0)
    print(f"\n{err.message}")
    assert g.state()[0] == h.DomainState.SHUTOFF
    assert g.call("GetXMLDesc", 0) == before
    g.call("Undefine", 0)


def test_fdgroup_refused_at_start_naming_it(env):
    refused_at_start(env, "fdg1", "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                     "<source file='/var/lib/virtbus/x.img' fdgroup='grp7'/><target dev='vda' bus='virtio'/></disk>",
                     "InvalidArg", "file descriptor group 'grp7'")


def test_nvme_without_its_controller_refused_naming_it(env):
    refused_at_start(env, "nvme1", "<disk type='nvme' device='disk'><driver name='qemu' type='raw'/>"
                     "<source type='pci' managed='yes' namespace='1'>"
                     "<address domain='0x00fe' bus='0xfe' slot='0x1f' function='0x7'/></source>"
                     "<target dev='vda' bus='virtio'/></disk>",
                     "OperationFailed", "NVMe device 00fe:fe:1f.7")

