/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <interface>: its types, options, host-side addresses and routes.
 * Part of domain-conf.h, which includes it where these types belong: include
 * domain-conf.h, not this file. */

typedef enum DomainNetType {
        DOMAIN_NET_USER,
        DOMAIN_NET_NETWORK,    /* port from networkd */
        DOMAIN_NET_BRIDGE,     /* tap from networkd on an existing bridge */
        DOMAIN_NET_ETHERNET,   /* lxcd: a veth of its own; qemud: a tap it makes (or an existing one) */
        DOMAIN_NET_VHOSTUSER,  /* a vhost-user back end's unix socket: DomainNetOpts.sock_path */
        DOMAIN_NET_SERVER,     /* QEMU's socket netdev: listen=, connect=, mcast=, udp= */
        DOMAIN_NET_CLIENT,
        DOMAIN_NET_MCAST,
        DOMAIN_NET_UDP,
        DOMAIN_NET_VDPA,       /* source: the /dev/vhost-vdpa-N character device */
        DOMAIN_NET_DIRECT,     /* macvtap on the host link source, mode opts.direct_mode (domain-net-direct.c) */
        _DOMAIN_NET_MAX,
} DomainNetType;

typedef enum DomainNetTeaming {
        DOMAIN_NET_TEAMING_NONE,
        DOMAIN_NET_TEAMING_PERSISTENT,
        DOMAIN_NET_TEAMING_TRANSIENT,
        _DOMAIN_NET_TEAMING_MAX,
} DomainNetTeaming;

/* <driver><host .../></driver> and <driver><guest .../></driver>: virtio-net's
 * offloads, in the order of domain_net_host_offloads[] / _guest_offloads[]. */
#define DOMAIN_NET_HOST_OFFLOADS 7
#define DOMAIN_NET_GUEST_OFFLOADS 5

/* The sub-elements of <interface> beyond the basics (domain-net-opts.c) and
 * the sources of the socket, vhost-user and vDPA types
 * (domain-net-source.c). NULL / absent / 0 = not given. */
/* <filterref><parameter name='' value=''/> (domain-net-filterref.c). */
typedef struct DomainNetFilterParam {
        char *name, *value;
} DomainNetFilterParam;

typedef struct DomainNetOpts {
        char *script, *downscript;         /* <script path=''/>, <downscript path=''/> */
        char *backend_tap, *backend_vhost; /* <backend tap='' vhost=''/>: other device nodes */
        Tristate target_managed;           /* <target managed=''>: off = an existing tap */
        unsigned mtu;                      /* <mtu size=''/> */
        Tristate link_up;                  /* <link state='up|down'/> */
        DomainNetTeaming teaming;          /* <teaming type='' persistent=''/> */
        char *teaming_persistent;          /* transient: the alias of its persistent device */
        char *backend_type;                /* <backend type='default|passt'> */
        char *backend_logfile;             /* <backend logFile=''>: passt's log */
        char *source_dev;                  /* type='user' with passt: <source dev=''>, passt's host interface */
        struct DomainNetPortForward *forwards; /* <portForward>s of passt (domain-net-passt.c) */
        size_t n_forwards;
        bool coalesce;                     /* <coalesce> given */
        unsigned coalesce_rx_frames;       /* <coalesce><rx><frames max=''/></rx></coalesce> */
        Tristate host[DOMAIN_NET_HOST_OFFLOADS], guest[DOMAIN_NET_GUEST_OFFLOADS];
        Tristate rss, rss_hash_report;     /* <driver rss='' rss_hash_report=''> */
        Tristate trust_guest_rx_filters;   /* <interface trustGuestRxFilters=''> */
        Tristate port_isolated;            /* <port isolated=''/> */
        struct NetworkVlan *vlan;          /* <vlan> (network-conf.h), NULL: none */
        char *vport_type;                  /* <virtualport type=''>; NULL with vport: untyped */
        bool vport;                        /* <virtualport> given */
        char *vport_params[6];             /* <parameters>, in domain_net_vport_params[] order */
        char *portid;                      /* <source portid=''> of type='network' */
        char *sock_address;                /* server, client, mcast, udp: <source address=''> */
        unsigned sock_port;                /* <source port=''> */
        char *local_address;               /* udp: <source><local address='' port=''/> */
        unsigned local_port;
        char *sock_path;                   /* vhostuser: <source type='unix' path='' mode=''> */
        bool sock_server;                  /* mode='server': QEMU listens */
        Tristate reconnect;                /* <source><reconnect enabled='' timeout=''/> */
        unsigned reconnect_timeout;
        char *filterref;                   /* <filterref filter=''>: a libvirt host's nwfilter */
        DomainNetFilterParam *filter_params;
        size_t n_filter_params;
        unsigned direct_mode;              /* direct: <source mode=''>, index in domain_net_direct_modes[] */
} DomainNetOpts;

