# SPDX-License-Identifier: LGPL-2.1-or-later
"""The platform parts of a definition in virtbus-qemud, with the TCG test guest:
<sysinfo type='smbios'> with <os><smbios mode='sysinfo'/> (the guest's kernel
prints the SMBIOS system, board and BIOS it was given: "DMI: ..." on its
console), <sysinfo type='fwcfg'>, guest NUMA cells given out of order and one
without vCPUs, <features> <vmcoreinfo/>, <smm><tseg> and <tcg><tb-cache>, and
<idmap> kept as libvirt's QEMU driver keeps it. Defined through D-Bus and
through virsh (the proxy); the refusals name what is wrong."""

import os
import shutil

import pytest

import virtbus_harness as h
from test_qemud_common import READY, Guest, dbus_error, module_env

pytestmark = pytest.mark.timeout(240)

env = module_env()

SYSINFO = """  <sysinfo type='smbios'>
    <bios>
      <entry name='vendor'>VirtbusBIOS</entry>
      <entry name='version'>vb-1.2</entry>
      <entry name='date'>03/04/2021</entry>
    </bios>
    <system>
      <entry name='manufacturer'>Virtbus</entry>
      <entry name='product'>Platform, Test</entry>
    </system>
    <baseBoard>
      <entry name='product'>Board9</entry>
    </baseBoard>
    <oemStrings>
      <entry>virtbus-oem</entry>
    </oemStrings>
  </sysinfo>
  <sysinfo type='fwcfg'>
    <entry name='opt/org.virtbus/test'>hello</entry>
  </sysinfo>
"""

CPU = """  <cpu>
    <numa>
      <cell id='1' memory='65536' unit='KiB'/>
      <cell id='0' cpus='0-1' memory='196608' unit='KiB'/>
    </numa>
  </cpu>
"""

FEATURES = """    <smm state='on'>
      <tseg unit='MiB'>16</tseg>
    </smm>
    <vmcoreinfo state='on'/>
    <tcg>
      <tb-cache unit='MiB'>64</tb-cache>
    </tcg>
"""

IDMAP = "  <idmap>\n    <uid start='0' target='1000' count='10'/>\n    <gid start='0' target='1000' count='10'/>\n  </idmap>\n"


def platform_xml(env, name):
    doc = env.guest_xml(name, vcpus=2)
    doc = doc.replace("<memory unit='MiB'>256</memory>", "<memory unit='KiB'>262144</memory>", 1)
    doc = doc.replace("  <os>", SYSINFO + "  <os>", 1)
    doc = doc.replace("  </os>", "    <smbios mode='sysinfo'/>\n  </os>\n" + CPU, 1)
    doc = doc.replace("    <acpi/>\n", "    <acpi/>\n" + FEATURES, 1)
    doc = doc.replace("  <devices>", IDMAP + "  <devices>", 1)
    return doc


def test_booted_guest_sees_its_smbios(env):
    g = None
    path = env.call("DomainDefineXML", platform_xml(env, "plat"))
    try:
        inactive = env.dcall(path, "GetXMLDesc", 2)
        for kept in ("<entry name='product'>Platform, Test</entry>", "<smbios mode='sysinfo'/>",
                     "<entry name='opt/org.virtbus/test'>hello</entry>", "<tseg unit='MiB'>16</tseg>",
                     "<tb-cache unit='KiB'>65536</tb-cache>", "<vmcoreinfo state='on'/>",
                     "<uid start='0' target='1000' count='10'/>"):
            assert kept in inactive, (kept, inactive)
        # the cells sorted by id, the memory-only one without cpus
        assert inactive.index("<cell id='0' cpus='0-1'") < inactive.index("<cell id='1' memory='65536'")
        g = Guest(env, path, "plat").start()
        g.wait_marker(READY)
        console = g.serial_text().decode(errors="replace")
        # Linux's dmi_setup(): "DMI: <vendor> <product>/<board>, BIOS <version> <date>"
        assert "DMI: Virtbus Platform, Test/Board9, BIOS vb-1.2 03/04/2021" in console, console[-3000:]
        # two guest NUMA nodes, the second without CPUs
        assert "Initmem setup node 1" in console, console[-3000:]
    finally:
        if g is not None:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


@pytest.mark.parametrize("top,name,words", [
    ("<sysinfo type='smbios'><bios><entry name='date'>13/45/2021</entry></bios></sysinfo>", "XMLError",
     "Invalid BIOS 'date' format"),
    ("<sysinfo type='fwcfg'><entry name='opt/ovmf/x'>v</entry></sysinfo>", "NotSupported",
     "That firmware name is reserved"),
    ("<sysinfo type='smbios'><system><entry name='uuid'>a94b4335-6a14-8bc4-d6da-f7ea590b6816</entry></system>"
     "</sysinfo>", "XMLError", "UUID mismatch between <uuid> and <sysinfo>"),
], ids=["bios-date", "fwcfg-reserved", "uuid-mismatch"])
def test_bad_platform_is_refused(env, top, name, words):
    doc = env.guest_xml("badplat").replace("  <os>", top + "\n  <os>", 1)
    before = env.list_domains()
    with dbus_error(name, words):
        env.call("DomainDefineXML", doc)
    assert env.list_domains() == before


def test_start_fails_naming_two_base_boards(env):
    doc = env.guest_xml("boards").replace(
        "  <os>", "  <sysinfo type='smbios'><baseBoard><entry name='serial'>1</entry></baseBoard>"
        "<baseBoard><entry name='serial'>2</entry></baseBoard></sysinfo>\n  <os>", 1).replace(
        "  </os>", "    <smbios mode='sysinfo'/>\n  </os>", 1)
    path = env.call("DomainDefineXML", doc)
    try:
        with dbus_error("ConfigUnsupported", "more than one entry to Type 2"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.SHUTOFF
    finally:
        env.dcall(path, "Undefine", 0)


def test_virsh_defines_and_dumps_sysinfo(env):
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    xmlf = env.root / "plat-virsh.xml"
    xmlf.write_text(platform_xml(env, "platvirsh"))
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        proxy.virsh("define", xmlf)
        out = proxy.virsh("dumpxml", "platvirsh", "--inactive").stdout
        assert "<entry name='vendor'>VirtbusBIOS</entry>" in out, out
        assert "<dirty-ring" not in out and "<vmcoreinfo state='on'/>" in out, out
        proxy.virsh("undefine", "platvirsh")
    finally:
        proxy.stop()


SEV = """  <launchSecurity type='sev'>
    <cbitpos>47</cbitpos>
    <reducedPhysBits>1</reducedPhysBits>
    <policy>0x0001</policy>
    <dhCert>AQAAAAAOAAAAQAAAAAOAAAAQ</dhCert>
  </launchSecurity>
"""


def test_sev_guest_start_names_what_the_host_lacks(env):
    if os.path.exists("/dev/sev"):
        pytest.skip("this host has /dev/sev: the start would go on to QEMU")
    doc = env.guest_xml("sev").replace("</devices>", "</devices>\n" + SEV, 1)
    path = env.call("DomainDefineXML", doc)
    try:
        assert "<policy>0x0001</policy>" in env.dcall(path, "GetXMLDesc", 2)
        with dbus_error("OperationFailed", "/dev/sev is missing"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.SHUTOFF
    finally:
        env.dcall(path, "Undefine", 0)
