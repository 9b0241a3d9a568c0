# SPDX-License-Identifier: LGPL-2.1-or-later
"""The guest's other controls with the real test guest (TCG, booted once):
SendKey, InjectNMI, PMWakeup, Rename, Get/SetMetadata and MetadataChange,
GetControlInfo, GetDiskErrors and IOError from a disk that runs out of space,
BlockPeek, MemoryPeek, the Graphics signal of a VNC client, bad input, and
virsh's send-key, inject-nmi, domrename, metadata, desc, domblkerror,
domcontrol through the proxy.

The guest's console is a unix socket with a root shell on it
(virtbus.shell), so that the tests can make the guest write its disk."""

import os
import re
import socket
import subprocess
import threading
import time

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import (QEMUD, READY, Guest, assert_same_snapshot, dbus_error, module_env,
                               snapshot)
from virtbus_harness import DomainState as S

pytestmark = pytest.mark.timeout(300)

env = module_env()

NS = "http://example.org/virtbus-test/"
DISK_MIB = 64        # what the guest sees
TMPFS_KIB = 1024     # what the host has for it: the guest's writes run out


class Console:
    """The guest's serial console on a unix socket: everything it printed,
    and a way to type into its shell."""

    def __init__(self, path):
        self.path = str(path)
        self.buf = bytearray()
        self.cond = threading.Condition()
        self.sock = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        deadline = time.monotonic() + 60
        while self.sock is None and time.monotonic() < deadline:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.path)
                self.sock = s
            except OSError:
                s.close()
                time.sleep(0.02)
        while self.sock is not None:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            with self.cond:
                if not data:
                    self.sock = None
                else:
                    self.buf += data
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.buf)

    def text(self, since=0):
        with self.cond:
            return bytes(self.buf[since:]).decode(errors="replace")

    def wait(self, pattern, timeout=60, since=0):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = rx.search(bytes(self.buf[since:]).decode(errors="replace"))
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{pattern!r} not on the console within {timeout}s; it ends with:\n"
                                         + bytes(self.buf[-1500:]).decode(errors="replace"))
                self.cond.wait(min(left, 0.5))

    def run(self, command, timeout=60):
        """Types command into the shell; returns what it printed."""
        tag = f"DONE{time.monotonic_ns()}"
        since = self.mark()
        self.sock.sendall(f"{command}; echo {tag}\n".encode())
        # the echo of the typed line holds the tag too: wait for it alone on a line
        self.wait(rf"(?m)^{tag}\r?$", timeout, since)
        return self.text(since)

    def close(self):
        s, self.sock = self.sock, None
        if s:
            s.close()


@pytest.fixture(scope="module")
def tmpfs(env):
    """A tiny tmpfs for the guest's disk (the host side runs out of space)."""
    mnt = env.root / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_KIB}k", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def vm(env, tmpfs):
    """The test guest, booted once: vda on the tiny tmpfs, vdb a pattern
    file, VNC on loopback, its console a shell on a unix socket."""
    disk = tmpfs / "small.raw"
    subprocess.run(["truncate", "-s", f"{DISK_MIB}M", str(disk)], check=True)
    pattern = env.root / "pattern.raw"
    with open(pattern, "wb") as f:
        f.write(bytes(range(256)) * 4096)        # 1 MiB: byte i is i % 256
    sock = env.root / "ctl.console"
    extra = (f"    <serial type='unix'>\n      <source mode='bind' path='{sock}'/>\n"
             f"      <target port='0'/>\n    </serial>\n"
             f"    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>\n"
             f"    <video><model type='vga'/></video>")
    xml = h.guest_domain_xml(env.guest, "ctl", serial_log=None, nic=None,
                             disks=[str(disk), str(pattern)], extra_cmdline="virtbus.shell virtbus.nodhcp",
                             extra_devices=extra)
    path = env.call("DomainDefineXML", xml)
    g = Guest(env, path, "ctl")
    g.call("Create", 0)
    con = Console(sock)
    con.wait(READY, 120)
    con.wait(r"VIRTBUS-GUEST-DISK vdb", 30)
    time.sleep(1)
    con.run("echo shell-up", 30)
    g.console = con
    g.disk = disk
    g.pattern = pattern
    yield g
    con.close()
    try:
        g.call("Destroy", 0)
    except dbus.exceptions.DBusException:
        pass


