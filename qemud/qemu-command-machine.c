/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QEMU command line but its devices: identity, machine type,
 * accelerator, firmware, CPU and topology, memory, monitor, clock and
 * timers, power management, lifecycle, direct kernel boot, boot order,
 * and the display options. Devices are in qemu-device.c and the
 * qemu-command-<family>.c files. Pure: see qemu-command.h. */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "qemu-memdev.h"
#include "qemu-command-internal.h"
#include "util.h"
#include "uuid.h"

/* ---- machine ---- */

static bool machine_is_q35(const char *m) {
        return streq(m, "q35") || strncmp(m, "pc-q35-", 7) == 0;
}

static bool machine_is_i440fx(const char *m) {
        return streq(m, "pc") || strncmp(m, "pc-i440fx-", 10) == 0;
}

/* The guest RAM needs its own backend object for hugepages, or to bind it
 * to host NUMA nodes. */
static bool need_ram_backend(const DomainDef *def) {
        const DomainNumatuneDef *n = &def->numatune;

        if (def->cpu.n_cells > 0)
                return false; /* a backend per guest NUMA cell instead (qemu-command-numa.c) */
        if (qemu_memory_backing_needs_backend(def))
                return true;
        return n->present && n->nodeset && !streq_ptr(n->placement, "auto") &&
               !streq_ptr(n->mode, "restrictive");
}

static const DomainTimerDef *find_timer(const DomainDef *def, DomainTimerName name) {
        for (size_t i = 0; i < def->clock.n_timers && i < _DOMAIN_TIMER_MAX; i++)
                if (def->clock.timers[i].name == name)
                        return &def->clock.timers[i];
        return NULL;
}

static int build_machine(QemuCmd *c, const char *machine) {
        const DomainDef *def = c->def;
        const DomainTimerDef *hpet = find_timer(def, DOMAIN_TIMER_HPET);
        const DomainTimerDef *pit = find_timer(def, DOMAIN_TIMER_PIT);
        OptBuf b = {};
        int r;

        opt_add_str(&b, NULL, machine);
        /* guest RAM stays out of QEMU's core dumps unless <memory dumpCore='on'> */
        opt_add(&b, "usb=off,dump-guest-core=%s", c->def->memory_dump_core == TRISTATE_ON ? "on" : "off");
        if (def->memory_backing.nosharepages)
                opt_add(&b, "mem-merge=off");
        if (!def->features.acpi)
                opt_add(&b, "acpi=off");
        /* the VMware I/O port (vmmouse), System Management Mode */
        if (def->features.vmport != TRISTATE_ABSENT)
                opt_add_bool(&b, "vmport", def->features.vmport == TRISTATE_ON);
        if (def->features.smm != TRISTATE_ABSENT)
                opt_add_bool(&b, "smm", def->features.smm == TRISTATE_ON);
        /* <ioapic driver='qemu'/>: the I/O APIC in QEMU, the LAPICs in KVM */
        if (def->features.ioapic_driver)
                opt_add(&b, "kernel-irqchip=%s", streq(def->features.ioapic_driver, "qemu") ? "split" : "on");
        /* <timer present=''/> of the machine's own timers */
        if (hpet && hpet->present != TRISTATE_ABSENT)
                opt_add_bool(&b, "hpet", hpet->present == TRISTATE_ON);
        if (pit && pit->present != TRISTATE_ABSENT)
                opt_add_bool(&b, "pit", pit->present == TRISTATE_ON);
        if (need_ram_backend(def))
                opt_add(&b, "memory-backend=pc.ram");
        r = qemu_pcspk_machine_opt(c, &b);
        if (r < 0) {
                opt_done(&b);
                return r;
        }
        if (qemu_memdev_has_nvdimm(def))
                opt_add(&b, "nvdimm=on");
        qemu_memdev_sgx_machine_opts(def, &b);
        if (qemu_numa_has_hmat(def))
                opt_add(&b, "hmat=on");
        /* <bios useserial='yes'>: on x86 this turns SeaBIOS's serial console on */
        if (def->os.bios_useserial == TRISTATE_ON)
                opt_add(&b, "graphics=off");
        qemu_sev_machine_opt(def, &b);
        if (def->os.loader && def->os.loader_type == DOMAIN_LOADER_PFLASH) {
                opt_add(&b, "pflash0=pflash0-fmt");
                if (def->os.nvram || def->os.nvram_net)
                        opt_add(&b, "pflash1=pflash1-fmt");
        }
        return cmd_opt(c, "-machine", &b);
}

int qemu_resolve_machine(QemuCmd *c, const char **ret) {
        const DomainOsDef *os = &c->def->os;
        const char *m;

        if (os->type && !streq(os->type, "hvm"))
                return cmd_fail(c, -EOPNOTSUPP, "OS type '%s' is not supported, only 'hvm'", os->type);
        if (os->arch && c->caps->arch && !streq(os->arch, c->caps->arch))
                return cmd_fail(c, -EOPNOTSUPP, "architecture '%s' does not match emulator %s (%s)",
                                os->arch, c->caps->binary ?: "", c->caps->arch);
        m = qemu_caps_canonical_machine(c->caps, os->machine);
        if (!m)
                return cmd_fail(c, -EOPNOTSUPP, "machine type '%s' is not supported by %s",
                                os->machine ?: "(default)", c->caps->binary ?: "QEMU");
        if (machine_is_q35(m))
                c->q35 = true;
        else if (!machine_is_i440fx(m))
                return cmd_fail(c, -EOPNOTSUPP, "machine type '%s' is not supported, only pc and q35", m);
        *ret = m;
        return 0;
}

