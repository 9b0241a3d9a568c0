/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A domain's QEMU once it is there: watching its exit and finishing up
 * after it (finish_process), killing it, Destroy, the verbs that ask its
 * monitor (Shutdown, Reboot, Reset, Suspend, Resume), and picking it up
 * after a restart (adopt, lost, rollback). The start is in qemu-start.c. */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

#include "domain-autodestroy.h"
#include "domain-control.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "process.h"
#include "qemu-agent-cmds.h"
#include "qemu-confine.h"
#include "qemu-disk-prepare.h"
#include "qemu-machined.h"
#include "qemu-domain.h"
#include "qemu-hostdev-vf.h"
#include "qemu-migrate.h"
#include "qemu-events.h"
#include "qemu-monitor.h"
#include "qemu-perf.h"
#include "domain-prepare.h"
#include "domain-lock.h"
#include "domain-log.h"
#include "qemu-process.h"
#include "qemu-net-host.h"
#include "qemu-chains.h"
#include "qemu-snapshot.h"
#include "qemu-swtpm.h"
#include "qemu-net-direct.h"
#include "qemu-hotplug.h"
#include "qemu-passt.h"
#include "qemu-pr-helper.h"
#include "qemu-virtiofs.h"
#include "qemu-video.h"
#include "qemu-memory-dir.h"
#include "qemu-process-internal.h"
#include "qemu-security.h"
#include "qemu-taint.h"
#include "qemu-tune.h"
#include "util.h"

#define KILL_TIMEOUT_USEC (5ULL * 1000000ULL)

static void process_finish(Domain *d, int shutoff_reason, int stopped_detail);

/* A signal nobody here sent (Destroy and the kill timer are ours): QEMU
 * crashed, or someone killed it. Said in the log, as libvirt's domain
 * log says so, for the one who has to find out why the guest went. */
static void log_killed(Domain *d, pid_t pid, int code, int status) {
        if ((code != CLD_KILLED && code != CLD_DUMPED) || d->destroying || d->kill_timer)
                return;
        log_error("QEMU of %s (pid %d) was killed by signal %d (%s)%s.", d->def->name, (int) pid, status,
                  strsignal(status), code == CLD_DUMPED ? ", core dumped" : "");
}

void on_process_exit(pid_t pid, int code, int status, void *userdata) {
        Domain *d = userdata;

        log_debug("QEMU of %s (pid %d) exited, code %d status %d", d->def->name, (int) pid, code, status);
        log_killed(d, pid, code, status);
        d->pid = 0;
        if (d->rolling_back)
                process_finish(d, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED);
        else if (d->starting || d->start_error_name) {
                /* Never ran: no STOPPED event, as libvirt does. */
                if (!d->start_error_name)
                        fail_start(d, "QEMU exited while starting");
                else
                        start_finish_failed(d);
        } else if (d->destroying)
                process_finish(d, DOMAIN_SHUTOFF_DESTROYED, DOMAIN_EVENT_STOPPED_DESTROYED);
        else if (qemu_domain(d)->got_shutdown)
                process_finish(d, DOMAIN_SHUTOFF_SHUTDOWN, DOMAIN_EVENT_STOPPED_SHUTDOWN);
        else if (d->state == DOMAIN_CRASHED)
                process_finish(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_CRASHED);
        else
                /* Gone without saying why: libvirt calls this a crash. */
                process_finish(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_FAILED);
}

static int on_kill_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Domain *d = userdata;

        if (d->pid > 0) {
                log_warning("QEMU of %s did not exit in time, sending SIGKILL.", d->def->name);
                kill(d->pid, SIGKILL);
        }
        return 0;
}

/* Asks QEMU to go: SIGTERM now, SIGKILL if it is still there after a while. */
static void process_kill(Domain *d) {
        if (d->pid <= 0)
                return;
        kill(d->pid, SIGTERM);
        if (!d->kill_timer)
                (void) sd_event_add_time_relative(d->manager->event, &d->kill_timer, CLOCK_MONOTONIC,
                                                  KILL_TIMEOUT_USEC, 0, on_kill_timer, d);
}

void qemu_process_kill(Domain *d) {
        process_kill(d);
}

void qemu_process_kill_later(Domain *d) {
        if (!d->kill_timer)
                (void) sd_event_add_time_relative(d->manager->event, &d->kill_timer, CLOCK_MONOTONIC,
                                                  KILL_TIMEOUT_USEC, 0, on_kill_timer, d);
}

