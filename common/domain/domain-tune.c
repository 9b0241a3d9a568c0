/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stddef.h>
#include <limits.h>
#include <sched.h>
#include <unistd.h>

#include "cpuset.h"
#include "domain-cgroup.h"
#include "domain-tune.h"
#include "error.h"
#include "util.h"

/* libvirt's ranges for the cpu controller (cgroup v2 weight is shares too). */
#define SHARES_MIN 2
#define SHARES_MAX 262144
#define PERIOD_MIN 1000
#define PERIOD_MAX 1000000
#define QUOTA_MAX INT64_C(17592186044415)

static const char *type_word(char t) {
        switch (t) {
        case 'i': return "int";
        case 'u': return "uint";
        case 'x': return "llong";
        case 't': return "ullong";
        case 'd': return "double";
        case 'b': return "boolean";
        case 's': return "string";
        }
        return "unknown";
}

static int wrong_type(const TuneParam *p, char want, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid type for parameter '%s', expected '%s', got '%s'",
                             p->field, type_word(want), type_word(p->type));
}

static int unknown_param(const TuneParam *p, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "parameter '%s' not supported", p->field);
}

/* The periods and quotas of <cputune>, by libvirt's parameter names: a
 * period in [1000, 1000000] (0: none), a quota in [1000, 2^44 - 1], 0 (none)
 * or -1 (no limit). */
typedef struct BandwidthParam {
        const char *name;
        size_t offset;         /* in DomainCputuneDef */
        bool quota;
} BandwidthParam;

static const BandwidthParam bandwidth_params[] = {
        { "vcpu_period", offsetof(DomainCputuneDef, period), false },
        { "vcpu_quota", offsetof(DomainCputuneDef, quota), true },
        { "emulator_period", offsetof(DomainCputuneDef, emulator_period), false },
        { "emulator_quota", offsetof(DomainCputuneDef, emulator_quota), true },
        { "global_period", offsetof(DomainCputuneDef, global_period), false },
        { "global_quota", offsetof(DomainCputuneDef, global_quota), true },
        { "iothread_period", offsetof(DomainCputuneDef, iothread_period), false },
        { "iothread_quota", offsetof(DomainCputuneDef, iothread_quota), true },
};

static int set_bandwidth(DomainCputuneDef *ct, const BandwidthParam *b, const TuneParam *q, sd_bus_error *error) {
        void *slot = (char *) ct + b->offset;

        if (q->type != (b->quota ? 'x' : 't'))
                return wrong_type(q, b->quota ? 'x' : 't', error);
        if (!b->quota) {
                if (q->v.t && (q->v.t < PERIOD_MIN || q->v.t > PERIOD_MAX))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "value of %s is out of range [%d, %d]: "
                                             "%" PRIu64, b->name, PERIOD_MIN, PERIOD_MAX, q->v.t);
                *(uint64_t *) slot = q->v.t;
                return 0;
        }
        if (q->v.x && q->v.x != -1 && (q->v.x < PERIOD_MIN || q->v.x > QUOTA_MAX))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "value of %s is out of range [%d, %" PRId64 "] "
                                     "(or -1): %" PRId64, b->name, PERIOD_MIN, QUOTA_MAX, q->v.x);
        *(int64_t *) slot = q->v.x;
        return 0;
}

/* A container has one cgroup, no emulator or IOThreads: libvirt's LXC
 * driver takes the vCPU pair only. */
static const BandwidthParam *bandwidth_param(const DomainDef *def, const char *name) {
        size_t n = def->virt_type == DOMAIN_VIRT_LXC ? 2 : ELEMENTSOF(bandwidth_params);

        for (size_t i = 0; i < n; i++)
                if (streq(bandwidth_params[i].name, name))
                        return &bandwidth_params[i];
        return NULL;
}

