# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared guest RAM as libvirt builds it, with the TCG test guest.

A guest with two NUMA cells, memAccess='shared', and a vhost-user disk
(Debian's qemu-storage-daemon as its back end): each cell's RAM is a
memory-backend-file in the guest's memory backing directory
(<statedir>/qemu/ram/<id>-<name>, qemud.conf's memory_backing_dir), which
the back end maps; the booted guest sees the disk and both nodes. The
files are there while it runs, and gone once it stops, also when qemud was
SIGKILLed and restarted in between; an unprivileged QEMU owns the
directory. A memory_backing_dir that is missing,
or not a directory, fails the start naming it and leaves the guest shut off
(also through virsh on the proxy).
"""

import os
import re
import subprocess

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import Guest, module_env
from virtbus_harness import DomainState as S

env = module_env()

QSD = "/usr/bin/qemu-storage-daemon"
SIZE = 24 << 20
DISK_RE = rb"VIRTBUS-GUEST-DISK (vd[a-z]+) (\d+)"
CELLS = ("<cpu>\n    <numa>\n"
         "      <cell id='0' cpus='0' memory='128' unit='MiB' memAccess='shared'/>\n"
         "      <cell id='1' cpus='1' memory='128' unit='MiB' memAccess='shared'/>\n"
         "    </numa>\n  </cpu>\n  ")


def vhost_disk(sock):
    return (f"    <disk type='vhostuser' device='disk'>\n"
            f"      <driver name='qemu' type='raw'/>\n"
            f"      <source type='unix' path='{sock}'/>\n"
            f"      <target dev='vda' bus='virtio'/>\n"
            f"    </disk>")


def set_conf(env, text):
    conf = env.root / "etc" / "virtbus" / "qemud.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(text)


def ram_dir(env, base=None):
    return (base or env.root / "var" / "lib" / "virtbus" / "qemu" / "ram")


def define(env, name, sock):
    xml = env.guest_xml(name, nic=None, machine="pc", vcpus=2, extra_devices=vhost_disk(sock))
    xml = xml.replace("<os>", CELLS + "<os>", 1)
    return Guest(env, env.call("DomainDefineXML", xml), name)


@pytest.fixture(scope="module")
def backend(env):
    """qemu-storage-daemon exporting a raw file as vhost-user-blk, with a
    queue per vCPU (QEMU 7.2's vhost-user-blk-pci default num-queues)."""
    if not os.access(QSD, os.X_OK):
        pytest.skip(f"{QSD} is missing (Debian's qemu-system-common has it)")
    img, sock = env.root / "numa-disk.img", env.root / "numa-disk.sock"
    with open(img, "wb") as f:
        f.truncate(SIZE)
    log = open(env.root / "qsd.log", "wb")
    h.register_log("qemu-storage-daemon", env.root / "qsd.log")
    p = subprocess.Popen([QSD, "--blockdev", f"driver=file,node-name=file0,filename={img}",
                          "--export", "type=vhost-user-blk,id=exp0,node-name=file0,writable=on,num-queues=2,"
                          f"addr.type=unix,addr.path={sock}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        h.wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 30, 0.1,
                     "qemu-storage-daemon's socket")
        if p.poll() is not None:
            pytest.fail(f"qemu-storage-daemon ended: {(env.root / 'qsd.log').read_text()}")
        yield sock
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def test_shared_cells_with_vhostuser_disk(env, backend):
    set_conf(env, "")
    g = define(env, "memshared", backend)
    try:
        g.start()
        argv = open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")
        objs = [a.decode() for a in argv if a.startswith(b"memory-backend-")]
        assert len(objs) == 2, objs
        m = re.match(r"memory-backend-file,id=ram-node0,mem-path=(\S+)/ram-node0,share=on,size=131072k$", objs[0])
        assert m, objs
        guest_dir = m.group(1)
        assert os.path.dirname(guest_dir) == str(ram_dir(env)), guest_dir
        assert re.fullmatch(r"\d+-memshared", os.path.basename(guest_dir)), guest_dir
        assert objs[1] == f"memory-backend-file,id=ram-node1,mem-path={guest_dir}/ram-node1,share=on,size=131072k"
        assert sorted(os.listdir(guest_dir)) == ["ram-node0", "ram-node1"]
        assert os.stat(guest_dir).st_mode & 0o7777 == 0o700

        # the guest sees the vhost-user disk (its back end maps the shared RAM) and both nodes
        g.wait_marker("VIRTBUS-GUEST-DISK")
        seen = {m[0].decode(): int(m[1]) for m in re.findall(DISK_RE, g.serial_text())}
        assert seen == {"vda": SIZE // 512}, seen
        text = g.serial_text().decode(errors="replace")
        assert re.search(r"Initmem setup node 1 ", text), h.tail(g.serial, 40)

        # a qemud SIGKILLed and back still removes the files once the guest stops
        env.qemud.restart()
        assert g.state()[0] == S.RUNNING
        assert sorted(os.listdir(guest_dir)) == ["ram-node0", "ram-node1"]
        g.call("Destroy", 0)
        h.wait_until(lambda: g.state()[0] == S.SHUTOFF, 30, what="memshared shut off")
        assert not os.path.exists(guest_dir), os.listdir(guest_dir)
    finally:
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


def test_unprivileged_qemu_owns_its_directory(env):
    """QEMU as libvirt-qemu's numeric user (qemud.conf's user and group):
    the guest's directory is its, and QEMU makes its files there. The guest
    is not waited for: the files are there once QEMU runs."""
    set_conf(env, 'user = "+64055"\ngroup = "+64055"\n')
    xml = env.guest_xml("memuser", nic=None, machine="pc", vcpus=2).replace("<os>", CELLS + "<os>", 1)
    g = Guest(env, env.call("DomainDefineXML", xml), "memuser")
    try:
        g.start()
        guest_dir = next(ram_dir(env).glob("*-memuser"))
        st = os.stat(guest_dir)
        assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (64055, 64055, 0o700), st
        assert sorted(os.listdir(guest_dir)) == ["ram-node0", "ram-node1"]
        assert os.stat(guest_dir / "ram-node0").st_uid == 64055
        g.call("Destroy", 0)
        assert not guest_dir.exists()
    finally:
        set_conf(env, "")
        if g.state()[0] != S.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", 0)


def test_failed_start_leaves_no_directory(env):
    """QEMU ends at start (no vhost-user back end listens): the guest's
    directory, made before QEMU ran, goes with the failed start."""
    set_conf(env, "")
    missing = env.root / "nobody-listens.sock"
    g = define(env, "memfail", missing)
    try:
        with pytest.raises(dbus.exceptions.DBusException) as e:
            g.call("Create", 0)
        assert str(missing) in e.value.get_dbus_message(), e.value.get_dbus_message()
        assert g.state()[0] == S.SHUTOFF
        assert not list(ram_dir(env).glob("*-memfail")), os.listdir(ram_dir(env))
    finally:
        g.call("Undefine", 0)


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_bad_memory_backing_dir(env, kind):
    base = env.root / f"ram-{kind}"
    if kind == "file":
        base.write_text("not a directory\n")
    expected = {"missing": "does not exist", "file": "is not a directory"}[kind]
    set_conf(env, f'memory_backing_dir = "{base}"\n')
    g = define(env, f"membad{kind}", "/run/vu-unused.sock")
    try:
        with pytest.raises(dbus.exceptions.DBusException) as e:
            g.call("Create", 0)
        said = e.value.get_dbus_message()
        print(f"\nstart with memory_backing_dir {kind}: {said}")
        assert f"memory backing directory {base} (memory_backing_dir in qemud.conf) {expected}" in said, said
        assert g.state()[0] == S.SHUTOFF
        assert "memAccess='shared'" in g.call("GetXMLDesc", 0)
    finally:
        set_conf(env, "")
        g.call("Undefine", 0)


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    yield p
    p.stop()


def test_bad_memory_backing_dir_through_libvirt(env, proxy):
    """virsh start on the proxy says the same, and the guest stays shut off."""
    base = env.root / "ram-gone"
    set_conf(env, f'memory_backing_dir = "{base}"\n')
    g = define(env, "memvirsh", "/run/vu-unused.sock")
    try:
        r = proxy.virsh("start", "memvirsh", check=False)
        assert r.returncode != 0
        assert f"memory backing directory {base} (memory_backing_dir in qemud.conf) does not exist" in r.stderr, \
            r.stderr
        assert "shut off" in proxy.virsh("domstate", "memvirsh").stdout
    finally:
        set_conf(env, "")
        g.call("Undefine", 0)
