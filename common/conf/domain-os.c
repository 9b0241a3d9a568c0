/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os>, <features>, <cpu>, <pm>: what the guest boots and sees (<clock>: domain-clock.c). */
#include <inttypes.h>
#include <sched.h>

#include "cpuset.h"
#include "domain-conf-internal.h"

/* ---- os ------------------------------------------------------------------ */

/* The schema's archnames. */
static const char *const arch_values[] = {
        "aarch64", "alpha", "armv6l", "armv7l", "cris", "i686", "ia64", "lm32", "m68k",
        "microblaze", "microblazeel", "mips", "mipsel", "mips64", "mips64el", "openrisc",
        "parisc", "parisc64", "ppc", "ppc64", "ppc64le", "ppcemb", "riscv32", "riscv64",
        "s390", "s390x", "sh4", "sh4eb", "sparc", "sparc64", "unicore32", "x86_64",
        "xtensa", "xtensaeb",
};

static bool os_is_exe(const DomainOsDef *os) {
        return streq_ptr(os->type, "exe");
}

/* The OS types our drivers run: a machine (hvm) or a container's init
 * (exe); which one a driver takes is the driver's check. xen and linux
 * (Xen paravirtual guests) are not modelled. */
static int parse_os_type(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_text(n, path, &os->type, err);
        if (r < 0)
                return r;
        str_strip(os->type); /* a token for the schema */
        if (!streq(os->type, "hvm") && !streq(os->type, "exe"))
                return xml_err_unsupported(err, "OS type '%s' in <%s> is not supported, only 'hvm' or 'exe'",
                                           os->type, path);
        /* a container has no machine type */
        if (os_is_exe(os))
                r = XML_CHECK_ATTRS(n, path, err, "arch");
        else
                r = XML_CHECK_ATTRS(n, path, err, "arch", "machine");
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "arch", arch_values, ELEMENTSOF(arch_values), &os->arch, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "machine", &os->machine, err);
        if (r > 0)
                r = domain_check_charset(os->machine, CHARSET_ALNUM "_.-", "attribute 'machine' of", path, err);
        return r < 0 ? r : 0;
}

/* <kernel>, <initrd>, <loader>, <nvram>: a path as text; empty means none. */
static int parse_os_path(char **ret, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_text(n, path, ret, err);
        if (r < 0)
                return r;
        if (!**ret) {
                *ret = (free(*ret), NULL);
                return 0;
        }
        return domain_check_abs_path(*ret, "", path, err);
}

static int parse_os_loader(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "readonly", "secure", "stateless", "type");
        if (r >= 0)
                r = domain_parse_os_loader_stateless(os, n, path, err);
        if (r < 0)
                return r;
        r = domain_attr_tristate(n, path, "readonly", "yes", "no", &os->loader_readonly, err);
        if (r < 0)
                return r;
        r = domain_attr_tristate(n, path, "secure", "yes", "no", &os->loader_secure, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_loader_type, &os->loader_type, err);
        if (r < 0)
                return r;
        return parse_os_path(&os->loader, n, path, err);
}

static int parse_os_boot(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        DomainBootDev dev;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "dev");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "dev", domain_boot_dev, &dev, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'dev' of <%s>", path);
        if (os->n_boot >= ELEMENTSOF(os->boot))
                return xml_err_invalid(err, "too many <%s> elements: at most %zu", path, ELEMENTSOF(os->boot));
        os->boot[os->n_boot++] = dev;
        return 0;
}

static int parse_os_bootmenu(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "enable", "timeout");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = domain_attr_tristate(n, path, "enable", "yes", "no", &os->bootmenu, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'enable' of <%s>", path);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "timeout", &os->bootmenu_timeout, err);
        if (r > 0 && os->bootmenu_timeout > 65535)
                return xml_err_xml(err, "invalid value for boot menu timeout, must be in range [0,65535] "
                                   "(timeout='%u' of <%s>)", os->bootmenu_timeout, path);
        os->has_bootmenu_timeout = r > 0;
        return r < 0 ? r : 0;
}

