/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-connect.h"
#include "bus-util.h"
#include "connect-dbus.h"
#include "domain-dbus.h"
#include "domain-load.h"
#include "domain-manager.h"
#include "domain-save.h"
#include "domain-snapshot.h"
#include "error.h"
#include "log.h"
#include "util.h"

static bool domain_matches_flags(const Domain *d, uint32_t flags) {
        if (!list_flags_match(flags, LIST_DOMAINS_ACTIVE, LIST_DOMAINS_INACTIVE, domain_is_active(d)) ||
            !list_flags_match(flags, LIST_DOMAINS_PERSISTENT, LIST_DOMAINS_TRANSIENT, d->persistent) ||
            !list_flags_match(flags, LIST_DOMAINS_AUTOSTART, LIST_DOMAINS_NO_AUTOSTART, d->autostart))
                return false;
        if (flags & (LIST_DOMAINS_RUNNING | LIST_DOMAINS_PAUSED | LIST_DOMAINS_SHUTOFF | LIST_DOMAINS_OTHER)) {
                bool ok = (flags & LIST_DOMAINS_RUNNING && d->state == DOMAIN_RUNNING) ||
                          (flags & LIST_DOMAINS_PAUSED && d->state == DOMAIN_PAUSED) ||
                          (flags & LIST_DOMAINS_SHUTOFF && d->state == DOMAIN_SHUTOFF) ||
                          (flags & LIST_DOMAINS_OTHER && d->state != DOMAIN_RUNNING &&
                           d->state != DOMAIN_PAUSED && d->state != DOMAIN_SHUTOFF);
                if (!ok)
                        return false;
        }
        /* Asked only when the flags care: each answer is a file lookup. */
        if ((flags & (LIST_DOMAINS_MANAGEDSAVE | LIST_DOMAINS_NO_MANAGEDSAVE)) &&
            !list_flags_match(flags, LIST_DOMAINS_MANAGEDSAVE, LIST_DOMAINS_NO_MANAGEDSAVE,
                              domain_has_managed_save(d)))
                return false;
        if ((flags & (LIST_DOMAINS_HAS_SNAPSHOT | LIST_DOMAINS_NO_SNAPSHOT)) &&
            !list_flags_match(flags, LIST_DOMAINS_HAS_SNAPSHOT, LIST_DOMAINS_NO_SNAPSHOT,
                              domain_snapshot_count(d) > 0))
                return false;
        /* No domain has a checkpoint. */
        static const uint32_t never[][2] = {
                { LIST_DOMAINS_HAS_CHECKPOINT, LIST_DOMAINS_NO_CHECKPOINT },
        };
        for (size_t i = 0; i < ELEMENTSOF(never); i++)
                if ((flags & never[i][0]) && !(flags & never[i][1]))
                        return false;
        return true;
}

static const char *domain_listed(const void *item, uint32_t flags) {
        const Domain *d = item;

        return !d->broken && domain_matches_flags(d, flags) ? d->path : NULL;
}

static int method_list_domains(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, LIST_DOMAINS_ALL_FLAGS, &flags, error);

        if (r < 0)
                return r;
        return bus_reply_object_list(msg, (void *const *) m->domains, m->n_domains, domain_listed, flags);
}

/* org.virtbus.Connect1.ListDomainHandles: what ListDomains lists, each as a
 * libvirt client's handle holds it (name, UUID, id: -1 when inactive), in
 * one answer; the proxy's virConnectListAllDomains would otherwise read
 * every domain's properties, a call each. */
static int method_list_domain_handles(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, LIST_DOMAINS_ALL_FLAGS, &flags, error);

        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssi)");
        for (size_t i = 0; r >= 0 && i < m->n_domains; i++) {
                const Domain *d = m->domains[i];
                if (!d->broken && domain_matches_flags(d, flags))
                        r = sd_bus_message_append(reply, "(ssi)", domain_name(d), d->uuid_str,
                                                  domain_is_active(d) && d->id > 0 ? d->id : -1);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_lookup_by_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *name;
        Domain *d;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        d = manager_find_by_name(userdata, name);
        if (!d)
                d = manager_peek_by_name(userdata, name);
        /* one whose definition failed to parse says why */
        if (d && (r = manager_load_def(userdata, d, error)) < 0)
                return r;
        if (!d)
                return vb_error_setf(error, VB_ERROR_NO_DOMAIN, "Domain not found: no domain with matching name '%s'",
                                     name);
        return bus_reply_object_path(msg, d->path);
}

