/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU's QMP events (and, after a restart, its run state) and what they do
 * to a running domain: the tables, the pure functions that read them, and
 * the code that applies their answer. */
#include <errno.h>

#include "domain-status.h"
#include "log.h"
#include "manager.h"
#include "qemu-agent-cmds.h"
#include "qemu-blockjob.h"
#include "qemu-control.h"
#include "qemu-domain.h"
#include "qemu-events.h"
#include "qemu-migrate.h"
#include "qemu-hotplug.h"
#include "qemu-monitor.h"
#include "qemu-process.h"
#include "util.h"

/* What the domain's settings decide once the event's state and signal are
 * done (resolved into a QemuEventAction by qemu_event_effect()). */
typedef enum EventThen {
        THEN_NOTHING,
        /* The guest powered off; QEMU runs with -no-shutdown, so it waits.
         * A reset and cont for a Reboot() or on_poweroff='restart', else
         * quit. "guest-reset" is only seen with -no-reboot, that is
         * on_reboot='destroy': quit. */
        THEN_POWEROFF,
        /* on_crash: preserve leaves it crashed, restart and
         * coredump-restart boot it again, the rest quit. */
        THEN_CRASH,
        /* on_poweroff alone: a Reboot() asked before a restart of qemud
         * was forgotten with it. */
        THEN_ON_POWEROFF,
        THEN_REBOOT_SIGNAL,
} EventThen;

typedef struct EventRow {
        const char *name;
        DomainState only_from;   /* acts only in this state; DOMAIN_NOSTATE: any */
        DomainState unless_in;   /* acts only outside this state; DOMAIN_NOSTATE: any */
        bool skip_our_quit;      /* left alone when it answers our own quit or kill */
        bool marks_shutdown;
        DomainState state;       /* DOMAIN_NOSTATE: the state stays */
        int reason;
        int event;               /* QEMU_EVENT_NO_SIGNAL: none */
        int detail;
        bool detail_by_guest;    /* data.guest true: guest_detail instead of detail */
        int guest_detail;
        bool save_status;
        EventThen then;
        QemuEventHandleFn handle; /* the event's own signal (qemu-control.c) */
        const char *why;
} EventRow;

/* An event QEMU sends that changes nothing here (yet), and why. */
#define IGNORED(n, w) { .name = n, .event = QEMU_EVENT_NO_SIGNAL, .why = w }

