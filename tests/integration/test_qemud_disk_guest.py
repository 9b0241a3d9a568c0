# SPDX-License-Identifier: LGPL-2.1-or-later
"""A disk's guest-visible options in virtbus-qemud, seen from inside the
booted test guest (TCG, a shell on its serial console; the guest has
virtio-blk only, so what only IDE or SCSI disks show - wwn, vendor,
product, rotation rate, a CD-ROM's tray - is proved by the golden command
lines of tests/data/qemu-command/ instead): <blockio> block sizes,
<serial>, virtio-blk's queues and <acpi index>, with error_policy,
detect_zeroes and copy_on_read on a disk the guest writes; then the same
options on a disk hot-plugged with AttachDevice. The <acpi index> of an
interface and a video card is checked beside the disk's.
"""

import signal

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, module_env, xmllint_relaxng
from test_qemud_device import Console, _shell_ready

env = module_env()

LIVE, CONFIG = 1, 2


def extra_disk(path, dev, extra_driver="", extra=""):
    return (f"    <disk type='file' device='disk'>\n"
            f"      <driver name='qemu' type='raw'{extra_driver}/>\n"
            f"      <source file='{path}'/>\n"
            f"      <blockio logical_block_size='4096' physical_block_size='4096'/>\n"
            f"      <target dev='{dev}' bus='virtio'/>\n{extra}"
            f"    </disk>\n")


