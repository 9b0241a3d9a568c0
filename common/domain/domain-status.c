/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>
#include <dirent.h>

#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domain-autodestroy.h"
#include "domain-manager.h"
#include "domain-prepare.h"
#include "domain-status.h"
#include "log.h"
#include "process.h"
#include "util.h"
#include "xml-util.h"

/* The live state of a running domain, enough to pick it up again after a
 * restart (SIGKILL included):
 *
 *   <domstatus state='running' reason='1' pid='123' starttime='456' id='1'
 *              persistent='yes' autodestroy=':1.42' phase='running'
 *              job='suspend' job-phase='...'>
 *     <monitor path='.../NAME.monitor'/>     (the driver's own elements)
 *     <domain ...>the live definition</domain>
 *   </domstatus>
 *
 * phase='starting' is written before each step of a start that leaves
 * something behind (storaged's in-use marks, networkd's taps, the guest's
 * process and its leases), phase='running' once the guest runs (or is
 * paused as asked). A daemon that finds a start cut short has the driver
 * roll it back (its process may not even be in pid='' yet: the driver knows
 * how to find it).
 *
 * job and job-phase name the domain's job under way (domain-job.h), if any;
 * phase alone decides a rollback (a start writes phase='running' just before
 * its job ends). Other jobs need no undoing (the guest did
 * the command or not, and the driver asks which): a restarted daemon only
 * says what was cut short.
 */

/* Attribute values are ours, but a path may hold any character: escape
 * what would end a single-quoted attribute too. */
