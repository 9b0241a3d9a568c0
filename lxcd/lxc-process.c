/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A container's life seen from lxcd: the start plan (its supervisor
 * spawned, its word that the init runs), watching the supervisor's exit
 * and reading why the init ended (the exit file), Destroy, Shutdown,
 * Suspend and Resume, and picking the supervisor up again after a
 * restart. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "domain-autodestroy.h"
#include "domain-log.h"
#include "domain-prepare.h"
#include "lxc-net.h"
#include "lxc-netns.h"
#include "start-plan.h"
#include <stdarg.h>
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "lxc-cgroup.h"
#include "lxc-domain.h"
#include "lxc-plan.h"
#include "lxc-security.h"
#include "lxc-supervise.h"
#include "lxc-validate.h"
#include "process.h"
#include "util.h"

static void start_step_done(Domain *d, int r);
static void start_finish_failed(Domain *d);
static void release_nets(Domain *d);
static void restart(Domain *d);
static void start_note(Domain *d, const char *name, const char *fmt, ...) _printf_(3, 4);

static int exit_file_path(Domain *d, char **ret) {
        return asprintf(ret, "%s/%s.exit", d->manager->rundir, d->def->name) < 0 ? -ENOMEM : 0;
}

/* The exit file, the console's socket (left behind by a supervisor that was
 * killed), the folder the supervisor's /proc views were mounted on (in
 * its own mount namespace: empty once it is gone) and the one an image
 * root was mounted on (in the container's). */
static void remove_run_files(const char *exit_file) {
        size_t stem = strlen(exit_file) - strlen(".exit");
        _cleanup_free_ char *console = NULL, *fuse = NULL, *root = NULL;

        (void) unlink(exit_file);
        if (asprintf(&console, "%.*s.console", (int) stem, exit_file) >= 0)
                (void) unlink(console);
        if (asprintf(&fuse, "%.*s.fuse", (int) stem, exit_file) >= 0)
                (void) rmdir(fuse);
        if (asprintf(&root, "%.*s.root", (int) stem, exit_file) >= 0)
                (void) rmdir(root);
}

static void status_close(Domain *d) {
        LxcDomain *l = lxc_domain(d);

        l->status_source = sd_event_source_disable_unref(l->status_source);
        if (l->status_fd >= 0)
                close(l->status_fd);
        l->status_fd = -1;
        l->status_len = 0;
}

/* Takes the whole lines of the buffer: "pid N" noted, the first "error"
 * returned (pointing into the buffer), or NULL. */
static const char *status_lines(Domain *d) {
        LxcDomain *l = lxc_domain(d);
        char *line = l->status_buf, *nl;
        int pid;

        while ((nl = strchr(line, '\n'))) {
                *nl = 0;
                if (strncmp(line, "error ", 6) == 0)
                        return line + 6;
                if (sscanf(line, "pid %d", &pid) == 1) {
                        l->init_pid = pid;
                        /* the supervisor's child still: this pid is the init's */
                        if (l->init_pidfd < 0)
                                l->init_pidfd = MAX(pidfd_open_pid(pid), -1);
                }
                line = nl + 1;
        }
        l->status_len = strlen(line);
        memmove(l->status_buf, line, l->status_len + 1);
        return NULL;
}

/* The init dies with its supervisor (PR_SET_PDEATHSIG) a moment later, and
 * with it the rest of its pid namespace: its pidfd says when, so that the
 * cgroup goes at the first try rather than after a poll's sleep. Bounded:
 * the cgroup's removal waits for what is left anyway. */
#define INIT_GONE_TIMEOUT_MS 1000

static void close_init_pidfd(LxcDomain *l) {
        if (l->init_pidfd >= 0)
                close(l->init_pidfd);
        l->init_pidfd = -1;
}