extern const char *const domain_net_host_offloads[DOMAIN_NET_HOST_OFFLOADS];
extern const char *const domain_net_guest_offloads[DOMAIN_NET_GUEST_OFFLOADS];
extern const char *const domain_net_vport_params[6];
extern const char *const domain_net_direct_modes[4];

/* <portForward proto='tcp|udp' address='' dev=''> and its
 * <range start='' end='' to='' exclude=''/>: passt's -t/-u. 0 = not given. */
typedef struct DomainNetPortRange {
        unsigned start, end, to;
        Tristate exclude;
} DomainNetPortRange;

typedef struct DomainNetPortForward {
        char *proto;
        char *address;
        char *dev;
        DomainNetPortRange *ranges;
        size_t n_ranges;
} DomainNetPortForward;

/* <ip address='' family='' prefix='' peer=''/> and <route family=''
 * address='' prefix='' gateway=''/> of an interface: in the guest (libvirt's
 * LXC driver sets them in the container; passt hands them out) or, in
 * <source> of an ethernet one, on the host's tap. */
typedef struct DomainNetIp {
        char *address;
        unsigned prefix;       /* 0 with has_prefix false: the family's host prefix */
        bool has_prefix;
        char *family;          /* as given: "ipv4", "ipv6", NULL */
        char *peer;            /* the host side's point-to-point peer */
} DomainNetIp;

typedef struct DomainNetRoute {
        char *address;
        unsigned prefix;
        char *gateway;
        char *family;
} DomainNetRoute;

typedef struct DomainNetDef {
        DomainNetType type;
        uint8_t mac[6];
        bool mac_given;        /* else generated by domain_def_parse() (52:54:00:xx:xx:xx)
                                  and formatted from then on, so it is stored at define time */
        char *model;           /* "virtio", "e1000", "rtl8139"; NULL = rtl8139-like default */
        char *source;          /* network name or bridge name */
        char *portgroup;
        unsigned boot_order;
        DomainDeviceAddress addr;
        char *ifname;          /* live: tap name */
        char *alias;           /* live */
        struct NetworkBandwidth *bandwidth; /* <bandwidth> (network-conf.h), NULL: none */
        char *guest_ifname;    /* <guest dev=''>: a container's name for it */
        /* <driver name='qemu|vhost' txmode='iothread|timer' ioeventfd='' event_idx='' queues=''/>:
         * virtio-net's back end and options; NULL / absent / 0 = not given */
        char *driver_name, *driver_txmode;
        Tristate driver_ioeventfd, driver_event_idx;
        unsigned driver_queues;
        unsigned driver_rx_queue_size, driver_tx_queue_size; /* virtio-net's rings, 0 = QEMU's */
        DomainVirtioOpts virtio;
        DomainRomDef rom;
        unsigned acpi_index;   /* <acpi index=''/>, 0 = not set */
        DomainNetIp *ips;      /* <ip>: set inside a container */
        size_t n_ips;
        DomainNetRoute *routes; /* <route>: set inside a container */
        size_t n_routes;
        DomainNetIp *host_ips;  /* ethernet: <source><ip/><route/></source>, on the tap */
        size_t n_host_ips;
        DomainNetRoute *host_routes;
        size_t n_host_routes;
        DomainNetOpts opts;
} DomainNetDef;

/* <interface type='user'><backend type='passt'/>: qemud runs passt. */
static inline bool domain_net_is_passt(const DomainNetDef *net) {
        return net->type == DOMAIN_NET_USER && net->opts.backend_type && strcmp(net->opts.backend_type, "passt") == 0;
}

/* virtio-net, in any of its three models (libvirt's virDomainNetIsVirtioModel):
 * KubeVirt asks for virtio-non-transitional. */
static inline bool domain_net_is_virtio(const DomainNetDef *net) {
        return net->model && (strcmp(net->model, "virtio") == 0 || strcmp(net->model, "virtio-transitional") == 0 ||
                              strcmp(net->model, "virtio-non-transitional") == 0);
}

/* A virtio-net tap with more than one queue pair (<driver queues='N'/>):
 * its tap is made with IFF_MULTI_QUEUE (a macvtap: each open of its
 * /dev/tapN) and QEMU gets one fd per queue. */
static inline bool domain_net_multi_queue(const DomainNetDef *net) {
        return (net->type == DOMAIN_NET_NETWORK || net->type == DOMAIN_NET_BRIDGE ||
                net->type == DOMAIN_NET_ETHERNET || net->type == DOMAIN_NET_DIRECT) &&
               net->driver_queues > 1 && domain_net_is_virtio(net);
}
