/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* qemud's security labels (common/security/): the checks of a definition's
 * <seclabel>s, the start step that gives QEMU its files and its user, the
 * stop that gives the files back, and DomainSecurityOps.
 *
 * The start step (qemu_security_start) reads the settings of qemud.conf
 * (security-manager.h), picks the DAC label of the live definition (the
 * <seclabel model='dac'> given, or one of its own, implicit) and chowns the
 * guest's files to it. The live definition holds that <seclabel> only once
 * the files are given, and the live state is written right then: a qemud
 * restarted later, or the stop, gives them back (qemu_security_stop) only
 * if it finds it. */

#include "domain-security.h"
#include "domain.h"
#include "process.h"

extern const DomainSecurityOps qemu_security_ops;

/* Define time: each model known, each label well formed. Whether the host
 * has the model is the start's check, as in libvirt. */
int qemu_security_validate(const DomainDef *def, ConfError *err);

int qemu_security_start(Domain *d, ConfError *err);
void qemu_security_stop(Domain *d);

/* A disk hot-plugged into (or unplugged from) a running guest, with its
 * backing chain: given before QEMU opens it, given back once QEMU let it
 * go. For qemu-hotplug.c and block jobs' new images. */
int qemu_security_set_disk(Domain *d, const DomainDiskDef *disk, ConfError *err);
void qemu_security_restore_disk(Domain *d, const DomainDiskDef *disk);
/* The same for a hot-plugged host device's nodes (qemu_hostdev_nodes_own()). */
int qemu_security_set_hostdev_nodes(Domain *d, char *const *nodes, ConfError *err);
void qemu_security_restore_hostdev_nodes(Domain *d, char *const *nodes);

/* A block job's images (qemu-security-blockjob.c), given as a hot-plugged
 * disk is (DAC owner, device controller, QEMU's /dev) and taken back when
 * the job drops them. give: BlockCopy's destination with its chain, before
 * QEMU opens it (msg says what failed, nothing is left given); take: the
 * same once QEMU let it go. */
int qemu_security_blockjob_give(Domain *d, const char *path, DomainDiskFormat fmt, bool block, char *msg,
                                size_t size);
void qemu_security_blockjob_take(Domain *d, const char *path, DomainDiskFormat fmt, bool block);

/* At a job's end: _before, called first, lists the disk's image and the
 * layers under it (NULL-terminated, the caller frees it); _end, once the
 * definitions follow the job, takes back what left the disk: a copy not
 * pivoted its destination, a pivoted one the old source and its chain, a
 * commit or pull the layers merged away. */
typedef struct QemuSecurityJobEnd {
        bool copy, pivoted;
        const char *new_path;     /* a copy's destination */
        DomainDiskFormat new_format;
        bool new_block;
} QemuSecurityJobEnd;
char **qemu_security_blockjob_before(Domain *d, const char *dst);
void qemu_security_blockjob_end(Domain *d, const char *dst, char **before, const QemuSecurityJobEnd *end);

/* QEMU's user, group and groups for process_spawn_as(); NULL creds when it
 * stays root. *groups is freed by the caller. */
int qemu_security_creds(Domain *d, ProcessCreds *creds, gid_t **groups);

/* The <secmodel>s of the capabilities' <host>, from the settings
 * qemu_security_refresh() read last. */
void qemu_security_refresh(Manager *m);
void qemu_security_format_secmodels(XmlWriter *w);
