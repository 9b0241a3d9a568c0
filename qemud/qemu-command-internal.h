/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the parts of the QEMU command line builder, not for other
 * users: qemu-command.c (qemu_command_build() and the toolkit: option
 * strings, JSON properties, the argv), qemu-command-machine.c (machine,
 * CPU, memory, clock, boot, display), qemu-device.c (the walk over all
 * devices, and their data for hot-plug), and the builders of the device
 * families: qemu-command-disks.c, qemu-command-chr.c (serials, consoles,
 * channels, redirdevs), qemu-command-sound.c (audiodevs, sound cards),
 * qemu-command-devices.c (controllers, interfaces, graphics, video, input,
 * memballoon, rng) and qemu-command-pci.c (bus and addr of PCI devices). */

#include <json-c/json.h>

#include "qemu-command.h"
#include "qemu-device.h"

/* One comma-separated option string ("socket,id=charserial0,path=/p"), for
 * the options that are no device data (machine, CPU, chardevs...). Appends
 * never fail: running out of memory is remembered and reported once, by
 * cmd_opt(). */
typedef struct OptBuf {
        char *s;
        size_t len, alloc;
        bool oom;
} OptBuf;

/* Appends a formatted element, preceded by ',' unless the buffer is empty.
 * The text is taken as is: never pass a user-supplied string through fmt. */
void opt_add(OptBuf *b, const char *fmt, ...) _printf_(2, 3);
/* Appends formatted text as is, without a separating comma. */
void opt_append(OptBuf *b, const char *fmt, ...) _printf_(2, 3);
/* Appends ",key=value" with the commas of value doubled (QemuOpts/keyval
 * quoting); with key NULL just the quoted value, without a comma (for the
 * implied first key, "-machine NAME,..."). */
void opt_add_str(OptBuf *b, const char *key, const char *value);
void opt_add_bool(OptBuf *b, const char *key, bool on);
void opt_done(OptBuf *b);

/* ---- properties as data: a JSON object with QAPI's types (numbers as
 * numbers, booleans as booleans), as -device/-blockdev/-object take them in
 * their JSON form and QMP's device_add/blockdev-add/object-add as arguments.
 * The setters leave a NULL *o as it is; out of memory they free the object
 * and set *o to NULL, which its consumer (cmd_device()...) reports. */
json_object *props_new(const char *key, const char *value);   /* {key: value}, or {} for value NULL */
json_object *dev_new(const char *driver, const char *id);     /* {"driver", "id"}: id may be NULL */
/* A device's QEMU id into buf: its user's alias ("ua-..."), else the
 * driver's name made from fmt. Returns buf. */
const char *qemu_dev_id(char *buf, size_t size, const char *alias, const char *fmt, ...) _printf_(4, 5);
/* Stores the driver's alias s (owned) in *alias, unless *alias is a user's,
 * which stays (s is freed). */
void qemu_set_alias(char **alias, char *s);
void prop_str(json_object **o, const char *key, const char *value);
void prop_strf(json_object **o, const char *key, const char *fmt, ...) _printf_(3, 4);
void prop_int(json_object **o, const char *key, int64_t v);
void prop_bool(json_object **o, const char *key, bool v);
/* Adds v (consumed) under key: a nested object or array. */
void prop_take(json_object **o, const char *key, json_object *v);

/* <driver iommu ats packed page_per_vq> of a virtio device (qemu-command-virtio.c). */
void qemu_virtio_opts_props(json_object **o, const DomainVirtioOpts *v);
/* <rom> of a PCI device: romfile ("" for none) and rombar (qemu-command-rom.c). */
void qemu_rom_props(json_object **o, const DomainRomDef *rom);

static inline void qemu_json_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

/* What qemu_device_props() collects instead of an argv: each object,
 * blockdev node and device with the device of the definition it is for. */
typedef enum QemuDeviceArg {
        QEMU_DEVICE_ARG_OBJECT,
        QEMU_DEVICE_ARG_BLOCKDEV,
        QEMU_DEVICE_ARG_DEVICE,
} QemuDeviceArg;

typedef struct QemuDeviceEntry {
        QemuDeviceFamily family;
        size_t index;
        QemuDeviceArg kind;
        json_object *args;
} QemuDeviceEntry;

typedef struct QemuDeviceList {
        QemuDeviceEntry *entries;
        size_t n;
} QemuDeviceList;

