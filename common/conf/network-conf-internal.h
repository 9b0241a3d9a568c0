/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the files implementing network-conf.h; not for other users.
 * Parse functions get the element and its path ("ip/dhcp/host") and fill
 * the structure given; format functions write one element family. */

#include "network-conf.h"
#include "xml-util.h"

#define CHARSET_DNS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"
#define CHARSET_DEVICE CHARSET_DNS "_\\:/"

/* A value in a message: long ones are cut (the message has room for 512). */
#define VALUE_FMT "'%.*s%s'"
#define VALUE_ARG(s) (int) MIN(strlen(s), 120), (s), strlen(s) > 120 ? "..." : ""

/* Grows a list by one zeroed element (realloc by doubling). */
int network_list_append(void **array, size_t *n, size_t size, size_t max, void **ret, const char *path,
                        ConfError *err);
#define NET_LIST_APPEND(array, n, max, ret, path, err) \
        network_list_append((void **) &(array), &(n), sizeof((array)[0]), max, (void **) (ret), path, err)

/* yes/no (or on/off) attribute into a Tristate. */
int network_attr_tristate(xmlNodePtr n, const char *path, const char *attr, const char *on, const char *off,
                          Tristate *ret, ConfError *err);
static inline const char *network_tristate_word(Tristate t, const char *on, const char *off) {
        return t == TRISTATE_ON ? on : t == TRISTATE_OFF ? off : NULL;
}
/* A string attribute that must match the schema's character set. */
int network_attr_charset(xmlNodePtr n, const char *path, const char *attr, const char *charset, bool required,
                         char **ret, ConfError *err);
/* A DNS name attribute (network_dns_name_is_valid, no '_'). */
int network_attr_dns_name(xmlNodePtr n, const char *path, const char *attr, bool required, char **ret,
                          ConfError *err);
int network_attr_addr(xmlNodePtr n, const char *path, const char *attr, bool required, NetAddr *ret,
                      ConfError *err);
int network_attr_mac(xmlNodePtr n, const char *path, const char *attr, uint8_t mac[6], ConfError *err);
/* Reads one element of a standalone document (Update's xml argument). */
int network_read_fragment(const char *xml, const char *root, xmlDocPtr *ret_doc, xmlNodePtr *ret_root,
                          ConfError *err);

/* network-ip.c */
int network_parse_ip(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err);
int network_parse_dhcp_host(xmlNodePtr n, const char *path, NetworkDhcpHost *h, ConfError *err);
int network_parse_dhcp_range(xmlNodePtr n, const char *path, NetworkDhcpRange *r, ConfError *err);
int network_parse_domain(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err);
int network_parse_dns(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err);
int network_parse_dns_host(xmlNodePtr n, const char *path, NetworkDnsHost *h, ConfError *err);
void network_format_ips(XmlWriter *w, const NetworkDef *def);
void network_format_dhcp_host(XmlWriter *w, const NetworkDhcpHost *h);
void network_format_dns(XmlWriter *w, const NetworkDef *def);
void network_dns_clear(NetworkDns *dns);

/* network-qos.c */
int network_parse_bandwidth(xmlNodePtr n, const char *path, NetworkBandwidth *bw, ConfError *err);
int network_parse_vlan(xmlNodePtr n, const char *path, NetworkVlan *vlan, ConfError *err);
int network_parse_vlan_domain(xmlNodePtr n, const char *path, NetworkVlan *vlan, ConfError *err);
int network_parse_portgroup(xmlNodePtr n, const char *path, NetworkPortgroup *pg, ConfError *err);
void network_format_bandwidth(XmlWriter *w, const NetworkBandwidth *bw);
void network_format_vlan(XmlWriter *w, const NetworkVlan *vlan);
void network_format_portgroup(XmlWriter *w, const NetworkPortgroup *pg);
