# SPDX-License-Identifier: LGPL-2.1-or-later
"""lockd and qemud both SIGKILLed while a guest runs, lockd back first: the
running guest's leases are held again before anybody else can take them
(lockd takes back the leases it recorded, before it owns its name), and
qemud, back later, asks for them again harmlessly. The other order is in
test_qemud_leases_logs.py (qemud asks again when lockd returns)."""

import os
import signal

import pytest

from test_lockd import Owner
from test_qemud_leases_logs import (BUSY, LOCK1, LOCKD, LOCKD_PATH, Host, expected_leases, idle_xml,
                                    leases_of, make_disk, refuse)
from virtbus_harness import DomainState as S
from virtbus_harness import expect_dbus_error, wait_until

pytestmark = pytest.mark.timeout(120)


def test_lockd_back_first_after_both_were_killed(bus, bus_monitor, daemon, vroot):
    qemud = daemon("qemud")
    host = Host(bus, qemud, vroot, bus_monitor)
    disk = make_disk(vroot, "precious")
    shared = make_disk(vroot, "quorum")
    disks = [(disk, "rw"), (shared, "shareable")]
    a = host.define(idle_xml("survivor", disks)).start()
    want = expected_leases(a, disks)
    assert leases_of(host, a) == want
    b = host.define(idle_xml("intruder", [(disk, "rw")]))
    other = Owner("other")
    try:
        first = bus.name_owner_pid(LOCKD)
        qemud.kill(signal.SIGKILL)
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: not bus.name_has_owner(LOCKD), 10, what="lockd to leave the bus")

        lockd = daemon("lockd")                 # back first, qemud still down
        assert leases_of(host, a) == want, "lockd did not take the running guest's leases back"
        with expect_dbus_error(BUSY) as e:
            bus.call(LOCKD, LOCKD_PATH, LOCK1, "Acquire", disk, other.uuid, "other", other.pid, 0)
        assert "'survivor'" in e.message

        qemud.start()                           # adopts the guest, asks again
        assert a.state() == (S.RUNNING, 1)
        refuse(b, disk, "'survivor'")
        assert leases_of(host, a) == want
        assert lockd.alive() and bus.name_owner_pid(LOCKD) == lockd.pid
    finally:
        other.kill()

    a.destroy()
    wait_until(lambda: leases_of(host, a) == [], 10, what="the leases to go")
    b.start()
    assert leases_of(host, b) == [(disk, b.uuid, "intruder", b.pid(), 0)]
    b.destroy()
