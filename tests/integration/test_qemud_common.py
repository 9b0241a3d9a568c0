# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared pieces of the virtbus-qemud integration tests (test_qemud_*.py).

This module holds no tests. It gives the qemud test modules one private bus,
one bus monitor and one virtbus-qemud per module (`QemudEnv`), so that a
module's tests share the daemon (and, where it does not weaken them, a booted
guest) instead of paying for a new bus and daemon each time.

    from test_qemud_common import QemudEnv, module_env, ...
    env = module_env()          # in a test module: the `env` fixture

A failing test's report shows the daemon's log, the bus monitor's record and
the serial consoles of the guests of its module.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid as uuidlib
from pathlib import Path

import dbus
import pytest

import virtbus_harness as h
from virtbus_harness import DomainEvent as E
from virtbus_harness import DomainState as S

QEMUD = "org.virtbus.qemud"
ROOT_PATH = "/org/virtbus/qemud"
SCHEMAS = Path("/usr/share/libvirt/schemas")

# Markers the test guest prints (tests/guest/init)
READY = h.GUEST_READY
POWEROFF = h.GUEST_POWEROFF
TICK_RE = rb"VIRTBUS-GUEST-TICK (\d+)"

def bare_domain(name, devices):
    """A diskless 64 MiB i440FX guest that boots nothing: for what QEMU
    itself shows (displays, sockets, devices), not the guest."""
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    {devices}
  </devices>
