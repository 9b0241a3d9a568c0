# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hot-plug of chardevs in virtbus-qemud, as libvirt 9.0 does it: QMP's
chardev-add with the backend built from the same definition as -chardev,
then the device; the chardev removed once the device is gone.

One guest running no OS (SeaBIOS is all it needs: a virtio-serial port
comes and goes without the guest's help) with spare pcie-root-ports:
- a tcp <channel> connecting to a server the test opens: QEMU connects;
  qemud is SIGKILLed and started again with it plugged (QEMU's
  query-chardev asked meanwhile) and knows it; the detach removes the
  chardev from QEMU;
- a tcp <channel> listening with telnet (the test connects and QEMU speaks
  telnet first) and a udp pair (the test's socket gets what QEMU sends);
- a tcp <channel> speaking TLS (tls='yes', qemud.conf's certificate
  directory): its tls-creds-x509 object is added first, a client trusting
  the CA completes the handshake, the detach removes the object after the
  chardev; a missing certificate directory is refused naming it;
- an <rng> with an egd backend: its chardev connects to the test's server,
  the rng-egd object reads it (its detach needs a guest OS answering PCIe
  hot-unplug: not tested here);
- a guestfwd <channel>: its chardev and the user network whose guestfwd
  rule hands connections to it (netdev_add, as libvirt), removed by netdev_del;
- refused and failed plugs (a server that is not listening, an ISA serial
  port, a spiceport without SPICE) leave QEMU and both definitions as they
  were;
- an <interface> with a <script> attached taints the guest shell-scripts
  (the log line, Domain.GetMessages, kept across a qemud SIGKILL);
- a qemu-vdagent channel, and a tcp channel through virsh attach-device /
  detach-device on the proxy; spicevmc and spiceport channels in a second
  guest with SPICE. (A dbus chardev needs a D-Bus display: golden JSON in
  test-qemu-hotplug-chr only.)
"""

import re
import shutil
import signal
import socket
import ssl
import subprocess

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import qmp_ask as common_qmp_ask, QemudEnv, _env_logs, tcp_server  # noqa: F401
from test_qemud_graphics_tls import make_certs, set_conf

pytestmark = pytest.mark.timeout(300)

LIVE = 1
NAME = "hpchr"
SCRIPTS = "tainted: network configuration using opaque shell scripts"


@pytest.fixture(scope="module")
def env(request):
    e = QemudEnv()
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def domain_xml(name):
    ports = "".join(f"<controller type='pci' index='{i}' model='pcie-root-port'/>" for i in range(1, 6))
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='pci' index='0' model='pcie-root'/>{ports}
  </devices>
</domain>"""


@pytest.fixture(scope="module")
def vm(env):
    path = env.call("DomainDefineXML", domain_xml(NAME))
    env.dcall(path, "Create", 0)
    yield path
    try:
        env.dcall(path, "Destroy", 0)
    finally:
        env.dcall(path, "Undefine", 0)


def qmp_ask(env, vm, *commands):
    """test_qemud_common's, after a MemoryStats: its query-balloon is answered
    once QEMU has done what qemud sent before (a detach's chardev-remove
    follows its answer)."""
    env.dcall(vm, "MemoryStats", 0)
    return common_qmp_ask(env, NAME, *commands)


def chardevs(env, vm):
    return {c["label"]: c["filename"] for c in qmp_ask(env, vm, "query-chardev")[0]}


def xmls(env, vm):
    return env.dcall(vm, "GetXMLDesc", 0), env.dcall(vm, "GetXMLDesc", 2)


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def channel(kind, source, name, protocol=""):
    return (f"<channel type='{kind}'>{source}{protocol}<target type='virtio' name='{name}'/></channel>")


def alias_in(live, name):
    """The alias the live XML gives the channel of target name."""
    m = re.search(rf"name='{re.escape(name)}'[^>]*/>\s*<alias name='([^']+)'/>", live)
    assert m, live
    return m.group(1)


def test_tcp_connect_channel(env, vm):
    srv = tcp_server()
    port = srv.getsockname()[1]
    xml = channel("tcp", f"<source mode='connect' host='127.0.0.1' service='{port}'/>", "org.test.tcp.0",
                  "<protocol type='raw'/>")
    try:
        env.dcall(vm, "AttachDevice", xml, LIVE)
        conn, _ = srv.accept()              # QEMU connected
        live = env.dcall(vm, "GetXMLDesc", 0)
        alias = alias_in(live, "org.test.tcp.0")
        assert "org.test.tcp.0" not in env.dcall(vm, "GetXMLDesc", 2), "a LIVE attach changed the persistent one"
        devs = chardevs(env, vm)                # qemud SIGKILLed and started again
        assert devs.get(f"char{alias}", "").startswith("tcp:127.0.0.1"), devs
        assert alias_in(env.dcall(vm, "GetXMLDesc", 0), "org.test.tcp.0") == alias

        env.dcall(vm, "DetachDevice", xml, LIVE)
        assert "org.test.tcp.0" not in env.dcall(vm, "GetXMLDesc", 0)
        assert f"char{alias}" not in chardevs(env, vm)
        conn.settimeout(30)
        assert conn.recv(16) == b"", "QEMU kept the connection after chardev-remove"
        conn.close()
    finally:
        srv.close()


def test_tcp_listen_telnet_and_udp(env, vm):
    port = free_port()
    tcp = channel("tcp", f"<source mode='bind' host='127.0.0.1' service='{port}'/>", "org.test.telnet.0",
                  "<protocol type='telnet'/>")
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    local = free_port(socket.SOCK_DGRAM)
    udp = channel("udp", f"<source mode='bind' host='127.0.0.1' service='{local}'/>"
                         f"<source mode='connect' host='127.0.0.1' service='{peer.getsockname()[1]}'/>",
                  "org.test.udp.0")
    try:
        env.dcall(vm, "AttachDevice", tcp, LIVE)
        env.dcall(vm, "AttachDevice", udp, LIVE)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
            assert c.recv(1) == b"\xff", "QEMU did not open with a telnet IAC"
        live = env.dcall(vm, "GetXMLDesc", 0)
        a_tcp, a_udp = alias_in(live, "org.test.telnet.0"), alias_in(live, "org.test.udp.0")
        devs = chardevs(env, vm)
        assert f"telnet:127.0.0.1:{port},server=on" in devs.get(f"char{a_tcp}", ""), devs
        assert devs.get(f"char{a_udp}") == "udp", devs
        env.dcall(vm, "DetachDevice", tcp, LIVE)
        env.dcall(vm, "DetachDevice", udp, LIVE)
        devs = chardevs(env, vm)
        assert f"char{a_tcp}" not in devs and f"char{a_udp}" not in devs, devs
    finally:
        peer.close()


def test_rng_egd(env, vm):
    srv = tcp_server()
    xml = ("<rng model='virtio'><backend model='egd' type='tcp'>"
           f"<source mode='connect' host='127.0.0.1' service='{srv.getsockname()[1]}'/>"
           "<protocol type='raw'/></backend></rng>")
    try:
        env.dcall(vm, "AttachDevice", xml, LIVE)
        conn, _ = srv.accept()
        alias = re.search(r"<rng model='virtio'>.*?<alias name='([^']+)'/>", env.dcall(vm, "GetXMLDesc", 0),
                          re.S).group(1)
        devs, objs = qmp_ask(env, vm, "query-chardev", ("qom-list", {"path": "/objects"}))
        assert f"char{alias}" in {c["label"] for c in devs}, devs
        assert f"obj{alias}" in {o["name"] for o in objs}, objs
        assert re.search(r"<backend model='egd' type='tcp'>", env.dcall(vm, "GetXMLDesc", 0))
        conn.close()
    finally:
        srv.close()


def refused(env, vm, xml):
    before, devs = xmls(env, vm), chardevs(env, vm)
    with pytest.raises(dbus.exceptions.DBusException) as e:
        env.dcall(vm, "AttachDevice", xml, LIVE)
    assert xmls(env, vm) == before, "a refused attach changed a definition"
    assert chardevs(env, vm) == devs, "a refused attach left a chardev in QEMU"
    return e.value.get_dbus_message()


def test_refused_and_failed_plugs_leave_nothing(env, vm):
    closed = free_port()
    msg = refused(env, vm, channel("tcp", f"<source mode='connect' host='127.0.0.1' service='{closed}'/>",
                                   "org.test.closed.0"))
    assert f"Failed to connect to '127.0.0.1:{closed}'" in msg, msg
    msg = refused(env, vm, "<rng model='virtio'><backend model='egd' type='tcp'>"
                           f"<source mode='connect' host='127.0.0.1' service='{closed}'/></backend></rng>")
    assert f"Failed to connect to '127.0.0.1:{closed}'" in msg, msg
    # an ISA serial port: QEMU's ISA bus takes no hot-plug (its words), the chardev goes again
    msg = refused(env, vm, f"<serial type='tcp'><source mode='bind' host='127.0.0.1' service='{closed}'/>"
                           "<target port='2'/></serial>")
    assert "QEMU said: Bus 'isa.0' does not support hotplugging" in msg, msg
    msg = refused(env, vm, channel("spiceport", "<source channel='org.test.port'/>", "org.test.sp.0"))
    assert "chardev 'spiceport' not supported without spice graphics" in msg, msg


def test_guestfwd_channel(env, vm):
    srv = tcp_server()
    xml = (f"<channel type='tcp'><source mode='connect' host='127.0.0.1' service='{srv.getsockname()[1]}'/>"
           "<target type='guestfwd' address='10.0.2.1' port='4600'/></channel>")
    try:
        env.dcall(vm, "AttachDevice", xml, LIVE)
        conn, _ = srv.accept()
        alias = re.search(r"<target type='guestfwd' address='10.0.2.1' port='4600'/>\s*<alias name='([^']+)'/>",
                          env.dcall(vm, "GetXMLDesc", 0)).group(1)
        devs, net = qmp_ask(env, vm, "query-chardev", ("human-monitor-command", {"command-line": "info network"}))
        assert f"char{alias}" in {c["label"] for c in devs}, devs
        assert f"{alias}: index=" in net and "type=user" in net, net
        env.dcall(vm, "DetachDevice", xml, LIVE)
        assert "guestfwd" not in env.dcall(vm, "GetXMLDesc", 0)
        devs, net = qmp_ask(env, vm, "query-chardev", ("human-monitor-command", {"command-line": "info network"}))
        assert f"char{alias}" not in {c["label"] for c in devs}, devs
        assert f"{alias}:" not in net, net
        conn.close()
    finally:
        srv.close()


def test_taint_at_attach(env, vm):
    messages = list(env.dcall(vm, "GetMessages", 0))
    assert SCRIPTS not in messages
    env.dcall(vm, "AttachDevice", "<interface type='user'><script path='/bin/true'/>"
                                  "<model type='virtio'/></interface>", LIVE)
    assert SCRIPTS in list(env.dcall(vm, "GetMessages", 0))
    log = env.qemu_log_dir / f"{NAME}.log"
    h.wait_until(lambda: "is tainted: shell-scripts" in log.read_text(), 30, what="the taint line in the log")
    assert "<taint flag='shell-scripts'/>" in env.status_file(NAME).read_text()
    env.qemud.kill(signal.SIGKILL)
    env.qemud.start()
    assert SCRIPTS in list(env.dcall(vm, "GetMessages", 0))


def objects(env, vm):
    return {o["name"] for o in qmp_ask(env, vm, ("qom-list", {"path": "/objects"}))[0]}


def test_tls_channel(env, vm):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: no certificates can be made")
    port = free_port()
    xml = channel("tcp", f"<source mode='bind' host='127.0.0.1' service='{port}' tls='yes'/>", "org.test.tls.0",
                  "<protocol type='raw'/>")
    try:
        set_conf(env, "chardev_tls_x509_cert_dir = \"/nonexistent/chardev-pki\"\n")
        msg = refused(env, vm, xml)
        assert "/nonexistent/chardev-pki" in msg and "chardev_tls_x509_cert_dir" in msg, msg

        certs = make_certs(env.root / "pki" / "hotchr")
        set_conf(env, f"chardev_tls_x509_cert_dir = \"{certs}\"\nchardev_tls_x509_verify = 0\n")
        env.dcall(vm, "AttachDevice", xml, LIVE)
        alias = alias_in(env.dcall(vm, "GetXMLDesc", 0), "org.test.tls.0")
        ctx = ssl.create_default_context(cafile=str(certs / "ca-cert.pem"))
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                assert s.version()
        assert f"objchar{alias}_tls0" in objects(env, vm)
        env.dcall(vm, "DetachDevice", xml, LIVE)
        assert f"objchar{alias}_tls0" not in objects(env, vm)
        assert f"char{alias}" not in chardevs(env, vm)
    finally:
        set_conf(env, "")


def test_vdagent_and_virsh(env, vm, tmp_path):
    """qemu-vdagent (QEMU's own agent end: no display needed) through D-Bus,
    and a tcp channel through virsh attach-device/detach-device on the proxy."""
    vdagent = ("<channel type='qemu-vdagent'><source><clipboard copypaste='yes'/><mouse mode='client'/></source>"
               "<target type='virtio' name='com.redhat.spice.0'/></channel>")
    env.dcall(vm, "AttachDevice", vdagent, LIVE)
    alias = alias_in(env.dcall(vm, "GetXMLDesc", 0), "com.redhat.spice.0")
    assert f"char{alias}" in chardevs(env, vm)
    env.dcall(vm, "DetachDevice", vdagent, LIVE)
    assert f"char{alias}" not in chardevs(env, vm)

    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    srv = tcp_server()
    f = tmp_path / "chan.xml"
    f.write_text(channel("tcp", f"<source mode='connect' host='127.0.0.1' service='{srv.getsockname()[1]}'/>",
                         "org.test.virsh.0", "<protocol type='raw'/>"))
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        proxy.virsh("attach-device", NAME, f, "--live")
        conn, _ = srv.accept()
        assert "org.test.virsh.0" in proxy.virsh("dumpxml", NAME).stdout
        proxy.virsh("detach-device", NAME, f, "--live")
        assert "org.test.virsh.0" not in proxy.virsh("dumpxml", NAME).stdout
        conn.settimeout(30)
        assert conn.recv(16) == b""
        conn.close()
    finally:
        proxy.stop()
        srv.close()


def test_spice_channels(env):
    """spicevmc and spiceport channels plugged into a guest with SPICE."""
    r = subprocess.run([h.QEMU, "-spice", "help"], capture_output=True, text=True)
    if "port" not in r.stdout + r.stderr:
        pytest.skip(f"this QEMU has no SPICE: {(r.stderr or r.stdout).strip()[:200]}")
    xml = domain_xml("hpspice").replace("</devices>", "<graphics type='spice' autoport='yes'/></devices>")
    path = env.call("DomainDefineXML", xml)
    chans = ("<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>",
             channel("spiceport", "<source channel='org.test.port.0'/>", "org.test.spiceport.0"))
    try:
        env.dcall(path, "Create", 0)
        for c in chans:
            env.dcall(path, "AttachDevice", c, LIVE)
        live = env.dcall(path, "GetXMLDesc", 0)
        aliases = [alias_in(live, "com.redhat.spice.0"), alias_in(live, "org.test.spiceport.0")]
        env.dcall(path, "MemoryStats", 0)
        monitor = re.search(r"<monitor path='([^']+)'", env.status_file("hpspice").read_text()).group(1)
        env.qemud.kill(signal.SIGKILL)
        try:
            qmp = h.Qmp(monitor, timeout=20)
            devs = {c["label"]: c["filename"] for c in qmp.cmd("query-chardev")}
            qmp.close()
        finally:
            env.qemud.start()
        assert devs.get(f"char{aliases[0]}") == "spicevmc" and devs.get(f"char{aliases[1]}") == "spiceport", devs
        for c in chans:
            env.dcall(path, "DetachDevice", c, LIVE)
        assert "spicevmc" not in env.dcall(path, "GetXMLDesc", 0)
    finally:
        env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)