@pytest.fixture(scope="module")
def booted(env):
    files = env.root / "disk-guest"
    files.mkdir(exist_ok=True)
    for name in ("vdb.img", "vdc.img"):
        (files / name).write_bytes(b"\0" * (8 << 20))
    sock = env.root / "disk-guest.sock"
    extra = (f"""    <serial type='unix'>
      <source mode='bind' path='{sock}'/>
      <target port='0'/>
    </serial>
    <interface type='user'>
      <acpi index='100'/>
      <model type='virtio'/>
    </interface>
    <video>
      <model type='cirrus'/>
      <acpi index='1729'/>
    </video>
""" + extra_disk(files / "vdb.img", "vdb",
                 " error_policy='stop' rerror_policy='report' detect_zeroes='on' copy_on_read='on' queues='2'",
                 "      <serial>VBSERIAL01</serial>\n      <acpi index='7'/>\n"))
    xml = h.guest_domain_xml(env.guest, "diskguest", nic=None, vcpus=2, machine="pc", extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp")
    g = Guest(env, env.call("DomainDefineXML", xml), "diskguest")
    g.call("Create", 0)
    con = Console(sock).connect()
    try:
        h.wait_until(lambda: _shell_ready(con), 200, 1, "a shell on the guest's console")
    except TimeoutError as e:
        g.call("Destroy", 0)
        raise AssertionError(f"{e}; console ends with:\n{con.text()[-3000:].decode(errors='replace')}") from None
    yield g, con, files
    con.close()
    g.call("Destroy", 0)
    g.call("Undefine", 0)


def sysfs(con, path):
    return con.run(f"cat {path}").decode(errors="replace").split()[-1]


def by_serial(con, serial):
    """The guest's name of the virtio disk with this serial (the guest names
    its disks in the order it finds them, not by their target)."""
    out = con.run("for d in /sys/block/vd*; do echo DISK ${d##*/} $(cat $d/serial); done").decode(errors="replace")
    for line in out.splitlines():
        w = line.split()
        if len(w) == 3 and w[0] == "DISK" and w[2] == serial:
            return w[1]
    return None


def test_guest_sees_block_sizes_serial_queues(env, booted):
    g, con, files = booted
    vd = by_serial(con, "VBSERIAL01")
    assert vd, con.run("ls /sys/block")
    assert sysfs(con, f"/sys/block/{vd}/queue/logical_block_size") == "4096"
    assert sysfs(con, f"/sys/block/{vd}/queue/physical_block_size") == "4096"
    # one blk-mq hardware queue per virtqueue (the guest has 2 vCPUs)
    queues = con.run(f"ls /sys/block/{vd}/mq").decode(errors="replace").split()
    assert sorted(q for q in queues if q.isdigit()) == ["0", "1"], queues
    # the guest writes through copy-on-read and the error policies
    con.run(f"echo VIRTBUS-DISK-GUEST | dd of=/dev/{vd} bs=4096 conv=fsync 2>/dev/null")
    assert (files / "vdb.img").read_bytes().startswith(b"VIRTBUS-DISK-GUEST\n")
    xml = g.call("GetXMLDesc", 0)
    for piece in ("error_policy='stop'", "rerror_policy='report'", "copy_on_read='on'", "detect_zeroes='on'",
                  "queues='2'", "<blockio logical_block_size='4096' physical_block_size='4096'/>",
                  "<acpi index='7'/>"):
        assert piece in xml
    xmllint_relaxng(xml, "domain", "GetXMLDesc")


def test_guest_sees_acpi_index(env, booted):
    g, con, files = booted
    out = con.run("cat /sys/bus/pci/devices/*/acpi_index 2>/dev/null; echo END").decode(errors="replace")
    if "END" in out and not out.replace("END", "").split():
        pytest.skip("the guest's kernel shows no acpi_index in sysfs (no ACPI _DSM support there)")
    # the disk's, the interface's and the video card's
    assert {"7", "100", "1729"} <= set(out.split()), out
    xml = g.call("GetXMLDesc", 0)
    assert "<acpi index='100'/>" in xml and "<acpi index='1729'/>" in xml


def test_hotplugged_disk_gets_its_options(env, booted):
    g, con, files = booted
    vdc = files / "vdc.img"
    g.call("AttachDevice", extra_disk(vdc, "vdc", " detect_zeroes='unmap' discard='unmap'",
                                      "      <serial>VBSERIAL02</serial>\n"), LIVE)
    h.wait_until(lambda: by_serial(con, "VBSERIAL02"), 60, 1, "the hot-plugged disk in the guest's /sys/block")
    vd = by_serial(con, "VBSERIAL02")
    assert sysfs(con, f"/sys/block/{vd}/queue/logical_block_size") == "4096"
    live = g.call("GetXMLDesc", 0)
    assert "detect_zeroes='unmap'" in live and "<serial>VBSERIAL02</serial>" in live


def test_transient_disk_discards_what_the_guest_wrote(env):
    """<transient/>: the guest writes to an overlay made at start; its image
    stays as it was and the overlay is gone once the guest is."""
    files = env.root / "transient"
    files.mkdir(exist_ok=True)
    image = files / "base.img"
    image.write_bytes(b"ORIGINAL\n" + b"\0" * ((8 << 20) - 9))
    overlay = files / "base.img.TRANSIENT-transguest"
    sock = env.root / "transguest.sock"
    extra = f"""    <serial type='unix'>
      <source mode='bind' path='{sock}'/>
      <target port='0'/>
    </serial>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{image}'/>
      <target dev='vdb' bus='virtio'/>
      <serial>VBTRANSIENT</serial>
      <transient/>
    </disk>
"""
    xml = h.guest_domain_xml(env.guest, "transguest", nic=None, extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp")
    g = Guest(env, env.call("DomainDefineXML", xml), "transguest")
    g.call("Create", 0)
    con = Console(sock).connect()
    try:
        h.wait_until(lambda: _shell_ready(con), 200, 1, "a shell on the guest's console")
        assert overlay.exists()
        vd = by_serial(con, "VBTRANSIENT")
        assert vd
        assert b"ORIGINAL" in con.run(f"head -c 8 /dev/{vd}")
        con.run(f"echo CHANGED-BY-GUEST | dd of=/dev/{vd} bs=512 conv=fsync 2>/dev/null")
        assert b"CHANGED-BY-GUEST" in con.run(f"dd if=/dev/{vd} bs=512 count=1 iflag=direct 2>/dev/null | head -c 16")
        assert image.read_bytes().startswith(b"ORIGINAL\n")
        assert "<transient/>" in g.call("GetXMLDesc", 0)
    finally:
        con.close()
        g.call("Destroy", 0)
    assert image.read_bytes().startswith(b"ORIGINAL\n")
    assert not overlay.exists()
    g.call("Undefine", 0)


def test_transient_overlay_removed_after_a_qemud_restart(env):
    """qemud SIGKILLed while a guest with a transient disk runs: the live
    state says the overlay is this run's, so the stop after the restart
    removes it, and the next start makes a fresh one."""
    files = env.root / "transient-restart"
    files.mkdir(exist_ok=True)
    image = files / "base.img"
    image.write_bytes(b"\0" * (1 << 20))
    overlay = files / "base.img.TRANSIENT-transrestart"
    extra = f"""    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{image}'/>
      <target dev='vdb' bus='virtio'/>
      <transient/>
    </disk>
"""
    xml = h.guest_domain_xml(env.guest, "transrestart", nic=None, extra_devices=extra)
    g = Guest(env, env.call("DomainDefineXML", xml), "transrestart")
    g.call("Create", 1)  # paused: the guest need not boot
    try:
        assert overlay.exists()
        env.qemud.restart(signal.SIGKILL)
        g.call("Destroy", 0)
        assert not overlay.exists()
        g.call("Create", 1)
        assert overlay.exists()
    finally:
        g.call("Destroy", 0)
        g.call("Undefine", 0)
    assert not overlay.exists()


def test_dir_disk_is_a_fat_image_of_the_directory(env):
    """<disk type='dir'> with format 'fat': the guest reads a FAT file system
    QEMU made of the host directory (vvfat), read-only."""
    files = env.root / "fatdir"
    files.mkdir(exist_ok=True)
    (files / "HELLO.TXT").write_text("virtbus vvfat\n")
    sock = env.root / "fatguest.sock"
    extra = f"""    <serial type='unix'>
      <source mode='bind' path='{sock}'/>
      <target port='0'/>
    </serial>
    <disk type='dir' device='disk'>
      <driver name='qemu' type='fat'/>
      <source dir='{files}'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
      <serial>VBFAT</serial>
    </disk>
"""
    xml = h.guest_domain_xml(env.guest, "fatguest", nic=None, extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp")
    g = Guest(env, env.call("DomainDefineXML", xml), "fatguest")
    g.call("Create", 0)
    con = Console(sock).connect()
    try:
        h.wait_until(lambda: _shell_ready(con), 200, 1, "a shell on the guest's console")
        vd = by_serial(con, "VBFAT")
        assert vd
        assert sysfs(con, f"/sys/block/{vd}/ro") == "1"
        # the words of QEMU's FAT image: its file system type and the file's name
        words = con.run(f"dd if=/dev/{vd} bs=512 count=4096 2>/dev/null | tr -cs 'A-Z0-9' '\\n' | "
                        "grep -E '^(FAT16|FAT32|FAT12|HELLO)$' | sort -u").split()
        assert b"HELLO" in words and any(w.startswith(b"FAT") for w in words), words
    finally:
        con.close()
        g.call("Destroy", 0)
        g.call("Undefine", 0)
