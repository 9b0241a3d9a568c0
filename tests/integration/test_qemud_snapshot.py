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

import os
import signal
import subprocess

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import (_env_logs, module_env, dbus_error, snapshot, QEMUD, S,  # noqa: F401
                               assert_same_snapshot, xmllint_relaxng)

pytestmark = pytest.mark.timeout(180)

LIST_HAS_SNAPSHOT, LIST_NO_SNAPSHOT = 1 << 12, 1 << 13
UNDEFINE_SNAPSHOTS_METADATA = 2
LIST_ROOTS = LIST_DESCENDANTS = 1
DELETE_CHILDREN, DELETE_METADATA_ONLY, DELETE_CHILDREN_ONLY = 1, 2, 4
# libvirt's lifecycle events, their FROM_SNAPSHOT details and state reasons
STARTED, SUSPENDED, RESUMED, STOPPED = 2, 3, 4, 5
STARTED_FROM_SNAPSHOT, SUSPENDED_FROM_SNAPSHOT, RESUMED_FROM_SNAPSHOT, STOPPED_FROM_SNAPSHOT = 3, 5, 2, 6
RUNNING_FROM_SNAPSHOT, PAUSED_FROM_SNAPSHOT = 4, 7
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


# ---- a running guest: one boot for all that follows ----------------------

CREATE_HALT, CREATE_DISK_ONLY, CREATE_REUSE_EXT, CREATE_QUIESCE, CREATE_LIVE = 8, 16, 32, 64, 256
REVERT_RUNNING, REVERT_PAUSED = 1, 2
JOB_NONE, JOB_UNBOUNDED, OP_SNAPSHOT = 0, 2, 6
AGENT_CHANNEL = """    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>"""


