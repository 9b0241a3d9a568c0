/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The destination URIs of peer-to-peer migration (proxy/remote-client.c):
 * what is read from each transport's URI, the name opened over the channel,
 * the ssh command line, and the URIs refused with a message naming the part
 * that is wrong. */
#include "remote-client.h"
#include "unit.h"
#include "util.h"

static void test_unix(void) {
        RemoteUri u = {};
        RemoteError e = {};
        _cleanup_free_ char *name = NULL;

        CHECK(remote_uri_parse("qemu+unix:///system?socket=/tmp/a%20b/libvirt-sock", &u, &e) == 0);
        CHECK(u.transport == TRANSPORT_UNIX && !u.host && u.port == 0);
        CHECK_STREQ(u.socket, "/tmp/a b/libvirt-sock");
        CHECK_STREQ(u.path, "/system");
        name = remote_uri_open_name(&u);
        CHECK_STREQ(name, "qemu:///system");
        remote_uri_done(&u);
        CHECK(remote_uri_parse("qemu:///system", &u, &e) == 0);
        CHECK(u.transport == TRANSPORT_UNIX && !u.socket);
        remote_uri_done(&u);
}

static void test_tcp(void) {
        RemoteUri u = {};
        RemoteError e = {};

        CHECK(remote_uri_parse("qemu+tcp://10.0.0.2:16600/system", &u, &e) == 0);
        CHECK(u.transport == TRANSPORT_TCP && u.port == 16600);
        CHECK_STREQ(u.host, "10.0.0.2");
        remote_uri_done(&u);
        CHECK(remote_uri_parse("qemu+tcp://[fd00::2]/system", &u, &e) == 0);
        CHECK_STREQ(u.host, "fd00::2");
        CHECK(u.port == 0);
        remote_uri_done(&u);
}

static void test_ssh_argv(void) {
        RemoteUri u = {};
        RemoteError e = {};
        char **argv;
        _cleanup_free_ char *line = NULL;

        CHECK(remote_uri_parse("qemu+ssh://root@hostb:2222/system?keyfile=/k&no_verify=1&netcat=ncat"
                               "&socket=/run/libvirt/libvirt-sock&command=/usr/bin/ssh",
                               &u, &e) == 0);
        CHECK(u.transport == TRANSPORT_SSH);
        argv = remote_uri_ssh_argv(&u);
        line = strv_join(argv, "|");
        CHECK_STREQ(line, "/usr/bin/ssh|-p2222|-lroot|-i/k|-oStrictHostKeyChecking=no|-T|-e|none|--|hostb|"
                          "sh -c \"ncat -U '/run/libvirt/libvirt-sock'\"");
        strv_free(argv);
        remote_uri_done(&u);
        free(TAKE_PTR(line));
        CHECK(remote_uri_parse("qemu+ssh://hostb/system", &u, &e) == 0);
        argv = remote_uri_ssh_argv(&u);
        line = strv_join(argv, "|");
        CHECK_STREQ(line, "ssh|-T|-e|none|--|hostb|sh -c \"nc -U '/run/libvirt/libvirt-sock'\"");
        strv_free(argv);
        remote_uri_done(&u);
}

static void check_refused(const char *uri, const char *words) {
        RemoteUri u = {};
        RemoteError e = {};

        CHECK(remote_uri_parse(uri, &u, &e) == -EINVAL);
        CHECK(e.message && strstr(e.message, words));
        CHECK(!u.driver && !u.host);
        remote_error_done(&e);
}

static void test_refused(void) {
        check_refused("xen+ssh://b/system", "'xen'");
        check_refused("qemu+gopher://b/system", "'gopher'");
        check_refused("qemu+ssh:///system", "names no host");
        check_refused("qemu+tcp://b:99999/system", "99999");
        check_refused("qemu://b/system", "TLS");
        check_refused("tcp:127.0.0.1:49152", "not a libvirt URI");
}

UNIT_TESTS(test_unix, test_tcp, test_ssh_argv, test_refused)
