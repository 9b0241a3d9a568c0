# SPDX-License-Identifier: LGPL-2.1-or-later
"""<cputune> beyond pins and the per-vCPU bandwidth: <vcpusched> and
<iothreadsched> set on QEMU's vCPU and IOThread threads while QEMU waits
paused (read back with sched_getscheduler), <global_period>/<global_quota>
as the bandwidth of the guest's cgroup, <emulator_quota>/<iothread_quota> as
that of the emulator's and each IOThread's own cgroup below it (libvirt's
emulator/ and iothreadN/, cgroup v1's cpu controller); what qemud cannot
apply (a real-time priority outside the host's range) fails the start naming
it, and the definition stays as it was."""

import os

import pytest

import virtbus_harness as h
from test_qemud_tune import CGROUP_V2, cgroup_dir, cpu_cgroup_unusable, qemu_pid

pytestmark = pytest.mark.timeout(120)


def domain_xml(name, cputune):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>2</vcpu>
  <iothreads>2</iothreads>
  <cputune>
{cputune}
  </cputune>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>"""


SCHED = """    <global_period>100000</global_period>
    <global_quota>150000</global_quota>
    <vcpusched vcpus='0-1,^0' scheduler='batch'/>
    <vcpusched vcpus='0' scheduler='idle'/>
    <iothreadsched iothreads='2' scheduler='batch'/>"""

RT_RUNTIME = "/sys/fs/cgroup/cpu/machine.slice/cpu.rt_runtime_us"


def rt_unusable():
    """Why a real-time thread cannot live in a guest's cgroup here (None if it
    can). With real-time group scheduling a new cgroup gets no real-time CPU
    time: machine.slice, made by the first guest if not there yet, has 0."""
    if not os.path.exists(os.path.join(os.path.dirname(os.path.dirname(RT_RUNTIME)), "cpu.rt_runtime_us")):
        return None
    if not os.path.exists(RT_RUNTIME) or open(RT_RUNTIME).read().strip() == "0":
        return ("real-time group scheduling gives machine.slice no real-time CPU time "
                "(cpu.rt_runtime_us 0): no RT thread may run in a guest's cgroup")
    return None


def thread_ids(pid, prefix):
    """{thread name: tid} of the threads of pid whose name starts with prefix."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
        except FileNotFoundError:
            continue
        if comm.startswith(prefix):
            out[comm] = int(tid)
    return out


@pytest.mark.skipif(cpu_cgroup_unusable() is not None, reason=str(cpu_cgroup_unusable()))
def test_thread_schedulers_and_global_bandwidth_applied(qemud, vroot):
    path = qemud.call("DomainDefineXML", domain_xml("tsched", SCHED))
    try:
        xml = qemud.domain_call(path, "GetXMLDesc", 0)
        for kept in ("<global_quota>150000</global_quota>", "<vcpusched vcpus='0-1,^0' scheduler='batch'/>",
                     "<iothreadsched iothreads='2' scheduler='batch'/>"):
            assert kept in xml, (kept, xml)
        qemud.domain_call(path, "Create", 0)
        pid = qemu_pid(vroot, "tsched")
        vcpus = thread_ids(pid, "CPU ")
        assert os.sched_getscheduler(vcpus["CPU 0/TCG"]) == os.SCHED_IDLE, vcpus
        assert os.sched_getscheduler(vcpus["CPU 1/TCG"]) == os.SCHED_BATCH, vcpus
        io = thread_ids(pid, "IO iothread")
        assert os.sched_getscheduler(io["IO iothread2"]) == os.SCHED_BATCH, io
        assert os.sched_getscheduler(io["IO iothread1"]) == os.SCHED_OTHER, io
        cg = cgroup_dir(pid)
        if os.path.exists(CGROUP_V2):
            assert open(f"{cg}/cpu.max").read().split() == ["150000", "100000"]
        else:
            assert open(f"{cg}/cpu.cfs_quota_us").read().strip() == "150000"
            assert open(f"{cg}/cpu.cfs_period_us").read().strip() == "100000"
        qemud.domain_call(path, "Destroy", 0)
    finally:
        qemud.domain_call(path, "Undefine", 0)


