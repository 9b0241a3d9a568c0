/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-client.h"
#include "log.h"
#include "qemu-blockjob.h"
#include "qemu-chains.h"
#include "qemu-domain.h"
#include "storaged-client.h"
#include "util.h"

/* Each once (an active commit's mirror is a layer of the chain); only
 * absolute paths, which storaged can match to its volumes. */
static int add_path(char ***l, const char *path) {
        if (!path || path[0] != '/')
                return 0;
        for (char **p = *l; p && *p; p++)
                if (streq(*p, path))
                        return 0;
        return strv_extend(l, path);
}

char **qemu_chains_list(const DomainDef *def) {
        char **l = calloc(1, sizeof(char *));
        int r = l ? 0 : -ENOMEM;

        for (size_t i = 0; def && r >= 0 && i < def->n_disks; i++) {
                const DomainDiskDef *disk = &def->disks[i];

                r = add_path(&l, disk->src);
                for (size_t k = 0; r >= 0 && k < disk->n_backing; k++)
                        r = add_path(&l, disk->backing[k].path);
                if (r >= 0 && disk->mirror)
                        r = add_path(&l, disk->mirror->path);
        }
        if (r < 0)
                return strv_free_null(l);
        return l;
}

typedef struct ChainsCall {
        Manager *m;
        uint8_t uuid[16];
        char *sent;
} ChainsCall;

static bool storaged_absent(const sd_bus_error *e) {
        return e && (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                     sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER));
}

/* A list storaged did not take is sent again with the next change, or when
 * storaged comes (back). */
static void on_set(int r, const sd_bus_error *error, void *userdata) {
        ChainsCall *c = userdata;
        Domain *d = manager_find_by_uuid(c->m, c->uuid);

        if (r < 0 && d && streq_ptr(qemu_domain(d)->chains_sent, c->sent))
                qemu_domain(d)->chains_sent = mfree(qemu_domain(d)->chains_sent);
        if (r < 0 && !storaged_absent(error))
                log_warning("Cannot tell storaged the files guest %s reads: %s", d ? d->def->name : "(gone)",
                            error && error->message ? error->message : strerror(-r));
        free(c->sent);
        free(c);
}

static int send_list(Domain *d, char *const *paths, bool start) {
        ChainsCall *c = calloc(1, sizeof(*c));
        int r;

        if (!c || !(c->sent = strv_join(paths, "\n"))) {
                if (c)
                        free(c->sent);
                free(c);
                return -ENOMEM;
        }
        c->m = d->manager;
        memcpy(c->uuid, d->def->uuid, sizeof(c->uuid));
        r = storaged_set_chains_async(d->manager->bus, d->uuid_str, d->def->name, paths, start, on_set, c, NULL);
        if (r < 0) {
                free(c->sent);
                free(c);
        }
        return r;
}

void qemu_chains_changed(Domain *d) {
        QemuDomain *q = qemu_domain(d);
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_free_ char *list = NULL;
        int r;

        if (!d->live || !domain_is_active(d))
                return;
        qemu_blockjob_fill_chains(d);
        paths = qemu_chains_list(d->live);
        list = paths ? strv_join(paths, "\n") : NULL;
        if (!list) {
                log_oom();
                return;
        }
        if (streq_ptr(q->chains_sent, list))
                return;
        /* Not started for this: a storaged that is not running hears it
         * when it comes (qemu_chains_watch_storaged). */
        r = send_list(d, paths, false);
        if (r < 0) {
                log_debug_errno(r, "Cannot send guest %s's files to storaged: %m", d->def->name);
                return;
        }
        free_and_replace_str(&q->chains_sent, TAKE_PTR(list));
}

void qemu_chains_release(Domain *d) {
        QemuDomain *q = qemu_domain(d);
        bool told = q->chains_sent != NULL;

        q->chains_sent = mfree(q->chains_sent);
        /* A storaged that knew the guest is started to forget it: its table
         * outlives it. Else one that is running is told, in case it heard
         * of the guest from a qemud before a restart. */
        (void) send_list(d, (char *const[]) { NULL }, told);
}

void qemu_chains_done(Domain *d) {
        QemuDomain *q = qemu_domain(d);

        if (q)
                q->chains_sent = mfree(q->chains_sent);
}

static void on_storaged_owner(void *userdata, const char *owner) {
        Manager *m = userdata;

        if (!*owner)
                return;
        for (size_t i = 0; i < m->n_domains; i++) {
                Domain *d = m->domains[i];

                if (!domain_is_active(d) || d->rolling_back)
                        continue;
                qemu_domain(d)->chains_sent = mfree(qemu_domain(d)->chains_sent);
                qemu_chains_changed(d);
        }
}

int qemu_chains_watch_storaged(Manager *m, sd_bus_slot **ret_slot) {
        return bus_watch_name_owner(m->bus, STORAGED_SERVICE, on_storaged_owner, m, ret_slot);
}
