# SPDX-License-Identifier: LGPL-2.1-or-later
"""A guest's cgroup v2 device filter seen from the tests (common/cgroup-bpf.c):
which cgroup2 folder a process is in, the BPF device programs attached to it
(the bpf() syscall through ctypes, no bpftool needed), and what a process of
that cgroup may open (a shell joins it and opens the node: the kernel's
answer, not ours)."""

import ctypes
import os
import platform
import struct
import subprocess

CGROUP_ROOT = "/sys/fs/cgroup"
UNIFIED = "/sys/fs/cgroup/unified"
BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}
BPF_PROG_GET_FD_BY_ID = 13
BPF_PROG_QUERY = 16
BPF_CGROUP_DEVICE = 6

_libc = ctypes.CDLL(None, use_errno=True)


def cgroup2_base():
    """The cgroup2 hierarchy's root: the host's (v2) or a hybrid host's
    unified one; None without."""
    for base in (CGROUP_ROOT, UNIFIED):
        if os.path.exists(f"{base}/cgroup.controllers"):
            return base
    return None


def cgroup_of(pid):
    """The cgroup2 folder of pid ("0::/path" in /proc/PID/cgroup)."""
    base = cgroup2_base()
    for line in open(f"/proc/{pid}/cgroup"):
        hid, _, path = line.rstrip("\n").split(":", 2)
        if hid == "0" and base:
            return base + path
    return None


def _bpf(cmd, attr):
    nr = BPF_SYSCALL.get(platform.machine())
    if nr is None:
        raise OSError(0, f"no bpf() syscall number known for {platform.machine()}")
    buf = ctypes.create_string_buffer(bytes(attr), 128)
    r = _libc.syscall(ctypes.c_long(nr), ctypes.c_int(cmd), buf, ctypes.c_uint(128))
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r, buf.raw


def device_programs(folder):
    """The ids of the device programs attached to the cgroup folder itself."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        ids = (ctypes.c_uint32 * 64)()
        attr = struct.pack("=IIIIQI", fd, BPF_CGROUP_DEVICE, 0, 0, ctypes.addressof(ids), 64)
        _, raw = _bpf(BPF_PROG_QUERY, attr)
        count = struct.unpack_from("=I", raw, 24)[0]
        return list(ids[:count])
    finally:
        os.close(fd)


def program_exists(prog_id):
    try:
        fd, _ = _bpf(BPF_PROG_GET_FD_BY_ID, struct.pack("=I", prog_id))
    except OSError:
        return False
    os.close(fd)
    return True


def can_open(folder, path, write=False):
    """Whether a process of the cgroup folder opens path (read, or read and
    write without writing a byte)."""
    redir = "3<>" if write else "3<"
    r = subprocess.run(["sh", "-c", f'echo $$ > "$1/cgroup.procs" || exit 99; exec {redir}"$2"', "sh", folder,
                        path], capture_output=True, text=True)
    if r.returncode == 99:
        raise RuntimeError(f"cannot join the cgroup {folder}: {r.stderr.strip()}")
    return r.returncode == 0
