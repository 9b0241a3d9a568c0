/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-access.h"
#include "error.h"
#include "log.h"
#include "polkit.h"
#include "util.h"

/* Unique names are never reused on a bus, so a remembered uid never goes
 * wrong; past this many the table is emptied (but for the callers being
 * asked about) and callers are asked again. */
#define CALLERS_MAX 1024
#define BUCKETS 256

typedef enum PolkitState {
        POLKIT_UNKNOWN,   /* not asked yet (or polkit could not be asked) */
        POLKIT_ASKING,
        POLKIT_YES,
        POLKIT_NO,
} PolkitState;

typedef struct Caller Caller;
struct Caller {
        Caller *next;
        char *name;
        bool known;
        uid_t uid;
        sd_bus_message **parked; /* calls waiting for the uid or for polkit */
        size_t n_parked;
        sd_bus_slot *query;
        /* A user other than root calling what is not open: polkit's word on
         * org.virtbus.manage, asked once per connection, as libvirtd
         * authorizes a connection once. */
        PolkitState polkit;
        sd_bus_slot *polkit_query;
};

typedef struct Access {
        const BusMethod *open;
        size_t n_open;
        Caller *buckets[BUCKETS];
        size_t n_callers;
} Access;

static Access *the_access; /* one bus per daemon */

static const BusMethod always_open[] = {
        { "org.freedesktop.DBus.Introspectable", NULL },
        { "org.freedesktop.DBus.Peer", NULL },
        { "org.freedesktop.DBus.Properties", "Get" },
        { "org.freedesktop.DBus.Properties", "GetAll" },
};

static unsigned bucket_of(const char *name) {
        unsigned h = 2166136261u;

        for (const unsigned char *c = (const unsigned char *) name; *c; c++)
                h = (h ^ *c) * 16777619u;
        return h % BUCKETS;
}

static Caller *caller_find(Access *a, const char *name) {
        for (Caller *c = a->buckets[bucket_of(name)]; c; c = c->next)
                if (streq(c->name, name))
                        return c;
        return NULL;
}

static void caller_free(Caller *c) {
        for (size_t i = 0; i < c->n_parked; i++)
                sd_bus_message_unref(c->parked[i]);
        free(c->parked);
        sd_bus_slot_unref(c->query);
        sd_bus_slot_unref(c->polkit_query);
        free(c->name);
        free(c);
}

/* Forgets every caller but those being asked about (their calls wait). */
static void forget_known(Access *a) {
        for (size_t b = 0; b < BUCKETS; b++)
                for (Caller **p = &a->buckets[b]; *p;) {
                        Caller *c = *p;
                        if (c->query || c->polkit_query || c->n_parked > 0) {
                                p = &c->next;
                                continue;
                        }
                        *p = c->next;
                        caller_free(c);
                        a->n_callers--;
                }
}

static Caller *caller_add(Access *a, const char *name) {
        Caller *c;
        unsigned b;

        if (a->n_callers >= CALLERS_MAX)
                forget_known(a);
        c = calloc(1, sizeof(*c));
        if (!c || !(c->name = strdup(name))) {
                free(c);
                return NULL;
        }
        b = bucket_of(name);
        c->next = a->buckets[b];
        a->buckets[b] = c;
        a->n_callers++;
        return c;
}

static bool uid_is_root(uid_t uid) {
        return uid == 0 || uid == geteuid();
}

bool bus_access_is_open(const BusMethod *open, size_t n_open, const char *interface, const char *member) {
        if (!interface || !member)
                return false;
        for (size_t i = 0; i < n_open; i++)
                if (streq(open[i].interface, interface) && (!open[i].member || streq(open[i].member, member)))
                        return true;
        return false;
}

static bool may_call(Access *a, uid_t uid, sd_bus_message *m) {
        const char *iface = sd_bus_message_get_interface(m), *member = sd_bus_message_get_member(m);

        return uid_is_root(uid) || bus_access_is_open(always_open, ELEMENTSOF(always_open), iface, member) ||
               bus_access_is_open(a->open, a->n_open, iface, member);
}

static int deny(sd_bus_message *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        (void) vb_error_setf(&e, VB_ERROR_ACCESS_DENIED,
                             "Access denied: %s.%s is for root, or a user polkit allows %s.",
                             sd_bus_message_get_interface(m) ?: "?", sd_bus_message_get_member(m) ?: "?",
                             POLKIT_ACTION_MANAGE);
        return sd_bus_reply_method_error(m, &e);
}

/* Dispatches c's parked calls again from the top (the filter decides anew
 * with what is known now), or refuses them all. */
static void release_parked(Caller *c, sd_bus *bus, bool refuse) {
        for (size_t i = 0; i < c->n_parked; i++) {
                sd_bus_message *m = c->parked[i];
                if (refuse || sd_bus_enqueue_for_read(bus, m) < 0)
                        (void) deny(m);
                sd_bus_message_unref(m);
        }
        c->n_parked = 0;
}

