/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting a domain's QEMU: the steps of the start (start_steps[]), their
 * run and undo functions and the callbacks they wait for, the finisher
 * lists, and how a failed start is settled. What happens once QEMU runs,
 * and when it goes, is in qemu-process.c. */
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "domain-autodestroy.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "process.h"
#include "qemu-chardev-tls.h"
#include "qemu-disk-tls.h"
#include "qemu-disk-legacy.h"
#include "qemu-graphics-gl.h"
#include "qemu-video.h"
#include "qemu-rules.h"
#include "qemu-smartcard.h"
#include "qemu-hostdev.h"
#include "qemu-shmem.h"
#include "qemu-swtpm.h"
#include "qemu-passt.h"
#include "qemu-pr-helper.h"
#include "qemu-virtiofs.h"
#include "qemu-taint.h"
#include "qemu-tpm.h"
#include "qemu-command.h"
#include "qemu-domain.h"
#include "qemu-events.h"
#include "qemu-monitor.h"
#include "qemu-net-host.h"
#include "qemu-net-queues.h"
#include "qemu-smbios-host.h"
#include "dmi-table.h"
#include "domain-prepare.h"
#include "qemu-firmware.h"
#include "qemu-sev.h"
#include "qemu-sgx.h"
#include "uuid.h"
#include "qemu-hugepages.h"
#include "qemu-memory-dir.h"
#include "qemu-migrate.h"
#include "domain-lock.h"
#include "domain-log.h"
#include "qemu-perf.h"
#include "qemu-process.h"
#include "qemu-process-internal.h"
#include "qemu-save.h"
#include "qemu-secrets.h"
#include "confine.h"
#include "qemu-confine.h"
#include "qemu-disk-prepare.h"
#include "qemu-hostdev-vf.h"
#include "qemu-machined.h"
#include "qemu-security.h"
#include "qemu-spice-tls.h"
#include "start-plan.h"
#include "qemu-graphics-network.h"
#include "qemu-tune.h"
#include "qemu-vsock.h"
#include "util.h"

static const QemuMonitorCallbacks monitor_callbacks;

static int start_begin(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error);

/* The start's steps, in order (the table is further down). */
enum {
        STEP_CAPS,
        STEP_PREPARE,
        STEP_STORAGE,
        STEP_NETWORK,
        STEP_LISTEN,
        STEP_SECRETS,
        STEP_COMMAND,
        STEP_HOSTDEV,
        STEP_INCOMING,
        STEP_SECURITY,
        STEP_SWTPM,
        STEP_SPAWN,
        STEP_LEASES,
        STEP_MONITOR,
        STEP_TUNE,
        STEP_PERF,
        STEP_PASSWORDS,
        STEP_PTYS,
        _STEP_MAX,
};
static const StartStep start_steps[_STEP_MAX];
static const StartPlan *start_plan(const Domain *d);
static void start_step_done(Domain *d, int r);

static bool domain_accel_is_kvm(const Domain *d) {
        return d->live->virt_type == DOMAIN_VIRT_KVM;
}

static int monitor_socket_listen(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* Turns a localtime basis into a utc adjustment: the guest keeps its offset
 * when it moves to a host in another time zone or when DST changes. */
static void clock_fix_basis(DomainDef *def, time_t now) {
        struct tm tm;

        if (def->clock.offset != DOMAIN_CLOCK_VARIABLE || def->clock.basis != DOMAIN_CLOCK_BASIS_LOCALTIME)
                return;
        localtime_r(&now, &tm);
        def->clock.adjustment += tm.tm_gmtoff;
        def->clock.basis = DOMAIN_CLOCK_BASIS_UTC;
}

static bool port_is_free(int port, const Manager *m) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        for (size_t i = 0; i < m->n_domains; i++) {
                const DomainDef *live = m->domains[i]->live;
                for (size_t g = 0; live && g < live->n_graphics; g++)
                        if (live->graphics[g].port == port || live->graphics[g].tls_port == port)
                                return false;
        }
        if (fd < 0)
                return false;
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
        return bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
}

static int free_graphics_port(Domain *d) {
        for (int port = 5900; port < 65535; port++)
                if (port_is_free(port, d->manager))
                        return port;
        return -EADDRINUSE;
}

/* qemud.conf's chardev TLS settings into the builder's params, once the
 * certificates the definition's TLS chardevs need are found. */
static int chardev_tls_params(const char *confdir, const DomainDef *live, QemuChardevTls *t,
                              QemuCommandParams *params, ConfError *err) {
        int r = qemu_chardev_tls_load(confdir, t, err);

        if (r >= 0)
                r = qemu_chardev_tls_check(t, live, err);
        if (r < 0)
                return r;
        params->chardev_tls = t->enabled;
        params->chardev_tls_dir = t->dir;
        params->chardev_tls_verify = t->verify;
        return 0;
}

/* qemud.conf's NBD disk TLS settings into the builder's params, once the
 * certificates the definition's TLS NBD sources need are found. */
static int disk_tls_params(const char *confdir, const DomainDef *live, QemuDiskTls *t, QemuCommandParams *params,
                           ConfError *err) {
        int r = qemu_disk_tls_load(confdir, t, err);

        if (r >= 0)
                r = qemu_disk_tls_check(t, live, err);
        if (r < 0)
                return r;
        params->nbd_tls = t->enabled;
        params->nbd_tls_dir = t->dir;
        return 0;
}

static int allocate_graphics_ports(Domain *d, bool spice_tls) {
        for (size_t i = 0; i < d->live->n_graphics; i++) {
                DomainGraphicsDef *g = &d->live->graphics[i];
                int port;

                if (qemu_spice_wants_tls_port(g, spice_tls)) {
                        port = free_graphics_port(d);
                        if (port < 0)
                                return port;
                        g->tls_port = port;
                }
                if ((!g->autoport && g->port > 0) || g->listen_type != DOMAIN_GRAPHICS_LISTEN_ADDRESS)
                        continue;
                port = free_graphics_port(d);
                if (port < 0)
                        return port;
                g->port = port;
        }
        return 0;
}

