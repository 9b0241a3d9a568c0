# SPDX-License-Identifier: LGPL-2.1-or-later
"""<hostdev> in virtbus-qemud: PCI, mdev, USB, SCSI and vhost-scsi host
devices defined (addresses written, schema-valid XML), and a start that
names the host device this host lacks, leaving the guest shut off and its
definition as it was; over D-Bus and with virsh through virtbus-proxyd.

This host has no VFIO device, no USB bus and no SCSI generic node: what
QEMU gets for each is proven by the golden files of test-qemu-command
(tests/data/qemu-command/hostdev-*.args) and the host checks on a made-up
sysfs by test-qemu-hostdev; here the real daemons refuse the start.
"""

import pytest

import virtbus_harness as h
from test_qemud_common import dbus_error, module_env, xmllint_relaxng

env = module_env()

PCI = ("<hostdev mode='subsystem' type='pci' managed='yes'><source>"
       "<address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/></source></hostdev>")
MDEV = ("<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='on'><source>"
        "<address uuid='53764d0e-85a0-42b4-af5c-2046b460b1dc'/></source></hostdev>")
USB = ("<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/><product id='0x0002'/>"
       "</source></hostdev>")
SCSI = ("<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host7'/>"
        "<address bus='0' target='0' unit='3'/></source></hostdev>")


def domain(name, devices, machine="pc"):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='{machine}'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    {devices}
  </devices>
