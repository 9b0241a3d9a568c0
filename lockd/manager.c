/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <sys/resource.h>

#include <systemd/sd-daemon.h>

#include "lock-state.h"
#include "log.h"
#include "manager.h"
#include "util.h"

int manager_new(const DaemonOptions *o, char **argv, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
        char buf[4096];
        ssize_t n;
        int r;

        if (!m)
                return -ENOMEM;
        m->options = *o;
        r = vb_paths_init(&m->paths, o->root);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the directory layout: %m");
        /* The path of the binary, not /proc/self/exe: after an upgrade the
         * re-exec must start the new file, not the deleted old one. */
        n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n < 0)
                return log_error_errno(errno, "Cannot find our own binary: %m");
        buf[n] = 0;
        if (n > 10 && streq(buf + n - 10, " (deleted)"))
                buf[n - 10] = 0;
        m->exe = strdup(buf);
        if (!m->exe)
                return -ENOMEM;
        for (char **a = argv; *a; a++)
                if (strv_extend(&m->argv, *a) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(m);
        return 0;
}

void manager_free(Manager *m) {
        if (!m)
                return;
        sd_event_source_disable_unref(m->reexec_source);
        lease_table_free(m->leases);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        lockd_config_done(&m->config);
        vb_paths_done(&m->paths);
        free(m->exe);
        strv_free(m->argv);
        free(m);
}

/* Each lease is an open fd: make room for tens of thousands. */
static void raise_fd_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static int restore_state(Manager *m) {
        const char *e = getenv(LOCKD_STATE_FD_ENV);
        int fd, r;

        if (!e)
                return 0;
        r = safe_atoi(e, &fd);
        unsetenv(LOCKD_STATE_FD_ENV);
        if (r < 0 || fd < 3)
                return log_error_errno(EINVAL, "Bad %s='%s'.", LOCKD_STATE_FD_ENV, e);
        r = lock_state_deserialize(m->leases, fd);
        if (r < 0)
                return r;
        m->restored = true;
        log_info("Re-executed: %u lease(s) of %u owner(s) kept.", m->leases->n_leases, m->leases->n_owners);
        return lock_state_set_cloexec(m->leases, true);
}

static void do_reexec(Manager *m) {
        _cleanup_close_ int fd = -1;
        char num[16];
        int r;

        r = lock_state_serialize(m->leases, &fd);
        if (r < 0) {
                log_error_errno(r, "Cannot serialize the state, not re-executing: %m");
                return;
        }
        r = lock_state_set_cloexec(m->leases, false);
        if (r < 0) {
                log_error_errno(r, "Cannot pass the lease fds on, not re-executing: %m");
                (void) lock_state_set_cloexec(m->leases, true);
                return;
        }
        snprintf(num, sizeof(num), "%d", fd);
        setenv(LOCKD_STATE_FD_ENV, num, 1);
        log_info("Re-executing %s with %u lease(s).", m->exe, m->leases->n_leases);
        (void) sd_notify(false, "RELOADING=1");
        (void) sd_bus_flush(m->bus);
        execv(m->exe, m->argv);

        /* Still here: keep serving with what we have. */
        log_error_errno(errno, "Cannot re-execute %s: %m", m->exe);
        unsetenv(LOCKD_STATE_FD_ENV);
        (void) lock_state_set_cloexec(m->leases, true);
        (void) sd_notify(false, "READY=1");
}

static int on_reexec(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        m->reexec_source = sd_event_source_disable_unref(m->reexec_source);
        do_reexec(m);
        return 0;
}

int manager_schedule_reexec(Manager *m) {
        if (m->reexec_source)
                return 0;
        /* A defer source runs after the pending replies went out; the lowest
         * priority lets everything already queued be handled first. */
        int r = sd_event_add_defer(m->event, &m->reexec_source, on_reexec, m);
        if (r < 0)
                return r;
        return sd_event_source_set_priority(m->reexec_source, SD_EVENT_PRIORITY_IDLE);
}

static int on_sigusr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return manager_schedule_reexec(userdata);
}

/* An instance that lost the name (a re-exec'd one replaced it) has no
 * business serving: its leases go with it. */
static int on_name_lost(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;

        if (sd_bus_message_read(msg, "s", &name) >= 0 && streq(name, LOCKD_BUS_NAME)) {
                log_warning("Lost the bus name %s to another instance, exiting.", name);
                sd_event_exit(m->event, 0);
        }
        return 0;
}

static int take_name(Manager *m) {
        uint64_t flags = SD_BUS_NAME_ALLOW_REPLACEMENT;
        int r;

        /* While we were exec'ing, a call may have activated a fresh instance:
         * the one holding the leases wins. */
        if (m->restored)
                flags |= SD_BUS_NAME_REPLACE_EXISTING;
        r = sd_bus_match_signal(m->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus", "NameLost", on_name_lost, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch for NameLost: %m");
        r = sd_bus_request_name(m->bus, LOCKD_BUS_NAME, flags);
        if (r < 0)
                return log_error_errno(r, "Cannot own the bus name %s: %m", LOCKD_BUS_NAME);
        (void) sd_notify(false, "READY=1");
        return 0;
}

static bool manager_is_busy(void *userdata) {
        Manager *m = userdata;

        return m->leases->n_leases > 0;
}

int manager_start(Manager *m) {
        sigset_t mask;
        int r;

        raise_fd_limit();
        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = daemon_open(&m->event, &m->bus);
        if (r < 0)
                return r;
        r = sd_event_add_signal(m->event, NULL, SIGUSR1, on_sigusr1, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch SIGUSR1: %m");
        r = lockd_config_load(&m->config, &m->paths);
        if (r < 0)
                return r;
        r = lease_table_new(m->config.lockspace_dir, m->event, &m->leases);
        if (r < 0)
                return r;
        r = restore_state(m);
        if (r < 0)
                return r;
        r = lock_dbus_register(m);
        if (r < 0)
                return r;
        r = take_name(m);
        if (r < 0)
                return r;
        return daemon_setup_idle_exit(m->event, m->bus, m->options.idle_timeout_usec, manager_is_busy, m);
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);

        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}
