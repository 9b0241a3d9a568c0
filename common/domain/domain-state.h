/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libvirt's numbers for domain states, their reasons and lifecycle events:
 * they go over the bus unchanged, so they must match libvirt's enums. */

typedef enum DomainState {
        DOMAIN_NOSTATE = 0,
        DOMAIN_RUNNING = 1,
        DOMAIN_BLOCKED = 2,
        DOMAIN_PAUSED = 3,
        DOMAIN_SHUTDOWN = 4,
        DOMAIN_SHUTOFF = 5,
        DOMAIN_CRASHED = 6,
        DOMAIN_PMSUSPENDED = 7,
} DomainState;

enum { /* running reasons */
        DOMAIN_RUNNING_UNKNOWN = 0,
        DOMAIN_RUNNING_BOOTED = 1,
        DOMAIN_RUNNING_UNPAUSED = 5,
};

enum { /* paused reasons */
        DOMAIN_PAUSED_UNKNOWN = 0,
        DOMAIN_PAUSED_USER = 1,
        DOMAIN_PAUSED_SHUTTING_DOWN = 8,
        DOMAIN_PAUSED_STARTING_UP = 11,
};

enum { /* shutdown reasons */
        DOMAIN_SHUTDOWN_UNKNOWN = 0,
        DOMAIN_SHUTDOWN_USER = 1,
};

enum { /* shutoff reasons */
        DOMAIN_SHUTOFF_UNKNOWN = 0,
        DOMAIN_SHUTOFF_SHUTDOWN = 1,
        DOMAIN_SHUTOFF_DESTROYED = 2,
        DOMAIN_SHUTOFF_CRASHED = 3,
        DOMAIN_SHUTOFF_FAILED = 6,
        DOMAIN_SHUTOFF_DAEMON = 8,
};

enum { /* crashed reasons */
        DOMAIN_CRASHED_PANICKED = 1,
};

/* A snapshot's revert (or HALT) stopped and started the guest: libvirt's
 * reasons and lifecycle details for it. */
enum {
        DOMAIN_RUNNING_FROM_SNAPSHOT = 4,
        DOMAIN_PAUSED_FROM_SNAPSHOT = 7,
        DOMAIN_SHUTOFF_FROM_SNAPSHOT = 7,
        DOMAIN_EVENT_DEFINED_FROM_SNAPSHOT = 3,
        DOMAIN_EVENT_STARTED_FROM_SNAPSHOT = 3,
        DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT = 5,
        DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT = 2,
        DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT = 6,
};

enum { /* events and their details */
        DOMAIN_EVENT_DEFINED = 0,
        DOMAIN_EVENT_DEFINED_ADDED = 0,
        DOMAIN_EVENT_DEFINED_UPDATED = 1,

        DOMAIN_EVENT_UNDEFINED = 1,
        DOMAIN_EVENT_UNDEFINED_REMOVED = 0,

        DOMAIN_EVENT_STARTED = 2,
        DOMAIN_EVENT_STARTED_BOOTED = 0,

        DOMAIN_EVENT_SUSPENDED = 3,
        DOMAIN_EVENT_SUSPENDED_PAUSED = 0,

        DOMAIN_EVENT_RESUMED = 4,
        DOMAIN_EVENT_RESUMED_UNPAUSED = 0,

        DOMAIN_EVENT_STOPPED = 5,
        DOMAIN_EVENT_STOPPED_SHUTDOWN = 0,
        DOMAIN_EVENT_STOPPED_DESTROYED = 1,
        DOMAIN_EVENT_STOPPED_CRASHED = 2,
        DOMAIN_EVENT_STOPPED_FAILED = 5,

        DOMAIN_EVENT_SHUTDOWN = 6,
        DOMAIN_EVENT_SHUTDOWN_FINISHED = 0,
        DOMAIN_EVENT_SHUTDOWN_GUEST = 1,
        DOMAIN_EVENT_SHUTDOWN_HOST = 2,

        DOMAIN_EVENT_CRASHED = 8,
        DOMAIN_EVENT_CRASHED_PANICKED = 0,
};

/* Flags of the libvirt API calls we take. */
enum {
        DOMAIN_START_PAUSED = 1 << 0,
        DOMAIN_START_AUTODESTROY = 1 << 1,
        DOMAIN_START_BYPASS_CACHE = 1 << 2,
        DOMAIN_START_FORCE_BOOT = 1 << 3,
        DOMAIN_START_VALIDATE = 1 << 4,

        DOMAIN_XML_SECURE = 1 << 0,
        DOMAIN_XML_INACTIVE = 1 << 1,
        DOMAIN_XML_UPDATE_CPU = 1 << 2,
        DOMAIN_XML_MIGRATABLE = 1 << 3,

        DOMAIN_DESTROY_GRACEFUL = 1 << 0,

        DOMAIN_SHUTDOWN_ACPI_POWER_BTN = 1 << 0,
        DOMAIN_REBOOT_ACPI_POWER_BTN = 1 << 0,

        DOMAIN_STATS_STATE = 1 << 0,
        DOMAIN_STATS_CPU_TOTAL = 1 << 1,
        DOMAIN_STATS_BALLOON = 1 << 2,
        DOMAIN_STATS_VCPU = 1 << 3,

        LIST_DOMAINS_ACTIVE = 1 << 0,
        LIST_DOMAINS_INACTIVE = 1 << 1,
        LIST_DOMAINS_PERSISTENT = 1 << 2,
        LIST_DOMAINS_TRANSIENT = 1 << 3,
        LIST_DOMAINS_RUNNING = 1 << 4,
        LIST_DOMAINS_PAUSED = 1 << 5,
        LIST_DOMAINS_SHUTOFF = 1 << 6,
        LIST_DOMAINS_OTHER = 1 << 7,
        LIST_DOMAINS_MANAGEDSAVE = 1 << 8,
        LIST_DOMAINS_NO_MANAGEDSAVE = 1 << 9,
        LIST_DOMAINS_AUTOSTART = 1 << 10,
        LIST_DOMAINS_NO_AUTOSTART = 1 << 11,
        LIST_DOMAINS_HAS_SNAPSHOT = 1 << 12,
        LIST_DOMAINS_NO_SNAPSHOT = 1 << 13,
        LIST_DOMAINS_HAS_CHECKPOINT = 1 << 14,
        LIST_DOMAINS_NO_CHECKPOINT = 1 << 15,
        LIST_DOMAINS_ALL_FLAGS = 0xffff,

        /* virDomainUndefineFlags: managed save, snapshots, nvram, checkpoints,
         * TPM state. None of them exists here, so each is fine to ask for. */
        DOMAIN_UNDEFINE_ALL_FLAGS = 0x7f,

        /* virConnectGetAllDomainStatsFlags: the state filters, NOWAIT,
         * BACKING and ENFORCE_STATS. */
        DOMAIN_STATS_ALL_FLAGS = 0xff | 1u << 29 | 1u << 30 | 1u << 31,
};

const char *domain_state_to_string(DomainState s);
const char *domain_shutoff_reason_to_string(int reason);
int domain_state_from_string(const char *s);