int domain_tune_set_scheduler(DomainDef *def, const TuneParam *p, size_t n, sd_bus_error *error) {
        DomainCputuneDef *ct = &def->cputune;

        for (size_t i = 0; i < n; i++) {
                const TuneParam *q = &p[i];
                const BandwidthParam *b = bandwidth_param(def, q->field);
                int r;

                if (streq(q->field, "cpu_shares")) {
                        if (q->type != 't')
                                return wrong_type(q, 't', error);
                        if (q->v.t && (q->v.t < SHARES_MIN || q->v.t > SHARES_MAX))
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                                     "value of cpu_shares is out of range [%d, %d]: %" PRIu64,
                                                     SHARES_MIN, SHARES_MAX, q->v.t);
                        ct->shares = q->v.t;
                } else if (b) {
                        r = set_bandwidth(ct, b, q, error);
                        if (r < 0)
                                return r;
                } else
                        return unknown_param(q, error);
        }
        ct->present = ct->present || ct->shares || ct->period || ct->quota || ct->emulator_period ||
                      ct->emulator_quota || ct->global_period || ct->global_quota || ct->iothread_period ||
                      ct->iothread_quota;
        return 0;
}

/* --- iotune ---------------------------------------------------------------- */

typedef struct IotuneField {
        const char *name;
        size_t offset;
        unsigned trio;         /* the limits replaced together when one of them is given */
} IotuneField;

#define F(name, trio) { #name, offsetof(DomainDiskIotune, name), trio }
static const IotuneField iotune_fields[] = {
        F(total_bytes_sec, 0),     F(read_bytes_sec, 0),     F(write_bytes_sec, 0),
        F(total_iops_sec, 1),      F(read_iops_sec, 1),      F(write_iops_sec, 1),
        F(total_bytes_sec_max, 2), F(read_bytes_sec_max, 2), F(write_bytes_sec_max, 2),
        F(total_iops_sec_max, 3),  F(read_iops_sec_max, 3),  F(write_iops_sec_max, 3),
        F(size_iops_sec, 4),
};
#undef F

static uint64_t *iotune_slot(DomainDiskIotune *t, const IotuneField *f) {
        return (uint64_t *) ((char *) t + f->offset);
}

static bool group_name_ok(const char *s) {
        if (!*s || strlen(s) > 100 || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", *s))
                return false;
        for (const char *c = s; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *c))
                        return false;
        return true;
}

/* libvirt's rules on a disk's whole set of limits. */
static int check_iotune(const DomainDiskIotune *t, const char *dst, sd_bus_error *error) {
        static const char *const base[] = { "bytes_sec", "iops_sec", "bytes_sec_max", "iops_sec_max" };
        const DomainDiskIotune *u = t;

        for (unsigned trio = 0; trio < 4; trio++) {
                uint64_t total = *iotune_slot((DomainDiskIotune *) u, &iotune_fields[trio * 3]);
                uint64_t rd = *iotune_slot((DomainDiskIotune *) u, &iotune_fields[trio * 3 + 1]);
                uint64_t wr = *iotune_slot((DomainDiskIotune *) u, &iotune_fields[trio * 3 + 2]);
                if (total && (rd || wr))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "total and read/write of %s cannot be set at the same time (disk %s)",
                                             base[trio], dst);
        }
        /* a *_max needs its base limit */
        for (size_t i = 6; i < 12; i++) {
                uint64_t max = *iotune_slot((DomainDiskIotune *) u, &iotune_fields[i]);
                uint64_t lim = *iotune_slot((DomainDiskIotune *) u, &iotune_fields[i - 6]);
                if (max && !lim)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "value '%s' cannot be set if '%s' is not set (disk %s)",
                                             iotune_fields[i].name, iotune_fields[i - 6].name, dst);
                if (max && max < lim)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "value '%s' cannot be smaller than '%s' (disk %s)",
                                             iotune_fields[i].name, iotune_fields[i - 6].name, dst);
        }
        return 0;
}

