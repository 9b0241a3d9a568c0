/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <stdarg.h>

#include "call.h"
#include "bus-util.h"
#include "error.h"
#include "events.h"
#include "log.h"
#include "util.h"
#include "uuid.h"

/* Starting a guest or stopping it gracefully may take a while; libvirt has
 * no timeout at all on its side. */
#define CALL_TIMEOUT_USEC (10ULL * 60 * 1000000)

Call *call_new(Client *client, const RpcHeader *hdr, const ProcDef *def) {
        Call *c = calloc(1, sizeof(*c));
        RpcHeader reply;

        if (!c)
                return NULL;
        c->client = client_ref(client);
        c->hdr = *hdr;
        c->def = def;
        c->fd_out = -1;
        c->driver = client->driver;
        if (c->driver) {
                c->bus_name = c->driver->bus_name;
                c->root = c->driver->root;
        }
        xdr_writer_init(&c->w, 0);
        reply = rpc_reply_header(hdr, RPC_OK);
        rpc_frame_begin(&c->w, &reply);
        return c;
}

void call_free(Call *c) {
        remote_handle_done(&c->target);
        remote_handle_done(&c->filter);
        for (size_t i = 0; i < c->n_v; i++) {
                free(c->v[i].s);
                free(c->v[i].au);
                for (uint32_t k = 0; k < c->v[i].n_doms; k++)
                        remote_handle_done(&c->v[i].doms[k]);
                free(c->v[i].doms);
                strv_free(c->v[i].strv);
                typed_params_done(&c->v[i].tp);
                free(c->v[i].bytes);
        }
        for (size_t i = 0; i < c->n_paths; i++) {
                free(c->paths[i]);
                if (c->handles)
                        remote_handle_done(&c->handles[i]);
        }
        free(c->paths);
        free(c->handles);
        free(c->found);
        free(c->path);
        if (c->fd_out >= 0)
                close(c->fd_out);
        xdr_writer_done(&c->w);
        client_unref(c->client);
        free(c);
}

static const char *kind_word(HandleKind kind) {
        switch (kind) {
        case HANDLE_POOL: return "storagepool";
        case HANDLE_VOL: return "storagevol";
        case HANDLE_NETWORK: return "network";
        case HANDLE_SNAPSHOT: return "domainsnapshot";
        case HANDLE_SECRET: return "secret";
        default: return "domain";
        }
}

static const char *kind_interface(HandleKind kind) {
        switch (kind) {
        case HANDLE_POOL: return "org.libvirt.StoragePool";
        case HANDLE_VOL: return "org.libvirt.StorageVol";
        case HANDLE_NETWORK: return "org.libvirt.Network";
        case HANDLE_SNAPSHOT: return "org.libvirt.DomainSnapshot";
        case HANDLE_SECRET: return "org.libvirt.Secret";
        default: return "org.libvirt.Domain";
        }
}

/* libvirt's error for an object of kind that is not there. */
static int kind_missing_code(HandleKind kind) {
        switch (kind) {
        case HANDLE_POOL: return VIR_ERR_NO_STORAGE_POOL;
        case HANDLE_VOL: return VIR_ERR_NO_STORAGE_VOL;
        case HANDLE_NETWORK: return VIR_ERR_NO_NETWORK;
        case HANDLE_SNAPSHOT: return VIR_ERR_NO_DOMAIN_SNAPSHOT;
        case HANDLE_SECRET: return VIR_ERR_NO_SECRET;
        default: return VIR_ERR_NO_DOMAIN;
        }
}

