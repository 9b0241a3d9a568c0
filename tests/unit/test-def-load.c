/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pieces a daemon's start uses to load many definitions quickly: the
 * directory listing asked once (def_dir_list_names), files read relative to
 * an open directory, and documents parsed as one batch. Each must give what
 * the one-at-a-time way gives. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "def-dir.h"
#include "domain-conf.h"
#include "unit.h"
#include "util.h"
#include "xml-util.h"

static const char GOOD[] =
        "<domain type='qemu'>\n"
        "  <name>batch</name>\n"
        "  <uuid>6f8cbd53-8cd5-4f1d-9fa4-2d3a6ad1f1a5</uuid>\n"
        "  <memory unit='MiB'>64</memory>\n"
        "  <vcpu>1</vcpu>\n"
        "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
        "  <devices>\n"
        "    <controller type='pci' index='0' model='pcie-root'/>\n"
        "    <controller type='sata' index='0'>\n"
        "      <address type='pci' domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/>\n"
        "    </controller>\n"
        "  </devices>\n"
        "</domain>\n";

static const char DOCTYPE[] =
        "<!DOCTYPE domain [<!ENTITY x 'y'>]>\n<domain><name>&x;</name></domain>\n";
static const char MALFORMED[] = "<domain><name>broken</domain>\n";
static const char WRONG_ROOT[] = "<network><name>n</name></network>\n";

/* The formatted definition, or the error message, of one document. */
static char *outcome(const char *xml) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        char *s = NULL;

        if (domain_def_parse(xml, strlen(xml), &def, &err) < 0)
                return strdup(err.message);
        if (domain_def_format(def, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE, &s) < 0)
                return NULL;
        return s;
}

static void test_batch_same_outcomes(void) {
        const char *docs[] = { GOOD, DOCTYPE, GOOD, MALFORMED, GOOD, WRONG_ROOT, GOOD, GOOD };
        char *alone[8], *batched[8];

        for (size_t i = 0; i < 8; i++)
                alone[i] = outcome(docs[i]);
        xml_read_batch_begin();
        for (size_t i = 0; i < 8; i++)
                batched[i] = outcome(docs[i]);
        xml_read_batch_end();
        for (size_t i = 0; i < 8; i++) {
                CHECK(alone[i] != NULL);
                CHECK_STREQ(batched[i], alone[i]);
                free(alone[i]);
                free(batched[i]);
        }
        /* after the batch, one at a time again */
        alone[0] = outcome(GOOD);
        CHECK(alone[0] && strstr(alone[0], "<name>batch</name>"));
        free(alone[0]);
        /* a batch that parsed nothing ends cleanly */
        xml_read_batch_begin();
        xml_read_batch_end();
}

static void test_list_names(void) {
        char dir[] = "/tmp/test-def-load.XXXXXX";
        _cleanup_strv_free_ char **names = NULL;
        const char *files[] = { "b.xml", "a.xml", "c.xml.bak", ".xml", "notes", "a-b.xml" };
        size_t n;

        CHECK(mkdtemp(dir) != NULL);
        for (size_t i = 0; i < 6; i++) {
                _cleanup_free_ char *p = path_join(dir, files[i]);

                CHECK(write_file_atomic(p, "x", 1, 0600) >= 0);
        }
        CHECK_INTEQ(def_dir_list_names(dir, &names), 0);
        n = strv_length(names);
        CHECK_INTEQ(n, 3);
        if (n == 3) {
                CHECK_STREQ(names[0], "a");
                CHECK_STREQ(names[1], "a-b");
                CHECK_STREQ(names[2], "b");
        }
        CHECK(def_dir_listed(names, n, "a"));
        CHECK(def_dir_listed(names, n, "b"));
        CHECK(def_dir_listed(names, n, "a-b"));
        CHECK(!def_dir_listed(names, n, "c"));
        CHECK(!def_dir_listed(names, n, "c.xml"));
        CHECK(!def_dir_listed(names, n, ""));
        for (size_t i = 0; i < 6; i++) {
                _cleanup_free_ char *p = path_join(dir, files[i]);

                CHECK(unlink(p) == 0);
        }
        strv_free(TAKE_PTR(names));
        CHECK_INTEQ(def_dir_list_names(dir, &names), 0);
        CHECK(names && !names[0]);
        CHECK(!def_dir_listed(names, 0, "a"));
        CHECK(rmdir(dir) == 0);
        CHECK_INTEQ(def_dir_list_names(dir, &names), -ENOENT);
}

