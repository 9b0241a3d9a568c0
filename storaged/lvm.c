/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lvm.h"
#include "util.h"
#include "xml-util.h"

void lvm_pvs_free(LvmPv *pvs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(pvs[i].pv_name);
                free(pvs[i].vg_name);
        }
        free(pvs);
}

static void lv_done(LvmLv *lv) {
        free(lv->name);
        free(lv->uuid);
        free(lv->path);
        for (size_t i = 0; i < lv->n_devs; i++) {
                free(lv->devs[i].path);
                free(lv->devs[i].extents);
        }
        free(lv->devs);
}

void lvm_lvs_free(LvmLv *lvs, size_t n) {
        for (size_t i = 0; i < n; i++)
                lv_done(&lvs[i]);
        free(lvs);
}

/* Splits a trimmed line at '#' into at most max fields; returns how many. */
static size_t split(char *line, char **fields, size_t max) {
        size_t n = 0;
        char *p = str_strip(line);

        while (n < max) {
                char *sep = strchr(p, '#');

                fields[n++] = p;
                if (!sep)
                        break;
                *sep = 0;
                p = sep + 1;
        }
        return n;
}

/* Calls fn for every non-empty line of a copy of out. */
static int foreach_line(const char *out, int (*fn)(char *line, void *userdata), void *userdata) {
        _cleanup_free_ char *copy = strdup(out ? out : "");
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                int r;

                if (!*str_strip(l))
                        continue;
                r = fn(l, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

int lvm_parse_pvs(const char *out, LvmPv **ret, size_t *ret_n) {
        _cleanup_free_ char *copy = strdup(out ? out : "");
        struct {
                LvmPv *pvs;
                size_t n;
        } l = {};
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[2] = { NULL, NULL };
                size_t n = split(line, f, 2);
                LvmPv *a;

                if (n < 1 || !*f[0])
                        continue;
                a = realloc(l.pvs, (l.n + 1) * sizeof(*a));
                if (!a) {
                        lvm_pvs_free(l.pvs, l.n);
                        return -ENOMEM;
                }
                l.pvs = a;
                a[l.n] = (LvmPv) { .pv_name = strdup(f[0]), .vg_name = strdup(n > 1 ? f[1] : "") };
                if (!a[l.n].pv_name || !a[l.n].vg_name) {
                        lvm_pvs_free(l.pvs, l.n + 1);
                        return -ENOMEM;
                }
                l.n++;
        }
        *ret = l.pvs;
        *ret_n = l.n;
        return 0;
}

int lvm_parse_vg_size(const char *out, uint64_t *ret_size, uint64_t *ret_free) {
        _cleanup_free_ char *copy = strdup(out ? out : "");
        char *f[2];

        if (!copy)
                return -ENOMEM;
        copy[strcspn(copy, "\n")] = 0;
        if (split(copy, f, 2) != 2 || parse_ullong(f[0], ret_size) < 0 || parse_ullong(f[1], ret_free) < 0 ||
            *ret_free > *ret_size)
                return -EBADMSG;
        return 0;
}

typedef struct LvList {
        LvmLv *lvs;
        size_t n;
} LvList;

static LvmLv *lv_find(LvList *l, const char *uuid) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->lvs[i].uuid, uuid))
                        return &l->lvs[i];
        return NULL;
}

/* "/dev/loop0(12)" -> path and first physical extent. */
static int parse_device(char *s, char **ret_path, uint64_t *ret_pe) {
        char *paren = strrchr(s, '(');

        if (!paren || paren == s || paren[strlen(paren) - 1] != ')')
                return -EBADMSG;
        paren[strlen(paren) - 1] = 0;
        *paren = 0;
        if (parse_ullong(paren + 1, ret_pe) < 0)
                return -EBADMSG;
        *ret_path = strdup(s);
        return *ret_path ? 0 : -ENOMEM;
}

