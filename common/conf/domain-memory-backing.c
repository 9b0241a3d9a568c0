/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <memoryBacking>: hugepages, nosharepages, locked, the RAM's source
 * (anonymous, file, memfd), its access (shared, private), allocation
 * (immediate, ondemand, threads) and discard. How a driver backs the RAM
 * with them is its own (qemud: the memory-backend objects). */
#include <inttypes.h>

#include "domain-conf-internal.h"

static int parse_hugepage(DomainMemoryBackingDef *mb, xmlNodePtr n, const char *path, ConfError *err) {
        DomainHugepage *p;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "size", "unit", "nodeset");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = LIST_APPEND(mb->pages, mb->n_pages, &p, path, err);
        if (r < 0)
                return r;
        r = xml_attr_scaled_kib(n, path, "size", &p->size_kib, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'size' of <%s>", path);
        if (p->size_kib == 0)
                return xml_err_invalid(err, "page size of <%s> must be more than 0", path);
        r = xml_attr_str(n, path, "nodeset", &p->nodeset, err);
        if (r > 0)
                r = domain_check_cpuset(p->nodeset, "attribute 'nodeset' of", path, err);
        return r < 0 ? r : 0;
}

static int parse_hugepages(DomainMemoryBackingDef *mb, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        mb->hugepages = true;
        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "page"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, "page");
                r = parse_hugepage(mb, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_flag(bool *flag, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        *flag = true;
        return 0;
}

/* <source type=''/>, <access mode=''/>: one enum attribute, empty. */
static int parse_enum_child(xmlNodePtr n, const char *path, const char *attr, int (*from_string)(const char *),
                            int *ret, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, attr);

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_attr_enum(n, path, attr, from_string, ret, err);
        if (r == 0)
                r = xml_err_xml(err, "missing attribute '%s' of <%s>", attr, path);
        return r < 0 ? r : 0;
}

static int parse_allocation(DomainMemoryBackingDef *mb, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "mode", "threads");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "mode", domain_memory_allocation, &mb->allocation, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "threads", &mb->allocation_threads, err);
        if (r > 0 && mb->allocation_threads == 0)
                return xml_err_invalid(err, "invalid threads '0' of <%s>", path);
        if (r >= 0 && mb->allocation == DOMAIN_MEMORY_ALLOCATION_NONE && !mb->allocation_threads)
                return xml_err_xml(err, "<%s> needs a mode or threads", path);
        return r < 0 ? r : 0;
}

static int parse_child(DomainMemoryBackingDef *mb, xmlNodePtr c, const char *sub, ConfError *err) {
        int v = 0, r;

        if (xml_is(c, "hugepages"))
                return parse_hugepages(mb, c, sub, err);
        if (xml_is(c, "nosharepages"))
                return parse_flag(&mb->nosharepages, c, sub, err);
        if (xml_is(c, "locked"))
                return parse_flag(&mb->locked, c, sub, err);
        if (xml_is(c, "discard"))
                return parse_flag(&mb->discard, c, sub, err);
        if (xml_is(c, "allocation"))
                return parse_allocation(mb, c, sub, err);
        if (xml_is(c, "source")) {
                r = parse_enum_child(c, sub, "type", domain_memory_source_from_string, &v, err);
                mb->source = (DomainMemorySource) v;
                return r;
        }
        r = parse_enum_child(c, sub, "mode", domain_memory_access_from_string, &v, err);
        mb->access = (DomainMemoryAccess) v;
        return r;
}

int domain_parse_memory_backing(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const children[] = {
                "hugepages", "nosharepages", "locked", "source", "access", "allocation", "discard",
        };
        DomainMemoryBackingDef *mb = &def->memory_backing;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is_any(c, children, ELEMENTSOF(children)))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                r = xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                r = parse_child(mb, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool memory_backing_is_set(const DomainMemoryBackingDef *mb) {
        return mb->hugepages || mb->nosharepages || mb->locked || mb->source || mb->access || mb->allocation ||
               mb->allocation_threads || mb->discard;
}

static void format_enum_child(XmlWriter *w, const char *name, const char *attr, const char *value) {
        if (!value)
                return;
        xw_start(w, name);
        xw_attr(w, attr, value);
        xw_end(w);
}

/* libvirt's order (virDomainMemoryBackingFormat). */
void domain_format_memory_backing(XmlWriter *w, const DomainMemoryBackingDef *mb) {
        if (!memory_backing_is_set(mb))
                return;
        xw_start(w, "memoryBacking");
        if (mb->hugepages) {
                xw_start(w, "hugepages");
                for (size_t i = 0; i < mb->n_pages; i++) {
                        xw_start(w, "page");
                        xw_attrf(w, "size", "%" PRIu64, mb->pages[i].size_kib);
                        xw_attr(w, "unit", "KiB");
                        xw_attr(w, "nodeset", mb->pages[i].nodeset);
                        xw_end(w);
                }
                xw_end(w);
        }
        if (mb->nosharepages)
                xw_empty(w, "nosharepages");
        if (mb->locked)
                xw_empty(w, "locked");
        format_enum_child(w, "source", "type", domain_memory_source_to_string(mb->source));
        format_enum_child(w, "access", "mode", domain_memory_access_to_string(mb->access));
        if (mb->allocation || mb->allocation_threads) {
                xw_start(w, "allocation");
                xw_attr(w, "mode", domain_memory_allocation_to_string(mb->allocation));
                if (mb->allocation_threads)
                        xw_attrf(w, "threads", "%u", mb->allocation_threads);
                xw_end(w);
        }
        if (mb->discard)
                xw_empty(w, "discard");
        xw_end(w);
}

void domain_memory_backing_clear(DomainMemoryBackingDef *mb) {
        for (size_t i = 0; i < mb->n_pages; i++)
                free(mb->pages[i].nodeset);
        free(mb->pages);
}

bool domain_memory_backing_own(DomainMemoryBackingDef *mb) {
        bool ok = OWN_ARRAY(mb->pages, mb->n_pages);

        for (size_t i = 0; i < mb->n_pages; i++)
                ok = own_str(&mb->pages[i].nodeset) && ok;
        return ok;
}
