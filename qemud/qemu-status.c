/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>
#include <dirent.h>

#include "domain-status.h"
#include "log.h"
#include "manager.h"
#include "process.h"
#include "qemu-blockjob.h"
#include "qemu-chains.h"
#include "qemu-disk-tls.h"
#include "qemu-domain.h"
#include "qemu-hotplug.h"
#include "qemu-migrate.h"
#include "qemu-process.h"
#include "qemu-taint.h"
#include "util.h"

/* QEMU's part of the live state (domain-status.c): the monitor socket,
 *
 *   <monitor path='.../NAME.monitor'/>
 *
 * and, after a restart, finding the QEMU of a start cut short: it may not
 * even be in pid='' yet, so it is found by the -pidfile NAME.pid its command
 * line names (the file, or a search of /proc while QEMU has not written it
 * yet). */

/* <transient-overlay dst='vda'/>: a transient disk's overlay this run made. */
static char *transient_overlays_format(Domain *d) {
        _cleanup_free_ char *s = strdup("");

        for (size_t i = 0; s && d->live && i < d->live->n_disks; i++) {
                const DomainDiskDef *disk = &d->live->disks[i];
                _cleanup_free_ char *dst = NULL;
                char *n;

                if (!disk->guest.transient_overlay)
                        continue;
                dst = domain_status_escape(disk->dst);
                if (!dst || asprintf(&n, "%s  <transient-overlay dst='%s'/>\n", s, dst) < 0)
                        return NULL;
                free_and_replace_str(&s, n);
        }
        return TAKE_PTR(s);
}

static void transient_overlays_parse(Domain *d, xmlNodePtr root) {
        QemuDomain *q = qemu_domain(d);

        for (xmlNodePtr c = root->children; c; c = c->next) {
                xmlChar *dst;

                if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, (const xmlChar *) "transient-overlay"))
                        continue;
                dst = xmlGetProp(c, (const xmlChar *) "dst");
                if (dst)
                        (void) strv_extend(&q->transient_overlays, (const char *) dst);
                xmlFree(dst);
        }
}

int qemu_status_format(Domain *d, char **ret) {
        _cleanup_free_ char *monitor = domain_status_escape(qemu_domain(d)->monitor_path), *jobs = NULL;
        _cleanup_free_ char *overlays = transient_overlays_format(d), *taint = NULL, *unplugs = NULL;
        _cleanup_free_ char *nbd_tls = qemu_disk_tls_status_format(d);

        /* the live XML written next shows each disk's chain: read once;
         * storaged hears of it when it changed */
        qemu_blockjob_fill_chains(d);
        qemu_chains_changed(d);
        if (!monitor || !overlays || !nbd_tls || qemu_blockjob_status_format(d, &jobs) < 0 ||
            qemu_taint_status_format(qemu_domain(d)->taint, qemu_domain(d)->deprecations, &taint) < 0 ||
            qemu_hotplug_status_format(d, &unplugs) < 0 ||
            asprintf(ret, "  <monitor path='%s'/>\n%s%s%s%s%s%s%s", monitor,
                     qemu_domain(d)->vcpu_unplugged ? "  <vcpus unplugged='yes'/>\n" : "", jobs,
                     qemu_migrate_status_format(d), overlays, nbd_tls, taint, unplugs) < 0)
                return -ENOMEM;
        return 0;
}

/* <vcpus unplugged='yes'/>: a vCPU was unplugged in this run (qemu-domain.h). */
static void parse_vcpus(Domain *d, xmlNodePtr root) {
        for (xmlNodePtr c = root->children; c; c = c->next) {
                xmlChar *v;

                if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, (const xmlChar *) "vcpus"))
                        continue;
                v = xmlGetProp(c, (const xmlChar *) "unplugged");
                qemu_domain(d)->vcpu_unplugged = v && xmlStrEqual(v, (const xmlChar *) "yes");
                xmlFree(v);
        }
}

