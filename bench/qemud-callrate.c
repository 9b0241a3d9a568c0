/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The D-Bus client of bench/qemud-bench.py (sd-bus, one connection to the
 * system bus that DBUS_SYSTEM_BUS_ADDRESS names). It talks to any daemon
 * with libvirt-dbus's interfaces: virtbus-qemud (org.virtbus.qemud,
 * /org/virtbus/qemud) or libvirt-dbus (org.libvirt, /org/libvirt/QEMU).
 *
 *   qemud-callrate rate DEST PATHSFILE WINDOW SECONDS REPS
 *       Domain.GetXMLDesc(u 0) round-robin over the object paths in PATHSFILE
 *       (one a line), WINDOW calls in flight on the one connection
 *       (sd_bus_call_async; WINDOW=1 is one call at a time). REPS windows of
 *       SECONDS each; prints each rate and their median.
 *   qemud-callrate latency DEST ROOTPATH N
 *       N blocking Connect.ListDomains(u 0) calls one after the other (after 5
 *       warm-up calls); prints median/min/p90/max latency and the list size.
 *   qemud-callrate define DEST ROOTPATH TEMPLATE PREFIX N PATHSOUT
 *       N blocking Connect.DomainDefineXML(s) calls; the XML is the file
 *       TEMPLATE with @NAME@ replaced by PREFIX%04d. Writes the returned paths
 *       to PATHSOUT; prints the total time.
 *   qemud-callrate coldstart DEST ROOTPATH RUNS RSS_WAIT_MS -- ARGV...
 *       RUNS times: fork+exec ARGV, then Connect.ListDomains(u 0) every 1 ms
 *       until one is answered: prints exec -> first answer (and the CPU time
 *       the daemon's threads used until then). After the last run,
 *       waits RSS_WAIT_MS and prints the daemon's VmRSS. Each daemon gets
 *       SIGTERM and is waited for, and its name must leave the bus, before
 *       the next run.
 *   qemud-callrate events DEST EVENT N
 *       Subscribes to Connect's DomainEvent signals from DEST, prints "ready",
 *       then waits for N of them whose event is EVENT (libvirt's number, e.g.
 *       3 suspended) and prints the CLOCK_MONOTONIC times of the first and the
 *       last, for the caller to subtract the moment it acted.
 *
 * Output is "key=value" words on stdout, one line per result. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define CONNECT_IFACE "org.libvirt.Connect"
#define DOMAIN_IFACE "org.libvirt.Domain"
#define CALL_TIMEOUT_USEC (120ULL * 1000000ULL)

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* This process's CPU time (s): the client's own share of a call. */
static double cpu_self(void) {
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void sleep_ms(double ms) {
        struct timespec ts = { .tv_sec = (time_t) (ms / 1000), .tv_nsec = (long) (ms * 1e6) % 1000000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
        qsort(v, n, sizeof(double), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static sd_bus *open_bus(void) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect to the system bus: %s\n", strerror(-r));
                exit(1);
        }
        return bus;
}

/* ---- rate ---------------------------------------------------------------- */

static char **paths;
static size_t n_paths, next_path;
static const char *dest;
static long in_flight, completed, failures;
static int issuing;

static int issue(sd_bus *bus);

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        sd_bus *bus = userdata;

        in_flight--;
        if (sd_bus_message_is_method_error(m, NULL)) {
                if (failures++ < 3)
                        fprintf(stderr, "GetXMLDesc failed: %s: %s\n", sd_bus_message_get_error(m)->name,
                                sd_bus_message_get_error(m)->message);
        } else
                completed++;
        if (issuing)
                return issue(bus);
        return 0;
}

static int issue(sd_bus *bus) {
        const char *path = paths[next_path++ % n_paths];
        int r = sd_bus_call_method_async(bus, NULL, dest, path, DOMAIN_IFACE, "GetXMLDesc", on_reply, bus, "u", 0);
        if (r < 0) {
                fprintf(stderr, "cannot send GetXMLDesc: %s\n", strerror(-r));
                exit(1);
        }
        in_flight++;
        return 0;
}

static double run_window(sd_bus *bus, long window, double seconds) {
        double t0, t1;
        int r;

        completed = 0;
        issuing = 1;
        t0 = now();
        for (long i = 0; i < window; i++)
                issue(bus);
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "sd_bus_process: %s\n", strerror(-r));
                        exit(1);
                }
                if (issuing && now() - t0 >= seconds)
                        issuing = 0;
                if (!issuing && in_flight == 0)
                        break;
                if (r == 0)
                        (void) sd_bus_wait(bus, 100000);
        }
        t1 = now();
        return (double) completed / (t1 - t0);
}