static const EventRow event_table[] = {
        /* The events that change the domain. */
        { .name = "SHUTDOWN", .skip_our_quit = true, .marks_shutdown = true,
          .state = DOMAIN_SHUTDOWN, .reason = DOMAIN_SHUTDOWN_USER,
          .event = DOMAIN_EVENT_SHUTDOWN, .detail = DOMAIN_EVENT_SHUTDOWN_HOST,
          .detail_by_guest = true, .guest_detail = DOMAIN_EVENT_SHUTDOWN_GUEST,
          .then = THEN_POWEROFF,
          .why = "the guest powered off (or was asked to): shutting down" },
        { .name = "STOP", .only_from = DOMAIN_RUNNING,
          .state = DOMAIN_PAUSED, .reason = DOMAIN_PAUSED_USER,
          .event = DOMAIN_EVENT_SUSPENDED, .detail = DOMAIN_EVENT_SUSPENDED_PAUSED,
          .save_status = true, .why = "the vCPUs stopped: paused" },
        { .name = "RESUME", .only_from = DOMAIN_PAUSED,
          .state = DOMAIN_RUNNING, .reason = DOMAIN_RUNNING_UNPAUSED,
          .event = DOMAIN_EVENT_RESUMED, .detail = DOMAIN_EVENT_RESUMED_UNPAUSED,
          .save_status = true, .why = "the vCPUs run again: running" },
        { .name = "RESET", .event = QEMU_EVENT_NO_SIGNAL, .then = THEN_REBOOT_SIGNAL,
          .why = "the guest rebooted: the Reboot signal, no state change" },
        { .name = "GUEST_PANICKED",
          .state = DOMAIN_CRASHED, .reason = DOMAIN_CRASHED_PANICKED,
          .event = DOMAIN_EVENT_CRASHED, .detail = DOMAIN_EVENT_CRASHED_PANICKED,
          .then = THEN_CRASH, .why = "the guest panicked: crashed, then on_crash" },

        /* Guest power management: the state as libvirt has it, and the
         * PMSuspend/PMSuspendDisk/PMWakeup signal whatever the state. */
        { .name = "SUSPEND", .only_from = DOMAIN_RUNNING,
          .state = DOMAIN_PMSUSPENDED, .reason = DOMAIN_PMSUSPENDED_UNKNOWN,
          .event = DOMAIN_EVENT_PMSUSPENDED, .detail = DOMAIN_EVENT_PMSUSPENDED_MEMORY,
          .save_status = true, .handle = qemu_control_on_pm,
          .why = "the guest suspended itself to RAM: pmsuspended, PMSuspend" },
        { .name = "SUSPEND_DISK", .only_from = DOMAIN_RUNNING,
          .state = DOMAIN_PMSUSPENDED, .reason = DOMAIN_PMSUSPENDED_UNKNOWN,
          .event = DOMAIN_EVENT_PMSUSPENDED, .detail = DOMAIN_EVENT_PMSUSPENDED_DISK,
          .save_status = true, .handle = qemu_control_on_pm,
          .why = "the guest suspends itself to disk: pmsuspended, PMSuspendDisk; its power-off follows" },
        { .name = "WAKEUP", .only_from = DOMAIN_PMSUSPENDED,
          .state = DOMAIN_RUNNING, .reason = DOMAIN_RUNNING_WAKEUP,
          .event = DOMAIN_EVENT_STARTED, .detail = DOMAIN_EVENT_STARTED_WAKEUP,
          .save_status = true, .handle = qemu_control_on_pm,
          .why = "the guest woke up: running, PMWakeup" },
        /* Events with a signal of their own (qemu-control.c). */
        { .name = "BLOCK_IO_ERROR", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_control_on_io_error,
          .why = "a disk failed an I/O: IOError; when QEMU stops the guest, paused (ioerror)" },
        { .name = "VSERPORT_CHANGE", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_agent_on_port_change,
          .why = "a virtio port opened or closed in the guest: its live state; AgentEvent for the agent's" },
        { .name = "RTC_CHANGE", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_control_on_rtc_change,
          .why = "the guest set its clock: RTCChange" },
        { .name = "WATCHDOG", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_control_on_watchdog,
          .why = "the guest's watchdog fired: Watchdog; its pause action pauses (watchdog)" },
        { .name = "VNC_CONNECTED", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_control_on_graphics,
          .why = "a VNC client connected: Graphics (connect)" },
        { .name = "VNC_INITIALIZED", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_control_on_graphics,
          .why = "a VNC client is authenticated: Graphics (initialize)" },
        { .name = "VNC_DISCONNECTED", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_control_on_graphics,
          .why = "a VNC client left: Graphics (disconnect)" },
        { .name = "SPICE_CONNECTED", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_control_on_graphics,
          .why = "a SPICE client connected: Graphics (connect)" },
        { .name = "SPICE_INITIALIZED", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_control_on_graphics,
          .why = "a SPICE channel is up: Graphics (initialize)" },
        { .name = "SPICE_DISCONNECTED", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_control_on_graphics,
          .why = "a SPICE client left: Graphics (disconnect)" },

        /* Events QEMU sends that we leave alone, each with the reason. */
        IGNORED("POWERDOWN", "the ACPI power button was pressed; the SHUTDOWN that may follow tells the result"),
        IGNORED("GUEST_CRASHLOADED", "a crash kernel took over; the guest keeps running"),
        { .name = "BALLOON_CHANGE", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_control_on_balloon_change,
          .why = "the guest's balloon moved: the live <currentMemory>, BalloonChange" },
        IGNORED("DEVICE_DELETED", "no state change: hot-unplug's answer (qemu-hotplug.c)"),
        IGNORED("DEVICE_UNPLUG_GUEST_ERROR", "no state change: hot-unplug refused (qemu-hotplug.c)"),
        IGNORED("ACPI_DEVICE_OST", "the guest's ACPI answer: DEVICE_DELETED or DEVICE_UNPLUG_GUEST_ERROR follow"),
        IGNORED("MEMORY_DEVICE_SIZE_CHANGE", "no memory devices yet; libvirt-dbus has no signal for it"),
        IGNORED("NIC_RX_FILTER_CHANGED", "the guest's receive filters are not mirrored"),
        IGNORED("DEVICE_TRAY_MOVED", "no state change: TrayChange (qemu-hotplug.c)"),
        IGNORED("BLOCK_IMAGE_CORRUPTED", "no I/O error signal yet"),
        { .name = "BLOCK_WRITE_THRESHOLD", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_blockjob_on_threshold,
          .why = "a disk's write threshold was passed: BlockThreshold (qemu-blockjob.c)" },
        { .name = "BLOCK_JOB_COMPLETED", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_blockjob_on_event,
          .why = "a block job ended (or failed): dismissed, pivot followed, BlockJob" },
        { .name = "BLOCK_JOB_CANCELLED", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_blockjob_on_event,
          .why = "a block job was cancelled: dismissed, BlockJob canceled" },
        { .name = "BLOCK_JOB_ERROR", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_blockjob_on_event,
          .why = "a block job met an I/O error: logged; its end comes as COMPLETED" },
        { .name = "BLOCK_JOB_READY", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_blockjob_on_event,
          .why = "a copy or active commit can pivot: BlockJob ready" },
        IGNORED("BLOCK_JOB_PENDING", "jobs run with auto-finalize: QEMU finalizes them itself"),
        IGNORED("JOB_STATUS_CHANGE", "the BLOCK_JOB_* events of the same job say what matters"),
        { .name = "MIGRATION", .event = QEMU_EVENT_NO_SIGNAL, .handle = qemu_migrate_on_event,
          .why = "a migration's status changed: its end is acted on at once (qemu-migrate.c)" },
        IGNORED("MIGRATION_PASS", "no migration yet"),
        IGNORED("DUMP_COMPLETED", "no memory dumps yet"),
        IGNORED("SPICE_MIGRATE_COMPLETED", "no migration yet"),
        IGNORED("PR_MANAGER_STATUS_CHANGED", "no persistent reservations"),
        IGNORED("MEMORY_FAILURE", "libvirt-dbus has no signal for it (libvirt's MEMORY_FAILURE event)"),
};

