/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The index of definitions (domain-index.h) is a cache a start trusts: what
 * it formats comes back whole, each file is found by its name, and any text
 * that is not a whole index (cut short, edited, another version) is refused
 * as a whole, so that the start parses every file instead. */
#include "domain-index.h"
#include "unit.h"
#include "util.h"
#include "uuid.h"

static DomainIndexEntry entry(const char *name, const char *uuid, uint64_t ino, uint64_t size, int64_t mtime) {
        DomainIndexEntry e = {
                .name = name, .name_len = strlen(name), .st = { .ino = ino, .size = size, .mtime_ns = mtime } };

        CHECK(uuid_parse(uuid, e.uuid) >= 0);
        return e;
}

static char *formatted(void) {
        DomainIndexEntry e[] = {
                entry("zeta", "6f8cbd53-8cd5-4f1d-9fa4-2d3a6ad1f1a5", 12, 900, 1733300000123456789LL),
                entry("alpha beta", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", 7, 1, -5),
                entry("new\nline", "2b4e28ba-2fa1-11d2-883f-0016d3cca427", 8, 2, 3),
                entry("x.y", "3b4e28ba-2fa1-11d2-883f-0016d3cca427", 18446744073709551615ULL, 0, 0),
        };
        char *text = NULL;

        CHECK(domain_index_format(e, ELEMENTSOF(e), &text) >= 0);
        return text;
}

/* text, parsed: x points into it */
static int parse(const char *text, DomainIndex *x) {
        return domain_index_parse(text, strlen(text), x);
}

static void test_round_trip(void) {
        _cleanup_free_ char *t = formatted();
        DomainIndex x;
        const DomainIndexEntry *e;
        char u[37];

        CHECK(parse(t, &x) >= 0);
        /* a name holding a newline is left out: its file is parsed at each start */
        CHECK_INTEQ(x.n, 3);
        e = domain_index_find(&x, "zeta.xml");
        CHECK(e != NULL);
        CHECK(e->name_len == 4 && memcmp(e->name, "zeta", 4) == 0);
        CHECK_STREQ(uuid_format(e->uuid, u), "6f8cbd53-8cd5-4f1d-9fa4-2d3a6ad1f1a5");
        CHECK(e->st.ino == 12 && e->st.size == 900 && e->st.mtime_ns == 1733300000123456789LL);
        e = domain_index_find(&x, "alpha beta.xml");
        CHECK(e != NULL && e->st.mtime_ns == -5);
        e = domain_index_find(&x, "x.y.xml");
        CHECK(e != NULL && e->st.ino == 18446744073709551615ULL);
        CHECK(domain_index_find(&x, "zet.xml") == NULL);
        CHECK(domain_index_find(&x, "zetaa.xml") == NULL);
        CHECK(domain_index_find(&x, "zeta") == NULL);
        CHECK(domain_index_find(&x, ".xml") == NULL);
        domain_index_done(&x);
}

/* Asked in the order written, in another order, with files the index does
 * not know in between: each found, none found twice wrongly. */
static void test_find_in_any_order(void) {
        static const char *const names[] = { "d", "b", "a", "e", "c" };
        static const char *const orders[][8] = {
                { "d.xml", "b.xml", "a.xml", "e.xml", "c.xml" },
                { "c.xml", "e.xml", "a.xml", "b.xml", "d.xml" },
                { "new.xml", "d.xml", "a.xml", "x.xml", "b.xml", "e.xml", "c.xml", "z.xml" },
                { "b.xml", "a.xml", "d.xml", "c.xml", "e.xml" },
        };
        DomainIndexEntry e[5];
        char *text = NULL;

        for (size_t i = 0; i < 5; i++)
                e[i] = entry(names[i], "6f8cbd53-8cd5-4f1d-9fa4-2d3a6ad1f1a5", i + 1, 0, 0);
        CHECK(domain_index_format(e, 5, &text) >= 0);
        for (size_t o = 0; o < ELEMENTSOF(orders); o++) {
                _cleanup_free_ char *copy = strdup(text);
                DomainIndex x;

                CHECK(parse(copy, &x) >= 0);
                for (size_t k = 0; k < 8 && orders[o][k]; k++) {
                        const DomainIndexEntry *f = domain_index_find(&x, orders[o][k]);
                        const char *file = orders[o][k];
                        bool known = strlen(file) == 5 && strchr("abcde", file[0]);

                        CHECK(known ? f != NULL : f == NULL);
                        if (f && known) {
                                CHECK(f->name[0] == file[0] && f->name_len == 1);
                                CHECK_INTEQ(f->st.ino, (uint64_t) (strchr("dbaec", file[0]) - "dbaec") + 1);
                        }
                }
                domain_index_done(&x);
        }
        free(text);
}

static void test_empty(void) {
        DomainIndex x;
        char *text = NULL;

        CHECK(domain_index_format(NULL, 0, &text) >= 0);
        CHECK(parse(text, &x) >= 0);
        CHECK_INTEQ(x.n, 0);
        CHECK(domain_index_find(&x, "a.xml") == NULL);
        domain_index_done(&x);
        free(text);
}

static void refused(const char *what, char *text) {
        DomainIndex x;
        int r = parse(text, &x);

        if (r != -EBADMSG)
                fprintf(stderr, "not refused: %s\n", what);
        CHECK_INTEQ(r, -EBADMSG);
        domain_index_done(&x);
        free(text);
}

static char *replaced(const char *from, const char *to) {
        _cleanup_free_ char *t = formatted();
        char *p = strstr(t, from), *s = NULL;

        CHECK(p != NULL);
        CHECK(asprintf(&s, "%.*s%s%s", (int) (p - t), t, to, p + strlen(from)) >= 0);
        return s;
}

static void test_not_whole_is_refused(void) {
        char *t = formatted();
        size_t len = strlen(t);

        /* cut anywhere short of its end */
        for (size_t cut = 0; cut < len; cut++) {
                char *c = strndup(t, cut);
                DomainIndex x;

                CHECK(c != NULL);
                CHECK_INTEQ(parse(c, &x), -EBADMSG);
                domain_index_done(&x);
                free(c);
        }
        free(t);
        refused("another version", replaced("virtbus-definitions 1", "virtbus-definitions 2"));
        refused("a count that is not the lines'", replaced("end 3", "end 2"));
        refused("a count too high", replaced("end 3", "end 4"));
        refused("a bad uuid", replaced("6f8cbd53-8cd5", "6f8cbd53x8cd5"));
        refused("no name", replaced(" zeta\n", " \n"));
        refused("inode 0", replaced("12 900", "0 900"));
        refused("not a number", replaced("12 900", "1x 900"));
        refused("an inode past 64 bits", replaced("18446744073709551615 ", "18446744073709551616 "));
        refused("an mtime past 63 bits", replaced("900 1733300000123456789", "900 9223372036854775808"));
        refused("a negative size", replaced("12 900", "12 -900"));
        refused("text after the end", replaced("end 3\n", "end 3\nmore\n"));
        refused("empty", strdup(""));
}

/* The file is read as bytes: a NUL in a name is refused, not a name cut short. */
static void test_nul_is_refused(void) {
        _cleanup_free_ char *t = formatted();
        size_t len = strlen(t);
        DomainIndex x;

        strstr(t, " zeta\n")[3] = 0;
        CHECK_INTEQ(domain_index_parse(t, len, &x), -EBADMSG);
        domain_index_done(&x);
}

UNIT_TESTS(test_round_trip, test_find_in_any_order, test_empty, test_not_whole_is_refused, test_nul_is_refused)
