# SPDX-License-Identifier: LGPL-2.1-or-later
"""Encrypted disks in virtbus-qemud with their passphrases in virtbus-secretd,
on the booted test guest (TCG): a LUKS qcow2 image and a raw LUKS image,
both made with Debian's qemu-img and filled with qemu-io, the first secret
found by UUID (a private one: qemud still gets it), the second by its
volume usage. The guest reads the known blocks through its shell. QEMU's
command line holds neither the passphrase nor the master key; a start whose
secret is missing fails naming the disk and leaves the domain shut off."""

import os
import shutil
import subprocess
import uuid as uuidlib

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, module_env
from test_qemud_device import Console, _shell_ready

env = module_env()

SECRETD = "org.virtbus.secretd"
SECRETD_ROOT = "/org/virtbus/secretd"
PASS1, PASS2 = b"correct horse battery", b"staple-2"
UUID1 = "9b1e6c1a-3a77-4cbb-9d0e-5c3ad2a1f001"


def need_tools():
    for tool in ("qemu-img", "qemu-io"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (Debian's qemu-utils)")


def run(*argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{' '.join(argv)}: {r.stdout}{r.stderr}"


def create_luks(*args):
    """qemu-img create of a LUKS image. QEMU 7.2 times its PBKDF2 with the
    thread's CPU clock, whose tick is coarse: when its first batch of
    iterations ends inside one tick it gives up ("Unable to get accurate CPU
    usage"), more often on a fast idle CPU. Another try measures again."""
    for _ in range(5):
        p = subprocess.run(("qemu-img", "create", "-q") + args, capture_output=True, text=True, timeout=120)
        if p.returncode == 0 or "accurate CPU usage" not in p.stderr:
            break
    assert p.returncode == 0, f"qemu-img create {' '.join(args)}: {p.stderr}"


def make_luks(path, fmt, passphrase, byte):
    """A 16 MiB LUKS image (qcow2 with encrypt.format=luks, or raw luks)
    whose first 4 KiB are `byte`."""
    sec = f"secret,id=sec0,data={passphrase.decode()}"
    if fmt == "qcow2":
        create_luks("-f", "qcow2", "--object", sec, "-o", "encrypt.format=luks,encrypt.key-secret=sec0",
                    str(path), "16M")
        opts = f"driver=qcow2,file.filename={path},encrypt.key-secret=sec0"
    else:
        create_luks("-f", "luks", "--object", sec, "-o", "key-secret=sec0", str(path), "16M")
        opts = f"driver=luks,file.filename={path},key-secret=sec0"
    run("qemu-io", "--object", sec, "--image-opts", opts, "-c", f"write -P {byte:#x} 0 4k")


def define_secret(env, xml, value):
    path = env.bus.call(SECRETD, SECRETD_ROOT, "org.libvirt.Connect", "SecretDefineXML", xml, 0,
                        signature="su")
    env.bus.call(SECRETD, path, "org.libvirt.Secret", "SetValue", dbus.ByteArray(value), 0, signature="ayu")
    return path


def luks_disk(dev, path, fmt, secret_attr):
    return (f"<disk type='file' device='disk'><driver name='qemu' type='{fmt}'/>"
            f"<source file='{path}'><encryption format='luks'>"
            f"<secret type='passphrase' {secret_attr}/></encryption></source>"
            f"<target dev='{dev}' bus='virtio'/></disk>")


@pytest.fixture(scope="module")
def luks(env):
    """The guest booted with two LUKS disks and its console."""
    need_tools()
    files = env.root / "luks"
    files.mkdir()
    qcow, raw = files / "a.qcow2", files / "b.luks"
    make_luks(qcow, "qcow2", PASS1, 0x5a)
    make_luks(raw, "raw", PASS2, 0x4b)
    define_secret(env, f"<secret private='yes'><uuid>{UUID1}</uuid><usage type='volume'>"
                       f"<volume>{qcow}</volume></usage></secret>", PASS1)
    define_secret(env, f"<secret><usage type='volume'><volume>{raw}</volume></usage></secret>", PASS2)
    console = env.root / "luks-console.sock"
    extra = (luks_disk("vda", qcow, "qcow2", f"uuid='{UUID1}'") + luks_disk("vdb", raw, "raw", f"usage='{raw}'")
             + f"""
    <serial type='unix'>
      <source mode='bind' path='{console}'/>
      <target port='0'/>
    </serial>""")
    xml = h.guest_domain_xml(env.guest, "luks1", nic=None, extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp")
    g = Guest(env, env.call("DomainDefineXML", xml), "luks1")
    g.call("Create", 0)
    con = Console(console).connect()
    try:
        h.wait_until(lambda: _shell_ready(con), 150, 1, "a shell on the guest's console")
    except TimeoutError as e:
        raise AssertionError(f"{e}; console ends with:\n"
                             f"{con.text()[-3000:].decode(errors='replace')}") from None
    yield g, con, qcow, raw
    con.close()
    try:
        g.call("Destroy", 0)
    except dbus.exceptions.DBusException:
        pass


def test_guest_reads_its_luks_disks(env, luks):
    g, con, _, _ = luks
    out = con.run("dd if=/dev/vda bs=16 count=1 2>/dev/null; echo; dd if=/dev/vdb bs=16 count=1 2>/dev/null")
    assert b"Z" * 16 in out, out[-500:]
    assert b"K" * 16 in out, out[-500:]


def test_no_secret_on_the_command_line(env, luks):
    g = luks[0]
    argv = open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")
    joined = b" ".join(argv)
    assert PASS1 not in joined and PASS2 not in joined
    objects = [a for a in argv if b'"qom-type":"secret"' in a]
    assert any(b'"id":"masterKey0"' in a and b'"file"' in a for a in objects), objects
    assert sum(b'"keyid":"masterKey0"' in a and b'"iv"' in a for a in objects) == 2, objects
    key = next(a for a in objects if b'"id":"masterKey0"' in a).split(b'"file":"')[1].split(b'"')[0]
    st = os.stat(key)
    assert st.st_mode & 0o777 == 0o600 and st.st_size == 32
    # the definition keeps where each <encryption> was given
    xml = g.call("GetXMLDesc", 0)
    assert f"<secret type='passphrase' uuid='{UUID1}'/>" in xml
    assert "<source file=" in xml and "</encryption>\n      </source>" in xml


def test_missing_secret_fails_the_start_naming_it(env):
    need_tools()
    files = env.root / "luks-missing"
    files.mkdir()
    img = files / "c.qcow2"
    make_luks(img, "qcow2", PASS1, 0x11)
    missing = str(uuidlib.uuid4())
    xml = h.guest_domain_xml(env.guest, "luks2", nic=None, domain_type="qemu",
                             extra_devices=luks_disk("vdb", img, "qcow2", f"uuid='{missing}'"))
    g = Guest(env, env.call("DomainDefineXML", xml), "luks2")
    with pytest.raises(dbus.exceptions.DBusException) as e:
        g.call("Create", 0)
    assert h.dbus_error_name(e.value) == "org.virtbus.Error.NoSecret", e.value
    assert "disk 'vdb'" in str(e.value) and missing in str(e.value)
    assert g.call("GetState", 0)[0] == 5  # shut off
    g.call("Undefine", 0)