void reply_start(Domain *d, int r, const char *name, const char *msg) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = TAKE_PTR(d->start_call);

        if (r >= 0 && domain_job_is(d->jobs, DOMAIN_JOB_START))
                domain_job_end(d->jobs);
        if (!call)
                return;
        if (r >= 0 && strncmp(sd_bus_message_get_member(call) ?: "", "DomainMigratePrepare", 20) == 0)
                qemu_migrate_reply_prepare(d, call);
        else if (r >= 0 && streq_ptr(sd_bus_message_get_member(call), "DomainCreateXML"))
                (void) sd_bus_reply_method_return(call, "o", d->path);
        else if (r >= 0)
                (void) sd_bus_reply_method_return(call, NULL);
        else
                (void) sd_bus_reply_method_errorf(call, name, "%s", msg);
}

/* Notes why the start failed and logs it; the first reason is the one
 * reported, once the start is settled. */
static void start_note_error(Domain *d, const char *name, const char *msg) {
        log_error("%s", msg);
        if (!d->start_error_name) {
                d->start_error_name = strdup(name);
                d->start_error = strdup(msg);
        }
}

/* name NULL means QEMU's fault: its last words are added to the message. */
static void start_note_failure(Domain *d, const char *name, const char *what) {
        _cleanup_free_ char *tail = name ? NULL : domain_log_tail(d);
        char msg[2048];

        snprintf(msg, sizeof(msg), "cannot start domain '%s': %s%s%s", d->def->name, what,
                 tail && *tail ? ": " : "", tail ? tail : "");
        start_note_error(d, name ? name : VB_ERROR_OPERATION_FAILED, msg);
}

static void start_note_conf_error(Domain *d, int r, const ConfError *err) {
        start_note_error(d, err->name ? err->name : VB_ERROR_OPERATION_FAILED,
                         err->message[0] ? err->message : strerror(-r));
}

static void start_note_bus_error(Domain *d, int r, const sd_bus_error *error) {
        start_note_error(d, error && error->name ? error->name : VB_ERROR_OPERATION_FAILED,
                         error && error->message ? error->message : strerror(-r));
}

/* Answers the caller of a failed start, after the cleanup: what it reads
 * right after the error must be a shut off domain it can start again. */
void start_finish_failed(Domain *d) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = TAKE_PTR(d->start_call);
        _cleanup_free_ char *name = TAKE_PTR(d->start_error_name), *msg = TAKE_PTR(d->start_error);

        d->starting = false;
        /* The steps begun release what they took, last first. */
        start_plan_undo(start_plan(d), d, &d->start_gate);
        process_finish_undone(d, DOMAIN_SHUTOFF_FAILED, -1); /* may free d */
        if (call)
                (void) sd_bus_reply_method_errorf(call, name ? name : VB_ERROR_OPERATION_FAILED, "%s",
                                                  msg ? msg : "cannot start the domain");
}

/* Ends a failed start whose reason is noted. A QEMU that is already there
 * is killed first, and its exit finishes the job. May free d. */
static void start_settle(Domain *d) {
        d->starting = false;
        if (d->pid > 0) {
                d->destroying = true;
                kill(d->pid, SIGKILL);
                return;
        }
        start_finish_failed(d);
}

void start_abort(Domain *d, const char *name, const char *msg) {
        start_note_error(d, name, msg);
        start_settle(d);
}

/* For what breaks in from outside the steps (QEMU exits, its monitor
 * fails, QEMU refuses a password). */
static void fail_start_with(Domain *d, const char *name, const char *what) {
        start_note_failure(d, name, what);
        start_settle(d);
}

void fail_start(Domain *d, const char *what) {
        fail_start_with(d, NULL, what);
}

/* The start is done once the live state says so: a guest whose state still
 * read phase='starting' would be taken for a start cut short, and killed, by
 * the next qemud. So a state that cannot be written fails the start. */
static int record_started(Domain *d, DomainState state, int reason) {
        char what[256];
        int r;

        d->starting = false;
        domain_set_state(d, state, reason);
        r = domain_status_save(d);
        if (r < 0) {
                d->starting = true;
                snprintf(what, sizeof(what), "cannot record its live state: %s", strerror(-r));
                start_note_failure(d, VB_ERROR_OPERATION_FAILED, what);
        }
        return r;
}

static void on_cont_reply(QemuMonitor *mon, json_object *result, const char *error_class,
                          const char *error_desc, void *userdata) {
        Domain *d = userdata;

        if (!d->starting)
                return;
        if (error_class)
                start_note_failure(d, NULL, error_desc);
        start_step_done(d, error_class ? -EIO : 0);
}

/* Records the pty each pty chardev got, for the live XML (the console). */
static void on_query_chardev(QemuMonitor *mon, json_object *result, const char *error_class,
                             const char *error_desc, void *userdata) {
        Domain *d = userdata;
        size_t n = result && json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(result, i), *label, *filename;
                const char *fn;

                if (!json_object_object_get_ex(e, "label", &label) ||
                    !json_object_object_get_ex(e, "filename", &filename))
                        continue;
                fn = json_object_get_string(filename);
                if (strncmp(fn, "pty:", 4) != 0)
                        continue;
                for (size_t c = 0; c < d->live->n_chrs; c++) {
                        DomainChrDef *chr = &d->live->chrs[c];
                        char want[128];

                        snprintf(want, sizeof(want), "char%s", chr->alias ? chr->alias : "");
                        if (chr->type == DOMAIN_CHR_PTY && streq(want, json_object_get_string(label)))
                                free_and_replace_str(&chr->path, strdup(fn + 4));
                }
        }
        /* A console that mirrors the first serial shows the same pty. */
        for (size_t c = 0; c < d->live->n_chrs; c++) {
                DomainChrDef *con = &d->live->chrs[c];
                if (con->kind != DOMAIN_CHR_CONSOLE || con->type != DOMAIN_CHR_PTY || con->path)
                        continue;
                for (size_t s = 0; s < d->live->n_chrs; s++)
                        if (d->live->chrs[s].kind == DOMAIN_CHR_SERIAL && d->live->chrs[s].path) {
                                con->path = strdup(d->live->chrs[s].path);
                                break;
                        }
        }
        if (d->starting)
                start_step_done(d, 0);
}

static bool has_pty(const DomainDef *def) {
        for (size_t i = 0; i < def->n_chrs; i++)
                if (def->chrs[i].type == DOMAIN_CHR_PTY)
                        return true;
        return false;
}

/* A refused password fails the start from outside the steps: its answer
 * comes while later steps (the ptys, "cont") are under way. */
