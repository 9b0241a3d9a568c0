/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The procedures of libvirt's REMOTE program that the proxy serves: one row
 * each, naming the daemon method and the functions that convert the
 * arguments and the result (call.h says how a row is read). What is not
 * here gets libvirt's "not supported by the connection driver", on which
 * clients fall back to older calls or do without. */

#include "auth.h"
#include "bus-connect.h"
#include "dispatch.h"
#include "procedures.h"
#include "error.h"
#include "events.h"
#include "log.h"
#include "stream.h"
#include "typed-params.h"
#include "util.h"
#include "uuid.h"

static const Driver drivers[] = {
        { "qemu:///system", "QEMU", "org.virtbus.qemud", "/org/virtbus/qemud" },
        /* for lxcd, when it comes: the same methods on its own objects */
        { "lxc:///system", "LXC", "org.virtbus.lxcd", "/org/virtbus/lxcd" },
};

const Driver *driver_table(size_t *n) {
        *n = ELEMENTSOF(drivers);
        return drivers;
}

const Driver *driver_find(const char *uri) {
        for (size_t i = 0; i < ELEMENTSOF(drivers); i++)
                if (streq(drivers[i].uri, uri))
                        return &drivers[i];
        return NULL;
}

/* virDrvFeature numbers */
enum {
        FEATURE_MIGRATION_P2P = 4,
        FEATURE_MIGRATION_V3 = 6,
        FEATURE_MIGRATE_CHANGE_PROTECTION = 7,
        FEATURE_FD_PASSING = 8,
        FEATURE_TYPED_PARAM_STRING = 9,
        FEATURE_PROGRAM_KEEPALIVE = 10,
        FEATURE_MIGRATION_OFFLINE = 12,
        FEATURE_MIGRATION_PARAMS = 13,
        FEATURE_REMOTE_EVENT_CALLBACK = 14,
        FEATURE_REMOTE_CLOSE_CALLBACK = 15,
        FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER = 16,
};
enum { CONNECT_RO = 1 };
enum { LIST_ACTIVE = 1, LIST_INACTIVE = 2 };
enum { XML_SECURE = 1 };
enum { DEFINE_VALIDATE = 1 };

/* --- answered here ------------------------------------------------------ */

static int local_supports_feature(Call *c) {
        switch (c->v[0].i) {
        case FEATURE_FD_PASSING: /* replies (OPEN_GRAPHICS_FD); no call takes fds */
        case FEATURE_TYPED_PARAM_STRING:
        case FEATURE_PROGRAM_KEEPALIVE:
        case FEATURE_REMOTE_EVENT_CALLBACK:
        case FEATURE_REMOTE_CLOSE_CALLBACK:
        /* else the client swaps NETWORK_UPDATE's command and section, for
         * the servers that had them the wrong way round */
        case FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER:
        /* migration: v3 with parameters only (procedures-migrate.c) */
        case FEATURE_MIGRATION_V3:
        case FEATURE_MIGRATION_PARAMS:
        case FEATURE_MIGRATION_P2P:
        case FEATURE_MIGRATION_OFFLINE:
        case FEATURE_MIGRATE_CHANGE_PROTECTION:
                xdr_put_i32(&c->w, 1);
                break;
        default:
                xdr_put_i32(&c->w, 0);
        }
        return 0;
}

static int local_open(Call *c) {
        Client *cl = c->client;
        const char *uri = c->v[0].s && *c->v[0].s ? c->v[0].s : "qemu:///system";
        const Driver *d;

        if (cl->open)
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC, "connection already open");
        /* libvirtd's read-write socket is root's (0600), or a user's polkit
         * allows org.libvirt.unix.manage (AUTH_POLKIT, auth.h): this holds
         * when a socket unit made the mode wider. */
        if (!auth_may_open(cl))
                return call_fail(c, VIR_ERR_ACCESS_DENIED, LIBVIRT_FROM_ACCESS,
                                 "the read-write socket is for root or a user polkit allows "
                                 "org.libvirt.unix.manage, not uid %u; use libvirt-sock-ro (read-only)",
                                 (unsigned) cl->uid);
        d = driver_find(uri);
        if (!d)
                return call_fail(c, VIR_ERR_NO_CONNECT, LIBVIRT_FROM_NONE,
                                 "no connection driver available for %s", uri);
        free(cl->uri);
        cl->uri = strdup(uri);
        if (!cl->uri)
                return -ENOMEM;
        cl->driver = d;
        cl->open = true;
        if (c->v[1].u & CONNECT_RO)
                cl->readonly = true;
        log_debug("Client %llu opened %s%s.", (unsigned long long) cl->id, uri, cl->readonly ? " read-only" : "");
        return 0;
}

static int local_close(Call *c) {
        c->client->open = false;
        c->client->events = mfree(c->client->events);
        c->client->n_events = 0;
        return 0;
}

static int local_void(Call *c) {
        return 0;
}

static int local_get_type(Call *c) {
        xdr_put_string(&c->w, c->driver->type);
        return 0;
}

static int local_get_lib_version(Call *c) {
        xdr_put_u64(&c->w, LIBVIRT_API_VERSION);
        return 0;
}

static int local_get_uri(Call *c) {
        xdr_put_string(&c->w, c->client->uri);
        return 0;
}

