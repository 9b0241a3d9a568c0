/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>

#include "backend.h"
#include "bus-util.h"
#include "daemon.h"
#include "def-dir.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "ptr-array.h"
#include "util.h"
#include "vol-encrypt.h"

int manager_new(sd_event *event, sd_bus *bus, const char *root, Manager **ret) {
        _cleanup_free_ char *inuse = NULL, *chains = NULL, *secrets = NULL;
        _cleanup_close_ int dm = -1;
        Manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->bus = sd_bus_ref(bus);
        m->vols_by_key = hashmap_new();
        m->vols_by_path = hashmap_new();
        r = -ENOMEM;
        if (!m->vols_by_key || !m->vols_by_path)
                goto fail;
        r = vb_paths_init(&m->paths, root);
        if (r < 0)
                goto fail;
        if ((r = vb_paths_make_dir(m->paths.confdir, STORAGED_DRIVER, &m->confdir)) < 0 ||
            (r = vb_paths_make_dir(m->confdir, "autostart", &m->autostartdir)) < 0 ||
            (r = vb_paths_make_dir(m->paths.rundir, STORAGED_DRIVER, &m->rundir)) < 0)
                goto fail;
        r = job_queue_init(&m->jobs, event);
        if (r < 0)
                goto fail;
        inuse = path_join(m->rundir, "inuse");
        r = inuse ? inuse_init(&m->inuse, inuse) : -ENOMEM;
        if (r < 0) {
                log_error_errno(r, "Cannot read %s: %m", inuse);
                goto fail;
        }
        chains = path_join(m->rundir, "chains");
        r = chains ? inuse_init(&m->chains, chains) : -ENOMEM;
        if (r < 0) {
                log_error_errno(r, "Cannot read %s: %m", chains);
                goto fail;
        }
        secrets = path_join(m->rundir, "secrets");
        if (!secrets) {
                r = -ENOMEM;
                goto fail;
        }
        vol_encrypt_cleanup(secrets);
        /* Without device-mapper LVM can only edit its metadata. */
        dm = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
        m->lvm_no_dm = dm < 0;
        if (m->lvm_no_dm)
                log_info("No device-mapper in this kernel: logical volumes cannot be activated.");
        *ret = m;
        return 0;
fail:
        manager_free(m);
        return r;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        if (job_queue_done(&m->jobs) > 0) {
                /* Workers still run on our data: the process exit ends them. */
                log_warning("Exiting with jobs still running.");
                return NULL;
        }
        for (size_t i = 0; i < m->n_pools; i++)
                pool_free(m->pools[i]);
        free(m->pools);
        hashmap_free(m->vols_by_key);
        hashmap_free(m->vols_by_path);
        inuse_done(&m->inuse);
        inuse_done(&m->chains);
        free(m->confdir);
        free(m->autostartdir);
        free(m->rundir);
        vb_paths_done(&m->paths);
        sd_bus_unref(m->bus);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

bool manager_is_busy(void *userdata) {
        Manager *m = userdata;

        return !m->ready || job_queue_count(&m->jobs) > 0;
}

int manager_add_pool(Manager *m, Pool *p) {
        int r = ptr_array_grow((void ***) &m->pools, m->n_pools, &m->n_allocated);

        if (r < 0)
                return r;
        m->pools[m->n_pools++] = p;
        return 0;
}

void manager_remove_pool(Manager *m, Pool *p) {
        (void) ptr_array_remove((void **) m->pools, &m->n_pools, p);
}

Pool *manager_find_pool_by_name(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_pools; i++)
                if (streq(m->pools[i]->def->name, name))
                        return m->pools[i];
        return NULL;
}

Pool *manager_find_pool_by_uuid(Manager *m, const uint8_t uuid[16]) {
        for (size_t i = 0; i < m->n_pools; i++)
                if (memcmp(m->pools[i]->def->uuid, uuid, 16) == 0)
                        return m->pools[i];
        return NULL;
}

Pool *manager_find_pool_by_path(Manager *m, const char *bus_path) {
        uint8_t uuid[16];

        if (bus_path_to_uuid(bus_path, STORAGED_POOL_PREFIX, uuid) < 0)
                return NULL;
        return manager_find_pool_by_uuid(m, uuid);
}

Volume *manager_find_volume_by_key(Manager *m, const char *key) {
        return hashmap_get(m->vols_by_key, key);
}

Volume *manager_find_volume_by_path(Manager *m, const char *path) {
        return hashmap_get(m->vols_by_path, path);
}

Volume *manager_find_volume_by_bus_path(Manager *m, const char *bus_path) {
        size_t n = strlen(STORAGED_VOL_PREFIX);
        _cleanup_free_ char *key = NULL;

        if (strncmp(bus_path, STORAGED_VOL_PREFIX, n) != 0 || bus_path[n] != '/' || !bus_path[n + 1] ||
            strchr(bus_path + n + 1, '/'))
                return NULL;
        key = bus_label_unescape(bus_path + n + 1);
        return key ? manager_find_volume_by_key(m, key) : NULL;
}

