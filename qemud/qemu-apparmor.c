/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <sys/stat.h>

#include "apparmor-load.h"
#include "log.h"
#include "manager.h"
#include "qemu-apparmor.h"
#include "qemu-confine.h"
#include "qemu-domain.h"
#include "qemu-hostdev-nodes.h"
#include "qemu-hugepages.h"
#include "qemu-memory-dir.h"
#include "qemu-process-internal.h"
#include "util.h"

/* The guest's own apparmor label, or a model-less one when AppArmor is
 * the primary driver. */
static const DomainSeclabelDef *find_label(SecurityModel primary, const DomainDef *def) {
        const DomainSeclabelDef *s = domain_seclabel_find(def->seclabels, def->n_seclabels, "apparmor");

        for (size_t i = 0; !s && primary == SECURITY_MODEL_APPARMOR && i < def->n_seclabels; i++)
                if (!def->seclabels[i].model)
                        s = &def->seclabels[i];
        return s;
}

int qemu_apparmor_plan(SecurityModel primary, bool enabled, const DomainDef *def, QemuAppArmorPlan *ret) {
        const DomainSeclabelDef *s = find_label(primary, def);
        char name[APPARMOR_PROFILE_NAME_MAX];

        *ret = (QemuAppArmorPlan) {};
        if (primary != SECURITY_MODEL_APPARMOR && !s)
                return 0;
        if (!enabled)
                return -EOPNOTSUPP;
        if (s && domain_seclabel_type(s) == DOMAIN_SECLABEL_NONE)
                return 0;
        if (s && domain_seclabel_type(s) == DOMAIN_SECLABEL_STATIC) {
                if (!s->label || strlen(s->label) >= sizeof(ret->name))
                        return -EINVAL;
                ret->confine = true;
                strcpy(ret->name, s->label);
                return 0;
        }
        ret->confine = ret->generate = true;
        strcpy(ret->name, apparmor_profile_name(def->uuid, name));
        return 0;
}

/* The loaded profiles' files, for their removal (apparmor-load.h). */
static int profile_dir(const Domain *d, char **ret) {
        return asprintf(ret, "%s/apparmor", d->manager->rundir) < 0 ? -ENOMEM : 0;
}

static int profile_path(const Domain *d, const char *name, char **ret) {
        return asprintf(ret, "%s/apparmor/%s", d->manager->rundir, name) < 0 ? -ENOMEM : 0;
}

static char *resolve(const char *path, void *userdata) {
        return realpath(path, NULL);
}

/* extra and the nodes of the guest's host devices and TPM
 * (qemu-hostdev-nodes.h), which QEMU opens rw as libvirt's profiles let it. */
static int extra_with_hostdevs(const DomainDef *def, char *const *extra, char ***ret) {
        _cleanup_strv_free_ char **l = NULL, **nodes = NULL;
        int r = qemu_hostdev_nodes(def, qemu_hostdev_sysfs_root(), &nodes);

        for (size_t i = 0; r >= 0 && extra && extra[i]; i++)
                r = strv_extend(&l, extra[i]);
        for (size_t i = 0; r >= 0 && nodes && nodes[i]; i++)
                r = strv_extend(&l, nodes[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* The profile's text for the live definition, extra paths with rw. */
static int build(Domain *d, char *const *extra, char **ret, ConfError *err) {
        _cleanup_free_ char *pidfile = NULL, *dir = NULL, *huge = NULL, *mem = NULL;
        _cleanup_strv_free_ char **rw = NULL;
        const char *dirs[2];
        AppArmorRunPaths run = {
                .monitor = qemu_domain(d)->monitor_path,
                .resolve = resolve,
        };

        if (extra_with_hostdevs(d->live, extra, &rw) < 0)
                return -ENOMEM;
        run.extra_rw = (const char *const *) rw;
        run.n_extra_rw = strv_length(rw);
        if (status_path(d, ".pid", &pidfile) < 0 || qemu_confine_dir(d, &dir) < 0)
                return -ENOMEM;
        run.pidfile = pidfile;
        run.rundir = dir;
        if (d->live->memory_backing.hugepages) {
                huge = qemu_hugepages_dir(d->live->memory_backing.n_pages ?
                                          d->live->memory_backing.pages[0].size_kib : 0);
                if (huge)
                        dirs[run.n_hugepage_dirs++] = huge;
        }
        /* the guest's RAM files of qemu-memory-dir.h, as hugetlbfs's */
        if (qemu_memory_dir_prepare(d, &mem, NULL) >= 0 && mem)
                dirs[run.n_hugepage_dirs++] = mem;
        run.hugepage_dirs = dirs;
        return apparmor_profile_build(d->live, &run, ret, err);
}

static int load(Domain *d, const QemuAppArmorPlan *p, char *const *extra, ConfError *err) {
        static const AppArmorLoader loader = {};
        _cleanup_free_ char *text = NULL, *path = NULL, *dir = NULL;
        int r = build(d, extra, &text, err);

        if (r < 0)
                return r;
        r = profile_dir(d, &dir);
        if (r >= 0)
                r = profile_path(d, p->name, &path);
        if (r >= 0)
                r = mkdir_p(dir, 0755);
        if (r >= 0)
                r = apparmor_profile_load(&loader, path, text, err->message, sizeof(err->message));
        if (r < 0 && !err->name)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot load the AppArmor profile %s of domain '%s'%s%s",
                               p->name, d->def->name, err->message[0] ? ": " : "", err->message);
        return r;
}

int qemu_apparmor_start(Domain *d, SecurityModel primary, ConfError *err) {
        QemuAppArmorPlan p;
        int r = qemu_apparmor_plan(primary, apparmor_enabled(), d->live, &p);

        if (r < 0) {
                conf_error_set(err, r == -EINVAL ? VB_ERROR_INVALID_ARG : VB_ERROR_CONFIG_UNSUPPORTED,
                               r == -EINVAL ? "invalid argument: a static apparmor label of domain '%s' needs <label>"
                                            : "unsupported configuration: AppArmor is not enabled on this host "
                                              "(domain '%s')", d->def->name);
                return r;
        }
        return p.generate ? load(d, &p, NULL, err) : 0;
}

int qemu_apparmor_exec_plan(Domain *d, SecurityModel primary, QemuAppArmorPlan *plan) {
        return qemu_apparmor_plan(primary, apparmor_enabled(), d->live, plan);
}

int qemu_apparmor_reload(Domain *d, SecurityModel primary, char *const *extra, char *msg, size_t size) {
        QemuAppArmorPlan p;
        ConfError err = {};
        int r;

        if (!d->live || qemu_apparmor_plan(primary, apparmor_enabled(), d->live, &p) < 0 || !p.generate)
                return 0;
        r = load(d, &p, extra, &err);
        if (r < 0)
                snprintf(msg, size, "%s", err.message);
        return r;
}

/* Whatever the settings say now: a profile file left by a start is ours. */
void qemu_apparmor_stop(Domain *d) {
        static const AppArmorLoader loader = {};
        char name[APPARMOR_PROFILE_NAME_MAX], msg[256];
        _cleanup_free_ char *path = NULL;

        if (profile_path(d, apparmor_profile_name(d->def->uuid, name), &path) < 0 || access(path, F_OK) < 0)
                return;
        if (apparmor_profile_remove(&loader, path, msg, sizeof(msg)) < 0)
                log_warning("Cannot remove the AppArmor profile %s of %s: %s", name, d->def->name, msg);
}
