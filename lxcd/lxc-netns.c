/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "lxc-net.h"
#include "lxc-netns.h"
#include "util.h"

static int spare = -1;
static sd_event *loop;
static sd_event_source *refill;

/* A new namespace entered by this thread alone, lo set up there, and the
 * thread back where it was. lxcd is single-threaded and opens no socket
 * meanwhile: nothing else of it sees the other namespace. */
static int make_netns(int *ret) {
        _cleanup_close_ int host = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int fd = -1;
        int r = 0;

        if (host < 0)
                return -errno;
        if (unshare(CLONE_NEWNET) < 0)
                return -errno;
        fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                r = -errno;
        else
                r = lxc_net_link_up("lo", NULL, NULL);
        if (setns(host, CLONE_NEWNET) < 0) {
                /* never seen: lxcd's own links would be made in the wrong place */
                log_error("Cannot return to lxcd's network namespace: %s", strerror(errno));
                abort();
        }
        if (r < 0)
                return r;
        *ret = TAKE_FD(fd);
        return 0;
}

static int on_refill(sd_event_source *s, void *userdata) {
        int fd = -1, r;

        refill = sd_event_source_disable_unref(refill);
        if (spare >= 0)
                return 0;
        r = make_netns(&fd);
        if (r < 0) {
                /* the init makes its own, as without a spare */
                log_debug("No spare network namespace: %s", strerror(-r));
                return 0;
        }
        spare = fd;
        return 0;
}

static void schedule(void) {
        if (refill || !loop)
                return;
        if (sd_event_add_defer(loop, &refill, on_refill, NULL) >= 0)
                (void) sd_event_source_set_priority(refill, SD_EVENT_PRIORITY_IDLE);
}

int lxc_netns_spare_init(sd_event *event) {
        loop = event;
        schedule();
        return 0;
}

void lxc_netns_spare_done(void) {
        refill = sd_event_source_disable_unref(refill);
        if (spare >= 0)
                close(spare);
        spare = -1;
        loop = NULL;
}

int lxc_netns_spare_take(void) {
        int fd = spare;

        spare = -1;
        schedule();
        return fd;
}
