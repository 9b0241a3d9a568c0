# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live migration between libvirt 9.0 and virtbus (issue 15's stretch): a
private libvirtd in network namespace A (bench/migrate_libvirt.py runs it:
its own mount namespace over libvirt's folders, tcp on its veth address, no
security driver, no cgroups) and a virtbus host in namespace B (qemud, logd,
lockd and the proxy, reached over tcp across the veth, as
test_migrate_netns.py has it).

- `virsh -c <libvirtd A> migrate --live --p2p --persistent --undefinesource
  dom qemu+tcp://B/system`: libvirtd runs the v3 phases against virtbus's
  proxy (Prepare3Params with libvirt's own cookie and live XML, Finish3Params);
  B's QEMU takes A's stream; the ticking test guest goes on from where it
  was, persistent on B, gone from A.
- and back, `virsh -c <virtbus B> migrate --live --p2p ... qemu+tcp://A/system`:
  virtbus's proxy as the p2p source speaking to libvirtd.
- both ways --tunnelled (the stream inside the daemons' connection) and
  --copy-storage-all (the disk over NBD; identical on each host after).

Skipped, with the reason, where libvirtd (libvirt-daemon-system 9.0 and its
QEMU driver), virsh, python3-libvirt or network namespaces are missing."""

import filecmp
import os
import subprocess
import sys

import pytest

import virtbus_harness as h
from migrate_common import qmp_trace, ticks_go_on  # noqa: F401
from test_qemud_common import Guest, S

sys.path.insert(0, str(h.REPO / "bench"))
import migrate_libvirt  # noqa: E402

libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")

pytestmark = pytest.mark.timeout(400)

RUNNING_MIGRATED = 2


@pytest.fixture(scope="module")
def hosts(guest, request, tmp_path_factory):
    why = migrate_libvirt.unavailable() or h.NetnsPair.unavailable()
    if not why and not h.shutil.which("virsh"):
        why = "virsh (libvirt-clients) is not installed"
    if why:
        pytest.skip(why)
    from test_migrate_netns import Host
    pair = h.NetnsPair()
    work = tmp_path_factory.mktemp("lvmig")
    made = []
    try:
        try:
            made.append(migrate_libvirt.LibvirtHost(h.REPO, work / "libvirtd", pair, 0,
                                                    "66666666-0000-4000-8000-00000000000a"))
        except migrate_libvirt.Unavailable as e:
            pytest.skip(f"libvirtd cannot run here: {e}")
        made.append(Host(guest, pair, 1, "66666666-0000-4000-8000-00000000000b"))
        yield pair, made[0], made[1], work
    finally:
        errors = []
        for e in reversed(made):
            if isinstance(e, migrate_libvirt.LibvirtHost):
                e.close()
            else:
                e.failed = request.session.testsfailed > 0
                errors += e.close()
        errors += pair.close()
        if errors:
            raise RuntimeError("cleanup errors: " + "; ".join(errors))


@pytest.fixture(autouse=True)
def _logs(hosts):
    _, lv, vb, _ = hosts
    vb.register_logs()
    h.register_log("libvirtd A", lv.t / "libvirtd.log")
    h.register_log_dir("libvirtd A's QEMU log", lv.t / "log" / "qemu")


def lv_virsh(lv, *args):
    return subprocess.run(["virsh", "-c", lv.uri, *args], capture_output=True, text=True, timeout=300)


class ConsoleTicks(Guest):
    """The ticks of a console file of libvirtd's guest, read as
    test_qemud_common.Guest reads them (no virtbus domain behind it)."""

    def __init__(self, serial, name):
        self.env = self.path = None
        self.name = name
        self.serial = serial


def ticking(serial, name):
    return ConsoleTicks(serial, name)


def xml_with_console(xml, old, new):
    h.register_log(f"serial console at {new}", new)
    assert str(old) in xml
    return xml.replace(str(old), str(new))


def net_ns_of(pid):
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def migrate_args(how, addr):
    if how == "tunnelled":
        return ["--tunnelled"]          # libvirt: no migration URI with a tunnel
    extra = ["--copy-storage-all"] if how == "copy" else []
    return extra + ["--migrateuri", f"tcp://{addr}"]


@pytest.mark.parametrize("how", ["plain", "tunnelled", "copy"])
def test_libvirtd_source_to_virtbus_and_back(hosts, guest, how):
    """how: QEMU's stream straight to B's; inside the daemons' connection
    (--tunnelled); with the disk copied over NBD (--copy-storage-all: B makes
    its file, libvirtd wants A's there, as libvirt has it), identical after."""
    pair, lv, vb, work = hosts
    name = f"lvmig-{how}"
    on_a = work / f"{name}-a.serial"
    disks = {}
    if how == "copy":
        disks = {"a": work / f"{name}-a.raw", "b": vb.root / f"{name}-b.raw", "back": work / f"{name}-back.raw"}
        with open(disks["a"], "wb") as f:
            f.truncate(64 << 20)
            f.seek(1 << 20)
            f.write(b"written on libvirtd's host " * 100)
    xml = h.guest_domain_xml(guest, name, serial_log=on_a, nic=None, extra_cmdline="virtbus.tick=1",
                             disks=[str(disks["a"])] if disks else ())
    lv.conn.defineXML(xml).create()
    ga = ticking(on_a, name)
    ga.wait_tick_after(0, timeout=180)

    # libvirtd -> virtbus: libvirtd's live XML, its console (and disk) in B's root
    on_b = vb.root / f"{name}.serial"
    text = xml_with_console(lv.conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE), on_a, on_b)
    if disks:
        text = text.replace(str(disks["a"]), str(disks["b"]))
    dxml = work / f"{name}-to-b.xml"
    dxml.write_text(text)
    before = ga.wait_tick_after(ga.last_tick())
    r = lv_virsh(lv, "migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--xml", str(dxml),
                 *migrate_args(how, vb.addr), name, vb.tcp_uri)
    assert r.returncode == 0, r.stderr
    gb = Guest(vb, vb.call("DomainLookupByName", name), name)
    gb.serial = on_b
    assert gb.state() == (S.RUNNING, RUNNING_MIGRATED)
    ticks_go_on(gb, before, "virtbus B")
    assert net_ns_of(gb.pid()) == pair.ns_inode(1)
    assert vb.open().lookupByName(name).isPersistent()
    assert lv.conn.listAllDomains(0) == []
    if disks:
        assert filecmp.cmp(disks["a"], disks["b"], shallow=False), "B's disk is not A's"

    # virtbus -> libvirtd: virtbus's proxy runs the phases against libvirtd
    back = work / f"{name}-back.serial"
    text = xml_with_console(vb.open().lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE), on_b, back)
    if disks:
        text = text.replace(str(disks["b"]), str(disks["back"]))
        with open(disks["back"], "wb") as f:
            f.truncate(64 << 20)
    bxml = work / f"{name}-to-a.xml"
    bxml.write_text(text)
    before = gb.wait_tick_after(gb.last_tick())
    r = vb.virsh("migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--xml", str(bxml),
                 *migrate_args(how, lv.addr), name, f"qemu+tcp://{lv.addr}/system", check=False)
    assert r.returncode == 0, r.stderr
    dom = lv.conn.lookupByName(name)
    assert dom.state() == [libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_MIGRATED]
    assert dom.isPersistent()
    ticks_go_on(ticking(back, name), before, "libvirtd A")
    assert vb.open().listAllDomains(0) == []
    if disks:
        assert filecmp.cmp(disks["b"], disks["back"], shallow=False), "A's disk is not B's"
    dom.destroy()
    dom.undefine()
