/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A virtio channel whose unix socket path lies in the driver's channel
 * directory is one the driver makes (libvirt's
 * qemuDomainChrDefDropDefaultPath): the path is dropped at define, the
 * channel listens, and a <reconnect> on it is refused. */

#include "domain-conf.h"
#include "qemu-chr-generated.h"
#include "unit.h"

#define DOM(devices)                                                                                            \
        "<domain type='qemu'><name>c</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"                   \
        "<memory unit='MiB'>256</memory><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>" devices \
        "</devices></domain>"

#define CHANNEL(path, extra)                                                     \
        DOM("<channel type='unix'><source mode='connect' path='" path "'>" extra \
            "</source><target type='virtio' name='asdf'/></channel>")

static void test_paths(void) {
        const char *dir = "/run/virtbus/qemu";

        CHECK(qemu_chr_path_is_generated("/run/virtbus/qemu/domain-3-c/c.channel0.sock", dir, "asdf"));
        CHECK(qemu_chr_path_is_generated("/run/virtbus/qemu/domain-old/asdf", "/run/virtbus/qemu/", "asdf"));
        CHECK(qemu_chr_path_is_generated("/run/virtbus/qemu/c.asdf", dir, "asdf"));
        CHECK(!qemu_chr_path_is_generated("/run/virtbus/qemu/c.other", dir, "asdf"));
        CHECK(!qemu_chr_path_is_generated("/run/virtbus/qemu/domain-3-c/sub/x", dir, "asdf"));
        CHECK(!qemu_chr_path_is_generated("/run/virtbus/qemu/domain-/x", dir, "asdf"));
        CHECK(!qemu_chr_path_is_generated("/run/virtbus/qemu/other/asdf", dir, "asdf"));
        CHECK(!qemu_chr_path_is_generated("/run/virtbus/qemuX/domain-3-c/asdf", dir, "asdf"));
        CHECK(!qemu_chr_path_is_generated("/tmp/asdf", dir, "asdf"));
        CHECK(!qemu_chr_path_is_generated("/tmp/asdf", NULL, "asdf"));
}

static int define(const char *xml, DomainDef **ret, ConfError *err) {
        int r = domain_def_parse(xml, strlen(xml), ret, err);

        return r < 0 ? r : qemu_chr_drop_generated_paths(*ret, "/tmp/channel", err);
}

static void test_dropped(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *xml = NULL;
        ConfError err = {};

        CHECK(define(CHANNEL("/tmp/channel/domain-oldname/asdf", ""), &def, &err) == 0);
        if (!def)
                return;
        CHECK(!def->chrs[0].path && def->chrs[0].listen);
        CHECK(domain_def_format(def, DOMAIN_FORMAT_INACTIVE, &xml) == 0);
        CHECK(xml && !strstr(xml, "/tmp/channel"));
}

static void test_kept(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};

        CHECK(define(CHANNEL("/tmp/elsewhere/asdf", "<reconnect enabled='yes' timeout='10'/>"), &def, &err) == 0);
        if (def)
                CHECK(def->chrs[0].path && !def->chrs[0].listen);
}

static void test_reconnect_refused(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};

        CHECK(define(CHANNEL("/tmp/channel/domain-oldname/asdf", "<reconnect enabled='yes' timeout='10'/>"), &def,
                     &err) < 0);
        CHECK(strstr(err.message, "chardev reconnect is possible only for connect mode") != NULL);
        CHECK(strstr(err.message, "/tmp/channel/domain-oldname/asdf") != NULL);
}

UNIT_TESTS(test_paths, test_dropped, test_kept, test_reconnect_refused)
