/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.DomainSnapshot on <root>/domainsnapshot/_<uuid>_<name>:
 * GetXMLDesc, GetParent, ListChildren, IsCurrent, Revert, Delete. Each call
 * finds its domain and snapshot from its own path (domain-snapshot.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "domain-dbus.h"
#include "domain-driver.h"
#include "domain-manager.h"
#include "domain-snapshot.h"
#include "error.h"
#include "log.h"
#include "util.h"

#define READ SD_BUS_VTABLE_UNPRIVILEGED

/* The snapshot of msg's path: its domain and its definition. */
static int snapshot_of(sd_bus_message *msg, Manager *m, Domain **ret_d, DomainSnapshotDef **ret,
                       sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        const char *path = sd_bus_message_get_path(msg);
        int r = domain_snapshot_from_path(m, path, ret_d, &name);

        if (r < 0)
                return r;
        if (r == 0)
                return vb_error_setf(error, VB_ERROR_NO_DOMAIN_SNAPSHOT, "Domain snapshot not found: no snapshot at %s",
                                     path);
        return domain_snapshot_load(*ret_d, name, ret, error);
}

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        _cleanup_free_ char *xml = NULL;
        Domain *d;
        uint32_t flags;
        int r = bus_read_flags(msg, SNAPSHOT_XML_SECURE, &flags, error);

        if (r >= 0)
                r = snapshot_of(msg, userdata, &d, &def, error);
        if (r < 0)
                return r;
        if (def->domain_xml && !(flags & SNAPSHOT_XML_SECURE)) {
                /* Passwords only with SECURE, as GetXMLDesc of a domain. */
                _cleanup_(domain_def_freep) DomainDef *dom = NULL;
                ConfError err = {};
                if (domain_def_parse(def->domain_xml, 0, &dom, &err) >= 0) {
                        def->domain_xml = mfree(def->domain_xml);
                        r = domain_def_format(dom, DOMAIN_FORMAT_INACTIVE, &def->domain_xml);
                        if (r < 0)
                                return r;
                }
        }
        r = domain_snapshot_def_format(def, 0, &xml);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_get_parent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        _cleanup_free_ char *path = NULL;
        Domain *d;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r >= 0)
                r = snapshot_of(msg, userdata, &d, &def, error);
        if (r < 0)
                return r;
        if (!def->parent)
                return vb_error_setf(error, VB_ERROR_NO_DOMAIN_SNAPSHOT,
                                     "Domain snapshot not found: snapshot '%s' does not have a parent", def->name);
        path = domain_snapshot_path(d, def->parent);
        if (!path)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_list_children(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        _cleanup_(snapshot_list_done) SnapshotList l = {};
        const DomainSnapshotDef *self;
        Domain *d;
        uint32_t flags;
        int r = bus_read_flags(msg, SNAPSHOT_LIST_ALL_FLAGS & ~SNAPSHOT_LIST_TOPOLOGICAL, &flags, error);

        if (r >= 0)
                r = snapshot_of(msg, userdata, &d, &def, error);
        if (r >= 0)
                r = domain_snapshot_list_load(d, &l);
        if (r < 0)
                return r;
        self = snapshot_list_find(&l, def->name);
        if (!self)
                return snapshot_not_found(d, def->name, error);
        return domain_snapshot_reply_list(msg, d, &l, self, flags, flags & SNAPSHOT_LIST_DESCENDANTS);
}

static int method_is_current(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        Domain *d;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r >= 0)
                r = snapshot_of(msg, userdata, &d, &def, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "b", def->active == 1);
}

static int method_revert(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        const DomainSnapshotOps *ops;
        Domain *d;
        uint32_t flags;
        int r = bus_read_flags(msg, SNAPSHOT_REVERT_RUNNING | SNAPSHOT_REVERT_PAUSED | SNAPSHOT_REVERT_FORCE, &flags,
                               error);

        if (r >= 0)
                r = snapshot_of(msg, userdata, &d, &def, error);
        if (r < 0)
                return r;
        if ((flags & SNAPSHOT_REVERT_RUNNING) && (flags & SNAPSHOT_REVERT_PAUSED))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "the RUNNING and PAUSED revert flags are mutually exclusive");
        ops = d->manager->driver->snapshot;
        if (!ops || !ops->revert)
                return domain_not_supported(d, "virDomainRevertToSnapshot", error);
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_revert, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        domain_snapshot_task_run(d, SNAPSHOT_TASK_REVERT, TAKE_PTR(def), flags);
        return 1;
}

