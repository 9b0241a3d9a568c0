# SPDX-License-Identifier: LGPL-2.1-or-later
"""A container's confinement besides its cgroup (lxcd/lxc-security.c,
lxc-cgroup.c's device filter):

- registered with systemd-machined while it runs (the stand-in service of
  fake_machined.py on the test bus: machined needs systemd as PID 1):
  CreateMachineWithNetwork with the machine name lxc-<id>-<name>, class
  "container", the supervisor as leader, its root directory;
  TerminateMachine at the stop;
- its AppArmor profile: with security_driver = "apparmor" on a host without
  AppArmor the start is refused naming it; with apparmor_skip_kernel_load
  each container's generated profile must pass apparmor_parser
  --skip-kernel-load (with the tree's abstractions) or the start fails, and
  it is gone after the stop. Every container definition lxcd's tests use
  (tests/data/domain/lxc and the ones below) parses;
- the cgroup v2 device filter (a hybrid host's /sys/fs/cgroup/unified chosen
  with VIRTBUS_CGROUP_DEVICES=bpf): a process of the container's cgroup
  opens its standard nodes and not the others; nothing is left after the
  stop."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import cgroup_bpf
import virtbus_harness as h
from test_lxcd import RUNNING, SHUTOFF, container_pids, container_xml, log_of, make_image, make_rootfs, state

pytestmark = pytest.mark.timeout(120)

FAKE = Path(__file__).resolve().parent / "fake_machined.py"
POLICY = ('<policy user="root"><allow own="org.freedesktop.machine1"/>'
          '<allow send_destination="org.freedesktop.machine1"/></policy>')
INCLUDE = h.REPO / "units" / "apparmor"


@pytest.fixture
def bus(vroot):
    b = h.TestBus(vroot, extra_conf=POLICY).start()
    yield b
    b.stop()


@pytest.fixture
def rootfs(vroot):
    return make_rootfs(vroot / "rootfs")


def lxcd_conf(vroot, text):
    conf = vroot.path / "etc" / "virtbus" / "lxcd.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(text)


@pytest.fixture
def lxcd(daemon):
    started = []

    def start(env=None):
        d = daemon("lxcd", env=env)
        started.append(d)
        return d
    yield start
    for d in started:
        if d.alive():
            for path in d.call("ListDomains", 0):
                if state(d, path)[0] != SHUTOFF:
                    d.domain_call(path, "Destroy", 0)


def sleeper(name, rootfs, devices=""):
    return container_xml(name, rootfs, args=("-c", "echo up; exec sleep 1000"), devices=devices)


def start(d, xml):
    path = d.call("DomainDefineXML", xml)
    d.domain_call(path, "Create", 0)
    h.wait_until(lambda: state(d, path)[0] == RUNNING, 30, 0.1, "the container running")
    return path


def stop(d, vroot, path):
    d.domain_call(path, "Destroy", 0)
    h.wait_until(lambda: state(d, path)[0] == SHUTOFF, 30, 0.1, "the container shut off")
    h.wait_until(lambda: not container_pids(vroot), 10, 0.1, "the supervisor gone")


# --- systemd-machined ----------------------------------------------------------

class Fake:
    def __init__(self, bus, root):
        self.log = Path(root) / "machined.jsonl"
        self.log.write_text("")
        self.proc = subprocess.Popen([sys.executable, str(FAKE), bus.address, str(self.log)],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def calls(self, method):
        return [c for c in map(json.loads, self.log.read_text().splitlines()) if c["method"] == method]

    def wait(self, method):
        h.wait_until(lambda: self.calls(method), 30, 0.1, f"{method} at the fake machined")
        return self.calls(method)[0]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def test_machined_registered_and_terminated(lxcd, bus, vroot, rootfs):
    fake = Fake(bus, vroot.path)
    try:
        d = lxcd()
        path = start(d, sleeper("mach1", rootfs))
        c = fake.wait("CreateMachineWithNetwork")
        dom_id = int(d.get_property(path, "org.libvirt.Domain", "Id"))
        assert c["name"] == f"lxc-{dom_id}-mach1"
        assert (c["klass"], c["service"], c["root"]) == ("container", "virtbus-lxcd", str(rootfs))
        assert [c["leader"]] == container_pids(vroot)
        assert c["props"]["Slice"] == h.cgroup_partition(vroot.path).rsplit("/", 1)[-1]
        stop(d, vroot, path)
        t = fake.wait("TerminateMachine")
        assert t["name"] == c["name"]
    finally:
        fake.stop()


def test_no_machined_no_harm(lxcd, vroot, rootfs):
    d = lxcd()
    path = start(d, sleeper("mach2", rootfs))
    stop(d, vroot, path)


# --- AppArmor ----------------------------------------------------------------

def apparmor_enabled():
    try:
        return open("/sys/module/apparmor/parameters/enabled").read().strip() == "Y"
    except OSError:
        return False


def parser():
    for p in (shutil.which("apparmor_parser"), "/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"):
        if p and os.path.exists(p):
            return p
    pytest.skip("apparmor_parser is not installed (the apparmor package)")


def test_apparmor_refused_without_apparmor(lxcd, vroot, rootfs):
    if apparmor_enabled():
        pytest.skip("this host has AppArmor on")
    lxcd_conf(vroot, 'security_driver = "apparmor"\n')
    d = lxcd()
    path = d.call("DomainDefineXML", sleeper("aa0", rootfs))
    with pytest.raises(Exception) as e:
        d.domain_call(path, "Create", 0)
    assert "AppArmor is not enabled" in str(e.value), e.value
    assert state(d, path)[0] == SHUTOFF
    assert not container_pids(vroot)


def lxcd_test_devices(vroot):
    """The <devices> lxcd's tests give their containers (test_lxcd*.py):
    bind mounts (read-only too), tmpfs, an image file, a block device, an
    nbd-served image, host device nodes, interfaces."""
    shared = vroot.path / "shared"
    shared.mkdir(exist_ok=True)
    img = vroot.path / "fs.img"
    return {
        "binds": (f"<filesystem type='mount'><source dir='{shared}'/><target dir='/data'/><readonly/></filesystem>"
                  f"<filesystem type='mount'><source dir='{shared}'/><target dir='/rw'/></filesystem>"
                  "<filesystem type='ram'><source usage='1024' units='KiB'/><target dir='/tmp'/></filesystem>"),
        "image": (f"<filesystem type='file' accessmode='passthrough'><driver type='loop' format='raw'/>"
                  f"<source file='{img}'/><target dir='/img'/></filesystem>"),
        "nbd": (f"<filesystem type='file' accessmode='passthrough'><driver type='nbd' format='qcow2'/>"
                f"<source file='{img}'/><target dir='/img'/></filesystem>"),
        "block": ("<filesystem type='block' accessmode='passthrough'><source dev='/dev/loop7'/>"
                  "<target dir='/blk'/></filesystem>"),
        "hostdev": ("<hostdev mode='capabilities' type='misc'><source><char>/dev/net/tun</char></source></hostdev>"
                    "<hostdev mode='capabilities' type='storage'><source><block>/dev/loop7</block></source>"
                    "</hostdev>"),
        "net": ("<interface type='ethernet'><guest dev='eth0'/><ip address='192.0.2.2' prefix='24'/></interface>"
                "<interface type='network'><source network='default'/></interface>"),
        "idmap": "",
    }


@pytest.mark.parametrize("kind", ["binds", "image", "nbd", "block", "hostdev", "net", "idmap"])
def test_every_lxcd_definition_parses(vroot, rootfs, kind, tmp_path):
    """The profile of each kind of container lxcd's tests define, from
    build/tests/test-security-apparmor (the generator lxcd calls)."""
    p = parser()
    devices = lxcd_test_devices(vroot)[kind]
    xml = container_xml(f"aa-{kind}", rootfs, devices=devices)
    if kind == "idmap":
        xml = xml.replace("</os>", "</os><idmap><uid start='0' target='100000' count='65536'/>"
                                   "<gid start='0' target='100000' count='65536'/></idmap>")
    src = tmp_path / "def.xml"
    src.write_text(xml)
    helper = h.BUILD / "tests" / "test-security-apparmor"
    r = subprocess.run([str(helper), "--print-apparmor-profile", str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "#include <abstractions/virtbus-lxc>" in r.stdout
    prof = tmp_path / "profile"
    prof.write_text(r.stdout)
    r = subprocess.run([p, "--skip-kernel-load", "--skip-cache", "-Q", "-I", str(INCLUDE), str(prof)],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"{kind}: {r.stderr}\n{prof.read_text()}"


def test_apparmor_profile_checked_at_start(lxcd, vroot, rootfs):
    """security_driver = "apparmor", only checked (no AppArmor here): the
    container starts once apparmor_parser took its profile, which names its
    filesystems' sources, and the profile is gone after the stop; a broken
    abstraction makes the start fail, naming the profile."""
    parser()
    if apparmor_enabled():
        pytest.skip("this host has AppArmor on: the profile would be loaded")
    devices = lxcd_test_devices(vroot)
    lxcd_conf(vroot, f'security_driver = "apparmor"\napparmor_skip_kernel_load = 1\n'
                     f'apparmor_include_dir = "{INCLUDE}"\n')
    d = lxcd()
    path = start(d, sleeper("aa1", rootfs, devices["binds"] + devices["hostdev"]))
    profiles = list(vroot.path.rglob("apparmor/libvirt-*"))
    assert len(profiles) == 1, profiles
    text = profiles[0].read_text()
    assert f'"{vroot.path / "shared"}/" r,' in text and '"/dev/net/tun" rw,' in text, text
    stop(d, vroot, path)
    assert not profiles[0].exists()

    broken = vroot.path / "broken"
    shutil.copytree(INCLUDE, broken)
    with open(broken / "abstractions" / "virtbus-lxc", "a") as f:
        f.write("  this is no rule\n")
    lxcd_conf(vroot, f'security_driver = "apparmor"\napparmor_skip_kernel_load = 1\n'
                     f'apparmor_include_dir = "{broken}"\n')
    with pytest.raises(Exception) as e:
        d.domain_call(path, "Create", 0)
    assert "AppArmor profile libvirt-" in str(e.value), e.value
    assert state(d, path)[0] == SHUTOFF and not container_pids(vroot)
    assert not list(vroot.path.rglob("apparmor/libvirt-*"))


def test_bad_apparmor_setting_refused(lxcd, vroot, rootfs):
    lxcd_conf(vroot, "apparmor_skip_kernel_load = maybe\n")
    d = lxcd()
    path = d.call("DomainDefineXML", sleeper("aa2", rootfs))
    with pytest.raises(Exception) as e:
        d.domain_call(path, "Create", 0)
    assert "apparmor_skip_kernel_load" in str(e.value), e.value
    assert state(d, path)[0] == SHUTOFF


# --- cgroup v2 device filter ------------------------------------------------------

def test_bpf_device_filter(lxcd, vroot, rootfs):
    if cgroup_bpf.cgroup2_base() is None:
        pytest.skip("no cgroup2 hierarchy on this host (/sys/fs/cgroup or /sys/fs/cgroup/unified)")
    d = lxcd(env={"VIRTBUS_CGROUP_DEVICES": "bpf"})
    path = start(d, sleeper("bpf1", rootfs))
    folder = cgroup_bpf.cgroup_of(container_pids(vroot)[0])
    assert folder and "machine-lxc" in folder, folder
    progs = cgroup_bpf.device_programs(folder)
    if not progs:
        pytest.skip("this kernel attached no cgroup device program (lxcd's log says why)")
    assert len(progs) == 1, progs
    assert cgroup_bpf.can_open(folder, "/dev/null", write=True)
    assert cgroup_bpf.can_open(folder, "/dev/net/tun", write=True)
    assert not cgroup_bpf.can_open(folder, "/dev/loop-control")
    stop(d, vroot, path)
    h.wait_until(lambda: not os.path.exists(folder), 15, 0.1, f"{folder} removed")
    h.wait_until(lambda: not cgroup_bpf.program_exists(progs[0]), 15, 0.1, "the BPF program freed")


def test_bpf_device_filter_image_and_block(lxcd, vroot, rootfs):
    """Under the BPF filter the supervisor still attaches an image to a loop
    device (loop-control and the loop devices are in the list) and the
    container mounts a block device it names; another loop device stays
    out of reach."""
    if cgroup_bpf.cgroup2_base() is None:
        pytest.skip("no cgroup2 hierarchy on this host (/sys/fs/cgroup or /sys/fs/cgroup/unified)")
    if not shutil.which("mke2fs") or not shutil.which("losetup") or not os.path.exists("/dev/loop-control"):
        pytest.skip("needs mke2fs (e2fsprogs) and loop devices (/dev/loop-control)")
    tree = vroot.path / "tree"
    tree.mkdir()
    (tree / "marker").write_text("x")
    img, blk_img = vroot.path / "data.img", vroot.path / "blk.img"
    make_image(img, tree, "4M")
    make_image(blk_img, tree, "4M")
    blk = subprocess.run(["losetup", "--find", "--show", str(blk_img)], capture_output=True, text=True,
                         check=True).stdout.strip()
    try:
        d = lxcd(env={"VIRTBUS_CGROUP_DEVICES": "bpf"})
        devices = (f"<filesystem type='file'><driver type='loop' format='raw'/><source file='{img}'/>"
                   f"<target dir='/data'/></filesystem>"
                   f"<filesystem type='block'><source dev='{blk}'/><target dir='/blk'/></filesystem>")
        xml = container_xml("bpf2", rootfs, args=("-c", "ls /data /blk; exec sleep 1000"), devices=devices)
        path = start(d, xml)
        folder = cgroup_bpf.cgroup_of(container_pids(vroot)[0])
        if not cgroup_bpf.device_programs(folder):
            pytest.skip("this kernel attached no cgroup device program (lxcd's log says why)")
        h.wait_until(lambda: log_of(vroot, "bpf2").count("marker") >= 2, 10, 0.1, "both filesystems listed")
        assert cgroup_bpf.can_open(folder, "/dev/loop-control", write=True)
        assert cgroup_bpf.can_open(folder, blk, write=True)
        # /dev/kmsg (c 1:11) is in no list: a node of it that we open, the container's cgroup may not
        kmsg = vroot.path / "kmsg"
        os.mknod(kmsg, 0o600 | stat.S_IFCHR, os.makedev(1, 11))
        os.close(os.open(kmsg, os.O_RDONLY))
        assert not cgroup_bpf.can_open(folder, str(kmsg))
        stop(d, vroot, path)
    finally:
        subprocess.run(["losetup", "-d", blk], check=False)


def test_apparmor_labels(lxcd, vroot, rootfs):
    """<seclabel model='apparmor'>: type='none' runs the container without a
    profile; a static label without <label> is refused (at the define),
    nothing left running."""
    if apparmor_enabled():
        pytest.skip("this host has AppArmor on: the profile would be loaded")
    lxcd_conf(vroot, f'security_driver = "apparmor"\napparmor_skip_kernel_load = 1\n'
                     f'apparmor_include_dir = "{INCLUDE}"\n')
    d = lxcd()
    xml = sleeper("aa3", rootfs).replace("</devices>", "</devices><seclabel type='none' model='apparmor'/>")
    path = start(d, xml)
    assert not list(vroot.path.rglob("apparmor/libvirt-*"))
    stop(d, vroot, path)
    xml = sleeper("aa4", rootfs).replace("</devices>", "</devices><seclabel type='static' model='apparmor'/>")
    with pytest.raises(Exception) as e:
        path = d.call("DomainDefineXML", xml)
        d.domain_call(path, "Create", 0)
    assert "security label is missing" in str(e.value), e.value
    assert not container_pids(vroot)
