/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockd benchmark client (see lockd-bench.sh, which starts the bus and lockd).
 *
 *   lockd-bench pairs N DEPTH     N acquire+release pairs, DEPTH calls in flight
 *   lockd-bench hold N            acquire N leases (then wait for SIGTERM, releasing nothing)
 *   lockd-bench reexec            time ReExec until the name has a new owner
 *   lockd-bench checker DIR       try F_OFD_SETLK on every held lease file in DIR (those it
 *                                 cannot lock at start) until SIGTERM; prints how many
 *                                 rounds ran and how many locks it won
 *
 * With LOCKD_BENCH_PEER=<socket> the calls go straight to lockd's private
 * socket (<rundir>/private/lockd, peer to peer, no broker) instead of the bus.
 *
 * Pipelining: each of DEPTH slots runs its own resource through
 * acquire -> release -> acquire ... with sd-bus async calls, so DEPTH calls
 * are always in flight on the one connection.
 *
 * With LOCKD_BENCH_NOREPLY=1 a release is sent as qemud sends it, asking for
 * no answer (three messages a pair instead of four): the slot's next acquire
 * follows at once, which lockd, reading one connection in order, serves after
 * the release. A ListLeases at the end checks that every release was done.
 *
 * With LOCKD_BENCH_BATCH=K each slot is an owner of its own, as a guest
 * with K disks is: AcquireMany takes its K leases in one call, ReleaseOwner
 * lets them all go (unanswered with LOCKD_BENCH_NOREPLY=1). N still counts
 * leases acquired and released, so the rate compares with one pair a call. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define DEST "org.virtbus.lockd"
#define PATH "/org/virtbus/lockd"
#define IFACE "org.virtbus.Lock1"
#define OWNER "0b5e0c6e-3a9f-4d7e-9c55-6b6c0e0d0001"

static sd_bus *bus;
static sd_event *event;
static long remaining, in_flight, failures;
static int noreply, batch;

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct Slot {
        char path[64];
        char owner[64];
        int acquired;
} Slot;

/* The pairs one acquire+release of a slot stands for. */
static long per_cycle(void) {
        return batch > 0 ? batch : 1;
}

static int issue(Slot *s);
static void pairs_done(void);

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Slot *s = userdata;

        in_flight--;
        if (sd_bus_message_is_method_error(m, NULL)) {
                if (failures++ < 5)
                        fprintf(stderr, "call failed: %s\n", sd_bus_message_get_error(m)->message);
        }
        s->acquired = !s->acquired;
        if (!s->acquired)
                remaining -= per_cycle();
        if (remaining > 0 || s->acquired)
                issue(s);
        if (in_flight == 0)
                pairs_done();
        return 0;
}

static int release_noreply(const Slot *s) {
        sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, IFACE, batch ? "ReleaseOwner" : "Release");
        if (r >= 0)
                r = batch ? sd_bus_message_append(m, "s", s->owner) : sd_bus_message_append(m, "ssu", s->path, OWNER, 0);
        if (r >= 0)
                r = sd_bus_message_set_expect_reply(m, 0);
        if (r >= 0)
                r = sd_bus_send(bus, m, NULL);
        sd_bus_message_unref(m);
        return r;
}

/* After unanswered releases: how many leases OWNER still holds, asked on
 * the same connection so that lockd answers after reading every release
 * (0 once all were done). The loop ends with the answer. */
static long left = -1;

static int on_leases(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *path, *owner, *name, *st;
        uint32_t pid, flags;

        if (sd_bus_message_is_method_error(m, NULL))
                fprintf(stderr, "ListLeases: %s\n", sd_bus_message_get_error(m)->message);
        else if (sd_bus_message_enter_container(m, 'a', "(sssuus)") >= 0)
                for (left = 0; sd_bus_message_read(m, "(sssuus)", &path, &owner, &name, &pid, &flags, &st) > 0;)
                        if (strncmp(path, "/virtbus-bench/pairs/", 21) == 0)
                                left++;
        sd_event_exit(event, 0);
        return 0;
}

static void pairs_done(void) {
        static bool asked;

        if (asked)
                return;
        asked = true;
        if (!noreply || sd_bus_call_method_async(bus, NULL, DEST, PATH, IFACE, "ListLeases", on_leases, NULL,
                                                 "") < 0)
                sd_event_exit(event, 0);
}

/* AcquireMany of the slot's batch leases: <path>-0 ... <path>-(K-1). */
static int acquire_many(Slot *s) {
        sd_bus_message *m = NULL;
        char path[96];
        int r;

        r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, IFACE, "AcquireMany");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(su)");
        for (int i = 0; r >= 0 && i < batch; i++) {
                snprintf(path, sizeof(path), "%s-%d", s->path, i);
                r = sd_bus_message_append(m, "(su)", path, 0);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "ssu", s->owner, "bench", (uint32_t) getpid());
        if (r >= 0)
                r = sd_bus_call_async(bus, NULL, m, on_reply, s, 0);
        sd_bus_message_unref(m);
        return r;
}

