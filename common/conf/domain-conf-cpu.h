/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <cpu> (mode, model, features, topology, caches, NUMA cells with their
 * HMAT caches and interconnects) and <clock> with its timers.
 * Part of domain-conf.h, which includes it where these types belong: include
 * domain-conf.h, not this file. */

typedef enum DomainCpuMode {
        DOMAIN_CPU_MODE_NONE, /* no <cpu> or <cpu> without mode and model */
        DOMAIN_CPU_MODE_CUSTOM,
        DOMAIN_CPU_MODE_HOST_MODEL,
        DOMAIN_CPU_MODE_HOST_PASSTHROUGH,
        DOMAIN_CPU_MODE_MAXIMUM,
        _DOMAIN_CPU_MODE_MAX,
} DomainCpuMode;

typedef enum DomainCpuFeaturePolicy {
        DOMAIN_CPU_FEATURE_FORCE,
        DOMAIN_CPU_FEATURE_REQUIRE,
        DOMAIN_CPU_FEATURE_OPTIONAL,
        DOMAIN_CPU_FEATURE_DISABLE,
        DOMAIN_CPU_FEATURE_FORBID,
        _DOMAIN_CPU_FEATURE_MAX,
} DomainCpuFeaturePolicy;

typedef struct DomainCpuFeature {
        char *name;
        DomainCpuFeaturePolicy policy;
} DomainCpuFeature;

/* <cpu><numa><cell id='' cpus='' memory='' unit=''/>: a guest NUMA node. */
/* <memoryBacking><access mode=''/>, <cell memAccess=''/>. */
typedef enum DomainMemoryAccess {
        DOMAIN_MEMORY_ACCESS_DEFAULT,
        DOMAIN_MEMORY_ACCESS_SHARED,
        DOMAIN_MEMORY_ACCESS_PRIVATE,
        _DOMAIN_MEMORY_ACCESS_MAX,
} DomainMemoryAccess;

/* <cell><cache level='' associativity='' policy=''><size/><line/></cache>:
 * a memory-side cache of a guest NUMA cell, and <numa><interconnects>'
 * <latency>/<bandwidth> between cells: the guest's ACPI HMAT
 * (domain-numa-hmat.c). */
typedef enum DomainNumaCacheAssociativity {
        DOMAIN_NUMA_CACHE_ASSOC_NONE,
        DOMAIN_NUMA_CACHE_ASSOC_DIRECT,
        DOMAIN_NUMA_CACHE_ASSOC_FULL,
        _DOMAIN_NUMA_CACHE_ASSOC_MAX,
} DomainNumaCacheAssociativity;

typedef enum DomainNumaCachePolicy {
        DOMAIN_NUMA_CACHE_POLICY_NONE,
        DOMAIN_NUMA_CACHE_POLICY_WRITEBACK,
        DOMAIN_NUMA_CACHE_POLICY_WRITETHROUGH,
        _DOMAIN_NUMA_CACHE_POLICY_MAX,
} DomainNumaCachePolicy;

typedef struct DomainNumaCache {
        unsigned level;         /* 1 to 3 */
        DomainNumaCacheAssociativity associativity;
        DomainNumaCachePolicy policy;
        uint64_t size_kib;
        uint64_t line;          /* bytes */
} DomainNumaCache;

typedef enum DomainNumaAccess {
        DOMAIN_NUMA_ACCESS_ACCESS,
        DOMAIN_NUMA_ACCESS_READ,
        DOMAIN_NUMA_ACCESS_WRITE,
        _DOMAIN_NUMA_ACCESS_MAX,
} DomainNumaAccess;

typedef struct DomainNumaInterconnect {
        bool bandwidth;         /* <bandwidth> (KiB/s), else <latency> (ns) */
        unsigned initiator, target;
        unsigned cache;         /* the target's cache level, 0: its memory */
        DomainNumaAccess type;
        uint64_t value;
} DomainNumaInterconnect;

typedef struct DomainNumaCell {
        unsigned id;          /* 0.. in order */
        char *cpus;           /* the vCPUs in it, libvirt's cpuset syntax */
        uint64_t memory_kib;
        DomainMemoryAccess mem_access; /* memAccess='shared|private': overrides <memoryBacking><access> */
        Tristate discard;     /* discard='yes|no': overrides <memoryBacking><discard> */
        /* <distances><sibling id='' value=''/>: by sibling cell id, 0 = not
         * given; NULL: no distances (domain-numa-distances.c) */
        unsigned *distances;
        size_t n_distances;
        DomainNumaCache *caches;
        size_t n_caches;
} DomainNumaCell;

/* <cpu><cache mode=''/> and <cpu><maxphysaddr mode=''/>: domain-cpu-cache.c */
typedef enum DomainCpuCacheMode {
        DOMAIN_CPU_CACHE_NONE,
        DOMAIN_CPU_CACHE_EMULATE,
        DOMAIN_CPU_CACHE_PASSTHROUGH,
        DOMAIN_CPU_CACHE_DISABLE,
        _DOMAIN_CPU_CACHE_MAX,
} DomainCpuCacheMode;

typedef enum DomainCpuPhysaddrMode {
        DOMAIN_CPU_PHYSADDR_NONE,
        DOMAIN_CPU_PHYSADDR_EMULATE,
        DOMAIN_CPU_PHYSADDR_PASSTHROUGH,
        _DOMAIN_CPU_PHYSADDR_MAX,
} DomainCpuPhysaddrMode;

