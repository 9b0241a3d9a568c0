# SPDX-License-Identifier: LGPL-2.1-or-later
"""A hot-plug of an <interface type='network'> cut short by a qemud SIGKILL
(test_qemud_plug_restart.py has the macvtap and the channel): networkd made
its port and tap, QEMU got the tap by getfd and its netdev_add, and qemud
was killed holding the plug before its device_add (the test hook
VIRTBUS_TEST_PLUG_PAUSE). The restarted qemud finds the plug in the live
state, the device absent from QEMU, and takes it all back: the netdev and
the fd in QEMU, the port in networkd (so the tap goes), the record; the
live XML is as before and the guest runs.

networkd runs in a network namespace of its own (test_qemud_network's env).
A guest that boots nothing (q35, TCG) is enough.
"""

import re
import signal
import subprocess

import pytest

import virtbus_harness as h
import test_qemud_network as tnet
from test_qemud_network import _logs, env  # noqa: F401 - the network test env and its logs, shared
from test_qemud_common import bare_domain

pytestmark = pytest.mark.timeout(300)

NAME, UUID, MAC = "plugnet", "6b1f0d33-6a0e-4c5e-9d6e-0000000000c1", "52:54:00:5b:0c:01"


def status(env):
    return (env.root / "run" / "virtbus" / "qemu" / f"{NAME}.xml").read_text()


def netdevs(env):
    """QEMU's netdevs, asked over its monitor with qemud SIGKILLed meanwhile."""
    monitor = re.search(r"<monitor path='([^']+)'", status(env)).group(1)
    q = h.Qmp(monitor, timeout=20)
    try:
        return q.cmd("human-monitor-command", **{"command-line": "info network"})
    finally:
        q.close()


def test_network_plug_cut_short(env):
    xml = bare_domain(NAME, "<controller type='pci' index='0' model='pcie-root'/>"
                            "<controller type='pci' index='1' model='pcie-root-port'/>"
                            "<memballoon model='none'/>").replace("machine='pc'", "machine='q35'").replace(
        f"<name>{NAME}</name>", f"<name>{NAME}</name><uuid>{UUID}</uuid>")
    nic = (f"<interface type='network'><mac address='{MAC}'/><source network='{tnet.NET}'/>"
           "<model type='virtio'/></interface>")
    path = env.qemud.call("DomainDefineXML", xml)
    try:
        env.dcall(path, "Create", 0)
        before = env.dcall(path, "GetXMLDesc", 0)
        links_before = env.links()
        env.qemud.kill(signal.SIGKILL)
        env.qemud.extra_env["VIRTBUS_TEST_PLUG_PAUSE"] = "net0"
        env.qemud.start()
        marks = env.qemud.log().count("its device_add (VIRTBUS_TEST_PLUG_PAUSE)")
        call = h.spawn(["busctl", f"--address={env.bus.address}", "--timeout=300", "call", "org.virtbus.qemud",
                        path, "org.libvirt.Domain", "AttachDevice", "su", nic, "1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env.bus.env)
        h.wait_until(lambda: env.qemud.log().count("its device_add (VIRTBUS_TEST_PLUG_PAUSE)") > marks, 60, 0.2,
                     "the plug of net0 to be held")
        ports = env.owner_ports(UUID)
        assert len(ports) == 1, ports
        taps = env.links() - links_before
        assert len(taps) == 1, taps
        assert f"port='{ports[0][0]}'" in status(env), status(env)

        env.qemud.kill(signal.SIGKILL)
        call.communicate(timeout=30)
        assert call.returncode != 0
        assert "hostnet0" in netdevs(env)       # what the plug left in QEMU

        env.qemud.extra_env.pop("VIRTBUS_TEST_PLUG_PAUSE")
        env.qemud.start()
        h.wait_until(lambda: "<plug " not in status(env), 30, 0.2, "the restarted qemud to take back the plug")
        tnet.assert_released(env, UUID, sorted(taps))
        assert env.dcall(path, "GetXMLDesc", 0) == before
        assert env.state(path) == (h.DomainState.RUNNING, 1)
        env.dcall(path, "MemoryStats", 0)     # answered once QEMU did what qemud sent before
        env.qemud.kill(signal.SIGKILL)
        try:
            assert "hostnet0" not in netdevs(env)
        finally:
            env.qemud.start()
    finally:
        env.qemud.extra_env.pop("VIRTBUS_TEST_PLUG_PAUSE", None)
        if not env.qemud.alive():
            env.qemud.start()
        env.destroy(path)
        env.dcall(path, "Undefine", 0)
