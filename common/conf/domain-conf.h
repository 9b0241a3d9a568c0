/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The domain definition: libvirt's domain XML as a C structure.
 *
 * domain-conf.c parses and formats it, domain-validate.c holds the semantic
 * checks that hold for any driver (each driver adds its own: what QEMU
 * cannot run is refused in qemud/qemu-validate.c). Sizes are kept in KiB
 * (as libvirt does); every enum has a string table (see DOMAIN_ENUM_TABLES)
 * used by both parser and formatter.
 * Fields marked "live" are filled in by the driver while the guest runs and
 * are formatted only in the live XML. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "domain-seclabel.h"

/* <domain type=''>: which driver runs the domain (each driver refuses the
 * others': qemud takes qemu and kvm, lxcd lxc). */
typedef enum DomainVirtType {
        DOMAIN_VIRT_QEMU,
        DOMAIN_VIRT_KVM,
        DOMAIN_VIRT_LXC,
        _DOMAIN_VIRT_MAX,
} DomainVirtType;

typedef enum DomainLifecycleAction {
        DOMAIN_ACTION_DEFAULT, /* not given: on_poweroff destroy, on_reboot restart, on_crash destroy */
        DOMAIN_ACTION_DESTROY,
        DOMAIN_ACTION_RESTART,
        DOMAIN_ACTION_PRESERVE,
        DOMAIN_ACTION_RENAME_RESTART,
        DOMAIN_ACTION_COREDUMP_DESTROY,
        DOMAIN_ACTION_COREDUMP_RESTART,
        _DOMAIN_ACTION_MAX,
} DomainLifecycleAction;

typedef enum DomainBootDev {
        DOMAIN_BOOT_HD,
        DOMAIN_BOOT_CDROM,
        DOMAIN_BOOT_NETWORK,
        DOMAIN_BOOT_FD,
        _DOMAIN_BOOT_MAX,
} DomainBootDev;

typedef enum DomainLoaderType {
        DOMAIN_LOADER_DEFAULT,
        DOMAIN_LOADER_ROM,
        DOMAIN_LOADER_PFLASH,
        _DOMAIN_LOADER_MAX,
} DomainLoaderType;

/* <os firmware=''>: libvirt's firmware auto-selection. EFI without a
 * <loader> path is resolved by the driver when the guest starts (the live
 * definition then has loader and nvram filled in). */
typedef enum DomainFirmware {
        DOMAIN_FIRMWARE_NONE, /* not given */
        DOMAIN_FIRMWARE_BIOS,
        DOMAIN_FIRMWARE_EFI,
        _DOMAIN_FIRMWARE_MAX,
} DomainFirmware;

/* Tri-state for on/off attributes: not given, on, off. */
typedef enum Tristate {
        TRISTATE_ABSENT,
        TRISTATE_ON,
        TRISTATE_OFF,
        _TRISTATE_MAX,
} Tristate;

/* <driver iommu='' ats='' packed='' page_per_vq=''/>: the virtio transport's
 * options, the same on every virtio device (domain-virtio-opts.c). */
typedef struct DomainVirtioOpts {
        Tristate iommu, ats, packed, page_per_vq;
} DomainVirtioOpts;
bool domain_virtio_opts_set(const DomainVirtioOpts *v);

/* <rom bar='' file='' enabled=''/> of a PCI device (domain-rom.c). */
typedef struct DomainRomDef {
        Tristate bar, enabled;
        char *file;            /* NULL: the device's own */
} DomainRomDef;
bool domain_rom_set(const DomainRomDef *rom);

/* <os><initenv name=''>value</initenv>. */
typedef struct DomainInitEnv {
        char *name;
        char *value;
} DomainInitEnv;

/* <os>: a machine (<type>hvm</type>: firmware, kernel, boot order) or a
 * container (<type>exe</type>: the init it runs). The parser keeps each
 * kind's children to its type. */
/* <os><smbios mode=''/>: where the guest's SMBIOS tables come from
 * (domain-sysinfo.c). */
typedef enum DomainSmbiosMode {
        DOMAIN_SMBIOS_NONE,     /* no <smbios>: QEMU's own (as emulate) */
        DOMAIN_SMBIOS_EMULATE,
        DOMAIN_SMBIOS_HOST,     /* the host's, but for the uuid */
        DOMAIN_SMBIOS_SYSINFO,  /* the domain's <sysinfo type='smbios'> */
        _DOMAIN_SMBIOS_MAX,
} DomainSmbiosMode;

typedef struct DomainOsDef {
        char *type;    /* "hvm" or "exe" */
        char *arch;    /* "x86_64"; NULL = host arch */
        char *machine; /* "q35", "pc", "pc-q35-7.2"; NULL = emulator's default */
        char *kernel, *initrd, *cmdline;
        DomainBootDev boot[_DOMAIN_BOOT_MAX];
        size_t n_boot;
        Tristate bootmenu;
        bool has_bootmenu_timeout, has_reboot_timeout;
        unsigned bootmenu_timeout; /* <bootmenu timeout=''>: ms, 0..65535 */
        int reboot_timeout;        /* <bios rebootTimeout=''>: ms, -1 (never) ..65535 */
        Tristate bios_useserial;   /* <bios useserial='yes'>: the firmware's output on the serial port */
        DomainFirmware firmware;
        char *loader;  /* path */
        DomainLoaderType loader_type;
        Tristate loader_readonly;
        Tristate loader_secure; /* secure='yes|no': Secure Boot firmware (needs <smm state='on'/>) */
        Tristate loader_stateless; /* stateless='yes': no variables store at all */
        char *nvram;          /* path: the element's text or its <source file=''|dev=''> */
        char *nvram_type;     /* type='file|block' (with a <source>); NULL: the path as text */
        char *nvram_template; /* template='': copied to nvram when that does not exist yet */
        /* <nvram type='network'><source protocol=''>: a network disk's source
         * (its net, <auth>), nvram NULL then (domain-os-nvram-net.c) */
        struct DomainDiskDef *nvram_net;
        char *acpi_slic;      /* <acpi><table type='slic'>: a file QEMU adds as the SLIC table */
        /* <firmware><feature name='secure-boot|enrolled-keys' enabled=''/>: what
         * the auto-selected firmware must (not) have */
        Tristate fw_secure_boot, fw_enrolled_keys;
        DomainSmbiosMode smbios_mode;
        /* exe only */
        char *init;             /* absolute path; NULL = the driver's default */
        char **initargs;        /* <initarg>s in order */
        size_t n_initargs;
        DomainInitEnv *initenv; /* each name once */
        size_t n_initenv;
        char *initdir;          /* absolute path */
        char *inituser, *initgroup; /* both or neither */
} DomainOsDef;

/* <features><hyperv mode=''>: the Hyper-V enlightenments a Windows guest uses. */
typedef enum DomainHypervMode {
        DOMAIN_HYPERV_MODE_NONE,        /* no <hyperv> */
        DOMAIN_HYPERV_MODE_CUSTOM,      /* mode='custom' (the default): the listed features */
        DOMAIN_HYPERV_MODE_PASSTHROUGH, /* mode='passthrough': all the host's (hv-passthrough) */
        _DOMAIN_HYPERV_MODE_MAX,
} DomainHypervMode;

/* The children of <hyperv mode='custom'>, in the schema's order; each maps
 * to QEMU's -cpu hv-<name> property (vendor_id: hv-vendor-id). */
typedef enum DomainHypervFeature {
        DOMAIN_HYPERV_RELAXED,
        DOMAIN_HYPERV_VAPIC,
        DOMAIN_HYPERV_SPINLOCKS,   /* on: retries in hyperv_spinlocks */
        DOMAIN_HYPERV_VPINDEX,
        DOMAIN_HYPERV_RUNTIME,
        DOMAIN_HYPERV_SYNIC,
        DOMAIN_HYPERV_STIMER,      /* <direct state=''/> in hyperv_stimer_direct */
        DOMAIN_HYPERV_RESET,
        DOMAIN_HYPERV_VENDOR_ID,   /* on: value in hyperv_vendor_id */
        DOMAIN_HYPERV_FREQUENCIES,
        DOMAIN_HYPERV_REENLIGHTENMENT,
        DOMAIN_HYPERV_TLBFLUSH,
        DOMAIN_HYPERV_IPI,
        DOMAIN_HYPERV_EVMCS,
        DOMAIN_HYPERV_AVIC,
        _DOMAIN_HYPERV_MAX,
} DomainHypervFeature;

#define DOMAIN_HYPERV_SPINLOCKS_MIN 4095u   /* libvirt's (and Hyper-V's) lowest retry count */
#define DOMAIN_HYPERV_VENDOR_ID_MAX 12      /* characters */

