/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <hostdev> in a QEMU guest: the define-time rules (qemu_hostdev_validate()
 * through qemu_validate_def()), the addresses given at define time, the
 * round trip (schema-valid, byte-identical), and the host side at start
 * (qemu_hostdev_prepare()) on a made-up sysfs and /dev tree, and the nodes
 * QEMU is given (qemu_hostdev_nodes()) on a made-up sysfs. */

#include "domain-test.h"
#include "fake-tree-test.h"
#include "qemu-address.h"
#include "qemu-hostdev.h"
#include "qemu-hostdev-nodes.h"
#include "qemu-validate.h"
#include "util.h"
#include "qemu-refuse-test.h"

#define PCI_HOSTDEV(extra)                                                                       \
        "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' "     \
        "bus='0x06' slot='0x12' function='0x5'/></source>" extra "</hostdev>"
#define MDEV(attrs, extra)                                                                       \
        "<hostdev mode='subsystem' type='mdev' model='vfio-pci' " attrs "><source><address "        \
        "uuid='53764d0e-85a0-42b4-af5c-2046b460b1dc'/></source>" extra "</hostdev>"
#define SCSI_HOSTDEV(unit, extra)                                                                \
        "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host2'/><address bus='0' " \
        "target='0' unit='" unit "'/></source>" extra "</hostdev>"

#define HOSTDEV_REFUSED(devices, name, needle) QEMU_REFUSED(NULL, devices, name, needle)

static void test_rules(void) {
        HOSTDEV_REFUSED("<hostdev mode='capabilities' type='misc'><source><char>/dev/input/event3</char></source>"
                        "</hostdev>", VB_ERROR_NOT_SUPPORTED, "<hostdev mode='capabilities'> (misc "
                        "/dev/input/event3): it is for containers");
        HOSTDEV_REFUSED(PCI_HOSTDEV("<driver name='kvm'/>"), VB_ERROR_NOT_SUPPORTED,
                        "<driver name='kvm'/> is not supported, only 'vfio' (pci 0000:06:12.5)");
        HOSTDEV_REFUSED(PCI_HOSTDEV("<address type='usb' bus='0' port='1'/>"), VB_ERROR_NOT_SUPPORTED,
                        "address type 'usb' of <devices/hostdev/address> is not supported for a hostdev of type 'pci'");
        HOSTDEV_REFUSED("<hostdev mode='subsystem' type='mdev' model='vfio-ccw'><source><address "
                        "uuid='53764d0e-85a0-42b4-af5c-2046b460b1dc'/></source></hostdev>",
                        VB_ERROR_NOT_SUPPORTED, "model 'vfio-ccw' of <devices/hostdev> is not supported on x86");
        HOSTDEV_REFUSED(MDEV("display='on'", ""), VB_ERROR_NOT_SUPPORTED,
                        "graphics device is needed for attribute value 'display=on'");
        HOSTDEV_REFUSED("<graphics type='vnc'/>" MDEV("ramfb='on'", ""), VB_ERROR_NOT_SUPPORTED,
                        "ramfb='on' of <devices/hostdev> needs display='on'");
        HOSTDEV_REFUSED("<hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' "
                        "wwpn='naa.5123456789abcde0'/><boot order='1'/></hostdev>", VB_ERROR_NOT_SUPPORTED,
                        "booting from assigned devices is not supported by vhost SCSI devices");
        HOSTDEV_REFUSED(SCSI_HOSTDEV("1", "<address type='drive' controller='0' bus='0' target='0' unit='0'/>")
                        SCSI_HOSTDEV("2", "<address type='drive' controller='0' bus='0' target='0' unit='0'/>"),
                        VB_ERROR_INVALID_ARG, "address drive 0:0:0:0 is used twice, by hostdev 0 and by hostdev 1");
        HOSTDEV_REFUSED(PCI_HOSTDEV("<boot order='1'/>") DISK("", "<target dev='vda'/>", "<boot order='1'/>"),
                        VB_ERROR_INVALID_ARG, "boot order 1 is used twice");
}

