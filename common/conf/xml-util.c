/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>

#include "domain-conf.h"
#include "error.h"
#include "xml-bounds.h"
#include "xml-util.h"

#define strcaseeq(a, b) (strcasecmp((a), (b)) == 0)

/* ---- errors ------------------------------------------------------------ */

static void conf_error_vset(ConfError *err, const char *name, const char *prefix, const char *fmt, va_list ap) {
        size_t n;

        if (!err)
                return;
        err->name = name;
        n = (size_t) snprintf(err->message, sizeof(err->message), "%s", prefix);
        if (n >= sizeof(err->message))
                return;
        vsnprintf(err->message + n, sizeof(err->message) - n, fmt, ap);
}

void conf_error_set(ConfError *err, const char *name, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        conf_error_vset(err, name, "", fmt, ap);
        va_end(ap);
}

static int errno_for(const char *name) {
        const VbErrorInfo *info = vb_error_lookup(name);
        return -(info ? info->errnum : EINVAL);
}

int conf_fail(ConfError *err, const char *name, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        conf_error_vset(err, name, "", fmt, ap);
        va_end(ap);
        return errno_for(name);
}

/* The prefixes are libvirt's own message headers for these error codes. */
#define DEFINE_CONF_ERR(func, name, prefix)                             \
        int func(ConfError *err, const char *fmt, ...) {                \
                va_list ap;                                             \
                va_start(ap, fmt);                                      \
                conf_error_vset(err, name, prefix, fmt, ap);            \
                va_end(ap);                                             \
                return errno_for(name);                                 \
        }
