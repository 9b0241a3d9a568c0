/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host side of the interfaces qemud sets up itself (qemu-net-host.c).
 *
 * qemu_net_host_prepare() runs at start once networkd gave its taps (so
 * d->tap_fds is there): it checks what each interface needs of the host
 * (naming what is missing), makes or opens the tap of each
 * <interface type='ethernet'> into d->tap_fds (its name into the live
 * definition, where the stop finds it again, also after a restart of
 * qemud), runs its <script>, and coalesces taps. msg says what failed.
 * qemu_net_host_release() runs the <downscript>s once QEMU is gone. */

#include <stddef.h>

#include "domain.h"

int qemu_net_host_prepare(Domain *d, char *msg, size_t size);
/* The checks alone, before networkd or storaged are asked for anything:
 * -EOPNOTSUPP / -ENODEV for what the host lacks, -ENOENT for a missing
 * vhost-user socket; msg names it. */
bool qemu_net_host_has_vhost(void);
/* <driver name='vhost'/> where the host or the NIC cannot give it to a KVM
 * guest: -EOPNOTSUPP with msg naming interface i. */
int qemu_net_vhost_check(const DomainDef *def, const DomainNetDef *net, size_t i, char *msg, size_t size);
int qemu_net_host_check(Domain *d, char *msg, size_t size);
void qemu_net_host_release(Domain *d);
/* Runs script with ifname as its argument, at most 30 s; msg on failure. */
int qemu_net_run_script(const char *script, const char *ifname, char *msg, size_t size);
/* Sets the links of <link state='down'/> down through the monitor, before
 * the guest runs. */
int qemu_net_set_links(Domain *d);
