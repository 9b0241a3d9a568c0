# SPDX-License-Identifier: LGPL-2.1-or-later
"""<cpu><cache> and <cpu><maxphysaddr> in virtbus-qemud, seen from inside the
booted test guest (TCG, through a shell on its serial console): an emulated
L3 cache shows in the guest's cache topology and 40 physical address bits
(what TCG emulates) in its /proc/cpuinfo; with the cache disabled there is
no L3. The refusals are the define-time rules' own (test-qemu-rules).
"""

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, module_env, xmllint_relaxng
from test_qemud_device import Console, _shell_ready

env = module_env()


def boot_with_cpu(env, name, cpu):
    sock = env.root / f"{name}.sock"
    extra = f"""    <serial type='unix'>
      <source mode='bind' path='{sock}'/>
      <target port='0'/>
    </serial>"""
    xml = h.guest_domain_xml(env.guest, name, nic=None, extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp")
    xml = xml.replace("  <on_poweroff>", f"  {cpu}\n  <on_poweroff>", 1)
    g = Guest(env, env.call("DomainDefineXML", xml), name)
    g.call("Create", 0)
    con = Console(sock).connect()
    try:
        h.wait_until(lambda: _shell_ready(con), 150, 1, "a shell on the guest's console")
    except TimeoutError as e:
        g.call("Destroy", 0)
        raise AssertionError(f"{e}; console ends with:\n{con.text()[-3000:].decode(errors='replace')}") from None
    return g, con


def cache_levels(con):
    out = con.run("cat /sys/devices/system/cpu/cpu0/cache/index*/level 2>/dev/null").decode(errors="replace")
    return {int(w) for w in out.split() if w.isdigit()}


@pytest.mark.parametrize("mode", ["emulate", "disable"])
def test_guest_sees_its_cache_and_address_bits(env, mode):
    level = " level='3'" if mode == "emulate" else ""
    cpu = f"<model fallback='forbid'>qemu64</model><cache{level} mode='{mode}'/><maxphysaddr mode='emulate' bits='40'/>"
    g, con = boot_with_cpu(env, f"cache-{mode}", f"<cpu mode='custom' match='exact'>{cpu}</cpu>")
    try:
        assert b"40 bits physical" in con.run("grep -m1 'address sizes' /proc/cpuinfo")
        assert (3 in cache_levels(con)) == (mode == "emulate")
        xml = g.call("GetXMLDesc", 0)
        assert f"<cache{level} mode='{mode}'/>" in xml and "<maxphysaddr mode='emulate' bits='40'/>" in xml
        xmllint_relaxng(xml, "domain", "GetXMLDesc")
    finally:
        con.close()
        g.call("Destroy", 0)
        g.call("Undefine", 0)
