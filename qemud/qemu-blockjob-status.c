/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Block jobs in the live state (<blockjob> elements), and a job met again
 * after a restart or left behind by a QEMU that went away. */
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "domain-manager.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "process.h"
#include "qemu-blockjob-internal.h"
#include "qemu-security.h"
#include "qemu-domain.h"
#include "qemu-monitor.h"
#include "util.h"
#include "xml-util.h"


static bool put_attr(FILE *f, const char *name, const char *value) {
        _cleanup_free_ char *e = NULL;

        if (!value)
                return true;
        e = domain_status_escape(value);
        if (!e)
                return false;
        fprintf(f, " %s='%s'", name, e);
        return true;
}

/*   <blockjob disk='vda' node='...' job='copy' ready='yes' pivot='yes'
 *             aborted='no' transient='no' target='/path' target-format='qcow2'
 *             target-block='no' old-fmt='' old-file='' new-fmt='' new-file=''>
 *     <delete path='...'/>
 *   </blockjob>
 * one per disk with a job or a node renamed by one. */
int qemu_blockjob_status_format(Domain *d, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        bool ok = f != NULL;

        for (QemuBlockJob *j = qemu_domain(d)->block_jobs; ok && j; j = j->next) {
                fputs("  <blockjob", f);
                ok = put_attr(f, "disk", j->dst) && put_attr(f, "node", j->top_node);
                if (ok && j->type) {
                        ok = put_attr(f, "job", blockjob_word(j->type)) && put_attr(f, "ready", j->ready ? "yes" : "no") &&
                             put_attr(f, "pivot", j->pivot ? "yes" : "no") &&
                             put_attr(f, "aborted", j->aborted ? "yes" : "no") &&
                             put_attr(f, "transient", j->transient ? "yes" : "no") &&
                             put_attr(f, "target", j->new_path) && put_attr(f, "target-pool", j->new_pool) &&
                             put_attr(f, "target-volume", j->new_volume) &&
                             put_attr(f, "target-format", domain_disk_format_to_string(j->new_format)) &&
                             put_attr(f, "target-block", j->new_block ? "yes" : "no") &&
                             put_attr(f, "old-fmt", j->old_fmt) && put_attr(f, "old-file", j->old_file) &&
                             put_attr(f, "new-fmt", j->new_fmt) && put_attr(f, "new-file", j->new_file);
                }
                fputs(">\n", f);
                for (char **p = j->delete; ok && p && *p; p++) {
                        fputs("    <delete", f);
                        ok = put_attr(f, "path", *p);
                        fputs("/>\n", f);
                }
                fputs("  </blockjob>\n", f);
        }
        if (f && fclose(f) != 0)
                ok = false;
        if (!ok)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static bool prop_yes(xmlNodePtr n, const char *name) {
        _cleanup_free_ char *v = xml_prop_dup(n, name);

        return streq_ptr(v, "yes");
}

static int on_recheck(sd_event_source *s, void *userdata);

static int parse_one(Domain *d, xmlNodePtr n) {
        _cleanup_free_ char *dst = xml_prop_dup(n, "disk"), *job = xml_prop_dup(n, "job"),
                            *fmt = xml_prop_dup(n, "target-format");
        QemuBlockJob *j;

        if (!dst)
                return -EBADMSG;
        j = blockjob_entry_get(d, dst);
        if (!j)
                return -ENOMEM;
        j->top_node = xml_prop_dup(n, "node");
        j->type = blockjob_type_of_word(job);
        if (!j->type)
                return sd_event_add_defer(d->manager->event, &j->recheck, on_recheck, j);
        j->ready = prop_yes(n, "ready");
        j->pivot = prop_yes(n, "pivot");
        j->aborted = prop_yes(n, "aborted");
        j->transient = prop_yes(n, "transient");
        j->new_block = prop_yes(n, "target-block");
        j->new_path = xml_prop_dup(n, "target");
        j->new_pool = xml_prop_dup(n, "target-pool");
        j->new_volume = xml_prop_dup(n, "target-volume");
        j->new_format = streq_ptr(fmt, "qcow2") ? DOMAIN_DISK_FORMAT_QCOW2 :
                        streq_ptr(fmt, "raw") ? DOMAIN_DISK_FORMAT_RAW : DOMAIN_DISK_FORMAT_NONE;
        j->old_fmt = xml_prop_dup(n, "old-fmt");
        j->old_file = xml_prop_dup(n, "old-file");
        j->new_fmt = xml_prop_dup(n, "new-fmt");
        j->new_file = xml_prop_dup(n, "new-file");
        for (xmlNodePtr c = n->children; c; c = c->next) {
                _cleanup_free_ char *path = NULL;

                if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, (const xmlChar *) "delete"))
                        continue;
                path = xml_prop_dup(c, "path");
                if (path && strv_extend(&j->delete, path) < 0)
                        return -ENOMEM;
        }
        /* once the daemon runs again (QEMU adopted or found gone): ask QEMU */
        return sd_event_add_defer(d->manager->event, &j->recheck, on_recheck, j);
}

int qemu_blockjob_status_parse(Domain *d, xmlNodePtr root) {
        int r;

        qemu_blockjob_free_all(d);
        for (xmlNodePtr c = root->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, (const xmlChar *) "blockjob"))
                        continue;
                r = parse_one(d, c);
                if (r < 0) {
                        qemu_blockjob_free_all(d);
                        return r;
                }
        }
        return 0;
}

