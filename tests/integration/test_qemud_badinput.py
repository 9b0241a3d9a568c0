# SPDX-License-Identifier: LGPL-2.1-or-later
"""Bad requests to virtbus-qemud: each is refused with a specific
org.virtbus.Error.* name and a message naming the problem, and afterwards
every definition and running guest is exactly as it was (ListDomains, each
GetXMLDesc live and inactive, states, properties, the QEMU pids, the saved
configuration files) and the daemon is the same process.

The module shares one qemud with a booted persistent guest ("victim", its
console ticking), a defined shut-off domain ("idle") and a running transient
one ("tr")."""

import contextlib
import re
import time

import dbus
import pytest

from test_qemud_common import (_env_logs, module_env, dbus_error, snapshot,  # noqa: F401
                               assert_same_snapshot, pid_alive, new_uuid, S)

pytestmark = pytest.mark.timeout(120)

env = module_env()

VICTIM_UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"
IDLE_UUID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


@pytest.fixture(scope="module")
def doms(env):
    victim = env.define("victim", uuid=VICTIM_UUID, tick=True, start=True)
    idle = env.define("idle", uuid=IDLE_UUID)
    tr = env.create_transient("tr", nic=None)
    victim.wait_ready()
    return {"victim": victim, "idle": idle, "tr": tr}


@contextlib.contextmanager
def unchanged(env, doms):
    """Asserts that nothing changed across the block (and the daemon lives)."""
    qemud_pid = env.qemud.pid
    before = snapshot(env)
    yield
    assert env.qemud.alive() and env.qemud.pid == qemud_pid, "virtbus-qemud died"
    assert_same_snapshot(before, snapshot(env))
    v = doms["victim"]
    assert v.state()[0] == S.RUNNING and pid_alive(v.pid())


def xml(env, name="newdom", uuid=None, **kw):
    return env.guest_xml(name, uuid=uuid or new_uuid(), **kw)


def with_device(doc, device):
    return doc.replace("</devices>", f"    {device}\n  </devices>")


DEFINE_AND_CREATE = pytest.mark.parametrize("method", ["DomainDefineXML", "DomainCreateXML"])


def send(env, method, doc):
    if method == "DomainDefineXML":
        return env.call(method, doc)
    return env.call(method, doc, 0)


# ---------------------------------------------------------------------------
# XML

@DEFINE_AND_CREATE
@pytest.mark.parametrize("doc", [
    "<domain type='qemu'><name>broken</name>",
    "<domain type='qemu'><name>broken</name></domian>",
    "",
    "not xml at all",
], ids=["unclosed", "mismatched-tag", "empty", "text"])
def test_malformed_xml(env, doms, method, doc):
    with unchanged(env, doms):
        with dbus_error("XMLError", "malformed document") as e:
            send(env, method, doc)
    assert "line" in e.message or "empty" in e.message


@DEFINE_AND_CREATE
def test_wrong_root_element(env, doms, method):
    with unchanged(env, doms):
        with dbus_error("XMLError", "<domain>", "network"):
            send(env, method, "<network><name>x</name></network>")


SHEEPDOG_DISK = ("<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
                 "<source protocol='sheepdog' name='v'><host name='192.0.2.1' port='7000'/></source>"
                 "<target dev='vdz' bus='virtio'/></disk>")


@DEFINE_AND_CREATE
@pytest.mark.parametrize("device,named", [
    # QEMU has no block driver for tftp (its curl driver has none)
    ("<disk type='network' device='disk'><driver name='qemu' type='raw'/><source protocol='tftp' name='v'>"
     "<host name='192.0.2.1'/></source><target dev='vdz' bus='virtio'/></disk>",
     "tftp"),
    ("<frobnicator/>", "frobnicator"),
], ids=["tftp-disk", "unknown-element"])
def test_unsupported_element(env, doms, method, device, named):
    with unchanged(env, doms):
        with dbus_error("NotSupported", named):
            send(env, method, with_device(xml(env), device))


