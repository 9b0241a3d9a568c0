# SPDX-License-Identifier: LGPL-2.1-or-later
"""<redirdev bus='usb' type='tcp'|'unix'> in virtbus-qemud: the usb-redir
device talks to a usbredir server over a socket. Started in the real QEMU
with the sockets in bind mode, QEMU listens where the definition says (a
usbredir server or client can connect); the inactive XML keeps <source> and
<protocol>, also through virsh. A redirdev without its source is refused and
nothing is defined. A <redirfilter> becomes usb-redir's filter=."""

import shutil
import socket

import virtbus_harness as h
from test_qemud_common import Guest, dbus_error, module_env, xmllint_relaxng
from virtbus_harness import DomainState as S

env = module_env()


def domain(name, devices):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    <controller type='usb' index='0' model='qemu-xhci'/>
    {devices}
  </devices>
</domain>"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tcp_and_unix_redirdevs_listen(env):
    port = free_port()
    sock = env.root / "usbredir.sock"
    devices = (f"<redirdev bus='usb' type='tcp'><source mode='bind' host='127.0.0.1' service='{port}'/>"
               "<protocol type='raw'/></redirdev>"
               f"<redirdev bus='usb' type='unix'><source mode='bind' path='{sock}'/><protocol type='raw'/>"
               "</redirdev>"
               "<redirfilter><usbdev class='0x08' vendor='0x15E1' product='0x2007' version='1.10' allow='yes'/>"
               "<usbdev allow='no'/></redirfilter>")
    g = Guest(env, env.call("DomainDefineXML", domain("rd1", devices)), "rd1")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert f"<source mode='bind' host='127.0.0.1' service='{port}'/>\n      <protocol type='raw'/>" in inactive
        assert f"<source mode='bind' path='{sock}'/>\n      <protocol type='raw'/>" in inactive
        g.call("Create", 0)
        argv = open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")
        assert f"socket,id=charredir0,host=127.0.0.1,port={port},server=on,wait=off".encode() in argv
        # the filter goes to every usb-redir: QEMU refuses what it does not allow
        assert sum(b'"filter":"0x08:0x15E1:0x2007:0x0110:1|-1:-1:-1:-1:0"' in a for a in argv) == 2
        with socket.create_connection(("127.0.0.1", port), timeout=30):
            pass
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(sock))
        g.call("Destroy", 0)
        if shutil.which("virsh"):
            proxy = h.Proxy(env.bus, env.root).start()
            try:
                out = proxy.virsh("dumpxml", "rd1").stdout
                out = out.decode() if isinstance(out, bytes) else out
                assert "<redirdev bus='usb' type='tcp'>" in out and f"path='{sock}'" in out
            finally:
                proxy.stop()
    finally:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


def test_redirdev_without_source_is_refused(env):
    with dbus_error("XMLError", "missing <devices/redirdev/source>"):
        env.call("DomainDefineXML", domain("rd2", "<redirdev bus='usb' type='tcp'/>"))
    with dbus_error("NoDomain"):
        env.call("DomainLookupByName", "rd2")
