/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a network's dnsmasq gets: its configuration file, the DHCP hosts file
 * and the DNS hosts file (both re-read on SIGHUP, so that Update of hosts
 * needs no restart), and the reading of its lease file. Pure functions,
 * tested with golden files. */

#include "network-conf.h"

typedef struct DnsmasqPaths {
        const char *pidfile;
        const char *leasefile;
        const char *hostsfile;  /* dhcp-hostsfile */
        const char *addnhosts;  /* addn-hosts */
} DnsmasqPaths;

/* A network runs a dnsmasq when it has a bridge of its own, an address, and
 * DNS or DHCP to serve. */
bool dnsmasq_needed(const NetworkDef *def);

int dnsmasq_build_config(const NetworkDef *def, const DnsmasqPaths *paths, char **ret);
int dnsmasq_build_hostsfile(const NetworkDef *def, char **ret);
int dnsmasq_build_addnhosts(const NetworkDef *def, char **ret);

typedef struct DnsmasqLease {
        int64_t expiry;      /* seconds since the epoch; 0 = infinite */
        int type;            /* 0 IPv4, 1 IPv6 (virIPAddrType) */
        char mac[18];        /* IPv4 only */
        char iaid[16];       /* IPv6 only */
        char ip[46];
        char hostname[256];  /* "" for "*" */
        char clientid[256];  /* "" for "*"; the DUID for IPv6 */
} DnsmasqLease;

/* Parses dnsmasq's lease file ("expiry mac ip name clientid" lines, then
 * after "duid X" the IPv6 ones: "expiry iaid ip name duid"). Malformed lines
 * are skipped. */
int dnsmasq_parse_leases(const char *text, DnsmasqLease **ret, size_t *ret_n);
