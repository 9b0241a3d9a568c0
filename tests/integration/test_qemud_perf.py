# SPDX-License-Identifier: LGPL-2.1-or-later
"""perf events (README "Perf events"): Domain.GetPerfEvents and
SetPerfEvents with libvirt's event names and AFFECT flags, the <perf>
element of both definitions, the counters qemud opens on the guest's QEMU
(perf_event_open, every thread) and reads as the statistics' perf group,
kept (reopened) across a restart of qemud; the same through virtbus-proxyd
with virsh (perf, domstats --perf). Beside them, what org.virtbus.Domain1
adds: GetVcpuInfo (virsh vcpuinfo through the proxy) and StartDirtyRateCalc
(virsh domdirtyrate-calc) with the dirtyrate group, and the iothread, memory
and vm groups. One guest (TCG), started once.

A host without perf events at all skips (the reason printed); an event the
host lacks (a hardware counter in a VM) is a clear error, checked as such."""

import ctypes
import os
import re
import signal
import time

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, _env_logs, module_env, xmllint_relaxng  # noqa: F401

pytestmark = pytest.mark.timeout(240)

env = module_env()

STATS_PERF = 1 << 6
LIVE, CONFIG = 1, 2
EVENTS = ["cmt", "mbmt", "mbml", "cpu_cycles", "instructions", "cache_references", "cache_misses",
          "branch_instructions", "branch_misses", "bus_cycles", "stalled_cycles_frontend",
          "stalled_cycles_backend", "ref_cpu_cycles", "cpu_clock", "task_clock", "page_faults",
          "context_switches", "cpu_migrations", "page_faults_min", "page_faults_maj",
          "alignment_faults", "emulation_faults"]
SYS_PERF_EVENT_OPEN = 298  # x86_64


