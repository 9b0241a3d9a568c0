/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The unplugs under way (qemu-hotplug-detach.c) in the live state (and
 * the plugs, qemu-hotplug-plug-record.c, in the same status), so that
 * a qemud killed before one ended finishes it after a restart:
 *
 *   <unplug alias='rng1' kind='rng' pid='QEMU' [deleted='yes'] [end-pr='yes']
 *           backends='[{"execute": "object-del", ...}]'/>
 *
 * An unplug is recorded from its device_del until QEMU answered the last of
 * its backend commands (chardev-remove, object-del, blockdev-del,
 * netdev_del). Met again once the monitor is back: a device already gone
 * (deleted) gets its backends sent again (one QEMU already removed fails
 * harmlessly) and what follows them (a passt ended, a RAM file removed);
 * one still waiting for the guest waits for DEVICE_DELETED again, or is
 * finished at once when QEMU's /machine/peripheral no longer has it (its
 * DEVICE_DELETED came while qemud was down). The call that asked for it is
 * gone with the old qemud: none is answered. */
#include <errno.h>

#include "domain-status.h"
#include "log.h"
#include "qemu-domain.h"
#include "qemu-hotplug-chr.h"
#include "qemu-hotplug-internal.h"
#include "qemu-monitor.h"
#include "util.h"
#include "xml-util.h"

static int format_one(const Unplug *u, char **s) {
        _cleanup_free_ char *alias = domain_status_escape(u->alias), *kind = domain_status_escape(u->kind),
                            *backends = domain_status_escape(u->backends ?
                                                             json_object_to_json_string_ext(u->backends,
                                                                                            JSON_C_TO_STRING_PLAIN) :
                                                             "[]");
        char *n;

        if (!alias || !kind || !backends ||
            asprintf(&n, "%s  <unplug alias='%s' kind='%s' pid='%d'%s%s backends='%s'/>\n", *s, alias, kind,
                     (int) u->pid, u->deleted ? " deleted='yes'" : "", u->end_pr ? " end-pr='yes'" : "",
                     backends) < 0)
                return -ENOMEM;
        free_and_replace_str(s, n);
        return 0;
}

