/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passt for <interface type='user'><backend type='passt'/>: libvirt's
 * rules, passt's command line, and the passt qemud runs beside QEMU, from
 * the start or for a plugged interface (qemu-passt.h). */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "process.h"
#include "qemu-confine.h"
#include "qemu-passt.h"
#include "qemu-security.h"
#include "qemu-virtiofs.h"
#include "util.h"
#include "xml-util.h"

static bool is_ipv4(const char *s) {
        unsigned char buf[4];

        return inet_pton(AF_INET, s, buf) == 1;
}

char *qemu_passt_socket(const char *run_dir, const char *alias) {
        char *s;

        return asprintf(&s, "%s/%s-passt.sock", run_dir, alias) < 0 ? NULL : s;
}

#define PID_SUFFIX "-passt.pid"

static char *pid_path(const char *run_dir, const char *alias) {
        char *s;

        return asprintf(&s, "%s/%s" PID_SUFFIX, run_dir, alias) < 0 ? NULL : s;
}

/* One range of passt's port list: [~]START[-END][:TO[-TO_END]]. */
static int add_range(char **s, const DomainNetPortRange *range) {
        char buf[64];
        int n = snprintf(buf, sizeof(buf), "%s%s%u", *s ? "," : "", range->exclude == TRISTATE_ON ? "~" : "",
                         range->start);

        if (range->end)
                n += snprintf(buf + n, sizeof(buf) - (size_t) n, "-%u", range->end);
        if (range->to)
                n += snprintf(buf + n, sizeof(buf) - (size_t) n, ":%u", range->to);
        if (range->to && range->end)
                (void) snprintf(buf + n, sizeof(buf) - (size_t) n, "-%u", range->end + range->to - range->start);
        char *joined;

        if (asprintf(&joined, "%s%s", *s ?: "", buf) < 0)
                return -ENOMEM;
        free(*s);
        *s = joined;
        return 0;
}

/* ADDRESS[%DEV]/RANGES, or "all" without a range. */
static int forward_spec(const DomainNetPortForward *pf, char **ret) {
        _cleanup_free_ char *ranges = NULL;
        int r = 0;

        for (size_t k = 0; r >= 0 && k < pf->n_ranges; k++)
                r = add_range(&ranges, &pf->ranges[k]);
        if (r < 0)
                return r;
        if (!pf->address)
                r = asprintf(ret, "%s", ranges ?: "all");
        else
                r = asprintf(ret, "%s%s%s/%s", pf->address, pf->dev ? "%" : "", pf->dev ?: "", ranges ?: "all");
        return r < 0 ? -ENOMEM : 0;
}

