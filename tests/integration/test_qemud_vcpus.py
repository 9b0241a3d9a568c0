# SPDX-License-Identifier: LGPL-2.1-or-later
"""<vcpus> (each vCPU enabled or not, hot-pluggable or not) on a booted
guest, and virDomainSetVcpu (D-Bus SetVcpu, virsh setvcpu through the proxy).

One TCG boot of the test guest serves the module: 3 vCPUs, vCPU 0 fixed
and the others disabled (one running vCPU: two under TCG on a busy host
stall the guest's boot in stop_machine). A vCPU enabled and hot-pluggable
at start is a CPU -device on QEMU's command line: the golden file
vcpus-hotplug-startup runs it in QEMU. The guest's own view comes from its
shell on the serial console."""

import re

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import module_env
from test_qemud_resources import Booted

pytestmark = pytest.mark.timeout(600)

env = module_env()

LIVE, CONFIG = 1, 2
INACTIVE = 2     # GetXMLDesc
INVALID_ARG = "org.virtbus.Error.InvalidArg"
OP_UNSUPPORTED = "org.virtbus.Error.OperationUnsupported"

VCPUS = """<vcpu current='1'>3</vcpu>
  <vcpus>
    <vcpu id='0' enabled='yes' hotpluggable='no'/>
    <vcpu id='1' enabled='no' hotpluggable='yes'/>
    <vcpu id='2' enabled='no' hotpluggable='yes'/>
  </vcpus>"""


class VcpusGuest(Booted):
    """test_qemud_resources' guest (shell on a pty console, an IOThread
    disk), with the <vcpus> above instead of its <vcpu current='1'>."""

    boot_timeout = 300     # a busy host

    def domain_xml(self, disk):
        return super().domain_xml(disk).replace("<vcpu current='1'>3</vcpu>", VCPUS)

    def online(self):
        """How many CPUs the guest runs, onlining any hot-added one first
        (the guest has no udev to do it)."""
        cpus = self.guest_cpus()
        for n, on in cpus.items():
            if not on:
                self.console.run(f"echo 1 > /sys/devices/system/cpu/cpu{n}/online")
        return sum(1 for on in self.guest_cpus().values() if on)


@pytest.fixture(scope="module")
def vm(env):
    g = VcpusGuest(env)
    yield g
    g.console.close()
    try:
        g.call("Destroy", 0)
    except dbus.exceptions.DBusException:
        pass


def states(xml):
    """{id: (enabled, hotpluggable)} of <vcpus>."""
    return {int(i): (e, p) for i, e, p in
            re.findall(r"<vcpu id='(\d+)' enabled='(\w+)' hotpluggable='(\w+)'", xml)}


def test_started_as_defined(env, vm):
    assert states(vm.xml()) == {0: ("yes", "no"), 1: ("no", "yes"), 2: ("no", "yes")}
    assert states(vm.xml(INACTIVE)) == states(vm.xml())
    assert vm.call("GetVcpus", 0) == 1
    assert vm.online() == 1


@pytest.mark.parametrize("args,error,words", [
    (("1", 2, LIVE), INVALID_ARG, "unsupported state value"),
    (("", 1, LIVE), INVALID_ARG, "Failed to parse bitmap ''"),
    (("x", 1, LIVE), INVALID_ARG, "Failed to parse bitmap 'x'"),
    (("3", 1, LIVE), INVALID_ARG, "vcpu 3 is not present in live config"),
    (("1-2", 1, LIVE), OP_UNSUPPORTED, "only one hotpluggable entity can be selected"),
    (("0", 1, LIVE), INVALID_ARG, "vcpu '0' is already in requested state"),
    (("2", 0, LIVE), INVALID_ARG, "vcpu '2' is already in requested state"),
    (("0", 0, LIVE), INVALID_ARG, "vcpu '0' can't be hotunplugged"),
    (("0", 0, CONFIG), INVALID_ARG, "vCPU '0' can't be modified"),
    (("4", 1, CONFIG), INVALID_ARG, "vcpu 4 is not present in persistent config"),
])
def test_setvcpu_bad_input(env, vm, args, error, words):
    live, config = vm.xml(), vm.xml(INACTIVE)
    with h.expect_dbus_error(error) as e:
        vm.call("SetVcpu", *args)
    assert words in e.message
    assert vm.xml() == live and vm.xml(INACTIVE) == config


def test_virsh_setvcpu_enables_one(env, vm):
    config = vm.xml(INACTIVE)
    proxy = h.Proxy(env.bus, env.root).start()
    try:
        proxy.virsh("setvcpu", vm.name, "1", "--enable", "--live")
    finally:
        proxy.stop()
    assert states(vm.xml()) == {0: ("yes", "no"), 1: ("yes", "yes"), 2: ("no", "yes")}
    assert "<vcpu current='2'>3</vcpu>" in vm.xml()
    assert vm.xml(INACTIVE) == config, "a live change leaves the persistent definition alone"
    assert vm.call("GetVcpus", 0) == 2
    h.wait_until(lambda: vm.online() == 2, 60, 1, "2 CPUs online in the guest")
    assert "0-1" in vm.console.run("cat /sys/devices/system/cpu/online")


def test_setvcpu_unplugs_it(env, vm):
    vm.call("SetVcpu", "1", 0, LIVE)
    assert states(vm.xml())[1] == ("no", "yes")
    assert vm.call("GetVcpus", 0) == 1
    h.wait_until(lambda: len(vm.guest_cpus()) == 1, 60, 1, "the CPU gone from the guest")


def test_setvcpu_config(env, vm):
    live = vm.xml()
    vm.call("SetVcpu", "2", 0, CONFIG)
    assert states(vm.xml(INACTIVE)) == {0: ("yes", "no"), 1: ("no", "yes"), 2: ("no", "yes")}
    assert "<vcpu current='1'>3</vcpu>" in vm.xml(INACTIVE)
    vm.call("SetVcpu", "1-2", 1, CONFIG)
    assert states(vm.xml(INACTIVE)) == {0: ("yes", "no"), 1: ("yes", "yes"), 2: ("yes", "yes")}
    assert vm.xml() == live
    saved = (env.conf_dir / "res.xml").read_text()
    assert "<vcpu id='2' enabled='yes' hotpluggable='yes'/>" in saved
