# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud's bus surface: what an unprivileged caller may and may not
do, schema validity of every XML it emits, GetStats, properties,
introspection and the identity of object paths."""

import json
import re
import socket
import subprocess
import sys
import textwrap
import time

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import (_env_logs, module_env, QemudEnv, snapshot,  # noqa: F401
                               assert_same_snapshot, xmllint_relaxng, new_uuid, E, S, QEMUD,
                               ROOT_PATH)

pytestmark = pytest.mark.timeout(120)

env = module_env()

API1_UUID = "3f2a9c1e-7b4d-4e8a-9c61-0d5e8f7a2b13"


@pytest.fixture(scope="module")
def doms(env):
    running = env.define("api1", uuid=API1_UUID, tick=True, start=True)
    idle = env.define("api2")
    running.wait_ready()
    return {"running": running, "idle": idle}


# ---------------------------------------------------------------------------
# an unprivileged caller (python3-dbus as nobody, its own connection)

AS_USER = textwrap.dedent(r'''
    import json, os, sys, dbus
    bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
    out = []
    for path, iface, method, sig, args in json.load(sys.stdin):
        try:
            obj = bus.get_object("org.virtbus.qemud", path, introspect=False)
            args = [dbus.Boolean(a, variant_level=1) if sig == "ssv" and i == 2 else a
                    for i, a in enumerate(args)]
            r = obj.get_dbus_method(method, iface)(*args, signature=sig, timeout=60)
            out.append({"ok": True, "value": json.loads(json.dumps(r, default=str))})
        except dbus.exceptions.DBusException as e:
            out.append({"ok": False, "name": e.get_dbus_name(), "message": e.get_dbus_message()})
    print(json.dumps(out))
''')


def calls_as(env, user, calls):
    """Runs [(path, interface, method, signature, args)] as `user` in one
    python3-dbus process; returns one {"ok", "value"|"name","message"} each."""
    script = env.root / "as-user.py"
    script.write_text(AS_USER)
    script.chmod(0o644)
    r = subprocess.run(h.setpriv_argv(user) + [sys.executable, str(script)],
                       input=json.dumps(calls), capture_output=True, text=True, timeout=120,
                       env=env.bus.env)
    assert r.returncode == 0, f"client as {user} failed: {r.stderr}"
    return json.loads(r.stdout)


DOM = "org.libvirt.Domain"
CONN = "org.libvirt.Connect"
PROPS = "org.freedesktop.DBus.Properties"


def read_calls(doms):
    run, idle = doms["running"].path, doms["idle"].path
    return [
        (ROOT_PATH, CONN, "ListDomains", "u", [0]),
        (ROOT_PATH, CONN, "DomainLookupByName", "s", ["api1"]),
        (ROOT_PATH, CONN, "DomainLookupByUUID", "s", [API1_UUID]),
        (ROOT_PATH, CONN, "GetCapabilities", "", []),
        (ROOT_PATH, CONN, "GetDomainCapabilities", "ssssu", ["", "", "", "", 0]),
        (ROOT_PATH, PROPS, "GetAll", "s", [CONN]),
        (ROOT_PATH, "org.freedesktop.DBus.Introspectable", "Introspect", "", []),
        (run, DOM, "GetXMLDesc", "u", [0]),
        (run, DOM, "GetXMLDesc", "u", [2]),
        (idle, DOM, "GetXMLDesc", "u", [0]),
        (run, DOM, "GetState", "u", [0]),
        (run, DOM, "GetStats", "uu", [0, 0]),
        (run, PROPS, "Get", "ss", [DOM, "Name"]),
        (run, PROPS, "GetAll", "s", [DOM]),
        (idle, PROPS, "Get", "ss", [DOM, "Autostart"]),
    ]


def write_calls(env, doms):
    run, idle = doms["running"].path, doms["idle"].path
    new = env.guest_xml("intruder", uuid=new_uuid())
    return [
        (idle, DOM, "Create", "u", [0]),
        (run, DOM, "Destroy", "u", [0]),
        (ROOT_PATH, CONN, "DomainDefineXML", "s", [new]),
        (ROOT_PATH, CONN, "DomainCreateXML", "su", [new, 0]),
        (idle, PROPS, "Set", "ssv", [DOM, "Autostart", True]),
        (run, DOM, "Suspend", "", []),
        (run, DOM, "Shutdown", "u", [0]),
        (run, DOM, "Reboot", "u", [0]),
        (run, DOM, "Reset", "u", [0]),
        (idle, DOM, "Undefine", "u", [0]),
    ]


def test_unprivileged_caller_may_read(env, doms):
    before = snapshot(env)
    got = calls_as(env, "nobody", read_calls(doms))
    for call, r in zip(read_calls(doms), got):
        assert r["ok"], f"{call[2]} as nobody: {r.get('name')}: {r.get('message')}"
    run = doms["running"]
    assert sorted(got[0]["value"]) == env.list_domains()
    assert got[1]["value"] == run.path and got[2]["value"] == run.path
    assert got[7]["value"] == run.call("GetXMLDesc", 0)
    assert got[8]["value"] == run.call("GetXMLDesc", 2)
    assert tuple(got[10]["value"]) == (S.RUNNING, 1)
    assert got[11]["value"]["state.state"] == S.RUNNING
    assert got[12]["value"] == "api1"
    assert got[13]["value"]["UUID"] == API1_UUID
    assert_same_snapshot(before, snapshot(env))


def test_unprivileged_caller_may_not_write(env, doms):
    before = snapshot(env)
    calls = write_calls(env, doms)
    got = calls_as(env, "nobody", calls)
    for call, r in zip(calls, got):
        what = f"{call[1]}.{call[2]} on {call[0]} as nobody"
        assert not r["ok"], f"{what} succeeded"
        assert r["name"].endswith("AccessDenied"), f"{what}: {r['name']}: {r['message']}"
    assert_same_snapshot(before, snapshot(env))
    assert "intruder" not in [env.prop(p, "Name") for p in env.list_domains()]
    assert not (env.conf_dir / "intruder.xml").exists()


def test_secure_xml_is_for_root_only(env, doms):
    got = calls_as(env, "nobody", [(doms["running"].path, DOM, "GetXMLDesc", "u", [1])])[0]
    assert not got["ok"] and got["name"] == "org.virtbus.Error.AccessDenied", got
    assert "SECURE" in got["message"] or "password" in got["message"]
    assert doms["running"].call("GetXMLDesc", 1)       # root may


def test_daemon_checks_privileges_itself(guest):
    """With a bus policy that lets everybody through, qemud itself still
    refuses writes from other users (and the reads still work)."""
    e = QemudEnv(guest)
    e.register_logs()
    try:
        conf = e.bus.dir / "bus.conf"
        conf.write_text(conf.read_text().replace(
            "</busconfig>",
            '  <policy context="mandatory">\n'
            '    <allow send_destination="org.virtbus.qemud"/>\n'
            "  </policy>\n</busconfig>"))
        e.bus.conn.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "ReloadConfig", "", ())
        idle = e.define("solo")
        doms = {"running": idle, "idle": idle}
        before = snapshot(e)
        calls = [c for c in write_calls(e, doms) if c[2] not in ("Suspend", "Shutdown", "Reboot",
                                                                   "Reset", "Destroy")]
        got = calls_as(e, "nobody", calls + [(ROOT_PATH, CONN, "ListDomains", "u", [0])])
        for call, r in zip(calls, got):
            what = f"{call[2]} as nobody (the bus let it through)"
            assert not r["ok"], f"{what} succeeded: the daemon does not check the caller"
            assert r["name"].endswith("AccessDenied"), f"{what}: {r['name']}: {r['message']}"
        assert got[-1]["ok"] and got[-1]["value"] == [idle.path]
        assert_same_snapshot(before, snapshot(e))
    finally:
        e.close()


# ---------------------------------------------------------------------------
# XML the daemon emits validates against libvirt's schemas

def test_domain_xml_validates(env, doms):
    for g in doms.values():
        for flags in (0, 1, 2, 3):
            xmllint_relaxng(g.call("GetXMLDesc", flags), "domain",
                            f"GetXMLDesc({flags}) of {g.name} ({g.state()})")
    t = env.create_transient("api-tr", nic=None)
    try:
        xmllint_relaxng(t.call("GetXMLDesc", 0), "domain", "live XML of a transient domain")
    finally:
        t.call("Destroy", 0)


@pytest.mark.parametrize("src", sorted(p.name for p in (h.REPO / "tests/data/domain").glob("*.xml")))
def test_sample_definitions_round_trip_valid(env, src):
    """The repository's sample domain XML, defined and read back."""
    doc = (h.REPO / "tests/data/domain" / src).read_text()
    conf = env.root / "etc" / "virtbus" / "qemud.conf"
    before = conf.read_text() if conf.exists() else None
    if "tlsPort='5" in doc:
        # a fixed SPICE TLS port is defined only with TLS on (qemud.conf), as in libvirt
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text((before or "") + "spice_tls = 1\n")
    try:
        round_trip(env, src, doc)
    finally:
        if before is None:
            conf.unlink(missing_ok=True)
        else:
            conf.write_text(before)