static void wait_init_gone(Domain *d) {
        LxcDomain *l = lxc_domain(d);
        struct pollfd p = { .fd = l->init_pidfd, .events = POLLIN };

        if (l->init_pidfd < 0)
                return;
        while (poll(&p, 1, INIT_GONE_TIMEOUT_MS) < 0 && errno == EINTR)
                ;
        close_init_pidfd(l);
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

        if (lxc_domain(d)->rebooting) {
                /* the restart failed or was destroyed: it was running, it is not */
                lxc_domain(d)->rebooting = false;
                shutoff_reason = d->destroying ? DOMAIN_SHUTOFF_DESTROYED : DOMAIN_SHUTOFF_FAILED;
                stopped_detail = d->destroying ? DOMAIN_EVENT_STOPPED_DESTROYED : DOMAIN_EVENT_STOPPED_FAILED;
        }

        domain_handle_cancel(&d->handle);
        status_close(d);
        d->pid_watch = sd_event_source_disable_unref(d->pid_watch);
        lxc_domain(d)->kill_timer = sd_event_source_disable_unref(lxc_domain(d)->kill_timer);
        if (exit_file_path(d, &exit_file) >= 0)
                remove_run_files(exit_file);
        domain_status_remove(d);
        wait_init_gone(d);
        lxc_security_stop(d);
        lxc_cgroup_remove(d);
        release_nets(d);
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

/* The host's side of the interfaces: networkd's ports, and the veths
 * still on the host (their peer not yet in a container: a container's
 * veths go with its network namespace). Only peers are deleted by name:
 * their names are ours alone, a host end's may be taken again. */
static void release_nets(Domain *d) {
        LxcPlan *plan = lxc_domain(d)->plan;

        for (size_t i = 0; plan && i < plan->n_nets; i++)
                if (plan->nets[i].peer)
                        (void) lxc_net_link_delete(plan->nets[i].peer);
        lxc_domain(d)->plan = lxc_plan_free(plan);
        if (d->live)
                domain_network_release(d);
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

/* Its exit may be seen before what it wrote on the status pipe: an error
 * it gave is the start's. */
static void note_last_word(Domain *d) {
        LxcDomain *l = lxc_domain(d);
        const char *error;
        ssize_t n;

        if (l->status_fd < 0)
                return;
        while (l->status_len < sizeof(l->status_buf) - 1 &&
               (n = read(l->status_fd, l->status_buf + l->status_len, sizeof(l->status_buf) - 1 - l->status_len)) > 0)
                l->status_len += n;
        l->status_buf[l->status_len] = 0;
        error = status_lines(d);
        if (error)
                start_note(d, VB_ERROR_OPERATION_FAILED, "cannot start the container '%s': %s", d->def->name, error);
        status_close(d);
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
                if (d->start_error_name) /* the plan failed and waited for this */
                        start_finish_failed(d);
                else {
                        note_last_word(d);
                        start_note(d, VB_ERROR_OPERATION_FAILED, "the supervisor of '%s' exited while starting",
                                   d->def->name);
                        start_step_done(d, -ECHILD); /* the init step: fails, d->pid is 0 */
                }
        } else if (d->destroying)
                finish(d, DOMAIN_SHUTOFF_DESTROYED, DOMAIN_EVENT_STOPPED_DESTROYED);
        else if (how == 1)
                finish(d, DOMAIN_SHUTOFF_SHUTDOWN, DOMAIN_EVENT_STOPPED_SHUTDOWN);
        else if (how == 2 && value == SIGHUP)
                restart(d); /* reboot(2) in the container: RB_AUTOBOOT */
        else if (how == 2 && value == SIGINT)
                /* reboot(2) in the container: RB_POWER_OFF or RB_HALT_SYSTEM */
                finish(d, DOMAIN_SHUTOFF_SHUTDOWN, DOMAIN_EVENT_STOPPED_SHUTDOWN);
        else if (how == 2)
                finish(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_CRASHED);
        else
                finish(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_FAILED);
}

/* The init rebooted (ended by SIGHUP): everything of the container goes
 * but the domain itself, which starts again (as libvirt's LXC driver,
 * with pending changes of the definition), with the Reboot signal and no
 * lifecycle event. */
static void restart(Domain *d) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *exit_file = NULL;
        int r;

        log_info("Container %s rebooted: starting it again.", d->def->name);
        (void) sd_bus_emit_signal(d->manager->bus, d->path, "org.libvirt.Domain", "Reboot", NULL);
        domain_handle_cancel(&d->handle);
        status_close(d);
        d->pid_watch = sd_event_source_disable_unref(d->pid_watch);
        lxc_domain(d)->kill_timer = sd_event_source_disable_unref(lxc_domain(d)->kill_timer);
        if (exit_file_path(d, &exit_file) >= 0)
                remove_run_files(exit_file);
        wait_init_gone(d);
        lxc_security_stop(d);
        lxc_cgroup_remove(d);
        release_nets(d);
        d->live = domain_def_free(d->live);
        d->id = -1;
        d->pid = 0;
        lxc_domain(d)->init_pid = 0;
        if (d->newdef) {
                domain_def_free(d->def);
                d->def = TAKE_PTR(d->newdef);
        }
        domain_set_state(d, DOMAIN_SHUTOFF, DOMAIN_SHUTOFF_SHUTDOWN);
        lxc_domain(d)->rebooting = true;
        r = lxc_process_start(d, 0, NULL, &error);
        if (r < 0) {
                log_warning("Cannot start %s again after its reboot: %s", d->def->name,
                            error.message ?: strerror(-r));
                lxc_domain(d)->rebooting = false;
                domain_status_remove(d);
                domain_set_state(d, DOMAIN_SHUTOFF, DOMAIN_SHUTOFF_FAILED);
                domain_emit_event(d, DOMAIN_EVENT_STOPPED, DOMAIN_EVENT_STOPPED_FAILED);
                if (!d->persistent) {
                        Manager *m = d->manager;
                        manager_remove_domain(m, d);
                        domain_free(d);
                }
        }
        sd_bus_error_free(&error);
}

