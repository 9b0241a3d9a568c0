/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu_sgx_prepare(): a start with <memory model='sgx-epc'> asks the host
 * for its SGX device and, without it, fails naming the device and whether
 * the CPU has SGX at all; a guest without one asks nothing. Fake /dev and
 * cpuinfo in a temporary directory (no host here has SGX). */

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "domain-test.h"
#include "qemu-sgx.h"

#define EPC "<maxMemory slots='2' unit='GiB'>2</maxMemory><vcpu>1</vcpu><devices><memory model='sgx-epc'>" \
            "<target><size unit='MiB'>16</size></target></memory></devices>"

static void write_file(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        CHECK(fd >= 0);
        if (fd >= 0) {
                CHECK(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
                close(fd);
        }
}

static void test_prepare(void) {
        char dir[] = "/tmp/vb-sgx-XXXXXX";
        _cleanup_free_ char *cpuinfo = NULL, *dev = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *plain = NULL;
        ConfError err = {};

        CHECK(mkdtemp(dir));
        CHECK(asprintf(&cpuinfo, "%s/cpuinfo", dir) > 0 && asprintf(&dev, "%s/sgx_vepc", dir) > 0);
        def = parse_ok("<domain type='kvm'><name>s</name><memory>65536</memory><os><type>hvm</type></os>" EPC
                       "</domain>", "sgx-epc");
        plain = parse_ok("<domain type='kvm'><name>p</name><memory>65536</memory><os><type>hvm</type></os>"
                         "</domain>", "plain");
        if (!def || !plain || !cpuinfo || !dev)
                return;
        write_file(cpuinfo, "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr\n");
        CHECK_INTEQ(qemu_sgx_prepare(plain, dir, cpuinfo, &err), 0);
        CHECK_INTEQ(qemu_sgx_prepare(def, dir, cpuinfo, &err), -ENODEV);
        CHECK_STREQ(err.name, VB_ERROR_OPERATION_FAILED);
        CHECK_CONTAINS(err.message, "sgx_vepc is missing and the host CPU has no SGX");
        err = (ConfError) {};
        write_file(cpuinfo, "processor\t: 0\nflags\t\t: fpu sgx sgx_lc\n");
        CHECK_INTEQ(qemu_sgx_prepare(def, dir, cpuinfo, &err), -ENODEV);
        CHECK_CONTAINS(err.message, "the CPU has SGX but the kernel gives no SGX virtualization");
        err = (ConfError) {};
        write_file(dev, "");
        CHECK_INTEQ(qemu_sgx_prepare(def, dir, cpuinfo, &err), 0);
        unlink(dev);
        unlink(cpuinfo);
        rmdir(dir);
}

UNIT_TESTS(test_prepare)
