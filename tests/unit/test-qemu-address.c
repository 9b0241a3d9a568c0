/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Addresses assigned at define time (qemu-address.c): what a pc or q35
 * definition without addresses comes back with, that given addresses are
 * kept, that assigning the output again changes nothing (byte for byte),
 * and that clashes are still refused. */

#include "domain-conf.h"
#include "qemu-address.h"
#include "unit.h"
#include "util.h"

static const char xml_head[] =
        "<domain type='qemu'><name>addr</name><uuid>6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7</uuid>"
        "<memory unit='KiB'>131072</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='%s'>hvm</type></os><devices>%s</devices></domain>";

/* What qemud does at define: parse, validate, assign, validate; the
 * inactive XML. 0 or the -errno of the step that failed. */
static int define(const char *machine, const char *devices, char **ret_xml, ConfError *err) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *xml = NULL;
        int r;

        if (asprintf(&xml, xml_head, machine, devices) < 0)
                return -ENOMEM;
        r = domain_def_parse(xml, 0, &def, err);
        if (r >= 0)
                r = domain_def_validate(def, err);
        if (r >= 0)
                r = qemu_domain_assign_addresses(def, err);
        if (r >= 0)
                r = domain_def_validate(def, err);
        if (r >= 0)
                r = domain_def_format(def, DOMAIN_FORMAT_INACTIVE, ret_xml);
        return r;
}

/* Defining the output again gives the same document. */
static void check_stable(const char *xml) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *again = NULL;
        ConfError err = {};

        CHECK(domain_def_parse(xml, 0, &def, &err) == 0);
        if (!def)
                return;
        CHECK(domain_def_validate(def, &err) == 0);
        CHECK(qemu_domain_assign_addresses(def, &err) == 0);
        CHECK(domain_def_format(def, DOMAIN_FORMAT_INACTIVE, &again) == 0);
        CHECK_STREQ(again, xml);
}

/* Whether xml, with the indentation between elements taken out, holds part. */
static bool has(const char *xml, const char *part) {
        _cleanup_free_ char *flat = xml ? strdup(xml) : NULL;
        char *w = flat;
        bool ok;

        for (const char *p = flat; p && *p; p++) {
                if (*p == '\n') {
                        while (p[1] == ' ')
                                p++;
                        continue;
                }
                *w++ = *p;
        }
        if (w)
                *w = 0;
        ok = flat && strstr(flat, part);

        if (!ok)
                fprintf(stderr, "  missing: %s\n", part);
        return ok;
}

#define PCI(bus, slot, fn) "<address type='pci' domain='0x0000' bus='" bus "' slot='" slot "' function='" fn "'"

static const char disk_net_rng[] =
        "<disk type='file' device='disk'><source file='/img/a.raw'/><target dev='vda' bus='virtio'/></disk>"
        "<interface type='user'><mac address='52:54:00:00:00:01'/><model type='virtio'/></interface>"
        "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>";

/* q35: each PCIe device on a root port of its own, the root ports packed
 * into 00:02.x; the ICH9 SATA at 00:1f.2; the issue's own example. */
static void test_q35_disk_net_rng(void) {
        _cleanup_free_ char *xml = NULL;
        ConfError err = {};

        CHECK(define("q35", disk_net_rng, &xml, &err) == 0);
        if (!xml)
                return;
        CHECK(has(xml, "<controller type='pci' index='0' model='pcie-root'/>"));
        CHECK(has(xml, "<controller type='pci' index='1' model='pcie-root-port'><model name='pcie-root-port'/>"
                       "<target chassis='1' port='0x10'/>" PCI("0x00", "0x02", "0x0") " multifunction='on'/>"));
        CHECK(has(xml, "<controller type='pci' index='2' model='pcie-root-port'><model name='pcie-root-port'/>"
                       "<target chassis='2' port='0x11'/>" PCI("0x00", "0x02", "0x1") "/>"));
        CHECK(has(xml, "<target chassis='3' port='0x12'/>" PCI("0x00", "0x02", "0x2") "/>"));
        CHECK(has(xml, "<controller type='sata' index='0'>" PCI("0x00", "0x1f", "0x2") "/></controller>"));
        /* libvirt's order: interfaces, controllers, disks, balloon, rng */
        CHECK(has(xml, "<model type='virtio'/>" PCI("0x01", "0x00", "0x0") "/></interface>"));
        CHECK(has(xml, "<target dev='vda' bus='virtio'/>" PCI("0x02", "0x00", "0x0") "/></disk>"));
        CHECK(has(xml, "</backend>" PCI("0x03", "0x00", "0x0") "/></rng>"));
        CHECK(!strstr(xml, "<alias"));  /* aliases are live only */
        check_stable(xml);
}

