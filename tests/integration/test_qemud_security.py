# SPDX-License-Identifier: LGPL-2.1-or-later
"""Security labels in virtbus-qemud: QEMU under an unprivileged DAC user.

qemud.conf sets `user = "+64055"` and `group = "+64055"` (libvirt's numeric
form: no such user needs to exist). Then:

- QEMU runs as 64055:64055 (/proc/PID/status), the guest boots from its
  kernel and initrd, which (with its qcow2 disk, the disk's raw backing file,
  a read-only image and its serial file) are owned by 64055 while it runs,
  each remembering its owner in trusted.libvirt.security.* xattrs;
- the live XML shows <seclabel type='dynamic' model='dac'> with the label,
  GetSecurityLabelList and NodeGetSecurityModel answer as libvirt, the
  capabilities list the dac secmodel; virsh dominfo and capabilities through
  the proxy likewise;
- a second guest on the read-only image counts itself in: stopping it (or
  losing it while qemud is down) leaves the image to the first;
- qemud SIGKILLed and started again gives the files back at the stop, with
  the xattrs gone, each to its own owner (root, or 1234 for one of them);
- QEMU cannot open a root-owned 0600 file (a disk with relabel='no'): the
  start fails and every file it had been given goes back;
- bad input: a static label without <label>, model 'selinux' (this host's
  kernel has none), a disk on a read-only bind mount that cannot be chowned:
  a specific error, the guest not started, every owner as it was.

One guest boots (TCG); the others only start paused or fail to start."""

import copy
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

import virtbus_harness as h
from test_qemud_common import QemudEnv, _env_logs, dbus_error, pid_alive, xmllint_relaxng  # noqa: F401
from virtbus_harness import DomainState as S

pytestmark = pytest.mark.timeout(300)

UID = GID = 64055
LABEL = f"+{UID}:+{GID}"
X_DAC = "trusted.libvirt.security.dac"
X_REF = "trusted.libvirt.security.ref_dac"
X_STAMP = "trusted.libvirt.security.timestamp_dac"
START_PAUSED = 1


class SecEnv(QemudEnv):
    """qemud with QEMU's DAC user set, a proxy, and the guest's kernel and
    initrd copied into the root (the shared copies are never chowned)."""

    def __init__(self, guest):
        super().__init__(guest)
        conf = self.root / "etc" / "virtbus" / "qemud.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(f'user = "+{UID}"\ngroup = "+{GID}"\n')
        self.files = self.root / "files"
        self.files.mkdir()
        os.chmod(self.files, 0o755)
        g = copy.copy(guest)
        g.kernel = self.files / "kernel"
        g.initrd = self.files / "initrd.gz"
        shutil.copyfile(guest.kernel, g.kernel)
        shutil.copyfile(guest.initrd, g.initrd)
        self.guest = g
        self.proxy = None
        if shutil.which("virsh"):
            self.proxy = h.Proxy(self.bus, self.root).start()

    def close(self):
        if self.proxy:
            self.proxy.stop()
        return super().close()

    def image(self, name, size="16M", fmt="raw", backing=None, owner=(0, 0), mode=0o644):
        p = self.files / name
        cmd = ["qemu-img", "create", "-q", "-f", fmt]
        if backing:
            cmd += ["-b", str(backing), "-F", "raw"]
        cmd += [str(p)] + ([] if backing else [size])
        subprocess.run(cmd, check=True)
        os.chown(p, *owner)
        os.chmod(p, mode)
        return p


@pytest.fixture(scope="module")
def env(guest, request):
    if not shutil.which("qemu-img"):
        pytest.skip("qemu-img is not installed")
    e = SecEnv(guest)
    probe = e.files / "probe"
    probe.write_text("")
    try:
        os.setxattr(probe, "trusted.vb-probe", b"1")
    except OSError as err:
        e.close()
        pytest.skip(f"the test root's filesystem has no trusted xattrs: {err}")
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def owner(p):
    st = os.stat(p)
    return (st.st_uid, st.st_gid)


def xattrs(p):
    return {k: os.getxattr(p, k).decode() for k in os.listxattr(p) if k.startswith("trusted.libvirt.")}


def proc_ids(pid):
    ids = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                ids[key] = value.split()
    return ids


