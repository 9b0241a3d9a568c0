/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <filesystem><binary path='' xattr=''>: the virtiofsd a virtiofs share
 * runs on, with its <cache mode=''/>, <sandbox mode=''/>, <lock posix=''
 * flock=''/> and <thread_pool size=''/> (libvirt's fsBinary). */
#include "domain-conf-internal.h"

static int parse_leaf(xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        return r;
}

static int parse_cache(DomainFsBinary *b, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const modes[] = { "none", "always" };
        int r = parse_leaf(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "mode");
        if (r >= 0)
                r = xml_attr_choice(n, path, "mode", modes, ELEMENTSOF(modes), &b->cache, err);
        return r < 0 ? r : 0;
}

static int parse_sandbox(DomainFsBinary *b, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const modes[] = { "namespace", "chroot" };
        int r = parse_leaf(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "mode");
        if (r >= 0)
                r = xml_attr_choice(n, path, "mode", modes, ELEMENTSOF(modes), &b->sandbox, err);
        return r < 0 ? r : 0;
}

static int parse_lock(DomainFsBinary *b, xmlNodePtr n, const char *path, ConfError *err) {
        int r = parse_leaf(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "posix", "flock");
        if (r >= 0)
                r = domain_attr_tristate(n, path, "posix", "on", "off", &b->posix_lock, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "flock", "on", "off", &b->flock, err);
        return r < 0 ? r : 0;
}

/* The schema's plain integer: libvirt passes it to virtiofsd as it is. */
static int parse_thread_pool(DomainFsBinary *b, xmlNodePtr n, const char *path, ConfError *err) {
        int r = parse_leaf(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "size");
        if (r >= 0)
                r = xml_attr_int(n, path, "size", &b->thread_pool, err);
        if (r > 0)
                b->has_thread_pool = true;
        return r < 0 ? r : 0;
}

static int parse_child(DomainFsBinary *b, xmlNodePtr c, const char *path, ConfError *err) {
        static const char *const children[] = { "cache", "sandbox", "lock", "thread_pool" };

        if (!xml_is_any(c, children, ELEMENTSOF(children)))
                return xml_unsupported_element(c, path, err);
        XML_SUBPATH(sub, path, (const char *) c->name);
        if (xml_is(c, "cache"))
                return parse_cache(b, c, sub, err);
        if (xml_is(c, "sandbox"))
                return parse_sandbox(b, c, sub, err);
        if (xml_is(c, "lock"))
                return parse_lock(b, c, sub, err);
        return parse_thread_pool(b, c, sub, err);
}

int domain_parse_fs_binary(DomainFsDef *fs, xmlNodePtr n, const char *path, ConfError *err) {
        DomainFsBinary *b = &fs->binary;
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "path", "xattr");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "xattr", "on", "off", &b->xattr, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "path", &b->path, err);
        if (r > 0)
                r = domain_check_abs_path(b->path, "attribute 'path' of", path, err);
        if (r < 0)
                return r;
        b->present = true;
        XML_FOREACH_ELEMENT(c, n) {
                r = parse_child(b, c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool has_children(const DomainFsBinary *b) {
        return b->cache || b->sandbox || b->posix_lock || b->flock || b->has_thread_pool;
}

void domain_format_fs_binary(XmlWriter *w, const DomainFsBinary *b) {
        if (!b->present && !b->path && !b->xattr && !has_children(b))
                return;
        xw_start(w, "binary");
        xw_attr(w, "path", b->path);
        xw_attr(w, "xattr", tristate_word(b->xattr, "on", "off"));
        if (b->cache) {
                xw_start(w, "cache");
                xw_attr(w, "mode", b->cache);
                xw_end(w);
        }
        if (b->sandbox) {
                xw_start(w, "sandbox");
                xw_attr(w, "mode", b->sandbox);
                xw_end(w);
        }
        if (b->posix_lock || b->flock) {
                xw_start(w, "lock");
                xw_attr(w, "posix", tristate_word(b->posix_lock, "on", "off"));
                xw_attr(w, "flock", tristate_word(b->flock, "on", "off"));
                xw_end(w);
        }
        if (b->has_thread_pool) {
                xw_start(w, "thread_pool");
                xw_attrf(w, "size", "%d", b->thread_pool);
                xw_end(w);
        }
        xw_end(w);
}

void domain_fs_binary_clear(DomainFsBinary *b) {
        free(b->path);
        free(b->cache);
        free(b->sandbox);
}

bool domain_fs_binary_own(DomainFsBinary *b) {
        bool ok = true;

        ok = own_str(&b->path) && ok;
        ok = own_str(&b->cache) && ok;
        ok = own_str(&b->sandbox) && ok;
        return ok;
}
