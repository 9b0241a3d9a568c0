/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <vcpus><vcpu id='' enabled='' hotpluggable='' order=''/></vcpus>: the
 * state of each vCPU. As in libvirt, once given the list covers every vCPU
 * (those left out are disabled), a vCPU's hotpluggable defaults to 'no'
 * when enabled and 'yes' when not, and the enabled ones are the current
 * count, whatever <vcpu current=''> said. */
#include <stdlib.h>

#include "domain-conf-internal.h"

static int parse_vcpu_state(void *userdata, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDef *def = userdata;
        DomainVcpuState *s;
        Tristate enabled = TRISTATE_ABSENT;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "id", "enabled", "hotpluggable", "order");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = LIST_APPEND(def->vcpu_states, def->n_vcpu_states, &s, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "id", &s->id, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'id' of <%s>", path);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "enabled", "yes", "no", &enabled, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'enabled' of <%s>", path);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "hotpluggable", "yes", "no", &s->hotpluggable, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "order", &s->order, err);
        if (r < 0)
                return r;
        s->enabled = enabled == TRISTATE_ON;
        return 0;
}

int domain_parse_vcpus(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_parse_list(n, path, "vcpu", parse_vcpu_state, def, err);

        return r < 0 ? r : 0;
}

/* An empty <vcpus/> is no list at all for libvirt. */
int domain_vcpus_finish(DomainDef *def, ConfError *err) {
        _cleanup_free_ DomainVcpuState *given = TAKE_PTR(def->vcpu_states);
        size_t n_given = def->n_vcpu_states;
        unsigned enabled = 0;

        def->n_vcpu_states = 0;
        if (n_given == 0)
                return 0;
        for (size_t i = 0; i < n_given; i++)
                if (given[i].id >= def->vcpus)
                        return xml_err_xml(err, "vcpu id '%u' is out of range of maximum vcpu count", given[i].id);
        def->vcpu_states = calloc(def->vcpus, sizeof(DomainVcpuState));
        if (!def->vcpu_states)
                return xml_err_oom(err);
        def->n_vcpu_states = def->vcpus;
        for (unsigned i = 0; i < def->vcpus; i++)
                def->vcpu_states[i].id = i;
        for (size_t i = 0; i < n_given; i++)
                def->vcpu_states[given[i].id] = given[i];
        for (unsigned i = 0; i < def->vcpus; i++) {
                DomainVcpuState *s = &def->vcpu_states[i];

                if (s->hotpluggable == TRISTATE_ABSENT)
                        s->hotpluggable = s->enabled ? TRISTATE_OFF : TRISTATE_ON;
                else if (s->hotpluggable == TRISTATE_OFF && !s->enabled)
                        return xml_err_unsupported(err, "vcpu '%u' is both offline and not hotpluggable", i);
                enabled += s->enabled;
        }
        def->vcpus_current = enabled == def->vcpus ? 0 : enabled;
        return 0;
}

void domain_format_vcpus(XmlWriter *w, const DomainDef *def) {
        if (!def->n_vcpu_states)
                return;
        xw_start(w, "vcpus");
        for (size_t i = 0; i < def->n_vcpu_states; i++) {
                const DomainVcpuState *s = &def->vcpu_states[i];

                xw_start(w, "vcpu");
                xw_attrf(w, "id", "%zu", i);
                xw_attr(w, "enabled", s->enabled ? "yes" : "no");
                xw_attr(w, "hotpluggable", tristate_word(s->hotpluggable, "yes", "no"));
                if (s->order)
                        xw_attrf(w, "order", "%u", s->order);
                xw_end(w);
        }
        xw_end(w);
}

/* ---- changes of a definition (SetVcpus, SetVcpu) ---------------------- */

static void clear_order(DomainDef *def) {
        for (size_t i = 0; i < def->n_vcpu_states; i++)
                def->vcpu_states[i].order = 0;
}

static void sync_current(DomainDef *def) {
        unsigned enabled = 0;

        for (size_t i = 0; i < def->n_vcpu_states; i++)
                enabled += def->vcpu_states[i].enabled;
        def->vcpus_current = enabled == def->vcpus ? 0 : enabled;
}

/* One state per vCPU from <vcpu current=''>: the first ones enabled. */
static int make_states(DomainDef *def) {
        unsigned cur = def->vcpus_current ?: def->vcpus;

        def->vcpu_states = calloc(def->vcpus, sizeof(DomainVcpuState));
        if (!def->vcpu_states)
                return -ENOMEM;
        def->n_vcpu_states = def->vcpus;
        for (unsigned i = 0; i < def->vcpus; i++)
                def->vcpu_states[i] = (DomainVcpuState) {
                        .id = i, .enabled = i < cur, .hotpluggable = i < cur ? TRISTATE_OFF : TRISTATE_ON,
                };
        return 0;
}

int domain_vcpus_set_max(DomainDef *def, unsigned max) {
        DomainVcpuState *a;

        if (def->n_vcpu_states && max != def->n_vcpu_states) {
                a = realloc(def->vcpu_states, max * sizeof(*a));
                if (!a)
                        return -ENOMEM;
                for (size_t i = def->n_vcpu_states; i < max; i++)
                        a[i] = (DomainVcpuState) { .id = (unsigned) i, .hotpluggable = TRISTATE_ON };
                def->vcpu_states = a;
                def->n_vcpu_states = max;
        }
        def->vcpus = max;
        if (def->n_vcpu_states)
                sync_current(def);
        return 0;
}

/* libvirt's qemuDomainSetVcpusConfig: the first disabled vCPUs are enabled
 * (hot-pluggable when asked, or when a hot-pluggable one runs before them:
 * the fixed ones come first), the last enabled ones disabled. */
int domain_vcpus_set_count(DomainDef *def, unsigned n, bool hotpluggable) {
        unsigned cur = def->vcpus_current ?: def->vcpus;

        if (!def->n_vcpu_states) {
                if (!hotpluggable || n <= cur) {
                        def->vcpus_current = n >= def->vcpus ? 0 : n;
                        return 0;
                }
                if (make_states(def) < 0)
                        return -ENOMEM;
        }
        clear_order(def);
        for (size_t i = 0; i < def->n_vcpu_states && cur < n; i++) {
                DomainVcpuState *s = &def->vcpu_states[i];

                if (s->enabled) {
                        hotpluggable = hotpluggable || s->hotpluggable == TRISTATE_ON;
                        continue;
                }
                s->enabled = true;
                s->hotpluggable = hotpluggable ? TRISTATE_ON : TRISTATE_OFF;
                cur++;
        }
        for (size_t i = def->n_vcpu_states; i > 0 && cur > n; i--) {
                DomainVcpuState *s = &def->vcpu_states[i - 1];

                if (!s->enabled)
                        continue;
                s->enabled = false;
                s->hotpluggable = TRISTATE_ON;
                cur--;
        }
        sync_current(def);
        return 0;
}

/* libvirt's qemuDomainSetVcpuConfig: the vCPUs of the map turned on or off,
 * hot-pluggable from then on. */
int domain_vcpus_set_enabled(DomainDef *def, const bool *map, size_t n_map, bool enabled) {
        if (!def->n_vcpu_states && make_states(def) < 0)
                return -ENOMEM;
        clear_order(def);
        for (size_t i = 0; i < n_map && i < def->n_vcpu_states; i++) {
                if (!map[i])
                        continue;
                def->vcpu_states[i].enabled = enabled;
                def->vcpu_states[i].hotpluggable = TRISTATE_ON;
        }
        sync_current(def);
        return 0;
}
