/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A snapshot of a running guest cut by a qemud stop (qemu-snapshot.h).
 *
 * While QEMU works on it, <rundir>/qemu/<name>.snapshot holds QEMU's pid,
 * the call's flags, whether the guest ran, and the prepared snapshot. When
 * qemud finds it at its restart (with the same QEMU), it asks QEMU how far
 * the snapshot got: taken (every overlay is a disk's image, or every image
 * holds the internal snapshot) it is recorded as the call would have; not
 * taken, what was made for it goes (memory file, overlays) and the
 * migration or job stops. Either way the guest runs again when it ran
 * before (HALT of a taken one: shut off), and the file goes.
 *
 * A delete of an external snapshot of a running guest likewise keeps
 * <name>.snapshot-delete (pid, the snapshot, what is merged into what)
 * while QEMU's block-commit runs: at the restart QEMU's job is seen to its
 * end (job-complete once ready), then when every overlay left its chain
 * the delete is finished as the call would have (definitions, other
 * snapshots, files, the tree); else nothing was merged yet and the
 * snapshot stays. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "domain-affect.h"
#include "domain-driver.h"
#include "domain-manager.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "qemu-domain.h"
#include "qemu-monitor.h"
#include "qemu-process-internal.h"
#include "qemu-snapshot.h"
#include "qemu-snapshot-internal.h"
#include "util.h"

#define RECORD_MAX (4u * 1024 * 1024)

typedef struct Record {
        pid_t pid;
        unsigned flags;
        bool was_running;
        DomainSnapshotDef *def;
} Record;

static void record_done(Record *r) {
        domain_snapshot_def_free(r->def);
}

int qemu_snapshot_record_write(Domain *d, const DomainSnapshotDef *def, unsigned flags) {
        _cleanup_free_ char *path = NULL, *xml = NULL, *text = NULL;
        int r = status_path(d, ".snapshot", &path);

        if (r < 0)
                return r;
        r = domain_snapshot_def_format(def, DOMAIN_SNAPSHOT_FORMAT_INTERNAL, &xml);
        if (r < 0)
                return r;
        if (asprintf(&text, "pid %d\nflags %u\nwas-running %d\n--\n%s", (int) d->pid, flags,
                     d->state == DOMAIN_RUNNING, xml) < 0)
                return -ENOMEM;
        return write_file_atomic(path, text, strlen(text), 0600);
}

void qemu_snapshot_record_remove(Domain *d) {
        _cleanup_free_ char *path = NULL;

        if (status_path(d, ".snapshot", &path) >= 0 && unlink(path) < 0 && errno != ENOENT)
                log_warning("Cannot remove %s: %s", path, strerror(errno));
}

static int record_read(Domain *d, Record *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        ConfError err = {};
        char *xml;
        int pid, running, r;

        r = status_path(d, ".snapshot", &path);
        if (r < 0)
                return r;
        r = read_full_file(path, RECORD_MAX, &text, NULL);
        if (r < 0)
                return r;
        xml = strstr(text, "\n--\n");
        if (!xml || sscanf(text, "pid %d\nflags %u\nwas-running %d", &pid, &ret->flags, &running) != 3)
                return -EBADMSG;
        ret->pid = pid;
        ret->was_running = running;
        xml += 4;
        r = domain_snapshot_def_parse(xml, strlen(xml), &ret->def, &err);
        return r < 0 ? -EBADMSG : 0;
}

/* Each overlay of def is the image of a disk QEMU has (query-block). */
static bool overlays_in_use(json_object *blocks, const DomainSnapshotDef *def) {
        size_t n = json_object_is_type(blocks, json_type_array) ? json_object_array_length(blocks) : 0;

        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &def->disks[i];
                bool found = false;

                if (sd->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                        continue;
                for (size_t k = 0; k < n && !found; k++) {
                        json_object *ins, *file;
                        if (json_object_object_get_ex(json_object_array_get_idx(blocks, k), "inserted", &ins) &&
                            json_object_object_get_ex(ins, "file", &file))
                                found = streq_ptr(json_object_get_string(file), sd->source_file);
                }
                if (!found)
                        return false;
        }
        return true;
}

static bool internal_taken(const Domain *d, const DomainSnapshotDef *def) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &def->disks[i];
                const DomainDiskDef *disk;

                if (sd->snapshot != SNAPSHOT_LOCATION_INTERNAL)
                        continue;
                disk = snapshot_find_disk(d->live, sd->name);
                if (!disk || !disk->src || !snapshot_img_has_snapshot(disk->src, def->name))
                        return false;
        }
        return true;
}

