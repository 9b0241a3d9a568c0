/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "qemu-driver.h"
#include "qemu-node.h"
#include "util.h"
#include "xml-util.h"

#define KSM_DIR "/sys/kernel/mm/ksm"
#define DMI_DIR "/sys/class/dmi/id"
#define TEXT_MAX (4U << 20)

/* ---- CPU times and memory ---- */

int qemu_node_parse_cpu_stats(const char *proc_stat, int cpu, long hz, NodeCpuTimes *ret) {
        char want[32];
        size_t len;

        if (cpu < 0)
                snprintf(want, sizeof(want), "cpu ");
        else
                snprintf(want, sizeof(want), "cpu%d ", cpu);
        len = strlen(want);
        for (const char *line = proc_stat; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                unsigned long long usr, ni, sys, idle, iowait, irq, softirq;
                uint64_t ns = 1000000000ULL / (uint64_t) (hz > 0 ? hz : 100);
                if (strncmp(line, want, len) != 0)
                        continue;
                if (sscanf(line + len, "%llu %llu %llu %llu %llu %llu %llu", &usr, &ni, &sys, &idle, &iowait, &irq,
                           &softirq) != 7)
                        return -EBADMSG;
                *ret = (NodeCpuTimes) {
                        .kernel = (sys + irq + softirq) * ns,
                        .user = (usr + ni) * ns,
                        .idle = idle * ns,
                        .iowait = iowait * ns,
                };
                return 0;
        }
        return -ENOENT;
}

static bool meminfo_value(const char *text, const char *key, uint64_t *ret) {
        size_t len = strlen(key);

        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                const char *p = line;
                unsigned long long v;
                /* a cell's lines start with "Node <n> " */
                if (strncmp(p, "Node ", 5) == 0) {
                        p += 5;
                        while (isdigit((unsigned char) *p))
                                p++;
                        while (*p == ' ')
                                p++;
                }
                if (strncmp(p, key, len) == 0 && p[len] == ':' && sscanf(p + len + 1, "%llu", &v) == 1) {
                        *ret = v;
                        return true;
                }
        }
        return false;
}

int qemu_node_parse_meminfo(const char *text, NodeMemory *ret) {
        NodeMemory m = { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };

        if (!meminfo_value(text, "MemTotal", &m.total) || !meminfo_value(text, "MemFree", &m.free))
                return -EBADMSG;
        (void) meminfo_value(text, "Buffers", &m.buffers);
        (void) meminfo_value(text, "Cached", &m.cached);
        *ret = m;
        return 0;
}

int qemu_node_parse_cpu_list(const char *text, bool **ret, size_t *ret_n) {
        _cleanup_free_ bool *map = NULL;
        size_t n = 0;
        const char *p = text;

        while (*p && *p != '\n') {
                char *end;
                unsigned long a = strtoul(p, &end, 10), b = a;
                if (end == p)
                        return -EBADMSG;
                p = end;
                if (*p == '-') {
                        b = strtoul(p + 1, &end, 10);
                        if (end == p + 1 || b < a)
                                return -EBADMSG;
                        p = end;
                }
                if (b >= 65536)
                        return -ERANGE;
                if (b + 1 > n) {
                        bool *m = realloc(map, (b + 1) * sizeof(bool));
                        if (!m)
                                return -ENOMEM;
                        memset(m + n, 0, (b + 1 - n) * sizeof(bool));
                        map = m;
                        n = b + 1;
                }
                for (unsigned long i = a; i <= b; i++)
                        map[i] = true;
                if (*p == ',')
                        p++;
                else if (*p && *p != '\n')
                        return -EBADMSG;
        }
        *ret = TAKE_PTR(map);
        *ret_n = n;
        return 0;
}

/* ---- KSM ---- */

const KsmParam qemu_node_ksm_params[] = {
        { "shm_pages_to_scan", "pages_to_scan", 'u' },
        { "shm_sleep_millisecs", "sleep_millisecs", 'u' },
        { "shm_pages_shared", "pages_shared", 't' },
        { "shm_pages_sharing", "pages_sharing", 't' },
        { "shm_pages_unshared", "pages_unshared", 't' },
        { "shm_pages_volatile", "pages_volatile", 't' },
        { "shm_full_scans", "full_scans", 't' },
        { "shm_merge_across_nodes", "merge_across_nodes", 'u' },
};
const size_t qemu_node_ksm_n_params = ELEMENTSOF(qemu_node_ksm_params);

