/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The snapshot methods of org.libvirt.Domain: SnapshotCreateXML,
 * ListDomainSnapshots, SnapshotLookupByName, SnapshotCurrent
 * (domain-snapshot.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-connect.h"
#include "bus-util.h"
#include "domain-dbus.h"
#include "domain-driver.h"
#include "domain-snapshot.h"
#include "error.h"
#include "log.h"
#include "util.h"

#define READ SD_BUS_VTABLE_UNPRIVILEGED

static const DomainSnapshotOps *ops_of(const Domain *d) {
        return d->manager->driver->snapshot;
}

static int reply_snapshot_path(sd_bus_message *msg, const Domain *d, const char *name) {
        _cleanup_free_ char *path = domain_snapshot_path(d, name);

        if (!path)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "o", path);
}

static const char *state_word(const Domain *d) {
        switch (d->state) {
        case DOMAIN_RUNNING:
                return "running";
        case DOMAIN_PAUSED:
                return "paused";
        case DOMAIN_SHUTOFF:
                return "shutoff";
        default:
                return domain_is_active(d) ? "running" : "shutoff";
        }
}

/* What the user did not say: name (the time, as libvirt), parent (the
 * current snapshot), state, time, and the definition as it is. */
static int fill_in(Domain *d, DomainSnapshotDef *def, const SnapshotList *l, unsigned flags) {
        const DomainSnapshotDef *cur = snapshot_list_current(l);
        int r;

        def->creation_time = time(NULL);
        if (!def->name && asprintf(&def->name, "%lld", (long long) def->creation_time) < 0)
                return -ENOMEM;
        free(def->parent);
        def->parent = cur ? strdup(cur->name) : NULL;
        if (cur && !def->parent)
                return -ENOMEM;
        free(def->state);
        def->state = strdup(flags & SNAPSHOT_CREATE_DISK_ONLY ? "disk-snapshot" : state_word(d));
        if (!def->state)
                return -ENOMEM;
        free(def->domain_xml);
        def->domain_xml = NULL;
        r = domain_def_format(domain_current_def(d, false), DOMAIN_FORMAT_SECURE | DOMAIN_FORMAT_INACTIVE,
                              &def->domain_xml);
        if (r < 0)
                return r;
        def->active = 1;
        return 0;
}

static int redefine(Domain *d, DomainSnapshotDef *def, const SnapshotList *l, unsigned flags,
                    sd_bus_error *error) {
        int r;

        if (!def->name)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "a redefined snapshot needs a <name>");
        if (def->parent && !snapshot_list_find(l, def->parent))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "parent '%s' of redefined snapshot '%s' does not exist", def->parent, def->name);
        if (def->creation_time < 0)
                def->creation_time = time(NULL);
        def->active = !!(flags & SNAPSHOT_CREATE_CURRENT);
        r = domain_snapshot_write(d, def);
        if (r >= 0 && def->active)
                r = domain_snapshot_set_current(d, def->name);
        return r;
}

/* Parses and checks the call; a redefinition is done here (0), a new
 * snapshot returns 1 with *ret the prepared definition for the task. */
static int create(Domain *d, const char *xml, unsigned flags, DomainSnapshotDef **ret, char **ret_name,
                  sd_bus_error *error) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        _cleanup_(snapshot_list_done) SnapshotList l = {};
        const DomainSnapshotOps *ops = ops_of(d);
        ConfError err = {};
        int r;

        r = domain_snapshot_def_parse(xml, 0, &def, &err);
        if (r < 0)
                return vb_error_setf(error, err.name ? err.name : VB_ERROR_XML, "%s",
                                     err.message[0] ? err.message : strerror(-r));
        r = domain_snapshot_list_load(d, &l);
        if (r < 0)
                return r;
        if (flags & SNAPSHOT_CREATE_REDEFINE) {
                r = redefine(d, def, &l, flags, error);
                if (r >= 0 && !(*ret_name = strdup(def->name)))
                        r = -ENOMEM;
                return r;
        }
        if (flags & SNAPSHOT_CREATE_CURRENT)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "the CURRENT flag needs REDEFINE");
        if (def->name && snapshot_list_find(&l, def->name))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "domain snapshot '%s' already exists in domain '%s'", def->name, d->def->name);
        if (!ops || !ops->prepare || !ops->create)
                return domain_not_supported(d, "SnapshotCreateXML", error);
        r = fill_in(d, def, &l, flags);
        if (r < 0)
                return r;
        if (snapshot_list_find(&l, def->name))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "domain snapshot '%s' already exists in domain '%s'", def->name, d->def->name);
        r = ops->prepare(d, def, flags, error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(def);
        return 1;
}

static int method_snapshot_create_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        _cleanup_free_ char *name = NULL;
        Domain *d = userdata;
        const char *xml;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "su", &xml, &flags);

        if (r < 0)
                return r;
        r = bus_check_flags(flags, (1u << 10) - 1, error);
        if (r < 0)
                return r;
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_snapshot_create_xml, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = create(d, xml, flags, &def, &name, error);
        if (r > 0) {
                /* The task answers the call and ends the job. */
                domain_snapshot_task_run(d, SNAPSHOT_TASK_CREATE, TAKE_PTR(def), flags);
                return 1;
        }
        domain_job_end(d->jobs);
        if (r < 0)
                return r;
        return reply_snapshot_path(msg, d, name);
}