static int cmd_rate(int argc, char **argv) {
        FILE *f;
        char line[512];
        long window;
        double seconds, *rates;
        int reps;
        sd_bus *bus;

        if (argc != 7)
                return 2;
        dest = argv[2];
        window = atol(argv[4]);
        seconds = atof(argv[5]);
        reps = atoi(argv[6]);
        f = fopen(argv[3], "re");
        if (!f) {
                perror(argv[3]);
                return 1;
        }
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = 0;
                if (!*line)
                        continue;
                paths = realloc(paths, (n_paths + 1) * sizeof(char *));
                paths[n_paths++] = strdup(line);
        }
        fclose(f);
        if (n_paths == 0 || window < 1 || reps < 1) {
                fprintf(stderr, "no paths, or a bad window or repeat count\n");
                return 1;
        }
        bus = open_bus();
        rates = calloc((size_t) reps, sizeof(double));
        run_window(bus, window, 0.2); /* warm-up */
        printf("rate");
        for (int i = 0; i < reps; i++) {
                rates[i] = run_window(bus, window, seconds);
                printf(" rep%d=%.0f", i, rates[i]);
        }
        printf(" median=%.0f window=%ld paths=%zu failures=%ld\n", median(rates, (size_t) reps), window, n_paths,
               failures);
        return failures ? 1 : 0;
}

/* ---- latency --------------------------------------------------------------- */

static int list_domains(sd_bus *bus, const char *d, const char *root, size_t *ret_n, sd_bus_error *err) {
        sd_bus_message *reply = NULL;
        const char *p;
        size_t n = 0;
        int r = sd_bus_call_method(bus, d, root, CONNECT_IFACE, "ListDomains", err, &reply, "u", 0);

        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "o");
        while (r >= 0 && (r = sd_bus_message_read_basic(reply, 'o', &p)) > 0)
                n++;
        sd_bus_message_unref(reply);
        if (ret_n)
                *ret_n = n;
        return r < 0 ? r : 0;
}

static int cmd_latency(int argc, char **argv) {
        sd_bus_error err = SD_BUS_ERROR_NULL;
        sd_bus *bus;
        size_t count = 0;
        double *lat;
        double cpu0;
        long n;
        int r;

        if (argc != 5)
                return 2;
        n = atol(argv[4]);
        if (n < 1)
                return 2;
        bus = open_bus();
        lat = calloc((size_t) n, sizeof(double));
        for (int i = 0; i < 5; i++)
                if ((r = list_domains(bus, argv[2], argv[3], &count, &err)) < 0) {
                        fprintf(stderr, "ListDomains failed: %s\n", err.message ? err.message : strerror(-r));
                        return 1;
                }
        cpu0 = cpu_self();
        for (long i = 0; i < n; i++) {
                double t0 = now();
                r = list_domains(bus, argv[2], argv[3], &count, &err);
                lat[i] = now() - t0;
                if (r < 0) {
                        fprintf(stderr, "ListDomains failed: %s\n", err.message ? err.message : strerror(-r));
                        return 1;
                }
        }
        cpu0 = cpu_self() - cpu0;
        qsort(lat, (size_t) n, sizeof(double), cmp_double);
        printf("latency calls=%ld domains=%zu median_ms=%.3f min_ms=%.3f p90_ms=%.3f max_ms=%.3f "
               "client_cpu_ms=%.3f\n",
               n, count, median(lat, (size_t) n) * 1e3, lat[0] * 1e3, lat[(size_t) (n * 9 / 10)] * 1e3,
               lat[n - 1] * 1e3, cpu0 * 1e3 / (double) n);
        return 0;
}

/* ---- define ------------------------------------------------------------------ */

static char *replace_all(const char *s, const char *what, const char *with) {
        size_t lw = strlen(what), lr = strlen(with), n = 0;
        const char *p;
        char *out, *o;

        for (p = s; (p = strstr(p, what)); p += lw)
                n++;
        out = o = malloc(strlen(s) + n * lr + 1);
        for (p = s;;) {
                const char *q = strstr(p, what);
                if (!q) {
                        strcpy(o, p);
                        break;
                }
                memcpy(o, p, (size_t) (q - p));
                o += q - p;
                memcpy(o, with, lr);
                o += lr;
                p = q + lw;
        }
        return out;
}