const KsmParam *qemu_node_ksm_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(qemu_node_ksm_params); i++)
                if (streq(qemu_node_ksm_params[i].name, name))
                        return &qemu_node_ksm_params[i];
        return NULL;
}

static int read_u64_file(const char *dir, const char *name, uint64_t *ret) {
        _cleanup_free_ char *path = path_join(dir, name), *text = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, 4096, &text, NULL);
        if (r < 0)
                return r;
        *ret = strtoull(text, NULL, 10);
        return 0;
}

int qemu_node_ksm_read(const char *dir, sd_bus_message *reply) {
        int r = sd_bus_message_open_container(reply, 'a', "{sv}");

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(qemu_node_ksm_params); i++) {
                const KsmParam *p = &qemu_node_ksm_params[i];
                uint64_t v;
                if (read_u64_file(dir, p->file, &v) < 0)
                        continue; /* merge_across_nodes needs NUMA */
                if (p->type == 'u')
                        r = sd_bus_message_append(reply, "{sv}", p->name, "u", (uint32_t) v);
                else
                        r = sd_bus_message_append(reply, "{sv}", p->name, "t", v);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* ---- The host CPU ---- */

void host_cpu_done(HostCpu *h) {
        free(h->vendor);
        free(h->model_name);
        strv_free(h->flags);
        free(h->family);
        free(h->model);
        free(h->stepping);
        *h = (HostCpu) {};
}

char *qemu_node_feature_name(const char *flag) {
        /* where libvirt's name is not the flag's with '_' as '.' or '-' */
        static const struct {
                const char *flag, *name;
        } renamed[] = {
                { "sse4_1", "sse4.1" },       { "sse4_2", "sse4.2" },         { "tsc_deadline_timer", "tsc-deadline" },
                { "lahf_lm", "lahf_lm" },     { "cmp_legacy", "cmp_legacy" }, { "fxsr_opt", "fxsr_opt" },
                { "tsc_adjust", "tsc_adjust" }, { "cr8_legacy", "cr8legacy" }, { "sha_ni", "sha-ni" },
                { "nrip_save", "nrip-save" }, { "md_clear", "md-clear" },     { "arch_capabilities", "arch-capabilities" },
                { "spec_ctrl", "spec-ctrl" }, { "avx512_bf16", "avx512-bf16" }, { "avx512_vnni", "avx512vnni" },
                { "avx512_vbmi2", "avx512vbmi2" }, { "avx512_bitalg", "avx512bitalg" },
                { "avx512_vpopcntdq", "avx512-vpopcntdq" }, { "pni", "pni" }, { "misalignsse", "misalignsse" },
        };
        char *s;

        for (size_t i = 0; i < ELEMENTSOF(renamed); i++)
                if (streq(renamed[i].flag, flag))
                        return strdup(renamed[i].name);
        s = strdup(flag);
        for (char *p = s; p && *p; p++)
                if (*p == '_')
                        *p = '-';
        return s;
}

static char *cpuinfo_field(const char *text, const char *key) {
        size_t len = strlen(key);

        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                const char *p, *end;
                if (strncmp(line, key, len) != 0 || (line[len] != ' ' && line[len] != '\t' && line[len] != ':'))
                        continue;
                p = strchr(line, ':');
                if (!p)
                        continue;
                p++;
                while (*p == ' ' || *p == '\t')
                        p++;
                end = strchr(p, '\n');
                return strndup(p, end ? (size_t) (end - p) : strlen(p));
        }
        return NULL;
}

static unsigned count_distinct(const char *text, const char *key) {
        int seen[256];
        unsigned n = 0;
        size_t len = strlen(key);

        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                const char *p;
                int v;
                bool known = false;
                if (strncmp(line, key, len) != 0 || !(p = strchr(line, ':')) || sscanf(p + 1, "%d", &v) != 1)
                        continue;
                for (unsigned i = 0; i < n; i++)
                        known = known || seen[i] == v;
                if (!known && n < ELEMENTSOF(seen))
                        seen[n++] = v;
        }
        return n;
}

