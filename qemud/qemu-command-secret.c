/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The disks' secrets on the command line: the master key object, one
 * secret object per <encryption> or <auth> (its data encrypted with the
 * master key, so no secret is readable in QEMU's argv), and the blockdev
 * properties naming them. libvirt's layout: a LUKS raw image is a "luks"
 * format node, a qcow2 one has encrypt.format=luks; an iSCSI login is
 * user/password-secret, a Ceph one user/key-secret. Pure. */

#include "qemu-command-internal.h"
#include "qemu-command-secret.h"
#include "xml-util.h"

#define MASTER_KEY_ID "masterKey0"

/* alias: the disk's, as the argv names it (qemu_command_assign_aliases()) */
static void object_id(char *buf, size_t size, const char *alias, bool auth) {
        snprintf(buf, size, auth ? "%s-auth-secret0" : "%s-encryption-secret0", alias);
}

/* An iSCSI hostdev's login: its source is held as a disk's, its object
 * named by the hostdev's alias (qemu_hostdev_assign_aliases()). */
static int hostdev_secret_refs(const DomainDef *def, qemu_secret_ref_fn fn, void *userdata) {
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                const DomainDiskDef *iscsi = def->hostdevs[i].iscsi;
                char id[256];
                int r;

                if (!iscsi || !iscsi->auth)
                        continue;
                if (!def->hostdevs[i].alias)
                        return -EINVAL;
                object_id(id, sizeof(id), def->hostdevs[i].alias, true);
                r = fn(userdata, iscsi, &iscsi->auth->secret, id);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool qemu_disk_chain_encrypted(const DomainDiskDef *disk) {
        for (size_t k = 0; k < disk->n_backing; k++)
                if (disk->backing[k].encryption && disk->backing[k].encryption->has_secret)
                        return true;
        return false;
}

/* An encrypted backing layer k's: "<alias>-b<k>-encryption-secret0"
 * (qemu-command-chain.c names the layers). */
static int backing_secret_refs(const DomainDiskDef *disk, qemu_secret_ref_fn fn, void *userdata) {
        for (size_t k = 0; k < disk->n_backing; k++) {
                const DomainDiskEncryption *e = disk->backing[k].encryption;
                char prefix[256], id[300];
                int r;

                if (!e || !e->has_secret)
                        continue;
                if (!disk->alias)
                        return -EINVAL;
                snprintf(prefix, sizeof(prefix), "%s-b%zu", disk->alias, k + 1);
                object_id(id, sizeof(id), prefix, false);
                r = fn(userdata, disk, &e->secret, id);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int disk_secret_refs(const DomainDiskDef *disk, qemu_secret_ref_fn fn, void *userdata) {
        char id[256];
        int r;

        if (!disk->alias && (disk->auth || disk->encryption))
                return -EINVAL; /* aliases not assigned yet */
        if (disk->auth) {
                object_id(id, sizeof(id), disk->alias, true);
                r = fn(userdata, disk, &disk->auth->secret, id);
                if (r < 0)
                        return r;
        }
        if (disk->encryption && disk->encryption->has_secret) {
                object_id(id, sizeof(id), disk->alias, false);
                r = fn(userdata, disk, &disk->encryption->secret, id);
                if (r < 0)
                        return r;
        }
        return backing_secret_refs(disk, fn, userdata);
}

/* The disks', a network nvram's (alias pflash1) and iSCSI hostdevs'. */
int qemu_disk_secret_refs(const DomainDef *def, qemu_secret_ref_fn fn, void *userdata) {
        int r;

        for (size_t i = 0; i < def->n_disks; i++)
                if ((r = disk_secret_refs(&def->disks[i], fn, userdata)) < 0)
                        return r;
        if (def->os.nvram_net && (r = disk_secret_refs(def->os.nvram_net, fn, userdata)) < 0)
                return r;
        return hostdev_secret_refs(def, fn, userdata);
}

/* curl's protocols take a username and password (of any secret type, as
 * libvirt lets them). */
static bool protocol_is_curl(DomainDiskProtocol p) {
        return p == DOMAIN_DISK_PROTOCOL_HTTP || p == DOMAIN_DISK_PROTOCOL_HTTPS || p == DOMAIN_DISK_PROTOCOL_FTP ||
               p == DOMAIN_DISK_PROTOCOL_FTPS;
}

static int validate_auth(const DomainDiskDef *d, ConfError *err) {
        const char *type = d->auth->secret.type;
        DomainDiskProtocol p = d->net ? d->net->protocol : _DOMAIN_DISK_PROTOCOL_MAX;
        const char *want = p == DOMAIN_DISK_PROTOCOL_ISCSI ? "iscsi" : p == DOMAIN_DISK_PROTOCOL_RBD ? "ceph" : NULL;

        if (d->net && protocol_is_curl(p))
                return 0;
        /* an iSCSI pool's volume in mode='direct' uses it: the start checks the pool */
        if (d->type == DOMAIN_DISK_TYPE_VOLUME)
                return 0;
        if (!want)
                return xml_err_unsupported(err, "disk '%s': <auth> is supported only for network disks of protocol "
                                           "'iscsi', 'rbd', 'http', 'https', 'ftp' or 'ftps'", d->dst);
        if (!streq(type, want))
                return xml_err_invalid(err, "disk '%s': secret type '%s' of <auth> does not fit protocol '%s' "
                                       "(it needs '%s')", d->dst, type, domain_disk_protocol_to_string(p), want);
        return 0;
}

/* engine='librbd': Ceph decrypts the image itself (QEMU's rbd "encrypt"),
 * LUKS or LUKS2, under any format node. */
static int validate_librbd(const DomainDiskDef *d, ConfError *err) {
        const DomainDiskEncryption *e = d->encryption;

        if (!d->net || d->net->protocol != DOMAIN_DISK_PROTOCOL_RBD)
                return xml_err_unsupported(err, "disk '%s': librbd encryption is supported only with RBD backed "
                                           "disks", d->dst);
        if (e->format != DOMAIN_DISK_ENC_LUKS && e->format != DOMAIN_DISK_ENC_LUKS2)
                return xml_err_unsupported(err, "disk '%s': <encryption format='%s' engine='librbd'> is not "
                                           "supported, only 'luks' or 'luks2'", d->dst,
                                           domain_disk_enc_format_to_string(e->format) ?: "");
        return 0;
}

bool qemu_disk_librbd_encrypted(const DomainDiskDef *d) {
        return d->encryption && streq_ptr(d->encryption->engine, "librbd");
}

static int validate_encryption(const DomainDiskDef *d, ConfError *err) {
        const DomainDiskEncryption *e = d->encryption;

        if (qemu_disk_librbd_encrypted(d))
                return validate_librbd(d, err);
        if (e->format == DOMAIN_DISK_ENC_LUKS2)
                return xml_err_unsupported(err, "disk '%s': <encryption format='luks2'> is currently not "
                                           "supported by the qemu encryption engine (engine='librbd' of an rbd disk takes it)", d->dst);

        if (e->format == DOMAIN_DISK_ENC_QCOW)
                return xml_err_unsupported(err, "disk '%s': the old qcow/qcow2 encryption (<encryption "
                                           "format='qcow'>) is not supported by QEMU, use 'luks'", d->dst);
        if (e->format != DOMAIN_DISK_ENC_LUKS)
                return xml_err_unsupported(err, "disk '%s': <encryption format='%s'> is not supported, only 'luks'",
                                           d->dst, domain_disk_enc_format_to_string(e->format));
        if (e->engine && !streq(e->engine, "qemu"))
                return xml_err_unsupported(err, "disk '%s': <encryption engine='%s'> is not supported, only 'qemu'",
                                           d->dst, e->engine);
        if (d->format != DOMAIN_DISK_FORMAT_RAW && d->format != DOMAIN_DISK_FORMAT_QCOW2)
                return xml_err_unsupported(err, "disk '%s': <encryption format='luks'> needs a raw or qcow2 image, "
                                           "not '%s'", d->dst, domain_disk_format_to_string(d->format) ?: "none");
        return 0;
}

int qemu_validate_disk_secrets(const DomainDiskDef *d, ConfError *err) {
        int r = d->auth ? validate_auth(d, err) : 0;

        if (r >= 0 && d->encryption)
                r = validate_encryption(d, err);
        return r;
}

static const QemuSecretObj *find_secret(const QemuCmd *c, const char *id) {
        for (size_t i = 0; c->params && i < c->params->n_secrets; i++)
                if (streq(c->params->secrets[i].id, id))
                        return &c->params->secrets[i];
        return NULL;
}

/* The master key once, before the first secret that needs it. */
static int master_key_object(QemuCmd *c) {
        json_object *o;

        for (size_t i = 0; i < c->n_argv; i++)
                if (strstr(c->argv[i], "\"id\":\"" MASTER_KEY_ID "\""))
                        return 0;
        if (!c->params || !c->params->master_key_path)
                return cmd_fail(c, -EINVAL, "the guest's master key (for its secrets) was not prepared");
        o = props_new("qom-type", "secret");
        prop_str(&o, "id", MASTER_KEY_ID);
        prop_str(&o, "format", "raw");
        prop_str(&o, "file", c->params->master_key_path);
        return cmd_object(c, o);
}

static int secret_object(QemuCmd *c, const DomainDiskDef *disk, const char *id) {
        const QemuSecretObj *s = find_secret(c, id);
        json_object *o;
        int r;

        if (!s && cmd_renders(c))
                return cmd_fail(c, -EINVAL, "disk '%s': the value of its secret '%s' was not fetched", disk->dst, id);
        if (!s) {
                /* hot-plug: the object by its id only, which is all an
                 * unplug's object-del needs; a plug fills in the value it
                 * fetched (qemu-hotplug-secret.c) */
                o = props_new("qom-type", "secret");
                prop_str(&o, "id", id);
                return cmd_object(c, o);
        }
        r = cmd_renders(c) ? master_key_object(c) : 0;
        if (r < 0)
                return r;
        o = props_new("qom-type", "secret");
        prop_str(&o, "id", id);
        prop_str(&o, "data", s->data);
        prop_str(&o, "keyid", MASTER_KEY_ID);
        prop_str(&o, "iv", s->iv);
        prop_str(&o, "format", "base64");
        return cmd_object(c, o);
}

int qemu_disk_auth_props(QemuCmd *c, const DomainDiskDef *disk, const char *alias, json_object **node) {
        char id[256];
        int r;

        if (!disk->auth)
                return 0;
        object_id(id, sizeof(id), alias, true);
        r = secret_object(c, disk, id);
        if (r < 0)
                return r;
        if (protocol_is_curl(disk->net->protocol)) {
                prop_str(node, "username", disk->auth->username);
                prop_str(node, "password-secret", id);
                return 0;
        }
        prop_str(node, "user", disk->auth->username);
        if (disk->net->protocol != DOMAIN_DISK_PROTOCOL_RBD) {
                prop_str(node, "password-secret", id);
                return 0;
        }
        /* with a key, cephx first (as libvirt asks) */
        json_object *modes = json_object_new_array();
        if (modes) {
                json_object_array_add(modes, json_object_new_string("cephx"));
                json_object_array_add(modes, json_object_new_string("none"));
        }
        prop_take(node, "auth-client-required", modes);
        prop_str(node, "key-secret", id);
        return 0;
}

int qemu_disk_encryption_props(QemuCmd *c, const DomainDiskDef *disk, const char *alias, json_object **node) {
        json_object *enc;
        char id[256];
        int r;

        if (!disk->encryption || qemu_disk_librbd_encrypted(disk))
                return 0;
        if (!disk->encryption->has_secret)
                return cmd_fail(c, -EINVAL, "disk '%s': <encryption format='luks'> has no <secret type='passphrase'>",
                                disk->dst);
        object_id(id, sizeof(id), alias, false);
        r = secret_object(c, disk, id);
        if (r < 0)
                return r;
        if (disk->format == DOMAIN_DISK_FORMAT_QCOW2) {
                enc = json_object_new_object();
                prop_str(&enc, "format", "luks");
                prop_str(&enc, "key-secret", id);
                prop_take(node, "encrypt", enc);
                return 0;
        }
        /* raw: the LUKS layer is the format node itself */
        prop_str(node, "driver", "luks");
        prop_str(node, "key-secret", id);
        return 0;
}

int qemu_disk_librbd_encryption_props(QemuCmd *c, const DomainDiskDef *disk, const char *alias, json_object **node) {
        json_object *enc;
        char id[256];
        int r;

        if (!qemu_disk_librbd_encrypted(disk))
                return 0;
        if (!disk->encryption->has_secret)
                return cmd_fail(c, -EINVAL, "disk '%s': <encryption engine='librbd'> has no <secret type='passphrase'>",
                                disk->dst);
        object_id(id, sizeof(id), alias, false);
        r = secret_object(c, disk, id);
        if (r < 0)
                return r;
        enc = json_object_new_object();
        prop_str(&enc, "format", disk->encryption->format == DOMAIN_DISK_ENC_LUKS2 ? "luks2" : "luks");
        prop_str(&enc, "key-secret", id);
        prop_take(node, "encrypt", enc);
        return 0;
}

int qemu_validate_backing_layers(const DomainDiskDef *d, int (*check_net)(const DomainDiskDef *, ConfError *),
                                 ConfError *err) {
        for (size_t k = 0; k < d->n_backing; k++) {
                const DomainDiskBacking *b = &d->backing[k];
                DomainDiskDef view = { .type = b->type, .format = b->format, .net = b->net,
                                       .encryption = b->encryption, .dst = d->dst };
                int r = b->net ? check_net(&view, err) : 0;

                if (r >= 0 && b->encryption)
                        r = validate_encryption(&view, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
