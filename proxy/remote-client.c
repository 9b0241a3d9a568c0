/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "remote-client.h"
#include "rpc.h"
#include "util.h"

#define DEFAULT_SOCKET "/run/libvirt/libvirt-sock"
#define DEFAULT_TCP_PORT 16509
#define PROC_CONNECT_OPEN 1
#define PROC_CONNECT_CLOSE 2
#define PROC_CONNECT_SUPPORTS_FEATURE 60

void remote_error_done(RemoteError *e) {
        free(e->message);
        *e = (RemoteError) {};
}

static int fail(RemoteError *err, int r, int code, const char *fmt, ...) _printf_(4, 5);
static int fail(RemoteError *err, int r, int code, const char *fmt, ...) {
        va_list ap;

        remote_error_done(err);
        err->code = code;
        err->domain = LIBVIRT_FROM_RPC;
        va_start(ap, fmt);
        if (vasprintf(&err->message, fmt, ap) < 0)
                err->message = NULL;
        va_end(ap);
        return r;
}

void remote_uri_done(RemoteUri *u) {
        free(u->driver);
        free(u->user);
        free(u->host);
        free(u->path);
        free(u->socket);
        free(u->netcat);
        free(u->keyfile);
        free(u->command);
        *u = (RemoteUri) {};
}

/* %XX decoded in place. */
static void unescape(char *s) {
        char *o = s;

        for (; *s; s++) {
                int a, b;
                if (*s == '%' && (a = unhexchar(s[1])) >= 0 && (b = unhexchar(s[2])) >= 0) {
                        *o++ = (char) (a << 4 | b);
                        s += 2;
                } else
                        *o++ = *s;
        }
        *o = 0;
}

static int parse_query(char *q, RemoteUri *u) {
        for (char *save = NULL, *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
                char *eq = strchr(kv, '=');
                char **slot = NULL;
                if (!eq)
                        continue;
                *eq++ = 0;
                unescape(eq);
                if (streq(kv, "socket"))
                        slot = &u->socket;
                else if (streq(kv, "netcat"))
                        slot = &u->netcat;
                else if (streq(kv, "keyfile"))
                        slot = &u->keyfile;
                else if (streq(kv, "command"))
                        slot = &u->command;
                else if (streq(kv, "no_verify"))
                        u->no_verify = streq(eq, "1");
                /* other parameters (proxy=, mode=, known_hosts=...) change nothing here */
                if (slot) {
                        free(*slot);
                        if (!(*slot = strdup(eq)))
                                return -ENOMEM;
                }
        }
        return 0;
}

/* host part "[user@]host[:port]" */
static int parse_authority(const char *a, size_t n, RemoteUri *u, RemoteError *err) {
        _cleanup_free_ char *s = strndup(a, n);
        char *host, *at, *colon;

        if (!s)
                return -ENOMEM;
        at = strrchr(s, '@');
        host = at ? at + 1 : s;
        if (at) {
                *at = 0;
                if (!(u->user = strdup(s)))
                        return -ENOMEM;
        }
        colon = strrchr(host, ':');
        if (colon && !strchr(colon, ']')) {
                *colon = 0;
                if (safe_atoi(colon + 1, &u->port) < 0 || u->port <= 0 || u->port > 65535)
                        return fail(err, -EINVAL, VIR_ERR_INVALID_ARG, "invalid port '%s' in the URI", colon + 1);
        }
        if (*host == '[' && endswith(host, "]")) {
                host++;
                host[strlen(host) - 1] = 0;
        }
        if (*host && !(u->host = strdup(host)))
                return -ENOMEM;
        return 0;
}

