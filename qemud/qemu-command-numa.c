/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest NUMA cells (<cpu><numa><cell>) as QEMU's -numa node, each with a RAM
 * backend of its own bound to host nodes as <numatune> says: the cell's
 * <memnode> when it has one, else <numatune><memory> (libvirt's rules: a
 * restrictive mode binds through the cgroup only, automatic placement not at
 * all). */
#include <inttypes.h>
#include <sched.h>

#include "cpuset.h"
#include "qemu-command-internal.h"
#include "qemu-memdev.h"
#include "util.h"

/* A set as QemuOpts' repeated list key: "key=0-1,key=3". */
static int add_set(OptBuf *b, const char *key, const char *set) {
        cpu_set_t s;

        if (cpuset_parse(set, &s) < 0 || CPU_COUNT(&s) == 0)
                return -EINVAL;
        for (int i = 0; i < CPU_SETSIZE; i++) {
                int j = i;

                if (!CPU_ISSET(i, &s))
                        continue;
                while (j + 1 < CPU_SETSIZE && CPU_ISSET(j + 1, &s))
                        j++;
                if (j > i)
                        opt_add(b, "%s=%d-%d", key, i, j);
                else
                        opt_add(b, "%s=%d", key, i);
                i = j;
        }
        return 0;
}

static const DomainMemnodeDef *memnode_of(const DomainDef *def, unsigned cell) {
        for (size_t i = 0; i < def->numatune.n_memnodes; i++)
                if (def->numatune.memnodes[i].cellid == cell)
                        return &def->numatune.memnodes[i];
        return NULL;
}

/* host-nodes= and policy= of one cell's backend. */
static int add_binding(QemuCmd *c, OptBuf *b, unsigned cell) {
        const DomainNumatuneDef *nt = &c->def->numatune;
        const DomainMemnodeDef *m = memnode_of(c->def, cell);
        const char *mode = m ? m->mode : nt->mode, *nodes = m ? m->nodeset : nt->nodeset;

        if (!nt->present || !nodes || (!m && streq_ptr(nt->placement, "auto")) || streq_ptr(mode, "restrictive"))
                return 0;
        if (add_set(b, "host-nodes", nodes) < 0)
                return cmd_fail(c, -EINVAL, "invalid host nodeset '%s' for guest NUMA cell %u", nodes, cell);
        opt_add(b, "policy=%s", !mode || streq(mode, "strict") ? "bind" : mode);
        return 0;
}

/* libvirt's virDomainNumaGetNodeInitiator: a cell with vCPUs is its own
 * initiator; another one takes the cell of lowest latency to it, else of
 * highest bandwidth, else the first cell with vCPUs. */
static unsigned cell_initiator(const DomainCpuDef *cpu, const DomainNumaCell *cell) {
        const DomainNumaInterconnect *best_lat = NULL, *best_bw = NULL;

        if (cell->cpus)
                return cell->id;
        for (size_t i = 0; i < cpu->n_interconnects; i++) {
                const DomainNumaInterconnect *l = &cpu->interconnects[i];

                if (l->target != cell->id)
                        continue;
                if (l->bandwidth && (!best_bw || l->value > best_bw->value))
                        best_bw = l;
                else if (!l->bandwidth && (!best_lat || l->value < best_lat->value))
                        best_lat = l;
        }
        if (best_lat)
                return best_lat->initiator;
        if (best_bw)
                return best_bw->initiator;
        for (size_t i = 0; i < cpu->n_cells; i++)
                if (cpu->cells[i].cpus)
                        return cpu->cells[i].id;
        return 0;
}

static int build_cell(QemuCmd *c, const DomainNumaCell *cell) {
        char id[32];
        OptBuf b = {};
        int r;

        snprintf(id, sizeof(id), "ram-node%u", cell->id);
        r = qemu_memory_backend_start(c, &b, id, cell);
        if (r < 0) {
                opt_done(&b);
                return r;
        }
        opt_add(&b, "size=%" PRIu64 "k", cell->memory_kib);
        r = add_binding(c, &b, cell->id);
        if (r >= 0)
                r = cmd_opt(c, "-object", &b);
        else
                opt_done(&b);
        if (r < 0)
                return r;
        opt_add(&b, "node,nodeid=%u", cell->id);
        /* a cell without vCPUs is memory only */
        if (cell->cpus && add_set(&b, "cpus", cell->cpus) < 0) {
                opt_done(&b);
                return cmd_fail(c, -EINVAL, "invalid cpus '%s' of guest NUMA cell %u", cell->cpus, cell->id);
        }
        if (qemu_numa_has_hmat(c->def))
                opt_add(&b, "initiator=%u", cell_initiator(&c->def->cpu, cell));
        opt_add(&b, "memdev=ram-node%u", cell->id);
        return cmd_opt(c, "-numa", &b);
}

