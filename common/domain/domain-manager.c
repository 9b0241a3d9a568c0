/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "bus-util.h"
#include "def-dir.h"
#include "domain-index.h"
#include "domain-load.h"
#include "domain-lock.h"
#include "domain-log.h"
#include "domain-manager.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "ptr-array.h"
#include "util.h"
#include "xml-util.h"

int manager_new(sd_event *event, sd_bus *bus, const char *root, const DomainDriver *driver, Manager **ret) {
        Manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->driver = driver;
        m->event = sd_event_ref(event);
        m->bus = sd_bus_ref(bus);
        m->next_id = 1;
        m->job_timeout_usec = domain_job_timeout_from_env();
        r = sync_batch_new(event, &m->syncs);
        if (r < 0)
                goto fail;
        r = vb_paths_init(&m->paths, root);
        if (r < 0)
                goto fail;
        if ((r = vb_paths_make_dir(m->paths.confdir, driver->dir, &m->confdir)) < 0 ||
            (r = vb_paths_make_dir(m->confdir, "autostart", &m->autostartdir)) < 0 ||
            (r = vb_paths_make_dir(m->paths.rundir, driver->dir, &m->rundir)) < 0 ||
            (r = vb_paths_make_dir(m->paths.logdir, driver->dir, &m->logdir)) < 0)
                goto fail;
        if (asprintf(&m->index_path, "%s/%s/definitions.index", m->paths.statedir, driver->dir) < 0 ||
            asprintf(&m->domain_root, "%s/domain", driver->root) < 0) {
                r = -ENOMEM;
                goto fail;
        }
        if (driver->manager_init && (r = driver->manager_init(m)) < 0)
                goto fail;
        *ret = m;
        return 0;
fail:
        manager_free(m);
        return r;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* Answers the defines still waiting, while their domains exist. */
        m->syncs = sync_batch_free(m->syncs);
        domain_index_flush(m);
        sd_event_source_disable_unref(m->index_timer);
        sd_event_source_disable_unref(m->verify);
        free(m->index_path);
        for (size_t i = 0; i < m->n_domains; i++)
                domain_free(m->domains[i]);
        free(m->domains);
        domain_arena_done(&m->stub_arena);
        if (m->driver->manager_done)
                m->driver->manager_done(m);
        free(m->confdir);
        free(m->autostartdir);
        free(m->rundir);
        free(m->logdir);
        free(m->domain_root);
        vb_paths_done(&m->paths);
        sd_bus_flush_close_unref(m->lockd_peer);
        sd_bus_slot_unref(m->lockd_watch);
        sd_bus_slot_unref(m->logd_watch);
        sd_bus_unref(m->bus);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

/* A domain that takes the name or uuid of a broken one replaces it. */
static void drop_broken(Manager *m, const Domain *d) {
        for (size_t i = m->n_domains; i > 0; i--) {
                Domain *o = m->domains[i - 1];

                if (o != d && o->broken &&
                    (memcmp(o->uuid, d->uuid, 16) == 0 || streq(domain_name(o), domain_name(d)))) {
                        manager_remove_domain(m, o);
                        domain_free(o);
                }
        }
}

int manager_add_domain(Manager *m, Domain *d) {
        int r = ptr_array_grow((void ***) &m->domains, m->n_domains, &m->n_allocated);

        if (r < 0)
                return r;
        m->domains[m->n_domains++] = d;
        if (m->n_broken > 0 && !d->broken)
                drop_broken(m, d);
        return 0;
}

void manager_remove_domain(Manager *m, Domain *d) {
        if (!ptr_array_remove((void **) m->domains, &m->n_domains, d))
                return;
        m->n_unverified -= d->unverified;
        m->n_broken -= d->broken;
        d->unverified = d->broken = false;
}

/* Not found, or parsed (a failure is logged by manager_load_def()). */
static Domain *loaded(Manager *m, Domain *d) {
        return d && manager_load_def(m, d, NULL) >= 0 ? d : NULL;
}

Domain *manager_find_by_name(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (!m->domains[i]->broken && streq(domain_name(m->domains[i]), name))
                        return loaded(m, m->domains[i]);
        return NULL;
}

Domain *manager_peek_by_name(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (streq(domain_name(m->domains[i]), name))
                        return m->domains[i];
        return NULL;
}

Domain *manager_peek_by_uuid(Manager *m, const uint8_t uuid[16]) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (memcmp(m->domains[i]->uuid, uuid, 16) == 0)
                        return m->domains[i];
        return NULL;
}

Domain *manager_find_by_uuid(Manager *m, const uint8_t uuid[16]) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (!m->domains[i]->broken && memcmp(m->domains[i]->uuid, uuid, 16) == 0)
                        return loaded(m, m->domains[i]);
        return NULL;
}

Domain *manager_find_by_id(Manager *m, int id) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (domain_is_active(m->domains[i]) && m->domains[i]->id == id)
                        return m->domains[i];
        return NULL;
}

