/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU capabilities: filling them from canned QMP replies, machine alias
 * resolution, the JSON form, the cache's hit/stale logic, and a real probe
 * of /usr/bin/qemu-system-x86_64 when it is installed. */

#include <fcntl.h>
#include <sys/stat.h>

#include "log.h"
#include "qemu-caps.h"
#include "qemu-monitor.h"
#include "unit.h"
#include "util.h"

#define DATA_DIR "tests/data/qmp/"
#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"

static int apply_canned(QemuCaps *caps, const char *command) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        QmpMessage m;
        size_t len;
        int r;

        if (asprintf(&path, DATA_DIR "%s.json", command) < 0)
                return -ENOMEM;
        r = read_full_file(path, 0, &text, &len);
        if (r < 0) {
                fprintf(stderr, "  cannot read %s (run from the top of the tree)\n", path);
                return r;
        }
        r = qmp_parse_message(text, strcspn(text, "\r\n"), &m);
        if (r < 0)
                return r;
        r = m.type == QMP_MESSAGE_RETURN ? qemu_caps_apply_reply(caps, command, m.value) : -EBADMSG;
        qmp_message_done(&m);
        return r;
}

/* The capabilities of QEMU 7.2 as the probe would build them. */
static QemuCaps *canned_caps(void) {
        static const char *const commands[] = {
                "query-version", "query-target", "query-machines",
                "query-cpu-definitions", "query-kvm", "qom-list-types",
                "query-qmp-schema",
        };
        QemuCaps *caps = calloc(1, sizeof(QemuCaps));

        if (!caps)
                return NULL;
        caps->binary = strdup(QEMU_BINARY);
        caps->binary_size = 12345678;
        caps->binary_mtime = 1700000000;
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                CHECK_INTEQ(apply_canned(caps, commands[i]), 0);
        qemu_caps_sort(caps);
        return caps;
}

static void test_caps_from_replies(void) {
        _cleanup_(qemu_caps_freep) QemuCaps *caps = canned_caps();

        CHECK(caps != NULL);
        if (!caps)
                return;
        CHECK_INTEQ(caps->version, 7002022);
        CHECK_STREQ(caps->package, "Debian 1:7.2+dfsg-7+deb12u18+b3");
        CHECK_STREQ(caps->arch, "x86_64");
        CHECK(caps->kvm_available);
        CHECK_INTEQ(caps->n_machines, 59);
        CHECK_STREQ(qemu_caps_canonical_machine(caps, "q35"), "pc-q35-7.2");
        CHECK_STREQ(qemu_caps_canonical_machine(caps, "pc"), "pc-i440fx-7.2");
        CHECK_STREQ(qemu_caps_canonical_machine(caps, NULL), "pc-i440fx-7.2");
        CHECK(qemu_caps_has_device(caps, "virtio-blk-pci"));
        CHECK(qemu_caps_has_device(caps, "virtio-net-pci"));
        CHECK(qemu_caps_has_device(caps, "pcie-root-port"));
        CHECK(!qemu_caps_has_device(caps, "virtio-device")); /* abstract */
        CHECK(!qemu_caps_has_device(caps, "no-such-device"));
        CHECK(qemu_caps_has_cpu_model(caps, "qemu64"));
        CHECK(qemu_caps_has_cpu_model(caps, "host"));
        CHECK(qemu_caps_has_cpu_model(caps, "Haswell"));
        /* QEMU 7.2 deprecates pc-i440fx-1.4 to 1.7 (libvirt taints a guest on one) */
        CHECK(qemu_caps_machine_deprecated(caps, "pc-i440fx-1.4"));
        CHECK(qemu_caps_machine_deprecated(caps, "pc-i440fx-1.7"));
        CHECK(!qemu_caps_machine_deprecated(caps, "pc-i440fx-2.0"));
        CHECK(!qemu_caps_machine_deprecated(caps, "pc"));
        CHECK(!qemu_caps_machine_deprecated(caps, "no-such-machine"));
        CHECK(!qemu_caps_cpu_model_deprecated(caps, "Haswell"));
        CHECK(!qemu_caps_has_cpu_model(caps, "pentium9"));
        /* blockdev-add's drivers (the schema's entries cut to those the
         * probe follows): QEMU 7.2 has dropped sheepdog and vxhs */
        CHECK(caps->blockdev_drivers_known);
        CHECK(qemu_caps_has_blockdev_driver(caps, "nbd"));
        CHECK(qemu_caps_has_blockdev_driver(caps, "rbd"));
        CHECK(!qemu_caps_has_blockdev_driver(caps, "sheepdog"));
        CHECK(!qemu_caps_has_blockdev_driver(caps, "vxhs"));

        /* sorted by the probe */
        for (size_t i = 1; caps->device_types && caps->device_types[i]; i++)
                CHECK(strcmp(caps->device_types[i - 1], caps->device_types[i]) < 0);
        for (size_t i = 1; i < caps->n_machines; i++)
                CHECK(strcmp(caps->machines[i - 1].name, caps->machines[i].name) < 0);

        for (size_t i = 0; i < caps->n_machines; i++)
                if (streq(caps->machines[i].name, "pc-q35-7.2")) {
                        CHECK_INTEQ(caps->machines[i].max_cpus, 288);
                        CHECK(!caps->machines[i].is_default);
                }

        json_object *o = json_object_new_object();
        CHECK_INTEQ(qemu_caps_apply_reply(caps, "query-status", o), -EOPNOTSUPP);
        /* query-version without "qemu" is refused */
        CHECK_INTEQ(qemu_caps_apply_reply(caps, "query-version", o), -EBADMSG);
        json_object_put(o);
}

