/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A <hostdev> hot-plugged and unplugged (qemu-hotplug-hostdev.c):
 *  - the QMP commands of each kind, golden files in
 *    tests/data/qemu-hotplug-hostdev: NAME.xml is the running guest with the
 *    device just added (the last hostdev), NAME.json the plug (blockdev-add,
 *    device_add) and the unplug (device_del, then blockdev-del) that
 *    qemu_hostdev_props() and the command lists give; REGENERATE=1 rewrites
 *    them, a golden file without its XML fails;
 *  - which nodes each kind gives QEMU and takes back
 *    (qemu_hostdev_nodes_own()), on a made-up sysfs: none that another
 *    device of the guest still holds;
 *  - a SCSI LUN's /dev/sgN found below the roots for a plug, the plug of a
 *    LUN the host lacks refused naming it, and its unplug still built;
 *  - an <interface type='hostdev'>'s VF: its PF's netdev and its index
 *    found in sysfs, the VLANs a VF takes, the RTM_SETLINK request that
 *    sets its MAC and VLAN, the reading of the kernel's answer, and the
 *    file that keeps what it had (another guest's not taken). */

#include "fake-tree-test.h"
#include "qemu-command-test.h"
#include "qemu-address.h"
#include "qemu-device.h"
#include "qemu-hostdev.h"
#include "qemu-hostdev-nodes.h"
#include "qemu-hostdev-vf.h"
#include "qemu-hotplug.h"

static char root[] = "/tmp/vbtest-hotplug-hostdev-XXXXXX";
static char sys[sizeof(root) + 8], dev[sizeof(root) + 8];

static int put(const char *rel, const char *text) {
        return fake_tree_put(root, rel, text);
}

static bool exists(const char *rel) {
        _cleanup_free_ char *path = NULL;

        return asprintf(&path, "%s/%s", root, rel) > 0 && access(path, F_OK) == 0;
}

static void link_to(const char *from, const char *to) {
        fake_tree_link(root, from, to);
}

/* Two functions of one PCI card in IOMMU group 12, an mdev in group 40, a
 * USB device 1d6b:0002 at 001/007, a LUN 2:0:0:1 on /dev/sg3. */
static void make_host(void) {
        if (sys[0])
                return;
        CHECK(mkdtemp(root) != NULL);
        snprintf(sys, sizeof(sys), "%s/sys", root);
        snprintf(dev, sizeof(dev), "%s/dev", root);
        CHECK(put("sys/bus/pci/devices/0000:06:12.5", NULL) == 0);
        CHECK(put("sys/bus/pci/devices/0000:06:12.6", NULL) == 0);
        link_to("sys/bus/pci/devices/0000:06:12.5/iommu_group", "../../../../kernel/iommu_groups/12");
        link_to("sys/bus/pci/devices/0000:06:12.6/iommu_group", "../../../../kernel/iommu_groups/12");
        CHECK(put("sys/bus/mdev/devices/53764d0e-85a0-42b4-af5c-2046b460b1dc", NULL) == 0);
        link_to("sys/bus/mdev/devices/53764d0e-85a0-42b4-af5c-2046b460b1dc/iommu_group",
                "../../../../kernel/iommu_groups/40");
        CHECK(put("sys/bus/usb/devices/1-1/idVendor", "1d6b\n") == 0);
        CHECK(put("sys/bus/usb/devices/1-1/idProduct", "0002\n") == 0);
        CHECK(put("sys/bus/usb/devices/1-1/busnum", "1\n") == 0);
        CHECK(put("sys/bus/usb/devices/1-1/devnum", "7\n") == 0);
        CHECK(put("sys/bus/scsi/devices/2:0:0:1/scsi_generic/sg3", NULL) == 0);
        CHECK(put("dev/sg3", "") == 0);
        /* PF 0000:03:00.0 (netdev eth7) with VFs 03:07.0 and 03:07.1 */
        CHECK(put("sys/bus/pci/devices/0000:03:00.0/net/eth7", NULL) == 0);
        CHECK(put("sys/bus/pci/devices/0000:03:07.0", NULL) == 0);
        CHECK(put("sys/bus/pci/devices/0000:03:07.1", NULL) == 0);
        link_to("sys/bus/pci/devices/0000:03:00.0/virtfn0", "../0000:03:07.0");
        link_to("sys/bus/pci/devices/0000:03:00.0/virtfn1", "../0000:03:07.1");
        link_to("sys/bus/pci/devices/0000:03:07.0/physfn", "../0000:03:00.0");
        link_to("sys/bus/pci/devices/0000:03:07.1/physfn", "../0000:03:00.0");
}

static const char *hotplug_data_dir(void) {
        static char buf[4096 + 64];
        const char *d = data_dir();     /* .../tests/data/qemu-command */

        snprintf(buf, sizeof(buf), "%.*s/qemu-hotplug-hostdev", (int) (strrchr(d, '/') - d), d);
        return buf;
}

static bool regenerate(void) {
        return getenv("REGENERATE") && streq(getenv("REGENERATE"), "1");
}

/* The running guest of path, placed and named as qemud places and names
 * it before the plug. */
static DomainDef *running(const char *path) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};

        CHECK(parse_xml_file(path, &def) == 0);
        if (!def)
                return NULL;
        if (qemu_domain_assign_addresses(def, &err) < 0 || qemu_command_assign_aliases(def) < 0) {
                fprintf(stderr, "  %s: %s\n", path, err.message);
                unit_failed_checks++;
                return NULL;
        }
        return TAKE_PTR(def);
}

