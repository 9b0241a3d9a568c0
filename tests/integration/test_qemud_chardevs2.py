# SPDX-License-Identifier: LGPL-2.1-or-later
"""Chardev extras in virtbus-qemud, each in a real QEMU that starts (no guest
needs to boot for what QEMU does with its chardevs):

- <reconnect>: a serial on a unix socket of ours and a USB redirdev on a TCP
  socket of ours, both in connect mode with reconnect: QEMU connects, the
  peer goes, QEMU connects again; the redirdev's <boot order> is its
  bootindex;
- TLS on a TCP serial (tls='yes', qemud.conf's chardev_tls_x509_cert_dir):
  a client trusting the CA completes the handshake with QEMU; chardev_tls = 1
  makes a serial without tls='' speak TLS and tls='no' keeps one plain; a
  start whose certificate directory is missing fails naming it, the guest
  stays shut off;
- stdio and spiceport serials (with SPICE), dbus serial and redirdevs (with
  a D-Bus display): QEMU starts with them;
- <source><seclabel model='dac' relabel='no'/>: a serial's file keeps its
  owner while QEMU runs as its DAC user, when another is given to it.
The certificates are made with openssl."""

import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import tempfile

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, bare_domain, dbus_error, module_env, xmllint_relaxng
from test_qemud_graphics_tls import make_certs, set_conf
from virtbus_harness import DomainState as S

