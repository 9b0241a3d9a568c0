/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How QEMU is confined at its start (common/confine.h): qemud.conf's
 * seccomp_sandbox and clear_emulator_capabilities read once per start. */

#include "domain.h"
#include "error.h"

/* Reads the settings: *ret_sandbox for the command line, the spawn's
 * CONFINE_* flags kept in the QemuDomain. No new privileges unless the
 * primary security driver is SELinux, whose label changes at exec (a
 * transition no_new_privs would refuse). 0, or -EINVAL with err set. */
int qemu_confine_prepare(Domain *d, bool *ret_sandbox, ConfError *err);

/* The guest's own directory, <rundir>/domain-<id>-<name> (the name cut to
 * 20 bytes, as libvirt's), where the sockets QEMU makes itself go (a unix
 * chardev without a path): owned by QEMU's user, so that an unprivileged
 * QEMU can create them. Made before the spawn, removed with what is in it
 * once QEMU is gone. */
int qemu_confine_dir(const Domain *d, char **ret);
int qemu_confine_dir_make(Domain *d, uid_t uid, gid_t gid, ConfError *err);
void qemu_confine_dir_remove(Domain *d);
