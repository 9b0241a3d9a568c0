/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The aliases of memory devices plugged into a running guest
 * (hotplug_keep_memory_aliases()): those QEMU has keep theirs, a new one
 * takes the first free <model>N, so that after a detach the new device's
 * backend "mem" ALIAS never collides with one QEMU still has. */

#include "domain-test.h"
#include "qemu-command-internal.h"
#include "qemu-hotplug-internal.h"
#include "util.h"

#define DIMM(mib) "<memory model='dimm'><target><size unit='MiB'>" mib "</size><node>0</node></target></memory>"
#define NUMA "<cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/></numa></cpu>"

static DomainDef *def_with(const char *mems) {
        _cleanup_free_ char *devices = domain_with(NULL, mems), *xml = NULL;
        char *at = devices ? strstr(devices, "<devices>") : NULL;

        if (!at || asprintf(&xml, "%.*s" NUMA "%s", (int) (at - devices), devices, at) < 0)
                return NULL;
        return parse_ok(xml, "memory devices");
}

static void test_keep_aliases(void) {
        _cleanup_(domain_def_freep) DomainDef *old = def_with(DIMM("128") DIMM("256")),
                                              *now = def_with(DIMM("256") DIMM("64"));

        if (!old || !now)
                return;
        /* QEMU has dimm0 and dimm2; dimm1 was detached */
        free_and_replace_str(&old->mems[0].alias, strdup("dimm2"));
        free_and_replace_str(&old->mems[1].alias, strdup("dimm0"));
        old->n_mems = 1;
        CHECK(qemu_memdev_assign_aliases(now) == 0);
        CHECK(hotplug_keep_memory_aliases(old, now) == 0);
        CHECK(streq_ptr(now->mems[0].alias, "dimm2"));
        CHECK(streq_ptr(now->mems[1].alias, "dimm0"));
        free_and_replace_str(&now->mems[1].alias, NULL);
        CHECK(hotplug_keep_memory_aliases(old, now) == 0);
        CHECK(streq_ptr(now->mems[1].alias, "dimm0"));
        CHECK(streq_ptr(qemu_memdev_alias_prefix(DOMAIN_MEMORY_VIRTIO_MEM), "virtiomem"));
        old->n_mems = 2; /* freed whole */
}

UNIT_TESTS(test_keep_aliases)
