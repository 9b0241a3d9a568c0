/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NBD disk TLS settings, the start-time check of its certificates, and
 * what each disk's TLS objects were made with. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-file.h"
#include "domain-status.h"
#include "qemu-disk-tls.h"
#include "qemu-domain.h"
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

/* ---- what a disk's TLS objects were made with ---- */

static bool tls_from_conf(const DomainDiskNetSource *s) {
        return s && s->protocol == DOMAIN_DISK_PROTOCOL_NBD && s->tls == TRISTATE_ABSENT;
}

/* Whether nbd_tls decides the TLS of one of the disk's sources. */
static bool disk_tls_from_conf(const DomainDiskDef *disk) {
        bool r = tls_from_conf(disk->net);

        for (size_t k = 0; !r && k < disk->n_backing; k++)
                r = tls_from_conf(disk->backing[k].net);
        return r;
}

static void forget(char **l, const char *dst) {
        size_t j = 0;

        for (size_t i = 0; l && l[i]; i++) {
                if (streq(l[i], dst))
                        free(l[i]);
                else
                        l[j++] = l[i];
        }
        if (l)
                l[j] = NULL;
}

int qemu_disk_tls_note(Domain *d, const DomainDiskDef *disk, bool enabled) {
        QemuDomain *q = qemu_domain(d);

        if (!disk->dst)
                return 0;
        forget(q->nbd_tls_on, disk->dst);
        forget(q->nbd_tls_off, disk->dst);
        if (!disk_tls_from_conf(disk))
                return 0;
        return strv_extend(enabled ? &q->nbd_tls_on : &q->nbd_tls_off, disk->dst);
}

static void forget_all(QemuDomain *q) {
        q->nbd_tls_on = strv_free_null(q->nbd_tls_on);
        q->nbd_tls_off = strv_free_null(q->nbd_tls_off);
}

int qemu_disk_tls_note_all(Domain *d, const DomainDef *live, bool enabled) {
        int r = 0;

        forget_all(qemu_domain(d));
        for (size_t i = 0; r >= 0 && i < live->n_disks; i++)
                r = qemu_disk_tls_note(d, &live->disks[i], enabled);
        return r;
}

bool qemu_disk_tls_made(Domain *d, const DomainDiskDef *disk, bool enabled) {
        const QemuDomain *q = qemu_domain(d);

        if (disk->dst && strv_contains(q->nbd_tls_on, disk->dst))
                return true;
        if (disk->dst && strv_contains(q->nbd_tls_off, disk->dst))
                return false;
        return enabled;
}

char *qemu_disk_tls_status_format(Domain *d) {
        const QemuDomain *q = qemu_domain(d);
        _cleanup_free_ char *s = strdup("");

        for (size_t i = 0; s && d->live && i < d->live->n_disks; i++) {
                const char *dst = d->live->disks[i].dst;
                bool on = dst && strv_contains(q->nbd_tls_on, dst);
                _cleanup_free_ char *e = NULL;
                char *n;

                if (!on && !(dst && strv_contains(q->nbd_tls_off, dst)))
                        continue;
                e = domain_status_escape(dst);
                if (!e || asprintf(&n, "%s  <nbd-tls dst='%s' made='%s'/>\n", s, e, on ? "yes" : "no") < 0)
                        return NULL;
                free_and_replace_str(&s, n);
        }
        return TAKE_PTR(s);
}

void qemu_disk_tls_status_parse(Domain *d, xmlNodePtr root) {
        QemuDomain *q = qemu_domain(d);

        forget_all(q);
        for (xmlNodePtr c = root->children; c; c = c->next) {
                xmlChar *dst, *made;

                if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, (const xmlChar *) "nbd-tls"))
                        continue;
                dst = xmlGetProp(c, (const xmlChar *) "dst");
                made = xmlGetProp(c, (const xmlChar *) "made");
                if (dst)
                        (void) strv_extend(made && xmlStrEqual(made, (const xmlChar *) "yes") ? &q->nbd_tls_on :
                                           &q->nbd_tls_off, (const char *) dst);
                xmlFree(dst);
                xmlFree(made);
        }
}