/* pc: PIIX3's IDE and USB in slot 1, the video in slot 2, the rest from 3. */
static void test_pc_mix(void) {
        _cleanup_free_ char *xml = NULL;
        ConfError err = {};

        CHECK(define("pc",
                     "<disk type='file' device='disk'><source file='/img/a.raw'/><target dev='vda' bus='virtio'/></disk>"
                     "<disk type='file' device='cdrom'><source file='/img/b.iso'/><target dev='hdc'/><readonly/></disk>"
                     "<interface type='user'><mac address='52:54:00:00:00:01'/><model type='e1000'/></interface>"
                     "<channel type='pty'><target type='virtio' name='org.example.0'/></channel>"
                     "<input type='tablet' bus='usb'/>"
                     "<video><model type='cirrus'/></video>", &xml, &err) == 0);
        if (!xml)
                return;
        CHECK(has(xml, "<controller type='pci' index='0' model='pci-root'/>"));
        CHECK(has(xml, "<controller type='ide' index='0'>" PCI("0x00", "0x01", "0x1") "/></controller>"));
        CHECK(has(xml, "<controller type='usb' index='0' model='piix3-uhci'>" PCI("0x00", "0x01", "0x2") "/>"));
        CHECK(has(xml, "<model type='cirrus'"));
        CHECK(has(xml, PCI("0x00", "0x02", "0x0") "/></video>"));
        CHECK(has(xml, "<model type='e1000'/>" PCI("0x00", "0x03", "0x0") "/></interface>"));
        CHECK(has(xml, "<controller type='virtio-serial' index='0'>" PCI("0x00", "0x04", "0x0") "/>"));
        CHECK(has(xml, "<target dev='vda' bus='virtio'/>" PCI("0x00", "0x05", "0x0") "/></disk>"));
        /* hdc: the second IDE bus, unit 0 */
        CHECK(has(xml, "<target dev='hdc' bus='ide'/><readonly/>"
                       "<address type='drive' controller='0' bus='1' target='0' unit='0'/>"));
        CHECK(has(xml, "<address type='virtio-serial' controller='0' bus='0' port='1'/></channel>"));
        CHECK(has(xml, "<input type='tablet' bus='usb'><address type='usb' bus='0' port='1'/></input>"));
        CHECK(!strstr(xml, "pcie"));
        check_stable(xml);
}

/* Drive addresses from the target names, and the controllers they need:
 * AHCI has 6 ports, so sdg is on a second SATA controller (on PCI). */
static void test_drives(void) {
        _cleanup_free_ char *xml = NULL, *devs = NULL, *pc = NULL;
        ConfError err = {};
        char buf[2048] = "";

        for (char c = 'a'; c <= 'g'; c++) {
                char one[160];

                snprintf(one, sizeof(one), "<disk type='file' device='disk'><source file='/img/%c.raw'/>"
                         "<target dev='sd%c' bus='sata'/></disk>", c, c);
                strncat(buf, one, sizeof(buf) - strlen(buf) - 1);
        }
        CHECK(define("q35", buf, &xml, &err) == 0);
        if (!xml)
                return;
        CHECK(has(xml, "<target dev='sdf' bus='sata'/><address type='drive' controller='0' bus='0' target='0' unit='5'/>"));
        CHECK(has(xml, "<target dev='sdg' bus='sata'/><address type='drive' controller='1' bus='0' target='0' unit='0'/>"));
        CHECK(has(xml, "<controller type='sata' index='1'>" PCI("0x00", "0x02", "0x0") "/></controller>"));
        check_stable(xml);

        /* SCSI: an lsilogic controller, written with its model */
        CHECK(define("pc", "<disk type='file' device='disk'><source file='/img/s.raw'/><target dev='sdb'/></disk>",
                     &pc, &err) == 0);
        CHECK(has(pc, "<target dev='sdb' bus='scsi'/><address type='drive' controller='0' bus='0' target='0' unit='1'/>"));
        CHECK(has(pc, "<controller type='scsi' index='0' model='lsilogic'>" PCI("0x00", "0x03", "0x0") "/>"));
        if (pc)
                check_stable(pc);
        (void) devs;
}