static int build_accel(QemuCmd *c) {
        bool kvm = c->params->accel == QEMU_ACCEL_KVM;
        OptBuf b = {};

        if (kvm && !c->caps->kvm_available)
                return cmd_fail(c, -EOPNOTSUPP, "KVM is not available to %s", c->caps->binary ?: "QEMU");
        if (!kvm && c->params->accel != QEMU_ACCEL_TCG)
                return cmd_fail(c, -EINVAL, "unknown accelerator %d", (int) c->params->accel);
        opt_add(&b, kvm ? "kvm" : "tcg");
        qemu_features_accel_opts(c->def, kvm, &b);
        return cmd_opt(c, "-accel", &b);
}

/* -blockdev nodes for the firmware and its variables store, referenced by
 * the machine's pflash0/pflash1 properties. */
static int build_pflash(QemuCmd *c, unsigned unit, const char *path, bool readonly, bool block) {
        json_object *o = props_new("driver", block ? "host_device" : "file");
        int r;

        prop_str(&o, "filename", path);
        prop_strf(&o, "node-name", "pflash%u-file", unit);
        if (readonly)
                prop_bool(&o, "read-only", true);
        r = cmd_blockdev(c, o);
        if (r < 0)
                return r;
        o = props_new("driver", "raw");
        prop_strf(&o, "node-name", "pflash%u-fmt", unit);
        prop_strf(&o, "file", "pflash%u-file", unit);
        if (readonly)
                prop_bool(&o, "read-only", true);
        return cmd_blockdev(c, o);
}

static int build_loader(QemuCmd *c) {
        const DomainOsDef *os = &c->def->os;
        int r;

        if (!os->loader) {
                /* the driver resolves firmware='efi' (qemu-firmware.c) before building */
                if (os->firmware == DOMAIN_FIRMWARE_EFI)
                        return cmd_fail(c, -EINVAL, "<os firmware='efi'> has not been resolved to a firmware file");
                if (os->loader_secure == TRISTATE_ON)
                        return cmd_fail(c, -EINVAL, "<loader secure='yes'> needs a firmware");
                if (os->nvram || os->nvram_net)
                        return cmd_fail(c, -EINVAL, "<nvram> needs a <loader type='pflash'>");
                return 0;
        }
        if (os->loader_secure == TRISTATE_ON) {
                /* only SMM code may then write the variables store */
                if (os->loader_type != DOMAIN_LOADER_PFLASH)
                        return cmd_fail(c, -EINVAL, "<loader secure='yes'> needs type='pflash'");
                if (c->def->features.smm != TRISTATE_ON)
                        return cmd_fail(c, -EINVAL, "<loader secure='yes'> needs <features><smm state='on'/>");
                r = cmd_arg(c, "-global") ?: cmd_arg(c, "driver=cfi.pflash01,property=secure,value=on");
                if (r < 0)
                        return r;
        }
        if (os->loader_type != DOMAIN_LOADER_PFLASH) {
                if (os->nvram || os->nvram_net)
                        return cmd_fail(c, -EINVAL, "<nvram> needs a <loader type='pflash'>, not a ROM");
                return cmd_arg(c, "-bios") ?: cmd_arg(c, os->loader);
        }
        r = build_pflash(c, 0, os->loader, os->loader_readonly == TRISTATE_ON, false);
        if (r >= 0 && os->nvram_net)
                return qemu_build_nvram_net(c);
        if (r < 0 || !os->nvram)
                return r;
        return build_pflash(c, 1, os->nvram, false, streq_ptr(os->nvram_type, "block"));
}

/* ---- CPU ---- */

static bool cpu_feature_name_is_valid(const char *s) {
        if (!s || !*s)
                return false;
        for (const char *p = s; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *p))
                        return false;
        return true;
}

/* kvmclock (<timer name='kvmclock' present=''/>) is a CPU flag. */
static Tristate kvmclock_present(const DomainDef *def) {
        const DomainTimerDef *t = find_timer(def, DOMAIN_TIMER_KVMCLOCK);

        return t ? t->present : TRISTATE_ABSENT;
}

/* <timer name='tsc' frequency=''/>: the rate the guest's TSC ticks at, 0 if
 * not given. mode (native, emulate...) has no QEMU property. */
static uint64_t tsc_frequency(const DomainDef *def) {
        const DomainTimerDef *t = find_timer(def, DOMAIN_TIMER_TSC);

        return t ? t->frequency : 0;
}

static Tristate hypervclock_present(const DomainDef *def) {
        const DomainTimerDef *t = find_timer(def, DOMAIN_TIMER_HYPERVCLOCK);

        return t ? t->present : TRISTATE_ABSENT;
}

/* <features><hyperv> and <timer name='hypervclock'/>: QEMU's hv-* CPU
 * properties. Features given state='off' are named off; spinlocks and
 * vendor_id off are simply left out (they have no off value). */
