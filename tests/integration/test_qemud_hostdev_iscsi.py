# SPDX-License-Identifier: LGPL-2.1-or-later
"""<hostdev type='scsi'> with an iSCSI source in virtbus-qemud, against a
real iSCSI target: Debian's tgt (tgtd, the user-space SCSI target, since
this host has no LIO modules) on 127.0.0.1, a file-backed LUN per target,
one target open and one behind a CHAP login whose password is a secret in
virtbus-secretd. QEMU (Debian's qemu-block-extra: libiscsi) logs in at start
and its scsi-generic device asks the LUN at once, so a running guest means
the LUN was reached: tgtd lists each session with the initiator name the
definition gave. A wrong password, or a target nobody serves, fails the start
naming the target, the guest left shut off. Over D-Bus and with virsh
through virtbus-proxyd. Hot-plug: a LUN with or without a login, and an
iSCSI <disk> with <auth> unplugged and plugged again, QEMU's secret
objects and nodes checked over QMP.

The test guest's initramfs has no SCSI drivers, so no guest is booted: what
the guest would see is QEMU's scsi-generic on the LUN (the golden file
tests/data/qemu-command/hostdev-scsi-iscsi.args shows the whole line).
"""

import os
import re
import shutil
import signal
import socket
import subprocess

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import dbus_error, module_env, xmllint_relaxng

env = module_env()

