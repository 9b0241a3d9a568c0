/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "migration-cookie.h"
#include "util.h"
#include "uuid.h"
#include "xml-util.h"

/* One list for both ways: libvirt's names of the cookie's features. */
static const char *const feature_names[] = {
        "graphics", "lockstate", "persistent", "network", "nbd", "statistics",
        "memory-hotplug", "cpu-hotplug", "cpu", "allowReboot", "capabilities", "block-dirty-bitmaps",
};

const char *migration_feature_to_string(MigrationFeature f) {
        for (size_t i = 0; i < ELEMENTSOF(feature_names); i++)
                if (f == (MigrationFeature) (1u << i))
                        return feature_names[i];
        return NULL;
}

MigrationFeature migration_feature_from_string(const char *s) {
        int i = table_lookup(feature_names, ELEMENTSOF(feature_names), s);

        return i < 0 ? 0 : (MigrationFeature) (1u << i);
}

MigrationCookie *migration_cookie_new(void) {
        MigrationCookie *c = calloc(1, sizeof(*c));

        if (c)
                c->allow_reboot = -1;
        return c;
}

MigrationCookie *migration_cookie_free(MigrationCookie *c) {
        if (!c)
                return NULL;
        free(c->name);
        free(c->hostname);
        free(c->graphics_type);
        free(c->graphics_listen);
        free(c->lock_driver);
        free(c->lock_leases);
        free(c->persistent_xml);
        for (size_t i = 0; i < c->n_nbd_disks; i++) {
                free(c->nbd_disks[i].target);
                free(c->nbd_disks[i].backing);
                free(c->nbd_disks[i].backing_format);
        }
        free(c->nbd_disks);
        for (size_t i = 0; i < c->n_stats; i++)
                free(c->stats[i].name);
        free(c->stats);
        free(c);
        return NULL;
}

int migration_cookie_add_stat(MigrationCookie *c, const char *name, uint64_t value) {
        MigrationCookieStat *t = realloc(c->stats, (c->n_stats + 1) * sizeof(*t));

        if (!t)
                return -ENOMEM;
        c->stats = t;
        t[c->n_stats].name = strdup(name);
        if (!t[c->n_stats].name)
                return -ENOMEM;
        t[c->n_stats++].value = value;
        c->present |= MIGRATION_FEATURE_STATS;
        return 0;
}

bool migration_cookie_get_stat(const MigrationCookie *c, const char *name, uint64_t *ret) {
        for (size_t i = 0; i < c->n_stats; i++)
                if (streq(c->stats[i].name, name)) {
                        *ret = c->stats[i].value;
                        return true;
                }
        return false;
}

int migration_cookie_add_nbd_disk(MigrationCookie *c, const char *target, uint64_t capacity) {
        MigrationCookieDisk *t = realloc(c->nbd_disks, (c->n_nbd_disks + 1) * sizeof(*t));

        if (!t)
                return -ENOMEM;
        c->nbd_disks = t;
        t[c->n_nbd_disks] = (MigrationCookieDisk) { .target = strdup(target), .capacity = capacity };
        if (!t[c->n_nbd_disks].target)
                return -ENOMEM;
        c->n_nbd_disks++;
        c->present |= MIGRATION_FEATURE_NBD;
        return 0;
}

int migration_cookie_set_nbd_backing(MigrationCookie *c, const char *path, const char *format) {
        MigrationCookieDisk *k = c->n_nbd_disks ? &c->nbd_disks[c->n_nbd_disks - 1] : NULL;

        if (!k)
                return -EINVAL;
        free(k->backing);
        free(k->backing_format);
        k->backing = path ? strdup(path) : NULL;
        k->backing_format = format ? strdup(format) : NULL;
        return (path && !k->backing) || (format && !k->backing_format) ? -ENOMEM : 0;
}

/* --- format ------------------------------------------------------------------- */

static void format_graphics(XmlWriter *w, const MigrationCookie *c) {
        xw_start(w, "graphics");
        xw_attr(w, "type", c->graphics_type);
        xw_attrf(w, "port", "%d", c->graphics_port);
        if (c->graphics_tls_port > 0)
                xw_attrf(w, "tlsPort", "%d", c->graphics_tls_port);
        xw_attr(w, "listen", c->graphics_listen);
        xw_end(w);
}

static void format_nbd(XmlWriter *w, const MigrationCookie *c) {
        xw_start(w, "nbd");
        if (c->nbd_port > 0)
                xw_attrf(w, "port", "%d", c->nbd_port);
        for (size_t i = 0; i < c->n_nbd_disks; i++) {
                xw_start(w, "disk");
                xw_attr(w, "target", c->nbd_disks[i].target);
                xw_attrf(w, "capacity", "%" PRIu64, c->nbd_disks[i].capacity);
                xw_attr(w, "backing", c->nbd_disks[i].backing);
                xw_attr(w, "backingFormat", c->nbd_disks[i].backing_format);
                xw_end(w);
        }
        xw_end(w);
}

