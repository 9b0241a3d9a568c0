# SPDX-License-Identifier: LGPL-2.1-or-later
"""polkit: users other than root manage guests when polkit allows them.

A real polkitd (Debian's polkitd) runs on the private bus, in a mount
namespace of its own where its actions are only units/org.virtbus.policy
and its rules only units/60-virtbus.rules (with the group virtbus read as
nogroup, which this host has): nothing of the host's polkit is seen or
changed. The D-Bus policy of the test bus lets the group nogroup call qemud,
as units/org.virtbus.qemud.conf lets the group virtbus.

  allowed: nobody (uid 65534, in nogroup) - defines, starts and destroys a
           guest over D-Bus, and through the proxy's read-write socket
           (virsh: AUTH_LIST says POLKIT, AUTH_POLKIT succeeds);
  refused: daemon (uid 1, not in nogroup for polkit, which reads the
           group database; the bus lets it through with the supplementary
           group nogroup, as it reads the process's groups) - AccessDenied
           from qemud itself, "access denied by policy" from the proxy;
           nothing changes. (dbus-daemon refuses a uid without a passwd
           entry outright, so the users are ones the host has.)"""

import os
import re
import shutil
import subprocess
import time

import dbus
import pytest

import virtbus_harness as h

pytestmark = pytest.mark.timeout(240)

POLKITD = "/usr/lib/polkit-1/polkitd"
QEMUD = "org.virtbus.qemud"
ROOT_PATH = "/org/virtbus/qemud"
ALLOWED = (65534, 65534)   # nobody:nogroup
REFUSED = (1, 1)           # daemon:daemon
NOGROUP = 65534
SHUTOFF, RUNNING = 5, 1


def group_policy(daemon, group):
    """The shipped <policy group='virtbus'> of daemon's bus policy file, for
    another group."""
    text = (h.UNITS / f"org.virtbus.{daemon}.conf").read_text()
    m = re.search(r'<policy group="virtbus">.*?</policy>', text, re.S)
    assert m, f"org.virtbus.{daemon}.conf lets no group through"
    return m.group(0).replace('group="virtbus"', f'group="{group}"')


BUS_EXTRA = """  <policy user="polkitd">
    <allow own="org.freedesktop.PolicyKit1"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
"""


def as_user(ids, argv):
    uid, gid = ids
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", f"--groups={NOGROUP}"] + [str(a) for a in argv]


class PolkitEnv:
    def __init__(self):
        if not os.path.exists(POLKITD):
            pytest.skip(f"polkitd is not installed ({POLKITD}, Debian's polkitd)")
        if not shutil.which("unshare") or not shutil.which("setpriv"):
            pytest.skip("unshare and setpriv (util-linux) are needed")
        try:
            import pwd
            pwd.getpwnam("polkitd")
        except KeyError:
            pytest.skip("polkitd's user does not exist")
        self.root = h.Root()
        self.procs = []
        self.bus = h.TestBus(self.root, extra_conf=BUS_EXTRA + group_policy("qemud", "nogroup")).start()
        self.polkitd = self._start_polkitd()
        self.qemud = h.Daemon("qemud", self.bus, self.root).start()
        self.proxy = h.Proxy(self.bus, self.root).start()

    def _start_polkitd(self):
        pk = self.root / "polkit"
        actions, rules, empty = pk / "actions", pk / "rules.d", pk / "empty"
        for d in (actions, rules, empty):
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, 0o755)
        shutil.copy(h.UNITS / "org.virtbus.policy", actions)
        text = (h.UNITS / "60-virtbus.rules").read_text()
        assert 'isInGroup("virtbus")' in text
        (rules / "60-virtbus.rules").write_text(text.replace('isInGroup("virtbus")', 'isInGroup("nogroup")'))
        for f in (actions / "org.virtbus.policy", rules / "60-virtbus.rules"):
            os.chmod(f, 0o644)
        os.chmod(pk, 0o755)
        # its own mount namespace: the binds go with it
        script = (f"mount --bind {actions} /usr/share/polkit-1/actions && "
                  f"mount --bind {rules} /etc/polkit-1/rules.d && "
                  f"mount --bind {empty} /usr/share/polkit-1/rules.d && "
                  f"exec {POLKITD} --no-debug")
        log_path = self.root / "test-logs" / "polkitd.log"
        log = open(log_path, "ab")
        proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                                stdout=log, stderr=subprocess.STDOUT, env=self.bus.env)
        log.close()
        self.procs.append(proc)
        h.register_log("polkitd", log_path)

        def up():
            if proc.poll() is not None:
                raise RuntimeError(f"polkitd exited with {proc.returncode}:\n{h.tail(log_path, 30)}")
            return self.bus.name_has_owner("org.freedesktop.PolicyKit1")
        h.wait_until(up, 30, what="polkitd on the private bus")
        return proc

    def close(self):
        self.proxy.stop()
        self.qemud.stop()
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.bus.stop()
        return self.root.cleanup()

    def busctl(self, ids, *args):
        argv = as_user(ids, ["busctl", f"--address={self.bus.address}"] + list(args))
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)

    def virsh(self, ids, *args):
        env = dict(os.environ, HOME=str(self.root))
        env.pop("LIBVIRT_DEFAULT_URI", None)
        argv = as_user(ids, ["virsh", "-c", self.proxy.uri] + list(args))
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)

    def state(self, path):
        return tuple(self.bus.call(QEMUD, path, "org.libvirt.Domain", "GetState", 0))


@pytest.fixture(scope="module")
def env():
    e = PolkitEnv()
    yield e
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def guest_xml(guest, name):
    return h.guest_domain_xml(guest, name, nic=None, domain_type="qemu")


def busctl_path(r):
    """The object path busctl printed for an 'o' reply."""
    return r.stdout.split()[1].strip('"')


