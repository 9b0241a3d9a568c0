/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <disk type='volume'>: storaged says where the volume is and what format it
 * has, and learns that this guest uses it (so it will not be deleted). */

#include "error.h"
#include "log.h"
#include "domain-manager.h"
#include "domain-prepare.h"
#include "storaged-client.h"

typedef struct VolumeRequest {
        PrepareJob *job;
        DomainDiskDef *disk;
} VolumeRequest;

static void on_in_use(int r, const sd_bus_error *error, void *userdata) {
        prepare_job_release(userdata, r, error);
}

static void on_resolved(int r, const sd_bus_error *error, const char *path, const char *format, bool block,
                        void *userdata) {
        VolumeRequest *req = userdata;
        PrepareJob *job = req->job;
        DomainDiskDef *disk = req->disk;
        Domain *d = prepare_job_domain(job);

        free(req);
        if (!d) {
                prepare_job_release(job, 0, NULL);
                return;
        }
        if (r >= 0) {
                free(disk->src);
                disk->src = strdup(path);
                if (!disk->src)
                        r = -ENOMEM;
        }
        if (r >= 0 && disk->format == DOMAIN_DISK_FORMAT_NONE && format) {
                int f = domain_disk_format_from_string(format);
                if (f < 0) {
                        prepare_job_fail(job, -EOPNOTSUPP, VB_ERROR_NOT_SUPPORTED,
                                         "unsupported configuration: volume %s/%s has format '%s'",
                                         disk->src_pool, disk->src_volume, format);
                        prepare_job_release(job, 0, NULL);
                        return;
                }
                disk->format = f;
        }
        if (r >= 0) {
                log_debug("Volume %s/%s of %s is %s (%s%s)", disk->src_pool, disk->src_volume, d->def->name,
                          path, format ? format : "raw", block ? ", block" : "");
                prepare_job_hold(job);
                if (storaged_set_in_use_async(d->manager->bus, disk->src_pool, disk->src_volume, d->uuid_str, true,
                                              on_in_use, job, NULL) < 0)
                        prepare_job_release(job, 0, NULL); /* only a guard against deletion: go on */
        }
        prepare_job_release(job, r, error);
}

int domain_storage_prepare(Domain *d, domain_prepare_fn done) {
        PrepareJob *job = prepare_job_new(d, done);

        if (!job)
                return -ENOMEM;
        for (size_t i = 0; i < d->live->n_disks; i++) {
                DomainDiskDef *disk = &d->live->disks[i];
                VolumeRequest *req;
                int r;

                if (disk->type != DOMAIN_DISK_TYPE_VOLUME || !disk->src_pool) /* no source: an empty drive */
                        continue;
                req = calloc(1, sizeof(*req));
                if (!req) {
                        prepare_job_fail(job, -ENOMEM, VB_ERROR_NO_MEMORY, "out of memory");
                        break;
                }
                *req = (VolumeRequest) { .job = job, .disk = disk };
                prepare_job_hold(job);
                r = storaged_resolve_volume_async(d->manager->bus, disk->src_pool, disk->src_volume, on_resolved,
                                                  req, NULL);
                if (r < 0) {
                        free(req);
                        prepare_job_fail(job, r, VB_ERROR_OPERATION_FAILED, "cannot ask storaged for volume %s/%s: %s",
                                         disk->src_pool, disk->src_volume, strerror(-r));
                        prepare_job_release(job, 0, NULL);
                        break;
                }
        }
        prepare_job_release(job, 0, NULL);
        return 0;
}

static bool uses_volumes(const DomainDef *def) {
        for (size_t i = 0; def && i < def->n_disks; i++)
                if (def->disks[i].type == DOMAIN_DISK_TYPE_VOLUME)
                        return true;
        return false;
}

void domain_storage_release(Domain *d) {
        if (uses_volumes(d->live))
                (void) storaged_release_owner_async(d->manager->bus, d->uuid_str, NULL, NULL, NULL);
}
