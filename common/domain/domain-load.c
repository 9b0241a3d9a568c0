/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "def-dir.h"
#include "domain-index.h"
#include "domain-load.h"
#include "domain-manager.h"
#include "error.h"
#include "log.h"
#include "util.h"

#define VERIFY_PER_TURN 256 /* domains looked at per turn of the loop */

int manager_read_definition(Manager *m, int dfd, const char *file, char **ret_path, DomainDef **ret,
                            DefFileStat *ret_st, ConfError *err) {
        _cleanup_free_ char *xml = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        size_t len;
        int r;

        *ret_path = NULL;
        /* asked before reading: a file replaced in between is parsed again next start */
        if (dfd >= 0 ? def_file_stat(dfd, file, ret_st) < 0 : true) {
                _cleanup_free_ char *p = path_join(m->confdir, file);
                if (!p || def_file_stat(AT_FDCWD, p, ret_st) < 0)
                        *ret_st = (DefFileStat) {};
        }
        r = def_dir_read_at(dfd, m->confdir, file, ret_path, &xml, &len);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_SYSTEM, "cannot read it: %s", strerror(-r));
                return r;
        }
        r = domain_def_parse(xml, len, &def, err);
        /* a definition the driver cannot run (another driver's) is not loaded */
        if (r >= 0 && m->driver->validate)
                r = m->driver->validate(m, def, err);
        if (r < 0)
                return r;
        /* a definition saved before the driver filled it in (addresses
         * assigned at define time) */
        r = m->driver->post_parse ? m->driver->post_parse(m, def, err) : 0;
        if (r < 0)
                log_warning_errno(r, "%s: cannot complete the definition: %s", *ret_path, err->message);
        *ret = TAKE_PTR(def);
        return 0;
}

/* d's file failed to parse: every call on it says why from now on. */
static int load_failed(Manager *m, Domain *d, const char *path, int r, const char *name, const char *why,
                       sd_bus_error *error) {
        d->broken = true;
        m->n_broken++;
        if (asprintf(&d->broken_error, "the definition of domain '%s' in %s cannot be loaded: %s", d->stub_name,
                     path ? path : m->confdir, why) < 0)
                d->broken_error = NULL;
        log_warning("%s", d->broken_error ? d->broken_error : why);
        domain_index_changed(m); /* it is left out: the next start parses it */
        if (!d->broken_name)
                d->broken_name = r == -ENOMEM ? VB_ERROR_NO_MEMORY : name ? name : VB_ERROR_XML;
        return vb_error_setf(error, d->broken_name, "%s", d->broken_error ? d->broken_error : why);
}

/* d's file now defines another domain (edited in place while the daemon was
 * down): that one replaces d, as a start without the index would have it. */
static int load_other(Manager *m, Domain *d, const char *path, DomainDef **def, const DefFileStat *st,
                      sd_bus_error *error) {
        _cleanup_free_ char *old = strdup(d->stub_name), *new_name = strdup((*def)->name);
        Domain *o = manager_peek_by_name(m, (*def)->name), *u = manager_peek_by_uuid(m, (*def)->uuid);
        Domain *n;
        int r;

        if (!old || !new_name)
                return -ENOMEM;
        if ((o && o != d) || (u && u != d))
                return load_failed(m, d, path, -EEXIST, VB_ERROR_DOMAIN_EXISTS,
                                   "it now defines a name or uuid another domain has", error);
        r = domain_new(m, *def, &n);
        if (r < 0)
                return load_failed(m, d, path, r, NULL, strerror(-r), error);
        *def = NULL;
        n->persistent = true;
        n->conf_stat = *st;
        n->autostart = def_dir_has(m->autostartdir, new_name) > 0;
        manager_remove_domain(m, d);
        domain_free(d);
        r = manager_add_domain(m, n);
        if (r < 0) {
                domain_free(n);
                return r;
        }
        domain_index_changed(m);
        log_warning("%s now defines domain '%s' instead of '%s'.", path, new_name, old);
        return vb_error_setf(error, VB_ERROR_NO_DOMAIN, "domain '%s' no longer exists: %s now defines domain '%s'",
                             old, path, new_name);
}