static void test_caps_canonical_machine(void) {
        QemuMachine machines[] = {
                { .name = (char *) "pc-q35-7.2", .alias = (char *) "q35", .max_cpus = 288 },
                { .name = (char *) "pc-i440fx-7.2", .alias = (char *) "pc", .is_default = true },
                { .name = (char *) "pc-q35-7.1" },
                /* a machine named like another one's alias: the name wins */
                { .name = (char *) "microvm", .alias = (char *) "pc-q35-7.1" },
        };
        QemuCaps caps = { .machines = machines, .n_machines = ELEMENTSOF(machines) };

        CHECK_STREQ(qemu_caps_canonical_machine(&caps, "q35"), "pc-q35-7.2");
        CHECK_STREQ(qemu_caps_canonical_machine(&caps, "pc"), "pc-i440fx-7.2");
        CHECK_STREQ(qemu_caps_canonical_machine(&caps, "pc-q35-7.2"), "pc-q35-7.2");
        CHECK_STREQ(qemu_caps_canonical_machine(&caps, "pc-q35-7.1"), "pc-q35-7.1");
        CHECK_STREQ(qemu_caps_canonical_machine(&caps, NULL), "pc-i440fx-7.2");
        CHECK(qemu_caps_canonical_machine(&caps, "virt") == NULL);
        CHECK(qemu_caps_canonical_machine(&caps, "Q35") == NULL);
        CHECK(qemu_caps_canonical_machine(NULL, "q35") == NULL);

        machines[1].is_default = false;
        CHECK(qemu_caps_canonical_machine(&caps, NULL) == NULL);

        /* unsorted, hand-built lists work too */
        char *devices[] = { (char *) "virtio-net-pci", (char *) "e1000", NULL };
        caps.device_types = devices;
        CHECK(qemu_caps_has_device(&caps, "e1000"));
        CHECK(qemu_caps_has_device(&caps, "virtio-net-pci"));
        CHECK(!qemu_caps_has_device(&caps, "virtio-blk-pci"));
        CHECK(!qemu_caps_has_cpu_model(&caps, "qemu64"));
}

