/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The processes of a container's cgroup, all at once: frozen and thawed
 * (Suspend, Resume), killed (what is left at stop). Each takes an open
 * Cgroup, whatever folders it names: tests/unit/test-lxc-cgroup.c points
 * one at a temporary tree, and at a real cgroup of the v2 hierarchy. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "lxc-cgroup.h"
#include "util.h"

/* How long a v2 freeze may take before Suspend gives up (and thaws): the
 * kernel stops each task at its next return to user space. */
#define FREEZE_TIMEOUT_MS 1000

/* On v2 every controller's folder is the one cgroup. */
static CgroupController any_controller(const Cgroup *cg) {
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->dirs[c])
                        return c;
        return _CGROUP_CONTROLLER_MAX;
}

/* cgroup.events: "populated N\nfrozen N\n". */
static int v2_event(const Cgroup *cg, CgroupController c, const char *key) {
        _cleanup_free_ char *s = NULL;
        size_t len = strlen(key);
        int r = cgroup_get(cg, c, "cgroup.events", &s);

        if (r < 0)
                return r;
        for (char *line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, key, len) == 0 && line[len] == ' ')
                        return line[len + 1] == '1';
        return -ENODATA;
}

static int v2_set_frozen(const Cgroup *cg, bool freeze) {
        CgroupController c = any_controller(cg);
        int r;

        if (c == _CGROUP_CONTROLLER_MAX)
                return -ENODEV;
        r = cgroup_set(cg, c, "cgroup.freeze", freeze ? "1" : "0");
        if (r < 0 || !freeze)
                return r;
        /* Suspend answers once nothing runs, as libvirt's LXC driver does */
        for (unsigned waited = 0;; waited += 5) {
                r = v2_event(cg, c, "frozen");
                if (r != 0)
                        return r < 0 ? r : 0;
                if (waited >= FREEZE_TIMEOUT_MS)
                        break;
                usleep(5000);
        }
        (void) cgroup_set(cg, c, "cgroup.freeze", "0");
        return -ETIMEDOUT;
}

/* v1 says FREEZING until every task has stopped. */
static int v1_set_frozen(const Cgroup *cg, bool freeze) {
        int r = cgroup_set(cg, CGROUP_FREEZER, "freezer.state", freeze ? "FROZEN" : "THAWED");

        if (r < 0 || !freeze)
                return r;
        for (unsigned waited = 0;; waited += 5) {
                _cleanup_free_ char *state = NULL;
                r = cgroup_get(cg, CGROUP_FREEZER, "freezer.state", &state);
                if (r < 0 || streq(state, "FROZEN"))
                        return r < 0 ? r : 0;
                if (waited >= FREEZE_TIMEOUT_MS)
                        break;
                usleep(5000);
        }
        (void) cgroup_set(cg, CGROUP_FREEZER, "freezer.state", "THAWED");
        return -ETIMEDOUT;
}

int lxc_cgroup_set_frozen(const Cgroup *cg, bool freeze) {
        return cg->v2 ? v2_set_frozen(cg, freeze) : v1_set_frozen(cg, freeze);
}

/* SIGKILL to each pid of one folder's cgroup.procs; how many. */
static int kill_listed(const Cgroup *cg, CgroupController c) {
        _cleanup_free_ char *s = NULL;
        int r = cgroup_get(cg, c, "cgroup.procs", &s), n = 0;

        if (r < 0)
                return r;
        for (char *tok = strtok(s, "\n"); tok; tok = strtok(NULL, "\n")) {
                int pid;
                if (safe_atoi(tok, &pid) >= 0 && pid > 0 && kill(pid, SIGKILL) == 0)
                        n++;
        }
        return n;
}

/* v2: cgroup.kill (Linux 5.14) takes the whole subtree at once; else, and
 * on v1, each listed process. A frozen process dies once thawed. */
int lxc_cgroup_kill_all(const Cgroup *cg) {
        CgroupController c = cg->v2 ? any_controller(cg) : _CGROUP_CONTROLLER_MAX;
        int n = 0, r;

        if (cg->v2) {
                if (c == _CGROUP_CONTROLLER_MAX)
                        return -ENODEV;
                if (cgroup_has_file(cg, c, "cgroup.kill"))
                        return cgroup_set(cg, c, "cgroup.kill", "1");
                r = kill_listed(cg, c);
                (void) cgroup_set(cg, c, "cgroup.freeze", "0");
                return r < 0 ? r : 0;
        }
        for (c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->dirs[c] && (r = kill_listed(cg, c)) > 0)
                        n += r;
        if (n > 0)
                (void) cgroup_set(cg, CGROUP_FREEZER, "freezer.state", "THAWED");
        return 0;
}