static int local_is_secure(Call *c) {
        xdr_put_i32(&c->w, 1); /* a local socket */
        return 0;
}

/* --- extra arguments ------------------------------------------------------ */

int append_u0(Call *c, sd_bus_message *m) {
        return sd_bus_message_append(m, "u", 0);
}

static int append_active(Call *c, sd_bus_message *m) {
        return sd_bus_message_append(m, "u", LIST_ACTIVE);
}

static int append_inactive(Call *c, sd_bus_message *m) {
        return sd_bus_message_append(m, "u", LIST_INACTIVE);
}

/* What virDomainGetInfo needs: state, cpu-total, balloon and vcpu (0xf),
 * not the block and interface groups, which would ask QEMU. */
int append_stats_all(Call *c, sd_bus_message *m) {
        return sd_bus_message_append(m, "uu", 0xf, 0);
}

static int append_autostart(Call *c, sd_bus_message *m) {
        return sd_bus_message_append(m, "v", "b", c->v[0].i != 0);
}

/* libvirtd refuses the passwords to a read-only connection itself. */
static int append_xml_flags_check(Call *c, sd_bus_message *m) {
        if (c->client->readonly && (c->v[0].u & XML_SECURE))
                return call_fail(c, VIR_ERR_OPERATION_DENIED, LIBVIRT_FROM_DOMAIN,
                                 "read only access prevents virDomainGetXMLDesc with secure flag");
        return 0;
}

/* Every definition is checked against what we model, so VALIDATE holds
 * (the *XMLFlags calls: xml, then flags as 'n'). */
static int append_define_flags_check(Call *c, sd_bus_message *m) {
        uint32_t flags = (uint32_t) c->v[1].i;

        if (flags & ~(uint32_t) DEFINE_VALIDATE)
                return call_fail(c, VIR_ERR_INVALID_ARG, vb_error_domain_for_daemon(c->bus_name),
                                 "unsupported flags (0x%x) in function %s", flags & ~(uint32_t) DEFINE_VALIDATE,
                                 c->def->api);
        return 0;
}

/* virStorageVolWipe: the ZERO algorithm, then the flags (the 'n' value). */
static int append_wipe_zero(Call *c, sd_bus_message *m) {
        return sd_bus_message_append(m, "uu", 0, (uint32_t) c->v[0].i);
}

/* --- typed parameters in results ------------------------------------------ */

/* The first `n` argument: how many parameters the client has room for. */
static int32_t call_first_n(const Call *c) {
        for (size_t i = 0; i < c->n_v; i++)
                if (c->v[i].type == 'n')
                        return c->v[i].i;
        return 0;
}

/* The a{sv} of a reply as at most nparams typed parameters (libvirt's
 * drivers fill no more than the caller has room for). */
int read_reply_params(Call *c, sd_bus_message *m, uint32_t max, TypedParams *ret) {
        int r = typed_params_read_bus(m, max, ret, NULL);

        if (r == -E2BIG || r == -EINVAL)
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC,
                                 "%s: the daemon's answer does not fit libvirt's typed parameters", c->def->api);
        return r;
}

int check_nparams(Call *c, int32_t nparams) {
        if (nparams < 0 || (uint32_t) nparams > c->def->params_max)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "nparams too large");
        return 0;
}

void keep_first(TypedParams *tp, size_t n) {
        TypedParams rest = { tp->p + n, tp->n > n ? tp->n - n : 0 };

        if (tp->n <= n)
                return;
        for (size_t i = 0; i < rest.n; i++) {
                free(rest.p[i].field);
                if (rest.p[i].type == TYPED_PARAM_STRING)
                        free(rest.p[i].v.s);
        }
        tp->n = n;
}

/* ret: params<max>; int nparams (blkio, memory, numa, block I/O tune,
 * interface): what the client has room for, and the count. */
int reply_params_counted(Call *c, sd_bus_message *m) {
        _cleanup_(typed_params_done) TypedParams tp = {};
        int32_t nparams = call_first_n(c);
        int r = check_nparams(c, nparams);
        uint32_t count;

        if (r < 0)
                return r;
        r = read_reply_params(c, m, c->def->params_max, &tp);
        if (r < 0)
                return r;
        count = tp.n;
        if (nparams == 0)
                keep_first(&tp, 0);
        else
                keep_first(&tp, nparams);
        typed_params_write_xdr(&c->w, &tp, c->def->params_max);
        xdr_put_i32(&c->w, count);
        return 0;
}

/* --- results -------------------------------------------------------------- */

int reply_void(Call *c, sd_bus_message *m) {
        return 0;
}

int reply_string(Call *c, sd_bus_message *m) {
        const char *s;
        int r = sd_bus_message_read(m, "s", &s);

        if (r < 0)
                return r;
        xdr_put_string(&c->w, s);
        return 0;
}

int reply_variant_string(Call *c, sd_bus_message *m) {
        const char *s;
        int r = sd_bus_message_read(m, "v", "s", &s);

        if (r < 0)
                return r;
        xdr_put_string(&c->w, s);
        return 0;
}

int reply_variant_bool(Call *c, sd_bus_message *m) {
        int b, r = sd_bus_message_read(m, "v", "b", &b);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, !!b);
        return 0;
}

