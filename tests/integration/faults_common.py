# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared pieces of the fault-injection tests (test_faults.py). No tests here.

- `Faults`: the seed and the number of rounds of one test, and the wording
  of its failure messages (round, delay, seed).
- `FaultEnv`: a root directory and a private bus WITHOUT D-Bus activation,
  and the daemons a test starts on it. While a daemon is killed, a call to its
  name must fail, not start a second copy behind the test's back.
- `CallLoop`: a client in its own process that makes a list of calls one
  after the other and writes a journal (which call was sent, which was
  answered, with what): after a kill the test knows what the daemon promised.
- Finders for what a kill may leak: temp files, processes, QEMUs.

Environment:
  VIRTBUS_FAULT_SEED=N     replay: the seed printed by a failing run
  VIRTBUS_FAULT_ROUNDS=N   more rounds per test (default: a few, see each test)
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid as uuid_mod
import zlib
from pathlib import Path

import virtbus_harness as h
from test_qemud_common import QemudEnv, pid_alive as alive

SEED_ENV = "VIRTBUS_FAULT_SEED"
ROUNDS_ENV = "VIRTBUS_FAULT_ROUNDS"


class Faults:
    """The random source and round count of one test.

        f = Faults("qemud-define", default_rounds=6)
        for r in f.rounds(): ... f.where(r, delay=0.12) ...
    """

    def __init__(self, what, default_rounds):
        self.what = what
        env_seed = os.environ.get(SEED_ENV)
        self.seed = int(env_seed) if env_seed else random.SystemRandom().randrange(1 << 32)
        # One stream per test, so replaying one test replays it exactly
        # whatever other tests ran before it.
        self.rng = random.Random(self.seed ^ zlib.crc32(what.encode()))
        self.n_rounds = int(os.environ.get(ROUNDS_ENV) or default_rounds)
        self.failures = []
        print(f"[{what}] fault seed {self.seed} ({SEED_ENV}={self.seed} replays it), "
              f"{self.n_rounds} rounds ({ROUNDS_ENV} sets it)", flush=True)

    def rounds(self):
        return range(1, self.n_rounds + 1)

    def uniform(self, a, b):
        return self.rng.uniform(a, b)

    def randint(self, a, b):
        return self.rng.randint(a, b)

    def choice(self, seq):
        return self.rng.choice(seq)

    def uuid(self):
        return str(uuid_mod.UUID(int=self.rng.getrandbits(128), version=4))

    def sample(self, seq, k):
        return self.rng.sample(list(seq), k)

    def report(self, where, problems):
        """Keeps a round's problems (printed at once); verdict() fails with
        all of them, so one run shows every round."""
        if not problems:
            print(where + ": ok", flush=True)
        else:
            shown = problems[:12] + ([f"... and {len(problems) - 12} more"]
                                     if len(problems) > 12 else [])
            text = where + ":\n  - " + "\n  - ".join(shown)
            print(text, flush=True)
            self.failures.append(text)

    def verdict(self):
        assert not self.failures, (f"[{self.what}] something was lost or leaked "
                                   f"({len(self.failures)} report(s), {self.n_rounds} rounds):\n"
                                   + "\n".join(self.failures))

    def where(self, rnd, **what):
        """'round 3/6, delay=0.120s, ... (VIRTBUS_FAULT_SEED=...)': the head
        of every failure message."""
        parts = [f"round {rnd}/{self.n_rounds}"]
        for k, v in what.items():
            parts.append(f"{k}={v:.3f}s" if isinstance(v, float) else f"{k}={v}")
        return f"[{self.what}] " + ", ".join(parts) + f" ({SEED_ENV}={self.seed})"


# ---------------------------------------------------------------------------
# the environment

