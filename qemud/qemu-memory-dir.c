/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The memory backing directory (qemu-memory-dir.h): qemud.conf's
 * memory_backing_dir, and the guest's own directory below it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-file.h"
#include "qemu-command-internal.h"
#include "domain-manager.h"
#include "log.h"
#include "qemu-memory-dir.h"
#include "util.h"

void qemu_memory_dir_init(QemuMemoryDir *t, const char *statedir) {
        *t = (QemuMemoryDir) { .is_default = true };
        snprintf(t->base, sizeof(t->base), "%s/qemu/ram", statedir);
}

int qemu_memory_dir_apply(void *userdata, const char *key, const char *value) {
        QemuMemoryDir *t = userdata;

        if (!streq(key, "memory_backing_dir"))
                return 0;
        if (value[0] != '/' || strlen(value) >= sizeof(t->base) - 64) {
                snprintf(t->bad, sizeof(t->bad), "memory_backing_dir = %.200s (an absolute path)", value);
                return -EINVAL;
        }
        snprintf(t->base, sizeof(t->base), "%s", value);
        t->is_default = false;
        return 0;
}

int qemu_memory_dir_load(const char *confdir, const char *statedir, QemuMemoryDir *t, ConfError *err) {
        int r;

        qemu_memory_dir_init(t, statedir);
        r = conf_load_file(confdir, "qemud.conf", qemu_memory_dir_apply, t);
        if (r < 0)
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "%s/qemud.conf: bad setting %s", confdir,
                               t->bad[0] ? t->bad : strerror(-r));
        return r;
}

bool qemu_memory_dir_needed(const DomainDef *def) {
        if (def->memory_backing.source == DOMAIN_MEMORY_SOURCE_FILE ||
            def->memory_backing.access != DOMAIN_MEMORY_ACCESS_DEFAULT)
                return true;
        for (size_t i = 0; i < def->cpu.n_cells; i++)
                if (def->cpu.cells[i].mem_access != DOMAIN_MEMORY_ACCESS_DEFAULT)
                        return true;
        for (size_t i = 0; i < def->n_mems; i++)
                if (def->mems[i].access != DOMAIN_MEMORY_ACCESS_DEFAULT)
                        return true;
        return false;
}

int qemu_memory_dir_path(const char *base, int id, const char *name, char **ret) {
        return asprintf(ret, "%s/%d-%.20s", base, id, name) < 0 ? -ENOMEM : 0;
}

static int load(const Domain *d, QemuMemoryDir *t, ConfError *err) {
        const VbPaths *p = &d->manager->paths;

        return qemu_memory_dir_load(p->confdir, p->statedir, t, err);
}

/* The base: there (the default made), a directory qemud writes in. */
static int check_base(const QemuMemoryDir *t, ConfError *err) {
        const char *what = t->is_default ? "" : " (memory_backing_dir in qemud.conf)";
        struct stat st;
        int r = 0;

        if (t->is_default && access(t->base, F_OK) < 0 && errno == ENOENT)
                r = mkdir_p(t->base, 0755);
        if (r < 0 || stat(t->base, &st) < 0) {
                r = r < 0 ? r : -errno;
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "memory backing directory %s%s %s", t->base, what,
                               r == -ENOENT ? "does not exist" : strerror(-r));
                return r;
        }
        if (!S_ISDIR(st.st_mode)) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "memory backing directory %s%s is not a directory",
                               t->base, what);
                return -ENOTDIR;
        }
        /* root too: a read-only file system is EROFS */
        if (access(t->base, W_OK | X_OK) < 0) {
                r = -errno;
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "memory backing directory %s%s is not writable: %s",
                               t->base, what, strerror(-r));
                return r;
        }
        return 0;
}

static int prepare_for(const Domain *d, const DomainDef *live, char **ret, ConfError *err) {
        QemuMemoryDir t;
        int r;

        *ret = NULL;
        if (!qemu_memory_dir_needed(live))
                return 0;
        r = load(d, &t, err);
        if (r >= 0)
                r = check_base(&t, err);
        if (r >= 0)
                r = qemu_memory_dir_path(t.base, d->id, d->def->name, ret);
        return r;
}

