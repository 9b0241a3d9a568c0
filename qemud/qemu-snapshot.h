/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-snapshot.h"

/* QEMU's snapshots (DomainDriver.snapshot): internal ones (qemu-img for a
 * shut-off guest, QMP snapshot-save/-load/-delete for a running one) and
 * external ones (qcow2 overlays, blockdev-snapshot while it runs; the
 * memory into a save image), their revert and delete. qemu-snapshot.c
 * says how. */
extern const DomainSnapshotOps qemu_snapshot_ops;

/* A snapshot of a running guest cut by a qemud stop (qemu-snapshot-recover.c):
 * the record while QEMU works on it, and at the reconnect after a restart
 * (the monitor ready) it is recorded when QEMU took it, else undone; the
 * guest runs again if it ran. */
int qemu_snapshot_record_write(Domain *d, const DomainSnapshotDef *def, unsigned flags);
void qemu_snapshot_record_remove(Domain *d);
void qemu_snapshot_recover(Domain *d);