int reply_variant_u64(Call *c, sd_bus_message *m) {
        uint64_t v;
        int r = sd_bus_message_read(m, "v", "t", &v);

        if (r < 0)
                return r;
        xdr_put_u64(&c->w, v);
        return 0;
}

static int reply_state(Call *c, sd_bus_message *m) {
        int32_t state, reason;
        int r = sd_bus_message_read(m, "(ii)", &state, &reason);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, state);
        xdr_put_i32(&c->w, reason);
        return 0;
}

/* What GetStats(0, 0) says of a domain, in libvirt's units. */
typedef struct DomainStats {
        int32_t state;
        uint64_t max_kib, cur_kib, cpu_ns;
        uint32_t vcpus;
} DomainStats;

static int read_stats(sd_bus_message *m, DomainStats *st) {
        const char *key;
        int r;

        *st = (DomainStats) {};
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                if ((r = sd_bus_message_read(m, "s", &key)) < 0)
                        return r;
                if (streq(key, "state.state"))
                        r = sd_bus_message_read(m, "v", "i", &st->state);
                else if (streq(key, "balloon.maximum"))
                        r = sd_bus_message_read(m, "v", "t", &st->max_kib);
                else if (streq(key, "balloon.current"))
                        r = sd_bus_message_read(m, "v", "t", &st->cur_kib);
                else if (streq(key, "vcpu.current"))
                        r = sd_bus_message_read(m, "v", "u", &st->vcpus);
                else if (streq(key, "cpu.time"))
                        r = sd_bus_message_read(m, "v", "t", &st->cpu_ns);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
                        return r;
        }
        return r;
}

/* -> remote_domain_get_info_ret */
static int reply_info(Call *c, sd_bus_message *m) {
        DomainStats st;
        int r = read_stats(m, &st);

        if (r < 0)
                return r;
        xdr_put_u32(&c->w, st.state); /* unsigned char, a word on the wire */
        xdr_put_u64(&c->w, st.max_kib);
        xdr_put_u64(&c->w, st.cur_kib);
        xdr_put_u32(&c->w, st.vcpus); /* unsigned short, likewise */
        xdr_put_u64(&c->w, st.cpu_ns);
        return 0;
}

static int reply_max_memory(Call *c, sd_bus_message *m) {
        DomainStats st;
        int r = read_stats(m, &st);

        if (r < 0)
                return r;
        xdr_put_u64(&c->w, st.max_kib);
        return 0;
}

/* (ittt) -> remote_storage_pool_get_info_ret */
static int reply_pool_info(Call *c, sd_bus_message *m) {
        int32_t state;
        uint64_t capacity, allocation, available;
        int r = sd_bus_message_read(m, "(ittt)", &state, &capacity, &allocation, &available);

        if (r < 0)
                return r;
        xdr_put_u32(&c->w, state); /* unsigned char, a word on the wire */
        xdr_put_u64(&c->w, capacity);
        xdr_put_u64(&c->w, allocation);
        xdr_put_u64(&c->w, available);
        return 0;
}

/* (itt) -> remote_storage_vol_get_info_ret */
static int reply_vol_info(Call *c, sd_bus_message *m) {
        int32_t type;
        uint64_t capacity, allocation;
        int r = sd_bus_message_read(m, "(itt)", &type, &capacity, &allocation);

        if (r < 0)
                return r;
        xdr_put_u32(&c->w, type); /* char, likewise */
        xdr_put_u64(&c->w, capacity);
        xdr_put_u64(&c->w, allocation);
        return 0;
}

/* a(sxisssuss) -> remote_network_dhcp_lease leases<>, u32 count; libvirt-dbus
 * gives "" for what libvirt leaves NULL. need_results is the 'n' value. */
static int reply_dhcp_leases(Call *c, sd_bus_message *m) {
        const char *iface, *mac, *iaid, *ip, *host, *clientid;
        int64_t expiry;
        int32_t type;
        uint32_t prefix, n = 0;
        size_t count_at;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(sxisssuss)");
        if (r < 0)
                return r;
        count_at = c->w.len;
        xdr_put_u32(&c->w, 0);
        while ((r = sd_bus_message_read(m, "(sxisssuss)", &iface, &expiry, &type, &mac, &iaid, &ip, &prefix, &host,
                                        &clientid)) > 0) {
                if (n == XDR_LIST_MAX)
                        return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC,
                                         "too many leases for one reply, the limit is %u", XDR_LIST_MAX);
                n++;
                if (c->v[1].i == 0)
                        continue;
                xdr_put_string(&c->w, iface);
                xdr_put_u64(&c->w, (uint64_t) expiry);
                xdr_put_i32(&c->w, type);
                xdr_put_optional_string(&c->w, *mac ? mac : NULL);
                xdr_put_optional_string(&c->w, *iaid ? iaid : NULL);
                xdr_put_string(&c->w, ip);
                xdr_put_u32(&c->w, prefix);
                xdr_put_optional_string(&c->w, *host ? host : NULL);
                xdr_put_optional_string(&c->w, *clientid ? clientid : NULL);
        }
        if (r < 0)
                return r;
        if (c->v[1].i != 0)
                xdr_patch_u32(&c->w, count_at, n);
        xdr_put_u32(&c->w, n);
        return 0;
}

