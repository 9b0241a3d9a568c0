/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The QEMU command line of a domain: a pure function from a DomainDef, the
 * capabilities of the QEMU binary and a few decisions the driver takes at
 * start time, to an argv. No I/O, no globals, no clock, no randomness: the
 * same input always gives the same argv (tests/data/qemu-command/ holds the
 * golden files).
 *
 * What the argv looks like (QEMU 7.2; argv[0] is caps->binary:
 * def->emulator is not read, the driver probes the caps of that binary).
 * Devices, block nodes and the objects of devices are data (see
 * qemu-device.h) and go in QEMU's JSON form: -device {"driver":...,"id":...,
 * "bus":...,"addr":...}, -blockdev {...}, -object {"qom-type":...}; the
 * same objects are the arguments of hot-plug (qemu_device_props()). The
 * other options use the key=value syntax, commas in values doubled:
 *   -name guest=NAME,debug-threads=on -S  (always paused: the driver sends "cont")
 *   -machine CANONICAL,usb=off,dump-guest-core=off[,acpi=off without <acpi/>]
 *   -accel kvm|tcg   -cpu host|max|MODEL[,FEATURE=on|off]   -smp CUR,maxcpus=...
 *   -chardev socket,id=charmonitor,fd=N,server=on,wait=off  (QEMU accepts on
 *   -mon chardev=charmonitor,id=monitor,mode=control         the listening fd)
 *   -nodefaults -no-user-config -msg timestamp=on, -display none without graphics
 *   disks as two -blockdev nodes (protocol, format), plus a throttle filter
 *   node and a throttle-group object when <iotune> is given, then -device;
 *   guest RAM as -object memory-backend-file|ram,id=pc.ram with hugepages or
 *   a numatune nodeset; a pflash <loader> as -blockdev pflash0-fmt/pflash1-fmt.
 *
 * Names the driver can rely on at run time (ALIAS is the live alias that
 * qemu_command_assign_aliases() stores in the definition, e.g. "virtio-disk0",
 * "sata0-0-0", "scsi0-0-0-1", "ide0-1-0", "net0", "serial0", "console1", "rng0"):
 *   - qdev id of every device                  ALIAS
 *   - chardev of a serial/console/channel      "char" ALIAS    (query-chardev gives the pty path)
 *   - socket of a unix <channel> without a path RUN_DIR/NAME.ALIAS.sock ("vm1.channel0.sock"),
 *                                              listening (see qemu_command_assign_paths())
 *   - disk protocol / format node              ALIAS "-file" / ALIAS "-fmt"
 *   - disk throttle filter node (iotune)       ALIAS "-throttle"
 *   - throttle-group object (qom-set "limits") "throttle-" ALIAS, or "throttle-" GROUP
 *                                              when <group_name> is set (shared by the group)
 *   - netdev                                   "host" ALIAS    ("hostnet0")
 *   - rng backend object                       "obj" ALIAS     ("objrng0")
 *   - memballoon / video / input               "balloon0" / "videoN" / "inputN"
 *   - USB bus of input devices                 "usb.0"
 *   - sound card / its HDA codecs              "soundN" / "soundN-codecK"
 *   - audio backend (-audiodev)                "audio" ID ("audio1"); a sound card without
 *                                              <audio> gets an implicit "audio1": spice
 *                                              with a SPICE display, else none (as libvirt)
 *   - redirdev (usb-redir) and its chardev     "redirN" / "charredirN" (spicevmc, usbredir)
 *   - spicevmc channel chardev                 "char" ALIAS, name=vdagent
 *
 * What stays with the driver (not in argv):
 *   - VNC/SPICE passwords: argv never carries secrets. A VNC display with a
 *     password gets "password=on", a SPICE one keeps ticketing enabled; the
 *     driver calls QMP set_password before "cont".
 *   - <currentMemory> (balloon target) and the balloon stats period
 *     (qom-set guest-stats-polling-interval), both through QMP.
 *   - <cputune>, <vcpupin>, <emulatorpin>: cgroups and affinity. <numatune>
 *     with placement='auto' or mode='restrictive' too; other numatune modes
 *     bind the guest RAM backend (host-nodes=, policy=).
 *   - <vcpu cpuset>, the CPU vendor (used only for checks).
 *
 * Machine layout: a device with an <address type='pci'/> gets it (bus= the
 * root bus or the alias of the pcie-root-port/pci-bridge with that index,
 * addr=0xSLOT[.0xFN], multifunction=); <address type='drive'/> places a
 * sata/scsi/ide disk (controller, bus, target, unit), <address type='usb'/>
 * a USB input (bus=usbN.0,port=), <address type='virtio-serial'/> a console
 * or channel (bus=virtio-serialC.0,nr=). A PCI device without an address goes
 * on the root bus: where QEMU puts it (argv order) when no device has its
 * root-bus slot given, else in the lowest slot that is neither given nor the
 * machine's (pc: 0, 1; q35: 0, 0x1f). pcie-root-port controllers are created
 * as given (for hotplug), with their <target chassis='' port=''/>.
 *
 * Timers and power management: <timer name='rtc'> gives -rtc clock=/driftfix=,
 * 'pit' -global kvm-pit.lost_tick_policy= (KVM) or -machine pit=, 'hpet'
 * -machine hpet=, 'kvmclock' -cpu ...,kvmclock=; <pm> gives -global
 * ICH9-LPC.disable_s3/s4 (q35) or PIIX4_PM.disable_s3/s4 (pc); <vmport/> and
 * <smm/> -machine vmport=/smm=. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain-conf.h"
