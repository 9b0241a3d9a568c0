/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU's side of vCPUs, the memory balloon and IOThreads
 * (common/domain/domain-resources.h): vCPU hot-plug through
 * query-hotpluggable-cpus and device_add/device_del, the balloon through
 * balloon and the balloon's QOM properties, IOThreads as iothread objects
 * pinned with sched_setaffinity() on their thread. */

#include "domain-resources.h"

extern const DomainResourcesOps qemu_resources_ops;

/* libvirt's default for a QEMU guest: a virtio memballoon when the
 * definition names none (<memballoon model='none'/> keeps it away). */
void qemu_resources_post_parse(DomainDef *def);
