# SPDX-License-Identifier: LGPL-2.1-or-later
"""The guest's console: org.virtbus.Domain1.OpenConsole over D-Bus, and
virDomainOpenConsole (201) through the proxy as a stream both ways, with
the real clients: `virsh console` in a pty (pexpect), python-libvirt's
dom.openConsole(). One TCG guest boots for the module, with a root shell
on its first serial port (type pty) and a second serial port on a unix
socket QEMU listens on. One session per device: a second open is refused,
FORCE takes over (the first client's stream ends). lxcd: a container whose
init is /bin/sh answers on its console, over D-Bus and through virsh."""

import os
import re
import select
import shutil
import time

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import QemudEnv
from test_lxcd import container_pids, container_xml, lxcd, rootfs  # noqa: F401 - fixtures

pytestmark = pytest.mark.timeout(300)

DOMAIN1 = "org.virtbus.Domain1"
FORCE = 1
libvirt = None
try:
    import libvirt
except ImportError:
    pass


class FdConsole:
    """A console session's socket (from OpenConsole) or any fd that reads
    what the guest prints and takes what it reads."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b""

    def send(self, text):
        os.write(self.fd, text.encode())

    def read_until(self, pattern, timeout=60):
        rx = re.compile(pattern.encode())
        deadline = time.monotonic() + timeout
        while not rx.search(self.buf):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{pattern!r} not on the console; it ends with:\n"
                                     f"{self.buf[-1500:].decode('utf-8', 'replace')}")
            if select.select([self.fd], [], [], left)[0]:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    raise EOFError(f"the console ended; it ends with {self.buf[-300:]!r}")
                self.buf += chunk
        return rx.search(self.buf)

    def wait_eof(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.5)[0]:
                try:
                    if not os.read(self.fd, 65536):
                        return True
                except ConnectionResetError:
                    return True
        return False

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class StreamConsole:
    """python-libvirt's console stream, non-blocking (recv gives -2 while
    nothing came), as virsh has it: libvirt's event loop reads the
    connection (the connection must be opened after the loop runs)."""

    def __init__(self, conn, dom, flags=0, dev=None):
        self.st = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
        dom.openConsole(dev, self.st, flags)
        self.buf = b""

    def send(self, text):
        data = text.encode()
        while data:
            n = self.st.send(data)
            if n == -2:
                time.sleep(0.02)
                continue
            data = data[n:]

    def _recv(self):
        """Bytes, b'' at the end, or None for nothing yet."""
        d = self.st.recv(65536)
        if d == -2:
            return None
        return d

    def read_until(self, pattern, timeout=60):
        rx = re.compile(pattern.encode())
        deadline = time.monotonic() + timeout
        while not rx.search(self.buf):
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not on the stream; it ends with:\n"
                                     f"{self.buf[-1500:].decode('utf-8', 'replace')}")
            d = self._recv()
            if d is None:
                time.sleep(0.05)
            elif not d:
                raise EOFError("the console stream ended")
            else:
                self.buf += d
        return rx.search(self.buf)

    def wait_eof(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                d = self._recv()
            except libvirt.libvirtError:
                return True   # ended with an error: ended too
            if d == b"":
                return True
            if d is None:
                time.sleep(0.05)
        return False

    def close(self):
        try:
            self.st.finish()
        except libvirt.libvirtError:
            try:
                self.st.abort()
            except libvirt.libvirtError:
                pass


_n = [0]


def run(con, command, timeout=60):
    """Runs command in the guest's shell; returns the marker's match. The
    marker is computed by the shell, so the echoed command never matches."""
    _n[0] += 1
    a, b = 1000 * _n[0], 7
    con.send(f"{command}; echo DONE-$(({a}+{b}))-\r")
    return con.read_until(f"DONE-{a + b}-", timeout)


class ConsoleEnv(QemudEnv):
    def __init__(self, guest):
        super().__init__(guest)
        self.proxy = h.Proxy(self.bus, self.root).start()

    def register_logs(self):
        super().register_logs()
        h.register_log("virtbus-proxyd", self.proxy.log_path)

    def close(self):
        self.proxy.stop()
        return super().close()

    def open_console(self, path, dev="", flags=0):
        fd = self.dcall(path, "OpenConsole", dev, flags, interface=DOMAIN1, raw=True)
        return FdConsole(fd.take())


@pytest.fixture(scope="module")
def env(guest, request):
    e = ConsoleEnv(guest)
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


@pytest.fixture(scope="module")
def vm(env):
    """The booted guest "con": serial0 a pty with a root shell (and its
    output logged), serial1 a unix socket QEMU listens on."""
    log = env.root / "con.serial"
    env.serials["con"] = log
    sock = env.root / "con-s1.sock"
    serials = (f"    <serial type='pty'>\n      <log file='{log}'/>\n      <target port='0'/>\n"
               f"    </serial>\n"
               f"    <serial type='unix'>\n      <source mode='bind' path='{sock}'/>\n"
               f"      <target port='1'/>\n    </serial>")
    xml = h.guest_domain_xml(env.guest, "con", nic=None, extra_cmdline="virtbus.shell virtbus.nodhcp",
                             extra_devices=serials)
    path = env.call("DomainDefineXML", xml)
    env.register_logs()
    env.dcall(path, "Create", 0)
    h.wait_for_serial(log, h.GUEST_READY, 300)
    con = env.open_console(path)
    try:
        # the shell comes a moment after READY
        deadline = time.monotonic() + 60
        while True:
            try:
                run(con, "true", timeout=5)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
    finally:
        con.close()
    yield path
    try:
        env.dcall(path, "Destroy", 0)
    except dbus.exceptions.DBusException:
        pass


def wait_free(env, path, timeout=10):
    """Opens the console once the last session ended (its close is seen by
    the daemon a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return env.open_console(path)
        except dbus.exceptions.DBusException as e:
            if "Active console session" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_dbus_console_and_force(env, vm):
    con = wait_free(env, vm)
    try:
        run(con, "echo A$((40+2))A")
        assert b"A42A" in con.buf
        # one session per device: a second open is refused, as libvirt does
        with h.expect_dbus_error("org.virtbus.Error.OperationFailed") as e:
            env.open_console(vm)
        assert "Active console session exists for this domain" in e.message
        # FORCE takes over: the first session ends
        con2 = env.open_console(vm, flags=FORCE)
        try:
            assert con.wait_eof(), "the first session did not end when FORCE took over"
            run(con2, "echo B$((40+3))B")
            assert b"B43B" in con2.buf
        finally:
            con2.close()
    finally:
        con.close()
    # closed: the device is free again
    wait_free(env, vm).close()


def test_dbus_console_bad_input(env, vm):
    with h.expect_dbus_error("org.virtbus.Error.InvalidArg"):
        env.open_console(vm, flags=4)
    with h.expect_dbus_error("org.virtbus.Error.InternalError") as e:
        env.open_console(vm, dev="nosuch")
    assert "cannot find character device nosuch" in e.message
    # root only: a console is a shell
    r = env.bus.call_as("nobody", h.QEMUD if hasattr(h, "QEMUD") else "org.virtbus.qemud", vm,
                        DOMAIN1, "OpenConsole", "su", "", 0)
    assert r.returncode != 0 and r.denied, r.stderr
    # a domain that does not run has no console
    other = env.call("DomainDefineXML", h.guest_domain_xml(env.guest, "idle", nic=None))
    try:
        with h.expect_dbus_error("org.virtbus.Error.OperationInvalid") as e:
            env.open_console(other)
        assert "domain is not running" in e.message
    finally:
        env.dcall(other, "Undefine", 0)
    assert env.state(vm)[0] == 1


def test_unix_serial(env, vm):
    """serial1 (a unix socket): what the guest writes to ttyS1 comes out of
    its session."""
    s1 = env.open_console(vm, dev="serial1")
    con = wait_free(env, vm)
    try:
        run(con, "echo U$((5+5))U > /dev/ttyS1")
        s1.read_until("U10U", 30)
    finally:
        con.close()
        s1.close()


def spawn_virsh(pexpect, uri, home, *args):
    envv = dict(os.environ, HOME=str(home))
    envv.pop("LIBVIRT_DEFAULT_URI", None)
    return pexpect.spawn("virsh", ["-c", uri, "console"] + list(args), env=envv, timeout=60)


def virsh_session(pexpect, child, mark):
    """In a virsh console: runs echo in the guest, sees its output, ends
    with Ctrl-]; virsh exits 0."""
    try:
        child.expect("Escape character is")
        child.send(f"echo {mark}$((1+1)){mark}\r")
        child.expect(f"{mark}2{mark}")
        child.send("\x1d")        # Ctrl-]: virsh ends the session
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
    finally:
        if child.isalive():
            child.terminate(force=True)


def test_virsh_console(env, vm):
    pexpect = pytest.importorskip("pexpect", reason="python3-pexpect is not installed")
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    wait_free(env, vm).close()
    virsh_session(pexpect, spawn_virsh(pexpect, env.proxy.uri, env.root, "con"), "V")
    # the session is over: the device is free for the next one
    wait_free(env, vm).close()
    # while another session runs, virsh is refused; with --force it takes over
    holder = wait_free(env, vm)
    try:
        child = spawn_virsh(pexpect, env.proxy.uri, env.root, "con")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus != 0 and b"Active console session exists" in child.before, child.before
        virsh_session(pexpect, spawn_virsh(pexpect, env.proxy.uri, env.root, "con", "--force"), "W")
        assert holder.wait_eof(), "the session virsh --force took over did not end"
    finally:
        holder.close()


@pytest.mark.skipif(libvirt is None, reason="python3-libvirt is not installed")
def test_python_open_console(env, vm):
    from test_proxy import event_loop   # one loop for the session, whoever starts it
    event_loop()
    wait_free(env, vm).close()
    conn = libvirt.open(env.proxy.uri)
    try:
        dom = conn.lookupByName("con")
        first = StreamConsole(conn, dom)
        run(first, "echo P$((3+4))P")
        with pytest.raises(libvirt.libvirtError) as e:
            StreamConsole(conn, dom)
        assert "Active console session exists" in str(e.value)
        second = StreamConsole(conn, dom, flags=libvirt.VIR_DOMAIN_CONSOLE_FORCE)
        assert first.wait_eof(), "the first stream did not end when FORCE took over"
        first.close()
        run(second, "echo Q$((3+5))Q")
        second.close()
        # a device by name, and one that is not there
        s1 = StreamConsole(conn, dom, dev="serial1")
        s1.close()
        with pytest.raises(libvirt.libvirtError) as e:
            StreamConsole(conn, dom, dev="nosuch")
        assert "cannot find character device nosuch" in str(e.value)
    finally:
        conn.close()


# --- lxcd -------------------------------------------------------------------

def test_lxc_console(lxcd, rootfs, vroot, bus):  # noqa: F811 - fixtures
    path = lxcd.call("DomainDefineXML", container_xml("sh1", rootfs))
    lxcd.domain_call(path, "Create", 0)
    try:
        fd = lxcd.domain_call(path, "OpenConsole", "", 0, interface=DOMAIN1, raw=True)
        con = FdConsole(fd.take())
        try:
            run(con, "echo L$((2+3))L")
            with h.expect_dbus_error("org.virtbus.Error.OperationFailed"):
                lxcd.domain_call(path, "OpenConsole", "", 0, interface=DOMAIN1)
            fd2 = lxcd.domain_call(path, "OpenConsole", "console0", FORCE, interface=DOMAIN1, raw=True)
            con2 = FdConsole(fd2.take())
            assert con.wait_eof(), "the first session did not end when FORCE took over"
            run(con2, "echo M$((2+4))M")
            con2.close()
        finally:
            con.close()
        if shutil.which("virsh"):
            pexpect = pytest.importorskip("pexpect", reason="python3-pexpect is not installed")
            proxy = h.Proxy(bus, vroot).start()
            try:
                uri = f"lxc+unix:///system?socket={proxy.socket}"
                # the sessions above end a moment after their sockets closed
                deadline = time.monotonic() + 10
                while True:
                    try:
                        os.close(lxcd.domain_call(path, "OpenConsole", "", 0, interface=DOMAIN1,
                                                  raw=True).take())
                        break
                    except dbus.exceptions.DBusException:
                        assert time.monotonic() < deadline
                        time.sleep(0.1)
                # that session ends as its socket closed: --force does not wait for it
                virsh_session(pexpect, spawn_virsh(pexpect, uri, vroot, "sh1", "--force"), "X")
            finally:
                proxy.stop()
    finally:
        lxcd.domain_call(path, "Destroy", 0)
        lxcd.domain_call(path, "Undefine", 0)


def test_lxc_console_element(lxcd, rootfs):  # noqa: F811 - fixtures
    """<console type='pty'> names the container's one console, as libvirt's
    LXC driver writes it: kept in the definition, and the console it names
    answers; a second one is refused by name."""
    con_xml = "<console type='pty'><target type='lxc' port='0'/></console>"
    with h.expect_dbus_error("org.virtbus.Error.NotSupported") as e:
        lxcd.call("DomainDefineXML", container_xml("sh4", rootfs, devices=con_xml * 2))
    assert "one console" in e.message
    path = lxcd.call("DomainDefineXML", container_xml("sh4", rootfs, devices=con_xml))
    try:
        assert "<target type='lxc' port='0'/>" in lxcd.domain_call(path, "GetXMLDesc", 0)
        lxcd.domain_call(path, "Create", 0)
        try:
            con = FdConsole(lxcd.domain_call(path, "OpenConsole", "console0", 0, interface=DOMAIN1,
                                             raw=True).take())
            try:
                run(con, "echo K$((4+5))K")
            finally:
                con.close()
        finally:
            lxcd.domain_call(path, "Destroy", 0)
    finally:
        lxcd.domain_call(path, "Undefine", 0)


def test_lxc_console_socket_gone_with_a_killed_supervisor(lxcd, rootfs, vroot):  # noqa: F811 - fixtures
    """A supervisor SIGKILLed cannot remove its console socket: lxcd does,
    when it sees the container gone."""
    path = lxcd.call("DomainDefineXML", container_xml("sh3", rootfs))
    lxcd.domain_call(path, "Create", 0)
    try:
        [sock] = list(vroot.path.rglob("lxc/sh3.console"))
        [supervisor] = container_pids(vroot)
        os.kill(supervisor, 9)
        h.wait_until(lambda: lxcd.domain_call(path, "GetState", 0)[0] == 5, 10, what="the container shut off")
        assert not sock.exists(), f"{sock} left behind"
    finally:
        if lxcd.domain_call(path, "GetState", 0)[0] != 5:
            lxcd.domain_call(path, "Destroy", 0)
        lxcd.domain_call(path, "Undefine", 0)


def test_lxc_console_init_that_never_reads(lxcd, rootfs):  # noqa: F811 - fixtures
    """Typing at a container whose init does not read its console holds back
    the typist only: what the init prints still comes out (the supervisor
    does not wait for room in the pty), and it still ends with its init."""
    init_args = ("-c", "sleep 2; echo LATE-$((20+3))-OUTPUT; sleep 1")
    path = lxcd.call("DomainDefineXML", container_xml("deaf", rootfs, args=init_args))
    lxcd.domain_call(path, "Create", 0)
    try:
        con = FdConsole(lxcd.domain_call(path, "OpenConsole", "", 0, interface=DOMAIN1, raw=True).take())
        try:
            os.set_blocking(con.fd, False)
            sent = 0
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                try:
                    sent += os.write(con.fd, b"x" * 65536)   # no newline: the shell never takes it
                except BlockingIOError:
                    time.sleep(0.05)
            assert sent > 4096, sent
            con.read_until("LATE-23-OUTPUT", 20)
            h.wait_until(lambda: lxcd.domain_call(path, "GetState", 0)[0] == 5, 20,
                         what="the container to end with its init")
        finally:
            con.close()
    finally:
        if lxcd.domain_call(path, "GetState", 0)[0] != 5:
            lxcd.domain_call(path, "Destroy", 0)
        lxcd.domain_call(path, "Undefine", 0)
