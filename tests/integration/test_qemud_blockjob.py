# SPDX-License-Identifier: LGPL-2.1-or-later
"""Block jobs with the real test guest (TCG, booted once): a commit of a
middle layer, an active commit with its pivot, a copy with its pivot while
the guest writes, a copy aborted without pivot, a pull that flattens a
chain, BlockResize, SetBlockThreshold and its signal, bad input, virsh's
blockjob/blockresize through the proxy; the live XML's <backingStore> chain
and <mirror>; qemud SIGKILLed during a job (its end while qemud was down
reported after the restart, a pivot after the restart following both
definitions); IOError naming the disk after a pivot; QEMU killed under a
job (reported failed).

The guest writes known markers to its disk through a root shell on its
serial console (a unix socket), and the host reads them back from the
image the guest ended on."""

import subprocess
import time

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import (READY, SCHEMAS, Guest, _env_logs, dbus_error, module_env,  # noqa: F401
                               xmllint_relaxng)
from test_qemud_control import Console
from virtbus_harness import DomainState as S

pytestmark = pytest.mark.timeout(400)

env = module_env()

MIB = 1 << 20
DISK = 32 * MIB
# libvirt's numbers
PULL, COPY, COMMIT, ACTIVE_COMMIT = 1, 2, 3, 4
COMPLETED, FAILED, CANCELED, READY_ = 0, 1, 2, 3
ABORT_PIVOT = 2
COMMIT_ACTIVE = 4


