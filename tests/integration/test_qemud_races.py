# SPDX-License-Identifier: LGPL-2.1-or-later
"""Races on one domain of virtbus-qemud, with the real test guest (TCG):

- Destroy sent while Create is still preparing (storaged, networkd or lockd
  held with SIGSTOP, or QEMU's "cont" held back): the guest ends shut off,
  Create gets a clear error, and no QEMU, lease, tap, port or in-use mark is
  left; the guest then starts and boots;
- Suspend and Shutdown sent together on one connection, in both orders:
  both answered, the guest ends in a state the events tell, and the power
  button press is never lost (a paused guest powers off once resumed); and
  the two windows that pair may hit, held open: a Suspend whose "stop"
  reaches QEMU after the guest powered off, and one sent while QEMU is on its
  way out, are refused ("is shutting down"), never answered as done;
- Undefine during Create: it waits for the start, the running guest goes on
  as a transient domain and is gone, files and all, once it powers off; when
  the start fails instead (Destroy breaks in), both callers get their answer
  and the domain is gone;
- a bus client that disconnects while its Create, Shutdown or
  DomainCreateXML is under way: qemud stays healthy, the guest ends where
  the call meant it to, and the next call on the domain gets its turn at once;
- qemud SIGKILLed while the start waits for logd, while "cont" is held back
  and after QEMU ran "cont" but before qemud saw the answer: restarted, it
  rolls the start back (test_qemud_start_rollback covers storaged, networkd,
  lockd and a QEMU that has not answered its monitor yet).

The windows are made, not waited for: a daemon held with SIGSTOP, or a QMP
gate. The gate is the emulator qemud runs here (VIRTBUS_QEMU): a small script
that execs the real QEMU, giving it a monitor socket of its own, and leaves
behind a relay between qemud's monitor socket and QEMU's that holds back a
named command (or its answer) while a file says so (QmpGate below).

The environment is test_qemud_start_rollback's: a storaged dir pool (the
volume disk), networkd in a namespace of its own (an isolated network), lockd
(a lease on each writable disk) and logd, D-Bus activated."""

import json
import os
import re
import subprocess
import textwrap
import time
import uuid as uuidlib

import pytest

import virtbus_harness as h
from virtbus_harness import DomainEvent as E
from virtbus_harness import DomainState as S
from virtbus_harness import wait_until
from test_qemud_common import POWEROFF, READY, destroy_active
from test_qemud_leases_logs import qemu_pids_of
from test_qemud_start_rollback import NET, POOL, SHUTOFF_FAILED, Dom, Env
from test_storaged_common import vol_xml

pytestmark = pytest.mark.timeout(400)

QEMUD, QEMUD_PATH = "org.virtbus.qemud", "/org/virtbus/qemud"
DOMAIN, CONNECT = "org.libvirt.Domain", "org.libvirt.Connect"
LOGD, LOGD_PATH = "org.virtbus.logd", "/org/virtbus/logd"
JOB_TIMEOUT_MS = 15000          # a stuck job shows as OperationTimeout, well before pytest's
BOOT_TIMEOUT = 120
STARTING = (S.PAUSED, 11)
# The guest's own poweroff: QEMU's SHUTDOWN (guest), then its exit.
POWERED_OFF = [(E.SHUTDOWN, E.SHUTDOWN_GUEST), (E.STOPPED, E.STOPPED_SHUTDOWN)]
PAUSED_USER = (S.PAUSED, 1)


# ---------------------------------------------------------------------------
# the QMP gate

