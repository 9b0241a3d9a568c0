# SPDX-License-Identifier: LGPL-2.1-or-later
"""Migration through the proxies (issue 15, the proxy's side): two virtbus
instances on this machine, each with its own root, private bus, host UUID,
qemud and proxy; libvirt clients move the real test guest (TCG, ticking on
its console every second) between them:

- python-libvirt's migrate3() between two connections (the client runs the
  v3 phases: Begin3Params on A's proxy, Prepare3Params on B's, ...);
- `virsh migrate --p2p` (A's proxy runs the phases itself as B's libvirt
  client over qemu+unix://) and python-libvirt's migrateToURI3();
- `virsh migrate --p2p` over qemu+ssh:// (a private sshd on 127.0.0.1 in
  front of the destination's proxy, as tests/integration/test_proxy_remote.py
  runs it; the source proxy starts ssh and speaks through `nc -U`);
- `virsh migrate --offline --persistent`;
- the settings (virsh migrate-setmaxdowntime, migrate-getmaxdowntime,
  migrate-setspeed, migrate-getspeed, migrate-compcache) on a running guest;
- bad input (an unknown URI scheme, a destination that is not there, a name
  the destination already uses): an error, the guest still running on A;
- a --p2p migration aborted half way (domjobabort) and one switched to
  postcopy (virDomainMigrateStartPostCopy);
- a client gone between Prepare and Finish: B's proxy ends the incoming guest;
- jobStats() during a --p2p --copy-storage-all migration: the disks' figures.

After each live move the guest's tick counter goes on from where it was on
the new host (no new boot). The destination's console file is in its own
root (the destination XML says so, as a user's --xml would). QEMU's stream
goes over tcp on 127.0.0.1 (listen_address)."""

import re

import pytest

import virtbus_harness as h
from migrate_common import qmp_trace, ticks_go_on, writes_go_on  # noqa: F401
from test_proxy_remote import RemoteEnv
from test_qemud_common import Guest, S

libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")

pytestmark = pytest.mark.timeout(300)

RUNNING_MIGRATED = 2


def make_env(guest, host_uuid):
    e = RemoteEnv(guest)
    (e.root / "etc" / "virtbus" / "host-uuid").write_text(host_uuid + "\n")
    return e


@pytest.fixture(scope="module")
def hosts(guest, request):
    a = make_env(guest, "22222222-0000-4000-8000-00000000000a")
    b = make_env(guest, "22222222-0000-4000-8000-00000000000b")
    yield a, b
    errors = []
    for e in (a, b):
        e.failed = request.session.testsfailed > 0
        errors += e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


@pytest.fixture(autouse=True)
def _logs(hosts):
    for e in hosts:
        e.register_logs()


def dest_xml(src, dst, name):
    """The guest's XML for the destination: its console file in dst's root."""
    xml = src.open().lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE)
    target = dst.root / f"{name}.serial"
    h.register_log(f"serial console of {name} on {dst.root}", target)
    return re.sub(r"(<serial type='file'>\s*<source path=')[^']*'", rf"\g<1>{target}'", xml, count=1)


def guest_on(env, name):
    return Guest(env, env.call("DomainLookupByName", name), name)


@pytest.fixture(scope="module")
def vm(hosts):
    a, _ = hosts
    g = a.define("pmig", tick=True)
    g.start()
    g.wait_ready()
    g.wait_tick_after(0)
    return g


def moved_on(before, dst, name):
    """The guest runs on dst as migrated, its tick counter going on."""
    g = guest_on(dst, name)
    assert g.state() == (S.RUNNING, RUNNING_MIGRATED)
    first = ticks_go_on(g, before)
    g.wait_tick_after(first)
    return g



def migrate_in_background(dom, uri, params, flags):
    """dom.migrateToURI3 in a thread; returns it and a dict that gets "ok"
    or "error" (the libvirtError's text) when the call ends."""
    import threading
    result = {}

    def run():
        try:
            dom.migrateToURI3(uri, params, flags)
            result["ok"] = True
        except libvirt.libvirtError as e:
            result["error"] = str(e)

    t = threading.Thread(target=run)
    t.start()
    return t, result

