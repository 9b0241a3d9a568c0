/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domain-affect.h"
#include "error.h"

int domain_affect(Domain *d, uint32_t flags, bool *live, bool *config, sd_bus_error *error) {
        *live = flags & DOMAIN_AFFECT_LIVE;
        *config = flags & DOMAIN_AFFECT_CONFIG;
        if (!*live && !*config) {
                if (domain_is_active(d))
                        *live = true;
                else
                        *config = true;
        }
        if (*live && !domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        if (*config && !d->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "transient domain '%s' does not have any persistent config", d->def->name);
        return 0;
}

int domain_affect_one(Domain *d, uint32_t flags, bool *live, sd_bus_error *error) {
        bool config;

        if ((flags & DOMAIN_AFFECT_LIVE) && (flags & DOMAIN_AFFECT_CONFIG))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "flags 'affect live' and 'affect config' are mutually exclusive");
        if (!(flags & (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG)) && !d->persistent && !domain_is_active(d))
                flags |= DOMAIN_AFFECT_LIVE;
        return domain_affect(d, flags, live, &config, error);
}

DomainDef **domain_persistent_def(Domain *d) {
        return d->newdef ? &d->newdef : &d->def;
}

int domain_config_copy(Domain *d, DomainDef **ret, sd_bus_error *error) {
        int r = domain_def_copy(*domain_persistent_def(d), ret);

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_NO_MEMORY, "cannot copy the definition of '%s'", d->def->name);
        return 0;
}

int domain_config_commit(Domain *d, DomainDef *copy, sd_bus_error *error) {
        DomainDef **slot = domain_persistent_def(d);
        DomainDef *old = *slot;
        int r;

        *slot = copy;
        r = domain_save_config(d);
        if (r < 0) {
                *slot = old;
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot save the definition of '%s': %s",
                                     d->def->name, strerror(-r));
        }
        domain_def_free(old);
        return 0;
}
