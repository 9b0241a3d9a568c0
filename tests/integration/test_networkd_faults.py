# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-networkd against bad input and faults: values that would change
dnsmasq's configuration (a newline in <bootp file>, network names with
quotes, backslashes or '#', over-long DNS names) are refused at define,
create and Update; a start that fails leaves nothing behind (no dnsmasq, no
bridge, no rules, no files); networkd killed in the middle of a Create comes
back, undoes the half-done start, and the network starts again; a network of
10,000 DHCP and 10,000 DNS hosts is defined, started and updated quickly.

dnsmasq and nft are run through stand-ins (shell scripts in the test root)
that run the real programs, and can be made slow or lose dnsmasq's pid file
when the test creates a file in <root>/faults."""

import os
import random
import shutil
import signal
import subprocess
import time

import pytest

from virtbus_harness import expect_dbus_error, wait_until
from test_networkd_common import (AFFECT_CONFIG, AFFECT_LIVE, CMD_ADD_LAST, CMD_DELETE, CMD_MODIFY,
                                  NETWORK_IFACE, NETWORKD, SEC_DNS_HOST, SEC_IP_DHCP_HOST, module_env, nat_xml)

ERR = "org.virtbus.Error."
DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
NFT = shutil.which("nft") or "/usr/sbin/nft"


def stand_ins(root):
    faults = root / "faults"
    faults.mkdir(exist_ok=True)
    dnsmasq = root / "dnsmasq-stand-in"
    dnsmasq.write_text(f"""#!/bin/sh
conf=""
for a in "$@"; do case "$a" in --conf-file=*) conf="${{a#--conf-file=}}";; esac; done
[ -e {faults}/dnsmasq-slow-exec ] && sleep 0.6
{DNSMASQ} "$@"
rc=$?
[ -e {faults}/dnsmasq-slow-exit ] && sleep 0.6
[ -e {faults}/dnsmasq-lose-pidfile ] && rm -f "${{conf%.conf}}.pid"
exit $rc
""")
    nft = root / "nft-stand-in"
    nft.write_text(f"""#!/bin/sh
[ -e {faults}/nft-slow ] && sleep 0.6
exec {NFT} "$@"
""")
    for f in (dnsmasq, nft):
        f.chmod(0o755)
    return {"VIRTBUS_DNSMASQ": str(dnsmasq), "VIRTBUS_NFT": str(nft)}


env, env_logs = module_env(stand_ins)


def set_fault(env, name=None):
    for f in (env.root / "faults").iterdir():
        f.unlink()
    if name:
        (env.root / "faults" / name).touch()


@pytest.fixture(autouse=True)
def no_faults(env):
    set_fault(env)
    yield
    set_fault(env)


def rundir(env):
    return env.root / "run" / "virtbus" / "network"


def conf_users(env, name):
    """Pids of processes running with the network's dnsmasq configuration."""
    want = f"--conf-file={rundir(env) / (name + '.conf')}".encode()
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
            with open(f"/proc/{d}/stat") as f:
                zombie = f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
        except OSError:
            continue
        if want in args and not zombie:
            pids.append(int(d))
    return pids


def run_files(env, name):
    return sorted(p.name for p in rundir(env).iterdir() if p.name.startswith(name + "."))


def nft_mentions(env, bridge):
    return f'"{bridge}"' in env.nft().stdout


def assert_nothing_left(env, name, bridge):
    """No dnsmasq, bridge, rules or run files of the network remain."""
    assert conf_users(env, name) == []
    assert not env.link_exists(bridge)
    wait_until(lambda: not nft_mentions(env, bridge), 10, what=f"no nft rules for {bridge}")
    assert run_files(env, name) == []


def test_values_dnsmasq_would_misread_are_refused(env):
    before = sorted(p.name for p in rundir(env).iterdir() if p.name != "nft.pid")
    evil = "pxe.0&#10;dhcp-script=/bin/touch"
    cases = [
        (nat_xml("boot", "192.168.120", dhcp_extra=f"<bootp file='{evil}'/>"), "bootp",
         "pxe.0\ndhcp-script=/bin/touch"),
        (nat_xml("boot", "192.168.120", dhcp_extra="<bootp file='a,b'/>"), "bootp", "a,b"),
        (nat_xml("a&quot;b", "192.168.120"), "network name", 'a"b'),
        (nat_xml("a\\b", "192.168.120"), "network name", "a\\b"),
        (nat_xml("a #b", "192.168.120"), "network name", "a #b"),
        (nat_xml("txt", "192.168.120", extra="<dns><txt name='t' value='x&quot;y'/></dns>"), "TXT", 'x"y'),
        (nat_xml("dom", "192.168.120", extra="<domain name='a b'/>"), "domain", "a b"),
        (nat_xml("hn", "192.168.120", dhcp_extra="<host mac='52:54:00:00:00:01' name='h,x' "
                                                 "ip='192.168.120.5'/>"), "host", "h,x"),
    ]
    for xml, where, value in cases:
        for method in ("NetworkDefineXML", "NetworkCreateXML"):
            with expect_dbus_error(ERR + "InvalidArg") as e:
                env.call(method, xml)
            assert where in e.message and value in e.message, e.message
    assert env.call("ListNetworks", 0) == []
    assert sorted(p.name for p in rundir(env).iterdir() if p.name != "nft.pid") == before


