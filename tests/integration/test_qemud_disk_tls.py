# SPDX-License-Identifier: LGPL-2.1-or-later
"""TLS to an NBD server (<source protocol='nbd' tls='yes'>, qemud.conf's
nbd_tls and nbd_tls_x509_cert_dir): Debian's qemu-nbd serves a file on
loopback TCP with a tls-creds-x509 object on certificates made here with
openssl. QEMU (the client) opens the disk over TLS at start, checking the
server's certificate against the CA and tlsHostname='' (QEMU's
tls-hostname): the start succeeds only if both handshakes did; virsh
through the proxy shows the source. A CA that did not sign the server's
certificate, a tlsHostname the certificate does not name, or a directory
that does not exist fail the start naming what was wrong and leave the
domain shut off. QMP (qemud killed and started again meanwhile) shows the
nodes open on the export. An <nvram type='network'> on a TLS export of
OVMF's variables is QEMU's pflash1. A TLS disk hot-plugged gets its
tls-creds-x509 object at plug time and loses it at unplug, even when
nbd_tls changed in between (for a disk of the start too). No guest OS
boots: the machine is enough for QEMU to open its disks."""

import os
import re
import shutil
import signal
import subprocess

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, bare_domain, dbus_error, module_env, xmllint_relaxng
from test_qemud_disk_net import NbdServer, free_port
from test_qemud_graphics_tls import set_conf
from virtbus_harness import DomainState as S

env = module_env()

QEMU_NBD = shutil.which("qemu-nbd")
SIZE = 3 << 20
HOSTNAME = "nbd.virtbus.test"


def openssl(d, *args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)


def make_ca(d):
    d.mkdir(parents=True, exist_ok=True)
    openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca-cert.pem",
            "-days", "2", "-subj", f"/CN=virtbus nbd test CA {d.name}")
    return d


