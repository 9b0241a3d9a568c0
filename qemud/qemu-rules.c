/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>

#include "cpuset.h"
#include "qemu-rules-internal.h"
#include "qemu-rules.h"
#include "util.h"
#include "xml-util.h"

static bool machine_is_q35(const char *m) {
        return m && (streq(m, "q35") || strncmp(m, "pc-q35-", 7) == 0);
}

/* "pc", "pc-i440fx-7.2", "pc-1.2": a PC with the i440FX host bridge. */
static bool machine_is_i440fx(const char *m) {
        return m && !machine_is_q35(m) && (streq(m, "pc") || strncmp(m, "pc-", 3) == 0);
}

static bool model_is(const char *model, const char *want) {
        return model && streq(model, want);
}

bool qemu_rules_net_has_tap(const DomainNetDef *n) {
        return n->type == DOMAIN_NET_NETWORK || n->type == DOMAIN_NET_BRIDGE || n->type == DOMAIN_NET_ETHERNET;
}

static int rule_pci_root_index(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_controllers; i++) {
                const DomainControllerDef *c = &def->controllers[i];

                if (c->type == DOMAIN_CONTROLLER_PCI && c->index != 0 &&
                    (model_is(c->model, "pci-root") || model_is(c->model, "pcie-root")))
                        return xml_err_xml(err, "pci-root and pcie-root controllers should have index 0 "
                                           "(found model='%s' with index='%u')", c->model, c->index);
        }
        return 0;
}

static int rule_pci_root_model(const DomainDef *def, ConfError *err) {
        const char *want;

        if (machine_is_q35(def->os.machine))
                want = "pcie-root";
        else if (machine_is_i440fx(def->os.machine))
                want = "pci-root";
        else
                return 0;
        for (size_t i = 0; i < def->n_controllers; i++) {
                const DomainControllerDef *c = &def->controllers[i];

                if (c->type == DOMAIN_CONTROLLER_PCI && c->index == 0 && c->model && !streq(c->model, want))
                        return xml_err_xml(err, "The PCI controller with index='0' must be model='%s' for this "
                                           "machine type ('%s'), but model='%s' was found instead",
                                           want, def->os.machine, c->model);
        }
        return 0;
}

static bool usb_disabled(const DomainDef *def) {
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == DOMAIN_CONTROLLER_USB && model_is(def->controllers[i].model, "none"))
                        return true;
        return false;
}

static int rule_usb_none(const DomainDef *def, ConfError *err) {
        size_t n_usb = 0;

        if (!usb_disabled(def))
                return 0;
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == DOMAIN_CONTROLLER_USB)
                        n_usb++;
        if (n_usb > 1)
                return xml_err_xml(err, "Can't add another USB controller: USB is disabled for this domain "
                                   "(<controller type='usb' model='none'/>)");
        for (size_t i = 0; i < def->n_inputs; i++)
                if (model_is(def->inputs[i].bus, "usb"))
                        return xml_err_unsupported(err, "Can't add USB input device (<input type='%s' bus='usb'/>). "
                                                   "USB bus is disabled", def->inputs[i].type ?: "");
        if (def->n_redirdevs > 0)
                return xml_err_unsupported(err, "cannot add redirected USB device: USB is disabled for this domain");
        if (def->n_hubs > 0)
                return xml_err_unsupported(err, "USB is disabled for this domain, but a USB <hub> is present");
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].bus == DOMAIN_DISK_BUS_USB)
                        return xml_err_unsupported(err, "USB is disabled for this domain, but disk '%s' is on bus "
                                                   "'usb'", def->disks[i].dst ?: "");
        return 0;
}

/* A companion (<master startport=''/>) lends its ports to the EHCI
 * controller of its index: there must be one. */
static int rule_usb_companion(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_controllers; i++) {
                const DomainControllerDef *c = &def->controllers[i];
                bool master = false;

                if (c->type != DOMAIN_CONTROLLER_USB || !c->has_master)
                        continue;
                for (size_t j = 0; j < def->n_controllers && !master; j++) {
                        const DomainControllerDef *m = &def->controllers[j];

                        master = m->type == DOMAIN_CONTROLLER_USB && m->index == c->index && !m->has_master;
                }
                if (!master)
                        return xml_err_unsupported(err, "USB controller '%s' index %u is a companion (<master "
                                                   "startport='%u'/>) but no USB controller of index %u is its "
                                                   "master", c->model ?: "", c->index, c->master_startport,
                                                   c->index);
        }
        return 0;
}

