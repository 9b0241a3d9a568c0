/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "libvirt-dbus.h"
#include "bus-policy.h"
#include "call.h"
#include "dbus-forward.h"
#include "error.h"
#include "log.h"
#include "util.h"

#define LIBVIRT_NAME "org.libvirt"
#define LIBVIRT_PREFIX "/org/libvirt"
#define LIBVIRT_DBUS_ERROR "org.libvirt.Error"
/* A forwarded call is the daemon's to answer in its time (a guest's start,
 * an upload): the caller's own timeout is what counts. */
#define FORWARD_TIMEOUT_USEC (30ULL * 60 * 1000000)
#define DOMAIN_XML_SECURE 1u

/* One daemon whose signals we emit again. Only those its owner sends: any
 * process may send us a signal of any path directly (a unicast signal needs
 * no match rule), and sd-bus matches a well-known sender only on the bus's
 * side. */
typedef struct Watch {
        LibvirtDbus *ld;
        const FwdDaemon *daemon;
        sd_bus_slot *slot, *owner_changed, *owner_query;
        char *owner;            /* its unique name, NULL while it has none */
} Watch;

struct LibvirtDbus {
        sd_bus *bus;
        const FwdDriver *drivers[2]; /* served: QEMU, and LXC once lxcd exists */
        size_t n_drivers;
        sd_bus_slot *object;         /* everything below /org/libvirt */
        sd_bus_slot *name_request, *lxcd_query;
        Watch watches[4];
        size_t n_watches;
        BusMethod *open;             /* for other users */
        size_t n_open;
        char *introspection[2];      /* per served driver, once every daemon answered */
        unsigned n_in_flight;
        bool called;                 /* since libvirt_dbus_is_busy() last asked */
        bool owned;
};

/* A call on its way to a daemon. */
typedef struct Forward {
        LibvirtDbus *ld;
        sd_bus_message *call;        /* the caller's */
        const FwdDriver *drv;
        const FwdDaemon *daemon;
        bool wrap;                   /* libvirt-dbus's double variants in the reply */
        bool getall;                 /* an object gone: an empty dict */
        bool on_root;                /* called on the driver's root */
        sd_bus_slot *slot;
} Forward;

/* Introspect of a driver root: the daemons' roots asked together. */
typedef struct Merge {
        LibvirtDbus *ld;
        sd_bus_message *call;
        size_t driver_index;
        char *xml[FWD_DAEMONS_MAX];
        sd_bus_slot *slots[FWD_DAEMONS_MAX];
        size_t n, n_waiting;
        bool all_answered;
} Merge;

typedef struct RewriteCtx {
        const FwdDriver *drv;
        const FwdDaemon *root_daemon;
} RewriteCtx;

static char *rewrite_to_daemon(const char *path, void *userdata) {
        RewriteCtx *c = userdata;
        const FwdDaemon *d;

        return fwd_path_to_daemon(c->drv, path, c->root_daemon, &d);
}

static char *rewrite_from_daemon(const char *path, void *userdata) {
        return fwd_path_from_daemon(userdata, path);
}

/* libvirt-dbus answers every libvirt error as org.libvirt.Error with
 * virError's message ("Domain not found: no domain with matching name 'x'");
 * virtbus's errors carry the kind in their name instead. Others (the
 * standard org.freedesktop.DBus.Error.*) pass as they are. */
static int reply_as_libvirt(sd_bus_message *m, const char *name, const char *message) {
        const VbErrorInfo *info = name ? vb_error_lookup(name) : NULL;
        const char *prefix = info ? libvirt_code_prefix(info->libvirt_code) : NULL;
        _cleanup_free_ char *text = NULL;
        size_t n = prefix ? strlen(prefix) : 0;

        if (!info) {
                sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(name, message);
                return sd_bus_reply_method_error(m, &e);
        }
        if (prefix && message && !(strncmp(message, prefix, n) == 0 && message[n] == ':') &&
            asprintf(&text, "%s: %s", prefix, message) < 0)
                text = NULL;
        sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(LIBVIRT_DBUS_ERROR, text ?: message);
        return sd_bus_reply_method_error(m, &e);
}

