# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-secretd on a private bus, through D-Bus: define/look up/list,
values (private ones never given to GetValue), libvirt's define rules,
the files on disk (0600 in a 0700 folder), ephemeral secrets in memory only,
SIGKILL and restart forgetting nothing persistent, events, policy."""

import os
import stat
from pathlib import Path

import dbus
import pytest

from virtbus_harness import expect_dbus_error

ROOT = "/org/virtbus/secretd"
SECRET = "org.libvirt.Secret"
UUID1 = "5bd2b1f6-1f2a-4d64-8f6e-6b1f0b6a8c11"
UUID2 = "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"
NO_SECRET = "org.virtbus.Error.NoSecret"

VOLUME_XML = f"""<secret ephemeral='no' private='no'>
  <uuid>{UUID1}</uuid>
  <description>LUKS passphrase of disk1</description>
  <usage type='volume'>
    <volume>/var/lib/images/disk1.qcow2</volume>
  </usage>
</secret>
"""


@pytest.fixture
def secretd(daemon):
    return daemon("secretd")


def define(d, xml, flags=0):
    return d.call("SecretDefineXML", xml, flags)


def scall(d, path, method, *args, **kw):
    return d.bus.call(d.bus_name, path, SECRET, method, *args, **kw)


def get_value(d, path):
    return bytes(scall(d, path, "GetValue", 0))


def set_value(d, path, data):
    scall(d, path, "SetValue", dbus.ByteArray(data), 0, signature="ayu")


def secrets_dir(vroot):
    return Path(vroot) / "etc/virtbus/secrets"


def test_define_lookup_value_roundtrip(secretd, vroot, bus_monitor):
    mark = bus_monitor.mark()
    path = define(secretd, VOLUME_XML)
    assert path == f"{ROOT}/secret/_{UUID1.replace('-', '_')}"
    ev = bus_monitor.wait_signal("SecretEvent", "org.libvirt.Connect", ROOT, since=mark)
    assert ev["payload"]["data"] == [path, 0, 0]
    # the document comes back as libvirt formats it
    assert scall(secretd, path, "GetXMLDesc", 0) == VOLUME_XML
    props = secretd.bus.get_all_properties(secretd.bus_name, path, SECRET)
    assert props == {"UUID": UUID1, "UsageID": "/var/lib/images/disk1.qcow2", "UsageType": 1}
    assert secretd.call("SecretLookupByUUID", UUID1) == path
    assert secretd.call("SecretLookupByUsage", 1, "/var/lib/images/disk1.qcow2") == path
    assert secretd.call("ListSecrets", 0) == [path]

    with expect_dbus_error(NO_SECRET) as e:
        get_value(secretd, path)
    assert "does not have a value" in e.message
    set_value(secretd, path, b"s3cr3t\x00\xff")
    assert get_value(secretd, path) == b"s3cr3t\x00\xff"

    # root-only files in a root-only folder
    d = secrets_dir(vroot)
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    for f in (d / f"{UUID1}.xml", d / f"{UUID1}.value"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert (d / f"{UUID1}.value").read_bytes() == b"s3cr3t\x00\xff"

    mark = bus_monitor.mark()
    scall(secretd, path, "Undefine")
    ev = bus_monitor.wait_signal("SecretEvent", "org.libvirt.Connect", ROOT, since=mark)
    assert ev["payload"]["data"] == [path, 1, 0]
    assert list(d.iterdir()) == []
    with expect_dbus_error(NO_SECRET) as e:
        secretd.call("SecretLookupByUUID", UUID1)
    assert UUID1 in e.message


def test_generated_uuid_and_no_usage(secretd):
    path = define(secretd, "<secret><description>tls key</description></secret>")
    uuid = secretd.bus.get_property(secretd.bus_name, path, SECRET, "UUID")
    assert len(uuid) == 36
    assert scall(secretd, path, "GetXMLDesc", 0) == (
        f"<secret ephemeral='no' private='no'>\n  <uuid>{uuid}</uuid>\n"
        "  <description>tls key</description>\n</secret>\n")
    # secrets without a usage never clash with each other
    define(secretd, "<secret/>")
    assert len(secretd.call("ListSecrets", 0)) == 2


def test_private_value_only_for_the_daemons(secretd):
    path = define(secretd, f"<secret private='yes'><uuid>{UUID2}</uuid>"
                           "<usage type='ceph'><name>client.admin</name></usage></secret>")
    set_value(secretd, path, b"AQBQ==key")
    with expect_dbus_error("org.virtbus.Error.InvalidSecret") as e:
        get_value(secretd, path)
    assert "secret is private" in e.message
    # qemud (root) reads it by UUID or by usage
    got = secretd.call("GetValueInternal", UUID2, 0, "", interface="org.virtbus.Secret1")
    assert got[0] == UUID2 and bytes(got[1]) == b"AQBQ==key"
    got = secretd.call("GetValueInternal", "", 2, "client.admin", interface="org.virtbus.Secret1")
    assert bytes(got[1]) == b"AQBQ==key"
    with expect_dbus_error(NO_SECRET):
        secretd.call("GetValueInternal", "", 3, "client.admin", interface="org.virtbus.Secret1")
    # nobody else gets it, nor any value
    r = secretd.bus.call_as("nobody", secretd.bus_name, ROOT, "org.virtbus.Secret1", "GetValueInternal",
                            "sis", UUID2, 0, "")
    assert r.denied, r.stderr
    r = secretd.bus.call_as("nobody", secretd.bus_name, path, SECRET, "GetValue", "u", 0)
    assert r.denied, r.stderr
    # but may see that it exists
    r = secretd.bus.call_as("nobody", secretd.bus_name, ROOT, "org.libvirt.Connect", "ListSecrets", "u", 0)
    assert r.returncode == 0 and UUID2.replace("-", "_") in r.stdout
    r = secretd.bus.call_as("nobody", secretd.bus_name, path, SECRET, "GetXMLDesc", "u", 0)
    assert r.returncode == 0 and "client.admin" in r.stdout
    # the private flag cannot be dropped
    with expect_dbus_error("org.virtbus.Error.InternalError") as e:
        define(secretd, f"<secret private='no'><uuid>{UUID2}</uuid>"
                        "<usage type='ceph'><name>client.admin</name></usage></secret>")
    assert "cannot change private flag on existing secret" in e.message


def test_define_rules(secretd):
    path = define(secretd, VOLUME_XML)
    set_value(secretd, path, b"one")
    # a usage ID is one secret's per type
    with expect_dbus_error("org.virtbus.Error.InternalError") as e:
        define(secretd, VOLUME_XML.replace(UUID1, UUID2))
    assert e.message == (f"a secret with UUID {UUID1} already defined for use with "
                         "/var/lib/images/disk1.qcow2")
    # the same ID under another type is another secret
    other = define(secretd, f"<secret><uuid>{UUID2}</uuid><usage type='iscsi'>"
                            "<target>/var/lib/images/disk1.qcow2</target></usage></secret>")
    assert other != path
    # a secret keeps its usage
    with expect_dbus_error("org.virtbus.Error.InternalError") as e:
        define(secretd, VOLUME_XML.replace("disk1", "disk2"))
    assert f"a secret with UUID {UUID1} is already defined for use with" in e.message
    # defined again: a new description, the value kept
    assert define(secretd, VOLUME_XML.replace("of disk1", "(new)")) == path
    assert "(new)" in scall(secretd, path, "GetXMLDesc", 0)
    assert get_value(secretd, path) == b"one"


@pytest.mark.parametrize("xml,error,words", [
    ("<secret><usage type='volume'/></secret>", "XMLError", "volume usage specified, but volume path is missing"),
    ("<secret><usage type='ceph'/></secret>", "XMLError", "Ceph usage specified, but name is missing"),
    ("<secret><usage type='iscsi'/></secret>", "XMLError", "iSCSI usage specified, but target is missing"),
    ("<secret><usage type='tls'/></secret>", "XMLError", "TLS usage specified, but name is missing"),
    ("<secret><usage type='vtpm'/></secret>", "XMLError", "vTPM usage specified, but name is missing"),
    ("<secret><usage type='disk'><name>x</name></usage></secret>", "XMLError", "unknown secret usage type disk"),
    ("<secret><uuid>nope</uuid></secret>", "XMLError", "malformed uuid element"),
    ("<secret ephemeral='maybe'/>", "InvalidArg", "'maybe'"),
    ("<secret><name>x</name></secret>", "NotSupported", "name"),
    ("<secret><usage type='ceph'><target>x</target></usage></secret>", "NotSupported", "target"),
    ("<domain/>", "XMLError", "secret"),
    ("<secret>", "XMLError", ""),
])
def test_bad_xml_is_refused_and_changes_nothing(secretd, vroot, xml, error, words):
    path = define(secretd, VOLUME_XML)
    with expect_dbus_error(f"org.virtbus.Error.{error}") as e:
        define(secretd, xml)
    assert words in e.message
    assert secretd.call("ListSecrets", 0) == [path]
    assert sorted(p.name for p in secrets_dir(vroot).iterdir()) == [f"{UUID1}.xml"]


def test_bad_arguments(secretd):
    path = define(secretd, VOLUME_XML)
    with expect_dbus_error("org.virtbus.Error.InvalidArg"):
        secretd.call("SecretLookupByUUID", "not-a-uuid")
    with expect_dbus_error("org.virtbus.Error.InvalidArg"):
        secretd.call("ListSecrets", 16)
    with expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
        set_value(secretd, path, b"x" * 65537)
    assert "too long" in e.message
    # a secret that is not there is no object, as for the other daemons
    with expect_dbus_error("org.freedesktop.DBus.Error.UnknownObject"):
        scall(secretd, f"{ROOT}/secret/_{UUID2.replace('-', '_')}", "GetXMLDesc", 0, signature="u")


def test_list_flags(secretd):
    p1 = define(secretd, VOLUME_XML)
    p2 = define(secretd, f"<secret ephemeral='yes' private='yes'><uuid>{UUID2}</uuid></secret>")
    assert sorted(secretd.call("ListSecrets", 0)) == sorted([p1, p2])
    assert secretd.call("ListSecrets", 1) == [p2]     # EPHEMERAL
    assert secretd.call("ListSecrets", 2) == [p1]     # NO_EPHEMERAL
    assert secretd.call("ListSecrets", 4) == [p2]     # PRIVATE
    assert secretd.call("ListSecrets", 8) == [p1]     # NO_PRIVATE
    assert sorted(secretd.call("ListSecrets", 3)) == sorted([p1, p2])


def test_sigkill_restart_forgets_nothing_persistent(secretd, vroot):
    p1 = define(secretd, VOLUME_XML)
    set_value(secretd, p1, b"persistent")
    p2 = define(secretd, f"<secret ephemeral='yes'><uuid>{UUID2}</uuid></secret>")
    set_value(secretd, p2, b"ephemeral")
    assert sorted(p.name for p in secrets_dir(vroot).iterdir()) == [f"{UUID1}.value", f"{UUID1}.xml"]
    secretd.restart()
    assert secretd.call("ListSecrets", 0) == [p1]
    assert get_value(secretd, p1) == b"persistent"
    assert scall(secretd, p1, "GetXMLDesc", 0) == VOLUME_XML
    # persistent -> ephemeral: off the disk, the value kept in memory
    define(secretd, VOLUME_XML.replace("ephemeral='no'", "ephemeral='yes'"))
    assert list(secrets_dir(vroot).iterdir()) == []
    assert get_value(secretd, p1) == b"persistent"
    # and back: both files again
    define(secretd, VOLUME_XML)
    assert (secrets_dir(vroot) / f"{UUID1}.value").read_bytes() == b"persistent"


def test_activation(bus, vroot):
    """D-Bus activation brings secretd up at the first call."""
    path = bus.call("org.virtbus.secretd", ROOT, "org.libvirt.Connect", "SecretDefineXML", VOLUME_XML, 0)
    assert path.endswith(UUID1.replace("-", "_"))
