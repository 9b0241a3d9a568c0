/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A definition's tuning in a guest's cgroup (domain-cgroup.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cgroup-devices.h"
#include "cpuset.h"
#include "log.h"
#include "domain-cgroup.h"
#include "util.h"

#define CPU_PERIOD_DEFAULT 100000

static int failed(int r, const Cgroup *cg, CgroupController c, const char *file, char *msg, size_t size) {
        snprintf(msg, size, "cannot write %s of the cgroup %s (%s controller): %s", file, cg->path,
                 cgroup_controller_name(c, cg->v2), strerror(-r));
        return r;
}

static int set_u64(const Cgroup *cg, CgroupController c, const char *file, const char *fmt, uint64_t v, char *msg,
                   size_t size) {
        int r = cgroup_setf(cg, c, file, fmt, v);
        return r < 0 ? failed(r, cg, c, file, msg, size) : 0;
}

/* --- cpu --------------------------------------------------------------------- */

/* The guest's cgroup holds its vCPU threads: <global_period>/<global_quota>
 * are its bandwidth; without them <period>/<quota> are (as before there were
 * global ones). The emulator's and IOThreads' bandwidth is their own
 * cgroups' (the driver's: qemud/qemu-tune-threads.c). qemud makes no cgroup
 * per vCPU beside a global quota: that limit is refused. */
static int cpu_bandwidth(const DomainDef *def, uint64_t *period, int64_t *quota, char *msg, size_t size) {
        const DomainCputuneDef *t = &def->cputune;
        bool container = def->virt_type == DOMAIN_VIRT_LXC;
        const char *needs = container && t->emulator_quota > 0 ? "<emulator_quota>" :
                            container && t->iothread_quota > 0 ? "<iothread_quota>" :
                            t->global_quota > 0 && t->quota > 0 ? "<quota> of each vCPU beside <global_quota>" : NULL;

        if (needs) {
                snprintf(msg, size, "cannot apply %s of <cputune>: qemud puts the whole guest in one cgroup, "
                         "it makes none per thread", needs);
                return -EOPNOTSUPP;
        }
        *period = t->global_period ? t->global_period : t->period ? t->period : CPU_PERIOD_DEFAULT;
        *quota = t->global_quota ? t->global_quota : t->quota;
        return 0;
}

int domain_cgroup_set_cputune(const Cgroup *cg, const DomainDef *def, char *msg, size_t size) {
        const DomainCputuneDef *t = &def->cputune;
        uint64_t period;
        int64_t quota;
        int r;

        r = cpu_bandwidth(def, &period, &quota, msg, size);
        if (r < 0)
                return r;
        if (!cgroup_has(cg, CGROUP_CPU)) {
                if (!t->shares && !t->period && !t->quota && !t->global_period && !t->global_quota)
                        return 0;
                snprintf(msg, size, "cannot apply <cputune>: the host has no cpu cgroup controller");
                return -EOPNOTSUPP;
        }
        if (cg->v2) {
                /* cpu.weight's range is 1..10000, shares' 2..262144 */
                r = set_u64(cg, CGROUP_CPU, "cpu.weight", "%" PRIu64,
                            t->shares ? MIN(MAX(t->shares, UINT64_C(1)), UINT64_C(10000)) : 100, msg, size);
                if (r < 0)
                        return r;
                r = quota > 0 ? cgroup_setf(cg, CGROUP_CPU, "cpu.max", "%" PRId64 " %" PRIu64, quota, period)
                              : cgroup_setf(cg, CGROUP_CPU, "cpu.max", "max %" PRIu64, period);
                return r < 0 ? failed(r, cg, CGROUP_CPU, "cpu.max", msg, size) : 0;
        }
        r = set_u64(cg, CGROUP_CPU, "cpu.shares", "%" PRIu64, t->shares ? t->shares : 1024, msg, size);
        if (r >= 0)
                r = set_u64(cg, CGROUP_CPU, "cpu.cfs_period_us", "%" PRIu64, period, msg, size);
        if (r >= 0 && (r = cgroup_setf(cg, CGROUP_CPU, "cpu.cfs_quota_us", "%" PRId64, quota > 0 ? quota : -1)) < 0)
                return failed(r, cg, CGROUP_CPU, "cpu.cfs_quota_us", msg, size);
        return r;
}

/* --- memory ------------------------------------------------------------------ */

/* A limit in KiB as the file takes it; 0 is unlimited. */
static int set_limit(const Cgroup *cg, const char *file, uint64_t kib, char *msg, size_t size) {
        int r = kib ? cgroup_setf(cg, CGROUP_MEMORY, file, "%" PRIu64, kib * 1024)
                    : cgroup_set(cg, CGROUP_MEMORY, file, cg->v2 ? "max" : "-1");
        return r < 0 ? failed(r, cg, CGROUP_MEMORY, file, msg, size) : 0;
}

int domain_cgroup_set_memtune(const Cgroup *cg, const DomainDef *def, char *msg, size_t size) {
        const DomainMemtuneDef *mt = &def->memtune;
        const char *swap = cg->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
        bool has_swap = cgroup_has_file(cg, CGROUP_MEMORY, swap);
        int r;

        if (!cgroup_has(cg, CGROUP_MEMORY)) {
                if (!mt->hard_limit && !mt->soft_limit && !mt->swap_hard_limit)
                        return 0;
                snprintf(msg, size, "cannot apply <memtune>: the host has no memory cgroup controller");
                return -EOPNOTSUPP;
        }
        if (mt->swap_hard_limit && !has_swap) {
                snprintf(msg, size, "cannot apply swap_hard_limit: the host's memory cgroup has no %s "
                         "(swap accounting is off)", swap);
                return -EOPNOTSUPP;
        }
        /* v1's memsw (memory plus swap) may never be below the memory limit:
         * unlimited first, then the memory limit, then its own */
        if (!cg->v2 && has_swap && (r = set_limit(cg, swap, 0, msg, size)) < 0)
                return r;
        r = set_limit(cg, cg->v2 ? "memory.max" : "memory.limit_in_bytes", mt->hard_limit, msg, size);
        if (r >= 0)
                r = set_limit(cg, cg->v2 ? "memory.high" : "memory.soft_limit_in_bytes", mt->soft_limit, msg, size);
        if (r >= 0 && has_swap)
                r = set_limit(cg, swap, mt->swap_hard_limit, msg, size);
        return r;
}

/* --- block I/O --------------------------------------------------------------- */

int domain_cgroup_device_number(const char *path, char *ret, size_t size) {
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISBLK(st.st_mode))
                return -ENOTBLK;
        snprintf(ret, size, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
        return 0;
}

/* The weight file this host has: blk-iocost's, else BFQ's; NULL when
 * neither (an I/O scheduler without weights). */
static const char *weight_file(const Cgroup *cg) {
        static const char *const v2[] = { "io.weight", "io.bfq.weight" };
        static const char *const v1[] = { "blkio.weight", "blkio.bfq.weight" };
        const char *const *l = cg->v2 ? v2 : v1;

        for (size_t i = 0; i < 2; i++)
                if (cgroup_has_file(cg, CGROUP_IO, l[i]))
                        return l[i];
        return NULL;
}

static int no_weights(const Cgroup *cg, const char *what, char *msg, size_t size) {
        snprintf(msg, size, "cannot apply the blkio %s: the host's %s cgroup controller has no weights (no I/O "
                 "scheduler with weights: BFQ or io.cost)", what, cgroup_controller_name(CGROUP_IO, cg->v2));
        return -EOPNOTSUPP;
}

static const DomainBlkioDevice *find_device(const DomainBlkiotuneDef *bt, const char *path) {
        for (size_t i = 0; bt && i < bt->n_devices; i++)
                if (streq(bt->devices[i].path, path))
                        return &bt->devices[i];
        return NULL;
}

static int device_error(int r, const char *path, char *msg, size_t size) {
        if (r == -ENOTBLK)
                snprintf(msg, size, "blkio device path '%s' must be a block device", path);
        else
                snprintf(msg, size, "cannot find the blkio device path '%s': %s", path, strerror(-r));
        return r;
}

/* One device's limits; a zero value (or dev NULL: a device dropped) takes the
 * limit away. */
static int set_device(const Cgroup *cg, const char *path, const DomainBlkioDevice *dev, char *msg, size_t size) {
        const DomainBlkioDevice none = {};
        const char *wfile = weight_file(cg);
        char num[32];
        int r;

        if (!dev)
                dev = &none;
        r = domain_cgroup_device_number(path, num, sizeof(num));
        if (r < 0)
                return device_error(r, path, msg, size);
        if (dev->weight && !wfile)
                return no_weights(cg, "device weight", msg, size);
        if (wfile) {
                /* v1 has a file of its own for per-device weights; a weight
                 * taken away ("0") may be refused where none was set */
                _cleanup_free_ char *file = cg->v2 ? strdup(wfile) : NULL;

                if (!cg->v2 && asprintf(&file, "%s_device", wfile) < 0)
                        file = NULL;
                if (!file)
                        return -ENOMEM;
                r = cgroup_setf(cg, CGROUP_IO, file, "%s %u", num, dev->weight);
                if (r < 0 && dev->weight)
                        return failed(r, cg, CGROUP_IO, file, msg, size);
        }
        if (cg->v2) {
                char v[4][24];
                const uint64_t values[4] = { dev->read_bytes_sec, dev->write_bytes_sec, dev->read_iops_sec,
                                             dev->write_iops_sec };

                for (size_t i = 0; i < 4; i++) {
                        if (values[i])
                                snprintf(v[i], sizeof(v[i]), "%" PRIu64, values[i]);
                        else
                                strcpy(v[i], "max");
                }
                r = cgroup_setf(cg, CGROUP_IO, "io.max", "%s rbps=%s wbps=%s riops=%s wiops=%s", num, v[0], v[1],
                                v[2], v[3]);
                return r < 0 ? failed(r, cg, CGROUP_IO, "io.max", msg, size) : 0;
        }
        {
                const struct {
                        const char *file;
                        uint64_t v;
                } throttles[] = {
                        { "blkio.throttle.read_bps_device", dev->read_bytes_sec },
                        { "blkio.throttle.write_bps_device", dev->write_bytes_sec },
                        { "blkio.throttle.read_iops_device", dev->read_iops_sec },
                        { "blkio.throttle.write_iops_device", dev->write_iops_sec },
                };

                for (size_t i = 0; i < ELEMENTSOF(throttles); i++) {
                        r = cgroup_setf(cg, CGROUP_IO, throttles[i].file, "%s %" PRIu64, num, throttles[i].v);
                        if (r < 0)
                                return failed(r, cg, CGROUP_IO, throttles[i].file, msg, size);
                }
        }
        return 0;
}

int domain_cgroup_set_blkiotune(const Cgroup *cg, const DomainDef *old, const DomainDef *def, char *msg,
                                size_t size) {
        const DomainBlkiotuneDef *bt = &def->blkiotune;
        const char *wfile;
        int r;

        if (!cgroup_has(cg, CGROUP_IO)) {
                if (!bt->weight && bt->n_devices == 0)
                        return 0;
                snprintf(msg, size, "cannot apply <blkiotune>: the host has no %s cgroup controller",
                         cgroup_controller_name(CGROUP_IO, cg->v2));
                return -EOPNOTSUPP;
        }
        wfile = weight_file(cg);
        if (bt->weight && !wfile)
                return no_weights(cg, "weight", msg, size);
        if (wfile && (bt->weight || (old && old->blkiotune.weight))) {
                /* io.weight takes "default N"; v1's and BFQ's files a number */
                r = cg->v2 && streq(wfile, "io.weight")
                            ? cgroup_setf(cg, CGROUP_IO, wfile, "default %u", bt->weight ? bt->weight : 100)
                            : cgroup_setf(cg, CGROUP_IO, wfile, "%u", bt->weight ? bt->weight : 100);
                if (r < 0)
                        return failed(r, cg, CGROUP_IO, wfile, msg, size);
        }
        for (size_t i = 0; i < bt->n_devices; i++)
                if ((r = set_device(cg, bt->devices[i].path, &bt->devices[i], msg, size)) < 0)
                        return r;
        for (size_t i = 0; old && i < old->blkiotune.n_devices; i++) {
                const char *path = old->blkiotune.devices[i].path;

                if (!find_device(bt, path) && (r = set_device(cg, path, NULL, msg, size)) < 0)
                        return r;
        }
        return 0;
}

/* --- NUMA -------------------------------------------------------------------- */

int domain_cgroup_check_host_nodes(const char *nodeset, char *msg, size_t size) {
        cpu_set_t set;
        char path[64];

        if (cpuset_parse(nodeset, &set) < 0) {
                snprintf(msg, size, "invalid nodeset '%s'", nodeset);
                return -EINVAL;
        }
        for (int i = 0; i < CPU_SETSIZE; i++) {
                if (!CPU_ISSET(i, &set))
                        continue;
                snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", i);
                if (access(path, F_OK) < 0) {
                        snprintf(msg, size, "NUMA node %d is unavailable", i);
                        return -EINVAL;
                }
        }
        return 0;
}

/* The nodes the guest's memory is bound to through the cgroup: libvirt
 * does it for strict and restrictive modes with a static nodeset. */
static const char *bound_nodes(const DomainNumatuneDef *nt) {
        if (!nt->present || !nt->nodeset || streq_ptr(nt->placement, "auto"))
                return NULL;
        if (nt->mode && !streq(nt->mode, "strict") && !streq(nt->mode, "restrictive"))
                return NULL;
        return nt->nodeset;
}

int domain_cgroup_set_numatune(const Cgroup *cg, const DomainDef *def, char *msg, size_t size) {
        const char *nodes = bound_nodes(&def->numatune);
        int r;

        if (!nodes)
                return 0;
        if ((r = domain_cgroup_check_host_nodes(nodes, msg, size)) < 0)
                return r;
        if (!cgroup_has(cg, CGROUP_CPUSET)) {
                snprintf(msg, size, "cannot bind the memory to NUMA nodes '%s': the host has no cpuset cgroup "
                         "controller", nodes);
                return -EOPNOTSUPP;
        }
        r = cgroup_set(cg, CGROUP_CPUSET, "cpuset.mems", nodes);
        return r < 0 ? failed(r, cg, CGROUP_CPUSET, "cpuset.mems", msg, size) : 0;
}

/* --- devices ----------------------------------------------------------------- */

static int allow_path(const Cgroup *cg, const char *path, bool allow, bool readonly, char *msg, size_t size) {
        int r;

        if (!path)
                return 0;
        r = allow ? cgroup_devices_allow(cg, path, readonly) : cgroup_devices_deny(cg, path);
        if (r < 0)
                snprintf(msg, size, "cannot %s the device %s in %s/devices.%s: %s", allow ? "allow" : "deny", path,
                         cg->path ? cg->path : "", allow ? "allow" : "deny", strerror(-r));
        return r;
}

static int disk_rules(const Cgroup *cg, const DomainDiskDef *disk, bool allow, char *msg, size_t size) {
        int r = allow_path(cg, disk->src, allow, disk->readonly, msg, size);

        /* the layers below are only read */
        for (size_t i = 0; r >= 0 && i < disk->n_backing; i++)
                r = allow_path(cg, disk->backing[i].path, allow, true, msg, size);
        return r;
}

/* v2: the rules changed take effect, as one new BPF program. */
static int commit(const Cgroup *cg, char *msg, size_t size) {
        int r = cgroup_devices_commit(cg);

        if (r < 0)
                snprintf(msg, size, "cannot attach the device filter (BPF program) to %s: %s", cg->bpf_dir,
                         strerror(-r));
        return r;
}

int domain_cgroup_disk_devices(const Cgroup *cg, const DomainDiskDef *disk, bool allow, char *msg, size_t size) {
        int r;

        if (!cgroup_devices_enabled(cg))
                return 0;
        r = disk_rules(cg, disk, allow, msg, size);
        return r < 0 ? r : commit(cg, msg, size);
}

/* A container's image is attached to a loop device of the kernel's
 * choosing (lxc-loop.c), its block device is mounted as it is. */
static int allow_filesystem(const Cgroup *cg, const DomainFsDef *fs, char *msg, size_t size) {
        int r;

        if (fs->type == DOMAIN_FS_BLOCK)
                return allow_path(cg, fs->src, true, fs->readonly, msg, size);
        if (fs->type != DOMAIN_FS_FILE)
                return 0;
        if (streq_ptr(fs->driver_type, "nbd")) {
                /* qemu-nbd, in the container's cgroup, opens a /dev/nbdN of its choosing */
                r = cgroup_devices_allow_rule(cg, "b 43:* rwm");
                if (r < 0)
                        snprintf(msg, size, "cannot allow the nbd devices in %s/devices.allow: %s",
                                 cg->path ? cg->path : "", strerror(-r));
                return r;
        }
        r = cgroup_devices_allow_loop(cg);
        if (r < 0)
                snprintf(msg, size, "cannot allow the loop devices in %s/devices.allow: %s", cg->path ? cg->path : "",
                         strerror(-r));
        return r;
}

/* Without a device filter (no v1 controller, no cgroup2 hierarchy) the
 * guest runs without one, as under libvirt. */
static bool devices_usable(const Cgroup *cg, const char *name) {
        if (cgroup_devices_enabled(cg))
                return true;
        log_debug("Domain %s: no device controller or cgroup2 hierarchy on this host; its devices are not filtered.",
                  name);
        return false;
}

/* A container's <hostdev mode='capabilities' type='storage'|'misc'> node:
 * with "m" too, as the container's /dev gets it by mknod. */
static int allow_hostdev(const Cgroup *cg, const DomainHostdevDef *h, char *msg, size_t size) {
        char rule[64];
        int r;

        if (h->type != DOMAIN_HOSTDEV_STORAGE && h->type != DOMAIN_HOSTDEV_MISC)
                return 0;
        r = cgroup_device_rule(h->caps_path, rule, sizeof(rule));
        if (r == -ENODEV || r == -ENOENT) /* lxcd's start checks name it */
                return 0;
        if (r >= 0) {
                char full[80];

                snprintf(full, sizeof(full), "%s %s", rule, h->readonly ? "rm" : "rwm");
                r = cgroup_devices_allow_rule(cg, full);
        }
        if (r < 0)
                snprintf(msg, size, "cannot allow the device %s in %s/devices.allow: %s", h->caps_path,
                         cg->path ? cg->path : "", strerror(-r));
        return r;
}

int domain_cgroup_set_devices(const Cgroup *cg, const DomainDef *def, char *msg, size_t size) {
        int r;

        if (!devices_usable(cg, def->name))
                return 0;
        r = cgroup_devices_restrict(cg);
        if (r < 0)
                return failed(r, cg, CGROUP_DEVICES, "devices.allow", msg, size);
        for (size_t i = 0; r >= 0 && i < def->n_disks; i++)
                r = disk_rules(cg, &def->disks[i], true, msg, size);
        for (size_t i = 0; r >= 0 && i < def->n_rngs; i++)
                r = allow_path(cg, def->rngs[i].backend_path, true, true, msg, size);
        for (size_t i = 0; r >= 0 && i < def->n_filesystems; i++)
                r = allow_filesystem(cg, &def->filesystems[i], msg, size);
        for (size_t i = 0; r >= 0 && i < def->n_hostdevs; i++)
                r = allow_hostdev(cg, &def->hostdevs[i], msg, size);
        /* QEMU opens /dev/vhost-net itself for a tap with <driver name='vhost'> */
        for (size_t i = 0; r >= 0 && i < def->n_nets; i++)
                if (def->nets[i].type != DOMAIN_NET_USER && streq_ptr(def->nets[i].driver_name, "vhost") &&
                    access("/dev/vhost-net", F_OK) == 0)
                        r = allow_path(cg, "/dev/vhost-net", true, false, msg, size);
        return r < 0 ? r : commit(cg, msg, size);
}

int domain_cgroup_apply(const Cgroup *cg, const DomainDef *def, char *msg, size_t size) {
        int r = domain_cgroup_set_cputune(cg, def, msg, size);

        if (r >= 0)
                r = domain_cgroup_set_memtune(cg, def, msg, size);
        if (r >= 0)
                r = domain_cgroup_set_blkiotune(cg, NULL, def, msg, size);
        if (r >= 0)
                r = domain_cgroup_set_numatune(cg, def, msg, size);
        if (r >= 0)
                r = domain_cgroup_set_devices(cg, def, msg, size);
        return r;
}