static bool iotune_any(const DomainDiskIotune *t) {
        for (size_t i = 0; i < ELEMENTSOF(iotune_fields); i++)
                if (*iotune_slot((DomainDiskIotune *) t, &iotune_fields[i]))
                        return true;
        return false;
}

int domain_tune_set_iotune(DomainDef *def, size_t disk, const TuneParam *p, size_t n, sd_bus_error *error) {
        DomainDiskDef *dk = &def->disks[disk];
        DomainDiskIotune t = dk->iotune;
        bool given[5] = {}, group_given = false;
        const char *group = NULL;

        /* first every check, on values only */
        for (size_t i = 0; i < n; i++) {
                const TuneParam *q = &p[i];
                size_t k;
                if (streq(q->field, "group_name")) {
                        if (q->type != 's')
                                return wrong_type(q, 's', error);
                        if (*q->v.s && !group_name_ok(q->v.s))
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                                     "invalid group_name '%s': letters, digits, '-', '_' and '.', "
                                                     "starting with a letter", q->v.s);
                        group = q->v.s;
                        group_given = true;
                        continue;
                }
                for (k = 0; k < ELEMENTSOF(iotune_fields); k++)
                        if (streq(q->field, iotune_fields[k].name))
                                break;
                if (k == ELEMENTSOF(iotune_fields))
                        return unknown_param(q, error);
                if (q->type != 't')
                        return wrong_type(q, 't', error);
                if (q->v.t > (uint64_t) LLONG_MAX)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "block I/O throttle limit value must be no more than %lld (%s)",
                                             LLONG_MAX, q->field);
                given[iotune_fields[k].trio] = true;
        }
        /* a trio given in part is given whole: the others of it go to 0 */
        for (size_t k = 0; k < ELEMENTSOF(iotune_fields); k++)
                if (given[iotune_fields[k].trio])
                        *iotune_slot(&t, &iotune_fields[k]) = 0;
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < ELEMENTSOF(iotune_fields); k++)
                        if (streq(p[i].field, iotune_fields[k].name))
                                *iotune_slot(&t, &iotune_fields[k]) = p[i].v.t;
        if (check_iotune(&t, dk->dst, error) < 0)
                return -EINVAL;
        if (group_given) {
                char *g = *group ? strdup(group) : NULL;
                if (*group && !g)
                        return -ENOMEM;
                t.group_name = g;
        } else if (t.group_name && !(t.group_name = strdup(t.group_name)))
                return -ENOMEM;
        free(dk->iotune.group_name);
        dk->iotune = t;
        dk->has_iotune = iotune_any(&t);
        if (!dk->has_iotune) {
                free(dk->iotune.group_name);
                dk->iotune.group_name = NULL;
        }
        /* the disks of a group share its limits */
        for (size_t j = 0; dk->iotune.group_name && j < def->n_disks; j++) {
                DomainDiskDef *o = &def->disks[j];
                char *g;
                if (j == disk || !o->has_iotune || !streq_ptr(o->iotune.group_name, dk->iotune.group_name))
                        continue;
                g = strdup(dk->iotune.group_name);
                if (!g)
                        return -ENOMEM;
                free(o->iotune.group_name);
                o->iotune = dk->iotune;
                o->iotune.group_name = g;
        }
        return 0;
}

/* --- pinning --------------------------------------------------------------- */

int domain_tune_set_vcpupin(DomainDef *def, unsigned vcpu, const char *cpuset) {
        DomainCputuneDef *ct = &def->cputune;
        DomainVcpuPin *pins;
        char *copy = NULL;

        if (cpuset && !(copy = strdup(cpuset)))
                return -ENOMEM;
        for (size_t i = 0; i < ct->n_vcpupin; i++) {
                if (ct->vcpupin[i].vcpu != vcpu)
                        continue;
                free(ct->vcpupin[i].cpuset);
                if (copy) {
                        ct->vcpupin[i].cpuset = copy;
                        return 0;
                }
                memmove(&ct->vcpupin[i], &ct->vcpupin[i + 1], (ct->n_vcpupin - i - 1) * sizeof(*pins));
                ct->n_vcpupin--;
                return 0;
        }
        if (!copy)
                return 0;
        pins = realloc(ct->vcpupin, (ct->n_vcpupin + 1) * sizeof(*pins));
        if (!pins) {
                free(copy);
                return -ENOMEM;
        }
        ct->vcpupin = pins;
        pins[ct->n_vcpupin++] = (DomainVcpuPin) { .vcpu = vcpu, .cpuset = copy };
        ct->present = true;
        return 0;
}

