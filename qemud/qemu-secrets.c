/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <sys/random.h>
#include <unistd.h>

#include "domain-agent.h" /* domain_agent_base64() */
#include "error.h"
#include "log.h"
#include "manager.h"
#include "qemu-command-secret.h"
#include "qemu-confine.h"
#include "qemu-domain.h"
#include "qemu-secrets.h"
#include "util.h"
#include "uuid.h"

#define SECRETD_NAME "org.virtbus.secretd"
#define SECRETD_ROOT "/org/virtbus/secretd"

int qemu_secret_encrypt(const uint8_t key[32], const uint8_t iv[16], const void *data, size_t len,
                        uint8_t **ret, size_t *ret_len) {
        gnutls_datum_t k = { (unsigned char *) key, 32 }, v = { (unsigned char *) iv, 16 };
        gnutls_cipher_hd_t h = NULL;
        size_t n = (len / 16 + 1) * 16;
        uint8_t *buf = malloc(n);
        int r;

        if (!buf)
                return -ENOMEM;
        memcpy(buf, data, len);
        /* PKCS#7: QEMU strips as many bytes as the last one says */
        memset(buf + len, (int) (n - len), n - len);
        r = gnutls_cipher_init(&h, GNUTLS_CIPHER_AES_256_CBC, &k, &v);
        if (r >= 0)
                r = gnutls_cipher_encrypt(h, buf, n);
        if (h)
                gnutls_cipher_deinit(h);
        if (r < 0) {
                explicit_bzero(buf, n);
                free(buf);
                return -EIO;
        }
        *ret = buf;
        *ret_len = n;
        return 0;
}

static int random_bytes(void *buf, size_t n) {
        ssize_t k = getrandom(buf, n, 0);

        return k == (ssize_t) n ? 0 : -EIO;
}

static QemuSecrets *secrets_of(const Domain *d) {
        return qemu_domain(d)->secrets;
}

static void wipe_objs(QemuSecrets *s) {
        for (size_t i = 0; i < s->n_objs; i++) {
                if (s->objs[i].data)
                        explicit_bzero(s->objs[i].data, strlen(s->objs[i].data));
                free(s->objs[i].id);
                free(s->objs[i].data);
                free(s->objs[i].iv);
        }
        s->objs = mfree(s->objs);
        s->n_objs = 0;
}

static void wipe_tpms(QemuSecrets *s) {
        for (size_t i = 0; i < s->n_tpms; i++) {
                if (s->tpms[i].value)
                        explicit_bzero(s->tpms[i].value, s->tpms[i].len);
                free(s->tpms[i].value);
        }
        s->tpms = mfree(s->tpms);
        s->n_tpms = 0;
}

void qemu_secrets_done(Domain *d) {
        QemuSecrets *s = secrets_of(d);

        if (!s)
                return;
        wipe_objs(s);
        wipe_tpms(s);
        explicit_bzero(s->key, sizeof(s->key));
        free(s->master_key_path);
        qemu_domain(d)->secrets = mfree(s);
}

/* One request: the object it fills (or the TPM whose value it is) and the
 * device it is for (messages). */
typedef struct SecretRequest {
        PrepareJob *job;
        size_t index;
        bool tpm;
        char *dst;
} SecretRequest;

static int store_tpm_value(QemuSecrets *s, size_t index, const void *value, size_t len) {
        QemuTpmSecret *t = &s->tpms[index];

        t->value = malloc(len ?: 1);
        if (!t->value)
                return -ENOMEM;
        memcpy(t->value, value, len);
        t->len = len;
        return 0;
}

static int store_value(QemuSecrets *s, size_t index, const void *value, size_t len) {
        _cleanup_free_ uint8_t *enc = NULL;
        uint8_t iv[16];
        size_t n;
        int r;

        r = random_bytes(iv, sizeof(iv));
        if (r >= 0)
                r = qemu_secret_encrypt(s->key, iv, value, len, &enc, &n);
        if (r < 0)
                return r;
        s->objs[index].data = domain_agent_base64(enc, n);
        s->objs[index].iv = domain_agent_base64(iv, sizeof(iv));
        return s->objs[index].data && s->objs[index].iv ? 0 : -ENOMEM;
}

static int on_value(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SecretRequest *req = userdata;
        PrepareJob *job = req->job;
        Domain *d = prepare_job_domain(job);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const sd_bus_error *err = sd_bus_message_get_error(m);
        const void *value;
        const char *uuid;
        size_t len;
        int r = 0;

        if (d && err) {
                r = -sd_bus_error_get_errno(err) ?: -EIO;
                sd_bus_error_setf(&e, err->name, "%s: %s", req->dst, err->message ?: err->name);
        } else if (d) {
                r = sd_bus_message_read(m, "s", &uuid);
                if (r >= 0)
                        r = sd_bus_message_read_array(m, 'y', &value, &len);
                if (r >= 0)
                        r = req->tpm ? store_tpm_value(secrets_of(d), req->index, value, len)
                                     : store_value(secrets_of(d), req->index, value, len);
                if (r < 0)
                        sd_bus_error_setf(&e, VB_ERROR_INTERNAL, "%s: cannot read its secret: %s", req->dst,
                                          strerror(-r));
        }
        free(req->dst);
        free(req);
        prepare_job_release(job, r < 0 ? r : 0, r < 0 ? &e : NULL);
        return 0;
}

typedef struct Collect {
        Domain *d;
        PrepareJob *job;
} Collect;