static void format_parts(XmlWriter *w, const MigrationCookie *c) {
        if ((c->present & MIGRATION_FEATURE_GRAPHICS) && c->graphics_type)
                format_graphics(w, c);
        if ((c->present & MIGRATION_FEATURE_LOCKSTATE) && c->lock_driver) {
                xw_start(w, "lockstate");
                xw_attr(w, "driver", c->lock_driver);
                xw_element(w, "leases", c->lock_leases ? c->lock_leases : "");
                xw_end(w);
        }
        if (c->present & MIGRATION_FEATURE_NBD)
                format_nbd(w, c);
        if (c->present & MIGRATION_FEATURE_STATS) {
                xw_start(w, "statistics");
                for (size_t i = 0; i < c->n_stats; i++)
                        xw_elementf(w, c->stats[i].name, "%" PRIu64, c->stats[i].value);
                xw_end(w);
        }
        if ((c->present & MIGRATION_FEATURE_ALLOW_REBOOT) && c->allow_reboot >= 0) {
                xw_start(w, "allowReboot");
                xw_attr(w, "value", c->allow_reboot ? "yes" : "no");
                xw_end(w);
        }
}

/* The persistent <domain>, as libvirt has it: the last child, verbatim. */
static int splice_domain(const char *text, const char *domain, char **ret) {
        const char *end = strstr(text, "</qemu-migration>");

        if (!end)
                return -EINVAL;
        if (asprintf(ret, "%.*s%s\n%s", (int) (end - text), text, domain, end) < 0)
                return -ENOMEM;
        return 0;
}

int migration_cookie_format(const MigrationCookie *c, char **ret) {
        _cleanup_(xw_done) XmlWriter w = {};
        _cleanup_free_ char *text = NULL;
        char uuid[UUID_STRING_MAX];
        int r;

        xw_start(&w, "qemu-migration");
        xw_element(&w, "name", c->name);
        xw_element(&w, "uuid", uuid_format(c->uuid, uuid));
        xw_element(&w, "hostname", c->hostname);
        xw_element(&w, "hostuuid", uuid_format(c->hostuuid, uuid));
        for (size_t i = 0; i < ELEMENTSOF(feature_names); i++)
                if (c->features & (1u << i)) {
                        xw_start(&w, "feature");
                        xw_attr(&w, "name", feature_names[i]);
                        xw_end(&w);
                }
        format_parts(&w, c);
        xw_end(&w);
        r = xw_finish(&w, &text);
        if (r < 0)
                return r;
        if (!(c->present & MIGRATION_FEATURE_PERSISTENT) || !c->persistent_xml) {
                *ret = TAKE_PTR(text);
                return 0;
        }
        return splice_domain(text, c->persistent_xml, ret);
}

/* --- parse -------------------------------------------------------------------- */

static int parse_uuid_text(xmlNodePtr n, const char *path, uint8_t uuid[16], ConfError *err) {
        _cleanup_free_ char *s = NULL;
        int r = xml_text(n, path, &s, err);

        if (r < 0)
                return r;
        if (uuid_parse(s, uuid) < 0)
                return xml_err_invalid(err, "%s: '%s' is not a UUID", path, s);
        return 0;
}

static int parse_feature(MigrationCookie *c, xmlNodePtr n, ConfError *err) {
        _cleanup_free_ char *name = NULL;
        int r = xml_attr_str_required(n, "feature", "name", &name, err);
        MigrationFeature f;

        if (r < 0)
                return r;
        f = migration_feature_from_string(name);
        if (!f)
                return xml_err_unsupported(err, "migration cookie: feature '%s' is not supported", name);
        c->features |= f;
        return 0;
}

static int parse_graphics(MigrationCookie *c, xmlNodePtr n, ConfError *err) {
        int r = xml_attr_str_required(n, "graphics", "type", &c->graphics_type, err);

        if (r >= 0)
                r = xml_attr_int(n, "graphics", "port", &c->graphics_port, err);
        if (r >= 0)
                r = xml_attr_int(n, "graphics", "tlsPort", &c->graphics_tls_port, err);
        if (r >= 0)
                r = xml_attr_str(n, "graphics", "listen", &c->graphics_listen, err);
        if (r >= 0)
                c->present |= MIGRATION_FEATURE_GRAPHICS;
        return r;
}

static int parse_lockstate(MigrationCookie *c, xmlNodePtr n, ConfError *err) {
        int r = xml_attr_str_required(n, "lockstate", "driver", &c->lock_driver, err);

        for (xmlNodePtr k = xml_first_element(n); r >= 0 && k; k = xml_next_element(k))
                if (xml_is(k, "leases")) {
                        free(c->lock_leases);
                        c->lock_leases = NULL;
                        r = xml_text(k, "lockstate/leases", &c->lock_leases, err);
                }
        if (r >= 0)
                c->present |= MIGRATION_FEATURE_LOCKSTATE;
        return r;
}

/* <domain> is kept as text: the phase that needs it parses it as a
 * definition. libvirt sends it directly, or inside <persistent>. */
