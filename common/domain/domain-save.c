/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain core's part of save and restore: where a managed save image
 * lives, Create restoring it, Undefine's rule about it. The image itself
 * is the driver's (DomainSaveOps). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect-dbus.h"
#include "domain-driver.h"
#include "domain-manager.h"
#include "domain-save.h"
#include "error.h"
#include "log.h"
#include "util.h"

void domain_job_stats_done(DomainJobStats *s) {
        s->error = mfree(s->error);
}

int domain_managed_save_path(const Domain *d, char **ret) {
        const Manager *m = d->manager;

        if (asprintf(ret, "%s/%s/save/%s.save", m->paths.statedir, m->driver->dir, domain_name(d)) < 0)
                return -ENOMEM;
        return 0;
}

bool domain_has_managed_save(const Domain *d) {
        _cleanup_free_ char *path = NULL;

        if (domain_managed_save_path(d, &path) < 0)
                return false;
        return access(path, F_OK) == 0;
}

int domain_managed_save_remove(Domain *d, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;

        if (domain_managed_save_path(d, &path) < 0)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot remove the managed save image %s: %s", path,
                                     strerror(errno));
        return 0;
}

int domain_start_managed_save(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error) {
        const DomainSaveOps *ops = d->manager->driver->save;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *path = NULL, *xml = NULL;
        unsigned restore_flags = 0;
        bool running;
        Domain *other;
        int r;

        if (!ops || !ops->restore || !ops->image_read || (flags & DOMAIN_START_FORCE_BOOT) ||
            !domain_has_managed_save(d))
                return 0;
        r = domain_managed_save_path(d, &path);
        if (r < 0)
                return r;
        r = ops->image_read(d->manager, path, &xml, &running, error);
        if (r < 0)
                return r;
        r = connect_parse_definition(d->manager, xml, &def, error);
        if (r < 0)
                return r;
        r = connect_check_duplicates(d->manager, def, &other, error);
        if (r < 0)
                return r;
        if (other != d)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "the managed save image %s is for domain '%s', not '%s'", path, def->name,
                                     d->def->name);
        if (flags & DOMAIN_START_PAUSED)
                restore_flags |= DOMAIN_SAVE_PAUSED;
        log_info("Restoring %s from its managed save image %s", d->def->name, path);
        d->start_def = TAKE_PTR(def);
        r = ops->restore(d, path, restore_flags, true, call, error);
        if (r < 0) {
                d->start_def = domain_def_free(d->start_def);
                return r;
        }
        return 1;
}

int domain_undefine_check_managed_save(Domain *d, unsigned flags, sd_bus_error *error) {
        if (!domain_has_managed_save(d) || (flags & DOMAIN_UNDEFINE_MANAGED_SAVE))
                return 0;
        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                             "Refusing to undefine while domain '%s' has a managed save image "
                             "(use the MANAGED_SAVE flag to remove it)",
                             d->def->name);
}

int domain_undefine_managed_save(Domain *d, unsigned flags) {
        _cleanup_free_ char *path = NULL;

        if (!(flags & DOMAIN_UNDEFINE_MANAGED_SAVE))
                return 0;
        if (domain_managed_save_path(d, &path) < 0)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
