# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for virtbus's integration tests (pytest fixtures are in conftest.py).

Everything a test starts lives under one temporary root directory (`Root`):
the private system bus's socket, the daemons' --root, logs, guest serial files.
Tearing the root down kills every process whose command line or environment
names it (daemons, QEMU, dnsmasq, busctl...), unmounts what is mounted below it,
detaches loop devices backed by files in it and removes it.

Run with Debian's /usr/bin/python3 (python3-dbus); nothing here needs GLib.
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid as uuidlib
from pathlib import Path

import dbus

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("VIRTBUS_BUILD", REPO / "build"))
UNITS = REPO / "units"
BUS_CONF = REPO / "scripts" / "dbus-test-bus.conf"
GUEST_DIR = Path(os.environ.get("VIRTBUS_GUEST_DIR", REPO / "tests" / ".guest"))
BUILD_GUEST = REPO / "tests" / "guest" / "build-guest.sh"
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"

UNPRIVILEGED_USER = ("nobody", 65534, 65534)

GUEST_READY = "VIRTBUS-GUEST-READY"
GUEST_IP_RE = r"VIRTBUS-GUEST-IP (\S+)"
GUEST_POWEROFF = "VIRTBUS-GUEST-POWEROFF"


class DomainEvent:
    """libvirt's virDomainEventType, as sent in DomainEvent(oii)."""
    DEFINED, UNDEFINED, STARTED, SUSPENDED, RESUMED, STOPPED, SHUTDOWN, \
        PMSUSPENDED, CRASHED = range(9)

    # A few details (virDomainEvent*DetailType) tests use often.
    DEFINED_ADDED, DEFINED_UPDATED = 0, 1
    STARTED_BOOTED, STARTED_MIGRATED, STARTED_RESTORED = 0, 1, 2
    SUSPENDED_PAUSED = 0
    RESUMED_UNPAUSED = 0
    STOPPED_SHUTDOWN, STOPPED_DESTROYED, STOPPED_CRASHED, STOPPED_MIGRATED, \
        STOPPED_SAVED, STOPPED_FAILED = range(6)
    SHUTDOWN_FINISHED, SHUTDOWN_GUEST, SHUTDOWN_HOST = 0, 1, 2


class DomainState:
    """libvirt's virDomainState, as returned by Domain.GetState (ii)."""
    NOSTATE, RUNNING, BLOCKED, PAUSED, SHUTDOWN, SHUTOFF, CRASHED, PMSUSPENDED = range(8)


# ---------------------------------------------------------------------------
# small utilities

def wait_until(fn, timeout=30.0, interval=0.05, what="condition"):
    """Calls fn() until it returns something true; returns that. Raises
    TimeoutError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def tail(path, lines=150):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return f"({path}: {e.strerror})"
    text = data.decode("utf-8", "replace").splitlines()
    cut = text[-lines:]
    head = [f"... ({len(text) - lines} earlier lines)"] if len(text) > lines else []
    return "\n".join(head + cut)


def domain_path(root_path, uuid):
    """libvirt-dbus object path of a domain: <root>/domain/_<uuid, - as _>."""
    return f"{root_path}/domain/_" + str(uuid).replace("-", "_")


def unwrap(v):
    """dbus-python values -> plain Python (str, int, float, bool, list, dict,
    tuple for structs). Variant levels are dropped; use raw results to check them."""
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(v)
    if isinstance(v, (dbus.Byte, dbus.Int16, dbus.Int32, dbus.Int64, dbus.UInt16,
                      dbus.UInt32, dbus.UInt64)):
        return int(v)
    if isinstance(v, dbus.Double):
        return float(v)
    if isinstance(v, dbus.Struct):
        return tuple(unwrap(x) for x in v)
    if isinstance(v, dbus.Array):
        return [unwrap(x) for x in v]
    if isinstance(v, dbus.Dictionary):
        return {unwrap(k): unwrap(x) for k, x in v.items()}
    if isinstance(v, dbus.types.UnixFd):
        return v.take()     # an int fd, now the caller's to close
    return v


def dbus_error_name(exc):
    return exc.get_dbus_name() if isinstance(exc, dbus.exceptions.DBusException) else None


class expect_dbus_error:
    """with expect_dbus_error("org.virtbus.Error.NoDomain") as e: ...;
    afterwards e.exc is the DBusException and e.message its text."""

    def __init__(self, name):
        self.name = name
        self.exc = None
        self.message = None

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            raise AssertionError(f"expected D-Bus error {self.name}, the call succeeded")
        if not issubclass(et, dbus.exceptions.DBusException):
            return False
        self.exc = ev
        self.message = ev.get_dbus_message()
        if ev.get_dbus_name() != self.name:
            raise AssertionError(f"expected D-Bus error {self.name}, got "
                                 f"{ev.get_dbus_name()}: {ev.get_dbus_message()}") from ev
        return True


# ---------------------------------------------------------------------------
# processes and cleanup

_LOGS = []          # (title, path): shown in the report of a failing test
_POPENS = []        # every Popen the harness started


def register_log(title, path):
    """Shows the tail of `path` in the report of the current test if it fails."""
    _LOGS.append((title, Path(path)))


def unregister_log(path):
    _LOGS[:] = [(t, p) for t, p in _LOGS if p != Path(path)]


def register_log_dir(title, directory, pattern="*.log"):
    """Every file matching `pattern` in `directory` when the test fails,
    including those that did not exist yet when it was registered."""
    _LOGS.append((title, (Path(directory), pattern)))


def registered_logs():
    out, seen = [], set()
    for title, what in _LOGS:
        if isinstance(what, tuple):
            d, pattern = what
            found = [(f"{title} {f.name}", f) for f in sorted(d.glob(pattern))] if d.is_dir() else []
        else:
            found = [(title, what)]
        for t, p in found:
            if p not in seen:
                seen.add(p)
                out.append((t, p))
    return out


def keep_logs(logs, name):
    """Copies the whole of each (title, path) to a new directory under the
    temporary directory (VIRTBUS_FAILED_LOGS, else /tmp), out of the roots
    the teardown deletes; returns its path. A report shows only their tails."""
    base = Path(os.environ.get("VIRTBUS_FAILED_LOGS") or tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[-80:]
    out = Path(tempfile.mkdtemp(prefix=f"virtbus-failed-{safe}-", dir=base))
    for i, (title, path) in enumerate(logs):
        dest = out / f"{i:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', title)[:60]}-{Path(path).name}"
        try:
            shutil.copyfile(path, dest)
        except OSError as e:
            dest.with_suffix(".missing").write_text(f"{path}: {e}\n")
    return out


def describe_process(pid):
    """What a process that does not answer is doing: its state, where it
    waits in the kernel and, when gdb is there, its threads' stacks."""
    out = [f"--- process {pid} ---"]
    for name in ("status", "wchan", "stack"):
        try:
            text = Path(f"/proc/{pid}/{name}").read_text(errors="replace")
        except OSError as e:
            text = f"({e.strerror})"
        if name == "status":
            text = "".join(l + "\n" for l in text.splitlines() if l.split(":")[0] in ("Name", "State"))
        out.append(f"{name}: {text.strip()}")
    if shutil.which("gdb"):
        try:
            r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "thread apply all bt"],
                               capture_output=True, text=True, timeout=60)
            out.append(r.stdout[-6000:])
        except subprocess.TimeoutExpired:
            out.append("(gdb did not answer within 60 s)")
    return "\n".join(out)


