/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What libvirt's define takes and its start refuses (qemu_rules_check_start):
 * a definition made for another host is kept, and its start is refused
 * before QEMU runs, naming what this host or QEMU cannot give. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "qemu-rules-internal.h"
#include "qemu-rules.h"
#include "util.h"
#include "xml-util.h"

/* TCG has no host CPU to pass through (QEMU: "CPU model 'host' requires KVM"). */
static int rule_cpu_host_tcg(const DomainDef *def, ConfError *err) {
        if (def->virt_type == DOMAIN_VIRT_QEMU && def->cpu.mode == DOMAIN_CPU_MODE_HOST_PASSTHROUGH)
                return xml_err_unsupported(err, "CPU mode 'host-passthrough' for %s qemu domain is not supported "
                                           "by hypervisor: it needs <domain type='kvm'>",
                                           def->os.arch ? def->os.arch : "x86_64");
        return 0;
}

/* The Hyper-V enlightenments QEMU 7.2's TCG refuses at start ("kernel
 * doesn't allow setting HyperV VP_INDEX"): only KVM lets QEMU set the
 * VP_INDEX MSR. It takes the others (relaxed, vapic, spinlocks, runtime,
 * synic, stimer, frequencies, tlbflush, ipi, reset, evmcs...) and the guest
 * sees them; libvirt defines such a guest and its start fails in QEMU. */
static const DomainHypervFeature hyperv_kvm_only[] = { DOMAIN_HYPERV_VPINDEX };

static int rule_hyperv_tcg(const DomainDef *def, ConfError *err) {
        const DomainFeaturesDef *f = &def->features;
        char names[128] = "";
        size_t n = 0;

        if (def->virt_type != DOMAIN_VIRT_QEMU || f->hyperv_mode != DOMAIN_HYPERV_MODE_CUSTOM)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(hyperv_kvm_only); i++) {
                if (f->hyperv[hyperv_kvm_only[i]] != TRISTATE_ON)
                        continue;
                snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s'%s'", n++ ? ", " : "",
                         domain_hyperv_feature_to_string(hyperv_kvm_only[i]));
        }
        if (n == 0)
                return 0;
        return xml_err_unsupported(err, "<features><hyperv> asks for what only KVM gives (<domain type='kvm'>) "
                                   "and QEMU's TCG (domain type 'qemu') refuses: Hyper-V enlightenment %s", names);
}

/* x86's hugepage sizes; 4 KiB is the normal page, which libvirt lets be named.
 * libvirt finds no hugetlbfs mount for another size when it starts. */
static bool x86_page_size(uint64_t kib) {
        return kib == 0 || kib == 4 || kib == 2048 || kib == 1048576;
}

static int rule_hugepage_sizes(const DomainDef *def, ConfError *err) {
        const DomainMemoryBackingDef *mb = &def->memory_backing;

        for (size_t i = 0; i < mb->n_pages; i++)
                if (!x86_page_size(mb->pages[i].size_kib))
                        return xml_err_unsupported(err, "hugepage size %" PRIu64 " KiB does not exist on x86 "
                                                   "(2048 KiB and 1048576 KiB do)", mb->pages[i].size_kib);
        return 0;
}

/* What QEMU's x86 machines address; libvirt's define takes up to 2^53 KiB. */
#define MEMORY_MAX_KIB (UINT64_C(16) * 1024 * 1024 * 1024) /* 16 TiB */

static int rule_memory_size(const DomainDef *def, ConfError *err) {
        if (def->memory_kib > MEMORY_MAX_KIB)
                return xml_err_invalid(err, "<memory> of %" PRIu64 " KiB is more than the 16 TiB "
                                       "(%" PRIu64 " KiB) a guest may have", def->memory_kib, MEMORY_MAX_KIB);
        return 0;
}

/* libvirt applies a <filterref> of a network, bridge or ethernet interface
 * at start (its nwfilter driver) and ignores it on the other types; virtbus
 * has no filter driver, and a guest must not run unfiltered where its
 * definition asks for a filter. */
static int rule_filterref(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_nets; i++) {
                const DomainNetDef *n = &def->nets[i];

                if (n->opts.filterref && qemu_rules_net_has_tap(n))
                        return xml_err_unsupported(err, "interface %zu (type '%s') references the network filter "
                                                   "'%s' (<filterref>), and virtbus has no network filter "
                                                   "driver to apply it", i, domain_net_type_to_string(n->type),
                                                   n->opts.filterref);
        }
        return 0;
}

/* libvirt keeps a <backend tap=''> on any interface and refuses it at the
 * start of one that has no tap (qemuDomainValidateActualNetDef). */
static int rule_backend_tap(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_nets; i++) {
                const DomainNetDef *n = &def->nets[i];

                if (n->opts.backend_tap && !qemu_rules_net_has_tap(n))
                        return xml_err_unsupported(err, "interface %zu - custom tap device path (<backend tap=''>) "
                                                   "is not supported for network interfaces of type %s", i,
                                                   domain_net_type_to_string(n->type));
        }
        return 0;
}

/* A disk's block node names are its alias with a suffix ("-fmt", "-slice",
 * "-b2-file" for a backing layer), and QEMU takes node names of at most 31
 * characters: a long user alias, which libvirt takes (its node names are
 * its own), cannot name them. */
#define QEMU_NODE_NAME_MAX 31

static int rule_disk_alias_length(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainDiskDef *d = &def->disks[i];
                char longest[64];
                size_t need;

                if (!d->alias || !domain_alias_is_user(d->alias))
                        continue;
                snprintf(longest, sizeof(longest), d->n_backing ? "-b%zu-slice" : "-slice", d->n_backing);
                need = strlen(d->alias) + strlen(longest);
                if (need > QEMU_NODE_NAME_MAX)
                        return xml_err_unsupported(err, "disk '%s': its user alias '%s' is too long to name QEMU's "
                                                   "block nodes ('%s%s' is more than %d characters)",
                                                   d->dst ? d->dst : "", d->alias, d->alias, longest,
                                                   QEMU_NODE_NAME_MAX);
        }
        return 0;
}

static const QemuRule start_rules[] = {
        { "cpu-host-tcg", rule_cpu_host_tcg },
        { "hyperv-tcg", rule_hyperv_tcg },
        { "hugepage-sizes", rule_hugepage_sizes },
        { "memory-size", rule_memory_size },
        { "filterref", rule_filterref },
        { "backend-tap", rule_backend_tap },
        { "disk-alias-length", rule_disk_alias_length },
};

int qemu_rules_check_start(const DomainDef *def, ConfError *err) {
        return qemu_rules_run(start_rules, ELEMENTSOF(start_rules), def, err);
}
