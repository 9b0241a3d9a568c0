# SPDX-License-Identifier: LGPL-2.1-or-later
"""<interface type='user'><backend type='passt'/> in virtbus-qemud, with
Debian's passt and the real test guest (TCG):

- qemud runs passt for the guest (--one-off, on a unix socket of the guest's
  run directory; QEMU's -netdev stream connects to it); the guest gets from
  passt's DHCP the address passt says it assigns in its <backend logFile=''/>
  (the host's own, passt's default: an <ip> elsewhere would leave the guest
  without a route to passt's gateway, so --address is proven by
  test-qemu-passt's command line); the guest's TCP (busybox nc on its
  shell) reaches a listener on the host's loopback through passt; passt
  listens on the <portForward>'s port; the live XML keeps all of it; a
  connection to that port reaches a listener of the guest at the port it
  maps to, both ways. The host's side speaks first: Debian 12's passt
  (0.0~git20230309) never ACKs the guest's SYN-ACK, so the guest's side of
  the connection completes only with passt's first data segment (see
  forwarded_exchange).
- The guest destroyed: passt ended, its socket and pid file removed.
- qemud SIGKILLed, QEMU killed while it was down, a passt left on the
  guest's socket and pid file (not --one-off, so it does not end with
  QEMU as the guest's own does): the restarted qemud finds the guest gone
  and ends it.
- AttachDevice of a passt interface into a running guest (as libvirt 9.0):
  qemud starts its passt as the start does (socket and pid file named after
  the interface's alias in the guest's run directory), QEMU's netdev_add of
  type stream connects to it and device_add plugs the NIC; the guest gets
  passt's DHCP lease on it, a connection to the <portForward>'s port reaches
  the guest's listener; qemud SIGKILLed and started again while QEMU is
  asked (the netdev is a stream to passt's socket) still knows the
  interface and its passt; DetachDevice ends passt after netdev_del and
  removes its socket and pid file, QEMU keeps no netdev of it.
- A plugged passt is ended at the guest's stop by a restarted qemud too,
  and so is one no interface names any more (as a qemud killed in the
  middle of a plug or an unplug leaves it).
- A plug whose passt cannot start, and one QEMU refuses after passt started
  (a ROM file that does not exist), fail naming why, leave the guest and
  its live XML as they were and no passt running.
"""

import os
import re
import signal
import socket
import subprocess

import pytest

import virtbus_harness as h
import test_qemud_device as tdev
from virtbus_harness import DomainState as S
from test_qemud_common import dbus_error, module_env, qmp_ask

pytestmark = pytest.mark.timeout(400)

env = module_env()

PASST = "/usr/bin/passt"
MAC = "52:54:00:5a:55:01"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def passt_pids(sock):
    """The passt processes serving this socket path."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]).startswith(b"passt") and str(sock).encode() in argv:
            out.append(int(pid))
    return out


def passt_socket(env, name):
    """The socket of the guest's first interface in its run directory."""
    found = list(env.run_dir.glob(f"domain-*-{name}/net0-passt.sock"))
    assert len(found) == 1, f"passt's socket of {name}: {found}"
    return found[0]


def passt_nic(log, host_port):
    return (f"<interface type='user'><mac address='{MAC}'/>"
            f"<portForward proto='tcp' address='127.0.0.1'><range start='{host_port}' to='8080'/></portForward>"
            f"<model type='virtio'/><backend type='passt' logFile='{log}'/></interface>")


def need_passt(env):
    if not env.guest:
        pytest.skip("no test guest (VIRTBUS_GUEST_DIR)")
    if not os.access(PASST, os.X_OK):
        pytest.skip(f"{PASST} is not installed (Debian's passt; scripts/install-deps.sh)")