def spawn(argv, **kw):
    """subprocess.Popen that the harness remembers and reaps at teardown."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("start_new_session", True)
    p = subprocess.Popen([str(a) for a in argv], **kw)
    _POPENS.append(p)
    return p


def _reap_popens():
    for p in list(_POPENS):
        if p.poll() is not None:
            _POPENS.remove(p)


def _ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def pids_mentioning(path):
    """Pids of processes whose command line or environment names `path`, or
    whose working directory is inside it."""
    pat = re.compile(re.escape(str(path).encode()) + rb"(?=[/\0:,'\" =]|$)")
    real = os.path.realpath(path)
    mine = _ancestors()
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in mine:
            continue
        try:
            cwd = os.readlink(f"/proc/{d}/cwd")
            if cwd == real or cwd.startswith(real + "/"):
                found.append(int(d))
                continue
        except OSError:
            pass
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{d}/{what}", "rb") as f:
                    if pat.search(f.read()):
                        found.append(int(d))
                        break
            except OSError:
                pass
    return found


def _is_zombie_or_gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def kill_processes_mentioning(path, timeout=10.0):
    """SIGKILLs every process naming `path` (never this process or its parents)
    and waits until they are gone. Returns their pids."""
    killed = []
    for _ in range(5):         # a dying daemon may still be spawning children
        pids = [p for p in pids_mentioning(path) if not _is_zombie_or_gone(p)]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        for pid in pids:
            while not _is_zombie_or_gone(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        _reap_popens_for(pids)
    return killed


def _reap_popens_for(pids):
    for p in list(_POPENS):
        if p.pid in pids:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    _reap_popens()


def _unescape_mountinfo(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mounts_under(path):
    path = os.path.realpath(path)
    out = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = _unescape_mountinfo(line.split()[4])
                if mp == path or mp.startswith(path + "/"):
                    out.append(mp)
    except OSError:
        pass
    return out


def unmount_under(path):
    for mp in sorted(set(mounts_under(path)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)


def detach_loops_under(path):
    path = os.path.realpath(path)
    for d in Path("/sys/block").glob("loop*"):
        try:
            backing = (d / "loop" / "backing_file").read_text().strip()
        except OSError:
            continue
        if backing == path or backing.startswith(path + "/"):
            subprocess.run(["losetup", "-d", f"/dev/{d.name}"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)


def cgroup_partition(root):
    """The machine.slice partition of daemons under this root (common/cgroup.c:
    FNV-1a of the root's path)."""
    v = 14695981039346656037
    for b in str(root).encode():
        v = ((v ^ b) * 1099511628211) % (1 << 64)
    return f"machine.slice/machine-virtbus\\x2d{v:016x}.slice"


def remove_cgroups_of(root, timeout=3.0):
    """Removes the guests' cgroups daemons under root left behind (a guest
    still running when its processes were killed), on cgroup v2 or each v1
    hierarchy, and machine.slice when that leaves it empty."""
    top = "/sys/fs/cgroup"
    bases = [top] if os.path.exists(f"{top}/cgroup.controllers") else \
        [os.path.join(top, d) for d in os.listdir(top) if os.path.exists(os.path.join(top, d, "cgroup.procs"))]
    for base in bases:
        part = os.path.join(base, cgroup_partition(root))
        if not os.path.isdir(part):
            continue
        for d, _, _ in sorted(os.walk(part), key=lambda w: -w[0].count("/")):
            deadline = time.monotonic() + timeout
            while os.path.isdir(d):
                try:
                    os.rmdir(d)
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
        try:
            os.rmdir(os.path.join(base, "machine.slice"))
        except OSError:
            pass


class Root:
    """A temporary root directory for one test: short path (unix sockets live
    in it), world-traversable (the unprivileged client must reach the bus socket).
    `cleanup()` kills, unmounts, detaches and removes everything under it."""

    def __init__(self, prefix="vb-"):
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
        os.chmod(self.path, 0o755)
        self.logs = self.path / "test-logs"
        self.logs.mkdir()
        self._cleanups = []

    def __str__(self):
        return str(self.path)

    def __fspath__(self):
        return str(self.path)

    def __truediv__(self, other):
        return self.path / other

    def add_cleanup(self, fn, *args):
        """Runs fn(*args) at teardown, before the processes are killed (LIFO)."""
        self._cleanups.append((fn, args))

    def cleanup(self, keep=False):
        errors = []
        for fn, args in reversed(self._cleanups):
            try:
                fn(*args)
            except Exception as e:       # noqa: BLE001 - teardown goes on
                errors.append(f"{fn}: {e}")
        self._cleanups.clear()
        kill_processes_mentioning(self.path)
        remove_cgroups_of(self.path)
        unmount_under(self.path)
        detach_loops_under(self.path)
        if not keep:
            shutil.rmtree(self.path, ignore_errors=True)
        return errors


# ---------------------------------------------------------------------------
# the private system bus

def bus_program():
    """dbus-daemon, or dbus-broker with VIRTBUS_TEST_BUS=broker
    (scripts/dbus-broker-run: same options, no D-Bus activation there)."""
    if os.environ.get("VIRTBUS_TEST_BUS") == "broker":
        return str(REPO / "scripts" / "dbus-broker-run")
    return "dbus-daemon"


class TestBus:
    """A private dbus-daemon with system-bus rules (scripts/dbus-test-bus.conf,
    which includes units/*.conf). Daemons get its address as
    DBUS_SYSTEM_BUS_ADDRESS. With activation=True, D-Bus activation files made
    from units/org.virtbus.*.service (Exec= pointing into build/) are installed,
    and activated daemons inherit VIRTBUS_ROOT from the bus. extra_conf: more
    of the bus's configuration (<policy> elements), e.g. for polkitd."""

    __test__ = False   # not a pytest class

    def __init__(self, root, activation=True, extra_conf="", netns=()):
        self.root = root
        self.extra_conf = extra_conf
        # a "host" of its own (NetnsPair.argv): the bus, what it activates
        # and the daemons started on it run in that network namespace
        self.netns = list(netns)
        self.dir = Path(root) / "dbus"
        self.socket = self.dir / "system_bus_socket"
        self.address = f"unix:path={self.socket}"
        self.activation = activation
        self.log_path = Path(root) / "test-logs" / "dbus-daemon.log"
        self.proc = None
        self._conn = None

    @property
    def env(self):
        """Environment for processes that must use this bus as the system bus."""
        env = dict(os.environ)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        env["VIRTBUS_ROOT"] = str(self.root)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.pop("NOTIFY_SOCKET", None)
        return env

    def start(self, timeout=10):
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)
        services = self.dir / "services"
        services.mkdir(exist_ok=True)
        if self.activation:
            for f in UNITS.glob("org.virtbus.*.service"):
                # networkd changes the host's network: a test that wants it
                # activated installs a service that starts it in a namespace
                # of the test's own (install_service).
                if f.name == "org.virtbus.networkd.service":
                    continue
                text = f.read_text().replace("@BINDIR@", str(BUILD))
                (services / f.name).write_text(text)
        conf = self.dir / "bus.conf"
        conf.write_text(
            '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n'
            ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
            "<busconfig>\n"
            f"  <include>{BUS_CONF}</include>\n"
            f"  <servicedir>{services}</servicedir>\n"
            "  <!-- stand-in services of the harness's own tests -->\n"
            '  <policy user="root">\n'
            '    <allow send_destination_prefix="org.virtbus.test"/>\n'
            # dbus-broker 33 does not know the prefix: the harness tests' names
            + "".join(f'    <allow send_destination="org.virtbus.test.{n}"/>\n'
                      for n in ("standin", "activation"))
            + "  </policy>\n"
            f"{self.extra_conf}"
            "</busconfig>\n")
        log = open(self.log_path, "ab")
        self.proc = spawn(self.netns + [bus_program(), f"--config-file={conf}", f"--address={self.address}",
                                        "--nofork", "--nopidfile", "--print-address=1"],
                          stdout=subprocess.PIPE, stderr=log, env=self.env)
        log.close()
        register_log("dbus-daemon (and D-Bus activated daemons)", self.log_path)
        line = b""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        # --print-address writes one line once the daemon listens.
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("dbus-daemon did not start:\n" + tail(self.log_path))
            if not select.select([fd], [], [], left)[0]:
                continue
            c = os.read(fd, 256)
            if not c:
                raise RuntimeError("dbus-daemon exited:\n" + tail(self.log_path))
            line += c
        self.proc.stdout.close()
        os.chmod(self.socket, 0o666)
        return self

    def install_service(self, bus_name, argv):
        """Adds a D-Bus activation file for `bus_name` running `argv`."""
        exec_line = " ".join(str(a) for a in argv)
        (self.dir / "services" / f"{bus_name}.service").write_text(
            f"[D-BUS Service]\nName={bus_name}\nExec={exec_line}\nUser=root\n")
        self.conn.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus", "ReloadConfig", "", ())

    def stop(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:       # noqa: BLE001
                pass
            self._conn = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # --- calls from this (root) process, through python3-dbus -------------
    @property
    def conn(self):
        if self._conn is None:
            self._conn = dbus.bus.BusConnection(self.address)
        return self._conn

    def new_connection(self):
        """A second, independent connection (e.g. to test per-client behaviour)."""
        return dbus.bus.BusConnection(self.address)

    def name_has_owner(self, name):
        return bool(self.conn.name_has_owner(name))

    def name_owner_pid(self, name):
        owner = self.conn.get_name_owner(name)
        dbusobj = self.conn.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus")
        return int(dbusobj.GetConnectionUnixProcessID(owner,
                                                      dbus_interface="org.freedesktop.DBus"))

    def iface(self, bus_name, path, interface):
        """A dbus.Interface proxy. Like every dbus-python proxy it stays bound to
        the name's owner of the moment: get a new one after a daemon restart."""
        obj = self.conn.get_object(bus_name, path)
        return dbus.Interface(obj, interface)

    def call(self, bus_name, path, interface, method, *args, signature=None, timeout=120,
             raw=False):
        """One method call; returns the unwrapped result (None, a value, or a
        tuple for several out arguments). raw=True keeps dbus-python types
        (variant_level...). Raises dbus.exceptions.DBusException.
        Argument types come from the object's introspection data (so a Python
        int becomes 'u' where the method wants 'u'); pass signature= to force."""
        obj = self.conn.get_object(bus_name, path, introspect=signature is None)
        kw = {"dbus_interface": interface, "timeout": timeout}
        if signature is not None:
            kw["signature"] = signature
        try:
            r = obj.get_dbus_method(method, interface)(*args, **kw)
        except dbus.exceptions.DBusException as e:
            if dbus_error_name(e) != "org.freedesktop.DBus.Error.NoReply":
                raise
            # A daemon that does not answer: say what it was doing.
            raise dbus.exceptions.DBusException(
                f"{e.get_dbus_message()}\n{self.describe_owner(bus_name)}", name=dbus_error_name(e)) from e
        return r if raw else unwrap(r)

    def describe_owner(self, bus_name):
        try:
            pid = self.name_owner_pid(bus_name)
        except dbus.exceptions.DBusException as e:
            return f"(the owner of {bus_name} is gone: {e.get_dbus_message()})"
        return describe_process(pid)

    def get_property(self, bus_name, path, interface, prop, raw=False):
        return self.call(bus_name, path, "org.freedesktop.DBus.Properties", "Get",
                         interface, prop, raw=raw)

    def get_all_properties(self, bus_name, path, interface, raw=False):
        return self.call(bus_name, path, "org.freedesktop.DBus.Properties", "GetAll",
                         interface, raw=raw)

    # --- busctl, possibly as another user ----------------------------------
    def busctl(self, *args, user=None, timeout=120, check=False, json_out=False):
        """Runs `busctl --address=<bus> ARGS...` (as `user`, a name or uid, when
        given: setpriv with that user's uid/gid and no supplementary groups).
        Returns the CompletedProcess (text). json_out=True adds --json=short
        and parses stdout into .json."""
        argv = ["busctl", f"--address={self.address}"]
        if json_out:
            argv.append("--json=short")
        argv += [str(a) for a in args]
        if user is not None:
            argv = setpriv_argv(user) + argv
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           env=self.env)
        if json_out and r.returncode == 0 and r.stdout.strip():
            r.json = json.loads(r.stdout)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")
        return r

    def call_as(self, user, bus_name, path, interface, method, signature="", *args,
                timeout=120):
        """busctl call as an unprivileged user. Returns CompletedProcess;
        .denied is True when the bus refused it (AccessDenied)."""
        argv = ["call", bus_name, path, interface, method]
        if signature:
            argv += [signature] + [str(a) for a in args]
        r = self.busctl(*argv, user=user, timeout=timeout)
        r.denied = r.returncode != 0 and ("Access denied" in r.stderr or
                                          "AccessDenied" in r.stderr or
                                          "rejected send message" in r.stderr)
        return r


