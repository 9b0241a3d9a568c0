#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Disk hot-plug in virtbus-qemud beside libvirt 9.0, in the same run.

    /usr/bin/python3 bench/hotplug-bench.py        (as root; make first)

Each side boots the test guest (tests/.guest, or VIRTBUS_GUEST_DIR; built by
tests/guest/build-guest.sh) with TCG, then RUNS times attaches a raw 8 MiB
virtio disk live and detaches it again:
  - attach call: AttachDevice(xml, LIVE) (python3-dbus) / dom.attachDeviceFlags
    (python3-libvirt), call -> returns;
  - guest sees it: call -> the guest's kernel prints the new disk
    ("[vdb] 16384 512-byte logical blocks") on its serial console;
  - detach call: DetachDevice(xml, LIVE) / dom.detachDeviceFlags, call ->
    returns. Both wait for QEMU's DEVICE_DELETED (the guest let the disk
    go), libvirt and virtbus for at most 5 s.

The plumbing (private bus, virtbus-qemud --root, libvirtd under
bench/qemud-libvirtd-wrap.py, clean-up of everything started here) is
qemud-bench.py's Bench, imported, not copied. VIRTBUS_BENCH_NO_LIBVIRT=1
skips libvirt. Bench domains are named vbqb<pid>-*.
"""

import importlib.util
import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("qemud_bench", REPO / "bench" / "qemud-bench.py")
qb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qb)

GUEST_DIR = Path(os.environ.get("VIRTBUS_GUEST_DIR", REPO / "tests" / ".guest"))
RUNS = int(os.environ.get("VIRTBUS_BENCH_RUNS", "5"))
BOOT_TIMEOUT = 300
SEEN_RE = re.compile(rb"\[(vd[a-z]+)\] 16384 512-byte logical blocks")
LIVE = 1

GUEST_XML = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>{kernel}</kernel>
    <initrd>{initrd}</initrd>
    <cmdline>console=ttyS0 panic=-1 virtbus.nodhcp</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <!-- libvirt gives its own balloon and USB controller a port each: spare ones for the disk -->
    <emulator>{qemu}</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{root_disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='file'>
      <source path='{serial}'/>
      <target port='0'/>
    </serial>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <controller type='pci' index='3' model='pcie-root-port'/>
    <controller type='pci' index='4' model='pcie-root-port'/>
    <controller type='pci' index='5' model='pcie-root-port'/>
    <controller type='pci' index='6' model='pcie-root-port'/>
    <controller type='pci' index='7' model='pcie-root-port'/>
    <controller type='pci' index='8' model='pcie-root-port'/>
  </devices>
</domain>
"""

DISK_XML = ("<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
            "<source file='{path}'/><target dev='vdb' bus='virtio'/></disk>")


def guest_files():
    kernel = GUEST_DIR / "vmlinux"
    if not kernel.exists():
        kernel = GUEST_DIR / "vmlinuz"
    initrd = GUEST_DIR / "initrd.gz"
    if not kernel.exists() or not initrd.exists():
        sys.exit(f"hotplug-bench: no test guest in {GUEST_DIR}: run tests/guest/build-guest.sh "
                 f"{GUEST_DIR} (or set VIRTBUS_GUEST_DIR)")
    return kernel, initrd


def serial_bytes(path):
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


def wait_serial(path, what, pred, timeout):
    deadline = time.monotonic() + timeout
    while not pred(serial_bytes(path)):
        if time.monotonic() > deadline:
            tail = serial_bytes(path)[-800:].decode(errors="replace")
            raise RuntimeError(f"{what}: not seen within {timeout} s; console ends with:\n{tail}")
        time.sleep(0.005)
    return time.perf_counter()


def cycle(attach, detach, serial, disk, label):
    """RUNS attach/detach rounds; lists of (attach, seen, detach) seconds."""
    xml = DISK_XML.format(path=disk)
    out = {"attach": [], "seen": [], "detach": []}
    for i in range(RUNS + 1):       # the first round warms up
        n = len(SEEN_RE.findall(serial_bytes(serial)))
        t0 = time.perf_counter()
        attach(xml)
        t1 = time.perf_counter()
        t2 = wait_serial(serial, f"{label}: the guest's kernel naming the new disk",
                         lambda b: len(SEEN_RE.findall(b)) > n, 60)
        time.sleep(0.2)
        t3 = time.perf_counter()
        detach(xml)
        t4 = time.perf_counter()
        if i:
            out["attach"].append(t1 - t0)
            out["seen"].append(t2 - t0)
            out["detach"].append(t4 - t3)
        time.sleep(0.3)
    return {k: qb.stats(v) for k, v in out.items()}


