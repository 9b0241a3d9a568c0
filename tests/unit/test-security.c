/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Security labels: the <seclabel> model (round trip, schema, refusals),
 * the DAC driver's owners remembered in xattrs and backing chains, the
 * settings, and SELinux MCS allocation. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "domain-test.h"
#include "conf-file.h"
#include "process.h"
#include "util.h"
#include "security-dac.h"
#include "security-manager.h"
#include "security-selinux.h"
#include "xml-util.h"

/* Our canonical form: what formatting gives, byte for byte. */
static const char seclabel_xml[] =
        "<domain type='qemu'>\n"
        "  <name>sec</name>\n"
        "  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n"
        "  <memory unit='KiB'>65536</memory>\n"
        "  <currentMemory unit='KiB'>65536</currentMemory>\n"
        "  <vcpu placement='static'>1</vcpu>\n"
        "  <os>\n"
        "    <type arch='x86_64' machine='pc'>hvm</type>\n"
        "  </os>\n"
        "  <clock offset='utc'/>\n"
        "  <devices>\n"
        "    <disk type='file' device='disk'>\n"
        "      <source file='/var/lib/a.img'>\n"
        "        <seclabel model='dac' relabel='no'/>\n"
        "        <seclabel model='selinux' relabel='yes'>\n"
        "          <label>system_u:object_r:svirt_image_t:s0:c1,c2</label>\n"
        "        </seclabel>\n"
        "      </source>\n"
        "      <target dev='vda' bus='virtio'/>\n"
        "    </disk>\n"
        "  </devices>\n"
        "  <seclabel type='dynamic' model='dac' relabel='yes'>\n"
        "    <label>+64055:+64055</label>\n"
        "    <imagelabel>+64055:+64055</imagelabel>\n"
        "  </seclabel>\n"
        "  <seclabel type='static' model='selinux' relabel='no'>\n"
        "    <label>system_u:system_r:svirt_t:s0:c3,c4</label>\n"
        "  </seclabel>\n"
        "  <seclabel type='none' model='apparmor'/>\n"
        "</domain>\n";

static void test_seclabel_round_trip(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(seclabel_xml, "seclabel");
        _cleanup_(domain_def_freep) DomainDef *again = NULL, *copy = NULL;
        _cleanup_free_ char *out = NULL, *out2 = NULL, *inactive = NULL, *copied = NULL;
        xmlRelaxNGPtr schema = load_schema();

        CHECK(def != NULL);
        if (!def)
                return;
        CHECK_INTEQ(def->n_seclabels, 3);
        CHECK_INTEQ(def->disks[0].n_seclabels, 2);
        out = format_ok(def, 0);
        CHECK_STREQ(out, seclabel_xml);
        again = out ? parse_ok(out, "again") : NULL;
        out2 = again ? format_ok(again, 0) : NULL;
        CHECK_STREQ(out2, seclabel_xml);
        CHECK_INTEQ(domain_def_copy(def, &copy), 0);
        copied = copy ? format_ok(copy, 0) : NULL;
        CHECK_STREQ(copied, seclabel_xml);
        /* a dynamic label is the driver's pick: not in the inactive XML */
        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK(inactive && strstr(inactive, "<seclabel type='dynamic' model='dac' relabel='yes'/>"));
        CHECK(inactive && !strstr(inactive, "+64055"));
        CHECK(inactive && strstr(inactive, "svirt_t:s0:c3,c4"));
        if (!schema)
                UNIT_SKIP(SCHEMA " is not installed (apt-get install libvirt0)");
        CHECK(schema_valid(schema, seclabel_xml));
        CHECK(inactive && schema_valid(schema, inactive));
}

/* The driver's own label: in the live XML as libvirt shows it, never in
 * the inactive one. */
static void test_seclabel_implicit(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(
                "<domain type='qemu'><name>i</name><memory>1024</memory><os><type>hvm</type></os></domain>", "i");
        _cleanup_free_ char *live = NULL, *inactive = NULL;

        if (!def)
                return;
        def->seclabels = calloc(1, sizeof(DomainSeclabelDef));
        def->n_seclabels = 1;
        def->seclabels[0] = (DomainSeclabelDef) { strdup("dac"), DOMAIN_SECLABEL_DYNAMIC, 1, strdup("+0:+0"),
                                                  strdup("+0:+0"), NULL, true };
        live = format_ok(def, 0);
        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK(live && strstr(live, "  <seclabel type='dynamic' model='dac' relabel='yes'>\n"
                                   "    <label>+0:+0</label>\n"
                                   "    <imagelabel>+0:+0</imagelabel>\n"
                                   "  </seclabel>\n"));
        CHECK(inactive && !strstr(inactive, "seclabel"));
}

