/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-access.h"
#include "bus-util.h"
#include "domain-agent.h"
#include "domain-console.h"
#include "domain-dbus.h"
#include "domain-load.h"
#include "domain-save.h"
#include "domain-snapshot.h"
#include "domain-manager.h"
#include "domain-stats.h"
#include "error.h"
#include "log.h"
#include "process.h"
#include "util.h"

/* The bus surface only: each method checks its arguments, takes the
 * domain's job (domain-job.h) and hands the work to the driver
 * (domain-driver.h). */

static const DomainDriver *driver_of(const Domain *d) {
        return d->manager->driver;
}

int domain_not_supported(Domain *d, const char *what, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "this function is not supported by the %s driver: %s",
                             driver_of(d)->name, what);
}

int domain_reply_done(sd_bus_message *msg, int r) {
        if (r < 0)
                return r;
        if (r > 0)
                return 1;
        return sd_bus_reply_method_return(msg, NULL);
}

int domain_run_job(sd_bus_message *msg, Domain *d, DomainJobKind kind, sd_bus_message_handler_t self,
                   DomainWorkFn work, sd_bus_error *error) {
        int r;

        if (!work)
                return domain_not_supported(d, sd_bus_message_get_member(msg), error);
        r = domain_job_begin(d->jobs, kind, msg, self, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = work(d, error);
        if (r > 0)
                return 1; /* the driver ends the job and answers */
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

static int method_create(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, DOMAIN_START_PAUSED | DOMAIN_START_AUTODESTROY | DOMAIN_START_BYPASS_CACHE |
                                            DOMAIN_START_FORCE_BOOT,
                               &flags, error);
        if (r < 0)
                return r;
        if (!driver_of(d)->start)
                return domain_not_supported(d, "Create", error);
        r = domain_job_begin(d->jobs, DOMAIN_JOB_START, msg, method_create, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* A managed save image is restored instead of a boot. */
        r = domain_start_managed_save(d, flags, msg, error);
        if (r == 0)
                r = driver_of(d)->start(d, flags, msg, error);
        else if (r < 0 && domain_job_is(d->jobs, DOMAIN_JOB_START))
                domain_job_end(d->jobs);
        return r < 0 ? r : 1;
}

static int method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, DOMAIN_DESTROY_GRACEFUL, &flags, error);

        if (r < 0)
                return r;
        if (!driver_of(d)->destroy)
                return domain_not_supported(d, "Destroy", error);
        /* No job: Destroy breaks in. */
        return domain_reply_done(msg, driver_of(d)->destroy(d, msg, error));
}

static int method_shutdown(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, DOMAIN_SHUTDOWN_ACPI_POWER_BTN | DOMAIN_SHUTDOWN_GUEST_AGENT |
                                            driver_of(userdata)->power_flags, &flags, error);

        if (r < 0)
                return r;
        if (domain_agent_takes_power(userdata, flags)) /* domain-agent.h */
                return domain_agent_power(msg, userdata, flags, false, method_shutdown, error);
        return domain_run_job(msg, userdata, DOMAIN_JOB_SHUTDOWN, method_shutdown, driver_of(userdata)->shutdown, error);
}

static int method_reboot(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, DOMAIN_REBOOT_ACPI_POWER_BTN | DOMAIN_REBOOT_GUEST_AGENT |
                                            driver_of(userdata)->power_flags, &flags, error);

        if (r < 0)
                return r;
        if (domain_agent_takes_power(userdata, flags))
                return domain_agent_power(msg, userdata, flags, true, method_reboot, error);
        return domain_run_job(msg, userdata, DOMAIN_JOB_REBOOT, method_reboot, driver_of(userdata)->reboot, error);
}

static int method_reset(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return domain_run_job(msg, userdata, DOMAIN_JOB_RESET, method_reset, driver_of(userdata)->reset, error);
}

static int method_suspend(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return domain_run_job(msg, userdata, DOMAIN_JOB_SUSPEND, method_suspend, driver_of(userdata)->suspend, error);
}

static int method_resume(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return domain_run_job(msg, userdata, DOMAIN_JOB_RESUME, method_resume, driver_of(userdata)->resume, error);
}

static int undefine(Domain *d, sd_bus_error *error);

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        Manager *m = d->manager;
        uint32_t flags;
        int r = bus_read_flags(msg, DOMAIN_UNDEFINE_ALL_FLAGS, &flags, error);

        if (r < 0)
                return r;
        r = domain_job_begin(d->jobs, DOMAIN_JOB_UNDEFINE, msg, method_undefine, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = domain_undefine_check_managed_save(d, flags, error);
        if (r >= 0)
                r = domain_undefine_check_snapshots(d, flags, error);
        if (r >= 0)
                r = undefine(d, error);
        if (r >= 0)
                (void) domain_undefine_managed_save(d, flags);
        if (r >= 0)
                (void) domain_undefine_snapshots(d, flags);
        if (r >= 0 && driver_of(d)->undefined)
                driver_of(d)->undefined(d, flags);
        domain_job_end(d->jobs);
        if (r < 0)
                return r;
        r = sd_bus_reply_method_return(msg, NULL);
        /* A running domain goes on, as a transient one. */
        if (!domain_is_active(d)) {
                manager_remove_domain(m, d);
                domain_free(d);
        }
        return r;
}

