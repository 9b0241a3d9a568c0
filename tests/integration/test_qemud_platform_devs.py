# SPDX-License-Identifier: LGPL-2.1-or-later
"""<watchdog>, <panic>, <iommu> and <vsock> in virtbus-qemud, with the TCG test guest.

- <panic model='isa'/>: the guest panics (virtbus.crash), its pvpanic driver
  tells QEMU, and qemud reports the crash (on_crash destroy: shut off, crashed).
- <watchdog model='i6300esb' action='pause'/>: the guest loads its i6300esb
  driver and arms the watchdog without ever feeding it; QEMU fires it and
  qemud reports the guest paused (watchdog) with the Watchdog signal. The
  driver is not in the test initramfs: the test appends a second cpio
  archive (the kernel unpacks both) with the module and an ACPI power-button
  action that arms the watchdog, so the guest does it when the test asks.
- <iommu model='intel'> with interrupt remapping: the guest's kernel finds
  the DMAR unit and enables IRQ remapping; on a pc machine the start fails.
- the live XML names the devices by their aliases.
- <vsock>: /dev/vhost-vsock is needed; without it the start fails naming it.
"""

import gzip
import shutil
import subprocess
from pathlib import Path
import copy

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import BOOT_TIMEOUT, READY, module_env
from virtbus_harness import DomainState as S

env = module_env()

SHUTOFF_CRASHED = 3
PAUSED_WATCHDOG = 6
WATCHDOG_PAUSE = 1
ARMED = "VIRTBUS-TEST-WATCHDOG-ARMED"

# Run by the guest's acpid on the power button instead of the power-off:
# heartbeat 2 s, fed every 1000 s, so it fires.
ARM_SCRIPT = f"""#!/bin/sh
echo "{ARMED}" > /dev/console
exec /bin/watchdog -T 2 -t 1000 /dev/watchdog
"""


def kernel_modules_dir(guest):
    """The unpacked kernel package's modules tree that build-guest.sh keeps."""
    for d in sorted((Path(guest.dir) / "cache").glob("linux-image-*/lib/modules/*")):
        if d.is_dir():
            return d
    return None


def watchdog_initrd(guest, workdir):
    """The test initramfs plus an archive with i6300esb and the arming action,
    or None (with the reason) when the kernel's modules are not at hand."""
    mods = kernel_modules_dir(guest)
    if mods is None:
        return None, "the kernel package's modules are not in the guest cache"
    found = {}
    for name in ("watchdog", "i6300esb"):
        hits = list(mods.glob(f"kernel/drivers/watchdog/{name}.ko"))
        if not hits:
            return None, f"{name}.ko (uncompressed) is not in {mods}"
        found[name] = hits[0]
    tree = Path(workdir) / "wd-overlay"
    (tree / "lib/modules").mkdir(parents=True, exist_ok=True)
    (tree / "etc/acpi/PWRF").mkdir(parents=True, exist_ok=True)
    for name, path in found.items():
        shutil.copy(path, tree / "lib/modules" / f"{name}.ko")
    order = subprocess.run(f"zcat {guest.initrd} | cpio -i --quiet --to-stdout lib/modules/order",
                           shell=True, capture_output=True, check=True).stdout.decode()
    (tree / "lib/modules/order").write_text(order + "watchdog\ni6300esb\n")
    action = tree / "etc/acpi/PWRF/00000080"
    action.write_text(ARM_SCRIPT)
    action.chmod(0o755)
    files = "\n".join(str(p.relative_to(tree)) for p in sorted(tree.rglob("*"))) + "\n"
    archive = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=tree, input=files.encode(),
                             capture_output=True, check=True).stdout
    out = Path(workdir) / "initrd-watchdog.gz"
    out.write_bytes(Path(guest.initrd).read_bytes() + gzip.compress(archive))
    return out, None


