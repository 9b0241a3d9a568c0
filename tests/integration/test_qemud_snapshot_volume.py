# SPDX-License-Identifier: LGPL-2.1-or-later
"""External snapshots of a guest whose disk is a storaged volume
(<disk type='volume'>), as libvirt does them: the overlay is a file (by
default beside the volume's file, or the <source file> given), and the disk
becomes type='file' on it with the volume's file as its backing, live and
persistent. Revert (disk-only, and with memory) and delete (a live
block-commit into the volume's file) work on it. storaged keeps the volume
from deletion while the guest reads it as a layer, and forgets the guest
once it is off (no stale in-use mark)."""

import subprocess

import pytest

import virtbus_harness as h
from test_qemud_common import (_env_logs, module_env, dbus_error, Guest, QEMUD, S)  # noqa: F401
from test_qemud_snapshot_external import (CREATE_DISK_ONLY, STARTED, STARTED_FROM_SNAPSHOT, SNAP_IFACE,
                                          chain, stop)

pytestmark = pytest.mark.timeout(300)

POOL = "snvpool"
env = module_env()


def snap_call(env, path, method, *args):
    return env.qemud.bus.call(QEMUD, path, SNAP_IFACE, method, *args)


def vol_path(storaged, name):
    pool = storaged.connect("StoragePoolLookupByName", POOL)
    return storaged.pool(pool, "StorageVolLookupByName", name)


def disk_xml(vm, flags=0):
    xml = vm.call("GetXMLDesc", flags)
    return xml.split("<disk ", 1)[1].split("</disk>", 1)[0]


@pytest.fixture(scope="module")
def storaged(env):
    from test_storaged_common import Storaged
    daemon = h.Daemon("storaged", env.bus, env.root).start()
    h.register_log("virtbus-storaged", daemon.log_path)
    s = Storaged(daemon, env.bus, env.mon)
    s.dir = env.root / "vpool"
    s.start_dir_pool(POOL, s.dir)
    yield s
    daemon.stop()


@pytest.fixture(scope="module")
def vm(env, storaged):
    from test_storaged_common import vol_xml
    pool = storaged.connect("StoragePoolLookupByName", POOL)
    storaged.create_vol(pool, vol_xml("v.qcow2", 32 << 20, "qcow2"))
    placeholder = "/nonexistent/placeholder.qcow2"
    xml = env.guest_xml("vvol", tick=True, disks=[(placeholder, "qcow2", "vda")])
    xml = xml.replace("<disk type='file' device='disk'>", "<disk type='volume' device='disk'>", 1)
    xml = xml.replace(f"<source file='{placeholder}'/>", f"<source pool='{POOL}' volume='v.qcow2'/>", 1)
    g = Guest(env, env.call("DomainDefineXML", xml), "vvol")
    g.volfile = storaged.dir / "v.qcow2"
    yield g
    try:
        stop(g)
    except Exception as e:  # the env's own teardown reports what went wrong
        print(f"cannot stop {g.name}: {e}")


def test_shut_off_refused_clearly(env, vm):
    """A shut-off guest's volume has no file yet: refused naming it, nothing made."""
    with dbus_error("ConfigUnsupported", "vda", "volume", POOL, "shut-off"):
        vm.call("SnapshotCreateXML", "<domainsnapshot><name>off</name></domainsnapshot>", CREATE_DISK_ONLY)
    assert vm.call("ListDomainSnapshots", 0) == []
    assert "type='volume'" in disk_xml(vm)


def test_snapshots_revert_delete(env, vm, storaged):
    r = env.root
    vf = vm.volfile
    vm.start()
    vm.wait_ready()
    # bad input first: the volume's own file as the overlay
    with dbus_error("InvalidArg", "vda", str(vf)):
        vm.call("SnapshotCreateXML", f"<domainsnapshot><name>bad</name><disks><disk name='vda'>"
                f"<source file='{vf}'/></disk></disks></domainsnapshot>", CREATE_DISK_ONLY)
    assert "type='volume'" in disk_xml(vm)

    # disk-only, default overlay name beside the volume's file
    d1 = vm.call("SnapshotCreateXML", "<domainsnapshot><name>d1</name></domainsnapshot>", CREATE_DISK_ONLY)
    ov1 = storaged.dir / "v.d1"
    assert ov1.exists()
    for flags in (0, 2):  # live, and the persistent (INACTIVE) definition
        disk = disk_xml(vm, flags)
        assert disk.startswith("type='file'"), disk
        assert f"<source file='{ov1}'" in disk and "pool=" not in disk, disk
    assert chain(ov1) == [str(ov1), str(vf)]
    assert f"<source file='{vf}'" in disk_xml(vm)  # the backingStore, live
    # storaged refuses to delete the volume the guest reads as a layer
    with dbus_error("ResourceBusy", "vvol"):
        storaged.vol(vol_path(storaged, "v.qcow2"), "Delete", 0)

    # with memory, overlay given
    mem, ov2 = r / "vvol-m1.mem", r / "vvol-m1.qcow2"
    m1 = vm.call("SnapshotCreateXML",
                 f"<domainsnapshot><name>m1</name><memory snapshot='external' file='{mem}'/>"
                 f"<disks><disk name='vda'><source file='{ov2}'/></disk></disks></domainsnapshot>", 0)
    assert vm.state()[0] == S.RUNNING
    assert chain(ov2) == [str(ov2), str(ov1), str(vf)]

    # revert to d1 (disk-only, taken of the volume's disk): a new overlay
    # on the volume's file, the guest off as the disk-only snapshot leaves it
    snap_call(env, d1, "Revert", 0)
    assert vm.state()[0] == S.SHUTOFF
    disk = disk_xml(vm, 2)
    assert disk.startswith("type='file'") and "pool=" not in disk, disk
    top = disk.split("<source file='", 1)[1].split("'", 1)[0]
    assert top not in (str(ov1), str(ov2)) and chain(top)[1:] == [str(vf)]

    # revert to m1 (memory): running again on a new overlay on m1's image
    m = env.mark()
    snap_call(env, m1, "Revert", 0)
    assert vm.state()[0] == S.RUNNING
    env.wait_event(vm.path, STARTED, STARTED_FROM_SNAPSHOT, since=m, timeout=30)
    top = disk_xml(vm).split("<source file='", 1)[1].split("'", 1)[0]
    assert chain(top)[1:] == [str(ov1), str(vf)]

    # delete d1 live: its overlay merges into the volume's file
    snap_call(env, d1, "Delete", 0)
    assert vm.state()[0] == S.RUNNING
    assert not ov1.exists()
    assert chain(top)[1:] == [str(vf)]
    vm.wait_tick_after(vm.last_tick())

    # once off, storaged holds nothing of the guest: the volume can go
    stop(vm)
    h.wait_until(lambda: _deletable(storaged), 20, what="storaged to let the volume go")
    assert not vf.exists()


def _deletable(storaged):
    import dbus
    try:
        storaged.vol(vol_path(storaged, "v.qcow2"), "Delete", 0)
        return True
    except dbus.exceptions.DBusException:
        return False