static int method_delete(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        Domain *d;
        uint32_t flags;
        int r = bus_read_flags(msg,
                               SNAPSHOT_DELETE_CHILDREN | SNAPSHOT_DELETE_METADATA_ONLY |
                                       SNAPSHOT_DELETE_CHILDREN_ONLY,
                               &flags, error);

        if (r >= 0)
                r = snapshot_of(msg, userdata, &d, &def, error);
        if (r < 0)
                return r;
        if ((flags & SNAPSHOT_DELETE_CHILDREN) && (flags & SNAPSHOT_DELETE_CHILDREN_ONLY))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "the CHILDREN and CHILDREN_ONLY delete flags are mutually exclusive");
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_delete, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        domain_snapshot_task_run(d, SNAPSHOT_TASK_DELETE, TAKE_PTR(def), flags);
        return 1;
}

static const sd_bus_vtable snapshot_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("Delete", "u", SD_BUS_PARAM(flags), NULL, , method_delete, 0),
        SD_BUS_METHOD_WITH_NAMES("GetParent", "u", SD_BUS_PARAM(flags), "o", SD_BUS_PARAM(domainSnapshot),
                                 method_get_parent, READ),
        SD_BUS_METHOD_WITH_NAMES("GetXMLDesc", "u", SD_BUS_PARAM(flags), "s", SD_BUS_PARAM(xml),
                                 method_get_xml_desc, READ),
        SD_BUS_METHOD_WITH_NAMES("IsCurrent", "u", SD_BUS_PARAM(flags), "b", SD_BUS_PARAM(domainSnapshot),
                                 method_is_current, READ),
        SD_BUS_METHOD_WITH_NAMES("ListChildren", "u", SD_BUS_PARAM(flags), "ao", SD_BUS_PARAM(domainSnapshots),
                                 method_list_children, READ),
        SD_BUS_METHOD_WITH_NAMES("Revert", "u", SD_BUS_PARAM(flags), NULL, , method_revert, 0),
        SD_BUS_VTABLE_END,
};

static int snapshot_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                         sd_bus_error *error) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        _cleanup_free_ char *name = NULL;
        Manager *m = userdata;
        Domain *d;

        /* Any name under a domain that is there: a call on a snapshot that
         * is gone answers NoDomainSnapshot naming it, as libvirt-dbus's. */
        if (domain_snapshot_from_path(m, path, &d, &name) <= 0)
                return 0;
        *found = m;
        return 1;
}

static int snapshot_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        char **l = NULL;
        size_t n = 0;

        for (size_t i = 0; i < m->n_domains; i++) {
                _cleanup_(snapshot_list_done) SnapshotList sl = {};
                if (domain_snapshot_list_load(m->domains[i], &sl) < 0)
                        continue;
                for (size_t j = 0; j < sl.n; j++) {
                        char **nl = reallocarray(l, n + 2, sizeof(char *));
                        if (!nl) {
                                strv_free(l);
                                return -ENOMEM;
                        }
                        l = nl;
                        l[n] = domain_snapshot_path(m->domains[i], sl.items[j]->name);
                        l[n + 1] = NULL;
                        if (!l[n]) {
                                strv_free(l);
                                return -ENOMEM;
                        }
                        n++;
                }
        }
        *nodes = l;
        return 0;
}

int domain_snapshot_dbus_register(Manager *m) {
        return bus_add_object_kind(m->bus, m->driver->root, "domainsnapshot", "org.libvirt.DomainSnapshot",
                                   snapshot_vtable, snapshot_find, snapshot_enumerate, m);
}
