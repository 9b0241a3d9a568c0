/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "domain-conf.h"
#include "xml-bounds.h"
#include "xml-util.h"

typedef struct Scan {
        const char *p, *end;
        unsigned depth, elements, attributes;
        unsigned children[XML_MAX_DEPTH + 1]; /* of the open element at each depth */
} Scan;

/* Moves past the first occurrence of what, or to the end. */
static void skip_past(Scan *s, const char *what) {
        size_t n = strlen(what);
        const char *hit = memmem(s->p, (size_t) (s->end - s->p), what, n);

        s->p = hit ? hit + n : s->end;
}

/* The element's name, for messages: "<name>" cut at 64 bytes. */
static void tag_name(const char *start, const char *end, char *buf, size_t size) {
        size_t n = 0;

        while (start + n < end && n < size - 1 && !strchr(" \t\r\n/>", start[n]))
                n++;
        memcpy(buf, start, n);
        buf[n] = 0;
}

static int too_many(ConfError *err, const char *start, const char *end, const char *what, unsigned max) {
        char name[65];

        tag_name(start, end, name, sizeof(name));
        return xml_err_invalid(err, "XML document too complex: %s at element <%s> (at most %u)", what, name, max);
}

/* s->p is just past the '<' of a start tag: counts its attributes and moves
 * past its '>'. Returns 1 for an empty element ("<x/>"), 0 otherwise. */
static int scan_start_tag(Scan *s, ConfError *err) {
        const char *name = s->p;
        unsigned attrs = 0;
        char quote = 0;

        for (; s->p < s->end; s->p++) {
                char c = *s->p;

                if (quote) {
                        if (c == quote)
                                quote = 0;
                } else if (c == '"' || c == '\'')
                        quote = c;
                else if (c == '=') {
                        if (++attrs > XML_MAX_ATTRIBUTES)
                                return too_many(err, name, s->end, "more attributes", XML_MAX_ATTRIBUTES);
                        if (++s->attributes > XML_MAX_ATTRIBUTES_TOTAL)
                                return too_many(err, name, s->end, "more attributes in the document",
                                                XML_MAX_ATTRIBUTES_TOTAL);
                }
                else if (c == '>') {
                        s->p++;
                        return s->p - 2 >= name && s->p[-2] == '/';
                }
        }
        return 0;
}

static int open_element(Scan *s, ConfError *err) {
        const char *name = s->p;
        int r;

        if (++s->elements > XML_MAX_ELEMENTS)
                return too_many(err, name, s->end, "more elements in the document", XML_MAX_ELEMENTS);
        if (s->depth > 0 && ++s->children[s->depth] > XML_MAX_CHILDREN)
                return too_many(err, name, s->end, "more children under one element", XML_MAX_CHILDREN);
        r = scan_start_tag(s, err);
        if (r != 0)
                return MIN(r, 0);
        if (++s->depth > XML_MAX_DEPTH)
                return too_many(err, name, s->end, "deeper nesting", XML_MAX_DEPTH);
        s->children[s->depth] = 0;
        return 0;
}

int xml_check_bounds(const char *xml, size_t len, ConfError *err) {
        Scan s = { .p = xml, .end = xml + len };

        while (s.p < s.end) {
                const char *lt = memchr(s.p, '<', (size_t) (s.end - s.p));
                size_t left;
                int r;

                if (!lt)
                        break;
                s.p = lt + 1;
                left = (size_t) (s.end - s.p);
                if (left >= 3 && memcmp(s.p, "!--", 3) == 0)
                        skip_past(&s, "-->");
                else if (left >= 8 && memcmp(s.p, "![CDATA[", 8) == 0)
                        skip_past(&s, "]]>");
                else if (left >= 1 && *s.p == '?')
                        skip_past(&s, "?>");
                else if (left >= 1 && *s.p == '!')
                        skip_past(&s, ">");
                else if (left >= 1 && *s.p == '/') {
                        skip_past(&s, ">");
                        if (s.depth > 0)
                                s.depth--;
                } else if ((r = open_element(&s, err)) < 0)
                        return r;
        }
        return 0;
}
