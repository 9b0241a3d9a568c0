# SPDX-License-Identifier: LGPL-2.1-or-later
"""Answers that come after the guest is gone (common/domain/domain-handle.h).

Every request qemud sends for a domain (storaged, networkd, lockd, logd, and
QEMU's monitor while tuning) holds the domain's handle, which the domain
cancels when the guest stops and when it is freed: a late answer touches
nothing of the domain and frees only what is its own.

- lockd comes back while a transient guest runs, qemud asks it for the
  guest's leases again, and the guest is destroyed (so freed) before lockd
  answers: the answer must not touch the freed domain. The old code kept a
  raw pointer to the domain in that request: a use after free that an
  AddressSanitizer build of qemud reports (VIRTBUS_BUILD=<asan build>);
- Destroy while logd's answer to Open is still to come (logd held with
  SIGSTOP), for a transient guest (freed at once) and a persistent one
  (started again while the first answer is still pending): shut off, no
  QEMU, the late log fd closed, and the next start works.

Each test also checks that qemud is alive and its log holds no
AddressSanitizer report. The guests are idle QEMUs (no kernel)."""

import os
import re
import signal
import subprocess
import uuid as uuidlib

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from virtbus_harness import wait_until
from test_qemud_leases_logs import (LOCKD, LOGD, LOGD_PATH, LOG1, QEMUD_PATH, Host, idle_xml, make_disk,
                                    pid_alive, qemu_pids_of)

pytestmark = pytest.mark.timeout(120)

QEMUD = "org.virtbus.qemud"
STARTING = (S.PAUSED, 11)
# A use after free must show; leaks at exit are another matter.
ASAN_ENV = {"ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0"}


