/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libvirt's taint: a guest running with what the driver cannot vouch for
 * (QEMU arguments of the user's, root's privileges, shell scripts, a
 * deprecated machine type...) is marked with a flag, once per run. The
 * start checks the live definition (qemu_taint_start), writes each flag to
 * the guest's log as libvirt does ("Domain id=N is tainted: custom-argv"),
 * keeps the flags and the deprecation notes in the live state (so a qemud
 * restarted knows them) and answers Domain.GetMessages from them; the stop
 * forgets them.
 *
 * qemu_taint_check() is the pure part: a definition and what the host says
 * in, the flags and deprecation notes out. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libxml/tree.h>

#include "domain-conf.h"
#include "qemu-caps.h"

typedef struct Domain Domain;

/* libvirt's virDomainTaintFlags, in its order (the bit numbers are its). */
typedef enum QemuTaint {
        QEMU_TAINT_CUSTOM_ARGV,
        QEMU_TAINT_CUSTOM_MONITOR,
        QEMU_TAINT_HIGH_PRIVILEGES,
        QEMU_TAINT_SHELL_SCRIPTS,
        QEMU_TAINT_DISK_PROBING,
        QEMU_TAINT_EXTERNAL_LAUNCH,
        QEMU_TAINT_HOST_CPU,
        QEMU_TAINT_HOOK,
        QEMU_TAINT_CDROM_PASSTHROUGH,
        QEMU_TAINT_CUSTOM_DTB,
        QEMU_TAINT_CUSTOM_GA_COMMAND,
        QEMU_TAINT_CUSTOM_HYPERVISOR_FEATURE,
        QEMU_TAINT_DEPRECATED_CONFIG,
        QEMU_TAINT_CUSTOM_DEVICE,
        _QEMU_TAINT_MAX,
} QemuTaint;

/* "custom-argv": the name in the log and the live state. */
const char *qemu_taint_to_string(QemuTaint t);
int qemu_taint_from_string(const char *s);
/* "custom configuration parameters specified": GetMessages' text. */
const char *qemu_taint_message(QemuTaint t);

/* What libvirt's rules ask of the host beside the definition. */
typedef struct QemuTaintHost {
        bool privileged;        /* the daemon runs as root (libvirt's system instance) */
        uid_t user;             /* qemud.conf's user and group for QEMU */
        gid_t group;
        bool incoming;          /* the start takes a migration or a saved state */
        bool (*is_cdrom)(const char *path); /* a host CD-ROM drive; NULL: none is */
} QemuTaintHost;

/* The flags (1 << QemuTaint) of libvirt's qemuDomainObjCheckTaint for def
 * run by the QEMU of caps, and the deprecation notes ("machine type
 * 'pc-i440fx-1.4'", "CPU model 'X'"), *ret_notes NULL for none. -ENOMEM. */
int qemu_taint_check(const DomainDef *def, const QemuCaps *caps, const QemuTaintHost *host, unsigned *ret_flags,
                     char ***ret_notes);

/* The messages of GetMessages: "tainted: <message>" for each flag, then
 * "deprecated configuration: <note>" for each note, as flags
 * (DOMAIN_MESSAGE_*; 0: both) ask. -ENOMEM. */
int qemu_taint_messages(unsigned taint, char *const *notes, uint32_t flags, char ***ret);

/* The live state's part, as libvirt's <domstatus>: <taint flag=''/> per
 * flag and <deprecation>NOTE</deprecation> per note. Parsing replaces
 * *taint and *notes. */
int qemu_taint_status_format(unsigned taint, char *const *notes, char **ret);
void qemu_taint_status_parse(xmlNodePtr root, unsigned *taint, char ***notes);

/* The start, once the log is open and before QEMU is spawned: d's flags and
 * notes, each written to the log. */
void qemu_taint_start(Domain *d);
/* An attach: the flags live (the device in it) adds, logged and kept. */
void qemu_taint_attach(Domain *d, const DomainDef *live);
/* The stop: d's run is over, so is its taint. */
void qemu_taint_clear(Domain *d);
/* DomainDriver.get_messages. */
int qemu_taint_get_messages(Domain *d, uint32_t flags, char ***ret);
