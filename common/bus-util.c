/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-util.h"
#include "error.h"
#include "util.h"
#include "uuid.h"

size_t bus_path_uuid_size(const char *root, const char *kind) {
        return strlen(root) + strlen(kind) + UUID_STRING_MAX + 3; /* "/", "/_" */
}

void bus_path_format_uuid_str(char *buf, const char *root, const char *kind, const char *uuid_str) {
        char *p = stpcpy(buf, root);

        *p++ = '/';
        p = stpcpy(p, kind);
        p = stpcpy(p, "/_");
        memcpy(p, uuid_str, UUID_STRING_MAX); /* the dashes are at 8, 13, 18 and 23 */
        p[8] = p[13] = p[18] = p[23] = '_';
}

char *bus_path_from_uuid_str(const char *root, const char *kind, const char *uuid_str) {
        /* not asprintf: a start makes one per defined domain */
        char *r = malloc(bus_path_uuid_size(root, kind));

        if (r)
                bus_path_format_uuid_str(r, root, kind, uuid_str);
        return r;
}

char *bus_path_from_uuid(const char *root, const char *kind, const uint8_t uuid[16]) {
        char buf[UUID_STRING_MAX];

        return bus_path_from_uuid_str(root, kind, uuid_format(uuid, buf));
}

int bus_path_to_uuid(const char *path, const char *prefix, uint8_t uuid[16]) {
        size_t n = strlen(prefix);
        char buf[UUID_STRING_MAX];

        if (strncmp(path, prefix, n) != 0 || path[n] != '/' || path[n + 1] != '_')
                return -EINVAL;
        path += n + 2;
        if (strlen(path) != 36)
                return -EINVAL;
        for (size_t i = 0; i < 36; i++)
                buf[i] = path[i] == '_' ? '-' : path[i];
        buf[36] = 0;
        return uuid_parse(buf, uuid);
}

static bool is_alnum(unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char *bus_label_escape(const char *s) {
        static const char hex[] = "0123456789abcdef";
        char *r = malloc(strlen(s) * 3 + 1), *p = r;

        if (!r)
                return NULL;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (is_alnum(*c)) {
                        *p++ = (char) *c;
                        continue;
                }
                *p++ = '_';
                *p++ = hex[*c >> 4];
                *p++ = hex[*c & 15];
        }
        *p = 0;
        return r;
}

char *bus_label_unescape(const char *s) {
        char *r = malloc(strlen(s) + 1), *p = r;

        if (!r)
                return NULL;
        while (*s) {
                int hi, lo;

                /* A '_' without two hex digits after it stands for itself. */
                if (*s == '_' && (hi = unhexchar(s[1])) >= 0 && (lo = unhexchar(s[2])) >= 0) {
                        *p++ = (char) (hi << 4 | lo);
                        s += 3;
                } else
                        *p++ = *s++;
        }
        *p = 0;
        return r;
}

int bus_add_object_kind(sd_bus *bus, const char *root, const char *kind, const char *interface,
                        const sd_bus_vtable *vtable, sd_bus_object_find_t find,
                        sd_bus_node_enumerator_t enumerate, void *userdata) {
        _cleanup_free_ char *prefix = NULL;
        int r;

        if (asprintf(&prefix, "%s/%s", root, kind) < 0)
                return -ENOMEM;
        r = sd_bus_add_fallback_vtable(bus, NULL, prefix, interface, vtable, find, userdata);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(bus, NULL, prefix, enumerate, userdata);
}

int bus_reply_object_path(sd_bus_message *m, const char *path) {
        return sd_bus_reply_method_return(m, "o", path);
}

int bus_check_flags(uint32_t flags, uint32_t allowed, sd_bus_error *error) {
        if (flags & ~allowed)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported flags (0x%x)", flags & ~allowed);
        return 0;
}

int bus_read_flags(sd_bus_message *m, uint32_t allowed, uint32_t *ret, sd_bus_error *error) {
        int r = sd_bus_message_read(m, "u", ret);

        if (r < 0)
                return r;
        return bus_check_flags(*ret, allowed, error);
}

int bus_read_uuid(sd_bus_message *m, const char **ret_str, uint8_t uuid[16], sd_bus_error *error) {
        int r = sd_bus_message_read(m, "s", ret_str);

        if (r < 0)
                return r;
        if (uuid_parse(*ret_str, uuid) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid UUID '%s'", *ret_str);
        return 0;
}

int bus_reply_object_list(sd_bus_message *m, void *const *items, size_t n, bus_list_fn listed, uint32_t flags) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "o");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const char *path = listed(items[i], flags);

                if (path)
                        r = sd_bus_message_append_basic(reply, 'o', path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