const char *domain_cpu_cache_mode_to_string(DomainCpuCacheMode m);
const char *domain_numa_cache_policy_to_string(DomainNumaCachePolicy p);
const char *domain_numa_access_to_string(DomainNumaAccess a);
const char *domain_cpu_physaddr_mode_to_string(DomainCpuPhysaddrMode m);

typedef struct DomainCpuDef {
        bool present;         /* a <cpu> element was given */
        DomainCpuMode mode;
        char *match;          /* "exact", "minimum", "strict" or NULL */
        char *check;          /* "none", "partial", "full" or NULL */
        Tristate migratable;  /* migratable='on|off': host-passthrough and maximum only */
        char *model;
        char *model_fallback; /* "allow", "forbid" or NULL */
        char *model_vendor_id; /* <model vendor_id=''>: the 12 characters CPUID shows, -cpu vendor= */
        char *vendor;
        unsigned sockets, dies, cores, threads; /* 0 = no <topology> */
        DomainCpuFeature *features;
        size_t n_features;
        DomainNumaCell *cells;  /* <numa> */
        size_t n_cells;
        DomainNumaInterconnect *interconnects;
        size_t n_interconnects;
        DomainCpuCacheMode cache_mode;
        unsigned cache_level;   /* 0 = not given */
        DomainCpuPhysaddrMode physaddr_mode;
        unsigned physaddr_bits; /* 0 = not given */
} DomainCpuDef;

typedef enum DomainClockOffset {
        DOMAIN_CLOCK_UTC,
        DOMAIN_CLOCK_LOCALTIME,
        DOMAIN_CLOCK_VARIABLE,
        DOMAIN_CLOCK_TIMEZONE,  /* localtime of a named zone: QEMU runs with TZ= */
        DOMAIN_CLOCK_ABSOLUTE,  /* the guest's RTC starts at a fixed date each boot */
        _DOMAIN_CLOCK_MAX,
} DomainClockOffset;

typedef enum DomainClockBasis {
        DOMAIN_CLOCK_BASIS_UTC,
        DOMAIN_CLOCK_BASIS_LOCALTIME,
        _DOMAIN_CLOCK_BASIS_MAX,
} DomainClockBasis;

/* <clock><timer name=''/>: the timers we model. platform and armvtimer
 * are refused by the parser. */
typedef enum DomainTimerName {
        DOMAIN_TIMER_RTC,
        DOMAIN_TIMER_PIT,
        DOMAIN_TIMER_HPET,
        DOMAIN_TIMER_KVMCLOCK,
        DOMAIN_TIMER_HYPERVCLOCK, /* the Hyper-V reference TSC page: -cpu hv-time */
        DOMAIN_TIMER_TSC,         /* frequency: -cpu tsc-frequency= */
        _DOMAIN_TIMER_MAX,
} DomainTimerName;

typedef enum DomainTimerTickpolicy {
        DOMAIN_TIMER_TICKPOLICY_DEFAULT, /* not given */
        DOMAIN_TIMER_TICKPOLICY_DELAY,
        DOMAIN_TIMER_TICKPOLICY_CATCHUP,
        DOMAIN_TIMER_TICKPOLICY_MERGE,
        DOMAIN_TIMER_TICKPOLICY_DISCARD,
        _DOMAIN_TIMER_TICKPOLICY_MAX,
} DomainTimerTickpolicy;

typedef enum DomainTimerTrack {
        DOMAIN_TIMER_TRACK_DEFAULT, /* not given */
        DOMAIN_TIMER_TRACK_BOOT,
        DOMAIN_TIMER_TRACK_GUEST,
        DOMAIN_TIMER_TRACK_WALL,
        DOMAIN_TIMER_TRACK_REALTIME,
        _DOMAIN_TIMER_TRACK_MAX,
} DomainTimerTrack;

/* <timer name='tsc' mode=''/>: how the guest's TSC is provided. */
typedef enum DomainTimerMode {
        DOMAIN_TIMER_MODE_DEFAULT, /* not given */
        DOMAIN_TIMER_MODE_AUTO,
        DOMAIN_TIMER_MODE_NATIVE,
        DOMAIN_TIMER_MODE_EMULATE,
        DOMAIN_TIMER_MODE_PARAVIRT,
        DOMAIN_TIMER_MODE_SMPSAFE,
        _DOMAIN_TIMER_MODE_MAX,
} DomainTimerMode;

/* What each timer takes is the schema's (domain-clock.c); which values a
 * hypervisor honours is its driver's check (qemud/qemu-validate.c). */
typedef struct DomainTimerDef {
        DomainTimerName name;
        Tristate present;             /* present='yes|no' */
        DomainTimerTickpolicy tickpolicy;
        DomainTimerTrack track;       /* rtc only */
        uint64_t frequency;           /* tsc only, Hz; 0 = not given */
        DomainTimerMode mode;         /* tsc only */
        /* <catchup threshold slew limit/> of tickpolicy='catchup'; 0 = not
         * given (libvirt formats only what is above 0). QEMU has no knob for
         * them: they are kept for the management that reads them. */
        uint64_t catchup_threshold, catchup_slew, catchup_limit;
} DomainTimerDef;

typedef struct DomainClockDef {
        DomainClockOffset offset;
        /* offset='variable' only */
        int64_t adjustment;       /* seconds */
        DomainClockBasis basis;
        char *timezone;           /* offset='timezone': an IANA zone name */
        uint64_t start;           /* offset='absolute': seconds since the epoch, UTC */
        /* live: when a localtime basis is started it is turned into a utc
         * adjustment, so that the guest's offset survives migration and DST. */
        DomainTimerDef timers[_DOMAIN_TIMER_MAX]; /* in document order, each name once */
        size_t n_timers;
} DomainClockDef;
