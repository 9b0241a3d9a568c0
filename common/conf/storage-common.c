/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>

#include "error.h"
#include "storage-common.h"

static const char *const format_names[_STORAGE_FORMAT_MAX] = {
        [STORAGE_FORMAT_NONE] = NULL,
        [STORAGE_FORMAT_UNKNOWN] = "unknown",
        [STORAGE_FORMAT_RAW] = "raw",
        [STORAGE_FORMAT_DIR] = "dir",
        [STORAGE_FORMAT_BOCHS] = "bochs",
        [STORAGE_FORMAT_CLOOP] = "cloop",
        [STORAGE_FORMAT_DMG] = "dmg",
        [STORAGE_FORMAT_ISO] = "iso",
        [STORAGE_FORMAT_VPC] = "vpc",
        [STORAGE_FORMAT_VDI] = "vdi",
        [STORAGE_FORMAT_FAT] = "fat",
        [STORAGE_FORMAT_VHD] = "vhd",
        [STORAGE_FORMAT_PLOOP] = "ploop",
        [STORAGE_FORMAT_LUKS] = "luks",
        [STORAGE_FORMAT_COW] = "cow",
        [STORAGE_FORMAT_QCOW] = "qcow",
        [STORAGE_FORMAT_QCOW2] = "qcow2",
        [STORAGE_FORMAT_QED] = "qed",
        [STORAGE_FORMAT_VMDK] = "vmdk",
};

/* Valid in <format type=''> of storagevol.rng, but for file systems and
 * partitions, which no pool type we have creates. */
static const char *const foreign_formats[] = {
        "none", "auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat", "hfs+", "xfs",
        "ocfs2", "vmfs", "linux", "fat16", "fat32", "linux-swap", "linux-lvm", "linux-raid", "extended",
};

const char *storage_format_to_string(StorageFormat f) {
        if ((unsigned) f >= _STORAGE_FORMAT_MAX)
                return NULL;
        return format_names[f];
}

int storage_format_from_string(const char *s) {
        int i = table_lookup(format_names, _STORAGE_FORMAT_MAX, s);
        return i < 0 ? -EINVAL : i;
}

int storage_scale_bytes(uint64_t value, const char *unit, uint64_t *ret) {
        unsigned __int128 bytes;
        uint64_t scale;
        int r;

        r = unit_scale(unit && *unit ? unit : "b", &scale);
        if (r < 0)
                return r;
        bytes = (unsigned __int128) value * scale;
        if (bytes > STORAGE_SIZE_MAX)
                return -ERANGE;
        *ret = (uint64_t) bytes;
        return 0;
}

void storage_perms_done(StoragePerms *p) {
        *p = (StoragePerms) {};
}

void storage_timestamps_done(StorageTimestamps *t) {
        free(t->atime);
        free(t->btime);
        free(t->ctime);
        free(t->mtime);
        *t = (StorageTimestamps) {};
}

static int strdup_opt(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int storage_timestamps_copy(const StorageTimestamps *src, StorageTimestamps *dst) {
        *dst = (StorageTimestamps) {};
        if (strdup_opt(src->atime, &dst->atime) < 0 || strdup_opt(src->btime, &dst->btime) < 0 ||
            strdup_opt(src->ctime, &dst->ctime) < 0 || strdup_opt(src->mtime, &dst->mtime) < 0) {
                storage_timestamps_done(dst);
                return -ENOMEM;
        }
        return 0;
}

int storage_parse_children(void *obj, xmlNodePtr n, const char *path, const StorageChildParser *table,
                           size_t n_table, ConfError *err) {
        int r;

        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                const StorageChildParser *p = NULL;

                for (size_t i = 0; i < n_table && !p; i++)
                        if (xml_is(c, table[i].name))
                                p = &table[i];
                if (!p)
                        return xml_unsupported_element(c, path, err);

                XML_SUBPATH(sub, path, p->name);
                if (p->unique) {
                        r = xml_check_unique(c, sub, err);
                        if (r < 0)
                                return r;
                }
                r = p->parse(obj, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- permissions ---------------------------------------------------------- */

static int parse_mode(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StoragePerms *p = obj;
        _cleanup_free_ char *s = NULL;
        unsigned long v;
        char *end;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_text(n, path, &s, err);
        if (r < 0)
                return r;
        str_strip(s);
        errno = 0;
        v = strtoul(s, &end, 8);
        if (!*s || *end || errno || v > 07777 || strspn(s, "01234567") != strlen(s))
                return xml_err_invalid(err, "malformed octal mode '%s' in <%s>", s, path);
        p->mode = (mode_t) v;
        p->has_mode = true;
        return 0;
}

/* An id, or -1 for "leave it as it is". */
static int parse_id(xmlNodePtr n, const char *path, bool *has, unsigned *ret, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_text(n, path, &s, err);
        if (r < 0)
                return r;
        str_strip(s);
        if (streq(s, "-1")) {
                *has = false;
                return 0;
        }
        r = parse_uint(s, ret);
        if (r < 0 || *ret == (unsigned) -1)
                return xml_err_invalid(err, "malformed id '%s' in <%s>", s, path);
        *has = true;
        return 0;
}

static int parse_owner(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StoragePerms *p = obj;
        unsigned v = 0;
        int r = parse_id(n, path, &p->has_owner, &v, err);

        p->owner = (uid_t) v;
        return r;
}

static int parse_group(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StoragePerms *p = obj;
        unsigned v = 0;
        int r = parse_id(n, path, &p->has_group, &v, err);

        p->group = (gid_t) v;
        return r;
}

static int parse_label(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        /* No security driver labels files here. */
        return xml_err_unsupported(err, "element <%s> is not supported: no security labels on storage", path);
}

int storage_parse_perms(StoragePerms *p, xmlNodePtr n, const char *path, ConfError *err) {
        static const StorageChildParser table[] = {
                { "mode", parse_mode, true },
                { "owner", parse_owner, true },
                { "group", parse_group, true },
                { "label", parse_label, true },
        };
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r < 0)
                return r;
        return storage_parse_children(p, n, path, table, ELEMENTSOF(table), err);
}

void storage_format_perms(XmlWriter *w, const StoragePerms *p) {
        if (!p->has_mode && !p->has_owner && !p->has_group)
                return;
        xw_start(w, "permissions");
        if (p->has_mode)
                xw_elementf(w, "mode", "0%o", (unsigned) p->mode);
        if (p->has_owner)
                xw_elementf(w, "owner", "%u", (unsigned) p->owner);
        if (p->has_group)
                xw_elementf(w, "group", "%u", (unsigned) p->group);
        xw_end(w);
}

/* ---- timestamps ----------------------------------------------------------- */

static bool timestamp_is_valid(const char *s) {
        size_t n = strspn(s, "0123456789");

        if (n == 0)
                return false;
        if (s[n] == 0)
                return true;
        if (s[n] != '.')
                return false;
        s += n + 1;
        n = strspn(s, "0123456789");
        return n <= 9 && s[n] == 0;
}

static int parse_stamp(char **slot, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text(n, path, slot, err);
        if (r < 0)
                return r;
        str_strip(*slot);
        if (!timestamp_is_valid(*slot))
                return xml_err_invalid(err, "malformed timestamp '%s' in <%s>", *slot, path);
        return 0;
}

#define DEFINE_STAMP_PARSER(field)                                                         \
        static int parse_##field(void *obj, xmlNodePtr n, const char *path, ConfError *err) { \
                return parse_stamp(&((StorageTimestamps *) obj)->field, n, path, err);        \
        }
DEFINE_STAMP_PARSER(atime)
DEFINE_STAMP_PARSER(btime)
DEFINE_STAMP_PARSER(ctime)
DEFINE_STAMP_PARSER(mtime)

int storage_parse_timestamps(StorageTimestamps *t, xmlNodePtr n, const char *path, ConfError *err) {
        static const StorageChildParser table[] = {
                { "atime", parse_atime, true },
                { "btime", parse_btime, true },
                { "ctime", parse_ctime, true },
                { "mtime", parse_mtime, true },
        };
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r < 0)
                return r;
        return storage_parse_children(t, n, path, table, ELEMENTSOF(table), err);
}

