/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "bus-util.h"
#include "dispatch.h"
#include "domain-events.h"
#include "error.h"
#include "events.h"
#include "log.h"
#include "util.h"
#include "uuid.h"

enum {
        EVENT_ID_LIFECYCLE = 0,
        SECRET_EVENT_ID_VALUE_CHANGED = 1,
        PROC_SECRET_EVENT_VALUE_CHANGED = 383,
        EVENT_REGS_MAX = 1024,
        NAMES_MAX = 65536,
};

/* A kind of event: the daemons' signal and the client's message. */
typedef struct EventSource {
        HandleKind kind;
        const char *member;       /* the signal on the daemon's root, org.libvirt.Connect */
        const char *signature;
        const char *kind_word;    /* of the object paths: <root>/<kind_word>/_<uuid> */
        const char *interface;    /* of the objects */
        int32_t msg_proc;         /* the LIFECYCLE message: callbackID, object, event, detail */
        int32_t id_last;          /* the event ids a client may register (libvirt 9.0's *_EVENT_ID_LAST) */
} EventSource;

static const EventSource sources[] = {
        { HANDLE_DOMAIN, "DomainEvent", "oii", "domain", "org.libvirt.Domain", 318, 27 },
        { HANDLE_NETWORK, "NetworkEvent", "oi", "network", "org.libvirt.Network", 315, 1 },
        { HANDLE_POOL, "StoragePoolEvent", "oii", "storagepool", "org.libvirt.StoragePool", 370, 2 },
        { HANDLE_SECRET, "SecretEvent", "oii", "secret", "org.libvirt.Secret", 382, 2 },
};

static const EventSource *source_of(HandleKind kind) {
        for (size_t i = 0; i < ELEMENTSOF(sources); i++)
                if (sources[i].kind == kind)
                        return &sources[i];
        return NULL;
}

typedef struct EventWatch {
        Server *server;
        const EventSource *source;
        const char *bus_name, *root;
        const Driver *driver;     /* domain events: only that driver's clients */
        sd_bus_slot *slot;
        /* The daemon's unique name: only its signals count. The match's
         * sender (a well-known name) is checked by the bus for this match,
         * but sd-bus hands a signal the bus delivered for another match of
         * ours (org.libvirt's) to this one as well. */
        char *owner;
        sd_bus_slot *owner_changed, *owner_query;
        /* domain watches: the other signals of the domain objects
         * (domain-events.h) */
        sd_bus_slot *domain_signals;
        /* the secret watch: secretd's SecretValueChanged */
        sd_bus_slot *value_changed;
} EventWatch;

typedef struct NameEntry {
        HandleKind kind;
        uint8_t uuid[16];
        char *name;
} NameEntry;

/* What travels from a signal to its delivery. */
typedef struct PendingEvent {
        EventWatch *watch;
        uint8_t uuid[16];
        int32_t event, detail;
        /* a domain object's signal (not LIFECYCLE): its kinds and itself */
        const DomainEventKind *kinds;
        size_t n_kinds;
        sd_bus_message *sig;
        bool value_changed;       /* a secret's VALUE_CHANGED */
} PendingEvent;

struct ServerEvents {
        EventWatch watches[8];
        size_t n_watches;
        NameEntry *names;
        size_t n_names;
        /* names[] by kind and UUID: a list of a thousand domains notes a
         * thousand names, and a search through all of them for each was
         * most of the list's time. Open addressing; a slot holds an index
         * + 1, 0 when empty; the capacity (a power of two) stays over twice
         * the count. */
        uint32_t *index;
        size_t index_cap;
};

static size_t name_slot(const ServerEvents *ev, HandleKind kind, const uint8_t uuid[16]) {
        uint64_t h;

        memcpy(&h, uuid, sizeof(h)); /* random bits already */
        h ^= (uint64_t) kind * 0x9E3779B97F4A7C15ULL;
        return (size_t) (h ^ (h >> 31)) & (ev->index_cap - 1);
}

static NameEntry *name_entry(ServerEvents *ev, HandleKind kind, const uint8_t uuid[16]) {
        if (!ev || ev->index_cap == 0)
                return NULL;
        for (size_t j = name_slot(ev, kind, uuid); ev->index[j]; j = (j + 1) & (ev->index_cap - 1)) {
                NameEntry *e = &ev->names[ev->index[j] - 1];
                if (e->kind == kind && memcmp(e->uuid, uuid, 16) == 0)
                        return e;
        }
        return NULL;
}

