/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dispatch.h"
#include "error.h"
#include "log.h"
#include "stream.h"

/* remote_protocol.x: VIR_NET_MESSAGE_NUM_FDS_MAX, and the procedures that take fds */
#define RPC_FDS_MAX 32u
enum { PROC_DOMAIN_CREATE_XML_WITH_FILES = 309, PROC_DOMAIN_CREATE_WITH_FILES = 310 };

static void send_simple(Client *c, const RpcHeader *h) {
        XdrWriter w;

        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, h);
        if (rpc_frame_end(&w) >= 0)
                client_send(c, &w);
        else
                xdr_writer_done(&w);
}

/* An error reply for a call that never becomes a Call. */
static void send_error(Client *c, const RpcHeader *call, int code, int domain, const char *msg) {
        RpcHeader h = rpc_reply_header(call, RPC_ERROR);
        XdrWriter w;

        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, &h);
        rpc_put_error(&w, code, domain, msg);
        if (rpc_frame_end(&w) >= 0)
                client_send(c, &w);
        else
                xdr_writer_done(&w);
}

static int dispatch_keepalive(Client *c, const RpcHeader *h) {
        RpcHeader pong = *h;

        if (h->type != RPC_MESSAGE || h->status != RPC_OK)
                return -EBADMSG;
        if (h->proc == KEEPALIVE_PONG)
                return 0;
        if (h->proc != KEEPALIVE_PING)
                return -EBADMSG;
        pong.proc = KEEPALIVE_PONG;
        pong.serial = 0;
        send_simple(c, &pong);
        return 0;
}

static int dispatch_remote(Client *c, const RpcHeader *h, XdrReader *args) {
        const ProcDef *def;
        char msg[256];
        Call *call;
        int r;

        if (h->status != RPC_OK && h->type != RPC_STREAM)
                return -EBADMSG;
        if (h->type == RPC_CALL_WITH_FDS) {
                /* No procedure of ours takes fds (the QEMU driver has no
                 * CREATE_WITH_FILES either): the fds' 1-byte messages after
                 * the frame are passed over, the call answered "not
                 * supported" as an unknown one. */
                uint32_t n_fds;

                if (xdr_get_u32(args, &n_fds) < 0 || n_fds > RPC_FDS_MAX)
                        return -EBADMSG;
                c->in_skip = n_fds;
                def = procedure_find(h->proc);
                snprintf(msg, sizeof(msg), "this function is not supported by the connection driver: %s",
                         h->proc == PROC_DOMAIN_CREATE_WITH_FILES       ? "virDomainCreateWithFiles"
                         : h->proc == PROC_DOMAIN_CREATE_XML_WITH_FILES ? "virDomainCreateXMLWithFiles"
                         : def                                          ? def->api
                                                                        : "fd passing");
                send_error(c, h, VIR_ERR_NO_SUPPORT, LIBVIRT_FROM_DOMAIN, msg);
                return 0;
        }
        if (h->type == RPC_STREAM)
                return stream_packet(c, h, args->data + args->pos, xdr_left(args));
        if (h->type != RPC_CALL)
                return -EBADMSG;
        def = procedure_find(h->proc);
        if (!def) {
                snprintf(msg, sizeof(msg),
                         "this function is not supported by the connection driver: remote procedure %d", h->proc);
                send_error(c, h, VIR_ERR_NO_SUPPORT, LIBVIRT_FROM_NONE, msg);
                return 0;
        }
        if (!(def->flags & PROC_BEFORE_OPEN) && !c->open) {
                send_error(c, h, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC,
                           "internal error: hypervisor connection not open");
                return 0;
        }
        if (c->readonly && !(def->flags & PROC_READ)) {
                snprintf(msg, sizeof(msg), "operation forbidden: read only access prevents %s", def->api);
                send_error(c, h, VIR_ERR_OPERATION_DENIED, LIBVIRT_FROM_DOMAIN, msg);
                return 0;
        }
        call = call_new(c, h, def);
        if (!call)
                return -ENOMEM;
        r = call_decode(call, args);
        if (r < 0) {
                call_free(call);
                return r;
        }
        call_run(call);
        return 0;
}

int dispatch_frame(Client *c, const uint8_t *frame, size_t len) {
        XdrReader r = xdr_reader(frame, len);
        RpcHeader h;
        char msg[128];

        if (rpc_header_read(&r, &h) < 0)
                return -EBADMSG;
        if (h.vers == RPC_VERSION && h.prog == RPC_PROG_KEEPALIVE)
                return dispatch_keepalive(c, &h);
        if (h.vers == RPC_VERSION && h.prog == RPC_PROG_REMOTE)
                return dispatch_remote(c, &h, &r);
        if (h.vers == RPC_VERSION && (h.prog == RPC_PROG_QEMU || h.prog == RPC_PROG_LXC) && h.type == RPC_CALL) {
                send_error(c, &h, VIR_ERR_NO_SUPPORT, LIBVIRT_FROM_NONE,
                           "this function is not supported by the connection driver: the QEMU and LXC programs");
                return 0;
        }
        /* libvirtd's answer, and then the door: a peer that speaks another
         * protocol has nothing more to say to us. */
        if (h.type == RPC_CALL) {
                snprintf(msg, sizeof(msg), "Cannot find program %u version %u", h.prog, h.vers);
                send_error(c, &h, VIR_ERR_RPC, LIBVIRT_FROM_RPC, msg);
        }
        return -EPROTO;
}
