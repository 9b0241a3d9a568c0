/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the cgroup v2 device filter (common/cgroup-bpf.c) costs a start or a
 * hot-plug: the program of a guest's list (the standard nodes and N disks)
 * built, loaded and swapped into a cgroup of the host's cgroup2 hierarchy,
 * and read back from the kernel (what a restarted daemon does). Prints the
 * median and the spread of RUNS of each. Root; skips without a cgroup2
 * hierarchy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-bpf.h"
#include "cgroup.h"

#define RUNS 200

static double now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static void print(const char *what, double *t) {
        qsort(t, RUNS, sizeof(*t), cmp);
        printf("%-44s median %7.1f us  (min %.1f, p90 %.1f)\n", what, t[RUNS / 2], t[0], t[RUNS * 9 / 10]);
}

static void fill(CgroupDevList *l, unsigned disks) {
        static const char *const std[] = { "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                                           "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:232 rwm",
                                           "c 10:200 rwm", "c 10:229 rwm" };
        CgroupDevRule r;

        for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
                if (cgroup_dev_rule_parse(std[i], &r) >= 0)
                        (void) cgroup_dev_list_add(l, &r);
        for (unsigned i = 0; i < disks; i++) {
                r = (CgroupDevRule){ .type = 'b', .major = 7, .minor = i, .access = CGROUP_DEV_READ | CGROUP_DEV_WRITE };
                (void) cgroup_dev_list_add(l, &r);
        }
}

static int run(const char *dir, unsigned disks) {
        static double w[RUNS], rd[RUNS];
        CgroupDevList l = {};
        char what[96];
        int r;

        fill(&l, disks);
        for (int i = 0; i < RUNS; i++) {
                CgroupDevList back = {};
                double t0 = now_us();

                if ((r = cgroup_bpf_write(dir, &l)) < 0)
                        return r;
                w[i] = now_us() - t0;
                t0 = now_us();
                if ((r = cgroup_bpf_read(dir, &back)) < 0)
                        return r;
                rd[i] = now_us() - t0;
                cgroup_dev_list_clear(&back);
        }
        snprintf(what, sizeof(what), "%zu rules: build, load, swap in", l.n);
        print(what, w);
        snprintf(what, sizeof(what), "%zu rules: find and read back", l.n);
        print(what, rd);
        cgroup_dev_list_clear(&l);
        return 0;
}

int main(void) {
        const char *base = NULL;
        char dir[256];
        int r = 0;

        setenv("VIRTBUS_CGROUP_DEVICES", "bpf", 1);
        if (geteuid() != 0 || cgroup_device_filter(&base) != CGROUP_DEVICE_FILTER_BPF) {
                printf("skipped: needs root and a cgroup2 hierarchy\n");
                return 0;
        }
        snprintf(dir, sizeof(dir), "%s/virtbus-bpf-bench-%d", base, (int) getpid());
        if (mkdir(dir, 0755) < 0) {
                perror(dir);
                return 1;
        }
        for (unsigned disks = 0; r >= 0 && disks <= 64; disks = disks ? disks * 8 : 1)
                r = run(dir, disks);
        (void) cgroup_bpf_detach(dir);
        rmdir(dir);
        if (r < 0)
                fprintf(stderr, "failed: %s\n", strerror(-r));
        return r < 0;
}
