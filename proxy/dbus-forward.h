/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libvirt-dbus's API (org.libvirt) forwarded to the daemons, generically.
 *
 * The daemons already speak libvirt-dbus's interfaces with its signatures,
 * each under its own root (/org/virtbus/qemud/domain/_<uuid>, ...). What
 * org.libvirt adds is one root per hypervisor driver (/org/libvirt/QEMU)
 * under which every kind of object lives, whoever owns it. So a call is the
 * same call on the owning daemon with the path prefix swapped, and so are
 * the object paths inside its arguments and its reply (and inside signals).
 *
 * The tables and the path functions here are pure (tests/unit/
 * test-proxy-paths.c); fwd_copy_body() copies a message's body element by
 * element with the paths rewritten. */

#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct FwdDaemon {
        const char *bus_name;   /* "org.virtbus.qemud" */
        const char *root;       /* "/org/virtbus/qemud" */
} FwdDaemon;

/* One Connect object of org.libvirt, one libvirt driver URI. */
typedef struct FwdDriver {
        const char *name;       /* "QEMU": its root is /org/libvirt/QEMU */
        const char *root;
        const FwdDaemon *domains; /* the daemon holding its domains */
} FwdDriver;

extern const FwdDaemon fwd_qemud, fwd_storaged, fwd_networkd, fwd_lxcd, fwd_secretd;

/* Every driver there is; those served are the ones whose domain daemon
 * exists (libvirt-dbus.c decides). */
extern const FwdDriver fwd_drivers[];
extern const size_t fwd_n_drivers;

/* The daemons behind a driver: its domains' daemon, storaged, networkd,
 * secretd. */
#define FWD_DAEMONS_MAX 4
size_t fwd_driver_daemons(const FwdDriver *drv, const FwdDaemon *ret[FWD_DAEMONS_MAX]);

/* The daemon holding objects of `kind` (n bytes: "domain", "storagevol")
 * under drv; NULL for kinds no daemon has yet (nodedev, secret...). */
const FwdDaemon *fwd_daemon_of_kind(const FwdDriver *drv, const char *kind, size_t n);

/* The daemon answering interface.member on the driver's root object: the
 * org.libvirt.Connect methods by what they are about (Network*, StoragePool*,
 * StorageVol* and the lists of those), our own interfaces by name, the rest
 * (domains, the host, Connect's properties) by the driver's daemon. */
const FwdDaemon *fwd_daemon_of_root_call(const FwdDriver *drv, const char *interface, const char *member);

/* Which served driver root path is at or below, NULL if none; *ret_rest is
 * what follows the root ("" or "/domain/_..."). */
const FwdDriver *fwd_driver_of_path(const FwdDriver *const *drivers, size_t n, const char *path,
                                    const char **ret_rest);

/* A path of ours (below drv's root) as the daemon knows it, and which daemon
 * that is (*ret_daemon, may be NULL). The root itself becomes `root_daemon`'s
 * root. A path that is not below drv's root, or below a kind no daemon has,
 * comes back unchanged with *ret_daemon NULL. NULL on OOM. */
char *fwd_path_to_daemon(const FwdDriver *drv, const char *path, const FwdDaemon *root_daemon,
                         const FwdDaemon **ret_daemon);

/* A daemon's path (at or below the root of one of drv's daemons) as ours;
 * any other path unchanged. NULL on OOM. */
char *fwd_path_from_daemon(const FwdDriver *drv, const char *path);

/* libvirt-dbus wraps every value of these a{sv} results (and signals) in a
 * second variant (reference/libvirt-dbus-api.md, section 3); cockpit-machines
 * unwraps twice. For Properties.GetAll, `property_interface` is its argument. */
bool fwd_wraps_variants(const char *interface, const char *member, const char *property_interface);

/* Rewrites one object path; returns a new string, or NULL on OOM. */
typedef char *(*FwdRewriteFn)(const char *path, void *userdata);

/* Appends the rest of src's body to dst, element by element, with every
 * object path ('o', also inside containers and variants) passed through
 * rewrite, and file descriptors duplicated into dst. With wrap_variants,
 * each variant that is not inside another variant gets a second variant
 * around it. Returns 0 or -errno. */
int fwd_copy_body(sd_bus_message *dst, sd_bus_message *src, FwdRewriteFn rewrite, void *userdata,
                  bool wrap_variants);

/* One introspection document out of several (the daemons' views of one
 * root): the first, with every interface, member and child node of the
 * others that it lacks added. NULL entries (a daemon that did not answer)
 * are skipped. NULL when none parses, or on OOM. */
char *fwd_introspect_merge(char *const *xmls, size_t n);

/* A text (an error's message) with every daemon path in it (the root of
 * one of drv's daemons, followed by '/' or the end of the path) written as
 * ours. NULL on OOM. */
char *fwd_text_from_daemon(const FwdDriver *drv, const char *text);