/* <features><kvm>'s children (domain-features-kvm.c); hidden is kvm_hidden. */
typedef enum DomainKvmFeature {
        DOMAIN_KVM_HIDDEN,
        DOMAIN_KVM_HINT_DEDICATED, /* -cpu kvm-hint-dedicated=on */
        DOMAIN_KVM_POLL_CONTROL,   /* -cpu kvm-poll-control=on */
        DOMAIN_KVM_PV_IPI,         /* off: -cpu kvm-pv-ipi=off */
        DOMAIN_KVM_DIRTY_RING,     /* on: -accel kvm,dirty-ring-size= */
        _DOMAIN_KVM_MAX,
} DomainKvmFeature;

typedef struct DomainFeaturesDef {
        bool acpi, apic, pae;
        Tristate apic_eoi;   /* <apic eoi='on|off'/>: KVM's paravirtual end of interrupt */
        DomainHypervMode hyperv_mode;
        Tristate hyperv[_DOMAIN_HYPERV_MAX]; /* custom: state='on|off' of each child given */
        unsigned hyperv_spinlocks;           /* retries='' (state on), 0 = not given */
        Tristate hyperv_stimer_direct;       /* <stimer><direct state=''/></stimer> */
        char *hyperv_vendor_id;              /* <vendor_id value=''/> */
        Tristate kvm_hidden; /* <kvm><hidden state='on|off'/></kvm> */
        Tristate vmport;     /* <vmport state='on|off'/> (no state: on) */
        Tristate smm;        /* <smm state='on|off'/> (no state: on) */
        Tristate pvspinlock; /* <pvspinlock state=''/>: -cpu kvm-pv-unhalt= */
        Tristate pmu;        /* <pmu state=''/>: -cpu pmu= */
        char *ioapic_driver; /* <ioapic driver='qemu|kvm'/>: qemu = a split irqchip */
        Tristate kvm[_DOMAIN_KVM_MAX];  /* the other <kvm> children (not [DOMAIN_KVM_HIDDEN]) */
        unsigned kvm_dirty_ring_size;   /* <dirty-ring state='on' size=''/>: entries */
        bool tcg;                       /* <tcg> */
        uint64_t tcg_tb_cache_kib;      /* <tcg><tb-cache>: -accel tcg,tb-size= (MiB); 0: QEMU's */
        bool has_smm_tseg;              /* <smm state='on'><tseg>: -global mch.extended-tseg-mbytes= */
        uint64_t smm_tseg_bytes;
        Tristate vmcoreinfo;            /* <vmcoreinfo state=''/>: -device vmcoreinfo */
} DomainFeaturesDef;

/* <pm>: whether the guest may suspend to RAM (S3) or to disk (S4). */
typedef struct DomainPmDef {
        Tristate suspend_to_mem;  /* enabled='yes|no' */
        Tristate suspend_to_disk;
} DomainPmDef;

/* <perf><event name='' enabled='yes|no'/>: the perf counters libvirt keeps
 * on the guest's QEMU process, by libvirt's names (virPerfEventType, in its
 * order, which is also the order GetPerfEvents lists them in). */
typedef enum DomainPerfEvent {
        DOMAIN_PERF_CMT,
        DOMAIN_PERF_MBMT,
        DOMAIN_PERF_MBML,
        DOMAIN_PERF_CPU_CYCLES,
        DOMAIN_PERF_INSTRUCTIONS,
        DOMAIN_PERF_CACHE_REFERENCES,
        DOMAIN_PERF_CACHE_MISSES,
        DOMAIN_PERF_BRANCH_INSTRUCTIONS,
        DOMAIN_PERF_BRANCH_MISSES,
        DOMAIN_PERF_BUS_CYCLES,
        DOMAIN_PERF_STALLED_CYCLES_FRONTEND,
        DOMAIN_PERF_STALLED_CYCLES_BACKEND,
        DOMAIN_PERF_REF_CPU_CYCLES,
        DOMAIN_PERF_CPU_CLOCK,
        DOMAIN_PERF_TASK_CLOCK,
        DOMAIN_PERF_PAGE_FAULTS,
        DOMAIN_PERF_CONTEXT_SWITCHES,
        DOMAIN_PERF_CPU_MIGRATIONS,
        DOMAIN_PERF_PAGE_FAULTS_MIN,
        DOMAIN_PERF_PAGE_FAULTS_MAJ,
        DOMAIN_PERF_ALIGNMENT_FAULTS,
        DOMAIN_PERF_EMULATION_FAULTS,
        _DOMAIN_PERF_MAX,
} DomainPerfEvent;

#include "domain-conf-cpu.h"

/* <address/> of a device: where it sits on its bus. NONE: not given, the
 * driver (or QEMU) picks. */
typedef enum DomainAddressType {
        DOMAIN_ADDRESS_NONE,
        DOMAIN_ADDRESS_PCI,
        DOMAIN_ADDRESS_DRIVE,
        DOMAIN_ADDRESS_VIRTIO_SERIAL,
        DOMAIN_ADDRESS_USB,
        DOMAIN_ADDRESS_ISA,
        DOMAIN_ADDRESS_CCID,    /* a smartcard's slot of a ccid controller: controller, slot */
        DOMAIN_ADDRESS_UNASSIGNED, /* a PCI hostdev kept for the guest but not given to it */
        _DOMAIN_ADDRESS_MAX,
} DomainAddressType;

#define DOMAIN_USB_PORT_DEPTH 4 /* a port on up to three hubs: "1.2.3.4" */

typedef struct DomainDeviceAddress {
        DomainAddressType type;
        /* pci: domain:bus:slot.function. All zero (<address type='pci'/>)
         * means "some PCI address": see domain_address_pci_is_empty(). */
        unsigned domain, bus, slot, function;
        Tristate multifunction;
        /* drive: controller, bus, target, unit;
         * virtio-serial: controller, bus, port (has_port: else the next free);
         * usb: bus and usb_port[0..n_usb_port) ("1.2" = port 2 of the hub on port 1). */
        unsigned controller, target, unit, port;
        bool has_port;
        unsigned usb_port[DOMAIN_USB_PORT_DEPTH];
        size_t n_usb_port;
        /* isa: the I/O port base and the IRQ, each when its has_ flag is set */
        unsigned iobase, irq;
        bool has_iobase, has_irq;
} DomainDeviceAddress;

#include "domain-conf-disk.h"

typedef enum DomainControllerType {
        DOMAIN_CONTROLLER_PCI,
        DOMAIN_CONTROLLER_USB,
        DOMAIN_CONTROLLER_SCSI,
        DOMAIN_CONTROLLER_SATA,
        DOMAIN_CONTROLLER_IDE,
        DOMAIN_CONTROLLER_VIRTIO_SERIAL,
        DOMAIN_CONTROLLER_FDC,         /* the floppy controller: pc's own, an ISA one on q35 */
        DOMAIN_CONTROLLER_CCID,        /* a USB smartcard reader (usb-ccid) holding <smartcard>s */
        _DOMAIN_CONTROLLER_MAX,
} DomainControllerType;

typedef struct DomainControllerDef {
        DomainControllerType type;
        unsigned index;
        char *model;           /* pci: pcie-root, pci-root, pcie-root-port; usb: qemu-xhci, ...;
                                  scsi: virtio-scsi; NULL = default */
        unsigned queues;       /* <driver queues=''/>, 0 = not set */
        unsigned cmd_per_lun;  /* virtio-scsi <driver cmd_per_lun=''/> */
        unsigned max_sectors;  /* virtio-scsi <driver max_sectors=''/> */
        Tristate ioeventfd;    /* virtio-scsi <driver ioeventfd=''/> */
        unsigned iothread;     /* virtio-scsi <driver iothread=''/>: an IOThread id, 0 = none */
        DomainVirtioOpts virtio;
        unsigned ports;        /* usb/virtio-serial ports, 0 = not set */
        unsigned vectors;      /* virtio-serial <controller vectors=''>: MSI-X vectors, 0 = not set */
        /* pci-root/pcie-root <pcihole64>: the 64-bit PCI hole's size */
        uint64_t pcihole64_kib;
        bool has_pcihole64;
        /* pci only: <model name=''/> (the QEMU device: "pcie-root-port",
         * "ioh3420", "pci-bridge") and <target chassisNr='' chassis='' port=''
         * hotplug=''/>, each 0..255 when its has_ flag is set. */
        char *model_name;
        unsigned target_chassis_nr, target_chassis, target_port;
        bool has_target_chassis_nr, has_target_chassis, has_target_port;
        Tristate target_hotplug;
        /* expander buses (pxb, pxb-pcie): <target busNr=''><node>N</node>, the
         * first bus number behind it and its guest NUMA node */
        unsigned target_bus_nr, target_node;
        bool has_target_bus_nr, has_target_node;
        /* usb only: <master startport=''/> of an EHCI companion (uhci) */
        unsigned master_startport;
        bool has_master;
        DomainDeviceAddress addr;
        char *alias;           /* live */
} DomainControllerDef;

