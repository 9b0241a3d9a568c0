# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault injection: each daemon is SIGKILLed at random moments of its long
operations, over several rounds, and started again. After each restart
nothing it answered OK for is lost, and nothing a half-done operation
started is leaked: definitions, guests, leases, bridges, dnsmasq, firewall
rules, children, temp files, log bytes.

Every round also leaves a stale atomic-write temp file (<file>.tmp.<dead
pid>) in the daemon's conf and run dirs, as a kill between the write and the
rename does: the restarted daemon must remove it.

The seed is printed (VIRTBUS_FAULT_SEED replays a run); VIRTBUS_FAULT_ROUNDS
sets the number of rounds. A failure names the round, the delay before the
kill and what was lost or leaked."""

import os
import re
import subprocess
import sys
import threading
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET
from pathlib import Path

import dbus
import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from faults_common import (CallLoop, FaultEnv, Faults, alive, children_of, foreign_processes, op,
                           plant_stale_tmp, proc_cmdline, qemu_pids, settle, stray_tmp_files)

# More rounds (VIRTBUS_FAULT_ROUNDS) need more time: a Create round takes a few
# seconds on a loaded 2-core host.
pytestmark = pytest.mark.timeout(max(240, 20 * int(os.environ.get("VIRTBUS_FAULT_ROUNDS") or 0)))

MiB = 1 << 20
QEMUD_ROOT = "/org/virtbus/qemud"
CONNECT = "org.libvirt.Connect"
DOMAIN = "org.libvirt.Domain"
BUSY = "org.virtbus.Error.ResourceBusy"
# What a call in flight gets when the daemon dies (or is already gone).
GONE = {"org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner", "org.freedesktop.DBus.Error.Disconnected"}


@pytest.fixture
def fenv():
    e = FaultEnv()
    yield e
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def check(problems, where):
    assert not problems, where + ":\n  - " + "\n  - ".join(problems)


def clear_tmp(env):
    """Removes the temp files a round reported, so that the next round
    reports only its own."""
    for p in stray_tmp_files(env.root):
        pid = p.rsplit(".tmp.", 1)[1]
        if not (pid.isdigit() and alive(int(pid))):      # never a write in progress
            Path(p).unlink(missing_ok=True)


def plant(env, *dirs, stem):
    """One stale temp file in each of `dirs` (relative to the root)."""
    return [plant_stale_tmp(Path(env.root) / d, stem) for d in dirs]


def tmp_problems(env, planted=()):
    """Temp files still there after the restart: the planted ones, and those
    the kill itself left. (A running daemon may be between a write and its
    rename: only what stays counts.)"""
    left = settle(lambda: stray_tmp_files(env.root), 3)
    planted = {str(p) for p in planted}
    out = []
    mine = [p for p in left if p in planted]
    real = [p for p in left if p not in planted]
    if real:
        out.append(f"temp files left by the kill are still there after the restart: {real}")
    if mine:
        out.append(f"stale temp files (planted: a kill between write and rename) are still "
                   f"there after the restart: {mine}")
    return out


def loop_outcome(loop, f, where):
    """(ok, maybe): the calls answered OK, and the one in flight at the kill
    (None if the kill fell between two calls). A real error fails the test."""
    ok, failed, unanswered = loop.finish()
    bad = [(i, loop.error_of(i)) for i in failed
           if loop.error_of(i).split(":")[0] not in GONE]
    assert not bad, f"{where}: calls failed before the kill: {bad}"
    cut = sorted(failed + unanswered)
    return ok, (cut[0] if cut else None)


def kill_after_calls(fenv, f, name, ops, most_calls, most_jitter):
    """A call loop running ops against `name`, the daemon SIGKILLed once a
    random number of calls (1 to most_calls) were answered and a random
    jitter (up to most_jitter s) later. Returns (loop, calls, jitter)."""
    loop = CallLoop(fenv, fenv.unique_name(name), ops)
    k = f.randint(1, most_calls)
    jitter = f.uniform(0, most_jitter)
    loop.wait_answered(k)
    time.sleep(jitter)
    fenv.kill(name)
    return loop, k, jitter

def timed(spans, call):
    """call(), its duration appended to spans."""
    t0 = time.monotonic()
    call()
    spans.append(time.monotonic() - t0)


def create_spans(fenv, name, create, after):
    """How long a Create takes on a freshly started `name` (the rounds kill
    within such a span): twice the daemon killed and started again, create()
    timed, then after() (its checks and a Destroy). Returns the spans."""
    spans = []
    for _ in range(2):
        fenv.kill(name)
        fenv.restart(name)
        timed(spans, create)
        after()
    return spans


def kill_during_create(fenv, f, rnd, spans, name, create_op, plant_dirs, stem):
    """A round's kill: create_op sent to `name` by a call loop, the daemon
    SIGKILLed after a random delay of up to 1.4 times the mean of the last
    three spans, a stale temp file planted in each of plant_dirs, the daemon
    started again. Returns (where, ok, told, stale): the head of the round's
    messages, the calls answered OK, what the caller was told, the planted
    files."""
    span = sum(spans[-3:]) / len(spans[-3:])
    delay = f.uniform(0, span * 1.4)
    loop = CallLoop(fenv, fenv.unique_name(name), [create_op])
    h.wait_until(lambda: loop.entries(), 30, 0.002, "the Create to be sent")
    time.sleep(delay)
    fenv.kill(name)
    where = f.where(rnd, delay=delay, create_takes=span)
    ok, _, _ = loop.finish()
    told = "answered OK" if ok else (loop.error_of(0) or "no answer:").split(":")[0]
    stale = plant(fenv, *plant_dirs, stem=stem)
    fenv.restart(name)
    return where, ok, told, stale


# ---------------------------------------------------------------------------
# qemud: DomainDefineXML / Undefine in a loop

def domain_memory_mib(xml):
    m = ET.fromstring(xml).find("memory")
    unit = (m.get("unit") or "KiB").lower()
    scale = {"b": 1, "bytes": 1, "kib": 1024, "k": 1024, "mib": MiB, "m": MiB, "gib": 1 << 30}
    return int(m.text) * scale[unit] // MiB


def test_qemud_define_undefine_loop(fenv, guest):
    """A client defines, redefines and undefines domains in a loop; qemud is
    killed after a random number of answers. Every answered define is there
    with the XML of its last answered version, every answered undefine is
    gone, each definition file parses, no temp file is left."""
    f = Faults("qemud-define", default_rounds=20)
    qemud = fenv.start("qemud")
    conf_dir = Path(fenv.root) / "etc/virtbus/qemu"
    kind = "kvm" if h.kvm_available() else "qemu"
    for rnd in f.rounds():
        names = [f"def{rnd}x{i}" for i in range(6)]
        uuids = {n: f.uuid() for n in names}
        ops, effects = [], []     # effects[i] = (name, memory MiB or None for undefine)
        for i in range(40):
            n = f.choice(names)
            if i % 4 == 3:
                ops.append(op(h.domain_path(QEMUD_ROOT, uuids[n]), DOMAIN, "Undefine", "u", 0,
                              stop_on_error=False))
                effects.append((n, None))
            else:
                mem = 64 + i
                xml = h.guest_domain_xml(guest, n, uuid=uuids[n], memory_mib=mem, nic=None,
                                         domain_type=kind)
                ops.append(op(QEMUD_ROOT, CONNECT, "DomainDefineXML", "s", xml))
                effects.append((n, mem))
        loop, k, jitter = kill_after_calls(fenv, f, "qemud", ops, 30, 0.02)
        where = f.where(rnd, after_calls=k, delay=jitter)
        # An Undefine of a name not defined yet is refused (NoDomain): that is
        # an answer too, with no effect.
        done, failed, unanswered = loop.finish()
        refused = {i for i in failed if (loop.error_of(i) or "").startswith(
            "org.virtbus.Error.NoDomain") or "UnknownObject" in (loop.error_of(i) or "")}
        other = [(i, loop.error_of(i)) for i in failed if i not in refused
                 and loop.error_of(i).split(":")[0] not in GONE]
        assert not other, f"{where}: calls failed before the kill: {other}"
        cut = sorted(set(failed + unanswered) - refused)
        maybe = cut[0] if cut else None
        last = maybe if maybe is not None else len(ops)
        stale = plant(fenv, "etc/virtbus/qemu", "run/virtbus/qemu", stem=f"{names[0]}.xml")
        fenv.restart("qemud")

        # What the client was promised: the calls answered before the cut.
        want = {}
        problems = []
        for i in range(last):
            n, mem = effects[i]
            if i in refused:
                if want.get(n) is not None:
                    problems.append(f"call {i}: Undefine of {n} was refused ({loop.error_of(i)}) "
                                    f"though it was defined")
                continue
            want[n] = mem
        got = {}
        for path in qemud.call("ListDomains", 0):
            name = qemud.get_property(path, DOMAIN, "Name")
            if name not in names:
                continue
            xml = qemud.domain_call(path, "GetXMLDesc", 0)
            try:
                got[name] = domain_memory_mib(xml)
                if ET.fromstring(xml).findtext("uuid") != uuids[name]:
                    problems.append(f"{name}: the XML read back has uuid "
                                    f"{ET.fromstring(xml).findtext('uuid')}, not {uuids[name]}")
            except (ET.ParseError, AttributeError, KeyError, ValueError, TypeError) as e:
                problems.append(f"{name}: the XML read back is broken ({e}): {xml[:200]!r}")
            cf = conf_dir / f"{name}.xml"
            try:
                ET.parse(cf)
            except (OSError, ET.ParseError) as e:
                problems.append(f"{name}: its definition file {cf} is broken or missing: {e}")
        for n in names:
            options = {want.get(n)}
            if maybe is not None and effects[maybe][0] == n:
                options.add(effects[maybe][1])     # the call in flight may have happened
            if got.get(n) not in options:
                def show(v):
                    return "undefined" if v is None else f"defined with {v} MiB"
                problems.append(f"{n}: {show(got.get(n))} after the restart, the client was "
                                f"told {show(want.get(n))}"
                                + (f" (call {maybe} in flight: {effects[maybe]})"
                                   if maybe is not None and effects[maybe][0] == n else ""))
        for p in conf_dir.glob("*.xml"):
            if p.stem in names and p.stem not in got:
                problems.append(f"{p} is on disk but {p.stem} is not listed")
        problems += tmp_problems(fenv, stale)
        f.report(where + f" ({len(done)} answered OK, call in flight: {maybe})", problems)
        for name in got:
            qemud.domain_call(qemud.call("DomainLookupByName", name), "Undefine", 0)
        clear_tmp(fenv)
    f.verdict()


# ---------------------------------------------------------------------------
# qemud: Domain.Create

STATE_NAMES = {S.NOSTATE: "no state", S.RUNNING: "running", S.BLOCKED: "blocked",
               S.PAUSED: "paused", S.SHUTDOWN: "shutting down", S.SHUTOFF: "shut off",
               S.CRASHED: "crashed", S.PMSUSPENDED: "pm-suspended"}
# libvirt's virDomainPausedReason, the ones a half-done start shows
PAUSED_REASONS = {0: "unknown", 1: "user", 11: "starting up"}


def state_text(st):
    name = STATE_NAMES.get(st[0], "?")
    if st[0] == S.PAUSED:
        name += f", {PAUSED_REASONS.get(st[1], 'reason')}"
    return f"{tuple(st)} ({name})"


LOCK1 = "org.virtbus.Lock1"


def leases_on(env, disk):
    return [tuple(l) for l in env.daemons["lockd"].call("ListLeases", interface=LOCK1)
            if l[0] == str(disk)]


def lease_free(env, disk, f, rnd):
    """True when another owner can take the disk's lease (it then drops it)."""
    probe = h.spawn(["sleep", "60"])
    owner = str(uuidlib.uuid4())
    try:
        env.daemons["lockd"].call("Acquire", str(disk), owner, f"probe{rnd}", probe.pid, 0,
                                  interface=LOCK1)
    except dbus.exceptions.DBusException as e:
        if e.get_dbus_name() == BUSY:
            return False
        raise
    finally:
        probe.kill()
        probe.wait()
    env.daemons["lockd"].call("ReleaseOwner", owner, interface=LOCK1)
    return True