int reply_job_error(sd_bus_message *msg, const ConfError *err, int r, const char *fmt, ...) {
        char what[512];
        va_list ap;

        if (err && err->name && err->message[0])
                return sd_bus_reply_method_errorf(msg, err->name, "%s", err->message);
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        return sd_bus_reply_method_errorf(msg, VB_ERROR_OPERATION_FAILED, "%s: %s", what, strerror(r < 0 ? -r : EIO));
}

/* ---- loading definitions and state -------------------------------------------------- */

static int read_def(const char *dir, const char *file, StoragePoolDef **ret) {
        _cleanup_free_ char *path = NULL, *xml = NULL;
        ConfError err = {};
        size_t len;
        int r;

        r = def_dir_read(dir, file, &path, &xml, &len);
        if (r < 0)
                return r;
        r = storage_pool_def_parse(xml, len, ret, &err);
        if (r < 0)
                return log_warning_errno(r, "Ignoring %s: %s", path, err.message);
        return 0;
}

/* A pool that cannot be loaded is left out, and the others loaded (even
 * when out of memory). */
static int load_config(void *userdata, const char *file) {
        _cleanup_(storage_pool_def_freep) StoragePoolDef *def = NULL;
        Manager *m = userdata;
        Pool *p;

        if (read_def(m->confdir, file, &def) < 0)
                return 0;
        if (manager_find_pool_by_name(m, def->name) || manager_find_pool_by_uuid(m, def->uuid)) {
                log_warning("Ignoring %s: name or uuid defined already.", file);
                return 0;
        }
        if (pool_new(m, def, &p) < 0)
                return 0;
        def = NULL;
        p->persistent = true;
        p->autostart = def_dir_has(m->autostartdir, p->def->name) > 0;
        if (manager_add_pool(m, p) < 0)
                pool_free(p);
        return 0;
}

/* An active pool's live definition; the persistent one, if it differs,
 * is what it becomes when it stops. */
static int load_state(void *userdata, const char *file) {
        _cleanup_(storage_pool_def_freep) StoragePoolDef *def = NULL;
        Manager *m = userdata;
        Pool *p;

        if (read_def(m->rundir, file, &def) < 0)
                return 0;
        p = manager_find_pool_by_uuid(m, def->uuid);
        if (p && !streq(p->def->name, def->name)) {
                log_warning("Ignoring state %s: its uuid belongs to pool %s.", file, p->def->name);
                return 0;
        }
        if (!p) {
                if (manager_find_pool_by_name(m, def->name) || pool_new(m, def, &p) < 0)
                        return 0;
                def = NULL;
                if (manager_add_pool(m, p) < 0) {
                        pool_free(p);
                        return 0;
                }
        } else {
                p->newdef = p->def;
                p->def = TAKE_PTR(def);
        }
        p->active = true;
        p->capacity = p->def->capacity;
        p->allocation = p->def->allocation;
        p->available = p->def->available;
        return 0;
}

/* The autostart pools that are not active yet; how many were started. */
static unsigned autostart(Manager *m) {
        unsigned n = 0;

        for (size_t i = 0; i < m->n_pools; i++) {
                Pool *p = m->pools[i];

                if (!p->autostart || p->active || p->busy)
                        continue;
                log_info("Autostarting pool %s.", p->def->name);
                if (pool_autostart_async(p) > 0)
                        n++;
        }
        return n;
}

/* Phase 1 brings the active pools back, phase 2 starts the autostart ones;
 * then the bus name is taken, so a client finds them all as they should be. */
static void startup_next(Manager *m) {
        if (!m->autostarted) {
                m->autostarted = true;
                m->startup_pending = autostart(m);
                if (m->startup_pending > 0)
                        return;
        }
        m->ready = true;
        if (daemon_ready(m->bus, STORAGED_BUS_NAME) < 0)
                sd_event_exit(m->event, 1);
}

void manager_startup_step_done(Manager *m) {
        if (m->startup_pending > 0 && --m->startup_pending == 0)
                startup_next(m);
}

int manager_startup(Manager *m) {
        int r;

        r = def_dir_load(m->confdir, load_config, m);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", m->confdir);
        r = def_dir_load(m->rundir, load_state, m);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", m->rundir);
        /* The bus name is taken once every active pool is known again and
         * the autostart pools are started. */
        for (size_t i = 0; i < m->n_pools; i++) {
                Pool *p = m->pools[i];

                if (!p->active)
                        continue;
                r = pool_recover_async(p);
                if (r < 0)
                        return log_error_errno(r, "Cannot check pool %s: %m", p->def->name);
                m->startup_pending++;
        }
        if (m->startup_pending == 0)
                startup_next(m);
        return 0;
}
