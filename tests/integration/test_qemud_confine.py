# SPDX-License-Identifier: LGPL-2.1-or-later
"""QEMU confined at its start (common/confine.h, qemud/qemu-confine.c).

With the default qemud.conf, QEMU (root here) runs under its seccomp filter
(-sandbox on, spawn denied: /proc/PID/status "Seccomp: 2"), with no new
privileges and no capability at all (bounding, permitted, effective,
inheritable and ambient sets empty), and the guest still boots. With
`seccomp_sandbox = 0` and `clear_emulator_capabilities = 0` it runs as before
(no filter, root's capabilities). A bad value is refused at the start,
naming the setting, the guest left shut off."""

import os
import shutil
import subprocess

import pytest

import virtbus_harness as h
from test_qemud_common import QemudEnv, _env_logs, dbus_error  # noqa: F401
from virtbus_harness import DomainState as S

pytestmark = pytest.mark.timeout(300)

CAP_SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


@pytest.fixture(scope="module")
def env(guest, request):
    e = QemudEnv(guest)
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def set_conf(env, text):
    conf = env.root / "etc" / "virtbus" / "qemud.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(text)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def test_default_confinement(env):
    set_conf(env, "")
    g = env.define("conf1", tick=True)
    try:
        g.start()
        st = proc_status(g.pid())
        assert st["Seccomp"] == "2", st
        assert st["NoNewPrivs"] == "1", st
        for k in CAP_SETS:
            assert int(st[k], 16) == 0, (k, st[k])
        # the filter lets the guest run
        g.wait_ready()
        g.wait_tick_after(g.last_tick())
        assert g.state()[0] == S.RUNNING
    finally:
        g.ensure_shutoff()


def test_confinement_turned_off(env):
    set_conf(env, "seccomp_sandbox = 0\nclear_emulator_capabilities = 0\n")
    g = env.define("conf2")
    try:
        g.start(1)  # paused: the process is all this test looks at
        st = proc_status(g.pid())
        assert st["Seccomp"] == "0", st
        assert int(st["CapEff"], 16) != 0, st
        assert int(st["CapBnd"], 16) != 0, st
    finally:
        g.ensure_shutoff()
        set_conf(env, "")


@pytest.mark.parametrize("n,setting", [(3, "seccomp_sandbox = 2"), (4, "clear_emulator_capabilities = yes")])
def test_bad_setting_refused(env, n, setting):
    set_conf(env, setting + "\n")
    g = env.define(f"conf{n}")
    try:
        with dbus_error("org.virtbus.Error.ConfigUnsupported", setting.split()[0]):
            g.start(1)
        assert g.state()[0] == S.SHUTOFF
    finally:
        set_conf(env, "")


def block_disk(dev, target, readonly=False):
    ro = "<readonly/>" if readonly else ""
    return (f"<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='{dev}'/>"
            f"<target dev='{target}' bus='virtio'/>{ro}</disk>")


def devices_list(pid):
    for line in open(f"/proc/{pid}/cgroup"):
        _, ctrls, path = line.rstrip("\n").split(":", 2)
        if "devices" in ctrls.split(","):
            return open(f"/sys/fs/cgroup/devices{path}/devices.list").read().split("\n")
    return None


@pytest.fixture
def loops(env):
    if not os.path.isdir("/sys/fs/cgroup/devices") or os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        pytest.skip("no cgroup v1 devices controller on this host (the v2 BPF filter is not written)")
    if not shutil.which("losetup"):
        pytest.skip("losetup is not installed")
    devs = []
    for i in range(2):
        f = env.root / f"loop{i}.img"
        with open(f, "wb") as fh:
            fh.truncate(4 << 20)
        r = subprocess.run(["losetup", "-f", "--show", str(f)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"no loop device here: {r.stderr.strip()}")
        devs.append(r.stdout.strip())
    yield devs
    for d in devs:
        subprocess.run(["losetup", "-d", d], check=False)


def rule(dev, access):
    st = os.stat(dev)
    return f"b {os.major(st.st_rdev)}:{os.minor(st.st_rdev)} {access}"


def test_device_controller(env, loops):
    ports = "\n".join([block_disk(loops[0], "vdb", readonly=True),
                       "    <controller type='pci' index='0' model='pcie-root'/>"] +
                      [f"    <controller type='pci' index='{i}' model='pcie-root-port'/>" for i in range(1, 5)])
    g = env.define("conf5", nic=None, extra_devices=ports)
    try:
        g.start(1)
        rules = devices_list(g.pid())
        if rules is None:
            pytest.skip("QEMU has no devices cgroup here (no usable cgroup hierarchy)")
        assert "a *:* rwm" not in rules, rules
        for want in ("c 1:3 rwm", "c 1:9 rwm", "c 136:* rwm", rule(loops[0], "r")):
            assert want in rules, (want, rules)
        assert not any(r.startswith(rule(loops[1], "")) for r in rules), rules
        # hot-plugged: allowed before QEMU opens it
        g.call("AttachDevice", block_disk(loops[1], "vdc"), 1)
        assert rule(loops[1], "rw") in devices_list(g.pid())
        assert f"<source dev='{loops[1]}'" in g.call("GetXMLDesc", 0)
    finally:
        g.ensure_shutoff()