static int add_forwards(char ***l, const DomainNetDef *net) {
        for (size_t i = 0; i < net->opts.n_forwards; i++) {
                const DomainNetPortForward *pf = &net->opts.forwards[i];
                _cleanup_free_ char *spec = NULL;

                if (forward_spec(pf, &spec) < 0 ||
                    strv_extend(l, streq(pf->proto, "udp") ? "--udp-ports" : "--tcp-ports") < 0 ||
                    strv_extend(l, spec) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int add_addresses(char ***l, const DomainNetDef *net) {
        for (size_t i = 0; i < net->n_ips; i++) {
                const DomainNetIp *ip = &net->ips[i];

                if (strv_extend(l, "--address") < 0 || strv_extend(l, ip->address) < 0)
                        return -ENOMEM;
                /* passt takes no prefix for IPv6 (validated: 64 or none) */
                if (ip->prefix && is_ipv4(ip->address) &&
                    (strv_extend(l, "--netmask") < 0 || strv_extendf(l, "%u", ip->prefix) < 0))
                        return -ENOMEM;
        }
        return 0;
}

int qemu_passt_argv(const DomainNetDef *net, const char *binary, const char *sock, const char *pidfile, uid_t uid,
                    gid_t gid, char ***ret) {
        const DomainNetOpts *o = &net->opts;
        _cleanup_strv_free_ char **l = NULL;

        /* not libvirt 9.0's --mac-addr with the guest's MAC: that is passt's
         * own source address, and a gateway with the guest's own MAC gets
         * none of the guest's replies (passt's default, the host's, works) */
        if (strv_extend(&l, binary) < 0 || strv_extend(&l, "--one-off") < 0 || strv_extend(&l, "--socket") < 0 ||
            strv_extend(&l, sock) < 0)
                return -ENOMEM;
        if (o->mtu && (strv_extend(&l, "--mtu") < 0 || strv_extendf(&l, "%u", o->mtu) < 0))
                return -ENOMEM;
        if (o->source_dev && (strv_extend(&l, "--interface") < 0 || strv_extend(&l, o->source_dev) < 0))
                return -ENOMEM;
        if (o->backend_logfile && (strv_extend(&l, "--log-file") < 0 || strv_extend(&l, o->backend_logfile) < 0))
                return -ENOMEM;
        if (add_addresses(&l, net) < 0 || add_forwards(&l, net) < 0)
                return -ENOMEM;
        /* passt would drop to "nobody" and could not write in QEMU's
         * directory, nor QEMU connect to a socket of nobody's */
        if (strv_extend(&l, "--runas") < 0 || strv_extendf(&l, "%u:%u", (unsigned) uid, (unsigned) gid) < 0 ||
            strv_extend(&l, "--pid") < 0 || strv_extend(&l, pidfile) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

/* ---- the passt qemud runs ---- */

/* A file passt opens after it became uid:gid: made by qemud first. */
static int precreate(const char *path, uid_t uid, gid_t gid, bool truncate) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (truncate ? O_TRUNC : 0),
                                      0600);

        if (fd < 0 || fchown(fd, uid, gid) < 0)
                return -errno;
        return 0;
}

/* What passt said before it became a daemon, copied to the guest's log;
 * its last line kept for an error. */
static void copy_output(int pipe_fd, int log_fd, char *last, size_t size) {
        char buf[4096];
        ssize_t n;

        (void) fcntl(pipe_fd, F_SETFL, O_NONBLOCK);
        while ((n = read(pipe_fd, buf, sizeof(buf) - 1)) > 0) {
                char *line, *end;

                buf[n] = 0;
                if (log_fd >= 0)
                        (void) !write(log_fd, buf, (size_t) n);
                for (end = buf + n; end > buf && (end[-1] == '\n' || end[-1] == ' '); end--)
                        *(end - 1) = 0;
                line = strrchr(buf, '\n');
                line = line ? line + 1 : buf;
                memcpy(last, line, MIN(strlen(line) + 1, size));
                last[size - 1] = 0;
        }
}

/* Runs passt and waits for its first process: it ends once the daemon
 * listens on the socket (or passt failed). */
static int run(char **argv, int log_fd, const char *what, ConfError *err) {
        _cleanup_close_ int rd = -1, wr = -1;
        char last[512] = "";
        int fds[2], status = 0, r;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        rd = fds[0];
        wr = fds[1];
        ProcessFd map[] = { { wr, 1 }, { wr, 2 } };
        r = process_spawn(argv, map, ELEMENTSOF(map), PROCESS_NEW_SESSION | PROCESS_DEVNULL_STDIN, &pid, NULL);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: %s: cannot run %s: %s%s", what,
                               argv[0], strerror(-r), r == -ENOENT ? " (Debian's passt package has it)" : "");
                return r;
        }
        close(wr);
        wr = -1;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        status = -1;
                        break;
                }
        copy_output(rd, log_fd, last, sizeof(last));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: %s: passt failed (status %d): %s",
                               what, WIFEXITED(status) ? WEXITSTATUS(status) : -1, last);
                return -EIO;
        }
        return 0;
}

static int start_one(Domain *d, const DomainNetDef *net, size_t i, uid_t uid, gid_t gid, int log_fd,
                     ConfError *err) {
        _cleanup_free_ char *dir = NULL, *sock = NULL, *pidf = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        char what[64];
        int r;

        snprintf(what, sizeof(what), "interface %zu", i);
        if (access(QEMU_PASST_BINARY, X_OK) < 0) {
                conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: %s: <backend type='passt'> "
                               "needs %s, which this host lacks (Debian's passt package has it)", what,
                               QEMU_PASST_BINARY);
                return -EOPNOTSUPP;
        }
        if (!net->alias || qemu_confine_dir(d, &dir) < 0 || !(sock = qemu_passt_socket(dir, net->alias)) ||
            !(pidf = pid_path(dir, net->alias)))
                return -ENOMEM;
        r = precreate(pidf, uid, gid, true);
        if (r >= 0 && net->opts.backend_logfile)
                r = precreate(net->opts.backend_logfile, uid, gid, false);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: %s: cannot make passt's pid or "
                               "log file: %s", what, strerror(-r));
                return r;
        }
        (void) unlink(sock);
        r = qemu_passt_argv(net, QEMU_PASST_BINARY, sock, pidf, uid, gid, &argv);
        if (r >= 0)
                r = run(argv, log_fd, what, err);
        if (r >= 0)
                log_info("Domain %s: passt serves %s on %s", d->def->name, what, sock);
        return r;
}

