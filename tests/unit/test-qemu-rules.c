/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu_rules_check(): libvirt's define-time rules (qemu-rules.h), one row a
 * case. Each document is first taken by the model and by qemud's own
 * checks (and gets its addresses, as DomainDefineXML does); then the rules
 * refuse it with libvirt's error kind and a message naming what is wrong,
 * or take it where libvirt takes it (no stricter than libvirt). */

#include "domain-test.h"
#include "qemu-address.h"
#include "qemu-resources.h"
#include "qemu-rules.h"
#include "qemu-validate.h"

typedef struct RuleCase {
        const char *what;
        const char *os;      /* inside <os>, beside <type> */
        const char *machine; /* NULL: none given */
        const char *top;     /* more top-level elements */
        const char *devices;
        const char *error;   /* NULL: must be taken */
        const char *needle;
        const char *firmware; /* <os firmware=''>, NULL: none */
} RuleCase;

#define NS VB_ERROR_NOT_SUPPORTED
#define XE VB_ERROR_XML
#define ACPI "<features><acpi/></features>"

static const RuleCase cases[] = {
        /* PCI roots */
        { "pci-root index 7", NULL, "pc", NULL, "<controller type='pci' index='7' model='pci-root'/>",
          XE, "pci-root and pcie-root controllers should have index 0" },
        { "pcie-root on i440fx", NULL, "pc", NULL, "<controller type='pci' index='0' model='pcie-root'/>",
          XE, "must be model='pci-root' for this machine type ('pc'), but model='pcie-root'" },
        { "pci-root on q35", NULL, "pc-q35-7.2", NULL, "<controller type='pci' index='0' model='pci-root'/>",
          XE, "must be model='pcie-root' for this machine type ('pc-q35-7.2')" },
        { "pcie-root on q35", NULL, "q35", NULL, "<controller type='pci' index='0' model='pcie-root'/>", NULL, NULL },
        { "pci-root on pc-i440fx", NULL, "pc-i440fx-7.2", NULL, "<controller type='pci' index='0' model='pci-root'/>",
          NULL, NULL },
        /* USB */
        { "usb none and another", NULL, "pc", NULL,
          "<controller type='usb' index='0' model='none'/><controller type='usb' index='1' model='piix3-uhci'/>",
          XE, "Can't add another USB controller: USB is disabled" },
        { "usb none and a tablet", NULL, "pc", NULL,
          "<controller type='usb' index='0' model='none'/><input type='tablet' bus='usb'/>",
          NS, "Can't add USB input device (<input type='tablet' bus='usb'/>). USB bus is disabled" },
        { "usb none, ps2 input", NULL, "pc", NULL,
          "<controller type='usb' index='0' model='none'/><input type='mouse' bus='ps2'/>", NULL, NULL },
        { "nec-xhci 16 ports", NULL, "pc", NULL, "<controller type='usb' index='0' model='nec-xhci' ports='16'/>",
          NS, "'nec-xhci' controller only supports up to '15' ports, not 16" },
        { "qemu-xhci 15 ports", NULL, "q35", NULL, "<controller type='usb' index='0' model='qemu-xhci' ports='15'/>",
          NULL, NULL },
        /* disks */
        { "partition target", NULL, NULL, NULL,
          "<disk type='file' device='disk'><source file='/var/lib/x.img'/><target dev='vdb1' bus='virtio'/></disk>",
          NS, "invalid disk target 'vdb1', partitions can't appear in disk targets" },
        { "shared qcow2", NULL, NULL, NULL,
          "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/x.qcow2'/>"
          "<target dev='vda' bus='virtio'/><shareable/></disk>",
          NS, "shared access for disk 'vda' requires use of supported storage format" },
        { "shared raw", NULL, NULL, NULL,
          "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/var/lib/x.img'/>"
          "<target dev='vda' bus='virtio'/><shareable/></disk>", NULL, NULL },
        { "shared read-only qcow2", NULL, NULL, NULL,
          "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/x.qcow2'/>"
          "<target dev='vda' bus='virtio'/><readonly/><shareable/></disk>", NULL, NULL },
        /* video */
        { "none beside qxl", NULL, "pc", NULL,
          "<video><model type='qxl'/></video><video><model type='none'/></video>",
          NS, "a 'none' video type must be the only video device" },
        { "none alone", NULL, "pc", NULL, "<video><model type='none'/></video>", NULL, NULL },
        /* firmware */
        { "auto efi with a loader path", "<loader>/usr/share/OVMF/OVMF_CODE.fd</loader>", "q35", ACPI, NULL,
          XE, "loader path cannot be specified when firmware autoselection", "efi" },
        { "auto efi with insecure loader", "<loader secure='no'/>", "q35", ACPI, NULL,
          XE, "loader attribute 'secure' cannot be specified when firmware autoselection is enabled", "efi" },
        { "auto efi with secure loader", "<loader secure='yes'/>", "q35", ACPI, NULL, NULL, NULL, "efi" },
        { "auto efi with loader type", "<loader readonly='yes' type='pflash'/>", "q35", ACPI, NULL, NULL, NULL,
          "efi" },
        { "auto bios with nvram", "<nvram>/var/lib/x_VARS.fd</nvram>", "q35", ACPI, NULL,
          XE, "firmware type 'bios' does not support nvram", "bios" },
        { "pflash without a path", "<loader readonly='yes' type='pflash'/>", "pc", NULL, NULL,
          XE, "no loader path specified and firmware auto selection disabled" },
        { "UEFI without ACPI", "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>", "q35",
          "<features><apic/></features>", NULL, NS, "UEFI requires ACPI on this architecture" },
        { "UEFI with ACPI", "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>", "q35",
          "<features><acpi/></features>", NULL, NULL, NULL },
        { "enrolled keys without secure boot",
          "<firmware><feature enabled='yes' name='enrolled-keys'/><feature enabled='no' name='secure-boot'/></firmware>",
          "q35", ACPI, NULL, XE, "'enrolled-keys' cannot be enabled when firmware feature 'secure-boot' is disabled",
          "efi" },
        { "firmware features", "<firmware><feature enabled='yes' name='secure-boot'/></firmware>", "q35", ACPI,
          NULL, NULL, NULL, "efi" },
        { "firmware features without auto-selection", "<loader readonly='yes' type='pflash'>/usr/share/OVMF/"
          "OVMF_CODE.fd</loader><firmware><feature enabled='no' name='enrolled-keys'/></firmware>", "q35", ACPI,
          NULL, XE, "cannot use feature-based firmware autoselection when firmware autoselection is disabled" },
        { "stateless with nvram", "<loader readonly='yes' type='pflash' stateless='yes'>/usr/share/OVMF/"
          "OVMF_CODE.fd</loader><nvram>/var/lib/x_VARS.fd</nvram>", "q35", ACPI, NULL,
          XE, "NVRAM is not permitted when loader is stateless" },
        { "stateless with template", "<loader readonly='yes' type='pflash' stateless='yes'>/usr/share/OVMF/"
          "OVMF_CODE.fd</loader><nvram template='/usr/share/OVMF/OVMF_VARS.fd'/>", "q35", ACPI, NULL,
          XE, "NVRAM template is not permitted when loader is stateless" },
        { "auto bios not stateless", "<loader stateless='no'/>", "q35", ACPI, NULL,
          XE, "Only EFI firmware permits NVRAM", "bios" },
        { "auto bios stateless", "<loader stateless='yes'/>", "q35", ACPI, NULL, NULL, NULL, "bios" },
        { "rom not stateless", "<loader stateless='no'>/usr/share/seabios/bios.bin</loader>", "pc", NULL, NULL,
          XE, "Only pflash loader type permits NVRAM" },
        /* memory */
        { "maxMemory without NUMA", NULL, NULL, "<maxMemory slots='4' unit='GiB'>4</maxMemory>", NULL,
          NS, "At least one numa node has to be configured when enabling memory hotplug" },
        { "maxMemory with NUMA", NULL, NULL,
          "<maxMemory slots='4' unit='GiB'>4</maxMemory><vcpu>1</vcpu>"
          "<cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/></numa></cpu>", NULL, NULL, NULL },
        /* cpu cache and physical address bits */
        { "emulated L2 cache", NULL, NULL, "<cpu mode='host-passthrough'><cache level='2' mode='emulate'/></cpu>",
          NULL, NS, "CPU cache mode 'emulate' can only be used with level='3'" },
        { "emulated L3 cache", NULL, NULL, "<cpu mode='host-passthrough'><cache level='3' mode='emulate'/></cpu>",
          NULL, NULL, NULL },
        { "host cache of a host-model CPU", NULL, NULL, "<cpu mode='host-model'><cache mode='passthrough'/></cpu>",
          NULL, NS, "CPU cache mode 'passthrough' can only be used with 'host-passthrough' / 'maximum' CPUs" },
        { "host cache with a level", NULL, NULL,
          "<cpu mode='host-passthrough'><cache level='3' mode='passthrough'/></cpu>", NULL,
          NS, "unsupported CPU cache level for mode 'passthrough'" },
        { "no cache with a level", NULL, NULL, "<cpu mode='host-model'><cache level='1' mode='disable'/></cpu>",
          NULL, NS, "unsupported CPU cache level for mode 'disable'" },
        { "host address bits limited", NULL, NULL,
          "<cpu mode='host-passthrough'><maxphysaddr mode='passthrough' bits='42'/></cpu>", NULL,
          NS, "cannot be used with mode='passthrough'" },
        { "emulated address bits", NULL, NULL,
          "<cpu mode='host-model'><maxphysaddr mode='emulate' bits='42'/></cpu>", NULL, NULL, NULL },
        /* memoryBacking */
        { "hugepages on demand", NULL, NULL,
          "<memoryBacking><hugepages/><allocation mode='ondemand'/></memoryBacking>", NULL,
          XE, "hugepages are not allowed with memory allocation ondemand" },
        { "hugepages of anonymous memory", NULL, NULL,
          "<memoryBacking><hugepages/><source type='anonymous'/></memoryBacking>", NULL,
          XE, "hugepages are not allowed with anonymous memory source" },
        { "hugepages of a memfd", NULL, NULL,
          "<memoryBacking><hugepages/><source type='memfd'/><access mode='shared'/></memoryBacking>", NULL,
          NULL, NULL },
        /* numatune */
        { "static placement, no nodeset", NULL, NULL,
          "<numatune><memory mode='interleave' placement='static'/></numatune>", NULL,
          NS, "nodeset for NUMA memory tuning must be set if 'placement' is 'static'" },
        { "auto placement without a nodeset", NULL, NULL,
          "<numatune><memory mode='strict' placement='auto'/></numatune>", NULL, NULL, NULL },
        { "restrictive memory, strict memnode", NULL, NULL,
          "<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0' memory='128' unit='MiB'/>"
          "<cell id='1' cpus='1' memory='128' unit='MiB'/></numa></cpu>"
          "<numatune><memory mode='restrictive' nodeset='0'/><memnode cellid='1' mode='strict' nodeset='0'/></numatune>",
          NULL, XE, "'restrictive' mode is required in memnode element when mode is 'restrictive' in memory element" },
        /* iommu */
        { "intel iommu on i440fx", NULL, "pc", ACPI, "<iommu model='intel'/>",
          NS, "IOMMU device: 'intel' is only supported with Q35 machines (this machine is 'pc')" },
        { "intel iommu on q35", NULL, "q35", ACPI, "<iommu model='intel'/>", NULL, NULL },
        { "virtio iommu without ACPI", NULL, "q35", NULL, "<iommu model='virtio'/>",
          NS, "IOMMU device: 'virtio' needs ACPI" },
        { "virtio iommu off the root bus", NULL, "q35", ACPI,
          "<iommu model='virtio'><address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>"
          "</iommu>", NS, "must sit on the root bus (pcie.0), not on bus 1" },
        { "virtio iommu on q35", NULL, "q35", ACPI, "<iommu model='virtio'/>", NULL, NULL },
        /* hugepages and node sets */
        { "hugepages on a guest node that does not exist", NULL, NULL,
          "<memoryBacking><hugepages><page size='2048' unit='KiB' nodeset='1'/></hugepages></memoryBacking>", NULL,
          VB_ERROR_INVALID_ARG, "hugepages: node 1 not found (the guest has no <cpu><numa> cells)" },
        { "hugepages on node 0 of a guest without NUMA cells", NULL, NULL,
          "<memoryBacking><hugepages><page size='2048' unit='KiB' nodeset='0'/></hugepages></memoryBacking>", NULL,
          VB_ERROR_INVALID_ARG, "hugepages: node 0 not found" },
        /* libvirt's define takes it, its start finds no hugetlbfs for it */
        { "hugepages of 5 MiB", NULL, NULL,
          "<memoryBacking><hugepages><page size='5' unit='MiB'/></hugepages></memoryBacking>", NULL, NULL, NULL },
        { "hugepages of 1 GiB", NULL, NULL,
          "<memoryBacking><hugepages><page size='1' unit='GiB'/></hugepages></memoryBacking>", NULL, NULL, NULL },
        { "numatune nodeset that names nothing", NULL, NULL,
          "<numatune><memory mode='strict' nodeset='0,^0'/></numatune>", NULL,
          XE, "invalid nodeset '0,^0' of <numatune/memory>: it must name at least one NUMA node" },
        /* <mtu>: by interface type (libvirt's qemuDomainNetSupportsMTU), whatever the model */
        { "mtu on user networking", NULL, NULL, NULL,
          "<interface type='user'><model type='virtio'/><mtu size='1400'/></interface>",
          NS, "interface 0: setting MTU on interface type user without passt is not supported" },
        { "mtu on an e1000 of user networking", NULL, NULL, NULL,
          "<interface type='user'><model type='e1000'/><mtu size='1400'/></interface>",
          NS, "setting MTU on interface type user without passt" },
        { "mtu on a mcast socket", NULL, NULL, NULL,
          "<interface type='mcast'><source address='230.0.0.1' port='5558'/><model type='virtio'/>"
          "<mtu size='1400'/></interface>", NS, "setting MTU on interface type mcast is not supported" },
        { "mtu on a macvtap", NULL, NULL, NULL,
          "<interface type='direct'><source dev='eth0' mode='bridge'/><model type='virtio'/><mtu size='9000'/>"
          "</interface>", NS, "setting MTU on interface type direct is not supported" },
        { "mtu on passt", NULL, NULL, NULL,
          "<interface type='user'><backend type='passt'/><model type='e1000'/><mtu size='1400'/></interface>",
          NULL, NULL },
        { "mtu on an e1000 tap of a network", NULL, NULL, NULL,
          "<interface type='network'><source network='default'/><model type='e1000'/><mtu size='9000'/>"
          "</interface>", NULL, NULL },
        { "mtu on an rtl8139 tap of a bridge", NULL, NULL, NULL,
          "<interface type='bridge'><source bridge='br0'/><model type='rtl8139'/><mtu size='9000'/></interface>",
          NULL, NULL },
        { "mtu on an ethernet tap", NULL, NULL, NULL,
          "<interface type='ethernet'><model type='e1000e'/><mtu size='1280'/></interface>", NULL, NULL },
        { "mtu on vhost-user", NULL, NULL, NULL,
          "<interface type='vhostuser'><source type='unix' path='/run/v.sock' mode='client'/><model type='virtio'/>"
          "<mtu size='9000'/></interface>", NULL, NULL },
        /* controllers that plug only into the root bus */
        { "pcie-expander-bus on a root port", NULL, "q35", NULL,
          "<controller type='pci' index='0' model='pcie-root'/><controller type='pci' index='1' model='pcie-root-port'/>"
          "<controller type='pci' index='2' model='pcie-expander-bus'>"
          "<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></controller>",
          NS, "cannot be plugged into the PCI controller with index='1'. It requires a controller that accepts a "
          "pcie-expander-bus" },
        { "dmi-to-pci-bridge on pcie-root", NULL, "q35", NULL,
          "<controller type='pci' index='0' model='pcie-root'/><controller type='pci' index='1' model='dmi-to-pci-bridge'>"
          "<address type='pci' domain='0x0000' bus='0x00' slot='0x1e' function='0x0'/></controller>", NULL, NULL },
};

