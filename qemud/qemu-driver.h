/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The QEMU driver of the shared domain core (domain-driver.h): its table of
 * operations, and what it keeps beside the manager (m->priv): the QEMU
 * capabilities, probed once and cached. */

#include <stdbool.h>

#include "domain-manager.h"
#include "domain-status.h"
#include "qemu-caps.h"

#define QEMUD_BUS_NAME "org.virtbus.qemud"
#define QEMUD_ROOT "/org/virtbus/qemud"
#define QEMUD_DEFAULT_EMULATOR "/usr/bin/qemu-system-x86_64"

typedef struct CapsWaiter CapsWaiter;

typedef struct QemuDriver {
        QemuCaps *caps;   /* of QEMUD_DEFAULT_EMULATOR (or $VIRTBUS_QEMU), once known */
        bool caps_probing;
        CapsWaiter *caps_waiters;
        const char *emulator;
        char *cachedir;   /* <statedir>/qemu/capabilities */
        sd_bus_slot *storaged_watch; /* qemu-chains.c */
} QemuDriver;

extern const DomainDriver qemu_driver;

static inline QemuDriver *qemu_driver_data(const Manager *m) {
        return m->priv;
}

/* Calls done(userdata) with the capabilities once known (maybe at once). */
typedef void (*qemu_caps_fn)(Manager *m, int r, void *userdata);
int qemu_driver_with_caps(Manager *m, qemu_caps_fn done, void *userdata);

/* QEMU's part of the live state (qemu-status.c). */
int qemu_status_format(Domain *d, char **ret);
int qemu_status_parse(Domain *d, xmlNodePtr root);
int qemu_status_rollback(Domain *d, const DomainStatus *s);
