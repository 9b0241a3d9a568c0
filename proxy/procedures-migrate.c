/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Migration: libvirt's protocol v3 with parameters (Begin, Prepare, Perform,
 * Finish, Confirm, each passing the cookie on) and the settings of a running
 * migration. The destination's steps (Prepare, Finish) are on qemud's root
 * object, the source's on the domain. Perform with PEER2PEER is run by the
 * proxy itself (migrate-p2p.c): qemud never sees that flag. */
#include <string.h>

#include "error.h"
#include "migrate-p2p.h"
#include "procedures.h"
#include "stream.h"
#include "typed-params.h"

#define R PROC_READ
#define CONNECT "org.libvirt.Connect"
#define DOMAIN "org.libvirt.Domain"

/* remote_protocol.x */
#define REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX 64u

/* The cookie and the reply's remaining fields: "ay" -> opaque cookie<>. */
static int put_bus_cookie(Call *c, sd_bus_message *m) {
        const void *p = NULL;
        size_t n = 0;
        int r = sd_bus_message_read_array(m, 'y', &p, &n);

        if (r < 0)
                return r;
        if (n > REMOTE_MIGRATE_COOKIE_MAX)
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC,
                                 "the migration cookie of %s is %zu bytes, more than %u", c->def->api, n,
                                 REMOTE_MIGRATE_COOKIE_MAX);
        xdr_put_opaque(&c->w, p, (uint32_t) n);
        return 0;
}

/* (ays) -> remote_domain_migrate_begin3_params_ret: cookie_out, xml. */
static int reply_begin3(Call *c, sd_bus_message *m) {
        const char *xml;
        int r = put_bus_cookie(c, m);

        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "s", &xml);
        if (r < 0)
                return r;
        xdr_put_string(&c->w, xml);
        return 0;
}

/* The guest coming in is the client's until its Finish3 (migrate-p2p.h). */
static int track_incoming(Call *c) {
        _cleanup_free_ char *name = migrate_incoming_name(&c->v[0].tp);

        return name ? migrate_incoming_add(c->client, name) : 0;
}

/* Finish3 ends what the client prepared, whatever it answers. */
static int append_finish3(Call *c, sd_bus_message *m) {
        _cleanup_free_ char *name = migrate_incoming_name(&c->v[0].tp);

        if (name)
                migrate_incoming_drop(c->client, name);
        return 0;
}

/* (ays) -> remote_domain_migrate_prepare3_params_ret: cookie_out and the
 * optional uri_out ("" = none: the source picks the address). */
static int reply_prepare3(Call *c, sd_bus_message *m) {
        const char *uri;
        int r = put_bus_cookie(c, m);

        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "s", &uri);
        if (r < 0)
                return r;
        xdr_put_optional_string(&c->w, *uri ? uri : NULL);
        return track_incoming(c);
}

/* PREPARE_TUNNEL3_PARAMS: the stream the client sends QEMU's migration
 * in; qemud's incoming QEMU reads its pipe. */
static int append_prepare_tunnel3(Call *c, sd_bus_message *m) {
        int fd = -1;
        int r = stream_open_sink(c, &fd);

        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(m, 'h', &fd);
        close(fd); /* the message has its own */
        return r;
}

/* (ay) -> remote_domain_migrate_prepare_tunnel3_params_ret: cookie_out. */
static int reply_prepare_tunnel3(Call *c, sd_bus_message *m) {
        int r = put_bus_cookie(c, m);

        return r < 0 ? r : track_incoming(c);
}

/* (ay) -> remote_domain_migrate_perform3_params_ret: cookie_out. */
static int reply_perform3(Call *c, sd_bus_message *m) {
        return put_bus_cookie(c, m);
}

/* The handle of Finish's domain, then the cookie kept in bytes of value 1
 * (the cookie in, sent already, was swapped for the cookie out). */
static int put_finish3(Call *c) {
        CallValue *cookie = &c->v[1];

        remote_put_domain(&c->w, &c->handles[0]);
        xdr_put_opaque(&c->w, cookie->bytes, cookie->n_bytes);
        return 0;
}

