/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* lockd's manager: the event loop, the bus connection, the lease table, and
 * the re-exec that carries the table into a new process image. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "daemon.h"
#include "lease.h"
#include "lockd-conf.h"
#include "paths.h"
#include "reexec.h"

#define LOCKD_BUS_NAME "org.virtbus.lockd"
#define LOCKD_OBJECT_PATH "/org/virtbus/lockd"
#define LOCKD_INTERFACE "org.virtbus.Lock1"

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        DaemonOptions options;
        VbPaths paths;
        LockdConfig config;
        LeaseTable *leases;
        Reexec *reexec;
} Manager;

int manager_new(const DaemonOptions *o, char **argv, Manager **ret);
void manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
/* Config, state (after a re-exec), bus objects, bus name, readiness. */
int manager_start(Manager *m);
int manager_run(Manager *m);

/* lock-dbus.c */
int lock_dbus_register(Manager *m);
