# SPDX-License-Identifier: LGPL-2.1-or-later
"""Statistics of domains and the node's figures (README "Statistics and the
node"): the real test guest (TCG) with a virtio disk and an interface on a
networkd network, booted once for the module.

- Connect.GetAllDomainStats and Domain.GetStats: libvirt's groups, field
  names and types (state, cpu, balloon, vcpu, net, block); the counters
  move with the guest's work; the state filters; ENFORCE_STATS.
- The node: NodeGetCPUStats, NodeGetMemoryStats, NodeGetFreeMemory,
  NodeGetCPUMap, GetSysinfo, GetCPUModelNames, CompareCPU, BaselineCPU,
  NodeGet/SetMemoryParameters (KSM), and what each refuses.
- The same through virtbus-proxyd with virsh and python-libvirt.
- Side by side with libvirt 9.0: the same guest under a private libvirtd
  (bench/proxy-bench.py's, in its own mount namespace) gives the same field
  names with the same types.

networkd runs in a network namespace of its own (test_networkd_common);
qemud runs in that namespace too, so that it sees the guest's tap in /sys
as it does on a host where all daemons share one."""

import importlib.util
import os
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path

import dbus
import pytest

import virtbus_harness as h
from test_networkd_common import NetworkdEnv, delete_netns, nat_xml, new_netns
from test_networkd_common import dbus_error
from test_qemud_common import BOOT_TIMEOUT, destroy_active, xmllint_relaxng

pytestmark = pytest.mark.timeout(240)

QEMUD = "org.virtbus.qemud"
ROOT = "/org/virtbus/qemud"
CONN = "org.libvirt.Connect"
DOM = "org.libvirt.Domain"
NET = "vbstats"
SUBNET = "192.168.151"
GUEST = "stats1"
REPO = Path(__file__).resolve().parents[2]

# libvirt's types of each field (virTypedParameterType as D-Bus types)
INT, UINT, ULL, STR = "Int32", "UInt32", "UInt64", "String"
EXPECTED = {
    "state.state": INT, "state.reason": INT,
    "cpu.time": ULL, "cpu.user": ULL, "cpu.system": ULL,
    "cpu.haltpoll.success.time": ULL, "cpu.haltpoll.fail.time": ULL, "cpu.cache.monitor.count": UINT,
    "balloon.current": ULL, "balloon.maximum": ULL, "balloon.rss": ULL, "balloon.last-update": ULL,
    "vcpu.current": UINT, "vcpu.maximum": UINT,
    "vcpu.0.state": INT, "vcpu.0.time": ULL, "vcpu.0.wait": ULL, "vcpu.0.delay": ULL,
    "net.count": UINT, "net.0.name": STR,
    **{f"net.0.{d}.{c}": ULL for d in ("rx", "tx") for c in ("bytes", "pkts", "errs", "drop")},
    "block.count": UINT, "block.0.name": STR, "block.0.path": STR,
    **{f"block.0.{k}": ULL for k in ("rd.reqs", "rd.bytes", "rd.times", "wr.reqs", "wr.bytes", "wr.times",
                                     "fl.reqs", "fl.times", "allocation", "capacity", "physical")},
}


def with_iothread(xml):
    """The guest with one IOThread (the iothread group)."""
    return xml.replace("<vcpu>", "<iothreads>1</iothreads>\n  <vcpu>", 1)


def types_of(raw):
    return {str(k): type(v).__name__ for k, v in raw.items()}


