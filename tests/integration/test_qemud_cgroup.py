# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every guest in a cgroup of its own, named as libvirt and systemd-machined
name it (machine.slice/machine-qemu\\x2d<id>\\x2d<name>.scope, on cgroup v2 or
below each v1 hierarchy), with its <memtune>, <blkiotune> and <numatune>
written there at start and changed live (Get/Set MemoryParameters,
BlockIOParameters, NumaParameters over D-Bus and with virsh through the
proxy); the cgroup removed at stop, after a failed start and after a qemud
SIGKILL + restart when QEMU has gone meanwhile.

QEMU runs without a guest OS (its firmware only): nothing here boots."""

import glob
import os
import re
import shutil
import signal
import stat
import uuid as uuidlib

import dbus
import pytest

import virtbus_harness as h

pytestmark = pytest.mark.timeout(180)

LIVE, CONFIG = 1, 2
KIB = 1024
MIB = 1024 * 1024
UNLIMITED = 9007199254740991
V2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def ull(v):
    return dbus.UInt64(v, variant_level=1)


def dstr(v):
    return dbus.String(v, variant_level=1)


def cgroups_unusable():
    if V2:
        top = "/sys/fs/cgroup"
    else:
        top = "/sys/fs/cgroup/memory"
        if not os.path.isdir(top):
            return "neither cgroup v2 nor a v1 memory hierarchy at /sys/fs/cgroup"
    if not os.access(top, os.W_OK):
        return f"{top} is not writable here"
    return None


pytestmark = [pytestmark, pytest.mark.skipif(cgroups_unusable() is not None, reason=str(cgroups_unusable()))]


def unique(name):
    """Names of their own: other qemuds may run guests side by side."""
    return f"{name}{uuidlib.uuid4().hex[:6]}"


def domain_xml(name, virt, tune=""):
    return f"""<domain type='{virt}'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  {tune}
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>"""


def qemu_pid(vroot, name):
    text = (vroot / "run" / "virtbus" / "qemu" / f"{name}.xml").read_text()
    return int(re.search(r"<domstatus [^>]*\bpid='(\d+)'", text).group(1))


def cgroup_dirs(pid):
    """{controller: folder} of the process (v2: {"": folder})."""
    out = {}
    for line in open(f"/proc/{pid}/cgroup"):
        _, ctrls, path = line.rstrip("\n").split(":", 2)
        if V2 and ctrls == "":
            out[""] = "/sys/fs/cgroup" + path
        elif not V2:
            for c in ctrls.split(","):
                if c in ("cpu", "cpuacct", "cpuset", "memory", "blkio", "pids", "freezer"):
                    out[c] = f"/sys/fs/cgroup/{c}{path}"
    return out


def folder(dirs, controller):
    return dirs[""] if V2 else dirs.get(controller)


def read(d, f):
    with open(os.path.join(d, f)) as fh:
        return fh.read().strip()


def machine_scopes(name):
    """Every folder of that guest's cgroup on this host's hierarchies."""
    pattern = "machine-qemu\\x2d*" + glob.escape(f"\\x2d{name}.scope")
    return [p for p in glob.glob(f"/sys/fs/cgroup/**/machine.slice/**/{pattern}", recursive=True)
            if os.path.isdir(p)]


def host_block_device():
    """A block device of this host ("/dev/sda", "MAJ:MIN"), real disks first."""
    names = sorted(os.listdir("/sys/block"), key=lambda n: (n.startswith(("loop", "ram", "zram", "nbd")), n))
    for n in names:
        dev = f"/dev/{n}"
        try:
            st = os.stat(dev)
        except OSError:
            continue
        if stat.S_ISBLK(st.st_mode):
            return dev, f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    return None, None


def mem_file(kind):
    return {("hard", True): "memory.max", ("soft", True): "memory.high", ("swap", True): "memory.swap.max",
            ("hard", False): "memory.limit_in_bytes", ("soft", False): "memory.soft_limit_in_bytes",
            ("swap", False): "memory.memsw.limit_in_bytes"}[(kind, V2)]


def throttle(io_dir, majmin, what):
    """One device limit of the guest's io/blkio cgroup (0 when none)."""
    if V2:
        for line in read(io_dir, "io.max").splitlines():
            if line.startswith(majmin + " "):
                v = dict(kv.split("=") for kv in line.split()[1:])[what]
                return 0 if v == "max" else int(v)
        return 0
    f = {"rbps": "blkio.throttle.read_bps_device", "wbps": "blkio.throttle.write_bps_device",
         "riops": "blkio.throttle.read_iops_device", "wiops": "blkio.throttle.write_iops_device"}[what]
    for line in read(io_dir, f).splitlines():
        if line.startswith(majmin + " "):
            return int(line.split()[1])
    return 0


