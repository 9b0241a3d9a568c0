/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os><acpi><table type='slic'>path</table></acpi>: an ACPI table from a
 * file (the software licensing one, the only type libvirt knows). */
#include "domain-conf-internal.h"

static int parse_table(void *userdata, xmlNodePtr n, const char *path, ConfError *err) {
        DomainOsDef *os = userdata;
        _cleanup_free_ char *type = NULL;
        int r;

        if (os->acpi_slic)
                return xml_err_xml(err, "Only one acpi table is supported");
        r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r >= 0)
                r = xml_attr_str(n, path, "type", &type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "Missing acpi table type");
        if (!streq(type, "slic"))
                return xml_err_xml(err, "Unknown acpi table type: %s", type);
        r = xml_text(n, path, &os->acpi_slic, err);
        if (r < 0)
                return r;
        return domain_check_abs_path(os->acpi_slic, "", path, err);
}

int domain_parse_os_acpi(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_parse_list(n, path, "table", parse_table, os, err);

        return r < 0 ? r : 0;
}

void domain_format_os_acpi(XmlWriter *w, const DomainOsDef *os) {
        if (!os->acpi_slic)
                return;
        xw_start(w, "acpi");
        xw_start(w, "table");
        xw_attr(w, "type", "slic");
        xw_text(w, os->acpi_slic);
        xw_end(w);
        xw_end(w);
}