def disk_xml(path, target, fmt="raw", readonly=False, seclabel=""):
    ro = "\n      <readonly/>" if readonly else ""
    src = (f"<source file='{path}'>{seclabel}</source>" if seclabel else f"<source file='{path}'/>")
    return (f"    <disk type='file' device='disk'>\n      <driver name='qemu' type='{fmt}'/>\n"
            f"      {src}\n      <target dev='{target}' bus='virtio'/>{ro}\n    </disk>")


@pytest.fixture(scope="module")
def images(env):
    base = env.image("base.raw")
    top = env.image("top.qcow2", fmt="qcow2", backing=base)
    shared = env.image("shared.img", owner=(1234, 1234), mode=0o640)
    return {"base": base, "top": top, "shared": shared}


@pytest.fixture(scope="module")
def vm1(env, images):
    extra = "\n".join([disk_xml(images["top"], "vda", "qcow2"),
                       disk_xml(images["shared"], "vdb", readonly=True)])
    xml = env.guest_xml("sec1", extra_devices=extra, nic=None)
    path = env.call("DomainDefineXML", xml)
    from test_qemud_common import Guest
    return Guest(env, path, "sec1")


def given_files(env, images):
    return [images["top"], images["base"], images["shared"], env.guest.kernel, env.guest.initrd,
            env.root / "sec1.serial"]


def test_qemu_runs_as_the_dac_user(env, images, vm1):
    before = {p: owner(p) for p in (images["top"], images["base"], images["shared"])}
    assert before[images["shared"]] == (1234, 1234)
    vm1.start()
    assert vm1.state()[0] == S.RUNNING
    pid = vm1.pid()
    ids = proc_ids(pid)
    assert ids["Uid"] == [str(UID)] * 4, ids
    assert ids["Gid"] == [str(GID)] * 4, ids
    # the guest really boots from files it may read only as their owner
    vm1.wait_ready()
    for p in given_files(env, images):
        assert owner(p) == (UID, GID), f"{p} is not QEMU's while it runs"
        x = xattrs(p)
        assert x.get(X_REF) == "1" and X_STAMP in x, (p, x)
    assert xattrs(images["shared"])[X_DAC] == "+1234:+1234"
    assert xattrs(images["top"])[X_DAC] == "+0:+0"
    # the pidfile QEMU wrote as its user
    assert owner(env.run_dir / "sec1.pid") == (UID, GID)


def test_labels_on_the_bus_and_in_the_xml(env, vm1):
    live = vm1.call("GetXMLDesc", 0)
    assert (f"<seclabel type='dynamic' model='dac' relabel='yes'>\n"
            f"    <label>{LABEL}</label>\n"
            f"    <imagelabel>{LABEL}</imagelabel>\n"
            f"  </seclabel>") in live, live
    xmllint_relaxng(live, "domain", "the live XML")
    assert "seclabel" not in vm1.call("GetXMLDesc", 2)     # inactive: the driver's own label is not shown
    labels = [(str(a), bool(b)) for a, b in vm1.call("GetSecurityLabelList")]
    assert labels == [("", False), (LABEL, False)]
    assert tuple(env.call("NodeGetSecurityModel")) == ("none", "0")
    caps = env.call("GetCapabilities")
    assert "<model>dac</model>" in caps and f"<baselabel type='qemu'>{LABEL}</baselabel>" in caps, caps
    xmllint_relaxng(caps, "capability", "the capabilities")
    # a shut off domain has no process: no labels
    other = env.call("DomainDefineXML", env.guest_xml("secoff", nic=None))
    try:
        assert list(env.dcall(other, "GetSecurityLabelList")) == []
    finally:
        env.dcall(other, "Undefine", 0)


def test_virsh_dominfo_and_capabilities(env, vm1):
    if not env.proxy:
        pytest.skip("virsh (libvirt-clients) is not installed")
    info = env.proxy.virsh("dominfo", "sec1").stdout
    assert "Security model: none" in info and "Security DOI:   0" in info, info
    info_ro = env.proxy.virsh("dominfo", "sec1", uri=env.proxy.uri_ro).stdout
    assert "Security model: none" in info_ro, info_ro
    caps = env.proxy.virsh("capabilities").stdout
    assert "<model>dac</model>" in caps and LABEL in caps, caps
    try:
        import libvirt
    except ImportError:
        return
    conn = libvirt.open(env.proxy.uri)
    try:
        dom = conn.lookupByName("sec1")
        assert dom.securityLabel() == ["", 0]
        assert dom.securityLabelList() == [["", 0], [LABEL, 0]]
        assert conn.getSecurityModel() == ["none", "0"]
    finally:
        conn.close()