class FaultEnv:
    """A root, a private bus with no activation, and the daemons started on it."""

    def __init__(self, prefix="vbf-"):
        self.root = h.Root(prefix=prefix)
        self._register_root()
        self.bus = h.TestBus(self.root, activation=False).start()
        self.daemons = {}

    # conftest cleans up the root even if the session ends before close()
    _register_root = QemudEnv._register_root

    def start(self, name, args=(), binary=None, env=None):
        d = h.Daemon(name, self.bus, self.root, args, binary=binary, env=env)
        self.daemons[name] = d
        return d.start()

    def restart(self, name, timeout=30):
        """Starts a killed daemon again; the failure names its log."""
        d = self.daemons[name]
        try:
            d.start(timeout=timeout)
        except Exception as e:          # noqa: BLE001 - reworded for the report
            raise AssertionError(f"virtbus-{name} did not come back after SIGKILL: {e}\n"
                                 + h.tail(d.log_path, 40)) from None
        return d

    def kill(self, name):
        """SIGKILL and wait until the process and its bus name are gone."""
        d = self.daemons[name]
        rc = d.kill(signal.SIGKILL)
        assert rc == -signal.SIGKILL, f"virtbus-{name} exited with {rc} before the SIGKILL"
        return rc

    def close(self):
        errors = []
        for d in reversed(list(self.daemons.values())):
            try:
                d.stop()
            except Exception as e:      # noqa: BLE001 - teardown goes on
                errors.append(str(e))
        self.bus.stop()
        errors += self.root.cleanup()
        if self._conftest is not None and self.root in self._conftest._ROOTS:
            self._conftest._ROOTS.remove(self.root)
        return errors

    def unique_name(self, name):
        """The unique bus name of a daemon: a client calling it instead of the
        well-known name cannot reach a later instance by mistake."""
        return str(self.bus.conn.get_name_owner(f"org.virtbus.{name}"))

    def known_pids(self):
        """The processes the test itself runs under the root: bus, daemons."""
        pids = set()
        if self.bus.proc:
            pids.add(self.bus.proc.pid)
        for d in self.daemons.values():
            if d.alive():
                pids.add(d.pid)
        return pids


# ---------------------------------------------------------------------------
# a client in its own process: a list of calls and a journal

CALL_LOOP = r'''
import json, os, sys, time
import dbus
dest, spec, journal = sys.argv[1], sys.argv[2], sys.argv[3]
bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
ops = json.load(open(spec))
out = open(journal, "a", buffering=1)
out.write("READY\n")
for i, op in enumerate(ops):
    obj = bus.get_object(dest, op["path"], introspect=False)
    args = [dbus.types.UnixFd(a["fd"]) if isinstance(a, dict) else a for a in op["args"]]
    out.write(json.dumps({"i": i, "sent": True}) + "\n")
    try:
        r = obj.get_dbus_method(op["method"], op["iface"])(
            *args, signature=op["sig"], dbus_interface=op["iface"], timeout=op.get("timeout", 60))
        out.write(json.dumps({"i": i, "ok": True, "result": str(r) if r is not None else None}) + "\n")
    except dbus.exceptions.DBusException as e:
        out.write(json.dumps({"i": i, "ok": False, "error": e.get_dbus_name(),
                              "message": e.get_dbus_message()}) + "\n")
        if op.get("stop_on_error", True):
            break
    if op.get("pause"):
        time.sleep(op["pause"])
out.write("END\n")
'''


def op(path, iface, method, sig, *args, **extra):
    d = {"path": path, "iface": iface, "method": method, "sig": sig, "args": list(args)}
    d.update(extra)
    return d


