/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The secrets of a device being plugged (a disk's <encryption> passphrase
 * or <auth> login, an iSCSI hostdev's login): asked of secretd at plug
 * time, as the start asks (qemu-secrets.c), then given to QEMU as secret
 * objects encrypted with the guest's master key (masterKey0, its key in
 * the guest's directory). A guest started without secrets has no master
 * key yet: the plug makes one and adds its object first. Unplug needs none
 * of this: the secret objects go by their ids (qemu-command-secret.c). */
#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-agent.h" /* domain_agent_base64() */
#include "domain-disk-secret.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "qemu-command-secret.h"
#include "qemu-confine.h"
#include "qemu-hotplug-internal.h"
#include "qemu-secrets.h"
#include "util.h"
#include "uuid.h"

#define SECRETD_NAME "org.virtbus.secretd"
#define SECRETD_ROOT "/org/virtbus/secretd"
#define MASTER_KEY_ID "masterKey0"
#define MASTER_KEY_FILE "master-key.aes"

typedef struct HotplugSecret {
        char *id;               /* its QEMU object's */
        char *dst;              /* "disk 'vdb'", for messages */
        uint8_t *value;
        size_t len;
} HotplugSecret;

struct HotplugSecrets {
        HotplugSecret *list;
        size_t n;
        size_t pending;         /* secretd's answers still to come */
        char *error_name, *error_message;
        char *key_path;         /* written by this plug: removed if it fails */
};

typedef struct Request {
        Plug *plug;
        size_t index;
} Request;

void hotplug_secrets_free(HotplugSecrets *s) {
        if (!s)
                return;
        /* a master key written for a plug that never got to QEMU (or was
         * taken back): the next plug must not take it for QEMU's */
        if (s->key_path)
                (void) unlink(s->key_path);
        for (size_t i = 0; i < s->n; i++) {
                if (s->list[i].value)
                        explicit_bzero(s->list[i].value, s->list[i].len);
                free(s->list[i].value);
                free(s->list[i].id);
                free(s->list[i].dst);
        }
        free(s->list);
        free(s->error_name);
        free(s->error_message);
        free(s->key_path);
        free(s);
}

/* The plugged device alone, as a definition: qemu_disk_secret_refs() walks it. */
static DomainDef device_view(const Plug *p) {
        if (p->ref.family == QEMU_DEVICE_HOSTDEV)
                return (DomainDef) { .hostdevs = p->live->hostdevs + p->ref.index, .n_hostdevs = 1 };
        if (p->ref.family == QEMU_DEVICE_DISK)
                return (DomainDef) { .disks = p->live->disks + p->ref.index, .n_disks = 1 };
        return (DomainDef) {};
}

static void set_error(HotplugSecrets *s, const char *name, const char *dst, const char *message) {
        if (s->error_name)
                return; /* the first one is told */
        s->error_name = strdup(name);
        if (asprintf(&s->error_message, "cannot attach %s: %s", dst, message) < 0)
                s->error_message = NULL;
}

/* secretd answered every request of p: the plug goes on, or fails naming
 * the device and the secret. */
static void all_answered(Plug *p, Domain *d) {
        HotplugSecrets *s = p->secrets;

        if (s->error_name) {
                domain_job_fail(d->jobs, s->error_name, s->error_message ?: "out of memory");
                hotplug_plug_free(p);
                return;
        }
        hotplug_attach_resume(p, d);
}

static int on_value(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Request *req = userdata;
        Plug *p = req->plug;
        HotplugSecrets *s = p->secrets;
        HotplugSecret *one = &s->list[req->index];
        const sd_bus_error *err = sd_bus_message_get_error(m);
        Domain *d = p->handle->owner;
        const void *value;
        const char *uuid;
        size_t len;
        int r;

        (void) ret_error;
        free(req);
        if (err)
                set_error(s, err->name, one->dst, err->message ?: err->name);
        else {
                r = sd_bus_message_read(m, "s", &uuid);
                if (r >= 0)
                        r = sd_bus_message_read_array(m, 'y', &value, &len);
                if (r >= 0) {
                        one->value = malloc(len ?: 1);
                        r = one->value ? 0 : -ENOMEM;
                }
                if (r >= 0) {
                        memcpy(one->value, value, len);
                        one->len = len;
                } else
                        set_error(s, VB_ERROR_INTERNAL, one->dst, "cannot read its secret from secretd");
        }
        if (--s->pending > 0)
                return 0;
        if (!d) {
                hotplug_plug_free(p);
                return 0;
        }
        all_answered(p, d);
        return 0;
}

static int add_ref(void *userdata, const DomainDiskDef *disk, const DomainSecretRef *ref, const char *object_id) {
        Plug *p = userdata;
        Domain *d = p->handle->owner;
        HotplugSecrets *s = p->secrets;
        char uuid[UUID_STRING_MAX] = "";
        HotplugSecret *a;
        Request *req;
        int r;

        a = reallocarray(s->list, s->n + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        s->list = a;
        a[s->n] = (HotplugSecret) { .id = strdup(object_id) };
        if (!a[s->n].id || asprintf(&a[s->n].dst, "%s '%s'", disk->alias ? "disk" : "hostdev", disk->dst) < 0) {
                free(a[s->n].id);
                return -ENOMEM;
        }
        s->n++;         /* freed with the list from here */
        req = calloc(1, sizeof(*req));
        if (!req)
                return -ENOMEM;
        *req = (Request) { .plug = p, .index = s->n - 1 };
        if (ref->has_uuid)
                uuid_format(ref->uuid, uuid);
        r = sd_bus_call_method_async(d->manager->bus, NULL, SECRETD_NAME, SECRETD_ROOT,
                                     "org.virtbus.Secret1", "GetValueInternal", on_value, req, "sis", uuid,
                                     (int32_t) domain_secret_ref_usage_type(ref), ref->usage ?: "");
        if (r < 0) {
                free(req);
                return r;
        }
        s->pending++;
        return 0;
}

int hotplug_secrets_fetch(Plug *p, Domain *d, sd_bus_error *error) {
        DomainDef view = device_view(p);
        int r;

        if (!view.n_disks && !view.n_hostdevs)
                return 0;
        p->secrets = calloc(1, sizeof(*p->secrets));
        if (!p->secrets)
                return -ENOMEM;
        r = qemu_disk_secret_refs(&view, add_ref, p);
        if (r < 0 && p->secrets->pending == 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot attach %s: cannot ask secretd for "
                                     "its secrets: %s", p->what, strerror(-r));
        if (r < 0)      /* those asked answer first, then the plug fails */
                set_error(p->secrets, VB_ERROR_OPERATION_FAILED, p->what, "cannot ask secretd for its secrets");
        return p->secrets->pending > 0 ? 1 : 0;
}

/* ---- the plug's commands ---- */

static HotplugSecret *find_secret(HotplugSecrets *s, const char *id) {
        for (size_t i = 0; s && i < s->n; i++)
                if (streq(s->list[i].id, id))
                        return &s->list[i];
        return NULL;
}

/* The guest's master key: the one its start (or an earlier plug) wrote, or
 * a new one, written for QEMU's user (its directory's owner) and added to
 * QEMU first by cmds. 0, or -errno. */
static int master_key(Plug *p, Domain *d, uint8_t key[32], json_object *cmds) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_close_ int fd = -1;
        json_object *args;
        struct stat st;
        int r;

        r = qemu_confine_dir(d, &dir);
        if (r < 0)
                return r;
        path = path_join(dir, MASTER_KEY_FILE);
        if (!path)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0)
                return read(fd, key, 32) == 32 ? 0 : -EIO;
        if (errno != ENOENT)
                return -errno;
        if (stat(dir, &st) < 0)
                return -errno;
        if (getrandom(key, 32, 0) != 32)
                return -EIO;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        p->secrets->key_path = TAKE_PTR(path);
        if (fchown(fd, st.st_uid, st.st_gid) < 0 || write(fd, key, 32) != 32)
                return errno > 0 ? -errno : -EIO;
        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "qom-type", json_object_new_string("secret"));
        json_object_object_add(args, "id", json_object_new_string(MASTER_KEY_ID));
        json_object_object_add(args, "format", json_object_new_string("raw"));
        json_object_object_add(args, "file", json_object_new_string(p->secrets->key_path));
        r = hotplug_push_cmd(cmds, "object-add", args);
        if (r < 0)
                return r;
        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "id", json_object_new_string(MASTER_KEY_ID));
        return hotplug_push_cmd(p->undo, "object-del", args);
}

