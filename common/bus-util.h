/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Object paths with libvirt-dbus's encodings, and registration of one kind of
 * child object (a fallback vtable plus a node enumerator under <root>/<kind>). */

#include <systemd/sd-bus.h>

#include "macro.h"

/* "<root>/<kind>/_<uuid with '-' turned into '_'>"; NULL on OOM. */
char *bus_path_from_uuid(const char *root, const char *kind, const uint8_t uuid[16]);
/* Reverses bus_path_from_uuid for paths below prefix ("<root>/<kind>"). */
int bus_path_to_uuid(const char *path, const char *prefix, uint8_t uuid[16]);

/* libvirt-dbus's string encoding: every byte outside [A-Za-z0-9] becomes '_'
 * and two lowercase hex digits. */
char *bus_label_escape(const char *s);
char *bus_label_unescape(const char *s);

/* Registers interface `interface` on every path below <root>/<kind> through
 * find(), and lists the children through enumerate(). */
int bus_add_object_kind(sd_bus *bus, const char *root, const char *kind, const char *interface,
                        const sd_bus_vtable *vtable, sd_bus_object_find_t find,
                        sd_bus_node_enumerator_t enumerate, void *userdata);

/* Reply helpers for the common shapes. */
int bus_reply_object_path(sd_bus_message *m, const char *path);
