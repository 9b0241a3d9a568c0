# SPDX-License-Identifier: LGPL-2.1-or-later
"""Device addresses assigned at define time (qemud/qemu-address.c).

A domain defined with a disk, an interface and an rng and no addresses comes
back from GetXMLDesc(inactive) with all their addresses and a controller for
each bus, valid under libvirt's domain.rng; defined again from that output,
the XML is identical; started, QEMU's query-pci has every device exactly
where the definition says. The guest need not boot: KVM when the host has
it (else TCG), and the check is done while the firmware may still run.

QEMU's monitor is qemud's: as test_qemud_restart does, the test stops qemud
(SIGKILL), asks QEMU itself over the freed monitor socket, and starts qemud
again, which finds the guest running.
"""

import re
import signal
import subprocess
import xml.etree.ElementTree as ET

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from test_qemud_common import module_env, xmllint_relaxng

env = module_env()

XML_INACTIVE = 2
RNG = ("    <rng model='virtio'>\n"
       "      <backend model='random'>/dev/urandom</backend>\n"
       "    </rng>")


def domain_type():
    if h.kvm_available():
        return "kvm"
    print("KVM is not usable here: the guests run under TCG")
    return "qemu"


def guest_xml(env, name, machine):
    disk = env.root / f"{name}.raw"
    subprocess.run(["truncate", "-s", "4M", str(disk)], check=True)
    return env.guest_xml(name, machine=machine, domain_type=domain_type(), disks=[str(disk)],
                         extra_devices=RNG)


def pci_addr(el):
    a = el.find("address")
    if a is None or a.get("type") != "pci":
        return None
    return tuple(int(a.get(k), 16) for k in ("bus", "slot", "function"))


def devices(doc, *tags):
    return [el for tag in tags for el in doc.find("devices").findall(tag)]


def check_inactive(xml, machine):
    """Every disk, interface and rng has a PCI address; each bus they (and
    the controllers) name is a PCI controller of the definition."""
    doc = ET.fromstring(xml)
    pci = {int(c.get("index")): c for c in devices(doc, "controller") if c.get("type") == "pci"}
    root_model = "pcie-root" if machine == "q35" else "pci-root"
    assert 0 in pci and pci[0].get("model") == root_model, xml
    assert not doc.findall(".//alias"), "aliases are live only (as in libvirt)"
    for el in devices(doc, "disk", "interface", "rng", "controller"):
        if el.tag == "controller" and el.get("type") == "pci" and el.get("index") == "0":
            continue
        a = pci_addr(el)
        if el.tag != "controller":
            assert a is not None, f"no PCI address on <{el.tag}> in:\n{xml}"
        if a is None:
            continue
        assert a[0] in pci, f"<{el.tag}> on PCI bus {a[0]} without its controller:\n{xml}"
        if a[0] > 0:
            assert pci[a[0]].get("model") == "pcie-root-port" and a[1] == 0, xml
    if machine == "q35":
        sata = [c for c in devices(doc, "controller") if c.get("type") == "sata"]
        assert sata and pci_addr(sata[0]) == (0, 0x1F, 2), xml
        # the three PCIe devices are each on a root port of their own
        buses = {pci_addr(el)[0] for el in devices(doc, "disk", "interface", "rng")}
        assert len(buses) == 3 and 0 not in buses, xml
    else:
        assert {pci_addr(el)[0] for el in devices(doc, "disk", "interface", "rng")} == {0}, xml


def query_pci_places(tree):
    """{qdev_id: (parent qdev_id, slot, function)} and the (slot, function)s
    of the root bus, from query-pci (bridges' buses are named by the bridge's
    id: their numbers are the firmware's, not the definition's)."""
    places, root = {}, set()

    def walk(devs, parent):
        for d in devs:
            if parent is None:
                root.add((d["slot"], d["function"]))
            if d.get("qdev_id"):
                places[d["qdev_id"]] = (parent, d["slot"], d["function"])
            br = d.get("pci_bridge")
            if br:
                walk(br.get("devices", []), d.get("qdev_id") or "?")

    for bus in tree:
        walk(bus["devices"], None)
    return places, root


def numbered(seen, tree):
    seen.append(tree)

    def ok(devs):
        for d in devs:
            br = d.get("pci_bridge")
            if br and (br["bus"]["secondary"] == 0 or not ok(br.get("devices", []))):
                return False
        return True
    return all(ok(bus["devices"]) for bus in tree)


def query_pci(env, name, live_xml):
    """query-pci of the running guest, asked over its monitor (qemud killed
    meanwhile and started again). QEMU lists what is behind a bridge once the
    firmware has numbered its bus and scanned it, in the guest's first
    moments: wait until the devices of live_xml are all there (or time out
    and return the last answer, for check_query_pci to say what differs)."""
    monitor = re.search(r"<monitor path='([^']+)'", env.status_file(name).read_text()).group(1)
    env.qemud.kill(signal.SIGKILL)
    try:
        qmp = h.Qmp(monitor, timeout=20)
        try:
            tree = []
            try:
                h.wait_until(lambda: numbered(tree, qmp.cmd("query-pci")) and agrees(live_xml, tree[-1]),
                             90, 0.2, "the firmware numbering and scanning the PCI buses")
            except TimeoutError:
                pass
            return tree[-1]
        finally:
            qmp.close()
    finally:
        env.qemud.start()