static int put_one(Call *c) {
        remote_put_handle(&c->w, c->fetch_kind, &c->handles[0]);
        return 0;
}

int fetch_one(Call *c, HandleKind kind, const char *path) {
        char **paths = calloc(1, sizeof(char *));

        if (!paths || !(paths[0] = strdup(path))) {
                free(paths);
                return -ENOMEM;
        }
        return call_fetch_handles(c, kind, paths, 1, true, put_one);
}

/* "o" -> the object's handle */
int reply_handle(Call *c, sd_bus_message *m, HandleKind kind) {
        const char *path;
        int r = sd_bus_message_read(m, "o", &path);

        if (r < 0)
                return r;
        return fetch_one(c, kind, path);
}

int reply_domain(Call *c, sd_bus_message *m) {
        return reply_handle(c, m, HANDLE_DOMAIN);
}

static int reply_pool(Call *c, sd_bus_message *m) {
        return reply_handle(c, m, HANDLE_POOL);
}

static int reply_vol(Call *c, sd_bus_message *m) {
        return reply_handle(c, m, HANDLE_VOL);
}

static int reply_network(Call *c, sd_bus_message *m) {
        return reply_handle(c, m, HANDLE_NETWORK);
}

/* v(o) -> the pool's handle: storaged's volumes name their pool */
static int reply_variant_pool(Call *c, sd_bus_message *m) {
        const char *path;
        int r = sd_bus_message_read(m, "v", "o", &path);

        if (r < 0)
                return r;
        return fetch_one(c, HANDLE_POOL, path);
}

/* A volume found by key or path: no pool in the call to name in its handle,
 * so the volume's own (StorageVol1.Pool), then that pool's name. */
static int reply_found_vol_pool_name(Call *c, sd_bus_message *m) {
        RemoteHandle *h = &c->handles[0];
        const char *name;
        int r = sd_bus_message_read(m, "v", "s", &name);

        if (r < 0)
                return r;
        free(h->pool);
        h->pool = strdup(name);
        if (!h->pool)
                return -ENOMEM;
        remote_put_handle(&c->w, HANDLE_VOL, h);
        return 0;
}

static int reply_found_vol_pool(Call *c, sd_bus_message *m) {
        const char *pool;
        int r = sd_bus_message_read(m, "v", "o", &pool);

        if (r < 0)
                return r;
        return call_chain(c, pool, "org.freedesktop.DBus.Properties", "Get", reply_found_vol_pool_name, "ss",
                          "org.libvirt.StoragePool", "Name");
}

static int found_vol_fetched(Call *c) {
        return call_chain(c, c->paths[0], "org.freedesktop.DBus.Properties", "Get", reply_found_vol_pool, "ss",
                          "org.virtbus.StorageVol1", "Pool");
}

static int reply_found_vol(Call *c, sd_bus_message *m) {
        char **paths = calloc(1, sizeof(char *));
        const char *path;
        int r = sd_bus_message_read(m, "o", &path);

        if (r < 0 || !paths || !(paths[0] = strdup(path))) {
                free(paths);
                return r < 0 ? r : -ENOMEM;
        }
        return call_fetch_handles(c, HANDLE_VOL, paths, 1, true, found_vol_fetched);
}

/* void -> the handle of the domain called (with its new id) */
int reply_domain_self(Call *c, sd_bus_message *m) {
        return fetch_one(c, HANDLE_DOMAIN, c->path);
}

int read_paths(sd_bus_message *m, char ***ret, size_t *ret_n) {
        _cleanup_(strv_freep) char **l = NULL;
        const char *p;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "o");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read_basic(m, 'o', &p)) > 0)
                if ((r = strv_extend(&l, p)) < 0)
                        return r;
        if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
                return r;
        *ret_n = strv_length(l);
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

static size_t n_found(const Call *c) {
        size_t n = 0;

        for (size_t i = 0; i < c->n_paths; i++)
                n += c->found[i];
        return n;
}

static int put_handle_list(Call *c) {
        size_t n = n_found(c);

        xdr_put_u32(&c->w, n);
        for (size_t i = 0; i < c->n_paths; i++)
                if (c->found[i])
                        remote_put_handle(&c->w, c->fetch_kind, &c->handles[i]);
        xdr_put_u32(&c->w, n);
        return 0;
}

/* The ListAll* calls: "ao" -> handles<>, u32 count. need_results (the 'n'
 * value) 0 asks only for the count. */
int reply_list(Call *c, sd_bus_message *m, HandleKind kind) {
        int32_t need_results = c->v[0].type == 'n' ? c->v[0].i : 1;
        char **paths;
        size_t n;
        int r = read_paths(m, &paths, &n);

        if (r < 0)
                return r;
        if (n > XDR_LIST_MAX) {
                strv_free(paths);
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC,
                                 "too many objects (%zu) for one reply, the limit is %u", n, XDR_LIST_MAX);
        }
        if (need_results == 0) {
                strv_free(paths);
                xdr_put_u32(&c->w, 0);
                xdr_put_u32(&c->w, n);
                return 0;
        }
        return call_fetch_handles(c, kind, paths, n, false, put_handle_list);
}

static int reply_pool_list(Call *c, sd_bus_message *m) {
        return reply_list(c, m, HANDLE_POOL);
}

