/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu_validate_def(): the QEMU driver's own check on top of the shared
 * model. What the model takes for any driver but QEMU cannot run is
 * refused here, naming it, with the messages the model gave before the
 * policy moved out of it; every machine fixture passes. */

#include "domain-test.h"
#include "qemu-validate.h"

/* The model (parse and validate) takes xml; qemu_validate_def() must
 * refuse it with this error name and a message naming needle. */
static void check_qemu_refused_(const char *xml, const char *name, const char *needle, int line) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        int r;

        def = parse_ok(xml, "QEMU refusal input");
        if (!def)
                return;
        r = domain_def_validate(def, &err);
        if (r < 0) {
                fprintf(stderr, "  line %d: %s: the model refused it: %s\n", line, unit_current, err.message);
                unit_failed_checks++;
                return;
        }
        r = qemu_validate_def(def, &err);
        if (r >= 0) {
                fprintf(stderr, "  line %d: %s: QEMU took it, expected %s naming \"%s\"\n",
                        line, unit_current, name, needle);
                unit_failed_checks++;
                return;
        }
        if (!streq_ptr(err.name, name) || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: %s: got %s \"%s\", expected %s naming \"%s\"\n",
                        line, unit_current, err.name, err.message, name, needle);
                unit_failed_checks++;
        }
        if (vb_error_lookup(err.name))
                CHECK_INTEQ(r, -vb_error_lookup(err.name)->errnum);
}
#define check_qemu_refused(xml, name, needle) check_qemu_refused_(xml, name, needle, __LINE__)

#define QEMU_REFUSED(top, devices, name, needle)                                \
        do {                                                                    \
                _cleanup_free_ char *_x = domain_with(top, devices);            \
                check_qemu_refused_(_x, name, needle, __LINE__);                \
        } while (0)

static void check_qemu_ok_(const char *xml, const char *what, int line) {
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, what);
        ConfError err = {};

        if (!def)
                return;
        if (domain_def_validate(def, &err) < 0 || qemu_validate_def(def, &err) < 0) {
                fprintf(stderr, "  line %d: %s: %s refused: %s\n", line, unit_current, what, err.message);
                unit_failed_checks++;
        }
}

#define QEMU_OK(top, devices, what)                                             \
        do {                                                                    \
                _cleanup_free_ char *_x = domain_with(top, devices);            \
                check_qemu_ok_(_x, what, __LINE__);                             \
        } while (0)

/* Every machine the repository keeps as a sample is QEMU's to run. */
static void test_machine_fixtures_pass(void) {
        char **l = list_fixtures();
        size_t n = 0;

        for (char **p = l; p && *p; p++, n++) {
                _cleanup_free_ char *xml = read_file(*p);

                CHECK(xml != NULL);
                if (xml)
                        check_qemu_ok_(xml, *p, __LINE__);
        }
        CHECK(n >= 6);
        strv_free(l);
        {
                _cleanup_free_ char *x = domain_with(NULL, DISK("<driver name='qemu' type='qcow2'/>",
                                                                "<target dev='vda'/>", ""));
                check_qemu_ok_(x, "driver name qemu", __LINE__);
        }
}

