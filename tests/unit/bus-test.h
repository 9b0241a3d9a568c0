/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A bus that is not UNSET, for tests that only build and read messages: one
 * end of a socketpair, started, whose handshake never finishes. */
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

static inline sd_bus *offline_bus(int fds[2]) {
        sd_bus *b = NULL;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_bus_new(&b) < 0 ||
            sd_bus_set_fd(b, fds[0], fds[0]) < 0 || sd_bus_set_anonymous(b, 1) < 0 || sd_bus_start(b) < 0)
                return sd_bus_unref(b);
        return b;
}

/* The other end goes first: flushing a bus still authenticating would wait
 * out sd-bus's auth timeout (90 s) for an answer that never comes. */
static inline void offline_bus_close(sd_bus *b, int fds[2]) {
        close(fds[1]);
        sd_bus_flush_close_unref(b);
}
