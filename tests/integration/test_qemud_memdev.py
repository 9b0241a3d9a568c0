# SPDX-License-Identifier: LGPL-2.1-or-later
"""<devices><memory> in virtbus-qemud with the TCG test guest: booted with
a dimm (QEMU's query-memory-devices lists it, query-memory-size-summary
counts it as plugged memory), a second dimm hot-plugged with AttachDevice
(object-add + device_add: QEMU lists it, the live <memory> grew), over
D-Bus and with virsh attach-device through virtbus-proxyd, and detached
again (device_del, the guest's DEVICE_DELETED, then object-del of its
backend: the live <memory> shrank back); a virtio-mem's <requested> size
changed with UpdateDevice (qom-set requested-size); the refusals define
nothing.
"""

import os

import pytest

import virtbus_harness as h
from test_qemud_common import qmp_ask, Guest, dbus_error, module_env, xmllint_relaxng

env = module_env()

LIVE = 1
MIB = 1 << 20

DIMM = ("<memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target></memory>")
NUMA = "  <cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/></numa></cpu>\n"


def define(env, name, devices):
    serial = env.root / f"{name}.serial"
    h.register_log(f"serial console of {name}", serial)
    xml = h.guest_domain_xml(env.guest, name, serial_log=serial, extra_devices=devices, nic=None)
    xml = xml.replace("<memory unit='MiB'>256</memory>",
                      "<maxMemory slots='4' unit='MiB'>2048</maxMemory>\n  <memory unit='MiB'>256</memory>", 1)
    xml = xml.replace("  <on_poweroff>", NUMA + "  <on_poweroff>", 1)
    return Guest(env, env.call("DomainDefineXML", xml), name)



def dimms(devs):
    return sorted((d["data"]["id"], d["data"]["size"], d["data"]["slot"]) for d in devs if d["type"] == "dimm")


@pytest.fixture(scope="module")
def proxy(env):
    p = h.Proxy(env.bus, env.root).start()
    h.register_log("virtbus-proxyd", p.log_path)
    yield p
    p.stop()


def test_boot_with_a_dimm_and_hotplug_another(env, proxy, tmp_path):
    g = define(env, "memdev", DIMM)
    try:
        inactive = g.call("GetXMLDesc", 2)
        xmllint_relaxng(inactive, "domain", "GetXMLDesc")
        # <memory> is the cell and the dimm; the dimm got its slot at define
        assert "<memory unit='KiB'>393216</memory>" in inactive
        assert "<address type='dimm' slot='0'/>" in inactive
        g.start()
        g.wait_ready()
        devs, summary = qmp_ask(env, "memdev", "query-memory-devices", "query-memory-size-summary")
        assert dimms(devs) == [("dimm0", 128 * MIB, 0)]
        assert summary["base-memory"] == 256 * MIB and summary["plugged-memory"] == 128 * MIB
        h.wait_until(lambda: g.state()[0] == h.DomainState.RUNNING, 30, what="qemud back, the guest running")

        # hot-plug over D-Bus: the live definition, not the persistent one
        g.call("AttachDevice", DIMM, LIVE)
        live = g.call("GetXMLDesc", 0)
        assert "<memory unit='KiB'>524288</memory>" in live
        assert "<alias name='dimm1'/>" in live and "<address type='dimm' slot='1'/>" in live
        assert "<memory unit='KiB'>393216</memory>" in g.call("GetXMLDesc", 2)
        # and with virsh through the proxy
        f = tmp_path / "dimm.xml"
        f.write_text(DIMM.replace("128", "256"))
        proxy.virsh("attach-device", "memdev", f, "--live")
        assert "<alias name='dimm2'/>" in g.call("GetXMLDesc", 0)
        devs, summary = qmp_ask(env, "memdev", "query-memory-devices", "query-memory-size-summary")
        assert dimms(devs) == [("dimm0", 128 * MIB, 0), ("dimm1", 128 * MIB, 1), ("dimm2", 256 * MIB, 2)]
        assert summary["plugged-memory"] == 512 * MIB
        h.wait_until(lambda: g.state()[0] == h.DomainState.RUNNING, 30, what="qemud back, the guest running")
        # beyond <maxMemory>: refused, the guest as it was
        with dbus_error("InvalidArg", "<maxMemory>"):
            g.call("AttachDevice", DIMM.replace("128", "2048"), LIVE)
        assert "<alias name='dimm3'/>" not in g.call("GetXMLDesc", 0)

        # detach: over D-Bus, and with virsh; the guest lets them go
        g.call("DetachDevice", DIMM.replace("</target>", "</target><address type='dimm' slot='1'/>"), LIVE)
        proxy.virsh("detach-device", "memdev", f, "--live")
        h.wait_until(lambda: "<alias name='dimm1'/>" not in g.call("GetXMLDesc", 0) and
                     "<alias name='dimm2'/>" not in g.call("GetXMLDesc", 0), 120,
                     what="the guest's DEVICE_DELETED for dimm1 and dimm2")
        assert "<memory unit='KiB'>393216</memory>" in g.call("GetXMLDesc", 0)
        # QEMU answers in order: once stop is answered, the object-del sent
        # after DEVICE_DELETED has been done too
        g.call("Suspend")
        g.call("Resume")
        devs, objs = qmp_ask(env, "memdev", "query-memory-devices", ("qom-list", {"path": "/objects"}))
        assert dimms(devs) == [("dimm0", 128 * MIB, 0)]
        assert sorted(o["name"] for o in objs if o["name"].startswith("memdimm")) == ["memdimm0"]
        h.wait_until(lambda: g.state()[0] == h.DomainState.RUNNING, 30, what="qemud back, the guest running")
        # the persistent definition never had them
        assert "<memory unit='KiB'>393216</memory>" in g.call("GetXMLDesc", 2)
        with dbus_error("OperationFailed", "no memory"):
            g.call("DetachDevice", DIMM.replace("128", "512"), LIVE)
        # a new one takes the first free alias, its backend object new too
        g.call("AttachDevice", DIMM, LIVE)
        assert "<alias name='dimm1'/>" in g.call("GetXMLDesc", 0)
        # a shared one: its RAM a file of the guest's memory backing directory, as at start
        g.call("AttachDevice", DIMM.replace("model='dimm'", "model='dimm' access='shared'"), LIVE)
        assert "<alias name='dimm2'/>" in g.call("GetXMLDesc", 0)
        ram = env.root / "var" / "lib" / "virtbus" / "qemu" / "ram"
        files = [p.name for d in ram.iterdir() for p in d.iterdir()]
        assert files == ["dimm2"], files
    finally:
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)


