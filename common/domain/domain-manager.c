/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "def-dir.h"
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
        r = vb_paths_init(&m->paths, root);
        if (r < 0)
                goto fail;
        if ((r = vb_paths_make_dir(m->paths.confdir, driver->dir, &m->confdir)) < 0 ||
            (r = vb_paths_make_dir(m->confdir, "autostart", &m->autostartdir)) < 0 ||
            (r = vb_paths_make_dir(m->paths.rundir, driver->dir, &m->rundir)) < 0 ||
            (r = vb_paths_make_dir(m->paths.logdir, driver->dir, &m->logdir)) < 0)
                goto fail;
        if (asprintf(&m->domain_root, "%s/domain", driver->root) < 0) {
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
        for (size_t i = 0; i < m->n_domains; i++)
                domain_free(m->domains[i]);
        free(m->domains);
        if (m->driver->manager_done)
                m->driver->manager_done(m);
        free(m->confdir);
        free(m->autostartdir);
        free(m->rundir);
        free(m->logdir);
        free(m->domain_root);
        vb_paths_done(&m->paths);
        sd_bus_flush_close_unref(m->lockd_peer);
        sd_bus_unref(m->bus);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

int manager_add_domain(Manager *m, Domain *d) {
        int r = ptr_array_grow((void ***) &m->domains, m->n_domains, &m->n_allocated);

        if (r < 0)
                return r;
        m->domains[m->n_domains++] = d;
        return 0;
}

void manager_remove_domain(Manager *m, Domain *d) {
        (void) ptr_array_remove((void **) m->domains, &m->n_domains, d);
}

Domain *manager_find_by_name(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (streq(m->domains[i]->def->name, name))
                        return m->domains[i];
        return NULL;
}

Domain *manager_find_by_uuid(Manager *m, const uint8_t uuid[16]) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (memcmp(m->domains[i]->def->uuid, uuid, 16) == 0)
                        return m->domains[i];
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
                if (streq(m->domains[i]->path, path))
                        return m->domains[i];
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

        while (x->by_name[i] && !streq(x->by_name[i]->def->name, name))
                i = (i + 1) & x->mask;
        return &x->by_name[i];
}

static Domain **slot_by_uuid(LoadIndex *x, const uint8_t uuid[16]) {
        size_t i = hash_bytes(uuid, 16) & x->mask;

        while (x->by_uuid[i] && memcmp(x->by_uuid[i]->def->uuid, uuid, 16) != 0)
                i = (i + 1) & x->mask;
        return &x->by_uuid[i];
}

/* Makes room for one more: kept at most half full. */
static int load_index_reserve(LoadIndex *x) {
        _cleanup_free_ Domain **old_name = NULL, **old_uuid = NULL;
        size_t old_size = x->by_name ? x->mask + 1 : 0, size;

        if ((x->n + 1) * 2 <= old_size)
                return 0;
        size = MAX(old_size * 2, (size_t) 256);
        old_name = TAKE_PTR(x->by_name);
        old_uuid = TAKE_PTR(x->by_uuid);
        x->by_name = calloc(size, sizeof(Domain *));
        x->by_uuid = calloc(size, sizeof(Domain *));
        if (!x->by_name || !x->by_uuid)
                return -ENOMEM;
        x->mask = size - 1;
        for (size_t i = 0; i < old_size; i++) {
                if (old_name[i])
                        *slot_by_name(x, old_name[i]->def->name) = old_name[i];
                if (old_uuid[i])
                        *slot_by_uuid(x, old_uuid[i]->def->uuid) = old_uuid[i];
        }
        return 0;
}

static void load_index_done(LoadIndex *x) {
        free(x->by_name);
        free(x->by_uuid);
        strv_free(x->autostart);
        if (x->confdir_fd >= 0)
                close(x->confdir_fd);
}

static int load_autostart(LoadIndex *x, const char *name) {
        /* A listed name is still asked: a dangling link is not autostart. */
        if (x->autostart && !def_dir_listed(x->autostart, x->n_autostart, name))
                return 0;
        return def_dir_has(x->m->autostartdir, name);
}

static int load_config(void *userdata, const char *file) {
        _cleanup_free_ char *path = NULL, *xml = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        LoadIndex *x = userdata;
        Manager *m = x->m;
        Domain **name_slot, **uuid_slot;
        ConfError err = {};
        Domain *d;
        size_t len;
        int r;

        r = def_dir_read_at(x->confdir_fd, m->confdir, file, &path, &xml, &len);
        if (r < 0)
                return r;
        r = domain_def_parse(xml, len, &def, &err);
        /* a definition the driver cannot run (another driver's) is not loaded */
        if (r >= 0 && m->driver->validate)
                r = m->driver->validate(m, def, &err);
        if (r < 0)
                return log_warning_errno(r, "Ignoring %s: %s", path, err.message);
        /* a definition saved before the driver filled it in (addresses
         * assigned at define time) */
        r = m->driver->post_parse ? m->driver->post_parse(m, def, &err) : 0;
        if (r < 0)
                log_warning_errno(r, "%s: cannot complete the definition: %s", path, err.message);
        r = load_index_reserve(x);
        if (r < 0)
                return r;
        name_slot = slot_by_name(x, def->name);
        uuid_slot = slot_by_uuid(x, def->uuid);
        if (*name_slot || *uuid_slot)
                return log_warning_errno(EEXIST, "Ignoring %s: name or uuid already defined", path);
        r = domain_new(m, TAKE_PTR(def), &d);
        if (r < 0)
                return r;
        d->persistent = true;
        r = load_autostart(x, d->def->name);
        if (r < 0) {
                domain_free(d);
                return r;
        }
        d->autostart = r > 0;
        r = manager_add_domain(m, d);
        if (r < 0) {
                domain_free(d);
                return r;
        }
        *name_slot = *uuid_slot = d;
        x->n++;
        return 0;
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
                *slot_by_name(&x, m->domains[i]->def->name) = m->domains[i];
                *slot_by_uuid(&x, m->domains[i]->def->uuid) = m->domains[i];
                x.n++;
        }
        xml_read_batch_begin();
        r = def_dir_load(m->confdir, load_config, &x);
        xml_read_batch_end();
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
        for (size_t i = 0; i < m->n_domains; i++) {
                Domain *d = m->domains[i];
                sd_bus_error e = SD_BUS_ERROR_NULL;

                if (!d->autostart || domain_is_active(d) || !driver->start)
                        continue;
                log_info("Autostarting %s.", d->def->name);
                if (driver->start(d, 0, NULL, &e) < 0)
                        log_warning("Cannot autostart %s: %s", d->def->name, e.message);
                sd_bus_error_free(&e);
        }
        return 0;
}
