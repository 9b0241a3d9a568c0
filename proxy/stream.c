/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "error.h"
#include "log.h"
#include "stream.h"
#include "util.h"

/* libvirtd's chunk, and about what clients send */
#define STREAM_CHUNK (256 * 1024 - RPC_FRAME_MIN)
/* the pipe between us and the daemon */
#define STREAM_PIPE_SIZE (1024 * 1024)
/* a download stops reading its pipe while the client has this much unread */
#define STREAM_OUT_HIGH (1024 * 1024)
/* the daemon answers when all the bytes moved, however many */
#define STREAM_TIMEOUT_USEC (24ULL * 3600 * 1000000)

struct Stream {
        unsigned ref;             /* the client's list, the daemon's pending answer, a handler running */
        Client *client;
        RpcHeader hdr;            /* of the call that opened it: its packets echo prog, proc, serial */
        bool upload;
        bool console;             /* both ways: the daemon's console socket */
        int fd;                   /* our end of the pipe */
        sd_event_source *io;
        uint8_t *pending;         /* upload: a packet not yet all in the pipe */
        size_t pending_len, pending_pos;
        bool finishing;           /* the client sent its finish (status OK) */
        bool eof;                 /* download: the pipe ended, the empty packet sent */
        bool listed;              /* in the client's list */
        bool bus_pending;         /* the daemon's method has not answered */
        bool aborted;             /* the client aborted: confirmed when the daemon answers */
        bool bus_failed;
        int code, domain;
        char *message;
        struct Stream *next;
};

static void stream_free(Stream *s) {
        sd_event_source_disable_unref(s->io);
        if (s->fd >= 0)
                close(s->fd);
        free(s->pending);
        free(s->message);
        client_unref(s->client);
        free(s);
}

static Stream *stream_ref(Stream *s) {
        s->ref++;
        return s;
}

static void stream_unref(Stream *s) {
        if (--s->ref == 0)
                stream_free(s);
}

static void stream_unlist(Stream *s) {
        Client *c = s->client;

        if (!s->listed)
                return;
        for (Stream **p = &c->streams; *p; p = &(*p)->next)
                if (*p == s) {
                        *p = s->next;
                        break;
                }
        s->listed = false;
        s->io = sd_event_source_disable_unref(s->io);
        if (s->fd >= 0)
                s->fd = (close(s->fd), -1);
        stream_unref(s);
}

static void send_packet(Stream *s, RpcStatus status, const void *data, size_t len, bool error) {
        RpcHeader h = s->hdr;
        XdrWriter w;

        h.type = RPC_STREAM;
        h.status = status;
        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, &h);
        if (error)
                rpc_put_error(&w, s->code, s->domain, s->message);
        else
                xdr_put_raw(&w, data, len);
        if (rpc_frame_end(&w) >= 0)
                client_send(s->client, &w);
        else
                xdr_writer_done(&w);
}

/* The end, once the client finished and the daemon answered. (Out of the
 * list first: a send that fails closes the client and its streams.) The
 * caller holds a reference. */
static void stream_try_confirm(Stream *s) {
        if (!s->listed || s->bus_pending || !s->finishing)
                return;
        stream_unlist(s);
        send_packet(s, s->bus_failed ? RPC_ERROR : RPC_OK, NULL, 0, s->bus_failed);
}

static void stream_fail(Stream *s, int code, int domain, const char *msg) {
        if (s->bus_failed)
                return;
        s->bus_failed = true;
        s->code = code;
        s->domain = domain;
        free(s->message);
        s->message = strdup(msg);
}

static int on_bus_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Stream *s = userdata;

        s->bus_pending = false; /* its reference is ours until the end here */
        if (s->aborted) {
                /* its job is over (its pipe was closed): the volume is free
                 * for the next one when the client hears of the abort */
                if (s->listed) {
                        stream_unlist(s);
                        send_packet(s, RPC_OK, NULL, 0, false);
                }
                stream_unref(s);
                return 0;
        }
        if (sd_bus_message_is_method_error(m, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(m);
                const VbErrorInfo *info = vb_error_lookup(e->name);
                stream_fail(s, info ? info->libvirt_code : VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_STORAGE,
                            e->message ? e->message : e->name);
                if (s->listed && !s->finishing) {
                        /* a failure mid-stream goes out at once, as libvirtd's */
                        stream_unlist(s);
                        send_packet(s, RPC_ERROR, NULL, 0, true);
                }
        }
        stream_try_confirm(s);
        stream_unref(s);
        return 0;
}

