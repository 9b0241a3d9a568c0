# SPDX-License-Identifier: LGPL-2.1-or-later
"""<os firmware='efi'>: qemud picks the UEFI firmware from QEMU's firmware
descriptors (Debian's ovmf package), copies the NVRAM template to
<statedir>/qemu/nvram/<name>_VARS.fd on the first start and keeps it
afterwards; QEMU really starts with it."""

import glob
import os
import re

import pytest

import virtbus_harness as h

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not glob.glob("/usr/share/qemu/firmware/*edk2-x86_64*.json"),
                       reason="no UEFI firmware descriptors (apt-get install ovmf)"),
]


def domain_xml(name, virt, secure=False):
    loader = "<loader secure='yes'/>" if secure else ""
    # libvirt refuses UEFI without ACPI on x86 at define time (qemu-rules.c)
    smm = "<smm state='on'/>" if secure else ""
    return f"""<domain type='{virt}'>
  <name>{name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type>{loader}</os>
  <features><acpi/>{smm}</features>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>"""


def live_xml(vroot, name):
    return (vroot / "run" / "virtbus" / "qemu" / f"{name}.xml").read_text()


def qemu_cmdline(vroot, name):
    pid = int(re.search(r"<domstatus [^>]*\bpid='(\d+)'", live_xml(vroot, name)).group(1))
    return open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")


@pytest.mark.parametrize("secure", [False, True], ids=["plain", "secure-boot"])
def test_efi_guest_starts_with_its_own_nvram(qemud, vroot, secure):
    # Secure Boot needs SMM, which not every KVM offers (nested ones often
    # do not); TCG always has it.
    virt = "kvm" if h.kvm_available() and not secure else "qemu"
    name = "efi-sb" if secure else "efi"
    path = qemud.call("DomainDefineXML", domain_xml(name, virt, secure))
    nvram = vroot / "var" / "lib" / "virtbus" / "qemu" / "nvram" / f"{name}_VARS.fd"
    assert not nvram.exists()

    qemud.domain_call(path, "Create", 0)
    assert qemud.domain_call(path, "GetState", 0)[0] == 1

    # The live XML names the firmware picked and the guest's variables store.
    live = qemud.domain_call(path, "GetXMLDesc", 0)
    m = re.search(r"<loader readonly='yes'( secure='yes')? type='pflash'>([^<]+)</loader>", live)
    assert m, live
    code = m.group(2)
    assert os.path.exists(code), code
    assert ("secboot" in code or ".ms." in code) == secure, code
    assert f"<nvram>{nvram}</nvram>" in live, live
    assert nvram.stat().st_size > 0

    # QEMU runs with both flash images.
    argv = qemu_cmdline(vroot, name)
    assert any(code.encode() in a for a in argv), argv
    assert any(str(nvram).encode() in a for a in argv), argv
    if secure:
        assert b"driver=cfi.pflash01,property=secure,value=on" in argv, argv

    # The persistent definition still asks for auto-selection only.
    inactive = qemud.domain_call(path, "GetXMLDesc", 2)
    assert "<os firmware='efi'>" in inactive and "<nvram>" not in inactive, inactive

    # The variables the guest wrote survive a restart.
    qemud.domain_call(path, "Destroy", 0)
    nvram.write_bytes(b"guest-written" + b"\0" * (nvram.stat().st_size - 13))
    qemud.domain_call(path, "Create", 0)
    assert nvram.read_bytes().startswith(b"guest-written")
    qemud.domain_call(path, "Destroy", 0)


def test_secure_boot_on_i440fx_is_not_supported(qemud):
    virt = "kvm" if h.kvm_available() else "qemu"
    xml = domain_xml("efi-pc", virt, secure=True).replace("machine='q35'", "machine='pc'")
    path = qemud.call("DomainDefineXML", xml)
    with h.expect_dbus_error("org.virtbus.Error.NotSupported") as e:
        qemud.domain_call(path, "Create", 0)
    assert "Secure Boot" in e.message, e.message


