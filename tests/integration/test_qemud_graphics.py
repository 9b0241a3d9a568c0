# SPDX-License-Identifier: LGPL-2.1-or-later
"""Graphics: an autoport VNC display gets a free port, shown in the live XML;
its password is set through QMP before the guest runs and never appears on
QEMU's command line or in XML read without the SECURE flag."""

import re
import socket
import subprocess

import pytest

import virtbus_harness as h

pytestmark = pytest.mark.timeout(120)


def domain_xml(name, virt, passwd):
    pw = f" passwd='{passwd}'" if passwd else ""
    return f"""<domain type='{virt}'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'{pw}/>
    <video><model type='vga'/></video>
  </devices>
</domain>"""


def qemu_pid(vroot, name):
    text = (vroot / "run" / "virtbus" / "qemu" / f"{name}.xml").read_text()
    return int(re.search(r"<domstatus [^>]*\bpid='(\d+)'", text).group(1))


def vnc_security_types(port):
    """The security types an RFB 3.8 server offers."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        assert s.recv(12).startswith(b"RFB 003.")
        s.sendall(b"RFB 003.008\n")
        n = s.recv(1)[0]
        return set(s.recv(n))


def des_ecb(key8, data):
    """DES-ECB through openssl's legacy provider (VNC authentication's cipher)."""
    r = subprocess.run(["openssl", "enc", "-des-ecb", "-K", key8.hex(), "-nopad",
                        "-provider", "legacy", "-provider", "default"],
                       input=data, capture_output=True)
    if r.returncode != 0:
        pytest.skip("openssl has no DES here: " + r.stderr.decode(errors="replace")[:200])
    return r.stdout


def vnc_login(port, password):
    """RFB 3.8 VNC authentication; True when the server accepts the password."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.recv(12)
        s.sendall(b"RFB 003.008\n")
        n = s.recv(1)[0]
        assert 2 in set(s.recv(n))
        s.sendall(bytes([2]))
        challenge = s.recv(16)
        # The key is the password, 8 bytes, each byte's bits reversed.
        key = bytes(int(f"{b:08b}"[::-1], 2) for b in password.encode()[:8].ljust(8, b"\0"))
        s.sendall(des_ecb(key, challenge))
        return int.from_bytes(s.recv(4), "big") == 0


@pytest.mark.parametrize("passwd", [None, "s3cret"])
def test_vnc_autoport_and_password(qemud, vroot, passwd):
    virt = "kvm" if h.kvm_available() else "qemu"
    name = "vnc-pw" if passwd else "vnc-open"
    path = qemud.call("DomainDefineXML", domain_xml(name, virt, passwd))
    qemud.domain_call(path, "Create", 0)
    try:
        live = qemud.domain_call(path, "GetXMLDesc", 0)
        port = int(re.search(r"<graphics type='vnc' port='(\d+)'", live).group(1))
        assert 5900 <= port < 65536, live
        assert "s3cret" not in live
        # 2 = VNC authentication, 1 = none
        assert vnc_security_types(port) == ({2} if passwd else {1})
        cmdline = open(f"/proc/{qemu_pid(vroot, name)}/cmdline", "rb").read()
        assert b"s3cret" not in cmdline
        if passwd:
            secure = qemud.domain_call(path, "GetXMLDesc", 1)
            assert "passwd='s3cret'" in secure
            # QEMU really got the password through QMP.
            assert vnc_login(port, "s3cret")
            assert not vnc_login(port, "wrong")
    finally:
        qemud.domain_call(path, "Destroy", 0)
    inactive = qemud.domain_call(path, "GetXMLDesc", 0)
    assert "autoport='yes'" in inactive
