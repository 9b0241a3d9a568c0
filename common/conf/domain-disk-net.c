/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <disk type='network'>: its <source protocol='' name=''> with the hosts
 * and the protocol's own children (libvirt's diskSourceNetwork). Which
 * protocols a driver can use, and how many hosts each takes, is the
 * driver's check: the model holds all of libvirt's. */
#include <inttypes.h>

#include "domain-conf-internal.h"

/* The schema's patterns for an HTTP cookie (RFC 6265's token and value). */
#define COOKIE_NAME_CHARS CHARSET_ALNUM "!#$%&'*+-.^_`|~"
#define COOKIE_VALUE_CHARS CHARSET_ALNUM "!#$%&'()*+-./:<=>?@[]^_`|~"

static int parse_host(DomainDiskNetSource *s, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskHost *h;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name", "port", "transport", "socket");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = LIST_APPEND(s->hosts, s->n_hosts, &h, path, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "transport", domain_disk_transport, &h->transport, err);
        if (r < 0)
                return r;
        if (h->transport == DOMAIN_DISK_TRANSPORT_UNIX) {
                if (xmlHasProp(n, (const xmlChar *) "name") || xmlHasProp(n, (const xmlChar *) "port"))
                        return xml_err_xml(err, "<%s transport='unix'> takes a socket, not a name or port", path);
                r = xml_attr_str_required(n, path, "socket", &h->socket, err);
                if (r >= 0)
                        r = domain_check_abs_path(h->socket, "attribute 'socket' of", path, err);
                return r < 0 ? r : 0;
        }
        if (xmlHasProp(n, (const xmlChar *) "socket"))
                return xml_err_xml(err, "attribute 'socket' of <%s> needs transport='unix'", path);
        r = xml_attr_str_required(n, path, "name", &h->name, err);
        if (r < 0)
                return r;
        if (!str_is_host_address(h->name))
                return xml_err_invalid(err, "invalid host name '%s' of <%s>", h->name, path);
        r = xml_attr_uint(n, path, "port", &h->port, err);
        if (r > 0 && (h->port == 0 || h->port > 65535))
                return xml_err_invalid(err, "invalid port '%u' of <%s>", h->port, path);
        return r < 0 ? r : 0;
}

/* <snapshot name=''/>, <config file=''/>, <ssl verify=''/>, <readahead
 * size=''/>, <timeout seconds=''/>: one attribute, empty. */
static int parse_one_attr(xmlNodePtr n, const char *path, const char *attr, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, attr);

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0 && !xmlHasProp(n, (const xmlChar *) attr))
                r = xml_err_xml(err, "missing attribute '%s' of <%s>", attr, path);
        return r;
}

static int parse_positive(xmlNodePtr n, const char *path, const char *attr, uint64_t *ret, ConfError *err) {
        int r = parse_one_attr(n, path, attr, err);

        if (r >= 0)
                r = xml_attr_ullong(n, path, attr, ret, err);
        if (r >= 0 && (*ret == 0 || *ret > INT64_MAX))
                return xml_err_invalid(err, "invalid %s '%" PRIu64 "' of <%s>", attr, *ret, path);
        return r < 0 ? r : 0;
}

static int parse_initiator(DomainDiskNetSource *s, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (!xml_is(c, "iqn"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, path, err);
                if (r >= 0)
                        r = parse_one_attr(c, sub, "name", err);
                if (r >= 0)
                        r = xml_attr_str_required(c, sub, "name", &s->initiator_iqn, err);
                if (r < 0)
                        return r;
        }
        if (!s->initiator_iqn)
                return xml_err_xml(err, "missing element <%s/iqn>", path);
        return 0;
}

static int parse_cookies(DomainDiskNetSource *s, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                DomainDiskCookie *k;
                const char *v;
                size_t len;

                if (!xml_is(c, "cookie"))
                        return xml_unsupported_element(c, path, err);
                r = XML_CHECK_ATTRS(c, sub, err, "name");
                if (r >= 0)
                        r = LIST_APPEND(s->cookies, s->n_cookies, &k, sub, err);
                if (r >= 0)
                        r = xml_attr_str_required(c, sub, "name", &k->name, err);
                if (r >= 0)
                        r = xml_text(c, sub, &k->value, err);
                if (r < 0)
                        return r;
                if (!str_in_charset(k->name, COOKIE_NAME_CHARS))
                        return xml_err_invalid(err, "invalid cookie name '%s' in <%s>", k->name, sub);
                for (size_t j = 0; j + 1 < s->n_cookies; j++)
                        if (streq(s->cookies[j].name, k->name))
                                return xml_err_invalid(err, "duplicate cookie '%s' in <%s>", k->name, sub);
                /* a value may be quoted as a whole */
                v = k->value;
                len = strlen(v);
                if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
                        v++;
                        len -= 2;
                }
                if (len == 0 || strspn(v, COOKIE_VALUE_CHARS) != len)
                        return xml_err_invalid(err, "invalid value of cookie '%s' in <%s>", k->name, sub);
        }
        if (s->n_cookies == 0)
                return xml_err_xml(err, "<%s> needs at least one <cookie>", path);
        return 0;
}

