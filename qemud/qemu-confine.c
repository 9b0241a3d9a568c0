/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "cgroup-devices.h"
#include "conf-file.h"
#include "confine.h"
#include "confine-ns.h"
#include "log.h"
#include "manager.h"
#include "qemu-confine.h"
#include "qemu-domain.h"
#include "qemu-hostdev-nodes.h"
#include "qemu-migrate.h"
#include "qemu-tune.h"
#include "security-dac.h"
#include "security-manager.h"
#include "util.h"

/* A postcopy destination takes the guest's page faults through
 * userfaultfd(2), which the kernel gives a process without CAP_SYS_PTRACE
 * only where vm.unprivileged_userfaultfd is 1 (QEMU 7.2 does not use
 * /dev/userfaultfd). */
static bool postcopy_needs_caps(Domain *d) {
        char v = '0';
        int fd;

        if (!qemu_migrate_incoming_postcopy(d))
                return false;
        fd = open("/proc/sys/vm/unprivileged_userfaultfd", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void) !read(fd, &v, 1);
                close(fd);
        }
        return v != '1';
}

unsigned qemu_confine_flags(const ConfineConf *c, SecurityModel primary) {
        unsigned flags = confine_conf_flags(c);

        /* a label changes at QEMU's exec, a transition no new privileges refuses */
        if (primary == SECURITY_MODEL_SELINUX || primary == SECURITY_MODEL_APPARMOR)
                flags &= ~(unsigned) CONFINE_NO_NEW_PRIVS;
        return flags;
}

/* Said once: a host whose / is private (no systemd) shows QEMU only
 * what was mounted before it started. */
static void warn_unshared_root(void) {
        static bool said;
        _cleanup_free_ char *text = NULL;

        if (said || read_full_file("/proc/self/mountinfo", 4 << 20, &text, NULL) < 0)
                return;
        said = true;
        if (confine_ns_root_shared(text) == 0)
                log_warning("/ is not a shared mount here: what is mounted after a guest starts stays out of its "
                            "QEMU's mount namespace (mount --make-rshared / as systemd does, or namespaces = [] in "
                            "qemud.conf).");
}

/* A <disk device='lun' rawio='yes'>: libvirt lets QEMU keep CAP_SYS_RAWIO
 * for the SCSI commands the guest sends through it. */
static bool wants_rawio(const DomainDef *def) {
        for (size_t i = 0; def && i < def->n_disks; i++)
                if (def->disks[i].device == DOMAIN_DISK_DEVICE_LUN && def->disks[i].rawio == TRISTATE_ON)
                        return true;
        return false;
}

int qemu_confine_prepare(Domain *d, bool *ret_sandbox, ConfError *err) {
        const char *confdir = d->manager->paths.confdir;
        ConfineConf c;
        SecurityConf sec;
        unsigned flags;
        int r;

        confine_conf_init(&c);
        security_conf_init(&sec);
        r = conf_load_file(confdir, "qemud.conf", confine_conf_apply, &c);
        if (r >= 0)
                r = conf_load_file(confdir, "qemud.conf", security_conf_apply, &sec);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "%s/qemud.conf: bad setting %s", confdir,
                               c.bad[0] ? c.bad : sec.bad[0] ? sec.bad : strerror(-r));
                return r;
        }
        flags = qemu_confine_flags(&c, sec.primary);
        if ((flags & CONFINE_DROP_CAPS) && postcopy_needs_caps(d)) {
                log_info("Domain %s: QEMU keeps its capabilities for a postcopy migration's userfaultfd "
                         "(vm.unprivileged_userfaultfd is not 1).", d->def->name);
                flags &= ~(unsigned) CONFINE_DROP_CAPS;
        }
        if (flags & CONFINE_MOUNT_NS)
                warn_unshared_root();
        if (wants_rawio(d->live))
                flags |= CONFINE_KEEP_RAWIO;
        qemu_domain(d)->confine_flags = flags;
        *ret_sandbox = c.seccomp_sandbox == 1;
        return 0;
}

