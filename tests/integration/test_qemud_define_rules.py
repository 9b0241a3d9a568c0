# SPDX-License-Identifier: LGPL-2.1-or-later
"""libvirt's define-time rules (qemud/qemu-rules.c) through the bus:
DomainDefineXML and DomainCreateXML refuse a definition that breaks one,
with libvirt's error kind and message and nothing defined; a definition saved
before the rule came (in the config folder) is still loaded when qemud
starts, as libvirt loads its saved definitions unvalidated."""

import signal

import pytest

from test_qemud_common import _env_logs, module_env, dbus_error, new_uuid  # noqa: F401

pytestmark = pytest.mark.timeout(120)

env = module_env()

HOTPLUG_NO_NUMA = "<maxMemory slots='2' unit='MiB'>1024</maxMemory>"


def with_top(doc, element):
    return doc.replace("</name>", f"</name>\n  {element}", 1)


def with_device(doc, device):
    return doc.replace("</devices>", f"    {device}\n  </devices>")


@pytest.mark.parametrize("method", ["DomainDefineXML", "DomainCreateXML"])
def test_rules_refuse_at_define(env, method):
    before = env.list_domains()
    doc = with_top(env.guest_xml("rules-a", uuid=new_uuid()), HOTPLUG_NO_NUMA)
    args = (doc,) if method == "DomainDefineXML" else (doc, 0)
    with dbus_error("NotSupported", "At least one numa node has to be configured", "memory hotplug"):
        env.call(method, *args)
    doc = with_device(env.guest_xml("rules-b", uuid=new_uuid()),
                      "<controller type='pci' index='0' model='pci-root'/>")
    args = (doc,) if method == "DomainDefineXML" else (doc, 0)
    with dbus_error("XMLError", "must be model='pcie-root'", "model='pci-root' was found instead"):
        env.call(method, *args)
    assert env.list_domains() == before


def test_saved_definition_breaking_a_rule_still_loads(env):
    name, uuid = "rules-old", new_uuid()
    doc = with_top(env.guest_xml(name, uuid=uuid), HOTPLUG_NO_NUMA)
    rc = env.qemud.kill(signal.SIGTERM)
    assert rc in (0, -signal.SIGTERM), f"virtbus-qemud exited with {rc}"
    (env.conf_dir / f"{name}.xml").write_text(doc)
    env.qemud.start()
    path = env.call("DomainLookupByName", name)
    assert path in env.list_domains()
    inactive = env.dcall(path, "GetXMLDesc", 2)
    assert "<maxMemory slots='2' unit='KiB'>1048576</maxMemory>" in inactive, inactive
    assert f"<uuid>{uuid}</uuid>" in inactive, inactive
    env.dcall(path, "Undefine", 0)
