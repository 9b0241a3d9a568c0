/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Child processes: spawn with an explicit fd map, and watch any process (our
 * child or one we adopted after a restart) through a pidfd. */

#include <sys/types.h>

#include <systemd/sd-event.h>

#include "macro.h"

typedef struct ProcessFd {
        int fd;     /* in the parent */
        int target; /* number in the child; 0, 1, 2 for stdio */
} ProcessFd;

enum {
        PROCESS_NEW_SESSION = 1 << 0, /* setsid(): the child outlives the daemon's session */
        PROCESS_DEVNULL_STDIN = 1 << 1,
};

/* Starts argv[0] (a path) with exactly the fds in map open (plus stdin from
 * /dev/null when no map entry targets 0). Everything else is closed and signal
 * dispositions are reset. An exec failure is reported as its -errno. Returns
 * the pid, and a pidfd when ret_pidfd is not NULL. */
int process_spawn(char *const argv[], const ProcessFd *map, size_t n_map, unsigned flags,
                  pid_t *ret_pid, int *ret_pidfd);
/* The same, the child becoming uid:gid with groups (setgroups, setgid,
 * setuid) right before exec when creds is not NULL: QEMU under its DAC
 * user (common/security/security-dac.h). confine: CONFINE_* flags
 * (confine.h), applied just before the change of user. */
typedef struct ProcessCreds {
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;
        unsigned confine;
        char *const *ns_nodes;  /* CONFINE_MOUNT_NS: the nodes of its /dev (confine-ns.h) */
        const char *apparmor_profile; /* the exec runs under it (apparmor-load.h), NULL: as the parent */
} ProcessCreds;
int process_spawn_as(char *const argv[], const ProcessFd *map, size_t n_map, unsigned flags,
                     const ProcessCreds *creds, pid_t *ret_pid, int *ret_pidfd);
/* The same with envp as the program's whole environment (NULL: the caller's). */
int process_spawn_env(char *const argv[], char *const envp[], const ProcessFd *map, size_t n_map, unsigned flags,
                      const ProcessCreds *creds, pid_t *ret_pid, int *ret_pidfd);

/* fork() with the same fd map, and no exec: in the child (returns 0) only
 * the mapped fds are open (everything else is closed, not just marked
 * close-on-exec) and signal dispositions are reset; a child that cannot
 * map its fds exits 127. The parent gets 1, the pid and a pidfd when
 * ret_pidfd is not NULL. The caller must be single-threaded. */
int process_fork(const ProcessFd *map, size_t n_map, unsigned flags, pid_t *ret_pid, int *ret_pidfd);

int pidfd_open_pid(pid_t pid);
/* 1 if alive, 0 if gone (or a zombie), -errno on error. */
int pid_is_alive(pid_t pid);
/* Process start time in clock ticks since boot (field 22 of /proc/PID/stat),
 * to tell a pid from a recycled one after a restart. */
int pid_start_time(pid_t pid, uint64_t *ret);
/* utime + stime in nanoseconds. */
int pid_cpu_time_ns(pid_t pid, uint64_t *ret);
/* The pid a helper wrote to pidfile if that process still runs under one of
 * the names (its /proc/PID/comm; NULL-terminated), else 0: never a process
 * that took a recycled pid. */
pid_t pidfile_pid_named(const char *pidfile, const char *const names[]);

/* Calls cb once when the process behind pidfd exits. For our own children the
 * exit status is collected (si_code/si_status as from waitid); for adopted
 * processes *status is -1. */
typedef void (*process_exit_fn)(pid_t pid, int code, int status, void *userdata);
int process_watch(sd_event *e, pid_t pid, int pidfd, process_exit_fn cb, void *userdata,
                  sd_event_source **ret);

/* Runs a short helper synchronously and collects its stdout (for tests and
 * tools, never on a daemon's event loop). */
int process_run(char *const argv[], char **ret_stdout, int *ret_exit_status);