SECRETD = "org.virtbus.secretd"
SECRETD_ROOT = "/org/virtbus/secretd"
ISCSI_MODULE = "/usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so"
TGTD, TGTADM = shutil.which("tgtd"), shutil.which("tgtadm")
OPEN_IQN = "iqn.2026-12.org.virtbus:open"
CHAP_IQN = "iqn.2026-12.org.virtbus:chap"
INITIATOR = "iqn.2026-12.org.virtbus:guest-one"
CHAP_USER, CHAP_PASS = "vbuser", "chap-secret-12"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_control():
    """A management channel number no tgtd uses (tgtd takes small ones:
    its socket is /var/run/tgtd/socket.N)."""
    n = 1000 + os.getpid() % 8000
    while os.path.exists(f"/var/run/tgtd/socket.{n}"):
        n += 1
    return n


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Tgtd:
    """tgtd on 127.0.0.1:port with its own management channel (so that no
    other tgtd on the host is touched), two targets with LUN 1 on files."""

    def __init__(self, files):
        self.port, self.control = free_port(), free_control()
        self.proc = subprocess.Popen([TGTD, "-f", "-C", str(self.control), "--iscsi",
                                      f"portal=127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        h.wait_until(lambda: listening(self.port) or self.proc.poll() is not None, 20, 0.1, "tgtd listening")
        if self.proc.poll() is not None:
            raise AssertionError(f"tgtd ended: {self.proc.stderr.read().decode(errors='replace')}")
        for tid, iqn in ((1, OPEN_IQN), (2, CHAP_IQN)):
            lun = files / f"lun{tid}.img"
            lun.write_bytes(b"\0" * (4 << 20))
            self.adm("--mode", "target", "--op", "new", "--tid", tid, "--targetname", iqn)
            self.adm("--mode", "logicalunit", "--op", "new", "--tid", tid, "--lun", 1, "--backing-store", lun)
            self.adm("--mode", "target", "--op", "bind", "--tid", tid, "--initiator-address", "ALL")
        self.adm("--mode", "account", "--op", "new", "--user", CHAP_USER, "--password", CHAP_PASS)
        self.adm("--mode", "account", "--op", "bind", "--tid", 2, "--user", CHAP_USER)

    def adm(self, *args):
        r = subprocess.run([TGTADM, "-C", str(self.control), "--lld", "iscsi"] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, f"tgtadm {' '.join(map(str, args))}: {r.stdout}{r.stderr}"
        return r.stdout

    def sessions(self):
        """{target IQN: [initiator names of its sessions]}"""
        out, target, seen = self.adm("--mode", "target", "--op", "show"), None, {}
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("Target "):
                target = line.split(": ", 1)[1]
                seen[target] = []
            elif line.startswith("Initiator: "):
                seen[target].append(line.split(": ", 1)[1].split(" ")[0])
        return seen

    def stop(self):
        # tgtd leaves on its management channel's word (SIGTERM is not
        # enough while it has targets)
        for tid in (1, 2):
            subprocess.run([TGTADM, "-C", str(self.control), "--lld", "iscsi", "--mode", "target", "--op", "delete",
                            "--force", "--tid", str(tid)], capture_output=True, timeout=30)
        subprocess.run([TGTADM, "-C", str(self.control), "--lld", "iscsi", "--mode", "system", "--op", "delete"],
                       capture_output=True, timeout=30)
        try:
            self.proc.wait(10)
            return self._unlink()
        except subprocess.TimeoutExpired:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._unlink()

    def _unlink(self):
        for suffix in ("", ".lock"):
            try:
                os.unlink(f"/var/run/tgtd/socket.{self.control}{suffix}")
            except OSError:
                pass


@pytest.fixture(scope="module")
def tgt(env):
    if not TGTD or not TGTADM:
        pytest.skip("tgtd is not installed (Debian's tgt: scripts/install-deps.sh check)")
    if not os.path.exists(ISCSI_MODULE):
        pytest.skip(f"QEMU has no iscsi block driver here ({ISCSI_MODULE}: Debian's qemu-block-extra)")
    files = env.root / "iscsi"
    files.mkdir()
    t = Tgtd(files)
    yield t
    t.stop()


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    h.register_log("virtbus-proxyd", p.log_path)
    yield p
    p.stop()


def define_secret(env, usage, value):
    path = env.bus.call(SECRETD, SECRETD_ROOT, "org.libvirt.Connect", "SecretDefineXML",
                        f"<secret><usage type='iscsi'><target>{usage}</target></usage></secret>", 0,
                        signature="su")
    env.bus.call(SECRETD, path, "org.libvirt.Secret", "SetValue", dbus.ByteArray(value.encode()), 0,
                 signature="ayu")
    return path


def lun(port, iqn, unit, extra=""):
    return (f"<hostdev mode='subsystem' type='scsi' managed='yes'>"
            f"<source protocol='iscsi' name='{iqn}/1'><host name='127.0.0.1' port='{port}'/>{extra}</source>"
            f"<address type='drive' controller='0' bus='0' target='0' unit='{unit}'/></hostdev>")


def domain(name, devices):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    <controller type='scsi' index='0' model='virtio-scsi'/>
    {devices}
  </devices>
</domain>"""


def chap(usage):
    return f"<auth username='{CHAP_USER}'><secret type='iscsi' usage='{usage}'/></auth>"


INIT = f"<initiator><iqn name='{INITIATOR}'/></initiator>"


def test_guest_runs_on_both_luns(env, tgt):
    define_secret(env, "chap-ok", CHAP_PASS)
    path = env.call("DomainDefineXML", domain("iscsi-1", lun(tgt.port, OPEN_IQN, 1, INIT)
                                              + lun(tgt.port, CHAP_IQN, 2, chap("chap-ok"))))
    try:
        inactive = env.dcall(path, "GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert f"<source protocol='iscsi' name='{OPEN_IQN}/1'>" in inactive
        assert f"<iqn name='{INITIATOR}'/>" in inactive and "usage='chap-ok'" in inactive
        env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.RUNNING
        sessions = tgt.sessions()
        assert INITIATOR in sessions[OPEN_IQN], sessions
        assert len(sessions[CHAP_IQN]) == 1, sessions
        pid = int(env.status_pid("iscsi-1"))
        argv = open(f"/proc/{pid}/cmdline", "rb").read()
        assert b'"driver":"iscsi"' in argv and b'"driver":"scsi-generic"' in argv
        assert CHAP_PASS.encode() not in argv
        # the LUN with a login, unplugged: its node and secret object go
        env.dcall(path, "DetachDevice", lun(tgt.port, CHAP_IQN, 2, chap("chap-ok")), 1)
        h.wait_until(lambda: not tgt.sessions()[CHAP_IQN], 30, 0.2, "the unplugged LUN's session closed")
        assert CHAP_IQN not in env.dcall(path, "GetXMLDesc", 0)
        env.dcall(path, "Destroy", 0)
        # QEMU's sessions end with it
        h.wait_until(lambda: not any(tgt.sessions().values()), 30, 0.2, "tgtd's sessions closed")
    finally:
        if env.state(path)[0] != h.DomainState.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


def test_wrong_password_fails_naming_the_target(env, tgt):
    define_secret(env, "chap-bad", "not-the-password")
    path = env.call("DomainDefineXML", domain("iscsi-2", lun(tgt.port, CHAP_IQN, 1, chap("chap-bad"))))
    try:
        before = env.dcall(path, "GetXMLDesc", 2)
        with dbus_error("OperationFailed", "iSCSI", CHAP_IQN):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.SHUTOFF
        assert env.dcall(path, "GetXMLDesc", 2) == before
    finally:
        env.dcall(path, "Undefine", 0)


def test_missing_secret_names_the_hostdev(env, tgt):
    path = env.call("DomainDefineXML", domain("iscsi-4", lun(tgt.port, CHAP_IQN, 1, chap("no-such-usage"))))
    try:
        with dbus_error("NoSecret", "hostdev 'hostdev0'", "no-such-usage"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.SHUTOFF
    finally:
        env.dcall(path, "Undefine", 0)


def test_unreachable_target_is_named(env, tgt):
    port = free_port()
    path = env.call("DomainDefineXML", domain("iscsi-3", lun(port, OPEN_IQN, 1)))
    try:
        with dbus_error("OperationFailed", "iSCSI", f"127.0.0.1:{port}", OPEN_IQN):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.SHUTOFF
    finally:
        env.dcall(path, "Undefine", 0)


def test_virsh_define_start_destroy(env, tgt, proxy, tmp_path):
    xml = tmp_path / "iscsi-virsh.xml"
    # no LUN in the name: libvirt's LUN 0, tgtd's controller
    xml.write_text(domain("iscsi-virsh", lun(tgt.port, OPEN_IQN, 1).replace(f"{OPEN_IQN}/1", OPEN_IQN)))
    proxy.virsh("define", xml)
    try:
        dumped = proxy.virsh("dumpxml", "iscsi-virsh").stdout
        assert f"<source protocol='iscsi' name='{OPEN_IQN}/0'>" in dumped
        assert f"<host name='127.0.0.1' port='{tgt.port}'/>" in dumped
        proxy.virsh("start", "iscsi-virsh")
        assert "running" in proxy.virsh("domstate", "iscsi-virsh").stdout
        assert len(tgt.sessions()[OPEN_IQN]) == 1
        proxy.virsh("destroy", "iscsi-virsh")
    finally:
        proxy.virsh("destroy", "iscsi-virsh", check=False)
        proxy.virsh("undefine", "iscsi-virsh")


def qemu_objects(env, name):
    """(QEMU's secret objects, its block nodes) over its monitor, qemud
    SIGKILLed meanwhile (it holds the monitor) and started again: it finds
    the guest, and what was plugged, again."""
    monitor = re.search(r"<monitor path='([^']+)'", env.status_file(name).read_text()).group(1)
    env.qemud.kill(signal.SIGKILL)
    try:
        qmp = h.Qmp(monitor, timeout=20)
        try:
            objs = qmp.cmd("qom-list", path="/objects")
            nodes = qmp.cmd("query-named-block-nodes")
        finally:
            qmp.close()
    finally:
        env.qemud.start()
    return (sorted(o["name"] for o in objs if o["type"] == "child<secret>"),
            sorted(n["node-name"] for n in nodes))


def test_lun_hot_plugged_and_unplugged(env, tgt, proxy, tmp_path):
    """AttachDevice of an iSCSI hostdev to a running guest: QEMU logs in
    (blockdev-add) and plugs scsi-generic; DetachDevice ends the session.
    Over D-Bus, then with virsh attach-device/detach-device. One behind a
    CHAP login: its secret is asked of secretd at plug time and given to
    QEMU as a secret object (with the master key the plug adds), and the
    unplug removes the device, its node and the secret object; a wrong
    password fails the plug and leaves nothing behind."""
    define_secret(env, "chap-plug", CHAP_PASS)
    define_secret(env, "chap-plug-bad", "not-the-password")
    path = env.call("DomainDefineXML", domain("iscsi-plug", ""))
    dev = lun(tgt.port, OPEN_IQN, 1, INIT)
    login = lun(tgt.port, CHAP_IQN, 2, chap("chap-plug"))
    try:
        env.dcall(path, "Create", 0)
        before = env.dcall(path, "GetXMLDesc", 0)
        with dbus_error("OperationFailed", CHAP_IQN) as e:
            env.dcall(path, "AttachDevice", lun(tgt.port, CHAP_IQN, 2, chap("chap-plug-bad")), 1)
        print(f"\nwrong CHAP password: {e.message}")
        assert env.dcall(path, "GetXMLDesc", 0) == before
        assert qemu_objects(env, "iscsi-plug") == ([], [])
        env.dcall(path, "AttachDevice", login, 1)
        assert len(tgt.sessions()[CHAP_IQN]) == 1
        secrets, nodes = qemu_objects(env, "iscsi-plug")
        assert secrets == ["hostdev0-auth-secret0", "masterKey0"] and nodes, (secrets, nodes)
        assert f"name='{CHAP_IQN}/1'" in env.dcall(path, "GetXMLDesc", 0)   # known after the restart
        env.dcall(path, "DetachDevice", login, 1)
        h.wait_until(lambda: not tgt.sessions()[CHAP_IQN], 30, 0.2, "the unplugged LUN's session closed")
        assert qemu_objects(env, "iscsi-plug") == (["masterKey0"], [])
        env.dcall(path, "AttachDevice", dev, 1)
        live = env.dcall(path, "GetXMLDesc", 0)
        assert f"<source protocol='iscsi' name='{OPEN_IQN}/1'>" in live
        assert INITIATOR in tgt.sessions()[OPEN_IQN]
        env.dcall(path, "DetachDevice", dev, 1)
        assert "protocol='iscsi'" not in env.dcall(path, "GetXMLDesc", 0)
        h.wait_until(lambda: not tgt.sessions()[OPEN_IQN], 30, 0.2, "the unplugged LUN's session closed")
        for xml, iqn in ((dev, OPEN_IQN), (login, CHAP_IQN)):
            f = tmp_path / "lun.xml"
            f.write_text(xml)
            proxy.virsh("attach-device", "iscsi-plug", f, "--live")
            assert len(tgt.sessions()[iqn]) == 1
            proxy.virsh("detach-device", "iscsi-plug", f, "--live")
            h.wait_until(lambda: not tgt.sessions()[iqn], 30, 0.2, "the unplugged LUN's session closed")
    finally:
        if env.state(path)[0] != h.DomainState.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


def iscsi_disk(port, iqn, usage, dev="sda"):
    return (f"<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
            f"<source protocol='iscsi' name='{iqn}/1'><host name='127.0.0.1' port='{port}'/></source>"
            f"{chap(usage)}<target dev='{dev}' bus='scsi'/></disk>")


def test_iscsi_disk_with_login_unplugged_and_plugged(env, tgt):
    """A <disk type='network'> on the CHAP target with <auth>: started with
    it, DetachDevice removes its device, nodes and secret object by id (its
    value was fetched at start, not now); AttachDevice asks secretd again at
    plug time; qemud SIGKILLed in between still knows the disk."""
    define_secret(env, "chap-disk", CHAP_PASS)
    dev = iscsi_disk(tgt.port, CHAP_IQN, "chap-disk")
    path = env.call("DomainDefineXML", domain("iscsi-disk", dev))
    try:
        env.dcall(path, "Create", 0)
        assert len(tgt.sessions()[CHAP_IQN]) == 1
        secrets, nodes = qemu_objects(env, "iscsi-disk")
        assert secrets == ["masterKey0", "scsi0-0-0-0-auth-secret0"] and nodes, (secrets, nodes)
        env.dcall(path, "DetachDevice", dev, 1)
        h.wait_until(lambda: not tgt.sessions()[CHAP_IQN], 30, 0.2, "the unplugged disk's session closed")
        assert qemu_objects(env, "iscsi-disk") == (["masterKey0"], [])
        env.dcall(path, "AttachDevice", dev, 1)
        assert len(tgt.sessions()[CHAP_IQN]) == 1
        secrets, nodes = qemu_objects(env, "iscsi-disk")
        assert secrets == ["masterKey0", "scsi0-0-0-0-auth-secret0"] and nodes, (secrets, nodes)
        assert f"name='{CHAP_IQN}/1'" in env.dcall(path, "GetXMLDesc", 0)
        env.dcall(path, "DetachDevice", dev, 1)
        h.wait_until(lambda: not tgt.sessions()[CHAP_IQN], 30, 0.2, "the unplugged disk's session closed")
        assert qemu_objects(env, "iscsi-disk") == (["masterKey0"], [])
    finally:
        if env.state(path)[0] != h.DomainState.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)