static int reply_error(sd_bus_message *m, const char *name, const char *fmt, const char *arg) {
        _cleanup_free_ char *text = NULL;

        if (asprintf(&text, fmt, arg) < 0)
                return -ENOMEM;
        return reply_as_libvirt(m, name, text);
}

/* As GDBus answers for a path outside libvirt-dbus's subtrees. */
static int reply_no_object(sd_bus_message *m) {
        return reply_error(m, SD_BUS_ERROR_UNKNOWN_METHOD, "Object does not exist at path “%s”",
                           sd_bus_message_get_path(m));
}

static void forward_free(Forward *f) {
        if (!f)
                return;
        f->ld->n_in_flight--;
        sd_bus_slot_unref(f->slot);
        sd_bus_message_unref(f->call);
        free(f);
}

/* libvirt-dbus answers GetAll on an object that does not exist with {}. */
static bool is_gone(const sd_bus_error *e) {
        static const char *const names[] = {
                SD_BUS_ERROR_UNKNOWN_OBJECT, VB_ERROR_PREFIX "NoDomain", VB_ERROR_PREFIX "NoNetwork",
                VB_ERROR_PREFIX "NoStoragePool", VB_ERROR_PREFIX "NoStorageVol",
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (sd_bus_error_has_name(e, names[i]))
                        return true;
        return false;
}

/* The daemon's error as it is, but for its paths in the message. */
static int reply_daemon_error(Forward *f, const sd_bus_error *e) {
        _cleanup_free_ char *message = e->message ? fwd_text_from_daemon(f->drv, e->message) : NULL;

        return reply_as_libvirt(f->call, e->name, message ?: e->message);
}

static int send_return(Forward *f, sd_bus_message *reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *ret = NULL;
        int r = sd_bus_message_new_method_return(f->call, &ret);

        if (r >= 0)
                r = fwd_copy_body(ret, reply, rewrite_from_daemon, (void *) f->drv, f->wrap);
        if (r >= 0)
                r = sd_bus_send(NULL, ret, NULL);
        return r;
}

/* What libvirt-dbus's clients ask at start (cockpit-machines puts every
 * failure of these in a banner) and no daemon has yet: the objects of kinds
 * nobody serves are none. Used only while the daemon says it has no such
 * method. */
static int reply_fallback(sd_bus_message *call) {
        static const char *const empty_lists[] = { "ListNodeDevices", "ListInterfaces", "ListSecrets",
                                                   "ListNWFilters" };

        for (size_t i = 0; i < ELEMENTSOF(empty_lists); i++)
                if (sd_bus_message_is_method_call(call, "org.libvirt.Connect", empty_lists[i]))
                        return sd_bus_reply_method_return(call, "ao", 0) ?: 1;
        return 0;
}

static int on_forward_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Forward *f = userdata;
        int r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                r = 0;
                if (f->getall && is_gone(e))
                        r = sd_bus_reply_method_return(f->call, "a{sv}", 0);
                else if (f->on_root && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD))
                        r = reply_fallback(f->call);
                if (r <= 0) /* none, or it failed: the daemon's word */
                        r = reply_daemon_error(f, e);
        } else {
                r = send_return(f, reply);
                if (r < 0) {
                        log_warning_errno(r, "Cannot pass on the reply of %s.%s: %m",
                                          sd_bus_message_get_interface(f->call) ?: "?",
                                          sd_bus_message_get_member(f->call) ?: "?");
                        r = reply_error(f->call, VB_ERROR_INTERNAL, "cannot pass on the daemon's reply: %s",
                                        strerror(-r));
                }
        }
        if (r < 0)
                log_debug("Cannot answer a caller (gone?): %s", strerror(-r));
        forward_free(f);
        return 0;
}

/* The one rule finer than a method name: passwords are root's. The daemon
 * sees root (us) as the caller, so it cannot tell. */
