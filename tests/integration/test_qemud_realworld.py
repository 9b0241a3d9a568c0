# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real-world domain documents (tests/data/realworld/) through virtbus-qemud.

Each document, as its tool writes it but with domain type 'qemu' (this kind of
host may have no KVM, and libvirt refuses type 'kvm' without it too), is
defined through D-Bus (DomainDefineXML): its GetXMLDesc must validate against
libvirt's domain.rng and survive a second define byte-identical. The refusals
named in known-gaps.txt are qemud's known gaps (libvirt 9.0 takes those
documents) and are skipped with the reason.

Then each is started paused (-S) with the real QEMU, TCG, and destroyed. To run
here a document is given this host's things in place of the tool's: its disks
become small images in the test's directory (same format), its interfaces
user networking (same model and MAC), its sockets, logs, shared directory and
NVRAM are put in the test's directory, a client socket gets a listener, a
direct kernel boot gets the test guest's kernel, host-passthrough (KVM's)
becomes mode 'maximum' (TCG's) and the Hyper-V vpindex enlightenment (which
QEMU's TCG refuses; it takes the others) is left out: the start of the
document as written is refused first, each time by qemud's start rules
naming what needs KVM, leaving it defined and shut off. What the host cannot
give (host PCI devices, hugepages, a vhost-user switch, a sanlock lease,
SPICE TLS certificates, host input devices) is a skip that says so.
"""

import copy
import re
import socket
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import virtbus_harness as h
from test_qemud_common import dbus_error, module_env, xmllint_relaxng
from virtbus_harness import DomainState as S

env = module_env()

CORPUS = Path(__file__).resolve().parents[1] / "data" / "realworld"
DOCS = sorted(p.stem for p in CORPUS.glob("*.xml"))
START_PAUSED = 1
UNDEFINE_NVRAM = 4


def known_gaps():
    gaps = {}
    for line in (CORPUS / "known-gaps.txt").read_text().splitlines():
        if line and not line.startswith("#") and ":" in line:
            name, why = line.split(":", 1)
            gaps[name.strip()] = why.strip()
    return gaps


def register_namespaces(text):
    """ElementTree must write the tools' namespace prefixes back as they were."""
    for prefix, uri in re.findall(r'xmlns:([\w.-]+)=["\']([^"\']+)["\']', text):
        ET.register_namespace(prefix, uri)


def as_qemu(text):
    """The document with domain type 'qemu' (TCG), else as the tool wrote it."""
    root = ET.fromstring(text)
    root.set("type", "qemu")
    return ET.tostring(root, encoding="unicode")


def what_host_lacks(root):
    """Why this host cannot start the document, or None."""
    dev = root.find("devices")
    if dev.find("hostdev") is not None:
        return "it passes host PCI devices through (no VFIO device here)"
    if root.find("memoryBacking/hugepages") is not None:
        return "its memory is on hugepages (none reserved here)"
    if dev.find("interface[@type='vhostuser']") is not None:
        return "its vhost-user interface needs a switch (OVS-DPDK) on the socket"
    if dev.find("lease") is not None:
        return "its <lease> needs a sanlock lockspace on shared storage"
    if dev.find("input[@type='evdev']") is not None:
        return "it grabs host input devices (evdev)"
    if dev.find("graphics/channel[@mode='secure']") is not None:
        return "its SPICE channels need TLS certificates"
    return None


class Runnable:
    """A copy of a document with this host's things in place of the tool's
    (see the module's doc); the listeners it needs stay open until close()."""

    def __init__(self, root, guest, work):
        self.root = copy.deepcopy(root)
        self.guest = guest
        self.work = Path(work)
        self.n = 0
        self.listeners = []
        dev = self.root.find("devices")
        emu = dev.find("emulator")
        if emu is None:
            emu = ET.SubElement(dev, "emulator")
        emu.text = h.QEMU
        self._os()
        for d in dev.findall("disk"):
            self._disk(d)
        for n in dev.findall("interface"):
            dev.insert(list(dev).index(n), self._user_nic(n))
            dev.remove(n)
        for c in dev.findall("*/source[@mode]/.."):
            self._socket(c)
        for log in dev.iter("log"):
            log.set("file", self._path("log"))
        for s in dev.findall("serial[@type='file']/source"):
            s.set("path", self._path("serial-file"))
        for fs in dev.findall("filesystem/source[@dir]"):
            d = self.work / f"share{self.n}"
            d.mkdir(exist_ok=True)
            fs.set("dir", str(d))
        for g in dev.findall("graphics"):
            self._graphics(g)

    def _path(self, what):
        self.n += 1
        return str(self.work / f"{what}{self.n}")

    def _os(self):
        os_ = self.root.find("os")
        if os_.find("kernel") is not None:
            os_.find("kernel").text = str(self.guest.kernel)
            if os_.find("initrd") is not None:
                os_.find("initrd").text = str(self.guest.initrd)
        nv = os_.find("nvram")
        if nv is not None:
            nv.text = self._path("VARS.fd")

    def _disk(self, d):
        src = d.find("source")
        drv = d.find("driver")
        fmt = drv.get("type", "raw") if drv is not None else "raw"
        bs = d.find("backingStore")
        if bs is not None:
            d.remove(bs)
        if src is None or not (src.get("file") or src.get("dev") or src.get("volume")):
            return                                  # an empty cdrom tray
        d.set("type", "file")
        keep = {k: v for k, v in src.attrib.items() if k == "startupPolicy"}
        seclabels = list(src)
        src.attrib.clear()
        src.attrib.update(keep)
        path = self._path(f"disk.{fmt}")
        src.set("file", path)
        for s in seclabels:
            src.append(s)
        size = "1M" if d.get("device") == "cdrom" else "16M"
        subprocess.run(["qemu-img", "create", "-q", "-f", fmt, path, size], check=True)

    @staticmethod
    def _user_nic(n):
        u = ET.Element("interface", {"type": "user"})
        for tag in ("mac", "model", "alias", "rom", "link", "boot", "address"):
            e = n.find(tag)
            if e is not None:
                u.append(copy.deepcopy(e))
        return u

    def _socket(self, c):
        src = c.find("source[@mode]")
        if c.get("type") != "unix" or not src.get("path"):
            return
        path = self._path("sock")
        src.set("path", path)
        if src.get("mode") == "connect":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen(4)
            self.listeners.append(s)

    def _graphics(self, g):
        if g.get("listen"):
            g.set("listen", "127.0.0.1")
        for lis in g.findall("listen"):
            if lis.get("type") == "network":
                lis.attrib.clear()
                lis.attrib.update({"type": "address", "address": "127.0.0.1"})
            elif lis.get("type") == "socket":
                lis.set("socket", self._path("vnc"))
            elif lis.get("type") == "address" and lis.get("address"):
                lis.set("address", "127.0.0.1")

    def host_passthrough(self):
        cpu = self.root.find("cpu")
        return cpu is not None and cpu.get("mode") == "host-passthrough"

    def cpu_maximum(self):
        """KVM's host-passthrough becomes TCG's 'maximum'."""
        cpu = self.root.find("cpu")
        cpu.set("mode", "maximum")
        for a in ("check", "migratable"):
            cpu.attrib.pop(a, None)

    def hyperv_vpindex(self):
        return self.root.find("features/hyperv/vpindex[@state='on']") is not None

    def no_vpindex(self):
        """The Hyper-V enlightenment QEMU's TCG refuses is left out."""
        hv = self.root.find("features/hyperv")
        hv.remove(hv.find("vpindex"))

    def kvm_only(self):
        """(what needs KVM, the words of qemud's refusal, TCG's stand-in) for
        what libvirt 9.0 defines and does not start on TCG."""
        return [(what, words, tcg) for needs, what, words, tcg in (
            (self.host_passthrough, "host-passthrough", ("host-passthrough", "not supported by hypervisor"),
             self.cpu_maximum),
            (self.hyperv_vpindex, "Hyper-V vpindex", ("Hyper-V enlightenment 'vpindex'", "<domain type='kvm'>"),
             self.no_vpindex)) if needs()]

    def xml(self):
        return ET.tostring(self.root, encoding="unicode")

    def close(self):
        for s in self.listeners:
            s.close()


def round_trip(env, xml, what):
    """Defines xml; its GetXMLDesc validates and a second define keeps it
    byte-identical. Returns (path, saved xml)."""
    path = env.call("DomainDefineXML", xml)
    saved = env.dcall(path, "GetXMLDesc", 0)
    xmllint_relaxng(saved, "domain", what)
    again = env.call("DomainDefineXML", saved)
    assert again == path
    assert env.dcall(path, "GetXMLDesc", 0) == saved, f"{what}: the second define changed the document"
    return path, saved


@pytest.fixture(scope="module")
def report():
    """Prints the counts at the module's end, as the unit test does."""
    seen = {"documents": 0, "accepted": 0, "started": 0, "skipped": [], "refused": []}
    yield seen
    print(f"\nrealworld: {seen['documents']} documents, {seen['accepted']} accepted, "
          f"{seen['started']} started paused")
    for name, why in seen["skipped"]:
        print(f"realworld: {name}: {why}")
    refused = {}
    for name, what in seen["refused"]:
        refused.setdefault(what, []).append(name)
    for what, names in refused.items():
        print(f"realworld: the start as written refused ({what} needs KVM), then TCG's stand-in: {', '.join(names)}")


@pytest.mark.parametrize("name", DOCS)
def test_define_and_start(env, guest, tmp_path, report, name):
    text = (CORPUS / f"{name}.xml").read_text()
    register_namespaces(text)
    report["documents"] += 1
    gaps = known_gaps()
    if name in gaps:
        with pytest.raises(Exception) as e:
            env.call("DomainDefineXML", as_qemu(text))
        report["skipped"].append((name, f"refused (known gap): {gaps[name]}"))
        pytest.skip(f"{name} is refused, a known gap: {gaps[name]}; qemud said: {e.value}")

    # as the tool wrote it (but TCG)
    path, saved = round_trip(env, as_qemu(text), name)
    report["accepted"] += 1
    env.dcall(path, "Undefine", UNDEFINE_NVRAM)

    root = ET.fromstring(as_qemu(text))
    lacks = what_host_lacks(root)
    if lacks:
        report["skipped"].append((name, f"not started: {lacks}"))
        pytest.skip(f"{name} is not started: {lacks}")
    run = Runnable(root, guest, tmp_path)
    try:
        for what, words, tcg in run.kvm_only():
            # libvirt 9.0 defines it and its start on TCG fails; qemud's
            # start rules refuse it before QEMU runs
            path = env.call("DomainDefineXML", run.xml())
            before = env.dcall(path, "GetXMLDesc", 2)
            with dbus_error("NotSupported", *words):
                env.dcall(path, "Create", START_PAUSED)
            assert env.state(path)[0] == S.SHUTOFF
            assert env.dcall(path, "GetXMLDesc", 2) == before
            env.dcall(path, "Undefine", UNDEFINE_NVRAM)
            report["refused"].append((name, what))
            tcg()
        path, _ = round_trip(env, run.xml(), f"{name} (made runnable here)")
        try:
            env.dcall(path, "Create", START_PAUSED)
            assert env.state(path)[0] == S.PAUSED
            xmllint_relaxng(env.dcall(path, "GetXMLDesc", 0), "domain", f"{name}: the live XML")
            report["started"] += 1
        finally:
            if env.state(path)[0] != S.SHUTOFF:
                env.dcall(path, "Destroy", 0)
            env.dcall(path, "Undefine", UNDEFINE_NVRAM)
    finally:
        run.close()
