/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Confining a guest's emulator (QEMU) or a container's init as it is
 * spawned: what the child gives up right before exec (process_spawn_as()
 * calls confine_child() in the child), and the settings that decide it,
 * read from the daemon's configuration file with libvirt's qemu.conf names:
 *
 *   seccomp_sandbox = 1              # -1: QEMU's default (none), 0: off, 1: on
 *   clear_emulator_capabilities = 1  # 0: a root QEMU keeps root's capabilities
 *   namespaces = [ "mount" ]         # []: QEMU shares the host's mounts and /dev
 *
 * CONFINE_NO_NEW_PRIVS sets PR_SET_NO_NEW_PRIVS: nothing the child execs
 * later (a setuid program, file capabilities) gains a privilege.
 * CONFINE_DROP_CAPS empties the bounding, inheritable and ambient
 * capability sets, so that even a child that stays root execs with no
 * capability at all (an unprivileged child loses its permitted and
 * effective sets at setuid anyway). CONFINE_MOUNT_NS gives the child a
 * private mount namespace and /dev of its own (confine-ns.h), made by the
 * spawn before anything else is given up. */

#include <stdbool.h>

enum {
        CONFINE_NO_NEW_PRIVS = 1 << 0,
        CONFINE_DROP_CAPS = 1 << 1,
        CONFINE_MOUNT_NS = 1 << 2,
        /* <disk rawio='yes'>: CAP_SYS_RAWIO stays in the bounding set and the
         * child keeps it through its setuid and exec (libvirt's
         * virCommandAllowCap(CAP_SYS_RAWIO)), whatever else it gives up */
        CONFINE_KEEP_RAWIO = 1 << 3,
};

/* In the child, while it still has its capabilities (before setuid).
 * 0 or -errno. */
int confine_child(unsigned flags);
/* In the child, right after its setuid: CONFINE_KEEP_RAWIO's capability
 * raised again (effective, and ambient for the exec). 0 or -errno. */
int confine_child_after_setuid(unsigned flags);

typedef struct ConfineConf {
        int seccomp_sandbox;     /* -1, 0 or 1 */
        bool clear_caps;         /* clear_emulator_capabilities */
        bool mount_ns;           /* "mount" in namespaces */
        char bad[160];           /* the setting refused, for the message */
} ConfineConf;

void confine_conf_init(ConfineConf *c);
/* conf_apply_fn for conf_load_file(): only these keys are read, others are
 * left to their groups. */
int confine_conf_apply(void *userdata, const char *key, const char *value);

/* The spawn flags for a child confined as c says. */
unsigned confine_conf_flags(const ConfineConf *c);
