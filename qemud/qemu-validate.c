/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-command-secret.h"
#include "qemu-graphics-gl.h"
#include "qemu-hostdev.h"
#include "qemu-memdev.h"
#include "qemu-tpm.h"
#include "qemu-shmem.h"
#include "qemu-validate.h"
#include "qemu-virtiofs.h"
#include "util.h"
#include "xml-util.h"

/* The domain, its OS and the parts only a container has. */
static int validate_kind(const DomainDef *def, ConfError *err) {
        if (def->virt_type != DOMAIN_VIRT_QEMU && def->virt_type != DOMAIN_VIRT_KVM)
                return xml_err_unsupported(err, "the QEMU driver does not support <domain type='%s'>: "
                                           "only 'qemu' or 'kvm'", domain_virt_type_to_string(def->virt_type));
        /* QEMU/KVM guests are full machines: no exe (container) OS type */
        if (def->os.type && !streq(def->os.type, "hvm"))
                return xml_err_unsupported(err, "the QEMU driver does not support <os><type>%s</type>: "
                                           "only 'hvm'", def->os.type);
        /* <idmap> is kept as given and not used, as libvirt 9.0's QEMU
         * driver does (its memory-hotplug fixtures carry one). */
        return 0;
}

/* What QEMU 7.2's block drivers take of a network source: curl has no
 * tftp. sheepdog and vxhs are gone from QEMU too, but libvirt 9.0 defines
 * them (its host count and transport checks come at start): the start
 * refuses them (qemu-disk-legacy.c). */
static int validate_disk_net(const DomainDiskDef *d, ConfError *err) {
        const DomainDiskNetSource *s = d->net;
        const char *proto = domain_disk_protocol_to_string(s->protocol);
        bool gluster = s->protocol == DOMAIN_DISK_PROTOCOL_GLUSTER;

        if (s->protocol == DOMAIN_DISK_PROTOCOL_TFTP)
                return xml_err_unsupported(err, "disk '%s': network protocol '%s' of <devices/disk/source> is not "
                                           "supported: QEMU has no block driver for it", d->dst, proto);
        if (s->protocol == DOMAIN_DISK_PROTOCOL_SHEEPDOG || s->protocol == DOMAIN_DISK_PROTOCOL_VXHS)
                return 0;
        if (s->protocol != DOMAIN_DISK_PROTOCOL_RBD && !gluster && s->n_hosts != 1)
                return xml_err_invalid(err, "disk '%s': protocol '%s' accepts only one host "
                                       "(<devices/disk/source/host>)", d->dst, proto);
        if (gluster && s->n_hosts == 0)
                return xml_err_invalid(err, "disk '%s': missing <devices/disk/source/host> for protocol 'gluster'",
                                       d->dst);
        for (size_t i = 0; i < s->n_hosts; i++) {
                DomainDiskTransport t = s->hosts[i].transport;

                if (t == DOMAIN_DISK_TRANSPORT_RDMA ||
                    (t == DOMAIN_DISK_TRANSPORT_UNIX && s->protocol != DOMAIN_DISK_PROTOCOL_NBD && !gluster))
                        return xml_err_unsupported(err, "disk '%s': transport '%s' of <devices/disk/source/host> is "
                                                   "not supported for protocol '%s'", d->dst,
                                                   domain_disk_transport_to_string(t), proto);
        }
        if (s->protocol == DOMAIN_DISK_PROTOCOL_GLUSTER && (!strchr(s->name, '/') || s->name[0] == '/'))
                return xml_err_invalid(err, "disk '%s': gluster source name '%s' is not 'volume/path'", d->dst,
                                       s->name);
        return 0;
}

/* <nvram type='network'>: a network disk's source, as libvirt without
 * slices; an encrypted store is not built. */
static int validate_nvram_net(const DomainDiskDef *d, ConfError *err) {
        if (d->slice.set)
                return xml_err_unsupported(err, "slices are not supported with NVRAM (<os/nvram/source/slices>)");
        if (d->encryption)
                return xml_err_unsupported(err, "<os/nvram/source/encryption> is not supported by qemud");
        return validate_disk_net(d, err) ?: qemu_validate_disk_secrets(d, err);
}

