# SPDX-License-Identifier: LGPL-2.1-or-later
"""OpenGraphicsFD: qemud makes a socketpair, hands one end to QEMU's VNC
server as a new client (getfd with the fd by SCM_RIGHTS on the monitor,
then add_client) and returns the other: the caller speaks RFB on it as if
it had connected to the display's port. SKIPAUTH lets a client of a display
with a password in without it. Bad index or flags get their own error."""

import socket

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import dbus_error
from test_qemud_graphics import domain_xml

pytestmark = pytest.mark.timeout(120)

SKIPAUTH = 1


def rfb_security_types(fd):
    """The RFB 3.8 handshake on fd (ours to close): the server's version
    line and the security types it offers."""
    with socket.socket(fileno=fd) as s:
        s.settimeout(10)
        version = s.recv(12)
        s.sendall(b"RFB 003.008\n")
        n = s.recv(1)[0]
        return version, set(s.recv(n))


def open_fd(qemud, path, flags, idx=0):
    """OpenGraphicsFD's fd, as an int of ours (the harness may have taken
    it out of its dbus.types.UnixFd already)."""
    fd = qemud.domain_call(path, "OpenGraphicsFD", idx, flags)
    return fd.take() if isinstance(fd, dbus.types.UnixFd) else int(fd)


def test_open_graphics_fd_vnc(qemud):
    virt = "kvm" if h.kvm_available() else "qemu"
    path = qemud.call("DomainDefineXML", domain_xml("vnc-fd", virt, "s3cret"))
    qemud.domain_call(path, "Create", 1)            # paused: the display runs all the same
    try:
        # 2 = VNC authentication (the display has a password), 1 = none
        assert rfb_security_types(open_fd(qemud, path, 0)) == (b"RFB 003.008\n", {2})
        assert rfb_security_types(open_fd(qemud, path, SKIPAUTH)) == (b"RFB 003.008\n", {1})
        # several at once, each its own client
        fds = [open_fd(qemud, path, SKIPAUTH) for _ in range(3)]
        assert [rfb_security_types(f)[1] for f in fds] == [{1}] * 3

        with dbus_error("InvalidArg", "index 1"):
            qemud.domain_call(path, "OpenGraphicsFD", 1, 0)
        with dbus_error("InvalidArg"):
            qemud.domain_call(path, "OpenGraphicsFD", 0, 4)
    finally:
        qemud.domain_call(path, "Destroy", 0)
    with dbus_error("OperationInvalid"):
        qemud.domain_call(path, "OpenGraphicsFD", 0, 0)
    qemud.domain_call(path, "Undefine", 0)