def test_features_and_settings(hosts, vm):
    a, _ = hosts
    conn = a.open()
    a.virsh("migrate-setmaxdowntime", "pmig", "400")
    assert a.virsh("migrate-getmaxdowntime", "pmig").stdout.strip() == "400"
    a.virsh("migrate-setspeed", "pmig", "900")
    assert a.virsh("migrate-getspeed", "pmig").stdout.strip() == "900"
    a.virsh("migrate-compcache", "pmig", "--size", str(1 << 26))
    assert "64.000 MiB" in a.virsh("migrate-compcache", "pmig").stdout
    dom = conn.lookupByName("pmig")
    assert dom.migrateGetMaxDowntime() == 400
    assert dom.migrateGetMaxSpeed() == 900
    dom.migrateSetMaxSpeed(0)
    assert dom.migrateGetMaxSpeed() == 0


def test_migrate3_client_managed(hosts, vm):
    """python-libvirt's migrate3: the client runs the phases across the two proxies."""
    a, b = hosts
    before = vm.wait_tick_after(vm.last_tick())
    src, dst = a.open(), b.open()
    params = {libvirt.VIR_MIGRATE_PARAM_DEST_XML: dest_xml(a, b, "pmig"),
              libvirt.VIR_MIGRATE_PARAM_LISTEN_ADDRESS: "127.0.0.1"}
    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
    d = src.lookupByName("pmig").migrate3(dst, params, flags)
    assert d.name() == "pmig" and d.isActive() and d.isPersistent()
    moved_on(before, b, "pmig")
    assert "pmig" not in [x.name() for x in src.listAllDomains()]


def test_virsh_migrate_p2p_back(hosts):
    """virsh migrate --p2p: B's proxy is A's libvirt client."""
    a, b = hosts
    gb = guest_on(b, "pmig")
    gb.serial = b.root / "pmig.serial"
    before = gb.wait_tick_after(gb.last_tick())
    xml = b.root / "pmig-to-a.xml"
    xml.write_text(dest_xml(b, a, "pmig"))
    r = b.virsh("migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--xml", xml,
                "--listen-address", "127.0.0.1", "pmig", a.proxy.uri)
    assert r.returncode == 0, r.stderr
    moved_on(before, a, "pmig")
    assert "pmig" not in [x.name() for x in b.open().listAllDomains()]


def test_migrate_to_uri3_p2p(hosts):
    """python-libvirt's migrateToURI3 with PEER2PEER, as libvirt-dbus's MigrateToURI3 calls it."""
    a, b = hosts
    ga = guest_on(a, "pmig")
    before = ga.wait_tick_after(ga.last_tick())
    params = {libvirt.VIR_MIGRATE_PARAM_DEST_XML: dest_xml(a, b, "pmig"),
              libvirt.VIR_MIGRATE_PARAM_LISTEN_ADDRESS: "127.0.0.1"}
    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_PERSIST_DEST
    a.open().lookupByName("pmig").migrateToURI3(b.proxy.uri, params, flags)
    moved_on(before, b, "pmig")
    # A keeps the definition (no UNDEFINE_SOURCE), shut off
    assert a.open().lookupByName("pmig").isActive() == 0
    a.virsh("undefine", "pmig")


def test_bad_input_keeps_the_guest_running(hosts):
    a, b = hosts
    gb = guest_on(b, "pmig")
    gb.serial = b.root / "pmig.serial"
    before = gb.wait_tick_after(gb.last_tick())
    r = b.virsh("migrate", "--live", "--p2p", "pmig", "xen+gopher://nowhere/system", check=False)
    assert r.returncode != 0 and "gopher" in r.stderr, r.stderr
    missing = a.root / "run" / "libvirt" / "no-such-sock"
    r = b.virsh("migrate", "--live", "--p2p", "pmig", f"qemu+unix:///system?socket={missing}", check=False)
    assert r.returncode != 0 and "no-such-sock" in r.stderr, r.stderr
    # libvirt 9.0's refusal with a QEMU of -blockdev, in its words
    r = b.virsh("migrate", "--live", "--p2p", "--tunnelled", "--copy-storage-all", "pmig", a.proxy.uri, check=False)
    assert r.returncode != 0 and ("Operation not supported: migration of non-shared storage is not supported with"
                                  " tunnelled migration and this QEMU") in r.stderr, r.stderr
    assert gb.state()[0] == S.RUNNING
    gb.wait_tick_after(before)
    assert a.open().listAllDomains() == []


