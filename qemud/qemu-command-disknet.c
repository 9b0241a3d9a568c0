/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protocol node of a network disk (<disk type='network'>): QEMU's
 * block driver for the protocol with its server in QAPI's form (nbd,
 * iscsi, rbd, gluster, nfs, curl's http, https, ftp and ftps, and the
 * vxhs and sheepdog QEMU 7.2 no longer has, as libvirt builds them). The
 * disk builder (qemu-command-disks.c) adds the node name, cache and
 * read-only flags. Pure: see qemu-command.h. Which protocols and host
 * counts qemud takes is checked at define (qemu-validate.c). */

#include <ctype.h>
#include <grp.h>
#include <pwd.h>

#include "qemu-command-internal.h"
#include "qemu-disk-tls.h"
#include "xml-util.h"

/* The port a protocol's server listens on when <host> names none. */
static unsigned default_port(DomainDiskProtocol p) {
        switch (p) {
        case DOMAIN_DISK_PROTOCOL_NBD:
                return 10809;
        case DOMAIN_DISK_PROTOCOL_ISCSI:
                return 3260;
        case DOMAIN_DISK_PROTOCOL_RBD:
                return 6789;
        case DOMAIN_DISK_PROTOCOL_GLUSTER:
                return 24007;
        case DOMAIN_DISK_PROTOCOL_HTTP:
                return 80;
        case DOMAIN_DISK_PROTOCOL_HTTPS:
                return 443;
        case DOMAIN_DISK_PROTOCOL_FTP:
                return 21;
        case DOMAIN_DISK_PROTOCOL_FTPS:
                return 990;
        case DOMAIN_DISK_PROTOCOL_SHEEPDOG:
                return 7000;
        case DOMAIN_DISK_PROTOCOL_VXHS:
                return 9999;
        default:
                return 0;
        }
}

static unsigned host_port(const DomainDiskNetSource *s, const DomainDiskHost *h) {
        return h->port ?: default_port(s->protocol);
}

/* QAPI's SocketAddress: {"type": "inet", "host", "port" (a string)} or
 * {"type": "unix", "path"}; with_type false gives InetSocketAddressBase
 * (rbd's servers). */
static json_object *socket_address(const DomainDiskNetSource *s, const DomainDiskHost *h, bool with_type) {
        json_object *o;

        if (h->transport == DOMAIN_DISK_TRANSPORT_UNIX) {
                o = props_new("type", "unix");
                prop_str(&o, "path", h->socket);
                return o;
        }
        o = with_type ? props_new("type", "inet") : props_new(NULL, NULL);
        prop_str(&o, "host", h->name);
        prop_strf(&o, "port", "%u", host_port(s, h));
        return o;
}

