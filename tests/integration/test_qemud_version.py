# SPDX-License-Identifier: LGPL-2.1-or-later
"""org.libvirt.Connect.Version of virtbus-qemud: QEMU's version, as libvirt
encodes it (major * 1000000 + minor * 1000 + micro), for every caller and
from the first read on, although qemud learns it only by probing QEMU."""

import os
import re
import shutil
import subprocess
import threading

import pytest

import virtbus_harness as h
from test_qemud_common import QemudEnv, QEMUD, ROOT_PATH

pytestmark = pytest.mark.timeout(180)

CONN = "org.libvirt.Connect"


def emulator():
    return os.environ.get("VIRTBUS_QEMU") or "/usr/bin/qemu-system-x86_64"


def qemu_version():
    """What `qemu-system-x86_64 --version` says, encoded as libvirt does."""
    out = subprocess.run([emulator(), "--version"], capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"version (\d+)\.(\d+)\.(\d+)", out)
    assert m, out
    major, minor, micro = map(int, m.groups())
    return major * 1000000 + minor * 1000 + micro


@pytest.fixture(scope="module")
def env():
    if not os.access(emulator(), os.X_OK):
        pytest.skip(f"{emulator()} is not installed")
    e = QemudEnv()
    yield e
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def fresh_qemud(env, extra_env=None):
    """qemud started again, with no capabilities probed nor cached."""
    env.qemud.stop()
    shutil.rmtree(env.root / "var/lib/virtbus/qemu/capabilities", ignore_errors=True)
    if extra_env is not None:
        env.qemud = h.Daemon("qemud", env.bus, env.root, env=extra_env)
    h.register_log("virtbus-qemud", env.qemud.log_path)
    env.qemud.start()


def test_version_read_first_by_busctl_as_any_user(env):
    """The first read of Version qemud gets is by a user who is not root:
    the answer waits for the probe and is QEMU's real version. Malformed
    reads are refused as before."""
    fresh_qemud(env)
    # reads without their arguments, or with others, are refused as before
    for method, args in (("Get", []), ("Get", ["u", "1"]), ("Get", ["s", CONN]), ("GetAll", []),
                         ("Get", ["ss", CONN, "NoSuch"])):
        r = env.bus.busctl("call", QEMUD, ROOT_PATH, "org.freedesktop.DBus.Properties", method, *args)
        assert r.returncode != 0 and env.qemud.alive(), (method, args, r)
    cache = env.root / "var/lib/virtbus/qemu/capabilities"
    assert not list(cache.glob("*")), "nothing probed yet"
    r = env.bus.busctl("get-property", QEMUD, ROOT_PATH, CONN, "Version", user="nobody")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["t", str(qemu_version())]
    assert list(cache.glob("*")), "probed for it"


def test_version_in_getall_and_reads_in_flight_together(env):
    """GetAll (what libvirt-dbus's clients use) carries it too, and several
    reads arriving during one probe all get it."""
    fresh_qemud(env)
    want = qemu_version()
    got = []

    def read():
        r = env.bus.busctl("get-property", QEMUD, ROOT_PATH, CONN, "Version")
        got.append(r.stdout.split())

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    props = env.bus.get_all_properties(QEMUD, ROOT_PATH, CONN)
    for t in threads:
        t.join()
    assert props["Version"] == want
    assert props["LibVersion"] >= 9000000
    assert got == [["t", str(want)]] * 3
    # and once known, without waiting
    assert env.bus.get_property(QEMUD, ROOT_PATH, CONN, "Version") == want


def test_version_without_a_working_qemu_is_zero(env, tmp_path):
    """When QEMU cannot be probed, Version says 0 ("cannot tell", as libvirt's
    clients read it) at once, and qemud answers everything else as before."""
    try:
        fresh_qemud(env, {"VIRTBUS_QEMU": str(tmp_path / "no-such-qemu")})
        assert env.bus.get_property(QEMUD, ROOT_PATH, CONN, "Version") == 0
        assert env.bus.get_property(QEMUD, ROOT_PATH, CONN, "Version") == 0
        assert env.bus.get_all_properties(QEMUD, ROOT_PATH, CONN)["Version"] == 0
        assert env.qemud.call("ListDomains", 0) == []
        assert env.qemud.alive()
    finally:
        fresh_qemud(env, {})
