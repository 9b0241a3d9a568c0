# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-proxyd: the real `virsh` and python-libvirt drive virtbus-qemud
through libvirt's remote protocol (reference/libvirt-rpc.md), on the sockets
below the test root (qemu+unix:///system?socket=<root>/run/libvirt/libvirt-sock).

One private bus, one qemud and one proxy are shared by the module. Besides
the clients' own view, raw sockets check the protocol's edges: keepalive,
calls in flight together, many connections, and bad frames that must close
only their own connection."""

import os
import shutil
import socket
import subprocess
import struct
import time
import uuid as uuidlib

import pytest

import virtbus_harness as h
from test_qemud_common import QemudEnv, _env_logs, READY, POWEROFF  # noqa: F401

libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")

pytestmark = pytest.mark.timeout(180)

REMOTE, KEEPALIVE = 0x20008086, 0x6b656570
CALL, REPLY, MESSAGE = 0, 1, 2
OK, ERROR = 0, 1
# REMOTE procedures used raw
OPEN, GET_TYPE, LOOKUP_BY_NAME, SUPPORTS_FEATURE, AUTH_LIST = 1, 3, 23, 60, 66
LIST_ALL_DOMAINS = 273
LOOKUP_VOL_BY_PATH = 97


class ProxyEnv(QemudEnv):
    def __init__(self, guest):
        if not shutil.which("virsh"):
            pytest.skip("virsh (libvirt-clients) is not installed")
        super().__init__(guest)
        self.proxy = h.Proxy(self.bus, self.root).start()

    def register_logs(self):
        super().register_logs()
        h.register_log("virtbus-proxyd", self.proxy.log_path)

    def close(self):
        self.proxy.stop()
        return super().close()

    def virsh(self, *args, **kw):
        return self.proxy.virsh(*args, **kw)

    def xml_file(self, name, **kw):
        f = self.root / f"{name}.xml"
        f.write_text(self.guest_xml(name, **kw))
        return f

    def open(self, uri=None):
        return libvirt.open(uri or self.proxy.uri)


@pytest.fixture(scope="module")
def env(guest, request):
    e = ProxyEnv(guest)
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def list_rows(out):
    """The rows of `virsh list` output, split: [id, name, state...]."""
    lines = out.splitlines()
    assert lines[0].split() == ["Id", "Name", "State"] and lines[1].startswith("---"), out
    return [line.split() for line in lines[2:] if line.strip()]


def names_in_list(out):
    return [row[1] for row in list_rows(out)]


# ---------------------------------------------------------------------------
# virsh

def test_virsh_session(env):
    """The session of issue 10: list, define, dominfo, domstate, dumpxml,
    start (the guest boots), suspend, resume, shutdown (the guest powers
    off), autostart, destroy, undefine."""
    uuid = str(uuidlib.uuid4())
    assert "vs1" not in names_in_list(env.virsh("list", "--all").stdout)

    r = env.virsh("define", env.xml_file("vs1", uuid=uuid))
    assert "Domain 'vs1' defined" in r.stdout
    out = env.virsh("list", "--all").stdout
    assert ["-", "vs1", "shut", "off"] in list_rows(out), out

    info = env.virsh("dominfo", "vs1").stdout
    assert f"UUID:           {uuid}" in info
    assert "State:          shut off" in info
    assert "Max memory:     262144 KiB" in info
    assert "Persistent:     yes" in info
    assert env.virsh("domstate", "vs1").stdout.strip() == "shut off"
    xml = env.virsh("dumpxml", "vs1").stdout
    assert "<name>vs1</name>" in xml and f"<uuid>{uuid}</uuid>" in xml
    # by uuid too (virsh looks a uuid-shaped name up by uuid)
    assert env.virsh("domstate", uuid).stdout.strip() == "shut off"

    r = env.virsh("start", "vs1")
    assert "Domain 'vs1' started" in r.stdout
    g = h.wait_for_serial(env.serials["vs1"], READY, 90)
    assert g
    info = env.virsh("dominfo", "vs1").stdout
    assert "State:          running" in info
    dom_id = int(info.split("Id:", 1)[1].split()[0])
    assert dom_id > 0
    assert env.virsh("domstate", str(dom_id)).stdout.strip() == "running"
    assert env.virsh("domstate", "--reason", "vs1").stdout.strip() == "running (booted)"
    assert "vs1" in names_in_list(env.virsh("list").stdout)

    env.virsh("suspend", "vs1")
    assert env.virsh("domstate", "--reason", "vs1").stdout.strip() == "paused (user)"
    env.virsh("resume", "vs1")
    assert env.virsh("domstate", "vs1").stdout.strip() == "running"

    # ACPI shutdown: the test guest powers itself off. A press right after
    # READY may come before its acpid listens: pressed again, as a person would.
    serial = env.serials["vs1"]
    for _ in range(3):
        assert "is being shutdown" in env.virsh("shutdown", "vs1").stdout
        try:
            h.wait_until(lambda: POWEROFF.encode() in serial.read_bytes(), 10, 0.1, "POWEROFF")
            break
        except TimeoutError:
            pass
    h.wait_until(lambda: env.virsh("domstate", "vs1").stdout.strip() == "shut off", 30,
                 what="vs1 shut off after virsh shutdown")
    assert env.virsh("domstate", "--reason", "vs1").stdout.strip() == "shut off (shutdown)"

    env.virsh("autostart", "vs1")
    assert "Autostart:      enable" in env.virsh("dominfo", "vs1").stdout
    env.virsh("autostart", "--disable", "vs1")
    assert "Autostart:      disable" in env.virsh("dominfo", "vs1").stdout

    env.virsh("start", "vs1")
    assert env.virsh("domstate", "vs1").stdout.strip() == "running"
    env.virsh("destroy", "vs1")
    assert env.virsh("domstate", "--reason", "vs1").stdout.strip() == "shut off (destroyed)"
    assert "vs1" not in names_in_list(env.virsh("list").stdout)

    r = env.virsh("undefine", "vs1")
    assert "Domain 'vs1' has been undefined" in r.stdout
    assert "vs1" not in names_in_list(env.virsh("list", "--all").stdout)
    r = env.virsh("dominfo", "vs1", check=False)
    assert r.returncode == 1 and "failed to get domain 'vs1'" in r.stderr


def test_virsh_errors_read_as_against_libvirtd(env):
    """A daemon's error reaches virsh with libvirt's words."""
    env.virsh("define", env.xml_file("ve1"))
    try:
        r = env.virsh("destroy", "ve1", check=False)
        assert r.returncode == 1
        assert "error: Requested operation is not valid:" in r.stderr, r.stderr
        bad = env.root / "bad.xml"
        bad.write_text("<domain type='qemu'><name>bad</name>")
        r = env.virsh("define", bad, check=False)
        assert r.returncode == 1 and "XML error" in r.stderr, r.stderr
    finally:
        env.virsh("undefine", "ve1")


def test_virsh_host_calls(env):
    assert env.virsh("uri").stdout.strip() == env.proxy.uri
    assert env.virsh("hostname").stdout.strip() == socket.gethostname()
    out = env.virsh("version").stdout
    assert "Using API: QEMU 9.0.0" in out and "Running hypervisor: QEMU" in out
    caps = env.virsh("capabilities").stdout
    assert "<capabilities>" in caps and "<host>" in caps
    domcaps = env.virsh("domcapabilities", "--virttype", "qemu").stdout
    assert "<domainCapabilities>" in domcaps


# ---------------------------------------------------------------------------
# python-libvirt

def test_python_libvirt_core_calls(env):
    conn = env.open()
    try:
        assert conn.getType() == "QEMU"
        assert conn.getLibVersion() == 9000000
        assert conn.getVersion() > 0
        assert conn.getHostname() == socket.gethostname()
        assert conn.getURI() == env.proxy.uri
        assert conn.isSecure() == 1
        before = {d.name() for d in conn.listAllDomains()}

        uuid = str(uuidlib.uuid4())
        dom = conn.defineXML(env.guest_xml("py1", uuid=uuid))
        assert dom.name() == "py1" and dom.UUIDString() == uuid and dom.ID() == -1
        assert {d.name() for d in conn.listAllDomains()} == before | {"py1"}
        assert "py1" in [d.name() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE)]
        assert "py1" in conn.listDefinedDomains()
        assert conn.numOfDefinedDomains() >= 1
        assert conn.lookupByUUIDString(uuid).name() == "py1"
        assert dom.state() == [libvirt.VIR_DOMAIN_SHUTOFF, 0]
        assert dom.isActive() == 0 and dom.isPersistent() == 1
        assert dom.OSType() == "hvm"
        assert dom.maxMemory() == 262144
        assert dom.info()[0] == libvirt.VIR_DOMAIN_SHUTOFF and dom.info()[1] == 262144
        assert "<name>py1</name>" in dom.XMLDesc(0)

        assert dom.autostart() == 0
        dom.setAutostart(1)
        assert dom.autostart() == 1
        dom.setAutostart(0)
        assert dom.autostart() == 0

        dom.create()
        assert dom.ID() > 0
        assert conn.lookupByID(dom.ID()).name() == "py1"
        assert dom.ID() in conn.listDomainsID()
        assert conn.numOfDomains() >= 1
        assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING and dom.isActive() == 1
        info = dom.info()
        assert info[0] == libvirt.VIR_DOMAIN_RUNNING and info[3] == 1
        dom.suspend()
        assert dom.state() == [libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_USER]
        dom.resume()
        assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
        dom.destroy()
        assert dom.state() == [libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_DESTROYED]

        # with flags: CREATE_WITH_FLAGS returns the new id; paused
        dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
        assert dom.ID() > 0 and dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED
        dom.destroyFlags(0)
        dom.undefineFlags(0)
        assert "py1" not in {d.name() for d in conn.listAllDomains()}
    finally:
        conn.close()


def test_python_libvirt_transient_domain(env):
    conn = env.open()
    try:
        dom = conn.createXML(env.guest_xml("pyt"), 0)
        assert dom.ID() > 0 and dom.isPersistent() == 0
        assert "pyt" in [d.name() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_TRANSIENT)]
        dom.destroy()
        with pytest.raises(libvirt.libvirtError) as e:
            conn.lookupByName("pyt")
        assert e.value.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN
    finally:
        conn.close()


def test_python_libvirt_lists_hundreds_of_domains(env):
    """listAllDomains reads each domain's handle from qemud. All at once, a
    few hundred calls overran the bus's 128 replies awaited per connection
    (max_replies_per_connection) and the ones refused went missing from the
    list without a word."""
    n = 400
    qemu = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
    conn = env.open()
    names = [f"many{i:03d}" for i in range(n)]
    try:
        before = {d.name() for d in conn.listAllDomains()}
        for name in names:
            conn.defineXML(f"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>"
                           f"<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                           f"<devices><emulator>{qemu}</emulator></devices></domain>")
        for _ in range(3):
            listed = [d.name() for d in conn.listAllDomains()]
            assert len(listed) == len(before) + n
            assert set(listed) == before | set(names)
        assert len(conn.listDefinedDomains()) >= n
    finally:
        for name in names:
            try:
                conn.lookupByName(name).undefine()
            except libvirt.libvirtError:
                pass
        conn.close()


def test_python_libvirt_errors_carry_code_and_domain(env):
    conn = env.open()
    try:
        with pytest.raises(libvirt.libvirtError) as e:
            conn.lookupByName("nosuch")
        assert e.value.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN
        assert e.value.get_error_domain() == libvirt.VIR_FROM_QEMU
        assert "nosuch" in e.value.get_error_message()

        with pytest.raises(libvirt.libvirtError) as e:
            conn.defineXML("<domain type='qemu'><name>x</name><memory>1")
        assert e.value.get_error_code() == libvirt.VIR_ERR_XML_ERROR

        dom = conn.defineXMLFlags(env.guest_xml("pye"), libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
        try:
            assert dom.isUpdated() == 0
            # what needs a running guest reaches qemud, which says so
            for call in (dom.suspend, lambda: dom.reboot(0), lambda: dom.shutdownFlags(0)):
                with pytest.raises(libvirt.libvirtError) as e:
                    call()
                assert e.value.get_error_code() == libvirt.VIR_ERR_OPERATION_INVALID
                assert e.value.get_error_message().startswith("Requested operation is not valid: ")
            with pytest.raises(libvirt.libvirtError) as e:
                conn.defineXMLFlags(env.guest_xml("pye"), 2)
            assert e.value.get_error_code() == libvirt.VIR_ERR_INVALID_ARG
        finally:
            dom.undefine()
        # a handle of a domain gone since
        for gone in (dom.state, dom.isActive, dom.info, dom.create):
            with pytest.raises(libvirt.libvirtError) as e:
                gone()
            assert e.value.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN, gone
            assert e.value.get_error_domain() == libvirt.VIR_FROM_QEMU
            assert "pye" in e.value.get_error_message()

        # not served (yet): libvirt's NO_SUPPORT, on which clients fall back
        with pytest.raises(libvirt.libvirtError) as e:
            conn.listAllNWFilters(0)
        assert e.value.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT
        assert "not supported by the connection driver" in e.value.get_error_message()
        # flags qemud does not know are refused, not ignored
        with pytest.raises(libvirt.libvirtError) as e:
            conn.listAllDomains(1 << 30)
        assert e.value.get_error_code() == libvirt.VIR_ERR_INVALID_ARG
    finally:
        conn.close()


def test_lxc_uri_is_accepted_and_others_refused(env):
    with pytest.raises(libvirt.libvirtError) as e:
        libvirt.open(f"test+unix:///default?socket={env.proxy.socket}")
    assert "no connection driver available for test:///default" in e.value.get_error_message()
    conn = libvirt.open(f"lxc+unix:///system?socket={env.proxy.socket}")
    try:
        assert conn.getType() == "LXC"
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# access: the read-only socket, other users

def test_read_only_socket_refuses_what_writes(env):
    f = env.xml_file("ro1")
    r = env.virsh("define", f, uri=env.proxy.uri_ro, check=False)
    assert r.returncode == 1
    assert "operation forbidden: read only access prevents virDomainDefineXML" in r.stderr, r.stderr
    # what reads works there
    env.virsh("define", f)
    try:
        assert "ro1" in names_in_list(env.virsh("list", "--all", uri=env.proxy.uri_ro).stdout)
        assert "<name>ro1</name>" in env.virsh("dumpxml", "ro1", uri=env.proxy.uri_ro).stdout
        r = env.virsh("start", "ro1", uri=env.proxy.uri_ro, check=False)
        assert r.returncode == 1 and "read only access prevents virDomainCreate" in r.stderr
        r = env.virsh("undefine", "ro1", uri=env.proxy.uri_ro, check=False)
        assert r.returncode == 1 and "read only access prevents" in r.stderr
        # python on the ro socket without asking for read-only: the proxy refuses
        conn = libvirt.open(env.proxy.uri_ro)
        try:
            with pytest.raises(libvirt.libvirtError) as e:
                conn.defineXML(env.guest_xml("ro2"))
            assert e.value.get_error_code() == libvirt.VIR_ERR_OPERATION_DENIED
            with pytest.raises(libvirt.libvirtError) as e:
                conn.lookupByName("ro1").XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE)
            assert e.value.get_error_code() == libvirt.VIR_ERR_OPERATION_DENIED
            assert conn.lookupByName("ro1").XMLDesc(0)
        finally:
            conn.close()
    finally:
        env.virsh("undefine", "ro1")
    assert "ro1" not in names_in_list(env.virsh("list", "--all").stdout)


def test_non_root_refused_on_read_write_socket(env):
    env.virsh("define", env.xml_file("nr1"))
    try:
        # as libvirtd without polkit: the socket itself is root's (0600)
        assert env.proxy.socket.stat().st_mode & 0o777 == 0o600
        assert env.proxy.socket_ro.stat().st_mode & 0o777 == 0o666
        r = env.virsh("list", "--all", user="nobody", check=False)
        assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr
        # and the proxy checks the peer itself when the mode lets one in
        os.chmod(env.proxy.socket, 0o666)
        try:
            r = env.virsh("list", "--all", user="nobody", check=False)
            assert r.returncode != 0 and "access denied" in r.stderr, r.stderr
            assert "nr1" not in r.stdout
        finally:
            os.chmod(env.proxy.socket, 0o600)
        # reading is every user's on the read-only socket
        r = env.virsh("list", "--all", uri=env.proxy.uri_ro, user="nobody")
        assert "nr1" in names_in_list(r.stdout)
        r = env.virsh("destroy", "nr1", uri=env.proxy.uri_ro, user="nobody", check=False)
        assert r.returncode == 1 and "read only access prevents virDomainDestroy" in r.stderr
    finally:
        env.virsh("undefine", "nr1")


# ---------------------------------------------------------------------------
# the protocol, raw

def xdr_string(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


def frame(proc, serial, payload=b"", prog=REMOTE, type_=CALL, status=OK, vers=1):
    body = struct.pack(">IIiiIi", prog, vers, proc, type_, serial, status) + payload
    return struct.pack(">I", len(body) + 4) + body


class Raw:
    """A hand-driven client of the proxy."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(str(path))
        self.serial = 0

    def close(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            c = self.s.recv(n - len(buf))
            if not c:
                raise EOFError(f"closed after {len(buf)} of {n} bytes")
            buf += c
        return buf

    def recv_frame(self):
        (length,) = struct.unpack(">I", self.recv_exact(4))
        body = self.recv_exact(length - 4)
        prog, vers, proc, type_, serial, status = struct.unpack(">IIiiIi", body[:24])
        return dict(prog=prog, proc=proc, type=type_, serial=serial, status=status, payload=body[24:])

    def call(self, proc, payload=b""):
        serial = self.serial
        self.serial += 1
        self.send(frame(proc, serial, payload))
        f = self.recv_frame()
        assert f["serial"] == serial and f["type"] == REPLY
        return f

    def handshake(self):
        assert self.call(AUTH_LIST)["payload"] == struct.pack(">II", 1, 0)
        f = self.call(OPEN, struct.pack(">I", 1) + xdr_string("qemu:///system") + struct.pack(">I", 0))
        assert f["status"] == OK, f
        return self

    def closed_by_peer(self):
        """True when the proxy closed the connection (possibly after an error reply)."""
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def error_of(f):
    code, domain = struct.unpack(">ii", f["payload"][:8])
    (present,) = struct.unpack(">I", f["payload"][8:12])
    msg = None
    if present:
        (n,) = struct.unpack(">I", f["payload"][12:16])
        msg = f["payload"][16:16 + n].decode()
    return code, domain, msg


def test_keepalive_ping_gets_pong(env):
    c = Raw(env.proxy.socket)
    try:
        c.send(frame(1, 0, prog=KEEPALIVE, type_=MESSAGE))
        f = c.recv_frame()
        assert (f["prog"], f["proc"], f["type"], f["status"], f["payload"]) == (KEEPALIVE, 2, MESSAGE, OK, b"")
        # before CONNECT_OPEN: what needs the hypervisor is refused, not dropped
        f = c.call(GET_TYPE)
        assert f["status"] == ERROR
        assert error_of(f) == (1, 7, "internal error: hypervisor connection not open")
        c.handshake()
        assert c.call(GET_TYPE)["payload"] == xdr_string("QEMU")
    finally:
        c.close()


def test_calls_in_flight_together_and_unknown_procedures(env):
    env.virsh("define", env.xml_file("fl1"))
    c = Raw(env.proxy.socket).handshake()
    try:
        # one write, five calls: the replies come back by serial, in any order
        calls = {
            10: frame(LOOKUP_BY_NAME, 10, xdr_string("fl1")),
            11: frame(LIST_ALL_DOMAINS, 11, struct.pack(">iI", 1, 0)),
            12: frame(9999, 12),
            13: frame(LOOKUP_BY_NAME, 13, xdr_string("nosuch")),
            14: frame(GET_TYPE, 14),
        }
        c.send(b"".join(calls.values()))
        got = {}
        while len(got) < len(calls):
            f = c.recv_frame()
            assert f["serial"] in calls and f["serial"] not in got
            got[f["serial"]] = f
        assert got[10]["status"] == OK and got[10]["payload"].startswith(xdr_string("fl1"))
        assert got[11]["status"] == OK
        assert error_of(got[12])[0] == 3          # NO_SUPPORT: clients fall back
        assert error_of(got[13])[:2] == (42, 10)  # NO_DOMAIN from QEMU
        assert got[14]["payload"] == xdr_string("QEMU")
    finally:
        c.close()
        env.virsh("undefine", "fl1")


def test_many_connections(env):
    clients = [Raw(env.proxy.socket) for _ in range(60)]
    try:
        for c in clients:
            c.send(frame(AUTH_LIST, 0))
        for c in clients:
            assert c.recv_frame()["payload"] == struct.pack(">II", 1, 0)
        for c in clients[:10]:
            c.handshake()
            assert c.call(GET_TYPE)["payload"] == xdr_string("QEMU")
    finally:
        for c in clients:
            c.close()


BAD_FRAMES = {
    # length word below the header size
    "too-short": struct.pack(">I", 8) + b"\0" * 8,
    # larger than libvirt's 16 MiB + 4 limit
    "oversized": struct.pack(">I", 16777221) + b"\0" * 24,
    "huge": struct.pack(">I", 0xffffffff) + b"\0" * 24,
    # a string whose length runs past the frame
    "garbage-xdr": frame(OPEN, 1, struct.pack(">II", 1, 0x7ffffff0) + b"qemu"),
    # a NUL inside a string
    "nul-in-string": frame(LOOKUP_BY_NAME, 1, xdr_string("a\0b")),
    # an optional's flag that is neither 0 nor 1
    "bad-bool": frame(OPEN, 1, struct.pack(">I", 7)),
    "unknown-program": frame(1, 0, prog=0x12345678),
    "reply-from-client": frame(GET_TYPE, 0, type_=REPLY),
}


@pytest.mark.parametrize("kind", sorted(BAD_FRAMES))
def test_bad_frame_closes_only_its_connection(env, kind):
    good = env.open()
    other = Raw(env.proxy.socket).handshake()
    bad = Raw(env.proxy.socket)
    try:
        if kind not in ("too-short", "oversized", "huge", "unknown-program"):
            bad.handshake()
        bad.send(BAD_FRAMES[kind])
        if kind == "unknown-program":
            f = bad.recv_frame()
            assert f["status"] == ERROR and error_of(f)[:2] == (39, 7)
        assert bad.closed_by_peer(), f"{kind}: the proxy kept the connection"
        # everybody else is served as before
        assert env.proxy.alive()
        assert other.call(GET_TYPE)["payload"] == xdr_string("QEMU")
        assert good.getType() == "QEMU"
        good.listAllDomains()
        env.virsh("list", "--all")
    finally:
        bad.close()
        other.close()
        good.close()


def test_truncated_frame_then_hangup(env):
    """A frame cut short by the client going away: only that client is gone."""
    other = Raw(env.proxy.socket).handshake()
    bad = Raw(env.proxy.socket)
    try:
        bad.send(frame(LOOKUP_BY_NAME, 0, xdr_string("x" * 100))[:60])
        bad.s.shutdown(socket.SHUT_WR)
        assert bad.closed_by_peer()
        assert other.call(GET_TYPE)["payload"] == xdr_string("QEMU")
        # and a frame that arrives in pieces is one frame
        f = frame(GET_TYPE, 5)
        for i in range(len(f)):
            other.send(f[i:i + 1])
        r = other.recv_frame()
        assert r["serial"] == 5 and r["payload"] == xdr_string("QEMU")
    finally:
        bad.close()
        other.close()
    assert env.proxy.alive()


def test_proxy_exits_cleanly_and_removes_its_sockets(env, guest):
    """A second proxy on the same root is refused (instance lock); a stopped
    proxy leaves no socket behind."""
    second = h.Proxy(env.bus, env.root)
    second.log_path = env.root / "test-logs" / "virtbus-proxyd-2.log"
    second.start(wait=False)
    assert second.proc.wait(timeout=15) != 0
    assert env.proxy.alive() and env.proxy.socket.exists()
    env.proxy.stop()
    assert not env.proxy.socket.exists() and not env.proxy.socket_ro.exists()
    env.proxy.start()
    assert env.virsh("uri").stdout.strip() == env.proxy.uri


def test_idle_exit_waits_for_the_last_client(env):
    """With --timeout, the proxy exits once idle with no client (how it runs
    under socket activation), never while a client is connected."""
    env.proxy.stop()
    try:
        env.proxy.start(args=["--timeout", "1"])
        c = Raw(env.proxy.socket).handshake()
        time.sleep(2.5)
        assert env.proxy.alive(), "exited with a client connected"
        assert c.call(GET_TYPE)["payload"] == xdr_string("QEMU")
        c.close()
        assert env.proxy.proc.wait(timeout=15) == 0
        assert not env.proxy.socket.exists()
    finally:
        if not env.proxy.alive():
            env.proxy.start()


def test_socket_activation(env):
    """Sockets from systemd (sd_listen_fds): the one named ...-ro is read-only."""
    tool = shutil.which("systemd-socket-activate")
    if not tool:
        pytest.skip("systemd-socket-activate is not installed")
    root = h.Root()
    try:
        sock_dir = root / "run" / "libvirt"
        sock_dir.mkdir(parents=True)
        rw, ro = sock_dir / "libvirt-sock", sock_dir / "libvirt-sock-ro"
        log = open(root / "test-logs" / "activated-proxyd.log", "ab")
        h.register_log("socket-activated virtbus-proxyd", root / "test-logs" / "activated-proxyd.log")
        act = h.spawn([tool, "-l", str(rw), "-l", str(ro),
                       "-E", f"DBUS_SYSTEM_BUS_ADDRESS={env.bus.address}",
                       str(h.BUILD / "virtbus-proxyd"), "--root", str(root), "--timeout", "2"],
                      stdout=log, stderr=log, env=env.bus.env)
        log.close()
        h.wait_until(lambda: rw.exists() and ro.exists(), 10, what="the activator's sockets")
        c = Raw(rw).handshake()         # the first connection starts the proxy
        assert c.call(GET_TYPE)["payload"] == xdr_string("QEMU")
        # our domains are qemud's, on the same bus
        f = c.call(LIST_ALL_DOMAINS, struct.pack(">iI", 1, 0))
        assert f["status"] == OK
        c.close()
        r = Raw(ro).handshake()
        f = r.call(11, xdr_string("<domain/>"))      # DOMAIN_DEFINE_XML
        assert f["status"] == ERROR and error_of(f)[0] == 29
        assert "read only access prevents virDomainDefineXML" in error_of(f)[2]
        r.close()
        # the proxy the activator started made no socket of its own
        assert "Listening on %s (read-only)" % ro in (root / "test-logs" / "activated-proxyd.log").read_text()
        act.terminate()
        act.wait(timeout=15)
    finally:
        root.cleanup()


def test_pipelined_calls_beyond_the_in_flight_limit(env):
    """More calls in one go than the proxy keeps in flight per connection (32),
    by a client that reads nothing until it has sent them all: the proxy
    holds back, then answers every one."""
    env.virsh("define", env.xml_file("pl1"))
    c = Raw(env.proxy.socket).handshake()
    try:
        n = 300
        first = c.serial
        c.send(b"".join(frame(LOOKUP_BY_NAME, first + i, xdr_string("pl1")) for i in range(n)) +
               b"".join(frame(7, first + n + i) for i in range(20)))   # capabilities: larger replies
        seen = set()
        for _ in range(n + 20):
            f = c.recv_frame()
            assert f["status"] == OK, error_of(f)
            seen.add(f["serial"])
        assert seen == set(range(first, first + n + 20))
    finally:
        c.close()
        env.virsh("undefine", "pl1")


# ---------------------------------------------------------------------------
# events

LIFECYCLE_SEQUENCE = [(0, 0), (2, 0), (3, 0), (4, 0), (5, 1), (1, 0)]   # defined ... undefined


def drive_lifecycle(env, name):
    """define, start, suspend, resume, destroy, undefine through virsh."""
    env.virsh("define", env.xml_file(name))
    env.virsh("start", name)
    env.virsh("suspend", name)
    env.virsh("resume", name)
    env.virsh("destroy", name)
    env.virsh("undefine", name)


_event_loop = []


def event_loop():
    """libvirt's default event loop, run by a thread of its own for the rest
    of the session (libvirt's clients need one for events)."""
    if not _event_loop:
        import threading
        libvirt.virEventRegisterDefaultImpl()

        def loop():
            while True:
                libvirt.virEventRunDefaultImpl()
        threading.Thread(target=loop, daemon=True).start()
        _event_loop.append(True)


def test_python_lifecycle_events(env):
    """domainEventRegisterAny with libvirt's event loop: every lifecycle event
    of qemud, in order, with the domain's name, to the registered callback;
    a registration filtered on another domain sees none of them."""
    event_loop()
    conn = env.open()
    seen, other = [], []
    try:
        dummy = conn.defineXML(env.guest_xml("evx"))
        cb = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                         lambda c, d, ev, detail, op: seen.append((d.name(), ev, detail)), None)
        cb2 = conn.domainEventRegisterAny(dummy, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                          lambda c, d, ev, detail, op: other.append((d.name(), ev, detail)),
                                          None)
        # an event id qemud does not send yet is still registered
        cb3 = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT,
                                          lambda *a: None, None)
        drive_lifecycle(env, "ev1")
        h.wait_until(lambda: len([s for s in seen if s[0] == "ev1"]) >= len(LIFECYCLE_SEQUENCE), 30,
                     what=f"the lifecycle events of ev1 (seen {seen})")
        assert [(e, d) for n, e, d in seen if n == "ev1"] == LIFECYCLE_SEQUENCE
        assert other == []
        for c in (cb, cb2, cb3):
            conn.domainEventDeregisterAny(c)
        n = len(seen)
        dummy.undefine()
        time.sleep(1)
        assert len(seen) == n
    finally:
        conn.close()


