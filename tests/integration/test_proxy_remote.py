# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-proxyd as fleet managers and installers reach it:

- `virsh -c qemu+ssh://root@HOST/system` and python-libvirt's
  libvirt.open() of that URI, through a private `sshd` on 127.0.0.1 that
  runs `nc -U <the proxy's socket>` (proxy=netcat) or `virt-ssh-helper`
  (proxy=native, and the default) on the remote end, as libvirt's ssh
  transport does; lifecycle events through that channel; the in-process
  qemu+libssh:// and qemu+libssh2:// transports;
- `virt-install --import` (Debian's virtinst) defining and booting the test
  guest through the proxy, locally and over ssh.

The sshd is the test's own: its config, host key and authorized key live in
the test's root, it listens on 127.0.0.1 and a free port, lets root in by
key only, and runs in a mount namespace of its own with a tmpfs on /run
(sshd needs /run/sshd; the system's /run is not touched) where the proxy's
socket directory is bound on /run/libvirt, so virt-ssh-helper finds the
proxy at libvirt's default path. The ssh client is run through a wrapper
(the URI's `command=`) that gives it the test's ssh_config and known_hosts
(the libssh transports get `known_hosts=`), so nothing is written to root's
~/.ssh."""

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid as uuidlib
from pathlib import Path

import pytest

import virtbus_harness as h
from test_proxy import (LIFECYCLE_SEQUENCE, ProxyEnv, drive_lifecycle, event_loop, list_rows,
                        names_in_list)

libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")

pytestmark = pytest.mark.timeout(240)

SSHD = "/usr/sbin/sshd"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sshd:
    """A private sshd for one test module, under `<root>/ssh`."""

    def __init__(self, root, proxy_socket_dir):
        self.dir = Path(root) / "ssh"
        self.dir.mkdir(mode=0o700)
        self.proxy_socket_dir = proxy_socket_dir
        self.host_key = self.dir / "host_key"
        self.client_key = self.dir / "client_key"
        self.log_path = self.dir / "sshd.log"
        self.proc = None
        self.mnt_ns = None
        self.port = None
        for key in (self.host_key, self.client_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "virtbus-test",
                            "-f", str(key)], check=True, capture_output=True)
        shutil.copy(f"{self.client_key}.pub", self.dir / "authorized_keys")
        # the client side: its own config and known_hosts, through a wrapper
        self.client_config = self.dir / "ssh_config"
        self.known_hosts = self.dir / "known_hosts"
        self.client_config.write_text(
            f"UserKnownHostsFile {self.known_hosts}\n"
            "GlobalKnownHostsFile /dev/null\n"
            "StrictHostKeyChecking yes\n"
            "BatchMode yes\n"
            "IdentitiesOnly yes\n")
        self.wrapper = self.dir / "ssh"
        self.wrapper.write_text(f"#!/bin/sh\nexec ssh -F {self.client_config} \"$@\"\n")
        self.wrapper.chmod(0o755)

    def _write_config(self):
        (self.dir / "sshd_config").write_text(
            f"Port {self.port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {self.host_key}\n"
            f"AuthorizedKeysFile {self.dir / 'authorized_keys'}\n"
            "PermitRootLogin prohibit-password\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "UsePAM no\n"
            # the test root lies below /tmp, which is world-writable
            "StrictModes no\n"
            f"PidFile {self.dir / 'sshd.pid'}\n"
            "LogLevel VERBOSE\n")

    def start(self):
        for _ in range(5):
            self.port = free_port()
            self._write_config()
            script = ("set -e; mount -t tmpfs -o mode=0755 virtbus-test-run /run; "
                      "mkdir -m 0755 /run/sshd /run/libvirt; mount --bind \"$1\" /run/libvirt; "
                      "exec \"$2\" -D -e -f \"$3\"")
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                 str(self.proxy_socket_dir), SSHD, str(self.dir / "sshd_config")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log.close()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                text = self.log_path.read_text(errors="replace")
                if f"Server listening on 127.0.0.1 port {self.port}" in text:
                    self.mnt_ns = os.readlink(f"/proc/{self.proc.pid}/ns/mnt")
                    self.known_hosts.write_text(
                        f"[127.0.0.1]:{self.port} "
                        + " ".join(Path(f"{self.host_key}.pub").read_text().split()[:2]) + "\n")
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            self.stop()
            if "Address already in use" not in self.log_path.read_text(errors="replace"):
                raise RuntimeError(f"sshd did not start:\n{h.tail(self.log_path, 40)}")
        raise RuntimeError("sshd found no free port")

    def _in_my_namespace(self):
        """The pids in sshd's mount namespace (ours alone): sshd, the sessions
        of clients still connected and what they run. Sessions outlive sshd
        itself, so they are ended by pid too."""
        found = []
        for d in os.listdir("/proc"):
            try:
                if d.isdigit() and os.readlink(f"/proc/{d}/ns/mnt") == self.mnt_ns:
                    found.append(int(d))
            except OSError:
                pass
        return found

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.mnt_ns and self.mnt_ns != os.readlink("/proc/self/ns/mnt"):
            for pid in self._in_my_namespace():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc = None
        self.mnt_ns = None

    def uri(self, **params):
        """qemu+ssh://root@127.0.0.1:PORT/system with the test's ssh wrapper
        and client key, and `params` as more query parameters."""
        q = {"command": self.wrapper, "keyfile": self.client_key, **params}
        query = "&".join(f"{k}={v}" for k, v in q.items())
        return f"qemu+ssh://root@127.0.0.1:{self.port}/system?{query}"


def sshd_unavailable():
    """Why this host cannot run the test's sshd, or None."""
    for tool, pkg in ((SSHD, "openssh-server"), ("ssh", "openssh-client"),
                      ("ssh-keygen", "openssh-client"), ("unshare", "util-linux")):
        if not shutil.which(tool):
            return f"{tool} ({pkg}) is not installed"
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return f"no mount namespace for sshd's own /run here: {r.stderr.strip()}"
    return None


class RemoteEnv(ProxyEnv):
    """ProxyEnv and, where the host allows, the test's sshd (else
    `no_sshd` says why, and the ssh tests skip with it)."""

    def __init__(self, guest):
        super().__init__(guest)
        self.sshd = None
        self.no_sshd = sshd_unavailable()
        if self.no_sshd:
            return
        try:
            self.sshd = Sshd(self.root, self.proxy.socket_dir).start()
        except BaseException:
            self.close()
            raise

    def need_sshd(self, *tools):
        if self.no_sshd:
            pytest.skip(self.no_sshd)
        for tool, pkg in tools:
            if not shutil.which(tool):
                pytest.skip(f"{tool} ({pkg}) is not installed")

    def register_logs(self):
        super().register_logs()
        if self.sshd:
            h.register_log("sshd", self.sshd.log_path)

    def close(self):
        if self.sshd:
            self.sshd.stop()
        return super().close()


@pytest.fixture(scope="module")
def env(guest, request):
    e = RemoteEnv(guest)
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


# ---------------------------------------------------------------------------
# qemu+ssh://

def virsh_session(env, uri, name):
    """list, define, start, dominfo, destroy, undefine through `uri`."""
    uuid = str(uuidlib.uuid4())
    out = env.virsh("list", "--all", uri=uri).stdout
    assert name not in names_in_list(out)
    assert "Domain '%s' defined" % name in env.virsh("define", env.xml_file(name, uuid=uuid), uri=uri).stdout
    try:
        assert ["-", name, "shut", "off"] in list_rows(env.virsh("list", "--all", uri=uri).stdout)
        assert f"Domain '{name}' started" in env.virsh("start", name, uri=uri).stdout
        info = env.virsh("dominfo", name, uri=uri).stdout
        assert f"UUID:           {uuid}" in info and "State:          running" in info, info
        # the same domain, seen on the local socket
        assert env.virsh("domstate", name).stdout.strip() == "running"
        env.virsh("destroy", name, uri=uri)
        assert env.virsh("domstate", "--reason", name, uri=uri).stdout.strip() == "shut off (destroyed)"
    finally:
        r = env.virsh("undefine", name, uri=uri, check=False)
    assert f"Domain '{name}' has been undefined" in r.stdout, r.stdout + r.stderr
    assert name not in names_in_list(env.virsh("list", "--all").stdout)


def test_virsh_over_ssh_with_netcat(env):
    """The remote end runs `nc -U <socket>`, the socket named by the URI."""
    env.need_sshd(("nc", "netcat-openbsd"))
    virsh_session(env, env.sshd.uri(proxy="netcat", socket=env.proxy.socket), "ssh1")
    # read-only through the read-only socket
    uri_ro = env.sshd.uri(proxy="netcat", socket=env.proxy.socket_ro)
    r = env.virsh("define", env.xml_file("ssh1ro"), uri=uri_ro, check=False)
    assert r.returncode == 1 and "read only access prevents virDomainDefineXML" in r.stderr, r.stderr


@pytest.mark.parametrize("proxy", ["native", None], ids=["native", "default"])
def test_virsh_over_ssh_with_virt_ssh_helper(env, proxy):
    """proxy=native, and the URI with no proxy= at all (auto, what a fleet
    manager's plain qemu+ssh://root@HOST/system does): the remote end runs
    `virt-ssh-helper qemu:///system`, which finds the proxy at libvirt's
    /run/libvirt/libvirt-sock (the test's socket directory, bound there in
    sshd's mount namespace)."""
    env.need_sshd(("virt-ssh-helper", "Debian's libvirt-daemon"))
    uri = env.sshd.uri(proxy=proxy) if proxy else env.sshd.uri()
    virsh_session(env, uri, f"ssh2{proxy or ''}")


def test_python_libvirt_over_ssh(env):
    """libvirt.open() of a qemu+ssh URI (no_verify=1 as fleet managers'
    configurations often have it): the calls of a fleet manager's poll."""
    env.need_sshd(("nc", "netcat-openbsd"))
    uri = env.sshd.uri(proxy="netcat", socket=env.proxy.socket, no_verify=1)
    conn = libvirt.open(uri)
    try:
        assert conn.getType() == "QEMU"
        assert conn.getHostname() == socket.gethostname()
        assert conn.getLibVersion() > 0 and conn.getVersion() > 0
        assert "<capabilities>" in conn.getCapabilities()
        assert conn.isAlive() == 1
        before = {d.name() for d in conn.listAllDomains()}
        dom = conn.defineXML(env.guest_xml("sshpy"))
        try:
            assert {d.name() for d in conn.listAllDomains()} == before | {"sshpy"}
            dom.create()
            assert dom.ID() > 0 and dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
            assert dom.info()[0] == libvirt.VIR_DOMAIN_RUNNING
            assert "<name>sshpy</name>" in dom.XMLDesc(0)
            dom.destroy()
            assert dom.state() == [libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_DESTROYED]
        finally:
            dom.undefine()
        with pytest.raises(libvirt.libvirtError) as e:
            conn.lookupByName("sshpy")
        assert e.value.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN
    finally:
        conn.close()


def test_python_lifecycle_events_over_ssh(env):
    """Events come back through the ssh channel as they do on the socket: a
    management client's lifecycle callback sees qemud's events in order."""
    env.need_sshd(("nc", "netcat-openbsd"))
    event_loop()
    conn = libvirt.open(env.sshd.uri(proxy="netcat", socket=env.proxy.socket))
    seen = []
    try:
        cb = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                         lambda c, d, ev, detail, op: seen.append((d.name(), ev, detail)), None)
        drive_lifecycle(env, "sshev")
        h.wait_until(lambda: len([x for x in seen if x[0] == "sshev"]) >= len(LIFECYCLE_SEQUENCE), 30,
                     what=f"the lifecycle events of sshev over ssh (seen {seen})")
        assert [(e, d) for n, e, d in seen if n == "sshev"] == LIFECYCLE_SEQUENCE
        conn.domainEventDeregisterAny(cb)
    finally:
        conn.close()


@pytest.mark.parametrize("transport", ["libssh", "libssh2"])
def test_virsh_over_libssh_transports(env, transport):
    """qemu+libssh:// and qemu+libssh2://, libvirt's in-process ssh clients:
    the host key checked against the test's known_hosts= file, the key of
    keyfile= (sshauth=privkey), nc on the remote end."""
    env.need_sshd(("nc", "netcat-openbsd"))
    uri = (f"qemu+{transport}://root@127.0.0.1:{env.sshd.port}/system?"
           f"keyfile={env.sshd.client_key}&sshauth=privkey&known_hosts={env.sshd.known_hosts}"
           f"&known_hosts_verify=normal&proxy=netcat&socket={env.proxy.socket}")
    virsh_session(env, uri, f"ssh-{transport}")


def test_ssh_refuses_a_key_not_authorized(env):
    """The sshd is really checking: another key is refused, and virsh says so."""
    env.need_sshd(("nc", "netcat-openbsd"))
    other = env.sshd.dir / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True,
                   capture_output=True)
    uri = env.sshd.uri(proxy="netcat", socket=env.proxy.socket).replace(
        f"keyfile={env.sshd.client_key}", f"keyfile={other}")
    r = env.virsh("list", uri=uri, check=False, timeout=60)
    assert r.returncode == 1 and "failed to connect to the hypervisor" in r.stderr, r.stderr
    assert "Permission denied" in r.stderr, r.stderr


# ---------------------------------------------------------------------------
# virt-install

def virt_install(env, uri, *args, timeout=180):
    argv = ["virt-install", "--connect", uri] + [str(a) for a in args]
    e = dict(os.environ)
    e["HOME"] = str(env.root)        # virtinst keeps its log and cache there
    e.pop("LIBVIRT_DEFAULT_URI", None)
    e.pop("DISPLAY", None)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=e)


