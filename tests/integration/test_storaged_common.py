# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for virtbus-storaged's integration tests (test_storaged*.py).
No tests here: fixtures and small wrappers around the bus calls."""

import os
import random
import string
import subprocess
from pathlib import Path

import dbus
import pytest

import virtbus_harness as harness
from virtbus_harness import unwrap, wait_until

D = "org.virtbus.storaged"
ROOT = "/org/virtbus/storaged"
CONNECT = "org.libvirt.Connect"
POOL = "org.libvirt.StoragePool"
VOL = "org.libvirt.StorageVol"
VOL1 = "org.virtbus.StorageVol1"
STORAGE1 = "org.virtbus.Storage1"
ERR = "org.virtbus.Error."
SCHEMAS = Path("/usr/share/libvirt/schemas")


class PoolEvent:
    """libvirt's virStoragePoolEventLifecycleType."""
    DEFINED, UNDEFINED, STARTED, STOPPED, CREATED, DELETED = range(6)


class Wipe:
    """libvirt's virStorageVolWipeAlgorithm."""
    ZERO, NNSA, DOD, BSI, GUTMANN, SCHNEIER, PFITZNER7, PFITZNER33, RANDOM, TRIM = range(10)


def suffix(n=6):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def validate(xml, schema):
    """xmllint --relaxng: raises with xmllint's words when xml is invalid."""
    r = subprocess.run(["xmllint", "--noout", "--relaxng", str(SCHEMAS / schema), "-"],
                       input=xml, capture_output=True, text=True)
    assert r.returncode == 0, f"not valid under {schema}: {r.stderr}\n{xml}"


def dir_pool_xml(name, path, uuid=None, extra=""):
    u = f"<uuid>{uuid}</uuid>" if uuid else ""
    return (f"<pool type='dir'><name>{name}</name>{u}{extra}"
            f"<target><path>{path}</path></target></pool>")


def vol_xml(name, capacity, fmt=None, allocation=None, unit="bytes", extra_target="", extra=""):
    f = f"<format type='{fmt}'/>" if fmt else ""
    a = f"<allocation unit='{unit}'>{allocation}</allocation>" if allocation is not None else ""
    return (f"<volume><name>{name}</name><capacity unit='{unit}'>{capacity}</capacity>{a}"
            f"<target>{f}{extra_target}</target>{extra}</volume>")


class Storaged:
    """Calls on a running virtbus-storaged (a harness.Daemon)."""

    def __init__(self, daemon, bus, monitor):
        self.d = daemon
        self.bus = bus
        self.mon = monitor

    def connect(self, method, *args, **kw):
        return self.bus.call(D, ROOT, CONNECT, method, *args, **kw)

    def storage1(self, method, *args, **kw):
        return self.bus.call(D, ROOT, STORAGE1, method, *args, **kw)

    def pool(self, path, method, *args, **kw):
        return self.bus.call(D, path, POOL, method, *args, **kw)

    def vol(self, path, method, *args, **kw):
        return self.bus.call(D, path, VOL, method, *args, **kw)

    def vol1(self, path, method, *args, **kw):
        return self.bus.call(D, path, VOL1, method, *args, **kw)

    def prop(self, path, interface, name):
        return self.bus.get_property(D, path, interface, name)

    def define(self, xml):
        return self.connect("StoragePoolDefineXML", xml, 0)

    def start_dir_pool(self, name, path, build=True):
        p = self.define(dir_pool_xml(name, path))
        if build:
            self.pool(p, "Build", 0)
        self.pool(p, "Create", 0)
        return p

    def create_vol(self, pool, xml, flags=0):
        return self.pool(pool, "StorageVolCreateXML", xml, flags)

    def vol_xml(self, vol):
        xml = self.vol(vol, "GetXMLDesc", 0)
        validate(xml, "storagevol.rng")
        return xml

    def pool_xml(self, pool, flags=0):
        xml = self.pool(pool, "GetXMLDesc", flags)
        validate(xml, "storagepool.rng")
        return xml

    def upload(self, vol, fd, offset=0, length=0, flags=0):
        return self.vol1(vol, "Upload", dbus.types.UnixFd(fd), dbus.UInt64(offset),
                         dbus.UInt64(length), dbus.UInt32(flags))

    def download(self, vol, fd, offset=0, length=0, flags=0):
        return self.vol1(vol, "Download", dbus.types.UnixFd(fd), dbus.UInt64(offset),
                         dbus.UInt64(length), dbus.UInt32(flags))

    def pool_events(self, pool, since=0):
        return [(e[1], e[2]) for e in
                (m["payload"]["data"] for m in
                 self.mon.signals("StoragePoolEvent", CONNECT, ROOT, since=since))
                if e[0] == pool]

    def wait_pool_event(self, pool, event, since=0, timeout=30):
        return self.mon.wait_signal("StoragePoolEvent", CONNECT, ROOT,
                                    lambda d: d[0] == pool and d[1] == event, since, timeout)


