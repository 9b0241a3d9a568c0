# SPDX-License-Identifier: LGPL-2.1-or-later
"""storaged creates encrypted volumes as libvirt does: <target><encryption
format='luks'><secret type='passphrase' uuid=|usage=/></encryption> makes a
raw volume in QEMU's 'luks' format, a qcow2 one with encrypt.format=luks,
with the passphrase fetched from secretd and given to qemu-img in a 0600
file (never on its command line). A missing secret, or one that is not a
volume secret, is refused naming it, with nothing made. The volume's XML
keeps its encryption (and its secret) after storaged is SIGKILLed and
started again, and a passphrase file left by a job killed with storaged is
removed when it starts. The same through virsh vol-create against the
proxy."""

import json
import xml.etree.ElementTree as ET
import shutil
import signal
import subprocess

import dbus
import pytest

import virtbus_harness as h
from test_storaged_common import ERR, Storaged, vol_xml
from virtbus_harness import expect_dbus_error

SECRETD = "org.virtbus.secretd"
SECRETD_ROOT = "/org/virtbus/secretd"
UUID_VOL = "5d3c0a4e-8c61-4f0e-9a1e-1f2b3c4d5e01"
UUID_CEPH = "5d3c0a4e-8c61-4f0e-9a1e-1f2b3c4d5e02"
UUID_NONE = "5d3c0a4e-8c61-4f0e-9a1e-1f2b3c4d5e03"
PASS = b"open sesame 42"
MiB = 1 << 20


def enc(attr):
    return f"<encryption format='luks'><secret type='passphrase' {attr}/></encryption>"


def vol_enc(xml):
    """(format, encryption format, secret attributes) of a volume's XML."""
    t = ET.fromstring(xml).find("target")
    e = t.find("encryption")
    sec = e.find("secret") if e is not None else None
    return (t.find("format").get("type"), e.get("format") if e is not None else None,
            dict(sec.attrib) if sec is not None else None)


def define_secret(bus, xml, value):
    path = bus.call(SECRETD, SECRETD_ROOT, "org.libvirt.Connect", "SecretDefineXML", xml, 0, signature="su")
    bus.call(SECRETD, path, "org.libvirt.Secret", "SetValue", dbus.ByteArray(value), 0, signature="ayu")


