/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtbus-secretd: secrets (passphrases, keys) and their values, for the
 * guests' encrypted disks, network disk logins and TPM state. */
#include "daemon.h"
#include "log.h"
#include "manager.h"

int main(int argc, char *argv[]) {
        DaemonOptions o = { .name = "secretd", .state_dir = "secrets" };
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_set_ident("virtbus-secretd");
        r = daemon_parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        if (daemon_prepare(&o) < 0)
                return 1;
        r = manager_new(&o, &m);
        if (r < 0)
                return 1;
        r = manager_start(m);
        if (r < 0)
                return 1;
        return manager_run(m) < 0 ? 1 : 0;
}
