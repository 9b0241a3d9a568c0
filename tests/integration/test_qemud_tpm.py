# SPDX-License-Identifier: LGPL-2.1-or-later
"""<tpm> in virtbus-qemud: the TCG test guest started with a TPM 2.0 whose
backend is an swtpm the test runs (<backend type='external'>): QEMU's
query-tpm lists it; the start refuses, naming it, a passthrough device the
host lacks and the emulator backend qemud does not run yet, leaving the
guest shut off; a bad <tpm> defines nothing.
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


def test_start_names_what_is_missing(env):
    for tpm, name, words in (
            ("<tpm><backend type='passthrough'><device path='/dev/no-such-tpm'/></backend></tpm>",
             "OperationFailed", ("the TPM device of <devices/tpm> is not on this host", "/dev/no-such-tpm")),
            ("<tpm><backend type='emulator' version='2.0'/></tpm>",
             "NotSupported", ("TPM emulator backend", "is not started by qemud yet"))):
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