def qmp_block_nodes(qemud, vroot, name):
    """QEMU's block nodes over its monitor, qemud killed meanwhile (it holds
    the monitor) and started again: it reconnects."""
    monitor = re.search(r"<monitor path='([^']+)'", live_xml(vroot, name)).group(1)
    qemud.kill()
    try:
        qmp = h.Qmp(monitor, timeout=20)
        try:
            return {n["node-name"]: n["file"] for n in qmp.cmd("query-named-block-nodes")}
        finally:
            qmp.close()
    finally:
        qemud.start()


def test_stateless_secure_boot_with_enrolled_keys(qemud, vroot):
    # <firmware> features pick the descriptor (Debian's 40-edk2-x86_64-secure-enrolled:
    # the ms-keys build); stateless='yes' gives QEMU the code flash only.
    os_xml = ("<firmware><feature enabled='yes' name='secure-boot'/><feature enabled='yes' "
              "name='enrolled-keys'/></firmware><loader stateless='yes'/>")
    xml = domain_xml("efi-sl", "qemu").replace("hvm</type>", "hvm</type>" + os_xml)
    path = qemud.call("DomainDefineXML", xml)
    inactive = qemud.domain_call(path, "GetXMLDesc", 2)
    assert re.search(r"<firmware>\s*<feature enabled='yes' name='secure-boot'/>\s*"
                     r"<feature enabled='yes' name='enrolled-keys'/>\s*</firmware>\s*"
                     r"<loader stateless='yes'/>", inactive), inactive

    qemud.domain_call(path, "Create", 0)
    live = qemud.domain_call(path, "GetXMLDesc", 0)
    m = re.search(r"<loader readonly='yes' secure='yes' stateless='yes' type='pflash'>([^<]+)</loader>", live)
    assert m, live
    code = m.group(1)
    if ".ms." not in code:
        qemud.domain_call(path, "Destroy", 0)
        pytest.skip(f"the firmware with enrolled keys here is {code}, not Debian's ms build")
    assert "<nvram" not in live, live
    assert not (vroot / "var" / "lib" / "virtbus" / "qemu" / "nvram" / "efi-sl_VARS.fd").exists()

    nodes = qmp_block_nodes(qemud, vroot, "efi-sl")
    assert nodes.get("pflash0-file") == code, nodes
    assert "pflash1-file" not in nodes, nodes
    qemud.domain_call(path, "Destroy", 0)


def test_given_loader_gets_its_nvram_from_the_template(qemud, vroot):
    # <nvram template='' type='file'>: the file is the guest's copy of the template
    code, template = "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"
    if not (os.path.exists(code) and os.path.exists(template)):
        pytest.skip(f"no {code} and {template} (apt-get install ovmf)")
    vars_file = vroot / "guest_VARS.fd"
    os_xml = (f"<loader readonly='yes' type='pflash'>{code}</loader>"
              f"<nvram template='{template}' type='file'><source file='{vars_file}'/></nvram>")
    xml = (domain_xml("efi-tmpl", "qemu").replace("<os firmware='efi'>", "<os>")
           .replace("hvm</type>", "hvm</type>" + os_xml))
    path = qemud.call("DomainDefineXML", xml)
    inactive = qemud.domain_call(path, "GetXMLDesc", 2)
    assert f"<source file='{vars_file}'/>" in inactive and f"template='{template}'" in inactive, inactive

    qemud.domain_call(path, "Create", 0)
    assert vars_file.read_bytes() == open(template, "rb").read()
    nodes = qmp_block_nodes(qemud, vroot, "efi-tmpl")
    assert nodes.get("pflash0-file") == code and nodes.get("pflash1-file") == str(vars_file), nodes
    qemud.domain_call(path, "Destroy", 0)

    # bad input: a template with a stateless loader, refused and nothing changed
    bad = xml.replace("type='pflash'>", "type='pflash' stateless='yes'>")
    with h.expect_dbus_error("org.virtbus.Error.XMLError") as e:
        qemud.call("DomainDefineXML", bad)
    assert "NVRAM template is not permitted when loader is stateless" in e.message, e.message
    assert qemud.domain_call(path, "GetXMLDesc", 2) == inactive
