/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

int fsync_directory_of(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash;
        _cleanup_close_ int fd = -1;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                return 0;
        if (slash == dir)
                slash[1] = 0;
        else
                *slash = 0;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fsync(fd) < 0 ? -errno : 0;
}

static int write_and_rename(const char *path, const void *data, size_t len, mode_t mode, bool sync) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        const char *p = data;

        if (asprintf(&tmp, "%s.tmp.%d", path, (int) getpid()) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        unlink(tmp);
                        return r;
                }
                p += n;
                len -= (size_t) n;
        }
        if ((sync && fsync(fd) < 0) || rename(tmp, path) < 0) {
                int r = -errno;
                unlink(tmp);
                return r;
        }
        return sync ? fsync_directory_of(path) : 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) {
        return write_and_rename(path, data, len, mode, true);
}

int write_file_replace(const char *path, const void *data, size_t len, mode_t mode) {
        return write_and_rename(path, data, len, mode, false);
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        return read_full_file_at(AT_FDCWD, path, max, ret, ret_len);
}

int read_full_file_at(int dfd, const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (max > 0 && S_ISREG(st.st_mode) && (uint64_t) st.st_size > max)
                return -EFBIG;
        /* +2: room for the read that finds the end, so that a whole file
         * takes one allocation, not a doubling just to learn it ended */
        alloc = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t) st.st_size + 2 : 4096;
        for (;;) {
                ssize_t n;

                if (size + 1 >= alloc || !buf) {
                        char *nb;
                        if (buf)
                                alloc *= 2;
                        nb = realloc(buf, alloc);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                n = read(fd, buf + size, alloc - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (max > 0 && size > max)
                        return -EFBIG;
        }
        buf[size] = 0;
        if (ret_len)
                *ret_len = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int unlink_if_exists(const char *path) {
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

char *path_join(const char *a, const char *b) {
        char *r;
        size_t la = strlen(a);

        while (la > 1 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (asprintf(&r, "%.*s/%s", (int) la, a, b) < 0)
                return NULL;
        return r;
}

bool path_is_normalized_absolute(const char *p) {
        if (!p || p[0] != '/')
                return false;
        if (streq(p, "/"))
                return true;
        for (const char *c = p; *c;) {
                const char *next;
                size_t n;

                c++; /* skip '/' */
                next = strchrnul(c, '/');
                n = (size_t) (next - c);
                if (n == 0)
                        return false; /* "//" or trailing '/' */
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c = next;
        }
        return strlen(p) < PATH_MAX;
}

bool object_name_is_valid(const char *name) {
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > OBJECT_NAME_MAX || streq(name, ".") || streq(name, ".."))
                return false;
        for (const unsigned char *c = (const unsigned char *) name; *c; c++)
                if (*c == '/' || *c < 0x20 || *c == 0x7f)
                        return false;
        return true;
}

/* The pid of a write_file_atomic() temporary ("<file>.tmp.<pid>"), or 0. */
static pid_t temporary_writer(const char *file) {
        const char *t = strrstr(file, ".tmp.");
        uint64_t pid;

        if (!t || t == file || safe_atou64(t + 5, &pid) < 0 || pid == 0 || pid > INT_MAX)
                return 0;
        return (pid_t) pid;
}

/* Whether pid is a virtbus daemon that may still be writing. A pid reused by
 * any other program does not keep a stale file alive. */
static bool writer_is_running(pid_t pid) {
        _cleanup_free_ char *comm = NULL;
        char path[64];

        if (pid == getpid())
                return true;
        snprintf(path, sizeof(path), "/proc/%d/comm", (int) pid);
        if (read_full_file(path, 4096, &comm, NULL) < 0)
                return false;
        return strncmp(comm, "virtbus-", 8) == 0;
}

int remove_stale_temporary_at(int dfd, const char *dir, const struct dirent *de, unsigned depth) {
        unsigned type = de->d_type;
        struct stat st;
        pid_t pid;

        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                return 0;
        if (type == DT_UNKNOWN && fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        if (type == DT_DIR) {
                _cleanup_free_ char *sub = depth > 0 ? path_join(dir, de->d_name) : NULL;
                int k = sub ? remove_stale_temporaries(sub, depth - 1) : 0;
                return MAX(k, 0);
        }
        if (type != DT_REG || !(pid = temporary_writer(de->d_name)) || writer_is_running(pid))
                return 0;
        return unlinkat(dfd, de->d_name, 0) == 0;
}

int remove_stale_temporaries(const char *dir, unsigned depth) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)))
                n += remove_stale_temporary_at(dirfd(d), dir, de, depth);
        return n;
}

int remove_flat_dir(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        DIR *dh;
        struct dirent *e;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        dh = fdopendir(fd);
        if (!dh)
                return -errno;
        fd = -1; /* the DIR owns it */
        while ((e = readdir(dh)))
                if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
                        (void) unlinkat(dirfd(dh), e->d_name, 0);
        closedir(dh);
        return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

/* The length of the well-formed UTF-8 sequence at s, or 0. */
static size_t utf8_sequence_length(const unsigned char *s) {
        unsigned char c = s[0];
        size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;

        for (size_t i = 1; i < n; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        /* overlong forms, surrogates and past U+10FFFF */
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) || (c == 0xf0 && s[1] < 0x90) ||
            (c == 0xf4 && s[1] >= 0x90))
                return 0;
        return n;
}

void utf8_sanitize(char *s) {
        unsigned char *p = (unsigned char *) s;

        while (*p) {
                size_t n = utf8_sequence_length(p);
                if (n == 0) {
                        *p++ = '?';
                        continue;
                }
                p += n;
        }
}

int unhexchar(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

bool endswith(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

const char *strrstr(const char *haystack, const char *needle) {
        const char *last = NULL;

        for (const char *p = haystack; (p = strstr(p, needle)); p++)
                last = p;
        return last;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

bool strv_contains(char *const *l, const char *s) {
        for (size_t i = 0; l && s && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **nl;

        if (!s)
                return -ENOMEM;
        nl = realloc(*l, sizeof(char *) * (n + 2));
        if (!nl) {
                free(s);
                return -ENOMEM;
        }
        nl[n] = s;
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

int strv_extendf(char ***l, const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(l, s);
}

char *strv_join(char *const *l, const char *sep) {
        size_t len = 1, sl = strlen(sep);
        char *r, *p;

        for (char *const *i = l; i && *i; i++)
                len += strlen(*i) + sl;
        r = p = malloc(len);
        if (!r)
                return NULL;
        *p = 0;
        for (char *const *i = l; i && *i; i++) {
                if (i != l)
                        p = stpcpy(p, sep);
                p = stpcpy(p, *i);
        }
        return r;
}

int safe_atou64(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (!s || !*s || *s == '-' || *s == ' ')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int safe_atoi(const char *s, int *ret) {
        char *end;
        long v;

        if (!s || !*s)
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno == ERANGE || v > INT_MAX || v < INT_MIN)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

int fd_nonblock(int fd, bool nonblock) {
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0)
                return -errno;
        flags = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        return fcntl(fd, F_SETFL, flags) < 0 ? -errno : 0;
}

int fd_cloexec(int fd, bool cloexec) {
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0)
                return -errno;
        flags = cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        return fcntl(fd, F_SETFD, flags) < 0 ? -errno : 0;
}

uint64_t now_usec(int clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}
