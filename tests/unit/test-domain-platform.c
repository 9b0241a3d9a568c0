/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The platform parts of the model, with libvirt 9.0's rules: guest NUMA
 * cells, and more as they come. Round trips and the schema check of the
 * fixtures are test-domain-conf's; here what each field holds. */

#include "domain-test.h"

static DomainDef *fixture(const char *name) {
        _cleanup_free_ char *path = NULL, *xml = NULL;

        if (asprintf(&path, "%s/%s", data_dir(), name) < 0)
                return NULL;
        xml = read_file(path);
        CHECK(xml != NULL);
        return xml ? parse_ok(xml, name) : NULL;
}

/* Cells in any order are kept sorted by id; one without cpus is memory
 * only; <memory> left out is the cells' sum (libvirt's post-parse). */
static void test_numa_cells(void) {
        _cleanup_(domain_def_freep) DomainDef *def = fixture("numa-cells.xml");
        _cleanup_free_ char *out = NULL;

        if (!def)
                return;
        CHECK_INTEQ(def->cpu.n_cells, 3);
        for (size_t i = 0; i < def->cpu.n_cells; i++)
                CHECK_INTEQ(def->cpu.cells[i].id, i);
        CHECK_STREQ(def->cpu.cells[0].cpus, "0-1");
        CHECK(def->cpu.cells[2].cpus == NULL);
        CHECK_INTEQ(def->memory_kib, 262144);
        out = format_ok(def, 0);
        CHECK_CONTAINS(out, "<memory unit='KiB'>262144</memory>");
        CHECK_CONTAINS(out, "<cell id='1' cpus='2-3' memory='65536' unit='KiB'/>\n"
                            "      <cell id='2' memory='65536' unit='KiB'/>");
}

UNIT_TESTS(test_numa_cells)