static int parse_identity(DomainDiskNetSource *s, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "user", "group");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "user", &s->nfs_user, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "group", &s->nfs_group, err);
        if (r < 0)
                return r;
        if ((s->nfs_user && !*s->nfs_user) || (s->nfs_group && !*s->nfs_group))
                return xml_err_invalid(err, "empty user or group in <%s>", path);
        return 0;
}

static int parse_child(DomainDiskNetSource *s, xmlNodePtr c, const char *path, ConfError *err) {
        XML_SUBPATH(sub, path, (const char *) c->name);
        int r;

        if (xml_is(c, "host"))
                return parse_host(s, c, sub, err);
        r = xml_check_unique(c, path, err);
        if (r < 0)
                return r;
        if (xml_is(c, "snapshot") && s->protocol == DOMAIN_DISK_PROTOCOL_RBD) {
                r = parse_one_attr(c, sub, "name", err);
                return r < 0 ? r : xml_attr_str_required(c, sub, "name", &s->snapshot, err);
        }
        if (xml_is(c, "config") && s->protocol == DOMAIN_DISK_PROTOCOL_RBD) {
                r = parse_one_attr(c, sub, "file", err);
                if (r >= 0)
                        r = xml_attr_str_required(c, sub, "file", &s->config, err);
                return r < 0 ? r : domain_check_abs_path(s->config, "attribute 'file' of", sub, err);
        }
        if (xml_is(c, "initiator") && s->protocol == DOMAIN_DISK_PROTOCOL_ISCSI)
                return parse_initiator(s, c, sub, err);
        if (xml_is(c, "ssl") &&
            (s->protocol == DOMAIN_DISK_PROTOCOL_HTTPS || s->protocol == DOMAIN_DISK_PROTOCOL_FTPS)) {
                r = parse_one_attr(c, sub, "verify", err);
                return r < 0 ? r : domain_attr_tristate(c, sub, "verify", "yes", "no", &s->ssl_verify, err);
        }
        if (xml_is(c, "cookies") &&
            (s->protocol == DOMAIN_DISK_PROTOCOL_HTTP || s->protocol == DOMAIN_DISK_PROTOCOL_HTTPS))
                return parse_cookies(s, c, sub, err);
        if (xml_is(c, "readahead"))
                return parse_positive(c, sub, "size", &s->readahead, err);
        if (xml_is(c, "timeout"))
                return parse_positive(c, sub, "seconds", &s->timeout, err);
        if (xml_is(c, "identity") && s->protocol == DOMAIN_DISK_PROTOCOL_NFS)
                return parse_identity(s, c, sub, err);
        /* <auth>, <encryption>, <reservations>, <slices>... */
        return xml_unsupported_element(c, path, err);
}

/* Protocols whose name is optional (an NBD server's default export, an
 * RBD image given in its config file). */
static bool name_optional(DomainDiskProtocol p) {
        return p == DOMAIN_DISK_PROTOCOL_NBD || p == DOMAIN_DISK_PROTOCOL_RBD;
}

static int parse_source_attrs(DomainDiskNetSource *s, xmlNodePtr n, const char *path, ConfError *err) {
        bool http = s->protocol == DOMAIN_DISK_PROTOCOL_HTTP || s->protocol == DOMAIN_DISK_PROTOCOL_HTTPS;
        bool tls = s->protocol == DOMAIN_DISK_PROTOCOL_NBD || s->protocol == DOMAIN_DISK_PROTOCOL_VXHS;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "protocol", "name", http ? "query" : "name", tls ? "tls" : "name",
                            s->protocol == DOMAIN_DISK_PROTOCOL_NBD ? "tlsHostname" : "name", "index");
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "name", &s->name, err);
        if (r == 0 && !name_optional(s->protocol))
                return xml_err_xml(err, "missing attribute 'name' of <%s protocol='%s'>", path,
                                   domain_disk_protocol_to_string(s->protocol));
        if (r >= 0)
                r = xml_attr_str(n, path, "query", &s->query, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "tls", "yes", "no", &s->tls, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "tlsHostname", &s->tls_hostname, err);
        return r < 0 ? r : 0;
}

