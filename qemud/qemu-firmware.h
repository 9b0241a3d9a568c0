/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <os firmware='efi'>: picking the firmware from QEMU's firmware descriptors
 * (docs/interop/firmware.json: the *.json files of /usr/share/qemu/firmware,
 * overridden by files of the same name in /etc/qemu/firmware), as libvirt does.
 *
 * Only what a guest here can use is selected: interface 'uefi', a 'flash'
 * mapping in split mode (executable + NVRAM template), a target with the
 * guest's architecture and a machine glob matching its machine type, and
 * Secure Boot exactly when <loader secure='yes'> or <firmware><feature
 * name='secure-boot'> asks for it, enrolled keys when <feature
 * name='enrolled-keys'> says (either way when it does not). */

#include <stdbool.h>

#include "domain-conf.h"
#include "macro.h"

typedef struct QemuFirmware {
        char *path;              /* the descriptor */
        char *description;
        bool uefi;               /* "interface-types" has "uefi" */
        bool flash_split;        /* "mapping": device flash, mode split (the default) */
        char *executable;        /* mapping executable filename */
        char *executable_format; /* "raw", "qcow2" */
        char *nvram_template;
        char *nvram_template_format;
        char **archs;            /* targets[].architecture, parallel to machines */
        char ***machines;        /* targets[].machines: globs */
        size_t n_targets;
        bool secure_boot, requires_smm, enrolled_keys, amd_sev_es;
} QemuFirmware;

QemuFirmware *qemu_firmware_free(QemuFirmware *fw);
DEFINE_TRIVIAL_CLEANUP_FUNC(QemuFirmware *, qemu_firmware_free);

/* Parses one descriptor (JSON text); path is kept for messages. -EBADMSG
 * when it is not a firmware descriptor. */
int qemu_firmware_parse(const char *json, const char *path, QemuFirmware **ret);

/* Whether fw fits a guest of arch and (canonical) machine, with or without
 * Secure Boot. */
bool qemu_firmware_matches(const QemuFirmware *fw, const char *arch, const char *machine, bool secure,
                           Tristate enrolled);

/* The first matching descriptor of dirs (NULL-terminated, later directories
 * are overridden by earlier ones for files of the same name), in file name
 * order. -ENOENT when none matches. Descriptors whose files are missing are
 * skipped. */
int qemu_firmware_select(const char *const *dirs, const char *arch, const char *machine, bool secure,
                         Tristate enrolled, QemuFirmware **ret);

extern const char *const qemu_firmware_default_dirs[];

/* For the live definition of a guest with firmware='efi' and no <loader>:
 * fills loader (pflash, read-only) and nvram (<statedir>/qemu/nvram/<name>_VARS.fd
 * unless given; none with <loader stateless='yes'>), turns <smm> and
 * <loader secure> on when the firmware requires SMM, and copies the NVRAM
 * template (<nvram template=''> or the descriptor's) when the variables
 * file does not exist yet. A given loader with <nvram template=''> gets
 * its variables file the same way. arch is
 * the emulator's when the definition has none. Does nothing for other
 * guests. Fills err on failure. */
int qemu_firmware_prepare(DomainDef *live, const char *const *dirs, const char *statedir, const char *arch,
                          ConfError *err);