def test_python_domain_signal_events(env):
    """Events other than LIFECYCLE come from the domain objects' signals:
    METADATA_CHANGE (SetMetadata) and TUNABLE (a NUMA setting) of a defined
    domain reach the callbacks registered for them, with the domain and
    their arguments; one registered for another domain sees none."""
    event_loop()
    conn = env.open()
    meta, tunable, other = [], [], []
    try:
        dom = conn.defineXML(env.guest_xml("evsig"))
        dummy = conn.defineXML(env.guest_xml("evsig2"))
        cbs = [
            conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                        lambda c, d, t, uri, op: meta.append((d.name(), t, uri)), None),
            conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_TUNABLE,
                                        lambda c, d, params, op: tunable.append((d.name(), params)), None),
            conn.domainEventRegisterAny(dummy, libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                        lambda c, d, t, uri, op: other.append(d.name()), None),
        ]
        dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_DESCRIPTION, "a guest", None, None,
                        libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        h.wait_until(lambda: meta, 30, what="the METADATA_CHANGE event")
        assert meta[0] == ("evsig", libvirt.VIR_DOMAIN_METADATA_DESCRIPTION, None), meta
        dom.setNumaParameters({"numa_nodeset": "0"}, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        h.wait_until(lambda: tunable, 30, what="the TUNABLE event")
        assert tunable[0][0] == "evsig" and tunable[0][1], tunable
        assert other == []
        for cb in cbs:
            conn.domainEventDeregisterAny(cb)
        dom.undefine()
        dummy.undefine()
    finally:
        conn.close()


def test_virsh_event_loop(env):
    """`virsh event --loop` prints qemud's lifecycle events as they come."""
    argv = ["virsh", "-c", env.proxy.uri, "event", "--event", "lifecycle", "--loop", "--timeout", "60"]
    out = env.root / "virsh-event.out"
    with open(out, "w") as f:
        p = h.spawn(argv, stdout=f, stderr=subprocess.STDOUT)
    try:
        # virsh has registered once a marker domain's events show (it may
        # start slowly on a loaded machine)
        marker = env.xml_file("evm")

        def registered():
            assert p.poll() is None, out.read_text()
            env.virsh("define", marker)
            env.virsh("undefine", "evm")
            return "for domain 'evm'" in out.read_text()
        h.wait_until(registered, 30, 0.5, what="virsh event registered")
        drive_lifecycle(env, "ev2")
        want = ["Defined Added", "Started Booted", "Suspended Paused", "Resumed Unpaused",
                "Stopped Destroyed", "Undefined Removed"]
        h.wait_until(lambda: out.read_text().count("for domain 'ev2'") >= len(want), 30,
                     what="virsh event printing ev2's events")
        lines = [line for line in out.read_text().splitlines() if "for domain 'ev2'" in line]
        assert [line.split(": ", 1)[1] for line in lines] == want, lines
    finally:
        p.terminate()
        p.wait(timeout=10)


# ---------------------------------------------------------------------------
# storage (storaged, D-Bus activated by the proxy's first call)

def test_virsh_storage_pool_and_volumes(env):
    target = env.root / "pool-p1"
    r = env.virsh("pool-define-as", "p1", "dir", "--target", target)
    assert "Pool p1 defined" in r.stdout
    env.virsh("pool-build", "p1")
    assert target.is_dir()
    env.virsh("pool-start", "p1")
    rows = [line.split() for line in env.virsh("pool-list", "--all").stdout.splitlines()[2:] if line.strip()]
    assert ["p1", "active", "no"] in rows, rows
    info = env.virsh("pool-info", "p1").stdout
    assert "State:          running" in info and "Persistent:     yes" in info
    assert f"<path>{target}</path>" in env.virsh("pool-dumpxml", "p1").stdout
    env.virsh("pool-autostart", "p1")
    assert "Autostart:      yes" in env.virsh("pool-info", "p1").stdout
    env.virsh("pool-autostart", "--disable", "p1")

    r = env.virsh("vol-create-as", "p1", "v1.img", "1M")
    assert "Vol v1.img created" in r.stdout
    assert (target / "v1.img").stat().st_size == 1 << 20
    out = env.virsh("vol-list", "p1").stdout
    assert f"v1.img   {target}/v1.img" in out, out
    info = env.virsh("vol-info", "v1.img", "--pool", "p1").stdout
    assert "Type:           file" in info and "Capacity:       1.00 MiB" in info
    assert env.virsh("vol-path", "v1.img", "--pool", "p1").stdout.strip() == f"{target}/v1.img"
    assert "<name>v1.img</name>" in env.virsh("vol-dumpxml", "v1.img", "--pool", "p1").stdout
    (target / "v1.img").write_bytes(b"x" * (1 << 20))
    assert "Vol v1.img wiped" in env.virsh("vol-wipe", "v1.img", "--pool", "p1").stdout
    assert (target / "v1.img").read_bytes() == bytes(1 << 20)
    env.virsh("vol-resize", "v1.img", "2M", "--pool", "p1")
    assert (target / "v1.img").stat().st_size == 2 << 20
    env.virsh("vol-delete", "v1.img", "--pool", "p1")
    assert not (target / "v1.img").exists()
    r = env.virsh("vol-info", "v1.img", "--pool", "p1", check=False)
    assert r.returncode == 1 and "Storage volume not found" in r.stderr, r.stderr

    # read-only socket: reads yes, changes no
    assert "p1" in env.virsh("pool-list", "--all", uri=env.proxy.uri_ro).stdout
    r = env.virsh("pool-destroy", "p1", uri=env.proxy.uri_ro, check=False)
    assert r.returncode == 1 and "read only access prevents virStoragePoolDestroy" in r.stderr

    env.virsh("pool-destroy", "p1")
    assert "State:          inactive" in env.virsh("pool-info", "p1").stdout
    env.virsh("pool-undefine", "p1")
    r = env.virsh("pool-info", "p1", check=False)
    assert r.returncode == 1 and "Storage pool not found" in r.stderr, r.stderr


def test_virsh_volume_upload_and_download(env):
    """vol-upload and vol-download through the proxy's streams: the bytes
    arrive as they were, both ways; a range past the volume is refused."""
    target = env.root / "pool-p4"
    env.virsh("pool-define-as", "p4", "dir", "--target", target)
    env.virsh("pool-build", "p4")
    env.virsh("pool-start", "p4")
    try:
        size = 3 * (1 << 20) + 4097          # not a multiple of any chunk
        env.virsh("vol-create-as", "p4", "u.img", str(size))
        data = os.urandom(size)
        src = env.root / "upload.bin"
        src.write_bytes(data)
        env.virsh("vol-upload", "u.img", src, "--pool", "p4")
        assert (target / "u.img").read_bytes() == data
        dst = env.root / "download.bin"
        env.virsh("vol-download", "u.img", dst, "--pool", "p4")
        assert dst.read_bytes() == data
        # a part of it
        part = env.root / "part.bin"
        env.virsh("vol-download", "u.img", part, "--pool", "p4", "--offset", "1000", "--length", "5000")
        assert part.read_bytes() == data[1000:6000]
        # past the end: the daemon's refusal reaches virsh
        r = env.virsh("vol-upload", "u.img", src, "--pool", "p4", "--offset", str(size + 4096), check=False)
        assert r.returncode == 1, r.stdout
        assert (target / "u.img").read_bytes() == data
        # the connection is still fine for more
        env.virsh("vol-download", "u.img", dst, "--pool", "p4")
        assert dst.read_bytes() == data
        env.virsh("vol-delete", "u.img", "--pool", "p4")
    finally:
        env.virsh("pool-destroy", "p4", check=False)
        env.virsh("pool-undefine", "p4", check=False)


def test_python_streams_and_abort(env):
    """python-libvirt's streams: an upload by send/finish, a download aborted
    halfway (the connection goes on), then a whole one."""
    target = env.root / "pool-p5"
    conn = env.open()
    pool = conn.storagePoolDefineXML(
        f"<pool type='dir'><name>p5</name><target><path>{target}</path></target></pool>", 0)
    try:
        pool.build(0)
        pool.create(0)
        size = 2 << 20
        vol = pool.createXML(f"<volume><name>s.raw</name><capacity>{size}</capacity></volume>", 0)
        data = os.urandom(size)
        st = conn.newStream(0)
        vol.upload(st, 0, 0, 0)
        for i in range(0, size, 100000):
            st.send(data[i:i + 100000])
        st.finish()
        assert (target / "s.raw").read_bytes() == data

        st = conn.newStream(0)
        vol.download(st, 0, 0, 0)
        assert len(st.recv(65536)) > 0
        st.abort()
        assert conn.getType() == "QEMU"

        st = conn.newStream(0)
        vol.download(st, 0, 0, 0)
        got = b""
        while True:
            chunk = st.recv(1 << 20)
            if not chunk:
                break
            got += chunk
        st.finish()
        assert got == data
        vol.delete(0)
        pool.destroy()
    finally:
        pool.undefine()
        conn.close()


def rss_anon_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def test_proxy_gives_stream_memory_back(env):
    """After a 32 MiB upload and download the proxy's memory is what it was:
    the stream's buffers are not kept by malloc once their client is gone
    (the proxy idles at a few MiB)."""
    target = env.root / "pool-p6"
    size = 32 << 20
    data = os.urandom(size)
    pid = env.proxy.proc.pid
    conn = env.open()
    conn.getType()
    conn.close()
    before = rss_anon_kib(pid)
    conn = env.open()
    pool = conn.storagePoolDefineXML(
        f"<pool type='dir'><name>p6</name><target><path>{target}</path></target></pool>", 0)
    try:
        pool.build(0)
        pool.create(0)
        vol = pool.createXML(f"<volume><name>m.raw</name><capacity>{size}</capacity></volume>", 0)
        st = conn.newStream(0)
        vol.upload(st, 0, 0, 0)
        for i in range(0, size, 1 << 20):
            st.send(data[i:i + (1 << 20)])
        st.finish()
        st = conn.newStream(0)
        vol.download(st, 0, 0, 0)
        got = []
        while True:
            chunk = st.recv(1 << 20)
            if not chunk:
                break
            got.append(chunk)
        st.finish()
        assert b"".join(got) == data
        vol.delete(0)
        pool.destroy()
    finally:
        pool.undefine()
        # the objects hold the connection open: gone with them
        st = vol = pool = None
        conn.close()
    time.sleep(0.5)
    after = rss_anon_kib(pid)
    assert after - before < 1024, f"proxyd's anonymous memory {before} KiB before, {after} KiB after"


def test_python_storage(env):
    target = env.root / "pool-p2"
    conn = env.open()
    try:
        pool = conn.storagePoolDefineXML(
            f"<pool type='dir'><name>p2</name><target><path>{target}</path></target></pool>", 0)
        pool.build(0)
        pool.create(0)
        assert pool.isActive() == 1 and pool.name() == "p2"
        assert conn.storagePoolLookupByUUIDString(pool.UUIDString()).name() == "p2"
        assert "p2" in [p.name() for p in conn.listAllStoragePools()]
        vol = pool.createXML("<volume><name>a.raw</name><capacity>65536</capacity></volume>", 0)
        assert vol.name() == "a.raw" and vol.key() == f"{target}/a.raw" and vol.path() == f"{target}/a.raw"
        assert vol.info() == [0, 65536, vol.info()[2]]
        assert pool.numOfVolumes() == 1 and pool.listVolumes() == ["a.raw"]
        assert [v.name() for v in pool.listAllVolumes()] == ["a.raw"]
        assert pool.storageVolLookupByName("a.raw").storagePoolLookupByVolume().name() == "p2"
        assert conn.storageVolLookupByKey(vol.key()).name() == "a.raw"
        assert conn.storageVolLookupByPath(f"{target}/a.raw").info()[1] == 65536
        with pytest.raises(libvirt.libvirtError) as e:
            conn.storagePoolLookupByName("nosuch")
        assert e.value.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_POOL
        assert e.value.get_error_domain() == libvirt.VIR_FROM_STORAGE
        # a transient pool
        tdir = env.root / "pool-t"
        tdir.mkdir()
        tpool = conn.storagePoolCreateXML(
            f"<pool type='dir'><name>pt</name><target><path>{tdir}</path></target></pool>", 0)
        assert tpool.isActive() == 1 and tpool.isPersistent() == 0
        tpool.destroy()
        vol.wipe(0)
        assert vol.infoFlags(0)[1] == 65536
        pool.refresh(0)
        vol.delete(0)
        pool.destroy()
        pool.delete(0)
        assert not target.exists()
        pool.undefine()
        with pytest.raises(libvirt.libvirtError) as e:
            pool.info()
        assert e.value.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_POOL
    finally:
        conn.close()


def test_volume_found_by_key_or_path_knows_its_pool(env):
    """A volume looked up by key or path (no pool in the call) comes back
    with its pool's name in its handle, and virStoragePoolLookupByVolume
    finds that pool: with two pools, neither can be a guess."""
    ta, tb = env.root / "pool-ka", env.root / "pool-kb"
    conn = env.open()
    pools = []
    try:
        for name, target in (("ka", ta), ("kb", tb)):
            pool = conn.storagePoolDefineXML(
                f"<pool type='dir'><name>{name}</name><target><path>{target}</path></target></pool>", 0)
            pools.append(pool)
            pool.build(0)
            pool.create(0)
            pool.createXML(f"<volume><name>{name}.raw</name><capacity>65536</capacity></volume>", 0)
        for name, target in (("ka", ta), ("kb", tb)):
            vol_path = f"{target}/{name}.raw"
            assert conn.storageVolLookupByPath(vol_path).storagePoolLookupByVolume().name() == name
            assert conn.storageVolLookupByKey(vol_path).storagePoolLookupByVolume().name() == name
            assert env.virsh("vol-pool", vol_path).stdout.strip() == name
            info = env.virsh("vol-info", "--vol", vol_path).stdout
            assert f"Name:           {name}.raw" in info and "Capacity:       64.00 KiB" in info, info
            assert env.virsh("vol-pool", vol_path, uri=env.proxy.uri_ro).stdout.strip() == name
        # the handle itself, as the client gets it: pool, name, key
        c = Raw(env.proxy.socket).handshake()
        try:
            f = c.call(LOOKUP_VOL_BY_PATH, xdr_string(f"{tb}/kb.raw"))
            assert f["status"] == OK, error_of(f)
            assert f["payload"] == xdr_string("kb") + xdr_string("kb.raw") + xdr_string(f"{tb}/kb.raw")
            f = c.call(LOOKUP_VOL_BY_PATH, xdr_string(f"{tb}/nosuch.raw"))
            assert error_of(f)[:2] == (libvirt.VIR_ERR_NO_STORAGE_VOL, libvirt.VIR_FROM_STORAGE)
        finally:
            c.close()
    finally:
        for pool in pools:
            for v in pool.listAllVolumes(0):
                v.delete(0)
            pool.destroy()
            pool.undefine()
        conn.close()


def test_storage_pool_events(env):
    event_loop()
    target = env.root / "pool-p3"
    conn = env.open()
    seen = []
    try:
        cb = conn.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
                                              lambda c, p, ev, detail, op: seen.append((p.name(), ev)), None)
        env.virsh("pool-define-as", "p3", "dir", "--target", target)
        env.virsh("pool-build", "p3")
        env.virsh("pool-start", "p3")
        env.virsh("pool-destroy", "p3")
        env.virsh("pool-undefine", "p3")
        # pool-build is CREATED, as libvirt says it
        want = [libvirt.VIR_STORAGE_POOL_EVENT_DEFINED, libvirt.VIR_STORAGE_POOL_EVENT_CREATED,
                libvirt.VIR_STORAGE_POOL_EVENT_STARTED,
                libvirt.VIR_STORAGE_POOL_EVENT_STOPPED, libvirt.VIR_STORAGE_POOL_EVENT_UNDEFINED]
        h.wait_until(lambda: len(seen) >= len(want), 20, what=f"pool events (seen {seen})")
        time.sleep(0.5)
        assert seen == [("p3", e) for e in want]
        conn.storagePoolEventDeregisterAny(cb)
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# networks (networkd in a namespace of the test's own, on its own bus)

