/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <memory>, <currentMemory>, <maxMemory>, <vcpu>, <cputune>, <numatune>,
 * <memtune>, <blkiotune>: what the guest gets from the host and how it is placed. */
#include <inttypes.h>

#include "domain-conf-internal.h"
#include "error.h"

/* ---- memory ---------------------------------------------------------------- */

int domain_parse_memory(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "unit", "dumpCore");

        if (r >= 0)
                r = domain_attr_tristate(n, path, "dumpCore", "on", "off", &def->memory_dump_core, err);
        return r < 0 ? r : xml_text_scaled_kib(n, path, &def->memory_kib, err);
}

int domain_parse_current_memory(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "unit");
        return r < 0 ? r : xml_text_scaled_kib(n, path, &def->current_memory_kib, err);
}

int domain_parse_max_memory(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "unit", "slots");
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "slots", &def->max_memory_slots, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'slots' of <%s>", path);
        return xml_text_scaled_kib(n, path, &def->max_memory_kib, err);
}

/* Sizes are always written in KiB, the unit they are kept in. */
static void format_kib(XmlWriter *w, const char *name, uint64_t kib, unsigned slots, Tristate dump_core) {
        xw_start(w, name);
        xw_attr(w, "dumpCore", tristate_word(dump_core, "on", "off"));
        if (slots)
                xw_attrf(w, "slots", "%u", slots);
        xw_attr(w, "unit", "KiB");
        xw_textf(w, "%" PRIu64, kib);
        xw_end(w);
}

void domain_format_memory(XmlWriter *w, const DomainDef *def) {
        if (def->max_memory_kib)
                format_kib(w, "maxMemory", def->max_memory_kib, def->max_memory_slots, TRISTATE_ABSENT);
        if (def->memory_kib)
                format_kib(w, "memory", def->memory_kib, 0, def->memory_dump_core);
        /* Always written, as libvirt does (the whole of <memory> unless
         * told otherwise): clients such as cockpit-machines read it. */
        if (def->current_memory_kib || def->memory_kib)
                format_kib(w, "currentMemory", def->current_memory_kib ?: def->memory_kib, 0, TRISTATE_ABSENT);
}

/* ---- vcpu ---------------------------------------------------------------- */

static const char *const placement_values[] = { "static", "auto" };

int domain_parse_vcpu(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "placement", "cpuset", "current");
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "placement", placement_values, ELEMENTSOF(placement_values),
                            &def->vcpu_placement, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "cpuset", &def->vcpu_cpuset, err);
        if (r > 0)
                r = domain_check_cpuset(def->vcpu_cpuset, "attribute 'cpuset' of", path, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "current", &def->vcpus_current, err);
        if (r < 0)
                return r;
        return xml_text_uint(n, path, &def->vcpus, err);
}

void domain_format_vcpu(XmlWriter *w, const DomainDef *def) {
        xw_start(w, "vcpu");
        xw_attr(w, "placement", def->vcpu_placement);
        xw_attr(w, "cpuset", def->vcpu_cpuset);
        if (def->vcpus_current)
                xw_attrf(w, "current", "%u", def->vcpus_current);
        xw_textf(w, "%u", def->vcpus);
        xw_end(w);
}

/* ---- iothreads ----------------------------------------------------------- */

/* At most as many IOThreads as list entries. */
#define IOTHREADS_MAX DOMAIN_LIST_MAX

int domain_parse_iothreads(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text_uint(n, path, &def->iothreads, err);
        if (r < 0)
                return r;
        if (def->iothreads > IOTHREADS_MAX)
                return xml_err_invalid(err, "value '%u' of <%s> is out of range: at most %d", def->iothreads, path,
                                       IOTHREADS_MAX);
        return 0;
}

static DomainIOThreadDef *find_iothread(const DomainDef *def, unsigned id) {
        for (size_t i = 0; i < def->n_iothreadids; i++)
                if (def->iothreadids[i].id == id)
                        return &def->iothreadids[i];
        return NULL;
}

