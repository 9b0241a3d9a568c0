/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The AppArmor profile generator (common/security/apparmor-profile.c):
 * golden profiles for the fixtures in tests/data/apparmor, path quoting,
 * unsafe paths refused.
 *
 *   test-security-apparmor                      run the tests
 *   test-security-apparmor --print-apparmor-profile FILE.xml
 *                                               print FILE's profile (for
 *                                               tests/integration/test_apparmor.py
 *                                               and to write a golden file) */

#include <errno.h>

#include "domain-test.h"
#include "security/apparmor-load.h"
#include "security/apparmor-profile.h"

/* The run paths qemud gives a guest on a system install
 * (<rundir>/<name>.monitor, .pid; see status_path()). */
typedef struct TestRun {
        char *monitor, *pidfile, *log;
        const char *hugepages[1];
        AppArmorRunPaths paths;
} TestRun;

static void test_run_init(TestRun *t, const DomainDef *def) {
        bool container = def->os.type && strcmp(def->os.type, "exe") == 0;
        const char *driver = container ? "lxc" : "qemu";

        *t = (TestRun) {};
        /* A container has no monitor. */
        if ((!container && asprintf(&t->monitor, "/run/virtbus/%s/%s.monitor", driver, def->name) < 0) ||
            asprintf(&t->pidfile, "/run/virtbus/%s/%s.pid", driver, def->name) < 0 ||
            asprintf(&t->log, "/var/log/virtbus/%s/%s.log", driver, def->name) < 0)
                abort();
        t->hugepages[0] = "/dev/hugepages";
        t->paths = (AppArmorRunPaths) {
                .monitor = t->monitor,
                .pidfile = t->pidfile,
                .log = t->log,
                .rundir = container ? NULL : "/run/virtbus/qemu",
                .hugepage_dirs = t->hugepages,
                .n_hugepage_dirs = def->memory_backing.hugepages ? 1 : 0,
        };
}

static void test_run_done(TestRun *t) {
        free(t->monitor);
        free(t->pidfile);
        free(t->log);
}

static int profile_of_file(const char *path, char **ret, ConfError *err) {
        _cleanup_free_ char *xml = read_file(path);
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        TestRun run;
        int r;

        if (!xml) {
                conf_error_set(err, VB_ERROR_SYSTEM, "cannot read %s", path);
                return -errno;
        }
        r = domain_def_parse(xml, strlen(xml), &def, err);
        if (r < 0)
                return r;
        test_run_init(&run, def);
        r = apparmor_profile_build(def, &run.paths, ret, err);
        test_run_done(&run);
        return r;
}

static char *apparmor_data(const char *file) {
        char *p;

        if (asprintf(&p, "%s/../apparmor/%s", data_dir(), file) < 0)
                abort();
        return p;
}

static void check_golden(const char *name) {
        _cleanup_free_ char *xml = NULL, *golden = NULL, *want = NULL, *got = NULL;
        ConfError err = {};
        char file[256];

        snprintf(file, sizeof(file), "%s.xml", name);
        xml = apparmor_data(file);
        snprintf(file, sizeof(file), "%s.profile", name);
        golden = apparmor_data(file);
        want = read_file(golden);
        CHECK(want);
        CHECK_INTEQ(profile_of_file(xml, &got, &err), 0);
        if (!got)
                fprintf(stderr, "  %s: %s\n", name, err.message);
        CHECK_STREQ(got, want);
}

static void test_golden_plain(void) {
        check_golden("plain");
}

static void test_golden_chain_cdrom_readonly_shareable(void) {
        check_golden("chain");
}

static void test_golden_kernel_nvram_chardevs_hugepages(void) {
        check_golden("boot");
}

static void test_golden_path_with_spaces_quotes_globs(void) {
        check_golden("spaces");
}

static void test_unsafe_path_refused(void) {
        _cleanup_free_ char *xml = apparmor_data("unsafe-dotdot.xml"), *got = NULL;
        ConfError err = {};

        CHECK_INTEQ(profile_of_file(xml, &got, &err), -EINVAL);
        CHECK(!got);
        CHECK_STREQ(err.name, VB_ERROR_INVALID_ARG);
        CHECK_CONTAINS(err.message, "disk 'vdb'");
        CHECK_CONTAINS(err.message, "'/var/lib/virtbus/images/../../../etc/shadow'");
        CHECK_CONTAINS(err.message, "'..' component");
}