int qemu_hotplug_status_format(Domain *d, char **ret) {
        _cleanup_free_ char *s = strdup("");

        for (Unplug *u = hotplug_unplug_next(d, NULL); s && u; u = hotplug_unplug_next(d, u))
                if (format_one(u, &s) < 0)
                        return -ENOMEM;
        if (!s || hotplug_plug_records_format(d, &s) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

static bool prop_yes(xmlNodePtr n, const char *name) {
        _cleanup_free_ char *v = xml_prop_dup(n, name);

        return streq_ptr(v, "yes");
}

static int parse_one(Domain *d, xmlNodePtr n) {
        _cleanup_free_ char *alias = xml_prop_dup(n, "alias"), *kind = xml_prop_dup(n, "kind"),
                            *pid = xml_prop_dup(n, "pid"), *backends = xml_prop_dup(n, "backends");
        json_object *cmds = backends ? json_tokener_parse(backends) : NULL;
        Unplug *u;
        int p;

        if (!alias || !kind || !pid || safe_atoi(pid, &p) < 0 || !cmds ||
            !json_object_is_type(cmds, json_type_array)) {
                json_object_put(cmds);
                log_warning("Domain %s: ignoring an unreadable <unplug> in its live state", d->def->name);
                return 0;
        }
        u = hotplug_unplug_new(d, NULL, alias, kind, cmds);
        if (!u)
                return -ENOMEM;
        u->pid = p;
        u->deleted = prop_yes(n, "deleted");
        u->end_pr = prop_yes(n, "end-pr");
        hotplug_unplug_add(u);
        return 0;
}

int qemu_hotplug_status_parse(Domain *d, xmlNodePtr root) {
        for (xmlNodePtr c = root->children; c; c = c->next) {
                int r;

                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (xmlStrEqual(c->name, (const xmlChar *) "plug"))
                        r = hotplug_plug_record_parse(d, c);
                else if (xmlStrEqual(c->name, (const xmlChar *) "unplug"))
                        r = parse_one(d, c);
                else
                        continue;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- after a restart ---- */

typedef struct Recheck {
        DomainHandle *handle;
        char *alias;
        HotplugListedFn fn;
} Recheck;

static bool qom_listed(json_object *result, const char *alias) {
        for (size_t i = 0; json_object_is_type(result, json_type_array) && i < json_object_array_length(result);
             i++) {
                json_object *name;

                if (json_object_object_get_ex(json_object_array_get_idx(result, i), "name", &name) &&
                    streq_ptr(json_object_get_string(name), alias))
                        return true;
        }
        return false;
}

static Recheck *recheck_free(Recheck *c) {
        if (c) {
                domain_handle_unref(c->handle);
                free(c->alias);
        }
        return mfree(c);
}

static void on_peripherals(QemuMonitor *mon, json_object *result, const char *error_class,
                           const char *error_desc, void *userdata) {
        Recheck *c = userdata;
        Domain *d = c->handle->owner;

        if (d && !error_class)
                c->fn(d, c->alias, qom_listed(result, c->alias));
        recheck_free(c);
}

int hotplug_ask_listed(Domain *d, const char *alias, HotplugListedFn fn) {
        Recheck *c = calloc(1, sizeof(*c));
        json_object *args = json_object_new_object();
        int r;

        if (!c || !args || !(c->alias = strdup(alias)) || !(c->handle = domain_handle_get(&d->handle, d))) {
                recheck_free(c);
                json_object_put(args);
                return -ENOMEM;
        }
        c->fn = fn;
        json_object_object_add(args, "path", json_object_new_string("/machine/peripheral"));
        r = qemu_monitor_command(qemu_domain(d)->mon, "qom-list", args, on_peripherals, c);
        if (r < 0)
                recheck_free(c);
        return r;
}

/* QEMU's devices: the unplug's device gone from them went while qemud was
 * down (its DEVICE_DELETED lost), one still there waits for the guest. */
static void unplug_rechecked(Domain *d, const char *alias, bool listed) {
        Unplug *u = hotplug_unplug_find(d, alias);

        if (u && !listed) {
                log_info("Domain %s: %s went while qemud was down: finishing its unplug", d->def->name, alias);
                hotplug_unplug_finish(u, d);
        }
}

/* The device of u in the live definition (still there: its unplug waits
 * for the guest). */
static int find_device(Domain *d, const Unplug *u, DevRef *ret) {
        *ret = (DevRef) { .kind = u->kind };
        if (hotplug_family_of(u->kind, &ret->family) < 0)
                return -ENOENT;
        for (ret->index = 0; ret->index < qemu_device_family_count(d->live, ret->family); ret->index++)
                if (streq_ptr(hotplug_dev_alias(d->live, ret), u->alias))
                        return 0;
        return -ENOENT;
}

/* The device of a guestfwd channel is its netdev: netdev_del again (an
 * error when it went already), then the rest as at its answer. */
static void finish_guestfwd(Domain *d, Unplug *u) {
        json_object *args = json_object_new_object();

        if (args) {
                json_object_object_add(args, "id", json_object_new_string(u->alias));
                (void) qemu_monitor_command(qemu_domain(d)->mon, "netdev_del", args, NULL, NULL);
        }
        hotplug_unplug_finish(u, d);
}

void qemu_hotplug_recover(Domain *d) {
        Unplug *u = hotplug_unplug_next(d, NULL), *next;
        DevRef ref;

        hotplug_plug_records_recover(d);

        for (; u; u = next) {
                next = hotplug_unplug_next(d, u);
                if (u->deleted) {
                        log_info("Domain %s: removing what the unplug of %s left in QEMU", d->def->name, u->alias);
                        hotplug_unplug_send_backends(u, d);
                        continue;
                }
                if (find_device(d, u, &ref) < 0) {
                        hotplug_unplug_remove(u); /* nothing of it is left to wait for */
                        continue;
                }
                hotplug_unplug_fill(u, d->live, &ref);
                if (hotplug_chr_is_guestfwd(d->live, ref.family, ref.index)) {
                        finish_guestfwd(d, u);
                        continue;
                }
                if (hotplug_ask_listed(d, u->alias, unplug_rechecked) < 0)
                        log_warning("Domain %s: cannot ask QEMU whether %s is gone", d->def->name, u->alias);
        }
}
