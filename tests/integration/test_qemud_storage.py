# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud with virtbus-storaged, both real, on one private bus and root
(lockd and logd are D-Bus activated when qemud asks for them).

<disk type='volume'><source pool='P' volume='V'/>: before QEMU starts, qemud
asks storaged (Storage1.ResolveVolume) where the volume is and what format it
has, and marks it in use by the domain (SetVolumeInUse, owner = the uuid);
when the guest stops it releases the owner (ReleaseOwner).

- A dir pool with a qcow2 and a raw volume, both disks of the booted test
  guest (TCG), neither with a <driver type>: the guest starts, the live XML
  says qcow2 / raw and keeps pool/volume (and validates against domain.rng),
  the inactive XML is what was defined, QEMU opens the volumes' paths with the
  right format driver, and the guest sees disks of the volumes' capacities.
- While the guest runs, storaged refuses Delete, Wipe and a shrinking Resize
  with ResourceBusy naming the volume, its path and the domain (its uuid);
  the refusals change nothing; after Destroy all three work.
- A volume or a pool that does not exist (and a pool that is not active):
  Create fails with NoStorageVol / NoStoragePool (OperationInvalid) naming
  it, the domain is shut off (failed), and nothing is left: no QEMU, no live
  state, no in-use mark (not even on the disk that did resolve). A transient
  DomainCreateXML leaves no domain. Once the volume exists the domain starts.
- qemud SIGKILLed and started again while the guest runs (and storaged too):
  the in-use marks stay, deletion is still refused; they go when the guest is
  destroyed, or when qemud finds after its restart that QEMU died meanwhile.
  A storaged that is down when the guest stops is D-Bus activated by the
  release and releases it.
- qemud's lockd lease covers the volume's path: a second guest on the same
  volume is refused and its failed start leaves the first guest's mark alone;
  the lease is taken again when lockd comes back after a SIGKILL, also by a
  qemud that was itself restarted meanwhile.
- The declared format wins: a raw volume holding a qcow2 header runs as raw.
  A hand-made vdi file is refused with NotSupported unless the domain says
  <driver type='raw'>.