static int parse_persistent(MigrationCookie *c, xmlNodePtr n, ConfError *err) {
        _cleanup_(xml_buffer_freep) xmlBufferPtr buf = NULL;

        if (xml_is(n, "persistent"))
                n = xml_first_element(n);
        if (!n || !xml_is(n, "domain"))
                return xml_err_invalid(err, "migration cookie: <persistent> holds no <domain>");
        buf = xmlBufferCreate();
        if (!buf || xmlNodeDump(buf, n->doc, n, 0, 0) < 0)
                return xml_err_oom(err);
        free(c->persistent_xml);
        c->persistent_xml = strdup((const char *) xmlBufferContent(buf));
        if (!c->persistent_xml)
                return xml_err_oom(err);
        c->present |= MIGRATION_FEATURE_PERSISTENT;
        return 0;
}

static int parse_nbd(MigrationCookie *c, xmlNodePtr n, ConfError *err) {
        int r = xml_attr_int(n, "nbd", "port", &c->nbd_port, err);

        for (xmlNodePtr k = xml_first_element(n); r >= 0 && k; k = xml_next_element(k)) {
                _cleanup_free_ char *target = NULL, *backing = NULL, *format = NULL;
                uint64_t capacity = 0;
                if (!xml_is(k, "disk"))
                        continue;
                r = xml_attr_str_required(k, "nbd/disk", "target", &target, err);
                if (r >= 0)
                        r = xml_attr_ullong(k, "nbd/disk", "capacity", &capacity, err);
                if (r >= 0)
                        r = xml_attr_str(k, "nbd/disk", "backing", &backing, err);
                if (r >= 0)
                        r = xml_attr_str(k, "nbd/disk", "backingFormat", &format, err);
                if (r >= 0 && (migration_cookie_add_nbd_disk(c, target, capacity) < 0 ||
                               (backing && migration_cookie_set_nbd_backing(c, backing, format) < 0)))
                        r = xml_err_oom(err);
        }
        if (r >= 0)
                c->present |= MIGRATION_FEATURE_NBD;
        return r;
}

static int parse_stats(MigrationCookie *c, xmlNodePtr n, ConfError *err) {
        c->present |= MIGRATION_FEATURE_STATS;
        for (xmlNodePtr k = xml_first_element(n); k; k = xml_next_element(k)) {
                uint64_t v;
                char path[XML_PATH_MAX];
                xml_path_join(path, sizeof(path), "statistics", (const char *) k->name);
                int r = xml_text_ullong(k, path, &v, err);
                if (r < 0)
                        return r;
                if (migration_cookie_add_stat(c, (const char *) k->name, v) < 0)
                        return xml_err_oom(err);
        }
        return 0;
}

static int parse_allow_reboot(MigrationCookie *c, xmlNodePtr n, ConfError *err) {
        _cleanup_free_ char *v = NULL;
        int r = xml_attr_str_required(n, "allowReboot", "value", &v, err);

        if (r < 0)
                return r;
        if (!streq(v, "yes") && !streq(v, "no"))
                return xml_err_invalid(err, "allowReboot: value '%s' is neither 'yes' nor 'no'", v);
        c->allow_reboot = streq(v, "yes");
        c->present |= MIGRATION_FEATURE_ALLOW_REBOOT;
        return 0;
}

static int parse_child(MigrationCookie *c, xmlNodePtr n, ConfError *err) {
        if (xml_is(n, "name")) {
                free(c->name);
                c->name = NULL;
                return xml_text(n, "name", &c->name, err);
        }
        if (xml_is(n, "hostname")) {
                free(c->hostname);
                c->hostname = NULL;
                return xml_text(n, "hostname", &c->hostname, err);
        }
        if (xml_is(n, "uuid"))
                return parse_uuid_text(n, "uuid", c->uuid, err);
        if (xml_is(n, "hostuuid"))
                return parse_uuid_text(n, "hostuuid", c->hostuuid, err);
        if (xml_is(n, "feature"))
                return parse_feature(c, n, err);
        if (xml_is(n, "graphics"))
                return parse_graphics(c, n, err);
        if (xml_is(n, "lockstate"))
                return parse_lockstate(c, n, err);
        if (xml_is(n, "domain") || xml_is(n, "persistent"))
                return parse_persistent(c, n, err);
        if (xml_is(n, "nbd"))
                return parse_nbd(c, n, err);
        if (xml_is(n, "statistics"))
                return parse_stats(c, n, err);
        if (xml_is(n, "allowReboot"))
                return parse_allow_reboot(c, n, err);
        return 0; /* network, cpu, capabilities...: not ours to use */
}

int migration_cookie_parse(const char *data, size_t len, MigrationCookie **ret, ConfError *err) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = migration_cookie_new();
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        int r;

        if (!c)
                return xml_err_oom(err);
        while (len > 0 && data[len - 1] == '\0')
                len--;
        if (len > 0) {
                r = xml_read_document(data, len, "qemu-migration", &doc, err);
                if (r < 0)
                        return r;
                for (xmlNodePtr n = xml_first_element(xmlDocGetRootElement(doc)); n; n = xml_next_element(n)) {
                        r = parse_child(c, n, err);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(c);
        return 0;
}