def setpriv_argv(user):
    if user in (None, "nobody"):
        _, uid, gid = UNPRIVILEGED_USER
    elif isinstance(user, int):
        uid, gid = user, user
    else:
        import pwd
        pw = pwd.getpwnam(user)
        uid, gid = pw.pw_uid, pw.pw_gid
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]


# ---------------------------------------------------------------------------
# a bus monitor: records every message, to wait for signals

class BusMonitor:
    """Records all traffic of a TestBus with `busctl monitor --json=short`
    (root may become a monitor). Keeps every message as a dict (busctl's JSON:
    type, sender, path, interface, member, payload={type,data}...), writes them
    to test-logs/bus-monitor.jsonl, and lets tests wait for signals.

        m = rec.mark()
        ...do something...
        rec.wait_domain_event(dom_path, DomainEvent.STARTED, since=m)
    """

    def __init__(self, bus):
        self.bus = bus
        self.log_path = Path(bus.root) / "test-logs" / "bus-monitor.jsonl"
        self.messages = []
        self._cond = threading.Condition()
        self._ready = threading.Event()
        self.proc = None
        self._threads = []
        self._stderr = []

    def start(self, timeout=10):
        self.proc = spawn(["busctl", f"--address={self.bus.address}", "monitor",
                           "--json=short"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.bus.env)
        self._log = open(self.log_path, "w")
        for fn in (self._read_stdout, self._read_stderr):
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            self._threads.append(t)
        if not self._ready.wait(timeout):
            raise RuntimeError("busctl monitor did not start: " + "".join(self._stderr))
        return self

    def _read_stderr(self):
        for line in iter(self.proc.stderr.readline, b""):
            s = line.decode("utf-8", "replace")
            self._stderr.append(s)
            if "Monitoring bus message stream" in s:
                self._ready.set()
        self._ready.set()

    def _read_stdout(self):
        for line in iter(self.proc.stdout.readline, b""):
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            msg["_t"] = time.monotonic()
            try:
                self._log.write(line.decode("utf-8", "replace"))
                self._log.flush()
            except (OSError, ValueError):
                pass
            with self._cond:
                self.messages.append(msg)
                self._cond.notify_all()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for t in self._threads:
            t.join(timeout=5)
        try:
            self._log.close()
        except (OSError, AttributeError):
            pass

    def mark(self):
        """A position in the record; pass it as since= to look only at what follows."""
        with self._cond:
            return len(self.messages)

    @staticmethod
    def _matches(msg, type_, interface, member, path, sender, args):
        if type_ and msg.get("type") != type_:
            return False
        if interface and msg.get("interface") != interface:
            return False
        if member and msg.get("member") != member:
            return False
        if path and msg.get("path") != path:
            return False
        if sender and msg.get("sender") != sender:
            return False
        if args is not None:
            data = msg.get("payload", {}).get("data", [])
            if callable(args):
                return bool(args(data))
            if list(data[:len(args)]) != [a if not isinstance(a, tuple) else list(a)
                                          for a in args]:
                return False
        return True

    def signals(self, member=None, interface=None, path=None, args=None, since=0,
                sender=None):
        """Recorded signals matching all given filters. args: a prefix list of
        arguments, or a predicate on the argument list."""
        with self._cond:
            msgs = self.messages[since:]
        return [m for m in msgs
                if self._matches(m, "signal", interface, member, path, sender, args)]

    def wait_signal(self, member, interface=None, path=None, args=None, since=0,
                    timeout=60, sender=None):
        """Waits for a matching signal (at or after `since`); returns its message."""
        deadline = time.monotonic() + timeout
        pos = since
        with self._cond:
            while True:
                for i in range(pos, len(self.messages)):
                    m = self.messages[i]
                    if self._matches(m, "signal", interface, member, path, sender, args):
                        return m
                pos = len(self.messages)
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(m.get("path"), m.get("interface"), m.get("member"),
                             m.get("payload", {}).get("data"))
                            for m in self.messages[since:] if m.get("type") == "signal"]
                    raise TimeoutError(
                        f"no signal {interface or '*'}.{member} path={path} args={args} "
                        f"within {timeout}s; signals seen since mark: {seen[-30:]}")
                self._cond.wait(min(left, 0.5))

    # libvirt-dbus lifecycle signals (on the daemon's root path)
    def domain_events(self, root_path=None, domain=None, since=0):
        """[(domain_path, event, detail)] of DomainEvent signals."""
        out = []
        for m in self.signals("DomainEvent", "org.libvirt.Connect", root_path, since=since):
            d = m["payload"]["data"]
            if domain is None or d[0] == domain:
                out.append((d[0], d[1], d[2]))
        return out

    def wait_domain_event(self, domain, event, detail=None, since=0, timeout=60,
                          root_path=None):
        """Waits for DomainEvent(domain, event[, detail]); returns (path, event, detail)."""
        def pred(d):
            return (len(d) == 3 and d[0] == domain and d[1] == event and
                    (detail is None or d[2] == detail))
        m = self.wait_signal("DomainEvent", "org.libvirt.Connect", root_path, pred, since,
                             timeout)
        d = m["payload"]["data"]
        return (d[0], d[1], d[2])