static int add_hyperv(QemuCmd *c, OptBuf *b) {
        const DomainFeaturesDef *f = &c->def->features;

        if (hypervclock_present(c->def) != TRISTATE_ABSENT)
                opt_add_bool(b, "hv-time", hypervclock_present(c->def) == TRISTATE_ON);
        /* <panic model='hyperv'/>: the guest reports its crash through the MSRs */
        if (qemu_has_panic(c->def, DOMAIN_PANIC_HYPERV))
                opt_add(b, "hv-crash=on");
        switch (f->hyperv_mode) {
        case DOMAIN_HYPERV_MODE_NONE:
                return 0;
        case DOMAIN_HYPERV_MODE_PASSTHROUGH:
                if (c->params->accel != QEMU_ACCEL_KVM)
                        return -EOPNOTSUPP;
                opt_add(b, "hv-passthrough=on");
                return 0;
        case DOMAIN_HYPERV_MODE_CUSTOM:
                break;
        default:
                return -EINVAL;
        }
        for (int i = 0; i < _DOMAIN_HYPERV_MAX; i++) {
                const char *name = domain_hyperv_feature_to_string((DomainHypervFeature) i);
                Tristate t = f->hyperv[i];

                switch (i) {
                case DOMAIN_HYPERV_SPINLOCKS:
                        if (t == TRISTATE_ON) {
                                if (f->hyperv_spinlocks < DOMAIN_HYPERV_SPINLOCKS_MIN)
                                        return -EINVAL;
                                opt_add(b, "hv-spinlocks=0x%x", f->hyperv_spinlocks);
                        }
                        break;
                case DOMAIN_HYPERV_VENDOR_ID:
                        if (t == TRISTATE_ON) {
                                const char *v = f->hyperv_vendor_id;
                                if (!v || !*v || strlen(v) > DOMAIN_HYPERV_VENDOR_ID_MAX || strchr(v, ','))
                                        return -EINVAL;
                                opt_add(b, "hv-vendor-id=%s", v);
                        }
                        break;
                default:
                        if (t != TRISTATE_ABSENT)
                                opt_add(b, "hv-%s=%s", name, t == TRISTATE_ON ? "on" : "off");
                        if (i == DOMAIN_HYPERV_STIMER && f->hyperv_stimer_direct != TRISTATE_ABSENT)
                                opt_add_bool(b, "hv-stimer-direct", f->hyperv_stimer_direct == TRISTATE_ON);
                }
        }
        return 0;
}

static int cpu_model(QemuCmd *c, const char **ret) {
        const DomainCpuDef *cpu = &c->def->cpu;
        bool kvm = c->params->accel == QEMU_ACCEL_KVM;

        switch (cpu->mode) {
        case DOMAIN_CPU_MODE_NONE:
        case DOMAIN_CPU_MODE_CUSTOM:
                if (!cpu->model) {
                        if (cpu->mode == DOMAIN_CPU_MODE_CUSTOM || cpu->n_features > 0)
                                return cmd_fail(c, -EINVAL, "<cpu mode='custom'> and CPU features need a <model>");
                        /* QEMU's own default; named only when something is added to it */
                        *ret = c->def->features.kvm_hidden == TRISTATE_ON ||
                               c->def->features.apic_eoi != TRISTATE_ABSENT ||
                               c->def->features.pvspinlock != TRISTATE_ABSENT ||
                               c->def->features.pmu != TRISTATE_ABSENT ||
                               kvmclock_present(c->def) != TRISTATE_ABSENT || tsc_frequency(c->def) ||
                               hypervclock_present(c->def) != TRISTATE_ABSENT ||
                               c->def->features.hyperv_mode != DOMAIN_HYPERV_MODE_NONE ||
                               qemu_has_panic(c->def, DOMAIN_PANIC_HYPERV) ||
                               qemu_features_cpu_extra(c->def) ? "qemu64" : NULL;
                        return 0;
                }
                if (!qemu_caps_has_cpu_model(c->caps, cpu->model))
                        return cmd_fail(c, -EOPNOTSUPP, "CPU model '%s' is not supported by %s",
                                        cpu->model, c->caps->binary ?: "QEMU");
                *ret = cpu->model;
                return 0;
        case DOMAIN_CPU_MODE_HOST_PASSTHROUGH:
                /* on TCG the start refused it already (qemu-rules.c) */
        case DOMAIN_CPU_MODE_HOST_MODEL:
                /* "host" is a KVM thing; "max" is what TCG can emulate */
                *ret = kvm ? "host" : "max";
                return 0;
        case DOMAIN_CPU_MODE_MAXIMUM:
                *ret = "max";
                return 0;
        default:
                return cmd_fail(c, -EINVAL, "unknown CPU mode %d", (int) cpu->mode);
        }
}

/* <cpu><cache>, as libvirt gives it: an emulated L3 cache, the host's
 * cache information (host and max only) or neither; <maxphysaddr>: the
 * host's physical address width or a number of bits. */
static void add_cpu_cache(const DomainCpuDef *cpu, const char *model, OptBuf *b) {
        bool host = streq(model, "host") || streq(model, "max");
        bool host_off = false, l3_off = false;

        switch (cpu->cache_mode) {
        case DOMAIN_CPU_CACHE_EMULATE:
                opt_add(b, "l3-cache=on");
                host_off = true;
                break;
        case DOMAIN_CPU_CACHE_PASSTHROUGH:
                opt_add(b, "host-cache-info=on");
                l3_off = true;
                break;
        case DOMAIN_CPU_CACHE_DISABLE:
                host_off = l3_off = true;
                break;
        default:
                break;
        }
        if (host_off && host)
                opt_add(b, "host-cache-info=off");
        if (l3_off)
                opt_add(b, "l3-cache=off");
        if (cpu->physaddr_mode == DOMAIN_CPU_PHYSADDR_PASSTHROUGH)
                opt_add(b, "host-phys-bits=on");
        else if (cpu->physaddr_mode == DOMAIN_CPU_PHYSADDR_EMULATE && cpu->physaddr_bits)
                opt_add(b, "phys-bits=%u", cpu->physaddr_bits);
}

