/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>
#include <dirent.h>

#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "log.h"
#include "manager.h"
#include "process.h"
#include "domain-prepare.h"
#include "qemu-process.h"
#include "util.h"

/* The live state of a running domain, enough to pick it up again after a
 * restart (SIGKILL included):
 *
 *   <domstatus state='running' reason='1' pid='123' starttime='456' id='1'
 *              persistent='yes' autodestroy=':1.42' phase='running'
 *              job='suspend' job-phase='...'>
 *     <monitor path='.../NAME.monitor'/>
 *     <domain ...>the live definition</domain>
 *   </domstatus>
 *
 * phase='starting' is written before each step of a start that leaves
 * something behind (storaged's in-use marks, networkd's taps, QEMU and its
 * leases), phase='running' once the guest runs (or is paused as asked). A
 * qemud that finds a start cut short rolls it back: QEMU may not even be in
 * pid='' yet, so it is found by the -pidfile NAME.pid its command line names
 * (the file, or a search of /proc while QEMU has not written it yet).
 *
 * job and job-phase name the domain's job under way (domain-job.h), if any;
 * phase alone decides a rollback (a start writes phase='running' just before
 * its job ends). Other jobs need no undoing (QEMU
 * did the command or not, and query-status tells which): a restarted qemud
 * only says what was cut short.
 */

/* Attribute values are ours, but a path may hold any character: escape
 * what would end a single-quoted attribute too. */
static char *escape(const char *s) {
        xmlChar *e = xmlEncodeSpecialChars(NULL, (const xmlChar *) (s ? s : ""));
        char *r = malloc(e ? xmlStrlen(e) * 6 + 1 : 1), *p = r;

        if (!e || !r) {
                xmlFree(e);
                free(r);
                return NULL;
        }
        for (const xmlChar *c = e; *c; c++)
                p = *c == '\'' ? stpcpy(p, "&apos;") : (*p = (char) *c, p + 1);
        *p = 0;
        xmlFree(e);
        return r;
}

/* " job='start' job-phase='storage'", or "" without a job. */
static char *job_attrs(const Domain *d) {
        const DomainJob *job = d->jobs ? d->jobs->active : NULL;
        char *s;

        if (!job)
                return strdup("");
        if (asprintf(&s, " job='%s'%s%s%s", domain_job_kind_to_string(job->kind), job->phase ? " job-phase='" : "",
                     job->phase ? job->phase : "", job->phase ? "'" : "") < 0)
                return NULL;
        return s;
}

int qemu_status_save(Domain *d) {
        _cleanup_free_ char *xml = NULL, *doc = NULL, *path = NULL, *monitor = NULL, *owner = NULL, *job = NULL;
        int r;

        if (!d->live)
                return 0;
        r = domain_def_format(d->live, DOMAIN_FORMAT_SECURE, &xml);
        if (r < 0)
                return log_warning_errno(r, "Cannot format the live state of %s: %m", d->def->name);
        monitor = escape(d->monitor_path);
        owner = escape(d->autodestroy_owner);
        job = job_attrs(d);
        if (!monitor || !owner || !job)
                return -ENOMEM;
        if (asprintf(&doc,
                     "<domstatus state='%s' reason='%d' pid='%d' starttime='%llu' id='%d' "
                     "persistent='%s'%s%s%s phase='%s'%s>\n  <monitor path='%s'/>\n%s</domstatus>\n",
                     domain_state_to_string(d->state), d->reason, (int) d->pid,
                     (unsigned long long) d->pid_starttime, d->id, d->persistent ? "yes" : "no",
                     d->autodestroy_owner ? " autodestroy='" : "", d->autodestroy_owner ? owner : "",
                     d->autodestroy_owner ? "'" : "", d->starting ? "starting" : "running", job, monitor, xml) < 0)
                return -ENOMEM;
        if (asprintf(&path, "%s/%s.xml", d->manager->rundir, d->def->name) < 0)
                return -ENOMEM;
        r = write_file_atomic(path, doc, strlen(doc), 0600);
        if (r < 0)
                return log_warning_errno(r, "Cannot write %s: %m", path);
        return 0;
}

