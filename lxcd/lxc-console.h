/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A container's console for OpenConsole (domain-console.h). The supervisor
 * holds the master of the init's console pty and copies what it prints to
 * the log; it also listens on <rundir>/<name>.console (its exit file's
 * name with .console for .exit), and while a client is connected there it
 * gets the same output and what it sends goes to the init. One client at a
 * time: a new one replaces the one before (lxcd's core decides who). */

#include <stdbool.h>

#include "domain-console.h"

extern const DomainConsoleOps lxc_console_ops;

/* Supervisor side. Listens beside exit_file (NULL: no console socket);
 * -errno. */
int lxc_console_listen(const char *exit_file);
/* Waits up to timeout_ms for the console's master, the socket or its
 * client, and moves what came: the master's output to stdout and the
 * client. false once the master has ended. */
bool lxc_console_serve(int master, int timeout_ms);
/* Stops listening and removes the socket. */
void lxc_console_close(void);