/* The object path of the call's target, in libvirt-dbus's encoding. */
char *call_target_path(const Call *c) {
        _cleanup_free_ char *label = NULL;
        char *path;

        if (c->target_kind == HANDLE_SNAPSHOT) {
                /* <root>/domainsnapshot/_<domain uuid>_<escaped name> */
                _cleanup_free_ char *base = bus_path_from_uuid(c->root, kind_word(c->target_kind), c->target.uuid);
                label = bus_label_escape(c->target.name ? c->target.name : "");
                if (!base || !label || asprintf(&path, "%s_%s", base, label) < 0)
                        return NULL;
                return path;
        }
        if (c->target_kind != HANDLE_VOL)
                return bus_path_from_uuid(c->root, kind_word(c->target_kind), c->target.uuid);
        label = bus_label_escape(c->target.key);
        if (!label || asprintf(&path, "%s/storagevol/%s", c->root, label) < 0)
                return NULL;
        return path;
}

static int get_u32_array(XdrReader *r, CallValue *v) {
        int e = xdr_get_u32(r, &v->n_au);

        if (e < 0)
                return e;
        if (v->n_au > CALL_ARRAY_MAX)
                return -EBADMSG;
        v->au = calloc(v->n_au ? v->n_au : 1, sizeof(uint32_t));
        if (!v->au)
                return -ENOMEM;
        for (uint32_t i = 0; i < v->n_au && e >= 0; i++)
                e = xdr_get_u32(r, &v->au[i]);
        return e;
}

static int get_domain_array(XdrReader *r, CallValue *v) {
        uint32_t n;
        int e = xdr_get_u32(r, &n);

        if (e < 0)
                return e;
        if (n > CALL_DOMAINS_MAX)
                return -EBADMSG;
        v->doms = calloc(n ? n : 1, sizeof(RemoteHandle));
        if (!v->doms)
                return -ENOMEM;
        for (; v->n_doms < n && e >= 0; v->n_doms++)
                e = remote_get_domain(r, &v->doms[v->n_doms]);
        return e;
}

static int get_string_array(XdrReader *r, CallValue *v) {
        uint32_t n;
        int e = xdr_get_u32(r, &n);

        if (e < 0)
                return e;
        if (n > CALL_STRINGS_MAX)
                return -EBADMSG;
        v->strv = calloc(n + 1, sizeof(char *));
        if (!v->strv)
                return -ENOMEM;
        for (uint32_t i = 0; i < n && e >= 0; i++)
                e = xdr_get_string(r, XDR_STRING_MAX, &v->strv[i]);
        return e;
}

int call_decode(Call *c, XdrReader *r) {
        int e = 0;

        for (const char *a = c->def->args; a && *a && e >= 0; a++) {
                CallValue *v;
                if (*a == 'D' || *a == 'P' || *a == 'V' || *a == 'N' || *a == 'Y' || *a == 'X') {
                        e = remote_get_handle(r, *a, &c->target);
                        if (e >= 0)
                                c->target_kind = *a;
                        continue;
                }
                if (*a == 'd' || *a == 'k' || *a == 'p' || *a == 'x') {
                        bool present;
                        c->filter_kind = *a == 'd' ? HANDLE_DOMAIN : *a == 'k' ? HANDLE_NETWORK :
                                         *a == 'x' ? HANDLE_SECRET : HANDLE_POOL;
                        e = xdr_get_bool(r, &present);
                        if (e >= 0 && present) {
                                e = remote_get_handle(r, c->filter_kind, &c->filter);
                                c->has_filter = e >= 0;
                        }
                        continue;
                }
                assert(c->n_v < CALL_VALUES_MAX);
                v = &c->v[c->n_v++];
                v->type = *a;
                switch (*a) {
                case 's':
                        e = xdr_get_string(r, XDR_STRING_MAX, &v->s);
                        break;
                case 'z':
                        e = xdr_get_optional_string(r, XDR_STRING_MAX, &v->s);
                        break;
                case 'u':
                        e = xdr_get_u32(r, &v->u);
                        break;
                case 'i':
                case 'n':
                        e = xdr_get_i32(r, &v->i);
                        break;
                case 'h':
                        e = xdr_get_u64(r, &v->h);
                        break;
                case 'U':
                        e = xdr_get_fixed(r, v->uuid, 16);
                        break;
                case 'o': {
                        const uint8_t *p;
                        e = xdr_get_opaque(r, CALL_OPAQUE_MAX, &p, &v->u);
                        if (e >= 0) {
                                v->s = malloc(v->u + 1);
                                if (!v->s)
                                        e = -ENOMEM;
                                else
                                        memcpy(v->s, p, v->u);
                        }
                        break;
                }
                case 'A':
                        e = get_u32_array(r, v);
                        break;
                case 'L':
                        e = get_domain_array(r, v);
                        break;
                case 'S':
                        e = get_string_array(r, v);
                        break;
                case 'T':
                        e = typed_params_read_xdr(r, c->def->params_max ? c->def->params_max : CALL_TYPED_MAX,
                                                  &v->tp);
                        break;
                case 'M':
                case 'C': {
                        const uint8_t *p;
                        e = xdr_get_opaque(r, *a == 'M' ? REMOTE_CPUMAP_MAX : REMOTE_MIGRATE_COOKIE_MAX, &p,
                                           &v->n_bytes);
                        if (e >= 0 && v->n_bytes) {
                                v->bytes = malloc(v->n_bytes);
                                if (v->bytes)
                                        memcpy(v->bytes, p, v->n_bytes);
                                else
                                        e = -ENOMEM;
                        }
                        break;
                }
                default:
                        e = -EINVAL;
                }
        }
        /* Bytes after the arguments are ignored, as libvirtd's decoder does. */
        return e == -ENOMEM ? e : e < 0 ? -EBADMSG : 0;
}