int status_path(const Domain *d, const char *suffix, char **ret) {
        return asprintf(ret, "%s/%s%s", d->manager->rundir, d->def->name, suffix) < 0 ? -ENOMEM : 0;
}

/* The guest is gone under a job (Destroy broke in, QEMU died): the job
 * ends, its call answered with an error if nobody answered it yet. A job
 * that stopped the guest itself goes on. */
static void end_job_stopped(Domain *d) {
        char msg[512];

        if (!d->jobs->active || d->jobs->active->stops_guest)
                return;
        snprintf(msg, sizeof(msg), "domain '%s' stopped during the job %s", d->def->name,
                 domain_job_kind_to_string(d->jobs->active->kind));
        domain_job_fail(d->jobs, VB_ERROR_OPERATION_ABORTED, msg);
}

/* Everything that happens when QEMU is gone, whatever the cause. A negative
 * stopped_detail sends no event (QEMU never ran). release: give back what
 * a start took (storage, network, leases, log, cgroup); a failed start's
 * steps have undone that themselves. */
static void finish_process(Domain *d, int shutoff_reason, int stopped_detail, bool release) {
        Manager *m = d->manager;
        QemuDomain *q = qemu_domain(d);
        _cleanup_free_ char *status = NULL, *pidfile = NULL;

        /* before the handle goes: the records are found by it */
        hotplug_plug_records_stopped(d);
        /* Replies still to come (storaged, networkd, lockd, logd, the
         * monitor) find the domain gone. */
        domain_handle_cancel(&d->handle);
        if (release && d->rolling_back)
                /* QEMU, the leases' owner, is gone and lockd drops them with
                 * it; asking is for a lockd that has not noticed yet. */
                domain_lock_release(d);
        d->start_def = domain_def_free(d->start_def);
        d->leases_moving = false; /* no guest, nothing a migration hands over */
        qemu_chains_release(d); /* QEMU reads nothing any more */
        if (release) {
                qemu_security_stop(d); /* QEMU is gone: its files go back */
                qemu_net_host_release(d); /* the <downscript>s */
                domain_network_release(d);
                domain_storage_release(d);
                qemu_tune_cleanup(d);
        }
        q->start_argv = strv_free_null(q->start_argv);
        d->pid_watch = sd_event_source_disable_unref(d->pid_watch);
        d->kill_timer = sd_event_source_disable_unref(d->kill_timer);
        qemu_agent_stop(d);
        qemu_perf_free(d); /* the perf counters of this QEMU */
        /* Closed first: commands in flight get their callback, whose owners
         * free what they hold (qemu-monitor.h). */
        qemu_monitor_close(q->mon);
        q->mon = qemu_monitor_free(q->mon);
        if (q->monitor_path) {
                (void) unlink(q->monitor_path);
                q->monitor_path = mfree(q->monitor_path);
        }
        qemu_swtpm_stop(d); /* one QEMU never connected to */
        qemu_virtiofs_stop(d);
        qemu_passt_stop(d); /* one QEMU never connected to, or left behind */
        qemu_net_direct_remove(d); /* the macvtap links, whatever ended the guest */
        qemu_hostdev_vf_stop(d); /* the MAC and VLAN of the VFs it had plugged */
        qemu_disk_transient_mark(d->live, q->transient_overlays);
        q->transient_overlays = strv_free_null(q->transient_overlays);
        qemu_video_stop_backends(d);
        qemu_pr_helper_stop(d); /* it does not end with QEMU */
        qemu_disk_transient_remove(d->live); /* what the guest wrote to its transient disks */
        if (!d->persistent) /* as libvirt: a transient guest's TPM state goes with it (before the answer) */
                qemu_swtpm_remove_state(d, 0);
        qemu_confine_dir_remove(d); /* the sockets QEMU made */
        qemu_memory_dir_remove(d); /* its RAM files */
        qemu_machined_unregister(d);
        if (status_path(d, ".xml", &status) >= 0)
                (void) unlink(status);
        if (status_path(d, ".pid", &pidfile) >= 0)
                (void) unlink(pidfile);
        domain_autodestroy_clear(d);
        if (q->migrating_in)
                qemu_migrate_disks_discard(d); /* the copy never arrived whole */
        d->live = domain_def_free(d->live);
        d->id = -1;
        d->pid = 0;
        d->starting = d->destroying = d->rolling_back = false;
        q->got_shutdown = q->fake_reboot = false;
        if (q->from_snapshot && stopped_detail == DOMAIN_EVENT_STOPPED_DESTROYED) {
                shutoff_reason = DOMAIN_SHUTOFF_FROM_SNAPSHOT;
                stopped_detail = DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT;
        }
        q->from_snapshot = false;
        qemu_taint_clear(d);
        domain_set_state(d, DOMAIN_SHUTOFF, shutoff_reason);
        domain_log_stopped(d, shutoff_reason);
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

static void process_finish(Domain *d, int shutoff_reason, int stopped_detail) {
        finish_process(d, shutoff_reason, stopped_detail, true);
}

/* A failed start: its steps undid what they took (start_plan_undo). */
void process_finish_undone(Domain *d, int shutoff_reason, int stopped_detail) {
        finish_process(d, shutoff_reason, stopped_detail, false);
}

void on_monitor_closed(QemuMonitor *mon, int error, void *userdata) {
        Domain *d = userdata;
        QemuDomain *q = qemu_domain(d);

        q->mon = qemu_monitor_free(q->mon);
        if (error < 0 && d->starting && d->start_call) {
                fail_start(d, error == -ETIMEDOUT ? "QEMU's monitor did not answer in time"
                                                  : "QEMU's monitor failed");
                return;
        }
        /* A monitor that broke (not QEMU hanging up) while the guest may
         * still run: libvirt's CONTROL_ERROR event. */
        if (error < 0 && d->pid > 0 && !d->destroying && !q->got_shutdown)
                domain_emit_signal(d, "ControlError", NULL);
        /* QEMU hung up: the pidfd tells when it is gone. If it stays, it is
         * of no use without a monitor. */
        if (d->pid > 0 && !d->destroying && !q->got_shutdown && pid_is_alive(d->pid) > 0) {
                log_warning("Lost the monitor of %s, stopping it.", d->def->name);
                process_kill(d);
        }
}

static int require_running(Domain *d, sd_bus_error *error) {
        if (!domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        if (d->starting || !qemu_domain(d)->mon)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "domain '%s' is still starting or has no monitor", d->def->name);
        return 0;
}

/* Never waits for the domain's job: it breaks in. A start still preparing
 * (no QEMU yet) is cancelled at once; else QEMU's exit ends the job. */
int qemu_process_destroy(Domain *d, sd_bus_message *call, sd_bus_error *error) {
        bool preparing = d->starting && d->pid <= 0 && !d->start_error_name;

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
                reply_start(d, -ECANCELED, VB_ERROR_OPERATION_ABORTED, "domain destroyed while starting");
        d->destroying = true;
        if (preparing) {
                start_abort(d, VB_ERROR_OPERATION_ABORTED, "domain destroyed while starting"); /* may free d */
                return 1;
        }
        process_kill(d);
        return 1;
}

/* Answers a method call when QEMU answered the command. */
/* Ends the job when QEMU answered its command. The monitor calls back
 * only while the domain lives: it is freed with the process. */
static void on_simple_reply(QemuMonitor *mon, json_object *result, const char *error_class,
                            const char *error_desc, void *userdata) {
        Domain *d = userdata;
        char msg[512];

        if (!error_class) {
                domain_job_succeed(d->jobs);
                return;
        }
        if (streq(error_class, QEMU_MONITOR_ERROR_DISCONNECTED)) {
                end_job_stopped(d); /* QEMU is going away: Destroy, or a crash */
                return;
        }
        snprintf(msg, sizeof(msg), "QEMU refused: %s", error_desc && *error_desc ? error_desc : error_class);
        domain_job_fail(d->jobs, VB_ERROR_OPERATION_FAILED, msg);
}

/* Returns 1 when the job ends with QEMU's answer, 0 when it is done now. */
static int simple_command(Domain *d, const char *command, bool wait, sd_bus_error *error) {
        QemuMonitor *mon = qemu_domain(d)->mon;
        int r = qemu_monitor_command(mon, command, NULL, wait ? on_simple_reply : NULL, wait ? d : NULL);

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot send %s to QEMU: %s", command,
                                     strerror(-r));
        return wait ? 1 : 0;
}

