# SPDX-License-Identifier: LGPL-2.1-or-later
"""<lease> in virtbus-qemud, held through the real virtbus-lockd (D-Bus
activated on the module's bus), as libvirt's lock manager holds it: by
lockspace and key, in the lockspace directory <target path>/<lockspace>
(libvirt's lockd driver), for the guest's QEMU.

Two idle guests (no kernel to boot: QEMU just runs) ask for the same lease:
the first to start holds it, the second is refused with ResourceBusy naming
the lease and left shut off; once the first stops the lease is free again.
AttachDevice of a <lease> to a running guest takes it (refused, the guest
unchanged, while another guest holds it), DetachDevice gives it back; with
CONFIG it joins or leaves the persistent definition. Over D-Bus and with
virsh attach-device/detach-device through virtbus-proxyd.
"""

import signal
import uuid as uuidlib

import pytest

import virtbus_harness as h
from test_qemud_common import dbus_error, module_env, xmllint_relaxng

env = module_env()

LOCKD, LOCKD_PATH, LOCK1 = "org.virtbus.lockd", "/org/virtbus/lockd", "org.virtbus.Lock1"
LIVE, CONFIG = 1, 2
LEASE = ("<lease><lockspace>area51</lockspace><key>vm-disk-key</key>"
         "<target path='/var/lib/virtbus-test/leases' offset='1024'/></lease>")
RESOURCE = "/var/lib/virtbus-test/leases/area51/vm-disk-key"


def domain(name, devices=""):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuidlib.uuid4()}</uuid>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    {devices}
  </devices>