typedef struct QemuCmd {
        const DomainDef *def;
        const QemuCaps *caps;
        const QemuCommandParams *params;
        ConfError *err;
        bool q35;               /* else i440fx */
        bool pci_pin_root;      /* some device has its root-bus slot given: the builder places the rest */
        uint32_t root_slots;    /* root-bus slots taken: the machine's, given, or placed so far */

        /* Not NULL: only the devices are built, into this list (no argv,
         * no host side given as strings: netdevs, chardevs, audiodevs). */
        QemuDeviceList *collect;
        QemuDeviceFamily family;        /* the device being built, see cmd_at() */
        size_t index;

        char **argv;
        size_t n_argv, n_alloc;
        int *fds;
        size_t n_fds;
} QemuCmd;

/* acpi-index=N of a PCI device (<acpi index=''/>), QEMU's bound checked */
int qemu_acpi_index_prop(QemuCmd *c, json_object **o, unsigned index, const char *what);

int cmd_arg(QemuCmd *c, const char *arg);
int cmd_argf(QemuCmd *c, const char *fmt, ...) _printf_(2, 3);
/* Adds "option" and the option string; consumes b. */
int cmd_opt(QemuCmd *c, const char *option, OptBuf *b);
/* Adds "-device" and dev in JSON (collecting: dev itself, see
 * QemuCmd.collect), after checking that QEMU has its driver; consumes dev
 * (NULL: -ENOMEM). */
int cmd_device(QemuCmd *c, json_object *dev);
/* "-blockdev" and "-object" in JSON, or collected; consume their argument
 * (NULL: -ENOMEM). */
int cmd_blockdev(QemuCmd *c, json_object *node);
int cmd_object(QemuCmd *c, json_object *obj);
/* Names the device of the definition that the next cmd_device(),
 * cmd_blockdev() and cmd_object() are for (QEMU_DEVICE_IMPLICIT: one the
 * builder adds). Every family's loop calls it before each device. */
void cmd_at(QemuCmd *c, QemuDeviceFamily family, size_t index);
/* Whether an argv is being built: the host side of devices given as
 * strings (-netdev, -chardev, -audiodev) is built only then. */
static inline bool cmd_renders(const QemuCmd *c) {
        return !c->collect;
}
int cmd_add_fd(QemuCmd *c, int fd);
/* The protocol node of a network disk, without node name and flags
 * (qemu-command-disknet.c). */
int qemu_disk_net_node(QemuCmd *c, const DomainDiskDef *disk, json_object **ret);
/* An NBD source's TLS: its tls-creds-x509 object, and tls-creds= (and
 * tls-hostname=) on its node named node (qemu-command-disknet.c). */
int qemu_disk_net_tls(QemuCmd *c, const DomainDiskNetSource *s, const char *node, json_object **o);
/* A backing chain QEMU cannot open from the headers alone (a network or
 * encrypted layer) as explicit nodes under the image's format node
 * (qemu-command-chain.c): the layers' nodes first, then "backing" on the
 * image's format node. */
bool qemu_disk_chain_explicit(const DomainDiskDef *disk);
int qemu_build_disk_chain(QemuCmd *c, const DomainDiskDef *disk, const char *alias);
void qemu_disk_chain_backing_prop(const DomainDiskDef *disk, const char *alias, json_object **o);
/* <nvram type='network'>: its protocol node and raw node on pflash1
 * (qemu-command-disknet.c). */
int qemu_build_nvram_net(QemuCmd *c);
/* A disk's <auth> on its protocol node and its <encryption> on its format
 * node, with their secret objects (qemu-command-secret.c). */
int qemu_disk_auth_props(QemuCmd *c, const DomainDiskDef *disk, const char *alias, json_object **node);
int qemu_disk_encryption_props(QemuCmd *c, const DomainDiskDef *disk, const char *alias, json_object **node);
/* A disk on bus 'sd': QEMU's -drive if=sd,index=N (qemu-command-disk-sd.c). */
int qemu_build_disk_sd(QemuCmd *c, const DomainDiskDef *disk, unsigned index);
/* A vhostuser disk's socket chardev (qemu-command-disk-vhostuser.c). */
int qemu_disk_vhostuser_chardev(QemuCmd *c, const DomainDiskDef *disk, const char *alias);
void qemu_disk_vhostuser_device_props(json_object **o, const char *alias);
/* A lun disk's <reservations>: its pr-manager-helper object (once for the
 * managed one) and "pr-manager" on its storage node (qemu-command-disk-pr.c). */
int qemu_disk_pr_props(QemuCmd *c, const DomainDiskDef *disk, const char *alias, json_object **node);
/* <encryption engine='librbd'>: Ceph's own, on the rbd protocol node, the
 * format node plain (qemu-command-secret.c). */
