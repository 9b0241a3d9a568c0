/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshots: the libvirt procedures of the Domain snapshot methods and of
 * org.libvirt.DomainSnapshot, and the conversions only they need.
 *
 * A snapshot travels as remote_nonnull_domain_snapshot, its name and its
 * domain (HANDLE_SNAPSHOT, rpc.h). The daemon answers with object paths,
 * <root>/domainsnapshot/_<domain uuid>_<escaped name>: the name is read
 * from the path, the domain is the one the call was made on (the client's
 * own handle of it, or the domain of the snapshot it called). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "error.h"
#include "procedures.h"

#define R PROC_READ
#define DOMAIN "org.libvirt.Domain"
#define SNAPSHOT "org.libvirt.DomainSnapshot"

/* remote_protocol.x's REMOTE_DOMAIN_SNAPSHOT_LIST_MAX */
#define SNAPSHOT_LIST_MAX 16384

/* The snapshot's name in its object path, or NULL. */
static char *name_of_path(const char *path) {
        const char *last = strrchr(path, '/');

        /* "_" + 36 characters of uuid + "_" + the escaped name */
        if (!last || strlen(last + 1) < 39 || last[1] != '_' || last[38] != '_')
                return NULL;
        return bus_label_unescape(last + 39);
}

/* The snapshot named name, of the domain the call is about. */
static void put_snapshot(Call *c, const char *name) {
        RemoteHandle h = {
                .name = (char *) name,
                .id = c->target.id,
        };

        h.pool = c->target_kind == HANDLE_SNAPSHOT ? c->target.pool : c->target.name;
        memcpy(h.uuid, c->target.uuid, 16);
        remote_put_handle(&c->w, HANDLE_SNAPSHOT, &h);
}

/* "o" -> remote_nonnull_domain_snapshot */
static int reply_snapshot(Call *c, sd_bus_message *m) {
        _cleanup_free_ char *name = NULL;
        const char *path;
        int r = sd_bus_message_read(m, "o", &path);

        if (r < 0)
                return r;
        name = name_of_path(path);
        if (!name)
                return -EBADMSG;
        put_snapshot(c, name);
        return 0;
}

/* "ao" -> int: how many */
static int reply_count(Call *c, sd_bus_message *m) {
        _cleanup_strv_free_ char **paths = NULL;
        size_t n;
        int r = read_paths(m, &paths, &n);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, (int32_t) n);
        return 0;
}

/* "ao" -> remote_nonnull_string names<>, at most maxnames (c->v[0]) */
static int reply_names(Call *c, sd_bus_message *m) {
        _cleanup_strv_free_ char **paths = NULL;
        size_t n, max = c->v[0].i < 0 ? 0 : (size_t) c->v[0].i;
        int r = read_paths(m, &paths, &n);

        if (r < 0)
                return r;
        if (max > SNAPSHOT_LIST_MAX)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "too many remote domain snapshot names: %d > %d",
                                 c->v[0].i, SNAPSHOT_LIST_MAX);
        if (n > max)
                n = max;
        xdr_put_u32(&c->w, (uint32_t) n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *name = name_of_path(paths[i]);
                if (!name)
                        return -EBADMSG;
                xdr_put_string(&c->w, name);
        }
        return 0;
}

/* "ao" -> remote_nonnull_domain_snapshot snapshots<>, int ret: the
 * handles only when need_results (c->v[0]) says so. */
static int reply_list_all(Call *c, sd_bus_message *m) {
        _cleanup_strv_free_ char **paths = NULL;
        size_t n;
        int r = read_paths(m, &paths, &n);

        if (r < 0)
                return r;
        if (n > SNAPSHOT_LIST_MAX)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "too many domain snapshots: %zu > %d", n,
                                 SNAPSHOT_LIST_MAX);
        if (c->v[0].i) {
                xdr_put_u32(&c->w, (uint32_t) n);
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *name = name_of_path(paths[i]);
                        if (!name)
                                return -EBADMSG;
                        put_snapshot(c, name);
                }
        } else
                xdr_put_u32(&c->w, 0);
        xdr_put_i32(&c->w, (int32_t) n);
        return 0;
}

/* "b" -> int */
static int reply_bool_int(Call *c, sd_bus_message *m) {
        int b;
        int r = sd_bus_message_read(m, "b", &b);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, b ? 1 : 0);
        return 0;
}

/* GetXMLDesc answered: the snapshot is there, and each of ours has its
 * metadata (virDomainSnapshotHasMetadata). */
