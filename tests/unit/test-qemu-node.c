/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's figures, sysinfo and the CPU comparisons of qemud
 * (qemu-node.h), and the pure parts of the domain statistics
 * (qemu-stats.h), on the files of tests/data/node/. */
#include <json-c/json.h>

#include "qemu-node.h"
#include "qemu-stats.h"
#include "unit.h"
#include "util.h"

#define DATA "tests/data/node/"

static char *data(const char *name) {
        char *text = NULL;

        if (read_full_file(name, 1 << 20, &text, NULL) < 0)
                return NULL;
        return text;
}

static void test_cpu_stats(void) {
        _cleanup_free_ char *text = data(DATA "stat");
        NodeCpuTimes t;

        CHECK(text);
        CHECK_INTEQ(qemu_node_parse_cpu_stats(text, -1, 100, &t), 0);
        CHECK_INTEQ(t.user, (1000ULL + 20) * 10000000ULL);    /* user + nice */
        CHECK_INTEQ(t.kernel, (300ULL + 5 + 6) * 10000000ULL); /* system + irq + softirq */
        CHECK_INTEQ(t.idle, 5000ULL * 10000000ULL);
        CHECK_INTEQ(t.iowait, 40ULL * 10000000ULL);
        CHECK_INTEQ(qemu_node_parse_cpu_stats(text, 1, 100, &t), 0);
        CHECK_INTEQ(t.user, 410ULL * 10000000ULL);
        CHECK_INTEQ(qemu_node_parse_cpu_stats(text, 2, 100, &t), -ENOENT);
        CHECK_INTEQ(qemu_node_parse_cpu_stats("cpu  1 2\n", -1, 100, &t), -EBADMSG);
}

static void test_meminfo(void) {
        _cleanup_free_ char *host = data(DATA "meminfo"), *cell = data(DATA "node0-meminfo");
        NodeMemory m;

        CHECK(host && cell);
        CHECK_INTEQ(qemu_node_parse_meminfo(host, &m), 0);
        CHECK_INTEQ(m.total, 24683504);
        CHECK_INTEQ(m.free, 23528000);
        CHECK_INTEQ(m.buffers, 12345);
        CHECK_INTEQ(m.cached, 425000);
        CHECK_INTEQ(qemu_node_parse_meminfo(cell, &m), 0);
        CHECK_INTEQ(m.total, 12341752);
        CHECK_INTEQ(m.free, 11764000);
        CHECK(m.buffers == UINT64_MAX && m.cached == UINT64_MAX); /* a cell has none */
        CHECK_INTEQ(qemu_node_parse_meminfo("Nothing: 1 kB\n", &m), -EBADMSG);
}

static void test_cpu_list(void) {
        _cleanup_free_ bool *map = NULL;
        size_t n = 0;

        CHECK_INTEQ(qemu_node_parse_cpu_list("0-3,6\n", &map, &n), 0);
        CHECK_INTEQ(n, 7);
        CHECK(map[0] && map[3] && !map[4] && !map[5] && map[6]);
        free(map);
        map = NULL;
        CHECK_INTEQ(qemu_node_parse_cpu_list("0\n", &map, &n), 0);
        CHECK_INTEQ(n, 1);
        CHECK_INTEQ(qemu_node_parse_cpu_list("3-1\n", &map, &n), -EBADMSG);
        CHECK_INTEQ(qemu_node_parse_cpu_list("x\n", &map, &n), -EBADMSG);
}

static bool has(char **l, const char *s) {
        for (; l && *l; l++)
                if (strcmp(*l, s) == 0)
                        return true;
        return false;
}

static void test_cpuinfo(void) {
        _cleanup_free_ char *text = data(DATA "cpuinfo");
        _cleanup_(host_cpu_done) HostCpu h = {};

        CHECK(text);
        CHECK_INTEQ(qemu_node_parse_cpuinfo(text, &h), 0);
        CHECK_STREQ(h.vendor, "Intel");
        CHECK_INTEQ(h.cpus, 2);
        CHECK_INTEQ(h.sockets, 2);
        CHECK_INTEQ(h.cores, 1);
        CHECK_INTEQ(h.threads, 2);
        CHECK_INTEQ(h.mhz, 2100);
        /* libvirt's spelling of /proc/cpuinfo's flags */
        CHECK(has(h.flags, "sse4.1") && has(h.flags, "sse4.2") && has(h.flags, "tsc-deadline"));
        CHECK(has(h.flags, "md-clear") && has(h.flags, "arch-capabilities") && has(h.flags, "lahf_lm"));
        CHECK(!has(h.flags, "sse4_1"));
}