bool qemu_disk_librbd_encrypted(const DomainDiskDef *d);
int qemu_disk_librbd_encryption_props(QemuCmd *c, const DomainDiskDef *disk, const char *alias, json_object **node);
/* One <audio> as the -audiodev option string (qemu-command-audio.c). */
int qemu_audiodev_opts(QemuCmd *c, const DomainAudioDef *a, OptBuf *b);
/* A RAM backend from <memoryBacking> (qemu-command-memory.c): whether the
 * whole RAM needs one, and "TYPE,id=ID" with its properties but size and
 * host nodes, for the whole RAM (cell NULL) or a guest NUMA cell. */
bool qemu_memory_backing_needs_backend(const DomainDef *def);
int qemu_memory_backend_start(QemuCmd *c, OptBuf *b, const char *id, const DomainNumaCell *cell);
/* The access and discard of a RAM backend, as libvirt resolves them: its
 * own (a memory device's), else its guest NUMA node's (node -1: none),
 * else <memoryBacking>'s. */
DomainMemoryAccess qemu_memory_access(const DomainDef *def, DomainMemoryAccess own, int node);
Tristate qemu_memory_discard(const DomainDef *def, Tristate own, int node);
/* Whether a backend without hugepages or memfd is a file in the guest's
 * memory directory (an access mode, <source type='file'>), and its path
 * there, params->memory_dir/ALIAS (none given: fails). */
bool qemu_memory_wants_file(const DomainDef *def, DomainMemoryAccess access);
int qemu_memory_file_path(QemuCmd *c, const char *alias, char **ret);
/* Whether a <memory> device's backend is a file of the guest's memory
 * directory, "DIR/ALIAS" (qemu-command-memdev.c): a dimm or virtio-mem
 * with an access mode (its own, its node's, <memoryBacking>'s) or
 * <source type='file'>, without hugepages or memfd. */
bool qemu_memdev_wants_dir_file(const DomainDef *def, const DomainMemoryDef *m);
/* -numa node and their RAM backends for <cpu><numa> (qemu-command-numa.c). */
int qemu_build_numa(QemuCmd *c);
/* Whether the guest has an ACPI HMAT (<cell><cache>, <interconnects>):
 * -machine hmat=on, each -numa node's initiator= and the hmat options. */
bool qemu_numa_has_hmat(const DomainDef *def);
/* <vcpus> (qemu-command-vcpus.c): how many vCPUs QEMU boots (-smp's
 * first number), and the -device of each hot-pluggable vCPU enabled at
 * start, of the CPU model's type (NULL: QEMU's default) in its slot. */
typedef struct QemuVcpuTopology {
        unsigned sockets, dies, cores, threads;
} QemuVcpuTopology;
unsigned qemu_vcpus_boot_count(const DomainDef *def);
int qemu_build_vcpu_devices(QemuCmd *c, const char *model, const QemuVcpuTopology *t);
/* Fills c->err (named after r: -EOPNOTSUPP gives ConfigUnsupported, anything
 * else InvalidArg) and returns r. */
int cmd_fail(QemuCmd *c, int r, const char *fmt, ...) _printf_(3, 4);
/* 0, or fails with -EOPNOTSUPP when caps lack the device type. */
int cmd_need_device(QemuCmd *c, const char *type);