def test_bus_allowed_user_manages_guests(env, guest):
    xml = guest_xml(guest, "pk1")
    r = env.busctl(ALLOWED, "call", QEMUD, ROOT_PATH, "org.libvirt.Connect", "DomainDefineXML", "s", xml)
    assert r.returncode == 0, r.stderr
    path = busctl_path(r)
    try:
        r = env.busctl(ALLOWED, "call", QEMUD, path, "org.libvirt.Domain", "Create", "u", "0")
        assert r.returncode == 0, r.stderr
        assert env.state(path)[0] == RUNNING
        r = env.busctl(ALLOWED, "call", QEMUD, path, "org.libvirt.Domain", "Destroy", "u", "0")
        assert r.returncode == 0, r.stderr
        assert env.state(path)[0] == SHUTOFF
    finally:
        if env.state(path)[0] != SHUTOFF:
            env.bus.call(QEMUD, path, "org.libvirt.Domain", "Destroy", 0)
        env.bus.call(QEMUD, path, "org.libvirt.Domain", "Undefine", 0)


def test_bus_refused_user_changes_nothing(env, guest):
    path = env.bus.call(QEMUD, ROOT_PATH, "org.libvirt.Connect", "DomainDefineXML", guest_xml(guest, "pk2"))
    try:
        before = env.bus.call(QEMUD, ROOT_PATH, "org.libvirt.Connect", "ListDomains", 0)
        r = env.busctl(REFUSED, "call", QEMUD, path, "org.libvirt.Domain", "Create", "u", "0")
        assert r.returncode != 0 and "Access denied" in r.stderr, r.stderr
        assert "org.virtbus.manage" in r.stderr, r.stderr
        assert env.state(path)[0] == SHUTOFF
        r = env.busctl(REFUSED, "call", QEMUD, ROOT_PATH, "org.libvirt.Connect", "DomainDefineXML", "s",
                       guest_xml(guest, "pk3"))
        assert r.returncode != 0 and "Access denied" in r.stderr, r.stderr
        assert env.bus.call(QEMUD, ROOT_PATH, "org.libvirt.Connect", "ListDomains", 0) == before
        # reading stays open to every user
        r = env.busctl(REFUSED, "call", QEMUD, path, "org.libvirt.Domain", "GetState", "u", "0")
        assert r.returncode == 0, r.stderr
    finally:
        env.bus.call(QEMUD, path, "org.libvirt.Domain", "Undefine", 0)


def test_proxy_read_write_socket(env, guest):
    if not shutil.which("virsh"):
        pytest.skip("virsh (libvirt-clients) is not installed")
    f = env.root / "pk4.xml"
    f.write_text(guest_xml(guest, "pk4"))
    os.chmod(f, 0o644)
    # as a socket unit with SocketMode=0666 (or 0660 and the group) gives it
    os.chmod(env.proxy.socket, 0o666)
    try:
        r = env.virsh(ALLOWED, "define", f)
        assert r.returncode == 0, r.stderr
        r = env.virsh(ALLOWED, "start", "pk4")
        assert r.returncode == 0, r.stderr
        r = env.virsh(ALLOWED, "domstate", "pk4")
        assert r.stdout.strip() == "running", r.stdout + r.stderr
        # the refused user: not even the connection opens, nothing changes
        r = env.virsh(REFUSED, "destroy", "pk4")
        assert r.returncode != 0 and "access denied by policy" in r.stderr, r.stderr
        r = env.virsh(REFUSED, "list", "--all")
        assert r.returncode != 0 and "access denied by policy" in r.stderr, r.stderr
        r = env.virsh(ALLOWED, "domstate", "pk4")
        assert r.stdout.strip() == "running", r.stdout + r.stderr
        r = env.virsh(ALLOWED, "destroy", "pk4")
        assert r.returncode == 0, r.stderr
        r = env.virsh(ALLOWED, "undefine", "pk4")
        assert r.returncode == 0, r.stderr
    finally:
        os.chmod(env.proxy.socket, 0o600)
        path = None
        try:
            path = env.bus.call(QEMUD, ROOT_PATH, "org.libvirt.Connect", "DomainLookupByName", "pk4")
        except dbus.exceptions.DBusException:
            pass
        if path:
            if env.state(path)[0] != SHUTOFF:
                env.bus.call(QEMUD, path, "org.libvirt.Domain", "Destroy", 0)
            env.bus.call(QEMUD, path, "org.libvirt.Domain", "Undefine", 0)


def test_without_polkitd_refused(env, guest):
    """polkitd gone: nobody is refused (not let through) on the bus and on
    the socket; polkitd back: allowed again."""
    path = env.bus.call(QEMUD, ROOT_PATH, "org.libvirt.Connect", "DomainDefineXML", guest_xml(guest, "pk5"))
    try:
        env.polkitd.terminate()
        env.polkitd.wait(timeout=10)
        h.wait_until(lambda: not env.bus.name_has_owner("org.freedesktop.PolicyKit1"), 10,
                     what="polkitd off the bus")
        r = env.busctl(ALLOWED, "call", QEMUD, path, "org.libvirt.Domain", "Create", "u", "0")
        assert r.returncode != 0 and "Access denied" in r.stderr, r.stderr
        assert env.state(path)[0] == SHUTOFF
        os.chmod(env.proxy.socket, 0o666)
        try:
            r = env.virsh(ALLOWED, "list", "--all")
            assert r.returncode != 0 and "access denied" in r.stderr, r.stderr
        finally:
            os.chmod(env.proxy.socket, 0o600)
    finally:
        env.polkitd = env._start_polkitd()
        env.bus.call(QEMUD, path, "org.libvirt.Domain", "Undefine", 0)