def image_snapshots_live(path):
    """qemu-img snapshot -l of an image a running QEMU holds (-U)."""
    out = subprocess.run(["qemu-img", "snapshot", "-U", "-l", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return sorted(line.split()[1] for line in out.splitlines()[2:] if line.split())


@pytest.fixture(scope="module")
def live(env):
    disk = env.root / "live-disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "32M"], check=True)
    # With the guest agent's channel when the test guest has qemu-ga (QUIESCE).
    agent = bool(env.guest.agent)
    g = env.define("live", tick=True, disks=[(str(disk), "qcow2", "vda")],
                   extra_devices=AGENT_CHANNEL if agent else "")
    g.disk = disk
    g.agent = agent
    g.start()
    g.wait_ready()
    g.wait_tick_after(0)
    if agent:
        h.wait_until(lambda: "state='connected'" in g.call("GetXMLDesc", 0), 120, 0.2, "live's agent connected")
    yield g
    if g.state()[0] != S.SHUTOFF:
        g.call("Destroy", 0)


def ticks_resume_from(vm, before, later):
    """After a revert, the guest's first tick follows the snapshot's moment
    (`before`), not the later one it had reached."""
    first = vm.wait_tick_after(-1, timeout=60)
    ticks = vm.ticks()
    assert before < ticks[0] <= before + 3, f"ticks after revert {ticks[:5]}, at snapshot {before}, later {later}"
    assert ticks[0] < later, f"ticks after revert {ticks[:5]}, later {later}"
    vm.wait_tick_after(first)


def test_running_internal_snapshot_revert_delete(env, live):
    before = live.wait_tick_after(live.last_tick())
    s1 = create(live, "r1")
    assert live.state()[0] == S.RUNNING
    assert image_snapshots_live(live.disk) == ["r1"]
    xml = snap_call(env, s1, "GetXMLDesc", 0)
    assert "<state>running</state>" in xml, xml
    assert "<memory snapshot='internal'/>" in xml, xml
    assert "<disk name='vda' snapshot='internal'/>" in xml, xml
    xmllint_relaxng(xml, "domainsnapshot", "snapshot r1's XML")

    later = live.wait_tick_after(before + 5, timeout=30)
    live.serial.write_bytes(b"")
    m = env.mark()
    snap_call(env, s1, "Revert", 0)
    assert live.state() == (S.RUNNING, RUNNING_FROM_SNAPSHOT)
    # libvirt 9.0's events for a running guest (its QEMU restarted with
    # -loadvm; here the same QEMU loads it): Stopped, Started, Resumed, all
    # FROM_SNAPSHOT, and no Suspended of the load's own pause.
    env.expect_events(live.path, m, [(STOPPED, STOPPED_FROM_SNAPSHOT), (STARTED, STARTED_FROM_SNAPSHOT),
                                      (RESUMED, RESUMED_FROM_SNAPSHOT)])
    ticks_resume_from(live, before, later)
    assert live.call("SnapshotCurrent", 0) == s1

    # REVERT_PAUSED: back to the moment, the vCPUs stopped; Resume goes on.
    m = env.mark()
    snap_call(env, s1, "Revert", REVERT_PAUSED)
    assert live.state() == (S.PAUSED, PAUSED_FROM_SNAPSHOT)
    env.expect_events(live.path, m, [(STOPPED, STOPPED_FROM_SNAPSHOT), (STARTED, STARTED_FROM_SNAPSHOT),
                                      (SUSPENDED, SUSPENDED_FROM_SNAPSHOT)])
    # A paused guest reverted to a running snapshot: no stop of its own.
    m = env.mark()
    live.serial.write_bytes(b"")
    snap_call(env, s1, "Revert", 0)
    assert live.state() == (S.RUNNING, RUNNING_FROM_SNAPSHOT)
    env.expect_events(live.path, m, [(STOPPED, STOPPED_FROM_SNAPSHOT), (STARTED, STARTED_FROM_SNAPSHOT),
                                      (RESUMED, RESUMED_FROM_SNAPSHOT)])
    ticks_resume_from(live, before, before + 10 ** 6)
    snap_call(env, s1, "Revert", REVERT_PAUSED)
    live.serial.write_bytes(b"")
    live.call("Resume")
    ticks_resume_from(live, before, before + 10 ** 6)

    # A second snapshot of the paused guest says so; a child of r1. While
    # it runs (QEMU held stopped: its monitor does not answer yet),
    # GetJobInfo/GetJobStats report an unbounded SNAPSHOT job, as libvirt's.
    live.call("Suspend")
    assert live.call("GetJobInfo")[0] == JOB_NONE
    os.kill(live.pid(), signal.SIGSTOP)
    try:
        proc = subprocess.Popen(["busctl", f"--address={env.bus.address}", "--timeout=120", "call",
                                 "org.virtbus.qemud", live.path, "org.libvirt.Domain", "SnapshotCreateXML", "su",
                                 "<domainsnapshot><name>r2</name></domainsnapshot>", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        h.wait_until(lambda: live.call("GetJobInfo")[0] == JOB_UNBOUNDED, 30, 0.05, "the snapshot job")
        typ, stats = live.call("GetJobStats", 0)
        assert typ == JOB_UNBOUNDED and stats["operation"] == OP_SNAPSHOT, (typ, stats)
        assert "time_elapsed" in stats, stats
    finally:
        os.kill(live.pid(), signal.SIGCONT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    s2 = live.call("SnapshotLookupByName", "r2", 0)
    assert live.call("GetJobInfo")[0] == JOB_NONE
    assert live.state()[0] == S.PAUSED
    assert "<state>paused</state>" in snap_call(env, s2, "GetXMLDesc", 0)
    assert snap_call(env, s2, "GetParent", 0) == s1
    live.call("Resume")
    # Delete while it runs: QEMU's snapshot-delete, the image lets it go.
    snap_call(env, s2, "Delete", 0)
    assert image_snapshots_live(live.disk) == ["r1"]
    assert live.state()[0] == S.RUNNING
    live.wait_tick_after(live.last_tick())


def test_running_bad_input_changes_nothing(env, live):
    before = snapshot(env)
    tree = sorted(live.call("ListDomainSnapshots", 0))
    images = image_snapshots_live(live.disk)
    with dbus_error("OperationInvalid", "r1", "already exists"):
        create(live, "r1")
    with dbus_error("NoDomainSnapshot", "nosuch"):
        live.call("SnapshotLookupByName", "nosuch", 0)
    # Revert to a snapshot that is gone (r2 was deleted): its object answers so.
    gone = live.call("SnapshotLookupByName", "r1", 0)[:-2] + "r2"
    with dbus_error("NoDomainSnapshot", "r2"):
        snap_call(env, gone, "Revert", 0)
    with dbus_error("OperationInvalid", "live snapshot", "external"):
        create(live, "l1", CREATE_LIVE)
    with dbus_error("OperationInvalid", "quiesce requires disk-only"):
        create(live, "q1", CREATE_QUIESCE)
    # An external snapshot onto a file that holds data, without REUSE_EXT.
    taken = env.root / "taken.qcow2"
    taken.write_bytes(b"somebody's data")
    with dbus_error("ConfigUnsupported", "already exists", str(taken)):
        live.call("SnapshotCreateXML",
                  f"<domainsnapshot><name>e0</name><disks><disk name='vda' snapshot='external'>"
                  f"<source file='{taken}'/></disk></disks></domainsnapshot>", CREATE_DISK_ONLY)
    assert taken.read_bytes() == b"somebody's data"
    # REUSE_EXT of a file that is no qcow2 image: QEMU refuses to open it,
    # the file stays as it was and the guest on its image.
    with dbus_error("OperationFailed", "e0", "overlay"):
        live.call("SnapshotCreateXML",
                  f"<domainsnapshot><name>e0</name><disks><disk name='vda' snapshot='external'>"
                  f"<source file='{taken}'/></disk></disks></domainsnapshot>", CREATE_DISK_ONLY | CREATE_REUSE_EXT)
    assert taken.read_bytes() == b"somebody's data"
    # REUSE_EXT of a file that is not there.
    with dbus_error("InvalidArg", "missing existing file", "vda"):
        live.call("SnapshotCreateXML",
                  f"<domainsnapshot><name>e0</name><disks><disk name='vda' snapshot='external'>"
                  f"<source file='{env.root / 'absent.qcow2'}'/></disk></disks></domainsnapshot>",
                  CREATE_DISK_ONLY | CREATE_REUSE_EXT)
    assert not (env.root / "absent.qcow2").exists()
    # Mixing internal and external.
    with dbus_error("ConfigUnsupported", "mixing internal and external"):
        live.call("SnapshotCreateXML",
                  "<domainsnapshot><name>e0</name><memory snapshot='internal'/><disks>"
                  f"<disk name='vda' snapshot='external'><source file='{env.root / 'x.qcow2'}'/></disk>"
                  "</disks></domainsnapshot>", 0)
    assert not (env.root / "x.qcow2").exists()
    taken.unlink()
    assert sorted(live.call("ListDomainSnapshots", 0)) == tree
    assert image_snapshots_live(live.disk) == images
    assert_same_snapshot(before, snapshot(env))


def test_virsh_and_python_through_the_proxy(env, live):
    import libvirt
    p = h.Proxy(env.bus, env.root).start()
    try:
        h.register_log("virtbus-proxyd", p.log_path)
        out = p.virsh("snapshot-create-as", "live", "v1", "--description", "from virsh").stdout
        assert "v1" in out, out
        tree = p.virsh("snapshot-list", "live", "--tree").stdout
        assert "r1" in tree and "v1" in tree, tree
        assert tree.index("r1") < tree.index("v1"), tree
        assert p.virsh("snapshot-current", "live", "--name").stdout.strip() == "v1"
        listing = p.virsh("snapshot-list", "live", "--parent").stdout
        assert "r1" in listing and "running" in listing, listing
        assert "from virsh" in p.virsh("snapshot-dumpxml", "live", "v1").stdout
        info = p.virsh("snapshot-info", "live", "r1").stdout
        assert ("Current:        no" in info and "Children:       1" in info and "Metadata:       yes" in info
                and "State:          running" in info), info
        assert p.virsh("snapshot-list", "live", "--roots", "--name").stdout.split() == ["r1"]
        assert p.virsh("snapshot-list", "live", "--leaves", "--name").stdout.split() == ["v1"]
        before = live.wait_tick_after(live.last_tick())
        p.virsh("snapshot-create-as", "live", "v2")
        later = live.wait_tick_after(before + 5, timeout=30)
        live.serial.write_bytes(b"")
        p.virsh("snapshot-revert", "live", "v2")
        ticks_resume_from(live, before, later)
        assert p.virsh("snapshot-parent", "live", "v2").stdout.strip() == "v1"
        p.virsh("snapshot-delete", "live", "v2")
        r = p.virsh("snapshot-revert", "live", "v2", check=False)
        assert r.returncode != 0 and "v2" in r.stderr, r.stderr
        assert image_snapshots_live(live.disk) == ["r1", "v1"]

        conn = libvirt.open(p.uri)
        try:
            dom = conn.lookupByName("live")
            assert dom.hasCurrentSnapshot() == 1
            assert dom.snapshotNum() == 2
            assert sorted(dom.snapshotListNames()) == ["r1", "v1"]
            names = sorted(s.getName() for s in dom.listAllSnapshots())
            assert names == ["r1", "v1"]
            r1 = dom.snapshotLookupByName("r1")
            assert r1.numChildren() == 1 and r1.listChildrenNames() == ["v1"]
            assert [c.getName() for c in r1.listAllChildren()] == ["v1"]
            v1 = dom.snapshotCurrent()
            assert v1.getName() == "v1" and v1.isCurrent() and v1.hasMetadata()
            assert v1.getParent().getName() == "r1"
            assert "<name>v1</name>" in v1.getXMLDesc()
            s3 = dom.snapshotCreateXML("<domainsnapshot><name>py1</name></domainsnapshot>")
            assert s3.getName() == "py1" and s3.getDomain().name() == "live"
            dom.revertToSnapshot(s3)
            s3.delete()
            v1.delete()
            with pytest.raises(libvirt.libvirtError) as e:
                dom.snapshotLookupByName("v1")
            assert e.value.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT
        finally:
            conn.close()
        assert image_snapshots_live(live.disk) == ["r1"]
    finally:
        p.stop()


def test_external_disk_only_snapshot_of_a_running_guest(env, live):
    overlay = env.root / "live-disk.e1"   # libvirt's default name: the suffix becomes the snapshot's name
    s = live.call("SnapshotCreateXML", "<domainsnapshot><name>e1</name></domainsnapshot>", CREATE_DISK_ONLY)
    assert overlay.exists()
    assert live.state()[0] == S.RUNNING
    info = subprocess.run(["qemu-img", "info", "-U", "--output=json", str(overlay)], capture_output=True,
                          text=True, check=True).stdout
    assert str(live.disk) in info and '"qcow2"' in info, info
    # The definitions, live and persistent, name the overlay now.
    assert f"<source file='{overlay}'" in live.call("GetXMLDesc", 0)
    assert f"<source file='{overlay}'" in live.call("GetXMLDesc", 2)
    # The live XML shows the new chain: overlay -> the image it was on.
    dom = live.call("GetXMLDesc", 0)
    chain = dom.split(f"<source file='{overlay}'", 1)[1].split("</disk>", 1)[0]
    assert "<backingStore" in chain and f"<source file='{live.disk}'/>" in chain, chain
    xml = snap_call(env, s, "GetXMLDesc", 0)
    assert "<state>disk-snapshot</state>" in xml and "<memory snapshot='no'/>" in xml, xml
    assert (f"<disk name='vda' snapshot='external' type='file'>" in xml and "<driver type='qcow2'/>" in xml
            and f"<source file='{overlay}'/>" in xml), xml
    xmllint_relaxng(xml, "domainsnapshot", "snapshot e1's XML")
    # QEMU writes to the overlay: the base image keeps its data.
    assert snap_call(env, s, "GetParent", 0).endswith("_r1")
    live.wait_tick_after(live.last_tick())

    before = snapshot(env)
    # libvirt 9.0's rule: a subtree with an external snapshot in it is not
    # deleted at once (revert and delete of e1 itself: test_qemud_snapshot_external.py).
    r1 = live.call("SnapshotLookupByName", "r1", 0)
    with dbus_error("ConfigUnsupported", "external children"):
        snap_call(env, r1, "Delete", DELETE_CHILDREN)
    # Nor is e1 merged into an image that holds an internal snapshot (libvirt's rule).
    with dbus_error("NotSupported", "internal snapshot as parent"):
        snap_call(env, s, "Delete", 0)
    assert image_snapshots_live(live.disk) == ["r1"]
    assert sorted(name_of(env, p) for p in live.call("ListDomainSnapshots", 0)) == ["e1", "r1"]
    assert_same_snapshot(before, snapshot(env))
    # METADATA_ONLY: the record goes, the overlay stays (the guest runs on it).
    snap_call(env, s, "Delete", DELETE_METADATA_ONLY)
    assert overlay.exists()
    assert [name_of(env, p) for p in live.call("ListDomainSnapshots", 0)] == ["r1"]


def test_quiesced_external_snapshot(env, live):
    """QUIESCE freezes the guest's file systems through its agent around
    blockdev-snapshot; the guest runs on the new overlay after."""
    if not live.agent:
        pytest.skip("the test guest was built without qemu-guest-agent: QUIESCE needs it")
    # The reverts before put the guest's agent back to its snapshot's moment:
    # its port may take a while to be open again.
    h.wait_until(lambda: "state='connected'" in live.call("GetXMLDesc", 0), 120, 0.2, "live's agent connected")
    overlay = env.root / "quiesced.qcow2"
    s = live.call("SnapshotCreateXML",
                  f"<domainsnapshot><name>q1</name><disks><disk name='vda'><source file='{overlay}'/></disk>"
                  "</disks></domainsnapshot>", CREATE_DISK_ONLY | CREATE_QUIESCE)
    assert overlay.exists()
    assert f"<source file='{overlay}'" in live.call("GetXMLDesc", 0)
    live.wait_tick_after(live.last_tick())
    # The file systems are thawed again: a second freeze works.
    assert int(live.call("FSFreeze", dbus.Array([], signature="s"), 0)) >= 0
    live.call("FSThaw", dbus.Array([], signature="s"), 0)
    snap_call(env, s, "Delete", DELETE_METADATA_ONLY)


def test_quiesce_without_agent_changes_nothing(env):
    """A guest without the agent's channel: QUIESCE fails before anything is
    done (libvirt's "QEMU guest agent is not configured")."""
    disk = env.root / "noagent.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "8M"], check=True)
    g = env.define("noagent", disks=[(str(disk), "qcow2", "vda")], nic=None)
    g.start()
    try:
        h.wait_until(lambda: g.state()[0] == S.RUNNING, 60, what="noagent running")
        before = snapshot(env)
        with dbus_error("ArgumentUnsupported", "agent is not configured"):
            g.call("SnapshotCreateXML", "<domainsnapshot><name>nq</name></domainsnapshot>",
                   CREATE_DISK_ONLY | CREATE_QUIESCE)
        assert not (env.root / "noagent.nq").exists()
        assert g.call("ListDomainSnapshots", 0) == []
        assert_same_snapshot(before, snapshot(env))
    finally:
        g.call("Destroy", 0)
        h.wait_until(lambda: g.state()[0] == S.SHUTOFF, 30, what="noagent shut off")
        g.call("Undefine", 0)


def test_halt_then_offline_external(env, live):
    """HALT shuts the guest off once the snapshot is taken; then an external
    snapshot of the shut-off guest is qemu-img's."""
    # The disk's image now: the last overlay put on top.
    top = env.root / ("quiesced.qcow2" if live.agent else "live-disk.e1")
    assert f"<source file='{top}'" in live.call("GetXMLDesc", 0)
    before = live.wait_tick_after(live.last_tick())
    s = create(live, "h1", CREATE_HALT)
    h.wait_until(lambda: live.state()[0] == S.SHUTOFF, 30, what="live shut off by HALT")
    assert "<state>running</state>" in snap_call(env, s, "GetXMLDesc", 0)
    assert image_snapshots_live(top) == ["h1"]

    # Revert of the shut-off guest to it: QEMU starts, loads the state, and
    # the guest goes on from the snapshot's moment (no new boot).
    live.serial.write_bytes(b"")
    snap_call(env, s, "Revert", 0)
    assert live.state()[0] == S.RUNNING
    ticks_resume_from(live, before, before + 10 ** 6)
    assert "VIRTBUS-GUEST-READY" not in live.serial_text().decode(errors="replace")
    live.call("Destroy", 0)
    h.wait_until(lambda: live.state()[0] == S.SHUTOFF, 30, what="live shut off")
    off = env.root / "offline.qcow2"
    s2 = live.call("SnapshotCreateXML",
                   f"<domainsnapshot><name>o1</name><disks><disk name='vda'><source file='{off}'/></disk>"
                   "</disks></domainsnapshot>", CREATE_DISK_ONLY)
    info = subprocess.run(["qemu-img", "info", "--output=json", str(off)], capture_output=True, text=True,
                          check=True).stdout
    assert str(top) in info, info
    assert f"<source file='{off}'" in live.call("GetXMLDesc", 0)
    snap_call(env, s2, "Delete", DELETE_METADATA_ONLY)
    snap_call(env, s, "Delete", DELETE_METADATA_ONLY)


def test_revert_to_a_shut_off_snapshot_and_start(env, live):
    """REVERT_RUNNING to a shut-off snapshot starts the guest (a new boot
    from the disks as they were), REVERT_PAUSED starts it paused; a guest
    that runs is stopped first, as libvirt does (Lifecycle Stopped), and
    the revert's own job survives that stop."""
    s = create(live, "off1")
    assert "<state>shutoff</state>" in snap_call(env, s, "GetXMLDesc", 0)
    snap_call(env, s, "Revert", REVERT_RUNNING)
    assert live.state()[0] == S.RUNNING
    live.wait_ready()
    # Running -> stopped by the revert -> started paused (no boot needed).
    m = env.mark()
    snap_call(env, s, "Revert", REVERT_PAUSED)
    assert live.state()[0] == S.PAUSED
    ev = env.events(live.path, m)
    assert (5, 6) in ev, ev  # Stopped FROM_SNAPSHOT, as libvirt's
    assert (2, 3) in ev[ev.index((5, 6)):], ev  # then Started FROM_SNAPSHOT
    assert (3, 5) in ev[ev.index((5, 6)):], ev  # and Suspended FROM_SNAPSHOT
    assert live.call("SnapshotCurrent", 0) == s
    # Without a flag the guest stays off after its stop.
    snap_call(env, s, "Revert", 0)
    assert live.state()[0] == S.SHUTOFF
    snap_call(env, s, "Revert", REVERT_PAUSED)
    assert live.state()[0] == S.PAUSED
    live.call("Destroy", 0)
    h.wait_until(lambda: live.state()[0] == S.SHUTOFF, 30, what="live shut off")
    snap_call(env, s, "Delete", 0)


def test_virsh_disk_only_through_the_proxy(env, live):
    """virsh's --disk-only --diskspec reaches the same external snapshot
    (the guest is shut off here: qemu-img's)."""
    p = h.Proxy(env.bus, env.root).start()
    try:
        h.register_log("virtbus-proxyd", p.log_path)
        f = env.root / "virsh-d1.qcow2"
        p.virsh("snapshot-create-as", "live", "vd1", "--disk-only", "--diskspec", f"vda,file={f}")
        assert f.exists()
        assert f"<source file='{f}'" in live.call("GetXMLDesc", 2)
        out = p.virsh("snapshot-list", "live", "--disk-only").stdout
        assert "vd1" in out and "disk-snapshot" in out, out
        # Revert: the guest stays off, on a new overlay of the image vd1 kept.
        kept = subprocess.run(["qemu-img", "info", "--output=json", str(f)], capture_output=True, text=True,
                              check=True).stdout.split('"backing-filename": "', 1)[1].split('"', 1)[0]
        p.virsh("snapshot-revert", "live", "vd1")
        assert live.state()[0] == S.SHUTOFF
        src = live.call("GetXMLDesc", 2).split("<source file='", 1)[1].split("'", 1)[0]
        assert src not in (str(f), kept), src
        info = subprocess.run(["qemu-img", "info", "--output=json", src], capture_output=True, text=True,
                              check=True).stdout
        assert kept in info, info
        p.virsh("snapshot-delete", "live", "vd1", "--metadata")
        assert f.exists()
    finally:
        p.stop()
