/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <disk type='vhostuser'>: its <source type='unix' path=''> and
 * <reconnect>, kept byte for byte, and libvirt's define-time rules for it
 * (virDomainDiskVhostUserValidate), with libvirt's words. */

#include "domain-test.h"

static DomainDef *fixture(char **xml) {
        _cleanup_free_ char *path = NULL;

        CHECK(asprintf(&path, "%s/disk-vhostuser.xml", data_dir()) > 0);
        *xml = read_file(path);
        CHECK(*xml != NULL);
        return *xml ? parse_ok(*xml, path) : NULL;
}

static void test_canonical(void) {
        _cleanup_free_ char *xml = NULL, *out = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = fixture(&xml);
        ConfError err = {};

        if (!def)
                return;
        CHECK(domain_def_validate(def, &err) >= 0);
        out = format_ok(def, DOMAIN_FORMAT_SECURE);
        CHECK_STREQ(out, xml);
}

static void test_fields(void) {
        _cleanup_free_ char *xml = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = fixture(&xml);

        if (!def)
                return;
        CHECK_INTEQ(def->n_disks, 3);
        if (def->n_disks != 3)
                return;
        CHECK(def->disks[0].type == DOMAIN_DISK_TYPE_VHOSTUSER && def->disks[0].vhostuser);
        CHECK_STREQ(def->disks[0].vhostuser->path, "/tmp/vhost1.sock");
        CHECK(def->disks[0].vhostuser->reconnect == TRISTATE_ABSENT);
        CHECK(!def->disks[0].src);      /* not a file: nothing opens or labels the socket as an image */
        CHECK(def->disks[1].vhostuser->reconnect == TRISTATE_ON && def->disks[1].vhostuser->reconnect_timeout == 10);
        CHECK(def->disks[2].vhostuser->reconnect == TRISTATE_OFF);
}

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

#define VU(driver, source, extra) \
        "<disk type='vhostuser' device='disk'>" driver source "<target dev='vda' bus='virtio'/>" extra "</disk>"
#define SOCK "<source type='unix' path='/run/vu.sock'/>"

static void test_parse_refused(void) {
        REFUSED(NULL, VU("", "<source path='/run/vu.sock'/>", ""), VB_ERROR_XML, "missing 'type' attribute");
        REFUSED(NULL, VU("", "<source type='tcp' path='/run/vu.sock'/>", ""), VB_ERROR_XML,
                "invalid 'type' attribute 'tcp'");
        REFUSED(NULL, VU("", "<source type='unix'/>", ""), VB_ERROR_XML, "missing 'path' attribute");
        REFUSED(NULL, VU("", "<source type='unix' path='vu.sock'/>", ""), VB_ERROR_INVALID_ARG, "vu.sock");
        REFUSED(NULL, VU("", "<source type='unix' path='/run/vu.sock' file='/a'/>", ""), VB_ERROR_NOT_SUPPORTED,
                "file");
        REFUSED(NULL, VU("", "<source type='unix' path='/run/vu.sock'><reconnect enabled='yes'/></source>", ""),
                VB_ERROR_XML, "missing timeout for chardev with reconnect enabled");
        REFUSED(NULL, VU("", "<source type='unix' path='/run/vu.sock'><reconnect enabled='no' timeout='3'/>"
                         "</source>", ""),
                VB_ERROR_XML, "not supported with reconnect disabled");
        REFUSED(NULL, VU("", "<source type='unix' path='/run/vu.sock'><slices/></source>", ""),
                VB_ERROR_NOT_SUPPORTED, "slices");
        REFUSED(NULL, "<disk type='vhostuser' device='disk'><target dev='vda' bus='virtio'/></disk>", VB_ERROR_XML,
                "missing element <devices/disk/source> for disk 'vda' of type 'vhostuser'");
}

/* Each of libvirt's refusals, by its word. */
static void test_validate_refused(void) {
        static const struct {
                const char *driver, *extra, *word;
        } cases[] = {
                { "<driver name='qemu' cache='none'/>", "", "cache" },
                { "<driver name='qemu' error_policy='stop'/>", "", "error_policy" },
                { "<driver name='qemu' rerror_policy='stop'/>", "", "error_policy" },
                { "<driver name='qemu' io='threads'/>", "", "io" },
                { "<driver name='qemu' ioeventfd='on'/>", "", "ioeventfd" },
                { "<driver name='qemu' copy_on_read='off'/>", "", "copy_on_read" },
                { "<driver name='qemu' discard='unmap'/>", "", "discard" },
                { "<driver name='qemu' detect_zeroes='on'/>", "", "detect_zeroes" },
                { "<driver name='qemu'><metadata_cache><max_size unit='KiB'>1</max_size></metadata_cache></driver>",
                  "", "metadata_cache" },
                { "", "<iotune><total_bytes_sec>1</total_bytes_sec></iotune>", "iotune" },
                { "", "<iotune><group_name>g</group_name></iotune>", "iotune" },
                { "", "<readonly/>", "readonly" },
                { "", "<shareable/>", "shareable" },
                { "", "<transient/>", "transient" },
                { "", "<serial>S1</serial>", "serial" },
                { "", "<wwn>0x5000c50015ea71ad</wwn>", "wwn" },
                { "", "<vendor>V</vendor>", "vendor" },
                { "", "<product>P</product>", "product" },
                { "", "<geometry cyls='1' heads='1' secs='1'/>", "geometry" },
                { "", "<blockio logical_block_size='4096'/>", "blockio" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *dev = NULL, *needle = NULL;

                CHECK(asprintf(&dev, VU("%s", SOCK, "%s"), cases[i].driver, cases[i].extra) > 0);
                CHECK(asprintf(&needle, "%s is not supported with vhostuser disk", cases[i].word) > 0);
                INVALID(NULL, dev, VB_ERROR_NOT_SUPPORTED, needle);
        }
        INVALID("<iothreads>1</iothreads>", VU("<driver name='qemu' iothread='1'/>", SOCK, ""), VB_ERROR_NOT_SUPPORTED,
                "iothread is not supported with vhostuser disk");
        INVALID(NULL, "<disk type='vhostuser' device='disk'>" SOCK "<target dev='sda' bus='scsi'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "vhostuser disk supports only virtio bus");
        INVALID(NULL, "<disk type='vhostuser' device='disk' snapshot='external'>" SOCK
                "<target dev='vda' bus='virtio'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "only snapshot=no is supported with vhostuser disk");
}

/* What libvirt takes: an empty <iotune/>, event_idx, queues. */
static void test_validate_taken(void) {
        _cleanup_free_ char *xml = domain_with(NULL, VU("<driver name='qemu' type='raw' event_idx='off' "
                                                        "queues='4' queue_size='256'/>", SOCK, "<iotune/>"));
        _cleanup_(domain_def_freep) DomainDef *def = xml ? parse_ok(xml, "taken") : NULL;
        ConfError err = {};

        CHECK(def && domain_def_validate(def, &err) >= 0);
}

UNIT_TESTS(test_canonical, test_fields, test_copy, test_parse_refused, test_validate_refused, test_validate_taken)