# virt-install picks the machine and devices from the OS it is told of: for
# a named Linux, q35 with qemu-xhci USB, a guest-agent channel, a balloon
# and an rng, all of which qemud takes. For an unknown OS ("generic") it
# takes the first machine of the capabilities, which qemud lists in QEMU's
# order (isapc first, refused: "only pc and q35"), and on q35 the ich9
# EHCI/UHCI set, whose companion controllers carry <master startport=.../>,
# which qemud does not model yet: there the test names both itself.
@pytest.mark.parametrize("osinfo,extra,over", [
    ("linux2022", [], "unix"),
    ("detect=on,require=off", ["--machine", "q35", "--controller", "usb,model=qemu-xhci"], "unix"),
    ("linux2022", [], "ssh"),
], ids=["linux2022", "generic", "linux2022-over-ssh"])
def test_virt_install_import_boots_the_guest(env, osinfo, extra, over):
    """virt-install --import defines and boots the test guest (direct kernel
    boot, its disk a raw file); the domain runs, seen by virsh and qemud.
    Over ssh too, as an administrator installs on a remote host."""
    if not shutil.which("virt-install"):
        pytest.skip("virt-install (virtinst) is not installed")
    if over == "ssh":
        env.need_sshd(("nc", "netcat-openbsd"))
    uri = env.proxy.uri if over == "unix" else env.sshd.uri(proxy="netcat", socket=env.proxy.socket)
    name = f"vi-{osinfo.split('=')[0]}-{over}"
    disk = env.root / f"{name}.raw"
    with open(disk, "wb") as f:
        f.truncate(16 << 20)
    serial = env.root / f"{name}.serial"
    env.serials[name] = serial
    h.register_log(f"serial console of {name}", serial)
    pools_before = set(env.virsh("pool-list", "--all", "--name").stdout.split())
    g = env.guest
    r = virt_install(env, uri, "--import", "--name", name, "--memory", "256", "--vcpus", "1",
                     "--virt-type", "qemu",
                     "--osinfo", osinfo,
                     "--disk", f"path={disk},format=raw,bus=virtio",
                     "--boot", f"kernel={g.kernel},initrd={g.initrd},kernel_args={g.cmdline()}",
                     "--network", "none", "--graphics", "none",
                     "--serial", f"file,path={serial}",
                     "--noautoconsole", *extra)
    try:
        assert r.returncode == 0, f"virt-install failed ({r.returncode}):\n{r.stdout}{r.stderr}"
        assert "Domain creation completed" in r.stdout, r.stdout
        assert env.virsh("domstate", name).stdout.strip() == "running"
        path = env.call("DomainLookupByName", name)
        assert env.state(path)[0] == libvirt.VIR_DOMAIN_RUNNING
        assert env.prop(path, "Persistent")
        assert h.wait_for_serial(serial, h.GUEST_READY, 90), "the guest did not boot"
        xml = env.virsh("dumpxml", name).stdout
        assert str(disk) in xml and str(g.kernel) in xml, xml
        env.virsh("destroy", name)
        assert env.virsh("domstate", name).stdout.strip() == "shut off"
    finally:
        env.virsh("destroy", name, check=False)
        env.virsh("undefine", name, check=False)
        # virt-install made a dir pool of the disk's directory, as it does
        # against libvirtd: taken away again
        for pool in set(env.virsh("pool-list", "--all", "--name").stdout.split()) - pools_before:
            env.virsh("pool-destroy", pool, check=False)
            env.virsh("pool-undefine", pool, check=False)
    assert name not in names_in_list(env.virsh("list", "--all").stdout)


