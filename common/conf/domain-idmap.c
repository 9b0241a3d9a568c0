/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <idmap>: the user and group ids of a user-namespaced container, as
 * ranges of ids inside mapped onto ranges on the host. */
#include <inttypes.h>

#include "domain-conf-internal.h"

#define ID_SPACE (UINT64_C(1) << 32) /* uid_t and gid_t are 32 bits */

static int parse_range_attr(xmlNodePtr n, const char *path, const char *attr, unsigned *ret, ConfError *err) {
        int r;

        r = xml_attr_uint(n, path, attr, ret, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute '%s' of <%s>", attr, path);
        return r < 0 ? r : 0;
}

static int parse_range(DomainIdmapRange **list, size_t *n_list, xmlNodePtr n, const char *path, ConfError *err) {
        DomainIdmapRange *range;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "start", "target", "count");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = domain_list_append((void **) list, n_list, sizeof(**list), (void **) &range, path, err);
        if (r < 0)
                return r;
        r = parse_range_attr(n, path, "start", &range->start, err);
        if (r >= 0)
                r = parse_range_attr(n, path, "target", &range->target, err);
        if (r >= 0)
                r = parse_range_attr(n, path, "count", &range->count, err);
        if (r < 0)
                return r;
        if (range->count == 0)
                return xml_err_invalid(err, "value '0' of attribute 'count' of <%s> must be 1 or more", path);
        /* a range cannot run past the last id, inside or on the host */
        if ((uint64_t) range->start + range->count > ID_SPACE ||
            (uint64_t) range->target + range->count > ID_SPACE)
                return xml_err_invalid(err, "<%s start='%u' target='%u' count='%u'/> runs past the last id "
                                       "(%" PRIu64 ")", path, range->start, range->target, range->count,
                                       ID_SPACE - 1);
        return 0;
}

int domain_parse_idmap(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainIdmapDef *idmap = &def->idmap;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                bool uid = xml_is(c, "uid");

                if (!uid && !xml_is(c, "gid"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (uid)
                        r = parse_range(&idmap->uids, &idmap->n_uids, c, sub, err);
                else
                        r = parse_range(&idmap->gids, &idmap->n_gids, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void format_ranges(XmlWriter *w, const char *name, const DomainIdmapRange *list, size_t n) {
        for (size_t i = 0; i < n; i++) {
                xw_start(w, name);
                xw_attrf(w, "start", "%u", list[i].start);
                xw_attrf(w, "target", "%u", list[i].target);
                xw_attrf(w, "count", "%u", list[i].count);
                xw_end(w);
        }
}

void domain_format_idmap(XmlWriter *w, const DomainIdmapDef *idmap) {
        if (idmap->n_uids == 0 && idmap->n_gids == 0)
                return;
        xw_start(w, "idmap");
        format_ranges(w, "uid", idmap->uids, idmap->n_uids);
        format_ranges(w, "gid", idmap->gids, idmap->n_gids);
        xw_end(w);
}

static int start_cmp(const void *a, const void *b) {
        const DomainIdmapRange *x = a, *y = b;

        return x->start < y->start ? -1 : x->start > y->start;
}

static int target_cmp(const void *a, const void *b) {
        const DomainIdmapRange *x = a, *y = b;

        return x->target < y->target ? -1 : x->target > y->target;
}

/* Each id inside has one id on the host and the other way round (the
 * kernel takes no overlapping lines in uid_map): neither the ranges'
 * starts nor their targets overlap. Sorted, overlapping ranges are
 * neighbours. */
static int validate_ranges(const char *name, const DomainIdmapRange *list, size_t n, ConfError *err) {
        _cleanup_free_ DomainIdmapRange *sorted = NULL;

        if (n == 0)
                return 0;
        sorted = calloc(n, sizeof(*sorted));
        if (!sorted)
                return xml_err_oom(err);
        memcpy(sorted, list, n * sizeof(*sorted));
        qsort(sorted, n, sizeof(*sorted), start_cmp);
        for (size_t i = 1; i < n; i++)
                if ((uint64_t) sorted[i - 1].start + sorted[i - 1].count > sorted[i].start)
                        return xml_err_invalid(err, "<idmap/%s> ranges starting at %u (count %u) and at %u overlap",
                                               name, sorted[i - 1].start, sorted[i - 1].count, sorted[i].start);
        qsort(sorted, n, sizeof(*sorted), target_cmp);
        for (size_t i = 1; i < n; i++)
                if ((uint64_t) sorted[i - 1].target + sorted[i - 1].count > sorted[i].target)
                        return xml_err_invalid(err, "<idmap/%s> ranges with target %u (count %u) and target %u "
                                               "overlap on the host", name, sorted[i - 1].target,
                                               sorted[i - 1].count, sorted[i].target);
        return 0;
}

int domain_validate_idmap(const DomainDef *def, ConfError *err) {
        const DomainIdmapDef *idmap = &def->idmap;
        int r;

        if (idmap->n_uids == 0 && idmap->n_gids == 0)
                return 0;
        /* a user namespace maps both: with only one, the other's ids are all nobody */
        if (idmap->n_uids == 0 || idmap->n_gids == 0)
                return xml_err_invalid(err, "<idmap> has %s ranges but no <idmap/%s>: a user namespace needs both",
                                       idmap->n_uids ? "<uid>" : "<gid>", idmap->n_uids ? "gid" : "uid");
        r = validate_ranges("uid", idmap->uids, idmap->n_uids, err);
        if (r < 0)
                return r;
        return validate_ranges("gid", idmap->gids, idmap->n_gids, err);
}

void domain_idmap_clear(DomainIdmapDef *idmap) {
        free(idmap->uids);
        free(idmap->gids);
}

bool domain_idmap_own(DomainIdmapDef *idmap) {
        bool ok = true;

        ok = OWN_ARRAY(idmap->uids, idmap->n_uids) && ok;
        ok = OWN_ARRAY(idmap->gids, idmap->n_gids) && ok;
        return ok;
}
