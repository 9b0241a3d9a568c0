/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dbus-forward.h"
#include <ctype.h>

#include "bus-access.h"
#include "util.h"
#include "xml-lazy.h"

const FwdDaemon fwd_qemud = { "org.virtbus.qemud", "/org/virtbus/qemud" };
const FwdDaemon fwd_storaged = { "org.virtbus.storaged", "/org/virtbus/storaged" };
const FwdDaemon fwd_networkd = { "org.virtbus.networkd", "/org/virtbus/networkd" };
const FwdDaemon fwd_lxcd = { "org.virtbus.lxcd", "/org/virtbus/lxcd" };
const FwdDaemon fwd_secretd = { "org.virtbus.secretd", "/org/virtbus/secretd" };

/* libvirt's secondary drivers (storage, network) are the same under every
 * driver root, as in libvirt-dbus on the system bus. */
const FwdDriver fwd_drivers[] = {
        { "QEMU", "/org/libvirt/QEMU", &fwd_qemud },
        { "LXC", "/org/libvirt/LXC", &fwd_lxcd },
};
const size_t fwd_n_drivers = ELEMENTSOF(fwd_drivers);

size_t fwd_driver_daemons(const FwdDriver *drv, const FwdDaemon *ret[FWD_DAEMONS_MAX]) {
        ret[0] = drv->domains;
        ret[1] = &fwd_storaged;
        ret[2] = &fwd_networkd;
        ret[3] = &fwd_secretd;
        return 4;
}