</domain>"""


BOOT_TIMEOUT = 90       # TCG: about 5-15 s here; generous for a loaded 2-core box


class QemudEnv:
    """A root directory, a private system bus, a bus monitor and a started
    virtbus-qemud, shared by the tests of one module."""

    def __init__(self, guest=None, qemud_args=(), netns=(), bus_conf=""):
        binary = h.BUILD / "virtbus-qemud"
        if not binary.exists():
            pytest.fail(f"{binary} is not built (run make)")
        self.guest = guest
        self.root = h.Root()
        self._register_root()
        self._share_mounts()
        self.bus = h.TestBus(self.root, netns=netns, extra_conf=bus_conf).start()
        self.mon = h.BusMonitor(self.bus).start()
        self.qemud = h.Daemon("qemud", self.bus, self.root, qemud_args).start()
        self.serials = {}
        # now too: a module fixture that fails (a guest that does not boot)
        # does so before the autouse _env_logs registers anything
        h.register_log_dir("QEMU log", self.qemu_log_dir)

    # conftest's session hook cleans up roots it knows of even when the
    # session is interrupted before our teardown runs.
    def _register_root(self):
        try:
            import conftest
            conftest._ROOTS.append(self.root)
            self._conftest = conftest
        except (ImportError, AttributeError):
            self._conftest = None

    # QEMU runs in a mount namespace of its own whose mounts are slaves of
    # ours: a mount made after a guest started reaches it only from a shared
    # mount, as / is on a systemd host (not in these containers). The root
    # is made one (Root.cleanup unmounts it).
    def _share_mounts(self):
        p = str(self.root.path)
        if subprocess.run(["mount", "--bind", p, p], capture_output=True).returncode == 0:
            subprocess.run(["mount", "--make-shared", p], capture_output=True)

    def close(self):
        self.mon.stop()
        self.qemud.stop()
        self.bus.stop()
        keep = os.environ.get("VIRTBUS_KEEP") == "1" and getattr(self, "failed", False)
        errors = self.root.cleanup(keep=keep)
        if keep:
            sys.stderr.write(f"\nVIRTBUS_KEEP: kept {self.root.path}\n")
        if self._conftest is not None and self.root in self._conftest._ROOTS:
            self._conftest._ROOTS.remove(self.root)
        return errors

    def register_logs(self):
        """(Again) shows this module's logs in the report of a failing test."""
        h.register_log("virtbus-qemud", self.qemud.log_path)
        for name, path in self.serials.items():
            h.register_log(f"serial console of {name}", path)
        # read at the failure: a guest started by the test has its log then
        h.register_log_dir("QEMU log", self.qemu_log_dir)

    # --- paths ---------------------------------------------------------------
    @property
    def run_dir(self):
        return self.root / "run" / "virtbus" / "qemu"

    @property
    def conf_dir(self):
        return self.root / "etc" / "virtbus" / "qemu"

    @property
    def qemu_log_dir(self):
        return self.root / "var" / "log" / "virtbus" / "qemu"

    def status_file(self, name):
        return self.run_dir / f"{name}.xml"

    def status_pid(self, name):
        """The QEMU pid recorded in the live state file (None without one)."""
        try:
            text = self.status_file(name).read_text()
        except FileNotFoundError:
            return None
        m = re.search(r"<domstatus [^>]*\bpid='(\d+)'", text)
        return int(m.group(1)) if m else None

    # --- calls ---------------------------------------------------------------
    def call(self, method, *args, **kw):
        return self.qemud.call(method, *args, **kw)

    def dcall(self, path, method, *args, **kw):
        return self.qemud.domain_call(path, method, *args, **kw)

    def prop(self, path, name):
        return self.qemud.get_property(path, "org.libvirt.Domain", name)

    def set_autostart(self, path, value):
        self.bus.call(QEMUD, path, "org.freedesktop.DBus.Properties", "Set",
                      "org.libvirt.Domain", "Autostart", dbus.Boolean(value, variant_level=1))

    def state(self, path):
        return tuple(self.dcall(path, "GetState", 0))

    def list_domains(self, flags=0):
        return sorted(self.call("ListDomains", flags))

    # --- guests ---------------------------------------------------------------
    def guest_xml(self, name, uuid=None, tick=False, extra_cmdline="", **kw):
        serial = self.root / f"{name}.serial"
        self.serials[name] = serial
        h.register_log(f"serial console of {name}", serial)
        cmd = " ".join(x for x in ("virtbus.tick=1" if tick else "", extra_cmdline) if x)
        return h.guest_domain_xml(self.guest, name, uuid=uuid, serial_log=serial,
                                  extra_cmdline=cmd, **kw)

    def define(self, name, start=False, **kw):
        """Defines the test guest as `name` (TCG, user networking, console in
        <root>/<name>.serial); returns a Guest."""
        path = self.call("DomainDefineXML", self.guest_xml(name, **kw))
        g = Guest(self, path, name)
        if start:
            g.start()
        return g

    def create_transient(self, name, flags=0, **kw):
        path = self.call("DomainCreateXML", self.guest_xml(name, **kw), flags)
        return Guest(self, path, name)

    # --- events ---------------------------------------------------------------
    def mark(self):
        return self.mon.mark()

    def events(self, path, since):
        return [(e, d) for _, e, d in self.mon.domain_events(ROOT_PATH, path, since=since)]

    def wait_event(self, path, event, detail=None, since=0, timeout=30):
        return self.mon.wait_domain_event(path, event, detail, since=since, timeout=timeout,
                                          root_path=ROOT_PATH)

    def expect_events(self, path, since, expected, timeout=30, settle=0.5):
        """Waits for the last of `expected` [(event, detail)...], lets the bus
        settle, and asserts that exactly `expected` was signalled for `path`
        since the mark, in that order."""
        ev, det = expected[-1]
        try:
            self.wait_event(path, ev, det, since=since, timeout=timeout)
        except TimeoutError as e:
            raise AssertionError(f"DomainEvent {expected[-1]} for {path} not seen within "
                                 f"{timeout}s; events since mark: {self.events(path, since)}; "
                                 f"state now {self._state_or_error(path)}") from e
        time.sleep(settle)
        got = self.events(path, since)
        assert got == list(expected), (f"DomainEvent sequence for {path}: expected "
                                       f"{list(expected)}, got {got}")
        return got

    def _state_or_error(self, path):
        try:
            return self.state(path)
        except dbus.exceptions.DBusException as e:
            return f"({e.get_dbus_name()}: {e.get_dbus_message()})"