def second_guest_xml(env, images, name):
    return env.guest_xml(name, nic=None, extra_devices=disk_xml(images["shared"], "vda", readonly=True))


def test_second_guest_on_the_shared_image(env, images, vm1):
    g2 = env.call("DomainDefineXML", second_guest_xml(env, images, "sec2"))
    try:
        env.dcall(g2, "Create", START_PAUSED)
        assert xattrs(images["shared"])[X_REF] == "2"
        assert owner(images["shared"]) == (UID, GID)
        env.dcall(g2, "Destroy", 0)
        # the first guest still has it
        assert owner(images["shared"]) == (UID, GID)
        assert xattrs(images["shared"])[X_REF] == "1"
        assert xattrs(images["shared"])[X_DAC] == "+1234:+1234"

        # lost while qemud is down: counted out when qemud finds it gone
        env.dcall(g2, "Create", START_PAUSED)
        assert xattrs(images["shared"])[X_REF] == "2"
        pid = env.status_pid("sec2")
        env.qemud.kill(signal.SIGKILL)
        os.kill(pid, signal.SIGKILL)
        h.wait_until(lambda: not pid_alive(pid), 10, what="QEMU of sec2 to die")
        env.qemud.start()
        assert env.state(g2)[0] == S.SHUTOFF
        assert xattrs(images["shared"])[X_REF] == "1"
        assert owner(images["shared"]) == (UID, GID)
    finally:
        env.dcall(g2, "Undefine", 0)
    assert vm1.state()[0] == S.RUNNING


def test_kvm_node_out_of_reach(env, images):
    """A kvm guest whose QEMU user may not open /dev/kvm (a 0600 node, as
    on hosts without a kvm group) fails with a clear error, nothing given."""
    if not h.kvm_available():
        pytest.skip("no KVM here")
    st = os.stat("/dev/kvm")
    if st.st_mode & 0o006 == 0o006 or (st.st_mode & 0o060 == 0o060 and st.st_gid != 0):
        pytest.skip("/dev/kvm is open to QEMU's user here")
    before = xattrs(images["shared"])
    g = env.call("DomainDefineXML", second_guest_xml(env, images, "seckvm").replace(
        "<domain type='qemu'>", "<domain type='kvm'>"))
    try:
        with dbus_error("OperationFailed", "cannot open /dev/kvm", LABEL):
            env.dcall(g, "Create", START_PAUSED)
        assert xattrs(images["shared"]) == before
    finally:
        env.dcall(g, "Undefine", 0)


def test_sigkill_restart_then_stop_restores_every_owner(env, images, vm1):
    pid = vm1.pid()
    env.qemud.kill(signal.SIGKILL)
    env.qemud.start()
    assert vm1.pid() == pid and vm1.state()[0] == S.RUNNING
    assert owner(images["top"]) == (UID, GID)
    vm1.call("Destroy", 0)
    assert vm1.state()[0] == S.SHUTOFF
    for p in given_files(env, images):
        want = (1234, 1234) if p == images["shared"] else (0, 0)
        assert owner(p) == want, f"{p}: {owner(p)} after the stop, expected {want}"
        assert xattrs(p) == {}, f"{p} kept {xattrs(p)}"


def test_qemu_cannot_open_a_root_file(env, images):
    secret = env.image("secret.img", mode=0o600)
    xml = env.guest_xml("sec3", nic=None, extra_devices="\n".join([
        disk_xml(images["top"], "vda", "qcow2"),
        disk_xml(secret, "vdb", seclabel="<seclabel model='dac' relabel='no'/>")]))
    g3 = env.call("DomainDefineXML", xml)
    try:
        with dbus_error("OperationFailed", "Permission denied"):
            env.dcall(g3, "Create", START_PAUSED)
        assert env.state(g3)[0] == S.SHUTOFF
        assert owner(secret) == (0, 0) and xattrs(secret) == {}
        # what the failed start had given went back
        for p in (images["top"], images["base"], env.guest.kernel, env.guest.initrd):
            assert owner(p) == (0, 0) and xattrs(p) == {}, p
    finally:
        env.dcall(g3, "Undefine", 0)