static void check_caps_equal(const QemuCaps *a, const QemuCaps *b) {
        CHECK_STREQ(a->binary, b->binary);
        CHECK_INTEQ(a->binary_size, b->binary_size);
        CHECK_INTEQ(a->binary_mtime, b->binary_mtime);
        CHECK_INTEQ(a->version, b->version);
        CHECK(streq_ptr(a->package, b->package));
        CHECK(streq_ptr(a->arch, b->arch));
        CHECK_INTEQ(a->kvm_available, b->kvm_available);
        CHECK_INTEQ(a->n_machines, b->n_machines);
        for (size_t i = 0; i < MIN(a->n_machines, b->n_machines); i++) {
                CHECK_STREQ(a->machines[i].name, b->machines[i].name);
                CHECK(streq_ptr(a->machines[i].alias, b->machines[i].alias));
                CHECK_INTEQ(a->machines[i].is_default, b->machines[i].is_default);
                CHECK_INTEQ(a->machines[i].max_cpus, b->machines[i].max_cpus);
                CHECK_INTEQ(a->machines[i].deprecated, b->machines[i].deprecated);
        }
        CHECK_INTEQ(strv_length(a->cpu_deprecated), strv_length(b->cpu_deprecated));
        CHECK_INTEQ(strv_length(a->cpu_models), strv_length(b->cpu_models));
        CHECK_INTEQ(strv_length(a->device_types), strv_length(b->device_types));
        for (size_t i = 0; a->device_types && b->device_types && a->device_types[i] && b->device_types[i]; i++)
                CHECK_STREQ(a->device_types[i], b->device_types[i]);
        CHECK_INTEQ(a->blockdev_drivers_known, b->blockdev_drivers_known);
        CHECK_INTEQ(strv_length(a->blockdev_drivers), strv_length(b->blockdev_drivers));
}

static void test_caps_json_roundtrip(void) {
        _cleanup_(qemu_caps_freep) QemuCaps *caps = canned_caps(), *back = NULL, *minimal = NULL;
        _cleanup_free_ char *json = NULL, *json2 = NULL;
        QemuCaps *bad = NULL;

        CHECK(caps != NULL);
        if (!caps)
                return;
        caps->kvm_available = false;
        CHECK_INTEQ(qemu_caps_to_json(caps, &json), 0);
        CHECK_INTEQ(qemu_caps_from_json(json, &back), 0);
        if (!back)
                return;
        check_caps_equal(caps, back);
        /* a fixed point */
        CHECK_INTEQ(qemu_caps_to_json(back, &json2), 0);
        CHECK_STREQ(json, json2);

        /* A minimal one: no lists at all. */
        CHECK_INTEQ(qemu_caps_from_json("{\"format\": 3, \"binary\": \"/q\", \"version\": 7000000}", &minimal), 0);
        if (minimal) {
                CHECK_STREQ(minimal->binary, "/q");
                CHECK_INTEQ(minimal->n_machines, 0);
                CHECK(qemu_caps_canonical_machine(minimal, NULL) == NULL);
                CHECK(!qemu_caps_has_device(minimal, "e1000"));
                /* no word on blockdev-add: QEMU itself decides */
                CHECK(!minimal->blockdev_drivers_known);
                CHECK(qemu_caps_has_blockdev_driver(minimal, "sheepdog"));
        }

        CHECK_INTEQ(qemu_caps_from_json("not json", &bad), -EBADMSG);
        CHECK_INTEQ(qemu_caps_from_json("[]", &bad), -EBADMSG);
        /* another format: probe again */
        CHECK_INTEQ(qemu_caps_from_json("{\"format\": 99, \"binary\": \"/q\", \"version\": 7000000}", &bad), -ESTALE);
        CHECK_INTEQ(qemu_caps_from_json("{\"format\": 3, \"version\": 7000000}", &bad), -EBADMSG);
        CHECK_INTEQ(qemu_caps_from_json("{\"format\": 3, \"binary\": \"/q\", \"version\": \"7\"}", &bad), -EBADMSG);
        CHECK_INTEQ(qemu_caps_from_json("{\"format\": 3, \"binary\": \"/q\", \"version\": 7000000, "
                                        "\"machines\": [{\"alias\": \"q35\"}]}", &bad), -EBADMSG);
        CHECK_INTEQ(qemu_caps_from_json("{\"format\": 3, \"binary\": \"/q\", \"version\": 7000000, "
                                        "\"device_types\": [1, 2]}", &bad), -EBADMSG);
        CHECK(bad == NULL);
}

static void set_mtime(const char *path, time_t t) {
        struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };

        CHECK(utimensat(AT_FDCWD, path, ts, 0) >= 0);
}

