#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Asks the real libvirt of this host which conformance fixtures it defines.

    tests/conformance/libvirt-define-verdicts.py    (root; libvirtd and python3-libvirt
                                                    from scripts/install-deps.sh bench)

libvirt-refuses.txt says what libvirt's own test suite expects to fail, which
mixes define-time refusals with start-time ones and runs against test
capabilities. This asks libvirtd 9.0 itself, with Debian 12's QEMU 7.2 and
its default qemu.conf, to define each fixture (virDomainDefineXML, then
undefine), and writes libvirt-define-here.txt: one line per fixture,
"NAME<TAB>accepted" or "NAME<TAB>refused<TAB>libvirt's message".
test-qemu-conformance compares qemud's define with it.

A host without KVM makes libvirt refuse every <domain type='kvm'> ("Emulator
... does not support virt type 'kvm'"), so where /dev/kvm is missing the
fixtures are given to libvirt as type 'qemu', and the file says so on its
first line; the unit test does the same to qemud's document then.

libvirtd is started privately for the run (the bench's plumbing,
bench/qemud-bench.py) and stopped at the end; no other libvirtd may run.
"""
import importlib.util
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "conformance"


def load_bench():
    spec = importlib.util.spec_from_file_location("qemud_bench", REPO / "bench" / "qemud-bench.py")
    qb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(qb)
    return qb


def as_qemu(xml):
    return re.sub(r"<domain type=(['\"])kvm\1", "<domain type='qemu'", xml, count=1)


def verdict(conn, libvirt, xml):
    try:
        dom = conn.defineXML(xml)
    except libvirt.libvirtError as e:
        return "refused\t" + " ".join(str(e).split())
    try:
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_KEEP_TPM)
    except libvirt.libvirtError:
        dom.undefine()
    return "accepted"


def main():
    qb = load_bench()
    import libvirt
    libvirt.registerErrorHandler(lambda c, e: None, None)
    kvm = os.path.exists("/dev/kvm")
    b = qb.Bench()
    b.accel = "kvm" if kvm else "tcg"
    lines = ["# libvirtd 9.0, QEMU 7.2, default qemu.conf; " +
             ("fixtures as they are" if kvm else "no KVM here: type='kvm' given as type='qemu'")]
    try:
        b.libvirt_preflight()
        b.start_libvirtd()
        conn = b.lv_open()
        for f in sorted(DATA.glob("*.xml")):
            xml = f.read_text()
            lines.append(f"{f.stem}\t" + verdict(conn, libvirt, xml if kvm else as_qemu(xml)))
        conn.close()
    except qb.Skip as e:
        sys.exit(f"cannot ask libvirt: {e}")
    finally:
        b.stop_libvirtd()
        b.cleanup()
    (DATA / "libvirt-define-here.txt").write_text("\n".join(lines) + "\n")
    took = sum(1 for line in lines[1:] if line.endswith("\taccepted"))
    print(f"libvirt defined {took} of {len(lines) - 1} fixtures: {DATA / 'libvirt-define-here.txt'}")


if __name__ == "__main__":
    main()
