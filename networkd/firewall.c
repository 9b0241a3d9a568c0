/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Applying the nft table: one `nft -f -` at a time, fed from a memfd, its
 * stderr collected in another, its exit watched on the event loop. Requests
 * that arrive while one runs share the next run, which is built from the
 * state of that moment. */
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "log.h"
#include "manager.h"
#include "nft-ruleset.h"
#include "process.h"
#include "util.h"

struct FirewallWaiter {
        firewall_done_fn cb;
        void *userdata;
        FirewallWaiter *next;
};

static int memfd_with(const char *name, const char *data) {
        _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC);
        size_t len = data ? strlen(data) : 0, done = 0;

        if (fd < 0)
                return -errno;
        while (done < len) {
                ssize_t k = write(fd, data + done, len - done);
                if (k < 0)
                        return -errno;
                done += (size_t) k;
        }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* The memfd's text, trimmed, for error messages. */
static char *read_memfd(int fd) {
        char buf[2048];
        ssize_t n;

        if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return strdup("");
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                n = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        buf[n] = 0;
        for (char *c = buf; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        return strdup(buf);
}

static int build_ruleset(Manager *m, char **ret) {
        _cleanup_free_ const NetworkDef **defs = calloc(m->n_networks + 1, sizeof(NetworkDef *));
        size_t n = 0;

        if (!defs)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_networks; i++)
                if (m->networks[i]->fw_included && m->networks[i]->live)
                        defs[n++] = m->networks[i]->live;
        return nft_build_ruleset(defs, n, ret);
}

static void notify(Manager *m, FirewallWaiter *w, int r, const char *errmsg) {
        while (w) {
                FirewallWaiter *next = w->next;
                if (w->cb)
                        w->cb(m, r, errmsg, w->userdata);
                free(w);
                w = next;
        }
}

/* <rundir>/nft.pid: "pid starttime" of the nft that runs. An nft that
 * outlived a killed networkd would replace the table after the new networkd
 * rebuilt it, with rules of networks that no longer run: the new one stops
 * it first (the kernel applies a table whole or not at all). */
static char *nft_pid_file(Manager *m) {
        return path_join(m->rundir, "nft.pid");
}

static void record_nft(Manager *m, pid_t pid) {
        _cleanup_free_ char *path = nft_pid_file(m);
        uint64_t start;
        char text[64];

        if (!path || pid_start_time(pid, &start) < 0)
                return;
        snprintf(text, sizeof(text), "%d %" PRIu64 "\n", (int) pid, start);
        (void) write_file_atomic(path, text, strlen(text), 0600);
}

static void forget_nft(Manager *m) {
        _cleanup_free_ char *path = nft_pid_file(m);

        if (path)
                (void) unlink_if_exists(path);
}

void firewall_stop_previous_nft(Manager *m) {
        _cleanup_free_ char *path = nft_pid_file(m), *text = NULL;
        uint64_t want, start;
        int pid, fd;

        if (!path || read_full_file(path, 128, &text, NULL) < 0)
                return;
        if (sscanf(text, "%d %" SCNu64, &pid, &want) == 2 && pid > 1 && (fd = pidfd_open_pid(pid)) >= 0) {
                /* the same process (not a recycled pid): started when recorded */
                if (pid_start_time(pid, &start) >= 0 && start == want &&
                    syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) >= 0) {
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        log_warning("Stopped nft (pid %d) left by the previous networkd.", pid);
                        (void) poll(&p, 1, 2000);
                }
                close(fd);
        }
        (void) unlink_if_exists(path);
}

static int run_nft(Manager *m);

static void on_nft_exit(pid_t pid, int code, int status, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *err = read_memfd(m->nft_errfd);
        FirewallWaiter *w = TAKE_PTR(m->fw_running);
        int r = code == CLD_EXITED && status == 0 ? 0 : -EIO;

        m->nft_watch = sd_event_source_disable_unref(m->nft_watch);
        m->nft_errfd = (closep(&m->nft_errfd), -1);
        m->nft_pid = 0;
        forget_nft(m);
        if (r < 0)
                log_error("nft failed (%s %d): %s", code == CLD_EXITED ? "status" : "signal", status,
                          err ? err : "");
        else
                log_debug("Firewall table applied.");
        notify(m, w, r, err ? err : "");
        if (m->fw_pending) {
                r = run_nft(m);
                /* run_nft() takes the waiters only once nft runs */
                if (r < 0)
                        notify(m, TAKE_PTR(m->fw_pending), r, strerror(-r));
        }
}

static int run_nft(Manager *m) {
        _cleanup_free_ char *ruleset = NULL;
        _cleanup_close_ int in = -1, err = -1, pidfd = -1;
        char *argv[] = { (char *) m->nft_path, (char *) "-f", (char *) "-", NULL };
        int r;

        r = build_ruleset(m, &ruleset);
        if (r < 0)
                return r;
        in = memfd_with("nft-ruleset", ruleset);
        if (in < 0)
                return in;
        err = memfd_with("nft-stderr", NULL);
        if (err < 0)
                return err;
        ProcessFd map[] = { { in, 0 }, { err, 1 }, { err, 2 } };
        r = process_spawn(argv, map, ELEMENTSOF(map), 0, &m->nft_pid, &pidfd);
        if (r < 0)
                return log_error_errno(r, "Cannot run %s: %m", m->nft_path);
        r = process_watch(m->event, m->nft_pid, pidfd, on_nft_exit, m, &m->nft_watch);
        if (r < 0) {
                (void) waitpid(m->nft_pid, NULL, 0);
                m->nft_pid = 0;
                return r;
        }
        TAKE_FD(pidfd);
        record_nft(m, m->nft_pid);
        m->nft_errfd = TAKE_FD(err);
        /* everyone who asked so far is served by this run */
        m->fw_running = TAKE_PTR(m->fw_pending);
        return 0;
}

int firewall_apply(Manager *m, firewall_done_fn cb, void *userdata) {
        FirewallWaiter *w, **tail;
        int r;

        if (m->closing)
                return -ECANCELED;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (FirewallWaiter) { .cb = cb, .userdata = userdata };
        for (tail = &m->fw_pending; *tail; tail = &(*tail)->next)
                ;
        *tail = w;
        if (m->nft_pid > 0)
                return 0;
        r = run_nft(m);
        if (r < 0) {
                /* nobody was told yet: take this request back out */
                FirewallWaiter *p = TAKE_PTR(m->fw_pending);
                while (p) {
                        FirewallWaiter *next = p->next;
                        if (p != w && p->cb)
                                p->cb(m, r, strerror(-r), p->userdata);
                        free(p);
                        p = next;
                }
                return r;
        }
        return 0;
}

void firewall_done(Manager *m) {
        m->nft_watch = sd_event_source_disable_unref(m->nft_watch);
        closep(&m->nft_errfd);
        m->nft_errfd = -1;
        notify(m, TAKE_PTR(m->fw_running), -ECANCELED, "cancelled");
        notify(m, TAKE_PTR(m->fw_pending), -ECANCELED, "cancelled");
}
