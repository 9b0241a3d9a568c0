/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A container's life seen from lxcd: spawning its supervisor, learning
 * whether the init runs, watching the supervisor's exit and reading why
 * the init ended (the exit file), Destroy, Shutdown, and picking the
 * supervisor up again after a restart. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "domain-autodestroy.h"
#include "domain-log.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "lxc-cgroup.h"
#include "lxc-domain.h"
#include "lxc-plan.h"
#include "lxc-supervise.h"
#include "lxc-validate.h"
#include "process.h"
#include "util.h"

static void on_log_ready(Domain *d, int log_fd, void *userdata);

static int exit_file_path(Domain *d, char **ret) {
        return asprintf(ret, "%s/%s.exit", d->manager->rundir, d->def->name) < 0 ? -ENOMEM : 0;
}

static void status_close(Domain *d) {
        LxcDomain *l = lxc_domain(d);

        l->status_source = sd_event_source_disable_unref(l->status_source);
        if (l->status_fd >= 0)
                close(l->status_fd);
        l->status_fd = -1;
        l->status_len = 0;
}

/* The job (start, or another one Destroy broke in on) ends with the guest. */
static void end_job_stopped(Domain *d) {
        char msg[512];

        if (!d->jobs->active)
                return;
        snprintf(msg, sizeof(msg), "domain '%s' stopped during the job %s", d->def->name,
                 domain_job_kind_to_string(d->jobs->active->kind));
        domain_job_fail(d->jobs, VB_ERROR_OPERATION_ABORTED, msg);
}

static void reply_start(Domain *d, const char *error_name, const char *message) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = TAKE_PTR(d->start_call);

        if (!call)
                return;
        if (error_name)
                (void) sd_bus_reply_method_errorf(call, error_name, "%s", message);
        else if (streq_ptr(sd_bus_message_get_member(call), "DomainCreateXML"))
                (void) sd_bus_reply_method_return(call, "o", d->path);
        else
                (void) sd_bus_reply_method_return(call, NULL);
}

/* Everything that happens once the supervisor is gone, whatever the
 * cause. A negative stopped_detail sends no event (it never ran). */
static void finish(Domain *d, int shutoff_reason, int stopped_detail) {
        Manager *m = d->manager;
        _cleanup_free_ char *exit_file = NULL;

        domain_handle_cancel(&d->handle);
        status_close(d);
        d->pid_watch = sd_event_source_disable_unref(d->pid_watch);
        if (exit_file_path(d, &exit_file) >= 0)
                (void) unlink(exit_file);
        domain_status_remove(d);
        lxc_cgroup_remove(d);
        domain_autodestroy_clear(d);
        d->start_def = domain_def_free(d->start_def);
        d->live = domain_def_free(d->live);
        d->id = -1;
        d->pid = 0;
        lxc_domain(d)->init_pid = 0;
        lxc_domain(d)->start_argv = strv_free_null(lxc_domain(d)->start_argv);
        d->starting = d->destroying = d->rolling_back = false;
        domain_set_state(d, DOMAIN_SHUTOFF, shutoff_reason);
        if (stopped_detail >= 0)
                domain_emit_event(d, DOMAIN_EVENT_STOPPED, stopped_detail);
        for (size_t i = 0; i < d->n_stop_calls; i++) {
                (void) sd_bus_reply_method_return(d->stop_calls[i], NULL);
                sd_bus_message_unref(d->stop_calls[i]);
        }
        d->n_stop_calls = 0;
        d->stop_calls = mfree(d->stop_calls);
        end_job_stopped(d);
        if (d->newdef) {
                domain_def_free(d->def);
                d->def = TAKE_PTR(d->newdef);
        }
        if (!d->persistent) {
                manager_remove_domain(m, d);
                domain_free(d);
        }
}

/* How the init ended, from the supervisor's exit file: 1 exited, 2 killed
 * by a signal, 0 not known (the supervisor itself was killed). */
static int read_exit(Domain *d, int *ret_value) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        int v;

        if (exit_file_path(d, &path) < 0 || read_full_file(path, 4096, &text, NULL) < 0)
                return 0;
        if (sscanf(text, "exited %d", &v) == 1) {
                *ret_value = v;
                return 1;
        }
        if (sscanf(text, "signal %d", &v) == 1) {
                *ret_value = v;
                return 2;
        }
        return 0;
}

/* As libvirt's LXC driver reports it: the init ended by itself is a
 * shutdown, killed by a signal a crash; Destroy is Destroy. */
