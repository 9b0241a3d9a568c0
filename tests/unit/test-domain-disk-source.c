/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <disk><source>'s less common attributes, as libvirt keeps them: a
 * volume's mode, a volume disk without a source (an empty drive), a file's
 * fdgroup, the index of each image in a live chain, a backing layer's
 * fdgroup and <seclabel>, the vmdk format. */

#include "domain-test.h"

static DomainDef *fixture(char **xml) {
        _cleanup_free_ char *path = NULL;

        CHECK(asprintf(&path, "%s/disk-source-extras.xml", data_dir()) > 0);
        *xml = read_file(path);
        CHECK(*xml != NULL);
        return *xml ? parse_ok(*xml, path) : NULL;
}

/* Our canonical form is libvirt's order: it comes out byte for byte. */
static void test_canonical(void) {
        _cleanup_free_ char *xml = NULL, *out = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = fixture(&xml);

        if (!def)
                return;
        out = format_ok(def, DOMAIN_FORMAT_SECURE);
        CHECK_STREQ(out, xml);
}

static void test_fields(void) {
        _cleanup_free_ char *xml = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = fixture(&xml);
        const DomainDiskDef *d;

        if (!def)
                return;
        CHECK_INTEQ(def->n_disks, 6);
        if (def->n_disks != 6)
                return;
        CHECK_STREQ(def->disks[0].src_mode, "host");
        CHECK_STREQ(def->disks[1].src_mode, "direct");
        CHECK(def->disks[1].auth != NULL);
        CHECK(!def->disks[2].src_pool && !def->disks[2].src_volume);
        d = &def->disks[3];
        CHECK_STREQ(d->fdgroup, "top");
        CHECK_INTEQ(d->src_index, 3);
        CHECK_INTEQ(d->n_backing, 2);
        if (d->n_backing == 2) {
                CHECK_INTEQ(d->backing[0].format, DOMAIN_DISK_FORMAT_VMDK);
                CHECK_STREQ(d->backing[0].fdgroup, "middle");
                CHECK_INTEQ(d->backing[0].n_seclabels, 1);
                CHECK(!d->backing[1].fdgroup);
                CHECK(d->backing[0].slice.set && d->backing[0].slice.offset == 9876 &&
                      d->backing[0].slice.size == 123456789);
        }
        CHECK_INTEQ(def->disks[4].src_index, 5);
        CHECK_INTEQ(def->disks[4].format, DOMAIN_DISK_FORMAT_VMDK);
        CHECK(def->disks[4].slice.set && def->disks[4].slice.size == 321);
        CHECK(def->disks[4].mirror && def->disks[4].mirror->src_index == 1 && def->disks[4].mirror->n_backing == 1 &&
              def->disks[4].mirror->backing_known);
        d = &def->disks[5];
        CHECK(d->nvme && d->nvme->ns == 2 && d->nvme->managed == TRISTATE_OFF && d->nvme->pci_domain == 1 &&
              d->nvme->pci_bus == 2);
        CHECK(d->encryption && d->slice.offset == 1234 && d->src_index == 7);
}

/* A deep copy keeps the new strings its own. */
static void test_copy(void) {
        _cleanup_free_ char *xml = NULL, *a = NULL, *b = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = fixture(&xml);
        _cleanup_(domain_def_freep) DomainDef *copy = NULL;

        if (!def)
                return;
        CHECK(domain_def_copy(def, &copy) >= 0);
        a = format_ok(def, 0);
        domain_def_free(def);
        def = NULL;
        b = copy ? format_ok(copy, 0) : NULL;
        CHECK_STREQ(a, b);
}

#define SRC_DISK(body) "<domain type='qemu'><name>m</name><memory>1024</memory><os><type>hvm</type></os>" \
                   "<devices><disk " body "<target dev='hda' bus='ide'/></disk></devices></domain>"

static void test_refused(void) {
        check_refused(SRC_DISK("type='volume' device='cdrom'><source pool='p' volume='v' mode='hostile'/>"),
                      VB_ERROR_NOT_SUPPORTED, "mode");
        check_refused(SRC_DISK("type='volume' device='cdrom'><source pool='p'/>"), VB_ERROR_XML,
                      "'pool' and 'volume' must be specified together");
        check_refused(SRC_DISK("type='file'><source file='/a' index='x'/>"), VB_ERROR_INVALID_ARG, "index");
        /* fdgroup is a file's only, as in libvirt */
        check_refused(SRC_DISK("type='block'><source dev='/dev/a' fdgroup='g'/>"), VB_ERROR_NOT_SUPPORTED,
                      "fdgroup");
        check_refused(SRC_DISK("type='file'><source file='/a'><slices><slice type='storage' offset='1'/></slices>"
                               "</source>"),
                      VB_ERROR_XML, "missing offset or size attribute of slice");
        check_refused(SRC_DISK("type='file'><source file='/a'><slices><slice type='format' offset='1' size='2'/>"
                               "</slices></source>"),
                      VB_ERROR_NOT_SUPPORTED, "slice type 'format'");
}

static void test_nvme_refused(void) {
        check_refused(SRC_DISK("type='nvme'><source type='pci' namespace='1'/>"), VB_ERROR_XML,
                      "NVMe disk source is missing address");
        check_refused(SRC_DISK("type='nvme'><source type='usb' namespace='1'/>"), VB_ERROR_XML,
                      "unsupported source type 'usb'");
        check_refused(SRC_DISK("type='nvme'><source type='pci'><address domain='0' bus='1' slot='0' "
                               "function='0'/></source>"),
                      VB_ERROR_XML, "missing 'namespace'");
        check_invalid(SRC_DISK("type='nvme'><source type='pci' namespace='0'><address domain='0' bus='1' slot='0' "
                               "function='0'/></source>"),
                      VB_ERROR_NOT_SUPPORTED, "NVMe namespace can't be zero");
}

UNIT_TESTS(test_nvme_refused, test_canonical, test_fields, test_copy, test_refused)