/* A domain with os inside <os> and machine on its <type>. */
static char *rule_domain(const RuleCase *c) {
        char *s;

        if (asprintf(&s,
                     "<domain type='kvm'>\n  <name>t</name>\n  <memory unit='MiB'>256</memory>\n"
                     "  <os%s%s%s><type arch='x86_64'%s%s%s>hvm</type>%s</os>\n%s\n"
                     "  <devices>\n%s\n  </devices>\n</domain>\n",
                     c->firmware ? " firmware='" : "", c->firmware ?: "", c->firmware ? "'" : "",
                     c->machine ? " machine='" : "", c->machine ?: "", c->machine ? "'" : "", c->os ?: "",
                     c->top ?: "", c->devices ?: "") < 0)
                return NULL;
        return s;
}

static void check_case(const RuleCase *c) {
        _cleanup_free_ char *xml = rule_domain(c);
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        int r;

        def = xml ? parse_ok(xml, c->what) : NULL;
        if (!def)
                return;
        r = domain_def_validate(def, &err);
        if (r >= 0)
                r = qemu_validate_def(def, &err);
        if (r >= 0) {
                qemu_resources_post_parse(def);
                r = qemu_domain_assign_addresses(def, &err);
        }
        if (r < 0) {
                fprintf(stderr, "  %s: %s: refused before the rules: %s\n", unit_current, c->what, err.message);
                unit_failed_checks++;
                return;
        }
        r = qemu_rules_check(def, &err);
        if (!c->error) {
                if (r < 0) {
                        fprintf(stderr, "  %s: %s: refused, libvirt takes it: %s\n", unit_current, c->what,
                                err.message);
                        unit_failed_checks++;
                }
                return;
        }
        if (r >= 0) {
                fprintf(stderr, "  %s: %s: taken, expected %s naming \"%s\"\n", unit_current, c->what, c->error,
                        c->needle);
                unit_failed_checks++;
                return;
        }
        if (!streq_ptr(err.name, c->error) || !strstr(err.message, c->needle)) {
                fprintf(stderr, "  %s: %s: got %s \"%s\", expected %s naming \"%s\"\n", unit_current, c->what,
                        err.name, err.message, c->error, c->needle);
                unit_failed_checks++;
        }
        if (vb_error_lookup(err.name))
                CHECK_INTEQ(r, -vb_error_lookup(err.name)->errnum);
}

