/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "lxc-net.h"
#include "lxc-netns.h"
#include "util.h"

static int spare = -1;
static sd_event *loop;
static sd_event_source *refill;  /* the idle-time start of the next one */
static sd_event_source *answer;  /* its maker's answer, while it works */
static int answer_fd[2] = { -1, -1 }; /* [0] lxcd's, [1] the maker's */

/* A thread of its own makes it: a new network namespace is the calling
 * thread's alone, lo is set up there, and the thread ends with only the
 * fd left. lxcd's loop is not held up meanwhile (lo waits for the RTNL
 * lock while the host tears other namespaces down). The thread logs
 * nothing and takes no lock of libc's a forked supervisor would need. */
static int make_netns(void) {
        int fd, r;

        if (unshare(CLONE_NEWNET) < 0)
                return -errno;
        fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = lxc_net_link_up("lo", NULL, NULL);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

static void *maker(void *arg) {
        int v = make_netns(), out = (int) (intptr_t) arg;

        /* lxcd gone meanwhile: the namespace goes with the fd */
        if (send(out, &v, sizeof(v), MSG_NOSIGNAL) != sizeof(v) && v >= 0)
                close(v);
        close(out);
        return NULL;
}

static void stop_answer(void) {
        answer = sd_event_source_disable_unref(answer);
        for (size_t i = 0; i < 2; i++)
                if (answer_fd[i] >= 0)
                        close(answer_fd[i]);
        answer_fd[0] = answer_fd[1] = -1;
}

static int on_answer(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        int v = -EIO;

        if (recv(fd, &v, sizeof(v), MSG_DONTWAIT) != sizeof(v))
                v = -EIO;
        stop_answer();
        if (v < 0)
                /* the init makes its own, as without a spare */
                log_debug("No spare network namespace: %s", strerror(-v));
        else if (spare >= 0)
                close(v);
        else
                spare = v;
        return 0;
}

static int start_maker(void) {
        pthread_attr_t attr;
        pthread_t t;
        int r;

        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, answer_fd) < 0)
                return -errno;
        r = sd_event_add_io(loop, &answer, answer_fd[0], EPOLLIN, on_answer, NULL);
        if (r < 0)
                return r;
        r = pthread_attr_init(&attr);
        if (r == 0)
                r = pthread_attr_setstacksize(&attr, 64 << 10);
        if (r == 0)
                r = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (r == 0)
                r = pthread_create(&t, &attr, maker, (void *) (intptr_t) answer_fd[1]);
        (void) pthread_attr_destroy(&attr);
        if (r != 0)
                return -r;
        answer_fd[1] = -1; /* the maker's now */
        return 0;
}

static int on_refill(sd_event_source *s, void *userdata) {
        int r;

        refill = sd_event_source_disable_unref(refill);
        if (spare >= 0 || answer)
                return 0;
        r = start_maker();
        if (r < 0) {
                log_debug("Cannot make a spare network namespace: %s", strerror(-r));
                stop_answer();
        }
        return 0;
}

static void schedule(void) {
        if (refill || answer || !loop)
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
        stop_answer();
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
