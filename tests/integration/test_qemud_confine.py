# SPDX-License-Identifier: LGPL-2.1-or-later
"""QEMU confined at its start (common/confine.h, qemud/qemu-confine.c).

With the default qemud.conf, QEMU (root here) runs under its seccomp filter
(-sandbox on, spawn denied: /proc/PID/status "Seccomp: 2"), with no new
privileges and no capability at all (bounding, permitted, effective,
inheritable and ambient sets empty), and the guest still boots. With
`seccomp_sandbox = 0` and `clear_emulator_capabilities = 0` it runs as before
(no filter, root's capabilities). A bad value is refused at the start,
naming the setting, the guest left shut off.

QEMU runs in its own cgroup (machine.slice/machine-qemu\x2d<id>\x2d<name>.scope
on each hierarchy), and in a mount namespace of its own (qemud.conf
`namespaces`, on by default) whose /dev holds only the nodes it needs and its
block disks; a block disk hot-plugged gets its node there, removed once
detached. Its device filter is the v1 devices controller, or on cgroup v2 a
BPF program (the test_bpf_* tests, on this host's cgroup2 hierarchy)."""

import os
import signal
import shutil
import subprocess

import pytest

import cgroup_bpf
import virtbus_harness as h
from test_qemud_common import QemudEnv, _env_logs, dbus_error  # noqa: F401
from virtbus_harness import DomainState as S

pytestmark = pytest.mark.timeout(300)

CAP_SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


@pytest.fixture(scope="module")
def env(guest, request):
    e = QemudEnv(guest)
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def set_conf(env, text):
    conf = env.root / "etc" / "virtbus" / "qemud.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(text)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def assert_own_cgroup(pid, name):
    """Every hierarchy qemud uses (v2's, v1's memory and pids) puts QEMU
    in the guest's scope."""
    lines = [line.rstrip("\n").split(":", 2) for line in open(f"/proc/{pid}/cgroup")]
    used = [path for hid, ctrls, path in lines
            if (hid == "0" and os.path.exists("/sys/fs/cgroup/cgroup.controllers"))
            or set(ctrls.split(",")) & {"memory", "pids"}]
    if not used:
        pytest.skip("no cgroup hierarchy qemud uses on this host")
    for path in used:
        assert path.startswith("/machine.slice/") and path.endswith(f"\\x2d{name}.scope"), (path, lines)


def test_default_confinement(env):
    set_conf(env, "")
    g = env.define("conf1", tick=True)
    try:
        g.start()
        st = proc_status(g.pid())
        assert_own_cgroup(g.pid(), "conf1")
        assert st["Seccomp"] == "2", st
        assert st["NoNewPrivs"] == "1", st
        for k in CAP_SETS:
            assert int(st[k], 16) == 0, (k, st[k])
        # the filter lets the guest run
        g.wait_ready()
        g.wait_tick_after(g.last_tick())
        assert g.state()[0] == S.RUNNING
    finally:
        g.ensure_shutoff()


def test_confinement_turned_off(env):
    set_conf(env, "seccomp_sandbox = 0\nclear_emulator_capabilities = 0\n")
    g = env.define("conf2")
    try:
        g.start(1)  # paused: the process is all this test looks at
        st = proc_status(g.pid())
        assert st["Seccomp"] == "0", st
        assert int(st["CapEff"], 16) != 0, st
        assert int(st["CapBnd"], 16) != 0, st
    finally:
        g.ensure_shutoff()
        set_conf(env, "")


@pytest.mark.parametrize("n,setting", [(3, "seccomp_sandbox = 2"), (4, "clear_emulator_capabilities = yes")])
def test_bad_setting_refused(env, n, setting):
    set_conf(env, setting + "\n")
    g = env.define(f"conf{n}")
    try:
        with dbus_error("org.virtbus.Error.ConfigUnsupported", setting.split()[0]):
            g.start(1)
        assert g.state()[0] == S.SHUTOFF
    finally:
        set_conf(env, "")


def block_disk(dev, target, readonly=False):
    ro = "<readonly/>" if readonly else ""
    return (f"<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='{dev}'/>"
            f"<target dev='{target}' bus='virtio'/>{ro}</disk>")