# ---------------------------------------------------------------------------
# daemons

class Daemon:
    """One virtbus daemon from build/ on a TestBus, with --root.

        d = Daemon("qemud", bus, root).start()
        d.call("ListDomains", 0)                  # on org.libvirt.Connect
        d.kill(); d.start()                        # SIGKILL and come back
    """

    def __init__(self, name, bus, root, args=(), binary=None, env=None, bus_name=None,
                 path=None):
        self.name = name
        self.bus = bus
        self.root = Path(root)
        self.args = list(args)
        self.binary = Path(binary) if binary else BUILD / f"virtbus-{name}"
        self.bus_name = bus_name or f"org.virtbus.{name}"
        self.path = path or f"/org/virtbus/{name}"
        self.log_path = self.root / "test-logs" / f"virtbus-{name}.log"
        self.extra_env = dict(env or {})
        self.proc = None
        self.starts = 0

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, wait=True, timeout=30, args=None):
        if not self.binary.exists():
            raise FileNotFoundError(f"{self.binary} is not built (make)")
        if self.alive():
            raise RuntimeError(f"virtbus-{self.name} already running (pid {self.pid})")
        env = self.bus.env
        env.update(self.extra_env)
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n===== start #{self.starts} of virtbus-{self.name} "
                  f"{time.strftime('%H:%M:%S')} =====\n".encode())
        log.flush()
        argv = (self.bus.netns + [self.binary, "--root", self.root]
                + (self.args if args is None else list(args)))
        self.proc = spawn(argv, stdout=log, stderr=log, env=env)
        log.close()
        register_log(f"virtbus-{self.name}", self.log_path)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=30):
        def ready():
            if not self.alive():
                raise RuntimeError(f"virtbus-{self.name} exited with {self.proc.returncode} "
                                   f"before owning {self.bus_name}:\n{tail(self.log_path, 60)}")
            return self.bus.name_has_owner(self.bus_name)
        wait_until(ready, timeout, what=f"{self.bus_name} on the bus")
        return self

    def kill(self, sig=signal.SIGKILL, timeout=30):
        """Sends `sig`, waits for the exit and for the bus name to go; returns
        the exit status (negative: killed by that signal)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        wait_until(lambda: not self.bus.name_has_owner(self.bus_name), 10,
                   what=f"{self.bus_name} to leave the bus")
        return rc

    def restart(self, sig=signal.SIGKILL, timeout=30):
        self.kill(sig)
        return self.start(timeout=timeout)

    def stop(self, timeout=15):
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit status."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # --- calls -------------------------------------------------------------
    def call(self, method, *args, interface="org.libvirt.Connect", path=None, **kw):
        return self.bus.call(self.bus_name, path or self.path, interface, method, *args, **kw)

    def domain_call(self, dom, method, *args, interface="org.libvirt.Domain", **kw):
        """Call on a domain object: `dom` is its path or its UUID."""
        path = dom if str(dom).startswith("/") else self.domain_path(dom)
        return self.bus.call(self.bus_name, path, interface, method, *args, **kw)

    def iface(self, interface="org.libvirt.Connect", path=None):
        return self.bus.iface(self.bus_name, path or self.path, interface)

    def domain_path(self, uuid):
        return domain_path(self.path, uuid)

    def get_property(self, path, interface, prop, raw=False):
        return self.bus.get_property(self.bus_name, path, interface, prop, raw=raw)

    def call_as(self, user, method, signature="", *args, interface="org.libvirt.Connect",
                path=None):
        return self.bus.call_as(user, self.bus_name, path or self.path, interface, method,
                                signature, *args)


# ---------------------------------------------------------------------------
# the test guest

class GuestImage:
    """The test guest built by tests/guest/build-guest.sh: a Debian kernel and a
    busybox initramfs. See tests/guest/init for the serial markers."""

    def __init__(self, outdir):
        self.dir = Path(outdir)
        self.vmlinuz = self.dir / "vmlinuz"     # the package's bzImage
        self.vmlinux = self.dir / "vmlinux"     # the same, uncompressed (PVH boot)
        # QEMU boots vmlinux through its PVH entry with no decompression: about
        # 2x faster under TCG. VIRTBUS_GUEST_KERNEL=vmlinuz picks the bzImage.
        if self.vmlinux.exists() and os.environ.get("VIRTBUS_GUEST_KERNEL") != "vmlinuz":
            self.kernel = self.vmlinux
        else:
            self.kernel = self.vmlinuz
        self.initrd = self.dir / "initrd.gz"
        try:
            self.kernel_version = (self.dir / "kernel-version").read_text().strip()
        except OSError:
            self.kernel_version = None
        # The QEMU guest agent's package version, or None: a guest built
        # without it (build-guest.sh could not fetch qemu-guest-agent).
        try:
            self.agent = (self.dir / "agent").read_text().strip() or None
        except OSError:
            self.agent = None

    def cmdline(self, extra=""):
        # panic=-1: a guest that panics reboots at once instead of hanging.
        base = "console=ttyS0 panic=-1"
        return f"{base} {extra}".strip()


def build_guest(outdir=GUEST_DIR, timeout=900):
    """Runs build-guest.sh (fast when cached) and returns a GuestImage."""
    r = subprocess.run(["sh", str(BUILD_GUEST), str(outdir)], capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"build-guest.sh failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return GuestImage(outdir)


def wait_for_serial(path, pattern, timeout=120, proc=None, since=0):
    """Waits until the file `path` matches the regex `pattern` (searched from
    byte offset `since`); returns the re.Match. Fails early when `proc` (a Popen
    or a pid) is gone."""
    rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path, "rb") as f:
                f.seek(since)
                data = f.read()
            m = rx.search(data)
            if m:
                return m
        except FileNotFoundError:
            pass
        dead = False
        if proc is not None:
            if isinstance(proc, int):
                dead = _is_zombie_or_gone(proc)
            else:
                dead = proc.poll() is not None
        if dead or time.monotonic() > deadline:
            why = "the process exited" if dead else f"{timeout}s passed"
            raise TimeoutError(f"{rx.pattern!r} not in {path} ({why}); it ends with:\n"
                               + tail(path, 40))
        time.sleep(0.1)


def serial_ip(path, timeout=120, proc=None):
    return wait_for_serial(path, GUEST_IP_RE, timeout, proc).group(1).decode()


def guest_domain_xml(guest, name, uuid=None, memory_mib=256, vcpus=1, domain_type="qemu",
                     serial_log=None, nic="user", mac=None, disks=(), extra_cmdline="",
                     machine="q35", extra_devices=""):
    """libvirt domain XML that boots the test guest (direct kernel boot).
    domain_type 'qemu' is TCG (needed to boot Linux on this machine kind); 'kvm'
    is enough for tests that never need the kernel up.
    nic: None, 'user', ('network', NAME) or ('bridge', BRIDGE) - model virtio.
    disks: paths (raw files) or (path, format, target) tuples, as vda, vdb...
    serial_log: a file that receives the guest's console (ttyS0)."""
    uuid = str(uuid or uuidlib.uuid4())
    devs = [f"    <emulator>{QEMU}</emulator>"]
    for i, d in enumerate(disks):
        path, fmt, target = (d if isinstance(d, tuple) else (d, "raw", None))
        target = target or "vd" + chr(ord("a") + i)
        devs.append(f"    <disk type='file' device='disk'>\n"
                    f"      <driver name='qemu' type='{fmt}'/>\n"
                    f"      <source file='{path}'/>\n"
                    f"      <target dev='{target}' bus='virtio'/>\n"
                    f"    </disk>")
    if nic:
        mac_xml = f"\n      <mac address='{mac}'/>" if mac else ""
        if nic == "user":
            devs.append(f"    <interface type='user'>{mac_xml}\n"
                        f"      <model type='virtio'/>\n    </interface>")
        else:
            kind, src = nic
            attr = "network" if kind == "network" else "bridge"
            devs.append(f"    <interface type='{kind}'>{mac_xml}\n"
                        f"      <source {attr}='{src}'/>\n"
                        f"      <model type='virtio'/>\n    </interface>")
    if serial_log:
        devs.append(f"    <serial type='file'>\n      <source path='{serial_log}'/>\n"
                    f"      <target port='0'/>\n    </serial>")
    if extra_devices:
        devs.append(extra_devices)
    devices = "\n".join(devs)
    return f"""<domain type='{domain_type}'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>{memory_mib}</memory>
  <vcpu>{vcpus}</vcpu>
  <os>
    <type arch='x86_64' machine='{machine}'>hvm</type>
    <kernel>{guest.kernel}</kernel>
    <initrd>{guest.initrd}</initrd>
    <cmdline>{guest.cmdline(extra_cmdline)}</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
{devices}
  </devices>
</domain>
"""