def test_qemud_create(fenv, guest):
    """Domain.Create (a guest with a leased disk) with qemud killed at a
    random point of it. After the restart the guest is running (one QEMU, its
    lease held; Destroy leaves nothing) or shut off (no QEMU, lease free), and
    Create works again."""
    f = Faults("qemud-create", default_rounds=16)
    fenv.start("lockd")
    fenv.start("logd")
    qemud = fenv.start("qemud")
    disk = Path(fenv.root) / "create.img"
    with open(disk, "wb") as fh:
        fh.truncate(MiB)
    uuid = str(uuidlib.uuid4())
    kind = "kvm" if h.kvm_available() else "qemu"
    xml = h.guest_domain_xml(guest, "crash", uuid=uuid, memory_mib=128, nic=None, disks=[disk],
                             domain_type=kind, serial_log=Path(fenv.root) / "crash.serial")
    path = qemud.call("DomainDefineXML", xml)

    def destroy_and_check(what):
        """Destroy; no QEMU and no lease may stay."""
        out = []
        qemud.domain_call(path, "Destroy", 0)
        left = settle(lambda: qemu_pids(uuid), 10)
        if left:
            out.append(f"{what}: Destroy left QEMU running: pids {left}")
        held = settle(lambda: leases_on(fenv, disk), 5)
        if held:
            out.append(f"{what}: the lease on {disk} is still held after Destroy: {held}")
        return out

    # How long a Create takes here: the kills are spread over it. Each round's
    # Create is the first of a freshly started qemud, which takes longer than
    # the next ones: so is each one measured here, and so is the Create of
    # each round after the restart. The mean of the last three follows the
    # load of the host.
    def create():
        qemud.domain_call(path, "Create", 0)

    def running_then_destroy():
        assert qemud.domain_call(path, "GetState", 0)[0] == S.RUNNING
        check(destroy_and_check("a Create before any kill"), "before any kill")

    spans = create_spans(fenv, "qemud", create, running_then_destroy)
    span = sum(spans) / len(spans)
    print(f"[qemud-create] a Create takes {span:.3f}s ({kind}; {spans})", flush=True)

    for rnd in f.rounds():
        where, ok, told, stale = kill_during_create(
            fenv, f, rnd, spans, "qemud", op(path, DOMAIN, "Create", "u", 0),
            ("etc/virtbus/qemu", "run/virtbus/qemu"), "crash.xml")
        problems = []
        # A start cut short may be rolled back (or finished) after the
        # restart, not before: what counts is where the guest settles.
        first = tuple(qemud.domain_call(path, "GetState", 0))
        t_settle = time.monotonic()
        state = first
        while state[0] not in (S.RUNNING, S.SHUTOFF) and time.monotonic() - t_settle < 10:
            time.sleep(0.1)
            state = tuple(qemud.domain_call(path, "GetState", 0))
        if state != first:
            print(f"[qemud-create] round {rnd}: {state_text(first)} right after the restart, "
                  f"{state_text(state)} {time.monotonic() - t_settle:.1f}s later", flush=True)
        pids = qemu_pids(uuid)
        if state[0] == S.RUNNING:
            if len(pids) != 1:
                problems.append(f"reported running, but the QEMU processes of the guest are "
                                f"{pids}")
            held = leases_on(fenv, disk)
            if not any(l[3] in pids for l in held):
                problems.append(f"reported running (QEMU {pids}), but no lease on {disk} is "
                                f"held for it: {held}")
            problems += destroy_and_check("reported running after the restart")
        elif state[0] == S.SHUTOFF:
            if ok:
                problems.append("Create was answered OK but the guest is shut off after the "
                                "restart")
            left = settle(lambda: qemu_pids(uuid), 10)
            if left:
                problems.append(f"reported shut off {state}, but QEMU still runs: pids "
                                f"{left} ({'; '.join(qemu_cmd_head(p) for p in left)})")
            held = settle(lambda: leases_on(fenv, disk), 5)
            if held:
                problems.append(f"reported shut off, but the lease on {disk} is held: {held}")
            elif not lease_free(fenv, disk, f, rnd):
                problems.append(f"reported shut off, but another owner cannot take the lease "
                                f"on {disk} (ResourceBusy)")
        else:
            problems.append(f"state after the restart is {state_text(state)}, still 10 s later: "
                            f"neither running nor shut off (QEMU pids {pids})")
            try:
                problems += destroy_and_check(f"state {state}")
            except dbus.exceptions.DBusException as e:
                problems.append(f"Destroy in state {state} failed: {e.get_dbus_name()}: "
                                f"{e.get_dbus_message()}")
        # Create works again, and stops cleanly.
        try:
            timed(spans, create)                   # the first Create of this qemud
            st = tuple(qemud.domain_call(path, "GetState", 0))
            if st[0] != S.RUNNING:
                problems.append(f"Create after the restart left the state at {st}")
            problems += destroy_and_check("the Create after the restart")
        except dbus.exceptions.DBusException as e:
            problems.append(f"Create after the restart failed: {e.get_dbus_name()}: "
                            f"{e.get_dbus_message()}")
        problems += tmp_problems(fenv, stale)
        # A leak must not spoil the next round.
        for pid in qemu_pids(uuid):
            os.kill(pid, 9)
        settle(lambda: qemu_pids(uuid), 10)
        clear_tmp(fenv)
        f.report(where + f" (Create {told}; state after restart {state_text(state)})", problems)
    f.verdict()