int qemu_node_parse_cpuinfo(const char *text, HostCpu *ret) {
        _cleanup_free_ char *vendor = cpuinfo_field(text, "vendor_id"), *flags = cpuinfo_field(text, "flags");
        _cleanup_free_ char *mhz = cpuinfo_field(text, "cpu MHz"), *cores = cpuinfo_field(text, "cpu cores");
        _cleanup_free_ char *siblings = cpuinfo_field(text, "siblings");
        HostCpu h = {};
        int r = 0;

        h.vendor = strdup(!vendor                              ? "unknown"
                          : streq(vendor, "GenuineIntel")      ? "Intel"
                          : streq(vendor, "AuthenticAMD")      ? "AMD"
                          : streq(vendor, "HygonGenuine")      ? "Hygon"
                                                               : vendor);
        h.model_name = cpuinfo_field(text, "model name");
        h.family = cpuinfo_field(text, "cpu family");
        h.model = cpuinfo_field(text, "model");
        h.stepping = cpuinfo_field(text, "stepping");
        h.mhz = mhz ? (unsigned) strtoul(mhz, NULL, 10) : 0;
        h.cpus = count_distinct(text, "processor");
        h.sockets = count_distinct(text, "physical id");
        if (!h.sockets)
                h.sockets = 1;
        h.cores = cores ? (unsigned) strtoul(cores, NULL, 10) : 0;
        if (!h.cores)
                h.cores = h.cpus / h.sockets ? h.cpus / h.sockets : 1;
        h.threads = siblings && h.cores ? (unsigned) strtoul(siblings, NULL, 10) / h.cores : 1;
        if (!h.threads)
                h.threads = 1;
        for (char *save = NULL, *f = flags ? strtok_r(flags, " ", &save) : NULL; f && r >= 0;
             f = strtok_r(NULL, " ", &save)) {
                char *name = qemu_node_feature_name(f);
                r = name ? strv_consume(&h.flags, name) : -ENOMEM;
        }
        if (r >= 0 && !h.vendor)
                r = -ENOMEM;
        if (r < 0) {
                host_cpu_done(&h);
                return r;
        }
        *ret = h;
        return 0;
}

static int host_cpu_read(HostCpu *ret) {
        _cleanup_free_ char *text = NULL;
        int r = read_full_file("/proc/cpuinfo", TEXT_MAX, &text, NULL);

        return r < 0 ? r : qemu_node_parse_cpuinfo(text, ret);
}

/* ---- sysinfo ---- */

static void dmi_entry(XmlWriter *w, const char *dmidir, const char *file, const char *name) {
        _cleanup_free_ char *path = path_join(dmidir, file), *text = NULL;
        size_t len;

        if (!path || read_full_file(path, 4096, &text, NULL) < 0)
                return;
        len = strlen(text);
        while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
                text[--len] = 0;
        if (!len)
                return;
        utf8_sanitize(text);
        xw_start(w, "entry");
        xw_attr(w, "name", name);
        xw_text(w, text);
        xw_end(w);
}

typedef struct DmiRow {
        const char *file, *name;
} DmiRow;

static void dmi_section(XmlWriter *w, const char *dmidir, const char *element, const DmiRow *rows, size_t n) {
        bool any = false;

        for (size_t i = 0; i < n && !any; i++) {
                _cleanup_free_ char *path = path_join(dmidir, rows[i].file);
                any = path && access(path, R_OK) == 0;
        }
        if (!any)
                return;
        xw_start(w, element);
        for (size_t i = 0; i < n; i++)
                dmi_entry(w, dmidir, rows[i].file, rows[i].name);
        xw_end(w);
}

