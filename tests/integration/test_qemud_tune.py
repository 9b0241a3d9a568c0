# SPDX-License-Identifier: LGPL-2.1-or-later
"""<cputune> and <vcpu cpuset>: the cpu cgroup of the guest and the CPU
affinity of QEMU's threads, applied while QEMU waits paused and undone when
it stops."""

import os
import re
import subprocess

import pytest

import virtbus_harness as h

pytestmark = pytest.mark.timeout(120)

CGROUP_V2 = "/sys/fs/cgroup/cgroup.controllers"


def domain_xml(name, virt):
    return f"""<domain type='{virt}'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu cpuset='0-1'>2</vcpu>
  <iothreads>1</iothreads>
  <cputune>
    <shares>512</shares>
    <period>100000</period>
    <quota>50000</quota>
    <vcpupin vcpu='0' cpuset='0'/>
    <vcpupin vcpu='1' cpuset='1'/>
    <emulatorpin cpuset='1'/>
    <iothreadpin iothread='1' cpuset='0'/>
  </cputune>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>"""


def qemu_pid(vroot, name):
    text = (vroot / "run" / "virtbus" / "qemu" / f"{name}.xml").read_text()
    return int(re.search(r"<domstatus [^>]*\bpid='(\d+)'", text).group(1))


def cgroup_dir(pid, controller="cpu"):
    """The folder of QEMU's cgroup (machine.slice/machine-qemu\\x2d...)
    holding that controller, from /proc/PID/cgroup."""
    for line in open(f"/proc/{pid}/cgroup"):
        _, ctrls, path = line.rstrip("\n").split(":", 2)
        if os.path.exists(CGROUP_V2) and ctrls == "":
            return "/sys/fs/cgroup" + path
        if not os.path.exists(CGROUP_V2) and controller in ctrls.split(","):
            return f"/sys/fs/cgroup/{controller}{path}"
    raise AssertionError(f"no {controller} cgroup for {pid}")


