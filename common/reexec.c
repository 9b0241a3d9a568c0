/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <sys/mman.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "instance-lock.h"
#include "reexec.h"
#include "util.h"

struct Reexec {
        char *name;  /* "lockd" */
        char *env;   /* the variable that names the state fd */
        char *exe;   /* our own binary, by path */
        char **argv; /* our command line */
        const ReexecOps *ops;
        void *userdata;
        sd_event *event;
        sd_bus *bus;
        sd_event_source *sigusr1_source, *defer_source;
        sd_bus_slot *name_lost_slot;
        char *bus_name;
        bool restored; /* started from a re-exec'd state */
};

int reexec_new(const char *name, const char *env, char **argv, Reexec **ret) {
        _cleanup_(reexec_freep) Reexec *x = calloc(1, sizeof(*x));
        char buf[4096];
        sigset_t mask;
        ssize_t n;

        if (!x)
                return -ENOMEM;
        x->name = strdup(name);
        x->env = strdup(env);
        if (!x->name || !x->env)
                return -ENOMEM;
        /* The path of the binary, not /proc/self/exe: after an upgrade the
         * re-exec must start the new file, not the deleted old one. */
        n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n < 0)
                return log_error_errno(errno, "Cannot find our own binary: %m");
        buf[n] = 0;
        if (n > 10 && streq(buf + n - 10, " (deleted)"))
                buf[n - 10] = 0;
        x->exe = strdup(buf);
        if (!x->exe)
                return -ENOMEM;
        for (char **a = argv; *a; a++)
                if (strv_extend(&x->argv, *a) < 0)
                        return -ENOMEM;
        /* From now on, for the signalfd of reexec_start(). */
        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        *ret = TAKE_PTR(x);
        return 0;
}

Reexec *reexec_free(Reexec *x) {
        if (!x)
                return NULL;
        sd_event_source_disable_unref(x->defer_source);
        sd_event_source_disable_unref(x->sigusr1_source);
        sd_bus_slot_unref(x->name_lost_slot);
        sd_bus_unref(x->bus);
        sd_event_unref(x->event);
        free(x->name);
        free(x->env);
        free(x->exe);
        strv_free(x->argv);
        free(x->bus_name);
        return mfree(x);
}

/* The state in a memfd without FD_CLOEXEC, rewound. */
static int serialize(Reexec *x, int *ret_fd) {
        _cleanup_free_ char *text = NULL, *memfd_name = NULL;
        _cleanup_close_ int fd = -1;
        size_t len, done = 0;
        int r;

        r = x->ops->format(x->userdata, &text, &len);
        if (r < 0)
                return r;
        if (asprintf(&memfd_name, "virtbus-%s-state", x->name) < 0)
                return -ENOMEM;
        fd = memfd_create(memfd_name, 0);
        if (fd < 0)
                return -errno;
        while (done < len) {
                ssize_t n = write(fd, text + done, len - done);
                if (n < 0)
                        return -errno;
                done += (size_t) n;
        }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Reads the state back from fd, and closes fd. */
static int deserialize(int fd, char **ret) {
        _cleanup_close_ int state_fd = fd;
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "/proc/self/fd/%d", state_fd) < 0)
                return -ENOMEM;
        return read_full_file(path, 0, ret, NULL);
}

static void reexec_now(Reexec *x) {
        _cleanup_free_ char *what = NULL;
        _cleanup_close_ int fd = -1;
        char num[16];
        int r;

        r = serialize(x, &fd);
        if (r < 0) {
                log_error_errno(r, "Cannot serialize the state, not re-executing: %m");
                return;
        }
        r = x->ops->set_cloexec(x->userdata, false);
        if (r < 0) {
                log_error_errno(r, "Cannot pass the %s fds on, not re-executing: %m", x->name);
                (void) x->ops->set_cloexec(x->userdata, true);
                return;
        }
        snprintf(num, sizeof(num), "%d", fd);
        setenv(x->env, num, 1);
        instance_lock_pass_on(true);
        what = x->ops->describe(x->userdata);
        log_info("Re-executing %s, keeping %s.", x->exe, what ?: "the state");
        (void) sd_notify(false, "RELOADING=1");
        (void) sd_bus_flush(x->bus);
        execv(x->exe, x->argv);

        /* Still here: keep serving with what we have. */
        log_error_errno(errno, "Cannot re-execute %s: %m", x->exe);
        unsetenv(x->env);
        instance_lock_pass_on(false);
        (void) x->ops->set_cloexec(x->userdata, true);
        (void) sd_notify(false, "READY=1");
}

