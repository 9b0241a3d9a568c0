/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "domain-conf-internal.h"
#include "error.h"
#include "util.h"
#include "uuid.h"

/* ---- string tables: one per enum, for parser and formatter ---------------- */

static const char *const domain_virt_type_table[_DOMAIN_VIRT_MAX] = {
        [DOMAIN_VIRT_QEMU] = "qemu",
        [DOMAIN_VIRT_KVM] = "kvm",
        [DOMAIN_VIRT_LXC] = "lxc",
};

static const char *const domain_lifecycle_action_table[_DOMAIN_ACTION_MAX] = {
        [DOMAIN_ACTION_DESTROY] = "destroy",
        [DOMAIN_ACTION_RESTART] = "restart",
        [DOMAIN_ACTION_PRESERVE] = "preserve",
        [DOMAIN_ACTION_RENAME_RESTART] = "rename-restart",
        [DOMAIN_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
        [DOMAIN_ACTION_COREDUMP_RESTART] = "coredump-restart",
};

static const char *const domain_boot_dev_table[_DOMAIN_BOOT_MAX] = {
        [DOMAIN_BOOT_HD] = "hd",
        [DOMAIN_BOOT_CDROM] = "cdrom",
        [DOMAIN_BOOT_NETWORK] = "network",
        [DOMAIN_BOOT_FD] = "fd",
};

static const char *const domain_loader_type_table[_DOMAIN_LOADER_MAX] = {
        [DOMAIN_LOADER_ROM] = "rom",
        [DOMAIN_LOADER_PFLASH] = "pflash",
};

static const char *const domain_cpu_mode_table[_DOMAIN_CPU_MODE_MAX] = {
        [DOMAIN_CPU_MODE_CUSTOM] = "custom",
        [DOMAIN_CPU_MODE_HOST_MODEL] = "host-model",
        [DOMAIN_CPU_MODE_HOST_PASSTHROUGH] = "host-passthrough",
        [DOMAIN_CPU_MODE_MAXIMUM] = "maximum",
};

static const char *const domain_cpu_feature_policy_table[_DOMAIN_CPU_FEATURE_MAX] = {
        [DOMAIN_CPU_FEATURE_FORCE] = "force",
        [DOMAIN_CPU_FEATURE_REQUIRE] = "require",
        [DOMAIN_CPU_FEATURE_OPTIONAL] = "optional",
        [DOMAIN_CPU_FEATURE_DISABLE] = "disable",
        [DOMAIN_CPU_FEATURE_FORBID] = "forbid",
};

static const char *const domain_clock_offset_table[_DOMAIN_CLOCK_MAX] = {
        [DOMAIN_CLOCK_UTC] = "utc",
        [DOMAIN_CLOCK_LOCALTIME] = "localtime",
        [DOMAIN_CLOCK_VARIABLE] = "variable",
        [DOMAIN_CLOCK_TIMEZONE] = "timezone",
        [DOMAIN_CLOCK_ABSOLUTE] = "absolute",
};

static const char *const domain_clock_basis_table[_DOMAIN_CLOCK_BASIS_MAX] = {
        [DOMAIN_CLOCK_BASIS_UTC] = "utc",
        [DOMAIN_CLOCK_BASIS_LOCALTIME] = "localtime",
};

static const char *const domain_disk_type_table[_DOMAIN_DISK_TYPE_MAX] = {
        [DOMAIN_DISK_TYPE_FILE] = "file",
        [DOMAIN_DISK_TYPE_BLOCK] = "block",
        [DOMAIN_DISK_TYPE_VOLUME] = "volume",
        [DOMAIN_DISK_TYPE_NETWORK] = "network",
        [DOMAIN_DISK_TYPE_DIR] = "dir",
        [DOMAIN_DISK_TYPE_NVME] = "nvme",
        [DOMAIN_DISK_TYPE_VHOSTUSER] = "vhostuser",
};

static const char *const domain_disk_protocol_table[_DOMAIN_DISK_PROTOCOL_MAX] = {
        [DOMAIN_DISK_PROTOCOL_NBD] = "nbd",
        [DOMAIN_DISK_PROTOCOL_ISCSI] = "iscsi",
        [DOMAIN_DISK_PROTOCOL_RBD] = "rbd",
        [DOMAIN_DISK_PROTOCOL_SHEEPDOG] = "sheepdog",
        [DOMAIN_DISK_PROTOCOL_GLUSTER] = "gluster",
        [DOMAIN_DISK_PROTOCOL_VXHS] = "vxhs",
        [DOMAIN_DISK_PROTOCOL_NFS] = "nfs",
        [DOMAIN_DISK_PROTOCOL_HTTP] = "http",
        [DOMAIN_DISK_PROTOCOL_HTTPS] = "https",
        [DOMAIN_DISK_PROTOCOL_FTP] = "ftp",
        [DOMAIN_DISK_PROTOCOL_FTPS] = "ftps",
        [DOMAIN_DISK_PROTOCOL_TFTP] = "tftp",
};

static const char *const domain_memory_source_table[_DOMAIN_MEMORY_SOURCE_MAX] = {
        [DOMAIN_MEMORY_SOURCE_ANONYMOUS] = "anonymous",
        [DOMAIN_MEMORY_SOURCE_FILE] = "file",
        [DOMAIN_MEMORY_SOURCE_MEMFD] = "memfd",
};

static const char *const domain_memory_access_table[_DOMAIN_MEMORY_ACCESS_MAX] = {
        [DOMAIN_MEMORY_ACCESS_SHARED] = "shared",
        [DOMAIN_MEMORY_ACCESS_PRIVATE] = "private",
};

static const char *const domain_memory_allocation_table[_DOMAIN_MEMORY_ALLOCATION_MAX] = {
        [DOMAIN_MEMORY_ALLOCATION_IMMEDIATE] = "immediate",
        [DOMAIN_MEMORY_ALLOCATION_ONDEMAND] = "ondemand",
};

static const char *const domain_disk_transport_table[_DOMAIN_DISK_TRANSPORT_MAX] = {
        [DOMAIN_DISK_TRANSPORT_TCP] = "tcp",
        [DOMAIN_DISK_TRANSPORT_UNIX] = "unix",
        [DOMAIN_DISK_TRANSPORT_RDMA] = "rdma",
};

static const char *const domain_disk_device_table[_DOMAIN_DISK_DEVICE_MAX] = {
        [DOMAIN_DISK_DEVICE_DISK] = "disk",
        [DOMAIN_DISK_DEVICE_CDROM] = "cdrom",
        [DOMAIN_DISK_DEVICE_FLOPPY] = "floppy",
        [DOMAIN_DISK_DEVICE_LUN] = "lun",
};

static const char *const domain_disk_bus_table[_DOMAIN_DISK_BUS_MAX] = {
        [DOMAIN_DISK_BUS_VIRTIO] = "virtio",
        [DOMAIN_DISK_BUS_SATA] = "sata",
        [DOMAIN_DISK_BUS_SCSI] = "scsi",
        [DOMAIN_DISK_BUS_IDE] = "ide",
        [DOMAIN_DISK_BUS_FDC] = "fdc",
        [DOMAIN_DISK_BUS_USB] = "usb",
        [DOMAIN_DISK_BUS_SD] = "sd",
};

static const char *const domain_disk_format_table[_DOMAIN_DISK_FORMAT_MAX] = {
        [DOMAIN_DISK_FORMAT_RAW] = "raw",
        [DOMAIN_DISK_FORMAT_QCOW2] = "qcow2",
        [DOMAIN_DISK_FORMAT_FAT] = "fat",
        [DOMAIN_DISK_FORMAT_VMDK] = "vmdk",
};

/* cache='default' is accepted and means "not given" (never formatted). */
static const char *const domain_disk_cache_table[_DOMAIN_DISK_CACHE_MAX] = {
        [DOMAIN_DISK_CACHE_DEFAULT] = "default",
        [DOMAIN_DISK_CACHE_NONE] = "none",
        [DOMAIN_DISK_CACHE_WRITETHROUGH] = "writethrough",
        [DOMAIN_DISK_CACHE_WRITEBACK] = "writeback",
        [DOMAIN_DISK_CACHE_DIRECTSYNC] = "directsync",
        [DOMAIN_DISK_CACHE_UNSAFE] = "unsafe",
};

static const char *const domain_disk_io_table[_DOMAIN_DISK_IO_MAX] = {
        [DOMAIN_DISK_IO_THREADS] = "threads",
        [DOMAIN_DISK_IO_NATIVE] = "native",
        [DOMAIN_DISK_IO_URING] = "io_uring",
};

static const char *const domain_disk_discard_table[_DOMAIN_DISK_DISCARD_MAX] = {
        [DOMAIN_DISK_DISCARD_UNMAP] = "unmap",
        [DOMAIN_DISK_DISCARD_IGNORE] = "ignore",
};

static const char *const domain_controller_type_table[_DOMAIN_CONTROLLER_MAX] = {
        [DOMAIN_CONTROLLER_PCI] = "pci",
        [DOMAIN_CONTROLLER_USB] = "usb",
        [DOMAIN_CONTROLLER_SCSI] = "scsi",
        [DOMAIN_CONTROLLER_SATA] = "sata",
        [DOMAIN_CONTROLLER_IDE] = "ide",
        [DOMAIN_CONTROLLER_FDC] = "fdc",
        [DOMAIN_CONTROLLER_CCID] = "ccid",
        [DOMAIN_CONTROLLER_VIRTIO_SERIAL] = "virtio-serial",
};

static const char *const domain_fs_type_table[_DOMAIN_FS_MAX] = {
        [DOMAIN_FS_MOUNT] = "mount",
        [DOMAIN_FS_BLOCK] = "block",
        [DOMAIN_FS_FILE] = "file",
        [DOMAIN_FS_RAM] = "ram",
};

static const char *const domain_fs_access_mode_table[_DOMAIN_FS_ACCESS_MAX] = {
        [DOMAIN_FS_ACCESS_PASSTHROUGH] = "passthrough",
        [DOMAIN_FS_ACCESS_MAPPED] = "mapped",
        [DOMAIN_FS_ACCESS_SQUASH] = "squash",
};

static const char *const domain_net_type_table[_DOMAIN_NET_MAX] = {
        [DOMAIN_NET_USER] = "user",
        [DOMAIN_NET_NETWORK] = "network",
        [DOMAIN_NET_BRIDGE] = "bridge",
        [DOMAIN_NET_ETHERNET] = "ethernet",
        [DOMAIN_NET_VHOSTUSER] = "vhostuser",
        [DOMAIN_NET_SERVER] = "server",
        [DOMAIN_NET_CLIENT] = "client",
        [DOMAIN_NET_MCAST] = "mcast",
        [DOMAIN_NET_UDP] = "udp",
        [DOMAIN_NET_VDPA] = "vdpa",
        [DOMAIN_NET_DIRECT] = "direct",
};

static const char *const domain_chr_type_table[_DOMAIN_CHR_MAX] = {
        [DOMAIN_CHR_PTY] = "pty",
        [DOMAIN_CHR_FILE] = "file",
        [DOMAIN_CHR_UNIX] = "unix",
        [DOMAIN_CHR_SPICEVMC] = "spicevmc",
        [DOMAIN_CHR_NULL] = "null",
        [DOMAIN_CHR_VC] = "vc",
        [DOMAIN_CHR_PIPE] = "pipe",
        [DOMAIN_CHR_DEV] = "dev",
        [DOMAIN_CHR_TCP] = "tcp",
        [DOMAIN_CHR_UDP] = "udp",
        [DOMAIN_CHR_QEMU_VDAGENT] = "qemu-vdagent",
        [DOMAIN_CHR_STDIO] = "stdio",
        [DOMAIN_CHR_SPICEPORT] = "spiceport",
        [DOMAIN_CHR_DBUS] = "dbus",
};

static const char *const domain_chr_kind_table[_DOMAIN_CHR_KIND_MAX] = {
        [DOMAIN_CHR_SERIAL] = "serial",
        [DOMAIN_CHR_PARALLEL] = "parallel",
        [DOMAIN_CHR_CONSOLE] = "console",
        [DOMAIN_CHR_CHANNEL] = "channel",
};

static const char *const domain_graphics_type_table[_DOMAIN_GRAPHICS_MAX] = {
        [DOMAIN_GRAPHICS_VNC] = "vnc",
        [DOMAIN_GRAPHICS_SPICE] = "spice",
        [DOMAIN_GRAPHICS_SDL] = "sdl",
        [DOMAIN_GRAPHICS_EGL_HEADLESS] = "egl-headless",
        [DOMAIN_GRAPHICS_DBUS] = "dbus",
};

static const char *const domain_spice_channel_table[_DOMAIN_SPICE_CHANNEL_MAX] = {
        [DOMAIN_SPICE_CHANNEL_MAIN] = "main",           [DOMAIN_SPICE_CHANNEL_DISPLAY] = "display",
        [DOMAIN_SPICE_CHANNEL_INPUTS] = "inputs",       [DOMAIN_SPICE_CHANNEL_CURSOR] = "cursor",
        [DOMAIN_SPICE_CHANNEL_PLAYBACK] = "playback",   [DOMAIN_SPICE_CHANNEL_RECORD] = "record",
        [DOMAIN_SPICE_CHANNEL_SMARTCARD] = "smartcard", [DOMAIN_SPICE_CHANNEL_USBREDIR] = "usbredir",
};

static const char *const domain_spice_mode_table[_DOMAIN_SPICE_MODE_MAX] = {
        [DOMAIN_SPICE_MODE_ANY] = "any",
        [DOMAIN_SPICE_MODE_SECURE] = "secure",
        [DOMAIN_SPICE_MODE_INSECURE] = "insecure",
};

static const char *const domain_sound_model_table[_DOMAIN_SOUND_MAX] = {
        [DOMAIN_SOUND_SB16] = "sb16",
        [DOMAIN_SOUND_ES1370] = "es1370",
        [DOMAIN_SOUND_AC97] = "ac97",
        [DOMAIN_SOUND_ICH6] = "ich6",
        [DOMAIN_SOUND_ICH9] = "ich9",
        [DOMAIN_SOUND_USB] = "usb",
        [DOMAIN_SOUND_PCSPK] = "pcspk",
};

static const char *const domain_sound_codec_table[_DOMAIN_SOUND_CODEC_MAX] = {
        [DOMAIN_SOUND_CODEC_DUPLEX] = "duplex",
        [DOMAIN_SOUND_CODEC_MICRO] = "micro",
        [DOMAIN_SOUND_CODEC_OUTPUT] = "output",
};

static const char *const domain_audio_type_table[_DOMAIN_AUDIO_MAX] = {
        [DOMAIN_AUDIO_NONE] = "none",
        [DOMAIN_AUDIO_SPICE] = "spice",
        [DOMAIN_AUDIO_ALSA] = "alsa",
        [DOMAIN_AUDIO_COREAUDIO] = "coreaudio",
        [DOMAIN_AUDIO_JACK] = "jack",
        [DOMAIN_AUDIO_OSS] = "oss",
        [DOMAIN_AUDIO_PULSEAUDIO] = "pulseaudio",
        [DOMAIN_AUDIO_SDL] = "sdl",
        [DOMAIN_AUDIO_FILE] = "file",
        [DOMAIN_AUDIO_DBUS] = "dbus",
};

static const char *const domain_watchdog_model_table[_DOMAIN_WATCHDOG_MODEL_MAX] = {
        [DOMAIN_WATCHDOG_MODEL_I6300ESB] = "i6300esb",
        [DOMAIN_WATCHDOG_MODEL_IB700] = "ib700",
};

static const char *const domain_watchdog_action_table[_DOMAIN_WATCHDOG_ACTION_MAX] = {
        [DOMAIN_WATCHDOG_ACTION_RESET] = "reset",
        [DOMAIN_WATCHDOG_ACTION_SHUTDOWN] = "shutdown",
        [DOMAIN_WATCHDOG_ACTION_POWEROFF] = "poweroff",
        [DOMAIN_WATCHDOG_ACTION_PAUSE] = "pause",
        [DOMAIN_WATCHDOG_ACTION_NONE] = "none",
        [DOMAIN_WATCHDOG_ACTION_DUMP] = "dump",
        [DOMAIN_WATCHDOG_ACTION_INJECT_NMI] = "inject-nmi",
};

static const char *const domain_panic_model_table[_DOMAIN_PANIC_MAX] = {
        [DOMAIN_PANIC_ISA] = "isa",
        [DOMAIN_PANIC_HYPERV] = "hyperv",
};

static const char *const domain_iommu_model_table[_DOMAIN_IOMMU_MAX] = {
        [DOMAIN_IOMMU_INTEL] = "intel",
        [DOMAIN_IOMMU_VIRTIO] = "virtio",
};

static const char *const domain_timer_name_table[_DOMAIN_TIMER_MAX] = {
        [DOMAIN_TIMER_RTC] = "rtc",
        [DOMAIN_TIMER_PIT] = "pit",
        [DOMAIN_TIMER_HPET] = "hpet",
        [DOMAIN_TIMER_KVMCLOCK] = "kvmclock",
        [DOMAIN_TIMER_HYPERVCLOCK] = "hypervclock",
        [DOMAIN_TIMER_TSC] = "tsc",
};

static const char *const domain_firmware_table[_DOMAIN_FIRMWARE_MAX] = {
        [DOMAIN_FIRMWARE_BIOS] = "bios",
        [DOMAIN_FIRMWARE_EFI] = "efi",
};

static const char *const domain_hyperv_mode_table[_DOMAIN_HYPERV_MODE_MAX] = {
        [DOMAIN_HYPERV_MODE_CUSTOM] = "custom",
        [DOMAIN_HYPERV_MODE_PASSTHROUGH] = "passthrough",
};

static const char *const domain_hyperv_feature_table[_DOMAIN_HYPERV_MAX] = {
        [DOMAIN_HYPERV_RELAXED] = "relaxed",
        [DOMAIN_HYPERV_VAPIC] = "vapic",
        [DOMAIN_HYPERV_SPINLOCKS] = "spinlocks",
        [DOMAIN_HYPERV_VPINDEX] = "vpindex",
        [DOMAIN_HYPERV_RUNTIME] = "runtime",
        [DOMAIN_HYPERV_SYNIC] = "synic",
        [DOMAIN_HYPERV_STIMER] = "stimer",
        [DOMAIN_HYPERV_RESET] = "reset",
        [DOMAIN_HYPERV_VENDOR_ID] = "vendor_id",
        [DOMAIN_HYPERV_FREQUENCIES] = "frequencies",
        [DOMAIN_HYPERV_REENLIGHTENMENT] = "reenlightenment",
        [DOMAIN_HYPERV_TLBFLUSH] = "tlbflush",
        [DOMAIN_HYPERV_IPI] = "ipi",
        [DOMAIN_HYPERV_EVMCS] = "evmcs",
        [DOMAIN_HYPERV_AVIC] = "avic",
};

static const char *const domain_timer_tickpolicy_table[_DOMAIN_TIMER_TICKPOLICY_MAX] = {
        [DOMAIN_TIMER_TICKPOLICY_DELAY] = "delay",
        [DOMAIN_TIMER_TICKPOLICY_CATCHUP] = "catchup",
        [DOMAIN_TIMER_TICKPOLICY_MERGE] = "merge",
        [DOMAIN_TIMER_TICKPOLICY_DISCARD] = "discard",
};

static const char *const domain_timer_track_table[_DOMAIN_TIMER_TRACK_MAX] = {
        [DOMAIN_TIMER_TRACK_BOOT] = "boot",
        [DOMAIN_TIMER_TRACK_GUEST] = "guest",
        [DOMAIN_TIMER_TRACK_WALL] = "wall",
        [DOMAIN_TIMER_TRACK_REALTIME] = "realtime",
};

static const char *const domain_sched_policy_table[_DOMAIN_SCHED_MAX] = {
        [DOMAIN_SCHED_BATCH] = "batch",
        [DOMAIN_SCHED_IDLE] = "idle",
        [DOMAIN_SCHED_FIFO] = "fifo",
        [DOMAIN_SCHED_RR] = "rr",
};

static const char *const domain_timer_mode_table[_DOMAIN_TIMER_MODE_MAX] = {
        [DOMAIN_TIMER_MODE_AUTO] = "auto",
        [DOMAIN_TIMER_MODE_NATIVE] = "native",
        [DOMAIN_TIMER_MODE_EMULATE] = "emulate",
        [DOMAIN_TIMER_MODE_PARAVIRT] = "paravirt",
        [DOMAIN_TIMER_MODE_SMPSAFE] = "smpsafe",
};

static const char *const domain_address_type_table[_DOMAIN_ADDRESS_MAX] = {
        [DOMAIN_ADDRESS_PCI] = "pci",
        [DOMAIN_ADDRESS_DRIVE] = "drive",
        [DOMAIN_ADDRESS_VIRTIO_SERIAL] = "virtio-serial",
        [DOMAIN_ADDRESS_USB] = "usb",
        [DOMAIN_ADDRESS_ISA] = "isa",
        [DOMAIN_ADDRESS_CCID] = "ccid",
        [DOMAIN_ADDRESS_UNASSIGNED] = "unassigned",
};

static const char *const domain_perf_event_table[_DOMAIN_PERF_MAX] = {
        [DOMAIN_PERF_CMT] = "cmt",
        [DOMAIN_PERF_MBMT] = "mbmt",
        [DOMAIN_PERF_MBML] = "mbml",
        [DOMAIN_PERF_CPU_CYCLES] = "cpu_cycles",
        [DOMAIN_PERF_INSTRUCTIONS] = "instructions",
        [DOMAIN_PERF_CACHE_REFERENCES] = "cache_references",
        [DOMAIN_PERF_CACHE_MISSES] = "cache_misses",
        [DOMAIN_PERF_BRANCH_INSTRUCTIONS] = "branch_instructions",
        [DOMAIN_PERF_BRANCH_MISSES] = "branch_misses",
        [DOMAIN_PERF_BUS_CYCLES] = "bus_cycles",
        [DOMAIN_PERF_STALLED_CYCLES_FRONTEND] = "stalled_cycles_frontend",
        [DOMAIN_PERF_STALLED_CYCLES_BACKEND] = "stalled_cycles_backend",
        [DOMAIN_PERF_REF_CPU_CYCLES] = "ref_cpu_cycles",
        [DOMAIN_PERF_CPU_CLOCK] = "cpu_clock",
        [DOMAIN_PERF_TASK_CLOCK] = "task_clock",
        [DOMAIN_PERF_PAGE_FAULTS] = "page_faults",
        [DOMAIN_PERF_CONTEXT_SWITCHES] = "context_switches",
        [DOMAIN_PERF_CPU_MIGRATIONS] = "cpu_migrations",
        [DOMAIN_PERF_PAGE_FAULTS_MIN] = "page_faults_min",
        [DOMAIN_PERF_PAGE_FAULTS_MAJ] = "page_faults_maj",
        [DOMAIN_PERF_ALIGNMENT_FAULTS] = "alignment_faults",
        [DOMAIN_PERF_EMULATION_FAULTS] = "emulation_faults",
};

#define DOMAIN_ENUM_DEFINE_(prefix, type)                                               \
        const char *prefix##_to_string(type v) {                                        \
                return (size_t) v < ELEMENTSOF(prefix##_table) ? prefix##_table[v] : NULL; \
        }                                                                               \
        int prefix##_from_string(const char *s) {                                       \
                return table_lookup(prefix##_table, ELEMENTSOF(prefix##_table), s);     \
        }
DOMAIN_ENUM_TABLES(DOMAIN_ENUM_DEFINE_)

/* ---- helpers shared by the family files --------------------------------- */

static int enum_error(ConfError *err, const char *value, const char *attr, const char *path) {
        if (attr)
                return xml_err_unsupported(err, "value '%s' of attribute '%s' of <%s> is not supported",
                                           value, attr, path);
        return xml_err_unsupported(err, "value '%s' of <%s> is not supported", value, path);
}

int domain_attr_enum(xmlNodePtr n, const char *path, const char *attr,
                     int (*from_string)(const char *), int *ret, ConfError *err) {
        _cleanup_free_ char *v = NULL;
        int r, i;

        r = xml_attr_str(n, path, attr, &v, err);
        if (r <= 0)
                return r;
        i = from_string(v);
        if (i < 0)
                return enum_error(err, v, attr, path);
        *ret = i;
        return 1;
}

int domain_text_enum(xmlNodePtr n, const char *path, int (*from_string)(const char *), int *ret, ConfError *err) {
        _cleanup_free_ char *v = NULL;
        int r, i;

        r = xml_text(n, path, &v, err);
        if (r < 0)
                return r;
        /* the schema compares <value>s as tokens: surrounding blanks are fine */
        i = from_string(str_strip(v));
        if (i < 0)
                return enum_error(err, v, NULL, path);
        *ret = i;
        return 1;
}

int domain_attr_tristate(xmlNodePtr n, const char *path, const char *attr,
                         const char *on, const char *off, Tristate *ret, ConfError *err) {
        bool b;
        int r;

        r = xml_attr_bool(n, path, attr, on, off, &b, err);
        if (r > 0)
                *ret = b ? TRISTATE_ON : TRISTATE_OFF;
        return r;
}

int domain_parse_alias(xmlNodePtr n, const char *path, char **alias, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "name");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str_required(n, path, "name", alias, err);
        if (r < 0)
                return r;
        r = domain_check_charset(*alias, CHARSET_ALNUM "_-.", "attribute 'name' of", path, err);
        if (r < 0)
                return r;
        /* libvirt keeps a user's alias of letters, digits, '_' and '-' only,
         * and drops another (the driver names the device) */
        if (domain_alias_is_user(*alias) && strchr(*alias, '.'))
                *alias = mfree(*alias);
        return 0;
}

