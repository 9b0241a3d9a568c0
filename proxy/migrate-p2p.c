/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "migrate-p2p.h"
#include "remote-client.h"
#include "util.h"
#include "xml-lazy.h"

#define DOMAIN "org.libvirt.Domain"
#define QEMUD "org.virtbus.qemud"
#define P2P_CALL_USEC (24ULL * 3600 * 1000000) /* a migration ends when QEMU's does */

/* remote_protocol.x */
#define PROC_PREPARE3_PARAMS 303
#define PROC_PREPARE_TUNNEL3_PARAMS 304
#define PROC_FINISH3_PARAMS 306
#define MIGRATE_PARAM_LIST_MAX 64u
/* virDrvFeature */
#define FEATURE_MIGRATION_V3 6
#define FEATURE_MIGRATION_OFFLINE 12
#define FEATURE_MIGRATION_PARAMS 13

typedef struct Cookie {
        uint8_t *data;
        size_t len;
} Cookie;

typedef struct P2p {
        Call *call;                  /* the main thread's only */
        sd_event_source *done;
        int efd;
        pthread_t thread;
        /* the thread's input */
        char *root;                  /* qemud's root object */
        char *dom_path;
        char *dom_name;
        char *dconnuri;
        TypedParams params;
        uint32_t flags;
        Cookie cookie;               /* in, then each phase's out */
        /* its result: one of the two errors, or neither */
        sd_bus_error bus_error;
        RemoteError error;
        bool failed;
        /* TUNNELLED: the stream PREPARE_TUNNEL3_PARAMS opened (its call's
         * serial), fed from a pipe QEMU writes by a thread of its own */
        RemoteClient *rc;
        uint32_t stream_serial;
        int pump_fd;
        int pump_error;
} P2p;

/* STREAM packets of at most this (libvirt's chunk) */
#define TUNNEL_CHUNK (256 * 1024 - 28)

static void cookie_set(Cookie *k, const void *p, size_t n) {
        free(k->data);
        k->data = n ? malloc(n) : NULL;
        k->len = k->data ? n : 0;
        if (k->data)
                memcpy(k->data, p, n);
}

static void p2p_free(P2p *p) {
        if (!p)
                return;
        sd_event_source_disable_unref(p->done);
        if (p->efd >= 0)
                close(p->efd);
        free(p->root);
        free(p->dom_path);
        free(p->dom_name);
        free(p->dconnuri);
        typed_params_done(&p->params);
        free(p->cookie.data);
        sd_bus_error_free(&p->bus_error);
        remote_error_done(&p->error);
        free(p);
}

static int fail_local(P2p *p, const sd_bus_error *e, int r) {
        if (e && sd_bus_error_is_set(e))
                sd_bus_error_copy(&p->bus_error, e);
        else
                sd_bus_error_set_errnof(&p->bus_error, -r, "cannot reach qemud: %s", strerror(-r));
        p->failed = true;
        return -EIO;
}

static int fail_remote(P2p *p, RemoteError *e, int r) {
        if (!e->message) {
                e->code = VIR_ERR_INTERNAL_ERROR;
                e->domain = LIBVIRT_FROM_RPC;
                e->message = strdup(strerror(-r));
        }
        remote_error_done(&p->error);
        p->error = *e;
        *e = (RemoteError) {};
        p->failed = true;
        return -EIO;
}

