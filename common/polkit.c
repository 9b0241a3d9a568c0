/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "polkit.h"
#include "util.h"

typedef struct Question {
        PolkitDoneFn done;
        void *userdata;
} Question;

int polkit_process_start_time(pid_t pid, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        char path[64];
        const char *p;
        unsigned long long t;
        int r;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        r = read_full_file(path, 4096, &text, NULL);
        if (r < 0)
                return r;
        /* after the command's ")" (the command may hold one): field 3 on */
        p = strrchr(text, ')');
        if (!p)
                return -EIO;
        p++;
        for (int field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EIO;
        }
        if (sscanf(p, " %llu", &t) != 1)
                return -EIO;
        *ret = t;
        return 0;
}

static int on_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Question *q = userdata;
        int authorized = 0, challenge = 0, r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                log_debug("polkit did not answer: %s: %s", e->name, e->message ?: "");
                r = sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                                    sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER)
                            ? -EHOSTUNREACH
                            : -EIO;
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                /* a challenge is a no: nobody is there to answer it */
                r = r < 0 ? r : authorized ? 1 : 0;
        }
        q->done(r, q->userdata);
        return 0;
}

static void question_free(void *p) {
        free(p);
}

static int append_subject(sd_bus_message *m, const PolkitSubject *s) {
        uint64_t start = 0;
        int r;

        if (s->bus_name)
                return sd_bus_message_append(m, "(sa{sv})", "system-bus-name", 1, "name", "s", s->bus_name);
        r = polkit_process_start_time(s->pid, &start);
        if (r < 0)
                return r; /* gone already: nothing to authorize */
        return sd_bus_message_append(m, "(sa{sv})", "unix-process", 3, "pid", "u", (uint32_t) s->pid,
                                     "start-time", "t", start, "uid", "i", (int32_t) s->uid);
}

int polkit_check_async(sd_bus *bus, const char *action, const PolkitSubject *subject, PolkitDoneFn done,
                       void *userdata, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_slot *slot;
        Question *q;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = append_subject(m, subject);
        /* no details, flags 0 (no interaction), no cancellation id */
        if (r >= 0)
                r = sd_bus_message_append(m, "sa{ss}us", action, 0, 0, "");
        if (r < 0)
                return r;
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->done = done;
        q->userdata = userdata;
        r = sd_bus_call_async(bus, &slot, m, on_answer, q, 0);
        if (r < 0) {
                free(q);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(slot, question_free);
        if (ret_slot)
                *ret_slot = slot;
        else {
                (void) sd_bus_slot_set_floating(slot, 1);
                sd_bus_slot_unref(slot);
        }
        return 0;
}
