/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asks polkit (org.freedesktop.PolicyKit1 on the system bus) whether a
 * subject may do an action: CheckAuthorization, asynchronously, without
 * user interaction (a daemon has nobody to ask for a password). sd-bus has
 * no helper for it; this is the one call we need.
 *
 * The subject is a process (unix-process: pid, its start time, uid; what
 * the proxy knows of a socket's peer from SO_PEERCRED) or a bus connection
 * (system-bus-name: polkitd asks the bus who it is, so a pid reused in the
 * meantime cannot be mistaken for the caller). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#define POLKIT_ACTION_MANAGE "org.virtbus.manage"          /* the daemons' write methods */
#define POLKIT_ACTION_LIBVIRT_MANAGE "org.libvirt.unix.manage" /* the proxy's read-write socket */

typedef struct PolkitSubject {
        const char *bus_name; /* set: system-bus-name; else unix-process */
        pid_t pid;
        uid_t uid;
} PolkitSubject;

/* done's r: 1 allowed, 0 denied (or polkit would have to ask the user),
 * -errno when polkit could not be asked (not running: -EHOSTUNREACH). */
typedef void (*PolkitDoneFn)(int r, void *userdata);

/* Sends the question on bus; done runs once from the event loop, unless
 * *ret_slot (which the caller owns) is unreferenced before. ret_slot NULL:
 * done always runs. */
int polkit_check_async(sd_bus *bus, const char *action, const PolkitSubject *subject, PolkitDoneFn done,
                       void *userdata, sd_bus_slot **ret_slot);

/* The start time of pid (field 22 of /proc/pid/stat, in clock ticks since
 * boot), as polkit identifies a process; -errno. */
int polkit_process_start_time(pid_t pid, uint64_t *ret);
