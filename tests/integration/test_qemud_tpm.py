# SPDX-License-Identifier: LGPL-2.1-or-later
"""<tpm> in virtbus-qemud: the TCG test guest started with a TPM 2.0 whose
backend is an swtpm the test runs (<backend type='external'>), and with the
emulator backend whose swtpm qemud runs: QEMU's query-tpm lists it, the
swtpm outlives a SIGKILL of qemud and ends with the guest, its state
(<statedir>/qemu/swtpm/<uuid>) is made once and kept across starts, and
goes at undefine as libvirt's persistent_state and UNDEFINE_TPM/KEEP_TPM
say (over D-Bus, and virsh undefine --tpm/--keep-tpm through the proxy).
The start refuses, naming it, a passthrough device the host lacks,
leaving the guest shut off; a bad <tpm> defines nothing.
"""

import re
import shutil
import signal
import subprocess

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, dbus_error, module_env, xmllint_relaxng

env = module_env()


def define(env, name, tpm):
    serial = env.root / f"{name}.serial"
    h.register_log(f"serial console of {name}", serial)
    xml = h.guest_domain_xml(env.guest, name, serial_log=serial, extra_devices=tpm, nic=None)
    return Guest(env, env.call("DomainDefineXML", xml), name)


def qmp_ask(env, name, command):
    monitor = re.search(r"<monitor path='([^']+)'", env.status_file(name).read_text()).group(1)
    env.qemud.kill(signal.SIGKILL)
    try:
        qmp = h.Qmp(monitor, timeout=20)
        try:
            return qmp.cmd(command)
        finally:
            qmp.close()
    finally:
        env.qemud.start()


@pytest.fixture
def swtpm(env, tmp_path):
    if not shutil.which("swtpm"):
        pytest.skip("swtpm is not installed (Debian's swtpm package)")
    state = tmp_path / "state"
    state.mkdir()
    sock = tmp_path / "swtpm.sock"
    p = subprocess.Popen(["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={state}",
                          "--ctrl", f"type=unixio,path={sock}", "--flags", "startup-clear"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        h.wait_until(sock.exists, 10, what="swtpm's control socket")
        yield sock
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_guest_runs_with_an_external_swtpm(env, swtpm):
    tpm = (f"<tpm model='tpm-crb'><backend type='external' version='2.0'>"
           f"<source type='unix' mode='connect' path='{swtpm}'/></backend></tpm>")
    g = define(env, "tpm-ext", tpm)
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        assert f"<source type='unix' mode='connect' path='{swtpm}'/>" in inactive
        g.start()
        assert "<alias name='tpm0'/>" in g.call("GetXMLDesc", 0)
        g.wait_ready()
        tpms = qmp_ask(env, "tpm-ext", "query-tpm")
        assert [(t["id"], t["model"], t["options"]["type"]) for t in tpms] == [("tpm-tpm0", "tpm-crb", "emulator")]
        h.wait_until(lambda: g.state()[0] == h.DomainState.RUNNING, 30, what="qemud back, the guest running")
    finally:
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)


UNDEFINE_TPM, UNDEFINE_KEEP_TPM = 1 << 5, 1 << 6


def need_swtpm():
    if not (shutil.which("swtpm") and shutil.which("swtpm_setup")):
        pytest.skip("swtpm is not installed (Debian's swtpm and swtpm-tools packages)")


def tpm_dir(env, g):
    uuid = re.search(r"<uuid>([^<]+)</uuid>", g.call("GetXMLDesc", 0)).group(1)
    return env.root / "var" / "lib" / "virtbus" / "qemu" / "swtpm" / uuid


def swtpm_pid(env, g):
    """The swtpm of g's tpm0 from its pid file in the guest's run directory."""
    files = list(env.run_dir.glob("domain-*/tpm0.swtpm.pid"))
    assert len(files) == 1, files
    return int(files[0].read_text().strip())


def uid_of(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("Uid:")).split()[1])


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_guest_runs_with_the_emulator(env):
    need_swtpm()
    g = define(env, "tpm-emu", "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>")
    try:
        state = tpm_dir(env, g)
        g.start()
        assert (state / "tpm2" / "tpm2-00.permall").exists()
        pid = swtpm_pid(env, g)
        # confined like QEMU as far as DAC goes: its user, and the state is that user's
        assert uid_of(pid) == uid_of(g.pid()) == (state / "tpm2").stat().st_uid
        g.wait_ready()
        # qmp_ask SIGKILLs qemud meanwhile: the swtpm stays with the guest
        tpms = qmp_ask(env, "tpm-emu", "query-tpm")
        assert [(t["id"], t["model"], t["options"]["type"]) for t in tpms] == [("tpm-tpm0", "tpm-crb", "emulator")]
        h.wait_until(lambda: g.state()[0] == h.DomainState.RUNNING, 30, what="qemud back, the guest running")
        assert alive(pid)
        g.call("Destroy", 0)
        h.wait_until(lambda: not alive(pid), 30, what="swtpm gone with QEMU")
        log = (state / "swtpm.log").read_text()
        assert log.count("Starting vTPM manufacturing") == 1
        # the state is kept: the second start makes none
        g.start()
        assert alive(swtpm_pid(env, g))
        g.call("Destroy", 0)
        assert (state / "swtpm.log").read_text().count("Starting vTPM manufacturing") == 1
        g.call("Undefine", UNDEFINE_TPM)
        g = None
        assert not state.exists()
    finally:
        if g is not None:
            if g.state()[0] != h.DomainState.SHUTOFF:
                g.call("Destroy", 0)
            g.call("Undefine", UNDEFINE_TPM)


