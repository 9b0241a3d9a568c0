/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A private mount namespace with its own /dev for a spawned emulator, as
 * libvirt's qemu.conf `namespaces = [ "mount" ]`: the child unshares its
 * mount namespace (every mount a slave of the host's, so nothing it mounts
 * reaches the host), mounts a fresh tmpfs on /dev holding only the nodes
 * it was given (same type, major:minor, mode and owner as the host's, a
 * symlink copied with what it points to), the symlinks fd, stdin, stdout
 * and stderr, and the host's file systems mounted right below /dev
 * (pts, shm, mqueue, hugepages) moved into it: the ptys QEMU opens are
 * still the host's, huge pages and shared memory too.
 *
 * A node the emulator needs later (a hot-plugged block disk) is made in its
 * namespace from a forked child that setns()es into /proc/PID/ns/mnt, and
 * removed there once the emulator let it go. Every function returns 0 or
 * -errno. */

#include <stdbool.h>
#include <sys/types.h>

/* In the spawned child, before it gives up its capabilities: nodes is a
 * NULL-terminated list of paths below /dev (others are ignored: the rest
 * of the file system is the host's); a node the host lacks is left out. */
int confine_ns_child(char *const *nodes);

/* Pure: the mount points right below /dev ("/dev/pts", not
 * "/dev/hugepages/x") in a mountinfo text, each once. */
int confine_ns_dev_submounts(const char *mountinfo, char ***ret);

/* Pure: whether the mount on / in a mountinfo text is shared (1), as
 * systemd makes it, or not (0): only then does a mount the host makes
 * after the spawn reach the child's namespace. -ENOENT: no / in it. */
int confine_ns_root_shared(const char *mountinfo);

/* 1 when pid runs in a mount namespace other than the caller's, 0 when in
 * the same, -errno when it cannot be told (the process is gone). */
int confine_ns_is_private(pid_t pid);

/* The node at path (below /dev; with what a symlink points to) made in
 * pid's namespace as it is on the host, or removed from it. */
int confine_ns_add_node(pid_t pid, const char *path);
int confine_ns_remove_node(pid_t pid, const char *path);