static bool refused_flags(sd_bus_message *m) {
        uint32_t flags = 0;
        bool secure;

        if (!sd_bus_message_is_method_call(m, "org.libvirt.Domain", "GetXMLDesc") || bus_access_caller_is_root(m))
                return false;
        secure = sd_bus_message_read(m, "u", &flags) > 0 && (flags & DOMAIN_XML_SECURE);
        (void) sd_bus_message_rewind(m, true);
        return secure;
}

static int forward(LibvirtDbus *ld, sd_bus_message *m, const FwdDriver *drv, const char *property_interface) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        const char *iface = sd_bus_message_get_interface(m), *member = sd_bus_message_get_member(m);
        const FwdDaemon *root_daemon =
                fwd_daemon_of_root_call(drv, property_interface ?: iface, property_interface ? NULL : member);
        RewriteCtx ctx = { drv, root_daemon };
        _cleanup_free_ char *path = NULL;
        const FwdDaemon *daemon;
        Forward *f;
        int r;

        path = fwd_path_to_daemon(drv, sd_bus_message_get_path(m), root_daemon, &daemon);
        if (!path)
                return -ENOMEM;
        if (!daemon) /* nodedev, secret...: no daemon has them yet */
                return reply_no_object(m);
        if (refused_flags(m))
                return reply_error(m, VB_ERROR_ACCESS_DENIED, "%s", "the SECURE flag (passwords) is for root only");
        r = sd_bus_message_new_method_call(ld->bus, &call, daemon->bus_name, path, iface, member);
        if (r < 0)
                return r;
        (void) sd_bus_message_set_allow_interactive_authorization(
                call, sd_bus_message_get_allow_interactive_authorization(m));
        r = fwd_copy_body(call, m, rewrite_to_daemon, &ctx, false);
        if (r < 0)
                return r;
        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        *f = (Forward) { .ld = ld, .call = sd_bus_message_ref(m), .drv = drv, .daemon = daemon,
                         .wrap = fwd_wraps_variants(iface, member, property_interface),
                         .getall = property_interface && streq(member, "GetAll"),
                         .on_root = streq(sd_bus_message_get_path(m), drv->root) };
        ld->n_in_flight++;
        r = sd_bus_call_async(ld->bus, &f->slot, call, on_forward_reply, f, FORWARD_TIMEOUT_USEC);
        if (r < 0)
                forward_free(f);
        return r;
}

static void merge_free(Merge *mg) {
        for (size_t i = 0; i < mg->n; i++) {
                free(mg->xml[i]);
                sd_bus_slot_unref(mg->slots[i]);
        }
        sd_bus_message_unref(mg->call);
        free(mg);
}

static int merge_done(Merge *mg) {
        LibvirtDbus *ld = mg->ld;
        _cleanup_free_ char *xml = fwd_introspect_merge(mg->xml, mg->n);
        int r;

        if (!xml)
                r = reply_error(mg->call, SD_BUS_ERROR_NO_REPLY, "%s", "no daemon behind this driver answers");
        else
                r = sd_bus_reply_method_return(mg->call, "s", xml);
        /* The daemons' interfaces do not change while they run. */
        if (xml && mg->all_answered && !ld->introspection[mg->driver_index])
                ld->introspection[mg->driver_index] = TAKE_PTR(xml);
        merge_free(mg);
        return r;
}

static int on_introspect_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Merge *mg = userdata;
        size_t i = 0;
        const char *xml;

        while (i < mg->n && mg->slots[i] != sd_bus_get_current_slot(sd_bus_message_get_bus(reply)))
                i++;
        if (i < mg->n && sd_bus_message_read(reply, "s", &xml) > 0)
                mg->xml[i] = strdup(xml);
        if (i >= mg->n || !mg->xml[i])
                mg->all_answered = false;
        if (--mg->n_waiting == 0)
                (void) merge_done(mg);
        return 0;
}