/* Taken: the definitions name the overlays (the status may have been
 * saved before), and the tree has it unless NO_METADATA. */
static void keep(Domain *d, const Record *rec) {
        DomainDef **pdef = domain_persistent_def(d);

        if (snapshot_def_is_external(rec->def)) {
                (void) snapshot_follow_overlays_live(d, rec->def);
                if (d->persistent && pdef && *pdef && *pdef != d->live &&
                    snapshot_follow_overlays(*pdef, rec->def) >= 0)
                        (void) domain_save_config(d);
        }
        if (rec->flags & SNAPSHOT_CREATE_NO_METADATA)
                return;
        if (domain_snapshot_write(d, rec->def) < 0 || domain_snapshot_set_current(d, rec->def->name) < 0)
                log_error("Domain %s: cannot record the snapshot %s after the restart", d->def->name,
                          rec->def->name);
}

/* Not taken: what was made for it goes. */
static void undo(Domain *d, const Record *rec) {
        QemuMonitor *mon = qemu_domain(d)->mon;
        const DomainSnapshotDef *def = rec->def;

        if (def->memory == SNAPSHOT_LOCATION_EXTERNAL) {
                (void) qemu_monitor_command(mon, "migrate_cancel", NULL, NULL, NULL);
                if (def->memory_file)
                        (void) unlink(def->memory_file);
        }
        if (!snapshot_def_is_external(def)) {
                json_object *a = json_object_new_object();
                json_object_object_add(a, "id", json_object_new_string("snapshot-save"));
                (void) qemu_monitor_command(mon, "job-cancel", a, NULL, NULL);
        }
        for (size_t i = 0; i < def->n_disks && !(rec->flags & SNAPSHOT_CREATE_REUSE_EXT); i++)
                if (def->disks[i].snapshot == SNAPSHOT_LOCATION_EXTERNAL && def->disks[i].source_file)
                        (void) unlink(def->disks[i].source_file);
}

static void on_recover_blocks(QemuMonitor *mon, json_object *result, const char *error_class,
                              const char *error_desc, void *userdata) {
        Domain *d = userdata;
        Record rec = {};
        bool taken;

        if (error_class)
                return; /* QEMU went: the record stays for nobody; the start of a new one ignores it */
        if (record_read(d, &rec) < 0) {
                qemu_snapshot_record_remove(d);
                return;
        }
        taken = snapshot_def_is_external(rec.def) ? overlays_in_use(result, rec.def) : internal_taken(d, rec.def);
        if (taken) {
                log_warning("The snapshot %s of %s was cut short when qemud stopped, after QEMU took it: recorded.",
                            rec.def->name, d->def->name);
                keep(d, &rec);
        } else {
                log_warning("The snapshot %s of %s was cut short when qemud stopped: undone, it failed.",
                            rec.def->name, d->def->name);
                undo(d, &rec);
        }
        if (taken && (rec.flags & SNAPSHOT_CREATE_HALT)) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                qemu_domain(d)->from_snapshot = true;
                (void) d->manager->driver->destroy(d, NULL, &e);
        } else if (rec.was_running && d->state == DOMAIN_PAUSED)
                (void) qemu_monitor_command(mon, "cont", NULL, NULL, NULL);
        qemu_snapshot_record_remove(d);
        record_done(&rec);
}

static void recover_delete(Domain *d);

void qemu_snapshot_recover(Domain *d) {
        Record rec = {};
        int r;

        recover_delete(d);
        r = record_read(d, &rec);

        if (r == -ENOENT)
                return;
        if (r < 0 || rec.pid != d->pid) {
                /* Of an earlier QEMU of this domain: nothing of it is left. */
                record_done(&rec);
                qemu_snapshot_record_remove(d);
                return;
        }
        record_done(&rec);
        /* query-status went first: d->state is QEMU's when this answers. */
        if (qemu_monitor_command(qemu_domain(d)->mon, "query-block", NULL, on_recover_blocks, d) < 0)
                log_warning("Domain %s: cannot ask QEMU about the snapshot cut short", d->def->name);
}

/* ---- a delete cut short ---- */

#define COMMIT_JOB "snapshot-commit"

