/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QMP event table (qemud/qemu-events.c) without QEMU: every row's state,
 * reason, signal and follow-up, in every situation that changes them, checked
 * against libvirt's numbers written out here (virDomainState,
 * virDomain*Reason, virDomainEventType and its details), so that a wrong
 * constant in domain-state.h fails as well as a wrong row. */
#include <string.h>

#include "qemu-events.h"
#include "unit.h"

/* libvirt's numbers. */
enum {
        VIR_RUNNING = 1, VIR_PAUSED = 3, VIR_SHUTDOWN = 4, VIR_CRASHED = 6, VIR_PMSUSPENDED = 7,
        VIR_RUNNING_BOOTED = 1, VIR_RUNNING_UNPAUSED = 5, VIR_RUNNING_WAKEUP = 8,
        VIR_PAUSED_USER = 1, VIR_PAUSED_IOERROR = 5,
        VIR_EVENT_STARTED = 2, VIR_EVENT_STARTED_WAKEUP = 3,
        VIR_EVENT_PMSUSPENDED = 7, VIR_EVENT_PMSUSPENDED_MEMORY = 0, VIR_EVENT_PMSUSPENDED_DISK = 1,
        VIR_SHUTDOWN_USER = 1,
        VIR_CRASHED_PANICKED = 1,
        VIR_EVENT_SUSPENDED = 3, VIR_EVENT_SUSPENDED_PAUSED = 0,
        VIR_EVENT_RESUMED = 4, VIR_EVENT_RESUMED_UNPAUSED = 0,
        VIR_EVENT_SHUTDOWN = 6, VIR_EVENT_SHUTDOWN_GUEST = 1, VIR_EVENT_SHUTDOWN_HOST = 2,
        VIR_EVENT_CRASHED = 8, VIR_EVENT_CRASHED_PANICKED = 0,
        NONE = -1,
};

typedef struct Case {
        const char *event;
        const char *data;            /* JSON, NULL for none */
        QemuEventSituation s;
        /* expected */
        int state, reason, signal, detail;
        bool marks_shutdown, save;
        QemuEventAction action;
} Case;

#define RUNNING_S .s = { .state = DOMAIN_RUNNING }
#define NO_EFFECT .state = 0, .reason = 0, .signal = NONE, .detail = 0, .action = QEMU_EVENT_ACTION_NONE