int qemu_process_shutdown(Domain *d, sd_bus_error *error) {
        int r = require_running(d, error);

        if (r < 0)
                return r;
        return simple_command(d, "system_powerdown", false, error);
}

int qemu_process_reboot(Domain *d, sd_bus_error *error) {
        int r = require_running(d, error);

        if (r < 0)
                return r;
        /* The guest may power off rather than reboot: turn that into a reset. */
        qemu_domain(d)->fake_reboot = true;
        return simple_command(d, "system_powerdown", false, error);
}

int qemu_process_reset(Domain *d, sd_bus_error *error) {
        int r = require_running(d, error);

        if (r < 0)
                return r;
        return simple_command(d, "system_reset", true, error);
}

/* QEMU answers "stop" of a guest that powered off meanwhile (-no-shutdown
 * keeps it, halted) with success, and sends no STOP: nothing was paused. */
static void on_stop_reply(QemuMonitor *mon, json_object *result, const char *error_class,
                          const char *error_desc, void *userdata) {
        Domain *d = userdata;
        char msg[512];

        if (!error_class && d->state == DOMAIN_SHUTDOWN) {
                snprintf(msg, sizeof(msg), "domain '%s' is shutting down: it powered off before it could be paused",
                         d->def->name);
                domain_job_fail(d->jobs, VB_ERROR_OPERATION_INVALID, msg);
                return;
        }
        on_simple_reply(mon, result, error_class, error_desc, userdata);
}

