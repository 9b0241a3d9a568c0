/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The DAC driver: files given to QEMU's user and given back.
 *
 * Before a guest starts, each file QEMU opens (disks and their backing
 * chains, kernel, initrd, NVRAM, its pidfile) is chowned to QEMU's user and
 * group; after it stops, the owner it had is put back. The owner is
 * remembered in extended attributes of the file itself, under libvirt's
 * names, so that a daemon restarted in between, or another daemon, restores
 * the right one:
 *   trusted.libvirt.security.dac            "+uid:+gid", the owner before
 *   trusted.libvirt.security.ref_dac        how many guests use the file
 *   trusted.libvirt.security.timestamp_dac  the host's boot time then
 * A second guest using a file already given (a shared or read-only image)
 * only counts itself in; the last one out restores the owner. Attributes
 * from an earlier boot of the host are stale and dropped. A file that
 * already has the owner wanted, and nobody's attributes, is left alone and
 * remembered by nobody. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SECURITY_XATTR_DAC "trusted.libvirt.security.dac"
#define SECURITY_XATTR_REF_DAC "trusted.libvirt.security.ref_dac"
#define SECURITY_XATTR_TIMESTAMP_DAC "trusted.libvirt.security.timestamp_dac"

/* Gives path (its symlinks resolved) to uid:gid, remembering the owner when
 * remember is set. -errno when it cannot be given (-EROFS, -EPERM,
 * -ENOENT): nothing of path changed then. */
int security_dac_set_owner(const char *path, uid_t uid, gid_t gid, bool remember);
/* Counts the guest out of path and, when it was the last, puts back the
 * owner remembered (remember) or root:root (not remember), as libvirt.
 * A file gone is no error. */
int security_dac_restore_owner(const char *path, bool remember);

/* The backing files of a qcow2 image, nearest first (at most 16), as
 * absolute paths, from each image's header. Only formats named qcow2 are
 * read: a raw image (or a backing file of a format not recorded) ends the
 * chain, so that a guest's data is never taken for a header. */
int security_image_backing_chain(const char *path, char ***ret);

/* The supplementary groups of QEMU's user: those of the user's name in
 * the group database (none for a bare "+uid"), plus the group of /dev/kvm
 * when kvm is set and the node is not open to all. *ret is malloc()ed. */
int security_dac_groups(uid_t uid, gid_t gid, bool kvm, gid_t **ret, size_t *ret_n);
/* Whether uid:gid with groups may open path for reading and writing, by
 * its mode bits (a device node such as /dev/kvm). */
bool security_dac_may_open(const char *path, uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups);
