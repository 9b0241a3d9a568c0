/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <sysinfo type='smbios'>: the SMBIOS tables the guest's firmware shows
 * (BIOS, system, base boards, chassis, OEM strings) when <os><smbios
 * mode='sysinfo'/> asks for them; <sysinfo type='fwcfg'>: named blobs in
 * QEMU's firmware configuration device (Ignition reads opt/com.coreos/config
 * there). libvirt's rules: each section's entries by name, an empty one is
 * no entry, a section without entries is left out, the BIOS date is
 * mm/dd/yy(yy), the system uuid is the domain's. */
#include <stdio.h>

#include "domain-conf-internal.h"
#include "uuid.h"

static const char *const type_table[_DOMAIN_SYSINFO_MAX] = {
        [DOMAIN_SYSINFO_SMBIOS] = "smbios",
        [DOMAIN_SYSINFO_FWCFG] = "fwcfg",
};

static const char *const smbios_mode_table[_DOMAIN_SMBIOS_MAX] = {
        [DOMAIN_SMBIOS_EMULATE] = "emulate",
        [DOMAIN_SMBIOS_HOST] = "host",
        [DOMAIN_SMBIOS_SYSINFO] = "sysinfo",
};

/* The entry names of each section, in libvirt's (and QEMU's) order. */
const char *const domain_smbios_fields[_DOMAIN_SMBIOS_SECTION_MAX][DOMAIN_SMBIOS_FIELDS_MAX + 1] = {
        [DOMAIN_SMBIOS_BIOS] = { "vendor", "version", "date", "release" },
        [DOMAIN_SMBIOS_SYSTEM] = { "manufacturer", "product", "version", "serial", "uuid", "sku", "family" },
        [DOMAIN_SMBIOS_BASEBOARD] = { "manufacturer", "product", "version", "serial", "asset", "location" },
        [DOMAIN_SMBIOS_CHASSIS] = { "manufacturer", "version", "serial", "asset", "sku" },
};

static const char *const section_names[_DOMAIN_SMBIOS_SECTION_MAX] = {
        [DOMAIN_SMBIOS_BIOS] = "bios",
        [DOMAIN_SMBIOS_SYSTEM] = "system",
        [DOMAIN_SMBIOS_BASEBOARD] = "baseBoard",
        [DOMAIN_SMBIOS_CHASSIS] = "chassis",
};

const char *domain_sysinfo_type_to_string(DomainSysinfoType t) {
        return t < _DOMAIN_SYSINFO_MAX ? type_table[t] : NULL;
}

const char *domain_smbios_mode_to_string(DomainSmbiosMode m) {
        return m < _DOMAIN_SMBIOS_MAX ? smbios_mode_table[m] : NULL;
}

static int field_index(DomainSmbiosSectionKind kind, const char *name) {
        for (int i = 0; domain_smbios_fields[kind][i]; i++)
                if (streq(domain_smbios_fields[kind][i], name))
                        return i;
        return -1;
}

bool domain_smbios_section_empty(const DomainSmbiosSection *s) {
        for (size_t i = 0; i < DOMAIN_SMBIOS_FIELDS_MAX; i++)
                if (s->fields[i])
                        return false;
        return true;
}

/* libvirt's check of the format only: mm/dd/yy (19yy) or mm/dd/yyyy from 1900. */
static bool bios_date_valid(const char *s) {
        int month, day, year, end = 0;

        if (sscanf(s, "%d/%d/%d%n", &month, &day, &year, &end) != 3 || s[end] || s[0] == ' ')
                return false;
        return month >= 1 && month <= 12 && day >= 1 && day <= 31 && year >= 0 && (year < 100 || year >= 1900);
}

