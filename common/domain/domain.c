/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "bus-util.h"
#include "domain-arena.h"
#include "domain-autodestroy.h"
#include "domain-index.h"
#include "domain-log.h"
#include "domain-manager.h"
#include "domain-prepare.h"
#include "domain-status.h"
#include "domain.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "uuid.h"

/* The live state names the job under way: a restarted daemon knows it. */
static void on_job_changed(void *owner) {
        Domain *d = owner;

        if (d->live)
                (void) domain_status_save(d);
}

int domain_complete(Domain *d) {
        Manager *m = d->manager;
        int r;

        if (!d->jobs) {
                d->jobs = domain_jobs_new(m->event, d, m->job_timeout_usec);
                if (!d->jobs)
                        return -ENOMEM;
                d->jobs->changed = on_job_changed;
        }
        if (!d->priv && m->driver->domain_init) {
                r = m->driver->domain_init(d);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Without its jobs nor the driver's part: a stub has them once its
 * definition is parsed (domain_complete()), and a start with 10,000 stubs
 * makes 20,000 fewer allocations. */
static int domain_alloc(Manager *m, const uint8_t uuid[16], Domain **ret) {
        Domain *d = calloc(1, sizeof(*d));

        if (!d)
                return -ENOMEM;
        d->manager = m;
        d->id = -1;
        d->state = DOMAIN_SHUTOFF;
        d->reason = DOMAIN_SHUTOFF_UNKNOWN;
        memcpy(d->uuid, uuid, 16);
        uuid_format(uuid, d->uuid_str);
        d->path = bus_path_from_uuid_str(m->driver->root, "domain", d->uuid_str);
        if (!d->path) {
                domain_free(d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
}

int domain_new(Manager *m, DomainDef *def, Domain **ret) {
        Domain *d;
        int r = domain_alloc(m, def->uuid, &d);

        if (r < 0)
                return r;
        d->def = def; /* the driver's domain_init reads it */
        r = domain_complete(d);
        if (r < 0) {
                d->def = NULL; /* still the caller's */
                domain_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

/* A stub carved from m->stub_arena (domain-arena.h): the Domain, its path
 * and its name packed; NULL when the arena is full or there is none. */
static Domain *stub_from_arena(Manager *m, const char *name, size_t name_len, const uint8_t uuid[16]) {
        size_t path_size = bus_path_uuid_size(m->driver->root, "domain"), name_size = name_len + 1;
        Domain *d = domain_arena_alloc(&m->stub_arena, sizeof(Domain), _Alignof(Domain));
        char *path = d ? domain_arena_alloc(&m->stub_arena, path_size + name_size, 1) : NULL;

        if (!path)
                return NULL; /* what was carved stays unused */
        d->manager = m;
        d->id = -1;
        d->state = DOMAIN_SHUTOFF;
        d->reason = DOMAIN_SHUTOFF_UNKNOWN;
        memcpy(d->uuid, uuid, 16);
        uuid_format(uuid, d->uuid_str);
        bus_path_format_uuid_str(path, m->driver->root, "domain", d->uuid_str);
        d->path = path;
        d->stub_name = memcpy(path + path_size, name, name_len);
        d->stub_name[name_len] = 0;
        return d;
}

int domain_new_stub(Manager *m, const char *name, size_t name_len, const uint8_t uuid[16], Domain **ret) {
        char *s;
        int r;

        *ret = stub_from_arena(m, name, name_len, uuid);
        if (*ret)
                return 0;
        s = strndup(name, name_len);
        if (!s)
                return -ENOMEM;
        r = domain_alloc(m, uuid, ret);
        if (r < 0) {
                free(s);
                return r;
        }
        (*ret)->stub_name = s;
        return 0;
}

void domain_drop_stub_name(Domain *d) {
        if (!domain_arena_owns(&d->manager->stub_arena, d->stub_name))
                free(d->stub_name);
        d->stub_name = NULL;
}

Domain *domain_free(Domain *d) {
        char why[512];

        if (!d)
                return NULL;
        snprintf(why, sizeof(why), "domain '%s' no longer exists", domain_name(d) ?: d->uuid_str);
        d->jobs = domain_jobs_close(d->jobs, VB_ERROR_NO_DOMAIN, why);
        domain_handle_cancel(&d->handle);
        /* The driver lets go of what it still holds for d while d is whole. */
        if (d->manager->driver->domain_done)
                d->manager->driver->domain_done(d);
        domain_def_free(d->def);
        domain_def_free(d->newdef);
        domain_def_free(d->live);
        domain_def_free(d->start_def);
        domain_drop_stub_name(d);
        if (!domain_arena_owns(&d->manager->stub_arena, d->path))
                free(d->path);
        free(d->broken_error);
        sd_event_source_disable_unref(d->pid_watch);
        sd_event_source_disable_unref(d->kill_timer);
        sd_bus_message_unref(d->start_call);
        free(d->start_error_name);
        free(d->start_error);
        for (size_t i = 0; i < d->n_tap_fds; i++)
                if (d->tap_fds[i] >= 0)
                        close(d->tap_fds[i]);
        free(d->tap_fds);
        for (size_t i = 0; i < d->n_tap_queue_fds; i++)
                if (d->tap_queue_fds[i] >= 0)
                        close(d->tap_queue_fds[i]);
        free(d->tap_queue_fds);
        for (size_t i = 0; i < d->n_stop_calls; i++)
                sd_bus_message_unref(d->stop_calls[i]);
        free(d->stop_calls);
        domain_autodestroy_clear(d);
        if (!domain_arena_owns(&d->manager->stub_arena, d))
                free(d);
        return NULL;
}

bool domain_is_active(const Domain *d) {
        return d->state != DOMAIN_SHUTOFF;
}

const char *domain_name(const Domain *d) {
        return d->def ? d->def->name : d->stub_name;
}

const DomainDef *domain_current_def(const Domain *d, bool inactive) {
        if (inactive)
                return d->newdef ? d->newdef : d->def;
        return d->live ? d->live : d->def;
}

static char *config_path(const Domain *d, const char *dir, const char *name) {
        char *p;
        if (asprintf(&p, "%s/%s.xml", dir, name) < 0)
                return NULL;
        return p;
}

static int write_config(Domain *d, bool sync, char **ret_path) {
        const DomainDef *def = d->newdef ? d->newdef : d->def;
        _cleanup_free_ char *xml = NULL, *path = config_path(d, d->manager->confdir, def->name);
        int r;

        if (!path)
                return -ENOMEM;
        r = domain_def_format(def, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE, &xml);
        if (r < 0)
                return r;
        r = sync ? write_file_atomic(path, xml, strlen(xml), 0600) : write_file_replace(path, xml, strlen(xml), 0600);
        if (r < 0)
                return r;
        /* what the index will say of this file: unknown if it cannot be asked */
        if (def_file_stat(AT_FDCWD, path, &d->conf_stat) < 0)
                d->conf_stat = (DefFileStat) {};
        domain_index_changed(d->manager);
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

int domain_save_config(Domain *d) {
        return write_config(d, true, NULL);
}

int domain_write_config_unsynced(Domain *d, char **ret_path) {
        return write_config(d, false, ret_path);
}

int domain_remove_config(Domain *d) {
        _cleanup_free_ char *path = config_path(d, d->manager->confdir, d->def->name);
        _cleanup_free_ char *link = config_path(d, d->manager->autostartdir, d->def->name);

        if (!path || !link)
                return -ENOMEM;
        (void) unlink_if_exists(link);
        d->conf_stat = (DefFileStat) {};
        domain_index_changed(d->manager);
        return unlink_if_exists(path);
}

int domain_set_autostart(Domain *d, bool autostart) {
        _cleanup_free_ char *link = config_path(d, d->manager->autostartdir, d->def->name);
        _cleanup_free_ char *target = NULL;

        if (!link)
                return -ENOMEM;
        if (!autostart) {
                int r = unlink_if_exists(link);
                if (r < 0)
                        return r;
        } else {
                if (asprintf(&target, "../%s.xml", d->def->name) < 0)
                        return -ENOMEM;
                (void) unlink_if_exists(link);
                if (symlink(target, link) < 0)
                        return -errno;
        }
        d->autostart = autostart;
        return 0;
}

void domain_set_state(Domain *d, DomainState state, int reason) {
        if (d->state != state || d->reason != reason)
                log_debug("Domain %s: state %s (%d) -> %s (%d)", d->def->name,
                          domain_state_to_string(d->state), d->reason,
                          domain_state_to_string(state), reason);
        d->state = state;
        d->reason = reason;
}

void domain_emit_event(Domain *d, int event, int detail) {
        int r = sd_bus_emit_signal(d->manager->bus, d->manager->driver->root, "org.libvirt.Connect", "DomainEvent",
                                   "oii", d->path, event, detail);
        if (r < 0)
                log_warning_errno(r, "Cannot emit DomainEvent for %s: %m", d->def->name);
}