def define(env, name, devices, guest=None, features="", **kw):
    g_img = guest or env.guest
    serial = env.root / f"{name}.serial"
    env.serials[name] = serial
    h.register_log(f"serial console of {name}", serial)
    xml = h.guest_domain_xml(g_img, name, serial_log=serial, extra_devices=devices, nic=None, **kw)
    xml = xml.replace("    <acpi/>\n", "    <acpi/>\n" + features, 1)
    from test_qemud_common import Guest
    return Guest(env, env.call("DomainDefineXML", xml), name)


def test_panic_isa_reports_the_crash(env):
    g = define(env, "panicky", "    <panic model='isa'/>", extra_cmdline="virtbus.crash=1 panic=0")
    g.start()
    live = g.call("GetXMLDesc", 0)
    assert "<panic model='isa'>" in live and "<alias name='panic0'/>" in live
    g.wait_marker("VIRTBUS-GUEST-CRASHING")
    h.wait_until(lambda: g.state() == (S.SHUTOFF, SHUTOFF_CRASHED), 60,
                 what="the panicked guest shut off (crashed)")
    assert "<panic model='isa'/>" in g.call("GetXMLDesc", 0)
    g.call("Undefine", 0)


def test_watchdog_fires_and_pauses(env):
    initrd, why = watchdog_initrd(env.guest, env.root.path)
    if initrd is None:
        pytest.skip(f"cannot give the guest its i6300esb driver: {why}")
    img = copy.copy(env.guest)
    img.initrd = initrd
    g = define(env, "wdog", "    <watchdog model='i6300esb' action='pause'/>", guest=img)
    g.start()
    live = g.call("GetXMLDesc", 0)
    assert "<watchdog model='i6300esb' action='pause'>" in live
    assert "<alias name='watchdog0'/>" in live
    g.wait_ready()
    assert b"MODULE-FAILED" not in g.serial_text(), h.tail(g.serial, 30)
    since = env.mark()
    g.call("Shutdown", 0)
    g.wait_marker(ARMED, timeout=30)
    env.mon.wait_signal("Watchdog", "org.libvirt.Domain", g.path, [WATCHDOG_PAUSE], since=since,
                        timeout=60)
    assert g.state() == (S.PAUSED, PAUSED_WATCHDOG)
    g.ensure_shutoff()
    g.call("Undefine", 0)


def test_intel_iommu_seen_by_the_guest(env):
    """q35 with the split I/O APIC and interrupt remapping: the guest's
    kernel finds the DMAR unit and turns remapping on."""
    g = define(env, "iommu", "    <iommu model='intel'><driver intremap='on' caching_mode='on'/></iommu>",
               features="    <ioapic driver='qemu'/>\n", machine="q35")
    g.start()
    live = g.call("GetXMLDesc", 0)
    assert "<ioapic driver='qemu'/>" in live and "<alias name='iommu0'/>" in live
    g.wait_ready()
    text = g.serial_text()
    assert b"DMAR" in text, h.tail(g.serial, 40)
    assert b"Enabled IRQ remapping" in text, h.tail(g.serial, 40)
    g.ensure_shutoff()
    g.call("Undefine", 0)


def test_iommu_intel_needs_q35(env):
    """Refused at define, as libvirt refuses it, and nothing is defined."""
    with pytest.raises(dbus.exceptions.DBusException) as e:
        define(env, "iommu-pc", "    <iommu model='intel'/>", machine="pc")
    assert "IOMMU device: 'intel' is only supported with Q35 machines" in e.value.get_dbus_message()
    with pytest.raises(dbus.exceptions.DBusException):
        env.call("DomainLookupByName", "iommu-pc")


def test_vsock_needs_vhost_vsock(env):
    g = define(env, "vsocky", "    <vsock model='virtio'><cid auto='yes'/></vsock>", domain_type="qemu")
    if Path("/dev/vhost-vsock").exists():
        g.start()
        live = g.call("GetXMLDesc", 0)
        assert "<alias name='vsock0'/>" in live
        assert "<cid auto='yes' address='" in live
        g.ensure_shutoff()
    else:
        with pytest.raises(dbus.exceptions.DBusException) as e:
            g.call("Create", 0)
        assert "/dev/vhost-vsock" in e.value.get_dbus_message()
        assert g.state()[0] == S.SHUTOFF
    g.call("Undefine", 0)