class Env:
    """NetworkdEnv (namespace, bus, networkd) plus virtbus-qemud in the same
    namespace, and virtbus-proxyd on the same bus."""

    def __init__(self, guest):
        self.guest = guest
        self.net = NetworkdEnv()
        self.root, self.bus = self.net.root, self.net.bus
        self.qemud = self.proxy = None
        self.serial = self.root / f"{GUEST}.serial"
        try:
            wrapper = self.root / "qemud-in-netns"
            wrapper.write_text(f"#!/bin/sh\nexec ip netns exec {self.net.ns} {h.BUILD / 'virtbus-qemud'} \"$@\"\n")
            wrapper.chmod(0o755)
            self.qemud = h.Daemon("qemud", self.bus, self.root, binary=wrapper).start()
            self.net.define(nat_xml(NET, SUBNET))
            self.proxy = h.Proxy(self.bus, self.root).start()
            self.disk = self.root / "disk.raw"
            with open(self.disk, "wb") as f:
                f.truncate(16 << 20)
            xml = with_iothread(h.guest_domain_xml(guest, GUEST, serial_log=self.serial, nic=("network", NET),
                                                   disks=[str(self.disk)]))
            self.path = self.call("DomainDefineXML", xml)
            self.dcall("Create", 0)
            h.wait_until(lambda: h.GUEST_READY.encode() in self.serial_bytes(), BOOT_TIMEOUT,
                         what="the guest's ready marker")
            # an idle one beside it, never started
            idle = h.guest_domain_xml(guest, "stats-idle", nic=None, disks=[str(self.disk)])
            self.idle = self.call("DomainDefineXML", idle)
        except BaseException:
            self.close()
            raise

    def serial_bytes(self):
        try:
            return self.serial.read_bytes()
        except OSError:
            return b""

    def close(self):
        try:
            if self.proxy:
                self.proxy.stop()
            destroy_active(self.qemud)
            if self.qemud:
                self.qemud.stop()
        finally:
            self.net.close()

    def register_logs(self):
        for title, path in self.net.logs():
            h.register_log(title, path)
        if self.qemud:
            h.register_log("virtbus-qemud", self.qemud.log_path)
        if self.proxy:
            h.register_log("virtbus-proxyd", self.proxy.log_path)
        h.register_log(f"serial console of {GUEST}", self.serial)

    def call(self, method, *args, **kw):
        return self.qemud.call(method, *args, **kw)

    def dcall(self, method, *args, path=None, **kw):
        return self.qemud.domain_call(path or self.path, method, *args, **kw)

    def all_stats(self, stats=0, flags=0):
        raw = self.call("GetAllDomainStats", dbus.UInt32(stats), dbus.UInt32(flags), raw=True)
        return {str(name): rec for name, rec in raw}


@pytest.fixture(scope="module")
def env(guest):
    e = Env(guest)
    yield e
    e.close()


@pytest.fixture(autouse=True)
def _logs(request):
    if "env" in request.fixturenames:
        request.getfixturevalue("env").register_logs()
    yield


def check_fields(raw, expected=EXPECTED):
    types = types_of(raw)
    missing = sorted(set(expected) - set(types))
    assert not missing, f"fields missing: {missing}; got {sorted(types)}"
    wrong = {k: (types[k], t) for k, t in expected.items() if types[k] != t}
    assert not wrong, f"types (ours, libvirt's): {wrong}"


# ---------------------------------------------------------------------------
# The statistics over D-Bus

def test_get_all_domain_stats_fields(env):
    recs = env.all_stats()
    assert set(recs) == {GUEST, "stats-idle"}
    check_fields(recs[GUEST])
    s = h.unwrap(recs[GUEST])
    assert s["state.state"] == 1 and s["vcpu.current"] == 1 and s["net.count"] == 1 and s["block.count"] == 1
    assert s["block.0.name"] == "vda" and s["block.0.path"] == str(env.disk)
    assert s["block.0.capacity"] == 16 << 20 and s["block.0.physical"] == 16 << 20
    assert s["block.0.rd.reqs"] > 0, "the guest's kernel read the disk's partition table"
    assert s["balloon.maximum"] == 256 * 1024 and 0 < s["balloon.rss"] < 4 << 20
    assert s["cpu.time"] >= s["cpu.user"] and s["vcpu.0.time"] > 0
    assert re.fullmatch(r"vnet\d+|vb\S+|tap\S*", s["net.0.name"]) or s["net.0.name"], s["net.0.name"]
    # the shut off one: what its definition says, nothing of a process
    idle = h.unwrap(recs["stats-idle"])
    assert idle["state.state"] == 5 and idle["block.count"] == 1 and idle["block.0.name"] == "vda"
    assert not any(k.startswith(("cpu.", "vcpu.0.", "balloon.rss")) for k in idle), idle


