# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the migration test modules share: qemud's QMP trace for the module,
and the check that a moved guest goes on (no new boot) with what to read
when it did not."""

import functools
import os
import re
import subprocess

import pytest

import virtbus_harness as h

BOOT_MARK = b"Linux version"   # the kernel's first console line
# what a guest kernel prints when it dies on corrupted memory
CRASH_RE = rb"kernel BUG at|Kernel panic - not syncing|general protection fault|Oops:|BUG: unable to handle"
FIXED_IN = (9, 0)


@pytest.fixture(scope="module", autouse=True)
def qmp_trace():
    """The module's qemuds log every QMP line (VIRTBUS_QMP_TRACE): a fault
    seen once under load is then in the logs a failure keeps whole."""
    old = os.environ.get("VIRTBUS_QMP_TRACE")
    os.environ["VIRTBUS_QMP_TRACE"] = "1"
    yield
    if old is None:
        os.environ.pop("VIRTBUS_QMP_TRACE", None)
    else:
        os.environ["VIRTBUS_QMP_TRACE"] = old


@functools.lru_cache(maxsize=None)
def qemu_version():
    out = subprocess.run([h.QEMU, "--version"], capture_output=True, text=True).stdout
    m = re.search(r"version (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def skip_if_qemu_lost_stores(console, where):
    """A TCG guest that crashed right after a live move, with a QEMU before
    9.0: that QEMU's live TCG migration can lose the guest's stores (its TCG
    TLB is not re-armed after a dirty-bitmap sync; upstream "physmem: Fix
    migration dirty bitmap coherency with TCG memory access"). Not ours to
    fix and not something this host can do reliably: a skip saying so, with
    the crash, never a pass. The whole logs (QMP trace included) are kept by
    the failure hook when anything else goes wrong."""
    m = re.search(CRASH_RE, console)
    v = qemu_version()
    if not m or not v or v >= FIXED_IN:
        return
    lines = console[m.start():].decode("utf-8", "replace").splitlines()[:3]
    pytest.skip(f"the guest kernel crashed on {where} after a live TCG migration with QEMU {v[0]}.{v[1]}, "
                f"which can lose a guest's stores in a live migration (fixed in QEMU 9.0: 'physmem: Fix "
                f"migration dirty bitmap coherency with TCG memory access'): {' | '.join(lines)}")


def last_run(qemu_log):
    """The part of a QEMU log (appended at each start) of its last run."""
    try:
        text = qemu_log.read_bytes()
    except OSError:
        return b""
    i = text.rfind(b": starting up")
    return text[i:] if i >= 0 else text


def writes_go_on(fn, what, qemu_log, where, timeout=60):
    """h.wait_until(fn) for a moved guest's work (its disk writes); its
    console is in its QEMU log: a crash there after a live TCG move with an
    affected QEMU is a skip saying so (skip_if_qemu_lost_stores)."""
    try:
        return h.wait_until(fn, timeout, what=what)
    except TimeoutError:
        skip_if_qemu_lost_stores(last_run(qemu_log), where)
        raise


def head(data, lines):
    return "\n".join(data.decode("utf-8", "replace").splitlines()[:lines])


def boots_seen(guest):
    return guest.serial_text().count(BOOT_MARK)


def ticks_go_on(guest, before, where="the destination", timeout=30):
    """The moved guest's counter goes on from `before` (at most 15 ticks
    later: the pause); a counter that starts again, or a kernel banner on
    the destination's console, is a new boot, said as such."""
    try:
        first = guest.wait_tick_after(-1, timeout=timeout)
    except AssertionError:
        skip_if_qemu_lost_stores(guest.serial_text(), where)
        raise
    if not before < first <= before + 15:
        skip_if_qemu_lost_stores(guest.serial_text(), where)
        ticks = guest.ticks()
        raise AssertionError(
            f"first tick on {where} {first}, last before {before}: "
            f"{'A NEW BOOT' if boots_seen(guest) else 'no kernel banner'} on {guest.serial} "
            f"(kernel banners {boots_seen(guest)}, ticks there {ticks[:5]}...{ticks[-5:]}); "
            f"console starts with:\n{head(guest.serial_text(), 20)}")
    return first