int domain_parse_disk_net_source(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskNetSource *s;
        int r;

        domain_disk_net_free(d->net);
        d->net = s = calloc(1, sizeof(*s));
        if (!s)
                return xml_err_oom(err);
        if (!xmlHasProp(n, (const xmlChar *) "protocol"))
                return xml_err_xml(err, "missing attribute 'protocol' of <%s>", path);
        r = DOMAIN_ATTR_ENUM(n, path, "protocol", domain_disk_protocol, &s->protocol, err);
        if (r >= 0)
                r = parse_source_attrs(s, n, path, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                r = xml_is(c, "auth")         ? domain_parse_disk_auth(d, c, sub, true, err)
                    : xml_is(c, "encryption") ? domain_parse_disk_encryption(d, c, sub, true, err)
                    : xml_is(c, "slices")     ? domain_parse_disk_slices(&d->slice, c, sub, err)
                                              : parse_child(s, c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void format_hosts(XmlWriter *w, const DomainDiskNetSource *s) {
        for (size_t i = 0; i < s->n_hosts; i++) {
                const DomainDiskHost *h = &s->hosts[i];

                xw_start(w, "host");
                xw_attr(w, "name", h->name);
                if (h->port)
                        xw_attrf(w, "port", "%u", h->port);
                xw_attr(w, "transport", domain_disk_transport_to_string(h->transport));
                xw_attr(w, "socket", h->socket);
                xw_end(w);
        }
}

static void format_attr_element(XmlWriter *w, const char *name, const char *attr, const char *value) {
        if (!value)
                return;
        xw_start(w, name);
        xw_attr(w, attr, value);
        xw_end(w);
}

/* libvirt's order (virDomainDiskSourceFormatNetwork). */
void domain_format_disk_net_source(XmlWriter *w, const DomainDiskNetSource *s, unsigned index) {
        xw_start(w, "source");
        xw_attr(w, "protocol", domain_disk_protocol_to_string(s->protocol));
        xw_attr(w, "name", s->name);
        xw_attr(w, "query", s->query);
        xw_attr(w, "tls", tristate_word(s->tls, "yes", "no"));
        xw_attr(w, "tlsHostname", s->tls_hostname);
        if (index)
                xw_attrf(w, "index", "%u", index);
        format_hosts(w, s);
        if (s->nfs_user || s->nfs_group) {
                xw_start(w, "identity");
                xw_attr(w, "user", s->nfs_user);
                xw_attr(w, "group", s->nfs_group);
                xw_end(w);
        }
        format_attr_element(w, "snapshot", "name", s->snapshot);
        format_attr_element(w, "config", "file", s->config);
        if (s->initiator_iqn) {
                xw_start(w, "initiator");
                format_attr_element(w, "iqn", "name", s->initiator_iqn);
                xw_end(w);
        }
        format_attr_element(w, "ssl", "verify", tristate_word(s->ssl_verify, "yes", "no"));
        if (s->n_cookies) {
                xw_start(w, "cookies");
                for (size_t i = 0; i < s->n_cookies; i++) {
                        xw_start(w, "cookie");
                        xw_attr(w, "name", s->cookies[i].name);
                        xw_text(w, s->cookies[i].value);
                        xw_end(w);
                }
                xw_end(w);
        }
        if (s->readahead) {
                xw_start(w, "readahead");
                xw_attrf(w, "size", "%" PRIu64, s->readahead);
                xw_end(w);
        }
        if (s->timeout) {
                xw_start(w, "timeout");
                xw_attrf(w, "seconds", "%" PRIu64, s->timeout);
                xw_end(w);
        }
        /* the caller adds <auth>, <encryption> and ends <source> */
}

void domain_disk_net_free(DomainDiskNetSource *s) {
        if (!s)
                return;
        free(s->name);
        free(s->query);
        free(s->tls_hostname);
        for (size_t i = 0; i < s->n_hosts; i++) {
                free(s->hosts[i].name);
                free(s->hosts[i].socket);
        }
        free(s->hosts);
        free(s->snapshot);
        free(s->config);
        free(s->initiator_iqn);
        for (size_t i = 0; i < s->n_cookies; i++) {
                free(s->cookies[i].name);
                free(s->cookies[i].value);
        }
        free(s->cookies);
        free(s->nfs_user);
        free(s->nfs_group);
        free(s);
}

/* After a shallow copy of the disk: *p becomes a deep copy of its own. */
bool domain_disk_net_own(DomainDiskNetSource **p) {
        DomainDiskNetSource *s;
        bool ok = true;

        if (!*p)
                return true;
        s = malloc(sizeof(*s));
        if (!s) {
                *p = NULL;
                return false;
        }
        *s = **p;
        *p = s;
        ok = own_str(&s->name) && ok;
        ok = own_str(&s->query) && ok;
        ok = own_str(&s->tls_hostname) && ok;
        ok = own_str(&s->snapshot) && ok;
        ok = own_str(&s->config) && ok;
        ok = own_str(&s->initiator_iqn) && ok;
        ok = own_str(&s->nfs_user) && ok;
        ok = own_str(&s->nfs_group) && ok;
        if (!OWN_ARRAY(s->hosts, s->n_hosts))
                ok = false;
        for (size_t i = 0; i < s->n_hosts; i++) {
                ok = own_str(&s->hosts[i].name) && ok;
                ok = own_str(&s->hosts[i].socket) && ok;
        }
        if (!OWN_ARRAY(s->cookies, s->n_cookies))
                ok = false;
        for (size_t i = 0; i < s->n_cookies; i++) {
                ok = own_str(&s->cookies[i].name) && ok;
                ok = own_str(&s->cookies[i].value) && ok;
        }
        return ok;
}
