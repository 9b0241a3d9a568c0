/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Guests registered with systemd-machined (org.freedesktop.machine1), as
 * libvirt registers them, so that `machinectl list` shows them: at the
 * start CreateMachineWithNetwork (CreateMachine where machined lacks it)
 * with the machine name of cgroup.h ("qemu-1-web"), the uuid, class "vm"
 * (or "container"), QEMU as leader, its taps' interface indexes and the
 * scope's slice; at the stop TerminateMachine. machined puts the leader in
 * the same scope cgroup.h names, so the guest's cgroup is where the
 * daemon looks for it.
 *
 * Without machined on the bus (no systemd as PID 1: these containers, the
 * tests' private bus) nothing is registered, said in a debug log; another
 * error is a warning, the guest runs on (it is in its cgroup anyway). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#define MACHINED_MAX_IFS 32

typedef struct MachineReg {
        char name[72];           /* cgroup_machine_name(), at most 64 bytes */
        uint8_t uuid[16];
        char service[32];        /* the daemon: "virtbus-qemud" */
        char klass[16];          /* "vm" or "container" */
        pid_t leader;
        char root[256];          /* a container's root directory, "" for a vm */
        int ifindices[MACHINED_MAX_IFS];
        size_t n_ifindices;
        char slice[128];         /* "machine.slice", or a private root's partition */
        char after[64];          /* the daemon's unit: stopped after its guests */
} MachineReg;

/* Pure: the registration of a guest (driver "qemu" or "lxc"), its slice the
 * last part of cgroup_partition(root). -EINVAL for a name too long. */
int machined_reg_init(MachineReg *r, const char *driver, int id, const char *name, const uint8_t uuid[16],
                      pid_t leader, const char *root);
/* Adds an interface (its index; 0 or less is left out, as is one past the
 * limit). */
void machined_reg_add_if(MachineReg *r, int ifindex);

/* Pure: CreateMachineWithNetwork's arguments "sayssusaia(sv)" (or, without
 * with_network, CreateMachine's "sayssusa(sv)") appended to m; the scope's
 * properties are Slice, After, Delegate (the daemon writes the guest's
 * cgroup itself) and Description. */
int machined_append_create(sd_bus_message *m, const MachineReg *r, bool with_network);

/* Asynchronous: the reply is logged, never waited for. */
int machined_register(sd_bus *bus, const MachineReg *r);
int machined_terminate(sd_bus *bus, const char *name);