def bench_virtbus(b, kernel, initrd):
    b.start_qemud()
    name = qb.PREFIX + "vb"
    serial = b.work / "vb.serial"
    disk = b.work / "vb-disk.img"
    disk.write_bytes(b"\0" * (8 << 20))
    root_disk = b.work / "vb-root.img"
    root_disk.write_bytes(b"\0" * (4 << 20))
    xml = GUEST_XML.format(name=name, kernel=kernel, initrd=initrd, qemu=qb.QEMU, serial=serial,
                           root_disk=root_disk)
    path = b.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT, "org.libvirt.Connect", "DomainCreateXML", "su", xml, 0)
    wait_serial(serial, "virtbus: the guest's READY", lambda s: b"VIRTBUS-GUEST-READY" in s, BOOT_TIMEOUT)
    dom = "org.libvirt.Domain"
    res = cycle(lambda x: b.dcall(qb.QEMUD_DEST, path, dom, "AttachDevice", "su", x, LIVE),
                lambda x: b.dcall(qb.QEMUD_DEST, path, dom, "DetachDevice", "su", x, LIVE),
                serial, disk, "virtbus")
    b.dcall(qb.QEMUD_DEST, path, dom, "Destroy", "u", 0)
    b.stop_qemud()
    return res


def bench_libvirt(b, kernel, initrd):
    b.libvirt_preflight()
    import libvirt
    libvirt.registerErrorHandler(lambda c, e: None, None)
    if not qb.procs_named("virtlogd"):
        b.virtlogd = b.spawn([qb.VIRTLOGD], "virtlogd.log", env=b.env_nobus(), start_new_session=True)
        qb.wait_for(lambda: os.path.exists("/run/libvirt/virtlogd-sock") or b.virtlogd.poll() is not None,
                    30, "virtlogd's socket")
    b.start_libvirtd()
    c = b.lv_open()
    name = qb.PREFIX + "lv"
    serial = b.work / "lv.serial"
    disk = b.work / "lv-disk.img"
    disk.write_bytes(b"\0" * (8 << 20))
    root_disk = b.work / "lv-root.img"
    root_disk.write_bytes(b"\0" * (4 << 20))
    xml = GUEST_XML.format(name=name, kernel=kernel, initrd=initrd, qemu=qb.QEMU, serial=serial,
                           root_disk=root_disk)
    b.lv_defined = True
    d = c.createXML(xml, 0)
    try:
        wait_serial(serial, "libvirt: the guest's READY", lambda s: b"VIRTBUS-GUEST-READY" in s, BOOT_TIMEOUT)
        res = cycle(lambda x: d.attachDeviceFlags(x, libvirt.VIR_DOMAIN_AFFECT_LIVE),
                    lambda x: d.detachDeviceFlags(x, libvirt.VIR_DOMAIN_AFFECT_LIVE),
                    serial, disk, "libvirt")
    finally:
        try:
            d.destroy()
        except libvirt.libvirtError:
            pass
        b.lv_defined = False
        c.close()
        b.stop_libvirtd()
    return res


def show(vb, lv, lv_skip, elapsed):
    def fmt(s):
        return "n/a" if s is None else f"{s['median'] * 1e3:.1f} ms ({s['min'] * 1e3:.1f}–{s['max'] * 1e3:.1f})"

    print(f"\nDisk hot-plug, {RUNS} rounds each (median (min–max)); load average "
          f"{os.getloadavg()[0]:.1f}; {elapsed:.0f} s")
    print(f"{'figure':<34} | {'virtbus':<28} | {'libvirt 9.0':<28} | ratio")
    for key, what in (("attach", "AttachDevice call"), ("seen", "call → guest sees the disk"),
                      ("detach", "DetachDevice call (→ DEVICE_DELETED)")):
        a = vb.get(key) if vb else None
        c = lv.get(key) if lv else None
        ratio = f"{c['median'] / a['median']:.1f}x" if a and c and a["median"] > 0 else "n/a"
        print(f"{what:<34} | {fmt(a):<28} | {fmt(c):<28} | {ratio}")
    if lv_skip:
        print(f"libvirt: {lv_skip}")
    for what, load in qb.LOADS:
        print(f"  load {load:5.1f}  {what}")


def main():
    kernel, initrd = guest_files()
    t0 = time.monotonic()
    b = qb.Bench()
    vb = lv = None
    lv_skip = None
    rc = 0
    try:
        b.setup()
        qb.log("virtbus: boot, attach/detach")
        vb = bench_virtbus(b, kernel, initrd)
        try:
            qb.log("libvirt: boot, attach/detach")
            lv = bench_libvirt(b, kernel, initrd)
        except qb.Skip as e:
            lv_skip = str(e)
        except Exception as e:     # noqa: BLE001 - virtbus figures still count
            lv_skip = f"libvirt part failed: {e}"
            rc = 1
        show(vb, lv, lv_skip, time.monotonic() - t0)
    except KeyboardInterrupt:
        rc = 130
    finally:
        b.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
