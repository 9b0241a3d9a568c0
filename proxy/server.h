/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The listening sockets and the client connections of virtbus-proxyd.
 *
 * Each connection reads frames into its input buffer, hands every complete
 * one to the dispatcher (procedures.c) and queues what goes back in its
 * output buffer. Calls forwarded to a daemon are in flight at the same time,
 * answered in whatever order the daemons answer; a connection stops reading
 * while it has too many calls in flight or too much unsent output, so a
 * client that does not read cannot make us hold more. A frame that breaks
 * the protocol closes that connection only. */

#include <sys/types.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "rpc.h"

typedef struct Server Server;
typedef struct ServerEvents ServerEvents;
struct EventReg;

typedef struct Client {
        Server *server;
        unsigned ref;
        int fd;
        sd_event_source *io;
        sd_event_source *resume; /* handles frames that waited in the buffer */
        struct Client *prev, *next;
        uint64_t id;             /* for the log */
        uid_t uid;
        pid_t pid;
        bool ro_socket;          /* accepted on libvirt-sock-ro */
        bool readonly;           /* the socket or the CONNECT_OPEN flag says so */
        bool open;               /* CONNECT_OPEN done */
        bool authenticated;      /* polkit allowed it the read-write socket (auth.h) */
        bool closed;
        char *uri;               /* as opened: "qemu:///system" */
        const struct Driver *driver; /* the daemon that holds this URI's domains */
        uint8_t *in;
        size_t in_len, in_cap;
        uint8_t *out;
        size_t out_len, out_pos, out_cap;
        /* fds that go out with the byte at offset at of out, one sendmsg()
         * each (REPLY_WITH_FDS), in the order of their bytes */
        struct { size_t at; int fd; } *out_fds;
        size_t n_out_fds;
        uint32_t in_skip;        /* the 1-byte fd messages of a CALL_WITH_FDS, not frames */
        unsigned n_calls;        /* forwarded calls not yet answered */
        struct EventReg *events; /* its event registrations (events.c) */
        struct Stream *streams;  /* its open streams (stream.c) */
        char **incoming;         /* guests it prepared to come in and did not finish (procedures-migrate.c) */
        size_t n_events;
        int32_t next_callback_id;
} Client;

typedef struct Listener {
        Server *server;
        int fd;
        bool readonly;
        bool ours;               /* made by us (unlinked at exit), not systemd's */
        char *path;
        sd_event_source *io;
} Listener;

struct Server {
        sd_event *event;
        sd_bus *bus;
        struct Peers *peers;     /* the daemons' private connections (peers.h) */
        Listener listeners[2];
        size_t n_listeners;
        Client *clients;
        size_t n_clients;
        uint64_t next_id;
        ServerEvents *events;
};

/* The directory of the sockets: /run/libvirt, or <root>/run/libvirt. */
int server_socket_dir(const char *root, char **ret);
/* Takes the sockets from systemd, or makes libvirt-sock (0600) and
 * libvirt-sock-ro (0666) in server_socket_dir(root). */
int server_new(sd_event *e, sd_bus *bus, const char *root, Server **ret);
/* The connection a call to bus_name's interface goes on (peers_bus()). */
sd_bus *server_bus(Server *s, const char *bus_name, const char *interface, bool read_only);
Server *server_free(Server *s);
bool server_is_busy(void *userdata);

Client *client_ref(Client *c);
void client_unref(Client *c);
/* Queues a whole frame; takes w's buffer. Nothing happens on a closed one. */
void client_send(Client *c, XdrWriter *w);
/* The same, then fd (taken) in a message of one 0x00 byte of its own, as
 * libvirt sends the fds of a REPLY_WITH_FDS after its frame. */
void client_send_fd(Client *c, XdrWriter *w, int fd);
/* Ends the connection (the calls in flight finish into nothing). */
void client_close(Client *c, const char *why);
/* A forwarded call began or ended: reading stops and resumes around the limit. */
void client_call_started(Client *c);
void client_call_finished(Client *c);
/* What held the client back changed: read (and handle buffered frames) if
 * it may. */
void client_kick(Client *c);