static void test_rules_table(void) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                check_case(&cases[i]);
}

/* Every machine fixture of ours is taken by the rules too. */
static void test_fixtures_pass_rules(void) {
        _cleanup_strv_free_ char **files = list_fixtures();

        CHECK(files != NULL);
        for (char **f = files; f && *f; f++) {
                _cleanup_free_ char *xml = read_file(*f);
                _cleanup_(domain_def_freep) DomainDef *def = xml ? parse_ok(xml, *f) : NULL;
                ConfError err = {};

                if (!def || qemu_validate_def(def, &err) < 0)
                        continue; /* not a QEMU machine (containers): test-qemu-validate */
                if (qemu_rules_check(def, &err) < 0) {
                        fprintf(stderr, "  %s: %s refused: %s\n", unit_current, *f, err.message);
                        unit_failed_checks++;
                }
        }
}

/* <driver ioeventfd='' event_idx=''/> are virtio-blk's: another bus is
 * refused by qemud's own check, naming the disk. */
static void test_virtio_disk_options(void) {
        static const char *const attrs[] = { "ioeventfd='on'", "event_idx='off'" };

        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                _cleanup_free_ char *dev = NULL, *xml = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};

                CHECK(asprintf(&dev, "<disk type='file' device='disk'><driver name='qemu' %s/>"
                               "<source file='/var/lib/x.img'/><target dev='sda' bus='sata'/></disk>", attrs[i]) > 0);
                xml = domain_with(NULL, dev);
                def = parse_ok(xml, attrs[i]);
                if (!def)
                        continue;
                CHECK(qemu_validate_def(def, &err) == -EOPNOTSUPP);
                CHECK_CONTAINS(err.message, "disk 'sda': disk ");
                CHECK_CONTAINS(err.message, "supported only for virtio bus");
        }
}