class GuestDomain:
    """A test-guest domain defined on a qemud Daemon (see define_guest)."""

    def __init__(self, daemon, path, name, serial):
        self.daemon = daemon
        self.path = path
        self.name = name
        self.serial = Path(serial)

    def call(self, method, *args, **kw):
        return self.daemon.domain_call(self.path, method, *args, **kw)

    def state(self):
        """(state, reason) from Domain.GetState."""
        return self.call("GetState", 0)

    def wait_ready(self, timeout=120):
        """Waits for VIRTBUS-GUEST-READY: the guest now obeys the power button."""
        return wait_for_serial(self.serial, GUEST_READY, timeout)

    def wait_ip(self, timeout=120):
        return wait_for_serial(self.serial, GUEST_IP_RE, timeout).group(1).decode()


def define_guest(daemon, guest, root, name="guest", start=True, **xml_kw):
    """Defines (and by default starts) the test guest on `daemon` (qemud) with its
    console in <root>/<name>.serial. xml_kw go to guest_domain_xml()."""
    serial = Path(root) / f"{name}.serial"
    xml = guest_domain_xml(guest, name, serial_log=serial, **xml_kw)
    path = daemon.call("DomainDefineXML", xml)
    register_log(f"serial console of {name}", serial)
    if start:
        daemon.domain_call(path, "Create", 0)
    return GuestDomain(daemon, path, name, serial)