static void test_quote_path(void) {
        static const struct {
                const char *path, *quoted, *why;
        } cases[] = {
                { "/var/lib/a.img", "\"/var/lib/a.img\"", NULL },
                { "/var/lib/my disk.img", "\"/var/lib/my disk.img\"", NULL },
                { "/a/*?[x]{y}^\\z", "\"/a/\\*\\?\\[x\\]\\{y\\}\\^\\\\z\"", NULL },
                { "/a/@{HOME}", "\"/a/@\\{HOME\\}\"", NULL },
                { "/a/x..y/..z", "\"/a/x..y/..z\"", NULL },
                { "relative.img", NULL, "not an absolute path" },
                { "", NULL, "not an absolute path" },
                { "/a/\"b\" c", "\"/a/\\\"b\\\" c\"", NULL },
                { "/a/b\nc", NULL, "newline" },
                { "/a/b\tc", NULL, "control character" },
                { "/a/../etc/shadow", NULL, "'..'" },
                { "/a/..", NULL, "'..'" },
        };

        for (size_t i = 0; i < ELEMENTS_OF_(cases); i++) {
                _cleanup_free_ char *q = NULL;
                const char *why = NULL;
                int r = apparmor_quote_path(cases[i].path, &q, &why);

                if (cases[i].quoted) {
                        CHECK_INTEQ(r, 0);
                        CHECK_STREQ(q, cases[i].quoted);
                } else {
                        CHECK_INTEQ(r, -EINVAL);
                        CHECK(!q);
                        CHECK_CONTAINS(why, cases[i].why);
                }
        }
}

/* Every path of the definition is checked, not only disks: a chardev's. */
static void test_unsafe_chardev_refused(void) {
        static const char xml[] =
                "<domain type='kvm'><name>c</name><uuid>12345678-1234-1234-1234-123456789abc</uuid>"
                "<memory unit='MiB'>64</memory><os><type>hvm</type></os><devices>"
                "<serial type='file'><source path='/var/log/../etc/x.log'/><target port='0'/></serial>"
                "</devices></domain>";
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *got = NULL;
        ConfError err = {};

        if (domain_def_parse(xml, strlen(xml), &def, &err) < 0)
                UNIT_SKIP("the parser refuses a '..' in a path already");
        CHECK_INTEQ(apparmor_profile_build(def, NULL, &got, &err), -EINVAL);
        CHECK(!got);
        CHECK_CONTAINS(err.message, "character device");
        CHECK_CONTAINS(err.message, "'..' component");
}

static char *fake_resolve(const char *path, void *userdata) {
        (*(int *) userdata)++;
        return strcmp(path, "/dev/mapper/base") == 0 ? strdup("/dev/dm-3") : strdup(path);
}

