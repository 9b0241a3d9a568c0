# SPDX-License-Identifier: LGPL-2.1-or-later
"""storaged knows the backing chains of running guests (qemud tells it,
qemu-chains.c): a volume's GetXMLDesc shows its <backingStore> as it is now
(after a commit or a pull, not as the last refresh saw it); every file a
running guest reads - its images and each layer below them - cannot be
deleted (ResourceBusy naming the guest) until a commit took the layer out of
the chain; this survives storaged SIGKILLed and qemud SIGKILLed, each
started again; an external snapshot's overlay is known at once; the same
through virsh (vol-dumpxml, vol-delete) against the proxy. And a copy onto a
file another guest uses, or whose lease someone else holds in lockd, is
refused naming the holder; a cancelled copy gives its target's lease back.

The guest (the test guest's kernel, TCG) needs no shell here: QEMU does the
block jobs whatever the guest does."""

import signal
import subprocess
import xml.etree.ElementTree as ET

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, _env_logs, dbus_error, module_env  # noqa: F401
from test_storaged_common import Storaged

pytestmark = pytest.mark.timeout(300)

env = module_env()

MIB = 1 << 20
POOL = "chains"
PULL, COMMIT = 1, 3
COMPLETED = 0
REUSE_EXT = 2
START_PAUSED = 1