static int parse_os_child(DomainOsDef *os, xmlNodePtr c, const char *path, ConfError *err) {
        int r;

        if (xml_is(c, "boot"))
                return parse_os_boot(os, c, path, err);

        r = xml_check_unique(c, path, err);
        if (r < 0)
                return r;
        if (xml_is(c, "loader"))
                return parse_os_loader(os, c, path, err);
        if (xml_is(c, "bootmenu"))
                return parse_os_bootmenu(os, c, path, err);
        if (xml_is(c, "nvram"))
                return domain_parse_os_nvram(os, c, path, err);
        if (xml_is(c, "firmware"))
                return domain_parse_os_firmware(os, c, path, err);
        if (xml_is(c, "bios"))
                return domain_parse_os_bios(os, c, path, err);
        if (xml_is(c, "smbios"))
                return domain_parse_os_smbios(os, c, path, err);
        if (xml_is(c, "acpi"))
                return domain_parse_os_acpi(os, c, path, err);

        /* the rest are plain text elements */
        r = XML_CHECK_ATTRS(c, path, err, NULL);
        if (r < 0)
                return r;
        if (xml_is(c, "kernel"))
                return parse_os_path(&os->kernel, c, path, err);
        if (xml_is(c, "initrd"))
                return parse_os_path(&os->initrd, c, path, err);
        r = xml_text(c, path, &os->cmdline, err); /* cmdline */
        return r < 0 ? r : 0;
}

/* <type> says which children the others may be, wherever it stands. */
static int parse_os_type_first(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "type"))
                        continue;
                XML_SUBPATH(sub, path, "type");
                r = xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                return parse_os_type(os, c, sub, err);
        }
        return xml_err_xml(err, "missing element <%s/type>", path);
}

int domain_parse_os(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const hvm_children[] = {
                "type", "firmware", "loader", "nvram", "kernel", "initrd", "cmdline", "boot", "bootmenu",
                "bios", "smbios", "acpi",
        };
        DomainOsDef *os = &def->os;
        bool exe;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "firmware");
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "firmware", domain_firmware, &os->firmware, err);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        r = parse_os_type_first(os, n, path, err);
        if (r < 0)
                return r;
        exe = os_is_exe(os);
        if (exe && os->firmware != DOMAIN_FIRMWARE_NONE)
                return xml_err_unsupported(err, "attribute 'firmware' of <%s> is not supported with OS type "
                                           "'exe': a container has no firmware", path);
        XML_FOREACH_ELEMENT(c, n) {
                bool hvm_child = xml_is_any(c, hvm_children, ELEMENTSOF(hvm_children));
                bool exe_child = domain_os_init_is_child(c);

                if (xml_is(c, "type"))
                        continue;
                if (!hvm_child && !exe_child)
                        return xml_unsupported_element(c, path, err);

                XML_SUBPATH(sub, path, (const char *) c->name);
                /* each OS type has its own children: a machine boots, a container runs an init */
                if (exe ? !exe_child : !hvm_child)
                        return xml_err_unsupported(err, "element <%s> is not supported with OS type '%s': it "
                                                   "belongs to OS type '%s'", sub, os->type, exe ? "hvm" : "exe");
                r = exe ? domain_parse_os_init_child(os, c, sub, err) : parse_os_child(os, c, sub, err);
                if (r < 0)
                        return r;
        }
        if (exe)
                return domain_os_init_check(os, path, err);
        /* UEFI lives in flash; a ROM is what SeaBIOS is */
        if (os->firmware == DOMAIN_FIRMWARE_EFI && os->loader_type == DOMAIN_LOADER_ROM)
                return xml_err_invalid(err, "<%s firmware='efi'> needs a <loader type='pflash'>, not 'rom'", path);
        if (os->firmware == DOMAIN_FIRMWARE_BIOS && os->loader_secure == TRISTATE_ON)
                return xml_err_invalid(err, "<%s/loader secure='yes'> needs firmware='efi', not 'bios'", path);
        return 0;
}