#include "qemu-caps.h"

typedef enum QemuAccel {
        QEMU_ACCEL_TCG,
        QEMU_ACCEL_KVM,
        _QEMU_ACCEL_MAX,
} QemuAccel;

/* Decisions the driver takes at start time. File descriptor numbers are the
 * numbers the fds will have in the QEMU process; the driver arranges that
 * (qemu_command_build() lists them in *ret_fds). */
typedef struct QemuCommandParams {
        QemuAccel accel;             /* kvm or tcg; kvm needs caps->kvm_available */
        int monitor_fd;              /* an already listening QMP socket */

        /* Per def->nets[i]: the tap fd for type network/bridge (from networkd);
         * ignored for type user. Missing or negative for a tap: -EINVAL. */
        const int *tap_fds;
        size_t n_tap_fds;
        /* The other queues of the multiqueue taps (qemu_net_extra_queues()
         * of each interface, in interface order). Too few: -EINVAL. */
        const int *tap_queue_fds;
        size_t n_tap_queue_fds;
        /* <os><smbios mode='host'/>: the host's SMBIOS (dmi_table_read()),
         * without its uuid. NULL: not available (refused). */
        const DomainSysinfo *host_sysinfo;

        /* Per def->graphics[i]: the port the driver allocated for an autoport
         * display. A display with autoport='no' uses its own port. */
        const int *graphics_ports;
        size_t n_graphics_ports;

        /* Where a <serial type='unix' mode='bind'> without a source path gets
         * its socket: RUN_DIR/ALIAS.sock. May be NULL otherwise. */
        const char *run_dir;
        const char *pidfile;         /* NULL: no -pidfile */
        /* Where a serial without its own <log file=''/> also logs what the
         * guest prints (e.g. "/proc/self/fd/1": QEMU's stdout, which the
         * driver points at the guest's log). NULL: nowhere. */
        const char *serial_log;
        /* hugetlbfs mount point for the page size <hugepages> asks for
         * (a directory: QEMU creates an unlinked file in it). Needed only
         * with <memoryBacking><hugepages/>. */
        const char *hugepages_dir;
        /* The guest's own directory below qemud.conf's memory_backing_dir
         * (qemu-memory-dir.h), where a RAM backend that must be fd-backed
         * without hugepages or memfd (memAccess, <access mode>, <source
         * type='file'>) gets its file, DIR/ALIAS (ram-node0, pc.ram, dimm1),
         * as libvirt's. NULL: such a backend fails, but a memory device's
         * is memory-backend-ram (a hot-plug's props: qemu_memory_dir_plug()
         * makes it the file). */
        const char *memory_dir;

        /* <clock offset='variable'>: the start time in seconds since the epoch
         * (UTC). The builder reads def->clock.adjustment and requires
         * def->clock.basis == DOMAIN_CLOCK_BASIS_UTC: the driver turns a
         * localtime basis into a utc adjustment before calling (and stores it
         * in the live definition). QEMU gets -rtc base=<now + adjustment>. */
        int64_t now;
        /* -sandbox on with libvirt's four denials (obsolete,
         * elevateprivileges, spawn, resourcecontrol): QEMU's seccomp filter,
         * qemud.conf's seccomp_sandbox (common/confine.h). */
        bool sandbox;
        /* The host has no /dev/vhost-net: <driver name='vhost'/> gives no
         * vhost=on (the start refuses it for a KVM guest, as libvirt does;
         * libvirt never gives vhost to a TCG guest, and QEMU 7.2 aborts on a
         * multiqueue tap whose vhost it cannot open). */
        bool no_vhost_net;

        /* <vsock>: the CID the driver found free for <cid auto='yes'/>
         * (0: the definition's own <cid address=''/>). QEMU opens
         * /dev/vhost-vsock itself. */
        unsigned vsock_cid;

        /* Per def->hostdevs[i]: the SCSI generic node ("/dev/sg3") of a
         * hostdev of type scsi, found at start (qemu_hostdev_prepare());
         * NULL for the other types. Missing for a SCSI hostdev: -EINVAL. */
        char *const *hostdev_paths;
        size_t n_hostdev_paths;

        /* SPICE TLS (qemud.conf's spice_tls = 1): the directory of its
         * certificates (spice_tls_x509_cert_dir), QEMU's x509-dir. NULL: TLS
         * is off, and a display with a tlsPort or a secure channel fails. The
         * TLS port of an autoport display is the one in def->graphics[i]
         * (the driver writes the allocated port into the live definition). */
        const char *spice_tls_dir;

        /* Chardev TLS (qemud.conf's chardev_tls, chardev_tls_x509_cert_dir,
         * chardev_tls_x509_verify, as libvirt's qemu.conf): a tcp chardev
         * without tls='' takes chardev_tls; one with TLS gets a tls-creds-x509
         * object on chardev_tls_dir (NULL: fails, naming the setting). */
        bool chardev_tls;
        const char *chardev_tls_dir;
        bool chardev_tls_verify;
        /* NBD disk TLS (qemud.conf's nbd_tls, nbd_tls_x509_cert_dir, as
         * libvirt's qemu.conf): an NBD source without tls='' takes nbd_tls;
         * one with TLS gets a client tls-creds-x509 object on nbd_tls_dir
         * (NULL: fails, naming the setting). */
        bool nbd_tls;
        const char *nbd_tls_dir;
        /* vxhs disk TLS (vxhs_tls, vxhs_tls_x509_cert_dir): the same for
         * vxhs sources. */
        bool vxhs_tls;
        const char *vxhs_tls_dir;

        /* Secrets (a disk's <encryption> passphrase, its <auth> password):
         * never in clear on the command line. Each is a QEMU secret object
         * whose data the driver encrypted (AES-256-CBC) with the guest's
         * master key, which QEMU reads from master_key_path
         * (qemu-secrets.h). The builder finds them by id (qemu-command-secret.c
         * names them); one it needs and does not find fails the build. */
        const struct QemuSecretObj *secrets;
        size_t n_secrets;
        const char *master_key_path;
} QemuCommandParams;