@pytest.fixture
def storaged(daemon, bus, bus_monitor):
    return Storaged(daemon("storaged"), bus, bus_monitor)


def sh(*argv, check=True, **kw):
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))}: {r.returncode}: {r.stderr.strip()}")
    return r


class LoopDevices:
    """Loop devices on files in the test's root, detached at teardown (the
    harness would too: this is the first line of defence)."""

    def __init__(self, root):
        self.root = Path(root)
        self.devs = []

    def make(self, size_mib, name=None):
        f = self.root / (name or f"loop-{suffix()}.img")
        with open(f, "wb") as fh:
            fh.truncate(size_mib << 20)
        r = sh("losetup", "-f", "--show", f, check=False)
        if r.returncode != 0:
            # no loop driver, no free device, or no /dev/loop-control (a container)
            pytest.skip(f"no loop device here: losetup: {r.stderr.strip()}")
        dev = r.stdout.strip()
        self.devs.append(dev)
        return dev

    def filesystem(self, fmt, size_mib=64):
        """Skips the test unless this host can make and mount `fmt` (its
        mkfs, and the kernel's file system, built in or as a module)."""
        import shutil
        import tempfile
        if not shutil.which(f"mkfs.{fmt}"):
            pytest.skip(f"mkfs.{fmt} is not installed")
        dev = self.make(size_mib)
        r = sh(f"mkfs.{fmt}", "-q", "-f" if fmt in ("xfs", "btrfs") else "-F", dev, check=False)
        if r.returncode != 0:
            pytest.skip(f"mkfs.{fmt} cannot make a {size_mib} MiB file system here: {r.stderr.strip()}")
        mnt = tempfile.mkdtemp(dir=self.root, prefix=f"probe-{fmt}-")
        r = sh("mount", "-t", fmt, dev, mnt, check=False)
        if r.returncode != 0:
            pytest.skip(f"this kernel cannot mount {fmt}: {r.stderr.strip()}")
        sh("umount", mnt, check=False)
        os.rmdir(mnt)

    def cleanup(self):
        for d in reversed(self.devs):
            sh("losetup", "-d", d, check=False)
        self.devs = []


@pytest.fixture
def loops(vroot):
    lo = LoopDevices(vroot)
    vroot.add_cleanup(lo.cleanup)
    yield lo
    lo.cleanup()


def read_all(path):
    with open(path, "rb") as f:
        return f.read()


def allocated(path):
    return os.stat(path).st_blocks * 512


def make_sparse_file(path, chunks, size):
    """chunks: [(offset, bytes)]; the rest is holes."""
    with open(path, "wb") as f:
        f.truncate(size)
        for off, data in chunks:
            f.seek(off)
            f.write(data)


def wait_job_done(s, vol, timeout=60):
    wait_until(lambda: s.prop(vol, VOL1, "Job") == "", timeout, what=f"the job on {vol}")


__all__ = ["D", "ROOT", "CONNECT", "POOL", "VOL", "VOL1", "STORAGE1", "ERR", "PoolEvent", "Wipe",
           "suffix", "validate", "dir_pool_xml", "vol_xml", "Storaged", "storaged", "sh",
           "LoopDevices", "loops", "read_all", "allocated", "make_sparse_file", "wait_job_done",
           "unwrap", "harness"]
