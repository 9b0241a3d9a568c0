# SPDX-License-Identifier: LGPL-2.1-or-later
"""PCI controllers placed at define time (qemud/qemu-address.c) in the real
QEMU: a q35 guest with a dmi-to-pci-bridge and a pci-bridge behind it, and a
PCIe switch (upstream port in a root port, two downstream ports) whose free
downstream ports take the guest's PCIe devices. Started, QEMU's query-pci has
every controller and device where the live XML says (test_qemud_addresses'
check, asked over the monitor while qemud is stopped); the inactive XML is
valid under libvirt's domain.rng and defines again to itself."""

import re
import xml.etree.ElementTree as ET

import virtbus_harness as h
from virtbus_harness import DomainState as S
from test_qemud_common import module_env, xmllint_relaxng
from test_qemud_addresses import check_query_pci, guest_xml, query_pci

env = module_env()

XML_INACTIVE = 2
CONTROLLERS = ("    <controller type='pci' index='1' model='dmi-to-pci-bridge'/>\n"
               "    <controller type='pci' index='2' model='pci-bridge'/>\n"
               "    <controller type='pci' index='3' model='pcie-root-port'/>\n"
               "    <controller type='pci' index='4' model='pcie-switch-upstream-port'/>\n"
               "    <controller type='pci' index='5' model='pcie-switch-downstream-port'/>\n"
               "    <controller type='pci' index='6' model='pcie-switch-downstream-port'/>\n")


def with_controllers(xml):
    assert "<devices>\n" in xml
    return xml.replace("<devices>\n", "<devices>\n" + CONTROLLERS, 1)


def test_switch_and_bridges_query_pci_agrees(env):
    name = "pci-switch"
    path = env.call("DomainDefineXML", with_controllers(guest_xml(env, name, "q35")))
    try:
        inactive = env.dcall(path, "GetXMLDesc", XML_INACTIVE)
        xmllint_relaxng(inactive, "domain", "the inactive XML")
        assert env.call("DomainDefineXML", inactive) == path
        assert env.dcall(path, "GetXMLDesc", XML_INACTIVE) == inactive
        doc = ET.fromstring(inactive)
        models = {c.get("index"): c for c in doc.find("devices").findall("controller")
                  if c.get("type") == "pci"}
        assert models["1"].find("model").get("name") == "i82801b11-bridge", inactive
        assert models["4"].find("address").get("bus") == "0x03", inactive
        assert {models[i].find("address").get("bus") for i in ("5", "6")} == {"0x04"}, inactive
        # the downstream ports took PCIe devices of the guest
        buses = {a.get("bus") for a in doc.iter("address") if a.get("type") == "pci"}
        assert {"0x05", "0x06"} <= buses, inactive

        env.dcall(path, "Create", 0)
        h.wait_until(lambda: env.state(path)[0] == S.RUNNING, 30, what=f"{name} running")
        live = env.dcall(path, "GetXMLDesc", 0)
        tree = query_pci(env, name, live)
        h.wait_until(lambda: env.state(path)[0] == S.RUNNING, 30,
                     what=f"{name} running, seen by qemud started again")
        check_query_pci(live, tree)
        strip = lambda x: re.sub(r"\s*<alias name='[^']*'/>", "", x)
        assert "x3130-upstream" in strip(live)
    finally:
        if env.state(path)[0] != S.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)
