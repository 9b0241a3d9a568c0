/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bus-client.h"
#include "cgroup.h"
#include "log.h"
#include "machined.h"
#include "util.h"

static const BusTarget machine1 = {
        "org.freedesktop.machine1", "/org/freedesktop/machine1", "org.freedesktop.machine1.Manager",
};

int machined_reg_init(MachineReg *r, const char *driver, int id, const char *name, const uint8_t uuid[16],
                      pid_t leader, const char *root) {
        _cleanup_free_ char *machine = cgroup_machine_name(driver, id, name);
        _cleanup_free_ char *partition = cgroup_partition(root);
        const char *slice;

        if (!machine || !partition)
                return -ENOMEM;
        slice = strrchr(partition, '/');
        slice = slice ? slice + 1 : partition;
        *r = (MachineReg) { .leader = leader };
        if (strlen(machine) >= sizeof(r->name) || strlen(slice) >= sizeof(r->slice))
                return -EINVAL;
        strcpy(r->name, machine);
        strcpy(r->slice, slice);
        memcpy(r->uuid, uuid, 16);
        snprintf(r->service, sizeof(r->service), "virtbus-%sd", driver);
        snprintf(r->after, sizeof(r->after), "virtbus-%sd.service", driver);
        snprintf(r->klass, sizeof(r->klass), "%s", streq(driver, "lxc") ? "container" : "vm");
        return 0;
}

void machined_reg_add_if(MachineReg *r, int ifindex) {
        if (ifindex > 0 && r->n_ifindices < MACHINED_MAX_IFS)
                r->ifindices[r->n_ifindices++] = ifindex;
}

static int append_properties(sd_bus_message *m, const MachineReg *r) {
        char description[128];
        int k;

        snprintf(description, sizeof(description), "Virtual Machine %s", r->name);
        k = sd_bus_message_open_container(m, 'a', "(sv)");
        if (k >= 0)
                k = sd_bus_message_append(m, "(sv)", "Slice", "s", r->slice);
        if (k >= 0)
                k = sd_bus_message_append(m, "(sv)", "After", "as", 1, r->after);
        if (k >= 0)
                k = sd_bus_message_append(m, "(sv)", "Delegate", "b", 1);
        if (k >= 0)
                k = sd_bus_message_append(m, "(sv)", "Description", "s", description);
        return k < 0 ? k : sd_bus_message_close_container(m);
}

int machined_append_create(sd_bus_message *m, const MachineReg *r, bool with_network) {
        int k = sd_bus_message_append(m, "s", r->name);

        if (k >= 0)
                k = sd_bus_message_append_array(m, 'y', r->uuid, 16);
        if (k >= 0)
                k = sd_bus_message_append(m, "ssus", r->service, r->klass, (uint32_t) r->leader, r->root);
        if (k >= 0 && with_network)
                k = sd_bus_message_append_array(m, 'i', r->ifindices, r->n_ifindices * sizeof(int));
        return k < 0 ? k : append_properties(m, r);
}

/* machined is not there: no systemd, or not this one's bus */
static bool absent(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                      "org.freedesktop.DBus.Error.Spawn.ChildExited",
                                      "org.freedesktop.systemd1.NoSuchUnit");
}

typedef struct Pending {
        MachineReg reg;
        bool with_network;
} Pending;

static int send_create(sd_bus *bus, const MachineReg *r, bool with_network);

static int on_created(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!e)
                log_debug("Machine %s registered with systemd-machined.", p->reg.name);
        else if (absent(e))
                log_debug("No systemd-machined on the bus (%s): machine %s not registered.", e->name, p->reg.name);
        else if (p->with_network && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD))
                (void) send_create(sd_bus_message_get_bus(reply), &p->reg, false);
        else
                log_warning("systemd-machined refused machine %s: %s", p->reg.name, e->message ?: e->name);
        return 1;
}

static int send_create(sd_bus *bus, const MachineReg *r, bool with_network) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        Pending p = { .reg = *r, .with_network = with_network };
        int k;

        k = sd_bus_message_new_method_call(bus, &m, machine1.service, machine1.path, machine1.interface,
                                           with_network ? "CreateMachineWithNetwork" : "CreateMachine");
        if (k >= 0)
                k = machined_append_create(m, r, with_network);
        return k < 0 ? k : bus_send_call_async(bus, m, on_created, &p, sizeof(p), NULL);
}

int machined_register(sd_bus *bus, const MachineReg *r) {
        return send_create(bus, r, true);
}

static int on_terminated(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const char *name = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e && !absent(e) && !sd_bus_error_has_name(e, "org.freedesktop.machine1.NoSuchMachine"))
                log_warning("systemd-machined cannot terminate machine %s: %s", name, e->message ?: e->name);
        return 1;
}

int machined_terminate(sd_bus *bus, const char *name) {
        return bus_call_async(bus, &machine1, "TerminateMachine", on_terminated, name, strlen(name) + 1, NULL, "s",
                              name);
}
