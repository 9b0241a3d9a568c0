/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <search.h>
#include <sys/mman.h>

#include "log-state.h"
#include "log.h"
#include "util.h"

#define STATE_MAGIC "virtbus-logd-state 1"

char *log_state_escape(const char *s) {
        static const char hex[] = "0123456789abcdef";
        char *r = malloc(strlen(s) * 4 + 1), *p = r;

        if (!r)
                return NULL;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (*c > ' ' && *c != 0x7f && *c != '\\') {
                        *p++ = (char) *c;
                        continue;
                }
                p += sprintf(p, "\\x%c%c", hex[*c >> 4], hex[*c & 15]);
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

int log_state_unescape(const char *s, char **ret) {
        char *r = malloc(strlen(s) + 1), *p = r;

        if (!r)
                return -ENOMEM;
        while (*s) {
                int hi, lo;

                if (*s != '\\') {
                        *p++ = *s++;
                        continue;
                }
                if (s[1] != 'x' || (hi = unhex(s[2])) < 0 || (lo = unhex(s[3])) < 0 || (hi | lo) == 0) {
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

/* twalk_r visits files; the callbacks write or flip flags. */
typedef struct Walk {
        FILE *f;
        bool cloexec;
        int r;
} Walk;

static void walk_format(const void *node, VISIT which, void *closure) {
        Walk *w = closure;
        LogFile *f = *(LogFile *const *) node;
        _cleanup_free_ char *d = NULL, *n = NULL;

        if (which != postorder && which != leaf)
                return;
        d = log_state_escape(f->driver);
        n = log_state_escape(f->name);
        if (!d || !n) {
                w->r = -ENOMEM;
                return;
        }
        fprintf(w->f, "file %s %s %d %llu\n", d, n, f->fd, (unsigned long long) f->size);
        for (LogStream *s = f->streams; s; s = s->next)
                fprintf(w->f, "stream %s %s %d\n", d, n, s->fd);
}

int log_state_format(LogTable *t, char **ret, size_t *ret_len) {
        char *buf = NULL;
        size_t len = 0;
        Walk w = { .f = open_memstream(&buf, &len) };

        if (!w.f)
                return -ENOMEM;
        fprintf(w.f, STATE_MAGIC "\n");
        twalk_r(t->files, walk_format, &w);
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

static int parse_line(LogTable *t, const char *kind, char *args) {
        char de[1100], ne[1100];
        _cleanup_free_ char *driver = NULL, *name = NULL;
        unsigned long long size = 0;
        bool file = streq(kind, "file");
        int fd, r;

        if (file ? sscanf(args, "%1099s %1099s %d %llu", de, ne, &fd, &size) != 4
                 : sscanf(args, "%1099s %1099s %d", de, ne, &fd) != 3)
                return -EINVAL;
        if (!fd_is_open(fd)) {
                log_warning("State names %s fd %d for %s/%s, which is not open; dropped.", kind, fd, de, ne);
                return 0;
        }
        r = log_state_unescape(de, &driver);
        if (r >= 0)
                r = log_state_unescape(ne, &name);
        if (r >= 0)
                r = file ? log_table_adopt_file(t, driver, name, fd, size)
                         : log_table_adopt_stream(t, driver, name, fd);
        if (r < 0) {
                log_warning_errno(r, "Cannot restore the %s fd %d of %s/%s: %m", kind, fd, de, ne);
                close(fd);
        }
        return 0;
}

int log_state_parse(LogTable *t, const char *text) {
        _cleanup_free_ char *copy = strdup(text);
        bool ended = false;
        char *line, *next;

        if (!copy)
                return -ENOMEM;
        if (strncmp(copy, STATE_MAGIC "\n", strlen(STATE_MAGIC) + 1) != 0)
                return log_error_errno(EINVAL, "Not a logd state.");
        for (line = copy + strlen(STATE_MAGIC) + 1; *line; line = next) {
                char *sp;
                int r = -EINVAL;

                next = strchrnul(line, '\n');
                if (*next)
                        *next++ = 0;
                if (streq(line, "end")) {
                        ended = true;
                        continue;
                }
                sp = strchr(line, ' ');
                if (sp) {
                        *sp = 0;
                        if (streq(line, "file") || streq(line, "stream"))
                                r = parse_line(t, line, sp + 1);
                        *sp = ' ';
                }
                if (r < 0)
                        log_warning("Bad logd state line '%s', skipped.", line);
        }
        if (!ended)
                log_warning("The logd state has no end marker: it may be truncated.");
        return 0;
}

int log_state_serialize(LogTable *t, int *ret_fd) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        size_t len, done = 0;
        int r;

        r = log_state_format(t, &text, &len);
        if (r < 0)
                return r;
        fd = memfd_create("virtbus-logd-state", 0);
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

int log_state_deserialize(LogTable *t, int fd) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        int r;

        if (asprintf(&path, "/proc/self/fd/%d", fd) < 0) {
                close(fd);
                return -ENOMEM;
        }
        r = read_full_file(path, 0, &text, NULL);
        close(fd);
        if (r < 0)
                return log_error_errno(r, "Cannot read the logd state: %m");
        return log_state_parse(t, text);
}

static void walk_cloexec(const void *node, VISIT which, void *closure) {
        Walk *w = closure;
        LogFile *f = *(LogFile *const *) node;
        int r;

        if (which != postorder && which != leaf)
                return;
        r = fd_cloexec(f->fd, w->cloexec);
        for (LogStream *s = f->streams; s && r >= 0; s = s->next)
                r = fd_cloexec(s->fd, w->cloexec);
        if (r < 0)
                w->r = r;
}

int log_state_set_cloexec(LogTable *t, bool cloexec) {
        Walk w = { .cloexec = cloexec };

        twalk_r(t->files, walk_cloexec, &w);
        return w.r;
}