/* What follows prefix in s, or NULL. */
static const char *startswith(const char *s, const char *prefix) {
        size_t n = strlen(prefix);

        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

static char *concat(const char *a, const char *b) {
        char *s = NULL;

        return asprintf(&s, "%s%s", a, b) < 0 ? NULL : s;
}

static bool word_is(const char *s, size_t n, const char *word) {
        return strlen(word) == n && memcmp(s, word, n) == 0;
}

const FwdDaemon *fwd_daemon_of_kind(const FwdDriver *drv, const char *kind, size_t n) {
        if (word_is(kind, n, "domain") || word_is(kind, n, "domainsnapshot"))
                return drv->domains;
        if (word_is(kind, n, "storagepool") || word_is(kind, n, "storagevol"))
                return &fwd_storaged;
        if (word_is(kind, n, "network"))
                return &fwd_networkd;
        if (word_is(kind, n, "secret"))
                return &fwd_secretd;
        return NULL; /* nodedev, interface, nwfilter: no daemon yet */
}

static bool has_prefix(const char *s, const char *const *prefixes, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (startswith(s, prefixes[i]))
                        return true;
        return false;
}

const FwdDaemon *fwd_daemon_of_root_call(const FwdDriver *drv, const char *interface, const char *member) {
        static const char *const storage[] = { "StoragePool", "StorageVol", "ListStoragePools",
                                               "FindStoragePoolSources", "GetStoragePoolCapabilities" };
        static const char *const network[] = { "Network", "ListNetworks" };
        static const char *const secret[] = { "Secret", "ListSecrets" };

        if (!interface)
                return drv->domains;
        if (streq(interface, "org.libvirt.Connect") && member) {
                if (has_prefix(member, storage, ELEMENTSOF(storage)))
                        return &fwd_storaged;
                if (has_prefix(member, network, ELEMENTSOF(network)))
                        return &fwd_networkd;
                if (has_prefix(member, secret, ELEMENTSOF(secret)))
                        return &fwd_secretd;
                return drv->domains;
        }
        if (streq(interface, "org.virtbus.Storage1"))
                return &fwd_storaged;
        if (streq(interface, "org.virtbus.NetworkPort1"))
                return &fwd_networkd;
        return drv->domains;
}

/* "" when path is root, "/x..." when below it, NULL otherwise. */
static const char *below(const char *path, const char *root) {
        const char *rest = startswith(path, root);

        return rest && (rest[0] == 0 || rest[0] == '/') ? rest : NULL;
}

const FwdDriver *fwd_driver_of_path(const FwdDriver *const *drivers, size_t n, const char *path,
                                    const char **ret_rest) {
        for (size_t i = 0; i < n; i++) {
                const char *rest = below(path, drivers[i]->root);
                if (rest) {
                        *ret_rest = rest;
                        return drivers[i];
                }
        }
        return NULL;
}

char *fwd_path_to_daemon(const FwdDriver *drv, const char *path, const FwdDaemon *root_daemon,
                         const FwdDaemon **ret_daemon) {
        const char *rest = below(path, drv->root);
        const FwdDaemon *d;
        size_t kind_len;

        *ret_daemon = NULL;
        if (!rest)
                return strdup(path);
        if (rest[0] == 0) {
                *ret_daemon = root_daemon;
                return strdup(root_daemon ? root_daemon->root : path);
        }
        kind_len = strcspn(rest + 1, "/");
        d = fwd_daemon_of_kind(drv, rest + 1, kind_len);
        if (!d)
                return strdup(path);
        *ret_daemon = d;
        return concat(d->root, rest);
}

char *fwd_path_from_daemon(const FwdDriver *drv, const char *path) {
        const FwdDaemon *daemons[FWD_DAEMONS_MAX];
        size_t n = fwd_driver_daemons(drv, daemons);

        for (size_t i = 0; i < n; i++) {
                const char *rest = below(path, daemons[i]->root);
                if (rest)
                        return concat(drv->root, rest);
        }
        return strdup(path);
}

bool fwd_wraps_variants(const char *interface, const char *member, const char *property_interface) {
        static const BusMethod wrapped[] = {
                { "org.libvirt.Domain", "GetStats" },
                { "org.libvirt.Domain", "GetMemoryParameters" },
                { "org.libvirt.Domain", "GetBlockIOParameters" },
                { "org.libvirt.Domain", "GetBlockIOTune" },
                { "org.libvirt.Domain", "GetGuestVcpus" },
                { "org.libvirt.Domain", "GetInterfaceParameters" },
                { "org.libvirt.Domain", "GetJobStats" },
                { "org.libvirt.Domain", "GetNumaParameters" },
                { "org.libvirt.Domain", "GetPerfEvents" },
                { "org.libvirt.Domain", "GetSchedulerParameters" },
                { "org.libvirt.Domain", "JobCompleted" }, /* signals */
                { "org.libvirt.Domain", "Tunable" },
                { "org.libvirt.Connect", "GetAllDomainStats" },
                { "org.libvirt.Connect", "NodeGetMemoryParameters" },
        };

        if (!interface || !member)
                return false;
        if (streq(interface, "org.freedesktop.DBus.Properties") && streq(member, "GetAll"))
                return property_interface && startswith(property_interface, "org.libvirt.");
        for (size_t i = 0; i < ELEMENTSOF(wrapped); i++)
                if (streq(wrapped[i].interface, interface) && streq(wrapped[i].member, member))
                        return true;
        return false;
}

static bool is_container(char type) {
        return type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_VARIANT || type == SD_BUS_TYPE_STRUCT ||
               type == SD_BUS_TYPE_DICT_ENTRY;
}

static int copy_basic(sd_bus_message *dst, sd_bus_message *src, char type, FwdRewriteFn rewrite,
                      void *userdata) {
        union {
                uint8_t u8;
                int b;
                int16_t i16;
                uint16_t u16;
                int32_t i32;
                uint32_t u32;
                int64_t i64;
                uint64_t u64;
                double d;
                int fd;
                const char *s;
        } v;
        _cleanup_free_ char *path = NULL;
        int r = sd_bus_message_read_basic(src, type, &v);

        if (r < 0)
                return r;
        switch (type) {
        case SD_BUS_TYPE_OBJECT_PATH:
                path = rewrite(v.s, userdata);
                if (!path)
                        return -ENOMEM;
                return sd_bus_message_append_basic(dst, type, path);
        case SD_BUS_TYPE_STRING:
        case SD_BUS_TYPE_SIGNATURE:
                return sd_bus_message_append_basic(dst, type, v.s);
        default: /* a fd ('h') is duplicated by the append */
                return sd_bus_message_append_basic(dst, type, &v);
        }
}

static int copy_level(sd_bus_message *dst, sd_bus_message *src, FwdRewriteFn rewrite, void *userdata,
                      bool wrap_variants) {
        for (;;) {
                const char *contents;
                char type;
                int r = sd_bus_message_peek_type(src, &type, &contents);

                if (r <= 0)
                        return r; /* 0: the end of this container */
                if (!is_container(type)) {
                        r = copy_basic(dst, src, type, rewrite, userdata);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = sd_bus_message_enter_container(src, type, contents);
                if (r < 0)
                        return r;
                bool wrap = wrap_variants && type == SD_BUS_TYPE_VARIANT;
                if (wrap)
                        r = sd_bus_message_open_container(dst, SD_BUS_TYPE_VARIANT, "v");
                if (r >= 0)
                        r = sd_bus_message_open_container(dst, type, contents);
                /* only the outermost variants are doubled */
                if (r >= 0)
                        r = copy_level(dst, src, rewrite, userdata, wrap_variants && type != SD_BUS_TYPE_VARIANT);
                if (r >= 0)
                        r = sd_bus_message_close_container(dst);
                if (r >= 0 && wrap)
                        r = sd_bus_message_close_container(dst);
                if (r >= 0)
                        r = sd_bus_message_exit_container(src);
                if (r < 0)
                        return r;
        }
}

int fwd_copy_body(sd_bus_message *dst, sd_bus_message *src, FwdRewriteFn rewrite, void *userdata,
                  bool wrap_variants) {
        return copy_level(dst, src, rewrite, userdata, wrap_variants);
}

/* The child element of parent named (element and name attribute) as e. */
static xmlNodePtr find_like(const XmlLib *x, xmlNodePtr parent, xmlNodePtr e) {
        xmlChar *name = x->get_prop(e, BAD_CAST "name");
        xmlNodePtr found = NULL;

        for (xmlNodePtr c = parent->children; c && !found; c = c->next) {
                xmlChar *n;
                if (c->type != XML_ELEMENT_NODE || !x->str_equal(c->name, e->name))
                        continue;
                n = x->get_prop(c, BAD_CAST "name");
                if (x->str_equal(n, name))
                        found = c;
                x->free(n);
        }
        x->free(name);
        return found;
}

/* Adds to `into` each child element of `from` it lacks; an interface both
 * have gets the members it lacks. */
static int merge_children(const XmlLib *x, xmlDocPtr doc, xmlNodePtr into, xmlNodePtr from, bool recurse) {
        for (xmlNodePtr c = from->children; c; c = c->next) {
                xmlNodePtr same, copy;
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                same = find_like(x, into, c);
                if (same) {
                        if (recurse && x->str_equal(c->name, BAD_CAST "interface") &&
                            merge_children(x, doc, same, c, false) < 0)
                                return -ENOMEM;
                        continue;
                }
                copy = x->doc_copy_node(c, doc, 1);
                if (!copy || !x->add_child(into, copy)) {
                        x->free_node(copy);
                        return -ENOMEM;
                }
        }
        return 0;
}

static xmlDocPtr parse_introspection(const XmlLib *x, const char *xml) {
        return xml ? x->read_memory(xml, (int) strlen(xml), NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
                   : NULL;
}

char *fwd_introspect_merge(char *const *xmls, size_t n) {
        const XmlLib *x = xml_lib();
        xmlDocPtr base = NULL;
        xmlChar *out = NULL;
        char *ret = NULL;
        int len = 0;

        if (!x)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                xmlDocPtr d = parse_introspection(x, xmls[i]);
                if (!d || !x->doc_get_root_element(d)) {
                        if (d)
                                x->free_doc(d);
                        continue;
                }
                if (!base) {
                        base = d;
                        continue;
                }
                int r = merge_children(x, base, x->doc_get_root_element(base), x->doc_get_root_element(d), true);
                x->free_doc(d);
                if (r < 0)
                        goto out;
        }
        if (!base)
                return NULL;
        x->doc_dump_format_memory(base, &out, &len, 1);
        if (out)
                ret = strndup((const char *) out, (size_t) len);
out:
        if (out)
                x->free(out);
        x->free_doc(base);
        return ret;
}

/* A daemon's root at text, as a whole path component; its length or 0. */
static size_t daemon_root_at(const FwdDriver *drv, const char *text) {
        const FwdDaemon *daemons[FWD_DAEMONS_MAX];
        size_t n = fwd_driver_daemons(drv, daemons);

        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(daemons[i]->root);
                char next = text[len];
                if (strncmp(text, daemons[i]->root, len) == 0 && !(isalnum((unsigned char) next) || next == '_'))
                        return len;
        }
        return 0;
}

char *fwd_text_from_daemon(const FwdDriver *drv, const char *text) {
        size_t grow = strlen(drv->root) + 1, len = strlen(text), n = 0, cap = len + 1;
        char *out = malloc(cap);

        if (!out)
                return NULL;
        for (const char *p = text; *p;) {
                size_t root = daemon_root_at(drv, p);
                if (n + grow + 1 > cap) {
                        char *o = realloc(out, cap = cap * 2 + grow);
                        if (!o)
                                return mfree(out);
                        out = o;
                }
                if (root > 0) {
                        memcpy(out + n, drv->root, strlen(drv->root));
                        n += strlen(drv->root);
                        p += root;
                } else
                        out[n++] = *p++;
        }
        out[n] = 0;
        return out;
}
