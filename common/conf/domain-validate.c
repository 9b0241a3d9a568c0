/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* domain_def_validate(): what the schema cannot say but QEMU or common sense
 * needs. The parser already refused what we do not model; here each check
 * names the element and the device it is about. */
#include <inttypes.h>
#include <limits.h>

#include "domain-conf-internal.h"

#define MEMORY_MAX_KIB (UINT64_C(16) * 1024 * 1024 * 1024) /* 16 TiB */
#define VCPUS_MAX 4096

static int validate_memory(const DomainDef *def, ConfError *err) {
        if (def->memory_kib == 0)
                return xml_err_invalid(err, "<memory> must be more than 0");
        if (def->memory_kib > MEMORY_MAX_KIB)
                return xml_err_invalid(err, "<memory> of %" PRIu64 " KiB is more than the 16 TiB "
                                       "(%" PRIu64 " KiB) a guest may have", def->memory_kib, MEMORY_MAX_KIB);
        if (def->current_memory_kib > def->memory_kib)
                return xml_err_invalid(err, "<currentMemory> of %" PRIu64 " KiB is more than <memory> "
                                       "of %" PRIu64 " KiB", def->current_memory_kib, def->memory_kib);
        if (def->max_memory_kib) {
                if (def->max_memory_kib < def->memory_kib)
                        return xml_err_invalid(err, "<maxMemory> of %" PRIu64 " KiB is less than <memory> "
                                               "of %" PRIu64 " KiB", def->max_memory_kib, def->memory_kib);
                if (def->max_memory_kib > MEMORY_MAX_KIB)
                        return xml_err_invalid(err, "<maxMemory> of %" PRIu64 " KiB is more than 16 TiB",
                                               def->max_memory_kib);
                if (def->max_memory_slots == 0)
                        return xml_err_invalid(err, "<maxMemory> needs slots='' of 1 or more");
        }
        return 0;
}

static int validate_vcpus(const DomainDef *def, ConfError *err) {
        const DomainCpuDef *cpu = &def->cpu;

        if (def->vcpus == 0 || def->vcpus > VCPUS_MAX)
                return xml_err_invalid(err, "<vcpu> count %u is out of range: 1 to %d", def->vcpus, VCPUS_MAX);
        if (def->vcpus_current > def->vcpus)
                return xml_err_invalid(err, "attribute 'current' of <vcpu> (%u) is more than the %u vcpus",
                                       def->vcpus_current, def->vcpus);
        if (cpu->sockets) {
                uint64_t n = (uint64_t) cpu->sockets * (cpu->dies ?: 1) * cpu->cores * cpu->threads;

                if (n != def->vcpus)
                        return xml_err_invalid(err, "<cpu/topology> gives %" PRIu64 " vcpus "
                                               "(sockets*dies*cores*threads) but <vcpu> is %u", n, def->vcpus);
        }
        for (size_t i = 0; i < def->cputune.n_vcpupin; i++)
                if (def->cputune.vcpupin[i].vcpu >= def->vcpus)
                        return xml_err_invalid(err, "<cputune/vcpupin> for vcpu %u, but the guest has %u vcpus",
                                               def->cputune.vcpupin[i].vcpu, def->vcpus);
        return 0;
}

/* libvirt's rules: a total and its read/write split exclude each other,
 * and a burst (_max) needs the rate it bursts over. */
