/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the files implementing domain-conf.h; not for other users.
 *
 * Each element family lives in one file with its parse, format, clear and
 * own functions side by side:
 *   domain-conf.c        tables, new/free/copy, the root and <devices> dispatch
 *   domain-resources.c   memory, vcpu, cputune, numatune
 *   domain-iothread-pool.c iothreadids/iothread and defaultiothread thread pool sizes
 *   domain-cputune-sched.c cputune: global/emulator/iothread bandwidth, vcpusched, iothreadsched
 *   domain-memory-backing.c memoryBacking
 *   domain-os.c          os, features, cpu, pm
 *   domain-clock.c       clock and its timers
 *   domain-numa-distances.c cpu/numa/cell/distances
 *   domain-init.c        os of a container (<type>exe</type>): init, its args, env, dir, user
 *   domain-idmap.c       idmap
 *   domain-perf.c        perf
 *   domain-hyperv.c      features/hyperv
 *   domain-cpu-cache.c   cpu/cache, cpu/maxphysaddr
 *   domain-os-acpi.c     os/acpi/table
 *   domain-os-firmware.c os/firmware, os/loader stateless, os/nvram
 *   domain-qemu-ns.c     qemu:commandline
 *   domain-genid.c       genid
 *   domain-partition.c   resource/partition
 *   domain-sysinfo.c     sysinfo, os/smbios
 *   domain-launch-security.c launchSecurity
 *   domain-features-kvm.c features/kvm, features/tcg, features/smm
 *   domain-disk.c        disk
 *   domain-disk-net.c    disk type='network': its <source protocol=''>
 *   domain-filesystem.c  filesystem
 *   domain-net.c         interface
 *   domain-net-opts.c    interface: script, backend, mtu, link, teaming, coalesce, vlan, virtualport...
 *   domain-net-source.c  interface: the sources of the socket, vhostuser and vdpa types
 *   domain-hostdev.c     hostdev
 *   domain-chr.c         serial, console, channel, redirdev
 *   domain-hub.c         hub
 *   domain-smartcard.c   smartcard
 *   domain-chr-net.c     serial, console, channel of type tcp, udp: their sources
 *   domain-graphics.c    graphics
 *   domain-input.c       input
 *   domain-video.c       video
 *   domain-sound.c       sound, audio
 *   domain-devices.c     controller, memballoon, rng
 *   domain-virtio-opts.c the virtio options of any device's <driver>
 *   domain-rom.c         <rom> of a PCI device
 *   domain-platform-devs.c watchdog, panic, iommu, vsock
 *   domain-address.c     <address/> of every device
 *   domain-validate.c    domain_def_validate()
 *
 * Parse functions have one shape: they get the element and its path
 * ("devices/disk") and fill the definition; the device ones append to
 * their array first, so that a half-parsed device is freed with the
 * definition. "own" functions are for copying: after a shallow copy the
 * struct borrows the source's pointers, own() replaces each by a copy of
 * its own (NULL when out of memory, so freeing stays safe) and returns
 * false if any copy failed. */

#include "domain-disk-secret.h"
#include "domain-conf.h"
#include "xml-util.h"

typedef int (*DomainParseFn)(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);

/* Enum attribute through the X(prefix) tables of domain-conf.h. */
int domain_attr_enum(xmlNodePtr n, const char *path, const char *attr,
                     int (*from_string)(const char *), int *ret, ConfError *err);
