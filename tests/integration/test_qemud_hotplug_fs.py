# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hot-plug of <filesystem> (virtiofs) and <shmem> in virtbus-qemud, on one
booted test guest (TCG, q35 with spare pcie-root-ports, shared memfd memory,
a root shell on its serial console, the fuse and virtiofs modules loaded).

- a virtiofs share attached over D-Bus: qemud starts its virtiofsd, the guest
  sees a virtiofs device, mounts it by its tag and reads a host file through it; qemud is
  SIGKILLed and started again with the share plugged; the detach removes it
  from the guest and the live XML, and its virtiofsd ends.
- an ivshmem-plain through virsh attach-device/detach-device on the proxy:
  the guest sees the PCI device (1af4:1110) come and go.
- what libvirt refuses live is refused naming it, leaving the definitions as
  they were: a 9p share, the legacy ivshmem model, a doorbell whose server is
  not listening, a share whose directory is missing (no virtiofsd left).
"""

import copy
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import dbus
import pytest

import virtbus_harness as h
import test_qemud_device as tdev
from test_qemud_common import Guest, module_env
from test_qemud_devices2 import overlay_initrd, virtiofsd_pids

env = module_env()

pytestmark = pytest.mark.timeout(600)

LIVE = 1
NAME = "hpfs"
VIRTIOFSD = "/usr/lib/qemu/virtiofsd"
SHARED = "<memoryBacking>\n    <source type='memfd'/>\n    <access mode='shared'/>\n  </memoryBacking>\n  "
SHM_NAME = "vbtest-hotplug-shm"
NOOP = "#!/bin/sh\n"


@pytest.fixture(scope="module")
def share():
    d = Path(tempfile.mkdtemp(prefix="vb-hpfs-"))
    (d / "hello.txt").write_text("hello-hotplugged\n")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def vm(env):
    """(Guest, Console) of the running guest."""
    initrd, why = overlay_initrd(env.guest, env.root.path, ("fuse", "virtiofs"), NOOP, "hpfs")
    if initrd is None:
        pytest.skip(f"cannot give the guest its virtiofs driver: {why}")
    img = copy.copy(env.guest)
    img.initrd = initrd
    sock = env.root / "hpfs-console.sock"
    extra = tdev.console_devices(sock)
    xml = h.guest_domain_xml(img, NAME, nic=None, extra_devices=extra,
                             extra_cmdline="virtbus.shell virtbus.nodhcp")
    xml = xml.replace("<vcpu>", SHARED + "<vcpu>", 1)
    g = Guest(env, env.call("DomainDefineXML", xml), NAME)
    g.call("Create", 0)
    con = tdev.Console(sock).connect()
    tdev.wait_shell(con, 150)
    yield g, con
    con.close()
    try:
        g.call("Destroy", 0)
    except dbus.exceptions.DBusException:
        pass
    Path("/dev/shm", SHM_NAME).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    yield p
    p.stop()


def fs_xml(src, tag, driver="<driver type='virtiofs'/>"):
    return (f"<filesystem type='mount' accessmode='passthrough'>{driver}"
            f"<source dir='{src}'/><target dir='{tag}'/></filesystem>")


def shares(con):
    """The virtio devices the guest's virtiofs driver took (Linux 6.1 has no
    /sys/fs/virtiofs/*/tag yet: the tag is checked by mounting it)."""
    out = con.run("ls /sys/bus/virtio/drivers/virtiofs").decode(errors="replace")
    return {w for w in out.split() if w.startswith("virtio")}


def pci_ids(con):
    out = con.run("for d in /sys/bus/pci/devices/*; do echo ID $(cat $d/vendor):$(cat $d/device); done")
    return out.decode(errors="replace")


def refused(g, xml, method="AttachDevice"):
    before = (g.call("GetXMLDesc", 0), g.call("GetXMLDesc", 2))
    with pytest.raises(dbus.exceptions.DBusException) as e:
        g.call(method, xml, LIVE)
    assert (g.call("GetXMLDesc", 0), g.call("GetXMLDesc", 2)) == before, "a refused call changed a definition"
    return e.value.get_dbus_message()


def test_virtiofs_hotplug_seen_by_the_guest(env, vm, share):
    if not os.access(VIRTIOFSD, os.X_OK):
        pytest.skip(f"{VIRTIOFSD} is missing (Debian's qemu-system-common has it)")
    g, con = vm
    before = virtiofsd_pids()
    g.call("AttachDevice", fs_xml(share, "hot0"), LIVE)
    live = g.call("GetXMLDesc", 0)
    assert "<target dir='hot0'/>" in live and "<alias name='fs0'/>" in live, live
    assert "hot0" not in g.call("GetXMLDesc", 2), "a LIVE attach changed the persistent definition"
    assert virtiofsd_pids() - before, "no virtiofsd runs for the plugged share"
    h.wait_until(lambda: shares(con), 60, 1, "a virtiofs device in the guest")
    out = con.run("mkdir -p /mnt/hot0 && mount -t virtiofs hot0 /mnt/hot0 && cat /mnt/hot0/hello.txt; "
                  "umount /mnt/hot0").decode(errors="replace")
    assert "hello-hotplugged" in out, out

    # a SIGKILLed qemud knows the share and its virtiofsd again
    env.qemud.restart(signal.SIGKILL)
    assert "<target dir='hot0'/>" in g.call("GetXMLDesc", 0)

    g.call("DetachDevice", fs_xml(share, "hot0"), LIVE)
    h.wait_until(lambda: "hot0" not in g.call("GetXMLDesc", 0), 60, 1, "the share's end in the live XML")
    h.wait_until(lambda: not shares(con), 30, 1, "the virtiofs device's end in the guest")
    h.wait_until(lambda: not (virtiofsd_pids() - before), 30, 1, "the share's virtiofsd to end")


def test_shmem_plain_through_virsh(env, vm, proxy):
    g, con = vm
    dev = env.root / "shmem.xml"
    dev.write_text(f"<shmem name='{SHM_NAME}'><model type='ivshmem-plain'/><size unit='M'>4</size>"
                   f"<address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></shmem>")
    assert "ID 0x1af4:0x1110" not in pci_ids(con)
    proxy.virsh("attach-device", NAME, dev, "--live")
    live = proxy.virsh("dumpxml", NAME).stdout
    assert f"<shmem name='{SHM_NAME}'>" in live and "<alias name='shmem0'/>" in live, live
    assert Path("/dev/shm", SHM_NAME).stat().st_size == 4 << 20
    h.wait_until(lambda: "ID 0x1af4:0x1110" in pci_ids(con), 60, 1, "the ivshmem-plain device in the guest")
    proxy.virsh("detach-device", NAME, dev, "--live")
    h.wait_until(lambda: SHM_NAME not in g.call("GetXMLDesc", 0), 60, 1, "the shmem's end in the live XML")
    h.wait_until(lambda: "ID 0x1af4:0x1110" not in pci_ids(con), 30, 1, "the device's end in the guest")


def test_refused_live(env, vm, share):
    g, _ = vm
    msg = refused(g, fs_xml(share, "ninep0", driver="<driver type='path'/>"))
    assert "only virtiofs filesystems can be hotplugged" in msg and "ninep0" in msg, msg
    msg = refused(g, "<shmem name='old'><model type='ivshmem'/><size unit='M'>4</size></shmem>")
    assert "live attach of shmem model 'ivshmem' is not supported" in msg, msg
    sock = env.root / "no-server.sock"
    msg = refused(g, f"<shmem name='bell'><model type='ivshmem-doorbell'/><server path='{sock}'/></shmem>")
    assert f"no ivshmem-server listens on {sock}" in msg, msg
    before = virtiofsd_pids()
    msg = refused(g, fs_xml(env.root / "no-such-dir", "gone0"))
    assert "gone0" in msg and "no-such-dir" in msg, msg
    assert not (virtiofsd_pids() - before), "a refused share left its virtiofsd"
    msg = refused(g, fs_xml(share, "absent0"), method="DetachDevice")
    assert "filesystem 'absent0'" in msg, msg