/* Defined as qemud defines it; the result must be a schema-valid document
 * that formats the same after a second parse. */
static DomainDef *define(const char *devices, const char *machine) {
        _cleanup_free_ char *top = NULL, *xml = NULL, *a = NULL, *b = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *again = NULL;
        xmlRelaxNGPtr schema = load_schema();
        ConfError err = {};

        xml = domain_with(NULL, devices);
        def = parse_ok(xml, "hostdev definition");
        if (!def)
                return NULL;
        free(def->os.machine);
        def->os.machine = strdup(machine);
        if (domain_def_validate(def, &err) < 0 || qemu_validate_def(def, &err) < 0 ||
            qemu_domain_assign_addresses(def, &err) < 0 || domain_def_validate(def, &err) < 0) {
                fprintf(stderr, "  %s: refused: %s\n", unit_current, err.message);
                unit_failed_checks++;
                return NULL;
        }
        a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        again = a ? parse_ok(a, "formatted hostdev definition") : NULL;
        b = again ? format_ok(again, DOMAIN_FORMAT_INACTIVE) : NULL;
        CHECK(a && b && streq(a, b));
        if (schema && a)
                CHECK(schema_valid(schema, a));
        return TAKE_PTR(def);
}

static void test_addresses(void) {
        _cleanup_(domain_def_freep) DomainDef *pc = NULL, *q35 = NULL;

        pc = define(PCI_HOSTDEV("") "<graphics type='vnc'/>" MDEV("display='on' ramfb='on'", "")
                    "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/><product id='0x0002'/>"
                    "</source></hostdev>"
                    DISK("", "<target dev='sda' bus='scsi'/>", "") SCSI_HOSTDEV("1", ""), "pc");
        if (pc) {
                CHECK_INTEQ(pc->n_hostdevs, 4);
                CHECK_INTEQ(pc->hostdevs[0].addr.type, DOMAIN_ADDRESS_PCI);
                CHECK_INTEQ(pc->hostdevs[0].addr.bus, 0);
                CHECK_INTEQ(pc->hostdevs[1].addr.type, DOMAIN_ADDRESS_PCI);
                CHECK(pc->hostdevs[1].addr.slot != pc->hostdevs[0].addr.slot);
                CHECK_INTEQ(pc->hostdevs[2].addr.type, DOMAIN_ADDRESS_USB);
                /* the disk sda has unit 0 of the SCSI controller: the hostdev the next one */
                CHECK_INTEQ(pc->hostdevs[3].addr.type, DOMAIN_ADDRESS_DRIVE);
                CHECK_INTEQ(pc->hostdevs[3].addr.controller, 0);
                CHECK_INTEQ(pc->hostdevs[3].addr.unit, 1);
        }
        /* q35: a PCIe endpoint on a root port of its own */
        q35 = define(PCI_HOSTDEV(""), "q35");
        if (q35) {
                CHECK_INTEQ(q35->hostdevs[0].addr.type, DOMAIN_ADDRESS_PCI);
                CHECK(q35->hostdevs[0].addr.bus > 0);
        }
}

/* ---- the host side ---- */

static char root[] = "/tmp/vbtest-hostdev-XXXXXX";

static int put(const char *rel, const char *text) {
        return fake_tree_put(root, rel, text);
}

static int prepare(const char *devices, char ***paths, ConfError *err) {
        _cleanup_free_ char *xml = domain_with(NULL, devices), *sys = NULL, *dev = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "prepare input");

        if (!def || asprintf(&sys, "%s/sys", root) < 0 || asprintf(&dev, "%s/dev", root) < 0)
                return -ENOMEM;
        return qemu_hostdev_prepare(def, sys, dev, paths, err);
}

