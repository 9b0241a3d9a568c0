/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "log.h"
#include "state-text.h"

/* The first line, with its newline. */
static char *state_magic(const char *name) {
        char *m;

        if (asprintf(&m, "virtbus-%s-state 1\n", name) < 0)
                return NULL;
        return m;
}

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

int state_format(const char *name, state_write_fn write_items, void *userdata, char **ret, size_t *ret_len) {
        _cleanup_free_ char *magic = state_magic(name);
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!magic)
                return -ENOMEM;
        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fputs(magic, f);
        r = write_items(f, userdata);
        fputs("end\n", f);
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int state_parse(const char *name, const char *text, state_item_fn item, void *userdata) {
        _cleanup_free_ char *magic = state_magic(name), *copy = strdup(text);
        bool ended = false;
        char *line, *next;

        if (!magic || !copy)
                return -ENOMEM;
        if (strncmp(copy, magic, strlen(magic)) != 0)
                return log_error_errno(EINVAL, "Not a %s state.", name);
        for (line = copy + strlen(magic); *line; line = next) {
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
                        r = item(line, sp + 1, userdata);
                        *sp = ' ';
                }
                if (r < 0)
                        log_warning("Bad %s state line '%s', skipped.", name, line);
        }
        if (!ended)
                log_warning("The %s state has no end marker: it may be truncated.", name);
        return 0;
}

bool state_fd_is_open(int fd) {
        return fd > 2 && fcntl(fd, F_GETFD) >= 0;
}