def img_info(path):
    out = subprocess.run(["qemu-img", "info", "-U", "--output=json", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def qemu_io_read(path, fmt, passphrase):
    """Opens the image with the passphrase and reads its first block: a
    wrong key or a non-LUKS image fails."""
    sec = f"secret,id=s0,data={passphrase.decode()}"
    opts = (f"driver=qcow2,file.filename={path},encrypt.key-secret=s0" if fmt == "qcow2"
            else f"driver=luks,file.filename={path},key-secret=s0")
    return subprocess.run(["qemu-io", "--object", sec, "--image-opts", opts, "-c", "read 0 4k"],
                          capture_output=True, text=True)


@pytest.fixture
def env(daemon, bus, bus_monitor, vroot):
    for tool in ("qemu-img", "qemu-io"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (Debian's qemu-utils)")
    daemon("secretd")
    s = Storaged(daemon("storaged"), bus, bus_monitor)
    define_secret(bus, f"<secret private='yes'><uuid>{UUID_VOL}</uuid><usage type='volume'>"
                       f"<volume>/any/disk</volume></usage></secret>", PASS)
    define_secret(bus, f"<secret><uuid>{UUID_CEPH}</uuid><usage type='ceph'><name>c</name></usage></secret>",
                  b"ceph-key")
    define_secret(bus, "<secret><usage type='volume'><volume>/by/usage</volume></usage></secret>", PASS)
    s.target = vroot / "encpool"
    s.pool_path = s.start_dir_pool("enc", s.target)
    return s


def test_create_raw_and_qcow2_luks_volumes(env, vroot):
    s = env
    raw = s.create_vol(s.pool_path, vol_xml("a.raw", 8 * MiB, "raw", extra_target=enc(f"uuid='{UUID_VOL}'")))
    qcow = s.create_vol(s.pool_path, vol_xml("b.qcow2", 8 * MiB, "qcow2", extra_target=enc("usage='/by/usage'")))
    info = img_info(s.target / "a.raw")
    assert info["format"] == "luks" and info["virtual-size"] == 8 * MiB
    info = img_info(s.target / "b.qcow2")
    assert info["format"] == "qcow2" and info["encrypted"] is True
    assert info["format-specific"]["data"]["encrypt"]["format"] == "luks"
    assert qemu_io_read(s.target / "a.raw", "raw", PASS).returncode == 0
    assert qemu_io_read(s.target / "b.qcow2", "qcow2", PASS).returncode == 0
    assert qemu_io_read(s.target / "a.raw", "raw", b"wrong").returncode != 0
    assert (s.target / "a.raw").stat().st_mode & 0o777 == 0o600
    # no passphrase file is left in storaged's run directory
    assert list((vroot / "run/virtbus/storage/secrets").iterdir()) == []

    x = s.vol_xml(raw)
    assert vol_enc(x) == ("raw", "luks", {"type": "passphrase", "uuid": UUID_VOL})
    assert "<capacity unit='bytes'>8388608</capacity>" in x
    x = s.vol_xml(qcow)
    assert vol_enc(x) == ("qcow2", "luks", {"type": "passphrase", "usage": "/by/usage"})

    # resizing would need the passphrase: refused, nothing changes
    with expect_dbus_error(ERR + "NotSupported") as e:
        s.vol(raw, "Resize", 16 * MiB, 0)
    assert "'a.raw'" in e.message and img_info(s.target / "a.raw")["virtual-size"] == 8 * MiB
    with expect_dbus_error(ERR + "NotSupported") as e:
        s.vol(qcow, "Wipe", 0, 0)
    assert "'b.qcow2'" in e.message and img_info(s.target / "b.qcow2")["encrypted"] is True
    # a download gets the whole file: its LUKS header and the ciphertext
    size = (s.target / "a.raw").stat().st_size
    with open(vroot / "dl", "wb") as f:
        assert s.download(raw, f.fileno()) == size
    assert (vroot / "dl").read_bytes() == (s.target / "a.raw").read_bytes()

    s.d.kill(signal.SIGKILL)
    # what a job killed with storaged would leave: removed at start
    stale = vroot / "run/virtbus/storage/secrets/vol-stale1"
    stale.write_bytes(PASS)
    s.d.start()
    assert not stale.exists()
    raw = s.pool(s.pool_path, "StorageVolLookupByName", "a.raw")
    qcow = s.pool(s.pool_path, "StorageVolLookupByName", "b.qcow2")
    assert vol_enc(s.vol_xml(raw)) == ("raw", "luks", {"type": "passphrase", "uuid": UUID_VOL})
    assert vol_enc(s.vol_xml(qcow)) == ("qcow2", "luks", {"type": "passphrase", "usage": "/by/usage"})
    # a refresh probes the headers again: still LUKS
    s.pool(s.pool_path, "Refresh", 0)
    raw = s.pool(s.pool_path, "StorageVolLookupByName", "a.raw")
    assert vol_enc(s.vol_xml(raw))[:2] == ("raw", "luks")


def test_bad_secrets_are_refused_naming_them(env):
    s = env
    cases = [
        (enc(f"uuid='{UUID_NONE}'"), ERR + "NoSecret", UUID_NONE),
        (enc(f"uuid='{UUID_CEPH}'"), ERR + "InvalidSecret", UUID_CEPH),
        (enc("usage='/no/such'"), ERR + "NoSecret", "/no/such"),
    ]
    for i, (e, name, what) in enumerate(cases):
        for fmt in ("raw", "qcow2"):
            with expect_dbus_error(name) as err:
                s.create_vol(s.pool_path, vol_xml(f"bad{i}.{fmt}", 8 * MiB, fmt, extra_target=e))
            assert what in err.message and f"'bad{i}.{fmt}'" in err.message
    assert list(s.target.iterdir()) == []
    assert s.pool(s.pool_path, "ListStorageVolumes", 0) == []
    # what cannot be made is refused by the XML checks
    with expect_dbus_error(ERR + "NotSupported"):
        s.create_vol(s.pool_path, vol_xml("q.qcow2", MiB, "qcow2",
                                          extra_target="<encryption format='qcow'><secret type='passphrase' "
                                                       f"uuid='{UUID_VOL}'/></encryption>"))
    with expect_dbus_error(ERR + "XMLError"):
        s.create_vol(s.pool_path, vol_xml("n.raw", MiB, "raw", extra_target="<encryption format='luks'/>"))
    assert list(s.target.iterdir()) == []


def test_virsh_vol_create_encrypted(env, bus, vroot):
    s = env
    proxy = h.Proxy(bus, vroot).start()
    try:
        f = vroot / "vol.xml"
        f.write_text(vol_xml("v.qcow2", 4 * MiB, "qcow2", extra_target=enc(f"uuid='{UUID_VOL}'")))
        proxy.virsh("vol-create", "enc", str(f))
        assert img_info(s.target / "v.qcow2")["encrypted"] is True
        out = proxy.virsh("vol-dumpxml", "--pool", "enc", "v.qcow2").stdout
        assert vol_enc(out) == ("qcow2", "luks", {"type": "passphrase", "uuid": UUID_VOL})
        f.write_text(vol_xml("w.raw", 4 * MiB, "raw", extra_target=enc(f"uuid='{UUID_NONE}'")))
        r = proxy.virsh("vol-create", "enc", str(f), check=False)
        assert r.returncode != 0 and UUID_NONE in r.stderr
        assert not (s.target / "w.raw").exists()
    finally:
        proxy.stop()


def qemu_io_read_pattern(path, fmt, passphrase, offset):
    """Reads 64 KiB at offset through the passphrase, checking QEMU's
    pattern 0x5a there (qemu-io -P)."""
    sec = f"secret,id=s0,data={passphrase.decode()}"
    opts = (f"driver=qcow2,file.filename={path},encrypt.key-secret=s0" if fmt == "qcow2"
            else f"driver=luks,file.filename={path},key-secret=s0")
    return subprocess.run(["qemu-io", "--object", sec, "--image-opts", opts, "-c", f"read -P 0x5a {offset} 64k"],
                          capture_output=True, text=True)


def test_clone_into_encrypted_volumes(env, vroot):
    """CreateXMLFrom with <encryption> on the new volume: made empty with
    the source's size (or the larger one asked), then the source's data
    converted into it through the passphrase, as libvirt does. A reflink
    clone cannot be encrypted, and an encrypted source is refused by name:
    nothing is made either way."""
    s = env
    src = s.target / "plain.raw"
    plain = s.create_vol(s.pool_path, vol_xml("plain.raw", 4 * MiB, "raw"))
    subprocess.run(["qemu-io", "-f", "raw", "-c", "write -P 0x5a 1M 64k", str(src)], check=True,
                   capture_output=True)
    luks = s.pool(s.pool_path, "StorageVolCreateXMLFrom",
                  vol_xml("c.raw", 0, "raw", extra_target=enc(f"uuid='{UUID_VOL}'")).replace(
                      "<capacity unit='bytes'>0</capacity>", ""), str(src), 0)
    qcow = s.pool(s.pool_path, "StorageVolCreateXMLFrom",
                  vol_xml("c.qcow2", 8 * MiB, "qcow2", extra_target=enc("usage='/by/usage'")), str(src), 0)
    assert img_info(s.target / "c.raw")["format"] == "luks"
    assert img_info(s.target / "c.raw")["virtual-size"] == 4 * MiB
    assert img_info(s.target / "c.qcow2")["encrypted"] is True
    assert img_info(s.target / "c.qcow2")["virtual-size"] == 8 * MiB
    for name, fmt in (("c.raw", "raw"), ("c.qcow2", "qcow2")):
        r = qemu_io_read_pattern(s.target / name, fmt, PASS, "1M")
        assert r.returncode == 0 and "Pattern verification failed" not in r.stdout, r.stdout + r.stderr
    assert vol_enc(s.vol_xml(luks)) == ("raw", "luks", {"type": "passphrase", "uuid": UUID_VOL})
    assert vol_enc(s.vol_xml(qcow))[:2] == ("qcow2", "luks")
    assert list((vroot / "run/virtbus/storage/secrets").iterdir()) == []

    with expect_dbus_error(ERR + "InvalidArg") as e:
        s.pool(s.pool_path, "StorageVolCreateXMLFrom",
               vol_xml("r.raw", 4 * MiB, "raw", extra_target=enc(f"uuid='{UUID_VOL}'")), str(src), 2)  # REFLINK
    assert "reflink" in e.message
    with expect_dbus_error(ERR + "NotSupported") as e:
        s.pool(s.pool_path, "StorageVolCreateXMLFrom", vol_xml("d.raw", 4 * MiB, "raw"),
               str(s.target / "c.raw"), 0)
    assert "'c.raw'" in e.message
    assert sorted(p.name for p in s.target.iterdir()) == ["c.qcow2", "c.raw", "plain.raw"]
    assert s.vol(plain, "GetInfo", 0)[1] == 4 * MiB