static int issue(Slot *s) {
        int r;

        if (s->acquired && noreply) {
                r = release_noreply(s);
                s->acquired = 0;
                if (r < 0 || (remaining -= per_cycle()) <= 0) {
                        if (r >= 0 && in_flight == 0)
                                pairs_done();
                        return r;
                }
        }
        if (!s->acquired && batch)
                r = acquire_many(s);
        else if (batch)
                r = sd_bus_call_method_async(bus, NULL, DEST, PATH, IFACE, "ReleaseOwner", on_reply, s, "s",
                                             s->owner);
        else if (!s->acquired)
                r = sd_bus_call_method_async(bus, NULL, DEST, PATH, IFACE, "Acquire", on_reply, s, "sssuu",
                                             s->path, OWNER, "bench", (uint32_t) getpid(), 0);
        else
                r = sd_bus_call_method_async(bus, NULL, DEST, PATH, IFACE, "Release", on_reply, s, "ssu",
                                             s->path, OWNER, 0);
        if (r < 0) {
                fprintf(stderr, "send: %s\n", strerror(-r));
                exit(1);
        }
        in_flight++;
        return 0;
}

static int run_pairs(long n, int depth) {
        Slot *slots = calloc((size_t) depth, sizeof(Slot));
        double t0, t1;

        remaining = n;
        for (int i = 0; i < depth; i++) {
                snprintf(slots[i].path, sizeof(slots[i].path), "/virtbus-bench/pairs/disk-%d", i);
                snprintf(slots[i].owner, sizeof(slots[i].owner), "0b5e0c6e-3a9f-4d7e-9c55-6b6c0e0b%04x", i);
        }
        t0 = now();
        for (int i = 0; i < depth && i * per_cycle() < n; i++)
                issue(&slots[i]);
        sd_event_loop(event);
        t1 = now();
        printf("pairs=%ld seconds=%.3f pairs_per_second=%.0f failures=%ld", n, t1 - t0, n / (t1 - t0), failures);
        if (batch)
                printf(" batch=%d", batch);
        if (noreply) {
                printf(" release=noreply leases_left=%ld", left);
                if (left != 0)
                        failures++;
        }
        printf("\n");
        return failures ? 1 : 0;
}

/* hold: N acquires over OWNERS owners (uuids ...0000 to ...00ff), pipelined. */
static long hold_next, hold_n;

static int on_hold_reply(sd_bus_message *m, void *userdata, sd_bus_error *e);

static void hold_issue(void) {
        char path[64], uuid[64];
        long i = hold_next++;

        snprintf(path, sizeof(path), "/virtbus-bench/hold/disk-%ld", i);
        snprintf(uuid, sizeof(uuid), "0b5e0c6e-3a9f-4d7e-9c55-6b6c0e0d%04lx", i % 100);
        if (sd_bus_call_method_async(bus, NULL, DEST, PATH, IFACE, "Acquire", on_hold_reply, NULL, "sssuu", path,
                                     uuid, "holder", (uint32_t) getpid(), 0) < 0)
                exit(1);
        in_flight++;
}

static int on_hold_reply(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        in_flight--;
        if (sd_bus_message_is_method_error(m, NULL) && failures++ < 5)
                fprintf(stderr, "acquire failed: %s\n", sd_bus_message_get_error(m)->message);
        if (hold_next < hold_n)
                hold_issue();
        if (in_flight == 0)
                sd_event_exit(event, 0);
        return 0;
}

static int run_hold(long n) {
        double t0 = now();

        hold_n = n;
        for (int i = 0; i < 64 && hold_next < n; i++)
                hold_issue();
        sd_event_loop(event);
        printf("held=%ld seconds=%.3f failures=%ld\n", n - failures, now() - t0, failures);
        fflush(stdout);
        if (failures)
                return 1;
        /* Keep the owners' pid alive until told to go. */
        pause();
        return 0;
}

static const char *old_owner;
static double reexec_done;

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *name, *from, *to;

        if (sd_bus_message_read(m, "sss", &name, &from, &to) >= 0 && strcmp(name, DEST) == 0 && *to &&
            strcmp(to, old_owner) != 0) {
                reexec_done = now();
                sd_event_exit(event, 0);
        }
        return 0;
}

