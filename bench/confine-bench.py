#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What confining QEMU adds to a start: Create + Destroy with QEMU
unconfined (no DAC, no -sandbox, capabilities kept, no mount namespace),
with DAC (user 64055) and the rest but no private /dev, with everything
(DAC, -sandbox, no new privileges, no capabilities, its own mount namespace
and /dev), and everything as root, beside libvirtd in the same run. The
guest's cgroup (and its device controller) is made in every series: qemud
has no setting to leave it out.

    /usr/bin/python3 bench/confine-bench.py        (as root; make first)

It is bench/security-bench.py (imported, not copied) with other qemud.conf
settings per series; its environment variables apply."""

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("security_bench", REPO / "bench" / "security-bench.py")
sb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sb)

# "off" and "64055" are the two rows security-bench.py subtracts
sb.SETTINGS = [
    ("off", "dynamic_ownership = 0\nseccomp_sandbox = 0\nclear_emulator_capabilities = 0\nnamespaces = []\n"),
    ("64055-no-ns", 'user = "+64055"\ngroup = "+64055"\nnamespaces = []\n'),
    ("64055", 'user = "+64055"\ngroup = "+64055"\n'),
    ("root", ""),
]

_show = sb.SecBench.show


def show(self):
    _show(self)
    ms = lambda s: s["median"] * 1e3          # noqa: E731
    no_ns, ns = self.res.get("vb-64055-no-ns"), self.res.get("vb-64055")
    if no_ns and ns:
        print(f"mount namespace and own /dev on minus off (both DAC 64055): Create {ms(ns[1]) - ms(no_ns[1]):+.1f} ms, "
              f"Destroy {ms(ns[2]) - ms(no_ns[2]):+.1f} ms")


sb.SecBench.show = show

if __name__ == "__main__":
    sys.exit(sb.main())