static inline bool startswith(const char *s, const char *prefix) {
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Every PCI device names its bus: QEMU would pick the root bus anyway, but
 * saying so keeps the layout independent of the pcie-root-ports present. */
static inline const char *root_bus(const QemuCmd *c) {
        return c->q35 ? "pcie.0" : "pci.0";
}

/* PCI placement (qemu-command-pci.c). qemu_pci_plan() notes the slots the
 * definition gives, before any device is built; qemu_pci_bus_props() then
 * sets "bus" (and "addr": "0xS[.0xF]", "multifunction") of a device with
 * that address (NULL or none: the root bus). what names the device in errors. */
void qemu_pci_plan(QemuCmd *c);
int qemu_pci_bus_props(QemuCmd *c, const DomainDeviceAddress *a, const char *what, json_object **o);
/* A controller the machine has built in may repeat its fixed address, no other. */
int qemu_pci_check_builtin(QemuCmd *c, const DomainControllerDef *ctrl);
/* The model of a PCI controller, with the machine's defaults. */
const char *qemu_pci_controller_model(const QemuCmd *c, const DomainControllerDef *ctrl);

const DomainControllerDef *qemu_find_controller(const DomainDef *def, DomainControllerType type, unsigned index);
/* The user alias of controller (type, index), its QEMU id and the name of
 * its bus, or NULL (for a USB index: the controller no EHCI companion is). */
const char *qemu_controller_user_alias(const DomainDef *def, DomainControllerType type, unsigned index);
bool qemu_has_controller_type(const DomainDef *def, DomainControllerType type);
/* {"driver", "id", "bus", "addr"...}: the start of every PCI device (id may be NULL). */
int qemu_pci_device_new(QemuCmd *c, const DomainDeviceAddress *a, const char *what, const char *driver,
                        const char *id, json_object **ret);

/* Disk addressing (qemu-command-disks.c). */
typedef struct QemuDiskAddr {
        DomainDiskBus bus;
        unsigned controller;    /* sata/scsi/ide controller index */
        unsigned bus_nr;        /* ide: 0/1; scsi: the channel */
        unsigned target;        /* scsi */
        unsigned unit;
        unsigned index;         /* from the target name: vda = 0 */
} QemuDiskAddr;

DomainDiskBus qemu_disk_bus(const DomainDiskDef *disk);
int qemu_disk_address(const DomainDef *def, const DomainDiskDef *disk, QemuDiskAddr *ret);
const char *qemu_scsi_controller_model(const DomainDef *def, unsigned index);
/* Serials, consoles, channels (qemu-command-chr.c). */
bool qemu_console_is_serial(const DomainChrDef *chr);
char *qemu_chr_alias(const DomainDef *def, size_t i);
/* The socket path of a unix chardev without one (a <channel> the driver places). */
int qemu_chr_auto_path(const DomainDef *def, size_t i, const char *run_dir, char **ret);

/* "bus": "usbN.0" (and "port": "P[.P...]") of a USB device; no address: controller 0. */
int qemu_usb_bus_props(QemuCmd *c, const DomainDeviceAddress *a, const char *what, json_object **o);
/* Whether the domain has a SPICE display (spicevmc and the spice audiodev need one). */
bool qemu_has_spice(const DomainDef *def);
/* qemu-command-chr-opts.c: reconnect=, TLS (its object first); spiceport/dbus name= */
bool qemu_has_dbus_display(const DomainDef *def);
bool qemu_chr_uses_tls(const QemuCmd *c, const DomainChrDef *chr);
int qemu_chr_socket_opts(QemuCmd *c, const DomainChrDef *chr, const char *alias, OptBuf *b);
int qemu_chr_channel_opts(QemuCmd *c, const DomainChrDef *chr, const char *alias, OptBuf *b);
/* qemu-command-display.c: -display sdl/egl-headless/dbus; gl=, rendernode= */
int qemu_build_local_display(QemuCmd *c, size_t i);
int qemu_graphics_gl_opts(QemuCmd *c, size_t i, OptBuf *b);

/* The machine and everything else but the devices (qemu-command-machine.c):
 * the options from -name to -boot, and the display options that follow
 * the devices. qemu_resolve_machine() gives the canonical machine type
 * (from caps) and sets c->q35. */
int qemu_resolve_machine(QemuCmd *c, const char **ret);
int qemu_build_machine_options(QemuCmd *c);
int qemu_build_display(QemuCmd *c);
/* <launchSecurity type='sev'> (qemu-command-sev.c). */
void qemu_sev_machine_opt(const DomainDef *def, OptBuf *b);
int qemu_build_sev(QemuCmd *c);
/* The accelerator's <features> (qemu-command-features.c). */
bool qemu_features_cpu_extra(const DomainDef *def);
void qemu_features_cpu_opts(const DomainDef *def, OptBuf *b);
void qemu_features_accel_opts(const DomainDef *def, bool kvm, OptBuf *b);
int qemu_build_tseg(QemuCmd *c);
int qemu_build_vmcoreinfo(QemuCmd *c);
/* <sysinfo>: -smbios, -fw_cfg (qemu-command-sysinfo.c). */
int qemu_build_sysinfo(QemuCmd *c);
/* <genid>: -device vmgenid (qemu-command-genid.c). */
int qemu_build_genid(QemuCmd *c);
/* <qemu:commandline>'s <qemu:arg>s, last (qemu-command-ns.c). */
int qemu_build_ns_args(QemuCmd *c);
/* <qemu:deprecation> as -compat (qemu-command-ns.c). */
int qemu_build_compat(QemuCmd *c);
/* <qemu:override>: the properties given for dev's alias set on it (qemu-command-ns.c). */
int qemu_override_device(const DomainDef *def, json_object *dev);

/* Every device, in command line order (qemu-device.c): the one walk that
 * both qemu_command_build() and qemu_device_props() take. */
int qemu_build_devices(QemuCmd *c);
int qemu_build_controllers(QemuCmd *c);
int qemu_build_disks(QemuCmd *c);
/* The disk properties of qemu-command-disk-props.c. */
const char *qemu_disk_virtio_driver(const DomainDiskDef *disk);
int qemu_disk_device_extra_props(QemuCmd *c, const DomainDiskDef *disk, DomainDiskBus bus, json_object **o);
void qemu_disk_format_extra_props(json_object **o, const DomainDiskDef *disk);
int qemu_disk_copy_on_read_node(QemuCmd *c, const DomainDiskDef *disk, const char *alias, const char *top,
                                char **ret_node);
int qemu_build_nets(QemuCmd *c);
/* "host:port" of a socket netdev, an IPv6 host in brackets (qemu-command-net.c). */
void qemu_net_host_port(const char *host, unsigned port, char *buf, size_t size);
int qemu_build_chrs(QemuCmd *c);
/* -chardev of a chardev inside another device, id "char" + alias */
int qemu_build_chardev(QemuCmd *c, const DomainChrDef *chr, const char *alias);
int qemu_build_graphics(QemuCmd *c);
int qemu_build_videos(QemuCmd *c);
/* The ccid controllers (usb-ccid) and the smartcards in them
 * (qemu-command-smartcard.c). */
int qemu_build_smartcards(QemuCmd *c);
/* ",pcspk-audiodev=audioN" of -machine for a <sound model='pcspk'>
 * (qemu-command-sound.c). */
int qemu_pcspk_machine_opt(QemuCmd *c, OptBuf *b);
/* qemu-command-vnc.c: ",KEY=PATH" of a display's unix socket (its own or
 * the driver's); VNC's websocket, share and power-control. Both free b on
 * failure. */
int qemu_graphics_socket_opt(QemuCmd *c, size_t i, OptBuf *b, const char *key);
int qemu_vnc_extra_opts(QemuCmd *c, size_t i, OptBuf *b);
/* The live path of each display socket the driver places (socket_auto),
 * for qemu_command_assign_paths(). */
int qemu_graphics_assign_paths(DomainDef *def, const char *run_dir);
/* Which video is the primary one: the first with primary='yes', else 0
 * (qemu-command-video.c). */
size_t qemu_primary_video(const DomainDef *def);
int qemu_build_inputs(QemuCmd *c);
int qemu_build_audios(QemuCmd *c);
int qemu_build_sounds(QemuCmd *c);
int qemu_build_redirdevs(QemuCmd *c);
/* <hub> (qemu-command-usb.c). */
int qemu_build_hubs(QemuCmd *c);
int qemu_hubs_assign_aliases(DomainDef *def);
int qemu_build_memballoon(QemuCmd *c);
int qemu_build_rngs(QemuCmd *c);
/* <devices><tpm> (qemu-command-tpm.c): aliases, the backends and devices. */
int qemu_tpm_assign_aliases(DomainDef *def);
/* <filesystem> as -fsdev and virtio-9p-pci (qemu-command-fs.c). */
int qemu_fs_assign_aliases(DomainDef *def);
int qemu_build_filesystems(QemuCmd *c);
/* <shmem> as ivshmem-plain/-doorbell (qemu-command-shmem.c). */
int qemu_shmem_assign_aliases(DomainDef *def);
int qemu_build_shmems(QemuCmd *c);
int qemu_build_tpms(QemuCmd *c);
/* <devices><memory> (qemu-command-memdev.c): aliases, the devices. */
int qemu_memdev_assign_aliases(DomainDef *def);
const char *qemu_memdev_alias_prefix(DomainMemoryModel m);
int qemu_build_memdevs(QemuCmd *c);
bool qemu_memdev_has_nvdimm(const DomainDef *def);
/* sgx-epc.N.memdev=,sgx-epc.N.node= of each <memory model='sgx-epc'>. */
void qemu_memdev_sgx_machine_opts(const DomainDef *def, OptBuf *b);
/* <hostdev> (qemu-command-hostdev.c): "hostdevN" aliases, the devices. */
int qemu_hostdev_assign_aliases(DomainDef *def);
int qemu_build_hostdevs(QemuCmd *c);
/* <iommu>, <watchdog>, <panic>, <vsock> (qemu-command-platform.c). */
int qemu_platform_assign_aliases(DomainDef *def);
int qemu_build_iommu(QemuCmd *c);
int qemu_build_watchdog(QemuCmd *c);
int qemu_build_panics(QemuCmd *c);
int qemu_build_vsock(QemuCmd *c);
bool qemu_has_panic(const DomainDef *def, DomainPanicModel model);
/* QEMU's word for a watchdog action: dump runs as pause. */
const char *qemu_watchdog_qemu_action(DomainWatchdogActionKind a);
