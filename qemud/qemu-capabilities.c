/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <strings.h>
#include <sys/utsname.h>

#include "error.h"
#include "qemu-capabilities.h"
#include "qemu-node.h"
#include "qemu-security.h"
#include "util.h"
#include "xml-util.h"

static const char *host_arch(void) {
        static struct utsname u;

        if (!u.machine[0])
                uname(&u);
        return u.machine;
}

static int host_cpu_count(void) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (int) n : 1;
}

static void format_machine(XmlWriter *w, const char *name, const char *canonical, unsigned max_cpus) {
        xw_start(w, "machine");
        xw_attrf(w, "maxCpus", "%u", max_cpus ? max_cpus : 1);
        xw_attr(w, "canonical", canonical);
        xw_text(w, name);
        xw_end(w);
}

static void format_host(XmlWriter *w) {
        xw_start(w, "host");
        xw_start(w, "cpu");
        xw_element(w, "arch", host_arch());
        xw_start(w, "topology");
        xw_attr(w, "sockets", "1");
        xw_attr(w, "dies", "1");
        xw_attrf(w, "cores", "%d", host_cpu_count());
        xw_attr(w, "threads", "1");
        xw_end(w);
        xw_end(w);
        xw_empty(w, "power_management");
        xw_start(w, "migration_features");
        xw_empty(w, "live");
        xw_start(w, "uri_transports");
        xw_element(w, "uri_transport", "tcp");
        xw_end(w);
        xw_end(w);
        /* the primary model ("none" without SELinux), then dac */
        qemu_security_format_secmodels(w);
        xw_end(w);
}

static void format_guest_feature(XmlWriter *w, const char *name, const char *def, const char *toggle) {
        xw_start(w, name);
        xw_attr(w, "default", def);
        xw_attr(w, "toggle", toggle);
        xw_end(w);
}

int qemu_capabilities_format(const QemuCaps *caps, char **ret) {
        const char *arch = caps->arch ? caps->arch : host_arch();
        XmlWriter w = {};

        xw_start(&w, "capabilities");
        format_host(&w);
        xw_start(&w, "guest");
        xw_element(&w, "os_type", "hvm");
        xw_start(&w, "arch");
        xw_attr(&w, "name", arch);
        xw_elementf(&w, "wordsize", "%d", strstr(arch, "64") ? 64 : 32);
        xw_element(&w, "emulator", caps->binary);
        /* The default machine first, as libvirt lists it: clients such as
         * virt-install take the first one when nothing else decides. */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < caps->n_machines; i++) {
                        const QemuMachine *mc = &caps->machines[i];
                        if (mc->is_default != (pass == 0))
                                continue;
                        if (mc->alias)
                                format_machine(&w, mc->alias, mc->name, mc->max_cpus);
                        format_machine(&w, mc->name, NULL, mc->max_cpus);
                }
        xw_start(&w, "domain");
        xw_attr(&w, "type", "qemu");
        xw_end(&w);
        if (caps->kvm_available) {
                xw_start(&w, "domain");
                xw_attr(&w, "type", "kvm");
                xw_end(&w);
        }
        xw_end(&w); /* arch */
        xw_start(&w, "features");
        format_guest_feature(&w, "acpi", "on", "yes");
        format_guest_feature(&w, "apic", "on", "no");
        xw_empty(&w, "cpuselection");
        xw_empty(&w, "deviceboot");
        format_guest_feature(&w, "disksnapshot", "on", "no");
        xw_end(&w);
        xw_end(&w); /* guest */
        xw_end(&w);
        return xw_finish(&w, ret);
}

static void format_enum(XmlWriter *w, const char *name, const char *const *values) {
        xw_start(w, "enum");
        xw_attr(w, "name", name);
        for (const char *const *v = values; *v; v++)
                xw_element(w, "value", *v);
        xw_end(w);
}

static void start_supported(XmlWriter *w, const char *name, bool supported) {
        xw_start(w, name);
        xw_attr(w, "supported", supported ? "yes" : "no");
}

static void format_os(XmlWriter *w) {
        static const char *const firmware[] = { "bios", NULL };
        static const char *const loader_type[] = { "rom", "pflash", NULL };
        static const char *const readonly[] = { "yes", "no", NULL };

        start_supported(w, "os", true);
        format_enum(w, "firmware", firmware);
        start_supported(w, "loader", true);
        format_enum(w, "type", loader_type);
        format_enum(w, "readonly", readonly);
        xw_end(w);
        xw_end(w);
}

/* QEMU does not say who makes a model; its name does. */
static const char *cpu_model_vendor(const char *model) {
        static const char *const amd[] = { "EPYC", "Opteron", "phenom", "athlon", "Dhyana" };

        for (size_t i = 0; i < ELEMENTSOF(amd); i++)
                if (strncasecmp(model, amd[i], strlen(amd[i])) == 0)
                        return "AMD";
        if (strncmp(model, "qemu", 4) == 0 || strncmp(model, "kvm", 3) == 0 || streq(model, "max") ||
            streq(model, "base") || streq(model, "host"))
                return "unknown";
        return "Intel";
}

static void start_mode(XmlWriter *w, const char *name, bool supported) {
        xw_start(w, "mode");
        xw_attr(w, "name", name);
        xw_attr(w, "supported", supported ? "yes" : "no");
}

