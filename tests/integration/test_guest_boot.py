# SPDX-License-Identifier: LGPL-2.1-or-later
"""The test guest itself, under bare QEMU (no virtbus daemon): it boots with
TCG, says it is ready, gets 10.0.2.15 from QEMU's slirp DHCP, sees its virtio
disk, and powers itself off on the ACPI power button (QMP system_powerdown)."""

import subprocess
import time

import pytest

import virtbus_harness as h

pytestmark = pytest.mark.timeout(240)


def test_guest_boots_gets_ip_and_powers_off(guest, vroot, record_property):
    disk = vroot / "disk.raw"
    subprocess.run(["truncate", "-s", "8M", str(disk)], check=True)
    q = h.BareQemu(guest, vroot / "qemu", extra_cmdline="virtbus.tick=1",
                   extra_args=["-drive", f"file={disk},format=raw,if=virtio"]).start()
    t0 = q.started

    q.wait_serial(h.GUEST_READY, timeout=150)
    t_ready = time.monotonic() - t0
    ip = q.wait_serial(h.GUEST_IP_RE, timeout=60).group(1).decode()
    t_ip = time.monotonic() - t0
    assert ip == "10.0.2.15"
    assert q.wait_serial(r"VIRTBUS-GUEST-DISK vda (\d+)", 5).group(1) == b"16384"
    q.wait_serial(r"VIRTBUS-GUEST-IFACE eth0 52:54:00:12:34:56", 5)
    q.wait_serial(r"VIRTBUS-GUEST-TICK 2", 30)
    assert b"VIRTBUS-GUEST-MODULE-FAILED" not in q.serial.read_bytes()

    assert q.qmp.cmd("query-status")["status"] == "running"
    t1 = time.monotonic()
    q.qmp.cmd("system_powerdown")
    ev = q.qmp.wait_event("SHUTDOWN", timeout=60)
    assert ev["data"] == {"guest": True, "reason": "guest-shutdown"}
    assert q.proc.wait(timeout=30) == 0          # QEMU exits by itself
    t_off = time.monotonic() - t1
    q.wait_serial(h.GUEST_POWEROFF, 1)

    record_property("boot_to_ready_s", round(t_ready, 2))
    record_property("boot_to_ip_s", round(t_ip, 2))
    record_property("powerdown_s", round(t_off, 2))
    timing = (f"test guest ({guest.kernel_version}, {guest.kernel.name}, TCG): "
              f"ready {t_ready:.1f} s, "
              f"IP {t_ip:.1f} s after QEMU start; powerdown to exit {t_off:.2f} s\n")
    try:
        (h.GUEST_DIR / "boot-timing.txt").write_text(timing)
    except OSError:
        pass
    print(timing, end="")


def test_guest_bzimage_without_nic(guest, vroot):
    """The compressed kernel (vmlinuz) boots too, and a guest with no NIC says so."""
    q = h.BareQemu(guest, vroot / "qemu", nic=False, kernel=guest.vmlinuz).start()
    q.wait_serial(h.GUEST_READY, timeout=150)
    t_ready = time.monotonic() - q.started
    q.wait_serial("VIRTBUS-GUEST-NONET", timeout=10)
    q.qmp.cmd("system_powerdown")
    assert q.proc.wait(timeout=60) == 0
    print(f"test guest, vmlinuz (bzImage), TCG: ready {t_ready:.1f} s")