static int method_lookup_by_uuid(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *s;
        uint8_t uuid[16];
        Domain *d;
        int r;

        r = bus_read_uuid(msg, &s, uuid, error);
        if (r < 0)
                return r;
        d = manager_find_by_uuid(userdata, uuid);
        if (!d)
                d = manager_peek_by_uuid(userdata, uuid);
        if (d && (r = manager_load_def(userdata, d, error)) < 0)
                return r;
        if (!d)
                return vb_error_setf(error, VB_ERROR_NO_DOMAIN, "Domain not found: no domain with matching uuid '%s'",
                                     s);
        return bus_reply_object_path(msg, d->path);
}

static int method_lookup_by_id(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        int32_t id;
        Domain *d;
        int r;

        r = sd_bus_message_read(msg, "i", &id);
        if (r < 0)
                return r;
        d = id > 0 ? manager_find_by_id(userdata, id) : NULL;
        if (!d)
                return vb_error_setf(error, VB_ERROR_NO_DOMAIN, "Domain not found: no domain with matching id %d", id);
        return bus_reply_object_path(msg, d->path);
}

/* Parses and checks a definition from a caller: the model's checks, the
 * driver's, then what the driver fills in (device addresses: the saved
 * definition shows them), with rules the driver's define-time rules, the
 * model's checks again. */
static int parse_definition(Manager *m, const char *xml, bool rules, DomainDef **ret, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const DomainDriver *driver = m->driver;
        ConfError err = {};
        int r;

        r = domain_def_parse(xml, strlen(xml), &def, &err);
        if (r >= 0)
                r = domain_def_validate(def, &err);
        if (r >= 0 && driver->validate)
                r = driver->validate(m, def, &err);
        if (r >= 0 && driver->post_parse)
                r = driver->post_parse(m, def, &err);
        if (r >= 0 && rules && driver->define_rules)
                r = driver->define_rules(m, def, &err);
        if (r >= 0)
                r = domain_def_validate(def, &err);
        if (r < 0)
                return vb_error_setf(error, err.name ? err.name : VB_ERROR_XML, "%s",
                                     err.message[0] ? err.message : strerror(-r));
        *ret = TAKE_PTR(def);
        return 0;
}

/* A new definition may replace one with the same name and uuid; a clash of
 * only one of the two is refused, naming both. */
static int check_duplicates(Manager *m, const DomainDef *def, Domain **ret, sd_bus_error *error) {
        Domain *by_name = manager_find_by_name(m, def->name);
        Domain *by_uuid = manager_find_by_uuid(m, def->uuid);
        if (by_uuid && by_uuid != by_name)
                return vb_error_setf(error, VB_ERROR_DOMAIN_EXISTS,
                                     "domain '%s' is already defined with uuid %s", by_uuid->def->name,
                                     by_uuid->uuid_str);
        if (by_name && by_name != by_uuid)
                return vb_error_setf(error, VB_ERROR_DOMAIN_EXISTS, "domain '%s' already exists with uuid %s",
                                     def->name, by_name->uuid_str);
        *ret = by_name;
        return 0;
}

static int redefine(Domain *d, DomainDef **def, bool *added, sd_bus_error *error);

/* A new definition is answered once its file is on disk; the files of
 * defines that arrive together are flushed together (sync-batch.h), so many
 * clients defining at once share the disk's flushes. The reply waits for the
 * flush, never goes without it. */
typedef struct DefineWait {
        Manager *m;
        sd_bus_message *msg;
        uint8_t uuid[16];
        char path[];
} DefineWait;

