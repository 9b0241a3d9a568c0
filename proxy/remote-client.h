/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small libvirt RPC client: the proxy as a libvirt client of another
 * host's libvirt (a virtbus proxy or a libvirtd), for peer-to-peer
 * migration. Blocking; one call at a time; used from a thread of its own.
 *
 * URIs as libvirt's remote driver reads them:
 *   qemu+unix:///system[?socket=PATH]     (default /run/libvirt/libvirt-sock)
 *   qemu+tcp://HOST[:PORT]/system          (default port 16509, no auth)
 *   qemu+ssh://[USER@]HOST[:PORT]/system[?socket=PATH&netcat=NC&keyfile=KEY&
 *            no_verify=1&command=SSH]      (ssh runs `NC -U PATH` there)
 * The name opened over the channel is the URI without transport, host and
 * the transport's parameters: "qemu:///system". */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "xdr.h"

/* An error, as libvirt's remote_error carries it (or the client's own). */
typedef struct RemoteError {
        int code;               /* virErrorNumber */
        int domain;             /* virErrorDomain */
        char *message;
} RemoteError;

void remote_error_done(RemoteError *e);

typedef enum RemoteTransport {
        TRANSPORT_UNIX,
        TRANSPORT_TCP,
        TRANSPORT_SSH,
} RemoteTransport;

typedef struct RemoteUri {
        RemoteTransport transport;
        char *driver;           /* "qemu" */
        char *user, *host;      /* NULL when absent */
        int port;               /* 0: the default */
        char *path;             /* "/system" */
        char *socket;           /* ?socket= */
        char *netcat;           /* ?netcat= */
        char *keyfile;          /* ?keyfile= */
        char *command;          /* ?command= (the ssh binary) */
        bool no_verify;         /* ?no_verify=1 */
} RemoteUri;

/* Parses uri; -EINVAL with a message in err (an unknown scheme or
 * transport, a host missing where one is needed). */
int remote_uri_parse(const char *uri, RemoteUri *ret, RemoteError *err);
void remote_uri_done(RemoteUri *u);
/* The name opened over the channel ("qemu:///system"), newly allocated. */
char *remote_uri_open_name(const RemoteUri *u);
/* The argv of the ssh transport (NULL-terminated, newly allocated). */
char **remote_uri_ssh_argv(const RemoteUri *u);

typedef struct RemoteClient {
        int fd;
        pid_t pid;              /* ssh, when the channel is one; 0 */
        uint32_t serial;
} RemoteClient;

/* Connects and opens the connection (CONNECT_OPEN); -errno and err. */
int remote_client_open(RemoteClient *rc, const char *uri, RemoteError *err);
/* CONNECT_CLOSE when open, then the channel closed and ssh reaped. */
void remote_client_close(RemoteClient *rc);
/* One call of the REMOTE program: args is the payload (may be NULL for
 * none). On success the reply payload is in *ret (owned by the caller,
 * *ret_len bytes); on an error reply -EREMOTEIO and err filled. */
int remote_client_call(RemoteClient *rc, int32_t proc, const XdrWriter *args, uint8_t **ret, size_t *ret_len,
                       RemoteError *err);
/* One STREAM packet of the call proc/serial opened: status 2 (CONTINUE)
 * with data, 0 (OK) to finish, 1 (ERROR) to abort. May run on another
 * thread than the calls, while none is under way. */
int remote_client_stream_send(RemoteClient *rc, int32_t proc, uint32_t serial, int status, const void *data,
                              size_t len);
/* CONNECT_SUPPORTS_FEATURE: 1, 0 or -errno. */
int remote_client_supports(RemoteClient *rc, int feature, RemoteError *err);
