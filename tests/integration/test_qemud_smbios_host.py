# SPDX-License-Identifier: LGPL-2.1-or-later
"""<os><smbios mode='host'/> in virtbus-qemud: the guest gets the host's
SMBIOS (types 0, 1 but for its uuid, 2, 3 and 11, as libvirt passes them
with -smbios), read from the host's raw table /sys/firmware/dmi/tables/DMI.

- On a host with a table, the booted guest's /sys/class/dmi/id shows the
  host's values (skipped on a host without one, named).
- On a host without one, the start fails naming the file and leaves the
  definition as it was (skipped on a host with one).
- A real table from a QEMU guest: a first guest started with <sysinfo>
  values gives its own /sys/firmware/dmi/tables/DMI (SeaBIOS's tables),
  which qemud then reads in place of the host's (VIRTBUS_DMI_TABLE, for
  hosts without a table such as these) for a second guest with
  mode='host': that guest sees the first one's values, and its own uuid.
  The table is kept as tests/data/dmi/qemu-guest.bin for test-dmi-table
  when VIRTBUS_CAPTURE_DMI=1.
"""

import base64
import os
import re
import shutil

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, dbus_error, module_env
from test_qemud_device import Console, _shell_ready

pytestmark = pytest.mark.timeout(400)

env = module_env()

HOST_TABLE = "/sys/firmware/dmi/tables/DMI"

SYSINFO = """  <sysinfo type='smbios'>
    <bios>
      <entry name='vendor'>VBVendor</entry>
      <entry name='version'>VBVersion 1</entry>
      <entry name='date'>01/02/2023</entry>
      <entry name='release'>4.5</entry>
    </bios>
    <system>
      <entry name='manufacturer'>VB Maker</entry>
      <entry name='product'>VB Product</entry>
      <entry name='serial'>VBSERIAL</entry>
      <entry name='family'>VB Family</entry>
    </system>
    <baseBoard>
      <entry name='manufacturer'>VB Board</entry>
    </baseBoard>
    <chassis>
      <entry name='manufacturer'>VB Chassis</entry>
    </chassis>
    <oemStrings>
      <entry>vb oem</entry>
    </oemStrings>
  </sysinfo>
"""

# /sys/class/dmi/id file: what the first guest's <sysinfo> gave it
EXPECTED = {
    "bios_vendor": "VBVendor", "bios_version": "VBVersion 1", "bios_date": "01/02/2023",
    "sys_vendor": "VB Maker", "product_name": "VB Product", "product_serial": "VBSERIAL",
    "product_family": "VB Family", "board_vendor": "VB Board", "chassis_vendor": "VB Chassis",
}


def smbios_xml(env, name, mode, uuid=None, sysinfo=""):
    sock = env.root / f"{name}.sock"
    extra = f"""    <serial type='unix'>
      <source mode='bind' path='{sock}'/>
      <target port='0'/>
    </serial>"""
    doc = h.guest_domain_xml(env.guest, name, uuid=uuid, nic=None, extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp")
    doc = doc.replace("  <os>", sysinfo + "  <os>", 1)
    return doc.replace("  </os>", f"    <smbios mode='{mode}'/>\n  </os>", 1), sock


class Booted:
    def __init__(self, env, name, mode, uuid=None, sysinfo=""):
        xml, sock = smbios_xml(env, name, mode, uuid, sysinfo)
        self.g = Guest(env, env.call("DomainDefineXML", xml), name)
        self.g.call("Create", 0)
        self.con = Console(sock).connect()
        try:
            h.wait_until(lambda: _shell_ready(self.con), 200, 1, "a shell on the guest's console")
        except TimeoutError as e:
            self.close()
            raise AssertionError(f"{e}; console ends with:\n"
                                 f"{self.con.text()[-3000:].decode(errors='replace')}") from None

    def dmi(self, names):
        out = self.con.run("for f in " + " ".join(names) + "; do echo \"DMI $f=$(cat /sys/class/dmi/id/$f)\"; done")
        return dict(re.findall(r"^DMI (\w+)=(.*?)\r?$", out.decode(errors="replace"), re.M))

    def table(self):
        out = self.con.run(f"echo B64BEGIN; base64 {HOST_TABLE}; echo B64''END", timeout=60)
        text = out.decode(errors="replace")
        body = text[text.rindex("B64BEGIN") + 8:text.index("B64END")]
        return base64.b64decode("".join(re.findall(r"[A-Za-z0-9+/=]+", body)))

    def close(self):
        self.con.close()
        if self.g.state()[0] != h.DomainState.SHUTOFF:
            self.g.call("Destroy", 0)
        self.g.call("Undefine", 0)


def host_dmi(names):
    out = {}
    for n in names:
        try:
            out[n] = open(f"/sys/class/dmi/id/{n}").read().strip()
        except OSError:
            pass
    return out


def test_host_without_table_refused(env):
    if os.path.exists(HOST_TABLE):
        pytest.skip(f"this host has an SMBIOS table ({HOST_TABLE}): the refusal is for hosts without one")
    xml, _ = smbios_xml(env, "smbnone", "host")
    path = env.call("DomainDefineXML", xml)
    g = Guest(env, path, "smbnone")
    try:
        before = g.call("GetXMLDesc", 0)
        with dbus_error("org.virtbus.Error.NotSupported", "Host SMBIOS information is not available", HOST_TABLE):
            g.call("Create", 0)
        assert g.state()[0] == h.DomainState.SHUTOFF
        assert g.call("GetXMLDesc", 0) == before
        assert "<smbios mode='host'/>" in before
    finally:
        g.call("Undefine", 0)


def test_guest_sees_the_host_smbios(env):
    if not os.path.exists(HOST_TABLE):
        pytest.skip(f"this host exports no SMBIOS table ({HOST_TABLE} is missing): "
                    "test_guest_sees_a_captured_table stands in")
    names = ["bios_vendor", "bios_version", "bios_date", "sys_vendor", "product_name", "board_vendor",
             "chassis_vendor"]
    want = {k: v for k, v in host_dmi(names).items() if v.strip()}
    b = Booted(env, "smbhost", "host")
    try:
        assert b.dmi(list(want)) == want
    finally:
        b.close()


def test_guest_sees_a_captured_table(env, tmp_path):
    a = Booted(env, "smbsrc", "sysinfo", sysinfo=SYSINFO)
    try:
        assert a.dmi(list(EXPECTED)) == EXPECTED, "the first guest's own <sysinfo>"
        table = a.table()
    finally:
        a.close()
    captured = tmp_path / "DMI"
    captured.write_bytes(table)
    if os.environ.get("VIRTBUS_CAPTURE_DMI") == "1":
        out = h.REPO / "tests" / "data" / "dmi"
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(captured, out / "qemu-guest.bin")

    env.qemud.stop()
    env.qemud.extra_env["VIRTBUS_DMI_TABLE"] = str(captured)
    env.qemud.start()
    uuid = "3c1f6a70-9d2e-4b8a-8f11-5a6b7c8d9e01"
    try:
        b = Booted(env, "smbdst", "host", uuid=uuid)
        try:
            got = b.dmi(list(EXPECTED) + ["product_uuid"])
            assert got.pop("product_uuid").lower() == uuid
            assert got == EXPECTED
            assert "<smbios mode='host'/>" in b.g.call("GetXMLDesc", 0)
        finally:
            b.close()
    finally:
        env.qemud.stop()
        del env.qemud.extra_env["VIRTBUS_DMI_TABLE"]
        env.qemud.start()