static const Case cases[] = {
        /* SHUTDOWN: by the guest or the host, then quit or restart. */
        { "SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}", RUNNING_S,
          VIR_SHUTDOWN, VIR_SHUTDOWN_USER, VIR_EVENT_SHUTDOWN, VIR_EVENT_SHUTDOWN_GUEST, true, false,
          QEMU_EVENT_ACTION_QUIT },
        { "SHUTDOWN", "{\"guest\": false, \"reason\": \"host-ui\"}", RUNNING_S,
          VIR_SHUTDOWN, VIR_SHUTDOWN_USER, VIR_EVENT_SHUTDOWN, VIR_EVENT_SHUTDOWN_HOST, true, false,
          QEMU_EVENT_ACTION_QUIT },
        { "SHUTDOWN", NULL, RUNNING_S,
          VIR_SHUTDOWN, VIR_SHUTDOWN_USER, VIR_EVENT_SHUTDOWN, VIR_EVENT_SHUTDOWN_HOST, true, false,
          QEMU_EVENT_ACTION_QUIT },
        { "SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}",
          .s = { .state = DOMAIN_RUNNING, .fake_reboot = true },
          VIR_SHUTDOWN, VIR_SHUTDOWN_USER, VIR_EVENT_SHUTDOWN, VIR_EVENT_SHUTDOWN_GUEST, true, false,
          QEMU_EVENT_ACTION_RESTART },
        { "SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}",
          .s = { .state = DOMAIN_RUNNING, .on_poweroff = DOMAIN_ACTION_RESTART },
          VIR_SHUTDOWN, VIR_SHUTDOWN_USER, VIR_EVENT_SHUTDOWN, VIR_EVENT_SHUTDOWN_GUEST, true, false,
          QEMU_EVENT_ACTION_RESTART },
        { "SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}",
          .s = { .state = DOMAIN_RUNNING, .on_poweroff = DOMAIN_ACTION_PRESERVE },
          VIR_SHUTDOWN, VIR_SHUTDOWN_USER, VIR_EVENT_SHUTDOWN, VIR_EVENT_SHUTDOWN_GUEST, true, false,
          QEMU_EVENT_ACTION_QUIT },
        /* -no-reboot (on_reboot='destroy'): a reset is a power-off, even under Reboot(). */
        { "SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-reset\"}",
          .s = { .state = DOMAIN_RUNNING, .fake_reboot = true, .on_poweroff = DOMAIN_ACTION_RESTART },
          VIR_SHUTDOWN, VIR_SHUTDOWN_USER, VIR_EVENT_SHUTDOWN, VIR_EVENT_SHUTDOWN_GUEST, true, false,
          QEMU_EVENT_ACTION_QUIT },
        /* Our own quit or kill, or during the start: left alone. */
        { "SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}", RUNNING_S, NO_EFFECT },
        { "SHUTDOWN", "{\"guest\": false, \"reason\": \"host-signal\"}", RUNNING_S, NO_EFFECT },
        { "SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}",
          .s = { .state = DOMAIN_RUNNING, .destroying = true }, NO_EFFECT },
        { "SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}",
          .s = { .state = DOMAIN_PAUSED, .starting = true }, NO_EFFECT },

        /* STOP and RESUME act only from running and paused. */
        { "STOP", NULL, RUNNING_S,
          VIR_PAUSED, VIR_PAUSED_USER, VIR_EVENT_SUSPENDED, VIR_EVENT_SUSPENDED_PAUSED, false, true,
          QEMU_EVENT_ACTION_NONE },
        { "STOP", NULL, .s = { .state = DOMAIN_PAUSED }, NO_EFFECT },
        { "STOP", NULL, .s = { .state = DOMAIN_RUNNING, .starting = true }, NO_EFFECT },
        { "RESUME", NULL, .s = { .state = DOMAIN_PAUSED },
          VIR_RUNNING, VIR_RUNNING_UNPAUSED, VIR_EVENT_RESUMED, VIR_EVENT_RESUMED_UNPAUSED, false, true,
          QEMU_EVENT_ACTION_NONE },
        { "RESUME", NULL, RUNNING_S, NO_EFFECT },
        { "RESUME", NULL, .s = { .state = DOMAIN_PAUSED, .starting = true }, NO_EFFECT },

        /* RESET: the Reboot signal only. */
        { "RESET", "{\"guest\": true, \"reason\": \"guest-reset\"}", RUNNING_S,
          0, 0, NONE, 0, false, false, QEMU_EVENT_ACTION_REBOOT_SIGNAL },
        { "RESET", NULL, .s = { .state = DOMAIN_RUNNING, .starting = true }, NO_EFFECT },

        /* GUEST_PANICKED: crashed, then on_crash. */
        { "GUEST_PANICKED", "{\"action\": \"pause\"}", RUNNING_S,
          VIR_CRASHED, VIR_CRASHED_PANICKED, VIR_EVENT_CRASHED, VIR_EVENT_CRASHED_PANICKED, false, false,
          QEMU_EVENT_ACTION_QUIT },
        { "GUEST_PANICKED", NULL, .s = { .state = DOMAIN_RUNNING, .on_crash = DOMAIN_ACTION_DESTROY },
          VIR_CRASHED, VIR_CRASHED_PANICKED, VIR_EVENT_CRASHED, VIR_EVENT_CRASHED_PANICKED, false, false,
          QEMU_EVENT_ACTION_QUIT },
        { "GUEST_PANICKED", NULL, .s = { .state = DOMAIN_RUNNING, .on_crash = DOMAIN_ACTION_COREDUMP_DESTROY },
          VIR_CRASHED, VIR_CRASHED_PANICKED, VIR_EVENT_CRASHED, VIR_EVENT_CRASHED_PANICKED, false, false,
          QEMU_EVENT_ACTION_QUIT },
        { "GUEST_PANICKED", NULL, .s = { .state = DOMAIN_RUNNING, .on_crash = DOMAIN_ACTION_PRESERVE },
          VIR_CRASHED, VIR_CRASHED_PANICKED, VIR_EVENT_CRASHED, VIR_EVENT_CRASHED_PANICKED, false, false,
          QEMU_EVENT_ACTION_NONE },
        { "GUEST_PANICKED", NULL, .s = { .state = DOMAIN_RUNNING, .on_crash = DOMAIN_ACTION_RESTART },
          VIR_CRASHED, VIR_CRASHED_PANICKED, VIR_EVENT_CRASHED, VIR_EVENT_CRASHED_PANICKED, false, false,
          QEMU_EVENT_ACTION_RESTART },
        { "GUEST_PANICKED", NULL, .s = { .state = DOMAIN_PAUSED, .on_crash = DOMAIN_ACTION_COREDUMP_RESTART },
          VIR_CRASHED, VIR_CRASHED_PANICKED, VIR_EVENT_CRASHED, VIR_EVENT_CRASHED_PANICKED, false, false,
          QEMU_EVENT_ACTION_RESTART },
        { "GUEST_PANICKED", NULL, .s = { .state = DOMAIN_RUNNING, .starting = true }, NO_EFFECT },

        /* Guest power management: pmsuspended from running, running again on wake-up. */
        { "SUSPEND", NULL, RUNNING_S,
          VIR_PMSUSPENDED, 0, VIR_EVENT_PMSUSPENDED, VIR_EVENT_PMSUSPENDED_MEMORY, false, true,
          QEMU_EVENT_ACTION_NONE },
        { "SUSPEND", NULL, .s = { .state = DOMAIN_PAUSED }, NO_EFFECT },
        { "SUSPEND_DISK", NULL, RUNNING_S,
          VIR_PMSUSPENDED, 0, VIR_EVENT_PMSUSPENDED, VIR_EVENT_PMSUSPENDED_DISK, false, true,
          QEMU_EVENT_ACTION_NONE },
        { "WAKEUP", NULL, .s = { .state = DOMAIN_PMSUSPENDED },
          VIR_RUNNING, VIR_RUNNING_WAKEUP, VIR_EVENT_STARTED, VIR_EVENT_STARTED_WAKEUP, false, true,
          QEMU_EVENT_ACTION_NONE },
        { "WAKEUP", NULL, RUNNING_S, NO_EFFECT },
        /* The events with a signal of their own change no state by the row. */
        { "BLOCK_IO_ERROR", "{\"device\": \"\", \"action\": \"stop\", \"nospace\": true}", RUNNING_S, NO_EFFECT },
        { "RTC_CHANGE", "{\"offset\": 3600}", RUNNING_S, NO_EFFECT },
        { "VSERPORT_CHANGE", "{\"id\": \"channel0\", \"open\": true}", RUNNING_S, NO_EFFECT },
        { "VNC_CONNECTED", NULL, RUNNING_S, NO_EFFECT },
};