/* --- download: pipe -> client --------------------------------------------- */

static void console_update(Stream *s);

static void download_update(Stream *s) {
        Client *c = s->client;
        bool room = c->out_len - c->out_pos < STREAM_OUT_HIGH;

        if (s->console)
                console_update(s);
        else if (s->io)
                (void) sd_event_source_set_enabled(s->io, room && !s->eof ? SD_EVENT_ON : SD_EVENT_OFF);
}

/* The end of the data (or of the pipe): the empty packet says so. */
static void download_eof(Stream *s) {
        s->eof = true;
        s->io = sd_event_source_disable_unref(s->io);
        if (s->fd >= 0)
                s->fd = (close(s->fd), -1);
        s->pending = mfree(s->pending);
        s->pending_len = s->pending_pos = 0;
        send_packet(s, RPC_CONTINUE, NULL, 0, false);
}

/* The packet is read from the pipe straight into its frame: no copy of the
 * data in between. */
static void download_read(Stream *s, int fd) {
        RpcHeader h = s->hdr;
        XdrWriter w;
        uint8_t *p;
        ssize_t n = -1;

        h.type = RPC_STREAM;
        h.status = RPC_CONTINUE;
        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, &h);
        p = xdr_put_space(&w, STREAM_CHUNK);
        if (p)
                n = read(fd, p, STREAM_CHUNK);
        if (n > 0) {
                xdr_unput(&w, STREAM_CHUNK - n);
                if (rpc_frame_end(&w) >= 0)
                        client_send(s->client, &w);
                else
                        xdr_writer_done(&w);
                download_update(s);
        } else {
                xdr_writer_done(&w);
                if (p && (n == 0 || (errno != EAGAIN && errno != EINTR)))
                        download_eof(s);
        }
}

static int on_download_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Stream *s = stream_ref(userdata);

        download_read(s, fd);
        stream_unref(s);
        return 0;
}

/* --- upload: client -> pipe ---------------------------------------------- */

static void upload_update(Stream *s);

/* Writes what is pending; at the finish, once all is written, the pipe is
 * closed so that the daemon sees the end. */
static int upload_flush(Stream *s) {
        while (s->pending_pos < s->pending_len) {
                ssize_t n = write(s->fd, s->pending + s->pending_pos, s->pending_len - s->pending_pos);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return -errno;
                }
                s->pending_pos += n;
        }
        if (s->pending_pos == s->pending_len) {
                s->pending = mfree(s->pending);
                s->pending_len = s->pending_pos = 0;
                if (s->finishing && s->fd >= 0) {
                        s->io = sd_event_source_disable_unref(s->io);
                        s->fd = (close(s->fd), -1);
                }
        }
        upload_update(s);
        return 0;
}

static int on_upload_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Stream *s = stream_ref(userdata);
        Client *c = client_ref(s->client);

        if (upload_flush(s) < 0) {
                /* the daemon closed its end: its answer will say why */
                s->pending = mfree(s->pending);
                s->pending_len = s->pending_pos = 0;
                s->io = sd_event_source_disable_unref(s->io);
                s->fd = (close(s->fd), -1);
        }
        client_kick(c); /* the client was not read while the pipe was full */
        client_unref(c);
        stream_unref(s);
        return 0;
}

static void upload_update(Stream *s) {
        if (s->console)
                console_update(s);
        else if (s->io)
                (void) sd_event_source_set_enabled(s->io, s->pending ? SD_EVENT_ON : SD_EVENT_OFF);
}

bool streams_block_input(const Client *c) {
        for (const Stream *s = c->streams; s; s = s->next)
                if (s->pending)
                        return true;
        return false;
}

void streams_resume(Client *c) {
        for (Stream *s = c->streams; s; s = s->next)
                if (!s->upload || s->console)
                        download_update(s);
}

