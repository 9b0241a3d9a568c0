# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every guest's generated AppArmor profile parses.

The profile of each domain XML fixture (tests/data/domain, its lxc/ folder,
the command-line fixtures tests/data/qemu-command, tests/data/apparmor) is
written by build/tests/test-security-apparmor --print-apparmor-profile and
given to apparmor_parser --skip-kernel-load --skip-cache -Q, with the tree's
units/apparmor as include directory (-I) so that <abstractions/virtbus-qemu>
and <abstractions/virtbus-lxc> are ours. Nothing is loaded: these hosts have
no AppArmor in their kernel."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import virtbus_harness as harness

REPO = harness.REPO
HELPER = harness.BUILD / "tests" / "test-security-apparmor"
INCLUDE = REPO / "units" / "apparmor"
DATA = REPO / "tests" / "data"
# Refused on purpose (a '..' component): tested below for its error.
UNSAFE = {"apparmor/unsafe-dotdot.xml"}


def fixtures():
    files = []
    for folder in ("domain", "domain/lxc", "qemu-command", "apparmor"):
        files += sorted((DATA / folder).glob("*.xml"))
    return [f for f in files if str(f.relative_to(DATA)) not in UNSAFE]


def find_parser():
    """apparmor_parser, installed (the apparmor package) if missing and we
    may; None with the reason otherwise."""
    for p in (shutil.which("apparmor_parser"), "/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"):
        if p and Path(p).exists():
            return p, None
    r = subprocess.run(["apt-get", "install", "-y", "-q", "apparmor"], capture_output=True, text=True,
                       env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    if r.returncode == 0 and Path("/usr/sbin/apparmor_parser").exists():
        return "/usr/sbin/apparmor_parser", None
    return None, "apparmor_parser cannot be installed: " + (r.stderr.strip().splitlines() or ["?"])[-1]


@pytest.fixture(scope="module")
def parser():
    if not HELPER.exists():
        pytest.fail(f"{HELPER} is not built (make all)")
    p, why = find_parser()
    if not p:
        print(why)
        pytest.skip(why)
    return p


def profile_of(xml):
    r = subprocess.run([str(HELPER), "--print-apparmor-profile", str(xml)], capture_output=True, text=True)
    assert r.returncode == 0, f"no profile for {xml}: {r.stderr}"
    return r.stdout


def parse(parser, profile_path, include=INCLUDE):
    return subprocess.run([parser, "--skip-kernel-load", "--skip-cache", "-Q", "-I", str(include), str(profile_path)],
                          capture_output=True, text=True)


@pytest.mark.parametrize("xml", fixtures(), ids=lambda f: str(f.relative_to(DATA)))
def test_profile_parses(parser, tmp_path, xml):
    text = profile_of(xml)
    want = "virtbus-lxc" if re.search(r"<type[^>]*>exe</type>", xml.read_text()) else "virtbus-qemu"
    assert f"#include <abstractions/{want}>" in text
    assert text.startswith("# virtbus") and "#include <tunables/global>" in text
    assert "profile libvirt-" in text
    path = tmp_path / "profile"
    path.write_text(text)
    r = parse(parser, path)
    assert r.returncode == 0, f"{xml}: apparmor_parser refused the profile:\n{r.stderr}\n--- profile ---\n{text}"


def test_every_fixture_is_covered():
    # The command-line fixtures and the domain fixtures are all there.
    names = {str(f.relative_to(DATA)) for f in fixtures()}
    assert any(n.startswith("qemu-command/") for n in names)
    assert any(n.startswith("domain/lxc/") for n in names)
    assert "qemu-command/escaping.xml" in names


def test_tree_abstraction_is_the_one_read(parser, tmp_path):
    """A broken copy of our abstraction makes the parse fail: the parser
    reads the tree's units/apparmor, not some system copy."""
    inc = tmp_path / "inc"
    shutil.copytree(INCLUDE, inc)
    profile = tmp_path / "profile"
    profile.write_text(profile_of(DATA / "apparmor" / "plain.xml"))
    assert parse(parser, profile, inc).returncode == 0
    with open(inc / "abstractions" / "virtbus-qemu", "a") as f:
        f.write("  this is no rule\n")
    r = parse(parser, profile, inc)
    assert r.returncode != 0
    assert "virtbus-qemu" in r.stderr


def test_unsafe_path_refused():
    r = subprocess.run([str(HELPER), "--print-apparmor-profile", str(DATA / "apparmor" / "unsafe-dotdot.xml")],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stdout == ""
    assert "disk 'vdb'" in r.stderr and "'..' component" in r.stderr