def round_trip(env, src, doc):
    try:
        path = env.call("DomainDefineXML", doc)
    except dbus.exceptions.DBusException as e:
        pytest.skip(f"{src} is refused: {e.get_dbus_name()}: {e.get_dbus_message()}")
    try:
        out = env.dcall(path, "GetXMLDesc", 2)
        xmllint_relaxng(out, "domain", f"GetXMLDesc(inactive) of {src}")
        # a fixed point: defining what we emitted gives it back unchanged
        assert env.call("DomainDefineXML", out) == path
        assert env.dcall(path, "GetXMLDesc", 2) == out
    finally:
        env.dcall(path, "Undefine", 0)


def test_capabilities_validate(env):
    caps = env.call("GetCapabilities")
    xmllint_relaxng(caps, "capability", "GetCapabilities")
    assert "<arch>x86_64</arch>" in caps and "hvm" in caps
    # QEMU's default machine comes first, as libvirt lists it (virt-install
    # takes the first one for an unknown OS; isapc, QEMU's first, is refused)
    out = subprocess.run([h.QEMU, "-machine", "help"], capture_output=True, text=True).stdout
    default = next(line.split()[0] for line in out.splitlines() if "(default)" in line)
    first = re.search(r"<machine([^>]*)>([^<]+)</machine>", caps)
    assert default in (first.group(2), re.search(r"canonical='([^']*)'", first.group(1) + "canonical=''").group(1)), \
        (first.group(0), default)