def signals(env, member, path, since):
    return [m["payload"]["data"] for m in env.mon.signals(member, "org.libvirt.Domain", path, since=since)]


# ---------------------------------------------------------------------------

def test_send_key_and_nmi(env, vm):
    # Harmless keys (Ctrl+Alt+Delete would make busybox init power off),
    # in three code sets: QEMU takes each.
    vm.call("SendKey", 0, 0, [42], 0)                        # linux KEY_LEFTSHIFT
    vm.call("SendKey", 7, 50, [0xe1, 0x04], 0)               # usb: left shift + a
    vm.call("SendKey", 9, 0, [0x2a, 0x1e], 0)                # qnum
    # The guest's keyboard sees a key sent in each set: its input events
    # (type EV_KEY 1, the Linux code, value 1 for the press).
    out = vm.console.run("for e in /sys/class/input/event*; do "
                         "grep -q 'AT Translated' $e/device/name 2>/dev/null && echo KBD=${e##*/}; done", 30)
    kbd = re.search(r"KBD=(event\d+)", out)
    assert kbd, f"no AT keyboard in the guest: {out!r}"
    for codeset, codes, linux in ((0, [30], 0x1e), (7, [0x05], 0x30), (8, [0x43], 0x2e), (5, [0x0d], 0x11),
                                  (3, [0x2d], 0x13)):
        press = f"01 00 {linux:02x} 00 01 00 00 00"
        # A slow (TCG, loaded) guest may still be delivering the keys sent
        # before: od then reads those first. Another try reads past them.
        for attempt in range(3):
            since = vm.console.mark()
            vm.console.sock.sendall(
                f"(od -An -tx1 -w24 -N144 /dev/input/{kbd.group(1)}; echo KEYS-END) &\n".encode())
            time.sleep(1)
            vm.call("SendKey", codeset, 0, codes, 0)
            vm.console.wait(r"(?m)^KEYS-END", 30, since)
            if press in vm.console.text(since):
                break
        assert press in vm.console.text(since), (codeset, codes, vm.console.text(since))
    since = vm.console.mark()
    vm.call("InjectNMI", 0)
    # the guest's kernel says so on its console
    vm.console.wait(r"NMI", 30, since)
    assert vm.state()[0] == S.RUNNING


def test_send_key_bad_input(env, vm):
    before = snapshot(env)
    with dbus_error("InvalidArg", "16"):
        vm.call("SendKey", 0, 0, list(range(2, 19)), 0)     # 17 keys
    with dbus_error("InvalidArg"):
        vm.call("SendKey", 0, 0, dbus.Array([], signature="u"), 0)
    with dbus_error("InvalidArg", "9999", "linux"):
        vm.call("SendKey", 0, 0, [30, 9999], 0)
    with dbus_error("InvalidArg", "atset3"):
        vm.call("SendKey", 4, 0, [0x1c], 0)
    with dbus_error("InvalidArg", "keycode set 42"):
        vm.call("SendKey", 42, 0, [30], 0)
    with dbus_error("InvalidArg", "flags"):
        vm.call("SendKey", 0, 0, [30], 8)
    with dbus_error("InvalidArg", "flags"):
        vm.call("InjectNMI", 1)
    assert_same_snapshot(before, snapshot(env))


def test_pm_wakeup_not_suspended(env, vm):
    before = snapshot(env)
    with dbus_error("OperationInvalid", "not suspended"):
        vm.call("PMWakeup", 0)
    assert_same_snapshot(before, snapshot(env))


