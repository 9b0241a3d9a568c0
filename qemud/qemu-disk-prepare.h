/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The start's host-side checks of the disks (qemu-disk-prepare.c), on the
 * live definition before its command line is built: a source gone missing
 * is failed, ejected or left out as its startupPolicy says; a device='lun'
 * disk needs a SCSI block device (and, with rawio='yes', confine_flags
 * without CONFINE_DROP_CAPS). 0, or -errno with *err filled. */

#include "domain-conf.h"

int qemu_disk_prepare(DomainDef *live, unsigned confine_flags, ConfError *err);

/* A <transient/> disk runs on an overlay beside its image, libvirt's name:
 * "<image>.TRANSIENT-<domain name>" (qemu_disk_prepare() makes it, the
 * command line opens it, qemu_disk_transient_remove() deletes it when
 * QEMU is gone). Pure. */
char *qemu_disk_transient_overlay(const DomainDef *def, const DomainDiskDef *disk);
void qemu_disk_transient_remove(DomainDef *live);
void qemu_disk_transient_mark(DomainDef *live, char **dsts);