def test_bad_labels_are_refused(env):
    static = env.guest_xml("bad1", nic=None).replace(
        "</devices>", "</devices>\n  <seclabel type='static' model='dac'/>")
    with dbus_error("XMLError", "security label is missing"):
        env.call("DomainDefineXML", static)
    selinux = env.guest_xml("bad2", nic=None).replace(
        "</devices>", "</devices>\n  <seclabel type='dynamic' model='selinux'/>")
    if os.path.exists("/sys/fs/selinux/enforce"):
        pytest.skip("this host runs SELinux")
    # kept at define as libvirt keeps it, refused at the start, left shut off
    g = env.call("DomainDefineXML", selinux)
    try:
        assert "model='selinux'" in env.dcall(g, "GetXMLDesc", 0)
        with dbus_error("ConfigUnsupported", "security model 'selinux'", "not available on this host"):
            env.dcall(g, "Create", 0)
        assert env.state(g)[0] == S.SHUTOFF
    finally:
        env.dcall(g, "Undefine", 0)
    with dbus_error("ConfigUnsupported", "security model 'selinux'", "not available on this host"):
        env.call("DomainCreateXML", selinux.replace("bad2", "bad3"), 0)
    with dbus_error("ConfigUnsupported", "security model 'smack'", "not known"):
        env.call("DomainDefineXML", selinux.replace("'selinux'", "'smack'"))
    # by name: an object path's uuid may hold "bad" in its hex digits
    names = [str(env.qemud.get_property(p, "org.libvirt.Domain", "Name")) for p in env.call("ListDomains", 0)]
    assert not any(n.startswith("bad") for n in names), names


