# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-lxcd shares the domain core's definitions parsed on first use
(common/domain/domain-index.h): its index is written and used, a container
known from it starts, a file added by hand is seen, one made invalid
without anything telling the start is reported on first use, and a
SIGKILL forgets nothing."""

import os
import signal

import dbus
import pytest

import virtbus_harness as h
from test_lxcd import RUNNING, SHUTOFF, container_xml, lxcd, rootfs, state  # noqa: F401

pytestmark = pytest.mark.timeout(120)


def conf_dir(vroot):
    return vroot.path / "etc" / "virtbus" / "lxc"


def index_file(vroot):
    return vroot.path / "var" / "lib" / "virtbus" / "lxc" / "definitions.index"


def names(lxcd):
    """The listed domains that answer: after a start, one whose file no
    longer parses is listed until its first use, which says why."""
    out = []
    for p in lxcd.call("ListDomains", 0):
        try:
            out.append(str(lxcd.get_property(p, "org.libvirt.Domain", "Name")))
        except dbus.exceptions.DBusException as e:
            assert "cannot be loaded" in e.get_dbus_message(), e
    return sorted(out)


def test_index_and_first_use(lxcd, rootfs, vroot):
    paths = {n: lxcd.call("DomainDefineXML", container_xml(n, rootfs, init="/bin/sleep", args=("1000",)))
             for n in ("lz1", "lz2", "lz3")}
    rc = lxcd.kill(signal.SIGTERM)
    assert rc in (0, -signal.SIGTERM)
    text = index_file(vroot).read_text()
    assert all(f" {n}\n" in text for n in paths)

    # while lxcd is down: one file added by hand, one made invalid in place
    # with its size and mtime kept (nothing tells the start)
    conf = conf_dir(vroot)
    (conf / "lz4.xml").write_text(container_xml("lz4", rootfs, init="/bin/sleep", args=("1000",)))
    bad = conf / "lz3.xml"
    st = bad.stat()
    body = bad.read_text()
    assert "<init>" in body
    with open(bad, "r+") as f:
        f.write(body.replace("<init>", "<inix>", 1).replace("</init>", "</inix>", 1))
    os.utime(bad, ns=(st.st_atime_ns, st.st_mtime_ns))
    lxcd.start()

    # a container known from the index starts and runs
    lxcd.domain_call(paths["lz1"], "Create", 0)
    assert state(lxcd, paths["lz1"]) == (RUNNING, 1)
    with pytest.raises(dbus.exceptions.DBusException) as e:
        lxcd.domain_call(paths["lz3"], "GetXMLDesc", 0)
    msg = e.value.get_dbus_message()
    assert "lz3" in msg and str(bad) in msg and "inix" in msg, msg
    assert names(lxcd) == ["lz1", "lz2", "lz4"]

    # SIGKILL: the running container is found again, nothing defined is lost
    lxcd.kill()
    lxcd.start()
    assert state(lxcd, paths["lz1"]) == (RUNNING, 1)
    assert names(lxcd) == ["lz1", "lz2", "lz4"]
    lxcd.domain_call(paths["lz1"], "Destroy", 0)
    assert state(lxcd, paths["lz1"])[0] == SHUTOFF
    for p in lxcd.call("ListDomains", 0):
        lxcd.domain_call(p, "Undefine", 0)
    bad.unlink()
    h.wait_until(lambda: not list(lxcd.call("ListDomains", 0)), 5, what="every container undefined")
