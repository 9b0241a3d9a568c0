/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <devices><tpm>: the define-time rules and the host side at start
 * (qemu-tpm.h). */
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "qemu-tpm.h"
#include "util.h"
#include "xml-util.h"

int qemu_tpm_validate(const DomainDef *def, ConfError *err) {
        if (def->n_tpms > 1)
                return xml_err_unsupported(err, "only one TPM device (<devices/tpm>) is supported on x86, not %zu",
                                           def->n_tpms);
        for (size_t i = 0; i < def->n_tpms; i++) {
                const DomainTpmDef *t = &def->tpms[i];
                bool v12 = streq_ptr(t->version, "1.2");

                if (t->model && strstr(t->model, "spapr"))
                        return xml_err_unsupported(err, "TPM model '%s' of <devices/tpm> is not supported on x86, "
                                                   "only 'tpm-tis' or 'tpm-crb'", t->model);
                if (v12 && streq_ptr(t->model, "tpm-crb"))
                        return xml_err_unsupported(err, "TPM version '1.2' is not supported with model 'tpm-crb' "
                                                   "(<devices/tpm/backend version>)");
                if (v12 && t->has_pcr_banks)
                        return xml_err_unsupported(err, "<active_pcr_banks> of <devices/tpm/backend> needs TPM "
                                                   "version '2.0'");
        }
        return 0;
}

static int missing(ConfError *err, const char *what, const char *path) {
        conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: %s of <devices/tpm> is not on this host: "
                       "%s does not exist", what, path);
        return -ENODEV;
}

int qemu_tpm_prepare(const DomainDef *def, const char *sysfs_root, ConfError *err) {
        for (size_t i = 0; i < def->n_tpms; i++) {
                const DomainTpmDef *t = &def->tpms[i];
                _cleanup_free_ char *cancel = NULL;
                const char *dev = t->path ?: "/dev/tpm0";
                struct stat st;

                switch (t->backend) {
                case DOMAIN_TPM_PASSTHROUGH:
                        if (stat(dev, &st) < 0)
                                return missing(err, "the TPM device", dev);
                        if (asprintf(&cancel, "%s/class/tpm/%s/device/cancel", sysfs_root, strrchr(dev, '/') + 1) < 0)
                                return -ENOMEM;
                        if (access(cancel, F_OK) < 0)
                                return missing(err, "the cancel file of the TPM device", cancel);
                        break;
                case DOMAIN_TPM_EXTERNAL:
                        if (stat(t->path ?: "", &st) < 0 || !S_ISSOCK(st.st_mode))
                                return missing(err, "the socket of the external swtpm", t->path ?: "");
                        break;
                default: /* the emulator: qemud runs its swtpm (qemu-swtpm.c) */
                        break;
                }
        }
        return 0;
}
