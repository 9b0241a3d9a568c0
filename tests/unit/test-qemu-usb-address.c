/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* USB ports at define time (qemu-usb-address.c): the first free port, a
 * bus's own ports before those behind its hubs, hubs added when ports run
 * out, EHCI companions adding no bus, and the addresses refused with what
 * was wrong. */

#include "domain-conf.h"
#include "error.h"
#include "qemu-address.h"
#include "qemu-rules.h"
#include "unit.h"
#include "util.h"

static const char xml_head[] =
        "<domain type='qemu'><name>usb</name><uuid>6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7</uuid>"
        "<memory unit='KiB'>131072</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>%s</devices></domain>";

static int define(const char *devices, DomainDef **ret, ConfError *err) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *xml = NULL;
        int r;

        if (asprintf(&xml, xml_head, devices) < 0)
                return -ENOMEM;
        r = domain_def_parse(xml, 0, &def, err);
        if (r >= 0)
                r = domain_def_validate(def, err);
        if (r >= 0)
                r = qemu_domain_assign_addresses(def, err);
        if (r >= 0)
                r = qemu_rules_check(def, err);
        if (r >= 0)
                r = domain_def_validate(def, err);
        if (r >= 0)
                *ret = TAKE_PTR(def);
        return r;
}

static const char *port_of(const DomainDeviceAddress *a, char buf[static 64]) {
        domain_address_to_string(a, buf, 64);
        return buf;
}

static void test_hubs_first_then_free_ports(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        char b[64];

        CHECK(define("<controller type='usb' index='0' model='qemu-xhci' ports='3'/>"
                     "<input type='mouse' bus='usb'/><input type='keyboard' bus='usb'/>"
                     "<input type='tablet' bus='usb'/><hub type='usb'/>", &def, &err) == 0);
        if (!def)
                return;
        CHECK_INTEQ(def->n_hubs, 1);
        CHECK_STREQ(port_of(&def->hubs[0].addr, b), "usb 0:1");
        CHECK_STREQ(port_of(&def->inputs[0].addr, b), "usb 0:2");
        CHECK_STREQ(port_of(&def->inputs[1].addr, b), "usb 0:3");
        CHECK_STREQ(port_of(&def->inputs[2].addr, b), "usb 0:1.1");
}

static void test_hub_added_when_ports_run_out(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        char b[64];

        CHECK(define("<controller type='usb' index='0' model='piix3-uhci'/>"
                     "<input type='mouse' bus='usb'/><input type='mouse' bus='usb'/>"
                     "<input type='keyboard' bus='usb'/><input type='tablet' bus='usb'/>", &def, &err) == 0);
        if (!def)
                return;
        CHECK_INTEQ(def->n_hubs, 1);
        CHECK_STREQ(port_of(&def->hubs[0].addr, b), "usb 0:1");
        CHECK_STREQ(port_of(&def->inputs[0].addr, b), "usb 0:2");
        CHECK_STREQ(port_of(&def->inputs[3].addr, b), "usb 0:1.3");
}

/* ich9-uhciN lend their ports to the EHCI of their index: bus 0 has 6
 * ports, and bus 1 (the xHCI) is reached by asking for it. */
static void test_companions_and_bus(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        char b[64];

        CHECK(define("<controller type='usb' index='0' model='ich9-ehci1'/>"
                     "<controller type='usb' index='0' model='ich9-uhci1'><master startport='0'/></controller>"
                     "<controller type='usb' index='0' model='ich9-uhci2'><master startport='2'/></controller>"
                     "<controller type='usb' index='1' model='qemu-xhci'/>"
                     "<input type='mouse' bus='usb'><address type='usb' bus='0' port='6'/></input>"
                     "<input type='tablet' bus='usb'><address type='usb' bus='1'/></input>"
                     "<input type='keyboard' bus='usb'/>", &def, &err) == 0);
        if (!def)
                return;
        CHECK_STREQ(port_of(&def->inputs[1].addr, b), "usb 1:1");
        CHECK_STREQ(port_of(&def->inputs[2].addr, b), "usb 0:1");
        CHECK(def->controllers[1].has_master && def->controllers[1].master_startport == 0);
}

static void refused(const char *devices, const char *name, const char *part) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};

        CHECK(define(devices, &def, &err) < 0);
        CHECK_STREQ(err.name, name);
        if (!strstr(err.message, part)) {
                fprintf(stderr, "  '%s' not in: %s\n", part, err.message);
                CHECK(!"message names what was wrong");
        }
}

static void test_refused(void) {
        refused("<controller type='usb' index='0'/><hub type='usb'><address type='usb' bus='1' port='1'/></hub>",
                VB_ERROR_INVALID_ARG, "names USB bus 1, which has no controller");
        refused("<controller type='usb' index='0'/>"
                "<input type='mouse' bus='usb'><address type='usb' bus='0' port='1.2'/></input>",
                VB_ERROR_INVALID_ARG, "goes through port 1, where there is no hub");
        refused("<controller type='usb' index='0'/>"
                "<input type='mouse' bus='usb'><address type='usb' bus='0' port='3'/></input>",
                VB_ERROR_INVALID_ARG, "port 3 of its address usb 0:3 is out of range");
        refused("<controller type='usb' index='0'/><hub type='usb'><address type='usb' bus='0' port='1'/></hub>"
                "<input type='mouse' bus='usb'><address type='usb' bus='0' port='1.9'/></input>",
                VB_ERROR_INVALID_ARG, "the hub has ports 1 to 8");
        refused("<controller type='usb' index='0' model='none'/><hub type='usb'/>",
                VB_ERROR_NOT_SUPPORTED, "USB is disabled");
        refused("<controller type='usb' index='0' model='ich9-uhci2'><master startport='2'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "no USB controller of index 0 is its master");
        refused("<hub type='usb'><address type='pci'/></hub>", VB_ERROR_NOT_SUPPORTED, "address type 'pci'");
        refused("<hub type='ps2'/>", VB_ERROR_XML, "must be 'usb'");
}

UNIT_TESTS(test_hubs_first_then_free_ports,
           test_hub_added_when_ports_run_out,
           test_companions_and_bus,
           test_refused)
