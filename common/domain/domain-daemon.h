/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-driver.h"

/* The whole life of a domain daemon (qemud, lxcd) around its driver: the
 * command line, the bus, the manager and its objects, the event loop.
 * name: "qemud"; state_dir: its folder under the state directory. Returns
 * the process's exit status. */
int domain_daemon_run(const DomainDriver *driver, const char *name, const char *state_dir, int argc, char *argv[]);