/* The children of a device that may have only <alias> and <address>, the
 * latter of the allowed types. */
int domain_parse_alias_address_only(xmlNodePtr n, const char *path, unsigned allowed, char **alias,
                                    DomainDeviceAddress *addr, ConfError *err) {
        int r;

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "alias") && !xml_is(c, "address"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "address")) {
                        r = xml_check_unique(c, sub, err);
                        if (r >= 0)
                                r = domain_parse_address(c, sub, allowed, addr, err);
                } else
                        r = domain_parse_alias(c, sub, alias, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Aliases are assigned by the driver when the guest starts: live only,
 * but for a user's own ("ua-..."), kept in the definition as libvirt
 * keeps it. */
void domain_format_alias(XmlWriter *w, const char *alias, unsigned flags) {
        if (!alias || ((flags & DOMAIN_FORMAT_INACTIVE) && !domain_alias_is_user(alias)))
                return;
        xw_start(w, "alias");
        xw_attr(w, "name", alias);
        xw_end(w);
}

int domain_parse_boot_order(xmlNodePtr n, const char *path, unsigned *ret, ConfError *err) {
        unsigned order = 0;
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "order");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "order", &order, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'order' of <%s>", path);
        if (order == 0)
                return xml_err_invalid(err, "value '0' of attribute 'order' of <%s> must be 1 or more", path);
        *ret = order;
        return 0;
}