/* {"plug": [...], "unplug": [...]} for the last hostdev of def. */
static char *commands_of(const DomainDef *def, const char *name) {
        json_object *plug = NULL, *backends = NULL, *all, *unplug;
        char *text;
        size_t last = def->n_hostdevs - 1;
        QemuDeviceProps p = {};
        ConfError err = {};
        json_object *args;
        int r;

        /* the node's path as the host's /dev names it, the same on every run */
        r = qemu_hostdev_props(def, &fake_caps, last, sys, "/dev", true, &p, &err);
        if (r < 0)
                fprintf(stderr, "  %s: %s\n", name, err.message);
        CHECK(r == 0);
        if (r < 0)
                return NULL;
        CHECK(qemu_hotplug_plug_commands(p.objects, p.blockdevs, p.devices, &plug) == 0);
        CHECK(qemu_hotplug_unplug_backends(p.objects, p.blockdevs, &backends) == 0);
        qemu_device_props_done(&p);
        unplug = json_object_new_array();
        args = json_object_new_object();
        json_object_object_add(args, "id", json_object_new_string(def->hostdevs[last].alias));
        json_object_array_add(unplug, json_object_new_object());
        json_object_object_add(json_object_array_get_idx(unplug, 0), "execute", json_object_new_string("device_del"));
        json_object_object_add(json_object_array_get_idx(unplug, 0), "arguments", args);
        for (size_t i = 0; backends && i < json_object_array_length(backends); i++)
                json_object_array_add(unplug, json_object_get(json_object_array_get_idx(backends, i)));
        json_object_put(backends);
        all = json_object_new_object();
        json_object_object_add(all, "plug", plug);
        json_object_object_add(all, "unplug", unplug);
        if (asprintf(&text, "%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY |
                                                                       JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
                text = NULL;
        json_object_put(all);
        return text;
}

static void check_golden(const char *dir, const char *xml_name) {
        _cleanup_free_ char *path = NULL, *json_path = NULL, *got = NULL, *want = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        int r;

        CHECK(asprintf(&path, "%s/%s", dir, xml_name) > 0);
        CHECK(asprintf(&json_path, "%s/%.*s.json", dir, (int) (strlen(xml_name) - 4), xml_name) > 0);
        def = path ? running(path) : NULL;
        if (!def || !json_path)
                return;
        CHECK(def->n_hostdevs > 0);
        if (def->n_hostdevs == 0)
                return;
        got = commands_of(def, xml_name);
        if (!got)
                return;
        if (regenerate()) {
                CHECK(write_file_atomic(json_path, got, strlen(got), 0644) == 0);
                return;
        }
        r = read_full_file(json_path, 0, &want, NULL);
        if (r < 0)
                fprintf(stderr, "  %s: missing golden file (run with REGENERATE=1)\n", json_path);
        CHECK(r == 0);
        if (r >= 0 && !streq(got, want)) {
                fprintf(stderr, "  %s: got\n%s", xml_name, got);
                unit_failed_checks++;
        }
}

static void test_golden_commands(void) {
        _cleanup_strv_free_ char **xmls = NULL, **jsons = NULL;
        const char *dir = hotplug_data_dir();

        make_host();
        CHECK(list_files(dir, ".xml", &xmls) == 0);
        CHECK(strv_length(xmls) >= 8);
        for (char **x = xmls; x && *x; x++)
                check_golden(dir, *x);
        /* no golden file without its definition */
        CHECK(list_files(dir, ".json", &jsons) == 0);
        for (char **j = jsons; j && *j; j++) {
                _cleanup_free_ char *x = NULL;

                CHECK(asprintf(&x, "%.*s.xml", (int) (strlen(*j) - 5), *j) > 0);
                if (x && !strv_contains(xmls, x)) {
                        fprintf(stderr, "  %s has no %s\n", *j, x);
                        unit_failed_checks++;
                }
        }
}

#define PCI(fn) "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='6' slot='0x12' " \
                "function='" fn "'/></source></hostdev>"
#define MDEV "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address " \
             "uuid='53764d0e-85a0-42b4-af5c-2046b460b1dc'/></source></hostdev>"
#define USB_ADDR "<hostdev mode='subsystem' type='usb'><source><address bus='14' device='6'/></source></hostdev>"
#define USB_ID "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/><product id='0x0002'/>" \
               "</source></hostdev>"
#define SCSI(unit) "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host2'/><address bus='0' " \
                   "target='0' unit='" unit "'/></source></hostdev>"
#define VHOST "<hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' " \
              "wwpn='naa.5123456789abcde0'/></hostdev>"
#define TPM "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>"

static DomainDef *guest_with(const char *devices) {
        _cleanup_free_ char *xml = NULL;
        DomainDef *def = NULL;

        CHECK(asprintf(&xml, "<domain type='qemu'><name>n</name><memory unit='MiB'>64</memory><os><type "
                       "arch='x86_64' machine='pc'>hvm</type></os><devices>%s</devices></domain>", devices) > 0);
        CHECK(xml && parse_xml_string(xml, &def) == 0);
        return def;
}

/* own(def, index) is exactly the nodes want (NULL-ended). */
static void expect_own(const DomainDef *def, size_t index, const char *const *want, const char *what) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;

        CHECK_INTEQ(qemu_hostdev_nodes_own(def, index, sys, &l), 0);
        for (; want[n]; n++)
                if (!strv_contains(l, want[n])) {
                        fprintf(stderr, "  %s: %s missing\n", what, want[n]);
                        unit_failed_checks++;
                }
        if (strv_length(l) != n) {
                _cleanup_free_ char *got = strv_join(l, " ");
                fprintf(stderr, "  %s: got %s\n", what, got ?: "nothing");
                unit_failed_checks++;
        }
}

static void test_nodes_of_each_kind(void) {
        _cleanup_(domain_def_freep) DomainDef *one = NULL, *all = NULL;

        make_host();
        /* alone in the guest: VFIO's container and the group */
        one = guest_with(PCI("5"));
        if (one)
                expect_own(one, 0, (const char *[]) { "/dev/vfio/vfio", "/dev/vfio/12", NULL }, "pci alone");
        /* beside the others: only what none of them holds */
        all = guest_with(PCI("5") PCI("6") MDEV USB_ADDR USB_ID SCSI("1") VHOST TPM);
        if (!all)
                return;
        expect_own(all, 0, (const char *[]) { NULL }, "pci with its group's other function");
        expect_own(all, 2, (const char *[]) { "/dev/vfio/40", NULL }, "mdev beside VFIO devices");
        expect_own(all, 3, (const char *[]) { "/dev/bus/usb/014/006", NULL }, "usb by bus and device");
        expect_own(all, 4, (const char *[]) { "/dev/bus/usb/001/007", NULL }, "usb by vendor and product");
        expect_own(all, 5, (const char *[]) { "/dev/sg3", NULL }, "scsi");
        expect_own(all, 6, (const char *[]) { "/dev/vhost-scsi", NULL }, "scsi_host");
        {
                _cleanup_strv_free_ char **l = NULL;
                CHECK_INTEQ(qemu_hostdev_nodes_own(all, 8, sys, &l), -ENOENT);
        }
}

static void test_scsi_node_for_plug_and_unplug(void) {
        _cleanup_(domain_def_freep) DomainDef *def = guest_with(
                "<controller type='scsi' index='0' model='virtio-scsi'/>" SCSI("1") SCSI("2"));
        QemuDeviceProps p = {};
        ConfError err = {};
        json_object *node, *v;
        ConfError placed = {};

        make_host();
        if (!def)
                return;
        CHECK(qemu_domain_assign_addresses(def, &placed) == 0 && qemu_command_assign_aliases(def) == 0);
        /* the LUN there: its /dev/sgN below the roots, the other's not needed */
        CHECK_INTEQ(qemu_hostdev_props(def, &fake_caps, 0, sys, dev, true, &p, &err), 0);
        node = p.blockdevs ? json_object_array_get_idx(p.blockdevs, 0) : NULL;
        CHECK(node && json_object_object_get_ex(node, "filename", &v) &&
              strstr(json_object_get_string(v), "/dev/sg3"));
        qemu_device_props_done(&p);
        /* the host lacks the LUN: the plug says which, the unplug still goes */
        CHECK_INTEQ(qemu_hostdev_props(def, &fake_caps, 1, sys, dev, true, &p, &err), -ENODEV);
        CHECK(strstr(err.message, "host device scsi scsi_host2:0:0:2") != NULL);
        CHECK_INTEQ(qemu_hostdev_props(def, &fake_caps, 1, sys, dev, false, &p, &err), 0);
        node = p.blockdevs ? json_object_array_get_idx(p.blockdevs, 0) : NULL;
        CHECK(node && json_object_object_get_ex(node, "node-name", &v) &&
              streq(json_object_get_string(v), "hostdev1-backend"));
        qemu_device_props_done(&p);
}

#define VF(fn, extra) "<interface type='hostdev'><mac address='00:11:22:33:44:55'/><source><address type='pci' " \
                       "domain='0' bus='3' slot='7' function='" fn "'/></source>" extra "</interface>"

static void test_vf(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        QemuVf v;

        make_host();
        def = guest_with(VF("1", "<vlan><tag id='42'/></vlan>") VF("0", "<vlan><tag id='42'/><tag id='47'/></vlan>")
                         VF("2", "<vlan trunk='yes'><tag id='42'/></vlan>"));
        if (!def)
                return;
        CHECK_INTEQ(qemu_hostdev_vf_find(&def->hostdevs[0], sys, &v, &err), 0);
        CHECK_STREQ(v.pf, "eth7");
        CHECK_INTEQ((int) v.vf, 1);
        CHECK_INTEQ(qemu_hostdev_vf_find(&def->hostdevs[1], sys, &v, &err), 0);
        CHECK_INTEQ((int) v.vf, 0);
        /* no such VF: named, with what is missing */
        CHECK_INTEQ(qemu_hostdev_vf_find(&def->hostdevs[2], sys, &v, &err), -ENODEV);
        CHECK(strstr(err.message, "0000:03:07.2") && strstr(err.message, "physfn"));
        CHECK_INTEQ(qemu_hostdev_vf_validate(&def->hostdevs[0], &err), 0);
        CHECK_INTEQ(qemu_hostdev_vf_validate(&def->hostdevs[1], &err), -EOPNOTSUPP);
        CHECK(strstr(err.message, "vlan trunking is not supported by SR-IOV network devices") != NULL);
        CHECK_INTEQ(qemu_hostdev_vf_validate(&def->hostdevs[2], &err), -EOPNOTSUPP);
}

/* The nested attribute type of a in the request, with its payload. */
static struct rtattr *find_attr(struct rtattr *a, unsigned len, unsigned short type) {
        for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
                if (a->rta_type == type)
                        return a;
        return NULL;
}

static void test_vf_netlink(void) {
        static const uint8_t mac[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
        struct rtattr *list, *info, *a;
        struct ifinfomsg *ifi;
        uint8_t got[6] = {};
        unsigned vlan = 7;
        RtnlReq q;

        qemu_hostdev_vf_request(&q, 12, 3, mac, 42);
        CHECK_INTEQ(q.h->nlmsg_type, RTM_SETLINK);
        ifi = NLMSG_DATA(q.h);
        CHECK_INTEQ(ifi->ifi_index, 12);
        list = find_attr(IFLA_RTA(ifi), q.h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)), IFLA_VFINFO_LIST);
        CHECK(list != NULL);
        info = list ? find_attr(RTA_DATA(list), RTA_PAYLOAD(list), IFLA_VF_INFO) : NULL;
        CHECK(info != NULL);
        if (!info)
                return;
        a = find_attr(RTA_DATA(info), RTA_PAYLOAD(info), IFLA_VF_MAC);
        CHECK(a && ((struct ifla_vf_mac *) RTA_DATA(a))->vf == 3 && !memcmp(((struct ifla_vf_mac *) RTA_DATA(a))->mac, mac, 6));
        a = find_attr(RTA_DATA(info), RTA_PAYLOAD(info), IFLA_VF_VLAN);
        CHECK(a && ((struct ifla_vf_vlan *) RTA_DATA(a))->vf == 3 && ((struct ifla_vf_vlan *) RTA_DATA(a))->vlan == 42);
        /* the kernel's answer has the same shape: VF 3 found in it, VF 4 not */
        q.h->nlmsg_type = RTM_NEWLINK;
        CHECK_INTEQ(qemu_hostdev_vf_parse(q.buf, q.h->nlmsg_len, 3, got, &vlan), 0);
        CHECK(!memcmp(got, mac, 6));
        CHECK_INTEQ((int) vlan, 42);
        CHECK_INTEQ(qemu_hostdev_vf_parse(q.buf, q.h->nlmsg_len, 4, got, &vlan), -ENOENT);
}

