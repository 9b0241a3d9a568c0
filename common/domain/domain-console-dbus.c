/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.virtbus.Domain1.OpenConsole: the bus surface of the console
 * (domain-console.h). No job: a session runs beside anything else. */
#include <errno.h>
#include <unistd.h>

#include "bus-util.h"
#include "domain-console.h"
#include "domain-dbus.h"
#include "domain-manager.h"
#include "error.h"
#include "util.h"

static int method_open_console(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const DomainConsoleOps *ops = d->manager->driver->console;
        _cleanup_free_ char *key = NULL;
        const char *dev_name;
        uint32_t flags;
        int fd = -1, theirs = -1, r;

        r = sd_bus_message_read(msg, "s", &dev_name);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, DOMAIN_CONSOLE_FORCE | DOMAIN_CONSOLE_SAFE, &flags, error);
        if (r < 0)
                return r;
        if (!ops || !ops->open)
                return domain_not_supported(d, "OpenConsole", error);
        if (!domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain is not running");
        r = ops->open(d, *dev_name ? dev_name : NULL, &fd, &key, error);
        if (r < 0)
                return r;
        r = domain_console_start(d, key, fd, flags & DOMAIN_CONSOLE_FORCE, &theirs);
        if (r == -EBUSY)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                     "Active console session exists for this domain");
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot open the console of '%s': %s",
                                     d->def->name, strerror(-r));
        r = sd_bus_reply_method_return(msg, "h", theirs); /* the reply holds its own copy */
        close(theirs);
        return r;
}

/* Not in the daemons' open list: root's, or a user's polkit allows (a console is a shell). */
const sd_bus_vtable domain_console_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("OpenConsole", "su", SD_BUS_PARAM(dev_name) SD_BUS_PARAM(flags), "h",
                                 SD_BUS_PARAM(fd), method_open_console, 0),
        SD_BUS_VTABLE_END,
};
