/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/mman.h>

#include "lock-state.h"
#include "log.h"
#include "util.h"

#define STATE_MAGIC "virtbus-lockd-state 1"

char *state_escape(const char *s) {
        static const char hex[] = "0123456789abcdef";
        char *r = malloc(strlen(s) * 4 + 1), *p = r;

        if (!r)
                return NULL;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (*c > ' ' && *c != 0x7f && *c != '\\') {
                        *p++ = (char) *c;
                        continue;
                }
                *p++ = '\\';
                *p++ = 'x';
                *p++ = hex[*c >> 4];
                *p++ = hex[*c & 15];
        }
        *p = 0;
        return r;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int state_unescape(const char *s, char **ret) {
        char *r = malloc(strlen(s) + 1), *p = r;

        if (!r)
                return -ENOMEM;
        while (*s) {
                int hi, lo;

                if (*s != '\\') {
                        *p++ = *s++;
                        continue;
                }
                if (s[1] != 'x' || (hi = unhex(s[2])) < 0 || (lo = unhex(s[3])) < 0 || (hi == 0 && lo == 0)) {
                        free(r);
                        return -EINVAL;
                }
                *p++ = (char) (hi << 4 | lo);
                s += 4;
        }
        *p = 0;
        *ret = r;
        return 0;
}

typedef struct Writer {
        FILE *f;
        int r;
} Writer;

static void write_owner(Owner *o, void *userdata) {
        Writer *w = userdata;
        _cleanup_free_ char *name = state_escape(o->name);

        if (!name)
                w->r = -ENOMEM;
        else
                fprintf(w->f, "owner %s %d %d %s\n", o->uuid, (int) o->pid, o->pidfd, name);
}

static void write_lease(Lease *l, void *userdata) {
        Writer *w = userdata;
        _cleanup_free_ char *path = state_escape(l->resource->path);
        unsigned flags = (l->shared ? LEASE_SHARED : 0) | (l->resource->direct ? LEASE_DIRECT : 0);

        if (!path)
                w->r = -ENOMEM;
        else
                fprintf(w->f, "lease %s %d %u %s\n", l->owner->uuid, l->fd, flags, path);
}

int lock_state_format(LeaseTable *t, char **ret, size_t *ret_len) {
        char *buf = NULL;
        size_t len = 0;
        Writer w = { .f = open_memstream(&buf, &len) };

        if (!w.f)
                return -ENOMEM;
        fprintf(w.f, STATE_MAGIC "\n");
        lease_table_foreach_owner(t, write_owner, &w);
        lease_table_foreach_lease(t, write_lease, &w);
        fprintf(w.f, "end\n");
        if (fclose(w.f) != 0 && w.r == 0)
                w.r = -ENOMEM;
        if (w.r < 0) {
                free(buf);
                return w.r;
        }
        *ret = buf;
        if (ret_len)
                *ret_len = len;
        return 0;
}

static bool fd_is_open(int fd) {
        return fd > 2 && fcntl(fd, F_GETFD) >= 0;
}

static int parse_owner(LeaseTable *t, char *args) {
        char uuid[64], name[1024];
        _cleanup_free_ char *uname = NULL;
        int pid, pidfd, r;

        if (sscanf(args, "%63s %d %d %1023s", uuid, &pid, &pidfd, name) != 4 || pid <= 0)
                return -EINVAL;
        if (!fd_is_open(pidfd)) {
                log_warning("State names owner %s with pidfd %d, which is not open; dropping it.", uuid, pidfd);
                return 0;
        }
        r = state_unescape(name, &uname);
        if (r >= 0)
                r = lease_table_adopt_owner(t, uuid, uname, pid, pidfd);
        if (r < 0) {
                close(pidfd);
                return log_warning_errno(r, "Cannot restore owner %s: %m", uuid);
        }
        return 0;
}

static int parse_lease(LeaseTable *t, char *args) {
        char uuid[64];
        _cleanup_free_ char *path = NULL;
        unsigned flags;
        int fd, n = 0, r;

        if (sscanf(args, "%63s %d %u %n", uuid, &fd, &flags, &n) != 3 || n == 0)
                return -EINVAL;
        if (!fd_is_open(fd)) {
                log_warning("State names a lease fd %d that is not open; dropping it.", fd);
                return 0;
        }
        r = state_unescape(args + n, &path);
        if (r >= 0)
                r = lease_table_adopt_lease(t, uuid, path, flags, fd);
        if (r < 0) {
                log_warning_errno(r, "Cannot restore the lease of %s on %s: %m", uuid, path ?: "?");
                close(fd);
        }
        return 0;
}

int lock_state_parse(LeaseTable *t, const char *text) {
        _cleanup_free_ char *copy = strdup(text);
        char *line, *next;
        bool ended = false;

        if (!copy)
                return -ENOMEM;
        next = strchr(copy, '\n');
        if (!next || strncmp(copy, STATE_MAGIC "\n", strlen(STATE_MAGIC) + 1) != 0)
                return log_error_errno(EINVAL, "Not a lockd state.");
        for (line = next + 1; *line; line = next) {
                int r = 0;

                next = strchrnul(line, '\n');
                if (*next)
                        *next++ = 0;
                if (strncmp(line, "owner ", 6) == 0)
                        r = parse_owner(t, line + 6);
                else if (strncmp(line, "lease ", 6) == 0)
                        r = parse_lease(t, line + 6);
                else if (streq(line, "end"))
                        ended = true;
                else
                        r = -EINVAL;
                if (r < 0)
                        log_warning("Bad lockd state line '%s', skipped.", line);
        }
        if (!ended)
                log_warning("The lockd state has no end marker: it may be truncated.");
        return 0;
}

int lock_state_serialize(LeaseTable *t, int *ret_fd) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        size_t len, done = 0;
        int r;

        r = lock_state_format(t, &text, &len);
        if (r < 0)
                return r;
        fd = memfd_create("virtbus-lockd-state", 0);
        if (fd < 0)
                return -errno;
        while (done < len) {
                ssize_t n = write(fd, text + done, len - done);
                if (n < 0)
                        return -errno;
                done += (size_t) n;
        }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int lock_state_deserialize(LeaseTable *t, int fd) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        int r;

        if (asprintf(&path, "/proc/self/fd/%d", fd) < 0) {
                close(fd);
                return -ENOMEM;
        }
        r = read_full_file(path, 0, &text, NULL);
        close(fd);
        if (r < 0)
                return log_error_errno(r, "Cannot read the lockd state: %m");
        return lock_state_parse(t, text);
}

typedef struct CloexecCtx {
        bool cloexec;
        int r;
} CloexecCtx;

static void cloexec_owner(Owner *o, void *userdata) {
        CloexecCtx *c = userdata;
        int r = fd_cloexec(o->pidfd, c->cloexec);

        if (r < 0)
                c->r = r;
}

static void cloexec_lease(Lease *l, void *userdata) {
        CloexecCtx *c = userdata;
        int r = fd_cloexec(l->fd, c->cloexec);

        if (r < 0)
                c->r = r;
}

int lock_state_set_cloexec(LeaseTable *t, bool cloexec) {
        CloexecCtx c = { .cloexec = cloexec };

        lease_table_foreach_owner(t, cloexec_owner, &c);
        lease_table_foreach_lease(t, cloexec_lease, &c);
        return c.r;
}
