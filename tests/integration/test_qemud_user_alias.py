# SPDX-License-Identifier: LGPL-2.1-or-later
"""User aliases (<alias name='ua-...'/>) on a running guest: kept in the live
and inactive XML and given to QEMU as the devices' ids (and the ids made from
them: "char" + alias, "obj" + alias, the balloon's QOM path), so that
DetachDeviceAlias / `virsh detach-device-alias` and the device signals name
them; a hot-plugged device whose alias is taken is refused.

One TCG boot of the test guest serves the module: q35, virtio disks vda
ua-first and vdb ua-data, a file serial ua-serial (the guest's console), an
rng ua-rng, a balloon ua-balloon and spare pcie-root-ports for a hot-plugged
disk.
"""

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, module_env

pytestmark = pytest.mark.timeout(600)

env = module_env()

LIVE, CONFIG = 1, 2
INACTIVE = 2            # GetXMLDesc
DOMAIN_IF = "org.libvirt.Domain"
STAT_ACTUAL = 6
ALIASES = ("ua-data", "ua-first", "ua-serial", "ua-rng", "ua-balloon")


def with_alias(xml, after, alias):
    assert after in xml, after
    return xml.replace(after, f"{after}\n      <alias name='{alias}'/>", 1)


@pytest.fixture(scope="module")
def booted(env):
    files = env.root / "ua-files"
    files.mkdir()
    first, data, hot = files / "first.img", files / "data.img", files / "hot.img"
    first.write_bytes(b"\0" * (2 << 20))
    data.write_bytes(b"\0" * (8 << 20))
    hot.write_bytes(b"\0" * (4 << 20))
    extra = """    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
      <alias name='ua-rng'/>
    </rng>
    <memballoon model='virtio'>
      <alias name='ua-balloon'/>
    </memballoon>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <controller type='pci' index='3' model='pcie-root-port'/>
    <controller type='pci' index='4' model='pcie-root-port'/>
    <controller type='pci' index='5' model='pcie-root-port'/>"""
    xml = env.guest_xml("ua1", nic=None, disks=[(str(first), "raw", "vda"), (str(data), "raw", "vdb")],
                        extra_devices=extra)
    # vda keeps the domain's lease (a running guest keeps one disk): vdb goes
    xml = with_alias(xml, "<target dev='vda' bus='virtio'/>", "ua-first")
    xml = with_alias(xml, "<target dev='vdb' bus='virtio'/>", "ua-data")
    xml = with_alias(xml, "<target port='0'/>", "ua-serial")
    g = Guest(env, env.call("DomainDefineXML", xml), "ua1")
    g.start()
    g.wait_ready()
    yield g, hot
    try:
        g.call("Destroy", 0)
    except dbus.exceptions.DBusException:
        pass


def qemu_argv(g):
    return open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")


def devices_with_id(argv, ident):
    return [a for a in argv if f'"id":"{ident}"'.encode() in a]


def test_live_xml_and_qemu_ids(env, booted):
    g, _ = booted
    live, inactive = g.call("GetXMLDesc", 0), g.call("GetXMLDesc", INACTIVE)
    for alias in ALIASES:
        assert f"<alias name='{alias}'/>" in live, alias
        assert f"<alias name='{alias}'/>" in inactive, alias
    # the driver's own names are gone where the user gave one
    for generated in ("virtio-disk0", "'serial0'", "'rng0'", "balloon0"):
        assert generated not in live, generated
    argv = qemu_argv(g)
    for alias in ALIASES:
        assert len(devices_with_id(argv, alias)) == 1, (alias, argv)
    assert b"file,id=charua-serial,path=" in b"\n".join(argv)
    assert devices_with_id(argv, "objua-rng")
    disk = devices_with_id(argv, "ua-data")[0]
    assert b'"drive":"ua-data-fmt"' in disk, disk


def test_memory_stats_with_user_balloon(env, booted):
    g, _ = booted
    # QOM path /machine/peripheral/ua-balloon: qom-set and qom-get reach it
    g.call("SetMemoryStatsPeriod", 2, LIVE)
    assert "<stats period='2'/>" in g.call("GetXMLDesc", 0)
    stats = dict(g.call("MemoryStats", 0))
    assert stats.get(STAT_ACTUAL) == 256 * 1024, stats