def make_server_cert(ca):
    """server-cert.pem and server-key.pem in ca, signed by it, for 127.0.0.1 and HOSTNAME."""
    openssl(ca, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
    (ca / "ext.cnf").write_text(f"subjectAltName=IP:127.0.0.1,DNS:{HOSTNAME}\n")
    openssl(ca, "x509", "-req", "-in", "server.csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem",
            "-CAcreateserial", "-out", "server-cert.pem", "-days", "2", "-extfile", "ext.cnf")


def client_dir(d, ca):
    """What QEMU reads as the client: only the CA's certificate."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "ca-cert.pem").write_bytes((ca / "ca-cert.pem").read_bytes())
    for f in [d, *d.iterdir()]:
        f.chmod(0o755 if f.is_dir() else 0o644)
    return d


class TlsNbdServer(NbdServer):
    """qemu-nbd serving image as `name` on 127.0.0.1:port, TLS only, not
    asking clients for a certificate."""

    def __init__(self, image, name, port, certs):
        super().__init__(image, name, port=port, clients=8, extra=(
            "--object", f"tls-creds-x509,id=tls0,dir={certs},endpoint=server,verify-peer=off",
            "--tls-creds", "tls0"))


@pytest.fixture(scope="module")
def nbd(env):
    """(port, the client directories: good and wrong CA) of a TLS qemu-nbd."""
    if not QEMU_NBD:
        pytest.skip("qemu-nbd is not installed (Debian's qemu-utils)")
    pki = env.root / "pki-nbd"
    ca = make_ca(pki / "ca")
    make_server_cert(ca)
    other = make_ca(pki / "other-ca")
    image = env.root / "nbd-tls.img"
    image.write_bytes(b"VIRTBUS-NBD-TLS\n" + b"\0" * (SIZE - 16))
    port = free_port()
    server = TlsNbdServer(image, "export0", port, ca)
    yield port, client_dir(pki / "client", ca), client_dir(pki / "client-wrong", other)
    server.stop()


@pytest.fixture(autouse=True)
def _conf_reset(env):
    yield
    set_conf(env, "")


def disk(dev, port, tls="", extra=""):
    return (f"<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
            f"<source protocol='nbd' name='export0'{tls}{extra}><host name='127.0.0.1' port='{port}'/></source>"
            f"<target dev='{dev}' bus='virtio'/></disk>")


def define(env, name, devices):
    return Guest(env, env.call("DomainDefineXML", bare_domain(name, devices)), name)


def stop(g):
    try:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
    finally:
        g.call("Undefine", 0)


def qmp_block_nodes(env, name):
    """QEMU's block nodes over its monitor, qemud killed meanwhile (it holds
    the monitor) and started again: it finds the guest again."""
    live = (env.root / "run" / "virtbus" / "qemu" / f"{name}.xml").read_text()
    monitor = re.search(r"<monitor path='([^']+)'", live).group(1)
    env.qemud.kill()
    try:
        qmp = h.Qmp(monitor, timeout=20)
        try:
            return {n["node-name"]: n for n in qmp.cmd("query-named-block-nodes")}
        finally:
            qmp.close()
    finally:
        env.qemud.start()


def objects(g):
    argv = open(f"/proc/{g.pid()}/cmdline", "rb").read().decode().split("\0")
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "-object"]


def test_tls_disks_open_over_tls(env, nbd):
    port, certs, _ = nbd
    # nbd_tls = 1: vda without tls='' speaks TLS too; vdb checks the name
    set_conf(env, f"nbd_tls = 1\nnbd_tls_x509_cert_dir = \"{certs}\"\n")
    g = define(env, "nbdtls1", disk("vda", port) + disk("vdb", port, " tls='yes'", f" tlsHostname='{HOSTNAME}'"))
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert f"tls='yes' tlsHostname='{HOSTNAME}'" in inactive
        g.call("Create", 0)
        assert g.state()[0] == S.RUNNING
        objs = objects(g)
        for n in (0, 1):
            assert any('"qom-type":"tls-creds-x509"' in o and f'"id":"objvirtio-disk{n}-file_tls0"' in o
                       and f'"dir":"{certs}"' in o and '"endpoint":"client"' in o for o in objs), objs
        # QEMU's nbd driver connects at open: the guest runs, so both TLS
        # handshakes passed (a wrong CA or name fails the start, below);
        # QMP shows both nodes open on the export, of the served size
        nodes = qmp_block_nodes(env, "nbdtls1")
        for n in (0, 1):
            node = nodes.get(f"virtio-disk{n}-file")
            assert node and "nbd" in node["file"] and node["image"]["virtual-size"] == SIZE, nodes
        proxy = h.Proxy(env.bus, env.root).start()
        try:
            out = proxy.virsh("dumpxml", "nbdtls1").stdout
            out = out.decode() if isinstance(out, bytes) else out
            assert f"tls='yes' tlsHostname='{HOSTNAME}'" in out, out
        finally:
            proxy.stop()
    finally:
        stop(g)


@pytest.mark.parametrize("case", ["wrong-ca", "wrong-hostname", "no-directory"])
def test_start_refused_and_left_shut_off(env, nbd, case):
    port, certs, wrong = nbd
    directory, extra = {"wrong-ca": (wrong, ""), "wrong-hostname": (certs, " tlsHostname='other.virtbus.test'"),
                        "no-directory": (env.root / "pki-nbd" / "missing", "")}[case]
    set_conf(env, f"nbd_tls_x509_cert_dir = \"{directory}\"\n")
    g = define(env, f"nbdtls-{case}", disk("vda", port, " tls='yes'", extra))
    try:
        if case == "no-directory":
            with dbus_error("ConfigUnsupported", str(directory), "nbd_tls_x509_cert_dir") as e:
                g.call("Create", 0)
        else:
            with dbus_error("OperationFailed") as e:
                g.call("Create", 0)
        print(f"\n{case}: {e.message}")
        assert g.state()[0] == S.SHUTOFF
    finally:
        g.call("Undefine", 0)


def test_nvram_on_a_tls_nbd_server(env, nbd):
    """<nvram type='network'>: OVMF's variables store served by qemu-nbd over
    TLS is QEMU's pflash1."""
    code, template = "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"
    if not (os.path.exists(code) and os.path.exists(template)):
        pytest.skip(f"no {code} and {template} (apt-get install ovmf)")
    _, certs, _ = nbd
    vars_file = env.root / "nvram-net_VARS.fd"
    vars_file.write_bytes(open(template, "rb").read())
    port = free_port()
    server = TlsNbdServer(vars_file, "vars", port, env.root / "pki-nbd" / "ca")
    set_conf(env, f"nbd_tls_x509_cert_dir = \"{certs}\"\n")
    nvram = (f"<nvram type='network'><source protocol='nbd' name='vars' tls='yes'>"
             f"<host name='127.0.0.1' port='{port}'/></source></nvram>")
    xml = bare_domain("nvramnet", "").replace(
        "hvm</type></os>", f"hvm</type><loader readonly='yes' type='pflash'>{code}</loader>{nvram}</os>"
        "<features><acpi/></features>")
    g = Guest(env, env.call("DomainDefineXML", xml), "nvramnet")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert re.search(r"<nvram type='network'>\s*<source protocol='nbd' name='vars' tls='yes'>\s*"
                         rf"<host name='127.0.0.1' port='{port}'/>\s*</source>\s*</nvram>", inactive), inactive
        g.call("Create", 0)
        assert g.state()[0] == S.RUNNING
        nodes = qmp_block_nodes(env, "nvramnet")
        assert nodes["pflash0-file"]["file"] == code, nodes
        node = nodes.get("pflash1-file")
        assert node and "nbd" in node["file"] and node["image"]["virtual-size"] == len(vars_file.read_bytes()), nodes
        assert not (env.root / "var" / "lib" / "virtbus" / "qemu" / "nvram" / "nvramnet_VARS.fd").exists()
    finally:
        stop(g)
        server.stop()