def qemu_img(*args):
    return subprocess.run(["qemu-img", *map(str, args)], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def storaged(env):
    daemon = h.Daemon("storaged", env.bus, env.root).start()
    h.register_log("virtbus-storaged", daemon.log_path)
    s = Storaged(daemon, env.bus, env.mon)
    yield s
    daemon.stop()


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def vm(env, storaged):
    """In pool 'chains': vda top.qcow2 <- mid.qcow2 <- base.raw; vdb
    ptop.qcow2 <- pbase.raw; other.raw, the disk of a second guest."""
    d = env.root / "pool"
    d.mkdir()
    img = {n: d / n for n in ("base.raw", "mid.qcow2", "top.qcow2", "pbase.raw", "ptop.qcow2", "other.raw")}
    qemu_img("create", "-f", "raw", img["base.raw"], 8 * MIB)
    qemu_img("create", "-f", "qcow2", "-b", img["base.raw"], "-F", "raw", img["mid.qcow2"])
    qemu_img("create", "-f", "qcow2", "-b", img["mid.qcow2"], "-F", "qcow2", img["top.qcow2"])
    qemu_img("create", "-f", "raw", img["pbase.raw"], MIB)
    qemu_img("create", "-f", "qcow2", "-b", img["pbase.raw"], "-F", "raw", img["ptop.qcow2"])
    qemu_img("create", "-f", "raw", img["other.raw"], MIB)
    storaged.start_dir_pool(POOL, d, build=False)
    xml = h.guest_domain_xml(env.guest, "chainvm", nic=None,
                             disks=[(str(img["top.qcow2"]), "qcow2", "vda"), (str(img["ptop.qcow2"]), "qcow2", "vdb")])
    g = Guest(env, env.call("DomainDefineXML", xml), "chainvm")
    g.call("Create", 0)
    g.img = img
    yield g
    for call in (("Destroy", 0), ("Undefine", 0)):
        try:
            g.call(*call)
        except dbus.exceptions.DBusException:
            pass


def vol_path(storaged, name):
    """The volume's object, looked up by name in the pool."""
    pool = storaged.connect("StoragePoolLookupByName", POOL)
    return storaged.pool(pool, "StorageVolLookupByName", name)


def backing_of(storaged, name):
    """(path, format) of the volume's <backingStore>, or None."""
    import xml.etree.ElementTree as ET
    b = ET.fromstring(storaged.vol_xml(vol_path(storaged, name))).find("backingStore")
    return None if b is None else (b.findtext("path"), b.find("format").get("type"))


def readers(storaged, path):
    return sorted(name for _, name, p in storaged.storage1("ListChainsInUse") if p == str(path))


def wait_job(env, vm, disk, since):
    m = env.mon.wait_signal("BlockJob", "org.libvirt.Domain", vm.path,
                            args=lambda a: a[0] == disk and a[2] == COMPLETED, since=since, timeout=120)
    return m["payload"]["data"][1]


# ---------------------------------------------------------------------------

def test_chain_known_and_layers_busy(env, storaged, vm):
    """Each file of the running guest's chains is in storaged's table,
    named by the guest; deleting any of them is refused with ResourceBusy
    naming the guest, and the file stays."""
    for name in ("top.qcow2", "mid.qcow2", "base.raw", "ptop.qcow2", "pbase.raw"):
        h.wait_until(lambda: readers(storaged, vm.img[name]) == ["chainvm"], 20,
                     what=f"storaged to know chainvm reads {name}")
    assert readers(storaged, vm.img["other.raw"]) == []
    assert backing_of(storaged, "top.qcow2") == (str(vm.img["mid.qcow2"]), "qcow2")
    for name in ("mid.qcow2", "base.raw", "top.qcow2"):
        with dbus_error("ResourceBusy", "chainvm", name, "backing chain"):
            storaged.vol(vol_path(storaged, name), "Delete", 0)
        assert vm.img[name].exists()
    # wipe is refused the same way
    with dbus_error("ResourceBusy", "chainvm", "base.raw"):
        storaged.vol(vol_path(storaged, "base.raw"), "Wipe", 0, 0)
    users = storaged.prop(vol_path(storaged, "mid.qcow2"), "org.virtbus.StorageVol1", "Users")
    assert len(users) == 1


def test_busy_survives_restarts(env, storaged, vm):
    """storaged SIGKILLed and started again still refuses (its table is on
    disk); so after qemud SIGKILLed and started again (it tells storaged the
    chains again on reconnecting)."""
    assert storaged.d.kill(signal.SIGKILL) == -signal.SIGKILL
    storaged.d.start()
    assert readers(storaged, vm.img["base.raw"]) == ["chainvm"]
    with dbus_error("ResourceBusy", "chainvm", "base.raw"):
        storaged.vol(vol_path(storaged, "base.raw"), "Delete", 0)
    assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
    env.qemud.start()
    h.wait_until(lambda: vm.state()[0] == 1, 30, what="chainvm running after qemud's restart")
    with dbus_error("ResourceBusy", "chainvm", "mid.qcow2"):
        storaged.vol(vol_path(storaged, "mid.qcow2"), "Delete", 0)
    assert vm.img["mid.qcow2"].exists()


def test_reader_nobody_told_of(env, storaged, vm):
    """A layer storaged was not told of (a storaged that was not running
    when the guest started, started by this very delete): the QEMU process
    that has it open is found, and the delete refused naming the guest."""
    uuid = ET.fromstring(vm.call("GetXMLDesc", 0)).find("uuid").text
    mine = [str(p) for o, _, p in storaged.storage1("ListChainsInUse") if o == uuid]
    storaged.storage1("SetChains", uuid, "chainvm", dbus.Array([], signature="s"))
    try:
        assert readers(storaged, vm.img["base.raw"]) == []
        with dbus_error("ResourceBusy", "base.raw", "guest 'chainvm'", "has it open"):
            storaged.vol(vol_path(storaged, "base.raw"), "Delete", 0)
        assert vm.img["base.raw"].exists()
    finally:
        storaged.storage1("SetChains", uuid, "chainvm", dbus.Array(mine, signature="s"))
    assert readers(storaged, vm.img["base.raw"]) == ["chainvm"]


def test_virsh_vol_dumpxml_and_delete(env, storaged, vm, proxy):
    out = proxy.virsh("vol-dumpxml", "--pool", POOL, "top.qcow2").stdout
    assert f"<path>{vm.img['mid.qcow2']}</path>" in out
    r = proxy.virsh("vol-delete", "--pool", POOL, "mid.qcow2", check=False)
    assert r.returncode != 0 and "chainvm" in r.stderr and "in use" in r.stderr, r.stderr
    assert vm.img["mid.qcow2"].exists()


def test_copy_onto_other_guests_disk_refused(env, storaged, vm):
    """A copy onto the disk of another running guest: ResourceBusy naming
    that guest, and the first guest's chain as it was."""
    xml = h.guest_domain_xml(env.guest, "otherv", nic=None, disks=[str(vm.img["other.raw"])])
    other = Guest(env, env.call("DomainDefineXML", xml), "otherv")
    other.call("Create", START_PAUSED)
    try:
        h.wait_until(lambda: readers(storaged, vm.img["other.raw"]) == ["otherv"], 20,
                     what="storaged to know otherv reads other.raw")
        dest = f"<disk type='file'><source file='{vm.img['other.raw']}'/><driver type='raw'/></disk>"
        with dbus_error("ResourceBusy", str(vm.img["other.raw"]), "otherv"):
            vm.call("BlockCopy", "vdb", dest, {}, REUSE_EXT)
        assert readers(storaged, vm.img["ptop.qcow2"]) == ["chainvm"]
        assert tuple(vm.call("GetBlockJobInfo", "vdb", 0))[0] == 0
        # nor onto a layer of a chain (here vda's): guests sharing a base image read it
        before = vm.img["base.raw"].read_bytes()[:4096]
        dest = f"<disk type='file'><source file='{vm.img['base.raw']}'/><driver type='raw'/></disk>"
        with dbus_error("ResourceBusy", str(vm.img["base.raw"]), "vda", "chainvm"):
            vm.call("BlockCopy", "vdb", dest, {}, REUSE_EXT)
        assert vm.img["base.raw"].read_bytes()[:4096] == before
        assert tuple(vm.call("GetBlockJobInfo", "vdb", 0))[0] == 0
    finally:
        other.call("Destroy", 0)
        other.call("Undefine", 0)
    # stopped: it reads nothing any more, and its disk can go
    h.wait_until(lambda: readers(storaged, vm.img["other.raw"]) == [], 20, what="otherv's files released")
    storaged.vol(vol_path(storaged, "other.raw"), "Delete", 0)
    assert not vm.img["other.raw"].exists()


LOCKD = ("org.virtbus.lockd", "/org/virtbus/lockd", "org.virtbus.Lock1")


def leases(env):
    """{path: holder's name} of lockd's leases."""
    return {str(r): str(name) for r, _, name, _, _, _ in env.bus.call(*LOCKD, "ListLeases")}


def test_copy_onto_leased_file_refused(env, storaged, vm):
    """A file whose lease someone else holds in lockd (a guest of another
    daemon or host): the copy is refused naming the holder, nothing of the
    guest changes. A copy that is cancelled gives its target's lease back."""
    leased = vm.img["other.raw"].parent / "leased.raw"
    qemu_img("create", "-f", "raw", leased, MIB)
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        env.bus.call(*LOCKD, "Acquire", str(leased), "0b3c1b8e-6f2d-4c4e-9a51-0123456789ab", "elsewhere",
                     dbus.UInt32(sleeper.pid), dbus.UInt32(0))
        dest = f"<disk type='file'><source file='{leased}'/><driver type='raw'/></disk>"
        with dbus_error("ResourceBusy", str(leased), "lease was refused", "elsewhere", "vdb", "chainvm"):
            vm.call("BlockCopy", "vdb", dest, {}, REUSE_EXT)
        assert tuple(vm.call("GetBlockJobInfo", "vdb", 0))[0] == 0
        assert leases(env)[str(leased)] == "elsewhere"
        assert readers(storaged, leased) == []
    finally:
        sleeper.kill()
        sleeper.wait()

    # a copy holds its target's lease while it runs, and gives it back when cancelled
    dest = vm.img["other.raw"].parent / "c1.raw"
    since = env.mark()
    vm.call("BlockCopy", "vdb", f"<disk type='file'><source file='{dest}'/><driver type='raw'/></disk>", {}, 0)
    env.mon.wait_signal("BlockJob", "org.libvirt.Domain", vm.path, args=lambda a: a[0] == "vdb" and a[2] == 3,
                        since=since, timeout=120)
    assert leases(env).get(str(dest)) == "chainvm"
    assert readers(storaged, dest) == ["chainvm"]          # the mirror's target is read too
    vm.call("BlockJobAbort", "vdb", 0)
    env.mon.wait_signal("BlockJob", "org.libvirt.Domain", vm.path, args=lambda a: a[0] == "vdb" and a[2] == 2,
                        since=since, timeout=60)
    h.wait_until(lambda: str(dest) not in leases(env), 20, what="the copy's lease given back")
    h.wait_until(lambda: readers(storaged, dest) == [], 20, what="the copy's target released")
    assert leases(env).get(str(vm.img["ptop.qcow2"])) == "chainvm"


def test_commit_frees_the_layer(env, storaged, vm):
    """After mid.qcow2 is committed into base.raw: top.qcow2's volume XML
    names base.raw (no pool refresh), mid.qcow2 is no longer read and can be
    deleted, base.raw still cannot."""
    since = env.mark()
    vm.call("BlockCommit", "vda", str(vm.img["base.raw"]), str(vm.img["mid.qcow2"]), 0, 0)
    assert wait_job(env, vm, "vda", since) == COMMIT
    h.wait_until(lambda: readers(storaged, vm.img["mid.qcow2"]) == [], 20, what="mid.qcow2 out of the chain")
    assert backing_of(storaged, "top.qcow2") == (str(vm.img["base.raw"]), "raw")
    storaged.vol(vol_path(storaged, "mid.qcow2"), "Delete", 0)
    assert not vm.img["mid.qcow2"].exists()
    with dbus_error("ResourceBusy", "chainvm", "base.raw"):
        storaged.vol(vol_path(storaged, "base.raw"), "Delete", 0)


def test_pull_flattens_volume_xml(env, storaged, vm, proxy):
    """A pull while storaged is down (SIGKILLed): when it is back, qemud
    tells it the chain again; ptop.qcow2's XML has lost its <backingStore>
    and pbase.raw is free."""
    assert backing_of(storaged, "ptop.qcow2") == (str(vm.img["pbase.raw"]), "raw")
    assert readers(storaged, vm.img["pbase.raw"]) == ["chainvm"]
    assert storaged.d.kill(signal.SIGKILL) == -signal.SIGKILL
    since = env.mark()
    vm.call("BlockPull", "vdb", 0, 0)
    assert wait_job(env, vm, "vdb", since) == PULL
    storaged.d.start()
    assert backing_of(storaged, "ptop.qcow2") is None
    assert "<backingStore>" not in proxy.virsh("vol-dumpxml", "--pool", POOL, "ptop.qcow2").stdout
    h.wait_until(lambda: readers(storaged, vm.img["pbase.raw"]) == [], 20, what="pbase.raw out of the chain")
    proxy.virsh("vol-delete", "--pool", POOL, "pbase.raw")
    assert not vm.img["pbase.raw"].exists()


CREATE_DISK_ONLY = 16


def test_external_snapshot_chain_known(env, storaged, vm):
    """An external disk-only snapshot of a running guest: storaged hears
    that it reads the overlay and, below it, the image it was on; the
    overlay's volume names that image as its <backingStore>."""
    overlay = vm.img["top.qcow2"].parent / "snap1.qcow2"
    vm.call("SnapshotCreateXML",
            f"<domainsnapshot><name>snap1</name><disks><disk name='vda' snapshot='external'>"
            f"<source file='{overlay}'/></disk><disk name='vdb' snapshot='no'/></disks></domainsnapshot>",
            CREATE_DISK_ONLY)
    h.wait_until(lambda: readers(storaged, overlay) == ["chainvm"], 20, what="storaged to know the overlay")
    assert readers(storaged, vm.img["top.qcow2"]) == ["chainvm"]
    storaged.pool(storaged.connect("StoragePoolLookupByName", POOL), "Refresh", 0)
    assert backing_of(storaged, "snap1.qcow2") == (str(vm.img["top.qcow2"]), "qcow2")
    with dbus_error("ResourceBusy", "chainvm", "snap1.qcow2"):
        storaged.vol(vol_path(storaged, "snap1.qcow2"), "Delete", 0)


def test_stop_releases_everything(env, storaged, vm):
    vm.call("Destroy", 0)
    h.wait_until(lambda: not any(n == "chainvm" for _, n, _ in storaged.storage1("ListChainsInUse")), 20,
                 what="chainvm's files released")
    storaged.vol(vol_path(storaged, "base.raw"), "Delete", 0)