static int parse_iothread_id(void *userdata, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDef *def = userdata;
        DomainIOThreadDef *t;
        unsigned id;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "id", "thread_pool_min", "thread_pool_max");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "id", &id, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'id' of <%s>", path);
        if (id == 0)
                return xml_err_invalid(err, "invalid iothread id '0' in <%s>: ids start at 1", path);
        if (find_iothread(def, id))
                return xml_err_invalid(err, "duplicate iothread id '%u' in <%s>", id, path);
        r = LIST_APPEND(def->iothreadids, def->n_iothreadids, &t, path, err);
        if (r < 0)
                return r;
        t->id = id;
        return domain_parse_thread_pool(&t->pool, n, path, err);
}

int domain_parse_iothreadids(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_parse_list(n, path, "iothread", parse_iothread_id, def, err);

        return r < 0 ? r : 0;
}

/* As libvirt: <iothreads> counts at least the <iothreadids> given; the rest
 * get the lowest free ids. */
int domain_iothreads_finish(DomainDef *def, ConfError *err) {
        unsigned next = 1;
        int r;

        while (def->n_iothreadids < def->iothreads) {
                DomainIOThreadDef *t;

                while (find_iothread(def, next))
                        next++;
                r = LIST_APPEND(def->iothreadids, def->n_iothreadids, &t, "iothreadids", err);
                if (r < 0)
                        return r;
                *t = (DomainIOThreadDef) { .id = next, .autofill = true };
        }
        def->iothreads = def->n_iothreadids;
        for (size_t i = 0; i < def->cputune.n_iothreadpin; i++)
                if (!find_iothread(def, def->cputune.iothreadpin[i].iothread))
                        return xml_err_invalid(err, "<cputune/iothreadpin> of IOThread %u, which does not exist",
                                               def->cputune.iothreadpin[i].iothread);
        r = domain_cputune_sched_finish(def, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainDiskDef *disk = &def->disks[i];

                if (!disk->iothread)
                        continue;
                if (disk->bus != DOMAIN_DISK_BUS_VIRTIO)
                        return conf_fail(err, VB_ERROR_CONFIG_UNSUPPORTED,
                                         "unsupported configuration: IOThreads are only available for virtio disks, "
                                         "not disk '%s'", disk->dst ?: "");
                if (!find_iothread(def, disk->iothread))
                        return xml_err_invalid(err, "disk '%s' uses IOThread %u, which is not in <iothreadids>",
                                               disk->dst ?: "", disk->iothread);
        }
        return 0;
}

DomainIOThreadDef *domain_def_find_iothread(const DomainDef *def, unsigned id) {
        return find_iothread(def, id);
}

const char *domain_def_iothread_pin(const DomainDef *def, unsigned id) {
        for (size_t i = 0; i < def->cputune.n_iothreadpin; i++)
                if (def->cputune.iothreadpin[i].iothread == id)
                        return def->cputune.iothreadpin[i].cpuset;
        return NULL;
}

int domain_def_add_iothread(DomainDef *def, unsigned id) {
        DomainIOThreadDef *t;
        ConfError err;

        if (id == 0 || find_iothread(def, id))
                return -EEXIST;
        if (LIST_APPEND(def->iothreadids, def->n_iothreadids, &t, "iothreadids", &err) < 0)
                return -ENOMEM;
        t->id = id;
        def->iothreads = def->n_iothreadids;
        return 0;
}

static void remove_pin(DomainCputuneDef *ct, unsigned id) {
        for (size_t i = 0; i < ct->n_iothreadpin; i++)
                if (ct->iothreadpin[i].iothread == id) {
                        free(ct->iothreadpin[i].cpuset);
                        memmove(&ct->iothreadpin[i], &ct->iothreadpin[i + 1],
                                (ct->n_iothreadpin - i - 1) * sizeof(ct->iothreadpin[0]));
                        ct->n_iothreadpin--;
                        return;
                }
}

int domain_def_del_iothread(DomainDef *def, unsigned id) {
        DomainIOThreadDef *t = find_iothread(def, id);
        size_t i;

        if (!t)
                return -ENOENT;
        i = (size_t) (t - def->iothreadids);
        memmove(t, t + 1, (def->n_iothreadids - i - 1) * sizeof(*t));
        def->n_iothreadids--;
        def->iothreads = def->n_iothreadids;
        remove_pin(&def->cputune, id);
        return 0;
}

