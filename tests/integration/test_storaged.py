# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-storaged on a private bus with dir pools: lifecycle and events,
volumes (raw, qcow2, backing chains, clones, resize, wipe), upload and
download, restarts with SIGKILL, bad input, volumes in use, access control."""

import fcntl
import os
import signal
import subprocess
import threading
import time
import uuid as uuidlib

import dbus
import pytest

from test_storaged_common import (CONNECT, ERR, POOL, ROOT, STORAGE1, VOL, VOL1, PoolEvent, Wipe,
                                  allocated, dir_pool_xml, make_sparse_file, read_all, storaged,  # noqa: F401
                                  suffix, validate, vol_xml, wait_job_done)
from virtbus_harness import expect_dbus_error, wait_until

MiB = 1 << 20


def test_dir_pool_lifecycle_and_events(storaged, vroot):
    s = storaged
    target = vroot / "pool-a"
    u = str(uuidlib.uuid4())
    mark = s.mon.mark()
    p = s.connect("StoragePoolDefineXML", dir_pool_xml("a", target, u), 0)
    assert p == f"{ROOT}/storagepool/_" + u.replace("-", "_")
    assert s.connect("StoragePoolLookupByName", "a") == p
    assert s.connect("StoragePoolLookupByUUID", u) == p
    assert (s.prop(p, POOL, "Name"), s.prop(p, POOL, "UUID")) == ("a", u)
    assert (s.prop(p, POOL, "Active"), s.prop(p, POOL, "Persistent")) == (False, True)
    assert s.pool(p, "GetInfo") == (0, 0, 0, 0)
    assert (vroot / "etc/virtbus/storage/a.xml").exists()

    s.pool(p, "Build", 0)
    assert target.is_dir() and (target.stat().st_mode & 0o777) == 0o711
    s.pool(p, "Create", 0)
    state, cap, alloc, avail = s.pool(p, "GetInfo")
    assert state == 2 and cap > 0 and avail > 0 and alloc <= cap
    assert s.prop(p, POOL, "Active") is True
    assert (vroot / "run/virtbus/storage/a.xml").exists()
    xml = s.pool_xml(p)
    assert f"<path>{target}</path>" in xml and f"<capacity unit='bytes'>{cap}</capacity>" in xml
    assert "<capacity" not in s.pool_xml(p, 1)          # INACTIVE: no sizes

    # ListStoragePools flags: 1 inactive, 2 active, 4 persistent, 8 transient, 64 dir, 128 fs
    assert s.connect("ListStoragePools", 0) == [p]
    assert s.connect("ListStoragePools", 2 | 64) == [p]
    assert s.connect("ListStoragePools", 1) == []
    assert s.connect("ListStoragePools", 128) == []

    m = s.mon.mark()
    s.pool(p, "Refresh", 0)
    s.mon.wait_signal("Refresh", POOL, p, since=m)

    s.bus.call("org.virtbus.storaged", p, "org.freedesktop.DBus.Properties", "Set", POOL,
               "Autostart", True, signature="ssv")
    assert s.prop(p, POOL, "Autostart") is True
    assert os.readlink(vroot / "etc/virtbus/storage/autostart/a.xml") == "../a.xml"

    with expect_dbus_error(ERR + "OperationInvalid") as e:
        s.pool(p, "Create", 0)
    assert "'a' is already active" in e.message
    with expect_dbus_error(ERR + "OperationInvalid"):
        s.pool(p, "Undefine")
    with expect_dbus_error(ERR + "OperationInvalid"):
        s.pool(p, "Delete", 0)

    s.pool(p, "Destroy")
    assert s.prop(p, POOL, "Active") is False
    assert not (vroot / "run/virtbus/storage/a.xml").exists()
    with expect_dbus_error(ERR + "OperationInvalid"):
        s.pool(p, "ListStorageVolumes", 0)
    s.pool(p, "Delete", 0)
    assert not target.exists()
    s.pool(p, "Undefine")
    with expect_dbus_error(ERR + "NoStoragePool") as e:
        s.connect("StoragePoolLookupByName", "a")
    assert "'a'" in e.message
    assert not (vroot / "etc/virtbus/storage/a.xml").exists()

    s.wait_pool_event(p, PoolEvent.UNDEFINED, since=mark)
    events = s.pool_events(p, since=mark)
    assert [ev for ev, _ in events] == [PoolEvent.DEFINED, PoolEvent.CREATED, PoolEvent.STARTED,
                                        PoolEvent.STOPPED, PoolEvent.DELETED, PoolEvent.UNDEFINED]
    assert all(detail == 0 for _, detail in events)

    # a transient pool: CreateXML (with build), gone once destroyed
    m = s.mon.mark()
    t = s.connect("StoragePoolCreateXML", dir_pool_xml("t", vroot / "pool-t"), 1)
    assert s.prop(t, POOL, "Persistent") is False and s.prop(t, POOL, "Active") is True
    assert s.connect("ListStoragePools", 8) == [t]
    with expect_dbus_error(ERR + "OperationInvalid"):
        s.bus.call("org.virtbus.storaged", t, "org.freedesktop.DBus.Properties", "Set", POOL,
                   "Autostart", True, signature="ssv")
    s.pool(t, "Destroy")
    assert s.connect("ListStoragePools", 0) == []
    s.wait_pool_event(t, PoolEvent.STOPPED, since=m)
    assert [ev for ev, _ in s.pool_events(t, since=m)] == [PoolEvent.CREATED, PoolEvent.STARTED,
                                                         PoolEvent.STOPPED]


def test_volumes_raw_qcow2_chain_clone_resize(storaged, vroot):
    s = storaged
    target = vroot / "images"
    p = s.start_dir_pool("img", target)

    sparse = s.create_vol(p, vol_xml("sparse.img", 16, allocation=0, unit="MiB"))
    full = s.create_vol(p, vol_xml("full.img", 4, unit="MiB"))      # no <allocation>: all of it
    assert s.vol(sparse, "GetInfo", 0) == (0, 16 * MiB, 0)
    assert s.vol(full, "GetInfo", 0)[2] >= 4 * MiB
    assert (s.prop(sparse, VOL, "Name"), s.prop(sparse, VOL, "Path")) == \
        ("sparse.img", str(target / "sparse.img"))
    assert s.prop(sparse, VOL, "Key") == str(target / "sparse.img")
    assert sparse == f"{ROOT}/storagevol/" + "".join(
        c if c.isascii() and c.isalnum() else f"_{ord(c):02x}" for c in str(target / "sparse.img"))
    assert s.connect("StorageVolLookupByKey", str(target / "sparse.img")) == sparse
    assert s.connect("StorageVolLookupByPath", str(target / "sparse.img")) == sparse
    assert s.pool(p, "StorageVolLookupByName", "full.img") == full
    assert (target / "full.img").stat().st_mode & 0o777 == 0o600

    # a chain: base (raw) <- mid (qcow2) <- top (qcow2)
    base = target / "full.img"
    mid = s.create_vol(p, vol_xml("mid.qcow2", 4 * MiB, "qcow2",
                                  extra=f"<backingStore><path>{base}</path><format type='raw'/></backingStore>"))
    top = s.create_vol(p, vol_xml("top.qcow2", 8 * MiB, "qcow2",
                                  extra=f"<backingStore><path>{target / 'mid.qcow2'}</path></backingStore>"))
    xml = s.vol_xml(top)
    assert "<format type='qcow2'/>" in xml and "<capacity unit='bytes'>8388608</capacity>" in xml
    assert f"<backingStore>\n    <path>{target / 'mid.qcow2'}</path>\n    <format type='qcow2'/>" in xml
    info = subprocess.run(["qemu-img", "info", "-U", "--backing-chain", str(target / "top.qcow2")],
                          capture_output=True, text=True, check=True).stdout
    assert str(base) in info and info.count("image:") == 3
    assert s.prop(top, VOL1, "Format") == "qcow2"

    # a clone of the chain, flattened into raw
    flat = s.pool(p, "StorageVolCreateXMLFrom",
                  "<volume><name>flat.img</name><target><format type='raw'/></target></volume>",
                  str(target / "top.qcow2"), 0)
    assert s.vol(flat, "GetInfo", 0)[1] == 8 * MiB
    r = subprocess.run(["qemu-img", "compare", "-U", "-f", "qcow2", "-F", "raw",
                        str(target / "top.qcow2"), str(target / "flat.img")], capture_output=True)
    assert r.returncode == 0, r.stdout
    # and a qcow2 clone, larger than its source
    big = s.pool(p, "StorageVolCreateXMLFrom",
                 vol_xml("big.qcow2", 32 * MiB, "qcow2"), str(target / "flat.img"), 0)
    assert s.vol(big, "GetInfo", 0)[1] == 32 * MiB

    # resize: grow, refuse to shrink without the flag, shrink with it
    s.vol(sparse, "Resize", 32 * MiB, 0)
    assert s.vol(sparse, "GetInfo", 0)[1] == 32 * MiB
    s.vol(sparse, "Resize", 4 * MiB, 2)                  # DELTA
    assert s.vol(sparse, "GetInfo", 0)[1] == 36 * MiB
    with expect_dbus_error(ERR + "InvalidArg") as e:
        s.vol(sparse, "Resize", 8 * MiB, 0)
    assert "37748736" in e.message and "8388608" in e.message and "shrink flag" in e.message
    s.vol(sparse, "Resize", 8 * MiB, 4)                  # SHRINK
    assert os.path.getsize(target / "sparse.img") == 8 * MiB
    s.vol(top, "Resize", 16 * MiB, 0)
    assert s.vol(top, "GetInfo", 0)[1] == 16 * MiB
    s.vol(top, "Resize", 12 * MiB, 4)
    assert s.vol(top, "GetInfo", 0)[1] == 12 * MiB
    with expect_dbus_error(ERR + "InvalidArg") as e:
        s.vol(sparse, "Resize", 1 << 63, 2)
    assert "overflows" in e.message

    # delete, and what is gone is gone
    s.vol(big, "Delete", 0)
    assert not (target / "big.qcow2").exists()
    with expect_dbus_error(ERR + "NoStorageVol"):
        s.connect("StorageVolLookupByKey", str(target / "big.qcow2"))
    assert sorted(s.prop(v, VOL, "Name") for v in s.pool(p, "ListStorageVolumes", 0)) == \
        ["flat.img", "full.img", "mid.qcow2", "sparse.img", "top.qcow2"]
    for v in s.pool(p, "ListStorageVolumes", 0):
        s.vol_xml(v)

    # files put there by hand are found by Refresh, their format probed
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(target / "byhand.qcow2"), "1M"],
                   check=True)
    s.pool(p, "Refresh", 0)
    v = s.pool(p, "StorageVolLookupByName", "byhand.qcow2")
    assert "<format type='qcow2'/>" in s.vol_xml(v)


def test_format_is_never_reinterpreted(storaged, vroot):
    """A raw volume whose content is a qcow2 header pointing at a host file
    stays raw: no backingStore, the host file is never named."""
    s = storaged
    target = vroot / "imgs"
    p = s.start_dir_pool("raws", target)
    v = s.create_vol(p, vol_xml("guest.img", 4 * MiB, "raw", allocation=0))
    evil = vroot / "evil.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "/etc/shadow", "-F", "raw",
                    str(evil), "4M"], check=True)
    fd = os.open(evil, os.O_RDONLY)
    try:
        assert s.upload(v, fd) == os.path.getsize(evil)
    finally:
        os.close(fd)
    s.pool(p, "Refresh", 0)
    xml = s.vol_xml(v)
    assert "<format type='raw'/>" in xml and "shadow" not in xml and "backingStore" not in xml
    assert s.vol(v, "GetInfo", 0)[1] == 4 * MiB
    assert s.storage1("ResolveVolume", "raws", "guest.img")[2] == "raw"


def test_wipe_algorithms(storaged, vroot):
    s = storaged
    target = vroot / "wipe"
    p = s.start_dir_pool("w", target)
    v = s.create_vol(p, vol_xml("data.img", 2 * MiB, "raw"))
    path = target / "data.img"

    def fill():
        with open(path, "r+b") as f:
            f.write(b"\x5a" * (2 * MiB))

    fill()
    s.vol(v, "Wipe", Wipe.ZERO, 0)
    assert read_all(path) == bytes(2 * MiB)
    s.vol(v, "Wipe", Wipe.RANDOM, 0)
    data = read_all(path)
    assert len(data) == 2 * MiB and data.count(0) < MiB
    s.vol(v, "Wipe", Wipe.DOD, 0)                        # scrub: its last pass is 0xff
    assert read_all(path) == b"\xff" * (2 * MiB)
    s.vol(v, "Wipe", Wipe.NNSA, 0)
    assert os.path.getsize(path) == 2 * MiB
    s.vol(v, "Wipe", Wipe.TRIM, 0)
    assert read_all(path) == bytes(2 * MiB) and allocated(path) < MiB
    with expect_dbus_error(ERR + "InvalidArg") as e:
        s.vol(v, "Wipe", 42, 0)
    assert "42" in e.message
    assert s.vol(v, "GetInfo", 0)[1] == 2 * MiB

    # a wiped qcow2 volume is an empty qcow2 image of the same size
    q = s.create_vol(p, vol_xml("q.qcow2", 8 * MiB, "qcow2"))
    subprocess.run(["qemu-io", "-f", "qcow2", "-c", "write -P 0x33 0 1M", str(target / "q.qcow2")],
                   check=True, capture_output=True)
    s.vol(q, "Wipe", Wipe.ZERO, 0)
    subprocess.run(["qemu-img", "check", "-q", "-f", "qcow2", str(target / "q.qcow2")], check=True)
    assert s.vol(q, "GetInfo", 0)[1] == 8 * MiB
    out = subprocess.run(["qemu-io", "-f", "qcow2", "-c", "read -P 0 0 1M", str(target / "q.qcow2")],
                         capture_output=True, text=True)
    assert "Pattern verification failed" not in out.stdout


def test_upload_download(storaged, vroot):
    s = storaged
    target = vroot / "up"
    p = s.start_dir_pool("up", target)
    v = s.create_vol(p, vol_xml("disk.img", 64 * MiB, "raw", allocation=64 * MiB))
    src = vroot / "src.img"
    chunks = [(0, os.urandom(MiB)), (20 * MiB, os.urandom(3 * MiB)), (63 * MiB, os.urandom(MiB))]
    make_sparse_file(src, chunks, 64 * MiB)

    fd = os.open(src, os.O_RDONLY)
    try:
        assert s.upload(v, fd) == 64 * MiB
        assert os.lseek(fd, 0, os.SEEK_CUR) == 64 * MiB
    finally:
        os.close(fd)
    vol_path = target / "disk.img"
    assert read_all(vol_path) == read_all(src)
    assert allocated(vol_path) <= 6 * MiB                # the volume's old blocks were punched
    assert s.vol(v, "GetInfo", 0)[2] <= 6 * MiB          # and it reports so

    out = vroot / "out.img"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        assert s.download(v, fd) == 64 * MiB
    finally:
        os.close(fd)
    assert read_all(out) == read_all(src) and allocated(out) <= 6 * MiB

    # a window: offset and length
    fd = os.open(out, os.O_WRONLY | os.O_TRUNC)
    try:
        assert s.download(v, fd, 20 * MiB + 17, 1000) == 1000
    finally:
        os.close(fd)
    assert read_all(out) == chunks[1][1][17:1017]

    # libvirt's rules
    for off, length, needle in [((1 << 64) - 2, 0, "offset -2 is negative"),
                                (65 * MiB, 0, f"offset {65 * MiB} is past the end of volume 'disk.img' "
                                              f"(capacity {64 * MiB} bytes)"),
                                (60 * MiB, 8 * MiB, f"ends at {68 * MiB}, past the capacity of volume "
                                                   f"'disk.img' ({64 * MiB} bytes)")]:
        for fn in (s.upload, s.download):
            fd = os.open(out, os.O_RDWR)
            try:
                with expect_dbus_error(ERR + "InvalidArg") as e:
                    fn(v, fd, off, length)
                assert needle in e.message
            finally:
                os.close(fd)
    fd = os.open(out, os.O_RDWR | os.O_TRUNC)
    try:
        assert s.download(v, fd, 60 * MiB, (1 << 64) - 1) == 4 * MiB   # virsh's -1: to the end
    finally:
        os.close(fd)

    # from a pipe, at an offset; zero blocks become holes
    r, w = os.pipe()
    payload = os.urandom(MiB) + bytes(4 * MiB) + os.urandom(MiB)

    def feed():
        with os.fdopen(w, "wb") as f:
            f.write(payload)
    t = threading.Thread(target=feed)
    t.start()
    try:
        assert s.upload(v, r, 8 * MiB, len(payload)) == len(payload)
    finally:
        os.close(r)
        t.join()
    assert read_all(vol_path)[8 * MiB:8 * MiB + len(payload)] == payload


def test_transfer_progress_is_visible(storaged, vroot):
    """A slow upload from a pipe: its job and progress show while it runs."""
    s = storaged
    p = s.start_dir_pool("prog", vroot / "prog")
    v = s.create_vol(p, vol_xml("big.img", 64 * MiB, "raw", allocation=0))
    r, w = os.pipe()
    result = {}
    # dbus-python blocks a connection during a call: the upload gets its own.
    conn = s.bus.new_connection()

    def call():
        try:
            vol1 = dbus.Interface(conn.get_object("org.virtbus.storaged", v), VOL1)
            result["n"] = vol1.Upload(dbus.types.UnixFd(r), dbus.UInt64(0), dbus.UInt64(32 * MiB),
                                      dbus.UInt32(0), timeout=60)
        except Exception as e:              # noqa: BLE001
            result["e"] = e
    t = threading.Thread(target=call)
    t.start()
    block = os.urandom(MiB)
    for _ in range(8):
        os.write(w, block)
    wait_until(lambda: s.prop(v, VOL1, "JobProgress")[0] >= 8 * MiB, 20, what="progress")
    assert s.prop(v, VOL1, "Job") == "upload"
    assert s.prop(v, VOL1, "JobProgress")[1] == 32 * MiB
    jobs = s.storage1("ListJobs")
    assert any(j[0] == v and j[1] == "upload" and j[3] == 32 * MiB for j in jobs)
    with expect_dbus_error(ERR + "OperationInvalid") as e:
        s.vol(v, "Delete", 0)
    assert "upload" in e.message
    for _ in range(24):
        os.write(w, block)
    os.close(w)
    t.join(30)
    os.close(r)
    conn.close()
    assert result.get("n") == 32 * MiB, result
    assert s.prop(v, VOL1, "Job") == "" and s.storage1("ListJobs") == []


def test_restart_with_sigkill_keeps_pools(storaged, vroot):
    s = storaged
    a = s.start_dir_pool("keep", vroot / "keep")
    va = s.create_vol(a, vol_xml("v1.qcow2", 8 * MiB, "qcow2"))
    idle = s.define(dir_pool_xml("idle", vroot / "idle"))
    auto = s.define(dir_pool_xml("auto", vroot / "auto"))
    s.pool(auto, "Build", 0)
    s.bus.call("org.virtbus.storaged", auto, "org.freedesktop.DBus.Properties", "Set", POOL,
               "Autostart", True, signature="ssv")
    t = s.connect("StoragePoolCreateXML", dir_pool_xml("trans", vroot / "trans"), 1)
    s.create_vol(t, vol_xml("t.img", MiB, "raw"))
    # redefined while active: the new definition waits for the next start
    s.define(dir_pool_xml("keep", vroot / "keep", s.prop(a, POOL, "UUID"),
                          extra="<features><cow state='yes'/></features>"))

    s.d.kill(signal.SIGKILL)
    s.d.start()
    assert s.prop(a, POOL, "Active") is True
    assert s.pool(a, "ListStorageVolumes", 0) == [va]
    assert "<format type='qcow2'/>" in s.vol_xml(va)
    assert "cow" not in s.pool_xml(a) and "<cow state='yes'/>" in s.pool_xml(a, 1)
    assert s.prop(idle, POOL, "Active") is False
    assert s.prop(auto, POOL, "Active") is True           # autostarted
    assert s.prop(t, POOL, "Persistent") is False and s.prop(t, POOL, "Active") is True
    assert len(s.pool(t, "ListStorageVolumes", 0)) == 1
    # SIGTERM too
    s.d.kill(signal.SIGTERM)
    s.d.start()
    assert sorted(s.connect("ListStoragePools", 2)) == sorted([a, auto, t])


def test_bad_input_changes_nothing(storaged, vroot):
    s = storaged
    target = vroot / "bad"
    p = s.start_dir_pool("bad", target)
    v = s.create_vol(p, vol_xml("ok.img", MiB, "raw"))
    (vroot / "afile").write_text("x")
    before = (sorted(s.connect("ListStoragePools", 0)), s.pool(p, "ListStorageVolumes", 0),
              sorted(os.listdir(target)), sorted(os.listdir(vroot / "etc/virtbus/storage")))

    cases = [
        (lambda: s.create_vol(p, vol_xml("a/b", MiB)), "InvalidArg", "'a/b'"),
        (lambda: s.create_vol(p, vol_xml("..", MiB)), "InvalidArg", "'..'"),
        (lambda: s.create_vol(p, vol_xml("huge", 20, unit="EiB")), "InvalidArg", "overflows"),
        (lambda: s.create_vol(p, vol_xml("huge", "99999999999999999999")), "InvalidArg", "99999999999999999999"),
        (lambda: s.create_vol(p, vol_xml("ok.img", MiB)), "StorageVolExists", "'ok.img'"),
        (lambda: s.create_vol(p, vol_xml("x.vmdk", MiB, "vmdk")), "NotSupported", "'vmdk'"),
        (lambda: s.create_vol(p, "<volume><name>x</name>"), "XMLError", "line"),
        (lambda: s.create_vol(p, vol_xml("x", MiB, "raw", extra_target="<encryption format='qcow'/>")),
         "NotSupported", "encryption"),
        (lambda: s.define(dir_pool_xml("other", target)), "OperationFailed", str(target)),
        (lambda: s.connect("StoragePoolCreateXML", dir_pool_xml("other", target), 0), "OperationFailed",
         str(target)),
        (lambda: s.define(dir_pool_xml("notdir", vroot / "afile")), "InvalidArg", str(vroot / "afile")),
        (lambda: s.define("<pool type='ceph9'><name>z</name></pool>"), "NotSupported", "'ceph9'"),
        (lambda: s.define("<pool type='iscsi'><name>z</name></pool>"), "NotSupported", "'iscsi'"),
        (lambda: s.define(dir_pool_xml("bad", vroot / "elsewhere")), "StoragePoolExists", "'bad'"),
        (lambda: s.define(dir_pool_xml("a/b", vroot / "x")), "InvalidArg", "'a/b'"),
        (lambda: s.connect("StoragePoolLookupByUUID", "not-a-uuid"), "InvalidArg", "'not-a-uuid'"),
        (lambda: s.vol(v, "Resize", 0, 0), "InvalidArg", "cannot be 0"),
        (lambda: s.vol(v, "Delete", 2), "NotSupported", "snapshots"),
        (lambda: s.pool(p, "StorageVolCreateXMLFrom", vol_xml("c", MiB), "/no/such/key", 0), "NoStorageVol",
         "'/no/such/key'"),
        (lambda: s.connect("FindStoragePoolSources", "fs", "", 0), "NotSupported", "'fs'"),
    ]
    for fn, name, needle in cases:
        with expect_dbus_error(ERR + name) as e:
            fn()
        assert needle in e.message, (name, needle, e.message)
    after = (sorted(s.connect("ListStoragePools", 0)), s.pool(p, "ListStorageVolumes", 0),
             sorted(os.listdir(target)), sorted(os.listdir(vroot / "etc/virtbus/storage")))
    assert before == after


def test_volume_in_use(storaged, daemon, vroot):
    s = storaged
    target = vroot / "use"
    p = s.start_dir_pool("use", target)
    v = s.create_vol(p, vol_xml("vm1.qcow2", 8 * MiB, "qcow2"))
    w = s.create_vol(p, vol_xml("vm2.img", 8 * MiB, "raw"))
    obj, path, fmt, typ = s.storage1("ResolveVolume", "use", "vm1.qcow2")
    assert (obj, path, fmt, typ) == (v, str(target / "vm1.qcow2"), "qcow2", "file")

    # qemud's way: SetVolumeInUse(pool, volume, owner, true)
    s.storage1("SetVolumeInUse", "use", "vm1.qcow2", "guest-one", True)
    assert s.prop(v, VOL1, "Users") == ["guest-one"]
    for call, what in [(lambda: s.vol(v, "Delete", 0), "delete"),
                       (lambda: s.vol(v, "Wipe", 0, 0), "wipe"),
                       (lambda: s.vol(v, "Resize", 4 * MiB, 4), "resize")]:
        with expect_dbus_error(ERR + "ResourceBusy") as e:
            call()
        assert f"cannot {what} volume 'vm1.qcow2'" in e.message and "'guest-one'" in e.message
    s.vol(v, "Resize", 16 * MiB, 0)                       # growing is fine
    # it survives a restart of storaged
    s.d.kill(signal.SIGKILL)
    s.d.start()
    with expect_dbus_error(ERR + "ResourceBusy"):
        s.vol(v, "Delete", 0)
    assert s.storage1("ListVolumesInUse") == [("guest-one", str(target / "vm1.qcow2"))]
    assert s.storage1("ReleaseOwner", "guest-one") == 1
    s.vol1(v, "SetInUse", "other", True)
    with expect_dbus_error(ERR + "ResourceBusy"):
        s.vol(v, "Delete", 0)
    s.vol1(v, "SetInUse", "other", False)
    s.vol(v, "Delete", 0)

    # a lease in lockd on the volume's path, held by a running "guest"
    lockd = daemon("lockd")
    guest = subprocess.Popen(["sleep", "300"])
    try:
        gu = str(uuidlib.uuid4())
        lockd.call("Acquire", str(target / "vm2.img"), gu, "leaseholder", guest.pid, 0,
                   interface="org.virtbus.Lock1")
        with expect_dbus_error(ERR + "ResourceBusy") as e:
            s.vol(w, "Wipe", 0, 0)
        assert "'vm2.img'" in e.message and "'leaseholder'" in e.message and str(guest.pid) in e.message
    finally:
        guest.kill()
        guest.wait()
    wait_until(lambda: lockd.call("ListLeases", interface="org.virtbus.Lock1") == [], 10,
               what="the lease to go")
    s.vol(w, "Delete", 0)


def test_non_root_is_read_only(storaged, vroot):
    s = storaged
    p = s.start_dir_pool("ro", vroot / "ro")
    v = s.create_vol(p, vol_xml("a.img", MiB, "raw"))
    D = "org.virtbus.storaged"

    ok = [(ROOT, CONNECT, "ListStoragePools", "u", 0),
          (ROOT, CONNECT, "StoragePoolLookupByName", "s", "ro"),
          (ROOT, CONNECT, "GetStoragePoolCapabilities", "u", 0),
          (p, POOL, "GetXMLDesc", "u", 0),
          (p, POOL, "ListStorageVolumes", "u", 0),
          (v, VOL, "GetInfo", "u", 0),
          (v, VOL, "GetXMLDesc", "u", 0),
          (ROOT, STORAGE1, "ResolveVolume", "ss", "ro", "a.img")]
    for path, iface, method, sig, *args in ok:
        r = s.bus.call_as("nobody", D, path, iface, method, sig, *args)
        assert r.returncode == 0, (method, r.stderr)
    r = s.bus.busctl("get-property", D, p, POOL, "Active", user="nobody")
    assert r.returncode == 0

    denied = [(ROOT, CONNECT, "StoragePoolDefineXML", "su", dir_pool_xml("x", "/tmp/x"), 0),
              (ROOT, CONNECT, "FindStoragePoolSources", "ssu", "logical", "", 0),
              (p, POOL, "Destroy", ""),
              (p, POOL, "Refresh", "u", 0),
              (p, POOL, "StorageVolCreateXML", "su", vol_xml("b", MiB), 0),
              (v, VOL, "Delete", "u", 0),
              (v, VOL, "Wipe", "uu", 0, 0),
              (v, VOL, "Resize", "tu", 2 * MiB, 0),
              (ROOT, STORAGE1, "SetVolumeInUse", "sssb", "ro", "a.img", "x", "true")]
    for path, iface, method, sig, *args in denied:
        r = s.bus.call_as("nobody", D, path, iface, method, sig, *args)
        assert r.denied, (method, r.returncode, r.stderr)
    # busctl cannot pass fds: Upload and Download from python, as nobody
    code = ("import dbus, os, sys\n"
            "b = dbus.bus.BusConnection(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])\n"
            "o = dbus.Interface(b.get_object('org.virtbus.storaged', sys.argv[1]), 'org.virtbus.StorageVol1')\n"
            "for m in ('Upload', 'Download'):\n"
            "    try:\n"
            "        getattr(o, m)(dbus.types.UnixFd(1), dbus.UInt64(0), dbus.UInt64(0), dbus.UInt32(0))\n"
            "        print(m, 'ok')\n"
            "    except dbus.DBusException as e:\n"
            "        print(m, e.get_dbus_name())\n")
    out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                          "-c", code, v], capture_output=True, text=True, env=s.bus.env, timeout=60)
    assert out.stdout.split("\n")[:2] == ["Upload org.freedesktop.DBus.Error.AccessDenied",
                                          "Download org.freedesktop.DBus.Error.AccessDenied"], out
    r = s.bus.busctl("set-property", D, p, POOL, "Autostart", "b", "true", user="nobody")
    assert r.returncode != 0
    assert s.prop(p, POOL, "Autostart") is False and s.prop(p, POOL, "Active") is True
    assert os.path.exists(vroot / "ro" / "a.img")


def test_capabilities(storaged):
    xml = storaged.connect("GetStoragePoolCapabilities", 0)
    validate(xml, "storagepoolcaps.rng")
    assert "<pool type='logical' supported='yes'>" in xml and "<pool type='netfs' supported='no'/>" in xml


def test_dbus_activation_and_idle_exit(bus, vroot, daemon):
    """A call to the name starts storaged (units/org.virtbus.storaged.service,
    root from the bus's VIRTBUS_ROOT); with --timeout it exits when idle."""
    assert bus.call("org.virtbus.storaged", ROOT, CONNECT, "ListStoragePools", 0) == []
    assert bus.name_has_owner("org.virtbus.storaged")
    assert (vroot / "etc/virtbus/storage").is_dir()
    pid = bus.name_owner_pid("org.virtbus.storaged")
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not bus.name_has_owner("org.virtbus.storaged"), 10, what="storaged to exit")
    d = daemon("storaged", "--timeout", "1")
    wait_until(lambda: d.proc.poll() is not None, 15, what="the idle exit")
    assert d.proc.returncode == 0


def test_volume_names_its_pool(storaged, vroot):
    """A volume found by key or path tells its pool (StorageVol1.Pool), which
    libvirt-dbus's StorageVol has no way to: the proxy's
    virStoragePoolLookupByVolume reads it."""
    s = storaged
    pa = s.start_dir_pool("pa", vroot / "pa")
    pb = s.start_dir_pool("pb", vroot / "pb")
    va = s.create_vol(pa, vol_xml("a.img", MiB))
    vb = s.create_vol(pb, vol_xml("b.qcow2", MiB, "qcow2"))
    for vol, pool, path in ((va, pa, vroot / "pa/a.img"), (vb, pb, vroot / "pb/b.qcow2")):
        assert s.connect("StorageVolLookupByKey", str(path)) == vol
        assert s.connect("StorageVolLookupByPath", str(path)) == vol
        assert s.prop(vol, VOL1, "Pool") == pool
    assert s.prop(s.prop(vb, VOL1, "Pool"), POOL, "Name") == "pb"
    # a property: every user may read it, as Name, Key and Path
    r = s.bus.busctl("get-property", "org.virtbus.storaged", va, VOL1, "Pool", user="nobody")
    assert r.returncode == 0 and r.stdout.strip() == f'o "{pa}"', r
