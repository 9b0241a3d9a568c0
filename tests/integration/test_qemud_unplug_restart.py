# SPDX-License-Identifier: LGPL-2.1-or-later
"""An unplug cut short by a qemud SIGKILL is finished by the restarted qemud.

DetachDevice of a PCIe device waits for the guest (its pciehp takes ~5 s
after the attention button), answers after libvirt's 5 s with the removal
still pending, and removes the device's backends once QEMU's DEVICE_DELETED
comes. The unplug is in the live state from its device_del until QEMU
answered the backends' removal, so a qemud killed in between finishes it
when started again. Shown with an <rng> of an egd backend (a chardev to the
test's server and an rng-egd object: what the removal must take away from
QEMU), in the booted test guest (TCG), paused while the detach is asked so
that the guest lets go only when told:
- the guest lets the rng go while qemud is down (resumed over QEMU's own
  monitor): its DEVICE_DELETED is lost, the restarted qemud asks QEMU's
  /machine/peripheral, finds the device gone and removes the chardev and
  the object and the rng from the live XML;
- the guest lets it go after the restart (Resume): the restarted qemud
  waited for DEVICE_DELETED again and finishes the unplug then.
"""

import re
import signal

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from test_qemud_common import module_env, tcp_server

pytestmark = pytest.mark.timeout(300)

env = module_env()

LIVE = 1
NAME = "unplugvm"


def rng_xml(port):
    return ("<rng model='virtio'><backend model='egd' type='tcp'>"
            f"<source mode='connect' host='127.0.0.1' service='{port}'/>"
            "<protocol type='raw'/></backend></rng>")


def qmp(env):
    monitor = re.search(r"<monitor path='([^']+)'", env.status_file(NAME).read_text()).group(1)
    return h.Qmp(monitor, timeout=20)


def qemu_has(q, alias):
    """Whether QEMU still has the rng's device, chardev or object."""
    devs = {d["name"] for d in q.cmd("qom-list", path="/machine/peripheral")}
    chardevs = {c["label"] for c in q.cmd("query-chardev")}
    objs = {o["name"] for o in q.cmd("qom-list", path="/objects")}
    return {"device": alias in devs, "chardev": f"char{alias}" in chardevs, "object": f"obj{alias}" in objs}


def qemu_state(env, alias):
    """qemu_has, asked with qemud SIGKILLed (QEMU takes one monitor client)
    and started again; the MemoryStats first is answered once QEMU did what
    qemud sent before."""
    env.dcall(env.path, "MemoryStats", 0)
    env.qemud.kill(signal.SIGKILL)
    try:
        q = qmp(env)
        try:
            return qemu_has(q, alias)
        finally:
            q.close()
    finally:
        env.qemud.start()


def plug(env, srv):
    env.dcall(env.path, "AttachDevice", rng_xml(srv.getsockname()[1]), LIVE)
    conn, _ = srv.accept()
    live = env.dcall(env.path, "GetXMLDesc", 0)
    aliases = re.findall(r"<rng model='virtio'>.*?<alias name='([^']+)'/>", live, re.S)
    return conn, aliases[-1]


def pending_detach(env, srv):
    """The guest paused: DetachDevice answers after its wait, the removal
    pending (the device still in the live XML)."""
    env.dcall(env.path, "Suspend")
    env.dcall(env.path, "DetachDevice", rng_xml(srv.getsockname()[1]), LIVE)
    assert "<rng model='virtio'>" in env.dcall(env.path, "GetXMLDesc", 0)
    assert "<unplug alias=" in env.status_file(NAME).read_text()


@pytest.fixture(scope="module")
def vm(env):
    if not env.guest:
        pytest.skip("no test guest (VIRTBUS_GUEST_DIR)")
    log = env.root / "unplug-serial.log"
    ports = "".join(f"<controller type='pci' index='{i}' model='pcie-root-port'/>" for i in (1, 2, 3))
    xml = h.guest_domain_xml(env.guest, NAME, nic=None, serial_log=log, extra_devices=ports,
                             extra_cmdline="virtbus.nodhcp")
    env.path = env.call("DomainDefineXML", xml)
    env.dcall(env.path, "Create", 0)
    try:
        h.wait_until(lambda: log.exists() and b"VIRTBUS-GUEST-READY" in log.read_bytes(), 150, 0.5,
                     "the guest to boot")
        yield env.path
    finally:
        if env.state(env.path)[0] != S.SHUTOFF:
            env.dcall(env.path, "Destroy", 0)
        env.dcall(env.path, "Undefine", 0)


def test_device_gone_while_qemud_was_down(env, vm):
    srv = tcp_server(4)
    try:
        conn, alias = plug(env, srv)
        pending_detach(env, srv)
        env.qemud.kill(signal.SIGKILL)
        try:
            q = qmp(env)
            try:
                q.cmd("cont")
                h.wait_until(lambda: not qemu_has(q, alias)["device"], 60, 0.5,
                             f"the guest to let {alias} go")
                assert qemu_has(q, alias) == {"device": False, "chardev": True, "object": True}
            finally:
                q.close()
        finally:
            env.qemud.start()
        h.wait_until(lambda: "<rng model='virtio'>" not in env.dcall(vm, "GetXMLDesc", 0), 30, 0.5,
                     f"the restarted qemud to finish the unplug of {alias}")
        assert qemu_state(env, alias) == {"device": False, "chardev": False, "object": False}
        assert "<unplug " not in env.status_file(NAME).read_text()
        conn.close()
    finally:
        srv.close()


def test_device_let_go_after_the_restart(env, vm):
    srv = tcp_server(4)
    try:
        conn, alias = plug(env, srv)
        pending_detach(env, srv)
        env.qemud.kill(signal.SIGKILL)
        env.qemud.start()
        h.wait_until(lambda: env.state(vm)[0] == S.PAUSED, 30, 0.2, "qemud back")
        assert "<rng model='virtio'>" in env.dcall(vm, "GetXMLDesc", 0)
        env.dcall(vm, "Resume")
        h.wait_until(lambda: "<rng model='virtio'>" not in env.dcall(vm, "GetXMLDesc", 0), 60, 0.5,
                     f"the guest to let {alias} go and qemud to finish its unplug")
        h.wait_until(lambda: "<unplug " not in env.status_file(NAME).read_text(), 10, 0.2,
                     "the unplug to leave the live state")
        assert qemu_state(env, alias) == {"device": False, "chardev": False, "object": False}
        conn.close()
    finally:
        srv.close()
