/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The snapshot tree on disk: one file per snapshot, read on each call
 * (domain-snapshot.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-util.h"
#include "domain-driver.h"
#include "domain-manager.h"
#include "domain-snapshot.h"
#include "error.h"
#include "log.h"
#include "util.h"

#define SNAPSHOT_FILE_MAX (8u * 1024 * 1024)

static char *snapshot_dir(const Domain *d) {
        char *p = NULL;

        if (asprintf(&p, "%s/snapshot/%s", d->manager->confdir, domain_name(d)) < 0)
                return NULL;
        return p;
}

static char *snapshot_file(const Domain *d, const char *name) {
        char *p = NULL;

        if (asprintf(&p, "%s/snapshot/%s/%s.xml", d->manager->confdir, d->def->name, name) < 0)
                return NULL;
        return p;
}

int snapshot_not_found(const Domain *d, const char *name, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_NO_DOMAIN_SNAPSHOT,
                             "Domain snapshot not found: no domain snapshot with matching name '%s' in domain '%s'",
                             name, d->def->name);
}

static int read_one(const char *path, DomainSnapshotDef **ret) {
        _cleanup_free_ char *xml = NULL;
        ConfError err = {};
        size_t len;
        int r = read_full_file(path, SNAPSHOT_FILE_MAX, &xml, &len);

        if (r < 0)
                return r;
        r = domain_snapshot_def_parse(xml, len, ret, &err);
        if (r < 0)
                log_warning("snapshot file %s: %s", path, err.message);
        return r;
}

void snapshot_list_done(SnapshotList *l) {
        for (size_t i = 0; i < l->n; i++)
                domain_snapshot_def_free(l->items[i]);
        l->items = mfree(l->items);
        l->n = 0;
}

static int by_time(const void *a, const void *b) {
        const DomainSnapshotDef *x = *(DomainSnapshotDef *const *) a, *y = *(DomainSnapshotDef *const *) b;

        if (x->creation_time != y->creation_time)
                return x->creation_time < y->creation_time ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* Sorted by creation time: parents before their children. */
int domain_snapshot_list_load(const Domain *d, SnapshotList *ret) {
        _cleanup_free_ char *dir = snapshot_dir(d);
        _cleanup_(closedirp) DIR *dh = NULL;
        SnapshotList l = {};
        struct dirent *de;

        *ret = (SnapshotList) {};
        if (!dir)
                return -ENOMEM;
        dh = opendir(dir);
        if (!dh)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(dh))) {
                _cleanup_free_ char *path = NULL;
                DomainSnapshotDef *def = NULL, **items;

                if (de->d_name[0] == '.' || !endswith(de->d_name, ".xml"))
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0 || read_one(path, &def) < 0 || !def->name)
                        continue;
                items = reallocarray(l.items, l.n + 1, sizeof(*items));
                if (!items) {
                        domain_snapshot_def_free(def);
                        snapshot_list_done(&l);
                        return -ENOMEM;
                }
                l.items = items;
                l.items[l.n++] = def;
        }
        if (l.n > 1)
                qsort(l.items, l.n, sizeof(*l.items), by_time);
        *ret = l;
        return 0;
}

DomainSnapshotDef *snapshot_list_find(const SnapshotList *l, const char *name) {
        for (size_t i = 0; name && i < l->n; i++)
                if (streq(l->items[i]->name, name))
                        return l->items[i];
        return NULL;
}

DomainSnapshotDef *snapshot_list_current(const SnapshotList *l) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i]->active == 1)
                        return l->items[i];
        return NULL;
}

size_t snapshot_list_n_children(const SnapshotList *l, const char *name) {
        size_t n = 0;

        for (size_t i = 0; i < l->n; i++)
                if (l->items[i]->parent && streq(l->items[i]->parent, name))
                        n++;
        return n;
}

bool snapshot_list_is_descendant(const SnapshotList *l, const DomainSnapshotDef *a, const DomainSnapshotDef *b) {
        /* Bounded walk: a broken file naming a loop ends here too. */
        for (size_t steps = 0; a && steps <= l->n; steps++) {
                if (a == b)
                        return true;
                a = snapshot_list_find(l, a->parent);
        }
        return false;
}

int domain_snapshot_load(const Domain *d, const char *name, DomainSnapshotDef **ret, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!name[0] || name[0] == '.' || strchr(name, '/'))
                return snapshot_not_found(d, name, error);
        path = snapshot_file(d, name);
        if (!path)
                return -ENOMEM;
        r = read_one(path, ret);
        if (r == -ENOENT)
                return snapshot_not_found(d, name, error);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot read snapshot file %s: %s", path,
                                     strerror(-r));
        return 0;
}

