/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest agent group's helpers: cpu lists and base64 for the agent's
 * arguments and answers, and the two InterfaceAddresses sources that do not
 * ask the agent: the host's ARP table and networkd's DHCP leases. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain-agent.h"
#include "domain-dbus.h"
#include "error.h"
#include "networkd-client.h"
#include "util.h"

int domain_agent_format_cpulist(const bool *set, size_t n, char **ret) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        bool first = true;

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                size_t j = i;
                if (!set[i])
                        continue;
                while (j + 1 < n && set[j + 1])
                        j++;
                fprintf(f, first ? "%zu" : ",%zu", i);
                if (j > i)
                        fprintf(f, "-%zu", j);
                first = false;
                i = j;
        }
        if (fclose(f) != 0 || !s) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

char *domain_agent_base64(const void *data, size_t n) {
        static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *p = data;
        char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i += 3) {
                unsigned v = (unsigned) p[i] << 16 | (i + 1 < n ? (unsigned) p[i + 1] << 8 : 0) |
                             (i + 2 < n ? p[i + 2] : 0);
                *o++ = digits[v >> 18 & 63];
                *o++ = digits[v >> 12 & 63];
                *o++ = i + 1 < n ? digits[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? digits[v & 63] : '=';
        }
        *o = 0;
        return out;
}

int domain_agent_arp_lookup(const char *table, const char *mac, char ***ret) {
        _cleanup_strv_free_ char **ips = NULL;
        size_t n = 0;
        const char *line = table;

        /* "IP address HW type Flags HW address Mask Device", a header first */
        for (line = strchr(line, '\n'); line && *++line; line = strchr(line, '\n')) {
                char ip[64], hw[64], mask[64], dev[64];
                unsigned type, flags;
                char **m;

                if (sscanf(line, "%63s 0x%x 0x%x %63s %63s %63s", ip, &type, &flags, hw, mask, dev) != 6)
                        continue;
                /* 0x2 (ATF_COM): a completed entry */
                if (!(flags & 0x2) || strcasecmp(hw, mac) != 0)
                        continue;
                m = realloc(ips, sizeof(char *) * (n + 2));
                if (!m)
                        return -ENOMEM;
                ips = m;
                ips[n] = strdup(ip);
                ips[n + 1] = NULL;
                if (!ips[n])
                        return -ENOMEM;
                n++;
        }
        *ret = ips ? TAKE_PTR(ips) : calloc(1, sizeof(char *));
        return *ret ? (int) n : -ENOMEM;
}