static void test_caps_cache(void) {
        char dir[] = "/tmp/test-qemu-caps-XXXXXX";
        _cleanup_free_ char *binary = NULL, *other = NULL, *cachedir = NULL, *cache = NULL, *text = NULL;
        _cleanup_(qemu_caps_freep) QemuCaps *caps = canned_caps(), *loaded = NULL;
        QemuCaps *none = NULL;
        struct stat st;

        CHECK(caps != NULL);
        CHECK(mkdtemp(dir) != NULL);
        if (!caps)
                return;
        binary = path_join(dir, "qemu-system-fake");
        other = path_join(dir, "qemu-system-other");
        /* a directory that does not exist yet: save creates it */
        cachedir = path_join(dir, "cache/qemu");
        CHECK(write_file_atomic(binary, "ELF fake qemu", 13, 0755) >= 0);
        CHECK(write_file_atomic(other, "ELF other", 9, 0755) >= 0);
        set_mtime(binary, 1700000000);
        CHECK(stat(binary, &st) >= 0);

        free(caps->binary);
        caps->binary = strdup(binary);
        caps->binary_size = st.st_size;
        caps->binary_mtime = st.st_mtim.tv_sec;

        CHECK_INTEQ(qemu_caps_load_cache(cachedir, binary, &none), -ENOENT);
        CHECK_INTEQ(qemu_caps_save_cache(cachedir, caps), 0);

        /* <cachedir>/<16 hex digits>.json */
        cache = qemu_caps_cache_path(cachedir, binary);
        CHECK(cache != NULL && access(cache, R_OK) == 0);
        const char *base = strrchr(cache, '/') + 1;
        CHECK_INTEQ(strlen(base), 16 + 5);
        CHECK_INTEQ(strspn(base, "0123456789abcdef"), 16);
        CHECK(strcmp(base + 16, ".json") == 0);
        _cleanup_free_ char *cache_other = qemu_caps_cache_path(cachedir, other);
        CHECK(cache_other && !streq(cache, cache_other));

        /* hit */
        CHECK_INTEQ(qemu_caps_load_cache(cachedir, binary, &loaded), 0);
        if (loaded)
                check_caps_equal(caps, loaded);
        /* another binary has no entry */
        CHECK_INTEQ(qemu_caps_load_cache(cachedir, other, &none), -ENOENT);
        /* a missing binary cannot be looked up at all */
        CHECK_INTEQ(qemu_caps_load_cache(cachedir, "/nonexistent/qemu", &none), -ENOENT);

        /* mtime changed */
        set_mtime(binary, 1700000100);
        CHECK_INTEQ(qemu_caps_load_cache(cachedir, binary, &none), -ESTALE);
        set_mtime(binary, 1700000000);
        CHECK_INTEQ(qemu_caps_load_cache(cachedir, binary, &none), 0);
        qemu_caps_free(none);
        none = NULL;

        /* size changed, same mtime */
        CHECK(write_file_atomic(binary, "ELF fake qemu, rebuilt", 22, 0755) >= 0);
        set_mtime(binary, 1700000000);
        CHECK_INTEQ(qemu_caps_load_cache(cachedir, binary, &none), -ESTALE);
        CHECK(none == NULL);

        /* saved again after a new probe: a hit again */
        CHECK(stat(binary, &st) >= 0);
        caps->binary_size = st.st_size;
        CHECK_INTEQ(qemu_caps_save_cache(cachedir, caps), 0);
        CHECK_INTEQ(qemu_caps_load_cache(cachedir, binary, &none), 0);
        qemu_caps_free(none);
        none = NULL;

        /* the cache says /dev/kvm was usable when it was not (or the reverse) */
        CHECK(read_full_file(cache, 0, &text, NULL) >= 0);
        if (text) {
                bool kvm = access("/dev/kvm", R_OK | W_OK) == 0;
                char *p = strstr(text, kvm ? "\"kvm_device\": true" : "\"kvm_device\": false");

                CHECK(p != NULL);
                if (p) {
                        _cleanup_free_ char *flipped = NULL;

                        *p = 0;
                        CHECK(asprintf(&flipped, "%s\"kvm_device\": %s%s", text, kvm ? "false" : "true",
                                       p + strlen(kvm ? "\"kvm_device\": true" : "\"kvm_device\": false")) >= 0);
                        CHECK(write_file_atomic(cache, flipped, strlen(flipped), 0644) >= 0);
                        CHECK_INTEQ(qemu_caps_load_cache(cachedir, binary, &none), -ESTALE);
                }
        }

        /* a corrupt or truncated file is stale, not an error */
        CHECK(write_file_atomic(cache, "{\"format\": 3, \"bin", 18, 0644) >= 0);
        CHECK_INTEQ(qemu_caps_load_cache(cachedir, binary, &none), -ESTALE);
        /* a file for another path (hash collision, copied cache) */
        free(caps->binary);
        caps->binary = strdup(other);
        _cleanup_free_ char *json = NULL;
        CHECK_INTEQ(qemu_caps_to_json(caps, &json), 0);
        if (json)
                CHECK(write_file_atomic(cache, json, strlen(json), 0644) >= 0);
        CHECK_INTEQ(qemu_caps_load_cache(cachedir, binary, &none), -ESTALE);
        CHECK(none == NULL);

        unlink(cache);
        CHECK_INTEQ(qemu_caps_load_cache(cachedir, binary, &none), -ENOENT);

        unlink(binary);
        unlink(other);
        rmdir(cachedir);
        _cleanup_free_ char *cacheparent = path_join(dir, "cache");
        rmdir(cacheparent);
        rmdir(dir);
}