/* Addresses given stay; nothing else goes where they are; a free root port
 * given is used before a new one is added. */
static void test_given_kept(void) {
        _cleanup_free_ char *xml = NULL, *pc = NULL;
        ConfError err = {};

        CHECK(define("q35",
                     "<controller type='pci' index='1' model='pcie-root-port'/>"
                     "<interface type='user'><mac address='52:54:00:00:00:01'/><model type='rtl8139'/>"
                     "<address type='pci' bus='0' slot='2'/></interface>"
                     "<disk type='file' device='disk'><source file='/img/a.raw'/><target dev='vda' bus='virtio'/></disk>"
                     "<rng model='virtio'><backend model='builtin'/><address type='pci'/></rng>", &xml, &err) == 0);
        if (!xml)
                return;
        CHECK(has(xml, "<model type='rtl8139'/>" PCI("0x00", "0x02", "0x0") "/></interface>"));
        CHECK(has(xml, "<target dev='vda' bus='virtio'/>" PCI("0x01", "0x00", "0x0") "/></disk>"));
        CHECK(has(xml, "<backend model='builtin'/>" PCI("0x02", "0x00", "0x0") "/></rng>"));
        /* slot 2 is the interface's: the root ports start at 3 */
        CHECK(has(xml, "<controller type='pci' index='1' model='pcie-root-port'><model name='pcie-root-port'/>"
                       "<target chassis='1' port='0x18'/>" PCI("0x00", "0x03", "0x0") " multifunction='on'/>"));
        CHECK(has(xml, "<target chassis='2' port='0x19'/>" PCI("0x00", "0x03", "0x1") "/>"));
        check_stable(xml);

        /* a root port placed by the user gets libvirt's chassis and port */
        free(xml);
        xml = NULL;
        CHECK(define("q35", "<controller type='pci' index='3' model='pcie-root-port'>"
                     "<address type='pci' bus='0' slot='5' function='1'/></controller>"
                     "<controller type='pci' index='4' model='pcie-root-port'>"
                     "<address type='pci' bus='0' slot='5' function='0' multifunction='on'/></controller>",
                     &xml, &err) == 0);
        CHECK(has(xml, "<controller type='pci' index='3' model='pcie-root-port'><model name='pcie-root-port'/>"
                       "<target chassis='3' port='0x29'/>" PCI("0x00", "0x05", "0x1") "/>"));
        if (xml)
                check_stable(xml);

        /* pc: the video's slot kept free even without a video */
        CHECK(define("pc", "<interface type='user'><mac address='52:54:00:00:00:01'/>"
                     "<address type='pci' bus='0' slot='3'/></interface>"
                     "<rng model='virtio'><backend model='builtin'/></rng>", &pc, &err) == 0);
        CHECK(has(pc, "<backend model='builtin'/>" PCI("0x00", "0x04", "0x0") "/></rng>"));
}

/* A device added later goes into the next function of the root ports'
 * slot; the others stay where they were. */
static void test_added_later(void) {
        _cleanup_free_ char *xml = NULL, *devs = NULL, *xml2 = NULL;
        ConfError err = {};

        CHECK(define("q35", disk_net_rng, &xml, &err) == 0);
        if (!xml)
                return;
        /* the devices of the first output, plus a disk */
        const char *start = strstr(xml, "<devices>"), *end = strstr(xml, "</devices>");
        CHECK(start && end);
        if (!start || !end)
                return;
        start += strlen("<devices>");
        CHECK(asprintf(&devs, "%.*s<disk type='file' device='disk'><source file='/img/b.raw'/>"
                       "<target dev='vdb' bus='virtio'/></disk>", (int) (end - start), start) >= 0);
        CHECK(define("q35", devs, &xml2, &err) == 0);
        CHECK(has(xml2, "<target dev='vda' bus='virtio'/>" PCI("0x02", "0x00", "0x0") "/></disk>"));
        CHECK(has(xml2, "<target dev='vdb' bus='virtio'/>" PCI("0x04", "0x00", "0x0") "/></disk>"));
        CHECK(has(xml2, "<target chassis='4' port='0x13'/>" PCI("0x00", "0x02", "0x3") "/>"));
}

/* Clashes are refused, naming both devices; the built-in controllers
 * keep their places. */