void domain_format_boot_order(XmlWriter *w, unsigned order) {
        if (order == 0)
                return;
        xw_start(w, "boot");
        xw_attrf(w, "order", "%u", order);
        xw_end(w);
}

int domain_check_abs_path(const char *value, const char *what, const char *path, ConfError *err) {
        if (!str_is_abs_path(value))
                return xml_err_invalid(err, "%s <%s> must be an absolute path, not '%s'", what, path, value);
        return 0;
}

int domain_check_charset(const char *value, const char *charset, const char *what,
                         const char *path, ConfError *err) {
        if (!str_in_charset(value, charset))
                return xml_err_invalid(err, "invalid value '%s' of %s <%s>", value, what, path);
        return 0;
}

int domain_check_cpuset(const char *value, const char *what, const char *path, ConfError *err) {
        if (!str_is_cpuset(value))
                return xml_err_invalid(err, "invalid CPU/node set '%s' of %s <%s>", value, what, path);
        return 0;
}

int domain_list_append(void **array, size_t *n, size_t size, void **ret, const char *path, ConfError *err) {
        char *a = *array;

        if (*n >= DOMAIN_LIST_MAX)
                return xml_err_invalid(err, "too many <%s> elements: at most %d", path, DOMAIN_LIST_MAX);
        /* capacity doubles: it is the next power of two of the count */
        if ((*n & (*n - 1)) == 0) {
                a = reallocarray(*array, *n ? *n * 2 : 1, size);
                if (!a)
                        return xml_err_oom(err);
                *array = a;
        }
        memset(a + *n * size, 0, size);
        *ret = a + (*n)++ * size;
        return 0;
}