/* With host interfaces in the container, the supervisor ends the init
 * itself (LXC_SUPERVISE_KILL_SIGNAL) and gives them back to the host
 * before it exits: SIGKILLed, it would leave them to the container's
 * network namespace, which destroys a virtual one with it. */
static int stop_signal(const Domain *d) {
        const DomainDef *def = d->live ?: d->def;

        for (size_t i = 0; def && i < def->n_hostdevs; i++)
                if (def->hostdevs[i].type == DOMAIN_HOSTDEV_NET)
                        return LXC_SUPERVISE_KILL_SIGNAL;
        return SIGKILL;
}

/* A supervisor that does not end within this after being asked to (it
 * may hang on the host's network) is SIGKILLed: Destroy always ends. */
#define SUPERVISOR_STOP_USEC (UINT64_C(10) * 1000000)

static int on_kill_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Domain *d = userdata;

        lxc_domain(d)->kill_timer = sd_event_source_disable_unref(lxc_domain(d)->kill_timer);
        if (d->pid > 0) {
                log_warning("The supervisor of %s (pid %d) did not end when asked: killing it.", d->def->name,
                            (int) d->pid);
                (void) kill(d->pid, SIGKILL);
        }
        return 0;
}

static void kill_supervisor(Domain *d) {
        int sig = stop_signal(d);

        if (d->pid <= 0)
                return;
        (void) kill(d->pid, sig);
        /* both at once: the init need not wait to hear of its supervisor */
        if (sig == SIGKILL && lxc_domain(d)->init_pidfd >= 0)
                (void) syscall(SYS_pidfd_send_signal, lxc_domain(d)->init_pidfd, SIGKILL, NULL, 0);
        if (sig != SIGKILL && !lxc_domain(d)->kill_timer)
                (void) sd_event_add_time_relative(d->manager->event, &lxc_domain(d)->kill_timer, CLOCK_MONOTONIC,
                                                  SUPERVISOR_STOP_USEC, 0, on_kill_timer, d);
}

/* Why the start failed, for its call; the first reason sticks. */
static void start_note(Domain *d, const char *name, const char *fmt, ...) _printf_(3, 4);
static void start_note(Domain *d, const char *name, const char *fmt, ...) {
        va_list ap;

        if (d->start_error_name)
                return;
        va_start(ap, fmt);
        if (vasprintf(&d->start_error, fmt, ap) < 0)
                d->start_error = NULL;
        va_end(ap);
        d->start_error_name = strdup(name);
}

