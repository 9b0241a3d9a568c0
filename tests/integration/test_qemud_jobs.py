# SPDX-License-Identifier: LGPL-2.1-or-later
"""Domain jobs in virtbus-qemud (common/domain/domain-job.h), as libvirt has
them: one call that changes a domain runs at a time, the others wait their
turn (in order, up to a timeout: VIRTBUS_JOB_TIMEOUT_MS here), queries never
wait and Destroy always breaks in.

- Destroy while Create is still preparing (storaged, networkd or lockd held
  with SIGSTOP): the guest ends shut off, Create gets a clear error, no QEMU,
  lease, port, tap or in-use mark is left, and the next Create works;
- Destroy while a Suspend waits for a QEMU that does not answer: the
  Suspend gets a clear error once QEMU is gone;
- qemud SIGKILLed during a Suspend: restarted, it tells the job was cut
  short and takes new jobs;
- Suspend and Shutdown sent together on one connection: both answered, in
  order, the guest paused;
- Undefine during Create: it waits for the start, then the running domain
  goes on as a transient one (libvirt's rule);
- a call queued beyond the timeout gets OperationTimeout naming the job
  that holds the lock, while queries are answered at once;
- a client that disconnects mid-Create: the start finishes, later calls work;
- the live state names the job under way (job='start' job-phase=...).

The guests boot nothing (idle QEMUs, as in test_qemud_start_rollback, whose
environment this reuses: storaged pool, networkd in a namespace, lockd)."""

import json
import os
import signal
import subprocess
import textwrap
import time

import pytest

import virtbus_harness as h
from virtbus_harness import DomainState as S
from virtbus_harness import wait_until
from test_qemud_leases_logs import qemu_pids_of
from test_qemud_start_rollback import Dom, Env, QEMUD

pytestmark = pytest.mark.timeout(300)

JOB_TIMEOUT_MS = 4000
STARTING = (S.PAUSED, 11)

# Sends calls on one connection without waiting, prints the replies as JSON
# in the order they came: [[index, error name or "", message], ...]. A
# "die" argument makes it SIGKILL itself once every call is sent.
PIPELINE = textwrap.dedent(r'''
    import json, os, signal, sys
    import dbus, dbus.mainloop.glib
    from gi.repository import GLib
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
    calls = json.loads(sys.argv[1])
    # qemud learns who we are (our uid, asked of the bus) on our first call:
    # made here, so that a call sent right before we die is not refused for
    # want of a caller to ask about.
    bus.call_blocking("org.virtbus.qemud", "/org/virtbus/qemud", "org.freedesktop.DBus.Peer", "Ping", "", ())
    loop, out = GLib.MainLoop(), []
    def done(i, name, msg):
        out.append([i, name, msg])
        if len(out) == len(calls):
            loop.quit()
    for i, (path, method, sig, args) in enumerate(calls):
        bus.call_async("org.virtbus.qemud", path, "org.libvirt.Domain", method, sig, args,
                       lambda *r, i=i: done(i, "", ""),
                       lambda e, i=i: done(i, e.get_dbus_name(), e.get_dbus_message()),
                       timeout=120)
    bus.flush()
    print("SENT", flush=True)
    if len(sys.argv) > 2:
        os.kill(os.getpid(), signal.SIGKILL)
    loop.run()
    print(json.dumps(out), flush=True)
''')


class Pipeline:
    def __init__(self, env, calls, die=False):
        script = env.root / "pipeline.py"
        script.write_text(PIPELINE)
        argv = ["/usr/bin/python3", str(script), json.dumps(calls)] + (["die"] if die else [])
        self.proc = h.spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env.bus.env)
        line = self.proc.stdout.readline().decode().strip()
        if line != "SENT":
            raise AssertionError(f"pipeline client failed: {line} {self.proc.stderr.read().decode()}")

    def replies(self, timeout=60):
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, f"pipeline client failed: {err.decode()}"
        return json.loads(out.decode().strip().splitlines()[-1])


@pytest.fixture(scope="module")
def env():
    if not os.path.exists("/usr/bin/python3") or subprocess.run(
            ["/usr/bin/python3", "-c", "import dbus, gi"], capture_output=True).returncode != 0:
        pytest.skip("python3-dbus and python3-gi are needed for the pipelined client")
    e = Env()
    try:
        e.qemud.stop()
        e.qemud.extra_env["VIRTBUS_JOB_TIMEOUT_MS"] = str(JOB_TIMEOUT_MS)
        e.qemud.start()
        yield e
    finally:
        e.close()


@pytest.fixture(autouse=True)
def _logs(env):
    env.register_logs()
    for pid in list(env.stopped_pids()):
        env.release(pid)
    yield
    env.register_logs()


