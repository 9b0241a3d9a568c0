# SPDX-License-Identifier: LGPL-2.1-or-later
"""libvirt's define-time rules (qemud/qemu-rules.c) through the bus:
DomainDefineXML and DomainCreateXML refuse a definition that breaks one,
with libvirt's error kind and message and nothing defined; a definition saved
before the rule came (in the config folder) is still loaded when qemud
starts, as libvirt loads its saved definitions unvalidated. What libvirt's
define takes and its start refuses is refused at the start."""

import signal

import pytest

from test_qemud_common import _env_logs, module_env, dbus_error, new_uuid  # noqa: F401
from virtbus_harness import DomainState as S

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
    # libvirt's qemuDomainNetSupportsMTU: by the interface's type, not its model
    doc = env.guest_xml("rules-c", uuid=new_uuid()).replace("<model type='virtio'/>",
                                                            "<model type='virtio'/><mtu size='1400'/>", 1)
    args = (doc,) if method == "DomainDefineXML" else (doc, 0)
    with dbus_error("NotSupported", "setting MTU on interface type user without passt is not supported"):
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


# What libvirt's define takes and its start refuses: kept at define, refused
# at the start naming why, the guest left shut off and its definition as it was.
START_RULES = [
    ("cpu", "<cpu mode='host-passthrough'/>", "CPU mode 'host-passthrough' for x86_64 qemu domain is not supported"),
    ("hugepages", "<memoryBacking><hugepages><page size='5' unit='MiB'/></hugepages></memoryBacking>",
     "hugepage size 5120 KiB does not exist on x86"),
    # a device: before </devices>
    ("filterref", "<interface type='ethernet'><filterref filter='clean-traffic'/></interface>\n</devices>",
     "references the network filter 'clean-traffic' (<filterref>)"),
]


@pytest.mark.parametrize("case,element,words", START_RULES, ids=[c[0] for c in START_RULES])
def test_rules_refuse_at_start(env, case, element, words):
    doc = env.guest_xml(f"rules-start-{case}", uuid=new_uuid())
    assert "<cpu" not in doc and "<memoryBacking" not in doc
    doc = doc.replace("</devices>", element if element.endswith("</devices>") else f"</devices>\n  {element}", 1)
    path = env.call("DomainDefineXML", doc)
    try:
        before = env.dcall(path, "GetXMLDesc", 2)
        with dbus_error("NotSupported", words):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == S.SHUTOFF
        assert env.dcall(path, "GetXMLDesc", 2) == before
    finally:
        env.dcall(path, "Undefine", 0)


# What QEMU 7.2's TCG takes of <hyperv>: all but vpindex, which it refuses
# itself ("kernel doesn't allow setting HyperV VP_INDEX").
HYPERV_TCG = ("<relaxed state='on'/><vapic state='on'/><spinlocks state='on' retries='8191'/>"
              "<runtime state='on'/><synic state='on'/><stimer state='on'/><frequencies state='on'/>"
              "<tlbflush state='on'/><ipi state='on'/><reset state='on'/>")


def test_hyperv_vpindex_refused_at_start_on_tcg(env):
    """Defined as libvirt defines it; the start on TCG is refused before
    QEMU runs, naming vpindex and KVM, the guest shut off and its definition
    as it was. Without vpindex the same guest starts, QEMU given the rest."""
    doc = env.guest_xml("rules-hyperv", uuid=new_uuid())
    assert "<acpi/>" in doc and "<hyperv" not in doc
    path = env.call("DomainDefineXML", doc.replace(
        "<acpi/>", f"<acpi/><hyperv mode='custom'>{HYPERV_TCG}<vpindex state='on'/></hyperv>", 1))
    try:
        before = env.dcall(path, "GetXMLDesc", 2)
        assert "<vpindex state='on'/>" in before
        with dbus_error("NotSupported", "Hyper-V enlightenment 'vpindex'", "<domain type='kvm'>"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == S.SHUTOFF
        assert env.dcall(path, "GetXMLDesc", 2) == before
        assert env.call("DomainDefineXML", before.replace("<vpindex state='on'/>", "")) == path
        env.dcall(path, "Create", 1)                      # paused: QEMU took the CPU
        try:
            assert env.state(path)[0] == S.PAUSED
            live = env.dcall(path, "GetXMLDesc", 0)
            assert "<synic state='on'/>" in live and "vpindex" not in live
        finally:
            env.dcall(path, "Destroy", 0)
    finally:
        env.dcall(path, "Undefine", 0)