def test_not_for_qemu(env, vm):
    """As libvirt's QEMU driver: no process signals, no files."""
    with dbus_error("NotSupported", "virDomainSendProcessSignal"):
        vm.call("SendProcessSignal", 1, 15, 0)
    with dbus_error("NotSupported", "virDomainCreateWithFiles"):
        vm.call("CreateWithFiles", dbus.Array([], signature="h"), 0)
    with dbus_error("NotSupported", "virDomainCreateXMLWithFiles"):
        env.call("DomainCreateXMLWithFiles", "<domain/>", dbus.Array([], signature="h"), 0)
    # OpenGraphicsFD works (test_qemud_graphics_fd.py); a display not there:
    with dbus_error("InvalidArg", "index 5"):
        vm.call("OpenGraphicsFD", 5, 0)


def test_control_info(env, vm):
    state, details, since = vm.call("GetControlInfo", 0)
    assert (state, details) == (0, 0)                        # OK
    g2 = env.define("ctl-off", nic=None)
    try:
        with dbus_error("OperationInvalid", "not running"):
            g2.call("GetControlInfo", 0)
    finally:
        g2.call("Undefine", 0)


def test_metadata_round_trip(env, vm):
    mark = env.mark()
    # live and config at once
    vm.call("SetMetadata", 1, "A test guest", "", "", 3)
    vm.call("SetMetadata", 0, "Line one\nline two", "", "", 1)          # live only
    vm.call("SetMetadata", 2, "<note size='2'>hello</note>", "vt", NS, 2)  # config only
    assert vm.call("GetMetadata", 1, "", 0) == "A test guest"
    assert vm.call("GetMetadata", 1, "", 2) == "A test guest"
    assert vm.call("GetMetadata", 0, "", 1) == "Line one\nline two"
    with dbus_error("NoDomainMetadata", "not present"):
        vm.call("GetMetadata", 0, "", 2)
    assert vm.call("GetMetadata", 2, NS, 2) == '<note size="2">hello</note>'
    with dbus_error("NoDomainMetadata"):
        vm.call("GetMetadata", 2, NS, 0)                                 # not live
    inactive = vm.call("GetXMLDesc", 2)
    assert "<title>A test guest</title>" in inactive
    assert f'<vt:note xmlns:vt="{NS}" size="2">hello</vt:note>' in inactive
    assert "<description>" not in inactive
    assert "<description>Line one" in vm.call("GetXMLDesc", 0)
    saved = (env.conf_dir / "ctl.xml").read_text()
    assert "<title>A test guest</title>" in saved and "vt:note" in saved
    got = signals(env, "MetadataChange", vm.path, mark)
    assert got == [[1, ""], [0, ""], [2, NS]], got
    # removal
    vm.call("SetMetadata", 2, "", "", NS, 2)
    with dbus_error("NoDomainMetadata"):
        vm.call("GetMetadata", 2, NS, 2)


def test_metadata_bad_input(env, vm):
    before = snapshot(env)
    with dbus_error("InvalidArg", "newlines"):
        vm.call("SetMetadata", 1, "two\nlines", "", "", 0)
    with dbus_error("XMLError", "well-formed"):
        vm.call("SetMetadata", 2, "<a>", "k", NS, 0)
    with dbus_error("InvalidArg", "key"):
        vm.call("SetMetadata", 2, "<a/>", "", NS, 0)
    with dbus_error("InvalidArg", "namespace URI"):
        vm.call("SetMetadata", 2, "<a/>", "k", "", 0)
    with dbus_error("InvalidArg", "metadata type '9'"):
        vm.call("SetMetadata", 9, "x", "", "", 0)
    with dbus_error("InvalidArg", "mutually exclusive"):
        vm.call("GetMetadata", 1, "", 3)
    with dbus_error("InvalidArg", "flags"):
        vm.call("SetMetadata", 1, "x", "", "", 4)
    assert_same_snapshot(before, snapshot(env))