static void test_sysinfo(void) {
        _cleanup_free_ char *cpuinfo = data(DATA "cpuinfo"), *xml = NULL, *none = NULL;

        CHECK_INTEQ(qemu_node_sysinfo_format(DATA "dmi", cpuinfo, &xml), 0);
        CHECK(xml && strncmp(xml, "<sysinfo type='smbios'>", 23) == 0);
        CHECK(strstr(xml, "<bios>") && strstr(xml, "<entry name='vendor'>SeaBIOS</entry>"));
        CHECK(strstr(xml, "<entry name='version'>1.16.2</entry>"));
        CHECK(strstr(xml, "<system>") && strstr(xml, "<entry name='manufacturer'>QEMU</entry>"));
        CHECK(!strstr(xml, "<baseBoard>")); /* nothing of it in the fixture */
        CHECK(strstr(xml, "<entry name='socket_destination'>CPU 1</entry>"));
        CHECK(strstr(xml, "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz"));
        /* a host without DMI: the processors only */
        CHECK_INTEQ(qemu_node_sysinfo_format(DATA "no-such-dir", cpuinfo, &none), 0);
        CHECK(none && !strstr(none, "<bios>") && strstr(none, "<processor>"));
}

static QemuCaps *fake_caps(void) {
        static char *models[] = { "Haswell", "SandyBridge", "Skylake-Server", "qemu64", "EPYC", NULL };
        static char *unusable[] = { "Skylake-Server", NULL };
        static QemuCaps caps = { .arch = "x86_64", .cpu_models = models, .cpu_unusable = unusable,
                                 .cpu_usability_known = true };

        return &caps;
}

static void test_compare(void) {
        _cleanup_free_ char *text = data(DATA "cpuinfo");
        _cleanup_(host_cpu_done) HostCpu h = {};
        const QemuCaps *caps = fake_caps();
        static const struct {
                const char *xml;
                int result;     /* or -EINVAL */
                const char *why;
        } cases[] = {
                { "<cpu mode='host-passthrough'/>", 1, NULL },
                { "<cpu><model>Haswell</model></cpu>", 1, NULL },         /* host-model itself */
                { "<cpu><model>SandyBridge</model></cpu>", 2, NULL },
                { "<cpu><model>Skylake-Server</model></cpu>", 0, "Skylake-Server" }, /* QEMU cannot run it */
                { "<cpu><model>SandyBridge</model><feature name='vmx'/></cpu>", 2, NULL },
                { "<cpu><model>SandyBridge</model><feature policy='require' name='svm'/></cpu>", 0, "svm" },
                { "<cpu><model>SandyBridge</model><feature policy='forbid' name='vmx'/></cpu>", 0, "vmx" },
                { "<cpu><model>SandyBridge</model><feature policy='disable' name='vmx'/></cpu>", 2, NULL },
                { "<cpu><model>SandyBridge</model><vendor>AMD</vendor></cpu>", 0, "AMD" },
                { "<domain><cpu><model>SandyBridge</model></cpu></domain>", 2, NULL },
                { "<cpu><model>Pentium9000</model></cpu>", -EINVAL, "Pentium9000" },
                { "<cpu", -EINVAL, "XML" },
                { "<domain/>", -EINVAL, "<cpu>" },
        };

        CHECK_INTEQ(qemu_node_parse_cpuinfo(text, &h), 0);
        CHECK_STREQ(qemu_node_host_model(caps, &h), "Haswell");
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *why = NULL;
                int result = -99, r = qemu_node_compare(caps, &h, cases[i].xml, &result, &why);
                if (cases[i].result < 0)
                        CHECK_INTEQ(r, cases[i].result);
                else {
                        CHECK_INTEQ(r, 0);
                        CHECK_INTEQ(result, cases[i].result);
                }
                if (cases[i].why && !(why && strstr(why, cases[i].why)))
                        fprintf(stderr, "  case %zu: why = %s\n", i, why ? why : "(null)");
                CHECK(!cases[i].why || (why && strstr(why, cases[i].why)));
        }
}