/* QMP's run states (query-status), asked once after qemud restarted and
 * found QEMU still running: what changed while we were away. No signal is
 * sent for them (no one was listening), except for a panic; the live state
 * file is written after every answer. */
static const EventRow status_table[] = {
        { .name = "running", .unless_in = DOMAIN_RUNNING,
          .state = DOMAIN_RUNNING, .reason = DOMAIN_RUNNING_UNPAUSED, .event = QEMU_EVENT_NO_SIGNAL,
          .why = "running" },
        { .name = "paused", .unless_in = DOMAIN_PAUSED,
          .state = DOMAIN_PAUSED, .reason = DOMAIN_PAUSED_UNKNOWN, .event = QEMU_EVENT_NO_SIGNAL,
          .why = "paused, for a reason unknown" },
        { .name = "shutdown", .marks_shutdown = true,
          .state = DOMAIN_SHUTDOWN, .reason = DOMAIN_SHUTDOWN_USER, .event = QEMU_EVENT_NO_SIGNAL,
          .then = THEN_ON_POWEROFF, .why = "the guest powered off while we were away" },
        { .name = "guest-panicked",
          .state = DOMAIN_CRASHED, .reason = DOMAIN_CRASHED_PANICKED,
          .event = DOMAIN_EVENT_CRASHED, .detail = DOMAIN_EVENT_CRASHED_PANICKED,
          .then = THEN_CRASH, .why = "the guest panicked while we were away" },

        IGNORED("prelaunch", "not seen after a start that finished"),
        IGNORED("debug", "stopped by a debugger: the state stays"),
        IGNORED("inmigrate", "no migration yet"),
        IGNORED("postmigrate", "no migration yet"),
        IGNORED("finish-migrate", "no migration yet"),
        IGNORED("colo", "no migration yet"),
        IGNORED("save-vm", "no snapshots yet"),
        IGNORED("restore-vm", "no snapshots yet"),
        IGNORED("internal-error", "the state stays; QEMU will not run the guest on"),
        { .name = "io-error", .only_from = DOMAIN_RUNNING,
          .state = DOMAIN_PAUSED, .reason = DOMAIN_PAUSED_IOERROR, .event = QEMU_EVENT_NO_SIGNAL,
          .why = "a disk error paused the guest while we were away" },
        { .name = "watchdog", .only_from = DOMAIN_RUNNING,
          .state = DOMAIN_PAUSED, .reason = DOMAIN_PAUSED_WATCHDOG, .event = QEMU_EVENT_NO_SIGNAL,
          .why = "the guest's watchdog paused it while we were away" },
        { .name = "suspended", .unless_in = DOMAIN_PMSUSPENDED,
          .state = DOMAIN_PMSUSPENDED, .reason = DOMAIN_PMSUSPENDED_UNKNOWN, .event = QEMU_EVENT_NO_SIGNAL,
          .why = "the guest suspended itself while we were away" },
};

