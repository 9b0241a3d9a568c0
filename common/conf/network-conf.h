/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The network definition: libvirt's network XML as a C structure.
 *
 *   network-conf.c      new/free/copy, the root element, format
 *   network-ip.c        <ip> with <dhcp>, <domain>, <dns>
 *   network-qos.c       <bandwidth>, <vlan>, <portgroup>
 *   network-validate.c  semantic checks, and the checks against other networks
 *   network-update.c    virNetworkUpdate's sections on a definition
 *   network-addr.c      addresses, subnets and MACs
 *
 * What network.rng allows and we do not implement is refused with
 * NotSupported naming it. Bandwidth figures are libvirt's units: kilobytes
 * per second for rates, kilobytes for bursts. */

#include "domain-conf.h" /* ConfError, Tristate */
#include "network-addr.h"
#include "xml-bounds.h"

typedef enum NetworkForwardMode {
        NETWORK_FORWARD_NONE, /* no <forward>: isolated */
        NETWORK_FORWARD_NAT,
        NETWORK_FORWARD_ROUTE,
        NETWORK_FORWARD_OPEN,
        NETWORK_FORWARD_BRIDGE,
        NETWORK_FORWARD_PASSTHROUGH,
        NETWORK_FORWARD_PRIVATE,
        NETWORK_FORWARD_VEPA,
        NETWORK_FORWARD_HOSTDEV,
        _NETWORK_FORWARD_MAX,
} NetworkForwardMode;

typedef struct NetworkRate {
        bool present;
        uint64_t average, peak, floor, burst; /* 0 = not given */
} NetworkRate;

typedef struct NetworkBandwidth {
        bool present;
        NetworkRate in, out; /* inbound = towards the guest */
} NetworkBandwidth;

#define NETWORK_VLAN_TAGS_MAX 64

typedef enum NetworkVlanNative {
        NETWORK_VLAN_NATIVE_NONE,
        NETWORK_VLAN_NATIVE_TAGGED,
        NETWORK_VLAN_NATIVE_UNTAGGED,
} NetworkVlanNative;

typedef struct NetworkVlan {
        size_t n_tags; /* 0 = no <vlan> */
        unsigned tags[NETWORK_VLAN_TAGS_MAX];
        bool trunk;
        unsigned native_tag;            /* the tag carrying nativeMode */
        NetworkVlanNative native_mode;
} NetworkVlan;

typedef struct NetworkPortgroup {
        char *name;
        bool is_default;
        Tristate trust_guest_rx;
        NetworkBandwidth bandwidth;
        NetworkVlan vlan;
} NetworkPortgroup;

typedef struct NetworkLease {
        bool present;
        uint64_t expiry; /* 0 = infinite */
        char *unit;      /* seconds, minutes, hours; NULL = minutes */
} NetworkLease;

typedef struct NetworkDhcpRange {
        NetAddr start, end;
        NetworkLease lease;
} NetworkDhcpRange;

typedef struct NetworkDhcpHost {
        bool has_mac;
        uint8_t mac[6];
        char *id;   /* DUID, IPv6 */
        char *name;
        NetAddr ip;
        NetworkLease lease;
} NetworkDhcpHost;

typedef struct NetworkIp {
        NetAddr address;
        unsigned prefix;
        bool netmask_given; /* format back as netmask='' rather than prefix='' */
        bool family_given;
        Tristate local_ptr;
        char *tftp_root;
        bool has_dhcp;
        NetworkDhcpRange *ranges;
        size_t n_ranges;
        NetworkDhcpHost *hosts;
        size_t n_hosts;
        char *bootp_file, *bootp_server;
} NetworkIp;

typedef struct NetworkDnsHost {
        NetAddr ip;
        char **hostnames; /* NULL-terminated, at least one */
} NetworkDnsHost;

typedef struct NetworkDnsForwarder {
        char *addr;   /* NULL or an address */
        char *domain; /* NULL or a domain */
} NetworkDnsForwarder;

