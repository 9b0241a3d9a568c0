/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where fd-backed guest RAM goes, as libvirt's qemu.conf memory_backing_dir:
 * qemud.conf's memory_backing_dir (default <statedir>/qemu/ram, made at
 * start when missing; a directory set in qemud.conf must be there). A guest
 * whose RAM a vhost-user back end must map (memAccess, <access mode>,
 * <source type='file'>) gets its own directory below it,
 * <memory_backing_dir>/<id>-<name> (the name cut to 20 bytes, libvirt's
 * short name), owned by QEMU's user, where QEMU makes one file per RAM
 * backend (ram-nodeN, pc.ram, dimmN: qemu-command-memory.c). It is removed
 * with its files when QEMU is gone, from the settings read again then, so
 * a qemud restarted in between removes it too. Read at each start. */

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "domain.h"
#include "error.h"

typedef struct QemuMemoryDir {
        char base[4096];
        bool is_default;       /* not set in qemud.conf: made when missing */
        char bad[256];         /* the bad setting, for the error */
} QemuMemoryDir;

void qemu_memory_dir_init(QemuMemoryDir *t, const char *statedir);
/* conf_apply_fn for conf_load_file(): only memory_backing_dir is read. */
int qemu_memory_dir_apply(void *userdata, const char *key, const char *value);
/* Reads qemud.conf in confdir. 0, or -EINVAL with err naming the bad setting. */
int qemu_memory_dir_load(const char *confdir, const char *statedir, QemuMemoryDir *t, ConfError *err);

/* Pure: whether def's RAM needs the directory, as libvirt's
 * qemuProcessNeedMemoryBackingPath: <source type='file'>, an <access
 * mode>, a cell's memAccess or a memory device's access. */
bool qemu_memory_dir_needed(const DomainDef *def);
/* Pure: the guest's directory below base, "<base>/<id>-<name>". */
int qemu_memory_dir_path(const char *base, int id, const char *name, char **ret);

/* At start (the command line's step), when d's live definition needs it:
 * qemud.conf read, the base there (made when it is the default, missing),
 * a directory qemud can write in, and the guest's directory's path in
 * *ret (NULL when not needed). 0, or -errno with err naming the directory
 * and what is wrong with it. */
int qemu_memory_dir_prepare(const Domain *d, char **ret, ConfError *err);
/* Right before the spawn: the guest's directory made (0700, QEMU's
 * uid:gid), when needed. 0, or -errno with err naming it. */
int qemu_memory_dir_make(const Domain *d, uid_t uid, gid_t gid, ConfError *err);
/* Once QEMU is gone: the guest's directory and the files in it, if any. */
void qemu_memory_dir_remove(const Domain *d);

/* A <memory> device plugged while the guest runs (live: the live
 * definition with it, index: its place): qemu_device_props() has no
 * directory and gives its backend as anonymous RAM; when it should be a
 * file (qemu_memdev_wants_dir_file()), the guest's directory is made
 * (owned as QEMU's process is) and the backend in objects (the props'
 * -object list) becomes memory-backend-file on DIR/ALIAS, as libvirt's
 * hot-plug (qemuProcessBuildDestroyMemoryPaths). 0 (nothing to do, or
 * done), or -errno with err naming the directory. */
int qemu_memory_dir_plug(const Domain *d, const DomainDef *live, size_t index, json_object *objects,
                         ConfError *err);
/* Once QEMU let such a device go: its file, DIR/ALIAS. */
void qemu_memory_dir_unplug(const Domain *d, const char *alias);