env = module_env()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cmdline(g):
    return [a.decode() for a in open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")]


def opt_values(g, opt):
    a = cmdline(g)
    return [a[i + 1] for i, x in enumerate(a[:-1]) if x == opt]


def accept(listener, timeout=60):
    listener.settimeout(timeout)
    conn, _ = listener.accept()
    return conn


def started(env, name, devices):
    """Defined (the caller starts it)."""
    return Guest(env, env.call("DomainDefineXML", bare_domain(name, devices)), name)


@pytest.fixture(autouse=True)
def _conf_reset(env):
    yield
    set_conf(env, "")


def stop(g):
    try:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
    finally:
        g.call("Undefine", 0)


def test_reconnect_after_peer_goes(env, tmp_path_factory):
    d = tmp_path_factory.mktemp("chr")
    d.chmod(0o755)
    path = str(d / "peer.sock")
    port = free_port()
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(path)
    os.chmod(path, 0o666)
    unix.listen(2)
    tcp = socket.socket()
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    tcp.listen(2)
    g = started(env, "reconn", f"""<controller type='usb' model='piix3-uhci'/>
    <serial type='unix'><source mode='connect' path='{path}'><reconnect enabled='yes' timeout='1'/></source>
      <target port='0'/></serial>
    <redirdev bus='usb' type='tcp'><source mode='connect' host='127.0.0.1' service='{port}'>
      <reconnect enabled='yes' timeout='1'/></source><protocol type='raw'/><boot order='1'/></redirdev>""")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert "<reconnect enabled='yes' timeout='1'/>" in inactive and "<boot order='1'/>" in inactive
        g.call("Create", 0)
        chardevs = opt_values(g, "-chardev")
        # (a serial also logs to the guest's log)
        assert any(c.startswith(f"socket,id=charserial0,path={path},reconnect=1,") for c in chardevs), chardevs
        assert f"socket,id=charredir0,host=127.0.0.1,port={port},reconnect=1" in chardevs
        assert any('"driver":"usb-redir"' in v and '"bootindex":1' in v for v in opt_values(g, "-device"))
        for listener in (unix, tcp):
            first = accept(listener)
            first.close()        # the peer goes: QEMU connects again
            second = accept(listener)
            second.close()
        assert "<reconnect enabled='yes' timeout='1'/>" in g.call("GetXMLDesc", 0)
    finally:
        unix.close()
        tcp.close()
        stop(g)


def tls_conf(env, certs, extra=""):
    set_conf(env, f"chardev_tls_x509_cert_dir = \"{certs}\"\nchardev_tls_x509_verify = 0\n{extra}")


def handshake(port, certs):
    ctx = ssl.create_default_context(cafile=str(certs / "ca-cert.pem"))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.version()


def test_tls_serial_handshake(env):
    certs = make_certs(env.root / "pki" / "chardev")
    tls_conf(env, certs)
    port = free_port()
    g = started(env, "chrtls", f"<serial type='tcp'><source mode='bind' host='127.0.0.1' service='{port}' "
                          f"tls='yes'/><protocol type='raw'/><target port='0'/></serial>")
    try:
        g.call("Create", 0)
        objs = opt_values(g, "-object")
        assert any('"qom-type":"tls-creds-x509"' in o and f'"dir":"{certs}"' in o and '"endpoint":"server"' in o
                   and '"verify-peer":false' in o for o in objs), objs
        assert handshake(port, certs) is not None
        assert "tls='yes'" in g.call("GetXMLDesc", 0)
        # virsh through the proxy sees the same
        proxy = h.Proxy(env.bus, env.root).start()
        try:
            out = proxy.virsh("dumpxml", "chrtls").stdout
            out = out.decode() if isinstance(out, bytes) else out
            assert f"service='{port}' tls='yes'/>" in out
        finally:
            proxy.stop()
    finally:
        stop(g)


def test_chardev_tls_from_conf_and_tls_no(env):
    certs = make_certs(env.root / "pki" / "chardev2")
    tls_conf(env, certs, "chardev_tls = 1\n")
    p1, p2 = free_port(), free_port()
    g = started(env, "chrtls2", f"""<serial type='tcp'><source mode='bind' host='127.0.0.1' service='{p1}'/>
      <target port='0'/></serial>
    <serial type='tcp'><source mode='bind' host='127.0.0.1' service='{p2}' tls='no'/><target port='1'/></serial>""")
    try:
        g.call("Create", 0)
        chardevs = opt_values(g, "-chardev")
        assert any(c.startswith("socket,id=charserial0,") and "tls-creds=objcharserial0_tls0" in c for c in chardevs)
        assert any(c.startswith("socket,id=charserial1,") and "tls-creds" not in c for c in chardevs)
        assert handshake(p1, certs) is not None
        # the plain one takes a plain connection
        with socket.create_connection(("127.0.0.1", p2), timeout=30):
            pass
    finally:
        stop(g)


def test_tls_start_refused_naming_directory(env):
    set_conf(env, "chardev_tls_x509_cert_dir = \"/nonexistent/chardev-pki\"\n")
    g = started(env, "chrtls3", "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='9' tls='yes'/>"
                           "<target port='0'/></serial>")
    try:
        before = g.call("GetXMLDesc", 2)
        with dbus_error("ConfigUnsupported", "/nonexistent/chardev-pki", "chardev_tls_x509_cert_dir"):
            g.call("Create", 0)
        assert g.state()[0] == S.SHUTOFF
        assert g.call("GetXMLDesc", 2) == before
    finally:
        stop(g)


def need_module(args, word):
    r = subprocess.run([h.QEMU, *args], capture_output=True, text=True)
    if word not in r.stdout + r.stderr:
        pytest.skip(f"this QEMU lacks {word}: {(r.stderr or r.stdout).strip()[:200]}")


def test_stdio_and_spiceport_serials_start(env):
    need_module(["-spice", "help"], "port")
    g = started(env, "chrspice", """<serial type='stdio'><target port='0'/></serial>
    <serial type='spiceport'><source channel='org.qemu.console.serial.1'/><target port='1'/></serial>
    <graphics type='spice' autoport='yes'/><video><model type='qxl'/></video>""")
    try:
        g.call("Create", 0)
        chardevs = opt_values(g, "-chardev")
        assert "stdio,id=charserial0" in chardevs
        assert any(c.startswith("spiceport,id=charserial1,name=org.qemu.console.serial.1,") for c in chardevs)
        live = g.call("GetXMLDesc", 0)
        assert "<serial type='stdio'>" in live and "<source channel='org.qemu.console.serial.1'/>" in live
    finally:
        stop(g)


def test_dbus_serial_and_redirdevs_start(env):
    need_module(["-display", "help"], "dbus")
    g = started(env, "chrdbus", """<controller type='usb' model='piix3-uhci'/>
    <serial type='dbus'><source channel='org.qemu.console.serial.0'/><target port='0'/></serial>
    <graphics type='dbus' p2p='yes'/><redirdev bus='usb' type='dbus'/><redirdev bus='usb' type='dbus'/>
    <video><model type='vga'/></video>""")
    try:
        g.call("Create", 0)
        chardevs = opt_values(g, "-chardev")
        assert any(c.startswith("dbus,id=charserial0,name=org.qemu.console.serial.0,") for c in chardevs)
        assert "dbus,id=charredir1,name=org.qemu.usbredir" in chardevs
        assert g.state()[0] == S.RUNNING or g.state()[0] == S.PAUSED
    finally:
        stop(g)


def test_serial_file_seclabel_relabel_no(env):
    # a directory QEMU's user can reach (pytest's are root's, 0700)
    d = pathlib.Path(tempfile.mkdtemp(prefix="vb-chrlabel-"))
    d.chmod(0o777)
    kept, given = d / "kept.log", d / "given.log"
    kept.write_text("")
    kept.chmod(0o666)
    set_conf(env, "user = \"+64055\"\ngroup = \"+64055\"\n")
    g = started(env, "chrlabel", f"""<serial type='file'><source path='{kept}'><seclabel model='dac' relabel='no'/>
      </source><target port='0'/></serial>
    <serial type='file'><source path='{given}'/><target port='1'/></serial>""")
    try:
        g.call("Create", 0)
        assert os.stat(kept).st_uid == 0
        assert os.stat(given).st_uid == 64055
        assert "<seclabel model='dac' relabel='no'/>" in g.call("GetXMLDesc", 0)
        g.call("Destroy", 0)
        assert os.stat(given).st_uid == 0
    finally:
        stop(g)
        shutil.rmtree(d)


@pytest.mark.parametrize("serial,error,words", [
    ("<serial type='unix'><source mode='bind' path='/tmp/x.sock'><reconnect enabled='yes' timeout='3'/>"
     "</source></serial>", "InvalidArg", "chardev reconnect is possible only for connect mode"),
    ("<serial type='dbus'><source channel='bad name'/></serial>", "InvalidArg", "Invalid character"),
    ("<serial type='spiceport'/>", "NotSupported", "Missing source channel attribute"),
])
def test_refused_and_nothing_defined(env, serial, error, words):
    with dbus_error(error, *words):
        env.call("DomainDefineXML", bare_domain("chrbad", serial))
    with dbus_error("NoDomain"):
        env.call("DomainLookupByName", "chrbad")


def test_console_with_pci_address(env):
    """A serial console repeats its pci-serial's PCI address: one pci-serial
    device, the console an alias of it, both addresses kept."""
    addr = "<address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>"
    g = started(env, "chrpci", f"""<serial type='pty'><target type='pci-serial' port='0'/>{addr}</serial>
    <console type='pty'><target type='serial' port='0'/>{addr}</console>""")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert inactive.count(addr) == 2
        g.call("Create", 0)
        devices = [d for d in opt_values(g, "-device") if '"driver":"pci-serial"' in d]
        assert len(devices) == 1 and '"addr":"0x4"' in devices[0]
        live = g.call("GetXMLDesc", 0)
        console = live.split("<console")[1].split("</console>")[0]
        assert "<alias name='serial0'/>" in console and addr in console
    finally:
        stop(g)


def vnc_des(password, challenge):
    """The VNC authentication answer: the challenge DES-encrypted with the
    password (8 bytes, each bit-reversed) as key, by openssl."""
    key = bytes(int(f"{b:08b}"[::-1], 2) for b in password.encode()[:8].ljust(8, b"\0"))
    r = subprocess.run(["openssl", "enc", "-des-ecb", "-provider", "legacy", "-provider", "default", "-K",
                        key.hex(), "-nopad"], input=challenge, capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"openssl cannot do DES here: {r.stderr.decode().strip()[:200]}")
    return r.stdout


def vnc_auth(port, password):
    """True when QEMU's VNC server takes the password (RFB 3.8, VNC auth)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        f = s.makefile("rwb")
        assert f.read(12).startswith(b"RFB ")
        f.write(b"RFB 003.008\n")
        f.flush()
        types = f.read(f.read(1)[0])
        assert 2 in types, types
        f.write(bytes([2]))
        f.flush()
        f.write(vnc_des(password, f.read(16)))
        f.flush()
        return int.from_bytes(f.read(4), "big") == 0


@pytest.mark.parametrize("valid_to,takes", [("2011-05-31T16:11:22", False), ("2099-01-01T00:00:00", True)])
def test_vnc_password_valid_to(env, valid_to, takes):
    """passwdValidTo='': QEMU's expire_password at start; a password past it
    is refused, one before it taken. The live XML keeps it."""
    port = free_port()
    g = started(env, "chrvnc", f"<graphics type='vnc' port='{port}' autoport='no' passwd='s3cret' "
                               f"passwdValidTo='{valid_to}' listen='127.0.0.1'/>")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert f"passwdValidTo='{valid_to}'" in inactive
        g.call("Create", 0)
        assert f"passwdValidTo='{valid_to}'" in g.call("GetXMLDesc", 0)
        assert vnc_auth(port, "s3cret") is takes
    finally:
        stop(g)


def test_two_listens_kept_and_start_refused(env):
    """libvirt keeps every <listen> and refuses to start a display with two."""
    g = started(env, "chrlisten", "<graphics type='vnc' listen='127.0.0.1' autoport='yes'>"
                                  "<listen type='address' address='127.0.0.1'/>"
                                  "<listen type='network' network='Bobsnetwork'/></graphics>")
    try:
        before = g.call("GetXMLDesc", 2)
        xmllint_relaxng(before, "domain", "GetXMLDesc")
        assert "<listen type='network' network='Bobsnetwork'/>" in before
        with dbus_error("ConfigUnsupported", "QEMU does not support multiple listens for one graphics device."):
            g.call("Create", 0)
        assert g.state()[0] == S.SHUTOFF
        assert g.call("GetXMLDesc", 2) == before
    finally:
        stop(g)
