# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hot-plug of a device='lun' disk with <reservations managed='yes'/>, as
libvirt plugs it: qemud starts the guest's qemu-pr-helper (the real one,
Debian's) if it has none, then QEMU gets the pr-manager-helper object
pr-helper0 (which connects to the helper at once), the disk's nodes and its
scsi-block. This host has no SCSI disk, so QEMU refuses the LUN itself
(scsi-block needs a SCSI device): what is tested is the way there and back,
the helper running when QEMU's pr-manager-helper connected (the failure is
QEMU's word on the LUN, not on pr-helper0), then the plug taken back: no
pr-manager-helper object left in QEMU, the helper ended, the live
definition as it was, over D-Bus and with virsh through the proxy. The
start-time helper and its golden command line are tested in
test_qemud_disk_vhost.py and test-qemu-pr-helper."""

import os
import re
import signal

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, bare_domain, dbus_error, module_env

env = module_env()

PR_HELPER = "/usr/bin/qemu-pr-helper"


def pr_helpers():
    out = set()
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if open(f"/proc/{p}/comm").read().strip() == "qemu-pr-helper":
                    out.add(int(p))
            except OSError:
                pass
    return out


def lun(path, dev="sda"):
    return (f"<disk type='block' device='lun'><driver name='qemu' type='raw'/>"
            f"<source dev='{path}'><reservations managed='yes'/></source>"
            f"<target dev='{dev}' bus='scsi'/></disk>")


def pr_objects(env, name):
    """QEMU's pr-manager-helper objects over its monitor, qemud SIGKILLed
    meanwhile and started again."""
    monitor = re.search(r"<monitor path='([^']+)'", env.status_file(name).read_text()).group(1)
    env.qemud.kill(signal.SIGKILL)
    try:
        qmp = h.Qmp(monitor, timeout=20)
        try:
            objs = qmp.cmd("qom-list", path="/objects")
        finally:
            qmp.close()
    finally:
        env.qemud.start()
    return sorted(o["name"] for o in objs if o["type"] == "child<pr-manager-helper>")


def test_managed_lun_plug_runs_the_helper_and_takes_it_back(env, tmp_path):
    if not os.access(PR_HELPER, os.X_OK):
        pytest.skip(f"{PR_HELPER} is missing (Debian's qemu-system-common has it)")
    img = tmp_path / "not-scsi.img"
    with open(img, "wb") as f:
        f.truncate(1 << 20)
    g = Guest(env, env.call("DomainDefineXML", bare_domain(
        "prplug", "<controller type='scsi' index='0' model='virtio-scsi'/>")), "prplug")
    before_helpers = pr_helpers()
    try:
        g.call("Create", 0)
        before = g.call("GetXMLDesc", 0)
        log = env.root / "test-logs" / "virtbus-qemud.log"
        with dbus_error("OperationFailed", "disk 'sda'", str(img)) as e:
            g.call("AttachDevice", lun(img), 1)
        print(f"\nplug refused: {e.message}")
        # QEMU took pr-helper0 (it connected to the helper), then refused the LUN
        assert "pr-helper0" not in e.message and "pr-manager" not in e.message, e.message
        started = re.findall(r"Domain prplug: qemu-pr-helper (\d+) listens on (\S+)", log.read_text())
        assert len(started) == 1 and started[0][1].endswith("/pr-helper0.sock"), started
        assert f"Domain prplug: stopped qemu-pr-helper {started[0][0]}" in log.read_text()
        assert g.call("GetXMLDesc", 0) == before
        assert pr_helpers() == before_helpers
        assert pr_objects(env, "prplug") == []
        # virsh through the proxy: the same, and again nothing left
        f = tmp_path / "lun.xml"
        f.write_text(lun(img))
        proxy = h.Proxy(env.bus, env.root).start()
        try:
            r = proxy.virsh("attach-device", "prplug", f, "--live", check=False)
            assert r.returncode != 0 and "disk 'sda'" in r.stderr, r.stderr
        finally:
            proxy.stop()
        assert len(re.findall(r"Domain prplug: stopped qemu-pr-helper", log.read_text())) == 2
        assert g.call("GetXMLDesc", 0) == before
        assert pr_helpers() == before_helpers
        assert pr_objects(env, "prplug") == []
    finally:
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)