Guests that need no booted kernel are idle QEMUs (no kernel; type 'kvm' when
KVM works here, else 'qemu'); the guest that must see its disks is the test
guest (TCG)."""

import json
import os
import re
import signal
import subprocess
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from virtbus_harness import unwrap, wait_until
from test_qemud_common import dbus_error, destroy_active, xmllint_relaxng
from test_storaged_common import VOL1, Storaged, dir_pool_xml, vol_xml

pytestmark = pytest.mark.timeout(150)

QEMUD = "org.virtbus.qemud"
POOL = "vbpool"
MIB = 1 << 20
SHUTOFF_DESTROYED, SHUTOFF_CRASHED, SHUTOFF_FAILED = 2, 3, 6    # virDomainShutoffReason
SHRINK = 4                                                       # VIR_STORAGE_VOL_RESIZE_SHRINK
BOOT_TIMEOUT = 90
DISK_RE = rb"VIRTBUS-GUEST-DISK (vd[a-z]+) (\d+)"


def idle_type():
    return "kvm" if h.kvm_available() else "qemu"


# ---------------------------------------------------------------------------
# the environment: one bus, one root, storaged and qemud on it

class Env:
    def __init__(self, guest):
        for name in ("qemud", "storaged"):
            if not (h.BUILD / f"virtbus-{name}").exists():
                pytest.fail(f"{h.BUILD / f'virtbus-{name}'} is not built (run make)")
        self.guest = guest
        self.root = h.Root()
        self._register_root()
        self.bus = self.mon = self.qemud = self.storaged_daemon = None
        try:
            self.bus = h.TestBus(self.root).start()
            self.mon = h.BusMonitor(self.bus).start()
            self.storaged_daemon = h.Daemon("storaged", self.bus, self.root).start()
            self.s = Storaged(self.storaged_daemon, self.bus, self.mon)
            self.qemud = h.Daemon("qemud", self.bus, self.root).start()
            self.pool_dir = self.root / "pool"
            self.pool = self.s.start_dir_pool(POOL, self.pool_dir)
        except BaseException:
            self.close()
            raise

    def _register_root(self):
        try:
            import conftest
            conftest._ROOTS.append(self.root)
            self._conftest = conftest
        except (ImportError, AttributeError):
            self._conftest = None

    def close(self):
        try:
            destroy_active(self.qemud)
        finally:
            for x in (self.mon, self.qemud, self.storaged_daemon, self.bus):
                if x is not None:
                    x.stop()
            errors = self.root.cleanup(keep=os.environ.get("VIRTBUS_KEEP") == "1" and
                                       getattr(self, "failed", False))
            if self._conftest is not None and self.root in self._conftest._ROOTS:
                self._conftest._ROOTS.remove(self.root)
        return errors

    def register_logs(self):
        for d in (self.qemud, self.storaged_daemon):
            if d:
                h.register_log(f"virtbus-{d.name}", d.log_path)
        h.register_log("dbus-daemon (and D-Bus activated daemons)", self.bus.log_path)
        for f in sorted(self.root.path.glob("*.serial")):
            h.register_log(f"serial console {f.name}", f)
        qlog = self.root / "var" / "log" / "virtbus" / "qemu"
        if qlog.is_dir():
            for f in sorted(qlog.glob("*.log")):
                h.register_log(f"QEMU log {f.name}", f)

    # --- storaged -----------------------------------------------------------
    def volume(self, name, capacity, fmt):
        """Creates a volume in POOL; returns a Vol."""
        obj = self.s.create_vol(self.pool, vol_xml(name, capacity, fmt))
        return Vol(self, name, obj, self.s.bus.get_property(
            "org.virtbus.storaged", obj, "org.libvirt.StorageVol", "Path"), capacity, fmt)

    def in_use(self, owner=None):
        """ListVolumesInUse: sorted (owner, key), only `owner`'s when given."""
        return sorted(tuple(x) for x in self.s.storage1("ListVolumesInUse")
                      if owner is None or x[0] == owner)

    def wait_released(self, owner, timeout=10):
        wait_until(lambda: self.in_use(owner) == [], timeout,
                   what=f"storaged to release the volumes of {owner} (in use: {self.in_use()})")

    # --- qemud --------------------------------------------------------------
    @property
    def run_dir(self):
        return self.root / "run" / "virtbus" / "qemu"

    def define(self, xml):
        name = re.search(r"<name>([^<]+)</name>", xml).group(1)
        uuid = re.search(r"<uuid>([^<]+)</uuid>", xml).group(1)
        return Dom(self, self.qemud.call("DomainDefineXML", xml), name, uuid)


class Vol:
    def __init__(self, env, name, obj, path, capacity, fmt):
        self.env, self.name, self.obj, self.path = env, name, obj, path
        self.capacity, self.fmt = capacity, fmt

    def call(self, method, *args, **kw):
        return self.env.s.vol(self.obj, method, *args, **kw)

    def users(self):
        return unwrap(self.env.s.prop(self.obj, VOL1, "Users"))

    def info(self):
        return tuple(self.call("GetInfo", 0))

    def exists(self):
        return self.name in [self.env.bus.get_property("org.virtbus.storaged", v,
                                                       "org.libvirt.StorageVol", "Name")
                             for v in self.env.s.pool(self.env.pool, "ListStorageVolumes", 0)]


class Dom:
    def __init__(self, env, path, name, uuid):
        self.env, self.path, self.name, self.uuid = env, path, name, uuid
        self.serial = env.root / f"{name}.serial"

    def call(self, method, *args, **kw):
        return self.env.qemud.domain_call(self.path, method, *args, **kw)

    def state(self):
        return tuple(self.call("GetState", 0))

    def prop(self, name):
        return self.env.qemud.get_property(self.path, "org.libvirt.Domain", name)

    def start(self, flags=0):
        if self.serial.exists():
            self.serial.write_bytes(b"")
        self.call("Create", flags)
        return self

    @property
    def status_file(self):
        return self.env.run_dir / f"{self.name}.xml"

    def pid(self):
        try:
            text = self.status_file.read_text()
        except FileNotFoundError:
            return None
        m = re.search(r"<domstatus [^>]*\bpid='(\d+)'", text)
        return int(m.group(1)) if m else None

    def destroy(self):
        pid = self.pid()
        if self.state()[0] != S.SHUTOFF:
            self.call("Destroy", 0)
        assert self.state() == (S.SHUTOFF, SHUTOFF_DESTROYED), self.state()
        if pid:
            wait_until(lambda: not pid_alive(pid), 15, what=f"QEMU {pid} of {self.name} to exit")


@pytest.fixture(scope="module")
def env(guest, request):
    e = Env(guest)
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