static int define_failed(Domain *d, int error, sd_bus_error *ret_error) {
        (void) domain_remove_config(d);
        return vb_error_setf(ret_error, VB_ERROR_OPERATION_FAILED, "cannot save the definition: %s", strerror(-error));
}

static void define_durable(void *userdata, int error) {
        DefineWait *w = userdata;
        Domain *d = manager_find_by_uuid(w->m, w->uuid);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (error < 0 && d && !domain_is_active(d)) {
                (void) define_failed(d, error, &e);
                manager_remove_domain(w->m, d);
                domain_free(d);
                (void) sd_bus_reply_method_error(w->msg, &e);
        } else {
                /* Undefined meanwhile, or started (then it stays): it was defined. */
                if (d)
                        domain_emit_event(d, DOMAIN_EVENT_DEFINED, DOMAIN_EVENT_DEFINED_ADDED);
                (void) bus_reply_object_path(w->msg, w->path);
        }
        sd_bus_message_unref(w->msg);
        free(w);
}

static int define_new(Manager *m, sd_bus_message *msg, DomainDef *def, sd_bus_error *error) {
        _cleanup_free_ char *file = NULL;
        DefineWait *w;
        Domain *d;
        int r = domain_new(m, def, &d);

        if (r < 0)
                return r;
        d->persistent = true;
        w = malloc(sizeof(*w) + strlen(d->path) + 1);
        if (!w) {
                domain_free(d);
                return -ENOMEM;
        }
        *w = (DefineWait) { .m = m, .msg = sd_bus_message_ref(msg) };
        memcpy(w->uuid, d->def->uuid, sizeof(w->uuid));
        strcpy(w->path, d->path);
        r = domain_write_config_unsynced(d, &file);
        if (r >= 0 && (r = manager_add_domain(m, d)) >= 0) {
                r = sync_batch_queue(m->syncs, file, define_durable, w);
                if (r >= 0)
                        return 1;
                manager_remove_domain(m, d);
        }
        sd_bus_message_unref(w->msg);
        free(w);
        r = define_failed(d, r, error);
        domain_free(d);
        return r;
}

static int method_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const char *xml;
        Domain *d;
        bool added = false;
        int r;

        r = sd_bus_message_read(msg, "s", &xml);
        if (r < 0)
                return r;
        r = parse_definition(m, xml, true, &def, error);
        if (r < 0)
                return r;
        r = check_duplicates(m, def, &d, error);
        if (r < 0)
                return r;

        if (!d)
                return define_new(m, msg, TAKE_PTR(def), error);
        else {
                r = domain_job_begin(d->jobs, DOMAIN_JOB_DEFINE, msg, method_define_xml, m, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
                r = redefine(d, &def, &added, error);
                domain_job_end(d->jobs);
                if (r < 0)
                        return r;
        }
        domain_emit_event(d, DOMAIN_EVENT_DEFINED, added ? DOMAIN_EVENT_DEFINED_ADDED : DOMAIN_EVENT_DEFINED_UPDATED);
        return bus_reply_object_path(msg, d->path);
}

/* A new definition for a known domain; a running one keeps its own until it
 * stops. */
static int redefine(Domain *d, DomainDef **def, bool *added, sd_bus_error *error) {
        DomainDef **slot = domain_is_active(d) ? &d->newdef : &d->def;
        DomainDef *old = *slot;
        bool was_persistent = d->persistent;
        int r;

        *slot = TAKE_PTR(*def);
        d->persistent = true;
        r = domain_save_config(d);
        if (r < 0) {
                /* Put everything back as it was. */
                *def = *slot;
                *slot = old;
                d->persistent = was_persistent;
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot save the definition: %s",
                                     strerror(-r));
        }
        domain_def_free(old);
        *added = !was_persistent;
        return 0;
}

