# SPDX-License-Identifier: LGPL-2.1-or-later
"""External snapshots complete: with memory state (the guest's memory into a
save image, its disks onto overlays, in one pause), revert to external
snapshots (new overlays on the images the snapshot kept, the memory loaded
from its file, or the guest shut off or booted as the snapshot was), delete
of an external snapshot merging its overlay back (qemu-img commit of a
shut-off guest, QEMU's block-commit of a running one), a delete in the
middle of a chain keeping every other snapshot revertible, and bad input
(a name that exists, a memory file that exists, a snapshot whose image was
deleted, children of external snapshots) each refused naming it and leaving
guest, chain and snapshots as they were.

The disks' data is written on the host with qemu-io while the guest is shut
off (the test guest has no writer of its own), read back with qemu-io -U;
the memory state is the guest's tick counter on its console."""

import signal
import subprocess

import pytest

import virtbus_harness as h
from test_qemud_common import (_env_logs, module_env, dbus_error, snapshot, QEMUD, S,  # noqa: F401
                               assert_same_snapshot, xmllint_relaxng)

pytestmark = pytest.mark.timeout(300)

CREATE_HALT, CREATE_DISK_ONLY, CREATE_LIVE = 8, 16, 256
REVERT_RUNNING, REVERT_PAUSED = 1, 2
DELETE_CHILDREN, DELETE_METADATA_ONLY, DELETE_CHILDREN_ONLY = 1, 2, 4
SNAP_IFACE = "org.libvirt.DomainSnapshot"
# libvirt's lifecycle events and their FROM_SNAPSHOT details
STARTED, SUSPENDED, RESUMED, STOPPED = 2, 3, 4, 5
STARTED_FROM_SNAPSHOT, SUSPENDED_FROM_SNAPSHOT, STOPPED_FROM_SNAPSHOT = 3, 5, 6

env = module_env()