DEFINE_CONF_ERR(xml_err_unsupported, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: ")
DEFINE_CONF_ERR(xml_err_invalid, VB_ERROR_INVALID_ARG, "invalid argument: ")
DEFINE_CONF_ERR(xml_err_xml, VB_ERROR_XML, "XML error: ")

int xml_err_oom(ConfError *err) {
        conf_error_set(err, VB_ERROR_NO_MEMORY, "out of memory");
        return -ENOMEM;
}

/* ---- reading ----------------------------------------------------------- */

/* A domain definition never needs a DTD: the parser is stopped as soon as
 * it meets <!DOCTYPE, before any entity is declared, which keeps entity
 * tricks (billion laughs, external entities) out entirely. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id) {
        xmlParserCtxtPtr ctxt = ctx;

        if (ctxt->_private)
                *(bool *) ctxt->_private = true;
        xmlStopParser(ctxt);
}

/* The shared context of a batch: NULL outside one, and also inside one
 * until a document needs it. Only a context whose last document parsed
 * cleanly is kept; any failure gets the next document a fresh one. */
static _Thread_local bool batch;
static _Thread_local xmlParserCtxtPtr batch_ctxt;

void xml_read_batch_begin(void) {
        batch = true;
}

void xml_read_batch_end(void) {
        batch = false;
        if (batch_ctxt)
                xmlFreeParserCtxt(TAKE_PTR(batch_ctxt));
}

static xmlParserCtxtPtr parser_ctxt_new(void) {
        xmlParserCtxtPtr ctxt = batch_ctxt ? TAKE_PTR(batch_ctxt) : xmlNewParserCtxt();

        if (ctxt)
                ctxt->sax->internalSubset = refuse_doctype;
        return ctxt;
}

/* Keeps ctxt for the batch's next document, or frees it. */
static void parser_ctxt_done(xmlParserCtxtPtr ctxt) {
        if (!ctxt)
                return;
        ctxt->_private = NULL;
        if (batch && !batch_ctxt)
                batch_ctxt = ctxt;
        else
                xmlFreeParserCtxt(ctxt);
}

int xml_read_document(const char *xml, size_t len, const char *root_name, xmlDocPtr *ret, ConfError *err) {
        _cleanup_(xml_parser_ctxt_freep) xmlParserCtxtPtr ctxt = NULL;
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        bool doctype_seen = false;
        xmlNodePtr root;
        int r;

        if (!xml)
                return xml_err_invalid(err, "no XML document given");
        if (len == 0)
                len = strlen(xml);
        /* Checked before parsing: libxml2 must never spend time and memory
         * on a document we would refuse anyway. */
        if (len > XML_DOCUMENT_MAX_SIZE)
                return xml_err_invalid(err, "XML document too large: %zu bytes, at most %zu",
                                       len, XML_DOCUMENT_MAX_SIZE);
        r = xml_check_bounds(xml, len, err);
        if (r < 0)
                return r;

        ctxt = parser_ctxt_new();
        if (!ctxt)
                return xml_err_oom(err);
        ctxt->_private = &doctype_seen;

        /* No XML_PARSE_NOENT (entities stay unexpanded), no DTD loading,
         * no network; errors are collected instead of printed. */
        doc = xmlCtxtReadMemory(ctxt, xml, (int) len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (doctype_seen)
                return xml_err_unsupported(err, "DOCTYPE declarations are not supported");
        if (!doc || !ctxt->wellFormed) {
                xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
                _cleanup_free_ char *msg = NULL;

                if (!e || !e->message)
                        return xml_err_xml(err, "malformed document");
                msg = strdup(e->message);
                if (!msg)
                        return xml_err_oom(err);
                /* libxml2 ends its messages with a newline */
                msg[strcspn(msg, "\n")] = 0;
                return xml_err_xml(err, "malformed document: line %d: %s", e->line, msg);
        }

        /* parsed cleanly: the context can serve the batch's next document */
        parser_ctxt_done(TAKE_PTR(ctxt));
        if (doc->intSubset || doc->extSubset) /* never, given refuse_doctype() */
                return xml_err_unsupported(err, "DOCTYPE declarations are not supported");

        root = xmlDocGetRootElement(doc);
        if (!root)
                return xml_err_xml(err, "document has no root element");
        if (!root_name) { /* any root element: the caller dispatches on its name */
                *ret = TAKE_PTR(doc);
                return 0;
        }
        if (root->ns && xmlStrEqual(root->name, BAD_CAST root_name))
                return xml_err_xml(err, "root element <%s> must not be in a namespace ('%s')", root_name,
                                   root->ns->href ? (const char *) root->ns->href : "");
        if (!xml_is(root, root_name))
                return xml_err_xml(err, "expected root element <%s>, got <%s%s%s>", root_name,
                                   root->ns && root->ns->prefix ? (const char *) root->ns->prefix : "",
                                   root->ns && root->ns->prefix ? ":" : "",
                                   (const char *) root->name);

        *ret = TAKE_PTR(doc);
        return 0;
}

/* ---- walking ----------------------------------------------------------- */

/* Appends s at *n, cut to fit size with its NUL, as snprintf would. */
static void path_append(char *buf, size_t size, size_t *n, const char *s) {
        size_t len = strlen(s), room = size - 1 - *n;

        if (len > room)
                len = room;
        memcpy(buf + *n, s, len);
        *n += len;
}

/* Called for every element of every document: by hand, not snprintf. */
void xml_path_join(char *buf, size_t size, const char *parent, const char *name) {
        size_t n = 0;

        if (size == 0)
                return;
        if (parent && *parent) {
                path_append(buf, size, &n, parent);
                path_append(buf, size, &n, "/");
        }
        path_append(buf, size, &n, name);
        buf[n] = 0;
}

bool xml_is_any(xmlNodePtr n, const char *const *names, size_t n_names) {
        for (size_t i = 0; i < n_names; i++)
                if (xml_is(n, names[i]))
                        return true;
        return false;
}

xmlNodePtr xml_first_element(xmlNodePtr parent) {
        for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        return c;
        return NULL;
}

xmlNodePtr xml_next_element(xmlNodePtr n) {
        for (xmlNodePtr c = n ? n->next : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        return c;
        return NULL;
}

/* "qemu:commandline" for namespaced elements, so that the message names
 * what the user wrote. */
static void node_qname(xmlNodePtr n, char *buf, size_t size) {
        if (n->ns && n->ns->prefix)
                snprintf(buf, size, "%s:%s", (const char *) n->ns->prefix, (const char *) n->name);
        else
                snprintf(buf, size, "%s", (const char *) n->name);
}

int xml_parse_list(xmlNodePtr n, const char *path, const char *child, XmlChildFn fn, void *userdata,
                   ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL), count = 0;

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, child))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, child);
                r = fn(userdata, c, sub, err);
                if (r < 0)
                        return r;
                count++;
        }
        return count;
}