int qemu_confine_dir(const Domain *d, char **ret) {
        return asprintf(ret, "%s/domain-%d-%.20s", d->manager->rundir, d->id, d->def->name) < 0 ? -ENOMEM : 0;
}

int qemu_confine_dir_make(Domain *d, uid_t uid, gid_t gid, ConfError *err) {
        _cleanup_free_ char *dir = NULL;
        int r = qemu_confine_dir(d, &dir);

        if (r < 0)
                return r;
        if (mkdir(dir, 0750) < 0 && errno != EEXIST)
                r = -errno;
        else if (chown(dir, uid, gid) < 0 || chmod(dir, 0750) < 0)
                r = -errno;
        if (r < 0)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot make the directory %s of domain '%s': %s",
                               dir, d->def->name, strerror(-r));
        return r;
}

void qemu_confine_dir_remove(Domain *d) {
        _cleanup_free_ char *dir = NULL;
        int r;

        if (d->id < 0 || qemu_confine_dir(d, &dir) < 0)
                return;
        r = remove_flat_dir(dir);
        if (r < 0)
                log_warning("Cannot remove %s: %s", dir, strerror(-r));
}

static bool is_dev(const char *path) {
        return path && strncmp(path, "/dev/", 5) == 0;
}

static int add_node(char ***l, const char *path) {
        for (size_t i = 0; *l && (*l)[i]; i++)
                if (streq((*l)[i], path))
                        return 0;
        return strv_extend(l, path);
}

static int add_def_nodes(const DomainDef *def, char ***l) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < def->n_disks; i++) {
                const DomainDiskDef *disk = &def->disks[i];

                if (is_dev(disk->src))
                        r = add_node(l, disk->src);
                /* the layers under it (an overlay on a logical volume) */
                for (size_t k = 0; r >= 0 && k < disk->n_backing; k++)
                        if (is_dev(disk->backing[k].path))
                                r = add_node(l, disk->backing[k].path);
        }
        for (size_t i = 0; r >= 0 && i < def->n_rngs; i++)
                if (is_dev(def->rngs[i].backend_path))
                        r = add_node(l, def->rngs[i].backend_path);
        for (size_t i = 0; r >= 0 && i < def->n_chrs; i++)
                if (def->chrs[i].type == DOMAIN_CHR_DEV && is_dev(def->chrs[i].path))
                        r = add_node(l, def->chrs[i].path);
        for (size_t i = 0; r >= 0 && i < def->n_nets; i++) {
                if (def->nets[i].type == DOMAIN_NET_VDPA) /* QEMU opens /dev/vhost-vdpa-N */
                        r = add_node(l, def->nets[i].source);
                else if (def->nets[i].type != DOMAIN_NET_USER)
                        r = add_node(l, "/dev/net/tun");
                if (r >= 0 && streq_ptr(def->nets[i].driver_name, "vhost"))
                        r = add_node(l, "/dev/vhost-net");
        }
        return r;
}

/* QEMU opens its host devices' nodes itself (VFIO groups, USB, sg, TPM). */
static int add_hostdev_nodes(const DomainDef *def, const char *sysfs_root, char ***l) {
        _cleanup_strv_free_ char **nodes = NULL;
        int r = qemu_hostdev_nodes(def, sysfs_root, &nodes);

        for (size_t i = 0; r >= 0 && nodes && nodes[i]; i++)
                if (is_dev(nodes[i]))
                        r = add_node(l, nodes[i]);
        return r;
}

