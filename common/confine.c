/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "confine.h"
#include "util.h"

/* Every capability this kernel knows, from 0 up: the bounding set refuses
 * the first number past the last one. */
static int drop_bounding_set(bool keep_rawio) {
        for (unsigned long cap = 0;; cap++) {
                if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
                        return errno == EINVAL ? 0 : -errno;
                if (keep_rawio && cap == CAP_SYS_RAWIO)
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        return -errno;
        }
}

/* The inheritable set emptied, the permitted and effective ones kept for
 * what the child still does before exec (setgroups, setuid). */
static int clear_inheritable(bool keep_rawio) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

        if (syscall(SYS_capget, &h, data) < 0)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(data); i++)
                data[i].inheritable = 0;
        if (keep_rawio)
                data[CAP_TO_INDEX(CAP_SYS_RAWIO)].inheritable = CAP_TO_MASK(CAP_SYS_RAWIO);
        return syscall(SYS_capset, &h, data) < 0 ? -errno : 0;
}

int confine_child_after_setuid(unsigned flags) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
        unsigned i = CAP_TO_INDEX(CAP_SYS_RAWIO), mask = CAP_TO_MASK(CAP_SYS_RAWIO);

        if (!(flags & CONFINE_KEEP_RAWIO))
                return 0;
        /* kept through the setuid (PR_SET_KEEPCAPS), then through the exec
         * as an ambient capability: the one way a program without file
         * capabilities, of any user, starts with it */
        if (syscall(SYS_capget, &h, data) < 0)
                return -errno;
        data[i].permitted |= mask;
        data[i].effective |= mask;
        data[i].inheritable |= mask;
        if (syscall(SYS_capset, &h, data) < 0)
                return -errno;
        return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_RAWIO, 0, 0) < 0 ? -errno : 0;
}

int confine_child(unsigned flags) {
        int r;

        bool rawio = flags & CONFINE_KEEP_RAWIO;

        if (flags & CONFINE_DROP_CAPS) {
                r = drop_bounding_set(rawio);
                if (r >= 0)
                        r = clear_inheritable(rawio);
                if (r < 0)
                        return r;
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                        return -errno;
        }
        if (rawio && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return -errno;
        if ((flags & CONFINE_NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

void confine_conf_init(ConfineConf *c) {
        *c = (ConfineConf) { .seccomp_sandbox = 1, .clear_caps = true, .mount_ns = true };
}

/* libvirt's list syntax, [ "mount" ] or [], "mount" the one name known. */
static int parse_namespaces(const char *value, bool *ret) {
        _cleanup_free_ char *copy = strdup(value);
        char *p, *end, *save = NULL;
        bool mount = false;

        if (!copy)
                return -ENOMEM;
        p = copy + strspn(copy, " \t");
        end = p + strlen(p);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
        if (*p != '[' || end == p || end[-1] != ']')
                return -EINVAL;
        end[-1] = 0;
        for (char *item = strtok_r(p + 1, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                size_t n;

                item += strspn(item, " \t");
                if (!*item)
                        continue;       /* "[ ]" */
                n = strcspn(item, " \t");
                if (item[n + strspn(item + n, " \t")])
                        return -EINVAL;
                item[n] = 0;
                if (!streq(item, "\"mount\"") && !streq(item, "'mount'"))
                        return -EINVAL;
                mount = true;
        }
        *ret = mount;
        return 0;
}

int confine_conf_apply(void *userdata, const char *key, const char *value) {
        ConfineConf *c = userdata;

        if (streq(key, "seccomp_sandbox")) {
                if (streq(value, "-1") || streq(value, "0") || streq(value, "1")) {
                        c->seccomp_sandbox = atoi(value);
                        return 0;
                }
        } else if (streq(key, "clear_emulator_capabilities")) {
                if (streq(value, "0") || streq(value, "1")) {
                        c->clear_caps = streq(value, "1");
                        return 0;
                }
        } else if (streq(key, "namespaces")) {
                int r = parse_namespaces(value, &c->mount_ns);

                if (r != -EINVAL)
                        return r;
                snprintf(c->bad, sizeof(c->bad), "%s = %s ([ \"mount\" ] or [])", key, value);
                return r;
        } else
                return 0;
        snprintf(c->bad, sizeof(c->bad), "%s = %s (0 or 1%s)", key, value,
                 streq(key, "seccomp_sandbox") ? ", or -1" : "");
        return -EINVAL;
}

unsigned confine_conf_flags(const ConfineConf *c) {
        return CONFINE_NO_NEW_PRIVS | (c->clear_caps ? CONFINE_DROP_CAPS : 0) | (c->mount_ns ? CONFINE_MOUNT_NS : 0);
}