static int validate_disk(const DomainDiskDef *d, ConfError *err) {
        if (d->net) {
                int r = validate_disk_net(d, err);
                if (r < 0)
                        return r;
        }
        if (d->auth || d->encryption) {
                int r = qemu_validate_disk_secrets(d, err);
                if (r < 0)
                        return r;
        }
        if (d->n_backing) {
                int r = qemu_validate_backing_layers(d, validate_disk_net, err);
                if (r < 0)
                        return r;
        }
        if (d->driver_name && !streq(d->driver_name, "qemu"))
                return xml_err_unsupported(err, "disk driver '%s' in <devices/disk/driver> is not supported, "
                                           "only 'qemu'", d->driver_name);
        /* aio=native bypasses the page cache: QEMU needs O_DIRECT for it */
        if (d->io == DOMAIN_DISK_IO_NATIVE &&
            d->cache != DOMAIN_DISK_CACHE_NONE && d->cache != DOMAIN_DISK_CACHE_DIRECTSYNC)
                return xml_err_unsupported(err, "disk '%s': io='native' in <devices/disk/driver> needs "
                                           "cache='none' or cache='directsync'", d->dst);
        if (d->readonly && d->bus == DOMAIN_DISK_BUS_IDE && d->device == DOMAIN_DISK_DEVICE_DISK)
                return xml_err_unsupported(err, "disk '%s': <devices/disk/readonly> IDE hard disks are not "
                                           "supported by QEMU", d->dst);
        /* libvirt 9.0 makes a cdrom on usb a usb-storage as well; a floppy or lun is not one */
        if (d->bus == DOMAIN_DISK_BUS_USB && d->device != DOMAIN_DISK_DEVICE_DISK &&
            d->device != DOMAIN_DISK_DEVICE_CDROM)
                return xml_err_unsupported(err, "disk '%s': a %s on bus 'usb' is not supported, only a disk",
                                           d->dst, domain_disk_device_to_string(d->device));
        /* virtio-blk's own properties */
        if (d->bus != DOMAIN_DISK_BUS_VIRTIO && d->ioeventfd != TRISTATE_ABSENT)
                return xml_err_unsupported(err, "disk '%s': disk ioeventfd mode (<devices/disk/driver ioeventfd>) "
                                           "supported only for virtio bus", d->dst);
        if (d->bus != DOMAIN_DISK_BUS_VIRTIO && d->event_idx != TRISTATE_ABSENT)
                return xml_err_unsupported(err, "disk '%s': disk event_idx mode (<devices/disk/driver event_idx>) "
                                           "supported only for virtio bus", d->dst);
        return qemu_validate_disk_extras(d, err);
}

/* What the QEMU driver takes of an <interface> (libvirt's
 * qemuValidateDomainDeviceDefNetwork and the like): the types and
 * sub-elements a model or a type has no use for are refused, naming them. */
static bool net_is_tap(const DomainNetDef *n) {
        return n->type == DOMAIN_NET_NETWORK || n->type == DOMAIN_NET_BRIDGE || n->type == DOMAIN_NET_ETHERNET;
}

static int validate_net_type(const DomainNetDef *n, size_t i, bool virtio, ConfError *err) {
        const char *type = domain_net_type_to_string(n->type);

        if ((n->opts.script || n->opts.downscript) && n->type != DOMAIN_NET_ETHERNET)
                return xml_err_unsupported(err, "interface %zu: scripts are not supported on interfaces of type %s",
                                           i, type);
        /* a <backend tap=''> of another type is kept and unused, as libvirt does */
        if (n->opts.target_managed == TRISTATE_OFF && n->type != DOMAIN_NET_ETHERNET)
                return xml_err_unsupported(err, "interface %zu: unmanaged target dev (<target managed='no'>) is "
                                           "only supported for interface type 'ethernet', not '%s'", i, type);
        if (n->opts.target_managed == TRISTATE_OFF && !n->ifname)
                return xml_err_xml(err, "interface %zu: <target managed='no'> needs the name of an existing tap "
                                   "in dev=''", i);
        if (n->type == DOMAIN_NET_VHOSTUSER && !virtio)
                return xml_err_unsupported(err, "interface %zu: Wrong or no <model> 'type' attribute specified with "
                                           "<interface type='vhostuser'/>. vhostuser requires the virtio-net* "
                                           "frontend", i);
        if (n->type == DOMAIN_NET_VDPA && n->model && !virtio)
                return xml_err_unsupported(err, "interface %zu: vDPA devices need a virtio model, not '%s'", i,
                                           n->model);
        if (n->opts.coalesce && !net_is_tap(n))
                return xml_err_unsupported(err, "interface %zu: coalesce settings on interface type %s are not "
                                           "supported", i, type);
        if (n->opts.teaming == DOMAIN_NET_TEAMING_TRANSIENT && n->type != DOMAIN_NET_NETWORK)
                return xml_err_unsupported(err, "interface %zu: teaming type 'transient' is only for a host PCI "
                                           "device (type 'hostdev', or a network of them), not type '%s'", i, type);
        return 0;
}