def test_counters_move_with_the_guest(env):
    before = h.unwrap(env.all_stats(0x3f, 1)[GUEST])
    time.sleep(1.5)       # the guest ticks and its DHCP client talks
    after = h.unwrap(env.all_stats(0x3f, 1)[GUEST])
    assert after["cpu.time"] > before["cpu.time"]
    assert after["net.0.tx.pkts"] + after["net.0.rx.pkts"] > 0, after


def test_get_stats_is_the_same_record(env):
    one = env.dcall("GetStats", dbus.UInt32(0), dbus.UInt32(0), raw=True)
    check_fields(one)
    assert set(one) == set(env.all_stats()[GUEST])
    # only the groups asked for
    assert set(h.unwrap(env.dcall("GetStats", 1, 0))) == {"state.state", "state.reason"}
    assert set(h.unwrap(env.dcall("GetStats", 2, 0))) == {k for k in EXPECTED if k.startswith("cpu.")}
    net = set(h.unwrap(env.dcall("GetStats", 16, 0)))
    assert net == {k for k in EXPECTED if k.startswith("net.")}
    blk = h.unwrap(env.dcall("GetStats", 32, 0))
    assert set(blk) == {k for k in EXPECTED if k.startswith("block.")} | {"block.0.backingIndex"}


def test_a_hung_qemu_does_not_hold_the_call(env):
    """The block counters are asked of every QEMU at once; one that does
    not answer (stopped) costs its own counters after a second, not the
    call, and qemud answers everything else meanwhile."""
    import signal
    pid = int((env.root / "run" / "virtbus" / "qemu" / f"{GUEST}.pid").read_text())
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        recs = env.all_stats(1 | 32, 0)
        took = time.monotonic() - t0
        s = h.unwrap(recs[GUEST])
        assert took < 5, f"the call waited {took:.1f} s for a stopped QEMU"
        assert s["block.0.name"] == "vda" and "block.0.rd.reqs" not in s, s
        assert h.unwrap(recs["stats-idle"])["state.state"] == 5
    finally:
        os.kill(pid, signal.SIGCONT)
    # and once it runs again, its counters are back
    assert "block.0.rd.reqs" in h.unwrap(env.all_stats(32, 0)[GUEST])


def test_filters_and_refusals(env):
    assert set(env.all_stats(1, 1)) == {GUEST}                  # ACTIVE
    assert set(env.all_stats(1, 2)) == {"stats-idle"}           # INACTIVE
    assert set(env.all_stats(1, 16)) == {GUEST}                 # RUNNING
    assert set(env.all_stats(1, 64)) == {"stats-idle"}          # SHUTOFF
    # a group no libvirt 9.0 has: left out, or refused with ENFORCE_STATS
    assert set(h.unwrap(env.all_stats(1 | 1 << 11, 0)[GUEST])) == {"state.state", "state.reason"}
    with pytest.raises(dbus.exceptions.DBusException) as e:
        env.all_stats(1 << 11, 1 << 31)
    assert dbus_error(e.value) == "org.virtbus.Error.NotSupported" and "0x800" in str(e.value)
    # every group of libvirt 9.0 is known: ENFORCE_STATS takes them all
    assert set(h.unwrap(env.all_stats(0x7ff, 1 << 31)[GUEST])) >= {"state.state", "dirtyrate.calc_status"}
    with pytest.raises(dbus.exceptions.DBusException) as e:
        env.all_stats(0, 1 << 20)
    assert dbus_error(e.value) == "org.virtbus.Error.InvalidArg"


