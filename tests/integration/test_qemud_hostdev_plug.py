# SPDX-License-Identifier: LGPL-2.1-or-later
"""<hostdev> hot-plugged into a running guest and unplugged again, with real
QEMU (qemud/qemu-hotplug-hostdev.c).

This host has no USB bus, no VFIO device and no SCSI generic node. A USB
device's node is one a test can make, though: /dev/bus/usb/001/NNN, a
character device of major 189 (usb_device) that no device answers, and
qemud reads host devices from a made-up sysfs when VIRTBUS_HOSTDEV_SYSFS
names one (a /sys/bus/usb/devices entry with that bus and device number).
By vendor and product, QEMU's usb-host takes a device the host does not show
(it waits for it, as for one unplugged from the host): the whole plug runs,
the node let through QEMU's device cgroup and made in its own /dev before
device_add, qemud SIGKILLed and started again still knows the device, and
the unplug takes the node back. By bus and device, QEMU refuses a
hot-plugged usb-host it cannot find: the plug runs up to that refusal and
leaves no rule and no node behind. What QEMU gets for the other kinds is
proven by the golden files of test-qemu-hotplug-hostdev
(tests/data/qemu-hotplug-hostdev)."""

import os
import re
import shutil
import subprocess

import pytest

import virtbus_harness as h
from test_qemud_common import _env_logs, dbus_error, module_env, qmp_ask  # noqa: F401

pytestmark = pytest.mark.timeout(300)

LIVE, CONFIG = 1, 2
DOMAIN_IF = "org.libvirt.Domain"
USB_MAJOR = 189
BUS = 1


VENDOR, PRODUCT = 0x1d6b, 0x0104


env = module_env()


@pytest.fixture
def usb_node():
    """/dev/bus/usb/001/NNN made for the test (a free NNN), removed after it
    with the folders it needed."""
    if os.geteuid() != 0:
        pytest.skip("making a USB device node in /dev needs root")
    folder = f"/dev/bus/usb/{BUS:03d}"
    made = [d for d in ("/dev/bus", "/dev/bus/usb", folder) if not os.path.exists(d)]
    dev = next((n for n in range(100, 1, -1) if not os.path.exists(f"{folder}/{n:03d}")), None)
    if dev is None:
        pytest.skip(f"no free device number in {folder}")
    path = f"{folder}/{dev:03d}"
    try:
        os.makedirs(folder, exist_ok=True)
        os.mknod(path, 0o664 | 0o020000, os.makedev(USB_MAJOR, (BUS - 1) * 128 + dev - 1))
    except OSError as e:
        for d in reversed(made):
            shutil.rmtree(d, ignore_errors=True)
        pytest.skip(f"cannot make {path} here: {e}")
    yield dev, path
    os.unlink(path)
    for d in reversed(made):
        os.rmdir(d)


@pytest.fixture
def usb_sysfs(env, usb_node):
    """A made-up sysfs (VIRTBUS_HOSTDEV_SYSFS) that shows the node's device
    with VENDOR:PRODUCT, as /sys/bus/usb/devices/1-1 would."""
    dev, path = usb_node
    sysfs = env.root / "sysfs"
    d = sysfs / "bus" / "usb" / "devices" / "1-1"
    d.mkdir(parents=True, exist_ok=True)
    for name, text in (("idVendor", f"{VENDOR:04x}"), ("idProduct", f"{PRODUCT:04x}"), ("busnum", str(BUS)),
                       ("devnum", str(dev))):
        (d / name).write_text(text + "\n")
    env.qemud.extra_env["VIRTBUS_HOSTDEV_SYSFS"] = str(sysfs)
    env.qemud.restart()
    try:
        yield dev, path
    finally:
        del env.qemud.extra_env["VIRTBUS_HOSTDEV_SYSFS"]
        env.qemud.restart()
        shutil.rmtree(sysfs)


