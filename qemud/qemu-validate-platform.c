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

static bool machine_is_q35(const char *m) {
        return m && (streq(m, "q35") || has_prefix(m, "pc-q35-"));
}

/* libvirt's post-parse rules of <smm><tseg> and <tcg>. */
static int validate_features(const DomainDef *def, ConfError *err) {
        const DomainFeaturesDef *f = &def->features;

        if (f->has_smm_tseg && !machine_is_q35(def->os.machine))
                return xml_err_unsupported(err, "SMM TSEG is only supported with q35 machine type "
                                           "(<features/smm/tseg>)");
        if (f->has_smm_tseg && f->smm_tseg_bytes % (1024 * 1024))
                return xml_err_unsupported(err, "SMM TSEG size must be divisible by 1 MiB (<features/smm/tseg>)");
        if (f->tcg && def->virt_type != DOMAIN_VIRT_QEMU)
                return xml_err_unsupported(err, "TCG features are incompatible with domain type '%s' "
                                           "(<features/tcg>)", domain_virt_type_to_string(def->virt_type));
        if (f->tcg_tb_cache_kib % 1024)
                return xml_err_unsupported(err, "tb-cache size must be an integer multiple of MiB "
                                           "(<features/tcg/tb-cache>)");
        return 0;
}

/* <bios useserial='yes'>: -machine graphics=off, which is SeaBIOS's serial
 * console on x86 only, and is of use only with a serial port to write to. */
static bool has_serial(const DomainDef *def) {
        for (size_t i = 0; i < def->n_chrs; i++)
                if (def->chrs[i].kind == DOMAIN_CHR_SERIAL)
                        return true;
        return false;
}

static int validate_bios(const DomainDef *def, ConfError *err) {
        const char *arch = def->os.arch;

        if (def->os.bios_useserial != TRISTATE_ON)
                return 0;
        if (arch && !streq(arch, "x86_64") && !streq(arch, "i686"))
                return xml_err_unsupported(err, "BIOS serial console only supported on x86 architectures "
                                           "(<os><bios useserial='yes'> with arch '%s')", arch);
        if (!has_serial(def))
                return xml_err_xml(err, "need at least one serial port to use BIOS serial output "
                                   "(<os><bios useserial='yes'>)");
        return 0;
}

int qemu_platform_validate(const DomainDef *def, ConfError *err) {
        int r;

        /* IBM Z's protected virtualization is no x86 guest's */
        if (def->launch_security.type == DOMAIN_LSEC_S390_PV)
                return xml_err_unsupported(err, "S390 PV launch security is not supported by this QEMU binary "
                                           "(<launchSecurity type='s390-pv'> needs an s390x guest)");

        r = validate_features(def, err);
        if (r >= 0)
                r = validate_bios(def, err);
        if (r < 0)
                return r;

        for (size_t i = 0; i < def->n_sysinfos; i++) {
                r = validate_fwcfg(&def->sysinfos[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}