static int add_extent(LvmLv *lv, char *path, uint64_t start, uint64_t end) {
        StorageVolSourceDev *d = NULL;
        StorageVolExtent *e;

        for (size_t i = 0; i < lv->n_devs && !d; i++)
                if (streq(lv->devs[i].path, path))
                        d = &lv->devs[i];
        if (!d) {
                StorageVolSourceDev *a = realloc(lv->devs, (lv->n_devs + 1) * sizeof(*a));
                if (!a)
                        return -ENOMEM;
                lv->devs = a;
                d = &lv->devs[lv->n_devs++];
                *d = (StorageVolSourceDev) { .path = path };
                path = NULL;
        }
        free(path);
        e = realloc(d->extents, (d->n_extents + 1) * sizeof(*e));
        if (!e)
                return -ENOMEM;
        d->extents = e;
        e[d->n_extents++] = (StorageVolExtent) { .start = start, .end = end };
        return 0;
}

static int add_segment(LvmLv *lv, char *devices, uint64_t seg_size, uint64_t extent_size) {
        char *f[32], *save = NULL;
        size_t n = 0;

        for (char *t = strtok_r(devices, ",", &save); t && n < ELEMENTSOF(f); t = strtok_r(NULL, ",", &save))
                f[n++] = t;
        /* A striped segment spreads its size evenly over its devices. */
        for (size_t i = 0; i < n; i++) {
                char *path = NULL;
                uint64_t pe;
                int r = parse_device(f[i], &path, &pe);

                if (r < 0)
                        return r;
                r = add_extent(lv, path, pe * extent_size, pe * extent_size + seg_size / n);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int lv_line(char *line, void *userdata) {
        LvList *l = userdata;
        char *f[8];
        uint64_t size, seg_size, extent_size;
        LvmLv *lv;

        if (split(line, f, 8) != 8)
                return -EBADMSG;
        /* thin pools, hidden and internal LVs are no volumes */
        if (f[4][0] == 't' || f[0][0] == '[' || !*f[1])
                return 0;
        if (parse_ullong(f[3], &size) < 0 || parse_ullong(f[6], &seg_size) < 0 ||
            parse_ullong(f[7], &extent_size) < 0)
                return -EBADMSG;
        lv = lv_find(l, f[1]);
        if (!lv) {
                LvmLv *a = realloc(l->lvs, (l->n + 1) * sizeof(*a));
                if (!a)
                        return -ENOMEM;
                l->lvs = a;
                lv = &a[l->n++];
                *lv = (LvmLv) { .name = strdup(f[0]), .uuid = strdup(f[1]), .path = strdup(f[2]), .size = size };
                snprintf(lv->attr, sizeof(lv->attr), "%s", f[4]);
                if (!lv->name || !lv->uuid || !lv->path)
                        return -ENOMEM;
        }
        if (!*f[5])
                return 0;
        return add_segment(lv, f[5], seg_size, extent_size);
}

int lvm_parse_lvs(const char *out, LvmLv **ret, size_t *ret_n) {
        LvList l = {};
        int r = foreach_line(out, lv_line, &l);

        if (r < 0) {
                lvm_lvs_free(l.lvs, l.n);
                return r;
        }
        *ret = l.lvs;
        *ret_n = l.n;
        return 0;
}

bool lvm_lv_name_is_valid(const char *name) {
        static const char *const reserved[] = { "_cdata", "_cmeta", "_corig", "_mimage", "_mlog", "_pmspare",
                                                "_rimage", "_rmeta", "_tdata", "_tmeta", "_vorigin", "_vdata" };

        if (!str_in_charset(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-"))
                return false;
        if (name[0] == '-' || streq(name, ".") || streq(name, "..") || strlen(name) > 127)
                return false;
        if (strncmp(name, "snapshot", 8) == 0 || strncmp(name, "pvmove", 6) == 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
                if (strstr(name, reserved[i]))
                        return false;
        return true;
}
