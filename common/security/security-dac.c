/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DAC driver: chown with the owner remembered in xattrs. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "security-dac.h"
#include "security-manager.h"
#include "util.h"

/* The host's boot time (btime of /proc/stat), as text; "" if unknown. */
static void boot_timestamp(char *buf, size_t size) {
        _cleanup_fclose_ FILE *f = fopen("/proc/stat", "re");
        char line[256];

        buf[0] = 0;
        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "btime ", 6) == 0) {
                        snprintf(buf, size, "%.40s", line + 6);
                        buf[strcspn(buf, "\n")] = 0;
                        return;
                }
}

static int get_xattr(const char *path, const char *name, char *buf, size_t size) {
        ssize_t n = getxattr(path, name, buf, size - 1);

        if (n < 0)
                return -errno;
        buf[n] = 0;
        return 0;
}

static void remove_xattrs(const char *path) {
        (void) removexattr(path, SECURITY_XATTR_DAC);
        (void) removexattr(path, SECURITY_XATTR_REF_DAC);
        (void) removexattr(path, SECURITY_XATTR_TIMESTAMP_DAC);
}

static int set_xattr(const char *path, const char *name, const char *value) {
        return setxattr(path, name, value, strlen(value), 0) < 0 ? -errno : 0;
}

static int set_ref(const char *path, unsigned ref) {
        char buf[16];

        snprintf(buf, sizeof(buf), "%u", ref);
        return set_xattr(path, SECURITY_XATTR_REF_DAC, buf);
}

/* What a file remembers. 1 with owner and ref when it remembers something
 * of this boot; 0 when nothing (stale attributes are dropped); -errno
 * (-EOPNOTSUPP: the filesystem has no xattrs). */
static int recall(const char *path, char *owner, size_t owner_size, unsigned *ref) {
        char stamp[64], now[64], refbuf[16];
        uint64_t v;
        int r;

        r = get_xattr(path, SECURITY_XATTR_DAC, owner, owner_size);
        if (r == -ENODATA)
                return 0;
        if (r < 0)
                return r;
        boot_timestamp(now, sizeof(now));
        if (get_xattr(path, SECURITY_XATTR_TIMESTAMP_DAC, stamp, sizeof(stamp)) < 0 || !streq(stamp, now) ||
            get_xattr(path, SECURITY_XATTR_REF_DAC, refbuf, sizeof(refbuf)) < 0 || safe_atou64(refbuf, &v) < 0 ||
            v == 0 || v > UINT_MAX) {
                /* from before the host's last boot, or half written */
                remove_xattrs(path);
                return 0;
        }
        *ref = (unsigned) v;
        return 1;
}

static int remember(const char *path, const struct stat *st) {
        char owner[32], stamp[64];
        int r;

        security_dac_format_label(st->st_uid, st->st_gid, owner, sizeof(owner));
        boot_timestamp(stamp, sizeof(stamp));
        r = set_xattr(path, SECURITY_XATTR_DAC, owner);
        if (r >= 0)
                r = set_ref(path, 1);
        if (r >= 0)
                r = set_xattr(path, SECURITY_XATTR_TIMESTAMP_DAC, stamp);
        if (r < 0)
                remove_xattrs(path);
        return r;
}

static bool xattrs_unsupported(int r) {
        return r == -EOPNOTSUPP || r == -ENOTSUP;
}

int security_dac_set_owner(const char *path, uid_t uid, gid_t gid, bool remember_owner) {
        _cleanup_free_ char *real = realpath(path, NULL);
        bool remembered = false;
        struct stat st;
        char owner[32];
        unsigned ref;
        int r;

        if (!real || stat(real, &st) < 0)
                return -errno;
        if (remember_owner) {
                r = recall(real, owner, sizeof(owner), &ref);
                if (r > 0)
                        /* another guest has it: count this one in, leave the
                         * owner as that guest needs it */
                        return set_ref(real, ref + 1);
                if (r < 0 && !xattrs_unsupported(r))
                        return r;
                if (st.st_uid == uid && st.st_gid == gid)
                        return 0;
                if (r == 0) {
                        r = remember(real, &st);
                        if (r < 0 && !xattrs_unsupported(r))
                                return r;
                        remembered = r >= 0;
                }
        } else if (st.st_uid == uid && st.st_gid == gid)
                return 0;
        if (chown(real, uid, gid) < 0) {
                r = -errno;
                if (remembered)
                        remove_xattrs(real);
                return r;
        }
        return 0;
}

int security_dac_restore_owner(const char *path, bool remember_owner) {
        _cleanup_free_ char *real = realpath(path, NULL);
        uid_t uid = 0;
        gid_t gid = 0;
        char owner[32];
        unsigned ref = 0;
        int r;

        if (!real)
                return errno == ENOENT ? 0 : -errno;
        if (remember_owner) {
                r = recall(real, owner, sizeof(owner), &ref);
                if (r == 0)
                        return 0;       /* never given by us, or by an earlier boot */
                if (r < 0 && !xattrs_unsupported(r))
                        return r;
                if (r > 0 && ref > 1)
                        return set_ref(real, ref - 1);
                if (r > 0 && security_dac_parse_label(owner, &uid, &gid) < 0)
                        uid = 0, gid = 0;
        }
        if (chown(real, uid, gid) < 0)
                return -errno;
        if (remember_owner)
                remove_xattrs(real);
        return 0;
}

/* ---- backing chains ----------------------------------------------------- */

