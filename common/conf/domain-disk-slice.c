/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <source><slices><slice type='storage' offset='' size=''/></slices>: the
 * part of a file or device the image is in, as libvirt models it (only
 * the 'storage' slice exists). */
#include <inttypes.h>

#include "domain-conf-internal.h"

static int parse_slice(void *userdata, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskSlice *s = userdata;
        _cleanup_free_ char *type = NULL;
        int r = xml_check_unique(n, path, err); /* the schema allows one */

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "type", "offset", "size");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "type", &type, err);
        if (r < 0)
                return r;
        if (!streq(type, "storage"))
                return xml_err_unsupported(err, "slice type '%s' of <%s> is not supported, only 'storage'", type,
                                           path);
        if (!xmlHasProp(n, (const xmlChar *) "offset") || !xmlHasProp(n, (const xmlChar *) "size"))
                return xml_err_xml(err, "missing offset or size attribute of slice <%s>", path);
        r = xml_attr_ullong(n, path, "offset", &s->offset, err);
        if (r >= 0)
                r = xml_attr_ullong(n, path, "size", &s->size, err);
        if (r < 0)
                return r;
        s->set = true;
        return 0;
}

int domain_parse_disk_slices(DomainDiskSlice *s, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_parse_list(n, path, "slice", parse_slice, s, err);

        return r < 0 ? r : 0;
}

void domain_format_disk_slices(XmlWriter *w, const DomainDiskSlice *s) {
        if (!s->set)
                return;
        xw_start(w, "slices");
        xw_start(w, "slice");
        xw_attr(w, "type", "storage");
        xw_attrf(w, "offset", "%" PRIu64, s->offset);
        xw_attrf(w, "size", "%" PRIu64, s->size);
        xw_end(w);
        xw_end(w);
}
