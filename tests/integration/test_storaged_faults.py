# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-storaged under faults and bad input: running short of file
descriptors, names that cannot become files or logical volumes, state
files that cannot be written, names that look like options to a helper."""

import os
import shutil
import threading

import dbus
import pytest

from test_storaged_common import (D, ERR, POOL, VOL1, dir_pool_xml, read_all, storaged,  # noqa: F401
                                  vol_xml)
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
    from test_storaged_common import Storaged
    d = limited_storaged(bus, vroot, NOFILE)
    try:
        d.start()
        s = Storaged(d, bus, bus_monitor)
        p = s.start_dir_pool("fds", vroot / "fds")
        vols = [s.create_vol(p, vol_xml(f"v{i}.img", MiB, "raw")) for i in range(UPLOADS)]
        pipes = [os.pipe() for _ in range(UPLOADS)]
        conns = [bus.new_connection() for _ in range(UPLOADS)]
        results = [None] * UPLOADS

        def upload(i):
            try:
                vol1 = dbus.Interface(conns[i].get_object(D, vols[i], introspect=False), VOL1)
                results[i] = int(vol1.Upload(dbus.types.UnixFd(pipes[i][0]), dbus.UInt64(0),
                                             dbus.UInt64(0), dbus.UInt32(0), timeout=120))
            except dbus.exceptions.DBusException as e:
                results[i] = e

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(UPLOADS)]
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
            os.close(pipes[i][0])
            if i in accepted:
                os.write(pipes[i][1], payload)
            os.close(pipes[i][1])
        for t in threads:
            t.join(120)
        for i in accepted:
            assert results[i] == len(payload), (i, results[i])
            assert read_all(vroot / "fds" / f"v{i}.img")[:len(payload)] == payload
        for c in conns:
            c.close()

        # the transfers are done: new ones succeed again
        src = vroot / "src.img"
        src.write_bytes(b"\xa5" * 8192)
        for i in refused[:3]:
            with open(src, "rb") as f:
                assert s.upload(vols[i], f.fileno()) == 8192
            assert read_all(vroot / "fds" / f"v{i}.img")[:8192] == b"\xa5" * 8192
        assert on_bus()
    finally:
        d.stop()
