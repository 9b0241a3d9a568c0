# SPDX-License-Identifier: LGPL-2.1-or-later
"""<genid/>: a fresh VM generation ID at every start, in the live XML only,
the one QEMU's vmgenid device holds (query-vm-generation-id)."""

import re

import pytest

import virtbus_harness as h

pytestmark = pytest.mark.timeout(120)

XML = """<domain type='qemu'>
  <name>genid</name>
  <genid/>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>"""


def qmp_genid(qemud, vroot):
    status = (vroot / "run" / "virtbus" / "qemu" / "genid.xml").read_text()
    monitor = re.search(r"<monitor path='([^']+)'", status).group(1)
    qemud.kill()
    try:
        qmp = h.Qmp(monitor, timeout=20)
        try:
            return qmp.cmd("query-vm-generation-id")["guid"]
        finally:
            qmp.close()
    finally:
        qemud.start()


def test_auto_genid_is_new_at_each_start(qemud, vroot):
    path = qemud.call("DomainDefineXML", XML)
    seen = []
    for _ in range(2):
        qemud.domain_call(path, "Create", 0)
        live = qemud.domain_call(path, "GetXMLDesc", 0)
        m = re.search(r"<genid>([0-9a-f-]{36})</genid>", live)
        assert m, live
        assert qmp_genid(qemud, vroot) == m.group(1)
        seen.append(m.group(1))
        assert "<genid/>" in qemud.domain_call(path, "GetXMLDesc", 2)
        qemud.domain_call(path, "Destroy", 0)
    assert seen[0] != seen[1], seen


def test_null_genid_is_refused(qemud):
    with h.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
        qemud.call("DomainDefineXML", XML.replace("<genid/>", "<genid>00000000-0000-0000-0000-000000000000</genid>"))
    assert "expected a non-null UUID" in e.message, e.message
