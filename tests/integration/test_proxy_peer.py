# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-proxyd's fast path: the calls that only read go to the daemon on its
private peer-to-peer connection (<rundir>/private/<daemon>, common/bus-peer.h)
instead of crossing dbus-daemon twice, and a domain list is one call
(org.virtbus.Connect1.ListDomainHandles) instead of one per domain. What is
checked: the socket is root's only, the reads really skip the bus (its monitor
sees none of them) and answer what they answered before, the writes stay on
the bus, the listing method on the bus is root's, and without the socket the
proxy goes by the bus and comes back to it once it is there again."""

import os
import shutil
import subprocess
import time

import pytest

import virtbus_harness as h
from test_proxy import ProxyEnv

libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")

pytestmark = pytest.mark.timeout(180)

QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
READS = {"GetStats", "GetXMLDesc", "ListDomainHandles", "ListDomains", "DomainLookupByName", "GetAll"}


@pytest.fixture(scope="module")
def env(request):
    e = ProxyEnv(None)
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def domain_xml(name):
    return (f"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>"
            f"<os><type arch='x86_64' machine='q35'>hvm</type></os>"
            f"<devices><emulator>{QEMU}</emulator></devices></domain>")


@pytest.fixture(scope="module")
def doms(env):
    conn = env.open()
    names = [f"peer{i}" for i in range(3)]
    for n in names:
        conn.defineXML(domain_xml(n))
    conn.close()
    yield names
    for n in names:     # on the bus: the proxy may have been started again
        env.bus.busctl("call", "org.virtbus.qemud", f"/org/virtbus/qemud", "org.libvirt.Connect",
                       "DomainLookupByName", "s", n)
        env.proxy.virsh("undefine", n, check=False)


def private(env, name="qemud"):
    return env.root.path / "run" / "virtbus" / "private" / name


# A peer-to-peer client (busctl would say Hello, which no daemon answers).
PEER_CLIENT = r"""
import sys, dbus
c = dbus.connection.Connection("unix:path=" + sys.argv[1])
try:
    if sys.argv[2] == "Get":
        print(c.call_blocking("org.virtbus.qemud", "/org/virtbus/qemud", "org.freedesktop.DBus.Properties",
                              "Get", "ss", ("org.libvirt.Connect", "Hostname"), timeout=20))
    else:
        print(c.call_blocking("org.virtbus.qemud", "/org/virtbus/qemud", "org.virtbus.Connect1",
                              sys.argv[2], "u", (0,), timeout=20))
except dbus.exceptions.DBusException as e:
    print("Error", e.get_dbus_name(), e)