#define QCOW2_MAGIC 0x514649fbu
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define CHAIN_MAX 16

static uint32_t be32_at(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t be64_at(const uint8_t *p) {
        return (uint64_t) be32_at(p) << 32 | be32_at(p + 4);
}

/* The backing file of a qcow2 image and its format ("" if not recorded):
 * 1 if it has one, 0 if not, -errno. */
static int qcow2_backing(const char *path, char **ret_file, char *fmt, size_t fmt_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        uint8_t h[104], ext[8];
        uint64_t off;
        uint32_t size, version, hlen;
        char name[1024];

        fmt[0] = 0;
        if (fd < 0)
                return -errno;
        if (pread(fd, h, sizeof(h), 0) < 72 || be32_at(h) != QCOW2_MAGIC)
                return -EINVAL;
        version = be32_at(h + 4);
        off = be64_at(h + 8);
        size = be32_at(h + 16);
        if (off == 0 || size == 0)
                return 0;
        if (size >= sizeof(name) || pread(fd, name, size, (off_t) off) != (ssize_t) size)
                return -EINVAL;
        name[size] = 0;
        /* header extensions: after the header (72 bytes in v2, header_length in v3) */
        hlen = version >= 3 ? be32_at(h + 100) : 72;
        for (uint64_t at = hlen; at < off && at < 65536;) {
                uint32_t type, len;

                if (pread(fd, ext, 8, (off_t) at) != 8)
                        break;
                type = be32_at(ext);
                len = be32_at(ext + 4);
                if (type == 0)
                        break;
                if (type == QCOW2_EXT_BACKING_FORMAT && len < fmt_size) {
                        if (pread(fd, fmt, len, (off_t) at + 8) != (ssize_t) len)
                                fmt[0] = 0;
                        else
                                fmt[len] = 0;
                }
                at += 8 + (((uint64_t) len + 7) & ~(uint64_t) 7);
        }
        *ret_file = strdup(name);
        return *ret_file ? 1 : -ENOMEM;
}

int security_image_backing_chain(const char *path, char ***ret) {
        _cleanup_strv_free_ char **chain = NULL;
        _cleanup_free_ char *cur = strdup(path);
        size_t n = 0;

        if (!cur)
                return -ENOMEM;
        for (;;) {
                _cleanup_free_ char *file = NULL, *dir = NULL, *abs = NULL;
                char fmt[32];
                int r = qcow2_backing(cur, &file, fmt, sizeof(fmt));

                if (r <= 0)
                        break;
                /* a protocol (nbd:, json:...) is no file of this host */
                if (strchr(file, ':') && !strchr(file, '/'))
                        break;
                if (strncmp(file, "json:", 5) == 0 || strstr(file, "://"))
                        break;
                if (file[0] == '/')
                        abs = TAKE_PTR(file);
                else {
                        dir = strdup(cur);
                        if (!dir)
                                return -ENOMEM;
                        char *slash = strrchr(dir, '/');
                        if (slash)
                                *slash = 0;
                        abs = slash ? path_join(dir, file) : TAKE_PTR(file);
                        if (!abs)
                                return -ENOMEM;
                }
                for (size_t i = 0; i < n; i++)
                        if (streq(chain[i], abs))
                                return -ELOOP;
                if (streq(abs, path) || ++n > CHAIN_MAX)
                        return -ELOOP;
                if (strv_extend(&chain, abs) < 0)
                        return -ENOMEM;
                if (!streq(fmt, "qcow2"))
                        break;
                free_and_replace_str(&cur, TAKE_PTR(abs));
        }
        *ret = TAKE_PTR(chain);
        return 0;
}

/* ---- the process ---------------------------------------------------------- */

static int add_group(gid_t **l, size_t *n, gid_t g) {
        gid_t *a;

        for (size_t i = 0; i < *n; i++)
                if ((*l)[i] == g)
                        return 0;
        a = realloc(*l, (*n + 1) * sizeof(gid_t));
        if (!a)
                return -ENOMEM;
        a[(*n)++] = g;
        *l = a;
        return 0;
}

int security_dac_groups(uid_t uid, gid_t gid, bool kvm, gid_t **ret, size_t *ret_n) {
        _cleanup_free_ gid_t *l = NULL;
        struct passwd *pw = getpwuid(uid);
        struct stat st;
        size_t n = 0;
        int r;

        if (pw && uid != 0) {
                int ng = 64;
                gid_t buf[64];

                if (getgrouplist(pw->pw_name, gid, buf, &ng) >= 0)
                        for (int i = 0; i < ng; i++)
                                if ((r = add_group(&l, &n, buf[i])) < 0)
                                        return r;
        }
        /* the kvm group, never root's */
        if (kvm && stat("/dev/kvm", &st) == 0 && (st.st_mode & 006) != 006 && (st.st_mode & 060) == 060 &&
            st.st_gid != 0 && st.st_gid != gid && (r = add_group(&l, &n, st.st_gid)) < 0)
                return r;
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

bool security_dac_may_open(const char *path, uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups) {
        struct stat st;
        mode_t want = 06; /* read and write */

        if (uid == 0)
                return true;
        if (stat(path, &st) < 0)
                return false;
        if (st.st_uid == uid)
                return ((st.st_mode >> 6) & want) == want;
        bool member = st.st_gid == gid;
        for (size_t i = 0; i < n_groups && !member; i++)
                member = groups[i] == st.st_gid;
        if (member)
                return ((st.st_mode >> 3) & want) == want;
        return (st.st_mode & want) == want;
}
