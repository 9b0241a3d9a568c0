# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-logd on a private bus: Open/write/Tail/Append, rotation, a writer
through two re-execs losing nothing, bad input, policy."""

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

import virtbus_harness as harness
from virtbus_harness import expect_dbus_error, wait_until
from test_lockd import calls_as_nobody, open_bus_policy, start_with_fd_limit, until_out_of_fds

LOG1 = "org.virtbus.Log1"
INVALID = "org.virtbus.Error.InvalidArg"


def write_conf(root, text):
    conf = Path(root) / "etc/virtbus"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "logd.conf").write_text(text)


def call(d, method, *args, **kw):
    return d.call(method, *args, interface=LOG1, **kw)


def open_log(d, driver, name):
    """Open -> (fd, path); the fd is ours to close."""
    fd, path = call(d, "Open", driver, name, 0)
    return (fd.take() if hasattr(fd, "take") else fd), str(path)


def tail(d, driver, name, n):
    return bytes(call(d, "Tail", driver, name, n))


def write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


@pytest.fixture
def logd(daemon):
    return daemon("logd")


def test_open_write_tail_append(logd, vroot):
    fd, path = open_log(logd, "qemu", "vm1")
    try:
        assert path == str(Path(vroot) / "var/log/virtbus/qemu/vm1.log")
        write_all(fd, b"booting\n")
        call(logd, "Append", "qemu", "vm1", "qemu-system-x86_64 -name vm1")
        write_all(fd, b"running\n")
        want = b"booting\nqemu-system-x86_64 -name vm1\nrunning\n"
        assert tail(logd, "qemu", "vm1", 1000) == want
        assert tail(logd, "qemu", "vm1", 8) == b"running\n"
        assert Path(path).read_bytes() == want
        assert oct(Path(path).stat().st_mode & 0o777) == "0o600"
        props = logd.bus.get_all_properties(logd.bus_name, logd.path, LOG1)
        assert props["OpenPipes"] == 1 and props["MaxSize"] == 2 * 1024 * 1024
        assert props["MaxBackups"] == 3
    finally:
        os.close(fd)
    wait_until(lambda: logd.get_property(logd.path, LOG1, "OpenPipes") == 0, 10,
               what="the pipe to close")
    # Append and Tail work without an open pipe.
    call(logd, "Append", "qemu", "vm1", "stopped")
    assert tail(logd, "qemu", "vm1", 8) == b"stopped\n"


def pattern(start, n):
    """Position-derived bytes: any window of the stream can be checked."""
    return bytes((i * 7 + i // 251) % 256 for i in range(start, start + n))


def test_rotation(daemon, vroot):
    write_conf(vroot, "max_size = 4096\nmax_backups = 2\n")
    d = daemon("logd")
    fd, path = open_log(d, "qemu", "rot")
    total = 4096 * 5 + 1000
    write_all(fd, pattern(0, total))
    os.close(fd)
    wait_until(lambda: d.get_property(d.path, LOG1, "OpenPipes") == 0, 10, what="drained")
    p = Path(path)
    assert p.stat().st_size == 1000
    assert Path(path + ".1").stat().st_size == 4096
    assert Path(path + ".2").stat().st_size == 4096
    assert not Path(path + ".3").exists()
    kept = Path(path + ".2").read_bytes() + Path(path + ".1").read_bytes() + p.read_bytes()
    assert kept == pattern(total - len(kept), len(kept))
    # Tail crosses the rotated files.
    assert tail(d, "qemu", "rot", 6000) == pattern(total - 6000, 6000)
    assert tail(d, "qemu", "rot", 100000) == kept


WRITER = r"""
import os, sys
fd, stop = int(sys.argv[1]), sys.argv[2]
n = 0
while not os.path.exists(stop):
    buf = b"".join(b"%09d\n" % i for i in range(n, n + 100))
    while buf:
        buf = buf[os.write(fd, buf):]
    n += 100