def agrees(live_xml, tree):
    try:
        check_query_pci(live_xml, tree)
        return True
    except AssertionError:
        return False


def check_query_pci(live_xml, tree):
    """Each device of the live XML with a PCI address is there in QEMU, and
    each device QEMU has with an id is where the XML puts it."""
    places, root = query_pci_places(tree)
    doc = ET.fromstring(live_xml)
    want = {}
    for el in doc.find("devices"):
        a = pci_addr(el)
        if a is None:
            continue
        alias = el.find("alias")
        alias = alias.get("name") if alias is not None else None
        parent = None if a[0] == 0 else f"pci.{a[0]}"
        if alias in places:
            want[alias] = (parent, a[1], a[2])
        else:
            # a device of the machine itself (q35's SATA, PIIX3's IDE) has no id
            assert parent is None and (a[1], a[2]) in root, \
                f"<{el.tag}> {alias} at {a} is not in query-pci: {places}, root {sorted(root)}"
    for tag in ("disk", "interface", "rng"):
        for el in doc.find("devices").findall(tag):
            assert el.find("alias").get("name") in want, f"<{tag}> is not in query-pci: {places}"
    got = {k: v for k, v in places.items() if k in want}
    assert got == want, f"query-pci {places} does not match the definition {want}"
    extra = set(places) - set(want)
    assert not extra, f"QEMU has PCI devices the definition does not list: {extra}"


@pytest.mark.parametrize("machine", ["q35", "pc"])
def test_define_assigns_addresses_query_pci_agrees(env, machine):
    name = f"addr-{machine}"
    path = env.call("DomainDefineXML", guest_xml(env, name, machine))
    try:
        inactive = env.dcall(path, "GetXMLDesc", XML_INACTIVE)
        check_inactive(inactive, machine)
        xmllint_relaxng(inactive, "domain", "the inactive XML")

        # defined again from its own output: the same document
        assert env.call("DomainDefineXML", inactive) == path
        assert env.dcall(path, "GetXMLDesc", XML_INACTIVE) == inactive

        env.dcall(path, "Create", 0)
        h.wait_until(lambda: env.state(path)[0] == S.RUNNING, 30, what=f"{name} running")
        live = env.dcall(path, "GetXMLDesc", 0)
        xmllint_relaxng(live, "domain", "the live XML")
        tree = query_pci(env, name, live)
        h.wait_until(lambda: env.state(path)[0] == S.RUNNING, 30,
                     what=f"{name} running, seen by qemud started again")
        check_query_pci(live, tree)
        # the live definition moved nothing
        strip = lambda x: re.sub(r"\s*<alias name='[^']*'/>", "", x)
        for tag in ("disk", "interface", "rng"):
            assert [pci_addr(e) for e in devices(ET.fromstring(strip(live)), tag)] == \
                   [pci_addr(e) for e in devices(ET.fromstring(inactive), tag)]
    finally:
        if env.state(path)[0] != S.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


def test_transient_guest_gets_addresses(env):
    """DomainCreateXML assigns them too: the live XML shows them."""
    name = "addr-transient"
    path = env.call("DomainCreateXML", guest_xml(env, name, "q35"), 0)
    try:
        h.wait_until(lambda: env.state(path)[0] == S.RUNNING, 30, what=f"{name} running")
        live = env.dcall(path, "GetXMLDesc", 0)
        xmllint_relaxng(live, "domain", "the live XML")
        doc = ET.fromstring(live)
        for el in devices(doc, "disk", "interface", "rng"):
            assert pci_addr(el) is not None, live
        assert any(c.get("model") == "pcie-root-port" for c in devices(doc, "controller")), live
    finally:
        env.dcall(path, "Destroy", 0)


def test_given_address_kept_and_clash_refused(env):
    """An address the user gives stays; two devices in one place are refused
    and nothing is defined."""
    name = "addr-given"
    xml = guest_xml(env, name, "q35").replace(
        "<model type='virtio'/>\n    </interface>",
        "<model type='virtio'/>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x07'"
        " function='0x0'/>\n    </interface>")
    assert "slot='0x07'" in xml
    path = env.call("DomainDefineXML", xml)
    try:
        doc = ET.fromstring(env.dcall(path, "GetXMLDesc", XML_INACTIVE))
        assert pci_addr(devices(doc, "interface")[0]) == (0, 7, 0)
    finally:
        env.dcall(path, "Undefine", 0)

    clash = xml.replace("<backend model='random'>/dev/urandom</backend>\n",
                        "<backend model='random'>/dev/urandom</backend>\n      <address type='pci'"
                        " domain='0x0000' bus='0x00' slot='0x07' function='0x0'/>\n")
    before = env.list_domains()
    with pytest.raises(Exception) as e:
        env.call("DomainDefineXML", clash)
    assert "used twice" in str(e.value)
    assert env.list_domains() == before
