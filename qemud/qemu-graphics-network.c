/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The address of a display's <listen type='network'/> (qemu-graphics-network.h). */
#include <errno.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "bus-client.h"
#include "domain-manager.h"
#include "error.h"
#include "network-conf.h"
#include "networkd-client.h"
#include "qemu-graphics-network.h"
#include "util.h"

typedef struct ListenLookup {
        PrepareJob *job;
        size_t index;           /* the graphics resolved */
        char path[256];         /* the network's object */
} ListenLookup;

static const BusTarget networkd_connect = { NETWORKD_SERVICE, NETWORKD_PATH, "org.libvirt.Connect" };

static DomainGraphicsDef *lookup_graphics(const ListenLookup *l) {
        Domain *d = prepare_job_domain(l->job);

        return d ? &d->live->graphics[l->index] : NULL;
}

static void lookup_fail(ListenLookup *l, int r, const char *fmt, const char *arg) {
        DomainGraphicsDef *g = lookup_graphics(l);

        prepare_job_fail(l->job, r, VB_ERROR_OPERATION_FAILED, fmt, g ? g->listen_network : "", arg);
        prepare_job_release(l->job, 0, NULL);
}

/* The first IPv4 address of a host bridge (a network in forward mode 'bridge'). */
static int bridge_address(const char *ifname, char **ret) {
        struct ifaddrs *all = NULL;
        char buf[INET_ADDRSTRLEN] = "";

        if (getifaddrs(&all) < 0)
                return -errno;
        for (struct ifaddrs *a = all; a && !*buf; a = a->ifa_next)
                if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && streq(a->ifa_name, ifname))
                        inet_ntop(AF_INET, &((struct sockaddr_in *) a->ifa_addr)->sin_addr, buf, sizeof(buf));
        freeifaddrs(all);
        if (!*buf)
                return -EADDRNOTAVAIL;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static int network_address(const NetworkDef *net, char **ret) {
        char buf[NET_ADDR_STRING_MAX];

        if (!network_def_is_managed_bridge(net))
                return net->bridge ? bridge_address(net->bridge, ret) : -EADDRNOTAVAIL;
        if (!net->n_ips)
                return -EADDRNOTAVAIL;
        *ret = strdup(net_addr_format(&net->ips[0].address, buf));
        return *ret ? 0 : -ENOMEM;
}

static int on_xml(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ListenLookup *l = userdata;
        DomainGraphicsDef *g = lookup_graphics(l);
        _cleanup_(network_def_freep) NetworkDef *net = NULL;
        const sd_bus_error *e;
        const char *xml;
        ConfError err = {};
        char *addr = NULL;
        int r = bus_reply_errno(m, &e);

        if (r >= 0)
                r = sd_bus_message_read(m, "s", &xml);
        if (r >= 0 && g)
                r = network_def_parse(xml, 0, &net, &err);
        if (r >= 0 && g)
                r = network_address(net, &addr);
        if (r == -EADDRNOTAVAIL) {
                lookup_fail(l, r, "network '%s' has no address to listen on%s", "");
                return 1;
        }
        if (r < 0) {
                lookup_fail(l, r, "cannot read network '%s': %s", e && e->message ? e->message : strerror(-r));
                return 1;
        }
        if (g)
                free_and_replace_str(&g->listen, addr);
        prepare_job_release(l->job, 0, NULL);
        return 1;
}

static int on_active(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ListenLookup *l = userdata;
        const sd_bus_error *e;
        int active = 0, r = bus_reply_errno(m, &e);
        BusTarget net = { NETWORKD_SERVICE, l->path, "org.libvirt.Network" };

        if (r >= 0)
                r = sd_bus_message_read(m, "v", "b", &active);
        if (r >= 0 && !active) {
                lookup_fail(l, -EBADFD, "network '%s' is not active%s", "");
                return 1;
        }
        if (r >= 0)
                r = bus_call_async(sd_bus_message_get_bus(m), &net, "GetXMLDesc", on_xml, l, sizeof(*l), NULL, "u", 0);
        if (r < 0)
                lookup_fail(l, r, "cannot ask networkd about network '%s': %s",
                            e && e->message ? e->message : strerror(-r));
        return 1;
}

static int on_lookup(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ListenLookup *l = userdata;
        const sd_bus_error *e;
        const char *path;
        BusTarget props = { NETWORKD_SERVICE, NULL, "org.freedesktop.DBus.Properties" };
        int r = bus_reply_errno(m, &e);

        if (r >= 0)
                r = sd_bus_message_read(m, "o", &path);
        if (r >= 0 && strlen(path) >= sizeof(l->path))
                r = -ENAMETOOLONG;
        if (r < 0) {
                lookup_fail(l, r, "cannot listen on network '%s': %s", e && e->message ? e->message : strerror(-r));
                return 1;
        }
        strcpy(l->path, path);
        props.path = l->path;
        r = bus_call_async(sd_bus_message_get_bus(m), &props, "Get", on_active, l, sizeof(*l), NULL, "ss",
                           "org.libvirt.Network", "Active");
        if (r < 0)
                lookup_fail(l, r, "cannot ask networkd about network '%s': %s", strerror(-r));
        return 1;
}

int qemu_graphics_network_resolve(Domain *d, domain_prepare_fn done) {
        PrepareJob *job = prepare_job_new(d, done);

        if (!job)
                return -ENOMEM;
        for (size_t i = 0; i < d->live->n_graphics; i++) {
                DomainGraphicsDef *g = &d->live->graphics[i];
                ListenLookup l = { .job = job, .index = i };
                int r;

                if (!g->listen_network)
                        continue;
                /* an address kept from an earlier run is stale */
                free_and_replace_str(&g->listen, NULL);
                prepare_job_hold(job);
                r = bus_call_async(d->manager->bus, &networkd_connect, "NetworkLookupByName", on_lookup, &l,
                                   sizeof(l), NULL, "s", g->listen_network);
                if (r < 0) {
                        prepare_job_release(job, 0, NULL);
                        prepare_job_fail(job, r, VB_ERROR_OPERATION_FAILED, "cannot ask networkd for network '%s': %s",
                                         g->listen_network, strerror(-r));
                        break;
                }
        }
        prepare_job_release(job, 0, NULL);
        return 0;
}
