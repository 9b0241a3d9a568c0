# SPDX-License-Identifier: LGPL-2.1-or-later
"""Block jobs with the real test guest (TCG, booted once): a commit of a
middle layer, an active commit with its pivot, a copy with its pivot while
the guest writes, a copy aborted without pivot, a pull that flattens a
chain, BlockResize, SetBlockThreshold and its signal, bad input, and virsh's
blockjob/blockresize through the proxy.

The guest writes known markers to its disk through a root shell on its
serial console (a unix socket), and the host reads them back from the
image the guest ended on."""

import subprocess
import time

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import READY, Guest, dbus_error, module_env
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
    """vda: top.qcow2 <- mid.qcow2 <- base.raw; vdb: ptop.qcow2 <- pbase.raw."""
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
    sock = env.root / "bj.console"
    extra = (f"    <serial type='unix'>\n      <source mode='bind' path='{sock}'/>\n"
             f"      <target port='0'/>\n    </serial>")
    xml = h.guest_domain_xml(env.guest, "bj", serial_log=None, nic=None,
                             disks=[(str(top), "qcow2", "vda"), (str(ptop), "qcow2", "vdb")],
                             extra_cmdline="virtbus.shell virtbus.nodhcp", extra_devices=extra)
    path = env.call("DomainDefineXML", xml)
    g = Guest(env, path, "bj")
    g.call("Create", 0)
    con = Console(sock)
    con.wait(READY, 120)
    time.sleep(1)
    con.run("echo shell-up", 30)
    g.console = con
    g.img = dict(base=base, mid=mid, top=top, pbase=pbase, ptop=ptop, dir=d)
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


def source_of(vm, dst):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(vm.call("GetXMLDesc", 0))
    for disk in root.iter("disk"):
        if disk.find("target").get("dev") == dst:
            return disk.find("source").get("file")
    return None


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


def test_commit_middle_then_active_commit_pivot(env, vm):
    write_marker(vm, "MARK-A", 64)
    since = env.mark()
    vm.call("BlockCommit", "vda", str(vm.img["base"]), str(vm.img["mid"]), 0, 0)
    assert wait_block_job(env, vm, COMPLETED, since)[1] == COMMIT
    assert tuple(vm.call("GetBlockJobInfo", "vda", 0))[0] == 0
    # the chain is now top <- base: an active commit of top into base, then the pivot
    since = env.mark()
    vm.call("BlockCommit", "vda", "", "", 0, COMMIT_ACTIVE)
    assert wait_block_job(env, vm, READY_, since)[1] == ACTIVE_COMMIT
    info = tuple(vm.call("GetBlockJobInfo", "vda", 0))
    assert info[0] == ACTIVE_COMMIT and info[2] == info[3]
    vm.call("BlockJobAbort", "vda", ABORT_PIVOT)
    wait_block_job(env, vm, COMPLETED, since)
    assert source_of(vm, "vda") == str(vm.img["base"])
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
    write_marker(vm, "MARK-C", 80)            # mirrored to both
    vm.call("BlockJobAbort", "vda", ABORT_PIVOT)
    wait_block_job(env, vm, COMPLETED, since)
    assert source_of(vm, "vda") == str(dest)
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