static void on_password_set(QemuMonitor *mon, json_object *result, const char *error_class,
                            const char *error_desc, void *userdata) {
        Domain *d = userdata;
        char msg[512];

        if (!error_class || !d->starting)
                return;
        snprintf(msg, sizeof(msg), "cannot set the display password of '%s': %s", d->def->name, error_desc);
        fail_start_with(d, VB_ERROR_OPERATION_FAILED, msg);
}

/* passwdValidTo='': QEMU's expire_password at that time (seconds since the
 * epoch), or now when it has passed, as libvirt does. */
static int expire_display_password(Domain *d, const DomainGraphicsDef *g) {
        json_object *args = json_object_new_object();
        char when[32];

        if (!args)
                return -ENOMEM;
        if (g->passwd_valid_to <= (int64_t) time(NULL))
                snprintf(when, sizeof(when), "now");
        else
                snprintf(when, sizeof(when), "%" PRId64, g->passwd_valid_to);
        json_object_object_add(args, "protocol",
                               json_object_new_string(g->type == DOMAIN_GRAPHICS_SPICE ? "spice" : "vnc"));
        json_object_object_add(args, "time", json_object_new_string(when));
        return qemu_monitor_command(qemu_domain(d)->mon, "expire_password", args, on_password_set, d);
}

/* Passwords never go on the command line (ps shows it): QMP sets them
 * before the guest runs, ahead of "cont" in the monitor's queue. */
static int set_display_passwords(Domain *d) {
        for (size_t i = 0; i < d->live->n_graphics; i++) {
                const DomainGraphicsDef *g = &d->live->graphics[i];
                json_object *args;
                int r;

                if (!g->passwd)
                        continue;
                args = json_object_new_object();
                if (!args)
                        return -ENOMEM;
                json_object_object_add(args, "protocol",
                                       json_object_new_string(g->type == DOMAIN_GRAPHICS_SPICE ? "spice" : "vnc"));
                json_object_object_add(args, "password", json_object_new_string(g->passwd));
                if (g->connected && g->type == DOMAIN_GRAPHICS_SPICE)
                        json_object_object_add(args, "connected", json_object_new_string(g->connected));
                r = qemu_monitor_command(qemu_domain(d)->mon, "set_password", args, on_password_set, d);
                if (r >= 0 && g->passwd_expires)
                        r = expire_display_password(d, g);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void on_tuned(Domain *d, int r, const char *message) {
        if (!d->starting)
                return;
        if (r < 0)
                start_note_failure(d, VB_ERROR_OPERATION_FAILED, message && *message ? message : strerror(-r));
        start_step_done(d, r);
}

static void on_monitor_ready(QemuMonitor *mon, void *userdata) {
        Domain *d = userdata;

        /* Ready before the leases are held: the monitor step finds it so. */
        if (d->starting && start_plan_current(start_plan(d), d->start_gate) == &start_steps[STEP_MONITOR])
                start_step_done(d, 0);
}

static void on_locks(Domain *d, int r, const sd_bus_error *error) {
        if (!d->starting)
                return;
        if (r < 0)
                start_note_failure(d, error && error->name ? error->name : VB_ERROR_OPERATION_FAILED,
                                   error && error->message ? error->message : strerror(-r));
        start_step_done(d, r);
}

static const QemuMonitorCallbacks monitor_callbacks = {
        .on_ready = on_monitor_ready,
        .on_event = qemu_event_dispatch,
        .on_closed = on_monitor_closed,
};

static int qemu_process_attach(Domain *d, pid_t pid, int pidfd) {
        QemuDomain *q = qemu_domain(d);
        int r;

        d->pid = pid;
        (void) pid_start_time(pid, &d->pid_starttime);
        r = process_watch(d->manager->event, pid, pidfd, on_process_exit, d, &d->pid_watch);
        if (r < 0)
                return r;
        return qemu_monitor_new(d->manager->event, -1, q->monitor_path, MONITOR_TIMEOUT_USEC,
                                &monitor_callbacks, d, &q->mon);
}

static int prepare_live(Domain *d, ConfError *err) {
        int r = 0;

        if (d->start_def)
                d->live = TAKE_PTR(d->start_def);
        else
                r = domain_def_copy(d->def, &d->live);
        if (r >= 0)
                r = qemu_rules_check_start(d->live, err);
        if (r < 0)
                return r;
        d->id = manager_allocate_id(d->manager);
        d->live->id = d->id;
        if (status_path(d, ".monitor", &qemu_domain(d)->monitor_path) < 0)
                return -ENOMEM;
        clock_fix_basis(d->live, time(NULL));
        /* The live XML names the machine QEMU really runs, and the device
         * aliases depend on it. */
        const QemuCaps *caps = qemu_driver_data(d->manager)->caps;
        const char *machine = qemu_caps_canonical_machine(caps, d->live->os.machine);
        if (!machine) {
                conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: machine type '%s' is not known to %s",
                               d->live->os.machine ? d->live->os.machine : "(default)", caps->binary);
                return -EOPNOTSUPP;
        }
        free_and_replace_str(&d->live->os.machine, strdup(machine));
        if (!d->live->os.machine)
                return -ENOMEM;
        r = qemu_disk_drivers_check(d->live, caps, err);
        if (r < 0)
                return r;
        /* <genid/>: a new generation ID at every start, in the live definition only */
        if (d->live->has_genid && uuid_is_null(d->live->genid)) {
                r = uuid_generate(d->live->genid);
                if (r < 0) {
                        conf_error_set(err, VB_ERROR_INTERNAL, "internal error: cannot generate a <genid>: %s",
                                       strerror(-r));
                        return r;
                }
        }
        /* <os firmware='efi'>: loader and NVRAM from QEMU's firmware descriptors */
        r = qemu_firmware_prepare(d->live, qemu_firmware_default_dirs, d->manager->paths.statedir,
                                  caps->arch, err);
        if (r < 0) {
                if (!err->name)
                        conf_error_set(err, VB_ERROR_INTERNAL, "internal error: cannot pick the firmware of '%s': %s",
                                       d->def->name, strerror(-r));
                return r;
        }
        _cleanup_free_ char *dir = NULL;
        r = qemu_command_assign_aliases(d->live);
        if (r >= 0)
                r = qemu_confine_dir(d, &dir);
        if (r >= 0)
                r = qemu_command_assign_paths(d->live, dir);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_INVALID_ARG, "cannot name the devices of '%s': %s", d->def->name,
                               strerror(-r));
                return r;
        }
        return qemu_vsock_prepare(d->live, err);
}