# ---------------------------------------------------------------------------
# The node over D-Bus

def expect_error(name, fn, *args, words=(), **kw):
    with pytest.raises(dbus.exceptions.DBusException) as e:
        fn(*args, **kw)
    assert dbus_error(e.value) == name, str(e.value)
    for w in words:
        assert w in str(e.value), str(e.value)


def test_node_figures(env):
    cpu = h.unwrap(env.call("NodeGetCPUStats", -1, 0))
    assert set(cpu) == {"kernel", "user", "idle", "iowait"} and cpu["idle"] > 0
    assert set(h.unwrap(env.call("NodeGetCPUStats", 0, 0))) == set(cpu)
    expect_error("org.virtbus.Error.InvalidArg", env.call, "NodeGetCPUStats", 4096, 0, words=("4096",))
    mem = h.unwrap(env.call("NodeGetMemoryStats", -1, 0))
    assert {"total", "free", "buffers", "cached"} <= set(mem) and mem["total"] > mem["free"] > 0
    assert {"total", "free"} <= set(h.unwrap(env.call("NodeGetMemoryStats", 0, 0)))
    expect_error("org.virtbus.Error.InvalidArg", env.call, "NodeGetMemoryStats", 999, 0, words=("999",))
    free = env.call("NodeGetFreeMemory")
    assert 0 < free <= mem["total"] * 1024
    cpumap = env.call("NodeGetCPUMap", 0)
    assert len(cpumap) >= os.cpu_count() and sum(bool(b) for b in cpumap) == len(os.sched_getaffinity(0)) \
        or sum(bool(b) for b in cpumap) >= 1
    sysinfo = env.call("GetSysinfo", 0)
    assert sysinfo.startswith("<sysinfo type='smbios'>") and "<processor>" in sysinfo


def test_cpu_models(env):
    models = env.call("GetCPUModelNames", "x86_64", 0)
    assert "qemu64" in models and len(models) > 10
    expect_error("org.virtbus.Error.InvalidArg", env.call, "GetCPUModelNames", "armv7l", 0, words=("armv7l",))
    assert env.call("CompareCPU", "<cpu mode='host-passthrough'/>", 0) == 1
    # QEMU's word on each model (domain capabilities) is CompareCPU's
    caps = env.call("GetDomainCapabilities", "", "", "", "", 0)
    usable = dict((m, u) for u, m in re.findall(r"<model usable='(\w+)'[^>]*>([^<]+)</model>", caps))
    assert usable["qemu64"] in ("yes", "no", "unknown")
    for want, result in (("yes", (1, 2)), ("no", (0,))):
        models = [m for m, u in usable.items() if u == want]
        if models:
            assert env.call("CompareCPU", f"<cpu><model>{models[0]}</model></cpu>", 0) in result, models[0]
    lacking = "<cpu><feature policy='require' name='no-such-feature'/></cpu>"
    assert env.call("CompareCPU", lacking, 0) == 0
    expect_error("org.virtbus.Error.OperationFailed", env.call, "CompareCPU", lacking, 1,
                 words=("no-such-feature",))
    expect_error("org.virtbus.Error.InvalidArg", env.call, "CompareCPU", "<cpu><model>Pentium9000</model></cpu>", 0,
                 words=("Pentium9000",))
    expect_error("org.virtbus.Error.InvalidArg", env.call, "CompareCPU", "<cpu", 0)
    base = env.call("BaselineCPU", ["<cpu><model>Haswell</model><vendor>Intel</vendor>"
                                    "<feature name='aes'/><feature name='vmx'/></cpu>",
                                    "<cpu><model>SandyBridge</model><vendor>Intel</vendor>"
                                    "<feature name='aes'/></cpu>"], 0)
    assert "<model fallback='forbid'>SandyBridge</model>" in base and "name='aes'" in base
    assert "vmx" not in base
    expect_error("org.virtbus.Error.InvalidArg", env.call, "BaselineCPU", dbus.Array([], signature="s"), 0)
    expect_error("org.virtbus.Error.InvalidArg", env.call, "BaselineCPU",
                 ["<cpu><model>Haswell</model></cpu>", "<cpu><model>EPYC</model></cpu>"], 0, words=("vendors",))