int qemu_process_suspend(Domain *d, sd_bus_error *error) {
        int r = require_running(d, error);

        if (r < 0)
                return r;
        /* Already paused: nothing to do, as libvirt answers. */
        if (d->state == DOMAIN_PAUSED)
                return 0;
        if (d->state == DOMAIN_SHUTDOWN)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is shutting down", d->def->name);
        r = qemu_monitor_command(qemu_domain(d)->mon, "stop", NULL, on_stop_reply, d);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot send stop to QEMU: %s", strerror(-r));
        return 1;
}

int qemu_process_resume(Domain *d, sd_bus_error *error) {
        int r = require_running(d, error);

        if (r < 0)
                return r;
        if (d->state == DOMAIN_RUNNING)
                return 0; /* as libvirt: resuming a running guest changes nothing */
        if (d->state != DOMAIN_PAUSED && d->state != DOMAIN_CRASHED)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' cannot be resumed in state %s",
                                     d->def->name, domain_state_to_string(d->state));
        return simple_command(d, "cont", true, error);
}

static void on_reconnect_ready(QemuMonitor *mon, void *userdata) {
        Domain *d = userdata;
        /* After a restart: QEMU kept running, we ask where it stands. */
        (void) qemu_monitor_command(mon, "query-status", NULL, qemu_event_on_status, d);
        qemu_chains_changed(d); /* storaged may have missed a change while we were away */
        qemu_migrate_recover(d); /* a migration cut short (qemu-migrate.h) */
        qemu_snapshot_recover(d); /* a snapshot cut short (qemu-snapshot.h) */
        qemu_hotplug_recover(d); /* an unplug cut short (qemu-hotplug.h) */
}

static const QemuMonitorCallbacks reconnect_callbacks = {
        .on_ready = on_reconnect_ready,
        .on_event = qemu_event_dispatch,
        .on_closed = on_monitor_closed,
};

int qemu_process_adopt(Domain *d, pid_t pid) {
        QemuDomain *q = qemu_domain(d);
        int pidfd = pidfd_open_pid(pid), r;

        if (pidfd < 0)
                return pidfd;
        d->pid = pid;
        r = process_watch(d->manager->event, pid, pidfd, on_process_exit, d, &d->pid_watch);
        if (r < 0) {
                close(pidfd);
                return r;
        }
        return qemu_monitor_new(d->manager->event, -1, q->monitor_path, MONITOR_TIMEOUT_USEC,
                                &reconnect_callbacks, d, &q->mon);
}

void qemu_process_lost(Domain *d) {
        /* QEMU ran with -no-shutdown: had the guest powered off, QEMU would
         * still be there, paused. Gone means it was killed or crashed. */
        process_finish(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_FAILED);
}

/* After a restart: a start that was cut short. QEMU (pid, if one was found
 * and is ours) is killed; its exit, or at once without one, releases what
 * the start took and leaves the domain shut off (failed). */
int qemu_process_rollback(Domain *d, pid_t pid) {
        int pidfd = pid > 0 ? pidfd_open_pid(pid) : -ESRCH;

        log_warning("The start of %s was cut short when qemud stopped: rolling it back%s.", d->def->name,
                    pidfd >= 0 ? ", killing its QEMU" : "");
        d->starting = false;
        d->rolling_back = true;
        d->pid = 0;
        if (pidfd >= 0) {
                /* Through the pidfd: never a process that took the pid since. */
                (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                if (process_watch(d->manager->event, pid, pidfd, on_process_exit, d, &d->pid_watch) >= 0) {
                        d->pid = pid;
                        d->destroying = true;
                        return 0;
                }
                close(pidfd);
        }
        process_finish(d, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED); /* may free d */
        return 0;
}