static json_object *server_array(const DomainDiskNetSource *s, bool with_type) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < s->n_hosts; i++) {
                json_object *h = socket_address(s, &s->hosts[i], with_type);

                if (!h || json_object_array_add(a, h) < 0) {
                        qemu_json_putp(&h);
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}

static json_object *build_nbd(const DomainDiskNetSource *s) {
        json_object *o = props_new("driver", "nbd");

        prop_take(&o, "server", socket_address(s, &s->hosts[0], true));
        if (s->name)
                prop_str(&o, "export", s->name);
        return o;
}

/* A host for a "host:port" string: IPv6 addresses in brackets. */
static char *host_port_string(const DomainDiskNetSource *s, const DomainDiskHost *h) {
        char *r = NULL;

        if (asprintf(&r, strchr(h->name, ':') ? "[%s]:%u" : "%s:%u", h->name, host_port(s, h)) < 0)
                return NULL;
        return r;
}

/* libvirt's iSCSI name: "IQN" or "IQN/LUN". */
static int build_iscsi(QemuCmd *c, const DomainDiskDef *disk, json_object **ret) {
        const DomainDiskNetSource *s = disk->net;
        _cleanup_free_ char *target = strdup(s->name), *portal = host_port_string(s, &s->hosts[0]);
        char *slash;
        unsigned lun = 0;
        json_object *o;

        if (!target || !portal)
                return -ENOMEM;
        slash = strrchr(target, '/');
        if (slash) {
                if (parse_uint(slash + 1, &lun) < 0)
                        return cmd_fail(c, -EINVAL, "disk %s: iSCSI source name '%s' is not 'IQN' or 'IQN/LUN'",
                                        disk->dst, s->name);
                *slash = '\0';
        }
        o = props_new("driver", "iscsi");
        prop_str(&o, "transport", "tcp");
        prop_str(&o, "portal", portal);
        prop_str(&o, "target", target);
        prop_int(&o, "lun", lun);
        if (s->initiator_iqn)
                prop_str(&o, "initiator-name", s->initiator_iqn);
        *ret = o;
        return o ? 0 : -ENOMEM;
}

/* "pool/image" or "pool/namespace/image". */
static int build_rbd(QemuCmd *c, const DomainDiskDef *disk, json_object **ret) {
        const DomainDiskNetSource *s = disk->net;
        _cleanup_free_ char *name = s->name ? strdup(s->name) : NULL;
        char *image, *ns = NULL;
        json_object *o;

        if (!s->name)
                return cmd_fail(c, -EINVAL, "disk %s: an rbd source needs a name 'pool/image'", disk->dst);
        if (!name)
                return -ENOMEM;
        image = strchr(name, '/');
        if (!image || image == name || !image[1])
                return cmd_fail(c, -EINVAL, "disk %s: rbd source name '%s' is not 'pool/image'", disk->dst, s->name);
        *image++ = '\0';
        if (strchr(image, '/')) {
                ns = image;
                image = strchr(image, '/');
                *image++ = '\0';
        }
        o = props_new("driver", "rbd");
        prop_str(&o, "pool", name);
        if (ns)
                prop_str(&o, "namespace", ns);
        prop_str(&o, "image", image);
        if (s->snapshot)
                prop_str(&o, "snapshot", s->snapshot);
        if (s->config)
                prop_str(&o, "conf", s->config);
        if (s->n_hosts)
                prop_take(&o, "server", server_array(s, false));
        *ret = o;
        return o ? 0 : -ENOMEM;
}

static json_object *build_gluster(const DomainDiskNetSource *s) {
        const char *slash = strchr(s->name, '/');
        json_object *o = props_new("driver", "gluster");

        prop_strf(&o, "volume", "%.*s", (int) (slash - s->name), s->name);
        prop_str(&o, "path", slash + 1);
        prop_take(&o, "server", server_array(s, true));
        return o;
}

/* <identity user='+6234' group='name'>: a number after '+', else a name
 * of this host. */
static int identity_id(const char *v, bool group, unsigned *ret) {
        if (v[0] == '+')
                return parse_uint(v + 1, ret);
        if (group) {
                struct group *g = getgrnam(v);
                if (!g)
                        return -ENOENT;
                *ret = g->gr_gid;
        } else {
                struct passwd *p = getpwnam(v);
                if (!p)
                        return -ENOENT;
                *ret = p->pw_uid;
        }
        return 0;
}

static int build_nfs(QemuCmd *c, const DomainDiskDef *disk, json_object **ret) {
        const DomainDiskNetSource *s = disk->net;
        json_object *server = props_new("type", "inet"), *o;
        unsigned uid = 0, gid = 0;

        if (s->nfs_user && identity_id(s->nfs_user, false, &uid) < 0)
                return cmd_fail(c, -EINVAL, "disk %s: unknown NFS user '%s' (a user of this host or +UID)",
                                disk->dst, s->nfs_user);
        if (s->nfs_group && identity_id(s->nfs_group, true, &gid) < 0)
                return cmd_fail(c, -EINVAL, "disk %s: unknown NFS group '%s' (a group of this host or +GID)",
                                disk->dst, s->nfs_group);
        prop_str(&server, "host", s->hosts[0].name);
        o = props_new("driver", "nfs");
        prop_take(&o, "server", server);
        prop_str(&o, "path", s->name);
        if (s->nfs_user)
                prop_int(&o, "user", uid);
        if (s->nfs_group)
                prop_int(&o, "group", gid);
        *ret = o;
        return o ? 0 : -ENOMEM;
}

/* The path of a URL: what is not safe in one is %-escaped (a '%' is kept:
 * a name may already be escaped). */
static void url_append_path(OptBuf *b, const char *name) {
        if (name[0] != '/')
                opt_append(b, "/");
        for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
                if (isalnum(*p) || strchr("-._~/!$&'()*+,;=:@%", *p))
                        opt_append(b, "%c", *p);
                else
                        opt_append(b, "%%%02X", *p);
        }
}