def test_rename(env, vm):
    g = env.define("ctl-ren", nic=None)
    try:
        env.set_autostart(g.path, True)
        before = snapshot(env)
        with dbus_error("OperationInvalid", "already exists"):
            g.call("Rename", "ctl", 0)
        with dbus_error("OperationInvalid", "itself"):
            g.call("Rename", "ctl-ren", 0)
        with dbus_error("InvalidArg", "'a/b'"):
            g.call("Rename", "a/b", 0)
        with dbus_error("InvalidArg", "empty"):
            g.call("Rename", "", 0)
        with dbus_error("OperationInvalid", "active"):
            vm.call("Rename", "ctl-2", 0)
        # a managed save image is found by the name: libvirt refuses too
        image = env.root / "var" / "lib" / "virtbus" / "qemu" / "save" / "ctl-ren.save"
        image.parent.mkdir(parents=True, exist_ok=True)
        image.write_bytes(b"not really an image")
        try:
            with dbus_error("OperationInvalid", "managed saved state"):
                g.call("Rename", "ctl-2", 0)
        finally:
            image.unlink()
        assert_same_snapshot(before, snapshot(env))

        mark = env.mark()
        g.call("Rename", "ctl-new", 0)
        assert g.prop("Name") == "ctl-new"
        assert env.call("DomainLookupByName", "ctl-new") == g.path
        with dbus_error("NoDomain"):
            env.call("DomainLookupByName", "ctl-ren")
        assert (env.conf_dir / "ctl-new.xml").exists()
        assert not (env.conf_dir / "ctl-ren.xml").exists()
        link = env.conf_dir / "autostart" / "ctl-new.xml"
        assert link.is_symlink() and os.path.exists(link)
        assert not os.path.lexists(env.conf_dir / "autostart" / "ctl-ren.xml")
        assert "<name>ctl-new</name>" in g.call("GetXMLDesc", 2)
        env.expect_events(g.path, mark, [(1, 1), (0, 2)])
        # a restarted qemud finds it under its new name
        env.qemud.stop()
        env.qemud.start()
        assert env.call("DomainLookupByName", "ctl-new") == g.path
        assert env.prop(g.path, "Autostart")
    finally:
        try:
            g.call("Undefine", 0)
        except dbus.exceptions.DBusException:
            pass


def test_block_peek(env, vm):
    data = bytes(vm.call("BlockPeek", "vdb", 1000, 600, 0))
    assert data == bytes((1000 + i) % 256 for i in range(600))
    # by the source path too
    data = bytes(vm.call("BlockPeek", str(vm.pattern), 0, 16, 0))
    assert data == bytes(range(16))
    before = snapshot(env)
    with dbus_error("InvalidArg", "'vdz'"):
        vm.call("BlockPeek", "vdz", 0, 16, 0)
    with dbus_error("InvalidArg", "only"):
        vm.call("BlockPeek", "vdb", (1 << 20) - 8, 16, 0)
    with dbus_error("InvalidArg", "too large"):
        vm.call("BlockPeek", "vdb", 0, 5 << 20, 0)
    assert_same_snapshot(before, snapshot(env))


def test_memory_peek(env, vm):
    # the BIOS data area: COM1's I/O port, 0x3f8, where SeaBIOS put it
    low = bytes(vm.call("MemoryPeek", 0x400, 2, 2))
    assert low == b"\xf8\x03", low.hex()
    big = bytes(vm.call("MemoryPeek", 0, 65536, 2))
    assert len(big) == 65536 and big[0x400:0x402] == b"\xf8\x03"
    assert bytes(vm.call("MemoryPeek", 0, 0, 2)) == b""
    assert not list(env.run_dir.glob("*.peek.*"))            # QEMU's file is gone
    before = snapshot(env)
    with dbus_error("InvalidArg", "VIR_MEMORY_VIRTUAL"):
        vm.call("MemoryPeek", 0, 16, 3)
    with dbus_error("InvalidArg", "VIR_MEMORY_VIRTUAL"):
        vm.call("MemoryPeek", 0, 16, 0)
    with dbus_error("InvalidArg", "too large"):
        vm.call("MemoryPeek", 0, 5 << 20, 2)
    assert_same_snapshot(before, snapshot(env))


