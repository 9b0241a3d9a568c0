/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Hot-plug of chardevs: QMP's chardev-add arguments (ChardevBackend as
 * data) built from the same DomainChrDef the command line's -chardev is
 * built from (qemu-command-chr.c), with the same ids: "char" + alias for
 * the chardev, "objchar" + alias + "_tls0" for the tls-creds-x509 object of
 * a tcp chardev speaking TLS (added before the chardev, removed after it,
 * as libvirt's qemuDomainAddChardevTLSObjects). Used for serials,
 * consoles and channels, an rng's egd backend and a guestfwd channel. */

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "domain-conf.h"
#include "qemu-chardev-tls.h"
#include "qemu-device.h"
#include "qemu-monitor.h"

typedef struct Domain Domain;

/* Pure: chardev-add's {"id", "backend"} for chr under "char" + alias in
 * def (which says whether a SPICE or D-Bus display is there). tls_dir: the
 * credentials' directory when chr speaks TLS (its backend then names the
 * object), else NULL. -EOPNOTSUPP or -EINVAL with err set, -ENOMEM. */
int qemu_hotplug_chr_args(const DomainDef *def, const DomainChrDef *chr, const char *alias, bool tls,
                          json_object **ret, ConfError *err);

/* Pure: object-add's arguments of chr's tls-creds-x509 object, as the
 * command line has it (qemu-command-chr-opts.c): QEMU the server of a
 * listening socket verifying clients as t says, else the client. */
int qemu_hotplug_chr_tls_args(const DomainChrDef *chr, const char *alias, const QemuChardevTls *t,
                              json_object **ret);

/* The commands that plug chr's chardev into d's QEMU under "char" + alias
 * (its TLS object first when it speaks TLS, checked as at start), appended
 * to cmds, and those that take them back (chardev-remove, then the object)
 * appended to undo. -errno with error set. */
int hotplug_chr_plug(Domain *d, const DomainDef *def, const DomainChrDef *chr, const char *alias, json_object *cmds,
                     json_object *undo, sd_bus_error *error);

/* What goes once the device of chr is gone: chardev-remove, then its TLS
 * object's object-del when it may have one (QEMU refusing an object it
 * does not have harms nothing). -ENOMEM. */
int hotplug_chr_unplug(const DomainChrDef *chr, const char *alias, json_object *backends);

/* A guestfwd <channel>: no device, a user network of its own whose
 * guestfwd rule hands the guest's connections to the chardev (as the start
 * builds it, as libvirt's qemuDomainAttachChrDevice plugs it): chardev-add,
 * then netdev_add {"type": "user", "guestfwd": [{"str"}], "id": ALIAS};
 * undone netdev first. -errno with error set. */
/* Pure: netdev_add's arguments of the guestfwd channel chr (its alias set). */
int qemu_hotplug_guestfwd_args(const DomainChrDef *chr, json_object **ret);
bool hotplug_chr_is_guestfwd(const DomainDef *def, QemuDeviceFamily family, size_t index);
int hotplug_chr_guestfwd_plug(Domain *d, const DomainDef *def, const DomainChrDef *chr, json_object *cmds,
                              json_object *undo, sd_bus_error *error);
/* Its detach: netdev_del instead of device_del (no DEVICE_DELETED comes);
 * once QEMU answers, the removal ends (userdata: the Unplug). */
void hotplug_chr_netdev_deleted(QemuMonitor *mon, json_object *result, const char *error_class,
                                const char *error_desc, void *userdata);
