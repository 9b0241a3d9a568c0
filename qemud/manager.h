/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* qemud's manager: the event loop, the bus, the table of domains, the QEMU
 * capabilities, and loading everything back at start. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "domain.h"
#include "paths.h"
#include "qemu-caps.h"

#define QEMUD_BUS_NAME "org.virtbus.qemud"
#define QEMUD_ROOT "/org/virtbus/qemud"
#define QEMUD_DEFAULT_EMULATOR "/usr/bin/qemu-system-x86_64"

typedef struct CapsWaiter CapsWaiter;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        VbPaths paths;
        char *confdir;    /* <confdir>/qemu */
        char *autostartdir;
        char *rundir;     /* <rundir>/qemu */
        char *logdir;     /* <logdir>/qemu */
        char *cachedir;   /* <statedir>/qemu/capabilities */

        Domain **domains;
        size_t n_domains, n_allocated;
        int next_id;
        uint64_t job_timeout_usec; /* how long a call waits for a domain's job */

        QemuCaps *caps;   /* of QEMUD_DEFAULT_EMULATOR (or $VIRTBUS_QEMU), once known */
        bool caps_probing;
        CapsWaiter *caps_waiters;
        /* Whether a KVM guest can boot here: some nested setups start KVM but
         * hang in the guest kernel. Overridable with VIRTBUS_QEMU_ACCEL. */
        const char *emulator;
} Manager;

int manager_new(sd_event *event, sd_bus *bus, const char *root, Manager **ret);
Manager *manager_free(Manager *m);
/* Loads definitions and live state, reconnects to running guests, then
 * starts the autostart ones. */
int manager_startup(Manager *m);
bool manager_is_busy(void *userdata);

int manager_add_domain(Manager *m, Domain *d);
void manager_remove_domain(Manager *m, Domain *d);
Domain *manager_find_by_name(Manager *m, const char *name);
Domain *manager_find_by_uuid(Manager *m, const uint8_t uuid[16]);
Domain *manager_find_by_id(Manager *m, int id);
Domain *manager_find_by_path(Manager *m, const char *path);
int manager_allocate_id(Manager *m);

/* Calls done(userdata) with the capabilities once known (maybe at once). */
typedef void (*manager_caps_fn)(Manager *m, int r, void *userdata);
int manager_with_caps(Manager *m, manager_caps_fn done, void *userdata);