def test_graphics_signal(env, vm):
    port = int(re.search(r"<graphics type='vnc' port='(\d+)'", vm.call("GetXMLDesc", 0)).group(1))
    mark = env.mark()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        assert s.recv(12).startswith(b"RFB 003.")
        s.sendall(b"RFB 003.008\n")
        n = s.recv(1)[0]
        assert 1 in set(s.recv(n))
        s.sendall(bytes([1]))                                 # no authentication
        assert s.recv(4) == b"\0\0\0\0"
        s.sendall(b"\1")                                      # ClientInit, shared
        s.recv(1024)
        env.mon.wait_signal("Graphics", "org.libvirt.Domain", vm.path,
                            lambda d: d[0] == 1, mark, timeout=30)
    env.mon.wait_signal("Graphics", "org.libvirt.Domain", vm.path, lambda d: d[0] == 2, mark, timeout=30)
    got = signals(env, "Graphics", vm.path, mark)
    assert [d[0] for d in got] == [0, 1, 2], got
    phase, local, remote, auth, ids = got[0]
    assert local[0] == 0 and local[1] == "127.0.0.1" and local[2] == str(port)
    assert remote[0] == 0 and remote[1] == "127.0.0.1" and int(remote[2]) > 0
    assert auth == "none" and ids == []


def test_virsh_through_proxy(env, vm, proxy):
    proxy.virsh("send-key", "ctl", "KEY_LEFTSHIFT")
    proxy.virsh("send-key", "ctl", "--codeset", "usb", "0xe1", "0x04")
    proxy.virsh("send-key", "ctl", "--holdtime", "20", "KEY_LEFTSHIFT", "KEY_A")
    r = proxy.virsh("send-key", "ctl", "--codeset", "linux", "9999", check=False)
    assert r.returncode != 0 and "9999" in r.stderr
    proxy.virsh("inject-nmi", "ctl")
    r = proxy.virsh("domcontrol", "ctl")
    assert r.stdout.strip() == "ok", r.stdout
    proxy.virsh("desc", "ctl", "--title", "--live", "--config", "Proxy title")
    assert proxy.virsh("desc", "ctl", "--title").stdout.strip() == "Proxy title"
    proxy.virsh("desc", "ctl", "--config", "Proxy description")
    assert proxy.virsh("desc", "ctl", "--config").stdout.strip() == "Proxy description"
    proxy.virsh("metadata", "ctl", NS, "--key", "vt", "--config", "--set", "<v>1</v>")
    assert proxy.virsh("metadata", "ctl", NS, "--config").stdout.strip() == "<v>1</v>"
    assert "Proxy title" in proxy.virsh("list", "--title").stdout
    r = proxy.virsh("metadata", "ctl", "http://none.example/", "--config", check=False)
    assert r.returncode != 0 and "not present" in r.stderr
    r = proxy.virsh("domblkerror", "ctl")
    assert "No errors found" in r.stdout, r.stdout
    # blockpeek and memory peek have no virsh commands: python-libvirt does
    code = f"""
import libvirt
c = libvirt.open({proxy.uri!r})
d = c.lookupByName('ctl')
assert d.blockPeek('vdb', 256, 8, 0) == bytes(range(8)), d.blockPeek('vdb', 256, 8, 0)
assert d.memoryPeek(0x400, 2, libvirt.VIR_MEMORY_PHYSICAL) == b'\\xf8\\x03'
assert d.controlInfo() == [0, 0, 0] or d.controlInfo()[0] == 0
d.setMetadata(libvirt.VIR_DOMAIN_METADATA_TITLE, 'py title', None, None, libvirt.VIR_DOMAIN_AFFECT_LIVE)
assert d.metadata(libvirt.VIR_DOMAIN_METADATA_TITLE, None, libvirt.VIR_DOMAIN_AFFECT_LIVE) == 'py title'
try:
    d.pMWakeup(0)
    raise SystemExit('PMWakeup of a running guest succeeded')
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_OPERATION_INVALID, e
try:
    d.sendProcessSignal(1, 15, 0)
    raise SystemExit('sendProcessSignal succeeded')
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT, e
print('ok')
"""
    r = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "ok" in r.stdout, r.stdout + r.stderr