/* --- the client's packets ------------------------------------------------- */

int stream_packet(Client *c, const RpcHeader *h, const uint8_t *data, size_t len) {
        Stream *s;

        for (s = c->streams; s; s = s->next)
                if (s->hdr.serial == h->serial && s->hdr.proc == h->proc)
                        break;
        if (!s || s->aborted)
                return 0; /* a stream that already ended: nothing to do */
        switch (h->status) {
        case RPC_CONTINUE:
                if (!s->upload || s->finishing || s->fd < 0) {
                        if (s->upload && (s->fd < 0 || s->eof))
                                return 0; /* the daemon stopped reading: its error comes */
                        return -EBADMSG;
                }
                if (len == 0)
                        return 0;
                /* Straight from the client's buffer into the pipe; only
                 * what does not fit now is kept (the client is not read
                 * until it is written). */
                while (len > 0) {
                        ssize_t n = write(s->fd, data, len);
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                if (errno != EAGAIN)
                                        return 0; /* a closed pipe: the daemon's answer says why */
                                break;
                        }
                        data += n;
                        len -= n;
                }
                if (len == 0)
                        return 0;
                s->pending = malloc(len);
                if (!s->pending)
                        return -ENOMEM;
                memcpy(s->pending, data, len);
                s->pending_len = len;
                s->pending_pos = 0;
                (void) upload_flush(s);
                return 0;
        case RPC_OK:
                s->finishing = true;
                stream_ref(s);
                if (s->upload)
                        (void) upload_flush(s);
                stream_try_confirm(s);
                stream_unref(s);
                return 0;
        case RPC_ERROR:
                /* the client aborts: the daemon's job ends with the pipe;
                 * confirmed once it has ended (libvirtd's abort, too, returns
                 * with the volume free again) */
                stream_ref(s);
                s->aborted = true;
                s->io = sd_event_source_disable_unref(s->io);
                if (s->fd >= 0)
                        s->fd = (close(s->fd), -1);
                s->pending = mfree(s->pending);
                s->pending_len = s->pending_pos = 0;
                if (!s->bus_pending) {
                        stream_unlist(s);
                        send_packet(s, RPC_OK, NULL, 0, false);
                }
                stream_unref(s);
                client_kick(c);
                return 0;
        default:
                return -EBADMSG;
        }
}

void streams_close(Client *c) {
        while (c->streams)
                stream_unlist(c->streams);
}

/* --- opening -------------------------------------------------------------- */

int stream_open(Call *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        Client *cl = c->client;
        bool upload = c->hdr.proc == 208;
        _cleanup_free_ char *path = NULL;
        int fds[2], theirs, r;
        Stream *s;

        if (c->v[2].u & 1)
                return call_fail(c, VIR_ERR_NO_SUPPORT, LIBVIRT_FROM_STORAGE,
                                 "sparse streams (VIR_STORAGE_VOL_%s_SPARSE_STREAM)", upload ? "UPLOAD" : "DOWNLOAD");
        call_use_service(c, SERVICE_STORAGE);
        path = call_target_path(c);
        if (!path)
                return -ENOMEM;
        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        /* fewer, larger moves than the default 64 KiB allows (several
         * packets fit); the default is fine if this is refused */
        (void) fcntl(fds[0], F_SETPIPE_SZ, STREAM_PIPE_SIZE);
        /* the daemon's end blocks: it moves bytes in a worker thread */
        theirs = upload ? fds[0] : fds[1];
        (void) fd_nonblock(theirs, false);
        s = calloc(1, sizeof(*s));
        if (!s) {
                close(fds[0]);
                close(fds[1]);
                return -ENOMEM;
        }
        *s = (Stream) { .ref = 1, .client = client_ref(cl), .hdr = c->hdr, .upload = upload,
                        .fd = upload ? fds[1] : fds[0] };
        r = sd_event_add_io(cl->server->event, &s->io, s->fd, upload ? EPOLLOUT : EPOLLIN,
                            upload ? on_upload_io : on_download_io, s);
        if (r >= 0)
                r = sd_bus_message_new_method_call(cl->server->bus, &m, c->bus_name, path,
                                                   "org.virtbus.StorageVol1", upload ? "Upload" : "Download");
        if (r >= 0)
                r = sd_bus_message_append(m, "httu", theirs, c->v[0].h, c->v[1].h, c->v[2].u);
        if (r >= 0)
                r = sd_bus_call_async(cl->server->bus, NULL, m, on_bus_reply, s, STREAM_TIMEOUT_USEC);
        close(theirs); /* the message holds its own copy */
        if (r < 0) {
                stream_free(s);
                return r;
        }
        s->bus_pending = true;
        stream_ref(s); /* the daemon's answer's, the first one the list's */
        s->listed = true;
        s->next = cl->streams;
        cl->streams = s;
        if (upload)
                upload_update(s);
        return 0;
}

