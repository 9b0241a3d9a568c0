/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rpc.h"

int rpc_frame_length_check(uint32_t len) {
        return len < RPC_FRAME_MIN || len > RPC_FRAME_MAX ? -EBADMSG : 0;
}

int rpc_header_read(XdrReader *r, RpcHeader *h) {
        if (xdr_get_u32(r, &h->prog) < 0 || xdr_get_u32(r, &h->vers) < 0 || xdr_get_i32(r, &h->proc) < 0 ||
            xdr_get_i32(r, &h->type) < 0 || xdr_get_u32(r, &h->serial) < 0 || xdr_get_i32(r, &h->status) < 0)
                return -EBADMSG;
        return 0;
}

void rpc_frame_begin(XdrWriter *w, const RpcHeader *h) {
        xdr_put_u32(w, 0); /* the length, once known */
        xdr_put_u32(w, h->prog);
        xdr_put_u32(w, h->vers);
        xdr_put_i32(w, h->proc);
        xdr_put_i32(w, h->type);
        xdr_put_u32(w, h->serial);
        xdr_put_i32(w, h->status);
}

int rpc_frame_end(XdrWriter *w) {
        xdr_patch_u32(w, 0, w->len);
        return xdr_writer_error(w);
}

RpcHeader rpc_reply_header(const RpcHeader *call, RpcStatus status) {
        return (RpcHeader) {
                .prog = call->prog,
                .vers = call->vers,
                .proc = call->proc,
                .type = RPC_REPLY,
                .serial = call->serial,
                .status = status,
        };
}

void rpc_put_error(XdrWriter *w, int code, int domain, const char *message) {
        xdr_put_i32(w, code);
        xdr_put_i32(w, domain);
        xdr_put_optional_string(w, message);
        xdr_put_i32(w, 2); /* VIR_ERR_ERROR */
        xdr_put_u32(w, 0); /* dom */
        xdr_put_optional_string(w, message); /* str1 */
        xdr_put_u32(w, 0); /* str2 */
        xdr_put_u32(w, 0); /* str3 */
        xdr_put_i32(w, -1);
        xdr_put_i32(w, -1);
        xdr_put_u32(w, 0); /* net */
}

int remote_get_handle(XdrReader *r, HandleKind kind, RemoteHandle *h) {
        int e;

        *h = (RemoteHandle) { .id = -1 };
        if (kind == HANDLE_SNAPSHOT) {
                e = xdr_get_string(r, XDR_STRING_MAX, &h->name);
                if (e >= 0)
                        e = xdr_get_string(r, XDR_STRING_MAX, &h->pool);
                if (e >= 0)
                        e = xdr_get_fixed(r, h->uuid, 16);
                if (e >= 0)
                        e = xdr_get_i32(r, &h->id);
        } else if (kind == HANDLE_SECRET) {
                e = xdr_get_fixed(r, h->uuid, 16);
                if (e >= 0)
                        e = xdr_get_i32(r, &h->id);
                if (e >= 0)
                        e = xdr_get_string(r, XDR_STRING_MAX, &h->key);
        } else if (kind == HANDLE_VOL) {
                e = xdr_get_string(r, XDR_STRING_MAX, &h->pool);
                if (e >= 0)
                        e = xdr_get_string(r, XDR_STRING_MAX, &h->name);
                if (e >= 0)
                        e = xdr_get_string(r, XDR_STRING_MAX, &h->key);
        } else {
                e = xdr_get_string(r, XDR_STRING_MAX, &h->name);
                if (e >= 0)
                        e = xdr_get_fixed(r, h->uuid, 16);
                if (e >= 0 && kind == HANDLE_DOMAIN)
                        e = xdr_get_i32(r, &h->id);
        }
        if (e < 0)
                remote_handle_done(h);
        return e;
}

void remote_put_handle(XdrWriter *w, HandleKind kind, const RemoteHandle *h) {
        if (kind == HANDLE_SNAPSHOT) {
                xdr_put_string(w, h->name ? h->name : "");
                xdr_put_string(w, h->pool ? h->pool : "");
                xdr_put_fixed(w, h->uuid, 16);
                xdr_put_i32(w, h->id);
                return;
        }
        if (kind == HANDLE_SECRET) {
                xdr_put_fixed(w, h->uuid, 16);
                xdr_put_i32(w, h->id);
                xdr_put_string(w, h->key ? h->key : "");
                return;
        }
        if (kind == HANDLE_VOL) {
                xdr_put_string(w, h->pool ? h->pool : "");
                xdr_put_string(w, h->name ? h->name : "");
                xdr_put_string(w, h->key ? h->key : "");
                return;
        }
        xdr_put_string(w, h->name ? h->name : "");
        xdr_put_fixed(w, h->uuid, 16);
        if (kind == HANDLE_DOMAIN)
                xdr_put_i32(w, h->id);
}

void remote_handle_done(RemoteHandle *h) {
        h->name = mfree(h->name);
        h->pool = mfree(h->pool);
        h->key = mfree(h->key);
}
