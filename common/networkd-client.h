/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asynchronous calls to virtbus-networkd (org.virtbus.NetworkPort1), for
 * qemud (and lxcd): a port for each <interface type='network'> or
 * <interface type='bridge'>, and its release.
 *
 * Every call returns at once; the callback runs from the bus's event loop
 * with r = 0 on success or a -errno (the error table's errno of the D-Bus
 * error: -ENOENT for NoNetwork, -EINVAL for InvalidArg/InvalidMAC, -EBADFD
 * for OperationInvalid (network not active, floor does not fit), -EOPNOTSUPP
 * for NotSupported) and the error itself, to pass on to the guest's caller.
 * Unreferencing the returned slot cancels the call (no callback); pass
 * ret_slot = NULL for a call whose callback always runs.
 *
 * The sequence in qemud, for each interface of a starting guest:
 *   1. networkd_allocate_port_async(): the callback gets the tap's fd (yours:
 *      pass it to QEMU as -netdev tap,fd=N,vhost=... and close your copy once
 *      QEMU runs), its name (the live XML's <target dev=''>) and the port's
 *      uuid (keep it in the domain's live state).
 *   2. When the guest stops: networkd_release_owner_async() with the guest's
 *      uuid (or networkd_release_port_async() per port). A tap also goes away
 *      by itself when its last fd closes, and networkd then forgets the port.
 * networkd keeps its ports across its own restarts: nothing to redo when it
 * comes back. */

#include <systemd/sd-bus.h>

#include "macro.h"

#define NETWORKD_SERVICE "org.virtbus.networkd"
#define NETWORKD_PATH "/org/virtbus/networkd"
#define NETWORKD_PORT_INTERFACE "org.virtbus.NetworkPort1"

typedef struct NetworkdPortRequest {
        const char *network;       /* <source network=''>; NULL for a host bridge */
        const char *bridge;        /* <source bridge=''> of an <interface type='bridge'> */
        const char *owner_uuid;    /* the guest's uuid */
        const char *owner_name;    /* the guest's name, for ListPorts; may be NULL */
        uint8_t mac[6];            /* the guest NIC's MAC */
        const char *portgroup;     /* <source portgroup=''>; NULL: the network's default */
        const char *ifname;        /* <target dev=''> or a template; NULL: "vnet%d" */
        bool vnet_hdr;             /* IFF_VNET_HDR, for virtio-net (and vhost) */
        bool multi_queue;          /* IFF_MULTI_QUEUE: the owner opens the other queues by name */
        const char *bandwidth_xml; /* the interface's own <bandwidth> element, or NULL */
        const char *vlan_xml;      /* the interface's own <vlan> element, or NULL */
        int isolated;              /* <port isolated=''>: 1 yes, -1 no, 0 as the network says */
        unsigned mtu;              /* the interface's <mtu size=''>: the tap's MTU; 0: the network's */
        bool veth;                 /* AllocateVethPort: a veth pair (lxcd), no fd */
        const char *peer_ifname;   /* veth: the name of the guest's end; NULL: networkd's */
} NetworkdPortRequest;

/* tapfd: -1 on failure, else yours to close. */
typedef void (*networkd_port_fn)(int r, const sd_bus_error *error, int tapfd, const char *ifname,
                                 const char *port_uuid, void *userdata);
typedef void (*networkd_reply_fn)(int r, const sd_bus_error *error, void *userdata);
typedef void (*networkd_count_fn)(int r, const sd_bus_error *error, unsigned count, void *userdata);

int networkd_allocate_port_async(sd_bus *bus, const NetworkdPortRequest *req, networkd_port_fn cb, void *userdata,
                                 sd_bus_slot **ret_slot);
/* A veth port (req->veth): the callback's tapfd is -1 and its ifname the
 * host end's; the peer is req->peer_ifname, or networkd's name for it. */
int networkd_release_port_async(sd_bus *bus, const char *port_uuid, networkd_reply_fn cb, void *userdata,
                                sd_bus_slot **ret_slot);
/* count: how many ports were released. */
int networkd_release_owner_async(sd_bus *bus, const char *owner_uuid, networkd_count_fn cb, void *userdata,
                                 sd_bus_slot **ret_slot);