int domain_def_pin_iothread(DomainDef *def, unsigned id, const char *cpuset) {
        DomainIOThreadPin *pin;
        char *copy = NULL;
        ConfError err;

        if (!find_iothread(def, id))
                return -ENOENT;
        if (cpuset && !(copy = strdup(cpuset)))
                return -ENOMEM;
        remove_pin(&def->cputune, id);
        if (!copy)
                return 0;
        if (LIST_APPEND(def->cputune.iothreadpin, def->cputune.n_iothreadpin, &pin, "cputune", &err) < 0) {
                free(copy);
                return -ENOMEM;
        }
        *pin = (DomainIOThreadPin) { .iothread = id, .cpuset = copy };
        def->cputune.present = true;
        return 0;
}

void domain_format_iothreads(XmlWriter *w, const DomainDef *def) {
        bool list = false;

        if (def->n_iothreadids == 0)
                return;
        xw_elementf(w, "iothreads", "%zu", def->n_iothreadids);
        for (size_t i = 0; i < def->n_iothreadids; i++)
                list = list || !def->iothreadids[i].autofill;
        if (!list)
                return;
        xw_start(w, "iothreadids");
        for (size_t i = 0; i < def->n_iothreadids; i++) {
                xw_start(w, "iothread");
                xw_attrf(w, "id", "%u", def->iothreadids[i].id);
                domain_format_thread_pool(w, &def->iothreadids[i].pool);
                xw_end(w);
        }
        xw_end(w);
}

/* ---- cputune ----------------------------------------------------------- */

/* Ranges are the schema's (cpuperiod, cpuquota, cpushares). */
#define CPU_PERIOD_MIN 1000
#define CPU_PERIOD_MAX 1000000
#define CPU_QUOTA_MAX INT64_C(17592186044415)

static int parse_cputune_number(DomainCputuneDef *ct, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        if (xml_is(n, "quota")) {
                r = xml_text_llong(n, path, &ct->quota, err);
                if (r < 0)
                        return r;
                if (ct->quota < -1 || ct->quota > CPU_QUOTA_MAX)
                        return xml_err_invalid(err, "value '%" PRId64 "' of <%s> is out of range: "
                                               "-1 (unlimited) or up to %" PRId64,
                                               ct->quota, path, CPU_QUOTA_MAX);
                return 0;
        }
        if (xml_is(n, "period")) {
                r = xml_text_ullong(n, path, &ct->period, err);
                if (r < 0)
                        return r;
                if (ct->period < CPU_PERIOD_MIN || ct->period > CPU_PERIOD_MAX)
                        return xml_err_invalid(err, "value '%" PRIu64 "' of <%s> is out of range: %d to %d",
                                               ct->period, path, CPU_PERIOD_MIN, CPU_PERIOD_MAX);
                return 0;
        }
        r = xml_text_ullong(n, path, &ct->shares, err);
        if (r < 0)
                return r;
        if (ct->shares > UINT32_MAX)
                return xml_err_invalid(err, "value '%" PRIu64 "' of <%s> is out of range", ct->shares, path);
        return 0;
}

static int parse_vcpupin(DomainCputuneDef *ct, xmlNodePtr n, const char *path, ConfError *err) {
        DomainVcpuPin *pin;
        unsigned vcpu;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "vcpu", "cpuset");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "vcpu", &vcpu, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'vcpu' of <%s>", path);
        for (size_t i = 0; i < ct->n_vcpupin; i++)
                if (ct->vcpupin[i].vcpu == vcpu)
                        return xml_err_invalid(err, "vcpu %u is pinned twice in <%s>", vcpu, path);
        r = LIST_APPEND(ct->vcpupin, ct->n_vcpupin, &pin, path, err);
        if (r < 0)
                return r;
        pin->vcpu = vcpu;
        r = xml_attr_str_required(n, path, "cpuset", &pin->cpuset, err);
        if (r < 0)
                return r;
        return domain_check_cpuset(pin->cpuset, "attribute 'cpuset' of", path, err);
}

static int parse_emulatorpin(DomainCputuneDef *ct, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "cpuset");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str_required(n, path, "cpuset", &ct->emulatorpin, err);
        if (r < 0)
                return r;
        return domain_check_cpuset(ct->emulatorpin, "attribute 'cpuset' of", path, err);
}