def forwarded_exchange(port, words):
    """Connects to the host's forwarded port, sends words first and returns
    what comes back (b"" when passt closes the connection). First, because
    Debian 12's passt (0.0~git20230309) does not ACK the guest's SYN-ACK of
    a forwarded connection: the guest's side of it is complete only when
    passt's first data segment (carrying that ACK) arrives, so a guest
    that speaks first never gets its connection (seen in a capture of
    QEMU's netdev and an strace of passt, with passt and QEMU run by hand
    too; passt's bug, not its command line's)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=120) as c:
            c.settimeout(120)
            c.sendall(words)
            return c.recv(100)
    except OSError as e:
        return str(e).encode()


def test_dhcp_tcp_forward_log_and_stop(env):
    need_passt(env)
    log, port = env.root / "passt.log", free_port()
    sock_path = env.root / "passt-console.sock"
    extra = (passt_nic(log, port) +
             f"<serial type='unix'><source mode='bind' path='{sock_path}'/><target port='0'/></serial>")
    xml = h.guest_domain_xml(env.guest, "passtvm", nic=None, extra_devices=extra, extra_cmdline="virtbus.shell")
    path = env.call("DomainDefineXML", xml)
    con = None
    try:
        env.dcall(path, "Create", 0)
        live = env.dcall(path, "GetXMLDesc", 0)
        assert f"<backend type='passt' logFile='{log}'/>" in live
        assert f"<range start='{port}' to='8080'/>" in live
        sock = passt_socket(env, "passtvm")
        pids = passt_pids(sock)
        if not pids:
            # where the passt of the start lives, for the failure's message
            found = subprocess.run(["find", str(env.run_dir)], capture_output=True, text=True).stdout
            raise AssertionError(f"no passt serves {sock}; run dir:\n{found}")
        assert sock.exists()
        assigned = re.search(r"DHCP:\s*\n.*assign: (\S+)", log.read_text())
        assert assigned, f"passt's log names no DHCP address:\n{log.read_text()}"
        guest_ip = assigned.group(1)
        gateway = re.search(r"DHCP:\s*\n.*\n.*\n.*router: (\S+)", log.read_text()).group(1)
        con = tdev.Console(sock_path).connect()
        try:
            h.wait_until(lambda: b"VIRTBUS-GUEST-IP " + guest_ip.encode() in con.text(), 200, 0.5,
                         f"the guest to get {guest_ip} from passt's DHCP")
            h.wait_until(lambda: tdev._shell_ready(con), 100, 1, "a shell on the guest's console")
        except TimeoutError as e:
            raise AssertionError(f"{e}; console ends with:\n{con.text()[-3000:].decode(errors='replace')}") \
                from None
        # passt listens on the forwarded port for the guest ("-t PORT:8080")
        ss = subprocess.run(["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True).stdout
        assert "passt" in ss, f"nothing of passt's listens on {port}: {ss!r}"
        # the guest's TCP reaches a listener of ours on the host's loopback
        # through passt (which maps its gateway address to the host)
        with socket.socket() as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen(1)
            srv.settimeout(120)
            con.sock.sendall(f"echo VBPASST-OUT | nc {gateway} {srv.getsockname()[1]}\n".encode())
            c, _ = srv.accept()
            with c:
                c.settimeout(60)
                assert c.recv(100).startswith(b"VBPASST-OUT")
        # a connection to the forwarded port reaches a listener of the guest
        # (busybox nc, one connection, its output on the console) at the
        # port it maps to: our words reach it, its words come back
        con.run("(echo VBPASST-IN | nc -l -p 8080 &)")
        h.wait_until(lambda: b":8080" in con.run("netstat -tln"), 30, 0.5, "the guest's listener on 8080")
        seen = len(con.text())
        inbound = forwarded_exchange(port, b"VBPASST-HOST\n")
        assert inbound.startswith(b"VBPASST-IN"), (f"a connection to the forwarded port {port} got {inbound!r}, "
                                                   f"not the guest's listener's words; passt's log:\n"
                                                   f"{log.read_text()}")
        h.wait_until(lambda: b"VBPASST-HOST" in con.text()[seen:], 60, 0.2, "our words in the guest")
        env.dcall(path, "Destroy", 0)
        h.wait_until(lambda: not passt_pids(sock), 30, 0.2, "passt to end with the guest")
        assert not sock.exists()
        assert not sock.with_name("net0-passt.pid").exists()
    finally:
        if con:
            con.close()
        if env.state(path)[0] != S.SHUTOFF:
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


def end_guest(env, path, pids=()):
    """The test's guest destroyed and undefined, its passts (pids) killed."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if env.state(path)[0] != S.SHUTOFF:
        env.dcall(path, "Destroy", 0)
    env.dcall(path, "Undefine", 0)