static json_object *build_curl(const DomainDiskNetSource *s) {
        const char *proto = domain_disk_protocol_to_string(s->protocol);
        const DomainDiskHost *h = &s->hosts[0];
        OptBuf url = {};
        json_object *o;

        opt_append(&url, "%s://", proto);
        opt_append(&url, strchr(h->name, ':') ? "[%s]" : "%s", h->name);
        if (h->port)
                opt_append(&url, ":%u", h->port);
        url_append_path(&url, s->name);
        if (s->query)
                opt_append(&url, "?%s", s->query);
        if (url.oom) {
                opt_done(&url);
                return NULL;
        }
        o = props_new("driver", proto);
        prop_str(&o, "url", url.s);
        opt_done(&url);
        if (s->readahead)
                prop_int(&o, "readahead", (int64_t) s->readahead);
        if (s->timeout)
                prop_int(&o, "timeout", (int64_t) s->timeout);
        if (s->ssl_verify != TRISTATE_ABSENT)
                prop_bool(&o, "sslverify", s->ssl_verify == TRISTATE_ON);
        if (s->n_cookies) {
                OptBuf k = {};

                for (size_t i = 0; i < s->n_cookies; i++)
                        opt_append(&k, "%s%s=%s", i ? "; " : "", s->cookies[i].name, s->cookies[i].value);
                /* plain, not a secret object: the cookies are in the
                 * definition anyway, readable by the same users */
                if (k.oom) {
                        qemu_json_putp(&o);
                        o = NULL;
                } else
                        prop_str(&o, "cookie", k.s);
                opt_done(&k);
        }
        return o;
}

/* vxhs and sheepdog: what libvirt 9.0 builds for a QEMU that has them
 * (qemu-disk-legacy.c refuses the start on one that has not). The vdisk
 * is the source's name, the server a TCP one for vxhs. */
static json_object *build_vxhs(const DomainDiskNetSource *s) {
        json_object *o = props_new("driver", "vxhs");

        prop_str(&o, "vdisk-id", s->name);
        prop_take(&o, "server", socket_address(s, &s->hosts[0], false));
        return o;
}

static json_object *build_sheepdog(const DomainDiskNetSource *s) {
        json_object *o = props_new("driver", "sheepdog");

        prop_take(&o, "server", socket_address(s, &s->hosts[0], true));
        prop_str(&o, "vdi", s->name);
        return o;
}

/* vxhs's TLS: qemud.conf's vxhs_tls for a source without tls='', a
 * client tls-creds-x509 on vxhs_tls_x509_cert_dir (libvirt's qemu.conf
 * keys; it has no hostname check). */
static int build_vxhs_tls(QemuCmd *c, const DomainDiskNetSource *s, const char *node, json_object **o) {
        bool on = s->tls == TRISTATE_ON || (s->tls == TRISTATE_ABSENT && c->params && c->params->vxhs_tls);
        json_object *obj;
        int r;

        if (!on)
                return 0;
        if (!c->params || !c->params->vxhs_tls_dir)
                return cmd_fail(c, -EINVAL, "%s: vxhs TLS asked (tls='yes' or vxhs_tls = 1) but no certificate "
                                "directory is set (vxhs_tls_x509_cert_dir in qemud.conf)", node);
        obj = props_new("qom-type", "tls-creds-x509");
        prop_strf(&obj, "id", "obj%s_tls0", node);
        prop_str(&obj, "dir", c->params->vxhs_tls_dir);
        prop_str(&obj, "endpoint", "client");
        prop_bool(&obj, "verify-peer", true);
        r = cmd_object(c, obj);
        if (r < 0)
                return r;
        prop_strf(o, "tls-creds", "obj%s_tls0", node);
        return 0;
}

/* Whether the source has what its protocol's builder needs (what
 * qemu-validate.c checks at define; a definition loaded from disk is
 * checked here again). */
static bool shape_ok(const DomainDiskNetSource *s) {
        switch (s->protocol) {
        case DOMAIN_DISK_PROTOCOL_NBD:
                return s->n_hosts == 1;
        case DOMAIN_DISK_PROTOCOL_RBD:
                return true;
        case DOMAIN_DISK_PROTOCOL_GLUSTER:
                return s->n_hosts > 0 && s->name && strchr(s->name, '/');
        case DOMAIN_DISK_PROTOCOL_ISCSI:
        case DOMAIN_DISK_PROTOCOL_NFS:
        case DOMAIN_DISK_PROTOCOL_HTTP:
        case DOMAIN_DISK_PROTOCOL_HTTPS:
        case DOMAIN_DISK_PROTOCOL_FTP:
        case DOMAIN_DISK_PROTOCOL_FTPS:
                return s->n_hosts == 1 && s->name && s->hosts[0].name;
        case DOMAIN_DISK_PROTOCOL_SHEEPDOG:
                return s->n_hosts == 1 && s->name && (s->hosts[0].name || s->hosts[0].socket);
        case DOMAIN_DISK_PROTOCOL_VXHS:
                return s->n_hosts == 1 && s->name && s->hosts[0].name &&
                       s->hosts[0].transport != DOMAIN_DISK_TRANSPORT_UNIX;
        default:
                return false;
        }
}

