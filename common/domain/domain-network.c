/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface type='network'> and <interface type='bridge'>: networkd makes
 * the tap, plugs it into the bridge and hands us its fd for the
 * guest process; or, for a container (lxcd), a veth pair whose peer the
 * container takes. */

#include "error.h"
#include "log.h"
#include "domain-manager.h"
#include "networkd-client.h"
#include "domain-prepare.h"
#include "domain-interface.h"

typedef struct PortRequest {
        PrepareJob *job;
        size_t index;
} PortRequest;

/* No networkd to answer: not installed, or its activation failed. */
static bool networkd_absent(const sd_bus_error *e) {
        return e && (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                     sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER));
}

static void on_port(int r, const sd_bus_error *error, int tapfd, const char *ifname, const char *port_uuid,
                    void *userdata) {
        PortRequest *req = userdata;
        PrepareJob *job = req->job;
        Domain *d = prepare_job_domain(job);
        DomainNetDef *net = d ? &d->live->nets[req->index] : NULL;
        size_t req_index = req->index;

        if (!d) {
                if (r >= 0)
                        close(tapfd); /* the guest stopped meanwhile */
                free(req);
                prepare_job_release(job, 0, NULL);
                return;
        }
        if (r >= 0) {
                d->tap_fds[req->index] = tapfd;
                free(net->ifname);
                net->ifname = strdup(ifname);
                if (!net->ifname)
                        r = -ENOMEM;
                log_debug("Interface %zu of %s: tap %s (port %s)", req->index, d->def->name, ifname, port_uuid);
        }
        free(req);
        if (r < 0 && networkd_absent(error)) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

                (void) vb_error_setf(&e, VB_ERROR_OPERATION_FAILED, "interface %zu: %s '%s' cannot be given a "
                                     "port: virtbus-networkd is not on this host's bus (%s)", req_index,
                                     net->type == DOMAIN_NET_BRIDGE ? "bridge" : "network", net->source,
                                     error->message);
                prepare_job_release(job, r, &e);
                return;
        }
        prepare_job_release(job, r, error);
}

/* <interface type='user'> needs nothing; type='ethernet' is lxcd's own veth. */
static bool is_port(const DomainNetDef *net) {
        return net->type == DOMAIN_NET_NETWORK || net->type == DOMAIN_NET_BRIDGE;
}

static int ask_port(PrepareJob *job, size_t i, const char *peer) {
        Domain *d = prepare_job_domain(job);
        const DomainNetDef *net = &d->live->nets[i];
        _cleanup_free_ char *bandwidth = net->bandwidth ? domain_interface_bandwidth_xml(net->bandwidth) : NULL;
        _cleanup_free_ char *vlan = net->opts.vlan ? domain_interface_vlan_xml(net->opts.vlan) : NULL;
        NetworkdPortRequest preq = {
                .network = net->type == DOMAIN_NET_NETWORK ? net->source : NULL,
                .bridge = net->type == DOMAIN_NET_BRIDGE ? net->source : NULL,
                .owner_uuid = d->uuid_str,
                .owner_name = d->def->name,
                .portgroup = net->portgroup,
                /* A name of the user's; networkd picks one otherwise. */
                .ifname = net->ifname && !domain_net_ifname_is_generated(net->ifname) ? net->ifname : NULL,
                .vnet_hdr = domain_net_is_virtio(net),
                .multi_queue = domain_net_multi_queue(net),
                .bandwidth_xml = bandwidth, /* the interface's own <bandwidth> */
                .vlan_xml = vlan,
                .isolated = net->opts.port_isolated == TRISTATE_ON ? 1 : net->opts.port_isolated == TRISTATE_OFF ? -1 : 0,
                .veth = peer != NULL,
                .peer_ifname = peer,
                /* a tap's MTU, whatever the NIC model, as libvirt's QEMU
                 * driver sets it (its LXC driver sets none on a veth) */
                .mtu = peer ? 0 : net->opts.mtu,
        };
        PortRequest *req = calloc(1, sizeof(*req));
        int r;

        if (!req || (net->bandwidth && !bandwidth) || (net->opts.vlan && !vlan)) {
                free(req);
                return -ENOMEM;
        }
        memcpy(preq.mac, net->mac, sizeof(preq.mac));
        *req = (PortRequest) { .job = job, .index = i };
        prepare_job_hold(job);
        r = networkd_allocate_port_async(d->manager->bus, &preq, on_port, req, NULL);
        if (r < 0) {
                free(req);
                prepare_job_release(job, 0, NULL);
        }
        return r;
}

static int network_prepare(Domain *d, char *const *peers, domain_prepare_fn done) {
        PrepareJob *job;

        d->tap_fds = calloc(d->live->n_nets + 1, sizeof(int));
        if (!d->tap_fds)
                return -ENOMEM;
        d->n_tap_fds = d->live->n_nets;
        for (size_t i = 0; i < d->n_tap_fds; i++)
                d->tap_fds[i] = -1;
        job = prepare_job_new(d, done);
        if (!job)
                return -ENOMEM;
        for (size_t i = 0; i < d->live->n_nets; i++) {
                int r;

                if (!is_port(&d->live->nets[i]))
                        continue;
                r = ask_port(job, i, peers ? peers[i] : NULL);
                if (r < 0) {
                        prepare_job_fail(job, r, VB_ERROR_OPERATION_FAILED, "cannot ask networkd for a port on '%s': %s",
                                         d->live->nets[i].source, strerror(-r));
                        break;
                }
        }
        prepare_job_release(job, 0, NULL);
        return 0;
}

int domain_network_prepare(Domain *d, domain_prepare_fn done) {
        return network_prepare(d, NULL, done);
}

int domain_network_prepare_veth(Domain *d, char *const *peers, domain_prepare_fn done) {
        return network_prepare(d, peers, done);
}

void domain_network_close_taps(Domain *d) {
        for (size_t i = 0; i < d->n_tap_fds; i++)
                if (d->tap_fds[i] >= 0)
                        close(d->tap_fds[i]);
        d->tap_fds = mfree(d->tap_fds);
        d->n_tap_fds = 0;
        for (size_t i = 0; i < d->n_tap_queue_fds; i++)
                if (d->tap_queue_fds[i] >= 0)
                        close(d->tap_queue_fds[i]);
        d->tap_queue_fds = mfree(d->tap_queue_fds);
        d->n_tap_queue_fds = 0;
}

static bool uses_ports(const DomainDef *def) {
        for (size_t i = 0; def && i < def->n_nets; i++)
                if (is_port(&def->nets[i]))
                        return true;
        return false;
}

void domain_network_release(Domain *d) {
        domain_network_close_taps(d);
        if (uses_ports(d->live))
                (void) networkd_release_owner_async(d->manager->bus, d->uuid_str, NULL, NULL, NULL);
}
