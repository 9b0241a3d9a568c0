# SPDX-License-Identifier: LGPL-2.1-or-later
"""Secrets through virtbus-proxyd: the real virsh (secret-define,
secret-set-value, secret-get-value, secret-list, secret-dumpxml,
secret-undefine) and python-libvirt (secretDefineXML, secretLookupByUUID,
secretLookupByUsage, listAllSecrets, setValue/value, undefine), against
virtbus-secretd; libvirt's error codes; a read-only connection may see a
secret but never its value."""

import base64
import shutil

import pytest

import virtbus_harness as h

libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")

UUID1 = "6dd3e4a5-1d76-44ce-961f-f119f5aad935"
UUID2 = "c4a1a6f2-9a40-4f2c-8d8e-6f1e58b0d6a1"
XML1 = f"""<secret ephemeral='no' private='no'>
  <uuid>{UUID1}</uuid>
  <description>iSCSI CHAP password</description>
  <usage type='iscsi'>
    <target>libvirtiscsi</target>
  </usage>
</secret>
"""


@pytest.fixture
def proxy(daemon, bus, vroot):
    daemon("secretd")
    p = h.Proxy(bus, vroot).start()
    yield p
    p.stop()


def test_virsh_secret_commands(proxy, vroot):
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    f = vroot / "secret.xml"
    f.write_text(XML1)
    r = proxy.virsh("secret-define", f)
    assert f"Secret {UUID1} created" in r.stdout
    out = proxy.virsh("secret-list").stdout
    assert UUID1 in out and "iscsi libvirtiscsi" in out
    assert proxy.virsh("secret-dumpxml", UUID1).stdout.strip() == XML1.strip()
    value = base64.b64encode(b"chap-pass").decode()
    proxy.virsh("secret-set-value", UUID1, value)
    assert proxy.virsh("secret-get-value", UUID1).stdout.strip() == value
    # read-only: listed and dumped, its value refused
    assert UUID1 in proxy.virsh("secret-list", uri=proxy.uri_ro).stdout
    r = proxy.virsh("secret-get-value", UUID1, uri=proxy.uri_ro, check=False)
    assert r.returncode != 0 and "read only" in r.stderr.lower(), r.stderr
    r = proxy.virsh("secret-undefine", UUID1)
    assert f"Secret {UUID1} deleted" in r.stdout
    r = proxy.virsh("secret-dumpxml", UUID1, check=False)
    assert r.returncode != 0 and "Secret not found" in r.stderr, r.stderr


def test_python_libvirt_secrets(proxy):
    conn = libvirt.open(proxy.uri)
    try:
        s = conn.secretDefineXML(XML1)
        assert s.UUIDString() == UUID1
        assert s.usageType() == libvirt.VIR_SECRET_USAGE_TYPE_ISCSI
        assert s.usageID() == "libvirtiscsi"
        s.setValue(b"\x00bin\xff")
        assert conn.secretLookupByUUIDString(UUID1).value() == b"\x00bin\xff"
        assert conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_ISCSI, "libvirtiscsi").UUIDString() == UUID1
        p = conn.secretDefineXML(f"<secret private='yes' ephemeral='yes'><uuid>{UUID2}</uuid>"
                                 "<usage type='vtpm'><name>vm1 tpm</name></usage></secret>")
        p.setValue(b"tpm-key")
        with pytest.raises(libvirt.libvirtError) as e:
            p.value()
        assert e.value.get_error_code() == libvirt.VIR_ERR_INVALID_SECRET
        assert "secret is private" in str(e.value)
        assert sorted(x.UUIDString() for x in conn.listAllSecrets()) == sorted([UUID1, UUID2])
        assert [x.UUIDString() for x in conn.listAllSecrets(libvirt.VIR_CONNECT_LIST_SECRETS_EPHEMERAL)] == [UUID2]
        assert conn.numOfSecrets() == 2
        assert sorted(conn.listSecrets()) == sorted([UUID1, UUID2])
        # libvirt's define rules and codes
        with pytest.raises(libvirt.libvirtError) as e:
            conn.secretDefineXML(XML1.replace(UUID1, UUID2).replace("ephemeral='no'", "ephemeral='yes'"))
        assert "already defined for use with" in str(e.value)
        with pytest.raises(libvirt.libvirtError) as e:
            conn.secretDefineXML("<secret><usage type='ceph'/></secret>")
        assert e.value.get_error_code() == libvirt.VIR_ERR_XML_ERROR
        assert "Ceph usage specified, but name is missing" in str(e.value)
        p.undefine()
        with pytest.raises(libvirt.libvirtError) as e:
            conn.secretLookupByUUIDString(UUID2)
        assert e.value.get_error_code() == libvirt.VIR_ERR_NO_SECRET
        assert e.value.get_error_domain() == libvirt.VIR_FROM_SECRET
        with pytest.raises(libvirt.libvirtError) as e:
            p.XMLDesc()
        assert e.value.get_error_code() == libvirt.VIR_ERR_NO_SECRET
        s.undefine()
        assert conn.listAllSecrets() == []
    finally:
        conn.close()