void domain_format_os(XmlWriter *w, const DomainOsDef *os) {
        if (os_is_exe(os)) {
                xw_start(w, "os");
                xw_start(w, "type");
                xw_attr(w, "arch", os->arch);
                xw_text(w, os->type);
                xw_end(w);
                domain_format_os_init(w, os);
                xw_end(w);
                return;
        }
        xw_start(w, "os");
        xw_attr(w, "firmware", domain_firmware_to_string(os->firmware));

        xw_start(w, "type");
        xw_attr(w, "arch", os->arch);
        xw_attr(w, "machine", os->machine);
        xw_text(w, os->type ?: "hvm");
        xw_end(w);
        domain_format_os_firmware(w, os);

        if (os->loader || os->loader_type != DOMAIN_LOADER_DEFAULT || os->loader_readonly != TRISTATE_ABSENT ||
            os->loader_secure != TRISTATE_ABSENT || os->loader_stateless != TRISTATE_ABSENT) {
                xw_start(w, "loader");
                xw_attr(w, "readonly", tristate_word(os->loader_readonly, "yes", "no"));
                xw_attr(w, "secure", tristate_word(os->loader_secure, "yes", "no"));
                xw_attr(w, "stateless", tristate_word(os->loader_stateless, "yes", "no"));
                xw_attr(w, "type", domain_loader_type_to_string(os->loader_type));
                if (os->loader)
                        xw_text(w, os->loader);
                xw_end(w);
        }
        domain_format_os_nvram(w, os);
        xw_element(w, "kernel", os->kernel);
        xw_element(w, "initrd", os->initrd);
        xw_element(w, "cmdline", os->cmdline);
        domain_format_os_acpi(w, os);
        for (size_t i = 0; i < os->n_boot; i++) {
                xw_start(w, "boot");
                xw_attr(w, "dev", domain_boot_dev_to_string(os->boot[i]));
                xw_end(w);
        }
        if (os->bootmenu != TRISTATE_ABSENT) {
                xw_start(w, "bootmenu");
                xw_attr(w, "enable", tristate_word(os->bootmenu, "yes", "no"));
                if (os->has_bootmenu_timeout)
                        xw_attrf(w, "timeout", "%u", os->bootmenu_timeout);
                xw_end(w);
        }
        domain_format_os_bios(w, os);
        domain_format_os_smbios(w, os);
        xw_end(w);
}

/* ---- features ------------------------------------------------------------ */

/* <vmport state=''/>, <smm state=''/>, <pvspinlock/>, <pmu/>: no state
 * means on, as in libvirt. */
static int parse_feature_state(Tristate *state, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "state");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err); /* <smm><tseg/></smm> is not modelled */
        if (r < 0)
                return r;
        r = domain_attr_tristate(n, path, "state", "on", "off", state, err);
        if (r == 0)
                *state = TRISTATE_ON;
        return r < 0 ? r : 0;
}

/* <ioapic driver='qemu|kvm'/>: where the guest's I/O APIC is emulated. */
static int parse_ioapic(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const drivers[] = { "qemu", "kvm" };
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "driver");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "driver", drivers, ELEMENTSOF(drivers), &f->ioapic_driver, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'driver' of <%s>", path);
        return r < 0 ? r : 0;
}