Domain *manager_find_by_path(Manager *m, const char *path) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (!m->domains[i]->broken && streq(m->domains[i]->path, path))
                        return loaded(m, m->domains[i]);
        return NULL;
}

int manager_allocate_id(Manager *m) {
        int id = m->next_id++;

        if (m->next_id <= 0)
                m->next_id = 1;
        return id;
}

bool manager_is_busy(void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_domains; i++)
                if (domain_is_active(m->domains[i]))
                        return true;
        return m->driver->is_busy && m->driver->is_busy(m);
}

/* Loading: a hash index of the definitions loaded so far, by name and by
 * uuid, so that the duplicate check is not a scan of every domain before
 * it (1,000 definitions: half a million compares), and the autostart
 * directory read once instead of one access() per definition. */
typedef struct LoadIndex {
        Manager *m;
        Domain **by_name, **by_uuid; /* open addressing, capacity mask + 1 */
        size_t mask, n;
        int confdir_fd;    /* or -1: open by path */
        char **autostart;  /* sorted names, or NULL: ask def_dir_has() */
        size_t n_autostart;
        DomainIndex index; /* what the last run knew (domain-index.h) */
        size_t n_indexed;  /* its entries whose file is unchanged */
        bool stale;        /* a file the index does not know as it is */
} LoadIndex;

static uint64_t hash_bytes(const void *p, size_t len) {
        const uint8_t *b = p;
        uint64_t h = 14695981039346656037ULL; /* FNV-1a */

        for (size_t i = 0; i < len; i++)
                h = (h ^ b[i]) * 1099511628211ULL;
        return h;
}

static Domain **slot_by_name(LoadIndex *x, const char *name) {
        size_t i = hash_bytes(name, strlen(name)) & x->mask;

        while (x->by_name[i] && !streq(domain_name(x->by_name[i]), name))
                i = (i + 1) & x->mask;
        return &x->by_name[i];
}

static Domain **slot_by_uuid(LoadIndex *x, const uint8_t uuid[16]) {
        size_t i = hash_bytes(uuid, 16) & x->mask;

        while (x->by_uuid[i] && memcmp(x->by_uuid[i]->uuid, uuid, 16) != 0)
                i = (i + 1) & x->mask;
        return &x->by_uuid[i];
}

/* Makes room for more: kept at most 3/4 full (linear probing stays short,
 * and 10,000 domains fit 16,384 slots: each page of the table is a fault). */
static int load_index_reserve_n(LoadIndex *x, size_t more) {
        _cleanup_free_ Domain **old_name = NULL, **old_uuid = NULL;
        size_t old_size = x->by_name ? x->mask + 1 : 0, size;

        if ((x->n + more) * 4 <= old_size * 3)
                return 0;
        size = MAX(old_size * 2, (size_t) 256);
        while ((x->n + more) * 4 > size * 3)
                size *= 2;
        old_name = TAKE_PTR(x->by_name);
        old_uuid = TAKE_PTR(x->by_uuid);
        x->by_name = calloc(size, sizeof(Domain *));
        x->by_uuid = calloc(size, sizeof(Domain *));
        if (!x->by_name || !x->by_uuid)
                return -ENOMEM;
        x->mask = size - 1;
        for (size_t i = 0; i < old_size; i++) {
                if (old_name[i])
                        *slot_by_name(x, domain_name(old_name[i])) = old_name[i];
                if (old_uuid[i])
                        *slot_by_uuid(x, old_uuid[i]->uuid) = old_uuid[i];
        }
        return 0;
}

static int load_index_reserve(LoadIndex *x) {
        return load_index_reserve_n(x, 1);
}

static void load_index_done(LoadIndex *x) {
        free(x->by_name);
        free(x->by_uuid);
        strv_free(x->autostart);
        domain_index_done(&x->index);
        if (x->confdir_fd >= 0)
                close(x->confdir_fd);
}

static int load_autostart(LoadIndex *x, const char *name) {
        /* A listed name is still asked: a dangling link is not autostart. */
        if (x->autostart && !def_dir_listed(x->autostart, x->n_autostart, name))
                return 0;
        return def_dir_has(x->m->autostartdir, name);
}

/* d, known by name and uuid, into the table. */
static int load_add(LoadIndex *x, Domain *d, const char *path) {
        Domain **name_slot, **uuid_slot;
        int r = load_index_reserve(x);

        if (r < 0)
                goto fail;
        name_slot = slot_by_name(x, domain_name(d));
        uuid_slot = slot_by_uuid(x, d->uuid);
        if (*name_slot || *uuid_slot) {
                r = log_warning_errno(EEXIST, "Ignoring %s%s%s: name or uuid already defined",
                                      path[0] == '/' ? "" : x->m->confdir, path[0] == '/' ? "" : "/", path);
                goto fail;
        }
        d->persistent = true;
        r = load_autostart(x, domain_name(d));
        if (r < 0)
                goto fail;
        d->autostart = r > 0;
        r = manager_add_domain(x->m, d);
        if (r < 0)
                goto fail;
        *name_slot = *uuid_slot = d;
        x->n++;
        return 0;
fail:
        domain_free(d);
        return r;
}