/* <interface><driver>: virtio-net's options; what qemud cannot give is
 * refused naming the interface. */
static void test_net_driver_refused(void) {
        static const struct {
                const char *iface, *needle;
        } cases[] = {
                { "<interface type='user'><model type='e1000'/><driver txmode='timer'/></interface>",
                  "only supported for model type 'virtio', not 'e1000'" },
                { "<interface type='user'><model type='e1000'/><driver rss='on'/></interface>",
                  "only supported for model type 'virtio', not 'e1000'" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *xml = domain_with(NULL, cases[i].iface);
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, cases[i].iface);
                ConfError err = {};

                if (!def)
                        continue;
                CHECK(qemu_validate_def(def, &err) == -EOPNOTSUPP);
                CHECK_CONTAINS(err.message, cases[i].needle);
        }
        REFUSED(NULL, "<interface type='user'><driver txmode='bh'/></interface>", VB_ERROR_NOT_SUPPORTED,
                "value 'bh' of attribute 'txmode'");
}

/* A user's alias ("ua-...") is kept in the definition; the driver's own
 * aliases are live only. */
static void test_user_alias_kept(void) {
        _cleanup_free_ char *xml = domain_with(NULL,
                "<disk type='file' device='disk'><source file='/var/lib/x.img'/><target dev='vda' bus='virtio'/>"
                "<alias name='ua-data'/></disk>"
                "<interface type='user'><alias name='net7'/></interface>");
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "user alias");
        _cleanup_free_ char *out = NULL;

        if (!def)
                return;
        out = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(out, "<alias name='ua-data'/>");
        CHECK_NOT_CONTAINS(out, "net7");
}