def test_virsh_migrate_p2p_over_ssh(hosts):
    """virsh migrate --p2p qemu+ssh://root@127.0.0.1:PORT/system: B's proxy reaches A's through ssh."""
    a, b = hosts
    a.need_sshd(("nc", "netcat-openbsd"))
    gb = guest_on(b, "pmig")
    gb.serial = b.root / "pmig.serial"
    before = gb.wait_tick_after(gb.last_tick())
    xml = b.root / "pmig-to-a.xml"
    xml.write_text(dest_xml(b, a, "pmig"))
    uri = a.sshd.uri(socket="/run/libvirt/libvirt-sock")
    r = b.virsh("migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--xml", xml,
                "--listen-address", "127.0.0.1", "pmig", uri, check=False)
    assert r.returncode == 0, r.stderr
    moved_on(before, a, "pmig")
    assert b.open().listAllDomains() == []


def test_offline_persistent(hosts):
    """virsh migrate --offline --persistent: only the definition moves."""
    a, b = hosts
    a.define("pmig-off")
    r = a.virsh("migrate", "--offline", "--persistent", "pmig-off", b.proxy.uri, check=False)
    assert r.returncode == 0, r.stderr
    d = b.open().lookupByName("pmig-off")
    assert d.isPersistent() and not d.isActive()
    d.undefine()
    a.virsh("undefine", "pmig-off")


def test_p2p_over_unix_is_logged(hosts):
    """The source proxy says where it sent the guest (its log)."""
    _, b = hosts
    assert "peer to peer" in b.proxy.log_path.read_text()


def test_p2p_refused_by_the_destination_keeps_the_guest(hosts):
    """A name B already uses for another domain: Prepare on B refuses, the
    source proxy confirms the migration cancelled, the guest runs on A."""
    a, b = hosts
    ga = guest_on(a, "pmig")
    before = ga.wait_tick_after(ga.last_tick())
    other = b.define("pmig")
    xml = a.root / "pmig-to-b.xml"
    xml.write_text(dest_xml(a, b, "pmig"))
    r = a.virsh("migrate", "--live", "--p2p", "--xml", xml, "--listen-address", "127.0.0.1", "pmig",
                b.proxy.uri, check=False)
    assert r.returncode != 0 and "pmig" in r.stderr, r.stderr
    assert ga.state()[0] == S.RUNNING
    ga.wait_tick_after(before)
    assert other.state()[0] == S.SHUTOFF
    b.virsh("undefine", "pmig")


def test_p2p_aborted_half_way(hosts):
    """domjobabort during a --p2p migration (slowed down by a 1 MiB/s
    bandwidth): the source proxy's Perform fails, Finish on B is cancelled,
    Confirm resumes the guest on A; nothing is left on B."""
    a, b = hosts
    ga = guest_on(a, "pmig")
    before = ga.wait_tick_after(ga.last_tick())
    dom = a.open().lookupByName("pmig")
    params = {libvirt.VIR_MIGRATE_PARAM_DEST_XML: dest_xml(a, b, "pmig"),
              libvirt.VIR_MIGRATE_PARAM_LISTEN_ADDRESS: "127.0.0.1",
              libvirt.VIR_MIGRATE_PARAM_BANDWIDTH: 1}
    t, result = migrate_in_background(dom, b.proxy.uri, params, libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER)
    watcher = a.open().lookupByName("pmig")
    h.wait_until(lambda: watcher.jobStats().get("type", 0) == libvirt.VIR_DOMAIN_JOB_UNBOUNDED
                 and watcher.jobStats().get("memory_processed", 0) > 0, 60, 0.1, "the migration job running")
    watcher.abortJob()
    t.join(120)
    assert not t.is_alive() and "error" in result, result
    assert ga.state()[0] == S.RUNNING
    ga.wait_tick_after(before)
    h.wait_until(lambda: b.open().listAllDomains() == [], 15, what="nothing left on B")


