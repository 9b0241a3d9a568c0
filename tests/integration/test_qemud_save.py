# SPDX-License-Identifier: LGPL-2.1-or-later
"""Save, restore, managed save, core dump and job progress with the real test
guest (TCG): a saved guest is shut off with reason "saved"; restored, its
console tick counter goes on from where it was (no new boot); ManagedSave
then Create resumes it and uses the image up; GetJobInfo answers while a
save runs (never waiting behind it); AbortJob leaves the guest running; each
bad input fails with an error naming it and changes nothing; virsh's save,
restore, managedsave, save-image-dumpxml and dump work through the proxy.

One qemud and one persistent guest ("vm1", ticking every second) for the
module: the guest is booted once and carried through save and restore."""

import os
import subprocess
import threading
import time

import pytest

import virtbus_harness as h
from test_qemud_common import _env_logs, module_env, dbus_error, E, S, snapshot, assert_same_snapshot  # noqa: F401

pytestmark = pytest.mark.timeout(240)

# libvirt's numbers
SHUTOFF_SAVED = 5
RUNNING_RESTORED = 3
STARTED_RESTORED = 2
STOPPED_SAVED = 4
JOB_NONE, JOB_UNBOUNDED, JOB_COMPLETED = 0, 2, 3
OP_SAVE, OP_DUMP = 2, 8
LIST_MANAGEDSAVE, LIST_NO_MANAGEDSAVE = 256, 512
MAGIC = b"VirtbusQemuSave\n"

env = module_env()


@pytest.fixture(scope="module")
def vm(env):
    g = env.define("vm1", tick=True)
    g.start()
    g.wait_ready()
    g.wait_tick_after(0)
    return g


def ensure_running(vm):
    st = vm.state()
    if st[0] == S.SHUTOFF:
        vm.call("Create", 0)
    h.wait_until(lambda: vm.state()[0] == S.RUNNING, 60, what="vm1 running")
    return vm.wait_tick_after(vm.last_tick() if vm.last_tick() >= 0 else -1)


def save_dir(env):
    d = env.root / "saves"
    d.mkdir(exist_ok=True)
    return d


def ticks_go_on(vm, before):
    """The first tick the restored guest prints follows `before` (the counter
    of the same boot, not a new one from 0)."""
    first = vm.wait_tick_after(-1, timeout=60)
    ticks = vm.ticks()
    assert ticks[0] > before >= 0, f"restored guest ticks {ticks[:5]}, last before save {before}"
    assert ticks[0] <= before + 3, f"restored guest ticks {ticks[:5]}, last before save {before}"
    vm.wait_tick_after(first)


def test_save_then_restore_keeps_the_tick_counter(env, vm):
    ensure_running(vm)
    path = save_dir(env) / "vm1.save"
    before = vm.wait_tick_after(vm.last_tick())
    m = env.mark()
    vm.call("Save", str(path), "", 0)
    last = vm.last_tick()
    assert last >= before
    assert vm.state() == (S.SHUTOFF, SHUTOFF_SAVED)
    env.expect_events(vm.path, m, [(E.SUSPENDED, 0), (E.STOPPED, STOPPED_SAVED)])
    data = path.read_bytes()[:16]
    assert data == MAGIC
    # The image's XML is the domain's.
    xml = env.call("DomainSaveImageGetXMLDesc", str(path), 0)
    assert "<name>vm1</name>" in xml
    # The completed job's figures, and the JobCompleted signal with them.
    typ, stats = vm.call("GetJobStats", 1)
    assert typ == JOB_COMPLETED and stats["operation"] == OP_SAVE
    assert stats["memory_total"] > 0 and stats["time_elapsed"] >= 0
    assert stats["data_remaining"] == 0 and stats["data_processed"] > 0
    sig = env.mon.wait_signal("JobCompleted", interface="org.libvirt.Domain", path=vm.path, since=m)
    assert "memory_total" in str(sig.get("payload")), sig
    # Restore: the same guest goes on.
    vm.serial.write_bytes(b"")
    m = env.mark()
    assert env.call("DomainRestore", str(path), "", 0) is None
    assert vm.state() == (S.RUNNING, RUNNING_RESTORED)
    env.expect_events(vm.path, m, [(E.STARTED, STARTED_RESTORED)])
    ticks_go_on(vm, last)
    # A restore that is not managed leaves the file: the bad-input test
    # cuts a copy of it short.
    assert path.exists()
    path.rename(save_dir(env) / "image.save")