# ---------------------------------------------------------------------------
# bare QEMU and QMP (for the guest's own test and for tests that need a QEMU
# the daemons did not start)

class Qmp:
    """A minimal QMP client over a unix socket (line-delimited JSON)."""

    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        wait_until(lambda: self._try_connect(path), timeout, what=f"QMP socket {path}")
        self.sock.settimeout(timeout)
        self.buf = b""
        self.events = []
        self.greeting = self._read()
        self.cmd("qmp_capabilities")

    def _try_connect(self, path):
        try:
            self.sock.connect(str(path))
            return True
        except (FileNotFoundError, ConnectionRefusedError):
            return False

    def _read(self, timeout=None):
        if timeout is not None:
            self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._read()
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                raise RuntimeError(f"QMP {name}: {r['error']}")
            return r.get("return")

    def wait_event(self, name, timeout=60):
        for e in self.events:
            if e["event"] == name:
                return e
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no QMP event {name} in {timeout}s "
                                   f"(saw {[e['event'] for e in self.events]})")
            try:
                r = self._read(timeout=left)
            except socket.timeout:
                continue
            if "event" in r:
                self.events.append(r)
                if r["event"] == name:
                    return r

    def close(self):
        self.sock.close()


class BareQemu:
    """QEMU booting the test guest without any daemon: TCG, q35, serial to a
    file, QMP on a unix socket in `workdir`."""

    def __init__(self, guest, workdir, memory_mib=256, nic=True, extra_args=(),
                 extra_cmdline="", accel="tcg", kernel=None):
        self.workdir = Path(workdir)
        self.serial = self.workdir / "serial.log"
        self.qmp_path = self.workdir / "qmp.sock"
        self.stderr_path = self.workdir / "qemu.stderr"
        argv = [QEMU, "-machine", f"q35,accel={accel}", "-m", str(memory_mib), "-smp", "1",
                "-nodefaults", "-display", "none", "-no-user-config",
                "-kernel", kernel or guest.kernel, "-initrd", guest.initrd,
                "-append", guest.cmdline(extra_cmdline),
                "-serial", f"file:{self.serial}",
                "-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        if nic:
            argv += ["-nic", "user,model=virtio-net-pci"]
        self.argv = argv + list(extra_args)
        self.proc = None
        self.qmp = None

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        err = open(self.stderr_path, "wb")
        self.started = time.monotonic()
        self.proc = spawn(self.argv, stdout=err, stderr=err)
        err.close()
        register_log("guest serial console", self.serial)
        register_log("qemu stderr", self.stderr_path)
        self.qmp = Qmp(self.qmp_path)
        return self

    def wait_serial(self, pattern, timeout=120):
        return wait_for_serial(self.serial, pattern, timeout, self.proc)

    def stop(self):
        if self.qmp:
            self.qmp.close()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


_kvm_cache = None


def kvm_available():
    """True when QEMU can start a VM with accel=kvm (QMP query-kvm enabled).
    That is enough for lifecycle tests; it does NOT mean a Linux guest boots
    under KVM here (see notes/test-guest.md: it hangs; boot guests with TCG).
    The probe is a real q35 machine with a vCPU of QEMU's default model, as
    the tests' idle guests: some hosts open /dev/kvm but refuse what a vCPU
    needs (MSRs, nested KVM); those run the tests with TCG, saying so."""
    global _kvm_cache
    if _kvm_cache is None:
        _kvm_cache = False
        why = "no /dev/kvm"
        if os.path.exists("/dev/kvm"):
            try:
                r = subprocess.run(
                    [QEMU, "-machine", "q35,accel=kvm", "-m", "64", "-nodefaults",
                     "-display", "none", "-S", "-qmp", "stdio"],
                    input='{"execute":"qmp_capabilities"}\n{"execute":"query-kvm"}\n'
                          '{"execute":"quit"}\n',
                    capture_output=True, text=True, timeout=30)
                _kvm_cache = '"enabled": true' in r.stdout
                why = (r.stderr.strip().splitlines() or ["query-kvm says disabled"])[-1]
            except (OSError, subprocess.TimeoutExpired) as e:
                why = str(e)
        if not _kvm_cache:
            sys.stderr.write(f"virtbus_harness: KVM cannot run a VM here ({why}): "
                             "tests use TCG instead\n")
    return _kvm_cache


# ---------------------------------------------------------------------------
# a stand-in D-Bus service (python3-dbus + python3-gi), to test the bus
# policies, activation and the harness itself without the real daemons

FAKE_SERVICE = r'''
import os, sys
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
name, root = sys.argv[1], sys.argv[2]
bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
calls = []

class Base(dbus.service.Object):
    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss",
                         out_signature="v")
    def Get(self, iface, prop):
        return dbus.String("fake")

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="s",
                         out_signature="a{sv}")
    def GetAll(self, iface):
        return {"Name": dbus.String("fake", variant_level=1)}

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ssv",
                         out_signature="")
    def Set(self, iface, prop, value):
        calls.append("Set")

class Connect(Base):
    @dbus.service.method("org.libvirt.Connect", in_signature="u", out_signature="ao")
    def ListDomains(self, flags):
        return dbus.Array([root + "/domain/_0"], signature="o")

    @dbus.service.method("org.libvirt.Connect", in_signature="u", out_signature="s")
    def GetCapabilities(self, flags):
        return "<capabilities/>"

    @dbus.service.method("org.libvirt.Connect", in_signature="su", out_signature="o")
    def DomainDefineXML(self, xml, flags):
        calls.append("DomainDefineXML")
        return root + "/domain/_0"

    @dbus.service.method("org.virtbus.Test", in_signature="", out_signature="a{ss}")
    def Environment(self):
        return {k: v for k, v in os.environ.items()
                if k in ("VIRTBUS_ROOT", "DBUS_SYSTEM_BUS_ADDRESS", "DBUS_STARTER_BUS_TYPE")}

    @dbus.service.method("org.virtbus.Test", in_signature="", out_signature="as")
    def Calls(self):
        return calls

    @dbus.service.method("org.virtbus.Test", in_signature="oii", out_signature="")
    def Emit(self, path, event, detail):
        self.DomainEvent(path, event, detail)

    @dbus.service.signal("org.libvirt.Connect", signature="oii")
    def DomainEvent(self, path, event, detail):
        pass

class Domain(Base):
    @dbus.service.method("org.libvirt.Domain", in_signature="u", out_signature="(ii)")
    def GetState(self, flags):
        return (1, 1)

    @dbus.service.method("org.libvirt.Domain", in_signature="u", out_signature="")
    def Create(self, flags):
        calls.append("Create")

Connect(bus, root)
Domain(bus, root + "/domain/_0")
owned = dbus.service.BusName(name, bus, do_not_queue=True)
GLib.MainLoop().run()
'''


def have_gi():
    try:
        import gi  # noqa: F401
        return True
    except ImportError:
        return False


def fake_service_argv(workdir, bus_name, root_path):
    """argv of a stand-in service owning `bus_name` with a Connect object at
    `root_path` (ListDomains, GetCapabilities, DomainDefineXML, DomainEvent) and
    a Domain at <root_path>/domain/_0 (GetState, Create), plus org.virtbus.Test
    (Environment, Calls, Emit). The script is written into `workdir`.
    Needs python3-gi."""
    import sys
    script = Path(workdir) / "fake-service.py"
    script.write_text(FAKE_SERVICE)
    return [sys.executable, script, bus_name, root_path]


# ---------------------------------------------------------------------------
# virtbus-proxyd: libvirt's remote protocol for virsh and python-libvirt

class Proxy(Daemon):
    """build/virtbus-proxyd --root on a TestBus. It owns no bus name: it is
    ready when its sockets exist. `uri` is what virsh -c and libvirt.open()
    take to reach it (read-write; `uri_ro` the read-only socket).

        p = Proxy(bus, root).start()
        subprocess.run(["virsh", "-c", p.uri, "list", "--all"])
    """

    def __init__(self, bus, root, args=(), env=None):
        super().__init__("proxyd", bus, root, args, env=env)
        self.socket_dir = Path(root) / "run" / "libvirt"
        self.socket = self.socket_dir / "libvirt-sock"
        self.socket_ro = self.socket_dir / "libvirt-sock-ro"
        self.uri = f"qemu+unix:///system?socket={self.socket}"
        self.uri_ro = f"qemu+unix:///system?socket={self.socket_ro}"

    def wait_ready(self, timeout=30):
        def ready():
            if not self.alive():
                raise RuntimeError(f"virtbus-proxyd exited with {self.proc.returncode}:\n"
                                   f"{tail(self.log_path, 60)}")
            return self.socket.exists() and self.socket_ro.exists()
        wait_until(ready, timeout, what="virtbus-proxyd's sockets")
        return self

    def kill(self, sig=signal.SIGKILL, timeout=30):
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def virsh(self, *args, uri=None, user=None, timeout=120, check=True, input=None):
        """Runs the real virsh against the proxy; returns the CompletedProcess
        (check: a non-zero exit fails with virsh's output)."""
        argv = ["virsh", "-c", uri or self.uri] + [str(a) for a in args]
        if user is not None:
            argv = setpriv_argv(user) + argv
        env = dict(os.environ)
        env.pop("LIBVIRT_DEFAULT_URI", None)
        env["HOME"] = str(self.root)    # virsh keeps its history there
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, input=input)
        if check and r.returncode != 0:
            raise AssertionError(f"virsh {' '.join(map(str, args))} failed ({r.returncode}):\n"
                                 f"{r.stdout}{r.stderr}")
        return r


