/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A container's AppArmor profile and machined registration (lxc-security.h). */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apparmor-load.h"
#include "apparmor-profile.h"
#include "cgroup.h"
#include "conf-file.h"
#include "domain-manager.h"
#include "log.h"
#include "lxc-domain.h"
#include "lxc-security.h"
#include "machined.h"
#include "security-manager.h"
#include "util.h"

typedef struct LxcSecurityConf {
        SecurityConf sec;
        bool skip_kernel_load;
        char *include_dir;
        char bad[160];
} LxcSecurityConf;

static int apply(void *userdata, const char *key, const char *value) {
        LxcSecurityConf *c = userdata;

        if (streq(key, "apparmor_skip_kernel_load")) {
                if (!streq(value, "0") && !streq(value, "1")) {
                        snprintf(c->bad, sizeof(c->bad), "%s = %s (0 or 1)", key, value);
                        return -EINVAL;
                }
                c->skip_kernel_load = streq(value, "1");
                return 0;
        }
        if (streq(key, "apparmor_include_dir")) {
                free(c->include_dir);
                c->include_dir = strdup(value);
                return c->include_dir ? 0 : -ENOMEM;
        }
        return security_conf_apply(&c->sec, key, value);
}

static int load_conf(Domain *d, LxcSecurityConf *c, ConfError *err) {
        const char *dir = d->manager->paths.confdir;
        int r;

        *c = (LxcSecurityConf){};
        security_conf_init(&c->sec);
        r = conf_load_file(dir, "lxcd.conf", apply, c);
        if (r < 0)
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "%s/lxcd.conf: bad setting %s", dir,
                               c->bad[0] ? c->bad : c->sec.bad[0] ? c->sec.bad : strerror(-r));
        return r;
}

/* The container's AppArmor label: its own, or a model-less one when
 * AppArmor is the primary driver. NULL: none asked for. */
static const DomainSeclabelDef *apparmor_label(const LxcSecurityConf *c, const DomainDef *def, bool *ret_asked) {
        const DomainSeclabelDef *s = domain_seclabel_find(def->seclabels, def->n_seclabels, "apparmor");

        for (size_t i = 0; !s && c->sec.primary == SECURITY_MODEL_APPARMOR && i < def->n_seclabels; i++)
                if (!def->seclabels[i].model)
                        s = &def->seclabels[i];
        *ret_asked = s || c->sec.primary == SECURITY_MODEL_APPARMOR;
        return s;
}

static int profile_path(const Domain *d, const char *name, char **ret) {
        return asprintf(ret, "%s/apparmor/%s", d->manager->rundir, name) < 0 ? -ENOMEM : 0;
}

/* Generated, then loaded (or only checked): 0 or -errno with err set. */
static int load_profile(Domain *d, const LxcSecurityConf *c, const char *name, ConfError *err) {
        AppArmorLoader loader = { .include_dir = c->include_dir, .skip_kernel_load = c->skip_kernel_load };
        _cleanup_free_ char *text = NULL, *path = NULL, *dir = NULL;
        int r = apparmor_profile_build(d->live, NULL, &text, err);

        if (r < 0)
                return r;
        if (asprintf(&dir, "%s/apparmor", d->manager->rundir) < 0 || profile_path(d, name, &path) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r >= 0)
                r = apparmor_profile_load(&loader, path, text, err->message, sizeof(err->message));
        if (r < 0)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot load the AppArmor profile %s of '%s'%s%s", name,
                               d->def->name, err->message[0] ? ": " : "", err->message);
        return r;
}

int lxc_security_prepare(Domain *d, LxcPlan *plan, ConfError *err) {
        _cleanup_free_ char *include_dir = NULL;
        char name[256]; /* a static label's, or libvirt-<uuid> */
        const DomainSeclabelDef *s;
        LxcSecurityConf c;
        bool asked;
        int r = load_conf(d, &c, err);

        include_dir = c.include_dir;
        if (r < 0)
                return r;
        s = apparmor_label(&c, d->live, &asked);
        if (!asked || (s && domain_seclabel_type(s) == DOMAIN_SECLABEL_NONE))
                return 0;
        if (!apparmor_enabled() && !c.skip_kernel_load) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: AppArmor is not enabled "
                               "on this host (security_driver or <seclabel model='apparmor'> of '%s')", d->def->name);
                return -EOPNOTSUPP;
        }
        if (s && domain_seclabel_type(s) == DOMAIN_SECLABEL_STATIC) {
                if (!s->label || strlen(s->label) >= sizeof(name)) {
                        conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: the static AppArmor <seclabel> of "
                                       "'%s' has %s <label>", d->def->name, s->label ? "too long a" : "no");
                        return -EINVAL;
                }
                strcpy(name, s->label);
        } else if ((r = load_profile(d, &c, apparmor_profile_name(d->live->uuid, name), err)) < 0)
                return r;
        /* only checked: nothing to exec under */
        if (c.skip_kernel_load && !apparmor_enabled())
                return 0;
        plan->apparmor = strdup(name); /* the static label, or the profile made */
        return plan->apparmor ? 0 : -ENOMEM;
}

/* The host ends of its veths, its root directory (a bind-mounted '/'). */
static void add_host_parts(MachineReg *r, const DomainDef *def) {
        for (size_t i = 0; i < def->n_nets; i++)
                if (def->nets[i].ifname)
                        machined_reg_add_if(r, (int) if_nametoindex(def->nets[i].ifname));
        for (size_t i = 0; i < def->n_filesystems; i++)
                if (def->filesystems[i].type == DOMAIN_FS_MOUNT && streq_ptr(def->filesystems[i].dst, "/") &&
                    def->filesystems[i].src)
                        snprintf(r->root, sizeof(r->root), "%s", def->filesystems[i].src);
}

void lxc_security_running(Domain *d) {
        MachineReg r;
        int k;

        if (!d->live || d->pid <= 0)
                return;
        k = machined_reg_init(&r, "lxc", d->id, d->def->name, d->live->uuid, d->pid, d->manager->paths.root);
        if (k >= 0) {
                add_host_parts(&r, d->live);
                k = machined_register(d->manager->bus, &r);
        }
        if (k < 0)
                log_debug("Container %s: not registered with systemd-machined: %s", d->def->name, strerror(-k));
}

static void unload_profile(Domain *d) {
        char name[APPARMOR_PROFILE_NAME_MAX], msg[256] = "";
        _cleanup_free_ char *path = NULL;
        const AppArmorLoader loader = {};

        if (!d->live || profile_path(d, apparmor_profile_name(d->live->uuid, name), &path) < 0 ||
            access(path, F_OK) < 0)
                return;
        if (!apparmor_enabled()) {
                (void) unlink(path); /* only checked, never loaded */
                return;
        }
        if (apparmor_profile_remove(&loader, path, msg, sizeof(msg)) < 0)
                log_warning("Container %s: cannot unload its AppArmor profile %s: %s", d->def->name, name, msg);
}

void lxc_security_stop(Domain *d) {
        _cleanup_free_ char *name = NULL;

        unload_profile(d);
        if (d->id < 0)
                return;
        name = cgroup_machine_name("lxc", d->id, d->def->name);
        if (name)
                (void) machined_terminate(d->manager->bus, name);
}