def qemu_cmd_head(pid):
    cmd = proc_cmdline(pid) or ""
    return f"{pid}: {cmd[:60]}...{' -S' if ' -S ' in cmd + ' ' else ''}"


# ---------------------------------------------------------------------------
# storaged: StorageVol1.Upload

STORAGED = "org.virtbus.storaged"
STORAGED_ROOT = "/org/virtbus/storaged"
POOL = "org.libvirt.StoragePool"
VOL = "org.libvirt.StorageVol"
VOL1 = "org.virtbus.StorageVol1"


class Feeder(threading.Thread):
    """Writes `total` bytes into a pipe at about `rate` bytes/s until told to
    stop (the reader may be gone: nothing blocks forever)."""

    def __init__(self, wfd, total, rate):
        super().__init__(daemon=True)
        os.set_blocking(wfd, False)
        self.wfd, self.total, self.rate = wfd, total, rate
        self.sent = 0
        self.stop = threading.Event()

    def run(self):
        block = os.urandom(64 * 1024)
        t0 = time.monotonic()
        try:
            while self.sent < self.total and not self.stop.is_set():
                if self.sent > (time.monotonic() - t0) * self.rate:
                    time.sleep(0.005)
                    continue
                try:
                    self.sent += os.write(self.wfd, block[:self.total - self.sent])
                except BlockingIOError:
                    time.sleep(0.005)
                except BrokenPipeError:
                    break
        finally:
            os.close(self.wfd)


