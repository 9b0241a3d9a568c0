/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <sys/utsname.h>

#include "error.h"
#include "qemu-capabilities.h"
#include "util.h"

/* A growing string for the XML we write by hand. */
typedef struct Buf {
        char *data;
        size_t len, alloc;
        bool oom;
} Buf;

static void buf_printf(Buf *b, const char *fmt, ...) _printf_(2, 3);
static void buf_printf(Buf *b, const char *fmt, ...) {
        va_list ap;
        int n;

        if (b->oom)
                return;
        for (;;) {
                size_t room = b->alloc - b->len;
                va_start(ap, fmt);
                n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        b->oom = true;
                        return;
                }
                if ((size_t) n < room) {
                        b->len += (size_t) n;
                        return;
                }
                size_t na = MAX(b->alloc * 2, b->len + (size_t) n + 256);
                char *nd = realloc(b->data, na);
                if (!nd) {
                        b->oom = true;
                        return;
                }
                b->data = nd;
                b->alloc = na;
        }
}

static int buf_finish(Buf *b, char **ret) {
        if (b->oom || !b->data) {
                free(b->data);
                return -ENOMEM;
        }
        *ret = b->data;
        return 0;
}

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

static void format_machines(Buf *b, const QemuCaps *caps, const char *indent) {
        for (size_t i = 0; i < caps->n_machines; i++) {
                const QemuMachine *mc = &caps->machines[i];
                if (mc->alias)
                        buf_printf(b, "%s<machine maxCpus='%u' canonical='%s'>%s</machine>\n", indent,
                                   mc->max_cpus ? mc->max_cpus : 1, mc->name, mc->alias);
                buf_printf(b, "%s<machine maxCpus='%u'>%s</machine>\n", indent, mc->max_cpus ? mc->max_cpus : 1,
                           mc->name);
        }
}

int qemu_capabilities_format(const QemuCaps *caps, char **ret) {
        const char *arch = caps->arch ? caps->arch : host_arch();
        Buf b = {};

        buf_printf(&b, "<capabilities>\n\n  <host>\n    <cpu>\n      <arch>%s</arch>\n", host_arch());
        buf_printf(&b, "      <topology sockets='1' dies='1' cores='%d' threads='1'/>\n    </cpu>\n", host_cpu_count());
        buf_printf(&b, "    <power_management/>\n    <migration_features>\n      <live/>\n"
                       "      <uri_transports>\n        <uri_transport>tcp</uri_transport>\n"
                       "      </uri_transports>\n    </migration_features>\n");
        buf_printf(&b, "    <secmodel>\n      <model>none</model>\n      <doi>0</doi>\n    </secmodel>\n"
                       "  </host>\n\n");
        buf_printf(&b, "  <guest>\n    <os_type>hvm</os_type>\n    <arch name='%s'>\n      <wordsize>%d</wordsize>\n"
                       "      <emulator>%s</emulator>\n",
                   arch, strstr(arch, "64") ? 64 : 32, caps->binary);
        format_machines(&b, caps, "      ");
        buf_printf(&b, "      <domain type='qemu'/>\n");
        if (caps->kvm_available)
                buf_printf(&b, "      <domain type='kvm'/>\n");
        buf_printf(&b, "    </arch>\n    <features>\n      <acpi default='on' toggle='yes'/>\n"
                       "      <apic default='on' toggle='no'/>\n      <cpuselection/>\n"
                       "      <deviceboot/>\n      <disksnapshot default='on' toggle='no'/>\n"
                       "    </features>\n  </guest>\n\n</capabilities>\n");
        return buf_finish(&b, ret);
}

static const char *bool_yes(bool b) {
        return b ? "yes" : "no";
}

static void format_enum(Buf *b, const char *indent, const char *name, const char *const *values) {
        buf_printf(b, "%s<enum name='%s'>\n", indent, name);
        for (const char *const *v = values; *v; v++)
                buf_printf(b, "%s  <value>%s</value>\n", indent, *v);
        buf_printf(b, "%s</enum>\n", indent);
}

static void format_devices(Buf *b) {
        static const char *const disk_device[] = { "disk", "cdrom", NULL };
        static const char *const disk_bus[] = { "ide", "scsi", "virtio", "sata", NULL };
        static const char *const graphics[] = { "vnc", "spice", NULL };
        static const char *const video[] = { "vga", "cirrus", "virtio", "qxl", "bochs", "none", NULL };
        static const char *const rng_model[] = { "virtio", NULL };
        static const char *const rng_backend[] = { "random", "builtin", NULL };

        buf_printf(b, "  <devices>\n    <disk supported='yes'>\n");
        format_enum(b, "      ", "diskDevice", disk_device);
        format_enum(b, "      ", "bus", disk_bus);
        buf_printf(b, "    </disk>\n    <graphics supported='yes'>\n");
        format_enum(b, "      ", "type", graphics);
        buf_printf(b, "    </graphics>\n    <video supported='yes'>\n");
        format_enum(b, "      ", "modelType", video);
        buf_printf(b, "    </video>\n    <rng supported='yes'>\n");
        format_enum(b, "      ", "model", rng_model);
        format_enum(b, "      ", "backendModel", rng_backend);
        buf_printf(b, "    </rng>\n  </devices>\n");
}

int qemu_domain_capabilities_format(const QemuCaps *caps, const char *emulator, const char *arch,
                                    const char *machine, const char *virttype, char **ret, sd_bus_error *error) {
        const char *our_arch = caps->arch ? caps->arch : host_arch();
        const char *canonical;
        Buf b = {};

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

        buf_printf(&b, "<domainCapabilities>\n  <path>%s</path>\n  <domain>%s</domain>\n  <machine>%s</machine>\n"
                       "  <arch>%s</arch>\n  <vcpu max='%d'/>\n  <iothreads supported='yes'/>\n",
                   caps->binary, virttype, canonical, our_arch, 255);
        buf_printf(&b, "  <os supported='yes'>\n");
        {
                static const char *const firmware[] = { "bios", NULL };
                static const char *const loader_type[] = { "rom", "pflash", NULL };
                static const char *const readonly[] = { "yes", "no", NULL };
                format_enum(&b, "    ", "firmware", firmware);
                buf_printf(&b, "    <loader supported='yes'>\n");
                format_enum(&b, "      ", "type", loader_type);
                format_enum(&b, "      ", "readonly", readonly);
                buf_printf(&b, "    </loader>\n");
        }
        buf_printf(&b, "  </os>\n  <cpu>\n    <mode name='host-passthrough' supported='%s'/>\n"
                       "    <mode name='maximum' supported='yes'/>\n"
                       "    <mode name='host-model' supported='%s'/>\n"
                       "    <mode name='custom' supported='yes'>\n",
                   bool_yes(streq(virttype, "kvm")), bool_yes(streq(virttype, "kvm")));
        for (char **c = caps->cpu_models; c && *c; c++)
                buf_printf(&b, "      <model usable='unknown'>%s</model>\n", *c);
        buf_printf(&b, "    </mode>\n  </cpu>\n");
        format_devices(&b);
        buf_printf(&b, "  <features>\n    <gic supported='no'/>\n    <vmcoreinfo supported='yes'/>\n"
                       "    <genid supported='yes'/>\n    <sev supported='no'/>\n  </features>\n"
                       "</domainCapabilities>\n");
        return buf_finish(&b, ret);
}