/* What only a container has, each named. */
static void test_containers_refused(void) {
        static const char *const containers[] = { "lxc/container.xml", "lxc/virt-install.xml" };

        for (size_t i = 0; i < ELEMENTSOF(containers); i++) {
                _cleanup_free_ char *path = NULL, *xml = NULL;

                CHECK(asprintf(&path, "%s/%s", data_dir(), containers[i]) > 0);
                xml = read_file(path);
                CHECK(xml != NULL);
                if (xml)
                        check_qemu_refused(xml, VB_ERROR_NOT_SUPPORTED,
                                           "unsupported configuration: the QEMU driver does not support "
                                           "<domain type='lxc'>: only 'qemu' or 'kvm'");
        }
        check_qemu_refused("<domain type='kvm'><name>c</name><memory>65536</memory>"
                           "<os><type>exe</type><init>/sbin/init</init></os></domain>",
                           VB_ERROR_NOT_SUPPORTED, "the QEMU driver does not support <os><type>exe</type>: only 'hvm'");
        QEMU_REFUSED(NULL, "<filesystem type='ram'><source usage='1024'/><target dir='/mnt'/></filesystem>",
                     VB_ERROR_NOT_SUPPORTED, "filesystem '/mnt': the QEMU driver does not support <filesystem "
                     "type='ram'>, only 'mount'");
        QEMU_REFUSED(NULL, "<filesystem type='file'><driver type='loop' format='raw'/><source file='/i'/>"
                     "<target dir='/mnt'/></filesystem>", VB_ERROR_NOT_SUPPORTED, "'/mnt'");
        QEMU_REFUSED(NULL, "<filesystem><driver type='loop'/><source dir='/srv'/><target dir='t'/></filesystem>",
                     VB_ERROR_NOT_SUPPORTED, "filesystem 't': driver type 'loop' of <devices/filesystem/driver> "
                     "is not supported by the QEMU driver, only 'path' or 'handle'");
        /* libvirt's QEMU driver keeps <idmap> and does not use it */
        {
                _cleanup_free_ char *x = domain_with("<idmap><uid start='0' target='1000' count='10'/>"
                                                     "<gid start='0' target='1000' count='10'/></idmap>", NULL);
                check_qemu_ok_(x, "idmap", __LINE__);
        }
}

/* The rules that were the model's until QEMU's policy left it, with the
 * same names and messages. */
