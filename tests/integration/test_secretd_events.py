# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Secret API's events, as libvirt sends them: LIFECYCLE (DEFINED on
each define, redefinition included; UNDEFINED) and VALUE_CHANGED (each value
set). On D-Bus: secretd's org.libvirt.Connect.SecretEvent(o, i, i) and, as
libvirt-dbus has no signal for a value, org.virtbus.Secret1.
SecretValueChanged(o) on its root; a refused SetValue sends nothing.
Through virtbus-proxyd: python-libvirt's secretEventRegisterAny with
VIR_SECRET_EVENT_ID_VALUE_CHANGED (REMOTE_PROC_SECRET_EVENT_VALUE_CHANGED),
from python's setValue and from virsh secret-set-value; a callback filtered
on another secret hears none of it, and a deregistered one nothing more."""

import base64
import shutil

import dbus
import pytest

import virtbus_harness as h
from virtbus_harness import expect_dbus_error

ROOT = "/org/virtbus/secretd"
SECRET = "org.libvirt.Secret"
UUID1 = "7c1a0e55-2f3b-4c6d-9e8f-1a2b3c4d5e61"
UUID2 = "7c1a0e55-2f3b-4c6d-9e8f-1a2b3c4d5e62"
XML1 = f"<secret ephemeral='no' private='no'><uuid>{UUID1}</uuid><usage type='ceph'><name>client.ev</name></usage></secret>"


def scall(d, path, method, *args, **kw):
    return d.bus.call(d.bus_name, path, SECRET, method, *args, **kw)


def test_dbus_lifecycle_and_value_changed(daemon, bus_monitor):
    d = daemon("secretd")
    mark = bus_monitor.mark()
    path = d.call("SecretDefineXML", XML1, 0)
    ev = bus_monitor.wait_signal("SecretEvent", "org.libvirt.Connect", ROOT, since=mark)
    assert ev["payload"]["data"] == [path, 0, 0]

    # a redefinition is DEFINED again, as in libvirt
    mark = bus_monitor.mark()
    assert d.call("SecretDefineXML", XML1.replace("<usage", "<description>again</description><usage"), 0) == path
    ev = bus_monitor.wait_signal("SecretEvent", "org.libvirt.Connect", ROOT, since=mark)
    assert ev["payload"]["data"] == [path, 0, 0]

    mark = bus_monitor.mark()
    scall(d, path, "SetValue", dbus.ByteArray(b"first"), 0, signature="ayu")
    ev = bus_monitor.wait_signal("SecretValueChanged", "org.virtbus.Secret1", ROOT, since=mark)
    assert ev["payload"]["data"] == [path]

    # refused: no value changed, no signal
    mark = bus_monitor.mark()
    with expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
        scall(d, path, "SetValue", dbus.ByteArray(b"x" * 70000), 0, signature="ayu")
    assert "too long" in e.message
    scall(d, path, "SetValue", dbus.ByteArray(b"second"), 0, signature="ayu")
    ev = bus_monitor.wait_signal("SecretValueChanged", "org.virtbus.Secret1", ROOT, since=mark)
    assert bytes(scall(d, path, "GetValue", 0)) == b"second"
    assert ev["payload"]["data"] == [path]
    # signals keep their order: the refusal's would have come first
    assert len(bus_monitor.signals("SecretValueChanged", "org.virtbus.Secret1", ROOT, since=mark)) == 1

    mark = bus_monitor.mark()
    scall(d, path, "Undefine")
    ev = bus_monitor.wait_signal("SecretEvent", "org.libvirt.Connect", ROOT, since=mark)
    assert ev["payload"]["data"] == [path, 1, 0]


@pytest.fixture
def proxy(daemon, bus, vroot):
    daemon("secretd")
    p = h.Proxy(bus, vroot).start()
    yield p
    p.stop()


def test_python_value_changed_events(proxy):
    libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")
    from test_proxy import event_loop
    event_loop()
    conn = libvirt.open(proxy.uri)
    changed, other, life = [], [], []
    try:
        dummy = conn.secretDefineXML(f"<secret><uuid>{UUID2}</uuid></secret>")
        s = conn.secretDefineXML(XML1)
        cb = conn.secretEventRegisterAny(None, libvirt.VIR_SECRET_EVENT_ID_VALUE_CHANGED,
                                         lambda c, sec, op: changed.append(sec.UUIDString()), None)
        cb2 = conn.secretEventRegisterAny(dummy, libvirt.VIR_SECRET_EVENT_ID_VALUE_CHANGED,
                                          lambda c, sec, op: other.append(sec.UUIDString()), None)
        cb3 = conn.secretEventRegisterAny(s, libvirt.VIR_SECRET_EVENT_ID_LIFECYCLE,
                                          lambda c, sec, ev, detail, op: life.append(ev), None)
        s.setValue(b"one")
        h.wait_until(lambda: changed == [UUID1], 30, what=f"VALUE_CHANGED of {UUID1} (seen {changed})")
        if shutil.which("virsh"):
            proxy.virsh("secret-set-value", UUID1, base64.b64encode(b"two").decode())
            h.wait_until(lambda: changed == [UUID1, UUID1], 30, what=f"virsh's VALUE_CHANGED (seen {changed})")
        else:
            s.setValue(b"two")
            h.wait_until(lambda: len(changed) == 2, 30, what="the second VALUE_CHANGED")
        assert s.value() == b"two"
        # a value is no lifecycle event
        assert life == []
        conn.secretEventDeregisterAny(cb)
        s.setValue(b"three")
        s.undefine()
        h.wait_until(lambda: life == [libvirt.VIR_SECRET_EVENT_UNDEFINED], 30, what=f"UNDEFINED (seen {life})")
        assert changed == [UUID1, UUID1], "a deregistered callback heard more"
        assert other == []
        conn.secretEventDeregisterAny(cb2)
        conn.secretEventDeregisterAny(cb3)
        dummy.undefine()
    finally:
        conn.close()