/* ---- real probes ---- */

typedef struct ProbeResult {
        sd_event *event;
        int r;
        unsigned calls;
        QemuCaps *caps;
} ProbeResult;

static void on_done(int r, QemuCaps *caps, void *userdata) {
        ProbeResult *res = userdata;

        res->calls++;
        res->r = r;
        qemu_caps_free(res->caps);
        res->caps = caps;
        CHECK((r >= 0) == (caps != NULL));
        sd_event_exit(res->event, 0);
}

static int on_test_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        fprintf(stderr, "  probe did not finish\n");
        unit_failed_checks++;
        sd_event_exit(sd_event_source_get_event(s), -ETIME);
        return 0;
}

static void run_until_done(ProbeResult *res) {
        sd_event_source *t = NULL;

        CHECK(sd_event_add_time_relative(res->event, &t, CLOCK_MONOTONIC, 40 * 1000000ULL, 1000,
                                         on_test_timeout, NULL) >= 0);
        CHECK(sd_event_loop(res->event) >= 0);
        sd_event_source_disable_unref(t);
}

static bool have_qemu(void) {
        return access(QEMU_BINARY, X_OK) == 0;
}

static void test_caps_probe_real(void) {
        ProbeResult res = { .r = 1 };
        uint64_t start, elapsed;

        if (!have_qemu())
                UNIT_SKIP(QEMU_BINARY " is not installed");

        CHECK(sd_event_new(&res.event) >= 0);
        start = now_usec(CLOCK_MONOTONIC);
        CHECK_INTEQ(qemu_caps_probe_async(res.event, QEMU_BINARY, NULL, on_done, &res), 0);
        CHECK_INTEQ(res.calls, 0); /* never from inside the call */
        run_until_done(&res);
        elapsed = now_usec(CLOCK_MONOTONIC) - start;

        CHECK_INTEQ(res.calls, 1);
        CHECK_INTEQ(res.r, 0);
        if (res.caps) {
                QemuCaps *c = res.caps;
                const char *q35 = qemu_caps_canonical_machine(c, "q35");
                struct stat st;

                fprintf(stderr, "  probed QEMU %u (%s) in %" PRIu64 " ms: %zu machines, %zu cpu models, "
                        "%zu device types, kvm %s, q35 = %s\n",
                        c->version, c->package, elapsed / 1000, c->n_machines, strv_length(c->cpu_models),
                        strv_length(c->device_types), c->kvm_available ? "yes" : "no", q35);
                CHECK_STREQ(c->binary, QEMU_BINARY);
                CHECK(stat(QEMU_BINARY, &st) >= 0);
                CHECK_INTEQ(c->binary_size, st.st_size);
                CHECK_INTEQ(c->binary_mtime, st.st_mtim.tv_sec);
                CHECK(c->version >= 7000000);
                CHECK_STREQ(c->arch, "x86_64");
                CHECK(q35 && strncmp(q35, "pc-q35-", 7) == 0);
                CHECK(qemu_caps_canonical_machine(c, NULL) != NULL);
                CHECK(qemu_caps_has_device(c, "virtio-blk-pci"));
                CHECK(qemu_caps_has_device(c, "virtio-net-pci"));
                CHECK(qemu_caps_has_device(c, "pcie-root-port"));
                CHECK(qemu_caps_has_cpu_model(c, "qemu64"));
                CHECK(c->blockdev_drivers_known);
                CHECK(qemu_caps_has_blockdev_driver(c, "nbd"));
                /* only when QEMU could use it, never by the mere presence of /dev/kvm */
                if (access("/dev/kvm", R_OK | W_OK) < 0)
                        CHECK(!c->kvm_available);
        }
        qemu_caps_free(res.caps);
        sd_event_unref(res.event);
}