def started_once(env, name, backend):
    """Defines name with an emulator TPM, starts and destroys it (no boot
    needed): its TPM state exists then."""
    g = define(env, name, f"<tpm model='tpm-tis'>{backend}</tpm>")
    g.start()
    g.call("Destroy", 0)
    state = tpm_dir(env, g)
    assert state.is_dir()
    return g, state


def test_undefine_follows_persistent_state_and_flags(env):
    need_swtpm()
    # TPM 1.2, persistent_state='yes': kept by a plain undefine, gone with UNDEFINE_TPM
    g, state = started_once(env, "tpm-keep", "<backend type='emulator' version='1.2' persistent_state='yes'/>")
    assert (state / "tpm1.2" / "tpm-00.permall").exists()
    g.call("Undefine", 0)
    assert state.is_dir()
    g, state2 = started_once(env, "tpm-keep", "<backend type='emulator' version='1.2' persistent_state='yes'/>")
    assert state2 != state
    g.call("Undefine", UNDEFINE_TPM)
    assert not state2.exists()
    shutil.rmtree(state)
    # no persistent_state: KEEP_TPM keeps it, a plain undefine removes it
    g, state = started_once(env, "tpm-drop", "<backend type='emulator'/>")
    assert (state / "tpm2" / "tpm2-00.permall").exists()
    g.call("Undefine", UNDEFINE_KEEP_TPM)
    assert state.is_dir()
    shutil.rmtree(state)
    g, state = started_once(env, "tpm-drop", "<backend type='emulator'/>")
    g.call("Undefine", 0)
    assert not state.exists()


