/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* logd's manager: the event loop, the bus connection, the table of open
 * logs, and the re-exec that carries every pipe into a new process image. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "daemon.h"
#include "log-file.h"
#include "logd-conf.h"
#include "paths.h"
#include "reexec.h"

#define LOGD_BUS_NAME "org.virtbus.logd"
#define LOGD_OBJECT_PATH "/org/virtbus/logd"
#define LOGD_INTERFACE "org.virtbus.Log1"

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        DaemonOptions options;
        VbPaths paths;
        LogdConfig config;
        LogTable *logs;
        Reexec *reexec;
} Manager;

int manager_new(const DaemonOptions *o, char **argv, Manager **ret);
void manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
int manager_start(Manager *m);
int manager_run(Manager *m);

/* log-dbus.c */
int log_dbus_register(Manager *m);
