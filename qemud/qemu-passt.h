/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <interface type='user'><backend type='passt'/>: the guest's user
 * networking through passt, which qemud runs beside QEMU.
 *
 * The guest addresses passt hands out follow slirp's rules
 * (qemu_validate_net_guest_ips()).
 * qemu_passt_socket(): RUN_DIR/ALIAS-passt.sock, where passt listens and QEMU's
 * -netdev stream connects.
 * qemu_passt_argv(): passt's command line, pure, as libvirt's: BINARY
 * --one-off --socket SOCK [--mtu N] [--interface DEV]
 * [--log-file F] [--address A [--netmask P]]... [--tcp-ports|--udp-ports
 * SPEC]... then, qemud's own, --runas UID:GID --pid PIDFILE.
 * qemu_passt_start(): before QEMU, for each such interface: passt run as
 * QEMU's user (it becomes a daemon once its socket listens), its output in
 * the guest's log (log_fd). It ends when QEMU's connection closes
 * (--one-off); qemu_passt_stop() ends each one QEMU never reached or left
 * behind (any RUN_DIR/ALIAS-passt.pid, its pid checked to be a passt's) and
 * removes its socket: at every stop, and when qemud finds the guest gone
 * after a restart.
 * For hot-plug, as libvirt 9.0 plugs such an interface:
 * qemu_passt_start_plugged() runs the passt of one interface of a running
 * guest as the start does (the same command line, socket and pid file, QEMU's
 * user, its output in QEMU's log pipe), before netdev_add connects QEMU to
 * it; qemu_passt_netdev_props() adds that netdev_add's arguments to args
 * (which has its id), pure: type stream, server false, addr unix
 * RUN_DIR/ALIAS-passt.sock (the start's -netdev stream as QMP);
 * qemu_passt_stop_alias() ends the passt of the interface aliased ALIAS and
 * removes its files, once its netdev is gone (or the plug failed). qemu_passt_stop() ends a plugged one's at the
 * guest's stop too, and one a qemud killed in the middle of a plug or an
 * unplug left without an interface naming it. */

#include <json-c/json.h>
#include <sys/types.h>

#include "domain.h"
#include "domain-conf.h"

#define QEMU_PASST_BINARY "/usr/bin/passt"

char *qemu_passt_socket(const char *run_dir, const char *alias);
int qemu_passt_argv(const DomainNetDef *net, const char *binary, const char *sock, const char *pidfile, uid_t uid,
                    gid_t gid, char ***ret);
int qemu_passt_start(Domain *d, uid_t uid, gid_t gid, int log_fd, ConfError *err);
void qemu_passt_stop(Domain *d);
int qemu_passt_start_plugged(Domain *d, const DomainNetDef *net, size_t i, ConfError *err);
int qemu_passt_netdev_props(const char *run_dir, const char *alias, json_object *args);
void qemu_passt_stop_alias(Domain *d, const char *alias);
