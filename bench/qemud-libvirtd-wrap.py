#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs libvirtd (or any program) for bench/qemud-bench.py.

    qemud-libvirtd-wrap.py [--kvm-node NODE] [--cpu N] [--subreaper] [--stamp-fd FD] -- ARGV...

--kvm-node  runs ARGV in a new mount namespace where NODE (a character device
            node 10:232 the bench made with mknod, owned root:kvm 0660) is
            bind-mounted over /dev/kvm. This machine's /dev/kvm is root-only,
            and libvirt runs QEMU as libvirt-qemu:kvm; on a normal Debian host
            udev makes /dev/kvm root:kvm 0660. The host's /dev/kvm is not touched.
--cpu N     pins ARGV to CPU N (libvirt's QEMU capabilities cache is judged
            stale when the daemon starts on another CPU than the one that
            probed: see the baseline document, section a).
--subreaper makes this process a child subreaper and runs ARGV as its child,
            reaping every orphan at once (libvirtd daemonizes QEMU; this
            sandbox's PID 1 reaps orphans ~1.7 s late, systemd does it at once).
            SIGTERM and SIGINT are passed on to ARGV's process. Without it,
            this process becomes ARGV (execv).
--stamp-fd  writes "t0=<CLOCK_MONOTONIC seconds> pid=<ARGV's pid>" to FD just
            before ARGV's execv (t0 is the exec time the cold-start figures use).
"""
import ctypes
import os
import signal
import sys
import time

CLONE_NEWNS = 0x00020000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_CHILD_SUBREAPER = 36


def die(msg):
    sys.stderr.write(f"qemud-libvirtd-wrap: {msg}\n")
    sys.exit(127)


def main():
    args = sys.argv[1:]
    node = cpu = stamp_fd = None
    subreaper = False
    while args and args[0] != "--":
        a = args.pop(0)
        if a == "--kvm-node":
            node = args.pop(0)
        elif a == "--cpu":
            cpu = int(args.pop(0))
        elif a == "--subreaper":
            subreaper = True
        elif a == "--stamp-fd":
            stamp_fd = int(args.pop(0))
        else:
            die(f"unknown option {a}")
    if not args or len(args) < 2:
        die("usage: qemud-libvirtd-wrap.py [options] -- ARGV...")
    argv = args[1:]
    libc = ctypes.CDLL(None, use_errno=True)
    if node:
        if libc.unshare(CLONE_NEWNS) != 0:
            die(f"unshare: {os.strerror(ctypes.get_errno())}")
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            die(f"mount --make-rprivate /: {os.strerror(ctypes.get_errno())}")
        if libc.mount(node.encode(), b"/dev/kvm", None, MS_BIND, None) != 0:
            die(f"bind mount {node} on /dev/kvm: {os.strerror(ctypes.get_errno())}")
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})

    def stamp_and_exec():
        if stamp_fd is not None:
            os.write(stamp_fd, f"t0={time.monotonic():.9f} pid={os.getpid()}\n".encode())
            os.close(stamp_fd)
        try:
            os.execv(argv[0], argv)
        except OSError as e:
            die(f"exec {argv[0]}: {e}")

    if not subreaper:
        stamp_and_exec()
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        die(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")
    pid = os.fork()
    if pid == 0:
        stamp_and_exec()
    if stamp_fd is not None:
        os.close(stamp_fd)

    def forward(sig, frame):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    while True:
        try:
            p, st = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if p == pid:
            status = os.waitstatus_to_exitcode(st)
    sys.exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main()
