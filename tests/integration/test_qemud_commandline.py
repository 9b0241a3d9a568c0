# SPDX-License-Identifier: LGPL-2.1-or-later
"""<qemu:commandline> (libvirt's QEMU namespace): the <qemu:arg>s end QEMU's
argv and the <qemu:env>s are in its environment; the definition keeps them
with the namespace whatever prefix the document used."""

import re

import pytest

import virtbus_harness as h

pytestmark = pytest.mark.timeout(120)

NS = "http://libvirt.org/schemas/domain/qemu/1.0"


def domain_xml(name, extra):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
  {extra}
</domain>"""


def qemu_pid(vroot, name):
    live = (vroot / "run" / "virtbus" / "qemu" / f"{name}.xml").read_text()
    return int(re.search(r"<domstatus [^>]*\bpid='(\d+)'", live).group(1))


def test_args_and_env_reach_qemu(qemud, vroot):
    extra = (f"<ns0:commandline xmlns:ns0='{NS}'><ns0:arg value='-fw_cfg'/>"
             "<ns0:arg value='name=opt/org.virtbus/ns,string=yes'/>"
             "<ns0:env name='VIRTBUS_NS_TEST' value='a b'/><ns0:env name='VIRTBUS_NS_EMPTY'/></ns0:commandline>")
    path = qemud.call("DomainDefineXML", domain_xml("ns", extra))
    inactive = qemud.domain_call(path, "GetXMLDesc", 2)
    assert f"<domain type='qemu' xmlns:qemu='{NS}'>" in inactive, inactive
    assert "<qemu:arg value='-fw_cfg'/>" in inactive and "<qemu:env name='VIRTBUS_NS_EMPTY'/>" in inactive, inactive

    qemud.domain_call(path, "Create", 0)
    try:
        pid = qemu_pid(vroot, "ns")
        argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[:-1]
        assert argv[-2:] == [b"-fw_cfg", b"name=opt/org.virtbus/ns,string=yes"], argv
        env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        assert b"VIRTBUS_NS_TEST=a b" in env and b"VIRTBUS_NS_EMPTY=" in env, env
    finally:
        qemud.domain_call(path, "Destroy", 0)


def test_bad_env_name_is_refused(qemud):
    path = qemud.call("DomainDefineXML", domain_xml("ns-bad", ""))
    before = qemud.domain_call(path, "GetXMLDesc", 2)
    bad = domain_xml("ns-bad", f"<qemu:commandline xmlns:qemu='{NS}'><qemu:env name='9X'/></qemu:commandline>")
    with h.expect_dbus_error("org.virtbus.Error.XMLError") as e:
        qemud.call("DomainDefineXML", bad)
    assert "Invalid environment name '9X'" in e.message, e.message
    assert qemud.domain_call(path, "GetXMLDesc", 2) == before


def test_override_reaches_qemu(qemud, vroot):
    """<qemu:override>: the -device JSON QEMU runs with has the properties
    set (and removed) on the device of the alias; QEMU accepted them, as it
    started. A value that does not fit its type is refused at define."""
    dev = ("<interface type='user'><mac address='52:54:00:12:34:57'/><model type='virtio'/>"
           "<alias name='ua-net'/></interface>")
    ovr = (f"<qemu:override xmlns:qemu='{NS}'><qemu:device alias='ua-net'><qemu:frontend>"
           "<qemu:property name='x-txburst' type='signed' value='128'/>"
           "<qemu:property name='host_mtu' type='unsigned' value='1400'/>"
           "<qemu:property name='mq' type='bool' value='true'/>"
           "<qemu:property name='bus' type='remove'/></qemu:frontend></qemu:device></qemu:override>")
    xml = domain_xml("ns-ovr", ovr).replace("</emulator>", "</emulator>" + dev)
    path = qemud.call("DomainDefineXML", xml)
    before = qemud.domain_call(path, "GetXMLDesc", 2)
    assert "<qemu:property name='bus' type='remove'/>" in before, before
    bad = xml.replace("value='1400'", "value='-1'")
    with h.expect_dbus_error("org.virtbus.Error.XMLError") as e:
        qemud.call("DomainDefineXML", bad)
    assert "invalid value '-1' of 'value' attribute of 'qemu:property'" in e.message, e.message
    assert qemud.domain_call(path, "GetXMLDesc", 2) == before

    qemud.domain_call(path, "Create", 0)
    try:
        argv = open(f"/proc/{qemu_pid(vroot, 'ns-ovr')}/cmdline", "rb").read().split(b"\0")
        net = [a for a in argv if b'"id":"ua-net"' in a]
        assert len(net) == 1, argv
        assert net[0].endswith(b'"x-txburst":128,"host_mtu":1400,"mq":true}') and b'"bus"' not in net[0], net
    finally:
        qemud.domain_call(path, "Destroy", 0)