/* The same bus as the proxy's, a connection of the thread's own. */
static int open_bus(sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        const char *address = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        int r;

        if ((r = sd_bus_new(&bus)) < 0 ||
            (r = sd_bus_set_address(bus, address ?: "unix:path=/run/dbus/system_bus_socket")) < 0 ||
            (r = sd_bus_set_bus_client(bus, true)) < 0 || (r = sd_bus_start(bus)) < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

/* Calls method on the domain with the params and the cookie between head
 * (before) and tail (after) arguments; the reply in *ret. */
static int local_call(P2p *p, sd_bus *bus, const char *method, bool with_uri, bool with_cookie, bool cancelled,
                      int fd, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        uint32_t flags = p->flags & ~(uint32_t) MIGRATE_PEER2PEER;
        int r = sd_bus_message_new_method_call(bus, &m, QEMUD, p->dom_path, DOMAIN, method);

        if (r >= 0 && with_uri)
                r = sd_bus_message_append(m, "s", "");
        if (r >= 0)
                r = typed_params_append_bus(m, &p->params);
        if (r >= 0 && with_cookie)
                r = sd_bus_message_append_array(m, 'y', p->cookie.data, p->cookie.len);
        if (r >= 0)
                r = sd_bus_message_append(m, "u", flags);
        if (r >= 0 && streq(method, "MigrateConfirm3"))
                r = sd_bus_message_append(m, "i", (int32_t) cancelled);
        if (r >= 0 && fd >= 0)
                r = sd_bus_message_append_basic(m, 'h', &fd);
        if (r < 0)
                return fail_local(p, NULL, r);
        r = sd_bus_call(bus, m, P2P_CALL_USEC, &e, ret);
        if (r < 0)
                return fail_local(p, &e, r);
        return 0;
}

static int read_cookie(P2p *p, sd_bus_message *m) {
        const void *d = NULL;
        size_t n = 0;
        int r = sd_bus_message_read_array(m, 'y', &d, &n);

        if (r < 0)
                return fail_local(p, NULL, r);
        cookie_set(&p->cookie, d, n);
        return 0;
}

static int begin(P2p *p, sd_bus *bus) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *xml;
        int r = local_call(p, bus, "MigrateBegin3", false, false, false, -1, &reply);

        if (r < 0)
                return r;
        r = read_cookie(p, reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &xml);
        if (r < 0)
                return fail_local(p, NULL, r);
        /* the destination defines what the source says it is */
        if (typed_params_find(&p->params, "destination_xml"))
                return 0;
        r = typed_params_add_string(&p->params, "destination_xml", xml);
        return r < 0 ? fail_local(p, NULL, r) : 0;
}

/* The destination's params, cookie and flags (then Finish's cancelled). */
static void put_dest_args(P2p *p, XdrWriter *w) {
        typed_params_write_xdr(w, &p->params, MIGRATE_PARAM_LIST_MAX);
        xdr_put_opaque(w, p->cookie.data, (uint32_t) p->cookie.len);
        /* libvirtd keeps PEER2PEER here; qemud refuses it: a virtbus destination runs no phase itself */
        xdr_put_u32(w, p->flags & ~(uint32_t) (MIGRATE_ABORT_ON_ERROR | MIGRATE_AUTO_CONVERGE | MIGRATE_PEER2PEER));
}

static int set_string_param(P2p *p, const char *field, const char *value) {
        TypedParams kept = {};
        int r = 0;

        /* the list without field, then field = value */
        for (size_t i = 0; i < p->params.n && r >= 0; i++) {
                const TypedParam *t = &p->params.p[i];
                if (streq(t->field, field))
                        continue;
                if (t->type == TYPED_PARAM_STRING)
                        r = typed_params_add_string(&kept, t->field, t->v.s);
                else if (t->type == TYPED_PARAM_DOUBLE)
                        r = typed_params_add_double(&kept, t->field, t->v.d);
                else
                        r = typed_params_add_u64(&kept, t->field, t->type,
                                                 t->type == TYPED_PARAM_INT      ? (uint64_t) (int64_t) t->v.i
                                                 : t->type == TYPED_PARAM_UINT    ? t->v.ui
                                                 : t->type == TYPED_PARAM_BOOLEAN ? t->v.b
                                                                                  : t->v.ul);
        }
        if (r >= 0)
                r = typed_params_add_string(&kept, field, value);
        if (r < 0) {
                typed_params_done(&kept);
                return r;
        }
        typed_params_done(&p->params);
        p->params = kept;
        return 0;
}

/* A call to the destination with the migration's arguments (Prepare3 and
 * PrepareTunnel3 take the same); its reply in *ret. */
static int call_dest(P2p *p, RemoteClient *rc, int32_t proc, uint8_t **ret, size_t *len) {
        RemoteError e = {};
        XdrWriter w;
        int k;

        xdr_writer_init(&w, 0);
        put_dest_args(p, &w);
        k = xdr_writer_error(&w);
        if (k >= 0)
                k = remote_client_call(rc, proc, &w, ret, len, &e);
        xdr_writer_done(&w);
        return k < 0 ? fail_remote(p, &e, k) : 0;
}

static int bad_reply(P2p *p) {
        RemoteError e = {};

        return fail_remote(p, &e, -EBADMSG);
}

static int prepare(P2p *p, RemoteClient *rc) {
        _cleanup_free_ uint8_t *ret = NULL;
        _cleanup_free_ char *uri = NULL;
        const uint8_t *d;
        uint32_t n;
        XdrReader r;
        size_t len;
        int k = call_dest(p, rc, PROC_PREPARE3_PARAMS, &ret, &len);

        if (k < 0)
                return k;
        r = xdr_reader(ret, len);
        if (xdr_get_opaque(&r, REMOTE_MIGRATE_COOKIE_MAX, &d, &n) < 0 ||
            xdr_get_optional_string(&r, XDR_STRING_MAX, &uri) < 0)
                return bad_reply(p);
        cookie_set(&p->cookie, d, n);
        if (uri && (k = set_string_param(p, "migrate_uri", uri)) < 0)
                return fail_local(p, NULL, k);
        return 0;
}

static int perform(P2p *p, sd_bus *bus) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = local_call(p, bus, "MigratePerform3", true, true, false, -1, &reply);

        return r < 0 ? r : read_cookie(p, reply);
}

