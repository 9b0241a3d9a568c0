# SPDX-License-Identifier: LGPL-2.1-or-later
"""Snapshots: internal snapshots of a shut-off guest's qcow2 disk, the tree
kept on disk (parent, children, current) across a qemud restart, revert
bringing the disk's data back to the moment of each snapshot, delete in the
middle of the tree, Undefine's rule, ListDomains' snapshot flags, and bad
input (a name that exists, XML that does not parse, a raw disk, a snapshot
whose image lost it) each failing with an error naming it and changing
nothing.

The data is written and read on the host with qemu-io (the guest is never
booted: a shut-off guest's snapshots are qemu-img's work)."""

import subprocess

import pytest

import virtbus_harness as h
from test_qemud_common import (_env_logs, module_env, dbus_error, snapshot, QEMUD,  # noqa: F401
                               assert_same_snapshot, xmllint_relaxng)

pytestmark = pytest.mark.timeout(180)

LIST_HAS_SNAPSHOT, LIST_NO_SNAPSHOT = 1 << 12, 1 << 13
UNDEFINE_SNAPSHOTS_METADATA = 2
LIST_ROOTS = LIST_DESCENDANTS = 1
DELETE_CHILDREN, DELETE_METADATA_ONLY, DELETE_CHILDREN_ONLY = 1, 2, 4
SNAP_IFACE = "org.libvirt.DomainSnapshot"

env = module_env()