/* One prepared secret object: data and iv in base64. */
typedef struct QemuSecretObj {
        char *id;
        char *data;
        char *iv;
} QemuSecretObj;

/* Builds the argv (NULL-terminated, argv[0] = caps->binary; free with
 * strv_free()) and, when ret_fds is not NULL, the fd numbers the child must
 * inherit (the monitor first, then the taps in interface order; free()).
 * Returns 0, or -EINVAL (the definition or params cannot be honoured),
 * -EOPNOTSUPP (QEMU or this builder lacks what the definition asks),
 * -ENOMEM. err, when not NULL, names the error (org.virtbus.Error.*) and says
 * what was wrong, with which value. */
int qemu_command_build(
                const DomainDef *def,
                const QemuCaps *caps,
                const QemuCommandParams *params,
                char ***ret_argv,
                int **ret_fds,
                size_t *ret_n_fds,
                ConfError *err);

/* The environment QEMU runs with (NULL-terminated "NAME=VALUE"s): base
 * (qemud's own environment) with def's <qemu:env>s added, each replacing
 * one of base of the same name; a <qemu:env> without a value is empty. */
int qemu_command_env(const DomainDef *def, char *const *base, char ***ret);
/* Whether QEMU's environment differs from qemud's (<qemu:env>, a clock's TZ). */
bool qemu_command_env_changed(const DomainDef *def);

