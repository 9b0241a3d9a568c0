/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <inttypes.h>

#include "dnsmasq-conf.h"
#include "util.h"

static void fclose_memstream(FILE *f) {
        if (f)
                fclose(f);
}

/* Text built through open_memstream: finished with finish_text(). */
typedef struct Text {
        FILE *f;
        char *buf;
        size_t size;
} Text;

static int text_open(Text *t) {
        *t = (Text) {};
        t->f = open_memstream(&t->buf, &t->size);
        return t->f ? 0 : -ENOMEM;
}

static int text_finish(Text *t, char **ret) {
        bool failed = ferror(t->f);

        fclose_memstream(t->f);
        t->f = NULL;
        if (failed || !t->buf) {
                free(t->buf);
                return -ENOMEM;
        }
        *ret = t->buf;
        return 0;
}

bool dnsmasq_needed(const NetworkDef *def) {
        if (!network_def_is_managed_bridge(def) || def->n_ips == 0)
                return false;
        if (def->dns.enable != TRISTATE_OFF)
                return true;
        for (size_t i = 0; i < def->n_ips; i++)
                if (def->ips[i].n_ranges || def->ips[i].n_hosts)
                        return true;
        return false;
}

static void write_dns(FILE *f, const NetworkDef *def) {
        const NetworkDns *dns = &def->dns;
        bool plain_forwarder = false;

        for (size_t i = 0; i < dns->n_forwarders; i++)
                if (dns->forwarders[i].addr && !dns->forwarders[i].domain)
                        plain_forwarder = true;
        /* forwarders of our own replace the host's resolvers */
        if (plain_forwarder)
                fputs("no-resolv\n", f);
        for (size_t i = 0; i < dns->n_forwarders; i++) {
                const NetworkDnsForwarder *fw = &dns->forwarders[i];
                fputs("server=", f);
                if (fw->domain)
                        fprintf(f, "/%s/", fw->domain);
                fprintf(f, "%s\n", fw->addr ? fw->addr : "#");
        }
        if (dns->forward_plain_names == TRISTATE_OFF)
                fputs("domain-needed\nlocal=//\n", f);
        if (def->domain) {
                if (def->domain_local_only == TRISTATE_ON)
                        fprintf(f, "local=/%s/\n", def->domain);
                fprintf(f, "domain=%s\nexpand-hosts\n", def->domain);
        }
        if (dns->enable == TRISTATE_OFF)
                fputs("port=0\n", f);
        for (size_t i = 0; i < dns->n_txts; i++)
                fprintf(f, "txt-record=%s,\"%s\"\n", dns->txts[i].name, dns->txts[i].value);
}

static void write_lease_time(FILE *f, const NetworkLease *l) {
        int64_t s = network_lease_seconds(l);

        if (s == 0)
                fputs(",infinite", f);
        else if (s > 0)
                fprintf(f, ",%" PRId64, s < 120 ? 120 : s); /* dnsmasq's minimum */
}

static uint64_t write_dhcp(FILE *f, const NetworkIp *ip) {
        char a[NET_ADDR_STRING_MAX], b[NET_ADDR_STRING_MAX];
        uint64_t leases = 0;

        for (size_t i = 0; i < ip->n_ranges; i++) {
                const NetworkDhcpRange *range = &ip->ranges[i];

                fprintf(f, "dhcp-range=%s,%s", net_addr_format(&range->start, a), net_addr_format(&range->end, b));
                if (ip->address.family == AF_INET) {
                        NetAddr mask;
                        net_prefix_to_netmask(ip->prefix, &mask);
                        fprintf(f, ",%s", net_addr_format(&mask, a));
                } else
                        fprintf(f, ",%u", ip->prefix);
                write_lease_time(f, &range->lease);
                fputc('\n', f);
                uint64_t n = net_range_size(&range->start, &range->end);
                leases = n > UINT32_MAX || leases + n > UINT32_MAX ? UINT32_MAX : leases + n;
        }
        /* static hosts only: dnsmasq answers them with a "static" range */
        if (ip->n_ranges == 0 && ip->n_hosts > 0) {
                NetAddr net;
                net_addr_network(&ip->address, ip->prefix, &net);
                if (ip->address.family == AF_INET) {
                        NetAddr mask;
                        net_prefix_to_netmask(ip->prefix, &mask);
                        fprintf(f, "dhcp-range=%s,static,%s\n", net_addr_format(&net, a), net_addr_format(&mask, b));
                } else
                        fprintf(f, "dhcp-range=%s,static,%u\n", net_addr_format(&net, a), ip->prefix);
        }
        if (ip->bootp_file) {
                fprintf(f, "dhcp-boot=%s", ip->bootp_file);
                if (ip->bootp_server)
                        fprintf(f, ",,%s", ip->bootp_server);
                fputc('\n', f);
        }
        if (ip->tftp_root)
                fprintf(f, "enable-tftp\ntftp-root=%s\n", ip->tftp_root);
        return leases + ip->n_hosts;
}