int domain_tune_set_emulatorpin(DomainDef *def, const char *cpuset) {
        char *copy = NULL;

        if (cpuset && !(copy = strdup(cpuset)))
                return -ENOMEM;
        free(def->cputune.emulatorpin);
        def->cputune.emulatorpin = copy;
        def->cputune.present = def->cputune.present || copy;
        return 0;
}

ssize_t domain_tune_find_disk(const DomainDef *def, const char *name) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (streq_ptr(def->disks[i].dst, name))
                        return i;
        for (size_t i = 0; i < def->n_disks; i++)
                if (streq_ptr(def->disks[i].src, name))
                        return i;
        return -1;
}

const char *domain_tune_vcpu_cpuset(const DomainDef *def, unsigned vcpu) {
        for (size_t i = 0; i < def->cputune.n_vcpupin; i++)
                if (def->cputune.vcpupin[i].vcpu == vcpu)
                        return def->cputune.vcpupin[i].cpuset;
        return def->vcpu_cpuset;
}

const char *domain_tune_emulator_cpuset(const DomainDef *def) {
        return def->cputune.emulatorpin ? def->cputune.emulatorpin : def->vcpu_cpuset;
}

/* --- NUMA ------------------------------------------------------------------ */

/* libvirt's virDomainNumatuneMemMode numbers */
static const char *const numa_modes[] = { "strict", "preferred", "interleave", "restrictive" };

int domain_tune_numa_mode(const DomainDef *def) {
        for (size_t i = 0; def->numatune.mode && i < ELEMENTSOF(numa_modes); i++)
                if (streq(def->numatune.mode, numa_modes[i]))
                        return i;
        return 0; /* strict, libvirt's default */
}

static int check_nodeset(const char *nodeset, sd_bus_error *error) {
        cpu_set_t set;
        char path[64];

        if (cpuset_parse(nodeset, &set) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid numa_nodeset '%s'", nodeset);
        if (CPU_COUNT(&set) == 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "numa_nodeset '%s' names no node", nodeset);
        for (int i = 0; i < CPU_SETSIZE; i++) {
                if (!CPU_ISSET(i, &set))
                        continue;
                snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", i);
                if (access(path, F_OK) < 0)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "NUMA node %d of numa_nodeset '%s' is not available on this host", i,
                                             nodeset);
        }
        return 0;
}

int domain_tune_set_numa(DomainDef *def, const TuneParam *p, size_t n, sd_bus_error *error) {
        DomainNumatuneDef *nt = &def->numatune;

        for (size_t i = 0; i < n; i++) {
                const TuneParam *q = &p[i];
                char *v;
                if (streq(q->field, "numa_mode")) {
                        if (q->type != 'i')
                                return wrong_type(q, 'i', error);
                        if (q->v.i < 0 || (size_t) q->v.i >= ELEMENTSOF(numa_modes))
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported numatune mode: '%d'",
                                                     q->v.i);
                        if (!(v = strdup(numa_modes[q->v.i])))
                                return -ENOMEM;
                        free(nt->mode);
                        nt->mode = v;
                } else if (streq(q->field, "numa_nodeset")) {
                        if (q->type != 's')
                                return wrong_type(q, 's', error);
                        if (check_nodeset(q->v.s, error) < 0)
                                return -EINVAL;
                        if (!(v = strdup(q->v.s)))
                                return -ENOMEM;
                        free(nt->nodeset);
                        nt->nodeset = v;
                        /* a nodeset given is a static placement */
                        free(nt->placement);
                        nt->placement = NULL;
                } else
                        return unknown_param(q, error);
        }
        nt->present = nt->present || nt->mode || nt->nodeset;
        return 0;
}