/* The events whose rows act; every other row must be one left alone. */
static const char *const acting[] = { "SHUTDOWN", "STOP", "RESUME", "RESET", "GUEST_PANICKED",
                                      "SUSPEND", "SUSPEND_DISK", "WAKEUP" };

static bool is_acting(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(acting); i++)
                if (streq(acting[i], name))
                        return true;
        return false;
}

static bool no_effect(const QemuEventEffect *e) {
        return !e->marks_shutdown && e->state == DOMAIN_NOSTATE && e->event == QEMU_EVENT_NO_SIGNAL &&
               !e->save_status && e->action == QEMU_EVENT_ACTION_NONE;
}

static void test_cases(void) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const Case *c = &cases[i];
                json_object *data = c->data ? json_tokener_parse(c->data) : NULL;
                QemuEventEffect e;

                CHECK(!c->data || data);
                qemu_event_effect(c->event, data, &c->s, &e);
                if ((int) e.state != c->state || e.reason != c->reason || e.event != c->signal ||
                    (c->signal != NONE && e.detail != c->detail) || e.marks_shutdown != c->marks_shutdown ||
                    e.save_status != c->save || e.action != c->action || !e.known || !e.why || !*e.why) {
                        fprintf(stderr, "  case %zu (%s %s): state %d/%d signal %d/%d shutdown %d save %d %s\n", i,
                                c->event, c->data ?: "", e.state, e.reason, e.event, e.detail, e.marks_shutdown,
                                e.save_status, qemu_event_action_to_string(e.action));
                        CHECK(!"effect as expected");
                }
                json_object_put(data);
        }
}