#define XHCI_MAX_PORTS 15u

static int rule_usb_ports(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_controllers; i++) {
                const DomainControllerDef *c = &def->controllers[i];

                if (c->type == DOMAIN_CONTROLLER_USB && c->ports > XHCI_MAX_PORTS &&
                    (model_is(c->model, "qemu-xhci") || model_is(c->model, "nec-xhci")))
                        return xml_err_unsupported(err, "'%s' controller only supports up to '%u' ports, "
                                                   "not %u", c->model, XHCI_MAX_PORTS, c->ports);
        }
        return 0;
}

/* "vdb1", "sda12": a name that ends in a digit names a partition. */
static int rule_disk_partition(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const char *dst = def->disks[i].dst;
                size_t len = dst ? strlen(dst) : 0;

                if (len > 0 && isdigit((unsigned char) dst[len - 1]))
                        return xml_err_unsupported(err, "invalid disk target '%s', partitions can't appear in "
                                                   "disk targets", dst);
        }
        return 0;
}

static int rule_disk_shared_format(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainDiskDef *d = &def->disks[i];

                if (d->shareable && !d->readonly && d->format != DOMAIN_DISK_FORMAT_NONE &&
                    d->format != DOMAIN_DISK_FORMAT_RAW)
                        return xml_err_unsupported(err, "shared access for disk '%s' requires use of supported "
                                                   "storage format: only 'raw' can be written by two guests",
                                                   d->dst ?: "");
        }
        return 0;
}

static int rule_video(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_videos; i++) {
                const DomainVideoDef *v = &def->videos[i];

                if (model_is(v->model, "none") && def->n_videos > 1)
                        return xml_err_unsupported(err, "a 'none' video type must be the only video device "
                                                   "defined for the domain");
                if (model_is(v->model, "ramfb") && v->addr.type != DOMAIN_ADDRESS_NONE)
                        return xml_err_unsupported(err, "address not supported for video type ramfb");
        }
        return 0;
}

static int rule_firmware_auto(const DomainDef *def, ConfError *err) {
        const DomainOsDef *os = &def->os;

        if (os->firmware == DOMAIN_FIRMWARE_NONE)
                return 0;
        if (os->loader)
                return xml_err_xml(err, "loader path cannot be specified when firmware autoselection is enabled "
                                   "(<os firmware=''> with <loader>%s</loader>)", os->loader);
        if (os->loader_secure == TRISTATE_OFF)
                return xml_err_xml(err, "loader attribute 'secure' cannot be specified when firmware "
                                   "autoselection is enabled");
        if ((os->nvram || os->nvram_net || os->nvram_template) && os->firmware != DOMAIN_FIRMWARE_EFI)
                return xml_err_xml(err, "firmware type 'bios' does not support nvram");
        return 0;
}

static int rule_loader_path(const DomainDef *def, ConfError *err) {
        const DomainOsDef *os = &def->os;
        bool loader_given = os->loader_type != DOMAIN_LOADER_DEFAULT || os->loader_readonly != TRISTATE_ABSENT ||
                            os->loader_secure != TRISTATE_ABSENT;

        if (os->firmware == DOMAIN_FIRMWARE_NONE && loader_given && !os->loader)
                return xml_err_xml(err, "no loader path specified and firmware auto selection disabled");
        return 0;
}

/* <os><firmware> features only steer auto-selection; enrolled keys are
 * Secure Boot's keys. */
static int rule_firmware_features(const DomainDef *def, ConfError *err) {
        const DomainOsDef *os = &def->os;

        if (os->fw_secure_boot == TRISTATE_ABSENT && os->fw_enrolled_keys == TRISTATE_ABSENT)
                return 0;
        if (os->firmware == DOMAIN_FIRMWARE_NONE)
                return xml_err_xml(err, "cannot use feature-based firmware autoselection when firmware "
                                   "autoselection is disabled (<os><firmware> needs <os firmware='efi'>)");
        if (os->fw_enrolled_keys == TRISTATE_ON && os->fw_secure_boot == TRISTATE_OFF)
                return xml_err_xml(err, "firmware feature 'enrolled-keys' cannot be enabled when firmware "
                                   "feature 'secure-boot' is disabled");
        return 0;
}