/* --- memory ---------------------------------------------------------------- */

int domain_tune_set_memory(DomainDef *def, const TuneParam *p, size_t n, sd_bus_error *error) {
        DomainMemtuneDef *mt = &def->memtune;
        ConfError err = {};

        for (size_t i = 0; i < n; i++) {
                const TuneParam *q = &p[i];
                uint64_t *v = streq(q->field, "hard_limit")        ? &mt->hard_limit
                              : streq(q->field, "soft_limit")      ? &mt->soft_limit
                              : streq(q->field, "swap_hard_limit") ? &mt->swap_hard_limit
                                                                   : NULL;

                if (streq(q->field, "min_guarantee"))
                        return vb_error_setf(error, VB_ERROR_ARGUMENT_UNSUPPORTED,
                                             "Parameter 'min_guarantee' not supported");
                if (!v)
                        return unknown_param(q, error);
                if (q->type != 't')
                        return wrong_type(q, 't', error);
                /* KiB; libvirt's VIR_DOMAIN_MEMORY_PARAM_UNLIMITED and above: no limit */
                *v = q->v.t >= DOMAIN_TUNE_MEMORY_UNLIMITED ? 0 : q->v.t;
        }
        if (domain_memtune_check(mt, &err) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "%s", err.message);
        return 0;
}

/* --- block I/O weights and device limits ------------------------------------ */

#define BLKIO_WEIGHT_MIN 100
#define BLKIO_WEIGHT_MAX 1000

/* The device parameters, each a field of DomainBlkioDevice. */
typedef enum BlkioField { BLKIO_WEIGHT, BLKIO_READ_IOPS, BLKIO_WRITE_IOPS, BLKIO_READ_BYTES, BLKIO_WRITE_BYTES } BlkioField;

const char *const domain_tune_blkio_device_params[5] = {
        [BLKIO_WEIGHT] = "device_weight",
        [BLKIO_READ_IOPS] = "device_read_iops_sec",
        [BLKIO_WRITE_IOPS] = "device_write_iops_sec",
        [BLKIO_READ_BYTES] = "device_read_bytes_sec",
        [BLKIO_WRITE_BYTES] = "device_write_bytes_sec",
};

uint64_t domain_tune_blkio_device_value(const DomainBlkioDevice *dev, unsigned field) {
        switch ((BlkioField) field) {
        case BLKIO_WEIGHT: return dev->weight;
        case BLKIO_READ_IOPS: return dev->read_iops_sec;
        case BLKIO_WRITE_IOPS: return dev->write_iops_sec;
        case BLKIO_READ_BYTES: return dev->read_bytes_sec;
        case BLKIO_WRITE_BYTES: return dev->write_bytes_sec;
        }
        return 0;
}

static int set_device_value(DomainBlkioDevice *dev, BlkioField f, uint64_t v, const char *path, sd_bus_error *error) {
        if (f == BLKIO_WEIGHT && v && (v < BLKIO_WEIGHT_MIN || v > BLKIO_WEIGHT_MAX))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "weight %" PRIu64 " of blkio device '%s' is out of range [%d, %d] (0 takes "
                                     "it away)", v, path, BLKIO_WEIGHT_MIN, BLKIO_WEIGHT_MAX);
        if ((f == BLKIO_WEIGHT || f == BLKIO_READ_IOPS || f == BLKIO_WRITE_IOPS) && v > UINT32_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "value %" PRIu64 " of %s for '%s' is too large", v,
                                     domain_tune_blkio_device_params[f], path);
        switch (f) {
        case BLKIO_WEIGHT: dev->weight = (unsigned) v; break;
        case BLKIO_READ_IOPS: dev->read_iops_sec = (unsigned) v; break;
        case BLKIO_WRITE_IOPS: dev->write_iops_sec = (unsigned) v; break;
        case BLKIO_READ_BYTES: dev->read_bytes_sec = v; break;
        case BLKIO_WRITE_BYTES: dev->write_bytes_sec = v; break;
        }
        return 0;
}

