# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-lxcd: LXC containers on the shared domain core. Real namespaces:
each container runs busybox from a root filesystem the test builds in its
temp root (busybox-static). Define/list/undefine, an application container
that prints its hostname and pid and exits (shut off, reason shutdown), a
long-running one destroyed, lxcd SIGKILLed and restarted finding its
container again, bad input refused by name, virsh -c lxc:///system
through the proxy, Shutdown and Reboot (initctl and signals) and the
container's own /proc views (FUSE). Interfaces: test_lxcd_net.py."""

import fcntl
import glob
import os
import re
import shutil
import subprocess
import time
from xml.sax.saxutils import escape

import dbus
import pytest

import virtbus_harness as h

pytestmark = pytest.mark.timeout(120)

BUSYBOX = "/bin/busybox"
SHUTOFF, RUNNING = 5, 1
SHUTOFF_SHUTDOWN, SHUTOFF_DESTROYED, SHUTOFF_CRASHED = 1, 2, 3
EV_STARTED, EV_STOPPED = 2, 5
EV_STOPPED_SHUTDOWN, EV_STOPPED_DESTROYED, EV_STOPPED_CRASHED = 0, 1, 2


APPLETS = ("sh", "echo", "hostname", "sleep", "cat", "ls", "id", "mount", "true", "false")


