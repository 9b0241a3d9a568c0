# SPDX-License-Identifier: LGPL-2.1-or-later
"""Serial ports on TCP and UDP in virtbus-qemud: the booted test guest's
console (ttyS0) on a TCP server socket that QEMU opens (read here, and typed
into: the guest's shell answers), a UDP serial sending to a socket of ours,
and the refusals (a bad tls='', a TCP chardev plugged live)."""

import socket
import time

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, dbus_error, module_env

env = module_env()

LIVE = 1


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_until(sock, want, timeout):
    buf = b""
    deadline = time.monotonic() + timeout
    while want not in buf and time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        buf += data
    return buf


def test_booted_guest_console_on_tcp_and_udp(env):
    if not env.guest:
        pytest.skip("no test guest (VIRTBUS_GUEST_DIR)")
    tcp, udp_local, udp_remote = free_port(), free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    extra = f"""    <serial type='tcp'>
      <source mode='bind' host='127.0.0.1' service='{tcp}'/>
      <protocol type='raw'/>
      <target port='0'/>
    </serial>
    <serial type='udp'>
      <source mode='bind' host='127.0.0.1' service='{udp_local}'/>
      <source mode='connect' host='127.0.0.1' service='{udp_remote}'/>
      <target port='1'/>
    </serial>"""
    xml = h.guest_domain_xml(env.guest, "tcpser", nic=None, extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp")
    g = Guest(env, env.call("DomainDefineXML", xml), "tcpser")
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", udp_remote))
    udp.settimeout(1)
    try:
        inactive = g.call("GetXMLDesc", 2)
        assert f"<source mode='bind' host='127.0.0.1' service='{tcp}'/>\n      <protocol type='raw'/>" in inactive
        g.call("Create", 0)
        with socket.create_connection(("127.0.0.1", tcp), timeout=30) as s:
            s.settimeout(1)
            # the shell comes up on ttyS0 after the kernel's messages
            seen = b""
            deadline = time.monotonic() + 150
            while b"VBTCP-READY" not in seen and time.monotonic() < deadline:
                s.sendall(b"\necho VBTCP-''READY\n")
                seen += read_until(s, b"VBTCP-READY", 2)
            assert b"VBTCP-READY" in seen, seen[-2000:]
            # the second serial port is ttyS1: what the guest writes there arrives by UDP
            s.sendall(b"echo VBUDP-HELLO > /dev/ttyS1\n")
            got = b""
            deadline = time.monotonic() + 30
            while b"VBUDP-HELLO" not in got and time.monotonic() < deadline:
                try:
                    got += udp.recv(4096)
                except socket.timeout:
                    pass
            assert b"VBUDP-HELLO" in got
        # a TCP serial on the ISA bus: QEMU plugs nothing there live, nothing changes
        before = g.call("GetXMLDesc", 0)
        with dbus_error("OperationFailed", "does not support hotplugging"):
            g.call("AttachDevice", f"<serial type='tcp'><source mode='bind' host='127.0.0.1' "
                                   f"service='{free_port()}'/><target port='2'/></serial>", LIVE)
        assert g.call("GetXMLDesc", 0) == before
    finally:
        udp.close()
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)


@pytest.mark.parametrize("serial,error,words", [
    ("<serial type='tcp'><source mode='connect' host='127.0.0.1' service='9' tls='maybe'/></serial>",
     "InvalidArg", "tls"),
    ("<serial type='tcp'><source mode='bind' host='127.0.0.1' service='9'/><protocol type='tls'/></serial>",
     "NotSupported", "only 'raw' and 'telnet'"),
    ("<serial type='tcp'><source mode='bind' host='127.0.0.1'/></serial>", "XMLError",
     "missing attribute 'service'"),
    ("<serial type='udp'><source mode='bind' service='9'/><source mode='bind' service='8'/></serial>",
     "InvalidArg", "more than one"),
    ("<serial type='tcp'><source mode='bind' host='a b' service='9'/></serial>", "InvalidArg", "invalid host"),
])
def test_refused_and_nothing_defined(env, serial, error, words):
    xml = f"""<domain type='qemu'><name>serbad</name><memory unit='MiB'>64</memory>
      <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>{serial}</devices></domain>"""
    with dbus_error(error, words):
        env.call("DomainDefineXML", xml)
    with dbus_error("NoDomain"):
        env.call("DomainLookupByName", "serbad")


@pytest.mark.parametrize("append", ["on", "off"])
def test_file_serial_append(env, append):
    """<source append='on'> keeps what the file held; 'off' starts it anew."""
    out = env.root / f"serial-{append}.txt"
    out.write_bytes(b"EARLIER-RUN\n")
    xml = f"""<domain type='qemu'><name>fileapp-{append}</name><memory unit='MiB'>64</memory>
      <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>
      <serial type='file'><source path='{out}' append='{append}'/><target port='0'/></serial>
      </devices></domain>"""
    g = Guest(env, env.call("DomainDefineXML", xml), f"fileapp-{append}")
    try:
        assert f"append='{append}'" in g.call("GetXMLDesc", 2)
        g.call("Create", 0)
        assert out.read_bytes().startswith(b"EARLIER-RUN\n") == (append == "on")
    finally:
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)