typedef struct NetworkDnsTxt {
        char *name, *value;
} NetworkDnsTxt;

typedef struct NetworkDns {
        bool present;
        Tristate enable;
        Tristate forward_plain_names;
        NetworkDnsForwarder *forwarders;
        size_t n_forwarders;
        NetworkDnsTxt *txts;
        size_t n_txts;
        NetworkDnsHost *hosts;
        size_t n_hosts;
} NetworkDns;

typedef struct NetworkDef {
        char *name;
        uint8_t uuid[16];
        Tristate ipv6;             /* <network ipv6='yes'> */
        Tristate trust_guest_rx;
        unsigned connections;      /* live: ports in use */

        char *bridge;              /* NULL until assigned */
        char *zone;
        Tristate stp;
        bool has_delay;
        uint64_t delay;
        char *mac_table_manager;   /* "kernel" only */
        bool has_mac;
        uint8_t mac[6];
        unsigned mtu;

        bool has_forward;
        NetworkForwardMode forward;
        char *forward_dev;
        bool has_nat;
        Tristate nat_ipv6;
        unsigned nat_port_start, nat_port_end; /* 0 = default */

        char *domain;
        Tristate domain_local_only;
        NetworkDns dns;

        NetworkBandwidth bandwidth;
        NetworkVlan vlan;
        Tristate port_isolated;
        NetworkPortgroup *portgroups;
        size_t n_portgroups;

        NetworkIp *ips;
        size_t n_ips;
} NetworkDef;

enum {
        NETWORK_FORMAT_INACTIVE = 1 << 0, /* no live-only attributes (connections) */
};

/* Lists are capped: a network never needs thousands of <ip> or ranges. The
 * static hosts of a DHCP server may be many, up to what one element of a
 * document may hold (xml-bounds.h). */
#define NETWORK_LIST_MAX 1024
#define NETWORK_HOSTS_MAX XML_MAX_CHILDREN

/* A network's name becomes part of file names and of dnsmasq's lines. */
#define NETWORK_NAME_MAX OBJECT_NAME_MAX

/* What a network name may be: an object name (object_name_is_valid()) with
 * none of '"', '\'', '\\', '#' (which dnsmasq's configuration syntax reads as
 * quoting, escaping or comments). */
bool network_name_is_valid(const char *name);
/* A DNS name as dnsmasq takes it: 1 to 253 characters in dot-separated
 * labels of 1 to 63 letters, digits and '-' (and '_' when underscore). */
bool network_dns_name_is_valid(const char *name, bool underscore);
/* A Linux interface name we may hand to netlink, nft and dnsmasq: 1 to 15
 * letters, digits, '-', '_' or '.', not "." or "..". */
bool network_ifname_is_valid(const char *name);

NetworkDef *network_def_new(void);
NetworkDef *network_def_free(NetworkDef *def);
DEFINE_TRIVIAL_CLEANUP_FUNC(NetworkDef *, network_def_free);

/* Parses a <network> document. A missing uuid is generated. The result is
 * checked by network_def_validate() too. */
int network_def_parse(const char *xml, size_t len, NetworkDef **ret, ConfError *err);
int network_def_format(const NetworkDef *def, unsigned flags, char **ret);
/* Deep copy, field by field (cheap for networks of many hosts). */
int network_def_copy(const NetworkDef *def, NetworkDef **ret);

/* Semantic checks on one definition: addresses and prefixes, ranges and
 * hosts inside their subnet, duplicate addresses, what the forward mode
 * allows, VLAN and bandwidth limits. */
int network_def_validate(const NetworkDef *def, ConfError *err);
/* def may not run beside other (an active network): overlapping subnets, the
 * same bridge. -EBUSY/-EEXIST with the error naming both. */
int network_def_check_conflict(const NetworkDef *def, const NetworkDef *other, ConfError *err);