static int parse_entry(DomainSmbiosSection *s, DomainSmbiosSectionKind kind, xmlNodePtr n, const char *path,
                       ConfError *err) {
        _cleanup_free_ char *name = NULL, *value = NULL;
        int r, i;

        r = XML_CHECK_ATTRS(n, path, err, "name");
        if (r >= 0)
                r = xml_attr_str_required(n, path, "name", &name, err);
        if (r < 0)
                return r;
        i = field_index(kind, name);
        if (i < 0)
                return xml_err_unsupported(err, "entry '%s' of <%s> is not supported", name, path);
        if (s->fields[i])
                return xml_err_xml(err, "entry '%s' of <%s> is given twice", name, path);
        r = xml_text(n, path, &value, err);
        if (r < 0)
                return r;
        if (!*value) /* libvirt: an empty entry is no entry */
                return 0;
        if (kind == DOMAIN_SMBIOS_BIOS && streq(name, "date") && !bios_date_valid(value))
                return xml_err_xml(err, "Invalid BIOS 'date' format: '%s' of <%s> is not mm/dd/yy or mm/dd/yyyy",
                                   value, path);
        if (kind == DOMAIN_SMBIOS_SYSTEM && streq(name, "uuid")) {
                uint8_t u[16];
                char buf[UUID_STRING_MAX];

                if (uuid_parse(value, u) < 0)
                        return xml_err_xml(err, "malformed <sysinfo> uuid element: '%s' of <%s>", value, path);
                free(value);
                value = strdup(uuid_format(u, buf)); /* libvirt's form */
                if (!value)
                        return xml_err_oom(err);
        }
        s->fields[i] = TAKE_PTR(value);
        return 0;
}

static int parse_section(DomainSmbiosSection *s, DomainSmbiosSectionKind kind, xmlNodePtr n, const char *path,
                         ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                r = xml_is(c, "entry") ? parse_entry(s, kind, c, sub, err) : xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_oem_string(void *userdata, xmlNodePtr n, const char *path, ConfError *err) {
        DomainSysinfo *si = userdata;
        _cleanup_free_ char *value = NULL;
        char **slot;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_text(n, path, &value, err);
        if (r >= 0)
                r = LIST_APPEND(si->oem_strings, si->n_oem_strings, &slot, path, err);
        if (r < 0)
                return r;
        *slot = TAKE_PTR(value);
        return 0;
}

static int parse_smbios_child(DomainSysinfo *si, xmlNodePtr c, const char *path, ConfError *err) {
        DomainSmbiosSection *s;
        int r;

        if (xml_is(c, "oemStrings")) {
                r = xml_check_unique(c, path, err);
                return r < 0 ? r : xml_parse_list(c, path, "entry", parse_oem_string, si, err);
        }
        for (int k = 0; k < _DOMAIN_SMBIOS_SECTION_MAX; k++) {
                if (!xml_is(c, section_names[k]))
                        continue;
                if (k != DOMAIN_SMBIOS_BASEBOARD) {
                        r = xml_check_unique(c, path, err);
                        return r < 0 ? r : parse_section(&si->sections[k], k, c, path, err);
                }
                /* base boards: any number; one without entries is left out */
                r = LIST_APPEND(si->baseboards, si->n_baseboards, &s, path, err);
                if (r >= 0)
                        r = parse_section(s, k, c, path, err);
                if (r >= 0 && domain_smbios_section_empty(s))
                        si->n_baseboards--;
                return r;
        }
        return xml_err_unsupported(err, "element <%s> is not supported", path);
}

static int parse_fwcfg_entry(void *userdata, xmlNodePtr n, const char *path, ConfError *err) {
        DomainSysinfo *si = userdata;
        _cleanup_free_ char *name = NULL, *value = NULL, *file = NULL;
        DomainFwcfgEntry *e;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name", "file");
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "name", &name, err);
        if (r == 0)
                return xml_err_xml(err, "Firmware entry is missing 'name' attribute (<%s>)", path);
        if (r >= 0)
                r = xml_attr_str(n, path, "file", &file, err);
        if (r >= 0)
                r = xml_text(n, path, &value, err);
        if (r < 0)
                return r;
        if (!*value)
                value = mfree(value);
        if (!value == !file)
                return xml_err_xml(err, "Firmware entry '%s' must have either value or 'file' attribute "
                                   "(<%s>), not %s", name, path, value ? "both" : "neither");
        r = LIST_APPEND(si->fwcfg, si->n_fwcfg, &e, path, err);
        if (r < 0)
                return r;
        *e = (DomainFwcfgEntry) { TAKE_PTR(name), TAKE_PTR(value), TAKE_PTR(file) };
        return 0;
}

