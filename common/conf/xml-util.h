/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small libxml2 helpers shared by the XML models (domain, and later network,
 * pool, volume):
 *
 *  - reading a document safely (size cap, no network, no DTD, errors with
 *    their line number);
 *  - strict walking: every attribute and child element must be one the
 *    caller knows, anything else is refused with NotSupported naming its
 *    path ("devices/disk/driver"), so nothing is ever silently dropped;
 *  - number getters with overflow checks and libvirt's memory units;
 *  - a tiny writer producing libvirt-style output (2-space indentation,
 *    single-quoted attributes, empty elements as <x/>).
 *
 * Getters return 1 when the attribute/element was there, 0 when it was not
 * (leaving *ret untouched), or -errno with the ConfError filled. */

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "macro.h"

typedef struct ConfError ConfError; /* domain-conf.h */

/* Documents larger than this are refused before libxml2 sees them. */
#define XML_DOCUMENT_MAX_SIZE ((size_t) 4 * 1024 * 1024)
/* Longest element path we name in messages ("devices/disk/iotune/..."). */
#define XML_PATH_MAX 256

static inline void xml_doc_freep(xmlDocPtr *p) {
        if (*p)
                xmlFreeDoc(*p);
}
#define _cleanup_xmldoc_ _cleanup_(xml_doc_freep)

static inline void xml_char_freep(xmlChar **p) {
        if (*p)
                xmlFree(*p);
}

/* A copy of n's attribute name, for free(); NULL without it (or without
 * memory). */
static inline char *xml_prop_dup(xmlNodePtr n, const char *name) {
        xmlChar *v = xmlGetProp(n, (const xmlChar *) name);
        char *s = v ? strdup((const char *) v) : NULL;

        xmlFree(v);
        return s;
}
#define _cleanup_xmlchar_ _cleanup_(xml_char_freep)

static inline void xml_buffer_freep(xmlBufferPtr *p) {
        if (*p)
                xmlBufferFree(*p);
}

static inline void xml_parser_ctxt_freep(xmlParserCtxtPtr *p) {
        if (*p)
                xmlFreeParserCtxt(*p);
}

/* Errors. The message gets libvirt's prefix for the error kind, as libvirt
 * clients print it verbatim ("unsupported configuration: ..."). Each returns
 * the negative errno that error.h's table gives the name. */
int conf_fail(ConfError *err, const char *name, const char *fmt, ...) _printf_(3, 4);
int xml_err_unsupported(ConfError *err, const char *fmt, ...) _printf_(2, 3);
int xml_err_invalid(ConfError *err, const char *fmt, ...) _printf_(2, 3);
int xml_err_xml(ConfError *err, const char *fmt, ...) _printf_(2, 3);
int xml_err_oom(ConfError *err);

/* Parses xml (len bytes) and checks the root element is <root_name> (any
 * element when root_name is NULL). */
int xml_read_document(const char *xml, size_t len, const char *root_name, xmlDocPtr *ret, ConfError *err);
/* Between begin and end, this thread's xml_read_document() calls share one
 * libxml2 parser context instead of setting one up per document: for a
 * daemon loading many definitions at start. The result is the same. */
void xml_read_batch_begin(void);
void xml_read_batch_end(void);

/* Element paths: "" + "devices" = "devices"; "devices" + "disk" = "devices/disk". */
void xml_path_join(char *buf, size_t size, const char *parent, const char *name);
#define XML_SUBPATH(var, parent, name)          \
        char var[XML_PATH_MAX];                 \
        xml_path_join(var, sizeof(var), parent, name)

static inline bool xml_is(xmlNodePtr n, const char *name) {
        return n && n->type == XML_ELEMENT_NODE && !n->ns && xmlStrEqual(n->name, BAD_CAST name);
}
bool xml_is_any(xmlNodePtr n, const char *const *names, size_t n_names);
xmlNodePtr xml_first_element(xmlNodePtr parent);
xmlNodePtr xml_next_element(xmlNodePtr n);
#define XML_FOREACH_ELEMENT(c, parent) \
        for (xmlNodePtr c = xml_first_element(parent); c; c = xml_next_element(c))

/* Refuses every attribute not in the NULL-terminated list. */
int xml_check_attrs(xmlNodePtr n, const char *path, const char *const *allowed, ConfError *err);
#define XML_CHECK_ATTRS(n, path, err, ...) \
        xml_check_attrs(n, path, (const char *const[]) { __VA_ARGS__, NULL }, err)
/* Refuses text that is not whitespace (for elements holding only elements). */
int xml_check_no_text(xmlNodePtr n, const char *path, ConfError *err);
/* An element that must be empty: no text, no child elements. */
int xml_check_empty(xmlNodePtr n, const char *path, ConfError *err);
/* Refuses a second occurrence of an element the schema allows once. */
int xml_check_unique(xmlNodePtr n, const char *path, ConfError *err);
/* "element <path/name> is not supported". */
int xml_unsupported_element(xmlNodePtr n, const char *parent_path, ConfError *err);
/* An element that holds only <child> elements (no attributes, no text),
 * each read by fn with its own path; another element is refused by name.
 * Returns how many children there were. */
