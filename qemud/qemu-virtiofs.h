/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* virtiofs shares (<filesystem><driver type='virtiofs'/>) of a QEMU guest.
 *
 * qemu_virtiofs_validate(): libvirt's define-time rules (its qemu_validate.c):
 * the guest's memory shared, and without <source socket=''/> (qemud runs
 * virtiofsd) no readonly, no wrpolicy, passthrough access only; never a
 * format, multidevs, fmode or dmode.
 * qemu_virtiofs_socket(): RUN_DIR/ALIAS-fs.sock, where qemud's virtiofsd
 * listens for QEMU.
 * qemu_virtiofsd_argv(): virtiofsd's command line for a share, pure, as
 * libvirt's: BINARY --fd=FD -o source=DIR,cache=,sandbox=,xattr,flock,
 * posix_lock (or their no_ forms) [--thread-pool-size=N].
 * qemu_virtiofs_find_binary(): the "binary" of QEMU's vhost-user
 * descriptions (the DIR/NAME.json of "type": "fs"), as libvirt finds virtiofsd
 * when <binary path=''/> is not given; NULL when none is executable.
 * qemu_virtiofs_start(): before QEMU, for each share qemud runs: a listening
 * socket made by qemud (QEMU's user's), virtiofsd as root in its own session
 * on it, its output in the guest's log (log_fd). virtiofsd ends when QEMU's
 * connection closes; qemu_virtiofs_stop() ends one QEMU never reached (its
 * pid kept in RUN_DIR/ALIAS-fs.pid, checked to be a virtiofsd).
 * For hot-plug: qemu_virtiofs_start_plugged() starts the virtiofsd of one
 * share of a running guest (QEMU's user from its DAC label, the output in
 * QEMU's log pipe), before chardev-add connects QEMU to it;
 * qemu_virtiofs_stop_one() ends it once the device is unplugged (or the
 * plug failed). A share with <source socket=''/> runs none: both do nothing. */

#include <sys/types.h>

#include "domain.h"
#include "domain-conf.h"

#define QEMU_VHOST_USER_DIR "/usr/share/qemu/vhost-user"

int qemu_virtiofs_validate(const DomainDef *def, const DomainFsDef *fs, ConfError *err);
/* libvirt's qemuValidateDomainDefVhostUserRequireSharedMemory(): every NUMA
 * cell shared (or, without cells, the whole memory), as a vhost-user back
 * end maps the guest's RAM. */
bool qemu_memory_shared(const DomainDef *def);
char *qemu_virtiofs_socket(const char *run_dir, const char *alias);
/* A listening unix socket at path (replacing a stale one), QEMU's user's,
 * mode 0600, for a helper qemud runs (virtiofsd, qemu-pr-helper) to take
 * over: its fd, or -errno. */
int qemu_helper_listen_socket(const char *path, uid_t uid, gid_t gid);
/* QEMU's log pipe (its stderr, through /proc) for a helper started while
 * the guest runs (/dev/null when there is none): its fd, or -errno. */
int qemu_helper_log_fd(const Domain *d);
int qemu_virtiofsd_argv(const DomainFsDef *fs, const char *binary, int fd, char ***ret);
char *qemu_virtiofs_find_binary(const char *dir);
int qemu_virtiofs_start(Domain *d, uid_t uid, gid_t gid, int log_fd, ConfError *err);
void qemu_virtiofs_stop(Domain *d);
int qemu_virtiofs_start_plugged(Domain *d, const DomainFsDef *fs, ConfError *err);
void qemu_virtiofs_stop_one(Domain *d, const DomainFsDef *fs);
