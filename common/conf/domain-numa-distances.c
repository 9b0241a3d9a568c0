/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <cpu><numa><cell><distances><sibling id='' value=''/>: the guest's NUMA
 * distance table (ACPI SLIT), by libvirt's rules (numa_conf.c): 10 is a
 * cell's own distance and only its own, 255 unreachable, and a pair given in
 * one direction only holds both ways. */
#include <stdlib.h>

#include "domain-conf-internal.h"

#define LOCAL_DISTANCE 10
#define UNREACHABLE 255

/* A cell's table, by sibling id, with its own distance in it. */
static int cell_table(DomainNumaCell *cell, size_t n_total) {
        if (cell->distances)
                return 0;
        cell->distances = calloc(n_total, sizeof(unsigned));
        if (!cell->distances)
                return -ENOMEM;
        cell->n_distances = n_total;
        cell->distances[cell->id] = LOCAL_DISTANCE;
        return 0;
}

static int parse_sibling(DomainNumaCell *cell, xmlNodePtr n, const char *path, size_t n_total, ConfError *err) {
        unsigned id, value;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "id", "value");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "id", &id, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'id' of <%s>", path);
        if (r < 0)
                return r;
        if (id >= n_total)
                return xml_err_xml(err, "'sibling_id %u' does not refer to a valid cell within NUMA 'cell id %u'",
                                   id, cell->id);
        r = xml_attr_uint(n, path, "value", &value, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'value' of <%s>", path);
        if (r < 0)
                return r;
        if (value < LOCAL_DISTANCE || value > UNREACHABLE || (id == cell->id) != (value == LOCAL_DISTANCE))
                return xml_err_xml(err, "'value %u' is invalid for 'sibling id %u' under NUMA 'cell id %u'", value,
                                   id, cell->id);
        r = cell_table(cell, n_total);
        if (r < 0)
                return xml_err_oom(err);
        cell->distances[id] = value;
        return 0;
}

int domain_parse_numa_distances(DomainNumaCell *cell, xmlNodePtr n, const char *path, size_t n_total,
                                ConfError *err) {
        size_t n_siblings = 0;
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (!xml_is(c, "sibling"))
                        return xml_unsupported_element(c, path, err);
                r = parse_sibling(cell, c, sub, n_total, err);
                if (r < 0)
                        return r;
                n_siblings++;
        }
        if (n_siblings == 0)
                return xml_err_xml(err, "NUMA distances defined without siblings");
        return 0;
}

/* After the cells are sorted by id (cell i has id i): a distance given one
 * way only is the other way's too, as libvirt fills it. */
int domain_numa_distances_finish(DomainCpuDef *cpu, ConfError *err) {
        for (size_t i = 0; i < cpu->n_cells; i++) {
                const DomainNumaCell *from = &cpu->cells[i];

                for (size_t j = 0; from->distances && j < from->n_distances && j < cpu->n_cells; j++) {
                        DomainNumaCell *to = &cpu->cells[j];

                        if (!from->distances[j] || j == i)
                                continue;
                        if (cell_table(to, cpu->n_cells) < 0)
                                return xml_err_oom(err);
                        if (!to->distances[i])
                                to->distances[i] = from->distances[j];
                }
        }
        return 0;
}

void domain_format_numa_distances(XmlWriter *w, const DomainNumaCell *cell) {
        if (!cell->distances)
                return;
        xw_start(w, "distances");
        for (size_t j = 0; j < cell->n_distances; j++) {
                if (!cell->distances[j])
                        continue;
                xw_start(w, "sibling");
                xw_attrf(w, "id", "%zu", j);
                xw_attrf(w, "value", "%u", cell->distances[j]);
                xw_end(w);
        }
        xw_end(w);
}