def qemud_conf(env, text):
    f = env.root / "etc" / "virtbus" / "qemud.conf"
    if text is None:
        f.unlink(missing_ok=True)
    else:
        f.write_text(text)


def test_managed_save_then_create_resumes(env, vm):
    ensure_running(vm)
    assert vm.call("HasManagedSaveImage", 0) is False
    assert vm.path in env.list_domains(LIST_NO_MANAGEDSAVE)
    assert vm.path not in env.list_domains(LIST_MANAGEDSAVE)
    before = vm.wait_tick_after(vm.last_tick())
    vm.call("ManagedSave", 0)
    last = vm.last_tick()
    assert last >= before
    assert vm.state() == (S.SHUTOFF, SHUTOFF_SAVED)
    assert vm.call("HasManagedSaveImage", 0) is True
    assert vm.path in env.list_domains(LIST_MANAGEDSAVE)
    assert vm.path not in env.list_domains(LIST_NO_MANAGEDSAVE)
    # libvirt's rule: no Undefine while the image is there, unless asked.
    snap = snapshot(env)
    with dbus_error("OperationInvalid", "vm1", "managed save"):
        vm.call("Undefine", 0)
    assert_same_snapshot(snap, snapshot(env))
    # Create restores it, and the image is used up.
    vm.serial.write_bytes(b"")
    m = env.mark()
    vm.call("Create", 0)
    assert vm.state() == (S.RUNNING, RUNNING_RESTORED)
    env.expect_events(vm.path, m, [(E.STARTED, STARTED_RESTORED)])
    ticks_go_on(vm, last)
    assert vm.call("HasManagedSaveImage", 0) is False
    assert vm.path in env.list_domains(LIST_NO_MANAGEDSAVE)
    # Autostart restores it as well (libvirt's rule): a qemud started anew.
    vm.wait_tick_after(vm.last_tick())
    vm.call("ManagedSave", 0)
    last = vm.last_tick()
    env.set_autostart(vm.path, True)
    try:
        vm.serial.write_bytes(b"")
        env.qemud.restart()
        h.wait_until(lambda: vm.state() == (S.RUNNING, RUNNING_RESTORED), 60, 0.2,
                     "vm1 restored by autostart")
        ticks_go_on(vm, last)
        assert vm.call("HasManagedSaveImage", 0) is False
    finally:
        env.set_autostart(vm.path, False)