static int build_argv(Domain *d, ConfError *err) {
        Manager *m = d->manager;
        _cleanup_free_ int *fds = NULL;
        size_t n_fds = 0;
        int r;

        QemuCommandParams params = {
                .accel = domain_accel_is_kvm(d) ? QEMU_ACCEL_KVM : QEMU_ACCEL_TCG,
                .monitor_fd = 3,
                .run_dir = NULL, /* the guest's own directory, below */
                /* The guest's console goes to QEMU's stdout, that is the log. */
                .serial_log = "/proc/self/fd/1",
                .now = (int64_t) time(NULL),
        };
        _cleanup_free_ int *ports = calloc(d->live->n_graphics + 1, sizeof(int));
        _cleanup_free_ char *pidfile = NULL, *dir = NULL;
        if (!ports || status_path(d, ".pid", &pidfile) < 0 || qemu_confine_dir(d, &dir) < 0)
                return -ENOMEM;
        params.run_dir = dir;
        /* Finds QEMU after a restart even if the fork was the last thing
         * we did (see qemu-status.c). */
        params.pidfile = pidfile;
        QemuSpiceTls spice_tls;
        r = qemu_spice_tls_load(m->paths.confdir, &spice_tls, err);
        if (r < 0)
                return r;
        r = allocate_graphics_ports(d, spice_tls.enabled);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "no free port for the graphics of '%s'", d->def->name);
                return r;
        }
        r = qemu_spice_tls_check(&spice_tls, d->live, err);
        if (r < 0)
                return r;
        params.spice_tls_dir = spice_tls.enabled ? spice_tls.dir : NULL;
        QemuChardevTls chardev_tls;
        r = chardev_tls_params(m->paths.confdir, d->live, &chardev_tls, &params, err);
        if (r < 0)
                return r;
        QemuDiskTls disk_tls;
        r = disk_tls_params(m->paths.confdir, d->live, &disk_tls, &params, err);
        if (r >= 0)
                r = qemu_disk_tls_note_all(d, d->live, disk_tls.enabled);
        if (r < 0)
                return r;
        QemuVxhsTls vxhs_tls;
        r = qemu_vxhs_tls_params(m->paths.confdir, &vxhs_tls, &params, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < d->live->n_graphics; i++)
                ports[i] = d->live->graphics[i].port;
        params.graphics_ports = ports;
        params.n_graphics_ports = d->live->n_graphics;
        /* Taps follow the monitor (fd 3) in QEMU, in interface order, then
         * the other queues of multiqueue taps (spawn_qemu's order). */
        _cleanup_free_ int *taps = calloc(d->n_tap_fds + 1, sizeof(int));
        _cleanup_free_ int *queues = calloc(d->n_tap_queue_fds + 1, sizeof(int));
        size_t next = 4;
        if (!taps || !queues)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_tap_fds; i++)
                taps[i] = d->tap_fds[i] >= 0 ? (int) next++ : -1;
        for (size_t i = 0; i < d->n_tap_queue_fds; i++)
                queues[i] = (int) next++;
        params.tap_fds = taps;
        params.no_vhost_net = !qemu_net_host_has_vhost();
        params.n_tap_fds = d->n_tap_fds;
        params.tap_queue_fds = queues;
        params.n_tap_queue_fds = d->n_tap_queue_fds;
        _cleanup_free_ char *hugepages = NULL;
        if (d->live->memory_backing.hugepages) {
                uint64_t size = d->live->memory_backing.n_pages ? d->live->memory_backing.pages[0].size_kib : 0;
                hugepages = qemu_hugepages_dir(size);
                if (!hugepages) {
                        conf_error_set(err, VB_ERROR_NOT_SUPPORTED,
                                       "unsupported configuration: no hugetlbfs is mounted for %s huge pages",
                                       size ? "the <page size> asked for" : "the default");
                        return -EOPNOTSUPP;
                }
                params.hugepages_dir = hugepages;
        }
        _cleanup_free_ char *memory_dir = NULL;
        r = qemu_memory_dir_prepare(d, &memory_dir, err);
        if (r < 0)
                return r;
        params.memory_dir = memory_dir;
        r = qemu_confine_prepare(d, &params.sandbox, err);
        if (r >= 0)
                r = qemu_disk_prepare(d->live, qemu_domain(d)->confine_flags, err);
        if (r < 0)
                return r;
        /* each host device is there, and a SCSI one's /dev/sgN */
        char **hostdev_paths = NULL;
        r = qemu_tpm_prepare(d->live, "/sys", err);
        if (r < 0)
                return r;
        r = qemu_sev_prepare(d->live, "/dev", "/sys", dir, err);
        if (r >= 0)
                r = qemu_sgx_prepare(d->live, "/dev", "/proc/cpuinfo", err);
        if (r < 0)
                return r;
        r = qemu_graphics_gl_prepare(d->live, "/dev", err);
        if (r < 0)
                return r;
        r = qemu_video_prepare(d->live, "/usr/share/qemu/vhost-user", err);
        if (r < 0)
                return r;
        r = qemu_shmem_prepare(d->live, err);
        if (r < 0)
                return r;
        r = qemu_smartcard_prepare(d->live, QEMU_SMARTCARD_DEFAULT_DB, err);
        if (r < 0)
                return r;
        r = qemu_hostdev_prepare(d->live, qemu_hostdev_sysfs_root(), "/dev", &hostdev_paths, err);
        if (r < 0)
                return r;
        params.hostdev_paths = hostdev_paths;
        params.n_hostdev_paths = d->live->n_hostdevs;
        qemu_secrets_params(d, &params);
        _cleanup_(dmi_sysinfo_clear) DomainSysinfo host_smbios = {};
        r = qemu_smbios_host_prepare(d->live, &host_smbios, err);
        if (r < 0) {
                qemu_hostdev_paths_free(hostdev_paths, d->live->n_hostdevs);
                return r;
        }
        params.host_sysinfo = d->live->os.smbios_mode == DOMAIN_SMBIOS_HOST ? &host_smbios : NULL;
        r = qemu_command_build(d->live, qemu_driver_data(m)->caps, &params, &qemu_domain(d)->start_argv, &fds,
                                  &n_fds, err);
        qemu_hostdev_paths_free(hostdev_paths, d->live->n_hostdevs);
        return r;
}