const QemuEventEffect qemu_event_restarted = {
        .why = "the guest booted again after a reset",
        .known = true,
        .state = DOMAIN_RUNNING,
        .reason = DOMAIN_RUNNING_BOOTED,
        .event = DOMAIN_EVENT_RESUMED,
        .detail = DOMAIN_EVENT_RESUMED_UNPAUSED,
        .save_status = true,
};

static const char *const action_names[_QEMU_EVENT_ACTION_MAX] = {
        [QEMU_EVENT_ACTION_NONE] = "none",
        [QEMU_EVENT_ACTION_QUIT] = "quit",
        [QEMU_EVENT_ACTION_RESTART] = "restart",
        [QEMU_EVENT_ACTION_REBOOT_SIGNAL] = "reboot-signal",
};

const char *qemu_event_action_to_string(QemuEventAction a) {
        return a >= 0 && a < _QEMU_EVENT_ACTION_MAX ? action_names[a] : NULL;
}

const char *qemu_event_table_name(size_t i) {
        return i < ELEMENTSOF(event_table) ? event_table[i].name : NULL;
}

const char *qemu_status_table_name(size_t i) {
        return i < ELEMENTSOF(status_table) ? status_table[i].name : NULL;
}

static const EventRow *find_row(const EventRow *table, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(table[i].name, name))
                        return &table[i];
        return NULL;
}

static const char *data_string(json_object *data, const char *key) {
        json_object *v;

        if (!data || !json_object_object_get_ex(data, key, &v))
                return "";
        return json_object_get_string(v) ?: "";
}

static bool data_bool(json_object *data, const char *key) {
        json_object *v;

        return data && json_object_object_get_ex(data, key, &v) && json_object_get_boolean(v);
}

