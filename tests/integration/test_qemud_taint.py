# SPDX-License-Identifier: LGPL-2.1-or-later
"""libvirt's taint flags: a guest started with <qemu:commandline> and a
machine type QEMU marks deprecated is tainted custom-argv and
deprecated-config (and high-privileges when QEMU runs as root, libvirt's
rule); each flag is written to the guest's log as libvirt does, kept in the
live state across a qemud SIGKILL, told by Domain.GetMessages, `virsh
dominfo` ("Messages:") and python-libvirt's messages(), and forgotten at
the stop. The guests run no OS: QEMU's firmware is all they need."""

import re
import shutil
import signal
import subprocess

import pytest

import virtbus_harness as h
from test_qemud_common import QemudEnv, _env_logs  # noqa: F401

pytestmark = pytest.mark.timeout(180)

NS = "http://libvirt.org/schemas/domain/qemu/1.0"
MSG_DEPRECATION, MSG_TAINTING = 1, 2
ARGV = "tainted: custom configuration parameters specified"
ROOT = "tainted: running with undesirable elevated privileges"
DEPRECATED = "tainted: use of deprecated configuration settings"


class TaintEnv(QemudEnv):
    def __init__(self):
        super().__init__()
        self.proxy = h.Proxy(self.bus, self.root).start() if shutil.which("virsh") else None

    def register_logs(self):
        super().register_logs()
        if self.proxy:
            h.register_log("virtbus-proxyd", self.proxy.log_path)

    def close(self):
        if self.proxy:
            self.proxy.stop()
        return super().close()


@pytest.fixture(scope="module")
def env(request):
    e = TaintEnv()
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


def domain_xml(name, machine, extra="", uuid=None):
    return f"""<domain type='qemu' xmlns:qemu='{NS}'>
  <name>{name}</name>{f"<uuid>{uuid}</uuid>" if uuid else ""}
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='{machine}'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
  {extra}
</domain>"""


def deprecated_machine():
    """One of the machine types this QEMU marks deprecated, or a skip."""
    out = subprocess.run(["/usr/bin/qemu-system-x86_64", "-machine", "help"], capture_output=True, text=True,
                         check=True).stdout
    names = [line.split()[0] for line in out.splitlines() if line.rstrip().endswith("(deprecated)")]
    if not names:
        pytest.skip("this QEMU marks no machine type deprecated")
    return sorted(names)[0]


def runs_as_root(env, name):
    """libvirt's rule for high-privileges: QEMU's user or group is root."""
    with open(f"/proc/{env.status_pid(name)}/status") as f:
        ids = dict(line.split(":", 1) for line in f if line.startswith(("Uid", "Gid")))
    return ids["Uid"].split()[0] == "0" or ids["Gid"].split()[0] == "0"


def messages(env, path, flags=0):
    return list(env.dcall(path, "GetMessages", flags))


def test_tainted_guest(env):
    machine = deprecated_machine()
    extra = ("<qemu:commandline><qemu:arg value='-fw_cfg'/>"
             "<qemu:arg value='name=opt/org.virtbus/taint,string=1'/></qemu:commandline>")
    path = env.call("DomainDefineXML", domain_xml("tainted", machine, extra))
    assert messages(env, path) == []                     # inactive: nothing
    env.dcall(path, "Create", 0)
    try:
        dom_id = env.prop(path, "Id")
        root = runs_as_root(env, "tainted")
        note = f"deprecated configuration: machine type '{machine}'"
        expected = [ARGV] + ([ROOT] if root else []) + [DEPRECATED, note]
        assert messages(env, path) == expected
        assert messages(env, path, MSG_TAINTING) == expected[:-1]
        assert messages(env, path, MSG_DEPRECATION) == [note]
        assert messages(env, path, MSG_TAINTING | MSG_DEPRECATION) == expected
        with h.expect_dbus_error("org.virtbus.Error.InvalidArg") as e:
            env.dcall(path, "GetMessages", 4)
        assert "unsupported flags (0x4)" in e.message, e.message

        # the log, after the command line, as libvirt writes it
        log = env.qemu_log_dir / "tainted.log"
        tail = f"Domain id={dom_id} is tainted: deprecated-config (machine type '{machine}')"
        h.wait_until(lambda: log.exists() and tail in log.read_text(), 30, what="the taint lines in the log")
        text = log.read_text()
        assert f"Domain id={dom_id} is tainted: custom-argv\n" in text, text
        assert (f"Domain id={dom_id} is tainted: high-privileges\n" in text) == root, text
        assert text.index("-fw_cfg name=opt/org.virtbus/taint") < text.index("is tainted: custom-argv"), text

        # the live state keeps them: a qemud killed and started again tells the same
        status = env.status_file("tainted").read_text()
        assert "<taint flag='custom-argv'/>" in status, status
        assert f"<deprecation>machine type &apos;{machine}&apos;</deprecation>" in status, status
        assert env.qemud.kill(signal.SIGKILL) == -signal.SIGKILL
        env.qemud.start()
        assert messages(env, path) == expected
    finally:
        env.dcall(path, "Destroy", 0)
    assert messages(env, path) == []                     # the stop forgets them
    # a start without what tainted the last one is not tainted by it
    env.call("DomainDefineXML", domain_xml("tainted", "pc", uuid=env.prop(path, "UUID")))
    env.dcall(path, "Create", 0)
    try:
        assert ARGV not in messages(env, path) and messages(env, path, MSG_DEPRECATION) == []
        assert messages(env, path) == ([ROOT] if runs_as_root(env, "tainted") else [])
    finally:
        env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