void call_reply(Call *c) {
        if (rpc_frame_end(&c->w) < 0) {
                (void) call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC, "the reply to %s is too large",
                                 c->def->api);
                return;
        }
        if (c->fd_out >= 0)
                client_send_fd(c->client, &c->w, TAKE_FD(c->fd_out));
        else
                client_send(c->client, &c->w);
        call_free(c);
}

int call_reply_fd(Call *c, int fd) {
        /* the type word of the header, after length, program, version, procedure */
        const size_t type_at = RPC_LEN_SIZE + 3 * 4;

        assert(c->w.len == RPC_FRAME_MIN && c->fd_out < 0);
        c->fd_out = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (c->fd_out < 0)
                return -errno;
        xdr_patch_u32(&c->w, type_at, RPC_REPLY_WITH_FDS);
        xdr_put_u32(&c->w, 1);
        return 0;
}

/* libvirt's words before a message of each code (the part of virErrorMsg a
 * client prints), so virsh reads as it does against libvirtd. */
const char *libvirt_code_prefix(int code) {
        switch (code) {
        case 1: return "internal error";
        case 3: return "this function is not supported by the connection driver";
        case 8: return "invalid argument";
        case 9: return "operation failed";
        case 27: return "XML error";
        case 29: return "operation forbidden";
        case 42: return "Domain not found";
        case 43: return "Network not found";
        case 49: return "Storage pool not found";
        case 50: return "Storage volume not found";
        case 55: return "Requested operation is not valid";
        case 65: return "Invalid secret";
        case 66: return "Secret not found";
        case 67: return "unsupported configuration";
        case 68: return "Timed out during operation";
        case 72: return "Domain snapshot not found";
        case 74: return "argument unsupported";
        case 78: return "operation aborted";
        case 84: return "Operation not supported";
        case 86: return "Guest agent is not responding";
        case 87: return "resource busy";
        case 88: return "access denied";
        default: return NULL;
        }
}

static int call_fail_message(Call *c, int code, int domain, const char *text) {
        const char *prefix = libvirt_code_prefix(code);
        _cleanup_free_ char *msg = NULL;
        RpcHeader h = rpc_reply_header(&c->hdr, RPC_ERROR);
        size_t n = prefix ? strlen(prefix) : 0;

        /* a daemon may have said it already ("Domain not found: ...") */
        if (prefix && !(strncmp(text, prefix, n) == 0 && text[n] == ':')) {
                if (asprintf(&msg, "%s: %s", prefix, text) < 0)
                        msg = NULL;
        } else
                msg = strdup(text);
        xdr_writer_done(&c->w);
        xdr_writer_init(&c->w, 0);
        rpc_frame_begin(&c->w, &h);
        rpc_put_error(&c->w, code, domain, msg ? msg : text);
        if (rpc_frame_end(&c->w) >= 0)
                client_send(c->client, &c->w);
        else
                client_close(c->client, "cannot encode an error");
        call_free(c);
        return -ECANCELED;
}

