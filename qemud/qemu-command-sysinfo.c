/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <sysinfo>: with <os><smbios mode='sysinfo'/>, the first <sysinfo
 * type='smbios'> (with mode='host', the host's tables: dmi-table.h) as QEMU's -smbios type=0|1|2|3|11 tables, fields in
 * libvirt's order; every <sysinfo type='fwcfg'> entry as -fw_cfg
 * name=,string=|file=. */
#include <errno.h>

#include "qemu-command-internal.h"

/* The SMBIOS structure type of each section. */
static const unsigned section_type[_DOMAIN_SMBIOS_SECTION_MAX] = {
        [DOMAIN_SMBIOS_BIOS] = 0,
        [DOMAIN_SMBIOS_SYSTEM] = 1,
        [DOMAIN_SMBIOS_BASEBOARD] = 2,
        [DOMAIN_SMBIOS_CHASSIS] = 3,
};

static int build_section(QemuCmd *c, const DomainSmbiosSection *s, DomainSmbiosSectionKind kind) {
        OptBuf b = {};

        if (domain_smbios_section_empty(s))
                return 0;
        opt_add(&b, "type=%u", section_type[kind]);
        for (size_t i = 0; domain_smbios_fields[kind][i]; i++)
                if (s->fields[i])
                        opt_add_str(&b, domain_smbios_fields[kind][i], s->fields[i]);
        return cmd_opt(c, "-smbios", &b);
}

static int build_oem_strings(QemuCmd *c, const DomainSysinfo *si) {
        OptBuf b = {};

        if (si->n_oem_strings == 0)
                return 0;
        opt_add(&b, "type=11");
        for (size_t i = 0; i < si->n_oem_strings; i++)
                opt_add_str(&b, "value", si->oem_strings[i]);
        return cmd_opt(c, "-smbios", &b);
}

static const DomainSysinfo *first_smbios(const DomainDef *def) {
        for (size_t i = 0; i < def->n_sysinfos; i++)
                if (def->sysinfos[i].type == DOMAIN_SYSINFO_SMBIOS)
                        return &def->sysinfos[i];
        return NULL;
}

static int build_smbios(QemuCmd *c) {
        const DomainSysinfo *si;
        int r;

        switch (c->def->os.smbios_mode) {
        case DOMAIN_SMBIOS_HOST:
                /* the host's tables, which the driver read (its uuid is
                 * not among them: the guest's is its own) */
                si = c->params->host_sysinfo;
                if (!si)
                        return cmd_fail(c, -EOPNOTSUPP, "Host SMBIOS information is not available");
                break;
        case DOMAIN_SMBIOS_SYSINFO:
                si = first_smbios(c->def);
                break;
        default:
                return 0;
        }
        if (!si)
                return cmd_fail(c, -EINVAL, "Domain '%s' sysinfo are not available: <os><smbios mode='sysinfo'/> "
                                "needs a <sysinfo type='smbios'>", c->def->name);
        /* QEMU 7.2 takes one type 2 table */
        if (si->n_baseboards > 1)
                return cmd_fail(c, -EOPNOTSUPP, "qemu does not support more than one entry to Type 2 in SMBIOS "
                                "table (<sysinfo><baseBoard> is given %zu times)", si->n_baseboards);
        r = build_section(c, &si->sections[DOMAIN_SMBIOS_BIOS], DOMAIN_SMBIOS_BIOS) ?:
            build_section(c, &si->sections[DOMAIN_SMBIOS_SYSTEM], DOMAIN_SMBIOS_SYSTEM);
        for (size_t i = 0; r >= 0 && i < si->n_baseboards; i++)
                r = build_section(c, &si->baseboards[i], DOMAIN_SMBIOS_BASEBOARD);
        return r ?: build_section(c, &si->sections[DOMAIN_SMBIOS_CHASSIS], DOMAIN_SMBIOS_CHASSIS) ?:
               build_oem_strings(c, si);
}

static int build_fwcfg(QemuCmd *c, const DomainSysinfo *si) {
        for (size_t i = 0; i < si->n_fwcfg; i++) {
                const DomainFwcfgEntry *e = &si->fwcfg[i];
                OptBuf b = {};
                int r;

                opt_add_str(&b, "name", e->name);
                if (e->value)
                        opt_add_str(&b, "string", e->value);
                else
                        opt_add_str(&b, "file", e->file);
                r = cmd_opt(c, "-fw_cfg", &b);
                if (r < 0)
                        return r;
        }
        return 0;
}

int qemu_build_sysinfo(QemuCmd *c) {
        int r = build_smbios(c);

        for (size_t i = 0; r >= 0 && i < c->def->n_sysinfos; i++)
                if (c->def->sysinfos[i].type == DOMAIN_SYSINFO_FWCFG)
                        r = build_fwcfg(c, &c->def->sysinfos[i]);
        return r;
}