int domain_parse_features(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainFeaturesDef *f = &def->features;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                bool *flag = xml_is(c, "acpi") ? &f->acpi : xml_is(c, "apic") ? &f->apic :
                             xml_is(c, "pae") ? &f->pae : NULL;
                Tristate *state = xml_is(c, "vmport") ? &f->vmport : xml_is(c, "vmcoreinfo") ? &f->vmcoreinfo :
                                  xml_is(c, "pvspinlock") ? &f->pvspinlock : xml_is(c, "pmu") ? &f->pmu : NULL;

                if (!flag && !state && !xml_is(c, "kvm") && !xml_is(c, "hyperv") && !xml_is(c, "ioapic") &&
                    !xml_is(c, "smm") && !xml_is(c, "tcg"))
                        return xml_unsupported_element(c, path, err);

                XML_SUBPATH(sub, path, (const char *) c->name);
                r = xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                if (xml_is(c, "hyperv")) {
                        r = domain_parse_hyperv(f, c, sub, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (xml_is(c, "smm") || xml_is(c, "tcg")) {
                        r = xml_is(c, "smm") ? domain_parse_smm(f, c, sub, err) :
                                               domain_parse_tcg_features(f, c, sub, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (xml_is(c, "ioapic")) {
                        r = parse_ioapic(f, c, sub, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (state) {
                        r = parse_feature_state(state, c, sub, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!flag) {
                        r = domain_parse_kvm_features(f, c, sub, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = flag == &f->apic ? XML_CHECK_ATTRS(c, sub, err, "eoi") : XML_CHECK_ATTRS(c, sub, err, NULL);
                if (r >= 0)
                        r = xml_check_empty(c, sub, err);
                if (r >= 0 && flag == &f->apic)
                        r = domain_attr_tristate(c, sub, "eoi", "on", "off", &f->apic_eoi, err);
                if (r < 0)
                        return r;
                *flag = true;
        }
        return 0;
}

static void format_feature_state(XmlWriter *w, const char *name, Tristate state) {
        if (state == TRISTATE_ABSENT)
                return;
        xw_start(w, name);
        xw_attr(w, "state", tristate_word(state, "on", "off"));
        xw_end(w);
}

void domain_format_features(XmlWriter *w, const DomainFeaturesDef *f) {
        if (!f->acpi && !f->apic && !f->pae && !domain_kvm_features_present(f) &&
            f->vmport == TRISTATE_ABSENT && f->smm == TRISTATE_ABSENT && f->hyperv_mode == DOMAIN_HYPERV_MODE_NONE &&
            !f->ioapic_driver && f->pvspinlock == TRISTATE_ABSENT && f->pmu == TRISTATE_ABSENT &&
            f->vmcoreinfo == TRISTATE_ABSENT && !f->tcg)
                return;
        xw_start(w, "features");
        if (f->acpi)
                xw_empty(w, "acpi");
        if (f->apic) {
                xw_start(w, "apic");
                xw_attr(w, "eoi", tristate_word(f->apic_eoi, "on", "off"));
                xw_end(w);
        }
        if (f->pae)
                xw_empty(w, "pae");
        domain_format_hyperv(w, f);
        domain_format_kvm_features(w, f);
        format_feature_state(w, "pvspinlock", f->pvspinlock);
        format_feature_state(w, "pmu", f->pmu);
        if (f->vmport != TRISTATE_ABSENT) {
                xw_start(w, "vmport");
                xw_attr(w, "state", tristate_word(f->vmport, "on", "off"));
                xw_end(w);
        }
        domain_format_smm(w, f);
        if (f->ioapic_driver) {
                xw_start(w, "ioapic");
                xw_attr(w, "driver", f->ioapic_driver);
                xw_end(w);
        }
        format_feature_state(w, "vmcoreinfo", f->vmcoreinfo);
        domain_format_tcg_features(w, f);
        xw_end(w);
}

/* ---- cpu ----------------------------------------------------------------- */

static const char *const cpu_match_values[] = { "minimum", "exact", "strict" };
static const char *const cpu_check_values[] = { "none", "partial", "full" };
static const char *const cpu_fallback_values[] = { "allow", "forbid" };

static int parse_cpu_model(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "fallback", "vendor_id");
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "fallback", cpu_fallback_values, ELEMENTSOF(cpu_fallback_values),
                            &cpu->model_fallback, err);
        if (r < 0)
                return r;
        /* libvirt's rules: CPUID's 12 characters, and QEMU's option syntax has no comma in it */
        r = xml_attr_str(n, path, "vendor_id", &cpu->model_vendor_id, err);
        if (r > 0 && strlen(cpu->model_vendor_id) != 12)
                return xml_err_xml(err, "vendor_id must be exactly 12 characters long ('%s' of <%s>)",
                                   cpu->model_vendor_id, path);
        if (r > 0 && (strchr(cpu->model_vendor_id, ',') || str_has_newline(cpu->model_vendor_id)))
                return xml_err_xml(err, "vendor id is invalid: '%s' of <%s>", cpu->model_vendor_id, path);
        if (r < 0)
                return r;
        r = xml_text(n, path, &cpu->model, err);
        if (r < 0)
                return r;
        if (!*cpu->model)
                cpu->model = (free(cpu->model), NULL);
        else if (str_has_newline(cpu->model))
                return xml_err_invalid(err, "<%s> must not contain a line break", path);
        return 0;
}

static int parse_topology_count(xmlNodePtr n, const char *path, const char *attr, bool required,
                                unsigned *ret, ConfError *err) {
        int r;

        r = xml_attr_uint(n, path, attr, ret, err);
        if (r < 0)
                return r;
        if (r == 0 && required)
                return xml_err_xml(err, "missing attribute '%s' of <%s>", attr, path);
        if (r > 0 && *ret == 0)
                return xml_err_invalid(err, "value '0' of attribute '%s' of <%s> must be 1 or more", attr, path);
        return 0;
}

static int parse_cpu_topology(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "sockets", "dies", "cores", "threads");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = parse_topology_count(n, path, "sockets", true, &cpu->sockets, err);
        if (r >= 0)
                r = parse_topology_count(n, path, "dies", false, &cpu->dies, err);
        if (r >= 0)
                r = parse_topology_count(n, path, "cores", true, &cpu->cores, err);
        if (r >= 0)
                r = parse_topology_count(n, path, "threads", true, &cpu->threads, err);
        return r;
}

static int parse_cpu_feature(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err) {
        DomainCpuFeature *f;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "policy", "name");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = LIST_APPEND(cpu->features, cpu->n_features, &f, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str_required(n, path, "name", &f->name, err);
        if (r < 0)
                return r;
        r = domain_check_charset(f->name, CHARSET_ALNUM "-_.", "attribute 'name' of", path, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i + 1 < cpu->n_features; i++)
                if (streq(cpu->features[i].name, f->name))
                        return xml_err_invalid(err, "CPU feature '%s' is given more than once in <%s>",
                                               f->name, path);
        r = DOMAIN_ATTR_ENUM(n, path, "policy", domain_cpu_feature_policy, &f->policy, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'policy' of <%s>", path);
        return r < 0 ? r : 0;
}

/* <numa><cell>: libvirt's rules. A cell's id (its place when left out)
 * is below the number of cells, each id once, in any order: the cells are
 * kept sorted by id. A cell without cpus is memory only. */
static int parse_numa_cell(DomainCpuDef *cpu, xmlNodePtr n, const char *path, size_t n_total, ConfError *err) {
        DomainNumaCell *cell;
        unsigned id;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "id", "cpus", "memory", "unit", "memAccess", "discard");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "id", &id, err);
        if (r < 0)
                return r;
        if (r == 0)
                id = (unsigned) cpu->n_cells; /* libvirt numbers cells without an id by their place */
        if (id >= n_total)
                return xml_err_xml(err, "Exactly one 'cell' element per guest NUMA cell allowed, non-contiguous "
                                   "ranges or ranges not starting from 0 are not allowed");
        for (size_t i = 0; i < cpu->n_cells; i++)
                if (cpu->cells[i].id == id)
                        return xml_err_xml(err, "Duplicate NUMA cell info for cell id '%u'", id);
        r = LIST_APPEND(cpu->cells, cpu->n_cells, &cell, path, err);
        if (r < 0)
                return r;
        cell->id = id;
        r = xml_attr_str(n, path, "cpus", &cell->cpus, err);
        if (r > 0)
                r = domain_check_cpuset(cell->cpus, "attribute 'cpus' of", path, err);
        if (r >= 0)
                r = xml_attr_scaled_kib(n, path, "memory", &cell->memory_kib, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'memory' of <%s>", path);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "memAccess", domain_memory_access, &cell->mem_access, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "discard", "yes", "no", &cell->discard, err);
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (r < 0)
                        break;
                r = xml_is(c, "distances") ? domain_parse_numa_distances(cell, c, sub, n_total, err) :
                    xml_is(c, "cache")     ? domain_parse_numa_cache(cell, c, sub, err) :
                                             xml_unsupported_element(c, path, err);
        }
        return r < 0 ? r : 0;
}

static int compare_cell(const void *a, const void *b) {
        const DomainNumaCell *x = a, *y = b;

        return x->id < y->id ? -1 : x->id > y->id;
}

/* libvirt's rule: no vCPU in two cells. */
static int domain_numa_check_overlap(const DomainCpuDef *cpu, ConfError *err) {
        for (size_t i = 0; i < cpu->n_cells; i++)
                for (size_t j = 0; j < i; j++) {
                        cpu_set_t a, b, both;

                        if (!cpu->cells[i].cpus || !cpu->cells[j].cpus ||
                            cpuset_parse(cpu->cells[i].cpus, &a) < 0 || cpuset_parse(cpu->cells[j].cpus, &b) < 0)
                                continue;
                        CPU_AND(&both, &a, &b);
                        if (CPU_COUNT(&both) > 0)
                                return xml_err_unsupported(err, "NUMA cells %u and %u have overlapping vCPU ids",
                                                           cpu->cells[j].id, cpu->cells[i].id);
                }
        return 0;
}

static int parse_cpu_numa(DomainCpuDef *cpu, xmlNodePtr n, const char *path, ConfError *err) {
        size_t n_total = 0;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n)
                n_total += xml_is(c, "cell");
        if (n_total == 0)
                return xml_err_xml(err, "NUMA topology defined without NUMA cells");
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                r = xml_is(c, "cell")          ? parse_numa_cell(cpu, c, sub, n_total, err) :
                    xml_is(c, "interconnects") ? domain_parse_numa_interconnects(cpu, c, sub, err) :
                                                 xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (cpu->n_cells > 1)
                qsort(cpu->cells, cpu->n_cells, sizeof(cpu->cells[0]), compare_cell);
        r = domain_numa_distances_finish(cpu, err);
        if (r >= 0)
                r = domain_numa_hmat_finish(cpu, err);
        return r < 0 ? r : domain_numa_check_overlap(cpu, err);
}

static int parse_cpu_child(DomainCpuDef *cpu, xmlNodePtr c, const char *path, ConfError *err) {
        int r;

        if (xml_is(c, "feature"))
                return parse_cpu_feature(cpu, c, path, err);
        r = xml_check_unique(c, path, err);
        if (r < 0)
                return r;
        if (xml_is(c, "numa"))
                return parse_cpu_numa(cpu, c, path, err);
        if (xml_is(c, "model"))
                return parse_cpu_model(cpu, c, path, err);
        if (xml_is(c, "topology"))
                return parse_cpu_topology(cpu, c, path, err);
        if (xml_is(c, "cache"))
                return domain_parse_cpu_cache(cpu, c, path, err);
        if (xml_is(c, "maxphysaddr"))
                return domain_parse_cpu_maxphysaddr(cpu, c, path, err);
        r = XML_CHECK_ATTRS(c, path, err, NULL); /* vendor */
        if (r < 0)
                return r;
        r = xml_text(c, path, &cpu->vendor, err);
        if (r < 0)
                return r;
        if (!*cpu->vendor || str_has_newline(cpu->vendor))
                return xml_err_invalid(err, "invalid value '%s' of <%s>", cpu->vendor, path);
        return 0;
}

/* libvirt's post-parse: a domain without <memory> has its NUMA cells'
 * memory and its memory devices', and no more current memory than that. */
void domain_numa_memory_finish(DomainDef *def) {
        uint64_t cells = 0;

        if (def->memory_kib > 0 || def->cpu.n_cells == 0)
                return;
        for (size_t i = 0; i < def->cpu.n_cells; i++)
                cells += def->cpu.cells[i].memory_kib;
        def->memory_kib = cells + domain_memory_devices_total(def);
        if (def->current_memory_kib > def->memory_kib)
                def->current_memory_kib = def->memory_kib;
}

int domain_parse_cpu(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainCpuDef *cpu = &def->cpu;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "mode", "match", "check", "migratable");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        cpu->present = true;
        r = DOMAIN_ATTR_ENUM(n, path, "mode", domain_cpu_mode, &cpu->mode, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "match", cpu_match_values, ELEMENTSOF(cpu_match_values), &cpu->match, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "check", cpu_check_values, ELEMENTSOF(cpu_check_values), &cpu->check, err);
        if (r < 0)
                return r;
        r = domain_attr_tristate(n, path, "migratable", "on", "off", &cpu->migratable, err);
        if (r < 0)
                return r;
        /* only a CPU taken from the host (or QEMU's maximum) can hide what does not migrate */
        if (r > 0 && cpu->mode != DOMAIN_CPU_MODE_HOST_PASSTHROUGH && cpu->mode != DOMAIN_CPU_MODE_MAXIMUM)
                return xml_err_unsupported(err, "attribute 'migratable' of <%s> is only supported with "
                                           "mode 'host-passthrough' or 'maximum'", path);

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "model") && !xml_is(c, "vendor") && !xml_is(c, "topology") && !xml_is(c, "feature") &&
                    !xml_is(c, "numa") && !xml_is(c, "cache") && !xml_is(c, "maxphysaddr"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                r = parse_cpu_child(cpu, c, sub, err);
                if (r < 0)
                        return r;
        }

        /* libvirt's default mode is custom, which is what a bare model means */
        if (cpu->mode == DOMAIN_CPU_MODE_NONE && cpu->model)
                cpu->mode = DOMAIN_CPU_MODE_CUSTOM;
        if (cpu->vendor && !cpu->model)
                return xml_err_invalid(err, "<%s/vendor> needs a <%s/model>", path, path);
        return 0;
}

void domain_format_cpu(XmlWriter *w, const DomainCpuDef *cpu) {
        if (!cpu->present)
                return;
        xw_start(w, "cpu");
        xw_attr(w, "mode", domain_cpu_mode_to_string(cpu->mode));
        xw_attr(w, "match", cpu->match);
        xw_attr(w, "check", cpu->check);
        xw_attr(w, "migratable", tristate_word(cpu->migratable, "on", "off"));
        if (cpu->model || cpu->model_fallback || cpu->model_vendor_id) {
                xw_start(w, "model");
                xw_attr(w, "fallback", cpu->model_fallback);
                xw_attr(w, "vendor_id", cpu->model_vendor_id);
                if (cpu->model)
                        xw_text(w, cpu->model);
                xw_end(w);
        }
        xw_element(w, "vendor", cpu->vendor);
        if (cpu->sockets) {
                xw_start(w, "topology");
                xw_attrf(w, "sockets", "%u", cpu->sockets);
                if (cpu->dies)
                        xw_attrf(w, "dies", "%u", cpu->dies);
                xw_attrf(w, "cores", "%u", cpu->cores);
                xw_attrf(w, "threads", "%u", cpu->threads);
                xw_end(w);
        }
        domain_format_cpu_cache(w, cpu);
        for (size_t i = 0; i < cpu->n_features; i++) {
                xw_start(w, "feature");
                xw_attr(w, "policy", domain_cpu_feature_policy_to_string(cpu->features[i].policy));
                xw_attr(w, "name", cpu->features[i].name);
                xw_end(w);
        }
        if (cpu->n_cells > 0) {
                xw_start(w, "numa");
                for (size_t i = 0; i < cpu->n_cells; i++) {
                        xw_start(w, "cell");
                        xw_attrf(w, "id", "%u", cpu->cells[i].id);
                        xw_attr(w, "cpus", cpu->cells[i].cpus);
                        xw_attrf(w, "memory", "%" PRIu64, cpu->cells[i].memory_kib);
                        xw_attr(w, "unit", "KiB");
                        xw_attr(w, "memAccess", domain_memory_access_to_string(cpu->cells[i].mem_access));
                        xw_attr(w, "discard", tristate_word(cpu->cells[i].discard, "yes", "no"));
                        domain_format_numa_distances(w, &cpu->cells[i]);
                        domain_format_numa_caches(w, &cpu->cells[i]);
                        xw_end(w);
                }
                domain_format_numa_interconnects(w, cpu);
                xw_end(w);
        }
        xw_end(w);
}

/* ---- pm ------------------------------------------------------------------ */

static int parse_suspend(Tristate *enabled, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "enabled");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        /* without 'enabled' the element says nothing: the hypervisor's default */
        r = domain_attr_tristate(n, path, "enabled", "yes", "no", enabled, err);
        return r < 0 ? r : 0;
}

