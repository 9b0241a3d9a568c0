/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/polkit.c: the start time polkit identifies a process by, read
 * from /proc/PID/stat past a command name that may hold ") " and spaces. */
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "polkit.h"
#include "unit.h"
#include "util.h"

/* Field 22 the plain way, for a command without spaces or parentheses. */
static unsigned long long start_time_simple(pid_t pid) {
        char path[64], comm[64];
        unsigned long long t = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        if (fscanf(f, "%*d (%63[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                   comm, &t) != 2)
                t = 0;
        fclose(f);
        return t;
}

static uint64_t uptime_ticks(void) {
        double up = 0;
        FILE *f = fopen("/proc/uptime", "re");

        if (f) {
                if (fscanf(f, "%lf", &up) != 1)
                        up = 0;
                fclose(f);
        }
        return (uint64_t) ((up + 1) * sysconf(_SC_CLK_TCK));
}

static void test_own_start_time(void) {
        uint64_t t = 0;

        CHECK_INTEQ(polkit_process_start_time(getpid(), &t), 0);
        CHECK(t > 0);
        CHECK(t == start_time_simple(getpid()));
}

static void test_odd_command_name(void) {
        int pipefd[2];
        uint64_t t = 0, parent = 0;
        pid_t pid;
        char c;

        CHECK(pipe(pipefd) == 0);
        pid = fork();
        if (pid == 0) {
                (void) prctl(PR_SET_NAME, "a) b (c) d", 0, 0, 0);
                (void) !write(pipefd[1], "x", 1);
                pause();
                _exit(0);
        }
        CHECK(read(pipefd[0], &c, 1) == 1);
        CHECK_INTEQ(polkit_process_start_time(pid, &t), 0);
        CHECK_INTEQ(polkit_process_start_time(getpid(), &parent), 0);
        /* a child starts no earlier than its parent, and before now */
        CHECK(t >= parent);
        CHECK(t <= uptime_ticks());
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        CHECK(polkit_process_start_time(pid, &t) < 0); /* gone */
        close(pipefd[0]);
        close(pipefd[1]);
}

UNIT_TESTS(test_own_start_time, test_odd_command_name)