static int undefine(Domain *d, sd_bus_error *error) {
        int r;

        if (!d->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "cannot undefine transient domain '%s'",
                                     d->def->name);
        r = domain_remove_config(d);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot remove the definition of '%s': %s",
                                     d->def->name, strerror(-r));
        d->persistent = false;
        d->autostart = false;
        d->newdef = domain_def_free(d->newdef);
        domain_emit_event(d, DOMAIN_EVENT_UNDEFINED, DOMAIN_EVENT_UNDEFINED_REMOVED);
        return 0;
}

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        _cleanup_free_ char *xml = NULL;
        unsigned fmt = 0;
        uint32_t flags;
        int r = bus_read_flags(msg,
                               DOMAIN_XML_SECURE | DOMAIN_XML_INACTIVE | DOMAIN_XML_UPDATE_CPU | DOMAIN_XML_MIGRATABLE,
                               &flags, error);

        if (r < 0)
                return r;
        if (flags & DOMAIN_XML_SECURE) {
                if (!bus_access_caller_is_root(msg))
                        return vb_error_setf(error, VB_ERROR_ACCESS_DENIED,
                                             "the SECURE flag (passwords) is for root only");
                fmt |= DOMAIN_FORMAT_SECURE;
        }
        if (flags & (DOMAIN_XML_INACTIVE | DOMAIN_XML_MIGRATABLE) || !domain_is_active(d))
                fmt |= DOMAIN_FORMAT_INACTIVE;
        r = domain_def_format(domain_current_def(d, flags & DOMAIN_XML_INACTIVE), fmt, &xml);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot format '%s': %s", d->def->name, strerror(-r));
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_get_state(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "(ii)", (int32_t) d->state, (int32_t) d->reason);
}

static int method_get_messages(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **msgs = NULL;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "u", &flags);

        if (r < 0)
                return r;
        if (flags & ~(uint32_t) (DOMAIN_MESSAGE_DEPRECATION | DOMAIN_MESSAGE_TAINTING))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported flags (0x%x) in function virDomainGetMessages",
                                     flags & ~(uint32_t) (DOMAIN_MESSAGE_DEPRECATION | DOMAIN_MESSAGE_TAINTING));
        if (!driver_of(d)->get_messages)
                return domain_not_supported(d, "virDomainGetMessages", error);
        r = driver_of(d)->get_messages(d, flags, &msgs);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot list the messages of '%s': %s", d->def->name,
                                     strerror(-r));
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, msgs ? msgs : (char *[]) { NULL });
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_get_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return domain_stats_get_one(msg, userdata, error); /* domain-stats-dbus.c */
}

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;

        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", d->def->name);
        if (streq(property, "UUID"))
                return sd_bus_message_append(reply, "s", d->uuid_str);
        if (streq(property, "Id"))
                return sd_bus_message_append(reply, "u", (uint32_t) (domain_is_active(d) && d->id > 0 ? d->id : 0));
        if (streq(property, "Active"))
                return sd_bus_message_append(reply, "b", domain_is_active(d));
        if (streq(property, "Persistent"))
                return sd_bus_message_append(reply, "b", d->persistent);
        if (streq(property, "Autostart"))
                return sd_bus_message_append(reply, "b", d->autostart);
        if (streq(property, "OSType"))
                return sd_bus_message_append(reply, "s", d->def->os.type ? d->def->os.type : driver_of(d)->os_type);
        if (streq(property, "Updated"))
                return sd_bus_message_append(reply, "b", d->newdef != NULL);
        if (streq(property, "SchedulerType"))
                /* QEMU's: shares, and the vCPU, emulator, global and IOThread bandwidth */
                return sd_bus_message_append(reply, "(si)", "posix", d->def->virt_type == DOMAIN_VIRT_LXC ? 3 : 9);
        return -ENOENT;
}