def test_incoming_guest_ends_with_the_client_that_prepared_it(hosts):
    """A libvirt client (here by hand, on the wire) that calls
    PREPARE3_PARAMS on B's proxy and goes away before FINISH3_PARAMS: the
    paused incoming guest does not stay on B (as libvirt ties it to the
    migration's connection); the guest still runs on A."""
    import struct
    from test_proxy import Raw, xdr_string
    a, b = hosts
    ga = guest_on(a, "pmig")
    xml = dest_xml(a, b, "pmig")
    params = struct.pack(">I", 2)
    for field, value in (("destination_xml", xml), ("listen_address", "127.0.0.1")):
        params += xdr_string(field) + struct.pack(">i", 7) + xdr_string(value)
    c = Raw(b.proxy.socket).handshake()
    f = c.call(303, params + struct.pack(">I", 0) + struct.pack(">I", libvirt.VIR_MIGRATE_LIVE))
    assert f["status"] == 0, f
    assert [d.name() for d in b.open().listAllDomains()] == ["pmig"]
    c.close()
    h.wait_until(lambda: b.open().listAllDomains() == [], 30, what="the incoming guest gone from B")
    assert ga.state()[0] == S.RUNNING
    assert "ending the incoming guest pmig" in b.proxy.log_path.read_text()


def test_p2p_postcopy(hosts):
    """virDomainMigrateStartPostCopy through the proxy during a --p2p
    --postcopy migration slowed down to 1 MiB/s: the guest switches to B
    and runs there."""
    a, b = hosts
    ga = guest_on(a, "pmig")
    before = ga.wait_tick_after(ga.last_tick())
    dom = a.open().lookupByName("pmig")
    params = {libvirt.VIR_MIGRATE_PARAM_DEST_XML: dest_xml(a, b, "pmig"),
              libvirt.VIR_MIGRATE_PARAM_LISTEN_ADDRESS: "127.0.0.1",
              libvirt.VIR_MIGRATE_PARAM_BANDWIDTH: 1}
    flags = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_POSTCOPY
             | libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE)
    t, result = migrate_in_background(dom, b.proxy.uri, params, flags)
    watcher = a.open().lookupByName("pmig")
    h.wait_until(lambda: watcher.jobStats().get("memory_processed", 0) > 0, 60, 0.1, "the migration job running")
    watcher.migrateStartPostCopy()
    t.join(180)
    assert not t.is_alive() and result.get("ok"), result
    moved_on(before, b, "pmig")


# --- copied storage ---------------------------------------------------------------

MIB = 1 << 20
MARK_SECTOR = 32 * MIB // 512


def markers(path):
    out = []
    with open(path, "rb") as f:
        f.seek(MARK_SECTOR * 512)
        while True:
            s = f.read(512)
            if not s.startswith(b"VBMARK"):
                return out
            out.append(int(s[6:14]))


@pytest.fixture(scope="module")
def disk_vm(hosts):
    """A guest whose vda (64 MiB, 16 MiB of data) is A's own file, its
    console a root shell on a unix socket; it writes a numbered marker to
    the next sector of vda every 50 ms for as long as it runs."""
    import os
    from test_qemud_control import Console
    a, _ = hosts
    disk = a.root / "pcs.raw"
    with open(disk, "wb") as f:
        f.write(os.urandom(16 * MIB))
        f.truncate(64 * MIB)
    sock = a.root / "pcs.console"
    extra = (f"    <serial type='unix'>\n      <source mode='bind' path='{sock}'/>\n"
             f"      <target port='0'/>\n    </serial>")
    xml = h.guest_domain_xml(a.guest, "pcs", serial_log=None, nic=None, disks=[(str(disk), "raw", "vda")],
                             extra_cmdline="virtbus.shell virtbus.nodhcp", extra_devices=extra)
    dom = a.open().defineXML(xml)
    dom.create()
    con = Console(sock)
    con.wait("VIRTBUS-GUEST-READY", 120)
    import time
    time.sleep(1)
    con.run("echo shell-up", 30)
    con.sock.sendall((f"(i=0; while :; do printf 'VBMARK%08d' $i | dd of=/dev/vda bs=512 seek=$(({MARK_SECTOR}+i))"
                      f" conv=notrunc,fsync 2>/dev/null; i=$((i+1)); usleep 50000; done) >/dev/null 2>&1 &\n")
                     .encode())
    con.run("echo writer-started", 30)
    con.close()
    h.wait_until(lambda: len(markers(disk)) > 5, 60, what="the guest writing its disk")
    return disk


def moved_xml(src, dst, name):
    """The guest's XML with every path of src's root in dst's."""
    xml = src.open().lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE)
    return xml.replace(str(src.root), str(dst.root))


