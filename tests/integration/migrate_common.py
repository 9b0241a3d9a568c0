# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the migration test modules share: qemud's QMP trace for the module,
and the check that a moved guest goes on (no new boot) with what to read
when it did not."""

import os

import pytest

BOOT_MARK = b"Linux version"   # the kernel's first console line


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


def head(data, lines):
    return "\n".join(data.decode("utf-8", "replace").splitlines()[:lines])


def boots_seen(guest):
    return guest.serial_text().count(BOOT_MARK)


def ticks_go_on(guest, before, where="the destination", timeout=30):
    """The moved guest's counter goes on from `before` (at most 15 ticks
    later: the pause); a counter that starts again, or a kernel banner on
    the destination's console, is a new boot, said as such."""
    first = guest.wait_tick_after(-1, timeout=timeout)
    if not before < first <= before + 15:
        ticks = guest.ticks()
        raise AssertionError(
            f"first tick on {where} {first}, last before {before}: "
            f"{'A NEW BOOT' if boots_seen(guest) else 'no kernel banner'} on {guest.serial} "
            f"(kernel banners {boots_seen(guest)}, ticks there {ticks[:5]}...{ticks[-5:]}); "
            f"console starts with:\n{head(guest.serial_text(), 20)}")
    return first