def perf_open(type_, config):
    """perf_event_open() of (type, config) on this process: fd or -errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint8 * 64)()  # PERF_ATTR_SIZE_VER0
    ctypes.c_uint32.from_buffer(attr, 0).value = type_
    ctypes.c_uint32.from_buffer(attr, 4).value = 64
    ctypes.c_uint64.from_buffer(attr, 8).value = config
    fd = libc.syscall(SYS_PERF_EVENT_OPEN, attr, 0, -1, -1, 0)
    if fd < 0:
        return -ctypes.get_errno()
    os.close(fd)
    return fd


@pytest.fixture(scope="module")
def host_perf():
    if not os.path.exists("/proc/sys/kernel/perf_event_paranoid"):
        pytest.skip("this host's kernel has no perf events (no /proc/sys/kernel/perf_event_paranoid)")
    if perf_open(1, 0) < 0:  # PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK
        pytest.skip("perf_event_open() of a software event fails here: no perf events on this host")
    return {"cpu_cycles": perf_open(0, 0) >= 0}  # PERF_TYPE_HARDWARE, CPU_CYCLES


def perf_stats(g):
    rec = g.call("GetStats", STATS_PERF, 0)
    return {str(k): v for k, v in rec.items()}


def events_of(g, flags):
    got = {str(k): bool(v) for k, v in g.call("GetPerfEvents", dbus.UInt32(flags)).items()}
    return {k for k, v in got.items() if v}, list(got)


def set_events(g, flags, **events):
    params = dbus.Dictionary({k: dbus.Boolean(v, variant_level=1) for k, v in events.items()},
                             signature="sv")
    g.call("SetPerfEvents", params, dbus.UInt32(flags))


def perf_xml(xml):
    m = re.search(r"<perf>.*?</perf>", xml, re.S)
    return m.group(0) if m else ""


@pytest.fixture(scope="module")
def running(env, host_perf):
    # two vCPUs and an IOThread, for GetVcpuInfo and the iothread group
    xml = env.guest_xml("perf1", memory_mib=128, nic=None, vcpus=2)
    xml = xml.replace("<vcpu>", "<iothreads>1</iothreads>\n  <vcpu>", 1)
    g = Guest(env, env.call("DomainDefineXML", xml), "perf1")
    # the next start counts cpu_clock (config), then the guest starts
    set_events(g, CONFIG, cpu_clock=True)
    g.start()
    h.wait_until(lambda: g.state()[0] == 1, 30, what="perf1 running")
    yield g
    try:
        g.call("Destroy", 0)
    except dbus.exceptions.DBusException:
        pass


def test_config_and_model(env, host_perf):
    g = env.define("perf-def", memory_mib=128, nic=None)
    try:
        on, names = events_of(g, 0)
        assert names == EVENTS and on == set()
        set_events(g, CONFIG, page_faults=True, cmt=False)
        xml = g.call("GetXMLDesc", 2)
        assert perf_xml(xml) == ("<perf>\n    <event name='cmt' enabled='no'/>\n"
                                 "    <event name='page_faults' enabled='yes'/>\n  </perf>")
        xmllint_relaxng(xml, "domain", "the definition with <perf>")
        assert events_of(g, CONFIG)[0] == {"page_faults"}
        # a guest that does not run has no live counters to change
        with h.expect_dbus_error("org.virtbus.Error.OperationInvalid"):
            set_events(g, LIVE, page_faults=True)
        # defined with <perf> it keeps it
        g2 = env.call("DomainDefineXML", xml)
        assert perf_xml(env.dcall(g2, "GetXMLDesc", 2)) == perf_xml(xml)
    finally:
        g.call("Undefine", 0)


def test_bad_input_changes_nothing(env, running):
    before = (running.call("GetXMLDesc", 0), running.call("GetXMLDesc", 2), perf_stats(running).keys())
    with h.expect_dbus_error("org.virtbus.Error.ArgumentUnsupported") as e:
        set_events(running, LIVE, cpu_clock=True, cycles=True)
    assert "cycles" in e.message
    with h.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
        running.call("SetPerfEvents", dbus.Dictionary({"task_clock": dbus.UInt32(1, variant_level=1)},
                                                     signature="sv"), dbus.UInt32(LIVE))
    assert "task_clock" in e.message and "boolean" in e.message
    with h.expect_dbus_error("org.virtbus.Error.InvalidArg"):
        running.call("GetPerfEvents", dbus.UInt32(LIVE | CONFIG))
    # cmt is no perf event of any kernel since 4.14: refused, and the other
    # event of the same call is not left enabled
    with h.expect_dbus_error("org.virtbus.Error.NotSupported") as e:
        set_events(running, LIVE, task_clock=True, cmt=True)
    assert "cmt" in e.message
    after = (running.call("GetXMLDesc", 0), running.call("GetXMLDesc", 2), perf_stats(running).keys())
    assert after == before


def test_live_counters(env, running, host_perf):
    # from the definition at start
    assert events_of(running, LIVE)[0] == {"cpu_clock"}
    s1 = perf_stats(running)
    assert set(s1) == {"perf.cpu_clock"}
    time.sleep(0.5)
    assert perf_stats(running)["perf.cpu_clock"] > s1["perf.cpu_clock"], "the counter does not move"

    set_events(running, LIVE, task_clock=True, context_switches=True, cpu_clock=False)
    assert events_of(running, LIVE)[0] == {"task_clock", "context_switches"}
    assert events_of(running, CONFIG)[0] == {"cpu_clock"}, "a live change reached the persistent definition"
    assert set(perf_stats(running)) == {"perf.task_clock", "perf.context_switches"}
    assert "<event name='task_clock' enabled='yes'/>" in running.call("GetXMLDesc", 0)
    xmllint_relaxng(running.call("GetXMLDesc", 0), "domain", "the live definition with <perf>")

    # a hardware counter: counted where the host has it, else a clear error
    if host_perf["cpu_cycles"]:
        set_events(running, LIVE, cpu_cycles=True)
        assert "perf.cpu_cycles" in perf_stats(running)
        set_events(running, LIVE, cpu_cycles=False)
    else:
        with h.expect_dbus_error("org.virtbus.Error.NotSupported") as e:
            set_events(running, LIVE, cpu_cycles=True)
        assert "cpu_cycles" in e.message and "not supported by this host" in e.message
        print("this host has no hardware perf counters: cpu_cycles refused as expected")
    assert events_of(running, LIVE)[0] == {"task_clock", "context_switches"}


def test_counters_survive_qemud_restart(env, running):
    set_events(running, LIVE, task_clock=True)
    pid = running.pid()
    env.qemud.restart(signal.SIGKILL)
    assert running.pid() == pid
    assert "task_clock" in events_of(running, LIVE)[0]
    first = perf_stats(running)["perf.task_clock"]
    time.sleep(0.5)
    assert perf_stats(running)["perf.task_clock"] > first, "the reopened counter does not move"


def test_through_the_proxy(env, running):
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        out = proxy.virsh("perf", running.name).stdout
        assert re.search(r"^task_clock\s*:\s*enabled$", out, re.M), out
        assert re.search(r"^cpu_cycles\s*:\s*disabled$", out, re.M), out
        proxy.virsh("perf", running.name, "--enable", "page_faults", "--live")
        assert "page_faults" in events_of(running, LIVE)[0]
        out = proxy.virsh("domstats", "--perf", running.name).stdout
        assert re.search(r"perf\.page_faults=\d+", out), out
        proxy.virsh("perf", running.name, "--disable", "page_faults", "--live")
        assert "page_faults" not in events_of(running, LIVE)[0]
        bad = proxy.virsh("perf", running.name, "--enable", "cmt", "--live", check=False)
        assert bad.returncode != 0 and "cmt" in bad.stderr, bad.stderr
    finally:
        proxy.stop()


VIRTBUS_DOMAIN = "org.virtbus.Domain1"
GROUPS_MORE = (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10)   # iothread, memory, dirtyrate, vm


def raw_stats(env, g, stats):
    rec = env.qemud.domain_call(g.path, "GetStats", dbus.UInt32(stats), dbus.UInt32(0), raw=True)
    return {str(k): (type(v).__name__, v) for k, v in rec.items()}


def test_vcpu_info(env, running):
    info = env.qemud.domain_call(running.path, "GetVcpuInfo", dbus.UInt32(0), interface=VIRTBUS_DOMAIN)
    ncpus = os.cpu_count()
    assert [v[0] for v in info] == [0, 1]
    for number, state, cpu_time, cpu, affinity in info:
        assert state == 1 and cpu_time >= 0 and 0 <= cpu < ncpus
        assert len(affinity) == ncpus and any(affinity)
    # an inactive domain has no vCPU threads
    idle = env.define("perf-idle", memory_mib=128, nic=None)
    try:
        with h.expect_dbus_error("org.virtbus.Error.OperationInvalid"):
            env.qemud.domain_call(idle.path, "GetVcpuInfo", dbus.UInt32(0), interface=VIRTBUS_DOMAIN)
    finally:
        idle.call("Undefine", 0)
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        out = proxy.virsh("vcpuinfo", running.name).stdout
        # virsh leaves out the CPU time of a vCPU that has not run yet
        vcpus = re.findall(r"^VCPU:\s+(\d+)\nCPU:\s+(\d+)\nState:\s+(\S+)\n(?:CPU time:\s+([\d.]+)s\n)?"
                           r"CPU Affinity:\s+(\S+)", out, re.M)
        assert [v[0] for v in vcpus] == ["0", "1"], out
        assert all(v[2] == "running" and len(v[4]) == ncpus and "y" in v[4] for v in vcpus), out
    finally:
        proxy.stop()


def test_more_groups(env, running):
    got = raw_stats(env, running, GROUPS_MORE)
    assert got["iothread.count"] == ("UInt32", 1)
    assert got["iothread.1.poll-max-ns"][0] == "UInt64"
    assert got["iothread.1.poll-grow"][0] == "UInt32" and got["iothread.1.poll-shrink"][0] == "UInt32"
    assert got["dirtyrate.calc_status"][0] == "Int32"
    assert got["dirtyrate.calc_start_time"][0] == "Int64" and got["dirtyrate.calc_period"][0] == "Int32"
    assert got["dirtyrate.calc_mode"] == ("String", "page-sampling")
    # memory: no bandwidth monitors in any definition; vm: KVM's, none under TCG
    assert not any(k.startswith(("memory.", "vm.")) for k in got), got
    assert not any(k.startswith(("state.", "perf.", "block.")) for k in got), got


def test_dirty_rate(env, running):
    for seconds, flags, err in ((0, 0, "seconds=0"), (61, 0, "seconds=61"), (1, 3, "mutually exclusive"),
                                (1, 4, "")):
        with h.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
            env.qemud.domain_call(running.path, "StartDirtyRateCalc", dbus.Int32(seconds), dbus.UInt32(flags),
                                  interface=VIRTBUS_DOMAIN)
        assert err in e.message
    env.qemud.domain_call(running.path, "StartDirtyRateCalc", dbus.Int32(1), dbus.UInt32(0),
                          interface=VIRTBUS_DOMAIN)
    h.wait_until(lambda: raw_stats(env, running, 1 << 9)["dirtyrate.calc_status"][1] == 2, 15,
                 what="the dirty rate measured")
    got = raw_stats(env, running, 1 << 9)
    assert got["dirtyrate.calc_period"][1] == 1 and got["dirtyrate.calc_start_time"][1] > 0
    assert got["dirtyrate.megabytes_per_second"][0] == "Int64"
    # the same through the proxy
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        proxy.virsh("domdirtyrate-calc", running.name, "--seconds", "1")
        out = proxy.virsh("domstats", "--dirtyrate", running.name).stdout
        assert re.search(r"dirtyrate\.calc_status=[12]", out) and "dirtyrate.calc_period=1" in out, out
        bad = proxy.virsh("domdirtyrate-calc", running.name, "--seconds", "100", check=False)
        assert bad.returncode != 0 and "seconds=100" in bad.stderr, bad.stderr
    finally:
        proxy.stop()


def test_control_error(env):
    """A monitor that breaks while QEMU runs (here: after a restart, qemud
    reconnects to a 'monitor' that answers no QMP) gives ControlError on the
    domain, and libvirt's CONTROL_ERROR event through the proxy."""
    import select
    import socket
    import subprocess
    import threading

    g = env.define("ctl1", memory_mib=128, nic=None, start=True)
    h.wait_until(lambda: g.state()[0] == 1, 30, what="ctl1 running")
    proxy = h.Proxy(env.bus, env.root).start()
    sock_path = env.run_dir / "ctl1.monitor"
    real = env.run_dir / "ctl1.monitor.real"
    fake = None
    watcher = subprocess.Popen(["virsh", "-c", proxy.uri, "event", "--domain", "ctl1", "--event",
                                "control-error", "--loop", "--timeout", "40"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1)  # virsh registered
        env.qemud.kill(signal.SIGKILL)
        os.rename(sock_path, real)
        fake = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        fake.bind(str(sock_path))
        fake.listen(1)

        def speak_garbage():
            try:
                conn, _ = fake.accept()
                conn.sendall(b"this is no QMP greeting\n")
                time.sleep(5)
                conn.close()
            except OSError:
                pass
        threading.Thread(target=speak_garbage, daemon=True).start()
        mark = env.mon.mark()
        env.qemud.start()
        env.mon.wait_signal("ControlError", interface="org.libvirt.Domain", path=g.path, since=mark,
                            timeout=30)
        # virsh prints the event as it comes
        ready, _, _ = select.select([watcher.stdout], [], [], 20)
        line = watcher.stdout.readline() if ready else ""
        assert "control-error" in line and "ctl1" in line, line
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
        proxy.stop()
        if fake is not None:
            fake.close()
        for p in (sock_path, real):
            if p.exists():
                p.unlink()
        try:
            g.call("Destroy", 0)
        except dbus.exceptions.DBusException:
            pass
        g.call("Undefine", 0)


def perf_fds(pid):
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:[perf_event]":
                n += 1
        except OSError:
            pass
    return n


def test_counters_closed_when_the_guest_stops(env, host_perf):
    g = env.define("perf-stop", memory_mib=128, nic=None)
    try:
        set_events(g, CONFIG, cpu_clock=True, page_faults=True)
        before = perf_fds(env.qemud.pid)
        g.start()
        h.wait_until(lambda: g.state()[0] == 1, 30, what="perf-stop running")
        assert set(perf_stats(g)) == {"perf.cpu_clock", "perf.page_faults"}
        assert perf_fds(env.qemud.pid) > before
        g.call("Destroy", 0)
        assert perf_fds(env.qemud.pid) == before, "the stopped guest's perf counters are still open"
    finally:
        try:
            g.call("Destroy", 0)
        except dbus.exceptions.DBusException:
            pass
        g.call("Undefine", 0)


def test_start_fails_on_an_event_the_host_cannot_count(env, host_perf):
    """As libvirt: a <perf> event enabled in the definition that cannot be
    counted (cmt needs Intel's resctrl, gone from perf) fails the start,
    naming it, and leaves no QEMU behind."""
    g = env.define("perf-cmt", memory_mib=128, nic=None)
    try:
        set_events(g, CONFIG, cmt=True)
        with h.expect_dbus_error("org.virtbus.Error.OperationFailed") as e:
            g.start()
        assert "perf event 'cmt'" in e.message, e.message
        assert g.state()[0] == 5
        assert not h.pids_mentioning("perf-cmt"), "a QEMU of the failed start is still there"
    finally:
        g.call("Undefine", 0)