def busctl_async(env, *args):
    return subprocess.Popen(["busctl", f"--address={env.bus.address}", "--timeout=120", "call",
                             "org.virtbus.qemud", *[str(a) for a in args]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_job_info_during_a_save_and_abort(env, vm):
    """A save slowed down (save_bandwidth_limit) shows its progress through
    GetJobInfo/GetJobStats, which answer at once beside it; AbortJob ends it
    and the guest goes on running; the partial file is gone."""
    ensure_running(vm)
    path = save_dir(env) / "aborted.save"
    qemud_conf(env, "save_bandwidth_limit = 1\n")
    try:
        assert vm.call("GetJobInfo")[0] == JOB_NONE
        before = vm.wait_tick_after(vm.last_tick())
        proc = busctl_async(env, vm.path, "org.libvirt.Domain", "Save", "ssu", path, "", 0)
        h.wait_until(lambda: vm.call("GetJobInfo")[3] > 0, 30, 0.05, "a save in progress")
        t0 = time.monotonic()
        info = vm.call("GetJobInfo")
        typ, stats = vm.call("GetJobStats", 0)
        assert time.monotonic() - t0 < 2, "job queries waited behind the save"
        assert info[0] == JOB_UNBOUNDED and info[3] > 0, info       # type, dataTotal
        assert typ == JOB_UNBOUNDED and stats["operation"] == OP_SAVE
        for k in ("time_elapsed", "data_total", "data_processed", "data_remaining", "memory_total",
                  "memory_processed", "memory_remaining", "memory_bps"):
            assert k in stats, k
        assert vm.state()[0] == S.PAUSED
        vm.call("AbortJob")
        out, err = proc.communicate(timeout=60)
        assert proc.returncode != 0 and "OperationAborted" in err or "aborted" in err, (out, err)
        h.wait_until(lambda: vm.state()[0] == S.RUNNING, 15, what="vm1 running again")
        vm.wait_tick_after(before + 1)
        assert not path.exists()
        typ, stats = vm.call("GetJobStats", 1)
        assert typ == 5 and stats["operation"] == OP_SAVE              # CANCELLED
        with dbus_error("OperationInvalid", "no job", "vm1"):
            vm.call("AbortJob")
    finally:
        qemud_conf(env, None)


def test_compressed_save(env, vm):
    """save_image_format in qemud.conf: the image is smaller, and restores."""
    ensure_running(vm)
    fmt = next((f for f in ("zstd", "gzip", "xz") if os.path.exists(f"/usr/bin/{f}")), None)
    if not fmt:
        pytest.skip("no zstd, gzip or xz on this host")
    path = save_dir(env) / "packed.save"
    qemud_conf(env, f"save_image_format = {fmt}\n")
    try:
        before = vm.wait_tick_after(vm.last_tick())
        vm.call("Save", str(path), "", 0)
    finally:
        qemud_conf(env, None)
    last = vm.last_tick()
    assert last >= before
    raw = (save_dir(env) / "image.save").stat().st_size
    assert path.stat().st_size < raw, (path.stat().st_size, raw)
    vm.serial.write_bytes(b"")
    env.call("DomainRestore", str(path), "", 0)
    ticks_go_on(vm, last)
    path.unlink()
    # A format the file does not know is refused, naming it; nothing changes.
    qemud_conf(env, "save_image_format = lzop\n")
    try:
        with dbus_error("ConfigUnsupported", "save_image_format", "lzop"):
            vm.call("Save", str(path), "", 0)
        assert vm.state()[0] == S.RUNNING and not path.exists()
    finally:
        qemud_conf(env, None)


def test_bad_input(env, vm):
    ensure_running(vm)
    d = save_dir(env)
    image = d / "image.save"
    snap = snapshot(env)
    # An unwritable target.
    with dbus_error("SystemError", "/nonexistent-dir/vm1.save"):
        vm.call("Save", "/nonexistent-dir/vm1.save", "", 0)
    with dbus_error("InvalidArg", "relative.save"):
        vm.call("Save", "relative.save", "", 0)
    with dbus_error("InvalidArg", "RUNNING", "PAUSED"):
        vm.call("Save", str(d / "x.save"), "", 6)
    # A save file cut short.
    cut = d / "truncated.save"
    cut.write_bytes(image.read_bytes()[: image.stat().st_size // 2])
    with dbus_error("InvalidArg", str(cut), "truncated"):
        env.call("DomainRestore", str(cut), "", 0)
    with dbus_error("InvalidArg", str(cut), "truncated"):
        env.call("DomainSaveImageGetXMLDesc", str(cut), 0)
    # A file that is not a save image.
    junk = d / "junk.save"
    junk.write_bytes(b"this is not a save image at all, but it is long enough to have a header\n" * 4)
    with dbus_error("InvalidArg", str(junk), "not a virtbus save image"):
        env.call("DomainRestore", str(junk), "", 0)
    with dbus_error("InvalidArg", str(d / "missing.save")):
        env.call("DomainRestore", str(d / "missing.save"), "", 0)
    # The image's domain is running.
    with dbus_error("OperationInvalid", "vm1", "already running"):
        env.call("DomainRestore", str(image), "", 0)
    # DomainSaveImageDefineXML with the XML of another domain.
    other = env.guest_xml("other-vm")
    with dbus_error("InvalidArg", "other-vm", "vm1"):
        env.call("DomainSaveImageDefineXML", str(image), other, 0)
    assert_same_snapshot(snap, snapshot(env))
    assert vm.state()[0] == S.RUNNING
    # The image is as it was; a change of its own XML is taken.
    xml = env.call("DomainSaveImageGetXMLDesc", str(image), 0)
    assert "<description>" not in xml
    new = xml.replace("</name>", "</name>\n  <description>saved for a test</description>", 1)
    env.call("DomainSaveImageDefineXML", str(image), new, 0)
    assert "saved for a test" in env.call("DomainSaveImageGetXMLDesc", str(image), 0)


def test_core_dump(env, vm):
    ensure_running(vm)
    d = save_dir(env)
    elf = d / "vm1.core"
    vm.call("CoreDump", str(elf), 0, 16)               # MEMORY_ONLY, raw: ELF
    assert elf.read_bytes()[:4] == b"\x7fELF"
    assert vm.state()[0] == S.RUNNING
    typ, stats = vm.call("GetJobStats", 1)
    assert typ == JOB_COMPLETED and stats["operation"] == OP_DUMP and stats["data_total"] > 0
    kdump = d / "vm1.kdump"
    vm.call("CoreDump", str(kdump), 1, 16)             # kdump-zlib
    # QEMU writes kdump in makedumpfile's flattened format (as for libvirt)
    assert kdump.read_bytes()[:12] == b"makedumpfile"
    with dbus_error("SystemError", "/nonexistent-dir/vm1.core"):
        vm.call("CoreDump", "/nonexistent-dir/vm1.core", 0, 16)
    with dbus_error("InvalidArg", "MEMORY_ONLY"):
        vm.call("CoreDump", str(kdump), 1, 0)
    elf.unlink()
    kdump.unlink()
    vm.wait_tick_after(vm.last_tick())


def test_virsh_through_the_proxy(env, vm):
    ensure_running(vm)
    d = save_dir(env)
    p = h.Proxy(env.bus, env.root).start()
    try:
        h.register_log("virtbus-proxyd", p.log_path)
        f = d / "virsh.save"
        before = vm.wait_tick_after(vm.last_tick())
        assert "saved" in p.virsh("save", "vm1", f).stdout
        last = vm.last_tick()
        assert last >= before
        assert vm.state() == (S.SHUTOFF, SHUTOFF_SAVED)
        assert "<name>vm1</name>" in p.virsh("save-image-dumpxml", f).stdout
        vm.serial.write_bytes(b"")
        assert "restored" in p.virsh("restore", f).stdout
        assert vm.state() == (S.RUNNING, RUNNING_RESTORED)
        ticks_go_on(vm, last)
        f.unlink()
        # managedsave, dominfo, start resumes it
        last = vm.wait_tick_after(vm.last_tick())
        p.virsh("managedsave", "vm1")
        last = vm.last_tick()
        assert "Managed save:   yes" in p.virsh("dominfo", "vm1").stdout
        assert "vm1" in p.virsh("list", "--all", "--managed-save").stdout
        vm.serial.write_bytes(b"")
        p.virsh("start", "vm1")
        assert vm.state() == (S.RUNNING, RUNNING_RESTORED)
        ticks_go_on(vm, last)
        assert "Managed save:   no" in p.virsh("dominfo", "vm1").stdout
        # dump, and the completed job's figures
        core = d / "virsh.core"
        p.virsh("dump", "--memory-only", "vm1", core)
        assert core.read_bytes()[:4] == b"\x7fELF"
        core.unlink()
        info = p.virsh("domjobinfo", "vm1").stdout
        assert "None" in info, info
        info = p.virsh("domjobinfo", "--completed", "vm1").stdout     # virDomainGetJobStats
        assert "Completed" in info and "Dump" in info, info
        # managedsave-remove: the next start boots (not waited for)
        p.virsh("managedsave", "vm1")
        p.virsh("managedsave-remove", "vm1")
        assert "Managed save:   no" in p.virsh("dominfo", "vm1").stdout
        junk = d / "virsh-junk.save"
        junk.write_bytes(b"not an image" * 100)
        r = p.virsh("restore", junk, check=False)
        assert r.returncode != 0 and "not a virtbus save image" in r.stderr, r.stderr
    finally:
        p.stop()


def test_restore_of_a_damaged_image(env, vm):
    """A whole image whose stream QEMU cannot load: the restore fails naming
    the file, the guest stays shut off, its definition as it was, and it
    boots normally afterwards (not tried here: one boot fewer)."""
    if vm.state()[0] != S.SHUTOFF:
        vm.call("Destroy", 0)
        h.wait_until(lambda: vm.state()[0] == S.SHUTOFF, 30, what="vm1 shut off")
    image = save_dir(env) / "image.save"
    bad = save_dir(env) / "damaged.save"
    data = bytearray(image.read_bytes())
    offset = 64 + int.from_bytes(data[24:28], "little")            # data_offset = 64 + xml_space
    assert data[offset:offset + 4] == b"QEVM"                       # QEMU's stream magic
    data[offset:offset + 8] = b"garbage!"
    bad.write_bytes(bytes(data))
    before = snapshot(env)
    with dbus_error("OperationFailed", "vm1"):
        env.call("DomainRestore", str(bad), "", 0)
    after = snapshot(env)
    for p in before:
        for k in ("xml", "xml_inactive", "config", "pid"):
            assert before[p][k] == after[p][k], k
    assert vm.state()[0] == S.SHUTOFF
    assert not list(env.run_dir.glob("vm1.save.fifo"))
    bad.unlink()
