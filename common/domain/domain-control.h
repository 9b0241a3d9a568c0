/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The guest's other controls (org.libvirt.Domain): keys, NMI, power
 * management wake-up, disk errors, peeks into disks and memory, metadata,
 * rename, control info, and the signals of the events behind them.
 *
 * What needs no hypervisor (metadata, rename, control info, block peek) is
 * done by the core in domain-control.c; the driver's hooks below do the
 * rest. A NULL hook: the method answers NotSupported. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "domain-affect.h"
#include "domain-conf.h"

typedef struct Domain Domain;

/* libvirt's numbers that go over the bus with these methods and signals. */
enum {
        DOMAIN_PMSUSPENDED_UNKNOWN = 0,          /* virDomainPMSuspendedReason */
        DOMAIN_RUNNING_WAKEUP = 8,               /* virDomainRunningReason */
        DOMAIN_PAUSED_IOERROR = 5,               /* virDomainPausedReason */
        DOMAIN_PAUSED_WATCHDOG = 6,
        DOMAIN_EVENT_STARTED_WAKEUP = 3,         /* STARTED's detail */
        DOMAIN_EVENT_SUSPENDED_IOERROR = 2,      /* SUSPENDED's details */
        DOMAIN_EVENT_SUSPENDED_WATCHDOG = 3,
        DOMAIN_EVENT_PMSUSPENDED = 7,
        DOMAIN_EVENT_PMSUSPENDED_MEMORY = 0,
        DOMAIN_EVENT_PMSUSPENDED_DISK = 1,
};

typedef enum DomainMetadataType { /* virDomainMetadataType */
        DOMAIN_METADATA_DESCRIPTION = 0,
        DOMAIN_METADATA_TITLE = 1,
        DOMAIN_METADATA_ELEMENT = 2,
        _DOMAIN_METADATA_TYPE_MAX,
} DomainMetadataType;

enum { /* virDomainControlState and the error reasons */
        DOMAIN_CONTROL_OK = 0,
        DOMAIN_CONTROL_JOB = 1,
        DOMAIN_CONTROL_OCCUPIED = 2,
        DOMAIN_CONTROL_ERROR = 3,
};

enum { /* virDomainDiskErrorCode */
        DOMAIN_DISK_ERROR_NONE = 0,
        DOMAIN_DISK_ERROR_UNSPEC = 1,
        DOMAIN_DISK_ERROR_NO_SPACE = 2,
};

enum { /* virDomainEventIOErrorAction */
        DOMAIN_IO_ERROR_NONE = 0,
        DOMAIN_IO_ERROR_PAUSE = 1,
        DOMAIN_IO_ERROR_REPORT = 2,
};

enum { /* virDomainEventGraphicsPhase and address family */
        DOMAIN_GRAPHICS_CONNECT = 0,
        DOMAIN_GRAPHICS_INITIALIZE = 1,
        DOMAIN_GRAPHICS_DISCONNECT = 2,
        DOMAIN_GRAPHICS_ADDRESS_IPV4 = 0,
        DOMAIN_GRAPHICS_ADDRESS_IPV6 = 1,
        DOMAIN_GRAPHICS_ADDRESS_UNIX = 2,
};

enum { /* virDomainEventWatchdogAction */
        DOMAIN_WATCHDOG_NONE = 0,
        DOMAIN_WATCHDOG_PAUSE = 1,
        DOMAIN_WATCHDOG_RESET = 2,
        DOMAIN_WATCHDOG_POWEROFF = 3,
        DOMAIN_WATCHDOG_SHUTDOWN = 4,
        DOMAIN_WATCHDOG_DEBUG = 5,
        DOMAIN_WATCHDOG_INJECTNMI = 6,
};

enum {
        DOMAIN_MEMORY_VIRTUAL = 1 << 0,  /* virDomainMemoryFlags */
        DOMAIN_MEMORY_PHYSICAL = 1 << 1,
        DOMAIN_SEND_KEY_MAX_KEYS = 16,   /* VIR_DOMAIN_SEND_KEY_MAX_KEYS */
        /* the largest peek answered at once: the RPC's buffer
         * (REMOTE_DOMAIN_BLOCK_PEEK_BUFFER_MAX, MEMORY_PEEK likewise) */
        DOMAIN_PEEK_MAX = 4 * 1024 * 1024,
};

/* The hooks. The job hooks (send_key, inject_nmi, pm_wakeup) run under the
 * domain's modify job with the contract of domain-job.h: 0 done, 1 the
 * driver ends the job and answers, -errno with error set. The query hooks
 * (disk_errors, memory_peek) take no job: they answer msg themselves, now
 * or later (return 1), or fail (-errno, error set). */
typedef struct DomainControlOps {
        /* keycodes already checked: 1..16 of them, in codeset (virKeycodeSet) */
        int (*send_key)(Domain *d, uint32_t codeset, uint32_t holdtime_ms, const uint32_t *keycodes, size_t n,
                        sd_bus_error *error);
        int (*inject_nmi)(Domain *d, sd_bus_error *error);
        int (*pm_wakeup)(Domain *d, sd_bus_error *error);
        /* answers msg with a(si): (disk target, DOMAIN_DISK_ERROR_*) of each disk in error */
        int (*disk_errors)(Domain *d, sd_bus_message *msg, sd_bus_error *error);
        /* answers msg with ay: size bytes of guest memory from start */
        int (*memory_peek)(Domain *d, uint64_t start, uint64_t size, bool physical, sd_bus_message *msg,
                           sd_bus_error *error);
        /* answers msg with h: a new client connection of graphics idx */
        int (*open_graphics_fd)(Domain *d, uint32_t idx, bool skipauth, sd_bus_message *msg, sd_bus_error *error);
        /* NULL in QEMU, as in libvirt's QEMU driver (LXC has them) */
        int (*send_process_signal)(Domain *d, int64_t pid, uint32_t signum, sd_bus_error *error);
        int (*create_with_files)(Domain *d, const int *fds, size_t n, uint32_t flags, sd_bus_message *msg,
                                 sd_bus_error *error);
} DomainControlOps;

/* ---- pieces shared with the driver and tested on their own ---- */

/* The metadata of type (and uri, for an element) of def: ret is NULL with
 * -ENOENT when there is none. An element comes without its own prefix, as
 * libvirt gives it. */
int domain_metadata_get(const DomainDef *def, DomainMetadataType type, const char *uri, char **ret);
/* Sets (value non-empty) or removes (empty or NULL) it; err says what is
 * wrong with value, key or uri (NULL or "" where not given). */
int domain_metadata_set(DomainDef *def, DomainMetadataType type, const char *value, const char *key,
                        const char *uri, ConfError *err);

/* Emits org.libvirt.Domain's signals on d's object (errors logged). */
void domain_emit_io_error(Domain *d, const char *src_path, const char *device, int action, const char *reason);
void domain_emit_signal(Domain *d, const char *member, const char *types, ...);
