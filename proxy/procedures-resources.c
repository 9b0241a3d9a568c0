/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vCPUs, the memory balloon and IOThreads: libvirt's procedures on the
 * Domain methods of domain-resources-dbus.c. The old calls without flags
 * get the flags libvirt's QEMU driver gives them (virDomainSetVcpus: live,
 * virDomainSetMaxMemory: the maximum of the current definition). */

#include "procedures.h"
#include "error.h"
#include "xdr.h"

#define R PROC_READ
#define DOMAIN "org.libvirt.Domain"

enum {
        AFFECT_LIVE = 1,
        VCPU_MAXIMUM = 4,
        MEM_MAXIMUM = 4,
        MEMORY_STATS_MAX = 1024,        /* REMOTE_DOMAIN_MEMORY_STATS_MAX */
        IOTHREAD_INFO_MAX = 16384,      /* REMOTE_IOTHREAD_INFO_MAX */
};

static int append_u(sd_bus_message *m, uint32_t flags) {
        return sd_bus_message_append_basic(m, 'u', &flags);
}

static int append_live(Call *c, sd_bus_message *m) {
        return append_u(m, AFFECT_LIVE);
}

static int append_live_maximum(Call *c, sd_bus_message *m) {
        return append_u(m, AFFECT_LIVE | VCPU_MAXIMUM);
}

static int append_mem_maximum(Call *c, sd_bus_message *m) {
        return append_u(m, MEM_MAXIMUM);
}

/* PinIOThread's cpumap: libvirt's bytes (CPU i is bit i % 8 of byte i / 8)
 * as libvirt-dbus's booleans, then the flags ("Duon"). */
static int append_cpumap_flags(Call *c, sd_bus_message *m) {
        const CallValue *map = &c->v[1];
        uint32_t flags = (uint32_t) c->v[2].i;
        int r;

        r = sd_bus_message_open_container(m, 'a', "b");
        for (uint32_t i = 0; r >= 0 && i < map->u * 8; i++) {
                int b = (((const uint8_t *) map->s)[i / 8] >> (i % 8)) & 1;
                r = sd_bus_message_append_basic(m, 'b', &b);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r < 0 ? r : append_u(m, flags);
}

static int reply_u_as_int(Call *c, sd_bus_message *m) {
        uint32_t u;
        int r = sd_bus_message_read(m, "u", &u);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, (int32_t) u);
        return 0;
}

/* remote_domain_memory_stats_ret: stats<> of (int tag, unsigned hyper val),
 * at most maxStats of them. */
static int reply_memory_stats(Call *c, sd_bus_message *m) {
        uint32_t max = (uint32_t) c->v[0].i, n = 0;
        size_t count_at = c->w.len;
        int32_t tag;
        uint64_t val;
        int r;

        if (c->v[0].i < 0 || max > MEMORY_STATS_MAX)
                return call_fail(c, VIR_ERR_INVALID_ARG, LIBVIRT_FROM_RPC, "maxStats %d is out of range (0 to %d)",
                                 c->v[0].i, MEMORY_STATS_MAX);
        xdr_put_u32(&c->w, 0);
        r = sd_bus_message_enter_container(m, 'a', "{it}");
        while (r >= 0 && (r = sd_bus_message_read(m, "{it}", &tag, &val)) > 0) {
                if (n >= max)
                        continue;
                xdr_put_i32(&c->w, tag);
                xdr_put_u64(&c->w, val);
                n++;
        }
        if (r < 0)
                return r;
        xdr_patch_u32(&c->w, count_at, n);
        return 0;
}

/* remote_domain_get_iothread_info_ret: info<> of (unsigned iothread_id,
 * opaque cpumap<>), then unsigned ret (their count). */
static int reply_iothread_info(Call *c, sd_bus_message *m) {
        size_t count_at = c->w.len;
        uint32_t n = 0;
        int r;

        xdr_put_u32(&c->w, 0);
        r = sd_bus_message_enter_container(m, 'a', "(uab)");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'r', "uab")) > 0) {
                uint8_t map[CALL_OPAQUE_MAX] = {};
                const int *bits;
                size_t size, ncpus;
                uint32_t id;

                r = sd_bus_message_read(m, "u", &id);
                if (r >= 0)
                        r = sd_bus_message_read_array(m, 'b', (const void **) &bits, &size);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                ncpus = MIN(size / sizeof(int), (size_t) CALL_OPAQUE_MAX * 8);
                for (size_t i = 0; i < ncpus; i++)
                        if (bits[i])
                                map[i / 8] |= (uint8_t) (1u << (i % 8));
                if (n < IOTHREAD_INFO_MAX) {
                        xdr_put_u32(&c->w, id);
                        xdr_put_opaque(&c->w, map, (uint32_t) ((ncpus + 7) / 8));
                        n++;
                }
        }
        if (r < 0)
                return r;
        xdr_patch_u32(&c->w, count_at, n);
        xdr_put_u32(&c->w, n);
        return 0;
}

/* Sorted by number (procedure_find() searches it). */
static const ProcDef rows[] = {
        { 18, "virDomainGetMaxVcpus", R, "D", DOMAIN, "GetVcpus", .append = append_live_maximum,
          .reply = reply_u_as_int },
        { 30, "virDomainSetMaxMemory", 0, "Dh", DOMAIN, "SetMemory", .append = append_mem_maximum,
          .reply = reply_void },
        { 31, "virDomainSetMemory", 0, "Dh", DOMAIN, "SetMemory", .append = append_live, .reply = reply_void },
        { 32, "virDomainSetVcpus", 0, "Du", DOMAIN, "SetVcpus", .append = append_live, .reply = reply_void },
        { 159, "virDomainMemoryStats", R, "Dnu", DOMAIN, "MemoryStats", .reply = reply_memory_stats },
        { 199, "virDomainSetVcpusFlags", 0, "Duu", DOMAIN, "SetVcpus", .reply = reply_void },
        { 200, "virDomainGetVcpusFlags", R, "Du", DOMAIN, "GetVcpus", .reply = reply_u_as_int },
        { 204, "virDomainSetMemoryFlags", 0, "Dhu", DOMAIN, "SetMemory", .reply = reply_void },
        { 308, "virDomainSetMemoryStatsPeriod", 0, "Diu", DOMAIN, "SetMemoryStatsPeriod", .reply = reply_void },
        { 351, "virDomainGetIOThreadInfo", R, "Du", DOMAIN, "GetIOThreadInfo", .reply = reply_iothread_info },
        { 352, "virDomainPinIOThread", 0, "Duon", DOMAIN, "PinIOThread", .append = append_cpumap_flags,
          .reply = reply_void },
        { 355, "virDomainAddIOThread", 0, "Duu", DOMAIN, "AddIOThread", .reply = reply_void },
        { 356, "virDomainDelIOThread", 0, "Duu", DOMAIN, "DelIOThread", .reply = reply_void },
        { 384, "virDomainSetVcpu", 0, "Dsiu", DOMAIN, "SetVcpu", .reply = reply_void },
};

const ProcTable proc_table_resources = { rows, ELEMENTSOF(rows) };
