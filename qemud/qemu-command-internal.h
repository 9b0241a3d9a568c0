/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between qemu-command.c (machine, CPU, memory, clock, boot),
 * qemu-command-disks.c and qemu-command-devices.c (everything else given with
 * -device). Not for other users. */

#include "qemu-command.h"

/* One comma-separated option string ("virtio-blk-pci,drive=x,id=y"). Appends
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

typedef struct QemuCmd {
        const DomainDef *def;
        const QemuCaps *caps;
        const QemuCommandParams *params;
        ConfError *err;
        bool q35;               /* else i440fx */

        char **argv;
        size_t n_argv, n_alloc;
        int *fds;
        size_t n_fds;
} QemuCmd;

int cmd_arg(QemuCmd *c, const char *arg);
int cmd_argf(QemuCmd *c, const char *fmt, ...) _printf_(2, 3);
/* Adds "option" and the option string; consumes b. */
int cmd_opt(QemuCmd *c, const char *option, OptBuf *b);
/* Adds "-device" and b, after checking that QEMU has the device type (the
 * text up to the first comma); consumes b. */
int cmd_device(QemuCmd *c, OptBuf *b);
int cmd_add_fd(QemuCmd *c, int fd);
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

const DomainControllerDef *qemu_find_controller(const DomainDef *def, DomainControllerType type, unsigned index);

/* Disk addressing (qemu-command-disks.c). */
typedef struct QemuDiskAddr {
        DomainDiskBus bus;
        unsigned controller;    /* sata/scsi/ide controller index */
        unsigned bus_nr;        /* ide: 0/1 */
        unsigned target;        /* scsi */
        unsigned unit;
        unsigned index;         /* from the target name: vda = 0 */
} QemuDiskAddr;

DomainDiskBus qemu_disk_bus(const DomainDiskDef *disk);
int qemu_disk_address(const DomainDef *def, const DomainDiskDef *disk, QemuDiskAddr *ret);
const char *qemu_scsi_controller_model(const DomainDef *def, unsigned index);
char *qemu_chr_alias(const DomainDef *def, size_t i);

int qemu_build_controllers(QemuCmd *c);
int qemu_build_disks(QemuCmd *c);
int qemu_build_nets(QemuCmd *c);
int qemu_build_chrs(QemuCmd *c);
int qemu_build_graphics(QemuCmd *c);
int qemu_build_videos(QemuCmd *c);
int qemu_build_inputs(QemuCmd *c);
int qemu_build_memballoon(QemuCmd *c);
int qemu_build_rngs(QemuCmd *c);
