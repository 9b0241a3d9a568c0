# SPDX-License-Identifier: LGPL-2.1-or-later
"""Definitions parsed on first use (common/domain/domain-index.h, domain-load.h):
a start makes the domains its index of definitions knows without parsing
their files. Whatever happened to the files or to the index while
virtbus-qemud was down (a file added, removed, replaced, edited in place, an
index cut short, garbage or missing), a client sees what a start that parses
every file sees. A definition that became invalid is reported on first use,
naming the domain, its file and what is wrong, and the others are not
affected. Not timed: bench/coldstart-bench.py measures the start."""

import os
import re
import signal
import uuid

import dbus
import pytest

import virtbus_harness as h
from test_qemud_common import _env_logs, module_env  # noqa: F401

pytestmark = pytest.mark.timeout(240)

env = module_env()

PREFIX = "lz-"
N = 12


def index_file(env):
    return env.root / "var" / "lib" / "virtbus" / "qemu" / "definitions.index"


def restart(env, sig=signal.SIGTERM):
    rc = env.qemud.kill(sig)
    assert rc in (0, -sig), f"virtbus-qemud exited with {rc}"
    env.qemud.start()


def stop(env):
    rc = env.qemud.kill(signal.SIGTERM)
    assert rc in (0, -signal.SIGTERM), f"virtbus-qemud exited with {rc}"


def log_since(env, offset):
    with open(env.qemud.log_path) as f:
        f.seek(offset)
        return f.read()


def seen(env):
    """name -> (path, uuid, autostart, inactive XML) of our domains, as a
    client sees them (each domain's definition is used)."""
    out = {}
    for p in env.list_domains():
        props = env.bus.get_all_properties("org.virtbus.qemud", p, "org.libvirt.Domain")
        if props["Name"].startswith(PREFIX):
            out[props["Name"]] = (p, props["UUID"], props["Autostart"], env.dcall(p, "GetXMLDesc", 2))
    return out


def full_parse(env):
    """What a start without the index sees."""
    stop(env)
    index_file(env).unlink(missing_ok=True)
    env.qemud.start()
    return seen(env)


def with_name_uuid(xml, name, new_uuid):
    xml = re.sub(r"<name>[^<]*</name>", f"<name>{name}</name>", xml, count=1)
    return re.sub(r"<uuid>[^<]*</uuid>", f"<uuid>{new_uuid}</uuid>", xml, count=1)


def edit_in_place(path, old, new, keep_times=False):
    """Rewrites the file through the same inode (as `cat >` or an editor
    that writes in place does); keep_times also keeps its mtime."""
    st = path.stat()
    text = path.read_text()
    assert old in text, (old, text)
    with open(path, "r+") as f:
        f.seek(0)
        f.write(text.replace(old, new, 1))
        f.truncate()
    assert path.stat().st_ino == st.st_ino
    if keep_times:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.fixture
def defined(env):
    """N domains defined through D-Bus; undefined again after the test."""
    names = [f"{PREFIX}{i:02d}" for i in range(N)]
    for n in names:
        env.define(n, nic=None)
    yield names
    if not env.qemud.alive():
        env.qemud.start()
    for p, *_ in seen(env).values():
        # an autostart one runs: undefined, it would stay as a transient domain
        for method in ("Destroy", "Undefine"):
            try:
                env.dcall(p, method, 0)
            except dbus.exceptions.DBusException:
                pass
    for f in env.conf_dir.glob(f"{PREFIX}*.xml"):
        f.unlink()
    restart(env)
    assert not seen(env)


def test_index_written_and_used(env, defined):
    restart(env)
    assert index_file(env).exists()
    text = index_file(env).read_text()
    assert text.startswith("virtbus-definitions 1\n")
    for n in defined:
        assert f" {n}\n" in text
    before = seen(env)
    mark = env.qemud.log_path.stat().st_size
    restart(env)
    log = log_since(env, mark)
    m = re.search(r"Loaded (\d+) definitions: (\d+) from the index, (\d+) parsed", log)
    assert m, log
    assert int(m.group(1)) == int(m.group(2)) and int(m.group(3)) == 0, m.group(0)
    assert seen(env) == before
    assert full_parse(env) == before


