/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxc-plan.h"
#include "util.h"
#include "xml-util.h"

/* What libvirt's LXC driver runs when a definition names no init. */
#define LXC_DEFAULT_INIT "/sbin/init"

static void nets_free(LxcNet *nets, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(nets[i].peer);
                free(nets[i].guest);
                strv_free(nets[i].ips);
                strv_free(nets[i].routes);
        }
        free(nets);
}

LxcPlan *lxc_plan_free(LxcPlan *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_mounts; i++) {
                free(p->mounts[i].src);
                free(p->mounts[i].dst);
                free(p->mounts[i].nbd_format);
        }
        free(p->mounts);
        free(p->name);
        free(p->root);
        strv_free(p->env);
        free(p->workdir);
        free(p->apparmor);
        free(p->user);
        free(p->group);
        free(p->uid_map);
        free(p->gid_map);
        free(p->exit_file);
        strv_free(p->cgroups);
        strv_free(p->argv);
        nets_free(p->nets, p->n_nets);
        nets_free(p->hostnets, p->n_hostnets);
        for (size_t i = 0; i < p->n_nodes; i++)
                free(p->nodes[i].path);
        free(p->nodes);
        return mfree(p);
}

static int add_mount(LxcPlan *p, LxcMountKind kind, const char *src, const char *dst, uint64_t size_kib,
                     bool readonly) {
        LxcMount *n = realloc(p->mounts, sizeof(*n) * (p->n_mounts + 1));

        if (!n)
                return -ENOMEM;
        p->mounts = n;
        n = &p->mounts[p->n_mounts];
        *n = (LxcMount) { .kind = kind, .size_kib = size_kib, .readonly = readonly };
        n->src = src ? strdup(src) : NULL;
        n->dst = strdup(dst);
        if ((src && !n->src) || !n->dst) {
                free(n->src);
                free(n->dst);
                return -ENOMEM;
        }
        p->n_mounts++;
        return 0;
}