int qemu_node_sysinfo_format(const char *dmidir, const char *cpuinfo, char **ret) {
        static const DmiRow bios[] = {
                { "bios_vendor", "vendor" }, { "bios_version", "version" },
                { "bios_date", "date" },     { "bios_release", "release" },
        };
        static const DmiRow system[] = {
                { "sys_vendor", "manufacturer" }, { "product_name", "product" },   { "product_version", "version" },
                { "product_serial", "serial" },   { "product_uuid", "uuid" },      { "product_sku", "sku" },
                { "product_family", "family" },
        };
        static const DmiRow board[] = {
                { "board_vendor", "manufacturer" }, { "board_name", "product" },    { "board_version", "version" },
                { "board_serial", "serial" },       { "board_asset_tag", "asset" },
        };
        static const DmiRow chassis[] = {
                { "chassis_vendor", "manufacturer" }, { "chassis_version", "version" },
                { "chassis_serial", "serial" },       { "chassis_asset_tag", "asset" },
        };
        _cleanup_(host_cpu_done) HostCpu host = {};
        XmlWriter w = {};
        int r = cpuinfo ? qemu_node_parse_cpuinfo(cpuinfo, &host) : -ENOENT;

        xw_start(&w, "sysinfo");
        xw_attr(&w, "type", "smbios");
        dmi_section(&w, dmidir, "bios", bios, ELEMENTSOF(bios));
        dmi_section(&w, dmidir, "system", system, ELEMENTSOF(system));
        dmi_section(&w, dmidir, "baseBoard", board, ELEMENTSOF(board));
        dmi_section(&w, dmidir, "chassis", chassis, ELEMENTSOF(chassis));
        /* one <processor> per socket, as the SMBIOS tables have them */
        for (unsigned s = 0; r >= 0 && s < host.sockets; s++) {
                xw_start(&w, "processor");
                xw_start(&w, "entry");
                xw_attr(&w, "name", "socket_destination");
                xw_textf(&w, "CPU %u", s);
                xw_end(&w);
                xw_start(&w, "entry");
                xw_attr(&w, "name", "type");
                xw_text(&w, "Central Processor");
                xw_end(&w);
                if (host.family) {
                        xw_start(&w, "entry");
                        xw_attr(&w, "name", "family");
                        xw_text(&w, host.family);
                        xw_end(&w);
                }
                xw_start(&w, "entry");
                xw_attr(&w, "name", "manufacturer");
                xw_text(&w, host.vendor);
                xw_end(&w);
                if (host.model_name) {
                        xw_start(&w, "entry");
                        xw_attr(&w, "name", "version");
                        xw_text(&w, host.model_name);
                        xw_end(&w);
                }
                if (host.mhz) {
                        xw_start(&w, "entry");
                        xw_attr(&w, "name", "max_speed");
                        xw_textf(&w, "%u MHz", host.mhz);
                        xw_end(&w);
                }
                xw_start(&w, "entry");
                xw_attr(&w, "name", "status");
                xw_text(&w, "Populated, Enabled");
                xw_end(&w);
                xw_end(&w);
        }
        xw_end(&w);
        return xw_finish(&w, ret);
}

/* ---- CPU models ---- */

/* QEMU's x86 models of each vendor, newest first: host-model is the first
 * of them QEMU can run on this host, a baseline the oldest of those given. */
static const char *const intel_models[] = {
        "GraniteRapids", "SierraForest", "SapphireRapids", "Cooperlake", "Icelake-Server", "Icelake-Server-noTSX",
        "Cascadelake-Server", "Cascadelake-Server-noTSX", "Skylake-Server-IBRS", "Skylake-Server",
        "Skylake-Server-noTSX-IBRS", "Skylake-Client-IBRS", "Skylake-Client", "Skylake-Client-noTSX-IBRS",
        "Broadwell-IBRS", "Broadwell", "Broadwell-noTSX-IBRS", "Broadwell-noTSX", "Haswell-IBRS", "Haswell",
        "Haswell-noTSX-IBRS", "Haswell-noTSX", "IvyBridge-IBRS", "IvyBridge", "SandyBridge-IBRS", "SandyBridge",
        "Westmere-IBRS", "Westmere", "Nehalem-IBRS", "Nehalem", "Penryn", "Conroe", NULL,
};
static const char *const amd_models[] = {
        "EPYC-Genoa", "EPYC-Milan", "EPYC-Rome", "EPYC-IBPB", "EPYC", "Opteron_G5", "Opteron_G4", "Opteron_G3",
        "Opteron_G2", "Opteron_G1", NULL,
};

static const char *const *models_of_vendor(const char *vendor) {
        if (streq(vendor, "Intel"))
                return intel_models;
        if (streq(vendor, "AMD") || streq(vendor, "Hygon"))
                return amd_models;
        return NULL;
}

static int model_rank(const char *model, const char **ret_vendor) {
        const char *const *lists[] = { intel_models, amd_models };
        const char *vendors[] = { "Intel", "AMD" };

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                for (int i = 0; lists[l][i]; i++)
                        if (streq(lists[l][i], model)) {
                                if (ret_vendor)
                                        *ret_vendor = vendors[l];
                                return i;
                        }
        return -1;
}

static bool model_usable(const QemuCaps *caps, const char *model) {
        return qemu_caps_cpu_model_usable(caps, model);
}

static char **strv_dup(char *const *l) {
        char **copy = NULL;

        for (; l && *l; l++)
                if (strv_extend(&copy, *l) < 0) {
                        strv_free(copy);
                        return NULL;
                }
        return copy ? copy : calloc(1, sizeof(char *));
}

const char *qemu_node_host_model(const QemuCaps *caps, const HostCpu *host) {
        const char *const *models = models_of_vendor(host->vendor);

        /* without QEMU's word on each model, any pick could be one it cannot run */
        if (!caps->cpu_usability_known)
                return NULL;
        for (size_t i = 0; models && models[i]; i++)
                if (model_usable(caps, models[i]))
                        return models[i];
        return NULL;
}

typedef struct GuestCpu {
        char *mode, *model, *vendor;
        char **required, **forbidden;
} GuestCpu;

