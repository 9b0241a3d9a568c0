/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vxhs and sheepdog disks at start: the block driver check and vxhs's TLS
 * settings (qemu-disk-legacy.h). */
#include <errno.h>
#include <stdio.h>

#include "conf-file.h"
#include "qemu-disk-legacy.h"
#include "qemu-disk-tls.h"
#include "util.h"

int qemu_vxhs_tls_apply(void *userdata, const char *key, const char *value) {
        QemuVxhsTls *t = userdata;

        if (streq(key, "vxhs_tls")) {
                if (streq(value, "0") || streq(value, "1")) {
                        t->enabled = streq(value, "1");
                        return 0;
                }
                snprintf(t->bad, sizeof(t->bad), "vxhs_tls = %.100s (0 or 1)", value);
                return -EINVAL;
        }
        if (!streq(key, "vxhs_tls_x509_cert_dir"))
                return 0;
        if (value[0] != '/' || strlen(value) >= sizeof(t->dir)) {
                snprintf(t->bad, sizeof(t->bad), "vxhs_tls_x509_cert_dir = %.200s (an absolute path)", value);
                return -EINVAL;
        }
        snprintf(t->dir, sizeof(t->dir), "%s", value);
        return 0;
}

int qemu_vxhs_tls_params(const char *confdir, QemuVxhsTls *t, QemuCommandParams *params, ConfError *err) {
        int r;

        *t = (QemuVxhsTls) {};
        snprintf(t->dir, sizeof(t->dir), "%s", QEMU_DISK_TLS_DIR_DEFAULT);
        r = conf_load_file(confdir, "qemud.conf", qemu_vxhs_tls_apply, t);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "%s/qemud.conf: bad setting %s", confdir,
                               t->bad[0] ? t->bad : strerror(-r));
                return r;
        }
        params->vxhs_tls = t->enabled;
        params->vxhs_tls_dir = t->dir;
        return 0;
}

/* QEMU's driver name is the protocol's for these two. */
static int check_source(const DomainDiskNetSource *s, const char *what, const QemuCaps *caps, ConfError *err) {
        const char *proto;

        if (!s || (s->protocol != DOMAIN_DISK_PROTOCOL_VXHS && s->protocol != DOMAIN_DISK_PROTOCOL_SHEEPDOG))
                return 0;
        proto = domain_disk_protocol_to_string(s->protocol);
        if (qemu_caps_has_blockdev_driver(caps, proto))
                return 0;
        conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: %s: network protocol '%s' is not "
                       "supported with this QEMU binary: %s has no '%s' block driver", what, proto,
                       caps && caps->binary ? caps->binary : "QEMU", proto);
        return -EOPNOTSUPP;
}

int qemu_disk_drivers_check(const DomainDef *def, const QemuCaps *caps, ConfError *err) {
        char what[128];
        int r = 0;

        for (size_t i = 0; r >= 0 && i < def->n_disks; i++) {
                const DomainDiskDef *d = &def->disks[i];

                snprintf(what, sizeof(what), "disk '%s'", d->dst);
                r = check_source(d->net, what, caps, err);
                for (size_t k = 0; r >= 0 && k < d->n_backing; k++)
                        r = check_source(d->backing[k].net, what, caps, err);
        }
        if (r >= 0 && def->os.nvram_net)
                r = check_source(def->os.nvram_net->net, "<os><nvram>", caps, err);
        return r;
}