@pytest.mark.parametrize("args", [
    ("", "", "", ""),
    ("", "x86_64", "q35", "qemu"),
    (h.QEMU, "x86_64", "pc", "qemu"),
    ("", "", "", "kvm"),
], ids=["defaults", "q35-qemu", "pc-emulator", "kvm"])
def test_domain_capabilities_validate(env, args):
    try:
        xml = env.call("GetDomainCapabilities", *args, 0)
    except dbus.exceptions.DBusException as e:
        if args[3] == "kvm" and e.get_dbus_name() == "org.virtbus.Error.NotSupported":
            pytest.skip(f"no KVM here: {e.get_dbus_message()}")
        raise
    xmllint_relaxng(xml, "domaincaps", f"GetDomainCapabilities{args}")
    if args[3]:
        assert f"<domain>{args[3]}</domain>" in xml


# ---------------------------------------------------------------------------
# GetStats, properties

def stat_types(raw):
    return {str(k): type(v).__name__ for k, v in raw.items()}


def test_get_stats(env, doms):
    g = doms["running"]
    raw = g.call("GetStats", 0, 0, raw=True)
    s = h.unwrap(raw)
    assert s["state.state"] == S.RUNNING and s["state.reason"] == 1
    assert s["balloon.maximum"] == 256 * 1024 and s["balloon.current"] == 256 * 1024
    types = stat_types(raw)
    for k in ("cpu.time", "balloon.current", "balloon.maximum"):
        assert types[k] == "UInt64", f"{k} is {types[k]}, libvirt's is an unsigned long long"
    assert types["state.state"] == "Int32"
    t1 = s["cpu.time"]
    time.sleep(1.5)
    t2 = g.call("GetStats", 0, 0)["cpu.time"]
    assert t2 > t1, f"cpu.time did not grow while the guest runs ({t1} -> {t2})"
    # only the groups asked for
    assert set(g.call("GetStats", 1, 0)) == {"state.state", "state.reason"}      # STATE
    assert set(g.call("GetStats", 2, 0)) >= {"cpu.time", "cpu.user", "cpu.system"}   # CPU_TOTAL
    assert set(g.call("GetStats", 4, 0)) >= {"balloon.current", "balloon.maximum"}
    idle = h.unwrap(doms["idle"].call("GetStats", 0, 0))
    assert idle["state.state"] == S.SHUTOFF and "cpu.time" not in idle


