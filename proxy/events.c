/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-util.h"
#include "dispatch.h"
#include "error.h"
#include "events.h"
#include "log.h"
#include "util.h"
#include "uuid.h"

enum {
        PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE = 318,
        EVENT_ID_LIFECYCLE = 0,
        EVENT_ID_LAST = 27, /* libvirt 9.0's VIR_DOMAIN_EVENT_ID_LAST */
        EVENT_REGS_MAX = 1024,
        NAMES_MAX = 65536,
};

typedef struct EventWatch {
        Server *server;
        const Driver *driver;
        sd_bus_slot *slot;
} EventWatch;

typedef struct NameEntry {
        uint8_t uuid[16];
        char *name;
} NameEntry;

/* What travels from a signal to its delivery. */
typedef struct PendingEvent {
        Server *server;
        const Driver *driver;
        uint8_t uuid[16];
        int32_t event, detail;
} PendingEvent;

struct ServerEvents {
        EventWatch watches[4];
        size_t n_watches;
        NameEntry *names;
        size_t n_names;
};

static const char *name_of(Server *s, const uint8_t uuid[16]) {
        for (size_t i = 0; s->events && i < s->events->n_names; i++)
                if (memcmp(s->events->names[i].uuid, uuid, 16) == 0)
                        return s->events->names[i].name;
        return NULL;
}

static void names_clear(ServerEvents *ev) {
        for (size_t i = 0; i < ev->n_names; i++)
                free(ev->names[i].name);
        ev->names = mfree(ev->names);
        ev->n_names = 0;
}

void events_note_domain(Server *s, const uint8_t uuid[16], const char *name) {
        ServerEvents *ev = s->events;
        NameEntry *n;
        char *copy;

        if (!ev || !name)
                return;
        for (size_t i = 0; i < ev->n_names; i++)
                if (memcmp(ev->names[i].uuid, uuid, 16) == 0) {
                        if (streq(ev->names[i].name, name) || !(copy = strdup(name)))
                                return;
                        free(ev->names[i].name);
                        ev->names[i].name = copy;
                        return;
                }
        /* a bound, not a policy: names come back with the next lookup */
        if (ev->n_names >= NAMES_MAX)
                names_clear(ev);
        n = realloc(ev->names, (ev->n_names + 1) * sizeof(*n));
        if (!n)
                return;
        ev->names = n;
        copy = strdup(name);
        if (!copy)
                return;
        memcpy(ev->names[ev->n_names].uuid, uuid, 16);
        ev->names[ev->n_names++].name = copy;
}

static bool client_wants(const Client *c, const Driver *d, int32_t event_id, const uint8_t uuid[16]) {
        if (c->closed || !c->open || c->driver != d)
                return false;
        for (size_t i = 0; i < c->n_events; i++)
                if (c->events[i].event_id == event_id &&
                    (!c->events[i].filtered || memcmp(c->events[i].uuid, uuid, 16) == 0))
                        return true;
        return false;
}

static bool anyone_wants(Server *s, const Driver *d, const uint8_t uuid[16]) {
        for (Client *c = s->clients; c; c = c->next)
                if (client_wants(c, d, EVENT_ID_LIFECYCLE, uuid))
                        return true;
        return false;
}

static void send_lifecycle(Client *c, const EventReg *reg, const RemoteHandle *dom, int32_t event, int32_t detail) {
        /* serial 1, as libvirtd sends events */
        RpcHeader h = { RPC_PROG_REMOTE, RPC_VERSION, PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, RPC_MESSAGE, 1, RPC_OK };
        XdrWriter w;

        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, &h);
        xdr_put_i32(&w, reg->callback_id);
        remote_put_domain(&w, dom);
        xdr_put_i32(&w, event);
        xdr_put_i32(&w, detail);
        if (rpc_frame_end(&w) >= 0)
                client_send(c, &w);
        else
                xdr_writer_done(&w);
}

static void deliver(Server *s, const Driver *d, const RemoteHandle *dom, int32_t event, int32_t detail) {
        Client *next;

        for (Client *c = s->clients; c; c = next) {
                next = c->next; /* a failed send closes c */
                client_ref(c);
                for (size_t i = 0; !c->closed && c->open && c->driver == d && i < c->n_events; i++) {
                        const EventReg *reg = &c->events[i];
                        if (reg->event_id == EVENT_ID_LIFECYCLE &&
                            (!reg->filtered || memcmp(reg->uuid, dom->uuid, 16) == 0))
                                send_lifecycle(c, reg, dom, event, detail);
                }
                next = c->next;
                client_unref(c);
        }
}

