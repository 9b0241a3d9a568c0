# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared pieces of the virtbus-networkd integration tests (test_networkd*.py).

This module holds no tests. `NetworkdEnv` gives a test module one network
namespace of its own (vbt-<random>), one private bus, one bus monitor and one
virtbus-networkd running inside that namespace (`ip netns exec`): every
bridge, nftables table, tap, veth and dnsmasq the daemon makes lives there
and never touches the host's network. Guest stand-ins are further namespaces
(`Client`), attached through veth ports, with busybox udhcpc as DHCP client.
Everything is removed at the end of the module.

    from test_networkd_common import module_env, Client, ...
    env = module_env()      # in a test module: the `env` fixture
"""

import os
import re
import subprocess
import uuid as uuidlib
from pathlib import Path

import dbus
import pytest

import virtbus_harness as h

NETWORKD = "org.virtbus.networkd"
ROOT_PATH = "/org/virtbus/networkd"
NETWORK_IFACE = "org.libvirt.Network"
PORT_IFACE = "org.virtbus.NetworkPort1"
SCHEMA = Path("/usr/share/libvirt/schemas/network.rng")
UDHCPC_SCRIPT = h.REPO / "tests" / "data" / "network" / "udhcpc.script"

EV_DEFINED, EV_UNDEFINED, EV_STARTED, EV_STOPPED = range(4)
# virNetworkUpdate
CMD_MODIFY, CMD_DELETE, CMD_ADD_LAST, CMD_ADD_FIRST = 1, 2, 3, 4
SEC_IP_DHCP_HOST, SEC_IP_DHCP_RANGE, SEC_PORTGROUP, SEC_DNS_HOST = 4, 5, 9, 10
AFFECT_LIVE, AFFECT_CONFIG = 1, 2


def run(*argv, check=True, timeout=30, ns=None):
    if ns:
        argv = ("ip", "netns", "exec", ns) + argv
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def new_netns(prefix="vbt"):
    name = f"{prefix}-{uuidlib.uuid4().hex[:8]}"
    run("ip", "netns", "add", name)
    run("ip", "-n", name, "link", "set", "lo", "up")
    return name


def delete_netns(name):
    """Kills what runs in the namespace (only processes we started live there)
    and removes it; its links, bridges and nftables tables go with it."""
    r = run("ip", "netns", "pids", name, check=False)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            pass
    run("ip", "netns", "del", name, check=False)


_host_limit = []


def host_network_limit():
    """Why this host cannot run networkd's networks (None when it can): the
    tools, a bridge, and nftables NAT (nat networks masquerade), tried once
    in a namespace of the probe's own."""
    if not _host_limit:
        import shutil
        why = next((f"{t} is not installed" for t in ("ip", "nft", "dnsmasq") if not shutil.which(t)),
                   None)
        if why is None:
            ns = None
            try:
                ns = new_netns("vbtprobe")
                r = run("ip", "-n", ns, "link", "add", "vbtbrprobe", "type", "bridge", check=False)
                if r.returncode != 0:
                    why = f"cannot create a bridge (bridge module?): {r.stderr.strip()}"
                else:
                    r = subprocess.run(
                        ["ip", "netns", "exec", ns, "nft", "-f", "-"], capture_output=True, text=True,
                        timeout=30, input="table ip vbtprobe {\n chain post {\n  type nat hook postrouting "
                                          "priority 100;\n  masquerade\n }\n}\n")
                    if r.returncode != 0:
                        why = f"nftables NAT does not work in this kernel: {r.stderr.strip()}"
            except RuntimeError as e:
                why = f"cannot create a network namespace: {e}"
            finally:
                if ns:
                    delete_netns(ns)
        _host_limit.append(why)
    return _host_limit[0]


def kernel_has_vlan_filtering(ns):
    r = run("ip", "-n", ns, "link", "add", "vbtvlanprobe", "type", "bridge", "vlan_filtering", "1",
            check=False)
    if r.returncode == 0:
        run("ip", "-n", ns, "link", "del", "vbtvlanprobe", check=False)
    return r.returncode == 0