static int validate_net(const DomainNetDef *n, size_t i, ConfError *err) {
        bool virtio = domain_net_is_virtio(n) || (!n->model && n->type == DOMAIN_NET_VDPA);
        const DomainNetOpts *o = &n->opts;
        int r = validate_net_type(n, i, virtio, err);

        if (r >= 0)
                r = qemu_validate_net_guest_ips(n, i, err);
        if (r < 0)
                return r;
        /* <driver>: virtio-net's options; name='vhost' and queues are kept
         * and left out for other models, as libvirt does */
        if (!virtio && (n->driver_txmode || n->driver_ioeventfd || n->driver_event_idx || n->driver_rx_queue_size ||
                        n->driver_tx_queue_size || domain_net_driver_opts_set(n)))
                return xml_err_unsupported(err, "interface %zu: <devices/interface/driver> options are only "
                                           "supported for model type 'virtio', not '%s'", i, n->model ?: "rtl8139");
        if (!virtio && domain_virtio_opts_set(&n->virtio))
                return xml_err_unsupported(err, "interface %zu: iommu, ats, packed and page_per_vq of "
                                           "<devices/interface/driver> are only supported for model type "
                                           "'virtio', not '%s'", i, n->model ?: "rtl8139");
        /* <mtu>: by type, a define-time rule (qemu-rules.c); a model other
         * than virtio-net gets only its host side's MTU, as in libvirt */
        if (!virtio && o->teaming == DOMAIN_NET_TEAMING_PERSISTENT)
                return xml_err_unsupported(err, "interface %zu: teaming type 'persistent' needs a virtio model "
                                           "(virtio-net's failover)", i);
        return 0;
}

/* A machine's <filesystem>: a host directory shared through virtio-9p or
 * virtiofs (qemu-virtiofs.c). */
static int validate_fs(const DomainDef *def, const DomainFsDef *fs, ConfError *err) {
        const char *dt = fs->driver_type;

        if (fs->type != DOMAIN_FS_MOUNT)
                return xml_err_unsupported(err, "filesystem '%s': the QEMU driver does not support <filesystem "
                                           "type='%s'>, only 'mount'", fs->dst, domain_fs_type_to_string(fs->type));
        if (fs->virtiofs)
                return qemu_virtiofs_validate(def, fs, err);
        if (fs->binary.sandbox)
                return xml_err_unsupported(err, "filesystem '%s': sandbox can only be used with driver=virtiofs",
                                           fs->dst);
        if (dt && !streq(dt, "path") && !streq(dt, "handle"))
                return xml_err_unsupported(err, "filesystem '%s': driver type '%s' of <devices/filesystem/driver> "
                                           "is not supported by the QEMU driver, only 'path' or 'handle'", fs->dst, dt);
        if (fs->driver_format)
                return xml_err_unsupported(err, "filesystem '%s': attribute 'format' of <devices/filesystem/driver> "
                                           "is not supported by the QEMU driver", fs->dst);
        return 0;
}