/* "inside host count" lines, as /proc/PID/uid_map takes them. */
static int format_map(const DomainIdmapRange *r, size_t n, char **ret) {
        _cleanup_free_ char *s = NULL;

        for (size_t i = 0; i < n; i++) {
                char *t;
                if (asprintf(&t, "%s%u %u %u\n", s ?: "", r[i].start, r[i].target, r[i].count) < 0)
                        return -ENOMEM;
                free(s);
                s = t;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* An image as the root: mounted by the init on a folder beside the exit
 * file, in the container's own mount namespace. */
static int plan_image_root(LxcPlan *p, const char *exit_file) {
        size_t len = exit_file ? strlen(exit_file) : 0;

        if (len < 5 || !endswith(exit_file, ".exit"))
                return -EINVAL;
        return asprintf(&p->root, "%.*s.root", (int) (len - 5), exit_file) < 0 ? -ENOMEM : 0;
}

static int plan_filesystems(const DomainDef *def, LxcPlan *p, const char *exit_file, ConfError *err) {
        for (size_t i = 0; i < def->n_filesystems; i++) {
                const DomainFsDef *fs = &def->filesystems[i];
                int r;

                if ((fs->type == DOMAIN_FS_FILE || fs->type == DOMAIN_FS_BLOCK) && streq_ptr(fs->dst, "/") &&
                    (r = plan_image_root(p, exit_file)) < 0)
                        return r;

                if (fs->type == DOMAIN_FS_MOUNT && streq_ptr(fs->dst, "/")) {
                        p->root = strdup(fs->src);
                        if (!p->root)
                                return -ENOMEM;
                        continue;
                }
                if (fs->type == DOMAIN_FS_MOUNT)
                        r = add_mount(p, LXC_MOUNT_BIND, fs->src, fs->dst, 0, fs->readonly);
                else if (fs->type == DOMAIN_FS_RAM)
                        r = add_mount(p, LXC_MOUNT_TMPFS, NULL, fs->dst, fs->usage_kib, false);
                else if (fs->type == DOMAIN_FS_FILE || fs->type == DOMAIN_FS_BLOCK) {
                        r = add_mount(p, fs->type == DOMAIN_FS_FILE ? LXC_MOUNT_FILE : LXC_MOUNT_BLOCK, fs->src,
                                      fs->dst, 0, fs->readonly);
                        if (r >= 0 && streq_ptr(fs->driver_type, "nbd") &&
                            !(p->mounts[p->n_mounts - 1].nbd_format = strdup(fs->driver_format ?: "raw")))
                                r = -ENOMEM;
                }
                else
                        return xml_err_unsupported(err, "the LXC driver does not support <filesystem type='%s'> "
                                                   "(target dir '%s')", domain_fs_type_to_string(fs->type),
                                                   fs->dst ?: "");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_env(const DomainDef *def, LxcPlan *p) {
        bool has_path = false;
        int r;

        /* As libvirt's LXC driver sets them; initenv may override PATH. */
        for (size_t i = 0; i < def->os.n_initenv; i++)
                if (streq(def->os.initenv[i].name, "PATH"))
                        has_path = true;
        if (!has_path && (r = strv_extend(&p->env, "PATH=/bin:/sbin:/usr/bin:/usr/sbin")) < 0)
                return r;
        if ((r = strv_extend(&p->env, "container=lxc-libvirt")) < 0 ||
            (r = strv_extendf(&p->env, "LIBVIRT_LXC_NAME=%s", def->name)) < 0)
                return r;
        for (size_t i = 0; i < def->os.n_initenv; i++)
                if ((r = strv_extendf(&p->env, "%s=%s", def->os.initenv[i].name,
                                      def->os.initenv[i].value ?: "")) < 0)
                        return r;
        return 0;
}

static LxcNet *add_net_to(LxcNet **nets, size_t *n_nets, const char *peer, const char *guest,
                          const uint8_t mac[6]) {
        LxcNet *n = realloc(*nets, sizeof(*n) * (*n_nets + 1));

        if (!n)
                return NULL;
        *nets = n;
        n = &(*nets)[*n_nets];
        *n = (LxcNet) {};
        memcpy(n->mac, mac, 6);
        n->peer = peer ? strdup(peer) : NULL;
        n->guest = strdup(guest);
        if ((peer && !n->peer) || !n->guest) {
                free(n->peer);
                free(n->guest);
                return NULL;
        }
        (*n_nets)++;
        return n;
}

static LxcNet *add_net(LxcPlan *p, const char *peer, const char *guest, const uint8_t mac[6]) {
        return add_net_to(&p->nets, &p->n_nets, peer, guest, mac);
}

static LxcNet *add_hostnet(LxcPlan *p, const char *name) {
        static const uint8_t none[6] = {};

        return add_net_to(&p->hostnets, &p->n_hostnets, name, name, none);
}

static int add_node(LxcPlan *p, const char *path, bool block) {
        LxcDevNode *n = realloc(p->nodes, sizeof(*n) * (p->n_nodes + 1));

        if (!n)
                return -ENOMEM;
        p->nodes = n;
        n = &p->nodes[p->n_nodes];
        n->block = block;
        n->path = strdup(path);
        if (!n->path)
                return -ENOMEM;
        p->n_nodes++;
        return 0;
}

/* With no prefix: the class's for IPv4, /64 for IPv6, as libvirt does. */
static unsigned default_prefix(const char *address) {
        unsigned first;

        if (strchr(address, ':'))
                return 64;
        if (sscanf(address, "%u.", &first) != 1 || first < 128)
                return 8;
        return first < 192 ? 16 : 24;
}

static int plan_ips(LxcNet *n, const DomainNetIp *ips, size_t n_ips, const DomainNetRoute *routes,
                    size_t n_routes) {
        int r;

        for (size_t j = 0; j < n_ips; j++)
                if ((r = strv_extendf(&n->ips, "%s/%u", ips[j].address,
                                      ips[j].has_prefix ? ips[j].prefix : default_prefix(ips[j].address))) < 0)
                        return r;
        for (size_t j = 0; j < n_routes; j++)
                if ((r = strv_extendf(&n->routes, "%s/%u", routes[j].address, routes[j].prefix)) < 0 ||
                    (r = strv_extend(&n->routes, routes[j].gateway)) < 0)
                        return r;
        return 0;
}

/* The container's end of each interface: eth0, eth1... unless <guest dev>
 * names it, with its MAC, addresses and routes. */
static int plan_nets(const DomainDef *def, LxcPlan *p) {
        for (size_t i = 0; i < def->n_nets; i++) {
                const DomainNetDef *net = &def->nets[i];
                char guest[32];
                LxcNet *n;
                int r;

                snprintf(guest, sizeof(guest), "eth%zu", i);
                n = add_net(p, NULL, net->guest_ifname ?: guest, net->mac);
                if (!n)
                        return -ENOMEM;
                if ((r = plan_ips(n, net->ips, net->n_ips, net->routes, net->n_routes)) < 0)
                        return r;
        }
        return 0;
}

/* The host's interfaces and device nodes the container is given. */
static int plan_hostdevs(const DomainDef *def, LxcPlan *p, ConfError *err) {
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                const DomainHostdevDef *h = &def->hostdevs[i];
                LxcNet *n;
                int r;

                if (h->type == DOMAIN_HOSTDEV_STORAGE || h->type == DOMAIN_HOSTDEV_MISC) {
                        if ((r = add_node(p, h->caps_path, h->type == DOMAIN_HOSTDEV_STORAGE)) < 0)
                                return r;
                        continue;
                }
                if (h->type != DOMAIN_HOSTDEV_NET)
                        return xml_err_unsupported(err, "the LXC driver does not support <hostdev mode='%s' "
                                                   "type='%s'>", domain_hostdev_mode_to_string(h->mode),
                                                   domain_hostdev_type_to_string(h->type));
                n = add_hostnet(p, h->caps_ifname);
                if (!n)
                        return -ENOMEM;
                if ((r = plan_ips(n, h->ips, h->n_ips, h->routes, h->n_routes)) < 0)
                        return r;
        }
        return 0;
}

int lxc_plan_from_def(const DomainDef *def, const char *exit_file, LxcPlan **ret, ConfError *err) {
        _cleanup_(lxc_plan_freep) LxcPlan *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        p->name = strdup(def->name);
        p->exit_file = exit_file ? strdup(exit_file) : NULL;
        if (!p->name || (exit_file && !p->exit_file))
                return -ENOMEM;
        if ((r = plan_filesystems(def, p, exit_file, err)) < 0 || (r = plan_env(def, p)) < 0 || (r = plan_nets(def, p)) < 0 ||
            (r = plan_hostdevs(def, p, err)) < 0)
                return r;
        if ((def->os.initdir && !(p->workdir = strdup(def->os.initdir))) ||
            (def->os.inituser && !(p->user = strdup(def->os.inituser))) ||
            (def->os.initgroup && !(p->group = strdup(def->os.initgroup))))
                return -ENOMEM;
        if (def->idmap.n_uids > 0 && (r = format_map(def->idmap.uids, def->idmap.n_uids, &p->uid_map)) < 0)
                return r;
        if (def->idmap.n_gids > 0 && (r = format_map(def->idmap.gids, def->idmap.n_gids, &p->gid_map)) < 0)
                return r;
        if ((r = strv_extend(&p->argv, def->os.init ?: LXC_DEFAULT_INIT)) < 0)
                return r;
        for (size_t i = 0; i < def->os.n_initargs; i++)
                if ((r = strv_extend(&p->argv, def->os.initargs[i])) < 0)
                        return r;
        *ret = TAKE_PTR(p);
        return 0;
}

static int add_opt(char ***l, const char *opt, const char *value) {
        int r;

        if (!value)
                return 0;
        if ((r = strv_extend(l, opt)) < 0)
                return r;
        return strv_extend(l, value);
}

static int ips_to_argv(const LxcNet *n, char ***l) {
        int r;

        for (char **a = n->ips; a && *a; a++)
                if ((r = add_opt(l, "--ip", *a)) < 0)
                        return r;
        for (char **a = n->routes; a && a[0] && a[1]; a += 2)
                if ((r = strv_extend(l, "--route")) < 0 || (r = strv_extend(l, a[0])) < 0 ||
                    (r = strv_extend(l, a[1])) < 0)
                        return r;
        return 0;
}

int lxc_plan_to_argv(const LxcPlan *p, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if ((r = add_opt(&l, "--name", p->name)) < 0 || (r = add_opt(&l, "--root", p->root)) < 0 ||
            (r = add_opt(&l, "--workdir", p->workdir)) < 0 || (r = add_opt(&l, "--user", p->user)) < 0 ||
            (r = add_opt(&l, "--group", p->group)) < 0 || (r = add_opt(&l, "--uid-map", p->uid_map)) < 0 ||
            (r = add_opt(&l, "--gid-map", p->gid_map)) < 0 || (r = add_opt(&l, "--exit-file", p->exit_file)) < 0 ||
            (r = add_opt(&l, "--apparmor", p->apparmor)) < 0)
                return r;
        for (size_t i = 0; i < p->n_mounts; i++) {
                const LxcMount *mt = &p->mounts[i];
                if (mt->kind != LXC_MOUNT_TMPFS)
                        r = strv_extend(&l, mt->kind == LXC_MOUNT_BIND ? "--bind" :
                                                mt->kind == LXC_MOUNT_FILE ? "--file" : "--block") < 0 ||
                            strv_extend(&l, mt->src) < 0 || strv_extend(&l, mt->dst) < 0 ||
                            strv_extend(&l, mt->readonly ? "ro" : "rw") < 0 ||
                            add_opt(&l, "--nbd-format", mt->nbd_format) < 0 ? -ENOMEM : 0;
                else
                        r = strv_extend(&l, "--tmpfs") < 0 || strv_extend(&l, mt->dst) < 0 ||
                            strv_extendf(&l, "%llu", (unsigned long long) mt->size_kib) < 0 ? -ENOMEM : 0;
                if (r < 0)
                        return r;
        }
        for (char **c = p->cgroups; c && *c; c++)
                if ((r = add_opt(&l, "--cgroup", *c)) < 0)
                        return r;
        for (size_t i = 0; i < p->n_nets; i++) {
                const LxcNet *n = &p->nets[i];
                const uint8_t *m = n->mac;
                if (!n->peer)
                        return -EINVAL;
                if ((r = strv_extend(&l, "--net")) < 0 || (r = strv_extend(&l, n->peer)) < 0 ||
                    (r = strv_extend(&l, n->guest)) < 0 ||
                    (r = strv_extendf(&l, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])) < 0 ||
                    (r = ips_to_argv(n, &l)) < 0)
                        return r;
        }
        for (size_t i = 0; i < p->n_hostnets; i++)
                if ((r = add_opt(&l, "--hostdev-net", p->hostnets[i].peer)) < 0 ||
                    (r = ips_to_argv(&p->hostnets[i], &l)) < 0)
                        return r;
        for (size_t i = 0; i < p->n_nodes; i++)
                if ((r = strv_extend(&l, "--dev-node")) < 0 ||
                    (r = strv_extend(&l, p->nodes[i].block ? "b" : "c")) < 0 ||
                    (r = strv_extend(&l, p->nodes[i].path)) < 0)
                        return r;
        for (char **e = p->env; e && *e; e++)
                if ((r = add_opt(&l, "--env", *e)) < 0)
                        return r;
        if ((r = strv_extend(&l, "--")) < 0)
                return r;
        for (char **a = p->argv; a && *a; a++)
                if ((r = strv_extend(&l, *a)) < 0)
                        return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static int take_value(char *const *argv, size_t *i, char **field) {
        if (!argv[*i + 1])
                return -EINVAL;
        free(*field);
        *field = strdup(argv[++*i]);
        return *field ? 0 : -ENOMEM;
}

int lxc_plan_parse(char *const *argv, LxcPlan **ret) {
        _cleanup_(lxc_plan_freep) LxcPlan *p = calloc(1, sizeof(*p));
        LxcNet *last = NULL; /* --ip and --route are the last interface's */
        size_t i;
        int r = 0;

        if (!p)
                return -ENOMEM;
        for (i = 0; argv[i] && !streq(argv[i], "--"); i++) {
                const char *a = argv[i];
                if (streq(a, "--name"))
                        r = take_value(argv, &i, &p->name);
                else if (streq(a, "--root"))
                        r = take_value(argv, &i, &p->root);
                else if (streq(a, "--workdir"))
                        r = take_value(argv, &i, &p->workdir);
                else if (streq(a, "--user"))
                        r = take_value(argv, &i, &p->user);
                else if (streq(a, "--group"))
                        r = take_value(argv, &i, &p->group);
                else if (streq(a, "--uid-map"))
                        r = take_value(argv, &i, &p->uid_map);
                else if (streq(a, "--gid-map"))
                        r = take_value(argv, &i, &p->gid_map);
                else if (streq(a, "--exit-file"))
                        r = take_value(argv, &i, &p->exit_file);
                else if (streq(a, "--apparmor"))
                        r = take_value(argv, &i, &p->apparmor);
                else if (streq(a, "--cgroup")) {
                        if (!argv[i + 1])
                                return -EINVAL;
                        r = strv_extend(&p->cgroups, argv[++i]);
                } else if (streq(a, "--env")) {
                        if (!argv[i + 1])
                                return -EINVAL;
                        r = strv_extend(&p->env, argv[++i]);
                } else if (streq(a, "--bind") || streq(a, "--file") || streq(a, "--block")) {
                        LxcMountKind kind = streq(a, "--bind") ? LXC_MOUNT_BIND :
                                            streq(a, "--file") ? LXC_MOUNT_FILE : LXC_MOUNT_BLOCK;
                        if (!argv[i + 1] || !argv[i + 2] || !argv[i + 3])
                                return -EINVAL;
                        r = add_mount(p, kind, argv[i + 1], argv[i + 2], 0, streq(argv[i + 3], "ro"));
                        i += 3;
                } else if (streq(a, "--net")) {
                        uint8_t mac[6];
                        if (!argv[i + 1] || !argv[i + 2] || !argv[i + 3] ||
                            sscanf(argv[i + 3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
                                   &mac[4], &mac[5]) != 6)
                                return -EINVAL;
                        last = add_net(p, argv[i + 1], argv[i + 2], mac);
                        r = last ? 0 : -ENOMEM;
                        i += 3;
                } else if (streq(a, "--nbd-format")) {
                        if (!argv[i + 1] || p->n_mounts == 0 || p->mounts[p->n_mounts - 1].kind != LXC_MOUNT_FILE)
                                return -EINVAL;
                        r = take_value(argv, &i, &p->mounts[p->n_mounts - 1].nbd_format);
                } else if (streq(a, "--hostdev-net")) {
                        if (!argv[i + 1])
                                return -EINVAL;
                        last = add_hostnet(p, argv[++i]);
                        r = last ? 0 : -ENOMEM;
                } else if (streq(a, "--dev-node")) {
                        if (!argv[i + 1] || !argv[i + 2] || (!streq(argv[i + 1], "b") && !streq(argv[i + 1], "c")))
                                return -EINVAL;
                        r = add_node(p, argv[i + 2], streq(argv[i + 1], "b"));
                        i += 2;
                } else if (streq(a, "--ip")) {
                        if (!argv[i + 1] || !last)
                                return -EINVAL;
                        r = strv_extend(&last->ips, argv[++i]);
                } else if (streq(a, "--route")) {
                        if (!argv[i + 1] || !argv[i + 2] || !last)
                                return -EINVAL;
                        r = strv_extend(&last->routes, argv[i + 1]);
                        if (r >= 0)
                                r = strv_extend(&last->routes, argv[i + 2]);
                        i += 2;
                } else if (streq(a, "--tmpfs")) {
                        if (!argv[i + 1] || !argv[i + 2])
                                return -EINVAL;
                        r = add_mount(p, LXC_MOUNT_TMPFS, NULL, argv[i + 1], strtoull(argv[i + 2], NULL, 10), false);
                        i += 2;
                } else
                        return -EINVAL;
                if (r < 0)
                        return r;
        }
        if (!argv[i] || !argv[i + 1] || !p->name)
                return -EINVAL;
        for (i++; argv[i]; i++)
                if ((r = strv_extend(&p->argv, argv[i])) < 0)
                        return r;
        *ret = TAKE_PTR(p);
        return 0;
}

char *lxc_plan_host_path(const LxcPlan *p, const char *path) {
        if (!p->root)
                return strdup(path);
        return path_join(p->root, path);
}

LxcMount *lxc_plan_root_image(const LxcPlan *p) {
        for (size_t i = 0; i < p->n_mounts; i++)
                if ((p->mounts[i].kind == LXC_MOUNT_FILE || p->mounts[i].kind == LXC_MOUNT_BLOCK) &&
                    streq(p->mounts[i].dst, "/"))
                        return &p->mounts[i];
        return NULL;
}