def test_virsh_domrename(env, proxy):
    g = env.define("ctl-vr", nic=None)
    try:
        r = proxy.virsh("domrename", "ctl-vr", "ctl-vr2")
        assert "renamed" in r.stdout.lower(), r.stdout
        assert env.call("DomainLookupByName", "ctl-vr2") == g.path
        r = proxy.virsh("domrename", "ctl-vr2", "ctl", check=False)
        assert r.returncode != 0 and "already exists" in r.stderr
    finally:
        g.call("Undefine", 0)


def test_rtc_change(env, vm):
    mark = env.mark()
    out = vm.console.run("date -u -s '2031-02-03 04:05:06' >/dev/null && hwclock -w -u && echo RTC-SET", 60)
    if "RTC-SET" not in out.replace("echo RTC-SET", ""):
        pytest.skip(f"the guest cannot set its RTC: {out[-300:]!r}")
    m = env.mon.wait_signal("RTCChange", "org.libvirt.Domain", vm.path, since=mark, timeout=30)
    offset = m["payload"]["data"][0]
    # about the seconds between now and 2031-02-03 (the guest's clock is the host's)
    expected = int(time.mktime((2031, 2, 3, 4, 5, 6, 0, 0, 0)) - time.mktime(time.gmtime()))
    assert abs(offset - expected) < 3600 * 24, (offset, expected)


def test_pm_suspend_and_wakeup(env, vm):
    """The guest suspends itself to RAM (S3): pmsuspended and PMSuspend;
    PMWakeup wakes it: running (wakeup) and the PMWakeup signal."""
    if "mem" not in vm.console.run("cat /sys/power/state", 30):
        pytest.skip("the guest's kernel offers no suspend to RAM")
    mark = env.mark()
    vm.console.sock.sendall(b"echo mem > /sys/power/state\n")
    env.mon.wait_signal("PMSuspend", "org.libvirt.Domain", vm.path, args=[0], since=mark, timeout=60)
    env.wait_event(vm.path, 7, 0, since=mark)                # PMSUSPENDED / MEMORY
    assert vm.state() == (S.PMSUSPENDED, 0)
    vm.call("PMWakeup", 0)
    env.mon.wait_signal("PMWakeup", "org.libvirt.Domain", vm.path, args=[0], since=mark, timeout=60)
    env.wait_event(vm.path, 2, 3, since=mark)                # STARTED / WAKEUP
    assert vm.state() == (S.RUNNING, 8)                     # running, reason wakeup
    # The guest's shell answers again. Under TCG on a loaded host SeaBIOS
    # sometimes boots the guest anew rather than resuming it (the wake-up
    # is QEMU's and the firmware's, not the daemon's): then its shell comes
    # back after the boot, which the tests after this one need.
    for attempt in range(8):
        try:
            vm.console.run("echo awake", 30)
            break
        except AssertionError:
            if attempt == 7:
                raise


def test_io_error_out_of_space(env, vm, proxy):
    """Last: the guest writes vda until the tmpfs under it is full; QEMU
    stops it (werror=enospc, its default) and reports the error."""
    assert vm.call("GetDiskErrors", 0) == []
    mark = env.mark()
    vm.console.sock.sendall(b"dd if=/dev/urandom of=/dev/vda bs=64k count=512 conv=fsync\n")
    m = env.mon.wait_signal("IOError", "org.libvirt.Domain", vm.path, since=mark, timeout=90)
    src, dev, action, reason = m["payload"]["data"]
    assert (src, dev, action, reason) == (str(vm.disk), "virtio-disk0", 1, "enospc")
    env.wait_event(vm.path, 3, 2, since=mark)                # SUSPENDED / IOERROR
    assert vm.state() == (S.PAUSED, 5)                      # paused, reason ioerror
    assert [tuple(e) for e in vm.call("GetDiskErrors", 0)] == [("vda", 2)]   # NOSPACE
    r = proxy.virsh("domblkerror", "ctl")
    assert re.search(r"vda\s*:?\s*no space", r.stdout), r.stdout
    r = proxy.virsh("domstate", "--reason", "ctl")
    assert "I/O error" in r.stdout, r.stdout