static void index_put(ServerEvents *ev, size_t i) {
        size_t j = name_slot(ev, ev->names[i].kind, ev->names[i].uuid);

        while (ev->index[j])
                j = (j + 1) & (ev->index_cap - 1);
        ev->index[j] = (uint32_t) i + 1;
}

/* Room in the index for one more name. */
static int index_reserve(ServerEvents *ev) {
        size_t cap = ev->index_cap ? ev->index_cap : 64;
        uint32_t *ix;

        while (cap < 2 * (ev->n_names + 1))
                cap *= 2;
        if (cap == ev->index_cap)
                return 0;
        ix = calloc(cap, sizeof(*ix));
        if (!ix)
                return -ENOMEM;
        free(ev->index);
        ev->index = ix;
        ev->index_cap = cap;
        for (size_t i = 0; i < ev->n_names; i++)
                index_put(ev, i);
        return 0;
}

static void names_clear(ServerEvents *ev) {
        for (size_t i = 0; i < ev->n_names; i++)
                free(ev->names[i].name);
        ev->names = mfree(ev->names);
        ev->n_names = 0;
        ev->index = mfree(ev->index);
        ev->index_cap = 0;
}

void events_note_name(Server *s, HandleKind kind, const uint8_t uuid[16], const char *name) {
        ServerEvents *ev = s->events;
        NameEntry *e, *n;
        char *copy;

        if (!ev || !name || !source_of(kind))
                return;
        e = name_entry(ev, kind, uuid);
        if (e && streq(e->name, name))
                return;
        copy = strdup(name);
        if (!copy)
                return;
        if (e) {
                free(e->name);
                e->name = copy;
                return;
        }
        /* a bound, not a policy: names come back with the next lookup */
        if (ev->n_names >= NAMES_MAX)
                names_clear(ev);
        n = index_reserve(ev) < 0 ? NULL : realloc(ev->names, (ev->n_names + 1) * sizeof(*n));
        if (!n) {
                free(copy);
                return;
        }
        ev->names = n;
        n[ev->n_names] = (NameEntry) { .kind = kind, .name = copy };
        memcpy(n[ev->n_names].uuid, uuid, 16);
        index_put(ev, ev->n_names++);
}

static bool reg_matches(const EventReg *reg, HandleKind kind, int32_t event_id, const uint8_t uuid[16]) {
        return reg->kind == kind && reg->event_id == event_id &&
               (!reg->filtered || memcmp(reg->uuid, uuid, 16) == 0);
}

static bool client_listens(const Client *c, const EventWatch *w) {
        return !c->closed && c->open && (!w->driver || c->driver == w->driver);
}

static bool anyone_wants(const EventWatch *w, int32_t event_id, const uint8_t uuid[16]) {
        for (Client *c = w->server->clients; c; c = c->next)
                for (size_t i = 0; client_listens(c, w) && i < c->n_events; i++)
                        if (reg_matches(&c->events[i], w->source->kind, event_id, uuid))
                                return true;
        return false;
}

static void send_lifecycle(Client *c, const EventSource *src, const EventReg *reg, const RemoteHandle *obj,
                           int32_t event, int32_t detail) {
        /* serial 1, as libvirtd sends events */
        RpcHeader h = { RPC_PROG_REMOTE, RPC_VERSION, src->msg_proc, RPC_MESSAGE, 1, RPC_OK };
        XdrWriter w;

        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, &h);
        xdr_put_i32(&w, reg->callback_id);
        remote_put_handle(&w, src->kind, obj);
        xdr_put_i32(&w, event);
        xdr_put_i32(&w, detail);
        if (rpc_frame_end(&w) >= 0)
                client_send(c, &w);
        else
                xdr_writer_done(&w);
}

static void deliver(const EventWatch *w, const RemoteHandle *obj, int32_t event, int32_t detail) {
        Client *next;

        for (Client *c = w->server->clients; c; c = next) {
                client_ref(c); /* a failed send closes c */
                for (size_t i = 0; client_listens(c, w) && i < c->n_events; i++)
                        if (reg_matches(&c->events[i], w->source->kind, EVENT_ID_LIFECYCLE, obj->uuid))
                                send_lifecycle(c, w->source, &c->events[i], obj, event, detail);
                next = c->next;
                client_unref(c);
        }
}

