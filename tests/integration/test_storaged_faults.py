# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-storaged under faults and bad input: running short of file
descriptors, names that cannot become files or logical volumes, state
files that cannot be written, names that look like options to a helper."""

import os
import shutil
import threading

import dbus
import pytest

from test_storaged_common import (D, ERR, POOL, VOL1, Storaged, dir_pool_xml, read_all,  # noqa: F401
                                  storaged, vol_xml)
from virtbus_harness import BUILD, Daemon, expect_dbus_error, wait_until

MiB = 1 << 20
NOFILE = 64
UPLOADS = 60


def limited_storaged(bus, vroot, nofile):
    """virtbus-storaged with RLIMIT_NOFILE nofile:nofile (prlimit execs it:
    the pid is the daemon's)."""
    prlimit = shutil.which("prlimit")
    if not prlimit:
        pytest.skip("prlimit (util-linux) is not installed")
    wrapper = vroot / f"storaged-nofile-{nofile}"
    wrapper.write_text(f"#!/bin/sh\nexec {prlimit} --nofile={nofile}:{nofile} "
                       f"{BUILD / 'virtbus-storaged'} \"$@\"\n")
    wrapper.chmod(0o755)
    return Daemon("storaged", bus, vroot, binary=wrapper)


def fd_error(e):
    return (e.get_dbus_name() in (ERR + "ResourceBusy", ERR + "OperationFailed")
            and "too many open files" in e.get_dbus_message()
            and str(NOFILE) in e.get_dbus_message())


@pytest.mark.timeout(240)
def test_out_of_fds_refuses_uploads_and_stays_on_the_bus(bus, bus_monitor, vroot):
    """60 concurrent Uploads with RLIMIT_NOFILE 64: storaged keeps its bus
    name, refuses some with a clear error, completes the others, and takes
    new uploads once they are done."""
    d = limited_storaged(bus, vroot, NOFILE)
    pipes, conns = [], []
    try:
        d.start()
        s = Storaged(d, bus, bus_monitor)
        p = s.start_dir_pool("fds", vroot / "fds")
        vols = [s.create_vol(p, vol_xml(f"v{i}.img", MiB, "raw")) for i in range(UPLOADS)]
        pipes += [list(os.pipe()) for _ in range(UPLOADS)]
        conns += [bus.new_connection() for _ in range(UPLOADS)]
        results = [None] * UPLOADS

        def upload(i):
            try:
                vol1 = dbus.Interface(conns[i].get_object(D, vols[i], introspect=False), VOL1)
                results[i] = int(vol1.Upload(dbus.types.UnixFd(pipes[i][0]), dbus.UInt64(0),
                                             dbus.UInt64(0), dbus.UInt32(0), timeout=120))
            except dbus.exceptions.DBusException as e:
                results[i] = e

        threads = [threading.Thread(target=upload, args=(i,), daemon=True) for i in range(UPLOADS)]
        for t in threads:
            t.start()

        def on_bus():
            # D-Bus activation would start another storaged: the name must stay ours
            return d.alive() and bus.name_has_owner(D) and bus.name_owner_pid(D) == d.pid

        def settled():
            assert on_bus(), "storaged lost its bus name"
            refused = sum(isinstance(r, Exception) for r in results)
            accepted = len([j for j in s.storage1("ListJobs") if j[1] == "upload"])
            return refused + accepted == UPLOADS
        wait_until(settled, 60, what="every upload refused or accepted")

        # still on the bus, and serving other calls
        assert on_bus()
        assert s.connect("ListStoragePools", 0) == [p]
        refused = [i for i, r in enumerate(results) if isinstance(r, Exception)]
        assert refused, "no upload was refused"
        for i in refused:
            assert fd_error(results[i]), (results[i].get_dbus_name(), results[i].get_dbus_message())
        accepted = [i for i in range(UPLOADS) if i not in refused]
        assert accepted, "every upload was refused"

        payload = b"\x5a" * 4096
        for i in range(UPLOADS):
            if i in accepted:
                os.write(pipes[i][1], payload)
            for k in (0, 1):
                os.close(pipes[i][k])
                pipes[i][k] = -1
        for t in threads:
            t.join(120)
        for i in accepted:
            assert results[i] == len(payload), (i, results[i])
            assert read_all(vroot / "fds" / f"v{i}.img")[:len(payload)] == payload

        # the transfers are done: new ones succeed again
        src = vroot / "src.img"
        src.write_bytes(b"\xa5" * 8192)
        for i in refused[:3]:
            with open(src, "rb") as f:
                assert s.upload(vols[i], f.fileno()) == 8192
            assert read_all(vroot / "fds" / f"v{i}.img")[:8192] == b"\xa5" * 8192
        assert on_bus()

        # more active pools than jobs fit at once: after a restart their
        # checks wait their turn, none is refused
        pools = [s.start_dir_pool(f"many{i}", vroot / f"many{i}") for i in range(12)]
        d.kill()
        d.start()
        assert all(s.prop(x, POOL, "Active") is True for x in pools + [p])
        assert len(s.pool(p, "ListStorageVolumes", 0)) == UPLOADS
    finally:
        d.stop()
        for fd in (fd for pair in pipes for fd in pair if fd >= 0):
            os.close(fd)
        for c in conns:
            c.close()


def pool_names(s):
    return sorted(s.prop(p, POOL, "Name") for p in s.connect("ListStoragePools", 0))


def state_dir(vroot):
    return vroot / "run/virtbus/storage"


@pytest.mark.parametrize("length", [250, 255])
def test_long_pool_name_is_refused_or_survives_a_restart(storaged, vroot, length):
    """A transient pool whose state file cannot be written (or a persistent
    one whose definition cannot) is not created; one that is created comes
    back after a restart. (A common limit on names may refuse them at
    parse time: either way, never a pool that silently vanishes.)"""
    s = storaged
    name = "p" * length
    target = vroot / "long"
    for what, call in (("transient", lambda: s.connect("StoragePoolCreateXML", dir_pool_xml(name, target), 1)),
                       ("persistent", lambda: s.define(dir_pool_xml(name, target)))):
        try:
            p = call()
        except dbus.exceptions.DBusException as e:
            assert e.get_dbus_name() in (ERR + "InvalidArg", ERR + "OperationFailed"), (what, e)
            assert pool_names(s) == [], what
            assert not any(f.name.startswith(name[:200]) for f in state_dir(vroot).iterdir()), what
            continue
        s.d.kill()
        s.d.start()
        assert pool_names(s) == [name], f"the {what} pool is gone after a restart"
        if what == "transient":
            assert s.prop(p, POOL, "Active") is True
            s.pool(p, "Destroy")
        else:
            s.pool(p, "Undefine")
        assert pool_names(s) == []


def test_state_write_failure_fails_the_call(storaged, vroot):
    """The state file of an active pool cannot be written (a directory is
    in its place): starting the pool fails with the reason, the pool is not
    active (a transient one is not created), and a refresh says so too; a
    Destroy that cannot remove it says so."""
    s = storaged
    target = vroot / "st"
    target.mkdir()
    blocker = state_dir(vroot) / "st.xml"
    blocker.mkdir()
    (blocker / "x").write_text("in the way")

    with expect_dbus_error(ERR + "OperationFailed") as e:
        s.connect("StoragePoolCreateXML", dir_pool_xml("st", target), 0)
    assert "cannot save the state of pool 'st'" in e.message and str(blocker) in e.message
    assert pool_names(s) == []

    p = s.define(dir_pool_xml("st", target))
    with expect_dbus_error(ERR + "OperationFailed") as e:
        s.pool(p, "Create", 0)
    assert "cannot save the state of pool 'st'" in e.message
    assert s.prop(p, POOL, "Active") is False

    shutil.rmtree(blocker)
    s.pool(p, "Create", 0)
    assert s.prop(p, POOL, "Active") is True and (state_dir(vroot) / "st.xml").is_file()

    # a refresh rewrites it: that failing is an error too
    (state_dir(vroot) / "st.xml").unlink()
    blocker.mkdir()
    (blocker / "x").write_text("in the way")
    with expect_dbus_error(ERR + "OperationFailed") as e:
        s.pool(p, "Refresh", 0)
    assert "state" in e.message and "'st'" in e.message
    shutil.rmtree(blocker)
    s.pool(p, "Refresh", 0)
    assert (state_dir(vroot) / "st.xml").is_file()

    # stopped, but the state file that says "active" cannot go: the call says so
    (state_dir(vroot) / "st.xml").unlink()
    blocker.mkdir()
    (blocker / "x").write_text("in the way")
    with expect_dbus_error(ERR + "OperationFailed") as e:
        s.pool(p, "Destroy")
    assert "'st' is stopped" in e.message and "state file" in e.message
    assert s.prop(p, POOL, "Active") is False
    shutil.rmtree(blocker)
    s.pool(p, "Undefine")


def test_volume_names_that_cannot_be_files(storaged, vroot):
    """A volume name is a file name: 255 bytes is fine, 256 is refused with
    InvalidArg naming it, and so is one whose path would pass PATH_MAX;
    nothing is created either way."""
    s = storaged
    p = s.start_dir_pool("names", vroot / "names")
    ok = "v" * 255
    v = s.create_vol(p, vol_xml(ok, MiB, "raw"))
    assert (vroot / "names" / ok).is_file()
    s.vol(v, "Delete", 0)

    long = "w" * 256
    with expect_dbus_error(ERR + "InvalidArg") as e:
        s.create_vol(p, vol_xml(long, MiB, "raw"))
    assert long in e.message and "255" in e.message

    # a pool deep enough that target/name passes PATH_MAX (4096)
    deep = vroot / "deep"
    for _ in range(20):
        deep = deep / ("d" * 200)
    dp = s.start_dir_pool("deep", deep)
    name = "x" * 200
    with expect_dbus_error(ERR + "InvalidArg") as e:
        s.create_vol(dp, vol_xml(name, MiB, "raw"))
    assert name in e.message and "4095" in e.message
    assert s.pool(dp, "ListStorageVolumes", 0) == [] and s.pool(p, "ListStorageVolumes", 0) == []
    assert os.listdir(vroot / "names") == []
    s.pool(dp, "Destroy")
    shutil.rmtree(vroot / "deep")


def test_volume_group_name_never_becomes_an_option(daemon, bus, bus_monitor, vroot):
    """A logical pool's VG name reaches vgs, vgchange and vgremove: one
    that starts with '-' is refused, also in a definition read back from a
    file (written by hand), which is then ignored with a warning."""
    conf = vroot / "etc/virtbus/storage"
    conf.mkdir(parents=True)
    (conf / "evil.xml").write_text(
        "<pool type='logical'><name>evil</name><source><name>-ffoo</name></source>"
        "<target><path>/dev/evil</path></target></pool>")
    s = Storaged(daemon("storaged"), bus, bus_monitor)
    assert pool_names(s) == []
    assert "-ffoo" in s.d.log()
    for vg in ("-ffoo", "--version", "a" * 128):
        with expect_dbus_error(ERR + "InvalidArg") as e:
            s.define("<pool type='logical'><name>lv</name>"
                     f"<source><name>{vg}</name></source><target><path>/dev/x</path></target></pool>")
        assert vg in e.message
    with expect_dbus_error(ERR + "InvalidArg") as e:
        s.define("<pool type='logical'><name>-x</name><source/><target><path>/dev/x</path></target></pool>")
    assert "'-x'" in e.message
    assert pool_names(s) == []


def test_undefine_that_cannot_remove_the_autostart_link_changes_nothing(storaged, vroot):
    s = storaged
    p = s.define(dir_pool_xml("auto", vroot / "auto"))
    s.bus.call(D, p, "org.freedesktop.DBus.Properties", "Set", POOL, "Autostart", True, signature="ssv")
    link = vroot / "etc/virtbus/storage/autostart/auto.xml"
    link.unlink()
    link.mkdir()
    (link / "x").write_text("in the way")
    with expect_dbus_error(ERR + "OperationFailed") as e:
        s.pool(p, "Undefine")
    assert "'auto'" in e.message
    assert pool_names(s) == ["auto"] and (vroot / "etc/virtbus/storage/auto.xml").is_file()
    shutil.rmtree(link)
    s.pool(p, "Undefine")
    assert pool_names(s) == []


def test_vgcreate_never_gets_a_device_list_cut_short(storaged, vroot):
    """A helper's argv is never cut short: a logical pool with more source
    devices than a vgcreate can take is refused before any pvcreate."""
    s = storaged
    devs = "".join(f"<device path='/dev/vbtest-none-{i}'/>" for i in range(61))
    p = s.define(f"<pool type='logical'><name>many</name><source><name>vbtestmany</name>{devs}"
                 "<format type='lvm2'/></source><target><path>/dev/vbtestmany</path></target></pool>")
    with expect_dbus_error(ERR + "InvalidArg") as e:
        s.pool(p, "Build", 0)
    assert "more than 60 source devices" in e.message
    s.pool(p, "Undefine")