static int spawn_qemu(Domain *d, int log_fd, ConfError *err) {
        QemuDomain *q = qemu_domain(d);
        _cleanup_close_ int listen_fd = -1;
        pid_t pid;
        int pidfd, r;

        listen_fd = monitor_socket_listen(q->monitor_path);
        if (listen_fd < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot create the monitor socket %s: %s",
                               q->monitor_path, strerror(-listen_fd));
                return listen_fd;
        }
        _cleanup_free_ ProcessFd *map = calloc(3 + d->n_tap_fds + d->n_tap_queue_fds, sizeof(ProcessFd));
        size_t n_map = 0, target = 4;
        if (!map)
                return -ENOMEM;
        map[n_map++] = (ProcessFd) { log_fd, 1 };
        map[n_map++] = (ProcessFd) { log_fd, 2 };
        map[n_map++] = (ProcessFd) { listen_fd, 3 };
        for (size_t i = 0; i < d->n_tap_fds; i++)
                if (d->tap_fds[i] >= 0)
                        map[n_map++] = (ProcessFd) { d->tap_fds[i], (int) target++ };
        for (size_t i = 0; i < d->n_tap_queue_fds; i++)
                map[n_map++] = (ProcessFd) { d->tap_queue_fds[i], (int) target++ };
        ProcessCreds creds = {};
        _cleanup_free_ gid_t *groups = NULL;
        r = qemu_security_creds(d, &creds, &groups); /* 1: QEMU drops to its user */
        /* QEMU opens its log pipe again by /proc/self/fd/1 (the serial's
         * logfile): the pipe must be its user's. */
        if (r > 0 && fchown(log_fd, creds.uid, creds.gid) < 0)
                r = -errno;
        if (r >= 0) {
                int k = qemu_confine_dir_make(d, creds.uid, creds.gid, err);
                if (k >= 0)
                        k = qemu_memory_dir_make(d, creds.uid, creds.gid, err);
                if (k >= 0) /* its socket in the directory just made, QEMU's user's */
                        k = qemu_swtpm_start(d, creds.uid, creds.gid, err);
                if (k >= 0)
                        k = qemu_virtiofs_start(d, creds.uid, creds.gid, log_fd, err);
                if (k >= 0)
                        k = qemu_passt_start(d, creds.uid, creds.gid, log_fd, err);
                if (k >= 0)
                        k = qemu_video_start_backends(d, creds.uid, creds.gid, log_fd, err);
                if (k >= 0)
                        k = qemu_pr_helper_start(d, creds.uid, creds.gid, log_fd, err);
                if (k >= 0)
                        k = qemu_secrets_write_key(d, creds.uid, creds.gid, err);
                if (k < 0) {
                        domain_network_close_taps(d);
                        return k;
                }
        }
        /* A root QEMU is confined too: root's groups dropped with the rest. */
        creds.confine = q->confine_flags;
        _cleanup_strv_free_ char **nodes = NULL;
        if (r >= 0 && (creds.confine & CONFINE_MOUNT_NS))
                r = qemu_confine_nodes(d, &nodes);
        creds.ns_nodes = nodes;
        /* <qemu:env>, a clock's TZ: QEMU's environment is qemud's with those added */
        _cleanup_strv_free_ char **env = NULL;
        if (r >= 0 && qemu_command_env_changed(d->live)) {
                int k = qemu_command_env(d->live, environ, &env);
                if (k < 0)
                        r = k;
        }
        if (r >= 0)
                r = process_spawn_env(q->start_argv, env, map, n_map, PROCESS_NEW_SESSION,
                                      r > 0 || creds.confine ? &creds : NULL, &pid, &pidfd);
        domain_network_close_taps(d);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot run %s: %s", q->start_argv[0], strerror(-r));
                return r;
        }
        log_debug("Started QEMU for %s as pid %d", d->def->name, (int) pid);
        q->start_argv = strv_free_null(q->start_argv);
        qemu_secrets_done(d); /* QEMU and swtpm have what they need */
        r = qemu_process_attach(d, pid, pidfd);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot watch QEMU of '%s': %s",
                               d->def->name, strerror(-r));
                kill(pid, SIGKILL);
        } else
                qemu_machined_register(d);
        return r;
}

/* The live state says "starting" before each step that leaves something
 * behind (volumes marked in use, taps, QEMU and its leases): a qemud killed
 * in the middle finds it on restart and rolls the start back. */
static int record_start(Domain *d, ConfError *err) {
        int r = domain_status_save(d);

        if (r < 0)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot record the start of '%s' in %s: %s",
                               d->def->name, d->manager->rundir, strerror(-r));
        return r;
}

static void on_log_ready(Domain *d, int log_fd, void *userdata) {
        _cleanup_close_ int fd = log_fd;
        ConfError err = {};
        int r = fd;

        if (fd < 0)
                conf_error_set(&err, VB_ERROR_OPERATION_FAILED, "cannot open the log of '%s': %s", d->def->name,
                               strerror(-fd));
        else {
                qemu_taint_start(d); /* told in the log after the command line, kept by record_start */
                r = record_start(d, &err);
        }
        /* The log is QEMU's stdout: it is spawned as soon as the log is open. */
        if (r >= 0)
                r = spawn_qemu(d, fd, &err);
        if (r < 0)
                start_note_conf_error(d, r, &err);
        start_step_done(d, r);
}

static void on_network_ready(Domain *d, int r, const sd_bus_error *error) {
        if (r < 0)
                start_note_bus_error(d, r, error);
        start_step_done(d, r);
}

static void on_storage_ready(Domain *d, int r, const sd_bus_error *error) {
        if (r < 0)
                start_note_bus_error(d, r, error);
        start_step_done(d, r);
}

static void on_caps(Manager *m, int r, void *userdata) {
        DomainJob *job = userdata;
        Domain *d = job->owner;

        /* Destroy may have ended the start while QEMU was being probed. */
        domain_job_unref(job);
        if (!d)
                return;

        if (r < 0) {
                char msg[512];

                snprintf(msg, sizeof(msg), "cannot probe %s: %s", qemu_driver_data(m)->emulator, strerror(-r));
                start_note_error(d, VB_ERROR_OPERATION_FAILED, msg);
        } else if (d->def->virt_type == DOMAIN_VIRT_KVM && !qemu_driver_data(m)->caps->kvm_available) {
                r = -EOPNOTSUPP;
                start_note_error(d, VB_ERROR_NOT_SUPPORTED,
                                 "domain type 'kvm' is not available on this host: use type 'qemu'");
        }
        start_step_done(d, r);
}