def devices_list(pid):
    for line in open(f"/proc/{pid}/cgroup"):
        _, ctrls, path = line.rstrip("\n").split(":", 2)
        if "devices" in ctrls.split(","):
            return open(f"/sys/fs/cgroup/devices{path}/devices.list").read().split("\n")
    return None


@pytest.fixture
def loops(env, loop_pair):
    if not os.path.isdir("/sys/fs/cgroup/devices") or os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        pytest.skip("no cgroup v1 devices controller on this host (the BPF filter's tests: test_bpf_*)")
    return loop_pair


@pytest.fixture
def loop_pair(env):
    if not shutil.which("losetup"):
        pytest.skip("losetup is not installed")
    devs = []
    for i in range(2):
        f = env.root / f"loop{i}.img"
        with open(f, "wb") as fh:
            fh.truncate(4 << 20)
        r = subprocess.run(["losetup", "-f", "--show", str(f)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"no loop device here: {r.stderr.strip()}")
        devs.append(r.stdout.strip())
    yield devs
    for d in devs:
        subprocess.run(["losetup", "-d", d], check=False)


def rule(dev, access):
    st = os.stat(dev)
    return f"b {os.major(st.st_rdev)}:{os.minor(st.st_rdev)} {access}"


def test_device_controller(env, loops):
    ports = "\n".join([block_disk(loops[0], "vdb", readonly=True),
                       "    <controller type='pci' index='0' model='pcie-root'/>"] +
                      [f"    <controller type='pci' index='{i}' model='pcie-root-port'/>" for i in range(1, 5)])
    g = env.define("conf5", nic=None, extra_devices=ports)
    try:
        g.start(1)
        rules = devices_list(g.pid())
        if rules is None:
            pytest.skip("QEMU has no devices cgroup here (no usable cgroup hierarchy)")
        assert "a *:* rwm" not in rules, rules
        for want in ("c 1:3 rwm", "c 1:9 rwm", "c 136:* rwm", rule(loops[0], "r")):
            assert want in rules, (want, rules)
        assert not any(r.startswith(rule(loops[1], "")) for r in rules), rules
        # hot-plugged: allowed before QEMU opens it
        g.call("AttachDevice", block_disk(loops[1], "vdc"), 1)
        assert rule(loops[1], "rw") in devices_list(g.pid())
        assert f"<source dev='{loops[1]}'" in g.call("GetXMLDesc", 0)
    finally:
        g.ensure_shutoff()


DOMAIN_IF = "org.libvirt.Domain"
# what QEMU's own /dev always holds (qemu_confine_ns_nodes, confine-ns.c)
BASE_NODES = {"null", "zero", "full", "random", "urandom", "ptmx", "fd", "stdin", "stdout", "stderr"}


def host_dev_submounts():
    subs = set()
    for line in open("/proc/self/mountinfo"):
        mp = line.split()[4]
        if mp.startswith("/dev/") and "/" not in mp[5:] and os.path.isdir(mp):
            subs.add(mp[5:])
    return subs


def opened_by(pid, path):
    fds = f"/proc/{pid}/fd"
    for fd in os.listdir(fds):
        try:
            if os.readlink(f"{fds}/{fd}") == path:
                return True
        except OSError:
            pass
    return False


def hotplug_ports():
    return "\n".join(["    <controller type='pci' index='0' model='pcie-root'/>"] +
                     [f"    <controller type='pci' index='{i}' model='pcie-root-port'/>" for i in range(1, 5)])


def test_mount_namespace(env, loop_pair):
    set_conf(env, "")
    disk, plugged = loop_pair
    g = env.define("conf6", tick=True, nic=None,
                   extra_devices=block_disk(disk, "vdb") + "\n" + hotplug_ports())
    try:
        g.start()
        pid = g.pid()
        assert os.readlink(f"/proc/{pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
        names = set(os.listdir(f"/proc/{pid}/root/dev"))
        want = BASE_NODES | host_dev_submounts() | {os.path.basename(disk)}
        # kvm only with KVM; no tap here (nic=None), so no net/tun
        assert want <= names and names <= want | {"kvm"}, (names, want)
        assert os.stat(f"/proc/{pid}/root{disk}").st_rdev == os.stat(disk).st_rdev
        assert opened_by(pid, disk)
        # the host's /dev is the host's
        assert os.path.exists(plugged) and os.path.exists("/dev/loop-control")
        g.wait_ready()
        node = f"/proc/{pid}/root{plugged}"
        assert not os.path.exists(node)
        g.call("AttachDevice", block_disk(plugged, "vdc"), 1)
        assert os.stat(node).st_rdev == os.stat(plugged).st_rdev
        assert opened_by(pid, plugged)  # QEMU opened it, in its own /dev
        mark = env.mon.mark()
        g.call("DetachDevice", block_disk(plugged, "vdc"), 1)
        env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, since=mark, timeout=60)
        h.wait_until(lambda: not os.path.exists(node), 10, 0.1, f"{plugged} gone from QEMU's /dev")
        assert os.path.exists(f"/proc/{pid}/root{disk}") and os.path.exists(plugged)
        g.wait_tick_after(g.last_tick())
    finally:
        g.ensure_shutoff()


def test_mount_namespace_turned_off(env, loop_pair):
    set_conf(env, "namespaces = []\n")
    g = env.define("conf7", extra_devices=block_disk(loop_pair[0], "vdb"))
    try:
        g.start(1)
        pid = g.pid()
        assert os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt")
        assert os.path.exists(f"/proc/{pid}/root/dev/loop-control")
    finally:
        g.ensure_shutoff()
        set_conf(env, "")


def test_bad_namespaces_refused(env):
    set_conf(env, 'namespaces = [ "net" ]\n')
    g = env.define("conf8")
    try:
        with dbus_error("org.virtbus.Error.ConfigUnsupported", "namespaces"):
            g.start(1)
        assert g.state()[0] == S.SHUTOFF
    finally:
        set_conf(env, "")


def test_block_copy_onto_a_device(env, loop_pair):
    """A copy's destination on a block device: made in QEMU's /dev (and let
    through the device controller, where there is one) before QEMU opens it,
    gone again when the copy is aborted."""
    set_conf(env, "")
    img = env.root / "bjsrc.raw"
    with open(img, "wb") as f:
        f.truncate(4 << 20)
    dev = loop_pair[1]
    g = env.define("conf9", nic=None, extra_devices=(
        f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{img}'/>"
        f"<target dev='vdb' bus='virtio'/></disk>"))
    try:
        g.start(1)
        pid = g.pid()
        node = f"/proc/{pid}/root{dev}"
        assert not os.path.exists(node)
        since = env.mon.mark()
        g.call("BlockCopy", "vdb", f"<disk type='block'><source dev='{dev}'/><driver type='raw'/></disk>", {},
               2)  # REUSE_EXT
        env.mon.wait_signal("BlockJob", DOMAIN_IF, g.path, args=lambda a: a[0] == "vdb" and a[2] == 3,
                            since=since, timeout=120)
        assert os.stat(node).st_rdev == os.stat(dev).st_rdev
        assert opened_by(pid, dev)
        rules = devices_list(pid)
        if rules is not None:
            assert rule(dev, "rw") in rules, rules
        g.call("BlockJobAbort", "vdb", 0)
        env.mon.wait_signal("BlockJob", DOMAIN_IF, g.path, args=lambda a: a[0] == "vdb" and a[2] == 2,
                            since=since, timeout=60)
        assert not os.path.exists(node)
        if rules is not None:
            assert rule(dev, "rw") not in devices_list(pid)
    finally:
        g.ensure_shutoff()


def test_hotplug_after_qemud_sigkill(env, loop_pair):
    """qemud SIGKILLed and started again still finds QEMU's namespace (the
    kernel says it, nothing is remembered) and makes and removes the node."""
    set_conf(env, "")
    plugged = loop_pair[1]
    g = env.define("conf10", tick=True, nic=None,
                   extra_devices=block_disk(loop_pair[0], "vdb") + "\n" + hotplug_ports())
    try:
        g.start()
        pid = g.pid()
        g.wait_ready()
        env.qemud.restart()
        h.wait_until(lambda: g.state()[0] == S.RUNNING, 30, 0.2, "conf10 running after the restart")
        assert g.pid() == pid
        node = f"/proc/{pid}/root{plugged}"
        g.call("AttachDevice", block_disk(plugged, "vdc"), 1)
        assert os.stat(node).st_rdev == os.stat(plugged).st_rdev and opened_by(pid, plugged)
        mark = env.mon.mark()
        g.call("DetachDevice", block_disk(plugged, "vdc"), 1)
        env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, since=mark, timeout=60)
        h.wait_until(lambda: not os.path.exists(node), 10, 0.1, f"{plugged} gone from QEMU's /dev")
    finally:
        g.ensure_shutoff()