def test_storaged_upload(fenv):
    """An Upload from a pipe fed at a steady rate, storaged killed during the
    transfer. After the restart the pool and its volumes are listed with
    their capacity and no job, the pool's directory holds only the volumes,
    storaged has no children and left no process, a new Upload works."""
    f = Faults("storaged-upload", default_rounds=10)
    sd = fenv.start("storaged")
    target = Path(fenv.root) / "pool"

    def call(path, iface, method, *args, **kw):
        return fenv.bus.call(STORAGED, path, iface, method, *args, **kw)

    pool = call(STORAGED_ROOT, CONNECT, "StoragePoolDefineXML",
                f"<pool type='dir'><name>fp</name><target><path>{target}</path></target></pool>",
                0)
    call(pool, POOL, "Build", 0)
    call(pool, POOL, "Create", 0)
    size = 8 * MiB
    vols = {}
    for rnd in f.rounds():
        name = f"up{rnd}.img"
        vols[name] = call(pool, POOL, "StorageVolCreateXML",
                          f"<volume><name>{name}</name><capacity unit='bytes'>{size}</capacity>"
                          f"<target><format type='raw'/></target></volume>", 0)
        r, w = os.pipe()
        feeder = Feeder(w, size, rate=12 * MiB)       # about 0.7 s of transfer
        loop = CallLoop(fenv, fenv.unique_name("storaged"),
                        [op(vols[name], VOL1, "Upload", "httu", {"fd": r}, 0, size, 0)],
                        pass_fds=[r])
        os.close(r)
        h.wait_until(lambda: loop.entries(), 30, 0.002, "the Upload to be sent")
        feeder.start()
        delay = f.uniform(0.02, 0.6)
        time.sleep(delay)
        sent = feeder.sent
        fenv.kill("storaged")
        feeder.stop.set()
        feeder.join(10)
        where = f.where(rnd, delay=delay, fed=f"{sent} bytes")
        ok, _, _ = loop.finish()
        stale = plant(fenv, "etc/virtbus/storage", "run/virtbus/storage", stem="fp.xml")
        fenv.restart("storaged")
        problems = []
        # the pool and every volume made so far, with their capacity
        if pool not in call(STORAGED_ROOT, CONNECT, "ListStoragePools", 0):
            problems.append(f"the pool {pool} is not listed after the restart")
        elif not fenv.bus.get_property(STORAGED, pool, POOL, "Active"):
            problems.append("the pool is not active after the restart")
        else:
            listed = sorted(call(pool, POOL, "ListStorageVolumes", 0))
            if listed != sorted(vols.values()):
                problems.append(f"volumes listed {listed}, made {sorted(vols.values())}")
            for vname, vpath in vols.items():
                try:
                    info = call(vpath, VOL, "GetInfo", 0)
                    if info[1] != size:
                        problems.append(f"{vname}: capacity {info[1]}, not {size}")
                    job = fenv.bus.get_property(STORAGED, vpath, VOL1, "Job")
                    if job:
                        problems.append(f"{vname}: a job '{job}' is still shown after the restart")
                except dbus.exceptions.DBusException as e:
                    problems.append(f"{vname}: {e.get_dbus_name()}: {e.get_dbus_message()}")
            jobs = call(STORAGED_ROOT, "org.virtbus.Storage1", "ListJobs")
            if jobs:
                problems.append(f"ListJobs after the restart: {jobs}")
        on_disk = sorted(p.name for p in target.iterdir())
        if on_disk != sorted(vols):
            problems.append(f"files in the pool's directory: {on_disk}, volumes: {sorted(vols)}")
        kids = settle(lambda: children_of(sd.pid), 5)
        if kids:
            problems.append(f"storaged has children at rest: "
                            f"{[(k, proc_cmdline(k)) for k in kids]}")
        leaked = settle(lambda: foreign_processes(fenv), 5)
        if leaked:
            problems.append(f"processes left by the killed storaged: {leaked}")
        # a new Upload works and the bytes arrive
        data = os.urandom(3 * MiB)
        src = Path(fenv.root) / "src.bin"
        src.write_bytes(data)
        fd = os.open(src, os.O_RDONLY)
        try:
            n = call(vols[name], VOL1, "Upload", dbus.types.UnixFd(fd), dbus.UInt64(0),
                     dbus.UInt64(0), dbus.UInt32(0), signature="httu")
            got = (target / name).read_bytes()[:len(data)]
            if n != len(data) or got != data:
                problems.append(f"the Upload after the restart moved {n} bytes; the volume "
                                f"{'holds them' if got == data else 'does not hold them'}")
        except dbus.exceptions.DBusException as e:
            problems.append(f"the Upload after the restart failed: {e.get_dbus_name()}: "
                            f"{e.get_dbus_message()}")
        finally:
            os.close(fd)
        problems += tmp_problems(fenv, stale)
        clear_tmp(fenv)
        f.report(where + f" (Upload {'answered OK' if ok else 'not answered'})", problems)
    f.verdict()


