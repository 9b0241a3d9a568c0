# SPDX-License-Identifier: LGPL-2.1-or-later
"""<clock> in virtbus-qemud with the TCG test guest: offset='absolute' (the
guest's kernel sets its clock from the RTC at the date given: "setting system
clock to ..." on its console), rtc/pit/hpet catchup with <catchup> values and
a tsc frequency kept as given, offset='timezone' (QEMU runs with TZ set to the
zone, as libvirt's); defined through D-Bus and through virsh (the proxy); the
refusals name what is wrong and leave no definition behind."""

import shutil

import pytest

import virtbus_harness as h
from test_qemud_common import READY, Guest, dbus_error, module_env

pytestmark = pytest.mark.timeout(240)

env = module_env()

# 2001-02-03T04:05:06 UTC
START = 981173106

CLOCK = f"""  <clock offset='absolute' start='{START}'>
    <timer name='rtc' tickpolicy='catchup'>
      <catchup slew='4636'/>
    </timer>
    <timer name='pit' tickpolicy='catchup'>
      <catchup threshold='123'/>
    </timer>
    <timer name='hpet' tickpolicy='catchup'>
      <catchup limit='2342'/>
    </timer>
    <timer name='tsc' frequency='2500000000' mode='native'/>
  </clock>
"""


def with_clock(doc, clock):
    return doc.replace("  <on_poweroff>", clock + "  <on_poweroff>", 1)


def test_booted_guest_rtc_starts_at_the_absolute_date(env):
    g = None
    path = env.call("DomainDefineXML", with_clock(env.guest_xml("clockabs"), CLOCK))
    try:
        inactive = env.dcall(path, "GetXMLDesc", 2)
        for kept in (f"<clock offset='absolute' start='{START}'>", "<catchup slew='4636'/>",
                     "<catchup threshold='123'/>", "<catchup limit='2342'/>",
                     "<timer name='tsc' frequency='2500000000' mode='native'/>"):
            assert kept in inactive, (kept, inactive)
        g = Guest(env, path, "clockabs").start()
        g.wait_marker(READY)
        console = g.serial_text().decode(errors="replace")
        # Linux's rtc hctosys: "setting system clock to 2001-02-03T04:05:06 UTC (981173106)"
        assert "setting system clock to 2001-02-03T04:05" in console, console[-3000:]
        assert f"<clock offset='absolute' start='{START}'>" in env.dcall(path, "GetXMLDesc", 0)
    finally:
        if g is not None:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


def test_timezone_clock_runs_qemu_with_tz(env):
    g = None
    doc = with_clock(env.guest_xml("clocktz"), "  <clock offset='timezone' timezone='Europe/Paris'/>\n")
    path = env.call("DomainDefineXML", doc)
    try:
        assert "<clock offset='timezone' timezone='Europe/Paris'/>" in env.dcall(path, "GetXMLDesc", 2)
        g = Guest(env, path, "clocktz").start()
        with open(f"/proc/{g.pid()}/environ", "rb") as f:
            environ = f.read().split(b"\0")
        assert b"TZ=Europe/Paris" in environ, environ
    finally:
        if g is not None:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


@pytest.mark.parametrize("clock,name,words", [
    ("<clock offset='absolute'/>", "XMLError", "missing 'start' attribute for clock with offset='absolute'"),
    ("<clock offset='timezone'/>", "XMLError", "missing 'timezone' attribute for clock with offset='timezone'"),
    ("<clock offset='utc'><timer name='rtc' tickpolicy='delay'><catchup slew='1'/></timer></clock>",
     "InvalidArg", "needs tickpolicy='catchup'"),
    ("<clock offset='utc'><timer name='pit' frequency='10'/></clock>", "NotSupported",
     "only supported for timer 'tsc'"),
], ids=["absolute-no-start", "timezone-no-zone", "catchup-without-catchup", "frequency-not-tsc"])
def test_bad_clock_is_refused(env, clock, name, words):
    doc = with_clock(env.guest_xml("badclock"), "  " + clock + "\n")
    before = env.list_domains()
    with dbus_error(name, words):
        env.call("DomainDefineXML", doc)
    assert env.list_domains() == before


def test_start_fails_naming_an_absolute_date_qemu_cannot_take(env):
    # year 10000: past what QEMU's -rtc base= takes
    doc = with_clock(env.guest_xml("clockfar"), "  <clock offset='absolute' start='253402300800'/>\n")
    path = env.call("DomainDefineXML", doc)
    try:
        with dbus_error("InvalidArg", "clock start 253402300800 is out of range"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.SHUTOFF
    finally:
        env.dcall(path, "Undefine", 0)


def test_virsh_defines_and_dumps_the_clock(env):
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    xmlf = env.root / "clock-virsh.xml"
    xmlf.write_text(with_clock(env.guest_xml("clockvirsh"), CLOCK))
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        proxy.virsh("define", xmlf)
        out = proxy.virsh("dumpxml", "clockvirsh", "--inactive").stdout
        assert f"<clock offset='absolute' start='{START}'>" in out, out
        assert "<catchup slew='4636'/>" in out and "frequency='2500000000'" in out, out
        proxy.virsh("undefine", "clockvirsh")
    finally:
        proxy.stop()