def test_libvirt_dbus_secrets(proxy, bus, bus_monitor):
    """org.libvirt's Secret API (libvirt-dbus's names and paths) goes to
    secretd: define, value, SecretEvent re-sent with org.libvirt's paths;
    another user may look but not read the value."""
    h.wait_until(lambda: bus.name_has_owner("org.libvirt"), 30, what="org.libvirt on the bus")
    q = "/org/libvirt/QEMU"
    mark = bus_monitor.mark()
    path = bus.call("org.libvirt", q, "org.libvirt.Connect", "SecretDefineXML", XML1, 0, signature="su")
    assert path == f"{q}/secret/_{UUID1.replace('-', '_')}"
    ev = bus_monitor.wait_signal("SecretEvent", "org.libvirt.Connect", q, since=mark)
    assert ev["payload"]["data"][0] == path
    bus.call("org.libvirt", path, "org.libvirt.Secret", "SetValue", b"pw", 0, signature="ayu")
    assert bytes(bus.call("org.libvirt", path, "org.libvirt.Secret", "GetValue", 0, signature="u")) == b"pw"
    assert bus.call("org.libvirt", q, "org.libvirt.Connect", "ListSecrets", 0, signature="u") == [path]
    assert bus.get_property("org.libvirt", path, "org.libvirt.Secret", "UsageID") == "libvirtiscsi"
    r = bus.call_as("nobody", "org.libvirt", path, "org.libvirt.Secret", "GetXMLDesc", "u", 0)
    assert r.returncode == 0 and "libvirtiscsi" in r.stdout, r.stderr
    r = bus.call_as("nobody", "org.libvirt", path, "org.libvirt.Secret", "GetValue", "u", 0)
    assert r.denied, r.stderr
    bus.call("org.libvirt", path, "org.libvirt.Secret", "Undefine", signature="")


def test_python_secret_events(proxy):
    """secretEventRegisterAny: DEFINED and UNDEFINED of secretd's secrets, with
    their UUID, to the registered callback; one filtered on another secret
    sees none of them."""
    from test_proxy import event_loop
    event_loop()
    conn = libvirt.open(proxy.uri)
    seen, other = [], []
    try:
        dummy = conn.secretDefineXML(f"<secret><uuid>{UUID2}</uuid></secret>")
        cb = conn.secretEventRegisterAny(None, libvirt.VIR_SECRET_EVENT_ID_LIFECYCLE,
                                         lambda c, s, ev, detail, op: seen.append((s.UUIDString(), ev)), None)
        cb2 = conn.secretEventRegisterAny(dummy, libvirt.VIR_SECRET_EVENT_ID_LIFECYCLE,
                                          lambda c, s, ev, detail, op: other.append((s.UUIDString(), ev)), None)
        s = conn.secretDefineXML(XML1)
        s.undefine()
        want = [(UUID1, libvirt.VIR_SECRET_EVENT_DEFINED), (UUID1, libvirt.VIR_SECRET_EVENT_UNDEFINED)]
        h.wait_until(lambda: len(seen) >= 2, 30, what=f"the secret's events (seen {seen})")
        assert seen == want
        assert other == []
        conn.secretEventDeregisterAny(cb)
        conn.secretEventDeregisterAny(cb2)
        dummy.undefine()
    finally:
        conn.close()
