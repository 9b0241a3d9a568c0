/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's ACPI HMAT, as libvirt models it (numa_conf.c): each cell's
 * memory-side caches (<cell><cache>) and the latency and bandwidth between
 * an initiator cell (one with vCPUs) and a target cell's memory or one of
 * its caches (<numa><interconnects>). libvirt's checks and messages. */
#include <inttypes.h>

#include "domain-conf-internal.h"

static const char *const assoc_names[_DOMAIN_NUMA_CACHE_ASSOC_MAX] = {
        [DOMAIN_NUMA_CACHE_ASSOC_NONE] = "none",
        [DOMAIN_NUMA_CACHE_ASSOC_DIRECT] = "direct",
        [DOMAIN_NUMA_CACHE_ASSOC_FULL] = "full",
};

static const char *const policy_names[_DOMAIN_NUMA_CACHE_POLICY_MAX] = {
        [DOMAIN_NUMA_CACHE_POLICY_NONE] = "none",
        [DOMAIN_NUMA_CACHE_POLICY_WRITEBACK] = "writeback",
        [DOMAIN_NUMA_CACHE_POLICY_WRITETHROUGH] = "writethrough",
};

static const char *const access_names[_DOMAIN_NUMA_ACCESS_MAX] = {
        [DOMAIN_NUMA_ACCESS_ACCESS] = "access",
        [DOMAIN_NUMA_ACCESS_READ] = "read",
        [DOMAIN_NUMA_ACCESS_WRITE] = "write",
};

static int required_enum(xmlNodePtr n, const char *path, const char *attr, const char *const *names, size_t n_names,
                         int *ret, ConfError *err) {
        int r = xml_attr_enum(n, path, attr, names, n_names, ret, err);

        if (r == 0)
                return xml_err_xml(err, "missing attribute '%s' of <%s>", attr, path);
        return r < 0 ? r : 0;
}

/* <size value='' unit=''/> (KiB by default) or <line value='' unit=''/>
 * (bytes by default): both required. */
