/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "bus-client.h"

static void *pending_dup(const void *pending, size_t size) {
        void *p = malloc(size > 0 ? size : 1);

        if (p && size > 0)
                memcpy(p, pending, size);
        return p;
}

/* The copy goes with the slot: freed by its destroy callback. */
static int finish_call(int r, sd_bus_slot *slot, void *p, sd_bus_slot **ret_slot) {
        if (r < 0) {
                free(p);
                return r;
        }
        sd_bus_slot_set_destroy_callback(slot, free);
        if (ret_slot)
                *ret_slot = slot;
        else {
                sd_bus_slot_set_floating(slot, 1);
                sd_bus_slot_unref(slot);
        }
        return 0;
}

int bus_call_async(sd_bus *bus, const BusTarget *target, const char *method, sd_bus_message_handler_t handler,
                   const void *pending, size_t size, sd_bus_slot **ret_slot, const char *types, ...) {
        void *p = pending_dup(pending, size);
        sd_bus_slot *slot = NULL;
        va_list ap;
        int r;

        if (!p)
                return -ENOMEM;
        va_start(ap, types);
        r = sd_bus_call_method_asyncv(bus, &slot, target->service, target->path, target->interface, method, handler,
                                      p, types, ap);
        va_end(ap);
        return finish_call(r, slot, p, ret_slot);
}

int bus_send_noreply(sd_bus *bus, const BusTarget *target, const char *method, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, target->service, target->path, target->interface, method);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = sd_bus_message_appendv(m, types, ap);
        va_end(ap);
        if (r >= 0)
                r = sd_bus_message_set_expect_reply(m, 0);
        return r < 0 ? r : sd_bus_send(bus, m, NULL);
}

int bus_send_call_async(sd_bus *bus, sd_bus_message *call, sd_bus_message_handler_t handler, const void *pending,
                        size_t size, sd_bus_slot **ret_slot) {
        void *p = pending_dup(pending, size);
        sd_bus_slot *slot = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        r = sd_bus_call_async(bus, &slot, call, handler, p, 0);
        return finish_call(r, slot, p, ret_slot);
}

int bus_reply_errno(sd_bus_message *reply, const sd_bus_error **ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        *ret_error = e;
        if (!e)
                return 0;
        return -sd_bus_error_get_errno(e) ?: -EIO;
}

int bus_on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BusReply *p = userdata;
        const sd_bus_error *e;
        unsigned count = 0;
        int r = bus_reply_errno(reply, &e);

        if (r == 0 && p->count_cb && sd_bus_message_read(reply, "u", &count) < 0)
                r = -EBADMSG;
        if (p->count_cb)
                p->count_cb(r, e, count, p->userdata);
        else if (p->cb)
                p->cb(r, e, p->userdata);
        return 1;
}

typedef struct OwnerWatch {
        bus_owner_fn cb;
        void *userdata;
} OwnerWatch;

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        OwnerWatch *w = userdata;
        const char *name, *old, *new;

        if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0)
                w->cb(w->userdata, new);
        return 0;
}

int bus_watch_name_owner(sd_bus *bus, const char *name, bus_owner_fn cb, void *userdata, sd_bus_slot **ret_slot) {
        _cleanup_free_ char *match = NULL;
        sd_bus_slot *slot = NULL;
        OwnerWatch *w;
        int r;

        if (asprintf(&match,
                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'", name) < 0)
                return -ENOMEM;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (OwnerWatch) { .cb = cb, .userdata = userdata };
        r = sd_bus_add_match_async(bus, &slot, match, on_name_owner_changed, NULL, w);
        if (r < 0) {
                free(w);
                return r;
        }
        /* The caller owns the slot (a floating one was never freed when the
         * daemon stopped, so valgrind saw it lost): unref'ing it frees w. */
        (void) sd_bus_slot_set_destroy_callback(slot, free);
        *ret_slot = slot;
        return 0;
}