def both(qemud, path):
    return qemud.domain_call(path, "GetXMLDesc", 0), qemud.domain_call(path, "GetXMLDesc", 2)


def test_cgroup_layout_tuning_and_live_changes(qemud, vroot, bus, bus_monitor):
    virt = "kvm" if h.kvm_available() else "qemu"
    name = unique("cgt")
    dev, majmin = host_block_device()
    swap_ok = os.path.exists("/sys/fs/cgroup/" + ("memory.swap.max" if V2 else "memory/memory.memsw.limit_in_bytes")) \
        or (V2 and any(os.path.exists(p) for p in glob.glob("/sys/fs/cgroup/*/memory.swap.max")))
    cpuset_ok = os.path.exists("/sys/devices/system/node/node0") and (
        V2 and "cpuset" in read("/sys/fs/cgroup", "cgroup.controllers") or
        not V2 and os.path.isdir("/sys/fs/cgroup/cpuset"))
    tune = "<memtune><hard_limit unit='GiB'>1</hard_limit><soft_limit unit='MiB'>768</soft_limit>"
    tune += "<swap_hard_limit unit='GiB'>2</swap_hard_limit>" if swap_ok else ""
    tune += "</memtune>"
    if dev:
        tune += (f"<blkiotune><device><path>{dev}</path><write_iops_sec>500</write_iops_sec>"
                 f"<read_bytes_sec>10485760</read_bytes_sec></device></blkiotune>")
    if cpuset_ok:
        # one guest NUMA cell, its memory bound by a <memnode> of its own
        tune += ("<numatune><memory mode='strict' nodeset='0'/><memnode cellid='0' mode='preferred' nodeset='0'/>"
                 "</numatune><cpu><numa><cell id='0' cpus='0' memory='65536' unit='KiB'/></numa></cpu>")
    path = qemud.call("DomainDefineXML", domain_xml(name, virt, tune))
    qemud.domain_call(path, "Create", 0)
    pid = qemu_pid(vroot, name)
    dom_id = qemud.get_property(path, "org.libvirt.Domain", "Id")
    dirs = cgroup_dirs(pid)

    # the machine's name, escaped as systemd does, in machine.slice
    scope = f"machine-qemu\\x2d{dom_id}\\x2d{name}.scope"
    for d in dirs.values():
        assert os.path.basename(d) == scope, dirs
        assert "/machine.slice/" in d, dirs
    mem = folder(dirs, "memory")
    assert int(read(mem, mem_file("hard"))) == 1 << 30
    assert int(read(mem, mem_file("soft"))) == 768 * MIB
    if swap_ok:
        assert int(read(mem, mem_file("swap"))) == 2 << 30
    io = folder(dirs, "blkio")
    if dev:
        assert throttle(io, majmin, "rbps") == 10 * MIB
        assert throttle(io, majmin, "wiops") == 500
    if cpuset_ok:
        assert read(folder(dirs, "cpuset"), "cpuset.mems") == "0"
        argv = open(f"/proc/{pid}/cmdline").read().split("\0")
        assert "memory-backend-ram,id=ram-node0,size=65536k,host-nodes=0,policy=preferred" in argv, argv
        assert "node,nodeid=0,cpus=0,memdev=ram-node0" in argv, argv

    # memory: live only; the persistent definition keeps its limit
    assert qemud.domain_call(path, "GetMemoryParameters", LIVE)["hard_limit"] == 1 << 20
    mark = bus_monitor.mark()
    qemud.domain_call(path, "SetMemoryParameters", {"hard_limit": ull(3 << 19)}, LIVE)
    assert int(read(mem, mem_file("hard"))) == 3 << 29
    sig = bus_monitor.wait_signal("Tunable", path=path, since=mark, timeout=10)
    assert "memtune.hard_limit" in str(sig), sig
    assert qemud.domain_call(path, "GetMemoryParameters", LIVE)["hard_limit"] == 3 << 19
    assert qemud.domain_call(path, "GetMemoryParameters", CONFIG)["hard_limit"] == 1 << 20
    # the soft limit taken away: unlimited in the file and in the answer
    qemud.domain_call(path, "SetMemoryParameters", {"soft_limit": ull(UNLIMITED)}, LIVE | CONFIG)
    assert read(mem, mem_file("soft")) in ("max", str((1 << 63) - 1), "9223372036854771712")
    assert qemud.domain_call(path, "GetMemoryParameters", CONFIG)["soft_limit"] == UNLIMITED
    assert "soft_limit" not in qemud.domain_call(path, "GetXMLDesc", 2)

    # block I/O: a device's limits, live and persistent
    if dev:
        qemud.domain_call(path, "SetBlockIOParameters", {"device_read_bytes_sec": dstr(f"{dev},20971520")},
                          LIVE | CONFIG)
        assert throttle(io, majmin, "rbps") == 20 * MIB
        got = qemud.domain_call(path, "GetBlockIOParameters", CONFIG)
        assert got["device_read_bytes_sec"] == f"{dev},20971520", got
        assert got["device_write_iops_sec"] == f"{dev},500", got
        # 0 takes a limit away, the device stays for its other one
        qemud.domain_call(path, "SetBlockIOParameters", {"device_write_iops_sec": dstr(f"{dev},0")}, LIVE)
        assert throttle(io, majmin, "wiops") == 0
        assert qemud.domain_call(path, "GetBlockIOParameters", LIVE)["device_write_iops_sec"] == ""

    # bad input: a specific error, both definitions as they were
    before = both(qemud, path)
    bad = [
        ("SetMemoryParameters", ({"hard_limit": ull(4 << 20), "swap_hard_limit": ull(2 << 20)}, LIVE | CONFIG),
         "InvalidArg", "hard_limit tunable value must be lower than or equal to swap_hard_limit"),
        ("SetMemoryParameters", ({"hard_limit": dbus.Int64(-5, variant_level=1)}, LIVE),
         "InvalidArg", "invalid type for parameter 'hard_limit'"),
        ("SetMemoryParameters", ({"min_guarantee": ull(1024)}, CONFIG), "ArgumentUnsupported", "min_guarantee"),
        ("SetMemoryParameters", ({"max_limit": ull(1024)}, CONFIG), "InvalidArg", "'max_limit' not supported"),
        ("SetBlockIOParameters", ({"device_read_bytes_sec": dstr("/dev/vb-no-such-disk,100")}, LIVE | CONFIG),
         "InvalidArg", "unknown blkio device path '/dev/vb-no-such-disk'"),
        ("SetBlockIOParameters", ({"device_read_bytes_sec": dstr("/dev/null,100")}, CONFIG),
         "InvalidArg", "'/dev/null' is no block device"),
        ("SetBlockIOParameters", ({"device_read_bytes_sec": dstr("/dev/null")}, CONFIG),
         "InvalidArg", "unable to parse blkio device"),
        ("SetBlockIOParameters", ({"weight": dbus.UInt32(50, variant_level=1)}, CONFIG),
         "InvalidArg", "blkio weight 50 is out of range"),
        ("SetNumaParameters", ({"numa_mode": dbus.Int32(2, variant_level=1)}, LIVE),
         "OperationInvalid", "can't change numatune mode for running domain"),
    ]
    if not os.path.exists("/sys/devices/system/node/node7"):
        bad.append(("SetNumaParameters", ({"numa_nodeset": dstr("7")}, LIVE | CONFIG),
                    "InvalidArg", "NUMA node 7"))
    for method, args, err, words in bad:
        with h.expect_dbus_error("org.virtbus.Error." + err) as e:
            qemud.domain_call(path, method, *args)
        assert words in e.message, (method, args, e.message)
        assert both(qemud, path) == before, (method, args)
    assert int(read(mem, mem_file("hard"))) == 3 << 29

    # NUMA: the nodes of a running guest in strict mode move through cpuset.mems
    if cpuset_ok:
        qemud.domain_call(path, "SetNumaParameters", {"numa_nodeset": dstr("0")}, LIVE)
        assert qemud.domain_call(path, "GetNumaParameters", LIVE) == {"numa_mode": 0, "numa_nodeset": "0"}

    # the same through the proxy with the real virsh
    if shutil.which("virsh"):
        proxy = h.Proxy(bus, vroot).start()
        try:
            v = proxy.virsh
            out = v("memtune", name).stdout
            assert re.search(r"hard_limit\s*:\s*1572864", out), out
            v("memtune", name, "--live", "--soft-limit", "655360")
            assert int(read(mem, mem_file("soft"))) == 640 * MIB
            r = v("memtune", name, "--config", "--hard-limit", "8388608", "--swap-hard-limit", "4194304",
                  check=False)
            assert r.returncode != 0 and "swap_hard_limit" in r.stderr, r.stderr
            if dev:
                v("blkiotune", name, "--live", "--device-write-bytes-sec", f"{dev},1048576")
                assert throttle(io, majmin, "wbps") == MIB
                out = v("blkiotune", name, "--live").stdout
                assert re.search(rf"device_write_bytes_sec\s*:\s*{re.escape(dev)},1048576", out), out
                r = v("blkiotune", name, "--config", "--device-read-bytes-sec", "/dev/vb-nothing,5", check=False)
                assert r.returncode != 0 and "/dev/vb-nothing" in r.stderr, r.stderr
            out = v("numatune", name).stdout
            assert re.search(r"numa_mode\s*:\s*strict", out), out
            r = v("numatune", name, "--live", "--mode", "interleave", check=False)
            assert r.returncode != 0 and "can't change numatune mode" in r.stderr, r.stderr
            assert both(qemud, path)[1] == before[1]
        finally:
            proxy.stop()

    qemud.domain_call(path, "Destroy", 0)
    h.wait_until(lambda: not any(os.path.exists(d) for d in dirs.values()), timeout=10,
                 what="the guest's cgroup to go")
    assert machine_scopes(name) == []