"""


def peer_call(sock, method, user=None):
    pytest.importorskip("dbus", reason="python3-dbus is not installed")
    argv = ["/usr/bin/python3", "-c", PEER_CLIENT, str(sock), method]
    if user:
        argv = h.setpriv_argv(user) + argv
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return r.stdout + r.stderr


def reads_on_bus(env, since):
    time.sleep(0.3)   # the monitor's copy of a message comes a little later
    return [m.get("member") for m in env.mon.messages[since:]
            if m.get("type") == "method_call" and m.get("member") in READS
            and m.get("destination") in ("org.virtbus.qemud", None)]


def read_all(conn, names, d=None):
    """What a client reads most; a lookup (d None) reads the handle's
    properties on the bus (Properties are not carried on the private
    connection)."""
    d = d or conn.lookupByName(names[0])
    info = d.info()
    xml = d.XMLDesc(0)
    listed = {x.name(): (x.ID(), x.UUIDString()) for x in conn.listAllDomains(0)}
    return info, xml, listed, sorted(conn.listDefinedDomains()), conn.listDomainsID()


def test_private_socket_is_roots_only(env, doms):
    sock = private(env)
    assert sock.is_socket()
    assert sock.stat().st_mode & 0o777 == 0o600
    assert sock.parent.stat().st_mode & 0o777 == 0o700
    out = peer_call(sock, "ListDomainHandles")
    assert all(n in out for n in doms), out
    # the standard interfaces are answered on the bus only
    out = peer_call(sock, "Get")
    assert "NotSupported" in out, out
    # opened up by mistake, it still lets no other user in (SO_PEERCRED)
    os.chmod(sock.parent, 0o755)
    os.chmod(sock, 0o666)
    try:
        out = peer_call(sock, "ListDomainHandles", user="nobody")
        assert "peer0" not in out and ("Disconnected" in out or "NoReply" in out or "Error" in out), out
    finally:
        os.chmod(sock, 0o600)
        os.chmod(sock.parent, 0o700)


def test_reads_skip_the_bus_and_writes_do_not(env, doms):
    conn = env.open()
    try:
        d = conn.lookupByName(doms[0])
        read_all(conn, doms, d)       # the private connection is made at the first read
        m = env.mon.mark()
        info, xml, listed, defined, ids = read_all(conn, doms, d)
        assert reads_on_bus(env, m) == []
        assert info[0] == libvirt.VIR_DOMAIN_SHUTOFF and info[1] == 64 * 1024
        assert "<name>peer0</name>" in xml
        for n in doms:
            assert listed[n][0] == -1 and len(listed[n][1]) == 36
            assert n in defined
        assert ids == [] or all(i > 0 for i in ids)
        # a change goes by the bus, in order with the signals it causes
        m = env.mon.mark()
        conn.lookupByName(doms[1]).setAutostart(1)
        conn.lookupByName(doms[1]).setAutostart(0)
        time.sleep(0.3)
        assert any(x.get("member") == "Set" for x in env.mon.messages[m:])
    finally:
        conn.close()


def test_list_domain_handles_on_the_bus(env, doms):
    def call(flags, user=None):
        argv = ["busctl", f"--address={env.bus.address}", "--json=short", "call", "org.virtbus.qemud",
                "/org/virtbus/qemud", "org.virtbus.Connect1", "ListDomainHandles", "u", str(flags)]
        if user:
            argv = h.setpriv_argv(user) + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=30)

    import json
    r = call(0)
    assert r.returncode == 0, r.stderr
    rows = {n: (u, i) for n, u, i in json.loads(r.stdout)["data"][0]}
    conn = env.open()
    try:
        for n in doms:
            assert rows[n] == (conn.lookupByName(n).UUIDString(), -1)
    finally:
        conn.close()
    r = call(1)     # LIST_DOMAINS_ACTIVE: none of ours runs
    assert r.returncode == 0 and not set(doms) & {row[0] for row in json.loads(r.stdout)["data"][0]}
    r = call(1 << 30)
    assert r.returncode != 0 and "flags" in r.stderr.lower(), r.stderr
    r = call(0, user="nobody")
    assert r.returncode != 0 and "denied" in r.stderr.lower(), r.stderr


def test_without_the_socket_the_bus_then_the_socket_again(env, doms):
    sock = private(env)
    away = sock.with_name("qemud.away")
    env.proxy.stop()
    os.rename(sock, away)
    try:
        env.proxy = h.Proxy(env.bus, env.root).start()
        conn = env.open()
        try:
            m = env.mon.mark()
            info, xml, listed, defined, _ = read_all(conn, doms)
            assert "GetStats" in reads_on_bus(env, m)
            assert "<name>peer0</name>" in xml and set(doms) <= set(listed)
            os.rename(away, sock)
            time.sleep(1.2)       # the proxy asks again a second after a failure
            d = conn.lookupByName(doms[0])
            read_all(conn, doms, d)
            m = env.mon.mark()
            read_all(conn, doms, d)
            assert reads_on_bus(env, m) == []
        finally:
            conn.close()
    finally:
        if away.exists():
            os.rename(away, sock)


def test_event_signals_only_from_the_daemon(env, doms):
    """A DomainEvent that does not come from qemud's own connection (here a
    signal sent straight to the proxy by another client: the bus delivers
    those whatever the matches say) is not an event for libvirt's clients."""
    dbus = pytest.importorskip("dbus", reason="python3-dbus is not installed")
    from test_proxy import event_loop
    event_loop()
    conn = env.open()
    seen = []
    bus = dbus.bus.BusConnection(env.bus.address)
    try:
        uuid = conn.lookupByName(doms[0]).UUIDString()
        cb = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                         lambda c, d, ev, detail, op: seen.append((d.name(), ev)), None)
        proxy = bus.get_name_owner("org.libvirt")
        msg = dbus.lowlevel.SignalMessage("/org/virtbus/qemud", "org.libvirt.Connect", "DomainEvent")
        msg.append(dbus.ObjectPath("/org/virtbus/qemud/domain/_" + uuid.replace("-", "_")),
                   dbus.Int32(libvirt.VIR_DOMAIN_EVENT_SUSPENDED), dbus.Int32(0), signature="oii")
        msg.set_destination(proxy)
        bus.send_message(msg)
        bus.flush()
        conn.defineXML(domain_xml("peerev"))    # a real event after it
        h.wait_until(lambda: ("peerev", libvirt.VIR_DOMAIN_EVENT_DEFINED) in seen, 30, what="the defined event")
        assert (doms[0], libvirt.VIR_DOMAIN_EVENT_SUSPENDED) not in seen, seen
        conn.domainEventDeregisterAny(cb)
    finally:
        try:
            conn.lookupByName("peerev").undefine()
        except libvirt.libvirtError:
            pass
        conn.close()
        bus.close()


