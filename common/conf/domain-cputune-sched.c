/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <cputune>'s bandwidth of the whole guest, its emulator and its IOThreads
 * (<global_period>, <emulator_quota>...) and the scheduler policy of its
 * threads (<vcpusched>, <iothreadsched>). */
#include <inttypes.h>
#include <stdlib.h>

#include "cpuset.h"
#include "domain-conf-internal.h"

/* The schema's cpuperiod and cpuquota, as for <period> and <quota>. */
#define PERIOD_MIN 1000
#define PERIOD_MAX 1000000
#define QUOTA_MAX INT64_C(17592186044415)

static int parse_period(xmlNodePtr n, const char *path, uint64_t *ret, ConfError *err) {
        int r = xml_text_ullong(n, path, ret, err);

        if (r < 0)
                return r;
        if (*ret < PERIOD_MIN || *ret > PERIOD_MAX)
                return xml_err_invalid(err, "value '%" PRIu64 "' of <%s> is out of range: %d to %d", *ret, path,
                                       PERIOD_MIN, PERIOD_MAX);
        return 0;
}

static int parse_quota(xmlNodePtr n, const char *path, int64_t *ret, ConfError *err) {
        int r = xml_text_llong(n, path, ret, err);

        if (r < 0)
                return r;
        if (*ret < -1 || *ret > QUOTA_MAX)
                return xml_err_invalid(err, "value '%" PRId64 "' of <%s> is out of range: -1 (unlimited) or up to %"
                                       PRId64, *ret, path, QUOTA_MAX);
        return 0;
}

/* libvirt's virDomainSchedulerParseCommonAttrs: a scheduler, and a priority
 * for the real-time ones (its range is the host's, checked at start). */
static int parse_sched_attrs(DomainThreadSched *s, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = DOMAIN_ATTR_ENUM(n, path, "scheduler", domain_sched_policy, &s->policy, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'scheduler' of <%s>", path);
        if (s->policy != DOMAIN_SCHED_FIFO && s->policy != DOMAIN_SCHED_RR)
                return 0;
        r = xml_attr_int(n, path, "priority", &s->priority, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'priority' of <%s> for scheduler '%s'", path,
                                   domain_sched_policy_to_string(s->policy));
        return 0;
}

static int parse_thread_sched(DomainThreadSched **list, size_t *n_list, const char *ids_attr, xmlNodePtr n,
                              const char *path, ConfError *err) {
        DomainThreadSched *s;
        cpu_set_t set;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, ids_attr, "scheduler", "priority");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = LIST_APPEND(*list, *n_list, &s, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, ids_attr, &s->ids, err);
        if (r < 0)
                return r;
        if (cpuset_parse(s->ids, &set) < 0 || CPU_COUNT(&set) == 0)
                return xml_err_invalid(err, "'%s' of attribute '%s' of <%s> is not a list of ids", s->ids, ids_attr,
                                       path);
        return parse_sched_attrs(s, n, path, err);
}

/* 1: n was one of ours, 0: not, or -errno. */
int domain_parse_cputune_sched(DomainCputuneDef *ct, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        if (xml_is(n, "vcpusched"))
                r = parse_thread_sched(&ct->vcpusched, &ct->n_vcpusched, "vcpus", n, path, err);
        else if (xml_is(n, "iothreadsched"))
                r = parse_thread_sched(&ct->iothreadsched, &ct->n_iothreadsched, "iothreads", n, path, err);
        else {
                struct { const char *name; uint64_t *period; int64_t *quota; } nums[] = {
                        { "global_period", &ct->global_period, NULL }, { "global_quota", NULL, &ct->global_quota },
                        { "emulator_period", &ct->emulator_period, NULL },
                        { "emulator_quota", NULL, &ct->emulator_quota },
                        { "iothread_period", &ct->iothread_period, NULL },
                        { "iothread_quota", NULL, &ct->iothread_quota },
                };
                size_t i = 0;

                while (i < ELEMENTSOF(nums) && !xml_is(n, nums[i].name))
                        i++;
                if (i == ELEMENTSOF(nums))
                        return 0;
                r = xml_check_unique(n, path, err);
                if (r >= 0)
                        r = XML_CHECK_ATTRS(n, path, err, NULL);
                if (r >= 0)
                        r = nums[i].period ? parse_period(n, path, nums[i].period, err)
                                           : parse_quota(n, path, nums[i].quota, err);
        }
        return r < 0 ? r : 1;
}