/* remote_secret_event_value_changed_msg: callbackID, the secret. */
static void send_value_changed(Client *c, const EventReg *reg, const RemoteHandle *obj) {
        RpcHeader h = { RPC_PROG_REMOTE, RPC_VERSION, PROC_SECRET_EVENT_VALUE_CHANGED, RPC_MESSAGE, 1, RPC_OK };
        XdrWriter w;

        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, &h);
        xdr_put_i32(&w, reg->callback_id);
        remote_put_handle(&w, HANDLE_SECRET, obj);
        if (rpc_frame_end(&w) >= 0)
                client_send(c, &w);
        else
                xdr_writer_done(&w);
}

static void deliver_value_changed(const EventWatch *w, const RemoteHandle *obj) {
        Client *next;

        for (Client *c = w->server->clients; c; c = next) {
                client_ref(c); /* a failed send closes c */
                for (size_t i = 0; client_listens(c, w) && i < c->n_events; i++)
                        if (reg_matches(&c->events[i], HANDLE_SECRET, SECRET_EVENT_ID_VALUE_CHANGED, obj->uuid))
                                send_value_changed(c, &c->events[i], obj);
                next = c->next;
                client_unref(c);
        }
}

static void send_domain_event(Client *c, const EventReg *reg, const RemoteHandle *dom, const DomainEventKind *k,
                              sd_bus_message *sig) {
        XdrWriter w;

        xdr_writer_init(&w, 0);
        if (domain_event_build(&w, k, reg->callback_id, dom, sig) >= 0)
                client_send(c, &w);
        else
                xdr_writer_done(&w);
}

static void deliver_domain_signal(const EventWatch *w, const RemoteHandle *obj, const PendingEvent *p) {
        Client *next;

        for (Client *c = w->server->clients; c; c = next) {
                client_ref(c); /* a failed send closes c */
                for (size_t k = 0; k < p->n_kinds; k++)
                        for (size_t i = 0; client_listens(c, w) && i < c->n_events; i++)
                                if (reg_matches(&c->events[i], HANDLE_DOMAIN, p->kinds[k].event_id, obj->uuid))
                                        send_domain_event(c, &c->events[i], obj, &p->kinds[k], p->sig);
                next = c->next;
                client_unref(c);
        }
}

static void pending_free(PendingEvent *p) {
        sd_bus_message_unref(p->sig);
        free(p);
}

static int on_event_handle(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PendingEvent *p = userdata;
        EventWatch *w = p->watch;
        HandleKind kind = w->source->kind;
        RemoteHandle obj = { .id = -1 };
        char uuid[UUID_STRING_MAX];

        if (!sd_bus_message_is_method_error(m, NULL) && bus_read_handle(m, &obj) >= 0)
                events_note_name(w->server, kind, obj.uuid, obj.name);
        else {
                /* gone already: the name we saw last, else its uuid */
                NameEntry *e = name_entry(w->server->events, kind, p->uuid);
                free(obj.name);
                obj.name = strdup(e ? e->name : uuid_format(p->uuid, uuid));
                obj.id = -1;
        }
        memcpy(obj.uuid, p->uuid, 16);
        /* a secret has no name: its handle is its uuid and usage */
        if (kind == HANDLE_SECRET && !obj.name)
                obj.name = strdup("");
        if (obj.name && p->sig)
                deliver_domain_signal(w, &obj, p);
        else if (obj.name && p->value_changed)
                deliver_value_changed(w, &obj);
        else if (obj.name)
                deliver(w, &obj, p->event, p->detail);
        remote_handle_done(&obj);
        pending_free(p);
        return 0;
}

/* Reads the object's name and id as the daemon has them now, then
 * delivers; the replies come in the order of the signals, so the events
 * keep theirs. Takes p. */
static int fetch_and_deliver(EventWatch *w, const char *path, PendingEvent *p) {
        int r = sd_bus_call_method_async(w->server->bus, NULL, w->bus_name, path, "org.freedesktop.DBus.Properties",
                                         "GetAll", on_event_handle, p, "s", w->source->interface);
        if (r < 0) {
                log_warning_errno(r, "Cannot read the object of an event: %m");
                pending_free(p);
        }
        return 0;
}

/* Any other signal of a domain object: the kinds it feeds, if a client
 * wants one of them. */
