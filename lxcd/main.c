/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtbus-lxcd: LXC containers on D-Bus. "--supervise" runs one
 * container's supervisor instead (lxc-supervise.h). */

#include "domain-daemon.h"
#include "log.h"
#include "lxc-domain.h"
#include "lxc-supervise.h"
#include "util.h"

int main(int argc, char *argv[]) {
        if (argc > 1 && streq(argv[1], "--supervise")) {
                log_set_ident("virtbus-lxcd-supervise");
                return lxc_supervise_main(argv + 2);
        }
        log_set_ident("virtbus-lxcd");
        return domain_daemon_run(&lxc_driver, "lxcd", "lxc", argc, argv);
}
