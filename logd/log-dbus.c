/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.virtbus.Log1 on /org/virtbus/logd: the bus surface of log-file.c. */
#include "error.h"
#include "log-file.h"
#include "log.h"
#include "manager.h"

static int method_open(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *driver, *name;
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "ssu", &driver, &name, &flags);
        if (r < 0)
                return r;
        r = log_open(m->logs, driver, name, flags, &fd, &path, error);
        if (r < 0)
                return r;
        /* sd-bus sends a dup; ours closes on return, so the reader sees EOF
         * once the guest's copies are gone (and at once when the dup fails). */
        r = sd_bus_reply_method_return(msg, "hs", fd, path);
        if (r == -EMFILE || r == -ENFILE) {
                char text[ERRNO_TEXT_MAX];
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot pass the pipe into the log of %s/%s: %s",
                                     driver, name, errno_text(r, LOG_FD_HOLDERS, text));
        }
        return r;
}

static int method_append(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *driver, *name, *line;
        int r;

        r = sd_bus_message_read(msg, "sss", &driver, &name, &line);
        if (r < 0)
                return r;
        r = log_append(m->logs, driver, name, line, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_tail(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        const char *driver, *name;
        _cleanup_free_ void *data = NULL;
        uint64_t max;
        size_t len;
        int r;

        r = sd_bus_message_read(msg, "sst", &driver, &name, &max);
        if (r < 0)
                return r;
        r = log_tail(m->logs, driver, name, max, &data, &len, error);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(reply, 'y', data, len);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_reexec(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r = reexec_schedule(m->reexec);

        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        if (streq(property, "LogDirectory"))
                return sd_bus_message_append(reply, "s", m->logs->logdir);
        if (streq(property, "MaxSize"))
                return sd_bus_message_append(reply, "t", m->logs->max_size);
        if (streq(property, "MaxBackups"))
                return sd_bus_message_append(reply, "u", m->logs->max_backups);
        if (streq(property, "OpenLogs"))
                return sd_bus_message_append(reply, "u", m->logs->n_files);
        return sd_bus_message_append(reply, "u", m->logs->n_streams);
}

/* Every method is root's, whatever the bus policy says (common/bus-access.c
 * checks, see logd's entry in common/bus-policy.c): Open and Append write a
 * guest's log, ReExec restarts the daemon, and Tail reads a log file that is
 * root's alone (0600). Only the properties stay open to all. */
static const sd_bus_vtable log_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("LogDirectory", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MaxSize", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MaxBackups", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("OpenLogs", "u", property_get, 0, 0),
        SD_BUS_PROPERTY("OpenPipes", "u", property_get, 0, 0),
        SD_BUS_METHOD_WITH_NAMES("Open", "ssu", SD_BUS_PARAM(driver) SD_BUS_PARAM(name) SD_BUS_PARAM(flags),
                                 "hs", SD_BUS_PARAM(fd) SD_BUS_PARAM(path), method_open, 0),
        SD_BUS_METHOD_WITH_NAMES("Append", "sss", SD_BUS_PARAM(driver) SD_BUS_PARAM(name) SD_BUS_PARAM(line),
                                 "", , method_append, 0),
        SD_BUS_METHOD_WITH_NAMES("Tail", "sst", SD_BUS_PARAM(driver) SD_BUS_PARAM(name) SD_BUS_PARAM(max_bytes),
                                 "ay", SD_BUS_PARAM(data), method_tail, 0),
        SD_BUS_METHOD("ReExec", "", "", method_reexec, 0),
        SD_BUS_VTABLE_END,
};

int log_dbus_register(Manager *m) {
        int r = sd_bus_add_object_vtable(m->bus, NULL, LOGD_OBJECT_PATH, LOGD_INTERFACE, log_vtable, m);

        if (r < 0)
                return log_error_errno(r, "Cannot register %s: %m", LOGD_OBJECT_PATH);
        return 0;
}
