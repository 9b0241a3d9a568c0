/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/confine.c: the settings, and what a confined child is left with
 * (checked in a forked child, in its /proc/self/status). */
#include <sys/wait.h>

#include "conf-file.h"
#include "confine.h"
#include "unit.h"
#include "util.h"

static void test_conf(void) {
        ConfineConf c;

        confine_conf_init(&c);
        CHECK(c.seccomp_sandbox == 1 && c.clear_caps);
        CHECK(confine_conf_flags(&c) == (CONFINE_NO_NEW_PRIVS | CONFINE_DROP_CAPS));
        CHECK_INTEQ(conf_parse_text("seccomp_sandbox = 0\nclear_emulator_capabilities = 0\n", confine_conf_apply, &c,
                                    NULL), 0);
        CHECK(c.seccomp_sandbox == 0 && !c.clear_caps);
        CHECK(confine_conf_flags(&c) == CONFINE_NO_NEW_PRIVS);
        CHECK_INTEQ(conf_parse_text("seccomp_sandbox = -1\n", confine_conf_apply, &c, NULL), 0);
        CHECK(c.seccomp_sandbox == -1);
        CHECK(conf_parse_text("seccomp_sandbox = 2\n", confine_conf_apply, &c, NULL) < 0);
        CHECK(strstr(c.bad, "seccomp_sandbox = 2"));
        CHECK(conf_parse_text("clear_emulator_capabilities = yes\n", confine_conf_apply, &c, NULL) < 0);
        CHECK(strstr(c.bad, "clear_emulator_capabilities = yes"));
        /* other groups' keys are theirs */
        CHECK_INTEQ(conf_parse_text("user = \"+64055\"\n", confine_conf_apply, &c, NULL), 0);
}

/* The value of one "Key:\t..." line of /proc/self/status. */
static unsigned long long status_field(const char *key) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        size_t n = strlen(key);

        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, key, n) == 0 && line[n] == ':')
                        return strtoull(line + n + 1, NULL, 16);
        return ~0ULL;
}

static int child_check(unsigned flags) {
        if (confine_child(flags) < 0)
                return 10;
        if (status_field("NoNewPrivs") != ((flags & CONFINE_NO_NEW_PRIVS) ? 1 : 0))
                return 11;
        if ((flags & CONFINE_DROP_CAPS) &&
            (status_field("CapBnd") != 0 || status_field("CapInh") != 0 || status_field("CapAmb") != 0))
                return 12;
        /* what the child still does before exec: its permitted set stays */
        if ((flags & CONFINE_DROP_CAPS) && status_field("CapEff") == 0)
                return 13;
        return 0;
}

static int run_child(unsigned flags) {
        int status;
        pid_t pid = fork();

        if (pid == 0)
                _exit(child_check(flags));
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

static void test_child(void) {
        if (geteuid() != 0) {
                UNIT_SKIP("not root: there are no capabilities to drop");
                return;
        }
        CHECK_INTEQ(run_child(CONFINE_NO_NEW_PRIVS), 0);
        CHECK_INTEQ(run_child(CONFINE_DROP_CAPS), 0);
        CHECK_INTEQ(run_child(CONFINE_NO_NEW_PRIVS | CONFINE_DROP_CAPS), 0);
}

UNIT_TESTS(test_conf, test_child)