bool own_str(char **p) {
        if (!*p)
                return true;
        *p = strdup(*p);
        return *p != NULL;
}

/* A copy of a NULL-terminated string list; on failure *p is NULL. */
static bool own_strv(char ***p) {
        char **copy = NULL;

        for (char **i = *p; i && *i; i++)
                if (strv_extend(&copy, *i) < 0) {
                        strv_free(copy);
                        *p = NULL;
                        return false;
                }
        *p = copy;
        return true;
}

bool own_array(void **p, size_t *n, size_t size) {
        size_t capacity = 1;
        void *a;

        if (!*p || *n == 0) {
                *p = NULL;
                *n = 0;
                return true;
        }
        /* the capacity LIST_APPEND expects: the next power of two */
        while (capacity < *n)
                capacity *= 2;
        a = calloc(capacity, size);
        if (!a) {
                *p = NULL;
                *n = 0;
                return false;
        }
        memcpy(a, *p, *n * size);
        *p = a;
        return true;
}

/* ---- lifetime ---------------------------------------------------------- */

DomainDef *domain_def_new(void) {
        DomainDef *def = calloc(1, sizeof(*def));

        if (!def)
                return NULL;
        def->id = -1;
        def->virt_type = DOMAIN_VIRT_KVM;
        return def;
}