static int build_cpu(QemuCmd *c) {
        const DomainCpuDef *cpu = &c->def->cpu;
        const char *model = NULL;
        OptBuf b = {};
        int r;

        r = cpu_model(c, &model);
        if (r < 0 || !model)
                return r;
        opt_add_str(&b, NULL, model);
        if (cpu->model_vendor_id)
                opt_add_str(&b, "vendor", cpu->model_vendor_id);
        /* host and max leave out, or not, what cannot be migrated */
        if (cpu->migratable != TRISTATE_ABSENT) {
                if (!streq(model, "host") && !streq(model, "max")) {
                        opt_done(&b);
                        return cmd_fail(c, -EINVAL, "<cpu migratable=''> needs mode 'host-passthrough' or "
                                        "'maximum'");
                }
                opt_add_bool(&b, "migratable", cpu->migratable == TRISTATE_ON);
        }
        for (size_t i = 0; i < cpu->n_features; i++) {
                const DomainCpuFeature *f = &cpu->features[i];

                if (!cpu_feature_name_is_valid(f->name)) {
                        opt_done(&b);
                        return cmd_fail(c, -EINVAL, "invalid CPU feature name '%s'", f->name ?: "");
                }
                /* policy 'optional' is a host-side decision (enable when the
                 * host has it), nothing QEMU is told about */
                if (f->policy == DOMAIN_CPU_FEATURE_FORCE || f->policy == DOMAIN_CPU_FEATURE_REQUIRE)
                        opt_add(&b, "%s=on", f->name);
                else if (f->policy == DOMAIN_CPU_FEATURE_DISABLE || f->policy == DOMAIN_CPU_FEATURE_FORBID)
                        opt_add(&b, "%s=off", f->name);
        }
        add_cpu_cache(cpu, model, &b);
        if (c->def->features.kvm_hidden == TRISTATE_ON)
                opt_add(&b, "kvm=off");
        qemu_features_cpu_opts(c->def, &b);
        if (kvmclock_present(c->def) != TRISTATE_ABSENT)
                opt_add_bool(&b, "kvmclock", kvmclock_present(c->def) == TRISTATE_ON);
        if (tsc_frequency(c->def))
                opt_add(&b, "tsc-frequency=%" PRIu64, tsc_frequency(c->def));
        if (c->def->features.apic_eoi != TRISTATE_ABSENT)
                opt_add_bool(&b, "kvm-pv-eoi", c->def->features.apic_eoi == TRISTATE_ON);
        if (c->def->features.pvspinlock != TRISTATE_ABSENT)
                opt_add_bool(&b, "kvm-pv-unhalt", c->def->features.pvspinlock == TRISTATE_ON);
        if (c->def->features.pmu != TRISTATE_ABSENT)
                opt_add_bool(&b, "pmu", c->def->features.pmu == TRISTATE_ON);
        r = add_hyperv(c, &b);
        if (r == -EOPNOTSUPP) {
                opt_done(&b);
                return cmd_fail(c, r, "<features><hyperv mode='passthrough'> needs KVM (domain type 'kvm')");
        }
        if (r < 0) {
                opt_done(&b);
                return cmd_fail(c, r, "invalid <features><hyperv>: spinlocks need retries >= %u, "
                                "vendor_id a value of 1 to %d characters without ','",
                                DOMAIN_HYPERV_SPINLOCKS_MIN, DOMAIN_HYPERV_VENDOR_ID_MAX);
        }
        return cmd_opt(c, "-cpu", &b);
}

static int build_smp(QemuCmd *c) {
        const DomainDef *def = c->def;
        const DomainCpuDef *cpu = &def->cpu;
        unsigned max = def->vcpus, cur = qemu_vcpus_boot_count(def);
        unsigned sockets = max, dies = 1, cores = 1, threads = 1;
        const char *model = NULL;

        if (max == 0)
                return cmd_fail(c, -EINVAL, "<vcpu> must be at least 1");
        if (cur > max)
                return cmd_fail(c, -EINVAL, "current vcpus %u exceed <vcpu> %u", cur, max);
        if (cpu->sockets > 0) {
                sockets = cpu->sockets;
                dies = cpu->dies ?: 1;
                cores = cpu->cores ?: 1;
                threads = cpu->threads ?: 1;
                if ((uint64_t) sockets * dies * cores * threads != max)
                        return cmd_fail(c, -EINVAL,
                                        "CPU topology %u sockets x %u dies x %u cores x %u threads "
                                        "does not match <vcpu> %u", sockets, dies, cores, threads, max);
        }
        return cmd_arg(c, "-smp") ?:
               cmd_argf(c, "%u,maxcpus=%u,sockets=%u,dies=%u,cores=%u,threads=%u",
                        cur, max, sockets, dies, cores, threads) ?:
               cpu_model(c, &model) ?:
               qemu_build_vcpu_devices(c, model, &(QemuVcpuTopology) { sockets, dies, cores, threads });
}