static void on_supervisor_exit(pid_t pid, int code, int status, void *userdata) {
        Domain *d = userdata;
        int value = 0, how = read_exit(d, &value);

        log_debug("Supervisor of %s (pid %d) exited, code %d status %d, init %s %d", d->def->name, (int) pid, code,
                  status, how == 1 ? "exited" : how == 2 ? "signal" : "unknown", value);
        d->pid = 0;
        if (d->rolling_back)
                finish(d, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED);
        else if (d->starting) {
                reply_start(d, VB_ERROR_OPERATION_FAILED, "the container's supervisor exited while starting");
                finish(d, DOMAIN_SHUTOFF_FAILED, -1);
        } else if (d->destroying)
                finish(d, DOMAIN_SHUTOFF_DESTROYED, DOMAIN_EVENT_STOPPED_DESTROYED);
        else if (how == 1)
                finish(d, DOMAIN_SHUTOFF_SHUTDOWN, DOMAIN_EVENT_STOPPED_SHUTDOWN);
        else if (how == 2)
                finish(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_CRASHED);
        else
                finish(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_FAILED);
}

static void kill_supervisor(Domain *d) {
        if (d->pid > 0)
                (void) kill(d->pid, SIGKILL);
}

/* The supervisor said "ok <pid>" (the init runs) or "error <why>". */
static void start_settled(Domain *d, const char *line) {
        int init_pid;

        status_close(d);
        if (sscanf(line, "ok %d", &init_pid) != 1) {
                const char *why = strncmp(line, "error ", 6) == 0 ? line + 6 : "the supervisor said nothing";
                char msg[1200];

                snprintf(msg, sizeof(msg), "cannot start the container '%s': %s", d->def->name, why);
                log_warning("%s", msg);
                domain_job_end(d->jobs);
                reply_start(d, VB_ERROR_OPERATION_FAILED, msg);
                /* its exit finishes the domain, with no STOPPED event */
                kill_supervisor(d);
                return;
        }
        lxc_domain(d)->init_pid = init_pid;
        d->starting = false;
        domain_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_BOOTED);
        (void) domain_status_save(d);
        domain_emit_event(d, DOMAIN_EVENT_STARTED, DOMAIN_EVENT_STARTED_BOOTED);
        domain_job_end(d->jobs);
        reply_start(d, NULL, NULL);
}

static int on_status(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Domain *d = userdata;
        LxcDomain *l = lxc_domain(d);
        ssize_t n = read(fd, l->status_buf + l->status_len, sizeof(l->status_buf) - 1 - l->status_len);
        char *nl;

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n > 0)
                l->status_len += n;
        l->status_buf[l->status_len] = 0;
        nl = strchr(l->status_buf, '\n');
        if (nl)
                *nl = 0;
        if (nl || n <= 0 || l->status_len >= sizeof(l->status_buf) - 1)
                start_settled(d, l->status_buf);
        return 0;
}

/* The supervisor's command line: this very binary again, with the plan. */
static int supervisor_argv(const LxcPlan *plan, char ***ret) {
        _cleanup_strv_free_ char **args = NULL, **argv = NULL;
        int r;

        if ((r = lxc_plan_to_argv(plan, &args)) < 0 || (r = strv_extend(&argv, "/proc/self/exe")) < 0 ||
            (r = strv_extend(&argv, "--supervise")) < 0)
                return r;
        for (char **a = args; *a; a++)
                if ((r = strv_extend(&argv, *a)) < 0)
                        return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

static int spawn_supervisor(Domain *d, char **argv, int log_fd, int *ret_status_fd, sd_bus_error *error) {
        _cleanup_close_ int rd = -1, wr = -1;
        int pipefd[2], pidfd = -1, r;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rd = pipefd[0];
        wr = pipefd[1];
        ProcessFd map[] = { { log_fd, 1 }, { log_fd, 2 }, { wr, LXC_SUPERVISE_STATUS_FD } };

        r = process_spawn(argv, map, ELEMENTSOF(map), PROCESS_NEW_SESSION | PROCESS_DEVNULL_STDIN, &pid, &pidfd);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot start the supervisor of '%s': %s",
                                     d->def->name, strerror(-r));
        d->pid = pid;
        (void) pid_start_time(pid, &d->pid_starttime);
        r = process_watch(d->manager->event, pid, pidfd, on_supervisor_exit, d, &d->pid_watch);
        if (r < 0) {
                close(pidfd);
                (void) kill(pid, SIGKILL);
                return r;
        }
        *ret_status_fd = TAKE_FD(rd);
        return 0;
}