/* --- TUNNELLED: QEMU's stream inside the connection to the destination ---- */

/* PREPARE_TUNNEL3_PARAMS: the destination's cookie; the call opened the stream. */
static int prepare_tunnel(P2p *p, RemoteClient *rc) {
        _cleanup_free_ uint8_t *ret = NULL;
        const uint8_t *d;
        uint32_t n;
        XdrReader r;
        size_t len;
        int k = call_dest(p, rc, PROC_PREPARE_TUNNEL3_PARAMS, &ret, &len);

        if (k < 0)
                return k;
        p->stream_serial = rc->serial;
        r = xdr_reader(ret, len);
        if (xdr_get_opaque(&r, REMOTE_MIGRATE_COOKIE_MAX, &d, &n) < 0)
                return bad_reply(p);
        cookie_set(&p->cookie, d, n);
        return 0;
}

/* What QEMU writes, as STREAM packets, until it closes its end; then the
 * stream's finish (or its abort, when the pipe failed). */
static void *pump_main(void *userdata) {
        P2p *p = userdata;
        _cleanup_free_ uint8_t *buf = malloc(TUNNEL_CHUNK);
        int r = buf ? 0 : -ENOMEM;

        while (r >= 0) {
                ssize_t n = read(p->pump_fd, buf, TUNNEL_CHUNK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? -errno : 0;
                        break;
                }
                r = remote_client_stream_send(p->rc, PROC_PREPARE_TUNNEL3_PARAMS, p->stream_serial, RPC_CONTINUE,
                                              buf, (size_t) n);
        }
        p->pump_error = r;
        (void) remote_client_stream_send(p->rc, PROC_PREPARE_TUNNEL3_PARAMS, p->stream_serial,
                                         r < 0 ? RPC_ERROR : RPC_OK, NULL, 0);
        return NULL;
}

/* Perform3 with QEMU writing into our pipe, a thread sending what it reads. */
static int perform_tunnel(P2p *p, sd_bus *bus, RemoteClient *rc) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        pthread_t pump;
        int fds[2], r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return fail_local(p, NULL, -errno);
        p->rc = rc;
        p->pump_fd = fds[0];
        r = -pthread_create(&pump, NULL, pump_main, p);
        if (r < 0) {
                close(fds[0]);
                close(fds[1]);
                return fail_local(p, NULL, r);
        }
        r = local_call(p, bus, "MigratePerform3Tunnel", true, true, false, fds[1], &reply);
        /* our end of QEMU's pipe: QEMU's copy ends the stream when it is done */
        close(fds[1]);
        (void) pthread_join(pump, NULL);
        close(fds[0]);
        if (r >= 0 && p->pump_error < 0) {
                RemoteError e = {};
                return fail_remote(p, &e, p->pump_error);
        }
        return r < 0 ? r : read_cookie(p, reply);
}

/* Returns 1 when the destination has the domain, 0 when not (with the error). */
static int finish(P2p *p, RemoteClient *rc, bool cancelled) {
        _cleanup_free_ uint8_t *ret = NULL;
        RemoteError e = {};
        RemoteHandle dom = {};
        const uint8_t *d;
        uint32_t n;
        XdrWriter w;
        XdrReader r;
        size_t len;
        int k = 0;

        if (!typed_params_find(&p->params, "destination_name"))
                k = set_string_param(p, "destination_name", p->dom_name);
        if (k < 0)
                return fail_local(p, NULL, k);
        xdr_writer_init(&w, 0);
        put_dest_args(p, &w);
        xdr_put_i32(&w, cancelled);
        k = xdr_writer_error(&w);
        if (k >= 0)
                k = remote_client_call(rc, PROC_FINISH3_PARAMS, &w, &ret, &len, &e);
        xdr_writer_done(&w);
        if (k < 0) {
                /* Perform's error, when there was one, says more */
                if (!p->failed)
                        (void) fail_remote(p, &e, k);
                remote_error_done(&e);
                return 0;
        }
        r = xdr_reader(ret, len);
        k = remote_get_domain(&r, &dom);
        remote_handle_done(&dom);
        if (k < 0 || xdr_get_opaque(&r, REMOTE_MIGRATE_COOKIE_MAX, &d, &n) < 0) {
                (void) fail_remote(p, &e, -EBADMSG);
                return 0;
        }
        cookie_set(&p->cookie, d, n);
        return 1;
}