</domain>"""


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    h.register_log("virtbus-proxyd", p.log_path)
    yield p
    p.stop()


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_hostdevs_defined_and_start_names_the_missing_one(env, machine):
    name = f"hd-{machine}"
    path = env.call("DomainDefineXML", domain(name, PCI + MDEV + USB + SCSI, machine))
    try:
        inactive = env.dcall(path, "GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        # each got its place in the guest at define time
        assert inactive.count("<hostdev ") == 4
        assert inactive.count("<address type='pci'") >= 2
        assert "<controller type='usb'" in inactive and "<address type='usb' bus='0' port='1'/>" in inactive
        assert "<controller type='scsi' index='0' model='lsilogic'>" in inactive
        assert "<address type='drive' controller='0' bus='0' target='0' unit='0'/>" in inactive
        with dbus_error("OperationFailed", "host device pci 0000:06:12.5 of <devices/hostdev> is not on this host",
                        "/sys/bus/pci/devices/0000:06:12.5"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.SHUTOFF
        assert env.dcall(path, "GetXMLDesc", 2) == inactive
    finally:
        env.dcall(path, "Undefine", 0)


def test_each_missing_device_is_named(env):
    for dev, words in ((MDEV, ("mdev 53764d0e-85a0-42b4-af5c-2046b460b1dc", "/sys/bus/mdev/devices/")),
                       (USB, ("usb 1d6b:0002", "lists no device with that vendor and product")),
                       (SCSI, ("scsi scsi_host7:0:0:3", "scsi_generic"))):
        path = env.call("DomainDefineXML", domain("hd-one", dev))
        try:
            with dbus_error("OperationFailed", "is not on this host", *words):
                env.dcall(path, "Create", 0)
            assert env.state(path)[0] == h.DomainState.SHUTOFF
        finally:
            env.dcall(path, "Undefine", 0)


def test_refusals_define_nothing(env):
    before = env.list_domains()
    with dbus_error("NotSupported", "graphics device is needed for attribute value 'display=on'"):
        env.call("DomainDefineXML", domain("hd-bad", MDEV).replace(
            "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>", ""))
    with dbus_error("NotSupported", "<driver name='kvm'/> is not supported, only 'vfio'"):
        env.call("DomainDefineXML", domain("hd-bad", PCI.replace("<source>", "<driver name='kvm'/><source>")))
    with dbus_error("NotSupported", "<hostdev mode='capabilities'>", "it is for containers"):
        env.call("DomainDefineXML", domain("hd-bad", "<hostdev mode='capabilities' type='storage'><source>"
                                                     "<block>/dev/sdb</block></source></hostdev>"))
    assert env.list_domains() == before


def test_virsh_start_names_the_missing_device(env, proxy, tmp_path):
    xml = tmp_path / "hd-virsh.xml"
    xml.write_text(domain("hd-virsh", PCI))
    proxy.virsh("define", xml)
    try:
        r = proxy.virsh("start", "hd-virsh", check=False)
        assert r.returncode != 0
        assert "host device pci 0000:06:12.5 of <devices/hostdev> is not on this host" in r.stderr, r.stderr
        assert "shut off" in proxy.virsh("domstate", "hd-virsh").stdout
        dumped = proxy.virsh("dumpxml", "hd-virsh").stdout
        assert "<address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/>" in dumped
    finally:
        proxy.virsh("undefine", "hd-virsh")


VF = ("<interface type='hostdev' managed='yes'><mac address='00:11:22:33:44:55'/><source>"
      "<address type='pci' domain='0x0000' bus='0x03' slot='0x07' function='0x1'/></source>"
      "<vlan><tag id='42'/></vlan><model type='virtio'/></interface>")


def test_interface_hostdev_defined_and_start_names_the_missing_vf(env, proxy, tmp_path):
    """<interface type='hostdev'>: kept as written (an interface, with its
    MAC and VLAN), a vfio-pci device to QEMU; this host has no VF, and the
    start says which one is missing, over D-Bus and with virsh."""
    path = env.call("DomainDefineXML", domain("hd-vf", VF))
    try:
        inactive = env.dcall(path, "GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert "<interface type='hostdev' managed='yes'>" in inactive and "<tag id='42'/>" in inactive
        assert "<mac address='00:11:22:33:44:55'/>" in inactive and "<hostdev " not in inactive
        words = ("host device pci 0000:03:07.1 (the VF of an <interface type='hostdev'>)", "is not on this host")
        with dbus_error("OperationFailed", *words):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.SHUTOFF
        assert env.dcall(path, "GetXMLDesc", 2) == inactive
        r = proxy.virsh("start", "hd-vf", check=False)
        assert r.returncode != 0 and all(w in r.stderr for w in words), r.stderr
        assert "shut off" in proxy.virsh("domstate", "hd-vf").stdout
        assert "00:11:22:33:44:55" in proxy.virsh("domiflist", "hd-vf").stdout
    finally:
        env.dcall(path, "Undefine", 0)


LIVE, CONFIG = 1, 2


def test_hotplug_names_the_missing_device_and_leaves_the_guest(env, proxy, tmp_path):
    """AttachDevice of a <hostdev> runs the start's host checks first: a
    device this host lacks is named and the running guest keeps what it
    had; over D-Bus and with virsh attach-device. CONFIG alone adds it to
    the persistent definition (and DetachDevice takes it out again)."""
    path = env.call("DomainDefineXML", domain("hd-plug", ""))
    try:
        env.dcall(path, "Create", 0)
        live = env.dcall(path, "GetXMLDesc", 0)
        for dev, words in ((PCI, ("host device pci 0000:06:12.5 of <devices/hostdev> is not on this host",)),
                           (USB, ("host device usb 1d6b:0002", "is not on this host")),
                           (SCSI, ("host device scsi scsi_host7:0:0:3", "is not on this host"))):
            with dbus_error("OperationFailed", *words):
                env.dcall(path, "AttachDevice", dev, LIVE)
            assert env.dcall(path, "GetXMLDesc", 0) == live
        f = tmp_path / "pci.xml"
        f.write_text(PCI)
        r = proxy.virsh("attach-device", "hd-plug", f, "--live", check=False)
        assert r.returncode != 0 and "host device pci 0000:06:12.5 of <devices/hostdev> is not on this host" \
            in r.stderr, r.stderr
        assert env.dcall(path, "GetXMLDesc", 0) == live
        assert env.state(path)[0] == h.DomainState.RUNNING
        with dbus_error("OperationFailed", "no hostdev 'pci 0000:06:12.5' found in the live definition"):
            env.dcall(path, "DetachDevice", PCI, LIVE)
        with dbus_error("OperationFailed", "host device pci 0000:03:07.1 (the VF of an <interface "
                        "type='hostdev'>) of <devices/hostdev> is not on this host"):
            env.dcall(path, "AttachDevice", VF, LIVE)
        assert env.dcall(path, "GetXMLDesc", 0) == live
        # the persistent definition alone: kept for the next start
        proxy.virsh("attach-device", "hd-plug", f, "--config")
        inactive = env.dcall(path, "GetXMLDesc", 2)
        assert "<address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/>" in inactive
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert env.dcall(path, "GetXMLDesc", 0) == live
        env.dcall(path, "DetachDevice", PCI, CONFIG)
        assert "<hostdev " not in env.dcall(path, "GetXMLDesc", 2)
    finally:
        try:
            env.dcall(path, "Destroy", 0)
        finally:
            env.dcall(path, "Undefine", 0)
