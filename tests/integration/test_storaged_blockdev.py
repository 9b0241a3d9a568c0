# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-storaged with block devices (loop devices on files in the test's
root): fs pools (ext4, xfs), a logical pool (an LVM volume group), btrfs and
nocow, restarts that find mounts and volume groups again, and an upload that
runs out of space half way."""

import array
import fcntl
import os
import shutil
import signal
import subprocess

import pytest

from test_storaged_common import (ERR, POOL, VOL, PoolEvent, allocated, loops, read_all,  # noqa: F401
                                  sh, storaged, suffix, validate, vol_xml)
from virtbus_harness import expect_dbus_error, mounts_under

MiB = 1 << 20
FS_IOC_GETFLAGS = 0x80086601
FS_NOCOW_FL = 0x00800000


def fs_pool_xml(name, dev, target, fmt):
    return (f"<pool type='fs'><name>{name}</name><source><device path='{dev}'/><format type='{fmt}'/>"
            f"</source><target><path>{target}</path></target></pool>")


def mounted_source(target):
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[4] == str(target):
                return fields[fields.index("-") + 2]
    return None


@pytest.mark.parametrize("fmt", ["ext4", "xfs"])
def test_fs_pool_on_loop_device(storaged, loops, vroot, fmt):
    s = storaged
    loops.filesystem(fmt, 320 if fmt == "xfs" else 64)
    dev = loops.make(320 if fmt == "xfs" else 64)
    target = vroot / f"mnt-{fmt}"
    m = s.mon.mark()
    p = s.define(fs_pool_xml("fs1", dev, target, fmt))
    s.pool(p, "Build", 8)                               # OVERWRITE: mkfs
    assert sh("blkid", "-o", "value", "-s", "TYPE", dev).stdout.strip() == fmt
    with expect_dbus_error(ERR + "OperationInvalid") as e:
        s.pool(p, "Build", 4)                           # NO_OVERWRITE: there is a file system
    assert dev in e.message and fmt in e.message
    s.pool(p, "Create", 0)
    assert mounted_source(target) == dev
    state, cap, alloc, avail = s.pool(p, "GetInfo")
    assert state == 2 and 0 < cap <= 320 * MiB and avail <= cap
    xml = s.pool_xml(p)
    assert f"<device path='{dev}'/>" in xml and f"<format type='{fmt}'/>" in xml
    v = s.create_vol(p, vol_xml("v.qcow2", 16 * MiB, "qcow2"))
    assert os.path.exists(target / "v.qcow2")

    # SIGKILL: the mount stays, and the new storaged finds it and its volume
    s.d.kill(signal.SIGKILL)
    s.d.start()
    assert s.pool(p, "GetInfo")[0] == 2
    assert s.pool(p, "ListStorageVolumes", 0) == [v]
    assert mounted_source(target) == dev

    s.vol(v, "Delete", 0)
    s.pool(p, "Destroy")
    assert mounted_source(target) is None
    s.pool(p, "Delete", 0)
    assert not target.exists()
    s.wait_pool_event(p, PoolEvent.DELETED, since=m)
    assert [e for e, _ in s.pool_events(p, since=m)] == [PoolEvent.DEFINED, PoolEvent.CREATED, PoolEvent.STARTED,
                                                         PoolEvent.STOPPED, PoolEvent.DELETED]


def test_fs_pool_mount_gone_after_restart(storaged, loops, vroot):
    """A pool whose mount went away while storaged was down comes back inactive."""
    s = storaged
    loops.filesystem("ext4", 32)
    dev = loops.make(32)
    target = vroot / "gone"
    p = s.connect("StoragePoolCreateXML", fs_pool_xml("gone", dev, target, "ext4"), 2)  # build, overwrite
    assert mounted_source(target) == dev
    p2 = s.define(fs_pool_xml("persist", loops.make(32), vroot / "persist", "ext4"))
    s.pool(p2, "Build", 8)
    s.pool(p2, "Create", 0)
    s.d.kill(signal.SIGKILL)
    sh("umount", target)
    sh("umount", vroot / "persist")
    s.d.start()
    with expect_dbus_error(ERR + "NoStoragePool"):       # transient: gone with its mount
        s.connect("StoragePoolLookupByName", "gone")
    assert s.prop(p2, POOL, "Active") is False
    assert p not in s.connect("ListStoragePools", 0)


def test_upload_out_of_space_half_way(storaged, loops, vroot):
    s = storaged
    loops.filesystem("ext4", 32)
    dev = loops.make(32)
    target = vroot / "small"
    p = s.connect("StoragePoolCreateXML", fs_pool_xml("small", dev, target, "ext4"), 2)
    v = s.create_vol(p, vol_xml("big.img", 64 * MiB, "raw", allocation=0))
    vols = s.pool(p, "ListStorageVolumes", 0)
    src = vroot / "random.img"
    with open(src, "wb") as f:
        f.write(os.urandom(64 * MiB))
    fd = os.open(src, os.O_RDONLY)
    try:
        with expect_dbus_error(ERR + "OperationFailed") as e:
            s.upload(v, fd)
    finally:
        os.close(fd)
    assert "upload failed after " in e.message and f"of {64 * MiB} bytes" in e.message
    done = int(e.message.split("upload failed after ")[1].split()[0])
    assert 0 < done < 64 * MiB
    assert "No space left on device" in e.message
    # nothing half-defined: the same volumes, each as it really is
    assert s.pool(p, "ListStorageVolumes", 0) == vols
    assert s.vol(v, "GetInfo", 0)[1] == 64 * MiB
    validate(s.vol(v, "GetXMLDesc", 0), "storagevol.rng")
    s.vol(v, "Delete", 0)
    s.pool(p, "Destroy")


def test_logical_pool_on_loop_devices(storaged, loops, vroot):
    s = storaged
    for tool in ("pvcreate", "vgcreate", "vgs", "lvcreate"):
        if not shutil.which(tool):
            pytest.skip(f"LVM's {tool} is not installed")
    if not os.path.exists("/dev/mapper/control"):
        pytest.skip("no device mapper here (/dev/mapper/control): LVM cannot make volumes")
    devs = [loops.make(64), loops.make(64)]
    vg = f"vbtest_{suffix()}"
    xml = (f"<pool type='logical'><name>lvm1</name><source><name>{vg}</name>"
           + "".join(f"<device path='{d}'/>" for d in devs)
           + f"<format type='lvm2'/></source><target><path>/dev/{vg}</path></target></pool>")
    p = s.define(xml)
    try:
        s.pool(p, "Build", 0)
        assert sh("vgs", "--noheadings", "-o", "vg_name", vg).stdout.strip() == vg
        sources = s.connect("FindStoragePoolSources", "logical", "", 0)
        assert f"<name>{vg}</name>" in sources
        assert all(f"<device path='{d}'/>" in sources for d in devs)
        s.pool(p, "Create", 0)
        state, cap, alloc, avail = s.pool(p, "GetInfo")
        assert state == 2 and cap >= 100 * MiB and alloc == 0 and avail == cap
        s.pool_xml(p)

        v = s.create_vol(p, "<volume><name>lv1</name><capacity unit='MiB'>8</capacity></volume>")
        key = s.prop(v, VOL, "Key")
        assert s.prop(v, VOL, "Path") == f"/dev/{vg}/lv1" and len(key) == 38   # the LV's uuid
        assert s.connect("StorageVolLookupByKey", key) == v
        xml = s.vol(v, "GetXMLDesc", 0)
        validate(xml, "storagevol.rng")
        assert "<volume type='block'>" in xml and "<extent start='0' end='8388608'/>" in xml
        assert s.vol(v, "GetInfo", 0) == (1, 8 * MiB, 8 * MiB)
        assert s.pool(p, "GetInfo")[2] == 8 * MiB
        with expect_dbus_error(ERR + "InvalidArg") as e:
            s.create_vol(p, "<volume><name>-bad</name><capacity>1</capacity></volume>")
        assert "'-bad'" in e.message
        with expect_dbus_error(ERR + "InvalidArg") as e:     # LVM's limit: 127 characters
            s.create_vol(p, f"<volume><name>{'l' * 128}</name><capacity>1</capacity></volume>")
        assert "'" + "l" * 128 + "'" in e.message and "127" in e.message
        with expect_dbus_error(ERR + "NotSupported"):
            s.create_vol(p, vol_xml("q", MiB, "qcow2"))
        s.vol(v, "Resize", 12 * MiB, 0)
        assert s.vol(v, "GetInfo", 0)[1] == 12 * MiB
        s.create_vol(p, "<volume><name>lv2</name><capacity unit='MiB'>4</capacity></volume>")

        s.d.kill(signal.SIGKILL)
        s.d.start()
        assert s.pool(p, "GetInfo")[0] == 2
        assert sorted(s.prop(x, VOL, "Name") for x in s.pool(p, "ListStorageVolumes", 0)) == ["lv1", "lv2"]

        s.vol(v, "Delete", 0)
        assert [s.prop(x, VOL, "Name") for x in s.pool(p, "ListStorageVolumes", 0)] == ["lv2"]
        s.pool(p, "Destroy")
        s.pool(p, "Delete", 0)
        assert sh("vgs", vg, check=False).returncode != 0
        s.pool(p, "Undefine")
    finally:
        sh("vgremove", "-f", vg, check=False)
        for d in devs:
            sh("pvremove", "-y", d, check=False)


def nocow(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        buf = array.array("i", [0])
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, buf, True)
        return bool(buf[0] & FS_NOCOW_FL)
    finally:
        os.close(fd)


def test_btrfs_nocow(storaged, loops, vroot):
    s = storaged
    loops.filesystem("btrfs", 128)
    dev = loops.make(128)
    sh("mkfs.btrfs", "-q", "-f", dev)
    mnt = vroot / "btrfs"
    mnt.mkdir()
    sh("mount", dev, mnt)
    try:
        p = s.start_dir_pool("b", mnt / "images")
        s.create_vol(p, vol_xml("nocow.img", 8 * MiB, "raw", extra_target="<nocow/>"))
        s.create_vol(p, vol_xml("nocow.qcow2", 8 * MiB, "qcow2", extra_target="<nocow/>"))
        s.create_vol(p, vol_xml("cow.img", 8 * MiB, "raw"))
        assert nocow(mnt / "images/nocow.img") and nocow(mnt / "images/nocow.qcow2")
        assert not nocow(mnt / "images/cow.img")
        v = s.pool(p, "StorageVolLookupByName", "nocow.img")
        assert "<nocow/>" in s.vol(v, "GetXMLDesc", 0)
        # btrfs shares extents: a reflink clone (flag 2)
        with open(mnt / "images/cow.img", "r+b") as f:
            f.write(b"reflinked" * 1000)
        c = s.pool(p, "StorageVolCreateXMLFrom", "<volume><name>clone.img</name></volume>",
                   str(mnt / "images/cow.img"), 2)
        assert read_all(mnt / "images/clone.img") == read_all(mnt / "images/cow.img")
        s.vol(c, "Delete", 1)                           # ZEROED first
        assert not (mnt / "images/clone.img").exists()
        s.pool(p, "Destroy")
    finally:
        sh("umount", mnt, check=False)
    assert str(mnt) not in mounts_under(vroot)
