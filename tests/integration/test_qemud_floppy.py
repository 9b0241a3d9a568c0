# SPDX-License-Identifier: LGPL-2.1-or-later
"""Floppies in virtbus-qemud: <disk device='floppy'> on pc's own floppy
controller and on q35's isa-fdc, started in the real QEMU (SeaBIOS only: the
test guest's kernel has no floppy driver loaded), with their medium changed,
ejected and inserted through UpdateDevice, and the floppy refusals.
"""

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, dbus_error, module_env, xmllint_relaxng

env = module_env()

LIVE, CONFIG = 1, 2
DOMAIN_IF = "org.libvirt.Domain"


def floppy(src=None, dev="fda"):
    s = f"<source file='{src}'/>" if src else ""
    return (f"<disk type='file' device='floppy'><driver name='qemu' type='raw'/>{s}"
            f"<target dev='{dev}' bus='fdc'/></disk>")


def domain(name, machine, devices):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='{machine}'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    {devices}
  </devices>
</domain>"""


@pytest.fixture(scope="module")
def images(env):
    d = env.root / "floppies"
    d.mkdir()
    for n in ("a.img", "b.img"):
        (d / n).write_bytes(b"\0" * (1440 << 10))
    return d


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_floppy_started_and_its_medium_changed(env, images, machine):
    a, b = images / "a.img", images / "b.img"
    name = f"fd-{machine}"
    g = Guest(env, env.call("DomainDefineXML", domain(name, machine, floppy(a) + floppy(None, "fdb"))), name)
    try:
        inactive = g.call("GetXMLDesc", 2)
        assert "<controller type='fdc' index='0'/>" in inactive
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        g.call("Create", 0)
        cmdline = open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")
        assert b'{"driver":"floppy","id":"fdc0-0-0","unit":0,"drive":"fdc0-0-0-fmt"}' in cmdline
        assert (b'{"driver":"isa-fdc","id":"fdc0"}' in cmdline) == (machine == "q35")
        live = g.call("GetXMLDesc", 0)
        assert "<alias name='fdc0-0-0'/>" in live and "<alias name='fdc0-0-1'/>" in live

        mark = env.mon.mark()
        g.call("UpdateDevice", floppy(b), LIVE)
        env.mon.wait_signal("DiskChange", interface=DOMAIN_IF, path=g.path, args=[str(a), str(b), "fdc0-0-0"],
                            since=mark, timeout=10)
        assert f"<source file='{b}'/>" in g.call("GetXMLDesc", 0)
        assert f"<source file='{a}'/>" in g.call("GetXMLDesc", 2)

        mark = env.mon.mark()
        g.call("UpdateDevice", floppy(None), LIVE)      # eject
        env.mon.wait_signal("DiskChange", interface=DOMAIN_IF, path=g.path, args=[str(b), "", "fdc0-0-0"],
                            since=mark, timeout=10)
        mark = env.mon.mark()
        g.call("UpdateDevice", floppy(a, "fdb"), LIVE)  # into the empty drive B
        env.mon.wait_signal("DiskChange", interface=DOMAIN_IF, path=g.path, args=["", str(a), "fdc0-0-1"],
                            since=mark, timeout=10)
        # a floppy drive is no hot-plug device
        with dbus_error("ConfigUnsupported", "'floppy' cannot be detached"):
            g.call("DetachDevice", floppy(a, "fdb"), LIVE)
        assert "fdc0-0-1" in g.call("GetXMLDesc", 0)
        assert g.state()[0] == h.DomainState.RUNNING
    finally:
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)


def test_floppy_refusals_define_nothing(env, images):
    before = env.list_domains()
    with dbus_error("XMLError", "Invalid bus type 'ide' for floppy disk"):
        env.call("DomainDefineXML", domain("fd-bad", "pc", floppy().replace("dev='fda' bus='fdc'",
                                                                            "dev='hdc' bus='ide'")))
    with dbus_error("InvalidArg", "unit 0 or 1"):
        env.call("DomainDefineXML", domain("fd-bad", "pc", floppy().replace(
            "</disk>", "<address type='drive' controller='0' bus='0' target='0' unit='3'/></disk>")))
    assert env.list_domains() == before
