/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pools of type logical: an LVM volume group; volumes are its LVs.
 *
 * On a kernel without device-mapper (some nested or minimal kernels) LVs
 * cannot be activated. Then storaged still manages the metadata (the VG,
 * creating, resizing and deleting LVs: lvm's --driverloaded n), and reports
 * the LVs with their /dev/<vg>/<lv> path; their data cannot be reached. */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "backend.h"
#include "command.h"
#include "error.h"
#include "log.h"
#include "lvm.h"
#include "util.h"

#define LVS_FIELDS "lv_name,lv_uuid,lv_path,lv_size,lv_attr,devices,seg_size,vg_extent_size"

/* Appends the arguments that keep LVM away from device-mapper. */
static size_t no_dm_args(const char **argv, size_t n, bool no_dm) {
        if (no_dm)
                argv[n++] = "--driverloaded=n";
        return n;
}

static bool kernel_has_dm(void) {
        _cleanup_close_ int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
        return fd >= 0;
}

static int vg_exists(Job *j, const char *vg, ConfError *err) {
        const char *argv[] = { "vgs", "--noheadings", "-o", "vg_name", vg, NULL };
        return command_run(j, argv, NULL, err);
}

static int logical_check(const StoragePoolDef *def, ConfError *err) {
        if (!def->source_name || !lvm_lv_name_is_valid(def->source_name))
                return conf_fail(err, VB_ERROR_INVALID_ARG, "invalid volume group name '%s'",
                                 def->source_name ? def->source_name : "");
        return 0;
}

static int wipe_check(Job *j, const char *dev, ConfError *err) {
        _cleanup_free_ char *found = NULL;
        const char *argv[] = { "blkid", "-p", "-o", "value", "-s", "TYPE", dev, NULL };
        ConfError ignored = {};

        (void) command_run(j, argv, &found, &ignored);
        if (found && *str_strip(found))
                return conf_fail(err, VB_ERROR_OPERATION_INVALID,
                                 "device '%s' already holds a '%s' signature (not overwritten)", dev, found);
        return 0;
}

static int logical_build(Job *j, const StoragePoolDef *def, unsigned flags, ConfError *err) {
        _cleanup_free_ const char **vgcreate = NULL;
        size_t n = 3;
        int r;

        if (!def->source_devices)
                return conf_fail(err, VB_ERROR_INVALID_ARG, "pool '%s' needs <source><device path=''/> to be built",
                                 def->name);
        /* Every device, or none: a list cut short would build another VG. */
        if (n + strv_length(def->source_devices) >= COMMAND_ARGS_MAX)
                return conf_fail(err, VB_ERROR_INVALID_ARG, "pool '%s' has more than %d source devices", def->name,
                                 COMMAND_ARGS_MAX - 4);
        vgcreate = calloc(n + strv_length(def->source_devices) + 1, sizeof(*vgcreate));
        if (!vgcreate)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        vgcreate[0] = "vgcreate";
        vgcreate[1] = "-q";
        vgcreate[2] = def->source_name;
        for (char **d = def->source_devices; *d; d++) {
                const char *plain[] = { "pvcreate", "-q", *d, NULL };
                const char *force[] = { "pvcreate", "-q", "-y", "-ff", *d, NULL };

                if ((flags & POOL_BUILD_NO_OVERWRITE) && (r = wipe_check(j, *d, err)) < 0)
                        return r;
                r = command_run(j, flags & POOL_BUILD_OVERWRITE ? force : plain, NULL, err);
                if (r < 0)
                        return r;
                vgcreate[n++] = *d;
        }
        vgcreate[n] = NULL;
        return command_run(j, vgcreate, NULL, err);
}

static int logical_start(Job *j, const StoragePoolDef *def, ConfError *err) {
        const char *argv[] = { "vgchange", "-q", "-aly", def->source_name, NULL };
        int r = vg_exists(j, def->source_name, err);

        if (r < 0)
                return conf_fail(err, VB_ERROR_OPERATION_INVALID, "volume group '%s' of pool '%s' is not there",
                                 def->source_name, def->name);
        if (!kernel_has_dm()) {
                log_info("No device-mapper: the LVs of '%s' stay inactive.", def->source_name);
                return 0;
        }
        return command_run(j, argv, NULL, err);
}

static int logical_stop(Job *j, const StoragePoolDef *def, ConfError *err) {
        const char *argv[] = { "vgchange", "-q", "-aln", def->source_name, NULL };

        if (!kernel_has_dm())
                return 0;
        return command_run(j, argv, NULL, err);
}

static int logical_delete(Job *j, const StoragePoolDef *def, unsigned flags, ConfError *err) {
        const char *vgremove[] = { "vgremove", "-q", "-f", def->source_name, NULL };
        int r;

        r = command_run(j, vgremove, NULL, err);
        if (r < 0)
                return r;
        for (char **d = def->source_devices; d && *d; d++) {
                const char *argv[] = { "pvremove", "-q", "-y", *d, NULL };
                r = command_run(j, argv, NULL, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int logical_is_active(Job *j, const StoragePoolDef *def, ConfError *err) {
        return vg_exists(j, def->source_name, err) >= 0;
}

static int lv_to_info(const LvmLv *lv, VolInfo *info) {
        struct stat st;

        *info = (VolInfo) { .type = STORAGE_VOL_BLOCK, .format = STORAGE_FORMAT_NONE };
        info->capacity = info->allocation = info->physical = lv->size;
        /* Active LVs have a node: its permissions; inactive ones have none. */
        if (stat(lv->path, &st) == 0)
                info->perms = (StoragePerms) { .has_mode = true, .has_owner = true, .has_group = true,
                                               .mode = st.st_mode & 07777, .owner = st.st_uid, .group = st.st_gid };
        info->lv_uuid = strdup(lv->uuid);
        if (!info->lv_uuid)
                return -ENOMEM;
        info->devs = lv->devs; /* handed over */
        info->n_devs = lv->n_devs;
        return 0;
}

static int list_lvs(Job *j, const char *what, LvmLv **ret, size_t *ret_n, ConfError *err) {
        _cleanup_free_ char *out = NULL;
        const char *argv[] = { "lvs", "--noheadings", "--units", "b", "--nosuffix", "--separator", "#",
                               "-o", LVS_FIELDS, what, NULL };
        int r = command_run(j, argv, &out, err);

        if (r < 0)
                return r;
        r = lvm_parse_lvs(out, ret, ret_n);
        if (r < 0)
                return conf_fail(err, VB_ERROR_OPERATION_FAILED, "cannot understand the output of lvs %s", what);
        return 0;
}

static int logical_refresh(Job *j, const StoragePoolDef *def, PoolScan *scan, ConfError *err) {
        _cleanup_free_ char *out = NULL;
        const char *vgs[] = { "vgs", "--noheadings", "--units", "b", "--nosuffix", "--separator", "#",
                              "-o", "vg_size,vg_free", def->source_name, NULL };
        uint64_t size, free_bytes;
        LvmLv *lvs = NULL;
        size_t n = 0;
        int r;

        r = command_run(j, vgs, &out, err);
        if (r < 0)
                return r;
        if (lvm_parse_vg_size(out, &size, &free_bytes) < 0)
                return conf_fail(err, VB_ERROR_OPERATION_FAILED, "cannot understand the output of vgs %s",
                                 def->source_name);
        scan->capacity = size;
        scan->available = free_bytes;
        scan->allocation = size - free_bytes;
        r = list_lvs(j, def->source_name, &lvs, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++) {
                VolInfo info;

                r = lv_to_info(&lvs[i], &info);
                lvs[i].devs = NULL;
                lvs[i].n_devs = 0;
                if (r >= 0)
                        r = pool_scan_add(scan, lvs[i].name, lvs[i].path, lvs[i].uuid, &info);
        }
        lvm_lvs_free(lvs, n);
        return r < 0 ? conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory") : 0;
}

static char *logical_vol_path(const StoragePoolDef *def, const char *name) {
        char *p;

        if (asprintf(&p, "/dev/%s/%s", def->source_name, name) < 0)
                return NULL;
        return p;
}

static int logical_vol_check(const StoragePoolDef *def, const StorageVolDef *vdef, bool clone, ConfError *err) {
        if (!lvm_lv_name_is_valid(vdef->name))
                return conf_fail(err, VB_ERROR_INVALID_ARG,
                                 "volume name '%s' is not a valid LV name (at most 127 characters of [a-zA-Z0-9+_.-], "
                                 "not starting with '-', not 'snapshot*' or 'pvmove*')",
                                 vdef->name);
        if (vdef->format != STORAGE_FORMAT_NONE && vdef->format != STORAGE_FORMAT_RAW)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED, "volume format '%s' is not supported in logical pools",
                                 storage_format_to_string(vdef->format));
        if (vdef->backing_path || vdef->nocow || vdef->compat || vdef->cluster_size || vdef->has_features)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED,
                                 "backingStore, nocow, compat, clusterSize and features are not supported in "
                                 "logical pools");
        if (clone)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED, "cloning is not supported in logical pools");
        if (vdef->encryption.format != STORAGE_ENC_NONE)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED, "encrypted volumes are not supported in logical pools");
        if (!vdef->has_capacity || vdef->capacity == 0)
                return conf_fail(err, VB_ERROR_INVALID_ARG, "a logical volume needs a capacity above 0");
        return 0;
}

