/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The device controller of a guest's cgroup (cgroup.h): the guest may open
 * no device node but the standard ones and those its definition names.
 *
 * On cgroup v1 that is the devices controller: "a" denied, then one
 * "TYPE MAJ:MIN ACCESS" rule per allowed node in devices.allow. The
 * standard nodes (libvirt's list for QEMU, plus what a container's /dev
 * holds) get "rwm": /dev/null, /dev/zero, /dev/full, /dev/random,
 * /dev/urandom, /dev/tty, /dev/console, /dev/ptmx, every pty (major 136),
 * /dev/kvm, /dev/net/tun and /dev/fuse.
 *
 * On cgroup v2 (Cgroup.bpf_dir) the same rules make a BPF program
 * (cgroup-bpf.h). Each function then changes the list only, read from the
 * attached program first; cgroup_devices_commit() loads the list's program
 * in the place of the old one, once for a whole start or hot-plug. A cgroup
 * that has no program of ours (a guest started without a filter) stays
 * unfiltered: allowing a node there changes nothing.
 *
 * Every function returns 0 or -errno. */

#include <stdbool.h>

#include "cgroup.h"

/* "c 1:3" for a character or block device node; -ENODEV when path is none
 * (a regular file needs no rule), -errno when it cannot be looked at. */
int cgroup_device_rule(const char *path, char *ret, size_t size);

/* Whether the cgroup has a device filter (v1 controller or BPF): without
 * one a guest's devices are not filtered (-ENODEV from the others). */
bool cgroup_devices_enabled(const Cgroup *cg);

/* Deny all, then allow the standard nodes. */
int cgroup_devices_restrict(const Cgroup *cg);
/* One rule in devices.allow's syntax ("b 43:* rwm"). */
int cgroup_devices_allow_rule(const Cgroup *cg, const char *rule);
/* Lets the cgroup attach and use loop devices: a container's image
 * filesystems get a free one when they start. */
int cgroup_devices_allow_loop(const Cgroup *cg);
/* Allows (or takes back) the node at path: "r" or "rw". A path that is no
 * device node is 0, nothing written. */
int cgroup_devices_allow(const Cgroup *cg, const char *path, bool readonly);
int cgroup_devices_deny(const Cgroup *cg, const char *path);
/* v2: the changes made through cg take effect (a new program); v1: 0. */
int cgroup_devices_commit(const Cgroup *cg);

struct CgroupDevState *cgroup_devices_state_new(void);
void cgroup_devices_state_free(struct CgroupDevState *s);