/* A file the index knows under this inode: a domain without its definition
 * yet, its size and mtime asked after the start (domain-load.h). */
static int load_stub(LoadIndex *x, const char *file, const DomainIndexEntry *e) {
        Domain *d;
        int r = domain_new_stub(x->m, e->name, e->name_len, e->uuid, &d);

        if (r < 0)
                return r;
        d->conf_stat = e->st;
        r = load_add(x, d, file);
        if (r < 0)
                return r;
        d->unverified = true;
        x->m->n_unverified++;
        x->n_indexed++;
        return 0;
}

static int load_config(void *userdata, const char *file, uint64_t ino) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        LoadIndex *x = userdata;
        Manager *m = x->m;
        const DomainIndexEntry *e = domain_index_find(&x->index, file);
        ConfError err = {};
        DefFileStat st;
        Domain *d;
        int r;

        /* no stat here: 10,000 of them take longer than the whole start should */
        if (e && e->st.ino == ino)
                return load_stub(x, file, e);
        x->stale = true;
        r = manager_read_definition(m, x->confdir_fd, file, &path, &def, &st, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return log_warning_errno(r, "Ignoring %s: %s", path ? path : file, err.message);
        r = domain_new(m, TAKE_PTR(def), &d);
        if (r < 0)
                return r;
        d->conf_stat = st;
        return load_add(x, d, path);
}

/* Room for the domains the index lists, in one block (domain-arena.h);
 * without it each is allocated alone. */
static void reserve_stubs(Manager *m, const DomainIndex *x) {
        /* each: the Domain, the padding before the next one, its path and name */
        size_t per = sizeof(Domain) + _Alignof(Domain) + bus_path_uuid_size(m->driver->root, "domain"), size = 0;

        if (x->n == 0 || m->stub_arena.base)
                return;
        for (size_t i = 0; i < x->n; i++)
                size += per + x->entries[i].name_len + 1;
        (void) domain_arena_reserve(&m->stub_arena, size);
}

/* Every definition of confdir, as domains. */
static int load_configs(Manager *m) {
        LoadIndex x = { .m = m, .confdir_fd = open(m->confdir, O_PATH | O_DIRECTORY | O_CLOEXEC) };
        int r;

        /* Without the listing, each definition asks the directory itself. */
        if (def_dir_list_names(m->autostartdir, &x.autostart) == -ENOMEM) {
                load_index_done(&x);
                return log_oom();
        }
        x.n_autostart = strv_length(x.autostart);
        /* Domains already in the table (none at start) are in the index too. */
        for (size_t i = 0; i < m->n_domains; i++) {
                if ((r = load_index_reserve(&x)) < 0) {
                        load_index_done(&x);
                        return log_oom();
                }
                *slot_by_name(&x, domain_name(m->domains[i])) = m->domains[i];
                *slot_by_uuid(&x, m->domains[i]->uuid) = m->domains[i];
                x.n++;
        }
        /* sized once for what the index lists: not rehashed 7 times on the way to 10,000 */
        if (domain_index_load(m, &x.index) < 0 || load_index_reserve_n(&x, x.index.n + 1) < 0) {
                load_index_done(&x);
                return log_oom();
        }
        reserve_stubs(m, &x.index);
        xml_read_batch_begin();
        r = def_dir_load_ino(m->confdir, load_config, &x);
        xml_read_batch_end();
        /* a file parsed, or one gone: the index is written again */
        /* ...and when its order is no longer the folder's */
        if (r >= 0 && (x.stale || x.n_indexed != x.index.n || x.index.misses > x.index.n / 8))
                domain_index_changed(m);
        log_info("Loaded %zu definitions: %zu from the index, %zu parsed.", x.n, x.n_indexed, x.n - x.n_indexed);
        load_index_done(&x);
        return r;
}

int manager_startup(Manager *m) {
        const DomainDriver *driver = m->driver;
        int r;

        r = domain_lock_watch_lockd(m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch for lockd: %m");
        r = domain_log_watch_logd(m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch for logd: %m");
        r = load_configs(m);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", m->confdir);
        r = domain_status_load_all(m);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", m->rundir);
        r = manager_verify_start(m);
        if (r < 0)
                return log_error_errno(r, "Cannot check the definitions known from the index: %m");
        for (size_t i = 0; i < m->n_domains; i++) {
                Domain *d = m->domains[i];
                sd_bus_error e = SD_BUS_ERROR_NULL;

                if (!d->autostart || domain_is_active(d) || !driver->start)
                        continue;
                if (manager_load_def(m, d, &e) < 0) {
                        log_warning("Cannot autostart %s: %s", domain_name(d), e.message);
                        sd_bus_error_free(&e);
                        continue;
                }
                log_info("Autostarting %s.", d->def->name);
                if (driver->start(d, 0, NULL, &e) < 0)
                        log_warning("Cannot autostart %s: %s", d->def->name, e.message);
                sd_bus_error_free(&e);
        }
        return 0;
}
