#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A stand-in for systemd-machined's org.freedesktop.machine1.Manager on a
test bus (machined itself needs systemd as PID 1, which these hosts lack):
it records CreateMachineWithNetwork, CreateMachine and TerminateMachine
calls, one JSON object a line, in the file given, and answers as machined
does (an object path; NoSuchMachine for a machine it does not know).

    fake_machined.py BUS_ADDRESS LOG_FILE [--no-network]

--no-network: CreateMachineWithNetwork is an unknown method (an old
machined), to test the fallback."""

import json
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "org.freedesktop.machine1.Manager"


class NoSuchMachine(dbus.DBusException):
    _dbus_error_name = "org.freedesktop.machine1.NoSuchMachine"


class UnknownMethod(dbus.DBusException):
    _dbus_error_name = "org.freedesktop.DBus.Error.UnknownMethod"


class Manager(dbus.service.Object):
    def __init__(self, conn, log, network):
        super().__init__(conn, "/org/freedesktop/machine1")
        self.log = log
        self.network = network
        self.machines = set()

    def record(self, method, **kw):
        with open(self.log, "a") as f:
            f.write(json.dumps(dict(method=method, **kw)) + "\n")

    def create(self, method, name, uid, service, klass, leader, root, ifindices, props):
        self.machines.add(str(name))
        self.record(method, name=str(name), uuid=bytes(uid).hex(), service=str(service), klass=str(klass),
                    leader=int(leader), root=str(root), ifindices=[int(i) for i in ifindices],
                    props={str(k): (list(map(str, v)) if isinstance(v, dbus.Array) else
                                    bool(v) if isinstance(v, dbus.Boolean) else str(v)) for k, v in props})
        return dbus.ObjectPath("/org/freedesktop/machine1/machine/" + "".join(
            c if c.isalnum() else f"_{ord(c):02x}" for c in str(name)))

    @dbus.service.method(IFACE, in_signature="sayssusaia(sv)", out_signature="o")
    def CreateMachineWithNetwork(self, name, uid, service, klass, leader, root, ifindices, props):
        if not self.network:
            raise UnknownMethod("Unknown method CreateMachineWithNetwork")
        return self.create("CreateMachineWithNetwork", name, uid, service, klass, leader, root, ifindices, props)

    @dbus.service.method(IFACE, in_signature="sayssusa(sv)", out_signature="o")
    def CreateMachine(self, name, uid, service, klass, leader, root, props):
        return self.create("CreateMachine", name, uid, service, klass, leader, root, [], props)

    @dbus.service.method(IFACE, in_signature="s", out_signature="")
    def TerminateMachine(self, name):
        self.record("TerminateMachine", name=str(name))
        if str(name) not in self.machines:
            raise NoSuchMachine(f"No machine '{name}' known")
        self.machines.discard(str(name))


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    conn = dbus.bus.BusConnection(sys.argv[1])
    manager = Manager(conn, sys.argv[2], "--no-network" not in sys.argv[3:])
    name = dbus.service.BusName("org.freedesktop.machine1", conn)  # kept: released when freed
    print("ready", flush=True)
    GLib.MainLoop().run()
    del manager, name


if __name__ == "__main__":
    main()
