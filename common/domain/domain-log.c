/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <time.h>

#include "bus-client.h"
#include "log.h"
#include "logd-client.h"
#include "domain-manager.h"
#include "domain-log.h"
#include "util.h"

#define START_MARK "starting up"

typedef struct LogOpen {
        DomainHandle *handle;   /* its owner is NULL once cancelled: the reply is dropped */
        char *cmdline;
        domain_log_fn done;
        void *userdata;
} LogOpen;

static void log_open_free(LogOpen *lo) {
        domain_handle_unref(lo->handle);
        free(lo->cmdline);
        free(lo);
}

/* logd keeps each driver's logs apart, in the driver's folder ("qemu"),
 * the same that m->logdir ends with. */
static const char *driver_name(const Domain *d) {
        return d->manager->driver->dir;
}

static char *log_path(Domain *d) {
        char *p;
        if (asprintf(&p, "%s/%s.log", d->manager->logdir, d->def->name) < 0)
                return NULL;
        return p;
}

static void stamp_line(char *buf, size_t size, const char *what) {
        time_t t = time(NULL);
        struct tm tm;
        char when[32];

        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
        snprintf(buf, size, "%s: %s", when, what);
}

static void start_line(char *buf, size_t size) {
        stamp_line(buf, size, START_MARK);
}

/* Without logd: append to the file ourselves; the guest process writes to
 * it directly. */
static int open_log_file(Domain *d, const char *cmdline) {
        _cleanup_free_ char *path = log_path(d);
        char stamp[64];
        int fd;

        if (!path)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        start_line(stamp, sizeof(stamp));
        dprintf(fd, "%s\n%s\n", stamp, cmdline);
        return fd;
}

/* Hands the fd over, unless the start was cancelled meanwhile. */
static void log_open_done(LogOpen *lo, int fd) {
        Domain *d = lo->handle->owner;
        domain_log_fn done = lo->done;
        void *userdata = lo->userdata;

        log_open_free(lo);
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        done(d, fd, userdata);
}

static void fallback(LogOpen *lo, const char *why) {
        Domain *d = lo->handle->owner;
        int fd;

        if (!d) {
                log_open_done(lo, -ECANCELED);
                return;
        }

        log_debug("logd not used for %s (%s): writing the log directly.", d->def->name, why);
        fd = open_log_file(d, lo->cmdline);
        log_open_done(lo, fd);
}

static void on_logd_open(int r, const sd_bus_error *error, int fd, const char *path, void *userdata) {
        LogOpen *lo = userdata;
        Domain *d = lo->handle->owner;
        char stamp[64];
        _cleanup_free_ char *line = NULL;

        if (r < 0) {
                fallback(lo, error && error->message ? error->message : strerror(-r));
                return;
        }
        if (!d) {
                log_open_done(lo, fd);
                return;
        }
        /* Append goes straight to the file, ahead of anything the guest
         * process will write into the pipe. */
        start_line(stamp, sizeof(stamp));
        if (asprintf(&line, "%s\n%s", stamp, lo->cmdline) >= 0)
                (void) logd_append_async(d->manager->bus, driver_name(d), d->def->name, line, NULL, NULL, NULL);
        log_open_done(lo, fd);
}

int domain_log_open(Domain *d, char *const *argv, domain_log_fn done, void *userdata) {
        LogOpen *lo = calloc(1, sizeof(*lo));
        int r;

        if (!lo)
                return -ENOMEM;
        *lo = (LogOpen) { .handle = domain_handle_get(&d->handle, d), .done = done, .userdata = userdata,
                          .cmdline = strv_join(argv, " ") };
        if (!lo->handle || !lo->cmdline) {
                log_open_free(lo);
                return -ENOMEM;
        }
        if (getenv("VIRTBUS_NO_LOGD")) {
                fallback(lo, "VIRTBUS_NO_LOGD is set");
                return 0;
        }
        r = logd_open_async(d->manager->bus, driver_name(d), d->def->name, on_logd_open, lo, NULL);
        if (r < 0)
                fallback(lo, strerror(-r));
        return 0;
}

char *domain_log_tail(Domain *d) {
        _cleanup_free_ char *path = log_path(d), *data = NULL;
        size_t len;
        const char *p;

        if (!path || read_full_file(path, 0, &data, &len) < 0)
                return NULL;
        /* Only what came after our last start line and command line. */
        p = strrstr(data, START_MARK "\n");
        p = p ? strchr(p + strlen(START_MARK "\n"), '\n') : NULL;
        p = p ? p + 1 : data;
        while (len > 0 && data[len - 1] == '\n')
                data[--len] = 0;
        if (strlen(p) > 1024)
                p += strlen(p) - 1024;
        return strdup(p);
}

void domain_log_stopped(Domain *d, int shutoff_reason) {
        char what[64];

        snprintf(what, sizeof(what), "shutting down, reason=%s", domain_shutoff_reason_to_string(shutoff_reason));
        domain_log_append(d, what);
}

void domain_log_append(Domain *d, const char *what) {
        char line[512];

        stamp_line(line, sizeof(line), what);
        if (getenv("VIRTBUS_NO_LOGD")) {
                _cleanup_free_ char *path = log_path(d);
                _cleanup_close_ int fd = path ? open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY) : -1;

                if (fd >= 0)
                        dprintf(fd, "%s\n", line);
                return;
        }
        (void) logd_append_async(d->manager->bus, driver_name(d), d->def->name, line, NULL, NULL, NULL);
}

static bool any_guest_runs(Manager *m) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (m->domains[i]->live && m->domains[i]->pid > 0)
                        return true;
        return false;
}

static void on_logd_owner(void *userdata, const char *owner) {
        Manager *m = userdata;
        int r;

        if (*owner || !any_guest_runs(m))
                return;
        log_info("logd left the bus while guests run: starting it again for their logs.");
        /* Any call activates it; Ping needs nothing of logd itself. */
        r = sd_bus_call_method_async(m->bus, NULL, LOGD_SERVICE, LOGD_PATH, "org.freedesktop.DBus.Peer", "Ping",
                                     NULL, NULL, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot ask for logd: %m");
}

int domain_log_watch_logd(Manager *m) {
        return bus_watch_name_owner(m->bus, LOGD_SERVICE, on_logd_owner, m, &m->logd_watch);
}
