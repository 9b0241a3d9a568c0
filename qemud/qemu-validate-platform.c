/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QEMU driver's rules for the platform parts of a definition
 * (sysinfo, launch security, CPU and clock features), with libvirt 9.0's
 * messages (qemu_validate.c there). */
#include <string.h>

#include "qemu-validate.h"
#include "util.h"
#include "xml-util.h"

static bool has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* fw_cfg names: QEMU takes only "opt/..." from the user, and libvirt keeps
 * opt/ovmf/ and opt/org.qemu/ for the firmware and QEMU themselves. */
static int validate_fwcfg(const DomainSysinfo *si, ConfError *err) {
        for (size_t i = 0; i < si->n_fwcfg; i++) {
                const char *name = si->fwcfg[i].name;

                if (!has_prefix(name, "opt/"))
                        return xml_err_unsupported(err, "Invalid firmware name '%s' of <sysinfo type='fwcfg'><entry>: "
                                                   "it must start with 'opt/'", name);
                if (has_prefix(name, "opt/ovmf/") || has_prefix(name, "opt/org.qemu/"))
                        return xml_err_unsupported(err, "That firmware name is reserved: '%s' of <sysinfo "
                                                   "type='fwcfg'><entry>", name);
        }
        return 0;
}

int qemu_platform_validate(const DomainDef *def, ConfError *err) {
        int r;

        for (size_t i = 0; i < def->n_sysinfos; i++) {
                r = validate_fwcfg(&def->sysinfos[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}
