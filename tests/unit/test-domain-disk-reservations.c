/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <source><reservations managed=''>: kept byte for byte with its helper's
 * socket, libvirt's parse errors (virStoragePRDefParseXML) and its rule
 * that only a device='lun' disk has them. */

#include "domain-test.h"

#define LUN(reservations) \
        "<disk type='block' device='lun'><driver name='qemu' type='raw'/><source dev='/dev/sdb'>" reservations \
        "</source><target dev='sda' bus='scsi'/></disk>"
#define UNMANAGED "<reservations managed='no'><source type='unix' path='/run/pr.sock' mode='client'/></reservations>"

static void test_round_trip(void) {
        static const char *const cases[] = {
                "<reservations managed='yes'/>",
                UNMANAGED,
                /* a managed helper's socket, as the live XML shows it */
                "<reservations managed='yes'><source type='unix' path='/run/x/pr-helper0.sock' mode='client'/>"
                "</reservations>",
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *dev = NULL, *xml = NULL, *out = NULL, *again = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = NULL, *def2 = NULL;
                ConfError err = {};

                CHECK(asprintf(&dev, LUN("%s"), cases[i]) > 0);
                xml = domain_with(NULL, dev);
                def = xml ? parse_ok(xml, cases[i]) : NULL;
                if (!def)
                        continue;
                CHECK(domain_def_validate(def, &err) >= 0);
                CHECK(def->n_disks == 1 && def->disks[0].pr);
                out = format_ok(def, 0);
                CHECK(out && strstr(out, "<reservations managed="));
                def2 = out ? parse_ok(out, "formatted") : NULL;
                again = def2 ? format_ok(def2, 0) : NULL;
                CHECK_STREQ(out, again);
        }
}

static void test_fields(void) {
        _cleanup_free_ char *xml = domain_with(NULL, LUN(UNMANAGED));
        _cleanup_(domain_def_freep) DomainDef *def = xml ? parse_ok(xml, "unmanaged") : NULL;
        _cleanup_(domain_def_freep) DomainDef *copy = NULL;

        if (!def)
                return;
        CHECK(def->disks[0].pr->managed == TRISTATE_OFF);
        CHECK_STREQ(def->disks[0].pr->path, "/run/pr.sock");
        CHECK(domain_def_copy(def, &copy) >= 0);
        CHECK(copy && copy->disks[0].pr && copy->disks[0].pr->path != def->disks[0].pr->path);
}

static void test_refused(void) {
        REFUSED(NULL, LUN("<reservations/>"), VB_ERROR_XML, "Missing required attribute 'managed'");
        REFUSED(NULL, LUN("<reservations managed='maybe'/>"), VB_ERROR_INVALID_ARG, "maybe");
        REFUSED(NULL, LUN("<reservations managed='no'/>"), VB_ERROR_XML, "missing connection type");
        REFUSED(NULL, LUN("<reservations managed='no'><source path='/p' mode='client'/></reservations>"),
                VB_ERROR_XML, "missing connection type");
        REFUSED(NULL, LUN("<reservations managed='no'><source type='unix' mode='client'/></reservations>"),
                VB_ERROR_XML, "missing path for <reservations/>");
        REFUSED(NULL, LUN("<reservations managed='no'><source type='unix' path='/p'/></reservations>"),
                VB_ERROR_XML, "missing connection mode");
        REFUSED(NULL, LUN("<reservations managed='no'><source type='tcp' path='/p' mode='client'/></reservations>"),
                VB_ERROR_XML, "unsupported connection type for <reservations/>: tcp");
        REFUSED(NULL, LUN("<reservations managed='no'><source type='unix' path='/p' mode='server'/></reservations>"),
                VB_ERROR_XML, "unsupported connection mode for <reservations/>: server");
        REFUSED(NULL, LUN("<reservations managed='yes'/><reservations managed='no'/>"), VB_ERROR_XML,
                "reservations");
        INVALID(NULL, "<disk type='block' device='disk'><source dev='/dev/sdb'><reservations managed='yes'/>"
                "</source><target dev='sda' bus='scsi'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "<reservations/> allowed only for lun devices");
}

UNIT_TESTS(test_round_trip, test_fields, test_refused)
