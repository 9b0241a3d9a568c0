/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the three parts of the capabilities (qemu-caps.c: the model and
 * its JSON form; qemu-caps-cache.c; qemu-caps-probe.c): the JSON object form
 * and the typed JSON getters that both the cache form and QEMU's replies
 * are read with. Not for other callers. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "qemu-caps.h"

/* The cache form as a JSON object (with "format"), and back: -ESTALE for
 * another format, -EBADMSG for a wrong shape. */
int qemu_caps_to_json_object(const QemuCaps *caps, json_object **ret);
int qemu_caps_from_json_object(json_object *o, QemuCaps **ret);

/* Adds v (consumed; NULL is -ENOMEM) under key. */
int caps_json_add(json_object *o, const char *key, json_object *v);
/* Typed getters: a missing key leaves *ret alone (0), a key of the wrong
 * type is -EBADMSG. */
int caps_json_get_str(json_object *o, const char *key, char **ret);
int caps_json_get_bool(json_object *o, const char *key, bool *ret);
/* A JSON array of strings, or of objects whose "name" is taken. */
int caps_json_to_strv(json_object *a, char ***ret);
/* Both our cache form and query-machines: "name", "alias", and
 * "default"/"max_cpus" or "is-default"/"cpu-max". */
int caps_machines_from_json(json_object *a, QemuMachine **ret, size_t *ret_n);