def test_stale_index_gives_what_a_full_parse_gives(env, defined):
    restart(env)
    conf = env.conf_dir
    stop(env)
    tmpl = (conf / f"{defined[0]}.xml").read_text()
    # added by hand
    (conf / f"{PREFIX}added.xml").write_text(with_name_uuid(tmpl, f"{PREFIX}added", uuid.uuid4()))
    # removed by hand
    (conf / f"{defined[1]}.xml").unlink()
    # replaced (another inode), another memory size
    f = conf / f"{defined[2]}.xml"
    text = f.read_text()
    f.unlink()
    f.write_text(re.sub(r"<memory unit='KiB'>\d+</memory>", "<memory unit='KiB'>524288</memory>", text))
    # edited in place (same inode): its mtime tells
    f = conf / f"{defined[3]}.xml"
    vcpu = re.search(r"<vcpu[^>]*>1</vcpu>", f.read_text()).group(0)
    edit_in_place(f, vcpu, vcpu.replace(">1<", ">2<"))
    # edited in place to hold another domain: a full parse knows it by its new name
    edit_in_place(conf / f"{defined[4]}.xml", f"<name>{defined[4]}</name>", f"<name>{PREFIX}renamed</name>")
    # an autostart link made by hand
    os.symlink(f"../{defined[5]}.xml", conf / "autostart" / f"{defined[5]}.xml")
    env.qemud.start()
    # the files changed in place are checked after the start, in the background
    h.wait_until(lambda: f"{PREFIX}renamed" in seen(env), 30, what="the file edited in place to be checked")
    got = seen(env)
    assert f"{PREFIX}added" in got and defined[1] not in got and defined[4] not in got
    assert "<memory unit='KiB'>524288</memory>" in got[defined[2]][3]
    assert re.search(r"<vcpu[^>]*>2</vcpu>", got[defined[3]][3])
    assert got[defined[5]][2] is True
    assert full_parse(env) == got


@pytest.mark.parametrize("damage", ["missing", "cut", "garbage", "other-version", "empty"])
def test_damaged_index_gives_what_a_full_parse_gives(env, defined, damage):
    restart(env)
    want = seen(env)
    stop(env)
    f = index_file(env)
    text = f.read_text()
    if damage == "missing":
        f.unlink()
    elif damage == "cut":
        f.write_text(text[: len(text) // 2])
    elif damage == "garbage":
        f.write_bytes(os.urandom(4096))
    elif damage == "other-version":
        f.write_text(text.replace("virtbus-definitions 1", "virtbus-definitions 9"))
    else:
        f.write_text("")
    mark = env.qemud.log_path.stat().st_size
    env.qemud.start()
    assert seen(env) == want
    assert re.search(r"Loaded \d+ definitions: 0 from the index", log_since(env, mark))
    # ...and written whole again
    restart(env)
    assert index_file(env).read_text().startswith("virtbus-definitions 1\n")
    assert seen(env) == want


def test_invalid_definition_reported_on_first_use(env, defined):
    restart(env)
    bad = defined[6]
    path = env.conf_dir / f"{bad}.xml"
    stop(env)
    # same size, same inode, same mtime: nothing tells the start it changed
    edit_in_place(path, "<memory unit='KiB'>", "<memorx unit='KiB'>", keep_times=True)
    edit_in_place(path, "</memory>", "</memorx>", keep_times=True)
    env.qemud.start()
    with pytest.raises(dbus.exceptions.DBusException) as e:
        env.call("DomainLookupByName", bad)
    msg = e.value.get_dbus_message()
    # the parser's own error: the element it does not know
    assert e.value.get_dbus_name().startswith("org.virtbus.Error."), (e.value.get_dbus_name(), msg)
    assert bad in msg and str(path) in msg and "memorx" in msg, msg
    # the others are whole; the invalid one is no longer listed, and says why again
    got = seen(env)
    assert bad not in got and len(got) == N - 1
    with pytest.raises(dbus.exceptions.DBusException) as e:
        env.call("DomainLookupByName", bad)
    assert "memorx" in e.value.get_dbus_message()
    # a define under its name replaces it
    env.define(bad, nic=None)
    assert bad in seen(env)
    assert full_parse(env) == seen(env)


def test_sigkill_right_after_defines_forgets_nothing(env, defined):
    restart(env)
    more = [f"{PREFIX}k{i}" for i in range(3)]
    for n in more:
        env.define(n, nic=None)
    env.dcall(seen(env)[defined[7]][0], "Undefine", 0)
    # before the index is written again (a second after a define)
    restart(env, signal.SIGKILL)
    got = seen(env)
    assert all(n in got for n in more) and defined[7] not in got
    assert full_parse(env) == got


def test_rename_and_undefine_reach_the_index(env, defined):
    restart(env)
    p = seen(env)[defined[8]][0]
    env.dcall(p, "Rename", f"{PREFIX}new-name", 0)
    env.dcall(seen(env)[defined[9]][0], "Undefine", 0)
    restart(env)
    got = seen(env)
    assert f"{PREFIX}new-name" in got and defined[8] not in got and defined[9] not in got
    text = index_file(env).read_text()
    assert f" {PREFIX}new-name\n" in text and f" {defined[8]}\n" not in text
    assert full_parse(env) == got