int call_fail(Call *c, int code, int domain, const char *fmt, ...) {
        char buf[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        utf8_sanitize(buf);
        return call_fail_message(c, code, domain, buf);
}

static bool name_is(const sd_bus_error *e, const char *suffix) {
        static const char prefix[] = "org.freedesktop.DBus.Error.";

        return e->name && strncmp(e->name, prefix, sizeof(prefix) - 1) == 0 &&
               streq(e->name + sizeof(prefix) - 1, suffix);
}

/* The object of a handle is not there (any more). */
static int call_fail_gone(Call *c, HandleKind kind, const RemoteHandle *h) {
        int domain = vb_error_domain_for_daemon(c->bus_name);
        char uuid[UUID_STRING_MAX];

        if (kind == HANDLE_VOL)
                return call_fail(c, VIR_ERR_NO_STORAGE_VOL, domain, "no storage vol with matching key %s",
                                 h->key ? h->key : "?");
        if (kind == HANDLE_SNAPSHOT)
                return call_fail(c, VIR_ERR_NO_DOMAIN_SNAPSHOT, domain,
                                 "Domain snapshot not found: no domain snapshot with matching name '%s'",
                                 h->name ? h->name : "?");
        uuid_format(h->uuid, uuid);
        if (kind == HANDLE_SECRET)
                return call_fail(c, VIR_ERR_NO_SECRET, domain, "Secret not found: no secret with matching uuid '%s'",
                                 uuid);
        if (kind == HANDLE_POOL)
                return call_fail(c, VIR_ERR_NO_STORAGE_POOL, domain, "no storage pool with matching uuid '%s' (%s)",
                                 uuid, h->name ? h->name : "?");
        if (kind == HANDLE_NETWORK)
                return call_fail(c, VIR_ERR_NO_NETWORK, domain, "no network with matching uuid '%s' (%s)", uuid,
                                 h->name ? h->name : "?");
        return call_fail(c, VIR_ERR_NO_DOMAIN, domain, "no domain with matching uuid '%s' (%s)", uuid,
                         h->name ? h->name : "?");
}

int call_fail_bus(Call *c, const sd_bus_error *e) {
        const VbErrorInfo *info = vb_error_lookup(e->name);
        const char *msg = e->message ? e->message : e->name ? e->name : "unknown error";
        const char *daemon = c->bus_name ? c->bus_name : "the daemon";
        int domain = vb_error_domain_for_daemon(c->bus_name);

        if (info)
                return call_fail(c, info->libvirt_code, domain, "%s", msg);
        if (c->target_kind && name_is(e, "UnknownObject"))
                return call_fail_gone(c, c->target_kind, &c->target);
        if (name_is(e, "UnknownMethod") || name_is(e, "UnknownInterface") || name_is(e, "UnknownProperty"))
                return call_fail(c, VIR_ERR_NO_SUPPORT, domain, "%s", c->def->api);
        if (name_is(e, "InvalidArgs"))
                return call_fail(c, VIR_ERR_INVALID_ARG, domain, "%s", msg);
        if (name_is(e, "ServiceUnknown") || name_is(e, "NameHasNoOwner") || name_is(e, "NoReply") ||
            name_is(e, "Disconnected") || name_is(e, "Timeout") || name_is(e, "NoServer"))
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC, "cannot reach %s: %s", daemon, msg);
        return call_fail(c, VIR_ERR_INTERNAL_ERROR, domain, "%s", msg);
}