static int parse_iothreadpin(DomainCputuneDef *ct, xmlNodePtr n, const char *path, ConfError *err) {
        DomainIOThreadPin *pin;
        unsigned id;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "iothread", "cpuset");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "iothread", &id, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'iothread' of <%s>", path);
        for (size_t i = 0; i < ct->n_iothreadpin; i++)
                if (ct->iothreadpin[i].iothread == id)
                        return xml_err_invalid(err, "IOThread %u is pinned twice in <%s>", id, path);
        r = LIST_APPEND(ct->iothreadpin, ct->n_iothreadpin, &pin, path, err);
        if (r < 0)
                return r;
        pin->iothread = id;
        r = xml_attr_str_required(n, path, "cpuset", &pin->cpuset, err);
        if (r < 0)
                return r;
        return domain_check_cpuset(pin->cpuset, "attribute 'cpuset' of", path, err);
}

int domain_parse_cputune(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainCputuneDef *ct = &def->cputune;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        ct->present = true;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (xml_is(c, "shares") || xml_is(c, "period") || xml_is(c, "quota")) {
                        r = xml_check_unique(c, sub, err);
                        if (r >= 0)
                                r = parse_cputune_number(ct, c, sub, err);
                } else if (xml_is(c, "vcpupin"))
                        r = parse_vcpupin(ct, c, sub, err);
                else if (xml_is(c, "iothreadpin"))
                        r = parse_iothreadpin(ct, c, sub, err);
                else if (xml_is(c, "emulatorpin")) {
                        r = xml_check_unique(c, sub, err);
                        if (r >= 0)
                                r = parse_emulatorpin(ct, c, sub, err);
                } else {
                        r = domain_parse_cputune_sched(ct, c, sub, err);
                        if (r == 0)
                                r = xml_unsupported_element(c, path, err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_cputune(XmlWriter *w, const DomainCputuneDef *ct) {
        if (!ct->present)
                return;
        xw_start(w, "cputune");
        if (ct->shares)
                xw_elementf(w, "shares", "%" PRIu64, ct->shares);
        if (ct->period)
                xw_elementf(w, "period", "%" PRIu64, ct->period);
        if (ct->quota)
                xw_elementf(w, "quota", "%" PRId64, ct->quota);
        domain_format_cputune_bandwidth(w, ct);
        for (size_t i = 0; i < ct->n_vcpupin; i++) {
                xw_start(w, "vcpupin");
                xw_attrf(w, "vcpu", "%u", ct->vcpupin[i].vcpu);
                xw_attr(w, "cpuset", ct->vcpupin[i].cpuset);
                xw_end(w);
        }
        if (ct->emulatorpin) {
                xw_start(w, "emulatorpin");
                xw_attr(w, "cpuset", ct->emulatorpin);
                xw_end(w);
        }
        for (size_t i = 0; i < ct->n_iothreadpin; i++) {
                xw_start(w, "iothreadpin");
                xw_attrf(w, "iothread", "%u", ct->iothreadpin[i].iothread);
                xw_attr(w, "cpuset", ct->iothreadpin[i].cpuset);
                xw_end(w);
        }
        domain_format_cputune_sched(w, ct);
        xw_end(w);
}

/* ---- numatune ---------------------------------------------------------- */

static const char *const numa_mode_values[] = { "strict", "preferred", "interleave", "restrictive" };

static int parse_numatune_memory(DomainNumatuneDef *nt, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "mode", "placement", "nodeset");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "mode", numa_mode_values, ELEMENTSOF(numa_mode_values), &nt->mode, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "placement", placement_values, ELEMENTSOF(placement_values),
                            &nt->placement, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "nodeset", &nt->nodeset, err);
        if (r > 0)
                r = domain_check_cpuset(nt->nodeset, "attribute 'nodeset' of", path, err);
        if (r < 0)
                return r;
        /* with automatic placement numad picks the nodes: as libvirt's
         * virDomainNumatuneSet, a nodeset given with it is let go */
        if (nt->nodeset && streq_ptr(nt->placement, "auto"))
                nt->nodeset = (free(nt->nodeset), NULL);
        return 0;
}

static int parse_memnode(DomainNumatuneDef *nt, xmlNodePtr n, const char *path, ConfError *err) {
        DomainMemnodeDef *m;
        unsigned cellid;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "cellid", "mode", "nodeset");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "cellid", &cellid, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'cellid' of <%s>", path);
        for (size_t i = 0; i < nt->n_memnodes; i++)
                if (nt->memnodes[i].cellid == cellid)
                        return xml_err_invalid(err, "Multiple memnode elements with cellid %u", cellid);
        r = LIST_APPEND(nt->memnodes, nt->n_memnodes, &m, path, err);
        if (r < 0)
                return r;
        m->cellid = cellid;
        r = xml_attr_choice(n, path, "mode", numa_mode_values, ELEMENTSOF(numa_mode_values), &m->mode, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'mode' of <%s>", path);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "nodeset", &m->nodeset, err);
        if (r < 0)
                return r;
        return domain_check_cpuset(m->nodeset, "attribute 'nodeset' of", path, err);
}

int domain_parse_numatune(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainNumatuneDef *nt = &def->numatune;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        nt->present = true;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (xml_is(c, "memory")) {
                        r = xml_check_unique(c, sub, err);
                        if (r >= 0)
                                r = parse_numatune_memory(nt, c, sub, err);
                } else if (xml_is(c, "memnode"))
                        r = parse_memnode(nt, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (nt->n_memnodes > 0 && streq_ptr(nt->placement, "auto"))
                return xml_err_invalid(err, "Per-node binding is not compatible with automatic NUMA placement.");
        return 0;
}

/* libvirt's rule: a memnode binds one guest NUMA cell (<cpu><numa><cell>),
 * which it must name; <cpu> comes after <numatune>, hence once both are read. */
int domain_numatune_finish(DomainDef *def, ConfError *err) {
        const DomainNumatuneDef *nt = &def->numatune;

        if (nt->n_memnodes > 0 && def->cpu.n_cells == 0)
                return xml_err_invalid(err, "Element 'memnode' is invalid without any guest NUMA cells");
        for (size_t i = 0; i < nt->n_memnodes; i++)
                if (nt->memnodes[i].cellid >= def->cpu.n_cells)
                        return xml_err_invalid(err, "Invalid cellid attribute in memnode element: %u. Domain has "
                                               "%zu NUMA nodes.", nt->memnodes[i].cellid, def->cpu.n_cells);
        return 0;
}

void domain_format_numatune(XmlWriter *w, const DomainNumatuneDef *nt) {
        if (!nt->present)
                return;
        xw_start(w, "numatune");
        if (nt->mode || nt->placement || nt->nodeset) {
                xw_start(w, "memory");
                xw_attr(w, "mode", nt->mode);
                xw_attr(w, "placement", nt->placement);
                xw_attr(w, "nodeset", nt->nodeset);
                xw_end(w);
        }
        for (size_t i = 0; i < nt->n_memnodes; i++) {
                xw_start(w, "memnode");
                xw_attrf(w, "cellid", "%u", nt->memnodes[i].cellid);
                xw_attr(w, "mode", nt->memnodes[i].mode);
                xw_attr(w, "nodeset", nt->memnodes[i].nodeset);
                xw_end(w);
        }
        xw_end(w);
}

/* ---- memtune ----------------------------------------------------------- */

int domain_parse_memtune(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainMemtuneDef *mt = &def->memtune;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                uint64_t *v = xml_is(c, "hard_limit")        ? &mt->hard_limit
                              : xml_is(c, "soft_limit")      ? &mt->soft_limit
                              : xml_is(c, "swap_hard_limit") ? &mt->swap_hard_limit
                              : xml_is(c, "min_guarantee")   ? &mt->min_guarantee
                                                             : NULL;

                if (!v)
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = XML_CHECK_ATTRS(c, sub, err, "unit");
                if (r >= 0)
                        r = xml_text_scaled_kib(c, sub, v, err);
                if (r < 0)
                        return r;
        }
        return domain_memtune_check(mt, err);
}

int domain_memtune_check(const DomainMemtuneDef *mt, ConfError *err) {
        if (mt->hard_limit && mt->swap_hard_limit && mt->hard_limit > mt->swap_hard_limit)
                return xml_err_invalid(err, "memory hard_limit tunable value must be lower than or equal to "
                                       "swap_hard_limit");
        return 0;
}

void domain_format_memtune(XmlWriter *w, const DomainMemtuneDef *mt) {
        const struct {
                const char *name;
                uint64_t v;
        } limits[] = {
                { "hard_limit", mt->hard_limit },
                { "soft_limit", mt->soft_limit },
                { "swap_hard_limit", mt->swap_hard_limit },
                { "min_guarantee", mt->min_guarantee },
        };

        if (!mt->hard_limit && !mt->soft_limit && !mt->swap_hard_limit && !mt->min_guarantee)
                return;
        xw_start(w, "memtune");
        for (size_t i = 0; i < ELEMENTSOF(limits); i++)
                if (limits[i].v)
                        format_kib(w, limits[i].name, limits[i].v, 0, TRISTATE_ABSENT);
        xw_end(w);
}

/* ---- blkiotune --------------------------------------------------------- */

#define BLKIO_WEIGHT_MIN 100
#define BLKIO_WEIGHT_MAX 1000

static int parse_weight(xmlNodePtr n, const char *path, unsigned *ret, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text_uint(n, path, ret, err);
        if (r < 0)
                return r;
        if (*ret < BLKIO_WEIGHT_MIN || *ret > BLKIO_WEIGHT_MAX)
                return xml_err_invalid(err, "value %u of <%s> is out of range: %d to %d", *ret, path,
                                       BLKIO_WEIGHT_MIN, BLKIO_WEIGHT_MAX);
        return 0;
}

static int parse_blkio_number(DomainBlkioDevice *dev, xmlNodePtr n, const char *path, ConfError *err) {
        uint64_t v;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text_ullong(n, path, &v, err);
        if (r < 0)
                return r;
        if (xml_is(n, "read_bytes_sec"))
                dev->read_bytes_sec = v;
        else if (xml_is(n, "write_bytes_sec"))
                dev->write_bytes_sec = v;
        else if (v > UINT32_MAX)
                return xml_err_invalid(err, "value %" PRIu64 " of <%s> is out of range", v, path);
        else if (xml_is(n, "read_iops_sec"))
                dev->read_iops_sec = (unsigned) v;
        else
                dev->write_iops_sec = (unsigned) v;
        return 0;
}

static int parse_blkio_device(DomainBlkiotuneDef *bt, xmlNodePtr n, const char *path, ConfError *err) {
        DomainBlkioDevice *dev;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = LIST_APPEND(bt->devices, bt->n_devices, &dev, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                r = xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                if (xml_is(c, "path")) {
                        r = XML_CHECK_ATTRS(c, sub, err, NULL);
                        if (r >= 0)
                                r = xml_text(c, sub, &dev->path, err);
                        if (r >= 0 && (!dev->path || dev->path[0] != '/'))
                                r = xml_err_invalid(err, "<%s> must be an absolute path", sub);
                } else if (xml_is(c, "weight"))
                        r = parse_weight(c, sub, &dev->weight, err);
                else if (xml_is(c, "read_bytes_sec") || xml_is(c, "write_bytes_sec") || xml_is(c, "read_iops_sec") ||
                         xml_is(c, "write_iops_sec"))
                        r = parse_blkio_number(dev, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (!dev->path)
                return xml_err_xml(err, "missing element <%s/path>", path);
        for (size_t i = 0; i + 1 < bt->n_devices; i++)
                if (streq(bt->devices[i].path, dev->path))
                        return xml_err_invalid(err, "duplicate blkio device path '%s'", dev->path);
        return 0;
}

int domain_parse_blkiotune(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainBlkiotuneDef *bt = &def->blkiotune;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (xml_is(c, "weight")) {
                        r = xml_check_unique(c, sub, err);
                        if (r >= 0)
                                r = parse_weight(c, sub, &bt->weight, err);
                } else if (xml_is(c, "device"))
                        r = parse_blkio_device(bt, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_blkiotune(XmlWriter *w, const DomainBlkiotuneDef *bt) {
        if (!bt->weight && bt->n_devices == 0)
                return;
        xw_start(w, "blkiotune");
        if (bt->weight)
                xw_elementf(w, "weight", "%u", bt->weight);
        for (size_t i = 0; i < bt->n_devices; i++) {
                const DomainBlkioDevice *dev = &bt->devices[i];

                xw_start(w, "device");
                xw_element(w, "path", dev->path);
                if (dev->weight)
                        xw_elementf(w, "weight", "%u", dev->weight);
                if (dev->read_iops_sec)
                        xw_elementf(w, "read_iops_sec", "%u", dev->read_iops_sec);
                if (dev->write_iops_sec)
                        xw_elementf(w, "write_iops_sec", "%u", dev->write_iops_sec);
                if (dev->read_bytes_sec)
                        xw_elementf(w, "read_bytes_sec", "%" PRIu64, dev->read_bytes_sec);
                if (dev->write_bytes_sec)
                        xw_elementf(w, "write_bytes_sec", "%" PRIu64, dev->write_bytes_sec);
                xw_end(w);
        }
        xw_end(w);
}

void domain_blkio_device_clear(DomainBlkioDevice *dev) {
        free(dev->path);
        *dev = (DomainBlkioDevice) {};
}

/* ---- lifetime ---------------------------------------------------------- */

void domain_resources_clear(DomainDef *def) {
        free(def->vcpu_placement);
        free(def->vcpu_cpuset);
        free(def->vcpu_states);
        for (size_t i = 0; i < def->cputune.n_vcpupin; i++)
                free(def->cputune.vcpupin[i].cpuset);
        free(def->cputune.vcpupin);
        free(def->cputune.emulatorpin);
        for (size_t i = 0; i < def->cputune.n_iothreadpin; i++)
                free(def->cputune.iothreadpin[i].cpuset);
        free(def->cputune.iothreadpin);
        domain_cputune_sched_clear(&def->cputune);
        free(def->iothreadids);
        free(def->numatune.mode);
        free(def->numatune.placement);
        free(def->numatune.nodeset);
        for (size_t i = 0; i < def->numatune.n_memnodes; i++) {
                free(def->numatune.memnodes[i].mode);
                free(def->numatune.memnodes[i].nodeset);
        }
        free(def->numatune.memnodes);
        for (size_t i = 0; i < def->blkiotune.n_devices; i++)
                domain_blkio_device_clear(&def->blkiotune.devices[i]);
        free(def->blkiotune.devices);
        domain_memory_backing_clear(&def->memory_backing);
}

bool domain_resources_own(DomainDef *def) {
        bool ok = true;

        ok = own_str(&def->vcpu_placement) && ok;
        ok = own_str(&def->vcpu_cpuset) && ok;
        ok = OWN_ARRAY(def->vcpu_states, def->n_vcpu_states) && ok;
        ok = OWN_ARRAY(def->cputune.vcpupin, def->cputune.n_vcpupin) && ok;
        for (size_t i = 0; i < def->cputune.n_vcpupin; i++)
                ok = own_str(&def->cputune.vcpupin[i].cpuset) && ok;
        ok = own_str(&def->cputune.emulatorpin) && ok;
        ok = OWN_ARRAY(def->cputune.iothreadpin, def->cputune.n_iothreadpin) && ok;
        for (size_t i = 0; i < def->cputune.n_iothreadpin; i++)
                ok = own_str(&def->cputune.iothreadpin[i].cpuset) && ok;
        ok = domain_cputune_sched_own(&def->cputune) && ok;
        ok = OWN_ARRAY(def->iothreadids, def->n_iothreadids) && ok;
        ok = own_str(&def->numatune.mode) && ok;
        ok = own_str(&def->numatune.placement) && ok;
        ok = own_str(&def->numatune.nodeset) && ok;
        ok = OWN_ARRAY(def->numatune.memnodes, def->numatune.n_memnodes) && ok;
        for (size_t i = 0; i < def->numatune.n_memnodes; i++) {
                ok = own_str(&def->numatune.memnodes[i].mode) && ok;
                ok = own_str(&def->numatune.memnodes[i].nodeset) && ok;
        }
        ok = OWN_ARRAY(def->blkiotune.devices, def->blkiotune.n_devices) && ok;
        for (size_t i = 0; i < def->blkiotune.n_devices; i++)
                ok = own_str(&def->blkiotune.devices[i].path) && ok;
        ok = domain_memory_backing_own(&def->memory_backing) && ok;
        return ok;
}
