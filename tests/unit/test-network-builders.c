/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* networkd's pure builders against golden files in tests/data/network:
 *   NAME.dnsmasq  dnsmasq's configuration, DHCP hosts file and DNS hosts file
 *                 of NAME.xml (none for a network that runs no dnsmasq);
 *   NAME.nft      the nftables table with NAME.xml as the only network;
 *   all.nft       the table with every network at once (isolation between them).
 * REGENERATE=1 rewrites them; a golden file without its XML fails (orphan).
 * Also: reading dnsmasq's lease file. */
#include <dirent.h>
#include <sched.h>

#include "dnsmasq-conf.h"
#include "nft-ruleset.h"
#include "process.h"
#include "unit.h"
#include "util.h"

static const char *data_dir(void) {
        return access("tests/data/network", F_OK) == 0 ? "tests/data/network" : "../../tests/data/network";
}

static bool regenerate(void) {
        return getenv("REGENERATE") && streq(getenv("REGENERATE"), "1");
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int list_files(const char *suffix, char ***ret) {
        _cleanup_(closedirp) DIR *d = opendir(data_dir());
        _cleanup_strv_free_ char **l = NULL;
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name), s = strlen(suffix);
                if (n > s && streq(de->d_name + n - s, suffix) && strv_extend(&l, de->d_name) < 0)
                        return -ENOMEM;
        }
        /* a stable order: the golden all.nft depends on it */
        if (l)
                qsort(l, strv_length(l), sizeof(char *), strcmp_ptr);
        *ret = TAKE_PTR(l);
        return 0;
}

static NetworkDef *load(const char *name) {
        _cleanup_free_ char *path = NULL, *xml = NULL;
        NetworkDef *def = NULL;
        ConfError err = {};

        if (asprintf(&path, "%s/%s", data_dir(), name) < 0 || read_full_file(path, 0, &xml, NULL) < 0)
                return NULL;
        if (network_def_parse(xml, strlen(xml), &def, &err) < 0)
                fprintf(stderr, "  %s: %s\n", name, err.message);
        return def;
}

static void report_difference(const char *file, const char *got, const char *want) {
        size_t line = 1;
        const char *g = got, *w = want;

        while (*g && *g == *w) {
                if (*g == '\n')
                        line++;
                g++;
                w++;
        }
        fprintf(stderr, "  %s: differs from the golden file at line %zu:\n    got:  %.*s\n    want: %.*s\n", file,
                line, (int) strcspn(g, "\n"), g, (int) strcspn(w, "\n"), w);
}

/* Compares text with the golden file (NULL text: there must be none). */
static void check_golden(const char *file, const char *text) {
        _cleanup_free_ char *path = NULL, *want = NULL;
        int r;

        CHECK(asprintf(&path, "%s/%s", data_dir(), file) >= 0);
        if (!path)
                return;
        if (regenerate()) {
                if (text)
                        CHECK(write_file_atomic(path, text, strlen(text), 0644) == 0);
                else
                        (void) unlink_if_exists(path);
                return;
        }
        r = read_full_file(path, 0, &want, NULL);
        if (!text) {
                if (r >= 0)
                        fprintf(stderr, "  %s exists, but nothing is built for it\n", path);
                CHECK(r == -ENOENT);
                return;
        }
        if (r < 0)
                fprintf(stderr, "  %s: missing golden file (run with REGENERATE=1)\n", path);
        CHECK(r == 0);
        if (r == 0 && !streq(text, want))
                report_difference(file, text, want);
        CHECK(r == 0 && streq(text, want));
}

static char *dnsmasq_text(const NetworkDef *def) {
        char pid[256], leases[256], hosts[256], addn[256];
        _cleanup_free_ char *conf = NULL, *h = NULL, *a = NULL;
        DnsmasqPaths p = { pid, leases, hosts, addn };
        char *text = NULL;

        if (!dnsmasq_needed(def))
                return NULL;
        snprintf(pid, sizeof(pid), "/run/virtbus/network/%s.pid", def->name);
        snprintf(leases, sizeof(leases), "/var/lib/virtbus/network/%s.leases", def->name);
        snprintf(hosts, sizeof(hosts), "/run/virtbus/network/%s.hostsfile", def->name);
        snprintf(addn, sizeof(addn), "/run/virtbus/network/%s.addnhosts", def->name);
        CHECK(dnsmasq_build_config(def, &p, &conf) == 0);
        CHECK(dnsmasq_build_hostsfile(def, &h) == 0);
        CHECK(dnsmasq_build_addnhosts(def, &a) == 0);
        if (!conf || !h || !a || asprintf(&text, "%s##### %s\n%s##### %s\n%s", conf, hosts, h, addn, a) < 0)
                return NULL;
        return text;
}