@pytest.fixture(scope="module")
def netenv():
    from test_networkd_common import NetworkdEnv
    e = NetworkdEnv()
    try:
        e.proxy = h.Proxy(e.bus, e.root).start()
        h.register_log("virtbus-proxyd (networks)", e.proxy.log_path)
        yield e
    finally:
        if getattr(e, "proxy", None):
            e.proxy.stop()
        e.close()


def test_virsh_networks(netenv):
    from test_networkd_common import nat_xml
    p = netenv.proxy
    f = netenv.root / "n1.xml"
    f.write_text(nat_xml("n1", subnet="192.168.231", bridge="vbpx1"))
    assert "Network n1 defined" in p.virsh("net-define", f).stdout
    rows = [line.split() for line in p.virsh("net-list", "--all").stdout.splitlines()[2:] if line.strip()]
    assert ["n1", "inactive", "no", "yes"] in rows, rows
    p.virsh("net-start", "n1")
    assert netenv.link_exists("vbpx1")
    info = p.virsh("net-info", "n1").stdout
    assert "Active:         yes" in info and "Bridge:         vbpx1" in info and "Persistent:     yes" in info
    assert "<name>n1</name>" in p.virsh("net-dumpxml", "n1").stdout
    p.virsh("net-autostart", "n1")
    assert "Autostart:      yes" in p.virsh("net-info", "n1").stdout
    p.virsh("net-autostart", "--disable", "n1")

    # a guest stand-in in a namespace of its own gets a lease; virsh lists it
    c = netenv.client("n1", "52:54:00:31:00:01")
    addr = c.dhcp()
    assert addr and addr.startswith("192.168.231."), addr
    out = p.virsh("net-dhcp-leases", "n1").stdout
    assert "52:54:00:31:00:01" in out and f"{addr}/24" in out, out
    assert "52:54:00:31:00:01" not in p.virsh("net-dhcp-leases", "n1", "--mac", "52:54:00:99:99:99").stdout
    assert "52:54:00:31:00:01" in p.virsh("net-dhcp-leases", "n1", uri=p.uri_ro).stdout

    # net-update: a static host, live and in the definition
    host = "<host mac='52:54:00:31:00:09' ip='192.168.231.9'/>"
    p.virsh("net-update", "n1", "add", "ip-dhcp-host", host, "--live", "--config")
    assert "192.168.231.9" in p.virsh("net-dumpxml", "n1").stdout
    assert "192.168.231.9" in p.virsh("net-dumpxml", "--inactive", "n1").stdout

    r = p.virsh("net-destroy", "n1", uri=p.uri_ro, check=False)
    assert r.returncode == 1 and "read only access prevents virNetworkDestroy" in r.stderr
    p.virsh("net-destroy", "n1")
    assert not netenv.link_exists("vbpx1")
    p.virsh("net-undefine", "n1")
    r = p.virsh("net-info", "n1", check=False)
    assert r.returncode == 1 and "Network not found" in r.stderr, r.stderr