</domain>"""


def held(env):
    """{resource: owner name} of every lease lockd holds."""
    return {l[0]: l[2] for l in env.bus.call(LOCKD, LOCKD_PATH, LOCK1, "ListLeases")}


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    h.register_log("virtbus-proxyd", p.log_path)
    yield p
    p.stop()


def stop(env, path):
    if env.state(path)[0] != h.DomainState.SHUTOFF:
        env.dcall(path, "Destroy", 0)


def test_second_guest_refused_while_the_first_holds_the_lease(env):
    a = env.call("DomainDefineXML", domain("lease-a", LEASE))
    b = env.call("DomainDefineXML", domain("lease-b", LEASE))
    try:
        inactive = env.dcall(a, "GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert ("<lease>\n      <lockspace>area51</lockspace>\n      <key>vm-disk-key</key>\n"
                "      <target path='/var/lib/virtbus-test/leases' offset='1024'/>\n    </lease>") in inactive
        env.dcall(a, "Create", 0)
        assert held(env).get(RESOURCE) == "lease-a"
        before = env.dcall(b, "GetXMLDesc", 2)
        with dbus_error("ResourceBusy", RESOURCE, "lease-a"):
            env.dcall(b, "Create", 0)
        assert env.state(b)[0] == h.DomainState.SHUTOFF
        assert env.dcall(b, "GetXMLDesc", 2) == before
        assert held(env).get(RESOURCE) == "lease-a"
        env.dcall(a, "Destroy", 0)
        h.wait_until(lambda: RESOURCE not in held(env), 15, 0.1, "lease-a's lease let go")
        env.dcall(b, "Create", 0)
        assert held(env).get(RESOURCE) == "lease-b"
    finally:
        for p in (a, b):
            stop(env, p)
            env.dcall(p, "Undefine", 0)


def test_lease_attached_and_detached_live(env):
    a = env.call("DomainDefineXML", domain("plug-a"))
    b = env.call("DomainDefineXML", domain("plug-b"))
    try:
        env.dcall(a, "Create", 0)
        env.dcall(b, "Create", 0)
        env.dcall(a, "AttachDevice", LEASE, LIVE)
        assert held(env).get(RESOURCE) == "plug-a"
        assert "<key>vm-disk-key</key>" in env.dcall(a, "GetXMLDesc", 0)
        assert "<lease>" not in env.dcall(a, "GetXMLDesc", 2)   # live only
        # the same lease twice in one guest
        with dbus_error("OperationInvalid", "Lease vm-disk-key in lockspace area51 already exists"):
            env.dcall(a, "AttachDevice", LEASE, LIVE)
        # held by plug-a: plug-b is refused and unchanged
        live_b = env.dcall(b, "GetXMLDesc", 0)
        with dbus_error("ResourceBusy", RESOURCE, "plug-a"):
            env.dcall(b, "AttachDevice", LEASE, LIVE)
        assert env.dcall(b, "GetXMLDesc", 0) == live_b
        env.dcall(a, "DetachDevice", LEASE, LIVE)
        assert "<lease>" not in env.dcall(a, "GetXMLDesc", 0)
        env.dcall(b, "AttachDevice", LEASE, LIVE)
        assert held(env).get(RESOURCE) == "plug-b"
        with dbus_error("InvalidArg", "Lease vm-disk-key in lockspace area51 does not exist"):
            env.dcall(a, "DetachDevice", LEASE, LIVE)
        # the guest's process ends: lockd lets its leases go
        env.dcall(b, "Destroy", 0)
        h.wait_until(lambda: RESOURCE not in held(env), 15, 0.1, "plug-b's lease let go")
    finally:
        for p in (a, b):
            stop(env, p)
            env.dcall(p, "Undefine", 0)


def test_attached_lease_survives_a_qemud_sigkill(env):
    """qemud killed and started again: the live lease is still in the
    definition and still held (lockd holds it for QEMU, not for qemud), and
    DetachDevice after the restart gives it back."""
    a = env.call("DomainDefineXML", domain("kill-a"))
    try:
        env.dcall(a, "Create", 0)
        env.dcall(a, "AttachDevice", LEASE, LIVE)
        assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
        env.qemud.start()
        # the restarted qemud reconnects to QEMU, then takes its leases again, each in its own time
        h.wait_until(lambda: env.state(a)[0] == h.DomainState.RUNNING, 30, 0.1, "kill-a running again")
        assert "<key>vm-disk-key</key>" in env.dcall(a, "GetXMLDesc", 0)
        h.wait_until(lambda: held(env).get(RESOURCE) == "kill-a", 15, 0.1, "kill-a's lease held again")
        env.dcall(a, "DetachDevice", LEASE, LIVE)
        # lockd lets it go after the call, as at the other detaches here
        h.wait_until(lambda: RESOURCE not in held(env), 15, 0.1, "kill-a's lease let go")
    finally:
        stop(env, a)
        env.dcall(a, "Undefine", 0)


def test_lease_config_attach_detach(env):
    a = env.call("DomainDefineXML", domain("conf-a"))
    try:
        env.dcall(a, "AttachDevice", LEASE, CONFIG)
        assert "<key>vm-disk-key</key>" in env.dcall(a, "GetXMLDesc", 2)
        env.dcall(a, "Create", 0)
        assert held(env).get(RESOURCE) == "conf-a"
        env.dcall(a, "Destroy", 0)
        env.dcall(a, "DetachDevice", LEASE, CONFIG)
        assert "<lease>" not in env.dcall(a, "GetXMLDesc", 2)
    finally:
        stop(env, a)
        env.dcall(a, "Undefine", 0)


def test_bad_leases_refused(env):
    # libvirt's rules: key, lockspace and target each required
    for xml, words in (("<lease><lockspace>a</lockspace><target path='/x'/></lease>", ("key",)),
                       ("<lease><key>k</key><target path='/x'/></lease>", ("lockspace",)),
                       ("<lease><lockspace>a</lockspace><key>k</key></lease>", ("target",)),
                       ("<lease><lockspace>a</lockspace><key>k</key><target/></lease>", ("path",))):
        with dbus_error("XMLError", *words):
            env.call("DomainDefineXML", domain("bad-lease", xml))
    # a relative target: defined as libvirt does, the start names why lockd cannot hold it
    path = env.call("DomainDefineXML", domain("rel-lease", "<lease><lockspace>a</lockspace><key>k</key>"
                                                           "<target path='leases'/></lease>"))
    try:
        with dbus_error("ConfigUnsupported", "lockspace 'a' key 'k'", "normalized absolute path"):
            env.dcall(path, "Create", 0)
        assert env.state(path)[0] == h.DomainState.SHUTOFF
    finally:
        env.dcall(path, "Undefine", 0)


def test_virsh_attach_detach_lease(env, proxy, tmp_path):
    xml, lease = tmp_path / "lease-virsh.xml", tmp_path / "lease.xml"
    xml.write_text(domain("lease-virsh"))
    lease.write_text(LEASE)
    proxy.virsh("define", xml)
    try:
        proxy.virsh("start", "lease-virsh")
        proxy.virsh("attach-device", "lease-virsh", lease, "--live")
        assert held(env).get(RESOURCE) == "lease-virsh"
        assert "<key>vm-disk-key</key>" in proxy.virsh("dumpxml", "lease-virsh").stdout
        proxy.virsh("detach-device", "lease-virsh", lease, "--live")
        assert RESOURCE not in held(env)
        assert "<lease>" not in proxy.virsh("dumpxml", "lease-virsh").stdout
    finally:
        proxy.virsh("destroy", "lease-virsh", check=False)
        proxy.virsh("undefine", "lease-virsh")