/* A virtio-scsi controller, in any of its three models (KubeVirt asks for
 * virtio-non-transitional). */
static inline bool domain_controller_is_virtio_scsi(const DomainControllerDef *c) {
        return c->type == DOMAIN_CONTROLLER_SCSI && c->model &&
               (strcmp(c->model, "virtio-scsi") == 0 || strcmp(c->model, "virtio-transitional") == 0 ||
                strcmp(c->model, "virtio-non-transitional") == 0);
}

/* <filesystem type=''>: what a container (or a guest) mounts. */
typedef enum DomainFsType {
        DOMAIN_FS_MOUNT,        /* a host directory (the default) */
        DOMAIN_FS_BLOCK,        /* a block device */
        DOMAIN_FS_FILE,         /* an image file */
        DOMAIN_FS_RAM,          /* a tmpfs of <source usage=''/> */
        _DOMAIN_FS_MAX,
} DomainFsType;

typedef enum DomainFsAccessMode {
        DOMAIN_FS_ACCESS_DEFAULT, /* not given: passthrough */
        DOMAIN_FS_ACCESS_PASSTHROUGH,
        DOMAIN_FS_ACCESS_MAPPED,
        DOMAIN_FS_ACCESS_SQUASH,
        _DOMAIN_FS_ACCESS_MAX,
} DomainFsAccessMode;

/* <filesystem><binary path='' xattr=''>: how qemud runs virtiofsd (its
 * path, NULL: found through QEMU's vhost-user descriptions) and its options,
 * each TRISTATE_ABSENT / NULL when not given. */
typedef struct DomainFsBinary {
        char *path;
        Tristate xattr, posix_lock, flock;
        char *cache;           /* <cache mode=''/>: none, always */
        char *sandbox;         /* <sandbox mode=''/>: namespace, chroot */
        bool has_thread_pool;
        int thread_pool;       /* <thread_pool size=''/> */
        bool present;          /* an empty <binary/> is kept too */
} DomainFsBinary;

typedef struct DomainFsDef {
        DomainFsType type;
        DomainFsAccessMode accessmode;
        char *src;             /* mount: dir, block: dev, file: file (absolute paths) */
        uint64_t usage_kib;    /* ram: the tmpfs size */
        char *dst;             /* <target dir=''/>: absolute, one per filesystem */
        bool readonly;
        /* <driver type='' format=''/> of a file: how the image is attached
         * (loop, nbd; path, handle, ploop) and its format (raw, qcow2...);
         * NULL when not given */
        char *driver_type, *driver_format;
        DomainVirtioOpts virtio;
        /* a machine's (virtio-9p) share: <driver wrpolicy='immediate'/>, the
         * modes of what the guest creates in a mapped share (<filesystem
         * fmode='' dmode=''>, 0 = QEMU's default) and <filesystem multidevs=''>
         * (default, remap, forbid, warn), NULL when not given */
        char *driver_wrpolicy, *multidevs;
        unsigned fmode, dmode;
        /* virtiofs (<driver type='virtiofs' queue=''/>): a vhost-user-fs
         * device; its back end is the virtiofsd of <binary> qemud runs on
         * the <source dir=''/>, or one already listening on <source socket=''/> */
        bool virtiofs;
        uint64_t queue;        /* 0: QEMU's default */
        char *sock;
        DomainFsBinary binary;
        unsigned boot_order;
        char *model;           /* <filesystem model=''>: virtio, virtio-(non-)transitional; NULL */
        DomainDeviceAddress addr;
        char *alias;           /* live */
} DomainFsDef;

/* <idmap><uid start='' target='' count=''/>: ids start..start+count-1 inside
 * the container are target..target+count-1 on the host. */
typedef struct DomainIdmapRange {
        unsigned start, target, count;
} DomainIdmapRange;

typedef struct DomainIdmapDef {
        DomainIdmapRange *uids;
        size_t n_uids;
        DomainIdmapRange *gids;
        size_t n_gids;
} DomainIdmapDef;

#include "domain-conf-net.h"

typedef enum DomainChrType {
        DOMAIN_CHR_PTY,
        DOMAIN_CHR_FILE,
        DOMAIN_CHR_UNIX,
        DOMAIN_CHR_SPICEVMC,   /* SPICE's own channel: <channel> (the vdagent) and <redirdev> only */
        DOMAIN_CHR_NULL,       /* nothing: output dropped, no input */
        DOMAIN_CHR_VC,         /* QEMU's own virtual console (in its display) */
        DOMAIN_CHR_PIPE,       /* <source path=''/>: the named pipes path.in and path.out (or path) */
        DOMAIN_CHR_DEV,        /* <source path=''/>: a host tty device */
        DOMAIN_CHR_TCP,        /* host/service, listen: mode='bind'; telnet: <protocol type='telnet'/> */
        DOMAIN_CHR_UDP,        /* host/service the remote end, bind_host/bind_service the local one */
        DOMAIN_CHR_QEMU_VDAGENT, /* QEMU's own SPICE agent end (clipboard, mouse): a <channel> only */
        DOMAIN_CHR_STDIO,      /* QEMU's stdin/stdout: the guest's log (qemud gives QEMU no terminal) */
        DOMAIN_CHR_SPICEPORT,  /* a named SPICE port (<source channel=''/>): domain-chr-source.c */
        DOMAIN_CHR_DBUS,       /* a named channel of QEMU's D-Bus display (<source channel=''/>) */
        _DOMAIN_CHR_MAX,
} DomainChrType;

typedef enum DomainChrKind {
        DOMAIN_CHR_SERIAL,
        DOMAIN_CHR_PARALLEL,   /* <parallel>: an ISA parallel port */
        DOMAIN_CHR_CONSOLE,
        DOMAIN_CHR_CHANNEL,    /* <channel>: a virtio-serial port (target type 'virtio') */
        _DOMAIN_CHR_KIND_MAX,
} DomainChrKind;

typedef struct DomainChrDef {
        DomainChrKind kind;
        DomainChrType type;
        char *path;            /* file/unix: source path; pty live: the allocated /dev/pts/N;
                                  channel unix: NULL = a socket the driver places (live: its path) */
        bool path_auto;        /* live: path was chosen by the driver, not the user */
        bool listen;           /* unix, tcp: mode='bind' */
        char *host, *service;  /* tcp, udp: domain-chr-net.c */
        char *bind_host, *bind_service; /* udp: the local end */
        bool telnet;           /* tcp: <protocol type='telnet'/> */
        Tristate vdagent_clipboard; /* qemu-vdagent: <source><clipboard copypaste=''/> */
        char *vdagent_mouse;   /* qemu-vdagent: <source><mouse mode='server|client'/> */
        bool protocol_raw;     /* not tcp: <protocol type='raw'/> given (what it speaks anyway) */
        char *target_type;     /* serial: "isa-serial"; console: "serial" or "virtio";
                                  channel: "virtio" */
        char *target_model;    /* serial: <target><model name=''/>: "isa-serial", "pci-serial", ... */
        char *target_name;     /* channel: the port name, "org.qemu.guest_agent.0" */
        char *target_address;  /* guestfwd channel: the user network's address (port in port) */
        char *target_state;    /* channel, live: "connected" or "disconnected" */
        unsigned port;
        bool port_given;       /* channel/console: target port='' given */
        char *log_file;        /* <log file=''/> */
        Tristate append, log_append; /* file: <source append=''/>; <log append=''/> (absent: on) */
        DomainDeviceAddress addr; /* pci-serial: pci; virtio console, channel: virtio-serial */
        /* <source> extras: domain-chr-source.c */
        Tristate tls;          /* tcp: tls='yes|no'; absent: qemud.conf's chardev_tls decides */
        Tristate reconnect;    /* tcp, unix (connect): <reconnect enabled=''/> */
        unsigned reconnect_timeout; /* <reconnect timeout=''/>, seconds */
        char *channel;         /* spiceport, dbus: <source channel=''/> */
        DomainDevSeclabelDef *seclabels; /* <source><seclabel>: domain-seclabel.h */
        size_t n_seclabels;
        char *alias;           /* live */
} DomainChrDef;

typedef enum DomainGraphicsType {
        DOMAIN_GRAPHICS_VNC,
        DOMAIN_GRAPHICS_SPICE,
        DOMAIN_GRAPHICS_SDL,           /* a window on the host's X display */
        DOMAIN_GRAPHICS_EGL_HEADLESS,  /* OpenGL rendering on a host GPU, shown by VNC/SPICE */
        DOMAIN_GRAPHICS_DBUS,          /* QEMU's D-Bus display */
        _DOMAIN_GRAPHICS_MAX,
} DomainGraphicsType;