static int reply_vol_list(Call *c, sd_bus_message *m) {
        return reply_list(c, m, HANDLE_VOL);
}

static int reply_network_list(Call *c, sd_bus_message *m) {
        return reply_list(c, m, HANDLE_NETWORK);
}

static int reply_count(Call *c, sd_bus_message *m) {
        char **paths;
        size_t n;
        int r = read_paths(m, &paths, &n);

        if (r < 0)
                return r;
        strv_free(paths);
        xdr_put_i32(&c->w, (int32_t) MIN(n, (size_t) INT32_MAX));
        return 0;
}

/* The most a legacy list may hold: what the client asked for, within
 * libvirt's cap (libvirtd refuses more, and so do we). */
static int list_limit(Call *c, size_t *ret) {
        int32_t max = c->v[0].i;

        if (max < 0 || (uint32_t) max > XDR_LIST_MAX)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "maximum %d outside 0..%u", max, XDR_LIST_MAX);
        *ret = max;
        return 0;
}

static int put_ids(Call *c) {
        size_t max = 0, n = 0;
        int r = list_limit(c, &max);

        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_paths; i++)
                n += c->found[i] && c->handles[i].id > 0;
        n = MIN(n, max);
        xdr_put_u32(&c->w, n);
        for (size_t i = 0, k = 0; i < c->n_paths && k < n; i++)
                if (c->found[i] && c->handles[i].id > 0) {
                        xdr_put_i32(&c->w, c->handles[i].id);
                        k++;
                }
        return 0;
}

static int put_names(Call *c) {
        size_t max = 0, n;
        int r = list_limit(c, &max);

        if (r < 0)
                return r;
        n = MIN(n_found(c), max);
        xdr_put_u32(&c->w, n);
        for (size_t i = 0, k = 0; i < c->n_paths && k < n; i++)
                if (c->found[i]) {
                        xdr_put_string(&c->w, c->handles[i].name);
                        k++;
                }
        return 0;
}

/* a(ssi), ListDomainHandles's answer -> c->handles, as call_fetch_handles()
 * leaves them: every domain listed, with its name, UUID and id. */
static int read_domain_handles(Call *c, sd_bus_message *m) {
        const char *name, *uuid;
        size_t cap = 0;
        int32_t id;
        int r;

        c->fetch_kind = HANDLE_DOMAIN;
        r = sd_bus_message_enter_container(m, 'a', "(ssi)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ssi)", &name, &uuid, &id)) > 0) {
                RemoteHandle *h;
                if (c->n_paths >= XDR_LIST_MAX)
                        return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC,
                                         "too many domains for one reply, the limit is %u", XDR_LIST_MAX);
                if (c->n_paths == cap) {
                        size_t ncap = MAX(cap * 2, (size_t) 64);
                        RemoteHandle *nh = reallocarray(c->handles, ncap, sizeof(*nh));
                        bool *nf = nh ? reallocarray(c->found, ncap, sizeof(*nf)) : NULL;
                        char **np = nf ? reallocarray(c->paths, ncap, sizeof(*np)) : NULL;
                        if (nh)
                                c->handles = nh;
                        if (nf)
                                c->found = nf;
                        if (!np)
                                return -ENOMEM;
                        c->paths = np;
                        cap = ncap;
                }
                h = &c->handles[c->n_paths];
                *h = (RemoteHandle) { .name = strdup(name), .id = id > 0 ? id : -1 };
                c->paths[c->n_paths] = NULL;
                c->found[c->n_paths] = true;
                c->n_paths++;
                if (!h->name)
                        return -ENOMEM;
                if ((r = uuid_parse(uuid, h->uuid)) < 0)
                        return r;
                events_note_name(c->client->server, HANDLE_DOMAIN, h->uuid, h->name);
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* a(ssi) -> remote_connect_list_all_domains_ret; need_results 0 asks only
 * for the count */
static int reply_domain_handle_list(Call *c, sd_bus_message *m) {
        int r = read_domain_handles(c, m);

        if (r < 0)
                return r;
        if (c->v[0].i == 0) {
                xdr_put_u32(&c->w, 0);
                xdr_put_u32(&c->w, c->n_paths);
                return 0;
        }
        return put_handle_list(c);
}

static int reply_domain_handle_ids(Call *c, sd_bus_message *m) {
        int r = read_domain_handles(c, m);

        return r < 0 ? r : put_ids(c);
}

static int reply_domain_handle_names(Call *c, sd_bus_message *m) {
        int r = read_domain_handles(c, m);

        return r < 0 ? r : put_names(c);
}

static int reply_vol_names(Call *c, sd_bus_message *m) {
        char **paths;
        size_t n;
        int r = read_paths(m, &paths, &n);

        return r < 0 ? r : call_fetch_handles(c, HANDLE_VOL, paths, n, false, put_names);
}

/* --- the table -------------------------------------------------------------- */

#define R PROC_READ
#define EARLY (PROC_READ | PROC_BEFORE_OPEN)
#define CONNECT "org.libvirt.Connect"
#define CONNECT1 "org.virtbus.Connect1"
#define DOMAIN "org.libvirt.Domain"
#define POOL "org.libvirt.StoragePool"
#define VOL "org.libvirt.StorageVol"
#define VOL1 "org.virtbus.StorageVol1"
#define STORAGE .service = SERVICE_STORAGE
#define NETWORK "org.libvirt.Network"
#define NET .service = SERVICE_NETWORK