def test_qcow2_over_a_tls_nbd_backing_layer(env, nbd):
    """<backingStore type='network'>: a qcow2 overlay whose base is the TLS
    export; QEMU gets the chain as nodes (it could not open it from the
    overlay's header), the base read-only under it."""
    port, certs, _ = nbd
    top = env.root / "nbd-top.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(top), str(SIZE)], check=True)
    set_conf(env, f"nbd_tls_x509_cert_dir = \"{certs}\"\n")
    disk_xml = (f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{top}'/>"
                f"<backingStore type='network'><format type='raw'/><source protocol='nbd' name='export0' "
                f"tls='yes'><host name='127.0.0.1' port='{port}'/></source><backingStore/></backingStore>"
                f"<target dev='vda' bus='virtio'/></disk>")
    g = define(env, "nbdbacking", disk_xml)
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert re.search(r"<backingStore type='network'>\s*<format type='raw'/>\s*<source protocol='nbd' "
                         r"name='export0' tls='yes'>", inactive), inactive
        g.call("Create", 0)
        assert g.state()[0] == S.RUNNING
        nodes = qmp_block_nodes(env, "nbdbacking")
        base = nodes.get("virtio-disk0-b1-fmt")
        assert base and base["ro"] and "nbd" in base["file"], nodes
        assert nodes["virtio-disk0-fmt"]["backing_file_depth"] == 1, nodes["virtio-disk0-fmt"]
    finally:
        stop(g)


def qmp_tls_state(env, name):
    """(QEMU's tls-creds-x509 objects, its nbd nodes) over its monitor, qemud
    SIGKILLed meanwhile and started again: it finds the guest, and what was
    plugged, again."""
    live = (env.root / "run" / "virtbus" / "qemu" / f"{name}.xml").read_text()
    monitor = re.search(r"<monitor path='([^']+)'", live).group(1)
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
    return (sorted(o["name"] for o in objs if o["type"] == "child<tls-creds-x509>"),
            sorted(n["node-name"] for n in nodes if "nbd" in n["file"]))