static int confirm(P2p *p, sd_bus *bus, bool cancelled) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool failed = p->failed, failed_here = sd_bus_error_is_set(&p->bus_error);
        int r = local_call(p, bus, "MigrateConfirm3", false, true, cancelled, -1, &reply);

        /* an earlier error stays the one told: the destination's, or
         * qemud's own (Begin3's), which a bus error keeps as the first */
        if (r < 0 && failed && !failed_here) {
                sd_bus_error_free(&p->bus_error);
                p->bus_error = SD_BUS_ERROR_NULL;
        }
        return r;
}

static int check_peer(P2p *p, RemoteClient *rc) {
        RemoteError e = {};
        int k = remote_client_supports(rc, FEATURE_MIGRATION_V3, &e);

        if (k > 0)
                k = remote_client_supports(rc, FEATURE_MIGRATION_PARAMS, &e);
        if (k > 0 && (p->flags & MIGRATE_OFFLINE))
                k = remote_client_supports(rc, FEATURE_MIGRATION_OFFLINE, &e);
        if (k < 0)
                return fail_remote(p, &e, k);
        if (k == 0) {
                e.code = VIR_ERR_NO_SUPPORT;
                e.domain = LIBVIRT_FROM_QEMU;
                e.message = strdup("the destination host does not support migration v3 with parameters"
                                   " (or offline migration)");
                return fail_remote(p, &e, -ENOTSUP);
        }
        return 0;
}

static void run(P2p *p) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        RemoteClient rc = { .fd = -1 };
        RemoteError e = {};
        bool arrived;
        int k = open_bus(&bus);

        if (k < 0) {
                (void) fail_local(p, NULL, k);
                return;
        }
        k = remote_client_open(&rc, p->dconnuri, &e);
        if (k < 0) {
                (void) fail_remote(p, &e, k);
                return;
        }
        if (check_peer(p, &rc) < 0 || begin(p, bus) < 0 ||
            ((p->flags & MIGRATE_TUNNELLED) ? prepare_tunnel(p, &rc) : prepare(p, &rc)) < 0) {
                remote_client_close(&rc);
                /* nothing started on either side: Begin's job ends with a cancelled Confirm */
                (void) confirm(p, bus, true);
                return;
        }
        if (p->flags & MIGRATE_TUNNELLED)
                (void) perform_tunnel(p, bus, &rc);
        else if (!(p->flags & MIGRATE_OFFLINE))
                (void) perform(p, bus);
        arrived = finish(p, &rc, p->failed) > 0;
        remote_client_close(&rc);
        (void) confirm(p, bus, !arrived);
}

static void *thread_main(void *userdata) {
        P2p *p = userdata;
        uint64_t one = 1;

        run(p);
        if (write(p->efd, &one, sizeof(one)) < 0)
                log_error_errno(-errno, "Cannot wake the proxy after a migration: %m");
        return NULL;
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        P2p *p = userdata;
        Call *c = p->call;

        (void) pthread_join(p->thread, NULL);
        client_call_finished(c->client);
        if (sd_bus_error_is_set(&p->bus_error))
                (void) call_fail_bus(c, &p->bus_error);
        else if (p->failed)
                (void) call_fail(c, p->error.code, p->error.domain, "%s", p->error.message ?: "migration failed");
        else {
                /* Perform3Params's cookie out: the client has no Confirm to give it to */
                xdr_put_opaque(&c->w, NULL, 0);
                call_reply(c);
        }
        p2p_free(p);
        return 0;
}

