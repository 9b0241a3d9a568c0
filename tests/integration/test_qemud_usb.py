# SPDX-License-Identifier: LGPL-2.1-or-later
"""USB in virtbus-qemud: EHCI companions, hubs and USB disks defined (their
ports written into the definition), started in the real QEMU (SeaBIOS only:
the test guest's kernel loads no USB driver), a USB disk plugged and
unplugged through D-Bus and through virsh, and the USB refusals.
"""

import shutil

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, dbus_error, module_env, xmllint_relaxng

env = module_env()

LIVE, CONFIG = 1, 2
DOMAIN_IF = "org.libvirt.Domain"

COMPANIONS = """
    <controller type='usb' index='0' model='ich9-ehci1'/>
    <controller type='usb' index='0' model='ich9-uhci1'><master startport='0'/></controller>
    <controller type='usb' index='0' model='ich9-uhci2'><master startport='2'/></controller>
    <controller type='usb' index='0' model='ich9-uhci3'><master startport='4'/></controller>"""


def domain(name, devices, machine="pc"):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='{machine}'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    {devices}
  </devices>
</domain>"""


def usb_disk(path, dev, extra=""):
    return (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
            f"<source file='{path}'/><target dev='{dev}' bus='usb'/>{extra}</disk>")


@pytest.fixture(scope="module")
def images(env):
    d = env.root / "usbimages"
    d.mkdir()
    for n in ("a.img", "b.img", "c.img"):
        (d / n).write_bytes(b"\0" * (1 << 20))
    return d


def cmdline(g):
    return open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")


def test_companions_hubs_and_disk_started(env, images):
    devices = (COMPANIONS + "<hub type='usb'><address type='usb' bus='0' port='1'/></hub><hub type='usb'/>"
               "<input type='tablet' bus='usb'/>"
               "<input type='keyboard' bus='usb'><address type='usb' bus='0' port='1.3'/></input>"
               + usb_disk(images / "a.img", "sda"))
    g = Guest(env, env.call("DomainDefineXML", domain("usb1", devices)), "usb1")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert "<master startport='2'/>" in inactive
        # the keyboard behind the first hub, where it was put; the second hub
        # first, then the disk, then the tablet on the EHCI's next ports
        assert "<address type='usb' bus='0' port='1.3'/>" in inactive
        assert "<hub type='usb'>\n      <address type='usb' bus='0' port='2'/>" in inactive
        assert "<target dev='sda' bus='usb'/>\n      <address type='usb' bus='0' port='3'/>" in inactive
        assert "<input type='tablet' bus='usb'>\n      <address type='usb' bus='0' port='4'/>" in inactive
        # defining the output again changes nothing
        assert env.call("DomainDefineXML", inactive) == g.path
        assert g.call("GetXMLDesc", 2) == inactive
        g.call("Create", 0)
        argv = cmdline(g)
        assert b'{"driver":"usb-hub","id":"hub0","bus":"usb.0","port":"1"}' in argv
        assert any(a.startswith(b'{"driver":"ich9-usb-uhci2"') and b'"firstport":2' in a for a in argv)
        assert any(a.startswith(b'{"driver":"usb-storage","id":"usb-disk0","bus":"usb.0","port":"3"')
                   for a in argv)
        live = g.call("GetXMLDesc", 0)
        assert "<alias name='hub0'/>" in live and "<alias name='usb-disk0'/>" in live
    finally:
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)


def test_usb_disk_plugged_and_unplugged(env, images):
    g = Guest(env, env.call("DomainDefineXML",
                            domain("usb2", "<controller type='usb' index='0' model='qemu-xhci'/>" +
                                   usb_disk(images / "a.img", "sda").replace("bus='usb'", "bus='sata'"),
                                   "q35")), "usb2")
    try:
        g.call("Create", 0)
        mark = env.mon.mark()
        g.call("AttachDevice", usb_disk(images / "b.img", "sdb"), LIVE | CONFIG)
        env.mon.wait_signal("DeviceAdded", interface=DOMAIN_IF, path=g.path, args=["usb-disk1"],
                            since=mark, timeout=10)
        live, inactive = g.call("GetXMLDesc", 0), g.call("GetXMLDesc", 2)
        assert "<address type='usb' bus='0' port='1'/>" in live and "<alias name='usb-disk1'/>" in live
        assert "dev='sdb'" in inactive
        mark = env.mon.mark()
        g.call("DetachDevice", usb_disk(images / "b.img", "sdb"), LIVE | CONFIG)
        env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=["usb-disk1"],
                            since=mark, timeout=30)
        assert "sdb" not in g.call("GetXMLDesc", 0) and "sdb" not in g.call("GetXMLDesc", 2)

        if not shutil.which("virsh"):
            pytest.skip("virsh (libvirt-clients) is not installed")
        proxy = h.Proxy(env.bus, env.root).start()
        try:
            xmlf = env.root / "sdc.xml"
            xmlf.write_text(usb_disk(images / "c.img", "sdc"))
            proxy.virsh("attach-device", "usb2", str(xmlf), "--live")
            assert "<alias name='usb-disk2'/>" in g.call("GetXMLDesc", 0)
            proxy.virsh("detach-device", "usb2", str(xmlf), "--live")
            h.wait_until(lambda: "sdc" not in g.call("GetXMLDesc", 0), 30, 0.5, "sdc gone")
        finally:
            proxy.stop()
    finally:
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)


@pytest.mark.parametrize("devices,error,words", [
    ("<controller type='usb' index='0' model='ich9-uhci2'><master startport='2'/></controller>",
     "NotSupported", "is its master"),
    ("<controller type='usb' index='0'/><hub type='usb'><address type='usb' bus='0' port='1'/></hub>"
     "<input type='mouse' bus='usb'><address type='usb' bus='0' port='1.9'/></input>",
     "InvalidArg", "the hub has ports 1 to 8"),
    ("<controller type='usb' index='0'/><input type='mouse' bus='usb'><address type='usb' bus='0' port='2.1'/>"
     "</input>", "InvalidArg", "where there is no hub"),
    ("<controller type='usb' index='0' model='none'/><hub type='usb'/>", "NotSupported", "USB is disabled"),
    ("<disk type='block' device='lun'><source dev='/dev/sdz'/><target dev='sda' bus='usb'/></disk>",
     "NotSupported", "a lun on bus 'usb' is not supported"),
])
def test_refused_and_nothing_defined(env, devices, error, words):
    with dbus_error(error, words):
        env.call("DomainDefineXML", domain("usbbad", devices))
    with dbus_error("NoDomain"):
        env.call("DomainLookupByName", "usbbad")