def test_restart_after_the_guest_is_gone_leaves_no_passt(env):
    """qemud SIGKILLed, QEMU killed while it was down: the guest's --one-off
    passt ends with QEMU's connection, so a passt that does not (one in
    its place, not --one-off, on the same socket and pid file) stands for one
    left behind; the restarted qemud finds the guest gone and ends it."""
    need_passt(env)
    xml = h.guest_domain_xml(env.guest, "passtgone", nic=None, extra_devices=passt_nic(env.root / "gone.log",
                                                                                         free_port()),
                             extra_cmdline="virtbus.nodhcp")
    path = env.call("DomainDefineXML", xml)
    left = None
    try:
        env.dcall(path, "Create", 0)
        sock = passt_socket(env, "passtgone")
        pidfile = sock.with_name("net0-passt.pid")
        assert passt_pids(sock)
        qemu = env.status_pid("passtgone")
        env.qemud.kill()
        os.kill(qemu, signal.SIGKILL)
        h.wait_until(lambda: not passt_pids(sock), 30, 0.2, "the --one-off passt to end with QEMU")
        if sock.exists():
            sock.unlink()
        st = pidfile.parent.stat()
        subprocess.run([PASST, "--socket", str(sock), "--pid", str(pidfile), "--runas",
                        f"{st.st_uid}:{st.st_gid}"], check=True, capture_output=True)
        left = passt_pids(sock)
        assert left, "the passt left behind did not start"
        env.qemud.start()
        h.wait_until(lambda: env.state(path)[0] == S.SHUTOFF, 30, 0.2, "the restarted qemud to find QEMU gone")
        h.wait_until(lambda: not passt_pids(sock), 30, 0.2, "qemud to end the passt left behind")
        assert not sock.exists()
        assert not pidfile.exists()
    finally:
        end_guest(env, path, left or ())


LIVE = 1
MAC2 = "52:54:00:5a:55:02"
ROOT_PORTS = "".join(f"<controller type='pci' index='{i}' model='pcie-root-port'/>" for i in (1, 2, 3))


def plugged_nic(log, host_port, extra=""):
    return (f"<interface type='user'><mac address='{MAC2}'/>"
            f"<portForward proto='tcp' address='127.0.0.1'><range start='{host_port}' to='8080'/></portForward>"
            f"<model type='virtio'/><backend type='passt' logFile='{log}'/>{extra}</interface>")


def run_dir_of(env, name):
    found = list(env.run_dir.glob(f"domain-*-{name}"))
    assert len(found) == 1, f"the run directory of {name}: {found}"
    return found[0]


def alias_of(live):
    m = re.search(re.escape(MAC2) + r".*?<alias name='([^']+)'/>", live, re.S)
    assert m, f"no alias for {MAC2} in the live XML:\n{live}"
    return m.group(1)


def netdevs(env, name):
    """QEMU's netdevs (HMP 'info network'), asked with qemud SIGKILLed and
    started again."""
    out = qmp_ask(env, name, ("human-monitor-command", {"command-line": "info network"}))[0]
    return out


def plug_guest(env, name, shell=None):
    extra = ROOT_PORTS
    if shell:
        extra += f"<serial type='unix'><source mode='bind' path='{shell}'/><target port='0'/></serial>"
    xml = h.guest_domain_xml(env.guest, name, nic=None, extra_devices=extra,
                             extra_cmdline="virtbus.nodhcp" + (" virtbus.shell" if shell else ""))
    path = env.call("DomainDefineXML", xml)
    env.dcall(path, "Create", 0)
    return path


def test_plug_forward_restart_unplug(env):
    need_passt(env)
    log, port = env.root / "plug.log", free_port()
    shell = env.root / "plug-console.sock"
    path = plug_guest(env, "passtplug", shell)
    con, pids = None, []
    try:
        con = tdev.Console(shell).connect()
        h.wait_until(lambda: tdev._shell_ready(con), 150, 1, "a shell on the guest's console")
        before = env.dcall(path, "GetXMLDesc", 0)
        env.dcall(path, "AttachDevice", plugged_nic(log, port), LIVE)
        live = env.dcall(path, "GetXMLDesc", 0)
        assert f"<backend type='passt' logFile='{log}'/>" in live
        assert f"<range start='{port}' to='8080'/>" in live
        alias = alias_of(live)
        sock = run_dir_of(env, "passtplug") / f"{alias}-passt.sock"
        pidfile = sock.with_name(f"{alias}-passt.pid")
        assert sock.exists() and pidfile.exists()
        pids = passt_pids(sock)
        assert pids, f"no passt serves {sock}"
        # the guest's NIC, passt's DHCP on it, and the forwarded port
        h.wait_until(lambda: MAC2.encode() in con.run("cat /sys/class/net/*/address"), 60, 1,
                     f"a NIC with {MAC2} in the guest")
        con.run("ip link set eth0 up; udhcpc -i eth0 -s /usr/share/udhcpc/default.script -q -t 10 -T 2 "
                ">/dev/null 2>&1", timeout=90)
        lease = re.search(rb"VIRTBUS-GUEST-IP (\S+)", con.text())
        assert lease, f"no lease from passt:\n{log.read_text()}"
        print(f"\nthe plugged {alias} got {lease.group(1).decode()} from passt {pids}")
        con.run("(echo VBPLUG-IN | nc -l -p 8080 &)")
        h.wait_until(lambda: b":8080" in con.run("netstat -tln"), 30, 0.5, "the guest's listener on 8080")
        inbound = forwarded_exchange(port, b"VBPLUG-HOST\n")
        assert inbound.startswith(b"VBPLUG-IN"), f"the forwarded port {port} got {inbound!r}; passt's log:\n" \
                                                 f"{log.read_text()}"
        # qemud SIGKILLed (QEMU asked meanwhile) and started again
        info = netdevs(env, "passtplug")
        assert f"host{alias}: index=0,type=stream" in info, info
        assert str(sock) in info, info
        live = h.wait_until(lambda: env.dcall(path, "GetXMLDesc", 0), 30, 0.5, "qemud back")
        assert alias_of(live) == alias and "<backend type='passt'" in live
        assert passt_pids(sock) == pids
        # the unplug: device_del, the guest's DEVICE_DELETED, netdev_del, passt ended
        env.dcall(path, "DetachDevice", plugged_nic(log, port), LIVE)
        h.wait_until(lambda: MAC2 not in env.dcall(path, "GetXMLDesc", 0), 60, 0.5, "the NIC to leave the live XML")
        assert env.dcall(path, "GetXMLDesc", 0) == before
        h.wait_until(lambda: not passt_pids(sock), 30, 0.2, "the unplugged interface's passt to end")
        assert not sock.exists() and not pidfile.exists()
        assert f"host{alias}" not in netdevs(env, "passtplug")
        pids = []
    finally:
        if con:
            con.close()
        end_guest(env, path, pids)


