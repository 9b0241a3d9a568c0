/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One call of the REMOTE program, from its decoded arguments to its reply.
 *
 * A procedure is a row of a table (procedures.c, ProcDef): which D-Bus
 * method of the connection's daemon it becomes, how its XDR arguments are
 * laid out, and the function that turns the D-Bus reply into the XDR result.
 * The call is forwarded asynchronously; its reply goes out when the daemon
 * answers (and, for results that are domain handles, when the handles'
 * names and ids have been read). A Call owns itself from call_new() until it
 * is answered: every path ends in call_reply() or call_fail*(), which free it. */

#include <systemd/sd-bus.h>

#include "rpc.h"
#include "server.h"
#include "typed-params.h"

/* The daemon behind a connection URI. */
typedef struct Driver {
        const char *uri;        /* "qemu:///system" */
        const char *type;       /* CONNECT_GET_TYPE: "QEMU" */
        const char *bus_name;   /* "org.virtbus.qemud" */
        const char *root;       /* "/org/virtbus/qemud" */
} Driver;

typedef struct Call Call;

/* Appends what the method needs beyond the arguments taken over as they are;
 * may refuse the call (call_fail(), then return -ECANCELED). */
typedef int (*CallAppendFn)(Call *c, sd_bus_message *m);
/* Writes the result from the daemon's reply into c->w and returns 0; or
 * starts more work and returns 1 (that work answers the call); or returns
 * -errno (an internal error is answered), or -ECANCELED (already answered). */
typedef int (*CallReplyFn)(Call *c, sd_bus_message *reply);
/* A procedure the proxy answers itself; same returns as CallReplyFn. */
typedef int (*CallLocalFn)(Call *c);

/* Which daemon a procedure goes to. */
typedef enum ProcService {
        SERVICE_DRIVER = 0,     /* the connection's: qemud for qemu:///system */
        SERVICE_STORAGE,        /* storaged, whatever the URI */
        SERVICE_NETWORK,        /* networkd, likewise */
        SERVICE_SECRET,         /* secretd, likewise */
} ProcService;

enum {
        PROC_READ = 1 << 0,        /* allowed on a read-only connection */
        PROC_BEFORE_OPEN = 1 << 1, /* allowed before CONNECT_OPEN */
};

typedef struct ProcDef {
        int32_t proc;
        const char *api;          /* libvirt's function, for messages: "virDomainGetInfo" */
        unsigned flags;
        /* The XDR arguments, one letter each:
         *   D  remote_nonnull_domain: the domain object the method is called on
         *   P  remote_nonnull_storage_pool, V  remote_nonnull_storage_vol,
         *   N  remote_nonnull_network, X  remote_nonnull_secret: likewise
         *   s  string      z  optional string (absent = "")
         *   u  unsigned int       i  int       h  unsigned hyper
         *   U  uuid (raw 16 bytes, sent to D-Bus as its string)
         *   A  array of unsigned int, at most CALL_ARRAY_MAX (sent as "au")
         *   n  int kept for the reply function (need_results, maxnames), not sent
         *   o  opaque bytes (a cpumap, at most CALL_OPAQUE_MAX) in s, length in u,
         *      kept for append(), not sent
         *   L  array of remote_nonnull_domain (at most CALL_DOMAINS_MAX) in doms,
         *      kept for the reply function, not sent
         *   S  array of strings (at most CALL_STRINGS_MAX) in strv, sent as "as"
         *   T  typed parameters (at most the row's params_max, else CALL_TYPED_MAX)
         *      in tp, sent as "a{sv}"
         *   M  opaque cpumap<REMOTE_CPUMAP_MAX> (a bit per host CPU), sent as "ab"
         *   C  opaque migration cookie<REMOTE_MIGRATE_COOKIE_MAX> in bytes, sent as "ay"
         *      (also a secret's value<REMOTE_SECRET_VALUE_MAX>: secretd checks its size)
         *   d  optional remote_domain, k  optional remote_network,
         *   p  optional remote_storage_pool, x  optional remote_secret: a filter
         *      (filter_kind, has_filter, filter), not sent */
        const char *args;
        /* The method called on the connection's daemon, on the domain of the D
         * argument or else on the daemon's root object; the arguments other
         * than D and n are its arguments, in order, then what append() adds.
         * With property set, the call is org.freedesktop.DBus.Properties'
         * method ("Get", "Set") for (interface, property). */
        const char *interface;    /* NULL: answered by local() */
        const char *method;
        const char *property;
        ProcService service;
        CallAppendFn append;
        CallReplyFn reply;
        CallLocalFn local;
        uint32_t params_max;      /* T: the procedure's REMOTE_*_PARAMETERS_MAX */
} ProcDef;

/* remote_protocol.x: the longest cpumap of PinVcpu and PinEmulator. */
#define REMOTE_CPUMAP_MAX 2048u
/* remote_protocol.x: the longest migration cookie. */
#define REMOTE_MIGRATE_COOKIE_MAX 4194304u