/* The file that keeps what a VF had: another guest's is not taken (a plug
 * is refused naming it, a restore leaves it), the owner's restore removes
 * it whatever the kernel says ("lo" has no VF). */
static void test_vf_state_file(void) {
        static const char owner[] = "5b0e3c1a-2d4f-4e6a-9b7c-1a2b3c4d5e90";
        static const char other[] = "5b0e3c1a-2d4f-4e6a-9b7c-1a2b3c4d5e91";
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *rundir = NULL, *file = NULL;
        QemuVf lo = { .pf = "lo", .vf = 1 };
        ConfError err = {};

        make_host();
        def = guest_with(VF("1", ""));
        CHECK(asprintf(&rundir, "%s/run", root) > 0 && asprintf(&file, "%s/run/hostdev-vf/lo_vf1", root) > 0);
        if (!def || !rundir || !file)
                return;
        CHECK(put("run/hostdev-vf/lo_vf1", "5b0e3c1a-2d4f-4e6a-9b7c-1a2b3c4d5e90 52:54:00:aa:bb:cc 0\n") == 0);
        CHECK_INTEQ(qemu_hostdev_vf_set(rundir, &lo, &def->hostdevs[0], other, &err), -EBUSY);
        CHECK(strstr(err.message, "VF 1 of PF lo is in use by the domain with UUID") && strstr(err.message, owner));
        CHECK_INTEQ(qemu_hostdev_vf_restore(rundir, &lo, other), 0);
        CHECK(access(file, F_OK) == 0);
        CHECK(qemu_hostdev_vf_restore(rundir, &lo, owner) < 0);
        CHECK(access(file, F_OK) < 0);
        /* nothing kept: nothing to give back */
        CHECK_INTEQ(qemu_hostdev_vf_restore(rundir, &lo, owner), 0);
}