GATE = r'''#!/usr/bin/python3
# The emulator of test_qemud_races (written by the test). Runs the real QEMU;
# for a domain start (a "charmonitor" chardev on an inherited listening fd)
# it first leaves a relay behind between that fd and a socket of QEMU's own,
# which holds back a command (<uuid>.hold-cmd-<name>) or its answer
# (<uuid>.hold-reply-<name>) while that file exists in the gate directory,
# and says so (<uuid>.held-...).
import json, os, re, select, socket, sys, time
QEMU, GATE = @QEMU@, @GATE@


def relay(listen_fd, inner, uuid, qemu_pid):
    lsock = socket.socket(fileno=listen_fd)
    pidfd = os.pidfd_open(qemu_pid)
    pairs = []                           # [qemud side, qemu side, {id: command}, bufs, queues]

    def flag(kind, name):
        return os.path.exists(f"{GATE}/{uuid}.hold-{kind}-{name}")

    def note(kind, name):
        open(f"{GATE}/{uuid}.held-{kind}-{name}", "w").close()

    def log(way, line):
        # The QMP traffic, for the report of a failing test.
        sys.stderr.write(f"{time.monotonic():.3f} {way} {line.decode(errors='replace').rstrip()}\n")
        sys.stderr.flush()

    def close(p):
        for s in p["socks"]:
            s.close()
        pairs.remove(p)

    def flush(p):
        up, down = p["socks"]
        while p["to_qemu"]:
            line = p["to_qemu"][0]
            try:
                msg = json.loads(line)
            except ValueError:
                msg = {}
            cmd = msg.get("execute") if isinstance(msg, dict) else None
            if cmd and flag("cmd", cmd):
                note("cmd", cmd)
                break
            if cmd and flag("reply", cmd) and "id" in msg:
                p["ids"][json.dumps(msg["id"])] = cmd
            down.sendall(line)
            log(">", line)
            p["to_qemu"].pop(0)
        while p["to_qemud"]:
            line = p["to_qemud"][0]
            try:
                msg = json.loads(line)
            except ValueError:
                msg = {}
            key = json.dumps(msg.get("id")) if isinstance(msg, dict) and "id" in msg else None
            if key in p["ids"]:
                cmd = p["ids"][key]
                if flag("reply", cmd):
                    note("reply", cmd)
                    break
                del p["ids"][key]
            up.sendall(line)
            log("<", line)
            p["to_qemud"].pop(0)

    while True:
        socks = [lsock, pidfd] + [s for p in pairs for s in p["socks"]]
        ready, _, _ = select.select(socks, [], [], 0.02)
        if pidfd in ready:
            return
        if lsock in ready:
            up, _ = lsock.accept()
            down = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            down.connect(inner)
            pairs.append({"socks": (up, down), "ids": {}, "buf": [b"", b""],
                          "to_qemu": [], "to_qemud": []})
        for p in list(pairs):
            for i, s in enumerate(p["socks"]):
                if s not in ready:
                    continue
                data = s.recv(65536)
                if not data:
                    close(p)         # qemud or QEMU hung up: what is held is dropped
                    break
                buf = p["buf"][i] + data
                *lines, p["buf"][i] = buf.split(b"\n")
                p["to_qemud" if i else "to_qemu"] += [x + b"\n" for x in lines]
            else:
                flush(p)
        for p in pairs:
            flush(p)


argv = sys.argv[1:]
if argv[:1] == ["--relay"]:
    relay(int(argv[1]), argv[2], argv[3], int(argv[4]))
    sys.exit(0)
mon = next((i for i, a in enumerate(argv) if a.startswith("socket,id=charmonitor,fd=")), None)
if mon is None or "-uuid" not in argv:
    os.execv(QEMU, [QEMU] + argv)
uuid = argv[argv.index("-uuid") + 1]
listen_fd = int(re.search(r"fd=(\d+)", argv[mon]).group(1))
inner = f"{GATE}/{uuid}.{os.getpid()}.qmp"
isock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
isock.bind(inner)
isock.listen(4)
os.set_inheritable(isock.fileno(), True)
argv[mon] = argv[mon].replace(f"fd={listen_fd}", f"fd={isock.fileno()}")
qemu_pid = os.getpid()
child = os.fork()
if child == 0:
    if os.fork() == 0:
        # The relay keeps only qemud's listening socket: no tap, log pipe or
        # disk of QEMU's stays open behind it. Its command line names no
        # -uuid, so it is not taken for a QEMU of the domain.
        log = os.open(f"{GATE}/{uuid}.relay.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        null = os.open("/dev/null", os.O_RDWR)
        for fd, to in ((0, null), (1, log), (2, log)):
            os.dup2(to, fd)
        keep = os.dup(listen_fd)
        os.set_inheritable(keep, True)
        os.closerange(3, keep)
        os.closerange(keep + 1, 65536)
        os.execv(sys.executable, [sys.executable, __file__, "--relay", str(keep), inner,
                                  uuid, str(qemu_pid)])
    os._exit(0)
os.waitpid(child, 0)
os.close(listen_fd)
os.execv(QEMU, [QEMU] + argv)
'''


class QmpGate:
    """The emulator qemud runs in this module, and its switches (per domain uuid)."""

    def __init__(self, root):
        self.dir = root / "qmp-gate"
        self.dir.mkdir()
        self.wrapper = root / "qemu-gate"
        self.wrapper.write_text(GATE.replace("@QEMU@", repr(h.QEMU)).replace("@GATE@", repr(str(self.dir))))
        self.wrapper.chmod(0o755)

    def _f(self, uuid, what):
        return self.dir / f"{uuid}.{what}"

    def hold(self, uuid, kind, name):
        """kind 'cmd': the command `name` waits; 'reply': its answer does."""
        self._f(uuid, f"hold-{kind}-{name}").touch()

    def release(self, uuid, kind, name):
        self._f(uuid, f"hold-{kind}-{name}").unlink(missing_ok=True)

    def held(self, uuid, kind, name):
        return self._f(uuid, f"held-{kind}-{name}").exists()

    def wait_held(self, uuid, kind, name, timeout=60):
        wait_until(lambda: self.held(uuid, kind, name), timeout, 0.02,
                   what=f"QMP {name} ({kind}) of {uuid} to reach the gate")

    def clear(self):
        for f in self.dir.glob("*.h*"):
            f.unlink(missing_ok=True)

    def relays(self):
        """Live relay processes (they go with their QEMU)."""
        needle = f"{self.wrapper}\0--relay\0".encode()
        found = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/cmdline", "rb") as f:
                        if needle in f.read() and not h._is_zombie_or_gone(int(d)):
                            found.append(int(d))
                except OSError:
                    pass
        return found


