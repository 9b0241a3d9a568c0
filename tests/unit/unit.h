/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A tiny test harness: each test-*.c file defines test functions, lists them
 * in UNIT_TESTS(...), and prints one line per test and a closing count line
 * "unit <file>: N passed, N failed, N skipped" that tests/run-all.sh adds up.
 *
 *   static void test_foo(void) { CHECK(1 + 1 == 2); CHECK_STREQ(a, "x"); }
 *   UNIT_TESTS(test_foo, test_bar)
 *
 * A test can call UNIT_SKIP("why") to be counted as skipped. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed_checks;
static int unit_skipped;
static const char *unit_current;

#define CHECK(cond)                                                                  \
        do {                                                                         \
                if (!(cond)) {                                                       \
                        fprintf(stderr, "  %s:%d: %s: check failed: %s\n", __FILE__, \
                                __LINE__, unit_current, #cond);                      \
                        unit_failed_checks++;                                        \
                }                                                                    \
        } while (0)

#define CHECK_STREQ(a, b)                                                                  \
        do {                                                                               \
                const char *_a = (a), *_b = (b);                                           \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                   \
                        fprintf(stderr, "  %s:%d: %s: \"%s\" != \"%s\"\n", __FILE__,       \
                                __LINE__, unit_current, _a ? _a : "(null)", _b ? _b : "(null)"); \
                        unit_failed_checks++;                                              \
                }                                                                          \
        } while (0)

#define CHECK_INTEQ(a, b)                                                                  \
        do {                                                                               \
                long long _a = (long long) (a), _b = (long long) (b);                      \
                if (_a != _b) {                                                            \
                        fprintf(stderr, "  %s:%d: %s: %s = %lld, expected %lld\n", __FILE__, \
                                __LINE__, unit_current, #a, _a, _b);                       \
                        unit_failed_checks++;                                              \
                }                                                                          \
        } while (0)

#define UNIT_SKIP(why)                                                     \
        do {                                                               \
                fprintf(stderr, "  %s: skipped: %s\n", unit_current, why); \
                unit_skipped = 1;                                          \
                return;                                                    \
        } while (0)

typedef void (*unit_test_fn)(void);

static inline int unit_run(const char *file, const char *names, unit_test_fn *tests, size_t n) {
        int passed = 0, failed = 0, skipped = 0;
        char buf[4096];
        char *save = NULL, *name;

        snprintf(buf, sizeof(buf), "%s", names);
        name = strtok_r(buf, ", ", &save);
        for (size_t i = 0; i < n; i++) {
                unit_current = name ? name : "?";
                unit_failed_checks = 0;
                unit_skipped = 0;
                tests[i]();
                if (unit_skipped) {
                        printf("skip %s\n", unit_current);
                        skipped++;
                } else if (unit_failed_checks) {
                        printf("FAIL %s\n", unit_current);
                        failed++;
                } else {
                        printf("ok   %s\n", unit_current);
                        passed++;
                }
                name = strtok_r(NULL, ", ", &save);
        }
        printf("unit %s: %d passed, %d failed, %d skipped\n", file, passed, failed, skipped);
        return failed ? 1 : 0;
}

#define UNIT_TESTS(...)                                                              \
        int main(void) {                                                             \
                unit_test_fn tests[] = { __VA_ARGS__ };                              \
                return unit_run(__FILE__, #__VA_ARGS__, tests, ELEMENTS_OF_(tests)); \
        }
#define ELEMENTS_OF_(x) (sizeof(x) / sizeof((x)[0]))
