# SPDX-License-Identifier: LGPL-2.1-or-later
"""A hundred guests at once on one qemud: started together by clients calling
at the same time, all running with a QEMU each, all in GetAllDomainStats; a
qemud killed with SIGKILL and started again finds every one (same QEMU pids,
still running, its stats still answered); destroyed together, they leave no
QEMU, no live status file and no pid behind.

The guests never boot a kernel (64 MiB, firmware only: type 'kvm' when KVM
works here, else 'qemu'), so that a hundred fit on a small host. How long any
of this takes is measured by bench/scale-bench.py, not here.
VIRTBUS_SCALE_GUESTS changes the count (default 100)."""

import os
import re
import signal
import threading
import uuid as uuidlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dbus
import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from virtbus_harness import wait_until

N = int(os.environ.get("VIRTBUS_SCALE_GUESTS", "100"))
CLIENTS = 8
PREFIX = "scale"

pytestmark = pytest.mark.timeout(900)


def idle_xml(name):
    kind = "kvm" if h.kvm_available() else "qemu"
    return f"""<domain type='{kind}'>
  <name>{name}</name>
  <uuid>{uuidlib.uuid4()}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <devices><emulator>{h.QEMU}</emulator></devices>
</domain>
"""


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


class Clients:
    """CLIENTS connections of their own, each calling from its own thread."""

    def __init__(self, bus):
        self.local = threading.local()
        self.bus = bus

    def _conn(self):
        if not hasattr(self.local, "conn"):
            self.local.conn = self.bus.new_connection()
        return self.local.conn

    def domain_call(self, path, method, *args):
        obj = self._conn().get_object("org.virtbus.qemud", path, introspect=False)
        return obj.get_dbus_method(method, "org.libvirt.Domain")(*args, timeout=600)

    def each(self, paths, method, *args):
        with ThreadPoolExecutor(CLIENTS) as pool:
            return list(pool.map(lambda p: self.domain_call(p, method, *args), paths))


def live_pids(run_dir, names):
    pids = {}
    for name in names:
        text = (run_dir / f"{name}.xml").read_text()
        pids[name] = int(re.search(r"<domstatus [^>]*\bpid='(\d+)'", text).group(1))
    return pids


def states(qemud, paths):
    return [tuple(qemud.domain_call(p, "GetState", dbus.UInt32(0))) for p in paths]


def all_stats_names(qemud):
    raw = qemud.call("GetAllDomainStats", dbus.UInt32(0), dbus.UInt32(0), raw=True)
    return sorted(str(name) for name, _rec in raw)


def test_hundred_guests_start_restart_and_stop_together(bus, daemon, vroot):
    qemud = daemon("qemud")
    run_dir = Path(vroot.path) / "run/virtbus/qemu"
    names = [f"{PREFIX}{i:03d}" for i in range(N)]
    paths = [qemud.call("DomainDefineXML", idle_xml(n)) for n in names]
    for n in names:
        h.register_log(f"QEMU log of {n}", Path(vroot.path) / "var/log/virtbus/qemu" / f"{n}.log")
    clients = Clients(bus)

    # 1. Started together by several clients at once.
    clients.each(paths, "Create", dbus.UInt32(0))
    assert states(qemud, paths) == [(S.RUNNING, 1)] * N
    pids = live_pids(run_dir, names)
    assert len(set(pids.values())) == N, "each guest has a QEMU of its own"
    assert all(pid_alive(p) for p in pids.values())
    assert all_stats_names(qemud) == names

    # 2. qemud killed and started again: every guest found, nothing restarted.
    qemud.restart(signal.SIGKILL)
    assert sorted(qemud.call("ListDomains", dbus.UInt32(1))) == sorted(paths)  # active only
    assert states(qemud, paths) == [(S.RUNNING, 1)] * N
    assert live_pids(run_dir, names) == pids, "the same QEMUs, adopted, none started again"
    assert all(pid_alive(p) for p in pids.values())
    assert all_stats_names(qemud) == names

    # 3. Destroyed together: no QEMU, no live state left.
    clients.each(paths, "Destroy", dbus.UInt32(0))
    wait_until(lambda: not any(pid_alive(p) for p in pids.values()), 60,
               what="every QEMU to exit after Destroy")
    assert states(qemud, paths)[0][0] == S.SHUTOFF
    assert all(s[0] == S.SHUTOFF for s in states(qemud, paths))
    assert not [p for p in run_dir.glob(f"{PREFIX}*.xml")], "live status files left behind"
    assert qemud.call("ListDomains", dbus.UInt32(1)) == []
    for p in paths:
        qemud.domain_call(p, "Undefine", dbus.UInt32(0))
    assert qemud.call("ListDomains", dbus.UInt32(0)) == []
