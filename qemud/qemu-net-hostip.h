/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <interface type='ethernet'><source><ip address='' prefix='' peer=''/>
 * <route address='' prefix='' gateway=''/></source>: put on the host side
 * of the tap once it is made, through rtnetlink (as libvirt's
 * virNetDevIPInfoAddToDev()). An address with a peer is a point-to-point
 * one; an address without a prefix is a host address (/32, /128).
 * 0, or -errno with msg naming the address or route the kernel refused. */

#include <stddef.h>

#include "domain-conf.h"

int qemu_net_hostip_apply(const DomainNetDef *net, size_t i, const char *ifname, char *msg, size_t size);
