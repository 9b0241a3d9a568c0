# SPDX-License-Identifier: LGPL-2.1-or-later
"""<graphics type='vnc'><listen type='network' network=''/> with the real
qemud and networkd (test_qemud_network's Env).

- The definition keeps the listen as given (no address in the inactive XML).
- A network that does not exist, or one defined but not running: Create
  fails naming it and leaves the domain shut off with no QEMU behind.

Not covered here: a start that listens on the network's address. networkd
runs in a network namespace of its own in this harness, so the network's
bridge address is not one QEMU (in the host's namespace) can bind; the
golden file tests/data/qemu-command/graphics-listen-network shows the
command line with a resolved address.
"""

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from test_networkd_common import nat_xml
from test_qemud_common import dbus_error
from test_qemud_network import _logs, env  # noqa: F401 - the network test env and its logs, shared

pytestmark = pytest.mark.timeout(150)

VNC = "<graphics type='vnc' autoport='yes'><listen type='network' network='{}'/></graphics>"


def assert_shut_off(env, path, name):
    assert env.state(path) == (S.SHUTOFF, 6), env.state(path)   # failed
    assert not (env.root / "run" / "virtbus" / "qemu" / f"{name}.xml").exists()
    assert not h.pids_mentioning(env.serials[name]), "a QEMU of the failed start is still there"


def test_listen_network_missing_or_inactive(env):
    name, uuid = "listennet", "6b1f0d33-6a0e-4c5e-9d6e-0000000000a1"
    path = env.define(name, uuid, nic=None, extra_devices=VNC.format("nolistennet"))
    late = None
    try:
        xml = env.dcall(path, "GetXMLDesc", 0)
        assert "<listen type='network' network='nolistennet'/>" in xml, xml

        with dbus_error("OperationFailed", "nolistennet") as e:
            env.start(path, name)
        print(f"\nCreate with a missing network: {e.message}")
        assert_shut_off(env, path, name)

        late = env.net.define(nat_xml("nolistennet", "192.168.152"), start=False)
        with dbus_error("OperationFailed", "'nolistennet' is not active") as e:
            env.start(path, name)
        print(f"Create with an inactive network: {e.message}")
        assert_shut_off(env, path, name)
    finally:
        if env.state(path)[0] != S.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)
        if late:
            env.net.remove(late)
