/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/sysmacros.h>

#include "mountinfo.h"
#include "util.h"

void mount_entry_done(MountEntry *e) {
        free(e->source);
        free(e->fstype);
        *e = (MountEntry) {};
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
        char *w = s;

        for (char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
                    r[3] <= '7') {
                        *w++ = (char) ((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = 0;
}

/* "36 35 98:0 / /mnt rw,noatime master:1 - ext3 /dev/root rw" */
static int parse_line(char *line, const char *target, MountEntry *e) {
        char *field[16], *save = NULL, *tok;
        unsigned maj, min;
        size_t n = 0, dash = 0;

        for (tok = strtok_r(line, " ", &save); tok && n < ELEMENTSOF(field); tok = strtok_r(NULL, " ", &save)) {
                if (streq(tok, "-") && n >= 6 && !dash)
                        dash = n;
                field[n++] = tok;
        }
        if (n < 10 || !dash || dash + 2 >= n)
                return 0;
        unescape(field[4]);
        if (!streq(field[4], target))
                return 0;
        if (sscanf(field[2], "%u:%u", &maj, &min) != 2)
                return 0;
        unescape(field[dash + 2]);
        mount_entry_done(e);
        e->devno = makedev(maj, min);
        e->fstype = strdup(field[dash + 1]);
        e->source = strdup(field[dash + 2]);
        return e->fstype && e->source ? 1 : -ENOMEM;
}

int mountinfo_find(const char *text, const char *target, MountEntry *ret) {
        _cleanup_free_ char *copy = strdup(text);
        MountEntry e = {};
        char *save = NULL;
        int found = 0;

        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                int r = parse_line(line, target, &e);
                if (r < 0) {
                        mount_entry_done(&e);
                        return r;
                }
                if (r > 0)
                        found = 1; /* a later mount hides an earlier one */
        }
        if (found)
                *ret = e;
        return found;
}

int mountinfo_find_self(const char *target, MountEntry *ret) {
        _cleanup_free_ char *text = NULL;
        int r = read_full_file("/proc/self/mountinfo", 0, &text, NULL);

        if (r < 0)
                return r;
        return mountinfo_find(text, target, ret);
}