static int start_fail(Domain *d, int r, const char *name, const char *message, sd_bus_error *error) {
        lxc_cgroup_remove(d);
        d->live = domain_def_free(d->live);
        d->starting = false;
        domain_autodestroy_clear(d);
        if (domain_job_is(d->jobs, DOMAIN_JOB_START))
                domain_job_end(d->jobs);
        if (name)
                return vb_error_setf(error, name, "%s", message);
        return r;
}

int lxc_process_start(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error) {
        LxcDomain *l = lxc_domain(d);
        _cleanup_(lxc_plan_freep) LxcPlan *plan = NULL;
        _cleanup_free_ char *exit_file = NULL;
        ConfError err = {};
        int r;

        if (domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is already running",
                                     d->def->name);
        if (flags & ~(unsigned) (DOMAIN_START_AUTODESTROY | DOMAIN_START_VALIDATE | DOMAIN_START_FORCE_BOOT))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported flags (0x%x) for the LXC driver",
                                     flags);
        if (!d->jobs->active && (r = domain_job_begin(d->jobs, DOMAIN_JOB_START, NULL, NULL, NULL, error)) < 0)
                return r;
        if (d->start_def)
                d->live = TAKE_PTR(d->start_def);
        else if ((r = domain_def_copy(d->def, &d->live)) < 0)
                return start_fail(d, r, NULL, NULL, error);
        if ((r = exit_file_path(d, &exit_file)) < 0)
                return start_fail(d, r, NULL, NULL, error);
        (void) unlink(exit_file);
        r = lxc_plan_from_def(d->live, exit_file, &plan, &err);
        if (r >= 0)
                r = lxc_validate_host(plan, &err);
        if (r < 0)
                return start_fail(d, r, err.name, err.message, error);
        if (lxc_cgroup_prepare(d, plan, err.message, sizeof(err.message)) < 0)
                return start_fail(d, -EIO, VB_ERROR_OPERATION_FAILED, err.message, error);
        if (flags & DOMAIN_START_AUTODESTROY) {
                const char *sender = call ? sd_bus_message_get_sender(call) : NULL;
                if (!sender)
                        return start_fail(d, -EINVAL, VB_ERROR_INVALID_ARG, "autodestroy needs a bus client", error);
                if ((r = domain_watch_autodestroy(d, sender)) < 0)
                        return start_fail(d, r, NULL, NULL, error);
        }
        d->starting = true;
        d->id = manager_allocate_id(d->manager);
        if ((r = supervisor_argv(plan, &l->start_argv)) < 0) {
                d->id = -1;
                d->starting = false;
                return start_fail(d, r, NULL, NULL, error);
        }
        /* answered once the supervisor tells: the job ends without it */
        sd_bus_message_unref(domain_job_take_call(d->jobs));
        d->start_call = call ? sd_bus_message_ref(call) : NULL;
        /* The console goes to logd (or the log file when logd is away). */
        r = domain_log_open(d, l->start_argv, on_log_ready, NULL);
        if (r < 0)
                on_log_ready(d, r, NULL);
        return 0;
}

/* A start that failed before the supervisor ran: nothing of it is left. */
static void start_failed_early(Domain *d, const char *message) {
        log_warning("%s", message);
        reply_start(d, VB_ERROR_OPERATION_FAILED, message);
        finish(d, DOMAIN_SHUTOFF_FAILED, -1); /* may free d */
}