static int introspect_root(LibvirtDbus *ld, sd_bus_message *m, size_t driver_index) {
        const FwdDaemon *daemons[FWD_DAEMONS_MAX];
        Merge *mg;

        if (ld->introspection[driver_index])
                return sd_bus_reply_method_return(m, "s", ld->introspection[driver_index]);
        mg = calloc(1, sizeof(*mg));
        if (!mg)
                return -ENOMEM;
        *mg = (Merge) { .ld = ld, .call = sd_bus_message_ref(m), .driver_index = driver_index,
                        .all_answered = true };
        mg->n = fwd_driver_daemons(ld->drivers[driver_index], daemons);
        for (size_t i = 0; i < mg->n; i++) {
                int r = sd_bus_call_method_async(ld->bus, &mg->slots[i], daemons[i]->bus_name, daemons[i]->root,
                                                 "org.freedesktop.DBus.Introspectable", "Introspect",
                                                 on_introspect_reply, mg, NULL);
                if (r < 0) {
                        mg->all_answered = false;
                        continue;
                }
                mg->n_waiting++;
        }
        return mg->n_waiting > 0 ? 0 : merge_done(mg);
}

/* /org/libvirt itself: its children are the driver roots. */
static int introspect_top(LibvirtDbus *ld, sd_bus_message *m) {
        _cleanup_free_ char *nodes = NULL, *xml = NULL;

        for (size_t i = 0; i < ld->n_drivers; i++) {
                char *n = NULL;
                if (asprintf(&n, "%s <node name=\"%s\"/>\n", nodes ?: "", ld->drivers[i]->name) < 0)
                        return -ENOMEM;
                free(nodes);
                nodes = n;
        }
        if (asprintf(&xml,
                     "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
                     "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
                     "<node>\n%s</node>\n",
                     nodes ?: "") < 0)
                return -ENOMEM;
        return sd_bus_reply_method_return(m, "s", xml);
}

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        LibvirtDbus *ld = userdata;
        const char *path = sd_bus_message_get_path(m), *rest, *property_interface = NULL;
        const FwdDriver *drv;
        size_t index;
        int r;

        if (!sd_bus_message_is_method_call(m, NULL, NULL) || !ld->owned)
                return 0;
        ld->called = true;
        drv = fwd_driver_of_path(ld->drivers, ld->n_drivers, path, &rest);
        if (!drv) {
                if (streq(path, LIBVIRT_PREFIX) &&
                    sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Introspectable", "Introspect"))
                        r = introspect_top(ld, m);
                else
                        r = reply_no_object(m);
                return r < 0 ? r : 1;
        }
        for (index = 0; ld->drivers[index] != drv; index++)
                ;
        if (rest[0] == 0 && sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Introspectable", "Introspect"))
                r = introspect_root(ld, m, index);
        else {
                if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", NULL)) {
                        (void) sd_bus_message_read(m, "s", &property_interface);
                        (void) sd_bus_message_rewind(m, true);
                }
                r = forward(ld, m, drv, property_interface);
        }
        return r < 0 ? r : 1; /* sd-bus answers an error for r < 0 */
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *iface = sd_bus_message_get_interface(m), *member = sd_bus_message_get_member(m);

        /* libvirt-dbus sends no PropertiesChanged, no ObjectManager signals */
        if (!w->ld->owned || !iface || !member || strncmp(iface, "org.freedesktop.DBus.", 21) == 0 ||
            !w->owner || !streq_ptr(sd_bus_message_get_sender(m), w->owner))
                return 0;
        for (size_t i = 0; i < w->ld->n_drivers; i++) {
                const FwdDriver *drv = w->ld->drivers[i];
                const FwdDaemon *daemons[FWD_DAEMONS_MAX];
                size_t n = fwd_driver_daemons(drv, daemons);
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *s = NULL;
                _cleanup_free_ char *path = NULL;
                bool ours = false;
                int r;

                for (size_t k = 0; k < n; k++)
                        ours = ours || daemons[k] == w->daemon;
                if (!ours)
                        continue;
                path = fwd_path_from_daemon(drv, sd_bus_message_get_path(m));
                r = path ? sd_bus_message_new_signal(w->ld->bus, &s, path, iface, member) : -ENOMEM;
                if (r >= 0)
                        r = sd_bus_message_rewind(m, true);
                if (r >= 0)
                        r = fwd_copy_body(s, m, rewrite_from_daemon, (void *) drv,
                                          fwd_wraps_variants(iface, member, NULL));
                if (r >= 0)
                        r = sd_bus_send(w->ld->bus, s, NULL);
                if (r < 0)
                        log_warning_errno(r, "Cannot emit %s.%s again under %s: %m", iface, member, LIBVIRT_NAME);
        }
        return 0;
}

