/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File volumes (dir and fs pools): create raw files ourselves and qcow2
 * images with qemu-img, clone with qemu-img convert (or a reflink), resize,
 * delete, read back. All from worker threads. */

#include "backend.h"

int vol_file_check(const StorageVolDef *vdef, bool clone, ConfError *err);
int vol_file_create(Job *j, VolRequest *req, ConfError *err);
int vol_file_clone(Job *j, VolRequest *req, ConfError *err);
int vol_file_delete(Job *j, VolRequest *req, ConfError *err);
int vol_file_resize(Job *j, VolRequest *req, ConfError *err);
int vol_file_refresh(Job *j, VolRequest *req, ConfError *err);
/* qemu-img's -o list for the target format (flags: PREALLOC_METADATA). */
char *vol_file_image_options(const StorageVolDef *d, StorageFormat format, unsigned flags);
/* After qemu-img made req->path: its mode, owner, declared format (and
 * the secret of an encrypted one). */
int vol_file_finish(VolRequest *req, StorageFormat format, ConfError *err);
/* A fresh empty qcow2 image in place of req->path, shaped like req->cur
 * (capacity, compat, cluster size, backing store). */
int vol_file_reformat(Job *j, VolRequest *req, ConfError *err);

/* FS_NOCOW_FL on an empty file or a directory; only btrfs has it, and
 * elsewhere nothing is done. */
int vol_file_set_nocow(int fd, const char *path, ConfError *err);

/* What qemu-img info --output=json says of an image (never probing when
 * format is given). */
typedef struct QemuImgInfo {
        StorageFormat format;
        uint64_t virtual_size, actual_size;
        char *backing;           /* full-backing-filename */
        StorageFormat backing_format;
} QemuImgInfo;

void qemu_img_info_done(QemuImgInfo *i);
int qemu_img_info(Job *j, const char *path, StorageFormat format, QemuImgInfo *ret, ConfError *err);
/* Pure: parses qemu-img's JSON. */
int qemu_img_info_parse(const char *json, QemuImgInfo *ret);
/* Pure: "(12.50/100%)" progress lines of qemu-img convert -p -> percent*100. */
int qemu_img_parse_progress(const char *text, size_t len, unsigned *ret_basis_points);