#define CLEAR_ARRAY(array, n, clear)                    \
        do {                                            \
                for (size_t _i = 0; _i < (n); _i++)     \
                        clear(&(array)[_i]);            \
                free(array);                            \
        } while (0)

DomainDef *domain_def_free(DomainDef *def) {
        if (!def)
                return NULL;
        free(def->name);
        free(def->title);
        free(def->description);
        strv_free(def->metadata);
        strv_free(def->qemu_args);
        strv_free(def->qemu_env);
        strv_free(def->qemu_caps_add);
        strv_free(def->qemu_caps_del);
        free(def->qemu_deprecation);
        domain_qemu_ns_overrides_clear(def);
        domain_resources_clear(def);
        domain_os_clear(def);
        domain_idmap_clear(&def->idmap);
        domain_sysinfo_clear(def);
        domain_launch_security_clear(&def->launch_security);
        free(def->emulator);
        CLEAR_ARRAY(def->disks, def->n_disks, domain_disk_clear);
        CLEAR_ARRAY(def->controllers, def->n_controllers, domain_controller_clear);
        CLEAR_ARRAY(def->filesystems, def->n_filesystems, domain_fs_clear);
        CLEAR_ARRAY(def->nets, def->n_nets, domain_net_clear);
        CLEAR_ARRAY(def->hostdevs, def->n_hostdevs, domain_hostdev_clear);
        CLEAR_ARRAY(def->chrs, def->n_chrs, domain_chr_clear);
        CLEAR_ARRAY(def->graphics, def->n_graphics, domain_graphics_clear);
        CLEAR_ARRAY(def->videos, def->n_videos, domain_video_clear);
        CLEAR_ARRAY(def->inputs, def->n_inputs, domain_input_clear);
        CLEAR_ARRAY(def->sounds, def->n_sounds, domain_sound_clear);
        CLEAR_ARRAY(def->audios, def->n_audios, domain_audio_clear);
        CLEAR_ARRAY(def->redirdevs, def->n_redirdevs, domain_redirdev_clear);
        CLEAR_ARRAY(def->smartcards, def->n_smartcards, domain_smartcard_clear);
        free(def->redirfilter);
        CLEAR_ARRAY(def->hubs, def->n_hubs, domain_hub_clear);
        CLEAR_ARRAY(def->leases, def->n_leases, domain_lease_clear);
        CLEAR_ARRAY(def->shmems, def->n_shmems, domain_shmem_clear);
        domain_memballoon_clear(&def->memballoon);
        CLEAR_ARRAY(def->rngs, def->n_rngs, domain_rng_clear);
        CLEAR_ARRAY(def->mems, def->n_mems, domain_memory_device_clear);
        CLEAR_ARRAY(def->tpms, def->n_tpms, domain_tpm_clear);
        domain_platform_devs_clear(def);
        CLEAR_ARRAY(def->seclabels, def->n_seclabels, domain_seclabel_clear);
        free(def);
        return NULL;
}

/* Each element is own()ed even after a failure, so that every pointer in
 * the copy is its own (or NULL) and domain_def_free() is safe on it. */
#define OWN_DEVICES(ok, array, n, own)                          \
        do {                                                    \
                ok = OWN_ARRAY(array, n) && ok;                 \
                for (size_t _i = 0; _i < (n); _i++)             \
                        ok = own(&(array)[_i]) && ok;           \
        } while (0)

int domain_def_copy(const DomainDef *def, DomainDef **ret) {
        _cleanup_(domain_def_freep) DomainDef *copy = NULL;
        bool ok = true;

        if (!def || !ret)
                return -EINVAL;
        copy = malloc(sizeof(*copy));
        if (!copy)
                return -ENOMEM;
        *copy = *def;

        ok = own_str(&copy->name) && ok;
        ok = own_str(&copy->title) && ok;
        ok = own_str(&copy->description) && ok;
        ok = own_strv(&copy->metadata) && ok;
        ok = own_strv(&copy->qemu_args) && ok;
        ok = own_strv(&copy->qemu_env) && ok;
        ok = own_strv(&copy->qemu_caps_add) && ok;
        ok = own_strv(&copy->qemu_caps_del) && ok;
        ok = own_str(&copy->qemu_deprecation) && ok;
        ok = domain_qemu_ns_overrides_own(copy) && ok;
        ok = own_str(&copy->emulator) && ok;
        ok = domain_resources_own(copy) && ok;
        ok = domain_os_own(copy) && ok;
        ok = domain_idmap_own(&copy->idmap) && ok;
        ok = domain_sysinfo_own(copy) && ok;
        ok = domain_launch_security_own(&copy->launch_security) && ok;
        OWN_DEVICES(ok, copy->disks, copy->n_disks, domain_disk_own);
        OWN_DEVICES(ok, copy->controllers, copy->n_controllers, domain_controller_own);
        OWN_DEVICES(ok, copy->filesystems, copy->n_filesystems, domain_fs_own);
        OWN_DEVICES(ok, copy->nets, copy->n_nets, domain_net_own);
        OWN_DEVICES(ok, copy->hostdevs, copy->n_hostdevs, domain_hostdev_own);
        OWN_DEVICES(ok, copy->chrs, copy->n_chrs, domain_chr_own);
        OWN_DEVICES(ok, copy->graphics, copy->n_graphics, domain_graphics_own);
        OWN_DEVICES(ok, copy->videos, copy->n_videos, domain_video_own);
        OWN_DEVICES(ok, copy->inputs, copy->n_inputs, domain_input_own);
        OWN_DEVICES(ok, copy->sounds, copy->n_sounds, domain_sound_own);
        OWN_DEVICES(ok, copy->audios, copy->n_audios, domain_audio_own);
        OWN_DEVICES(ok, copy->redirdevs, copy->n_redirdevs, domain_redirdev_own);
        OWN_DEVICES(ok, copy->smartcards, copy->n_smartcards, domain_smartcard_own);
        ok = OWN_ARRAY(copy->redirfilter, copy->n_redirfilter) && ok;
        OWN_DEVICES(ok, copy->hubs, copy->n_hubs, domain_hub_own);
        OWN_DEVICES(ok, copy->leases, copy->n_leases, domain_lease_own);
        OWN_DEVICES(ok, copy->shmems, copy->n_shmems, domain_shmem_own);
        ok = domain_memballoon_own(&copy->memballoon) && ok;
        OWN_DEVICES(ok, copy->rngs, copy->n_rngs, domain_rng_own);
        OWN_DEVICES(ok, copy->mems, copy->n_mems, domain_memory_device_own);
        OWN_DEVICES(ok, copy->tpms, copy->n_tpms, domain_tpm_own);
        ok = domain_platform_devs_own(copy) && ok;
        OWN_DEVICES(ok, copy->seclabels, copy->n_seclabels, domain_seclabel_own);
        if (!ok)
                return -ENOMEM;

        *ret = TAKE_PTR(copy);
        return 0;
}