static char *attr(xmlNodePtr n, const char *name) {
        xmlChar *v = xmlGetProp(n, (const xmlChar *) name);
        char *r = v ? strdup((const char *) v) : NULL;
        xmlFree(v);
        return r;
}

typedef struct Status {
        int state, reason, id;
        pid_t pid;
        uint64_t starttime;
        bool persistent;
        bool half_started;   /* a start cut short */
        char *autodestroy, *monitor;
        char *job, *job_phase; /* the job under way */
        DomainDef *live;
} Status;

static void status_done(Status *s) {
        free(s->autodestroy);
        free(s->monitor);
        free(s->job);
        free(s->job_phase);
        domain_def_free(s->live);
}

static int status_parse(const char *path, Status *s) {
        _cleanup_free_ char *data = NULL, *state = NULL, *reason = NULL, *pid = NULL, *start = NULL,
                            *id = NULL, *persistent = NULL, *phase = NULL;
        xmlDocPtr doc;
        xmlNodePtr root;
        size_t len;
        int r;

        r = read_full_file(path, 16 * 1024 * 1024, &data, &len);
        if (r < 0)
                return r;
        doc = xmlReadMemory(data, (int) len, path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc)
                return -EBADMSG;
        r = -EBADMSG;
        root = xmlDocGetRootElement(doc);
        if (!root || !xmlStrEqual(root->name, (const xmlChar *) "domstatus"))
                goto out;
        state = attr(root, "state");
        reason = attr(root, "reason");
        pid = attr(root, "pid");
        start = attr(root, "starttime");
        id = attr(root, "id");
        persistent = attr(root, "persistent");
        s->autodestroy = attr(root, "autodestroy");
        if (!state || (s->state = domain_state_from_string(state)) < 0 || safe_atoi(reason, &s->reason) < 0 ||
            safe_atoi(pid, &s->pid) < 0 || safe_atou64(start, &s->starttime) < 0 || safe_atoi(id, &s->id) < 0)
                goto out;
        s->persistent = streq_ptr(persistent, "yes");
        phase = attr(root, "phase");
        /* Files from before the phase was written: a guest still paused for
         * its start was not started; one paused by the user was. */
        s->half_started = phase ? streq(phase, "starting")
                                : s->state == DOMAIN_PAUSED && s->reason == DOMAIN_PAUSED_STARTING_UP;
        s->job = attr(root, "job");
        s->job_phase = attr(root, "job-phase");
        for (xmlNodePtr c = root->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (xmlStrEqual(c->name, (const xmlChar *) "monitor"))
                        s->monitor = attr(c, "path");
                else if (xmlStrEqual(c->name, (const xmlChar *) "domain")) {
                        xmlBufferPtr buf = xmlBufferCreate();
                        ConfError err = {};
                        if (!buf)
                                goto out;
                        xmlNodeDump(buf, doc, c, 0, 0);
                        r = domain_def_parse((const char *) xmlBufferContent(buf), (size_t) xmlBufferLength(buf),
                                             &s->live, &err);
                        xmlBufferFree(buf);
                        if (r < 0) {
                                log_warning("Cannot parse the live definition in %s: %s", path, err.message);
                                goto out;
                        }
                }
        }
        r = s->live && s->monitor ? 0 : -EBADMSG;
out:
        xmlFreeDoc(doc);
        return r;
}

/* The domain this state belongs to: the persistent one of that name, or a
 * transient one made from the live definition. */