int xml_unsupported_element(xmlNodePtr n, const char *parent_path, ConfError *err) {
        char name[128], path[XML_PATH_MAX];

        node_qname(n, name, sizeof(name));
        xml_path_join(path, sizeof(path), parent_path, name);
        return xml_err_unsupported(err, "element <%s> is not supported", path);
}

int xml_check_attrs(xmlNodePtr n, const char *path, const char *const *allowed, ConfError *err) {
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
                bool ok = false;

                for (const char *const *i = allowed; *i && !a->ns; i++)
                        if (xmlStrEqual(a->name, BAD_CAST *i)) {
                                ok = true;
                                break;
                        }
                if (!ok)
                        return xml_err_unsupported(err, "attribute '%s%s%s' of <%s> is not supported",
                                                   a->ns && a->ns->prefix ? (const char *) a->ns->prefix : "",
                                                   a->ns && a->ns->prefix ? ":" : "",
                                                   (const char *) a->name, path);
        }
        return 0;
}

static bool str_is_blank(const xmlChar *s) {
        for (; s && *s; s++)
                if (!isspace(*s))
                        return false;
        return true;
}

int xml_check_no_text(xmlNodePtr n, const char *path, ConfError *err) {
        for (xmlNodePtr c = n->children; c; c = c->next) {
                if (c->type == XML_ENTITY_REF_NODE)
                        return xml_err_unsupported(err, "entity reference '&%s;' in <%s> is not supported",
                                                   (const char *) c->name, path);
                if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && !str_is_blank(c->content))
                        return xml_err_xml(err, "unexpected text in <%s>", path);
        }
        return 0;
}

int xml_check_empty(xmlNodePtr n, const char *path, ConfError *err) {
        xmlNodePtr c = xml_first_element(n);

        if (c)
                return xml_unsupported_element(c, path, err);
        return xml_check_no_text(n, path, err);
}

int xml_check_unique(xmlNodePtr n, const char *path, ConfError *err) {
        for (xmlNodePtr p = n->prev; p; p = p->prev)
                if (p->type == XML_ELEMENT_NODE && !p->ns && xmlStrEqual(p->name, n->name))
                        return xml_err_xml(err, "element <%s> is given more than once", path);
        return 0;
}

/* ---- attributes ---------------------------------------------------------- */

/* The raw value, as a malloc()ed string (so callers never mix allocators). */
static int attr_get(xmlNodePtr n, const char *attr, char **ret, ConfError *err) {
        _cleanup_xmlchar_ xmlChar *v = xmlGetNoNsProp(n, BAD_CAST attr);
        char *s;

        if (!v) {
                *ret = NULL;
                return 0;
        }
        s = strdup((const char *) v);
        if (!s)
                return xml_err_oom(err);
        *ret = s;
        return 1;
}

int xml_attr_str(xmlNodePtr n, const char *path, const char *attr, char **ret, ConfError *err) {
        char *v;
        int r;

        r = attr_get(n, attr, &v, err);
        if (r <= 0)
                return r;
        free_and_replace_str(ret, v);
        return 1;
}