static int p2p_new(Call *c, P2p **ret) {
        P2p *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        p->efd = -1;
        p->call = c;
        p->flags = c->v[3].u;
        p->root = strdup(c->root);
        p->dom_path = call_target_path(c);
        p->dom_name = strdup(c->target.name);
        p->dconnuri = strdup(c->v[0].s ?: "");
        cookie_set(&p->cookie, c->v[2].bytes, c->v[2].n_bytes);
        p->params = c->v[1].tp;
        c->v[1].tp = (TypedParams) {};
        if (!p->root || !p->dom_path || !p->dom_name || !p->dconnuri) {
                p2p_free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

int migrate_p2p_start(Call *c) {
        RemoteError e = {};
        RemoteUri u = {};
        P2p *p = NULL;
        int r;

        if (!c->v[0].s || !*c->v[0].s)
                return call_fail(c, VIR_ERR_INVALID_ARG, LIBVIRT_FROM_DOMAIN,
                                 "peer-to-peer migration needs the destination's URI");
        r = remote_uri_parse(c->v[0].s, &u, &e);
        remote_uri_done(&u);
        if (r < 0) {
                r = e.message ? call_fail(c, e.code, LIBVIRT_FROM_QEMU, "%s", e.message) : r;
                remote_error_done(&e);
                return r;
        }
        r = p2p_new(c, &p);
        if (r >= 0) {
                p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                r = p->efd < 0 ? -errno : 0;
        }
        if (r >= 0)
                r = sd_event_add_io(c->client->server->event, &p->done, p->efd, EPOLLIN, on_done, p);
        if (r >= 0)
                r = -pthread_create(&p->thread, NULL, thread_main, p);
        if (r < 0) {
                p2p_free(p);
                return r;
        }
        client_call_started(c->client);
        log_info("Migrating %s to %s peer to peer.", c->target.name, c->v[0].s);
        return -ECANCELED;
}

/* --- incoming guests of a client --------------------------------------- */

char *migrate_incoming_name(const TypedParams *tp) {
        const TypedParam *n = typed_params_find(tp, "destination_name");
        const TypedParam *x = typed_params_find(tp, "destination_xml");
        const XmlLib *xl;
        xmlDocPtr doc;
        char *name = NULL;

        if (n && n->type == TYPED_PARAM_STRING)
                return strdup(n->v.s);
        if (!x || x->type != TYPED_PARAM_STRING || !(xl = xml_lib()))
                return NULL;
        doc = xl->read_memory(x->v.s, (int) strlen(x->v.s), NULL, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc)
                return NULL;
        for (xmlNodePtr k = xl->doc_get_root_element(doc) ? xl->doc_get_root_element(doc)->children : NULL;
             k && !name; k = k->next)
                if (k->type == XML_ELEMENT_NODE && xl->str_equal(k->name, BAD_CAST "name")) {
                        xmlChar *t = xl->node_get_content(k);
                        name = t ? strdup((const char *) t) : NULL;
                        if (t)
                                xl->free(t);
                }
        xl->free_doc(doc);
        return name;
}

int migrate_incoming_add(Client *c, const char *name) {
        return strv_extend(&c->incoming, name);
}

void migrate_incoming_drop(Client *c, const char *name) {
        size_t n = strv_length(c->incoming), j = 0;

        for (size_t i = 0; i < n; i++) {
                if (streq(c->incoming[i], name))
                        free(c->incoming[i]);
                else
                        c->incoming[j++] = c->incoming[i];
        }
        if (c->incoming)
                c->incoming[j] = NULL;
}

static int on_cancelled(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e)
                log_info("The incoming guest of a client that went away: %s", e->message ?: e->name);
        return 0;
}

void migrate_client_gone(Client *c) {
        sd_bus *bus = c->server->bus;

        for (size_t i = 0; c->incoming && c->incoming[i]; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                int r = sd_bus_message_new_method_call(bus, &m, QEMUD, "/org/virtbus/qemud",
                                                       "org.libvirt.Connect", "DomainMigrateFinish3");
                if (r >= 0)
                        r = sd_bus_message_append(m, "a{sv}", 1, "destination_name", "s", c->incoming[i]);
                if (r >= 0)
                        r = sd_bus_message_append_array(m, 'y', NULL, 0);
                if (r >= 0)
                        r = sd_bus_message_append(m, "ui", 0, 1);
                if (r >= 0)
                        r = sd_bus_call_async(bus, NULL, m, on_cancelled, NULL, 0);
                if (r < 0)
                        log_error_errno(r, "Cannot end the incoming guest %s of a client that went away: %m",
                                        c->incoming[i]);
                else
                        log_info("A client went away between Prepare and Finish: ending the incoming guest %s.",
                                 c->incoming[i]);
        }
        c->incoming = strv_free_null(c->incoming);
}
