#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What confining QEMU adds to a start: Create + Destroy with QEMU
unconfined, confined as root (-sandbox, no new privileges, no capabilities,
device cgroup), and confined as an unprivileged user, beside libvirtd in
the same run.

    /usr/bin/python3 bench/confine-bench.py        (as root; make first)

It is bench/security-bench.py (imported, not copied) with other qemud.conf
settings per series; its environment variables apply."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("security_bench", REPO / "bench" / "security-bench.py")
sb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sb)

sb.SETTINGS = [
    ("unconfined", "seccomp_sandbox = 0\nclear_emulator_capabilities = 0\n"),
    ("confined-root", ""),
    ("confined-64055", 'user = "+64055"\ngroup = "+64055"\n'),
]

if __name__ == "__main__":
    sb.main()
