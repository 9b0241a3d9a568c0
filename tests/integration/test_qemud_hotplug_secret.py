# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hot-plug and unplug of disks whose passphrase is a secret of
virtbus-secretd (<encryption format='luks'>), on a running QEMU: LUKS qcow2
and raw LUKS images made with Debian's qemu-img, plugged as SCSI disks on a
virtio-scsi controller (QEMU unplugs a SCSI disk at once, so no guest OS
needs to boot: QEMU itself shows what it holds).

DetachDevice of a disk the guest started with names its secret object by id
only (its value was fetched at start, not now) and removes it after the
device and its nodes, as libvirt's qemuDomainRemoveDiskDevice. AttachDevice
asks secretd for the passphrase at plug time, as the start does; a guest
started without secrets gets its master key (masterKey0) then. Plug, unplug,
plug again: QEMU keeps no secret object or node of an unplugged disk. A
missing secret or a wrong passphrase fails the plug naming the disk and
leaves the guest as it was (no object added). qemud SIGKILLed and started
again (it holds the monitor the test reads QEMU through) still knows the
plugged disk and unplugs it. Over D-Bus and with virsh attach-device and
detach-device through virtbus-proxyd."""

import re
import shutil
import subprocess
import uuid as uuidlib

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import qmp_ask, Guest, bare_domain, dbus_error, module_env, xmllint_relaxng

env = module_env()

SECRETD = "org.virtbus.secretd"
SECRETD_ROOT = "/org/virtbus/secretd"
PASS1, PASS2 = b"luks hot-plug one", b"luks-hot-plug-2"
UUID1 = "6f1d7a52-0c8e-4b1a-9e55-3d2b1a0c7e01"
UUID_WRONG = "6f1d7a52-0c8e-4b1a-9e55-3d2b1a0c7e02"
SCSI = "<controller type='scsi' index='0' model='virtio-scsi'/>"


def need_tools():
    for tool in ("qemu-img", "qemu-io"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (Debian's qemu-utils)")


def create_luks(*args):
    """qemu-img create of a LUKS image, tried again when QEMU 7.2's PBKDF2
    timing gives up on a coarse CPU clock (see test_qemud_secrets)."""
    for _ in range(5):
        p = subprocess.run(("qemu-img", "create", "-q") + args, capture_output=True, text=True, timeout=120)
        if p.returncode == 0 or "accurate CPU usage" not in p.stderr:
            break
    assert p.returncode == 0, f"qemu-img create {' '.join(args)}: {p.stderr}"


def make_luks(path, fmt, passphrase):
    sec = f"secret,id=sec0,data={passphrase.decode()}"
    if fmt == "qcow2":
        create_luks("-f", "qcow2", "--object", sec, "-o", "encrypt.format=luks,encrypt.key-secret=sec0",
                    str(path), "8M")
    else:
        create_luks("-f", "luks", "--object", sec, "-o", "key-secret=sec0", str(path), "8M")


def define_secret(env, xml, value):
    path = env.bus.call(SECRETD, SECRETD_ROOT, "org.libvirt.Connect", "SecretDefineXML", xml, 0, signature="su")
    env.bus.call(SECRETD, path, "org.libvirt.Secret", "SetValue", dbus.ByteArray(value), 0, signature="ayu")


def luks_disk(dev, path, fmt, secret_attr):
    return (f"<disk type='file' device='disk'><driver name='qemu' type='{fmt}'/>"
            f"<source file='{path}'><encryption format='luks'>"
            f"<secret type='passphrase' {secret_attr}/></encryption></source>"
            f"<target dev='{dev}' bus='scsi'/></disk>")


@pytest.fixture(scope="module")
def images(env):
    """Two LUKS images and their secrets: a qcow2 one by UUID, a raw one by
    its volume usage."""
    need_tools()
    files = env.root / "hotplug-luks"
    files.mkdir()
    qcow, raw = files / "a.qcow2", files / "b.luks"
    make_luks(qcow, "qcow2", PASS1)
    make_luks(raw, "raw", PASS2)
    define_secret(env, f"<secret><uuid>{UUID1}</uuid><usage type='volume'><volume>{qcow}</volume></usage>"
                       "</secret>", PASS1)
    define_secret(env, f"<secret><usage type='volume'><volume>{raw}</volume></usage></secret>", PASS2)
    define_secret(env, f"<secret><uuid>{UUID_WRONG}</uuid><usage type='volume'><volume>{files}/none</volume>"
                       "</usage></secret>", b"not the passphrase")
    return {"sdb": luks_disk("sdb", qcow, "qcow2", f"uuid='{UUID1}'"),
            "sdc": luks_disk("sdc", raw, "raw", f"usage='{raw}'")}


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    h.register_log("virtbus-proxyd", p.log_path)
    yield p
    p.stop()



def qemu_state(env, name):
    """(the ids of QEMU's secret objects, the block node names of its SCSI disks)"""
    objs, nodes = qmp_ask(env, name, ("qom-list", {"path": "/objects"}), "query-named-block-nodes")
    return (sorted(o["name"] for o in objs if o["type"] == "child<secret>"),
            sorted(n["node-name"] for n in nodes if n["node-name"].startswith("scsi")))


def start(env, name, devices):
    """A guest with a plain virtio disk besides: the only disk of a running
    guest, holding its lease, cannot be unplugged."""
    base = env.root / f"{name}.img"
    base.write_bytes(b"\0" * (1 << 20))
    vda = (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{base}'/>"
           "<target dev='vda' bus='virtio'/></disk>")
    g = Guest(env, env.call("DomainDefineXML", bare_domain(name, SCSI + vda + devices)), name)
    g.call("Create", 0)
    return g


def stop(g):
    try:
        g.call("Destroy", 0)
    except dbus.exceptions.DBusException:
        pass
    g.call("Undefine", 0)


def live_disks(g):
    return re.findall(r"<target dev='(sd[a-z])'", g.call("GetXMLDesc", 0))


def aliases(g):
    """{target: alias} of the live disks"""
    xml = g.call("GetXMLDesc", 0)
    return dict(re.findall(r"<target dev='(sd[a-z])'[^>]*/>.*?<alias name='([^']+)'/>", xml, re.S))


def secret_ids(*aliases_):
    return sorted(["masterKey0"] + [f"{a}-encryption-secret0" for a in aliases_])


def test_detach_of_a_disk_started_with_its_secret(env, images):
    """The unplug names the start's secret object by id and removes it."""
    g = start(env, "hpsec-detach", images["sdb"] + images["sdc"])
    try:
        a = aliases(g)
        secrets, nodes = qemu_state(env, "hpsec-detach")
        assert secrets == secret_ids(a["sdb"], a["sdc"]), secrets
        assert [n for n in nodes if n.startswith(a["sdb"] + "-")], nodes
        g.call("DetachDevice", images["sdb"], 1)
        assert live_disks(g) == ["sdc"]
        secrets, nodes = qemu_state(env, "hpsec-detach")
        assert secrets == secret_ids(a["sdc"]), secrets
        assert not [n for n in nodes if n.startswith(a["sdb"] + "-")], nodes
        g.call("DetachDevice", images["sdc"], 1)
        secrets, nodes = qemu_state(env, "hpsec-detach")
        assert secrets == ["masterKey0"] and not nodes, (secrets, nodes)
        xmllint_relaxng(g.call("GetXMLDesc", 0), "domain", "GetXMLDesc")
    finally:
        stop(g)


def test_plug_unplug_plug_leaves_nothing_behind(env, images, proxy, tmp_path):
    """A guest started without secrets: the first plug adds the master key,
    each unplug takes the disk's secret object and nodes; qemud SIGKILLed
    between plug and unplug still knows the disk."""
    g = start(env, "hpsec-plug", "")
    try:
        assert qemu_state(env, "hpsec-plug") == ([], [])
        for round_ in range(2):
            g.call("AttachDevice", images["sdc"], 1)
            a = aliases(g)
            assert list(a) == ["sdc"]
            secrets, nodes = qemu_state(env, "hpsec-plug")   # qemud restarted
            assert secrets == secret_ids(a["sdc"]), (round_, secrets)
            assert [n for n in nodes if n.startswith(a["sdc"] + "-")], nodes
            assert aliases(g) == a
            g.call("DetachDevice", images["sdc"], 1)
            assert live_disks(g) == []
            assert qemu_state(env, "hpsec-plug") == (["masterKey0"], []), round_
        # with virsh through the proxy: the qcow2 one, by UUID
        f = tmp_path / "sdb.xml"
        f.write_text(images["sdb"])
        proxy.virsh("attach-device", "hpsec-plug", f, "--live")
        assert "sdb" in proxy.virsh("domblklist", "hpsec-plug").stdout
        proxy.virsh("detach-device", "hpsec-plug", f, "--live")
        assert "sdb" not in proxy.virsh("domblklist", "hpsec-plug").stdout
        assert qemu_state(env, "hpsec-plug") == (["masterKey0"], [])
    finally:
        stop(g)


def test_failed_plugs_leave_the_guest_as_it_was(env, images):
    """No such secret: named, nothing sent. A wrong passphrase: QEMU's
    blockdev-add fails, the secret object and the master key the plug added
    are taken back."""
    g = start(env, "hpsec-fail", "")
    try:
        before = g.call("GetXMLDesc", 0)
        missing = str(uuidlib.uuid4())
        with dbus_error("NoSecret", "disk 'sdd'", missing):
            g.call("AttachDevice", images["sdb"].replace("sdb", "sdd").replace(UUID1, missing), 1)
        assert g.call("GetXMLDesc", 0) == before
        wrong = images["sdb"].replace(UUID1, UUID_WRONG)
        with dbus_error("OperationFailed", "disk 'sdb'") as e:
            g.call("AttachDevice", wrong, 1)
        print(f"\nwrong passphrase: {e.message}")
        assert g.call("GetXMLDesc", 0) == before
        assert qemu_state(env, "hpsec-fail") == ([], [])
        # the master key file the plug wrote went with its object
        keys = list((env.root / "run" / "virtbus" / "qemu").glob("domain-*-hpsec-fail/master-key.aes"))
        assert keys == [], keys
        # and the right one plugs after all
        g.call("AttachDevice", images["sdb"], 1)
        assert qemu_state(env, "hpsec-fail")[0] == secret_ids(aliases(g)["sdb"])
    finally:
        stop(g)