static int method_create_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const char *xml;
        uint32_t flags;
        Domain *d;
        int r;

        r = sd_bus_message_read(msg, "su", &xml, &flags);
        if (r < 0)
                return r;
        r = parse_definition(m, xml, true, &def, error);
        if (r < 0)
                return r;
        if (!m->driver->start)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "this function is not supported by the %s driver: DomainCreateXML",
                                     m->driver->name);
        r = check_duplicates(m, def, &d, error);
        if (r < 0)
                return r;
        if (d && domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is already running", def->name);
        if (d) {
                /* A defined domain runs this once with the given XML, as in
                 * libvirt; its definition stays as it is. */
                r = domain_job_begin(d->jobs, DOMAIN_JOB_START, msg, method_create_xml, m, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
                d->start_def = TAKE_PTR(def);
                r = m->driver->start(d, flags, msg, error);
                if (r < 0)
                        d->start_def = domain_def_free(d->start_def);
                return r < 0 ? r : 1;
        }
        r = domain_new(m, TAKE_PTR(def), &d);
        if (r < 0)
                return r;
        r = manager_add_domain(m, d);
        if (r < 0) {
                domain_free(d);
                return r;
        }
        r = m->driver->start(d, flags, msg, error);
        if (r < 0) {
                manager_remove_domain(m, d);
                domain_free(d);
                return r;
        }
        return 1; /* answered when it runs */
}

static int method_get_capabilities(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        if (!m->driver->get_capabilities)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "this function is not supported by the %s driver: GetCapabilities",
                                     m->driver->name);
        return m->driver->get_capabilities(m, msg, error);
}

static int method_get_domain_capabilities(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *emu, *arch, *machine, *virttype;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "ssssu", &emu, &arch, &machine, &virttype, &flags);
        if (r < 0 || (r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        if (!m->driver->get_domain_capabilities)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "this function is not supported by the %s driver: GetDomainCapabilities",
                                     m->driver->name);
        return m->driver->get_domain_capabilities(m, msg, emu, arch, machine, virttype, error);
}

static int property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "t", m->driver->version ? m->driver->version(m) : (uint64_t) 0);
}

/* Version is the hypervisor's, known once the driver has probed it (QEMU's
 * capabilities). A read of it before that (Get, or GetAll of Connect) waits
 * for the probe, which never blocks the loop, and is then dispatched again.
 * After a probe that failed, reads say 0 ("cannot tell", to libvirt's
 * clients) at once; a later probe that works (GetCapabilities) fixes it. */
static bool version_unknowable;

static void version_known(Manager *m, int r, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = userdata;

        version_unknowable = r < 0;
        if (sd_bus_enqueue_for_read(m->bus, msg) < 0)
                (void) sd_bus_reply_method_errorf(msg, VB_ERROR_OPERATION_FAILED, "cannot read the %s version",
                                                  m->driver->name);
}

static bool reads_version(sd_bus_message *msg) {
        const char *iface = NULL, *property = "Version";
        bool get = sd_bus_message_is_method_call(msg, "org.freedesktop.DBus.Properties", "Get");
        bool all = sd_bus_message_is_method_call(msg, "org.freedesktop.DBus.Properties", "GetAll");
        bool r;

        if (!get && !all)
                return false;
        /* > 0: a call without the arguments is the vtable's to refuse */
        r = sd_bus_message_read(msg, "s", &iface) > 0 && (!get || sd_bus_message_read(msg, "s", &property) > 0) &&
            (streq(iface, "org.libvirt.Connect") || (all && !*iface)) && streq(property, "Version");
        (void) sd_bus_message_rewind(msg, true);
        return r;
}

