#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What confining QEMU adds to a start: Create + Destroy with QEMU
unconfined and no cgroup at all (no DAC, no -sandbox, capabilities kept, no
mount namespace, VIRTBUS_CGROUPS=0), the same with its cgroup (and device
controller), with DAC (user 64055) and the rest but no private /dev, with
everything (DAC, -sandbox, no new privileges, no capabilities, its own mount
namespace and /dev), everything with the cgroup v2 BPF device filter instead
of the v1 controller (VIRTBUS_CGROUP_DEVICES=bpf, where the host has a
cgroup2 hierarchy), and everything as root, beside libvirtd in the same run.

    /usr/bin/python3 bench/confine-bench.py        (as root; make first)

It is bench/security-bench.py (imported, not copied) with other qemud.conf
settings per series, and qemud started again where a series needs other
environment variables; security-bench.py's environment variables apply."""

import importlib.util
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("security_bench", REPO / "bench" / "security-bench.py")
sb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sb)

OFF = "dynamic_ownership = 0\nseccomp_sandbox = 0\nclear_emulator_capabilities = 0\nnamespaces = []\n"
DAC = 'user = "+64055"\ngroup = "+64055"\n'
# "off" and "64055" are the two rows security-bench.py subtracts
SERIES = [
    ("off", OFF, {"VIRTBUS_CGROUPS": "0"}),
    ("off-cgroup", OFF, {}),
    ("64055-no-ns", DAC + "namespaces = []\n", {}),
    ("64055", DAC, {}),
    ("64055-bpf", DAC, {"VIRTBUS_CGROUP_DEVICES": "bpf"}),
    ("root", "", {}),
]
if not any(os.path.exists(f"{b}/cgroup.controllers") for b in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")):
    SERIES = [s for s in SERIES if s[0] != "64055-bpf"]
sb.SETTINGS = [(tag, conf) for tag, conf, _ in SERIES]

_env_bus = sb.SecBench.env_bus
_series_virtbus = sb.SecBench.series_virtbus


def series_virtbus(self):
    """security-bench.py's loop once per environment: qemud reads the
    variables at its start."""
    for extra in ({}, {"VIRTBUS_CGROUPS": "0"}, {"VIRTBUS_CGROUP_DEVICES": "bpf"}):
        sb.SETTINGS = [(tag, conf) for tag, conf, env in SERIES if env == extra]
        if not sb.SETTINGS:
            continue
        self.extra_env = extra
        _series_virtbus(self)
    self.extra_env = {}
    sb.SETTINGS = [(tag, conf) for tag, conf, _ in SERIES]


def env_bus(self):
    env = _env_bus(self)
    env.update(getattr(self, "extra_env", {}))
    return env


_show = sb.SecBench.show


def show(self):
    _show(self)
    ms = lambda s: s["median"] * 1e3          # noqa: E731

    def diff(label, a, b):
        a, b = self.res.get(f"vb-{a}"), self.res.get(f"vb-{b}")
        if a and b:
            print(f"{label}: Create {ms(b[1]) - ms(a[1]):+.1f} ms, Destroy {ms(b[2]) - ms(a[2]):+.1f} ms")
    diff("cgroup (v1 device controller) on minus off (both without DAC)", "off", "off-cgroup")
    diff("mount namespace and own /dev on minus off (both DAC 64055)", "64055-no-ns", "64055")
    diff("BPF device filter minus v1 device controller (both DAC 64055)", "64055", "64055-bpf")


sb.SecBench.series_virtbus = series_virtbus
sb.SecBench.env_bus = env_bus
sb.SecBench.show = show

if __name__ == "__main__":
    sys.exit(sb.main())