/* (oay) -> remote_domain_migrate_finish3_params_ret: dom, cookie_out. */
static int reply_finish3(Call *c, sd_bus_message *m) {
        CallValue *cookie = &c->v[1];
        const void *p = NULL;
        const char *path;
        char **paths;
        size_t n = 0;
        int r = sd_bus_message_read(m, "o", &path);

        if (r >= 0)
                r = sd_bus_message_read_array(m, 'y', &p, &n);
        if (r < 0)
                return r;
        if (streq(path, "/"))
                return call_fail(c, VIR_ERR_OPERATION_FAILED, LIBVIRT_FROM_DOMAIN,
                                 "the domain did not arrive on the destination host");
        if (n > REMOTE_MIGRATE_COOKIE_MAX)
                return -EBADMSG;
        free(cookie->bytes);
        cookie->bytes = n ? malloc(n) : NULL;
        cookie->n_bytes = (uint32_t) n;
        if (n && !cookie->bytes)
                return -ENOMEM;
        if (n)
                memcpy(cookie->bytes, p, n);
        paths = calloc(2, sizeof(char *));
        if (!paths || !(paths[0] = strdup(path))) {
                free(paths);
                return -ENOMEM;
        }
        return call_fetch_handles(c, HANDLE_DOMAIN, paths, 1, true, put_finish3);
}

/* "t" -> unsigned hyper */
static int reply_u64(Call *c, sd_bus_message *m) {
        uint64_t v;
        int r = sd_bus_message_read(m, "t", &v);

        if (r < 0)
                return r;
        xdr_put_u64(&c->w, v);
        return 0;
}

/* Perform with PEER2PEER is the proxy's: it talks to the destination itself
 * (migrate-p2p.c takes the call over); without, qemud's. */
static int append_perform3(Call *c, sd_bus_message *m) {
        if (!(c->v[3].u & MIGRATE_PEER2PEER))
                return 0;
        return migrate_p2p_start(c);
}

/* Sorted by number (procedure_find() searches it). */
static const ProcDef rows[] = {
        { 166, "virDomainMigrateSetMaxDowntime", 0, "Dhu", DOMAIN, "MigrateSetMaxDowntime", .reply = reply_void },
        { 207, "virDomainMigrateSetMaxSpeed", 0, "Dhu", DOMAIN, "MigrateSetMaxSpeed", .reply = reply_void },
        { 242, "virDomainMigrateGetMaxSpeed", 0, "Du", DOMAIN, "MigrateGetMaxSpeed", .reply = reply_u64 },
        { 299, "virDomainMigrateGetCompressionCache", R, "Du", DOMAIN, "MigrateGetCompressionCache",
          .reply = reply_u64 },
        { 300, "virDomainMigrateSetCompressionCache", 0, "Dhu", DOMAIN, "MigrateSetCompressionCache",
          .reply = reply_void },
        { 302, "virDomainMigrateBegin3Params", 0, "DTu", DOMAIN, "MigrateBegin3", .reply = reply_begin3,
          .params_max = REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX },
        { 303, "virDomainMigratePrepare3Params", 0, "TCu", CONNECT, "DomainMigratePrepare3",
          .reply = reply_prepare3, .params_max = REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX },
        { 304, "virDomainMigratePrepareTunnel3Params", 0, "TCu", CONNECT, "DomainMigratePrepareTunnel3",
          .append = append_prepare_tunnel3, .reply = reply_prepare_tunnel3,
          .params_max = REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX },
        { 305, "virDomainMigratePerform3Params", 0, "DzTCu", DOMAIN, "MigratePerform3",
          .append = append_perform3, .reply = reply_perform3, .params_max = REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX },
        { 306, "virDomainMigrateFinish3Params", 0, "TCui", CONNECT, "DomainMigrateFinish3",
          .append = append_finish3, .reply = reply_finish3, .params_max = REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX },
        { 307, "virDomainMigrateConfirm3Params", 0, "DTCui", DOMAIN, "MigrateConfirm3", .reply = reply_void,
          .params_max = REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX },
        { 364, "virDomainMigrateStartPostCopy", 0, "Du", DOMAIN, "MigrateStartPostCopy", .reply = reply_void },
        { 387, "virDomainMigrateGetMaxDowntime", R, "Du", DOMAIN, "MigrateGetMaxDowntime", .reply = reply_u64 },
};

const ProcTable proc_table_migrate = { rows, ELEMENTSOF(rows) };