/* ---- identity: name, uuid, title, description -------------------------- */

static int parse_name(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_text(n, path, &def->name, err);
        if (r < 0)
                return r;
        if (!*def->name)
                return xml_err_invalid(err, "empty <name>");
        /* the name is a file name under confdir and part of object paths */
        if (strchr(def->name, '/'))
                return xml_err_invalid(err, "<name> '%s' must not contain '/'", def->name);
        if (str_has_newline(def->name))
                return xml_err_invalid(err, "<name> must not contain a line break");
        if (strlen(def->name) > OBJECT_NAME_MAX)
                return xml_err_invalid(err, "<name> is %zu bytes long, at most %d", strlen(def->name),
                                       OBJECT_NAME_MAX);
        return 0;
}

static int parse_uuid(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_text(n, path, &s, err);
        if (r < 0)
                return r;
        if (uuid_parse(s, def->uuid) < 0)
                return xml_err_invalid(err, "invalid <uuid> '%s': expected 32 hex digits, "
                                       "optionally as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", s);
        return 0;
}

static int parse_title(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_text(n, path, &def->title, err);
        if (r < 0)
                return r;
        if (str_has_newline(def->title))
                return xml_err_invalid(err, "<title> must not contain a line break");
        if (!*def->title)
                def->title = (free(def->title), NULL);
        return 0;
}

static int parse_description(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_text(n, path, &def->description, err);
        return r < 0 ? r : 0;
}

/* Whether an element of n before c has c's namespace. */
static bool metadata_ns_seen(xmlNodePtr n, xmlNodePtr c) {
        XML_FOREACH_ELEMENT(e, n) {
                if (e == c)
                        return false;
                if (e->ns && e->ns->href && streq((const char *) e->ns->href, (const char *) c->ns->href))
                        return true;
        }
        return false;
}

/* <metadata> belongs to applications (libosinfo, virt-manager...): each
 * child element is kept as XML text, with its namespaces, and given back
 * as it came. As libvirt's virXMLNodeSanitizeNamespaces, an element without
 * a namespace, or of a namespace an earlier one has, is let go: one element
 * per application. */
static int parse_metadata(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                _cleanup_(xml_buffer_freep) xmlBufferPtr buf = NULL;
                xmlNodePtr copy;
                int len;

                if (!c->ns || !c->ns->href || metadata_ns_seen(n, c))
                        continue;
                buf = xmlBufferCreate();
                /* Namespaces declared higher up (oVirt declares its own on
                 * <domain>) must travel with the element: a copy outside the
                 * document declares on its top element each one it uses. */
                copy = xmlCopyNode(c, 1);
                len = buf && copy ? xmlNodeDump(buf, NULL, copy, 0, 0) : -1;
                xmlFreeNode(copy);
                if (len < 0 || strv_extend(&def->metadata, (const char *) xmlBufferContent(buf)) < 0)
                        return xml_err_oom(err);
        }
        return 0;
}

static int parse_lifecycle(DomainLifecycleAction *action, bool crash, xmlNodePtr n, const char *path,
                           ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = domain_text_enum(n, path, domain_lifecycle_action_from_string, (int *) action, err);
        if (r < 0)
                return r;
        if (!crash && (*action == DOMAIN_ACTION_COREDUMP_DESTROY || *action == DOMAIN_ACTION_COREDUMP_RESTART))
                return xml_err_invalid(err, "<%s> cannot be '%s': only <on_crash> can dump core",
                                       path, domain_lifecycle_action_to_string(*action));
        return 0;
}

static int parse_on_poweroff(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_lifecycle(&def->on_poweroff, false, n, path, err);
}

static int parse_on_reboot(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_lifecycle(&def->on_reboot, false, n, path, err);
}

static int parse_on_crash(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_lifecycle(&def->on_crash, true, n, path, err);
}

/* ---- <devices> ------------------------------------------------------------ */

static int parse_emulator(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_text(n, path, &def->emulator, err);
        if (r < 0)
                return r;
        return domain_check_abs_path(def->emulator, "", path, err);
}

typedef struct ChildParser {
        const char *name;
        DomainParseFn parse;
        bool unique;
} ChildParser;

/* Calls the parser the table has for each child element; anything the
 * table does not list is refused, naming it. */