def test_real_time_iothread(qemud, vroot):
    if rt_unusable():
        pytest.skip(rt_unusable())
    path = qemud.call("DomainDefineXML", domain_xml("tschedrt", "<iothreadsched iothreads='1' scheduler='rr' "
                                                                  "priority='1'/>"))
    try:
        qemud.domain_call(path, "Create", 0)
        io = thread_ids(qemu_pid(vroot, "tschedrt"), "IO iothread")
        assert os.sched_getscheduler(io["IO iothread1"]) == os.SCHED_RR, io
        assert os.sched_getparam(io["IO iothread1"]).sched_priority == 1
        qemud.domain_call(path, "Destroy", 0)
    finally:
        qemud.domain_call(path, "Undefine", 0)


@pytest.mark.skipif(cpu_cgroup_unusable() is not None, reason=str(cpu_cgroup_unusable()))
def test_emulator_and_iothread_bandwidth_in_their_cgroups(qemud, vroot):
    tune = ("<emulator_period>100000</emulator_period><emulator_quota>50000</emulator_quota>"
            "<iothread_period>200000</iothread_period><iothread_quota>30000</iothread_quota>")
    path = qemud.call("DomainDefineXML", domain_xml("tthreads", tune))
    try:
        if os.path.exists(CGROUP_V2):
            with h.expect_dbus_error("org.virtbus.Error.OperationFailed") as e:
                qemud.domain_call(path, "Create", 0)
            assert "this host's is v2" in e.message, e.message
            return
        qemud.domain_call(path, "Create", 0)
        pid = qemu_pid(vroot, "tthreads")
        guest = cgroup_dir(pid)
        guest = guest[:-len("/emulator")] if guest.endswith("/emulator") else guest

        def read(name):
            return open(f"{guest}/{name}").read().split()

        assert read("emulator/cpu.cfs_quota_us") == ["50000"] and read("emulator/cpu.cfs_period_us") == ["100000"]
        assert read("iothread1/cpu.cfs_quota_us") == ["30000"] and read("iothread2/cpu.cfs_period_us") == ["200000"]
        assert str(pid) in read("emulator/tasks")
        io = thread_ids(pid, "IO iothread")
        assert str(io["IO iothread1"]) in read("iothread1/tasks") and str(io["IO iothread2"]) in read("iothread2/tasks")
        vcpus = thread_ids(pid, "CPU ")
        assert str(vcpus["CPU 0/TCG"]) in read("tasks") and str(vcpus["CPU 0/TCG"]) not in read("emulator/tasks")
        qemud.domain_call(path, "Destroy", 0)
        h.wait_until(lambda: not os.path.exists(guest), 30, what="the guest's cgroup and its children to go")
    finally:
        qemud.domain_call(path, "Undefine", 0)


@pytest.mark.parametrize("cputune,error,words", [
    ("<vcpusched vcpus='0-1' scheduler='fifo' priority='0'/>", "OperationFailed",
     "Scheduler priority 0 of vCPU 0 is out of range"),
], ids=["fifo-priority-0"])
def test_start_fails_naming_what_cannot_be_applied(qemud, vroot, cputune, error, words):
    error = "org.virtbus.Error." + error
    path = qemud.call("DomainDefineXML", domain_xml("tschedbad", cputune))
    try:
        before = qemud.domain_call(path, "GetXMLDesc", 2)
        with h.expect_dbus_error(error) as e:
            qemud.domain_call(path, "Create", 0)
        assert words in e.message, e.message
        assert qemud.domain_call(path, "GetXMLDesc", 2) == before
    finally:
        qemud.domain_call(path, "Undefine", 0)