static void test_every_row(void) {
        bool seen[ELEMENTSOF(acting)] = {};
        const char *name;

        for (size_t i = 0; (name = qemu_event_table_name(i)); i++) {
                /* Named as QMP names events, and only once. */
                CHECK(*name);
                CHECK(strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == strlen(name));
                for (size_t j = 0; j < i; j++)
                        CHECK(!streq(qemu_event_table_name(j), name));
                for (size_t j = 0; j < ELEMENTSOF(acting); j++)
                        if (streq(acting[j], name))
                                seen[j] = true;

                /* A row left alone does nothing in any state, with a reason. */
                if (!is_acting(name))
                        for (DomainState st = DOMAIN_RUNNING; st <= DOMAIN_PMSUSPENDED; st++) {
                                QemuEventSituation s = { .state = st, .on_crash = DOMAIN_ACTION_RESTART };
                                QemuEventEffect e;

                                qemu_event_effect(name, NULL, &s, &e);
                                CHECK(e.known);
                                CHECK(e.why && strlen(e.why) > 10);
                                if (!no_effect(&e))
                                        fprintf(stderr, "  ignored row %s acts\n", name);
                                CHECK(no_effect(&e));
                        }
        }
        for (size_t j = 0; j < ELEMENTSOF(acting); j++) {
                if (!seen[j])
                        fprintf(stderr, "  %s has no row\n", acting[j]);
                CHECK(seen[j]);
        }
        /* The ones the guest sends most often are listed, not unknown. */
        CHECK(!is_acting("POWERDOWN"));
        for (size_t i = 0;; i++) {
                name = qemu_event_table_name(i);
                CHECK(name);
                if (!name || streq(name, "POWERDOWN"))
                        break;
        }
}

static void test_unknown(void) {
        QemuEventSituation s = { .state = DOMAIN_RUNNING };
        json_object *data = json_tokener_parse("{\"guest\": true}");
        QemuEventEffect e;

        qemu_event_effect("NOT_AN_EVENT", data, &s, &e);
        CHECK(!e.known);
        CHECK(no_effect(&e));
        /* Names are matched exactly. */
        qemu_event_effect("shutdown", data, &s, &e);
        CHECK(!e.known);
        CHECK(no_effect(&e));
        qemu_event_effect("", NULL, &s, &e);
        CHECK(!e.known);
        json_object_put(data);
}

static void test_odd_data(void) {
        QemuEventSituation s = { .state = DOMAIN_RUNNING };
        QemuEventEffect e;
        json_object *data;

        /* A reason that is JSON null or not a string, a guest flag that is not a boolean. */
        data = json_tokener_parse("{\"guest\": null, \"reason\": null}");
        qemu_event_effect("SHUTDOWN", data, &s, &e);
        CHECK_INTEQ(e.state, VIR_SHUTDOWN);
        CHECK_INTEQ(e.detail, VIR_EVENT_SHUTDOWN_HOST);
        CHECK_INTEQ(e.action, QEMU_EVENT_ACTION_QUIT);
        json_object_put(data);

        data = json_tokener_parse("[1, 2]");
        qemu_event_effect("SHUTDOWN", data, &s, &e);
        CHECK_INTEQ(e.state, VIR_SHUTDOWN);
        json_object_put(data);
}

static void test_restarted(void) {
        CHECK_INTEQ(qemu_event_restarted.state, VIR_RUNNING);
        CHECK_INTEQ(qemu_event_restarted.reason, VIR_RUNNING_BOOTED);
        CHECK_INTEQ(qemu_event_restarted.event, VIR_EVENT_RESUMED);
        CHECK_INTEQ(qemu_event_restarted.detail, VIR_EVENT_RESUMED_UNPAUSED);
        CHECK(qemu_event_restarted.save_status);
        CHECK_INTEQ(qemu_event_restarted.action, QEMU_EVENT_ACTION_NONE);
        CHECK(!qemu_event_restarted.marks_shutdown);
}

typedef struct StatusCase {
        const char *status;
        QemuEventSituation s;
        int state, reason, signal, detail;
        bool marks_shutdown;
        QemuEventAction action;
} StatusCase;

/* query-status after a restart of qemud: no signal but for a panic, the state
 * file always rewritten. */
