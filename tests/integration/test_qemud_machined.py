# SPDX-License-Identifier: LGPL-2.1-or-later
"""Guests registered with systemd-machined (common/machined.c).

systemd-machined needs systemd as PID 1, which these hosts lack, so the
service is a stand-in on the test's private bus (fake_machined.py), which
records each call: the registration libvirt makes (CreateMachineWithNetwork
with the machine name, uuid, class "vm", QEMU as leader, the slice of the
guest's cgroup, Delegate) once QEMU runs, TerminateMachine at the stop; an
older machined without CreateMachineWithNetwork gets CreateMachine; and
without any machined on the bus a guest starts and stops as before."""

import re
import subprocess
import sys
import json
from pathlib import Path

import pytest

import virtbus_harness as h
from test_qemud_common import QemudEnv, _env_logs  # noqa: F401

pytestmark = pytest.mark.timeout(300)

FAKE = Path(__file__).resolve().parent / "fake_machined.py"
POLICY = ('<policy user="root"><allow own="org.freedesktop.machine1"/>'
          '<allow send_destination="org.freedesktop.machine1"/></policy>')


@pytest.fixture(scope="module")
def env(guest, request):
    e = QemudEnv(guest, bus_conf=POLICY)
    yield e
    e.failed = request.session.testsfailed > 0
    errors = e.close()
    if errors:
        raise RuntimeError("cleanup errors: " + "; ".join(errors))


class Fake:
    def __init__(self, env, name, *args):
        self.log = env.root / f"{name}.jsonl"
        self.log.write_text("")
        self.proc = subprocess.Popen([sys.executable, str(FAKE), env.bus.address, str(self.log), *args],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def calls(self, method=None):
        out = [json.loads(line) for line in self.log.read_text().splitlines() if line]
        return [c for c in out if method is None or c["method"] == method]

    def wait(self, method, n=1):
        h.wait_until(lambda: len(self.calls(method)) >= n, 30, 0.1, f"{method} x{n} at the fake machined")
        return self.calls(method)[n - 1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def ids(g):
    xml = g.call("GetXMLDesc", 0)
    return (int(re.search(r"<domain [^>]*id='(\d+)'", xml).group(1)),
            re.search(r"<uuid>([^<]+)</uuid>", xml).group(1).replace("-", ""))


def test_registered_and_terminated(env):
    fake = Fake(env, "m1")
    g = env.define("mach1")
    try:
        g.start(1)
        c = fake.wait("CreateMachineWithNetwork")
        dom_id, uuid = ids(g)
        assert c["name"] == f"qemu-{dom_id}-mach1"
        assert (c["uuid"], c["klass"], c["service"], c["root"]) == (uuid, "vm", "virtbus-qemud", "")
        assert c["leader"] == g.pid()
        assert c["ifindices"] == []        # user networking: no tap
        # the slice of the guest's cgroup (a private root's own partition)
        partition = h.cgroup_partition(env.root.path)
        assert c["props"]["Slice"] == partition.rsplit("/", 1)[-1], (c, partition)
        assert c["props"]["Delegate"] is True
        assert c["props"]["After"] == ["virtbus-qemud.service"]
        g.call("Destroy", 0)
        t = fake.wait("TerminateMachine")
        assert t["name"] == c["name"]
    finally:
        g.ensure_shutoff()
        fake.stop()


def test_older_machined_gets_create_machine(env):
    fake = Fake(env, "m2", "--no-network")
    g = env.define("mach2")
    try:
        g.start(1)
        c = fake.wait("CreateMachine")
        assert c["name"].endswith("-mach2") and c["leader"] == g.pid()
    finally:
        g.ensure_shutoff()
        fake.stop()


def test_no_machined_on_the_bus(env):
    g = env.define("mach3")
    try:
        g.start(1)
        assert g.pid() > 0
    finally:
        g.ensure_shutoff()
