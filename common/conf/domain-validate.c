/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* domain_def_validate(): what the schema cannot say but common sense needs,
 * whatever driver runs the domain. The parser already refused what we do
 * not model; here each check names the element and the device it is about.
 * What QEMU cannot run is qemud's check (qemud/qemu-validate.c). */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>

#include "domain-conf-internal.h"

#define VCPUS_MAX 4096

#define MAX_MEMORY_MAX_KIB ((uint64_t) INT64_MAX >> 10)

static int validate_memory(const DomainDef *def, ConfError *err) {
        if (def->memory_kib == 0)
                return xml_err_invalid(err, "<memory> must be more than 0");
        /* the parser's bound is libvirt's (2^63 bytes); what QEMU can address
         * is the start's check (qemu-rules.c) */
        if (def->current_memory_kib > def->memory_kib)
                return xml_err_invalid(err, "<currentMemory> of %" PRIu64 " KiB is more than <memory> "
                                       "of %" PRIu64 " KiB", def->current_memory_kib, def->memory_kib);
        if (def->max_memory_kib) {
                if (def->max_memory_kib < def->memory_kib)
                        return xml_err_invalid(err, "<maxMemory> of %" PRIu64 " KiB is less than <memory> "
                                               "of %" PRIu64 " KiB", def->max_memory_kib, def->memory_kib);
                /* libvirt's bound (VIR_DOMAIN_MEMORY_PARAM_UNLIMITED): address space
                 * for hot-plug, not RAM, so beyond what <memory> may be */
                if (def->max_memory_kib > MAX_MEMORY_MAX_KIB)
                        return xml_err_invalid(err, "<maxMemory> of %" PRIu64 " KiB is more than %" PRIu64
                                               " KiB", def->max_memory_kib, MAX_MEMORY_MAX_KIB);
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

/* A virtio disk is a PCI device; the others sit on a drive bus: SATA has
 * one bus per port (unit), IDE two buses of two units. */
static int validate_disk_address(const DomainDiskDef *d, ConfError *err) {
        const DomainDeviceAddress *a = &d->addr;
        const char *bus = domain_disk_bus_to_string(d->bus);
        bool virtio = d->bus == DOMAIN_DISK_BUS_VIRTIO;
        bool usb = d->bus == DOMAIN_DISK_BUS_USB;

        if (a->type == DOMAIN_ADDRESS_NONE)
                return 0;
        if (usb != (a->type == DOMAIN_ADDRESS_USB))
                return xml_err_invalid(err, "disk '%s': <devices/disk/address> of type '%s' does not fit bus '%s'"
                                       "%s", d->dst, domain_address_type_to_string(a->type), bus,
                                       usb ? " (use type 'usb')" : "");
        if (usb)
                return 0;
        if (virtio != (a->type == DOMAIN_ADDRESS_PCI))
                return xml_err_invalid(err, "disk '%s': <devices/disk/address> of type '%s' does not fit bus '%s' "
                                       "(%s)", d->dst, domain_address_type_to_string(a->type), bus,
                                       virtio ? "use type 'pci'" : "use type 'drive'");
        if (d->bus == DOMAIN_DISK_BUS_SATA && (a->bus != 0 || a->target != 0 || a->unit >= 6))
                return xml_err_invalid(err, "disk '%s': a SATA <devices/disk/address> has bus 0, target 0 and "
                                       "unit 0 to 5 (the AHCI port)", d->dst);
        /* libvirt's define-time rule; a bus or unit QEMU's IDE does not have
         * (bus 0 or 1, unit 0 or 1) fails the start, naming it */
        if (d->bus == DOMAIN_DISK_BUS_IDE && a->controller != 0)
                return xml_err_invalid(err, "disk '%s': Only 1 IDE controller is supported "
                                       "(<devices/disk/address>)", d->dst);
        if (d->bus == DOMAIN_DISK_BUS_IDE && a->target != 0)
                return xml_err_unsupported(err, "disk '%s': target must be 0 for ide controller "
                                           "(<devices/disk/address>)", d->dst);
        if (d->bus == DOMAIN_DISK_BUS_FDC && (a->controller != 0 || a->bus != 0 || a->target != 0 || a->unit > 1))
                return xml_err_invalid(err, "disk '%s': a floppy <devices/disk/address> has controller 0, bus 0, "
                                       "target 0 and unit 0 or 1", d->dst);
        if (d->bus == DOMAIN_DISK_BUS_SCSI && a->unit > 16383)
                return xml_err_invalid(err, "disk '%s': SCSI unit (LUN) %u of <devices/disk/address> is more "
                                       "than 16383", d->dst, a->unit);
        return 0;
}

static int validate_disk(const DomainDef *def, size_t idx, ConfError *err) {
        const DomainDiskDef *d = &def->disks[idx];
        int r;

        for (size_t j = 0; j < idx; j++)
                if (streq_ptr(def->disks[j].dst, d->dst))
                        return xml_err_invalid(err, "duplicate disk target '%s' in <devices/disk/target>", d->dst);
        /* libvirt's words: a floppy is on the fdc and nothing else is */
        if ((d->device == DOMAIN_DISK_DEVICE_FLOPPY) != (d->bus == DOMAIN_DISK_BUS_FDC))
                return xml_err_xml(err, "Invalid bus type '%s' for %s (disk '%s')",
                                   domain_disk_bus_to_string(d->bus),
                                   d->device == DOMAIN_DISK_DEVICE_FLOPPY ? "floppy disk" : "disk", d->dst);
        if (d->device == DOMAIN_DISK_DEVICE_CDROM && d->bus == DOMAIN_DISK_BUS_VIRTIO)
                return xml_err_unsupported(err, "disk '%s': a cdrom cannot be on bus 'virtio' "
                                           "(<devices/disk/target>)", d->dst);
        if (d->device == DOMAIN_DISK_DEVICE_DISK && !d->src && d->type != DOMAIN_DISK_TYPE_VOLUME && !d->net && !d->nvme &&
            !d->vhostuser)
                return xml_err_invalid(err, "disk '%s' has no <devices/disk/source>", d->dst);
        if (d->has_iotune) {
                r = validate_iotune(d, err);
                if (r < 0)
                        return r;
        }
        r = domain_validate_disk_extras(d, err);
        if (r < 0)
                return r;
        return validate_disk_address(d, err);
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
                if ((c->cmd_per_lun || c->max_sectors || c->iothread || c->ioeventfd != TRISTATE_ABSENT) &&
                    !domain_controller_is_virtio_scsi(c))
                        return xml_err_unsupported(err, "<devices/controller/driver> cmd_per_lun, max_sectors, "
                                                   "ioeventfd and iothread need a scsi controller of model "
                                                   "'virtio-scsi' (controller '%s' index %u)", type, c->index);
                if (c->iothread && !domain_def_find_iothread(def, c->iothread))
                        return xml_err_invalid(err, "controller '%s' index %u uses IOThread %u, which is not in "
                                               "<iothreadids>", type, c->index, c->iothread);
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
        for (size_t i = 0; i < def->n_hostdevs && n < max; i++)
                if (def->hostdevs[i].boot_order) {
                        users[n].order = def->hostdevs[i].boot_order;
                        snprintf(users[n++].what, sizeof(users[0].what), "hostdev %zu", i);
                }
        for (size_t i = 0; i < def->n_redirdevs && n < max; i++)
                if (def->redirdevs[i].boot_order) {
                        users[n].order = def->redirdevs[i].boot_order;
                        snprintf(users[n++].what, sizeof(users[0].what), "redirdev %zu", i);
                }
        for (size_t i = 0; i < def->n_filesystems && n < max; i++)
                if (def->filesystems[i].boot_order) {
                        users[n].order = def->filesystems[i].boot_order;
                        snprintf(users[n++].what, sizeof(users[0].what), "filesystem '%s'", def->filesystems[i].dst);
                }
        return n;
}

static int validate_boot(const DomainDef *def, ConfError *err) {
        _cleanup_free_ BootUser *users = NULL;
        size_t max = def->n_disks + def->n_nets + def->n_hostdevs + def->n_redirdevs + def->n_filesystems, n;

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

/* ---- addresses: no two devices in one place ---- */

typedef struct AddrUser {
        unsigned key[8];        /* address type first, then what places it */
        const DomainDeviceAddress *addr;
        char what[96];
} AddrUser;

static int addr_user_cmp(const void *a, const void *b) {
        const AddrUser *x = a, *y = b;

        for (size_t i = 0; i < ELEMENTSOF(x->key); i++)
                if (x->key[i] != y->key[i])
                        return x->key[i] < y->key[i] ? -1 : 1;
        return 0;
}

/* Adds a device whose address pins it down (an empty PCI address, a
 * virtio-serial port or USB address without a port do not). */
static void add_user(AddrUser *users, size_t *n, const DomainDeviceAddress *a, unsigned drive_bus,
                     const char *fmt, ...) _printf_(5, 6);
static void add_user(AddrUser *users, size_t *n, const DomainDeviceAddress *a, unsigned drive_bus,
                     const char *fmt, ...) {
        AddrUser *u = &users[*n];
        va_list ap;

        switch (a->type) {
        case DOMAIN_ADDRESS_PCI:
                if (domain_address_pci_is_empty(a))
                        return;
                *u = (AddrUser) { .key = { a->type, a->domain, a->bus, a->slot, a->function } };
                break;
        case DOMAIN_ADDRESS_DRIVE:
                *u = (AddrUser) { .key = { a->type, drive_bus, a->controller, a->bus, a->target, a->unit } };
                break;
        case DOMAIN_ADDRESS_VIRTIO_SERIAL:
                if (!a->has_port)
                        return;
                *u = (AddrUser) { .key = { a->type, a->controller, a->bus, a->port } };
                break;
        case DOMAIN_ADDRESS_USB:
                if (a->n_usb_port == 0)
                        return;
                *u = (AddrUser) { .key = { a->type, a->bus, (unsigned) a->n_usb_port } };
                for (size_t i = 0; i < a->n_usb_port && i < DOMAIN_USB_PORT_DEPTH; i++)
                        u->key[3 + i] = a->usb_port[i];
                break;
        case DOMAIN_ADDRESS_ISA:
                if (!a->has_iobase)
                        return;
                *u = (AddrUser) { .key = { a->type, a->iobase } };
                break;
        default:
                return;
        }
        u->addr = a;
        va_start(ap, fmt);
        vsnprintf(u->what, sizeof(u->what), fmt, ap);
        va_end(ap);
        (*n)++;
}

/* A serial console with a serial port to show: the first serial's address
 * is its own (ISA, or PCI for a pci-serial). */
static bool console_repeats_serial(const DomainDef *def, const DomainChrDef *console) {
        if (console->addr.type == DOMAIN_ADDRESS_ISA)
                return true;
        if (console->target_type && !streq(console->target_type, "serial"))
                return false;
        for (size_t i = 0; i < def->n_chrs; i++)
                if (def->chrs[i].kind == DOMAIN_CHR_SERIAL)
                        return true;
        return false;
}

static size_t collect_addresses(const DomainDef *def, AddrUser *users) {
        size_t n = 0;

        for (size_t i = 0; i < def->n_disks; i++)
                add_user(users, &n, &def->disks[i].addr, def->disks[i].bus, "disk '%s'", def->disks[i].dst);
        for (size_t i = 0; i < def->n_controllers; i++)
                add_user(users, &n, &def->controllers[i].addr, 0, "controller '%s' index %u",
                         domain_controller_type_to_string(def->controllers[i].type), def->controllers[i].index);
        for (size_t i = 0; i < def->n_nets; i++) {
                const uint8_t *m = def->nets[i].mac;

                add_user(users, &n, &def->nets[i].addr, 0, "interface %02x:%02x:%02x:%02x:%02x:%02x",
                         m[0], m[1], m[2], m[3], m[4], m[5]);
        }
        for (size_t i = 0; i < def->n_chrs; i++) {
                const DomainChrDef *c = &def->chrs[i];

                if (c->kind == DOMAIN_CHR_CHANNEL)
                        add_user(users, &n, &c->addr, 0, "channel '%s'", c->target_name ?: "");
                else if (c->kind == DOMAIN_CHR_CONSOLE && console_repeats_serial(def, c))
                        continue;       /* the serial port it shows, whose address it repeats */
                else
                        add_user(users, &n, &c->addr, 0, "%s %u", domain_chr_kind_to_string(c->kind), c->port);
        }
        for (size_t i = 0; i < def->n_videos; i++)
                add_user(users, &n, &def->videos[i].addr, 0, "video %zu", i);
        for (size_t i = 0; i < def->n_inputs; i++)
                add_user(users, &n, &def->inputs[i].addr, 0, "input %zu ('%s')", i, def->inputs[i].type ?: "");
        for (size_t i = 0; i < def->n_sounds; i++)
                add_user(users, &n, &def->sounds[i].addr, 0, "sound %zu ('%s')", i,
                         domain_sound_model_to_string(def->sounds[i].model) ?: "");
        for (size_t i = 0; i < def->n_redirdevs; i++)
                add_user(users, &n, &def->redirdevs[i].addr, 0, "redirdev %zu", i);
        for (size_t i = 0; i < def->n_hubs; i++)
                add_user(users, &n, &def->hubs[i].addr, 0, "hub %zu", i);
        add_user(users, &n, &def->memballoon.addr, 0, "memballoon");
        for (size_t i = 0; i < def->n_rngs; i++)
                add_user(users, &n, &def->rngs[i].addr, 0, "rng %zu", i);
        for (size_t i = 0; i < def->n_filesystems; i++)
                add_user(users, &n, &def->filesystems[i].addr, 0, "filesystem '%s'", def->filesystems[i].dst);
        for (size_t i = 0; i < def->n_shmems; i++)
                add_user(users, &n, &def->shmems[i].addr, 0, "shmem '%s'", def->shmems[i].name);
        add_user(users, &n, &def->watchdog.addr, 0, "watchdog");
        add_user(users, &n, &def->vsock.addr, 0, "vsock");
        add_user(users, &n, &def->iommu.addr, 0, "iommu");
        for (size_t i = 0; i < def->n_mems; i++)
                add_user(users, &n, &def->mems[i].addr, 0, "memory device %zu", i);
        for (size_t i = 0; i < def->n_hostdevs; i++)
                add_user(users, &n, &def->hostdevs[i].addr,
                         def->hostdevs[i].type == DOMAIN_HOSTDEV_SCSI ? DOMAIN_DISK_BUS_SCSI : 0, "hostdev %zu", i);
        return n;
}

static int validate_addresses(const DomainDef *def, ConfError *err) {
        size_t max = def->n_disks + def->n_controllers + def->n_nets + def->n_chrs + def->n_videos +
                     def->n_inputs + def->n_sounds + def->n_redirdevs + def->n_rngs + def->n_filesystems + def->n_hubs + def->n_hostdevs + def->n_mems + def->n_shmems + 4, n;
        _cleanup_free_ AddrUser *users = calloc(max, sizeof(AddrUser));
        char where[64];

        if (!users)
                return xml_err_oom(err);
        /* sorted, the same places are neighbours: no quadratic walk over a big document */
        n = collect_addresses(def, users);
        qsort(users, n, sizeof(AddrUser), addr_user_cmp);
        for (size_t i = 1; i < n; i++)
                if (addr_user_cmp(&users[i - 1], &users[i]) == 0) {
                        domain_address_to_string(users[i].addr, where, sizeof(where));
                        return xml_err_invalid(err, "address %s is used twice, by %s and by %s (<address/>)",
                                               where, users[i - 1].what, users[i].what);
                }
        return 0;
}

/* Two virtio-serial ports cannot have one name (the guest finds them by it). */
static int validate_channels(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_chrs; i++) {
                const DomainChrDef *c = &def->chrs[i];

                if (c->kind != DOMAIN_CHR_CHANNEL || !c->target_name)
                        continue;
                /* quadratic, but over at most DOMAIN_LIST_MAX short names */
                for (size_t j = 0; j < i; j++)
                        if (def->chrs[j].kind == DOMAIN_CHR_CHANNEL && streq_ptr(def->chrs[j].target_name, c->target_name))
                                return xml_err_invalid(err, "two <devices/channel> have the target name '%s'",
                                                       c->target_name);
        }
        return 0;
}

/* Each <audio> has its own id; a <sound> names one that exists. */
static int validate_audio(const DomainDef *def, ConfError *err) {
        bool seen[256] = {};

        for (size_t i = 0; i < def->n_audios; i++) {
                unsigned id = def->audios[i].id;

                if (id == 0 || id > 255)
                        return xml_err_invalid(err, "<devices/audio> id %u is out of range: 1 to 255", id);
                if (seen[id])
                        return xml_err_invalid(err, "two <devices/audio> have the id %u", id);
                seen[id] = true;
        }
        for (size_t i = 0; i < def->n_sounds; i++) {
                unsigned id = def->sounds[i].audio_id;

                if (id && (id > 255 || !seen[id]))
                        return xml_err_invalid(err, "sound %zu: <devices/sound/audio id='%u'/> names no "
                                               "<devices/audio> of the domain", i, id);
        }
        for (size_t i = 0; i < def->n_graphics; i++) {
                unsigned id = def->graphics[i].audio_id;

                if (id && (id > 255 || !seen[id]))
                        return xml_err_invalid(err, "graphics %zu: <devices/graphics/audio id='%u'/> names no "
                                               "<devices/audio> of the domain", i, id);
        }
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
        r = validate_addresses(def, err);
        if (r < 0)
                return r;
        r = validate_channels(def, err);
        if (r < 0)
                return r;
        r = validate_audio(def, err);
        if (r < 0)
                return r;
        r = domain_validate_filesystems(def, err);
        if (r < 0)
                return r;
        r = domain_validate_shmems(def, err);
        if (r < 0)
                return r;
        r = domain_validate_idmap(def, err);
        if (r < 0)
                return r;
        r = domain_validate_platform_devs(def, err);
        if (r < 0)
                return r;
        r = domain_validate_hostdevs(def, err);
        if (r < 0)
                return r;
        r = domain_validate_aliases(def, err);
        if (r < 0)
                return r;
        return validate_videos(def, err);
}