static const StatusCase status_cases[] = {
        { "running", .s = { .state = DOMAIN_PAUSED }, VIR_RUNNING, VIR_RUNNING_UNPAUSED, NONE, 0, false,
          QEMU_EVENT_ACTION_NONE },
        { "running", RUNNING_S, 0, 0, NONE, 0, false, QEMU_EVENT_ACTION_NONE },
        { "paused", RUNNING_S, VIR_PAUSED, 0 /* unknown */, NONE, 0, false, QEMU_EVENT_ACTION_NONE },
        { "paused", .s = { .state = DOMAIN_PAUSED }, 0, 0, NONE, 0, false, QEMU_EVENT_ACTION_NONE },
        { "shutdown", RUNNING_S, VIR_SHUTDOWN, VIR_SHUTDOWN_USER, NONE, 0, true, QEMU_EVENT_ACTION_QUIT },
        { "shutdown", .s = { .state = DOMAIN_RUNNING, .on_poweroff = DOMAIN_ACTION_RESTART },
          VIR_SHUTDOWN, VIR_SHUTDOWN_USER, NONE, 0, true, QEMU_EVENT_ACTION_RESTART },
        /* A Reboot() is not remembered across a restart: on_poweroff alone decides. */
        { "shutdown", .s = { .state = DOMAIN_RUNNING, .fake_reboot = true },
          VIR_SHUTDOWN, VIR_SHUTDOWN_USER, NONE, 0, true, QEMU_EVENT_ACTION_QUIT },
        { "guest-panicked", RUNNING_S, VIR_CRASHED, VIR_CRASHED_PANICKED, VIR_EVENT_CRASHED,
          VIR_EVENT_CRASHED_PANICKED, false, QEMU_EVENT_ACTION_QUIT },
        { "guest-panicked", .s = { .state = DOMAIN_PAUSED, .on_crash = DOMAIN_ACTION_PRESERVE },
          VIR_CRASHED, VIR_CRASHED_PANICKED, VIR_EVENT_CRASHED, VIR_EVENT_CRASHED_PANICKED, false,
          QEMU_EVENT_ACTION_NONE },
        { "inmigrate", RUNNING_S, 0, 0, NONE, 0, false, QEMU_EVENT_ACTION_NONE },
        { "io-error", RUNNING_S, VIR_PAUSED, VIR_PAUSED_IOERROR, NONE, 0, false, QEMU_EVENT_ACTION_NONE },
        { "io-error", .s = { .state = DOMAIN_PAUSED }, 0, 0, NONE, 0, false, QEMU_EVENT_ACTION_NONE },
        { "suspended", RUNNING_S, VIR_PMSUSPENDED, 0, NONE, 0, false, QEMU_EVENT_ACTION_NONE },
        { "no-such-state", RUNNING_S, 0, 0, NONE, 0, false, QEMU_EVENT_ACTION_NONE },
};

static void test_status(void) {
        const char *name;

        for (size_t i = 0; i < ELEMENTSOF(status_cases); i++) {
                const StatusCase *c = &status_cases[i];
                QemuEventEffect e;

                qemu_status_effect(c->status, &c->s, &e);
                if ((int) e.state != c->state || e.reason != c->reason || e.event != c->signal ||
                    (c->signal != NONE && e.detail != c->detail) || e.marks_shutdown != c->marks_shutdown ||
                    !e.save_status || e.action != c->action || !e.why || !*e.why) {
                        fprintf(stderr, "  status case %zu (%s): state %d/%d signal %d/%d shutdown %d save %d %s\n",
                                i, c->status, e.state, e.reason, e.event, e.detail, e.marks_shutdown,
                                e.save_status, qemu_event_action_to_string(e.action));
                        CHECK(!"effect as expected");
                }
                CHECK(e.known == !streq(c->status, "no-such-state"));
        }
        /* Named as QMP names run states, once each; none is an event name. */
        for (size_t i = 0; (name = qemu_status_table_name(i)); i++) {
                CHECK(strspn(name, "abcdefghijklmnopqrstuvwxyz-") == strlen(name));
                for (size_t j = 0; j < i; j++)
                        CHECK(!streq(qemu_status_table_name(j), name));
        }
        CHECK(qemu_status_table_name(3));
}

static void test_action_names(void) {
        for (QemuEventAction a = 0; a < _QEMU_EVENT_ACTION_MAX; a++)
                CHECK(qemu_event_action_to_string(a));
        CHECK(!qemu_event_action_to_string(_QEMU_EVENT_ACTION_MAX));
        CHECK(!qemu_event_action_to_string(-1));
}

UNIT_TESTS(test_cases, test_every_row, test_unknown, test_odd_data, test_restarted, test_status,
           test_action_names)