static int parse_children(DomainDef *def, xmlNodePtr n, const char *path,
                          const ChildParser *table, size_t n_table, ConfError *err) {
        int r;

        r = xml_check_no_text(n, *path ? path : "domain", err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                const ChildParser *p = NULL;

                for (size_t i = 0; i < n_table && !p; i++)
                        if (xml_is(c, table[i].name))
                                p = &table[i];
                if (!p && !*path && domain_qemu_ns_is(c)) {
                        r = domain_parse_qemu_ns(def, c, path, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!p)
                        return xml_unsupported_element(c, path, err);

                XML_SUBPATH(sub, path, p->name);
                if (p->unique) {
                        r = xml_check_unique(c, sub, err);
                        if (r < 0)
                                return r;
                }
                r = p->parse(def, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const ChildParser device_parsers[] = {
        { "emulator", parse_emulator, true },
        { "disk", domain_parse_disk },
        { "controller", domain_parse_controller },
        { "filesystem", domain_parse_fs },
        { "interface", domain_parse_net },
        { "smartcard", domain_parse_smartcard },
        { "serial", domain_parse_serial },
        { "parallel", domain_parse_parallel },
        { "console", domain_parse_console },
        { "channel", domain_parse_channel },
        { "input", domain_parse_input },
        { "graphics", domain_parse_graphics },
        { "video", domain_parse_video },
        { "sound", domain_parse_sound },
        { "audio", domain_parse_audio },
        { "redirdev", domain_parse_redirdev },
        { "redirfilter", domain_parse_redirfilter, true },
        { "hub", domain_parse_hub },
        { "lease", domain_parse_lease },
        { "shmem", domain_parse_shmem },
        { "hostdev", domain_parse_hostdev },
        { "memballoon", domain_parse_memballoon, true },
        { "rng", domain_parse_rng },
        { "memory", domain_parse_memory_device },
        { "tpm", domain_parse_tpm },
        { "watchdog", domain_parse_watchdog, true },
        { "panic", domain_parse_panic },
        { "iommu", domain_parse_iommu, true },
        { "vsock", domain_parse_vsock, true },
};

static int parse_devices(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        return parse_children(def, n, path, device_parsers, ELEMENTSOF(device_parsers), err);
}

/* ---- the root ------------------------------------------------------------ */

static int parse_root_attrs(DomainDef *def, xmlNodePtr root, ConfError *err) {
        int r, id;

        r = XML_CHECK_ATTRS(root, "domain", err, "type", "id");
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(root, "domain", "type", domain_virt_type, &def->virt_type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <domain>");
        r = xml_attr_int(root, "domain", "id", &id, err);
        if (r < 0)
                return r;
        if (r > 0) {
                if (id < 0)
                        return xml_err_invalid(err, "value '%d' of attribute 'id' of <domain> is out of range", id);
                def->id = id;
        }
        return 0;
}

static int parse_root(DomainDef *def, xmlNodePtr root, ConfError *err) {
        static const ChildParser table[] = {
                { "name", parse_name, true },
                { "uuid", parse_uuid, true },
                { "genid", domain_parse_genid, true },
                { "title", parse_title, true },
                { "description", parse_description, true },
                { "metadata", parse_metadata, true },
                { "maxMemory", domain_parse_max_memory, true },
                { "memory", domain_parse_memory, true },
                { "currentMemory", domain_parse_current_memory, true },
                { "blkiotune", domain_parse_blkiotune, true },
                { "memtune", domain_parse_memtune, true },
                { "memoryBacking", domain_parse_memory_backing, true },
                { "vcpu", domain_parse_vcpu, true },
                { "vcpus", domain_parse_vcpus, true },
                { "iothreads", domain_parse_iothreads, true },
                { "iothreadids", domain_parse_iothreadids, true },
                { "defaultiothread", domain_parse_default_iothread, true },
                { "resource", domain_parse_resource, true },
                { "cputune", domain_parse_cputune, true },
                { "numatune", domain_parse_numatune, true },
                { "sysinfo", domain_parse_sysinfo, false },
                { "os", domain_parse_os, true },
                { "features", domain_parse_features, true },
                { "cpu", domain_parse_cpu, true },
                { "clock", domain_parse_clock, true },
                { "on_poweroff", parse_on_poweroff, true },
                { "on_reboot", parse_on_reboot, true },
                { "on_crash", parse_on_crash, true },
                { "pm", domain_parse_pm, true },
                { "perf", domain_parse_perf, true },
                { "idmap", domain_parse_idmap, true },
                { "devices", parse_devices, true },
                { "seclabel", domain_parse_seclabel, false },
                { "launchSecurity", domain_parse_launch_security, true },
        };
        bool has_uuid = false;
        int r;

        r = parse_root_attrs(def, root, err);
        if (r < 0)
                return r;

        def->vcpus = 1; /* libvirt's default when <vcpu> is left out */
        r = parse_children(def, root, "", table, ELEMENTSOF(table), err);
        if (r < 0)
                return r;

        if (!def->name)
                return xml_err_xml(err, "missing element <name>");
        if (!def->os.type)
                return xml_err_xml(err, "missing element <os/type>");
        domain_numa_memory_finish(def);
        r = domain_iothreads_finish(def, err);
        if (r >= 0)
                r = domain_numatune_finish(def, err);
        if (r >= 0)
                r = domain_vcpus_finish(def, err);
        if (r < 0)
                return r;
        r = domain_seclabels_check(def->seclabels, def->n_seclabels, err);
        if (r < 0)
                return r;

        XML_FOREACH_ELEMENT(c, root)
                if (xml_is(c, "uuid"))
                        has_uuid = true;
        r = domain_sysinfo_uuid(def, has_uuid, err);
        if (r < 0)
                return r;
        if (r == 0) {
                r = uuid_generate(def->uuid);
                if (r < 0)
                        return conf_fail(err, VB_ERROR_INTERNAL,
                                         "cannot generate a uuid: %s", strerror(-r));
        }
        return 0;
}

int domain_def_parse(const char *xml, size_t len, DomainDef **ret, ConfError *err) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = xml_read_document(xml, len, "domain", &doc, err);
        if (r < 0)
                return r;

        def = domain_def_new();
        if (!def)
                return xml_err_oom(err);

        r = parse_root(def, xmlDocGetRootElement(doc), err);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(def);
        return 0;
}

int domain_def_parse_device(const char *xml, size_t len, DomainDef **ret, const char **kind, ConfError *err) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        const ChildParser *p = NULL;
        xmlNodePtr root;
        int r;

        if (!ret || !kind)
                return -EINVAL;
        r = xml_read_document(xml, len, NULL, &doc, err);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        /* <emulator> sits in <devices> but is no device */
        for (size_t i = 1; i < ELEMENTSOF(device_parsers) && !p; i++)
                if (!root->ns && xml_is(root, device_parsers[i].name))
                        p = &device_parsers[i];
        if (!p)
                return xml_err_unsupported(err, "unknown device type '%s'", (const char *) root->name);

        def = domain_def_new();
        if (!def)
                return xml_err_oom(err);
        XML_SUBPATH(sub, "devices", p->name);
        r = p->parse(def, root, sub, err);
        if (r < 0)
                return r;
        *kind = p->name;
        *ret = TAKE_PTR(def);
        return 0;
}

/* Appends from's n items to *array (kept at LIST_APPEND's capacity) and
 * empties from's list without freeing what the items point at. */
static int take_list(void **array, size_t *n, void **from, size_t *n_from, size_t size) {
        for (size_t i = 0; i < *n_from; i++) {
                ConfError e;
                void *slot;
                int r = domain_list_append(array, n, size, &slot, "devices", &e);

                if (r < 0)
                        return r == -ENOMEM ? r : -E2BIG;
                memcpy(slot, (char *) *from + i * size, size);
                memset((char *) *from + i * size, 0, size);
        }
        *n_from = 0;
        return 0;
}
#define TAKE_LIST(def, from, array, n) \
        take_list((void **) &(def)->array, &(def)->n, (void **) &(from)->array, &(from)->n, sizeof((def)->array[0]))

int domain_def_take_devices(DomainDef *def, DomainDef *from) {
        int r = 0;

        /* every list goes, or the rest stays in from to be freed with it */
        r = r ?: TAKE_LIST(def, from, disks, n_disks);
        r = r ?: TAKE_LIST(def, from, controllers, n_controllers);
        r = r ?: TAKE_LIST(def, from, nets, n_nets);
        r = r ?: TAKE_LIST(def, from, chrs, n_chrs);
        r = r ?: TAKE_LIST(def, from, rngs, n_rngs);
        r = r ?: TAKE_LIST(def, from, mems, n_mems);
        r = r ?: TAKE_LIST(def, from, hostdevs, n_hostdevs);
        r = r ?: TAKE_LIST(def, from, leases, n_leases);
        r = r ?: TAKE_LIST(def, from, filesystems, n_filesystems);
        r = r ?: TAKE_LIST(def, from, shmems, n_shmems);
        return r;
}

#define REMOVE_AT(array, n, index, clear)                                               \
        do {                                                                            \
                if ((index) >= (n))                                                     \
                        return -EINVAL;                                                 \
                clear(&(array)[index]);                                                 \
                memmove(&(array)[index], &(array)[(index) + 1],                         \
                        ((n) - (index) - 1) * sizeof((array)[0]));                      \
                (n)--;                                                                  \
                return 0;                                                               \
        } while (0)

int domain_def_remove_device(DomainDef *def, const char *kind, size_t index) {
        if (streq(kind, "disk"))
                REMOVE_AT(def->disks, def->n_disks, index, domain_disk_clear);
        if (streq(kind, "controller"))
                REMOVE_AT(def->controllers, def->n_controllers, index, domain_controller_clear);
        if (streq(kind, "interface"))
                REMOVE_AT(def->nets, def->n_nets, index, domain_net_clear);
        if (streq(kind, "serial") || streq(kind, "console") || streq(kind, "channel"))
                REMOVE_AT(def->chrs, def->n_chrs, index, domain_chr_clear);
        if (streq(kind, "rng"))
                REMOVE_AT(def->rngs, def->n_rngs, index, domain_rng_clear);
        if (streq(kind, "memory"))
                REMOVE_AT(def->mems, def->n_mems, index, domain_memory_device_clear);
        if (streq(kind, "hostdev"))
                REMOVE_AT(def->hostdevs, def->n_hostdevs, index, domain_hostdev_clear);
        if (streq(kind, "lease"))
                REMOVE_AT(def->leases, def->n_leases, index, domain_lease_clear);
        if (streq(kind, "filesystem"))
                REMOVE_AT(def->filesystems, def->n_filesystems, index, domain_fs_clear);
        if (streq(kind, "shmem"))
                REMOVE_AT(def->shmems, def->n_shmems, index, domain_shmem_clear);
        return -EINVAL;
}

/* ---- format ------------------------------------------------------------ */

static void format_uuid(XmlWriter *w, const uint8_t u[16]) {
        xw_elementf(w, "uuid",
                    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
                    u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void format_lifecycle(XmlWriter *w, const char *name, DomainLifecycleAction a) {
        xw_element(w, name, domain_lifecycle_action_to_string(a));
}

/* libvirt's device order: disks, controllers, leases, filesystems, interfaces, serials,
 * parallels, consoles, channels, inputs, graphics, sounds, audios, videos, hostdevs, redirdevs, hubs,
 * watchdog, memballoon, rngs, panics, vsock. */
static void format_devices(XmlWriter *w, const DomainDef *def, unsigned flags) {
        xw_start(w, "devices");
        xw_element(w, "emulator", def->emulator);
        for (size_t i = 0; i < def->n_disks; i++)
                domain_format_disk(w, &def->disks[i], flags);
        for (size_t i = 0; i < def->n_controllers; i++)
                domain_format_controller(w, &def->controllers[i], flags);
        for (size_t i = 0; i < def->n_leases; i++)
                domain_format_lease(w, &def->leases[i]);
        for (size_t i = 0; i < def->n_filesystems; i++)
                domain_format_fs(w, &def->filesystems[i], flags);
        for (size_t i = 0; i < def->n_nets; i++) {
                domain_format_net_hostdevs_at(w, def, i, flags);
                domain_format_net(w, &def->nets[i], flags);
        }
        domain_format_net_hostdevs_at(w, def, def->n_nets, flags);
        for (size_t i = 0; i < def->n_smartcards; i++)
                domain_format_smartcard(w, &def->smartcards[i], flags);
        for (DomainChrKind k = 0; k < _DOMAIN_CHR_KIND_MAX; k++)
                for (size_t i = 0; i < def->n_chrs; i++)
                        if (def->chrs[i].kind == k)
                                domain_format_chr(w, &def->chrs[i], flags);
        for (size_t i = 0; i < def->n_inputs; i++)
                domain_format_input(w, &def->inputs[i], flags);
        for (size_t i = 0; i < def->n_tpms; i++)
                domain_format_tpm(w, &def->tpms[i], flags);
        for (size_t i = 0; i < def->n_graphics; i++)
                domain_format_graphics(w, &def->graphics[i], flags);
        for (size_t i = 0; i < def->n_sounds; i++)
                domain_format_sound(w, &def->sounds[i], flags);
        for (size_t i = 0; i < def->n_audios; i++)
                domain_format_audio(w, &def->audios[i]);
        for (size_t i = 0; i < def->n_videos; i++)
                domain_format_video(w, &def->videos[i], flags);
        for (size_t i = 0; i < def->n_hostdevs; i++)
                domain_format_hostdev(w, &def->hostdevs[i], flags);
        for (size_t i = 0; i < def->n_redirdevs; i++)
                domain_format_redirdev(w, &def->redirdevs[i], flags);
        domain_format_redirfilter(w, def);
        for (size_t i = 0; i < def->n_hubs; i++)
                domain_format_hub(w, &def->hubs[i], flags);
        domain_format_watchdog(w, &def->watchdog, flags);
        domain_format_memballoon(w, &def->memballoon, flags);
        for (size_t i = 0; i < def->n_rngs; i++)
                domain_format_rng(w, &def->rngs[i], flags);
        domain_format_platform_devs(w, def, flags);
        for (size_t i = 0; i < def->n_shmems; i++)
                domain_format_shmem(w, &def->shmems[i], flags);
        for (size_t i = 0; i < def->n_mems; i++)
                domain_format_memory_device(w, &def->mems[i], flags);
        xw_end(w);
}

int domain_def_format(const DomainDef *def, unsigned flags, char **ret) {
        XmlWriter w = {};

        if (!def || !ret)
                return -EINVAL;
        xw_start(&w, "domain");
        xw_attr(&w, "type", domain_virt_type_to_string(def->virt_type));
        if (def->id >= 0 && !(flags & DOMAIN_FORMAT_INACTIVE))
                xw_attrf(&w, "id", "%d", def->id);
        domain_format_qemu_ns_decl(&w, def);

        xw_element(&w, "name", def->name);
        format_uuid(&w, def->uuid);
        domain_format_genid(&w, def);
        xw_element(&w, "title", def->title);
        xw_element(&w, "description", def->description);
        if (def->metadata)
                xw_raw_element(&w, "metadata", def->metadata);
        domain_format_memory(&w, def);
        domain_format_blkiotune(&w, &def->blkiotune);
        domain_format_memtune(&w, &def->memtune);
        domain_format_memory_backing(&w, &def->memory_backing);
        domain_format_vcpu(&w, def);
        domain_format_vcpus(&w, def);
        domain_format_iothreads(&w, def);
        domain_format_default_iothread(&w, def);
        domain_format_cputune(&w, &def->cputune);
        domain_format_numatune(&w, &def->numatune);
        domain_format_resource(&w, def);
        domain_format_sysinfo(&w, def);
        domain_format_os(&w, &def->os);
        domain_format_features(&w, &def->features);
        domain_format_cpu(&w, &def->cpu);
        domain_format_clock(&w, &def->clock);
        format_lifecycle(&w, "on_poweroff", def->on_poweroff);
        format_lifecycle(&w, "on_reboot", def->on_reboot);
        format_lifecycle(&w, "on_crash", def->on_crash);
        domain_format_pm(&w, &def->pm);
        domain_format_perf(&w, def);
        domain_format_idmap(&w, &def->idmap);
        format_devices(&w, def, flags);
        domain_format_seclabels(&w, def->seclabels, def->n_seclabels, flags);
        domain_format_launch_security(&w, &def->launch_security);
        domain_format_qemu_ns(&w, def);
        xw_end(&w);

        return xw_finish(&w, ret);
}
