# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtbus-qemud and the container definitions the shared XML model now
takes (they are lxcd's): a container found in qemud's definitions directory
at start is not loaded, with a warning naming the file and what QEMU cannot
run, and the machines beside it load as before. (Define and create refuse
containers in test_qemud_badinput.py.)"""

import re
import signal

import pytest

from test_qemud_common import _env_logs, module_env  # noqa: F401

pytestmark = pytest.mark.timeout(120)

env = module_env()

CONTAINER = """<domain type='lxc'>
  <name>cd-container</name>
  <memory unit='MiB'>64</memory>
  <os>
    <type>exe</type>
    <init>/sbin/init</init>
  </os>
  <devices>
    <filesystem type='mount'>
      <source dir='/var/lib/containers/c'/>
      <target dir='/'/>
    </filesystem>
  </devices>
</domain>
"""


def restart_qemud(env):
    rc = env.qemud.kill(signal.SIGTERM)
    assert rc in (0, -signal.SIGTERM), f"virtbus-qemud exited with {rc}"
    env.qemud.start()


def names(env):
    return sorted(env.bus.get_all_properties(
        "org.virtbus.qemud", p, "org.libvirt.Domain")["Name"] for p in env.list_domains())


def test_container_file_is_not_loaded(env):
    machine = env.define("cd-machine")
    machine_xml = env.dcall(machine.path, "GetXMLDesc", 2)
    stray = env.conf_dir / "cd-container.xml"
    stray.write_text(CONTAINER)
    try:
        seen = env.qemud.log_path.stat().st_size
        restart_qemud(env)
        assert names(env) == ["cd-machine"]
        assert env.dcall(machine.path, "GetXMLDesc", 2) == machine_xml
        with open(env.qemud.log_path) as f:
            f.seek(seen)
            log = f.read()
        assert re.search(r"Ignoring \S*/cd-container\.xml: unsupported configuration: the QEMU driver "
                         r"does not support <domain type='lxc'>", log), log
        # left where it was: it is not qemud's to delete
        assert stray.read_text() == CONTAINER
    finally:
        stray.unlink(missing_ok=True)
        env.dcall(machine.path, "Undefine", 0)