# ---------------------------------------------------------------------------
# lockd: leases taken in a loop

def test_lockd_leases(fenv):
    """Owners (sleep processes) take leases in a loop; lockd is killed after
    a random number of answers and some owners die while it is away. After
    the restart every answered lease of a live owner is listed and refused
    to another owner (ResourceBusy); none of a dead owner is held."""
    f = Faults("lockd-leases", default_rounds=16)
    lockd = fenv.start("lockd")

    def lcall(method, *args):
        return lockd.call(method, *args, interface=LOCK1)

    for rnd in f.rounds():
        owners = []
        for i in range(4):
            p = h.spawn(["sleep", "600"])
            owners.append({"uuid": f.uuid(), "name": f"o{rnd}x{i}", "proc": p})
        probe = h.spawn(["sleep", "600"])
        probe_uuid = f.uuid()
        acq = []        # (resource, owner index)
        ops = []
        for j in range(16):
            i = f.randint(0, len(owners) - 1)
            res = f"/images/r{rnd}-{j}.img"
            o = owners[i]
            acq.append((res, i))
            ops.append(op("/org/virtbus/lockd", LOCK1, "Acquire", "sssuu", res, o["uuid"],
                          o["name"], o["proc"].pid, 0, pause=0.004))
        loop, k, jitter = kill_after_calls(fenv, f, "lockd", ops, 12, 0.01)
        ok, maybe = loop_outcome(loop, f, f.where(rnd, after_calls=k, delay=jitter))
        # Some owners die while lockd is away: their leases must not come back.
        dead = set(f.sample(range(len(owners)), f.randint(1, 2)))
        for i in dead:
            owners[i]["proc"].kill()
            owners[i]["proc"].wait()
        where = f.where(rnd, after_calls=k, delay=jitter,
                        dead_owners=",".join(owners[i]["name"] for i in sorted(dead)))
        fenv.restart("lockd")
        problems = []
        listed = {l[0]: l for l in lcall("ListLeases")}
        for j, (res, i) in enumerate(acq):
            o = owners[i]
            in_flight = j == maybe
            promised = j in ok
            held = res in listed
            if held and listed[res][1] != o["uuid"]:
                problems.append(f"{res}: listed for owner {listed[res][1]}, taken by {o['name']}")
            if i in dead:
                if held:
                    problems.append(f"{res}: lease of the dead owner {o['name']} (pid "
                                    f"{o['proc'].pid}) is listed after the restart")
            elif promised and not held:
                problems.append(f"{res}: lease of the live owner {o['name']} (pid "
                                f"{o['proc'].pid}), answered OK, is not listed after the restart")
            elif not promised and not in_flight and held:
                problems.append(f"{res}: listed, but its Acquire was never answered OK")
            if not (promised or in_flight or held):
                continue
            # what another owner meets
            try:
                lcall("Acquire", res, probe_uuid, f"probe{rnd}", probe.pid, 0)
                taken = True
            except dbus.exceptions.DBusException as e:
                if e.get_dbus_name() != BUSY:
                    raise
                taken = False
            if taken:
                lcall("Release", res, probe_uuid, 0)
                if i not in dead and (promised or held):
                    problems.append(f"{res}: another owner got the lease of the live owner "
                                    f"{o['name']} (pid {o['proc'].pid}) after the restart")
            elif i in dead:
                problems.append(f"{res}: ResourceBusy for another owner, but its owner "
                                f"{o['name']} died while lockd was away")
        stray = settle(lambda: stray_tmp_files(fenv.root), 3)
        if stray:
            problems.append(f"temp files after the restart: {stray}")
        f.report(where + f" ({len(ok)} Acquire answered OK, in flight: {maybe})", problems)
        # end of round: every owner goes, and with them their leases
        for o in owners:
            o["proc"].kill()
            o["proc"].wait()
        probe.kill()
        probe.wait()
        left = settle(lambda: [l for l in lcall("ListLeases") if l[0].startswith(f"/images/r{rnd}-")],
                      10)
        assert not left, f"{where}: leases of dead owners stay: {left}"
        clear_tmp(fenv)
    f.verdict()