def qemu_io(path, cmd, share=False):
    args = ["qemu-io"] + (["-U", "-r"] if share else []) + ["-c", cmd, str(path)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def write_pattern(path, byte):
    qemu_io(path, f"write -P {byte} 0 64k")


def has_pattern(path, byte, share=False):
    return "Pattern verification failed" not in qemu_io(path, f"read -P {byte} 0 64k", share)


def chain(path):
    out = subprocess.run(["qemu-img", "info", "-U", "--backing-chain", "--output=json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    import json
    return [i["filename"] for i in json.loads(out)]


def snap_call(env, path, method, *args):
    return env.qemud.bus.call(QEMUD, path, SNAP_IFACE, method, *args)


def names(vm):
    out = []
    for p in vm.call("ListDomainSnapshots", 0):
        xml = snap_call(vm.env, p, "GetXMLDesc", 0)
        out.append(xml.split("<name>", 1)[1].split("</name>", 1)[0])
    return sorted(out)


def disk_src(vm, flags=0):
    xml = vm.call("GetXMLDesc", flags)
    return xml.split("<source file='", 1)[1].split("'", 1)[0]


def disk_only(vm, name, overlay):
    return vm.call("SnapshotCreateXML",
                   f"<domainsnapshot><name>{name}</name><disks><disk name='vda'><source file='{overlay}'/>"
                   "</disk></disks></domainsnapshot>", CREATE_DISK_ONLY)


def with_memory(vm, name, memfile, overlay, flags=0):
    return vm.call("SnapshotCreateXML",
                   f"<domainsnapshot><name>{name}</name><memory snapshot='external' file='{memfile}'/>"
                   f"<disks><disk name='vda'><source file='{overlay}'/></disk></disks></domainsnapshot>", flags)


def ticks_resume_from(vm, before, later):
    """After a revert, the guest's first tick follows the snapshot's moment."""
    first = vm.wait_tick_after(-1, timeout=60)
    ticks = vm.ticks()
    assert before < ticks[0] <= before + 3, f"ticks after revert {ticks[:5]}, at snapshot {before}, later {later}"
    assert ticks[0] < later, f"ticks after revert {ticks[:5]}, later {later}"
    vm.wait_tick_after(first)


def stop(vm):
    if vm.state()[0] != S.SHUTOFF:
        vm.call("Destroy", 0)
        h.wait_until(lambda: vm.state()[0] == S.SHUTOFF, 30, what=f"{vm.name} shut off")


@pytest.fixture(scope="module")
def vm(env):
    base = env.root / "ext-base.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "32M"], check=True)
    g = env.define("ext", tick=True, disks=[(str(base), "qcow2", "vda")])
    g.base = base
    yield g
    try:
        stop(g)
    except Exception as e:  # the env's own teardown reports what went wrong
        print(f"cannot stop {g.name}: {e}")


def test_chain_offline_revert_delete_in_the_middle(env, vm):
    """A shut-off guest: three disk-only snapshots, each after its own data;
    revert to each brings its data back on a new overlay; delete of the
    middle one merges its overlay down and the others still revert."""
    r = env.root
    write_pattern(vm.base, 0x11)
    disk_only(vm, "d1", r / "ext.d1")
    write_pattern(r / "ext.d1", 0x22)
    disk_only(vm, "d2", r / "ext.d2")
    write_pattern(r / "ext.d2", 0x33)
    disk_only(vm, "d3", r / "ext.d3")
    write_pattern(r / "ext.d3", 0x44)
    assert chain(r / "ext.d3") == [str(r / f"ext.d{i}") for i in (3, 2, 1)] + [str(vm.base)]

    # Revert to d2: a shut-off snapshot, the guest stays off, on a new
    # overlay of the image d2 kept (ext.d1, its data of that moment).
    d2 = vm.call("SnapshotLookupByName", "d2", 0)
    m = env.mark()
    snap_call(env, d2, "Revert", 0)
    assert vm.state()[0] == S.SHUTOFF
    top = disk_src(vm)
    assert top not in (str(r / "ext.d2"), str(r / "ext.d3")), top
    assert chain(top)[1:] == [str(r / "ext.d1"), str(vm.base)]
    assert has_pattern(top, 0x22)
    assert vm.call("SnapshotCurrent", 0) == d2
    # the snapshot's own overlay is left for its child
    assert has_pattern(r / "ext.d2", 0x33)
    assert env.events(vm.path, m) == [], env.events(vm.path, m)

    d3 = vm.call("SnapshotLookupByName", "d3", 0)
    snap_call(env, d3, "Revert", 0)
    assert has_pattern(disk_src(vm), 0x33)
    assert chain(disk_src(vm))[1] == str(r / "ext.d2")

    # Delete d2: its overlay (ext.d2) goes into ext.d1, the images above it
    # stand on ext.d1 now, d3 names ext.d1 as its image.
    snap_call(env, d2, "Delete", 0)
    assert not (r / "ext.d2").exists()
    assert names(vm) == ["d1", "d3"]
    assert snap_call(env, d3, "GetParent", 0).endswith("_d1")
    assert chain(disk_src(vm))[1:] == [str(r / "ext.d1"), str(vm.base)]
    xml = snap_call(env, d3, "GetXMLDesc", 0)
    assert f"<source file='{r / 'ext.d1'}'" in xml, xml
    xmllint_relaxng(xml, "domainsnapshot", "d3 after the delete of d2")
    assert has_pattern(disk_src(vm), 0x33)
    # Each remaining snapshot still reverts to its data.
    d1 = vm.call("SnapshotLookupByName", "d1", 0)
    snap_call(env, d1, "Revert", 0)
    assert has_pattern(disk_src(vm), 0x11)
    snap_call(env, d3, "Revert", 0)
    assert has_pattern(disk_src(vm), 0x33)

    # The tree and the chain survive a restart of qemud.
    env.qemud.restart()
    assert names(vm) == ["d1", "d3"]
    assert vm.call("SnapshotCurrent", 0) == d3


def test_bad_input_changes_nothing(env, vm):
    r = env.root
    before = snapshot(env)
    tree = names(vm)
    files = sorted(p.name for p in r.path.iterdir())
    with dbus_error("OperationInvalid", "d1", "already exists"):
        disk_only(vm, "d1", r / "other.qcow2")
    # Children of external snapshots are not deleted with them (libvirt's rule).
    d1 = vm.call("SnapshotLookupByName", "d1", 0)
    with dbus_error("ConfigUnsupported", "external children"):
        snap_call(env, d1, "Delete", DELETE_CHILDREN)
    with dbus_error("ConfigUnsupported", "external children"):
        snap_call(env, d1, "Delete", DELETE_CHILDREN_ONLY)
    # A snapshot whose image was deleted: revert says which.
    moved = r / "ext.d1.moved"
    (r / "ext.d1").rename(moved)
    try:
        d3 = vm.call("SnapshotLookupByName", "d3", 0)
        with dbus_error("OperationInvalid", "d3", str(r / "ext.d1"), "vda", "gone"):
            snap_call(env, d3, "Revert", 0)
    finally:
        moved.rename(r / "ext.d1")
    assert names(vm) == tree
    assert sorted(p.name for p in r.path.iterdir()) == files
    assert_same_snapshot(before, snapshot(env))


def test_memory_snapshot_revert_and_delete_running(env, vm):
    """A running guest: an external snapshot with memory; the guest goes on
    on the overlay; revert brings back its memory (ticks) and disks; delete
    merges the overlay back with QEMU's block-commit while it runs."""
    r = env.root
    stop(vm)
    write_pattern(disk_src(vm), 0x55)
    vm.start()
    vm.wait_ready()
    before = vm.wait_tick_after(vm.last_tick())
    mem, ov = r / "ext-m1.mem", r / "ext-m1.qcow2"
    s = with_memory(vm, "m1", mem, ov)
    assert vm.state()[0] == S.RUNNING
    assert mem.exists() and mem.stat().st_size > 1 << 20
    assert disk_src(vm) == str(ov)
    xml = snap_call(env, s, "GetXMLDesc", 0)
    assert "<state>running</state>" in xml and f"<memory snapshot='external' file='{mem}'/>" in xml, xml
    xmllint_relaxng(xml, "domainsnapshot", "m1's XML")
    later = vm.wait_tick_after(before + 4, timeout=30)

    # The guest's data after the snapshot (written while it is off).
    stop(vm)
    write_pattern(ov, 0x66)
    vm.serial.write_bytes(b"")
    m = env.mark()
    snap_call(env, s, "Revert", 0)
    assert vm.state()[0] == S.RUNNING
    ticks_resume_from(vm, before, later)
    assert "VIRTBUS-GUEST-READY" not in vm.serial_text().decode(errors="replace")
    top = disk_src(vm)
    assert top != str(ov) and chain(top)[1] == chain(str(ov))[1]
    assert has_pattern(top, 0x55, share=True)
    ev = env.events(vm.path, m)
    assert (STARTED, STARTED_FROM_SNAPSHOT) in ev, ev

    # Revert while it runs, PAUSED: stopped, then restored paused.
    m = env.mark()
    vm.serial.write_bytes(b"")
    snap_call(env, s, "Revert", REVERT_PAUSED)
    assert vm.state()[0] == S.PAUSED
    env.expect_events(vm.path, m, [(STOPPED, STOPPED_FROM_SNAPSHOT), (STARTED, STARTED_FROM_SNAPSHOT),
                                   (SUSPENDED, SUSPENDED_FROM_SNAPSHOT)])
    vm.call("Resume")
    ticks_resume_from(vm, before, 10 ** 6)

    # A disk-only child, then the delete of m1 while the guest runs: m1's
    # overlay of this branch is not the one the guest stands on...
    cur = disk_src(vm)
    s2 = disk_only(vm, "m2", r / "ext-m2.qcow2")
    assert disk_src(vm) == str(r / "ext-m2.qcow2")
    with dbus_error("OperationInvalid", "m1", str(ov), "not in the current chain"):
        snap_call(env, s, "Delete", 0)
    # ...m2's is: QEMU merges it into the revert's overlay, live.
    snap_call(env, s2, "Delete", 0)
    assert vm.state()[0] == S.RUNNING
    assert disk_src(vm) == cur
    assert not (r / "ext-m2.qcow2").exists()
    assert "m2" not in names(vm)
    vm.wait_tick_after(vm.last_tick())


def test_running_delete_in_the_middle(env, vm):
    """Two disk-only snapshots of the running guest; the delete of the first
    merges its overlay, now in the middle of the chain, into the image below
    with QEMU's block-commit (the overlay above then stands on that image),
    the second names that image, and still reverts."""
    r = env.root
    assert vm.state()[0] == S.RUNNING
    below = disk_src(vm)
    o1, o2 = r / "ext-c1.qcow2", r / "ext-c2.qcow2"
    c1 = disk_only(vm, "c1", o1)
    c2 = disk_only(vm, "c2", o2)
    assert chain(o2)[:3] == [str(o2), str(o1), below]
    snap_call(env, c1, "Delete", 0)
    assert vm.state()[0] == S.RUNNING
    assert not o1.exists()
    assert disk_src(vm) == str(o2)
    assert chain(o2)[:2] == [str(o2), below]
    assert snap_call(env, c2, "GetParent", 0) == vm.call("SnapshotLookupByName", "m1", 0)
    assert f"<source file='{below}'" in snap_call(env, c2, "GetXMLDesc", 0)
    vm.wait_tick_after(vm.last_tick())
    # c2 reverts: a disk-only snapshot, the guest goes off onto a new
    # overlay of the image c2 names; REVERT_RUNNING boots it.
    snap_call(env, c2, "Revert", REVERT_RUNNING)
    assert vm.state()[0] == S.RUNNING
    assert chain(disk_src(vm))[1] == below
    vm.wait_ready()
    snap_call(env, c2, "Delete", DELETE_METADATA_ONLY)


def test_running_bad_input_changes_nothing(env, vm):
    """A running guest: a memory file that exists, a memory snapshot that is
    disk-only, a revert whose memory file is gone: each refused naming it,
    the guest running on the same image, the tree and the files as they were."""
    r = env.root
    assert vm.state()[0] == S.RUNNING
    before = snapshot(env)
    tree = names(vm)
    taken = r / "taken.mem"
    taken.write_bytes(b"somebody's memory")
    with dbus_error("ConfigUnsupported", str(taken), "exists"):
        with_memory(vm, "b1", taken, r / "ext-b1.qcow2")
    assert taken.read_bytes() == b"somebody's memory" and not (r / "ext-b1.qcow2").exists()
    with dbus_error("OperationInvalid", "memory state cannot be saved with offline or disk-only snapshot"):
        with_memory(vm, "b1", r / "ext-b1.mem", r / "ext-b1.qcow2", CREATE_DISK_ONLY)
    with dbus_error("InvalidArg", "b1", "memory snapshot needs its file"):
        vm.call("SnapshotCreateXML", "<domainsnapshot><name>b1</name><memory snapshot='external'/>"
                "</domainsnapshot>", 0)
    taken.unlink()
    # m1's memory file is set aside: its revert names it and changes nothing.
    mem = r / "ext-m1.mem"
    mem.rename(r / "ext-m1.mem.aside")
    try:
        m1 = vm.call("SnapshotLookupByName", "m1", 0)
        with dbus_error("OperationInvalid", "m1", str(mem)):
            snap_call(env, m1, "Revert", 0)
    finally:
        (r / "ext-m1.mem.aside").rename(mem)
    assert not (r / "ext-b1.mem").exists()
    assert names(vm) == tree
    assert_same_snapshot(before, snapshot(env))


def test_live_and_halt(env, vm):
    """LIVE: the memory is copied while the guest runs (QEMU pauses it at the
    end); HALT: shut off once taken, and the revert restores it."""
    r = env.root
    before = vm.wait_tick_after(vm.last_tick())
    with_memory(vm, "l1", r / "ext-l1.mem", r / "ext-l1.qcow2", CREATE_LIVE)
    assert vm.state()[0] == S.RUNNING
    assert disk_src(vm) == str(r / "ext-l1.qcow2")
    vm.wait_tick_after(before + 1)
    s = with_memory(vm, "h1", r / "ext-h1.mem", r / "ext-h1.qcow2", CREATE_HALT)
    h.wait_until(lambda: vm.state()[0] == S.SHUTOFF, 30, what="shut off by HALT")
    t = vm.ticks()[-1]
    vm.serial.write_bytes(b"")
    snap_call(env, s, "Revert", 0)
    assert vm.state()[0] == S.RUNNING
    ticks_resume_from(vm, t - 2, 10 ** 6)


def qemud_conf(env, text):
    f = env.root / "etc" / "virtbus" / "qemud.conf"
    if text is None:
        f.unlink(missing_ok=True)
    else:
        f.write_text(text)


def test_sigkill_during_a_memory_snapshot(env, vm):
    """qemud SIGKILLed while QEMU writes the guest's memory (slowed down by
    save_bandwidth_limit, the guest paused for it): after the restart the
    snapshot is undone (no record, no memory file, no overlay) and the
    guest runs on its image as before."""
    r = env.root
    if vm.state()[0] == S.SHUTOFF:
        vm.start()
        vm.wait_ready()
    elif vm.state()[0] == S.PAUSED:
        vm.call("Resume")
    src, tree = disk_src(vm), names(vm)
    mem, ov = r / "ext-k1.mem", r / "ext-k1.qcow2"
    qemud_conf(env, "save_bandwidth_limit = 1\n")
    try:
        proc = subprocess.Popen(
            ["busctl", f"--address={env.bus.address}", "--timeout=120", "call", "org.virtbus.qemud", vm.path,
             "org.libvirt.Domain", "SnapshotCreateXML", "su",
             f"<domainsnapshot><name>k1</name><memory snapshot='external' file='{mem}'/><disks>"
             f"<disk name='vda'><source file='{ov}'/></disk></disks></domainsnapshot>", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        h.wait_until(lambda: mem.exists() and mem.stat().st_size > 2 << 20, 60, 0.1, "QEMU writing the memory")
        assert vm.state()[0] == S.PAUSED
        assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
        proc.communicate(timeout=60)
        assert proc.returncode != 0
    finally:
        qemud_conf(env, None)
    env.qemud.start()
    h.wait_until(lambda: vm.state()[0] == S.RUNNING, 60, 0.2, "the guest running again")
    assert not mem.exists() and not ov.exists()
    assert names(vm) == tree
    assert disk_src(vm) == src
    vm.wait_tick_after(vm.last_tick())
    # And the next snapshot works.
    s = with_memory(vm, "k2", mem, ov)
    assert vm.state()[0] == S.RUNNING and disk_src(vm) == str(ov)
    snap_call(env, s, "Delete", DELETE_METADATA_ONLY)


def test_sigkill_during_a_live_delete(env, vm):
    """qemud SIGKILLed in a running guest's delete of an external snapshot
    (QEMU held stopped so that the kill comes before its block-commit): after
    the restart the snapshot is there, its overlay the guest's image, the
    record of the delete gone; the delete then works. Whichever point a
    kill hits, the tree and the chain agree after the restart: the
    snapshot and its overlay in the chain, or neither."""
    import os
    r = env.root
    assert vm.state()[0] == S.RUNNING
    below = disk_src(vm)
    ov = r / "ext-z1.qcow2"
    z1 = disk_only(vm, "z1", ov)
    record = env.run_dir / "ext.snapshot-delete"
    pid = vm.pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        proc = subprocess.Popen(["busctl", f"--address={env.bus.address}", "--timeout=120", "call",
                                 "org.virtbus.qemud", z1, SNAP_IFACE, "Delete", "u", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # the delete's job is there (its QEMU does not answer: no merge yet)
        h.wait_until(lambda: vm.call("GetJobInfo")[0] != 0, 30, 0.02, "the delete's job")
        assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
    finally:
        os.kill(pid, signal.SIGCONT)
    proc.communicate(timeout=60)
    env.qemud.start()
    h.wait_until(lambda: not record.exists(), 30, 0.1, "the delete's record handled")
    assert vm.state()[0] == S.RUNNING
    assert "z1" in names(vm) and ov.exists() and disk_src(vm) == str(ov)
    assert chain(ov)[1] == below
    snap_call(env, z1, "Delete", 0)
    assert "z1" not in names(vm) and not ov.exists() and disk_src(vm) == below
    vm.wait_tick_after(vm.last_tick())


def test_sigkill_at_any_point_of_a_live_delete(env, vm):
    """The same kill at points further on each round (after the delete's
    record appeared: before QEMU's block-commit, while it runs, after it):
    after each restart the tree and the chain agree (the snapshot and its
    overlay the guest's image, or neither), the guest runs, and the next
    snapshot and delete work. The kill points are spread, not asserted."""
    import time
    record = env.run_dir / "ext.snapshot-delete"
    for i in range(8):
        below = disk_src(vm)
        ov = env.root / f"ext-y{i}.qcow2"
        y = disk_only(vm, f"y{i}", ov)
        proc = subprocess.Popen(["busctl", f"--address={env.bus.address}", "--timeout=120", "call",
                                 "org.virtbus.qemud", y, SNAP_IFACE, "Delete", "u", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        h.wait_until(lambda: record.exists() or proc.poll() is not None, 30, 0.001, "the delete under way")
        time.sleep(0.012 * i)
        env.qemud.kill(signal.SIGKILL)
        proc.communicate(timeout=60)
        env.qemud.start()
        h.wait_until(lambda: not record.exists(), 30, 0.1, "the delete's record handled")
        h.wait_until(lambda: vm.state()[0] == S.RUNNING, 30, 0.1, "the guest running")
        if f"y{i}" in names(vm):
            assert ov.exists() and disk_src(vm) == str(ov) and chain(ov)[1] == below
            snap_call(env, y, "Delete", 0)
        assert not ov.exists() and disk_src(vm) == below
    vm.wait_tick_after(vm.last_tick())


def test_sigkill_at_any_point_of_a_live_create(env, vm):
    """A disk-only snapshot of the running guest, qemud killed at points
    spread over its making: after each restart, the snapshot is in the tree
    with its overlay the guest's image (QEMU took it: recorded), or neither
    is there (undone); the guest runs."""
    import time
    record = env.run_dir / "ext.snapshot"
    for i in range(8):
        below = disk_src(vm)
        ov = env.root / f"ext-x{i}.qcow2"
        proc = subprocess.Popen(
            ["busctl", f"--address={env.bus.address}", "--timeout=120", "call", "org.virtbus.qemud", vm.path,
             "org.libvirt.Domain", "SnapshotCreateXML", "su",
             f"<domainsnapshot><name>x{i}</name><disks><disk name='vda'><source file='{ov}'/></disk></disks>"
             "</domainsnapshot>", str(CREATE_DISK_ONLY)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        h.wait_until(lambda: record.exists() or proc.poll() is not None, 30, 0.001, "the snapshot under way")
        time.sleep(0.04 * i)
        env.qemud.kill(signal.SIGKILL)
        proc.communicate(timeout=60)
        env.qemud.start()
        h.wait_until(lambda: not record.exists(), 30, 0.1, "the snapshot's record handled")
        h.wait_until(lambda: vm.state()[0] == S.RUNNING, 30, 0.1, "the guest running")
        if f"x{i}" in names(vm):
            assert ov.exists() and disk_src(vm) == str(ov) and chain(ov)[1] == below
            assert disk_src(vm, 2) == str(ov)
            snap_call(env, vm.call("SnapshotLookupByName", f"x{i}", 0), "Delete", 0)
        else:
            assert not ov.exists(), f"x{i}: no snapshot, but its overlay is there"
        assert disk_src(vm) == below
    vm.wait_tick_after(vm.last_tick())


def test_virsh_and_python_through_the_proxy(env, vm):
    import libvirt
    r = env.root
    stop(vm)
    p = h.Proxy(env.bus, env.root).start()
    try:
        h.register_log("virtbus-proxyd", p.log_path)
        vm.start()
        vm.wait_ready()
        mem, ov = r / "ext-v1.mem", r / "ext-v1.qcow2"
        p.virsh("snapshot-create-as", "ext", "v1", "--memspec", f"file={mem},snapshot=external",
                "--diskspec", f"vda,file={ov}")
        assert mem.exists() and disk_src(vm) == str(ov)
        out = p.virsh("snapshot-list", "ext", "--external").stdout
        assert "v1" in out and "running" in out, out
        p.virsh("snapshot-revert", "ext", "v1", "--paused")
        assert vm.state()[0] == S.PAUSED
        vm.call("Resume")
        p.virsh("snapshot-create-as", "ext", "v2", "--disk-only", "--diskspec", f"vda,file={r / 'ext-v2.qcow2'}")
        p.virsh("snapshot-delete", "ext", "v2")
        assert not (r / "ext-v2.qcow2").exists()
        conn = libvirt.open(p.uri)
        try:
            dom = conn.lookupByName("ext")
            v1 = dom.snapshotLookupByName("v1")
            dom.revertToSnapshot(v1, libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING)
            assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
            x = dom.snapshotCreateXML(
                f"<domainsnapshot><name>py1</name><disks><disk name='vda'><source file='{r / 'ext-py1.qcow2'}'/>"
                "</disk></disks></domainsnapshot>", libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY)
            x.delete()
            assert not (r / "ext-py1.qcow2").exists()
            v1.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
            assert mem.exists()
        finally:
            conn.close()
    finally:
        p.stop()