/* One iothread object per IOThread, named as libvirt names them: a disk's
 * iothread property and a live AddIOThread use the same id. */
static void add_thread_pool(OptBuf *b, const DomainThreadPool *p) {
        if (p->has_min)
                opt_add(b, "thread-pool-min=%u", p->min);
        if (p->has_max)
                opt_add(b, "thread-pool-max=%u", p->max);
}

/* <defaultiothread>: the pool of QEMU's main loop, its main-loop object. */
static int build_main_loop(QemuCmd *c) {
        OptBuf b = {};

        if (!c->def->default_iothread.has_min && !c->def->default_iothread.has_max)
                return 0;
        opt_add(&b, "main-loop,id=main-loop");
        add_thread_pool(&b, &c->def->default_iothread);
        return cmd_opt(c, "-object", &b);
}

static int build_iothreads(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_iothreadids; i++) {
                OptBuf b = {};
                int r;

                opt_add(&b, "iothread,id=iothread%u", c->def->iothreadids[i].id);
                add_thread_pool(&b, &c->def->iothreadids[i].pool);
                r = cmd_opt(c, "-object", &b);
                if (r < 0)
                        return r;
        }
        return build_main_loop(c);
}

static int check_max_cpus(QemuCmd *c, const char *machine) {
        for (size_t i = 0; i < c->caps->n_machines; i++) {
                const QemuMachine *m = &c->caps->machines[i];

                if (!streq_ptr(m->name, machine))
                        continue;
                if (m->max_cpus > 0 && c->def->vcpus > m->max_cpus)
                        return cmd_fail(c, -EINVAL, "%u vcpus exceed the %u that machine '%s' supports",
                                        c->def->vcpus, m->max_cpus, machine);
        }
        return 0;
}

/* ---- memory ---- */

/* A libvirt node set ("0-3,^2,5") as a bitmap; QEMU knows at most 128 nodes. */
#define MAX_HOST_NODES 128

static int nodeset_parse(const char *s, bool nodes[MAX_HOST_NODES]) {
        const char *p = s;
        bool any = false;

        memset(nodes, 0, MAX_HOST_NODES * sizeof(bool));
        while (*p) {
                bool neg = *p == '^';
                unsigned long a, b;
                char *end;

                if (neg)
                        p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                a = b = strtoul(p, &end, 10);
                p = end;
                if (*p == '-' && !neg) {
                        p++;
                        if (*p < '0' || *p > '9')
                                return -EINVAL;
                        b = strtoul(p, &end, 10);
                        p = end;
                }
                if (a > b || b >= MAX_HOST_NODES)
                        return -EINVAL;
                for (unsigned long i = a; i <= b; i++)
                        nodes[i] = !neg;
                any = any || !neg;
                if (*p == ',')
                        p++;
                else if (*p)
                        return -EINVAL;
        }
        return any ? 0 : -EINVAL;
}

/* host-nodes= is an integer list: QemuOpts takes repeated keys and ranges. */
static int add_host_nodes(QemuCmd *c, OptBuf *b) {
        const DomainNumatuneDef *n = &c->def->numatune;
        bool nodes[MAX_HOST_NODES];
        const char *policy;

        if (!n->present || !n->nodeset || streq_ptr(n->placement, "auto") ||
            streq_ptr(n->mode, "restrictive"))
                return 0;
        if (!n->mode || streq(n->mode, "strict"))
                policy = "bind";
        else if (streq(n->mode, "preferred") || streq(n->mode, "interleave"))
                policy = n->mode;
        else
                return cmd_fail(c, -EOPNOTSUPP, "numatune mode '%s' is not supported", n->mode);
        if (nodeset_parse(n->nodeset, nodes) < 0)
                return cmd_fail(c, -EINVAL, "invalid numatune nodeset '%s'", n->nodeset);
        for (unsigned i = 0; i < MAX_HOST_NODES; i++) {
                unsigned j = i;

                if (!nodes[i])
                        continue;
                while (j + 1 < MAX_HOST_NODES && nodes[j + 1])
                        j++;
                if (j > i)
                        opt_add(b, "host-nodes=%u-%u", i, j);
                else
                        opt_add(b, "host-nodes=%u", i);
                i = j;
        }
        opt_add(b, "policy=%s", policy);
        return 0;
}

static int check_hugepages(QemuCmd *c) {
        const DomainMemoryBackingDef *mb = &c->def->memory_backing;

        if (!c->params->hugepages_dir)
                return cmd_fail(c, -EINVAL, "hugepages asked but the driver gave no hugetlbfs directory");
        /* Without guest NUMA cells there is one RAM backend, hence one page size */
        if (mb->n_pages > 1)
                return cmd_fail(c, -EOPNOTSUPP, "several <page> sizes need guest NUMA cells, not supported");
        if (mb->n_pages == 1) {
                const DomainHugepage *p = &mb->pages[0];

                if (p->nodeset && !streq(p->nodeset, "0"))
                        return cmd_fail(c, -EINVAL, "hugepage nodeset '%s' names guest NUMA nodes the "
                                        "domain does not have", p->nodeset);
                if (p->size_kib > 0 && c->def->memory_kib % p->size_kib != 0)
                        return cmd_fail(c, -EINVAL, "memory %" PRIu64 " KiB is not a multiple of the "
                                        "hugepage size %" PRIu64 " KiB", c->def->memory_kib, p->size_kib);
        }
        return 0;
}

