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
 * before (HALT of a taken one: shut off), and the file goes. */
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
                if (snapshot_follow_overlays(d->live, rec->def) >= 0)
                        (void) domain_status_save(d);
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

void qemu_snapshot_recover(Domain *d) {
        Record rec = {};
        int r = record_read(d, &rec);

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
