/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SPICE TLS settings and the start-time checks of its certificates. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-file.h"
#include "qemu-spice-tls.h"
#include "util.h"

void qemu_spice_tls_init(QemuSpiceTls *t) {
        *t = (QemuSpiceTls) {};
        snprintf(t->dir, sizeof(t->dir), "%s", QEMU_SPICE_TLS_DIR_DEFAULT);
}

int qemu_spice_tls_apply(void *userdata, const char *key, const char *value) {
        QemuSpiceTls *t = userdata;

        if (streq(key, "spice_tls")) {
                if (streq(value, "0") || streq(value, "1")) {
                        t->enabled = streq(value, "1");
                        return 0;
                }
                snprintf(t->bad, sizeof(t->bad), "spice_tls = %s (0 or 1)", value);
                return -EINVAL;
        }
        if (!streq(key, "spice_tls_x509_cert_dir"))
                return 0;
        if (value[0] != '/' || strlen(value) >= sizeof(t->dir)) {
                snprintf(t->bad, sizeof(t->bad), "spice_tls_x509_cert_dir = %.200s (an absolute path)", value);
                return -EINVAL;
        }
        snprintf(t->dir, sizeof(t->dir), "%s", value);
        return 0;
}

bool qemu_spice_wants_tls_port(const DomainGraphicsDef *g, bool tls_enabled) {
        bool any = g->default_mode == DOMAIN_SPICE_MODE_ANY;

        if (g->type != DOMAIN_GRAPHICS_SPICE || g->listen_type != DOMAIN_GRAPHICS_LISTEN_ADDRESS)
                return false;
        if (g->tls_port > 0 && !g->autoport)
                return false;
        if (g->default_mode == DOMAIN_SPICE_MODE_SECURE)
                return true;
        for (DomainSpiceChannel ch = 0; ch < _DOMAIN_SPICE_CHANNEL_MAX; ch++) {
                if (g->channel_modes[ch] == DOMAIN_SPICE_MODE_SECURE)
                        return true;
                any = any || g->channel_modes[ch] == DOMAIN_SPICE_MODE_ANY;
        }
        return (any && tls_enabled) || g->tls_port != 0;
}

bool qemu_spice_uses_tls(const DomainDef *def) {
        for (size_t i = 0; i < def->n_graphics; i++)
                if (def->graphics[i].type == DOMAIN_GRAPHICS_SPICE && def->graphics[i].tls_port > 0)
                        return true;
        return false;
}

int qemu_spice_tls_validate(const DomainDef *def, bool tls_enabled, ConfError *err) {
        for (size_t i = 0; i < def->n_graphics && !tls_enabled; i++) {
                const DomainGraphicsDef *g = &def->graphics[i];

                if (g->type == DOMAIN_GRAPHICS_SPICE && g->tls_port > 0 && g->listen_type == DOMAIN_GRAPHICS_LISTEN_ADDRESS) {
                        conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: spice TLS port "
                                       "set in XML configuration, but TLS is disabled in qemud.conf (spice_tls = 1)");
                        return -EOPNOTSUPP;
                }
        }
        return 0;
}

int qemu_spice_tls_check(const QemuSpiceTls *t, const DomainDef *def, ConfError *err) {
        static const char *const files[] = { "ca-cert.pem", "server-cert.pem", "server-key.pem" };
        struct stat st;

        if (!qemu_spice_uses_tls(def))
                return 0;
        if (!t->enabled) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: SPICE TLS port set in "
                               "the domain's <graphics>, but TLS is disabled in qemud.conf (spice_tls = 1)");
                return -EINVAL;
        }
        if (stat(t->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "SPICE TLS certificate directory %s "
                               "(spice_tls_x509_cert_dir in qemud.conf) is missing", t->dir);
                return -ENOENT;
        }
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char path[sizeof(t->dir) + 32];

                snprintf(path, sizeof(path), "%s/%s", t->dir, files[i]);
                if (access(path, R_OK) < 0) {
                        conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "SPICE TLS certificate %s "
                                       "(spice_tls_x509_cert_dir in qemud.conf) is missing", path);
                        return -ENOENT;
                }
        }
        return 0;
}

int qemu_spice_tls_load(const char *confdir, QemuSpiceTls *t, ConfError *err) {
        int r;

        qemu_spice_tls_init(t);
        r = conf_load_file(confdir, "qemud.conf", qemu_spice_tls_apply, t);
        if (r < 0)
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "%s/qemud.conf: bad setting %s", confdir,
                               t->bad[0] ? t->bad : strerror(-r));
        return r;
}