def test_domain_capabilities_host_model(env):
    """virt-install reads host-model's <model fallback='forbid'> (its first
    model) when KVM is there; it crashed on a host-model without one."""
    for virttype in ("qemu", "kvm"):
        try:
            caps = env.call("GetDomainCapabilities", "", "", "", virttype, 0)
        except dbus.exceptions.DBusException as e:
            assert virttype == "kvm" and dbus_error(e) == "org.virtbus.Error.NotSupported", str(e)
            print("KVM is not available here: host-model is checked under TCG only")
            continue
        xmllint_relaxng(caps, "domaincaps", "domain capabilities")
        m = re.search(r"<mode name='host-model' supported='(yes|no)'>(.*?)</mode>|"
                      r"<mode name='host-model' supported='no'/>", caps, re.S)
        assert m, caps
        if m.group(1) == "yes":
            model = re.search(r"<model fallback='forbid'>([^<]+)</model>", m.group(2))
            vendor = re.search(r"<vendor>(\w+)</vendor>", m.group(2))
            assert model and vendor, m.group(0)
            assert f"usable='yes' vendor='{vendor.group(1)}'>{model.group(1)}</model>" in caps
        assert "<enum name='maximumMigratable'>" in caps


def test_node_memory_parameters(env):
    if not os.path.isdir("/sys/kernel/mm/ksm"):
        pytest.skip("the host kernel has no KSM (/sys/kernel/mm/ksm)")
    raw = env.call("NodeGetMemoryParameters", 0, raw=True)
    types = types_of(raw)
    assert types["shm_pages_to_scan"] == UINT and types["shm_sleep_millisecs"] == UINT
    assert types["shm_pages_shared"] == ULL and types["shm_full_scans"] == ULL
    cur = int(h.unwrap(raw)["shm_pages_to_scan"])
    # the host's value, written back as it is
    env.call("NodeSetMemoryParameters", {"shm_pages_to_scan": dbus.UInt32(cur, variant_level=1)}, 0,
             signature="a{sv}u")
    assert h.unwrap(env.call("NodeGetMemoryParameters", 0))["shm_pages_to_scan"] == cur
    for params, word in (({"shm_pages_shared": dbus.UInt32(1, variant_level=1)}, "read-only"),
                         ({"shm_nothing": dbus.UInt32(1, variant_level=1)}, "not supported"),
                         ({"shm_pages_to_scan": dbus.String("x", variant_level=1)}, "type")):
        expect_error("org.virtbus.Error.InvalidArg", env.call, "NodeSetMemoryParameters", params, 0,
                     words=(word,), signature="a{sv}u")
    assert h.unwrap(env.call("NodeGetMemoryParameters", 0))["shm_pages_to_scan"] == cur


# ---------------------------------------------------------------------------
# Through virtbus-proxyd: virsh and python-libvirt

def virsh(env, *args):
    return env.proxy.virsh(*args).stdout


