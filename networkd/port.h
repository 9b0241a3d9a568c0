/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A port: one guest's link into a network's bridge (or a host bridge). A tap
 * whose fd goes to qemud (and then QEMU), or a veth pair whose peer goes into
 * a container. networkd applies the portgroup's VLAN and bandwidth, and the
 * floor on the bridge. Each port is a file <rundir>/network/ports/<uuid>.port,
 * so a restarted networkd knows them again. */

#include "network-conf.h"

typedef struct Manager Manager;

typedef enum PortType {
        PORT_TAP,
        PORT_VETH,
} PortType;

/* What the kernel takes as an Ethernet link's MTU (ETH_MIN_MTU, IP_MAX_MTU). */
#define PORT_MTU_MIN 68u
#define PORT_MTU_MAX 65535u

typedef struct Port {
        Manager *manager;
        char uuid[37];
        char *network;      /* "" for a port on a host bridge */
        char *bridge;
        char *owner_uuid;
        char *owner_name;
        uint8_t mac[6];     /* the guest's */
        char *portgroup;    /* NULL: none */
        PortType type;
        char *ifname;       /* the host side */
        int ifindex;
        char *peer;         /* veth: the other end (as named when made) */
        NetworkBandwidth bandwidth; /* effective: interface, else portgroup */
        NetworkVlan vlan;           /* effective: interface, else portgroup, else network */
        bool isolated;
        unsigned mtu;               /* the interface's own MTU; 0: the network's */
        unsigned floor_class;       /* 0: none; else the minor of 1:<n> on the bridge */
        uint64_t floor;
} Port;

typedef struct PortRequest {
        const char *network;     /* "" with bridge set: a host bridge */
        const char *bridge;
        const char *owner_uuid;
        const char *owner_name;
        const char *mac;
        const char *portgroup;
        PortType type;
        const char *ifname;      /* tap name or template; veth host side */
        const char *peer_ifname; /* veth: the peer's name */
        const char *netns;       /* veth: move the peer into this namespace (a path) */
        bool vnet_hdr;
        bool multi_queue;        /* IFF_MULTI_QUEUE: the owner attaches the other queues */
        const char *bandwidth_xml; /* the interface's own <bandwidth> */
        const char *vlan_xml;      /* the interface's own <vlan> */
        int isolated;              /* the interface's <port isolated=''>: 1, 0, or -1 for the network's */
        unsigned mtu;              /* the interface's <mtu size=''>; 0: the network's */
} PortRequest;

Port *port_free(Port *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Port *, port_free);

/* Makes the link, plugs it in, applies VLAN and QoS, records the port. For a
 * tap, *ret_fd is its fd (the caller passes it on and closes it). */
int port_allocate(Manager *m, const PortRequest *req, Port **ret, int *ret_fd, sd_bus_error *error);
/* Deletes the link (if still there), the floor and the record. Frees p. */
int port_release(Port *p);
/* Shapes the port's link with bw instead (present = false: no shaping) and
 * records it; the floor cannot change. */
int port_set_bandwidth(Port *p, const NetworkBandwidth *bw, sd_bus_error *error);
/* Puts a port back into its network's bridge (the network was restarted). */
int port_replug(Port *p);

int port_save(const Port *p);
int port_load_all(Manager *m);