static int parse_scaled_child(xmlNodePtr cache, const char *path, const char *name, bool kib, uint64_t *ret,
                              ConfError *err) {
        _cleanup_free_ char *unit = NULL;
        uint64_t v, scale = kib ? 1024 : 1;
        xmlNodePtr n = NULL;
        int r;

        XML_SUBPATH(sub, path, name);
        XML_FOREACH_ELEMENT(c, cache)
                if (xml_is(c, name))
                        n = c;
        if (!n)
                return xml_err_xml(err, "missing element <%s>", sub);
        r = XML_CHECK_ATTRS(n, sub, err, "value", "unit");
        if (r >= 0)
                r = xml_check_empty(n, sub, err);
        if (r >= 0)
                r = xml_attr_ullong(n, sub, "value", &v, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'value' of <%s>", sub);
        if (r >= 0)
                r = xml_attr_str(n, sub, "unit", &unit, err);
        if (r < 0)
                return r;
        if (unit && unit_scale(unit, &scale) < 0)
                return xml_err_invalid(err, "unknown unit '%s' of <%s>", unit, sub);
        if (v && scale > UINT64_MAX / v)
                return xml_err_invalid(err, "value '%" PRIu64 "' of <%s> is too large", v, sub);
        *ret = kib ? v * scale / 1024 : v * scale;
        return 0;
}

int domain_parse_numa_cache(DomainNumaCell *cell, xmlNodePtr n, const char *path, ConfError *err) {
        DomainNumaCache *cache;
        int v, r;

        r = XML_CHECK_ATTRS(n, path, err, "level", "associativity", "policy");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = LIST_APPEND(cell->caches, cell->n_caches, &cache, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "level", &cache->level, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "Missing 'level' attribute in cache element for NUMA node %u", cell->id);
        if (cache->level == 0)
                return xml_err_xml(err, "Invalid 'level' attribute in cache element for NUMA node %u", cell->id);
        r = required_enum(n, path, "associativity", assoc_names, _DOMAIN_NUMA_CACHE_ASSOC_MAX, &v, err);
        if (r < 0)
                return r;
        cache->associativity = (DomainNumaCacheAssociativity) v;
        r = required_enum(n, path, "policy", policy_names, _DOMAIN_NUMA_CACHE_POLICY_MAX, &v, err);
        if (r < 0)
                return r;
        cache->policy = (DomainNumaCachePolicy) v;
        XML_FOREACH_ELEMENT(c, n)
                if (!xml_is(c, "size") && !xml_is(c, "line"))
                        return xml_unsupported_element(c, path, err);
        r = parse_scaled_child(n, path, "size", true, &cache->size_kib, err);
        return r < 0 ? r : parse_scaled_child(n, path, "line", false, &cache->line, err);
}

static int parse_interconnect(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err) {
        DomainNumaInterconnect *l;
        bool bandwidth = xml_is(n, "bandwidth");
        int v, r;

        if (!bandwidth && !xml_is(n, "latency"))
                return xml_unsupported_element(n, path, err);
        XML_SUBPATH(sub, path, (const char *) n->name);
        r = bandwidth ? XML_CHECK_ATTRS(n, sub, err, "initiator", "target", "cache", "type", "value", "unit")
                      : XML_CHECK_ATTRS(n, sub, err, "initiator", "target", "cache", "type", "value");
        if (r >= 0)
                r = xml_check_empty(n, sub, err);
        if (r >= 0)
                r = LIST_APPEND(cpu->interconnects, cpu->n_interconnects, &l, sub, err);
        if (r < 0)
                return r;
        l->bandwidth = bandwidth;
        r = bandwidth ? xml_attr_scaled_kib(n, sub, "value", &l->value, err) : xml_attr_ullong(n, sub, "value", &l->value, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'value' of <%s>", sub);
        if (r > 0)
                r = xml_attr_uint(n, sub, "initiator", &l->initiator, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'initiator' of <%s>", sub);
        if (r > 0)
                r = xml_attr_uint(n, sub, "target", &l->target, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'target' of <%s>", sub);
        if (r > 0)
                r = xml_attr_uint(n, sub, "cache", &l->cache, err);
        if (r >= 0)
                r = required_enum(n, sub, "type", access_names, _DOMAIN_NUMA_ACCESS_MAX, &v, err);
        if (r < 0)
                return r;
        l->type = (DomainNumaAccess) v;
        return 0;
}

int domain_parse_numa_interconnects(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        XML_FOREACH_ELEMENT(c, n) {
                if (r < 0)
                        break;
                r = parse_interconnect(cpu, c, path, err);
        }
        return r < 0 ? r : 0;
}

/* ---- libvirt's virDomainNumaDefValidate, once every cell is known ------ */

static int check_cache_levels(const DomainNumaCell *cell, ConfError *err) {
        bool seen[4] = {};

        for (size_t j = 0; j < cell->n_caches; j++) {
                unsigned level = cell->caches[j].level;

                if (level > 3)
                        return xml_err_xml(err, "Ain't nobody heard of that much cache level");
                if (seen[level])
                        return xml_err_xml(err, "Cache level '%u' already defined", level);
                seen[level] = true;
        }
        return 0;
}

static bool has_cache(const DomainNumaCell *cell, unsigned level) {
        for (size_t j = 0; j < cell->n_caches; j++)
                if (cell->caches[j].level == level)
                        return true;
        return false;
}

static int check_interconnect(const DomainCpuDef *cpu, size_t i, ConfError *err) {
        const DomainNumaInterconnect *l = &cpu->interconnects[i];

        /* the cells are sorted by id, which runs from 0 */
        if (l->initiator >= cpu->n_cells)
                return xml_err_xml(err, "'initiator' refers to a non-existent NUMA node");
        if (l->target >= cpu->n_cells)
                return xml_err_xml(err, "'target' refers to a non-existent NUMA node");
        if (!cpu->cells[l->initiator].cpus)
                return xml_err_xml(err, "NUMA nodes without CPUs can't be initiator");
        if (l->cache > 0 && !has_cache(&cpu->cells[l->target], l->cache))
                return xml_err_xml(err, "'cache' refers to a non-existent NUMA node cache");
        for (size_t j = 0; j < i; j++) {
                const DomainNumaInterconnect *o = &cpu->interconnects[j];

                if (l->bandwidth == o->bandwidth && l->initiator == o->initiator && l->target == o->target &&
                    l->cache == o->cache && l->type == o->type)
                        return xml_err_xml(err, "Duplicate info for NUMA latencies");
                if (l->initiator != l->target && l->initiator == o->target && l->target == o->initiator)
                        return xml_err_xml(err, "Link already defined");
        }
        return 0;
}

int domain_numa_hmat_finish(const DomainCpuDef *cpu, ConfError *err) {
        int r;

        for (size_t i = 0; i < cpu->n_cells; i++)
                if ((r = check_cache_levels(&cpu->cells[i], err)) < 0)
                        return r;
        for (size_t i = 0; i < cpu->n_interconnects; i++)
                if ((r = check_interconnect(cpu, i, err)) < 0)
                        return r;
        return 0;
}

/* ---- format -------------------------------------------------------------- */

void domain_format_numa_caches(XmlWriter *w, const DomainNumaCell *cell) {
        for (size_t i = 0; i < cell->n_caches; i++) {
                const DomainNumaCache *c = &cell->caches[i];

                xw_start(w, "cache");
                xw_attrf(w, "level", "%u", c->level);
                xw_attr(w, "associativity", assoc_names[c->associativity]);
                xw_attr(w, "policy", policy_names[c->policy]);
                xw_start(w, "size");
                xw_attrf(w, "value", "%" PRIu64, c->size_kib);
                xw_attr(w, "unit", "KiB");
                xw_end(w);
                xw_start(w, "line");
                xw_attrf(w, "value", "%" PRIu64, c->line);
                xw_attr(w, "unit", "B");
                xw_end(w);
                xw_end(w);
        }
}

void domain_format_numa_interconnects(XmlWriter *w, const DomainCpuDef *cpu) {
        if (!cpu->n_interconnects)
                return;
        xw_start(w, "interconnects");
        for (size_t i = 0; i < cpu->n_interconnects; i++) {
                const DomainNumaInterconnect *l = &cpu->interconnects[i];

                xw_start(w, l->bandwidth ? "bandwidth" : "latency");
                xw_attrf(w, "initiator", "%u", l->initiator);
                xw_attrf(w, "target", "%u", l->target);
                if (l->cache)
                        xw_attrf(w, "cache", "%u", l->cache);
                xw_attr(w, "type", access_names[l->type]);
                xw_attrf(w, "value", "%" PRIu64, l->value);
                if (l->bandwidth)
                        xw_attr(w, "unit", "KiB");
                xw_end(w);
        }
        xw_end(w);
}

const char *domain_numa_cache_policy_to_string(DomainNumaCachePolicy p) {
        return (unsigned) p < _DOMAIN_NUMA_CACHE_POLICY_MAX ? policy_names[p] : NULL;
}

const char *domain_numa_access_to_string(DomainNumaAccess a) {
        return (unsigned) a < _DOMAIN_NUMA_ACCESS_MAX ? access_names[a] : NULL;
}
