/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest agent client (qemud/qemu-agent.c): the pure protocol helpers,
 * then exchanges with a fake qemu-ga on a unix socket inside an sd-event
 * loop: stale answers before the sync are dropped, a silent agent times out
 * and the next command still gets its own answer, a command with no answer
 * completes once written. Also the group's helpers in
 * common/domain/domain-agent.c (cpu lists, base64, the ARP table). */

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "domain-agent.h"
#include "qemu-agent.h"
#include "unit.h"
#include "util.h"

static void test_format(void) {
        _cleanup_free_ char *s = qemu_agent_format_sync(42), *c = NULL, *c2 = NULL;
        json_object *args = json_object_new_object();

        CHECK_STREQ(s, "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":42}}\n");
        json_object_object_add(args, "mode", json_object_new_string("powerdown"));
        c = qemu_agent_format_command("guest-shutdown", args);
        CHECK_STREQ(c, "{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"powerdown\"}}\n");
        c2 = qemu_agent_format_command("guest-get-time", NULL);
        CHECK_STREQ(c2, "{\"execute\":\"guest-get-time\"}\n");
        json_object_put(args);
}

static void test_delimiter_and_sync(void) {
        const char data[] = "{\"return\": 7}\n\xff{\"return\": 42}\n";

        CHECK_INTEQ(qemu_agent_after_delimiter(data, sizeof(data) - 1), 15);
        CHECK_INTEQ(qemu_agent_after_delimiter("abc", 3), -1);
        CHECK(qemu_agent_is_sync_reply("{\"return\": 42}", 14, 42));
        CHECK(!qemu_agent_is_sync_reply("{\"return\": 7}", 13, 42));
        CHECK(!qemu_agent_is_sync_reply("{\"return\": {}}", 14, 42));
        CHECK(!qemu_agent_is_sync_reply("garbage", 7, 42));
        CHECK(!qemu_agent_is_sync_reply("{\"error\": {\"class\": \"GenericError\"}}", 36, 42));
}

static void test_helpers(void) {
        const bool set[] = { true, true, true, false, true, false, true, true };
        _cleanup_free_ char *l = NULL, *e = NULL, *b1 = NULL, *b2 = NULL, *b3 = NULL;
        _cleanup_strv_free_ char **ips = NULL, **none = NULL;
        const char arp[] = "IP address       HW type     Flags       HW address            Mask     Device\n"
                           "192.168.122.10   0x1         0x2         52:54:00:aa:bb:cc     *        virbr0\n"
                           "192.168.122.11   0x1         0x0         52:54:00:aa:bb:cc     *        virbr0\n"
                           "10.0.0.5         0x1         0x2         52:54:00:AA:BB:CC     *        br1\n"
                           "10.0.0.6         0x1         0x2         52:54:00:00:00:01     *        br1\n";

        CHECK(domain_agent_format_cpulist(set, 8, &l) == 0);
        CHECK_STREQ(l, "0-2,4,6-7");
        CHECK(domain_agent_format_cpulist(set, 0, &e) == 0);
        CHECK_STREQ(e, "");
        b1 = domain_agent_base64("hello", 5);
        b2 = domain_agent_base64("hell", 4);
        b3 = domain_agent_base64("", 0);
        CHECK_STREQ(b1, "aGVsbG8=");
        CHECK_STREQ(b2, "aGVsbA==");
        CHECK_STREQ(b3, "");
        /* complete entries only, the MAC in any case */
        CHECK_INTEQ(domain_agent_arp_lookup(arp, "52:54:00:aa:bb:cc", &ips), 2);
        CHECK_STREQ(ips[0], "192.168.122.10");
        CHECK_STREQ(ips[1], "10.0.0.5");
        CHECK(ips[2] == NULL);
        CHECK_INTEQ(domain_agent_arp_lookup(arp, "52:54:00:99:99:99", &none), 0);
        CHECK(none && none[0] == NULL);
}

/* ---- a fake qemu-ga ---- */

typedef struct Fake {
        int listen_fd, fd;
        sd_event_source *accept_src, *io_src;
        char buf[4096];
        size_t len;
        unsigned syncs;
} Fake;

static void fake_write(Fake *f, const char *s, size_t n) {
        CHECK(write(f->fd, s, n) == (ssize_t) n);
}

static void fake_line(Fake *f, const char *line) {
        const char *p;

        if ((p = strstr(line, "guest-sync-delimited"))) {
                char out[256];
                unsigned long long id = strtoull(strstr(line, "\"id\":") + 5, NULL, 10);
                int n;
                f->syncs++;
                /* what an earlier, timed-out command left behind comes first */
                fake_write(f, "{\"return\": {\"host-name\": \"stale\"}}\n", 36);
                n = snprintf(out, sizeof(out), "\xff{\"return\": %llu}\n", id);
                fake_write(f, out, (size_t) n);
        } else if (strstr(line, "guest-get-host-name"))
                fake_write(f, "{\"return\": {\"host-name\": \"fake\"}}\n", 35);
        else if (strstr(line, "guest-fail"))
                fake_write(f, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}\n", 52);
        /* guest-hang and guest-shutdown: no answer */
}