static void on_log_ready(Domain *d, int log_fd, void *userdata) {
        LxcDomain *l = lxc_domain(d);
        _cleanup_close_ int fd = log_fd;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char msg[1024];
        int status_fd = -1, r;

        if (log_fd < 0) {
                snprintf(msg, sizeof(msg), "cannot open the log of '%s': %s", d->def->name, strerror(-log_fd));
                start_failed_early(d, msg);
                return;
        }
        r = spawn_supervisor(d, l->start_argv, fd, &status_fd, &error);
        l->start_argv = strv_free_null(l->start_argv);
        if (r < 0) {
                snprintf(msg, sizeof(msg), "%s", error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                start_failed_early(d, msg);
                return;
        }
        l->status_fd = status_fd;
        l->status_len = 0;
        /* phase='starting': a restart now kills the supervisor */
        (void) domain_status_save(d);
        r = sd_event_add_io(d->manager->event, &l->status_source, status_fd, EPOLLIN, on_status, d);
        if (r < 0) {
                reply_start(d, VB_ERROR_INTERNAL, "cannot watch the container's supervisor");
                kill_supervisor(d); /* its exit finishes the domain */
        }
}

/* No job: it breaks in. The supervisor's exit finishes the domain. */
int lxc_process_destroy(Domain *d, sd_bus_message *call, sd_bus_error *error) {
        bool preparing = d->starting && d->pid <= 0;

        if (!domain_is_active(d) || (d->pid <= 0 && !preparing))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        if (call) {
                sd_bus_message **n = realloc(d->stop_calls, sizeof(*n) * (d->n_stop_calls + 1));
                if (!n)
                        return -ENOMEM;
                d->stop_calls = n;
                d->stop_calls[d->n_stop_calls++] = sd_bus_message_ref(call);
        }
        if (d->start_call)
                reply_start(d, VB_ERROR_OPERATION_ABORTED, "domain destroyed while starting");
        d->destroying = true;
        if (preparing) {
                /* the log is still being opened: its answer finds the handle cancelled */
                finish(d, DOMAIN_SHUTOFF_DESTROYED, -1); /* answers call, may free d */
                return 1;
        }
        kill_supervisor(d);
        /* a frozen process dies only once thawed */
        if (d->state == DOMAIN_PAUSED)
                (void) lxc_cgroup_freeze(d, false);
        return 1;
}

static int require_running(Domain *d, sd_bus_error *error) {
        if (!domain_is_active(d) || d->pid <= 0 || d->starting)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        return 0;
}

/* The cgroup freezer stops every process of the container at once. */
int lxc_process_suspend(Domain *d, sd_bus_error *error) {
        int r = require_running(d, error);

        if (r < 0)
                return r;
        if (d->state == DOMAIN_PAUSED)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is already paused",
                                     d->def->name);
        r = lxc_cgroup_freeze(d, true);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot freeze the container '%s': %s",
                                     d->def->name, strerror(-r));
        domain_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_USER);
        (void) domain_status_save(d);
        domain_emit_event(d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
        return 0;
}

int lxc_process_resume(Domain *d, sd_bus_error *error) {
        int r = require_running(d, error);

        if (r < 0)
                return r;
        if (d->state != DOMAIN_PAUSED)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not paused", d->def->name);
        r = lxc_cgroup_freeze(d, false);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot thaw the container '%s': %s",
                                     d->def->name, strerror(-r));
        domain_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_UNPAUSED);
        (void) domain_status_save(d);
        domain_emit_event(d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
        return 0;
}

/* SIGTERM to the init (through its supervisor): the container decides. */
int lxc_process_shutdown(Domain *d, sd_bus_error *error) {
        int r = require_running(d, error);

        if (r < 0)
                return r;
        if (kill(d->pid, SIGTERM) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot signal '%s': %s", d->def->name,
                                     strerror(errno));
        domain_emit_event(d, DOMAIN_EVENT_SHUTDOWN, DOMAIN_EVENT_SHUTDOWN_HOST);
        return 0;
}

int lxc_process_adopt(Domain *d, pid_t pid) {
        int pidfd = pidfd_open_pid(pid), r;

        if (pidfd < 0)
                return pidfd;
        d->pid = pid;
        r = process_watch(d->manager->event, pid, pidfd, on_supervisor_exit, d, &d->pid_watch);
        if (r < 0) {
                close(pidfd);
                return r;
        }
        return 0;
}

/* Gone while lxcd was down: the exit file may still say how. */
void lxc_process_lost(Domain *d) {
        on_supervisor_exit(0, 0, -1, d);
}

/* A start cut short by a restart: the supervisor (if it is still the one
 * recorded) is killed, the domain shut off as failed. */
int lxc_process_rollback(Domain *d, const DomainStatus *s) {
        int pidfd = s->pid > 0 && domain_status_process_matches(s) ? pidfd_open_pid(s->pid) : -ESRCH;

        log_warning("The start of %s was cut short when lxcd stopped: rolling it back.", d->def->name);
        d->starting = false;
        d->rolling_back = true;
        d->pid = 0;
        if (pidfd >= 0) {
                (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                (void) lxc_cgroup_freeze(d, false);
                if (process_watch(d->manager->event, s->pid, pidfd, on_supervisor_exit, d, &d->pid_watch) >= 0) {
                        d->pid = s->pid;
                        d->destroying = true;
                        return 0;
                }
                close(pidfd);
        }
        finish(d, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED); /* may free d */
        return 0;
}

void lxc_domain_release(Domain *d) {
        status_close(d);
}
