/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "logd-client.h"

typedef struct Pending {
        logd_open_fn open_cb;
        logd_reply_fn reply_cb;
        logd_tail_fn tail_cb;
        void *userdata;
} Pending;

static void pending_free(void *p) {
        free(p);
}

static int error_of(sd_bus_message *m, const sd_bus_error **ret) {
        const sd_bus_error *e = sd_bus_message_get_error(m);

        *ret = e;
        return e ? (-sd_bus_error_get_errno(e) ?: -EIO) : 0;
}

static int on_open_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e;
        const char *path = NULL;
        int r = error_of(m, &e), fd = -1, mfd;

        /* The message owns its fd: hand the callback a copy of its own. */
        if (r == 0 && sd_bus_message_read(m, "hs", &mfd, &path) < 0)
                r = -EBADMSG;
        if (r == 0 && (fd = fcntl(mfd, F_DUPFD_CLOEXEC, 3)) < 0)
                r = -errno;
        p->open_cb(r, e, fd, path, p->userdata);
        return 1;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e;
        int r = error_of(m, &e);

        if (p->reply_cb)
                p->reply_cb(r, e, p->userdata);
        return 1;
}

static int on_tail_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e;
        const void *data = NULL;
        size_t len = 0;
        int r = error_of(m, &e);

        if (r == 0 && sd_bus_message_read_array(m, 'y', &data, &len) < 0)
                r = -EBADMSG;
        p->tail_cb(r, e, data, len, p->userdata);
        return 1;
}

static int finish_call(int r, sd_bus_slot *slot, Pending *p, sd_bus_slot **ret_slot) {
        if (r < 0) {
                free(p);
                return r;
        }
        sd_bus_slot_set_destroy_callback(slot, pending_free);
        if (ret_slot)
                *ret_slot = slot;
        else {
                sd_bus_slot_set_floating(slot, 1);
                sd_bus_slot_unref(slot);
        }
        return 0;
}

static Pending *pending_new(void *userdata) {
        Pending *p = calloc(1, sizeof(*p));

        if (p)
                p->userdata = userdata;
        return p;
}

int logd_open_async(sd_bus *bus, const char *driver, const char *name, logd_open_fn cb, void *userdata,
                    sd_bus_slot **ret_slot) {
        Pending *p = pending_new(userdata);
        sd_bus_slot *slot = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        p->open_cb = cb;
        r = sd_bus_call_method_async(bus, &slot, LOGD_SERVICE, LOGD_PATH, LOGD_IFACE, "Open", on_open_reply, p,
                                     "ssu", driver, name, (uint32_t) 0);
        return finish_call(r, slot, p, ret_slot);
}

int logd_append_async(sd_bus *bus, const char *driver, const char *name, const char *line, logd_reply_fn cb,
                      void *userdata, sd_bus_slot **ret_slot) {
        Pending *p = pending_new(userdata);
        sd_bus_slot *slot = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        p->reply_cb = cb;
        r = sd_bus_call_method_async(bus, &slot, LOGD_SERVICE, LOGD_PATH, LOGD_IFACE, "Append", on_reply, p,
                                     "sss", driver, name, line);
        return finish_call(r, slot, p, ret_slot);
}

int logd_tail_async(sd_bus *bus, const char *driver, const char *name, uint64_t max_bytes, logd_tail_fn cb,
                    void *userdata, sd_bus_slot **ret_slot) {
        Pending *p = pending_new(userdata);
        sd_bus_slot *slot = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        p->tail_cb = cb;
        r = sd_bus_call_method_async(bus, &slot, LOGD_SERVICE, LOGD_PATH, LOGD_IFACE, "Tail", on_tail_reply, p,
                                     "sst", driver, name, max_bytes);
        return finish_call(r, slot, p, ret_slot);
}