def test_properties(env, doms):
    run, idle = doms["running"], doms["idle"]
    p = env.bus.get_all_properties(QEMUD, run.path, DOM)
    assert p["Name"] == "api1" and p["UUID"] == API1_UUID
    assert p["Active"] is True and p["Persistent"] is True and p["Autostart"] is False
    assert p["Id"] > 0 and p["OSType"] == "hvm"
    assert env.call("DomainLookupByID", p["Id"]) == run.path
    q = env.bus.get_all_properties(QEMUD, idle.path, DOM)
    assert q["Active"] is False and q["Id"] == 0
    c = env.bus.get_all_properties(QEMUD, ROOT_PATH, CONN)
    assert c["Hostname"] == socket.gethostname()
    assert c["LibVersion"] >= 9000000
    assert c["Version"] >= 7000000, "Version: QEMU's version as libvirt encodes it"

    env.set_autostart(idle.path, True)
    assert idle.prop("Autostart") is True
    assert idle.path in env.list_domains(1 << 10)
    env.set_autostart(idle.path, False)
    assert idle.prop("Autostart") is False
    assert idle.path in env.list_domains(1 << 11)


def test_list_domains_filters(env, doms):
    run, idle = doms["running"].path, doms["idle"].path
    assert run in env.list_domains(1) and idle not in env.list_domains(1)      # ACTIVE
    assert idle in env.list_domains(2) and run not in env.list_domains(2)      # INACTIVE
    assert run in env.list_domains(16) and idle not in env.list_domains(16)    # RUNNING
    assert idle in env.list_domains(64)                                       # SHUTOFF
    assert {run, idle} <= set(env.list_domains(4))                            # PERSISTENT


# ---------------------------------------------------------------------------
# introspection and paths

def child_nodes(xml):
    import xml.etree.ElementTree as ET
    return sorted(n.get("name") for n in ET.fromstring(xml).findall("node"))


def introspect(env, path):
    return env.bus.call(QEMUD, path, "org.freedesktop.DBus.Introspectable", "Introspect")


def test_introspection_lists_domains(env, doms):
    assert "domain" in child_nodes(introspect(env, ROOT_PATH))
    kids = child_nodes(introspect(env, ROOT_PATH + "/domain"))
    listed = env.list_domains()
    assert sorted(f"{ROOT_PATH}/domain/{k}" for k in kids) == listed
    x = introspect(env, doms["running"].path)
    assert '<interface name="org.libvirt.Domain">' in x


def test_paths_are_identical_everywhere(env, doms):
    m = env.mark()
    u = new_uuid()
    defined = env.call("DomainDefineXML", env.guest_xml("pathy", uuid=u, nic=None))
    try:
        ev = env.wait_event(defined, E.DEFINED, since=m, timeout=10)
        for p in env.call("ListDomains", 0):
            name = env.prop(p, "Name")
            uuid = env.prop(p, "UUID")
            variants = {
                "ListDomains": p,
                "DomainLookupByName": env.call("DomainLookupByName", name),
                "DomainLookupByUUID": env.call("DomainLookupByUUID", uuid),
                "DomainLookupByUUID upper-case": env.call("DomainLookupByUUID", uuid.upper()),
                "libvirt-dbus encoding": h.domain_path(ROOT_PATH, uuid),
            }
            if env.prop(p, "Active"):
                variants["DomainLookupByID"] = env.call("DomainLookupByID", env.prop(p, "Id"))
            for k, v in variants.items():
                assert v == p and isinstance(v, str), f"{k} gives {v!r} for {name}, ListDomains {p!r}"
        assert defined == h.domain_path(ROOT_PATH, u) == ev[0]
    finally:
        env.dcall(defined, "Undefine", 0)