int qemu_disk_net_node(QemuCmd *c, const DomainDiskDef *disk, json_object **ret) {
        const DomainDiskNetSource *s = disk->net;
        json_object *o = NULL;
        int r = 0;

        if (!shape_ok(s))
                return cmd_fail(c, -EOPNOTSUPP, "disk %s: network protocol '%s' with %zu host(s) is not supported",
                                disk->dst, domain_disk_protocol_to_string(s->protocol), s->n_hosts);
        switch (s->protocol) {
        case DOMAIN_DISK_PROTOCOL_NBD:
                o = build_nbd(s);
                break;
        case DOMAIN_DISK_PROTOCOL_ISCSI:
                r = build_iscsi(c, disk, &o);
                break;
        case DOMAIN_DISK_PROTOCOL_RBD:
                r = build_rbd(c, disk, &o);
                break;
        case DOMAIN_DISK_PROTOCOL_GLUSTER:
                o = build_gluster(s);
                break;
        case DOMAIN_DISK_PROTOCOL_NFS:
                r = build_nfs(c, disk, &o);
                break;
        case DOMAIN_DISK_PROTOCOL_VXHS:
                o = build_vxhs(s);
                break;
        case DOMAIN_DISK_PROTOCOL_SHEEPDOG:
                o = build_sheepdog(s);
                break;
        default:
                o = build_curl(s);
                break;
        }
        if (r < 0)
                return r;
        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}

/* -object tls-creds-x509 "obj<node>_tls0" before the node, as libvirt:
 * QEMU the client, always verifying the server; tls-hostname= checks the
 * server's certificate against that name instead of the host's. */
int qemu_disk_net_tls(QemuCmd *c, const DomainDiskNetSource *s, const char *node, json_object **o) {
        json_object *obj;
        int r;

        if (s && s->protocol == DOMAIN_DISK_PROTOCOL_VXHS)
                return build_vxhs_tls(c, s, node, o);
        if (!qemu_disk_tls_wanted(s, c->params && c->params->nbd_tls))
                return 0;
        if ((!c->params || !c->params->nbd_tls_dir) && cmd_renders(c))
                return cmd_fail(c, -EINVAL, "%s: TLS asked (tls='yes' or nbd_tls = 1) but no certificate directory "
                                "is set (nbd_tls_x509_cert_dir in qemud.conf)", node);
        obj = props_new("qom-type", "tls-creds-x509");
        prop_strf(&obj, "id", "obj%s_tls0", node);
        /* an unplug's props without qemud.conf's settings: the object by
         * its id, all its object-del needs (a plug passes the directory) */
        if (c->params && c->params->nbd_tls_dir) {
                prop_str(&obj, "dir", c->params->nbd_tls_dir);
                prop_str(&obj, "endpoint", "client");
                prop_bool(&obj, "verify-peer", true);
        }
        r = cmd_object(c, obj);
        if (r < 0)
                return r;
        prop_strf(o, "tls-creds", "obj%s_tls0", node);
        if (s->tls_hostname)
                prop_str(o, "tls-hostname", s->tls_hostname);
        return 0;
}

/* pflash1-file, the nvram's protocol node with its <auth> and TLS, under
 * a raw pflash1-fmt: the node names build_loader() gives a file's. */
int qemu_build_nvram_net(QemuCmd *c) {
        const DomainDiskDef *d = c->def->os.nvram_net;
        json_object *o = NULL;
        int r;

        r = qemu_disk_net_node(c, d, &o);
        if (r >= 0)
                r = qemu_disk_auth_props(c, d, d->alias, &o);
        if (r >= 0)
                r = qemu_disk_net_tls(c, d->net, "pflash1-file", &o);
        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        prop_str(&o, "node-name", "pflash1-file");
        r = cmd_blockdev(c, o);
        if (r < 0)
                return r;
        o = props_new("driver", "raw");
        prop_str(&o, "node-name", "pflash1-fmt");
        prop_str(&o, "file", "pflash1-file");
        return cmd_blockdev(c, o);
}