def test_sheepdog_disk_creates_nothing(env, doms):
    """libvirt 9.0 defines a sheepdog disk and refuses its start: QEMU 7.2
    has no sheepdog block driver left. DomainCreateXML leaves nothing."""
    with unchanged(env, doms):
        with dbus_error("NotSupported", "disk 'vdz'", "'sheepdog'", "no 'sheepdog' block driver"):
            env.call("DomainCreateXML", with_device(xml(env), SHEEPDOG_DISK), 0)


def test_sheepdog_disk_defined_and_its_start_refused(env, doms):
    path = env.call("DomainDefineXML", with_device(xml(env, "sheep"), SHEEPDOG_DISK))
    try:
        defined = env.dcall(path, "GetXMLDesc", 0)
        assert "protocol='sheepdog'" in defined
        with dbus_error("NotSupported", "disk 'vdz'", "'sheepdog'", "no 'sheepdog' block driver"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == S.SHUTOFF
        assert env.dcall(path, "GetXMLDesc", 0) == defined
        assert doms["victim"].state()[0] == S.RUNNING
    finally:
        env.dcall(path, "Undefine", 0)


def test_unsupported_attribute(env, doms):
    with unchanged(env, doms):
        with dbus_error("NotSupported", "frob", "vcpu"):
            env.call("DomainDefineXML", xml(env).replace("<vcpu>", "<vcpu frob='1'>"))


def test_doctype_is_refused(env, doms):
    doc = '<!DOCTYPE domain [<!ENTITY a "aaaa">]>\n' + xml(env)
    with unchanged(env, doms):
        with dbus_error("NotSupported", "DOCTYPE"):
            env.call("DomainDefineXML", doc)


@DEFINE_AND_CREATE
def test_ten_megabyte_document(env, doms, method):
    doc = xml(env).replace("</domain>",
                           "<description>" + "x" * (10 * 1024 * 1024) + "</description></domain>")
    with unchanged(env, doms):
        with dbus_error("InvalidArg", "too large", str(len(doc.encode()))):
            send(env, method, doc)


@DEFINE_AND_CREATE
def test_duplicate_name_with_another_uuid(env, doms, method):
    other = new_uuid()
    with unchanged(env, doms):
        for name, uuid in (("victim", VICTIM_UUID), ("idle", IDLE_UUID)):
            with dbus_error("DomainExists", f"'{name}'", uuid):
                send(env, method, xml(env, name, other))


@DEFINE_AND_CREATE
def test_duplicate_uuid_with_another_name(env, doms, method):
    with unchanged(env, doms):
        for name, uuid in (("victim", VICTIM_UUID), ("idle", IDLE_UUID)):
            with dbus_error("DomainExists", f"'{name}'", uuid):
                send(env, method, xml(env, "impostor", uuid))


@DEFINE_AND_CREATE
@pytest.mark.parametrize("memory,named", [
    ("<memory unit='TiB'>99999999</memory>", "99999999"),
    ("<memory unit='KiB'>99999999999999999999999</memory>", "99999999999999999999999"),
    ("<memory unit='KiB'>-5</memory>", "-5"),
    ("<memory unit='KiB'>0</memory>", "memory"),
    ("<memory unit='parsecs'>5</memory>", "parsecs"),
], ids=["99999999TiB", "overflow", "negative", "zero", "bad-unit"])
def test_absurd_memory(env, doms, method, memory, named):
    doc = xml(env).replace("<memory unit='MiB'>256</memory>", memory)
    with unchanged(env, doms):
        with dbus_error("InvalidArg", named):
            send(env, method, doc)


@pytest.mark.parametrize("vcpus", ["0", "100000"])
def test_absurd_vcpus(env, doms, vcpus):
    doc = xml(env).replace("<vcpu>1</vcpu>", f"<vcpu>{vcpus}</vcpu>")
    with unchanged(env, doms):
        with dbus_error("InvalidArg", vcpus):
            env.call("DomainDefineXML", doc)


@DEFINE_AND_CREATE
def test_name_with_slash(env, doms, method):
    with unchanged(env, doms):
        with dbus_error("InvalidArg", "a/b", "/"):
            send(env, method, xml(env, "a/b"))
    assert not (env.conf_dir / "a").exists()


def test_missing_name_and_bad_uuid(env, doms):
    u = new_uuid()
    doc = xml(env, "newdom", u)
    with unchanged(env, doms):
        with dbus_error("XMLError", "<name>"):
            env.call("DomainDefineXML", doc.replace("<name>newdom</name>", ""))
        with dbus_error("InvalidArg", "zz-2222-3333"):
            env.call("DomainDefineXML", doc.replace(u, "zz-2222-3333-4444-555555555555"))


# ---------------------------------------------------------------------------
# what the shared XML model takes for containers (lxcd's) but QEMU cannot run

CONTAINER = """<domain type='lxc'>
  <name>container</name>
  <memory unit='MiB'>64</memory>
  <os>
    <type>exe</type>
    <init>/sbin/init</init>
    <initarg>--verbose</initarg>
    <initenv name='LANG'>C</initenv>
  </os>
  <idmap>
    <uid start='0' target='100000' count='65536'/>
    <gid start='0' target='100000' count='65536'/>
  </idmap>
  <devices>
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='/var/lib/containers/c'/>
      <target dir='/'/>
    </filesystem>
  </devices>
</domain>"""


@DEFINE_AND_CREATE
def test_container_definition_is_refused(env, doms, method):
    with unchanged(env, doms):
        with dbus_error("NotSupported", "the QEMU driver does not support <domain type='lxc'>",
                        "only 'qemu' or 'kvm'"):
            send(env, method, CONTAINER)
    assert not (env.conf_dir / "container.xml").exists()
    assert not env.status_file("container").exists()


@DEFINE_AND_CREATE
@pytest.mark.parametrize("part,named", [
    ("<os><type>exe</type><init>/sbin/init</init></os>", "<os><type>exe</type>"),
    # a machine's share is a 9p directory (test_qemud_filesystem.py); a tmpfs is a container's
    ("<filesystem type='ram'><source usage='1024'/><target dir='/mnt'/></filesystem>",
     "<filesystem type='ram'>, only 'mount'"),
], ids=["os-exe", "filesystem"])
def test_container_parts_in_a_machine_are_refused(env, doms, method, part, named):
    doc = xml(env, "newdom")
    if part.startswith("<os>"):
        doc = re.sub(r"<os>.*?</os>", part, doc, count=1, flags=re.S)
    elif part.startswith("<filesystem"):
        doc = with_device(doc, part)
    else:
        doc = doc.replace("<devices>", part + "\n  <devices>", 1)
    with unchanged(env, doms):
        with dbus_error("NotSupported", "the QEMU driver does not support", named):
            send(env, method, doc)
    assert not (env.conf_dir / "newdom.xml").exists()


# ---------------------------------------------------------------------------
# flags

@pytest.mark.parametrize("target,method,args", [
    ("idle", "Create", (0x100,)),
    ("victim", "Destroy", (0x100,)),
    ("victim", "Shutdown", (0x100,)),
    ("victim", "Reboot", (0x100,)),
    ("victim", "Reset", (1,)),
    ("victim", "GetXMLDesc", (0x100,)),
    ("victim", "GetState", (1,)),
    ("idle", "Undefine", (1 << 20,)),
    ("victim", "Undefine", (1 << 20,)),
    ("victim", "GetStats", (0, 1 << 20)),
    (None, "ListDomains", (1 << 20,)),
    (None, "DomainCreateXML", ("XML", 0x100)),
    (None, "GetDomainCapabilities", ("", "", "", "", 1 << 20)),
], ids=lambda v: v if isinstance(v, str) else "connect" if v is None else hex(v[-1]))
def test_unknown_flags(env, doms, target, method, args):
    args = tuple(xml(env) if a == "XML" else a for a in args)
    try:
        with unchanged(env, doms):
            what = f"{method}{args if method != 'DomainCreateXML' else ('<xml>', args[1])}" + \
                (f" on '{target}'" if target else "")
            with dbus_error("InvalidArg", "flags", hex(args[-1]), what=what):
                if target:
                    doms[target].call(method, *args)
                else:
                    env.call(method, *args)
    finally:
        restore_definitions(env, doms)


def restore_definitions(env, doms):
    """Puts back a definition a buggy call removed, for the tests after."""
    for name, uuid in (("victim", VICTIM_UUID), ("idle", IDLE_UUID)):
        p = doms[name].path
        if p not in env.list_domains() or not doms[name].prop("Persistent"):
            env.call("DomainDefineXML", env.guest_xml(name, uuid=uuid, tick=name == "victim"))


# ---------------------------------------------------------------------------
# lookups and states

def test_lookups_of_missing_domains(env, doms):
    missing = new_uuid()
    with unchanged(env, doms):
        with dbus_error("NoDomain", "'nosuchdomain'"):
            env.call("DomainLookupByName", "nosuchdomain")
        with dbus_error("NoDomain", missing):
            env.call("DomainLookupByUUID", missing)
        with dbus_error("InvalidArg", "not-a-uuid"):
            env.call("DomainLookupByUUID", "not-a-uuid")
        for i in (4242, 0, -1):
            with dbus_error("NoDomain", str(i)):
                env.call("DomainLookupByID", i)
        # a shut-off domain has no id
        with dbus_error("NoDomain", "0"):
            env.call("DomainLookupByID", doms["idle"].prop("Id"))


@pytest.mark.parametrize("method,args", [
    ("Suspend", ()), ("Resume", ()), ("Shutdown", (0,)), ("Reboot", (0,)), ("Reset", (0,)),
    ("Destroy", (0,)),
])
def test_operation_on_a_shutoff_domain(env, doms, method, args):
    with unchanged(env, doms):
        with dbus_error("OperationInvalid", "'idle'", "not running"):
            doms["idle"].call(method, *args)


def test_create_of_a_running_domain(env, doms):
    with unchanged(env, doms):
        with dbus_error("OperationInvalid", "'victim'", "running"):
            doms["victim"].call("Create", 0)
        with dbus_error("OperationInvalid", "'tr'", "running"):
            doms["tr"].call("Create", 0)
        with dbus_error("OperationInvalid", "'victim'"):
            env.call("DomainCreateXML", env.guest_xml("victim", uuid=VICTIM_UUID), 0)


def test_resume_of_a_running_domain(env, doms):
    """libvirt treats it as a no-op; qemud may refuse it instead. Either way
    nothing changes and no lifecycle event goes out."""
    m = env.mark()
    with unchanged(env, doms):
        try:
            doms["victim"].call("Resume")
        except dbus.exceptions.DBusException as e:
            assert e.get_dbus_name() == "org.virtbus.Error.OperationInvalid", e
            assert "'victim'" in e.get_dbus_message()
    time.sleep(0.3)
    assert env.events(doms["victim"].path, m) == []


def test_transient_domain_refuses_undefine_and_autostart(env, doms):
    with unchanged(env, doms):
        with dbus_error("OperationInvalid", "'tr'", "transient"):
            doms["tr"].call("Undefine", 0)
        with dbus_error("OperationInvalid", "'tr'", "transient"):
            env.bus.call("org.virtbus.qemud", doms["tr"].path, "org.freedesktop.DBus.Properties",
                         "Set", "org.libvirt.Domain", "Autostart",
                         dbus.Boolean(True, variant_level=1))


def test_guest_still_runs_after_all_that(env, doms):
    v = doms["victim"]
    t = v.last_tick()
    v.wait_tick_after(t)
    assert v.state() == (S.RUNNING, 1)
    assert doms["tr"].state()[0] == S.RUNNING
    assert doms["idle"].state() == (S.SHUTOFF, 0)


def test_network_interface_without_networkd(env, doms):
    """No networkd on the bus (this harness installs none): the start names
    the interface's network and what is missing, and nothing of it is left."""
    doc = with_device(xml(env, "nonet", nic=None),
                      "<interface type='network'><source network='lan9'/><model type='virtio'/></interface>")
    with unchanged(env, doms):
        with dbus_error("OperationFailed", "interface 0", "network 'lan9'", "virtbus-networkd"):
            env.call("DomainCreateXML", doc, 0)
    with dbus_error("NoDomain", "nonet"):
        env.call("DomainLookupByName", "nonet")