@pytest.mark.parametrize("cputune,error,words", [
    ("<vcpusched vcpus='0' scheduler='fifo'/>", "XMLError", "missing attribute 'priority'"),
    ("<vcpusched vcpus='0-1' scheduler='batch'/><vcpusched vcpus='1' scheduler='idle'/>", "XMLError",
     "'vcpusched' attributes 'vcpus' must not overlap"),
    ("<iothreadsched iothreads='3' scheduler='batch'/>", "NotSupported", "Cannot find 'iothread' : 3"),
    ("<vcpusched vcpus='2' scheduler='batch'/>", "InvalidArg", "Cannot find vcpu '2'"),
    ("<global_period>10</global_period>", "InvalidArg", "out of range"),
], ids=["fifo-no-priority", "overlap", "no-iothread", "no-vcpu", "period-range"])
def test_bad_sched_is_refused(qemud, cputune, error, words):
    before = qemud.call("ListDomains", 0)
    with h.expect_dbus_error("org.virtbus.Error." + error) as e:
        qemud.call("DomainDefineXML", domain_xml("tschedref", cputune))
    assert words in e.message, e.message
    assert qemud.call("ListDomains", 0) == before


POOLS = """<iothreadids>
    <iothread id='1' thread_pool_min='0' thread_pool_max='60'/>
    <iothread id='2'/>
  </iothreadids>
  <defaultiothread thread_pool_min='2' thread_pool_max='16'/>"""


def test_iothread_pool_sizes_given_to_qemu(qemud, vroot):
    doc = domain_xml("tpools", "").replace("  <cputune>\n\n  </cputune>\n", "").replace(
        "<iothreads>2</iothreads>", "<iothreads>2</iothreads>\n  " + POOLS)
    path = qemud.call("DomainDefineXML", doc)
    try:
        xml = qemud.domain_call(path, "GetXMLDesc", 2)
        assert "<iothread id='1' thread_pool_min='0' thread_pool_max='60'/>" in xml, xml
        assert "<defaultiothread thread_pool_min='2' thread_pool_max='16'/>" in xml, xml
        qemud.domain_call(path, "Create", 0)
        argv = open(f"/proc/{qemu_pid(vroot, 'tpools')}/cmdline", "rb").read().split(b"\0")
        assert b"iothread,id=iothread1,thread-pool-min=0,thread-pool-max=60" in argv, argv
        assert b"main-loop,id=main-loop,thread-pool-min=2,thread-pool-max=16" in argv, argv
        # QEMU runs with them: both IOThreads are there
        assert set(thread_ids(qemu_pid(vroot, "tpools"), "IO iothread")) == {"IO iothread1", "IO iothread2"}
        qemud.domain_call(path, "Destroy", 0)
    finally:
        qemud.domain_call(path, "Undefine", 0)


def test_acpi_table_given_to_qemu(qemud, vroot):
    # a whole table: its 36-byte ACPI header, the rest of it zero
    table = vroot / "slic.dat"
    table.write_bytes(b"SLIC" + bytes(60))
    doc = domain_xml("tacpi", "").replace("  <cputune>\n\n  </cputune>\n", "").replace(
        "<os><type arch='x86_64' machine='q35'>hvm</type></os>",
        f"<os><type arch='x86_64' machine='q35'>hvm</type><acpi><table type='slic'>{table}</table></acpi></os>")
    path = qemud.call("DomainDefineXML", doc)
    try:
        assert f"<table type='slic'>{table}</table>" in qemud.domain_call(path, "GetXMLDesc", 2)
        qemud.domain_call(path, "Create", 0)
        argv = open(f"/proc/{qemu_pid(vroot, 'tacpi')}/cmdline", "rb").read().split(b"\0")
        assert f"sig=SLIC,file={table}".encode() in argv, argv
        qemud.domain_call(path, "Destroy", 0)
    finally:
        qemud.domain_call(path, "Undefine", 0)