def test_virt_install_disk_in_a_pool(env):
    """The usual case: the disk image lies in a pool already (as in the
    default pool's /var/lib/libvirt/images). virt-install finds it by path
    and asks for that volume's pool, whose name the proxy must know."""
    if not shutil.which("virt-install"):
        pytest.skip("virt-install (virtinst) is not installed")
    images = env.root / "images"
    images.mkdir()
    disk = images / "vi-pool.raw"
    with open(disk, "wb") as f:
        f.truncate(16 << 20)
    env.virsh("pool-define-as", "vi-images", "dir", "--target", images)
    g = env.guest
    try:
        env.virsh("pool-start", "vi-images")
        assert str(disk) in env.virsh("vol-list", "vi-images").stdout
        pools_before = set(env.virsh("pool-list", "--all", "--name").stdout.split())
        r = virt_install(env, env.proxy.uri, "--import", "--name", "vi-pool", "--memory", "256",
                         "--vcpus", "1", "--virt-type", "qemu", "--osinfo", "linux2022",
                         "--disk", f"path={disk},format=raw,bus=virtio",
                         "--boot", f"kernel={g.kernel},initrd={g.initrd},kernel_args={g.cmdline()}",
                         "--network", "none", "--graphics", "none", "--noautoconsole")
        assert r.returncode == 0, f"virt-install failed ({r.returncode}):\n{r.stdout}{r.stderr}"
        assert env.virsh("domstate", "vi-pool").stdout.strip() == "running"
        # no second pool made for the same directory
        assert set(env.virsh("pool-list", "--all", "--name").stdout.split()) == pools_before
    finally:
        env.virsh("destroy", "vi-pool", check=False)
        env.virsh("undefine", "vi-pool", check=False)
        env.virsh("pool-destroy", "vi-images", check=False)
        env.virsh("pool-undefine", "vi-images", check=False)