static void expect_missing(const char *devices, int want, const char *needle) {
        ConfError err = {};
        char **paths = NULL;
        int r = prepare(devices, &paths, &err);

        CHECK_INTEQ(r, want);
        if (r >= 0)
                qemu_hostdev_paths_free(paths, 8);
        if (!strstr(err.message, needle)) {
                fprintf(stderr, "  %s: \"%s\" does not name \"%s\"\n", unit_current, err.message, needle);
                unit_failed_checks++;
        }
}

static void test_prepare(void) {
        ConfError err = {};
        char **paths = NULL;
        _cleanup_free_ char *pcidev = NULL, *drv = NULL;

        CHECK(mkdtemp(root) != NULL);
        CHECK(put("sys/bus/pci/drivers/vfio-pci", NULL) == 0);
        CHECK(put("sys/bus/pci/drivers/e1000e", NULL) == 0);
        CHECK(put("sys/bus/pci/devices/0000:06:12.5", NULL) == 0);
        CHECK(put("sys/bus/pci/devices/0000:06:12.6", NULL) == 0);
        CHECK(asprintf(&pcidev, "%s/sys/bus/pci/devices/0000:06:12.5/driver", root) > 0);
        CHECK(asprintf(&drv, "%s/sys/bus/pci/drivers/vfio-pci", root) > 0);
        CHECK(symlink(drv, pcidev) == 0);
        CHECK(put("sys/bus/usb/devices/1-1/idVendor", "1d6b\n") == 0);
        CHECK(put("sys/bus/usb/devices/1-1/idProduct", "0002\n") == 0);
        CHECK(put("sys/bus/scsi/devices/2:0:0:1/scsi_generic/sg3", NULL) == 0);
        CHECK(put("sys/bus/mdev/devices/53764d0e-85a0-42b4-af5c-2046b460b1dc", NULL) == 0);
        CHECK(put("dev/bus/usb/014/006", "") == 0);
        CHECK(put("dev/vhost-scsi", "") == 0);

        CHECK(prepare(PCI_HOSTDEV("") MDEV("", "") SCSI_HOSTDEV("1", "")
                      "<hostdev mode='subsystem' type='usb'><source><address bus='14' device='6'/></source></hostdev>"
                      "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/><product id='0x0002'/>"
                      "</source></hostdev>"
                      "<hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' "
                      "wwpn='naa.5123456789abcde0'/></hostdev>", &paths, &err) == 0);
        if (paths) {
                CHECK(!paths[0] && !paths[1] && !paths[3]);
                CHECK(paths[2] && strstr(paths[2], "/dev/sg3"));
                qemu_hostdev_paths_free(paths, 6);
        }
        expect_missing("<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='6' slot='0x13' "
                       "function='0'/></source></hostdev>", -ENODEV,
                       "host device pci 0000:06:13.0 of <devices/hostdev> is not on this host");
        expect_missing("<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='6' slot='0x12' "
                       "function='6'/></source></hostdev>", -EBUSY, "is bound to 'no driver', not 'vfio-pci'");
        expect_missing(SCSI_HOSTDEV("2", ""), -ENODEV, "host device scsi scsi_host2:0:0:2");
        expect_missing("<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/><product id='0x0003'/>"
                       "</source></hostdev>", -ENODEV, "host device usb 1d6b:0003");
        expect_missing("<hostdev mode='subsystem' type='usb'><source><address bus='1' device='2'/></source>"
                       "</hostdev>", -ENODEV, "host device usb bus 1 device 2");
        expect_missing("<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address "
                       "uuid='53764d0e-85a0-42b4-af5c-2046b460b1dd'/></source></hostdev>", -ENODEV,
                       "mdev 53764d0e-85a0-42b4-af5c-2046b460b1dd");
        fake_tree_remove(root);
}

static void link_to(const char *from, const char *to) {
        fake_tree_link(root, from, to);
}

