/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>

#include "bus-util.h"
#include "inuse.h"
#include "log.h"
#include "util.h"

#define LOCKD_TIMEOUT_USEC (2 * 1000000ULL)

bool inuse_owner_is_valid(const char *owner) {
        size_t n = owner ? strlen(owner) : 0;

        if (n == 0 || n > 255)
                return false;
        for (const unsigned char *c = (const unsigned char *) owner; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        return false;
        return true;
}

static void entries_free(InUseTable *t) {
        for (size_t i = 0; i < t->n; i++) {
                free(t->entries[i].owner);
                free(t->entries[i].key);
        }
        free(t->entries);
        t->entries = NULL;
        t->n = 0;
}

void inuse_done(InUseTable *t) {
        entries_free(t);
        free(t->file);
        t->file = NULL;
}

static int add(InUseTable *t, char *owner, char *key) {
        InUseEntry *a = realloc(t->entries, (t->n + 1) * sizeof(*a));

        if (!a) {
                free(owner);
                free(key);
                return -ENOMEM;
        }
        t->entries = a;
        t->entries[t->n++] = (InUseEntry) { .owner = owner, .key = key };
        return 0;
}

/* One line per entry, both fields escaped the way bus labels are, so that
 * any byte in an owner or a path survives. */
static int save(InUseTable *t) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                _cleanup_free_ char *o = bus_label_escape(t->entries[i].owner);
                _cleanup_free_ char *k = bus_label_escape(t->entries[i].key);
                if (!o || !k) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "%s %s\n", o, k);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        return write_file_atomic(t->file, text, size, 0600);
}