static void format_migratable(XmlWriter *w, const char *name) {
        static const char *const on_off[] = { "on", "off", NULL };

        format_enum(w, name, on_off);
}

/* usable: QEMU's word, from the probe, which ran with KVM when the host has
 * it: for the other accelerator we cannot tell. */
static const char *model_usable(const QemuCaps *caps, bool kvm, const char *model) {
        if (kvm != caps->kvm_available || !caps->cpu_usability_known)
                return "unknown";
        return qemu_caps_cpu_model_usable(caps, model) ? "yes" : "no";
}

static void format_cpu(XmlWriter *w, const QemuCaps *caps, bool kvm) {
        _cleanup_(host_cpu_done) HostCpu host = {};
        _cleanup_free_ char *cpuinfo = NULL;
        const char *host_model = NULL;

        if (kvm && read_full_file("/proc/cpuinfo", 4U << 20, &cpuinfo, NULL) >= 0 &&
            qemu_node_parse_cpuinfo(cpuinfo, &host) >= 0)
                host_model = qemu_node_host_model(caps, &host);
        xw_start(w, "cpu");
        start_mode(w, "host-passthrough", kvm);
        if (kvm)
                format_migratable(w, "hostPassthroughMigratable");
        xw_end(w);
        start_mode(w, "maximum", true);
        format_migratable(w, "maximumMigratable");
        xw_end(w);
        /* host-model names the model it stands for, as libvirt does:
         * clients (virt-install) read it */
        start_mode(w, "host-model", host_model != NULL);
        if (host_model) {
                xw_start(w, "model");
                xw_attr(w, "fallback", "forbid");
                xw_text(w, host_model);
                xw_end(w);
                xw_element(w, "vendor", host.vendor);
        }
        xw_end(w);
        start_mode(w, "custom", true);
        for (char **c = caps->cpu_models; c && *c; c++) {
                xw_start(w, "model");
                xw_attr(w, "usable", model_usable(caps, kvm, *c));
                xw_attr(w, "vendor", cpu_model_vendor(*c));
                xw_text(w, *c);
                xw_end(w);
        }
        xw_end(w);
        xw_end(w);
}

static void format_devices(XmlWriter *w) {
        static const char *const disk_device[] = { "disk", "cdrom", NULL };
        static const char *const disk_bus[] = { "ide", "scsi", "virtio", "sata", NULL };
        static const char *const graphics[] = { "vnc", "spice", NULL };
        static const char *const video[] = { "vga", "cirrus", "virtio", "qxl", "bochs", "none", NULL };
        static const char *const rng_model[] = { "virtio", NULL };
        static const char *const rng_backend[] = { "random", "builtin", NULL };

        xw_start(w, "devices");
        start_supported(w, "disk", true);
        format_enum(w, "diskDevice", disk_device);
        format_enum(w, "bus", disk_bus);
        xw_end(w);
        start_supported(w, "graphics", true);
        format_enum(w, "type", graphics);
        xw_end(w);
        start_supported(w, "video", true);
        format_enum(w, "modelType", video);
        xw_end(w);
        start_supported(w, "rng", true);
        format_enum(w, "model", rng_model);
        format_enum(w, "backendModel", rng_backend);
        xw_end(w);
        xw_end(w);
}

static void format_features(XmlWriter *w) {
        static const char *const features[] = { "gic", "vmcoreinfo", "genid", "sev" };
        static const bool supported[] = { false, true, true, false };

        xw_start(w, "features");
        for (size_t i = 0; i < ELEMENTSOF(features); i++) {
                start_supported(w, features[i], supported[i]);
                xw_end(w);
        }
        xw_end(w);
}

int qemu_domain_capabilities_format(const QemuCaps *caps, const char *emulator, const char *arch,
                                    const char *machine, const char *virttype, char **ret, sd_bus_error *error) {
        const char *our_arch = caps->arch ? caps->arch : host_arch();
        const char *canonical;
        XmlWriter w = {};

        if (*emulator && !streq(emulator, caps->binary))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unknown emulator '%s' (qemud runs %s)", emulator,
                                     caps->binary);
        if (*arch && !streq(arch, our_arch))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported architecture '%s' (the emulator is %s)",
                                     arch, our_arch);
        if (!*virttype)
                virttype = caps->kvm_available ? "kvm" : "qemu";
        if (!streq(virttype, "qemu") && !streq(virttype, "kvm"))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unknown virttype '%s'", virttype);
        if (streq(virttype, "kvm") && !caps->kvm_available)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "virttype 'kvm' is not available on this host");
        canonical = qemu_caps_canonical_machine(caps, *machine ? machine : NULL);
        if (!canonical)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unknown machine type '%s'", machine);

        xw_start(&w, "domainCapabilities");
        xw_element(&w, "path", caps->binary);
        xw_element(&w, "domain", virttype);
        xw_element(&w, "machine", canonical);
        xw_element(&w, "arch", our_arch);
        xw_start(&w, "vcpu");
        xw_attr(&w, "max", "255");
        xw_end(&w);
        start_supported(&w, "iothreads", true);
        xw_end(&w);
        format_os(&w);
        format_cpu(&w, caps, streq(virttype, "kvm"));
        format_devices(&w);
        format_features(&w);
        xw_end(&w);
        return xw_finish(&w, ret);
}
