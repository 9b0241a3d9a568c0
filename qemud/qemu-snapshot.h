/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-snapshot.h"

/* QEMU's snapshots (DomainDriver.snapshot): internal snapshots of the
 * qcow2 disks of a shut-off guest with qemu-img. */
extern const DomainSnapshotOps qemu_snapshot_ops;