def test_stream_abort_waits_for_the_daemons_job(env):
    """An aborted stream is confirmed once storaged's job has ended, so the
    volume is free when the client hears of it (libvirtd's abort returns
    the same way). storaged is held (SIGSTOP) while the client aborts: the
    abort must still be waiting, and return once storaged goes on."""
    import signal
    import threading
    target = env.root.path / "pool-pa"
    conn = env.open()
    pool = conn.storagePoolDefineXML(
        f"<pool type='dir'><name>pa</name><target><path>{target}</path></target></pool>", 0)
    stopped = None
    try:
        pool.build(0)
        pool.create(0)
        size = 64 << 20
        vol = pool.createXML(f"<volume><name>a.raw</name><capacity>{size}</capacity></volume>", 0)
        pid = int(env.bus.busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                 "GetConnectionUnixProcessID", "s", "org.virtbus.storaged",
                                 check=True).stdout.split()[1])
        st = conn.newStream(0)
        vol.download(st, 0, 0, 0)
        assert len(st.recv(65536)) > 0
        os.kill(pid, signal.SIGSTOP)
        stopped = pid
        done = threading.Event()
        t = threading.Thread(target=lambda: (st.abort(), done.set()), daemon=True)
        t.start()
        assert not done.wait(1.0), "the abort was confirmed while storaged's job still ran"
        os.kill(pid, signal.SIGCONT)
        stopped = None
        assert done.wait(30)
        vol.delete(0)        # free at once
    finally:
        if stopped:
            os.kill(stopped, signal.SIGCONT)
        try:
            pool.destroy()
        except libvirt.libvirtError:
            pass
        pool.undefine()
        conn.close()


def test_pool_capabilities(env):
    """`virsh pool-capabilities` (cockpit-machines runs it) and python's
    getStoragePoolCapabilities(): storaged's answer, as libvirtd gives it."""
    out = env.virsh("pool-capabilities").stdout
    assert "<storagepoolCapabilities>" in out and "<pool type='dir' supported='yes'>" in out, out
    conn = env.open()
    try:
        assert conn.getStoragePoolCapabilities(0).strip() == out.strip()
        with pytest.raises(libvirt.libvirtError):
            conn.getStoragePoolCapabilities(1 << 20)
    finally:
        conn.close()