def test_long_dns_names_and_emptied_dns(env):
    path = env.define(nat_xml("names", "192.168.121"))
    try:
        live, config = env.xml(path), env.xml(path, inactive=True)
        huge = "a" * 10000
        for xml in (f"<host ip='192.168.121.9'><hostname>{huge}</hostname></host>",
                    f"<host ip='192.168.121.9'><hostname>{'b' * 64}.test</hostname></host>"):
            with expect_dbus_error(ERR + "InvalidArg") as e:
                env.net_call(path, "Update", CMD_ADD_LAST, SEC_DNS_HOST, -1, xml, AFFECT_LIVE | AFFECT_CONFIG)
            assert "hostname" in e.message
        with expect_dbus_error(ERR + "InvalidArg"):
            env.net_call(path, "Update", CMD_ADD_LAST, SEC_IP_DHCP_HOST, -1,
                         f"<host mac='52:54:00:00:00:09' name='{huge}' ip='192.168.121.9'/>", AFFECT_LIVE)
        assert env.xml(path) == live and env.xml(path, inactive=True) == config

        # a DNS host added and deleted: the definition is byte for byte as before
        host = "<host ip='192.168.121.9'><hostname>db</hostname></host>"
        env.net_call(path, "Update", CMD_ADD_LAST, SEC_DNS_HOST, -1, host, AFFECT_LIVE | AFFECT_CONFIG)
        assert "<hostname>db</hostname>" in env.xml(path)
        env.net_call(path, "Update", CMD_DELETE, SEC_DNS_HOST, -1, host, AFFECT_LIVE | AFFECT_CONFIG)
        assert env.xml(path) == live
        assert env.xml(path, inactive=True) == config
        assert "<dns" not in config
    finally:
        env.remove(path)


def test_port_interface_names_are_checked(env):
    # they go into the port's state file, a line each
    path = env.define(nat_xml("ports", "192.168.126"))
    try:
        for name in ("a\nnetwork=x", "a b", "a:b"):
            with expect_dbus_error(ERR + "InvalidArg") as e:
                env.allocate_veth("ports", "52:54:00:00:00:31", ifname=name)
            assert "interface name" in e.message
            with expect_dbus_error(ERR + "InvalidArg"):
                env.allocate_veth("ports", "52:54:00:00:00:31", peer_ifname=name)
        assert env.port_call("ListPorts", "") == []
    finally:
        env.remove(path)


def test_failed_start_leaves_nothing(env):
    # dnsmasq comes up but its pid file names nothing: the start fails, and
    # the dnsmasq that runs must not stay behind
    path = env.define(nat_xml("lost", "192.168.122"), start=False)
    try:
        bridge = env.prop(path, "BridgeName")
        set_fault(env, "dnsmasq-lose-pidfile")
        for _ in range(2):
            with expect_dbus_error(ERR + "OperationFailed"):
                env.net_call(path, "Create")
            assert env.prop(path, "Active") is False
            assert_nothing_left(env, "lost", bridge)
        set_fault(env)
        env.net_call(path, "Create")
        assert env.prop(path, "Active") is True
        assert env.dnsmasq_pid("lost")
        env.net_call(path, "Destroy")
        assert_nothing_left(env, "lost", bridge)
    finally:
        env.remove(path)