/* Fills the live alias fields (disks, controllers, interfaces,
 * serials/consoles/channels, videos, inputs, sounds, redirdevs, memballoon,
 * rngs) of a definition the
 * driver is about to start, with exactly the ids the argv uses. Replaces any
 * alias already there but a user's own ("ua-...", domain_alias_is_user()),
 * which names its device as libvirt keeps it: its qdev id, and the ids made
 * from it ("char" ALIAS, "host" ALIAS, ALIAS "-fmt"...). The built-in
 * controllers (pci-root, pcie-root, pc's IDE, q35's first SATA) keep QEMU's
 * names on the command line whatever their alias. Controller aliases follow libvirt ("pcie.0", "pci.1",
 * "usb", "scsi0", "ide" for the q35 SATA, "virtio-serial0"); they depend on
 * the machine, read from def->os.machine: store the canonical machine name in
 * the live definition first (NULL is taken as pc). ps2 inputs get an alias
 * too, as in libvirt, though they are no -device. 0, -EINVAL (a disk target
 * that names no index, e.g. "vd1") or -ENOMEM. */
int qemu_command_assign_aliases(DomainDef *def);

/* Sets the live path (path_auto) of every unix character device the driver
 * places, a <channel> without <source path=''/>: RUN_DIR/NAME.ALIAS.sock, the
 * socket qemu_command_build() makes QEMU listen on with run_dir RUN_DIR. Call
 * after qemu_command_assign_aliases(), with the run_dir the build will get,
 * so that the live XML shows the path (the inactive XML leaves it out).
 * 0, -EINVAL (no run_dir or no name), -ENAMETOOLONG (more than a unix socket
 * path can hold), -ENOMEM. */
int qemu_command_assign_paths(DomainDef *def, const char *run_dir);

/* Where the vhost-user-gpu backend of def->videos[i] (<driver
 * name='vhostuser'/>) listens and QEMU connects: RUN_DIR/NAME.videoI-gpu.sock.
 * 0, -EINVAL (no run_dir or no name), -ENOMEM. */
int qemu_video_vhost_user_path(const DomainDef *def, size_t i, const char *run_dir, char **ret);

/* The unix socket of def->graphics[i] with <listen type='socket'/>: its
 * own path, or RUN_DIR/NAME.TYPE.sock when it has none. 0, -EINVAL (no
 * run_dir or no name), -ENOMEM. */
int qemu_graphics_socket_path(const DomainDef *def, size_t i, const char *run_dir, char **ret);

/* The alias of one disk of def (which need not be in def->disks yet, for
 * hotplug), as qemu_command_assign_aliases() sets it: its user's alias, or
 * one from its address. 0, -EINVAL, -ENOMEM. */
int qemu_command_disk_alias(const DomainDef *def, const DomainDiskDef *disk, char **ret);

/* How many tap fds an interface takes beyond its first: queues - 1 for a
 * multiqueue tap (domain_net_multi_queue()), else 0. */
unsigned qemu_net_extra_queues(const DomainNetDef *net);

/* "chr-vu-ALIAS": the socket chardev of a vhostuser disk (qemu-command-disk-vhostuser.c). */
char *qemu_disk_vhostuser_chardev_id(const char *alias);

/* RUN_DIR/pr-helper0.sock: where the qemu-pr-helper qemud runs for a
 * guest's managed <reservations> listens (qemu-command-disk-pr.c). */
char *qemu_disk_pr_managed_socket(const char *run_dir);