typedef int (*XmlChildFn)(void *userdata, xmlNodePtr n, const char *path, ConfError *err);
int xml_parse_list(xmlNodePtr n, const char *path, const char *child, XmlChildFn fn, void *userdata,
                   ConfError *err);

/* Attribute getters. */
int xml_attr_str(xmlNodePtr n, const char *path, const char *attr, char **ret, ConfError *err);
int xml_attr_str_required(xmlNodePtr n, const char *path, const char *attr, char **ret, ConfError *err);
int xml_attr_uint(xmlNodePtr n, const char *path, const char *attr, unsigned *ret, ConfError *err);
int xml_attr_int(xmlNodePtr n, const char *path, const char *attr, int *ret, ConfError *err);
int xml_attr_ullong(xmlNodePtr n, const char *path, const char *attr, uint64_t *ret, ConfError *err);
int xml_attr_llong(xmlNodePtr n, const char *path, const char *attr, int64_t *ret, ConfError *err);
/* One of the NULL-terminated-or-sized table's strings; NULL entries never match. */
int xml_attr_enum(xmlNodePtr n, const char *path, const char *attr,
                  const char *const *table, size_t n_table, int *ret, ConfError *err);
/* A string attribute restricted to one of n_values words (the schema's
 * <choice>); stored as a copy of the word. Others: NotSupported. */
int xml_attr_choice(xmlNodePtr n, const char *path, const char *attr,
                    const char *const *values, size_t n_values, char **ret, ConfError *err);
/* yes/no (or on/off, passing those words) into a bool. */
int xml_attr_bool(xmlNodePtr n, const char *path, const char *attr,
                  const char *yes, const char *no, bool *ret, ConfError *err);
/* A size attribute pair, e.g. <page size='2' unit='MiB'/>; default unit KiB. */
int xml_attr_scaled_kib(xmlNodePtr n, const char *path, const char *attr, uint64_t *ret_kib, ConfError *err);

/* Text content getters: child elements are refused (NotSupported), entity
 * references too. */
int xml_text(xmlNodePtr n, const char *path, char **ret, ConfError *err);
int xml_text_uint(xmlNodePtr n, const char *path, unsigned *ret, ConfError *err);
int xml_text_ullong(xmlNodePtr n, const char *path, uint64_t *ret, ConfError *err);
int xml_text_llong(xmlNodePtr n, const char *path, int64_t *ret, ConfError *err);
/* <memory unit='MiB'>512</memory> -> KiB; the element's unit attribute is read. */
int xml_text_scaled_kib(xmlNodePtr n, const char *path, uint64_t *ret_kib, ConfError *err);

/* Pure parsers. Decimal only, surrounding whitespace allowed;
 * -EINVAL when not a number, -ERANGE when out of range. */
int parse_ullong(const char *s, uint64_t *ret);
int parse_llong(const char *s, int64_t *ret);
int parse_uint(const char *s, unsigned *ret);
int parse_int(const char *s, int *ret);
/* libvirt's units: b/bytes; k/KiB, KB (1000); M/MiB, MB; ... up to E.
 * NULL or "" means KiB. -EINVAL on an unknown unit. */
int unit_scale(const char *unit, uint64_t *ret_bytes_per_unit);
/* value*scale bytes, rounded up to KiB; -ERANGE beyond XML_SIZE_MAX_BYTES. */
#define XML_SIZE_MAX_BYTES ((uint64_t) INT64_MAX)
int scale_to_kib(uint64_t value, uint64_t scale, uint64_t *ret_kib);

int table_lookup(const char *const *table, size_t n, const char *s);

/* String checks for values whose schema has a pattern. */
bool str_in_charset(const char *s, const char *charset); /* non-empty, only these chars */
bool str_is_abs_path(const char *s);
bool str_is_cpuset(const char *s);
bool str_is_host_address(const char *s); /* IPv4, IPv6 or DNS name */
bool str_has_newline(const char *s);
/* Strips leading and trailing whitespace in place; returns s. */
char *str_strip(char *s);

/* The writer. */
typedef struct XmlWriter {
        char *buf;
        size_t len, allocated;
        bool oom;
        size_t depth;
        struct {
                const char *name;
                enum { XW_OPEN_TAG, XW_CHILDREN, XW_TEXT } state;
        } stack[32];
} XmlWriter;

void xw_start(XmlWriter *w, const char *name);
void xw_attr(XmlWriter *w, const char *name, const char *value); /* NULL: nothing */
void xw_attrf(XmlWriter *w, const char *name, const char *fmt, ...) _printf_(3, 4);
void xw_text(XmlWriter *w, const char *text);
void xw_textf(XmlWriter *w, const char *fmt, ...) _printf_(2, 3);
void xw_end(XmlWriter *w);
/* <name>text</name>; nothing when text is NULL. */
void xw_element(XmlWriter *w, const char *name, const char *text);
void xw_elementf(XmlWriter *w, const char *name, const char *fmt, ...) _printf_(3, 4);
/* <name/> */
void xw_empty(XmlWriter *w, const char *name);
/* <name> with each of items, well-formed XML text, as a child, verbatim. */
void xw_raw_element(XmlWriter *w, const char *name, char *const *items);
/* Hands over the text; -ENOMEM if an allocation failed on the way. */
int xw_finish(XmlWriter *w, char **ret);
void xw_done(XmlWriter *w);
