/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "domain-state.h"
#include "macro.h"
#include "util.h"

/* The names the live state file uses (domain-status.c). */
static const char *const state_names[] = {
        [DOMAIN_NOSTATE] = "nostate",   [DOMAIN_RUNNING] = "running", [DOMAIN_BLOCKED] = "blocked",
        [DOMAIN_PAUSED] = "paused",     [DOMAIN_SHUTDOWN] = "shutdown", [DOMAIN_SHUTOFF] = "shutoff",
        [DOMAIN_CRASHED] = "crashed",   [DOMAIN_PMSUSPENDED] = "pmsuspended",
};

const char *domain_state_to_string(DomainState s) {
        if ((size_t) s >= ELEMENTSOF(state_names))
                return "unknown";
        return state_names[s];
}

/* libvirt's names for the shutoff reasons (virDomainShutoffReason), as its
 * domain log writes them. */
static const char *const shutoff_names[] = {
        "unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot", "daemon",
};

const char *domain_shutoff_reason_to_string(int reason) {
        if (reason < 0 || (size_t) reason >= ELEMENTSOF(shutoff_names))
                return "unknown";
        return shutoff_names[reason];
}

int domain_state_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(state_names); i++)
                if (streq(state_names[i], s))
                        return (int) i;
        return -EINVAL;
}