def test_taken_alias_refused_at_hotplug(env, booted):
    g, hot = booted
    live, inactive = g.call("GetXMLDesc", 0), g.call("GetXMLDesc", INACTIVE)
    argv = qemu_argv(g)
    disk = (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{hot}'/>"
            "<target dev='vdc' bus='virtio'/><alias name='ua-rng'/></disk>")
    for flags in (LIVE, CONFIG, LIVE | CONFIG):
        with h.expect_dbus_error("org.virtbus.Error.NotSupported") as e:
            g.call("AttachDevice", disk, flags)
        assert "non unique alias detected: ua-rng" in e.message, e.message
    assert g.call("GetXMLDesc", 0) == live and g.call("GetXMLDesc", INACTIVE) == inactive
    assert qemu_argv(g) == argv
    with h.expect_dbus_error("org.virtbus.Error.InternalError") as e:
        g.call("DetachDeviceAlias", "ua-nothing", LIVE)
    assert "no device found with alias ua-nothing" in e.message, e.message
    assert g.call("GetXMLDesc", 0) == live


def test_survives_qemud_sigkill(env, booted):
    g, _ = booted
    live = g.call("GetXMLDesc", 0)
    env.qemud.kill()
    env.qemud.start()
    assert g.call("GetXMLDesc", 0) == live
    stats = dict(g.call("MemoryStats", 0))
    assert stats.get(STAT_ACTUAL) == 256 * 1024, stats


def test_detach_device_alias_dbus(env, booted):
    g, _ = booted
    mark = env.mon.mark()
    g.call("DetachDeviceAlias", "ua-data", LIVE)
    env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=["ua-data"], since=mark,
                        timeout=60)
    live, inactive = g.call("GetXMLDesc", 0), g.call("GetXMLDesc", INACTIVE)
    assert "ua-data" not in live and "dev='vdb'" not in live
    assert "<alias name='ua-data'/>" in inactive, "LIVE leaves the persistent definition alone"
    for alias in ALIASES[1:]:
        assert f"<alias name='{alias}'/>" in live


def test_virsh_detach_device_alias(env, booted):
    g, hot = booted
    disk = (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{hot}'/>"
            "<target dev='vdc' bus='virtio'/><alias name='ua-hot'/></disk>")
    mark = env.mon.mark()
    g.call("AttachDevice", disk, LIVE | CONFIG)
    # QEMU's DEVICE_ADDED names the device by the user's alias
    env.mon.wait_signal("DeviceAdded", interface=DOMAIN_IF, path=g.path, args=["ua-hot"], since=mark,
                        timeout=30)
    assert "<alias name='ua-hot'/>" in g.call("GetXMLDesc", 0)
    assert "<alias name='ua-hot'/>" in g.call("GetXMLDesc", INACTIVE)
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        r = proxy.virsh("detach-device-alias", "ua1", "ua-nope", "--live", check=False)
        assert r.returncode != 0 and "no device found with alias ua-nope" in r.stderr, r.stderr
        mark = env.mon.mark()
        proxy.virsh("detach-device-alias", "ua1", "ua-hot", "--live", "--config")
        env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=["ua-hot"], since=mark,
                            timeout=60)
    finally:
        proxy.stop()
    assert "ua-hot" not in g.call("GetXMLDesc", 0)
    assert "ua-hot" not in g.call("GetXMLDesc", INACTIVE)


def test_detach_device_alias_config_only(env, booted):
    g, hot = booted
    disk = (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{hot}'/>"
            "<target dev='vdd' bus='virtio'/><alias name='ua-later'/></disk>")
    live = g.call("GetXMLDesc", 0)
    g.call("AttachDevice", disk, CONFIG)
    assert "<alias name='ua-later'/>" in g.call("GetXMLDesc", INACTIVE)
    # the live definition has no such device: LIVE does not find it
    with h.expect_dbus_error("org.virtbus.Error.InternalError") as e:
        g.call("DetachDeviceAlias", "ua-later", LIVE)
    assert "no device found with alias ua-later" in e.message, e.message
    g.call("DetachDeviceAlias", "ua-later", CONFIG)
    assert "ua-later" not in g.call("GetXMLDesc", INACTIVE)
    assert "ua-later" not in (env.conf_dir / "ua1.xml").read_text()
    assert g.call("GetXMLDesc", 0) == live
