/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>

#include "dnsmasq-conf.h"
#include "util.h"

/* Text for dnsmasq, built line by line. dnsmasq reads its configuration
 * and the dhcp-hostsfile with fgets() into a buffer of about 1 KiB (a longer
 * line goes on as a line of its own), turns whitespace into spaces, reads
 * '"' as quoting and '#' after a space as a comment; the addn-hosts file is
 * whitespace-separated words with '#' comments. So every line is checked as
 * a whole before it is written: a value the validation of the network XML
 * should have refused never turns into an option of its own. */
#define LINE_MAX_LEN 1000

typedef struct Text {
        FILE *f;
        char *buf;
        size_t size;
        char line[LINE_MAX_LEN + 1];
        size_t len;
        bool bad;   /* a line was too long or held what dnsmasq would misread */
        bool tabs;  /* tabs separate words (the addn-hosts file) */
} Text;

static int text_open(Text *t) {
        *t = (Text) {};
        t->f = open_memstream(&t->buf, &t->size);
        return t->f ? 0 : -ENOMEM;
}

static int text_finish(Text *t, char **ret) {
        bool failed = ferror(t->f);

        fclose(t->f);
        t->f = NULL;
        if (failed || t->bad || !t->buf) {
                free(t->buf);
                return failed || !t->buf ? -ENOMEM : -EINVAL;
        }
        *ret = t->buf;
        return 0;
}

_printf_(2, 0) static void vpart(Text *t, const char *fmt, va_list ap) {
        int k;

        if (t->bad)
                return;
        k = vsnprintf(t->line + t->len, sizeof(t->line) - t->len, fmt, ap);
        if (k < 0 || (size_t) k >= sizeof(t->line) - t->len)
                t->bad = true;
        else
                t->len += (size_t) k;
}

/* Appends to the current line. */
_printf_(2, 3) static void part(Text *t, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vpart(t, fmt, ap);
        va_end(ap);
}

/* What may be in a line: printable ASCII and bytes above it; no quote, no
 * backslash, no '#' (but in a comment line, or quoted). quoted: the value
 * between the first and the last '"' is the one quoted string of the line. */
static bool line_ok(const char *l, bool comment, bool quoted, bool tabs) {
        const char *q1 = quoted ? strchr(l, '"') : NULL, *q2 = quoted ? strrchr(l, '"') : NULL;

        if (quoted && (!q1 || q1 == q2))
                return false;
        for (const char *c = l; *c; c++) {
                unsigned char u = (unsigned char) *c;
                if ((u < 0x20 && !(tabs && u == '\t')) || u == 0x7f || *c == '\\')
                        return false;
                if (*c == '"' && c != q1 && c != q2)
                        return false;
                /* between the quotes '#' is a character like any other */
                if (*c == '#' && !comment && !(q1 && c > q1 && c < q2))
                        return false;
        }
        return true;
}

static void end_line_as(Text *t, bool comment, bool quoted) {
        if (!t->bad && !line_ok(t->line, comment, quoted, t->tabs))
                t->bad = true;
        if (!t->bad) {
                fputs(t->line, t->f);
                fputc('\n', t->f);
        }
        t->len = 0;
        t->line[0] = 0;
}

static void end_line(Text *t) {
        end_line_as(t, false, false);
}