/* Sorted by number (procedure_find() searches it). */
static const ProcDef table[] = {
        { 1, "virConnectOpen", EARLY, "zu", .local = local_open },
        { 2, "virConnectClose", EARLY, "", .local = local_close },
        { 3, "virConnectGetType", R, "", .local = local_get_type },
        { 4, "virConnectGetVersion", R, "", CONNECT, "Get", "Version", .reply = reply_variant_u64 },
        { 7, "virConnectGetCapabilities", R, "", CONNECT, "GetCapabilities", .reply = reply_string },
        { 9, "virDomainCreate", 0, "D", DOMAIN, "Create", .append = append_u0, .reply = reply_void },
        { 10, "virDomainCreateXML", 0, "su", CONNECT, "DomainCreateXML", .reply = reply_domain },
        { 11, "virDomainDefineXML", 0, "s", CONNECT, "DomainDefineXML", .reply = reply_domain },
        { 12, "virDomainDestroy", 0, "D", DOMAIN, "Destroy", .append = append_u0, .reply = reply_void },
        { 14, "virDomainGetXMLDesc", R, "Du", DOMAIN, "GetXMLDesc", .append = append_xml_flags_check,
          .reply = reply_string },
        { 15, "virDomainGetAutostart", R, "D", DOMAIN, "Get", "Autostart", .reply = reply_variant_bool },
        { 16, "virDomainGetInfo", R, "D", DOMAIN, "GetStats", .append = append_stats_all, .reply = reply_info },
        { 17, "virDomainGetMaxMemory", R, "D", DOMAIN, "GetStats", .append = append_stats_all,
          .reply = reply_max_memory },
        { 19, "virDomainGetOSType", R, "D", DOMAIN, "Get", "OSType", .reply = reply_variant_string },
        { 21, "virConnectListDefinedDomains", R, "n", CONNECT1, "ListDomainHandles", .append = append_inactive,
          .reply = reply_domain_handle_names },
        { 22, "virDomainLookupByID", R, "i", CONNECT, "DomainLookupByID", .reply = reply_domain },
        { 23, "virDomainLookupByName", R, "s", CONNECT, "DomainLookupByName", .reply = reply_domain },
        { 24, "virDomainLookupByUUID", R, "U", CONNECT, "DomainLookupByUUID", .reply = reply_domain },
        { 25, "virConnectNumOfDefinedDomains", R, "", CONNECT, "ListDomains", .append = append_inactive,
          .reply = reply_count },
        { 27, "virDomainReboot", 0, "Du", DOMAIN, "Reboot", .reply = reply_void },
        { 28, "virDomainResume", 0, "D", DOMAIN, "Resume", .reply = reply_void },
        { 29, "virDomainSetAutostart", 0, "Dn", DOMAIN, "Set", "Autostart", .append = append_autostart,
          .reply = reply_void },
        { 33, "virDomainShutdown", 0, "D", DOMAIN, "Shutdown", .append = append_u0, .reply = reply_void },
        { 34, "virDomainSuspend", 0, "D", DOMAIN, "Suspend", .reply = reply_void },
        { 35, "virDomainUndefine", 0, "D", DOMAIN, "Undefine", .append = append_u0, .reply = reply_void },
        { 37, "virConnectListDomains", R, "n", CONNECT1, "ListDomainHandles", .append = append_active,
          .reply = reply_domain_handle_ids },
        { 39, "virNetworkCreate", 0, "N", NETWORK, "Create", .reply = reply_void, NET },
        { 40, "virNetworkCreateXML", 0, "s", CONNECT, "NetworkCreateXML", .reply = reply_network, NET },
        { 41, "virNetworkDefineXML", 0, "s", CONNECT, "NetworkDefineXML", .reply = reply_network, NET },
        { 42, "virNetworkDestroy", 0, "N", NETWORK, "Destroy", .reply = reply_void, NET },
        { 43, "virNetworkGetXMLDesc", R, "Nu", NETWORK, "GetXMLDesc", .reply = reply_string, NET },
        { 44, "virNetworkGetAutostart", R, "N", NETWORK, "Get", "Autostart", .reply = reply_variant_bool, NET },
        { 45, "virNetworkGetBridgeName", R, "N", NETWORK, "Get", "BridgeName", .reply = reply_variant_string,
          NET },
        { 46, "virNetworkLookupByName", R, "s", CONNECT, "NetworkLookupByName", .reply = reply_network, NET },
        { 47, "virNetworkLookupByUUID", R, "U", CONNECT, "NetworkLookupByUUID", .reply = reply_network, NET },
        { 48, "virNetworkSetAutostart", 0, "Nn", NETWORK, "Set", "Autostart", .append = append_autostart,
          .reply = reply_void, NET },
        { 49, "virNetworkUndefine", 0, "N", NETWORK, "Undefine", .reply = reply_void, NET },
        { 51, "virConnectNumOfDomains", R, "", CONNECT, "ListDomains", .append = append_active,
          .reply = reply_count },
        { 59, "virConnectGetHostname", R, "", CONNECT, "Get", "Hostname", .reply = reply_variant_string },
        { 60, "virConnectSupportsFeature", EARLY, "i", .local = local_supports_feature },
        { 66, "virConnectAuthList", EARLY, "", .local = auth_list },
        { 70, "virConnectAuthPolkit", EARLY, "", .local = auth_polkit },
        { 76, "virStoragePoolCreateXML", 0, "su", CONNECT, "StoragePoolCreateXML", .reply = reply_pool, STORAGE },
        { 77, "virStoragePoolDefineXML", 0, "su", CONNECT, "StoragePoolDefineXML", .reply = reply_pool, STORAGE },
        { 78, "virStoragePoolCreate", 0, "Pu", POOL, "Create", .reply = reply_void, STORAGE },
        { 79, "virStoragePoolBuild", 0, "Pu", POOL, "Build", .reply = reply_void, STORAGE },
        { 80, "virStoragePoolDestroy", 0, "P", POOL, "Destroy", .reply = reply_void, STORAGE },
        { 81, "virStoragePoolDelete", 0, "Pu", POOL, "Delete", .reply = reply_void, STORAGE },
        { 82, "virStoragePoolUndefine", 0, "P", POOL, "Undefine", .reply = reply_void, STORAGE },
        { 83, "virStoragePoolRefresh", 0, "Pu", POOL, "Refresh", .reply = reply_void, STORAGE },
        { 84, "virStoragePoolLookupByName", R, "s", CONNECT, "StoragePoolLookupByName", .reply = reply_pool,
          STORAGE },
        { 85, "virStoragePoolLookupByUUID", R, "U", CONNECT, "StoragePoolLookupByUUID", .reply = reply_pool,
          STORAGE },
        { 86, "virStoragePoolLookupByVolume", R, "V", VOL1, "Get", "Pool", .reply = reply_variant_pool, STORAGE },
        { 87, "virStoragePoolGetInfo", R, "P", POOL, "GetInfo", .reply = reply_pool_info, STORAGE },
        { 88, "virStoragePoolGetXMLDesc", R, "Pu", POOL, "GetXMLDesc", .reply = reply_string, STORAGE },
        { 89, "virStoragePoolGetAutostart", R, "P", POOL, "Get", "Autostart", .reply = reply_variant_bool,
          STORAGE },
        { 90, "virStoragePoolSetAutostart", 0, "Pn", POOL, "Set", "Autostart", .append = append_autostart,
          .reply = reply_void, STORAGE },
        { 91, "virStoragePoolNumOfVolumes", R, "P", POOL, "ListStorageVolumes", .append = append_u0,
          .reply = reply_count, STORAGE },
        { 92, "virStoragePoolListVolumes", R, "Pn", POOL, "ListStorageVolumes", .append = append_u0,
          .reply = reply_vol_names, STORAGE },
        { 93, "virStorageVolCreateXML", 0, "Psu", POOL, "StorageVolCreateXML", .reply = reply_vol, STORAGE },
        { 94, "virStorageVolDelete", 0, "Vu", VOL, "Delete", .reply = reply_void, STORAGE },
        { 95, "virStorageVolLookupByName", R, "Ps", POOL, "StorageVolLookupByName", .reply = reply_vol, STORAGE },
        { 96, "virStorageVolLookupByKey", R, "s", CONNECT, "StorageVolLookupByKey", .reply = reply_found_vol,
          STORAGE },
        { 97, "virStorageVolLookupByPath", R, "s", CONNECT, "StorageVolLookupByPath", .reply = reply_found_vol,
          STORAGE },
        { 98, "virStorageVolGetInfo", R, "V", VOL, "GetInfo", .append = append_u0, .reply = reply_vol_info,
          STORAGE },
        { 99, "virStorageVolGetXMLDesc", R, "Vu", VOL, "GetXMLDesc", .reply = reply_string, STORAGE },
        { 100, "virStorageVolGetPath", R, "V", VOL, "Get", "Path", .reply = reply_variant_string, STORAGE },
        { 110, "virConnectGetURI", R, "", .local = local_get_uri },
        { 149, "virConnectIsSecure", R, "", .local = local_is_secure },
        { 150, "virDomainIsActive", R, "D", DOMAIN, "Get", "Active", .reply = reply_variant_bool },
        { 151, "virDomainIsPersistent", R, "D", DOMAIN, "Get", "Persistent", .reply = reply_variant_bool },
        { 152, "virNetworkIsActive", R, "N", NETWORK, "Get", "Active", .reply = reply_variant_bool, NET },
        { 153, "virNetworkIsPersistent", R, "N", NETWORK, "Get", "Persistent", .reply = reply_variant_bool, NET },
        { 154, "virStoragePoolIsActive", R, "P", POOL, "Get", "Active", .reply = reply_variant_bool, STORAGE },
        { 155, "virStoragePoolIsPersistent", R, "P", POOL, "Get", "Persistent", .reply = reply_variant_bool,
          STORAGE },
        { 157, "virConnectGetLibVersion", R, "", .local = local_get_lib_version },
        { 165, "virStorageVolWipe", 0, "Vn", VOL, "Wipe", .append = append_wipe_zero, .reply = reply_void,
          STORAGE },
        { 196, "virDomainCreateWithFlags", 0, "Du", DOMAIN, "Create", .reply = reply_domain_self },
        { 201, "virDomainOpenConsole", 0, "Dzu", .local = stream_open_console },
        { 202, "virDomainIsUpdated", R, "D", DOMAIN, "Get", "Updated", .reply = reply_variant_bool },
        { 208, "virStorageVolUpload", 0, "Vhhu", .local = stream_open, STORAGE },
        { 209, "virStorageVolDownload", 0, "Vhhu", .local = stream_open, STORAGE },
        { 212, "virDomainGetState", R, "Du", DOMAIN, "GetState", .reply = reply_state },
        { 231, "virDomainUndefineFlags", 0, "Du", DOMAIN, "Undefine", .reply = reply_void },
        { 234, "virDomainDestroyFlags", 0, "Du", DOMAIN, "Destroy", .reply = reply_void },
        { 258, "virDomainShutdownFlags", 0, "Du", DOMAIN, "Shutdown", .reply = reply_void },
        { 259, "virStorageVolWipePattern", 0, "Vuu", VOL, "Wipe", .reply = reply_void, STORAGE },
        { 260, "virStorageVolResize", 0, "Vhu", VOL, "Resize", .reply = reply_void, STORAGE },
        { 273, "virConnectListAllDomains", R, "nu", CONNECT1, "ListDomainHandles",
          .reply = reply_domain_handle_list },
        { 281, "virConnectListAllStoragePools", R, "nu", CONNECT, "ListStoragePools", .reply = reply_pool_list,
          STORAGE },
        { 282, "virStoragePoolListAllVolumes", R, "Pnu", POOL, "ListStorageVolumes", .reply = reply_vol_list,
          STORAGE },
        { 283, "virConnectListAllNetworks", R, "nu", CONNECT, "ListNetworks", .reply = reply_network_list, NET },
        { 291, "virNetworkUpdate", 0, "Nuuisu", NETWORK, "Update", .reply = reply_void, NET },
        { 313, "virConnectNetworkEventRegisterAny", R, "ik", .local = events_register },
        { 314, "virConnectNetworkEventDeregisterAny", R, "i", .local = events_deregister },
        { 316, "virConnectDomainEventCallbackRegisterAny", R, "id", .local = events_register },
        { 317, "virConnectDomainEventCallbackDeregisterAny", R, "i", .local = events_deregister },
        { 341, "virNetworkGetDHCPLeases", R, "Nznu", NETWORK, "GetDHCPLeases", .reply = reply_dhcp_leases, NET },
        { 342, "virConnectGetDomainCapabilities", R, "zzzzu", CONNECT, "GetDomainCapabilities",
          .reply = reply_string },
        { 350, "virDomainDefineXMLFlags", 0, "sn", CONNECT, "DomainDefineXML",
          .append = append_define_flags_check, .reply = reply_domain },
        /* the close callback is the client's own business: nothing to keep */
        { 360, "virConnectRegisterCloseCallback", R, "", .local = local_void },
        { 361, "virConnectUnregisterCloseCallback", R, "", .local = local_void },
        { 368, "virConnectStoragePoolEventRegisterAny", R, "ip", .local = events_register },
        { 369, "virConnectStoragePoolEventDeregisterAny", R, "i", .local = events_deregister },
        { 378, "virStorageVolGetInfoFlags", R, "Vu", VOL, "GetInfo", .reply = reply_vol_info, STORAGE },
        { 403, "virConnectGetStoragePoolCapabilities", R, "u", CONNECT, "GetStoragePoolCapabilities",
          .reply = reply_string, STORAGE },
        { 432, "virNetworkDefineXMLFlags", 0, "sn", CONNECT, "NetworkDefineXML",
          .append = append_define_flags_check, .reply = reply_network, NET },
        { 437, "virNetworkCreateXMLFlags", 0, "sn", CONNECT, "NetworkCreateXML",
          .append = append_define_flags_check, .reply = reply_network, NET },
};

static int compare_proc(const void *key, const void *elem) {
        int32_t a = *(const int32_t *) key, b = ((const ProcDef *) elem)->proc;
        return a < b ? -1 : a > b;
}

static const ProcTable proc_table_core = { table, ELEMENTSOF(table) };

/* This file's table, then each group's (procedures-<group>.c). */
static const ProcTable *const tables[] = {
        &proc_table_core,   &proc_table_device, &proc_table_resources, &proc_table_tune, &proc_table_save,
        &proc_table_agent,  &proc_table_control, &proc_table_stats, &proc_table_block,
        &proc_table_snapshot, &proc_table_perf, &proc_table_interface, &proc_table_security,
        &proc_table_migrate, &proc_table_secret,
        &proc_table_messages,
};

const ProcDef *procedure_find(int32_t proc) {
        const ProcDef *p = NULL;

        for (size_t i = 0; !p && i < ELEMENTSOF(tables); i++)
                if (tables[i]->n > 0)
                        p = bsearch(&proc, tables[i]->rows, tables[i]->n, sizeof(ProcDef), compare_proc);
        return p;
}

size_t procedure_tables(const ProcTable **ret, size_t max) {
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(tables) && n < max; i++)
                ret[n++] = tables[i];
        return n;
}