void call_finish(Call *c, int r) {
        if (r == 0)
                call_reply(c);
        else if (r < 0 && r != -ECANCELED)
                (void) call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC, "%s failed in the proxy: %s",
                                 c->def->api, strerror(-r));
}

/* A call that only reads may go straight to its daemon (peers.h). */
static sd_bus *call_bus(const Call *c, const char *interface) {
        return server_bus(c->client->server, c->bus_name, interface, c->def->flags & PROC_READ);
}

/* On a private connection, none: the daemon's end going away fails the
 * calls in flight at once, and a timer armed and disarmed around every
 * call (two timerfd_settime()) would cost more than the call. */
static uint64_t call_timeout(const Call *c, sd_bus *bus) {
        return bus == c->client->server->bus ? CALL_TIMEOUT_USEC : UINT64_MAX;
}

static int on_method_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;

        client_call_finished(c->client);
        if (sd_bus_message_is_method_error(m, NULL)) {
                (void) call_fail_bus(c, sd_bus_message_get_error(m));
                return 0;
        }
        call_finish(c, c->next ? c->next(c, m) : c->def->reply(c, m));
        return 0;
}

int call_chain(Call *c, const char *path, const char *interface, const char *method, CallReplyFn next,
               const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus *bus = call_bus(c, interface);
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, c->bus_name, path ? path : c->root, interface, method);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = types ? sd_bus_message_appendv(m, types, ap) : 0;
        va_end(ap);
        if (r < 0)
                return r;
        r = sd_bus_call_async(bus, NULL, m, on_method_reply, c, call_timeout(c, bus));
        if (r < 0)
                return r;
        c->next = next;
        client_call_started(c->client);
        return 1;
}