static QemuEventAction resolve_then(EventThen then, json_object *data, const QemuEventSituation *s) {
        switch (then) {
        case THEN_POWEROFF:
                if (streq(data_string(data, "reason"), "guest-reset"))
                        return QEMU_EVENT_ACTION_QUIT;
                return s->fake_reboot || s->on_poweroff == DOMAIN_ACTION_RESTART ? QEMU_EVENT_ACTION_RESTART
                                                                                 : QEMU_EVENT_ACTION_QUIT;
        case THEN_CRASH:
                if (s->on_crash == DOMAIN_ACTION_PRESERVE)
                        return QEMU_EVENT_ACTION_NONE;
                return s->on_crash == DOMAIN_ACTION_RESTART || s->on_crash == DOMAIN_ACTION_COREDUMP_RESTART
                               ? QEMU_EVENT_ACTION_RESTART
                               : QEMU_EVENT_ACTION_QUIT;
        case THEN_ON_POWEROFF:
                return s->on_poweroff == DOMAIN_ACTION_RESTART ? QEMU_EVENT_ACTION_RESTART : QEMU_EVENT_ACTION_QUIT;
        case THEN_REBOOT_SIGNAL:
                return QEMU_EVENT_ACTION_REBOOT_SIGNAL;
        case THEN_NOTHING:
        default:
                return QEMU_EVENT_ACTION_NONE;
        }
}

/* The SHUTDOWN that QEMU sends on our own quit or kill: the exit tells the rest. */
static bool is_our_quit(json_object *data, const QemuEventSituation *s) {
        const char *why = data_string(data, "reason");

        return s->destroying || streq(why, "host-qmp-quit") || streq(why, "host-signal");
}

/* The row's effect in situation s, ret set to no effect before. */
static void row_effect(const EventRow *row, json_object *data, const QemuEventSituation *s,
                       QemuEventEffect *ret) {
        if (row->only_from != DOMAIN_NOSTATE && s->state != row->only_from) {
                ret->why = "not in the state this acts on";
                return;
        }
        if (row->unless_in != DOMAIN_NOSTATE && s->state == row->unless_in) {
                ret->why = "already in that state";
                return;
        }
        if (row->skip_our_quit && is_our_quit(data, s)) {
                ret->why = "our own quit or kill";
                return;
        }
        ret->marks_shutdown = row->marks_shutdown;
        ret->state = row->state;
        ret->reason = row->reason;
        ret->event = row->event;
        ret->detail = row->detail_by_guest && data_bool(data, "guest") ? row->guest_detail : row->detail;
        ret->save_status = row->save_status;
        ret->action = resolve_then(row->then, data, s);
}

void qemu_event_effect(const char *event, json_object *data, const QemuEventSituation *s,
                       QemuEventEffect *ret) {
        const EventRow *row = find_row(event_table, ELEMENTSOF(event_table), event);

        *ret = (QemuEventEffect) {
                .why = row ? row->why : "unknown event",
                .known = row != NULL,
                .event = QEMU_EVENT_NO_SIGNAL,
        };
        if (!row)
                return;
        if (s->starting) {
                /* The start sequence owns the domain until its first "cont". */
                ret->why = "the domain is starting";
                return;
        }
        ret->handle = row->handle;
        row_effect(row, data, s, ret);
}

void qemu_status_effect(const char *status, const QemuEventSituation *s, QemuEventEffect *ret) {
        const EventRow *row = find_row(status_table, ELEMENTSOF(status_table), status);

        *ret = (QemuEventEffect) {
                .why = row ? row->why : "unknown run state",
                .known = row != NULL,
                .event = QEMU_EVENT_NO_SIGNAL,
        };
        if (row)
                row_effect(row, NULL, s, ret);
        ret->save_status = true;
}

/* ---- Applying an effect to the domain. ---- */

static void apply(Domain *d, const QemuEventEffect *e);