int qemu_snapshot_delete_record_write(Domain *d, const DomainSnapshotDef *def, const SnapshotCommitPlan *p) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        int r = status_path(d, ".snapshot-delete", &path);

        if (r < 0)
                return r;
        if (asprintf(&text, "pid %d\nname %s\n", (int) d->pid, def->name) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++) {
                const SnapshotCommit *c = &p->items[i];
                char *more = NULL;
                if (asprintf(&more, "%scommit\t%s\t%s\t%s\t%s\t%s\n", text, c->disk, c->top, c->base,
                             c->base_format ? c->base_format : "qcow2", c->above ? c->above : "") < 0)
                        return -ENOMEM;
                free(text);
                text = more;
        }
        return write_file_atomic(path, text, strlen(text), 0600);
}

void qemu_snapshot_delete_record_remove(Domain *d) {
        _cleanup_free_ char *path = NULL;

        if (status_path(d, ".snapshot-delete", &path) >= 0 && unlink(path) < 0 && errno != ENOENT)
                log_warning("Cannot remove %s: %s", path, strerror(errno));
}

static int plan_add(SnapshotCommitPlan *p, char **f) {
        SnapshotCommit *items = realloc(p->items, (p->n + 1) * sizeof(*items));

        if (!items)
                return -ENOMEM;
        p->items = items;
        p->items[p->n] = (SnapshotCommit) {
                .disk = strdup(f[0]), .top = strdup(f[1]), .base = strdup(f[2]), .base_format = strdup(f[3]),
                .above = f[4][0] ? strdup(f[4]) : NULL,
        };
        p->n++;
        return 0;
}

static int delete_record_read(Domain *d, pid_t *ret_pid, char **ret_name, SnapshotCommitPlan *p) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        char *save = NULL;
        int r = status_path(d, ".snapshot-delete", &path);

        if (r < 0)
                return r;
        r = read_full_file(path, RECORD_MAX, &text, NULL);
        if (r < 0)
                return r;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[6] = {}, *s2 = NULL;
                size_t n = 0;
                if (strncmp(line, "pid ", 4) == 0)
                        *ret_pid = atoi(line + 4);
                else if (strncmp(line, "name ", 5) == 0) {
                        free(*ret_name);
                        *ret_name = strdup(line + 5);
                } else if (strncmp(line, "commit\t", 7) == 0) {
                        /* strtok would merge the empty last field: split by hand */
                        for (char *q = line + 7; n < 5; n++) {
                                f[n] = q;
                                s2 = strchr(q, '\t');
                                if (!s2)
                                        break;
                                *s2 = 0;
                                q = s2 + 1;
                        }
                        if (n < 4 || !f[4])
                                return -EBADMSG;
                        if (plan_add(p, f) < 0)
                                return -ENOMEM;
                }
        }
        return *ret_name ? 0 : -EBADMSG;
}

/* The files of every image QEMU's disks stand on (query-block's chains). */
static bool file_in_chains(json_object *blocks, const char *file) {
        size_t n = json_object_is_type(blocks, json_type_array) ? json_object_array_length(blocks) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *ins, *img, *v;
                if (!json_object_object_get_ex(json_object_array_get_idx(blocks, i), "inserted", &ins) ||
                    !json_object_object_get_ex(ins, "image", &img))
                        continue;
                for (; img; img = json_object_object_get_ex(img, "backing-image", &v) ? v : NULL) {
                        json_object *name;
                        if (json_object_object_get_ex(img, "filename", &name) &&
                            streq_ptr(json_object_get_string(name), file))
                                return true;
                }
        }
        return false;
}

static void finish_delete(Domain *d, const char *name, SnapshotCommitPlan *p) {
        _cleanup_(snapshot_list_done) SnapshotList l = {};
        const DomainSnapshotDef *def;

        if (domain_snapshot_list_load(d, &l) < 0 || !(def = snapshot_list_find(&l, name)))
                return;
        if (snapshot_commit_apply(d, def, &l, p) < 0 || domain_snapshot_forget(d, name) < 0)
                log_error("Domain %s: cannot finish the delete of snapshot %s after the restart", d->def->name,
                          name);
}

/* The merged overlays' nodes that the monitor made stay until deleted:
 * the next overlay on the disk could not be put on top otherwise. */