/* "error <why>" from the supervisor or the init, or the pipe's end: the
 * init runs (lxc-supervise.h). */
static void start_settled(Domain *d, const char *error) {
        status_close(d);
        if (error || lxc_domain(d)->init_pid <= 0) {
                start_note(d, VB_ERROR_OPERATION_FAILED, "cannot start the container '%s': %s", d->def->name,
                           error ?: "the supervisor said nothing");
                start_step_done(d, -EIO);
                return;
        }
        start_step_done(d, 0);
}

static int on_status(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Domain *d = userdata;
        LxcDomain *l = lxc_domain(d);
        ssize_t n = read(fd, l->status_buf + l->status_len, sizeof(l->status_buf) - 1 - l->status_len);
        const char *error;

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n > 0)
                l->status_len += n;
        l->status_buf[l->status_len] = 0;
        error = status_lines(d);
        if (error)
                start_settled(d, error);
        else if (n <= 0)
                start_settled(d, l->status_len > 0 ? l->status_buf : NULL);
        else if (l->status_len >= sizeof(l->status_buf) - 1)
                start_settled(d, "its status line is too long");
        return 0;
}

/* The supervisor's command line: the plan, as "virtbus-lxcd --supervise"
 * would take it. It is forked from lxcd, not executed: no loader, no
 * libxml2 to map again, nothing of lxcd's kept open but its log. */
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