/* Each thread in at most one entry, each one existing (libvirt's words). */
static int check_sched_ids(const DomainDef *def, const DomainThreadSched *list, size_t n, bool iothreads,
                           ConfError *err) {
        const char *el = iothreads ? "iothreadsched" : "vcpusched";
        cpu_set_t seen;

        CPU_ZERO(&seen);
        for (size_t i = 0; i < n; i++) {
                cpu_set_t set;

                if (cpuset_parse(list[i].ids, &set) < 0)
                        return -EINVAL;
                for (unsigned id = 0; id < CPU_SETSIZE; id++) {
                        if (!CPU_ISSET(id, &set))
                                continue;
                        if (iothreads && !domain_def_find_iothread(def, id))
                                return xml_err_unsupported(err, "Cannot find 'iothread' : %u", id);
                        if (!iothreads && id >= def->vcpus)
                                return xml_err_invalid(err, "Cannot find vcpu '%u' of <cputune/%s>", id, el);
                        if (CPU_ISSET(id, &seen))
                                return xml_err_xml(err, "'%s' attributes '%s' must not overlap", el,
                                                   iothreads ? "iothreads" : "vcpus");
                        CPU_SET(id, &seen);
                }
        }
        return 0;
}

int domain_cputune_sched_finish(DomainDef *def, ConfError *err) {
        const DomainCputuneDef *ct = &def->cputune;

        return check_sched_ids(def, ct->vcpusched, ct->n_vcpusched, false, err) ?:
               check_sched_ids(def, ct->iothreadsched, ct->n_iothreadsched, true, err);
}

const DomainThreadSched *domain_def_thread_sched(const DomainDef *def, bool iothread, unsigned id) {
        const DomainThreadSched *list = iothread ? def->cputune.iothreadsched : def->cputune.vcpusched;
        size_t n = iothread ? def->cputune.n_iothreadsched : def->cputune.n_vcpusched;

        for (size_t i = 0; i < n; i++) {
                cpu_set_t set;

                if (id < CPU_SETSIZE && cpuset_parse(list[i].ids, &set) >= 0 && CPU_ISSET(id, &set))
                        return &list[i];
        }
        return NULL;
}

void domain_format_cputune_bandwidth(XmlWriter *w, const DomainCputuneDef *ct) {
        if (ct->global_period)
                xw_elementf(w, "global_period", "%" PRIu64, ct->global_period);
        if (ct->global_quota)
                xw_elementf(w, "global_quota", "%" PRId64, ct->global_quota);
        if (ct->emulator_period)
                xw_elementf(w, "emulator_period", "%" PRIu64, ct->emulator_period);
        if (ct->emulator_quota)
                xw_elementf(w, "emulator_quota", "%" PRId64, ct->emulator_quota);
        if (ct->iothread_period)
                xw_elementf(w, "iothread_period", "%" PRIu64, ct->iothread_period);
        if (ct->iothread_quota)
                xw_elementf(w, "iothread_quota", "%" PRId64, ct->iothread_quota);
}

static void format_sched_list(XmlWriter *w, const char *el, const char *ids_attr, const DomainThreadSched *l,
                              size_t n) {
        for (size_t i = 0; i < n; i++) {
                xw_start(w, el);
                xw_attr(w, ids_attr, l[i].ids);
                xw_attr(w, "scheduler", domain_sched_policy_to_string(l[i].policy));
                if (l[i].policy == DOMAIN_SCHED_FIFO || l[i].policy == DOMAIN_SCHED_RR)
                        xw_attrf(w, "priority", "%d", l[i].priority);
                xw_end(w);
        }
}

void domain_format_cputune_sched(XmlWriter *w, const DomainCputuneDef *ct) {
        format_sched_list(w, "vcpusched", "vcpus", ct->vcpusched, ct->n_vcpusched);
        format_sched_list(w, "iothreadsched", "iothreads", ct->iothreadsched, ct->n_iothreadsched);
}

void domain_cputune_sched_clear(DomainCputuneDef *ct) {
        for (size_t i = 0; i < ct->n_vcpusched; i++)
                free(ct->vcpusched[i].ids);
        free(ct->vcpusched);
        for (size_t i = 0; i < ct->n_iothreadsched; i++)
                free(ct->iothreadsched[i].ids);
        free(ct->iothreadsched);
}

bool domain_cputune_sched_own(DomainCputuneDef *ct) {
        bool ok = OWN_ARRAY(ct->vcpusched, ct->n_vcpusched);

        for (size_t i = 0; i < ct->n_vcpusched; i++)
                ok = own_str(&ct->vcpusched[i].ids) && ok;
        ok = OWN_ARRAY(ct->iothreadsched, ct->n_iothreadsched) && ok;
        for (size_t i = 0; i < ct->n_iothreadsched; i++)
                ok = own_str(&ct->iothreadsched[i].ids) && ok;
        return ok;
}
