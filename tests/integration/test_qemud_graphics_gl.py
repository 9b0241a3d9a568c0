# SPDX-License-Identifier: LGPL-2.1-or-later
"""Displays without a network listen in virtbus-qemud: <graphics type='dbus'
p2p='yes'> with its <audio id=''/> starts in the real QEMU (-display
dbus,p2p=on,audiodev=...); a display rendering with OpenGL on a host GPU
(egl-headless, spice/dbus <gl enable='yes'/>) is defined as libvirt defines
it, and its start fails naming the missing render node when the host has
none, the guest left shut off; an SDL display fails naming the X display
qemud does not give QEMU. Through virsh too."""

import glob
import shutil

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, bare_domain, dbus_error, module_env, xmllint_relaxng
from virtbus_harness import DomainState as S

env = module_env()


def domain(name, devices):
    return bare_domain(name, devices)


def cmdline(g):
    return open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")


def test_dbus_p2p_display_starts(env):
    xml = domain("gl1", "<graphics type='dbus' p2p='yes'><audio id='1'/></graphics>"
                 "<audio id='1' type='dbus'/><video><model type='vga'/></video>")
    g = Guest(env, env.call("DomainDefineXML", xml), "gl1")
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert "<graphics type='dbus' p2p='yes'>\n      <audio id='1'/>" in inactive
        g.call("Create", 0)
        argv = cmdline(g)
        assert argv[argv.index(b"-display") + 1] == b"dbus,p2p=on,audiodev=audio1"
        g.call("Destroy", 0)
    finally:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


@pytest.mark.parametrize("graphics,words", [
    ("<graphics type='vnc'/><graphics type='egl-headless'/>",
     ["OpenGL of <graphics type='egl-headless'> needs a host render node"]),
    ("<graphics type='spice' autoport='yes'><gl enable='yes' rendernode='/dev/dri/renderD199'/></graphics>",
     ["the render node /dev/dri/renderD199 of <graphics type='spice'> is not on this host"]),
    ("<graphics type='sdl' display=':0.1' xauth='/root/.Xauthority'/>", ["gives QEMU no X display", ":0.1"]),
])
def test_start_names_what_the_host_lacks(env, graphics, words):
    if "egl-headless" in graphics and glob.glob("/dev/dri/renderD*"):
        pytest.skip("this host has a render node: egl-headless could start here")
    g = Guest(env, env.call("DomainDefineXML", domain("gl2", graphics)), "gl2")
    try:
        with dbus_error("NotSupported", *words):
            g.call("Create", 0)
        assert g.state()[0] == S.SHUTOFF
        assert "rendernode='/dev/dri/renderD1" not in g.call("GetXMLDesc", 2).replace("renderD199", "")
    finally:
        g.call("Undefine", 0)


def test_egl_headless_through_virsh(env):
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    xmlf = env.root / "gl3.xml"
    xmlf.write_text(domain("gl3", "<graphics type='vnc'/><graphics type='egl-headless'>"
                           "<gl rendernode='/dev/dri/renderD199'/></graphics>"))
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        proxy.virsh("define", str(xmlf))
        out = proxy.virsh("dumpxml", "gl3").stdout
        out = out.decode() if isinstance(out, bytes) else out
        assert "<graphics type='egl-headless'>\n      <gl rendernode='/dev/dri/renderD199'/>" in out
        r = proxy.virsh("start", "gl3", check=False)
        err = r.stderr.decode() if isinstance(r.stderr, bytes) else r.stderr
        assert r.returncode != 0 and "/dev/dri/renderD199" in err, err
        proxy.virsh("undefine", "gl3")
    finally:
        proxy.stop()
