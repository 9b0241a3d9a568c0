# SPDX-License-Identifier: LGPL-2.1-or-later
"""<video><driver name='vhostuser'/> in virtbus-qemud: qemud runs Debian's
vhost-user-gpu (qemu-system-gui, found through QEMU's vhost-user
descriptions) on the socket QEMU connects to, for the guest's life.

QEMU 7.2 refuses a vhost-user-gpu device without KVM ("vhost initialization
failed: requires kvm"): on a host without it (this one) the start fails in
QEMU's words, after qemud started the backend, which ends with QEMU's
connection; the guest stays shut off. Where KVM is usable the guest runs
with its backend, which ends when the guest is destroyed."""

import subprocess

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, module_env
from virtbus_harness import DomainState as S

env = module_env()

BACKEND = "/usr/lib/qemu/vhost-user-gpu"


def backend_pids():
    out = subprocess.run(["pgrep", "-x", "vhost-user-gpu"], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def domain_xml(virt):
    return f"""<domain type='{virt}'>
  <name>vugpu</name>
  <memory unit='MiB'>128</memory>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    <video><driver name='vhostuser'/><model type='virtio' heads='1' primary='yes'/></video>
  </devices>
</domain>"""


def test_vhost_user_gpu_backend_for_the_guests_life(env):
    if not subprocess.run(["test", "-x", BACKEND]).returncode == 0:
        pytest.skip(f"{BACKEND} is missing (Debian's qemu-system-gui has it)")
    kvm = h.kvm_available()
    before = backend_pids()
    g = Guest(env, env.call("DomainDefineXML", domain_xml("kvm" if kvm else "qemu")), "vugpu")
    try:
        assert "<driver name='vhostuser'/>" in g.call("GetXMLDesc", 0)
        if not kvm:
            with pytest.raises(dbus.exceptions.DBusException) as e:
                g.call("Create", 0)
            msg = e.value.get_dbus_message()
            assert "requires kvm" in msg, msg
            assert g.state()[0] == S.SHUTOFF
            # QEMU connected to qemud's socket and got its backend before refusing
            log = env.qemud.log_path.read_text(errors="replace")
            assert "Domain vugpu, video 0: vhost-user-gpu" in log and "serves QEMU" in log, log[-2000:]
        else:
            g.call("Create", 0)
            assert backend_pids() - before, "no vhost-user-gpu runs for the guest"
            live = g.call("GetXMLDesc", 0)
            assert "<alias name='video0'/>" in live, live
            g.call("Destroy", 0)
        h.wait_until(lambda: not (backend_pids() - before), 30, 0.5, what="vhost-user-gpu's end")
    finally:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)
