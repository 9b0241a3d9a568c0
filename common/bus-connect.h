/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the daemons' org.libvirt.Connect objects share: the properties that
 * describe the connection, and the rule of the List* flags. */

#include <systemd/sd-bus.h>

#include "macro.h"

/* The libvirt version whose API we answer as (9.0.0), for clients that check it. */
#define LIBVIRT_API_VERSION 9000000ULL

/* Encrypted, Hostname, LibVersion and Secure, for a connect_vtable. A local
 * connection is not encrypted, but secure (as libvirt-dbus says of one). */
#define BUS_CONNECT_PROPERTIES                                                                                  \
        SD_BUS_PROPERTY("Encrypted", "b", bus_connect_property_bool, 0, SD_BUS_VTABLE_PROPERTY_CONST),          \
        SD_BUS_PROPERTY("Hostname", "s", bus_connect_property_hostname, 0, 0),                                 \
        SD_BUS_PROPERTY("LibVersion", "t", bus_connect_property_lib_version, 0, SD_BUS_VTABLE_PROPERTY_CONST), \
        SD_BUS_PROPERTY("Secure", "b", bus_connect_property_bool, 0, SD_BUS_VTABLE_PROPERTY_CONST)

int bus_connect_property_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_connect_property_hostname(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_connect_property_lib_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error);

/* One pair of List* filter flags (ACTIVE/INACTIVE, PERSISTENT/TRANSIENT,
 * AUTOSTART/NO_AUTOSTART): with neither set every object matches, else those
 * with is_a for a and those without for b. */
static inline bool list_flags_match(uint32_t flags, uint32_t a, uint32_t b, bool is_a) {
        if (!(flags & (a | b)))
                return true;
        return is_a ? flags & a : flags & b;
}
