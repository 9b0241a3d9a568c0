/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface type='hostdev'> (common/conf/domain-net-hostdev.c): parsed
 * into the hostdev list and formatted back at its place among the
 * interfaces (schema-valid, byte-identical), its refusals, and the host
 * side at start (qemu_hostdev_prepare()) on a made-up sysfs: a missing
 * device, a PCI function that is no VF, a VF whose PF is not found, and a
 * VLAN a VF cannot take, named each time; a VF with its PF passes. */

#include <ftw.h>
#include <sys/stat.h>

#include "domain-test.h"
#include "qemu-hostdev.h"
#include "qemu-validate.h"
#include "util.h"

#define VF(extra)                                                                                    \
        "<interface type='hostdev' managed='yes'><mac address='00:11:22:33:44:55'/><source>"         \
        "<address type='pci' domain='0x0000' bus='0x03' slot='0x07' function='0x1'/></source>" extra \
        "</interface>"

static void test_round_trip(void) {
        static const char *const devices[] = {
                VF("<vlan><tag id='42'/></vlan><virtualport type='802.1Qbg'><parameters managerid='11' "
                   "typeid='1193047' typeidversion='2' instanceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/>"
                   "</virtualport><model type='rtl8139'/><boot order='1'/>"),
                "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>"
                VF("<vlan trunk='yes'><tag id='42' nativeMode='untagged'/><tag id='47'/></vlan>")
                "<interface type='user'><mac address='52:54:00:00:00:02'/></interface>"
                "<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x06' slot='0x12' "
                "function='0x5'/></source></hostdev>",
        };
        xmlRelaxNGPtr schema = load_schema();

        for (size_t i = 0; i < ELEMENTSOF(devices); i++) {
                _cleanup_free_ char *xml = domain_with(NULL, devices[i]), *a = NULL, *b = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "interface hostdev"), *again = NULL;
                ConfError err = {};

                if (!def)
                        continue;
                CHECK(qemu_validate_def(def, &err) == 0);
                CHECK(def->n_hostdevs >= 1 && def->hostdevs[0].net.is_interface &&
                      def->hostdevs[0].type == DOMAIN_HOSTDEV_PCI && def->hostdevs[0].pci_function == 1);
                a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
                again = a ? parse_ok(a, "formatted interface hostdev") : NULL;
                b = again ? format_ok(again, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(a && b && streq(a, b));
                if (schema && a)
                        CHECK(schema_valid(schema, a));
                /* document order among the interfaces */
                if (a && i == 1) {
                        const char *u1 = strstr(a, "52:54:00:00:00:01"), *vf = strstr(a, "type='hostdev'"),
                                   *u2 = strstr(a, "52:54:00:00:00:02");
                        CHECK(u1 && vf && u2 && u1 < vf && vf < u2);
                        CHECK_CONTAINS(a, "<hostdev mode='subsystem' type='pci'>");
                }
        }
}

static void refused_(const char *devices, const char *needle, int line) {
        _cleanup_free_ char *xml = domain_with(NULL, devices);
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        int r = domain_def_parse(xml, strlen(xml), &def, &err);

        if (r >= 0)
                r = domain_def_validate(def, &err);
        if (r >= 0)
                r = qemu_validate_def(def, &err);
        if (r >= 0 || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: got %d \"%s\", expected an error naming \"%s\"\n", line, r, err.message,
                        needle);
                unit_failed_checks++;
        }
}
#define IFACE_REFUSED(devices, needle) refused_(devices, needle, __LINE__)

static void test_refusals(void) {
        IFACE_REFUSED(VF("<tune><sndbuf>1600</sndbuf></tune>"), "element <devices/interface/tune> is not supported");
        IFACE_REFUSED("<interface type='hostdev'><mac address='00:11:22:33:44:55'/></interface>",
                "missing element <devices/interface/source>");
        IFACE_REFUSED("<interface type='hostdev'><source><address domain='0x0000' bus='0x03' slot='0x07' "
                "function='0x1'/></source></interface>", "missing attribute 'type'");
        IFACE_REFUSED(VF("<vlan><tag id='4096'/></vlan>"), "invalid VLAN tag id '4096'");
        IFACE_REFUSED(VF("<vlan trunk='no'><tag id='4'/><tag id='5'/></vlan>"), "trunk='no' with more than one tag");
        IFACE_REFUSED(VF("<driver name='kvm'/>"), "<driver name='kvm'/> is not supported, only 'vfio'");
        IFACE_REFUSED(VF("") "<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x03' "
                "slot='0x07' function='0x1'/></source></hostdev>", "is given twice");
}

static char root[] = "/tmp/vbtest-net-hostdev-XXXXXX";