/* TCG has no host CPU to pass through; KVM has. */
static void test_host_passthrough_needs_kvm(void) {
        static const char *const types[] = { "qemu", "kvm" };

        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                _cleanup_free_ char *xml = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};
                int r;

                CHECK(asprintf(&xml, "<domain type='%s'><name>t</name><memory unit='MiB'>256</memory>"
                               "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                               "<cpu mode='host-passthrough'/></domain>", types[i]) > 0);
                def = parse_ok(xml, types[i]);
                if (!def)
                        continue;
                /* libvirt defines it and refuses it at the start */
                CHECK_INTEQ(qemu_rules_check(def, &err), 0);
                r = qemu_rules_check_start(def, &err);
                if (i == 0) {
                        CHECK(r == -EOPNOTSUPP);
                        CHECK_CONTAINS(err.message, "CPU mode 'host-passthrough' for x86_64 qemu domain is not "
                                                    "supported by hypervisor");
                } else
                        CHECK_INTEQ(r, 0);
        }
}

/* QEMU 7.2's TCG refuses hv-vpindex ("kernel doesn't allow setting HyperV
 * VP_INDEX") and takes the other enlightenments: the start refuses only
 * that, naming it, and only on TCG; the define takes it. */
static void test_hyperv_needs_kvm(void) {
        static const struct {
                const char *type, *hyperv, *needle; /* needle NULL: taken */
        } rows[] = {
                { "qemu", "<relaxed state='on'/><vapic state='on'/><spinlocks state='on' retries='8191'/>"
                  "<vpindex state='on'/><runtime state='on'/><synic state='on'/><stimer state='on'/>",
                  "Hyper-V enlightenment 'vpindex'" },
                { "kvm", "<vpindex state='on'/><synic state='on'/>", NULL },
                { "qemu", "<vpindex state='off'/><synic state='on'/>", NULL },
                { "qemu", "<relaxed state='on'/><vapic state='on'/><spinlocks state='on' retries='8191'/>"
                  "<runtime state='on'/><synic state='on'/><stimer state='on'><direct state='on'/></stimer>"
                  "<reset state='on'/><vendor_id state='on' value='KVM Hv'/><frequencies state='on'/>"
                  "<reenlightenment state='on'/><tlbflush state='on'/><ipi state='on'/><evmcs state='on'/>"
                  "<avic state='on'/>", NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                _cleanup_free_ char *xml = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};
                int r;

                CHECK(asprintf(&xml, "<domain type='%s'><name>t</name><memory unit='MiB'>256</memory>"
                               "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                               "<features><acpi/><hyperv mode='custom'>%s</hyperv></features></domain>",
                               rows[i].type, rows[i].hyperv) > 0);
                def = parse_ok(xml, rows[i].hyperv);
                if (!def)
                        continue;
                CHECK_INTEQ(qemu_rules_check(def, &err), 0);
                r = qemu_rules_check_start(def, &err);
                if (!rows[i].needle) {
                        CHECK_INTEQ(r, 0);
                        continue;
                }
                CHECK(r == -EOPNOTSUPP);
                CHECK_STREQ(err.name, VB_ERROR_NOT_SUPPORTED);
                CHECK_CONTAINS(err.message, rows[i].needle);
                CHECK_CONTAINS(err.message, "<domain type='kvm'>");
                CHECK_NOT_CONTAINS(err.message, "synic");
        }
}

