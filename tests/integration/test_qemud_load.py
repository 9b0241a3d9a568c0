# SPDX-License-Identifier: LGPL-2.1-or-later
"""What virtbus-qemud loads back at start from its definitions directory:
every definition once; a second file with a name or uuid already loaded is
ignored with a warning naming it; an autostart link counts only when it
leads to a file; many definitions all come back. (The start indexes the
definitions by name and uuid and reads the autostart directory once: these
are the cases that index must get right.)"""

import os
import re
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from test_qemud_common import _env_logs, module_env  # noqa: F401

pytestmark = pytest.mark.timeout(150)

env = module_env()

MANY = 300


def restart_qemud(env):
    rc = env.qemud.kill(signal.SIGTERM)
    assert rc in (0, -signal.SIGTERM), f"virtbus-qemud exited with {rc}"
    env.qemud.start()


def names(env):
    return sorted(env.bus.get_all_properties(
        "org.virtbus.qemud", p, "org.libvirt.Domain")["Name"] for p in env.list_domains())


def with_name_uuid(xml, name=None, new_uuid=None):
    if name:
        xml = re.sub(r"<name>[^<]*</name>", f"<name>{name}</name>", xml, count=1)
    if new_uuid:
        xml = re.sub(r"<uuid>[^<]*</uuid>", f"<uuid>{new_uuid}</uuid>", xml, count=1)
    return xml


def test_duplicates_and_dangling_autostart(env):
    a = env.define("ld-a")
    b = env.define("ld-b")
    conf = env.conf_dir
    xml_a, xml_b = (conf / "ld-a.xml").read_text(), (conf / "ld-b.xml").read_text()
    uuid_b = re.search(r"<uuid>([^<]*)</uuid>", xml_b).group(1)
    extra = {
        # ld-a's name, another uuid
        "ld-dup-name.xml": with_name_uuid(xml_a, new_uuid=str(uuid.uuid4())),
        # another name, ld-b's uuid
        "ld-dup-uuid.xml": with_name_uuid(xml_b, name="ld-other"),
    }
    for f, text in extra.items():
        (conf / f).write_text(text)
    # ld-b's autostart link leads nowhere: not autostart
    link = conf / "autostart" / "ld-b.xml"
    os.symlink(conf / "no-such-file.xml", link)
    n_before = len(env.list_domains())
    try:
        seen = env.qemud.log_path.stat().st_size
        restart_qemud(env)
        # readdir order decides which file of each pair comes first: either
        # way exactly one of each pair is loaded, and the other is named
        assert len(env.list_domains()) == n_before, "a duplicate was loaded, or a definition went missing"
        got = names(env)
        assert got.count("ld-a") == 1
        assert ("ld-b" in got) != ("ld-other" in got), got
        assert env.prop(b.path, "UUID") == uuid_b
        assert env.prop(b.path, "Autostart") is False
        with open(env.qemud.log_path) as f:
            f.seek(seen)
            log = f.read()
        ignored = re.findall(r"Ignoring \S*/(ld-[a-z-]+)\.xml: name or uuid already defined", log)
        assert len(ignored) == 2, log
        assert len(set(ignored) & {"ld-a", "ld-dup-name"}) == 1, ignored
        assert len(set(ignored) & {"ld-b", "ld-dup-uuid"}) == 1, ignored
    finally:
        link.unlink()
        for f in extra:
            (conf / f).unlink()
        restart_qemud(env)
    a.call("Undefine", 0)
    b.call("Undefine", 0)


def test_many_definitions_and_autostart_listing(env):
    g = env.define("ld-tmpl")
    conf = env.conf_dir
    tmpl = (conf / "ld-tmpl.xml").read_text()
    g.call("Undefine", 0)
    made = [f"ld-many-{i:03d}" for i in range(MANY)]
    for n in made:
        (conf / f"{n}.xml").write_text(with_name_uuid(tmpl, name=n, new_uuid=str(uuid.uuid4())))
    # an autostart entry that is not a definition's changes nothing
    stray = conf / "autostart" / "ld-not-defined.xml"
    os.symlink(conf / f"{made[0]}.xml", stray)
    try:
        restart_qemud(env)
        got = [n for n in names(env) if n.startswith("ld-many-")]
        assert got == made
        for p in env.list_domains():
            props = env.bus.get_all_properties("org.virtbus.qemud", p, "org.libvirt.Domain")
            if props["Name"].startswith("ld-many-"):
                assert props["Autostart"] is False, props["Name"]
    finally:
        stray.unlink()
        for n in made:
            (conf / f"{n}.xml").unlink()
        restart_qemud(env)
    assert not [n for n in names(env) if n.startswith("ld-many-")]


def test_defines_from_many_clients_at_once(env):
    """Defines from several connections at once: each answered with its own
    path and its own whole file, and all of them survive a SIGKILL right
    after the answers."""
    g = env.define("ld-par-tmpl")
    tmpl = (env.conf_dir / "ld-par-tmpl.xml").read_text()
    g.call("Undefine", 0)
    made = [f"ld-par-{i:03d}" for i in range(120)]
    conns = [env.bus.new_connection() for _ in range(8)]

    def define(i):
        xml = with_name_uuid(tmpl, name=made[i], new_uuid=str(uuid.uuid4()))
        return str(conns[i % 8].call_blocking("org.virtbus.qemud", "/org/virtbus/qemud", "org.libvirt.Connect",
                                              "DomainDefineXML", "s", (xml,)))
    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(define, range(len(made))))
    assert len(set(paths)) == len(made)
    for n in made:
        assert (env.conf_dir / f"{n}.xml").read_text().count(f"<name>{n}</name>") == 1
    rc = env.qemud.kill(signal.SIGKILL)
    assert rc == -signal.SIGKILL
    env.qemud.start()
    try:
        assert [n for n in names(env) if n.startswith("ld-par-")] == made
        assert sorted(set(env.list_domains()) & set(paths)) == sorted(paths)
    finally:
        for p in paths:
            env.bus.call("org.virtbus.qemud", p, "org.libvirt.Domain", "Undefine", 0)
    assert not [n for n in names(env) if n.startswith("ld-par-")]
