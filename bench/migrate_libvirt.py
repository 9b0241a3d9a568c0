# SPDX-License-Identifier: LGPL-2.1-or-later
"""libvirt 9.0 beside virtbus in bench/migrate-bench.py: two private
libvirtds, one in each namespace of an h.NetnsPair (two "hosts" joined by a
veth), the same test guest, p2p live migration between them.

Each libvirtd runs in its network namespace and a mount namespace of its
own where the bench's folders are bind-mounted over /run/libvirt,
/etc/libvirt, /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt (as
bench/proxy-bench.py runs one), listens on tcp at its veth address (no
auth: the namespace has nothing else) and has its own host_uuid. QEMU runs
as root with no security driver and no cgroup controllers (both QEMUs of a
migration would want the same cgroup on this one machine). Domain type
'qemu': this host has no KVM."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

LIBVIRTD = "/usr/sbin/libvirtd"
DRIVERS = Path("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver")
PEER2PEER, LIVE, NON_SHARED_DISK = 2, 1, 64

NS_SCRIPT = r"""
set -e
T=$1; shift
mount --make-rprivate /
mount --bind "$T/run" /run/libvirt
mount --bind "$T/etc" /etc/libvirt
for d in lib cache log; do mount --bind "$T/$d" "/var/$d/libvirt"; done
exec "$@"
"""

LIBVIRTD_CONF = """# migrate-bench's private libvirtd
listen_tls = 0
listen_tcp = 1
listen_addr = "{addr}"
auth_tcp = "none"
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_rw_perms = "0700"
host_uuid = "{uuid}"
log_outputs = "3:stderr"
"""
QEMU_CONF = """# migrate-bench's private libvirtd
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
stdio_handler = "file"
security_driver = "none"
cgroup_controllers = [ ]
migration_address = "{addr}"
"""


class Unavailable(Exception):
    pass


def unavailable():
    """Why two libvirtds cannot run here, or None."""
    if not os.path.exists(LIBVIRTD):
        return f"{LIBVIRTD} is not installed"
    for d in ("/run/libvirt", "/etc/libvirt", "/var/lib/libvirt", "/var/cache/libvirt", "/var/log/libvirt"):
        if not os.path.isdir(d):
            return f"{d} does not exist (libvirt-daemon is not installed)"
    for tool in ("unshare", "nsenter"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    try:
        import libvirt  # noqa: F401
    except ImportError:
        return "python3-libvirt is not installed"
    return None


class LibvirtHost:
    """A private libvirtd in namespace i of pair, its files under work."""

    def __init__(self, repo, work, pair, i, uuid):
        import libvirt
        self.libvirt = libvirt
        self.addr = pair.addrs[i]
        self.t = t = Path(work)
        for d in ("run", "etc", "lib", "cache", "log/qemu", "drv", "etc/qemu", "etc/storage"):
            (t / d).mkdir(parents=True, exist_ok=True)
        (t / "etc/libvirtd.conf").write_text(LIBVIRTD_CONF.format(addr=self.addr, uuid=uuid))
        (t / "etc/qemu.conf").write_text(QEMU_CONF.format(addr=self.addr))
        so = DRIVERS / "libvirt_driver_qemu.so"
        if not so.exists():
            raise Unavailable(f"{so} is not installed")
        (t / "drv" / so.name).symlink_to(so)
        caps = Path("/var/cache/libvirt/qemu")
        if caps.is_dir():
            shutil.copytree(caps, t / "cache/qemu", symlinks=True)   # the probe costs seconds
        (t / "ns.sh").write_text(NS_SCRIPT)
        env = dict(os.environ, LIBVIRT_DRIVER_DIR=str(t / "drv"))
        env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        argv = [*pair.argv(i), "unshare", "-m", "sh", str(t / "ns.sh"), str(t), "/usr/bin/python3",
                str(Path(repo) / "bench/qemud-libvirtd-wrap.py"), "--subreaper", "--",
                LIBVIRTD, "--listen", "--pid-file", str(t / "libvirtd.pid")]
        self.log = open(t / "libvirtd.log", "ab")
        self.wrap = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        self.pid = None
        self.uri = f"qemu+unix:///system?socket={t}/run/libvirt-sock"
        self.tcp_uri = f"qemu+tcp://{self.addr}/system"
        deadline = time.monotonic() + 60
        while not (t / "run/libvirt-sock").exists():
            if self.wrap.poll() is not None or time.monotonic() > deadline:
                raise Unavailable("libvirtd did not start: " + self.tail())
            time.sleep(0.1)
        while not self.pid:
            try:
                self.pid = int((t / "libvirtd.pid").read_text().strip())
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise Unavailable("libvirtd wrote no pid file: " + self.tail())
                time.sleep(0.1)
        self.conn = self.open()

    def tail(self, n=2000):
        try:
            return (self.t / "libvirtd.log").read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def open(self):
        deadline = time.monotonic() + 60
        while True:
            try:
                return self.libvirt.open(self.uri)
            except self.libvirt.libvirtError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def close(self):
        try:
            for dom in self.conn.listAllDomains(0):
                if dom.isActive():
                    dom.destroy()
            self.conn.close()
        except Exception:            # noqa: BLE001 - the daemon goes all the same
            pass
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.wrap.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.wrap.pid, signal.SIGKILL)
            self.wrap.wait()
        self.log.close()


def migrate(src, dst, name, flags, dest_xml=None):
    """One p2p live migration of name from src to dst: (total s, downtime
    s) from the destination's completed job: libvirt's own figure, from A's
    libvirtd seeing QEMU's STOP to B running the guest, the daemons
    included (virtbus's "stopped" is the same window)."""
    lv = src.libvirt
    dom = src.conn.lookupByName(name)
    params = {lv.VIR_MIGRATE_PARAM_URI: f"tcp://{dst.addr}"}
    if dest_xml:
        params[lv.VIR_MIGRATE_PARAM_DEST_XML] = dest_xml
    t0 = time.monotonic()
    dom.migrateToURI3(dst.tcp_uri, params, flags | PEER2PEER | LIVE)
    total = time.monotonic() - t0
    st = dst.conn.lookupByName(name).jobStats(lv.VIR_DOMAIN_JOB_STATS_COMPLETED)
    return total, st.get("downtime", float("nan")) / 1000.0