int remote_uri_parse(const char *uri, RemoteUri *ret, RemoteError *err) {
        _cleanup_free_ char *copy = NULL;
        RemoteUri u = {};
        const char *p, *auth, *slash;
        char *q, *plus;
        int r;

        p = uri ? strstr(uri, "://") : NULL;
        if (!p)
                return fail(err, -EINVAL, VIR_ERR_INVALID_ARG, "the migration URI '%s' is not a libvirt URI",
                            uri ?: "");
        u.driver = strndup(uri, p - uri);
        if (!u.driver)
                return -ENOMEM;
        plus = strchr(u.driver, '+');
        if (plus)
                *plus++ = 0;
        if (!plus || streq(plus, "unix"))
                u.transport = TRANSPORT_UNIX;
        else if (streq(plus, "tcp"))
                u.transport = TRANSPORT_TCP;
        else if (streq(plus, "ssh"))
                u.transport = TRANSPORT_SSH;
        else {
                r = fail(err, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unknown transport '%s' in the URI '%s' (unix, tcp and ssh are known)", plus, uri);
                remote_uri_done(&u);
                return r;
        }
        if (!streq(u.driver, "qemu")) {
                r = fail(err, -EINVAL, VIR_ERR_INVALID_ARG, "unknown URI scheme '%s' in '%s': only qemu migrates",
                         u.driver, uri);
                remote_uri_done(&u);
                return r;
        }
        auth = p + 3;
        slash = strchr(auth, '/');
        copy = strdup(slash ? slash : "/");
        if (!copy) {
                remote_uri_done(&u);
                return -ENOMEM;
        }
        r = parse_authority(auth, slash ? (size_t) (slash - auth) : strlen(auth), &u, err);
        q = strchr(copy, '?');
        if (q)
                *q++ = 0;
        if (r >= 0 && !(u.path = strdup(copy)))
                r = -ENOMEM;
        if (r >= 0 && q)
                r = parse_query(q, &u);
        if (r >= 0 && u.transport == TRANSPORT_UNIX && !plus && u.host)
                r = fail(err, -EINVAL, VIR_ERR_INVALID_ARG,
                         "'%s' would need TLS, which the proxy does not speak: use qemu+ssh or qemu+tcp", uri);
        if (r >= 0 && u.transport == TRANSPORT_UNIX && u.host && !streq(u.host, "localhost"))
                r = fail(err, -EINVAL, VIR_ERR_INVALID_ARG, "a unix URI names no host: '%s'", uri);
        if (r >= 0 && u.transport != TRANSPORT_UNIX && !u.host)
                r = fail(err, -EINVAL, VIR_ERR_INVALID_ARG, "the URI '%s' names no host", uri);
        if (r < 0) {
                remote_uri_done(&u);
                return r;
        }
        *ret = u;
        return 0;
}

char *remote_uri_open_name(const RemoteUri *u) {
        char *s;

        if (asprintf(&s, "%s://%s", u->driver, u->path && *u->path ? u->path : "/system") < 0)
                return NULL;
        return s;
}

char **remote_uri_ssh_argv(const RemoteUri *u) {
        char **argv = NULL;
        int r;

        r = strv_extend(&argv, u->command ?: "ssh");
        if (r >= 0 && u->port)
                r = strv_extendf(&argv, "-p%d", u->port);
        if (r >= 0 && u->user)
                r = strv_extendf(&argv, "-l%s", u->user);
        if (r >= 0 && u->keyfile)
                r = strv_extendf(&argv, "-i%s", u->keyfile);
        if (r >= 0 && u->no_verify)
                r = strv_extend(&argv, "-oStrictHostKeyChecking=no");
        if (r >= 0)
                r = strv_extend(&argv, "-T");
        if (r >= 0)
                r = strv_extend(&argv, "-e");
        if (r >= 0)
                r = strv_extend(&argv, "none");
        if (r >= 0)
                r = strv_extend(&argv, "--");
        if (r >= 0)
                r = strv_extend(&argv, u->host);
        if (r >= 0)
                r = strv_extendf(&argv, "sh -c \"%s -U '%s'\"", u->netcat ?: "nc", u->socket ?: DEFAULT_SOCKET);
        if (r < 0) {
                strv_free(argv);
                return NULL;
        }
        return argv;
}

static int connect_unix(const char *path, RemoteError *err) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return fail(err, -EINVAL, VIR_ERR_INVALID_ARG, "the socket path '%s' is too long", path);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = -errno;
                close(fd);
                return fail(err, e, VIR_ERR_NO_CONNECT, "Failed to connect socket to '%s': %s", path,
                            strerror(-e));
        }
        return fd;
}

static int connect_tcp(const char *host, int port, RemoteError *err) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
        char service[16];
        int fd = -1, e;

        snprintf(service, sizeof(service), "%d", port ? port : DEFAULT_TCP_PORT);
        e = getaddrinfo(host, service, &hints, &res);
        if (e)
                return fail(err, -EHOSTUNREACH, VIR_ERR_NO_CONNECT, "Cannot resolve '%s': %s", host,
                            gai_strerror(e));
        e = -ECONNREFUSED;
        for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
                fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
                if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
                        e = -errno;
                        close(fd);
                        fd = -1;
                }
        }
        freeaddrinfo(res);
        if (fd < 0)
                return fail(err, e, VIR_ERR_NO_CONNECT, "unable to connect to server at '%s:%s': %s", host,
                            service, strerror(-e));
        return fd;
}