static void test_golden_files(void) {
        _cleanup_strv_free_ char **xmls = NULL, **goldens = NULL, **nfts = NULL;
        NetworkDef *defs[64] = {};
        size_t n = 0;

        CHECK(list_files(".xml", &xmls) == 0);
        CHECK(strv_length(xmls) >= 6);
        for (char **x = xmls; x && *x && n < ELEMENTSOF(defs); x++) {
                _cleanup_free_ char *stem = strndup(*x, strlen(*x) - 4), *dfile = NULL, *nfile = NULL;
                _cleanup_free_ char *dtext = NULL, *ntext = NULL;
                NetworkDef *def = load(*x);

                CHECK(def);
                if (!def || !stem)
                        continue;
                defs[n++] = def;
                CHECK(asprintf(&dfile, "%s.dnsmasq", stem) >= 0 && asprintf(&nfile, "%s.nft", stem) >= 0);
                dtext = dnsmasq_text(def);
                check_golden(dfile, dtext);
                CHECK(nft_build_ruleset((const NetworkDef *const *) &def, 1, &ntext) == 0);
                check_golden(nfile, ntext);
        }
        {
                _cleanup_free_ char *all = NULL;
                CHECK(nft_build_ruleset((const NetworkDef *const *) defs, n, &all) == 0);
                check_golden("all.nft", all);
        }
        /* golden files whose XML is gone test nothing */
        CHECK(list_files(".dnsmasq", &goldens) == 0 && list_files(".nft", &nfts) == 0);
        for (int pass = 0; pass < 2; pass++)
                for (char **g = pass ? nfts : goldens; g && *g; g++) {
                        _cleanup_free_ char *x = NULL;
                        size_t suffix = pass ? 4 : 8;

                        if (pass && streq(*g, "all.nft"))
                                continue;
                        CHECK(asprintf(&x, "%.*s.xml", (int) (strlen(*g) - suffix), *g) >= 0);
                        if (x && !strv_contains(xmls, x)) {
                                fprintf(stderr, "  orphan golden file %s/%s\n", data_dir(), *g);
                                CHECK(!"orphan golden file");
                        }
                }
        for (size_t i = 0; i < n; i++)
                network_def_free(defs[i]);
}

static void test_empty_ruleset(void) {
        _cleanup_free_ char *text = NULL;

        /* no network: the table is removed and nothing else */
        CHECK(nft_build_ruleset(NULL, 0, &text) == 0);
        CHECK(text && strstr(text, "delete table inet virtbus\n") && !strstr(text, "chain"));
}

static void test_leases(void) {
        static const char text[] =
                "1795311748 52:54:00:00:00:07 192.168.122.7 web 01:52:54:00:00:00:07\n"
                "0 52:54:00:00:00:08 192.168.122.8 * *\n"
                "garbage\n"
                "duid 00:01:00:01:2c:11:22:33:52:54:00:aa:bb:cc\n"
                "1795311999 1234 2001:db8::5 six 00:03:00:01:52:54:00:00:00:09\n";
        _cleanup_free_ DnsmasqLease *l = NULL;
        size_t n = 0;

        CHECK(dnsmasq_parse_leases(text, &l, &n) == 0);
        CHECK_INTEQ(n, 3);
        if (n != 3)
                return;
        CHECK(l[0].expiry == 1795311748 && l[0].type == 0);
        CHECK_STREQ(l[0].mac, "52:54:00:00:00:07");
        CHECK_STREQ(l[0].ip, "192.168.122.7");
        CHECK_STREQ(l[0].hostname, "web");
        CHECK_STREQ(l[0].clientid, "01:52:54:00:00:00:07");
        CHECK(l[1].expiry == 0);
        CHECK_STREQ(l[1].hostname, "");
        CHECK_STREQ(l[1].clientid, "");
        CHECK(l[2].type == 1);
        CHECK_STREQ(l[2].iaid, "1234");
        CHECK_STREQ(l[2].mac, "");
        CHECK_STREQ(l[2].ip, "2001:db8::5");
        l = mfree(l);
        CHECK(dnsmasq_parse_leases("", &l, &n) == 0 && n == 0);
}

/* The real tools accept every golden file: nft checks the rulesets (in a
 * network namespace of this test's own, so that nothing reaches the host's
 * tables) and dnsmasq the configurations. */
static void check_tool(char *const argv[], const char *file) {
        _cleanup_free_ char *out = NULL;
        int status = -1;

        CHECK(process_run(argv, &out, &status) == 0);
        if (status != 0)
                fprintf(stderr, "  %s rejects %s: %s\n", argv[0], file, out ? out : "");
        CHECK(status == 0);
}

static void test_tools_accept_golden_files(void) {
        _cleanup_strv_free_ char **nfts = NULL, **confs = NULL;

        if (access("/usr/sbin/nft", X_OK) < 0 || access("/usr/sbin/dnsmasq", X_OK) < 0)
                UNIT_SKIP("nft or dnsmasq is not installed");
        if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
                UNIT_SKIP("needs root for a network namespace of its own");
        CHECK(list_files(".nft", &nfts) == 0 && list_files(".dnsmasq", &confs) == 0);
        for (char **f = nfts; f && *f; f++) {
                _cleanup_free_ char *path = path_join(data_dir(), *f);
                char *argv[] = { (char *) "/usr/sbin/nft", (char *) "-c", (char *) "-f", path, NULL };
                check_tool(argv, *f);
        }
        for (char **f = confs; f && *f; f++) {
                _cleanup_free_ char *path = path_join(data_dir(), *f), *text = NULL, *arg = NULL;
                char tmp[] = "/tmp/test-network-dnsmasq-XXXXXX";
                int fd = mkstemp(tmp);

                CHECK(fd >= 0 && path && read_full_file(path, 0, &text, NULL) == 0);
                if (fd < 0 || !text)
                        continue;
                /* the configuration is what comes before the hosts files */
                *strstr(text, "#####") = 0;
                CHECK(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
                close(fd);
                CHECK(asprintf(&arg, "--conf-file=%s", tmp) >= 0);
                char *argv[] = { (char *) "/usr/sbin/dnsmasq", (char *) "--test", arg, NULL };
                check_tool(argv, *f);
                unlink(tmp);
        }
}

UNIT_TESTS(test_golden_files, test_empty_ruleset, test_leases, test_tools_accept_golden_files)