static int run_reexec(void) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint32_t before = 0, after = 0;
        double t0;

        {
                sd_bus_creds *c = NULL;
                const char *u;

                if (sd_bus_get_name_creds(bus, DEST, SD_BUS_CREDS_UNIQUE_NAME, &c) < 0 ||
                    sd_bus_creds_get_unique_name(c, &u) < 0) {
                        fprintf(stderr, "lockd is not on the bus\n");
                        return 1;
                }
                old_owner = strdup(u);
                sd_bus_creds_unref(c);
        }
        sd_bus_get_property_trivial(bus, DEST, PATH, IFACE, "Leases", &error, 'u', &before);
        sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                            "NameOwnerChanged", on_owner_changed, NULL);
        t0 = now();
        if (sd_bus_call_method(bus, DEST, PATH, IFACE, "ReExec", &error, NULL, "") < 0) {
                fprintf(stderr, "ReExec: %s\n", error.message);
                return 1;
        }
        sd_event_loop(event);
        sd_bus_error_free(&error);
        /* Leaving the event loop closed the attached connection: use a new one. */
        sd_bus_unref(bus);
        if (sd_bus_open_system(&bus) < 0)
                return 1;
        if (sd_bus_get_property_trivial(bus, DEST, PATH, IFACE, "Leases", &error, 'u', &after) < 0)
                fprintf(stderr, "Leases after the re-exec: %s\n", error.message);
        printf("reexec_ms=%.1f leases_before=%u leases_after=%u\n", (reexec_done - t0) * 1000, before, after);
        return after == before ? 0 : 1;
}

/* ---- checker: no bus at all, only the lease files ---- */

static volatile sig_atomic_t stop;

static void on_term(int sig) {
        stop = 1;
}

static int run_checker(const char *dir) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
        int *fds = NULL, n = 0, cap = 0;
        long rounds = 0, won = 0;
        struct rlimit rl;
        DIR *d = opendir(dir);
        struct dirent *de;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (!d)
                return 1;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (n == cap)
                        fds = realloc(fds, sizeof(int) * (size_t) (cap = cap ? cap * 2 : 1024));
                fds[n] = openat(dirfd(d), de->d_name, O_RDWR | O_CLOEXEC);
                if (fds[n] < 0)
                        continue;
                /* Watch only what is held now: a file we can lock is free. */
                fl.l_type = F_WRLCK;
                if (fcntl(fds[n], F_OFD_SETLK, &fl) == 0) {
                        close(fds[n]); /* drops our lock with the description */
                        continue;
                }
                n++;
        }
        closedir(d);
        signal(SIGTERM, on_term);
        printf("checking=%d\n", n);
        fflush(stdout);
        while (!stop) {
                for (int i = 0; i < n; i++) {
                        fl.l_type = F_WRLCK;
                        if (fcntl(fds[i], F_OFD_SETLK, &fl) == 0) {
                                won++;
                                fl.l_type = F_UNLCK;
                                fcntl(fds[i], F_OFD_SETLK, &fl);
                        }
                }
                rounds++;
        }
        printf("checker_rounds=%ld checker_locks_won=%ld\n", rounds, won);
        return won ? 1 : 0;
}

/* The bus, or with LOCKD_BENCH_PEER a direct connection to lockd's socket. */
static int open_connection(sd_bus **ret) {
        const char *peer = getenv("LOCKD_BENCH_PEER");
        char address[256];
        sd_bus *b = NULL;
        int r;

        if (!peer || !*peer)
                return sd_bus_open_system(ret);
        snprintf(address, sizeof(address), "unix:path=%s", peer);
        r = sd_bus_new(&b);
        if (r >= 0)
                r = sd_bus_set_address(b, address);
        if (r >= 0)
                r = sd_bus_start(b);
        if (r < 0) {
                sd_bus_unref(b);
                return r;
        }
        *ret = b;
        return 0;
}

int main(int argc, char *argv[]) {
        int r;

        if (argc >= 3 && strcmp(argv[1], "checker") == 0)
                return run_checker(argv[2]);
        r = sd_event_default(&event);
        if (r >= 0)
                r = open_connection(&bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, 0);
        if (r < 0) {
                fprintf(stderr, "bus: %s\n", strerror(-r));
                return 1;
        }
        noreply = getenv("LOCKD_BENCH_NOREPLY") && strcmp(getenv("LOCKD_BENCH_NOREPLY"), "1") == 0;
        batch = getenv("LOCKD_BENCH_BATCH") ? atoi(getenv("LOCKD_BENCH_BATCH")) : 0;
        if (argc >= 4 && strcmp(argv[1], "pairs") == 0)
                return run_pairs(atol(argv[2]), atoi(argv[3]));
        if (argc >= 3 && strcmp(argv[1], "hold") == 0)
                return run_hold(atol(argv[2]));
        if (argc >= 2 && strcmp(argv[1], "reexec") == 0)
                return run_reexec();
        fprintf(stderr, "usage: lockd-bench pairs N DEPTH | hold N | reexec | checker DIR\n");
        return 2;
}