static int on_event_handle(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PendingEvent *p = userdata;
        RemoteHandle dom = { .id = -1 };
        char uuid[UUID_STRING_MAX];

        memcpy(dom.uuid, p->uuid, 16);
        if (!sd_bus_message_is_method_error(m, NULL) && bus_read_handle(m, &dom) >= 0)
                events_note_domain(p->server, dom.uuid, dom.name);
        else {
                /* gone already: the name we saw last, else its uuid */
                const char *n = name_of(p->server, p->uuid);
                free(dom.name);
                dom.name = strdup(n ? n : uuid_format(p->uuid, uuid));
                dom.id = -1;
        }
        if (dom.name)
                deliver(p->server, p->driver, &dom, p->event, p->detail);
        remote_handle_done(&dom);
        free(p);
        return 0;
}

static int on_domain_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        EventWatch *w = userdata;
        const char *path;
        int32_t event, detail;
        uint8_t uuid[16];
        _cleanup_free_ char *prefix = NULL;
        PendingEvent *p;
        int r;

        if (sd_bus_message_read(m, "oii", &path, &event, &detail) < 0)
                return 0;
        if (asprintf(&prefix, "%s/domain", w->driver->root) < 0 || bus_path_to_uuid(path, prefix, uuid) < 0)
                return 0;
        if (!anyone_wants(w->server, w->driver, uuid))
                return 0;
        p = malloc(sizeof(*p));
        if (!p)
                return 0;
        *p = (PendingEvent) { .server = w->server, .driver = w->driver, .event = event, .detail = detail };
        memcpy(p->uuid, uuid, 16);
        r = sd_bus_call_method_async(w->server->bus, NULL, w->driver->bus_name, path,
                                     "org.freedesktop.DBus.Properties", "GetAll", on_event_handle, p, "s",
                                     "org.libvirt.Domain");
        if (r < 0) {
                log_warning_errno(r, "Cannot read the domain of an event: %m");
                free(p);
        }
        return 0;
}

int events_watch(Server *s) {
        size_t n;
        const Driver *drivers = driver_table(&n);
        int r;

        s->events = calloc(1, sizeof(*s->events));
        if (!s->events)
                return -ENOMEM;
        for (size_t i = 0; i < n && i < ELEMENTSOF(s->events->watches); i++) {
                EventWatch *w = &s->events->watches[i];
                *w = (EventWatch) { .server = s, .driver = &drivers[i] };
                r = sd_bus_match_signal_async(s->bus, &w->slot, drivers[i].bus_name, drivers[i].root,
                                              "org.libvirt.Connect", "DomainEvent", on_domain_event, NULL, w);
                if (r < 0)
                        return log_error_errno(r, "Cannot watch the events of %s: %m", drivers[i].bus_name);
                s->events->n_watches++;
        }
        return 0;
}

void events_done(Server *s) {
        if (!s->events)
                return;
        for (size_t i = 0; i < s->events->n_watches; i++)
                sd_bus_slot_unref(s->events->watches[i].slot);
        names_clear(s->events);
        s->events = mfree(s->events);
}

int events_register(Call *c) {
        Client *cl = c->client;
        int32_t event_id = c->v[0].i;
        EventReg *regs;

        if (event_id < 0 || event_id >= EVENT_ID_LAST)
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC, "unsupported event ID %d", event_id);
        if (cl->n_events >= EVENT_REGS_MAX)
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC,
                                 "too many event registrations on this connection (%d)", EVENT_REGS_MAX);
        regs = realloc(cl->events, (cl->n_events + 1) * sizeof(*regs));
        if (!regs)
                return -ENOMEM;
        cl->events = regs;
        /* Every event id is taken (virsh event --all registers them all);
         * only LIFECYCLE comes from the daemons so far. */
        regs[cl->n_events] = (EventReg) {
                .callback_id = cl->next_callback_id++,
                .event_id = event_id,
                .filtered = c->has_filter,
        };
        if (c->has_filter) {
                memcpy(regs[cl->n_events].uuid, c->filter.uuid, 16);
                events_note_domain(cl->server, c->filter.uuid, c->filter.name);
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