int qemu_status_parse(Domain *d, xmlNodePtr root) {
        int r;

        parse_vcpus(d, root);
        transient_overlays_parse(d, root);
        qemu_disk_tls_status_parse(d, root);
        qemu_taint_status_parse(root, &qemu_domain(d)->taint, &qemu_domain(d)->deprecations);
        qemu_migrate_status_parse(d, root);
        r = qemu_blockjob_status_parse(d, root);
        if (r >= 0)
                r = qemu_hotplug_status_parse(d, root);
        if (r < 0)
                return r;
        for (xmlNodePtr c = root->children; c; c = c->next) {
                xmlChar *path;

                if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, (const xmlChar *) "monitor"))
                        continue;
                path = xmlGetProp(c, (const xmlChar *) "path");
                if (!path)
                        continue;
                free_and_replace_str(&qemu_domain(d)->monitor_path, strdup((const char *) path));
                xmlFree(path);
                return qemu_domain(d)->monitor_path ? 0 : -ENOMEM;
        }
        return -EBADMSG; /* no monitor: nothing to reconnect to */
}

/* Whether pid runs a command line with "-pidfile PIDFILE": the QEMU of this
 * domain in this run directory, nobody else's. Only a process of ours (our
 * uid) counts: another user's with that command line is a decoy. */
static bool runs_with_pidfile(pid_t pid, const char *pidfile) {
        _cleanup_free_ char *cmdline = NULL, *needle = NULL;
        char path[64];
        struct stat st;
        size_t len;
        int n;

        snprintf(path, sizeof(path), "/proc/%d", (int) pid);
        if (stat(path, &st) < 0 || st.st_uid != geteuid())
                return false;
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        if (read_full_file(path, 1024 * 1024, &cmdline, &len) < 0 || pid_is_alive(pid) <= 0)
                return false;
        n = asprintf(&needle, "%c-pidfile%c%s%c", 0, 0, pidfile, 0);
        return n > 0 && memmem(cmdline, len, needle, (size_t) n) != NULL;
}

static pid_t pid_from_pidfile(const char *pidfile) {
        _cleanup_free_ char *text = NULL;
        int pid;

        if (read_full_file(pidfile, 64, &text, NULL) < 0)
                return 0;
        text[strcspn(text, "\n")] = 0;
        return safe_atoi(text, &pid) >= 0 && pid > 0 ? pid : 0;
}

/* The QEMU of a start cut short, or 0: the pid recorded (when the kill came
 * after the spawn was recorded; its start time tells it from a recycled
 * pid), the pidfile QEMU writes early, or else a search of /proc, for a kill
 * right after the fork, before QEMU wrote its pidfile. */
static pid_t find_started_qemu(const DomainStatus *s, const char *pidfile) {
        _cleanup_(closedirp) DIR *dir = NULL;
        struct dirent *de;
        pid_t pid;

        if (s->pid > 0 && (s->starttime > 0 ? domain_status_process_matches(s) : runs_with_pidfile(s->pid, pidfile)))
                return s->pid;
        pid = pid_from_pidfile(pidfile);
        if (pid > 0 && runs_with_pidfile(pid, pidfile))
                return pid;
        dir = opendir("/proc");
        while (dir && (de = readdir(dir)))
                if (safe_atoi(de->d_name, &pid) >= 0 && pid > 0 && runs_with_pidfile(pid, pidfile))
                        return pid;
        return 0;
}

int qemu_status_rollback(Domain *d, const DomainStatus *s) {
        _cleanup_free_ char *pidfile = NULL;
        pid_t pid = 0;

        if (endswith(s->path, ".xml") &&
            asprintf(&pidfile, "%.*s.pid", (int) (strlen(s->path) - 4), s->path) >= 0)
                pid = find_started_qemu(s, pidfile);
        else
                log_oom();
        return qemu_process_rollback(d, pid); /* may free d */
}