#define CALL_VALUES_MAX 6
#define CALL_OPAQUE_MAX 256     /* libvirt's REMOTE_CPUMAP_MAX */
#define CALL_ARRAY_MAX 16         /* 'A': REMOTE_DOMAIN_SEND_KEY_MAX, its one user */
#define CALL_DOMAINS_MAX 16384    /* 'L': REMOTE_DOMAIN_LIST_MAX */
#define CALL_STRINGS_MAX 256      /* 'S': REMOTE_CPU_BASELINE_MAX, its one user */
#define CALL_TYPED_MAX 64         /* 'T': REMOTE_NODE_MEMORY_PARAMETERS_MAX, its one user */

typedef struct CallValue {
        char type;                /* the letter of ProcDef.args */
        char *s;
        uint32_t u;
        int32_t i;
        uint64_t h;
        uint8_t uuid[16];
        uint32_t *au;             /* 'A' */
        uint32_t n_au;
        RemoteHandle *doms;       /* 'L' */
        uint32_t n_doms;
        char **strv;              /* 'S' */
        TypedParams tp;           /* 'T' */
        uint8_t *bytes;           /* 'M', 'C', n_bytes long */
        uint32_t n_bytes;
} CallValue;

typedef int (*CallFetchDoneFn)(Call *c);

struct Call {
        Client *client;
        RpcHeader hdr;
        const ProcDef *def;
        const Driver *driver;
        const char *bus_name;     /* the daemon called, and its root object */
        const char *root;
        HandleKind target_kind;   /* 0: the call goes to the root object */
        RemoteHandle target;      /* the object the call is on, as the client sent it */
        HandleKind filter_kind;
        bool has_filter;
        RemoteHandle filter;      /* 'd', 'k', 'p', 'x' */
        char *path;               /* the object called: the target's, or the root */
        CallValue v[CALL_VALUES_MAX];
        size_t n_v;
        XdrWriter w;              /* the reply frame, header written */
        int fd_out;               /* sent after the frame (REPLY_WITH_FDS); -1: none */
        /* handles being read (call_fetch_handles) */
        HandleKind fetch_kind;
        char **paths;
        size_t n_paths;
        RemoteHandle *handles;
        bool *found;
        unsigned pending;
        size_t fetch_next;        /* the next path to read: a window of them is in flight */
        bool fetch_must_exist;
        int fetch_error;
        CallFetchDoneFn fetch_done;
        CallReplyFn next;         /* the reply function of a chained call */
};

Call *call_new(Client *client, const RpcHeader *hdr, const ProcDef *def);
/* Frees a call that was never run (its arguments did not decode). */
void call_free(Call *c);
/* Decodes the arguments by def->args; -EBADMSG on a malformed payload. */
int call_decode(Call *c, XdrReader *r);
/* Runs it: locally, or forwarded to the daemon. Always answers, in time. */
void call_run(Call *c);

/* Sends c->w (the result written after the header) and frees the call. */
void call_reply(Call *c);
/* Makes the reply a REPLY_WITH_FDS carrying a copy of fd (the D-Bus reply
 * keeps its own): the count is written, nothing may be written before it. */
int call_reply_fd(Call *c, int fd);
/* Sends an error and frees the call. Returns -ECANCELED. */
int call_fail(Call *c, int code, int domain, const char *fmt, ...) _printf_(4, 5);
/* The same for an error from a daemon, in libvirt's code, domain and words. */
int call_fail_bus(Call *c, const sd_bus_error *e);
/* libvirt's words before a message of error code ("Domain not found"), as
 * virsh prints them; NULL for a code without. */
const char *libvirt_code_prefix(int code);
/* Answers from a reply function's return value (see CallReplyFn). */
void call_finish(Call *c, int r);

/* A further D-Bus call to the driver's daemon (path NULL: its root), whose
 * reply goes to next (as to a CallReplyFn); returns 1 (the call is answered
 * from there) or -errno. */
int call_chain(Call *c, const char *path, const char *interface, const char *method, CallReplyFn next,
               const char *types, ...);

/* The call goes to service's daemon (c->bus_name, c->root), not the driver's. */
void call_use_service(Call *c, ProcService service);
/* The object path of the call's target (newly allocated, NULL on ENOMEM). */
char *call_target_path(const Call *c);

/* Reads Properties.GetAll of an object (Name, UUID, Id, Key) into a handle. */
int bus_read_handle(sd_bus_message *m, RemoteHandle *h);

/* Reads the handles of the objects of kind at paths (taken) into c->handles
 * (a volume's pool is the call's target pool, or its target volume's), then
 * runs done (its return is given to call_finish()). With must_exist, one
 * that went away fails the call (NO_DOMAIN...); otherwise it is left out
 * (c->found[i] false). */
int call_fetch_handles(Call *c, HandleKind kind, char **paths, size_t n, bool must_exist, CallFetchDoneFn done);