def apparmor_enabled():
    try:
        return open("/sys/module/apparmor/parameters/enabled").read().strip() == "Y"
    except OSError:
        return False


def test_apparmor_driver_refused_without_apparmor(env):
    """security_driver = "apparmor" on a host whose kernel has no AppArmor
    (these hosts: the driver's load, exec and removal never run here) is
    refused at the start, naming it, the guest left shut off."""
    if apparmor_enabled():
        pytest.skip("AppArmor is enabled on this host: the refusal cannot be seen")
    set_conf(env, 'security_driver = "apparmor"\n')
    g = env.define("conf11")
    try:
        with dbus_error("org.virtbus.Error.ConfigUnsupported", "apparmor", "not available"):
            g.start(1)
        assert g.state()[0] == S.SHUTOFF
    finally:
        set_conf(env, "")


def test_overlay_on_a_block_device(env, loop_pair):
    """A qcow2 overlay (a file) whose backing layer is a block device: the
    layer's node is in QEMU's /dev at the start, and QEMU opens it."""
    set_conf(env, "")
    if not shutil.which("qemu-img"):
        pytest.skip("qemu-img is not installed")
    dev = loop_pair[0]
    top = env.root / "ovl.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", dev, "-F", "raw", str(top)], check=True)
    g = env.define("conf12", nic=None, extra_devices=(
        f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{top}'/>"
        f"<target dev='vdb' bus='virtio'/></disk>"))
    try:
        g.start(1)
        pid = g.pid()
        assert os.stat(f"/proc/{pid}/root{dev}").st_rdev == os.stat(dev).st_rdev
        assert opened_by(pid, dev)
    finally:
        g.ensure_shutoff()


