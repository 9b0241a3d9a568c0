/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* perf events: <perf> in the domain model (parse, format, round trip,
 * schema, what is refused) and the counters qemu-perf.c opens. */

#include <sys/syscall.h>

#include "domain-test.h"
#include "qemu-perf.h"

#define PERF(inner) "<perf>" inner "</perf>"

static void test_round_trip(void) {
        _cleanup_free_ char *doc = domain_with(PERF("<event name='cpu_clock' enabled='yes'/>"
                                                    "<event name='cmt' enabled='no'/>"
                                                    "<event name='emulation_faults' enabled='yes'/>"),
                                               "");
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *again = NULL, *copy = NULL;
        _cleanup_free_ char *xml = NULL, *xml2 = NULL;
        xmlRelaxNGPtr schema = load_schema();

        def = parse_ok(doc, "perf");
        if (!def)
                return;
        CHECK_INTEQ(def->perf[DOMAIN_PERF_CPU_CLOCK], TRISTATE_ON);
        CHECK_INTEQ(def->perf[DOMAIN_PERF_CMT], TRISTATE_OFF);
        CHECK_INTEQ(def->perf[DOMAIN_PERF_EMULATION_FAULTS], TRISTATE_ON);
        CHECK_INTEQ(def->perf[DOMAIN_PERF_CPU_CYCLES], TRISTATE_ABSENT);
        xml = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        /* libvirt's order of events, and nothing for those not named */
        CHECK_CONTAINS(xml, "<perf>\n    <event name='cmt' enabled='no'/>\n"
                            "    <event name='cpu_clock' enabled='yes'/>\n"
                            "    <event name='emulation_faults' enabled='yes'/>\n  </perf>");
        CHECK_NOT_CONTAINS(xml, "cpu_cycles");
        if (schema)
                CHECK(schema_valid(schema, xml));
        again = parse_ok(xml, "formatted");
        if (again) {
                xml2 = format_ok(again, DOMAIN_FORMAT_INACTIVE);
                CHECK_STREQ(xml, xml2);
        }
        CHECK_INTEQ(domain_def_copy(def, &copy), 0);
        CHECK(copy && copy->perf[DOMAIN_PERF_CPU_CLOCK] == TRISTATE_ON);
        if (schema)
                xmlRelaxNGFree(schema);
}

static void test_names(void) {
        /* every name of the schema, in libvirt's order */
        static const char *const names[] = {
                "cmt", "mbmt", "mbml", "cpu_cycles", "instructions", "cache_references", "cache_misses",
                "branch_instructions", "branch_misses", "bus_cycles", "stalled_cycles_frontend",
                "stalled_cycles_backend", "ref_cpu_cycles", "cpu_clock", "task_clock", "page_faults",
                "context_switches", "cpu_migrations", "page_faults_min", "page_faults_maj", "alignment_faults",
                "emulation_faults",
        };

        CHECK_INTEQ(ELEMENTSOF(names), _DOMAIN_PERF_MAX);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                CHECK_STREQ(domain_perf_event_to_string((DomainPerfEvent) i), names[i]);
                CHECK_INTEQ(domain_perf_event_from_string(names[i]), (int) i);
        }
        CHECK_INTEQ(domain_perf_event_from_string("cycles"), -1);
}

static void test_refused(void) {
        _cleanup_free_ char *unknown = domain_with(PERF("<event name='cycles' enabled='yes'/>"), "");
        _cleanup_free_ char *twice = domain_with(PERF("<event name='cpu_clock' enabled='yes'/>"
                                                      "<event name='cpu_clock' enabled='no'/>"),
                                                 "");
        _cleanup_free_ char *no_enabled = domain_with(PERF("<event name='cpu_clock'/>"), "");
        _cleanup_free_ char *bad_enabled = domain_with(PERF("<event name='cpu_clock' enabled='on'/>"), "");
        _cleanup_free_ char *empty = domain_with("<perf/>", "");
        _cleanup_free_ char *other = domain_with(PERF("<counter name='cpu_clock'/>"), "");
        _cleanup_free_ char *two = domain_with(PERF("<event name='cpu_clock' enabled='yes'/>")
                                                       PERF("<event name='task_clock' enabled='yes'/>"),
                                               "");

        check_refused(unknown, VB_ERROR_NOT_SUPPORTED, "cycles");
        check_refused(twice, VB_ERROR_INVALID_ARG, "perf event 'cpu_clock' was already specified");
        check_refused(no_enabled, VB_ERROR_XML, "missing attribute 'enabled'");
        check_refused(bad_enabled, VB_ERROR_INVALID_ARG, "'on'");
        check_refused(empty, VB_ERROR_XML, "holds no <event>");
        check_refused(other, VB_ERROR_NOT_SUPPORTED, "perf/counter");
        check_refused(two, VB_ERROR_XML, "perf");
}

static void test_counter(void) {
        int fd = qemu_perf_open_counter(DOMAIN_PERF_CPU_CLOCK, 0);
        uint64_t v = 0;

        /* cmt, mbmt, mbml: perf lost them (Linux 4.14), on every host */
        CHECK_INTEQ(qemu_perf_open_counter(DOMAIN_PERF_CMT, 0), -EOPNOTSUPP);
        if (fd == -ENOSYS || fd == -EACCES || fd == -EPERM || fd == -ENOENT)
                UNIT_SKIP("this host has no perf events (perf_event_open failed)");
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        for (volatile unsigned i = 0; i < 10000000; i++)
                ;
        CHECK_INTEQ(read(fd, &v, sizeof(v)), (int) sizeof(v));
        CHECK(v > 0);
        close(fd);
}

UNIT_TESTS(test_round_trip, test_names, test_refused, test_counter)