def test_disk_on_a_read_only_filesystem(env, images):
    src = env.files / "rosrc"
    ro = env.files / "ro"
    src.mkdir()
    ro.mkdir()
    disk = src / "disk.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(disk), "1M"], check=True)
    os.chown(disk, 1234, 1234)
    subprocess.run(["mount", "--bind", str(src), str(ro)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=True)
        xml = env.guest_xml("sec4", nic=None, extra_devices="\n".join([
            disk_xml(images["top"], "vda", "qcow2"), disk_xml(ro / "disk.img", "vdb")]))
        g4 = env.call("DomainDefineXML", xml)
        try:
            with dbus_error("OperationFailed", str(ro / "disk.img"), LABEL, "Read-only file system"):
                env.dcall(g4, "Create", START_PAUSED)
            assert env.state(g4)[0] == S.SHUTOFF
            assert not env.status_file("sec4").exists()
            assert owner(disk) == (1234, 1234) and xattrs(disk) == {}
            for p in (images["top"], images["base"], env.guest.kernel, env.guest.initrd):
                assert owner(p) == (0, 0) and xattrs(p) == {}, p
        finally:
            env.dcall(g4, "Undefine", 0)
    finally:
        subprocess.run(["umount", str(ro)], check=False)


def test_hotplugged_disk_given_and_given_back(env, images):
    """An unprivileged QEMU opens a root-owned 0600 disk plugged live: it is
    given to QEMU's user before blockdev-add, and back once the guest let it
    go; a plug QEMU refuses gives it back too."""
    from test_qemud_common import Guest
    live = 1
    hot = env.image("hot.img", size="8M", mode=0o600)
    bad = env.image("bad.img", size="1M", mode=0o600)
    ports = "\n".join([disk_xml(images["shared"], "vdb", readonly=True)] + [
        "    <controller type='pci' index='0' model='pcie-root'/>"] + [
        f"    <controller type='pci' index='{i}' model='pcie-root-port'/>" for i in range(1, 6)])
    g = Guest(env, env.call("DomainDefineXML", env.guest_xml("sec5", nic=None, extra_devices=ports)), "sec5")
    try:
        g.ensure_running()
        mark = env.mon.mark()
        g.call("AttachDevice", disk_xml(hot, "vdc"), live)
        assert owner(hot) == (UID, GID)
        assert xattrs(hot).get(X_DAC) == "+0:+0"
        assert f"<source file='{hot}'/>" in g.call("GetXMLDesc", 0)
        env.mon.wait_signal("DeviceAdded", interface="org.libvirt.Domain", path=g.path, since=mark, timeout=10)
        mark = env.mon.mark()
        g.call("DetachDevice", disk_xml(hot, "vdc"), live)
        env.mon.wait_signal("DeviceRemoved", interface="org.libvirt.Domain", path=g.path, since=mark, timeout=60)
        h.wait_until(lambda: owner(hot) == (0, 0), 10, 0.1, "hot.img given back")
        assert xattrs(hot) == {}
        # a plug QEMU refuses (raw bytes read as qcow2) gives the file back
        with dbus_error("OperationFailed", "cannot attach"):
            g.call("AttachDevice", disk_xml(bad, "vdd", fmt="qcow2"), live)
        assert owner(bad) == (0, 0) and xattrs(bad) == {}
    finally:
        g.ensure_shutoff()
        env.dcall(g.path, "Undefine", 0)


def test_automatic_socket_in_the_guests_own_directory(env):
    """A unix channel without a path: an unprivileged QEMU makes its socket
    in <rundir>/domain-<id>-<name>/, a directory of QEMU's user, removed at
    the stop."""
    import re
    chan = ("    <channel type='unix'><source mode='bind'/>"
            "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>")
    g = env.call("DomainDefineXML", env.guest_xml("sec6", nic=None, extra_devices=chan))
    try:
        env.dcall(g, "Create", START_PAUSED)
        xml = env.dcall(g, "GetXMLDesc", 0)
        dom_id = int(re.search(r"<domain [^>]*\bid='(\d+)'", xml).group(1))
        d = env.run_dir / f"domain-{dom_id}-sec6"
        sock = d / "sec6.channel0.sock"
        assert f"path='{sock}'" in xml, xml
        assert owner(d) == (UID, GID) and (os.stat(d).st_mode & 0o777) == 0o750
        assert sock.is_socket() and owner(sock) == (UID, GID)
        env.dcall(g, "Destroy", 0)
        assert not d.exists()
    finally:
        if env.state(g)[0] != S.SHUTOFF:
            env.dcall(g, "Destroy", 0)
        env.dcall(g, "Undefine", 0)


def wait_job(env, g, disk, status, since):
    env.mon.wait_signal("BlockJob", "org.libvirt.Domain", g.path, args=lambda a: a[0] == disk and a[2] == status,
                        since=since, timeout=120)


COPY_READY, COPY_COMPLETED, COPY_CANCELED = 3, 0, 2
ABORT_PIVOT = 2


def test_block_jobs_give_and_take(env):
    """A commit gives back the layer it merged away; a copy's destination
    is QEMU's from the start, and after the pivot the old chain goes back;
    a copy aborted gives back its destination; the stop gives back the
    rest, xattrs cleaned."""
    base = env.image("bjbase.raw")
    mid = env.files / "bjmid.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(base), "-F", "raw", str(mid)], check=True)
    top = env.files / "bjtop.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(mid), "-F", "qcow2", str(top)], check=True)
    other = env.image("bjother.raw", size="4M")
    dest, dest2 = env.files / "bjcopy.raw", env.files / "bjcopy2.raw"
    extra = "\n".join([disk_xml(top, "vda", "qcow2"), disk_xml(other, "vdb")])
    path = env.call("DomainDefineXML", env.guest_xml("secbj", extra_devices=extra, nic=None))
    from test_qemud_common import Guest
    g = Guest(env, path, "secbj")
    try:
        g.start(START_PAUSED)   # block jobs run with the vCPUs paused
        for p in (top, mid, base, other):
            assert owner(p) == (UID, GID), p
        # commit mid into base: mid leaves the chain
        since = env.mark()
        g.call("BlockCommit", "vda", str(base), str(mid), 0, 0)
        wait_job(env, g, "vda", COPY_COMPLETED, since)
        assert owner(mid) == (0, 0) and xattrs(mid) == {}
        assert owner(top) == owner(base) == (UID, GID)
        # a copy onto a new image, pivoted
        since = env.mark()
        g.call("BlockCopy", "vda", f"<disk type='file'><source file='{dest}'/><driver type='raw'/></disk>", {}, 0)
        wait_job(env, g, "vda", COPY_READY, since)
        assert owner(dest) == (UID, GID) and xattrs(dest)[X_DAC] == "+0:+0"
        g.call("BlockJobAbort", "vda", ABORT_PIVOT)
        wait_job(env, g, "vda", COPY_COMPLETED, since)
        for p in (top, base):
            assert owner(p) == (0, 0) and xattrs(p) == {}, p
        assert owner(dest) == (UID, GID)
        # a copy aborted: its destination goes back
        since = env.mark()
        g.call("BlockCopy", "vdb", f"<disk type='file'><source file='{dest2}'/></disk>", {}, 0)
        wait_job(env, g, "vdb", COPY_READY, since)
        assert owner(dest2) == (UID, GID)
        g.call("BlockJobAbort", "vdb", 0)
        wait_job(env, g, "vdb", COPY_CANCELED, since)
        assert owner(dest2) == (0, 0) and xattrs(dest2) == {}
    finally:
        g.ensure_shutoff()
        g.call("Undefine", 0)
    for p in (top, mid, base, other, dest, dest2):
        assert owner(p) == (0, 0) and xattrs(p) == {}, (p, owner(p), xattrs(p))


def test_copy_destination_given_back_when_the_guest_stops(env):
    """A guest destroyed in the middle of a copy gives its destination back
    too (it is in the live XML's <mirror>, not in a disk's source)."""
    src = env.image("bjsrc2.raw", size="4M")
    dest = env.files / "bjcopy3.raw"
    path = env.call("DomainDefineXML", env.guest_xml("secbj2", extra_devices=disk_xml(src, "vdb"), nic=None))
    from test_qemud_common import Guest
    g = Guest(env, path, "secbj2")
    try:
        g.start(START_PAUSED)
        since = env.mark()
        g.call("BlockCopy", "vdb", f"<disk type='file'><source file='{dest}'/></disk>", {}, 0)
        wait_job(env, g, "vdb", COPY_READY, since)
        assert owner(dest) == (UID, GID)
        g.call("Destroy", 0)
    finally:
        g.ensure_shutoff()
        g.call("Undefine", 0)
    for p in (src, dest):
        assert owner(p) == (0, 0) and xattrs(p) == {}, (p, owner(p), xattrs(p))


def _copying_guest(env, name):
    """A paused guest whose vdb is being copied (READY); -> (guest, src, dest)."""
    src = env.image(f"{name}-src.raw", size="4M")
    dest = env.files / f"{name}-copy.raw"
    path = env.call("DomainDefineXML", env.guest_xml(name, extra_devices=disk_xml(src, "vdb"), nic=None))
    from test_qemud_common import Guest
    g = Guest(env, path, name)
    g.start(START_PAUSED)
    since = env.mark()
    g.call("BlockCopy", "vdb", f"<disk type='file'><source file='{dest}'/></disk>", {}, 0)
    wait_job(env, g, "vdb", COPY_READY, since)
    assert owner(dest) == (UID, GID)
    return g, src, dest


def _exited(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_copy_destination_given_back_when_qemu_exit_is_seen_first(env):
    """QEMU's exit and its job's last event reach qemud together (qemud
    stopped meanwhile): the exit, handled first, gives the destination back."""
    g, src, dest = _copying_guest(env, "secrace")
    try:
        qemu = env.status_pid("secrace")
        os.kill(env.qemud.pid, signal.SIGSTOP)
        try:
            os.kill(qemu, signal.SIGTERM)
            h.wait_until(lambda: _exited(qemu), 20, what="QEMU to exit")
        finally:
            os.kill(env.qemud.pid, signal.SIGCONT)
        h.wait_until(lambda: env.state(g.path)[0] == h.DomainState.SHUTOFF, 20, what="the guest shut off")
    finally:
        g.ensure_shutoff()
        g.call("Undefine", 0)
    for p in (src, dest):
        assert owner(p) == (0, 0) and xattrs(p) == {}, (p, owner(p), xattrs(p))


def test_copy_destination_given_back_when_qemu_died_while_qemud_was_down(env):
    """QEMU killed while qemud is down, in the middle of a copy: the next
    qemud gives the destination in the <mirror> back."""
    g, src, dest = _copying_guest(env, "seclost")
    try:
        qemu = env.status_pid("seclost")
        env.qemud.kill(signal.SIGKILL)
        os.kill(qemu, signal.SIGKILL)
        h.wait_until(lambda: _exited(qemu), 10, what="QEMU gone")
        env.qemud.start()
        h.wait_until(lambda: env.state(g.path)[0] == h.DomainState.SHUTOFF, 20, what="the guest shut off")
    finally:
        g.ensure_shutoff()
        g.call("Undefine", 0)
    for p in (src, dest):
        h.wait_until(lambda: owner(p) == (0, 0) and xattrs(p) == {}, 10, what=f"{p} given back")