static bool has(char **l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

static void test_nodes(void) {
        static const char *const want[] = {
                "/dev/vfio/vfio", "/dev/vfio/12", "/dev/vfio/40", "/dev/sg3", "/dev/bus/usb/014/006",
                "/dev/bus/usb/001/007", "/dev/vhost-scsi", "/dev/tpm0",
        };
        _cleanup_free_ char *sys = NULL, *xml = NULL;
        _cleanup_strv_free_ char **l = NULL;
        DomainDef *def;

        snprintf(root, sizeof(root), "/tmp/vbtest-hostdev-XXXXXX");
        CHECK(mkdtemp(root) != NULL);
        CHECK(put("sys/bus/pci/devices/0000:06:12.5", NULL) == 0);
        link_to("sys/bus/pci/devices/0000:06:12.5/iommu_group", "../../../../kernel/iommu_groups/12");
        CHECK(put("sys/bus/mdev/devices/53764d0e-85a0-42b4-af5c-2046b460b1dc", NULL) == 0);
        link_to("sys/bus/mdev/devices/53764d0e-85a0-42b4-af5c-2046b460b1dc/iommu_group",
                "../../../../kernel/iommu_groups/40");
        CHECK(put("sys/bus/usb/devices/1-1:1.0", NULL) == 0);     /* an interface: no ids */
        CHECK(put("sys/bus/usb/devices/1-1/idVendor", "1d6b\n") == 0);
        CHECK(put("sys/bus/usb/devices/1-1/idProduct", "0002\n") == 0);
        CHECK(put("sys/bus/usb/devices/1-1/busnum", "1\n") == 0);
        CHECK(put("sys/bus/usb/devices/1-1/devnum", "7\n") == 0);
        CHECK(put("sys/bus/scsi/devices/2:0:0:1/scsi_generic/sg3", NULL) == 0);
        CHECK(asprintf(&sys, "%s/sys", root) > 0);

        xml = domain_with(NULL, PCI_HOSTDEV("") MDEV("", "") SCSI_HOSTDEV("1", "")
                          "<hostdev mode='subsystem' type='usb'><source><address bus='14' device='6'/></source></hostdev>"
                          "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/><product id='0x0002'/>"
                          "</source></hostdev>"
                          "<hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' "
                          "wwpn='naa.5123456789abcde0'/></hostdev>"
                          "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>");
        def = parse_ok(xml, "nodes input");
        if (def) {
                CHECK_INTEQ(qemu_hostdev_nodes(def, sys, &l), 0);
                CHECK_INTEQ((int) strv_length(l), (int) ELEMENTSOF(want));  /* /dev/vfio/vfio once */
                for (size_t i = 0; i < ELEMENTSOF(want); i++)
                        if (!has(l, want[i])) {
                                fprintf(stderr, "  %s: %s missing\n", unit_current, want[i]);
                                unit_failed_checks++;
                        }
                domain_def_free(def);
        }
        /* a device sysfs does not show: no group, no sg, no USB address; a TPM without a path: /dev/tpm0 */
        l = strv_free_null(l);
        free(xml);
        xml = domain_with(NULL, "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='6' "
                          "slot='0x13' function='0'/></source></hostdev>" SCSI_HOSTDEV("2", "")
                          "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/><product id='0x0003'/>"
                          "</source></hostdev><tpm model='tpm-crb'><backend type='passthrough'/></tpm>");
        def = parse_ok(xml, "nodes of absent devices");
        if (def) {
                CHECK_INTEQ(qemu_hostdev_nodes(def, sys, &l), 0);
                CHECK_INTEQ((int) strv_length(l), 2);
                CHECK(has(l, "/dev/vfio/vfio") && has(l, "/dev/tpm0"));
                domain_def_free(def);
        }
        fake_tree_remove(root);
}

UNIT_TESTS(test_rules, test_addresses, test_prepare, test_nodes)
