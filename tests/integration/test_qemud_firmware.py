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
