/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtbus-qemud: QEMU/KVM domains on D-Bus. */

#include "domain-daemon.h"
#include "log.h"
#include "qemu-driver.h"

int main(int argc, char *argv[]) {
        log_set_ident("virtbus-qemud");
        return domain_daemon_run(&qemu_driver, "qemud", "qemu", argc, argv);
}