def usb_hostdev(dev, address=""):
    return (f"<hostdev mode='subsystem' type='usb'><source><address bus='{BUS}' device='{dev}'/></source>"
            f"{address}</hostdev>")


USB_BY_ID = (f"<hostdev mode='subsystem' type='usb'><source><vendor id='0x{VENDOR:04x}'/>"
             f"<product id='0x{PRODUCT:04x}'/></source></hostdev>")


def devices_list(pid):
    """QEMU's device cgroup rules (v1), or None without that controller."""
    for line in open(f"/proc/{pid}/cgroup"):
        _, ctrls, path = line.rstrip("\n").split(":", 2)
        if "devices" in ctrls.split(","):
            rules = open(f"/sys/fs/cgroup/devices{path}/devices.list").read().split("\n")
            return None if "a *:* rwm" in rules else rules
    return None


def rule_of(path):
    st = os.stat(path)
    return f"c {os.major(st.st_rdev)}:{os.minor(st.st_rdev)} rw"


def private_dev(pid):
    return os.readlink(f"/proc/{pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")


def peripherals(env, name):
    """QEMU's own list of the guest's devices, asked with qemud SIGKILLed."""
    got = qmp_ask(env, name, ("qom-list", {"path": "/machine/peripheral"}))[0]
    return {p["name"] for p in got}


def usb_guest(env, name, devices="", nic=None):
    g = env.define(name, nic=nic, machine="pc",
                   extra_devices="<controller type='usb' index='0' model='piix3-uhci'/>" + devices)
    g.start(1)  # paused: a USB device plugs and unplugs without the guest's help
    h.wait_until(lambda: g.state()[0] == h.DomainState.PAUSED, 30, 0.2, f"{name} paused")
    return g


def test_usb_plug_survives_sigkill_and_unplug_takes_the_node_back(env, usb_sysfs):
    """By vendor and product (QEMU's usb-host waits for a device the host
    does not show yet, as one unplugged from the host): the node is let
    through QEMU's device cgroup and made in its /dev before device_add;
    qemud SIGKILLed and started again still knows the device, and the
    unplug takes rule and node back."""
    dev, path = usb_sysfs
    g = usb_guest(env, "hdp1")
    try:
        pid = g.pid()
        node = f"/proc/{pid}/root{path}"
        before = g.call("GetXMLDesc", 0)
        rules = devices_list(pid)
        assert not private_dev(pid) or not os.path.exists(node)
        g.call("AttachDevice", USB_BY_ID, LIVE)
        live = g.call("GetXMLDesc", 0)
        assert f"<vendor id='0x{VENDOR:04x}'/>" in live and "<alias name='hostdev0'/>" in live, live
        if rules is not None:
            assert rule_of(path) in devices_list(pid)
        if private_dev(pid):
            assert os.stat(node).st_rdev == os.stat(path).st_rdev
        # SIGKILLed and started again: QEMU has it, and qemud still knows it
        assert "hostdev0" in peripherals(env, "hdp1")
        h.wait_until(lambda: g.state()[0] == h.DomainState.PAUSED, 30, 0.2, "hdp1 found again")
        assert g.call("GetXMLDesc", 0) == live
        mark = env.mon.mark()
        g.call("DetachDevice", USB_BY_ID, LIVE)
        env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, since=mark, timeout=60)
        h.wait_until(lambda: "<hostdev " not in g.call("GetXMLDesc", 0), 10, 0.1, "the hostdev gone")
        assert g.call("GetXMLDesc", 0) == before
        if rules is not None:
            assert devices_list(pid) == rules
        if private_dev(pid):
            assert not os.path.exists(node)
        assert "hostdev0" not in peripherals(env, "hdp1")
    finally:
        g.ensure_shutoff()