/* With no user namespace, the spare network namespace goes along. */
static int spawn_supervisor(Domain *d, char **argv, int log_fd, int *ret_status_fd, sd_bus_error *error) {
        const LxcPlan *plan = lxc_domain(d)->plan;
        _cleanup_close_ int rd = -1, wr = -1, netns = -1;
        int pipefd[2], pidfd = -1, r;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rd = pipefd[0];
        wr = pipefd[1];
        if (plan && !plan->uid_map)
                netns = lxc_netns_spare_take();
        ProcessFd map[] = { { log_fd, 1 }, { log_fd, 2 }, { wr, LXC_SUPERVISE_STATUS_FD },
                            { netns, LXC_SUPERVISE_NETNS_FD } };

        r = process_fork(map, ELEMENTSOF(map) - (netns < 0), PROCESS_NEW_SESSION | PROCESS_DEVNULL_STDIN, &pid,
                         &pidfd);
        if (r == 0) {
                (void) prctl(PR_SET_NAME, LXC_SUPERVISE_COMM);
                log_set_ident("virtbus-lxcd-supervise");
                _exit(lxc_supervise_main(argv + 2));
        }
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

static bool has_hostnet(const DomainDef *def, const char *name) {
        for (size_t i = 0; def && i < def->n_hostdevs; i++)
                if (def->hostdevs[i].type == DOMAIN_HOSTDEV_NET && streq_ptr(def->hostdevs[i].caps_ifname, name))
                        return true;
        return false;
}

/* A host interface is in one container at a time: another running one
 * has it in its namespace, where the host no longer sees it. */
static int hostnets_free(Domain *d, ConfError *err) {
        const Manager *m = d->manager;

        for (size_t i = 0; i < d->live->n_hostdevs; i++) {
                const char *name = d->live->hostdevs[i].caps_ifname;

                if (d->live->hostdevs[i].type != DOMAIN_HOSTDEV_NET)
                        continue;
                for (size_t j = 0; j < m->n_domains; j++) {
                        Domain *o = m->domains[j];
                        if (o != d && domain_is_active(o) && has_hostnet(o->live, name)) {
                                conf_error_set(err, VB_ERROR_RESOURCE_BUSY, "the host interface '%s' of "
                                               "<hostdev type='net'> is already in the container '%s'", name,
                                               o->def->name);
                                return -EBUSY;
                        }
                }
        }
        return 0;
}

/* The start as a plan (start-plan.h): prepare (the plan, the host checks,
 * the cgroup), log (logd's pipe), spawn (the supervisor), init (its word
 * that the init runs), then mark it running. A step that fails notes why
 * (start_note); the supervisor, if any, is killed and its exit undoes the
 * steps and answers the call. */
static int run_prepare(void *ctx) {
        Domain *d = ctx;
        LxcDomain *l = lxc_domain(d);
        LxcPlan *plan = NULL;
        _cleanup_free_ char *exit_file = NULL;
        ConfError err = {};
        int r;

        if ((r = exit_file_path(d, &exit_file)) < 0)
                return r;
        (void) unlink(exit_file);
        r = lxc_plan_from_def(d->live, exit_file, &plan, &err);
        l->plan = plan;
        if (r >= 0)
                r = hostnets_free(d, &err);
        if (r >= 0)
                r = lxc_validate_host(plan, &err);
        if (r < 0) {
                start_note(d, err.name ?: VB_ERROR_OPERATION_FAILED, "%s", err.message);
                return r;
        }
        if ((r = lxc_cgroup_prepare(d, plan, err.message, sizeof(err.message))) < 0) {
                start_note(d, VB_ERROR_OPERATION_FAILED, "%s", err.message);
                return r;
        }
        if ((r = lxc_security_prepare(d, plan, &err)) < 0)
                start_note(d, err.name ?: VB_ERROR_OPERATION_FAILED, "%s", err.message);
        return r;
}

static void undo_prepare(void *ctx) {
        Domain *d = ctx;

        lxc_security_stop(d);
        lxc_cgroup_remove(d);
        lxc_domain(d)->plan = lxc_plan_free(lxc_domain(d)->plan);
        lxc_domain(d)->start_argv = strv_free_null(lxc_domain(d)->start_argv);
}

/* Unique on the host whoever else makes links: random, and ours to delete. */
static int name_peers(LxcPlan *plan) {
        for (size_t i = 0; i < plan->n_nets; i++) {
                uint32_t x;
                if (getrandom(&x, sizeof(x), 0) != sizeof(x))
                        return -errno;
                if (asprintf(&plan->nets[i].peer, "vc%08x%zx", x, i % 16) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* <interface type='ethernet'>: a veth of our own, its host end named as
 * <target dev> or vnetN, up and on no bridge. */
static int make_ethernet(Domain *d, size_t i, const char *peer) {
        DomainNetDef *net = &d->live->nets[i];
        char host[IF_NAMESIZE];
        int r;

        r = lxc_net_veth_create(net->ifname ?: "vnet%d", peer);
        if (r < 0)
                return start_note(d, r == -EEXIST ? VB_ERROR_RESOURCE_BUSY : VB_ERROR_OPERATION_FAILED,
                                  "cannot make the veth of interface %zu of '%s'%s%s: %s", i, d->def->name,
                                  net->ifname ? " named " : "", net->ifname ?: "", strerror(-r)), r;
        if ((r = lxc_net_veth_host_name(peer, host)) < 0 || (r = lxc_net_link_up(host, NULL, NULL)) < 0)
                return start_note(d, VB_ERROR_OPERATION_FAILED, "cannot set up the veth %s of '%s': %s", peer,
                                  d->def->name, strerror(-r)), r;
        free(net->ifname);
        net->ifname = strdup(host);
        return net->ifname ? 0 : -ENOMEM;
}

static int build_argv(Domain *d) {
        LxcDomain *l = lxc_domain(d);
        int r = supervisor_argv(l->plan, &l->start_argv);

        if (r < 0)
                start_note(d, VB_ERROR_INTERNAL, "cannot make the supervisor's arguments: %s", strerror(-r));
        return r;
}

static void on_ports(Domain *d, int r, const sd_bus_error *error) {
        if (r < 0)
                start_note(d, error && error->name ? error->name : VB_ERROR_OPERATION_FAILED, "%s",
                           error && error->message ? error->message : strerror(-r));
        else
                r = build_argv(d);
        start_step_done(d, r);
}

/* The veths: networkd's ports (network, bridge) and our own (ethernet).
 * Their peers stay on the host until the supervisor moves them in. */
static int run_network(void *ctx) {
        Domain *d = ctx;
        LxcPlan *plan = lxc_domain(d)->plan;
        _cleanup_free_ char **peers = NULL;
        bool ports = false;
        int r;

        if ((r = name_peers(plan)) < 0)
                return r;
        peers = calloc(plan->n_nets + 1, sizeof(char *));
        if (!peers)
                return -ENOMEM;
        for (size_t i = 0; i < plan->n_nets; i++) {
                const DomainNetDef *net = &d->live->nets[i];
                peers[i] = plan->nets[i].peer;
                if (net->type == DOMAIN_NET_ETHERNET && (r = make_ethernet(d, i, peers[i])) < 0)
                        return r;
                ports = ports || net->type != DOMAIN_NET_ETHERNET;
        }
        if (!ports)
                return build_argv(d);
        r = domain_network_prepare_veth(d, peers, on_ports);
        if (r < 0)
                start_note(d, VB_ERROR_OPERATION_FAILED, "cannot ask networkd for the ports of '%s': %s", d->def->name,
                           strerror(-r));
        return r < 0 ? r : 1;
}

static void undo_network(void *ctx) {
        release_nets(ctx);
}

static void on_log_ready(Domain *d, int log_fd, void *userdata) {
        if (log_fd < 0) {
                start_note(d, VB_ERROR_OPERATION_FAILED, "cannot open the log of '%s': %s", d->def->name,
                           strerror(-log_fd));
                start_step_done(d, log_fd);
                return;
        }
        lxc_domain(d)->log_fd = log_fd;
        start_step_done(d, 0);
}

/* The console goes to logd (or the log file when logd is away). */
static int run_log(void *ctx) {
        Domain *d = ctx;
        int r = domain_log_open(d, lxc_domain(d)->start_argv, on_log_ready, NULL);

        return r < 0 ? r : 1;
}

static void undo_log(void *ctx) {
        LxcDomain *l = lxc_domain(ctx);

        if (l->log_fd >= 0)
                close(l->log_fd);
        l->log_fd = -1;
}

static int run_spawn(void *ctx) {
        Domain *d = ctx;
        LxcDomain *l = lxc_domain(d);
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int status_fd = -1, r;

        r = spawn_supervisor(d, l->start_argv, l->log_fd, &status_fd, &error);
        undo_log(d); /* the supervisor has it */
        if (r < 0) {
                start_note(d, error.name ?: VB_ERROR_OPERATION_FAILED, "%s",
                           error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        l->spawned = true;
        l->status_fd = status_fd;
        l->status_len = 0;
        /* phase='starting': a restart now kills the supervisor */
        (void) domain_status_save(d);
        r = sd_event_add_io(d->manager->event, &l->status_source, status_fd, EPOLLIN, on_status, d);
        if (r < 0)
                start_note(d, VB_ERROR_INTERNAL, "cannot watch the supervisor of '%s'", d->def->name);
        return r;
}

/* Only ever undone with the supervisor gone (failed() waits for it). */
static void undo_spawn(void *ctx) {
        status_close(ctx);
}

static int run_wait_init(void *ctx) {
        return 1; /* on_status */
}

static int run_running(void *ctx) {
        Domain *d = ctx;

        d->starting = false;
        lxc_security_running(d);
        if (lxc_domain(d)->rebooting) {
                /* a reboot: no lifecycle event, as for a guest's reset */
                lxc_domain(d)->rebooting = false;
                lxc_domain(d)->plan = lxc_plan_free(lxc_domain(d)->plan);
                domain_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_BOOTED);
                (void) domain_status_save(d);
                return 0;
        }
        /* its peers are in the container now, and go with it */
        lxc_domain(d)->plan = lxc_plan_free(lxc_domain(d)->plan);
        domain_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_BOOTED);
        (void) domain_status_save(d);
        domain_emit_event(d, DOMAIN_EVENT_STARTED, DOMAIN_EVENT_STARTED_BOOTED);
        return 0;
}

static const StartStep start_steps[] = {
        { "prepare", "prepare", run_prepare, undo_prepare },
        { "network", "network", run_network, undo_network },
        { "log", "log", run_log, undo_log },
        { "spawn", "spawn", run_spawn, undo_spawn },
        { "init", "init", run_wait_init, NULL },
};

static const StartStep start_finish[] = {
        { "running", NULL, run_running, NULL },
};

static void plan_set_phase(void *ctx, const char *phase) {
        domain_job_set_phase(((Domain *) ctx)->jobs, phase);
}

static void plan_succeeded(void *ctx) {
        Domain *d = ctx;

        domain_job_end(d->jobs);
        reply_start(d, NULL, NULL);
}

static void plan_failed(void *ctx, int r);

static const StartPlan start_plan = {
        .steps = start_steps,
        .n_steps = ELEMENTSOF(start_steps),
        .finish = start_finish,
        .n_finish = ELEMENTSOF(start_finish),
        .set_phase = plan_set_phase,
        .succeeded = plan_succeeded,
        .failed = plan_failed,
};

/* Everything of a failed start undone; the call answered. May free d. */
static void start_finish_failed(Domain *d) {
        _cleanup_free_ char *name = TAKE_PTR(d->start_error_name), *message = TAKE_PTR(d->start_error);

        start_plan_undo(&start_plan, d, &d->start_gate);
        if (message)
                log_warning("%s", message);
        reply_start(d, name ?: VB_ERROR_OPERATION_FAILED, message ?: "the container did not start");
        /* Bad input leaves the domain as it was: only a container that
         * began to run failed. */
        finish(d, d->destroying ? DOMAIN_SHUTOFF_DESTROYED
                  : lxc_domain(d)->spawned ? DOMAIN_SHUTOFF_FAILED : lxc_domain(d)->prior_reason, -1);
}

/* The supervisor, if there is one, goes first: its exit finishes. */
static void plan_failed(void *ctx, int r) {
        Domain *d = ctx;

        start_note(d, VB_ERROR_OPERATION_FAILED, "cannot start the container '%s': %s", d->def->name, strerror(-r));
        if (d->pid > 0) {
                kill_supervisor(d);
                return;
        }
        start_finish_failed(d);
}

static void start_step_done(Domain *d, int r) {
        start_plan_step_done(&start_plan, d, &d->start_gate, r);
}

/* Checks that need nothing of the host; the rest is the plan's. */
int lxc_process_start(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error) {
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
        else if ((r = domain_def_copy(d->def, &d->live)) < 0) {
                domain_job_end(d->jobs);
                return r;
        }
        if (flags & DOMAIN_START_AUTODESTROY) {
                const char *sender = call ? sd_bus_message_get_sender(call) : NULL;
                r = sender ? domain_watch_autodestroy(d, sender) : -EINVAL;
                if (r < 0) {
                        d->live = domain_def_free(d->live);
                        domain_job_end(d->jobs);
                        return sender ? r : vb_error_setf(error, VB_ERROR_INVALID_ARG, "autodestroy needs a bus client");
                }
        }
        lxc_domain(d)->prior_reason = d->reason;
        lxc_domain(d)->spawned = false;
        d->starting = true;
        d->id = manager_allocate_id(d->manager);
        /* answered by the plan: the job ends without it */
        sd_bus_message_unref(domain_job_take_call(d->jobs));
        d->start_call = call ? sd_bus_message_ref(call) : NULL;
        d->start_gate = 0;
        start_plan_run(&start_plan, d, &d->start_gate); /* may free d */
        return 0;
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
        if (d->starting)
                start_note(d, VB_ERROR_OPERATION_ABORTED, "domain '%s' destroyed while starting", d->def->name);
        d->destroying = true;
        if (preparing) {
                /* the log may still be opening: its answer finds the handle cancelled */
                domain_handle_cancel(&d->handle);
                start_finish_failed(d); /* answers call, may free d */
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
                (void) syscall(SYS_pidfd_send_signal, pidfd, stop_signal(d), NULL, 0);
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
        close_init_pidfd(lxc_domain(d));
        lxc_domain(d)->kill_timer = sd_event_source_disable_unref(lxc_domain(d)->kill_timer);
        lxc_domain(d)->plan = lxc_plan_free(lxc_domain(d)->plan);
        undo_log(d);
}