#define DOMAIN_ATTR_ENUM(n, path, attr, prefix, ret, err)                                       \
        ({                                                                                      \
                int _v_ = 0;                                                                    \
                int _r_ = domain_attr_enum(n, path, attr, prefix##_from_string, &_v_, err);     \
                if (_r_ > 0)                                                                    \
                        *(ret) = (__typeof__(*(ret))) _v_;                                      \
                _r_;                                                                            \
        })
/* The same for an element's text (<on_reboot>restart</on_reboot>). */
int domain_text_enum(xmlNodePtr n, const char *path, int (*from_string)(const char *),
                     int *ret, ConfError *err);

int domain_attr_tristate(xmlNodePtr n, const char *path, const char *attr,
                         const char *on, const char *off, Tristate *ret, ConfError *err);
static inline const char *tristate_word(Tristate t, const char *on, const char *off) {
        return t == TRISTATE_ON ? on : t == TRISTATE_OFF ? off : NULL;
}

/* <driver iommu='' ats='' packed='' page_per_vq=''/> of a virtio device. */
#define DOMAIN_VIRTIO_OPTS_ATTRS "iommu", "ats", "packed", "page_per_vq"
int domain_parse_virtio_opts(xmlNodePtr n, const char *path, DomainVirtioOpts *v, ConfError *err);
void domain_format_virtio_opts(XmlWriter *w, const DomainVirtioOpts *v);

/* <rom> of a PCI device (domain-rom.c). */
int domain_parse_rom(xmlNodePtr n, const char *path, DomainRomDef *rom, ConfError *err);
/* <protocol type='raw'/> of a unix socket chardev: sets *raw (domain-chr.c) */
int domain_parse_unix_protocol(xmlNodePtr n, const char *path, bool *raw, ConfError *err);
void domain_format_rom(XmlWriter *w, const DomainRomDef *rom);
int domain_parse_acpi_index(xmlNodePtr n, const char *path, unsigned *ret, ConfError *err);
void domain_format_acpi_index(XmlWriter *w, unsigned index);

/* Children every device may have. */
int domain_parse_alias(xmlNodePtr n, const char *path, char **alias, ConfError *err);
void domain_format_alias(XmlWriter *w, const char *alias, unsigned flags);
int domain_parse_boot_order(xmlNodePtr n, const char *path, unsigned *ret, ConfError *err);
void domain_format_boot_order(XmlWriter *w, unsigned order);

/* <address/>: allowed is a mask of DOMAIN_ADDRESS_ALLOW(type) for the
 * types the device can have; others are refused (NotSupported), naming them. */
#define DOMAIN_ADDRESS_ALLOW(t) (1u << (t))
/* A PCI number as libvirt reads it: decimal, or hex with 0x; at most max. */
int domain_attr_pci_number(xmlNodePtr n, const char *path, const char *attr, uint64_t max, unsigned *ret,
                           ConfError *err);
int domain_parse_address(xmlNodePtr n, const char *path, unsigned allowed, DomainDeviceAddress *ret,
                         ConfError *err);
void domain_format_address(XmlWriter *w, const DomainDeviceAddress *a);
/* The children of a device that may have only <alias> and <address>. */
int domain_parse_alias_address_only(xmlNodePtr n, const char *path, unsigned allowed, char **alias,
                                    DomainDeviceAddress *addr, ConfError *err);

/* Checks on string values whose schema type has a pattern: what we accept
 * we can format back valid. */
int domain_check_abs_path(const char *value, const char *what, const char *path, ConfError *err);
int domain_check_charset(const char *value, const char *charset, const char *what,
                         const char *path, ConfError *err);
int domain_check_cpuset(const char *value, const char *what, const char *path, ConfError *err);
#define CHARSET_ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* Grows a list by one zeroed element, counted at once, and points *ret at
 * it. Lists are capped at DOMAIN_LIST_MAX entries: a few hundred devices
 * is already a huge guest, and the cap keeps every check over a list cheap
 * however large the document. */
#define DOMAIN_LIST_MAX 4096
/* Only for lists grown by LIST_APPEND (or copied by OWN_ARRAY), whose
 * capacity is the next power of two of their count. */
int domain_list_append(void **array, size_t *n, size_t size, void **ret, const char *path, ConfError *err);
#define LIST_APPEND(array, n, ret, path, err)                                                   \
        domain_list_append((void **) &(array), &(n), sizeof((array)[0]), (void **) (ret), path, err)
/* For own(): replaces a borrowed string/array by a copy. */
bool own_str(char **p);
bool own_array(void **p, size_t *n, size_t size);
#define OWN_ARRAY(array, n) own_array((void **) &(array), &(n), sizeof((array)[0]))

/* Root level families. */
int domain_parse_memory(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_current_memory(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_max_memory(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_vcpu(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_iothreads(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_iothreadids(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
/* After the whole document: numbers the IOThreads <iothreads> counts
 * beyond <iothreadids>, checks the pins and disks that name one. */
int domain_iothreads_finish(DomainDef *def, ConfError *err);
void domain_format_iothreads(XmlWriter *w, const DomainDef *def);
int domain_parse_cputune(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_numatune(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_memory_backing(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_memory(XmlWriter *w, const DomainDef *def);
void domain_format_memory_backing(XmlWriter *w, const DomainMemoryBackingDef *mb);
void domain_memory_backing_clear(DomainMemoryBackingDef *mb);
bool domain_memory_backing_own(DomainMemoryBackingDef *mb);
void domain_format_vcpu(XmlWriter *w, const DomainDef *def);
/* <vcpus> (domain-vcpus.c); the finish after the whole document fills in
 * every vCPU's state and the current count. */
int domain_parse_vcpus(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_vcpus_finish(DomainDef *def, ConfError *err);
void domain_format_vcpus(XmlWriter *w, const DomainDef *def);
void domain_format_cputune(XmlWriter *w, const DomainCputuneDef *ct);
void domain_format_numatune(XmlWriter *w, const DomainNumatuneDef *nt);
int domain_numatune_finish(DomainDef *def, ConfError *err);
void domain_numa_memory_finish(DomainDef *def);
int domain_parse_memtune(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_memtune(XmlWriter *w, const DomainMemtuneDef *mt);
int domain_parse_blkiotune(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_blkiotune(XmlWriter *w, const DomainBlkiotuneDef *bt);
void domain_resources_clear(DomainDef *def);
/* thread pool sizes of IOThreads, <defaultiothread> (domain-iothread-pool.c). */
int domain_parse_thread_pool(DomainThreadPool *p, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_thread_pool(XmlWriter *w, const DomainThreadPool *p);
int domain_parse_default_iothread(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_default_iothread(XmlWriter *w, const DomainDef *def);
/* <cputune>'s global_/emulator_/iothread_ bandwidth, <vcpusched>,
 * <iothreadsched> (domain-cputune-sched.c). */
int domain_parse_cputune_sched(DomainCputuneDef *ct, xmlNodePtr n, const char *path, ConfError *err);
int domain_cputune_sched_finish(DomainDef *def, ConfError *err);
void domain_format_cputune_bandwidth(XmlWriter *w, const DomainCputuneDef *ct);
void domain_format_cputune_sched(XmlWriter *w, const DomainCputuneDef *ct);
void domain_cputune_sched_clear(DomainCputuneDef *ct);
bool domain_cputune_sched_own(DomainCputuneDef *ct);
bool domain_resources_own(DomainDef *def);

int domain_parse_os(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_features(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_cpu(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_clock(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_pm(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_os(XmlWriter *w, const DomainOsDef *os);
void domain_format_features(XmlWriter *w, const DomainFeaturesDef *f);
void domain_format_cpu(XmlWriter *w, const DomainCpuDef *cpu);
void domain_format_clock(XmlWriter *w, const DomainClockDef *clock);
void domain_format_pm(XmlWriter *w, const DomainPmDef *pm);
void domain_os_clear(DomainDef *def);
/* <os><acpi><table> (domain-os-acpi.c). */
int domain_parse_os_acpi(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_os_acpi(XmlWriter *w, const DomainOsDef *os);
/* <cpu><numa><cell><distances> (domain-numa-distances.c). */
int domain_parse_numa_distances(DomainNumaCell *cell, xmlNodePtr n, const char *path, size_t n_total,
                                ConfError *err);
int domain_numa_distances_finish(DomainCpuDef *cpu, ConfError *err);
void domain_format_numa_distances(XmlWriter *w, const DomainNumaCell *cell);
/* <cell><cache> and <numa><interconnects> (domain-numa-hmat.c); the finish
 * checks them once every cell is known. */
int domain_parse_numa_cache(DomainNumaCell *cell, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_numa_interconnects(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err);
int domain_numa_hmat_finish(const DomainCpuDef *cpu, ConfError *err);
void domain_format_numa_caches(XmlWriter *w, const DomainNumaCell *cell);
void domain_format_numa_interconnects(XmlWriter *w, const DomainCpuDef *cpu);
/* <features><kvm>, <tcg>, <smm> (domain-features-kvm.c). */
int domain_parse_kvm_features(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err);
bool domain_kvm_features_present(const DomainFeaturesDef *f);
void domain_format_kvm_features(XmlWriter *w, const DomainFeaturesDef *f);
int domain_parse_tcg_features(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_tcg_features(XmlWriter *w, const DomainFeaturesDef *f);
int domain_parse_smm(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_smm(XmlWriter *w, const DomainFeaturesDef *f);
/* <launchSecurity> (domain-launch-security.c). */
int domain_parse_launch_security(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_launch_security(XmlWriter *w, const DomainLaunchSecurity *ls);
void domain_launch_security_clear(DomainLaunchSecurity *ls);
bool domain_launch_security_own(DomainLaunchSecurity *ls);
/* <sysinfo> and <os><smbios> (domain-sysinfo.c). */
int domain_parse_sysinfo(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_sysinfo_uuid(DomainDef *def, bool has_uuid, ConfError *err);
void domain_format_sysinfo(XmlWriter *w, const DomainDef *def);
void domain_sysinfo_clear(DomainDef *def);
bool domain_sysinfo_own(DomainDef *def);
int domain_parse_os_smbios(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_os_smbios(XmlWriter *w, const DomainOsDef *os);
/* <genid> (domain-genid.c). */
int domain_parse_genid(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_genid(XmlWriter *w, const DomainDef *def);
/* <resource><partition> (domain-partition.c). */
int domain_parse_resource(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_resource(XmlWriter *w, const DomainDef *def);
/* libvirt's QEMU namespace, <qemu:commandline> (domain-qemu-ns.c). */
bool domain_qemu_ns_is(xmlNodePtr n);
bool domain_qemu_ns_used(const DomainDef *def);
int domain_parse_qemu_ns(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_qemu_ns_decl(XmlWriter *w, const DomainDef *def);
void domain_format_qemu_ns(XmlWriter *w, const DomainDef *def);
int domain_parse_qemu_override(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_qemu_override(XmlWriter *w, const DomainDef *def);
void domain_qemu_ns_overrides_clear(DomainDef *def);
bool domain_qemu_ns_overrides_own(DomainDef *copy);
/* <os><firmware>, <loader stateless=''>, <nvram> (domain-os-firmware.c). */
int domain_parse_os_firmware(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_os_nvram(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_os_loader_stateless(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_os_firmware(XmlWriter *w, const DomainOsDef *os);
void domain_format_os_nvram(XmlWriter *w, const DomainOsDef *os);
/* <nvram type='network'>'s <source> (domain-os-nvram-net.c). */
int domain_parse_os_nvram_net(DomainOsDef *os, xmlNodePtr src, const char *path, ConfError *err);
void domain_format_os_nvram_net(XmlWriter *w, const DomainOsDef *os);
void domain_os_nvram_net_free(DomainOsDef *os);
bool domain_os_nvram_net_own(DomainOsDef *os);
int domain_parse_os_bios(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_os_bios(XmlWriter *w, const DomainOsDef *os);
/* <cpu><cache> and <cpu><maxphysaddr> (domain-cpu-cache.c). */
int domain_parse_cpu_cache(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_cpu_maxphysaddr(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_cpu_cache(XmlWriter *w, const DomainCpuDef *cpu);
/* The children of <os> with <type>exe</type> (domain-init.c): whether c is
 * one, parsing one, formatting them all after <type>. */
bool domain_os_init_is_child(xmlNodePtr c);
int domain_parse_os_init_child(DomainOsDef *os, xmlNodePtr c, const char *path, ConfError *err);
int domain_os_init_check(const DomainOsDef *os, const char *path, ConfError *err);
void domain_format_os_init(XmlWriter *w, const DomainOsDef *os);
void domain_os_init_clear(DomainOsDef *os);
bool domain_os_init_own(DomainOsDef *os);
/* <features><hyperv>, called by domain_parse_features()/domain_format_features(). */
int domain_parse_hyperv(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_hyperv(XmlWriter *w, const DomainFeaturesDef *f);
bool domain_os_own(DomainDef *def);

/* Devices. */
int domain_parse_disk(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_disk(XmlWriter *w, const DomainDiskDef *d, unsigned flags);
void domain_disk_clear(DomainDiskDef *d);
/* A backing layer's network source and encryption (domain-disk-backing-src.c). */
int domain_parse_backing_net_source(DomainDiskBacking *b, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_backing_encryption(DomainDiskBacking *b, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_backing_net_source(XmlWriter *w, const DomainDiskBacking *b);
void domain_format_backing_encryption(XmlWriter *w, const DomainDiskBacking *b);
void domain_backing_src_clear(DomainDiskBacking *b);
/* Whether the chain is part of the definition (a network or encrypted
 * layer: what the image's header cannot say), formatted inactive too. */
bool domain_backing_kept_inactive(const DomainDiskDef *d);
bool domain_backing_src_own(DomainDiskBacking *b);
/* <audio> (domain-audio.c). */
void domain_audio_clear(DomainAudioDef *a);
bool domain_audio_own(DomainAudioDef *a);
int domain_parse_audio_id(xmlNodePtr n, const char *path, unsigned *ret, ConfError *err);
/* <source protocol=''> of a network disk (domain-disk-net.c). The format
 * leaves <source> open, for the disk's <auth> and <encryption>. */
int domain_parse_disk_net_source(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_disk_net_source(XmlWriter *w, const DomainDiskNetSource *s, unsigned index);
void domain_disk_net_free(DomainDiskNetSource *s);
bool domain_disk_net_own(DomainDiskNetSource **p);
bool domain_disk_own(DomainDiskDef *d);
/* <wwn> <vendor> <product> <geometry> <blockio> <transient>, <target tray
 * rotation_rate> (domain-disk-guest.c). */
#define DOMAIN_DISK_GUEST_CHILDREN "wwn", "vendor", "product", "geometry", "blockio", "transient", "acpi"
int domain_parse_disk_guest(DomainDiskDef *d, xmlNodePtr c, const char *path, ConfError *err);
int domain_parse_disk_target_guest(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_disk_target_guest(XmlWriter *w, const DomainDiskDef *d);
void domain_format_disk_shape(XmlWriter *w, const DomainDiskDef *d);
void domain_format_disk_transient(XmlWriter *w, const DomainDiskDef *d);
void domain_format_disk_ids(XmlWriter *w, const DomainDiskDef *d);
void domain_disk_guest_clear(DomainDiskGuestOpts *g);
bool domain_disk_guest_own(DomainDiskGuestOpts *g);
/* The rest of a disk's <driver> (domain-disk-driver.c). */
#define DOMAIN_DISK_DRIVER_ATTRS "error_policy", "rerror_policy", "detect_zeroes", "copy_on_read", "queues", \
                                 "queue_size", DOMAIN_VIRTIO_OPTS_ATTRS
int domain_parse_disk_driver_opts(DomainDiskDriverOpts *o, xmlNodePtr n, const char *path, ConfError *err);
bool domain_disk_driver_opts_set(const DomainDiskDriverOpts *o);
void domain_format_disk_driver_policies(XmlWriter *w, const DomainDiskDriverOpts *o);
void domain_format_disk_driver_cor(XmlWriter *w, const DomainDiskDriverOpts *o);
void domain_format_disk_driver_tail(XmlWriter *w, const DomainDiskDriverOpts *o);
int domain_parse_disk_metadata_cache(uint64_t *ret, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_disk_metadata_cache(XmlWriter *w, uint64_t max);
void domain_disk_driver_opts_clear(DomainDiskDriverOpts *o);
int domain_validate_disk_extras(const DomainDiskDef *d, ConfError *err); /* domain-validate-disk.c */
/* <disk type='nvme'> (domain-disk-nvme.c) */
int domain_parse_disk_nvme_source(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_disk_nvme_attrs(XmlWriter *w, const DomainDiskNvme *v);
void domain_format_disk_nvme_address(XmlWriter *w, const DomainDiskNvme *v);
bool domain_disk_nvme_own(DomainDiskNvme **p);
/* <disk type='vhostuser'> (domain-disk-vhostuser.c) */
int domain_parse_disk_vhostuser_source(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_disk_vhostuser_source(XmlWriter *w, const DomainDiskVhostUser *v);
int domain_validate_disk_vhostuser(const DomainDiskDef *d, ConfError *err);
void domain_disk_vhostuser_free(DomainDiskVhostUser *v);
bool domain_disk_vhostuser_own(DomainDiskVhostUser **p);
/* <source><reservations> (domain-disk-reservations.c) */
int domain_parse_disk_reservations(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_disk_reservations(XmlWriter *w, const DomainDiskReservations *pr);
int domain_validate_disk_reservations(const DomainDiskDef *d, ConfError *err);
void domain_disk_reservations_free(DomainDiskReservations *pr);
bool domain_disk_reservations_own(DomainDiskReservations **p);
/* <source><slices> (domain-disk-slice.c) */
int domain_parse_disk_slices(DomainDiskSlice *s, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_disk_slices(XmlWriter *w, const DomainDiskSlice *s);
bool domain_disk_driver_opts_own(DomainDiskDriverOpts *o);

int domain_parse_fs(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_fs(XmlWriter *w, const DomainFsDef *fs, unsigned flags);
void domain_fs_clear(DomainFsDef *fs);
bool domain_fs_own(DomainFsDef *fs);
/* <shmem> (domain-shmem.c) */
int domain_parse_shmem(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_shmem(XmlWriter *w, const DomainShmemDef *s, unsigned flags);
int domain_validate_shmems(const DomainDef *def, ConfError *err);
void domain_shmem_clear(DomainShmemDef *s);
bool domain_shmem_own(DomainShmemDef *s);
/* <filesystem><binary> of virtiofs (domain-fs-virtiofs.c) */
int domain_parse_fs_binary(DomainFsDef *fs, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_fs_binary(XmlWriter *w, const DomainFsBinary *b);
void domain_fs_binary_clear(DomainFsBinary *b);
bool domain_fs_binary_own(DomainFsBinary *b);
int domain_validate_filesystems(const DomainDef *def, ConfError *err);

int domain_parse_perf(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_perf(XmlWriter *w, const DomainDef *def);
int domain_parse_idmap(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_idmap(XmlWriter *w, const DomainIdmapDef *idmap);
void domain_idmap_clear(DomainIdmapDef *idmap);
bool domain_idmap_own(DomainIdmapDef *idmap);
int domain_validate_idmap(const DomainDef *def, ConfError *err);

int domain_parse_net(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_net(XmlWriter *w, const DomainNetDef *net, unsigned flags);
void domain_net_clear(DomainNetDef *net);
bool domain_net_own(DomainNetDef *net);
/* The other children of <interface> (domain-net-opts.c). */
int domain_parse_net_opt(DomainNetDef *net, xmlNodePtr c, const char *path, ConfError *err);
int domain_parse_net_driver_offloads(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_net_driver_rss(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_net_driver_rss(XmlWriter *w, const DomainNetDef *net);
void domain_format_net_driver_offloads(XmlWriter *w, const DomainNetDef *net);
void domain_format_net_vlan_vport(XmlWriter *w, const DomainNetDef *net);
void domain_format_net_port(XmlWriter *w, const DomainNetDef *net);
void domain_format_net_scripts(XmlWriter *w, const DomainNetDef *net);
void domain_format_net_tail(XmlWriter *w, const DomainNetDef *net);
void domain_net_opts_clear(DomainNetOpts *o);
int domain_parse_hostdev_teaming(char **persistent, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_hostdev_teaming(XmlWriter *w, const char *persistent);
bool domain_net_opts_own(DomainNetOpts *o);
/* <source> of socket, vhostuser and vdpa interfaces (domain-net-source.c). */
int domain_parse_net_other_source(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_net_portid(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_net_other_source(XmlWriter *w, const DomainNetDef *net);
/* <source dev='' mode=''/> of type='direct' (domain-net-direct.c). */
int domain_parse_net_direct_source(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_net_direct_source(XmlWriter *w, const DomainNetDef *net);
/* passt: <source dev=''> of type='user', <portForward>, the backend's
 * rules (domain-net-passt.c). */
int domain_parse_net_user_source(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_net_user_source(XmlWriter *w, const DomainNetDef *net);
int domain_parse_net_port_forward(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_net_port_forwards(XmlWriter *w, const DomainNetDef *net);
int domain_check_net_passt(const DomainNetDef *net, const char *path, ConfError *err);
void domain_net_forwards_clear(DomainNetDef *net);
bool domain_net_forwards_own(DomainNetDef *net);
/* <filterref> (domain-net-filterref.c). */
int domain_parse_net_filterref(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_net_filterref(XmlWriter *w, const DomainNetDef *net);
void domain_net_filterref_clear(DomainNetOpts *o);
bool domain_net_filterref_own(DomainNetOpts *o);
/* <source><ip/><route/></source> of type='ethernet' (domain-net-hostip.c). */
int domain_parse_net_host_ips(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_net_host_ips(XmlWriter *w, const DomainNetDef *net);

/* <ip> and <route> of an interface or a hostdev of type net (domain-net.c). */
int domain_parse_net_ip(DomainNetIp **ips, size_t *n_ips, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_net_route(DomainNetRoute **routes, size_t *n_routes, xmlNodePtr n, const char *path,
                           ConfError *err);
void domain_format_net_ips(XmlWriter *w, const DomainNetIp *ips, size_t n_ips, const DomainNetRoute *routes,
                           size_t n_routes);
void domain_net_ips_clear(DomainNetIp *ips, size_t n_ips, DomainNetRoute *routes, size_t n_routes);
bool domain_net_ips_own(DomainNetIp **ips, size_t *n_ips, DomainNetRoute **routes, size_t *n_routes);

int domain_parse_hostdev(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_hostdev(XmlWriter *w, const DomainHostdevDef *h, unsigned flags);
void domain_hostdev_clear(DomainHostdevDef *h);
bool domain_hostdev_own(DomainHostdevDef *h);
int domain_hostdev_parse_pci_numbers(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err);
/* <hostdev type='scsi'><source protocol='iscsi'> (domain-hostdev-iscsi.c) */
bool domain_hostdev_source_is_iscsi(xmlNodePtr n);
int domain_hostdev_parse_iscsi(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err);
void domain_hostdev_format_iscsi(XmlWriter *w, const DomainHostdevDef *h);
void domain_hostdev_describe_iscsi(const DomainHostdevDef *h, char *buf, size_t size);
void domain_hostdev_iscsi_clear(DomainHostdevDef *h);
bool domain_hostdev_iscsi_own(DomainHostdevDef *h);
/* <interface type='hostdev'> (domain-net-hostdev.c) */
bool domain_net_is_hostdev(xmlNodePtr n);
int domain_parse_net_hostdev(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_net_hostdevs_at(XmlWriter *w, const DomainDef *def, size_t position, unsigned flags);
void domain_hostdev_net_clear(DomainHostdevNet *net);
bool domain_hostdev_net_own(DomainHostdevNet *net);
int domain_validate_hostdevs(const DomainDef *def, ConfError *err);
/* <devices><tpm> (domain-tpm.c). */
int domain_parse_tpm(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_tpm(XmlWriter *w, const DomainTpmDef *t, unsigned flags);
void domain_tpm_clear(DomainTpmDef *t);
bool domain_tpm_own(DomainTpmDef *t);
/* <devices><memory> (domain-memory-device.c). */
int domain_parse_memory_device(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_memory_device(XmlWriter *w, const DomainMemoryDef *m, unsigned flags);
void domain_memory_device_clear(DomainMemoryDef *m);
bool domain_memory_device_own(DomainMemoryDef *m);

int domain_parse_serial(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_parallel(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_console(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_channel(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_chr(XmlWriter *w, const DomainChrDef *chr, unsigned flags);
void domain_chr_clear(DomainChrDef *chr);
bool domain_chr_own(DomainChrDef *chr);
int domain_parse_redirdev(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_redirdev(XmlWriter *w, const DomainRedirdevDef *rd, unsigned flags);
void domain_redirdev_clear(DomainRedirdevDef *rd);
bool domain_redirdev_own(DomainRedirdevDef *rd);
int domain_chr_parse_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err);
/* domain-chr-backend.c: a chardev inside another device (rng egd) */
int domain_chr_backend_parse(DomainChrDef **ret, xmlNodePtr n, const char *path, ConfError *err);
void domain_chr_backend_format(XmlWriter *w, const DomainChrDef *chr);
DomainChrDef *domain_chr_backend_free(DomainChrDef *chr);
bool domain_chr_backend_own(DomainChrDef **chr);
/* domain-chr-net.c: tcp and udp sources of a chardev */
int domain_chr_parse_net_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err);
/* domain-graphics-listens.c: the <listen>s after the first */
int domain_graphics_parse_listen_network(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err);
void domain_graphics_format_listen_network(XmlWriter *w, const DomainGraphicsDef *g, bool live);
int domain_graphics_parse_extra_listen(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err);
void domain_graphics_format_extra_listens(XmlWriter *w, const DomainGraphicsDef *g);
void domain_graphics_extra_listens_clear(DomainGraphicsDef *g);
bool domain_graphics_extra_listens_own(DomainGraphicsDef *g);
/* domain-graphics-auth.c: passwdValidTo='' and connected='' of a VNC/SPICE display */
int domain_parse_graphics_auth(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_graphics_auth(XmlWriter *w, const DomainGraphicsDef *g);
/* domain-chr-source.c: <source>'s seclabels, reconnect, channel='' */
int domain_chr_parse_source_children(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err);
int domain_chr_check_source(const DomainChrDef *chr, const char *path, ConfError *err);
int domain_chr_parse_channel_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err);
void domain_chr_format_source_children(XmlWriter *w, const DomainChrDef *chr);
void domain_chr_source_clear(DomainChrDef *chr);
bool domain_chr_source_own(DomainChrDef *chr);
int domain_chr_parse_protocol(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err);
void domain_chr_format_net(XmlWriter *w, const DomainChrDef *chr);
/* <source><clipboard copypaste=''/><mouse mode=''/></source> of a
 * qemu-vdagent channel (domain-chr-vdagent.c). */
int domain_chr_parse_vdagent_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err);
void domain_chr_format_vdagent_source(XmlWriter *w, const DomainChrDef *chr);
void domain_chr_net_clear(DomainChrDef *chr);
bool domain_chr_net_own(DomainChrDef *chr);
int domain_parse_redirfilter(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_redirfilter(XmlWriter *w, const DomainDef *def);
int domain_parse_smartcard(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_smartcard(XmlWriter *w, const DomainSmartcardDef *sc, unsigned flags);
void domain_smartcard_clear(DomainSmartcardDef *sc);
bool domain_smartcard_own(DomainSmartcardDef *sc);

int domain_parse_hub(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_hub(XmlWriter *w, const DomainHubDef *hub, unsigned flags);
void domain_hub_clear(DomainHubDef *hub);
bool domain_hub_own(DomainHubDef *hub);
/* <devices><lease> (domain-lease.c). */
int domain_parse_lease(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_lease(XmlWriter *w, const DomainLeaseDef *l);
void domain_lease_clear(DomainLeaseDef *l);
bool domain_lease_own(DomainLeaseDef *l);

int domain_parse_sound(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_sound(XmlWriter *w, const DomainSoundDef *s, unsigned flags);
void domain_sound_clear(DomainSoundDef *s);
bool domain_sound_own(DomainSoundDef *s);
int domain_parse_audio(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_audio(XmlWriter *w, const DomainAudioDef *a);

int domain_parse_graphics(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_graphics(XmlWriter *w, const DomainGraphicsDef *g, unsigned flags);
void domain_graphics_clear(DomainGraphicsDef *g);
/* domain-graphics-vnc.c: VNC's websocket, sharePolicy, powerControl and
 * socket attributes (after port and listen). */
int domain_parse_vnc_attrs(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err);

/* domain-graphics-local.c: sdl, egl-headless, dbus; <gl/> and <audio id=''/> */
int domain_parse_graphics_local(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_graphics_local(XmlWriter *w, const DomainGraphicsDef *g);
int domain_parse_graphics_gl(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_graphics_gl(XmlWriter *w, const DomainGraphicsDef *g);
int domain_parse_graphics_audio(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_graphics_audio(XmlWriter *w, const DomainGraphicsDef *g);
bool domain_graphics_own(DomainGraphicsDef *g);
int domain_parse_video(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_video(XmlWriter *w, const DomainVideoDef *v, unsigned flags);
void domain_video_clear(DomainVideoDef *v);
bool domain_video_own(DomainVideoDef *v);
int domain_parse_input(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_input(XmlWriter *w, const DomainInputDef *in, unsigned flags);
void domain_input_clear(DomainInputDef *in);
bool domain_input_own(DomainInputDef *in);

int domain_parse_controller(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_controller(XmlWriter *w, const DomainControllerDef *c, unsigned flags);
/* domain-controller-pci.c: a PCI controller's <model name=''/> and <target/> */
int domain_parse_pci_controller_model(DomainControllerDef *c, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_pci_controller_target(DomainControllerDef *c, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_pci_controller_target(XmlWriter *w, const DomainControllerDef *c);
void domain_controller_clear(DomainControllerDef *c);
bool domain_controller_own(DomainControllerDef *c);
int domain_parse_memballoon(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_memballoon(XmlWriter *w, const DomainMemballoonDef *m, unsigned flags);
void domain_memballoon_clear(DomainMemballoonDef *m);
bool domain_memballoon_own(DomainMemballoonDef *m);
int domain_parse_rng(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_rng(XmlWriter *w, const DomainRngDef *rng, unsigned flags);
void domain_rng_clear(DomainRngDef *rng);
bool domain_rng_own(DomainRngDef *rng);
int domain_parse_watchdog(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_panic(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_iommu(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
int domain_parse_vsock(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err);
void domain_format_watchdog(XmlWriter *w, const DomainWatchdogDef *wd, unsigned flags);
/* panics, iommu and vsock, after the rngs */
void domain_format_platform_devs(XmlWriter *w, const DomainDef *def, unsigned flags);
void domain_platform_devs_clear(DomainDef *def);
bool domain_platform_devs_own(DomainDef *def);
int domain_validate_platform_devs(const DomainDef *def, ConfError *err);