static void test_caps_get_async(void) {
        char dir[] = "/tmp/test-qemu-caps-XXXXXX";
        ProbeResult res = { .r = 1 };
        _cleanup_free_ char *cache = NULL;

        if (!have_qemu())
                UNIT_SKIP(QEMU_BINARY " is not installed");

        CHECK(mkdtemp(dir) != NULL);
        CHECK(sd_event_new(&res.event) >= 0);

        /* miss: probed on the loop, then saved */
        CHECK_INTEQ(qemu_caps_get_async(res.event, QEMU_BINARY, dir, NULL, on_done, &res), 0);
        CHECK_INTEQ(res.calls, 0);
        run_until_done(&res);
        CHECK_INTEQ(res.calls, 1);
        CHECK_INTEQ(res.r, 0);
        cache = qemu_caps_cache_path(dir, QEMU_BINARY);
        CHECK(cache && access(cache, R_OK) == 0);

        /* hit: answered before the call returns */
        CHECK_INTEQ(qemu_caps_get_async(res.event, QEMU_BINARY, dir, NULL, on_done, &res), 0);
        CHECK_INTEQ(res.calls, 2);
        CHECK_INTEQ(res.r, 0);
        if (res.caps)
                CHECK(qemu_caps_has_device(res.caps, "virtio-blk-pci"));

        qemu_caps_free(res.caps);
        sd_event_unref(res.event);
        if (cache)
                unlink(cache);
        rmdir(dir);
}

static void test_caps_probe_failures(void) {
        ProbeResult res = { .r = 1 };

        CHECK(sd_event_new(&res.event) >= 0);
        CHECK_INTEQ(qemu_caps_probe_async(res.event, "/nonexistent/qemu", NULL, on_done, &res), -ENOENT);
        CHECK_INTEQ(qemu_caps_probe_async(res.event, "qemu-system-x86_64", NULL, on_done, &res), -EINVAL);
        CHECK_INTEQ(qemu_caps_probe_async(res.event, "/tmp", NULL, on_done, &res), -ENOEXEC);
        CHECK_INTEQ(res.calls, 0);

        /* Something that is not QEMU: starts, says nothing, exits. */
        if (access("/bin/false", X_OK) == 0) {
                int saved = log_get_max_level();

                log_set_max_level(saved < LOG_LEVEL_DEBUG ? -1 : saved); /* expected errors */
                CHECK_INTEQ(qemu_caps_probe_async(res.event, "/bin/false", NULL, on_done, &res), 0);
                run_until_done(&res);
                log_set_max_level(saved);
                CHECK_INTEQ(res.calls, 1);
                CHECK(res.r < 0);
                CHECK(res.caps == NULL);
        }
        sd_event_unref(res.event);
}

static void setup(void) __attribute__((constructor));
static void setup(void) {
        log_parse_environment();
}

UNIT_TESTS(test_caps_from_replies, test_caps_canonical_machine, test_caps_json_roundtrip, test_caps_cache,
           test_caps_probe_real, test_caps_get_async, test_caps_probe_failures)
