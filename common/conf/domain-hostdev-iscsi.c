/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <hostdev type='scsi'><source protocol='iscsi' name='IQN/LUN'>: a LUN of an
 * iSCSI target given to the guest as a SCSI generic device:
 *
 *   <source protocol='iscsi' name='iqn.2013-07.com.example:target/1'>
 *     <host name='example.org' port='3260'/>
 *     <auth username='u'><secret type='iscsi' usage='...'/></auth>
 *     <initiator><iqn name='iqn...'/></initiator>
 *   </source>
 *
 * As libvirt does, it is held as a network disk's source (an iSCSI disk's
 * parser, host, auth and initiator), so the command line and the secrets
 * are the disks' own. libvirt's rules: one host over TCP, an auth secret of
 * type iscsi, and a name without a LUN means LUN 0 ("/0" appended). */
#include "domain-conf-internal.h"
#include "domain-disk-secret.h"
#include "util.h"

bool domain_hostdev_source_is_iscsi(xmlNodePtr n) {
        _cleanup_free_ char *p = (char *) xmlGetProp(n, (const xmlChar *) "protocol");

        return streq_ptr(p, "iscsi");
}

/* What libvirt's hostdev source takes: the disk's parser allows more. */
static int check_shape(xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "protocol", "name");

        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (xml_is(c, "host"))
                        r = XML_CHECK_ATTRS(c, sub, err, "name", "port");
                else if (!xml_is(c, "auth") && !xml_is(c, "initiator"))
                        return xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (!xmlHasProp(n, (const xmlChar *) "name"))
                return xml_err_xml(err, "missing iSCSI hostdev source path name (attribute 'name' of <%s>)", path);
        return 0;
}

static int check_parsed(const DomainDiskDef *d, const char *path, ConfError *err) {
        const DomainDiskNetSource *s = d->net;

        if (s->n_hosts < 1)
                return xml_err_xml(err, "missing the host address for the iSCSI hostdev (<%s/host>)", path);
        if (s->n_hosts > 1)
                return xml_err_xml(err, "only one source host address may be specified for the iSCSI hostdev "
                                   "(<%s/host>)", path);
        if (d->auth && !streq_ptr(d->auth->secret.type, "iscsi"))
                return xml_err_invalid(err, "hostdev invalid secret type '%s' of <%s/auth/secret>",
                                       d->auth->secret.type, path);
        if (!*s->name)
                return xml_err_xml(err, "empty attribute 'name' of <%s>", path);
        return 0;
}

/* libvirt's post-parse: "IQN" means "IQN/0". */
static int default_lun(DomainDiskNetSource *s, ConfError *err) {
        char *name;

        if (strchr(s->name, '/'))
                return 0;
        if (asprintf(&name, "%s/0", s->name) < 0)
                return xml_err_oom(err);
        free_and_replace_str(&s->name, name);
        return 0;
}

int domain_hostdev_parse_iscsi(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskDef *d;
        int r = check_shape(n, path, err);

        if (r < 0)
                return r;
        d = h->iscsi = calloc(1, sizeof(*d));
        if (!d)
                return xml_err_oom(err);
        d->type = DOMAIN_DISK_TYPE_NETWORK;
        r = domain_parse_disk_net_source(d, n, path, err);
        if (r >= 0)
                r = check_parsed(d, path, err);
        if (r >= 0)
                r = default_lun(d->net, err);
        return r;
}

void domain_hostdev_format_iscsi(XmlWriter *w, const DomainHostdevDef *h) {
        const DomainDiskNetSource *s = h->iscsi->net;

        xw_start(w, "source");
        xw_attr(w, "protocol", "iscsi");
        xw_attr(w, "name", s->name);
        xw_start(w, "host");
        xw_attr(w, "name", s->hosts[0].name);
        if (s->hosts[0].port)
                xw_attrf(w, "port", "%u", s->hosts[0].port);
        xw_end(w);
        domain_format_disk_auth(w, h->iscsi, true);
        if (s->initiator_iqn) {
                xw_start(w, "initiator");
                xw_start(w, "iqn");
                xw_attr(w, "name", s->initiator_iqn);
                xw_end(w);
                xw_end(w);
        }
        xw_end(w);
}

/* "iscsi example.org:3260 iqn.../1": the LUN as messages name it. */
void domain_hostdev_describe_iscsi(const DomainHostdevDef *h, char *buf, size_t size) {
        const DomainDiskNetSource *s = h->iscsi->net;

        snprintf(buf, size, "iscsi %s:%u %s", s->hosts[0].name ?: "", s->hosts[0].port ?: 3260, s->name ?: "");
}

void domain_hostdev_iscsi_clear(DomainHostdevDef *h) {
        if (!h->iscsi)
                return;
        domain_disk_clear(h->iscsi);
        h->iscsi = mfree(h->iscsi);
}

bool domain_hostdev_iscsi_own(DomainHostdevDef *h) {
        DomainDiskDef *d;

        if (!h->iscsi)
                return true;
        d = malloc(sizeof(*d));
        if (!d) {
                h->iscsi = NULL;
                return false;
        }
        *d = *h->iscsi;
        h->iscsi = d;
        return domain_disk_own(d);
}