static void test_read_at(void) {
        char dir[] = "/tmp/test-def-load.XXXXXX";
        _cleanup_free_ char *p = NULL, *path1 = NULL, *xml1 = NULL, *path2 = NULL, *xml2 = NULL;
        size_t len1 = 0, len2 = 0;
        int dfd;

        CHECK(mkdtemp(dir) != NULL);
        p = path_join(dir, "d.xml");
        CHECK(write_file_atomic(p, GOOD, strlen(GOOD), 0600) >= 0);
        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(dfd >= 0);
        CHECK_INTEQ(def_dir_read(dir, "d.xml", &path1, &xml1, &len1), 0);
        CHECK_INTEQ(def_dir_read_at(dfd, dir, "d.xml", &path2, &xml2, &len2), 0);
        CHECK_STREQ(path1, p);
        CHECK_STREQ(path2, p);
        CHECK_STREQ(xml1, GOOD);
        CHECK_STREQ(xml2, GOOD);
        CHECK_INTEQ(len1, strlen(GOOD));
        CHECK_INTEQ(len2, strlen(GOOD));
        free(TAKE_PTR(path2));
        CHECK(def_dir_read_at(dfd, dir, "missing.xml", &path2, &xml2, &len2) == -ENOENT);
        close(dfd);
        CHECK(unlink(p) == 0);
        CHECK(rmdir(dir) == 0);
}

/* xml_path_join() gives what snprintf gives, cut included. */
static void test_path_join(void) {
        const char *parents[] = { NULL, "", "devices", "devices/controller" };
        const char *names[] = { "", "disk", "address" };
        size_t sizes[] = { 1, 2, 5, 8, 9, 12, 20, 64 };

        for (size_t p = 0; p < 4; p++)
                for (size_t n = 0; n < 3; n++)
                        for (size_t z = 0; z < 8; z++) {
                                char got[64], want[64];

                                memset(got, 'x', sizeof(got));
                                xml_path_join(got, sizes[z], parents[p], names[n]);
                                if (!parents[p] || !*parents[p])
                                        snprintf(want, sizes[z], "%s", names[n]);
                                else
                                        snprintf(want, sizes[z], "%s/%s", parents[p], names[n]);
                                CHECK_STREQ(got, want);
                        }
}

static int count_load(void *userdata, const char *file, uint64_t ino) {
        (*(int *) userdata)++;
        return 0;
}

/* The one listing of the definitions at start also removes what a killed
 * writer left there and in the folders below (autostart/), as
 * remove_stale_temporaries() would: the daemon does not list it again. */
static void test_load_removes_temporaries(void) {
        char dir[] = "/tmp/test-def-load.XXXXXX", name[64];
        _cleanup_free_ char *sub = NULL, *dead = NULL, *deep = NULL, *ours = NULL, *keep = NULL;
        pid_t gone = fork();
        int loaded = 0;

        if (gone == 0)
                _exit(0);
        CHECK(waitpid(gone, NULL, 0) == gone);
        CHECK(mkdtemp(dir) != NULL);
        sub = path_join(dir, "autostart");
        CHECK(mkdir(sub, 0755) == 0);
        snprintf(name, sizeof(name), "vm1.xml.tmp.%d", (int) gone);
        dead = path_join(dir, name);
        deep = path_join(sub, name);
        snprintf(name, sizeof(name), "vm2.xml.tmp.%d", (int) getpid());
        ours = path_join(dir, name);
        keep = path_join(dir, "vm1.xml");
        CHECK(write_file_atomic(dead, "x", 1, 0600) >= 0 && write_file_atomic(deep, "x", 1, 0600) >= 0);
        CHECK(write_file_atomic(ours, "x", 1, 0600) >= 0 && write_file_atomic(keep, "x", 1, 0600) >= 0);
        CHECK_INTEQ(def_dir_load_ino(dir, count_load, &loaded), 0);
        CHECK_INTEQ(loaded, 1);
        CHECK(access(dead, F_OK) < 0 && access(deep, F_OK) < 0);
        CHECK(access(ours, F_OK) == 0 && access(keep, F_OK) == 0);
        CHECK(unlink(ours) == 0 && unlink(keep) == 0);
        CHECK(rmdir(sub) == 0 && rmdir(dir) == 0);
}

UNIT_TESTS(test_batch_same_outcomes, test_list_names, test_read_at, test_path_join,
           test_load_removes_temporaries)