# ---------------------------------------------------------------------------
# two hosts on one machine

class NetnsPair:
    """Two network namespaces joined by a veth pair, 10.231.N.1/24 in the
    first and .2 in the second: two "hosts" (a TestBus with netns=argv(i)
    runs its bus and daemons in one). close() deletes both namespaces, and
    the veth with them.

        pair = NetnsPair()
        bus_a = TestBus(root_a, netns=pair.argv(0))
    """

    def __init__(self):
        tag = uuidlib.uuid4().hex[:6]
        self.names = (f"vbm{tag}a", f"vbm{tag}b")
        self.links = (f"vb{tag}a", f"vb{tag}b")
        n = int(tag[:2], 16) % 250 + 1
        self.addrs = (f"10.231.{n}.1", f"10.231.{n}.2")
        self.made = []
        try:
            for name in self.names:
                self._ip("netns", "add", name)
                self.made.append(name)
            self._ip("link", "add", self.links[0], "type", "veth", "peer", "name", self.links[1])
            for name, link, addr in zip(self.names, self.links, self.addrs):
                self._ip("link", "set", link, "netns", name)
                self._ip("-n", name, "addr", "add", f"{addr}/24", "dev", link)
                self._ip("-n", name, "link", "set", link, "up")
                self._ip("-n", name, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _ip(*args):
        r = subprocess.run(["ip", *args], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"ip {' '.join(args)}: {r.stderr.strip()}")

    @staticmethod
    def unavailable():
        """Why this host cannot make the pair, or None."""
        for tool in ("ip", "nsenter"):
            if not shutil.which(tool):
                return f"{tool} is not installed"
        name = f"vbmprobe{os.getpid()}"
        r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
        if r.returncode != 0:
            return f"cannot make a network namespace here: {r.stderr.strip()}"
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        return None

    def argv(self, i):
        """The prefix that runs a command in namespace i."""
        return ["nsenter", f"--net=/run/netns/{self.names[i]}", "--"]

    def ns_inode(self, i):
        return os.stat(f"/run/netns/{self.names[i]}").st_ino

    def rx_bytes(self, i):
        with open(f"/proc/{self.pid_in(i)}/net/dev") as f:
            for line in f:
                if line.strip().startswith(self.links[i] + ":"):
                    return int(line.split(":", 1)[1].split()[0])
        return 0

    def pid_in(self, i):
        """A process of ours in namespace i (its /proc/PID/net shows the namespace)."""
        r = subprocess.run(["ip", "netns", "pids", self.names[i]], capture_output=True, text=True)
        pids = r.stdout.split()
        if not pids:
            raise RuntimeError(f"nothing runs in {self.names[i]}")
        return int(pids[0])

    def close(self):
        """Ends what still runs in the namespaces (all started by the test)
        and deletes them; returns the errors."""
        errors = []
        for name in self.made:
            r = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            r = subprocess.run(["ip", "netns", "del", name], capture_output=True, text=True)
            if r.returncode != 0:
                errors.append(f"ip netns del {name}: {r.stderr.strip()}")
        self.made = []
        return errors


_FORWARD = """
import socket, sys, threading
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
srv = socket.create_server((host, port))
print("listening", flush=True)
while True:
    c, _ = srv.accept()
    u = socket.socket(socket.AF_UNIX)
    u.connect(path)
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
"""


def tcp_to_unix(netns, host, port, path):
    """A forwarder in netns from tcp host:port to the unix socket path (a
    proxy's libvirt socket reached as qemu+tcp://host:port/system);
    returns its Popen."""
    p = spawn([*netns, sys.executable, "-c", _FORWARD, host, str(port), str(path)], stdout=subprocess.PIPE)
    ready, _, _ = select.select([p.stdout], [], [], 20)
    if not ready or p.stdout.readline().strip() != b"listening":
        p.kill()
        raise RuntimeError(f"the tcp forwarder on {host}:{port} did not start")
    return p