static int status_domain(Manager *m, Status *s, Domain **ret) {
        Domain *d = manager_find_by_uuid(m, s->live->uuid);
        DomainDef *def;
        int r;

        if (d) {
                *ret = d;
                return 0;
        }
        r = domain_def_copy(s->live, &def);
        if (r < 0)
                return r;
        r = domain_new(m, def, &d);
        if (r < 0) {
                domain_def_free(def);
                return r;
        }
        r = manager_add_domain(m, d);
        if (r < 0) {
                domain_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

/* The live state keeps a volume disk as pool and volume; its path, which
 * the leases are taken on, is asked of storaged again. */
static void on_volumes_resolved(Domain *d, int r, const sd_bus_error *error) {
        if (r < 0)
                log_warning("Cannot resolve the volumes of running guest %s again: %s", d->def->name,
                            error && error->message ? error->message : strerror(-r));
}

static bool process_matches(const Status *s) {
        uint64_t start;

        if (pid_is_alive(s->pid) <= 0)
                return false;
        /* The pid may have been recycled by another process since. */
        return s->starttime == 0 || (pid_start_time(s->pid, &start) >= 0 && start == s->starttime);
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
static pid_t find_started_qemu(const Status *s, const char *pidfile) {
        _cleanup_(closedirp) DIR *dir = NULL;
        struct dirent *de;
        pid_t pid;

        if (s->pid > 0 && (s->starttime > 0 ? process_matches(s) : runs_with_pidfile(s->pid, pidfile)))
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

static int status_load_one(Manager *m, const char *path) {
        Status s = {};
        Domain *d;
        int r;

        r = status_parse(path, &s);
        if (r < 0) {
                log_warning_errno(r, "Ignoring unreadable live state %s: %m", path);
                status_done(&s);
                return 0;
        }
        r = status_domain(m, &s, &d);
        if (r < 0) {
                status_done(&s);
                return r;
        }
        d->live = TAKE_PTR(s.live);
        d->monitor_path = TAKE_PTR(s.monitor);
        d->id = s.id;
        d->pid = s.pid;
        d->pid_starttime = s.starttime;
        d->persistent = d->persistent || s.persistent;
        m->next_id = MAX(m->next_id, s.id + 1);
        domain_set_state(d, s.state, s.reason);
        if (s.job)
                log_warning("The job %s%s%s of %s was cut short when qemud stopped.", s.job,
                            s.job_phase ? " in its phase " : "", s.job_phase ? s.job_phase : "", d->def->name);

        if (s.half_started) {
                _cleanup_free_ char *pidfile = NULL;
                pid_t pid = 0;

                if (endswith(path, ".xml") &&
                    asprintf(&pidfile, "%.*s.pid", (int) (strlen(path) - 4), path) >= 0)
                        pid = find_started_qemu(&s, pidfile);
                else
                        log_oom();
                (void) qemu_process_rollback(d, pid);
        } else if (!process_matches(&s)) {
                log_info("QEMU of %s (pid %d) went away while we were down.", d->def->name, (int) s.pid);
                d->pid = 0;
                qemu_process_lost(d);
        } else {
                log_info("Reconnecting to %s (pid %d).", d->def->name, (int) s.pid);
                r = qemu_process_adopt(d, s.pid);
                if (r < 0)
                        log_warning_errno(r, "Cannot reconnect to %s: %m", d->def->name);
                else {
                        if (s.autodestroy)
                                (void) qemu_process_watch_autodestroy_recheck(d, s.autodestroy);
                        (void) domain_storage_prepare(d, on_volumes_resolved);
                }
        }
        status_done(&s);
        return 0;
}

int qemu_status_load_all(Manager *m) {
        _cleanup_(closedirp) DIR *dir = opendir(m->rundir);
        struct dirent *de;

        if (!dir)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(dir))) {
                _cleanup_free_ char *path = NULL;
                if (!endswith(de->d_name, ".xml"))
                        continue;
                path = path_join(m->rundir, de->d_name);
                if (!path)
                        return -ENOMEM;
                (void) status_load_one(m, path);
        }
        return 0;
}
