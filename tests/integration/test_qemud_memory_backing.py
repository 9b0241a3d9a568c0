# SPDX-License-Identifier: LGPL-2.1-or-later
"""<memoryBacking> <source>, <access>, <allocation> and <discard> in
virtbus-qemud: the booted test guest (TCG) runs on a shared memfd with its
RAM allocated up front, and on files in its memory backing directory
(qemud.conf's memory_backing_dir) with two NUMA cells, one of them shared; QEMU's memory maps show what backs the RAM.
Bad combinations are refused at define with nothing defined.
"""

import re

import pytest

import virtbus_harness as h
from test_qemud_common import Guest, dbus_error, module_env, xmllint_relaxng

env = module_env()


def guest_with(env, name, backing, cpu="", vcpus=1):
    xml = env.guest_xml(name, nic=None, vcpus=vcpus)
    xml = xml.replace("</memory>", f"</memory>\n  <memoryBacking>{backing}</memoryBacking>", 1)
    if cpu:
        xml = xml.replace("  <on_poweroff>", f"  <cpu>{cpu}</cpu>\n  <on_poweroff>", 1)
    return Guest(env, env.call("DomainDefineXML", xml), name)


def maps(g):
    return open(f"/proc/{g.pid()}/maps").read()


def test_shared_memfd_allocated_up_front(env):
    g = guest_with(env, "mb-memfd", "<source type='memfd'/><access mode='shared'/>"
                                    "<allocation mode='immediate' threads='2'/>")
    try:
        g.start()
        g.wait_ready()
        cmdline = open(f"/proc/{g.pid()}/cmdline", "rb").read().replace(b"\0", b" ")
        assert b"memory-backend-memfd,id=pc.ram,prealloc=on,prealloc-threads=2,share=on" in cmdline
        # the guest's RAM is a shared mapping of a memfd
        assert re.search(r"rw-s .*/memfd:", maps(g)), maps(g)
        xml = g.call("GetXMLDesc", 0)
        assert ("<memoryBacking>\n    <source type='memfd'/>\n    <access mode='shared'/>\n"
                "    <allocation mode='immediate' threads='2'/>\n  </memoryBacking>") in xml
        xmllint_relaxng(xml, "domain", "GetXMLDesc")
    finally:
        g.call("Destroy", 0)
        g.call("Undefine", 0)


def test_file_backed_numa_cells_one_shared(env):
    cpu = ("<numa><cell id='0' cpus='0' memory='128' unit='MiB'/>"
           "<cell id='1' cpus='1' memory='128' unit='MiB' memAccess='shared' discard='yes'/></numa>")
    g = guest_with(env, "mb-file", "<source type='file'/><access mode='private'/>", cpu=cpu, vcpus=2)
    try:
        g.start()
        g.wait_ready()
        m = maps(g)
        ram = env.root / "var" / "lib" / "virtbus" / "qemu" / "ram"
        node0 = [l for l in m.splitlines() if re.search(rf"{ram}/\d+-mb-file/ram-node0$", l)]
        node1 = [l for l in m.splitlines() if re.search(rf"{ram}/\d+-mb-file/ram-node1$", l)]
        # a private and a shared mapping of a file each, in the guest's memory backing directory
        assert node0 and all(" rw-p " in l for l in node0), m
        assert node1 and all(" rw-s " in l for l in node1), m
        xml = g.call("GetXMLDesc", 0)
        assert "memAccess='shared' discard='yes'" in xml
        xmllint_relaxng(xml, "domain", "GetXMLDesc")
    finally:
        g.call("Destroy", 0)
        g.call("Undefine", 0)


def test_bad_memory_backing_refused_with_nothing_defined(env):
    before = env.list_domains()
    for backing, name, words in (
            ("<hugepages/><source type='anonymous'/>", "XMLError",
             ("hugepages are not allowed with anonymous memory source",)),
            ("<hugepages/><allocation mode='ondemand'/>", "XMLError", ("ondemand",)),
            ("<source type='shm'/>", "NotSupported", ("'shm'", "<memoryBacking/source>")),
            ("<allocation threads='0'/>", "InvalidArg", ("threads '0'",))):
        with dbus_error(name, *words):
            guest_with(env, "mb-bad", backing)
    assert env.list_domains() == before