static int fake_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Fake *f = userdata;
        ssize_t n = read(fd, f->buf + f->len, sizeof(f->buf) - f->len - 1);
        char *nl;

        if (n <= 0) {
                f->io_src = sd_event_source_disable_unref(f->io_src);
                return 0;
        }
        f->len += (size_t) n;
        f->buf[f->len] = 0;
        while ((nl = strchr(f->buf, '\n'))) {
                *nl = 0;
                fake_line(f, f->buf);
                memmove(f->buf, nl + 1, f->len - (size_t) (nl + 1 - f->buf) + 1);
                f->len -= (size_t) (nl + 1 - f->buf);
        }
        return 0;
}

static int fake_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Fake *f = userdata;

        f->fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        CHECK(f->fd >= 0);
        /* an answer to a command of an earlier connection, still in the port */
        fake_write(f, "{\"return\": {\"host-name\": \"old\"}}\n", 34);
        CHECK(sd_event_add_io(sd_event_source_get_event(s), &f->io_src, f->fd, EPOLLIN, fake_io, f) >= 0);
        return 0;
}

typedef struct Answer {
        bool done;
        char *host;
        char *error_class;
} Answer;

static void on_answer(json_object *result, const char *error_class, const char *error_desc, void *userdata) {
        Answer *a = userdata;
        json_object *h;

        a->done = true;
        if (error_class)
                a->error_class = strdup(error_class);
        else if (result && json_object_object_get_ex(result, "host-name", &h))
                a->host = strdup(json_object_get_string(h));
}

static void run_until(sd_event *e, Answer *a) {
        for (int i = 0; i < 2000 && !a->done; i++)
                CHECK(sd_event_run(e, 10000) >= 0);
        CHECK(a->done);
}

static void test_fake_agent(void) {
        _cleanup_free_ char *dir = strdup("/tmp/virtbus-agent-XXXXXX"), *path = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        Fake f = { .fd = -1 };
        Answer a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {};
        sd_event *e = NULL;
        QemuAgent *agent = NULL;

        CHECK(mkdtemp(dir));
        path = path_join(dir, "qga.sock");
        strcpy(sa.sun_path, path);
        f.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(bind(f.listen_fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        CHECK(listen(f.listen_fd, 1) == 0);
        CHECK(sd_event_new(&e) >= 0);
        CHECK(sd_event_add_io(e, &f.accept_src, f.listen_fd, EPOLLIN, fake_accept, &f) >= 0);
        CHECK(qemu_agent_new(e, path, &agent) == 0);

        /* the stale lines before the sync's answer are not the answer */
        CHECK(qemu_agent_command(agent, "guest-get-host-name", NULL, false, 2000000, on_answer, &a1) == 0);
        CHECK(!a1.done); /* never from within the call */
        run_until(e, &a1);
        CHECK_STREQ(a1.host, "fake");
        /* an agent that stays silent times out ... */
        CHECK(qemu_agent_command(agent, "guest-hang", NULL, false, 200000, on_answer, &a2) == 0);
        /* ... and the command queued behind it gets its own answer */
        CHECK(qemu_agent_command(agent, "guest-get-host-name", NULL, false, 2000000, on_answer, &a3) == 0);
        run_until(e, &a2);
        CHECK_STREQ(a2.error_class, QEMU_AGENT_ERROR_TIMEOUT);
        run_until(e, &a3);
        CHECK_STREQ(a3.host, "fake");
        /* the agent's error, and a command it never answers */
        CHECK(qemu_agent_command(agent, "guest-fail", NULL, false, 2000000, on_answer, &a4) == 0);
        run_until(e, &a4);
        CHECK_STREQ(a4.error_class, "GenericError");
        CHECK(qemu_agent_command(agent, "guest-shutdown", NULL, true, 2000000, on_answer, &a5) == 0);
        run_until(e, &a5);
        CHECK(!a5.error_class && !a5.host);
        CHECK_INTEQ(f.syncs, 5);

        /* closing fails what waits */
        Answer a6 = {};
        CHECK(qemu_agent_command(agent, "guest-hang", NULL, false, 2000000, on_answer, &a6) == 0);
        agent = qemu_agent_free(agent);
        CHECK(a6.done);
        CHECK_STREQ(a6.error_class, QEMU_AGENT_ERROR_CLOSED);

        free(a1.host), free(a2.error_class), free(a3.host), free(a4.error_class), free(a6.error_class);
        f.io_src = sd_event_source_disable_unref(f.io_src);
        f.accept_src = sd_event_source_disable_unref(f.accept_src);
        if (f.fd >= 0)
                close(f.fd);
        close(f.listen_fd);
        sd_event_unref(e);
        (void) unlink(path);
        (void) rmdir(dir);
}

UNIT_TESTS(test_format, test_delimiter_and_sync, test_helpers, test_fake_agent)