static void guest_cpu_done(GuestCpu *g) {
        free(g->mode);
        free(g->model);
        free(g->vendor);
        strv_free(g->required);
        strv_free(g->forbidden);
}

static char *text_of(xmlNodePtr n) {
        xmlChar *v = xmlNodeGetContent(n);
        char *s = v ? strdup((const char *) v) : NULL;

        xmlFree(v);
        return s;
}

/* The <cpu> of a <cpu>, <domain> or <capabilities><host> document. */
static xmlNodePtr find_cpu(xmlNodePtr n) {
        if (xml_is(n, "cpu"))
                return n;
        for (xmlNodePtr c = xml_first_element(n); c; c = xml_next_element(c)) {
                xmlNodePtr found = find_cpu(c);
                if (found)
                        return found;
        }
        return NULL;
}

static int guest_cpu_parse(const char *xml, GuestCpu *ret, char **why) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        GuestCpu g = {};
        xmlNodePtr cpu;
        int r = 0;

        doc = xmlReadMemory(xml, (int) strlen(xml), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc || !xmlDocGetRootElement(doc)) {
                *why = strdup("the CPU description is not well-formed XML");
                return -EINVAL;
        }
        cpu = find_cpu(xmlDocGetRootElement(doc));
        if (!cpu) {
                *why = strdup("the XML holds no <cpu> element");
                return -EINVAL;
        }
        g.mode = xml_prop_dup(cpu, "mode");
        for (xmlNodePtr c = xml_first_element(cpu); c && r >= 0; c = xml_next_element(c)) {
                if (xml_is(c, "model") && !g.model)
                        g.model = text_of(c);
                else if (xml_is(c, "vendor") && !g.vendor)
                        g.vendor = text_of(c);
                else if (xml_is(c, "feature")) {
                        _cleanup_free_ char *name = xml_prop_dup(c, "name"), *policy = xml_prop_dup(c, "policy");
                        if (!name)
                                continue;
                        if (!policy || streq(policy, "require") || streq(policy, "force"))
                                r = strv_extend(&g.required, name);
                        else if (streq(policy, "forbid"))
                                r = strv_extend(&g.forbidden, name);
                }
        }
        if (r < 0) {
                guest_cpu_done(&g);
                return r;
        }
        *ret = g;
        return 0;
}

int qemu_node_compare(const QemuCaps *caps, const HostCpu *host, const char *xml, int *result, char **why) {
        _cleanup_(guest_cpu_done) GuestCpu g = {};
        _cleanup_strv_free_ char **missing = NULL;
        int r = guest_cpu_parse(xml, &g, why);

        if (r < 0)
                return r;
        if (g.mode && (streq(g.mode, "host-passthrough") || streq(g.mode, "host-model") || streq(g.mode, "maximum"))) {
                *result = CPU_COMPARE_IDENTICAL;
                return 0;
        }
        if (!g.model) {
                *result = CPU_COMPARE_SUPERSET; /* features only */
        } else if (!qemu_caps_has_cpu_model(caps, g.model)) {
                if (asprintf(why, "unknown CPU model '%s'", g.model) < 0)
                        *why = NULL;
                return -EINVAL;
        } else
                *result = CPU_COMPARE_SUPERSET;
        if (g.vendor && !streq(g.vendor, host->vendor)) {
                *result = CPU_COMPARE_INCOMPATIBLE;
                if (asprintf(why, "host CPU vendor does not match required CPU vendor %s", g.vendor) < 0)
                        *why = NULL;
                return 0;
        }
        if (g.model && !model_usable(caps, g.model)) {
                *result = CPU_COMPARE_INCOMPATIBLE;
                if (asprintf(why, "host CPU does not provide the features of CPU model %s", g.model) < 0)
                        *why = NULL;
                return 0;
        }
        for (char **f = g.required; f && *f; f++)
                if (!strv_contains(host->flags, *f) && strv_extend(&missing, *f) < 0)
                        return -ENOMEM;
        if (missing) {
                _cleanup_free_ char *list = strv_join(missing, ",");
                *result = CPU_COMPARE_INCOMPATIBLE;
                if (asprintf(why, "Host CPU does not provide required features: %s", list ? list : "") < 0)
                        *why = NULL;
                return 0;
        }
        for (char **f = g.forbidden; f && *f; f++)
                if (strv_contains(host->flags, *f)) {
                        *result = CPU_COMPARE_INCOMPATIBLE;
                        if (asprintf(why, "Host CPU provides forbidden features: %s", *f) < 0)
                                *why = NULL;
                        return 0;
                }
        if (g.model && !g.required && streq_ptr(g.model, qemu_node_host_model(caps, host)))
                *result = CPU_COMPARE_IDENTICAL;
        return 0;
}

