/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ports on disk: <rundir>/network/ports/<uuid>.port, "key=value" lines.
 * Read back at start: a port whose link is gone (its guest went away while
 * we were not running) is dropped, with its floor. */
#include <dirent.h>
#include <inttypes.h>

#include "log.h"
#include "manager.h"
#include "netlink.h"
#include "port.h"
#include "util.h"
#include "uuid.h"

static void write_rate(FILE *f, const char *key, const NetworkRate *r) {
        if (r->present)
                fprintf(f, "%s=%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", key, r->average, r->peak, r->floor,
                        r->burst);
}

static void write_vlan(FILE *f, const NetworkVlan *v) {
        if (!v->n_tags)
                return;
        fprintf(f, "vlan=%d,%d,%u", v->trunk, (int) v->native_mode, v->native_tag);
        for (size_t i = 0; i < v->n_tags; i++)
                fprintf(f, ",%u", v->tags[i]);
        fputc('\n', f);
}

int port_save(const Port *p) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        char mac[MAC_STRING_MAX];
        size_t size = 0;
        FILE *f;
        int r;

        if (asprintf(&path, "%s/%s.port", p->manager->portdir, p->uuid) < 0)
                return -ENOMEM;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "uuid=%s\nnetwork=%s\nbridge=%s\nowner_uuid=%s\nowner_name=%s\nmac=%s\ntype=%s\nifname=%s\n",
                p->uuid, p->network, p->bridge, p->owner_uuid, p->owner_name, mac_format(p->mac, mac),
                p->type == PORT_TAP ? "tap" : "veth", p->ifname);
        if (p->peer)
                fprintf(f, "peer=%s\n", p->peer);
        if (p->portgroup)
                fprintf(f, "portgroup=%s\n", p->portgroup);
        fprintf(f, "ifindex=%d\nisolated=%d\nfloor_class=%u\nfloor=%" PRIu64 "\n", p->ifindex, p->isolated, p->floor_class, p->floor);
        if (p->mtu)
                fprintf(f, "mtu=%u\n", p->mtu);
        write_rate(f, "inbound", &p->bandwidth.in);
        write_rate(f, "outbound", &p->bandwidth.out);
        write_vlan(f, &p->vlan);
        r = ferror(f) ? -ENOMEM : 0;
        fclose(f);
        if (r < 0)
                return r;
        return write_file_replace(path, buf, size, 0600);
}

static int read_rate(const char *v, NetworkRate *r) {
        unsigned long long a, pk, fl, b;

        if (sscanf(v, "%llu,%llu,%llu,%llu", &a, &pk, &fl, &b) != 4)
                return -EINVAL;
        *r = (NetworkRate) { .present = true, .average = a, .peak = pk, .floor = fl, .burst = b };
        return 0;
}

static int read_vlan(const char *v, NetworkVlan *vlan) {
        int trunk, native, n;
        unsigned tag;

        if (sscanf(v, "%d,%d,%u%n", &trunk, &native, &vlan->native_tag, &n) != 3)
                return -EINVAL;
        vlan->trunk = trunk;
        vlan->native_mode = (NetworkVlanNative) native;
        for (v += n; *v == ',' && vlan->n_tags < NETWORK_VLAN_TAGS_MAX; v += n) {
                if (sscanf(v, ",%u%n", &tag, &n) != 1)
                        return -EINVAL;
                vlan->tags[vlan->n_tags++] = tag;
        }
        return 0;
}

static int set_field(Port *p, const char *key, const char *v) {
        char **str = streq(key, "network")      ? &p->network
                     : streq(key, "bridge")     ? &p->bridge
                     : streq(key, "owner_uuid") ? &p->owner_uuid
                     : streq(key, "owner_name") ? &p->owner_name
                     : streq(key, "portgroup")  ? &p->portgroup
                     : streq(key, "ifname")     ? &p->ifname
                     : streq(key, "peer")       ? &p->peer
                                                : NULL;
        uint64_t u;

        if (str) {
                free(*str);
                *str = strdup(v);
                return *str ? 0 : -ENOMEM;
        }
        if (streq(key, "uuid")) {
                uint8_t id[16];
                if (uuid_parse(v, id) < 0)
                        return -EINVAL;
                uuid_format(id, p->uuid);
                return 0;
        }
        if (streq(key, "mac"))
                return mac_parse(v, p->mac);
        if (streq(key, "type")) {
                p->type = streq(v, "veth") ? PORT_VETH : PORT_TAP;
                return 0;
        }
        if (streq(key, "inbound") || streq(key, "outbound")) {
                p->bandwidth.present = true;
                return read_rate(v, streq(key, "inbound") ? &p->bandwidth.in : &p->bandwidth.out);
        }
        if (streq(key, "vlan"))
                return read_vlan(v, &p->vlan);
        if (safe_atou64(v, &u) < 0)
                return 0; /* unknown keys (a newer version's) are ignored */
        if (streq(key, "ifindex"))
                p->ifindex = (int) u;
        else if (streq(key, "isolated"))
                p->isolated = u != 0;
        else if (streq(key, "mtu"))
                p->mtu = (unsigned) u;
        else if (streq(key, "floor_class"))
                p->floor_class = (unsigned) u;
        else if (streq(key, "floor"))
                p->floor = u;
        return 0;
}

static int load_one(Manager *m, const char *path, Port **ret) {
        _cleanup_(port_freep) Port *p = calloc(1, sizeof(*p));
        _cleanup_free_ char *text = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        p->manager = m;
        r = read_full_file(path, 65536, &text, NULL);
        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                char *eq;
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq = 0;
                r = set_field(p, line, eq + 1);
                if (r < 0)
                        return r;
        }
        if (!p->uuid[0] || !p->network || !p->bridge || !p->owner_uuid || !p->ifname)
                return -EBADMSG;
        if (!p->owner_name && !(p->owner_name = strdup("")))
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

int port_load_all(Manager *m) {
        _cleanup_(closedirp) DIR *dir = opendir(m->portdir);
        struct dirent *de;

        if (!dir)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(dir))) {
                _cleanup_free_ char *path = NULL;
                Network *n;
                Port *p;
                int r;

                /* Not a write that a crash left half done (".port.tmp.PID"). */
                if (!endswith(de->d_name, ".port"))
                        continue;
                path = path_join(m->portdir, de->d_name);
                if (!path)
                        return -ENOMEM;
                r = load_one(m, path, &p);
                if (r < 0) {
                        log_warning_errno(r, "Ignoring %s: %m", path);
                        continue;
                }
                n = manager_find_network_by_name(m, p->network);
                if (p->floor_class && n && n->live)
                        n->floor_sum += p->floor;
                r = manager_add_port(m, p);
                if (r < 0) {
                        port_free(p);
                        return r;
                }
                if (link_ifindex(m->nl, p->ifname) != p->ifindex) {
                        log_info("Port %s: %s is gone, releasing the port.", p->uuid, p->ifname);
                        (void) port_release(p);
                }
        }
        return 0;
}