int qemu_passt_start(Domain *d, uid_t uid, gid_t gid, int log_fd, ConfError *err) {
        for (size_t i = 0; i < d->live->n_nets; i++) {
                int r;

                if (!domain_net_is_passt(&d->live->nets[i]))
                        continue;
                r = start_one(d, &d->live->nets[i], i, uid, gid, log_fd, err);
                if (r < 0) {
                        qemu_passt_stop(d);
                        return r;
                }
        }
        return 0;
}

/* Debian's passt runs as passt.avx2 where the CPU can. */
static pid_t daemon_pid(const char *file) {
        static const char *const names[] = { "passt", "passt.avx2", NULL };

        return pidfile_pid_named(file, names);
}

/* The passt of the interface aliased alias: ended (it ends with QEMU's
 * connection; this is for one QEMU never reached, left behind, or
 * unplugged), its pid file and socket removed. */
static void stop_one(Domain *d, const char *dir, const char *alias) {
        _cleanup_free_ char *pidf = pid_path(dir, alias), *sock = qemu_passt_socket(dir, alias);
        pid_t pid;

        if (!pidf || !sock)
                return;
        pid = daemon_pid(pidf);
        if (pid > 0 && kill(pid, SIGTERM) == 0)
                log_info("Domain %s: stopped passt %d of interface '%s'", d->def->name, (int) pid, alias);
        (void) unlink(pidf);
        (void) unlink(sock);
}

/* Each ALIAS-passt.pid of the guest's directory: the live definition's
 * passts, and one a qemud killed in the middle of a plug or an unplug
 * started and no longer names. */
void qemu_passt_stop(Domain *d) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_(closedirp) DIR *dh = NULL;
        struct dirent *de;

        if (qemu_confine_dir(d, &dir) < 0 || !(dh = opendir(dir)))
                return;
        while ((de = readdir(dh))) {
                _cleanup_free_ char *alias = NULL;

                if (!endswith(de->d_name, PID_SUFFIX) || strlen(de->d_name) == strlen(PID_SUFFIX))
                        continue;
                alias = strndup(de->d_name, strlen(de->d_name) - strlen(PID_SUFFIX));
                if (alias)
                        stop_one(d, dir, alias);
        }
}

/* ---- hot-plug ---- */

void qemu_passt_stop_alias(Domain *d, const char *alias) {
        _cleanup_free_ char *dir = NULL;

        if (alias && qemu_confine_dir(d, &dir) >= 0)
                stop_one(d, dir, alias);
}

int qemu_passt_start_plugged(Domain *d, const DomainNetDef *net, size_t i, ConfError *err) {
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_close_ int log_fd = -1;
        ProcessCreds creds = {};
        int r;

        /* QEMU's user, as the start gives it (qemu_security_creds) */
        r = qemu_security_creds(d, &creds, &groups);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: interface %zu: no user for "
                               "passt: %s", i, strerror(-r));
                return r;
        }
        log_fd = qemu_helper_log_fd(d);
        if (log_fd < 0)
                return -errno;
        r = start_one(d, net, i, creds.uid, creds.gid, log_fd, err);
        if (r < 0) /* its pid file made, a passt that failed late */
                qemu_passt_stop_alias(d, net->alias);
        return r;
}

int qemu_passt_netdev_props(const char *run_dir, const char *alias, json_object *args) {
        _cleanup_free_ char *sock = qemu_passt_socket(run_dir, alias);
        json_object *addr = json_object_new_object();

        if (!sock || !addr) {
                json_object_put(addr);
                return -ENOMEM;
        }
        json_object_object_add(addr, "type", json_object_new_string("unix"));
        json_object_object_add(addr, "path", json_object_new_string(sock));
        json_object_object_add(args, "type", json_object_new_string("stream"));
        json_object_object_add(args, "server", json_object_new_boolean(false));
        json_object_object_add(args, "addr", addr);
        return 0;
}
