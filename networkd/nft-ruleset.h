/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* virtbus's firewall: one nftables table ("inet virtbus") holding the rules
 * of every active network, rebuilt whole and replaced in one transaction
 * (`nft -f -`) whenever a network starts or stops. A pure function of the
 * active definitions, tested with golden files.
 *
 * forward chain, in libvirt's order:
 *   1. traffic staying on one bridge is accepted (guest to guest);
 *   2. into a network: nat accepts replies only, route accepts all, and
 *      isolated/nat/route reject the rest (this is what isolates networks
 *      from each other);
 *   3. out of a network: nat and route accept their own subnets' sources,
 *      and reject the rest.
 * postrouting: nat masquerades its IPv4 subnets (and IPv6 with
 * <nat ipv6='yes'/>) towards anything outside them.
 * input: DHCP and DNS from the guests reach dnsmasq even when the host's own
 * firewall is strict. 'open' networks get no rule at all. */

#include "network-conf.h"

#define NFT_TABLE_FAMILY "inet"
#define NFT_TABLE_NAME "virtbus"

int nft_build_ruleset(const NetworkDef *const *defs, size_t n, char **ret);
