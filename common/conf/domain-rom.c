/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <rom bar='' file='' enabled=''/> of a PCI device: whether its option ROM
 * is mapped (bar), which image it holds (file) and whether it has one at
 * all (enabled='no', or the older file=''). Shared by the devices that
 * take it; each lists "rom" among its children and calls
 * domain_parse_rom(). */
#include "domain-conf-internal.h"

int domain_parse_rom(xmlNodePtr n, const char *path, DomainRomDef *rom, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "bar", "file", "enabled");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "bar", "on", "off", &rom->bar, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "enabled", "yes", "no", &rom->enabled, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "file", &rom->file, err);
        if (r < 0)
                return r;
        /* file='' was libvirt's way to say no ROM before enabled='no' */
        if (rom->file && !*rom->file && rom->enabled == TRISTATE_ABSENT) {
                rom->enabled = TRISTATE_OFF;
                rom->file = (free(rom->file), NULL);
        }
        if (rom->enabled == TRISTATE_OFF && (rom->bar != TRISTATE_ABSENT || rom->file))
                return xml_err_invalid(err, "<%s> with enabled='no' takes no bar and no file", path);
        if (rom->file && *rom->file != '/')
                return xml_err_invalid(err, "attribute 'file' of <%s> must be an absolute path, not '%s'", path,
                                       rom->file);
        return 0;
}

bool domain_rom_set(const DomainRomDef *rom) {
        return rom->bar != TRISTATE_ABSENT || rom->enabled != TRISTATE_ABSENT || rom->file;
}

void domain_format_rom(XmlWriter *w, const DomainRomDef *rom) {
        if (!domain_rom_set(rom))
                return;
        xw_start(w, "rom");
        xw_attr(w, "enabled", tristate_word(rom->enabled, "yes", "no"));
        xw_attr(w, "bar", tristate_word(rom->bar, "on", "off"));
        xw_attr(w, "file", rom->file);
        xw_end(w);
}

/* <acpi index=''/> of a PCI device: its name in the guest (QEMU's
 * acpi-index). 0 is "not set", as for libvirt; QEMU's upper bound is
 * checked when the command line is built. */
int domain_parse_acpi_index(xmlNodePtr n, const char *path, unsigned *ret, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "index");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "index", ret, err);
        return r < 0 ? r : 0;
}

void domain_format_acpi_index(XmlWriter *w, unsigned index) {
        if (!index)
                return;
        xw_start(w, "acpi");
        xw_attrf(w, "index", "%u", index);
        xw_end(w);
}