def test_encrypted_state_takes_its_passphrase_from_secretd(env):
    """<encryption secret=''/>: swtpm_setup and swtpm read the passphrase of a
    (private) vTPM secret of secretd on a pipe; the state made with it does
    not open with another passphrase (the start fails), and opens again with
    the right one."""
    need_swtpm()
    import dbus
    secret_uuid = "5f0e2a34-7c1d-4c33-9a6e-2b8f1d0c7a55"
    sec = env.bus.call("org.virtbus.secretd", "/org/virtbus/secretd", "org.libvirt.Connect", "SecretDefineXML",
                       f"<secret private='yes'><uuid>{secret_uuid}</uuid>"
                       "<usage type='vtpm'><name>tpm-enc state</name></usage></secret>", 0, signature="su")

    def set_value(v):
        env.bus.call("org.virtbus.secretd", sec, "org.libvirt.Secret", "SetValue", dbus.ByteArray(v), 0,
                     signature="ayu")

    set_value(b"tpm passphrase one")
    g = define(env, "tpm-enc", f"<tpm model='tpm-tis'><backend type='emulator' version='2.0'>"
                               f"<encryption secret='{secret_uuid}'/></backend></tpm>")
    try:
        g.start()
        state = tpm_dir(env, g)
        assert (state / "tpm2" / "tpm2-00.permall").exists()
        argv = open(f"/proc/{swtpm_pid(env, g)}/cmdline", "rb").read().split(b"\0")
        assert b"pwdfd=3,mode=aes-256-cbc" in argv and b"pwdfd=4,mode=aes-256-cbc" in argv, argv
        assert not any(b"passphrase" in a for a in argv)
        g.call("Destroy", 0)
        # another passphrase cannot read the state: QEMU's TPM does not come up
        set_value(b"not the passphrase")
        with pytest.raises(dbus.exceptions.DBusException):
            g.call("Create", 0)
        assert g.state()[0] == h.DomainState.SHUTOFF
        set_value(b"tpm passphrase one")
        g.start()
        g.call("Destroy", 0)
        # no secret at all: the start says which
        env.bus.call("org.virtbus.secretd", sec, "org.libvirt.Secret", "Undefine", signature="")
        with dbus_error("NoSecret", "TPM 'tpm0'", secret_uuid):
            g.call("Create", 0)
    finally:
        if g.state()[0] != h.DomainState.SHUTOFF:
            g.call("Destroy", 0)
        g.call("Undefine", UNDEFINE_TPM)


def test_start_names_what_is_missing(env):
    for tpm, name, words in (
            ("<tpm><backend type='passthrough'><device path='/dev/no-such-tpm'/></backend></tpm>",
             "OperationFailed", ("the TPM device of <devices/tpm> is not on this host", "/dev/no-such-tpm")),):
        g = define(env, "tpm-bad", tpm)
        try:
            with dbus_error(name, *words):
                g.call("Create", 0)
            assert g.state()[0] == h.DomainState.SHUTOFF
        finally:
            g.call("Undefine", 0)


def test_refusals_define_nothing(env):
    before = env.list_domains()
    with dbus_error("NotSupported", "TPM version '1.2' is not supported with model 'tpm-crb'"):
        define(env, "tpm-x", "<tpm model='tpm-crb'><backend type='emulator' version='1.2'/></tpm>")
    with dbus_error("XMLError", "missing TPM device backend"):
        define(env, "tpm-x", "<tpm model='tpm-tis'/>")
    assert env.list_domains() == before


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    h.register_log("virtbus-proxyd", p.log_path)
    yield p
    p.stop()


def test_virsh_undefine_tpm_flags(env, proxy):
    """virsh undefine --keep-tpm / --tpm through virtbus-proxyd reach qemud
    as VIR_DOMAIN_UNDEFINE_KEEP_TPM / _TPM."""
    need_swtpm()
    g, state = started_once(env, "tpm-virsh", "<backend type='emulator'/>")
    proxy.virsh("undefine", "tpm-virsh", "--keep-tpm")
    assert state.is_dir()
    shutil.rmtree(state)
    g, state = started_once(env, "tpm-virsh", "<backend type='emulator' persistent_state='yes'/>")
    proxy.virsh("undefine", "tpm-virsh", "--tpm")
    assert not state.exists()


def test_transient_guest_tpm_state_goes_with_it(env):
    """A transient guest's TPM state goes at its stop, as libvirt does,
    unless persistent_state='yes'."""
    need_swtpm()
    for backend, kept in (("<backend type='emulator'/>", False),
                          ("<backend type='emulator' persistent_state='yes'/>", True)):
        serial = env.root / "tpm-transient.serial"
        xml = h.guest_domain_xml(env.guest, "tpm-transient", serial_log=serial, nic=None,
                                 extra_devices=f"<tpm model='tpm-tis'>{backend}</tpm>")
        path = env.call("DomainCreateXML", xml, 0)
        uuid = re.search(r"<uuid>([^<]+)</uuid>", env.dcall(path, "GetXMLDesc", 0)).group(1)
        state = env.root / "var" / "lib" / "virtbus" / "qemu" / "swtpm" / uuid
        assert state.is_dir()
        env.dcall(path, "Destroy", 0)
        assert state.is_dir() == kept, list(state.rglob("*"))
        if kept:
            shutil.rmtree(state)