class Held:
    """SIGSTOPped processes, given SIGCONT at the latest on leaving."""

    def __init__(self):
        self.pids = []

    def hold(self, pid):
        os.kill(pid, signal.SIGSTOP)
        self.pids.append(pid)

    def release(self, pid):
        self.pids.remove(pid)
        os.kill(pid, signal.SIGCONT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for pid in list(self.pids):
            self.release(pid)


def assert_qemud_sane(qemud):
    """Alive, answering, and no AddressSanitizer report in its log."""
    assert qemud.alive(), f"virtbus-qemud died:\n{h.tail(qemud.log_path, 60)}"
    qemud.call("ListDomains", 0)
    assert "AddressSanitizer" not in qemud.log(), h.tail(qemud.log_path, 80)


def domain_paths(qemud):
    return [str(p) for p in qemud.call("ListDomains", 0)]


def status_attrs(host, name):
    p = host.run_dir / f"{name}.xml"
    try:
        return p.read_text().split(">", 1)[0]
    except FileNotFoundError:
        return ""


def create_xml_in_background(bus, xml):
    """DomainCreateXML from a busctl of its own; its stderr tells the error."""
    return h.spawn(["busctl", f"--address={bus.address}", "--timeout=120", "call", QEMUD, QEMUD_PATH,
                    "org.libvirt.Connect", "DomainCreateXML", "su", xml, "0"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=bus.env)


def create_in_background(bus, path):
    return h.spawn(["busctl", f"--address={bus.address}", "--timeout=120", "call", QEMUD, path,
                    "org.libvirt.Domain", "Create", "u", "0"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=bus.env)


def open_pipes(bus):
    return int(bus.get_property(LOGD, LOGD_PATH, LOG1, "OpenPipes"))


def test_lockd_answers_after_the_transient_guest_is_gone(bus, bus_monitor, daemon, vroot):
    qemud = daemon("qemud", env=ASAN_ENV)
    host = Host(bus, qemud, vroot, bus_monitor)
    disk = make_disk(vroot, "late-lease")
    uuid = str(uuidlib.uuid4())
    path = str(qemud.call("DomainCreateXML", idle_xml("late-lease", [(disk, "rw")], uuid=uuid), 0))
    assert [l[1] for l in host.leases()] == [uuid]
    qemu = qemu_pids_of(uuid)
    assert len(qemu) == 1

    with Held() as held:
        # lockd goes and comes back while qemud sleeps; the new lockd is held
        # before qemud hears of it, so qemud's new Acquire waits.
        held.hold(qemud.pid)
        first = bus.name_owner_pid(LOCKD)
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: not bus.name_has_owner(LOCKD), 10, what="lockd to leave the bus")
        assert [l[1] for l in host.leases()] == [uuid]      # activates it again
        second = bus.name_owner_pid(LOCKD)
        assert second != first
        held.hold(second)
        held.release(qemud.pid)

        # qemud reads lockd's return (and asks the held lockd) before this call.
        qemud.domain_call(path, "Destroy", 0)
        wait_until(lambda: path not in domain_paths(qemud), 15, what="the transient domain to go")
        wait_until(lambda: not any(pid_alive(p) for p in qemu), 15, what="QEMU to exit")
        assert "lockd is (back) on the bus" in qemud.log(), "qemud did not ask lockd again"

        held.release(second)
    # lockd's answers to qemud went out before its answer to this call.
    wait_until(lambda: not host.leases(), 15, what="the leases of the destroyed guest to go")
    assert_qemud_sane(qemud)

    # The name can be used again at once.
    uuid2 = str(uuidlib.uuid4())
    path2 = qemud.call("DomainCreateXML", idle_xml("late-lease", [(disk, "rw")], uuid=uuid2), 0)
    assert [l[1] for l in host.leases()] == [uuid2]
    qemud.domain_call(path2, "Destroy", 0)
    assert_qemud_sane(qemud)


def wait_log_phase(host, name):
    wait_until(lambda: "job-phase='log'" in status_attrs(host, name), 15,
               what=f"the start of {name} to wait for logd: {status_attrs(host, name)!r}")


def test_destroy_while_logd_opens_the_log(bus, bus_monitor, daemon, vroot):
    qemud = daemon("qemud", env=ASAN_ENV)
    host = Host(bus, qemud, vroot, bus_monitor)
    pipes = open_pipes(bus)                     # activates logd
    logd = bus.name_owner_pid(LOGD)

    # A transient guest: freed as soon as it is destroyed.
    uuid = str(uuidlib.uuid4())
    with Held() as held:
        held.hold(logd)
        client = create_xml_in_background(bus, idle_xml("late-log", [], uuid=uuid))
        wait_log_phase(host, "late-log")
        path = str(qemud.call("DomainLookupByUUID", uuid))
        qemud.domain_call(path, "Destroy", 0)
        _, err = client.communicate(timeout=30)
        assert client.returncode != 0 and "destroyed while starting" in err.decode(), err.decode()
        assert path not in domain_paths(qemud)
        assert not qemu_pids_of(uuid)
        held.release(logd)
    open_pipes(bus)                             # logd answered qemud before this
    assert_qemud_sane(qemud)
    assert not qemu_pids_of(uuid)

    # A persistent guest, started again while logd still holds the first
    # answer: the late answer goes to nobody, the second start runs.
    dom = host.define(idle_xml("late-log2", []))
    with Held() as held:
        held.hold(logd)
        client = create_in_background(bus, dom.path)
        wait_log_phase(host, dom.name)
        dom.call("Destroy", 0)
        _, err = client.communicate(timeout=30)
        assert client.returncode != 0 and "destroyed while starting" in err.decode(), err.decode()
        assert dom.state()[0] == S.SHUTOFF and not qemu_pids_of(dom.uuid)
        client = create_in_background(bus, dom.path)
        wait_log_phase(host, dom.name)
        held.release(logd)
    _, err = client.communicate(timeout=60)
    assert client.returncode == 0, err.decode()
    assert dom.state() == (S.RUNNING, 1)
    assert len(qemu_pids_of(dom.uuid)) == 1
    log = dom.log_text()
    assert len(re.findall(rb"starting up", log)) == 1, log[-2000:]
    dom.destroy()
    assert_qemud_sane(qemud)
    # The late pipe was closed by qemud, the other one went with its guest.
    wait_until(lambda: open_pipes(bus) == pipes, 15,
               what=f"logd's pipes to go back to {pipes}: {open_pipes(bus)}")