/* Runs before the vtable on every call to the root object. */
static int on_root_call(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        if (version_unknowable || m->driver->version(m) != 0 || !reads_version(msg))
                return 0;
        if (m->driver->with_version(m, version_known, sd_bus_message_ref(msg)) < 0) {
                sd_bus_message_unref(msg);
                return 0; /* answered now: 0 */
        }
        return 1;
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable connect_vtable[] = {
        SD_BUS_VTABLE_START(0),
        BUS_CONNECT_PROPERTIES,
        SD_BUS_PROPERTY("Version", "t", property_version, 0, 0),
        SD_BUS_METHOD_WITH_NAMES("ListDomains", "u", SD_BUS_PARAM(flags), "ao", SD_BUS_PARAM(domains),
                                 method_list_domains, READ),
        SD_BUS_METHOD_WITH_NAMES("DomainLookupByName", "s", SD_BUS_PARAM(name), "o", SD_BUS_PARAM(domain),
                                 method_lookup_by_name, READ),
        SD_BUS_METHOD_WITH_NAMES("DomainLookupByUUID", "s", SD_BUS_PARAM(uuid), "o", SD_BUS_PARAM(domain),
                                 method_lookup_by_uuid, READ),
        SD_BUS_METHOD_WITH_NAMES("DomainLookupByID", "i", SD_BUS_PARAM(id), "o", SD_BUS_PARAM(domain),
                                 method_lookup_by_id, READ),
        SD_BUS_METHOD_WITH_NAMES("DomainDefineXML", "s", SD_BUS_PARAM(xml), "o", SD_BUS_PARAM(domain),
                                 method_define_xml, 0),
        SD_BUS_METHOD_WITH_NAMES("DomainCreateXML", "su", SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), "o",
                                 SD_BUS_PARAM(domain), method_create_xml, 0),
        SD_BUS_METHOD_WITH_NAMES("GetCapabilities", NULL, , "s", SD_BUS_PARAM(capabilities),
                                 method_get_capabilities, READ),
        SD_BUS_METHOD_WITH_NAMES("GetDomainCapabilities", "ssssu",
                                 SD_BUS_PARAM(emulatorbin) SD_BUS_PARAM(arch) SD_BUS_PARAM(machine)
                                 SD_BUS_PARAM(virttype) SD_BUS_PARAM(flags),
                                 "s", SD_BUS_PARAM(domCapabilities), method_get_domain_capabilities, READ),
        SD_BUS_SIGNAL_WITH_NAMES("DomainEvent", "oii", SD_BUS_PARAM(domain) SD_BUS_PARAM(event) SD_BUS_PARAM(detail), 0),
        SD_BUS_VTABLE_END,
};

/* virtbus's own additions to the Connect object, beside libvirt-dbus's
 * interface (whose methods keep libvirt-dbus's signatures). Root only: they
 * are for the proxy. */
static const sd_bus_vtable connect1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("ListDomainHandles", "u", SD_BUS_PARAM(flags), "a(ssi)",
                                 SD_BUS_PARAM(domains), method_list_domain_handles, 0),
        SD_BUS_VTABLE_END,
};

/* Further Connect methods, a group to a file, merged into the one interface. */
static const sd_bus_vtable *const connect_vtables[] = {
        connect_node_vtable,
        connect_save_vtable,
        connect_migrate_vtable,
        connect_control_vtable,
        connect_security_vtable,
};

int connect_dbus_register(Manager *m) {
        int r = sd_bus_add_object_vtable(m->bus, NULL, m->driver->root, "org.libvirt.Connect", connect_vtable, m);

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(connect_vtables); i++)
                r = sd_bus_add_object_vtable(m->bus, NULL, m->driver->root, "org.libvirt.Connect", connect_vtables[i],
                                             m);
        if (r >= 0)
                r = sd_bus_add_object_vtable(m->bus, NULL, m->driver->root, "org.virtbus.Connect1", connect1_vtable, m);
        if (r >= 0 && m->driver->version && m->driver->with_version)
                r = sd_bus_add_object(m->bus, NULL, m->driver->root, on_root_call, m);
        return r;
}

/* For DomainRestore and Create's managed save (domain-save.c,
 * connect-save-dbus.c): the same checks as DomainDefineXML. */
int connect_parse_definition(Manager *m, const char *xml, DomainDef **ret, sd_bus_error *error) {
        return parse_definition(m, xml, false, ret, error);
}

int connect_check_duplicates(Manager *m, const DomainDef *def, Domain **ret, sd_bus_error *error) {
        return check_duplicates(m, def, ret, error);
}