/* A stateless firmware keeps no variables; a stateful one needs a flash to keep them in. */
static int rule_loader_stateless(const DomainDef *def, ConfError *err) {
        const DomainOsDef *os = &def->os;

        if (os->loader_stateless == TRISTATE_ON) {
                if (os->nvram_template)
                        return xml_err_xml(err, "NVRAM template is not permitted when loader is stateless");
                if (os->nvram || os->nvram_net)
                        return xml_err_xml(err, "NVRAM is not permitted when loader is stateless");
                return 0;
        }
        if (os->loader_stateless != TRISTATE_OFF)
                return 0;
        if (os->firmware == DOMAIN_FIRMWARE_NONE && os->loader_type != DOMAIN_LOADER_PFLASH)
                return xml_err_xml(err, "Only pflash loader type permits NVRAM (<loader stateless='no'>)");
        if (os->firmware != DOMAIN_FIRMWARE_NONE && os->firmware != DOMAIN_FIRMWARE_EFI)
                return xml_err_xml(err, "Only EFI firmware permits NVRAM (<loader stateless='no'>)");
        return 0;
}

static int rule_uefi_acpi(const DomainDef *def, ConfError *err) {
        bool uefi = def->os.firmware == DOMAIN_FIRMWARE_EFI || def->os.loader_type == DOMAIN_LOADER_PFLASH;

        if (uefi && !def->features.acpi)
                return xml_err_unsupported(err, "UEFI requires ACPI on this architecture: add <features><acpi/>");
        return 0;
}

static int rule_memory_hotplug_numa(const DomainDef *def, ConfError *err) {
        if (def->max_memory_kib > 0 && def->cpu.n_cells == 0)
                return xml_err_unsupported(err, "At least one numa node has to be configured when enabling "
                                           "memory hotplug (<maxMemory> needs <cpu><numa><cell>)");
        return 0;
}

static int rule_numatune(const DomainDef *def, ConfError *err) {
        const DomainNumatuneDef *nt = &def->numatune;
        bool restrictive = model_is(nt->mode, "restrictive");

        if (!nt->present)
                return 0;
        if (model_is(nt->placement, "static") && !nt->nodeset)
                return xml_err_unsupported(err, "nodeset for NUMA memory tuning must be set if 'placement' is "
                                           "'static'");
        for (size_t i = 0; i < nt->n_memnodes; i++) {
                bool mn = model_is(nt->memnodes[i].mode, "restrictive");

                if (restrictive && !mn)
                        return xml_err_xml(err, "'restrictive' mode is required in memnode element when mode is "
                                           "'restrictive' in memory element (memnode cellid='%u')",
                                           nt->memnodes[i].cellid);
                if (mn && !restrictive)
                        return xml_err_xml(err, "'restrictive' mode is required in memory element when mode is "
                                           "'restrictive' in memnode element (memnode cellid='%u')",
                                           nt->memnodes[i].cellid);
        }
        return 0;
}

static int rule_iommu(const DomainDef *def, ConfError *err) {
        const DomainIommuDef *io = &def->iommu;
        const char *model = io->model == DOMAIN_IOMMU_INTEL ? "intel" : "virtio";

        if (!io->present)
                return 0;
        if (machine_is_i440fx(def->os.machine))
                return xml_err_unsupported(err, "IOMMU device: '%s' is only supported with Q35 machines "
                                           "(this machine is '%s')", model, def->os.machine);
        if (io->model != DOMAIN_IOMMU_VIRTIO)
                return 0;
        if (!def->features.acpi)
                return xml_err_unsupported(err, "IOMMU device: 'virtio' needs ACPI: add <features><acpi/>");
        if (io->addr.type == DOMAIN_ADDRESS_PCI && io->addr.bus != 0)
                return xml_err_unsupported(err, "IOMMU device: 'virtio' must sit on the root bus (pcie.0), "
                                           "not on bus %u", io->addr.bus);
        return 0;
}

/* What QEMU can do of <cpu><cache> and <maxphysaddr>: an emulated L3
 * cache, the host's caches or none; the host's address width or a given
 * one (QEMU 7.2 has no limit on the host's). */