int qemu_confine_ns_nodes(const DomainDef *def, bool kvm, const char *sysfs_root, char ***ret) {
        static const char *const always[] = {
                "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/ptmx",
        };
        _cleanup_strv_free_ char **l = NULL;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(always); i++)
                r = add_node(&l, always[i]);
        if (r >= 0 && kvm)
                r = add_node(&l, "/dev/kvm");
        if (r >= 0)
                r = add_def_nodes(def, &l);
        if (r >= 0)
                r = add_hostdev_nodes(def, sysfs_root, &l);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* The disk's nodes below /dev: its source and its chain's layers (the
 * live <backingStore>, or the qcow2 headers when not read yet). */
static int disk_dev_paths(const DomainDiskDef *disk, char ***ret) {
        _cleanup_strv_free_ char **l = NULL, **chain = NULL;
        int r = 0;

        if (is_dev(disk->src))
                r = add_node(&l, disk->src);
        for (size_t k = 0; r >= 0 && k < disk->n_backing; k++)
                if (is_dev(disk->backing[k].path))
                        r = add_node(&l, disk->backing[k].path);
        if (r >= 0 && !disk->backing_known && disk->format == DOMAIN_DISK_FORMAT_QCOW2 && disk->src &&
            security_image_backing_chain(disk->src, &chain) >= 0)
                for (size_t k = 0; r >= 0 && chain && chain[k]; k++)
                        if (is_dev(chain[k]))
                                r = add_node(&l, chain[k]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* Another disk of the running guest still has path (as its source or a
 * layer under it). */
static bool node_still_named(const Domain *d, const DomainDiskDef *gone, const char *path) {
        for (size_t i = 0; d->live && i < d->live->n_disks; i++) {
                const DomainDiskDef *o = &d->live->disks[i];

                if (o == gone)
                        continue;
                if (streq_ptr(o->src, path))
                        return true;
                for (size_t k = 0; k < o->n_backing; k++)
                        if (streq_ptr(o->backing[k].path, path))
                                return true;
        }
        return false;
}

static int ns_node(Domain *d, const DomainDiskDef *disk, bool allow, char *msg, size_t size) {
        _cleanup_strv_free_ char **paths = NULL;
        int r;

        if (d->pid <= 0 || confine_ns_is_private(d->pid) <= 0)
                return 0;      /* QEMU shares our /dev, or is gone */
        r = disk_dev_paths(disk, &paths);
        for (size_t i = 0; r >= 0 && paths && paths[i]; i++) {
                if (allow)
                        r = confine_ns_add_node(d->pid, paths[i]);
                else if (!node_still_named(d, disk, paths[i]))
                        r = confine_ns_remove_node(d->pid, paths[i]);
                if (r < 0)
                        snprintf(msg, size, "cannot %s %s in the /dev of QEMU of '%s': %s",
                                 allow ? "make" : "remove", paths[i], d->def->name, strerror(-r));
        }
        return r;
}

int qemu_confine_disk(Domain *d, const DomainDiskDef *disk, bool allow, char *msg, size_t size) {
        int r = qemu_tune_disk_devices(d, disk, allow, msg, size);

        if (r < 0 && allow)
                return r;
        r = ns_node(d, disk, allow, msg, size);
        if (r < 0 && allow) {
                char ignored[256];

                (void) qemu_tune_disk_devices(d, disk, false, ignored, sizeof(ignored));
        }
        return r;
}

int qemu_confine_nodes(Domain *d, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r = qemu_confine_ns_nodes(d->live, d->live->virt_type == DOMAIN_VIRT_KVM, qemu_hostdev_sysfs_root(), &l);

        /* a chain not read into the live definition yet: from the headers */
        for (size_t i = 0; r >= 0 && i < d->live->n_disks; i++) {
                const DomainDiskDef *disk = &d->live->disks[i];
                _cleanup_strv_free_ char **chain = NULL;

                if (disk->backing_known || disk->format != DOMAIN_DISK_FORMAT_QCOW2 || !disk->src ||
                    security_image_backing_chain(disk->src, &chain) < 0)
                        continue;
                for (size_t k = 0; r >= 0 && chain && chain[k]; k++)
                        if (is_dev(chain[k]))
                                r = add_node(&l, chain[k]);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static int nodes_cgroup(Domain *d, char *const *nodes, bool allow, char *msg, size_t size) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        _cleanup_free_ char *path = NULL;
        int r = qemu_tune_cgroup_path(d, &path);

        if (r >= 0)
                r = cgroup_open(path, false, &cg);
        if (r == -ENOENT || r == -EOPNOTSUPP || (r >= 0 && !cgroup_devices_enabled(cg)))
                return 0;
        for (size_t i = 0; r >= 0 && nodes && nodes[i]; i++) {
                if (access(nodes[i], F_OK) < 0)
                        continue;
                r = allow ? cgroup_devices_allow(cg, nodes[i], false) : cgroup_devices_deny(cg, nodes[i]);
                if (r < 0)
                        snprintf(msg, size, "cannot %s %s in the device cgroup of '%s': %s",
                                 allow ? "allow" : "deny", nodes[i], d->def->name, strerror(-r));
        }
        if (r >= 0 && (r = cgroup_devices_commit(cg)) < 0)
                snprintf(msg, size, "cannot attach the device filter of '%s': %s", d->def->name, strerror(-r));
        return r;
}

static int nodes_ns(Domain *d, char *const *nodes, bool allow, char *msg, size_t size) {
        int r = 0;

        if (d->pid <= 0 || confine_ns_is_private(d->pid) <= 0)
                return 0;
        for (size_t i = 0; r >= 0 && nodes && nodes[i]; i++) {
                if (!is_dev(nodes[i]) || (allow && access(nodes[i], F_OK) < 0))
                        continue;
                r = allow ? confine_ns_add_node(d->pid, nodes[i]) : confine_ns_remove_node(d->pid, nodes[i]);
                if (r < 0)
                        snprintf(msg, size, "cannot %s %s in the /dev of QEMU of '%s': %s",
                                 allow ? "make" : "remove", nodes[i], d->def->name, strerror(-r));
        }
        return r;
}

/* Nodes let through QEMU's device filter and made in its /dev, or taken
 * back from both: all or nothing when given. */
static int confine_nodes(Domain *d, char *const *nodes, bool allow, char *msg, size_t size) {
        char ignored[256];
        int r, k;

        if (!allow) {
                /* both, whatever the first says */
                r = nodes_cgroup(d, nodes, false, msg, size);
                k = nodes_ns(d, nodes, false, r < 0 ? ignored : msg, r < 0 ? sizeof(ignored) : size);
                return r < 0 ? r : k;
        }
        r = nodes_cgroup(d, nodes, true, msg, size);
        if (r < 0) {
                (void) nodes_cgroup(d, nodes, false, ignored, sizeof(ignored));
                return r;
        }
        r = nodes_ns(d, nodes, true, msg, size);
        if (r < 0) {
                (void) nodes_ns(d, nodes, false, ignored, sizeof(ignored));
                (void) nodes_cgroup(d, nodes, false, ignored, sizeof(ignored));
        }
        return r;
}

int qemu_confine_hostdev(Domain *d, char *const *nodes, bool allow, char *msg, size_t size) {
        return confine_nodes(d, nodes, allow, msg, size);
}

/* QEMU opens /dev/vhost-net itself at netdev_add. Never taken back on a
 * failure: the start may have given it to the guest's other NICs. */
int qemu_confine_net(Domain *d, const DomainNetDef *net, char *msg, size_t size) {
        char *const nodes[] = { (char *) "/dev/vhost-net", NULL };
        int r;

        if (net->type == DOMAIN_NET_USER || !streq_ptr(net->driver_name, "vhost") || access(nodes[0], F_OK) < 0)
                return 0;
        r = nodes_cgroup(d, nodes, true, msg, size);
        return r < 0 ? r : nodes_ns(d, nodes, true, msg, size);
}