int qemu_node_baseline(const QemuCaps *caps, char *const *xmls, uint32_t flags, char **ret, char **why) {
        _cleanup_strv_free_ char **common = NULL;
        _cleanup_free_ char *vendor = NULL, *model = NULL;
        int model_at = -1, r;
        XmlWriter w = {};

        if (!xmls || !xmls[0]) {
                *why = strdup("no CPU definitions were given");
                return -EINVAL;
        }
        for (size_t i = 0; xmls[i]; i++) {
                _cleanup_(guest_cpu_done) GuestCpu g = {};
                const char *v = NULL;
                int rank;

                r = guest_cpu_parse(xmls[i], &g, why);
                if (r < 0)
                        return r;
                if (!g.model) {
                        *why = strdup("a CPU definition names no model");
                        return -EINVAL;
                }
                rank = model_rank(g.model, &v);
                if (rank < 0 && !qemu_caps_has_cpu_model(caps, g.model)) {
                        if (asprintf(why, "unknown CPU model '%s'", g.model) < 0)
                                *why = NULL;
                        return -EINVAL;
                }
                if (!v)
                        v = g.vendor;
                if (vendor && v && !streq(vendor, v)) {
                        if (asprintf(why, "CPU vendors do not match: %s and %s", vendor, v) < 0)
                                *why = NULL;
                        return -EINVAL;
                }
                if (!vendor && v && !(vendor = strdup(v)))
                        return -ENOMEM;
                /* the oldest model wins; an unranked one only when alone */
                if (!model || rank > model_at) {
                        free(model);
                        model = TAKE_PTR(g.model);
                        model_at = rank;
                }
                if (i == 0)
                        common = TAKE_PTR(g.required);
                else {
                        char **keep = NULL;
                        for (char **f = common; f && *f; f++)
                                if (strv_contains(g.required, *f) && strv_extend(&keep, *f) < 0) {
                                        strv_free(keep);
                                        return -ENOMEM;
                                }
                        strv_free(common);
                        common = keep;
                }
        }
        xw_start(&w, "cpu");
        xw_attr(&w, "mode", "custom");
        xw_attr(&w, "match", "exact");
        xw_start(&w, "model");
        xw_attr(&w, "fallback", "forbid");
        xw_text(&w, model);
        xw_end(&w);
        if (vendor)
                xw_element(&w, "vendor", vendor);
        for (char **f = common; f && *f; f++) {
                xw_start(&w, "feature");
                xw_attr(&w, "policy", "require");
                xw_attr(&w, "name", *f);
                xw_end(&w);
        }
        xw_end(&w);
        return xw_finish(&w, ret);
}

/* ---- The bus hooks ---- */

static QemuCaps *caps_of(Manager *m) {
        return qemu_driver_data(m)->caps;
}

typedef struct CpuCall {
        sd_bus_message *msg;
        char *arg;        /* arch, or the XML */
        char **xmls;
        uint32_t flags;
        int (*run)(Manager *m, struct CpuCall *c, sd_bus_error *error);
} CpuCall;

static void cpu_call_free(CpuCall *c) {
        sd_bus_message_unref(c->msg);
        free(c->arg);
        strv_free(c->xmls);
        free(c);
}

/* The CPU calls need QEMU's models: they wait for the capabilities. */
static void cpu_call_caps(Manager *m, int r, void *userdata) {
        CpuCall *c = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (r < 0)
                (void) vb_error_setf(&e, VB_ERROR_OPERATION_FAILED, "cannot probe %s: %s",
                                     qemu_driver_data(m)->emulator, strerror(-r));
        else
                r = c->run(m, c, &e);
        if (r < 0) {
                if (!sd_bus_error_is_set(&e))
                        (void) vb_error_setf(&e, VB_ERROR_INTERNAL, "%s", strerror(-r));
                (void) sd_bus_reply_method_error(c->msg, &e);
        }
        sd_bus_error_free(&e);
        cpu_call_free(c);
}

static int cpu_call(Manager *m, sd_bus_message *msg, const char *arg, char **xmls, uint32_t flags,
                    int (*run)(Manager *m, CpuCall *c, sd_bus_error *error)) {
        CpuCall *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        *c = (CpuCall) { .msg = sd_bus_message_ref(msg), .arg = arg ? strdup(arg) : NULL, .flags = flags, .run = run };
        if (xmls && !(c->xmls = strv_dup(xmls))) {
                cpu_call_free(c);
                return -ENOMEM;
        }
        r = qemu_driver_with_caps(m, cpu_call_caps, c);
        if (r < 0) {
                cpu_call_free(c);
                return r;
        }
        return 1;
}