static void test_clash_refused(void) {
        _cleanup_free_ char *xml = NULL;
        ConfError err = {};

        CHECK(define("q35",
                     "<interface type='user'><mac address='52:54:00:00:00:01'/>"
                     "<address type='pci' bus='0' slot='4'/></interface>"
                     "<rng model='virtio'><backend model='builtin'/><address type='pci' bus='0' slot='4'/></rng>",
                     &xml, &err) < 0);
        CHECK(!xml);
        CHECK(strstr(err.message, "used twice"));
}

/* pc: when the root bus is full, a pci-bridge is added (as libvirt does)
 * and the devices that do not fit go behind it. */
static void test_root_bus_full(void) {
        _cleanup_free_ char *xml = NULL;
        char devs[4096] = "";
        ConfError err = {};

        for (int i = 0; i < 30; i++)
                strncat(devs, "<rng model='virtio'><backend model='builtin'/></rng>", sizeof(devs) - strlen(devs) - 1);
        CHECK(define("pc", devs, &xml, &err) == 0);
        CHECK(has(xml, "<controller type='pci' index='1' model='pci-bridge'>" PCI("0x00", "0x03", "0x0") "/>"));
        CHECK(has(xml, "<backend model='builtin'/>" PCI("0x01", "0x01", "0x0") "/></rng>"));
        if (xml)
                check_stable(xml);
}

/* Switch ports, bridges and expanders are placed in index order, each
 * where its kind plugs in; a slot with several functions gets
 * multifunction='on' on function 0 unless the definition says 'off'. */
static void test_pci_controllers(void) {
        _cleanup_free_ char *xml = NULL, *xml2 = NULL, *xml3 = NULL;
        ConfError err = {};

        CHECK(define("q35",
                     "<controller type='pci' index='1' model='dmi-to-pci-bridge'/>"
                     "<controller type='pci' index='2' model='pci-bridge'/>"
                     "<controller type='pci' index='3' model='pcie-root-port'/>"
                     "<controller type='pci' index='4' model='pcie-switch-upstream-port'/>"
                     "<controller type='pci' index='5' model='pcie-switch-downstream-port'/>"
                     "<controller type='pci' index='6' model='pcie-switch-downstream-port'/>"
                     "<controller type='pci' index='7' model='pcie-expander-bus'><target busNr='200'/></controller>",
                     &xml, &err) == 0);
        CHECK(has(xml, "<model name='i82801b11-bridge'/>" PCI("0x00", "0x1e", "0x0") "/>"));
        CHECK(has(xml, "model='pci-bridge'>" PCI("0x01", "0x01", "0x0") "/>"));
        CHECK(has(xml, "<model name='x3130-upstream'/>" PCI("0x03", "0x00", "0x0") "/>"));
        CHECK(has(xml, "<model name='xio3130-downstream'/><target chassis='6' port='0x1'/>"
                       PCI("0x04", "0x01", "0x0") "/>"));
        if (xml)
                check_stable(xml);

        /* pc: expanders on the root bus, busNr two below the lowest given */
        CHECK(define("pc",
                     "<controller type='pci' index='1' model='pci-expander-bus'><target busNr='254'/></controller>"
                     "<controller type='pci' index='2' model='pci-expander-bus'/>", &xml2, &err) == 0);
        CHECK(has(xml2, "<model name='pxb'/><target busNr='252'/>"));
        if (xml2)
                check_stable(xml2);

        CHECK(define("q35",
                     "<controller type='pci' index='1' model='pcie-root-port'><address type='pci' slot='2'/></controller>"
                     "<controller type='pci' index='2' model='pcie-root-port'>"
                     "<address type='pci' slot='2' function='1'/></controller>", &xml3, &err) == 0);
        CHECK(has(xml3, PCI("0x00", "0x02", "0x0") " multifunction='on'/>"));
}

/* Other machines are left alone (the start refuses them). */
static void test_other_machine(void) {
        _cleanup_free_ char *xml = NULL;
        ConfError err = {};

        CHECK(define("microvm", disk_net_rng, &xml, &err) == 0);
        CHECK(xml && !strstr(xml, "<address"));
}

UNIT_TESTS(test_q35_disk_net_rng,
           test_pc_mix,
           test_drives,
           test_given_kept,
           test_added_later,
           test_clash_refused,
           test_root_bus_full,
           test_pci_controllers,
           test_other_machine)
