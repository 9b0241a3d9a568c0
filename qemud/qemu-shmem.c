/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <shmem> at start (qemu-shmem.h). */
#include <sys/stat.h>
#include <unistd.h>

#include "qemu-shmem.h"
#include "error.h"
#include "util.h"

int qemu_shmem_server_path(const DomainShmemDef *s, char **ret) {
        if (s->server_path)
                *ret = strdup(s->server_path);
        else if (asprintf(ret, "/var/lib/libvirt/shmem-%s-sock", s->name) < 0)
                *ret = NULL;
        return *ret ? 0 : -ENOMEM;
}

static bool have_server_program(void) {
        return access("/usr/bin/ivshmem-server", X_OK) == 0 || access("/usr/sbin/ivshmem-server", X_OK) == 0;
}

int qemu_shmem_prepare_one(const DomainShmemDef *s, ConfError *err) {
        _cleanup_free_ char *sock = NULL;
        struct stat st;

        if (!s->server)
                return 0;
        if (qemu_shmem_server_path(s, &sock) < 0)
                return -ENOMEM;
        if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
                return 0;
        conf_error_set(err, VB_ERROR_OPERATION_INVALID, "operation invalid: shmem '%s': no ivshmem-server "
                       "listens on %s: the %s device needs one running before the guest starts%s", s->name,
                       sock, s->model, have_server_program() ? "" : " (and this host has no ivshmem-server: "
                       "Debian 12 does not package it)");
        return -ENOENT;
}

int qemu_shmem_prepare(const DomainDef *live, ConfError *err) {
        for (size_t i = 0; i < live->n_shmems; i++) {
                int r = qemu_shmem_prepare_one(&live->shmems[i], err);

                if (r < 0)
                        return r;
        }
        return 0;
}

int qemu_shmem_validate(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_shmems; i++)
                if (streq_ptr(def->shmems[i].model, "ivshmem")) {
                        conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: ivshmem device "
                                       "is not supported with this QEMU binary (shmem '%s': use <model "
                                       "type='ivshmem-plain'/> or 'ivshmem-doorbell')", def->shmems[i].name);
                        return -EOPNOTSUPP;
                }
        return 0;
}