def test_tls_disk_hot_plugged_and_unplugged(env, nbd, tmp_path):
    """AttachDevice of an NBD disk with TLS (a SCSI disk: QEMU unplugs it at
    once, no guest OS needed): its tls-creds-x509 object from qemud.conf's
    settings at plug time, then its nodes (QEMU's client handshakes at
    blockdev-add); DetachDevice removes the object after the nodes. Plug,
    unplug, plug again leaves nothing behind; a wrong CA fails the plug with
    QEMU's word and takes the object back; a missing directory is named
    before anything is sent. With virsh through the proxy too; nbd_tls = 1
    gives a source without tls='' TLS, as at start."""
    port, certs, wrong = nbd
    scsi = "<controller type='scsi' index='0' model='virtio-scsi'/>"
    dev = disk("sda", port, " tls='yes'").replace("bus='virtio'", "bus='scsi'")
    obj, nodes = "objscsi0-0-0-0-file_tls0", ["scsi0-0-0-0-file", "scsi0-0-0-0-fmt"]
    set_conf(env, f"nbd_tls_x509_cert_dir = \"{certs}\"\n")
    g = define(env, "nbdtls-plug", scsi)
    try:
        g.call("Create", 0)
        for _ in range(2):
            g.call("AttachDevice", dev, 1)
            assert "<target dev='sda' bus='scsi'/>" in g.call("GetXMLDesc", 0)
            assert qmp_tls_state(env, "nbdtls-plug") == ([obj], nodes)
            assert "<target dev='sda' bus='scsi'/>" in g.call("GetXMLDesc", 0)   # after the restart
            g.call("DetachDevice", dev, 1)
            assert "<target dev='sda'" not in g.call("GetXMLDesc", 0)
            assert qmp_tls_state(env, "nbdtls-plug") == ([], [])
        before = g.call("GetXMLDesc", 0)
        set_conf(env, f"nbd_tls_x509_cert_dir = \"{wrong}\"\n")
        with dbus_error("OperationFailed", "disk 'sda'") as e:
            g.call("AttachDevice", dev, 1)
        print(f"\nwrong CA: {e.message}")
        assert g.call("GetXMLDesc", 0) == before
        assert qmp_tls_state(env, "nbdtls-plug") == ([], [])
        missing = env.root / "pki-nbd" / "missing"
        set_conf(env, f"nbd_tls_x509_cert_dir = \"{missing}\"\n")
        with dbus_error("ConfigUnsupported", str(missing), "nbd_tls_x509_cert_dir"):
            g.call("AttachDevice", dev, 1)
        assert g.call("GetXMLDesc", 0) == before
        # nbd_tls = 1, no tls='': TLS all the same; with virsh
        set_conf(env, f"nbd_tls = 1\nnbd_tls_x509_cert_dir = \"{certs}\"\n")
        f = tmp_path / "sda.xml"
        f.write_text(disk("sda", port).replace("bus='virtio'", "bus='scsi'"))
        proxy = h.Proxy(env.bus, env.root).start()
        try:
            proxy.virsh("attach-device", "nbdtls-plug", f, "--live")
            assert qmp_tls_state(env, "nbdtls-plug") == ([obj], nodes)
            proxy.virsh("detach-device", "nbdtls-plug", f, "--live")
            assert qmp_tls_state(env, "nbdtls-plug") == ([], [])
        finally:
            proxy.stop()
    finally:
        stop(g)


def test_unplug_deletes_what_the_start_or_plug_made(env, nbd):
    """nbd_tls = 1 gives a source without tls='' its tls-creds-x509 object at
    the start (sda) and at a plug (sdb); qemud.conf then says nbd_tls = 0 and
    qemud is SIGKILLed and started again: each unplug still deletes the
    object its disk was made with, which the live state keeps
    (<nbd-tls dst='' made='yes'/>, as libvirt keeps a source's TLS object
    alias in its private data), and leaves QEMU with nothing of it."""
    port, certs, _ = nbd
    scsi = "<controller type='scsi' index='0' model='virtio-scsi'/>"
    sda, sdb = (disk(dev, port).replace("bus='virtio'", "bus='scsi'") for dev in ("sda", "sdb"))
    obj = {d: f"objscsi0-0-0-{u}-file_tls0" for d, u in (("sda", 0), ("sdb", 1))}
    status = env.root / "run" / "virtbus" / "qemu" / "nbdtls-conf.xml"
    set_conf(env, f"nbd_tls = 1\nnbd_tls_x509_cert_dir = \"{certs}\"\n")
    g = define(env, "nbdtls-conf", scsi + sda)
    try:
        g.call("Create", 0)
        g.call("AttachDevice", sdb, 1)
        assert "<nbd-tls dst='sda' made='yes'/>" in status.read_text()
        assert "<nbd-tls dst='sdb' made='yes'/>" in status.read_text()
        set_conf(env, f"nbd_tls = 0\nnbd_tls_x509_cert_dir = \"{certs}\"\n")
        assert qmp_tls_state(env, "nbdtls-conf")[0] == sorted(obj.values())
        g.call("DetachDevice", sdb, 1)
        assert qmp_tls_state(env, "nbdtls-conf") == ([obj["sda"]], ["scsi0-0-0-0-file", "scsi0-0-0-0-fmt"])
        assert "<nbd-tls dst='sdb'" not in status.read_text()
        g.call("DetachDevice", sda, 1)
        assert qmp_tls_state(env, "nbdtls-conf") == ([], [])
        assert "nbd-tls" not in status.read_text()
    finally:
        stop(g)