def qemu_img(*args):
    return subprocess.run(["qemu-img", *map(str, args)], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def vm(env):
    """vda: top.qcow2 <- mid.qcow2 <- base.raw; vdb: ptop.qcow2 <- pbase.raw;
    vdc: ctop.qcow2 <- cmid.qcow2 (8 MiB of data, for a slow commit) <- cbase.raw."""
    d = env.root / "img"
    d.mkdir()
    base, mid, top = d / "base.raw", d / "mid.qcow2", d / "top.qcow2"
    qemu_img("create", "-f", "raw", base, DISK)
    qemu_img("create", "-f", "qcow2", "-b", base, "-F", "raw", mid)
    qemu_img("create", "-f", "qcow2", "-b", mid, "-F", "qcow2", top)
    pbase, ptop = d / "pbase.raw", d / "ptop.qcow2"
    with open(pbase, "wb") as f:
        f.write(b"PULLBASE" * (MIB // 8))
    qemu_img("create", "-f", "qcow2", "-b", pbase, "-F", "raw", ptop)
    cbase, cmid, ctop = d / "cbase.raw", d / "cmid.qcow2", d / "ctop.qcow2"
    qemu_img("create", "-f", "raw", cbase, DISK)
    qemu_img("create", "-f", "qcow2", "-b", cbase, "-F", "raw", cmid)
    qemu_io = subprocess.run(["qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 8M", str(cmid)],
                             capture_output=True, text=True)
    assert qemu_io.returncode == 0, qemu_io.stderr
    qemu_img("create", "-f", "qcow2", "-b", cmid, "-F", "qcow2", ctop)
    sock = env.root / "bj.console"
    extra = (f"    <serial type='unix'>\n      <source mode='bind' path='{sock}'/>\n"
             f"      <target port='0'/>\n    </serial>")
    xml = h.guest_domain_xml(env.guest, "bj", serial_log=None, nic=None,
                             disks=[(str(top), "qcow2", "vda"), (str(ptop), "qcow2", "vdb"),
                                    (str(ctop), "qcow2", "vdc")],
                             extra_cmdline="virtbus.shell virtbus.nodhcp", extra_devices=extra)
    path = env.call("DomainDefineXML", xml)
    g = Guest(env, path, "bj")
    g.call("Create", 0)
    con = Console(sock)
    con.wait(READY, 120)
    time.sleep(1)
    con.run("echo shell-up", 30)
    g.console = con
    g.img = dict(base=base, mid=mid, top=top, pbase=pbase, ptop=ptop, cbase=cbase, cmid=cmid, ctop=ctop, dir=d)
    yield g
    con.close()
    try:
        g.call("Destroy", 0)
    except dbus.exceptions.DBusException:
        pass
    try:
        g.call("Undefine", 0)
    except dbus.exceptions.DBusException:
        pass


def write_marker(vm, text, sector):
    """The guest writes text at sector of vda, past its page cache."""
    vm.console.run(f"printf '{text}' | dd of=/dev/vda bs=512 seek={sector} conv=fsync oflag=direct 2>/dev/null"
                   f" || printf '{text}' | dd of=/dev/vda bs=512 seek={sector} conv=fsync", 120)


def raw_bytes(path, offset, n):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(n)


def wait_block_job(env, vm, status, since, disk="vda", timeout=120):
    m = env.mon.wait_signal("BlockJob", "org.libvirt.Domain", vm.path,
                            args=lambda a: a[0] == disk and a[2] == status, since=since, timeout=timeout)
    return m["payload"]["data"]


def disk_of(vm, dst, flags=0):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(vm.call("GetXMLDesc", flags))
    for disk in root.iter("disk"):
        if disk.find("target").get("dev") == dst:
            return disk
    return None


def source_of(vm, dst, flags=0):
    disk = disk_of(vm, dst, flags)
    return disk.find("source").get("file") if disk is not None else None


def chain_of(vm, dst):
    """The live <backingStore> chain: [(index, type, format, file)], and
    whether it ends in the empty <backingStore/> libvirt writes."""
    layers, b = [], disk_of(vm, dst).find("backingStore")
    while b is not None and b.get("type"):
        layers.append((b.get("index"), b.get("type"), b.find("format").get("type"), b.find("source").get("file")))
        b = b.find("backingStore")
    return layers, b is not None


def mirror_of(vm, dst):
    m = disk_of(vm, dst).find("mirror")
    return None if m is None else dict(m.attrib, source=m.find("source").get("file"),
                                       format_type=m.find("format").get("type"))


def monitor_of(env, name):
    import re
    return re.search(r"<monitor path='([^']+)'", env.status_file(name).read_text()).group(1)


# ---------------------------------------------------------------------------

def test_no_job_and_bad_input(env, vm):
    assert tuple(vm.call("GetBlockJobInfo", "vda", 0)) == (0, 0, 0, 0)
    with dbus_error("InvalidArg", "vdz", "bj"):
        vm.call("GetBlockJobInfo", "vdz", 0)
    with dbus_error("OperationInvalid", "vda", "does not have an active block job"):
        vm.call("BlockJobAbort", "vda", 0)
    with dbus_error("InvalidArg", "/nowhere.qcow2", "not in the backing chain", "vda"):
        vm.call("BlockCommit", "vda", "", "/nowhere.qcow2", 0, 0)
    with dbus_error("InvalidArg", "/nowhere.raw", "not below"):
        vm.call("BlockCommit", "vda", "/nowhere.raw", "", 0, COMMIT_ACTIVE)
    with dbus_error("InvalidArg", "ACTIVE"):
        vm.call("BlockCommit", "vda", "", "", 0, 0)
    with dbus_error("InvalidArg", "cannot shrink", "vda"):
        vm.call("BlockResize", "vda", DISK // 2, 1)
    with dbus_error("ResourceBusy", str(vm.img["top"]), "bj"):
        vm.call("BlockCopy", "vda", f"<disk type='file'><source file='{vm.img['top']}'/></disk>", {}, 0)
    with dbus_error("InvalidArg", "flags"):
        vm.call("BlockPull", "vda", 0, 1)
    assert source_of(vm, "vda") == str(vm.img["top"])
    assert vm.state()[0] == S.RUNNING


def test_live_xml_backing_chain(env, vm):
    """Each disk's chain as libvirt shows it: the layers under the image,
    numbered from 1, ending in an empty <backingStore/>; a raw image has
    just that."""
    assert chain_of(vm, "vda") == ([("1", "file", "qcow2", str(vm.img["mid"])),
                                    ("2", "file", "raw", str(vm.img["base"]))], True)
    assert chain_of(vm, "vdc") == ([("1", "file", "qcow2", str(vm.img["cmid"])),
                                    ("2", "file", "raw", str(vm.img["cbase"]))], True)
    assert mirror_of(vm, "vda") is None
    # the definition itself has none of it
    assert "backingStore" not in vm.call("GetXMLDesc", 2)
    if (SCHEMAS / "domain.rng").exists():
        xmllint_relaxng(vm.call("GetXMLDesc", 0), "domain", "the live XML with its chains")


def test_commit_middle_then_active_commit_pivot(env, vm):
    write_marker(vm, "MARK-A", 64)
    since = env.mark()
    vm.call("BlockCommit", "vda", str(vm.img["base"]), str(vm.img["mid"]), 0, 0)
    assert wait_block_job(env, vm, COMPLETED, since)[1] == COMMIT
    assert tuple(vm.call("GetBlockJobInfo", "vda", 0))[0] == 0
    h.wait_until(lambda: chain_of(vm, "vda")[0] == [("1", "file", "raw", str(vm.img["base"]))], 10,
                 what="the chain without mid.qcow2")
    # the chain is now top <- base: an active commit of top into base, then the pivot
    since = env.mark()
    vm.call("BlockCommit", "vda", "", "", 0, COMMIT_ACTIVE)
    assert wait_block_job(env, vm, READY_, since)[1] == ACTIVE_COMMIT
    info = tuple(vm.call("GetBlockJobInfo", "vda", 0))
    assert info[0] == ACTIVE_COMMIT and info[2] == info[3]
    m = mirror_of(vm, "vda")
    assert (m["job"], m.get("ready"), m["source"]) == ("active-commit", "yes", str(vm.img["base"]))
    vm.call("BlockJobAbort", "vda", ABORT_PIVOT)
    wait_block_job(env, vm, COMPLETED, since)
    assert source_of(vm, "vda") == str(vm.img["base"])
    assert mirror_of(vm, "vda") is None
    h.wait_until(lambda: chain_of(vm, "vda") == ([], True), 10, what="base.raw alone")
    write_marker(vm, "MARK-B", 72)
    vm.console.run("sync", 30)
    # one image holds what the guest wrote before and after
    assert raw_bytes(vm.img["base"], 64 * 512, 6) == b"MARK-A"
    assert raw_bytes(vm.img["base"], 72 * 512, 6) == b"MARK-B"
    # the persistent definition follows
    assert str(vm.img["base"]) in vm.call("GetXMLDesc", 2)


def test_copy_pivot_and_abort(env, vm):
    dest = vm.img["dir"] / "copy.raw"
    since = env.mark()
    vm.call("BlockCopy", "vda", f"<disk type='file'><source file='{dest}'/><driver type='raw'/></disk>",
            {"bandwidth": dbus.UInt64(0, variant_level=1)}, 0)
    assert wait_block_job(env, vm, READY_, since)[1] == COPY
    m = mirror_of(vm, "vda")
    assert m == {"type": "file", "file": str(dest), "format": "raw", "job": "copy", "ready": "yes",
                 "source": str(dest), "format_type": "raw"}, m
    if (SCHEMAS / "domain.rng").exists():
        xmllint_relaxng(vm.call("GetXMLDesc", 0), "domain", "the live XML with a <mirror>")
    write_marker(vm, "MARK-C", 80)            # mirrored to both
    vm.call("BlockJobAbort", "vda", ABORT_PIVOT)
    wait_block_job(env, vm, COMPLETED, since)
    assert source_of(vm, "vda") == str(dest)
    assert mirror_of(vm, "vda") is None
    write_marker(vm, "MARK-D", 88)            # only on the copy now
    vm.console.run("sync", 30)
    for sector, text in ((64, b"MARK-A"), (72, b"MARK-B"), (80, b"MARK-C"), (88, b"MARK-D")):
        assert raw_bytes(dest, sector * 512, 6) == text
    assert raw_bytes(vm.img["base"], 88 * 512, 6) != b"MARK-D"

    # a copy aborted without pivot leaves the guest on its image
    dest2 = vm.img["dir"] / "copy2.raw"
    since = env.mark()
    vm.call("BlockCopy", "vda", f"<disk type='file'><source file='{dest2}'/></disk>", {}, 0)
    wait_block_job(env, vm, READY_, since)
    vm.call("BlockJobAbort", "vda", 0)
    assert wait_block_job(env, vm, CANCELED, since)[1] == COPY
    assert source_of(vm, "vda") == str(dest)
    write_marker(vm, "MARK-E", 96)
    vm.console.run("sync", 30)
    assert raw_bytes(dest, 96 * 512, 6) == b"MARK-E"


def test_pull_flattens(env, vm):
    assert "backing file" in qemu_img("info", "-U", vm.img["ptop"])
    since = env.mark()
    vm.call("BlockPull", "vdb", 0, 0)
    assert wait_block_job(env, vm, COMPLETED, since, disk="vdb")[1] == PULL
    assert "backing file" not in qemu_img("info", "-U", vm.img["ptop"])
    out = vm.console.run("dd if=/dev/vdb bs=8 count=1 2>/dev/null; echo", 60)
    assert "PULLBASE" in out


def test_resize_and_threshold(env, vm):
    vm.call("BlockResize", "vda", 48 * 1024, 0)        # KiB
    out = vm.console.run("cat /sys/block/vda/size", 30)
    assert str(48 * MIB // 512) in out
    since = env.mark()
    vm.call("SetBlockThreshold", "vda", 40 * MIB, 0)
    vm.console.run("dd if=/dev/zero of=/dev/vda bs=1M seek=41 count=1 conv=fsync 2>/dev/null", 60)
    m = env.mon.wait_signal("BlockThreshold", "org.libvirt.Domain", vm.path, since=since, timeout=30)
    dev, path, threshold, excess = m["payload"]["data"]
    assert dev == "vda" and threshold == 40 * MIB and excess > 0


def test_virsh_through_proxy(env, vm, proxy):
    out = proxy.virsh("blockjob", "bj", "vda", "--info").stdout + proxy.virsh("blockjob", "bj", "vda").stderr
    assert "No current block job" in out
    proxy.virsh("blockresize", "bj", "vda", "56M")
    assert str(56 * MIB // 512) in vm.console.run("cat /sys/block/vda/size", 30)
    r = proxy.virsh("blockresize", "bj", "vda", "8M", check=False)
    assert r.returncode != 0 and "cannot shrink" in r.stderr
    # The proxy does not carry the BlockJob events (proxy/events.c): virsh's
    # --wait would wait for them, so the test polls as a client would.
    dest = vm.img["dir"] / "copy3.raw"
    proxy.virsh("blockcopy", "bj", "vda", dest, "--transient-job")
    deadline = time.monotonic() + 120
    while True:
        r = proxy.virsh("blockjob", "bj", "vda", "--info")
        info = r.stdout + r.stderr
        if "100 %" in info:
            break
        assert time.monotonic() < deadline, info
        time.sleep(0.5)
    proxy.virsh("blockjob", "bj", "vda", "--pivot")
    assert source_of(vm, "vda") == str(dest)
    assert raw_bytes(dest, 64 * 512, 6) == b"MARK-A"
    # the copy stands alone: nothing to commit into, said with the chain
    r = proxy.virsh("blockcommit", "bj", "vda", "--active", check=False)
    assert r.returncode != 0 and "no backing chain" in r.stderr and str(dest) in r.stderr
    assert source_of(vm, "vda") == str(dest)


def test_job_survives_qemud_restart(env, vm):
    """qemud SIGKILLed and started again finds the copy under way (its QEMU
    id says what it is) and follows it to its end."""
    import signal
    src = source_of(vm, "vda")
    dest = vm.img["dir"] / "slow.raw"
    vm.call("BlockCopy", "vda", f"<disk type='file'><source file='{dest}'/></disk>",
            {"bandwidth": dbus.UInt64(256 * 1024, variant_level=1)}, 0)
    assert tuple(vm.call("GetBlockJobInfo", "vda", 1))[:2] == (COPY, 256 * 1024)
    assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
    env.qemud.start()
    info = tuple(vm.call("GetBlockJobInfo", "vda", 1))
    assert info[0] == COPY, info
    since = env.mark()
    vm.call("BlockJobSetSpeed", "vda", 0, 0)
    wait_block_job(env, vm, READY_, since)
    vm.call("BlockJobAbort", "vda", 0)
    assert wait_block_job(env, vm, CANCELED, since)[1] == COPY
    assert tuple(vm.call("GetBlockJobInfo", "vda", 0))[0] == 0
    assert source_of(vm, "vda") == src
    assert vm.state()[0] == S.RUNNING


def test_commit_finished_while_qemud_down(env, vm):
    """A commit that ends while qemud is away (QEMU keeps the concluded
    job: auto-dismiss is off) is reported when qemud is back, its chain
    updated."""
    import signal
    since = env.mark()
    vm.call("BlockCommit", "vdc", str(vm.img["cbase"]), str(vm.img["cmid"]), 1, 0)     # 1 MiB/s
    assert tuple(vm.call("GetBlockJobInfo", "vdc", 0))[0] == COMMIT
    assert "<blockjob disk='vdc'" in env.status_file("bj").read_text()
    monitor = monitor_of(env, "bj")
    assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
    qmp = h.Qmp(monitor, timeout=20)
    try:
        qmp.cmd("block-job-set-speed", device="commit-vdc", speed=0)
        h.wait_until(lambda: qmp.cmd("query-jobs")[0]["status"] == "concluded", 60,
                     what="the commit to conclude in QEMU")
    finally:
        qmp.close()
    env.qemud.start()
    assert wait_block_job(env, vm, COMPLETED, since, disk="vdc")[1] == COMMIT
    assert tuple(vm.call("GetBlockJobInfo", "vdc", 0))[0] == 0
    h.wait_until(lambda: chain_of(vm, "vdc")[0] == [("1", "file", "raw", str(vm.img["cbase"]))], 10,
                 what="the chain without cmid.qcow2")
    assert "job='commit'" not in env.status_file("bj").read_text()


def test_pivot_after_qemud_restart(env, vm):
    """A copy under way when qemud is killed: after the restart it still
    shows its <mirror>, and its pivot switches both definitions (vdb: its
    two definitions name the same image, as a pivot needs to follow)."""
    import signal
    dest = vm.img["dir"] / "after-restart.raw"
    assert source_of(vm, "vdb", 2) == source_of(vm, "vdb") == str(vm.img["ptop"])
    vm.call("BlockCopy", "vdb", f"<disk type='file'><source file='{dest}'/><driver type='raw'/></disk>",
            {"bandwidth": dbus.UInt64(128 * 1024, variant_level=1)}, 0)
    assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
    env.qemud.start()
    assert tuple(vm.call("GetBlockJobInfo", "vdb", 1))[0] == COPY
    m = mirror_of(vm, "vdb")
    assert (m["job"], m["source"], m.get("ready")) == ("copy", str(dest), None)
    since = env.mark()
    vm.call("BlockJobSetSpeed", "vdb", 0, 0)
    wait_block_job(env, vm, READY_, since, disk="vdb")
    assert mirror_of(vm, "vdb").get("ready") == "yes"
    vm.call("BlockJobAbort", "vdb", ABORT_PIVOT)
    wait_block_job(env, vm, COMPLETED, since, disk="vdb")
    assert source_of(vm, "vdb") == str(dest)
    assert source_of(vm, "vdb", 2) == str(dest)            # the persistent definition too
    assert raw_bytes(dest, 0, 8) == b"PULLBASE"


REUSE_EXT = 2
POOL = "bjpool"


@pytest.fixture(scope="module")
def storaged(env):
    """storaged on the same bus, with a dir pool, for copies onto volumes."""
    from test_storaged_common import Storaged
    daemon = h.Daemon("storaged", env.bus, env.root).start()
    h.register_log("virtbus-storaged", daemon.log_path)
    s = Storaged(daemon, env.bus, env.mon)
    s.pool_path = s.start_dir_pool(POOL, env.root / "pool")
    yield s
    daemon.stop()


def test_copy_to_storaged_volume(env, vm, storaged, proxy):
    """A copy onto a storaged volume (<disk type='volume'>): the volume
    must exist, so REUSE_EXT; after the pivot the disk is that volume in
    both definitions, and storaged knows the guest uses it."""
    from test_storaged_common import vol_xml
    obj = storaged.create_vol(storaged.pool_path, vol_xml("cp.raw", MIB, "raw"))     # vdb's size
    path = storaged.bus.get_property("org.virtbus.storaged", obj, "org.libvirt.StorageVol", "Path")
    dest = f"<disk type='volume'><source pool='{POOL}' volume='cp.raw'/></disk>"
    before = source_of(vm, "vdb")
    with dbus_error("NoStorageVol", "nosuch.raw"):
        vm.call("BlockCopy", "vdb", f"<disk type='volume'><source pool='{POOL}' volume='nosuch.raw'/></disk>",
                {}, REUSE_EXT)
    with dbus_error("InvalidArg", str(path), "REUSE_EXT"):
        vm.call("BlockCopy", "vdb", dest, {}, 0)
    with dbus_error("InvalidArg", "pool"):
        vm.call("BlockCopy", "vdb", "<disk type='volume'><source volume='x'/></disk>", {}, REUSE_EXT)
    assert source_of(vm, "vdb") == before
    since = env.mark()
    vm.call("BlockCopy", "vdb", dest, {}, REUSE_EXT)
    assert mirror_of(vm, "vdb")["source"] == str(path)
    wait_block_job(env, vm, READY_, since, disk="vdb")
    vm.call("BlockJobAbort", "vdb", ABORT_PIVOT)
    wait_block_job(env, vm, COMPLETED, since, disk="vdb")
    for flags in (0, 2):
        disk = disk_of(vm, "vdb", flags)
        assert disk.get("type") == "volume"
        assert disk.find("source").attrib == {"pool": POOL, "volume": "cp.raw"}
    assert raw_bytes(path, 0, 8) == b"PULLBASE"
    import xml.etree.ElementTree as ET
    uuid = ET.fromstring(vm.call("GetXMLDesc", 0)).find("uuid").text
    h.wait_until(lambda: any(o == uuid for o, _ in storaged.storage1("ListVolumesInUse")), 10,
                 what="storaged to know the guest uses cp.raw")

    # virsh blockcopy --xml through the proxy (virDomainBlockCopy), onto a second volume
    obj2 = storaged.create_vol(storaged.pool_path, vol_xml("cp2.raw", MIB, "raw"))
    path2 = storaged.bus.get_property("org.virtbus.storaged", obj2, "org.libvirt.StorageVol", "Path")
    xml = env.root / "copy-dest.xml"
    xml.write_text(f"<disk type='volume'><source pool='{POOL}' volume='cp2.raw'/></disk>")
    proxy.virsh("blockcopy", "bj", "vdb", "--xml", xml, "--reuse-external")
    deadline = time.monotonic() + 60
    while True:
        r = proxy.virsh("blockjob", "bj", "vdb", "--info")
        if "100 %" in r.stdout + r.stderr:
            break
        assert time.monotonic() < deadline, r.stdout + r.stderr
        time.sleep(0.2)
    proxy.virsh("blockjob", "bj", "vdb", "--pivot")
    assert disk_of(vm, "vdb").find("source").attrib == {"pool": POOL, "volume": "cp2.raw"}
    assert raw_bytes(path2, 0, 8) == b"PULLBASE"


TMPFS_MIB = 16


@pytest.fixture(scope="module")
def tmpfs(env):
    mnt = env.root / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MIB}m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_io_error_names_disk_after_pivot(env, vm, tmpfs):
    """After a pivot QEMU names the disk by the copy's nodes: IOError and
    GetDiskErrors still name vda (and its new image)."""
    dest = tmpfs / "small.raw"
    since = env.mark()
    vm.call("BlockCopy", "vda", f"<disk type='file'><source file='{dest}'/></disk>", {}, 0)
    wait_block_job(env, vm, READY_, since)
    vm.call("BlockJobAbort", "vda", ABORT_PIVOT)
    wait_block_job(env, vm, COMPLETED, since)
    assert source_of(vm, "vda") == str(dest)
    assert vm.call("GetDiskErrors", 0) == []
    mark = env.mark()
    vm.console.sock.sendall(b"dd if=/dev/urandom of=/dev/vda bs=64k count=512 conv=fsync\n")
    m = env.mon.wait_signal("IOError", "org.libvirt.Domain", vm.path, since=mark, timeout=90)
    src, dev, action, reason = m["payload"]["data"]
    assert (src, dev, action, reason) == (str(dest), "virtio-disk0", 1, "enospc")
    assert [tuple(e) for e in vm.call("GetDiskErrors", 0)] == [("vda", 2)]


def test_qemu_dies_during_job(env, vm):
    """Last (the guest goes): QEMU killed under a copy. The job is reported
    failed, the disk's definition stays as it was."""
    import os
    import signal
    src = source_of(vm, "vdc", 2)
    dest = vm.img["dir"] / "never.raw"
    vm.call("BlockCopy", "vdc", f"<disk type='file'><source file='{dest}'/></disk>",
            {"bandwidth": dbus.UInt64(64 * 1024, variant_level=1)}, 0)
    since = env.mark()
    os.kill(vm.pid(), signal.SIGKILL)
    assert wait_block_job(env, vm, FAILED, since, disk="vdc")[1] == COPY
    h.wait_until(lambda: vm.state()[0] == S.SHUTOFF, 30, what="the domain to be shut off")
    assert source_of(vm, "vdc", 2) == src