static int on_defer(sd_event_source *s, void *userdata) {
        Reexec *x = userdata;

        x->defer_source = sd_event_source_disable_unref(x->defer_source);
        reexec_now(x);
        return 0;
}

int reexec_schedule(Reexec *x) {
        int r;

        if (x->defer_source)
                return 0;
        /* A defer source runs after the pending replies went out; the lowest
         * priority lets everything already queued be handled first. */
        r = sd_event_add_defer(x->event, &x->defer_source, on_defer, x);
        if (r < 0)
                return r;
        return sd_event_source_set_priority(x->defer_source, SD_EVENT_PRIORITY_IDLE);
}

static int on_sigusr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return reexec_schedule(userdata);
}

static int restore(Reexec *x) {
        _cleanup_free_ char *value = NULL, *text = NULL, *what = NULL;
        const char *e = getenv(x->env);
        int fd, r;

        if (!e)
                return 0;
        value = strdup(e);
        unsetenv(x->env);
        if (!value)
                return -ENOMEM;
        r = safe_atoi(value, &fd);
        if (r < 0 || fd < 3)
                return log_error_errno(EINVAL, "Bad %s='%s'.", x->env, value);
        r = deserialize(fd, &text);
        if (r < 0)
                return log_error_errno(r, "Cannot read the %s state: %m", x->name);
        r = x->ops->parse(x->userdata, text);
        if (r < 0)
                return r;
        x->restored = true;
        what = x->ops->describe(x->userdata);
        log_info("Re-executed: %s kept.", what ?: "the state");
        r = x->ops->set_cloexec(x->userdata, true);
        if (r < 0)
                return r;
        return 1;
}

int reexec_start(Reexec *x, sd_event *event, sd_bus *bus, const ReexecOps *ops, void *userdata) {
        int r;

        x->event = sd_event_ref(event);
        x->bus = sd_bus_ref(bus);
        x->ops = ops;
        x->userdata = userdata;
        r = sd_event_add_signal(event, &x->sigusr1_source, SIGUSR1, on_sigusr1, x);
        if (r < 0)
                return log_error_errno(r, "Cannot watch SIGUSR1: %m");
        return restore(x);
}

/* An instance that lost the name (a re-exec'd one replaced it) has no
 * business serving: what it holds goes with it. */
static int on_name_lost(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Reexec *x = userdata;
        const char *name;

        if (sd_bus_message_read(msg, "s", &name) >= 0 && streq(name, x->bus_name)) {
                log_warning("Lost the bus name %s to another instance, exiting.", name);
                sd_event_exit(x->event, 0);
        }
        return 0;
}

int reexec_take_name(Reexec *x, const char *bus_name) {
        uint64_t flags = SD_BUS_NAME_ALLOW_REPLACEMENT;
        int r;

        free_and_replace_str(&x->bus_name, strdup(bus_name));
        if (!x->bus_name)
                return -ENOMEM;
        /* While we were exec'ing, a call may have activated a fresh instance:
         * the one holding the state wins. */
        if (x->restored)
                flags |= SD_BUS_NAME_REPLACE_EXISTING;
        r = sd_bus_match_signal(x->bus, &x->name_lost_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus", "NameLost", on_name_lost, x);
        if (r < 0)
                return log_error_errno(r, "Cannot watch for NameLost: %m");
        r = sd_bus_request_name(x->bus, bus_name, flags);
        if (r < 0)
                return log_error_errno(r, "Cannot own the bus name %s: %m", bus_name);
        (void) sd_notify(false, "READY=1");
        return 0;
}