static int cmd_define(int argc, char **argv) {
        sd_bus_error err = SD_BUS_ERROR_NULL;
        char *tmpl = NULL, **xmls;
        size_t len = 0;
        FILE *f, *out;
        long n;
        sd_bus *bus;
        double t0, t1;

        if (argc != 8)
                return 2;
        n = atol(argv[6]);
        f = fopen(argv[4], "re");
        if (!f || getdelim(&tmpl, &len, 0, f) < 0) {
                perror(argv[4]);
                return 1;
        }
        fclose(f);
        out = fopen(argv[7], "we");
        if (!out) {
                perror(argv[7]);
                return 1;
        }
        /* The XML strings are made before the clock starts. */
        xmls = calloc((size_t) n, sizeof(char *));
        for (long i = 0; i < n; i++) {
                char name[256];
                snprintf(name, sizeof(name), "%s%04ld", argv[5], i);
                xmls[i] = replace_all(tmpl, "@NAME@", name);
        }
        bus = open_bus();
        t0 = now();
        for (long i = 0; i < n; i++) {
                sd_bus_message *reply = NULL;
                const char *path;
                int r = sd_bus_call_method(bus, argv[2], argv[3], CONNECT_IFACE, "DomainDefineXML", &err, &reply, "s",
                                           xmls[i]);
                if (r < 0 || sd_bus_message_read(reply, "o", &path) < 0) {
                        fprintf(stderr, "DomainDefineXML #%ld failed: %s\n", i, err.message ? err.message : strerror(-r));
                        printf("define failed_at=%ld\n", i);
                        fclose(out);
                        return 1;
                }
                fprintf(out, "%s\n", path);
                sd_bus_message_unref(reply);
        }
        t1 = now();
        fclose(out);
        printf("define domains=%ld seconds=%.4f per_call_ms=%.3f\n", n, t1 - t0, (t1 - t0) * 1e3 / (double) n);
        return 0;
}

/* ---- coldstart ------------------------------------------------------------------ */

static long vmrss_kib(pid_t pid) {
        char path[64], line[256];
        long kib = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

/* CPU time the process's threads have run so far (schedstat, ns). */
static double cpu_ms(pid_t pid) {
        char path[64];
        unsigned long long total = 0;
        DIR *dir;
        struct dirent *de;

        snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
        dir = opendir(path);
        if (!dir)
                return -1;
        while ((de = readdir(dir))) {
                char p2[320];
                unsigned long long ns;
                FILE *f;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(p2, sizeof(p2), "/proc/%d/task/%s/schedstat", (int) pid, de->d_name);
                f = fopen(p2, "re");
                if (f && fscanf(f, "%llu", &ns) == 1)
                        total += ns;
                if (f)
                        fclose(f);
        }
        closedir(dir);
        return (double) total / 1e6;
}

/* From /proc/PID/stat: user and system CPU (ms; the kernel splits its
 * precise total by tick samples) and minor page faults so far. */
static void stat_split(pid_t pid, double *user_ms, double *sys_ms, unsigned long *minflt) {
        char path[64], buf[1024], *p;
        unsigned long utime = 0, stime = 0;
        FILE *f;

        *user_ms = *sys_ms = -1;
        *minflt = 0;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return;
        p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
        fclose(f);
        /* after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lu %*u %*u %*u %lu %lu", minflt, &utime, &stime) != 3)
                return;
        *user_ms = (double) utime * 1000.0 / (double) sysconf(_SC_CLK_TCK);
        *sys_ms = (double) stime * 1000.0 / (double) sysconf(_SC_CLK_TCK);
}

static int name_has_owner(sd_bus *bus, const char *name) {
        sd_bus_message *reply = NULL;
        int has = 0;

        if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", NULL, &reply, "s", name) >= 0)
                (void) sd_bus_message_read(reply, "b", &has);
        sd_bus_message_unref(reply);
        return has;
}

static int cmd_coldstart(int argc, char **argv) {
        sd_bus *bus;
        int runs, rss_wait_ms;
        double *t;
        char **child_argv;

        if (argc < 8 || strcmp(argv[6], "--") != 0)
                return 2;
        dest = argv[2];
        runs = atoi(argv[4]);
        rss_wait_ms = atoi(argv[5]);
        child_argv = argv + 7;
        if (runs < 1)
                return 2;
        t = calloc((size_t) runs, sizeof(double));
        bus = open_bus();
        if (name_has_owner(bus, dest)) {
                fprintf(stderr, "%s already has an owner\n", dest);
                return 1;
        }
        for (int i = 0; i < runs; i++) {
                sd_bus_error err = SD_BUS_ERROR_NULL;
                size_t count = 0;
                long attempts = 0;
                double t0, t1, user_ms, sys_ms;
                unsigned long minflt;
                int status;
                pid_t pid;

                t0 = now();
                pid = fork();
                if (pid < 0) {
                        perror("fork");
                        return 1;
                }
                if (pid == 0) {
                        setsid();
                        dup2(2, 1); /* our stdout carries the results */
                        execv(child_argv[0], child_argv);
                        _exit(127);
                }
                for (;;) {
                        attempts++;
                        if (list_domains(bus, dest, argv[3], &count, &err) >= 0)
                                break;
                        sd_bus_error_free(&err);
                        if (waitpid(pid, &status, WNOHANG) == pid) {
                                fprintf(stderr, "%s exited (status 0x%x) before answering\n", child_argv[0], status);
                                printf("coldstart failed=1\n");
                                return 1;
                        }
                        if (now() - t0 > 300) {
                                fprintf(stderr, "%s did not answer in 300 s\n", child_argv[0]);
                                kill(pid, SIGKILL);
                                waitpid(pid, NULL, 0);
                                return 1;
                        }
                        sleep_ms(1);
                }
                t1 = now();
                t[i] = t1 - t0;
                stat_split(pid, &user_ms, &sys_ms, &minflt);
                printf("run=%d seconds=%.4f cpu_ms=%.1f user_ms=%.0f sys_ms=%.0f minflt=%lu attempts=%ld domains=%zu "
                       "pid=%d\n",
                       i, t[i], cpu_ms(pid), user_ms, sys_ms, minflt, attempts, count, (int) pid);
                if (i == runs - 1 && rss_wait_ms > 0) {
                        sleep_ms(rss_wait_ms);
                        printf("rss_kib=%ld\n", vmrss_kib(pid));
                }
                fflush(stdout);
                kill(pid, SIGTERM);
                t0 = now();
                while (waitpid(pid, &status, WNOHANG) == 0) {
                        if (now() - t0 > 60) {
                                fprintf(stderr, "pid %d did not exit on SIGTERM, sending SIGKILL\n", (int) pid);
                                kill(pid, SIGKILL);
                                waitpid(pid, &status, 0);
                                break;
                        }
                        sleep_ms(2);
                }
                t0 = now();
                while (name_has_owner(bus, dest) && now() - t0 < 30)
                        sleep_ms(1);
        }
        {
                double *s = calloc((size_t) runs, sizeof(double));
                memcpy(s, t, (size_t) runs * sizeof(double));
                qsort(s, (size_t) runs, sizeof(double), cmp_double);
                printf("coldstart runs=%d median=%.4f min=%.4f max=%.4f\n", runs, median(s, (size_t) runs), s[0],
                       s[runs - 1]);
        }
        return 0;
}

