/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "bus-client.h"
#include "logd-client.h"

static const BusTarget logd = { LOGD_SERVICE, LOGD_PATH, LOGD_IFACE };

typedef struct Pending {
        logd_open_fn open_cb;
        logd_tail_fn tail_cb;
        void *userdata;
} Pending;

static int on_open_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e;
        const char *path = NULL;
        int r = bus_reply_errno(m, &e), fd = -1, mfd;

        /* The message owns its fd: hand the callback a copy of its own. */
        if (r == 0 && sd_bus_message_read(m, "hs", &mfd, &path) < 0)
                r = -EBADMSG;
        if (r == 0 && (fd = fcntl(mfd, F_DUPFD_CLOEXEC, 3)) < 0)
                r = -errno;
        p->open_cb(r, e, fd, path, p->userdata);
        return 1;
}

static int on_tail_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e;
        const void *data = NULL;
        size_t len = 0;
        int r = bus_reply_errno(m, &e);

        if (r == 0 && sd_bus_message_read_array(m, 'y', &data, &len) < 0)
                r = -EBADMSG;
        p->tail_cb(r, e, data, len, p->userdata);
        return 1;
}

int logd_open_async(sd_bus *bus, const char *driver, const char *name, logd_open_fn cb, void *userdata,
                    sd_bus_slot **ret_slot) {
        Pending p = { .open_cb = cb, .userdata = userdata };

        return bus_call_async(bus, &logd, "Open", on_open_reply, &p, sizeof(p), ret_slot, "ssu", driver, name,
                              (uint32_t) 0);
}

int logd_append_async(sd_bus *bus, const char *driver, const char *name, const char *line, logd_reply_fn cb,
                      void *userdata, sd_bus_slot **ret_slot) {
        BusReply p = { .cb = cb, .userdata = userdata };

        return bus_call_async(bus, &logd, "Append", bus_on_reply, &p, sizeof(p), ret_slot, "sss", driver, name,
                              line);
}

int logd_tail_async(sd_bus *bus, const char *driver, const char *name, uint64_t max_bytes, logd_tail_fn cb,
                    void *userdata, sd_bus_slot **ret_slot) {
        Pending p = { .tail_cb = cb, .userdata = userdata };

        return bus_call_async(bus, &logd, "Tail", on_tail_reply, &p, sizeof(p), ret_slot, "sst", driver, name,
                              max_bytes);
}
