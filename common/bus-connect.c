/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>

#include "bus-connect.h"

int bus_connect_property_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", streq(property, "Secure"));
}

int bus_connect_property_hostname(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        char host[HOST_NAME_MAX + 1] = "";

        (void) gethostname(host, sizeof(host) - 1);
        return sd_bus_message_append(reply, "s", host);
}

int bus_connect_property_lib_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "t", (uint64_t) LIBVIRT_API_VERSION);
}