/* <distances>: one -numa dist per distance known (given, or filled in the
 * other direction by the parser), as libvirt's; QEMU names a missing pair. */
static int build_distances(QemuCmd *c, const DomainNumaCell *cell) {
        for (size_t j = 0; cell->distances && j < cell->n_distances; j++) {
                int r;

                if (!cell->distances[j])
                        continue;
                r = cmd_arg(c, "-numa") ?:
                    cmd_argf(c, "dist,src=%u,dst=%zu,val=%u", cell->id, j, cell->distances[j]);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool qemu_numa_has_hmat(const DomainDef *def) {
        if (def->cpu.n_interconnects)
                return true;
        for (size_t i = 0; i < def->cpu.n_cells; i++)
                if (def->cpu.cells[i].n_caches)
                        return true;
        return false;
}

/* <interconnects> as -numa hmat-lb: the hierarchy is the target's memory
 * or its cache of that level. */
static int build_hmat_lb(QemuCmd *c, const DomainNumaInterconnect *l) {
        static const char *const hierarchy[] = { "memory", "first-level", "second-level", "third-level" };

        if (l->cache >= ELEMENTSOF(hierarchy))
                return cmd_fail(c, -EINVAL, "invalid cache level %u of a NUMA interconnect", l->cache);
        return cmd_arg(c, "-numa") ?:
               cmd_argf(c, "hmat-lb,initiator=%u,target=%u,hierarchy=%s,data-type=%s-%s,%s=%" PRIu64 "%s",
                        l->initiator, l->target, hierarchy[l->cache], domain_numa_access_to_string(l->type),
                        l->bandwidth ? "bandwidth" : "latency", l->bandwidth ? "bandwidth" : "latency", l->value,
                        l->bandwidth ? "K" : "");
}

/* <cell><cache> as -numa hmat-cache, which QEMU takes only after the
 * hmat-lb of the cell. */
static int build_hmat_cache(QemuCmd *c, const DomainNumaCell *cell, const DomainNumaCache *k) {
        static const char *const assoc[] = {
                [DOMAIN_NUMA_CACHE_ASSOC_NONE] = "none",
                [DOMAIN_NUMA_CACHE_ASSOC_DIRECT] = "direct",
                [DOMAIN_NUMA_CACHE_ASSOC_FULL] = "complex",
        };
        static const char *const policy[] = {
                [DOMAIN_NUMA_CACHE_POLICY_NONE] = "none",
                [DOMAIN_NUMA_CACHE_POLICY_WRITEBACK] = "write-back",
                [DOMAIN_NUMA_CACHE_POLICY_WRITETHROUGH] = "write-through",
        };
        OptBuf b = {};

        opt_add(&b, "hmat-cache,node-id=%u,size=%" PRIu64 "K,level=%u", cell->id, k->size_kib, k->level);
        opt_add(&b, "associativity=%s,policy=%s", assoc[k->associativity], policy[k->policy]);
        if (k->line)
                opt_add(&b, "line=%" PRIu64, k->line);
        return cmd_opt(c, "-numa", &b);
}

static int build_hmat(QemuCmd *c) {
        const DomainCpuDef *cpu = &c->def->cpu;
        int r;

        for (size_t i = 0; i < cpu->n_interconnects; i++)
                if ((r = build_hmat_lb(c, &cpu->interconnects[i])) < 0)
                        return r;
        for (size_t i = 0; i < cpu->n_cells; i++)
                for (size_t j = 0; j < cpu->cells[i].n_caches; j++)
                        if ((r = build_hmat_cache(c, &cpu->cells[i], &cpu->cells[i].caches[j])) < 0)
                                return r;
        return 0;
}

int qemu_build_numa(QemuCmd *c) {
        const DomainCpuDef *cpu = &c->def->cpu;
        uint64_t total = 0;
        int r;

        for (size_t i = 0; i < cpu->n_cells; i++)
                total += cpu->cells[i].memory_kib;
        if (cpu->n_cells > 0 && total != qemu_memdev_initial_kib(c->def))
                return cmd_fail(c, -EINVAL, "the guest NUMA cells' memory (%" PRIu64 " KiB) is not <memory> (%"
                                PRIu64 " KiB) less the memory devices", total, c->def->memory_kib);
        for (size_t i = 0; i < cpu->n_cells; i++)
                if ((r = build_cell(c, &cpu->cells[i])) < 0)
                        return r;
        for (size_t i = 0; i < cpu->n_cells; i++)
                if ((r = build_distances(c, &cpu->cells[i])) < 0)
                        return r;
        return build_hmat(c);
}
