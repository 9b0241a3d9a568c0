/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NBD disk TLS settings and the start-time check of its certificates. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-file.h"
#include "qemu-disk-tls.h"
#include "util.h"

void qemu_disk_tls_init(QemuDiskTls *t) {
        *t = (QemuDiskTls) {};
        snprintf(t->dir, sizeof(t->dir), "%s", QEMU_DISK_TLS_DIR_DEFAULT);
}

int qemu_disk_tls_apply(void *userdata, const char *key, const char *value) {
        QemuDiskTls *t = userdata;

        if (streq(key, "nbd_tls")) {
                if (streq(value, "0") || streq(value, "1")) {
                        t->enabled = streq(value, "1");
                        return 0;
                }
                snprintf(t->bad, sizeof(t->bad), "nbd_tls = %.100s (0 or 1)", value);
                return -EINVAL;
        }
        if (!streq(key, "nbd_tls_x509_cert_dir"))
                return 0;
        if (value[0] != '/' || strlen(value) >= sizeof(t->dir)) {
                snprintf(t->bad, sizeof(t->bad), "nbd_tls_x509_cert_dir = %.200s (an absolute path)", value);
                return -EINVAL;
        }
        snprintf(t->dir, sizeof(t->dir), "%s", value);
        return 0;
}

int qemu_disk_tls_load(const char *confdir, QemuDiskTls *t, ConfError *err) {
        int r;

        qemu_disk_tls_init(t);
        r = conf_load_file(confdir, "qemud.conf", qemu_disk_tls_apply, t);
        if (r < 0)
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "%s/qemud.conf: bad setting %s", confdir,
                               t->bad[0] ? t->bad : strerror(-r));
        return r;
}

bool qemu_disk_tls_wanted(const DomainDiskNetSource *s, bool enabled) {
        if (!s || s->protocol != DOMAIN_DISK_PROTOCOL_NBD || s->tls == TRISTATE_OFF)
                return false;
        return s->tls == TRISTATE_ON || enabled;
}

/* QEMU's client loads ca-cert.pem; client-cert.pem and client-key.pem
 * only if they are there (a server may not ask for them). */
static int check_source(const QemuDiskTls *t, const DomainDiskNetSource *s, ConfError *err) {
        char path[sizeof(t->dir) + 32];
        struct stat st;

        if (!qemu_disk_tls_wanted(s, t->enabled))
                return 0;
        if (stat(t->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "NBD disk TLS certificate directory %s "
                               "(nbd_tls_x509_cert_dir in qemud.conf) is missing", t->dir);
                return -ENOENT;
        }
        snprintf(path, sizeof(path), "%s/ca-cert.pem", t->dir);
        if (access(path, R_OK) == 0)
                return 0;
        conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "NBD disk TLS certificate %s "
                       "(nbd_tls_x509_cert_dir in qemud.conf) is missing", path);
        return -ENOENT;
}

int qemu_disk_tls_check(const QemuDiskTls *t, const DomainDef *def, ConfError *err) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < def->n_disks; i++) {
                r = check_source(t, def->disks[i].net, err);
                for (size_t k = 0; r >= 0 && k < def->disks[i].n_backing; k++)
                        r = check_source(t, def->disks[i].backing[k].net, err);
        }
        if (r >= 0 && def->os.nvram_net)
                r = check_source(t, def->os.nvram_net->net, err);
        return r;
}
