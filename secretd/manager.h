/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* secretd's manager: the event loop, the bus connection and the secrets. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "daemon.h"
#include "paths.h"
#include "secret.h"

#define SECRETD_BUS_NAME "org.virtbus.secretd"
#define SECRETD_ROOT "/org/virtbus/secretd"
#define SECRETD_INTERFACE "org.virtbus.Secret1"

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        DaemonOptions options;
        VbPaths paths;
        SecretStore store;
} Manager;

int manager_new(const DaemonOptions *o, Manager **ret);
void manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
/* Loads the persistent secrets, registers the bus objects, takes the name. */
int manager_start(Manager *m);
int manager_run(Manager *m);

/* connect-dbus.c: org.libvirt.Connect's secret methods and org.virtbus.Secret1
 * on the root object. */
int connect_dbus_register(Manager *m);
/* SecretEvent(o, i event, i detail) with libvirt's event numbers. */
enum { SECRET_EVENT_DEFINED = 0, SECRET_EVENT_UNDEFINED = 1 };
void secret_emit_event(Manager *m, const char *path, int event);
/* org.virtbus.Secret1.SecretValueChanged(o): a secret's value was set. */
void secret_emit_value_changed(Manager *m, const char *path);
/* secret-dbus.c: org.libvirt.Secret on <root>/secret/_<uuid>. */
int secret_dbus_register(Manager *m);