static int on_uid(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Caller *c = userdata;
        sd_bus *bus = sd_bus_message_get_bus(reply);
        uint32_t uid;
        bool known = !sd_bus_message_is_method_error(reply, NULL) && sd_bus_message_read(reply, "u", &uid) > 0;

        c->query = sd_bus_slot_unref(c->query);
        c->known = known;
        c->uid = known ? (uid_t) uid : (uid_t) -1;
        if (!known)
                log_debug("Cannot tell who %s is: its calls are refused.", c->name);
        /* Dispatched again from the top: now the filter knows the caller. A
         * caller we could not identify (it left the bus) is refused. */
        release_parked(c, bus, !known);
        return 0;
}

static int park(Access *a, Caller *c, sd_bus_message *m) {
        sd_bus_message **p = reallocarray(c->parked, c->n_parked + 1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        c->parked = p;
        if (!c->query) {
                int r = sd_bus_call_method_async(sd_bus_message_get_bus(m), &c->query, "org.freedesktop.DBus",
                                                 "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                                 "GetConnectionUnixUser", on_uid, c, "s", c->name);
                /* Not parked then: the caller refuses it, and it must not
                 * run later with the calls of a query that works. */
                if (r < 0)
                        return r;
        }
        c->parked[c->n_parked++] = sd_bus_message_ref(m);
        return 1;
}

static void on_polkit(int r, void *userdata) {
        Caller *c = userdata;
        sd_bus *bus = sd_bus_slot_get_bus(c->polkit_query);

        if (r < 0)
                log_warning_errno(r, "Cannot ask polkit about %s (uid %u): its calls are refused: %m", c->name,
                                  (unsigned) c->uid);
        else
                log_debug("polkit %s %s for %s (uid %u).", r > 0 ? "allows" : "refuses", POLKIT_ACTION_MANAGE,
                          c->name, (unsigned) c->uid);
        /* not remembered when polkit could not be asked: asked again next time */
        c->polkit = r > 0 ? POLKIT_YES : r == 0 ? POLKIT_NO : POLKIT_UNKNOWN;
        release_parked(c, bus, r <= 0);
        c->polkit_query = sd_bus_slot_unref(c->polkit_query);
}

/* A call that is not open, from a user other than root: polkit decides. */
static int ask_polkit(Caller *c, sd_bus_message *m) {
        sd_bus_message **p;
        int r;

        switch (c->polkit) {
        case POLKIT_YES:
                return 0;
        case POLKIT_NO:
                return deny(m), 1;
        default:
                break;
        }
        p = reallocarray(c->parked, c->n_parked + 1, sizeof(*p));
        if (!p)
                return deny(m), 1;
        c->parked = p;
        if (c->polkit == POLKIT_UNKNOWN) {
                PolkitSubject subject = { .bus_name = c->name, .uid = c->uid };
                r = polkit_check_async(sd_bus_message_get_bus(m), POLKIT_ACTION_MANAGE, &subject, on_polkit, c,
                                       &c->polkit_query);
                if (r < 0) {
                        log_warning_errno(r, "Cannot ask polkit about %s: %m", c->name);
                        return deny(m), 1;
                }
                c->polkit = POLKIT_ASKING;
        }
        c->parked[c->n_parked++] = sd_bus_message_ref(m);
        return 1;
}

static int access_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Access *a = userdata;
        const char *sender = sd_bus_message_get_sender(m);
        Caller *c;
        int r;

        if (!sd_bus_message_is_method_call(m, NULL, NULL) || !sender)
                return 0;
        c = caller_find(a, sender) ?: caller_add(a, sender);
        if (!c)
                return deny(m), 1;
        if (c->known)
                return may_call(a, c->uid, m) ? 0 : ask_polkit(c, m);
        r = park(a, c, m);
        if (r < 0) {
                log_warning_errno(r, "Cannot ask the bus who %s is: %m", sender);
                return deny(m), 1;
        }
        return 1;
}

int bus_access_install(sd_bus *bus, const BusMethod *open, size_t n_open) {
        Access *a = calloc(1, sizeof(*a));
        int r;

        if (!a)
                return -ENOMEM;
        a->open = open;
        a->n_open = n_open;
        r = sd_bus_add_filter(bus, NULL, access_filter, a);
        if (r < 0) {
                free(a);
                return r;
        }
        the_access = a;
        return 0;
}

int bus_access_set_open(const BusMethod *open, size_t n_open) {
        if (!the_access)
                return -ENXIO;
        the_access->open = open;
        the_access->n_open = n_open;
        return 0;
}

bool bus_access_caller_is_root(sd_bus_message *m) {
        const char *sender = sd_bus_message_get_sender(m);
        Caller *c;

        if (!sender)
                return true; /* a direct connection, no bus between us */
        c = the_access ? caller_find(the_access, sender) : NULL;
        return c && c->known && uid_is_root(c->uid);
}
