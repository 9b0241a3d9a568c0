/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd-standin: the part of systemd's manager API that dbus-broker-launch
 * calls to D-Bus activate a service, for a private bus run without systemd
 * (scripts/dbus-broker-run).
 *
 *     systemd-standin ADDRESS SERVICEDIR...
 *
 * dbus-broker leaves activation to its launcher, and the launcher starts every
 * activatable service as a systemd unit on the bus it runs: StartUnit of the
 * service file's SystemdService=, or StartTransientUnit with its Exec= as
 * ExecStart. It then follows the job (the JobRemoved signal) and the unit
 * (PropertiesChanged of ActiveState to "failed"); success is the bus name
 * being taken. This program owns org.freedesktop.systemd1 on that bus and does
 * just that: it runs the unit's command, answers with a job that is done at
 * once, and reports a command that exits before its name is taken (or with a
 * failure status) as a failed unit, so the waiting callers get an error
 * instead of a timeout. Units that are still running are not started twice.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"

typedef struct Unit {
        char *name;             /* systemd's unit name */
        char **argv;
        pid_t pid;
        sd_event_source *child;
        struct Unit *next;
} Unit;

static sd_bus *bus;
static Unit *units;
static char **service_dirs;
static uint32_t last_job;

static void strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

/* Exec= of a service file, split at blanks: what virtbus's files hold. */
static char **split_exec(const char *line) {
        size_t n = 0;
        char **v = calloc(strlen(line) / 2 + 2, sizeof(char *));
        char *copy = strdup(line), *save = NULL;

        if (!v || !copy) {
                free(v);
                free(copy);
                return NULL;
        }
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                v[n++] = strdup(w);
        free(copy);
        return v;
}

static Unit *unit_find(const char *name) {
        for (Unit *u = units; u; u = u->next)
                if (strcmp(u->name, name) == 0)
                        return u;
        return NULL;
}

static Unit *unit_get(const char *name) {
        Unit *u = unit_find(name);

        if (u)
                return u;
        u = calloc(1, sizeof(*u));
        if (!u || !(u->name = strdup(name))) {
                free(u);
                return NULL;
        }
        u->next = units;
        units = u;
        return u;
}

/* The command of the service file whose SystemdService= is `unit`: the files
 * are read again each time, as tests add services while the bus runs. */
static char **exec_of_unit(const char *unit) {
        for (size_t d = 0; service_dirs[d]; d++) {
                DIR *dir = opendir(service_dirs[d]);
                struct dirent *de;
                char **found = NULL;

                if (!dir)
                        continue;
                while (!found && (de = readdir(dir))) {
                        char path[PATH_MAX], line[4096], exec[4096] = "";
                        bool match = false;
                        FILE *f;

                        if (!strstr(de->d_name, ".service"))
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", service_dirs[d], de->d_name);
                        f = fopen(path, "re");
                        if (!f)
                                continue;
                        while (fgets(line, sizeof(line), f)) {
                                line[strcspn(line, "\n")] = 0;
                                if (strncmp(line, "Exec=", 5) == 0)
                                        snprintf(exec, sizeof(exec), "%s", line + 5);
                                else if (strncmp(line, "SystemdService=", 15) == 0)
                                        match = strcmp(line + 15, unit) == 0;
                        }
                        fclose(f);
                        if (match && *exec)
                                found = split_exec(exec);
                }
                closedir(dir);
                if (found)
                        return found;
        }
        return NULL;
}

static char *unit_path(const char *unit) {
        char *path = NULL;

        (void) sd_bus_path_encode(SYSTEMD_PATH "/unit", unit, &path);
        return path;
}

static void unit_failed(Unit *u) {
        char *path = unit_path(u->name);
        sd_bus_message *m = NULL;

        if (!path)
                return;
        if (sd_bus_message_new_signal(bus, &m, path, "org.freedesktop.DBus.Properties", "PropertiesChanged") >= 0 &&
            sd_bus_message_append(m, "sa{sv}as", "org.freedesktop.systemd1.Unit", 1, "ActiveState", "s", "failed", 0) >= 0)
                (void) sd_bus_send(bus, m, NULL);
        sd_bus_message_unref(m);
        free(path);
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Unit *u = userdata;

        if (si->si_code != CLD_EXITED || si->si_status != 0) {
                fprintf(stderr, "systemd-standin: %s (%s) ended with %s %d\n", u->name, u->argv[0],
                        si->si_code == CLD_EXITED ? "status" : "signal", si->si_status);
                unit_failed(u);
        }
        u->pid = 0;
        u->child = sd_event_source_unref(u->child);
        return 0;
}

