/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The AppArmor profile of one guest, as text, from its definition and the
 * paths the driver gives it at run time. Pure: no file is read or written,
 * nothing is loaded; loading is apparmor-load.c's (apparmor_parser).
 *
 * The profile is named as libvirt names it, "libvirt-<uuid>", includes
 * <tunables/global> and our own abstraction (units/apparmor/abstractions/
 * virtbus-qemu, or virtbus-lxc for a container, <os><type>exe), then lists
 * what this guest alone may open:
 *
 *   disk image               rwk (QEMU locks its images, even read-only ones)
 *   readonly disk, cdrom     rk
 *   backing-chain layer      rk
 *   block job target         rwk
 *   kernel, initrd, loader   rk
 *   NVRAM                    rwk
 *   chardev file/socket/pty  rw, its <log file=''/> w
 *   filesystem <source dir>  r (readonly) or rwk, and all below it
 *   rng backend              rw
 *   hugepage directories     rw below them
 *   tap/vhost devices        rw (when the guest has interfaces)
 *   a container's host nodes  rw, or r (<hostdev mode='capabilities'>)
 *   pid file                 rwk (QEMU locks it), monitor socket rw, log w
 *   save FIFO, dump file     rw (extra_rw, for the operation's time)
 *
 * Every path is quoted and its AppArmor pattern characters escaped, so a
 * path matches itself only. A path AppArmor cannot say safely (not
 * absolute, a newline or another control character, a ".." component) is refused with an error naming the device. */

#include <stddef.h>
#include <stdint.h>

#include "domain-conf.h"

#define APPARMOR_PROFILE_PREFIX "libvirt-"
/* "libvirt-" + a UUID's 36 characters + NUL */
#define APPARMOR_PROFILE_NAME_MAX (sizeof(APPARMOR_PROFILE_PREFIX) + 36)

/* Where the driver puts the guest's own files while it runs (qemud: see
 * status_path() in qemud/qemu-process.c). Any may be NULL: no rule. */
typedef struct AppArmorRunPaths {
        const char *monitor;   /* <rundir>/<name>.monitor */
        const char *pidfile;   /* <rundir>/<name>.pid */
        const char *log;       /* the guest's log file */
        /* The run directory, for the chardev sockets the driver places
         * (<rundir>/<name>.<alias>.sock, qemud/qemu-command-chr.c) when
         * the definition is not the live one and has no path yet. */
        const char *rundir;
        /* hugetlbfs directories QEMU's guest RAM files go in */
        const char *const *hugepage_dirs;
        size_t n_hugepage_dirs;
        /* Files the daemon hands QEMU for one operation, as file
         * descriptors (the save FIFO <rundir>/<name>.save.fifo, a core
         * dump's file): AppArmor checks a received descriptor against the
         * profile too, so these get rw while the operation runs. */
        const char *const *extra_rw;
        size_t n_extra_rw;
        /* Symlinks: AppArmor matches the path a file resolves to, so a
         * rule for /dev/mapper/vg-lv alone does not let QEMU open it. When
         * set (realpath() in the daemon; the generator does no I/O), each
         * file's resolved path, malloc'd, or NULL if unknown, gets its own
         * rule too where it differs. */
        char *(*resolve)(const char *path, void *userdata);
        void *userdata;
} AppArmorRunPaths;

/* "libvirt-<uuid>" into buf. */
char *apparmor_profile_name(const uint8_t uuid[16], char buf[APPARMOR_PROFILE_NAME_MAX]);

/* The path as an AppArmor file-rule path: in double quotes, with the
 * pattern characters (\ * ? [ ] { } ^) and double quotes escaped by a
 * backslash. -EINVAL for a path that is not absolute, has a ".." component
 * or a newline or other control character; *why then says which. */
int apparmor_quote_path(const char *path, char **ret, const char **why);

/* The profile text of def into *ret (malloc'd). -EINVAL with err set
 * (VB_ERROR_INVALID_ARG, naming the device and path) for an unsafe path;
 * -ENOMEM. */
int apparmor_profile_build(const DomainDef *def, const AppArmorRunPaths *run, char **ret, ConfError *err);