int qemu_memory_dir_prepare(const Domain *d, char **ret, ConfError *err) {
        return prepare_for(d, d->live, ret, err);
}

static int make_dir(const Domain *d, const char *dir, uid_t uid, gid_t gid, ConfError *err) {
        int r = 0;

        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                r = -errno;
        else if (chown(dir, uid, gid) < 0 || chmod(dir, 0700) < 0)
                r = -errno;
        if (r < 0)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot make the memory backing directory %s of "
                               "domain '%s': %s", dir, d->def->name, strerror(-r));
        return r;
}

int qemu_memory_dir_make(const Domain *d, uid_t uid, gid_t gid, ConfError *err) {
        _cleanup_free_ char *dir = NULL;
        int r = qemu_memory_dir_prepare(d, &dir, err);

        return r < 0 || !dir ? r : make_dir(d, dir, uid, gid, err);
}

static json_object *find_object(json_object *objects, const char *id) {
        for (size_t i = 0; i < json_object_array_length(objects); i++) {
                json_object *o = json_object_array_get_idx(objects, i), *v;

                if (json_object_object_get_ex(o, "id", &v) && streq_ptr(json_object_get_string(v), id))
                        return o;
        }
        return NULL;
}

int qemu_memory_dir_plug(const Domain *d, const DomainDef *live, size_t index, json_object *objects,
                         ConfError *err) {
        const DomainMemoryDef *m = &live->mems[index];
        _cleanup_free_ char *dir = NULL, *path = NULL;
        Tristate discard = qemu_memory_discard(live, m->discard, m->node);
        char id[64], proc[32];
        struct stat st;
        json_object *o;
        int r;

        snprintf(id, sizeof(id), "mem%s", m->alias ?: "");
        o = find_object(objects, id);
        if (!o || !m->alias || !qemu_memdev_wants_dir_file(live, m))
                return 0;
        /* QEMU's user and group: its process's */
        snprintf(proc, sizeof(proc), "/proc/%d", (int) d->pid);
        if (stat(proc, &st) < 0)
                return -errno;
        r = prepare_for(d, live, &dir, err);
        if (r >= 0 && dir)
                r = make_dir(d, dir, st.st_uid, st.st_gid, err);
        if (r < 0 || !dir)
                return r;
        if (asprintf(&path, "%s/%s", dir, m->alias) < 0)
                return -ENOMEM;
        json_object_object_add(o, "qom-type", json_object_new_string("memory-backend-file"));
        json_object_object_add(o, "mem-path", json_object_new_string(path));
        if (discard != TRISTATE_ABSENT)
                json_object_object_add(o, "discard-data", json_object_new_boolean(discard == TRISTATE_ON));
        return 0;
}

void qemu_memory_dir_unplug(const Domain *d, const char *alias) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        QemuMemoryDir t;

        if (!alias || d->id < 0 || load(d, &t, NULL) < 0 ||
            qemu_memory_dir_path(t.base, d->id, d->def->name, &dir) < 0 || asprintf(&path, "%s/%s", dir, alias) < 0)
                return;
        if (unlink(path) < 0 && errno != ENOENT)
                log_warning("Cannot remove %s: %s", path, strerror(errno));
}

void qemu_memory_dir_remove(const Domain *d) {
        _cleanup_free_ char *dir = NULL;
        QemuMemoryDir t;
        int r;

        /* a qemud.conf gone bad since the start names no directory */
        if (d->id < 0 || load(d, &t, NULL) < 0 || qemu_memory_dir_path(t.base, d->id, d->def->name, &dir) < 0)
                return;
        /* QEMU's files only: it makes no directory there */
        r = remove_flat_dir(dir);
        if (r < 0)
                log_warning("Cannot remove %s: %s", dir, strerror(-r));
}