def test_usb_plug_refused_by_qemu_leaves_nothing(env, usb_node):
    """By bus and device: every host step runs (the node there), then
    QEMU's device_add refuses a hot-plugged usb-host whose device it cannot
    find: the error names the device and QEMU's word, and no rule, no node
    is left, the live XML as it was."""
    dev, path = usb_node
    g = usb_guest(env, "hdp2")
    try:
        pid = g.pid()
        before = g.call("GetXMLDesc", 0)
        rules = devices_list(pid)
        with dbus_error("OperationFailed", f"cannot attach hostdev 'usb bus {BUS} device {dev}'",
                        "QEMU said", f"failed to find host usb device {BUS}:{dev}"):
            g.call("AttachDevice", usb_hostdev(dev), LIVE)
        assert g.call("GetXMLDesc", 0) == before
        assert g.state()[0] == h.DomainState.PAUSED
        if rules is not None:
            assert devices_list(pid) == rules and rule_of(path) not in rules
        if private_dev(pid):
            assert not os.path.exists(f"/proc/{pid}/root{path}")
        assert "hostdev0" not in peripherals(env, "hdp2")
    finally:
        g.ensure_shutoff()


def test_missing_usb_node_is_named(env, usb_node):
    """A device number with no node (the host lacks the device): named,
    before anything is done, the guest as it was."""
    dev, path = usb_node
    g = usb_guest(env, "hdp3")
    try:
        before = g.call("GetXMLDesc", 0)
        missing = next(n for n in range(dev + 1, 128) if not os.path.exists(f"/dev/bus/usb/{BUS:03d}/{n:03d}"))
        with dbus_error("OperationFailed", "is not on this host", f"/dev/bus/usb/{BUS:03d}/{missing:03d}"):
            g.call("AttachDevice", usb_hostdev(missing), LIVE)
        assert g.call("GetXMLDesc", 0) == before
    finally:
        g.ensure_shutoff()


# --- <interface type='hostdev'>: the VF's MAC and VLAN through its PF ---------

PF_ADDR, VF_ADDR = "0000:03:00.0", "0000:03:07.1"
VF_XML = ("<interface type='hostdev' managed='yes'><mac address='00:11:22:33:44:55'/><source>"
          "<address type='pci' domain='0x0000' bus='0x03' slot='0x07' function='0x1'/></source>{vlan}"
          "</interface>")


