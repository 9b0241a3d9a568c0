/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <tpm><backend type='emulator'>: the swtpm qemud runs for a guest, as
 * libvirt does.
 *
 * Its state lives in <statedir>/qemu/swtpm/<uuid>/tpm2 (tpm1.2 for a TPM
 * 1.2), made by swtpm_setup on the first start and kept across starts and
 * restarts of qemud; swtpm's and swtpm_setup's log is swtpm.log beside it.
 * Both run as QEMU's user, who owns the directory. swtpm is started
 * daemonized with --terminate before QEMU: it ends when QEMU's connection
 * to its control socket closes, so it outlives a restart of qemud with the
 * guest; its pid file in the guest's run directory lets the stop end one
 * QEMU never connected to.
 *
 * qemu_swtpm_setup_argv(), qemu_swtpm_argv(): the command lines, pure.
 * qemu_swtpm_setup(): the start's step before the spawn: for each emulator
 * TPM of d->live whose state is new, swtpm_setup as a child of qemud,
 * waited for from the event loop, one after the other; returns 0 when
 * none was needed, 1 when done() will be called (r < 0 with the message
 * naming swtpm_setup's last log lines; the state it began is removed), or
 * -errno with err set. qemu_swtpm_setup_cancel(): kills the one running
 * (a Destroy, a failed start) and removes the state it began; done() is
 * not called.
 * qemu_swtpm_start(): for each emulator TPM of d->live, swtpm, its control socket at
 * <run_dir>/<alias>.swtpm.sock (where qemu-command-tpm.c points QEMU).
 * qemu_swtpm_stop(): ends what is left of them when QEMU is gone.
 * qemu_swtpm_remove_state(): libvirt's rule for the state at undefine (and
 * at the stop of a transient guest, flags 0): removed with UNDEFINE_TPM
 * when persistent_state='yes', and unless UNDEFINE_KEEP_TPM otherwise.
 * qemu_swtpm_undefine(): that, for a domain undefined while shut off. */

#include <sys/types.h>

#include "domain.h"
#include "domain-conf.h"

enum {
        SWTPM_UNDEFINE_TPM = 1 << 5,      /* VIR_DOMAIN_UNDEFINE_TPM */
        SWTPM_UNDEFINE_KEEP_TPM = 1 << 6, /* VIR_DOMAIN_UNDEFINE_KEEP_TPM */
};

typedef struct SwtpmPaths {
        const char *state_dir; /* .../<uuid>/tpm2 */
        const char *log;
        const char *socket;
        const char *pidfile;
        const char *vmid;      /* NAME:UUID, for the certificates swtpm_setup would make */
} SwtpmPaths;

/* Where swtpm and swtpm_setup read an encrypted state's passphrase (and
 * swtpm its migration key's, on the next fd). */
#define SWTPM_PWD_FD 3

bool qemu_swtpm_is_v2(const DomainTpmDef *t);
int qemu_swtpm_setup_argv(const DomainTpmDef *t, const SwtpmPaths *p, char ***ret);
int qemu_swtpm_argv(const DomainTpmDef *t, const SwtpmPaths *p, char ***ret);

typedef struct QemuSwtpmSetup QemuSwtpmSetup;
typedef void (*qemu_swtpm_setup_fn)(Domain *d, int r, const char *msg);
int qemu_swtpm_setup(Domain *d, uid_t uid, gid_t gid, qemu_swtpm_setup_fn done, ConfError *err);
void qemu_swtpm_setup_cancel(Domain *d);

int qemu_swtpm_start(Domain *d, uid_t uid, gid_t gid, ConfError *err);
void qemu_swtpm_stop(Domain *d);
void qemu_swtpm_remove_state(Domain *d, unsigned flags);
void qemu_swtpm_undefine(Domain *d, unsigned flags);
