/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemud's confinement decisions, pure: the nodes of QEMU's own /dev
 * (qemu-confine.c), the spawn's flags with each primary security driver,
 * and the AppArmor plan (qemu-apparmor.c; AppArmor itself never runs on
 * these hosts: "enabled" is the argument here). */
#include "confine.h"
#include "domain-conf.h"
#include "qemu-apparmor.h"
#include "qemu-confine.h"
#include "unit.h"
#include "util.h"

static DomainDef *parse(const char *devices, const char *seclabel) {
        char xml[4096];
        DomainDef *def = NULL;
        ConfError err = {};

        snprintf(xml, sizeof(xml),
                 "<domain type='qemu'><name>c1</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"
                 "<memory>65536</memory><os><type>hvm</type></os><devices>%s</devices>%s</domain>",
                 devices, seclabel);
        if (domain_def_parse(xml, strlen(xml), &def, &err) < 0)
                fprintf(stderr, "parse: %s\n", err.message);
        return def;
}

static bool has(char **l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

static void test_ns_nodes(void) {
        _cleanup_strv_free_ char **l = NULL;
        DomainDef *def = parse("<disk type='block' device='disk'><source dev='/dev/loop3'/><target dev='vda' bus='virtio'/></disk>"
                               "<disk type='file' device='disk'><source file='/var/lib/x.img'/><target dev='vdb' bus='virtio'/></disk>"
                               "<disk type='block' device='disk'><source dev='/dev/loop3'/><target dev='vdc' bus='virtio'/><readonly/></disk>"
                               "<rng model='virtio'><backend model='random'>/dev/hwrng</backend></rng>",
                               "");

        CHECK(def != NULL);
        if (!def)
                return;
        CHECK_INTEQ(qemu_confine_ns_nodes(def, false, "/nonexistent-sys", &l), 0);
        static const char *const want[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                                            "/dev/ptmx", "/dev/loop3", "/dev/hwrng" };
        CHECK_INTEQ((int) strv_length(l), (int) ELEMENTSOF(want));   /* /dev/loop3 once */
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                CHECK(has(l, want[i]));
        CHECK(!has(l, "/var/lib/x.img") && !has(l, "/dev/kvm") && !has(l, "/dev/net/tun"));
        l = strv_free_null(l);
        CHECK_INTEQ(qemu_confine_ns_nodes(def, true, "/nonexistent-sys", &l), 0);
        CHECK(has(l, "/dev/kvm"));
        domain_def_free(def);
}

/* The host devices' nodes join the list (qemu-hostdev-nodes.c, tested on a
 * made-up sysfs in test-qemu-hostdev): those needing no sysfs here. */
static void test_ns_nodes_hostdev(void) {
        _cleanup_strv_free_ char **l = NULL;
        DomainDef *def = parse("<hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' "
                               "wwpn='naa.5123456789abcde0'/></hostdev>"
                               "<hostdev mode='subsystem' type='usb'><source><address bus='3' device='17'/></source>"
                               "</hostdev>"
                               "<tpm model='tpm-crb'><backend type='passthrough'><device path='/dev/tpm1'/></backend>"
                               "</tpm>", "");

        CHECK(def != NULL);
        if (!def)
                return;
        CHECK_INTEQ(qemu_confine_ns_nodes(def, false, "/nonexistent-sys", &l), 0);
        CHECK(has(l, "/dev/null") && has(l, "/dev/vhost-scsi") && has(l, "/dev/bus/usb/003/017") &&
              has(l, "/dev/tpm1"));
        domain_def_free(def);
}

static void test_flags(void) {
        ConfineConf c;
        unsigned all = CONFINE_NO_NEW_PRIVS | CONFINE_DROP_CAPS | CONFINE_MOUNT_NS;

        confine_conf_init(&c);
        CHECK(qemu_confine_flags(&c, SECURITY_MODEL_NONE) == all);
        CHECK(qemu_confine_flags(&c, SECURITY_MODEL_DAC) == all);
        /* a label that changes at exec: no new privileges would refuse it */
        CHECK(qemu_confine_flags(&c, SECURITY_MODEL_SELINUX) == (all & ~(unsigned) CONFINE_NO_NEW_PRIVS));
        CHECK(qemu_confine_flags(&c, SECURITY_MODEL_APPARMOR) == (all & ~(unsigned) CONFINE_NO_NEW_PRIVS));
        c.mount_ns = false;
        CHECK(!(qemu_confine_flags(&c, SECURITY_MODEL_NONE) & CONFINE_MOUNT_NS));
}

static void test_apparmor_plan(void) {
        QemuAppArmorPlan p;
        DomainDef *plain = parse("", "");
        DomainDef *none = parse("", "<seclabel type='none' model='apparmor'/>");
        DomainDef *stat = parse("", "<seclabel type='static' model='apparmor' relabel='no'><label>my-qemu</label></seclabel>");
        DomainDef *dyn = parse("", "<seclabel type='dynamic' model='apparmor'/>");

        CHECK(plain && none && stat && dyn);
        if (!plain || !none || !stat || !dyn)
                return;
        /* another primary and no apparmor label: nothing, enabled or not */
        CHECK_INTEQ(qemu_apparmor_plan(SECURITY_MODEL_NONE, false, plain, &p), 0);
        CHECK(!p.confine && !p.generate);
        CHECK_INTEQ(qemu_apparmor_plan(SECURITY_MODEL_DAC, true, plain, &p), 0);
        CHECK(!p.confine);
        /* the primary: every guest gets its own generated profile */
        CHECK_INTEQ(qemu_apparmor_plan(SECURITY_MODEL_APPARMOR, true, plain, &p), 0);
        CHECK(p.confine && p.generate);
        CHECK_STREQ(p.name, "libvirt-c7a5fdbd-edaf-9455-926a-d65c16db1809");
        /* asked for on a host without AppArmor (these hosts): refused */
        CHECK_INTEQ(qemu_apparmor_plan(SECURITY_MODEL_APPARMOR, false, plain, &p), -EOPNOTSUPP);
        CHECK_INTEQ(qemu_apparmor_plan(SECURITY_MODEL_NONE, false, dyn, &p), -EOPNOTSUPP);
        /* a label of its own: none, static (the profile is someone else's), dynamic */
        CHECK_INTEQ(qemu_apparmor_plan(SECURITY_MODEL_APPARMOR, true, none, &p), 0);
        CHECK(!p.confine);
        CHECK_INTEQ(qemu_apparmor_plan(SECURITY_MODEL_APPARMOR, true, stat, &p), 0);
        CHECK(p.confine && !p.generate);
        CHECK_STREQ(p.name, "my-qemu");
        CHECK_INTEQ(qemu_apparmor_plan(SECURITY_MODEL_NONE, true, dyn, &p), 0);
        CHECK(p.confine && p.generate);
        domain_def_free(plain);
        domain_def_free(none);
        domain_def_free(stat);
        domain_def_free(dyn);
}

UNIT_TESTS(test_ns_nodes, test_ns_nodes_hostdev, test_flags, test_apparmor_plan)
