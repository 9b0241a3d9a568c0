/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Object paths with libvirt-dbus's encodings, registration of one kind of
 * child object (a fallback vtable plus a node enumerator under <root>/<kind>),
 * and the arguments and replies most methods share. */

#include <systemd/sd-bus.h>

#include "macro.h"

/* "<root>/<kind>/_<uuid with '-' turned into '_'>"; NULL on OOM. */
char *bus_path_from_uuid(const char *root, const char *kind, const uint8_t uuid[16]);
/* The same from uuid_format()'s text, for a caller that has it already. */
char *bus_path_from_uuid_str(const char *root, const char *kind, const char *uuid_str);
/* The same into buf, of bus_path_uuid_size() bytes (the NUL included). */
size_t bus_path_uuid_size(const char *root, const char *kind);
void bus_path_format_uuid_str(char *buf, const char *root, const char *kind, const char *uuid_str);
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

/* Argument helpers. A bad argument sets an InvalidArg error and returns its
 * -errno. */
/* Flags outside allowed: "unsupported flags (0x<the bits outside allowed>)". */
int bus_check_flags(uint32_t flags, uint32_t allowed, sd_bus_error *error);
/* Reads a "u" flags argument and checks it as bus_check_flags() does. */
int bus_read_flags(sd_bus_message *m, uint32_t allowed, uint32_t *ret, sd_bus_error *error);
/* Reads a "s" argument that must be a UUID ("invalid UUID '<s>'"): the
 * string as given in *ret_str, for messages, and its value in uuid. */
int bus_read_uuid(sd_bus_message *m, const char **ret_str, uint8_t uuid[16], sd_bus_error *error);

/* Reply helpers for the common shapes. */
int bus_reply_object_path(sd_bus_message *m, const char *path);
/* For the List* methods: replies with an "ao" of the object path that
 * listed() gives for each of items[0..n), in order, leaving out the items it
 * gives NULL for. */
typedef const char *(*bus_list_fn)(const void *item, uint32_t flags);
int bus_reply_object_list(sd_bus_message *m, void *const *items, size_t n, bus_list_fn listed, uint32_t flags);