/* <listen type=''/>: where the display is reached. */
typedef enum DomainGraphicsListen {
        DOMAIN_GRAPHICS_LISTEN_ADDRESS, /* a TCP port on listen (the default) */
        DOMAIN_GRAPHICS_LISTEN_NONE,    /* nowhere: a client gets a connected fd (OpenGraphicsFD) */
        DOMAIN_GRAPHICS_LISTEN_SOCKET,  /* a unix socket at socket */
        DOMAIN_GRAPHICS_LISTEN_LOCAL,   /* sdl, egl-headless, dbus: no listen of their own */
        _DOMAIN_GRAPHICS_LISTEN_MAX,
} DomainGraphicsListen;

/* SPICE's channels, as <channel name=''/> names them (QEMU's names too). */
typedef enum DomainSpiceChannel {
        DOMAIN_SPICE_CHANNEL_MAIN,
        DOMAIN_SPICE_CHANNEL_DISPLAY,
        DOMAIN_SPICE_CHANNEL_INPUTS,
        DOMAIN_SPICE_CHANNEL_CURSOR,
        DOMAIN_SPICE_CHANNEL_PLAYBACK,
        DOMAIN_SPICE_CHANNEL_RECORD,
        DOMAIN_SPICE_CHANNEL_SMARTCARD,
        DOMAIN_SPICE_CHANNEL_USBREDIR,
        _DOMAIN_SPICE_CHANNEL_MAX,
} DomainSpiceChannel;

/* defaultMode='' and <channel mode=''/>: any (the default), secure (TLS
 * port only), insecure (plain port only). */
typedef enum DomainSpiceMode {
        DOMAIN_SPICE_MODE_ANY,
        DOMAIN_SPICE_MODE_SECURE,
        DOMAIN_SPICE_MODE_INSECURE,
        _DOMAIN_SPICE_MODE_MAX,
} DomainSpiceMode;

/* A <listen> after the first (domain-graphics-listens.c): kept as given;
 * QEMU takes one listen per display, so a start refuses it, as libvirt. */
typedef struct DomainGraphicsListenExtra {
        char *type;            /* address, network, socket, none */
        char *address, *network, *socket;
} DomainGraphicsListenExtra;

typedef struct DomainGraphicsDef {
        DomainGraphicsType type;
        DomainGraphicsListen listen_type;
        char *socket;          /* listen type socket: its path; NULL: the driver's, in the run dir */
        bool socket_auto;      /* live: socket is the one the driver placed */
        int websocket;         /* vnc: websocket='' port, 0 = none, -1 = picked at start */
        char *share_policy;    /* vnc: sharePolicy='' (allow-exclusive, force-shared, ignore) */
        Tristate power_control; /* vnc: powerControl='yes|no' */
        int port;              /* -1 = autoport; live: the allocated port; 0 for listen none and socket */
        bool autoport;
        int tls_port;          /* SPICE tlsPort: 0 = none, -1 = autoport; live: the allocated port */
        DomainSpiceMode default_mode;                       /* SPICE defaultMode='' */
        DomainSpiceMode channel_modes[_DOMAIN_SPICE_CHANNEL_MAX]; /* <channel name='' mode=''/> */
        char *listen;          /* address; NULL = 127.0.0.1; live: the one resolved from listen_network */
        char *listen_network;  /* <listen type='network' network=''/>: its address is looked up at start */
        char *passwd;
        DomainGraphicsListenExtra *extra_listens; /* the <listen>s after the first */
        size_t n_extra_listens;
        bool passwd_expires;       /* passwdValidTo='' given: domain-graphics-auth.c */
        int64_t passwd_valid_to;   /* its time, seconds since the epoch (UTC) */
        char *connected;           /* connected='': fail, disconnect, keep (VNC: keep only) */
        char *keymap;
        /* SPICE only; NULL / ABSENT = not given (QEMU's default) */
        char *image_compression;   /* <image compression=''/>: auto_glz, auto_lz, quic, glz, lz, off */
        char *jpeg_compression;    /* <jpeg compression=''/>: auto, never, always */
        char *zlib_compression;    /* <zlib compression=''/>: auto, never, always */
        Tristate playback_compression; /* <playback compression='on|off'/> */
        char *streaming_mode;      /* <streaming mode=''/>: filter, all, off */
        Tristate clipboard_copypaste;  /* <clipboard copypaste='yes|no'/> */
        char *mouse_mode;          /* <mouse mode=''/>: server, client */
        Tristate filetransfer;     /* <filetransfer enable='yes|no'/> */
        Tristate gl;               /* <gl enable=''/> (spice, sdl, dbus) */
        char *rendernode;          /* <gl rendernode=''/> (spice, egl-headless, dbus); live: the one picked */
        unsigned audio_id;         /* <audio id=''/> (vnc, dbus); 0 = none */
        char *display, *xauth;     /* sdl: display='' xauth='' */
        bool fullscreen;           /* sdl: fullscreen='yes' */
        char *dbus_address;        /* dbus: address='' (a D-Bus address); NULL = the session bus */
        bool p2p;                  /* dbus: p2p='yes', peer-to-peer connections by fd */
} DomainGraphicsDef;

typedef struct DomainVideoDef {
        char *model;           /* vga, cirrus, virtio, qxl, bochs, ramfb, none */
        unsigned vram;         /* KiB, 0 = default */
        unsigned ram, vgamem;  /* qxl only: KiB, 0 = default */
        unsigned vram64;       /* qxl only: KiB of the 64-bit bar, 0 = default */
        unsigned heads;
        bool primary;
        bool vhostuser;        /* <driver name='vhostuser'/>: a vhost-user-gpu process renders */
        bool driver_qemu;      /* <driver name='qemu'/> given (QEMU renders, the default) */
        DomainVirtioOpts virtio; /* virtio only */
        Tristate accel3d, accel2d; /* <acceleration accel3d='' accel2d=''/> */
        char *rendernode;      /* <acceleration rendernode=''/>: vhostuser only */
        unsigned res_x, res_y; /* <resolution x='' y=''/>; 0 = not given */
        unsigned acpi_index;   /* <acpi index=''/>, 0 = not set */
        DomainDeviceAddress addr;
        char *alias;           /* live */
} DomainVideoDef;

typedef struct DomainInputDef {
        char *type;            /* mouse, keyboard, tablet; passthrough (a host evdev, virtio only);
                                  evdev (a host evdev QEMU reads: input-linux, no bus) */
        char *bus;             /* ps2, usb, virtio */
        char *source;          /* passthrough: <source evdev=''/>; evdev: <source dev=''/> */
        bool grab_all;         /* evdev: grab='all' */
        char *grab_toggle;     /* evdev: grabToggle='' (QEMU's words: "ctrl-ctrl", ...) */
        Tristate repeat;       /* evdev: repeat='on|off' */
        DomainVirtioOpts virtio; /* virtio bus: <driver iommu ats packed page_per_vq/> */
        DomainDeviceAddress addr; /* usb: usb; virtio: pci */
        char *alias;           /* live */
} DomainInputDef;

typedef enum DomainSoundModel {
        DOMAIN_SOUND_SB16,
        DOMAIN_SOUND_ES1370,
        DOMAIN_SOUND_AC97,
        DOMAIN_SOUND_ICH6,
        DOMAIN_SOUND_ICH9,
        DOMAIN_SOUND_USB,
        DOMAIN_SOUND_PCSPK,    /* the PC speaker, the machine's own: no address */
        _DOMAIN_SOUND_MAX,
} DomainSoundModel;

/* <codec type=''/> of an HDA controller (ich6, ich9). */
typedef enum DomainSoundCodec {
        DOMAIN_SOUND_CODEC_DUPLEX,
        DOMAIN_SOUND_CODEC_MICRO,
        DOMAIN_SOUND_CODEC_OUTPUT,
        _DOMAIN_SOUND_CODEC_MAX,
} DomainSoundCodec;

typedef struct DomainSoundDef {
        DomainSoundModel model;
        DomainSoundCodec *codecs; /* ich6/ich9; none given: one duplex codec, as libvirt */
        size_t n_codecs;
        unsigned audio_id;     /* <audio id=''/>: the backend; 0 = the first <audio> */
        DomainDeviceAddress addr; /* pci; usb for model usb; none for sb16 (ISA) */
        char *alias;           /* live */
} DomainSoundDef;

/* <audio>: a host audio backend (QEMU -audiodev) the sound devices play on. */
typedef enum DomainAudioType {
        DOMAIN_AUDIO_NONE,
        DOMAIN_AUDIO_SPICE,
        DOMAIN_AUDIO_ALSA,
        DOMAIN_AUDIO_COREAUDIO,
        DOMAIN_AUDIO_JACK,
        DOMAIN_AUDIO_OSS,
        DOMAIN_AUDIO_PULSEAUDIO,
        DOMAIN_AUDIO_SDL,
        DOMAIN_AUDIO_FILE,
        DOMAIN_AUDIO_DBUS,
        _DOMAIN_AUDIO_MAX,
} DomainAudioType;

