/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shutdown and Reboot of a container, as libvirt's LXC driver does them:
 * a runlevel request (0 or 6) written to the init's own initctl FIFO when
 * it has one (sysvinit), else (or with the SIGNAL flag) SIGTERM or SIGHUP
 * to the init. A container that reboots ends its init by SIGHUP (reboot(2)
 * in a pid namespace); lxcd then starts it again (lxc-process.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-job.h"
#include "error.h"
#include "lxc-domain.h"
#include "util.h"

/* VIR_DOMAIN_SHUTDOWN_* and VIR_DOMAIN_REBOOT_* share these values. */
#define LXC_POWER_INITCTL (1u << 2)
#define LXC_POWER_SIGNAL (1u << 3)

/* sysvinit's request (initreq.h): 384 bytes, a runlevel change. */
#define INITCTL_MAGIC 0x03091969
#define INITCTL_CMD_RUNLVL 1

typedef struct InitRequest {
        int magic;
        int cmd;
        int runlevel;
        int sleeptime;
        char data[368];
} InitRequest;

/* Where sysvinit (and its look-alikes) listen, in the container. */
static const char *const initctl_paths[] = { "/run/initctl", "/dev/initctl", "/etc/.initctl" };

/* The flags of the Shutdown/Reboot call this job runs for. */
static uint32_t call_flags(Domain *d) {
        sd_bus_message *call = d->jobs->active ? d->jobs->active->call : NULL;
        uint32_t flags = 0;

        if (call && sd_bus_message_rewind(call, true) >= 0 && sd_bus_message_read(call, "u", &flags) < 0)
                flags = 0;
        return flags;
}

/* The init, in the host's pid namespace: the supervisor's only child. */
static pid_t init_pid(Domain *d) {
        LxcDomain *l = lxc_domain(d);
        _cleanup_free_ char *path = NULL, *text = NULL;
        int pid;

        if (l->init_pid > 0)
                return l->init_pid;
        if (asprintf(&path, "/proc/%d/task/%d/children", (int) d->pid, (int) d->pid) < 0 ||
            read_full_file(path, 4096, &text, NULL) < 0 || sscanf(text, "%d", &pid) != 1 || pid <= 0)
                return -ESRCH;
        l->init_pid = pid;
        return pid;
}

/* 1: written to a listener; 0: the container has none. */
static int set_runlevel(pid_t pid, char runlevel) {
        InitRequest req = { .magic = INITCTL_MAGIC, .cmd = INITCTL_CMD_RUNLVL, .runlevel = runlevel };

        for (size_t i = 0; i < ELEMENTSOF(initctl_paths); i++) {
                _cleanup_close_ int fd = -1;
                char path[128];
                struct stat st;

                /* through the init's root: its own mounts, no helper process */
                snprintf(path, sizeof(path), "/proc/%d/root%s", (int) pid, initctl_paths[i]);
                /* nonblocking: no reader (ENXIO) is no listener, never a hang */
                fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
                        continue;
                if (write(fd, &req, sizeof(req)) != (ssize_t) sizeof(req))
                        return -errno ?: -EIO;
                return 1;
        }
        return 0;
}

static int power(Domain *d, bool reboot, sd_bus_error *error) {
        uint32_t flags = call_flags(d);
        const char *what = reboot ? "reboot" : "shut down";
        pid_t pid;
        int r = 0;

        if (!domain_is_active(d) || d->pid <= 0 || d->starting)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        if (flags & ~(LXC_POWER_INITCTL | LXC_POWER_SIGNAL))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "unsupported flags (0x%x) for the LXC driver: only INITCTL and SIGNAL", flags);
        pid = init_pid(d);
        if (pid < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot find the init of '%s'", d->def->name);
        if (flags == 0 || (flags & LXC_POWER_INITCTL)) {
                r = set_runlevel(pid, reboot ? '6' : '0');
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot %s '%s' through initctl: %s",
                                             what, d->def->name, strerror(-r));
                if (r == 0 && flags == LXC_POWER_INITCTL)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "container '%s' does not provide an initctl pipe", d->def->name);
        }
        if (r == 0 && (flags == 0 || (flags & LXC_POWER_SIGNAL)) && kill(pid, reboot ? SIGHUP : SIGTERM) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot signal the init of '%s': %s",
                                     d->def->name, strerror(errno));
        return 0;
}

int lxc_process_shutdown(Domain *d, sd_bus_error *error) {
        int r = power(d, false, error);

        if (r >= 0)
                domain_emit_event(d, DOMAIN_EVENT_SHUTDOWN, DOMAIN_EVENT_SHUTDOWN_HOST);
        return r;
}

int lxc_process_reboot(Domain *d, sd_bus_error *error) {
        return power(d, true, error);
}