static int build_ram_backend(QemuCmd *c) {
        const DomainDef *def = c->def;
        OptBuf b = {};
        int r;

        if (!need_ram_backend(def))
                return 0;
        if (def->memory_backing.hugepages) {
                r = check_hugepages(c);
                if (r < 0)
                        return r;
        }
        r = qemu_memory_backend_start(c, &b, "pc.ram", NULL);
        if (r < 0) {
                opt_done(&b);
                return r;
        }
        opt_add(&b, "size=%" PRIu64 "k", def->memory_kib);
        r = add_host_nodes(c, &b);
        if (r < 0) {
                opt_done(&b);
                return r;
        }
        return cmd_opt(c, "-object", &b);
}

static int build_memory(QemuCmd *c) {
        const DomainDef *def = c->def;
        OptBuf b = {};
        int r;

        if (def->memory_kib == 0)
                return cmd_fail(c, -EINVAL, "<memory> must not be 0");
        opt_add(&b, "size=%" PRIu64 "k", qemu_memdev_initial_kib(def));
        if (def->max_memory_kib > 0) {
                if (def->max_memory_kib < def->memory_kib) {
                        opt_done(&b);
                        return cmd_fail(c, -EINVAL, "<maxMemory> %" PRIu64 " KiB is below <memory> %"
                                        PRIu64 " KiB", def->max_memory_kib, def->memory_kib);
                }
                if (def->max_memory_slots == 0) {
                        opt_done(&b);
                        return cmd_fail(c, -EINVAL, "<maxMemory> needs slots");
                }
                opt_add(&b, "slots=%u,maxmem=%" PRIu64 "k", def->max_memory_slots, def->max_memory_kib);
        }
        r = cmd_opt(c, "-m", &b);
        if (r < 0)
                return r;
        if (def->memory_backing.locked) {
                r = cmd_arg(c, "-overcommit") ?: cmd_arg(c, "mem-lock=on");
                if (r < 0)
                        return r;
        }
        return build_ram_backend(c);
}

/* ---- identity, monitor, clock, lifecycle, boot ---- */

static int build_name_uuid(QemuCmd *c, bool uuid) {
        char buf[UUID_STRING_MAX];
        OptBuf b = {};

        if (uuid)
                return cmd_arg(c, "-uuid") ?: cmd_arg(c, uuid_format(c->def->uuid, buf));
        if (!c->def->name || !*c->def->name)
                return cmd_fail(c, -EINVAL, "the domain has no name");
        opt_add_str(&b, "guest", c->def->name);
        opt_add(&b, "debug-threads=on");
        return cmd_opt(c, "-name", &b);
}

static int build_monitor(QemuCmd *c) {
        int fd = c->params->monitor_fd;
        int r;

        if (fd < 0)
                return cmd_fail(c, -EINVAL, "no QMP monitor fd");
        r = cmd_add_fd(c, fd);
        if (r < 0)
                return r;
        return cmd_arg(c, "-chardev") ?:
               cmd_argf(c, "socket,id=charmonitor,fd=%d,server=on,wait=off", fd) ?:
               cmd_arg(c, "-mon") ?:
               cmd_arg(c, "chardev=charmonitor,id=monitor,mode=control");
}

/* What the RTC follows (track='') and how it makes up for lost ticks
 * (tickpolicy='catchup': QEMU slews; 'delay' is QEMU's default). */
static int add_rtc_timer(QemuCmd *c, OptBuf *b) {
        const DomainTimerDef *rtc = find_timer(c->def, DOMAIN_TIMER_RTC);

        if (!rtc)
                return 0;
        switch (rtc->track) {
        case DOMAIN_TIMER_TRACK_DEFAULT:
                break;
        case DOMAIN_TIMER_TRACK_GUEST:
                opt_add(b, "clock=vm");
                break;
        case DOMAIN_TIMER_TRACK_WALL:
                opt_add(b, "clock=host");
                break;
        case DOMAIN_TIMER_TRACK_REALTIME:
                opt_add(b, "clock=rt");
                break;
        default:
                return cmd_fail(c, -EOPNOTSUPP, "track '%s' of timer 'rtc' is not supported",
                                domain_timer_track_to_string(rtc->track) ?: "?");
        }
        switch (rtc->tickpolicy) {
        case DOMAIN_TIMER_TICKPOLICY_DEFAULT:
        case DOMAIN_TIMER_TICKPOLICY_DELAY:
                break;
        case DOMAIN_TIMER_TICKPOLICY_CATCHUP:
                opt_add(b, "driftfix=slew");
                break;
        default:
                return cmd_fail(c, -EOPNOTSUPP, "tickpolicy '%s' of timer 'rtc' is not supported",
                                domain_timer_tickpolicy_to_string(rtc->tickpolicy) ?: "?");
        }
        if (rtc->present == TRISTATE_OFF)
                return cmd_fail(c, -EOPNOTSUPP, "timer 'rtc' cannot be left out");
        return 0;
}

/* base=<date>: the RTC's date at start, in UTC, as QEMU parses it (years
 * 1900 to 9999). On failure b is freed and fmt says why. */
