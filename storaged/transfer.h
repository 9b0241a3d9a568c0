/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Upload and Download: bytes move from fd to fd inside storaged
 * (copy_file_range, sendfile, splice; a buffer only where the kernel cannot
 * do it), never through the bus, in a job's worker thread. Holes are kept:
 * a regular file's holes are found with SEEK_DATA/SEEK_HOLE and punched (or
 * skipped) on the other side; zero blocks arriving from a pipe or socket are
 * punched too when the destination is a regular file.
 *
 * The caller's fd is used from its current position, and left after the
 * bytes moved (as read() or write() would). The volume side uses explicit
 * offsets. */

#include "job.h"

/* libvirt's rules (virsh vol-upload/vol-download): an offset negative as a
 * signed value is refused; length 0, or negative as a signed value, means
 * "to the end"; a range past limit (the volume's capacity) is refused with
 * the numbers. On success *ret_length is the length to move. */
int transfer_check_range(const char *volume, uint64_t offset, uint64_t length, uint64_t limit,
                         uint64_t *ret_length, ConfError *err);

typedef struct TransferRequest {
        int client_fd;          /* the caller's fd */
        int volume_fd;          /* ours */
        uint64_t offset;        /* in the volume */
        uint64_t length;        /* as checked */
        bool to_end;            /* length was 0 (or negative): stop at the source's end too */
        bool fsync;             /* make the volume's data durable before answering */
        uint64_t done;          /* bytes moved (also on failure) */
} TransferRequest;

/* Client -> volume. With to_end, a source longer than the room up to the
 * limit is refused (before writing when its size is known). */
int transfer_upload(Job *j, TransferRequest *t, ConfError *err);
/* Volume -> client. */
int transfer_download(Job *j, TransferRequest *t, ConfError *err);

/* Pure helpers, for the tests: length of the run of zero (zero=true) or
 * non-zero blocks of block_size at the start of buf[0..len). */
size_t transfer_block_run(const uint8_t *buf, size_t len, size_t block_size, bool zero);