def schema_check(xml, tmpdir):
    """xmllint --relaxng network.rng; returns (ok, output)."""
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is missing (libvirt-daemon's schemas)")
    f = Path(tmpdir) / f"schema-{uuidlib.uuid4().hex[:6]}.xml"
    f.write_text(xml)
    r = run("xmllint", "--noout", "--relaxng", SCHEMA, f, check=False)
    return r.returncode == 0, r.stdout + r.stderr


def dbus_error(e):
    return e.get_dbus_name() if isinstance(e, dbus.exceptions.DBusException) else None


class NetworkdEnv:
    """A namespace, a root directory, a private bus with a monitor, and
    virtbus-networkd in the namespace; shared by the tests of one module."""

    def __init__(self, daemon_env=None):
        binary = h.BUILD / "virtbus-networkd"
        if not binary.exists():
            pytest.fail(f"{binary} is not built (run make)")
        why = host_network_limit()
        if why:
            pytest.skip(f"this host cannot run networkd's networks: {why}")
        self.root = h.Root(prefix="vbn-")
        self.ns = new_netns()
        self.clients = []
        self.wrapper = self.root / "networkd-in-netns"
        # exec all the way down: the pid the harness watches is the daemon's
        self.wrapper.write_text(f"#!/bin/sh\nexec ip netns exec {self.ns} {binary} \"$@\"\n")
        self.wrapper.chmod(0o755)
        self.bus = h.TestBus(self.root).start()
        # D-Bus activation of networkd: never in the host's namespace.
        self.bus.install_service("org.virtbus.networkd", [self.wrapper, "--root", self.root.path])
        self.mon = h.BusMonitor(self.bus).start()
        self.daemon = h.Daemon("networkd", self.bus, self.root, binary=self.wrapper,
                               env=daemon_env(self.root) if daemon_env else None)
        self.daemon.start()

    def close(self):
        for c in self.clients:
            c.close()
        try:
            self.daemon.stop()
        finally:
            self.mon.stop()
            self.bus.stop()
            delete_netns(self.ns)
            self.root.cleanup()

    def logs(self):
        return [("virtbus-networkd", self.daemon.log_path), ("bus monitor", self.mon.log_path)]

    # --- calls --------------------------------------------------------------
    def call(self, method, *args, **kw):
        return self.daemon.call(method, *args, **kw)

    def port_call(self, method, *args, **kw):
        return self.daemon.call(method, *args, interface=PORT_IFACE, **kw)

    def net_call(self, path, method, *args, **kw):
        return self.bus.call(NETWORKD, path, NETWORK_IFACE, method, *args, **kw)

    def prop(self, path, name):
        return self.bus.get_property(NETWORKD, path, NETWORK_IFACE, name)

    def define(self, xml, start=True):
        path = self.call("NetworkDefineXML", xml)
        if start:
            self.net_call(path, "Create")
        return path

    def remove(self, path):
        """Destroys (if active) and undefines a network, whatever its state."""
        try:
            if self.prop(path, "Active"):
                self.net_call(path, "Destroy")
            if self.prop(path, "Persistent"):
                self.net_call(path, "Undefine")
        except dbus.exceptions.DBusException as e:
            if dbus_error(e) != "org.freedesktop.DBus.Error.UnknownObject":
                raise

    def xml(self, path, inactive=False):
        return self.net_call(path, "GetXMLDesc", 1 if inactive else 0)

    def in_ns(self, *argv, check=True, timeout=30):
        return run(*argv, check=check, timeout=timeout, ns=self.ns)

    def nft(self):
        return self.in_ns("nft", "list", "table", "inet", "virtbus", check=False)

    def link_exists(self, name):
        return self.in_ns("ip", "link", "show", "dev", name, check=False).returncode == 0

    def dnsmasq_pid(self, network):
        pidfile = self.root / "run" / "virtbus" / "network" / f"{network}.pid"
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if h.pids_mentioning(self.root).count(pid) else None

    def allocate_veth(self, network, mac, client=None, portgroup="", owner=None, **options):
        opts = dbus.Dictionary({k: dbus.String(v, variant_level=1) for k, v in options.items()},
                               signature="sv")
        if client:
            opts["netns"] = dbus.String(f"/run/netns/{client.ns}", variant_level=1)
            opts["peer_ifname"] = dbus.String("eth0", variant_level=1)
        r = self.port_call("AllocateVethPort", network, owner or str(uuidlib.uuid4()), mac,
                           portgroup, opts)
        return tuple(h.unwrap(x) for x in r)

    def allocate_tap(self, network, mac, portgroup="", owner=None, **options):
        opts = dbus.Dictionary({k: dbus.String(v, variant_level=1) for k, v in options.items()},
                               signature="sv")
        r = self.port_call("AllocatePort", network, owner or str(uuidlib.uuid4()), mac, portgroup, opts)
        # (fd, ifname, port uuid): the fd is ours to close
        return tuple(h.unwrap(x) for x in r)

    def client(self, network, mac, **kw):
        """A guest stand-in: a namespace whose eth0 is a veth port on `network`."""
        c = Client(self, network, mac, **kw)
        self.clients.append(c)
        return c


class Client:
    def __init__(self, env, network, mac, portgroup=""):
        self.env = env
        self.ns = new_netns("vbc")
        self.mac = mac
        self.ifname, self.peer, self.port = env.allocate_veth(network, mac, client=self,
                                                              portgroup=portgroup)
        run("ip", "-n", self.ns, "link", "set", "eth0", "up")

    def dhcp(self, timeout=20):
        """busybox udhcpc once; returns the address it got (None if none)."""
        r = run("busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-t", "8", "-T", "1", "-A", "1",
                "-s", UDHCPC_SCRIPT, ns=self.ns, check=False, timeout=timeout)
        m = re.search(r"lease of (\S+) obtained", r.stdout + r.stderr)
        return m.group(1) if m else None

    def address(self):
        r = run("ip", "-4", "-o", "addr", "show", "dev", "eth0", ns=self.ns)
        m = re.search(r"inet (\S+)/", r.stdout)
        return m.group(1) if m else None

    def ping(self, addr, count=1, timeout=2):
        return run("ping", "-c", count, "-W", timeout, addr, ns=self.ns, check=False).returncode == 0

    def flush(self):
        run("ip", "-4", "addr", "flush", "dev", "eth0", ns=self.ns, check=False)

    def close(self):
        delete_netns(self.ns)


def module_env(daemon_env=None):
    """The module's fixtures: `env`, one NetworkdEnv for all its tests, and an
    autouse one that shows the daemon's log in a failing test's report.

        env, env_logs = module_env()

    daemon_env(root), if given, returns extra environment for the daemon
    (VIRTBUS_DNSMASQ, VIRTBUS_NFT), with root the test's root directory.
    """
    @pytest.fixture(scope="module")
    def env():
        e = NetworkdEnv(daemon_env)
        try:
            yield e
        finally:
            e.close()

    @pytest.fixture(autouse=True)
    def env_logs(env):
        for title, path in env.logs():
            h.register_log(title, path)
        yield

    return env, env_logs


def nat_xml(name, subnet="192.168.100", bridge=None, extra="", dhcp_extra="", forward="nat"):
    bridge_xml = f"<bridge name='{bridge}'/>" if bridge else ""
    fwd = f"<forward mode='{forward}'/>" if forward else ""
    return f"""<network>
  <name>{name}</name>
  {fwd}
  {bridge_xml}
  {extra}
  <ip address='{subnet}.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='{subnet}.100' end='{subnet}.199'/>
      {dhcp_extra}
    </dhcp>
  </ip>
</network>"""
