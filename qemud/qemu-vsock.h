/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-conf.h"

/* Before QEMU starts: checks /dev/vhost-vsock and, for <cid auto='yes'/>,
 * puts a free CID into live->vsock.cid. 0, or -errno with err set. */
int qemu_vsock_prepare(DomainDef *live, ConfError *err);