def test_virsh_and_python(env):
    if env.proxy is None:
        pytest.skip("virsh (libvirt-clients) is not installed")
    libvirt = pytest.importorskip("libvirt", reason="python3-libvirt is not installed")
    machine = deprecated_machine()
    extra = "<qemu:commandline><qemu:env name='VIRTBUS_TAINT' value='1'/></qemu:commandline>"
    xml = env.root / "virsh-taint.xml"
    xml.write_text(domain_xml("vtaint", machine, extra))
    env.proxy.virsh("define", str(xml))
    env.proxy.virsh("start", "vtaint")
    try:
        info = env.proxy.virsh("dominfo", "vtaint").stdout
        lines = [line for line in info.splitlines() if line.strip()]
        at = next(i for i, line in enumerate(lines) if line.startswith("Messages:"))
        assert re.match(r"Messages:\s+" + re.escape(ARGV) + "$", lines[at]), info
        assert lines[-1].strip() == f"deprecated configuration: machine type '{machine}'", info

        conn = libvirt.open(env.proxy.uri)
        try:
            dom = conn.lookupByName("vtaint")
            got = dom.messages()
            assert got[0] == ARGV and got[-1].endswith(f"'{machine}'"), got
            assert dom.messages(libvirt.VIR_DOMAIN_MESSAGE_DEPRECATION) == got[-1:]
            assert dom.messages(libvirt.VIR_DOMAIN_MESSAGE_TAINTING) == got[:-1]
            with pytest.raises(libvirt.libvirtError) as e:
                dom.messages(8)
            assert "unsupported flags (0x8)" in str(e.value), str(e.value)
        finally:
            conn.close()
    finally:
        env.proxy.virsh("destroy", "vtaint")
    assert "Messages:" not in env.proxy.virsh("dominfo", "vtaint").stdout
    env.proxy.virsh("undefine", "vtaint")


def test_host_cpu_after_restore(env):
    """libvirt's host-cpu: a guest with the host's CPU (maximum here, TCG's
    own) that arrives from elsewhere, a saved state or a migration, not one
    started afresh."""
    host_cpu = "tainted: potentially unsafe use of host CPU passthrough"
    path = env.call("DomainDefineXML", domain_xml("hostcpu", "pc", "<cpu mode='maximum'/>"))
    image = env.root / "hostcpu.save"
    try:
        env.dcall(path, "Create", 0)
        assert host_cpu not in messages(env, path)
        env.dcall(path, "Save", str(image), "", 0)
        assert messages(env, path) == []
        env.call("DomainRestore", str(image), "", 0)
        assert host_cpu in messages(env, path, MSG_TAINTING)
        assert messages(env, path, MSG_DEPRECATION) == []
    finally:
        if env.prop(path, "Active"):
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)


def test_shell_script(env):
    """libvirt's shell-scripts: an interface with a <script> (qemud runs it
    on the tap it made; this one leaves the tap as it is)."""
    script = env.root / "ifup-taint.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    nic = (f"<interface type='ethernet'><mac address='52:54:00:7a:1e:01'/><script path='{script}'/>"
           "<model type='virtio'/></interface>")
    xml = domain_xml("scripted", "pc").replace("</emulator>", "</emulator>" + nic)
    path = env.call("DomainDefineXML", xml)
    try:
        env.dcall(path, "Create", 0)
        assert "tainted: network configuration using opaque shell scripts" in messages(env, path, MSG_TAINTING)
    finally:
        if env.prop(path, "Active"):
            env.dcall(path, "Destroy", 0)
        env.dcall(path, "Undefine", 0)
