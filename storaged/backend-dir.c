/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pools of type dir (a directory) and fs (a block device mounted on the
 * target directory): volumes are the regular files in the directory. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "backend.h"
#include "command.h"
#include "error.h"
#include "log.h"
#include "mountinfo.h"
#include "util.h"
#include "vol-file.h"

/* libvirt's default mode of a pool directory. */
#define POOL_DIR_DEFAULT_MODE 0711

int dir_check_target(const StoragePoolDef *def, bool must_exist, ConfError *err) {
        struct stat st;

        if (stat(def->target_path, &st) < 0) {
                if (errno == ENOENT && !must_exist)
                        return 0;
                if (errno == ENOENT)
                        return conf_fail(err, VB_ERROR_OPERATION_INVALID,
                                         "target path '%s' of pool '%s' does not exist (build the pool first)",
                                         def->target_path, def->name);
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot access target path '%s': %m", def->target_path);
        }
        if (!S_ISDIR(st.st_mode))
                return conf_fail(err, VB_ERROR_INVALID_ARG, "target path '%s' of pool '%s' is not a directory",
                                 def->target_path, def->name);
        return 0;
}

int dir_build_target(const StoragePoolDef *def, ConfError *err) {
        const StoragePerms *p = &def->target_perms;
        _cleanup_close_ int fd = -1;
        int r;

        r = dir_check_target(def, false, err);
        if (r < 0)
                return r;
        r = mkdir_p(def->target_path, 0755);
        if (r < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot create directory '%s': %s", def->target_path,
                                 strerror(-r));
        fd = open(def->target_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot open directory '%s': %m", def->target_path);
        if (fchmod(fd, p->has_mode ? p->mode : POOL_DIR_DEFAULT_MODE) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot set the mode of '%s': %m", def->target_path);
        if ((p->has_owner || p->has_group) &&
            fchown(fd, p->has_owner ? p->owner : (uid_t) -1, p->has_group ? p->group : (gid_t) -1) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot set the owner of '%s': %m", def->target_path);
        /* <cow state='no'/>: files created in it inherit NOCOW (btrfs). */
        if (def->cow == 0)
                return vol_file_set_nocow(fd, def->target_path, err);
        return 0;
}

static int scan_one(int dfd, const char *name, const StoragePoolDef *def, PoolScan *scan) {
        _cleanup_free_ char *path = path_join(def->target_path, name);
        _cleanup_close_ int fd = -1;
        VolInfo info;
        int r;

        if (!path)
                return -ENOMEM;
        /* Symlinks and special files are not volumes; O_NONBLOCK keeps a
         * FIFO from blocking us. */
        fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return 0;
        r = vol_info_from_fd(fd, path, &info);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || info.type != STORAGE_VOL_FILE) {
                vol_info_done(&info);
                return 0;
        }
        return pool_scan_add(scan, name, path, path, &info);
}

int dir_scan(Job *j, const StoragePoolDef *def, PoolScan *scan, ConfError *err) {
        _cleanup_(closedirp) DIR *d = opendir(def->target_path);
        struct statvfs sv;
        struct dirent *de;

        if (!d)
                return conf_fail(err, errno == ENOTDIR ? VB_ERROR_INVALID_ARG : VB_ERROR_SYSTEM,
                                 "cannot open directory '%s': %m", def->target_path);
        while ((de = readdir(d))) {
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, "..") ||
                    (de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
                        continue;
                r = scan_one(dirfd(d), de->d_name, def, scan);
                if (r < 0)
                        return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
                if (job_cancelled(j))
                        return conf_fail(err, VB_ERROR_OPERATION_ABORTED, "refresh of '%s' cancelled", def->name);
        }
        if (fstatvfs(dirfd(d), &sv) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot stat the file system of '%s': %m", def->target_path);
        scan->capacity = (uint64_t) sv.f_blocks * sv.f_frsize;
        scan->allocation = (uint64_t) (sv.f_blocks - sv.f_bfree) * sv.f_frsize;
        scan->available = (uint64_t) sv.f_bavail * sv.f_frsize;
        return 0;
}

static char *dir_vol_path(const StoragePoolDef *def, const char *name) {
        return path_join(def->target_path, name);
}

static int dir_vol_check(const StoragePoolDef *def, const StorageVolDef *vdef, bool clone, ConfError *err) {
        /* The name fits a file name (the parser saw to it); the path must fit too. */
        if (strlen(def->target_path) + 1 + strlen(vdef->name) >= PATH_MAX)
                return conf_fail(err, VB_ERROR_INVALID_ARG,
                                 "volume name '%s' is too long for pool '%s': its path would be longer than %d bytes",
                                 vdef->name, def->name, PATH_MAX - 1);
        return vol_file_check(vdef, clone, err);
}

static int dir_vol_create(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err) {
        return vol_file_create(j, req, err);
}

static int dir_vol_clone(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err) {
        return vol_file_clone(j, req, err);
}

static int dir_vol_delete(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err) {
        return vol_file_delete(j, req, err);
}

static int dir_vol_resize(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err) {
        return vol_file_resize(j, req, err);
}

static int dir_vol_refresh(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err) {
        return vol_file_refresh(j, req, err);
}

#define FILE_VOLUME_OPS                         \
        .vol_path = dir_vol_path,               \
        .vol_check = dir_vol_check,             \
        .vol_create = dir_vol_create,           \
        .vol_clone = dir_vol_clone,             \
        .vol_delete = dir_vol_delete,           \
        .vol_resize = dir_vol_resize,           \
        .vol_refresh = dir_vol_refresh

/* ---- dir ------------------------------------------------------------------- */

static int dir_check(const StoragePoolDef *def, ConfError *err) {
        return dir_check_target(def, false, err);
}

static int dir_build(Job *j, const StoragePoolDef *def, unsigned flags, ConfError *err) {
        return dir_build_target(def, err);
}

static int dir_start(Job *j, const StoragePoolDef *def, ConfError *err) {
        return dir_check_target(def, true, err);
}

static int dir_stop(Job *j, const StoragePoolDef *def, ConfError *err) {
        return 0;
}

static int dir_delete(Job *j, const StoragePoolDef *def, unsigned flags, ConfError *err) {
        if (rmdir(def->target_path) < 0 && errno != ENOENT)
                return conf_fail(err, VB_ERROR_OPERATION_FAILED, "cannot remove directory '%s': %m",
                                 def->target_path);
        return 0;
}

static int dir_is_active(Job *j, const StoragePoolDef *def, ConfError *err) {
        struct stat st;

        return stat(def->target_path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int dir_refresh(Job *j, const StoragePoolDef *def, PoolScan *scan, ConfError *err) {
        return dir_scan(j, def, scan, err);
}

const PoolBackend backend_dir = {
        .type = STORAGE_POOL_DIR,
        .check = dir_check,
        .build = dir_build,
        .start = dir_start,
        .stop = dir_stop,
        .delete = dir_delete,
        .is_active = dir_is_active,
        .refresh = dir_refresh,
        FILE_VOLUME_OPS,
};

/* ---- fs -------------------------------------------------------------------- */

static int fs_check(const StoragePoolDef *def, ConfError *err) {
        return dir_check_target(def, false, err);
}

static const char *fs_format(const StoragePoolDef *def) {
        return def->source_format && !streq(def->source_format, "auto") ? def->source_format : NULL;
}

/* 1 when the device is mounted on the target, 0 when nothing is, an error
 * when something else is. */
static int fs_mounted(const StoragePoolDef *def, ConfError *err) {
        const char *dev = def->source_devices[0];
        struct stat st;
        MountEntry e = {};
        int r;

        r = mountinfo_find_self(def->target_path, &e);
        if (r < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot read the mount table: %s", strerror(-r));
        if (r == 0)
                return 0;
        r = stat(dev, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == e.devno;
        if (!r)
                r = conf_fail(err, VB_ERROR_OPERATION_INVALID, "'%s' is already mounted on '%s' (not '%s')",
                              e.source ? e.source : "something", def->target_path, dev);
        mount_entry_done(&e);
        return r;
}

static int fs_check_device(const StoragePoolDef *def, ConfError *err) {
        const char *dev = def->source_devices[0];
        struct stat st;

        if (stat(dev, &st) < 0)
                return conf_fail(err, VB_ERROR_INVALID_ARG, "source device '%s' of pool '%s': %m", dev, def->name);
        if (!S_ISBLK(st.st_mode))
                return conf_fail(err, VB_ERROR_INVALID_ARG, "source device '%s' of pool '%s' is not a block device",
                                 dev, def->name);
        return 0;
}

static int fs_mkfs(Job *j, const StoragePoolDef *def, unsigned flags, ConfError *err) {
        const char *dev = def->source_devices[0], *fmt = fs_format(def);
        _cleanup_free_ char *mkfs = NULL, *found = NULL;
        const char *blkid[] = { "blkid", "-p", "-o", "value", "-s", "TYPE", dev, NULL };
        ConfError ignored = {};

        if (!fmt)
                return conf_fail(err, VB_ERROR_INVALID_ARG,
                                 "pool '%s' needs a <source><format type=''/> other than 'auto' to be built",
                                 def->name);
        if (flags & POOL_BUILD_NO_OVERWRITE) {
                (void) command_run(j, blkid, &found, &ignored);
                if (found && *str_strip(found))
                        return conf_fail(err, VB_ERROR_OPERATION_INVALID,
                                         "device '%s' already holds a '%s' file system (not overwritten)", dev,
                                         found);
        }
        if (asprintf(&mkfs, "mkfs.%s", fmt) < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        /* -F (ext*) and -f (xfs, btrfs): the flags asked for it. */
        const char *force = strncmp(fmt, "ext", 3) == 0 ? "-F" : "-f";
        const char *argv[] = { mkfs, "-q", force, dev, NULL };
        if (streq(fmt, "vfat")) /* mkfs.vfat DEVICE: no -q, no force */
                argv[1] = dev, argv[2] = NULL;
        return command_run(j, argv, NULL, err);
}

static int fs_build(Job *j, const StoragePoolDef *def, unsigned flags, ConfError *err) {
        int r = dir_build_target(def, err);

        if (r < 0)
                return r;
        /* As libvirt: a plain build makes the directory; the flags ask for a
         * file system too. */
        if (!(flags & (POOL_BUILD_OVERWRITE | POOL_BUILD_NO_OVERWRITE)))
                return 0;
        r = fs_check_device(def, err);
        if (r < 0)
                return r;
        return fs_mkfs(j, def, flags, err);
}

static int fs_start(Job *j, const StoragePoolDef *def, ConfError *err) {
        const char *fmt = fs_format(def);
        int r;

        r = dir_check_target(def, true, err);
        if (r >= 0)
                r = fs_check_device(def, err);
        if (r >= 0)
                r = fs_mounted(def, err);
        if (r != 0)
                return r < 0 ? r : 0;
        const char *argv[] = { "mount", "-t", fmt ? fmt : "auto", def->source_devices[0], def->target_path, NULL };
        return command_run(j, argv, NULL, err);
}

static int fs_stop(Job *j, const StoragePoolDef *def, ConfError *err) {
        int r = fs_mounted(def, err);

        if (r <= 0)
                return r;
        const char *argv[] = { "umount", def->target_path, NULL };
        return command_run(j, argv, NULL, err);
}

static int fs_is_active(Job *j, const StoragePoolDef *def, ConfError *err) {
        int r = fs_mounted(def, err);
        return r < 0 ? 0 : r;
}

const PoolBackend backend_fs = {
        .type = STORAGE_POOL_FS,
        .check = fs_check,
        .build = fs_build,
        .start = fs_start,
        .stop = fs_stop,
        .delete = dir_delete,
        .is_active = fs_is_active,
        .refresh = dir_refresh,
        FILE_VOLUME_OPS,
};