static int logical_vol_refresh(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err) {
        _cleanup_free_ char *what = NULL;
        LvmLv *lvs = NULL;
        size_t n = 0;
        int r;

        if (asprintf(&what, "%s/%s", def->source_name, req->name) < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        r = list_lvs(j, what, &lvs, &n, err);
        if (r < 0)
                return r;
        if (n != 1) {
                lvm_lvs_free(lvs, n);
                return conf_fail(err, VB_ERROR_NO_STORAGE_VOL, "logical volume '%s' is not there", what);
        }
        vol_info_done(&req->info);
        r = lv_to_info(&lvs[0], &req->info);
        lvs[0].devs = NULL;
        lvs[0].n_devs = 0;
        free(req->key);
        req->key = r >= 0 ? strdup(lvs[0].uuid) : NULL;
        lvm_lvs_free(lvs, n);
        return r < 0 || !req->key ? conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory") : 0;
}

static int logical_vol_create(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err) {
        _cleanup_free_ char *size = NULL;
        const char *argv[16] = { "lvcreate", "-q", "-y", "--name", req->name, "-L" };
        size_t n = 6;

        if (asprintf(&size, "%" PRIu64 "b", req->def->capacity) < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        argv[n++] = size;
        if (req->lvm_no_dm) {
                argv[n++] = "-an";
                argv[n++] = "-Zn";
        }
        n = no_dm_args(argv, n, req->lvm_no_dm);
        argv[n++] = def->source_name;
        argv[n] = NULL;
        int r = command_run(j, argv, NULL, err);
        if (r < 0)
                return r;
        return logical_vol_refresh(j, def, req, err);
}

static int logical_vol_delete(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err) {
        _cleanup_free_ char *what = NULL;
        const char *argv[8] = { "lvremove", "-q", "-f" };
        size_t n = no_dm_args(argv, 3, req->lvm_no_dm);

        if (asprintf(&what, "%s/%s", def->source_name, req->name) < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        argv[n++] = what;
        argv[n] = NULL;
        return command_run(j, argv, NULL, err);
}

static int logical_vol_resize(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err) {
        _cleanup_free_ char *what = NULL, *size = NULL;
        const char *argv[10] = { "lvresize", "-q", "-f", "-L" };
        size_t n = 4;
        int r;

        if (asprintf(&what, "%s/%s", def->source_name, req->name) < 0 ||
            asprintf(&size, "%" PRIu64 "b", req->capacity) < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        argv[n++] = size;
        n = no_dm_args(argv, n, req->lvm_no_dm);
        argv[n++] = what;
        argv[n] = NULL;
        r = command_run(j, argv, NULL, err);
        if (r < 0)
                return r;
        return logical_vol_refresh(j, def, req, err);
}

const PoolBackend backend_logical = {
        .type = STORAGE_POOL_LOGICAL,
        .check = logical_check,
        .build = logical_build,
        .start = logical_start,
        .stop = logical_stop,
        .delete = logical_delete,
        .is_active = logical_is_active,
        .refresh = logical_refresh,
        .vol_path = logical_vol_path,
        .vol_check = logical_vol_check,
        .vol_create = logical_vol_create,
        .vol_delete = logical_vol_delete,
        .vol_resize = logical_vol_resize,
        .vol_refresh = logical_vol_refresh,
};
