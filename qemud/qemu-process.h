/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Running a domain's QEMU: start, stop, the monitor, and reconnecting to it
 * after a restart: the QEMU driver's lifecycle hooks (domain-driver.h).
 * What the monitor's events do is in qemu-events.c. The start is a table of
 * steps and a finisher (start-plan.h), in qemu-start.c next to the
 * callbacks the steps wait for; the process's life after it is in
 * qemu-process.c. */

#include <systemd/sd-bus.h>

#include "domain.h"

/* Starts the domain; call (may be NULL) is answered once the guest runs or
 * the start failed. flags: DOMAIN_START_*. The caller holds the domain's
 * start job (or none is active: it is taken here); it ends with the start. */
int qemu_process_start(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error);
/* Kills QEMU, or cancels a start still preparing; call (may be NULL) is
 * answered when the process is gone. Needs no job: it breaks in. */
int qemu_process_destroy(Domain *d, sd_bus_message *call, sd_bus_error *error);
/* These run under the domain's job (domain-job.h). They return 0 when done
 * (the caller ends the job), 1 when QEMU's answer ends the job and answers
 * its call, or -errno with error set. Shutdown and Reboot press the ACPI
 * power button and are done at once, as libvirt does. */
int qemu_process_shutdown(Domain *d, sd_bus_error *error);
int qemu_process_reboot(Domain *d, sd_bus_error *error);
int qemu_process_reset(Domain *d, sd_bus_error *error);
int qemu_process_suspend(Domain *d, sd_bus_error *error);
int qemu_process_resume(Domain *d, sd_bus_error *error);

/* After a restart: watch the QEMU still running as pid and reconnect to its
 * monitor; or report a guest whose QEMU went away while we were down. */
int qemu_process_adopt(Domain *d, pid_t pid);
void qemu_process_lost(Domain *d);
/* Or undo a start that a restart cut short: kill its QEMU (pid, 0 for none
 * found), release what it took, shut off (failed). May free d. */
int qemu_process_rollback(Domain *d, pid_t pid);

/* For qemu-events.c: asks QEMU to go (SIGTERM now, SIGKILL after a
 * while); or, once QEMU was asked to quit, only the SIGKILL after a while. */
void qemu_process_kill(Domain *d);
void qemu_process_kill_later(Domain *d);
