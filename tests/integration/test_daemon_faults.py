# SPDX-License-Identifier: LGPL-2.1-or-later
"""What every daemon does about the faults around it: the bus going away, a
second instance started on the same state, temporaries left by a killed
writer, and a low RLIMIT_NOFILE. Each test runs every daemon it can."""

import subprocess
import time

import pytest

import virtbus_harness as harness
from test_lockd import open_bus_policy
from test_networkd_common import delete_netns, new_netns
from test_storaged_common import dir_pool_xml, vol_xml

DAEMONS = ["qemud", "storaged", "networkd", "lockd", "logd", "secretd"]


@pytest.fixture
def start_daemon(vroot, bus):
    """start_daemon(name, wrap=[...]) -> a started harness.Daemon; networkd
    runs in a network namespace of its own; `wrap` goes before the binary."""
    made = []

    def start(name, wrap=(), wait=True):
        binary = harness.BUILD / f"virtbus-{name}"
        prefix = list(wrap)
        if name == "networkd":
            ns = new_netns("vbf")
            vroot.add_cleanup(delete_netns, ns)
            prefix = ["ip", "netns", "exec", ns] + prefix
        if prefix:
            wrapper = vroot / f"{name}-wrapper"
            # exec all the way down: the pid the harness watches is the daemon's
            wrapper.write_text("#!/bin/sh\nexec " + " ".join(prefix) + f" {binary} \"$@\"\n")
            wrapper.chmod(0o755)
            binary = wrapper
        d = harness.Daemon(name, bus, vroot, binary=binary)
        made.append(d)
        return d.start(wait=wait)

    yield start
    for d in made:
        d.stop()


@pytest.mark.parametrize("name", DAEMONS)
def test_bus_loss_ends_the_daemon(name, start_daemon, bus):
    """A daemon that lost its bus connection used to stay up off the bus,
    silently, forever."""
    d = start_daemon(name)
    bus.stop()
    try:
        rc = d.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"virtbus-{name} still runs 15 s after the bus went away")
    assert rc != 0, f"virtbus-{name} exited with status 0 after losing the bus"
    assert "Lost the connection to the system bus" in d.log()


@pytest.mark.parametrize("name", DAEMONS)
def test_second_instance_is_refused(name, start_daemon, vroot):
    first = start_daemon(name)
    second = harness.Daemon(name, first.bus, vroot, binary=first.binary)
    second.log_path = vroot / "test-logs" / f"virtbus-{name}-second.log"
    second.start(wait=False)
    try:
        rc = second.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        second.stop()
        pytest.fail(f"a second virtbus-{name} on the same state kept running")
    assert rc != 0
    assert f"(pid {first.pid}) already runs on this state" in second.log()
    assert first.alive() and first.bus.name_owner_pid(first.bus_name) == first.pid


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_stale_temporaries_removed_at_start(start_daemon, vroot):
    """A SIGKILL during write_file_atomic() leaves "<file>.tmp.<pid>"; those
    used to stay for good. Each daemon removes those in its own folders, and
    only there: a file of that shape elsewhere (a volume) is not its own."""
    etc, run, lib = (vroot / "etc" / "virtbus", vroot / "run" / "virtbus", vroot / "var" / "lib" / "virtbus")
    stale = {"qemud": [etc / "qemu" / f"vm1.xml.tmp.{dead_pid()}", run / "qemu" / f"vm2.xml.tmp.{dead_pid()}",
                       lib / "qemu" / "nvram" / f"vm1_VARS.fd.tmp.{dead_pid()}"],
             "storaged": [etc / "storage" / f"p.xml.tmp.{dead_pid()}"]}
    foreign = [lib / "images" / f"backup.tmp.{dead_pid()}", etc / f"notes.tmp.{dead_pid()}"]
    for f in [f for files in stale.values() for f in files] + foreign:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("<domain>half")
    start_daemon("qemud")
    for f in stale["qemud"]:
        assert not f.exists(), f"{f} was left behind"
    assert stale["storaged"][0].exists(), "qemud removed a file in storaged's folder"
    start_daemon("storaged")
    assert not stale["storaged"][0].exists()
    for f in foreign:
        assert f.exists(), f"{f} is not a daemon's, yet it was removed"


