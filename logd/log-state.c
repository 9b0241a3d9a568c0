/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "log-state.h"
#include "log.h"
#include "state-text.h"
#include "util.h"

/* log_table_foreach() visits files; the callbacks write or flip flags. */
typedef struct Walk {
        FILE *f;
        bool cloexec;
        int r;
} Walk;

static void format_file(LogFile *f, void *userdata) {
        Walk *w = userdata;
        _cleanup_free_ char *d = NULL, *n = NULL;
        int r;

        r = log_file_escaped_names(f, &d, &n);
        if (r < 0) {
                w->r = r;
                return;
        }
        fprintf(w->f, "file %s %s %d %llu\n", d, n, f->fd, (unsigned long long) f->size);
        for (LogStream *s = f->streams; s; s = s->next)
                if (s->fifo)
                        fprintf(w->f, "stream %s %s %d %s\n", d, n, s->fd, s->fifo);
                else
                        fprintf(w->f, "stream %s %s %d\n", d, n, s->fd);
}

static int write_items(FILE *f, void *userdata) {
        LogTable *t = userdata;
        Walk w = { .f = f };

        log_table_foreach(t, format_file, &w);
        return w.r;
}

int log_state_format(LogTable *t, char **ret, size_t *ret_len) {
        return state_format("logd", write_items, t, ret, ret_len);
}

static int parse_item(const char *kind, const char *args, void *userdata) {
        LogTable *t = userdata;
        char de[1100], ne[1100], fifo[256] = "";
        _cleanup_free_ char *driver = NULL, *name = NULL;
        unsigned long long size = 0;
        bool file = streq(kind, "file");
        int fd, r;

        if (!file && !streq(kind, "stream"))
                return -EINVAL;
        if (file ? sscanf(args, "%1099s %1099s %d %llu", de, ne, &fd, &size) != 4
                 : sscanf(args, "%1099s %1099s %d %255s", de, ne, &fd, fifo) < 3)
                return -EINVAL;
        if (!state_fd_is_open(fd)) {
                log_warning("State names %s fd %d for %s/%s, which is not open; dropped.", kind, fd, de, ne);
                return 0;
        }
        r = state_unescape(de, &driver);
        if (r >= 0)
                r = state_unescape(ne, &name);
        if (r >= 0)
                r = file ? log_table_adopt_file(t, driver, name, fd, size)
                         : log_table_adopt_stream(t, driver, name, fd, fifo[0] ? fifo : NULL);
        if (r < 0) {
                log_warning_errno(r, "Cannot restore the %s fd %d of %s/%s: %m", kind, fd, de, ne);
                close(fd);
        }
        return 0;
}

int log_state_parse(LogTable *t, const char *text) {
        return state_parse("logd", text, parse_item, t);
}

static void cloexec_file(LogFile *f, void *userdata) {
        Walk *w = userdata;
        int r;

        r = fd_cloexec(f->fd, w->cloexec);
        for (LogStream *s = f->streams; s && r >= 0; s = s->next)
                r = fd_cloexec(s->fd, w->cloexec);
        if (r < 0)
                w->r = r;
}

static int set_cloexec(void *userdata, bool cloexec) {
        LogTable *t = userdata;
        Walk w = { .cloexec = cloexec };

        log_table_foreach(t, cloexec_file, &w);
        return w.r;
}

static int format(void *userdata, char **ret, size_t *ret_len) {
        return log_state_format(userdata, ret, ret_len);
}

static int parse(void *userdata, const char *text) {
        return log_state_parse(userdata, text);
}

static char *describe(void *userdata) {
        LogTable *t = userdata;
        char *s;

        if (asprintf(&s, "%u log(s) with %u pipe(s)", t->n_files, t->n_streams) < 0)
                return NULL;
        return s;
}

const ReexecOps log_state_reexec_ops = {
        .format = format,
        .parse = parse,
        .set_cloexec = set_cloexec,
        .describe = describe,
};