os.close(fd)
print(n, flush=True)
"""


def test_reexec_loses_nothing(daemon, vroot):
    # Keep every rotated file, to check the whole stream.
    write_conf(vroot, "max_size = 256K\nmax_backups = 1000\n")
    d = daemon("logd")
    fd, path = open_log(d, "qemu", "busy")
    stop = Path(vroot) / "writer.stop"
    w = harness.spawn([sys.executable, "-c", WRITER, str(fd), stop], pass_fds=[fd],
                      stdout=subprocess.PIPE, text=True)
    os.close(fd)
    pid = d.pid
    time.sleep(0.3)
    for how in ("method", "sigusr1", "method"):
        before = d.bus.conn.get_name_owner(d.bus_name)
        if how == "method":
            call(d, "ReExec")
        else:
            os.kill(d.pid, signal.SIGUSR1)

        def back():
            try:
                return d.bus.conn.get_name_owner(d.bus_name) != before
            except Exception:       # noqa: BLE001
                return False
        wait_until(back, 10, what="logd back on the bus")
        time.sleep(0.2)
    stop.touch()
    n = int(w.stdout.readline())
    w.wait()
    assert d.pid == pid
    wait_until(lambda: d.get_property(d.path, LOG1, "OpenPipes") == 0, 20, what="drained")
    files = sorted(Path(path).parent.glob("busy.log.*"), key=lambda f: -int(f.suffix[1:]))
    data = b"".join(f.read_bytes() for f in files) + Path(path).read_bytes()
    assert len(files) > 2, "the test should cross several rotations"
    assert len(data) == n * 10
    assert data == b"".join(b"%09d\n" % i for i in range(n))
    assert d.log().count("Re-executed: 1 log(s) with 1 pipe(s) kept.") == 3


def pipes_dir(root):
    return Path(root) / "run/virtbus/logd/pipes"


def pipe_bytes(fd):
    """Bytes waiting in the pipe behind fd (FIONREAD)."""
    buf = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    return struct.unpack("i", buf)[0]


def whole_log(path):
    files = sorted(Path(path).parent.glob(Path(path).name + ".*"), key=lambda f: -int(f.suffix[1:]))
    return b"".join(f.read_bytes() for f in files) + Path(path).read_bytes()


def test_sigkill_loses_nothing(daemon, vroot):
    """logd SIGKILLed and started again while a writer keeps writing: the
    pipe outlives logd, the writer never sees EPIPE, what it wrote while
    logd was down waits in the pipe, and the log ends up whole."""
    write_conf(vroot, "max_size = 256K\nmax_backups = 1000\n")
    d = daemon("logd")
    fd, path = open_log(d, "qemu", "busy")
    stop = Path(vroot) / "writer.stop"
    w = harness.spawn([sys.executable, "-c", WRITER, str(fd), stop], pass_fds=[fd],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = []
    try:
        for _ in range(3):
            time.sleep(0.3)
            d.kill()
            # the writer goes on while logd is down (however busy the host)
            wait_until(lambda: pipe_bytes(fd) > 0 or w.poll() is not None, 30,
                       what="the writer to write while logd is down")
            assert w.poll() is None, f"the writer died with logd: {w.stderr.read()}"
            waiting.append(pipe_bytes(fd))      # written while logd was down
            d.start()
            assert d.get_property(d.path, LOG1, "OpenPipes") == 1
        stop.touch()
        n = int(w.stdout.readline())
        w.wait()
    finally:
        os.close(fd)
    assert all(b > 0 for b in waiting), waiting
    wait_until(lambda: d.get_property(d.path, LOG1, "OpenPipes") == 0, 20, what="drained")
    data = whole_log(path)
    assert len(data) == n * 10
    assert data == b"".join(b"%09d\n" % i for i in range(n))
    assert d.log().count("Opened 1 pipe(s) left by the previous logd again.") == 3
    # The pipe ended: its FIFO and its record went.
    assert [p.name for p in pipes_dir(vroot).iterdir()] == ["streams"]
    assert "pipe " not in (pipes_dir(vroot) / "streams").read_text()


def test_pipe_whose_writer_left_while_logd_was_down(daemon, vroot):
    """A writer gone while logd is down: the next logd drains its FIFO and
    removes it. (What it wrote while logd was down went with the pipe: the
    kernel frees a FIFO nobody holds open.) Other pipes go on."""
    d = daemon("logd")
    gone, _ = open_log(d, "qemu", "gone")
    stays, path = open_log(d, "qemu", "stays")
    write_all(gone, b"before\n")
    write_all(stays, b"one\n")
    tail(d, "qemu", "gone", 100)                    # drained into the file
    d.kill()
    write_all(gone, b"lost\n")
    os.close(gone)
    write_all(stays, b"two\n")
    d.start()
    try:
        wait_until(lambda: d.get_property(d.path, LOG1, "OpenPipes") == 1, 10,
                   what="the pipe of the writer that left to go")
        assert len(list(pipes_dir(vroot).glob("*.fifo"))) == 1
        call(d, "Append", "qemu", "stays", "three")
        write_all(stays, b"four\n")
        assert tail(d, "qemu", "stays", 100) == b"one\ntwo\nthree\nfour\n"
        assert tail(d, "qemu", "gone", 100) == b"before\n"
        # A stop (SIGTERM) leaves the pipe for the next logd too.
        d.stop()
        write_all(stays, b"five\n")
        d.start()
        assert tail(d, "qemu", "stays", 100) == b"one\ntwo\nthree\nfour\nfive\n"
    finally:
        os.close(stays)
    wait_until(lambda: d.get_property(d.path, LOG1, "OpenPipes") == 0, 10, what="drained")
    assert list(pipes_dir(vroot).glob("*.fifo")) == []


@pytest.mark.parametrize("limit", [40, 41, 42])
def test_out_of_fds_says_so(bus, bus_monitor, vroot, limit):
    """A logd out of fds says so, naming its limit, and keeps what it has.
    (Several limits: the fd that runs out differs.)"""
    d = start_with_fd_limit("logd", bus, vroot, limit)
    fds = []
    try:
        i, msg = until_out_of_fds(limit, lambda i: fds.append(open_log(d, "qemu", f"vm{i}")[0]), "logs")
        assert f"qemu/vm{i}" in msg, msg
        wait_until(lambda: d.get_property(d.path, LOG1, "OpenPipes") == i, 10,
                   what="only the pipes handed out to stay")
        for j, fd in enumerate(fds):
            write_all(fd, b"line %d\n" % j)
        os.close(fds.pop())
        wait_until(lambda: d.get_property(d.path, LOG1, "OpenPipes") == i - 1, 10,
                   what="a pipe to end")
        assert tail(d, "qemu", "vm0", 100) == b"line 0\n"
    finally:
        for fd in fds:
            os.close(fd)
        d.stop()


def test_bad_input(logd, vroot):
    for args, needle in [(("", "vm", 0), "empty"), (("qemu", "a/b", 0), "'a/b'"),
                         (("qe/mu", "vm", 0), "'qe/mu'"), (("qemu", "..", 0), "'..'"),
                         (("qemu", "vm", 3), "0x3")]:
        with expect_dbus_error(INVALID) as e:
            call(logd, "Open", *args)
        assert needle in e.message, (args, e.message)
    with expect_dbus_error(INVALID):
        call(logd, "Append", "qemu", "x/y", "line")
    with expect_dbus_error(INVALID):
        call(logd, "Tail", "", "vm", 10)
    with expect_dbus_error(INVALID):
        call(logd, "Tail", "qemu", "vm", 1 << 30)
    with expect_dbus_error("org.virtbus.Error.NoLog"):
        call(logd, "Tail", "qemu", "never", 10)
    logdir = Path(vroot) / "var/log/virtbus"
    assert [p for p in logdir.rglob("*")] == []
    assert logd.get_property(logd.path, LOG1, "OpenLogs") == 0


def test_many_writers(logd, vroot):
    pipes = []
    for i in range(20):
        fd, path = open_log(logd, "lxc", f"ct{i}")
        pipes.append((fd, path, pattern(i, 20000)))
    for fd, _, data in pipes:
        write_all(fd, data)
        os.close(fd)
    wait_until(lambda: logd.get_property(logd.path, LOG1, "OpenPipes") == 0, 20, what="drained")
    for _, path, data in pipes:
        assert Path(path).read_bytes() == data


def test_non_root_is_denied(logd):
    call(logd, "Append", "qemu", "vm1", "hello")
    for m, sig, args in [("Open", "ssu", ("qemu", "vm1", 0)),
                         ("Append", "sss", ("qemu", "vm1", "x")), ("ReExec", "", ())]:
        r = logd.call_as("nobody", m, sig, *args, interface=LOG1)
        assert r.denied, (m, r.stderr)
    # The log file is root's (0600): its text is too, whatever the bus allows.
    got = calls_as_nobody(logd, LOG1, [("Tail", "sst", ["qemu", "vm1", 100])])[0]
    assert not got["ok"] and got["name"].endswith("AccessDenied"), got
    assert tail(logd, "qemu", "vm1", 100) == b"hello\n"


def test_daemon_checks_privileges_itself(logd, vroot):
    """With a bus policy that lets everybody through, logd itself refuses
    every method to another user; the properties stay readable."""
    call(logd, "Append", "qemu", "vm1", "root's line")
    open_bus_policy(logd.bus, logd.bus_name)
    calls = [("Open", "ssu", ["qemu", "vm1", 0]), ("Open", "ssu", ["qemu", "new", 0]),
             ("Append", "sss", ["qemu", "vm1", "forged line"]),
             ("Tail", "sst", ["qemu", "vm1", 100]), ("ReExec", "", [])]
    pid = logd.pid
    got = calls_as_nobody(logd, LOG1, calls)
    for (m, _, _), r in zip(calls, got):
        assert not r["ok"], f"{m} as nobody succeeded: logd does not check the caller"
        assert r["name"].endswith("AccessDenied"), (m, r)
    r = logd.bus.busctl("get-property", logd.bus_name, logd.path, LOG1, "OpenPipes", user="nobody")
    assert r.returncode == 0 and r.stdout.strip() == "u 0", r
    assert tail(logd, "qemu", "vm1", 100) == b"root's line\n"
    assert not (Path(vroot) / "var/log/virtbus/qemu/new.log").exists()
    assert logd.pid == pid and "Re-executed" not in logd.log()


def test_dbus_activation(bus, vroot):
    """A call to the name starts logd through units/org.virtbus.logd.service."""
    assert not bus.name_has_owner("org.virtbus.logd")
    bus.call("org.virtbus.logd", "/org/virtbus/logd", LOG1, "Append", "qemu", "act", "hi")
    assert (Path(vroot) / "var/log/virtbus/qemu/act.log").read_bytes() == b"hi\n"