# ---------------------------------------------------------------------------
# calls sent without waiting for their answers

# Sends calls on one connection without waiting, prints "SENT", then the
# replies as JSON in the order they came: [[index, error name or "",
# message, result], ...]. (test_qemud_jobs' Pipeline calls Domain methods
# only; this one takes the interface per call.)
CALLS = textwrap.dedent(r'''
    import json, os, sys
    import dbus, dbus.mainloop.glib
    from gi.repository import GLib
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
    calls = json.loads(sys.argv[1])
    # qemud learns our uid (asked of the bus) on our first call: made here, so
    # that a call sent right before we go is not refused for want of a caller.
    bus.call_blocking("org.virtbus.qemud", "/org/virtbus/qemud", "org.freedesktop.DBus.Peer",
                      "Ping", "", ())
    loop, out = GLib.MainLoop(), []
    def done(i, name, msg, res=None):
        out.append([i, name, msg, None if res is None else str(res)])
        if len(out) == len(calls):
            loop.quit()
    for i, (path, iface, method, sig, args) in enumerate(calls):
        bus.call_async("org.virtbus.qemud", path, iface, method, sig, args,
                       lambda *r, i=i: done(i, "", "", r[0] if r else None),
                       lambda e, i=i: done(i, e.get_dbus_name(), e.get_dbus_message()),
                       timeout=180)
    bus.flush()
    print("SENT", flush=True)
    loop.run()
    print(json.dumps(out), flush=True)
''')