def call_async(env, path, iface, method, *sig_and_args):
    # never --auto-start: a call that arrives after the kill must not have the
    # bus start a networkd outside the test's namespace
    return subprocess.Popen(["busctl", f"--address={env.bus.address}", "--auto-start=no", "call", NETWORKD, path,
                             iface, method, *sig_and_args], env=env.bus.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def kill_during(env, delay, path, iface, method, *sig_and_args):
    """SIGKILLs networkd `delay` s after the call was sent; starts it again
    once the caller has its answer."""
    call = call_async(env, path, iface, method, *sig_and_args)
    time.sleep(delay)
    env.daemon.kill(signal.SIGKILL)
    call.wait(timeout=30)
    env.daemon.start()


def kill_during_create(env, path, delay):
    kill_during(env, delay, path, NETWORK_IFACE, "Create")


def check_recovered(env, path, name, bridge):
    """After the restart: the network runs (the start had finished) or left
    nothing; either way it can be started and stopped again."""
    if env.prop(path, "Active"):
        env.net_call(path, "Destroy")
    assert_nothing_left(env, name, bridge)
    env.net_call(path, "Create")
    assert env.prop(path, "Active") is True
    wait_until(lambda: env.dnsmasq_pid(name), 10, what="dnsmasq")
    assert len(conf_users(env, name)) == 1
    assert nft_mentions(env, bridge)
    env.net_call(path, "Destroy")
    assert_nothing_left(env, name, bridge)


@pytest.mark.parametrize("fault,delay", [("nft-slow", 0.25), ("dnsmasq-slow-exec", 0.25),
                                         ("dnsmasq-slow-exit", 0.3)])
def test_killed_at_a_step_of_create(env, fault, delay):
    path = env.define(nat_xml("crash", "192.168.123"), start=False)
    try:
        bridge = env.prop(path, "BridgeName")
        undone = env.daemon.log().count("a start did not finish")
        set_fault(env, fault)
        kill_during_create(env, path, delay)
        set_fault(env)
        assert env.prop(path, "Active") is False
        check_recovered(env, path, "crash", bridge)
        # the restarted networkd found the start record and undid the start
        assert env.daemon.log().count("a start did not finish") == undone + 1
    finally:
        env.remove(path)


def test_killed_at_random_times_during_create(env):
    path = env.define(nat_xml("rand", "192.168.124"), start=False)
    try:
        bridge = env.prop(path, "BridgeName")
        rng = random.Random(int(os.environ.get("VIRTBUS_TEST_SEED", "1")))
        undone = env.daemon.log().count("a start did not finish")
        for i in range(6):
            delay = rng.uniform(0.01, 0.07)
            kill_during_create(env, path, delay)
            check_recovered(env, path, "rand", bridge)
        print(f"{env.daemon.log().count('a start did not finish') - undone} of 6 kills cut a start short")
        # transient networks: the unfinished one is gone, the name is free
        kill_during(env, 0.02, "/org/virtbus/networkd", "org.libvirt.Connect", "NetworkCreateXML", "s",
                    nat_xml("trans", "192.168.125", bridge="vbtrans0"))
        names = [env.prop(p, "Name") for p in env.call("ListNetworks", 0)]
        if "trans" in names:
            env.net_call(env.call("NetworkLookupByName", "trans"), "Destroy")
        assert_nothing_left(env, "trans", "vbtrans0")
        tpath = env.call("NetworkCreateXML", nat_xml("trans", "192.168.125", bridge="vbtrans0"))
        env.net_call(tpath, "Destroy")
        assert_nothing_left(env, "trans", "vbtrans0")
    finally:
        env.remove(path)


def big_xml(name, n):
    """n DNS hosts and n static DHCP hosts (no range: an element has at most
    10,000 children)."""
    dns = "".join(f"<host ip='10.{1 + i // 65536}.{(i // 256) % 256}.{i % 256}'><hostname>d{i}</hostname></host>"
                  for i in range(n))
    hosts = "".join(f"<host mac='52:54:00:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}' "
                    f"name='h{i}' ip='10.100.{i // 250}.{i % 250 + 1}'/>" for i in range(n))
    return f"""<network><name>{name}</name><forward mode='nat'/><dns>{dns}</dns>
<ip address='10.0.0.1' prefix='8'><dhcp>{hosts}</dhcp></ip>
</network>"""


def test_ten_thousand_hosts(env):
    xml = big_xml("big", 10000)
    t0 = time.monotonic()
    path = env.call("NetworkDefineXML", xml)
    t1 = time.monotonic()
    try:
        env.net_call(path, "Create")
        t2 = time.monotonic()
        wait_until(lambda: env.dnsmasq_pid("big"), 10, what="dnsmasq")
        # at the parser's bound of 10,000 children: hosts go and come back
        both = AFFECT_LIVE | AFFECT_CONFIG
        host = "<host mac='52:54:00:00:00:05' name='h5' ip='10.100.0.6'/>"
        env.net_call(path, "Update", CMD_DELETE, SEC_IP_DHCP_HOST, -1, host, both)
        env.net_call(path, "Update", CMD_ADD_LAST, SEC_IP_DHCP_HOST, -1, host, both)
        env.net_call(path, "Update", CMD_MODIFY, SEC_IP_DHCP_HOST, -1,
                     "<host mac='52:54:00:00:00:05' name='renamed' ip='10.100.0.6'/>", both)
        dns = "<host ip='10.1.0.9'><hostname>d9</hostname></host>"
        env.net_call(path, "Update", CMD_DELETE, SEC_DNS_HOST, -1, dns, both)
        env.net_call(path, "Update", CMD_ADD_LAST, SEC_DNS_HOST, -1,
                     "<host ip='10.160.0.1'><hostname>n</hostname></host>", both)
        t3 = time.monotonic()
        # and no more: the stored definition must stay readable
        with expect_dbus_error(ERR + "InvalidArg") as e:
            env.net_call(path, "Update", CMD_ADD_LAST, SEC_IP_DHCP_HOST, -1,
                         "<host mac='52:54:00:ff:00:01' name='new' ip='10.150.0.1'/>", both)
        assert "at most 10000" in e.message
        hostsfile = (rundir(env) / "big.hostsfile").read_text()
        assert hostsfile.count("\n") == 10000 and ",renamed" in hostsfile
        addn = (rundir(env) / "big.addnhosts").read_text()
        assert "10.160.0.1\tn" in addn and "\td9\n" not in addn
        print(f"10,000 hosts: define {t1 - t0:.3f} s, create {t2 - t1:.3f} s, 5 updates {t3 - t2:.3f} s")
        # a guard against quadratic work only (it took tens of seconds)
        assert t1 - t0 < 5 and t2 - t1 < 5 and t3 - t2 < 5
    finally:
        env.remove(path)
