/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host side of <memory model='sgx-epc'>: the kernel's SGX
 * virtualization device, without which QEMU's memory-backend-epc fails
 * with words of its own. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "qemu-sgx.h"
#include "util.h"
#include "xml-util.h"

static bool has_epc(const DomainDef *def) {
        for (size_t i = 0; i < def->n_mems; i++)
                if (def->mems[i].model == DOMAIN_MEMORY_SGX_EPC)
                        return true;
        return false;
}

/* Whether a "flags" line of cpuinfo names sgx: the CPU's CPUID has it. */
static bool cpu_has_sgx(const char *cpuinfo) {
        _cleanup_fclose_ FILE *f = fopen(cpuinfo, "re");
        char line[8192];

        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "flags", 5) == 0 && strstr(line, " sgx"))
                        return true;
        return false;
}

int qemu_sgx_prepare(const DomainDef *live, const char *devdir, const char *cpuinfo, ConfError *err) {
        _cleanup_free_ char *dev = NULL;

        if (!has_epc(live))
                return 0;
        if (asprintf(&dev, "%s/sgx_vepc", devdir) < 0)
                return -ENOMEM;
        if (access(dev, F_OK) >= 0)
                return 0;
        if (!cpu_has_sgx(cpuinfo))
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: <memory model='sgx-epc'> needs "
                               "Intel SGX: %s is missing and the host CPU has no SGX (no 'sgx' in the CPUID flags "
                               "of %s)", dev, cpuinfo);
        else
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: <memory model='sgx-epc'> needs "
                               "%s: the CPU has SGX but the kernel gives no SGX virtualization (CONFIG_X86_SGX_KVM, "
                               "SGX enabled in the firmware)", dev);
        return -ENODEV;
}