static void on_recover_nodes(QemuMonitor *mon, json_object *result, const char *error_class,
                             const char *error_desc, void *userdata) {
        _cleanup_strv_free_ char **tops = userdata;
        size_t n = json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;

        for (size_t i = 0; !error_class && i < n; i++) {
                json_object *e = json_object_array_get_idx(result, i), *v, *a;
                const char *node, *drv;
                size_t len;

                if (!json_object_object_get_ex(e, "file", &v) || !strv_contains(tops, json_object_get_string(v)) ||
                    !json_object_object_get_ex(e, "drv", &v) || !(drv = json_object_get_string(v)) ||
                    streq(drv, "file") || !json_object_object_get_ex(e, "node-name", &v))
                        continue;
                node = json_object_get_string(v);
                a = json_object_new_object();
                json_object_object_add(a, "node-name", json_object_new_string(node));
                (void) qemu_monitor_command(mon, "blockdev-del", a, NULL, NULL);
                len = strlen(node);
                if (len > 4 && streq(node + len - 4, "-fmt")) {
                        char *file = NULL;
                        if (asprintf(&file, "%.*s-file", (int) (len - 4), node) < 0)
                                continue;
                        a = json_object_new_object();
                        json_object_object_add(a, "node-name", json_object_new_string(file));
                        free(file);
                        (void) qemu_monitor_command(mon, "blockdev-del", a, NULL, NULL);
                }
        }
}

static void drop_nodes(Domain *d, const SnapshotCommitPlan *p) {
        char **tops = NULL;

        for (size_t i = 0; i < p->n; i++)
                if (strv_extend(&tops, p->items[i].top) < 0) {
                        strv_free(tops);
                        return;
                }
        if (qemu_monitor_command(qemu_domain(d)->mon, "query-named-block-nodes", NULL, on_recover_nodes, tops) < 0)
                strv_free(tops);
}

static void on_recover_chains(QemuMonitor *mon, json_object *result, const char *error_class,
                              const char *error_desc, void *userdata) {
        Domain *d = userdata;
        _cleanup_(snapshot_commit_plan_done) SnapshotCommitPlan p = {};
        _cleanup_free_ char *name = NULL;
        pid_t pid = 0;
        bool merged = true;

        if (error_class)
                return;
        if (delete_record_read(d, &pid, &name, &p) < 0) {
                qemu_snapshot_delete_record_remove(d);
                return;
        }
        for (size_t i = 0; i < p.n; i++)
                merged = merged && !file_in_chains(result, p.items[i].top);
        if (merged) {
                log_warning("The delete of snapshot %s of %s was cut short when qemud stopped, after QEMU merged "
                            "its overlays: finished.", name, d->def->name);
                finish_delete(d, name, &p);
                drop_nodes(d, &p);
        } else
                log_warning("The delete of snapshot %s of %s was cut short when qemud stopped before QEMU merged "
                            "its overlays: the snapshot stays.", name, d->def->name);
        qemu_snapshot_delete_record_remove(d);
}

/* QEMU's commit job to its end: polled through the monitor (each answer
 * asks again; the job of a guest's overlay is short). */
static void on_recover_jobs(QemuMonitor *mon, json_object *result, const char *error_class,
                            const char *error_desc, void *userdata) {
        Domain *d = userdata;
        size_t n = json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;

        if (error_class)
                return;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(result, i), *v, *args;
                const char *status;

                if (!json_object_object_get_ex(e, "id", &v) || !streq(json_object_get_string(v), COMMIT_JOB))
                        continue;
                status = json_object_object_get_ex(e, "status", &v) ? json_object_get_string(v) : "";
                if (streq(status, "ready") || streq(status, "concluded")) {
                        args = json_object_new_object();
                        json_object_object_add(args, "id", json_object_new_string(COMMIT_JOB));
                        (void) qemu_monitor_command(mon, streq(status, "ready") ? "job-complete" : "job-dismiss",
                                                    args, NULL, NULL);
                }
                (void) qemu_monitor_command(mon, "query-jobs", NULL, on_recover_jobs, d);
                return;
        }
        (void) qemu_monitor_command(mon, "query-block", NULL, on_recover_chains, d);
}

static void recover_delete(Domain *d) {
        _cleanup_(snapshot_commit_plan_done) SnapshotCommitPlan p = {};
        _cleanup_free_ char *name = NULL;
        pid_t pid = 0;
        int r = delete_record_read(d, &pid, &name, &p);

        if (r == -ENOENT)
                return;
        if (r < 0 || pid != d->pid) {
                qemu_snapshot_delete_record_remove(d);
                return;
        }
        if (qemu_monitor_command(qemu_domain(d)->mon, "query-jobs", NULL, on_recover_jobs, d) < 0)
                log_warning("Domain %s: cannot ask QEMU about the snapshot delete cut short", d->def->name);
}