def test_virsh_domstats_and_device_counters(env):
    out = virsh(env, "domstats", GUEST)
    assert f"Domain: '{GUEST}'" in out
    for k in ("state.state=1", "cpu.time=", "balloon.current=262144", "vcpu.0.time=", "net.0.name=",
              "block.0.name=vda", "block.0.rd.reqs="):
        assert k in out, (k, out)
    assert "virtbus." not in out, "the proxy's own fields stay between qemud and the proxy"
    # all of them, and the list form (virDomainListGetStats)
    out = virsh(env, "domstats")
    assert f"Domain: '{GUEST}'" in out and "Domain: 'stats-idle'" in out
    out = virsh(env, "domstats", "--state", "stats-idle")
    assert "Domain: 'stats-idle'" in out and GUEST not in out and "state.state=5" in out
    blk = virsh(env, "domblkstat", GUEST, "vda")
    assert re.search(r"vda rd_req\s+[1-9]\d*", blk), blk
    s = h.unwrap(env.all_stats(16, 0)[GUEST])
    ifs = virsh(env, "domifstat", GUEST, s["net.0.name"])
    assert re.search(r"rx_bytes\s+\d+", ifs) and re.search(r"tx_packets\s+\d+", ifs), ifs
    r = env.proxy.virsh("domblkstat", GUEST, "vdz", check=False)
    assert r.returncode != 0 and "vdz" in r.stderr


def test_virsh_node_calls(env):
    info = virsh(env, "nodeinfo")
    assert re.search(r"CPU model:\s+x86_64", info) and re.search(rf"CPU\(s\):\s+{os.cpu_count()}", info), info
    mem_kib = int(re.search(r"Memory size:\s+(\d+) KiB", info).group(1))
    assert abs(mem_kib - os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024) < 64 * 1024
    cpu = virsh(env, "nodecpustats")
    assert all(w in cpu for w in ("user:", "system:", "idle:", "iowait:")), cpu
    assert "total" in virsh(env, "nodememstats") and "free" in virsh(env, "nodememstats")
    assert "<sysinfo type='smbios'>" in virsh(env, "sysinfo")
    models = virsh(env, "cpu-models", "x86_64").split()
    assert "qemu64" in models
    f = env.root / "cpus.xml"
    f.write_text("<cpu><model>Haswell</model><vendor>Intel</vendor><feature name='aes'/></cpu>\n"
                 "<cpu><model>SandyBridge</model><vendor>Intel</vendor><feature name='aes'/></cpu>\n")
    assert "<model fallback='forbid'>SandyBridge</model>" in virsh(env, "cpu-baseline", f)
    f.write_text("<cpu><feature policy='require' name='no-such-feature'/></cpu>")
    r = env.proxy.virsh("cpu-compare", f, check=False)
    assert "incompatible" in (r.stdout + r.stderr), r
    free = virsh(env, "freecell", "--all") if False else None  # virNodeGetCellsFreeMemory: not offered
    assert free is None


def test_python_libvirt(env):
    libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")
    c = libvirt.open(env.proxy.uri)
    try:
        recs = {d.name(): s for d, s in c.getAllDomainStats()}
        assert set(recs) == {GUEST, "stats-idle"}
        ours = h.unwrap(env.all_stats()[GUEST])
        assert set(recs[GUEST]) == set(ours), set(recs[GUEST]) ^ set(ours)
        assert recs[GUEST]["block.0.name"] == "vda" and recs[GUEST]["state.state"] == 1
        dom = c.lookupByName(GUEST)
        one = c.domainListGetStats([dom], libvirt.VIR_DOMAIN_STATS_STATE)
        assert len(one) == 1 and one[0][0].UUIDString() == dom.UUIDString() and one[0][1]["state.state"] == 1
        assert one[0][0].ID() == dom.ID() > 0
        assert dom.blockStats("vda")[0] > 0
        params = c.getMemoryParameters() if os.path.isdir("/sys/kernel/mm/ksm") else {}
        assert not params or "shm_pages_to_scan" in params
        assert c.getFreeMemory() > 0
        assert set(c.getCPUStats(-1)) == {"kernel", "user", "idle", "iowait"}
        n, cpumap, online = c.getCPUMap()
        assert n >= 1 and online == sum(cpumap) >= 1
    finally:
        c.close()


# ---------------------------------------------------------------------------
# Side by side with libvirt 9.0

