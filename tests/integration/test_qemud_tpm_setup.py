# SPDX-License-Identifier: LGPL-2.1-or-later
"""A TPM's first start runs swtpm_setup as a child of virtbus-qemud whose
exit goes on with the start: meanwhile qemud answers other calls. The
swtpm_setup here is a wrapper on qemud's PATH that waits for the test's
word before it runs the real one, so "answers meanwhile" needs no clock:
with the old blocking wait, ListDomains would never come back. A Destroy
during it kills it and leaves no TPM state; a failing swtpm_setup fails
the start with its last log lines and leaves no TPM state either.
"""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, module_env

env = module_env()

UNDEFINE_TPM = 1 << 5

WRAPPER = """#!/bin/sh
# the test's swtpm_setup: says it began, waits for the word, then runs the real one
echo $$ > {dir}/began
while [ ! -e {dir}/go ]; do sleep 0.05; done
if [ -e {dir}/fail ]; then
    echo "wrapper: the vTPM could not be made (as the test asked)" >&2
    exit 3
fi
exec {real} "$@"
"""


@pytest.fixture
def slow_setup(env):
    """qemud restarted with a waiting swtpm_setup first on its PATH; yields
    the wrapper's directory (files began, go, fail)."""
    real = shutil.which("swtpm_setup")
    if not (real and shutil.which("swtpm")):
        pytest.skip("swtpm is not installed (Debian's swtpm and swtpm-tools packages)")
    # QEMU's user runs swtpm_setup: it must reach the wrapper and write there
    wdir = Path(tempfile.mkdtemp(prefix="vb-swtpm-setup-"))
    os.chmod(wdir, 0o777)
    (wdir / "swtpm_setup").write_text(WRAPPER.format(dir=wdir, real=real))
    os.chmod(wdir / "swtpm_setup", 0o755)
    env.qemud.extra_env["PATH"] = f"{wdir}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    env.qemud.restart()
    try:
        yield wdir
    finally:
        (wdir / "go").touch()  # a wrapper still waiting ends
        env.qemud.extra_env.pop("PATH")
        env.qemud.restart()
        shutil.rmtree(wdir, ignore_errors=True)


def define(env, name):
    serial = env.root / f"{name}.serial"
    tpm = "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"
    xml = h.guest_domain_xml(env.guest, name, serial_log=serial, extra_devices=tpm, nic=None)
    return Guest(env, env.call("DomainDefineXML", xml), name)


def tpm_dir(env, g):
    uuid = re.search(r"<uuid>([^<]+)</uuid>", g.call("GetXMLDesc", 0)).group(1)
    return env.root / "var" / "lib" / "virtbus" / "qemu" / "swtpm" / uuid


def create_in_background(env, g):
    """Domain.Create through busctl, in a process of its own: the test goes
    on while the start waits for swtpm_setup."""
    argv = ["busctl", f"--address={env.bus.address}", "--timeout=300", "call", env.qemud.bus_name,
            g.path, "org.libvirt.Domain", "Create", "u", "0"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env.bus.env)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def undefine(g):
    if g.state()[0] != h.DomainState.SHUTOFF:
        g.call("Destroy", 0)
    g.call("Undefine", UNDEFINE_TPM)


def test_other_calls_answer_during_swtpm_setup(env, slow_setup):
    g = define(env, "tpm-slow")
    other = define(env, "tpm-other")
    create = None
    try:
        create = create_in_background(env, g)
        h.wait_until(lambda: (slow_setup / "began").exists() or create.poll() is not None, 120,
                     what="swtpm_setup to begin")
        assert create.poll() is None, create.communicate()
        # swtpm_setup waits for "go": qemud answers all the same
        names = env.call("ListDomains", 0)
        assert g.path in names and other.path in names
        assert other.state()[0] == h.DomainState.SHUTOFF
        assert create.poll() is None  # the start still waits for swtpm_setup
        (slow_setup / "go").touch()
        out, err = create.communicate(timeout=300)
        assert create.returncode == 0, err
        assert g.state()[0] == h.DomainState.RUNNING
        assert (tpm_dir(env, g) / "tpm2" / "tpm2-00.permall").exists()
    finally:
        if create is not None and create.poll() is None:
            (slow_setup / "go").touch()
            create.communicate(timeout=300)
        undefine(g)
        undefine(other)


def test_destroy_during_swtpm_setup_kills_it(env, slow_setup):
    g = define(env, "tpm-cut")
    create = None
    try:
        state = tpm_dir(env, g)
        create = create_in_background(env, g)
        h.wait_until(lambda: (slow_setup / "began").exists() or create.poll() is not None, 120,
                     what="swtpm_setup to begin")
        assert create.poll() is None, create.communicate()
        pid = int((slow_setup / "began").read_text())
        g.call("Destroy", 0)
        out, err = create.communicate(timeout=120)
        assert create.returncode != 0 and "destroyed while starting" in err, err
        assert not alive(pid)
        assert g.state()[0] == h.DomainState.SHUTOFF
        assert not state.exists()
    finally:
        if create is not None and create.poll() is None:
            (slow_setup / "go").touch()
            create.communicate(timeout=300)
        undefine(g)


def test_failing_swtpm_setup_fails_the_start_with_its_words(env, slow_setup):
    g = define(env, "tpm-fail")
    try:
        state = tpm_dir(env, g)
        (slow_setup / "fail").touch()
        (slow_setup / "go").touch()
        with pytest.raises(Exception) as e:
            g.call("Create", 0)
        assert "swtpm_setup" in str(e.value) and "could not be made (as the test asked)" in str(e.value)
        assert g.state()[0] == h.DomainState.SHUTOFF
        assert not state.exists()
        # the guest starts once swtpm_setup works
        (slow_setup / "fail").unlink()
        g.call("Create", 0)
        assert g.state()[0] == h.DomainState.RUNNING
        assert (state / "tpm2" / "tpm2-00.permall").exists()
    finally:
        undefine(g)
