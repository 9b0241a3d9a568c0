/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The security models, their settings and the DAC label syntax. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apparmor-load.h"
#include "security-manager.h"
#include "util.h"
#include "xml-util.h"

static const char *const model_table[_SECURITY_MODEL_MAX] = {
        [SECURITY_MODEL_NONE] = "none",
        [SECURITY_MODEL_DAC] = "dac",
        [SECURITY_MODEL_SELINUX] = "selinux",
        [SECURITY_MODEL_APPARMOR] = "apparmor",
};

const char *security_model_to_string(SecurityModel m) {
        return m >= 0 && m < _SECURITY_MODEL_MAX ? model_table[m] : NULL;
}

int security_model_from_string(const char *s) {
        for (int i = 0; s && i < _SECURITY_MODEL_MAX; i++)
                if (streq(s, model_table[i]))
                        return i;
        return -1;
}

bool security_model_available(SecurityModel m) {
        switch (m) {
        case SECURITY_MODEL_NONE:
        case SECURITY_MODEL_DAC:
                return true;
        case SECURITY_MODEL_SELINUX:
                /* selinuxfs is there only when the kernel runs SELinux */
                return access("/sys/fs/selinux/enforce", R_OK) == 0;
        case SECURITY_MODEL_APPARMOR:
                return apparmor_enabled();
        default:
                return false;
        }
}

void security_conf_init(SecurityConf *c) {
        *c = (SecurityConf) {
                .user = 0,
                .group = 0,
                .dynamic_ownership = true,
                .remember_owner = true,
                .primary = SECURITY_MODEL_NONE,
        };
}

/* "+N" is a number whatever names exist; else a name, or a plain number
 * as libvirt also takes. */
static int parse_id(const char *s, bool group, unsigned *ret) {
        uint64_t v;

        if (!s || !*s)
                return -EINVAL;
        if (*s == '+') {
                if (safe_atou64(s + 1, &v) < 0 || v >= (uint32_t) -1)
                        return -EINVAL;
                *ret = (unsigned) v;
                return 0;
        }
        if (group) {
                struct group *g = getgrnam(s);
                if (g) {
                        *ret = g->gr_gid;
                        return 0;
                }
        } else {
                struct passwd *p = getpwnam(s);
                if (p) {
                        *ret = p->pw_uid;
                        return 0;
                }
        }
        if (safe_atou64(s, &v) == 0 && v < (uint32_t) -1) {
                *ret = (unsigned) v;
                return 0;
        }
        return -ESRCH;
}

static int parse_bool_setting(const char *value, bool *ret) {
        if (streq(value, "1"))
                *ret = true;
        else if (streq(value, "0"))
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

int security_conf_apply(void *userdata, const char *key, const char *value) {
        SecurityConf *c = userdata;
        unsigned id;
        int r = 0, m;

        if (streq(key, "user")) {
                r = parse_id(value, false, &id);
                if (r >= 0)
                        c->user = id;
        } else if (streq(key, "group")) {
                r = parse_id(value, true, &id);
                if (r >= 0)
                        c->group = id;
        } else if (streq(key, "dynamic_ownership"))
                r = parse_bool_setting(value, &c->dynamic_ownership);
        else if (streq(key, "remember_owner"))
                r = parse_bool_setting(value, &c->remember_owner);
        else if (streq(key, "security_driver")) {
                m = security_model_from_string(value);
                if (m != SECURITY_MODEL_NONE && m != SECURITY_MODEL_SELINUX && m != SECURITY_MODEL_APPARMOR)
                        r = -EINVAL;
                else
                        c->primary = m;
        }
        if (r < 0) {
                snprintf(c->bad, sizeof(c->bad), "%s = %s%s", key, value,
                         r == -ESRCH ? " (no such user or group)" : "");
                return -EINVAL;
        }
        return 0;
}

int security_dac_parse_label(const char *label, uid_t *ret_uid, gid_t *ret_gid) {
        _cleanup_free_ char *copy = label ? strdup(label) : NULL;
        char *colon;
        unsigned u, g;
        int r;

        if (!copy)
                return label ? -ENOMEM : -EINVAL;
        colon = strchr(copy, ':');
        if (!colon)
                return -EINVAL;
        *colon = 0;
        r = parse_id(copy, false, &u);
        if (r >= 0)
                r = parse_id(colon + 1, true, &g);
        if (r < 0)
                return r;
        *ret_uid = u;
        *ret_gid = g;
        return 0;
}

void security_dac_format_label(uid_t uid, gid_t gid, char *buf, size_t size) {
        snprintf(buf, size, "+%u:+%u", (unsigned) uid, (unsigned) gid);
}

void security_format_secmodels(XmlWriter *w, const SecurityConf *c) {
        static const char *const types[] = { "kvm", "qemu" };
        char label[32];

        xw_start(w, "secmodel");
        xw_element(w, "model", security_model_to_string(c->primary));
        xw_element(w, "doi", "0");
        xw_end(w);
        security_dac_format_label(c->user, c->group, label, sizeof(label));
        xw_start(w, "secmodel");
        xw_element(w, "model", "dac");
        xw_element(w, "doi", "0");
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                xw_start(w, "baselabel");
                xw_attr(w, "type", types[i]);
                xw_text(w, label);
                xw_end(w);
        }
        xw_end(w);
}