/* A symlinked block device gets a rule for what it resolves to as well. */
static void test_resolved_paths(void) {
        _cleanup_free_ char *xml = apparmor_data("chain.xml"), *text = NULL, *got = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        int calls = 0;
        const char *extra[] = { "/run/virtbus/qemu/chain.save.fifo", "/tmp/a/../b" };
        AppArmorRunPaths run = { .resolve = fake_resolve, .userdata = &calls, .extra_rw = extra, .n_extra_rw = 1 };

        text = read_file(xml);
        CHECK(text);
        CHECK_INTEQ(domain_def_parse(text, strlen(text), &def, &err), 0);
        if (!def)
                return;
        CHECK_INTEQ(apparmor_profile_build(def, &run, &got, &err), 0);
        CHECK_CONTAINS(got, "  \"/dev/mapper/base\" rk,\n  \"/dev/dm-3\" rk,\n");
        CHECK(calls >= 6);
        CHECK_NOT_CONTAINS(got, ".pid");
        CHECK_CONTAINS(got, "  \"/run/virtbus/qemu/chain.save.fifo\" rw,\n}\n");
        /* An unsafe one is refused like any other path. */
        free(got);
        got = NULL;
        run.n_extra_rw = 2;
        CHECK_INTEQ(apparmor_profile_build(def, &run, &got, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "a file handed to QEMU");
}

static void test_profile_name(void) {
        uint8_t uuid[16] = { 0x66, 0x95, 0xeb, 0x01, 0xf6, 0xa4, 0x83, 0x04,
                             0x79, 0xaa, 0x97, 0xf2, 0x50, 0x2e, 0x19, 0x3f };
        char buf[APPARMOR_PROFILE_NAME_MAX];

        CHECK_STREQ(apparmor_profile_name(uuid, buf), "libvirt-6695eb01-f6a4-8304-79aa-97f2502e193f");
}

static const char *find_parser(void) {
        static const char *const paths[] = { "/sbin/apparmor_parser", "/usr/sbin/apparmor_parser" };

        for (size_t i = 0; i < ELEMENTS_OF_(paths); i++)
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        return NULL;
}

/* Load, replace and remove, through the real parser but without the
 * kernel (--skip-kernel-load): these hosts have no AppArmor. */
static void test_load_replace_remove(void) {
        _cleanup_free_ char *xml = apparmor_data("boot.xml"), *text = NULL, *inc = NULL;
        char dir[] = "/tmp/vb-apparmor-XXXXXX", path[64], msg[512];
        AppArmorLoader l = { .parser = find_parser(), .skip_kernel_load = true };
        ConfError err = {};

        if (!l.parser)
                UNIT_SKIP("apparmor_parser is not installed (the apparmor package)");
        if (asprintf(&inc, "%s/../../../units/apparmor", data_dir()) < 0 || !mkdtemp(dir))
                abort();
        l.include_dir = inc;
        snprintf(path, sizeof(path), "%s/libvirt-test", dir);
        CHECK_INTEQ(profile_of_file(xml, &text, &err), 0);
        CHECK_INTEQ(apparmor_profile_load(&l, path, text, msg, sizeof(msg)), 0);
        CHECK_INTEQ(access(path, F_OK), 0);
        /* Again: a replace. */
        CHECK_INTEQ(apparmor_profile_load(&l, path, text, msg, sizeof(msg)), 0);
        /* A profile the parser refuses: its words come back. */
        CHECK_INTEQ(apparmor_profile_load(&l, path, "profile x {\n  no such rule,\n}\n", msg, sizeof(msg)), -EINVAL);
        CHECK(msg[0]);
        /* ... and leaves the loaded one's file as it was. */
        {
                _cleanup_free_ char *kept = read_file(path);
                CHECK_STREQ(kept, text);
        }
        CHECK_INTEQ(apparmor_profile_remove(&l, path, msg, sizeof(msg)), 0);
        CHECK(access(path, F_OK) < 0);
        /* Removing what is not there is no error. */
        CHECK_INTEQ(apparmor_profile_remove(&l, path, msg, sizeof(msg)), 0);
        /* A parser that is not there: said so. */
        l.parser = "/nonexistent/apparmor_parser";
        CHECK(apparmor_profile_load(&l, path, text, msg, sizeof(msg)) < 0);
        CHECK(strstr(msg, "/nonexistent/apparmor_parser"));
        (void) unlink(path);
        CHECK_INTEQ(rmdir(dir), 0);
}

static void test_change_onexec(void) {
        CHECK_INTEQ(apparmor_change_onexec("libvirt-x\nchangeprofile y"), -EINVAL);
        CHECK_INTEQ(apparmor_change_onexec(""), -EINVAL);
        if (apparmor_enabled())
                UNIT_SKIP("AppArmor is on here: not changing this test's own confinement");
        /* Without AppArmor in the kernel the attribute refuses or is absent. */
        CHECK(apparmor_change_onexec("libvirt-11111111-2222-3333-4444-555555555555") < 0);
}

static int print_profile(const char *path) {
        _cleanup_free_ char *text = NULL;
        ConfError err = {};
        int r = profile_of_file(path, &text, &err);

        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, err.message[0] ? err.message : strerror(-r));
                return 1;
        }
        fputs(text, stdout);
        return 0;
}

int main(int argc, char **argv) {
        unit_test_fn tests[] = {
                test_golden_plain,
                test_golden_chain_cdrom_readonly_shareable,
                test_golden_kernel_nvram_chardevs_hugepages,
                test_golden_path_with_spaces_quotes_globs,
                test_unsafe_path_refused,
                test_quote_path,
                test_unsafe_chardev_refused,
                test_resolved_paths,
                test_profile_name,
                test_load_replace_remove,
                test_change_onexec,
        };

        if (argc == 3 && strcmp(argv[1], "--print-apparmor-profile") == 0)
                return print_profile(argv[2]);
        return unit_run(__FILE__,
                        "test_golden_plain, test_golden_chain_cdrom_readonly_shareable, "
                        "test_golden_kernel_nvram_chardevs_hugepages, test_golden_path_with_spaces_quotes_globs, "
                        "test_unsafe_path_refused, test_quote_path, test_unsafe_chardev_refused, "
                        "test_resolved_paths, test_profile_name, test_load_replace_remove, test_change_onexec",
                        tests, ELEMENTS_OF_(tests));
}