int xml_attr_str_required(xmlNodePtr n, const char *path, const char *attr, char **ret, ConfError *err) {
        int r = xml_attr_str(n, path, attr, ret, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute '%s' of <%s>", attr, path);
        return r;
}

static int number_error(ConfError *err, int r, const char *what, const char *path, const char *value) {
        if (r == -ERANGE)
                return xml_err_invalid(err, "value '%s' of %s<%s> is out of range", value, what, path);
        return xml_err_invalid(err, "value '%s' of %s<%s> is not a valid number", value, what, path);
}

#define DEFINE_ATTR_NUMBER(func, type, parser)                                                  \
        int func(xmlNodePtr n, const char *path, const char *attr, type *ret, ConfError *err) { \
                _cleanup_free_ char *v = NULL;                                                  \
                char what[96];                                                                  \
                type x;                                                                         \
                int r;                                                                          \
                                                                                                \
                r = attr_get(n, attr, &v, err);                                                 \
                if (r <= 0)                                                                     \
                        return r;                                                               \
                r = parser(v, &x);                                                              \
                if (r < 0) {                                                                    \
                        snprintf(what, sizeof(what), "attribute '%s' of ", attr);               \
                        return number_error(err, r, what, path, v);                             \
                }                                                                               \
                *ret = x;                                                                       \
                return 1;                                                                       \
        }
DEFINE_ATTR_NUMBER(xml_attr_uint, unsigned, parse_uint)
DEFINE_ATTR_NUMBER(xml_attr_int, int, parse_int)
DEFINE_ATTR_NUMBER(xml_attr_ullong, uint64_t, parse_ullong)
DEFINE_ATTR_NUMBER(xml_attr_llong, int64_t, parse_llong)

int xml_attr_enum(xmlNodePtr n, const char *path, const char *attr,
                  const char *const *table, size_t n_table, int *ret, ConfError *err) {
        _cleanup_free_ char *v = NULL;
        int r, i;

        r = attr_get(n, attr, &v, err);
        if (r <= 0)
                return r;
        i = table_lookup(table, n_table, v);
        if (i < 0)
                return xml_err_unsupported(err, "value '%s' of attribute '%s' of <%s> is not supported",
                                           v, attr, path);
        *ret = i;
        return 1;
}

int xml_attr_choice(xmlNodePtr n, const char *path, const char *attr,
                    const char *const *values, size_t n_values, char **ret, ConfError *err) {
        int r, i;
        char *v;

        r = xml_attr_enum(n, path, attr, values, n_values, &i, err);
        if (r <= 0)
                return r;
        v = strdup(values[i]);
        if (!v)
                return xml_err_oom(err);
        free_and_replace_str(ret, v);
        return 1;
}

int xml_attr_bool(xmlNodePtr n, const char *path, const char *attr,
                  const char *yes, const char *no, bool *ret, ConfError *err) {
        _cleanup_free_ char *v = NULL;
        int r;

        r = attr_get(n, attr, &v, err);
        if (r <= 0)
                return r;
        if (streq(v, yes))
                *ret = true;
        else if (streq(v, no))
                *ret = false;
        else
                return xml_err_invalid(err, "value '%s' of attribute '%s' of <%s> must be '%s' or '%s'",
                                       v, attr, path, yes, no);
        return 1;
}

static int scaled_error(ConfError *err, int r, const char *what, const char *path,
                        const char *value, const char *unit) {
        if (r == -ERANGE)
                return xml_err_invalid(err, "value '%s' (unit '%s') of %s<%s> is too large: at most %" PRIu64 " bytes",
                                       value, unit ?: "KiB", what, path, XML_SIZE_MAX_BYTES);
        return number_error(err, r, what, path, value);
}

static int scaled_from_strings(const char *value, const char *unit, const char *what, const char *path,
                               uint64_t *ret_kib, ConfError *err) {
        uint64_t v, scale, kib;
        int r;

        r = unit_scale(unit, &scale);
        if (r < 0)
                return xml_err_invalid(err, "unknown unit '%s' of %s<%s>", unit, what, path);
        r = parse_ullong(value, &v);
        if (r < 0)
                return number_error(err, r, what, path, value);
        r = scale_to_kib(v, scale, &kib);
        if (r < 0)
                return scaled_error(err, r, what, path, value, unit);
        *ret_kib = kib;
        return 1;
}

int xml_attr_scaled_kib(xmlNodePtr n, const char *path, const char *attr, uint64_t *ret_kib, ConfError *err) {
        _cleanup_free_ char *v = NULL, *unit = NULL;
        char what[96];
        int r;

        r = attr_get(n, attr, &v, err);
        if (r <= 0)
                return r;
        r = attr_get(n, "unit", &unit, err);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "attribute '%s' of ", attr);
        return scaled_from_strings(v, unit, what, path, ret_kib, err);
}

/* ---- text content ------------------------------------------------------ */