def test_python_networks(netenv):
    from test_networkd_common import nat_xml
    event_loop()
    conn = libvirt.open(netenv.proxy.uri)
    seen = []
    try:
        cb = conn.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE,
                                          lambda c, n, ev, detail, op: seen.append((n.name(), ev)), None)
        net = conn.networkCreateXML(nat_xml("n2", subnet="192.168.232", bridge="vbpx2"))
        assert net.name() == "n2" and net.isActive() == 1 and net.isPersistent() == 0
        assert net.bridgeName() == "vbpx2"
        assert conn.networkLookupByUUIDString(net.UUIDString()).name() == "n2"
        assert "n2" in [n.name() for n in conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE)]
        assert "n2" not in [n.name() for n in conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_INACTIVE)]
        # the *Flags variants
        net3 = conn.networkDefineXMLFlags(nat_xml("n3", subnet="192.168.233", bridge="vbpx3"), 0)
        assert net3.isPersistent() == 1 and net3.isActive() == 0
        net3.undefine()
        net4 = conn.networkCreateXMLFlags(nat_xml("n4", subnet="192.168.234", bridge="vbpx4"), 0)
        assert net4.isActive() == 1
        net4.destroy()
        net.destroy()
        h.wait_until(lambda: [e for n, e in seen if n == "n2"] ==
                     [libvirt.VIR_NETWORK_EVENT_STARTED, libvirt.VIR_NETWORK_EVENT_STOPPED], 20,
                     what=f"n2's network events (seen {seen})")
        conn.networkEventDeregisterAny(cb)
        with pytest.raises(libvirt.libvirtError) as e:
            conn.networkLookupByName("n2")
        assert e.value.get_error_code() == libvirt.VIR_ERR_NO_NETWORK
        assert e.value.get_error_domain() == libvirt.VIR_FROM_NETWORK
    finally:
        conn.close()


def test_clients_gone_with_calls_in_flight(env):
    """Clients that hang up with calls still at the daemons: the replies find
    nobody, and the proxy serves the next ones."""
    for _ in range(40):
        c = Raw(env.proxy.socket).handshake()
        c.send(frame(LIST_ALL_DOMAINS, 10, struct.pack(">iI", 1, 0)) + frame(7, 11))
        c.close()
    assert env.proxy.alive()
    c = Raw(env.proxy.socket).handshake()
    try:
        assert c.call(LIST_ALL_DOMAINS, struct.pack(">iI", 1, 0))["status"] == OK
    finally:
        c.close()
