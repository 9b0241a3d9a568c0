/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OpenGraphicsFD: a client connection of QEMU's display server made on a
 * socketpair (qemu-graphics-fd.h). */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "qemu-domain.h"
#include "qemu-graphics-fd.h"
#include "qemu-monitor.h"
#include "util.h"

/* The name QEMU keeps our end under between getfd and add_client; the two
 * go out back to back, and QMP runs them in order. */
#define GRAPHICS_FDNAME "graphicsfd"

typedef struct OpenFd {
        sd_bus_message *msg;
        int fd;                 /* the caller's end */
        char *name;             /* the domain's, for messages */
} OpenFd;

static OpenFd *open_fd_free(OpenFd *o) {
        if (!o)
                return NULL;
        sd_bus_message_unref(o->msg);
        if (o->fd >= 0)
                close(o->fd);
        free(o->name);
        return mfree(o);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(OpenFd *, open_fd_free);

static void on_add_client(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        _cleanup_(open_fd_freep) OpenFd *o = userdata;
        int r;

        if (error_class && streq(error_class, QEMU_MONITOR_ERROR_DISCONNECTED))
                r = sd_bus_reply_method_errorf(o->msg, VB_ERROR_OPERATION_INVALID,
                                               "domain '%s' stopped before QEMU took the graphics client", o->name);
        else if (error_class)
                r = sd_bus_reply_method_errorf(o->msg, VB_ERROR_OPERATION_FAILED,
                                               "QEMU refused the graphics client of domain '%s': %s", o->name,
                                               error_desc ?: error_class);
        else
                r = sd_bus_reply_method_return(o->msg, "h", o->fd);
        if (r < 0)
                log_warning_errno(r, "Cannot answer OpenGraphicsFD of %s: %m", o->name);
}

int qemu_open_graphics_fd(Domain *d, uint32_t idx, bool skipauth, sd_bus_message *msg, sd_bus_error *error) {
        QemuMonitor *mon = qemu_domain(d)->mon;
        const DomainGraphicsDef *g = &d->live->graphics[idx];
        _cleanup_(open_fd_freep) OpenFd *o = NULL;
        _cleanup_close_ int qemu_end = -1;
        const char *protocol;
        json_object *args;
        int pair[2], r;

        if (!mon)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain is not running");
        if (g->type == DOMAIN_GRAPHICS_VNC)
                protocol = "vnc";
        else if (g->type == DOMAIN_GRAPHICS_SPICE)
                protocol = "spice";
        else
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "unsupported configuration: graphics %u of domain '%s' is neither VNC nor SPICE",
                                     idx, d->def->name);

        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->fd = -1;
        o->msg = sd_bus_message_ref(msg);
        o->name = strdup(d->def->name);
        if (!o->name)
                return -ENOMEM;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot make a socket pair: %m");
        o->fd = pair[0];
        qemu_end = pair[1];

        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "fdname", json_object_new_string(GRAPHICS_FDNAME));
        /* the monitor sends a copy: ours closes on return */
        r = qemu_monitor_command_with_fd(mon, "getfd", args, qemu_end, NULL, NULL);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot pass the socket to QEMU: %s",
                                     strerror(-r));
        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "protocol", json_object_new_string(protocol));
        json_object_object_add(args, "fdname", json_object_new_string(GRAPHICS_FDNAME));
        json_object_object_add(args, "skipauth", json_object_new_boolean(skipauth));
        r = qemu_monitor_command(mon, "add_client", args, on_add_client, o);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot send add_client to QEMU: %s",
                                     strerror(-r));
        TAKE_PTR(o);
        return 1;
}