const char *network_forward_mode_to_string(NetworkForwardMode m);
int network_forward_mode_from_string(const char *s);
/* Whether the network has its own bridge with addresses (not 'bridge' mode). */
static inline bool network_def_is_managed_bridge(const NetworkDef *def) {
        return def->forward == NETWORK_FORWARD_NONE || def->forward == NETWORK_FORWARD_NAT ||
               def->forward == NETWORK_FORWARD_ROUTE || def->forward == NETWORK_FORWARD_OPEN;
}
/* Whether any part of the network asks for VLANs (the bridge then filters). */
bool network_def_uses_vlans(const NetworkDef *def);
const NetworkPortgroup *network_def_find_portgroup(const NetworkDef *def, const char *name);
/* The IPv4 or IPv6 <ip> at parent index idx (-1: the first of family with
 * DHCP; family 0 = any). NULL when there is none. */
NetworkIp *network_def_find_ip(const NetworkDef *def, int idx, int family);
/* Effective lease time in seconds, -1 when none is given, 0 = infinite. */
int64_t network_lease_seconds(const NetworkLease *l);

/* Parsers of single elements, for Update and for ports (the interface's own
 * <bandwidth>/<vlan>). */
int network_parse_dhcp_host_xml(const char *xml, NetworkDhcpHost *ret, ConfError *err);
int network_parse_dhcp_range_xml(const char *xml, NetworkDhcpRange *ret, ConfError *err);
int network_parse_dns_host_xml(const char *xml, NetworkDnsHost *ret, ConfError *err);
int network_parse_portgroup_xml(const char *xml, NetworkPortgroup *ret, ConfError *err);
int network_parse_bandwidth_xml(const char *xml, NetworkBandwidth *ret, ConfError *err);
int network_parse_vlan_xml(const char *xml, NetworkVlan *ret, ConfError *err);
void network_dhcp_host_clear(NetworkDhcpHost *h);
void network_dhcp_range_clear(NetworkDhcpRange *r);
void network_dns_host_clear(NetworkDnsHost *h);
void network_portgroup_clear(NetworkPortgroup *pg);
void network_ip_clear(NetworkIp *ip);
bool network_vlan_equal(const NetworkVlan *a, const NetworkVlan *b);

/* virNetworkUpdate: commands, sections and flags, with libvirt's numbers. */
typedef enum NetworkUpdateCommand {
        NETWORK_UPDATE_COMMAND_NONE = 0,
        NETWORK_UPDATE_COMMAND_MODIFY = 1,
        NETWORK_UPDATE_COMMAND_DELETE = 2,
        NETWORK_UPDATE_COMMAND_ADD_LAST = 3,
        NETWORK_UPDATE_COMMAND_ADD_FIRST = 4,
} NetworkUpdateCommand;

typedef enum NetworkUpdateSection {
        NETWORK_SECTION_NONE = 0,
        NETWORK_SECTION_BRIDGE = 1,
        NETWORK_SECTION_DOMAIN = 2,
        NETWORK_SECTION_IP = 3,
        NETWORK_SECTION_IP_DHCP_HOST = 4,
        NETWORK_SECTION_IP_DHCP_RANGE = 5,
        NETWORK_SECTION_FORWARD = 6,
        NETWORK_SECTION_FORWARD_INTERFACE = 7,
        NETWORK_SECTION_FORWARD_PF = 8,
        NETWORK_SECTION_PORTGROUP = 9,
        NETWORK_SECTION_DNS_HOST = 10,
        NETWORK_SECTION_DNS_TXT = 11,
        NETWORK_SECTION_DNS_SRV = 12,
} NetworkUpdateSection;

enum {
        NETWORK_UPDATE_AFFECT_CURRENT = 0,
        NETWORK_UPDATE_AFFECT_LIVE = 1 << 0,
        NETWORK_UPDATE_AFFECT_CONFIG = 1 << 1,
};

/* Applies one update to def in place; on failure def is unchanged. */
int network_def_update(NetworkDef *def, unsigned command, unsigned section, int parent_index, const char *xml,
                       ConfError *err);