/* What libvirt's define takes and its start refuses. */
static void test_start_rules(void) {
        static const struct {
                const char *inner, *message;
        } rows[] = {
                { "<memory unit='KiB'>9007199254740991</memory>", "more than the 16 TiB" },
                { "<memory unit='MiB'>256</memory><memoryBacking><hugepages><page size='5' unit='MiB'/>"
                  "</hugepages></memoryBacking>", "hugepage size 5120 KiB does not exist on x86" },
                { "<memory unit='MiB'>256</memory><devices><interface type='user'><backend tap='/dev/net/tun'/>"
                  "</interface></devices>", "custom tap device path (<backend tap=''>) is not supported for network "
                  "interfaces of type user" },
                { "<memory unit='MiB'>256</memory><devices><disk type='file'><source file='/a'/><target dev='vda'/>"
                  "<alias name='ua-aVeryLongNameForOneDisk'/></disk></devices>",
                  "its user alias 'ua-aVeryLongNameForOneDisk' is too long to name QEMU's block nodes" },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                _cleanup_free_ char *xml = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};

                CHECK(asprintf(&xml, "<domain type='qemu'><name>t</name>%s<os><type arch='x86_64' machine='pc'>"
                               "hvm</type></os></domain>", rows[i].inner) > 0);
                def = parse_ok(xml, rows[i].message);
                if (!def)
                        continue;
                CHECK_INTEQ(qemu_rules_check(def, &err), 0);
                CHECK(qemu_rules_check_start(def, &err) < 0);
                CHECK_CONTAINS(err.message, rows[i].message);
        }
}