_printf_(4, 5)
static int add_rtc_date(QemuCmd *c, OptBuf *b, int64_t when, const char *fmt, ...) {
        time_t t = (time_t) when;
        struct tm tm;

        if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1900 || tm.tm_year + 1900 > 9999) {
                _cleanup_free_ char *why = NULL;
                va_list ap;
                int k;

                va_start(ap, fmt);
                k = vasprintf(&why, fmt, ap);
                va_end(ap);
                opt_done(b);
                return cmd_fail(c, -EINVAL, "%s", k < 0 ? "the clock's date is out of range" : why);
        }
        opt_add(b, "base=%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
        return 0;
}

static int build_rtc(QemuCmd *c) {
        const DomainClockDef *clock = &c->def->clock;
        OptBuf b = {};
        int r;

        switch (clock->offset) {
        case DOMAIN_CLOCK_UTC:
                opt_add(&b, "base=utc");
                break;
        case DOMAIN_CLOCK_LOCALTIME:
        case DOMAIN_CLOCK_TIMEZONE: /* QEMU's localtime is its TZ's (qemu_command_env) */
                opt_add(&b, "base=localtime");
                break;
        case DOMAIN_CLOCK_ABSOLUTE:
                r = add_rtc_date(c, &b, clock->start > (uint64_t) INT64_MAX ? INT64_MAX : (int64_t) clock->start,
                                 "clock start %" PRIu64 " is out of range", clock->start);
                if (r < 0)
                        return r;
                break;
        case DOMAIN_CLOCK_VARIABLE:
                if (clock->basis != DOMAIN_CLOCK_BASIS_UTC)
                        return cmd_fail(c, -EINVAL, "clock basis 'localtime' must be turned into a utc "
                                        "adjustment before the command line is built");
                if (c->params->now <= 0)
                        return cmd_fail(c, -EINVAL, "clock offset 'variable' needs the start time");
                /* QEMU takes no adjustment, only the guest's date at start */
                r = add_rtc_date(c, &b, c->params->now + clock->adjustment, "clock adjustment %" PRId64
                                 " is out of range", clock->adjustment);
                if (r < 0)
                        return r;
                break;
        default:
                return cmd_fail(c, -EINVAL, "unknown clock offset %d", (int) clock->offset);
        }
        r = add_rtc_timer(c, &b);
        if (r < 0) {
                opt_done(&b);
                return r;
        }
        return cmd_opt(c, "-rtc", &b);
}

/* The PIT's lost tick policy is a property of KVM's in-kernel PIT; QEMU's
 * own (TCG) PIT delays ticks and knows no other way. catchup is what KVM's
 * PIT does by default (it reinjects lost ticks) and what TCG's cannot lose:
 * as libvirt, nothing is set for it. */
static int build_pit(QemuCmd *c) {
        const DomainTimerDef *pit = find_timer(c->def, DOMAIN_TIMER_PIT);
        const char *policy;

        if (!pit || pit->tickpolicy == DOMAIN_TIMER_TICKPOLICY_DEFAULT ||
            pit->tickpolicy == DOMAIN_TIMER_TICKPOLICY_CATCHUP)
                return 0;
        policy = domain_timer_tickpolicy_to_string(pit->tickpolicy);
        if (pit->tickpolicy != DOMAIN_TIMER_TICKPOLICY_DELAY && pit->tickpolicy != DOMAIN_TIMER_TICKPOLICY_DISCARD)
                return cmd_fail(c, -EOPNOTSUPP, "tickpolicy '%s' of timer 'pit' is not supported", policy ?: "?");
        if (pit->present == TRISTATE_OFF)
                return cmd_fail(c, -EINVAL, "timer 'pit' has a tickpolicy but present='no'");
        /* Only KVM's in-kernel PIT has the policy. TCG's PIT delays; for
         * 'discard' libvirt 9.0 still gives the global (its capability is the
         * binary's), which QEMU takes and leaves unused: Proxmox-style guests
         * carry it. */
        if (c->params->accel != QEMU_ACCEL_KVM && pit->tickpolicy == DOMAIN_TIMER_TICKPOLICY_DELAY)
                return 0;
        return cmd_arg(c, "-global") ?: cmd_argf(c, "kvm-pit.lost_tick_policy=%s", policy);
}

static int build_clock(QemuCmd *c) {
        return build_rtc(c) ?: build_pit(c);
}

/* <pm>: S3 and S4 are properties of the ACPI PM device of the chipset. */
static int build_pm(QemuCmd *c) {
        const DomainPmDef *pm = &c->def->pm;
        const char *dev = c->q35 ? "ICH9-LPC" : "PIIX4_PM";
        int r = 0;

        if (pm->suspend_to_mem != TRISTATE_ABSENT)
                r = cmd_arg(c, "-global") ?:
                    cmd_argf(c, "%s.disable_s3=%d", dev, pm->suspend_to_mem == TRISTATE_OFF);
        if (r >= 0 && pm->suspend_to_disk != TRISTATE_ABSENT)
                r = cmd_arg(c, "-global") ?:
                    cmd_argf(c, "%s.disable_s4=%d", dev, pm->suspend_to_disk == TRISTATE_OFF);
        return r;
}

static int build_lifecycle(QemuCmd *c) {
        const DomainDef *def = c->def;
        int r;

        /* QEMU always waits after a guest power-off: the driver decides what
         * follows (quit, or a reset for Reboot and on_poweroff='restart'),
         * and a power-off while the driver is down is still seen after. */
        r = cmd_arg(c, "-no-shutdown");
        if (r >= 0 && def->on_reboot == DOMAIN_ACTION_DESTROY)
                r = cmd_arg(c, "-no-reboot");
        return r;
}