char *domain_status_escape(const char *s) {
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

static char *status_path(const Domain *d) {
        char *p;

        return asprintf(&p, "%s/%s.xml", d->manager->rundir, d->def->name) < 0 ? NULL : p;
}

int domain_status_save(Domain *d) {
        _cleanup_free_ char *xml = NULL, *doc = NULL, *path = NULL, *extra = NULL, *owner = NULL, *job = NULL;
        const DomainDriver *driver = d->manager->driver;
        int r;

        if (!d->live)
                return 0;
        /* the driver's part first: it may complete the live definition */
        r = driver->status_format ? driver->status_format(d, &extra) : 0;
        if (r < 0)
                return log_warning_errno(r, "Cannot format the live state of %s: %m", d->def->name);
        r = domain_def_format(d->live, DOMAIN_FORMAT_SECURE, &xml);
        if (r < 0)
                return log_warning_errno(r, "Cannot format the live state of %s: %m", d->def->name);
        owner = domain_status_escape(d->autodestroy_owner);
        job = job_attrs(d);
        if (!owner || !job)
                return -ENOMEM;
        if (asprintf(&doc,
                     "<domstatus state='%s' reason='%d' pid='%d' starttime='%llu' id='%d' "
                     "persistent='%s'%s%s%s phase='%s'%s>\n%s%s</domstatus>\n",
                     domain_state_to_string(d->state), d->reason, (int) d->pid,
                     (unsigned long long) d->pid_starttime, d->id, d->persistent ? "yes" : "no",
                     d->autodestroy_owner ? " autodestroy='" : "", d->autodestroy_owner ? owner : "",
                     d->autodestroy_owner ? "'" : "", d->starting ? "starting" : "running", job,
                     extra ? extra : "", xml) < 0)
                return -ENOMEM;
        path = status_path(d);
        if (!path)
                return -ENOMEM;
        r = write_file_replace(path, doc, strlen(doc), 0600);
        if (r < 0)
                return log_warning_errno(r, "Cannot write %s: %m", path);
        return 0;
}

void domain_status_remove(Domain *d) {
        _cleanup_free_ char *path = status_path(d);

        if (path)
                (void) unlink(path);
}

static void status_done(DomainStatus *s) {
        free(s->autodestroy);
        free(s->job);
        free(s->job_phase);
        domain_def_free(s->live);
}

/* Reads the core's part; the document stays open for the driver's (*ret_doc). */
static int status_parse(const char *path, DomainStatus *s, xmlDocPtr *ret_doc) {
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
        state = xml_prop_dup(root, "state");
        reason = xml_prop_dup(root, "reason");
        pid = xml_prop_dup(root, "pid");
        start = xml_prop_dup(root, "starttime");
        id = xml_prop_dup(root, "id");
        persistent = xml_prop_dup(root, "persistent");
        s->autodestroy = xml_prop_dup(root, "autodestroy");
        if (!state || (s->state = domain_state_from_string(state)) < 0 || safe_atoi(reason, &s->reason) < 0 ||
            safe_atoi(pid, &s->pid) < 0 || safe_atou64(start, &s->starttime) < 0 || safe_atoi(id, &s->id) < 0)
                goto out;
        s->persistent = streq_ptr(persistent, "yes");
        phase = xml_prop_dup(root, "phase");
        /* Files from before the phase was written: a guest still paused for
         * its start was not started; one paused by the user was. */
        s->half_started = phase ? streq(phase, "starting")
                                : s->state == DOMAIN_PAUSED && s->reason == DOMAIN_PAUSED_STARTING_UP;
        s->job = xml_prop_dup(root, "job");
        s->job_phase = xml_prop_dup(root, "job-phase");
        for (xmlNodePtr c = root->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (xmlStrEqual(c->name, (const xmlChar *) "domain")) {
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
        r = s->live ? 0 : -EBADMSG;
out:
        if (r >= 0)
                *ret_doc = doc;
        else
                xmlFreeDoc(doc);
        return r;
}

/* The domain this state belongs to: the persistent one of that name, or a
 * transient one made from the live definition. */
static int status_domain(Manager *m, DomainStatus *s, Domain **ret, bool *created) {
        Domain *d = manager_find_by_uuid(m, s->live->uuid);
        DomainDef *def;
        int r;

        *created = false;
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
        *created = true;
        return 0;
}

/* The live state keeps a volume disk as pool and volume; its path, which
 * the leases are taken on, is asked of storaged again. */
static void on_volumes_resolved(Domain *d, int r, const sd_bus_error *error) {
        if (r < 0)
                log_warning("Cannot resolve the volumes of running guest %s again: %s", d->def->name,
                            error && error->message ? error->message : strerror(-r));
}

bool domain_status_process_matches(const DomainStatus *s) {
        uint64_t start;

        if (pid_is_alive(s->pid) <= 0)
                return false;
        /* The pid may have been recycled by another process since. */
        return s->starttime == 0 || (pid_start_time(s->pid, &start) >= 0 && start == s->starttime);
}

/* The driver's elements, read before anything of d changes: a file it
 * cannot read is ignored, and a domain made for it alone goes again. */
static int status_driver_parse(Manager *m, Domain *d, bool created, xmlDocPtr doc, const char *path) {
        int r;

        if (!m->driver->status_parse)
                return 0;
        r = m->driver->status_parse(d, xmlDocGetRootElement(doc));
        if (r >= 0)
                return 0;
        log_warning_errno(r, "Ignoring unreadable live state %s: %m", path);
        if (created) {
                manager_remove_domain(m, d);
                domain_free(d);
        }
        return r;
}

static int status_load_one(Manager *m, const char *path) {
        const DomainDriver *driver = m->driver;
        DomainStatus s = { .path = path };
        xmlDocPtr doc = NULL;
        Domain *d = NULL;
        bool created;
        int r;

        r = status_parse(path, &s, &doc);
        if (r < 0) {
                log_warning_errno(r, "Ignoring unreadable live state %s: %m", path);
                status_done(&s);
                return 0;
        }
        r = status_domain(m, &s, &d, &created);
        if (r >= 0 && status_driver_parse(m, d, created, doc, path) < 0)
                d = NULL; /* the file is ignored */
        xmlFreeDoc(doc);
        if (r < 0 || !d) {
                status_done(&s);
                return r;
        }
        d->live = TAKE_PTR(s.live);
        d->id = s.id;
        d->pid = s.pid;
        d->pid_starttime = s.starttime;
        d->persistent = d->persistent || s.persistent;
        m->next_id = MAX(m->next_id, s.id + 1);
        domain_set_state(d, s.state, s.reason);
        if (s.job)
                log_warning("The job %s%s%s of %s was cut short when the daemon stopped.", s.job,
                            s.job_phase ? " in its phase " : "", s.job_phase ? s.job_phase : "", d->def->name);

        if (s.half_started)
                (void) driver->rollback(d, &s); /* may free d */
        else if (!domain_status_process_matches(&s)) {
                log_info("%s of %s (pid %d) went away while we were down.", driver->name, d->def->name, (int) s.pid);
                d->pid = 0;
                driver->lost(d); /* may free d */
        } else {
                log_info("Reconnecting to %s (pid %d).", d->def->name, (int) s.pid);
                r = driver->adopt(d, s.pid);
                if (r < 0)
                        log_warning_errno(r, "Cannot reconnect to %s: %m", d->def->name);
                else {
                        if (s.autodestroy)
                                (void) domain_watch_autodestroy_recheck(d, s.autodestroy);
                        (void) domain_storage_prepare(d, on_volumes_resolved);
                }
        }
        status_done(&s);
        return 0;
}

int domain_status_load_all(Manager *m) {
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