def test_migrate3_copy_storage_all(hosts, disk_vm):
    """python-libvirt's migrate3 with VIR_MIGRATE_NON_SHARED_DISK and
    migrate_disks: B makes the disk and QEMU copies it over NBD while the
    guest writes; B's guest, left paused (VIR_MIGRATE_PAUSED), has the same
    disk as A's to the byte, and resumed it goes on writing."""
    import filecmp
    a, b = hosts
    disk_b = b.root / "pcs.raw"
    params = {libvirt.VIR_MIGRATE_PARAM_DEST_XML: moved_xml(a, b, "pcs"),
              libvirt.VIR_MIGRATE_PARAM_LISTEN_ADDRESS: "127.0.0.1",
              libvirt.VIR_MIGRATE_PARAM_MIGRATE_DISKS: ["vda"]}
    flags = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_NON_SHARED_DISK | libvirt.VIR_MIGRATE_PAUSED
             | libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE)
    d = a.open().lookupByName("pcs").migrate3(b.open(), params, flags)
    assert d.state()[0] == libvirt.VIR_DOMAIN_PAUSED
    assert filecmp.cmp(disk_vm, disk_b, shallow=False), "B's disk differs from A's"
    n = markers(disk_b)
    assert len(n) > 5 and n == list(range(len(n)))
    d.resume()
    writes_go_on(lambda: len(markers(disk_b)) > len(n) + 5, "the guest writing on B", b.qemu_log_dir / "pcs.log", "B")


def names(env):
    return [d.name() for d in env.open().listAllDomains()]


def drop(env, name):
    """name gone from env, whatever state a failed test left it in."""
    if name in names(env):
        d = env.open().lookupByName(name)
        if d.isActive():
            d.destroy()
        if d.isPersistent():
            d.undefine()


def test_virsh_migrate_p2p_copy_storage_all_back(hosts):
    """virsh migrate --live --p2p --copy-storage-all back to A: A's old
    file is refused (it has other content), then, moved aside, A makes it
    anew and the guest comes back with B's disk."""
    import filecmp
    a, b = hosts
    disk_a, disk_b = a.root / "pcs.raw", b.root / "pcs.raw"
    # the guest test_migrate3_copy_storage_all left writing on B; if QEMU's
    # TCG bug crashed it there, it rebooted without its writer: say so
    n = len(markers(disk_b))
    writes_go_on(lambda: len(markers(disk_b)) > n + 2, "the guest still writing on B", b.qemu_log_dir / "pcs.log", "B")
    xml = b.root / "pcs-to-a.xml"
    xml.write_text(moved_xml(b, a, "pcs"))
    args = ("migrate", "--live", "--p2p", "--copy-storage-all", "--persistent", "--undefinesource", "--xml", xml,
            "--listen-address", "127.0.0.1", "pcs", a.proxy.uri)
    r = b.virsh(*args, check=False)
    assert r.returncode != 0 and "other content" in r.stderr and str(disk_a) in r.stderr, r.stderr
    assert b.open().lookupByName("pcs").state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert a.open().listAllDomains() == []
    disk_a.rename(a.root / "pcs-old.raw")
    try:
        r = b.virsh(*args, "--suspend", check=False)
        assert r.returncode == 0, r.stderr
        d = a.open().lookupByName("pcs")
        assert d.state()[0] == libvirt.VIR_DOMAIN_PAUSED
        assert filecmp.cmp(disk_a, disk_b, shallow=False), "A's disk differs from B's"
        n = markers(disk_a)
        d.resume()
        writes_go_on(lambda: len(markers(disk_a)) > len(n) + 5, "the guest writing on A again",
                     a.qemu_log_dir / "pcs.log", "A")
    finally:
        # the tests after this one move pmig alone: pcs goes whatever happened
        drop(a, "pcs")
        drop(b, "pcs")