class Guest:
    """One test-guest domain of a QemudEnv."""

    def __init__(self, env, path, name):
        self.env = env
        self.path = path
        self.name = name
        self.serial = env.root / f"{name}.serial"

    def call(self, method, *args, **kw):
        return self.env.dcall(self.path, method, *args, **kw)

    def state(self):
        return self.env.state(self.path)

    def prop(self, name):
        return self.env.prop(self.path, name)

    def pid(self):
        return self.env.status_pid(self.name)

    def start(self, flags=0):
        # Counts of console markers are per QEMU run: start from an empty
        # console whether QEMU truncates the file or appends to it.
        if self.serial.exists():
            self.serial.write_bytes(b"")
        self.call("Create", flags)
        return self

    def serial_text(self):
        try:
            return self.serial.read_bytes()
        except FileNotFoundError:
            return b""

    def count(self, marker):
        return self.serial_text().count(marker.encode() if isinstance(marker, str) else marker)

    def wait_marker(self, marker, n=1, timeout=BOOT_TIMEOUT):
        """Waits until `marker` appears at least n times on the console of the
        current QEMU run (the file is truncated when QEMU starts)."""
        what = f"{marker!r} x{n} on the console of {self.name}"
        try:
            h.wait_until(lambda: self.count(marker) >= n, timeout, 0.1, what)
        except TimeoutError as e:
            raise AssertionError(f"{e}; state {self.env._state_or_error(self.path)}; "
                                 f"console ends with:\n{h.tail(self.serial, 25)}") from None

    def wait_ready(self, n=1, timeout=BOOT_TIMEOUT):
        self.wait_marker(READY, n, timeout)

    def ticks(self):
        return [int(x) for x in re.findall(TICK_RE, self.serial_text())]

    def last_tick(self):
        t = self.ticks()
        return t[-1] if t else -1

    def wait_tick_after(self, n, timeout=20):
        try:
            h.wait_until(lambda: self.last_tick() > n, timeout, 0.1,
                         f"a TICK after {n} on the console of {self.name}")
        except TimeoutError as e:
            raise AssertionError(f"{e}; console ends with:\n{h.tail(self.serial, 10)}") from None
        return self.last_tick()

    def press_power_button(self, method="Shutdown", attempts=3, wait=10):
        """Calls Shutdown(0) or Reboot(0) until the guest reacts (POWEROFF on its
        console). The test guest prints READY as it starts busybox acpid, which
        may not listen yet: a press right after READY can be lost in the guest
        (seen under load), so a press is repeated as a person would."""
        n = self.count(POWEROFF)
        for _ in range(attempts):
            self.call(method, 0)
            try:
                h.wait_until(lambda: self.count(POWEROFF) > n, wait, 0.1, "POWEROFF")
                return
            except TimeoutError:
                pass
        raise AssertionError(f"{method}: the guest {self.name} never powered off "
                             f"({attempts} presses); state {self.env._state_or_error(self.path)};"
                             f" console ends with:\n{h.tail(self.serial, 15)}")

    def ensure_running(self):
        """Brings the guest to running and booted (READY seen), whatever it was."""
        st = self.state()
        if st[0] == S.SHUTOFF:
            self.start()
        elif st[0] == S.PAUSED:
            self.call("Resume")
        self.wait_ready()
        h.wait_until(lambda: self.state()[0] == S.RUNNING, 15, what=f"{self.name} running")
        return self

    def ensure_shutoff(self):
        if self.state()[0] != S.SHUTOFF:
            self.call("Destroy", 0)
        h.wait_until(lambda: self.state()[0] == S.SHUTOFF, 15, what=f"{self.name} shut off")
        return self


