# SPDX-License-Identifier: LGPL-2.1-or-later
"""File-descriptor passing through virtbus-proxyd (libvirt-rpc.md 1.7).

The proxy says yes to SUPPORTS_FEATURE(FD_PASSING); virDomainOpenGraphicsFD
(343) then comes back as a REPLY_WITH_FDS frame (the fd count after the
header) followed by the fd in a 1-byte message of its own. The domain is a
paused VNC guest with no disk: its display serves RFB without an OS.

No procedure of the QEMU driver takes fds (CREATE_WITH_FILES and
CREATE_XML_WITH_FILES are "not supported" by libvirtd's QEMU driver too):
a CALL_WITH_FDS is answered so, its fds are passed over and the
connection goes on."""

import os
import shutil
import socket
import struct

import pytest

import virtbus_harness as h
from test_proxy import Raw, error_of, frame, xdr_string, SUPPORTS_FEATURE, REPLY, OK, ERROR
from test_qemud_graphics import domain_xml

libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")

pytestmark = pytest.mark.timeout(120)

OPEN_GRAPHICS_FD, CREATE_WITH_FILES = 343, 310
CALL_WITH_FDS, REPLY_WITH_FDS = 4, 5
FEATURE_FD_PASSING = 8
VIR_ERR_NO_SUPPORT, VIR_ERR_OPERATION_DENIED = 3, 29


@pytest.fixture
def proxy(qemud, bus, vroot):
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    p = h.Proxy(bus, vroot).start()
    yield p
    p.stop()


@pytest.fixture
def vnc_guest(qemud):
    """A paused VNC guest "vnc-fd" (no password); destroyed and undefined after."""
    virt = "kvm" if h.kvm_available() else "qemu"
    path = qemud.call("DomainDefineXML", domain_xml("vnc-fd", virt, None))
    qemud.domain_call(path, "Create", 1)
    yield path
    qemud.domain_call(path, "Destroy", 0)
    qemud.domain_call(path, "Undefine", 0)


def rfb_version(fd):
    """The version line an RFB server sends first, on fd (closed here)."""
    with socket.socket(fileno=fd) as s:
        s.settimeout(10)
        data = b""
        while len(data) < 12:
            chunk = s.recv(12 - len(data))
            if not chunk:
                break
            data += chunk
        return data


def domain_handle(name, path):
    """remote_nonnull_domain as sent: name, uuid (from qemud's object path), id."""
    uuid = bytes.fromhex(path.rsplit("/", 1)[1].replace("_", ""))
    return xdr_string(name) + uuid + struct.pack(">i", -1)


def test_python_open_graphics_fd(proxy, vnc_guest):
    conn = libvirt.open(proxy.uri)
    try:
        dom = conn.lookupByName("vnc-fd")
        # two in a row: each its own RFB client
        fds = [dom.openGraphicsFD(0, 0) for _ in range(2)]
        assert [rfb_version(fd) for fd in fds] == [b"RFB 003.008\n"] * 2

        with pytest.raises(libvirt.libvirtError) as e:
            dom.openGraphicsFD(1, 0)
        assert "index 1" in str(e.value), str(e.value)
        # the connection goes on after the error
        assert dom.name() == "vnc-fd" and conn.getType() == "QEMU"
        assert rfb_version(dom.openGraphicsFD(0, 0)) == b"RFB 003.008\n"
    finally:
        conn.close()


def test_read_only_connection_refused(proxy, vnc_guest):
    conn = libvirt.openReadOnly(proxy.uri_ro)
    try:
        dom = conn.lookupByName("vnc-fd")
        with pytest.raises(libvirt.libvirtError) as e:
            dom.openGraphicsFD(0, 0)
        assert e.value.get_error_code() == libvirt.VIR_ERR_OPERATION_DENIED, str(e.value)
        assert "read only access prevents virDomainOpenGraphicsFD" in str(e.value)
    finally:
        conn.close()
    # the proxy refuses it too, for a client that does not check itself
    raw = Raw(proxy.socket_ro).handshake()
    try:
        raw.send(frame(OPEN_GRAPHICS_FD, 7, domain_handle("vnc-fd", vnc_guest) + struct.pack(">II", 0, 0)))
        f = raw.recv_frame()
        assert f["type"] == REPLY and f["status"] == ERROR
        code, _, msg = error_of(f)
        assert code == VIR_ERR_OPERATION_DENIED and "virDomainOpenGraphicsFD" in msg, msg
    finally:
        raw.close()


def test_reply_with_fds_on_the_wire(proxy, vnc_guest):
    raw = Raw(proxy.socket).handshake()
    try:
        f = raw.call(SUPPORTS_FEATURE, struct.pack(">i", FEATURE_FD_PASSING))
        assert f["status"] == OK and f["payload"] == struct.pack(">i", 1)

        raw.send(frame(OPEN_GRAPHICS_FD, 9, domain_handle("vnc-fd", vnc_guest) + struct.pack(">II", 0, 0)))
        f = raw.recv_frame()
        assert f["status"] == OK, error_of(f)
        # the count, a 4-byte u32, and no ret
        assert (f["type"], f["serial"], f["status"], f["payload"]) == (REPLY_WITH_FDS, 9, OK, b"\0\0\0\1")
        data, fds, _, _ = socket.recv_fds(raw.s, 1, 1)
        assert data == b"\0" and len(fds) == 1
        assert rfb_version(fds[0]) == b"RFB 003.008\n"
        # the next frame follows at once, nothing between
        f = raw.call(SUPPORTS_FEATURE, struct.pack(">i", FEATURE_FD_PASSING))
        assert f["status"] == OK
    finally:
        raw.close()


def test_call_with_fds_not_supported_and_connection_goes_on(proxy, qemud, vroot):
    path = qemud.call("DomainDefineXML", domain_xml("fds-off", "qemu", None))
    try:
        raw = Raw(proxy.socket).handshake()
        r, w = os.pipe()
        try:
            # as `virsh start --pass-fds`: count, domain, flags, then one
            # 1-byte message per fd
            raw.send(frame(CREATE_WITH_FILES, 3, struct.pack(">I", 2) + domain_handle("fds-off", path)
                           + struct.pack(">I", 0), type_=CALL_WITH_FDS))
            socket.send_fds(raw.s, [b"\0"], [r])
            socket.send_fds(raw.s, [b"\0"], [w])
            f = raw.recv_frame()
            assert f["serial"] == 3 and f["status"] == ERROR
            code, _, msg = error_of(f)
            assert code == VIR_ERR_NO_SUPPORT and "virDomainCreateWithFiles" in msg, msg
            f = raw.call(SUPPORTS_FEATURE, struct.pack(">i", FEATURE_FD_PASSING))
            assert f["status"] == OK and f["payload"] == struct.pack(">i", 1)
        finally:
            os.close(r)
            os.close(w)
            raw.close()

        # the real clients read libvirtd's QEMU answer
        res = proxy.virsh("start", "fds-off", "--pass-fds", "0,2", check=False)
        assert res.returncode != 0
        assert "this function is not supported by the connection driver: virDomainCreateWithFiles" \
            in res.stderr, res.stderr
        conn = libvirt.open(proxy.uri)
        try:
            dom = conn.lookupByName("fds-off")
            with pytest.raises(libvirt.libvirtError) as e:
                dom.createWithFiles([0])
            assert e.value.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT, str(e.value)
            assert not dom.isActive()
        finally:
            conn.close()
    finally:
        qemud.domain_call(path, "Undefine", 0)
