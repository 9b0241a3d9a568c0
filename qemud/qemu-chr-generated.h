/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-conf.h"

/* libvirt's rule for a virtio <channel> whose unix socket path is one the
 * driver would have made itself (qemuDomainChrDefDropDefaultPath): such a
 * path is dropped from the definition, so the driver places the socket
 * again at each start and QEMU listens on it (mode='bind'). A path is
 * taken as generated when it lies in the driver's channel directory DIR:
 * DIR/domain-X/FILE (qemud's own per-guest directory and libvirt's since
 * 1.3.3) or DIR/PREFIX.TARGET (libvirt's older form). A <reconnect> on such
 * a channel is refused, in libvirt's words (its path dropped, the channel
 * is in mode 'bind'). DIR NULL: nothing to do. 0 or -EINVAL (err set). */
int qemu_chr_drop_generated_paths(DomainDef *def, const char *dir, ConfError *err);

/* The same test for one path; exported for the unit test. */
bool qemu_chr_path_is_generated(const char *path, const char *dir, const char *target_name);
