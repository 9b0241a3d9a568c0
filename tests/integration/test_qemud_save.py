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
    # The completed job's figures.
    typ, stats = vm.call("GetJobStats", 1)
    assert typ == JOB_COMPLETED and stats["operation"] == OP_SAVE
    assert stats["memory_total"] > 0 and stats["time_elapsed"] >= 0
    # Restore: the same guest goes on.
    vm.serial.write_bytes(b"")
    m = env.mark()
    assert env.call("DomainRestore", str(path), "", 0) is None
    assert vm.state() == (S.RUNNING, RUNNING_RESTORED)
    env.expect_events(vm.path, m, [(E.STARTED, STARTED_RESTORED)])
    ticks_go_on(vm, last)
    # A restore that is not managed leaves the file.
    assert path.exists()
    path.unlink()