int xml_text(xmlNodePtr n, const char *path, char **ret, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        size_t len = 0;

        for (xmlNodePtr c = n->children; c; c = c->next) {
                size_t l;
                char *p;

                switch (c->type) {
                case XML_ELEMENT_NODE:
                        return xml_unsupported_element(c, path, err);
                case XML_ENTITY_REF_NODE:
                        return xml_err_unsupported(err, "entity reference '&%s;' in <%s> is not supported",
                                                   (const char *) c->name, path);
                case XML_TEXT_NODE:
                case XML_CDATA_SECTION_NODE:
                        l = strlen((const char *) c->content);
                        p = realloc(s, len + l + 1);
                        if (!p)
                                return xml_err_oom(err);
                        s = p;
                        memcpy(s + len, c->content, l + 1);
                        len += l;
                        break;
                default: /* comments, processing instructions */
                        break;
                }
        }
        if (!s) {
                s = strdup("");
                if (!s)
                        return xml_err_oom(err);
        }
        free_and_replace_str(ret, TAKE_PTR(s));
        return 1;
}

#define DEFINE_TEXT_NUMBER(func, type, parser)                                          \
        int func(xmlNodePtr n, const char *path, type *ret, ConfError *err) {           \
                _cleanup_free_ char *v = NULL;                                          \
                type x;                                                                 \
                int r;                                                                  \
                                                                                        \
                r = xml_text(n, path, &v, err);                                         \
                if (r < 0)                                                              \
                        return r;                                                       \
                r = parser(v, &x);                                                      \
                if (r < 0)                                                              \
                        return number_error(err, r, "", path, v);                       \
                *ret = x;                                                               \
                return 1;                                                               \
        }
DEFINE_TEXT_NUMBER(xml_text_uint, unsigned, parse_uint)
DEFINE_TEXT_NUMBER(xml_text_ullong, uint64_t, parse_ullong)
DEFINE_TEXT_NUMBER(xml_text_llong, int64_t, parse_llong)

int xml_text_scaled_kib(xmlNodePtr n, const char *path, uint64_t *ret_kib, ConfError *err) {
        _cleanup_free_ char *v = NULL, *unit = NULL;
        int r;

        r = xml_text(n, path, &v, err);
        if (r < 0)
                return r;
        r = attr_get(n, "unit", &unit, err);
        if (r < 0)
                return r;
        return scaled_from_strings(v, unit, "", path, ret_kib, err);
}

/* ---- numbers and units ------------------------------------------------- */

/* Shared by the parsers: strips blanks, checks that only digits (and a sign
 * where allowed) are left, and copies them NUL-terminated into buf. */
static int number_text(const char *s, bool allow_sign, char buf[static 64]) {
        const char *b, *e, *d;

        if (!s)
                return -EINVAL;
        for (b = s; isspace((unsigned char) *b); b++)
                ;
        for (e = b + strlen(b); e > b && isspace((unsigned char) e[-1]); e--)
                ;
        d = b;
        if (allow_sign && d < e && (*d == '-' || *d == '+'))
                d++;
        if (d == e)
                return -EINVAL;
        for (const char *p = d; p < e; p++)
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
        if ((size_t) (e - b) >= 64)
                return -ERANGE;
        memcpy(buf, b, (size_t) (e - b));
        buf[e - b] = 0;
        return 0;
}

