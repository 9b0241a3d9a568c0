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
                free(t->entries[i].label);
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

static void entry_done(InUseEntry *e) {
        free(e->owner);
        free(e->key);
        free(e->label);
}

/* Takes owner, key and label (NULL or a string), even on failure. */
static int add(InUseTable *t, char *owner, char *key, char *label) {
        InUseEntry *a = realloc(t->entries, (t->n + 1) * sizeof(*a));

        if (!a) {
                free(owner);
                free(key);
                free(label);
                return -ENOMEM;
        }
        t->entries = a;
        t->entries[t->n++] = (InUseEntry) { .owner = owner, .key = key, .label = label };
        return 0;
}

/* One line per entry, its fields escaped the way bus labels are, so that
 * any byte in an owner or a path survives; the label, when there is one,
 * third (files without it read as before). */
static int save(InUseTable *t) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                _cleanup_free_ char *o = bus_label_escape(t->entries[i].owner);
                _cleanup_free_ char *k = bus_label_escape(t->entries[i].key);
                _cleanup_free_ char *l = t->entries[i].label ? bus_label_escape(t->entries[i].label) : NULL;
                if (!o || !k || (t->entries[i].label && !l)) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "%s %s%s%s\n", o, k, l ? " " : "", l ? l : "");
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
                char *sp = strchr(l, ' '), *sp2;
                char *owner, *key, *label = NULL;

                if (!sp)
                        continue;
                *sp = 0;
                sp2 = strchr(sp + 1, ' ');
                if (sp2) {
                        *sp2 = 0;
                        label = bus_label_unescape(sp2 + 1);
                }
                owner = bus_label_unescape(l);
                key = bus_label_unescape(sp + 1);
                if (!owner || !key || (sp2 && !label) || !inuse_owner_is_valid(owner)) {
                        free(owner);
                        free(key);
                        free(label);
                        continue;
                }
                r = add(t, owner, key, label);
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

        entry_done(&e);
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
                entry_done(&old);
                return 1;
        }
        char *o = strdup(owner), *k = strdup(key);
        if (!o || !k) {
                free(o);
                free(k);
                return -ENOMEM;
        }
        r = add(t, o, k, NULL);
        if (r >= 0 && (r = save(t)) < 0)
                remove_at(t, t->n - 1);
        return r < 0 ? r : 1;
}

const char *inuse_owner_of(const InUseTable *t, const char *key) {
        ssize_t i = find(t, NULL, key);
        return i >= 0 ? t->entries[i].owner : NULL;
}

bool inuse_owner_uses(const InUseTable *t, const char *owner, const char *key) {
        return find(t, owner, key) >= 0;
}

const InUseEntry *inuse_entry_of(const InUseTable *t, const char *key) {
        ssize_t i = find(t, NULL, key);
        return i >= 0 ? &t->entries[i] : NULL;
}

/* Whether owner's entries are exactly keys, with that label. */
static bool owner_has_exactly(const InUseTable *t, const char *owner, const char *label, char *const *keys,
                              size_t n) {
        size_t have = 0;

        for (size_t i = 0; i < t->n; i++)
                if (streq(t->entries[i].owner, owner)) {
                        if (!streq_ptr(t->entries[i].label, label))
                                return false;
                        have++;
                }
        if (have != n)
                return false;
        for (size_t k = 0; k < n; k++)
                if (find(t, owner, keys[k]) < 0)
                        return false;
        return true;
}

static bool listed_before(char *const *keys, size_t k) {
        for (size_t j = 0; j < k; j++)
                if (streq(keys[j], keys[k]))
                        return true;
        return false;
}

/* A new array: the entries of other owners (shared with the old one) and
 * owner's new ones, so that the old array stays whole until it is saved. */
int inuse_replace_owner(InUseTable *t, const char *owner, const char *label, char *const *keys, size_t n) {
        InUseEntry *a, *old = t->entries;
        size_t m = 0, n_old = t->n, n_shared;
        int r = 0;

        if (owner_has_exactly(t, owner, label, keys, n))
                return 0;
        a = calloc(t->n + n + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++)
                if (!streq(t->entries[i].owner, owner))
                        a[m++] = t->entries[i];
        n_shared = m;
        for (size_t k = 0; k < n; k++) {
                if (listed_before(keys, k))
                        continue;
                a[m] = (InUseEntry) { .owner = strdup(owner), .key = strdup(keys[k]),
                                      .label = label ? strdup(label) : NULL };
                if (!a[m].owner || !a[m].key || (label && !a[m].label)) {
                        entry_done(&a[m]);
                        r = -ENOMEM;
                        break;
                }
                m++;
        }
        if (r >= 0) {
                t->entries = a;
                t->n = m;
                r = save(t);
        }
        if (r < 0) {
                t->entries = old;
                t->n = n_old;
                for (size_t i = n_shared; i < m; i++)
                        entry_done(&a[i]);
                free(a);
                return r;
        }
        for (size_t i = 0; i < n_old; i++)
                if (streq(old[i].owner, owner))
                        entry_done(&old[i]);
        free(old);
        return 1;
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
        for (size_t i = 0; i < n; i++)
                entry_done(&taken[i]);
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