static void mac_string(const uint8_t mac[6], char buf[static 18]) {
        snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* libvirt lists an interface only when it has an address. */
int domain_agent_reply_arp(sd_bus_message *msg, Domain *d, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *table = NULL;
        const DomainDef *def = d->live;
        int r;

        r = read_full_file("/proc/net/arp", 16 * 1024 * 1024, &table, NULL);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot read the host's ARP table: %s", strerror(-r));
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssa(isu))");
        for (size_t i = 0; r >= 0 && i < def->n_nets; i++) {
                _cleanup_strv_free_ char **ips = NULL;
                char mac[18];

                mac_string(def->nets[i].mac, mac);
                r = domain_agent_arp_lookup(table, mac, &ips);
                if (r <= 0)
                        continue;
                r = sd_bus_message_open_container(reply, 'r', "ssa(isu)");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ss", def->nets[i].ifname ?: "", mac);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "(isu)");
                for (char **ip = ips; r >= 0 && *ip; ip++)
                        r = sd_bus_message_append(reply, "(isu)", 0, *ip, 0);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* ---- DHCP leases from networkd, one network interface after the other ---- */

typedef struct LeaseQuery {
        sd_bus *bus;
        sd_bus_message *call;
        sd_bus_message *reply;   /* built as the answers come */
        char **networks, **ifnames, **macs;
        size_t n, next;
} LeaseQuery;

static void lease_query_free(LeaseQuery *q) {
        sd_bus_message_unref(q->call);
        sd_bus_message_unref(q->reply);
        strv_free(q->networks);
        strv_free(q->ifnames);
        strv_free(q->macs);
        free(q);
}

static void lease_query_step(LeaseQuery *q);

static void lease_query_fail(LeaseQuery *q, const sd_bus_error *e, int r) {
        if (e && sd_bus_error_is_set(e))
                (void) sd_bus_reply_method_error(q->call, e);
        else
                (void) sd_bus_reply_method_errnof(q->call, -r, "cannot read the DHCP leases: %m");
        lease_query_free(q);
}

static int on_leases(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        LeaseQuery *q = userdata;
        size_t i = q->next - 1;
        bool opened = false;
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                lease_query_fail(q, sd_bus_message_get_error(m), -EIO);
                return 0;
        }
        r = sd_bus_message_enter_container(m, 'a', "(sxisssuss)");
        while (r >= 0) {
                const char *iface, *mac, *iaid, *ip, *host, *client;
                int64_t expiry;
                int32_t type;
                uint32_t prefix;

                r = sd_bus_message_read(m, "(sxisssuss)", &iface, &expiry, &type, &mac, &iaid, &ip, &prefix, &host,
                                        &client);
                if (r <= 0)
                        break;
                if (!opened) {
                        r = sd_bus_message_open_container(q->reply, 'r', "ssa(isu)");
                        if (r >= 0)
                                r = sd_bus_message_append(q->reply, "ss", q->ifnames[i], q->macs[i]);
                        if (r >= 0)
                                r = sd_bus_message_open_container(q->reply, 'a', "(isu)");
                        opened = true;
                }
                if (r >= 0)
                        r = sd_bus_message_append(q->reply, "(isu)", type, ip, prefix);
        }
        if (r >= 0 && opened) {
                r = sd_bus_message_close_container(q->reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(q->reply);
        }
        if (r < 0) {
                lease_query_fail(q, NULL, r);
                return 0;
        }
        lease_query_step(q);
        return 0;
}

static int on_network(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        LeaseQuery *q = userdata;
        const char *path;
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                lease_query_fail(q, sd_bus_message_get_error(m), -EIO);
                return 0;
        }
        r = sd_bus_message_read(m, "o", &path);
        if (r >= 0)
                r = sd_bus_call_method_async(q->bus, NULL, NETWORKD_SERVICE, path, "org.libvirt.Network",
                                             "GetDHCPLeases", on_leases, q, "su", q->macs[q->next - 1], 0);
        if (r < 0)
                lease_query_fail(q, NULL, r);
        return 0;
}

static void lease_query_step(LeaseQuery *q) {
        int r;

        if (q->next >= q->n) {
                r = sd_bus_message_close_container(q->reply);
                if (r >= 0)
                        r = sd_bus_send(NULL, q->reply, NULL);
                if (r < 0)
                        (void) sd_bus_reply_method_errnof(q->call, -r, "cannot answer: %m");
                lease_query_free(q);
                return;
        }
        r = sd_bus_call_method_async(q->bus, NULL, NETWORKD_SERVICE, NETWORKD_PATH, "org.libvirt.Connect",
                                     "NetworkLookupByName", on_network, q, "s", q->networks[q->next]);
        q->next++;
        if (r < 0)
                lease_query_fail(q, NULL, r);
}

int domain_agent_reply_leases(sd_bus_message *msg, Domain *d, sd_bus_error *error) {
        const DomainDef *def = d->live;
        LeaseQuery *q = calloc(1, sizeof(*q));
        int r = q ? 0 : -ENOMEM;

        if (r < 0)
                return r;
        q->bus = d->manager->bus;
        q->call = sd_bus_message_ref(msg);
        /* libvirt asks only for the interfaces of a virtual network */
        for (size_t i = 0; r >= 0 && i < def->n_nets; i++) {
                char mac[18];

                if (def->nets[i].type != DOMAIN_NET_NETWORK || !def->nets[i].source)
                        continue;
                mac_string(def->nets[i].mac, mac);
                r = strv_extend(&q->networks, def->nets[i].source);
                if (r >= 0)
                        r = strv_extend(&q->ifnames, def->nets[i].ifname ?: "");
                if (r >= 0)
                        r = strv_extend(&q->macs, mac);
                q->n++;
        }
        if (r >= 0)
                r = sd_bus_message_new_method_return(msg, &q->reply);
        if (r >= 0)
                r = sd_bus_message_open_container(q->reply, 'a', "(ssa(isu))");
        if (r < 0) {
                lease_query_free(q);
                return r;
        }
        lease_query_step(q);
        return 1;
}
