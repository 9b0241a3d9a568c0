/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtbus-lockd: leases on disks for the guests that use them. */
#include "daemon.h"
#include "log.h"
#include "manager.h"

int main(int argc, char *argv[]) {
        DaemonOptions o = { .name = "lockd", .state_dir = "lockd" };
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_set_ident("virtbus-lockd");
        r = daemon_parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        if (daemon_prepare(&o) < 0)
                return 1;
        r = manager_new(&o, argv, &m);
        if (r < 0)
                return 1;
        r = manager_start(m);
        if (r < 0)
                return 1;
        return manager_run(m) < 0 ? 1 : 0;
}