TYPES = {1: "int", 2: "uint", 3: "llong", 4: "ullong", 5: "double", 6: "boolean", 7: "string"}
SIX_GROUPS = 0x3f        # state, cpu-total, balloon, vcpu, interface, block
MORE_GROUPS = 0x7c0      # perf, iothread, memory, dirtyrate, vm
# libvirt's fields the same guest gives that we leave out, each with why
LIBVIRT_ONLY = {
    "block.0.threshold": "a write threshold is never set here",
}


class XdrIn:
    def __init__(self, b):
        self.b, self.o = b, 0

    def take(self, fmt, n):
        v = struct.unpack_from(fmt, self.b, self.o)
        self.o += n
        return v[0]

    def u32(self):
        return self.take(">I", 4)

    def string(self):
        n = self.u32()
        s = self.b[self.o:self.o + n].decode()
        self.o += n + (-n % 4)
        return s


def raw_all_domain_stats(socket_path, stats, flags=0):
    """virConnectGetAllDomainStats on the wire: {domain name: {field: type}},
    libvirt's typed parameter types as they travel (python-libvirt folds
    them all into int)."""
    from test_proxy import Raw
    raw = Raw(socket_path).handshake()
    try:
        f = raw.call(344, struct.pack(">III", 0, stats, flags))
        assert f["status"] == 0, f
    finally:
        raw.close()
    x, out = XdrIn(f["payload"]), {}
    for _ in range(x.u32()):
        name = x.string()
        x.o += 16 + 4                          # uuid, id
        fields = {}
        for _ in range(x.u32()):
            field, t = x.string(), x.take(">i", 4)
            if t in (3, 4, 5):
                x.o += 8
            elif t == 7:
                x.string()
            else:
                x.o += 4
            fields[field] = TYPES[t]
        out[name] = fields
    return out


class LibvirtSide:
    """bench/proxy-bench.py's private libvirtd (own mount namespace),
    imported, in a network namespace of its own so that the tap libvirt
    makes for the guest's <interface type='ethernet'> stays there."""

    def __init__(self, guest):
        spec = importlib.util.spec_from_file_location("proxy_bench", REPO / "bench" / "proxy-bench.py")
        self.pb = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.pb)
        self.bench = self.pb.Bench()
        self.ns = new_netns("vbst")
        self.conn = None
        spawn = self.bench.spawn

        def spawn_in_netns(argv, *a, **kw):
            if str(argv[0]) == "unshare":
                argv = ["ip", "netns", "exec", self.ns] + list(argv)
            return spawn(argv, *a, **kw)
        self.bench.spawn = spawn_in_netns
        try:
            self.bench.start_libvirtd()
        except self.pb.Skip as e:
            self.close()
            pytest.skip(f"no libvirtd to compare with: {e}")
        except BaseException:
            self.close()
            raise
        self.socket = self.bench.work / "lv" / "run" / "libvirt-sock"
        # QEMU runs as libvirt's user: the guest's files in the bench's folder
        work = self.bench.work
        for f in (guest.kernel, guest.initrd):
            shutil.copy(f, work / Path(f).name)
        self.disk = work / "disk-lv.raw"
        with open(self.disk, "wb") as fd:
            fd.truncate(16 << 20)
        for f in work.iterdir():
            if f.is_file():
                f.chmod(0o666)
        self.guest = types_ns(kernel=work / Path(guest.kernel).name, initrd=work / "initrd.gz",
                              cmdline=guest.cmdline)

    def close(self):
        try:
            if self.conn is not None:
                for d in self.conn.listAllDomains(1):
                    if d.name() == "stats-lv":
                        d.destroy()
                self.conn.close()
        finally:
            try:
                self.bench.cleanup()
            finally:
                delete_netns(self.ns)


