/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Secrets (virSecret*), answered by secretd whatever the connection's URI,
 * as libvirt's secret driver serves every hypervisor driver. GetValue is
 * refused on a read-only connection (libvirt's secret:read_secure); the
 * value crosses as opaque bytes both ways. */

#include "bus-util.h"
#include "events.h"
#include "procedures.h"
#include "error.h"
#include "util.h"
#include "uuid.h"

#define R PROC_READ
#define CONNECT "org.libvirt.Connect"
#define SECRET "org.libvirt.Secret"
#define SEC .service = SERVICE_SECRET

static int reply_secret(Call *c, sd_bus_message *m) {
        return reply_handle(c, m, HANDLE_SECRET);
}

static int reply_secret_list(Call *c, sd_bus_message *m) {
        return reply_list(c, m, HANDLE_SECRET);
}

/* virConnectNumOfSecrets: "ao" -> its length */
static int reply_secret_count(Call *c, sd_bus_message *m) {
        _cleanup_strv_free_ char **paths = NULL;
        size_t n;
        int r = read_paths(m, &paths, &n);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, (int32_t) MIN(n, (size_t) INT32_MAX));
        return 0;
}

/* "ay" -> opaque value<> */
static int reply_value(Call *c, sd_bus_message *m) {
        const void *p;
        size_t n;
        int r = sd_bus_message_read_array(m, 'y', &p, &n);

        if (r < 0)
                return r;
        xdr_put_opaque(&c->w, p, (uint32_t) n);
        return 0;
}

/* virConnectListSecrets: "ao" -> the UUID strings, at most maxuuids (the
 * 'n' value). The UUIDs are in the paths: nothing more to ask. */
static int reply_uuid_list(Call *c, sd_bus_message *m) {
        int32_t max = c->v[0].i;
        _cleanup_strv_free_ char **paths = NULL;
        size_t n, k = 0;
        int r;

        if (max < 0 || (uint32_t) max > XDR_LIST_MAX)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "maxuuids %d outside 0..%u", max, XDR_LIST_MAX);
        r = read_paths(m, &paths, &n);
        if (r < 0)
                return r;
        n = MIN(n, (size_t) max);
        xdr_put_u32(&c->w, (uint32_t) n);
        for (size_t i = 0; i < n; i++) {
                char s[UUID_STRING_MAX];
                uint8_t uuid[16];

                if (bus_path_to_uuid(paths[i], "/org/virtbus/secretd/secret", uuid) < 0)
                        return -EBADMSG;
                xdr_put_string(&c->w, uuid_format(uuid, s));
                k++;
        }
        return k == n ? 0 : -EBADMSG;
}

/* Sorted by number. */
static const ProcDef rows[] = {
        { 139, "virConnectNumOfSecrets", R, "", CONNECT, "ListSecrets", .append = append_u0,
          .reply = reply_secret_count, SEC },
        { 140, "virConnectListSecrets", R, "n", CONNECT, "ListSecrets", .append = append_u0,
          .reply = reply_uuid_list, SEC },
        { 141, "virSecretLookupByUUID", R, "U", CONNECT, "SecretLookupByUUID", .reply = reply_secret, SEC },
        { 142, "virSecretDefineXML", 0, "su", CONNECT, "SecretDefineXML", .reply = reply_secret, SEC },
        { 143, "virSecretGetXMLDesc", R, "Xu", SECRET, "GetXMLDesc", .reply = reply_string, SEC },
        { 144, "virSecretSetValue", 0, "XCu", SECRET, "SetValue", .reply = reply_void, SEC },
        { 145, "virSecretGetValue", 0, "Xu", SECRET, "GetValue", .reply = reply_value, SEC },
        { 146, "virSecretUndefine", 0, "X", SECRET, "Undefine", .reply = reply_void, SEC },
        { 147, "virSecretLookupByUsage", R, "is", CONNECT, "SecretLookupByUsage", .reply = reply_secret, SEC },
        { 287, "virConnectListAllSecrets", R, "nu", CONNECT, "ListSecrets", .reply = reply_secret_list, SEC },
        /* LIFECYCLE from secretd's SecretEvent, VALUE_CHANGED from its
         * org.virtbus.Secret1.SecretValueChanged (events.c) */
        { 380, "virConnectSecretEventRegisterAny", R, "ix", .local = events_register },
        { 381, "virConnectSecretEventDeregisterAny", R, "i", .local = events_deregister },
};

const ProcTable proc_table_secret = { rows, ELEMENTSOF(rows) };