/* A number attribute of <audio>, <input> or <output>: set or not. */
typedef struct DomainAudioNum {
        bool set;
        unsigned v;
} DomainAudioNum;

/* <input> or <output> of an <audio> (domain-audio.c): the common
 * attributes, <settings>, and those of the backend's type. */
typedef struct DomainAudioDirection {
        bool present;
        Tristate mixing_engine, fixed_settings;
        DomainAudioNum voices, buffer_length;
        bool has_settings;
        DomainAudioNum frequency, channels;
        char *format;
        char *dev;                                  /* alsa, oss */
        DomainAudioNum buffer_count;                /* coreaudio, oss, sdl */
        Tristate try_poll;                          /* oss */
        char *server_name, *client_name, *connect_ports; /* jack */
        Tristate exact_name;                        /* jack */
        char *name, *stream_name;                   /* pulseaudio */
        DomainAudioNum latency;                     /* pulseaudio */
} DomainAudioDirection;

typedef struct DomainAudioDef {
        unsigned id;           /* 1..255 */
        DomainAudioType type;
        unsigned timer_period; /* timerPeriod='' microseconds, 0 = not set */
        Tristate try_mmap, exclusive; /* oss */
        DomainAudioNum dsp_policy;    /* oss */
        char *server_name;     /* pulseaudio */
        char *driver;          /* sdl: esd, alsa, arts, pulseaudio */
        char *path;            /* file */
        DomainAudioDirection input, output;
} DomainAudioDef;

/* <redirdev bus='usb' type='spicevmc'/>: a USB device of the SPICE client;
 * type 'tcp' or 'unix': of a usbredir server (usbredirserver) on that socket. */
typedef struct DomainRedirdevDef {
        DomainChrType type;    /* spicevmc, tcp, unix, dbus */
        DomainChrDef *src;     /* tcp, unix: the socket (its <source>, <protocol>); NULL for spicevmc */
        bool protocol_raw;     /* unix: <protocol type='raw'/> given (raw is all a unix socket speaks) */
        unsigned boot_order;   /* <boot order=''/>; 0 = none */
        DomainDeviceAddress addr; /* usb */
        char *alias;           /* live */
} DomainRedirdevDef;

/* <redirfilter><usbdev/>: common/conf/domain-redirfilter.c; -1 = any. */
typedef struct DomainRedirFilterRule {
        int usb_class, vendor, product;
        int version;           /* bcdDevice: '1.10' is 0x0110 */
        bool allow;
} DomainRedirFilterRule;

/* <smartcard mode=''>: common/conf/domain-smartcard.c. A card in a slot of a
 * ccid controller (a USB reader): QEMU's emulated one on the host's NSS
 * database (mode host) or on three certificates of it (host-certificates),
 * or the card of a remote reader behind a chardev (passthrough: tcp, unix,
 * spicevmc...). */
typedef enum DomainSmartcardMode {
        DOMAIN_SMARTCARD_HOST,
        DOMAIN_SMARTCARD_HOST_CERTIFICATES,
        DOMAIN_SMARTCARD_PASSTHROUGH,
        _DOMAIN_SMARTCARD_MODE_MAX,
} DomainSmartcardMode;

#define DOMAIN_SMARTCARD_CERTS 3

typedef struct DomainSmartcardDef {
        DomainSmartcardMode mode;
        char *certs[DOMAIN_SMARTCARD_CERTS]; /* host-certificates: the NSS nicknames */
        char *database;        /* host-certificates: <database>, NULL = /etc/pki/nssdb */
        DomainChrDef *src;     /* passthrough: the chardev (its type, <source>, <protocol>) */
        bool protocol_raw;     /* unix passthrough: <protocol type='raw'/> given */
        DomainDeviceAddress addr; /* ccid */
        char *alias;           /* live */
} DomainSmartcardDef;

/* <shmem name=''>: memory shared with other guests or the host over
 * ivshmem (common/conf/domain-shmem.c). The model is ivshmem (the legacy
 * device, libvirt's default), ivshmem-plain or ivshmem-doorbell; libvirt's
 * QEMU defaults are applied at parse: a 4 MiB size but for doorbell, whose
 * <msi> is on with ioeventfd='on'. */
typedef struct DomainShmemDef {
        char *name;
        char *model;
        char *role;            /* master, peer; NULL when not given */
        uint64_t size;         /* bytes, 0: none (doorbell) */
        bool server;           /* <server path=''/>: an ivshmem-server's socket */
        char *server_path;     /* NULL: /var/lib/libvirt/shmem-NAME-sock, as libvirt */
        bool msi;
        unsigned msi_vectors;
        Tristate msi_ioeventfd;
        DomainDeviceAddress addr; /* pci */
        char *alias;           /* live */
} DomainShmemDef;

/* <hub type='usb'/>: common/conf/domain-hub.c */
typedef struct DomainHubDef {
        DomainDeviceAddress addr; /* usb */
        char *alias;           /* live */
} DomainHubDef;

typedef struct DomainMemballoonDef {
        bool present;
        char *model;           /* virtio, none */
        unsigned stats_period; /* seconds, 0 = off */
        Tristate autodeflate, free_page_reporting;
        DomainVirtioOpts virtio;
        DomainDeviceAddress addr;
        char *alias;           /* live */
} DomainMemballoonDef;

typedef struct DomainRngDef {
        char *model;           /* virtio */
        char *backend_model;   /* random, builtin */
        char *backend_path;    /* /dev/urandom for backend random */
        struct DomainChrDef *backend_chr; /* egd: the chardev to the EGD daemon */
        unsigned rate_bytes, rate_period;
        DomainVirtioOpts virtio;
        DomainDeviceAddress addr;
        char *alias;           /* live */
} DomainRngDef;

/* <watchdog>: one per domain (libvirt 9.0's schema). i6300esb is PCI,
 * ib700 ISA (no address we model); diag288 is s390's. */
typedef enum DomainWatchdogModel {
        DOMAIN_WATCHDOG_MODEL_I6300ESB,
        DOMAIN_WATCHDOG_MODEL_IB700,
        _DOMAIN_WATCHDOG_MODEL_MAX,
} DomainWatchdogModel;

/* What QEMU does when it fires; dump: QEMU pauses, the driver dumps the
 * guest's memory and lets it run on. */
typedef enum DomainWatchdogActionKind {
        DOMAIN_WATCHDOG_ACTION_RESET,
        DOMAIN_WATCHDOG_ACTION_SHUTDOWN,
        DOMAIN_WATCHDOG_ACTION_POWEROFF,
        DOMAIN_WATCHDOG_ACTION_PAUSE,
        DOMAIN_WATCHDOG_ACTION_NONE,
        DOMAIN_WATCHDOG_ACTION_DUMP,
        DOMAIN_WATCHDOG_ACTION_INJECT_NMI,
        _DOMAIN_WATCHDOG_ACTION_MAX,
} DomainWatchdogActionKind;

typedef struct DomainWatchdogDef {
        bool present;
        DomainWatchdogModel model;
        DomainWatchdogActionKind action; /* absent: reset, as libvirt */
        DomainDeviceAddress addr;        /* pci for i6300esb */
        char *alias;                     /* live */
} DomainWatchdogDef;

/* <panic>: how the guest tells the host it panicked. isa: the pvpanic
 * ISA device; hyperv: the Hyper-V crash MSRs (hv-crash). */
typedef enum DomainPanicModel {
        DOMAIN_PANIC_ISA,
        DOMAIN_PANIC_HYPERV,
        _DOMAIN_PANIC_MAX,
} DomainPanicModel;

typedef struct DomainPanicDef {
        DomainPanicModel model;  /* absent: isa, the x86 default */
        DomainDeviceAddress addr; /* isa: <address type='isa' iobase=''/> (pvpanic's ioport) */
        char *alias;             /* live */
} DomainPanicDef;

/* <vsock>: a virtio socket to the host (vhost-vsock-pci). */
typedef struct DomainVsockDef {
        bool present;
        Tristate cid_auto;       /* <cid auto='yes|no'/>; absent */
        unsigned cid;            /* <cid address=''/>: 3 or more; 0 = none given */
        char *model;             /* virtio-(non-)transitional; NULL: virtio */
        DomainDeviceAddress addr; /* pci */
        char *alias;             /* live */
} DomainVsockDef;

/* <iommu>: intel (intel-iommu, q35) or virtio (virtio-iommu-pci). */
typedef enum DomainIommuModel {
        DOMAIN_IOMMU_INTEL,
        DOMAIN_IOMMU_VIRTIO,
        _DOMAIN_IOMMU_MAX,
} DomainIommuModel;