def test_children_start_with_a_low_fd_limit(start_daemon, vroot, bus):
    """With RLIMIT_NOFILE at 256 (hard), no child could start: fds were moved
    to 1024 before exec, and qemu-img failed with "Invalid argument"."""
    d = start_daemon("storaged", wrap=["prlimit", "--nofile=256:256", "--"])
    limits = (f"/proc/{d.pid}/limits")
    with open(limits) as f:
        assert any(line.startswith("Max open files") and " 256 " in line for line in f)
    pool_dir = vroot / "pool"
    pool_dir.mkdir()
    pool = d.call("StoragePoolCreateXML", dir_pool_xml("lowfd", str(pool_dir)), 0,
                  interface="org.libvirt.Connect")
    vol = d.bus.call(d.bus_name, str(pool), "org.libvirt.StoragePool", "StorageVolCreateXML",
                     vol_xml("disk.qcow2", 1 << 20, fmt="qcow2"), 0)
    assert vol
    with open(pool_dir / "disk.qcow2", "rb") as f:
        assert f.read(4) == b"QFI\xfb"


@pytest.mark.parametrize("name", DAEMONS)
def test_units_restart_and_limit_fds(name):
    """Each service is restarted after it exits on a fault (losing the bus,
    for one) and names its fd limit."""
    text = (harness.UNITS / f"virtbus-{name}.service").read_text()
    keys = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    assert keys.get("Restart") == "on-failure"
    assert int(keys.get("LimitNOFILE", "0")) >= 65536


# What only root may call, and what anybody may, per daemon: (path, interface,
# method, signature, args). The calls need not succeed for root either: what
# counts is whether the daemon lets the caller in.
ACCESS = {
    "qemud": (("/org/virtbus/qemud", "org.libvirt.Connect", "DomainDefineXML", "su", "<domain/>", 0),
              ("/org/virtbus/qemud", "org.libvirt.Connect", "ListDomains", "u", 0)),
    "storaged": (("/org/virtbus/storaged", "org.libvirt.Connect", "StoragePoolCreateXML", "su", "<pool/>", 0),
                 ("/org/virtbus/storaged", "org.libvirt.Connect", "ListStoragePools", "u", 0)),
    "networkd": (("/org/virtbus/networkd", "org.libvirt.Connect", "NetworkDefineXML", "s", "<network/>"),
                 ("/org/virtbus/networkd", "org.libvirt.Connect", "ListNetworks", "u", 0)),
    "lockd": (("/org/virtbus/lockd", "org.virtbus.Lock1", "ReleaseOwner", "s", "x"),
              ("/org/virtbus/lockd", "org.virtbus.Lock1", "ListOwners", "")),
    "logd": (("/org/virtbus/logd", "org.virtbus.Log1", "Tail", "sst", "qemu", "vm", 10),
             ("/org/virtbus/logd", "org.freedesktop.DBus.Peer", "Ping", "")),
    "secretd": (("/org/virtbus/secretd", "org.virtbus.Secret1", "GetValueInternal", "sis", "", 1, "/x"),
                ("/org/virtbus/secretd", "org.libvirt.Connect", "ListSecrets", "u", 0)),
}


@pytest.mark.parametrize("name", DAEMONS)
def test_daemon_checks_the_caller_itself(name, start_daemon, bus):
    """On a bus whose policy lets everybody through, each daemon still
    refuses other users what is root's, and still answers what is open."""
    d = start_daemon(name)
    open_bus_policy(bus, d.bus_name)
    closed, open_ = ACCESS[name]
    r = bus.call_as("nobody", d.bus_name, *closed)
    assert r.denied, (closed, r.stderr)
    r = bus.call_as("nobody", d.bus_name, *open_)
    assert not r.denied, (open_, r.stderr)
    # many callers at once, each asked about once: all answered, none let in
    procs = [harness.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "busctl",
                            "--system", "call", d.bus_name, *[str(a) for a in closed]],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=bus.env) for _ in range(8)]
    for p in procs:
        out, err = p.communicate(timeout=30)
        assert p.returncode != 0 and (b"root only" in err or b"Access denied" in err), err
    assert d.alive()


def test_error_reply_with_a_value_cut_inside_a_character(start_daemon, bus):
    """Messages cut long values at a byte count; cut inside a UTF-8
    character, sd-bus refused to send the reply and the caller waited for
    its timeout."""
    d = start_daemon("networkd")
    name = "a#x" + "é" * 140   # cut at 120 bytes: inside an é
    t0 = time.monotonic()
    with harness.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
        d.call("NetworkDefineXML", f"<network><name>{name}</name></network>", timeout=20)
    assert time.monotonic() - t0 < 10
    assert "network name" in e.message