static void test_baseline(void) {
        const QemuCaps *caps = fake_caps();
        char *two[] = { "<cpu><model>Haswell</model><feature name='aes'/><feature name='vmx'/></cpu>",
                        "<cpu><model>SandyBridge</model><feature name='aes'/></cpu>", NULL };
        char *vendors[] = { "<cpu><model>Haswell</model></cpu>", "<cpu><model>EPYC</model></cpu>", NULL };
        char *none[] = { NULL };
        _cleanup_free_ char *xml = NULL, *why = NULL, *why2 = NULL;

        CHECK_INTEQ(qemu_node_baseline(caps, two, 0, &xml, &why), 0);
        CHECK(xml && strstr(xml, "<model fallback='forbid'>SandyBridge</model>"));
        CHECK(strstr(xml, "<vendor>Intel</vendor>") && strstr(xml, "name='aes'") && !strstr(xml, "vmx"));
        CHECK_INTEQ(qemu_node_baseline(caps, vendors, 0, &xml, &why), -EINVAL);
        CHECK(why && strstr(why, "vendors"));
        CHECK_INTEQ(qemu_node_baseline(caps, none, 0, &xml, &why2), -EINVAL);
}

static void test_ksm_names(void) {
        /* libvirt's names and types, in its order */
        CHECK_INTEQ(qemu_node_ksm_n_params, 8);
        CHECK_STREQ(qemu_node_ksm_params[0].name, "shm_pages_to_scan");
        CHECK(qemu_node_ksm_find("shm_sleep_millisecs")->type == 'u');
        CHECK(qemu_node_ksm_find("shm_merge_across_nodes")->type == 'u');
        CHECK(qemu_node_ksm_find("shm_full_scans")->type == 't');
        CHECK(!qemu_node_ksm_find("pages_to_scan"));
}

static void test_vcpu_threads(void) {
        uint64_t ns = 0;

        CHECK_INTEQ(qemu_stats_vcpu_of_thread("CPU 0/KVM\n"), 0);
        CHECK_INTEQ(qemu_stats_vcpu_of_thread("CPU 12/TCG\n"), 12);
        CHECK_INTEQ(qemu_stats_vcpu_of_thread("ALL CPUs/TCG\n"), -1);
        CHECK_INTEQ(qemu_stats_vcpu_of_thread("qemu-system-x86\n"), -2);
        CHECK_INTEQ(qemu_stats_vcpu_of_thread("CPU x/KVM\n"), -2);
        CHECK_INTEQ(qemu_stats_parse_sched_wait("se.statistics.wait_sum                      :           12.500000\n",
                                                &ns), 0);
        CHECK_INTEQ(ns, 12500000);
        CHECK_INTEQ(qemu_stats_parse_sched_wait("wait_sum : 0.000001\n", &ns), 0);
        CHECK_INTEQ(ns, 1);
        CHECK_INTEQ(qemu_stats_parse_sched_wait("nr_switches : 3\n", &ns), -ENOENT);
}

static void test_blockstats(void) {
        json_object *reply = json_tokener_parse(
                "[{\"device\": \"\", \"qdev\": \"/machine/peripheral/virtio-disk0/virtio-backend\","
                "  \"node-name\": \"virtio-disk0-fmt\", \"stats\": {\"rd_operations\": 5}},"
                " {\"device\": \"\", \"qdev\": \"virtio-disk10\", \"stats\": {\"rd_operations\": 7}},"
                " {\"device\": \"\", \"qdev\": \"sata0-0-0\", \"stats\": {\"rd_operations\": 9}}]");
        json_object *e, *stats, *ops;

        CHECK(reply);
        e = qemu_stats_find_blockstats(reply, "virtio-disk0");
        CHECK(e && json_object_object_get_ex(e, "stats", &stats) && json_object_object_get_ex(stats, "rd_operations", &ops) &&
              json_object_get_int(ops) == 5);
        e = qemu_stats_find_blockstats(reply, "virtio-disk10");
        CHECK(e && json_object_object_get_ex(e, "stats", &stats) && json_object_object_get_ex(stats, "rd_operations", &ops) &&
              json_object_get_int(ops) == 7);
        CHECK(qemu_stats_find_blockstats(reply, "sata0-0-0"));
        CHECK(!qemu_stats_find_blockstats(reply, "virtio-disk1"));
        CHECK(!qemu_stats_find_blockstats(reply, NULL));
        CHECK(!qemu_stats_find_blockstats(NULL, "virtio-disk0"));
        json_object_put(reply);
}

UNIT_TESTS(test_cpu_stats, test_meminfo, test_cpu_list, test_cpuinfo, test_sysinfo, test_compare, test_baseline,
           test_ksm_names, test_vcpu_threads, test_blockstats)