static void test_qemu_policy(void) {
        QEMU_REFUSED(NULL, "<disk type='file'><driver name='tap'/><source file='/a'/><target dev='vda'/></disk>",
                     VB_ERROR_NOT_SUPPORTED, "disk driver 'tap' in <devices/disk/driver> is not supported, only 'qemu'");
        QEMU_REFUSED(NULL, DISK("<driver name='qemu' io='native'/>", "<target dev='vda'/>", ""),
                     VB_ERROR_NOT_SUPPORTED, "disk 'vda': io='native'");
        QEMU_REFUSED(NULL, DISK("<driver name='qemu' cache='writeback' io='native'/>", "<target dev='vdb'/>", ""),
                     VB_ERROR_NOT_SUPPORTED, "cache='none'");
        QEMU_REFUSED(NULL, DISK("", "<target dev='hda' bus='ide'/>", "<readonly/>"), VB_ERROR_NOT_SUPPORTED,
                     "disk 'hda'");
        QEMU_REFUSED(NULL, DISK("", "<target dev='hdb'/>", "<readonly/>"), VB_ERROR_NOT_SUPPORTED, "IDE");
        QEMU_REFUSED(NULL, "<video><model type='qxl' vgamem='12288'/></video>", VB_ERROR_INVALID_ARG,
                     "vgamem '12288' of <devices/video/model> must be a power of two");
        QEMU_REFUSED(NULL, "<video><model type='qxl' ram='512'/></video>", VB_ERROR_INVALID_ARG, "at least 1024 KiB");
        QEMU_REFUSED("<clock offset='utc'><timer name='rtc' tickpolicy='merge'/></clock>", NULL,
                     VB_ERROR_NOT_SUPPORTED, "tickpolicy 'merge' of timer 'rtc' in <clock/timer> is not supported, "
                     "only 'delay' or 'catchup'");
        QEMU_REFUSED("<clock offset='utc'><timer name='rtc' track='boot'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                     "track 'boot'");
        QEMU_REFUSED("<clock offset='utc'><timer name='rtc' present='no'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                     "present='no' of timer 'rtc'");
        QEMU_REFUSED("<clock offset='utc'><timer name='pit' tickpolicy='merge'/></clock>", NULL,
                     VB_ERROR_NOT_SUPPORTED, "tickpolicy 'merge' of timer 'pit'");
        /* still the model's own refusal, before any driver sees it */
        check_refused("<domain type='xen'><name>x</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "value 'xen' of attribute 'type' of <domain> is not supported");
}

#define NETDISK(src) "<disk type='network' device='disk'>" src "<target dev='vda' bus='virtio'/></disk>"

/* Network disks: the protocols QEMU 7.2 has no driver for, TLS, host
 * counts and transports each protocol takes. */
static void test_network_disks(void) {
        _cleanup_free_ char *ok = domain_with(NULL, NETDISK("<source protocol='nbd'><host name='127.0.0.1'/></source>"));

        check_qemu_ok_(ok, "an nbd disk", __LINE__);
        /* sheepdog and vxhs: defined as libvirt does, their start refused
         * (test-qemu-disk-legacy), whatever their hosts (checked at start) */
        static const char *const legacy[] = {
                NETDISK("<source protocol='sheepdog' name='img'><host name='h'/></source>"),
                NETDISK("<source protocol='sheepdog' name='img'><host transport='unix' socket='/s'/></source>"),
                NETDISK("<source protocol='vxhs' name='img'><host name='h'/></source>"),
                NETDISK("<source protocol='vxhs' name='img' tls='yes'><host name='h'/><host name='i'/></source>"),
        };
        for (size_t i = 0; i < ELEMENTSOF(legacy); i++) {
                _cleanup_free_ char *x = domain_with(NULL, legacy[i]);
                check_qemu_ok_(x, legacy[i], __LINE__);
        }
        QEMU_REFUSED(NULL, NETDISK("<source protocol='tftp' name='img'><host name='h'/></source>"),
                     VB_ERROR_NOT_SUPPORTED, "disk 'vda': network protocol 'tftp' of <devices/disk/source> is "
                     "not supported: QEMU has no block driver for it");
        QEMU_REFUSED(NULL, NETDISK("<source protocol='nbd'><host name='a'/><host name='b'/></source>"),
                     VB_ERROR_INVALID_ARG, "protocol 'nbd' accepts only one host");
        QEMU_REFUSED(NULL, NETDISK("<source protocol='http' name='x'/>"), VB_ERROR_INVALID_ARG,
                     "protocol 'http' accepts only one host");
        QEMU_REFUSED(NULL, NETDISK("<source protocol='gluster' name='v/p'/>"), VB_ERROR_INVALID_ARG,
                     "missing <devices/disk/source/host> for protocol 'gluster'");
        QEMU_REFUSED(NULL, NETDISK("<source protocol='gluster' name='novolume'><host name='h'/></source>"),
                     VB_ERROR_INVALID_ARG, "gluster source name 'novolume' is not 'volume/path'");
        QEMU_REFUSED(NULL, NETDISK("<source protocol='iscsi' name='iqn.x'><host transport='unix' socket='/s'/>"
                                   "</source>"),
                     VB_ERROR_NOT_SUPPORTED, "transport 'unix' of <devices/disk/source/host> is not supported for "
                     "protocol 'iscsi'");
        QEMU_REFUSED(NULL, NETDISK("<source protocol='gluster' name='v/p'><host transport='rdma' name='h'/></source>"),
                     VB_ERROR_NOT_SUPPORTED, "transport 'rdma'");
}

/* iommu, ats, packed, page_per_vq: virtio devices only, on or off. */
static void test_virtio_options(void) {
        QEMU_REFUSED(NULL, "<interface type='user'><model type='e1000'/><driver iommu='on'/></interface>",
                     VB_ERROR_NOT_SUPPORTED, "interface 0: iommu, ats, packed and page_per_vq of "
                     "<devices/interface/driver> are only supported for model type 'virtio', not 'e1000'");
        /* the model's own refusals */
        REFUSED(NULL, "<controller type='usb' model='qemu-xhci'><driver ats='on'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "only supported for virtio controllers, not type 'usb' model 'qemu-xhci'");
        REFUSED(NULL, "<memballoon model='none' autodeflate='on'/>", VB_ERROR_NOT_SUPPORTED,
                "only supported for memballoon model 'virtio', not 'none'");
        REFUSED(NULL, "<rng model='virtio'><backend model='builtin'/><driver packed='yes'/></rng>",
                VB_ERROR_INVALID_ARG, "value 'yes' of attribute 'packed' of <devices/rng/driver> must be 'on' or 'off'");
        REFUSED(NULL, "<rng model='virtio'><backend model='builtin'/><driver queues='2'/></rng>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'queues' of <devices/rng/driver> is not supported");
}

/* A machine's 9p share: the tag is any name, the modes octal. */
static void test_filesystem_9p(void) {
        _cleanup_free_ char *ok = domain_with(NULL, "<filesystem accessmode='mapped' fmode='644' dmode='0755' "
                                                    "multidevs='remap'><driver type='path' wrpolicy='immediate'/>"
                                                    "<source dir='/srv'/><target dir='tag0'/></filesystem>");

        check_qemu_ok_(ok, "a mapped 9p share", __LINE__);
        REFUSED(NULL, "<filesystem fmode='888'><source dir='/srv'/><target dir='t'/></filesystem>",
                VB_ERROR_INVALID_ARG, "value '888' of attribute 'fmode' of <devices/filesystem> is not an octal mode");
        REFUSED(NULL, "<filesystem dmode='07555'><source dir='/srv'/><target dir='t'/></filesystem>",
                VB_ERROR_INVALID_ARG, "'07555'");
        REFUSED(NULL, "<filesystem multidevs='maybe'><source dir='/srv'/><target dir='t'/></filesystem>",
                VB_ERROR_NOT_SUPPORTED, "'maybe'");
        REFUSED(NULL, "<filesystem><driver wrpolicy='later'/><source dir='/srv'/><target dir='t'/></filesystem>",
                VB_ERROR_NOT_SUPPORTED, "'later'");
        REFUSED(NULL, "<filesystem><source dir='/srv'/><target dir='t'/>"
                "<address type='drive' controller='0' bus='0' unit='0'/></filesystem>", VB_ERROR_NOT_SUPPORTED,
                "address");
}

/* <controller vectors=''> is virtio-serial's, <pcihole64> the root bus's. */
static void test_controller_options(void) {
        REFUSED(NULL, "<controller type='usb' model='qemu-xhci' vectors='4'/>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'vectors' of <devices/controller> is only supported for type 'virtio-serial', not 'usb'");
        REFUSED(NULL, "<controller type='pci' index='1' model='pci-bridge'><pcihole64>1</pcihole64></controller>",
                VB_ERROR_NOT_SUPPORTED, "<devices/controller/pcihole64> is only supported for a PCI controller of "
                "model 'pci-root' or 'pcie-root', not 'pci-bridge'");
        REFUSED(NULL, "<controller type='pci' model='pci-root'><pcihole64 unit='XiB'>1</pcihole64></controller>",
                VB_ERROR_INVALID_ARG, "XiB");
}

/* <rom>: no ROM takes no bar or file; file='' is the old spelling of no ROM. */
static void test_net_rom(void) {
        _cleanup_free_ char *old = domain_with(NULL, "<interface type='user'><rom file=''/></interface>");
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(old, "rom file=''");

        CHECK(def && def->nets[0].rom.enabled == TRISTATE_OFF && !def->nets[0].rom.file);
        REFUSED(NULL, "<interface type='user'><rom enabled='no' bar='on'/></interface>", VB_ERROR_INVALID_ARG,
                "<devices/interface/rom> with enabled='no' takes no bar and no file");
        REFUSED(NULL, "<interface type='user'><rom file='boot.rom'/></interface>", VB_ERROR_INVALID_ARG,
                "attribute 'file' of <devices/interface/rom> must be an absolute path, not 'boot.rom'");
        REFUSED(NULL, "<interface type='user'><rom bar='yes'/></interface>", VB_ERROR_INVALID_ARG, "'yes'");
        /* and virtio-net's ring sizes */
        REFUSED(NULL, "<interface type='user'><model type='virtio'/><driver rx_queue_size='300'/></interface>",
                VB_ERROR_INVALID_ARG, "rx_queue_size '300' of <devices/interface/driver> has to be a power of two "
                "and in range [256, 1024]");
        QEMU_REFUSED(NULL, "<interface type='user'><model type='e1000'/><driver tx_queue_size='512'/></interface>",
                     VB_ERROR_NOT_SUPPORTED, "only supported for model type 'virtio', not 'e1000'");
}

/* A disk's guest-visible options go where QEMU's device has them; libvirt's rules and words. */
#define IDE(x) "<disk type='file' device='disk'><source file='/a'/><target dev='hda' bus='ide'/>" x "</disk>"
#define VIRTIO(x) "<disk type='file' device='disk'><source file='/a'/><target dev='vda' bus='virtio'/>" x "</disk>"
static void test_disk_extras(void) {
        QEMU_REFUSED(NULL, VIRTIO("<wwn>5000c50015ea71ad</wwn>"), VB_ERROR_NOT_SUPPORTED,
                     "disk 'vda': Only ide and scsi disk support wwn");
        REFUSED(NULL, IDE("<wwn>5000c50015ea71a</wwn>"), VB_ERROR_INVALID_ARG,
                "malformed wwn '5000c50015ea71a' in <devices/disk/wwn>: 16 hex digits");
        QEMU_REFUSED(NULL, IDE("<vendor>SEAGATE</vendor>"), VB_ERROR_NOT_SUPPORTED,
                     "disk 'hda': Only scsi disk supports vendor and product");
        REFUSED(NULL, IDE("<vendor>SEAGATE-LONG</vendor>"), VB_ERROR_NOT_SUPPORTED,
                "<devices/disk/vendor> 'SEAGATE-LONG' is more than 8 characters");
        QEMU_REFUSED(NULL, "<disk type='file' device='disk'><source file='/a'/>"
                     "<target dev='vda' bus='virtio' rotation_rate='1'/></disk>", VB_ERROR_NOT_SUPPORTED,
                     "rotation rate is only valid for SCSI/IDE/SATA bus");
        INVALID(NULL, "<disk type='file' device='disk'><source file='/a'/><target dev='hda' tray='open'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "disk 'hda': tray is only valid for cdrom and floppy");
        QEMU_REFUSED(NULL, "<disk type='file' device='disk'><source file='/a'/>"
                     "<geometry cyls='2' heads='2' secs='2' trans='lba'/><target dev='vda'/></disk>",
                     VB_ERROR_NOT_SUPPORTED, "CHS translation mode can only be set for 'ide' bus not 'virtio'");
        INVALID(NULL, IDE("<driver name='qemu' queues='2'/>"), VB_ERROR_NOT_SUPPORTED,
                "queues attribute in disk driver element is only supported by virtio-blk");
        INVALID(NULL, "<disk type='file' device='disk' model='virtio-transitional'><source file='/a'/>"
                "<target dev='hda'/></disk>", VB_ERROR_NOT_SUPPORTED,
                "disk model 'virtio-transitional' not supported for bus 'ide'");
        REFUSED(NULL, VIRTIO("<driver name='qemu' rerror_policy='enospace'/>"), VB_ERROR_NOT_SUPPORTED,
                "'enospace' of attribute 'rerror_policy'");
        QEMU_REFUSED(NULL, VIRTIO("<driver name='qemu' copy_on_read='on'/><readonly/>"), VB_ERROR_NOT_SUPPORTED,
                     "copy_on_read is not compatible with read-only disk 'vda'");
        QEMU_REFUSED(NULL, IDE("<acpi index='3'/>"), VB_ERROR_NOT_SUPPORTED,
                     "disk 'hda': ACPI index is only supported for PCI devices");
        INVALID(NULL, "<disk type='file' device='disk'><source file='/a' startupPolicy='requisite'/>"
                "<target dev='vda'/></disk>", VB_ERROR_XML, "startupPolicy 'requisite' is allowed only for cdrom");
        QEMU_REFUSED(NULL, "<disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vda'/>"
                     "<transient/></disk>", VB_ERROR_NOT_SUPPORTED,
                     "transient disk supported only with 'file' type (vda)");
        QEMU_REFUSED(NULL, "<disk type='dir' device='disk'><driver name='qemu' type='fat'/><source dir='/srv'/>"
                     "<target dev='vda'/></disk>", VB_ERROR_NOT_SUPPORTED,
                     "virtual FAT storage can't be accessed in read-write mode");
        QEMU_REFUSED(NULL, VIRTIO("<driver name='qemu' type='fat'/>"), VB_ERROR_NOT_SUPPORTED,
                     "storage format 'fat' is supported only with 'dir' storage type");
        REFUSED(NULL, VIRTIO("<driver name='qemu'><metadata_cache><max_size unit='XiB'>1</max_size>"
                             "</metadata_cache></driver>"), VB_ERROR_INVALID_ARG, "unknown unit 'XiB'");
}

/* <interface>'s types and sub-elements: libvirt's define-time rules. */
static void test_net_options(void) {
        QEMU_OK(NULL, "<interface type='ethernet'><script path='/etc/qemu-ifup'/><downscript path='/etc/qemu-ifdown'/>"
                "<target dev='tap7' managed='no'/></interface>", "ethernet");
        QEMU_OK(NULL, "<interface type='network'><source network='default'/><model type='e1000'/>"
                "<driver name='vhost' queues='5'/><backend tap='/dev/net/tun'/></interface>",
                "vhost and queues kept for e1000, as libvirt does");
        QEMU_REFUSED(NULL, "<interface type='user'><script path='/etc/qemu-ifup'/></interface>",
                     VB_ERROR_NOT_SUPPORTED, "interface 0: scripts are not supported on interfaces of type user");
        QEMU_REFUSED(NULL, "<interface type='network'><source network='n'/><target dev='t0' managed='no'/></interface>",
                     VB_ERROR_NOT_SUPPORTED, "only supported for interface type 'ethernet', not 'network'");
        QEMU_OK(NULL, "<interface type='user'><backend tap='/dev/net/tun'/></interface>",
                "a backend tap of a type without a tap: kept at define, refused at start (qemu-rules.c)");
        QEMU_REFUSED(NULL, "<interface type='vhostuser'><source type='unix' path='/run/v.sock' mode='client'/>"
                     "</interface>", VB_ERROR_NOT_SUPPORTED, "vhostuser requires the virtio-net* frontend");
        QEMU_OK(NULL, "<interface type='bridge'><source bridge='br0'/><model type='e1000'/><mtu size='1400'/>"
                "</interface>", "an e1000's tap gets the MTU, as libvirt sets it (the type is a define rule)");
        QEMU_REFUSED(NULL, "<interface type='user'><teaming type='persistent'/></interface>", VB_ERROR_NOT_SUPPORTED,
                     "teaming type 'persistent' needs a virtio model");
        QEMU_REFUSED(NULL, "<interface type='user'><model type='virtio'/><coalesce><rx><frames max='7'/></rx>"
                     "</coalesce></interface>", VB_ERROR_NOT_SUPPORTED,
                     "coalesce settings on interface type user are not supported");
        QEMU_REFUSED(NULL, "<interface type='user'><driver rss='on'/></interface>", VB_ERROR_NOT_SUPPORTED,
                     "only supported for model type 'virtio'");
        REFUSED(NULL, "<interface type='udp'><source address='127.0.0.1' port='5'/></interface>",
                VB_ERROR_XML, "No <local> 'address' attribute specified with socket interface");
        REFUSED(NULL, "<interface type='client'><source port='5'/></interface>", VB_ERROR_XML,
                "No <source> 'address' attribute specified with socket interface");
        REFUSED(NULL, "<interface type='server'><source address='127.0.0.1' port='70000'/></interface>",
                VB_ERROR_INVALID_ARG, "invalid port '70000'");
        REFUSED(NULL, "<interface type='vhostuser'><model type='virtio'/><source type='unix' path='/run/v.sock' "
                "mode='server'><reconnect enabled='yes' timeout='3'/></source></interface>", VB_ERROR_XML,
                "'reconnect' attribute is not supported when source mode='server'");
        REFUSED(NULL, "<interface type='user'><model type='virtio'/><teaming type='transient'/></interface>",
                VB_ERROR_XML, "teaming persistent attribute must be set if teaming type is 'transient'");
        REFUSED(NULL, "<interface type='user'><mtu size='0'/></interface>", VB_ERROR_XML, "malformed mtu size");
        REFUSED(NULL, "<interface type='user'><model type='virtio'/><driver><host tso5='off'/></driver></interface>",
                VB_ERROR_NOT_SUPPORTED, "tso5");
}

/* <vcpus>: libvirt's qemuDomainDefVcpusPostParse and the order checks of
 * its start, at define time. */
#define VCPUS(inner) "<vcpu>4</vcpu><vcpus>" inner "</vcpus>"
static void test_vcpus(void) {
        const char *ns = VB_ERROR_NOT_SUPPORTED;

        QEMU_OK(VCPUS("<vcpu id='0' enabled='yes' order='1'/><vcpu id='1' enabled='yes' hotpluggable='yes' order='3'/>"
                      "<vcpu id='2' enabled='yes' hotpluggable='yes' order='2'/>"), NULL, "hot-pluggable vCPUs");
        QEMU_REFUSED(VCPUS("<vcpu id='0' enabled='no' hotpluggable='yes'/><vcpu id='1' enabled='yes'/>"), NULL, ns,
                     "vcpu 0 can't be offline");
        QEMU_REFUSED(VCPUS("<vcpu id='0' enabled='yes' hotpluggable='yes'/>"), NULL, ns, "vcpu0 can't be hotpluggable");
        QEMU_REFUSED(VCPUS("<vcpu id='0' enabled='yes' order='2'/><vcpu id='1' enabled='yes' order='1'/>"), NULL, ns,
                     "vcpu0 must be enabled first");
        QEMU_REFUSED(VCPUS("<vcpu id='0' enabled='yes' order='1'/><vcpu id='1' enabled='yes'/>"), NULL, ns,
                     "all vcpus must have either set or unset order");
        QEMU_REFUSED(VCPUS("<vcpu id='0' enabled='yes'/><vcpu id='1' enabled='yes' hotpluggable='yes'/>"
                           "<vcpu id='2' enabled='yes'/>"), NULL, ns,
                     "online non-hotpluggable vcpus need to be ordered prior to hotplugable vcpus");
        QEMU_REFUSED(VCPUS("<vcpu id='0' enabled='yes' order='1'/><vcpu id='1' enabled='yes' order='3'/>"
                           "<vcpu id='2' enabled='yes' order='2'/>"), NULL, ns,
                     "online non-hotpluggable vcpus must be ordered in ascending order");
        QEMU_REFUSED(VCPUS("<vcpu id='0' enabled='yes' order='1'/><vcpu id='1' enabled='yes' hotpluggable='yes' "
                           "order='2'/><vcpu id='2' enabled='yes' hotpluggable='yes' order='2'/>"), NULL, ns,
                     "duplicate vcpu order '2'");
        QEMU_REFUSED(VCPUS("<vcpu id='0' enabled='yes' order='1'/><vcpu id='1' enabled='yes' hotpluggable='yes' "
                           "order='9'/>"), NULL, ns, "vcpu order '9' exceeds vcpu count");
}

UNIT_TESTS(test_net_options, test_net_rom, test_machine_fixtures_pass, test_containers_refused, test_qemu_policy,
           test_network_disks, test_virtio_options, test_filesystem_9p, test_controller_options, test_disk_extras,
           test_vcpus)
