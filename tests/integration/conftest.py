# SPDX-License-Identifier: LGPL-2.1-or-later
"""pytest fixtures for virtbus's integration tests.

Run:  /usr/bin/python3 -m pytest -q tests/integration      (Debian's python3:
      it has python3-dbus; the python3 first on PATH may not)

Fixtures (each test gets its own, torn down after it):
  vroot        harness.Root: a fresh /tmp/vb-XXXX directory (the daemons' --root)
  bus          harness.TestBus: a private dbus-daemon with system-bus rules and
               the project's policy files (units/*.conf); bus.call(...),
               bus.busctl(...), bus.call_as("nobody", ...)
  bus_monitor  harness.BusMonitor: every message on the bus; wait_signal(),
               wait_domain_event(), mark()
  daemon       factory: daemon("storaged", "--timeout", "5") -> a started
               harness.Daemon (build/virtbus-<name> --root <vroot>)
  qemud        daemon("qemud")
  guest        (session) harness.GuestImage: tests/.guest/{vmlinuz,initrd.gz}

Markers:
  @pytest.mark.timeout(SECONDS)  per-test limit for setup and call (default
                                 300 s, or VIRTBUS_TEST_TIMEOUT)
Environment:
  VIRTBUS_KEEP=1   keep the root directory of a failed test (its processes are
                   still killed); its path is printed in the report
  VIRTBUS_FAILED_LOGS=DIR  where the whole registered logs of a failed test
                   are copied (default: the temporary directory); the report
                   shows their tails and that path
"""

import os
import re
import signal
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import virtbus_harness as harness  # noqa: E402

DEFAULT_TIMEOUT = float(os.environ.get("VIRTBUS_TEST_TIMEOUT", "300"))
_ROOTS = []


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "timeout(seconds): time limit for the test's setup and for its call "
        f"(default {DEFAULT_TIMEOUT:.0f} s, env VIRTBUS_TEST_TIMEOUT)")


# ---------------------------------------------------------------------------
# per-test time limit: SIGALRM raises TestTimeout in the test's main thread.
# (pytest-timeout is not in Debian's default set.)

class TestTimeout(BaseException):
    """Not an Exception: a broad `except Exception` in a test cannot swallow it."""
    __test__ = False


def _limit(item):
    m = item.get_closest_marker("timeout")
    if m and m.args:
        return float(m.args[0])
    if m and "seconds" in m.kwargs:
        return float(m.kwargs["seconds"])
    return DEFAULT_TIMEOUT


def _guarded(item, when):
    limit = _limit(item)

    def on_alarm(signum, frame):
        raise TestTimeout(f"{item.nodeid}: {when} took more than {limit:.0f} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    return old


def _unguard(old):
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)


def pytest_collection_modifyitems(config, items):
    """On dbus-broker (VIRTBUS_TEST_BUS=broker) without the build's
    systemd-standin nothing is D-Bus activated: the tests of activation itself
    are skipped, with the reason."""
    if os.environ.get("VIRTBUS_TEST_BUS") != "broker" or os.access(harness.BUILD / "tests" / "systemd-standin", os.X_OK):
        return
    why = pytest.mark.skip(reason="dbus-broker activates services only as systemd units, and "
                                  "build/tests/systemd-standin, which stands in for systemd, is not built")
    for item in items:
        if "dbus_activation" in item.name or item.name.startswith("test_activation_"):
            item.add_marker(why)


# ---------------------------------------------------------------------------
# QEMU's own crashes under TCG. QEMU 7.2's multi-threaded TCG very rarely
# segfaults in a vCPU thread while the guest boots (seen once in some
# thousand boots: a NULL MemoryRegion in memory_region_dispatch_write). That
# is QEMU's bug, not virtbus's: a test it breaks is reported as skipped,
# naming the kernel's record of the crash. Only the kernel's "segfault"
# line of a thread named "CPU n/TCG" counts, never a signal someone sent.

