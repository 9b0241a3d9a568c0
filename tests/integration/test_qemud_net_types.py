# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud's interface types beyond networkd's ports, with the real
test guest (TCG):

- <interface type='ethernet'>: qemud makes the tap and runs <script> with
  its name (here the script moves it into a network namespace of the test's
  and gives it an address); the guest, with a static address, answers a
  ping from there; qemud is SIGKILLed and restarted, and Destroy still runs
  <downscript> with the tap's name.
- type='udp' and type='server' (QEMU's socket netdev) in one guest: an ARP
  request sent to its UDP port gets the guest's ARP reply, and the NIC on
  the TCP server sends its frames (length-prefixed) to a client of ours.
- An unmanaged tap (<target managed='no'>) with <coalesce>; a server
  interface hot-plugged (netdev_add), an ethernet one refused.
- A start that needs what the host lacks fails naming it, and leaves the
  domain shut off: a vDPA device, a vhost-user socket or shared memory,
  Open vSwitch, a failing <script>.
"""

import os
import socket
import struct
import subprocess
import time

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from test_qemud_common import Guest, bare_domain, dbus_error, module_env

pytestmark = pytest.mark.timeout(300)

env = module_env()


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def netns():
    name = f"vbeth{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def write_script(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_ethernet_script_ping_downscript_after_restart(env, netns):
    if not env.guest:
        pytest.skip("no test guest (VIRTBUS_GUEST_DIR)")
    log = env.root / "scripts.log"
    up = write_script(env.root / "ifup.sh",
                      f'echo "up $1" >> {log}\n'
                      f'ip link set "$1" netns {netns} && ip -n {netns} addr add 192.168.153.1/24 dev "$1" && '
                      f'ip -n {netns} link set "$1" up\n')
    down = write_script(env.root / "ifdown.sh", f'echo "down $1" >> {log}\n')
    nic = (f"    <interface type='ethernet'>\n      <mac address='52:54:00:6e:4a:01'/>\n"
           f"      <script path='{up}'/>\n      <downscript path='{down}'/>\n"
           f"      <target dev='vbeth{os.getpid() % 1000}'/>\n      <model type='virtio'/>\n    </interface>")
    g = env.define("ethtap", nic=None, extra_devices=nic, extra_cmdline="virtbus.ip=192.168.153.2/24")
    try:
        inactive = g.call("GetXMLDesc", 2)
        assert f"<script path='{up}'/>\n      <downscript path='{down}'/>" in inactive
        g.start()
        live = g.call("GetXMLDesc", 0)
        tap = live.split("<target dev='", 1)[1].split("'", 1)[0]
        assert tap == f"vbeth{os.getpid() % 1000}", live
        assert log.read_text() == f"up {tap}\n"
        g.wait_marker("VIRTBUS-GUEST-IP 192.168.153.2")
        assert h.wait_until(lambda: subprocess.run(["ip", "netns", "exec", netns, "ping", "-c", "1", "-W", "1",
                                                    "192.168.153.2"], capture_output=True).returncode == 0,
                            60, 0.5, "the guest to answer a ping through its tap")
        # a qemud killed and back knows the tap and its downscript
        env.qemud.restart()
        assert g.state()[0] == S.RUNNING
        g.call("Destroy", 0)
        h.wait_until(lambda: log.read_text().count("down") == 1, 20, 0.2, "the downscript to run")
        assert log.read_text() == f"up {tap}\ndown {tap}\n"
    finally:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


def arp_request(src_mac, src_ip, dst_ip):
    return (b"\xff" * 6 + src_mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) +
            src_mac + socket.inet_aton(src_ip) + b"\x00" * 6 + socket.inet_aton(dst_ip))


def test_udp_arp_and_server_frames(env):
    if not env.guest:
        pytest.skip("no test guest (VIRTBUS_GUEST_DIR)")
    guest_port, ours, listen = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM), free_port()
    nics = (f"    <interface type='udp'>\n      <mac address='52:54:00:6e:4b:01'/>\n"
            f"      <source address='127.0.0.1' port='{ours}'>\n"
            f"        <local address='127.0.0.1' port='{guest_port}'/>\n      </source>\n"
            f"      <model type='virtio'/>\n    </interface>\n"
            f"    <interface type='server'>\n      <mac address='52:54:00:6e:4b:02'/>\n"
            f"      <source address='127.0.0.1' port='{listen}'/>\n"
            f"      <model type='virtio'/>\n    </interface>")
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", ours))
    udp.settimeout(1)
    g = env.define("socknet", nic=None, extra_devices=nics, extra_cmdline="virtbus.ip=192.168.154.2/24")
    try:
        g.start()
        g.wait_marker("VIRTBUS-GUEST-IP 192.168.154.2")
        me = bytes.fromhex("525400000099")
        reply = None
        deadline = time.monotonic() + 60
        while reply is None and time.monotonic() < deadline:
            udp.sendto(arp_request(me, "192.168.154.1", "192.168.154.2"), ("127.0.0.1", guest_port))
            try:
                while True:
                    frame = udp.recv(2048)
                    # an ARP reply (op 2) to us, from the guest's MAC
                    if frame[12:14] == b"\x08\x06" and frame[20:22] == b"\x00\x02" and frame[0:6] == me:
                        reply = frame
                        break
            except socket.timeout:
                pass
        assert reply is not None, "no ARP reply from the guest over the udp netdev"
        assert reply[6:12] == bytes.fromhex("5254006e4b01")
        assert socket.inet_ntoa(reply[28:32]) == "192.168.154.2"
        # the second NIC (up, IPv6 link-local) talks on the TCP socket
        with socket.create_connection(("127.0.0.1", listen), timeout=10) as s:
            s.settimeout(2)
            buf = b""
            deadline = time.monotonic() + 60
            seen = False
            while not seen and time.monotonic() < deadline:
                try:
                    data = s.recv(4096)
                except socket.timeout:
                    # a frame from us makes the guest answer (an ARP request)
                    f = arp_request(me, "192.168.154.1", "192.168.154.3")
                    s.sendall(struct.pack("!I", len(f)) + f)
                    continue
                if not data:
                    break
                buf += data
                while len(buf) >= 4 and len(buf) >= 4 + struct.unpack("!I", buf[:4])[0]:
                    n = struct.unpack("!I", buf[:4])[0]
                    frame, buf = buf[4:4 + n], buf[4 + n:]
                    seen = seen or frame[6:12] == bytes.fromhex("5254006e4b02")
            assert seen, "no frame from the guest's NIC on the server socket"
    finally:
        udp.close()
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


@pytest.mark.parametrize("name,devices,top,words", [
    ("vdpa", "<interface type='vdpa'><source dev='/dev/vhost-vdpa-7'/></interface>", "",
     ("NotSupported", "vDPA device /dev/vhost-vdpa-7 is missing")),
    ("vhu-mem", "<interface type='vhostuser'><source type='unix' path='/run/vbtest-none.sock' mode='server'/>"
     "<model type='virtio'/></interface>", "",
     ("NotSupported", "needs the guest's memory shared")),
    ("vhu-sock", "<interface type='vhostuser'><source type='unix' path='/run/vbtest-none.sock' mode='client'/>"
     "<model type='virtio'/></interface>",
     "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>",
     ("OperationFailed", "vhost-user socket /run/vbtest-none.sock is missing")),
    ("tapdev", "<interface type='bridge'><source bridge='vbnone0'/><backend tap='/dev/null'/></interface>", "",
     ("NotSupported", "<backend tap='/dev/null'> is not supported for a port of networkd")),
    ("ovs", "<interface type='bridge'><source bridge='vbnone0'/><virtualport type='openvswitch'/></interface>", "",
     ("NotSupported", "<virtualport type='openvswitch'>")),
])
def test_start_names_what_the_host_lacks(env, name, devices, top, words):
    xml = bare_domain(name, devices)
    if top:
        xml = xml.replace("<os>", top + "\n  <os>", 1)
    path = env.call("DomainDefineXML", xml)
    g = Guest(env, path, name)
    try:
        error, text = words
        with dbus_error(error, text):
            g.call("Create", 0)
        assert g.state()[0] == S.SHUTOFF
        assert env.status_pid(name) is None
    finally:
        g.call("Undefine", 0)


def test_failing_script_fails_the_start(env):
    bad = write_script(env.root / "bad-ifup.sh", "exit 3\n")
    xml = bare_domain("badscript", f"<interface type='ethernet'><script path='{bad}'/>"
                                   f"<target dev='vbbad0'/></interface>")
    g = Guest(env, env.call("DomainDefineXML", xml), "badscript")
    try:
        with dbus_error("OperationFailed", f"script '{bad}' for vbbad0 failed: exit status 3"):
            g.call("Create", 0)
        assert g.state()[0] == S.SHUTOFF
        # the tap went with the failed start
        assert subprocess.run(["ip", "link", "show", "vbbad0"], capture_output=True).returncode != 0
    finally:
        g.call("Undefine", 0)


def test_unmanaged_tap_with_coalesce(env):
    """<target dev='T' managed='no'/>: QEMU gets the existing tap T, which
    stays after the guest (its MAC untouched); <coalesce> is set on it."""
    tap = f"vbumt{os.getpid() % 1000}"
    subprocess.run(["ip", "tuntap", "add", "dev", tap, "mode", "tap", "vnet_hdr"], check=True)
    try:
        mac_before = open(f"/sys/class/net/{tap}/address").read()
        xml = bare_domain("unmanaged", f"<interface type='ethernet'><mac address='52:54:00:6e:4c:01'/>"
                                       f"<target dev='{tap}' managed='no'/><model type='virtio'/>"
                                       f"<coalesce><rx><frames max='7'/></rx></coalesce></interface>")
        g = Guest(env, env.call("DomainDefineXML", xml), "unmanaged")
        try:
            g.call("Create", 0)
            assert g.state()[0] == S.RUNNING
            assert f"<target dev='{tap}' managed='no'/>" in g.call("GetXMLDesc", 0)
            fds = os.listdir(f"/proc/{g.pid()}/fd")
            assert any(os.readlink(f"/proc/{g.pid()}/fd/{fd}") == "/dev/net/tun" for fd in fds)
            g.call("Destroy", 0)
        finally:
            if g.state()[0] != S.SHUTOFF:
                g.call("Destroy", 0)
            g.call("Undefine", 0)
        assert os.path.exists(f"/sys/class/net/{tap}"), "the user's tap went with the guest"
        assert open(f"/sys/class/net/{tap}/address").read() == mac_before
    finally:
        subprocess.run(["ip", "link", "del", tap], check=False)


def test_hotplug_server_interface(env):
    """A type='server' interface plugged live: QEMU listens on its port
    (netdev_add of a socket netdev), and the live XML has it; an ethernet
    one is refused as not hot-pluggable, nothing changed."""
    port = free_port()
    # i440FX's root bus hot-plugs through ACPI
    xml = bare_domain("sockplug", "").replace("</os>", "</os>\n  <features><acpi/></features>", 1)
    g = Guest(env, env.call("DomainDefineXML", xml), "sockplug")
    try:
        g.call("Create", 0)
        g.call("AttachDevice", f"<interface type='server'><mac address='52:54:00:6e:4d:01'/>"
                               f"<source address='127.0.0.1' port='{port}'/><model type='e1000'/></interface>", 1)
        assert f"<source address='127.0.0.1' port='{port}'/>" in g.call("GetXMLDesc", 0)
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
        before = g.call("GetXMLDesc", 0)
        with dbus_error("NotSupported", "type 'ethernet' cannot be hot-plugged"):
            g.call("AttachDevice", "<interface type='ethernet'><target dev='vbhp0'/></interface>", 1)
        assert g.call("GetXMLDesc", 0) == before
    finally:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


def test_ethernet_host_side_ip_and_route(env):
    """<interface type='ethernet'><source><ip peer=''/><route/></source>
    (libvirt's net-eth-hostip): the tap qemud makes gets the address, with
    its peer, and the route through it; both go with the tap. A route the
    kernel refuses fails the start naming it, and leaves no tap."""
    tap = f"vbhip{os.getpid() % 1000}"
    source = ("<source><ip address='198.51.100.1' family='ipv4' prefix='24' peer='198.51.100.2'/>"
              "<route family='ipv4' address='203.0.113.0' prefix='24' gateway='198.51.100.2'/></source>")
    xml = bare_domain("hostip", f"<interface type='ethernet'><mac address='52:54:00:6e:4e:01'/>{source}"
                                f"<target dev='{tap}'/><model type='virtio'/></interface>")
    g = Guest(env, env.call("DomainDefineXML", xml), "hostip")
    try:
        assert source in g.call("GetXMLDesc", 2).replace("\n", "").replace("  ", "")
        g.call("Create", 0)
        addr = subprocess.run(["ip", "-4", "addr", "show", "dev", tap], capture_output=True, text=True).stdout
        assert "inet 198.51.100.1 peer 198.51.100.2/24" in addr, addr
        route = subprocess.run(["ip", "-4", "route", "show", "dev", tap], capture_output=True, text=True).stdout
        assert "203.0.113.0/24 via 198.51.100.2" in route, route
        g.call("Destroy", 0)
        assert not os.path.exists(f"/sys/class/net/{tap}")
        route = subprocess.run(["ip", "-4", "route", "show", "203.0.113.0/24"], capture_output=True, text=True)
        assert route.stdout.strip() == ""
    finally:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)
    # a gateway off every subnet of the tap: the kernel refuses the route
    bad = bare_domain("hostipbad", f"<interface type='ethernet'><source>"
                                   f"<ip address='198.51.100.1' prefix='24'/>"
                                   f"<route address='203.0.113.0' prefix='24' gateway='192.0.2.254'/>"
                                   f"</source><target dev='{tap}'/></interface>")
    g = Guest(env, env.call("DomainDefineXML", bad), "hostipbad")
    try:
        with dbus_error("OperationFailed", "cannot add route to 203.0.113.0/24 via 192.0.2.254"):
            g.call("Create", 0)
        assert g.state()[0] == S.SHUTOFF
        assert not os.path.exists(f"/sys/class/net/{tap}")
    finally:
        g.call("Undefine", 0)
