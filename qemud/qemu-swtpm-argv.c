/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command lines of swtpm_setup and swtpm for an emulator TPM
 * (qemu-swtpm.h), as libvirt runs them, with the options Debian 12's
 * swtpm 0.7 takes. Pure: the host side is qemu-swtpm.c. */
#include "qemu-swtpm.h"
#include "util.h"

static const char *const bank_names[] = { "sha1", "sha256", "sha384", "sha512" };

bool qemu_swtpm_is_v2(const DomainTpmDef *t) {
        /* libvirt's default for x86 is TPM 2.0 */
        return !t->version || streq(t->version, "2.0");
}

static int add_banks(char ***l, unsigned banks) {
        _cleanup_free_ char *list = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bank_names); i++) {
                char *s;

                if (!(banks & (1u << i)))
                        continue;
                if (asprintf(&s, "%s%s%s", list ?: "", list ? "," : "", bank_names[i]) < 0)
                        return -ENOMEM;
                free_and_replace_str(&list, s);
        }
        if (!list)
                return 0;
        if (strv_extend(l, "--pcr-banks") < 0 || strv_extend(l, list) < 0)
                return -ENOMEM;
        return 0;
}

/* No --create-ek-cert: swtpm's local CA keeps its keys in a directory of
 * the tss user, which QEMU's user may not be; the EK itself is made. */
int qemu_swtpm_setup_argv(const DomainTpmDef *t, const SwtpmPaths *p, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r = 0;

        if (strv_extend(&l, "swtpm_setup") < 0)
                return -ENOMEM;
        if (qemu_swtpm_is_v2(t) && strv_extend(&l, "--tpm2") < 0)
                return -ENOMEM;
        if (strv_extend(&l, "--tpm-state") < 0 || strv_extend(&l, p->state_dir) < 0 ||
            strv_extend(&l, "--vmid") < 0 || strv_extend(&l, p->vmid) < 0 ||
            strv_extend(&l, "--logfile") < 0 || strv_extend(&l, p->log) < 0 ||
            strv_extend(&l, "--createek") < 0 || strv_extend(&l, "--lock-nvram") < 0 ||
            strv_extend(&l, "--not-overwrite") < 0)
                return -ENOMEM;
        if (qemu_swtpm_is_v2(t) && t->has_pcr_banks)
                r = add_banks(&l, t->pcr_banks);
        if (r < 0)
                return r;
        /* <encryption secret=''/>: the passphrase on fd 3 (qemu-swtpm.c) */
        if (t->secret && (strv_extend(&l, "--pwdfile-fd") < 0 || strv_extendf(&l, "%d", SWTPM_PWD_FD) < 0 ||
                          strv_extend(&l, "--cipher") < 0 || strv_extend(&l, "aes-256-cbc") < 0))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

int qemu_swtpm_argv(const DomainTpmDef *t, const SwtpmPaths *p, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;

        if (strv_extend(&l, "swtpm") < 0 || strv_extend(&l, "socket") < 0)
                return -ENOMEM;
        if (qemu_swtpm_is_v2(t) && strv_extend(&l, "--tpm2") < 0)
                return -ENOMEM;
        if (strv_extend(&l, "--ctrl") < 0 || strv_extendf(&l, "type=unixio,path=%s,mode=0600", p->socket) < 0 ||
            strv_extend(&l, "--tpmstate") < 0 || strv_extendf(&l, "dir=%s,mode=0600", p->state_dir) < 0 ||
            strv_extend(&l, "--log") < 0 || strv_extendf(&l, "file=%s", p->log) < 0 ||
            strv_extend(&l, "--pid") < 0 || strv_extendf(&l, "file=%s", p->pidfile) < 0 ||
            strv_extend(&l, "--terminate") < 0 || strv_extend(&l, "--daemon") < 0)
                return -ENOMEM;
        /* the state's key and the one its migration stream gets, both
         * derived from the secret's passphrase, on fds 3 and 4 */
        if (t->secret &&
            (strv_extend(&l, "--key") < 0 || strv_extendf(&l, "pwdfd=%d,mode=aes-256-cbc", SWTPM_PWD_FD) < 0 ||
             strv_extend(&l, "--migration-key") < 0 ||
             strv_extendf(&l, "pwdfd=%d,mode=aes-256-cbc", SWTPM_PWD_FD + 1) < 0))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}