static void test_vf_from_file(void) {
        QemuVf v;

        CHECK_INTEQ(qemu_hostdev_vf_from_file("enp3s0f0_vf7", &v), 0);
        CHECK(streq(v.pf, "enp3s0f0") && v.vf == 7);
        /* a PF's name may hold "_vf" itself: the last one counts */
        CHECK_INTEQ(qemu_hostdev_vf_from_file("my_vf_pf_vf12", &v), 0);
        CHECK(streq(v.pf, "my_vf_pf") && v.vf == 12);
        CHECK_INTEQ(qemu_hostdev_vf_from_file("enp3s0f0_vf7.tmp.4242", &v), -EINVAL);
        CHECK_INTEQ(qemu_hostdev_vf_from_file("_vf1", &v), -EINVAL);
        CHECK_INTEQ(qemu_hostdev_vf_from_file("eth0_vf", &v), -EINVAL);
        CHECK_INTEQ(qemu_hostdev_vf_from_file("eth0_vf-1", &v), -EINVAL);
        CHECK_INTEQ(qemu_hostdev_vf_from_file("a-name-far-too-long_vf1", &v), -EINVAL);
        CHECK_INTEQ(qemu_hostdev_vf_from_file(".", &v), -EINVAL);
}

/* The stop gives back what the saved files say the guest set: its own
 * files go (the kernel's refusal for "lo" told, the first error returned),
 * another guest's and any other file stay. */
