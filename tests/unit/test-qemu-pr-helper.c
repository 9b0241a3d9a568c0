/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The qemu-pr-helper qemud runs for managed <reservations>: on the socket
 * qemud binds, handed over by socket activation, Debian's real helper
 * answers QEMU's pr-manager-helper object (QMP query-pr-managers says it is
 * connected). No host SCSI device is needed for that: only the reservation
 * commands of a device='lun' disk would reach one. */

#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "util.h"
#include "qemu-pr-helper.h"
#include "qemu-virtiofs.h"

#define QEMU "/usr/bin/qemu-system-x86_64"

static char *qmp_answers(const char *sock, const char *dir) {
        _cleanup_free_ char *in = NULL, *cmd = NULL;
        char buf[4096];
        size_t n = 0;
        FILE *f;

        if (asprintf(&in, "%s/qmp.in", dir) < 0)
                return NULL;
        f = fopen(in, "we");
        if (!f)
                return NULL;
        fputs("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-pr-managers\"}\n{\"execute\":\"quit\"}\n", f);
        fclose(f);
        if (asprintf(&cmd, QEMU " -machine none -nodefaults -display none -object "
                     "pr-manager-helper,id=pr-helper0,path=%s -qmp stdio < %s 2>&1", sock, in) < 0)
                return NULL;
        f = popen(cmd, "r");
        if (!f)
                return NULL;
        while (n < sizeof(buf) - 1) {
                size_t k = fread(buf + n, 1, sizeof(buf) - 1 - n, f);
                if (k == 0)
                        break;
                n += k;
        }
        buf[n] = 0;
        pclose(f);
        return strdup(buf);
}

static void test_helper_answers_qemu(void) {
        char dir[] = "/tmp/vb-prhelper-XXXXXX";
        _cleanup_free_ char *sock = NULL, *said = NULL;
        int fd, pidfd = -1, status;
        pid_t pid;

        if (access(QEMU_PR_HELPER, X_OK) < 0 || access(QEMU, X_OK) < 0)
                UNIT_SKIP(QEMU_PR_HELPER " or " QEMU " is not installed (Debian's qemu-system-common, "
                          "qemu-system-x86)");
        CHECK(mkdtemp(dir) != NULL);
        CHECK(asprintf(&sock, "%s/pr-helper0.sock", dir) > 0);
        fd = qemu_helper_listen_socket(sock, getuid(), getgid());
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        pid = qemu_pr_helper_spawn(QEMU_PR_HELPER, fd, STDERR_FILENO, &pidfd);
        close(fd);
        CHECK(pid > 0);
        if (pid <= 0)
                return;
        said = qmp_answers(sock, dir);
        CHECK(said && strstr(said, "\"id\": \"pr-helper0\"") && strstr(said, "\"connected\": true"));
        if (getenv("UNIT_VERBOSE") || (said && !strstr(said, "\"connected\": true")))
                fprintf(stderr, "  QEMU said: %s\n", said);
        /* it runs until qemud stops it */
        CHECK(waitpid(pid, &status, WNOHANG) == 0);
        CHECK(kill(pid, SIGTERM) == 0);
        CHECK(waitpid(pid, &status, 0) == pid);
        close(pidfd);
        (void) unlink(sock);
        _cleanup_free_ char *in = NULL;
        if (asprintf(&in, "%s/qmp.in", dir) > 0)
                (void) unlink(in);
        CHECK(rmdir(dir) == 0);
}

UNIT_TESTS(test_helper_answers_qemu)