/* The steps. Each returns 0 when done, 1 when its callback goes on, or
 * -errno with the reason noted (start-plan.h). */

static int step_caps(void *ctx) {
        Domain *d = ctx;
        DomainJob *job = domain_job_ref(d->jobs->active);
        int r = qemu_driver_with_caps(d->manager, on_caps, job);

        if (r < 0) {
                domain_job_unref(job);
                start_note_error(d, VB_ERROR_OPERATION_FAILED, strerror(-r));
                return r;
        }
        return 1;
}

static int step_prepare(void *ctx) {
        Domain *d = ctx;
        ConfError err = {};
        char msg[512];
        int r = prepare_live(d, &err);

        if (r >= 0 && (r = qemu_net_host_check(d, msg, sizeof(msg))) < 0) {
                start_note_failure(d, r == -ENOENT ? VB_ERROR_OPERATION_FAILED : VB_ERROR_NOT_SUPPORTED, msg);
                return r;
        }
        if (r >= 0)
                r = record_start(d, &err);
        if (r < 0)
                start_note_conf_error(d, r, &err);
        return r;
}

static int step_storage(void *ctx) {
        Domain *d = ctx;
        int r = domain_storage_prepare(d, on_storage_ready);

        if (r < 0) {
                start_note_error(d, VB_ERROR_OPERATION_FAILED, strerror(-r));
                return r;
        }
        return 1;
}

static void undo_storage(void *ctx) {
        Domain *d = ctx;

        domain_handle_cancel(&d->handle);
        domain_storage_release(d);
}

static int step_network(void *ctx) {
        Domain *d = ctx;
        int r = domain_network_prepare(d, on_network_ready);

        if (r < 0) {
                start_note_error(d, VB_ERROR_OPERATION_FAILED, strerror(-r));
                return r;
        }
        return 1;
}

static void undo_network(void *ctx) {
        Domain *d = ctx;

        domain_handle_cancel(&d->handle);
        domain_network_release(d);
}

/* The address of a <listen type='network'/> (qemu-graphics-network.h). */
static int step_listen(void *ctx) {
        Domain *d = ctx;
        int r = qemu_graphics_network_resolve(d, on_network_ready);

        if (r < 0) {
                start_note_error(d, VB_ERROR_OPERATION_FAILED, strerror(-r));
                return r;
        }
        return 1;
}

/* The disks' secrets from secretd (qemu-secrets.h). */
static int step_secrets(void *ctx) {
        Domain *d = ctx;
        int r = qemu_secrets_fetch(d, on_storage_ready);

        if (r < 0) {
                start_note_error(d, VB_ERROR_OPERATION_FAILED, strerror(-r));
                return r;
        }
        return 1;
}

static void undo_secrets(void *ctx) {
        qemu_secrets_done(ctx);
}

static int step_command(void *ctx) {
        Domain *d = ctx;
        ConfError err = {};
        char msg[512];
        int r = qemu_net_host_prepare(d, msg, sizeof(msg));

        if (r >= 0)
                r = qemu_net_queues_prepare(d, msg, sizeof(msg));
        if (r < 0) {
                start_note_failure(d, VB_ERROR_OPERATION_FAILED, msg);
                return r;
        }
        r = build_argv(d, &err);

        if (r < 0)
                start_note_conf_error(d, r, &err);
        return r;
}

/* Each <interface type='hostdev'>'s VF gets its MAC and VLAN through its
 * PF before QEMU has it, as libvirt sets them (qemu-hostdev-vf.h). What it
 * had goes back when QEMU is gone or the start failed: finish_process()
 * gives it back, also for a start a restarted qemud rolls back. */
static int step_hostdev(void *ctx) {
        Domain *d = ctx;
        ConfError err = {};
        int r = qemu_hostdev_vf_start(d, &err);

        if (r < 0)
                start_note_conf_error(d, r, &err);
        return r;
}

/* A restore: QEMU waits for the image (the finisher sends it). */
static int step_incoming(void *ctx) {
        Domain *d = ctx;
        QemuDomain *q = qemu_domain(d);

        if (!q->restoring && !q->migrating_in)
                return 0;
        if (strv_extend(&q->start_argv, "-incoming") < 0 || strv_extend(&q->start_argv, "defer") < 0)
                return -ENOMEM;
        return 0;
}

/* QEMU's user gets its files (qemu-security.h); given back by the undo,
 * or by the stop once QEMU ran. */
static int step_security(void *ctx) {
        Domain *d = ctx;
        ConfError err = {};
        int r = qemu_security_start(d, &err);

        if (r < 0)
                start_note_conf_error(d, r, &err);
        return r;
}

static void undo_security(void *ctx) {
        qemu_security_stop(ctx);
}

static void on_swtpm_setup(Domain *d, int r, const char *msg) {
        if (r < 0)
                start_note_error(d, VB_ERROR_OPERATION_FAILED, msg ? msg : strerror(-r));
        start_step_done(d, r);
}

/* A TPM's first start: swtpm_setup (about a second) runs as QEMU's user
 * while the loop answers other calls; its exit goes on with the start. */
static int step_swtpm(void *ctx) {
        Domain *d = ctx;
        ProcessCreds creds = {};
        _cleanup_free_ gid_t *groups = NULL;
        ConfError err = {};
        int r = qemu_security_creds(d, &creds, &groups);

        if (r >= 0)
                r = qemu_swtpm_setup(d, creds.uid, creds.gid, on_swtpm_setup, &err);
        if (r < 0)
                start_note_conf_error(d, r, &err);
        return r;
}

static void undo_swtpm(void *ctx) {
        qemu_swtpm_setup_cancel(ctx);
}

/* Opens the log, then spawns QEMU (on_log_ready): its QEMU is killed when
 * the start settles (start_settle), before any undo. */
static int step_spawn(void *ctx) {
        Domain *d = ctx;
        int r = domain_log_open(d, qemu_domain(d)->start_argv, on_log_ready, NULL);

        if (r < 0) {
                start_note_error(d, VB_ERROR_OPERATION_FAILED, strerror(-r));
                return r;
        }
        return 1;
}