/* A whole line. */
_printf_(2, 3) static void line(Text *t, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vpart(t, fmt, ap);
        va_end(ap);
        end_line(t);
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

static void write_dns(Text *t, const NetworkDef *def) {
        const NetworkDns *dns = &def->dns;
        bool plain_forwarder = false;

        for (size_t i = 0; i < dns->n_forwarders; i++)
                if (dns->forwarders[i].addr && !dns->forwarders[i].domain)
                        plain_forwarder = true;
        /* forwarders of our own replace the host's resolvers */
        if (plain_forwarder)
                line(t, "no-resolv");
        for (size_t i = 0; i < dns->n_forwarders; i++) {
                const NetworkDnsForwarder *fw = &dns->forwarders[i];
                part(t, "server=");
                if (fw->domain)
                        part(t, "/%s/", fw->domain);
                part(t, "%s", fw->addr ? fw->addr : "#");
                /* "#" alone is dnsmasq's word for "the usual servers" */
                end_line_as(t, !fw->addr, false);
        }
        if (dns->forward_plain_names == TRISTATE_OFF) {
                line(t, "domain-needed");
                line(t, "local=//");
        }
        if (def->domain) {
                if (def->domain_local_only == TRISTATE_ON)
                        line(t, "local=/%s/", def->domain);
                line(t, "domain=%s", def->domain);
                line(t, "expand-hosts");
        }
        if (dns->enable == TRISTATE_OFF)
                line(t, "port=0");
        for (size_t i = 0; i < dns->n_txts; i++) {
                part(t, "txt-record=%s,\"%s\"", dns->txts[i].name, dns->txts[i].value);
                end_line_as(t, false, true);
        }
}

static void write_lease_time(Text *t, const NetworkLease *l) {
        int64_t s = network_lease_seconds(l);

        if (s == 0)
                part(t, ",infinite");
        else if (s > 0)
                part(t, ",%" PRId64, s < 120 ? 120 : s); /* dnsmasq's minimum */
}

static uint64_t write_dhcp(Text *t, const NetworkIp *ip) {
        char a[NET_ADDR_STRING_MAX], b[NET_ADDR_STRING_MAX];
        uint64_t leases = 0;

        for (size_t i = 0; i < ip->n_ranges; i++) {
                const NetworkDhcpRange *range = &ip->ranges[i];

                part(t, "dhcp-range=%s,%s", net_addr_format(&range->start, a), net_addr_format(&range->end, b));
                if (ip->address.family == AF_INET) {
                        NetAddr mask;
                        net_prefix_to_netmask(ip->prefix, &mask);
                        part(t, ",%s", net_addr_format(&mask, a));
                } else
                        part(t, ",%u", ip->prefix);
                write_lease_time(t, &range->lease);
                end_line(t);
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
                        line(t, "dhcp-range=%s,static,%s", net_addr_format(&net, a), net_addr_format(&mask, b));
                } else
                        line(t, "dhcp-range=%s,static,%u", net_addr_format(&net, a), ip->prefix);
        }
        if (ip->bootp_file) {
                /* a ',' would start the next argument */
                if (strchr(ip->bootp_file, ',') || (ip->bootp_server && strchr(ip->bootp_server, ',')))
                        t->bad = true;
                part(t, "dhcp-boot=%s", ip->bootp_file);
                if (ip->bootp_server)
                        part(t, ",,%s", ip->bootp_server);
                end_line(t);
        }
        if (ip->tftp_root) {
                if (strchr(ip->tftp_root, ','))
                        t->bad = true;
                line(t, "enable-tftp");
                line(t, "tftp-root=%s", ip->tftp_root);
        }
        return leases + ip->n_hosts;
}

int dnsmasq_build_config(const NetworkDef *def, const DnsmasqPaths *paths, char **ret) {
        uint64_t leases = 0;
        bool dhcp = false;
        Text t;

        if (text_open(&t) < 0)
                return -ENOMEM;
        part(&t, "## Generated by virtbus-networkd for network '%s': changes are overwritten.", def->name);
        end_line_as(&t, true, false);
        part(&t, "## Change the network instead (NetworkDefineXML, Update).");
        end_line_as(&t, true, false);
        line(&t, "strict-order");
        write_dns(&t, def);
        line(&t, "pid-file=%s", paths->pidfile);
        line(&t, "except-interface=lo");
        line(&t, "bind-dynamic");
        line(&t, "interface=%s", def->bridge);
        for (size_t i = 0; i < def->n_ips; i++) {
                const NetworkIp *ip = &def->ips[i];

                if (!ip->has_dhcp || (!ip->n_ranges && !ip->n_hosts))
                        continue;
                leases += write_dhcp(&t, ip);
                dhcp = true;
        }
        if (dhcp) {
                line(&t, "dhcp-no-override");
                line(&t, "dhcp-authoritative");
                line(&t, "dhcp-lease-max=%" PRIu64, leases > 0 ? leases : 1);
                line(&t, "dhcp-leasefile=%s", paths->leasefile);
                line(&t, "dhcp-hostsfile=%s", paths->hostsfile);
        }
        line(&t, "addn-hosts=%s", paths->addnhosts);
        /* router advertisements for IPv6 subnets, so that guests get a route
         * (and use DHCPv6 when there is a range) */
        for (size_t i = 0; i < def->n_ips; i++)
                if (def->ips[i].address.family == AF_INET6) {
                        line(&t, "enable-ra");
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
                                part(&t, "%s,", mac_format(h->mac, mac));
                        else if (h->id)
                                part(&t, "id:%s,", h->id);
                        part(&t, v6 ? "[%s]" : "%s", net_addr_format(&h->ip, a));
                        if (h->name) {
                                if (strchr(h->name, ','))
                                        t.bad = true;
                                part(&t, ",%s", h->name);
                        }
                        write_lease_time(&t, &h->lease);
                        end_line(&t);
                }
        }
        return text_finish(&t, ret);
}

int dnsmasq_build_addnhosts(const NetworkDef *def, char **ret) {
        char a[NET_ADDR_STRING_MAX];
        Text t;

        if (text_open(&t) < 0)
                return -ENOMEM;
        t.tabs = true;
        for (size_t i = 0; i < def->dns.n_hosts; i++) {
                const NetworkDnsHost *h = &def->dns.hosts[i];

                part(&t, "%s", net_addr_format(&h->ip, a));
                for (char **n = h->hostnames; n && *n; n++) {
                        /* words are split at whitespace: a name is one word */
                        if (strpbrk(*n, " \t"))
                                t.bad = true;
                        part(&t, "\t%s", *n);
                }
                end_line(&t);
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
