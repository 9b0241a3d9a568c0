# SPDX-License-Identifier: LGPL-2.1-or-later
"""Network disks (<disk type='network'>) in virtbus-qemud, on the booted test
guest (TCG): its vda is an NBD export served by Debian's qemu-nbd on
loopback TCP; a second export on a unix socket is hot-plugged and unplugged.
The guest reads and writes them through its shell on the serial console.
A start whose NBD server is gone fails naming the address and leaves the
domain shut off; an http disk without QEMU's curl driver (Debian's
qemu-block-extra) fails naming the driver. vxhs and sheepdog disks are
defined as libvirt 9.0 does; their start is refused naming the block driver
QEMU 7.2 lacks, their hot-plug fails with QEMU's words, the guest unchanged.
"""

import os
import re
import shutil
import socket
import subprocess
import time

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, dbus_error, module_env, xmllint_relaxng
from test_qemud_device import Console, _shell_ready

env = module_env()

LIVE, CONFIG = 1, 2
DOMAIN_IF = "org.libvirt.Domain"
QEMU_NBD = shutil.which("qemu-nbd")
CURL_MODULE = "/usr/lib/x86_64-linux-gnu/qemu/block-curl.so"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NbdServer:
    """qemu-nbd exporting a raw file as `name`, on 127.0.0.1:port or a unix
    socket; persistent, up to `clients` clients; `extra`: more options."""

    def __init__(self, image, name, port=None, sock=None, clients=4, extra=()):
        args = [QEMU_NBD, "-f", "raw", "-x", name, "-t", "-e", str(clients), *extra]
        args += ["-k", str(sock)] if sock else ["-b", "127.0.0.1", "-p", str(port)]
        self.proc = subprocess.Popen(args + [str(image)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if sock:
            h.wait_until(lambda: os.path.exists(sock) or self.proc.poll() is not None, 10, 0.05,
                         "qemu-nbd's socket")
        else:
            h.wait_until(lambda: self._listening(port) or self.proc.poll() is not None, 10, 0.05,
                         "qemu-nbd listening")
        if self.proc.poll() is not None:
            raise AssertionError(f"qemu-nbd ended: {self.proc.stderr.read().decode(errors='replace')}")

    @staticmethod
    def _listening(port):
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def nbd_disk_xml(dev, name, port=None, sock=None, extra=""):
    host = (f"<host transport='unix' socket='{sock}'/>" if sock
            else f"<host name='127.0.0.1' port='{port}'/>")
    return (f"<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
            f"<source protocol='nbd' name='{name}'>{host}</source>"
            f"<target dev='{dev}' bus='virtio'/>{extra}</disk>")


@pytest.fixture(scope="module")
def nbd(env):
    """The guest booted from its NBD vda, with its console:
    (Guest, Console, vda image, unix export's image and socket)."""
    if not QEMU_NBD:
        pytest.skip("qemu-nbd is not installed (Debian's qemu-utils)")
    files = env.root / "nbdfiles"
    files.mkdir()
    vda, vdb = files / "vda.img", files / "vdb.img"
    vda.write_bytes(b"VIRTBUS-NBD-VDA\n" + b"\0" * ((8 << 20) - 16))
    vdb.write_bytes(b"\0" * (4 << 20))
    port, sock = free_port(), files / "vdb.sock"
    servers = [NbdServer(vda, "export0", port=port), NbdServer(vdb, "export1", sock=sock)]
    console = env.root / "nbd-console.sock"
    extra = (nbd_disk_xml("vda", "export0", port=port) + f"""
    <serial type='unix'>
      <source mode='bind' path='{console}'/>
      <target port='0'/>
    </serial>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <controller type='pci' index='3' model='pcie-root-port'/>""")
    xml = h.guest_domain_xml(env.guest, "nbd1", nic=None, extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp")
    g = Guest(env, env.call("DomainDefineXML", xml), "nbd1")
    g.call("Create", 0)
    con = Console(console).connect()
    try:
        h.wait_until(lambda: _shell_ready(con), 150, 1, "a shell on the guest's console")
    except TimeoutError as e:
        raise AssertionError(f"{e}; console ends with:\n"
                             f"{con.text()[-3000:].decode(errors='replace')}") from None
    yield g, con, vda, vdb, sock
    con.close()
    try:
        g.call("Destroy", 0)
    except dbus.exceptions.DBusException:
        pass
    for s in servers:
        s.stop()


def guest_disks(con):
    out = con.run("for d in /sys/block/vd*; do echo DISK ${d##*/} $(cat $d/size); done")
    return {m[0]: int(m[1]) for m in re.findall(r"DISK (vd\w+) (\d+)", out.decode(errors="replace"))}


def test_guest_reads_and_writes_its_nbd_disk(env, nbd):
    g, con, vda, _, _ = nbd
    assert guest_disks(con).get("vda") == (8 << 20) // 512
    assert b"VIRTBUS-NBD-VDA" in con.run("dd if=/dev/vda bs=16 count=1 2>/dev/null")
    con.run("echo VIRTBUS-NBD-WRITTEN | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null")
    with open(vda, "rb") as f:
        f.seek(8 * 512)
        assert f.read(20) == b"VIRTBUS-NBD-WRITTEN\n"


def test_xml_keeps_the_source_and_is_schema_valid(env, nbd):
    g = nbd[0]
    for flags in (0, 2):
        xml = g.call("GetXMLDesc", flags)
        assert re.search(r"<disk type='network' device='disk'>.*?<source protocol='nbd' name='export0'>\s*"
                         r"<host name='127.0.0.1' port='\d+'/>\s*</source>", xml, re.S), xml
        xmllint_relaxng(xml, "domain", f"GetXMLDesc({flags})")
    # QEMU was given the export, not a file
    cmdline = open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")
    assert any(b'"driver":"nbd"' in a and b'"export":"export0"' in a for a in cmdline)


def test_nbd_disk_on_a_unix_socket_hotplugged_and_unplugged(env, nbd):
    g, con, _, vdb, sock = nbd
    mark = env.mon.mark()
    g.call("AttachDevice", nbd_disk_xml("vdb", "export1", sock=sock), LIVE)
    env.mon.wait_signal("DeviceAdded", interface=DOMAIN_IF, path=g.path, args=["virtio-disk1"],
                        since=mark, timeout=10)
    h.wait_until(lambda: guest_disks(con).get("vdb") == (4 << 20) // 512, 30, 0.5, "vdb in the guest")
    con.run("echo VIRTBUS-NBD-UNIX | dd of=/dev/vdb bs=512 conv=fsync 2>/dev/null")
    assert vdb.read_bytes().startswith(b"VIRTBUS-NBD-UNIX\n")
    live = g.call("GetXMLDesc", 0)
    assert f"<host transport='unix' socket='{sock}'/>" in live

    # a SIGKILLed qemud finds the guest and its disks again
    pid, before = g.pid(), live
    env.qemud.kill()
    env.qemud.start()
    assert g.pid() == pid and g.call("GetXMLDesc", 0) == before

    mark = env.mon.mark()
    g.call("DetachDevice", nbd_disk_xml("vdb", "export1", sock=sock), LIVE)
    env.mon.wait_signal("DeviceRemoved", interface=DOMAIN_IF, path=g.path, args=["virtio-disk1"],
                        since=mark, timeout=30)
    h.wait_until(lambda: "vdb" not in guest_disks(con), 30, 0.5, "vdb gone from the guest")
    assert "vdb" not in g.call("GetXMLDesc", 0)


def test_sheepdog_disk_hotplug_refused_guest_unchanged(env, nbd):
    """As libvirt: QEMU 7.2's blockdev-add has no sheepdog driver; the
    running guest keeps what it had."""
    g = nbd[0]
    before = g.call("GetXMLDesc", 0)
    disk = ("<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
            "<source protocol='sheepdog' name='img'><host name='192.0.2.1'/></source>"
            "<target dev='vdc' bus='virtio'/></disk>")
    with dbus_error("OperationFailed", "sheepdog") as e:
        g.call("AttachDevice", disk, LIVE)
    print(f"\n{e.message}")
    assert g.call("GetXMLDesc", 0) == before


def no_boot_xml(name, disk):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    {disk}
  </devices>
</domain>"""


def test_start_without_its_nbd_server_fails_naming_it(env):
    port = free_port()      # nothing listens there
    path = env.call("DomainDefineXML", no_boot_xml("nbd-gone", nbd_disk_xml("vda", "x", port=port)))
    g = Guest(env, path, "nbd-gone")
    with dbus_error("OperationFailed", f"127.0.0.1:{port}") as e:
        g.call("Create", 0)
    print(f"\n{e.message}")
    assert g.state()[0] == h.DomainState.SHUTOFF
    g.call("Undefine", 0)


def test_http_disk_needs_qemus_curl_driver(env):
    disk = ("<disk type='network' device='cdrom'><driver name='qemu' type='raw'/>"
            "<source protocol='http' name='/disk.iso'><host name='127.0.0.1' port='9'/></source>"
            "<target dev='sda' bus='sata'/><readonly/></disk>")
    path = env.call("DomainDefineXML", no_boot_xml("http1", disk))
    g = Guest(env, path, "http1")
    if os.path.exists(CURL_MODULE):
        # the driver is there: QEMU tries the server, which is not there
        with dbus_error("OperationFailed", "http"):
            g.call("Create", 0)
    else:
        with dbus_error("OperationFailed", "Unknown driver 'http'") as e:
            g.call("Create", 0)
        print(f"\n{e.message}")
    assert g.state()[0] == h.DomainState.SHUTOFF
    g.call("Undefine", 0)


def test_vxhs_sheepdog_defined_and_their_start_refused(env):
    """As libvirt 9.0: defined (kept as given), the start refused naming the
    block driver QEMU 7.2 lacks, the domain left shut off and defined."""
    for proto, src in (("vxhs", "<source protocol='vxhs' name='eb90327c-8302-4725-9e1b-4e85ed4dc251' tls='yes'>"
                                "<host name='192.0.2.1' port='9999'/></source>"),
                       ("sheepdog", "<source protocol='sheepdog' name='img'><host name='192.0.2.1'/></source>")):
        disk = f"<disk type='network' device='disk'>{src}<target dev='vda' bus='virtio'/></disk>"
        path = env.call("DomainDefineXML", no_boot_xml(f"{proto}1", disk))
        g = Guest(env, path, f"{proto}1")
        try:
            before = g.call("GetXMLDesc", 0)
            for part in src.replace("><", ">\n<").splitlines()[:2]:
                assert part in before, f"{part} not in:\n{before}"
            xmllint_relaxng(before, "domain", f"{proto}: GetXMLDesc(0)")
            with dbus_error("NotSupported", "disk 'vda'", f"'{proto}'", f"no '{proto}' block driver") as e:
                g.call("Create", 0)
            print(f"\n{e.message}")
            assert g.state()[0] == h.DomainState.SHUTOFF
            assert g.call("GetXMLDesc", 0) == before
        finally:
            g.call("Undefine", 0)


def test_tftp_refused_with_nothing_defined(env):
    before = env.list_domains()
    disk = ("<disk type='network'><source protocol='tftp' name='img'><host name='h'/></source>"
            "<target dev='vda'/></disk>")
    with dbus_error("NotSupported", "'tftp'", "no block driver"):
        env.call("DomainDefineXML", no_boot_xml("bad1", disk))
    assert env.list_domains() == before