# ---------------------------------------------------------------------------
# logd: a writer streaming through its log pipe

LOG1 = "org.virtbus.Log1"

WRITER = r"""
import errno, os, sys, time
fd, stop = int(sys.argv[1]), sys.argv[2]
t0 = time.monotonic()
n = 0
try:
    while not os.path.exists(stop):
        buf = b"".join(b"%09d\n" % i for i in range(n, n + 100))
        while buf:
            buf = buf[os.write(fd, buf):]
        n += 100
        time.sleep(0.004)
except OSError as e:
    print("ERR %d %s %.3f" % (n, errno.errorcode.get(e.errno, e.errno), time.monotonic() - t0),
          flush=True)
    sys.exit(1)
os.close(fd)
print("OK %d" % n, flush=True)
"""


def test_logd_streaming(fenv):
    """A writer streams numbered records through the pipe from Log1.Open
    while logd is killed and started again several times: the writer never
    fails and the log (rotated files together) holds every record once."""
    f = Faults("logd-stream", default_rounds=10)
    conf = Path(fenv.root) / "etc/virtbus"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "logd.conf").write_text("max_size = 256K\nmax_backups = 1000\n")
    logd = fenv.start("logd")
    fd, path = logd.call("Open", "qemu", "stream", 0, interface=LOG1)
    fd = fd.take() if hasattr(fd, "take") else fd
    stop = Path(fenv.root) / "writer.stop"
    t0 = time.monotonic()
    w = h.spawn([sys.executable, "-c", WRITER, str(fd), stop], pass_fds=[fd],
                stdout=subprocess.PIPE, text=True)
    os.close(fd)
    kills = []
    for rnd in f.rounds():
        up = f.uniform(0.1, 0.6)
        time.sleep(up)
        at = time.monotonic() - t0
        fenv.kill("logd")
        down = f.uniform(0, 0.3)
        time.sleep(down)
        fenv.restart("logd")
        kills.append(f"kill {rnd} at {at:.3f}s (after {up:.3f}s up), down {down:.3f}s")
    time.sleep(0.3)
    stop.touch()
    out = w.stdout.readline().split()
    w.wait(timeout=30)
    where = f"[logd-stream] {f.n_rounds} kills: " + "; ".join(kills) + \
        f" (VIRTBUS_FAULT_SEED={f.seed})"
    problems = []
    if out[:1] != ["OK"]:
        problems.append(f"the writer failed: {' '.join(out) or 'no output'} "
                        f"(ERR <records written> <errno> <seconds since start>)")
    n = int(out[1]) if len(out) > 1 else 0
    logdir = Path(path).parent

    def stream():
        files = sorted(logdir.glob("stream.log.*"), key=lambda p: -int(p.suffix[1:]))
        return b"".join(p.read_bytes() for p in files) + Path(path).read_bytes()

    data = b""
    try:
        h.wait_until(lambda: len(stream()) >= n * 10, 20, 0.1, "the log to hold every record")
    except TimeoutError:
        pass
    data = stream()
    want = b"".join(b"%09d\n" % i for i in range(n))
    if data != want:
        got = [int(x) for x in re.findall(rb"^(\d{9})$", data, re.M)]
        have = set(got)
        gaps, start = [], None
        for i in range(n):
            if i not in have and start is None:
                start = i
            if i in have and start is not None:
                gaps.append((start, i - 1))
                start = None
        if start is not None:
            gaps.append((start, n - 1))
        dups = len(got) - len(have)
        problems.append(f"the log holds {len(data)} bytes, {len(got)} records of {n} written "
                        f"(10 bytes each); missing record ranges: {gaps[:10]}"
                        + (f" ... ({len(gaps)} gaps)" if len(gaps) > 10 else "")
                        + (f"; {dups} duplicated" if dups else ""))
    stray = settle(lambda: stray_tmp_files(fenv.root), 3)
    if stray:
        problems.append(f"temp files after the restarts: {stray}")
    f.report(where + f" ({n} records written)", problems)
    f.verdict()