typedef struct DomainIommuDef {
        bool present;
        DomainIommuModel model;
        /* <driver intremap='' caching_mode='' eim='' iotlb='' aw_bits=''/>: intel only */
        Tristate intremap, caching_mode, eim, iotlb;
        unsigned aw_bits;        /* 0 = not given */
        DomainDeviceAddress addr; /* pci, virtio only */
        char *alias;             /* live */
} DomainIommuDef;

/* <vcpus><vcpu id='' enabled='' hotpluggable='' order=''/>: which vCPUs
 * run at start, which QEMU may plug and unplug, and the order they were
 * enabled in (domain-vcpus.c). Once given they, not <vcpu current=''>,
 * say which vCPUs run, as in libvirt. */
typedef struct DomainVcpuState {
        unsigned id;
        bool enabled;
        Tristate hotpluggable;  /* after parsing ON or OFF */
        unsigned order;         /* 0: none */
} DomainVcpuState;

typedef struct DomainVcpuPin {
        unsigned vcpu;
        char *cpuset;
} DomainVcpuPin;

/* <cputune><iothreadpin iothread='' cpuset=''/>. */
typedef struct DomainIOThreadPin {
        unsigned iothread;
        char *cpuset;
} DomainIOThreadPin;

/* One IOThread of <iothreadids> (or numbered by the parser when only
 * <iothreads>N</iothreads> was given: autofill). */
/* thread_pool_min/thread_pool_max='' of an IOThread or <defaultiothread>:
 * the bounds of its pool of worker threads (QEMU's thread-pool-min/max). */
typedef struct DomainThreadPool {
        bool has_min, has_max;
        unsigned min, max;
} DomainThreadPool;

typedef struct DomainIOThreadDef {
        unsigned id;            /* 1.. */
        bool autofill;
        DomainThreadPool pool;
} DomainIOThreadDef;

/* <vcpusched scheduler=''/>, <iothreadsched>: the Linux policy of threads. */
typedef enum DomainSchedPolicy {
        DOMAIN_SCHED_NONE,
        DOMAIN_SCHED_BATCH,
        DOMAIN_SCHED_IDLE,
        DOMAIN_SCHED_FIFO,
        DOMAIN_SCHED_RR,
        _DOMAIN_SCHED_MAX,
} DomainSchedPolicy;

/* <vcpusched vcpus='' .../> or <iothreadsched iothreads='' .../>, as given
 * (domain-cputune-sched.c): the threads, their policy and, for fifo and rr,
 * their real-time priority. No two entries of a list share a thread. */
typedef struct DomainThreadSched {
        char *ids;              /* a cpuset-style list of vCPU or IOThread ids */
        DomainSchedPolicy policy;
        int priority;
} DomainThreadSched;

typedef struct DomainCputuneDef {
        bool present;
        uint64_t shares;        /* 0 = not set */
        uint64_t period;
        int64_t quota;          /* 0 = not set */
        /* <global_period>/<global_quota>: the whole guest's cgroup;
         * <emulator_*>, <iothread_*>: its emulator and IOThread threads.
         * 0 = not set (domain-cputune-sched.c) */
        uint64_t global_period, emulator_period, iothread_period;
        int64_t global_quota, emulator_quota, iothread_quota;
        DomainVcpuPin *vcpupin;
        size_t n_vcpupin;
        char *emulatorpin;
        DomainIOThreadPin *iothreadpin;
        size_t n_iothreadpin;
        DomainThreadSched *vcpusched, *iothreadsched;
        size_t n_vcpusched, n_iothreadsched;
} DomainCputuneDef;

/* <numatune><memnode cellid='' mode='' nodeset=''/>: one guest NUMA cell's memory. */
typedef struct DomainMemnodeDef {
        unsigned cellid;
        char *mode;
        char *nodeset;
} DomainMemnodeDef;

typedef struct DomainNumatuneDef {
        bool present;
        char *mode;             /* strict, preferred, interleave, restrictive */
        char *placement;        /* static, auto */
        char *nodeset;
        DomainMemnodeDef *memnodes;
        size_t n_memnodes;
} DomainNumatuneDef;

/* <memtune>, in KiB; 0 = not set (unlimited). */
typedef struct DomainMemtuneDef {
        uint64_t hard_limit, soft_limit, swap_hard_limit, min_guarantee;
} DomainMemtuneDef;

/* <blkiotune><device>: limits of one host block device; 0 = not set. */
typedef struct DomainBlkioDevice {
        char *path;
        unsigned weight;
        uint64_t read_bytes_sec, write_bytes_sec;
        unsigned read_iops_sec, write_iops_sec;
} DomainBlkioDevice;

typedef struct DomainBlkiotuneDef {
        unsigned weight;        /* 0 = not set; else 100..1000 */
        DomainBlkioDevice *devices;
        size_t n_devices;
} DomainBlkiotuneDef;

typedef struct DomainHugepage {
        uint64_t size_kib;      /* 0 = default size */
        char *nodeset;
} DomainHugepage;

typedef enum DomainMemorySource {
        DOMAIN_MEMORY_SOURCE_NONE,
        DOMAIN_MEMORY_SOURCE_ANONYMOUS,
        DOMAIN_MEMORY_SOURCE_FILE,
        DOMAIN_MEMORY_SOURCE_MEMFD,
        _DOMAIN_MEMORY_SOURCE_MAX,
} DomainMemorySource;

typedef enum DomainMemoryAllocation {
        DOMAIN_MEMORY_ALLOCATION_NONE,
        DOMAIN_MEMORY_ALLOCATION_IMMEDIATE,
        DOMAIN_MEMORY_ALLOCATION_ONDEMAND,
        _DOMAIN_MEMORY_ALLOCATION_MAX,
} DomainMemoryAllocation;

typedef struct DomainMemoryBackingDef {
        bool hugepages;
        DomainHugepage *pages;
        size_t n_pages;
        bool nosharepages, locked;
        DomainMemorySource source;         /* <source type=''/> */
        DomainMemoryAccess access;         /* <access mode=''/> */
        DomainMemoryAllocation allocation; /* <allocation mode='' threads=''/> */
        unsigned allocation_threads;       /* 0 = not given */
        bool discard;                      /* <discard/> */
} DomainMemoryBackingDef;

#include "domain-hostdev.h"
#include "domain-lease.h"
#include "domain-memory-device.h"
#include "domain-tpm.h"

/* <sysinfo> (domain-sysinfo.c). An SMBIOS section's entries by their place
 * in domain_smbios_fields[kind] (NULL: not given). */
typedef enum DomainSysinfoType {
        DOMAIN_SYSINFO_SMBIOS,
        DOMAIN_SYSINFO_FWCFG,
        _DOMAIN_SYSINFO_MAX,
} DomainSysinfoType;

typedef enum DomainSmbiosSectionKind {
        DOMAIN_SMBIOS_BIOS,      /* type 0 */
        DOMAIN_SMBIOS_SYSTEM,    /* type 1 */
        DOMAIN_SMBIOS_BASEBOARD, /* type 2 */
        DOMAIN_SMBIOS_CHASSIS,   /* type 3 */
        _DOMAIN_SMBIOS_SECTION_MAX,
} DomainSmbiosSectionKind;

#define DOMAIN_SMBIOS_FIELDS_MAX 7
#define DOMAIN_SMBIOS_SYSTEM_UUID 4 /* the system section's "uuid" */
extern const char *const domain_smbios_fields[_DOMAIN_SMBIOS_SECTION_MAX][DOMAIN_SMBIOS_FIELDS_MAX + 1];

typedef struct DomainSmbiosSection {
        char *fields[DOMAIN_SMBIOS_FIELDS_MAX];
} DomainSmbiosSection;

typedef struct DomainFwcfgEntry {
        char *name;  /* "opt/..." */
        char *value; /* the text, or */
        char *file;  /* a file's contents */
} DomainFwcfgEntry;

typedef struct DomainSysinfo {
        DomainSysinfoType type;
        /* smbios: bios, system, chassis (the base boards are a list) */
        DomainSmbiosSection sections[_DOMAIN_SMBIOS_SECTION_MAX];
        DomainSmbiosSection *baseboards;
        size_t n_baseboards;
        char **oem_strings;      /* type 11, in order */
        size_t n_oem_strings;
        DomainFwcfgEntry *fwcfg; /* fwcfg */
        size_t n_fwcfg;
} DomainSysinfo;

const char *domain_sysinfo_type_to_string(DomainSysinfoType t);
const char *domain_smbios_mode_to_string(DomainSmbiosMode m);
bool domain_smbios_section_empty(const DomainSmbiosSection *s);