def qemu_io(path, cmd):
    r = subprocess.run(["qemu-io", "-f", "qcow2", "-c", cmd, str(path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def write_pattern(path, byte):
    qemu_io(path, f"write -P {byte} 0 64k")


def has_pattern(path, byte):
    out = qemu_io(path, f"read -P {byte} 0 64k")
    return "Pattern verification failed" not in out


def image_snapshots(path):
    out = subprocess.run(["qemu-img", "snapshot", "-l", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return sorted(line.split()[1] for line in out.splitlines()[2:] if line.split())


def snap_call(env, path, method, *args):
    return env.qemud.bus.call(QEMUD, path, SNAP_IFACE,
                              method, *args)


def name_of(env, path):
    xml = snap_call(env, path, "GetXMLDesc", 0)
    return xml.split("<name>", 1)[1].split("</name>", 1)[0]


@pytest.fixture(scope="module")
def vm(env):
    disk = env.root / "vm1-disk.qcow2"
    raw = env.root / "vm1-raw.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "16M"], check=True)
    g = env.define("vm1", disks=[(str(disk), "qcow2", "vda")])
    g.disk = disk
    g.raw = raw
    return g


def create(vm, name, flags=0):
    return vm.call("SnapshotCreateXML", f"<domainsnapshot><name>{name}</name></domainsnapshot>", flags)


def test_tree_revert_delete_restart(env, vm):
    assert vm.call("ListDomainSnapshots", 0) == []
    assert vm.path in env.call("ListDomains", LIST_NO_SNAPSHOT)
    with dbus_error("NoDomainSnapshot", "current snapshot"):
        vm.call("SnapshotCurrent", 0)

    write_pattern(vm.disk, 0x11)
    s1 = create(vm, "s1")
    write_pattern(vm.disk, 0x22)
    s2 = create(vm, "s2")
    write_pattern(vm.disk, 0x33)
    s3 = create(vm, "s3")
    write_pattern(vm.disk, 0x44)
    assert image_snapshots(vm.disk) == ["s1", "s2", "s3"]

    # The object paths are libvirt-dbus's, the same from every lookup.
    assert s1.endswith("_s1") and "/domainsnapshot/_" in s1
    assert vm.call("SnapshotLookupByName", "s2", 0) == s2
    assert vm.call("SnapshotCurrent", 0) == s3
    assert sorted(vm.call("ListDomainSnapshots", 0)) == sorted([s1, s2, s3])
    assert vm.call("ListDomainSnapshots", LIST_ROOTS) == [s1]
    assert snap_call(env, s2, "GetParent", 0) == s1
    assert snap_call(env, s1, "ListChildren", 0) == [s2]
    assert sorted(snap_call(env, s1, "ListChildren", LIST_DESCENDANTS)) == sorted([s2, s3])
    assert snap_call(env, s3, "IsCurrent", 0) is True or snap_call(env, s3, "IsCurrent", 0) == 1
    assert not snap_call(env, s1, "IsCurrent", 0)
    assert vm.path in env.call("ListDomains", LIST_HAS_SNAPSHOT)
    assert vm.path not in env.call("ListDomains", LIST_NO_SNAPSHOT)

    xml = snap_call(env, s2, "GetXMLDesc", 0)
    assert "<parent>" in xml and "<name>s1</name>" in xml and "<state>shutoff</state>" in xml
    assert "<disk name='vda' snapshot='internal'/>" in xml and "<domain type=" in xml
    assert "<active>" not in xml
    xmllint_relaxng(xml, "domainsnapshot", "snapshot s2's XML")
    stored = env.conf_dir / "snapshot" / "vm1" / "s3.xml"
    assert "<active>1</active>" in stored.read_text()
    xmllint_relaxng(stored.read_text(), "domainsnapshot", "the stored s3.xml")

    # Revert brings the data of each moment back.
    snap_call(env, s2, "Revert", 0)
    assert has_pattern(vm.disk, 0x22)
    assert vm.call("SnapshotCurrent", 0) == s2
    snap_call(env, s1, "Revert", 0)
    assert has_pattern(vm.disk, 0x11)
    snap_call(env, s3, "Revert", 0)
    assert has_pattern(vm.disk, 0x33)

    # The tree survives a restart of qemud.
    env.qemud.restart()
    assert sorted(vm.call("ListDomainSnapshots", 0)) == sorted([s1, s2, s3])
    assert vm.call("SnapshotCurrent", 0) == s3
    assert snap_call(env, s3, "GetParent", 0) == s2

    # Delete in the middle: s3 hangs on s1 now; s2's data is gone from the image.
    snap_call(env, s2, "Delete", 0)
    assert image_snapshots(vm.disk) == ["s1", "s3"]
    assert snap_call(env, s3, "GetParent", 0) == s1
    assert snap_call(env, s1, "ListChildren", 0) == [s3]
    assert vm.call("SnapshotCurrent", 0) == s3
    snap_call(env, s1, "Revert", 0)
    assert has_pattern(vm.disk, 0x11)
    snap_call(env, s3, "Revert", 0)
    assert has_pattern(vm.disk, 0x33)
    with dbus_error("NoDomainSnapshot", "s2"):
        vm.call("SnapshotLookupByName", "s2", 0)

    # CHILDREN_ONLY keeps s1, METADATA_ONLY leaves the image alone.
    snap_call(env, s1, "Delete", DELETE_CHILDREN_ONLY)
    assert image_snapshots(vm.disk) == ["s1"]
    assert vm.call("ListDomainSnapshots", 0) == [s1]
    assert vm.call("SnapshotCurrent", 0) == s1
    snap_call(env, s1, "Delete", DELETE_METADATA_ONLY)
    assert vm.call("ListDomainSnapshots", 0) == []
    assert image_snapshots(vm.disk) == ["s1"]
    subprocess.run(["qemu-img", "snapshot", "-d", "s1", str(vm.disk)], check=True)


def test_bad_input_changes_nothing(env, vm):
    s = create(vm, "keep")
    before = snapshot(env)
    tree = sorted(vm.call("ListDomainSnapshots", 0))
    images = image_snapshots(vm.disk)

    with dbus_error("OperationInvalid", "keep", "already exists"):
        create(vm, "keep")
    with dbus_error("XMLError", "XML"):
        vm.call("SnapshotCreateXML", "<domainsnapshot><name>x</name>", 0)
    with dbus_error("NotSupported", "bogus"):
        vm.call("SnapshotCreateXML", "<domainsnapshot><bogus/></domainsnapshot>", 0)
    with dbus_error("InvalidArg", "../x"):
        create(vm, "../x")
    with dbus_error("InvalidArg", "vdz"):
        vm.call("SnapshotCreateXML", "<domainsnapshot><disks><disk name='vdz'/></disks></domainsnapshot>", 0)
    with dbus_error("InvalidArg", "unsupported flags"):
        create(vm, "y", 1 << 20)
    assert sorted(vm.call("ListDomainSnapshots", 0)) == tree
    assert image_snapshots(vm.disk) == images

    # The image lost the snapshot behind our back: revert refuses, the data stays.
    write_pattern(vm.disk, 0x55)
    subprocess.run(["qemu-img", "snapshot", "-d", "keep", str(vm.disk)], check=True)
    with dbus_error("OperationInvalid", "keep", str(vm.disk)):
        snap_call(env, s, "Revert", 0)
    assert has_pattern(vm.disk, 0x55)
    assert_same_snapshot(before, snapshot(env))

    # Undefine refuses while snapshots exist (libvirt's rule).
    with dbus_error("OperationInvalid", "snapshots"):
        vm.call("Undefine", 0)
    assert_same_snapshot(before, snapshot(env))
    snap_call(env, s, "Delete", 0)  # its data is already gone: the record goes
    assert vm.call("ListDomainSnapshots", 0) == []


def test_raw_disk_refused(env):
    raw = env.root / "vm2.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(raw), "8M"], check=True)
    g = env.define("vm2", disks=[(str(raw), "raw", "vda")])
    before = snapshot(env)
    with dbus_error("ConfigUnsupported", "vda", "raw"):
        create(g, "r1")
    assert g.call("ListDomainSnapshots", 0) == []
    assert_same_snapshot(before, snapshot(env))
    g.call("Undefine", 0)


def test_undefine_with_snapshots_metadata(env):
    disk = env.root / "vm3.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "8M"], check=True)
    g = env.define("vm3", disks=[(str(disk), "qcow2", "vda")])
    create(g, "a")
    create(g, "b")
    with dbus_error("OperationInvalid", "2 snapshots"):
        g.call("Undefine", 0)
    g.call("Undefine", UNDEFINE_SNAPSHOTS_METADATA)
    assert not (env.conf_dir / "snapshot" / "vm3").exists()
    # Defined again, it starts with no snapshots.
    g2 = env.define("vm3", disks=[(str(disk), "qcow2", "vda")])
    assert g2.call("ListDomainSnapshots", 0) == []
    g2.call("Undefine", 0)