static void test_vf_restore_all(void) {
        static const char owner[] = "5b0e3c1a-2d4f-4e6a-9b7c-1a2b3c4d5e90";
        static const char other[] = "5b0e3c1a-2d4f-4e6a-9b7c-1a2b3c4d5e91";
        _cleanup_free_ char *rundir = NULL;

        make_host();
        CHECK(asprintf(&rundir, "%s/run2", root) > 0);
        if (!rundir)
                return;
        /* nothing kept at all: nothing to do */
        CHECK_INTEQ(qemu_hostdev_vf_restore_all(rundir, owner, "t"), 0);
        CHECK(put("run2/hostdev-vf/lo_vf1", "5b0e3c1a-2d4f-4e6a-9b7c-1a2b3c4d5e90 52:54:00:aa:bb:cc 0\n") == 0);
        CHECK(put("run2/hostdev-vf/lo_vf2", "5b0e3c1a-2d4f-4e6a-9b7c-1a2b3c4d5e90 52:54:00:aa:bb:cd 5\n") == 0);
        CHECK(put("run2/hostdev-vf/lo_vf3", "5b0e3c1a-2d4f-4e6a-9b7c-1a2b3c4d5e91 52:54:00:aa:bb:ce 0\n") == 0);
        CHECK(put("run2/hostdev-vf/lo_vf4.tmp.1", "5b0e3c1a-2d4f-4e6a-9b7c-1a2b3c4d5e90 52:54:00:aa:bb:cf 0\n")
              == 0);
        CHECK(qemu_hostdev_vf_restore_all(rundir, owner, "t") < 0);
        CHECK(!exists("run2/hostdev-vf/lo_vf1") && !exists("run2/hostdev-vf/lo_vf2"));
        CHECK(exists("run2/hostdev-vf/lo_vf3") && exists("run2/hostdev-vf/lo_vf4.tmp.1"));
        /* given back once: nothing left of the owner's */
        CHECK_INTEQ(qemu_hostdev_vf_restore_all(rundir, owner, "t"), 0);
        CHECK_INTEQ(qemu_hostdev_vf_restore_all(rundir, other, "t") < 0, 1);
        CHECK(!exists("run2/hostdev-vf/lo_vf3"));
}

static void test_host_removed(void) {
        CHECK(fake_tree_remove(root) == 0);
}

UNIT_TESTS(test_golden_commands, test_nodes_of_each_kind, test_scsi_node_for_plug_and_unplug, test_vf,
           test_vf_netlink, test_vf_state_file, test_vf_from_file, test_vf_restore_all,
           test_host_removed)
