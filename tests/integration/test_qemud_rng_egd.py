# SPDX-License-Identifier: LGPL-2.1-or-later
"""<rng><backend model='egd' type='unix'> in the real QEMU: started, QEMU's
rng-egd chardev connects to the EGD daemon's socket (here the test's own
listening socket). The test guest's initramfs has no virtio_rng module, so
what the guest would read is not checked; the wiring up to the host socket
is. Hot-plugging such an rng whose daemon does not listen fails with
QEMU's words, the guest and its definition left as they were
(test_qemud_hotplug_chr plugs one that connects)."""

import socket

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from test_qemud_common import module_env

env = module_env()


def egd_rng(path):
    return ("    <rng model='virtio'>\n"
            "      <backend model='egd' type='unix'>\n"
            f"        <source mode='connect' path='{path}'/>\n"
            "      </backend>\n"
            "    </rng>")


def test_egd_backend_connects_to_the_daemon_socket(env):
    name = "rng-egd"
    sock_path = env.root / "egd.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock_path))
    srv.listen(1)
    srv.settimeout(60)
    path = env.call("DomainDefineXML", env.guest_xml(name, machine="q35", extra_devices=egd_rng(sock_path)))
    try:
        env.dcall(path, "Create", 0)
        h.wait_until(lambda: env.state(path)[0] == S.RUNNING, 30, what=f"{name} running")
        conn, _ = srv.accept()      # QEMU's chardev, connected at start
        conn.close()
        assert "model='egd'" in env.dcall(path, "GetXMLDesc", 0)

        before = env.dcall(path, "GetXMLDesc", 0)
        with pytest.raises(Exception) as e:
            env.dcall(path, "AttachDevice", egd_rng(env.root / "other.sock"), 1)
        # plugged as libvirt does (chardev-add first), here to a socket nobody listens on
        assert "Failed to connect" in str(e.value), str(e.value)
        assert env.dcall(path, "GetXMLDesc", 0) == before
    finally:
        srv.close()
        if env.state(path)[0] != S.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)