bool domain_snapshot_matches(const SnapshotList *l, const DomainSnapshotDef *s, uint32_t flags) {
        bool leaf = snapshot_list_n_children(l, s->name) == 0;
        bool disk_only = s->state && streq(s->state, "disk-snapshot");
        bool inactive = s->state && streq(s->state, "shutoff");
        bool external = s->memory == SNAPSHOT_LOCATION_EXTERNAL;

        for (size_t i = 0; i < s->n_disks; i++)
                if (s->disks[i].snapshot == SNAPSHOT_LOCATION_EXTERNAL)
                        external = true;
        if (!list_flags_match(flags, SNAPSHOT_LIST_LEAVES, SNAPSHOT_LIST_NO_LEAVES, leaf))
                return false;
        /* Every snapshot here has metadata. */
        if ((flags & SNAPSHOT_LIST_NO_METADATA) && !(flags & SNAPSHOT_LIST_METADATA))
                return false;
        if (flags & (SNAPSHOT_LIST_INACTIVE | SNAPSHOT_LIST_ACTIVE | SNAPSHOT_LIST_DISK_ONLY)) {
                if (!((flags & SNAPSHOT_LIST_INACTIVE && inactive) || (flags & SNAPSHOT_LIST_DISK_ONLY && disk_only) ||
                      (flags & SNAPSHOT_LIST_ACTIVE && !inactive && !disk_only)))
                        return false;
        }
        if (!list_flags_match(flags, SNAPSHOT_LIST_EXTERNAL, SNAPSHOT_LIST_INTERNAL, external))
                return false;
        return true;
}

int domain_snapshot_reply_list(sd_bus_message *msg, const Domain *d, const SnapshotList *l, const DomainSnapshotDef *under,
                      uint32_t flags, bool descendants) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);

        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "o");
        for (size_t i = 0; r >= 0 && i < l->n; i++) {
                const DomainSnapshotDef *s = l->items[i];
                _cleanup_free_ char *path = NULL;

                if (under) {
                        if (s == under || !snapshot_list_is_descendant(l, s, under))
                                continue;
                        if (!descendants && !(s->parent && streq(s->parent, under->name)))
                                continue;
                } else if ((flags & SNAPSHOT_LIST_ROOTS) && s->parent)
                        continue;
                if (!domain_snapshot_matches(l, s, flags))
                        continue;
                path = domain_snapshot_path(d, s->name);
                r = path ? sd_bus_message_append(reply, "o", path) : -ENOMEM;
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_domain_snapshots(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(snapshot_list_done) SnapshotList l = {};
        Domain *d = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, SNAPSHOT_LIST_ALL_FLAGS, &flags, error);

        if (r < 0)
                return r;
        r = domain_snapshot_list_load(d, &l);
        if (r < 0)
                return r;
        return domain_snapshot_reply_list(msg, d, &l, NULL, flags, false);
}

static int method_snapshot_lookup_by_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        Domain *d = userdata;
        const char *name;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "su", &name, &flags);

        if (r < 0)
                return r;
        r = bus_check_flags(flags, 0, error);
        if (r >= 0)
                r = domain_snapshot_load(d, name, &def, error);
        if (r < 0)
                return r;
        return reply_snapshot_path(msg, d, def->name);
}

static int method_snapshot_current(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(snapshot_list_done) SnapshotList l = {};
        const DomainSnapshotDef *cur;
        Domain *d = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r >= 0)
                r = domain_snapshot_list_load(d, &l);
        if (r < 0)
                return r;
        cur = snapshot_list_current(&l);
        if (!cur)
                return vb_error_setf(error, VB_ERROR_NO_DOMAIN_SNAPSHOT,
                                     "Domain snapshot not found: the domain '%s' does not have a current snapshot",
                                     d->def->name);
        return reply_snapshot_path(msg, d, cur->name);
}

const sd_bus_vtable domain_snapshot_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("ListDomainSnapshots", "u", SD_BUS_PARAM(flags), "ao",
                                 SD_BUS_PARAM(domainSnapshots), method_list_domain_snapshots, READ),
        SD_BUS_METHOD_WITH_NAMES("SnapshotCreateXML", "su", SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), "o",
                                 SD_BUS_PARAM(domainSnapshot), method_snapshot_create_xml, 0),
        SD_BUS_METHOD_WITH_NAMES("SnapshotCurrent", "u", SD_BUS_PARAM(flags), "o", SD_BUS_PARAM(domainSnapshot),
                                 method_snapshot_current, READ),
        SD_BUS_METHOD_WITH_NAMES("SnapshotLookupByName", "su", SD_BUS_PARAM(name) SD_BUS_PARAM(flags), "o",
                                 SD_BUS_PARAM(domainSnapshot), method_snapshot_lookup_by_name, READ),
        SD_BUS_VTABLE_END,
};