static int on_domain_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        EventWatch *w = userdata;
        _cleanup_free_ char *prefix = NULL;
        const DomainEventKind *kinds;
        uint8_t uuid[16];
        bool wanted = false;
        PendingEvent *p;
        size_t n;

        if (!w->owner || !streq_ptr(sd_bus_message_get_sender(m), w->owner))
                return 0;
        kinds = domain_event_kinds(sd_bus_message_get_member(m), &n);
        if (!kinds || asprintf(&prefix, "%s/%s", w->root, w->source->kind_word) < 0 ||
            bus_path_to_uuid(sd_bus_message_get_path(m), prefix, uuid) < 0)
                return 0;
        for (size_t k = 0; k < n; k++)
                wanted = wanted || anyone_wants(w, kinds[k].event_id, uuid);
        if (!wanted)
                return 0;
        p = malloc(sizeof(*p));
        if (!p)
                return 0;
        *p = (PendingEvent) { .watch = w, .kinds = kinds, .n_kinds = n, .sig = sd_bus_message_ref(m) };
        memcpy(p->uuid, uuid, 16);
        return fetch_and_deliver(w, sd_bus_message_get_path(m), p);
}

static int on_event_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        EventWatch *w = userdata;
        _cleanup_free_ char *prefix = NULL;
        const char *path;
        int32_t event, detail = 0;
        uint8_t uuid[16];
        PendingEvent *p;
        int r;

        if (!w->owner || !streq_ptr(sd_bus_message_get_sender(m), w->owner))
                return 0;
        r = streq(w->source->signature, "oii") ? sd_bus_message_read(m, "oii", &path, &event, &detail) :
                                                  sd_bus_message_read(m, "oi", &path, &event);
        if (r < 0)
                return 0;
        if (asprintf(&prefix, "%s/%s", w->root, w->source->kind_word) < 0 ||
            bus_path_to_uuid(path, prefix, uuid) < 0 || !anyone_wants(w, EVENT_ID_LIFECYCLE, uuid))
                return 0;
        p = malloc(sizeof(*p));
        if (!p)
                return 0;
        *p = (PendingEvent) { .watch = w, .event = event, .detail = detail };
        memcpy(p->uuid, uuid, 16);
        return fetch_and_deliver(w, path, p);
}

static int on_secret_value_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        EventWatch *w = userdata;
        _cleanup_free_ char *prefix = NULL;
        const char *path;
        uint8_t uuid[16];
        PendingEvent *p;

        if (!w->owner || !streq_ptr(sd_bus_message_get_sender(m), w->owner) || sd_bus_message_read(m, "o", &path) < 0)
                return 0;
        if (asprintf(&prefix, "%s/%s", w->root, w->source->kind_word) < 0 ||
            bus_path_to_uuid(path, prefix, uuid) < 0 || !anyone_wants(w, SECRET_EVENT_ID_VALUE_CHANGED, uuid))
                return 0;
        p = malloc(sizeof(*p));
        if (!p)
                return 0;
        *p = (PendingEvent) { .watch = w, .value_changed = true };
        memcpy(p->uuid, uuid, 16);
        return fetch_and_deliver(w, path, p);
}

static void watch_set_owner(EventWatch *w, const char *owner) {
        free(w->owner);
        w->owner = owner && owner[0] ? strdup(owner) : NULL;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        EventWatch *w = userdata;
        const char *name, *old, *new;

        /* the bus's own word: nobody else can send as org.freedesktop.DBus */
        if (!streq_ptr(sd_bus_message_get_sender(m), "org.freedesktop.DBus") ||
            sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || !streq(name, w->bus_name))
                return 0;
        watch_set_owner(w, new);
        return 0;
}

static int on_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        EventWatch *w = userdata;
        const char *owner = NULL;

        w->owner_query = sd_bus_slot_unref(w->owner_query);
        /* a NameOwnerChanged that came first is newer */
        if (!w->owner && !sd_bus_message_is_method_error(reply, NULL) && sd_bus_message_read(reply, "s", &owner) > 0)
                watch_set_owner(w, owner);
        return 0;
}

static void watch_done(EventWatch *w) {
        w->slot = sd_bus_slot_unref(w->slot);
        w->domain_signals = sd_bus_slot_unref(w->domain_signals);
        w->value_changed = sd_bus_slot_unref(w->value_changed);
        w->owner_changed = sd_bus_slot_unref(w->owner_changed);
        w->owner_query = sd_bus_slot_unref(w->owner_query);
        w->owner = mfree(w->owner);
}

