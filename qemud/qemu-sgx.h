/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-conf.h"

/* Intel SGX on this host, for <memory model='sgx-epc'>. */

/* Before QEMU starts: each EPC section is the host's enclave page cache,
 * which QEMU takes from devdir/sgx_vepc. 0, or -ENODEV with err naming
 * what is missing (the device, and whether cpuinfo shows the CPU's SGX). */
int qemu_sgx_prepare(const DomainDef *live, const char *devdir, const char *cpuinfo, ConfError *err);