class CallLoop:
    """Runs `ops` (see op()) against `dest` (a unique name) in a child
    process. The journal says, per call, whether it was sent and answered."""

    _n = 0

    def __init__(self, env, dest, ops, pass_fds=()):
        CallLoop._n += 1
        base = Path(env.root) / f"call-loop-{CallLoop._n}"
        self.ops = ops
        self.spec = Path(f"{base}.json")
        self.journal = Path(f"{base}.journal")
        self.spec.write_text(json.dumps(ops))
        script = Path(env.root) / "call-loop.py"
        script.write_text(CALL_LOOP)
        with open(f"{base}.stderr", "wb") as err:
            self.proc = h.spawn([sys.executable, script, dest, self.spec, self.journal],
                                stdout=subprocess.DEVNULL, stderr=err, env=env.bus.env,
                                pass_fds=tuple(pass_fds))
        h.register_log(f"call loop {CallLoop._n}", f"{base}.stderr")

    def entries(self):
        try:
            lines = self.journal.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(x) for x in lines if x.startswith("{")]

    def answered(self):
        return [e for e in self.entries() if "ok" in e]

    def wait_answered(self, n, timeout=60):
        """Waits until n calls were answered (or the loop ended)."""
        h.wait_until(lambda: len(self.answered()) >= n or self.proc.poll() is not None,
                     timeout, 0.002, f"{n} answered calls of the call loop")

    def finish(self, timeout=60):
        """Waits for the child to end (its calls fail once the daemon is
        gone); returns (ok, failed, unanswered) index lists."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        ok, failed, sent = [], [], set()
        for e in self.entries():
            if e.get("sent"):
                sent.add(e["i"])
            elif e.get("ok"):
                ok.append(e["i"])
                sent.discard(e["i"])
            else:
                failed.append(e["i"])
                sent.discard(e["i"])
        return ok, failed, sorted(sent)

    def error_of(self, i):
        for e in self.entries():
            if e.get("i") == i and e.get("ok") is False:
                return f"{e['error']}: {e['message']}"
        return None


# ---------------------------------------------------------------------------
# what a kill may leak

def stray_tmp_files(root, dirs=None):
    """Files named like an atomic write's temp file (<file>.tmp.<pid>)
    under the daemons' conf, run and state dirs."""
    root = Path(root)
    dirs = dirs or [root / "etc", root / "run", root / "var" / "lib"]
    found = []
    for d in dirs:
        if Path(d).is_dir():
            found += [str(p) for p in Path(d).rglob("*.tmp.*")]
    return sorted(found)


def dead_pid():
    """A pid that belonged to a process of ours that has exited."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def plant_stale_tmp(directory, stem):
    """What a SIGKILL between an atomic write's open and its rename leaves:
    <stem>.tmp.<pid of the dead writer>, half written. Returns its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    p = directory / f"{stem}.tmp.{dead_pid()}"
    p.write_text("<half-written")
    return p


def proc_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None


def proc_exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def qemu_pids(needle):
    """Live QEMU processes whose command line contains `needle` (a domain's uuid)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        if "qemu-system" not in os.path.basename(proc_exe(pid)):
            continue
        cmd = proc_cmdline(pid) or ""
        if needle in cmd and alive(pid):
            found.append(pid)
    return sorted(found)


def children_of(pid):
    """Live direct children of `pid`."""
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            kids.append(int(d))
    return kids


def foreign_processes(env, exclude=()):
    """Processes naming the root (cmdline, environment or cwd) that are
    neither the bus, nor a running daemon, nor in `exclude`:
    what a killed daemon left behind. [(pid, cmdline)]"""
    keep = env.known_pids() | set(exclude)
    # busctl monitor, the call loops and other helpers of the test itself
    keep |= {p.pid for p in h._POPENS if p.poll() is None and
             not any(p.pid == d.pid for d in env.daemons.values())}
    out = []
    for pid in h.pids_mentioning(env.root):
        if pid in keep or not alive(pid):
            continue
        out.append((pid, proc_cmdline(pid)))
    return out


def settle(fn, timeout=5.0, interval=0.05):
    """Polls fn() until it returns something false (nothing found) or the
    time is up; returns the last value (what is still there)."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if not v or time.monotonic() > deadline:
            return v
        time.sleep(interval)
