/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The live state file <rundir>/<driver dir>/<name>.xml of a running domain
 * (its format is described in domain-status.c). The core writes and reads
 * its own part; the driver adds its own elements (DomainDriver.status_*)
 * and picks the guest up again (adopt, lost, rollback). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain.h"

/* What a live state file says, as the driver's rollback hook gets it. */
typedef struct DomainStatus {
        const char *path;    /* the file */
        int state, reason, id;
        pid_t pid;           /* 0 when none was recorded */
        uint64_t starttime;  /* the pid's start time, 0 when not known */
        bool persistent;
        bool half_started;   /* a start cut short */
        char *autodestroy;
        char *job, *job_phase; /* the job under way */
        DomainDef *live;
} DomainStatus;

/* Writes d's live state (nothing while d has no live definition). */
int domain_status_save(Domain *d);
/* Removes it (d stopped). */
void domain_status_remove(Domain *d);
/* Reads every live state file back, through the driver's hooks. */
int domain_status_load_all(Manager *m);
/* Whether s->pid still is the process recorded (alive, same start time). */
bool domain_status_process_matches(const DomainStatus *s);
/* A value for a single-quoted XML attribute, for the driver's elements. */
char *domain_status_escape(const char *s);