@pytest.fixture
def vf_sysfs(env):
    """A made-up sysfs with VF 0000:03:07.1 (bound to vfio-pci) of a PF
    whose netdev is a real veth of this host: the kernel answers for it, and
    a veth has no VF."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("making a veth needs root and ip(8)")
    pf = f"vbvf{os.getpid() % 100000}"
    r = subprocess.run(["ip", "link", "add", pf, "type", "veth", "peer", "name", pf + "p"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot make a veth here: {r.stderr.strip()}")
    sysfs = env.root / "sysfs"
    devices = sysfs / "bus" / "pci" / "devices"
    (sysfs / "bus" / "pci" / "drivers" / "vfio-pci").mkdir(parents=True, exist_ok=True)
    (devices / PF_ADDR / "net" / pf).mkdir(parents=True, exist_ok=True)
    (devices / VF_ADDR).mkdir(parents=True, exist_ok=True)
    os.symlink("../../drivers/vfio-pci", devices / VF_ADDR / "driver")
    os.symlink(f"../{PF_ADDR}", devices / VF_ADDR / "physfn")
    os.symlink(f"../{VF_ADDR}", devices / PF_ADDR / "virtfn0")
    os.symlink("../../../../kernel/iommu_groups/977", devices / VF_ADDR / "iommu_group")
    env.qemud.extra_env["VIRTBUS_HOSTDEV_SYSFS"] = str(sysfs)
    env.qemud.restart()
    try:
        yield pf
    finally:
        del env.qemud.extra_env["VIRTBUS_HOSTDEV_SYSFS"]
        env.qemud.restart()
        shutil.rmtree(sysfs)
        subprocess.run(["ip", "link", "del", pf], check=False)


def test_interface_hostdev_plug_asks_the_pf_and_leaves_the_guest(env, vf_sysfs):
    """The VF is there and bound to vfio-pci; its MAC and VLAN go through
    its PF, and this PF (a veth) lists no VF: the kernel's answer is named,
    the guest, its live XML and the VF's saved state as they were. Two VLAN
    tags are refused first, as libvirt refuses them for a VF."""
    pf = vf_sysfs
    g = usb_guest(env, "hdp4", nic="user")
    try:
        before = g.call("GetXMLDesc", 0)
        with dbus_error("NotSupported", "vlan trunking is not supported by SR-IOV network devices"):
            g.call("AttachDevice", VF_XML.format(vlan="<vlan><tag id='42'/><tag id='47'/></vlan>"), LIVE)
        with dbus_error("OperationFailed", f"PF {pf} has no VF 0"):
            g.call("AttachDevice", VF_XML.format(vlan="<vlan><tag id='42'/></vlan>"), LIVE)
        assert g.call("GetXMLDesc", 0) == before
        assert g.state()[0] == h.DomainState.PAUSED
        saved = env.run_dir / "hostdev-vf"
        assert not saved.exists() or not os.listdir(saved)
        assert "hostdev0" not in peripherals(env, "hdp4")
        # the PF's netdev gone from sysfs: named before anything is asked
        shutil.rmtree(env.root / "sysfs" / "bus" / "pci" / "devices" / PF_ADDR / "net")
        with dbus_error("OperationFailed", f"cannot find the PF of SR-IOV virtual function {VF_ADDR}",
                        "lists no netdev of its PF"):
            g.call("AttachDevice", VF_XML.format(vlan=""), LIVE)
        assert g.call("GetXMLDesc", 0) == before
        # the persistent definition alone: an interface, after the others
        vf = VF_XML.format(vlan="<vlan><tag id='42'/></vlan>")
        g.call("AttachDevice", vf, CONFIG)
        inactive = g.call("GetXMLDesc", 2)
        assert "<interface type='hostdev' managed='yes'>" in inactive and "<tag id='42'/>" in inactive, inactive
        assert inactive.index("<interface type='hostdev'") > inactive.rfind("<interface type='user'") and \
            "<hostdev " not in inactive
        assert g.call("GetXMLDesc", 0) == before
        g.call("DetachDevice", vf, CONFIG)
        assert "<interface type='hostdev'" not in g.call("GetXMLDesc", 2)
    finally:
        g.ensure_shutoff()


def saved_vf_files(env):
    saved = env.run_dir / "hostdev-vf"
    return sorted(os.listdir(saved)) if saved.exists() else []


def test_interface_hostdev_start_asks_the_pf_and_leaves_the_guest_shut_off(env, vf_sysfs):
    """The start sets the VF's MAC and VLAN through its PF before QEMU
    runs, as libvirt does: this PF (a veth) lists no VF, the kernel's answer
    is named, the guest is shut off with its definition as before and
    nothing is left under hostdev-vf/. What a VF cannot take, or a PF sysfs
    does not show, is named before the PF is asked; a VF whose saved state
    names another guest is that guest's, and the start names it."""
    pf = vf_sysfs
    vf = VF_XML.format(vlan="<vlan><tag id='42'/></vlan>")
    g = env.define("hdp5", nic="user", machine="pc", extra_devices=vf)
    try:
        inactive = g.call("GetXMLDesc", 2)
        assert "<interface type='hostdev' managed='yes'>" in inactive, inactive
        with dbus_error("OperationFailed", f"PF {pf} has no VF 0", "the kernel lists none of that index"):
            g.call("Create", 0)
        assert g.state()[0] == h.DomainState.SHUTOFF
        assert g.call("GetXMLDesc", 2) == inactive
        assert saved_vf_files(env) == []
        # another guest's VF: its saved state is left as it was
        other = "6c4b3f2e-0d8a-4b8e-9a77-5f1d2c3b4a59"
        (env.run_dir / "hostdev-vf").mkdir(mode=0o700, exist_ok=True)
        held = env.run_dir / "hostdev-vf" / f"{pf}_vf0"
        held.write_text(f"{other} 02:00:00:00:00:07 0\n")
        try:
            with dbus_error("OperationInvalid", f"VF 0 of PF {pf} is in use by the domain with UUID {other}"):
                g.call("Create", 0)
            assert g.state()[0] == h.DomainState.SHUTOFF
            assert held.read_text() == f"{other} 02:00:00:00:00:07 0\n"
        finally:
            held.unlink()
        # the PF's netdev gone from sysfs: named before anything is asked
        shutil.rmtree(env.root / "sysfs" / "bus" / "pci" / "devices" / PF_ADDR / "net")
        with dbus_error("OperationFailed", f"cannot find the PF of SR-IOV virtual function {VF_ADDR}",
                        "lists no netdev of its PF"):
            g.call("Create", 0)
        assert g.state()[0] == h.DomainState.SHUTOFF
        assert g.call("GetXMLDesc", 2) == inactive
        assert saved_vf_files(env) == []
    finally:
        g.ensure_shutoff()
        g.call("Undefine", 0)