static void undo_spawn(void *ctx) {
        Domain *d = ctx;

        domain_handle_cancel(&d->handle);
}

/* QEMU runs paused: once the disk leases are held and its monitor
 * answers, it is tuned, and the guest may run. */
static int step_leases(void *ctx) {
        Domain *d = ctx;

        (void) domain_status_save(d);
        /* An incoming guest takes them in Finish3, once the source let go
         * (qemu-migrate.h). */
        if (qemu_domain(d)->migrating_in)
                return 0;
        if (domain_lock_acquire(d, on_locks) < 0) {
                start_note_failure(d, NULL, "cannot ask lockd for the disk leases");
                return -EIO;
        }
        return 1;
}

static void undo_leases(void *ctx) {
        Domain *d = ctx;

        /* QEMU, the leases' owner, is gone and lockd drops them with it. */
        domain_handle_cancel(&d->handle);
}

static int step_monitor(void *ctx) {
        Domain *d = ctx;

        return qemu_monitor_is_ready(qemu_domain(d)->mon) ? 0 : 1; /* else on_monitor_ready */
}

static int step_tune(void *ctx) {
        Domain *d = ctx;

        if (qemu_tune_apply(d, on_tuned) < 0) {
                start_note_failure(d, NULL, "cannot talk to QEMU's monitor");
                return -EIO;
        }
        return 1;
}

static void undo_tune(void *ctx) {
        qemu_tune_cleanup(ctx);
}

/* The <perf> events counted from the start (closed with the process). */
static int step_perf(void *ctx) {
        Domain *d = ctx;
        char msg[256];
        int r = qemu_perf_start(d, msg, sizeof(msg));

        if (r < 0) {
                start_note_failure(d, VB_ERROR_OPERATION_FAILED, msg);
                return r;
        }
        return 0;
}

static int step_passwords(void *ctx) {
        Domain *d = ctx;

        if (set_display_passwords(d) < 0 || qemu_net_set_links(d) < 0) {
                start_note_failure(d, NULL, "cannot talk to QEMU's monitor");
                return -EIO;
        }
        return 0;
}

static int step_ptys(void *ctx) {
        Domain *d = ctx;

        if (!has_pty(d->live))
                return 0;
        if (qemu_monitor_command(qemu_domain(d)->mon, "query-chardev", NULL, on_query_chardev, d) < 0) {
                start_note_failure(d, NULL, "cannot talk to QEMU's monitor");
                return -EIO;
        }
        return 1;
}

static int finish_cont(void *ctx) {
        Domain *d = ctx;

        if (qemu_monitor_command(qemu_domain(d)->mon, "cont", NULL, on_cont_reply, d) < 0) {
                start_note_failure(d, NULL, "cannot talk to QEMU's monitor");
                return -EIO;
        }
        return 1;
}

/* A snapshot's revert starts the guest (qemu-snapshot.c): reasons and
 * details FROM_SNAPSHOT, as libvirt's. */
static int mark_started(Domain *d, bool paused, int running_reason, int started_detail) {
        bool snap = qemu_domain(d)->from_snapshot;
        int r;

        qemu_domain(d)->from_snapshot = false;
        r = record_started(d, paused ? DOMAIN_PAUSED : DOMAIN_RUNNING,
                               paused ? (snap ? DOMAIN_PAUSED_FROM_SNAPSHOT : DOMAIN_PAUSED_USER)
                                      : (snap ? DOMAIN_RUNNING_FROM_SNAPSHOT : running_reason));

        if (r < 0)
                return r;
        domain_emit_event(d, DOMAIN_EVENT_STARTED, snap ? DOMAIN_EVENT_STARTED_FROM_SNAPSHOT : started_detail);
        if (paused)
                domain_emit_event(d, DOMAIN_EVENT_SUSPENDED,
                                  snap ? DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT : DOMAIN_EVENT_SUSPENDED_PAUSED);
        return 0;
}

static int finish_mark_running(void *ctx) {
        return mark_started(ctx, false, DOMAIN_RUNNING_BOOTED, DOMAIN_EVENT_STARTED_BOOTED);
}

static int finish_mark_paused(void *ctx) {
        return mark_started(ctx, true, DOMAIN_RUNNING_BOOTED, DOMAIN_EVENT_STARTED_BOOTED);
}

/* The phases are those the live state has always named (job-phase). */
static const StartStep start_steps[] = {
        [STEP_CAPS] = { "caps", "capabilities", step_caps, NULL },
        [STEP_PREPARE] = { "prepare", NULL, step_prepare, NULL }, /* the live definition: freed at the end */
        [STEP_STORAGE] = { "storage", "storage", step_storage, undo_storage },
        [STEP_NETWORK] = { "network", "network", step_network, undo_network },
        [STEP_LISTEN] = { "listen", NULL, step_listen, NULL },
        [STEP_SECRETS] = { "secrets", NULL, step_secrets, undo_secrets },
        [STEP_COMMAND] = { "command", NULL, step_command, NULL },
        [STEP_HOSTDEV] = { "hostdev", NULL, step_hostdev, NULL }, /* given back by finish_process() */
        [STEP_INCOMING] = { "incoming", NULL, step_incoming, NULL },
        [STEP_SECURITY] = { "security", NULL, step_security, undo_security },
        [STEP_SWTPM] = { "swtpm", NULL, step_swtpm, undo_swtpm },
        [STEP_SPAWN] = { "spawn", "log", step_spawn, undo_spawn },
        [STEP_LEASES] = { "leases", "boot", step_leases, undo_leases },
        [STEP_MONITOR] = { "monitor", NULL, step_monitor, NULL },
        [STEP_TUNE] = { "tune", NULL, step_tune, undo_tune },
        [STEP_PERF] = { "perf", NULL, step_perf, NULL },
        [STEP_PASSWORDS] = { "passwords", NULL, step_passwords, NULL },
        [STEP_PTYS] = { "ptys", NULL, step_ptys, NULL },
};

static const StartStep finish_run[] = {
        { "cont", NULL, finish_cont, NULL },
        { "mark-running", NULL, finish_mark_running, NULL },
};

static const StartStep finish_paused[] = {
        { "mark-paused", NULL, finish_mark_paused, NULL },
};