static void on_reset_for_restart(QemuMonitor *mon, json_object *result, const char *error_class,
                                 const char *error_desc, void *userdata) {
        Domain *d = userdata;
        QemuDomain *q = qemu_domain(d);

        if (error_class) {
                apply(d, &(const QemuEventEffect) { .event = QEMU_EVENT_NO_SIGNAL,
                                                    .action = QEMU_EVENT_ACTION_QUIT });
                return;
        }
        q->got_shutdown = false;
        q->fake_reboot = false;
        apply(d, &qemu_event_restarted);
}

static void quit(Domain *d) {
        QemuMonitor *mon = qemu_domain(d)->mon;

        if (!mon || qemu_monitor_command(mon, "quit", NULL, NULL, NULL) < 0)
                qemu_process_kill(d);
        else
                qemu_process_kill_later(d);
}

static void restart(Domain *d) {
        QemuMonitor *mon = qemu_domain(d)->mon;

        if (mon && qemu_monitor_command(mon, "system_reset", NULL, NULL, NULL) >= 0 &&
            qemu_monitor_command(mon, "cont", NULL, on_reset_for_restart, d) >= 0)
                return;
        quit(d);
}

static void apply(Domain *d, const QemuEventEffect *e) {
        if (e->marks_shutdown)
                qemu_domain(d)->got_shutdown = true;
        if (e->state != DOMAIN_NOSTATE)
                domain_set_state(d, e->state, e->reason);
        if (e->event != QEMU_EVENT_NO_SIGNAL)
                domain_emit_event(d, e->event, e->detail);
        if (e->save_status)
                (void) domain_status_save(d);

        switch (e->action) {
        case QEMU_EVENT_ACTION_QUIT:
                quit(d);
                break;
        case QEMU_EVENT_ACTION_RESTART:
                restart(d);
                break;
        case QEMU_EVENT_ACTION_REBOOT_SIGNAL:
                (void) sd_bus_emit_signal(d->manager->bus, d->path, "org.libvirt.Domain", "Reboot", NULL);
                break;
        case QEMU_EVENT_ACTION_NONE:
        default:
                break;
        }
}

static void domain_situation(const Domain *d, QemuEventSituation *ret) {
        *ret = (QemuEventSituation) {
                .state = d->state,
                .starting = d->starting,
                .destroying = d->destroying,
                .fake_reboot = qemu_domain(d)->fake_reboot,
                .on_poweroff = d->live ? d->live->on_poweroff : DOMAIN_ACTION_DEFAULT,
                .on_crash = d->live ? d->live->on_crash : DOMAIN_ACTION_DEFAULT,
        };
}

void qemu_event_dispatch(QemuMonitor *mon, const char *event, json_object *data,
                         uint64_t timestamp_usec, void *userdata) {
        Domain *d = userdata;
        QemuEventSituation s;
        QemuEventEffect e;

        qemu_hotplug_event(d, event, data);
        domain_situation(d, &s);
        qemu_event_effect(event, data, &s, &e);
        qemu_migrate_adjust_effect(d, event, &e); /* QEMU's own STOP at a migration's end */
        qemu_migrate_note_event(d, event, data, timestamp_usec);
        if (!e.known)
                log_debug("Domain %s: QMP event %s is unknown, ignored", d->def->name, event);
        else
                log_debug("Domain %s: QMP event %s: %s", d->def->name, event, e.why);
        apply(d, &e);
        if (e.handle)
                e.handle(d, event, data);
}

void qemu_event_on_status(QemuMonitor *mon, json_object *result, const char *error_class,
                          const char *error_desc, void *userdata) {
        Domain *d = userdata;
        QemuEventSituation s;
        QemuEventEffect e;
        json_object *status;
        const char *name;

        if (error_class || !json_object_object_get_ex(result, "status", &status))
                return;
        name = json_object_get_string(status) ?: "";
        domain_situation(d, &s);
        qemu_status_effect(name, &s, &e);
        log_debug("Domain %s: QEMU's run state %s: %s", d->def->name, name, e.why);
        apply(d, &e);
}