static void test_seclabel_refused(void) {
        REFUSED("<seclabel type='static' model='dac'/>", NULL, VB_ERROR_XML, "security label is missing");
        REFUSED("<seclabel type='static' model='selinux' relabel='yes'/>", NULL, VB_ERROR_XML,
                "security label is missing");
        REFUSED("<seclabel type='dynamic' model='dac' relabel='no'/>", NULL, VB_ERROR_XML,
                "dynamic label type must use resource relabeling");
        REFUSED("<seclabel type='none' relabel='yes'/>", NULL, VB_ERROR_XML, "not compatible with 'none'");
        REFUSED("<seclabel type='none' model='dac'><label>+1:+1</label></seclabel>", NULL, VB_ERROR_XML,
                "takes no label");
        REFUSED("<seclabel type='bogus'/>", NULL, VB_ERROR_NOT_SUPPORTED, "'bogus'");
        REFUSED("<seclabel model='dac'/><seclabel model='dac'/>", NULL, VB_ERROR_XML,
                "seclabel for model dac is already defined");
        REFUSED("<seclabel type='dynamic'/><seclabel model='dac'/>", NULL, VB_ERROR_XML,
                "missing security model when using multiple labels");
        REFUSED("<seclabel model='dac'><bogus/></seclabel>", NULL, VB_ERROR_NOT_SUPPORTED, "bogus");
        REFUSED(NULL, "<disk type='file' device='disk'><source file='/x.img'><seclabel model='dac' relabel='no'>"
                      "<label>+1:+1</label></seclabel></source><target dev='vda'/></disk>",
                VB_ERROR_XML, "Cannot specify a label if relabelling is turned off");
        REFUSED(NULL, "<disk type='file' device='disk'><source file='/x.img'><seclabel model='dac'/></source>"
                      "<target dev='vda'/></disk>",
                VB_ERROR_XML, "needs relabel='no' or a <label>");
        REFUSED(NULL, "<disk type='file' device='disk'><source file='/x.img'><bogus/></source>"
                      "<target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "bogus");
}

/* ---- settings and DAC labels ---------------------------------------------- */

static void test_conf_and_labels(void) {
        SecurityConf c;
        uid_t u;
        gid_t g;

        security_conf_init(&c);
        CHECK(c.user == 0 && c.group == 0 && c.dynamic_ownership && c.remember_owner);
        CHECK(c.primary == SECURITY_MODEL_NONE);
        CHECK_INTEQ(conf_parse_text("user = \"+64055\"\ngroup = \"+64056\"\nremember_owner = 0\n",
                                    security_conf_apply, &c, NULL), 0);
        CHECK(c.user == 64055 && c.group == 64056 && !c.remember_owner);
        CHECK_INTEQ(conf_parse_text("user = \"root\"\ngroup = \"root\"\n", security_conf_apply, &c, NULL), 0);
        CHECK(c.user == 0 && c.group == 0);
        CHECK(conf_parse_text("user = \"no-such-user-here\"\n", security_conf_apply, &c, NULL) < 0);
        CHECK(strstr(c.bad, "no such user"));
        CHECK(conf_parse_text("dynamic_ownership = 2\n", security_conf_apply, &c, NULL) < 0);
        CHECK(conf_parse_text("security_driver = \"smack\"\n", security_conf_apply, &c, NULL) < 0);
        /* apparmor is a driver (qemud/qemu-apparmor.c); a host without it refuses it at the start */
        CHECK_INTEQ(conf_parse_text("security_driver = \"apparmor\"\n", security_conf_apply, &c, NULL), 0);
        CHECK(c.primary == SECURITY_MODEL_APPARMOR);
        CHECK_INTEQ(conf_parse_text("security_driver = \"none\"\n", security_conf_apply, &c, NULL), 0);
        /* other groups' keys are theirs */
        CHECK_INTEQ(conf_parse_text("save_image_format = \"raw\"\n", security_conf_apply, &c, NULL), 0);

        CHECK_INTEQ(security_dac_parse_label("+64055:+64055", &u, &g), 0);
        CHECK(u == 64055 && g == 64055);
        CHECK_INTEQ(security_dac_parse_label("root:+5", &u, &g), 0);
        CHECK(u == 0 && g == 5);
        CHECK(security_dac_parse_label("+1", &u, &g) < 0);
        CHECK(security_dac_parse_label("+x:+1", &u, &g) < 0);
        CHECK(security_dac_parse_label("no-such-user-here:+1", &u, &g) == -ESRCH);
        CHECK(!security_model_available(SECURITY_MODEL_APPARMOR));
        CHECK(security_model_available(SECURITY_MODEL_DAC));
}

static void test_secmodels(void) {
        XmlWriter w = {};
        SecurityConf c;
        _cleanup_free_ char *out = NULL;

        security_conf_init(&c);
        c.user = c.group = 64055;
        xw_start(&w, "host");
        security_format_secmodels(&w, &c);
        xw_end(&w);
        CHECK_INTEQ(xw_finish(&w, &out), 0);
        CHECK_STREQ(out, "<host>\n"
                         "  <secmodel>\n    <model>none</model>\n    <doi>0</doi>\n  </secmodel>\n"
                         "  <secmodel>\n    <model>dac</model>\n    <doi>0</doi>\n"
                         "    <baselabel type='kvm'>+64055:+64055</baselabel>\n"
                         "    <baselabel type='qemu'>+64055:+64055</baselabel>\n"
                         "  </secmodel>\n"
                         "</host>\n");
}

/* ---- the DAC driver on real files ----------------------------------------- */

static char tmpdir[] = "/tmp/vb-sec-XXXXXX";

static char *tmp_file(const char *name, uid_t uid, gid_t gid) {
        char *p = path_join(tmpdir, name);
        int fd = p ? open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;

        if (fd >= 0) {
                (void) !fchown(fd, uid, gid);
                close(fd);
        }
        return p;
}

static bool owned(const char *p, uid_t u, gid_t g) {
        struct stat st;
        return stat(p, &st) == 0 && st.st_uid == u && st.st_gid == g;
}

static bool has_xattr(const char *p, const char *name) {
        char buf[64];
        return getxattr(p, name, buf, sizeof(buf)) >= 0;
}

static int xattr_text(const char *p, const char *name, char *buf, size_t size) {
        ssize_t n = getxattr(p, name, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return 0;
}

static void test_dac_remember(void) {
        _cleanup_free_ char *img = NULL, *mine = NULL, *link = NULL;
        char buf[64];

        if (geteuid() != 0)
                UNIT_SKIP("chown needs root");
        if (!mkdtemp(tmpdir))
                UNIT_SKIP("no temporary folder");
        img = tmp_file("img", 0, 0);
        if (setxattr(img, "trusted.vb-probe", "1", 1, 0) < 0) {
                (void) unlink(img);
                (void) rmdir(tmpdir);
                UNIT_SKIP("this filesystem has no trusted xattrs");
        }
        (void) removexattr(img, "trusted.vb-probe");

        /* first guest: given, owner remembered */
        CHECK_INTEQ(security_dac_set_owner(img, 64055, 64055, true), 0);
        CHECK(owned(img, 64055, 64055));
        CHECK(xattr_text(img, SECURITY_XATTR_DAC, buf, sizeof(buf)) == 0 && streq(buf, "+0:+0"));
        CHECK(xattr_text(img, SECURITY_XATTR_REF_DAC, buf, sizeof(buf)) == 0 && streq(buf, "1"));
        CHECK(has_xattr(img, SECURITY_XATTR_TIMESTAMP_DAC));
        /* second guest (through a symlink): counted in, owner untouched */
        link = path_join(tmpdir, "link");
        CHECK(symlink(img, link) == 0);
        CHECK_INTEQ(security_dac_set_owner(link, 64055, 64055, true), 0);
        CHECK(xattr_text(img, SECURITY_XATTR_REF_DAC, buf, sizeof(buf)) == 0 && streq(buf, "2"));
        /* first out: the second still has it */
        CHECK_INTEQ(security_dac_restore_owner(img, true), 0);
        CHECK(owned(img, 64055, 64055));
        CHECK(xattr_text(img, SECURITY_XATTR_REF_DAC, buf, sizeof(buf)) == 0 && streq(buf, "1"));
        /* last out: owner back, attributes gone */
        CHECK_INTEQ(security_dac_restore_owner(link, true), 0);
        CHECK(owned(img, 0, 0));
        CHECK(!has_xattr(img, SECURITY_XATTR_DAC) && !has_xattr(img, SECURITY_XATTR_REF_DAC) &&
              !has_xattr(img, SECURITY_XATTR_TIMESTAMP_DAC));
        /* nobody's: a restore leaves it */
        CHECK(chown(img, 1234, 1234) == 0);
        CHECK_INTEQ(security_dac_restore_owner(img, true), 0);
        CHECK(owned(img, 1234, 1234));

        /* a file that already has the owner wanted is left alone */
        mine = tmp_file("mine", 64055, 64055);
        CHECK_INTEQ(security_dac_set_owner(mine, 64055, 64055, true), 0);
        CHECK(!has_xattr(mine, SECURITY_XATTR_DAC));
        CHECK_INTEQ(security_dac_restore_owner(mine, true), 0);
        CHECK(owned(mine, 64055, 64055));

        /* attributes of an earlier boot are stale: dropped, never restored */
        CHECK(chown(img, 0, 0) == 0);
        CHECK_INTEQ(security_dac_set_owner(img, 64055, 64055, true), 0);
        CHECK(setxattr(img, SECURITY_XATTR_TIMESTAMP_DAC, "1", 1, 0) == 0);
        CHECK_INTEQ(security_dac_restore_owner(img, true), 0);
        CHECK(owned(img, 64055, 64055));
        CHECK(!has_xattr(img, SECURITY_XATTR_DAC));

        /* remember_owner = 0: back to root:root, no attributes */
        CHECK(chown(img, 77, 77) == 0);
        CHECK_INTEQ(security_dac_set_owner(img, 64055, 64055, false), 0);
        CHECK(!has_xattr(img, SECURITY_XATTR_DAC));
        CHECK_INTEQ(security_dac_restore_owner(img, false), 0);
        CHECK(owned(img, 0, 0));

        /* a file gone is no error */
        CHECK_INTEQ(security_dac_restore_owner("/nonexistent/vb-sec", true), 0);
        CHECK(security_dac_set_owner("/nonexistent/vb-sec", 1, 1, true) == -ENOENT);
        (void) unlink(link);
        (void) unlink(img);
        (void) unlink(mine);
}

static void test_backing_chain(void) {
        _cleanup_free_ char *base = NULL, *mid = NULL, *top = NULL, *raw = NULL, *out = NULL;
        _cleanup_strv_free_ char **chain = NULL;
        char cmd[1024];
        int status = -1;

        if (access("/usr/bin/qemu-img", X_OK) < 0)
                UNIT_SKIP("no /usr/bin/qemu-img");
        if (access(tmpdir, F_OK) < 0 && !mkdtemp(tmpdir))
                UNIT_SKIP("no temporary folder");
        base = path_join(tmpdir, "base.raw");
        mid = path_join(tmpdir, "mid.qcow2");
        top = path_join(tmpdir, "top.qcow2");
        raw = path_join(tmpdir, "plain.raw");
        snprintf(cmd, sizeof(cmd),
                 "cd %s && qemu-img create -q -f raw base.raw 1M && "
                 "qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 && "
                 "qemu-img create -q -f qcow2 -b %s -F qcow2 top.qcow2 && qemu-img create -q -f raw plain.raw 1M",
                 tmpdir, mid);
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", cmd, NULL };
        CHECK_INTEQ(process_run(argv, &out, &status), 0);
        CHECK_INTEQ(status, 0);
        CHECK_INTEQ(security_image_backing_chain(top, &chain), 0);
        CHECK(chain && chain[0] && streq(chain[0], mid)); /* absolute, as given */
        CHECK(chain && chain[0] && chain[1] && streq(chain[1], base) && !chain[2]); /* relative to mid */
        strv_free(chain);
        chain = NULL;
        /* raw: no header read */
        CHECK_INTEQ(security_image_backing_chain(raw, &chain), 0);
        CHECK(!chain || !chain[0]);
        (void) unlink(base), (void) unlink(mid), (void) unlink(top), (void) unlink(raw);
        (void) rmdir(tmpdir);
}

/* ---- SELinux labels ------------------------------------------------------- */

static void test_selinux_allocation(void) {
        SelinuxMcsSet s = {};
        unsigned c1, c2, first1 = 0, first2 = 0;

        /* 1,000 guests: each pair unique */
        for (int i = 0; i < 1000; i++) {
                CHECK_INTEQ(selinux_mcs_allocate(&s, &c1, &c2), 0);
                CHECK(c1 < c2 && c2 < SELINUX_MCS_MAX);
                if (i == 0)
                        first1 = c1, first2 = c2;
        }
        CHECK_INTEQ(s.n, 1000);
        for (size_t i = 0; i < s.n; i++)
                for (size_t j = 0; j < i; j++)
                        if (s.pairs[i] == s.pairs[j]) {
                                CHECK(!"a pair was given twice");
                                i = s.n;
                                break;
                        }
        /* a pair in use is refused; once released it may be taken again */
        CHECK_INTEQ(selinux_mcs_reserve(&s, first1, first2), -EEXIST);
        selinux_mcs_release(&s, first1, first2);
        CHECK(!selinux_mcs_used(&s, first1, first2));
        CHECK_INTEQ(selinux_mcs_reserve(&s, first1, first2), 0);
        CHECK_INTEQ(s.n, 1000);
        CHECK_INTEQ(selinux_mcs_reserve(&s, 5, 5), -EINVAL);
        CHECK_INTEQ(selinux_mcs_reserve(&s, 7, 3), -EINVAL);
        CHECK_INTEQ(selinux_mcs_reserve(&s, 1, SELINUX_MCS_MAX), -EINVAL);
        selinux_mcs_set_done(&s);

        /* a crowded set still finds the last free pair */
        for (unsigned a = 0; a < SELINUX_MCS_MAX; a++)
                for (unsigned b = a + 1; b < SELINUX_MCS_MAX; b++)
                        if (!(a == 500 && b == 501))
                                (void) selinux_mcs_reserve(&s, a, b);
        CHECK_INTEQ(selinux_mcs_allocate(&s, &c1, &c2), 0);
        CHECK(c1 == 500 && c2 == 501);
        CHECK_INTEQ(selinux_mcs_allocate(&s, &c1, &c2), -ENOSPC);
        selinux_mcs_set_done(&s);
}

static void test_selinux_labels(void) {
        _cleanup_free_ char *label = NULL, *image = NULL, *l2 = NULL, *i2 = NULL;
        unsigned c1, c2;

        CHECK_INTEQ(selinux_dynamic_labels(NULL, 12, 345, &label, &image), 0);
        CHECK_STREQ(label, "system_u:system_r:svirt_t:s0:c12,c345");
        CHECK_STREQ(image, "system_u:object_r:svirt_image_t:s0:c12,c345");
        CHECK_INTEQ(selinux_context_mcs(label, &c1, &c2), 0);
        CHECK(c1 == 12 && c2 == 345);
        CHECK_INTEQ(selinux_dynamic_labels("system_u:system_r:svirt_tcg_t:s0", 1, 2, &l2, &i2), 0);
        CHECK_STREQ(l2, "system_u:system_r:svirt_tcg_t:s0:c1,c2");
        CHECK(selinux_dynamic_labels("bogus", 1, 2, &l2, &i2) == -EINVAL);
        CHECK(selinux_dynamic_labels(NULL, 2, 2, &l2, &i2) == -EINVAL);
        /* static labels */
        CHECK_INTEQ(selinux_context_check("system_u:system_r:svirt_t:s0:c3,c4"), 0);
        CHECK_INTEQ(selinux_context_check("system_u:system_r:svirt_t:s0-s0:c0.c1023"), 0);
        CHECK_INTEQ(selinux_context_check("unconfined_u:unconfined_r:unconfined_t:s0"), 0);
        CHECK(selinux_context_check("system_u:system_r:svirt_t") < 0);
        CHECK(selinux_context_check("system_u:system_r::s0") < 0);
        CHECK(selinux_context_check("a b:c:d:s0") < 0);
        CHECK(selinux_context_check("u:r:t:s0;rm") < 0);
        CHECK(selinux_context_mcs("system_u:system_r:svirt_t:s0", &c1, &c2) == -ENOENT);
        CHECK(selinux_context_mcs("system_u:system_r:svirt_t:s0:c9,c3", &c1, &c2) == -ENOENT);
}

UNIT_TESTS(test_seclabel_round_trip, test_seclabel_implicit, test_seclabel_refused, test_conf_and_labels,
           test_secmodels, test_dac_remember, test_backing_chain, test_selinux_allocation, test_selinux_labels)