static int build_kernel(QemuCmd *c) {
        const DomainOsDef *os = &c->def->os;
        int r = 0;

        if (!os->kernel) {
                if (os->initrd || os->cmdline)
                        return cmd_fail(c, -EINVAL, "<initrd> and <cmdline> need a <kernel>");
                return 0;
        }
        r = cmd_arg(c, "-kernel") ?: cmd_arg(c, os->kernel);
        if (r >= 0 && os->initrd)
                r = cmd_arg(c, "-initrd") ?: cmd_arg(c, os->initrd);
        if (r >= 0 && os->cmdline)
                r = cmd_arg(c, "-append") ?: cmd_arg(c, os->cmdline);
        return r;
}

static bool has_device_boot_order(const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].boot_order > 0)
                        return true;
        for (size_t i = 0; i < def->n_nets; i++)
                if (def->nets[i].boot_order > 0)
                        return true;
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i].boot_order > 0)
                        return true;
        for (size_t i = 0; i < def->n_redirdevs; i++)
                if (def->redirdevs[i].boot_order > 0)
                        return true;
        for (size_t i = 0; i < def->n_filesystems; i++)
                if (def->filesystems[i].boot_order > 0)
                        return true;
        return false;
}

static int build_boot(QemuCmd *c) {
        static const char letters[_DOMAIN_BOOT_MAX] = {
                [DOMAIN_BOOT_HD] = 'c',
                [DOMAIN_BOOT_CDROM] = 'd',
                [DOMAIN_BOOT_NETWORK] = 'n',
                [DOMAIN_BOOT_FD] = 'a',
        };
        const DomainOsDef *os = &c->def->os;
        char order[_DOMAIN_BOOT_MAX + 1] = {};
        OptBuf b = {};

        /* per-device boot order (bootindex=) wins over <os><boot dev=''/> */
        if (!has_device_boot_order(c->def) && !os->kernel) {
                for (size_t i = 0; i < os->n_boot && i < _DOMAIN_BOOT_MAX; i++) {
                        if ((unsigned) os->boot[i] >= _DOMAIN_BOOT_MAX)
                                return cmd_fail(c, -EINVAL, "unknown boot device %d", (int) os->boot[i]);
                        order[i] = letters[os->boot[i]];
                }
                if (order[0])
                        opt_add(&b, "order=%s", order);
        }
        if (os->bootmenu != TRISTATE_ABSENT)
                opt_add_bool(&b, "menu", os->bootmenu == TRISTATE_ON);
        if (os->has_reboot_timeout)
                opt_add(&b, "reboot-timeout=%d", os->reboot_timeout);
        /* as libvirt: given even with the menu off (SeaBIOS then ignores it) */
        if (os->has_bootmenu_timeout)
                opt_add(&b, "splash-time=%u", os->bootmenu_timeout);
        if (!b.s && !b.oom)
                return 0;
        return cmd_opt(c, "-boot", &b);
}

int qemu_build_display(QemuCmd *c) {
        const DomainDef *def = c->def;
        int r = 0;

        if (def->n_graphics == 0)
                r = cmd_arg(c, "-display") ?: cmd_arg(c, "none");
        for (size_t i = 0; r >= 0 && i < def->n_graphics; i++)
                if (def->graphics[i].type == DOMAIN_GRAPHICS_VNC && def->graphics[i].keymap) {
                        r = cmd_arg(c, "-k") ?: cmd_arg(c, def->graphics[i].keymap);
                        break;
                }
        return r;
}

/* <os><acpi><table type='slic'>: QEMU reads the file and adds it as the
 * SLIC table (libvirt's -acpitable sig=SLIC,file=). */
static int build_acpi_table(QemuCmd *c) {
        OptBuf b = {};

        if (!c->def->os.acpi_slic)
                return 0;
        opt_add(&b, "sig=SLIC");
        opt_add_str(&b, "file", c->def->os.acpi_slic);
        return cmd_opt(c, "-acpitable", &b);
}

int qemu_build_machine_options(QemuCmd *c) {
        const char *machine = NULL;
        int r;

        r = qemu_resolve_machine(c, &machine);
        if (r < 0)
                return r;
        return build_name_uuid(c, false) ?:
               cmd_arg(c, "-S") ?:
               cmd_arg(c, "-msg") ?: cmd_arg(c, "timestamp=on") ?:
               build_machine(c, machine) ?:
               build_accel(c) ?:
               qemu_build_compat(c) ?:
               qemu_build_tseg(c) ?:
               qemu_build_sev(c) ?:
               build_loader(c) ?:
               build_cpu(c) ?:
               build_memory(c) ?:
               check_max_cpus(c, machine) ?:
               build_smp(c) ?:
               qemu_build_numa(c) ?:
               build_iothreads(c) ?:
               build_name_uuid(c, true) ?:
               qemu_build_sysinfo(c) ?:
               cmd_arg(c, "-no-user-config") ?:
               cmd_arg(c, "-nodefaults") ?:
               build_monitor(c) ?:
               build_clock(c) ?:
               build_lifecycle(c) ?:
               build_pm(c) ?:
               build_kernel(c) ?:
               build_boot(c) ?:
               build_acpi_table(c);
}
