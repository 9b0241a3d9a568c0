/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Memory devices plugged in a running guest: the aliases they keep across
 * detaches, and UpdateDevice of a <memory model='virtio-mem'>: its
 * <requested> size, the one thing libvirt lets change, set with qom-set of
 * requested-size; the guest then plugs or unplugs blocks on its own. */
#include <errno.h>

#include "domain-device.h"
#include "error.h"
#include "qemu-command-internal.h"
#include "qemu-domain.h"
#include "qemu-driver.h"
#include "qemu-hotplug-internal.h"
#include "util.h"

static bool alias_used(const DomainDef *def, size_t except, const char *alias) {
        for (size_t i = 0; i < def->n_mems; i++)
                if (i != except && streq_ptr(def->mems[i].alias, alias))
                        return true;
        return false;
}

/* As rngs and interfaces: those QEMU has keep their aliases (and so their
 * backends' "mem" ALIAS), a new one takes the first free <model>N. */
int hotplug_keep_memory_aliases(const DomainDef *old, DomainDef *def) {
        for (size_t i = 0; i < old->n_mems && i < def->n_mems; i++) {
                char *a = old->mems[i].alias ? strdup(old->mems[i].alias) : NULL;

                if (old->mems[i].alias && !a)
                        return -ENOMEM;
                free_and_replace_str(&def->mems[i].alias, a);
        }
        for (size_t i = old->n_mems; i < def->n_mems; i++) {
                const char *prefix = qemu_memdev_alias_prefix(def->mems[i].model) ?: "mem";
                char alias[256];

                if (domain_alias_is_user(def->mems[i].alias))
                        continue;       /* a user's alias names it */
                for (unsigned k = 0;; k++) {
                        snprintf(alias, sizeof(alias), "%s%u", prefix, k);
                        if (!alias_used(def, i, alias))
                                break;
                }
                free_and_replace_str(&def->mems[i].alias, strdup(alias));
                if (!def->mems[i].alias)
                        return -ENOMEM;
        }
        return 0;
}

static void resize_done(Plug *p, Domain *d, const char *error_class, const char *error_desc) {
        if (error_class) {
                hotplug_fail_job(d, VB_ERROR_OPERATION_FAILED, "cannot resize %s: QEMU said: %s", p->what,
                                 error_desc ?: error_class);
                hotplug_plug_free(p);
                return;
        }
        hotplug_finish_job(p, d);
        hotplug_plug_free(p);
}

/* The device of def want names, and that only its <requested> differs, as
 * libvirt checks: then its new requested size is set in def. */
static int set_requested(DomainDef *def, const DomainMemoryDef *want, const char *where, DevRef *ref,
                         sd_bus_error *error) {
        DomainMemoryDef *m;
        DomainDef holder = { .mems = (DomainMemoryDef *) want, .n_mems = 1 };

        if (hotplug_find_device(def, &holder, "memory", ref) < 0)
                return hotplug_no_such_device(&holder, "memory", where, error);
        m = &def->mems[ref->index];
        if (m->model != DOMAIN_MEMORY_VIRTIO_MEM)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: only the "
                                     "<requested> size of a virtio-mem memory device can be updated, not a %s",
                                     domain_memory_model_to_string(m->model));
        if (want->block_kib && want->block_kib != m->block_kib)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: cannot modify "
                                     "the <block> size of a virtio-mem memory device");
        if (want->requested_kib % m->block_kib)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid argument: requested size %" PRIu64
                                     " KiB must be an integer multiple of block size %" PRIu64 " KiB",
                                     want->requested_kib, m->block_kib);
        if (want->requested_kib > m->size_kib)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid argument: requested size %" PRIu64
                                     " KiB must be smaller than or equal to the size %" PRIu64 " KiB",
                                     want->requested_kib, m->size_kib);
        m->requested_kib = want->requested_kib;
        return 0;
}

static int qom_set_args(const char *alias, uint64_t kib, json_object **ret) {
        json_object *a = json_object_new_object();
        char path[128];

        if (!a)
                return -ENOMEM;
        snprintf(path, sizeof(path), "/machine/peripheral/%s", alias);
        json_object_object_add(a, "path", json_object_new_string(path));
        json_object_object_add(a, "property", json_object_new_string("requested-size"));
        json_object_object_add(a, "value", json_object_new_int64((int64_t) (kib << 10)));
        *ret = a;
        return 0;
}

int hotplug_update_memory(Domain *d, const DomainDef *holder, unsigned flags, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *config = NULL;
        _cleanup_(hotplug_plug_freep) Plug *p = NULL;
        json_object *args;
        DevRef ref;
        int r;

        if (flags & DOMAIN_AFFECT_CONFIG) {
                r = domain_def_copy(hotplug_config_def(d), &config);
                if (r >= 0)
                        r = set_requested(config, &holder->mems[0], "persistent", &ref, error);
                if (r < 0)
                        return r;
        }
        if (!(flags & DOMAIN_AFFECT_LIVE)) {
                r = hotplug_save_config(d, config, error);
                if (r >= 0)
                        TAKE_PTR(config);
                return r;
        }
        if (!qemu_domain(d)->mon)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain is not running");
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->pty_chr = SIZE_MAX;
        p->tapfd = -1;
        r = domain_def_copy(d->live, &p->live);
        if (r >= 0)
                r = set_requested(p->live, &holder->mems[0], "live", &ref, error);
        if (r < 0)
                return r;
        p->ref = ref;
        p->alias = strdup(p->live->mems[ref.index].alias ?: "");
        p->cmds = json_object_new_array();
        if (!p->alias || !p->cmds || asprintf(&p->what, "memory device '%s'", p->alias) < 0)
                return -ENOMEM;
        r = qom_set_args(p->alias, p->live->mems[ref.index].requested_kib, &args);
        if (r >= 0)
                r = hotplug_push_cmd(p->cmds, "qom-set", args);
        if (r < 0)
                return r;
        p->config = TAKE_PTR(config);
        p->done = resize_done;
        p->handle = domain_handle_get(&d->handle, d);
        if (!p->handle)
                return -ENOMEM;
        hotplug_plug_step(TAKE_PTR(p));
        return 1;
}