static int run_model_names(Manager *m, CpuCall *c, sd_bus_error *error) {
        QemuCaps *caps = caps_of(m);

        if (!caps->arch)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "the architecture of %s is not known",
                                     caps->binary);
        if (!streq(c->arg, caps->arch))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "cannot find CPU models of architecture '%s' (%s runs %s)",
                                     c->arg, caps->binary, caps->arch);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(c->msg, &reply);

        if (r >= 0)
                r = sd_bus_message_append_strv(reply, caps->cpu_models);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

int qemu_node_cpu_model_names(Manager *m, const char *arch, sd_bus_message *msg, sd_bus_error *error) {
        return cpu_call(m, msg, arch, NULL, 0, run_model_names);
}

static int run_compare(Manager *m, CpuCall *c, sd_bus_error *error) {
        _cleanup_(host_cpu_done) HostCpu host = {};
        _cleanup_free_ char *why = NULL;
        int result = CPU_COMPARE_ERROR;
        int r = host_cpu_read(&host);

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot read the host CPU: %s", strerror(-r));
        r = qemu_node_compare(caps_of(m), &host, c->arg, &result, &why);
        if (r < 0)
                return vb_error_setf(error, r == -EINVAL ? VB_ERROR_INVALID_ARG : VB_ERROR_INTERNAL, "%s",
                                     why ? why : strerror(-r));
        if (result == CPU_COMPARE_INCOMPATIBLE && (c->flags & COMPARE_CPU_FAIL_INCOMPATIBLE))
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "the CPU is incompatible with host CPU: %s",
                                     why ? why : "");
        return sd_bus_reply_method_return(c->msg, "i", (int32_t) result);
}

int qemu_node_compare_cpu(Manager *m, const char *xml, uint32_t flags, sd_bus_message *msg, sd_bus_error *error) {
        return cpu_call(m, msg, xml, NULL, flags, run_compare);
}

static int run_baseline(Manager *m, CpuCall *c, sd_bus_error *error) {
        _cleanup_free_ char *xml = NULL, *why = NULL;
        int r = qemu_node_baseline(caps_of(m), c->xmls, c->flags, &xml, &why);

        if (r < 0)
                return vb_error_setf(error, r == -EINVAL ? VB_ERROR_INVALID_ARG : VB_ERROR_INTERNAL, "%s",
                                     why ? why : strerror(-r));
        return sd_bus_reply_method_return(c->msg, "s", xml);
}

int qemu_node_baseline_cpu(Manager *m, char **xmls, uint32_t flags, sd_bus_message *msg, sd_bus_error *error) {
        return cpu_call(m, msg, NULL, xmls, flags, run_baseline);
}

int qemu_node_sysinfo(Manager *m, sd_bus_message *reply, sd_bus_error *error) {
        _cleanup_free_ char *cpuinfo = NULL, *xml = NULL;
        int r;

        (void) read_full_file("/proc/cpuinfo", TEXT_MAX, &cpuinfo, NULL);
        r = qemu_node_sysinfo_format(DMI_DIR, cpuinfo, &xml);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot format the host's sysinfo: %s", strerror(-r));
        return sd_bus_message_append(reply, "s", xml);
}

int qemu_node_cpu_stats(Manager *m, int32_t cpu, sd_bus_message *reply, sd_bus_error *error) {
        _cleanup_free_ char *text = NULL;
        NodeCpuTimes t;
        int r = read_full_file("/proc/stat", TEXT_MAX, &text, NULL);

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot read /proc/stat: %s", strerror(-r));
        if (cpu < -1)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Invalid cpuNum %d", cpu);
        r = qemu_node_parse_cpu_stats(text, cpu, sysconf(_SC_CLK_TCK), &t);
        if (r == -ENOENT)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Invalid cpuNum %d: the host has no such CPU", cpu);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot parse /proc/stat: %s", strerror(-r));
        return sd_bus_message_append(reply, "a{st}", 4, "kernel", t.kernel, "user", t.user, "idle", t.idle, "iowait",
                                     t.iowait);
}

