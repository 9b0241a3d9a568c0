/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Deleting a link costs the kernel an RCU grace period or two (about 20 ms
 * here for a tap), during which the deleting thread waits. Ports are released
 * at once and their links deleted by this worker thread, with a netlink
 * socket of its own, so the event loop never waits for the kernel. A link
 * queued here already belongs to nobody. */
#include <pthread.h>

#include "log.h"
#include "manager.h"
#include "netlink.h"

struct LinkReaper {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int *queue;
        size_t n, allocated;
        bool stop;
};

static void *reaper_main(void *userdata) {
        LinkReaper *lr = userdata;
        struct nl_sock *sk = NULL;
        int r = nl_route_open(&sk);

        if (r < 0)
                log_error_errno(r, "Link reaper: cannot open a netlink socket: %m");
        pthread_mutex_lock(&lr->lock);
        for (;;) {
                while (lr->n == 0 && !lr->stop)
                        pthread_cond_wait(&lr->cond, &lr->lock);
                if (lr->n == 0)
                        break;
                int ifindex = lr->queue[--lr->n];
                pthread_mutex_unlock(&lr->lock);
                r = sk ? link_delete(sk, ifindex) : -ENOTCONN;
                if (r < 0 && r != -ENODEV && r != -ENOENT)
                        log_warning_errno(r, "Cannot delete link %d: %m", ifindex);
                pthread_mutex_lock(&lr->lock);
        }
        pthread_mutex_unlock(&lr->lock);
        nl_route_close(sk);
        return NULL;
}

int link_reaper_start(Manager *m) {
        LinkReaper *lr = calloc(1, sizeof(*lr));
        int r;

        if (!lr)
                return -ENOMEM;
        pthread_mutex_init(&lr->lock, NULL);
        pthread_cond_init(&lr->cond, NULL);
        r = pthread_create(&lr->thread, NULL, reaper_main, lr);
        if (r != 0) {
                free(lr);
                return -r;
        }
        m->reaper = lr;
        return 0;
}

void link_reaper_delete(Manager *m, int ifindex) {
        LinkReaper *lr = m->reaper;

        if (ifindex <= 0)
                return;
        if (!lr) {
                (void) link_delete(m->nl, ifindex);
                return;
        }
        pthread_mutex_lock(&lr->lock);
        if (lr->n == lr->allocated) {
                size_t a = lr->allocated ? lr->allocated * 2 : 16;
                int *q = realloc(lr->queue, a * sizeof(int));
                if (!q) {
                        pthread_mutex_unlock(&lr->lock);
                        (void) link_delete(m->nl, ifindex);
                        return;
                }
                lr->queue = q;
                lr->allocated = a;
        }
        lr->queue[lr->n++] = ifindex;
        pthread_cond_signal(&lr->cond);
        pthread_mutex_unlock(&lr->lock);
}

/* Deletes what is queued, then ends the thread. */
void link_reaper_stop(Manager *m) {
        LinkReaper *lr = m->reaper;

        if (!lr)
                return;
        pthread_mutex_lock(&lr->lock);
        lr->stop = true;
        pthread_cond_signal(&lr->cond);
        pthread_mutex_unlock(&lr->lock);
        pthread_join(lr->thread, NULL);
        pthread_mutex_destroy(&lr->lock);
        pthread_cond_destroy(&lr->cond);
        free(lr->queue);
        free(lr);
        m->reaper = NULL;
}