/* <launchSecurity> (domain-launch-security.c). */
typedef enum DomainLaunchSecurityType {
        DOMAIN_LSEC_NONE,
        DOMAIN_LSEC_SEV,
        DOMAIN_LSEC_S390_PV,
        _DOMAIN_LSEC_MAX,
} DomainLaunchSecurityType;

typedef struct DomainLaunchSecurity {
        DomainLaunchSecurityType type;
        Tristate kernel_hashes;       /* kernelHashes='yes|no' */
        bool has_policy, has_cbitpos, has_reduced_phys_bits;
        unsigned policy, cbitpos, reduced_phys_bits;
        char *dh_cert, *session;      /* base64, as given */
} DomainLaunchSecurity;

const char *domain_lsec_type_to_string(DomainLaunchSecurityType t);

/* <qemu:override><qemu:device alias=''><qemu:frontend><qemu:property
 * name='' type='' value=''/>: a property set on (or, type 'remove', taken
 * off) the -device JSON of the device with that alias. value kept as given. */
typedef enum {
        DOMAIN_QEMU_PROP_STRING,
        DOMAIN_QEMU_PROP_SIGNED,
        DOMAIN_QEMU_PROP_UNSIGNED,
        DOMAIN_QEMU_PROP_BOOL,
        DOMAIN_QEMU_PROP_REMOVE,
} DomainQemuPropType;

typedef struct {
        char *name;
        DomainQemuPropType type;
        char *value; /* NULL for 'remove' */
} DomainQemuProp;

typedef struct {
        char *alias;
        DomainQemuProp *props; /* <qemu:frontend>'s, in order */
        size_t n_props;
} DomainQemuOverride;

typedef struct DomainDef {
        DomainVirtType virt_type;
        int id;                 /* live: -1 when inactive */
        char *name;
        uint8_t uuid[16];
        char *title, *description;
        DomainLaunchSecurity launch_security;
        DomainSysinfo *sysinfos;     /* <sysinfo>s, in order */
        size_t n_sysinfos;
        bool has_genid;              /* <genid> */
        uint8_t genid[16];           /* its UUID; null: <genid/>, the driver's at each start */
        bool has_partition;          /* <resource><partition>/machine (the only one) */
        char **metadata;             /* <metadata>'s child elements, each as XML text, kept as given */
        /* <qemu:commandline> (libvirt's QEMU namespace): <qemu:arg>s appended to
         * QEMU's argv, <qemu:env>s as "NAME=VALUE" (or "NAME": empty) */
        char **qemu_args, **qemu_env;
        /* <qemu:capabilities>: the names of <qemu:add> and <qemu:del> */
        char **qemu_caps_add, **qemu_caps_del;
        char *qemu_deprecation; /* <qemu:deprecation behavior=''/> */
        DomainQemuOverride *qemu_overrides; /* <qemu:override><qemu:device>s, in order */
        size_t n_qemu_overrides;

        uint64_t memory_kib;         /* <memory> */
        Tristate memory_dump_core;   /* <memory dumpCore='on|off'>: guest RAM in QEMU's core dumps */
        uint64_t current_memory_kib; /* <currentMemory>, 0 = same as memory */
        uint64_t max_memory_kib;     /* <maxMemory>, 0 = none */
        unsigned max_memory_slots;

        unsigned vcpus;              /* <vcpu> */
        unsigned vcpus_current;      /* current='' attribute, 0 = all */
        char *vcpu_placement;
        char *vcpu_cpuset;
        /* <vcpus>: none, or after parsing one per vCPU (index == id) */
        DomainVcpuState *vcpu_states;
        size_t n_vcpu_states;

        /* <iothreads>N</iothreads> and <iothreadids>: after parsing, one
         * entry per IOThread (N of them), in the order given. */
        unsigned iothreads;
        DomainThreadPool default_iothread; /* <defaultiothread>: the main loop's pool */
        DomainIOThreadDef *iothreadids;
        size_t n_iothreadids;

        DomainOsDef os;
        DomainFeaturesDef features;
        DomainCpuDef cpu;
        DomainClockDef clock;
        DomainLifecycleAction on_poweroff, on_reboot, on_crash;
        DomainPmDef pm;
        Tristate perf[_DOMAIN_PERF_MAX]; /* <perf>: absent, enabled='yes', enabled='no' */

        DomainCputuneDef cputune;
        DomainNumatuneDef numatune;
        DomainMemtuneDef memtune;
        DomainBlkiotuneDef blkiotune;
        DomainMemoryBackingDef memory_backing;
        DomainIdmapDef idmap;

        char *emulator;
        DomainDiskDef *disks;
        size_t n_disks;
        DomainControllerDef *controllers;
        size_t n_controllers;
        DomainFsDef *filesystems;
        size_t n_filesystems;
        DomainNetDef *nets;
        size_t n_nets;
        DomainHostdevDef *hostdevs;
        size_t n_hostdevs;
        DomainMemoryDef *mems;       /* <devices><memory> */
        size_t n_mems;
        DomainTpmDef *tpms;          /* <devices><tpm> */
        size_t n_tpms;
        DomainChrDef *chrs;          /* serials, consoles and channels, in document order */
        size_t n_chrs;
        DomainGraphicsDef *graphics;
        size_t n_graphics;
        DomainVideoDef *videos;
        size_t n_videos;
        DomainInputDef *inputs;
        size_t n_inputs;
        DomainSoundDef *sounds;
        size_t n_sounds;
        DomainAudioDef *audios;
        size_t n_audios;
        DomainSmartcardDef *smartcards;
        size_t n_smartcards;
        DomainRedirdevDef *redirdevs;
        size_t n_redirdevs;
        DomainRedirFilterRule *redirfilter;
        size_t n_redirfilter;
        bool has_redirfilter;  /* <redirfilter> given, even empty */
        DomainHubDef *hubs;
        size_t n_hubs;
        DomainLeaseDef *leases;    /* <lease>: domain-lease.h */
        size_t n_leases;
        DomainShmemDef *shmems;
        size_t n_shmems;
        DomainMemballoonDef memballoon;
        DomainRngDef *rngs;
        size_t n_rngs;
        DomainWatchdogDef watchdog;
        DomainPanicDef *panics;
        size_t n_panics;
        DomainVsockDef vsock;
        DomainIommuDef iommu;
        DomainSeclabelDef *seclabels; /* <seclabel>, one per model: domain-seclabel.h */
        size_t n_seclabels;
} DomainDef;

/* Flags for domain_def_format(). */
enum {
        DOMAIN_FORMAT_INACTIVE = 1 << 0, /* leave out live fields (id, aliases, ports, ...) */
        DOMAIN_FORMAT_SECURE   = 1 << 1, /* include passwords */
};

/* Where a parse or validation failure is reported: the error name (one of
 * the org.virtbus.Error.* names from error.h) and a message naming the
 * element or value that was wrong. Messages from the parser and validator
 * start with libvirt's header for the error kind ("unsupported
 * configuration: ", "invalid argument: ", "XML error: "), as libvirt
 * clients print them verbatim; conf_error_set() itself adds nothing. */
typedef struct ConfError {
        const char *name;
        char message[512];
} ConfError;

DomainDef *domain_def_new(void);
DomainDef *domain_def_free(DomainDef *def);
DEFINE_TRIVIAL_CLEANUP_FUNC(DomainDef *, domain_def_free);

/* Parses a document. Any element or attribute of domain.rng we do not model
 * fails with NotSupported naming it; malformed XML fails with XMLError;
 * out-of-range numbers with InvalidArg. A uuid is generated when missing.
 * len 0 means xml is NUL-terminated; documents above 4 MiB are refused.
 * Returns 0 or -errno with *err filled. */
int domain_def_parse(const char *xml, size_t len, DomainDef **ret, ConfError *err);
/* Parses the XML of one device (<disk>, <interface>, <controller>...), as
 * for hot-plug: *ret is a definition with no name that holds that device
 * and nothing else, *kind its element name ("disk"). The same checks as
 * domain_def_parse(); an element that is no device is refused naming it. */
int domain_def_parse_device(const char *xml, size_t len, DomainDef **ret, const char **kind, ConfError *err);
/* Hot-plug's edits of a definition. domain_def_take_devices() moves every
 * disk, controller, interface, serial/console/channel, rng, memory, hostdev,
 * filesystem and shmem of from (one
 * from domain_def_parse_device()) to the end of def's lists; from keeps
 * none of them. domain_def_remove_device() frees def's device index of the
 * list named by kind ("disk", "controller", "interface", "serial",
 * "console", "channel", "rng", "memory", "hostdev", "filesystem", "shmem").
 * -EINVAL for another kind, -ENOMEM. */
int domain_def_take_devices(DomainDef *def, DomainDef *from);
int domain_def_remove_device(DomainDef *def, const char *kind, size_t index);

/* Formats into a newly allocated NUL-terminated string; flags DOMAIN_FORMAT_*. */
int domain_def_format(const DomainDef *def, unsigned flags, char **ret);