def test_interface_hostdev_start_refuses_a_trunk(env, vf_sysfs):
    """Two VLAN tags: refused at start as libvirt refuses them for a VF,
    before the PF is asked."""
    g = env.define("hdp6", nic="user", machine="pc",
                   extra_devices=VF_XML.format(vlan="<vlan trunk='yes'><tag id='42'/><tag id='47'/></vlan>"))
    try:
        inactive = g.call("GetXMLDesc", 2)
        with dbus_error("NotSupported", "vlan trunking is not supported by SR-IOV network devices"):
            g.call("Create", 0)
        assert g.state()[0] == h.DomainState.SHUTOFF
        assert g.call("GetXMLDesc", 2) == inactive
        assert saved_vf_files(env) == []
    finally:
        g.call("Undefine", 0)


def test_saved_vf_state_given_back_at_stop_after_sigkill(env, vf_sysfs):
    """The saved files are the record of what a start or a plug set: a
    guest whose file is there (as a VF set for it leaves one), qemud
    SIGKILLed and started again, is destroyed: its VF is given back through
    the PF (this veth refuses, which qemud logs naming the VF and PF) and
    its file removed; another guest's file stays as it was."""
    pf = vf_sysfs
    g = usb_guest(env, "hdp7", nic="user")
    try:
        uuid = re.search(r"<uuid>([^<]+)</uuid>", g.call("GetXMLDesc", 0)).group(1)
        saved = env.run_dir / "hostdev-vf"
        saved.mkdir(mode=0o700, exist_ok=True)
        own, other = saved / f"{pf}_vf0", saved / f"{pf}_vf1"
        own.write_text(f"{uuid} 02:00:00:00:00:08 0\n")
        other.write_text("6c4b3f2e-0d8a-4b8e-9a77-5f1d2c3b4a59 02:00:00:00:00:09 0\n")
        try:
            env.qemud.restart()
            h.wait_until(lambda: g.state()[0] == h.DomainState.PAUSED, 30, 0.2, "hdp7 found again")
            assert own.exists()
            g.call("Destroy", 0)
            h.wait_until(lambda: not own.exists(), 15, 0.1, "the guest's VF file removed")
            assert other.read_text() == "6c4b3f2e-0d8a-4b8e-9a77-5f1d2c3b4a59 02:00:00:00:00:09 0\n"
            log = open(env.qemud.log_path, errors="replace").read()
            assert f"Domain hdp7: cannot give VF 0 of PF {pf} back its MAC address and VLAN" in log
            assert f"VF 1 of PF {pf}" not in log
        finally:
            for f in (own, other):
                if f.exists():
                    f.unlink()
    finally:
        g.ensure_shutoff()
