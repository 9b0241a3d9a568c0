/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device aliases: a user's own ("ua-...") names the device for good, in the
 * definition and in the emulator, so no two devices may share one
 * (libvirt's "non unique alias detected"). */

#include <string.h>

#include "domain-conf-internal.h"
#include "domain-conf.h"
#include "util.h"
#include "xml-util.h"

bool domain_alias_is_user(const char *alias) {
        return alias && strncmp(alias, "ua-", 3) == 0;
}

/* The first console of target type serial is the first serial port
 * (libvirt's rule): the two share one alias. */
static bool chr_shares_serial_alias(const DomainDef *def, size_t i) {
        const DomainChrDef *chr = &def->chrs[i];

        if (chr->kind != DOMAIN_CHR_CONSOLE || (chr->target_type && !streq(chr->target_type, "serial")))
                return false;
        for (size_t j = 0; j < def->n_chrs; j++)
                if (def->chrs[j].kind == DOMAIN_CHR_SERIAL)
                        return streq_ptr(def->chrs[j].alias, chr->alias);
        return false;
}

#define EACH(arr, n)                                                          \
        for (size_t i = 0; i < def->n; i++) {                                 \
                int r = f(def->arr[i].alias, data);                           \
                if (r != 0)                                                   \
                        return r;                                             \
        }
#define ONE(field, cond)                                                      \
        if (cond) {                                                           \
                int r = f(def->field.alias, data);                            \
                if (r != 0)                                                   \
                        return r;                                             \
        }

int domain_def_foreach_alias(const DomainDef *def, int (*f)(const char *alias, void *data), void *data) {
        EACH(disks, n_disks);
        EACH(controllers, n_controllers);
        EACH(filesystems, n_filesystems);
        EACH(nets, n_nets);
        EACH(hostdevs, n_hostdevs);
        EACH(mems, n_mems);
        EACH(tpms, n_tpms);
        for (size_t i = 0; i < def->n_chrs; i++) {
                int r = chr_shares_serial_alias(def, i) ? 0 : f(def->chrs[i].alias, data);
                if (r != 0)
                        return r;
        }
        EACH(videos, n_videos);
        EACH(inputs, n_inputs);
        EACH(sounds, n_sounds);
        EACH(smartcards, n_smartcards);
        EACH(redirdevs, n_redirdevs);
        EACH(hubs, n_hubs);
        EACH(shmems, n_shmems);
        EACH(rngs, n_rngs);
        EACH(panics, n_panics);
        ONE(memballoon, def->memballoon.present);
        ONE(watchdog, def->watchdog.present);
        ONE(vsock, def->vsock.present);
        ONE(iommu, def->iommu.present);
        return 0;
}

typedef struct {
        const char **seen;
        size_t n;
        const char *dup;
} AliasSet;

static int note_alias(const char *alias, void *data) {
        AliasSet *s = data;

        if (!domain_alias_is_user(alias))
                return 0;
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->seen[i], alias)) {
                        s->dup = alias;
                        return 1;
                }
        s->seen[s->n++] = alias;
        return 0;
}

static int count_alias(const char *alias, void *data) {
        (void) alias;
        (*(size_t *) data)++;
        return 0;
}

int domain_validate_aliases(const DomainDef *def, ConfError *err) {
        size_t n = 0;
        int r;

        domain_def_foreach_alias(def, count_alias, &n);
        _cleanup_free_ const char **seen = calloc(n + 1, sizeof(char *));
        AliasSet s = { .seen = seen };

        if (!seen)
                return xml_err_oom(err);
        r = domain_def_foreach_alias(def, note_alias, &s);
        if (r > 0)
                return xml_err_unsupported(err, "non unique alias detected: %s", s.dup);
        return 0;
}

static int match_alias(const char *alias, void *data) {
        return streq_ptr(alias, data);
}

bool domain_def_has_alias(const DomainDef *def, const char *alias) {
        return alias && domain_def_foreach_alias(def, match_alias, (void *) alias) > 0;
}