def create_call(env, dom):
    """Create from a busctl of its own; its stderr tells the error."""
    return h.spawn(["busctl", f"--address={env.bus.address}", "--timeout=120", "call", QEMUD, dom.path,
                    "org.libvirt.Domain", "Create", "u", "0"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env.bus.env)


def prop(env, dom, name):
    return env.qemud.get_property(dom.path, "org.libvirt.Domain", name)


def status_attrs(env, name):
    p = env.run_dir / f"{name}.xml"
    return p.read_text().split(">", 1)[0] if p.exists() else ""


DAEMONS = {"storaged": "org.virtbus.storaged", "networkd": "org.virtbus.networkd",
           "lockd": "org.virtbus.lockd"}


@pytest.mark.parametrize("daemon", list(DAEMONS))
def test_destroy_while_create_prepares(env, daemon):
    dom = Dom(env, f"jb-destroy-{daemon}")
    held = env.bus.name_owner_pid(DAEMONS[daemon])
    env.hold(held)
    try:
        client = create_call(env, dom)
        wait_until(lambda: dom.state() == STARTING, 15, what=f"{dom.name} to start")
        if daemon == "lockd":
            dom.wait_qemu()
        time.sleep(0.5)                          # the request is on its way to the held daemon
        assert dom.state() == STARTING, "the start did not wait"
        t0 = time.monotonic()
        dom.call("Destroy", 0)                   # breaks in: does not wait for the start
        assert time.monotonic() - t0 < 10
        assert dom.state()[0] == S.SHUTOFF
        _, err = client.communicate(timeout=30)
        assert client.returncode != 0, "Create succeeded though the domain was destroyed"
        assert "destroyed while starting" in err.decode(), err.decode()
    finally:
        env.release(held)
    dom.assert_nothing_left()
    dom.start_and_destroy()


def test_live_state_names_the_job(env):
    dom = Dom(env, "jb-state")
    storaged = env.bus.name_owner_pid(DAEMONS["storaged"])
    env.hold(storaged)
    try:
        client = create_call(env, dom)
        wait_until(lambda: "job='start' job-phase='storage'" in status_attrs(env, dom.name), 15,
                   what=f"the live state of {dom.name} to name its start: {status_attrs(env, dom.name)}")
    finally:
        env.release(storaged)
    _, err = client.communicate(timeout=60)
    assert client.returncode == 0, err.decode()
    attrs = status_attrs(env, dom.name)
    assert "phase='running'" in attrs and "job=" not in attrs, attrs
    dom.call("Destroy", 0)
    wait_until(lambda: not qemu_pids_of(dom.uuid), 15, what="QEMU to exit")


def test_suspend_and_shutdown_together(env):
    dom = Dom(env, "jb-pair")
    dom.call("Create", 0)
    assert dom.state() == (S.RUNNING, 1)
    p = Pipeline(env, [[dom.path, "Suspend", "", []], [dom.path, "Shutdown", "u", [0]]])
    replies = p.replies()
    assert [r[0] for r in replies] == [0, 1], f"not answered in order: {replies}"
    assert all(r[1] == "" for r in replies), replies
    # Shutdown pressed the power button of a paused guest: it stays paused.
    assert dom.state() == (S.PAUSED, 1)
    assert "job=" not in status_attrs(env, dom.name)
    dom.call("Resume")
    assert dom.state() == (S.RUNNING, 5)
    dom.call("Destroy", 0)
    wait_until(lambda: not qemu_pids_of(dom.uuid), 15, what="QEMU to exit")


def test_destroy_breaks_into_a_suspend(env):
    """QEMU held with SIGSTOP never answers "stop": Destroy does not wait for
    the Suspend job, and the Suspend gets a clear error once QEMU is gone."""
    dom = Dom(env, "jb-hung")
    dom.call("Create", 0)
    qemu = qemu_pids_of(dom.uuid)[0]
    os.kill(qemu, signal.SIGSTOP)
    try:
        p = Pipeline(env, [[dom.path, "Suspend", "", []]])
        time.sleep(0.5)
        assert p.proc.poll() is None, "Suspend was answered by a stopped QEMU"
        dom.call("Destroy", 0)               # SIGTERM waits; SIGKILL after a few seconds
    finally:
        if qemu in qemu_pids_of(dom.uuid):
            os.kill(qemu, signal.SIGCONT)
    replies = p.replies()
    assert replies[0][1] == "org.virtbus.Error.OperationAborted", replies
    assert "stopped during the job suspend" in replies[0][2], replies
    assert dom.state()[0] == S.SHUTOFF
    dom.assert_nothing_left()
    dom.start_and_destroy()


def test_restart_knows_the_job_cut_short(env):
    """qemud SIGKILLed while a Suspend waits for QEMU: the live state named
    the job, the restarted qemud says it was cut short, picks the guest up
    again and takes new jobs."""
    dom = Dom(env, "jb-restart")
    dom.call("Create", 0)
    qemu = qemu_pids_of(dom.uuid)[0]
    os.kill(qemu, signal.SIGSTOP)
    try:
        p = Pipeline(env, [[dom.path, "Suspend", "", []]])
        wait_until(lambda: "job='suspend'" in status_attrs(env, dom.name), 15,
                   what=f"the live state to name the suspend: {status_attrs(env, dom.name)}")
        env.restart_qemud()
    finally:
        os.kill(qemu, signal.SIGCONT)
    assert p.replies()[0][1] != "", "the Suspend was answered as done by a killed qemud"
    wait_until(lambda: "was cut short" in env.qemud.log_path.read_text(), 15,
               what="qemud to tell the job was cut short")
    assert "The job suspend of jb-restart was cut short" in env.qemud.log_path.read_text()
    assert qemu_pids_of(dom.uuid) == [qemu]
    wait_until(lambda: dom.state()[0] in (S.RUNNING, S.PAUSED), 15, what="the guest to be picked up")
    dom.call("Suspend")
    assert dom.state() == (S.PAUSED, 1)
    dom.call("Destroy", 0)
    dom.assert_nothing_left()


def test_undefine_during_create(env):
    dom = Dom(env, "jb-undefine")
    storaged = env.bus.name_owner_pid(DAEMONS["storaged"])
    env.hold(storaged)                           # the start waits, for less than the timeout
    try:
        client = create_call(env, dom)
        wait_until(lambda: dom.state() == STARTING, 15, what=f"{dom.name} to start")
        p = Pipeline(env, [[dom.path, "Undefine", "u", [0]]])
        time.sleep(0.5)
        assert prop(env, dom, "Persistent") is True, "Undefine did not wait for the start"
    finally:
        env.release(storaged)
    _, err = client.communicate(timeout=60)
    assert client.returncode == 0, err.decode()
    assert p.replies() == [[0, "", ""]]
    assert dom.state() == (S.RUNNING, 1)
    assert prop(env, dom, "Persistent") is False        # running on, as a transient domain
    assert not (env.root / "etc" / "virtbus" / "qemu" / f"{dom.name}.xml").exists()
    dom.call("Destroy", 0)
    wait_until(lambda: dom.path not in env.qemud.call("ListDomains", 0), 15, what="the domain to go")
    wait_until(lambda: not qemu_pids_of(dom.uuid) and not env.leases(dom.uuid) and not env.ports(dom.uuid)
               and not env.taps() and not env.in_use(dom.uuid), 15, what="everything of it to go")


def test_queued_call_times_out_naming_the_job(env):
    dom = Dom(env, "jb-timeout")
    storaged = env.bus.name_owner_pid(DAEMONS["storaged"])
    env.hold(storaged)
    try:
        client = create_call(env, dom)
        wait_until(lambda: dom.state() == STARTING, 15, what=f"{dom.name} to start")
        t0 = time.monotonic()
        p = Pipeline(env, [[dom.path, "Suspend", "", []], [dom.path, "Reset", "u", [0]]])
        # Queries never wait for the job.
        assert dom.state() == STARTING and dom.call("GetXMLDesc", 0)
        replies = p.replies()
        took = time.monotonic() - t0
        assert JOB_TIMEOUT_MS / 1000 - 0.5 <= took < JOB_TIMEOUT_MS / 1000 + 10, took
        for r in replies:
            assert r[1] == "org.virtbus.Error.OperationTimeout", replies
            assert "cannot acquire state change lock (held by start)" in r[2], replies
        assert dom.state() == STARTING
    finally:
        env.release(storaged)
    _, err = client.communicate(timeout=60)
    assert client.returncode == 0, err.decode()
    assert dom.state() == (S.RUNNING, 1)
    dom.call("Destroy", 0)
    wait_until(lambda: not qemu_pids_of(dom.uuid), 15, what="QEMU to exit")


def test_client_gone_mid_create(env):
    dom = Dom(env, "jb-gone")
    storaged = env.bus.name_owner_pid(DAEMONS["storaged"])
    env.hold(storaged)
    try:
        p = Pipeline(env, [[dom.path, "Create", "u", [0]]], die=True)
        p.proc.wait(timeout=30)
        assert p.proc.returncode == -signal.SIGKILL
        wait_until(lambda: dom.state() == STARTING, 15, what=f"{dom.name} to start")
    finally:
        env.release(storaged)
    wait_until(lambda: dom.state() == (S.RUNNING, 1), 30, what=f"{dom.name} to run")
    assert "job=" not in status_attrs(env, dom.name)
    dom.call("Suspend")                          # the job is over: the next ones run
    dom.call("Resume")
    dom.call("Destroy", 0)
    dom.assert_nothing_left()
    dom.start_and_destroy()
