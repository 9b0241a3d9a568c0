/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-snapshot.h"

/* QEMU's snapshots (DomainDriver.snapshot): internal ones (qemu-img for a
 * shut-off guest, QMP snapshot-save/-load/-delete for a running one) and
 * external ones (qcow2 overlays, blockdev-snapshot while it runs; the
 * memory into a save image), their revert and delete. qemu-snapshot.c
 * says how. */
extern const DomainSnapshotOps qemu_snapshot_ops;