def test_cgroup_gone_after_failed_start_and_after_sigkill(qemud, vroot):
    virt = "kvm" if h.kvm_available() else "qemu"

    # a <blkiotune> device that is not there fails the start once QEMU runs
    bad = unique("cgf")
    tune = "<blkiotune><device><path>/dev/vb-no-such-disk</path><read_bytes_sec>100</read_bytes_sec></device></blkiotune>"
    path = qemud.call("DomainDefineXML", domain_xml(bad, virt, tune))
    with h.expect_dbus_error("org.virtbus.Error.OperationFailed") as e:
        qemud.domain_call(path, "Create", 0)
    assert "/dev/vb-no-such-disk" in e.message, e.message
    assert qemud.domain_call(path, "GetState", 0)[0] == 5
    h.wait_until(lambda: machine_scopes(bad) == [], timeout=15, what="the failed start's cgroup to go")

    # a guest with no tuning at all has its own cgroup too
    name = unique("cgk")
    path = qemud.call("DomainDefineXML", domain_xml(name, virt))
    qemud.domain_call(path, "Create", 0)
    pid = qemu_pid(vroot, name)
    dirs = cgroup_dirs(pid)
    assert all(d.endswith(f"\\x2d{name}.scope") for d in dirs.values()), dirs
    assert len(machine_scopes(name)) >= 1

    # qemud killed; QEMU goes while it is away; the new qemud removes the cgroup
    qemud.kill(signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    h.wait_until(lambda: not os.path.exists(f"/proc/{pid}") or
                 open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z", timeout=10,
                 what="QEMU to die")
    qemud.start()
    h.wait_until(lambda: qemud.domain_call(path, "GetState", 0)[0] == 5, timeout=30, what="the guest shut off")
    h.wait_until(lambda: not any(os.path.exists(d) for d in dirs.values()), timeout=15,
                 what="the cgroup of the vanished guest to go")