def module_env(qemud_args=()):
    """A module-scoped `env` fixture plus an autouse fixture that registers
    the module's logs for each test. Use: `env = module_env()` at module level
    (it returns the fixture function; pytest finds it by name)."""

    @pytest.fixture(scope="module")
    def env(guest, request):
        e = QemudEnv(guest, qemud_args)
        yield e
        e.failed = request.session.testsfailed > 0
        errors = e.close()
        if errors:
            raise RuntimeError("cleanup errors: " + "; ".join(errors))

    return env


@pytest.fixture(autouse=True)
def _env_logs(request):
    """Registers the module env's logs, when the test uses the env."""
    if "env" in request.fixturenames:
        request.getfixturevalue("env").register_logs()
    yield


# ---------------------------------------------------------------------------
# XML and errors

def xmllint_relaxng(xml, schema, what=""):
    """Validates `xml` against /usr/share/libvirt/schemas/<schema>.rng;
    returns None or fails the test with xmllint's complaints and the lines
    of the document they point at."""
    rng = SCHEMAS / f"{schema}.rng"
    if not rng.exists():
        pytest.skip(f"{rng} is missing (Debian's libvirt0 package)")
    r = subprocess.run(["xmllint", "--noout", "--relaxng", str(rng), "-"], input=xml,
                       capture_output=True, text=True, timeout=60)
    if r.returncode == 0:
        return
    lines = xml.splitlines()
    near = sorted({int(n) for n in re.findall(r"^-:(\d+):", r.stderr, re.M)})
    shown = []
    for n in near[:5]:
        lo, hi = max(1, n - 3), min(len(lines), n + 3)
        shown.append("\n".join(f"{i:5}: {lines[i - 1]}" for i in range(lo, hi + 1)))
    if not shown:
        shown = ["\n".join(lines[:40])]
    raise AssertionError(f"{what} does not validate against {rng.name}:\n{r.stderr.strip()}\n"
                         f"--- document ({len(lines)} lines), near the errors ---\n"
                         + "\n  ...\n".join(shown))


class dbus_error:
    """with dbus_error("NoDomain", "vm1") as e: ... - the call must fail with
    org.virtbus.Error.<name> and a message containing every one of `words`."""

    def __init__(self, name, *words, what=None):
        self.name = name if "." in name else f"org.virtbus.Error.{name}"
        self.words = words
        self.what = what
        self.message = None

    def __enter__(self):
        self._inner = h.expect_dbus_error(self.name)
        self._inner.__enter__()
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            raise AssertionError(f"expected D-Bus error {self.name} naming {list(self.words)}"
                                 + (f" from {self.what}" if self.what else "")
                                 + ": the call succeeded")
        r = self._inner.__exit__(et, ev, tb)
        if r:
            self.message = self._inner.message
            for w in self.words:
                assert str(w) in self.message, (f"{self.name}: message {self.message!r} "
                                                f"does not name {w!r}")
        return r


def snapshot(env):
    """Everything a bad request must leave alone: the domain list, each
    domain's XML (live and inactive), state, id, properties and QEMU pid."""
    snap = {}
    for p in env.list_domains():
        props = env.qemud.bus.get_all_properties(QEMUD, p, "org.libvirt.Domain")
        name = props["Name"]
        snap[p] = {
            "props": props,
            "state": env.state(p),
            "xml": env.dcall(p, "GetXMLDesc", 0),
            "xml_inactive": env.dcall(p, "GetXMLDesc", 2),
            "pid": env.status_pid(name),
            "config": (env.conf_dir / f"{name}.xml").read_text()
            if (env.conf_dir / f"{name}.xml").exists() else None,
        }
    return snap


def assert_same_snapshot(before, after):
    assert sorted(before) == sorted(after), (f"ListDomains changed: before {sorted(before)}, "
                                             f"after {sorted(after)}")
    for p in before:
        for k in before[p]:
            assert before[p][k] == after[p][k], (f"{p}: {k} changed:\nbefore: {before[p][k]}\n"
                                                 f"after:  {after[p][k]}")