static int unit_run(Unit *u) {
        pid_t pid;

        if (u->pid > 0)
                return 0;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                sigset_t none;

                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                /* as dbus-daemon does for the services it starts itself */
                setenv("DBUS_STARTER_BUS_TYPE", "system", 1);
                setenv("DBUS_STARTER_ADDRESS", getenv("DBUS_SYSTEM_BUS_ADDRESS") ?: "", 1);
                execv(u->argv[0], u->argv);
                fprintf(stderr, "systemd-standin: cannot run %s: %m\n", u->argv[0]);
                _exit(127);
        }
        u->pid = pid;
        return sd_event_add_child(sd_bus_get_event(bus), &u->child, pid, WEXITED, on_child_exit, u);
}

/* The job is done as soon as it is queued: the reply first, then its end. */
static int reply_job(sd_bus_message *call, const char *unit) {
        char job[64];
        int r;

        snprintf(job, sizeof(job), SYSTEMD_PATH "/job/%u", ++last_job);
        r = sd_bus_reply_method_return(call, "o", job);
        if (r < 0)
                return r;
        return sd_bus_emit_signal(bus, SYSTEMD_PATH, MANAGER_IFACE, "JobRemoved", "uoss", last_job, job, unit, "done");
}

static int start(sd_bus_message *call, const char *name, char **argv, sd_bus_error *error) {
        Unit *u = unit_get(name);
        int r;

        if (!u) {
                strv_free(argv);
                return -ENOMEM;
        }
        if (argv) {
                strv_free(u->argv);
                u->argv = argv;
        }
        if (!u->argv || !u->argv[0])
                return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.", name);
        r = unit_run(u);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "cannot start %s: %m", name);
        return reply_job(call, name);
}

static int method_start_unit(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        const char *name, *mode;
        int r = sd_bus_message_read(call, "ss", &name, &mode);

        if (r < 0)
                return r;
        return start(call, name, exec_of_unit(name), error);
}

/* ExecStart's first command, from the properties a(sv). */
static int read_exec_start(sd_bus_message *call, char ***argv) {
        int r = sd_bus_message_enter_container(call, 'a', "(sv)");

        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(call, 'r', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(call, "s", &key);
                if (r < 0)
                        return r;
                if (strcmp(key, "ExecStart") != 0 || *argv) {
                        r = sd_bus_message_skip(call, "v");
                } else {
                        const char *path;
                        int fail;

                        r = sd_bus_message_enter_container(call, 'v', "a(sasb)");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(call, 'a', "(sasb)");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(call, 'r', "sasb");
                        if (r >= 0)
                                r = sd_bus_message_read(call, "s", &path);
                        if (r >= 0)
                                r = sd_bus_message_read_strv(call, argv);
                        if (r >= 0)
                                r = sd_bus_message_read(call, "b", &fail);
                        for (int i = 0; r >= 0 && i < 3; i++)
                                r = sd_bus_message_exit_container(call);
                        if (r >= 0)
                                /* skip any further commands of the array */
                                r = 0;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(call);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(call);
}

static int method_start_transient(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        const char *name, *mode;
        char **argv = NULL;
        int r = sd_bus_message_read(call, "ss", &name, &mode);

        if (r >= 0)
                r = read_exec_start(call, &argv);
        if (r < 0) {
                strv_free(argv);
                return r;
        }
        return start(call, name, argv, error);
}

static int method_load_unit(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        const char *name;
        char *path;
        int r = sd_bus_message_read(call, "s", &name);

        if (r < 0)
                return r;
        path = unit_path(name);
        if (!path)
                return -ENOMEM;
        r = sd_bus_reply_method_return(call, "o", path);
        free(path);
        return r;
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("LoadUnit", "s", "o", method_load_unit, 0),
        SD_BUS_METHOD("GetUnit", "s", "o", method_load_unit, 0),
        SD_BUS_METHOD("StartUnit", "ss", "o", method_start_unit, 0),
        SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", method_start_transient, 0),
        SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
        SD_BUS_VTABLE_END
};

int main(int argc, char **argv) {
        sd_event *event = NULL;
        int r;

        if (argc < 3) {
                fprintf(stderr, "usage: systemd-standin ADDRESS SERVICEDIR...\n");
                return 2;
        }
        service_dirs = argv + 2;
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        (void) sigprocmask(SIG_BLOCK, &chld, NULL); /* for sd_event_add_child */
        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, argv[1]);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, 0);
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(bus, 1);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, SYSTEMD_PATH, MANAGER_IFACE, manager_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
        if (r < 0) {
                fprintf(stderr, "systemd-standin: cannot serve org.freedesktop.systemd1 on %s: %s\n", argv[1],
                        strerror(-r));
                return 1;
        }
        /* the caller waits for this line before it lets clients in */
        printf("ready\n");
        fflush(stdout);
        /* the bus going away ends this program */
        r = sd_event_loop(event);
        return r < 0 ? 1 : 0;
}
