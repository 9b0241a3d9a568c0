/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The qemu-pr-helper qemud runs for a guest whose device='lun' disks have
 * <reservations managed='yes'/>: one per guest, as libvirt runs it, root
 * (SCSI reservation commands need CAP_SYS_RAWIO, which QEMU does not keep).
 *
 * qemu_pr_helper_start(): before QEMU, when a disk asks for it: a socket
 * qemud binds (RUN_DIR/pr-helper0.sock, QEMU's user's, already listening
 * when QEMU's pr-manager-helper object connects) handed to the helper by
 * systemd's socket activation (LISTEN_FDS), its output in the guest's log;
 * the managed disks' live <reservations> show the socket, as libvirt's do.
 * qemu_pr_helper_stop(): with QEMU (it does not end by itself), by the pid
 * kept in RUN_DIR/pr-helper0.pid, checked to be a qemu-pr-helper: also after
 * a qemud restart. */

#include <stdbool.h>
#include <sys/types.h>

#include "domain.h"

#define QEMU_PR_HELPER "/usr/bin/qemu-pr-helper"

int qemu_pr_helper_start(Domain *d, uid_t uid, gid_t gid, int log_fd, ConfError *err);
void qemu_pr_helper_stop(Domain *d);
/* Hot-plug of a managed disk (live: the definition with it): the guest's
 * helper if it runs, else one started now (*ret_started), as libvirt
 * starts it; the managed disks of live get its socket. 0 when live has no
 * managed disk. */
int qemu_pr_helper_plug(Domain *d, DomainDef *live, bool *ret_started, ConfError *err);
bool qemu_pr_helper_running(const Domain *d);
/* The guest's helper ends (its last managed disk unplugged, or the plug
 * that started it failed). */
void qemu_pr_helper_end(Domain *d);
/* binary on the listening sock_fd (its fd 3), its output on log_fd, in its
 * own session: its pid (and a pidfd), or -errno. */
pid_t qemu_pr_helper_spawn(const char *binary, int sock_fd, int log_fd, int *ret_pidfd);