def tcp_server(backlog=1):
    """A listening TCP socket of the test's on 127.0.0.1 (a free port),
    whose accept() waits 30 s at the most."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    s.settimeout(30)
    return s


def veth_pair(name, peer):
    """A veth pair of the test's, name up; deleting name deletes both."""
    subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", peer], check=True)
    subprocess.run(["ip", "link", "set", name, "up"], check=True)


def need_macvtap(parent, probe):
    """Skips the test on a kernel that makes no macvtap (CONFIG_MACVTAP),
    tried as a link named probe on parent: a skip, not a failure."""
    r = subprocess.run(["ip", "link", "add", "link", parent, probe, "type", "macvtap"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"this kernel makes no macvtap link: {r.stderr.strip()}")
    subprocess.run(["ip", "link", "del", probe], check=True)


def new_uuid():
    return str(uuidlib.uuid4())


def pid_alive(pid):
    return pid is not None and not h._is_zombie_or_gone(pid)


def destroy_active(qemud):
    """At a test's end: every running guest of a live qemud destroyed,
    whatever fails on the way."""
    if not qemud or not qemud.alive():
        return
    for p in qemud.call("ListDomains", 2):      # active
        try:
            qemud.domain_call(p, "Destroy", 0)
        except Exception:                       # noqa: BLE001
            pass


# ---------------------------------------------------------------------------
# a separate bus client (its own process and connection)

CLIENT = textwrap.dedent(r'''
    import os, sys, dbus
    bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
    obj = bus.get_object("org.virtbus.qemud", sys.argv[2], introspect=False)
    try:
        if sys.argv[1] == "create":
            obj.Create(dbus.UInt32(int(sys.argv[3])), dbus_interface="org.libvirt.Domain",
                       timeout=120)
            out = ""
        else:
            out = obj.DomainCreateXML(open(sys.argv[4]).read(), dbus.UInt32(int(sys.argv[3])),
                                      dbus_interface="org.libvirt.Connect", timeout=120)
        print("OK " + str(out) + " " + bus.get_unique_name(), flush=True)
    except dbus.exceptions.DBusException as e:
        print("ERR " + e.get_dbus_name() + " " + e.get_dbus_message(), flush=True)
        sys.exit(1)
    sys.stdin.read()     # keep the connection until told to go (stdin closed)
''')


class Client:
    """A python3-dbus client in its own process: calls Domain.Create(flags) on
    a path ("create") or Connect.DomainCreateXML(xml, flags) ("createxml"),
    then keeps its bus connection until close()."""

    def __init__(self, env, kind, target, flags, xml=None):
        script = env.root / "client.py"
        script.write_text(CLIENT)
        argv = [sys.executable, script, kind, target if kind == "create" else ROOT_PATH,
                str(flags)]
        if xml is not None:
            f = env.root / f"client-{time.monotonic_ns()}.xml"
            f.write_text(xml)
            argv.append(f)
        self.proc = h.spawn(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env.bus.env)
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("OK"):
            rest = self.proc.stdout.read().decode() if self.proc.poll() is not None else ""
            raise AssertionError(f"client {kind} failed: {line}\n{rest}")
        _, self.result, self.unique_name = (line.split(" ") + ["", ""])[:3]

    def close(self):
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)


def qmp_ask(env, name, *commands):
    """QEMU's answers over the guest's monitor, qemud SIGKILLed meanwhile (it
    holds the monitor) and started again: it must find the guest again. A
    command is a name, or (name, arguments)."""
    monitor = re.search(r"<monitor path='([^']+)'", env.status_file(name).read_text()).group(1)
    env.qemud.kill(signal.SIGKILL)
    try:
        qmp = h.Qmp(monitor, timeout=20)
        try:
            return [qmp.cmd(c) if isinstance(c, str) else qmp.cmd(c[0], **c[1]) for c in commands]
        finally:
            qmp.close()
    finally:
        env.qemud.start()