def test_plugged_passt_ends_with_the_guest_after_a_restart(env):
    need_passt(env)
    path = plug_guest(env, "pasststop")
    pids = []
    try:
        env.dcall(path, "AttachDevice", plugged_nic(env.root / "stop.log", free_port()), LIVE)
        alias = alias_of(env.dcall(path, "GetXMLDesc", 0))
        sock = run_dir_of(env, "pasststop") / f"{alias}-passt.sock"
        pids = passt_pids(sock)
        assert pids
        env.qemud.kill()
        env.qemud.start()
        assert "<backend type='passt'" in h.wait_until(lambda: env.dcall(path, "GetXMLDesc", 0), 30, 0.5,
                                                       "qemud back")
        # one a qemud killed in the middle of a plug left: no interface names it
        stray = sock.with_name("net9-passt.sock")
        st = sock.parent.stat()
        subprocess.run([PASST, "--socket", str(stray), "--pid", str(stray.with_name("net9-passt.pid")), "--runas",
                        f"{st.st_uid}:{st.st_gid}"], check=True, capture_output=True)
        pids += passt_pids(stray)
        assert passt_pids(stray)
        env.dcall(path, "Destroy", 0)
        h.wait_until(lambda: not passt_pids(sock), 30, 0.2, "the plugged passt to end with the guest")
        h.wait_until(lambda: not passt_pids(stray), 30, 0.2, "the stray passt to end with the guest")
        assert not sock.exists() and not stray.exists()
        pids = []
    finally:
        end_guest(env, path, pids)


def test_failed_plugs_leave_nothing(env):
    need_passt(env)
    path = plug_guest(env, "passtfail")
    try:
        before = env.dcall(path, "GetXMLDesc", 0)
        run = run_dir_of(env, "passtfail")
        # passt cannot start: its log file's directory does not exist
        missing = env.root / "no-such-dir" / "passt.log"
        with dbus_error("OperationFailed", "cannot make passt's pid or log file"):
            env.dcall(path, "AttachDevice", plugged_nic(missing, free_port()), LIVE)
        assert env.dcall(path, "GetXMLDesc", 0) == before
        assert not list(run.glob("*-passt.*"))
        # QEMU refuses the device after passt started: passt ends again
        with dbus_error("OperationFailed", "QEMU said") as e:
            env.dcall(path, "AttachDevice", plugged_nic(env.root / "fail.log", free_port(),
                                                        "<rom file='/nonexistent/virtbus.rom'/>"), LIVE)
        print(f"\nrefused by QEMU: {e.message}")
        assert (env.root / "fail.log").read_text(), "the failed plug ran no passt"
        assert env.dcall(path, "GetXMLDesc", 0) == before
        h.wait_until(lambda: not any(passt_pids(s) for s in run.glob("*-passt.sock")), 30, 0.2,
                     "the failed plug's passt to end")
        assert not list(run.glob("*-passt.*"))
        assert "type=stream" not in netdevs(env, "passtfail")
        assert env.state(path)[0] == S.RUNNING
    finally:
        end_guest(env, path)
