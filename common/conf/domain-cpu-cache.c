/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <cpu><cache level='' mode=''/> and <cpu><maxphysaddr mode='' bits=''/>:
 * the guest CPU's cache description and physical address width. Which
 * combinations a driver takes is its own check (qemud: qemu-rules.c). */
#include "domain-conf-internal.h"

static const char *const cache_modes[_DOMAIN_CPU_CACHE_MAX] = {
        [DOMAIN_CPU_CACHE_EMULATE] = "emulate",
        [DOMAIN_CPU_CACHE_PASSTHROUGH] = "passthrough",
        [DOMAIN_CPU_CACHE_DISABLE] = "disable",
};

static const char *const physaddr_modes[_DOMAIN_CPU_PHYSADDR_MAX] = {
        [DOMAIN_CPU_PHYSADDR_EMULATE] = "emulate",
        [DOMAIN_CPU_PHYSADDR_PASSTHROUGH] = "passthrough",
};

const char *domain_cpu_cache_mode_to_string(DomainCpuCacheMode m) {
        return (unsigned) m < _DOMAIN_CPU_CACHE_MAX ? cache_modes[m] : NULL;
}

const char *domain_cpu_physaddr_mode_to_string(DomainCpuPhysaddrMode m) {
        return (unsigned) m < _DOMAIN_CPU_PHYSADDR_MAX ? physaddr_modes[m] : NULL;
}

static int parse_mode(xmlNodePtr n, const char *path, const char *const *table, size_t n_table, int *ret,
                      ConfError *err) {
        int r = xml_attr_enum(n, path, "mode", table, n_table, ret, err);

        if (r == 0)
                return xml_err_xml(err, "missing attribute 'mode' of <%s>", path);
        return r < 0 ? r : 0;
}

int domain_parse_cpu_cache(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err) {
        int mode = 0, r;

        r = XML_CHECK_ATTRS(n, path, err, "level", "mode");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = parse_mode(n, path, cache_modes, _DOMAIN_CPU_CACHE_MAX, &mode, err);
        if (r < 0)
                return r;
        cpu->cache_mode = (DomainCpuCacheMode) mode;
        r = xml_attr_uint(n, path, "level", &cpu->cache_level, err);
        if (r > 0 && (cpu->cache_level < 1 || cpu->cache_level > 3))
                return xml_err_invalid(err, "invalid level '%u' of <%s>: 1, 2 or 3", cpu->cache_level, path);
        return r < 0 ? r : 0;
}

int domain_parse_cpu_maxphysaddr(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err) {
        int mode = 0, r;

        r = XML_CHECK_ATTRS(n, path, err, "mode", "bits");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = parse_mode(n, path, physaddr_modes, _DOMAIN_CPU_PHYSADDR_MAX, &mode, err);
        if (r < 0)
                return r;
        cpu->physaddr_mode = (DomainCpuPhysaddrMode) mode;
        r = xml_attr_uint(n, path, "bits", &cpu->physaddr_bits, err);
        if (r > 0 && (cpu->physaddr_bits == 0 || cpu->physaddr_bits > 64))
                return xml_err_invalid(err, "invalid bits '%u' of <%s>", cpu->physaddr_bits, path);
        if (r == 0 && cpu->physaddr_mode == DOMAIN_CPU_PHYSADDR_EMULATE)
                return xml_err_xml(err, "missing attribute 'bits' of <%s> for mode 'emulate'", path);
        return r < 0 ? r : 0;
}

/* After <topology>, before the features, as libvirt writes them. */
void domain_format_cpu_cache(XmlWriter *w, const DomainCpuDef *cpu) {
        if (cpu->cache_mode != DOMAIN_CPU_CACHE_NONE) {
                xw_start(w, "cache");
                if (cpu->cache_level)
                        xw_attrf(w, "level", "%u", cpu->cache_level);
                xw_attr(w, "mode", domain_cpu_cache_mode_to_string(cpu->cache_mode));
                xw_end(w);
        }
        if (cpu->physaddr_mode != DOMAIN_CPU_PHYSADDR_NONE) {
                xw_start(w, "maxphysaddr");
                xw_attr(w, "mode", domain_cpu_physaddr_mode_to_string(cpu->physaddr_mode));
                if (cpu->physaddr_bits)
                        xw_attrf(w, "bits", "%u", cpu->physaddr_bits);
                xw_end(w);
        }
}