/* ssh with its stdin and stdout on one end of a socket pair. */
static int connect_ssh(const RemoteUri *u, pid_t *ret_pid, RemoteError *err) {
        char **argv = remote_uri_ssh_argv(u);
        int sv[2];
        pid_t pid;

        if (!argv)
                return -ENOMEM;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                strv_free(argv);
                return -errno;
        }
        pid = fork();
        if (pid < 0) {
                int e = -errno;
                strv_free(argv);
                close(sv[0]);
                close(sv[1]);
                return e;
        }
        if (pid == 0) {
                sigset_t all;
                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
                        _exit(127);
                setsid(); /* no terminal: ssh asks nothing */
                execvp(argv[0], argv);
                _exit(127);
        }
        strv_free(argv);
        close(sv[1]);
        *ret_pid = pid;
        (void) err;
        return sv[0];
}

static int write_all(int fd, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static int read_all(int fd, uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t k = read(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ECONNRESET;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Reads one frame: its header and a copy of its payload. */
static int read_frame(int fd, RpcHeader *h, uint8_t **ret, size_t *ret_len) {
        uint8_t word[RPC_LEN_SIZE];
        _cleanup_free_ uint8_t *buf = NULL;
        XdrReader r;
        uint32_t len;
        int e = read_all(fd, word, sizeof(word));

        if (e < 0)
                return e;
        len = (uint32_t) word[0] << 24 | (uint32_t) word[1] << 16 | (uint32_t) word[2] << 8 | word[3];
        if (rpc_frame_length_check(len) < 0)
                return -EBADMSG;
        buf = malloc(len - RPC_LEN_SIZE);
        if (!buf)
                return -ENOMEM;
        e = read_all(fd, buf, len - RPC_LEN_SIZE);
        if (e < 0)
                return e;
        r = xdr_reader(buf, len - RPC_LEN_SIZE);
        if (rpc_header_read(&r, h) < 0)
                return -EBADMSG;
        *ret_len = xdr_left(&r);
        *ret = malloc(*ret_len ? *ret_len : 1);
        if (!*ret)
                return -ENOMEM;
        memcpy(*ret, buf + RPC_HEADER_SIZE, *ret_len);
        return 0;
}

static int read_error(const uint8_t *p, size_t n, RemoteError *err) {
        XdrReader r = xdr_reader(p, n);
        int32_t code = VIR_ERR_RPC, domain = LIBVIRT_FROM_RPC;
        char *msg = NULL;

        remote_error_done(err);
        if (xdr_get_i32(&r, &code) < 0 || xdr_get_i32(&r, &domain) < 0 ||
            xdr_get_optional_string(&r, XDR_STRING_MAX, &msg) < 0)
                msg = NULL;
        err->code = code;
        err->domain = domain;
        err->message = msg ?: strdup("an error without a message");
        return -EREMOTEIO;
}

/* A keepalive ping from the peer is answered; anything else not ours is
 * dropped (events: this client registers for none). */
static int answer_keepalive(RemoteClient *rc, const RpcHeader *h) {
        XdrWriter w;
        RpcHeader pong = { RPC_PROG_KEEPALIVE, RPC_VERSION, KEEPALIVE_PONG, RPC_MESSAGE, 0, RPC_OK };
        int e;

        if (h->prog != RPC_PROG_KEEPALIVE || h->proc != KEEPALIVE_PING)
                return 0;
        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, &pong);
        e = rpc_frame_end(&w);
        if (e >= 0)
                e = write_all(rc->fd, w.data, w.len);
        xdr_writer_done(&w);
        return e;
}

int remote_client_call(RemoteClient *rc, int32_t proc, const XdrWriter *args, uint8_t **ret, size_t *ret_len,
                       RemoteError *err) {
        RpcHeader h = { RPC_PROG_REMOTE, RPC_VERSION, proc, RPC_CALL, ++rc->serial, RPC_OK };
        XdrWriter w;
        int e;

        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, &h);
        if (args && args->len)
                xdr_put_raw(&w, args->data, args->len);
        e = rpc_frame_end(&w);
        if (e >= 0)
                e = write_all(rc->fd, w.data, w.len);
        xdr_writer_done(&w);
        if (e < 0)
                return fail(err, e, VIR_ERR_RPC, "Cannot write to the destination: %s", strerror(-e));
        for (;;) {
                RpcHeader rh;
                uint8_t *p = NULL;
                size_t n = 0;
                e = read_frame(rc->fd, &rh, &p, &n);
                if (e < 0)
                        return fail(err, e, VIR_ERR_RPC, "Cannot read from the destination: %s", strerror(-e));
                if (rh.prog == RPC_PROG_REMOTE && rh.type == RPC_REPLY && rh.serial == h.serial) {
                        if (rh.status != RPC_OK) {
                                e = read_error(p, n, err);
                                free(p);
                                return e;
                        }
                        *ret = p;
                        *ret_len = n;
                        return 0;
                }
                e = answer_keepalive(rc, &rh);
                free(p);
                if (e < 0)
                        return fail(err, e, VIR_ERR_RPC, "Cannot write to the destination: %s", strerror(-e));
        }
}

int remote_client_stream_send(RemoteClient *rc, int32_t proc, uint32_t serial, int status, const void *data,
                              size_t len) {
        RpcHeader h = { RPC_PROG_REMOTE, RPC_VERSION, proc, RPC_STREAM, serial, status };
        XdrWriter w;
        int e;

        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, &h);
        if (len)
                xdr_put_raw(&w, data, len);
        e = rpc_frame_end(&w);
        if (e >= 0)
                e = write_all(rc->fd, w.data, w.len);
        xdr_writer_done(&w);
        return e;
}