def perf_works():
    """Whether perf_event_open() of a software event works on this host."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint8 * 64)()
    ctypes.c_uint32.from_buffer(attr, 0).value = 1        # PERF_TYPE_SOFTWARE
    ctypes.c_uint32.from_buffer(attr, 4).value = 64
    fd = libc.syscall(298, attr, 0, -1, -1, 0)           # x86_64 perf_event_open, cpu_clock
    if fd < 0:
        return False
    os.close(fd)
    return True


def types_ns(**kw):
    import types
    return types.SimpleNamespace(**kw)


# What the guest's balloon driver reports (virDomainMemoryStats' guest side).
GUEST_BALLOON = {f"balloon.{k}" for k in ("swap_in", "swap_out", "major_fault", "minor_fault", "unused",
                                          "available", "usable", "last-update", "disk_caches",
                                          "hugetlb_pgalloc", "hugetlb_pgfail")}


def test_fields_match_libvirt(env, guest):
    """The same guest (the test guest, a virtio disk, a virtio interface on a
    tap, an IOThread) under libvirtd 9.0 and under qemud: GetAllDomainStats'
    six first groups, then perf (one event on), iothread, memory, dirtyrate
    and vm give the same field names with the same types, on the wire."""
    libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")
    lv = LibvirtSide(guest)
    lv.bench.libvirt = libvirt          # its clean-up goes through the API
    try:
        lv.conn = libvirt.open(f"qemu+unix:///system?socket={lv.socket}")
        nic = "    <interface type='ethernet'>\n      <model type='virtio'/>\n    </interface>"
        xml = with_iothread(h.guest_domain_xml(lv.guest, "stats-lv", nic=None, disks=[str(lv.disk)],
                                               extra_devices=nic))
        lv.conn.createXML(xml, 0)
        time.sleep(3)
        theirs = raw_all_domain_stats(lv.socket, SIX_GROUPS)["stats-lv"]
        ours = raw_all_domain_stats(env.proxy.socket, SIX_GROUPS)[GUEST]
        if ("balloon.unused" in theirs) != ("balloon.unused" in ours):
            # the figures the guest's balloon driver sends come when it has
            # sent them: compared only when both guests have
            print("one guest's balloon driver has not reported yet: its figures are left out")
            theirs = {k: v for k, v in theirs.items() if k not in GUEST_BALLOON}
            ours = {k: v for k, v in ours.items() if k not in GUEST_BALLOON}
        print("libvirt 9.0:", sorted(theirs.items()))
        print("qemud:      ", sorted(ours.items()))
        only_ours = set(ours) - set(theirs)
        assert not only_ours, f"fields libvirt does not give: {sorted(only_ours)}"
        missing = set(theirs) - set(ours) - set(LIBVIRT_ONLY)
        assert not missing, f"libvirt's fields we lack: {sorted(missing)}"
        wrong = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
        assert not wrong, f"types (ours, libvirt's): {wrong}"
        # the further groups, with one perf event counted on each side
        # (where the host has perf): names and types alike
        perf = perf_works()
        if perf:
            lv.conn.lookupByName("stats-lv").setPerfEvents({"task_clock": True}, 1)
            env.dcall("SetPerfEvents", dbus.Dictionary({"task_clock": dbus.Boolean(True, variant_level=1)},
                                                       signature="sv"), dbus.UInt32(1))
        theirs = raw_all_domain_stats(lv.socket, MORE_GROUPS)["stats-lv"]
        ours = raw_all_domain_stats(env.proxy.socket, MORE_GROUPS)[GUEST]
        print("libvirt 9.0, perf..vm:", sorted(theirs.items()))
        print("qemud, perf..vm:      ", sorted(ours.items()))
        assert set(ours) == set(theirs), (sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours)))
        wrong = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
        assert not wrong, f"types (ours, libvirt's): {wrong}"
        assert ("perf.task_clock" in ours) == perf
        # every group libvirt knows, for the record
        all_theirs = raw_all_domain_stats(lv.socket, 0)["stats-lv"]
        all_ours = raw_all_domain_stats(env.proxy.socket, 0)[GUEST]
        print("libvirt 9.0's fields (stats 0) we do not give:",
              sorted(k for k in all_theirs if k not in all_ours))
    finally:
        lv.close()