int domain_snapshot_write(const Domain *d, const DomainSnapshotDef *def) {
        _cleanup_free_ char *dir = snapshot_dir(d), *path = snapshot_file(d, def->name), *xml = NULL;
        int r;

        if (!dir || !path)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        r = domain_snapshot_def_format(def, DOMAIN_SNAPSHOT_FORMAT_INTERNAL, &xml);
        if (r < 0)
                return r;
        return write_file_atomic(path, xml, strlen(xml), 0600);
}

int domain_snapshot_unlink(const Domain *d, const char *name) {
        _cleanup_free_ char *path = snapshot_file(d, name), *dir = snapshot_dir(d);

        if (!path || !dir)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        (void) rmdir(dir); /* the last one takes the folder with it */
        return 0;
}

size_t domain_snapshot_count(const Domain *d) {
        _cleanup_(snapshot_list_done) SnapshotList l = {};

        if (domain_snapshot_list_load(d, &l) < 0)
                return 0;
        return l.n;
}

int domain_snapshot_set_current(const Domain *d, const char *name) {
        _cleanup_(snapshot_list_done) SnapshotList l = {};
        int r = domain_snapshot_list_load(d, &l);

        for (size_t i = 0; r >= 0 && i < l.n; i++) {
                DomainSnapshotDef *s = l.items[i];
                int want = name && streq(s->name, name);
                if (s->active == want)
                        continue;
                s->active = want;
                r = domain_snapshot_write(d, s);
        }
        return r;
}

int domain_snapshot_forget(const Domain *d, const char *name) {
        _cleanup_(snapshot_list_done) SnapshotList l = {};
        const DomainSnapshotDef *self;
        bool current;
        int r = domain_snapshot_list_load(d, &l);

        if (r < 0)
                return r;
        self = snapshot_list_find(&l, name);
        if (!self)
                return 0;
        current = self->active == 1;
        for (size_t i = 0; i < l.n; i++) {
                DomainSnapshotDef *c = l.items[i];
                if (!c->parent || !streq(c->parent, name))
                        continue;
                free(c->parent);
                c->parent = self->parent ? strdup(self->parent) : NULL;
                if (self->parent && !c->parent)
                        return -ENOMEM;
                r = domain_snapshot_write(d, c);
                if (r < 0)
                        return r;
        }
        r = domain_snapshot_unlink(d, name);
        if (r >= 0 && current && self->parent)
                r = domain_snapshot_set_current(d, self->parent);
        return r;
}

char *domain_snapshot_path(const Domain *d, const char *name) {
        _cleanup_free_ char *base = bus_path_from_uuid(d->manager->driver->root, "domainsnapshot", d->uuid);
        _cleanup_free_ char *label = bus_label_escape(name);
        char *p = NULL;

        if (!base || !label)
                return NULL;
        if (asprintf(&p, "%s_%s", base, label) < 0)
                return NULL;
        return p;
}

int domain_snapshot_from_path(Manager *m, const char *path, Domain **ret_d, char **ret_name) {
        _cleanup_free_ char *prefix = NULL, *head = NULL;
        const char *rest;
        uint8_t uuid[16];
        Domain *d;

        if (asprintf(&prefix, "%s/domainsnapshot/", m->driver->root) < 0)
                return -ENOMEM;
        rest = strncmp(path, prefix, strlen(prefix)) == 0 ? path + strlen(prefix) : NULL;
        /* "_" + 36 characters of uuid, "_", at least one of the name. */
        if (!rest || strlen(rest) < 39 || rest[37] != '_')
                return 0;
        if (asprintf(&head, "%.*s", (int) (strlen(prefix) + 37), path) < 0)
                return -ENOMEM;
        prefix[strlen(prefix) - 1] = 0;
        if (bus_path_to_uuid(head, prefix, uuid) < 0)
                return 0;
        d = manager_find_by_uuid(m, uuid);
        if (!d)
                return 0;
        *ret_name = bus_label_unescape(rest + 38);
        if (!*ret_name)
                return -ENOMEM;
        *ret_d = d;
        return 1;
}

int domain_undefine_check_snapshots(Domain *d, unsigned flags, sd_bus_error *error) {
        size_t n;

        if (domain_is_active(d) || (flags & DOMAIN_UNDEFINE_SNAPSHOTS_METADATA))
                return 0;
        n = domain_snapshot_count(d);
        if (n == 0)
                return 0;
        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                             "Requested operation is not valid: cannot delete inactive domain with %zu snapshots", n);
}

int domain_undefine_snapshots(Domain *d, unsigned flags) {
        _cleanup_(snapshot_list_done) SnapshotList l = {};
        int r;

        if (domain_is_active(d) || !(flags & DOMAIN_UNDEFINE_SNAPSHOTS_METADATA))
                return 0;
        r = domain_snapshot_list_load(d, &l);
        for (size_t i = 0; r >= 0 && i < l.n; i++)
                r = domain_snapshot_unlink(d, l.items[i]->name);
        return r;
}