/* libvirt's cpumap, CPU i in bit i % 8 of byte i / 8, as libvirt-dbus's ab. */
static int append_cpumap(sd_bus_message *m, const uint8_t *map, uint32_t n) {
        int r = sd_bus_message_open_container(m, 'a', "b");

        for (uint32_t i = 0; i < n * 8 && r >= 0; i++) {
                int b = (map[i / 8] >> (i % 8)) & 1;
                r = sd_bus_message_append_basic(m, 'b', &b);
        }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_values(Call *c, sd_bus_message *m) {
        char uuid[UUID_STRING_MAX];
        int r = 0;

        for (size_t i = 0; i < c->n_v && r >= 0; i++) {
                const CallValue *v = &c->v[i];
                switch (v->type) {
                case 's':
                case 'z':
                        r = sd_bus_message_append_basic(m, 's', v->s ? v->s : "");
                        break;
                case 'u':
                        r = sd_bus_message_append_basic(m, 'u', &v->u);
                        break;
                case 'i':
                        r = sd_bus_message_append_basic(m, 'i', &v->i);
                        break;
                case 'h':
                        r = sd_bus_message_append_basic(m, 't', &v->h);
                        break;
                case 'U':
                        r = sd_bus_message_append_basic(m, 's', uuid_format(v->uuid, uuid));
                        break;
                case 'A':
                        r = sd_bus_message_append_array(m, 'u', v->au, v->n_au * sizeof(uint32_t));
                        break;
                case 'S':
                        r = sd_bus_message_append_strv(m, v->strv);
                        break;
                case 'T':
                        r = typed_params_append_bus(m, &v->tp);
                        break;
                case 'M':
                        r = append_cpumap(m, v->bytes, v->n_bytes);
                        break;
                case 'C':
                        r = sd_bus_message_append_array(m, 'y', v->bytes, v->n_bytes);
                        break;
                }
        }
        return r;
}

void call_use_service(Call *c, ProcService service) {
        if (service == SERVICE_STORAGE) {
                c->bus_name = "org.virtbus.storaged";
                c->root = "/org/virtbus/storaged";
        } else if (service == SERVICE_NETWORK) {
                c->bus_name = "org.virtbus.networkd";
                c->root = "/org/virtbus/networkd";
        } else if (service == SERVICE_SECRET) {
                c->bus_name = "org.virtbus.secretd";
                c->root = "/org/virtbus/secretd";
        }
}

static int forward(Call *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const ProcDef *def = c->def;
        sd_bus *bus;
        int r;

        call_use_service(c, def->service);
        bus = call_bus(c, def->property ? "org.freedesktop.DBus.Properties" : def->interface);
        if (c->target_kind) {
                c->path = call_target_path(c);
                if (!c->path)
                        return -ENOMEM;
        }
        r = sd_bus_message_new_method_call(bus, &m, c->bus_name, c->path ? c->path : c->root,
                                           def->property ? "org.freedesktop.DBus.Properties" : def->interface,
                                           def->method);
        if (r >= 0 && def->property)
                r = sd_bus_message_append(m, "ss", def->interface, def->property);
        if (r >= 0)
                r = append_values(c, m);
        if (r < 0)
                return r;
        if (def->append && (r = def->append(c, m)) < 0)
                return r;
        r = sd_bus_call_async(bus, NULL, m, on_method_reply, c, call_timeout(c, bus));
        if (r < 0)
                return r;
        client_call_started(c->client);
        return 1;
}

void call_run(Call *c) {
        call_finish(c, c->def->local ? c->def->local(c) : forward(c));
}

/* --- reading domain handles ----------------------------------------------- */

/* The bus daemon refuses more than 128 calls awaiting a reply from one
 * connection (max_replies_per_connection, the system bus's default), and all
 * the proxy's clients share its connection: a list of a thousand objects
 * reads its handles a window at a time. */
#define FETCH_WINDOW 32

typedef struct Fetch {
        Call *call;
        size_t index;
} Fetch;

int bus_read_handle(sd_bus_message *m, RemoteHandle *d) {
        const char *key, *s;
        uint32_t id = 0;
        int32_t usage_type = 0;
        bool is_secret = false;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                if ((r = sd_bus_message_read(m, "s", &key)) < 0)
                        return r;
                if (streq(key, "Name")) {
                        if ((r = sd_bus_message_read(m, "v", "s", &s)) < 0)
                                return r;
                        free(d->name);
                        d->name = strdup(s);
                        if (!d->name)
                                return -ENOMEM;
                } else if (streq(key, "UUID")) {
                        if ((r = sd_bus_message_read(m, "v", "s", &s)) < 0)
                                return r;
                        if ((r = uuid_parse(s, d->uuid)) < 0)
                                return r;
                } else if (streq(key, "Id")) {
                        if ((r = sd_bus_message_read(m, "v", "u", &id)) < 0)
                                return r;
                } else if (streq(key, "UsageType")) {
                        /* a secret's: it has no name */
                        if ((r = sd_bus_message_read(m, "v", "i", &usage_type)) < 0)
                                return r;
                        is_secret = true;
                } else if (streq(key, "UsageID")) {
                        if ((r = sd_bus_message_read(m, "v", "s", &s)) < 0)
                                return r;
                        free(d->key);
                        d->key = strdup(s);
                        if (!d->key)
                                return -ENOMEM;
                } else if (streq(key, "Key")) {
                        if ((r = sd_bus_message_read(m, "v", "s", &s)) < 0)
                                return r;
                        free(d->key);
                        d->key = strdup(s);
                        if (!d->key)
                                return -ENOMEM;
                } else if ((r = sd_bus_message_skip(m, "v")) < 0)
                        return r;
                if ((r = sd_bus_message_exit_container(m)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (is_secret) {
                d->id = usage_type;
                return 0;
        }
        d->id = id > 0 && id <= INT32_MAX ? (int32_t) id : -1;
        return d->name ? 0 : -EBADMSG;
}

static int set_vol_pool(Call *c, RemoteHandle *h) {
        const char *pool = c->target_kind == HANDLE_POOL ? c->target.name :
                           c->target_kind == HANDLE_VOL  ? c->target.pool :
                                                          "";
        free(h->pool);
        h->pool = strdup(pool ? pool : "");
        return h->pool ? 0 : -ENOMEM;
}

/* An object that went away between the list and now: not listed. Any other
 * error (the bus's limits, a daemon gone) fails the call. */
static bool handle_gone(const sd_bus_error *e, HandleKind kind) {
        const VbErrorInfo *info = vb_error_lookup(e->name);

        return sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
               sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_INTERFACE) ||
               (info && info->libvirt_code == kind_missing_code(kind));
}

static int fetch_more(Call *c);

static int on_handle(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Fetch *f = userdata;
        Call *c = f->call;
        size_t i = f->index;
        int r = 0;

        free(f);
        client_call_finished(c->client);
        c->pending--;
        if (!sd_bus_message_is_method_error(m, NULL)) {
                r = bus_read_handle(m, &c->handles[i]);
                if (r >= 0 && c->fetch_kind == HANDLE_VOL)
                        r = set_vol_pool(c, &c->handles[i]);
                c->found[i] = r >= 0;
                if (r >= 0)
                        events_note_name(c->client->server, c->fetch_kind, c->handles[i].uuid, c->handles[i].name);
        } else if (!handle_gone(sd_bus_message_get_error(m), c->fetch_kind) && c->fetch_error >= 0)
                c->fetch_error = sd_bus_error_get_errno(sd_bus_message_get_error(m)) > 0 ?
                                 -sd_bus_error_get_errno(sd_bus_message_get_error(m)) : -EIO;
        if (c->fetch_error >= 0 && c->fetch_next < c->n_paths) {
                r = fetch_more(c);
                if (r < 0)
                        c->fetch_error = r;
        }
        if (c->pending > 0)
                return 0;
        if (c->fetch_error < 0) {
                call_finish(c, c->fetch_error);
                return 0;
        }
        if (c->fetch_must_exist) {
                for (size_t j = 0; j < c->n_paths; j++)
                        if (!c->found[j]) {
                                (void) call_fail(c, kind_missing_code(c->fetch_kind),
                                                 vb_error_domain_for_daemon(c->bus_name), "no object at %s",
                                                 c->paths[j]);
                                return 0;
                        }
        }
        call_finish(c, c->fetch_done(c));
        return 0;
}

/* Sends reads until the window is full; -errno only when none is in flight
 * (else the ones in flight end the call). */
static int fetch_more(Call *c) {
        sd_bus *bus = c->client->server->bus;
        int r;

        while (c->pending < FETCH_WINDOW && c->fetch_next < c->n_paths) {
                Fetch *f = malloc(sizeof(*f));
                r = f ? 0 : -ENOMEM;
                if (f) {
                        *f = (Fetch) { .call = c, .index = c->fetch_next };
                        r = sd_bus_call_method_async(bus, NULL, c->bus_name, c->paths[c->fetch_next],
                                                     "org.freedesktop.DBus.Properties", "GetAll", on_handle, f,
                                                     "s", kind_interface(c->fetch_kind));
                }
                if (r < 0) {
                        free(f);
                        return r;
                }
                c->fetch_next++;
                c->pending++;
                client_call_started(c->client);
        }
        return 0;
}

int call_fetch_handles(Call *c, HandleKind kind, char **paths, size_t n, bool must_exist, CallFetchDoneFn done) {
        int r;

        c->fetch_kind = kind;
        c->paths = paths;
        c->n_paths = n;
        c->fetch_done = done;
        c->fetch_must_exist = must_exist;
        c->handles = calloc(n ? n : 1, sizeof(*c->handles));
        c->found = calloc(n ? n : 1, sizeof(*c->found));
        if (!c->handles || !c->found)
                return -ENOMEM;
        if (n == 0)
                return done(c);
        r = fetch_more(c);
        if (r < 0 && c->pending == 0)
                return r;
        if (r < 0)
                /* the ones in flight hold the call: the last one fails it */
                c->fetch_error = r;
        return 1;
}