_TCG_SEGFAULT = re.compile(r"^\[\s*([0-9.]+)\] (CPU \d+/TCG\[\d+\]: segfault at .* in qemu-system-[^\[ ]+)")
_QEMU_CRASHED = {}  # id(exception) -> reason: a module fixture's cached error comes back


def _since_boot():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def _tcg_segfault_since(t0):
    try:
        out = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in reversed(out.splitlines()):
        m = _TCG_SEGFAULT.match(line)
        if m and float(m.group(1)) >= t0 - 2:
            return m.group(2)
    return None


def _qemu_crash_reason(item, call):
    if call.excinfo is None:
        return None
    key = id(call.excinfo.value)
    if key not in _QEMU_CRASHED:
        line = _tcg_segfault_since(getattr(item, "_vb_since", float("inf")))
        if not line:
            return None
        _QEMU_CRASHED[key] = (f"QEMU crashed under TCG, a bug of QEMU's own (the kernel: '{line}'); "
                              f"the test failed with: {call.excinfo.exconly()[:300]}")
    return _QEMU_CRASHED[key]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    del harness._LOGS[:]
    item._vb_since = _since_boot()
    old = _guarded(item, "setup")
    try:
        yield
    finally:
        _unguard(old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    old = _guarded(item, "call")
    try:
        yield
    finally:
        _unguard(old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    if rep.failed and rep.when in ("setup", "call"):
        logs = harness.registered_logs()
        for title, path in logs:
            rep.sections.append((f"{title} ({path})", harness.tail(path, 150)))
        if logs:
            kept = harness.keep_logs(logs, item.nodeid)
            rep.sections.append(("the whole logs", f"kept in {kept}"))
            sys.stderr.write(f"\nthe whole logs of {item.nodeid} are kept in {kept}\n")
        why = _qemu_crash_reason(item, call)
        if why:
            rep.outcome = "skipped"
            rep.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {why}")


def pytest_sessionfinish(session, exitstatus):
    # A teardown that did not run (interrupted session): clean up anyway.
    for root in _ROOTS:
        if root.path.exists():
            root.cleanup()
    for p in list(harness._POPENS):
        if p.poll() is None:
            p.kill()
            p.wait()


# ---------------------------------------------------------------------------
# fixtures

@pytest.fixture(scope="session")
def guest():
    """The test guest (built once, cached in tests/.guest/)."""
    return harness.build_guest()


@pytest.fixture
def vroot(request):
    root = harness.Root()
    _ROOTS.append(root)
    yield root
    failed = any(getattr(getattr(request.node, "rep_" + w, None), "failed", False)
                 for w in ("setup", "call"))
    keep = failed and os.environ.get("VIRTBUS_KEEP") == "1"
    errors = root.cleanup(keep=keep)
    if keep:
        sys.stderr.write(f"\nVIRTBUS_KEEP: kept {root.path}\n")
    _ROOTS.remove(root)
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


@pytest.fixture
def bus(vroot):
    b = harness.TestBus(vroot).start()
    yield b
    b.stop()


@pytest.fixture
def bus_monitor(bus):
    m = harness.BusMonitor(bus).start()
    yield m
    m.stop()


def _require_binary(name):
    binary = harness.BUILD / f"virtbus-{name}"
    if binary.exists():
        return
    if (harness.REPO / name / "main.c").exists():
        pytest.fail(f"{binary} is not built (run make)")
    pytest.skip(f"virtbus-{name} does not exist yet")


@pytest.fixture
def daemon(bus, bus_monitor, vroot):
    """Factory: daemon(name, *args, wait=True, env=None) starts
    build/virtbus-<name> --root <vroot> ARGS on the test bus (the bus monitor
    is already recording). Every daemon started is stopped at teardown."""
    started = []

    def start(name, *args, wait=True, env=None, timeout=30):
        _require_binary(name)
        d = harness.Daemon(name, bus, vroot, args, env=env)
        started.append(d)
        return d.start(wait=wait, timeout=timeout)

    yield start
    for d in reversed(started):
        d.stop()


@pytest.fixture
def qemud(daemon):
    return daemon("qemud")
