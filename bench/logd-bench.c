/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* logd benchmark client (see logd-bench.sh, which starts the bus and logd).
 *
 *   logd-bench WRITERS BYTES_EACH LOGDIR
 *
 * Opens WRITERS logs ("bench"/"w<i>") through org.virtbus.Log1.Open, writes
 * BYTES_EACH bytes into each pipe from as many threads, closes them, waits
 * until logd drained every pipe (OpenPipes = 0), and prints the throughput.
 * Then checks each log: its files (name.log.N ... name.log.1, name.log) put
 * together must equal the last bytes of what was written, byte for byte;
 * FNV-1a checksums of both are printed. Stream i's byte k is a function of
 * k, so any window can be regenerated. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define PERIOD (1024 * 1024 + 7) /* not a divisor of the rotation size */

static uint8_t *pattern_buf; /* 2 * PERIOD bytes: any window of PERIOD is contiguous */

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t byte_at(uint64_t k) {
        return pattern_buf[k % PERIOD];
}

typedef struct Writer {
        pthread_t thread;
        int fd;
        uint64_t start; /* stream offset into the pattern, per writer */
        uint64_t bytes;
        char path[4096];
        int error;
} Writer;

static void *writer_main(void *p) {
        Writer *w = p;
        uint64_t done = 0;

        while (done < w->bytes) {
                uint64_t pos = (w->start + done) % PERIOD;
                size_t n = (size_t) (w->bytes - done < PERIOD / 2 ? w->bytes - done : PERIOD / 2);
                ssize_t k = write(w->fd, pattern_buf + pos, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        w->error = errno;
                        break;
                }
                done += (uint64_t) k;
        }
        close(w->fd);
        return NULL;
}

static uint64_t fnv_update(uint64_t h, const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

/* Reads name.log.N..1 + name.log and compares with the stream's tail. */
static int verify(Writer *w, uint64_t *ret_kept) {
        uint64_t kept = 0, h_file = 0xcbf29ce484222325ULL, h_want = 0xcbf29ce484222325ULL;
        off_t sizes[1001];
        int last = 0, bad = 0;
        uint8_t *buf = malloc(1 << 20), *want = malloc(1 << 20);

        for (int i = 0; i <= 1000; i++) {
                char p[4200];
                struct stat st;

                snprintf(p, sizeof(p), i ? "%s.%d" : "%s", w->path, i);
                if (stat(p, &st) < 0)
                        break;
                sizes[i] = st.st_size;
                kept += (uint64_t) st.st_size;
                last = i;
        }
        uint64_t pos = w->start + w->bytes - kept;
        for (int i = last; i >= 0; i--) {
                char p[4200];
                int fd;
                ssize_t n;

                snprintf(p, sizeof(p), i ? "%s.%d" : "%s", w->path, i);
                fd = open(p, O_RDONLY | O_CLOEXEC);
                while (fd >= 0 && (n = read(fd, buf, 1 << 20)) > 0) {
                        for (ssize_t j = 0; j < n; j++)
                                want[j] = byte_at(pos + (uint64_t) j);
                        bad |= memcmp(buf, want, (size_t) n) != 0;
                        h_file = fnv_update(h_file, buf, (size_t) n);
                        h_want = fnv_update(h_want, want, (size_t) n);
                        pos += (uint64_t) n;
                }
                if (fd >= 0)
                        close(fd);
        }
        (void) sizes;
        free(buf);
        free(want);
        *ret_kept = kept;
        if (w->start == 0 || bad)
                printf("  %s: %d file(s), %llu bytes kept, fnv1a written-tail=%016llx files=%016llx %s\n", w->path,
                       last + 1, (unsigned long long) kept, (unsigned long long) h_want,
                       (unsigned long long) h_file, bad || h_file != h_want ? "MISMATCH" : "identical");
        return bad || h_file != h_want ? -1 : 0;
}

int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int n_writers, r, failures = 0;
        uint64_t each, total, kept_total = 0;
        Writer *ws;
        double t0, t1;
        uint32_t open_pipes;

        if (argc != 4) {
                fprintf(stderr, "usage: logd-bench WRITERS BYTES_EACH LOGDIR\n");
                return 2;
        }
        n_writers = atoi(argv[1]);
        each = strtoull(argv[2], NULL, 10);
        pattern_buf = malloc(2 * PERIOD);
        for (uint64_t k = 0; k < 2 * PERIOD; k++)
                pattern_buf[k] = (uint8_t) ((k % PERIOD) * 131 + (k % PERIOD) / 4099);
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return 1;
        ws = calloc((size_t) n_writers, sizeof(Writer));
        for (int i = 0; i < n_writers; i++) {
                sd_bus_message *reply = NULL;
                char name[32];
                const char *path;
                int fd;

                snprintf(name, sizeof(name), "w%d", i);
                r = sd_bus_call_method(bus, "org.virtbus.logd", "/org/virtbus/logd", "org.virtbus.Log1", "Open",
                                       &error, &reply, "ssu", "bench", name, 0);
                if (r < 0 || sd_bus_message_read(reply, "hs", &fd, &path) < 0) {
                        fprintf(stderr, "Open: %s\n", error.message);
                        return 1;
                }
                ws[i].fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                ws[i].start = (uint64_t) i * 4099;
                ws[i].bytes = each;
                snprintf(ws[i].path, sizeof(ws[i].path), "%s", path);
                sd_bus_message_unref(reply);
        }
        t0 = now();
        for (int i = 0; i < n_writers; i++)
                pthread_create(&ws[i].thread, NULL, writer_main, &ws[i]);
        for (int i = 0; i < n_writers; i++)
                pthread_join(ws[i].thread, NULL);
        /* Done when logd has drained and closed every pipe. */
        do {
                sd_bus_get_property_trivial(bus, "org.virtbus.logd", "/org/virtbus/logd", "org.virtbus.Log1",
                                            "OpenPipes", &error, 'u', &open_pipes);
                if (open_pipes)
                        usleep(1000);
        } while (open_pipes);
        t1 = now();
        total = each * (uint64_t) n_writers;
        printf("writers=%d bytes=%llu seconds=%.3f MiB_per_second=%.0f\n", n_writers, (unsigned long long) total,
               t1 - t0, total / (t1 - t0) / (1024.0 * 1024.0));
        for (int i = 0; i < n_writers; i++) {
                uint64_t kept = 0;
                if (ws[i].error) {
                        fprintf(stderr, "writer %d: %s\n", i, strerror(ws[i].error));
                        failures++;
                }
                if (verify(&ws[i], &kept) < 0)
                        failures++;
                kept_total += kept;
        }
        printf("verified=%d/%d logs kept_bytes=%llu\n", n_writers - failures, n_writers,
               (unsigned long long) kept_total);
        return failures ? 1 : 0;
}