def test_job_stats_show_the_disks_copy(hosts):
    """python-libvirt's jobStats() on A during a --p2p --copy-storage-all
    migration (slowed to 1 MiB/s) carries libvirt's disk_total,
    disk_processed and disk_remaining; domjobabort then leaves the guest
    running on A and nothing on B."""
    import os
    a, b = hosts
    disk = a.root / "pjs.raw"
    with open(disk, "wb") as f:
        f.write(os.urandom(4 * MIB))
        f.truncate(64 * MIB)
    xml = h.guest_domain_xml(a.guest, "pjs", serial_log=None, nic=None, disks=[(str(disk), "raw", "vda")])
    dom = a.open().createXML(xml, 0)
    params = {libvirt.VIR_MIGRATE_PARAM_DEST_XML: moved_xml(a, b, "pjs"),
              libvirt.VIR_MIGRATE_PARAM_LISTEN_ADDRESS: "127.0.0.1",
              libvirt.VIR_MIGRATE_PARAM_BANDWIDTH: 1}
    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_NON_SHARED_DISK
    t, result = migrate_in_background(dom, b.proxy.uri, params, flags)
    watcher = a.open().lookupByName("pjs")

    def copying():
        st = watcher.jobStats()
        return st if st.get("disk_processed", 0) > 0 else None
    st = h.wait_until(copying, 60, 0.1, "the disks' copy in jobStats")
    assert st["disk_total"] == 64 * MIB, st
    assert st["disk_processed"] + st["disk_remaining"] == 64 * MIB and st["disk_remaining"] > 0, st
    assert st["data_total"] >= st["disk_total"], st
    watcher.abortJob()
    t.join(120)
    assert not t.is_alive() and "error" in result, result
    assert watcher.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    # pmig lives on B between the tests around this one: only pjs must be gone
    h.wait_until(lambda: "pjs" not in [d.name() for d in b.open().listAllDomains()], 15,
                 what="nothing of pjs left on B")
    watcher.destroy()


def test_virsh_migrate_p2p_tunnelled(hosts):
    """virsh migrate --p2p --tunnelled: QEMU's stream goes through the two
    proxies' connection (B's proxy fills a PREPARE_TUNNEL3_PARAMS stream
    from a pipe QEMU writes; A's proxy empties it into the pipe A's
    incoming QEMU reads), then back with python-libvirt's migrateToURI3."""
    a, b = hosts
    gb = guest_on(b, "pmig")
    gb.serial = b.root / "pmig.serial"
    before = gb.wait_tick_after(gb.last_tick())
    xml = b.root / "pmig-to-a.xml"
    xml.write_text(dest_xml(b, a, "pmig"))
    r = b.virsh("migrate", "--live", "--p2p", "--tunnelled", "--persistent", "--undefinesource", "--xml", xml,
                "pmig", a.proxy.uri, check=False)
    assert r.returncode == 0, r.stderr
    ga = moved_on(before, a, "pmig")
    assert "reads the proxy's tunnel" in a.qemud.log_path.read_text()
    before = ga.wait_tick_after(ga.last_tick())
    params = {libvirt.VIR_MIGRATE_PARAM_DEST_XML: dest_xml(a, b, "pmig")}
    flags = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_TUNNELLED
             | libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE)
    a.open().lookupByName("pmig").migrateToURI3(b.proxy.uri, params, flags)
    moved_on(before, b, "pmig")
    assert "pmig" not in names(a)


def test_p2p_tunnelled_aborted_half_way(hosts):
    """domjobabort during a --p2p --tunnelled migration slowed to 1 MiB/s:
    A's QEMU stops writing the tunnel, the stream ends, B's incoming guest
    goes, the guest runs on at B."""
    a, b = hosts
    gb = guest_on(b, "pmig")
    gb.serial = b.root / "pmig.serial"
    before = gb.wait_tick_after(gb.last_tick())
    dom = b.open().lookupByName("pmig")
    params = {libvirt.VIR_MIGRATE_PARAM_DEST_XML: dest_xml(b, a, "pmig"), libvirt.VIR_MIGRATE_PARAM_BANDWIDTH: 1}
    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_TUNNELLED
    t, result = migrate_in_background(dom, a.proxy.uri, params, flags)
    watcher = b.open().lookupByName("pmig")
    h.wait_until(lambda: watcher.jobStats().get("memory_processed", 0) > 0, 60, 0.1, "the migration job running")
    watcher.abortJob()
    t.join(120)
    assert not t.is_alive() and "error" in result, result
    assert gb.state()[0] == S.RUNNING
    gb.wait_tick_after(before)
    h.wait_until(lambda: "pmig" not in names(a), 30, what="nothing of pmig left on A")
    b.open().lookupByName("pmig").migrateSetMaxSpeed(0)