static int send_request(Collect *c, SecretRequest *req, const char *uuid, int usage_type, const char *usage) {
        int r;

        req->job = c->job;
        prepare_job_hold(c->job);
        r = sd_bus_call_method_async(c->d->manager->bus, NULL, SECRETD_NAME, SECRETD_ROOT, "org.virtbus.Secret1",
                                     "GetValueInternal", on_value, req, "sis", uuid, (int32_t) usage_type, usage);
        if (r < 0) {
                prepare_job_fail(c->job, r, VB_ERROR_OPERATION_FAILED, "%s: cannot ask secretd: %s", req->dst,
                                 strerror(-r));
                free(req->dst);
                free(req);
                prepare_job_release(c->job, 0, NULL);
        }
        return r;
}

static int ask(void *userdata, const DomainDiskDef *disk, const DomainSecretRef *ref, const char *object_id) {
        Collect *c = userdata;
        QemuSecrets *s = secrets_of(c->d);
        char uuid[UUID_STRING_MAX] = "";
        SecretRequest *req;
        QemuSecretObj *a;

        a = reallocarray(s->objs, s->n_objs + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        s->objs = a;
        a[s->n_objs] = (QemuSecretObj) { .id = strdup(object_id) };
        req = calloc(1, sizeof(*req));
        /* an iSCSI hostdev's source is a disk without an alias of its own,
         * named by its hostdev's (qemu_hostdev_assign_aliases()) */
        if (!a[s->n_objs].id || !req ||
            asprintf(&req->dst, "%s '%s'", disk->alias ? "disk" : "hostdev", disk->dst) < 0) {
                free(a[s->n_objs].id);
                free(req);
                return -ENOMEM;
        }
        req->index = s->n_objs++;
        if (ref->has_uuid)
                uuid_format(ref->uuid, uuid);
        return send_request(c, req, uuid, domain_secret_ref_usage_type(ref), ref->usage ?: "");
}

/* <tpm><backend type='emulator'><encryption secret='UUID'/>: by UUID. */
static int ask_tpms(Collect *c) {
        const DomainDef *def = c->d->live;
        QemuSecrets *s = secrets_of(c->d);
        int r;

        s->tpms = calloc(def->n_tpms + 1, sizeof(*s->tpms));
        if (!s->tpms)
                return -ENOMEM;
        s->n_tpms = def->n_tpms;
        for (size_t i = 0; i < def->n_tpms; i++) {
                SecretRequest *req;

                if (!def->tpms[i].secret)
                        continue;
                req = calloc(1, sizeof(*req));
                if (!req || asprintf(&req->dst, "TPM '%s'", def->tpms[i].alias ?: "tpm0") < 0) {
                        free(req);
                        return -ENOMEM;
                }
                *req = (SecretRequest) { .index = i, .tpm = true, .dst = req->dst };
                r = send_request(c, req, def->tpms[i].secret, 0, "");
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool has_secrets(const DomainDef *def) {
        if (def->os.nvram_net && def->os.nvram_net->auth)
                return true;
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].auth || (def->disks[i].encryption && def->disks[i].encryption->has_secret) ||
                    qemu_disk_chain_encrypted(&def->disks[i]))
                        return true;
        for (size_t i = 0; i < def->n_tpms; i++)
                if (def->tpms[i].secret)
                        return true;
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i].iscsi && def->hostdevs[i].iscsi->auth)
                        return true;
        return false;
}

int qemu_secrets_fetch(Domain *d, domain_prepare_fn done) {
        _cleanup_free_ char *dir = NULL;
        QemuSecrets *s;
        Collect c = { d };
        int r;

        qemu_secrets_done(d);
        if (!has_secrets(d->live)) {
                done(d, 0, NULL);
                return 0;
        }
        s = qemu_domain(d)->secrets = calloc(1, sizeof(*s));
        if (!s || qemu_confine_dir(d, &dir) < 0)
                return -ENOMEM;
        s->master_key_path = path_join(dir, "master-key.aes");
        if (!s->master_key_path)
                return -ENOMEM;
        r = random_bytes(s->key, sizeof(s->key));
        if (r < 0)
                return r;
        c.job = prepare_job_new(d, done);
        if (!c.job)
                return -ENOMEM;
        r = qemu_disk_secret_refs(d->live, ask, &c);
        if (r >= 0)
                r = ask_tpms(&c);
        if (r < 0 && r != -ENOMEM)
                log_debug("Asking for the secrets of %s stopped: %s", d->def->name, strerror(-r));
        if (r == -ENOMEM)
                prepare_job_fail(c.job, r, VB_ERROR_NO_MEMORY, "out of memory");
        prepare_job_release(c.job, 0, NULL);
        return 0;
}

int qemu_secrets_tpm_value(Domain *d, size_t i, const void **ret, size_t *ret_len) {
        const QemuSecrets *s = secrets_of(d);

        if (!s || i >= s->n_tpms || !s->tpms[i].value)
                return -ENOENT;
        *ret = s->tpms[i].value;
        *ret_len = s->tpms[i].len;
        return 0;
}

void qemu_secrets_params(const Domain *d, QemuCommandParams *params) {
        const QemuSecrets *s = secrets_of(d);

        if (!s)
                return;
        params->secrets = s->objs;
        params->n_secrets = s->n_objs;
        params->master_key_path = s->master_key_path;
}

int qemu_secrets_write_key(Domain *d, uid_t uid, gid_t gid, ConfError *err) {
        QemuSecrets *s = secrets_of(d);
        _cleanup_close_ int fd = -1;
        int r = 0;

        if (!s)
                return 0;
        fd = open(s->master_key_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                r = -errno;
        else if (fchown(fd, uid, gid) < 0)
                r = -errno;
        else if (write(fd, s->key, sizeof(s->key)) != (ssize_t) sizeof(s->key))
                r = -EIO;
        if (r < 0)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot write the master key %s of domain '%s': %s",
                               s->master_key_path, d->def->name, strerror(-r));
        return r;
}
