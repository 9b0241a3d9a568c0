# SPDX-License-Identifier: LGPL-2.1-or-later
"""<listen type='none'> and <listen type='socket'> in virtbus-qemud: no TCP
port is picked; QEMU runs `-vnc none` (a client comes through
OpenGraphicsFD) or serves VNC and SPICE on the unix socket given; the
inactive XML keeps the listen as given, also through virsh."""

import shutil
import socket

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, bare_domain, dbus_error, module_env, xmllint_relaxng

env = module_env()


def domain(name, graphics):
    return bare_domain(name, graphics + "<video><model type='qxl'/></video>")


def rfb_version(sock):
    sock.settimeout(10)
    return sock.recv(12)


def cmdline(g):
    return open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")


def test_vnc_none_reached_by_fd_and_spice_on_a_socket(env):
    sp = env.root / "spice.sock"
    xml = domain("lst1", "<graphics type='vnc'><listen type='none'/></graphics>"
                 f"<graphics type='spice'><listen type='socket' socket='{sp}'/></graphics>")
    g = Guest(env, env.call("DomainDefineXML", xml), "lst1")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert "<graphics type='vnc'>\n      <listen type='none'/>" in inactive
        assert f"<listen type='socket' socket='{sp}'/>" in inactive
        g.call("Create", 0)
        argv = cmdline(g)
        assert argv[argv.index(b"-vnc") + 1] == b"none"
        assert argv[argv.index(b"-spice") + 1].startswith(b"unix=on,addr=" + str(sp).encode())
        live = g.call("GetXMLDesc", 0)
        assert "port=" not in live.split("<graphics")[1].split(">")[0]
        fd = g.call("OpenGraphicsFD", 0, 0)
        fd = fd.take() if isinstance(fd, dbus.types.UnixFd) else int(fd)
        with socket.socket(fileno=fd) as s:
            assert rfb_version(s) == b"RFB 003.008\n"
        # SPICE answers on its socket: a SpiceLinkHeader starts with "REDQ"
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(sp))
            assert sp.exists()
    finally:
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)


def test_vnc_on_a_socket_through_virsh(env):
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    vs = env.root / "vnc.sock"
    xmlf = env.root / "lst2.xml"
    xmlf.write_text(domain("lst2", f"<graphics type='vnc'><listen type='socket' socket='{vs}'/></graphics>"))
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        proxy.virsh("define", str(xmlf))
        proxy.virsh("start", "lst2")
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(vs))
            assert rfb_version(s) == b"RFB 003.008\n"
        out = proxy.virsh("dumpxml", "lst2").stdout
        out = out.decode() if isinstance(out, bytes) else out
        assert f"<listen type='socket' socket='{vs}'/>" in out
        proxy.virsh("destroy", "lst2")
        proxy.virsh("undefine", "lst2")
    finally:
        proxy.stop()


@pytest.mark.parametrize("graphics,error,words", [
    ("<graphics type='vnc' listen='127.0.0.1'><listen type='none'/></graphics>", "InvalidArg",
     "cannot go with the graphics listen attribute"),
    ("<graphics type='vnc' port='5905' autoport='no'><listen type='socket' socket='/run/x.sock'/></graphics>",
     "InvalidArg", "cannot go with port '5905'"),
    ("<graphics type='vnc'><listen type='socket' socket='rel.sock'/></graphics>", "InvalidArg",
     "absolute path"),
    ("<graphics type='vnc'><listen type='none' socket='/run/x.sock'/></graphics>", "NotSupported",
     "attribute 'socket'"),
])
def test_refused_and_nothing_defined(env, graphics, error, words):
    with dbus_error(error, words):
        env.call("DomainDefineXML", domain("lstbad", graphics))
    with dbus_error("NoDomain"):
        env.call("DomainLookupByName", "lstbad")
