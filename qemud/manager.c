/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "def-dir.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "ptr-array.h"
#include "qemu-address.h"
#include "qemu-lock.h"
#include "qemu-log.h"
#include "qemu-process.h"
#include "util.h"

struct CapsWaiter {
        manager_caps_fn done;
        void *userdata;
        CapsWaiter *next;
};

int manager_new(sd_event *event, sd_bus *bus, const char *root, Manager **ret) {
        Manager *m = calloc(1, sizeof(*m));
        const char *emu = getenv("VIRTBUS_QEMU");
        int r;

        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->bus = sd_bus_ref(bus);
        m->next_id = 1;
        m->job_timeout_usec = domain_job_timeout_from_env();
        m->emulator = emu && *emu ? emu : QEMUD_DEFAULT_EMULATOR;
        r = vb_paths_init(&m->paths, root);
        if (r < 0)
                goto fail;
        if ((r = vb_paths_make_dir(m->paths.confdir, "qemu", &m->confdir)) < 0 ||
            (r = vb_paths_make_dir(m->confdir, "autostart", &m->autostartdir)) < 0 ||
            (r = vb_paths_make_dir(m->paths.rundir, "qemu", &m->rundir)) < 0 ||
            (r = vb_paths_make_dir(m->paths.logdir, "qemu", &m->logdir)) < 0 ||
            (r = vb_paths_make_dir(m->paths.statedir, "qemu/capabilities", &m->cachedir)) < 0)
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
        while (m->caps_waiters) {
                CapsWaiter *w = m->caps_waiters;
                m->caps_waiters = w->next;
                free(w);
        }
        qemu_caps_free(m->caps);
        free(m->confdir);
        free(m->autostartdir);
        free(m->rundir);
        free(m->logdir);
        free(m->cachedir);
        vb_paths_done(&m->paths);
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
        return m->caps_probing;
}

static void caps_done(int r, QemuCaps *caps, void *userdata) {
        Manager *m = userdata;
        CapsWaiter *w;

        m->caps_probing = false;
        if (r >= 0) {
                qemu_caps_free(m->caps);
                m->caps = caps;
                log_debug("QEMU %s: version %u, kvm %s", caps->binary, caps->version,
                          caps->kvm_available ? "yes" : "no");
        } else
                log_error_errno(r, "Cannot probe %s: %m", m->emulator);
        /* Waiters may start domains that add waiters: take the list first. */
        w = TAKE_PTR(m->caps_waiters);
        while (w) {
                CapsWaiter *next = w->next;
                w->done(m, r, w->userdata);
                free(w);
                w = next;
        }
}

int manager_with_caps(Manager *m, manager_caps_fn done, void *userdata) {
        CapsWaiter *w;
        int r;

        if (m->caps) {
                done(m, 0, userdata);
                return 0;
        }
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (CapsWaiter) { .done = done, .userdata = userdata, .next = m->caps_waiters };
        m->caps_waiters = w;
        if (m->caps_probing)
                return 0;
        m->caps_probing = true;
        r = qemu_caps_get_async(m->event, m->emulator, m->cachedir, m->rundir, caps_done, m);
        if (r < 0)
                caps_done(r, NULL, m); /* the waiters learn it the usual way */
        return 0;
}

static int load_config(void *userdata, const char *file) {
        _cleanup_free_ char *path = NULL, *xml = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        Manager *m = userdata;
        ConfError err = {};
        Domain *d;
        size_t len;
        int r;

        r = def_dir_read(m->confdir, file, &path, &xml, &len);
        if (r < 0)
                return r;
        r = domain_def_parse(xml, len, &def, &err);
        if (r < 0)
                return log_warning_errno(r, "Ignoring %s: %s", path, err.message);
        /* a definition saved before addresses were assigned at define time */
        r = qemu_domain_assign_addresses(def, &err);
        if (r < 0)
                log_warning_errno(r, "%s: cannot assign device addresses: %s", path, err.message);
        if (manager_find_by_name(m, def->name) || manager_find_by_uuid(m, def->uuid))
                return log_warning_errno(EEXIST, "Ignoring %s: name or uuid already defined", path);
        r = domain_new(m, TAKE_PTR(def), &d);
        if (r < 0)
                return r;
        d->persistent = true;
        r = def_dir_has(m->autostartdir, d->def->name);
        if (r < 0) {
                domain_free(d);
                return r;
        }
        d->autostart = r > 0;
        r = manager_add_domain(m, d);
        if (r < 0)
                domain_free(d);
        return r;
}

int manager_startup(Manager *m) {
        int r;

        r = qemu_lock_watch_lockd(m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch for lockd: %m");
        r = qemu_log_watch_logd(m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch for logd: %m");
        r = def_dir_load(m->confdir, load_config, m);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", m->confdir);
        r = qemu_status_load_all(m);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", m->rundir);
        for (size_t i = 0; i < m->n_domains; i++) {
                Domain *d = m->domains[i];
                sd_bus_error e = SD_BUS_ERROR_NULL;

                if (!d->autostart || domain_is_active(d))
                        continue;
                log_info("Autostarting %s.", d->def->name);
                if (qemu_process_start(d, 0, NULL, &e) < 0)
                        log_warning("Cannot autostart %s: %s", d->def->name, e.message);
                sd_bus_error_free(&e);
        }
        return 0;
}