/* libvirt's limits for QEMU's QXL memory bars. */
static int validate_video(const DomainVideoDef *v, size_t i, ConfError *err) {
        /* QEMU has virgl on virtio-gpu only, and no 2D acceleration */
        if (v->accel3d == TRISTATE_ON && !streq_ptr(v->model, "virtio"))
                return xml_err_unsupported(err, "video %zu: %s 3d acceleration is not supported", i,
                                           v->model ?: "vga");
        if (v->accel2d == TRISTATE_ON)
                return xml_err_unsupported(err, "video %zu: qemu does not support the accel2d setting", i);
        if (!streq_ptr(v->model, "qxl"))
                return 0;
        if ((v->ram && v->ram < 1024) || (v->vram && v->vram < 1024) || (v->vgamem && v->vgamem < 1024))
                return xml_err_invalid(err, "video %zu: ram, vram and vgamem of <devices/video/model> "
                                       "must be at least 1024 KiB (1 MiB)", i);
        if (v->vgamem & (v->vgamem - 1))
                return xml_err_invalid(err, "video %zu: vgamem '%u' of <devices/video/model> must be a "
                                       "power of two", i, v->vgamem);
        return 0;
}

/* Which timer values QEMU honours on a PC. */
static int validate_timer(const DomainTimerDef *t, ConfError *err) {
        const char *tp = domain_timer_tickpolicy_to_string(t->tickpolicy);

        switch (t->name) {
        case DOMAIN_TIMER_RTC:
                if (t->tickpolicy == DOMAIN_TIMER_TICKPOLICY_MERGE ||
                    t->tickpolicy == DOMAIN_TIMER_TICKPOLICY_DISCARD)
                        return xml_err_unsupported(err, "tickpolicy '%s' of timer 'rtc' in <clock/timer> is not "
                                                   "supported, only 'delay' or 'catchup'", tp);
                if (t->track == DOMAIN_TIMER_TRACK_BOOT)
                        return xml_err_unsupported(err, "track 'boot' of timer 'rtc' in <clock/timer> is not "
                                                   "supported, only 'guest', 'wall' or 'realtime'");
                if (t->present == TRISTATE_OFF)
                        return xml_err_unsupported(err, "present='no' of timer 'rtc' in <clock/timer> is not "
                                                   "supported: a PC always has its RTC");
                return 0;
        case DOMAIN_TIMER_PIT:
                if (t->tickpolicy == DOMAIN_TIMER_TICKPOLICY_MERGE)
                        return xml_err_unsupported(err, "tickpolicy 'merge' of timer 'pit' in <clock/timer> is not "
                                                   "supported, only 'delay', 'catchup' or 'discard'");
                return 0;
        /* hpet: QEMU's has no tick policy; libvirt keeps one given and sets
         * nothing for it, and so do we */
        default:
                return 0;
        }
}

/* <console><target type='lxc'/> is a container's console. */
static int validate_consoles(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_chrs; i++)
                if (def->chrs[i].kind == DOMAIN_CHR_CONSOLE && streq_ptr(def->chrs[i].target_type, "lxc"))
                        return xml_err_unsupported(err, "console target type 'lxc' is not supported by the QEMU "
                                                   "driver: it is a container's");
        return 0;
}

int qemu_validate_def(const DomainDef *def, ConfError *err) {
        int r;

        r = validate_kind(def, err);
        if (r < 0)
                return r;
        r = qemu_hostdev_validate(def, err) ?: qemu_memdev_validate(def, err) ?:
            qemu_tpm_validate(def, err) ?: validate_consoles(def, err) ?:
            qemu_platform_validate(def, err) ?: qemu_vcpus_validate(def, err) ?: qemu_shmem_validate(def, err);
        if (r < 0)
                return r;
        r = qemu_graphics_validate(def, err) ?: (def->os.nvram_net ? validate_nvram_net(def->os.nvram_net, err) : 0);
        if (r < 0)
                return r;
        for (size_t i = 0; i < def->n_disks; i++) {
                r = validate_disk(&def->disks[i], err);
                if (r < 0)
                        return r;
        }
        r = qemu_validate_disks_machine(def, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < def->clock.n_timers && i < _DOMAIN_TIMER_MAX; i++) {
                r = validate_timer(&def->clock.timers[i], err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_videos; i++) {
                r = validate_video(&def->videos[i], i, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_nets; i++) {
                r = validate_net(&def->nets[i], i, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_filesystems; i++) {
                r = validate_fs(def, &def->filesystems[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}
