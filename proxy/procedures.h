/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The procedure tables: procedures.c has the connection, lifecycle,
 * network and storage calls; each further group of Domain methods has its
 * rows in procedures-<group>.c, beside the conversions only it needs. Each
 * table is sorted by number; a number is in one table only. */

#include "call.h"

typedef struct ProcTable {
        const ProcDef *rows;
        size_t n;
} ProcTable;

extern const ProcTable proc_table_device;  /* procedures-device.c: attach, detach, update devices */
extern const ProcTable proc_table_resources; /* procedures-resources.c: vCPUs, IOThreads, balloon */
extern const ProcTable proc_table_tune;    /* procedures-tune.c: tuning, pinning, bandwidth */
extern const ProcTable proc_table_save;    /* procedures-save.c: save/restore, core dump, job info */
extern const ProcTable proc_table_agent;   /* procedures-agent.c: the guest agent */
extern const ProcTable proc_table_control; /* procedures-control.c: keys, NMI, metadata, rename, peeks */
extern const ProcTable proc_table_block;   /* procedures-block.c: block jobs, resize, threshold */
extern const ProcTable proc_table_snapshot; /* procedures-snapshot.c: snapshots */
extern const ProcTable proc_table_perf;    /* procedures-perf.c: perf events */
extern const ProcTable proc_table_interface; /* procedures-interface.c: interface bandwidth */
extern const ProcTable proc_table_security; /* procedures-security.c: security labels and models */
extern const ProcTable proc_table_stats;   /* procedures-stats.c: statistics, node info, CPU models */
extern const ProcTable proc_table_migrate; /* procedures-migrate.c: migration v3, its settings */
extern const ProcTable proc_table_secret;  /* procedures-secret.c: secrets (secretd) */
extern const ProcTable proc_table_messages; /* procedures-messages.c: virDomainGetMessages */

/* Every table, for tests: fills ret with at most max, returns how many. */
size_t procedure_tables(const ProcTable **ret, size_t max);

/* Conversions shared by the tables (call.h says how they are used). */
int append_u0(Call *c, sd_bus_message *m);         /* flags 0 */
int append_stats_all(Call *c, sd_bus_message *m);  /* GetStats(0xf, 0): what GetInfo needs */
int reply_void(Call *c, sd_bus_message *m);
/* Typed parameters of a Get*Parameters reply: read (at most max, a clear
 * error when the daemon's answer does not fit), checked, trimmed to the
 * first n; reply_params_counted writes params<max> and the count. */
int read_reply_params(Call *c, sd_bus_message *m, uint32_t max, TypedParams *ret);
int check_nparams(Call *c, int32_t nparams);
void keep_first(TypedParams *tp, size_t n);
int reply_params_counted(Call *c, sd_bus_message *m);
int reply_string(Call *c, sd_bus_message *m);      /* "s" -> string */
int reply_variant_string(Call *c, sd_bus_message *m);
int reply_variant_bool(Call *c, sd_bus_message *m);
int reply_variant_u64(Call *c, sd_bus_message *m);
int reply_domain(Call *c, sd_bus_message *m);      /* "o" -> the domain's handle */
int reply_domain_self(Call *c, sd_bus_message *m); /* void -> the handle of the domain called */
/* "o" -> the handle of the object of kind; "ao" -> handles<>, u32 count
 * (the ListAll* calls, need_results in the first 'n' value). */
int reply_handle(Call *c, sd_bus_message *m, HandleKind kind);
int reply_list(Call *c, sd_bus_message *m, HandleKind kind);
/* Reads one handle of path, then puts it as the result. */
int fetch_one(Call *c, HandleKind kind, const char *path);
/* "ao" -> a NULL-terminated list (never NULL) and its length. */
int read_paths(sd_bus_message *m, char ***ret, size_t *ret_n);