def test_refusals_define_nothing(env):
    before = env.list_domains()
    with dbus_error("NotSupported", "can't add memory backend for guest node '3'"):
        define(env, "mem-bad", DIMM.replace("<node>0</node>", "<node>3</node>"))
    with dbus_error("XMLError", "model 'nvdimm' needs <source><path>"):
        define(env, "mem-bad", "<memory model='nvdimm'><target><size unit='MiB'>64</size><node>0</node>"
                               "</target></memory>")
    assert env.list_domains() == before


def test_sgx_epc_start_names_what_the_host_lacks(env):
    """<memory model='sgx-epc'> is defined (its command line is the golden
    file memory-sgx-epc); a host without SGX refuses the start, naming the
    device, and nothing runs."""
    if os.path.exists("/dev/sgx_vepc"):
        pytest.skip("this host has SGX (/dev/sgx_vepc): the refusal cannot be seen here")
    g = define(env, "mem-sgx", "<memory model='sgx-epc'><target><size unit='MiB'>16</size></target></memory>")
    try:
        config = g.call("GetXMLDesc", 2)
        assert "<memory model='sgx-epc'>" in config
        with dbus_error("OperationFailed", "<memory model='sgx-epc'> needs") as e:
            g.call("Create", 0)
        assert "/dev/sgx_vepc" in e.message
        assert g.state()[0] == h.DomainState.SHUTOFF
        assert g.call("GetXMLDesc", 2) == config
    finally:
        g.call("Undefine", 0)


def test_nvdimm_and_virtio_pmem_on_files(env):
    """File-backed memory: QEMU (confined by qemud) maps the files given."""
    nv, pm = env.root / "nvdimm.img", env.root / "pmem.img"
    for f in (nv, pm):
        with open(f, "wb") as fh:
            fh.truncate(64 * MIB)
    devs = (f"<memory model='nvdimm' access='shared'><source><path>{nv}</path></source><target>"
            f"<size unit='MiB'>64</size><node>0</node><label><size unit='KiB'>128</size></label></target></memory>"
            f"<memory model='virtio-pmem' access='shared'><source><path>{pm}</path></source><target>"
            f"<size unit='MiB'>64</size></target></memory>")
    g = define(env, "memfiles", devs)
    try:
        g.start()
        live = g.call("GetXMLDesc", 0)
        assert "<alias name='nvdimm0'/>" in live and "<alias name='virtiopmem1'/>" in live
        devs, = qmp_ask(env, "memfiles", "query-memory-devices")
        assert sorted(d["type"] for d in devs) == ["nvdimm", "virtio-pmem"]
        h.wait_until(lambda: g.state()[0] == h.DomainState.RUNNING, 30, what="qemud back, the guest running")
    finally:
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)


VIRTIO_MEM = ("<memory model='virtio-mem'><target><size unit='MiB'>256</size><node>0</node>"
              "<block unit='MiB'>2</block><requested unit='MiB'>{}</requested></target></memory>")


def test_virtio_mem_requested_size_updated(env, proxy, tmp_path):
    g = define(env, "vmem", VIRTIO_MEM.format(0))
    try:
        g.start()
        assert "<alias name='virtiomem0'/>" in g.call("GetXMLDesc", 0)
        g.call("UpdateDevice", VIRTIO_MEM.format(128), LIVE)
        assert "<requested unit='KiB'>131072</requested>" in g.call("GetXMLDesc", 0)
        assert "<requested unit='KiB'>131072</requested>" not in g.call("GetXMLDesc", 2)
        devs, = qmp_ask(env, "vmem", "query-memory-devices")
        assert [(d["type"], d["data"]["requested-size"]) for d in devs] == [("virtio-mem", 128 * MIB)]
        h.wait_until(lambda: g.state()[0] == h.DomainState.RUNNING, 30, what="qemud back, the guest running")
        # with virsh through the proxy, live and persistent
        f = tmp_path / "vmem.xml"
        f.write_text(VIRTIO_MEM.format(64))
        proxy.virsh("update-device", "vmem", f, "--live", "--config")
        assert "<requested unit='KiB'>65536</requested>" in g.call("GetXMLDesc", 0)
        assert "<requested unit='KiB'>65536</requested>" in g.call("GetXMLDesc", 2)
        # refused, the guest as it was
        with dbus_error("InvalidArg", "must be an integer multiple of block size"):
            g.call("UpdateDevice", VIRTIO_MEM.format(3), LIVE)
        with dbus_error("InvalidArg", "must be smaller than or equal to the size"):
            g.call("UpdateDevice", VIRTIO_MEM.format(512), LIVE)
        assert "<requested unit='KiB'>65536</requested>" in g.call("GetXMLDesc", 0)
    finally:
        try:
            g.call("Destroy", 0)
        finally:
            g.call("Undefine", 0)
