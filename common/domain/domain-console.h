/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The guest's console: org.virtbus.Domain1.OpenConsole(s dev_name, u flags)
 * -> h fd, virtbus's own addition beside libvirt-dbus's Domain (which has
 * no console), for the proxy's virDomainOpenConsole stream.
 *
 * The driver opens the character device (a pty's slave, a socket connected
 * to it); the core relays between it and a socket whose other end goes to
 * the caller. So one session per device, as libvirt has: a second open is
 * refused, or with FORCE takes over: the core closes the first session, and
 * its caller sees the end of its stream. A session ends too when the guest
 * closes the device (it stopped) or the caller closes its end. */

#include <systemd/sd-bus.h>

#include "domain-driver.h"

enum {
        DOMAIN_CONSOLE_FORCE = 1 << 0, /* VIR_DOMAIN_CONSOLE_FORCE: take over another session */
        DOMAIN_CONSOLE_SAFE = 1 << 1,  /* VIR_DOMAIN_CONSOLE_SAFE: only with sessions kept apart (always) */
};

struct DomainConsoleOps {
        /* Opens d's character device dev_name (NULL: its console, else its
         * first serial port; else the device whose alias is dev_name), d
         * running: *ret_fd reads what the guest writes and takes what it
         * reads (close-on-exec, nonblocking); *ret_key names the device
         * among d's (its alias), for the one session each. -errno with
         * error set. */
        int (*open)(Domain *d, const char *dev_name, int *ret_fd, char **ret_key, sd_bus_error *error);
};

/* The org.virtbus.Domain1 interface of the domain objects (domain-console-dbus.c). */
extern const sd_bus_vtable domain_console_vtable[];

/* Starts a session on the device fd (taken, whatever happens) named key
 * of d; *ret_fd: the caller's end. -EBUSY when a session on it exists and
 * force is not given. */
int domain_console_start(Domain *d, const char *key, int fd, bool force, int *ret_fd);
