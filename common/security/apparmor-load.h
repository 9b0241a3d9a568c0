/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Putting a guest's profile (apparmor-profile.h) into the kernel, taking
 * it out, and confining QEMU with it at exec: qemud's calls are in
 * qemud/qemu-apparmor.c (never run on a host without AppArmor). */

#include <stdbool.h>
#include <stddef.h>

typedef struct AppArmorLoader {
        const char *parser;      /* NULL: /sbin/apparmor_parser */
        const char *include_dir; /* -I: where abstractions/virtbus-* are; NULL: /etc/apparmor.d only */
        bool skip_kernel_load;   /* check the profile only (tests, hosts without AppArmor) */
} AppArmorLoader;

/* The kernel has AppArmor and it is on. */
bool apparmor_enabled(void);

/* Loads text, or
 * replaces the loaded profile of the same name (apparmor_parser -r), and
 * keeps it in path (mode 0644) for apparmor_profile_remove(). On
 * failure, -errno, or -EINVAL when the parser refused it; the parser's
 * words (or the system error) then go into msg, and the profile loaded
 * before and its file are left as they were. */
int apparmor_profile_load(const AppArmorLoader *l, const char *path, const char *text, char *msg, size_t msg_size);

/* Unloads the profile in path (apparmor_parser -R) and deletes the file.
 * A profile that is not loaded, or a missing file, is not an error. */
int apparmor_profile_remove(const AppArmorLoader *l, const char *path, char *msg, size_t msg_size);

/* In the child, between fork and exec: the next exec runs confined by the
 * profile name (what libapparmor's aa_change_onexec does, without linking
 * it: "exec NAME" written to the process's AppArmor exec attribute). */
int apparmor_change_onexec(const char *name);