/* Device aliases (domain-alias.c). A user's alias ("ua-...") names its
 * device for good: kept in the definition and given to the emulator as the
 * device's id. domain_def_foreach_alias() calls f with each device's alias
 * (NULL when it has none; the first serial console, which is the first
 * serial port, once) and stops at the first non-zero return, returned.
 * domain_validate_aliases(): no two devices with one user alias. */
bool domain_alias_is_user(const char *alias);
int domain_def_foreach_alias(const DomainDef *def, int (*f)(const char *alias, void *data), void *data);
int domain_validate_aliases(const DomainDef *def, ConfError *err);
bool domain_def_has_alias(const DomainDef *def, const char *alias);

/* Semantic checks beyond the parser that hold whatever driver runs the
 * domain (iotune above LLONG_MAX, duplicate targets, an <idmap> without
 * gid ranges...). What one driver cannot run is that driver's own check
 * (qemud/qemu-validate.h). */
int domain_def_validate(const DomainDef *def, ConfError *err);

/* <memtune>'s rule between its limits (hard_limit <= swap_hard_limit), for
 * the parser and for changes of a definition. */
int domain_memtune_check(const DomainMemtuneDef *mt, ConfError *err);
/* Frees what one <blkiotune><device> holds and zeroes it. */
void domain_blkio_device_clear(DomainBlkioDevice *dev);

/* An <address type='pci'/> with every number 0: libvirt's "put it on PCI,
 * anywhere". */
bool domain_address_pci_is_empty(const DomainDeviceAddress *a);
/* "0000:00:05.0", "drive 0:0:0:1", "virtio-serial 0:0:1", "usb 0:1.2". */
void domain_address_to_string(const DomainDeviceAddress *a, char *buf, size_t size);

/* Deep copy, for turning a persistent definition into a live one. */
int domain_def_copy(const DomainDef *def, DomainDef **ret);
/* The QEMU device a PCI controller model has by default (libvirt's
 * modelName: "i82801b11-bridge" for "dmi-to-pci-bridge"), NULL for the roots. */
const char *domain_pci_model_default_name(const char *model);

/* vCPU changes of a definition that keep <vcpus> and <vcpu current=''>
 * together (domain-vcpus.c): a new maximum (the vCPUs added disabled),
 * a new count of enabled ones (hotpluggable: those enabled are
 * hot-pluggable), the vCPUs of map turned on or off. -ENOMEM. */
int domain_vcpus_set_max(DomainDef *def, unsigned max);
int domain_vcpus_set_count(DomainDef *def, unsigned n, bool hotpluggable);
int domain_vcpus_set_enabled(DomainDef *def, const bool *map, size_t n_map, bool enabled);

/* IOThreads of a definition (SetVcpus' cousins AddIOThread, DelIOThread,
 * PinIOThread): the one of id, or NULL; adding one (not yet there) as if
 * listed in <iothreadids>; removing one with its pin; pinning one
 * (cpuset NULL: unpinned). -ENOMEM, or -ENOENT for an id not there. */
DomainIOThreadDef *domain_def_find_iothread(const DomainDef *def, unsigned id);
/* The <vcpusched> (iothread: <iothreadsched>) entry of a vCPU or IOThread, or NULL. */
const DomainThreadSched *domain_def_thread_sched(const DomainDef *def, bool iothread, unsigned id);
const char *domain_def_iothread_pin(const DomainDef *def, unsigned id);
int domain_def_add_iothread(DomainDef *def, unsigned id);
int domain_def_del_iothread(DomainDef *def, unsigned id);
int domain_def_pin_iothread(DomainDef *def, unsigned id, const char *cpuset);

/* Whether a tap name is one the driver makes up ("vnet3", "vif1.0"), not
 * one the user asked for. */
bool domain_net_ifname_is_generated(const char *ifname);
/* An <interface type='server|client|mcast|udp'>: QEMU's socket netdev. */
bool domain_net_is_socket(const DomainNetDef *net);
/* Whether <driver> has rss, rss_hash_report or host/guest offloads. */
bool domain_net_driver_opts_set(const DomainNetDef *net);

void conf_error_set(ConfError *err, const char *name, const char *fmt, ...) _printf_(3, 4);

/* The sizes of all <devices><memory>, in KiB (domain-memory-device.c). */
uint64_t domain_memory_devices_total(const DomainDef *def);

const char *domain_virt_type_to_string(DomainVirtType t);
const char *domain_lifecycle_action_to_string(DomainLifecycleAction a);
const char *domain_disk_bus_to_string(DomainDiskBus b);
const char *domain_disk_format_to_string(DomainDiskFormat f);
/* Empties a disk's known backing chain (a block job changed it). */
void domain_disk_clear_backing(DomainDiskDef *d);
void domain_disk_mirror_free(DomainDiskMirror *m);
const char *domain_disk_cache_to_string(DomainDiskCache c);
const char *domain_disk_io_to_string(DomainDiskIo io);
const char *domain_controller_type_to_string(DomainControllerType t);
const char *domain_chr_type_to_string(DomainChrType t);
const char *domain_cpu_mode_to_string(DomainCpuMode m);

/* DOMAIN_ENUM_TABLES: every enum above with its one string table (the words
 * of the XML), shared by parser and formatter. X(prefix, type) declares
 * prefix_to_string() (NULL for values with no XML word, such as
 * DOMAIN_ACTION_DEFAULT or DOMAIN_CPU_MODE_NONE) and prefix_from_string()
 * (-1 when unknown). Tristate has two spellings (yes/no, on/off) and is
 * handled by the parser directly. */
#define DOMAIN_ENUM_TABLES(X)                                   \
        X(domain_virt_type, DomainVirtType)                     \
        X(domain_lifecycle_action, DomainLifecycleAction)       \
        X(domain_boot_dev, DomainBootDev)                       \
        X(domain_loader_type, DomainLoaderType)                 \
        X(domain_firmware, DomainFirmware)                      \
        X(domain_cpu_mode, DomainCpuMode)                       \
        X(domain_cpu_feature_policy, DomainCpuFeaturePolicy)    \
        X(domain_clock_offset, DomainClockOffset)               \
        X(domain_clock_basis, DomainClockBasis)                 \
        X(domain_disk_type, DomainDiskType)                     \
        X(domain_disk_device, DomainDiskDevice)                 \
        X(domain_disk_bus, DomainDiskBus)                       \
        X(domain_disk_format, DomainDiskFormat)                 \
        X(domain_disk_cache, DomainDiskCache)                   \
        X(domain_disk_io, DomainDiskIo)                         \
        X(domain_disk_discard, DomainDiskDiscard)               \
        X(domain_disk_protocol, DomainDiskProtocol)             \
        X(domain_disk_transport, DomainDiskTransport)           \
        X(domain_memory_source, DomainMemorySource)             \
        X(domain_memory_access, DomainMemoryAccess)             \
        X(domain_memory_allocation, DomainMemoryAllocation)     \
        X(domain_controller_type, DomainControllerType)         \
        X(domain_fs_type, DomainFsType)                         \
        X(domain_fs_access_mode, DomainFsAccessMode)            \
        X(domain_net_type, DomainNetType)                       \
        X(domain_chr_type, DomainChrType)                       \
        X(domain_chr_kind, DomainChrKind)                       \
        X(domain_graphics_type, DomainGraphicsType)             \
        X(domain_spice_channel, DomainSpiceChannel)             \
        X(domain_spice_mode, DomainSpiceMode)                   \
        X(domain_sound_model, DomainSoundModel)                 \
        X(domain_sound_codec, DomainSoundCodec)                 \
        X(domain_audio_type, DomainAudioType)                   \
        X(domain_watchdog_model, DomainWatchdogModel)           \
        X(domain_watchdog_action, DomainWatchdogActionKind)     \
        X(domain_panic_model, DomainPanicModel)                 \
        X(domain_iommu_model, DomainIommuModel)                 \
        X(domain_timer_name, DomainTimerName)                   \
        X(domain_hyperv_mode, DomainHypervMode)                 \
        X(domain_hyperv_feature, DomainHypervFeature)           \
        X(domain_timer_tickpolicy, DomainTimerTickpolicy)       \
        X(domain_timer_track, DomainTimerTrack)                 \
        X(domain_timer_mode, DomainTimerMode)                   \
        X(domain_sched_policy, DomainSchedPolicy)               \
        X(domain_address_type, DomainAddressType)               \
        X(domain_perf_event, DomainPerfEvent)

#define DOMAIN_ENUM_DECLARE_(prefix, type)      \
        const char *prefix##_to_string(type v); \
        int prefix##_from_string(const char *s);
DOMAIN_ENUM_TABLES(DOMAIN_ENUM_DECLARE_)