def make_rootfs(r, applets=APPLETS):
    """A busybox root filesystem in r (a Path); skips without busybox-static
    or root."""
    if not os.path.exists(BUSYBOX):
        pytest.skip("busybox-static is not installed (/bin/busybox)")
    if os.geteuid() != 0:
        pytest.skip("containers need root (namespaces, mounts)")
    for d in ("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "data", "run"):
        (r / d).mkdir(parents=True, exist_ok=True)
    shutil.copy(BUSYBOX, r / "bin" / "busybox")
    # relative links: they resolve the same inside the container and on the host
    for app in applets:
        os.symlink("busybox", r / "bin" / app)
    (r / "etc" / "passwd").write_text("root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
    (r / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    return r


@pytest.fixture
def rootfs(vroot):
    return make_rootfs(vroot / "rootfs")


@pytest.fixture
def lxcd(daemon):
    d = daemon("lxcd")
    yield d
    # A failed test may leave a container running: destroy it while lxcd is
    # there (the root's cleanup kills processes, it knows no cgroups).
    if not d.alive():
        return
    for path in d.call("ListDomains", 0):
        try:
            dirs = cgroup_dirs(d, path)
            if state(d, path)[0] != SHUTOFF:
                d.domain_call(path, "Destroy", 0)
            for c in dirs:
                if os.path.exists(c):
                    os.rmdir(c)
        except Exception as e:  # noqa: BLE001 - best effort, reported
            print(f"cleanup of {path}: {e}")


def container_xml(name, rootfs, init="/bin/sh", args=(), extra_os="", devices=""):
    initargs = "".join(f"<initarg>{escape(a)}</initarg>" for a in args)
    return f"""<domain type='lxc'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type>exe</type><init>{init}</init>{initargs}{extra_os}</os>
  <devices>
    <filesystem type='mount'><source dir='{rootfs}'/><target dir='/'/></filesystem>
    {devices}
  </devices>
</domain>"""


def state(lxcd, path):
    return tuple(int(x) for x in lxcd.domain_call(path, "GetState", 0))


def log_of(vroot, name):
    """The container's console: logd's file (or lxcd's own without logd)."""
    found = list(vroot.path.rglob(f"lxc/{name}.log"))
    return found[0].read_text(errors="replace") if found else ""


def is_supervisor(pid):
    """lxcd forks its supervisors, named lxcd-supervise (comm)."""
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip() == "lxcd-supervise"


def container_pids(vroot):
    """Supervisors (and so containers) of this test's lxcd."""
    pids = []
    for pid in h.pids_mentioning(str(vroot.path)):
        try:
            if is_supervisor(pid):
                pids.append(pid)
        except OSError:
            pass
    return pids


def cgroup_dirs(lxcd, path):
    """The container's cgroup folders (v2: one; v1: one per hierarchy):
    machine-lxc\\x2d<id>\\x2d<name>.scope in this root's partition."""
    name = str(lxcd.get_property(path, "org.libvirt.Domain", "Name"))
    scope = "machine-lxc\\x2d*" + glob.escape(f"\\x2d{name}.scope")
    part = h.cgroup_partition(lxcd.root)
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return glob.glob(f"/sys/fs/cgroup/{part}/{scope}")
    return [d for c in ("freezer", "memory", "cpuacct", "cpu", "cpuset", "blkio", "pids")
            for d in glob.glob(f"/sys/fs/cgroup/{c}/{part}/{scope}")]


def frozen(dirs):
    for d in dirs:
        if os.path.exists(f"{d}/cgroup.freeze"):
            return open(f"{d}/cgroup.freeze").read().strip() == "1"
        if os.path.exists(f"{d}/freezer.state"):
            return open(f"{d}/freezer.state").read().strip() == "FROZEN"
    raise AssertionError(f"no freezer in {dirs}")


def memory_limit(dirs):
    for d in dirs:
        for f in ("memory.max", "memory.limit_in_bytes"):
            if os.path.exists(f"{d}/{f}"):
                return int(open(f"{d}/{f}").read())
    raise AssertionError(f"no memory controller in {dirs}")


def test_define_list_undefine(lxcd, rootfs):
    path = lxcd.call("DomainDefineXML", container_xml("c1", rootfs, args=("-c", "true")))
    assert [str(p) for p in lxcd.call("ListDomains", 0)] == [str(path)]
    xml = str(lxcd.domain_call(path, "GetXMLDesc", 0))
    assert "type='lxc'" in xml or 'type="lxc"' in xml
    assert "<type>exe</type>" in xml and "<init>/bin/sh</init>" in xml
    assert state(lxcd, path) == (SHUTOFF, 0)
    lxcd.domain_call(path, "Undefine", 0)
    assert list(lxcd.call("ListDomains", 0)) == []


def test_application_container(lxcd, rootfs, vroot, bus_monitor):
    script = ("echo hello; hostname; echo pid=$$; ls /data; test -t 1 && echo on-a-tty; "
              "echo via-console > /dev/console")
    (rootfs.parent / "shared").mkdir()
    (rootfs.parent / "shared" / "marker-file").write_text("x")
    fs = (f"<filesystem type='mount'><source dir='{rootfs.parent / 'shared'}'/>"
          "<target dir='/data'/><readonly/></filesystem>"
          "<filesystem type='ram'><source usage='1024' units='KiB'/><target dir='/tmp'/></filesystem>")
    path = lxcd.call("DomainDefineXML", container_xml("app1", rootfs, args=("-c", script), devices=fs))
    mark = bus_monitor.mark()
    lxcd.domain_call(path, "Create", 0)
    bus_monitor.wait_domain_event(path, EV_STARTED, since=mark)
    bus_monitor.wait_domain_event(path, EV_STOPPED, EV_STOPPED_SHUTDOWN, since=mark)
    assert state(lxcd, path) == (SHUTOFF, SHUTOFF_SHUTDOWN)
    # logd (D-Bus activated) writes it from its pipe: it may lag a little
    h.wait_until(lambda: "via-console" in log_of(vroot, "app1"), 10, what="the container's log")
    out = log_of(vroot, "app1")
    # the console went through logd, started by D-Bus activation
    assert lxcd.bus.name_has_owner("org.virtbus.logd")
    assert "hello" in out and "\napp1\n" in out and "pid=1\n" in out and "marker-file" in out, out
    # its stdio is the console, a pty the supervisor copies to the log
    assert "on-a-tty\n" in out and "via-console\n" in out, out
    h.wait_until(lambda: not container_pids(vroot), 10, what="the supervisor to be gone")


def test_user_namespace(lxcd, rootfs, vroot, bus_monitor):
    """<idmap>: the init runs as root of a user namespace whose ids are
    100000.. on the host."""
    idmap = ("<idmap><uid start='0' target='100000' count='65536'/>"
             "<gid start='0' target='100000' count='65536'/></idmap>")
    script = "cat /proc/self/uid_map; echo uid=$(id -u); hostname; cat /proc/meminfo"
    xml = container_xml("user1", rootfs, args=("-c", script)).replace("<devices>", idmap + "<devices>")
    path = lxcd.call("DomainDefineXML", xml)
    mark = bus_monitor.mark()
    lxcd.domain_call(path, "Create", 0)
    bus_monitor.wait_domain_event(path, EV_STOPPED, EV_STOPPED_SHUTDOWN, since=mark)
    h.wait_until(lambda: "user1\n" in log_of(vroot, "user1"), 10, what="the container's log")
    out = log_of(vroot, "user1")
    assert "uid=0\n" in out and "user1\n" in out, out
    # the /proc views reach a user namespace too
    assert re.search(r"^MemTotal:\s+65536 kB$", out, re.M), out
    assert re.search(r"^\s*0\s+100000\s+65536\s*$", out, re.M), out
    h.wait_until(lambda: not container_pids(vroot), 10, what="the supervisor to be gone")


def inits_of(vroot):
    """The containers' inits: each supervisor's only child."""
    inits = []
    for sup in container_pids(vroot):
        with open(f"/proc/{sup}/task/{sup}/children") as f:
            inits += [int(p) for p in f.read().split()]
    return inits


NS_GET_USERNS = 0xb701


def spare_netns(lxcd):
    fds = f"/proc/{lxcd.proc.pid}/fd"
    return [os.readlink(f"{fds}/{f}") for f in os.listdir(fds) if os.readlink(f"{fds}/{f}").startswith("net:")]


def test_network_namespaces(lxcd, rootfs, vroot):
    """Each container has a network namespace of its own, with lo up
    (lxcd makes the next one ahead, while idle); one with <idmap> makes its
    own, owned by its user namespace."""
    xml = container_xml("ns2", rootfs, init="/bin/sleep", args=("1000",))
    paths = [lxcd.call("DomainDefineXML", container_xml(f"ns{i}", rootfs, init="/bin/sleep", args=("1000",)))
             for i in range(2)]
    paths.append(lxcd.call("DomainDefineXML", xml.replace("<devices>", IDMAP + "<devices>")))
    for p in paths:
        lxcd.domain_call(p, "Create", 0)
    h.wait_until(lambda: len(inits_of(vroot)) == 3, 10, what="three inits")
    # the next container's is ready in lxcd, in none of theirs
    h.wait_until(lambda: spare_netns(lxcd), 10, what="lxcd's spare network namespace")
    inits = inits_of(vroot)
    nets = {os.stat(f"/proc/{p}/ns/net").st_ino for p in inits}
    assert len(nets) == 3 and os.stat("/proc/self/ns/net").st_ino not in nets
    for p in inits:
        out = subprocess.run(["nsenter", "-t", str(p), "-n", "ip", "-o", "link", "show"], capture_output=True,
                             text=True, check=True).stdout
        assert len(out.splitlines()) == 1 and re.search(r"^1: lo: <LOOPBACK,UP", out), out
        assert f"net:[{os.stat(f'/proc/{p}/ns/net').st_ino}]" not in spare_netns(lxcd)
        with open(f"/proc/{p}/uid_map") as f:
            userns = f.read().split()[:2] != ["0", "0"]
        fd = os.open(f"/proc/{p}/ns/net", os.O_RDONLY)
        try:
            owner = fcntl.ioctl(fd, NS_GET_USERNS)
            try:
                owned_by_own = os.fstat(owner).st_ino == os.stat(f"/proc/{p}/ns/user").st_ino
            finally:
                os.close(owner)
        finally:
            os.close(fd)
        assert owned_by_own, f"init {p}: its network namespace is not its user namespace's"
        assert userns == (os.stat(f"/proc/{p}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino)
        # the container's root is uid 100000 on the host: no one in particular
        with open(f"/proc/{p}/status") as f:
            uids = re.search(r"^Uid:\s+(.*)$", f.read(), re.M).group(1).split()
        assert uids == (["100000"] * 4 if userns else ["0"] * 4), uids
    for p in paths:
        lxcd.domain_call(p, "Destroy", 0)
        lxcd.domain_call(p, "Undefine", 0)
    h.wait_until(lambda: not container_pids(vroot), 10, what="the supervisors to be gone")


def test_destroy_and_restart(lxcd, rootfs, vroot, bus_monitor):
    path = lxcd.call("DomainDefineXML", container_xml("long1", rootfs, init="/bin/sleep", args=("1000",)))
    lxcd.domain_call(path, "Create", 0)
    assert state(lxcd, path) == (RUNNING, 1)
    supervisor = int(lxcd.get_property(path, "org.libvirt.Domain", "Id") or 0)
    assert supervisor > 0
    # lxcd SIGKILLed and back: the container kept running and is found again
    lxcd.kill()
    lxcd.start()
    assert state(lxcd, path) == (RUNNING, 1)
    # its cgroup: memory.max from <memory>, Suspend/Resume with the freezer
    dirs = cgroup_dirs(lxcd, path)
    assert memory_limit(dirs) == 64 << 20
    lxcd.domain_call(path, "Suspend")
    assert state(lxcd, path) == (3, 1) and frozen(dirs)
    lxcd.domain_call(path, "Resume")
    assert state(lxcd, path) == (RUNNING, 5) and not frozen(dirs)
    # GetStats from the cgroup
    st = lxcd.domain_call(path, "GetStats", 0, 0)
    assert st["state.state"] == RUNNING and st["balloon.maximum"] == 64 << 10, st
    assert 0 < st["balloon.current"] <= 64 << 10 and "cpu.time" in st, st
    # Destroy of a paused container (a frozen process dies only once thawed)
    lxcd.domain_call(path, "Suspend")
    mark = bus_monitor.mark()
    lxcd.domain_call(path, "Destroy", 0)
    assert state(lxcd, path) == (SHUTOFF, SHUTOFF_DESTROYED)
    bus_monitor.wait_domain_event(path, EV_STOPPED, EV_STOPPED_DESTROYED, since=mark)
    h.wait_until(lambda: not container_pids(vroot), 10, what="the container's processes to be gone")
    assert not any(os.path.exists(d) for d in dirs), dirs


def test_tuning_in_the_cgroup(lxcd, rootfs, vroot):
    """<vcpu cpuset>, <memtune>, <cputune> and <blkiotune> written to the container's cgroup
    (machine-lxc\\x2d<id>\\x2d<name>.scope) through the shared module."""
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    dev = next((f"/dev/{n}" for n in sorted(os.listdir("/sys/block"))
                if not n.startswith(("loop", "ram", "zram")) and os.path.exists(f"/dev/{n}")), None)
    tune = ("<vcpu cpuset='0'>1</vcpu>"
            "<memtune><hard_limit unit='MiB'>48</hard_limit><soft_limit unit='MiB'>32</soft_limit></memtune>"
            "<cputune><shares>512</shares><quota>50000</quota></cputune>")
    if dev:
        tune += f"<blkiotune><device><path>{dev}</path><read_bytes_sec>4194304</read_bytes_sec></device></blkiotune>"
    xml = container_xml("tune1", rootfs, init="/bin/sleep", args=("1000",)).replace(
        "<memory unit='MiB'>64</memory>", "<memory unit='MiB'>64</memory>" + tune)
    path = lxcd.call("DomainDefineXML", xml)
    lxcd.domain_call(path, "Create", 0)
    dom_id = lxcd.get_property(path, "org.libvirt.Domain", "Id")
    dirs = cgroup_dirs(lxcd, path)
    assert dirs and all(d.endswith(f"/machine-lxc\\x2d{dom_id}\\x2dtune1.scope") for d in dirs), dirs
    assert memory_limit(dirs) == 48 << 20
    by = {d.split("/")[4] if not v2 else "": d for d in dirs}
    if v2:
        d = by[""]
        assert open(f"{d}/memory.high").read().strip() == str(32 << 20)
        assert open(f"{d}/cpu.weight").read().strip() == "512"
        assert open(f"{d}/cpu.max").read().split()[0] == "50000"
    else:
        assert open(f"{by['memory']}/memory.soft_limit_in_bytes").read().strip() == str(32 << 20)
        assert open(f"{by['cpu']}/cpu.shares").read().strip() == "512"
        assert open(f"{by['cpu']}/cpu.cfs_quota_us").read().strip() == "50000"
    # <vcpu cpuset>: the container's processes on those CPUs, as under libvirt
    assert open(f"{by['' if v2 else 'cpuset']}/cpuset.cpus").read().strip() == "0"
    h.wait_until(lambda: inits_of(vroot), 10, what="the init")
    status = open(f"/proc/{inits_of(vroot)[0]}/status").read()
    assert re.search(r"^Cpus_allowed_list:\s+0$", status, re.M), status
    if dev:
        st = os.stat(dev)
        majmin = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        text = open(f"{by['']}/io.max").read() if v2 else \
            open(f"{by['blkio']}/blkio.throttle.read_bps_device").read()
        assert re.search(rf"^{majmin} (rbps=)?4194304\b", text, re.M), text
    # a running container's limits change at once (live only here)
    lxcd.domain_call(path, "SetMemoryParameters", {"hard_limit": dbus.UInt64(40 << 10, variant_level=1)}, 1)
    assert memory_limit(dirs) == 40 << 20
    assert lxcd.domain_call(path, "GetMemoryParameters", 2)["hard_limit"] == 48 << 10
    with h.expect_dbus_error("org.virtbus.Error.InvalidArg"):
        lxcd.domain_call(path, "SetMemoryParameters", {"hard_limit": dbus.UInt64(80 << 10, variant_level=1),
                                                      "swap_hard_limit": dbus.UInt64(60 << 10, variant_level=1)}, 1)
    assert memory_limit(dirs) == 40 << 20
    lxcd.domain_call(path, "Destroy", 0)
    h.wait_until(lambda: not any(os.path.exists(d) for d in dirs), 10, what="the container's cgroup to go")


def test_shutdown(lxcd, rootfs, vroot, bus_monitor):
    """Shutdown: SIGTERM to the init, which decides (here: a trap)."""
    script = "trap 'echo bye; exit 0' TERM; echo up; while true; do sleep 0.1; done"
    path = lxcd.call("DomainDefineXML", container_xml("down1", rootfs, args=("-c", script)))
    lxcd.domain_call(path, "Create", 0)
    # its own line: the log's header ("starting up") is there before the
    # shell has its trap, and a pid namespace's init ignores an untrapped TERM
    h.wait_until(lambda: "\nup\n" in log_of(vroot, "down1"), 10, what="the container's shell")
    mark = bus_monitor.mark()
    lxcd.domain_call(path, "Shutdown", 0)
    bus_monitor.wait_domain_event(path, EV_STOPPED, EV_STOPPED_SHUTDOWN, since=mark)
    assert state(lxcd, path) == (SHUTOFF, SHUTOFF_SHUTDOWN)
    h.wait_until(lambda: "bye" in log_of(vroot, "down1"), 10, what="the container's log")


def test_ended_while_lxcd_was_down(lxcd, rootfs, vroot):
    """A container whose init ended while lxcd was SIGKILLed is shut off
    with the reason its supervisor left behind."""
    path = lxcd.call("DomainDefineXML", container_xml("gone1", rootfs, init="/bin/sleep", args=("1",)))
    lxcd.domain_call(path, "Create", 0)
    lxcd.kill()
    h.wait_until(lambda: not container_pids(vroot), 10, what="the container to end")
    lxcd.start()
    assert state(lxcd, path) == (SHUTOFF, SHUTOFF_SHUTDOWN)
    assert not any(os.path.exists(d) for d in cgroup_dirs(lxcd, path))


def test_init_killed_is_a_crash(lxcd, rootfs, vroot, bus_monitor):
    """The init killed from outside (a container's pid 1 ignores what it
    has no handler for, even its own SIGSEGV: SIGKILL from the host is the
    crash we can make) is a crash, as libvirt's LXC driver reports it."""
    path = lxcd.call("DomainDefineXML", container_xml("crash1", rootfs, init="/bin/sleep", args=("1000",)))
    lxcd.domain_call(path, "Create", 0)
    [supervisor] = container_pids(vroot)
    with open(f"/proc/{supervisor}/task/{supervisor}/children") as f:
        [init] = [int(x) for x in f.read().split()]
    mark = bus_monitor.mark()
    os.kill(init, 9)
    bus_monitor.wait_domain_event(path, EV_STOPPED, EV_STOPPED_CRASHED, since=mark)
    assert state(lxcd, path) == (SHUTOFF, SHUTOFF_CRASHED)
    h.wait_until(lambda: not container_pids(vroot), 10, what="the supervisor to be gone")


BAD = [
    ("missing source", "<filesystem type='mount'><source dir='{root}/nonexistent'/>"
     "<target dir='/mnt'/></filesystem>", "start", "does not exist"),
    ("dotdot source", "<filesystem type='mount'><source dir='{root}/../etc'/>"
     "<target dir='/mnt'/></filesystem>", "define", ".."),
    ("disk", "<disk type='file' device='disk'><source file='/dev/null'/><target dev='vda'/></disk>",
     "define", "disk"),
    ("graphics", "<graphics type='vnc'/>", "define", "graphics"),
    # what the shared model parses for virtual machines: refused by name, never ignored
    ("memory device", "<memory model='virtio-mem'><target><size unit='MiB'>128</size><node>0</node>"
     "<block unit='MiB'>2</block><requested unit='MiB'>0</requested></target></memory>", "define",
     "unsupported configuration: <devices/memory model='virtio-mem'> is not supported by the LXC driver"),
    ("tpm", "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>",
     "define", "unsupported configuration: <devices/tpm> (backend 'passthrough') is not supported by the LXC driver"),
    ("hub", "<hub type='usb'/>", "define",
     "unsupported configuration: <devices/hub type='usb'> is not supported by the LXC driver"),
    ("lease", "<lease><lockspace>a</lockspace><key>k</key><target path='/l'/></lease>", "define",
     "unsupported configuration: <devices/lease> is not supported by the LXC driver (lockspace 'a' key 'k')"),
    ("usb disk", "<disk type='file' device='disk'><source file='/dev/null'/><target dev='sda' bus='usb'/></disk>",
     "define", "unsupported configuration: the LXC driver does not support <devices/disk> (target 'sda')"),
    ("tcp serial", "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='4555'/>"
     "<protocol type='raw'/></serial>", "define",
     "unsupported configuration: the LXC driver does not support <devices/serial>"),
    ("udp serial", "<serial type='udp'><source mode='bind' host='127.0.0.1' service='4556'/>"
     "<source mode='connect' host='127.0.0.1' service='4557'/></serial>", "define",
     "unsupported configuration: the LXC driver does not support <devices/serial>"),
    ("pci hostdev", "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='6' slot='0x12' "
     "function='5'/></source></hostdev>", "define",
     "unsupported configuration: the LXC driver does not support <hostdev mode='subsystem' type='pci'>"),
    ("usb hostdev", "<hostdev mode='subsystem' type='usb'><source><address bus='1' device='2'/></source>"
     "</hostdev>", "define",
     "unsupported configuration: the LXC driver does not support <hostdev mode='subsystem' type='usb'>"),
]


@pytest.mark.parametrize("what,device,when,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_input(lxcd, rootfs, vroot, what, device, when, needle):
    xml = container_xml("bad1", rootfs, args=("-c", "true"), devices=device.format(root=vroot.path))
    if when == "define":
        with pytest.raises(Exception) as e:
            lxcd.call("DomainDefineXML", xml)
        assert needle in str(e.value), str(e.value)
        assert list(lxcd.call("ListDomains", 0)) == []
        return
    path = lxcd.call("DomainDefineXML", xml)
    with pytest.raises(Exception) as e:
        lxcd.domain_call(path, "Create", 0)
    assert needle in str(e.value) and "nonexistent" in str(e.value), str(e.value)
    assert state(lxcd, path)[0] == SHUTOFF
    assert not container_pids(vroot)
    assert not any(os.path.exists(d) for d in cgroup_dirs(lxcd, path))
    assert not mounts_mentioning(vroot)


def test_bad_cpuset(lxcd, rootfs, vroot):
    """<vcpu cpuset> naming a CPU the host does not have: the start fails by
    name, nothing is left (no supervisor, cgroup or mount)."""
    cpu = os.cpu_count()
    xml = container_xml("badcpu", rootfs, args=("-c", "true")).replace(
        "<memory unit='MiB'>64</memory>", f"<memory unit='MiB'>64</memory><vcpu cpuset='{cpu}'>1</vcpu>")
    path = lxcd.call("DomainDefineXML", xml)
    with h.expect_dbus_error("org.virtbus.Error.OperationFailed") as e:
        lxcd.domain_call(path, "Create", 0)
    assert f"CPUs '{cpu}' of <vcpu cpuset>" in e.message and "online" in e.message, e.message
    assert state(lxcd, path) == (SHUTOFF, 0)
    assert not container_pids(vroot)
    assert not any(os.path.exists(d) for d in cgroup_dirs(lxcd, path))
    assert not mounts_mentioning(vroot)
    lxcd.domain_call(path, "Undefine", 0)


def test_bad_init_and_idmap(lxcd, rootfs, vroot):
    path = lxcd.call("DomainDefineXML", container_xml("bad2", rootfs, init="/bin/nosuchinit"))
    with h.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
        lxcd.domain_call(path, "Create", 0)
    assert "/bin/nosuchinit" in e.message and "does not exist" in e.message
    assert state(lxcd, path) == (SHUTOFF, 0)
    assert not container_pids(vroot)
    assert not any(os.path.exists(d) for d in cgroup_dirs(lxcd, path))
    assert not mounts_mentioning(vroot)
    idmap = ("<idmap><uid start='0' target='100000' count='1000'/><uid start='500' target='200000' count='10'/>"
             "<gid start='0' target='100000' count='1000'/></idmap>")
    xml = container_xml("bad3", rootfs).replace("<devices>", idmap + "<devices>")
    with pytest.raises(Exception) as e:
        lxcd.call("DomainDefineXML", xml)
    assert "overlap" in str(e.value)


def test_container_setup_fails(lxcd, rootfs, vroot):
    """A failure inside the new namespaces (here: a mount point that cannot
    be made) comes back from the supervisor, named; nothing is left."""
    fs = (f"<filesystem type='mount'><source dir='{rootfs}/etc'/>"
          "<target dir='/etc/passwd/sub'/></filesystem>")
    path = lxcd.call("DomainDefineXML", container_xml("setup1", rootfs, args=("-c", "true"), devices=fs))
    with h.expect_dbus_error("org.virtbus.Error.OperationFailed") as e:
        lxcd.domain_call(path, "Create", 0)
    assert "cannot make the mount point /etc/passwd/sub" in e.message, e.message
    assert state(lxcd, path) == (SHUTOFF, 6)   # failed, as libvirt says of a start that broke
    h.wait_until(lambda: not container_pids(vroot), 10, what="the supervisor to be gone")
    assert not any(os.path.exists(d) for d in cgroup_dirs(lxcd, path))
    assert not mounts_mentioning(vroot)
    lxcd.domain_call(path, "Undefine", 0)


def test_failing_starts_leave_nothing(lxcd, rootfs, vroot):
    """Starts whose init fails at once, one after the other: the supervisor
    ends while its own thread may still be looking the /proc views up, and
    must not hang on that lookup (it once did, for good: a zombie holding
    its cgroup). Each leaves no supervisor and no cgroup."""
    fs = (f"<filesystem type='mount'><source dir='{rootfs}/etc'/>"
          "<target dir='/bin/sh/sub'/></filesystem>")
    path = lxcd.call("DomainDefineXML", container_xml("fail1", rootfs, args=("-c", "true"), devices=fs))
    for _ in range(20):
        with h.expect_dbus_error("org.virtbus.Error.OperationFailed"):
            lxcd.domain_call(path, "Create", 0)
        assert state(lxcd, path)[0] == SHUTOFF
    h.wait_until(lambda: not container_pids(vroot), 10, what="the supervisors to be gone")
    assert not any(os.path.exists(d) for d in cgroup_dirs(lxcd, path))
    lxcd.domain_call(path, "Undefine", 0)


def test_virsh_lxc(lxcd, rootfs, vroot, bus):
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    proxy = h.Proxy(bus, vroot).start()
    try:
        uri = f"lxc+unix:///system?socket={proxy.socket}"
        f = vroot / "v1.xml"
        f.write_text(container_xml("v1", rootfs, init="/bin/sleep", args=("1000",)))
        proxy.virsh("define", f, uri=uri)
        proxy.virsh("start", "v1", uri=uri)
        out = proxy.virsh("list", "--all", uri=uri).stdout
        assert "v1" in out and "running" in out, out
        out = proxy.virsh("domstats", "v1", uri=uri).stdout
        assert "state.state=1" in out and "balloon.maximum=65536" in out, out
        proxy.virsh("suspend", "v1", uri=uri)
        assert "paused" in proxy.virsh("domstate", "v1", uri=uri).stdout
        proxy.virsh("resume", "v1", uri=uri)
        proxy.virsh("destroy", "v1", uri=uri)
        out = proxy.virsh("domstate", "v1", "--reason", uri=uri).stdout
        assert "shut off (destroyed)" in out, out
        proxy.virsh("undefine", "v1", uri=uri)
        out = proxy.virsh("list", "--all", "--name", uri=uri).stdout
        assert "v1" not in out
    finally:
        proxy.stop()


# Shutdown/Reboot flags (VIR_DOMAIN_SHUTDOWN_* and VIR_DOMAIN_REBOOT_*)
POWER_INITCTL, POWER_SIGNAL = 4, 8

# A sysvinit stand-in: it listens on /run/initctl, reads one request and
# acts on its runlevel with reboot(2) (-f), which in a pid namespace ends
# the init by SIGHUP (reboot) or SIGINT (power off). The $$ = 1 guard
# keeps reboot(2) inside a pid namespace, whatever happens.
# The FIFO is held open for reading from before "boot-N" on, so a request
# sent as soon as the test sees it always finds a listener (a reader opened
# afresh each round would leave windows with none: lxcd would then fall back
# to a signal, which a shell as pid 1 ignores).
INITCTL_INIT = (
    "rm -f /run/initctl; mkfifo /run/initctl; exec 3<>/run/initctl; "
    "b=$(( $(cat /tmp/boots 2>/dev/null || echo 0) + 1 )); echo $b > /tmp/boots; echo boot-$b; "
    "while true; do "
    "lvl=$(dd bs=384 count=1 <&3 2>/dev/null | dd bs=1 skip=8 count=1 2>/dev/null); "
    "echo runlevel-$lvl; "
    "[ $$ = 1 ] && [ \"$lvl\" = 6 ] && reboot -f; "
    "[ $$ = 1 ] && [ \"$lvl\" = 0 ] && poweroff -f; done")

# No initctl: SIGHUP reboots, SIGTERM shuts down.
SIGNAL_INIT = (
    "b=$(( $(cat /tmp/boots 2>/dev/null || echo 0) + 1 )); echo $b > /tmp/boots; "
    "trap '[ $$ = 1 ] && reboot -f' HUP; trap 'echo got-term; exit 0' TERM; "
    "echo boot-$b; while true; do sleep 0.1; done")

POWER_APPLETS = APPLETS + ("mkfifo", "dd", "rm", "reboot", "poweroff")


def supervisor_of(lxcd, path):
    return int(lxcd.get_property(path, "org.libvirt.Domain", "Id") or 0)


def test_initctl_reboot_and_shutdown(lxcd, vroot, bus_monitor):
    """Reboot and Shutdown through the container's initctl FIFO, as
    libvirt's LXC driver: the init reboots (SIGHUP in its pid namespace),
    the container starts again (the Reboot signal, still running, a new
    supervisor); then it powers off (SIGINT): shut off, reason shutdown."""
    rootfs = make_rootfs(vroot / "rootfs", POWER_APPLETS)
    path = lxcd.call("DomainDefineXML", container_xml("pw1", rootfs, args=("-c", INITCTL_INIT)))
    lxcd.domain_call(path, "Create", 0)
    h.wait_until(lambda: "boot-1\n" in log_of(vroot, "pw1"), 10, what="the container's first boot")
    first = supervisor_of(lxcd, path)
    mark = bus_monitor.mark()
    lxcd.domain_call(path, "Reboot", POWER_INITCTL)
    bus_monitor.wait_signal("Reboot", interface="org.libvirt.Domain", path=path, since=mark)
    h.wait_until(lambda: "boot-2\n" in log_of(vroot, "pw1"), 10, what="the container's second boot")
    assert "runlevel-6\n" in log_of(vroot, "pw1")
    assert state(lxcd, path) == (RUNNING, 1)
    assert supervisor_of(lxcd, path) not in (0, first)
    # a reboot is no stop and start
    assert not bus_monitor.signals("DomainEvent", args=[path, EV_STOPPED], since=mark)
    # Shutdown with no flags: initctl first
    mark = bus_monitor.mark()
    lxcd.domain_call(path, "Shutdown", 0)
    bus_monitor.wait_domain_event(path, EV_STOPPED, EV_STOPPED_SHUTDOWN, since=mark)
    assert state(lxcd, path) == (SHUTOFF, SHUTOFF_SHUTDOWN)
    assert "runlevel-0\n" in log_of(vroot, "pw1")
    h.wait_until(lambda: not container_pids(vroot), 10, what="the supervisor to be gone")
    assert not any(os.path.exists(d) for d in cgroup_dirs(lxcd, path))


def test_signal_reboot_and_flags(lxcd, vroot, bus_monitor):
    """With no initctl listener: INITCTL alone is refused, named; SIGNAL
    sends SIGHUP (reboot) and SIGTERM (shutdown) to the init; other flags
    are refused. virsh's --mode reaches the same flags through the proxy."""
    rootfs = make_rootfs(vroot / "rootfs", POWER_APPLETS)
    path = lxcd.call("DomainDefineXML", container_xml("pw2", rootfs, args=("-c", SIGNAL_INIT)))
    lxcd.domain_call(path, "Create", 0)
    h.wait_until(lambda: "boot-1\n" in log_of(vroot, "pw2"), 10, what="the container's first boot")
    with h.expect_dbus_error("org.virtbus.Error.OperationInvalid") as e:
        lxcd.domain_call(path, "Shutdown", POWER_INITCTL)
    assert "does not provide an initctl pipe" in e.message, e.message
    with h.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
        lxcd.domain_call(path, "Reboot", 1)
    assert "unsupported flags (0x1)" in e.message, e.message
    assert state(lxcd, path) == (RUNNING, 1)
    mark = bus_monitor.mark()
    lxcd.domain_call(path, "Reboot", POWER_SIGNAL)
    bus_monitor.wait_signal("Reboot", interface="org.libvirt.Domain", path=path, since=mark)
    h.wait_until(lambda: "boot-2\n" in log_of(vroot, "pw2"), 10, what="the container's second boot")
    assert state(lxcd, path) == (RUNNING, 1)
    if shutil.which("virsh"):
        proxy = h.Proxy(lxcd.bus, vroot).start()
        try:
            uri = f"lxc+unix:///system?socket={proxy.socket}"
            proxy.virsh("reboot", "pw2", "--mode", "signal", uri=uri)
            h.wait_until(lambda: "boot-3\n" in log_of(vroot, "pw2"), 10, what="the container's third boot")
            mark = bus_monitor.mark()
            proxy.virsh("shutdown", "pw2", "--mode", "signal", uri=uri)
            bus_monitor.wait_domain_event(path, EV_STOPPED, EV_STOPPED_SHUTDOWN, since=mark)
        finally:
            proxy.stop()
    else:
        print("virsh (libvirt-clients) is not installed: Shutdown over D-Bus only")
        lxcd.domain_call(path, "Shutdown", POWER_SIGNAL)
    h.wait_until(lambda: state(lxcd, path) == (SHUTOFF, SHUTOFF_SHUTDOWN), 10, what="the container to shut off")
    assert "got-term\n" in log_of(vroot, "pw2")
    h.wait_until(lambda: not container_pids(vroot), 10, what="the supervisor to be gone")


def test_proc_views(lxcd, rootfs, vroot):
    """/proc/meminfo, cpuinfo, stat and uptime are the container's (FUSE,
    served by its supervisor, as libvirt's lxc-fuse): its memory limit, its
    CPUs, its start as boot time, its uptime. Nothing of it on the host."""
    script = ("grep -E '^(MemTotal|MemFree|SwapTotal):' /proc/meminfo; grep -c ^processor /proc/cpuinfo; "
              "grep ^btime /proc/stat; cat /proc/uptime; "
              "echo views-$((6*7)); sleep 1000")
    (rootfs / "bin" / "grep").symlink_to("busybox")
    path = lxcd.call("DomainDefineXML", container_xml("fuse1", rootfs, args=("-c", script)))
    before = time.time()
    lxcd.domain_call(path, "Create", 0)
    h.wait_until(lambda: "views-42" in log_of(vroot, "fuse1"), 10, what="the container's views")
    out = log_of(vroot, "fuse1")
    assert re.search(r"^MemTotal:\s+65536 kB$", out, re.M), out
    free = int(re.search(r"^MemFree:\s+(\d+) kB$", out, re.M).group(1))
    assert 0 < free < 65536, out
    assert re.search(r"^SwapTotal:\s+0 kB$", out, re.M), out
    ncpu = len(os.sched_getaffinity(0))
    assert re.search(rf"^{ncpu}$", out, re.M), out
    btime = int(re.search(r"^btime (\d+)$", out, re.M).group(1))
    assert before - 5 <= btime <= time.time(), (btime, before)
    uptime = float(re.search(r"^(\d+\.\d+) \d+\.\d+$", out, re.M).group(1))
    assert 0 <= uptime < 30, out
    # the views live in the supervisor's own mount namespace
    with open("/proc/self/mounts") as f:
        assert "virtbus-lxc" not in f.read()
    fuse_dir = [p for p in vroot.path.rglob("fuse1.fuse")]
    assert fuse_dir, "the supervisor's mount point"
    lxcd.domain_call(path, "Destroy", 0)
    h.wait_until(lambda: not container_pids(vroot), 10, what="the supervisor to be gone")
    assert not any(p.exists() for p in fuse_dir)


def loops_of(image):
    """Loop devices backed by image (losetup -j)."""
    out = subprocess.run(["losetup", "-j", str(image)], capture_output=True, text=True).stdout
    return [line.split(":")[0] for line in out.splitlines() if line.strip()]


def make_image(image, tree, size="16M"):
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", str(tree), str(image), size], check=True)


def test_file_and_block_filesystems(lxcd, rootfs, vroot, bus_monitor):
    """An image file as the root (on a loop device the supervisor attaches),
    another as /data, a block device as /blk; every loop device lxcd made is
    gone after the container; a missing image is named, nothing attached."""
    if not shutil.which("mke2fs") or not os.path.exists("/dev/loop-control"):
        pytest.skip("needs mke2fs (e2fsprogs) and loop devices (/dev/loop-control)")
    top = rootfs.parent
    (top / "data-tree").mkdir()
    (top / "data-tree" / "data-marker").write_text("x")
    (top / "blk-tree").mkdir()
    (top / "blk-tree" / "blk-marker").write_text("y")
    root_img, data_img, blk_img = top / "root.img", top / "data.img", top / "blk.img"
    make_image(root_img, rootfs)
    make_image(data_img, top / "data-tree", "4M")
    make_image(blk_img, top / "blk-tree", "4M")
    blk = subprocess.run(["losetup", "--find", "--show", str(blk_img)], capture_output=True, text=True,
                         check=True).stdout.strip()
    try:
        script = "echo in-image; ls / /data /blk; touch /data/ro 2>/dev/null || echo data-ro"
        xml = f"""<domain type='lxc'>
  <name>img1</name>
  <memory unit='MiB'>64</memory>
  <os><type>exe</type><init>/bin/sh</init><initarg>-c</initarg><initarg>{escape(script)}</initarg></os>
  <devices>
    <filesystem type='file'><source file='{root_img}'/><target dir='/'/></filesystem>
    <filesystem type='file'><driver type='loop' format='raw'/><source file='{data_img}'/><target dir='/data'/><readonly/></filesystem>
    <filesystem type='block'><source dev='{blk}'/><target dir='/blk'/></filesystem>
  </devices>
</domain>"""
        path = lxcd.call("DomainDefineXML", xml)
        mark = bus_monitor.mark()
        lxcd.domain_call(path, "Create", 0)
        bus_monitor.wait_domain_event(path, EV_STOPPED, EV_STOPPED_SHUTDOWN, since=mark)
        h.wait_until(lambda: "data-ro" in log_of(vroot, "img1"), 10, what="the container's log")
        out = log_of(vroot, "img1")
        assert "in-image" in out and "data-marker" in out and "blk-marker" in out and "lost+found" in out, out
        h.wait_until(lambda: not loops_of(root_img) and not loops_of(data_img), 10,
                     what="the loop devices to be detached")
        assert not list(vroot.path.rglob("lxc/img1.root")), "the root's mount point is left"

        # a missing image: named, nothing attached, shut off
        path2 = lxcd.call("DomainDefineXML", xml.replace("<name>img1</name>", "<name>img2</name>")
                          .replace(str(data_img), str(top / "missing.img")))
        with pytest.raises(dbus.DBusException) as e:
            lxcd.domain_call(path2, "Create", 0)
        assert "missing.img' (target '/data') does not exist" in str(e.value), e.value
        assert state(lxcd, path2)[0] == SHUTOFF
        assert not loops_of(root_img)
    finally:
        subprocess.run(["losetup", "-d", blk], check=False)


def mounts_mentioning(vroot):
    """Mounts of the host that name this test's root (none may be left)."""
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if str(vroot.path) in line]


IDMAP = ("<idmap><uid start='0' target='100000' count='65536'/>"
         "<gid start='0' target='100000' count='65536'/></idmap>")


def test_image_in_user_namespace(lxcd, rootfs, vroot):
    """The kernel mounts no image inside a user namespace: the start is
    refused naming the filesystem, before any loop device, cgroup or
    supervisor is made."""
    if not shutil.which("mke2fs"):
        pytest.skip("needs mke2fs (e2fsprogs)")
    top = rootfs.parent
    (top / "ns-tree").mkdir()
    img = top / "ns.img"
    make_image(img, top / "ns-tree", "4M")
    fs = f"<filesystem type='file'><source file='{img}'/><target dir='/data'/></filesystem>"
    xml = container_xml("nsimg", rootfs, args=("-c", "true"), devices=fs).replace("<devices>", IDMAP + "<devices>")
    path = lxcd.call("DomainDefineXML", xml)
    with h.expect_dbus_error("org.virtbus.Error.NotSupported") as e:
        lxcd.domain_call(path, "Create", 0)
    assert f"<filesystem type='file'> source '{img}' (target '/data')" in e.message, e.message
    assert "<idmap>" in e.message and "user namespace" in e.message, e.message
    assert state(lxcd, path) == (SHUTOFF, 0)
    assert not loops_of(img)
    assert not container_pids(vroot)
    assert not any(os.path.exists(d) for d in cgroup_dirs(lxcd, path))
    assert not mounts_mentioning(vroot)


def test_hard_limit_below_usage(lxcd, rootfs, vroot):
    """A running container's hard limit set below what it uses (8 MiB in a
    tmpfs, which the host cannot reclaim without swap) is refused with both
    figures; the cgroup keeps its limit and the container runs on."""
    script = ("head -c 8388608 /dev/zero > /tmp/fill && echo filled-$((6*7)); "
              "while true; do sleep 1; done")
    ram = "<filesystem type='ram'><source usage='32' units='MiB'/><target dir='/tmp'/></filesystem>"
    rfs = rootfs
    path = lxcd.call("DomainDefineXML", container_xml("lim1", rfs, args=("-c", script), devices=ram))
    lxcd.domain_call(path, "Create", 0)
    h.wait_until(lambda: "filled-42" in log_of(vroot, "lim1"), 20, what="the container to fill its tmpfs")
    dirs = cgroup_dirs(lxcd, path)
    before = memory_limit(dirs)
    with h.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
        lxcd.domain_call(path, "SetMemoryParameters", {"hard_limit": dbus.UInt64(2048, variant_level=1)}, 1)
    assert "hard_limit 2048 KiB" in e.message and "below what the container uses" in e.message, e.message
    assert memory_limit(dirs) == before
    assert state(lxcd, path) == (RUNNING, 1)
    # one above its use is taken
    lxcd.domain_call(path, "SetMemoryParameters", {"hard_limit": dbus.UInt64(48 << 10, variant_level=1)}, 1)
    assert memory_limit(dirs) == 48 << 20
    lxcd.domain_call(path, "Destroy", 0)
    h.wait_until(lambda: not any(os.path.exists(d) for d in dirs), 10, what="the container's cgroup to go")
    assert not mounts_mentioning(vroot)


def test_nbd_filesystem(lxcd, rootfs, vroot):
    """<driver type='nbd' format='qcow2'>: the image served by qemu-nbd on a
    /dev/nbdN, let go after the container; where the host has no nbd
    devices the start is refused naming what is missing, nothing made."""
    if not shutil.which("mke2fs") or not shutil.which("qemu-img"):
        pytest.skip("needs mke2fs (e2fsprogs) and qemu-img (qemu-utils)")
    top = rootfs.parent
    (top / "nbd-tree").mkdir()
    (top / "nbd-tree" / "nbd-marker").write_text("z")
    raw, qcow = top / "nbd.raw", top / "nbd.qcow2"
    make_image(raw, top / "nbd-tree", "4M")
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(qcow)], check=True)
    fs = (f"<filesystem type='file'><driver type='nbd' format='qcow2'/><source file='{qcow}'/>"
          "<target dir='/data'/></filesystem>")
    path = lxcd.call("DomainDefineXML", container_xml("nbd1", rootfs, args=("-c", "ls /data; echo nbd-done"),
                                                      devices=fs))
    if not os.path.exists("/dev/nbd0"):
        with h.expect_dbus_error("org.virtbus.Error.NotSupported") as e:
            lxcd.domain_call(path, "Create", 0)
        assert "nbd kernel module" in e.message and str(qcow) in e.message, e.message
        assert state(lxcd, path) == (SHUTOFF, 0)
        assert not container_pids(vroot)
        assert not any(os.path.exists(d) for d in cgroup_dirs(lxcd, path))
        pytest.skip("the host has no nbd devices (modprobe nbd): the refusal was checked, not the mount")
    lxcd.domain_call(path, "Create", 0)
    h.wait_until(lambda: state(lxcd, path)[0] == SHUTOFF, 30, what="the container to end")
    out = log_of(vroot, "nbd1")
    assert "nbd-marker" in out and "nbd-done" in out, out
    h.wait_until(lambda: not h.pids_mentioning(str(qcow)), 10, what="qemu-nbd to let go of the image")