# ---------------------------------------------------------------------------
# networkd: Network.Create of a NAT network with DHCP, in a namespace

NETWORKD = "org.virtbus.networkd"
NETWORK = "org.libvirt.Network"
BRIDGE = "vbfault0"


def test_networkd_create(fenv):
    """Network.Create of a NAT network with DHCP (networkd in a namespace of
    its own) with networkd killed at a random point of it. After the restart
    the network is active (bridge, one dnsmasq, firewall rules; Destroy
    removes them) or inactive with no bridge, dnsmasq or rule left, and it
    starts and stops again."""
    from test_networkd_common import delete_netns, nat_xml, new_netns, run
    f = Faults("networkd-create", default_rounds=12)
    binary = h.BUILD / "virtbus-networkd"
    ns = new_netns("vbf")
    fenv.root.add_cleanup(delete_netns, ns)
    wrapper = Path(fenv.root) / "networkd-in-netns"
    wrapper.write_text(f"#!/bin/sh\nexec ip netns exec {ns} {binary} \"$@\"\n")
    wrapper.chmod(0o755)
    nd = fenv.start("networkd", binary=wrapper)

    def ncall(method, *args):
        return fenv.bus.call(NETWORKD, path, NETWORK, method, *args)

    path = fenv.bus.call(NETWORKD, "/org/virtbus/networkd", CONNECT, "NetworkDefineXML",
                         nat_xml("fnet", "192.168.150", bridge=BRIDGE))

    def ns_procs():
        r = run("ip", "netns", "pids", ns, check=False)
        return [(int(p), proc_cmdline(int(p))) for p in r.stdout.split()
                if int(p) != nd.pid and alive(int(p))]

    def what_runs():
        """(bridge there, [dnsmasq and other processes], nft mentions the bridge)"""
        link = run("ip", "-n", ns, "link", "show", "dev", BRIDGE, check=False).returncode == 0
        nft = run("nft", "list", "ruleset", ns=ns, check=False).stdout
        return link, ns_procs(), BRIDGE in nft

    def clean(what):
        def left():
            link, procs, nft = what_runs()
            out = []
            if link:
                out.append(f"{what}: the bridge {BRIDGE} is still there")
            if procs:
                out.append(f"{what}: processes left in the namespace: {procs}")
            if nft:
                out.append(f"{what}: nftables rules still name {BRIDGE}")
            return out
        return settle(left, 5)

    def running(what):
        def missing():
            link, procs, nft = what_runs()
            out = []
            if not link:
                out.append(f"{what}: reported active, but there is no bridge {BRIDGE}")
            dns = [p for p in procs if "dnsmasq" in (p[1] or "")]
            if len(dns) != 1 or len(procs) != 1:
                out.append(f"{what}: reported active; processes in the namespace: {procs} "
                           f"(want one dnsmasq)")
            if not nft:
                out.append(f"{what}: reported active, but no nftables rule names {BRIDGE}")
            return out
        return settle(missing, 5)

    # The span the kills are spread over: a Create on a freshly started
    # networkd, as in the rounds (the mean of the last three, the rounds'
    # own Creates after the restart included).
    def running_then_destroy():
        check(running("a Create before any kill"), "before any kill")
        ncall("Destroy")
        check(clean("a Destroy before any kill"), "before any kill")

    spans = create_spans(fenv, "networkd", lambda: ncall("Create"), running_then_destroy)
    span = sum(spans) / len(spans)
    print(f"[networkd-create] a Network.Create takes {span:.3f}s ({spans})", flush=True)

    for rnd in f.rounds():
        where, ok, told, stale = kill_during_create(
            fenv, f, rnd, spans, "networkd", op(path, NETWORK, "Create", ""),
            ("etc/virtbus/network", "run/virtbus/network"), "fnet.xml")
        problems = []
        active = fenv.bus.get_property(NETWORKD, path, NETWORK, "Active")
        if active:
            problems += running("reported active after the restart")
            try:
                ncall("Destroy")
                problems += clean("Destroy after the restart")
            except dbus.exceptions.DBusException as e:
                problems.append(f"Destroy after the restart failed: {e.get_dbus_name()}: "
                                f"{e.get_dbus_message()}")
        else:
            if ok:
                problems.append("Create was answered OK, but the network is inactive after the "
                                "restart")
            problems += clean("reported inactive after the restart")
        # it starts and stops again, cleanly
        try:
            timed(spans, lambda: ncall("Create"))  # the first Create of this networkd
            problems += running("the Create after the restart")
            ncall("Destroy")
            problems += clean("the Destroy after the restart")
        except dbus.exceptions.DBusException as e:
            problems.append(f"Create/Destroy after the restart failed: {e.get_dbus_name()}: "
                            f"{e.get_dbus_message()}")
        problems += tmp_problems(fenv, stale)
        clear_tmp(fenv)
        # a leak must not spoil the next round
        if not fenv.bus.get_property(NETWORKD, path, NETWORK, "Active"):
            for pid, _ in ns_procs():
                os.kill(pid, 9)
            run("ip", "-n", ns, "link", "del", BRIDGE, check=False)
            run("nft", "delete", "table", "inet", "virtbus", ns=ns, check=False)
            settle(ns_procs, 5)
        f.report(where + f" (Create {told}; active after restart: {active})", problems)
    f.verdict()
