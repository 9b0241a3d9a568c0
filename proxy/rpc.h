/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libvirt's remote protocol on the wire (reference/libvirt-rpc.md): a frame
 * is a length word counting itself, a 24-byte header and an XDR payload.
 * This file knows the header, the frame bounds, the error payload and the
 * object handles; what each procedure carries is in procedures.c. */

#include "xdr.h"

enum {
        RPC_PROG_REMOTE = 0x20008086,
        RPC_PROG_QEMU = 0x20008087,
        RPC_PROG_LXC = 0x00068000,
        RPC_PROG_KEEPALIVE = 0x6b656570, /* "keep" */
        RPC_VERSION = 1,
};

enum { KEEPALIVE_PING = 1, KEEPALIVE_PONG = 2 };

typedef enum RpcType {
        RPC_CALL = 0,
        RPC_REPLY = 1,
        RPC_MESSAGE = 2,
        RPC_STREAM = 3,
        RPC_CALL_WITH_FDS = 4,
        RPC_REPLY_WITH_FDS = 5,
        RPC_STREAM_HOLE = 6,
} RpcType;

typedef enum RpcStatus {
        RPC_OK = 0,
        RPC_ERROR = 1,
        RPC_CONTINUE = 2,
} RpcStatus;

#define RPC_LEN_SIZE 4
#define RPC_HEADER_SIZE 24
#define RPC_FRAME_MIN (RPC_LEN_SIZE + RPC_HEADER_SIZE)
#define RPC_FRAME_MAX (RPC_LEN_SIZE + XDR_MESSAGE_MAX)

typedef struct RpcHeader {
        uint32_t prog, vers;
        int32_t proc, type;
        uint32_t serial;
        int32_t status;
} RpcHeader;

/* The length word of a frame: -EBADMSG when no frame can be that long or
 * that short (the peer is then cut off). */
int rpc_frame_length_check(uint32_t len);
/* Reads the header following the length word. */
int rpc_header_read(XdrReader *r, RpcHeader *h);

/* Starts a frame in an empty writer (length word left to fill) and ends it,
 * filling in the length; rpc_frame_end() returns the writer's error. */
void rpc_frame_begin(XdrWriter *w, const RpcHeader *h);
int rpc_frame_end(XdrWriter *w);

/* A reply to the call with header `call` (prog, vers, proc and serial echoed). */
RpcHeader rpc_reply_header(const RpcHeader *call, RpcStatus status);

/* libvirt's virErrorNumber and virErrorDomain values the proxy itself uses;
 * the daemons' errors come through common/error.c's table. */
enum {
        VIR_ERR_INTERNAL_ERROR = 1,
        VIR_ERR_NO_SUPPORT = 3,
        VIR_ERR_NO_CONNECT = 5,
        VIR_ERR_INVALID_ARG = 8,
        VIR_ERR_OPERATION_FAILED = 9,
        VIR_ERR_OPERATION_DENIED = 29,
        VIR_ERR_RPC = 39,
        VIR_ERR_NO_DOMAIN = 42,
        VIR_ERR_NO_NETWORK = 43,
        VIR_ERR_NO_SECRET = 66,
        VIR_ERR_NO_STORAGE_POOL = 49,
        VIR_ERR_NO_STORAGE_VOL = 50,
        VIR_ERR_NO_DOMAIN_SNAPSHOT = 72,
        VIR_ERR_ACCESS_DENIED = 88,
};

/* The payload of an error (remote_error): code, domain and message, level
 * ERROR, str1 = the message, int1 = int2 = -1, the rest absent. */
void rpc_put_error(XdrWriter *w, int code, int domain, const char *message);

/* An object as it travels: remote_nonnull_domain is name, raw uuid and id
 * (-1 when not running); remote_nonnull_storage_pool and remote_nonnull_network
 * name and uuid;
 * remote_nonnull_storage_vol pool (its name), name and key;
 * remote_nonnull_domain_snapshot its name, then its domain (kept in
 * RemoteHandle as pool = the domain's name, uuid and id);
 * remote_nonnull_secret its raw uuid, usage type and usage ID (kept as id
 * and key; a secret has no name). */
typedef enum HandleKind {
        HANDLE_DOMAIN = 'D',
        HANDLE_POOL = 'P',
        HANDLE_VOL = 'V',
        HANDLE_NETWORK = 'N',
        HANDLE_SNAPSHOT = 'Y',
        HANDLE_SECRET = 'X',
} HandleKind;

typedef struct RemoteHandle {
        char *name;
        uint8_t uuid[16];
        int32_t id;
        char *pool;
        char *key;
} RemoteHandle;

int remote_get_handle(XdrReader *r, HandleKind kind, RemoteHandle *h);
void remote_put_handle(XdrWriter *w, HandleKind kind, const RemoteHandle *h);
void remote_handle_done(RemoteHandle *h);
static inline int remote_get_domain(XdrReader *r, RemoteHandle *h) {
        return remote_get_handle(r, HANDLE_DOMAIN, h);
}
static inline void remote_put_domain(XdrWriter *w, const RemoteHandle *h) {
        remote_put_handle(w, HANDLE_DOMAIN, h);
}
