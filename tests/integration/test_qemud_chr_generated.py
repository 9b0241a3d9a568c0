"""A virtio channel whose unix socket path lies in qemud's own channel
directory (the per-guest RUNDIR/domain-ID-NAME/ qemud makes at each start)
is one qemud places itself, as libvirt's qemuDomainChrDefDropDefaultPath
takes a path in its channel directory: the path is dropped at define, the
channel listens where qemud puts it, and a <reconnect> on it is refused
(libvirt's 'chardev reconnect is possible only for connect mode'), over
D-Bus and through the proxy with virsh."""

import socket

import virtbus_harness as h
from test_qemud_common import Guest, bare_domain, dbus_error, module_env
from virtbus_harness import DomainState as S

env = module_env()


def channel(env, reconnect):
    path = env.run_dir / "domain-7-old" / "org.example.0"
    extra = "<reconnect enabled='yes' timeout='10'/>" if reconnect else ""
    return f"""<controller type='virtio-serial' index='0'/>
    <channel type='unix'><source mode='connect' path='{path}'>{extra}</source>
    <target type='virtio' name='org.example.0'/></channel>"""


def test_reconnect_refused_over_dbus_and_virsh(env, tmp_path):
    xml = bare_domain("chrgen", channel(env, True))
    with dbus_error("InvalidArg", "chardev reconnect is possible only for connect mode"):
        env.call("DomainDefineXML", xml)
    with dbus_error("NoDomain"):
        env.call("DomainLookupByName", "chrgen")
    f = tmp_path / "chrgen.xml"
    f.write_text(xml)
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        r = proxy.virsh("define", f, check=False)
        assert r.returncode != 0
        assert "chardev reconnect is possible only for connect mode" in r.stderr
        assert "chrgen" not in proxy.virsh("list", "--all", "--name").stdout
    finally:
        proxy.stop()


def test_path_dropped_and_qemu_listens(env):
    g = Guest(env, env.call("DomainDefineXML", bare_domain("chrgen2", channel(env, False))), "chrgen2")
    try:
        inactive = g.call("GetXMLDesc", 0)
        assert "domain-7-old" not in inactive
        # as a channel given without a path: the driver places it
        assert "<channel type='unix'>\n      <target type='virtio' name='org.example.0'/>" in inactive
        g.call("Create", 0)
        live = g.call("GetXMLDesc", 0)
        path = live.split("<source mode='bind' path='")[1].split("'")[0]
        assert path.startswith(str(env.run_dir) + "/domain-")
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)     # QEMU listens on the socket qemud placed
    finally:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


def test_attached_channel_placed_anew(env, tmp_path):
    """AttachDevice (D-Bus, and virsh attach-device) of a channel whose path
    lies in qemud's channel directory: the path is dropped as at define, the
    live channel listens where qemud places it, the persistent one has no
    path; with a <reconnect> it is refused and nothing changes."""
    g = Guest(env, env.call("DomainDefineXML", bare_domain(
        "chrgen3", "<controller type='virtio-serial' index='0'/>")), "chrgen3")
    proxy = None
    try:
        g.call("Create", 0)
        before = (g.call("GetXMLDesc", 0), g.call("GetXMLDesc", 2))
        bad = channel(env, True).split("\n", 1)[1]
        with dbus_error("InvalidArg", "chardev reconnect is possible only for connect mode"):
            g.call("AttachDevice", bad, 3)
        assert (g.call("GetXMLDesc", 0), g.call("GetXMLDesc", 2)) == before

        g.call("AttachDevice", channel(env, False).split("\n", 1)[1], 3)
        live, conf = g.call("GetXMLDesc", 0), g.call("GetXMLDesc", 2)
        assert "domain-7-old" not in live and "domain-7-old" not in conf, live
        assert "<channel type='unix'>\n      <target type='virtio' name='org.example.0'/>" in conf, conf
        path = live.split("<source mode='bind' path='")[1].split("'")[0]
        assert path.startswith(str(env.run_dir) + "/domain-") and "domain-7-old" not in path, path
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)     # QEMU listens on the socket qemud placed

        f = tmp_path / "chan.xml"
        f.write_text(f"<channel type='unix'><source mode='connect' path='{env.run_dir}/domain-9-x/org.example.1'/>"
                     "<target type='virtio' name='org.example.1'/></channel>")
        proxy = h.Proxy(env.bus, env.root).start()
        proxy.virsh("attach-device", "chrgen3", f, "--live")
        live = g.call("GetXMLDesc", 0)
        assert "domain-9-x" not in live and "org.example.1" in live, live
    finally:
        if proxy:
            proxy.stop()
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)