static DomainBlkioDevice *find_or_add_device(DomainBlkiotuneDef *bt, const char *path) {
        DomainBlkioDevice *l;

        for (size_t i = 0; i < bt->n_devices; i++)
                if (streq(bt->devices[i].path, path))
                        return &bt->devices[i];
        l = reallocarray(bt->devices, bt->n_devices + 1, sizeof(*l));
        if (!l)
                return NULL;
        bt->devices = l;
        l[bt->n_devices] = (DomainBlkioDevice) { .path = strdup(path) };
        if (!l[bt->n_devices].path)
                return NULL;
        return &l[bt->n_devices++];
}

/* "path,value[,path,value...]": each device's field merged into def's list,
 * as libvirt does; a device left with no limit at all goes. */
static int set_device_list(DomainBlkiotuneDef *bt, BlkioField f, const char *list, sd_bus_error *error) {
        _cleanup_free_ char *copy = strdup(list);
        char *save = NULL, *path, *value;

        if (!copy)
                return -ENOMEM;
        for (path = strtok_r(copy, ",", &save); path; path = strtok_r(NULL, ",", &save)) {
                DomainBlkioDevice *dev;
                char num[32];
                uint64_t v;
                int r;

                value = strtok_r(NULL, ",", &save);
                if (!value || safe_atou64(value, &v) < 0)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "unable to parse blkio device '%s' '%s': want 'path,number' pairs",
                                             domain_tune_blkio_device_params[f], list);
                r = domain_cgroup_device_number(path, num, sizeof(num));
                if (r == -ENOTBLK)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "blkio device path '%s' is no block device",
                                             path);
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unknown blkio device path '%s': %s", path,
                                             strerror(-r));
                dev = find_or_add_device(bt, path);
                if (!dev)
                        return -ENOMEM;
                r = set_device_value(dev, f, v, path, error);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < bt->n_devices;) {
                DomainBlkioDevice *dev = &bt->devices[i];

                if (dev->weight || dev->read_iops_sec || dev->write_iops_sec || dev->read_bytes_sec ||
                    dev->write_bytes_sec) {
                        i++;
                        continue;
                }
                domain_blkio_device_clear(dev);
                memmove(dev, dev + 1, (bt->n_devices - i - 1) * sizeof(*dev));
                bt->n_devices--;
        }
        return 0;
}

int domain_tune_set_blkio(DomainDef *def, const TuneParam *p, size_t n, sd_bus_error *error) {
        DomainBlkiotuneDef *bt = &def->blkiotune;

        for (size_t i = 0; i < n; i++) {
                const TuneParam *q = &p[i];
                size_t f;
                int r;

                if (streq(q->field, "weight")) {
                        if (q->type != 'u')
                                return wrong_type(q, 'u', error);
                        if (q->v.u && (q->v.u < BLKIO_WEIGHT_MIN || q->v.u > BLKIO_WEIGHT_MAX))
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                                     "blkio weight %u is out of range [%d, %d]", q->v.u,
                                                     BLKIO_WEIGHT_MIN, BLKIO_WEIGHT_MAX);
                        bt->weight = q->v.u;
                        continue;
                }
                for (f = 0; f < ELEMENTSOF(domain_tune_blkio_device_params); f++)
                        if (streq(q->field, domain_tune_blkio_device_params[f]))
                                break;
                if (f == ELEMENTSOF(domain_tune_blkio_device_params))
                        return unknown_param(q, error);
                if (q->type != 's')
                        return wrong_type(q, 's', error);
                r = set_device_list(bt, f, q->v.s, error);
                if (r < 0)
                        return r;
        }
        return 0;
}
