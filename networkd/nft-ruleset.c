/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>

#include "nft-ruleset.h"
#include "util.h"

static const char *ipkw(const NetworkIp *ip) {
        return ip->address.family == AF_INET6 ? "ip6" : "ip";
}

static const char *subnet(const NetworkIp *ip, char *buf, size_t size) {
        char a[NET_ADDR_STRING_MAX];
        NetAddr n;

        net_addr_network(&ip->address, ip->prefix, &n);
        snprintf(buf, size, "%s/%u", net_addr_format(&n, a), ip->prefix);
        return buf;
}

/* Which networks get rules: every one with its own bridge, but 'open'. */
static bool has_rules(const NetworkDef *def) {
        return network_def_is_managed_bridge(def) && def->forward != NETWORK_FORWARD_OPEN && def->bridge;
}

/* IPv6 subnets of a nat network are routed unless <nat ipv6='yes'/>. */
static bool ip_is_nat(const NetworkDef *def, const NetworkIp *ip) {
        if (def->forward != NETWORK_FORWARD_NAT)
                return false;
        return ip->address.family == AF_INET || def->nat_ipv6 == TRISTATE_ON;
}

static bool ip_is_routed(const NetworkDef *def, const NetworkIp *ip) {
        return def->forward == NETWORK_FORWARD_ROUTE || (def->forward == NETWORK_FORWARD_NAT && !ip_is_nat(def, ip));
}

static void oif_match(FILE *f, const NetworkDef *def) {
        if (def->forward_dev)
                fprintf(f, " oifname \"%s\"", def->forward_dev);
}

static void iif_match(FILE *f, const NetworkDef *def) {
        if (def->forward_dev)
                fprintf(f, "iifname \"%s\" ", def->forward_dev);
}

static void write_forward(FILE *f, const NetworkDef *const *defs, size_t n) {
        char s[64];

        fputs("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n", f);
        for (size_t i = 0; i < n; i++)
                if (has_rules(defs[i]))
                        fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" accept\n", defs[i]->bridge, defs[i]->bridge);
        for (size_t i = 0; i < n; i++) {
                const NetworkDef *def = defs[i];

                if (!has_rules(def))
                        continue;
                for (size_t j = 0; j < def->n_ips; j++) {
                        const NetworkIp *ip = &def->ips[j];

                        if (ip_is_nat(def, ip)) {
                                fprintf(f, "\t\t");
                                iif_match(f, def);
                                fprintf(f, "oifname \"%s\" %s daddr %s ct state established,related accept\n", def->bridge,
                                        ipkw(ip), subnet(ip, s, sizeof(s)));
                        } else if (ip_is_routed(def, ip)) {
                                fprintf(f, "\t\t");
                                iif_match(f, def);
                                fprintf(f, "oifname \"%s\" %s daddr %s accept\n", def->bridge, ipkw(ip),
                                        subnet(ip, s, sizeof(s)));
                        }
                }
                fprintf(f, "\t\toifname \"%s\" reject\n", def->bridge);
        }
        for (size_t i = 0; i < n; i++) {
                const NetworkDef *def = defs[i];

                if (!has_rules(def))
                        continue;
                for (size_t j = 0; j < def->n_ips; j++) {
                        const NetworkIp *ip = &def->ips[j];

                        if (!ip_is_nat(def, ip) && !ip_is_routed(def, ip))
                                continue;
                        fprintf(f, "\t\tiifname \"%s\"", def->bridge);
                        oif_match(f, def);
                        fprintf(f, " %s saddr %s accept\n", ipkw(ip), subnet(ip, s, sizeof(s)));
                }
                fprintf(f, "\t\tiifname \"%s\" reject\n", def->bridge);
        }
        fputs("\t}\n", f);
}

static void write_masquerade(FILE *f, const NetworkDef *def, const NetworkIp *ip) {
        const char *k = ipkw(ip);
        char s[64], ports[32] = "";

        subnet(ip, s, sizeof(s));
        /* multicast and broadcast never leave the link: never rewrite them */
        if (ip->address.family == AF_INET) {
                fprintf(f, "\t\tip saddr %s ip daddr 224.0.0.0/24 return\n", s);
                fprintf(f, "\t\tip saddr %s ip daddr 255.255.255.255 return\n", s);
        } else
                fprintf(f, "\t\tip6 saddr %s ip6 daddr ff00::/8 return\n", s);
        if (def->nat_port_start)
                snprintf(ports, sizeof(ports), "%u-%u", def->nat_port_start, def->nat_port_end);
        else
                snprintf(ports, sizeof(ports), "1024-65535");
        fprintf(f, "\t\tmeta l4proto { tcp, udp } %s saddr %s %s daddr != %s", k, s, k, s);
        oif_match(f, def);
        fprintf(f, " masquerade to :%s\n", ports);
        fprintf(f, "\t\t%s saddr %s %s daddr != %s", k, s, k, s);
        oif_match(f, def);
        fputs(" masquerade\n", f);
}

static void write_postrouting(FILE *f, const NetworkDef *const *defs, size_t n) {
        fputs("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n", f);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; has_rules(defs[i]) && j < defs[i]->n_ips; j++)
                        if (ip_is_nat(defs[i], &defs[i]->ips[j]))
                                write_masquerade(f, defs[i], &defs[i]->ips[j]);
        fputs("\t}\n", f);
}

static void write_input(FILE *f, const NetworkDef *const *defs, size_t n) {
        fputs("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n", f);
        for (size_t i = 0; i < n; i++)
                if (has_rules(defs[i]) && defs[i]->n_ips) {
                        fprintf(f, "\t\tiifname \"%s\" udp dport { 53, 67, 547 } accept\n", defs[i]->bridge);
                        fprintf(f, "\t\tiifname \"%s\" tcp dport 53 accept\n", defs[i]->bridge);
                }
        fputs("\t}\n", f);
}

int nft_build_ruleset(const NetworkDef *const *defs, size_t n, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        bool any = false;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# Generated by virtbus-networkd: replaced whole whenever a network starts or stops.\n", f);
        /* "table" alone creates it if missing, so that "delete" always works:
         * the whole file is one transaction, and the old rules go away in the
         * same instant the new ones arrive */
        fputs("table " NFT_TABLE_FAMILY " " NFT_TABLE_NAME "\n", f);
        fputs("delete table " NFT_TABLE_FAMILY " " NFT_TABLE_NAME "\n", f);
        for (size_t i = 0; i < n; i++) {
                any |= has_rules(defs[i]);
                /* names go between quotes: nothing that could end them (the
                 * XML validation refuses these already) */
                if (has_rules(defs[i]) && (!network_ifname_is_valid(defs[i]->bridge) ||
                                           (defs[i]->forward_dev && !network_ifname_is_valid(defs[i]->forward_dev)))) {
                        fclose(f);
                        free(buf);
                        return -EINVAL;
                }
        }
        if (any) {
                fputs("table " NFT_TABLE_FAMILY " " NFT_TABLE_NAME " {\n", f);
                write_forward(f, defs, n);
                write_postrouting(f, defs, n);
                write_input(f, defs, n);
                fputs("}\n", f);
        }
        if (ferror(f)) {
                fclose(f);
                free(buf);
                return -ENOMEM;
        }
        fclose(f);
        *ret = buf;
        return 0;
}