/* ---- events --------------------------------------------------------------------- */

static int cmd_events(int argc, char **argv) {
        sd_bus *bus;
        char match[256];
        long want, seen = 0;
        double first = 0, last = 0;
        int event, r;

        if (argc != 5)
                return 2;
        event = atoi(argv[3]);
        want = atol(argv[4]);
        bus = open_bus();
        snprintf(match, sizeof(match), "type='signal',sender='%s',interface='" CONNECT_IFACE
                 "',member='DomainEvent'", argv[2]);
        r = sd_bus_add_match(bus, NULL, match, NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "cannot subscribe: %s\n", strerror(-r));
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        while (seen < want) {
                sd_bus_message *m = NULL;
                const char *path;
                int ev, detail;

                r = sd_bus_process(bus, &m);
                if (r < 0) {
                        fprintf(stderr, "bus: %s\n", strerror(-r));
                        return 1;
                }
                if (m && sd_bus_message_is_signal(m, CONNECT_IFACE, "DomainEvent") &&
                    sd_bus_message_read(m, "oii", &path, &ev, &detail) >= 0 && ev == event) {
                        last = now();
                        if (seen++ == 0)
                                first = last;
                }
                sd_bus_message_unref(m);
                if (r == 0 && sd_bus_wait(bus, CALL_TIMEOUT_USEC) == 0) {
                        fprintf(stderr, "only %ld of %ld events in %llu s\n", seen, want,
                                CALL_TIMEOUT_USEC / 1000000ULL);
                        return 1;
                }
        }
        printf("events=%ld first=%.6f last=%.6f\n", seen, first, last);
        sd_bus_unref(bus);
        return 0;
}

int main(int argc, char **argv) {
        int r = 2;

        signal(SIGPIPE, SIG_IGN);
        if (argc >= 2 && strcmp(argv[1], "rate") == 0)
                r = cmd_rate(argc, argv);
        else if (argc >= 2 && strcmp(argv[1], "latency") == 0)
                r = cmd_latency(argc, argv);
        else if (argc >= 2 && strcmp(argv[1], "define") == 0)
                r = cmd_define(argc, argv);
        else if (argc >= 2 && strcmp(argv[1], "coldstart") == 0)
                r = cmd_coldstart(argc, argv);
        else if (argc >= 2 && strcmp(argv[1], "events") == 0)
                r = cmd_events(argc, argv);
        if (r == 2)
                fprintf(stderr, "usage: see the comment at the top of bench/qemud-callrate.c\n");
        fflush(stdout);
        return r;
}
