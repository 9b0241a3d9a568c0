# SPDX-License-Identifier: LGPL-2.1-or-later
"""Video models, inputs and smartcards of issue 16 in virtbus-qemud, in the
real QEMU: a qxl with vram64 and a <resolution>, a virtio-gpu with the
virtio transport's options, virtio inputs with theirs, and a passthrough
smartcard in a ccid reader whose socket QEMU listens on. What this host
cannot run (virgl without an OpenGL display, an
emulated card without an NSS database, a host evdev) is a start refused
naming what is missing, leaving the guest shut off. The inactive XML keeps
everything given, schema-valid, also through virsh."""

import os
import shutil
import socket

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, bare_domain, dbus_error, module_env, xmllint_relaxng
from virtbus_harness import DomainState as S

env = module_env()


def cmdline(g):
    return open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")


def define(env, name, devices):
    return Guest(env, env.call("DomainDefineXML", bare_domain(name, devices)), name)


def cleanup(g):
    try:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
    finally:
        g.call("Undefine", 0)


VIDEO = """<video>
  <model type='qxl' ram='65536' vram='65536' vram64='131072' vgamem='16384' heads='1' primary='yes'>
    <resolution x='1280' y='720'/>
  </model>
</video>
<video>
  <driver iommu='on' ats='on' packed='on'/>
  <model type='virtio' heads='2'>
    <resolution x='1024' y='768'/>
  </model>
</video>
<input type='mouse' bus='virtio'><driver ats='on' packed='on'/></input>
<input type='keyboard' bus='virtio'><driver iommu='on'/></input>"""


def test_video_and_inputs_start_with_their_options(env):
    g = define(env, "gfx1", VIDEO)
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert "vram64='131072'" in inactive and "<resolution x='1280' y='720'/>" in inactive
        assert "<driver iommu='on' ats='on' packed='on'/>" in inactive
        assert "<input type='keyboard' bus='virtio'>\n      <driver iommu='on'/>" in inactive
        g.call("Create", 0)
        argv = b"\n".join(cmdline(g))
        assert b'"driver":"qxl-vga"' in argv and b'"vram64_size_mb":128' in argv and b'"xres":1280' in argv
        assert b'"driver":"virtio-gpu-pci"' in argv and b'"iommu_platform":true,"ats":true,"packed":true' in argv
        assert b'"driver":"virtio-mouse-pci"' in argv and b'"driver":"virtio-keyboard-pci"' in argv
        live = g.call("GetXMLDesc", 0)
        assert "<resolution x='1024' y='768'/>" in live
    finally:
        cleanup(g)


def test_passthrough_smartcard_listens_in_its_reader(env):
    sock = env.root / "smartcard.sock"
    g = define(env, "gfx2", f"<smartcard mode='passthrough' type='unix'><source mode='bind' path='{sock}'/>"
                            "<protocol type='raw'/></smartcard>")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        # libvirt's defaults written out: the reader, and the card's slot in it
        assert "<controller type='ccid' index='0'>" in inactive
        assert "<address type='ccid' controller='0' slot='0'/>" in inactive
        assert f"<source mode='bind' path='{sock}'/>\n      <protocol type='raw'/>" in inactive
        g.call("Create", 0)
        argv = b"\n".join(cmdline(g))
        assert b'"driver":"usb-ccid","id":"ccid0"' in argv
        assert b'"driver":"ccid-card-passthru","id":"smartcard0","chardev":"charsmartcard0","bus":"ccid0.0"' in argv
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(sock))
        g.call("Destroy", 0)
        if shutil.which("virsh"):
            proxy = h.Proxy(env.bus, env.root).start()
            try:
                out = proxy.virsh("dumpxml", "gfx2").stdout
                out = out.decode() if isinstance(out, bytes) else out
                assert "<smartcard mode='passthrough' type='unix'>" in out
            finally:
                proxy.stop()
    finally:
        cleanup(g)


