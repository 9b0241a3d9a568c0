/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A definition's tuning written into a guest's cgroup (cgroup.h), for every
 * driver (qemud's QEMU, lxcd's containers):
 *
 *   <cputune> shares, period, quota  cpu.weight, cpu.max (v2)
 *                                    cpu.shares, cpu.cfs_period_us/_quota_us (v1)
 *   <memtune> hard, soft, swap       memory.max, memory.high, memory.swap.max (v2)
 *                                    memory.limit_in_bytes, .soft_limit_in_bytes,
 *                                    .memsw.limit_in_bytes (v1)
 *   <blkiotune> weight, <device>     io.weight, io.max "MAJ:MIN rbps= wbps= riops= wiops=" (v2)
 *                                    blkio.weight(_device), blkio.throttle.* (v1)
 *   <numatune><memory> nodeset       cpuset.mems (strict and restrictive modes)
 *
 * What the definition leaves unset gets the controller's default, so that a
 * change back to "unset" is applied too. Each function returns 0 or -errno
 * with msg naming the file or value that failed. */

#include <stddef.h>

#include "cgroup.h"
#include "domain-conf.h"

int domain_cgroup_set_cputune(const Cgroup *cg, const DomainDef *def, char *msg, size_t size);
int domain_cgroup_set_memtune(const Cgroup *cg, const DomainDef *def, char *msg, size_t size);
/* old: the definition applied until now (its devices that def drops lose
 * their limits), NULL at start. */
int domain_cgroup_set_blkiotune(const Cgroup *cg, const DomainDef *old, const DomainDef *def, char *msg,
                                size_t size);
int domain_cgroup_set_numatune(const Cgroup *cg, const DomainDef *def, char *msg, size_t size);
/* The device controller (cgroup-devices.h): everything denied but the
 * standard nodes and the definition's disks (with their backing chains,
 * those read-only) and rng sources that are device nodes: the v1
 * controller's rules, or on cgroup v2 one BPF program holding them
 * (cgroup-bpf.h). Nothing is done where the host has neither. */
int domain_cgroup_set_devices(const Cgroup *cg, const DomainDef *def, char *msg, size_t size);
/* One disk plugged (allow) or unplugged. */
int domain_cgroup_disk_devices(const Cgroup *cg, const DomainDiskDef *disk, bool allow, char *msg, size_t size);
/* All five. */
int domain_cgroup_apply(const Cgroup *cg, const DomainDef *def, char *msg, size_t size);

/* The block device's "MAJ:MIN" of a <blkiotune><device> path: -ENOENT when
 * there is no such path, -ENOTBLK when it is no block device. */
int domain_cgroup_device_number(const char *path, char *ret, size_t size);

/* Whether every node of nodeset is online on this host; msg names the first
 * that is not. */
int domain_cgroup_check_host_nodes(const char *nodeset, char *msg, size_t size);
