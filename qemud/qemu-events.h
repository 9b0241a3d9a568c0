/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What QEMU's asynchronous QMP events do to a running domain (and, after a
 * restart of qemud, what QEMU's run state tells).
 *
 * One table in qemu-events.c lists every event QEMU may send us, by name:
 * the state (and reason) it moves the domain to, the lifecycle signal
 * (event, detail) it emits, and what happens next (quit QEMU, restart the
 * guest in place, the Reboot signal). Events we do not act on are rows too,
 * each saying why. qemu_event_effect() reads the table: a pure function of
 * the event, its data and the domain's situation, tested row by row against
 * libvirt's numbers (tests/unit/test-qemu-events.c). qemu_event_dispatch()
 * is the monitor's on_event callback: it applies that effect to the domain.
 * A second, smaller table does the same for the run states of query-status,
 * asked once when qemud reconnects to a QEMU that kept running.
 *
 * To handle a new event, add (or change) its row; only a new kind of
 * follow-up needs code: a QemuEventAction, resolved in resolve_then() and
 * carried out in apply() (qemu-events.c). */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "domain-conf.h"
#include "domain-state.h"

typedef struct Domain Domain;
typedef struct QemuMonitor QemuMonitor;

/* What to do once state and signal are done. */
typedef enum QemuEventAction {
        QEMU_EVENT_ACTION_NONE,
        QEMU_EVENT_ACTION_QUIT,          /* ask QEMU to quit (SIGTERM/SIGKILL if it will not) */
        QEMU_EVENT_ACTION_RESTART,       /* system_reset and cont: the guest boots again in place */
        QEMU_EVENT_ACTION_REBOOT_SIGNAL, /* emit org.libvirt.Domain.Reboot */
        _QEMU_EVENT_ACTION_MAX,
} QemuEventAction;

/* What the effect of an event depends on, besides the event itself. */
typedef struct QemuEventSituation {
        DomainState state;
        bool starting;       /* between exec and the first "cont": events are left alone */
        bool destroying;     /* we asked QEMU to die */
        bool fake_reboot;    /* Reboot(): the guest's power-off becomes a reset */
        DomainLifecycleAction on_poweroff;
        DomainLifecycleAction on_crash;
} QemuEventSituation;

/* No lifecycle signal. */
#define QEMU_EVENT_NO_SIGNAL (-1)

/* An event's own signal (IOError, RTCChange, Graphics...), from its data:
 * run after the row's state and lifecycle signal, whatever the state. */
typedef void (*QemuEventHandleFn)(Domain *d, const char *event, json_object *data);

typedef struct QemuEventEffect {
        const char *why;          /* the row's note; for events left alone, the reason */
        bool known;               /* the event has a row in the table */
        bool marks_shutdown;      /* QEMU said SHUTDOWN: its exit is a shutdown */
        DomainState state;        /* DOMAIN_NOSTATE: the state stays */
        int reason;
        int event;                /* QEMU_EVENT_NO_SIGNAL or DOMAIN_EVENT_* */
        int detail;
        bool save_status;         /* write the live state file */
        QemuEventAction action;
        QemuEventHandleFn handle; /* NULL: none */
} QemuEventEffect;

/* The effect of event (with data, NULL when QEMU sent none) on a domain in
 * situation s. Never fails: an event we do not know has known = false and
 * no effect. */
void qemu_event_effect(const char *event, json_object *data, const QemuEventSituation *s,
                       QemuEventEffect *ret);

/* The effect of QEMU's run state status (query-status) found on reconnecting.
 * Every answer, known or not, rewrites the live state file. */
void qemu_status_effect(const char *status, const QemuEventSituation *s, QemuEventEffect *ret);

/* The effect of a finished restart (system_reset and cont answered). */
extern const QemuEventEffect qemu_event_restarted;

/* The table, for the unit test: row i's name, NULL past the end. */
const char *qemu_event_table_name(size_t i);
const char *qemu_status_table_name(size_t i);

const char *qemu_event_action_to_string(QemuEventAction a);

/* The monitor's on_event callback (QemuMonitorCallbacks); userdata is the Domain. */
void qemu_event_dispatch(QemuMonitor *mon, const char *event, json_object *data,
                         uint64_t timestamp_usec, void *userdata);

/* The reply callback for query-status on reconnecting (QemuMonitorReplyFn);
 * userdata is the Domain. */
void qemu_event_on_status(QemuMonitor *mon, json_object *result, const char *error_class,
                          const char *error_desc, void *userdata);