@pytest.mark.parametrize("devices,words", [
    ("<video><model type='virtio' heads='1'><acceleration accel3d='yes'/></model></video>",
     "needs an OpenGL display"),
    ("<smartcard mode='host'/>", "NSS database"),
])
def test_start_names_what_the_host_lacks(env, devices, words):
    if "NSS" in words and (os.path.exists("/etc/pki/nssdb/cert9.db") or os.path.exists("/etc/pki/nssdb/cert8.db")):
        pytest.skip("this host has an NSS database: an emulated card can start")
    g = define(env, "gfx3", devices)
    try:
        with dbus_error("NotSupported", words):
            g.call("Create", 0)
        assert g.state()[0] == S.SHUTOFF
    finally:
        cleanup(g)


def test_evdev_input_kept_and_its_start_fails_on_a_missing_device(env):
    dev = "/dev/input/event-virtbus-missing"
    g = define(env, "gfx4", f"<input type='evdev'><source dev='{dev}' grab='all' grabToggle='alt-alt' "
                            "repeat='on'/></input>"
                            "<input type='passthrough' bus='virtio'><source evdev='/dev/input/event-none'/></input>")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert f"<source dev='{dev}' grab='all' grabToggle='alt-alt' repeat='on'/>" in inactive
        assert "<source evdev='/dev/input/event-none'/>" in inactive
        # QEMU itself refuses to start: its words name the device
        with pytest.raises(dbus.exceptions.DBusException) as e:
            g.call("Create", 0)
        assert "event-virtbus-missing" in str(e.value) or "event-none" in str(e.value)
        assert g.state()[0] == S.SHUTOFF
    finally:
        cleanup(g)


@pytest.mark.parametrize("devices,error,words", [
    ("<video><driver name='vhostuser'/><model type='qxl'/></video>", "NotSupported",
     "'vhostuser' driver of <devices/video/driver> is only supported with 'virtio'"),
    ("<video><model type='qxl'><acceleration accel3d='yes'/></model></video>", "NotSupported",
     "qxl 3d acceleration is not supported"),
    ("<input type='passthrough' bus='usb'><source evdev='/dev/input/event1'/></input>", "NotSupported",
     "only bus 'virtio'"),
    ("<smartcard mode='host-certificates'><certificate>a</certificate></smartcard>", "XMLError",
     "exactly three certificates"),
])
def test_refused_and_nothing_defined(env, devices, error, words):
    with dbus_error(error, words):
        env.call("DomainDefineXML", bare_domain("gfxbad", devices))
    with dbus_error("NoDomain"):
        env.call("DomainLookupByName", "gfxbad")


def test_vnc_options_and_sockets_the_driver_places(env):
    port = 5900 + 77
    g = define(env, "gfx5", f"<graphics type='vnc' port='{port}' autoport='no' websocket='5777' "
                            "sharePolicy='force-shared' powerControl='yes'><listen type='address' "
                            "address='127.0.0.1'/></graphics>"
                            "<graphics type='spice'><listen type='socket'/></graphics>"
                            "<video><model type='qxl'/></video>")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert "websocket='5777'" in inactive and "sharePolicy='force-shared'" in inactive
        assert "powerControl='yes'" in inactive and "<listen type='socket'/>" in inactive
        g.call("Create", 0)
        argv = cmdline(g)
        assert argv[argv.index(b"-vnc") + 1] == b"127.0.0.1:77,websocket=5777,share=force-shared,power-control=on"
        live = g.call("GetXMLDesc", 0)
        sock = live.split("<listen type='socket' socket='")[1].split("'")[0]
        assert sock.endswith("gfx5.spice.sock")
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(sock)
        # the placed socket stays the running guest's: the definition has none
        assert "<listen type='socket'/>" in g.call("GetXMLDesc", 2)
    finally:
        cleanup(g)


def test_qemu_vdagent_channel_starts_beside_vnc(env):
    g = define(env, "gfx6", "<graphics type='vnc' autoport='yes'/>"
                            "<channel type='qemu-vdagent'><source><clipboard copypaste='yes'/>"
                            "<mouse mode='client'/></source><target type='virtio' name='com.redhat.spice.0'/>"
                            "</channel>")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert "<clipboard copypaste='yes'/>\n        <mouse mode='client'/>" in inactive
        g.call("Create", 0)
        argv = cmdline(g)
        assert b"qemu-vdagent,id=charchannel0,name=vdagent,clipboard=on,mouse=on" in argv
    finally:
        cleanup(g)