int inuse_init(InUseTable *t, const char *file) {
        _cleanup_free_ char *text = NULL;
        char *save_ptr = NULL;
        int r;

        *t = (InUseTable) { .file = strdup(file) };
        if (!t->file)
                return -ENOMEM;
        r = read_full_file(file, 0, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (char *l = strtok_r(text, "\n", &save_ptr); l; l = strtok_r(NULL, "\n", &save_ptr)) {
                char *sp = strchr(l, ' ');
                char *owner, *key;

                if (!sp)
                        continue;
                *sp = 0;
                owner = bus_label_unescape(l);
                key = bus_label_unescape(sp + 1);
                if (!owner || !key || !inuse_owner_is_valid(owner)) {
                        free(owner);
                        free(key);
                        continue;
                }
                r = add(t, owner, key);
                if (r < 0)
                        return r;
        }
        return 0;
}

static ssize_t find(const InUseTable *t, const char *owner, const char *key) {
        for (size_t i = 0; i < t->n; i++)
                if ((!owner || streq(t->entries[i].owner, owner)) && streq(t->entries[i].key, key))
                        return (ssize_t) i;
        return -1;
}

/* Takes entry i out of the table; the caller owns its strings. */
static InUseEntry take_at(InUseTable *t, size_t i) {
        InUseEntry e = t->entries[i];

        memmove(t->entries + i, t->entries + i + 1, (t->n - i - 1) * sizeof(*t->entries));
        t->n--;
        return e;
}

static void remove_at(InUseTable *t, size_t i) {
        InUseEntry e = take_at(t, i);

        free(e.owner);
        free(e.key);
}

/* Puts taken entries back, in place of a change that could not be saved
 * (the table in memory stays what the file says). The table had room for
 * them: this cannot fail. */
static void put_back(InUseTable *t, InUseEntry *taken, size_t n) {
        memcpy(t->entries + t->n, taken, n * sizeof(*taken));
        t->n += n;
}

int inuse_set(InUseTable *t, const char *owner, const char *key, bool inuse) {
        ssize_t i = find(t, owner, key);
        InUseEntry old;
        int r;

        if ((i >= 0) == inuse)
                return 0;
        if (!inuse) {
                old = take_at(t, (size_t) i);
                r = save(t);
                if (r < 0) {
                        put_back(t, &old, 1);
                        return r;
                }
                free(old.owner);
                free(old.key);
                return 1;
        }
        char *o = strdup(owner), *k = strdup(key);
        if (!o || !k) {
                free(o);
                free(k);
                return -ENOMEM;
        }
        r = add(t, o, k);
        if (r >= 0 && (r = save(t)) < 0)
                remove_at(t, t->n - 1);
        return r < 0 ? r : 1;
}

const char *inuse_owner_of(const InUseTable *t, const char *key) {
        ssize_t i = find(t, NULL, key);
        return i >= 0 ? t->entries[i].owner : NULL;
}

int inuse_release_owner(InUseTable *t, const char *owner) {
        _cleanup_free_ InUseEntry *taken = calloc(t->n + 1, sizeof(*taken));
        size_t n = 0;
        int r;

        if (!taken)
                return -ENOMEM;
        for (size_t i = t->n; i-- > 0;)
                if (streq(t->entries[i].owner, owner))
                        taken[n++] = take_at(t, i);
        if (n == 0)
                return 0;
        r = save(t);
        if (r < 0) {
                put_back(t, taken, n);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                free(taken[i].owner);
                free(taken[i].key);
        }
        return (int) MIN(n, (size_t) INT_MAX);
}

void inuse_forget_key(InUseTable *t, const char *key) {
        bool changed = false;

        for (size_t i = t->n; i-- > 0;)
                if (streq(t->entries[i].key, key)) {
                        remove_at(t, i);
                        changed = true;
                }
        /* The volume is gone already: nothing to undo, and no caller to tell. */
        if (changed && save(t) < 0)
                log_error("Cannot save %s: the deleted volume's users stay listed until it is saved again.",
                          t->file);
}

/* ---- lockd ------------------------------------------------------------------ */

typedef struct LeaseQuery {
        char *path;
        char *real;       /* the path with its symlinks resolved, if it exists */
        lease_holder_fn cb;
        void *userdata;
} LeaseQuery;

static void lease_query_free(void *p) {
        LeaseQuery *q = p;

        free(q->path);
        free(q->real);
        free(q);
}

static bool same_resource(const LeaseQuery *q, const char *resource) {
        char buf[PATH_MAX];

        if (streq(resource, q->path))
                return true;
        return q->real && realpath(resource, buf) && streq(buf, q->real);
}

static int on_leases(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        LeaseQuery *q = userdata;
        const char *res, *uuid, *name, *file;
        uint32_t pid, flags;
        char holder[512];

        if (sd_bus_message_is_method_error(m, NULL)) {
                log_debug("No lease check for %s: %s", q->path, sd_bus_message_get_error(m)->message);
                q->cb(NULL, q->userdata);
                return 1;
        }
        if (sd_bus_message_enter_container(m, 'a', "(sssuus)") < 0)
                goto none;
        while (sd_bus_message_read(m, "(sssuus)", &res, &uuid, &name, &pid, &flags, &file) > 0)
                if (same_resource(q, res)) {
                        snprintf(holder, sizeof(holder), "owner '%s' (uuid %s, pid %u) holding a lease in lockd",
                                 name, uuid, pid);
                        q->cb(holder, q->userdata);
                        return 1;
                }
none:
        q->cb(NULL, q->userdata);
        return 1;
}

int lease_holder_async(sd_bus *bus, const char *path, lease_holder_fn cb, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        LeaseQuery *q = calloc(1, sizeof(*q));
        sd_bus_slot *slot = NULL;
        char buf[PATH_MAX];
        int r;

        if (!q)
                return -ENOMEM;
        *q = (LeaseQuery) { .path = strdup(path), .real = realpath(path, buf) ? strdup(buf) : NULL, .cb = cb,
                            .userdata = userdata };
        if (!q->path) {
                lease_query_free(q);
                return -ENOMEM;
        }
        r = sd_bus_message_new_method_call(bus, &call, "org.virtbus.lockd", "/org/virtbus/lockd",
                                           "org.virtbus.Lock1", "ListLeases");
        /* A lockd that is not running holds no lease: do not start one. */
        if (r >= 0)
                r = sd_bus_message_set_auto_start(call, false);
        if (r >= 0)
                r = sd_bus_call_async(bus, &slot, call, on_leases, q, LOCKD_TIMEOUT_USEC);
        if (r < 0) {
                lease_query_free(q);
                return r;
        }
        sd_bus_slot_set_destroy_callback(slot, lease_query_free);
        sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return 0;
}
