/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* At start: what the guest's <shmem> devices need of the host. A doorbell
 * (ivshmem-doorbell) connects to an ivshmem-server at once, which qemud
 * does not run (libvirt does not either): its socket must be there, or the
 * start is refused naming it and the server. 0, or -errno with err set. */

#include "domain-conf.h"

int qemu_shmem_prepare(const DomainDef *live, ConfError *err);

/* At define, as libvirt with a QEMU of today: the legacy 'ivshmem' model
 * (also the model of a <shmem> that names none) is refused, QEMU 4.0
 * removed the device. */
int qemu_shmem_validate(const DomainDef *def, ConfError *err);
/* The same for one device (a hot-plug's). */
int qemu_shmem_prepare_one(const DomainShmemDef *s, ConfError *err);
/* The socket of a doorbell's server: <server path=''/> or libvirt's default. */
int qemu_shmem_server_path(const DomainShmemDef *s, char **ret);