/* One secret object's value, encrypted with key under a new IV. */
static int fill_one(json_object *obj, const HotplugSecret *one, const uint8_t key[32]) {
        _cleanup_free_ uint8_t *enc = NULL;
        _cleanup_free_ char *data = NULL, *iv64 = NULL;
        uint8_t iv[16];
        size_t n;
        int r;

        if (getrandom(iv, sizeof(iv), 0) != (ssize_t) sizeof(iv))
                return -EIO;
        r = qemu_secret_encrypt(key, iv, one->value, one->len, &enc, &n);
        if (r < 0)
                return r;
        data = domain_agent_base64(enc, n);
        iv64 = domain_agent_base64(iv, sizeof(iv));
        if (!data || !iv64)
                return -ENOMEM;
        json_object_object_add(obj, "data", json_object_new_string(data));
        json_object_object_add(obj, "keyid", json_object_new_string(MASTER_KEY_ID));
        json_object_object_add(obj, "iv", json_object_new_string(iv64));
        json_object_object_add(obj, "format", json_object_new_string("base64"));
        return 0;
}

int hotplug_secrets_fill(Plug *p, Domain *d, json_object *objects, json_object *cmds, sd_bus_error *error) {
        uint8_t key[32];
        bool keyed = false;
        int r = 0;

        for (size_t i = 0; objects && i < json_object_array_length(objects) && r >= 0; i++) {
                json_object *obj = json_object_array_get_idx(objects, i), *v;
                const HotplugSecret *one;

                if (!json_object_object_get_ex(obj, "qom-type", &v) || !streq(json_object_get_string(v), "secret") ||
                    !json_object_object_get_ex(obj, "id", &v))
                        continue;
                one = find_secret(p->secrets, json_object_get_string(v));
                if (!one || !one->value) {
                        r = vb_error_setf(error, VB_ERROR_INTERNAL, "internal error: cannot attach %s: the value "
                                          "of its secret '%s' was not fetched", p->what, json_object_get_string(v));
                        break;
                }
                if (!keyed && (r = master_key(p, d, key, cmds)) < 0) {
                        r = vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot attach %s: cannot prepare "
                                          "the guest's master key: %s", p->what, strerror(-r));
                        break;
                }
                keyed = true;
                r = fill_one(obj, one, key);
        }
        explicit_bzero(key, sizeof(key));
        return r;
}

void hotplug_secrets_keep(Plug *p) {
        if (p->secrets)
                p->secrets->key_path = mfree(p->secrets->key_path);
}

const char *hotplug_secrets_key_path(const Plug *p) {
        return p->secrets ? p->secrets->key_path : NULL;
}

void hotplug_secrets_undo(Plug *p) {
        if (p->secrets && p->secrets->key_path) {
                (void) unlink(p->secrets->key_path);
                p->secrets->key_path = mfree(p->secrets->key_path);
        }
}
