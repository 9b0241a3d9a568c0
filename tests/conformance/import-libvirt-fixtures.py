#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Copies libvirt's own x86 QEMU domain fixtures into tests/data/conformance.

    apt-get source libvirt            # libvirt 9.0 (LGPL-2.1-or-later, as we are)
    tests/conformance/import-libvirt-fixtures.py libvirt-9.0.0

Takes tests/qemuxml2argvdata/*.xml whose <domain> type is qemu or kvm and
whose <os><type> arch is x86_64, i686 or left out, and writes
libvirt-refuses.txt: the fixtures qemuxml2argvtest.c only ever expects to
fail (a parse error or a start failure), with no test that expects them to
work. The accepted list (accepted.txt) is written by the unit test
test-qemu-conformance with CONFORMANCE_WRITE=1.
"""
import os
import re
import shutil
import sys

X86 = ('x86_64', 'i686')


def wanted(text):
    m = re.search(r"<domain[^>]*\btype=['\"](qemu|kvm)['\"]", text)
    if not m:
        return False
    a = re.search(r"<type[^>]*\barch=['\"]([^'\"]+)['\"]", text)
    return a is None or a.group(1) in X86


def refusals(testc):
    fail, ok = set(), set()
    call = re.compile(r'\b(DO_TEST[A-Z_]*)\(\s*"([^"]+)"')
    for macro, name in call.findall(testc):
        (fail if ('FAILURE' in macro or 'PARSE_ERROR' in macro) else ok).add(name)
    return sorted(fail - ok)


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: import-libvirt-fixtures.py LIBVIRT-SOURCE-DIR')
    src = os.path.join(sys.argv[1], 'tests')
    dst = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'conformance')
    os.makedirs(dst, exist_ok=True)
    taken = set()
    indir = os.path.join(src, 'qemuxml2argvdata')
    for f in sorted(os.listdir(indir)):
        if not f.endswith('.xml'):
            continue
        with open(os.path.join(indir, f), encoding='utf-8') as fh:
            text = fh.read()
        if wanted(text):
            shutil.copyfile(os.path.join(indir, f), os.path.join(dst, f))
            taken.add(f[:-4])
    with open(os.path.join(src, 'qemuxml2argvtest.c'), encoding='utf-8') as fh:
        refused = [n for n in refusals(fh.read()) if n in taken]
    with open(os.path.join(dst, 'libvirt-refuses.txt'), 'w', encoding='utf-8') as fh:
        fh.write(''.join(n + '\n' for n in refused))
    print(f'{len(taken)} fixtures, {len(refused)} of them refused by libvirt')


if __name__ == '__main__':
    main()
