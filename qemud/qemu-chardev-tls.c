/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Chardev TLS settings and the start-time checks of its certificates. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-file.h"
#include "qemu-chardev-tls.h"
#include "util.h"

void qemu_chardev_tls_init(QemuChardevTls *t) {
        *t = (QemuChardevTls) { .verify = true };
        snprintf(t->dir, sizeof(t->dir), "%s", QEMU_CHARDEV_TLS_DIR_DEFAULT);
}

static int parse_bool(QemuChardevTls *t, const char *key, const char *value, bool *ret) {
        if (streq(value, "0") || streq(value, "1")) {
                *ret = streq(value, "1");
                return 0;
        }
        snprintf(t->bad, sizeof(t->bad), "%s = %.100s (0 or 1)", key, value);
        return -EINVAL;
}

int qemu_chardev_tls_apply(void *userdata, const char *key, const char *value) {
        QemuChardevTls *t = userdata;

        if (streq(key, "chardev_tls"))
                return parse_bool(t, key, value, &t->enabled);
        if (streq(key, "chardev_tls_x509_verify"))
                return parse_bool(t, key, value, &t->verify);
        if (!streq(key, "chardev_tls_x509_cert_dir"))
                return 0;
        if (value[0] != '/' || strlen(value) >= sizeof(t->dir)) {
                snprintf(t->bad, sizeof(t->bad), "chardev_tls_x509_cert_dir = %.200s (an absolute path)", value);
                return -EINVAL;
        }
        snprintf(t->dir, sizeof(t->dir), "%s", value);
        return 0;
}

int qemu_chardev_tls_load(const char *confdir, QemuChardevTls *t, ConfError *err) {
        int r;

        qemu_chardev_tls_init(t);
        r = conf_load_file(confdir, "qemud.conf", qemu_chardev_tls_apply, t);
        if (r < 0)
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "%s/qemud.conf: bad setting %s", confdir,
                               t->bad[0] ? t->bad : strerror(-r));
        return r;
}

bool qemu_chardev_tls_wanted(const DomainChrDef *chr, bool enabled) {
        if (!chr || chr->type != DOMAIN_CHR_TCP || chr->tls == TRISTATE_OFF)
                return false;
        return chr->tls == TRISTATE_ON || enabled;
}

static int check_file(const QemuChardevTls *t, const char *file, ConfError *err) {
        char path[sizeof(t->dir) + 32];

        snprintf(path, sizeof(path), "%s/%s", t->dir, file);
        if (access(path, R_OK) == 0)
                return 0;
        conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "chardev TLS certificate %s "
                       "(chardev_tls_x509_cert_dir in qemud.conf) is missing", path);
        return -ENOENT;
}

static int check_one(const QemuChardevTls *t, const DomainChrDef *chr, ConfError *err) {
        struct stat st;
        int r;

        if (!qemu_chardev_tls_wanted(chr, t->enabled))
                return 0;
        if (stat(t->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "chardev TLS certificate directory %s "
                               "(chardev_tls_x509_cert_dir in qemud.conf) is missing", t->dir);
                return -ENOENT;
        }
        r = check_file(t, "ca-cert.pem", err);
        if (r >= 0 && chr->listen)
                r = check_file(t, "server-cert.pem", err);
        if (r >= 0 && chr->listen)
                r = check_file(t, "server-key.pem", err);
        return r;
}

int qemu_chardev_tls_check(const QemuChardevTls *t, const DomainDef *def, ConfError *err) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < def->n_chrs; i++)
                r = check_one(t, &def->chrs[i], err);
        for (size_t i = 0; r >= 0 && i < def->n_redirdevs; i++)
                r = check_one(t, def->redirdevs[i].src, err);
        return r;
}