static int rule_cpu_cache(const DomainDef *def, ConfError *err) {
        const DomainCpuDef *cpu = &def->cpu;
        const char *mode = domain_cpu_cache_mode_to_string(cpu->cache_mode);
        bool host = cpu->mode == DOMAIN_CPU_MODE_HOST_PASSTHROUGH || cpu->mode == DOMAIN_CPU_MODE_MAXIMUM;

        if (cpu->physaddr_mode == DOMAIN_CPU_PHYSADDR_PASSTHROUGH && cpu->physaddr_bits)
                return xml_err_unsupported(err, "CPU maximum physical address bits number specification cannot be "
                                           "used with mode='passthrough'");
        switch (cpu->cache_mode) {
        case DOMAIN_CPU_CACHE_EMULATE:
                if (cpu->cache_level != 3)
                        return xml_err_unsupported(err, "CPU cache mode '%s' can only be used with level='3'", mode);
                return 0;
        case DOMAIN_CPU_CACHE_PASSTHROUGH:
        case DOMAIN_CPU_CACHE_DISABLE:
                if (cpu->cache_mode == DOMAIN_CPU_CACHE_PASSTHROUGH && !host)
                        return xml_err_unsupported(err, "CPU cache mode '%s' can only be used with "
                                                   "'host-passthrough' / 'maximum' CPUs", mode);
                if (cpu->cache_level)
                        return xml_err_unsupported(err, "unsupported CPU cache level for mode '%s'", mode);
                return 0;
        default:
                return 0;
        }
}

/* Hugepages are allocated up front from a hugetlbfs or memfd. */
static int rule_memory_backing(const DomainDef *def, ConfError *err) {
        const DomainMemoryBackingDef *mb = &def->memory_backing;

        if (!mb->hugepages)
                return 0;
        if (mb->allocation == DOMAIN_MEMORY_ALLOCATION_ONDEMAND)
                return xml_err_xml(err, "hugepages are not allowed with memory allocation ondemand");
        if (mb->source == DOMAIN_MEMORY_SOURCE_ANONYMOUS)
                return xml_err_xml(err, "hugepages are not allowed with anonymous memory source");
        return 0;
}

/* A <page nodeset=''> names guest NUMA nodes: a guest without <numa> has
 * none to name, not even node 0 (libvirt's "hugepages: node 0 not found"). */
static int rule_hugepage_nodes(const DomainDef *def, ConfError *err) {
        const DomainMemoryBackingDef *mb = &def->memory_backing;
        size_t nodes = def->cpu.n_cells;

        for (size_t i = 0; i < mb->n_pages; i++) {
                const DomainHugepage *p = &mb->pages[i];
                cpu_set_t set;

                if (!p->nodeset)
                        continue;
                if (cpuset_parse(p->nodeset, &set) < 0)
                        return xml_err_xml(err, "invalid nodeset '%s' of <memoryBacking/hugepages/page>",
                                           p->nodeset);
                for (int n = (int) nodes; n < CPU_SETSIZE; n++)
                        if (CPU_ISSET(n, &set))
                                return nodes ? xml_err_invalid(err, "hugepages: node %d not found (the guest "
                                                               "has %zu NUMA node%s)", n, nodes,
                                                               nodes == 1 ? "" : "s")
                                             : xml_err_invalid(err, "hugepages: node %d not found (the guest "
                                                               "has no <cpu><numa> cells)", n);
        }
        return 0;
}

/* Malformed, or like "0,^0" naming no node at all (cpuset_parse refuses both). */
static int nodeset_not_empty(const char *nodeset, const char *where, ConfError *err) {
        cpu_set_t set;

        if (nodeset && cpuset_parse(nodeset, &set) < 0)
                return xml_err_xml(err, "invalid nodeset '%s' of %s: it must name at least one NUMA node",
                                   nodeset, where);
        return 0;
}

static int rule_numatune_nodesets(const DomainDef *def, ConfError *err) {
        const DomainNumatuneDef *nt = &def->numatune;
        int r = nodeset_not_empty(nt->nodeset, "<numatune/memory>", err);

        for (size_t i = 0; r >= 0 && i < nt->n_memnodes; i++)
                r = nodeset_not_empty(nt->memnodes[i].nodeset, "<numatune/memnode>", err);
        return r;
}

/* libvirt takes an interface's <mtu> on the types that have a host side to
 * set it on (a tap, passt, a vhost-user back end) and refuses it on the
 * others (qemuDomainNetSupportsMTU), whatever the NIC model: virtio-net is
 * also told it (host_mtu), another model gets only the host side's MTU. */
static bool net_takes_mtu(const DomainNetDef *n) {
        return qemu_rules_net_has_tap(n) || n->type == DOMAIN_NET_VHOSTUSER || domain_net_is_passt(n);
}

