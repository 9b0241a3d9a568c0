/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/resource.h>
#include <stdarg.h>

#include "error.h"
#include "util.h"

static const VbErrorInfo table[] = {
        { VB_ERROR_INTERNAL,            EPROTO,      1 },
        { VB_ERROR_NO_MEMORY,           ENOMEM,      2 },
        { VB_ERROR_NOT_SUPPORTED,       EOPNOTSUPP,  67 }, /* CONFIG_UNSUPPORTED: the XML asks for what we do not model */
        { VB_ERROR_INVALID_ARG,         EINVAL,      8 },
        { VB_ERROR_OPERATION_FAILED,    EIO,         9 },
        { VB_ERROR_XML,                 EBADMSG,     27 },
        { VB_ERROR_DOMAIN_EXISTS,       EEXIST,      28 },
        { VB_ERROR_OPERATION_DENIED,    EPERM,       29 },
        { VB_ERROR_NETWORK_EXISTS,      EEXIST,      37 },
        { VB_ERROR_SYSTEM,              EIO,         38 },
        { VB_ERROR_NO_DOMAIN,           ENOENT,      42 },
        { VB_ERROR_NO_NETWORK,          ENOENT,      43 },
        { VB_ERROR_INVALID_MAC,         EINVAL,      44 },
        { VB_ERROR_NO_STORAGE_POOL,     ENOENT,      49 },
        { VB_ERROR_NO_STORAGE_VOL,      ENOENT,      50 },
        { VB_ERROR_OPERATION_INVALID,   EBADFD,      55 },
        { VB_ERROR_CONFIG_UNSUPPORTED,  EOPNOTSUPP,  67 },
        { VB_ERROR_OPERATION_TIMEOUT,   ETIMEDOUT,   68 },
        { VB_ERROR_OPERATION_ABORTED,   ECANCELED,   78 },
        { VB_ERROR_OVERFLOW,            ERANGE,      82 },
        { VB_ERROR_RESOURCE_BUSY,       EBUSY,       87 },
        { VB_ERROR_ACCESS_DENIED,       EACCES,      88 },
        { VB_ERROR_STORAGE_POOL_EXISTS, EEXIST,      9 },  /* libvirt says OPERATION_FAILED "pool already exists" */
        { VB_ERROR_STORAGE_VOL_EXISTS,  EEXIST,      90 },
        { VB_ERROR_NO_LEASE,            ENOENT,      9 },
        { VB_ERROR_NO_LOG,              ENOENT,      9 },
        { VB_ERROR_NO_DOMAIN_METADATA,  ENODATA,     80 },
        { VB_ERROR_NO_DOMAIN_SNAPSHOT,  ENOENT,      72 },
        { VB_ERROR_ARGUMENT_UNSUPPORTED, EOPNOTSUPP, 74 },
        { VB_ERROR_AGENT_UNRESPONSIVE,  ENOTCONN,    86 },
        { VB_ERROR_OPERATION_UNSUPPORTED, EOPNOTSUPP, 84 },
        { VB_ERROR_NO_SECRET,           ENOENT,      66 },
        { VB_ERROR_INVALID_SECRET,      EACCES,      65 },
};

const VbErrorInfo *vb_error_table(size_t *n) {
        *n = ELEMENTSOF(table);
        return table;
}

const VbErrorInfo *vb_error_lookup(const char *name) {
        if (!name)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(table[i].name, name))
                        return &table[i];
        return NULL;
}

int vb_error_domain_for_daemon(const char *bus_name) {
        static const struct {
                const char *name;
                int domain;
        } map[] = {
                { "org.virtbus.qemud", LIBVIRT_FROM_QEMU },
                { "org.virtbus.lxcd", LIBVIRT_FROM_LXC },
                { "org.virtbus.storaged", LIBVIRT_FROM_STORAGE },
                { "org.virtbus.networkd", LIBVIRT_FROM_NETWORK },
                { "org.virtbus.lockd", LIBVIRT_FROM_LOCKING },
                { "org.virtbus.logd", LIBVIRT_FROM_LOGGING },
                { "org.virtbus.secretd", LIBVIRT_FROM_SECRET },
        };
        for (size_t i = 0; bus_name && i < ELEMENTSOF(map); i++)
                if (streq(map[i].name, bus_name))
                        return map[i].domain;
        return LIBVIRT_FROM_NONE;
}

int vb_error_register_map(void) {
        static sd_bus_error_map map[ELEMENTSOF(table) + 1];

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                map[i] = (sd_bus_error_map) SD_BUS_ERROR_MAP(table[i].name, table[i].errnum);
        map[ELEMENTSOF(table)] = (sd_bus_error_map) SD_BUS_ERROR_MAP_END;
        return sd_bus_error_add_map(map);
}

int vb_error_setf(sd_bus_error *e, const char *name, const char *fmt, ...) {
        const VbErrorInfo *info = vb_error_lookup(name);
        char buf[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        /* A value cut short in the message must not cost the reply. */
        utf8_sanitize(buf);
        sd_bus_error_set(e, name, buf);
        return -(info ? info->errnum : EIO);
}

const char *errno_text(int err, const char *holders, char buf[static ERRNO_TEXT_MAX]) {
        const char *who = program_invocation_short_name;
        struct rlimit rl;

        if (strncmp(who, "virtbus-", 8) == 0)
                who += 8;
        err = abs(err);
        if (err == EMFILE && getrlimit(RLIMIT_NOFILE, &rl) == 0)
                snprintf(buf, ERRNO_TEXT_MAX, "too many open files: %s has reached its limit of %llu (RLIMIT_NOFILE; %s)",
                         who, (unsigned long long) rl.rlim_cur, holders);
        else if (err == ENFILE)
                snprintf(buf, ERRNO_TEXT_MAX, "too many open files in the system (ENFILE, fs.file-max)");
        else
                snprintf(buf, ERRNO_TEXT_MAX, "%s", strerror(err));
        return buf;
}