static int put_dir(const char *rel) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", root, rel) < 0)
                return -ENOMEM;
        return mkdir_p(path, 0755);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

/* qemu_hostdev_prepare() of a guest with the VF, extra inside its <interface>. */
static int prepare(const char *extra, ConfError *err) {
        _cleanup_free_ char *dev = NULL, *xml = NULL, *sys = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        char **paths = NULL;
        int r;

        CHECK(asprintf(&dev, VF("%s"), extra) > 0);
        xml = domain_with(NULL, dev);
        def = parse_ok(xml, "prepare input");
        CHECK(asprintf(&sys, "%s/sys", root) > 0);
        if (!def)
                return -EINVAL;
        r = qemu_hostdev_prepare(def, sys, "/dev", &paths, err);
        if (r >= 0)
                qemu_hostdev_paths_free(paths, def->n_hostdevs);
        return r;
}

static void expect_vf_error(const char *extra, const char *name, const char *needle) {
        ConfError err = {};

        CHECK(prepare(extra, &err) < 0);
        if (!streq_ptr(err.name, name) || !strstr(err.message, needle)) {
                fprintf(stderr, "  %s: got %s \"%s\", expected %s naming \"%s\"\n", unit_current, err.name,
                        err.message, name, needle);
                unit_failed_checks++;
        }
}

static void expect_start_error(const char *name, const char *needle) {
        expect_vf_error("", name, needle);
}

static void link_to(const char *rel, const char *target) {
        _cleanup_free_ char *path = NULL;

        CHECK(asprintf(&path, "%s/%s", root, rel) > 0);
        CHECK(symlink(target, path) == 0);
}

/* Before the start sets a VF's MAC and VLAN through its PF, the VF and
 * its PF are found in sysfs and its VLAN is one a VF takes: each gap is
 * named, and a VF whose PF's netdev and virtfnN are there passes. */
static void test_prepare(void) {
        _cleanup_free_ char *drv = NULL, *link = NULL, *pf = NULL, *physfn = NULL;
        ConfError err = {};

        CHECK(mkdtemp(root) != NULL);
        CHECK(put_dir("sys/bus/pci/drivers/vfio-pci") == 0);
        expect_start_error(VB_ERROR_OPERATION_FAILED, "host device pci 0000:03:07.1 (the VF of an <interface "
                                                      "type='hostdev'>) of <devices/hostdev> is not on this host");
        CHECK(put_dir("sys/bus/pci/devices/0000:03:07.1") == 0);
        CHECK(asprintf(&drv, "%s/sys/bus/pci/drivers/vfio-pci", root) > 0);
        CHECK(asprintf(&link, "%s/sys/bus/pci/devices/0000:03:07.1/driver", root) > 0);
        CHECK(symlink(drv, link) == 0);
        expect_start_error(VB_ERROR_CONFIG_UNSUPPORTED, "is not an SR-IOV virtual function");
        CHECK(put_dir("sys/bus/pci/devices/0000:03:00.0") == 0);
        CHECK(asprintf(&pf, "%s/sys/bus/pci/devices/0000:03:00.0", root) > 0);
        CHECK(asprintf(&physfn, "%s/sys/bus/pci/devices/0000:03:07.1/physfn", root) > 0);
        CHECK(symlink(pf, physfn) == 0);
        expect_start_error(VB_ERROR_OPERATION_FAILED, "lists no netdev of its PF");
        CHECK(put_dir("sys/bus/pci/devices/0000:03:00.0/net/enp3s0f0") == 0);
        expect_start_error(VB_ERROR_OPERATION_FAILED, "has no virtfnN link to it");
        link_to("sys/bus/pci/devices/0000:03:00.0/virtfn3", "../0000:03:07.1");
        CHECK_INTEQ(prepare("", &err), 0);
        CHECK_INTEQ(prepare("<vlan><tag id='42'/></vlan>", &err), 0);
        /* what a VF cannot take, refused before anything is asked of the PF */
        expect_vf_error("<vlan trunk='yes'><tag id='42'/><tag id='47'/></vlan>", VB_ERROR_NOT_SUPPORTED,
                        "vlan trunking is not supported by SR-IOV network devices");
        expect_vf_error("<vlan><tag id='42' nativeMode='untagged'/></vlan>", VB_ERROR_NOT_SUPPORTED,
                        "vlan trunking is not supported by SR-IOV network devices");
        expect_vf_error("<virtualport type='802.1Qbh'><parameters profileid='p1'/></virtualport>",
                        VB_ERROR_NOT_SUPPORTED, "does not associate the <virtualport type='802.1Qbh'>");
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

UNIT_TESTS(test_round_trip, test_refusals, test_prepare)
