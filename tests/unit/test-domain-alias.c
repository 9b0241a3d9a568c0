/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device aliases: a user's alias ("ua-...") names one device only
 * (libvirt's "non unique alias detected"), whatever the two devices' kinds. */

#include "domain-test.h"
#include "util.h"

#define UA_DISK(dev, alias)                                                                                    \
        "<disk type='file' device='disk'><source file='/var/lib/" dev ".img'/><target dev='" dev "' "    \
        "bus='virtio'/><alias name='" alias "'/></disk>"

static void test_duplicate_refused(void) {
        INVALID(NULL, UA_DISK("vda", "ua-x") UA_DISK("vdb", "ua-x"), VB_ERROR_NOT_SUPPORTED,
                "unsupported configuration: non unique alias detected: ua-x");
        /* across kinds */
        INVALID(NULL, UA_DISK("vda", "ua-dev") "<rng model='virtio'><backend model='random'>/dev/urandom</backend>"
                "<alias name='ua-dev'/></rng>", VB_ERROR_NOT_SUPPORTED, "non unique alias detected: ua-dev");
        INVALID(NULL, "<serial type='pty'><alias name='ua-s'/></serial>"
                "<memballoon model='virtio'><alias name='ua-s'/></memballoon>", VB_ERROR_NOT_SUPPORTED,
                "non unique alias detected: ua-s");
        INVALID(NULL, "<controller type='usb' index='0' model='qemu-xhci'><alias name='ua-c'/></controller>"
                "<interface type='user'><alias name='ua-c'/></interface>", VB_ERROR_NOT_SUPPORTED,
                "non unique alias detected: ua-c");
}

static void test_distinct_accepted(void) {
        _cleanup_free_ char *xml = domain_with(NULL,
                UA_DISK("vda", "ua-a") UA_DISK("vdb", "ua-b")
                /* the first serial console is the first serial port: one device, one alias */
                "<serial type='pty'><alias name='ua-serial'/></serial>"
                "<console type='pty'><target type='serial'/><alias name='ua-serial'/></console>"
                "<memballoon model='virtio'><alias name='ua-balloon'/></memballoon>");
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "distinct aliases");
        ConfError err = {};

        if (!def)
                return;
        CHECK_INTEQ(domain_def_validate(def, &err), 0);
        CHECK(domain_def_has_alias(def, "ua-balloon"));
        CHECK(domain_def_has_alias(def, "ua-b"));
        CHECK(!domain_def_has_alias(def, "ua-none"));
        CHECK(domain_alias_is_user("ua-a") && !domain_alias_is_user("virtio-disk0") && !domain_alias_is_user(NULL));
}

/* libvirt drops a "ua-" alias with a character beyond [A-Za-z0-9_-]: the
 * device is named by the driver, and two such aliases are no conflict. */
static void test_user_alias_with_dot_dropped(void) {
        _cleanup_free_ char *xml = domain_with(NULL, UA_DISK("vda", "ua-a.b") UA_DISK("vdb", "ua-a.b"));
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "dotted user alias");
        _cleanup_free_ char *out = NULL;
        ConfError err = {};

        if (!def)
                return;
        CHECK(!def->disks[0].alias && !def->disks[1].alias);
        CHECK_INTEQ(domain_def_validate(def, &err), 0);
        out = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_NOT_CONTAINS(out, "ua-a.b");
}

UNIT_TESTS(test_duplicate_refused, test_distinct_accepted, test_user_alias_with_dot_dropped)
