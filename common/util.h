/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Files, paths, names and string lists: the small things every daemon needs. */

#include <dirent.h>
#include <sys/types.h>

#include "macro.h"

/* Writes through a temporary file in the same directory, fsyncs it, renames it
 * over path and fsyncs the directory, so a reader sees the old or the new
 * content and never a mix, even after a crash. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The same without the fsyncs: a reader still never sees a mix, and a killed
 * writer leaves the old content, but a host crash may lose the change. For
 * state under the run directory, which a host crash loses anyway; the fsyncs
 * would cost each change tens of milliseconds on a busy disk. */
int write_file_replace(const char *path, const void *data, size_t len, mode_t mode);
/* fsyncs the folder that holds path. */
int fsync_directory_of(const char *path);

/* The accuracy to give sd-event for a short poll: its default for 0 is
 * 250 ms, which makes a 20 ms poll fire a quarter of a second late. */
#define POLL_ACCURACY_USEC 1000ULL
/* Reads a whole file, NUL-terminated; *ret_len may be NULL. Files over max bytes
 * give -EFBIG (max 0 = no limit). */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* The same, path relative to the directory dfd (or AT_FDCWD). */
int read_full_file_at(int dfd, const char *path, size_t max, char **ret, size_t *ret_len);
int mkdir_p(const char *path, mode_t mode);
/* Removes a file; a missing one is not an error. */
int unlink_if_exists(const char *path);
/* Removes the files of dir (not subdirectories: it has none) and dir.
 * 0 (also when dir is not there), or -errno. */
int remove_flat_dir(const char *dir);

/* Joins with exactly one '/'; NULL on OOM. */
char *path_join(const char *a, const char *b);
/* Absolute, no "." or ".." component, no "//", no trailing '/' (but "/"). */
bool path_is_normalized_absolute(const char *p);

/* The longest object name. Files are named after objects with suffixes
 * ("<name>.xml.tmp.<pid>", "<name>.log.9", "<name>_VARS.fd"), and each must
 * still fit in a file name's 255 bytes. */
#define OBJECT_NAME_MAX 200
/* An object name: 1..OBJECT_NAME_MAX bytes, no '/', no control characters,
 * not "." or "..". */
bool object_name_is_valid(const char *name);

/* Removes what write_file_atomic() left behind when its writer was killed:
 * "*.tmp.<pid>" files in dir and up to depth levels of folders below it,
 * whose writer is no longer a running virtbus daemon. Returns how many. */
int remove_stale_temporaries(const char *dir, unsigned depth);
/* The same for one entry de of dir (open as dfd), for a walk that lists dir
 * anyway: a folder is walked depth levels down. Returns how many removed. */
struct dirent;
int remove_stale_temporary_at(int dfd, const char *dir, const struct dirent *de, unsigned depth);

/* Replaces, in place, every byte that does not belong to a well-formed UTF-8
 * sequence with '?': sd-bus refuses to send a string that is not UTF-8, and
 * a message cut at a byte count may end inside a character. */
void utf8_sanitize(char *s);

/* The value of a hex digit (either case), or -1. */
int unhexchar(char c);

/* Whether s ends with suffix. */
bool endswith(const char *s, const char *suffix);

/* The last occurrence of needle in haystack, or NULL. */
const char *strrstr(const char *haystack, const char *needle);

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Appends a copy (strv_extend) or takes ownership (strv_consume). */
int strv_extend(char ***l, const char *s);
int strv_consume(char ***l, char *s);
int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);
char *strv_join(char *const *l, const char *sep);

int safe_atou64(const char *s, uint64_t *ret);
int safe_atoi(const char *s, int *ret);

int fd_nonblock(int fd, bool nonblock);
int fd_cloexec(int fd, bool cloexec);

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

/* Microseconds on CLOCK_MONOTONIC / CLOCK_REALTIME. */
uint64_t now_usec(int clock);