static int call_void(RemoteClient *rc, int32_t proc, const XdrWriter *args, RemoteError *err) {
        _cleanup_free_ uint8_t *p = NULL;
        size_t n;

        return remote_client_call(rc, proc, args, &p, &n, err);
}

int remote_client_supports(RemoteClient *rc, int feature, RemoteError *err) {
        _cleanup_free_ uint8_t *p = NULL;
        XdrWriter w;
        XdrReader r;
        int32_t v = 0;
        size_t n;
        int e;

        xdr_writer_init(&w, 0);
        xdr_put_i32(&w, feature);
        e = remote_client_call(rc, PROC_CONNECT_SUPPORTS_FEATURE, &w, &p, &n, err);
        xdr_writer_done(&w);
        if (e < 0)
                return e;
        r = xdr_reader(p, n);
        if (xdr_get_i32(&r, &v) < 0)
                return fail(err, -EBADMSG, VIR_ERR_RPC, "a malformed reply to virConnectSupportsFeature");
        return v ? 1 : 0;
}

int remote_client_open(RemoteClient *rc, const char *uri, RemoteError *err) {
        _cleanup_free_ char *name = NULL;
        RemoteUri u = {};
        XdrWriter w;
        int e = remote_uri_parse(uri, &u, err);

        *rc = (RemoteClient) { .fd = -1 };
        if (e < 0)
                return e;
        if (u.transport == TRANSPORT_UNIX)
                e = connect_unix(u.socket ?: DEFAULT_SOCKET, err);
        else if (u.transport == TRANSPORT_TCP)
                e = connect_tcp(u.host, u.port, err);
        else
                e = connect_ssh(&u, &rc->pid, err);
        name = remote_uri_open_name(&u);
        remote_uri_done(&u);
        if (e < 0)
                return e;
        rc->fd = e;
        if (!name)
                return -ENOMEM;
        xdr_writer_init(&w, 0);
        xdr_put_optional_string(&w, name);
        xdr_put_u32(&w, 0);
        e = call_void(rc, PROC_CONNECT_OPEN, &w, err);
        xdr_writer_done(&w);
        if (e < 0) {
                remote_client_close(rc);
                return e;
        }
        return 0;
}

void remote_client_close(RemoteClient *rc) {
        if (rc->fd >= 0) {
                RemoteError ignored = {};
                /* a CONNECT_CLOSE answered or not: the peer forgets us either way */
                if (rc->serial > 0)
                        (void) call_void(rc, PROC_CONNECT_CLOSE, NULL, &ignored);
                remote_error_done(&ignored);
                close(rc->fd);
                rc->fd = -1;
        }
        if (rc->pid > 0) {
                /* nc on the far side waits for the peer's end, not for our EOF */
                (void) kill(rc->pid, SIGTERM);
                while (waitpid(rc->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                rc->pid = 0;
        }
}