int manager_load_def(Manager *m, Domain *d, sd_bus_error *error) {
        _cleanup_free_ char *file = NULL, *path = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        DefFileStat st;
        int r;

        if (d->def)
                return 0;
        if (d->broken)
                return vb_error_setf(error, d->broken_name, "%s", d->broken_error ? d->broken_error : "broken");
        m->n_unverified -= d->unverified; /* parsing is the check */
        d->unverified = false;
        if (asprintf(&file, "%s.xml", d->stub_name) < 0)
                return -ENOMEM;
        r = manager_read_definition(m, -1, file, &path, &def, &st, &err);
        if (r < 0)
                return load_failed(m, d, path, r, err.name, err.message[0] ? err.message : strerror(-r), error);
        if (!streq(def->name, d->stub_name) || memcmp(def->uuid, d->uuid, 16) != 0)
                return load_other(m, d, path, &def, &st, error);
        log_debug("Domain %s: definition parsed on first use.", d->stub_name);
        d->def = TAKE_PTR(def); /* before domain_complete(): the driver's domain_init reads it */
        r = domain_complete(d);
        if (r < 0) {
                def = TAKE_PTR(d->def);
                return vb_error_setf(error, VB_ERROR_NO_MEMORY, "cannot load domain '%s': %s", d->stub_name,
                                     strerror(-r));
        }
        domain_drop_stub_name(d);
        if (!def_file_stat_eq(&st, &d->conf_stat)) {
                d->conf_stat = st;
                domain_index_changed(m);
        }
        return 0;
}

/* The file of d, known by its inode alone: changed in place, it is parsed
 * now (and may take d away). */
static void verify_one(Manager *m, int dfd, Domain *d) {
        char file[PATH_MAX];
        DefFileStat st;
        int n;

        m->n_unverified--;
        d->unverified = false;
        /* relative to confdir (dfd) when it could be opened, and no asprintf:
         * the path walk and the formatting were most of checking 10,000 files */
        n = dfd >= 0 ? snprintf(file, sizeof(file), "%s.xml", d->stub_name)
                     : snprintf(file, sizeof(file), "%s/%s.xml", m->confdir, d->stub_name);
        if (n < 0 || (size_t) n >= sizeof(file))
                return;
        if (def_file_stat(dfd >= 0 ? dfd : AT_FDCWD, file, &st) >= 0 && def_file_stat_eq(&st, &d->conf_stat))
                return;
        log_info("%s%s%s changed while the daemon was down: parsing it.", dfd >= 0 ? m->confdir : "",
                 dfd >= 0 ? "/" : "", file);
        (void) manager_load_def(m, d, NULL);
}

static int on_verify(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        _cleanup_close_ int dfd = open(m->confdir, O_PATH | O_DIRECTORY | O_CLOEXEC);

        for (unsigned k = 0; m->n_unverified > 0 && k < VERIFY_PER_TURN && m->n_domains > 0; k++) {
                Domain *d;

                if (m->verify_next >= m->n_domains)
                        m->verify_next = 0;
                d = m->domains[m->verify_next++];
                if (d->unverified && d->stub_name && !d->def) {
                        m->verify_misses = 0;
                        verify_one(m, dfd, d);
                } else
                        m->verify_misses++;
        }
        /* a whole round without one: the count is wrong, nothing is left */
        if (m->n_unverified == 0 || m->n_domains == 0 || m->verify_misses > m->n_domains) {
                log_debug("The definition files known from the index are checked.");
                m->n_unverified = 0;
                m->verify = sd_event_source_disable_unref(m->verify);
        }
        return 0;
}

int manager_verify_start(Manager *m) {
        int r;

        if (m->n_unverified == 0 || m->verify || !m->event)
                return 0;
        m->verify_next = m->verify_misses = 0;
        r = sd_event_add_defer(m->event, &m->verify, on_verify, m);
        if (r >= 0)
                r = sd_event_source_set_priority(m->verify, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->verify, SD_EVENT_ON);
        return r;
}