int stream_open_sink(Call *c, int *ret_fd) {
        Client *cl = c->client;
        int fds[2], r;
        Stream *s;

        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        (void) fcntl(fds[0], F_SETPIPE_SZ, STREAM_PIPE_SIZE);
        (void) fd_nonblock(fds[0], false);
        s = calloc(1, sizeof(*s));
        if (!s) {
                close(fds[0]);
                close(fds[1]);
                return -ENOMEM;
        }
        *s = (Stream) { .ref = 1, .client = client_ref(cl), .hdr = c->hdr, .upload = true, .fd = fds[1] };
        r = sd_event_add_io(cl->server->event, &s->io, s->fd, EPOLLOUT, on_upload_io, s);
        if (r < 0) {
                close(fds[0]);
                stream_free(s);
                return r;
        }
        s->listed = true;
        s->next = cl->streams;
        cl->streams = s;
        upload_update(s);
        *ret_fd = fds[0];
        return 0;
}

/* --- the console: both ways ----------------------------------------------- */

/* Reads the daemon's socket while the client keeps up; writes it while
 * something the client typed waits. */
static void console_update(Stream *s) {
        Client *c = s->client;
        bool room = c->out_len - c->out_pos < STREAM_OUT_HIGH;
        uint32_t ev = (room && !s->eof ? EPOLLIN : 0) | (s->pending ? EPOLLOUT : 0);

        if (!s->io)
                return;
        (void) sd_event_source_set_io_events(s->io, ev);
        (void) sd_event_source_set_enabled(s->io, ev ? SD_EVENT_ON : SD_EVENT_OFF);
}

static int on_console_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Stream *s = stream_ref(userdata);
        Client *c = client_ref(s->client);

        /* the daemon closed the session (the guest stopped, another client
         * took over): the client reads the end, then finishes */
        if ((revents & EPOLLOUT) && upload_flush(s) < 0)
                download_eof(s);
        else if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                download_read(s, fd);
        client_kick(c);
        client_unref(c);
        stream_unref(s);
        return 0;
}

/* OpenConsole answered: the stream runs on the socket it handed. */
static int reply_console(Call *c, sd_bus_message *m) {
        Client *cl = c->client;
        int fd, r;
        Stream *s;

        r = sd_bus_message_read(m, "h", &fd);
        if (r < 0)
                return r;
        if (cl->closed)
                return 0; /* the reply goes nowhere: no stream either */
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        (void) fd_nonblock(fd, true);
        s = calloc(1, sizeof(*s));
        if (!s) {
                close(fd);
                return -ENOMEM;
        }
        *s = (Stream) { .ref = 1, .client = client_ref(cl), .hdr = c->hdr, .upload = true, .console = true,
                        .fd = fd };
        r = sd_event_add_io(cl->server->event, &s->io, s->fd, EPOLLIN, on_console_io, s);
        if (r < 0) {
                stream_free(s);
                return r;
        }
        s->listed = true;
        s->next = cl->streams;
        cl->streams = s;
        /* the reply goes out before any of the console's data: that is read
         * from the next turn of the loop on */
        return 0;
}

int stream_open_console(Call *c) {
        _cleanup_free_ char *path = call_target_path(c);

        if (!path)
                return -ENOMEM;
        return call_chain(c, path, "org.virtbus.Domain1", "OpenConsole", reply_console, "su", c->v[0].s ?: "",
                          c->v[1].u);
}