# --- cgroup v2: the BPF device filter (common/cgroup-bpf.c) ----------------------
#
# A v2 host (or, here, a hybrid host's /sys/fs/cgroup/unified chosen with
# VIRTBUS_CGROUP_DEVICES=bpf) filters QEMU's devices with a BPF program
# attached to its cgroup. What a process of that cgroup may open is asked of
# the kernel itself: a shell joins the cgroup and opens the node.

@pytest.fixture
def bpf_filter(env):
    if cgroup_bpf.cgroup2_base() is None:
        pytest.skip("no cgroup2 hierarchy on this host (/sys/fs/cgroup or /sys/fs/cgroup/unified)")
    set_conf(env, "")
    env.qemud.extra_env["VIRTBUS_CGROUP_DEVICES"] = "bpf"
    env.qemud.restart(signal.SIGTERM)
    yield
    env.qemud.extra_env.pop("VIRTBUS_CGROUP_DEVICES", None)
    env.qemud.restart(signal.SIGTERM)


def filter_of(pid):
    """QEMU's cgroup2 folder and its one device program; skips where the
    kernel loads none."""
    folder = cgroup_bpf.cgroup_of(pid)
    assert folder and "machine-qemu" in folder, folder
    progs = cgroup_bpf.device_programs(folder)
    if not progs:
        pytest.skip("this kernel attached no cgroup device program (qemud's log says why)")
    assert len(progs) == 1, progs
    return folder, progs[0]


