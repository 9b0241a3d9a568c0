# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every systemd unit in units/ passes `systemd-analyze verify` as `make
install` writes it (@BINDIR@ replaced, here by build/ so that ExecStart=
names a binary that exists), with no warning at all: an unknown or
misspelt hardening directive is a warning systemd would ignore silently.
Each service also keeps the hardening chosen for it (units/*.service
comments say why each one has what it has).

systemd-analyze verify needs no running systemd (it loads the units in a
test manager); where it is not installed the test is skipped, saying so."""

import shutil
import subprocess

import pytest



# a directive each daemon must keep (the rest is the unit's own business)
KEPT = {
    "virtbus-lockd.service": ["NoNewPrivileges=yes", "PrivateNetwork=yes", "RestrictAddressFamilies=AF_UNIX"],
    "virtbus-logd.service": ["NoNewPrivileges=yes", "PrivateDevices=yes", "PrivateNetwork=yes"],
    "virtbus-proxyd.service": ["NoNewPrivileges=yes", "PrivateDevices=yes", "MemoryDenyWriteExecute=yes"],
    "virtbus-networkd.service": ["NoNewPrivileges=yes", "ProtectSystem=true", "MemoryDenyWriteExecute=yes"],
    "virtbus-storaged.service": ["NoNewPrivileges=yes", "MemoryDenyWriteExecute=yes"],
    "virtbus-qemud.service": ["ProtectSystem=true", "ProtectKernelModules=yes", "ProtectHostname=yes"],
    "virtbus-lxcd.service": ["ProtectKernelModules=yes", "ProtectKernelLogs=yes"],
    "virtbus-secretd.service": ["NoNewPrivileges=yes", "UMask=0077", "LimitCORE=0", "PrivateNetwork=yes"],
}
# what would break a daemon's job (see the comments in each unit)
NEVER = {
    "virtbus-qemud.service": ["MemoryDenyWriteExecute=", "PrivateDevices=", "ProtectClock=",
                              "ProtectControlGroups=", "RestrictRealtime="],
    "virtbus-storaged.service": ["ProtectSystem=", "PrivateTmp=", "PrivateDevices=", "ProtectHome="],
    "virtbus-lxcd.service": ["ProtectHostname=", "NoNewPrivileges=", "LockPersonality="],
    "virtbus-networkd.service": ["PrivateDevices=", "ProtectClock=", "ProtectKernelTunables="],
}


def repo():
    from pathlib import Path
    return Path(__file__).resolve().parents[2]


def units():
    d = repo() / "units"
    return sorted(p for p in d.iterdir()
                  if p.suffix in (".service", ".socket") and not p.name.startswith("org."))


@pytest.fixture(scope="module")
def unit_dir(tmp_path_factory):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed here")
    build = repo() / "build"
    if not (build / "virtbus-qemud").exists():
        pytest.fail(f"{build} has no daemons (run make)")
    d = tmp_path_factory.mktemp("units")
    for u in units():
        (d / u.name).write_text(u.read_text().replace("@BINDIR@", str(build)))
    return d


def test_every_unit_verifies(unit_dir):
    names = [u.name for u in units()]
    assert len(names) >= 9, names
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", "--recursive-errors=no", *names],
                       cwd=unit_dir, capture_output=True, text=True, timeout=120)
    if r.returncode != 0 and "Failed to initialize manager" in r.stderr:
        pytest.skip(f"systemd-analyze cannot load units here: {r.stderr.strip()}")
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def test_a_misspelt_directive_is_caught(unit_dir):
    """The check itself: a typo in a hardening directive fails it."""
    bad = unit_dir / "virtbus-typo.service"
    bad.write_text("[Service]\nExecStart=/bin/true\nProtectSystm=full\n")
    try:
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", "--recursive-errors=no", bad.name],
                           cwd=unit_dir, capture_output=True, text=True, timeout=60)
        assert "ProtectSystm" in r.stderr, r.stderr
    finally:
        bad.unlink()


@pytest.mark.parametrize("name", sorted(KEPT))
def test_hardening_kept(name):
    text = (repo() / "units" / name).read_text()
    lines = {ln.strip() for ln in text.splitlines() if not ln.startswith("#")}
    for d in KEPT[name]:
        assert d in lines, (name, d)
    for d in NEVER.get(name, []):
        assert not any(ln.startswith(d) for ln in lines), (name, d)