int parse_ullong(const char *s, uint64_t *ret) {
        char buf[64];
        unsigned long long v;
        int r = number_text(s, false, buf);

        if (r < 0)
                return r;
        errno = 0;
        v = strtoull(buf, NULL, 10);
        if (errno == ERANGE)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_llong(const char *s, int64_t *ret) {
        char buf[64];
        long long v;
        int r = number_text(s, true, buf);

        if (r < 0)
                return r;
        errno = 0;
        v = strtoll(buf, NULL, 10);
        if (errno == ERANGE)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_uint(const char *s, unsigned *ret) {
        uint64_t v;
        int r;

        r = parse_ullong(s, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_int(const char *s, int *ret) {
        int64_t v;
        int r;

        r = parse_llong(s, &v);
        if (r < 0)
                return r;
        if (v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        *ret = (int) v;
        return 0;
}

int unit_scale(const char *unit, uint64_t *ret) {
        static const char prefixes[] = "kmgtpe";
        const char *p;
        uint64_t base, scale = 1;

        if (!unit || !*unit) {
                *ret = 1024;
                return 0;
        }
        if (strcaseeq(unit, "b") || strcaseeq(unit, "byte") || strcaseeq(unit, "bytes")) {
                *ret = 1;
                return 0;
        }
        p = strchr(prefixes, tolower((unsigned char) unit[0]));
        if (!p || !*p)
                return -EINVAL;
        /* "k", "KiB": powers of 1024; "KB": powers of 1000 (as libvirt) */
        if (unit[1] == 0 || strcaseeq(unit + 1, "ib"))
                base = 1024;
        else if (strcaseeq(unit + 1, "b"))
                base = 1000;
        else
                return -EINVAL;
        for (ptrdiff_t i = 0; i <= p - prefixes; i++)
                scale *= base;
        *ret = scale;
        return 0;
}

int scale_to_kib(uint64_t value, uint64_t scale, uint64_t *ret_kib) {
        unsigned __int128 bytes = (unsigned __int128) value * scale;

        if (bytes > XML_SIZE_MAX_BYTES)
                return -ERANGE;
        *ret_kib = (uint64_t) ((bytes + 1023) / 1024);
        return 0;
}

int table_lookup(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -1;
        for (size_t i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -1;
}

/* ---- string checks ----------------------------------------------------- */

bool str_in_charset(const char *s, const char *charset) {
        return s && *s && strspn(s, charset) == strlen(s);
}

bool str_is_abs_path(const char *s) {
        return s && s[0] == '/' && s[1] != 0 && !str_has_newline(s);
}

bool str_has_newline(const char *s) {
        return s && strpbrk(s, "\r\n");
}

char *str_strip(char *s) {
        size_t b = 0, e;

        if (!s)
                return NULL;
        while (isspace((unsigned char) s[b]))
                b++;
        e = strlen(s + b);
        while (e > 0 && isspace((unsigned char) s[b + e - 1]))
                e--;
        memmove(s, s + b, e);
        s[e] = 0;
        return s;
}

static const char *skip_digits(const char *p) {
        if (!isdigit((unsigned char) *p))
                return NULL;
        while (isdigit((unsigned char) *p))
                p++;
        return p;
}

/* libvirt's cpuset syntax: "0-3,^2,8" */
bool str_is_cpuset(const char *s) {
        const char *p = s;

        if (!p || !*p)
                return false;
        for (;;) {
                if (*p == '^') {
                        p = skip_digits(p + 1);
                } else {
                        p = skip_digits(p);
                        if (p && *p == '-')
                                p = skip_digits(p + 1);
                }
                if (!p)
                        return false;
                if (*p == 0)
                        return true;
                if (*p != ',')
                        return false;
                p++;
        }
}

bool str_is_host_address(const char *s) {
        struct in6_addr a6;

        if (!s || !*s)
                return false;
        if (strchr(s, ':'))
                return inet_pton(AF_INET6, s, &a6) == 1;
        return str_in_charset(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
}

/* ---- writer ------------------------------------------------------------ */

static void xw_append(XmlWriter *w, const char *s, size_t n) {
        if (w->oom)
                return;
        if (w->len + n + 1 > w->allocated) {
                size_t a = MAX(w->allocated * 2, w->len + n + 1);
                char *b;

                a = MAX(a, (size_t) 4096);
                b = realloc(w->buf, a);
                if (!b) {
                        w->oom = true;
                        return;
                }
                w->buf = b;
                w->allocated = a;
        }
        memcpy(w->buf + w->len, s, n);
        w->len += n;
        w->buf[w->len] = 0;
}

static void xw_puts(XmlWriter *w, const char *s) {
        xw_append(w, s, strlen(s));
}

static void xw_indent(XmlWriter *w, size_t depth) {
        for (size_t i = 0; i < depth; i++)
                xw_append(w, "  ", 2);
}

/* Attribute values also escape quotes and line breaks, so that they come
 * back unchanged through attribute-value normalization. */
static void xw_escape(XmlWriter *w, const char *s, bool attr) {
        for (const char *p = s; *p; p++) {
                const char *e = NULL;

                switch (*p) {
                case '&': e = "&amp;"; break;
                case '<': e = "&lt;"; break;
                case '>': e = "&gt;"; break;
                case '\r': e = "&#13;"; break;
                case '\'': e = attr ? "&apos;" : NULL; break;
                case '"': e = attr ? "&quot;" : NULL; break;
                case '\n': e = attr ? "&#10;" : NULL; break;
                case '\t': e = attr ? "&#9;" : NULL; break;
                }
                if (e)
                        xw_puts(w, e);
                else
                        xw_append(w, p, 1);
        }
}

/* A child or text arrives: the parent's start tag gets its '>'. */
static void xw_open_parent(XmlWriter *w, bool for_text) {
        if (w->depth == 0)
                return;
        if (w->stack[w->depth - 1].state == XW_OPEN_TAG) {
                xw_puts(w, for_text ? ">" : ">\n");
                w->stack[w->depth - 1].state = for_text ? XW_TEXT : XW_CHILDREN;
        }
}

void xw_start(XmlWriter *w, const char *name) {
        if (w->depth >= ELEMENTSOF(w->stack)) {
                w->oom = true; /* never happens with our shallow documents */
                return;
        }
        xw_open_parent(w, false);
        xw_indent(w, w->depth);
        xw_puts(w, "<");
        xw_puts(w, name);
        w->stack[w->depth].name = name;
        w->stack[w->depth].state = XW_OPEN_TAG;
        w->depth++;
}

void xw_attr(XmlWriter *w, const char *name, const char *value) {
        if (!value)
                return;
        xw_puts(w, " ");
        xw_puts(w, name);
        xw_puts(w, "='");
        xw_escape(w, value, true);
        xw_puts(w, "'");
}

void xw_attrf(XmlWriter *w, const char *name, const char *fmt, ...) {
        _cleanup_free_ char *v = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0) {
                v = NULL;
                w->oom = true;
                return;
        }
        xw_attr(w, name, v);
}

void xw_text(XmlWriter *w, const char *text) {
        xw_open_parent(w, true);
        xw_escape(w, text, false);
}

void xw_textf(XmlWriter *w, const char *fmt, ...) {
        _cleanup_free_ char *v = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0) {
                v = NULL;
                w->oom = true;
                return;
        }
        xw_text(w, v);
}

void xw_end(XmlWriter *w) {
        if (w->depth == 0)
                return;
        w->depth--;
        switch (w->stack[w->depth].state) {
        case XW_OPEN_TAG:
                xw_puts(w, "/>\n");
                return;
        case XW_CHILDREN:
                xw_indent(w, w->depth);
                break;
        case XW_TEXT:
                break;
        }
        xw_puts(w, "</");
        xw_puts(w, w->stack[w->depth].name);
        xw_puts(w, ">\n");
}

void xw_element(XmlWriter *w, const char *name, const char *text) {
        if (!text)
                return;
        xw_start(w, name);
        if (*text)
                xw_text(w, text);
        xw_end(w);
}

void xw_elementf(XmlWriter *w, const char *name, const char *fmt, ...) {
        _cleanup_free_ char *v = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0) {
                v = NULL;
                w->oom = true;
                return;
        }
        xw_element(w, name, v);
}

void xw_empty(XmlWriter *w, const char *name) {
        xw_start(w, name);
        xw_end(w);
}

void xw_raw_element(XmlWriter *w, const char *name, char *const *items) {
        xw_start(w, name);
        xw_open_parent(w, false);
        /* Only the line an item starts on is indented: inside it, every
         * byte is the application's. */
        for (char *const *i = items; i && *i; i++) {
                xw_indent(w, w->depth);
                xw_puts(w, *i);
                xw_puts(w, "\n");
        }
        xw_end(w);
}

int xw_finish(XmlWriter *w, char **ret) {
        int r = w->oom ? -ENOMEM : w->depth != 0 ? -EINVAL : 0; /* unbalanced: a bug of ours */

        if (r < 0) {
                xw_done(w);
                return r;
        }
        if (!w->buf)
                xw_append(w, "", 0);
        if (w->oom)
                return -ENOMEM;
        *ret = TAKE_PTR(w->buf);
        xw_done(w);
        return 0;
}

void xw_done(XmlWriter *w) {
        free(w->buf);
        *w = (XmlWriter) {};
}