void storage_format_timestamps(XmlWriter *w, const StorageTimestamps *t) {
        if (!t->atime && !t->btime && !t->ctime && !t->mtime)
                return;
        xw_start(w, "timestamps");
        xw_element(w, "atime", t->atime);
        xw_element(w, "btime", t->btime);
        xw_element(w, "ctime", t->ctime);
        xw_element(w, "mtime", t->mtime);
        xw_end(w);
}

/* ---- sizes, paths, formats ---------------------------------------------- */

int storage_parse_bytes(xmlNodePtr n, const char *path, uint64_t *ret, ConfError *err) {
        _cleanup_free_ char *text = NULL, *unit = NULL;
        uint64_t v;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "unit");
        if (r >= 0)
                r = xml_attr_str(n, path, "unit", &unit, err);
        if (r >= 0)
                r = xml_text(n, path, &text, err);
        if (r < 0)
                return r;
        r = parse_ullong(text, &v);
        if (r == -ERANGE)
                return xml_err_invalid(err, "value '%s' of <%s> overflows: at most %" PRIu64 " bytes", str_strip(text),
                                       path, STORAGE_SIZE_MAX);
        if (r < 0)
                return xml_err_invalid(err, "value '%s' of <%s> is not a valid number", str_strip(text), path);
        r = storage_scale_bytes(v, unit, ret);
        if (r == -ERANGE)
                return xml_err_invalid(err, "value '%" PRIu64 "' (unit '%s') of <%s> overflows: at most %" PRIu64
                                       " bytes", v, unit ? unit : "bytes", path, STORAGE_SIZE_MAX);
        if (r < 0)
                return xml_err_invalid(err, "unknown unit '%s' of <%s>", unit, path);
        return 0;
}

void storage_format_size(XmlWriter *w, const char *name, uint64_t bytes) {
        xw_start(w, name);
        xw_attr(w, "unit", "bytes");
        xw_textf(w, "%" PRIu64, bytes);
        xw_end(w);
}

int storage_parse_abs_path(xmlNodePtr n, const char *path, char **ret, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text(n, path, ret, err);
        if (r < 0)
                return r;
        str_strip(*ret);
        if (!str_is_abs_path(*ret))
                return xml_err_invalid(err, "<%s> must be an absolute path, not '%s'", path, *ret);
        return 0;
}

int storage_parse_format(xmlNodePtr n, const char *path, StorageFormat *ret, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        int r, f;

        r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "type", &type, err);
        if (r < 0)
                return r;
        f = storage_format_from_string(type);
        if (f >= 0) {
                *ret = (StorageFormat) f;
                return 0;
        }
        if (table_lookup(foreign_formats, ELEMENTSOF(foreign_formats), type) >= 0)
                return xml_err_unsupported(err, "volume format '%s' of <%s> is not supported", type, path);
        return xml_err_unsupported(err, "unknown volume format '%s' of <%s>", type, path);
}