/* ---- QEMU gone, and a job met again after a restart ---- */

/* QEMU exited (crash, kill, Destroy): its jobs failed and the disks stay
 * as they were; the node names die with it. This runs before the
 * process's own exit handling (higher priority), while the domain is
 * still running. */
static int on_qemu_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        QemuBlockJob *j = userdata;
        Domain *d = j->d;

        while (qemu_domain(d)->block_jobs) {
                QemuBlockJob *e = qemu_domain(d)->block_jobs;
                qemu_domain(d)->block_jobs = e->next;
                if (e->type) {
                        log_warning("Domain %s: QEMU went away during the block job on %s: it failed.",
                                    d->def->name, e->dst);
                        blockjob_drop_mirror(d, e->dst);
                        if (e->type == DOMAIN_BLOCK_JOB_TYPE_COPY && e->new_path)
                                /* never the disk: given back as job_ended does */
                                qemu_security_blockjob_take(d, e->new_path, e->new_format, e->new_block);
                        if (e->waiting)
                                domain_job_fail(d->jobs, VB_ERROR_OPERATION_FAILED, "QEMU went away during the block job");
                        domain_emit_block_job(d, e->dst, e->type, DOMAIN_BLOCK_JOB_FAILED);
                }
                blockjob_free(e);
        }
        return 0;
}

void blockjob_watch_qemu_exit(QemuBlockJob *j) {
        int fd;

        if (j->exit_watch || j->d->pid <= 0)
                return;
        fd = pidfd_open_pid(j->d->pid);
        if (fd < 0)
                return;
        if (sd_event_add_io(j->d->manager->event, &j->exit_watch, fd, EPOLLIN, on_qemu_exit, j) < 0) {
                close(fd);
                return;
        }
        (void) sd_event_source_set_io_fd_own(j->exit_watch, true);
        (void) sd_event_source_set_priority(j->exit_watch, SD_EVENT_PRIORITY_IMPORTANT);
}

/* query-jobs for one job found in the live state: where is it now? */
static void on_jobs_for_recheck(QemuMonitor *mon, json_object *result, const char *error_class,
                                const char *error_desc, void *userdata) {
        DiskRefresh *x = userdata;
        QemuBlockJob *j = error_class ? NULL : blockjob_find(x->d, x->dst);
        _cleanup_free_ char *id = j ? qemu_blockjob_id(j->type, j->dst) : NULL;
        size_t n = result && json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;
        json_object *e = NULL;
        const char *st;

        if (!id)
                return blockjob_refresh_free(x);
        for (size_t i = 0; i < n && !e; i++)
                if (streq_ptr(json_str(json_object_array_get_idx(result, i), "id"), id))
                        e = json_object_array_get_idx(result, i);
        st = json_str(e, "status");
        if (!e) {
                log_warning("Domain %s: QEMU no longer has the block job %s: it failed.", x->d->def->name, id);
                blockjob_finish(x->d, j, id, DOMAIN_BLOCK_JOB_FAILED);
        } else if (streq_ptr(st, "concluded") || streq_ptr(st, "null")) {
                int status = j->aborted ? DOMAIN_BLOCK_JOB_CANCELED :
                             json_str(e, "error") ? DOMAIN_BLOCK_JOB_FAILED : DOMAIN_BLOCK_JOB_COMPLETED;
                log_info("Domain %s: the block job %s ended while qemud was down.", x->d->def->name, id);
                blockjob_finish(x->d, j, id, status);
        } else if (streq_ptr(st, "ready") && !j->ready) {
                j->ready = true;
                blockjob_mirror_ready(x->d, j->dst, "yes");
                blockjob_save_state(x->d);
                domain_emit_block_job(x->d, j->dst, j->type, DOMAIN_BLOCK_JOB_READY);
        }
        blockjob_refresh_free(x);
}

static int on_recheck(sd_event_source *s, void *userdata) {
        QemuBlockJob *j = userdata;
        Domain *d = j->d;
        _cleanup_free_ char *id = qemu_blockjob_id(j->type, j->dst);
        DiskRefresh *x;

        j->recheck = sd_event_source_disable_unref(j->recheck);
        if (!j->type) {
                /* only a node name: it lives as long as this QEMU */
                if (!domain_is_active(d) || d->pid <= 0)
                        blockjob_entry_unlink(d, j);
                else
                        blockjob_watch_qemu_exit(j);
                return 0;
        }
        if (!domain_is_active(d) || !qemu_domain(d)->mon || d->pid <= 0) {
                /* QEMU went away while qemud was down */
                log_warning("Domain %s: QEMU went away during the block job on %s: it failed.", d->def->name, j->dst);
                domain_emit_block_job(d, j->dst, j->type, DOMAIN_BLOCK_JOB_FAILED);
                blockjob_entry_unlink(d, j);
                return 0;
        }
        blockjob_watch_qemu_exit(j);
        x = calloc(1, sizeof(*x));
        if (!x || !(x->dst = strdup(j->dst))) {
                free(x);
                return 0;
        }
        x->d = d;
        if (qemu_monitor_command(qemu_domain(d)->mon, "query-jobs", NULL, on_jobs_for_recheck, x) < 0)
                blockjob_refresh_free(x);
        return 0;
}