static int reply_has_metadata(Call *c, sd_bus_message *m) {
        xdr_put_i32(&c->w, 1);
        return 0;
}

/* libvirtd refuses the passwords to a read-only connection itself. */
static int append_xml_check(Call *c, sd_bus_message *m) {
        if (c->client->readonly && (c->v[0].u & 1))
                return call_fail(c, VIR_ERR_OPERATION_DENIED, LIBVIRT_FROM_DOMAIN,
                                 "read only access prevents virDomainSnapshotGetXMLDesc with secure flag");
        return 0;
}

/* virDomainHasCurrentSnapshot: SnapshotCurrent answers, or says there is
 * none (NoDomainSnapshot: 0); any other error is the call's. */
static int on_current(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        const sd_bus_error *e;

        client_call_finished(c->client);
        if (!sd_bus_message_is_method_error(m, NULL)) {
                xdr_put_i32(&c->w, 1);
                call_finish(c, 0);
                return 0;
        }
        e = sd_bus_message_get_error(m);
        if (e && e->name && streq(e->name, VB_ERROR_NO_DOMAIN_SNAPSHOT)) {
                xdr_put_i32(&c->w, 0);
                call_finish(c, 0);
                return 0;
        }
        (void) call_fail_bus(c, e);
        return 0;
}

static int local_has_current(Call *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus *bus = server_bus(c->client->server, c->bus_name, DOMAIN, true);
        int r;

        c->path = call_target_path(c);
        if (!c->path)
                return -ENOMEM;
        r = sd_bus_message_new_method_call(bus, &m, c->bus_name, c->path, DOMAIN, "SnapshotCurrent");
        if (r >= 0)
                r = sd_bus_message_append(m, "u", c->v[0].u);
        if (r >= 0)
                r = sd_bus_call_async(bus, NULL, m, on_current, c, 0);
        if (r < 0)
                return r;
        client_call_started(c->client);
        return 1;
}

/* Sorted by number (procedure_find() searches it). */
static const ProcDef rows[] = {
        { 185, "virDomainSnapshotCreateXML", 0, "Dsu", DOMAIN, "SnapshotCreateXML", .reply = reply_snapshot },
        { 186, "virDomainSnapshotGetXMLDesc", R, "Yu", SNAPSHOT, "GetXMLDesc", .append = append_xml_check,
          .reply = reply_string },
        { 187, "virDomainSnapshotNum", R, "Du", DOMAIN, "ListDomainSnapshots", .reply = reply_count },
        { 188, "virDomainSnapshotListNames", R, "Dnu", DOMAIN, "ListDomainSnapshots", .reply = reply_names },
        { 189, "virDomainSnapshotLookupByName", R, "Dsu", DOMAIN, "SnapshotLookupByName", .reply = reply_snapshot },
        { 190, "virDomainHasCurrentSnapshot", R, "Du", .local = local_has_current },
        { 191, "virDomainSnapshotCurrent", R, "Du", DOMAIN, "SnapshotCurrent", .reply = reply_snapshot },
        { 192, "virDomainRevertToSnapshot", 0, "Yu", SNAPSHOT, "Revert", .reply = reply_void },
        { 193, "virDomainSnapshotDelete", 0, "Yu", SNAPSHOT, "Delete", .reply = reply_void },
        { 244, "virDomainSnapshotGetParent", R, "Yu", SNAPSHOT, "GetParent", .reply = reply_snapshot },
        { 246, "virDomainSnapshotNumChildren", R, "Yu", SNAPSHOT, "ListChildren", .reply = reply_count },
        { 247, "virDomainSnapshotListChildrenNames", R, "Ynu", SNAPSHOT, "ListChildren", .reply = reply_names },
        { 271, "virDomainSnapshotIsCurrent", R, "Yu", SNAPSHOT, "IsCurrent", .reply = reply_bool_int },
        { 272, "virDomainSnapshotHasMetadata", R, "Yu", SNAPSHOT, "GetXMLDesc",
          .reply = reply_has_metadata },
        { 274, "virDomainListAllSnapshots", R, "Dnu", DOMAIN, "ListDomainSnapshots", .reply = reply_list_all },
        { 275, "virDomainSnapshotListAllChildren", R, "Ynu", SNAPSHOT, "ListChildren", .reply = reply_list_all },
};

const ProcTable proc_table_snapshot = { rows, ELEMENTSOF(rows) };