class Calls:
    def __init__(self, env, calls):
        script = env.root / "race-calls.py"
        if not script.exists():
            script.write_text(CALLS)
        self.proc = h.spawn(["/usr/bin/python3", str(script), json.dumps(calls)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env.bus.env)
        line = self.proc.stdout.readline().decode().strip()
        if line != "SENT":
            raise AssertionError(f"the calling client failed: {line} {self.proc.stderr.read().decode()}")

    def answered(self):
        return self.proc.poll() is not None

    def replies(self, timeout=120):
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, f"the calling client failed: {err.decode()}"
        return json.loads(out.decode().strip().splitlines()[-1])

    def kill(self):
        """The client goes away, its calls unanswered."""
        self.proc.kill()
        self.proc.communicate(timeout=30)


# ---------------------------------------------------------------------------
# environment and domains

@pytest.fixture(scope="module")
def env(guest):
    if subprocess.run(["/usr/bin/python3", "-c", "import dbus, gi, os; os.pidfd_open"],
                      capture_output=True).returncode != 0:
        pytest.skip("python3-dbus, python3-gi and os.pidfd_open (Python 3.9, Linux 5.3) "
                    "are needed for the racing clients and the QMP gate")
    e = Env()
    try:
        e.guest = guest
        e.gate = QmpGate(e.root)
        e.qemud.stop()
        e.qemud.extra_env.update(VIRTBUS_QEMU=str(e.gate.wrapper),
                                 VIRTBUS_JOB_TIMEOUT_MS=str(JOB_TIMEOUT_MS))
        e.qemud.start()
        e.serials = {}
        yield e
    finally:
        e.close()
        if hasattr(e, "gate"):
            wait_until(lambda: not e.gate.relays(), 15, what="the QMP relays to go")


@pytest.fixture(autouse=True)
def _logs(env):
    env.register_logs()
    for name, path in env.serials.items():
        h.register_log(f"serial console of {name}", path)
    for f in sorted(env.gate.dir.glob("*.relay.log")):
        h.register_log(f"QMP relay {f.name}", f)
    for pid in list(env.stopped_pids()):
        env.release(pid)
    if not env.qemud.alive():
        env.qemud.start()
    yield
    env.gate.clear()
    for pid in list(env.stopped_pids()):
        env.release(pid)
    # A failed test leaves no guest (nor its tap) to the next one.
    if env.qemud.alive():
        destroy_active(env.qemud)
    env.register_logs()
    for name, path in env.serials.items():
        h.register_log(f"serial console of {name}", path)


class RaceDom(Dom):
    """The test guest (TCG, booting) with a volume disk (vda, storaged), a
    file disk (vdb, leased) and an interface on the isolated network."""

    def __init__(self, env, name, define=True):
        self.env, self.name = env, name
        self.uuid = str(uuidlib.uuid4())
        vol = f"{name}.raw"
        env.s.create_vol(env.pool, vol_xml(vol, 8 << 20, "raw"))
        self.file_disk = str(env.root / f"{name}-file.raw")
        subprocess.run(["truncate", "-s", "4M", self.file_disk], check=True)
        self.serial = env.root / f"{name}.serial"
        env.serials[name] = self.serial
        h.register_log(f"serial console of {name}", self.serial)
        h.register_log(f"QMP through the gate for {name}", env.gate.dir / f"{self.uuid}.relay.log")
        volume = (f"    <disk type='volume' device='disk'>\n"
                  f"      <source pool='{POOL}' volume='{vol}'/>\n"
                  f"      <target dev='vda' bus='virtio'/>\n"
                  f"    </disk>")
        self.xml = h.guest_domain_xml(env.guest, name, uuid=self.uuid, serial_log=self.serial,
                                      nic=("network", NET), disks=[(self.file_disk, "raw", "vdb")],
                                      extra_cmdline="virtbus.nodhcp", extra_devices=volume)
        self.path = h.domain_path(QEMUD_PATH, self.uuid)
        if define:
            m = env.mon.mark()
            assert env.qemud.call("DomainDefineXML", self.xml) == self.path
            self.inactive = self.call("GetXMLDesc", 2)
            # Seen by the monitor before a test marks where its events begin.
            env.mon.wait_domain_event(self.path, E.DEFINED, E.DEFINED_ADDED, since=m, timeout=30,
                                      root_path=QEMUD_PATH)

    def count(self, marker):
        try:
            return self.serial.read_bytes().count(marker.encode())
        except FileNotFoundError:
            return 0

    def clear_console(self):
        if self.serial.exists():
            self.serial.write_bytes(b"")

    def wait_marker(self, marker, n=1, timeout=BOOT_TIMEOUT):
        try:
            wait_until(lambda: self.count(marker) >= n, timeout, 0.1,
                       what=f"{marker} x{n} on the console of {self.name}")
        except TimeoutError as e:
            raise AssertionError(f"{e}; state {self.state()}; console ends with:\n"
                                 f"{h.tail(self.serial, 20)}") from None

    def boot(self):
        """Create, and wait until the guest's init is up (acpid listening)."""
        self.clear_console()
        self.call("Create", 0)
        assert self.state() == (S.RUNNING, 1)
        self.wait_marker(READY)

    def events(self, since):
        return [tuple(e[1:]) for e in self.env.mon.domain_events(QEMUD_PATH, self.path, since=since)]

    def status_attrs(self):
        p = self.env.run_dir / f"{self.name}.xml"
        return p.read_text().split(">", 1)[0] if p.exists() else ""

    def files(self):
        """Whatever qemud keeps on disk under the domain's name."""
        found = []
        for d in (self.env.run_dir, self.env.root / "etc" / "virtbus" / "qemu",
                  self.env.root / "var" / "lib" / "virtbus" / "qemu"):
            if d.is_dir():
                found += [str(p) for p in d.rglob("*")
                          if p.name == self.name or p.name.startswith(f"{self.name}.")]
        return sorted(found)

    def assert_all_released(self):
        """No QEMU, relay, lease, port, tap or in-use mark of this domain."""
        env = self.env
        wait_until(lambda: not qemu_pids_of(self.uuid), 30, what=f"the QEMU of {self.name} to go")
        wait_until(lambda: not env.leases(self.uuid), 15,
                   what=f"the leases of {self.name} to go: {env.leases(self.uuid)}")
        wait_until(lambda: not env.ports(self.uuid) and not env.taps(), 15,
                   what=f"the ports of {self.name} to go: {env.ports(self.uuid)}, taps {env.taps()}")
        wait_until(lambda: not env.in_use(self.uuid), 15,
                   what=f"the in-use marks of {self.name} to go: {env.in_use(self.uuid)}")
        wait_until(lambda: not env.gate.relays(), 15, what="the QMP relay to go with its QEMU")

    def boot_and_destroy(self):
        """What a race leaves must not stop the next start: the guest boots."""
        m = self.env.mon.mark()
        self.boot()
        assert len(self.env.leases(self.uuid)) == 2 and len(self.env.ports(self.uuid)) == 1
        self.call("Destroy", 0)
        assert self.state()[0] == S.SHUTOFF
        self.assert_all_released()
        assert self.events(m) == [(E.STARTED, E.STARTED_BOOTED), (E.STOPPED, E.STOPPED_DESTROYED)]

    def undefine(self):
        if self.path in self.env.qemud.call("ListDomains", 0):
            if self.state()[0] != S.SHUTOFF:
                self.call("Destroy", 0)
            self.call("Undefine", 0)


def job_phase(dom, phase):
    return f"job='start' job-phase='{phase}'" in dom.status_attrs()


# ---------------------------------------------------------------------------
# (a) Destroy while Create prepares

HOLDS = {
    # phase: (daemon held with SIGSTOP or None, the job phase or QMP command it waits at)
    "storage": ("org.virtbus.storaged", "storage"),
    "network": ("org.virtbus.networkd", "network"),
    "leases": ("org.virtbus.lockd", "boot"),
    "cont": (None, "cont"),
}


def hold_start(env, dom, phase):
    """Holds the start of dom at `phase`: returns a function that lets it go."""
    name, where = HOLDS[phase]
    if name is None:
        env.gate.hold(dom.uuid, "cmd", where)
        return lambda: env.gate.release(dom.uuid, "cmd", where)
    pid = env.bus.name_owner_pid(name)
    env.hold(pid)
    return lambda: env.release(pid) if pid in env.stopped_pids() else None


def wait_start_held(env, dom, phase):
    name, where = HOLDS[phase]
    if name is None:
        env.gate.wait_held(dom.uuid, "cmd", where)
    else:
        wait_until(lambda: job_phase(dom, where), 30,
                   what=f"the start of {dom.name} at phase {where}: {dom.status_attrs()}")
        if phase == "leases":
            dom.wait_qemu()
    assert dom.state() == STARTING, f"{dom.name} is {dom.state()} while its start is held"


@pytest.mark.parametrize("phase", list(HOLDS))
def test_destroy_while_create_prepares(env, phase):
    dom = RaceDom(env, f"ra-destroy-{phase}")
    m = env.mon.mark()
    go = hold_start(env, dom, phase)
    try:
        create = Calls(env, [[dom.path, DOMAIN, "Create", "u", [0]]])
        wait_start_held(env, dom, phase)
        qemu = qemu_pids_of(dom.uuid)
        dom.call("Destroy", 0)                   # breaks in: the start is held
        # As libvirt: the start failed (Destroy only made it fail), and a
        # guest that never ran signals no STOPPED.
        assert dom.state() == (S.SHUTOFF, SHUTOFF_FAILED), f"after Destroy: {dom.state()}"
        replies = create.replies(timeout=60)     # answered while the hold lasts
    finally:
        go()
    assert replies[0][1] == "org.virtbus.Error.OperationAborted", replies
    assert "destroyed while starting" in replies[0][2], replies
    for pid in qemu:
        wait_until(lambda: h._is_zombie_or_gone(pid), 30, what=f"QEMU {pid} to be gone")
    dom.assert_all_released()
    assert dom.events(m) == [], dom.events(m)
    assert dom.files() == [str(env.root / "etc" / "virtbus" / "qemu" / f"{dom.name}.xml")], dom.files()
    assert dom.call("GetXMLDesc", 2) == dom.inactive
    dom.boot_and_destroy()
    dom.undefine()


# ---------------------------------------------------------------------------
# (b) Suspend and Shutdown together

def replay(events, start=S.RUNNING):
    """The state the events lead to from `start`."""
    st = start
    for ev, _ in events:
        assert st != S.SHUTOFF, f"an event after the guest stopped: {events}"
        st = {E.SUSPENDED: S.PAUSED, E.RESUMED: S.RUNNING, E.STOPPED: S.SHUTOFF}.get(ev, st)
    return st


@pytest.mark.parametrize("first", ["Suspend", "Shutdown"])
def test_suspend_and_shutdown_together(env, first):
    dom = RaceDom(env, f"ra-pair-{first.lower()}")
    dom.boot()
    m = env.mon.mark()
    calls = {"Suspend": [dom.path, DOMAIN, "Suspend", "", []],
             "Shutdown": [dom.path, DOMAIN, "Shutdown", "u", [0]]}
    order = [first, "Shutdown" if first == "Suspend" else "Suspend"]
    replies = Calls(env, [calls[x] for x in order]).replies()
    got = {order[r[0]]: (r[1], r[2]) for r in replies}
    assert [r[0] for r in replies] == [0, 1], f"not answered in the order sent: {replies}"
    assert got[first] == ("", ""), f"{first}, sent first on a running guest, failed: {replies}"
    # The state settles: a pressed button on a running guest ends in its poweroff.
    wait_until(lambda: dom.state()[0] in (S.PAUSED, S.SHUTOFF), BOOT_TIMEOUT,
               what=f"{dom.name} to be paused or shut off (it is {dom.state()})")
    # The signals reach the bus monitor a little after the state changed.
    try:
        wait_until(lambda: replay(dom.events(m)) == dom.state()[0], 15, 0.1, "the events")
    except TimeoutError:
        raise AssertionError(f"state {dom.state()} but the events say {dom.events(m)}") from None
    state, events = dom.state(), dom.events(m)
    if got["Suspend"][0]:
        # Only a guest that went away first may refuse a Suspend, and clearly.
        assert first == "Shutdown" and state[0] == S.SHUTOFF, (state, replies)
        assert got["Suspend"][0] == "org.virtbus.Error.OperationInvalid", replies
        assert re.search("not running|shutting down", got["Suspend"][1]), replies
        assert events == POWERED_OFF, events
    elif state[0] == S.PAUSED:
        assert state == PAUSED_USER and events == [(E.SUSPENDED, E.SUSPENDED_PAUSED)], (state, events)
        assert "job=" not in dom.status_attrs(), dom.status_attrs()
        # The press waits in the paused guest: resumed, it powers off.
        dom.call("Resume")
        env.mon.wait_domain_event(dom.path, E.STOPPED, E.STOPPED_SHUTDOWN, since=m,
                                  timeout=BOOT_TIMEOUT, root_path=QEMUD_PATH)
        assert dom.events(m) == [(E.SUSPENDED, E.SUSPENDED_PAUSED),
                                 (E.RESUMED, E.RESUMED_UNPAUSED)] + POWERED_OFF, dom.events(m)
    else:
        # Paused by the Suspend, then stopped: the guest had halted already.
        assert events in ([(E.SUSPENDED, E.SUSPENDED_PAUSED)] + POWERED_OFF,
                          POWERED_OFF[:1] + [(E.SUSPENDED, E.SUSPENDED_PAUSED)] + POWERED_OFF[1:]), events
    assert dom.state() == (S.SHUTOFF, 1), dom.state()
    assert dom.count(POWEROFF) == 1, f"the guest powered off {dom.count(POWEROFF)} times"
    dom.assert_all_released()
    dom.undefine()


def press_until_poweroff(dom, timeout=60):
    """Shutdown, pressed again if the guest missed it, until POWEROFF shows."""
    for _ in range(3):
        dom.call("Shutdown", 0)
        try:
            wait_until(lambda: dom.count(POWEROFF) >= 1, timeout / 3, what="POWEROFF")
            return
        except TimeoutError:
            continue
    raise AssertionError(f"{dom.name} never powered off; console:\n{h.tail(dom.serial, 10)}")


def test_suspend_after_the_guest_powered_off(env):
    """The window the pair above may hit, held open: the guest powered off
    (QEMU said SHUTDOWN) and qemud's "quit" has not reached QEMU yet. A
    Suspend then is refused (QEMU's "stop" of a halted guest would succeed
    and change nothing: no SUSPENDED would ever come), and the guest goes
    on to shut off."""
    dom = RaceDom(env, "ra-shutting-down")
    dom.boot()
    m = env.mon.mark()
    env.gate.hold(dom.uuid, "cmd", "quit")
    try:
        press_until_poweroff(dom)
        env.gate.wait_held(dom.uuid, "cmd", "quit", timeout=BOOT_TIMEOUT)
        assert dom.state()[0] == S.SHUTDOWN, dom.state()
        for method in ("Suspend", "Resume"):
            r = Calls(env, [[dom.path, DOMAIN, method, "", []]]).replies(timeout=30)
            assert r[0][1] == "org.virtbus.Error.OperationInvalid", (method, r)
            assert "shut" in r[0][2] and dom.name in r[0][2], (method, r)
        assert dom.state()[0] == S.SHUTDOWN, dom.state()
    finally:
        env.gate.release(dom.uuid, "cmd", "quit")
    env.mon.wait_domain_event(dom.path, E.STOPPED, E.STOPPED_SHUTDOWN, since=m, timeout=60,
                              root_path=QEMUD_PATH)
    assert dom.state() == (S.SHUTOFF, 1)
    assert dom.events(m) == POWERED_OFF, dom.events(m)
    dom.assert_all_released()
    dom.undefine()


def test_suspend_overtaken_by_the_poweroff(env):
    """Shutdown and Suspend together, the Suspend's "stop" held back until
    the guest has powered off: QEMU then answers "stop" with success and no
    STOP. The Suspend must not be answered as done (the guest never paused,
    no SUSPENDED comes): it fails, naming why, and the guest shuts off."""
    dom = RaceDom(env, "ra-overtaken")
    dom.boot()
    m = env.mon.mark()
    env.gate.hold(dom.uuid, "cmd", "stop")
    try:
        pair = Calls(env, [[dom.path, DOMAIN, "Shutdown", "u", [0]], [dom.path, DOMAIN, "Suspend", "", []]])
        env.gate.wait_held(dom.uuid, "cmd", "stop")
        env.mon.wait_domain_event(dom.path, E.SHUTDOWN, E.SHUTDOWN_GUEST, since=m, timeout=BOOT_TIMEOUT,
                                  root_path=QEMUD_PATH)
    finally:
        env.gate.release(dom.uuid, "cmd", "stop")
    replies = pair.replies()
    assert [r[0] for r in replies] == [0, 1] and replies[0][1] == "", replies
    assert replies[1][1] == "org.virtbus.Error.OperationInvalid", replies
    assert f"domain '{dom.name}' is shutting down" in replies[1][2], replies
    env.mon.wait_domain_event(dom.path, E.STOPPED, E.STOPPED_SHUTDOWN, since=m, timeout=60,
                              root_path=QEMUD_PATH)
    assert dom.state() == (S.SHUTOFF, 1)
    assert dom.events(m) == POWERED_OFF, dom.events(m)
    dom.assert_all_released()
    dom.undefine()


# ---------------------------------------------------------------------------
# (c) Undefine during Create

def test_undefine_during_create(env):
    dom = RaceDom(env, "ra-undefine")
    dom.clear_console()
    m = env.mon.mark()
    env.gate.hold(dom.uuid, "cmd", "cont")
    try:
        create = Calls(env, [[dom.path, DOMAIN, "Create", "u", [0]]])
        env.gate.wait_held(dom.uuid, "cmd", "cont")
        undefine = Calls(env, [[dom.path, DOMAIN, "Undefine", "u", [0]]])
        time.sleep(0.5)             # time to be wrongly answered; it must wait
        assert not undefine.answered(), "Undefine did not wait for the start"
        assert env.qemud.get_property(dom.path, DOMAIN, "Persistent") is True
    finally:
        env.gate.release(dom.uuid, "cmd", "cont")
    assert create.replies() == [[0, "", "", None]]
    assert undefine.replies() == [[0, "", "", None]]
    assert dom.state() == (S.RUNNING, 1)
    assert env.qemud.get_property(dom.path, DOMAIN, "Persistent") is False
    conf = env.root / "etc" / "virtbus" / "qemu" / f"{dom.name}.xml"
    assert not conf.exists(), "the definition is still on disk"
    dom.wait_marker(READY)
    # The transient guest goes when it stops: here by its own poweroff.
    for _ in range(3):
        dom.call("Shutdown", 0)
        try:
            wait_until(lambda: dom.path not in env.qemud.call("ListDomains", 0), 20,
                       what=f"{dom.name} to power off and go")
            break
        except TimeoutError:
            continue                # a press lost in a busy guest: pressed again
    assert dom.path not in env.qemud.call("ListDomains", 0), f"{dom.name} is still there"
    assert dom.count(POWEROFF) >= 1
    assert dom.events(m) == [(E.STARTED, E.STARTED_BOOTED), (E.UNDEFINED, 0)] + POWERED_OFF, dom.events(m)
    dom.assert_all_released()
    assert dom.files() == [], f"left on disk: {dom.files()}"


def test_undefine_during_a_create_that_fails(env):
    """Destroy breaks into the start while Undefine waits: Create's error
    reaches its caller, then Undefine runs, and the domain is gone."""
    dom = RaceDom(env, "ra-undefine-fail")
    m = env.mon.mark()
    env.gate.hold(dom.uuid, "cmd", "cont")
    try:
        create = Calls(env, [[dom.path, DOMAIN, "Create", "u", [0]]])
        env.gate.wait_held(dom.uuid, "cmd", "cont")
        undefine = Calls(env, [[dom.path, DOMAIN, "Undefine", "u", [0]]])
        time.sleep(0.5)
        assert not undefine.answered(), "Undefine did not wait for the start"
        dom.call("Destroy", 0)
        c, u = create.replies(), undefine.replies()
    finally:
        env.gate.release(dom.uuid, "cmd", "cont")
    assert c[0][1] == "org.virtbus.Error.OperationAborted" and "destroyed while starting" in c[0][2], c
    assert u == [[0, "", "", None]], u
    assert dom.path not in env.qemud.call("ListDomains", 0)
    assert dom.events(m) == [(E.UNDEFINED, 0)], dom.events(m)
    dom.assert_all_released()
    assert dom.files() == [], f"left on disk: {dom.files()}"


# ---------------------------------------------------------------------------
# (d) a client that disconnects mid-call

def assert_next_call_runs_at_once(dom):
    """No job is left behind: a modify call gets its turn at once (a stuck
    job would make it wait JOB_TIMEOUT_MS and fail OperationTimeout)."""
    assert "job=" not in dom.status_attrs(), dom.status_attrs()
    t0 = time.monotonic()
    if dom.state()[0] == S.RUNNING:
        dom.call("Suspend")
        assert dom.state() == PAUSED_USER
        dom.call("Resume")
        assert dom.state() == (S.RUNNING, 5)
    else:
        dom.clear_console()
        dom.call("Create", 0)
        assert dom.state() == (S.RUNNING, 1)
    took = time.monotonic() - t0
    assert took < JOB_TIMEOUT_MS / 1000, f"the next call waited {took:.1f}s"
    dom.wait_marker(READY)


def test_client_gone_mid_create(env):
    dom = RaceDom(env, "ra-gone-create")
    dom.clear_console()
    m = env.mon.mark()
    env.gate.hold(dom.uuid, "cmd", "cont")
    try:
        create = Calls(env, [[dom.path, DOMAIN, "Create", "u", [0]]])
        env.gate.wait_held(dom.uuid, "cmd", "cont")
        create.kill()
    finally:
        env.gate.release(dom.uuid, "cmd", "cont")
    # The start goes on without its caller.
    wait_until(lambda: dom.state() == (S.RUNNING, 1), 60, what=f"{dom.name} to run ({dom.state()})")
    dom.wait_marker(READY)
    assert env.qemud.alive()
    assert_next_call_runs_at_once(dom)
    dom.call("Destroy", 0)
    dom.assert_all_released()
    assert dom.events(m) == [(E.STARTED, E.STARTED_BOOTED), (E.SUSPENDED, E.SUSPENDED_PAUSED),
                             (E.RESUMED, E.RESUMED_UNPAUSED), (E.STOPPED, E.STOPPED_DESTROYED)], dom.events(m)
    dom.undefine()


def test_client_gone_mid_shutdown(env):
    dom = RaceDom(env, "ra-gone-shutdown")
    dom.boot()
    m = env.mon.mark()
    env.gate.hold(dom.uuid, "cmd", "system_powerdown")
    try:
        shutdown = Calls(env, [[dom.path, DOMAIN, "Shutdown", "u", [0]]])
        env.gate.wait_held(dom.uuid, "cmd", "system_powerdown")
        shutdown.kill()
    finally:
        env.gate.release(dom.uuid, "cmd", "system_powerdown")
    # The press reaches the guest, which powers off (pressed again if a busy
    # guest missed it: the race is over by then).
    try:
        wait_until(lambda: dom.count(POWEROFF) >= 1, 20, what="POWEROFF")
    except TimeoutError:
        press_until_poweroff(dom)
    wait_until(lambda: dom.state()[0] == S.SHUTOFF, BOOT_TIMEOUT,
               what=f"{dom.name} to power off ({dom.state()}); console:\n{h.tail(dom.serial, 5)}")
    assert dom.state() == (S.SHUTOFF, 1) and dom.count(POWEROFF) == 1
    assert dom.events(m) == POWERED_OFF, dom.events(m)
    dom.assert_all_released()
    assert env.qemud.alive()
    assert_next_call_runs_at_once(dom)          # the next Create boots it
    dom.call("Destroy", 0)
    dom.assert_all_released()
    dom.undefine()


def test_client_gone_mid_create_xml(env):
    dom = RaceDom(env, "ra-gone-createxml", define=False)
    dom.clear_console()
    m = env.mon.mark()
    env.gate.hold(dom.uuid, "cmd", "cont")
    try:
        create = Calls(env, [[QEMUD_PATH, CONNECT, "DomainCreateXML", "su", [dom.xml, 0]]])
        env.gate.wait_held(dom.uuid, "cmd", "cont")
        create.kill()
    finally:
        env.gate.release(dom.uuid, "cmd", "cont")
    wait_until(lambda: dom.path in env.qemud.call("ListDomains", 0) and dom.state() == (S.RUNNING, 1),
               60, what=f"the transient {dom.name} to run")
    dom.wait_marker(READY)
    assert env.qemud.get_property(dom.path, DOMAIN, "Persistent") is False
    assert_next_call_runs_at_once(dom)
    dom.call("Destroy", 0)
    wait_until(lambda: dom.path not in env.qemud.call("ListDomains", 0), 15, what="the transient domain to go")
    dom.assert_all_released()
    assert dom.files() == [], f"left on disk: {dom.files()}"
    assert dom.events(m) == [(E.STARTED, E.STARTED_BOOTED), (E.SUSPENDED, E.SUSPENDED_PAUSED),
                             (E.RESUMED, E.RESUMED_UNPAUSED), (E.STOPPED, E.STOPPED_DESTROYED)], dom.events(m)


# ---------------------------------------------------------------------------
# (e) qemud SIGKILLed in the middle of a start, at the phases
# test_qemud_start_rollback does not reach

def logd_pid(env):
    env.bus.call(LOGD, LOGD_PATH, "org.freedesktop.DBus.Peer", "Ping")     # activates logd
    return env.bus.name_owner_pid(LOGD)


@pytest.mark.parametrize("phase", ["log", "cont", "cont-answer"])
def test_killed_mid_start(env, phase):
    dom = RaceDom(env, f"ra-kill-{phase}")
    dom.clear_console()
    logd = None
    if phase == "log":
        logd = logd_pid(env)
        env.hold(logd)
    elif phase == "cont":
        env.gate.hold(dom.uuid, "cmd", "cont")
    else:
        env.gate.hold(dom.uuid, "reply", "cont")        # QEMU runs the guest; qemud waits
    try:
        create = Calls(env, [[dom.path, DOMAIN, "Create", "u", [0]]])
        if phase == "log":
            wait_until(lambda: job_phase(dom, "log"), 30, what=f"the start at phase log: {dom.status_attrs()}")
            time.sleep(0.5)         # the request is on its way to the held logd
            assert not qemu_pids_of(dom.uuid) and job_phase(dom, "log")
        else:
            env.gate.wait_held(dom.uuid, *(("cmd", "cont") if phase == "cont" else ("reply", "cont")))
        qemu = qemu_pids_of(dom.uuid)
        assert dom.state() == STARTING
        m = env.restart_qemud()
        create_replies = create.replies()
        # Rolled back while the hold still lasts: nothing waits for it.
        env.mon.wait_domain_event(dom.path, E.STOPPED, E.STOPPED_FAILED, since=m, timeout=30,
                                  root_path=QEMUD_PATH)
    finally:
        if logd is not None and logd in env.stopped_pids():
            env.release(logd)
        env.gate.clear()
    assert create_replies[0][1] != "", f"Create succeeded though qemud was killed: {create_replies}"
    for pid in qemu:
        wait_until(lambda: h._is_zombie_or_gone(pid), 30, what=f"QEMU {pid} to be gone")
    assert dom.state() == (S.SHUTOFF, SHUTOFF_FAILED)
    dom.assert_nothing_left()
    dom.assert_all_released()
    assert dom.events(m) == [(E.STOPPED, E.STOPPED_FAILED)], dom.events(m)
    dom.boot_and_destroy()
    dom.undefine()