static int add_watch(Server *s, const EventSource *src, const char *bus_name, const char *root, const Driver *d) {
        _cleanup_free_ char *rule = NULL;
        EventWatch *w;
        int r;

        if (s->events->n_watches >= ELEMENTSOF(s->events->watches))
                return -ENOBUFS;
        w = &s->events->watches[s->events->n_watches];
        *w = (EventWatch) { .server = s, .source = src, .bus_name = bus_name, .root = root, .driver = d };
        r = sd_bus_match_signal_async(s->bus, &w->slot, bus_name, root, "org.libvirt.Connect", src->member,
                                      on_event_signal, NULL, w);
        if (r >= 0 && asprintf(&rule,
                               "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                               "member='NameOwnerChanged',arg0='%s'",
                               bus_name) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = sd_bus_add_match_async(s->bus, &w->owner_changed, rule, on_owner_changed, NULL, w);
        if (r >= 0 && src->kind == HANDLE_DOMAIN) {
                rule = mfree(rule);
                if (asprintf(&rule, "type='signal',sender='%s',interface='%s',path_namespace='%s/%s'", bus_name,
                             src->interface, root, src->kind_word) < 0)
                        r = -ENOMEM;
                else
                        r = sd_bus_add_match_async(s->bus, &w->domain_signals, rule, on_domain_signal, NULL, w);
        }
        if (r >= 0 && src->kind == HANDLE_SECRET)
                r = sd_bus_match_signal_async(s->bus, &w->value_changed, bus_name, root, "org.virtbus.Secret1",
                                              "SecretValueChanged", on_secret_value_changed, NULL, w);
        /* not running (and not activated by this): no owner until it comes */
        if (r >= 0)
                r = sd_bus_call_method_async(s->bus, &w->owner_query, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                             "org.freedesktop.DBus", "GetNameOwner", on_owner, w, "s", bus_name);
        if (r < 0) {
                watch_done(w);
                return log_error_errno(r, "Cannot watch the %s signals of %s: %m", src->member, bus_name);
        }
        s->events->n_watches++;
        return 0;
}

int events_watch(Server *s) {
        size_t n;
        const Driver *drivers = driver_table(&n);
        int r = 0;

        s->events = calloc(1, sizeof(*s->events));
        if (!s->events)
                return -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = add_watch(s, source_of(HANDLE_DOMAIN), drivers[i].bus_name, drivers[i].root, &drivers[i]);
        if (r >= 0)
                r = add_watch(s, source_of(HANDLE_NETWORK), "org.virtbus.networkd", "/org/virtbus/networkd", NULL);
        if (r >= 0)
                r = add_watch(s, source_of(HANDLE_POOL), "org.virtbus.storaged", "/org/virtbus/storaged", NULL);
        if (r >= 0)
                r = add_watch(s, source_of(HANDLE_SECRET), "org.virtbus.secretd", "/org/virtbus/secretd", NULL);
        return r;
}

void events_done(Server *s) {
        if (!s->events)
                return;
        for (size_t i = 0; i < s->events->n_watches; i++)
                watch_done(&s->events->watches[i]);
        names_clear(s->events);
        s->events = mfree(s->events);
}

int events_register(Call *c) {
        const EventSource *src = source_of(c->filter_kind);
        Client *cl = c->client;
        int32_t event_id = c->v[0].i;
        EventReg *regs;

        assert(src);
        if (event_id < 0 || event_id >= src->id_last)
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC, "unsupported event ID %d", event_id);
        if (cl->n_events >= EVENT_REGS_MAX)
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC,
                                 "too many event registrations on this connection (%d)", EVENT_REGS_MAX);
        regs = realloc(cl->events, (cl->n_events + 1) * sizeof(*regs));
        if (!regs)
                return -ENOMEM;
        cl->events = regs;
        /* Every event id is taken (virsh event --all registers them all);
         * LIFECYCLE and those of domain-events.h come from the daemons. */
        regs[cl->n_events] = (EventReg) {
                .callback_id = cl->next_callback_id++,
                .kind = src->kind,
                .event_id = event_id,
                .filtered = c->has_filter,
        };
        if (c->has_filter) {
                memcpy(regs[cl->n_events].uuid, c->filter.uuid, 16);
                events_note_name(cl->server, src->kind, c->filter.uuid, c->filter.name);
        }
        xdr_put_i32(&c->w, regs[cl->n_events].callback_id);
        cl->n_events++;
        return 0;
}

int events_deregister(Call *c) {
        Client *cl = c->client;
        int32_t id = c->v[0].i;

        for (size_t i = 0; i < cl->n_events; i++)
                if (cl->events[i].callback_id == id) {
                        memmove(&cl->events[i], &cl->events[i + 1], (cl->n_events - i - 1) * sizeof(EventReg));
                        cl->n_events--;
                        return 0;
                }
        return call_fail(c, VIR_ERR_INVALID_ARG, LIBVIRT_FROM_RPC, "callback ID %d not registered", id);
}
