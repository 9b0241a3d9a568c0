/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domain-autodestroy.h"
#include "domain-manager.h"
#include "log.h"
#include "util.h"

static void destroy(Domain *d) {
        const DomainDriver *driver = d->manager->driver;

        if (driver->destroy)
                (void) driver->destroy(d, NULL, NULL);
}

static int on_autodestroy_owner_gone(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Domain *d = userdata;
        const char *name, *old, *new;

        if (sd_bus_message_read(msg, "sss", &name, &old, &new) < 0 || !streq_ptr(name, d->autodestroy_owner))
                return 0;
        if (*new)
                return 0;
        log_info("Client %s that started %s with autodestroy went away: destroying it.", name, d->def->name);
        d->autodestroy_slot = sd_bus_slot_unref(d->autodestroy_slot);
        destroy(d);
        return 0;
}

int domain_watch_autodestroy(Domain *d, const char *owner) {
        _cleanup_free_ char *match = NULL;
        int r;

        if (asprintf(&match,
                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'", owner) < 0)
                return -ENOMEM;
        free_and_replace_str(&d->autodestroy_owner, strdup(owner));
        if (!d->autodestroy_owner)
                return -ENOMEM;
        r = sd_bus_add_match_async(d->manager->bus, &d->autodestroy_slot, match,
                                   on_autodestroy_owner_gone, NULL, d);
        return r;
}

static int on_owner_lookup(sd_bus_message *reply, void *userdata, sd_bus_error *e) {
        Domain *d = userdata;

        if (sd_bus_message_is_method_error(reply, NULL) && domain_is_active(d) && d->autodestroy_owner) {
                log_info("Client %s that started %s with autodestroy is gone: destroying it.",
                         d->autodestroy_owner, d->def->name);
                destroy(d);
        }
        return 0;
}

int domain_watch_autodestroy_recheck(Domain *d, const char *owner) {
        int r = domain_watch_autodestroy(d, owner);

        if (r < 0)
                return r;
        /* The watch is in place: ask whether the owner still exists. */
        return sd_bus_call_method_async(d->manager->bus, &d->owner_lookup_slot, "org.freedesktop.DBus",
                                        "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "GetNameOwner", on_owner_lookup, d, "s", owner);
}

void domain_autodestroy_clear(Domain *d) {
        d->owner_lookup_slot = sd_bus_slot_unref(d->owner_lookup_slot);
        d->autodestroy_slot = sd_bus_slot_unref(d->autodestroy_slot);
        d->autodestroy_owner = mfree(d->autodestroy_owner);
}