int dnsmasq_build_config(const NetworkDef *def, const DnsmasqPaths *paths, char **ret) {
        uint64_t leases = 0;
        bool dhcp = false;
        Text t;

        if (text_open(&t) < 0)
                return -ENOMEM;
        fprintf(t.f, "## Generated by virtbus-networkd for network '%s': changes are overwritten.\n"
                     "## Change the network instead (NetworkDefineXML, Update).\n",
                def->name);
        fputs("strict-order\n", t.f);
        write_dns(t.f, def);
        fprintf(t.f, "pid-file=%s\nexcept-interface=lo\nbind-dynamic\ninterface=%s\n", paths->pidfile, def->bridge);
        for (size_t i = 0; i < def->n_ips; i++) {
                const NetworkIp *ip = &def->ips[i];

                if (!ip->has_dhcp || (!ip->n_ranges && !ip->n_hosts))
                        continue;
                leases += write_dhcp(t.f, ip);
                dhcp = true;
        }
        if (dhcp) {
                fprintf(t.f, "dhcp-no-override\ndhcp-authoritative\ndhcp-lease-max=%" PRIu64 "\n",
                        leases > 0 ? leases : 1);
                fprintf(t.f, "dhcp-leasefile=%s\n", paths->leasefile);
                fprintf(t.f, "dhcp-hostsfile=%s\n", paths->hostsfile);
        }
        fprintf(t.f, "addn-hosts=%s\n", paths->addnhosts);
        /* router advertisements for IPv6 subnets, so that guests get a route
         * (and use DHCPv6 when there is a range) */
        for (size_t i = 0; i < def->n_ips; i++)
                if (def->ips[i].address.family == AF_INET6) {
                        fputs("enable-ra\n", t.f);
                        break;
                }
        return text_finish(&t, ret);
}

int dnsmasq_build_hostsfile(const NetworkDef *def, char **ret) {
        char mac[MAC_STRING_MAX], a[NET_ADDR_STRING_MAX];
        Text t;

        if (text_open(&t) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < def->n_ips; i++) {
                const NetworkIp *ip = &def->ips[i];
                bool v6 = ip->address.family == AF_INET6;

                for (size_t j = 0; ip->has_dhcp && j < ip->n_hosts; j++) {
                        const NetworkDhcpHost *h = &ip->hosts[j];

                        if (h->has_mac)
                                fprintf(t.f, "%s,", mac_format(h->mac, mac));
                        else if (h->id)
                                fprintf(t.f, "id:%s,", h->id);
                        fprintf(t.f, v6 ? "[%s]" : "%s", net_addr_format(&h->ip, a));
                        if (h->name)
                                fprintf(t.f, ",%s", h->name);
                        write_lease_time(t.f, &h->lease);
                        fputc('\n', t.f);
                }
        }
        return text_finish(&t, ret);
}

int dnsmasq_build_addnhosts(const NetworkDef *def, char **ret) {
        char a[NET_ADDR_STRING_MAX];
        Text t;

        if (text_open(&t) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < def->dns.n_hosts; i++) {
                const NetworkDnsHost *h = &def->dns.hosts[i];

                fputs(net_addr_format(&h->ip, a), t.f);
                for (char **n = h->hostnames; n && *n; n++)
                        fprintf(t.f, "\t%s", *n);
                fputc('\n', t.f);
        }
        return text_finish(&t, ret);
}

static void copy_field(char *dst, size_t size, const char *src) {
        size_t n = streq(src, "*") ? 0 : MIN(strlen(src), size - 1);

        memcpy(dst, src, n);
        dst[n] = 0;
}

int dnsmasq_parse_leases(const char *text, DnsmasqLease **ret, size_t *ret_n) {
        _cleanup_free_ DnsmasqLease *leases = NULL;
        size_t n = 0;
        bool v6 = false;

        for (const char *line = text; line && *line;) {
                const char *end = strchrnul(line, '\n');
                char buf[1024], f[5][256];
                size_t len = (size_t) (end - line);
                int k;

                if (len < sizeof(buf)) {
                        memcpy(buf, line, len);
                        buf[len] = 0;
                        if (strncmp(buf, "duid ", 5) == 0)
                                v6 = true;
                        else if ((k = sscanf(buf, "%255s %255s %255s %255s %255s", f[0], f[1], f[2], f[3], f[4])) >= 4) {
                                DnsmasqLease *nl = realloc(leases, (n + 1) * sizeof(*nl)), *l;
                                if (!nl)
                                        return -ENOMEM;
                                leases = nl;
                                l = &leases[n];
                                *l = (DnsmasqLease) { .type = v6 ? 1 : 0 };
                                l->expiry = strtoll(f[0], NULL, 10);
                                if (v6)
                                        copy_field(l->iaid, sizeof(l->iaid), f[1]);
                                else
                                        copy_field(l->mac, sizeof(l->mac), f[1]);
                                copy_field(l->ip, sizeof(l->ip), f[2]);
                                copy_field(l->hostname, sizeof(l->hostname), f[3]);
                                if (k == 5)
                                        copy_field(l->clientid, sizeof(l->clientid), f[4]);
                                n++;
                        }
                }
                line = *end ? end + 1 : end;
        }
        *ret = TAKE_PTR(leases);
        *ret_n = n;
        return 0;
}