static int read_cell_meminfo(int32_t cell, NodeMemory *ret, sd_bus_error *error) {
        _cleanup_free_ char *text = NULL;
        char path[96];
        int r;

        if (cell < -1)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Invalid cell number %d", cell);
        if (cell == -1)
                snprintf(path, sizeof(path), "/proc/meminfo");
        else
                snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", cell);
        r = read_full_file(path, TEXT_MAX, &text, NULL);
        /* a host without NUMA has one cell, 0 */
        if (r == -ENOENT && cell == 0)
                r = read_full_file("/proc/meminfo", TEXT_MAX, &text, NULL);
        if (r == -ENOENT)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Invalid cell number %d: the host has no such cell",
                                     cell);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot read %s: %s", path, strerror(-r));
        r = qemu_node_parse_meminfo(text, ret);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot parse %s", path);
        return 0;
}

int qemu_node_memory_stats(Manager *m, int32_t cell, sd_bus_message *reply, sd_bus_error *error) {
        NodeMemory mem;
        int r = read_cell_meminfo(cell, &mem, error);

        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{st}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{st}{st}", "total", mem.total, "free", mem.free);
        if (r >= 0 && mem.buffers != UINT64_MAX)
                r = sd_bus_message_append(reply, "{st}", "buffers", mem.buffers);
        if (r >= 0 && mem.cached != UINT64_MAX)
                r = sd_bus_message_append(reply, "{st}", "cached", mem.cached);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

int qemu_node_free_memory(Manager *m, sd_bus_message *reply, sd_bus_error *error) {
        NodeMemory mem;
        int r = read_cell_meminfo(-1, &mem, error);

        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "t", mem.free * 1024); /* bytes */
}

int qemu_node_cpu_map(Manager *m, sd_bus_message *reply, sd_bus_error *error) {
        _cleanup_free_ char *present = NULL, *online = NULL;
        _cleanup_free_ bool *pmap = NULL, *omap = NULL;
        size_t pn = 0, on = 0;
        int r = read_full_file("/sys/devices/system/cpu/present", 65536, &present, NULL);

        if (r >= 0)
                r = read_full_file("/sys/devices/system/cpu/online", 65536, &online, NULL);
        if (r >= 0)
                r = qemu_node_parse_cpu_list(present, &pmap, &pn);
        if (r >= 0)
                r = qemu_node_parse_cpu_list(online, &omap, &on);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot read the host's CPUs: %s", strerror(-r));
        r = sd_bus_message_open_container(reply, 'a', "b");
        for (size_t i = 0; r >= 0 && i < pn; i++)
                r = sd_bus_message_append(reply, "b", (int) (i < on && omap[i]));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

int qemu_node_memory_parameters(Manager *m, sd_bus_message *reply, sd_bus_error *error) {
        if (access(KSM_DIR, F_OK) < 0)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "the host kernel has no KSM (%s)", KSM_DIR);
        return qemu_node_ksm_read(KSM_DIR, reply);
}

int qemu_node_set_memory_parameters(Manager *m, sd_bus_message *params, sd_bus_error *error) {
        struct {
                const KsmParam *p;
                uint32_t v;
        } set[8];
        size_t n = 0;
        int r;

        if (access(KSM_DIR, F_OK) < 0)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "the host kernel has no KSM (%s)", KSM_DIR);
        /* check everything first: nothing is written unless all is right */
        r = sd_bus_message_enter_container(params, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(params, 'e', "sv")) > 0) {
                const char *name, *contents;
                const KsmParam *p;
                char type;
                r = sd_bus_message_read(params, "s", &name);
                if (r < 0)
                        return r;
                p = qemu_node_ksm_find(name);
                if (!p || p->type != 'u')
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "parameter '%s' %s", name,
                                             p ? "is read-only" : "is not supported");
                r = sd_bus_message_peek_type(params, &type, &contents);
                if (r < 0)
                        return r;
                if (!streq(contents, "u"))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "invalid type for parameter '%s': expected uint, got '%s'", name, contents);
                if (n == ELEMENTSOF(set))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "too many parameters");
                set[n].p = p;
                r = sd_bus_message_read(params, "v", "u", &set[n].v);
                n++;
                if (r >= 0)
                        r = sd_bus_message_exit_container(params);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(params);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = path_join(KSM_DIR, set[i].p->file);
                char buf[16];
                int fd;
                if (!path)
                        return -ENOMEM;
                snprintf(buf, sizeof(buf), "%u", set[i].v);
                fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, buf, strlen(buf)) < 0) {
                        r = -errno;
                        if (fd >= 0)
                                close(fd);
                        return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot set %s to %u: %s", set[i].p->name,
                                             set[i].v, strerror(-r));
                }
                close(fd);
        }
        return 0;
}