def test_bpf_filter_start_hotplug_restart(env, bpf_filter, loop_pair):
    """QEMU starts under the filter and opens its read-only disk; a process
    of its cgroup reads that disk but may not write it, and opens no other
    node; a hot-plugged disk is let through before QEMU opens it; after a
    qemud SIGKILL the program is found again (its list read back from the
    kernel): the next hot-plug swaps it, keeping the first disk's rule; the
    cgroup and the program are gone after the stop."""
    disk, plugged = loop_pair
    g = env.define("bpf1", nic=None, extra_devices=block_disk(disk, "vdb", readonly=True) + "\n" + hotplug_ports())
    try:
        g.start(1)
        pid = g.pid()
        folder, prog = filter_of(pid)
        assert opened_by(pid, disk)
        assert cgroup_bpf.can_open(folder, disk)
        assert not cgroup_bpf.can_open(folder, disk, write=True)
        assert not cgroup_bpf.can_open(folder, plugged)
        assert cgroup_bpf.can_open(folder, "/dev/null", write=True)
        assert not cgroup_bpf.can_open(folder, "/dev/loop-control")

        env.qemud.restart()
        h.wait_until(lambda: g.state()[0] == S.PAUSED, 30, 0.2, "bpf1 paused after the restart")
        assert cgroup_bpf.device_programs(folder) == [prog]
        g.call("AttachDevice", block_disk(plugged, "vdc"), 1)
        assert opened_by(pid, plugged)
        progs = cgroup_bpf.device_programs(folder)
        assert len(progs) == 1 and progs != [prog], progs  # swapped, not added
        assert cgroup_bpf.can_open(folder, plugged, write=True)
        assert cgroup_bpf.can_open(folder, disk) and not cgroup_bpf.can_open(folder, disk, write=True)
        prog = progs[0]

        g.call("Destroy", 0)
        h.wait_until(lambda: not os.path.exists(folder), 15, 0.1, f"{folder} removed")
        h.wait_until(lambda: not cgroup_bpf.program_exists(prog), 15, 0.1, f"BPF program {prog} freed")
    finally:
        g.ensure_shutoff()


def test_bpf_filter_block_copy(env, bpf_filter, loop_pair):
    """A block copy onto a device: let through for the job, taken back when
    the job is aborted."""
    img = env.root / "bpfsrc.raw"
    with open(img, "wb") as f:
        f.truncate(4 << 20)
    dev = loop_pair[1]
    g = env.define("bpf2", nic=None, extra_devices=(
        f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{img}'/>"
        f"<target dev='vdb' bus='virtio'/></disk>"))
    try:
        g.start(1)
        folder, _ = filter_of(g.pid())
        assert not cgroup_bpf.can_open(folder, dev)
        since = env.mon.mark()
        g.call("BlockCopy", "vdb", f"<disk type='block'><source dev='{dev}'/><driver type='raw'/></disk>", {},
               2)  # REUSE_EXT
        env.mon.wait_signal("BlockJob", DOMAIN_IF, g.path, args=lambda a: a[0] == "vdb" and a[2] == 3,
                            since=since, timeout=120)
        assert opened_by(g.pid(), dev)
        assert cgroup_bpf.can_open(folder, dev, write=True)
        g.call("BlockJobAbort", "vdb", 0)
        env.mon.wait_signal("BlockJob", DOMAIN_IF, g.path, args=lambda a: a[0] == "vdb" and a[2] == 2,
                            since=since, timeout=60)
        assert not cgroup_bpf.can_open(folder, dev)
        assert len(cgroup_bpf.device_programs(folder)) == 1
    finally:
        g.ensure_shutoff()


# --- /dev/vhost-net for a NIC hot-plugged into a guest started without one -------

def test_vhost_net_hotplug(guest):
    """QEMU opens /dev/vhost-net itself at netdev_add: the node is made in
    its own /dev and let through its device cgroup before that."""
    if not os.path.exists("/dev/vhost-net"):
        pytest.skip("no /dev/vhost-net on this host (the vhost_net module is not loaded or not built)")
    import test_qemud_network as tnet
    e = tnet.Env(guest)
    try:
        xml = h.guest_domain_xml(guest, "vhost1", nic=None, extra_devices=hotplug_ports())
        path = e.qemud.call("DomainDefineXML", xml)
        e.dcall(path, "Create", 1)  # paused: the guest need not boot
        pid = int((e.root / "run" / "virtbus" / "qemu" / "vhost1.pid").read_text())
        node = f"/proc/{pid}/root/dev/vhost-net"
        private = os.readlink(f"/proc/{pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
        assert not private or not os.path.exists(node)
        e.dcall(path, "AttachDevice", f"<interface type='network'><source network='{tnet.NET}'/>"
                                      "<model type='virtio'/><driver name='vhost'/></interface>", 1)
        assert opened_by(pid, "/dev/vhost-net")
        if private:
            assert os.stat(node).st_rdev == os.stat("/dev/vhost-net").st_rdev
        rules = devices_list(pid)
        if rules is not None and "a *:* rwm" not in rules:
            st = os.stat("/dev/vhost-net")
            assert f"c {os.major(st.st_rdev)}:{os.minor(st.st_rdev)} rw" in rules, rules
        e.dcall(path, "Destroy", 0)
    finally:
        e.close()