static void watch_set_owner(Watch *w, const char *owner) {
        free(w->owner);
        w->owner = owner && owner[0] ? strdup(owner) : NULL;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *name, *old, *new;

        /* the bus's own word: nobody else can send as org.freedesktop.DBus */
        if (!streq_ptr(sd_bus_message_get_sender(m), "org.freedesktop.DBus") ||
            sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || !streq(name, w->daemon->bus_name))
                return 0;
        watch_set_owner(w, new);
        return 0;
}

static int on_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *owner = NULL;

        w->owner_query = sd_bus_slot_unref(w->owner_query);
        /* a NameOwnerChanged that came first is newer */
        if (!w->owner && !sd_bus_message_is_method_error(reply, NULL) && sd_bus_message_read(reply, "s", &owner) > 0)
                watch_set_owner(w, owner);
        return 0;
}

static void watch_done(Watch *w) {
        w->slot = sd_bus_slot_unref(w->slot);
        w->owner_changed = sd_bus_slot_unref(w->owner_changed);
        w->owner_query = sd_bus_slot_unref(w->owner_query);
        w->owner = mfree(w->owner);
}

static int watch_daemon(LibvirtDbus *ld, const FwdDaemon *d) {
        _cleanup_free_ char *rule = NULL;
        Watch *w;
        int r;

        for (size_t i = 0; i < ld->n_watches; i++)
                if (ld->watches[i].daemon == d)
                        return 0;
        if (ld->n_watches >= ELEMENTSOF(ld->watches))
                return -E2BIG;
        if (asprintf(&rule, "type='signal',sender='%s',path_namespace='%s'", d->bus_name, d->root) < 0)
                return -ENOMEM;
        w = &ld->watches[ld->n_watches];
        *w = (Watch) { .ld = ld, .daemon = d };
        r = sd_bus_add_match_async(ld->bus, &w->slot, rule, on_signal, NULL, w);
        rule = mfree(rule);
        if (r >= 0 && asprintf(&rule,
                               "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                               "member='NameOwnerChanged',arg0='%s'",
                               d->bus_name) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = sd_bus_add_match_async(ld->bus, &w->owner_changed, rule, on_owner_changed, NULL, w);
        /* not running (and not activated by this): no owner until it comes */
        if (r >= 0)
                r = sd_bus_call_method_async(ld->bus, &w->owner_query, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                             "org.freedesktop.DBus", "GetNameOwner", on_owner, w, "s", d->bus_name);
        if (r < 0) {
                watch_done(w);
                return log_warning_errno(r, "Cannot watch the signals of %s: %m", d->bus_name);
        }
        ld->n_watches++;
        return 0;
}

static int serve_driver(LibvirtDbus *ld, const FwdDriver *drv) {
        const FwdDaemon *daemons[FWD_DAEMONS_MAX];
        size_t n = fwd_driver_daemons(drv, daemons);

        ld->drivers[ld->n_drivers++] = drv;
        for (size_t i = 0; i < n; i++)
                (void) watch_daemon(ld, daemons[i]);
        log_info("Serving %s on %s for libvirt-dbus's clients.", drv->root, LIBVIRT_NAME);
        return 0;
}

/* LXC is served when virtbus-lxcd is installed (activatable) or running. */
static int on_activatable(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        LibvirtDbus *ld = userdata;
        const char *name;
        bool lxcd = false;

        ld->lxcd_query = sd_bus_slot_unref(ld->lxcd_query);
        if (sd_bus_message_is_method_error(reply, NULL) || sd_bus_message_enter_container(reply, 'a', "s") < 0)
                return 0;
        while (sd_bus_message_read(reply, "s", &name) > 0)
                lxcd = lxcd || streq(name, fwd_lxcd.bus_name);
        if (lxcd && ld->owned)
                (void) serve_driver(ld, &fwd_drivers[1]);
        return 0;
}

static void stop_serving(LibvirtDbus *ld) {
        ld->owned = false;
        ld->object = sd_bus_slot_unref(ld->object);
        for (size_t i = 0; i < ld->n_watches; i++)
                watch_done(&ld->watches[i]);
        ld->n_watches = 0;
        ld->n_drivers = 0;
}

static int on_name(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        LibvirtDbus *ld = userdata;
        uint32_t code = 0;

        ld->name_request = sd_bus_slot_unref(ld->name_request);
        if (sd_bus_message_is_method_error(reply, NULL) || sd_bus_message_read(reply, "u", &code) <= 0 ||
            (code != 1 /* primary owner */ && code != 4 /* already */)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                log_warning("Cannot own %s (%s): libvirt-dbus's clients are not served, libvirt's socket is.",
                            LIBVIRT_NAME, e ? e->message ?: e->name : code == 3 ? "another owner has it" : "refused");
                stop_serving(ld);
                return 0;
        }
        ld->owned = true;
        (void) serve_driver(ld, &fwd_drivers[0]);
        (void) sd_bus_call_method_async(ld->bus, &ld->lxcd_query, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "ListActivatableNames", on_activatable, ld, NULL);
        return 0;
}

int libvirt_dbus_open_methods(BusMethod **ret, size_t *ret_n) {
        static const char *const daemons[] = { "qemud", "storaged", "networkd", "lxcd", "secretd" };
        BusMethod *all = NULL;
        size_t n = 0;

        for (size_t k = 0; k < ELEMENTSOF(daemons); k++) {
                const BusPolicy *p = bus_policy_find(daemons[k]);
                for (size_t i = 0; p && i < p->n_open; i++) {
                        BusMethod *a;
                        if (bus_access_is_open(all, n, p->open[i].interface, p->open[i].member ?: "*"))
                                continue;
                        a = reallocarray(all, n + 1, sizeof(*a));
                        if (!a) {
                                free(all);
                                return -ENOMEM;
                        }
                        all = a;
                        all[n++] = p->open[i];
                }
        }
        *ret = all;
        *ret_n = n;
        return 0;
}

int libvirt_dbus_start(sd_bus *bus, LibvirtDbus **ret) {
        LibvirtDbus *ld = calloc(1, sizeof(*ld));
        int r;

        if (!ld)
                return log_oom();
        ld->bus = sd_bus_ref(bus);
        r = libvirt_dbus_open_methods(&ld->open, &ld->n_open);
        /* daemon_open() installed the access filter with the proxy's own
         * (root only) list: from now on it opens what the daemons open. */
        if (r >= 0)
                r = bus_access_set_open(ld->open, ld->n_open);
        if (r >= 0)
                r = sd_bus_add_fallback(bus, &ld->object, LIBVIRT_PREFIX, on_message, ld);
        if (r >= 0)
                r = sd_bus_request_name_async(bus, &ld->name_request, LIBVIRT_NAME, 0, on_name, ld);
        if (r < 0) {
                log_warning_errno(r, "Cannot serve %s: %m", LIBVIRT_NAME);
                libvirt_dbus_free(ld);
                return r;
        }
        *ret = ld;
        return 0;
}

void libvirt_dbus_free(LibvirtDbus *ld) {
        if (!ld)
                return;
        stop_serving(ld);
        sd_bus_slot_unref(ld->name_request);
        sd_bus_slot_unref(ld->lxcd_query);
        for (size_t i = 0; i < ELEMENTSOF(ld->introspection); i++)
                free(ld->introspection[i]);
        /* the access filter keeps ld->open until the bus goes */
        sd_bus_unref(ld->bus);
        free(ld);
}

bool libvirt_dbus_is_busy(LibvirtDbus *ld) {
        bool busy;

        if (!ld)
                return false;
        busy = ld->n_in_flight > 0 || ld->called;
        ld->called = false;
        return busy;
}
