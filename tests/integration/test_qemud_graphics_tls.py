# SPDX-License-Identifier: LGPL-2.1-or-later
"""SPICE over TLS in virtbus-qemud, as libvirt's qemu.conf has it: with
`spice_tls = 1` and `spice_tls_x509_cert_dir` in qemud.conf, a SPICE display
with autoport and defaultMode='secure' gets a TLS port at start, QEMU serves
TLS on it with the certificates of that directory (a client that trusts the
CA completes the handshake), the live XML (D-Bus and virsh) shows tlsPort.
A start with TLS off, or with the certificate directory missing, fails
naming what is wrong, and the guest stays shut off. The CA and the server
certificate are made here with openssl."""

import shutil
import socket
import ssl
import subprocess

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, bare_domain, dbus_error, module_env, xmllint_relaxng
from virtbus_harness import DomainState as S

env = module_env()


def domain(name, graphics):
    return bare_domain(name, graphics + "<video><model type='qxl'/></video>")


def need_spice():
    r = subprocess.run([h.QEMU, "-spice", "help"], capture_output=True, text=True)
    # "-spice help" lists the options and exits with 1
    if "tls-port" not in r.stdout + r.stderr:
        pytest.skip(f"this QEMU has no SPICE TLS: {(r.stderr or r.stdout).strip()[:200]}")
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: no certificates can be made")


def make_certs(d):
    """A CA and a server certificate for 127.0.0.1 it signed, in QEMU's names."""
    d.mkdir(parents=True, exist_ok=True)

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca-cert.pem",
        "-days", "2", "-subj", "/CN=virtbus test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
        "-out", "server-cert.pem", "-days", "2", "-extfile", "ext.cnf")
    for f in d.iterdir():
        f.chmod(0o644)
    d.chmod(0o755)
    return d


def set_conf(env, text):
    conf = env.root / "etc" / "virtbus" / "qemud.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(text)


def cmdline(g):
    return open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")


def live_tls_port(xml):
    head = xml.split("<graphics")[1].split(">")[0]
    return int(head.split("tlsPort='")[1].split("'")[0])


def test_spice_tls_handshake(env):
    need_spice()
    certs = make_certs(env.root / "pki" / "spice")
    set_conf(env, f"spice_tls = 1\nspice_tls_x509_cert_dir = \"{certs}\"\n")
    xml = domain("tls1", "<graphics type='spice' autoport='yes' defaultMode='secure'>"
                 "<channel name='inputs' mode='insecure'/></graphics>")
    g = Guest(env, env.call("DomainDefineXML", xml), "tls1")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert "defaultMode='secure'" in inactive and "<channel name='inputs' mode='insecure'/>" in inactive
        g.call("Create", 0)
        live = g.call("GetXMLDesc", 0)
        port = live_tls_port(live)
        spice = cmdline(g)[cmdline(g).index(b"-spice") + 1].decode()
        assert f"tls-port={port}" in spice
        assert f"x509-dir={certs}" in spice
        assert "tls-channel=default" in spice and "plaintext-channel=inputs" in spice
        ctx = ssl.create_default_context(cafile=str(certs / "ca-cert.pem"))
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                assert s.version() is not None
                assert s.getpeercert()["subject"] == ((("commonName", "127.0.0.1"),),)
        proxy = h.Proxy(env.bus, env.root).start()
        try:
            out = proxy.virsh("dumpxml", "tls1").stdout
            out = out.decode() if isinstance(out, bytes) else out
            assert f"tlsPort='{port}'" in out
        finally:
            proxy.stop()
        g.call("Destroy", 0)
        assert "tlsPort" not in g.call("GetXMLDesc", 2)
    finally:
        set_conf(env, "")
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


@pytest.mark.parametrize("conf,at,words", [
    # libvirt refuses a fixed TLS port at define when TLS is off
    ("", "define", ["spice TLS port set in XML configuration", "TLS is disabled in qemud.conf", "spice_tls = 1"]),
    ("spice_tls = yes\n", "define", ["spice_tls = yes"]),
    ("spice_tls = 1\nspice_tls_x509_cert_dir = \"/nonexistent/spice-pki\"\n", "start",
     ["certificate directory /nonexistent/spice-pki", "is missing"]),
])
def test_refused_and_nothing_changed(env, conf, at, words):
    xml = domain("tls2", "<graphics type='spice' port='5990' tlsPort='5991' autoport='no'/>")
    set_conf(env, conf)
    try:
        if at == "define":
            with dbus_error("ConfigUnsupported", *words):
                env.call("DomainDefineXML", xml)
            assert "tls2" not in [str(env.qemud.get_property(p, "org.libvirt.Domain", "Name"))
                                  for p in env.call("ListDomains", 0)]
            return
        g = Guest(env, env.call("DomainDefineXML", xml), "tls2")
        try:
            with dbus_error("ConfigUnsupported", *words):
                g.call("Create", 0)
            assert g.state()[0] == S.SHUTOFF
            assert "tlsPort='5991'" in g.call("GetXMLDesc", 2)
        finally:
            g.call("Undefine", 0)
    finally:
        set_conf(env, "")