static int validate_iotune(const DomainDiskDef *d, ConfError *err) {
        static const char *const names[] = {
                "total_bytes_sec", "read_bytes_sec", "write_bytes_sec",
                "total_iops_sec", "read_iops_sec", "write_iops_sec",
                "total_bytes_sec_max", "read_bytes_sec_max", "write_bytes_sec_max",
                "total_iops_sec_max", "read_iops_sec_max", "write_iops_sec_max",
                "size_iops_sec",
        };
        const DomainDiskIotune *t = &d->iotune;
        const uint64_t v[] = {
                t->total_bytes_sec, t->read_bytes_sec, t->write_bytes_sec,
                t->total_iops_sec, t->read_iops_sec, t->write_iops_sec,
                t->total_bytes_sec_max, t->read_bytes_sec_max, t->write_bytes_sec_max,
                t->total_iops_sec_max, t->read_iops_sec_max, t->write_iops_sec_max,
                t->size_iops_sec,
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                if (v[i] > (uint64_t) LLONG_MAX)
                        return xml_err_invalid(err, "disk '%s': <devices/disk/iotune/%s> value %" PRIu64
                                               " is more than %lld", d->dst, names[i], v[i], LLONG_MAX);
        /* groups of three: total, read, write */
        for (size_t g = 0; g < 12; g += 3)
                if (v[g] && (v[g + 1] || v[g + 2]))
                        return xml_err_invalid(err, "disk '%s': <devices/disk/iotune/%s> cannot be set "
                                               "together with %s or %s", d->dst, names[g],
                                               names[g + 1], names[g + 2]);
        for (size_t i = 6; i < 12; i++)
                if (v[i] && !v[i - 6])
                        return xml_err_invalid(err, "disk '%s': <devices/disk/iotune/%s> needs %s",
                                               d->dst, names[i], names[i - 6]);
        return 0;
}

static int validate_disk(const DomainDef *def, size_t idx, ConfError *err) {
        const DomainDiskDef *d = &def->disks[idx];
        int r;

        for (size_t j = 0; j < idx; j++)
                if (streq_ptr(def->disks[j].dst, d->dst))
                        return xml_err_invalid(err, "duplicate disk target '%s' in <devices/disk/target>", d->dst);
        /* aio=native bypasses the page cache: QEMU needs O_DIRECT for it */
        if (d->io == DOMAIN_DISK_IO_NATIVE &&
            d->cache != DOMAIN_DISK_CACHE_NONE && d->cache != DOMAIN_DISK_CACHE_DIRECTSYNC)
                return xml_err_unsupported(err, "disk '%s': io='native' in <devices/disk/driver> needs "
                                           "cache='none' or cache='directsync'", d->dst);
        if (d->readonly && d->bus == DOMAIN_DISK_BUS_IDE && d->device == DOMAIN_DISK_DEVICE_DISK)
                return xml_err_unsupported(err, "disk '%s': <devices/disk/readonly> IDE hard disks are not "
                                           "supported by QEMU", d->dst);
        if (d->device == DOMAIN_DISK_DEVICE_CDROM && d->bus == DOMAIN_DISK_BUS_VIRTIO)
                return xml_err_unsupported(err, "disk '%s': a cdrom cannot be on bus 'virtio' "
                                           "(<devices/disk/target>)", d->dst);
        if (d->device == DOMAIN_DISK_DEVICE_DISK && !d->src && d->type != DOMAIN_DISK_TYPE_VOLUME)
                return xml_err_invalid(err, "disk '%s' has no <devices/disk/source>", d->dst);
        if (d->has_iotune) {
                r = validate_iotune(d, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int validate_controllers(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_controllers; i++) {
                const DomainControllerDef *c = &def->controllers[i];
                const char *type = domain_controller_type_to_string(c->type);

                /* USB companion controllers (ich9-ehci1 with its ich9-uhciN)
                 * share their master's index, as in libvirt */
                for (size_t j = 0; j < i && c->type != DOMAIN_CONTROLLER_USB; j++)
                        if (def->controllers[j].type == c->type && def->controllers[j].index == c->index)
                                return xml_err_invalid(err, "two <devices/controller> of type '%s' with index %u",
                                                       type, c->index);
                if ((c->cmd_per_lun || c->max_sectors) &&
                    !(c->type == DOMAIN_CONTROLLER_SCSI && streq_ptr(c->model, "virtio-scsi")))
                        return xml_err_unsupported(err, "<devices/controller/driver> cmd_per_lun and max_sectors "
                                                   "need a scsi controller of model 'virtio-scsi' "
                                                   "(controller '%s' index %u)", type, c->index);
        }
        return 0;
}

typedef struct BootUser {
        unsigned order;
        char what[64];
} BootUser;

/* Every device with a <boot order=''/>, to find duplicates. */
static size_t collect_boot_orders(const DomainDef *def, BootUser *users, size_t max) {
        size_t n = 0;

        for (size_t i = 0; i < def->n_disks && n < max; i++)
                if (def->disks[i].boot_order) {
                        users[n].order = def->disks[i].boot_order;
                        snprintf(users[n++].what, sizeof(users[0].what), "disk '%s'", def->disks[i].dst);
                }
        for (size_t i = 0; i < def->n_nets && n < max; i++)
                if (def->nets[i].boot_order) {
                        const uint8_t *m = def->nets[i].mac;

                        users[n].order = def->nets[i].boot_order;
                        snprintf(users[n++].what, sizeof(users[0].what),
                                 "interface %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
                }
        return n;
}

static int validate_boot(const DomainDef *def, ConfError *err) {
        _cleanup_free_ BootUser *users = NULL;
        size_t max = def->n_disks + def->n_nets, n;

        for (size_t i = 0; i < def->os.n_boot; i++)
                for (size_t j = 0; j < i; j++)
                        if (def->os.boot[i] == def->os.boot[j])
                                return xml_err_invalid(err, "boot device '%s' is listed twice in <os/boot>",
                                                       domain_boot_dev_to_string(def->os.boot[i]));
        if (max == 0)
                return 0;
        users = calloc(max, sizeof(*users));
        if (!users)
                return xml_err_oom(err);
        n = collect_boot_orders(def, users, max);
        if (n > 0 && def->os.n_boot > 0)
                return xml_err_unsupported(err, "per-device boot order (%s) cannot be used together with "
                                           "<os/boot>", users[0].what);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < i; j++)
                        if (users[i].order == users[j].order)
                                return xml_err_invalid(err, "boot order %u is used twice: by %s and %s "
                                                       "(<boot order=''/>)", users[i].order,
                                                       users[j].what, users[i].what);
        return 0;
}

static int validate_videos(const DomainDef *def, ConfError *err) {
        size_t primaries = 0;

        for (size_t i = 0; i < def->n_videos; i++)
                primaries += def->videos[i].primary;
        if (primaries > 1)
                return xml_err_invalid(err, "only one <devices/video/model> may have primary='yes'");
        return 0;
}

int domain_def_validate(const DomainDef *def, ConfError *err) {
        int r;

        if (!def->name || !*def->name)
                return xml_err_invalid(err, "missing <name>");
        r = validate_memory(def, err);
        if (r < 0)
                return r;
        r = validate_vcpus(def, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < def->n_disks; i++) {
                r = validate_disk(def, i, err);
                if (r < 0)
                        return r;
        }
        r = validate_controllers(def, err);
        if (r < 0)
                return r;
        r = validate_boot(def, err);
        if (r < 0)
                return r;
        return validate_videos(def, err);
}