static int property_set_autostart(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *value, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        int b, r;

        r = sd_bus_message_read(value, "b", &b);
        if (r < 0)
                return r;
        if (!d->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "cannot set autostart for transient domain '%s'",
                                     d->def->name);
        r = domain_set_autostart(d, b);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot change autostart of '%s': %s",
                                     d->def->name, strerror(-r));
        return 0;
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable domain_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Active", "b", property_get, 0, 0),
        SD_BUS_WRITABLE_PROPERTY("Autostart", "b", property_get, property_set_autostart, 0, 0),
        SD_BUS_PROPERTY("Id", "u", property_get, 0, 0),
        SD_BUS_PROPERTY("Name", "s", property_get, 0, 0),
        SD_BUS_PROPERTY("OSType", "s", property_get, 0, 0),
        SD_BUS_PROPERTY("Persistent", "b", property_get, 0, 0),
        SD_BUS_PROPERTY("SchedulerType", "(si)", property_get, 0, 0),
        SD_BUS_PROPERTY("Updated", "b", property_get, 0, 0),
        SD_BUS_PROPERTY("UUID", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_NAMES("Create", "u", SD_BUS_PARAM(flags), NULL, , method_create, 0),
        SD_BUS_METHOD_WITH_NAMES("Destroy", "u", SD_BUS_PARAM(flags), NULL, , method_destroy, 0),
        SD_BUS_METHOD_WITH_NAMES("GetMessages", "u", SD_BUS_PARAM(flags), "as", SD_BUS_PARAM(msgs),
                                 method_get_messages, READ),
        SD_BUS_METHOD_WITH_NAMES("GetState", "u", SD_BUS_PARAM(flags), "(ii)", SD_BUS_PARAM(state),
                                 method_get_state, READ),
        SD_BUS_METHOD_WITH_NAMES("GetStats", "uu", SD_BUS_PARAM(stats) SD_BUS_PARAM(flags), "a{sv}",
                                 SD_BUS_PARAM(records), method_get_stats, READ),
        SD_BUS_METHOD_WITH_NAMES("GetXMLDesc", "u", SD_BUS_PARAM(flags), "s", SD_BUS_PARAM(xml),
                                 method_get_xml_desc, READ),
        SD_BUS_METHOD_WITH_NAMES("Reboot", "u", SD_BUS_PARAM(flags), NULL, , method_reboot, 0),
        SD_BUS_METHOD_WITH_NAMES("Reset", "u", SD_BUS_PARAM(flags), NULL, , method_reset, 0),
        SD_BUS_METHOD("Resume", NULL, NULL, method_resume, 0),
        SD_BUS_METHOD_WITH_NAMES("Shutdown", "u", SD_BUS_PARAM(flags), NULL, , method_shutdown, 0),
        SD_BUS_METHOD("Suspend", NULL, NULL, method_suspend, 0),
        SD_BUS_METHOD_WITH_NAMES("Undefine", "u", SD_BUS_PARAM(flags), NULL, , method_undefine, 0),
        SD_BUS_SIGNAL("Reboot", NULL, 0),
        SD_BUS_VTABLE_END,
};

static int domain_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                       sd_bus_error *error) {
        Manager *m = userdata;
        uint8_t uuid[16];
        Domain *d;

        if (bus_path_to_uuid(path, m->domain_root, uuid) < 0)
                return 0;
        d = manager_peek_by_uuid(m, uuid);
        if (!d)
                return 0;
        /* every call on a domain comes here: its definition is parsed on
         * its first (domain-index.h), and one that cannot be says why */
        if (manager_load_def(m, d, error) < 0)
                return -EINVAL;
        *found = d;
        return 1;
}

static int domain_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = calloc(m->n_domains + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_domains; i++) {
                l[i] = strdup(m->domains[i]->path); /* broken ones too: asked, they say why */
                if (!l[i])
                        return -ENOMEM;
        }
        *nodes = TAKE_PTR(l);
        return 0;
}

/* Each group of methods has its vtable in a file of its own; sd-bus merges
 * them into one org.libvirt.Domain (introspection included). */
static const sd_bus_vtable *const domain_vtables[] = {
        domain_device_vtable,
        domain_resources_vtable,
        domain_tune_vtable,
        domain_save_vtable,
        domain_agent_vtable,
        domain_control_vtable,
        domain_stats_vtable,
        domain_block_vtable,
        domain_snapshot_vtable,
        domain_perf_vtable,
        domain_interface_vtable,
        domain_security_vtable,
        domain_migrate_vtable,
};

int domain_dbus_register(Manager *m) {
        _cleanup_free_ char *prefix = NULL;
        int r;

        r = bus_add_object_kind(m->bus, m->driver->root, "domain", "org.libvirt.Domain", domain_vtable, domain_find,
                                domain_enumerate, m);
        if (r < 0)
                return r;
        if (asprintf(&prefix, "%s/domain", m->driver->root) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(domain_vtables); i++) {
                r = sd_bus_add_fallback_vtable(m->bus, NULL, prefix, "org.libvirt.Domain", domain_vtables[i],
                                               domain_find, m);
                if (r < 0)
                        return r;
        }
        /* virtbus's own additions beside libvirt-dbus's interface */
        r = sd_bus_add_fallback_vtable(m->bus, NULL, prefix, "org.virtbus.Domain1", domain_console_vtable,
                                       domain_find, m);
        if (r < 0)
                return r;
        return domain_snapshot_dbus_register(m);
}