def threads(pid):
    """{thread name: allowed CPU list} of every thread of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            status = open(f"/proc/{pid}/task/{tid}/status").read()
        except FileNotFoundError:
            continue
        out.setdefault(comm, set()).add(re.search(r"Cpus_allowed_list:\s*(\S+)", status).group(1))
    return out


def cpu_cgroup_unusable():
    """Why this host gives no cpu cgroup to create (None when it does)."""
    if os.path.exists(CGROUP_V2):
        if "cpu" not in open(CGROUP_V2).read().split():
            return "the cgroup v2 root offers no cpu controller"
        top = "/sys/fs/cgroup"
    else:
        top = "/sys/fs/cgroup/cpu"
        if not os.path.isdir(top):
            return "no cgroup v2 and no cgroup v1 cpu hierarchy at /sys/fs/cgroup/cpu"
    if not os.access(top, os.W_OK):
        return f"{top} is not writable here (read-only cgroup mount?)"
    return None


@pytest.mark.skipif(not {0, 1} <= os.sched_getaffinity(0),
                    reason="needs CPUs 0 and 1 to pin to (not both in this process's affinity)")
@pytest.mark.skipif(cpu_cgroup_unusable() is not None, reason=str(cpu_cgroup_unusable()))
def test_cputune_applied_and_undone(qemud, vroot):
    virt = "kvm" if h.kvm_available() else "qemu"
    path = qemud.call("DomainDefineXML", domain_xml("tuned", virt))
    uuid = qemud.domain_call(path, "Get", "org.libvirt.Domain", "UUID",
                             interface="org.freedesktop.DBus.Properties")
    qemud.domain_call(path, "Create", 0)
    pid = qemu_pid(vroot, "tuned")

    # Each vCPU on its own CPU, every other thread on the emulator's.
    t = threads(pid)
    vcpus = {k: v for k, v in t.items() if k.startswith("CPU ")}
    assert len(vcpus) == 2, t
    assert vcpus["CPU 0/KVM" if virt == "kvm" else "CPU 0/TCG"] == {"0"}, t
    assert vcpus["CPU 1/KVM" if virt == "kvm" else "CPU 1/TCG"] == {"1"}, t
    # the IOThread on its own pin, not the emulator's
    assert t.get("IO iothread1") == {"0"}, t
    for name, cpus in t.items():
        # kvm-nx-lpage-recovery is the kernel's thread, not QEMU's: its
        # affinity is the kernel's to set.
        if not name.startswith(("CPU ", "kvm-", "IO iothread")):
            assert cpus == {"1"}, (name, t)

    # The cgroup holds QEMU with the shares and quota asked for.
    cg = cgroup_dir(pid)
    assert "/machine.slice/" in cg and os.path.basename(cg).startswith("machine-qemu\\x2d"), cg
    assert str(pid) in open(f"{cg}/cgroup.procs").read().split()
    if os.path.exists(CGROUP_V2):
        assert open(f"{cg}/cpu.weight").read().strip() == "512"
        assert open(f"{cg}/cpu.max").read().split() == ["50000", "100000"]
    else:
        assert open(f"{cg}/cpu.shares").read().strip() == "512"
        assert open(f"{cg}/cpu.cfs_quota_us").read().strip() == "50000"
        assert open(f"{cg}/cpu.cfs_period_us").read().strip() == "100000"

    qemud.domain_call(path, "Destroy", 0)
    h.wait_until(lambda: not os.path.exists(cg), timeout=10, what="the guest's cgroup to go")


@pytest.mark.skipif(not {0, 1} <= os.sched_getaffinity(0),
                    reason="needs CPUs 0 and 1 to pin to (not both in this process's affinity)")
@pytest.mark.skipif(cpu_cgroup_unusable() is not None, reason=str(cpu_cgroup_unusable()))
def test_bad_cpuset_fails_the_start_cleanly(qemud, vroot):
    virt = "kvm" if h.kvm_available() else "qemu"
    xml = domain_xml("badpin", virt).replace("<vcpupin vcpu='1' cpuset='1'/>",
                                             "<vcpupin vcpu='1' cpuset='4000'/>")
    path = qemud.call("DomainDefineXML", xml)
    with h.expect_dbus_error("org.virtbus.Error.OperationFailed") as e:
        qemud.domain_call(path, "Create", 0)
    assert "4000" in e.message, e.message
    assert qemud.domain_call(path, "GetState", 0) == (5, 6)
    assert not (vroot / "run" / "virtbus" / "qemu" / "badpin.xml").exists()


def hugepage_domain(name, virt):
    return f"""<domain type='{virt}'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <memoryBacking><hugepages/></memoryBacking>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>"""


def hugetlbfs_mounted():
    return any(" - hugetlbfs " in line for line in open("/proc/self/mountinfo"))


def test_hugepages_need_a_hugetlbfs(qemud, vroot):
    """Without a hugetlbfs the start is refused, naming the reason; with one,
    QEMU gets its guest RAM from it (mem-path on its command line)."""
    if hugetlbfs_mounted():
        pytest.skip("a hugetlbfs is mounted on this host already")
    if not any(line.split()[-1] == "hugetlbfs" for line in open("/proc/filesystems")):
        pytest.skip("this kernel has no hugetlbfs (CONFIG_HUGETLBFS)")
    virt = "kvm" if h.kvm_available() else "qemu"
    path = qemud.call("DomainDefineXML", hugepage_domain("huge", virt))
    with h.expect_dbus_error("org.virtbus.Error.NotSupported") as e:
        qemud.domain_call(path, "Create", 0)
    assert "hugetlbfs" in e.message
    assert qemud.domain_call(path, "GetState", 0) == (5, 6)

    mnt = vroot / "hugepages"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "hugetlbfs", "none", str(mnt)], check=True)
    vroot.add_cleanup(subprocess.run, ["umount", "-l", str(mnt)])
    # With no huge pages reserved QEMU cannot get its RAM: it fails, but the
    # command line shows where qemud told it to take it from.
    try:
        qemud.domain_call(path, "Create", 0)
        qemud.domain_call(path, "Destroy", 0)
    except Exception:   # noqa: BLE001 - either outcome shows the mem-path
        pass
    log = (vroot / "var" / "log" / "virtbus" / "qemu" / "huge.log").read_text()
    assert f"mem-path={mnt}" in log.replace("\\,", ","), log[-2000:]