static int rule_net_mtu(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_nets; i++) {
                const DomainNetDef *n = &def->nets[i];

                if (n->opts.mtu && !net_takes_mtu(n))
                        return xml_err_unsupported(err, "interface %zu: setting MTU on interface type %s%s is not "
                                                   "supported (<mtu> is taken by types network, bridge, ethernet, "
                                                   "vhostuser, and user with <backend type='passt'/>)", i,
                                                   domain_net_type_to_string(n->type),
                                                   n->type == DOMAIN_NET_USER ? " without passt" : "");
        }
        return 0;
}

/* The PCI controllers that plug only into the root bus (pci-root or pcie-root). */
static int rule_pci_root_only(const DomainDef *def, ConfError *err) {
        static const char *const root_only[] = { "pci-expander-bus", "pcie-expander-bus", "dmi-to-pci-bridge" };

        for (size_t i = 0; i < def->n_controllers; i++) {
                const DomainControllerDef *c = &def->controllers[i];

                if (c->type != DOMAIN_CONTROLLER_PCI || c->addr.type != DOMAIN_ADDRESS_PCI || c->addr.bus == 0)
                        continue;
                for (size_t m = 0; m < ELEMENTSOF(root_only); m++)
                        if (model_is(c->model, root_only[m]))
                                return xml_err_unsupported(err, "The device at PCI address %04x:%02x:%02x.%x cannot "
                                                           "be plugged into the PCI controller with index='%u'. It "
                                                           "requires a controller that accepts a %s.",
                                                           c->addr.domain, c->addr.bus, c->addr.slot,
                                                           c->addr.function, c->addr.bus, root_only[m]);
        }
        return 0;
}

/* Expander buses: pxb on a PC, pxb-pcie on q35, each on a guest NUMA node that exists. */
static int rule_pci_expander(const DomainDef *def, ConfError *err) {
        bool q35 = machine_is_q35(def->os.machine);

        for (size_t i = 0; i < def->n_controllers; i++) {
                const DomainControllerDef *c = &def->controllers[i];

                if (c->type != DOMAIN_CONTROLLER_PCI)
                        continue;
                if (model_is(c->model, "pci-expander-bus") && q35)
                        return xml_err_unsupported(err, "pci-expander-bus controllers are only supported on "
                                                   "440fx-based machinetypes");
                if (model_is(c->model, "pcie-expander-bus") && !q35)
                        return xml_err_unsupported(err, "pcie-expander-bus controllers are not supported with this "
                                                   "machine type ('%s'): they need q35", def->os.machine ?: "pc");
                if (c->has_target_node && c->target_node >= def->cpu.n_cells)
                        return xml_err_xml(err, "%s with index %u is configured for a NUMA node (%u) not present in "
                                           "the domain's <cpu><numa> array (%zu)", c->model ?: "", c->index,
                                           c->target_node, def->cpu.n_cells);
        }
        return 0;
}

static const QemuRule rules[] = {
        { "pci-root-index", rule_pci_root_index },
        { "pci-root-model", rule_pci_root_model },
        { "usb-none", rule_usb_none },
        { "usb-ports", rule_usb_ports },
        { "usb-companion", rule_usb_companion },
        { "disk-partition", rule_disk_partition },
        { "disk-shared-format", rule_disk_shared_format },
        { "video", rule_video },
        { "firmware-auto", rule_firmware_auto },
        { "loader-path", rule_loader_path },
        { "uefi-acpi", rule_uefi_acpi },
        { "firmware-features", rule_firmware_features },
        { "loader-stateless", rule_loader_stateless },
        { "memory-hotplug-numa", rule_memory_hotplug_numa },
        { "numatune", rule_numatune },
        { "memory-backing", rule_memory_backing },
        { "cpu-cache", rule_cpu_cache },
        { "iommu", rule_iommu },
        { "hugepage-nodes", rule_hugepage_nodes },
        { "numatune-nodesets", rule_numatune_nodesets },
        { "net-mtu", rule_net_mtu },
        { "pci-root-only", rule_pci_root_only },
        { "pci-expander", rule_pci_expander },
};

int qemu_rules_run(const QemuRule *table, size_t n, const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < n; i++) {
                int r = table[i].check(def, err);

                if (r < 0)
                        return r;
        }
        return 0;
}

int qemu_rules_check(const DomainDef *def, ConfError *err) {
        return qemu_rules_run(rules, ELEMENTSOF(rules), def, err);
}