/* A <filterref> is kept (its parameters as libvirt writes them: by name,
 * each name's values in order); the start refuses it on an interface
 * libvirt would filter, and a hostdev interface's is dropped as libvirt's. */
static void test_filterref(void) {
        _cleanup_free_ char *path = NULL, *xml = NULL, *out = NULL, *hostdev = NULL, *out2 = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *def2 = NULL;
        ConfError err = {};

        CHECK(asprintf(&path, "%s/net-filterref.xml", data_dir()) > 0);
        xml = read_file(path);
        def = xml ? parse_ok(xml, "filterref") : NULL;
        if (!def)
                return;
        out = format_ok(def, 0);
        CHECK_CONTAINS(out, "<filterref filter='clean-traffic'>\n        <parameter name='CTRL_IP_LEARNING' "
                            "value='none'/>\n        <parameter name='IP' value='10.0.0.1'/>\n        "
                            "<parameter name='IP' value='10.0.0.2'/>\n      </filterref>");
        CHECK_INTEQ(qemu_rules_check(def, &err), 0);
        CHECK(qemu_rules_check_start(def, &err) < 0);
        CHECK_CONTAINS(err.message, "interface 0 (type 'network') references the network filter 'clean-traffic'");
        REFUSED(NULL, "<interface type='network'><source network='n'/><filterref filter='9x'/></interface>",
                VB_ERROR_XML, "invalid filter name '9x'");
        REFUSED(NULL, "<interface type='network'><source network='n'/><filterref filter='f'><parameter name='a b' "
                "value='1'/></filterref></interface>", VB_ERROR_INVALID_ARG, "'a b'");
        hostdev = domain_with(NULL, "<interface type='hostdev'><source><address type='pci' domain='0' bus='6' "
                                    "slot='0x12' function='1'/></source><filterref filter='f'/></interface>");
        def2 = parse_ok(hostdev, "hostdev filterref");
        out2 = def2 ? format_ok(def2, 0) : NULL;
        CHECK_NOT_CONTAINS(out2, "filterref");
}

UNIT_TESTS(test_rules_table, test_fixtures_pass_rules, test_virtio_disk_options, test_net_driver_refused,
           test_user_alias_kept, test_host_passthrough_needs_kvm, test_hyperv_needs_kvm, test_start_rules, test_filterref)