@pytest.fixture(autouse=True)
def _logs(env):
    env.register_logs()
    yield
    env.register_logs()


@pytest.fixture(autouse=True)
def daemons_up(env):
    """A test that failed while a daemon was down must not leave the next one
    without it."""
    for d in (env.storaged_daemon, env.qemud):
        if not d.alive():
            assert not env.bus.name_has_owner(d.bus_name), \
                f"{d.bus_name} is owned by a D-Bus activated daemon after a failed test"
            d.start()
    yield


# ---------------------------------------------------------------------------
# helpers

def pid_alive(pid):
    return pid is not None and not h._is_zombie_or_gone(pid)


def qemu_pids_of(uuid):
    """Live processes whose command line carries `-uuid <uuid>`."""
    needle = b"\0-uuid\0" + str(uuid).encode() + b"\0"
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if needle in f.read() and pid_alive(int(d)):
                    found.append(int(d))
        except OSError:
            pass
    return found


def qemu_argv(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().decode().split("\0")


def blockdev_of(argv, path):
    """The protocol and format -blockdev options of the disk whose file is
    `path`: ({key: value} of the file node, {key: value} of the format node).
    qemud writes -blockdev in QEMU's JSON form."""
    nodes = [json.loads(argv[i + 1]) for i, a in enumerate(argv) if a == "-blockdev"]
    files = [n for n in nodes if n.get("filename") == path]
    assert len(files) == 1, f"expected one -blockdev with filename={path}: {nodes}"
    fmts = [n for n in nodes if n.get("file") == files[0]["node-name"]]
    assert len(fmts) == 1, f"expected one format node over {files[0]['node-name']}: {nodes}"
    return files[0], fmts[0]


def volume_disk(pool, volume, dev, driver=None):
    drv = f"\n      <driver name='qemu' type='{driver}'/>" if driver else ""
    return (f"    <disk type='volume' device='disk'>{drv}\n"
            f"      <source pool='{pool}' volume='{volume}'/>\n"
            f"      <target dev='{dev}' bus='virtio'/>\n"
            f"    </disk>")


def idle_xml(name, disks, uuid=None, dtype=None):
    """A guest with no kernel to boot: QEMU just runs (the firmware finds nothing)."""
    uuid = uuid or str(uuidlib.uuid4())
    return f"""<domain type='{dtype or idle_type()}'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>{h.QEMU}</emulator>
{disks}
  </devices>
</domain>
"""


def xml_disks(xml):
    """{target dev: (disk type, driver type or None, source attributes)}."""
    out = {}
    for d in ET.fromstring(xml).findall("./devices/disk"):
        drv = d.find("driver")
        src = d.find("source")
        out[d.find("target").get("dev")] = (d.get("type"), drv.get("type") if drv is not None
                                             else None, dict(src.attrib) if src is not None else {})
    return out


def assert_busy(env, vol, dom):
    """Delete, Wipe and a shrinking Resize of `vol` fail with ResourceBusy
    naming the volume, its path and the domain's uuid, and change nothing."""
    before = (os.stat(vol.path).st_size, vol.info(), vol.users())
    for what, call in (("delete", lambda: vol.call("Delete", 0)),
                       ("wipe", lambda: vol.call("Wipe", 0, 0)),
                       ("shrink", lambda: vol.call("Resize", vol.capacity // 2, SHRINK))):
        with dbus_error("ResourceBusy", vol.name, vol.path, dom.uuid, what=f"{what} of {vol.name}"):
            call()
    after = (os.stat(vol.path).st_size, vol.info(), vol.users())
    assert after == before, f"a refused call changed {vol.name}: {before} -> {after}"
    assert vol.exists() and os.path.exists(vol.path)


def assert_nothing_left(env, dom):
    assert dom.state() == (S.SHUTOFF, SHUTOFF_FAILED), dom.state()
    assert dom.prop("Active") is False and dom.prop("Id") == 0
    assert not dom.status_file.exists(), f"live state left: {dom.status_file}"
    assert not (env.run_dir / f"{dom.name}.monitor").exists()
    assert qemu_pids_of(dom.uuid) == [], "a QEMU of the failed start is still there"
    assert env.in_use(dom.uuid) == [], f"in-use marks left by the failed start: {env.in_use()}"


# ---------------------------------------------------------------------------

def test_volume_disks_of_a_booted_guest(env):
    """qcow2 and raw volumes without <driver type>: resolved to their path and
    format, seen by the guest with their capacities, marked in use while it
    runs, released by Destroy."""
    q = env.volume("boot.qcow2", 96 * MIB, "qcow2")
    r = env.volume("boot.raw", 40 * MIB, "raw")
    assert env.s.storage1("ResolveVolume", POOL, q.name)[1:] == (q.path, "qcow2", "file")
    name, uuid = "volguest", str(uuidlib.uuid4())
    serial = env.root / f"{name}.serial"
    h.register_log(f"serial console of {name}", serial)
    disks = volume_disk(POOL, q.name, "vda") + "\n" + volume_disk(POOL, r.name, "vdb")
    dom = env.define(h.guest_domain_xml(env.guest, name, uuid=uuid, serial_log=serial, nic=None,
                                        extra_devices=disks))
    defined = dom.call("GetXMLDesc", 2)
    assert xml_disks(defined) == {
        "vda": ("volume", None, {"pool": POOL, "volume": q.name}),
        "vdb": ("volume", None, {"pool": POOL, "volume": r.name})}, defined

    started = time.monotonic()
    dom.start()
    try:
        assert dom.state() == (S.RUNNING, 1)

        # live XML: the format storaged gave, the source as defined; valid.
        # (No path: libvirt's live XML has none for type='volume', and
        # domain.rng allows only pool/volume/mode on its <source>; the path
        # is checked on QEMU's command line below.)
        live = dom.call("GetXMLDesc", 0)
        xmllint_relaxng(live, "domain", "live XML of a guest with volume disks")
        assert xml_disks(live) == {
            "vda": ("volume", "qcow2", {"pool": POOL, "volume": q.name}),
            "vdb": ("volume", "raw", {"pool": POOL, "volume": r.name})}, live
        # the inactive XML is still the definition
        inactive = dom.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "inactive XML of a guest with volume disks")
        assert xml_disks(inactive) == xml_disks(defined), inactive
        # the live state file keeps pool/volume and the format too
        status = dom.status_file.read_text()
        assert f"<source pool='{POOL}' volume='{q.name}'/>" in status, status
        assert "type='qcow2'" in status, status

        # QEMU opens the volumes' paths, with the volumes' formats
        pid = dom.pid()
        assert pid_alive(pid) and qemu_pids_of(uuid) == [pid]
        argv = qemu_argv(pid)
        for vol, fmt in ((q, "qcow2"), (r, "raw")):
            fnode, fmtnode = blockdev_of(argv, vol.path)
            assert fnode["driver"] == "file", fnode
            assert fmtnode["driver"] == fmt, (vol.name, fmtnode)
            assert not fnode.get("read-only") and not fmtnode.get("read-only")
        # and it has the files open
        fds = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        assert {q.path, r.path} <= fds, f"QEMU does not hold the volumes open: {sorted(fds)}"

        # storaged knows who uses them
        assert env.in_use(uuid) == sorted([(uuid, q.path), (uuid, r.path)]), env.in_use()
        assert q.users() == [uuid] and r.users() == [uuid]

        # the guest sees two disks of the volumes' capacities
        wait_until(lambda: len(re.findall(DISK_RE, serial.read_bytes()
                                          if serial.exists() else b"")) >= 2,
                   BOOT_TIMEOUT, 0.1, "VIRTBUS-GUEST-DISK x2 on the console")
        seen = {m[0].decode(): int(m[1]) * 512 for m in re.findall(DISK_RE, serial.read_bytes())}
        assert seen == {"vda": q.capacity, "vdb": r.capacity}, seen
        print(f"\nguest saw {seen} after {time.monotonic() - started:.1f} s")

        # busy while it runs
        assert_busy(env, q, dom)
        assert_busy(env, r, dom)
    finally:
        dom.destroy()

    # Destroy released the marks (ReleaseOwner went out before Destroy's reply)
    assert env.in_use(uuid) == [], env.in_use()
    assert q.users() == [] and r.users() == []
    assert not dom.status_file.exists()
    # the inactive XML after the run is the definition, still
    assert xml_disks(dom.call("GetXMLDesc", 0)) == xml_disks(defined)
    dom.call("Undefine", 0)
    for vol in (q, r):
        vol.call("Delete", 0)
        assert not os.path.exists(vol.path) and not vol.exists()


def test_in_use_volume_refused_until_destroy(env):
    """Delete, Wipe and shrink of a running idle guest's volumes are refused;
    after Destroy, shrink, wipe and delete work."""
    q = env.volume("busy.qcow2", 64 * MIB, "qcow2")
    r = env.volume("busy.raw", 16 * MIB, "raw")
    with open(r.path, "r+b") as f:                 # data a wipe would zero
        f.write(b"VIRTBUS-DATA" * 100)
    dom = env.define(idle_xml("busyvm", volume_disk(POOL, q.name, "vda") + "\n" +
                              volume_disk(POOL, r.name, "vdb", driver="raw")))
    dom.start()
    try:
        assert dom.state() == (S.RUNNING, 1)
        assert env.in_use(dom.uuid) == sorted([(dom.uuid, q.path), (dom.uuid, r.path)])
        assert xml_disks(dom.call("GetXMLDesc", 0))["vda"][1] == "qcow2"
        for vol in (q, r):
            assert_busy(env, vol, dom)
        with open(r.path, "rb") as f:
            assert f.read(12) == b"VIRTBUS-DATA", "a refused wipe touched the data"
        # asked a second time: still busy
        with dbus_error("ResourceBusy", q.name, dom.uuid) as e:
            q.call("Delete", 0)
        print(f"\nin use: {e.message}")
    finally:
        dom.destroy()
    assert env.in_use(dom.uuid) == []

    q.call("Resize", q.capacity // 2, SHRINK)
    assert q.info()[1] == q.capacity // 2
    r.call("Wipe", 0, 0)
    with open(r.path, "rb") as f:
        assert f.read(12) == bytes(12)
    for vol in (q, r):
        vol.call("Delete", 0)
        assert not os.path.exists(vol.path) and not vol.exists()
    dom.call("Undefine", 0)


def test_missing_volume_or_pool(env):
    """Create fails with storaged's error naming what is missing; the domain
    is shut off (failed) with nothing left behind; it starts once the volume
    exists."""
    ok = env.volume("present.raw", 8 * MIB, "raw")
    dom = env.define(idle_xml("novolvm", volume_disk(POOL, ok.name, "vda") + "\n" +
                              volume_disk(POOL, "nosuch.qcow2", "vdb")))
    try:
        with dbus_error("NoStorageVol", "nosuch.qcow2", POOL) as e:
            dom.start()
        print(f"\nmissing volume: {e.message}")
        assert_nothing_left(env, dom)
        time.sleep(0.5)                            # nothing arrives late either
        assert env.in_use() == [], env.in_use()
        assert ok.users() == []
        # the volume that did resolve is not busy
        ok.call("Wipe", 0, 0)
        # the domain's definition did not change
        assert xml_disks(dom.call("GetXMLDesc", 2))["vdb"] == \
            ("volume", None, {"pool": POOL, "volume": "nosuch.qcow2"})

        # a pool that does not exist
        nopool = env.define(idle_xml("nopoolvm", volume_disk(POOL, ok.name, "vda") + "\n" +
                                     volume_disk("nosuchpool", "x.raw", "vdb")))
        with dbus_error("NoStoragePool", "nosuchpool") as e:
            nopool.start()
        print(f"missing pool: {e.message}")
        assert_nothing_left(env, nopool)
        nopool.call("Undefine", 0)

        # a pool that exists but is not active
        idle_pool = env.s.define(dir_pool_xml("vbidle", env.root / "idle-pool"))
        inact = env.define(idle_xml("inactpoolvm", volume_disk("vbidle", "x.raw", "vda")))
        with dbus_error("OperationInvalid", "vbidle") as e:
            inact.start()
        print(f"inactive pool: {e.message}")
        assert_nothing_left(env, inact)
        inact.call("Undefine", 0)
        env.s.pool(idle_pool, "Undefine")

        # transient: no domain left at all
        before = sorted(env.qemud.call("ListDomains", 0))
        xml = idle_xml("transvm", volume_disk(POOL, "nosuch.raw", "vda"))
        tuuid = re.search(r"<uuid>([^<]+)</uuid>", xml).group(1)
        with dbus_error("NoStorageVol", "nosuch.raw"):
            env.qemud.call("DomainCreateXML", xml, 0)
        assert sorted(env.qemud.call("ListDomains", 0)) == before
        with dbus_error("NoDomain"):
            env.qemud.call("DomainLookupByName", "transvm")
        assert qemu_pids_of(tuuid) == [] and env.in_use(tuuid) == []
        assert not (env.run_dir / "transvm.xml").exists()

        # the volume appears: the same domain starts, with both marked
        late = env.volume("nosuch.qcow2", 8 * MIB, "qcow2")
        dom.start()
        assert dom.state() == (S.RUNNING, 1)
        assert env.in_use(dom.uuid) == sorted([(dom.uuid, ok.path), (dom.uuid, late.path)])
        dom.destroy()
        assert env.in_use(dom.uuid) == []
        late.call("Delete", 0)
    finally:
        if dom.state()[0] != S.SHUTOFF:
            dom.call("Destroy", 0)
        dom.call("Undefine", 0)
        ok.call("Delete", 0)


def restart(daemon):
    first = daemon.pid
    assert daemon.kill(signal.SIGKILL) == -signal.SIGKILL
    daemon.start()
    assert daemon.pid != first


def test_in_use_survives_qemud_sigkill(env):
    """The marks are storaged's: qemud killed and started again (storaged
    too) changes nothing; Destroy after the restart releases them."""
    q = env.volume("keep.qcow2", 32 * MIB, "qcow2")
    r = env.volume("keep.raw", 8 * MIB, "raw")
    dom = env.define(idle_xml("keepvm", volume_disk(POOL, q.name, "vda") + "\n" +
                              volume_disk(POOL, r.name, "vdb")))
    dom.start()
    try:
        pid = dom.pid()
        marks = sorted([(dom.uuid, q.path), (dom.uuid, r.path)])
        assert env.in_use(dom.uuid) == marks

        assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
        assert pid_alive(pid), "QEMU died with virtbus-qemud"
        # nobody to speak for the guest: storaged still refuses
        assert env.in_use(dom.uuid) == marks
        with dbus_error("ResourceBusy", q.name, dom.uuid):
            q.call("Delete", 0)
        assert not env.bus.name_has_owner(QEMUD), "storaged activated qemud"
        env.qemud.start()

        assert dom.pid() == pid and dom.state() == (S.RUNNING, 1)
        live = dom.call("GetXMLDesc", 0)
        xmllint_relaxng(live, "domain", "live XML after a restart of qemud")
        assert xml_disks(live)["vda"] == ("volume", "qcow2", {"pool": POOL, "volume": q.name})
        assert env.in_use(dom.uuid) == marks
        assert_busy(env, q, dom)
        assert_busy(env, r, dom)

        # storaged killed and started again keeps its table
        restart(env.storaged_daemon)
        assert env.in_use(dom.uuid) == marks
        assert_busy(env, r, dom)
    finally:
        dom.destroy()
    env.wait_released(dom.uuid)
    assert env.in_use(dom.uuid) == []
    for vol in (q, r):
        vol.call("Delete", 0)
        assert not os.path.exists(vol.path)
    dom.call("Undefine", 0)


def test_guest_gone_while_qemud_is_down(env):
    """QEMU dies while qemud is down: qemud, started again, reports the guest
    shut off (crashed) and releases its volumes."""
    v = env.volume("lost.raw", 8 * MIB, "raw")
    dom = env.define(idle_xml("lostvm", volume_disk(POOL, v.name, "vda")))
    dom.start()
    try:
        pid = dom.pid()
        assert env.in_use(dom.uuid) == [(dom.uuid, v.path)]
        assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
        os.kill(pid, signal.SIGKILL)               # the QEMU this test's qemud started
        wait_until(lambda: not pid_alive(pid), 15, what=f"QEMU {pid} to exit")
        assert env.in_use(dom.uuid) == [(dom.uuid, v.path)]
        env.qemud.start()
        assert dom.state() == (S.SHUTOFF, SHUTOFF_CRASHED), dom.state()
        env.wait_released(dom.uuid)
        assert not dom.status_file.exists()
        v.call("Delete", 0)
        assert not os.path.exists(v.path)
    finally:
        if dom.state()[0] != S.SHUTOFF:
            dom.call("Destroy", 0)
        dom.call("Undefine", 0)


LOCKD, LOCKD_PATH, LOCK1 = "org.virtbus.lockd", "/org/virtbus/lockd", "org.virtbus.Lock1"


def leases_of(env, dom):
    """lockd's ListLeases (activates lockd) for `dom`: sorted (path, uuid, name, pid, flags)."""
    return sorted(tuple(l[:5]) for l in env.bus.call(LOCKD, LOCKD_PATH, LOCK1, "ListLeases")
                  if l[1] == dom.uuid)


def kill_lockd(env):
    """SIGKILLs the lockd this test's bus activated (by its pid)."""
    pid = env.bus.name_owner_pid(LOCKD)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not env.bus.name_has_owner(LOCKD), 10, what="lockd to leave the bus")
    return pid


def test_second_guest_on_a_volume_and_the_lease_after_restarts(env):
    """qemud takes a lockd lease on the volume's path: a second guest on the
    same volume is refused (ResourceBusy from lockd), and its failed start
    leaves the first guest's in-use mark alone. After qemud was SIGKILLed and
    started again, a lockd that comes back after a SIGKILL gets the lease on
    the volume again, and the second guest is still refused."""
    v = env.volume("shared.raw", 8 * MIB, "raw")
    # and a plain file disk beside it, to tell a volume's lease from any other
    plain = env.root / "plain.raw"
    plain.write_bytes(b"")
    os.truncate(plain, 4 * MIB)
    file_disk = (f"    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw'/>\n"
                 f"      <source file='{plain}'/>\n      <target dev='vdb' bus='virtio'/>\n"
                 f"    </disk>")
    a = env.define(idle_xml("owner", volume_disk(POOL, v.name, "vda") + "\n" + file_disk))
    b = env.define(idle_xml("intruder", volume_disk(POOL, v.name, "vda")))
    a.start()
    try:
        want = sorted([(v.path, a.uuid, a.name, a.pid(), 0), (str(plain), a.uuid, a.name, a.pid(), 0)])
        assert leases_of(env, a) == want

        def refuse_b():
            with dbus_error("ResourceBusy", v.path):
                b.start()
            wait_until(lambda: b.state()[0] == S.SHUTOFF, 15, what="intruder shut off")
            wait_until(lambda: qemu_pids_of(b.uuid) == [], 15, what="intruder's QEMU to go")
            assert env.in_use(b.uuid) == [], env.in_use()
            assert env.in_use(a.uuid) == [(a.uuid, v.path)], env.in_use()
            with dbus_error("ResourceBusy", v.name, a.uuid):
                v.call("Delete", 0)

        refuse_b()

        # control: lockd killed while qemud never restarted -> the lease comes back
        kill_lockd(env)
        wait_until(lambda: leases_of(env, a) == want, 15,
                   what="qemud to take the volume's lease again from the activated lockd")
        refuse_b()

        # qemud SIGKILLed and started again (it adopts the guest), then lockd
        assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
        env.qemud.start()
        assert a.state() == (S.RUNNING, 1)
        assert leases_of(env, a) == want
        kill_lockd(env)
        try:
            wait_until(lambda: leases_of(env, a) == want, 10,
                       what="the restarted qemud to take the volume's lease again")
        except TimeoutError as e:
            # what that lets happen: only QEMU's own image lock (same host,
            # not across hosts sharing lockd's lockspace) stands in the way
            try:
                b.start()
                also = f"{b.name} then STARTED on the same volume"
            except Exception as x:                     # noqa: BLE001
                also = f"{b.name} refused by: {str(x).splitlines()[-1][-160:]}"
            raise AssertionError(
                f"{e}; leases of {a.name} now: {leases_of(env, a)}; {also}; the volume's "
                f"path in the live state {a.status_file.name}: "
                f"{v.path in a.status_file.read_text()}") from None
        refuse_b()
    finally:
        for d in (b, a):
            if d.state()[0] != S.SHUTOFF:
                d.call("Destroy", 0)
    env.wait_released(a.uuid)
    v.call("Delete", 0)
    a.call("Undefine", 0)
    b.call("Undefine", 0)


def test_release_reaches_a_storaged_that_was_down(env):
    """storaged SIGKILLed while the guest runs: Destroy still answers at once,
    its ReleaseOwner D-Bus activates storaged again, which reads its table
    back and releases the volume."""
    v = env.volume("down.raw", 8 * MIB, "raw")
    dom = env.define(idle_xml("downvm", volume_disk(POOL, v.name, "vda")))
    dom.start()
    activated = None
    try:
        assert env.in_use(dom.uuid) == [(dom.uuid, v.path)]
        assert env.storaged_daemon.kill(signal.SIGKILL) == -signal.SIGKILL
        started = time.monotonic()
        dom.destroy()
        assert time.monotonic() - started < 10, "Destroy waited for storaged"
        wait_until(lambda: env.bus.name_has_owner("org.virtbus.storaged"), 15,
                   what="qemud's ReleaseOwner to activate storaged")
        activated = env.bus.name_owner_pid("org.virtbus.storaged")
        env.wait_released(dom.uuid)
        v.call("Delete", 0)
        assert not os.path.exists(v.path)
    finally:
        if dom.state()[0] != S.SHUTOFF:
            dom.call("Destroy", 0)
        dom.call("Undefine", 0)
        # back to the storaged this module started (the activated one is this bus's)
        if activated is None and env.bus.name_has_owner("org.virtbus.storaged") \
                and not env.storaged_daemon.alive():
            activated = env.bus.name_owner_pid("org.virtbus.storaged")
        if activated is not None:
            os.kill(activated, signal.SIGKILL)
            wait_until(lambda: not env.bus.name_has_owner("org.virtbus.storaged"), 10,
                       what="the activated storaged to leave the bus")
        if not env.storaged_daemon.alive():
            env.storaged_daemon.start()


def qcow2_header(tmpdir, backing):
    """The first bytes of a qcow2 image whose backing file is `backing`."""
    img = Path(tmpdir) / f"hdr-{uuidlib.uuid4().hex[:6]}.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-F", "raw", "-b",
                    str(backing), str(img), "1M"], check=True, capture_output=True)
    data = img.read_bytes()[:64 * 1024]
    img.unlink()
    return data


def test_declared_format_wins_over_the_data(env):
    """A raw volume whose data starts with a qcow2 header (as a guest could
    write it) stays raw: storaged resolves it as raw after a Refresh and a
    restart, and QEMU opens it with the raw driver (the "backing file" the
    header names is never opened)."""
    v = env.volume("evil.raw", 8 * MIB, "raw")
    secret = env.root / "host-secret"
    secret.write_bytes(b"HOST-SECRET" * 100)
    with open(v.path, "r+b") as f:               # same inode: the xattr stays
        f.write(qcow2_header(env.root, secret))
    env.s.pool(env.pool, "Refresh", 0)
    restart(env.storaged_daemon)
    assert env.s.storage1("ResolveVolume", POOL, v.name)[1:] == (v.path, "raw", "file")
    dom = env.define(idle_xml("evilvm", volume_disk(POOL, v.name, "vda")))
    dom.start()
    try:
        assert xml_disks(dom.call("GetXMLDesc", 0))["vda"][1] == "raw"
        pid = dom.pid()
        _, fmt = blockdev_of(qemu_argv(pid), v.path)
        assert fmt["driver"] == "raw", fmt
        fds = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        assert str(secret) not in fds
    finally:
        dom.destroy()
    assert env.in_use(dom.uuid) == []
    dom.call("Undefine", 0)
    v.call("Delete", 0)


def test_volume_of_a_format_qemud_does_not_run(env):
    """A file put in the pool by hand, probed as vdi: Create fails with
    NotSupported naming the volume and the format, and leaves nothing."""
    img = env.pool_dir / "hand.vdi"
    subprocess.run(["qemu-img", "create", "-q", "-f", "vdi", str(img), "4M"], check=True,
                   capture_output=True)
    env.s.pool(env.pool, "Refresh", 0)
    assert env.s.storage1("ResolveVolume", POOL, "hand.vdi")[2] == "vdi"
    dom = env.define(idle_xml("vdivm", volume_disk(POOL, "hand.vdi", "vda")))
    try:
        with dbus_error("NotSupported", "hand.vdi", "vdi") as e:
            dom.start()
        print(f"\nvdi volume: {e.message}")
        assert_nothing_left(env, dom)
        # an explicit <driver type='raw'> is the user's word: it runs, as raw
        dom.call("Undefine", 0)
        dom = env.define(idle_xml("vdivm", volume_disk(POOL, "hand.vdi", "vda", driver="raw"),
                                  uuid=dom.uuid))
        dom.start()
        _, fmt = blockdev_of(qemu_argv(dom.pid()), str(img))
        assert fmt["driver"] == "raw"
        dom.destroy()
        assert env.in_use(dom.uuid) == []
    finally:
        if dom.state()[0] != S.SHUTOFF:
            dom.call("Destroy", 0)
        dom.call("Undefine", 0)
        vol = env.s.pool(env.pool, "StorageVolLookupByName", "hand.vdi")
        env.s.vol(vol, "Delete", 0)