static void on_incoming(Domain *d, int r, const char *message) {
        if (!d->starting)
                return;
        if (r < 0)
                start_note_failure(d, VB_ERROR_OPERATION_FAILED, message ? message : strerror(-r));
        start_step_done(d, r);
}

/* A restore: QEMU loads the image, then the guest goes on (or waits). */
static int finish_incoming(void *ctx) {
        Domain *d = ctx;

        if (qemu_save_incoming(d, on_incoming) < 0) {
                start_note_failure(d, NULL, "cannot talk to QEMU's monitor");
                return -EIO;
        }
        return 1;
}

static int finish_mark_restored(void *ctx) {
        Domain *d = ctx;
        int r = mark_started(d, false, DOMAIN_RUNNING_RESTORED, DOMAIN_EVENT_STARTED_RESTORED);

        if (r < 0)
                return r;
        qemu_save_restored(d);
        return 0;
}

static int finish_mark_restored_paused(void *ctx) {
        Domain *d = ctx;
        int r = mark_started(d, true, DOMAIN_RUNNING_RESTORED, DOMAIN_EVENT_STARTED_RESTORED);

        if (r < 0)
                return r;
        qemu_save_restored(d);
        return 0;
}

static const StartStep finish_restore_run[] = {
        { "incoming", "restore", finish_incoming, NULL },
        { "cont", NULL, finish_cont, NULL },
        { "mark-restored", NULL, finish_mark_restored, NULL },
};

static const StartStep finish_restore_paused[] = {
        { "incoming", "restore", finish_incoming, NULL },
        { "mark-restored-paused", NULL, finish_mark_restored_paused, NULL },
};

/* An incoming migration (qemu-migrate.h): QEMU listens for the stream,
 * the guest waits paused for Finish3. */
static int finish_migrate_in(void *ctx) {
        Domain *d = ctx;

        if (qemu_migrate_incoming(d, on_incoming) < 0) {
                start_note_failure(d, NULL, "cannot talk to QEMU's monitor");
                return -EIO;
        }
        return 1;
}

static int finish_mark_migrating(void *ctx) {
        Domain *d = ctx;
        int r = record_started(d, DOMAIN_PAUSED, DOMAIN_PAUSED_MIGRATION);

        if (r < 0)
                return r;
        domain_emit_event(d, DOMAIN_EVENT_STARTED, DOMAIN_EVENT_STARTED_MIGRATED);
        return 0;
}

static const StartStep finish_migrate[] = {
        { "incoming", "migration", finish_migrate_in, NULL },
        { "mark-migrating", NULL, finish_mark_migrating, NULL },
};

static void plan_set_phase(void *ctx, const char *phase) {
        Domain *d = ctx;

        domain_job_set_phase(d->jobs, phase);
}

static void plan_succeeded(void *ctx) {
        reply_start(ctx, 0, NULL, NULL);
}

static void plan_failed(void *ctx, int r) {
        Domain *d = ctx;

        if (!d->start_error_name)
                start_note_error(d, VB_ERROR_OPERATION_FAILED, strerror(-r));
        start_settle(d); /* may free d */
}

#define START_PLAN(finish) { start_steps, ELEMENTSOF(start_steps), finish, ELEMENTSOF(finish), \
                             plan_set_phase, plan_succeeded, plan_failed }

static const StartPlan plan_run = START_PLAN(finish_run);
static const StartPlan plan_paused = START_PLAN(finish_paused);
static const StartPlan plan_restore_run = START_PLAN(finish_restore_run);
static const StartPlan plan_restore_paused = START_PLAN(finish_restore_paused);
static const StartPlan plan_migrate = START_PLAN(finish_migrate);

/* The finisher is the caller's choice. */
static const StartPlan *start_plan(const Domain *d) {
        if (qemu_domain(d)->migrating_in)
                return &plan_migrate;
        if (qemu_domain(d)->restoring)
                return d->start_paused ? &plan_restore_paused : &plan_restore_run;
        return d->start_paused ? &plan_paused : &plan_run;
}

static void start_step_done(Domain *d, int r) {
        start_plan_step_done(start_plan(d), d, &d->start_gate, r);
}

/* The caller holds the domain's start job, or none is active (autostart):
 * then it is taken here. An error ends it. */
int qemu_process_start(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error) {
        int r;

        if (!d->jobs->active) {
                r = domain_job_begin(d->jobs, DOMAIN_JOB_START, NULL, NULL, NULL, error);
                if (r < 0)
                        return r;
        }
        /* Autostart (no caller) restores a managed save image, as
         * Create does in the domain core. */
        if (!call && !(flags & QEMU_START_RESTORE)) {
                r = domain_start_managed_save(d, flags, NULL, error);
                if (r > 0)
                        return 0;
        } else
                r = 0;
        if (r >= 0)
                r = start_begin(d, flags, call, error);
        if (r < 0 && domain_job_is(d->jobs, DOMAIN_JOB_START))
                domain_job_end(d->jobs);
        return r;
}

static int start_begin(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error) {
        int r;

        if (domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is already running",
                                     d->def->name);
        if (flags & ~(unsigned) (DOMAIN_START_PAUSED | DOMAIN_START_AUTODESTROY | DOMAIN_START_BYPASS_CACHE |
                                 DOMAIN_START_FORCE_BOOT | DOMAIN_START_VALIDATE | QEMU_START_RESTORE |
                                 QEMU_START_MIGRATE))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported flags 0x%x", flags);
        if (flags & DOMAIN_START_AUTODESTROY) {
                const char *sender = call ? sd_bus_message_get_sender(call) : NULL;
                if (!sender)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "autodestroy needs a bus client");
                r = domain_watch_autodestroy(d, sender);
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot watch %s: %s", sender,
                                             strerror(-r));
        }
        d->starting = true;
        d->start_paused = flags & DOMAIN_START_PAUSED;
        qemu_domain(d)->restoring = flags & QEMU_START_RESTORE;
        qemu_domain(d)->migrating_in = flags & QEMU_START_MIGRATE;
        /* start_call answers it, as before jobs existed. */
        sd_bus_message_unref(domain_job_take_call(d->jobs));
        d->start_call = sd_bus_message_ref(call);
        domain_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_STARTING_UP);
        d->jobs->active->progress.steps_total = start_plan_n_phases(start_plan(d));
        start_plan_run(start_plan(d), d, &d->start_gate); /* may free d */
        return 0;
}
