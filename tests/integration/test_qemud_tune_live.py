# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tuning a running guest, live and persistent: block I/O throttling
(SetBlockIOTune: QEMU's query-block and a `dd` in the guest), the
scheduler (the guest's cpu cgroup), vCPU and emulator pinning (the threads'
Cpus_allowed_list), the Tunable signal, bad input refused with both
definitions unchanged, the live state across a qemud SIGKILL, and the same
through the proxy with the real virsh.

One TCG guest is booted for the module; its console is a unix socket with a
shell (virtbus.shell) so the test can run dd in it."""

import os
import re
import shutil
import signal
import socket
import struct
import time
import uuid as uuidlib

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import QemudEnv, _env_logs  # noqa: F401
from test_qemud_tune import cgroup_dir, cpu_cgroup_unusable

pytestmark = pytest.mark.timeout(480)

LIVE, CONFIG = 1, 2
MIB = 1024 * 1024
CGROUP_V2 = "/sys/fs/cgroup/cgroup.controllers"


def ull(v):
    return dbus.UInt64(v, variant_level=1)


class TuneEnv(QemudEnv):
    """qemud, and the proxy when virsh is there."""

    def __init__(self, guest):
        super().__init__(guest)
        self.proxy = h.Proxy(self.bus, self.root).start() if shutil.which("virsh") else None

    def register_logs(self):
        super().register_logs()
        if self.proxy:
            h.register_log("virtbus-proxyd", self.proxy.log_path)

    def close(self):
        if self.proxy:
            self.proxy.stop()
        return super().close()


class Console:
    """The guest's ttyS0 over a unix socket: a root shell (virtbus.shell)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        h.wait_until(lambda: self._connect(path), 30, 0.05, f"the console socket {path}")
        self.buf = b""
        self.n = 0

    def _connect(self, path):
        try:
            self.sock.connect(str(path))
            return True
        except (FileNotFoundError, ConnectionRefusedError):
            return False

    def read_until(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        while True:
            m = rx.search(self.buf)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{pattern!r} not on the console; it ends with:\n"
                                     f"{self.buf[-2000:].decode('utf-8', 'replace')}")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError("the console socket closed")
            self.buf += chunk

    def run(self, command, timeout=60):
        """Runs command in the guest's shell; returns what it printed."""
        self.n += 1
        marker = f"CMD-DONE-{self.n}"
        start = len(self.buf)
        # the marker is built by the shell, so the echoed command line does not match
        self.sock.sendall(f"{command}; echo CMD-DONE-$((0+{self.n}))\n".encode())
        m = self.read_until(marker + r"\r?\n", timeout)
        return self.buf[start:m.start()].decode("utf-8", "replace")

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def env(guest, request):
    e = TuneEnv(guest)
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


@pytest.fixture(scope="module")
def vm(env):
    """The booted guest: 2 vCPUs, a 16 MiB virtio disk vda, a shell on its
    console socket."""
    disk = env.root / "tune-disk.img"
    with open(disk, "wb") as f:
        f.truncate(16 * MIB)
    sock = env.root / "tune-console.sock"
    serial = (f"    <serial type='unix'>\n      <source mode='bind' path='{sock}'/>\n"
              f"      <target port='0'/>\n    </serial>")
    xml = h.guest_domain_xml(env.guest, "tuned", vcpus=2, nic=None, disks=[str(disk)],
                             extra_cmdline="virtbus.shell virtbus.nodhcp", extra_devices=serial)
    path = env.call("DomainDefineXML", xml)
    env.dcall(path, "Create", 0)
    con = Console(sock)
    con.read_until(h.GUEST_READY, 300)
    # the shell's prompt, once init has run it
    time.sleep(1)
    con.run("echo hello", timeout=60)
    yield path, con
    con.close()
    try:
        env.dcall(path, "Destroy", 0)
    except dbus.exceptions.DBusException:
        pass


def xml_pair(env, path):
    return env.dcall(path, "GetXMLDesc", 0), env.dcall(path, "GetXMLDesc", 2)


def qemu_pid(env):
    return env.status_pid("tuned")


def threads(pid):
    """{thread name: Cpus_allowed_list} of pid's threads (one entry per name)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            status = open(f"/proc/{pid}/task/{tid}/status").read()
        except FileNotFoundError:
            continue
        out[comm] = re.search(r"Cpus_allowed_list:\s*(\S+)", status).group(1)
    return out


def dd_seconds(con, mib=2):
    """Reads mib MiB of vda in the guest, past the page cache; seconds taken."""
    con.run("echo 3 > /proc/sys/vm/drop_caches")
    t0 = time.monotonic()
    out = con.run(f"dd if=/dev/vda of=/dev/null bs=64k count={mib * 16} iflag=direct 2>&1", timeout=120)
    took = time.monotonic() - t0
    if "invalid" in out or "unknown" in out:
        # a busybox without iflag=direct: the dropped cache does the same here
        con.run("echo 3 > /proc/sys/vm/drop_caches")
        t0 = time.monotonic()
        out = con.run(f"dd if=/dev/vda of=/dev/null bs=64k count={mib * 16} 2>&1", timeout=120)
        took = time.monotonic() - t0
    assert f"{mib * MIB} bytes" in out or f"{mib * 16}+0 records in" in out, out
    m = re.search(r"copied, ([\d.]+) seconds", out)
    return float(m.group(1)) if m else took


def query_block_after_kill(env):
    """query-block of the guest over its monitor while qemud is down (SIGKILL),
    then qemud started again (it picks the guest up from its live state)."""
    monitor = re.search(r"<monitor path='([^']+)'", env.status_file("tuned").read_text()).group(1)
    env.qemud.kill(signal.SIGKILL)
    try:
        qmp = h.Qmp(monitor, timeout=20)
        try:
            return qmp.cmd("query-block")
        finally:
            qmp.close()
    finally:
        env.qemud.start()


def vda_of(blocks):
    for b in blocks:
        if b.get("qdev", "").endswith("virtio-disk0") or b.get("device") == "virtio-disk0" \
                or "virtio-disk0" in b.get("qdev", ""):
            return b
    raise AssertionError(f"no virtio-disk0 in query-block: {blocks}")


# ---------------------------------------------------------------------------

def test_iotune_live_limits_dd_and_survives_restart(env, vm):
    path, con = vm
    fast = dd_seconds(con)
    before_config = env.dcall(path, "GetXMLDesc", 2)
    mark = env.mon.mark()
    env.dcall(path, "SetBlockIOTune", "vda", {"total_bytes_sec": ull(MIB)}, LIVE)
    got = env.dcall(path, "GetBlockIOTune", "vda", LIVE)
    assert got["total_bytes_sec"] == MIB and got["read_bytes_sec"] == 0, got
    # the persistent definition was not asked to change
    assert env.dcall(path, "GetXMLDesc", 2) == before_config
    assert env.dcall(path, "GetBlockIOTune", "vda", CONFIG)["total_bytes_sec"] == 0
    sig = env.mon.wait_signal("Tunable", interface="org.libvirt.Domain", path=path, since=mark, timeout=10)
    params = sig["payload"]["data"][0]
    assert params["blkdeviotune.disk"]["data"] == "vda", params
    assert params["blkdeviotune.total_bytes_sec"]["data"] == MIB, params

    # QEMU has the limit; qemud killed and back still knows it
    inserted = vda_of(query_block_after_kill(env))["inserted"]
    assert inserted["bps"] == MIB and inserted["bps_rd"] == 0, inserted
    h.wait_until(lambda: env.state(path) == (1, 1), 30, what="qemud to pick the guest up again")
    assert env.dcall(path, "GetBlockIOTune", "vda", LIVE)["total_bytes_sec"] == MIB
    assert "<total_bytes_sec>1048576</total_bytes_sec>" in env.dcall(path, "GetXMLDesc", 0)

    # 2 MiB at 1 MiB/s: well over a second (QEMU lets a tenth through at once)
    slow = dd_seconds(con)
    assert slow >= 1.2, (fast, slow)

    # off again; then the same limit into the persistent definition only
    env.dcall(path, "SetBlockIOTune", "vda", {"total_bytes_sec": ull(0)}, LIVE)
    assert env.dcall(path, "GetBlockIOTune", "vda", 0)["total_bytes_sec"] == 0
    assert dd_seconds(con) < slow
    env.dcall(path, "SetBlockIOTune", "vda", {"read_bytes_sec": ull(5 * MIB), "group_name": "g1"}, CONFIG)
    conf = env.dcall(path, "GetBlockIOTune", "vda", CONFIG)
    assert conf["read_bytes_sec"] == 5 * MIB and conf["group_name"] == "g1", conf
    assert env.dcall(path, "GetBlockIOTune", "vda", LIVE)["read_bytes_sec"] == 0
    saved = (env.conf_dir / "tuned.xml").read_text()
    assert "<read_bytes_sec>5242880</read_bytes_sec>" in saved and "<group_name>g1</group_name>" in saved, saved


def test_bad_input_changes_nothing(env, vm):
    path, _ = vm
    before = xml_pair(env, path)
    bad = [
        ("SetBlockIOTune", ("vda", {"total_bytes_sec": ull(1000), "read_bytes_sec": ull(10)}, LIVE),
         "total and read/write of bytes_sec"),
        ("SetBlockIOTune", ("vda", {"total_bytes_sec": ull(2 ** 63)}, LIVE | CONFIG), "no more than"),
        ("SetBlockIOTune", ("vda", {"total_bytes_sec_max": ull(5000)}, LIVE), "cannot be set if"),
        ("SetBlockIOTune", ("vda", {"total_bytes_sec": dbus.UInt32(5, variant_level=1)}, LIVE),
         "invalid type for parameter 'total_bytes_sec'"),
        ("SetBlockIOTune", ("vda", {"bogus": ull(1)}, LIVE), "parameter 'bogus' not supported"),
        ("SetBlockIOTune", ("vdz", {"total_bytes_sec": ull(1)}, LIVE), "disk 'vdz' was not found"),
        ("SetBlockIOTune", ("vda", {"group_name": dbus.String("1bad name", variant_level=1)}, LIVE),
         "invalid group_name"),
        ("SetSchedulerParameters", ({"cpu_shares": ull(1)}, LIVE), "cpu_shares is out of range"),
        ("SetSchedulerParameters", ({"vcpu_quota": dbus.Int64(10, variant_level=1)}, LIVE),
         "vcpu_quota is out of range"),
        ("PinVcpu", (7, [True], LIVE), "vcpu 7 is out of range"),
        ("PinVcpu", (0, [False, False], LIVE), "Empty cpu list"),
        ("PinVcpu", (0, [False] * 4096 + [True], LIVE), "not on this host"),
        ("PinEmulator", ([True], 4), "unsupported flags"),
        ("SetNumaParameters", ({"numa_mode": dbus.Int32(9, variant_level=1)}, CONFIG),
         "unsupported numatune mode"),
        ("SetNumaParameters", ({"numa_nodeset": dbus.String("1000", variant_level=1)}, CONFIG),
         "is not available on this host"),
        ("SetNumaParameters", ({"numa_nodeset": dbus.String("0-", variant_level=1)}, CONFIG),
         "invalid numa_nodeset"),
    ]
    for method, args, words in bad:
        with h.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
            env.dcall(path, method, *args)
        assert words in e.message, (method, args, e.message)
        assert xml_pair(env, path) == before, (method, args)
    # memory limits (<memtune>): libvirt's rule between hard and swap limits
    with h.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
        env.dcall(path, "SetMemoryParameters", {"hard_limit": ull(2 << 20), "swap_hard_limit": ull(1 << 20)},
                  LIVE | CONFIG)
    assert "swap_hard_limit" in e.message, e.message
    assert env.dcall(path, "GetMemoryParameters", LIVE) == {
        "hard_limit": 9007199254740991, "soft_limit": 9007199254740991, "swap_hard_limit": 9007199254740991}
    assert xml_pair(env, path) == before
    # block I/O weights and device limits (<blkiotune>): a path that is no device
    with h.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
        env.dcall(path, "SetBlockIOParameters", {"device_weight": dbus.String("/nonexistent,500", variant_level=1)},
                  LIVE | CONFIG)
    assert "/nonexistent" in e.message, e.message
    assert env.dcall(path, "GetBlockIOParameters", LIVE)["weight"] == 0
    assert env.dcall(path, "GetBlockIOParameters", CONFIG)["weight"] == 0
    assert xml_pair(env, path) == before
    # what a running guest cannot do
    with h.expect_dbus_error("org.virtbus.Error.OperationInvalid") as e:
        env.dcall(path, "SetNumaParameters", {"numa_mode": dbus.Int32(1, variant_level=1)}, LIVE | CONFIG)
    assert "can't change numatune mode" in e.message, e.message
    assert xml_pair(env, path) == before


def test_numa_config(env, vm):
    path, _ = vm
    live_before = env.dcall(path, "GetXMLDesc", 0)
    env.dcall(path, "SetNumaParameters", {"numa_mode": dbus.Int32(2, variant_level=1),
                                          "numa_nodeset": dbus.String("0", variant_level=1)}, CONFIG)
    assert env.dcall(path, "GetNumaParameters", CONFIG) == {"numa_mode": 2, "numa_nodeset": "0"}
    assert env.dcall(path, "GetNumaParameters", 0) == {"numa_mode": 0, "numa_nodeset": ""}
    assert "<memory mode='interleave' nodeset='0'/>" in env.dcall(path, "GetXMLDesc", 2)
    assert env.dcall(path, "GetXMLDesc", 0) == live_before


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2 or not {0, 1} <= os.sched_getaffinity(0),
                    reason="needs CPUs 0 and 1 in this process's affinity to pin to")
def test_pinning_live_and_config(env, vm):
    path, _ = vm
    pid = qemu_pid(env)
    env.dcall(path, "PinVcpu", 0, [False, True], LIVE)
    env.dcall(path, "PinVcpu", 1, [True, False], LIVE)
    t = threads(pid)
    assert t["CPU 0/TCG"] == "1" and t["CPU 1/TCG"] == "0", t
    env.dcall(path, "PinEmulator", [True, False], LIVE | CONFIG)
    t = threads(pid)
    assert t["qemu-system-x86"] == "0", t
    info = env.dcall(path, "GetVcpuPinInfo", LIVE)
    assert [c[:2] for c in info] == [[False, True], [True, False]], info
    assert env.dcall(path, "GetEmulatorPinInfo", CONFIG)[:2] == [True, False]
    assert "<emulatorpin cpuset='0'/>" in env.dcall(path, "GetXMLDesc", 2)
    assert "vcpupin" not in env.dcall(path, "GetXMLDesc", 2)
    assert "<vcpupin vcpu='0' cpuset='1'/>" in env.dcall(path, "GetXMLDesc", 0)


@pytest.mark.skipif(cpu_cgroup_unusable() is not None, reason=str(cpu_cgroup_unusable()))
def test_scheduler_live(env, vm):
    path, _ = vm
    uuid = env.prop(path, "UUID")
    env.dcall(path, "SetSchedulerParameters",
              {"cpu_shares": ull(300), "vcpu_quota": dbus.Int64(50000, variant_level=1)}, LIVE)
    cg = cgroup_dir(qemu_pid(env))
    if os.path.exists(CGROUP_V2):
        assert open(f"{cg}/cpu.weight").read().strip() == "300"
        assert open(f"{cg}/cpu.max").read().split() == ["50000", "100000"]
    else:
        assert open(f"{cg}/cpu.shares").read().strip() == "300"
        assert open(f"{cg}/cpu.cfs_quota_us").read().strip() == "50000"
    assert str(qemu_pid(env)) in open(f"{cg}/cgroup.procs").read().split()
    got = env.dcall(path, "GetSchedulerParameters", 0)
    assert got == {"cpu_shares": 300, "vcpu_period": 0, "vcpu_quota": 50000, "emulator_period": 0,
                   "emulator_quota": 0, "global_period": 0, "global_quota": 0, "iothread_period": 0,
                   "iothread_quota": 0}, got
    assert env.dcall(path, "GetSchedulerParameters", CONFIG)["cpu_shares"] == 0
    assert "<shares>300</shares>" in env.dcall(path, "GetXMLDesc", 0)


@pytest.mark.skipif(cpu_cgroup_unusable() is not None, reason=str(cpu_cgroup_unusable()))
def test_global_and_thread_bandwidth_live(env, vm):
    """global_period/global_quota are the guest cgroup's bandwidth, the
    emulator_ pair that of QEMU's emulator threads in their own cgroup below
    it (cgroup v1), set live as at start (D-Bus, virsh schedinfo --live,
    python-libvirt) and kept in the live XML across a qemud SIGKILL; values
    out of libvirt's ranges are refused by name, changing nothing."""
    path, _ = vm
    cg = cgroup_dir(qemu_pid(env))
    cg = cg[:-len("/emulator")] if cg.endswith("/emulator") else cg

    def bandwidth():
        if os.path.exists(CGROUP_V2):
            q, p = open(f"{cg}/cpu.max").read().split()
            return p, q
        return (open(f"{cg}/cpu.cfs_period_us").read().strip(), open(f"{cg}/cpu.cfs_quota_us").read().strip())

    env.dcall(path, "SetSchedulerParameters",
              {"global_period": ull(200000), "global_quota": dbus.Int64(150000, variant_level=1),
               "emulator_period": ull(50000), "iothread_period": ull(40000),
               "vcpu_quota": dbus.Int64(0, variant_level=1)}, LIVE)
    assert bandwidth() == ("200000", "150000")
    live, conf = xml_pair(env, path)
    for tag in ("<global_period>200000</global_period>", "<global_quota>150000</global_quota>",
                "<emulator_period>50000</emulator_period>", "<iothread_period>40000</iothread_period>"):
        assert tag in live and tag not in conf, live

    env.qemud.restart(signal.SIGKILL)
    got = env.dcall(path, "GetSchedulerParameters", LIVE)
    assert (got["global_period"], got["global_quota"], got["emulator_period"]) == (200000, 150000, 50000), got

    if not os.path.exists(CGROUP_V2):
        # above the global 0.75 CPU: the kernel refuses, nothing changes
        before = xml_pair(env, path)
        with pytest.raises(dbus.exceptions.DBusException) as e:
            env.dcall(path, "SetSchedulerParameters", {"emulator_quota": dbus.Int64(45000, variant_level=1)}, LIVE)
        assert "emulator/cpu.cfs_quota_us" in e.value.get_dbus_message(), e.value.get_dbus_message()
        assert xml_pair(env, path) == before
        env.dcall(path, "SetSchedulerParameters", {"emulator_quota": dbus.Int64(20000, variant_level=1)}, LIVE)
        assert open(f"{cg}/emulator/cpu.cfs_quota_us").read().split() == ["20000"]
        assert open(f"{cg}/emulator/cpu.cfs_period_us").read().split() == ["50000"]
        assert str(qemu_pid(env)) in open(f"{cg}/emulator/tasks").read().split()
        assert "<emulator_quota>20000</emulator_quota>" in env.dcall(path, "GetXMLDesc", 0)
    before = xml_pair(env, path)
    for params, words in (({"global_quota": dbus.Int64(10, variant_level=1)}, "global_quota is out of range"),
                          ({"emulator_period": ull(5)}, "emulator_period is out of range"),
                          ({"global_period": dbus.Int64(100000, variant_level=1)}, "'global_period'")):
        with pytest.raises(dbus.exceptions.DBusException) as e:
            env.dcall(path, "SetSchedulerParameters", params, LIVE)
        assert words in e.value.get_dbus_message(), e.value.get_dbus_message()
        assert xml_pair(env, path) == before
    assert bandwidth() == ("200000", "150000")

    if env.proxy:
        out = env.proxy.virsh("schedinfo", "tuned", "--live", "--set", "global_quota=120000").stdout
        assert re.search(r"global_quota\s*:\s*120000", out) and re.search(r"emulator_period\s*:\s*50000", out), out
        assert bandwidth() == ("200000", "120000")
        libvirt = pytest.importorskip("libvirt")
        conn = libvirt.open(env.proxy.uri)
        try:
            dom = conn.lookupByName("tuned")
            dom.setSchedulerParametersFlags({"global_quota": -1}, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            assert dom.schedulerParametersFlags(libvirt.VIR_DOMAIN_AFFECT_LIVE)["global_quota"] == -1
        finally:
            conn.close()
        assert bandwidth()[1] in ("-1", "max")
    env.dcall(path, "SetSchedulerParameters",
              {"global_period": ull(0), "global_quota": dbus.Int64(0, variant_level=1),
               "emulator_period": ull(0), "emulator_quota": dbus.Int64(0, variant_level=1),
               "iothread_period": ull(0)}, LIVE)
    if os.path.isdir(f"{cg}/emulator"):
        assert open(f"{cg}/emulator/cpu.cfs_quota_us").read().split() == ["-1"]


def test_virsh_through_the_proxy(env, vm):
    if not env.proxy:
        pytest.skip("virsh (libvirt-clients) is not installed")
    path, _ = vm
    v = env.proxy.virsh
    v("blkdeviotune", "tuned", "vda", "--live", "--total-bytes-sec", "2097152")
    out = v("blkdeviotune", "tuned", "vda", "--live").stdout
    assert re.search(r"total_bytes_sec\s*:\s*2097152", out), out
    assert env.dcall(path, "GetBlockIOTune", "vda", LIVE)["total_bytes_sec"] == 2 * MIB
    r = v("blkdeviotune", "tuned", "vda", "--live", "--total-bytes-sec", "10", "--read-bytes-sec", "10",
          check=False)
    assert r.returncode != 0 and "cannot be set at the same time" in r.stderr, r.stderr
    v("blkdeviotune", "tuned", "vda", "--live", "--total-bytes-sec", "0")

    out = v("schedinfo", "tuned").stdout
    assert re.search(r"Scheduler\s*:\s*posix", out) and "cpu_shares" in out, out
    out = v("schedinfo", "tuned", "--config", "--set", "cpu_shares=700").stdout
    assert re.search(r"cpu_shares\s*:\s*700", out), out
    assert "<shares>700</shares>" in env.dcall(path, "GetXMLDesc", 2)

    out = v("numatune", "tuned", "--config").stdout
    assert re.search(r"numa_mode\s*:\s*\w+", out), out

    out = v("memtune", "tuned").stdout
    assert re.search(r"hard_limit\s*:\s*unlimited", out), out
    v("memtune", "tuned", "--config", "--hard-limit", "1048576")
    assert "<hard_limit unit='KiB'>1048576</hard_limit>" in env.dcall(path, "GetXMLDesc", 2)
    v("memtune", "tuned", "--config", "--hard-limit", "-1")
    assert "memtune" not in env.dcall(path, "GetXMLDesc", 2)

    out = v("blkiotune", "tuned", "--config").stdout
    assert re.search(r"weight\s*:\s*0", out), out

    # virsh sizes its cpumaps from virNodeGetInfo / virNodeGetCPUMap
    if v("nodeinfo", check=False).returncode != 0:
        pytest.skip("virsh vcpupin/emulatorpin need virNodeGetInfo, which the proxy does not serve here")
    if not {0, 1} <= os.sched_getaffinity(0):
        pytest.skip("needs CPUs 0 and 1 in this process's affinity to pin to")
    v("vcpupin", "tuned", "0", "0", "--live")
    assert threads(qemu_pid(env))["CPU 0/TCG"] == "0"
    out = v("vcpupin", "tuned", "--live").stdout
    assert re.search(r"^\s*0\s+0\s*$", out, re.M), out
    v("emulatorpin", "tuned", "1", "--live")
    assert threads(qemu_pid(env))["qemu-system-x86"] == "1"
    out = v("emulatorpin", "tuned", "--live").stdout
    assert re.search(r"\*:\s*1\s*$", out, re.M), out


# ---------------------------------------------------------------------------
# the procedures on the wire (libvirt's clients size cpumaps from
# virNodeGetInfo first; here the frames are written by hand)

REMOTE_PROG = 0x20008086


def xstr(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


def xopaque(b):
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


def tparam(field, type_, value):
    fmt = {1: ">i", 2: ">I", 3: ">q", 4: ">Q", 6: ">i"}
    v = xstr(value) if type_ == 7 else struct.pack(fmt[type_], value)
    return xstr(field) + struct.pack(">i", type_) + v


class Wire:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(60)
        self.s.connect(str(path))
        self.serial = 0
        assert self.call(66)[0] == 0
        assert self.call(1, struct.pack(">I", 1) + xstr("qemu:///system") + struct.pack(">I", 0))[0] == 0

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            c = self.s.recv(n - len(buf))
            if not c:
                raise EOFError("closed")
            buf += c
        return buf

    def call(self, proc, payload=b""):
        self.serial += 1
        body = struct.pack(">IIiiIi", REMOTE_PROG, 1, proc, 0, self.serial, 0) + payload
        self.s.sendall(struct.pack(">I", len(body) + 4) + body)
        (n,) = struct.unpack(">I", self.recv_exact(4))
        reply = self.recv_exact(n - 4)
        status = struct.unpack(">i", reply[20:24])[0]
        return status, reply[24:]

    def closed(self):
        try:
            return self.s.recv(65536) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True

    def close(self):
        self.s.close()


def read_tparams(b, off=0):
    (n,) = struct.unpack_from(">I", b, off)
    off += 4
    out = {}
    for _ in range(n):
        (ln,) = struct.unpack_from(">I", b, off)
        field = b[off + 4:off + 4 + ln].decode()
        off += 4 + ln + (-ln % 4)
        (t,) = struct.unpack_from(">i", b, off)
        off += 4
        if t == 7:
            (ln,) = struct.unpack_from(">I", b, off)
            out[field] = b[off + 4:off + 4 + ln].decode()
            off += 4 + ln + (-ln % 4)
        else:
            fmt, size = {1: (">i", 4), 2: (">I", 4), 3: (">q", 8), 4: (">Q", 8), 6: (">i", 4)}[t]
            out[field] = struct.unpack_from(fmt, b, off)[0]
            off += size
    return out, off


def test_procedures_on_the_wire(env, vm):
    if not env.proxy:
        pytest.skip("no proxy: virsh (libvirt-clients) is not installed")
    path, _ = vm
    dom = xstr("tuned") + uuidlib.UUID(env.prop(path, "UUID")).bytes + struct.pack(">i", 1)
    w = Wire(env.proxy.socket)
    try:
        # scheduler, typed parameters both ways
        st, _ = w.call(219, dom + struct.pack(">I", 1) + tparam("cpu_shares", 4, 900) + struct.pack(">I", CONFIG))
        assert st == 0
        st, p = w.call(223, dom + struct.pack(">iI", 3, CONFIG))
        assert st == 0 and read_tparams(p)[0] == {"cpu_shares": 900, "vcpu_period": 0, "vcpu_quota": 0}
        st, p = w.call(56, dom)
        assert st == 0 and p == xstr("posix") + struct.pack(">i", 9)
        # nparams 0 asks for the count
        st, p = w.call(253, dom + struct.pack(">I", 1) + xstr("vda") + struct.pack(">iI", 0, LIVE))
        params, off = read_tparams(p)
        assert st == 0 and params == {} and struct.unpack_from(">i", p, off)[0] == 14
        st, p = w.call(252, dom + xstr("vda") + struct.pack(">I", 1) + tparam("read_iops_sec", 4, 300)
                       + struct.pack(">I", LIVE))
        assert st == 0
        st, p = w.call(253, dom + struct.pack(">I", 1) + xstr("vda") + struct.pack(">iI", 14, LIVE))
        assert st == 0 and read_tparams(p)[0]["read_iops_sec"] == 300
        # a libvirt error from qemud keeps its words
        st, p = w.call(252, dom + xstr("vda") + struct.pack(">I", 1) + tparam("read_iops_sec", 2, 1)
                       + struct.pack(">I", LIVE))
        assert st == 1 and b"invalid type for parameter 'read_iops_sec'" in p
        st, p = w.call(254, dom + struct.pack(">I", 1) + tparam("numa_mode", 1, 1) + struct.pack(">I", CONFIG))
        assert st == 0
        st, p = w.call(255, dom + struct.pack(">iI", 2, CONFIG))
        assert st == 0 and read_tparams(p)[0]["numa_mode"] == 1
        if {0, 1} <= os.sched_getaffinity(0):
            st, _ = w.call(225, dom + struct.pack(">I", 1) + xopaque(b"\x02") + struct.pack(">I", LIVE))
            assert st == 0 and threads(qemu_pid(env))["CPU 1/TCG"] == "1"
            st, p = w.call(230, dom + struct.pack(">iiI", 2, 1, LIVE))
            assert st == 0 and p[:4] == struct.pack(">I", 2) and p[5] == 2 and p[8:12] == struct.pack(">i", 2), p
            st, _ = w.call(279, dom + xopaque(b"\x01") + struct.pack(">I", LIVE))
            assert st == 0 and threads(qemu_pid(env))["qemu-system-x86"] == "0"
            st, p = w.call(280, dom + struct.pack(">iI", 1, LIVE))
            assert st == 0 and p[:5] == struct.pack(">I", 1) + b"\x01", p
        # more typed parameters than SET_BLOCK_IO_TUNE takes (32): not decoded
        many = b"".join(tparam(f"f{i}", 4, 0) for i in range(33))
        w.s.sendall(b"")
        w.serial += 1
        body = struct.pack(">IIiiIi", REMOTE_PROG, 1, 252, 0, w.serial, 0) + dom + xstr("vda") \
            + struct.pack(">I", 33) + many + struct.pack(">I", LIVE)
        w.s.sendall(struct.pack(">I", len(body) + 4) + body)
        assert w.closed()
    finally:
        w.close()
    assert env.dcall(path, "GetBlockIOTune", "vda", LIVE)["read_iops_sec"] == 300
