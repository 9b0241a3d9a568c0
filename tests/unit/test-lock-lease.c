/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockd: lease hashing, lock semantics between owners and between two lease
 * tables sharing a lockspace (two lockd instances), state round trip, conf. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "error.h"
#include "lease-record.h"
#include "lease.h"
#include "lock-state.h"
#include "lockd-conf.h"
#include "sha256.h"
#include "unit.h"
#include "util.h"

#define U1 "6695eb01-f6a4-8304-79aa-97f2502e193f"
#define U2 "1111eb01-f6a4-8304-79aa-97f2502e193f"

static char tmpdir[] = "/tmp/test-lock-XXXXXX";
static char *lockspace;

static void setup(void) {
        static bool done;

        if (done)
                return;
        done = true;
        if (!mkdtemp(tmpdir))
                abort();
        lockspace = path_join(tmpdir, "lockspace");
}

static void test_sha256_vectors(void) {
        static const char *const vec[][2] = {
                { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
                { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
                { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        };
        char hex[SHA256_HEX_SIZE];

        for (size_t i = 0; i < ELEMENTSOF(vec); i++)
                CHECK_STREQ(sha256_hex(vec[i][0], hex), vec[i][1]);
}

static void test_sha256_incremental(void) {
        /* One million 'a' fed in odd-sized pieces crosses every block boundary case. */
        static const uint8_t want[SHA256_DIGEST_SIZE] = {
                0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
                0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0,
        };
        uint8_t d[SHA256_DIGEST_SIZE], chunk[997];
        Sha256 s;
        size_t left = 1000000;

        memset(chunk, 'a', sizeof(chunk));
        sha256_init(&s);
        while (left > 0) {
                size_t n = MIN(left, sizeof(chunk));
                sha256_update(&s, chunk, n);
                left -= n;
        }
        sha256_final(&s, d);
        CHECK(memcmp(d, want, sizeof(d)) == 0);
}

static void test_lease_file_name(void) {
        LeaseTable *t = NULL;
        Resource *r;
        _cleanup_free_ char *file = NULL;
        char hex[SHA256_HEX_SIZE], want[4096];

        setup();
        CHECK(lease_table_new(lockspace, NULL, &t) == 0);
        r = calloc(1, sizeof(Resource) + 32);
        strcpy(r->path, "/var/lib/images/vm1.qcow2");
        file = lease_file_path(t, r);
        snprintf(want, sizeof(want), "%s/%s", lockspace, sha256_hex("/var/lib/images/vm1.qcow2", hex));
        CHECK_STREQ(file, want);
        r->direct = true;
        free(file);
        file = lease_file_path(t, r);
        CHECK_STREQ(file, "/var/lib/images/vm1.qcow2");
        free(r);
        lease_table_free(t);
}

static LeaseRequest req(const char *path, const char *uuid, const char *name, unsigned flags) {
        return (LeaseRequest) { .path = path, .owner_uuid = uuid, .owner_name = name,
                                .owner_pid = (uint32_t) getpid(), .flags = flags };
}

static int acquire(LeaseTable *t, LeaseRequest q, char **ret_error_name, char **ret_msg) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = lease_acquire(t, &q, &e);

        if (ret_error_name)
                *ret_error_name = e.name ? strdup(e.name) : NULL;
        if (ret_msg)
                *ret_msg = e.message ? strdup(e.message) : NULL;
        sd_bus_error_free(&e);
        return r;
}

static void test_exclusive_and_shared(void) {
        LeaseTable *t = NULL;
        _cleanup_free_ char *name = NULL, *msg = NULL;

        setup();
        CHECK(lease_table_new(lockspace, NULL, &t) == 0);
        CHECK(acquire(t, req("/images/a.img", U1, "vm1", 0), NULL, NULL) == 0);
        /* Idempotent for the same owner. */
        CHECK(acquire(t, req("/images/a.img", U1, "vm1", 0), NULL, NULL) == 0);
        CHECK_INTEQ(t->n_leases, 1);
        CHECK(acquire(t, req("/images/a.img", U2, "vm2", 0), &name, &msg) == -EBUSY);
        CHECK_STREQ(name, VB_ERROR_RESOURCE_BUSY);
        CHECK(msg && strstr(msg, "/images/a.img") && strstr(msg, "vm1") && strstr(msg, U1));
        /* The same owner asking in another mode is told so. */
        free(name);
        name = NULL;
        CHECK(acquire(t, req("/images/a.img", U1, "vm1", LEASE_SHARED), &name, NULL) < 0);
        CHECK_STREQ(name, VB_ERROR_OPERATION_INVALID);

        CHECK(acquire(t, req("/images/s.img", U1, "vm1", LEASE_SHARED), NULL, NULL) == 0);
        CHECK(acquire(t, req("/images/s.img", U2, "vm2", LEASE_SHARED), NULL, NULL) == 0);
        CHECK(acquire(t, req("/images/s.img", "2222eb01-f6a4-8304-79aa-97f2502e193f", "vm3", 0), NULL, NULL) ==
              -EBUSY);
        CHECK_INTEQ(t->n_leases, 3);
        CHECK_INTEQ(t->n_owners, 2);
        CHECK_INTEQ(t->n_resources, 2);

        CHECK(lease_release(t, "/images/a.img", U1, NULL) == 0);
        CHECK(lease_release(t, "/images/a.img", U1, NULL) == -ENOENT); /* NoLease */
        CHECK(acquire(t, req("/images/a.img", U2, "vm2", 0), NULL, NULL) == 0);
        unsigned n = 0;
        CHECK(lease_release_owner(t, U2, &n, NULL) == 0);
        CHECK_INTEQ(n, 2);
        CHECK(lease_release_owner(t, U2, &n, NULL) == 0);
        CHECK_INTEQ(n, 0);
        CHECK_INTEQ(t->n_leases, 1);
        lease_table_free(t);
}

static void test_two_instances(void) {
        LeaseTable *a = NULL, *b = NULL;
        _cleanup_free_ char *name = NULL, *msg = NULL;

        setup();
        CHECK(lease_table_new(lockspace, NULL, &a) == 0);
        CHECK(lease_table_new(lockspace, NULL, &b) == 0);
        CHECK(acquire(a, req("/images/shared-fs.img", U1, "vm1", 0), NULL, NULL) == 0);
        CHECK(acquire(b, req("/images/shared-fs.img", U2, "other", 0), &name, &msg) == -EBUSY);
        CHECK_STREQ(name, VB_ERROR_RESOURCE_BUSY);
        /* b knows the holder only from the lease file a wrote. */
        CHECK(msg && strstr(msg, "/images/shared-fs.img") && strstr(msg, "'vm1'") && strstr(msg, U1));
        lease_table_free(a);
        CHECK(acquire(b, req("/images/shared-fs.img", U2, "other", 0), NULL, NULL) == 0);
        lease_table_free(b);
}

static void test_direct(void) {
        _cleanup_free_ char *disk = path_join(tmpdir, "disk.raw"), *name = NULL;
        LeaseTable *a = NULL, *b = NULL;
        int fd;

        setup();
        fd = open(disk, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        CHECK(fd >= 0);
        close(fd);
        CHECK(lease_table_new(lockspace, NULL, &a) == 0);
        CHECK(lease_table_new(lockspace, NULL, &b) == 0);
        CHECK(acquire(a, req(disk, U1, "vm1", LEASE_DIRECT), NULL, NULL) == 0);
        CHECK(acquire(b, req(disk, U2, "vm2", LEASE_DIRECT), NULL, NULL) == -EBUSY);
        /* Mixing modes on one resource within a lockd is refused. */
        CHECK(acquire(a, req(disk, U2, "vm2", 0), &name, NULL) == -EINVAL);
        CHECK(acquire(a, req("/does/not/exist", U1, "vm1", LEASE_DIRECT), NULL, NULL) == -EINVAL);
        lease_table_free(a);
        CHECK(acquire(b, req(disk, U2, "vm2", LEASE_DIRECT), NULL, NULL) == 0);
        lease_table_free(b);
}

static void test_bad_input(void) {
        LeaseTable *t = NULL;
        _cleanup_free_ char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL, *m5 = NULL;
        LeaseRequest q;
        pid_t pid;

        setup();
        CHECK(lease_table_new(lockspace, NULL, &t) == 0);
        CHECK(acquire(t, req("", U1, "vm1", 0), NULL, &m1) == -EINVAL);
        CHECK(acquire(t, req("images/a", U1, "vm1", 0), NULL, &m2) == -EINVAL);
        CHECK(m2 && strstr(m2, "'images/a'"));
        CHECK(acquire(t, req("/images/../a", U1, "vm1", 0), NULL, NULL) == -EINVAL);
        CHECK(acquire(t, req("/images/a", "not-a-uuid", "vm1", 0), NULL, &m3) == -EINVAL);
        CHECK(m3 && strstr(m3, "not-a-uuid"));
        CHECK(acquire(t, req("/images/a", U1, "vm/1", 0), NULL, &m4) == -EINVAL);
        CHECK(m4 && strstr(m4, "vm/1"));
        CHECK(acquire(t, req("/images/a", U1, "vm1", 4), NULL, NULL) == -EINVAL);
        /* A pid that is gone. */
        pid = fork();
        if (pid == 0)
                _exit(0);
        waitpid(pid, NULL, 0);
        q = req("/images/a", U1, "vm1", 0);
        q.owner_pid = (uint32_t) pid;
        {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                CHECK(lease_acquire(t, &q, &e) == -EINVAL);
                CHECK(e.message && strstr(e.message, "does not exist"));
                sd_bus_error_free(&e);
        }
        CHECK_INTEQ(t->n_leases, 0);
        CHECK_INTEQ(t->n_owners, 0);
        CHECK(lease_release(t, "", U1, NULL) == -EINVAL);
        lease_table_free(t);
}

static void test_state_round_trip(void) {
        LeaseTable *a = NULL, *b = NULL, *probe = NULL;
        _cleanup_free_ char *text = NULL, *text2 = NULL;
        _cleanup_free_ char *odd = NULL;

        setup();
        CHECK(lease_table_new(lockspace, NULL, &a) == 0);
        CHECK(lease_table_new(lockspace, NULL, &probe) == 0);
        CHECK(acquire(a, req("/images/r1.img", U1, "vm1", 0), NULL, NULL) == 0);
        CHECK(acquire(a, req("/images/with space\nand newline\\.img", U1, "vm1", 0), NULL, NULL) == 0);
        CHECK(acquire(a, req("/images/r2.img", U2, "vm two", LEASE_SHARED), NULL, NULL) == 0);
        CHECK(lock_state_format(a, &text, NULL) == 0);
        CHECK(text && strstr(text, "virtbus-lockd-state 1\n") && strstr(text, "\nend\n"));

        /* The fds change hands: the locks are never released. */
        lease_table_forget(a);
        CHECK(lease_table_new(lockspace, NULL, &b) == 0);
        CHECK(lock_state_parse(b, text) == 0);
        CHECK_INTEQ(b->n_leases, 3);
        CHECK_INTEQ(b->n_owners, 2);
        CHECK(lock_state_format(b, &text2, NULL) == 0);
        CHECK_STREQ(text2, text);
        CHECK(lease_table_find_resource(b, "/images/with space\nand newline\\.img") != NULL);
        CHECK(acquire(probe, req("/images/r1.img", "3333eb01-f6a4-8304-79aa-97f2502e193f", "p", 0), NULL, NULL) ==
              -EBUSY);
        CHECK(acquire(probe, req("/images/r2.img", "3333eb01-f6a4-8304-79aa-97f2502e193f", "p", LEASE_SHARED),
                      NULL, NULL) == 0);
        lease_table_free(b);
        CHECK(acquire(probe, req("/images/r1.img", "3333eb01-f6a4-8304-79aa-97f2502e193f", "p", 0), NULL, NULL) ==
              0);
        lease_table_free(probe);

        odd = state_escape("a b\\c");
        CHECK_STREQ(odd, "a\\x20b\\x5cc");
}

static void test_state_bad_fds(void) {
        LeaseTable *t = NULL;

        setup();
        CHECK(lease_table_new(lockspace, NULL, &t) == 0);
        /* fds that are not open are dropped; junk lines are skipped. */
        CHECK(lock_state_parse(t, "virtbus-lockd-state 1\nowner " U1 " 1 987 vm1\nlease " U1
                                  " 988 0 /x\njunk\nend\n") == 0);
        CHECK_INTEQ(t->n_leases, 0);
        CHECK(lock_state_parse(t, "something else\n") < 0);
        lease_table_free(t);
}

static void test_conf(void) {
        LockdConfig c = {};
        unsigned line = 0;

        c.lockspace_dir = strdup("/default");
        CHECK(lockd_config_parse(&c, "# comment\n\n  lockspace_dir = \"/srv/lock space\"  # why\n", NULL) == 0);
        CHECK_STREQ(c.lockspace_dir, "/srv/lock space");
        CHECK(lockd_config_parse(&c, "lockspace_dir=/srv/bare\n", NULL) == 0);
        CHECK_STREQ(c.lockspace_dir, "/srv/bare");
        CHECK(lockd_config_parse(&c, "\n\nlockspace_dir = \"relative\"\n", &line) == -EINVAL);
        CHECK_INTEQ(line, 3);
        CHECK(lockd_config_parse(&c, "unknown_key = 1\n", &line) == -EINVAL);
        CHECK_INTEQ(line, 1);
        CHECK(lockd_config_parse(&c, "lockspace_dir = \"/unterminated\n", NULL) == -EINVAL);
        CHECK(lockd_config_parse(&c, "just words\n", NULL) == -EINVAL);
        CHECK_STREQ(c.lockspace_dir, "/srv/bare");
        lockd_config_done(&c);
}

static void test_conf_load(void) {
        _cleanup_free_ char *root = path_join(tmpdir, "root"), *etc = NULL, *conf = NULL;
        LockdConfig c;
        VbPaths p;

        setup();
        CHECK(vb_paths_init(&p, root) == 0);
        CHECK(lockd_config_load(&c, &p) == 0);
        CHECK(c.lockspace_dir && strstr(c.lockspace_dir, "/var/lib/virtbus/lockd/lockspace"));
        lockd_config_done(&c);
        etc = strdup(p.confdir);
        CHECK(mkdir_p(etc, 0755) == 0);
        conf = path_join(etc, "lockd.conf");
        CHECK(write_file_atomic(conf, "lockspace_dir = \"/srv/shared\"\n", 30, 0644) == 0);
        CHECK(lockd_config_load(&c, &p) == 0);
        CHECK_STREQ(c.lockspace_dir, "/srv/shared");
        lockd_config_done(&c);
        vb_paths_done(&p);
}

/* A table freed without releasing (lockd killed, stopped) leaves its lease
 * journal; the next table takes back the leases of owners still running,
 * ignores a line cut short, and records what goes. */
static void test_records(void) {
        _cleanup_free_ char *dir = path_join(tmpdir, "records"), *journal = path_join(dir, "journal"),
                            *torn = NULL, *text = NULL;
        LeaseTable *a = NULL, *b = NULL, *probe = NULL;
        int pidfd = -1, pidfd2 = -1, fd;
        uint64_t start = 0;
        unsigned n = 0;

        setup();
        CHECK(lease_table_new(lockspace, NULL, &a) == 0);
        CHECK(lease_records_open(a, dir) == 0);
        CHECK(acquire(a, req("/images/r1.img", U1, "vm1", 0), NULL, NULL) == 0);
        CHECK(acquire(a, req("/images/r2.img", U1, "vm1", LEASE_SHARED), NULL, NULL) == 0);
        CHECK(acquire(a, req("/images/r3.img", U1, "vm1", 0), NULL, NULL) == 0);
        CHECK(lease_release(a, "/images/r3.img", U1, NULL) == 0);
        CHECK(lease_owner_pidfd(getpid(), 0, &pidfd, &start) == 0);
        CHECK(start > 0 && lease_table_find_owner(a, U1)->start_time == start);
        CHECK(lease_owner_pidfd(getpid(), start + 1, &pidfd2, &start) == -ESRCH); /* another process */
        close(pidfd);
        lease_table_free(a);

        /* A change cut short by a crash: no newline. */
        CHECK(asprintf(&torn, "+ %s %d %llu 0 vm2 %s /images/torn.img", U2, (int) getpid(),
                       (unsigned long long) start, lockspace) > 0);
        fd = open(journal, O_WRONLY | O_APPEND | O_CLOEXEC);
        CHECK(fd >= 0 && write(fd, torn, strlen(torn)) == (ssize_t) strlen(torn));
        close(fd);

        CHECK(lease_table_new(lockspace, NULL, &b) == 0);
        CHECK(lease_records_open(b, dir) == 0);
        CHECK_INTEQ(lease_records_restore(b), 2);
        CHECK_INTEQ(b->n_leases, 2);
        /* Held again: another table (another lockd) cannot take them. */
        CHECK(lease_table_new(lockspace, NULL, &probe) == 0);
        CHECK(acquire(probe, req("/images/r1.img", U2, "vm2", 0), NULL, NULL) == -EBUSY);
        CHECK(acquire(probe, req("/images/r2.img", U2, "vm2", 0), NULL, NULL) == -EBUSY);
        CHECK(acquire(probe, req("/images/r3.img", U2, "vm2", 0), NULL, NULL) == 0);
        CHECK(acquire(probe, req("/images/torn.img", U2, "vm2", 0), NULL, NULL) == 0);
        /* Rewritten at the start: just the leases held. */
        CHECK(read_full_file(journal, 0, &text, NULL) == 0);
        CHECK(text && strstr(text, "/images/r1.img\n") && strstr(text, "/images/r2.img\n") &&
              !strstr(text, "r3.img") && !strstr(text, "torn.img"));
        /* Asking again for what is held changes nothing. */
        CHECK(acquire(b, req("/images/r1.img", U1, "vm1", 0), NULL, NULL) == 0);
        CHECK_INTEQ(b->n_leases, 2);
        CHECK(lease_release_owner(b, U1, &n, NULL) == 0);
        CHECK_INTEQ(n, 2);
        lease_table_free(b);
        lease_table_free(probe);

        /* Every lease went: the next table takes nothing back. */
        CHECK(lease_table_new(lockspace, NULL, &b) == 0);
        CHECK(lease_records_open(b, dir) == 0);
        CHECK_INTEQ(lease_records_restore(b), 0);
        lease_table_free(b);
}

static void test_cleanup(void) {
        _cleanup_free_ char *cmd = NULL;

        setup();
        if (asprintf(&cmd, "rm -rf '%s'", tmpdir) > 0)
                CHECK(system(cmd) == 0);
}

UNIT_TESTS(test_sha256_vectors, test_sha256_incremental, test_lease_file_name, test_exclusive_and_shared,
           test_two_instances, test_direct, test_bad_input, test_state_round_trip, test_state_bad_fds, test_conf,
           test_conf_load, test_records, test_cleanup)