int domain_parse_pm(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                Tristate *t = xml_is(c, "suspend-to-mem") ? &def->pm.suspend_to_mem :
                              xml_is(c, "suspend-to-disk") ? &def->pm.suspend_to_disk : NULL;

                if (!t)
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                r = parse_suspend(t, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_pm(XmlWriter *w, const DomainPmDef *pm) {
        if (pm->suspend_to_mem == TRISTATE_ABSENT && pm->suspend_to_disk == TRISTATE_ABSENT)
                return;
        xw_start(w, "pm");
        if (pm->suspend_to_mem != TRISTATE_ABSENT) {
                xw_start(w, "suspend-to-mem");
                xw_attr(w, "enabled", tristate_word(pm->suspend_to_mem, "yes", "no"));
                xw_end(w);
        }
        if (pm->suspend_to_disk != TRISTATE_ABSENT) {
                xw_start(w, "suspend-to-disk");
                xw_attr(w, "enabled", tristate_word(pm->suspend_to_disk, "yes", "no"));
                xw_end(w);
        }
        xw_end(w);
}

/* ---- lifetime ---------------------------------------------------------- */

void domain_os_clear(DomainDef *def) {
        DomainOsDef *os = &def->os;

        free(os->type);
        free(os->arch);
        free(os->machine);
        free(os->kernel);
        free(os->initrd);
        free(os->cmdline);
        free(os->loader);
        free(os->nvram);
        free(os->nvram_type);
        free(os->nvram_template);
        domain_os_nvram_net_free(os);
        free(os->acpi_slic);
        domain_os_init_clear(os);
        free(def->clock.timezone);
        free(def->features.hyperv_vendor_id);
        free(def->features.ioapic_driver);
        free(def->cpu.match);
        free(def->cpu.check);
        free(def->cpu.model);
        free(def->cpu.model_fallback);
        free(def->cpu.model_vendor_id);
        free(def->cpu.vendor);
        for (size_t i = 0; i < def->cpu.n_features; i++)
                free(def->cpu.features[i].name);
        free(def->cpu.features);
        for (size_t i = 0; i < def->cpu.n_cells; i++) {
                free(def->cpu.cells[i].cpus);
                free(def->cpu.cells[i].distances);
                free(def->cpu.cells[i].caches);
        }
        free(def->cpu.cells);
        free(def->cpu.interconnects);
}

bool domain_os_own(DomainDef *def) {
        DomainOsDef *os = &def->os;
        bool ok = true;

        ok = own_str(&os->type) && ok;
        ok = own_str(&os->arch) && ok;
        ok = own_str(&os->machine) && ok;
        ok = own_str(&os->kernel) && ok;
        ok = own_str(&os->initrd) && ok;
        ok = own_str(&os->cmdline) && ok;
        ok = own_str(&os->loader) && ok;
        ok = own_str(&os->nvram) && ok;
        ok = own_str(&os->nvram_type) && ok;
        ok = own_str(&os->nvram_template) && ok;
        ok = domain_os_nvram_net_own(os) && ok;
        ok = own_str(&os->acpi_slic) && ok;
        ok = domain_os_init_own(os) && ok;
        ok = own_str(&def->clock.timezone) && ok;
        ok = own_str(&def->features.hyperv_vendor_id) && ok;
        ok = own_str(&def->features.ioapic_driver) && ok;
        ok = own_str(&def->cpu.match) && ok;
        ok = own_str(&def->cpu.check) && ok;
        ok = own_str(&def->cpu.model) && ok;
        ok = OWN_ARRAY(def->cpu.cells, def->cpu.n_cells) && ok;
        for (size_t i = 0; i < def->cpu.n_cells; i++) {
                ok = own_str(&def->cpu.cells[i].cpus) && ok;
                ok = OWN_ARRAY(def->cpu.cells[i].distances, def->cpu.cells[i].n_distances) && ok;
                ok = OWN_ARRAY(def->cpu.cells[i].caches, def->cpu.cells[i].n_caches) && ok;
        }
        ok = OWN_ARRAY(def->cpu.interconnects, def->cpu.n_interconnects) && ok;
        ok = own_str(&def->cpu.model_fallback) && ok;
        ok = own_str(&def->cpu.model_vendor_id) && ok;
        ok = own_str(&def->cpu.vendor) && ok;
        ok = OWN_ARRAY(def->cpu.features, def->cpu.n_features) && ok;
        for (size_t i = 0; i < def->cpu.n_features; i++)
                ok = own_str(&def->cpu.features[i].name) && ok;
        return ok;
}