int domain_parse_sysinfo(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainSysinfo *si;
        int r, type;

        r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r >= 0)
                r = xml_attr_enum(n, path, "type", type_table, _DOMAIN_SYSINFO_MAX, &type, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        if (r >= 0)
                r = LIST_APPEND(def->sysinfos, def->n_sysinfos, &si, path, err);
        if (r < 0)
                return r;
        si->type = type;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (type == DOMAIN_SYSINFO_SMBIOS)
                        r = parse_smbios_child(si, c, sub, err);
                else if (xml_is(c, "entry"))
                        r = parse_fwcfg_entry(si, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* After the whole document: a system uuid is the domain's (libvirt's rule);
 * a domain without <uuid> takes it. Returns 1 when it gave the uuid. */
int domain_sysinfo_uuid(DomainDef *def, bool has_uuid, ConfError *err) {
        for (size_t i = 0; i < def->n_sysinfos; i++) {
                const char *s = def->sysinfos[i].sections[DOMAIN_SMBIOS_SYSTEM].fields[DOMAIN_SMBIOS_SYSTEM_UUID];
                uint8_t u[16];

                if (!s || uuid_parse(s, u) < 0)
                        continue;
                if (!has_uuid) {
                        memcpy(def->uuid, u, sizeof(u));
                        has_uuid = true;
                        continue;
                }
                if (memcmp(def->uuid, u, sizeof(u)) != 0)
                        return xml_err_xml(err, "UUID mismatch between <uuid> and <sysinfo> (%s)", s);
        }
        return has_uuid;
}

int domain_parse_os_smbios(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        int r, mode;

        r = XML_CHECK_ATTRS(n, path, err, "mode");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_enum(n, path, "mode", smbios_mode_table, _DOMAIN_SMBIOS_MAX, &mode, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'mode' of <%s>", path);
        if (r < 0)
                return r;
        os->smbios_mode = mode;
        return 0;
}

void domain_format_os_smbios(XmlWriter *w, const DomainOsDef *os) {
        if (os->smbios_mode == DOMAIN_SMBIOS_NONE)
                return;
        xw_start(w, "smbios");
        xw_attr(w, "mode", smbios_mode_table[os->smbios_mode]);
        xw_end(w);
}

static void format_section(XmlWriter *w, const DomainSmbiosSection *s, DomainSmbiosSectionKind kind) {
        if (domain_smbios_section_empty(s))
                return;
        xw_start(w, section_names[kind]);
        for (size_t i = 0; domain_smbios_fields[kind][i]; i++) {
                if (!s->fields[i])
                        continue;
                xw_start(w, "entry");
                xw_attr(w, "name", domain_smbios_fields[kind][i]);
                xw_text(w, s->fields[i]);
                xw_end(w);
        }
        xw_end(w);
}

static void format_one(XmlWriter *w, const DomainSysinfo *si) {
        xw_start(w, "sysinfo");
        xw_attr(w, "type", type_table[si->type]);
        for (size_t i = 0; i < si->n_fwcfg; i++) {
                xw_start(w, "entry");
                xw_attr(w, "name", si->fwcfg[i].name);
                xw_attr(w, "file", si->fwcfg[i].file);
                if (si->fwcfg[i].value)
                        xw_text(w, si->fwcfg[i].value);
                xw_end(w);
        }
        format_section(w, &si->sections[DOMAIN_SMBIOS_BIOS], DOMAIN_SMBIOS_BIOS);
        format_section(w, &si->sections[DOMAIN_SMBIOS_SYSTEM], DOMAIN_SMBIOS_SYSTEM);
        for (size_t i = 0; i < si->n_baseboards; i++)
                format_section(w, &si->baseboards[i], DOMAIN_SMBIOS_BASEBOARD);
        format_section(w, &si->sections[DOMAIN_SMBIOS_CHASSIS], DOMAIN_SMBIOS_CHASSIS);
        if (si->n_oem_strings > 0) {
                xw_start(w, "oemStrings");
                for (size_t i = 0; i < si->n_oem_strings; i++)
                        xw_element(w, "entry", si->oem_strings[i]);
                xw_end(w);
        }
        xw_end(w);
}

void domain_format_sysinfo(XmlWriter *w, const DomainDef *def) {
        for (size_t i = 0; i < def->n_sysinfos; i++)
                format_one(w, &def->sysinfos[i]);
}

static void section_clear(DomainSmbiosSection *s) {
        for (size_t i = 0; i < DOMAIN_SMBIOS_FIELDS_MAX; i++)
                free(s->fields[i]);
}

static bool section_own(DomainSmbiosSection *s) {
        bool ok = true;

        for (size_t i = 0; i < DOMAIN_SMBIOS_FIELDS_MAX; i++)
                ok = own_str(&s->fields[i]) && ok;
        return ok;
}

static void sysinfo_clear(DomainSysinfo *si) {
        for (size_t k = 0; k < _DOMAIN_SMBIOS_SECTION_MAX; k++)
                section_clear(&si->sections[k]);
        for (size_t i = 0; i < si->n_baseboards; i++)
                section_clear(&si->baseboards[i]);
        free(si->baseboards);
        for (size_t i = 0; i < si->n_oem_strings; i++)
                free(si->oem_strings[i]);
        free(si->oem_strings);
        for (size_t i = 0; i < si->n_fwcfg; i++) {
                free(si->fwcfg[i].name);
                free(si->fwcfg[i].value);
                free(si->fwcfg[i].file);
        }
        free(si->fwcfg);
}

static bool sysinfo_own(DomainSysinfo *si) {
        bool ok = true;

        for (size_t k = 0; k < _DOMAIN_SMBIOS_SECTION_MAX; k++)
                ok = section_own(&si->sections[k]) && ok;
        ok = OWN_ARRAY(si->baseboards, si->n_baseboards) && ok;
        for (size_t i = 0; i < si->n_baseboards; i++)
                ok = section_own(&si->baseboards[i]) && ok;
        ok = OWN_ARRAY(si->oem_strings, si->n_oem_strings) && ok;
        for (size_t i = 0; i < si->n_oem_strings; i++)
                ok = own_str(&si->oem_strings[i]) && ok;
        ok = OWN_ARRAY(si->fwcfg, si->n_fwcfg) && ok;
        for (size_t i = 0; i < si->n_fwcfg; i++) {
                ok = own_str(&si->fwcfg[i].name) && ok;
                ok = own_str(&si->fwcfg[i].value) && ok;
                ok = own_str(&si->fwcfg[i].file) && ok;
        }
        return ok;
}

void domain_sysinfo_clear(DomainDef *def) {
        for (size_t i = 0; i < def->n_sysinfos; i++)
                sysinfo_clear(&def->sysinfos[i]);
        free(def->sysinfos);
}

bool domain_sysinfo_own(DomainDef *def) {
        bool ok = OWN_ARRAY(def->sysinfos, def->n_sysinfos);

        for (size_t i = 0; i < def->n_sysinfos; i++)
                ok = sysinfo_own(&def->sysinfos[i]) && ok;
        return ok;
}
