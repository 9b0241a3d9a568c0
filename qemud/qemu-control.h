/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU's side of the guest's other controls (domain-control.h): send-key,
 * inject-nmi, system_wakeup, query-block's I/O status, memsave/pmemsave,
 * and the signals of QEMU's events behind them (BLOCK_IO_ERROR, RTC_CHANGE,
 * WATCHDOG, the VNC and SPICE client events, SUSPEND, SUSPEND_DISK, WAKEUP), which the rows
 * of qemu-events.c name. */

#include <json-c/json.h>

#include "domain-control.h"

extern const DomainControlOps qemu_control_ops;

/* Event handlers (QemuEventHandleFn of qemu-events.h): each emits the
 * event's own signal from its data, and for an I/O error or a watchdog
 * that paused the guest, the state and lifecycle signal libvirt gives. */
void qemu_control_on_io_error(Domain *d, const char *event, json_object *data);
void qemu_control_on_rtc_change(Domain *d, const char *event, json_object *data);
void qemu_control_on_balloon_change(Domain *d, const char *event, json_object *data);
void qemu_control_on_watchdog(Domain *d, const char *event, json_object *data);
void qemu_control_on_graphics(Domain *d, const char *event, json_object *data);
void qemu_control_on_pm(Domain *d, const char *event, json_object *data);

/* Pure mappings, for the unit test: QEMU's words to libvirt's numbers
 * (-1 for a word QEMU does not have). */
int qemu_control_io_error_action(const char *action);   /* "stop", "report", "ignore" */
int qemu_control_watchdog_action(const char *action);   /* "reset", "pause", ... */
int qemu_control_graphics_phase(const char *event);     /* "VNC_CONNECTED", ... */
int qemu_control_graphics_family(const char *family);   /* "ipv4", "ipv6", "unix" */
/* "virtio-disk0" from a node name "virtio-disk0-fmt" (-file, -throttle); NULL otherwise */
char *qemu_control_alias_of_node(const char *node_name);
/* The same for an external snapshot's overlay, "<alias>-s<hex tag>-fmt"
 * (qemu-snapshot.c): the alias of the disk it was put on. */
char *qemu_control_alias_of_overlay(const char *node_name);
