/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain XML model refuses what it does not model, and what makes no
 * sense, naming the element, attribute or value every time. */

#include "domain-test.h"
#include "util.h"

static void node_path(xmlNodePtr n, char *buf, size_t size) {
        const char *names[32];
        size_t depth = 0, len = 0;

        for (; n->parent && n->parent->type == XML_ELEMENT_NODE && depth < ELEMENTSOF(names); n = n->parent)
                names[depth++] = (const char *) n->name;
        snprintf(buf, size, "%s", depth ? "" : "domain");
        while (depth > 0 && len < size) {
                depth--;
                len += (size_t) snprintf(buf + len, size - len, "%s%s", names[depth], depth ? "/" : "");
        }
}

static xmlNodePtr nth_element(xmlNodePtr n, size_t *i) {
        if (*i == 0)
                return n;
        for (xmlNodePtr c = n->children; c; c = c->next) {
                xmlNodePtr r;

                if (c->type != XML_ELEMENT_NODE)
                        continue;
                (*i)--;
                r = nth_element(c, i);
                if (r)
                        return r;
        }
        return NULL;
}

static void inject_one(const char *xml, size_t index, bool attribute) {
        xmlDocPtr doc = xmlReadMemory(xml, (int) strlen(xml), NULL, NULL, XML_PARSE_NONET);
        xmlChar *out = NULL;
        char path[512], needle[600];
        size_t i = index;
        xmlNodePtr n;
        int len = 0;

        n = doc ? nth_element(xmlDocGetRootElement(doc), &i) : NULL;
        if (!n) {
                xmlFreeDoc(doc);
                return;
        }
        node_path(n, path, sizeof(path));
        /* What is inside <metadata> is the application's, kept as it is. */
        if (strncmp(path, "metadata", strlen("metadata")) == 0) {
                xmlFreeDoc(doc);
                return;
        }
        if (attribute) {
                xmlNewProp(n, BAD_CAST "zzz", BAD_CAST "1");
                snprintf(needle, sizeof(needle), "attribute 'zzz' of <%s> is not supported", path);
        } else {
                xmlNewChild(n, NULL, BAD_CAST "zzz", NULL);
                snprintf(needle, sizeof(needle), "element <%s%szzz> is not supported",
                         streq(path, "domain") ? "" : path, streq(path, "domain") ? "" : "/");
        }
        xmlDocDumpMemory(doc, &out, &len);
        check_refused_((const char *) out, (size_t) len, VB_ERROR_NOT_SUPPORTED, needle, __LINE__);
        xmlFree(out);
        xmlFreeDoc(doc);
}

static void refuse_unknown_in(const char *path) {
        _cleanup_free_ char *xml = read_file(path);
        xmlDocPtr doc = xml ? xmlReadMemory(xml, (int) strlen(xml), NULL, NULL, XML_PARSE_NONET) : NULL;
        size_t count = 0;

        for (size_t i = 0; doc; i++) {
                size_t j = i;

                if (!nth_element(xmlDocGetRootElement(doc), &j))
                        break;
                count++;
        }
        xmlFreeDoc(doc);
        CHECK(count >= 5);
        for (size_t i = 0; i < count; i++) {
                inject_one(xml, i, true);
                inject_one(xml, i, false);
        }
}

/* Nothing is ever dropped silently: an unknown attribute or child anywhere
 * in any fixture (machines and containers) is refused, naming its path. */
static void test_refuse_unknown_everywhere(void) {
        static const char *const containers[] = { "lxc/container.xml", "lxc/virt-install.xml" };
        char **l = list_fixtures();

        for (char **p = l; p && *p; p++)
                refuse_unknown_in(*p);
        strv_free(l);
        for (size_t i = 0; i < ELEMENTSOF(containers); i++) {
                _cleanup_free_ char *path = NULL;

                CHECK(asprintf(&path, "%s/%s", data_dir(), containers[i]) > 0);
                refuse_unknown_in(path);
        }
}

static void test_refuse_malformed(void) {
        check_refused("<domain type='kvm'><name>x</name>", VB_ERROR_XML, "line 1");
        check_refused("<domain type='kvm'>\n<name>x</nam>\n</domain>", VB_ERROR_XML, "line 2");
        check_refused("", VB_ERROR_XML, "malformed");
        check_refused("<domain type='kvm'>text<name>x</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_XML, "unexpected text in <domain>");
        check_refused("<network><name>x</name></network>", VB_ERROR_XML, "<domain>");
        check_refused("<x:domain xmlns:x='urn:x' type='kvm'/>", VB_ERROR_XML, "namespace ('urn:x')");
        check_refused("<domain xmlns='urn:y' type='kvm'/>", VB_ERROR_XML, "namespace ('urn:y')");
        /* entity tricks never get as far as expansion */
        check_refused("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY a 'aaaa'>]>\n"
                      "<domain type='kvm'><name>&a;</name></domain>",
                      VB_ERROR_NOT_SUPPORTED, "DOCTYPE");
        check_refused("<?xml version='1.0'?>\n<!DOCTYPE domain SYSTEM 'http://example.com/x.dtd'>\n"
                      "<domain type='kvm'><name>x</name></domain>",
                      VB_ERROR_NOT_SUPPORTED, "DOCTYPE");
}

static void test_refuse_too_large(void) {
        size_t size = 10 * 1024 * 1024;
        _cleanup_free_ char *xml = malloc(size + 1);
        const char *head = "<domain type='kvm'><name>big</name><description>";

        CHECK(xml != NULL);
        if (!xml)
                return;
        memset(xml, 'x', size);
        memcpy(xml, head, strlen(head));
        xml[size] = 0;
        check_refused_(xml, size, VB_ERROR_INVALID_ARG, "XML document too large: 10485760 bytes, at most 4194304",
                       __LINE__);
        /* NUL-terminated with len 0 too */
        check_refused_(xml, 0, VB_ERROR_INVALID_ARG, "XML document too large", __LINE__);
}

static void test_refuse_unmodelled(void) {
        /* a PCI function's option ROM: a USB device has none */
        REFUSED(NULL, "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/>"
                "</source><rom bar='on'/></hostdev>", VB_ERROR_NOT_SUPPORTED,
                "unsupported configuration: element <devices/hostdev/rom> is not supported");
        REFUSED(NULL, "<filesystem type='template'><source name='t'/><target dir='/'/></filesystem>",
                VB_ERROR_NOT_SUPPORTED, "value 'template' of attribute 'type' of <devices/filesystem>");
        REFUSED(NULL, "<filesystem><driver queue='1024'/><source dir='/a'/><target dir='/'/></filesystem>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'queue' of <devices/filesystem/driver>");
        REFUSED(NULL, "<filesystem model='virtio-9p'><source dir='/a'/><target dir='/'/></filesystem>",
                VB_ERROR_NOT_SUPPORTED, "value 'virtio-9p' of attribute 'model' of <devices/filesystem>");
        REFUSED(NULL, "<sound model='pcspk'><address type='pci' bus='0' slot='5'/></sound>", VB_ERROR_NOT_SUPPORTED,
                "address type 'pci' of <devices/sound/address>");
        REFUSED(NULL, "<sound model='ich7'/>", VB_ERROR_NOT_SUPPORTED, "'ich7'");
        REFUSED(NULL, "<sound model='ich9'><acpi index='1'/></sound>", VB_ERROR_NOT_SUPPORTED,
                "<devices/sound/acpi>");
        REFUSED(NULL, "<sound model='ac97'><codec type='duplex'/></sound>", VB_ERROR_NOT_SUPPORTED,
                "<devices/sound/codec> is only supported for sound models 'ich6' and 'ich9', not 'ac97'");
        REFUSED(NULL, "<sound model='sb16'><address type='isa' iobase='0x220' irq='5'/></sound>",
                VB_ERROR_NOT_SUPPORTED, "address type 'isa' of <devices/sound/address>");
        REFUSED(NULL, "<sound model='usb'><address type='pci' slot='3'/></sound>", VB_ERROR_NOT_SUPPORTED,
                "address type 'pci' of <devices/sound/address>");
        REFUSED(NULL, "<audio id='1' type='pipewire'/>", VB_ERROR_NOT_SUPPORTED,
                "'pipewire' of attribute 'type' of <devices/audio>");
        /* each type's own attributes, on <audio> and on its directions */
        REFUSED(NULL, "<audio id='1' type='alsa' serverName='x'/>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'serverName' of <devices/audio> is not supported");
        REFUSED(NULL, "<audio id='1' type='none'><input dev='/dev/dsp'/></audio>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'dev' of <devices/audio/input> is not supported");
        REFUSED(NULL, "<audio id='1' type='oss'><output><settings format='s24'/></output></audio>",
                VB_ERROR_NOT_SUPPORTED, "'s24'");
        REFUSED(NULL, "<audio id='1' type='sdl' driver='coreaudio'/>", VB_ERROR_NOT_SUPPORTED, "'coreaudio'");
        REFUSED(NULL, "<audio id='1' type='none'><input/><input/></audio>", VB_ERROR_XML, "more than once");
        REFUSED(NULL, "<watchdog model='diag288'/>", VB_ERROR_NOT_SUPPORTED,
                "value 'diag288' of attribute 'model' of <devices/watchdog>");
        REFUSED(NULL, "<channel type='spicevmc'><source path='/x'/><target type='virtio'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "<devices/channel/source>");
        REFUSED(NULL, "<channel type='spicevmc'><target type='virtio' name='org.spice-space.webdav.0'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "target name 'org.spice-space.webdav.0' of a spicevmc <devices/channel>");
        REFUSED(NULL, "<serial type='spicevmc'><target port='0'/></serial>", VB_ERROR_NOT_SUPPORTED,
                "'spicevmc' of attribute 'type' of <devices/serial>");
        REFUSED(NULL, "<channel type='spiceport'><source path='/x'/>"
                "<target type='virtio' name='org.qemu.console.serial.0'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'path' of <devices/channel/source>");
        REFUSED(NULL, "<redirdev bus='usb' type='pty'/>", VB_ERROR_NOT_SUPPORTED,
                "'pty' of attribute 'type' of <devices/redirdev>");
        REFUSED(NULL, "<redirdev bus='usb' type='tcp'/>", VB_ERROR_XML, "missing <devices/redirdev/source>");
        REFUSED(NULL, "<redirdev bus='usb' type='unix'><source mode='bind' path='/x'/><protocol type='telnet'/>"
                "</redirdev>", VB_ERROR_NOT_SUPPORTED, "'telnet'");
        REFUSED(NULL, "<redirdev bus='usb' type='unix'><source mode='bind'/></redirdev>", VB_ERROR_XML,
                "missing attribute 'path'");
        REFUSED(NULL, "<redirdev bus='usb' type='dbus'><source path='/x'/></redirdev>", VB_ERROR_NOT_SUPPORTED,
                "<devices/redirdev/source>");
        REFUSED(NULL, "<redirdev bus='usb' type='spicevmc'><address type='pci' slot='3'/></redirdev>",
                VB_ERROR_NOT_SUPPORTED, "address type 'pci' of <devices/redirdev/address>");
        REFUSED(NULL, "<redirfilter><usbdev class='0x100' allow='yes'/></redirfilter>", VB_ERROR_XML,
                "invalid value '0x100' of attribute 'class' of <devices/redirfilter/usbdev>");
        REFUSED(NULL, "<redirfilter><usbdev version='1.100' allow='yes'/></redirfilter>", VB_ERROR_XML,
                "cannot parse USB device version '1.100'");
        REFUSED(NULL, "<redirfilter><usbdev vendor='0x15E1'/></redirfilter>", VB_ERROR_XML,
                "missing attribute 'allow'");
        REFUSED(NULL, "<redirfilter><device allow='yes'/></redirfilter>", VB_ERROR_NOT_SUPPORTED,
                "<devices/redirfilter/device>");
        REFUSED(NULL, "<channel type='pty'><target type='guestfwd' address='10.0.2.1'/></channel>",
                VB_ERROR_XML, "a guestfwd channel needs one");
        REFUSED(NULL, "<channel type='pty'><target type='guestfwd' address='fe80::1' port='4600'/></channel>",
                VB_ERROR_INVALID_ARG, "is not an IPv4 address");
        REFUSED(NULL, "<tpm model='tpm-crb'/>", VB_ERROR_XML, "missing TPM device backend (<devices/tpm/backend>)");
        REFUSED("<seclabel type='static' model='dac'/>", NULL, VB_ERROR_XML, "security label is missing");
        {
                /* as libvirt: no namespace, or one an earlier element has: let go */
                _cleanup_free_ char *x = domain_with("<metadata><y/><a:f xmlns:a='urn:a'>1</a:f>"
                                                     "<b:f xmlns:b='urn:a'>2</b:f><c:g xmlns:c='urn:c'/></metadata>",
                                                     NULL);
                _cleanup_(domain_def_freep) DomainDef *d = parse_ok(x, "metadata duplicate");

                CHECK(d && strv_length(d->metadata) == 2);
                CHECK(d && d->metadata && strstr(d->metadata[0], ">1<") && strstr(d->metadata[1], "urn:c"));
        }
        REFUSED("<iothreads>2</iothreads><iothreadids><iothread id='0'/></iothreadids>", NULL,
                VB_ERROR_INVALID_ARG, "invalid iothread id '0'");
        REFUSED("<iothreadids><iothread id='3'/><iothread id='3'/></iothreadids>", NULL, VB_ERROR_INVALID_ARG,
                "duplicate iothread id '3'");
        REFUSED("<cputune><iothreadpin iothread='2' cpuset='0'/></cputune><iothreads>1</iothreads>", NULL,
                VB_ERROR_INVALID_ARG, "<cputune/iothreadpin> of IOThread 2, which does not exist");
        REFUSED("<pm><suspend-to-mem enabled='no'/><suspend-to-ram/></pm>", NULL, VB_ERROR_NOT_SUPPORTED,
                "<pm/suspend-to-ram>");
        REFUSED("<qemu:frobnicate xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'/>",
                NULL, VB_ERROR_NOT_SUPPORTED, "<qemu:frobnicate>");
        REFUSED("<clock offset='utc'><timer name='platform'/></clock>", NULL,
                VB_ERROR_NOT_SUPPORTED, "timer 'platform' in <clock/timer>");
        REFUSED("<clock offset='utc'><timer name='rtc' tickpolicy='delay'><catchup threshold='123'/></timer></clock>",
                NULL, VB_ERROR_INVALID_ARG, "<clock/timer/catchup> of timer 'rtc' needs tickpolicy='catchup'");
        REFUSED("<clock offset='utc'><timer name='rtc' frequency='10'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                "only supported for timer 'tsc'");
        REFUSED("<clock offset='utc'><timer name='tsc' mode='warp'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                "'warp'");
        REFUSED("<features><hyperv><relaxed state='on'/><crash state='on'/></hyperv></features>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<features/hyperv/crash>");
        REFUSED("<features><kvm><dirty-ring state='on' size='1000'/></kvm></features>", NULL,
                VB_ERROR_XML, "dirty ring must be power of 2 and ranges [1024, 65536]");
        REFUSED("<features><kvm><dirty-ring state='on'/></kvm></features>", NULL,
                VB_ERROR_XML, "missing attribute 'size' of <features/kvm/dirty-ring>");
        REFUSED("<features><tcg><tb-cache>0</tb-cache></tcg></features>", NULL,
                VB_ERROR_XML, "<features/tcg/tb-cache> must be greater than zero");
        REFUSED("<cpu mode='host-passthrough'><cache mode='share'/></cpu>", NULL,
                VB_ERROR_NOT_SUPPORTED, "'share' of attribute 'mode' of <cpu/cache>");
        REFUSED("<cpu mode='host-passthrough'><cache level='4' mode='emulate'/></cpu>", NULL,
                VB_ERROR_INVALID_ARG, "invalid level '4' of <cpu/cache>");
        REFUSED("<cpu mode='host-passthrough'><maxphysaddr mode='emulate'/></cpu>", NULL,
                VB_ERROR_XML, "missing attribute 'bits' of <cpu/maxphysaddr> for mode 'emulate'");
        /* libvirt's rules of <memnode>: a guest NUMA cell to bind, which the
         * model does not have (no <cpu><numa>) */
        REFUSED("<numatune><memnode cellid='0' mode='strict' nodeset='0'/></numatune>", NULL,
                VB_ERROR_INVALID_ARG, "Element 'memnode' is invalid without any guest NUMA cells");
        REFUSED("<numatune><memnode cellid='0' mode='strict' nodeset='0'/>"
                "<memnode cellid='0' mode='strict' nodeset='0'/></numatune>", NULL,
                VB_ERROR_INVALID_ARG, "Multiple memnode elements with cellid 0");
        REFUSED("<numatune><memory placement='auto'/><memnode cellid='0' mode='strict' nodeset='0'/></numatune>",
                NULL, VB_ERROR_INVALID_ARG, "Per-node binding is not compatible with automatic NUMA placement");
        REFUSED("<numatune><memnode cellid='1' mode='strict' nodeset='0'/></numatune>"
                "<cpu><numa><cell id='0' cpus='0' memory='131072'/></numa></cpu>", NULL, VB_ERROR_INVALID_ARG,
                "Invalid cellid attribute in memnode element: 1. Domain has 1 NUMA nodes.");
        REFUSED("<cpu><numa><cell id='1' cpus='0' memory='131072'/></numa></cpu>", NULL, VB_ERROR_XML,
                "non-contiguous ranges or ranges not starting from 0 are not allowed");
        REFUSED("<cpu><numa><cell id='1' cpus='0' memory='65536'/><cell id='1' cpus='1' memory='65536'/>"
                "</numa></cpu>", NULL, VB_ERROR_XML, "Duplicate NUMA cell info for cell id '1'");
        REFUSED("<cpu><numa><cell id='1' cpus='0-1' memory='65536'/><cell id='0' cpus='1' memory='65536'/>"
                "</numa></cpu>", NULL, VB_ERROR_NOT_SUPPORTED, "NUMA cells 0 and 1 have overlapping vCPU ids");
        REFUSED("<cpu><numa/></cpu>", NULL, VB_ERROR_XML, "NUMA topology defined without NUMA cells");
        REFUSED("<cpu><numa><cell id='0' cpus='0'/></numa></cpu>", NULL, VB_ERROR_XML,
                "missing attribute 'memory' of <cpu/numa/cell>");
        REFUSED("<numatune><memnode cellid='0' nodeset='0'/></numatune>", NULL, VB_ERROR_XML,
                "missing attribute 'mode' of <numatune/memnode>");
        REFUSED("<numatune><memnode cellid='0' mode='strict' nodeset='0-x'/></numatune>", NULL,
                VB_ERROR_INVALID_ARG, "'0-x'");
        /* <memtune> and <blkiotune> */
        REFUSED("<memtune><hard_limit>-1</hard_limit></memtune>", NULL, VB_ERROR_INVALID_ARG,
                "<memtune/hard_limit>");
        REFUSED("<memtune><hard_limit unit='MiB'>512</hard_limit><swap_hard_limit unit='MiB'>256</swap_hard_limit>"
                "</memtune>", NULL, VB_ERROR_INVALID_ARG,
                "memory hard_limit tunable value must be lower than or equal to swap_hard_limit");
        REFUSED("<memtune><hard_limit>1</hard_limit><hard_limit>2</hard_limit></memtune>", NULL, VB_ERROR_XML,
                "<memtune/hard_limit> is given more than once");
        REFUSED("<memtune><max_limit>1</max_limit></memtune>", NULL, VB_ERROR_NOT_SUPPORTED, "<memtune/max_limit>");
        REFUSED("<blkiotune><weight>5000</weight></blkiotune>", NULL, VB_ERROR_INVALID_ARG,
                "value 5000 of <blkiotune/weight> is out of range: 100 to 1000");
        REFUSED("<blkiotune><device><weight>200</weight></device></blkiotune>", NULL, VB_ERROR_XML,
                "missing element <blkiotune/device/path>");
        REFUSED("<blkiotune><device><path>sda</path></device></blkiotune>", NULL, VB_ERROR_INVALID_ARG,
                "<blkiotune/device/path> must be an absolute path");
        REFUSED("<blkiotune><device><path>/dev/sda</path></device><device><path>/dev/sda</path></device>"
                "</blkiotune>", NULL, VB_ERROR_INVALID_ARG, "duplicate blkio device path '/dev/sda'");
        REFUSED("<blkiotune><device><path>/dev/sda</path><read_iops_sec>99999999999</read_iops_sec></device>"
                "</blkiotune>", NULL, VB_ERROR_INVALID_ARG, "<blkiotune/device/read_iops_sec>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><source file='/a'/><target dev='vda'/>"
                "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "address type 'ccw' of <devices/disk/address>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><source file='/a'/><target dev='vda'/>"
                "<address type='pci' domain='0' bus='0' slot='4' function='0'><zpci uid='1'/></address></disk>",
                VB_ERROR_NOT_SUPPORTED, "<devices/disk/address/zpci>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><source file='/a'><cookies/></source><target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "<devices/disk/source/cookies>");
        REFUSED(NULL, "<interface type='user'><tune><sndbuf>1600</sndbuf></tune></interface>",
                VB_ERROR_NOT_SUPPORTED, "<devices/interface/tune>");
        REFUSED(NULL, "<interface type='user'><source dev='eth0'/></interface>",
                VB_ERROR_NOT_SUPPORTED, "<devices/interface/source>");
        REFUSED(NULL, "<console type='pty'><target type='serial' port='0'><model name='isa-serial'/></target></console>",
                VB_ERROR_NOT_SUPPORTED, "<devices/console/target/model>");
        REFUSED(NULL, "<serial type='pty'><target port='0'/><address type='ccid' controller='0' slot='0'/></serial>",
                VB_ERROR_NOT_SUPPORTED, "address type 'ccid' of <devices/serial/address>");
        REFUSED(NULL, "<serial type='pty'><target type='usb-serial' port='0'/><address type='isa' iobase='0x3f8'/>"
                "</serial>", VB_ERROR_NOT_SUPPORTED,
                "address type 'isa' of <devices/serial/address> is not supported for this device");
        REFUSED(NULL, "<controller type='pci' index='1' model='pcie-root-port'><target busNr='5'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'busNr' of <devices/controller/target>");
        REFUSED(NULL, "<controller type='sata' index='0'><master startport='0'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "<devices/controller/master>");
        REFUSED(NULL, "<graphics type='vnc'><channel name='main' mode='secure'/></graphics>",
                VB_ERROR_NOT_SUPPORTED, "<devices/graphics/channel>");
        REFUSED(NULL, "<graphics type='vnc'><image compression='off'/></graphics>",
                VB_ERROR_NOT_SUPPORTED, "<devices/graphics/image>");
        REFUSED(NULL, "<graphics type='vnc' tlsPort='5902'/>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'tlsPort' of <devices/graphics>");
        REFUSED(NULL, "<video><model type='virtio' vram64='65536'/></video>", VB_ERROR_NOT_SUPPORTED,
                "'vram64' and 'vgamem' of <devices/video/model> are only supported for type 'qxl'");
        REFUSED(NULL, "<video><model type='virtio' vgamem='16384'/></video>", VB_ERROR_NOT_SUPPORTED,
                "'vgamem' of <devices/video/model> are only supported for type 'qxl'");
        REFUSED(NULL, "<video><driver name='vhostuser'/><model type='qxl'/></video>", VB_ERROR_NOT_SUPPORTED,
                "'vhostuser' driver of <devices/video/driver> is only supported with 'virtio' device, not 'qxl'");
        REFUSED(NULL, "<video><model type='virtio'><acceleration accel3d='yes' rendernode='/dev/dri/renderD128'/>"
                "</model></video>", VB_ERROR_NOT_SUPPORTED, "unsupported rendernode accel attribute");
        REFUSED(NULL, "<video><driver ats='on'/><model type='qxl'/></video>", VB_ERROR_NOT_SUPPORTED,
                "only supported for a virtio video device, not 'qxl'");
        REFUSED(NULL, "<video><model type='qxl'><resolution x='0' y='600'/></model></video>",
                VB_ERROR_NOT_SUPPORTED, "video resolution values must be greater than 0");
        REFUSED(NULL, "<video><driver name='xen'/><model type='virtio'/></video>", VB_ERROR_INVALID_ARG,
                "value 'xen' of attribute 'name' of <devices/video/driver>");
}

static void test_refuse_unmodelled_attributes(void) {
        REFUSED(NULL, "<disk type='file' device='disk' ro='yes'><source file='/a'/><target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'ro' of <devices/disk> is not supported");
        INVALID(NULL, "<disk type='file' device='disk' rawio='yes'><source file='/a'/><target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "disk 'vda': rawio can be used only with device='lun'");
        REFUSED(NULL,
                "<disk type='file' device='disk'><driver name='qemu' detect_zeroes='maybe'/><source file='/a'/>"
                "<target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'maybe' of attribute 'detect_zeroes' of <devices/disk/driver>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><driver name='qemu' discard='trim'/><source file='/a'/>"
                "<target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'trim' of attribute 'discard' of <devices/disk/driver>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><source file='/a' startupPolicy='sometimes'/>"
                "<target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'sometimes' of attribute 'startupPolicy' of <devices/disk/source>");
        check_refused("<domain type='kvm'><name>x</name><memory dumpCore='maybe'>1024</memory>"
                      "<os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "dumpCore");
        check_refused("<domain type='kvm'><name>x</name><currentMemory dumpCore='on'>1024</currentMemory>"
                      "<os><type>hvm</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "attribute 'dumpCore' of <currentMemory>");
        REFUSED("<cpu mode='host-model' migratable='on'/>", NULL, VB_ERROR_NOT_SUPPORTED,
                "attribute 'migratable' of <cpu> is only supported with mode 'host-passthrough'");
        REFUSED("<cpu mode='host-passthrough' migratable='yes'/>", NULL, VB_ERROR_INVALID_ARG, "'yes'");
        REFUSED(NULL, "<graphics type='spice' websocket='5700'/>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'websocket' of <devices/graphics>");
        REFUSED(NULL, "<graphics type='vnc' websocket='70000'/>", VB_ERROR_INVALID_ARG,
                "value '70000' of attribute 'websocket' of <devices/graphics> is out of range");
        REFUSED(NULL, "<graphics type='vnc' sharePolicy='share'/>", VB_ERROR_NOT_SUPPORTED, "'share'");
        REFUSED(NULL, "<graphics type='vnc' socket='/run/a.sock' listen='127.0.0.1'/>", VB_ERROR_INVALID_ARG,
                "attribute 'socket' of <devices/graphics> cannot go with the listen address");
        REFUSED(NULL, "<graphics type='vnc' socket='/run/a.sock'><listen type='address' address='127.0.0.1'/>"
                "</graphics>", VB_ERROR_INVALID_ARG, "cannot go with the graphics socket attribute");
        REFUSED(NULL, "<memballoon model='virtio' deflate='on'/>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'deflate' of <devices/memballoon>");
        REFUSED(NULL, "<serial type='pty'><source path='/dev/pts/3' append='on'/></serial>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'append' of <devices/serial/source>");
        REFUSED(NULL, "<serial type='pty'><source mode='bind'/></serial>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'mode' of <devices/serial/source>");
        REFUSED(NULL, "<controller type='sata' model='ahci'/>", VB_ERROR_NOT_SUPPORTED, "'model'");
        REFUSED(NULL, "<controller type='scsi' ports='4'/>", VB_ERROR_NOT_SUPPORTED, "'ports'");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type><bios rebootTimeout='-2'/></os>"
                      "</domain>", VB_ERROR_XML, "invalid value for rebootTimeout, must be in range [-1,65535]");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type><bios useserial='maybe'/></os></domain>",
                      VB_ERROR_INVALID_ARG, "value 'maybe' of attribute 'useserial' of <os/bios>");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type><bootmenu enable='yes' "
                      "timeout='65536'/></os></domain>", VB_ERROR_XML,
                      "invalid value for boot menu timeout, must be in range [0,65535]");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type><loader format='raw'/></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "attribute 'format' of <os/loader>");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type><nvram type='volume'/></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "value 'volume' of attribute 'type' of <os/nvram>");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type><nvram type='network'/></os></domain>",
                      VB_ERROR_XML, "missing element <os/nvram/source> for type='network'");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type><firmware><feature enabled='yes' "
                      "name='amd-sev'/></firmware></os></domain>", VB_ERROR_NOT_SUPPORTED,
                      "value 'amd-sev' of attribute 'name' of <os/firmware/feature>");
        REFUSED(NULL, "<rng model='virtio' xmlns:x='urn:x' x:y='1'><backend model='builtin'/></rng>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'x:y' of <devices/rng>");
        check_refused("<domain type='kvm' foo='bar'><name>x</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "attribute 'foo' of <domain>");
}

static void test_refuse_values(void) {
        check_refused("<domain type='xen'><name>x</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "'xen'");
        check_refused("<domain><name>x</name><os><type>hvm</type></os></domain>", VB_ERROR_XML, "'type' of <domain>");
        check_refused("<domain type='kvm'><os><type>hvm</type></os></domain>", VB_ERROR_XML, "<name>");
        check_refused("<domain type='kvm'><name>a/b</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "'a/b'");
        check_refused("<domain type='kvm'><name></name><os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "<name>");
        check_refused("<domain type='kvm'><name>x</name><name>y</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_XML, "<name> is given more than once");
        check_refused("<domain type='kvm'><name>x</name></domain>", VB_ERROR_XML, "<os/type>");
        check_refused("<domain type='kvm'><name>x</name><os><type>linux</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "'linux'");
        check_refused("<domain type='kvm' id='-3'><name>x</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "'id'");
        REFUSED("<uuid>not-a-uuid</uuid>", NULL, VB_ERROR_INVALID_ARG, "<uuid> 'not-a-uuid'");
        REFUSED("<uuid>0f6a3a5e-8d7c-4b1a-a2f4-9d8e7c6b5a4</uuid>", NULL, VB_ERROR_INVALID_ARG, "<uuid>");
        REFUSED("<uuid>0f6a3a5e8d7c4b1aa2f49d8e7c6b5a4g</uuid>", NULL, VB_ERROR_INVALID_ARG, "<uuid>");
        check_refused("<domain type='kvm'><name>x</name><memory>abc</memory><os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "'abc' of <memory> is not a valid number");
        check_refused("<domain type='kvm'><name>x</name><memory>-5</memory><os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "'-5' of <memory>");
        REFUSED("<vcpu>two</vcpu>", NULL, VB_ERROR_INVALID_ARG, "'two' of <vcpu>");
        REFUSED("<vcpu cpuset='0-a'>2</vcpu>", NULL, VB_ERROR_INVALID_ARG, "'0-a'");
        REFUSED("<title>two\nlines</title>", NULL, VB_ERROR_INVALID_ARG, "<title>");
        REFUSED("<on_poweroff>coredump-destroy</on_poweroff>", NULL, VB_ERROR_INVALID_ARG, "<on_poweroff>");
        REFUSED("<on_reboot>explode</on_reboot>", NULL, VB_ERROR_NOT_SUPPORTED, "'explode' of <on_reboot>");
        {
                _cleanup_free_ char *x = domain_with("<on_reboot>\n    preserve\n  </on_reboot>", NULL);
                _cleanup_(domain_def_freep) DomainDef *d = parse_ok(x, "blank token");

                CHECK(d && d->on_reboot == DOMAIN_ACTION_PRESERVE);
        }
        REFUSED("<clock offset='timezone'/>", NULL, VB_ERROR_XML,
                "missing 'timezone' attribute for clock with offset='timezone'");
        REFUSED("<clock offset='timezone' timezone='Europe/Paris;x'/>", NULL, VB_ERROR_INVALID_ARG,
                "timezone 'Europe/Paris;x'");
        REFUSED("<clock offset='utc' timezone='Europe/Paris'/>", NULL, VB_ERROR_INVALID_ARG,
                "needs offset='timezone'");
        REFUSED("<clock offset='absolute'/>", NULL, VB_ERROR_XML,
                "missing 'start' attribute for clock with offset='absolute'");
        REFUSED("<clock offset='absolute' start='-1'/>", NULL, VB_ERROR_INVALID_ARG, "'start'");
        REFUSED("<clock offset='variable' start='10'/>", NULL, VB_ERROR_INVALID_ARG, "needs offset='absolute'");
        REFUSED("<clock offset='utc' adjustment='reset'/>", NULL, VB_ERROR_INVALID_ARG, "'reset'");
        REFUSED("<clock offset='utc' adjustment='10'/>", NULL, VB_ERROR_NOT_SUPPORTED, "offset='variable'");
        REFUSED("<cpu mode='host-passthrough'><topology sockets='1' cores='0' threads='1'/></cpu>", NULL,
                VB_ERROR_INVALID_ARG, "'cores' of <cpu/topology>");
        REFUSED("<cpu><topology sockets='1' threads='1'/></cpu>", NULL, VB_ERROR_XML, "'cores' of <cpu/topology>");
        REFUSED("<cpu><model>x</model><feature policy='require' name='a'/><feature policy='disable' name='a'/></cpu>",
                NULL, VB_ERROR_INVALID_ARG, "'a'");
        REFUSED("<cpu><feature name='vmx'/></cpu>", NULL, VB_ERROR_XML, "'policy' of <cpu/feature>");
        REFUSED("<iothreadids><iothread id='1' thread_pool_min='2' thread_pool_max='1'/></iothreadids>", NULL,
                VB_ERROR_NOT_SUPPORTED, "thread_pool_min must be smaller or equal to thread_pool_max");
        REFUSED("<iothreadids><iothread id='1' thread_pool_min='2'/></iothreadids>", NULL,
                VB_ERROR_NOT_SUPPORTED, "thread_pool_min must be smaller or equal to thread_pool_max");
        REFUSED("<cpu><numa><cell id='0' cpus='0' memory='1024'><distances><sibling id='0' value='11'/></distances>"
                "</cell></numa></cpu>", NULL, VB_ERROR_XML, "'value 11' is invalid for 'sibling id 0' under NUMA 'cell id 0'");
        REFUSED("<cpu><numa><cell id='0' cpus='0' memory='1024'><distances><sibling id='1' value='20'/></distances>"
                "</cell></numa></cpu>", NULL, VB_ERROR_XML, "'sibling_id 1' does not refer to a valid cell");
        REFUSED("<cpu><numa><cell id='0' cpus='0' memory='1024'><distances/></cell></numa></cpu>", NULL,
                VB_ERROR_XML, "NUMA distances defined without siblings");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type><acpi><table type='msdm'>/x</table>"
                      "</acpi></os></domain>", VB_ERROR_XML, "Unknown acpi table type: msdm");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type><acpi><table type='slic'>/a</table>"
                      "<table type='slic'>/b</table></acpi></os></domain>", VB_ERROR_XML,
                      "Only one acpi table is supported");
        REFUSED("<defaultiothread thread_pool_max='0'/>", NULL, VB_ERROR_NOT_SUPPORTED,
                "thread_pool_max must be a positive integer");
        REFUSED("<defaultiothread thread_pool_max='-1'/>", NULL, VB_ERROR_INVALID_ARG, "thread_pool_max");
        {
                /* libvirt lets a nodeset given with placement='auto' go (numad picks) */
                _cleanup_free_ char *x = domain_with("<numatune><memory placement='auto' nodeset='0'/></numatune>",
                                                     NULL);
                _cleanup_(domain_def_freep) DomainDef *d = parse_ok(x, "auto nodeset");

                CHECK(d && !d->numatune.nodeset && streq_ptr(d->numatune.placement, "auto"));
        }
        REFUSED(NULL, "<disk type='file' device='tape'><target dev='sda'/></disk>", VB_ERROR_NOT_SUPPORTED,
                "'tape'");
        INVALID(NULL, "<disk type='file' device='lun'><source file='/a'/><target dev='sda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "disk device='lun' is only valid for block type disk source");
        INVALID(NULL, "<disk type='block' device='lun' sgio='unfiltered'><source dev='/dev/sdz'/>"
                "<target dev='sda'/></disk>", VB_ERROR_NOT_SUPPORTED, "unfiltered sgio is no longer supported");
        REFUSED(NULL, "<disk type='network' device='disk'><target dev='vda'/></disk>", VB_ERROR_XML,
                "missing element <devices/disk/source> for disk 'vda' of type 'network'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='vda' bus='uml'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'uml' of attribute 'bus' of <devices/disk/target>");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='sda' bus='sata' removable='on'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'removable' of <devices/disk/target> is not supported for "
                "bus 'sata'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='xvda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'xvda'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/></disk>", VB_ERROR_XML, "<devices/disk/target>");
        REFUSED(NULL, "<disk type='file'><source file='relative.img'/><target dev='vda'/></disk>",
                VB_ERROR_INVALID_ARG, "'relative.img'");
        /* which driver names a hypervisor takes is its own check: qemud's in test-qemu-validate.c */
        REFUSED(NULL, "<disk type='file'><driver name='a b'/><source file='/a'/><target dev='vda'/></disk>",
                VB_ERROR_INVALID_ARG, "'a b'");
        REFUSED(NULL, "<disk type='file'><driver type='vdi'/><source file='/a'/><target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'vdi'");
        REFUSED(NULL, "<disk type='volume'><source pool='p' volume='..'/><target dev='vda'/></disk>",
                VB_ERROR_INVALID_ARG, "'..'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='vda'/><boot order='0'/></disk>",
                VB_ERROR_INVALID_ARG, "'order'");
        REFUSED(NULL, "<interface type='user'><mac address='52:54:00:zz:00:01'/></interface>",
                VB_ERROR_INVALID_MAC, "'52:54:00:zz:00:01'");
        REFUSED(NULL, "<interface type='user'><mac address='01:00:5e:00:00:01'/></interface>",
                VB_ERROR_INVALID_MAC, "multicast");
        REFUSED(NULL, "<interface type='vds'><source switchid='0' portid='1'/></interface>", VB_ERROR_NOT_SUPPORTED,
                "'vds'");
        REFUSED(NULL, "<interface type='network'><model type='virtio'/></interface>", VB_ERROR_XML,
                "<devices/interface/source>");
        REFUSED(NULL, "<interface type='network'><source network='default' portgroup='a b'/></interface>",
                VB_ERROR_INVALID_ARG, "'a b'");
        REFUSED(NULL, "<serial type='tcp'><source mode='bind' host='0.0.0.0' service='2445'/>"
                "<protocol type='telnets'/></serial>", VB_ERROR_NOT_SUPPORTED, "'telnets'");
        REFUSED(NULL, "<serial type='udp'><source mode='connect' host='0.0.0.0' service='2445' tls='yes'/></serial>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'tls' of <devices/serial/source>");
        REFUSED(NULL, "<serial type='unix'><target port='0'/></serial>", VB_ERROR_XML, "'path'");
        REFUSED(NULL, "<serial type='pty'><target type='virtio'/></serial>", VB_ERROR_NOT_SUPPORTED, "'virtio'");
        REFUSED(NULL, "<graphics type='vnc'><listen type='network'/></graphics>", VB_ERROR_XML,
                "'network' attribute is required");
        REFUSED(NULL, "<graphics type='vnc'><listen type='network' network='default' socket='/run/a'/></graphics>",
                VB_ERROR_NOT_SUPPORTED, "'socket'");
        REFUSED(NULL,
                "<graphics type='vnc' listen='127.0.0.1'><listen type='address' address='0.0.0.0'/></graphics>",
                VB_ERROR_INVALID_ARG, "'0.0.0.0'");
        REFUSED(NULL, "<graphics type='vnc' listen='not an address'/>", VB_ERROR_INVALID_ARG, "'not an address'");
        REFUSED(NULL, "<video><model type='xen'/></video>", VB_ERROR_NOT_SUPPORTED, "'xen'");
        REFUSED(NULL, "<sound/>", VB_ERROR_XML, "'model' of <devices/sound>");
        REFUSED(NULL, "<sound model='ich9'><codec/></sound>", VB_ERROR_XML, "'type' of <devices/sound/codec>");
        REFUSED(NULL, "<sound model='ich9'><codec type='line'/></sound>", VB_ERROR_NOT_SUPPORTED, "'line'");
        REFUSED(NULL, "<sound model='ich9'><audio id='0'/></sound>", VB_ERROR_INVALID_ARG,
                "'id' of <devices/sound/audio> is out of range");
        REFUSED(NULL, "<sound model='ich9'><audio id='1'/><audio id='2'/></sound>", VB_ERROR_XML,
                "<devices/sound/audio>");
        REFUSED(NULL, "<audio id='256' type='none'/>", VB_ERROR_INVALID_ARG, "'256'");
        REFUSED(NULL, "<audio type='none'/>", VB_ERROR_XML, "'id' of <devices/audio>");
        REFUSED(NULL, "<audio id='1' type='none' timerPeriod='0'/>", VB_ERROR_INVALID_ARG, "'timerPeriod'");
        REFUSED(NULL, "<redirdev type='spicevmc'/>", VB_ERROR_XML, "'bus' of <devices/redirdev>");
        REFUSED(NULL, "<graphics type='spice'><image compression='zip'/></graphics>", VB_ERROR_NOT_SUPPORTED,
                "'zip' of attribute 'compression' of <devices/graphics/image>");
        REFUSED(NULL, "<graphics type='spice'><mouse/></graphics>", VB_ERROR_XML,
                "'mode' of <devices/graphics/mouse>");
        REFUSED(NULL, "<graphics type='spice'><clipboard copypaste='on'/></graphics>", VB_ERROR_INVALID_ARG,
                "'on'");
        REFUSED(NULL, "<graphics type='spice'><image compression='off'/><image compression='lz'/></graphics>",
                VB_ERROR_XML, "<devices/graphics/image>");
        REFUSED(NULL, "<smartcard mode='host-certificates'><certificate>a</certificate></smartcard>", VB_ERROR_XML,
                "needs exactly three certificates, not 1");
        REFUSED(NULL, "<smartcard mode='passthrough' type='pipe'/>", VB_ERROR_NOT_SUPPORTED,
                "value 'pipe' of attribute 'type' of <devices/smartcard> is not supported");
        REFUSED(NULL, "<smartcard mode='passthrough'/>", VB_ERROR_XML, "missing attribute 'type'");
        REFUSED(NULL, "<smartcard mode='host' type='tcp'/>", VB_ERROR_NOT_SUPPORTED, "attribute 'type'");
        REFUSED(NULL, "<smartcard mode='guest'/>", VB_ERROR_INVALID_ARG, "value 'guest' of attribute 'mode'");
        REFUSED(NULL, "<smartcard mode='host'><address type='usb' bus='0' port='1'/></smartcard>",
                VB_ERROR_NOT_SUPPORTED, "address type 'usb' of <devices/smartcard/address>");
        REFUSED(NULL, "<input type='passthrough' bus='virtio'/>", VB_ERROR_XML,
                "missing element <devices/input/source> of input type 'passthrough'");
        REFUSED(NULL, "<input type='passthrough' bus='usb'><source evdev='/dev/input/event1'/></input>",
                VB_ERROR_NOT_SUPPORTED, "only bus 'virtio' is supported for 'passthrough' input devices");
        REFUSED(NULL, "<input type='evdev' bus='ps2'><source dev='/dev/input/event1'/></input>",
                VB_ERROR_NOT_SUPPORTED, "input evdev doesn't support bus element");
        REFUSED(NULL, "<input type='evdev'><source dev='/dev/input/event1' grab='some'/></input>",
                VB_ERROR_INVALID_ARG, "value 'some' of attribute 'grab' of <devices/input/source>");
        REFUSED(NULL, "<input type='evdev'><source dev='/dev/input/event1' grabToggle='alt'/></input>",
                VB_ERROR_NOT_SUPPORTED, "'alt'");
        REFUSED(NULL, "<input type='mouse' bus='virtio'><source evdev='/dev/input/event1'/></input>",
                VB_ERROR_NOT_SUPPORTED, "only supported for input types 'passthrough' and 'evdev'");
        REFUSED(NULL, "<input type='mouse' bus='usb'><driver iommu='on'/></input>", VB_ERROR_NOT_SUPPORTED,
                "only supported for a virtio input, not bus 'usb'");
        REFUSED(NULL, "<memballoon model='virtio'/><memballoon model='virtio'/>", VB_ERROR_XML, "<devices/memballoon>");
        REFUSED(NULL, "<rng model='virtio'><backend model='egd' type='tcp'/></rng>", VB_ERROR_XML,
                "missing <devices/rng/backend/source> with a service");
        REFUSED(NULL, "<rng model='virtio'><backend model='egd' type='spicevmc'/></rng>", VB_ERROR_NOT_SUPPORTED,
                "'spicevmc'");
        REFUSED(NULL, "<rng model='virtio'><backend model='egd' type='unix'><source mode='bind' path='/r.sock'/>"
                      "<protocol type='telnet'/></backend></rng>", VB_ERROR_NOT_SUPPORTED, "only 'raw'");
        REFUSED(NULL, "<parallel type='pty'><target type='isa' port='0'/></parallel>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'type' of <devices/parallel/target>");
        REFUSED(NULL, "<rng model='virtio'/>", VB_ERROR_XML, "<devices/rng/backend>");
        REFUSED(NULL, "<rng model='virtio'><backend model='builtin'>/dev/random</backend></rng>",
                VB_ERROR_INVALID_ARG, "builtin");
        REFUSED(NULL, "<controller type='pci' index='0'/>", VB_ERROR_XML, "'model'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='vda'/>junk</disk>", VB_ERROR_XML,
                "<devices/disk>");
        REFUSED(NULL, "<emulator>qemu-kvm</emulator>", VB_ERROR_INVALID_ARG, "'qemu-kvm'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='vda'/><alias name='a b'/></disk>",
                VB_ERROR_INVALID_ARG, "'a b'");
}

/* ---- validation ------------------------------------------------------------- */


static void test_validate(void) {
        /* a floppy is on the fdc, and only a floppy is */
        INVALID(NULL, "<disk type='file' device='floppy'><target dev='hdc' bus='ide'/></disk>", VB_ERROR_XML,
                "Invalid bus type 'ide' for floppy disk (disk 'hdc')");
        INVALID(NULL, DISK("", "<target dev='fda'/>", ""), VB_ERROR_XML, "Invalid bus type 'fdc' for disk (disk 'fda')");
        INVALID(NULL, "<disk type='file' device='floppy'><target dev='fda'/>"
                      "<address type='drive' controller='0' bus='0' target='0' unit='2'/></disk>",
                VB_ERROR_INVALID_ARG, "a floppy <devices/disk/address> has controller 0, bus 0, target 0 and unit 0 or 1");
        INVALID(NULL, "<disk type='file' device='floppy'><target dev='fda'/>"
                      "<address type='pci' domain='0' bus='0' slot='5' function='0'/></disk>",
                VB_ERROR_INVALID_ARG, "does not fit bus 'fdc'");
        INVALID(NULL,
                DISK("", "<target dev='vda'/>",
                     "<iotune><write_iops_sec>9223372036854775808</write_iops_sec></iotune>"),
                VB_ERROR_INVALID_ARG, "<devices/disk/iotune/write_iops_sec> value 9223372036854775808");
        INVALID(NULL,
                DISK("", "<target dev='vda'/>",
                     "<iotune><total_iops_sec>18446744073709551615</total_iops_sec></iotune>"),
                VB_ERROR_INVALID_ARG, "18446744073709551615");
        INVALID(NULL,
                DISK("", "<target dev='vda'/>",
                     "<iotune><total_bytes_sec>1</total_bytes_sec><read_bytes_sec>1</read_bytes_sec></iotune>"),
                VB_ERROR_INVALID_ARG, "total_bytes_sec");
        INVALID(NULL, DISK("", "<target dev='vda'/>", "<iotune><read_iops_sec_max>5</read_iops_sec_max></iotune>"),
                VB_ERROR_INVALID_ARG, "read_iops_sec_max> needs read_iops_sec");
        INVALID(NULL, DISK("", "<target dev='vda'/>", "") DISK("", "<target dev='vda'/>", ""),
                VB_ERROR_INVALID_ARG, "duplicate disk target 'vda'");
        INVALID(NULL, "<disk type='file' device='cdrom'><target dev='vdc'/></disk>", VB_ERROR_NOT_SUPPORTED,
                "'vdc'");
        INVALID(NULL, "<disk type='file' device='disk'><target dev='vdc'/></disk>", VB_ERROR_INVALID_ARG,
                "no <devices/disk/source>");

        {
                static const char xml[] = "<domain type='kvm'><name>m</name><memory>0</memory>"
                                          "<os><type>hvm</type></os></domain>";
                check_invalid_(xml, VB_ERROR_INVALID_ARG, "<memory> must be more than 0", __LINE__);
        }
        {
                static const char xml[] = "<domain type='kvm'><name>m</name><os><type>hvm</type></os></domain>";
                check_invalid_(xml, VB_ERROR_INVALID_ARG, "<memory>", __LINE__);
        }
        INVALID("<currentMemory unit='MiB'>512</currentMemory>", NULL, VB_ERROR_INVALID_ARG,
                "<currentMemory> of 524288 KiB is more than <memory> of 262144 KiB");
        INVALID("<maxMemory slots='4' unit='MiB'>128</maxMemory>", NULL, VB_ERROR_INVALID_ARG, "<maxMemory>");
        INVALID("<vcpu>0</vcpu>", NULL, VB_ERROR_INVALID_ARG, "<vcpu> count 0");
        INVALID("<vcpu>4097</vcpu>", NULL, VB_ERROR_INVALID_ARG, "<vcpu> count 4097");
        INVALID("<vcpu current='3'>2</vcpu>", NULL, VB_ERROR_INVALID_ARG, "'current'");
        INVALID("<vcpu>2</vcpu><cpu><topology sockets='1' cores='4' threads='1'/></cpu>", NULL,
                VB_ERROR_INVALID_ARG, "<cpu/topology>");
        INVALID("<vcpu>2</vcpu><cputune><vcpupin vcpu='2' cpuset='1'/></cputune>", NULL, VB_ERROR_INVALID_ARG,
                "vcpupin");

        INVALID(NULL,
                DISK("", "<target dev='vda'/>", "<boot order='1'/>")
                "<interface type='user'><mac address='52:54:00:00:00:02'/><boot order='1'/></interface>",
                VB_ERROR_INVALID_ARG, "boot order 1 is used twice: by disk 'vda' and interface 52:54:00:00:00:02");
        INVALID(NULL, DISK("", "<target dev='vda'/>", "<boot order='3'/>") DISK("", "<target dev='vdb'/>", "<boot order='3'/>"),
                VB_ERROR_INVALID_ARG, "boot order 3");
        {
                static const char xml[] =
                        "<domain type='kvm'><name>b</name><memory>1024</memory>"
                        "<os><type>hvm</type><boot dev='hd'/></os><devices>"
                        "<disk type='file'><source file='/a'/><target dev='vda'/><boot order='1'/></disk>"
                        "</devices></domain>";
                check_invalid_(xml, VB_ERROR_NOT_SUPPORTED, "disk 'vda'", __LINE__);
                check_invalid_(xml, VB_ERROR_NOT_SUPPORTED, "<os/boot>", __LINE__);
        }
        {
                static const char xml[] =
                        "<domain type='kvm'><name>b</name><memory>1024</memory>"
                        "<os><type>hvm</type><boot dev='hd'/><boot dev='hd'/></os></domain>";
                check_invalid_(xml, VB_ERROR_INVALID_ARG, "boot device 'hd' is listed twice", __LINE__);
        }
        {
                static const char xml[] =
                        "<domain type='kvm'><name>b</name><memory>1024</memory><os><type>hvm</type>"
                        "<boot dev='hd'/><boot dev='cdrom'/><boot dev='network'/><boot dev='fd'/><boot dev='hd'/>"
                        "</os></domain>";
                check_refused(xml, VB_ERROR_INVALID_ARG, "<os/boot>");
        }
        INVALID(NULL, "<controller type='scsi' index='0'/><controller type='scsi' index='0'/>",
                VB_ERROR_INVALID_ARG, "index 0");
        INVALID(NULL, "<controller type='scsi' model='lsilogic'><driver cmd_per_lun='4'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "virtio-scsi");
        INVALID(NULL,
                "<video><model type='virtio' primary='yes'/></video><video><model type='vga' primary='yes'/></video>",
                VB_ERROR_INVALID_ARG, "primary");
        INVALID(NULL, "<sound model='ich9'><audio id='2'/></sound><audio id='1' type='none'/>",
                VB_ERROR_INVALID_ARG, "<devices/sound/audio id='2'/> names no <devices/audio>");
        INVALID(NULL, "<sound model='ac97'><audio id='1'/></sound>", VB_ERROR_INVALID_ARG, "id='1'");
        INVALID(NULL, "<audio id='1' type='none'/><audio id='1' type='spice'/>", VB_ERROR_INVALID_ARG,
                "two <devices/audio> have the id 1");
        INVALID(NULL,
                "<redirdev bus='usb' type='spicevmc'><address type='usb' bus='0' port='2'/></redirdev>"
                "<sound model='usb'><address type='usb' bus='0' port='2'/></sound>",
                VB_ERROR_INVALID_ARG, "used twice, by sound 0 ('usb') and by redirdev 0");
        INVALID(NULL,
                "<sound model='ich9'><address type='pci' slot='0x1b'/></sound>"
                "<rng model='virtio'><backend model='builtin'/><address type='pci' slot='0x1b'/></rng>",
                VB_ERROR_INVALID_ARG, "sound 0 ('ich9')");
}

/* ---- containers --------------------------------------------------------------- */

/* A small container: <os> children after <type>exe</type>, more top-level
 * elements and devices. */
static char *container_with(const char *os, const char *top, const char *devices) {
        char *s;

        if (asprintf(&s,
                     "<domain type='lxc'>\n"
                     "  <name>c</name>\n"
                     "  <memory unit='MiB'>256</memory>\n"
                     "  <os><type>exe</type>%s</os>\n"
                     "%s\n"
                     "  <devices>\n%s\n  </devices>\n"
                     "</domain>\n", os ?: "<init>/sbin/init</init>", top ?: "", devices ?: "") < 0)
                return NULL;
        return s;
}

#define CT_REFUSED(os, top, devices, name, needle)                              \
        do {                                                                    \
                _cleanup_free_ char *_x = container_with(os, top, devices);     \
                check_refused_(_x, strlen(_x), name, needle, __LINE__);         \
        } while (0)

#define CT_INVALID(os, top, devices, name, needle)                              \
        do {                                                                    \
                _cleanup_free_ char *_x = container_with(os, top, devices);     \
                check_invalid_(_x, name, needle, __LINE__);                     \
        } while (0)

#define ROOTFS "<filesystem><source dir='/srv/c'/><target dir='/'/></filesystem>"
#define IDMAP(extra) "<idmap><uid start='0' target='1000' count='10'/>" extra "</idmap>"

/* The model itself takes a container, with what it means for any driver. */
/* <watchdog>, <panic>, <vsock> (domain-platform-devs.c) */
static void test_refuse_platform_devs(void) {
        REFUSED(NULL, "<watchdog/>", VB_ERROR_XML, "missing attribute 'model' of <devices/watchdog>");
        REFUSED(NULL, "<watchdog model='i6300esb' action='explode'/>", VB_ERROR_NOT_SUPPORTED,
                "value 'explode' of attribute 'action' of <devices/watchdog>");
        REFUSED(NULL, "<watchdog model='i6300esb'/><watchdog model='ib700'/>", VB_ERROR_XML,
                "<devices/watchdog>");
        REFUSED(NULL, "<watchdog model='ib700'><address type='pci' slot='5'/></watchdog>",
                VB_ERROR_NOT_SUPPORTED, "<devices/watchdog/address> is not supported for this device");
        REFUSED(NULL, "<watchdog model='i6300esb'><acpi index='1'/></watchdog>", VB_ERROR_NOT_SUPPORTED,
                "<devices/watchdog/acpi>");
        REFUSED(NULL, "<panic model='pseries'/>", VB_ERROR_NOT_SUPPORTED,
                "value 'pseries' of attribute 'model' of <devices/panic>");
        REFUSED(NULL, "<panic model='s390'/>", VB_ERROR_NOT_SUPPORTED, "'s390'");
        REFUSED(NULL, "<panic model='hyperv'><address type='isa' iobase='0x505'/></panic>",
                VB_ERROR_NOT_SUPPORTED, "<devices/panic/address>");
        REFUSED(NULL, "<panic model='isa'><address type='isa' iobase='0x10000'/></panic>",
                VB_ERROR_INVALID_ARG, "'0x10000' of attribute 'iobase' of <devices/panic/address> is out of range");
        REFUSED(NULL, "<vsock model='virtio-mmio'/>", VB_ERROR_NOT_SUPPORTED,
                "value 'virtio-mmio' of attribute 'model' of <devices/vsock>");
        REFUSED(NULL, "<vsock model='virtio'><cid address='2'/></vsock>", VB_ERROR_INVALID_ARG,
                "value '2' of attribute 'address' of <devices/vsock/cid> is reserved");
        REFUSED(NULL, "<vsock model='virtio'><cid auto='maybe'/></vsock>", VB_ERROR_INVALID_ARG,
                "value 'maybe' of attribute 'auto' of <devices/vsock/cid>");
        REFUSED(NULL, "<vsock model='virtio'><cid/><cid/></vsock>", VB_ERROR_XML, "<devices/vsock/cid>");
        REFUSED(NULL, "<vsock/><vsock/>", VB_ERROR_XML, "<devices/vsock>");
        REFUSED(NULL, "<iommu/>", VB_ERROR_XML, "missing attribute 'model' of <devices/iommu>");
        REFUSED(NULL, "<iommu model='smmuv3'/>", VB_ERROR_NOT_SUPPORTED,
                "value 'smmuv3' of attribute 'model' of <devices/iommu>");
        REFUSED(NULL, "<iommu model='intel'><driver aw_bits='40'/></iommu>", VB_ERROR_NOT_SUPPORTED,
                "value '40' of attribute 'aw_bits' of <devices/iommu/driver>: only 39 and 48");
        REFUSED(NULL, "<iommu model='intel'><address type='pci' slot='4'/></iommu>", VB_ERROR_NOT_SUPPORTED,
                "<devices/iommu/address> is not supported for this device");
        REFUSED(NULL, "<iommu model='intel'><driver pasid='on'/></iommu>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'pasid' of <devices/iommu/driver>");
        INVALID(NULL, "<iommu model='virtio'><driver intremap='off'/></iommu>", VB_ERROR_NOT_SUPPORTED,
                "options are not supported for iommu model 'virtio'");
        INVALID(NULL, "<iommu model='intel'><driver intremap='on'/></iommu>", VB_ERROR_NOT_SUPPORTED,
                "needs the split I/O APIC: <features><ioapic driver='qemu'/>");
        INVALID(NULL, "<iommu model='intel'><driver eim='on'/></iommu>", VB_ERROR_NOT_SUPPORTED,
                "<devices/iommu/driver eim='on'/> needs intremap='on'");
        INVALID(NULL, "<panic model='isa'/><panic/>", VB_ERROR_INVALID_ARG,
                "more than one <devices/panic> of model 'isa'");
        INVALID(NULL, "<vsock><cid auto='no'/></vsock>", VB_ERROR_INVALID_ARG,
                "<devices/vsock/cid auto='no'/> needs an address");
        INVALID(NULL, "<watchdog model='i6300esb'><address type='pci' slot='3'/></watchdog>"
                "<vsock><address type='pci' slot='3'/></vsock>",
                VB_ERROR_INVALID_ARG, "used twice, by watchdog and by vsock");
}

static void test_container_accepted(void) {
        _cleanup_free_ char *xml = container_with(NULL, IDMAP("<gid start='0' target='1000' count='10'/>"), ROOTFS);
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "container");
        ConfError err = {};

        CHECK(def != NULL);
        if (def)
                CHECK_INTEQ(domain_def_validate(def, &err), 0);
}

static void test_container_os(void) {
        /* each OS type has its own children, wherever <type> stands */
        CT_REFUSED("<kernel>/boot/vmlinuz</kernel>", NULL, NULL, VB_ERROR_NOT_SUPPORTED,
                   "element <os/kernel> is not supported with OS type 'exe': it belongs to OS type 'hvm'");
        CT_REFUSED("<boot dev='hd'/>", NULL, NULL, VB_ERROR_NOT_SUPPORTED, "<os/boot>");
        check_refused("<domain type='kvm'><name>x</name><os><init>/sbin/init</init><type>hvm</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED,
                      "element <os/init> is not supported with OS type 'hvm': it belongs to OS type 'exe'");
        check_refused("<domain type='lxc'><name>x</name><os firmware='efi'><type>exe</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "attribute 'firmware' of <os>");
        check_refused("<domain type='lxc'><name>x</name><os><type machine='q35'>exe</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "attribute 'machine' of <os/type>");
        check_refused("<domain type='lxc'><name>x</name><os><type>uml</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "OS type 'uml' in <os/type> is not supported, only 'hvm' or 'exe'");
        /* init */
        CT_REFUSED("<init>sbin/init</init>", NULL, NULL, VB_ERROR_INVALID_ARG, "<os/init> must be an absolute path");
        CT_REFUSED("<init>/</init>", NULL, NULL, VB_ERROR_INVALID_ARG, "'/' alone is not a valid <os/init>");
        CT_REFUSED("<initdir>/</initdir>", NULL, NULL, VB_ERROR_INVALID_ARG, "leave <initdir> out");
        CT_REFUSED("<initdir>tmp</initdir>", NULL, NULL, VB_ERROR_INVALID_ARG, "'tmp'");
        CT_REFUSED("<init>/a</init><init>/b</init>", NULL, NULL, VB_ERROR_XML, "<os/init> is given more than once");
        CT_REFUSED("<initarg x='1'>a</initarg>", NULL, NULL, VB_ERROR_NOT_SUPPORTED, "attribute 'x' of <os/initarg>");
        CT_REFUSED("<initenv name='1X'>v</initenv>", NULL, NULL, VB_ERROR_INVALID_ARG, "invalid variable name '1X'");
        CT_REFUSED("<initenv name='A-B'>v</initenv>", NULL, NULL, VB_ERROR_INVALID_ARG, "'A-B'");
        CT_REFUSED("<initenv>v</initenv>", NULL, NULL, VB_ERROR_XML, "'name' of <os/initenv>");
        CT_REFUSED("<initenv name='X'>1</initenv><initenv name='X'>2</initenv>", NULL, NULL, VB_ERROR_INVALID_ARG,
                   "variable 'X' is set twice in <os/initenv>");
        CT_REFUSED("<inituser>root</inituser>", NULL, NULL, VB_ERROR_XML, "<os/inituser> needs <os/initgroup>");
        CT_REFUSED("<initgroup>root</initgroup>", NULL, NULL, VB_ERROR_XML, "<os/initgroup> needs <os/inituser>");
        CT_REFUSED("<inituser>a b</inituser><initgroup>a</initgroup>", NULL, NULL, VB_ERROR_INVALID_ARG, "'a b'");
}

static void test_container_filesystem(void) {
        CT_REFUSED(NULL, NULL, "<filesystem><source dir='/a'/><target dir='rel'/></filesystem>",
                   VB_ERROR_INVALID_ARG, "attribute 'dir' of <devices/filesystem/target> must be an absolute path, "
                   "not 'rel'");
        CT_REFUSED(NULL, NULL, "<filesystem><source dir='a'/><target dir='/'/></filesystem>", VB_ERROR_INVALID_ARG,
                   "attribute 'dir' of <devices/filesystem/source> must be an absolute path, not 'a'");
        CT_REFUSED(NULL, NULL, "<filesystem type='block'><source dev='/'/><target dir='/'/></filesystem>",
                   VB_ERROR_INVALID_ARG, "attribute 'dev' of <devices/filesystem/source>");
        CT_REFUSED(NULL, NULL, "<filesystem><target dir='/'/></filesystem>", VB_ERROR_XML,
                   "missing element <devices/filesystem/source> of a filesystem of type 'mount'");
        CT_REFUSED(NULL, NULL, "<filesystem><source dir='/a'/></filesystem>", VB_ERROR_XML,
                   "missing element <devices/filesystem/target>");
        CT_REFUSED(NULL, NULL, "<filesystem type='file'><source dir='/a'/><target dir='/'/></filesystem>",
                   VB_ERROR_NOT_SUPPORTED, "attribute 'dir' of <devices/filesystem/source>");
        CT_REFUSED(NULL, NULL, "<filesystem type='file'><source/><target dir='/'/></filesystem>", VB_ERROR_XML,
                   "missing attribute 'file' of <devices/filesystem/source>");
        CT_INVALID(NULL, NULL, "<filesystem><source socket='/run/s'/><target dir='/'/></filesystem>",
                   VB_ERROR_NOT_SUPPORTED, "attribute 'socket' of <devices/filesystem/source> is only for driver "
                   "type 'virtiofs'");
        CT_REFUSED(NULL, NULL, "<filesystem type='ram'><source usage='0'/><target dir='/t'/></filesystem>",
                   VB_ERROR_INVALID_ARG, "'usage' of <devices/filesystem/source> must be more than 0");
        CT_REFUSED(NULL, NULL, "<filesystem type='ram'><source units='MiB'/><target dir='/t'/></filesystem>",
                   VB_ERROR_XML, "missing attribute 'usage'");
        CT_REFUSED(NULL, NULL, "<filesystem type='ram'><source usage='1' units='parsecs'/><target dir='/t'/>"
                   "</filesystem>", VB_ERROR_INVALID_ARG, "'parsecs'");
        CT_REFUSED(NULL, NULL, "<filesystem accessmode='root'><source dir='/a'/><target dir='/'/></filesystem>",
                   VB_ERROR_NOT_SUPPORTED, "value 'root' of attribute 'accessmode'");
        CT_REFUSED(NULL, NULL, "<filesystem><source dir='/a'/><source dir='/b'/><target dir='/'/></filesystem>",
                   VB_ERROR_XML, "<devices/filesystem/source> is given more than once");
        CT_INVALID(NULL, NULL, ROOTFS "<filesystem><source dir='/b'/><target dir='/'/></filesystem>",
                   VB_ERROR_INVALID_ARG, "two <devices/filesystem> have the target dir '/'");
}

static void test_container_idmap(void) {
        CT_REFUSED(NULL, IDMAP("<gid start='0' target='1000' count='0'/>"), ROOTFS, VB_ERROR_INVALID_ARG,
                   "value '0' of attribute 'count' of <idmap/gid> must be 1 or more");
        CT_REFUSED(NULL, "<idmap><uid start='0' count='10'/></idmap>", ROOTFS, VB_ERROR_XML,
                   "missing attribute 'target' of <idmap/uid>");
        CT_REFUSED(NULL, "<idmap><uid start='-1' target='0' count='10'/></idmap>", ROOTFS, VB_ERROR_INVALID_ARG,
                   "'-1'");
        CT_REFUSED(NULL, IDMAP("<gid start='4294967295' target='0' count='2'/>"), ROOTFS, VB_ERROR_INVALID_ARG,
                   "<idmap/gid start='4294967295' target='0' count='2'/> runs past the last id (4294967295)");
        CT_REFUSED(NULL, IDMAP("<gid start='0' target='4294967290' count='10'/>"), ROOTFS, VB_ERROR_INVALID_ARG,
                   "runs past the last id");
        CT_REFUSED(NULL, IDMAP("") IDMAP(""), ROOTFS, VB_ERROR_XML, "<idmap> is given more than once");
        CT_REFUSED(NULL, "<idmap>x</idmap>", ROOTFS, VB_ERROR_XML, "<idmap>");
        /* what holds for any driver, once parsed */
        CT_INVALID(NULL, IDMAP(""), ROOTFS, VB_ERROR_INVALID_ARG,
                   "<idmap> has <uid> ranges but no <idmap/gid>: a user namespace needs both");
        CT_INVALID(NULL, "<idmap><gid start='0' target='1000' count='10'/></idmap>", ROOTFS, VB_ERROR_INVALID_ARG,
                   "no <idmap/uid>");
        CT_INVALID(NULL, IDMAP("<uid start='5' target='5000' count='10'/><gid start='0' target='1000' count='10'/>"),
                   ROOTFS, VB_ERROR_INVALID_ARG, "<idmap/uid> ranges starting at 0 (count 10) and at 5 overlap");
        CT_INVALID(NULL, IDMAP("<uid start='100' target='1005' count='1'/><gid start='0' target='1000' count='10'/>"),
                   ROOTFS, VB_ERROR_INVALID_ARG, "<idmap/uid> ranges with target 1000 (count 10) and target 1005 "
                   "overlap on the host");
}

/* ---- what virt-install and virsh dumpxml write ------------------------------ */


#define NETSRC(src) "<disk type='network' device='disk'>" src "<target dev='vda'/></disk>"

/* <disk type='network'>: what the model refuses of a source, by name. */
static void test_refuse_network_disk(void) {
        REFUSED(NULL, NETSRC("<source name='x'/>"), VB_ERROR_XML, "missing attribute 'protocol' of <devices/disk/source>");
        REFUSED(NULL, NETSRC("<source protocol='smb' name='x'/>"), VB_ERROR_NOT_SUPPORTED, "'smb'");
        REFUSED(NULL, NETSRC("<source protocol='iscsi'><host name='h'/></source>"), VB_ERROR_XML,
                "missing attribute 'name' of <devices/disk/source protocol='iscsi'>");
        REFUSED(NULL, NETSRC("<source protocol='nbd'><host name='h' port='0'/></source>"), VB_ERROR_INVALID_ARG,
                "invalid port '0'");
        REFUSED(NULL, NETSRC("<source protocol='nbd'><host name='bad host'/></source>"), VB_ERROR_INVALID_ARG,
                "invalid host name 'bad host'");
        REFUSED(NULL, NETSRC("<source protocol='nbd'><host transport='unix' name='h' socket='/s'/></source>"),
                VB_ERROR_XML, "takes a socket, not a name or port");
        REFUSED(NULL, NETSRC("<source protocol='nbd'><host transport='unix' socket='rel'/></source>"),
                VB_ERROR_INVALID_ARG, "'rel'");
        REFUSED(NULL, NETSRC("<source protocol='nbd' query='a'><host name='h'/></source>"), VB_ERROR_NOT_SUPPORTED,
                "attribute 'query' of <devices/disk/source> is not supported");
        REFUSED(NULL, NETSRC("<source protocol='http' name='x'><host name='h'/><cookies><cookie name='a b'>v</cookie>"
                             "</cookies></source>"), VB_ERROR_INVALID_ARG, "invalid cookie name 'a b'");
        REFUSED(NULL, NETSRC("<source protocol='http' name='x'><host name='h'/><cookies><cookie name='a'>v;w</cookie>"
                             "</cookies></source>"), VB_ERROR_INVALID_ARG, "invalid value of cookie 'a'");
        REFUSED(NULL, NETSRC("<source protocol='http' name='x'><host name='h'/><ssl verify='no'/></source>"),
                VB_ERROR_NOT_SUPPORTED, "element <devices/disk/source/ssl> is not supported");
        REFUSED(NULL, NETSRC("<source protocol='https' name='x'><host name='h'/><timeout seconds='0'/></source>"),
                VB_ERROR_INVALID_ARG, "invalid seconds '0'");
        REFUSED(NULL, NETSRC("<source protocol='rbd' name='p/i'><auth username='u'/></source>"),
                VB_ERROR_XML, "missing element <devices/disk/source/auth/secret>");
        REFUSED(NULL, "<disk type='network'><auth username='u'/><source protocol='rbd' name='p/i'/>"
                      "<target dev='vda'/></disk>", VB_ERROR_XML, "missing element <devices/disk/auth/secret>");
        REFUSED(NULL, NETSRC("<source protocol='rbd' name='p/i'><reservations managed='yes'/></source>"),
                VB_ERROR_NOT_SUPPORTED, "element <devices/disk/source/reservations> is not supported");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><backingStore type='dir'><source dir='/d'/>"
                      "</backingStore><target dev='vda'/></disk>", VB_ERROR_NOT_SUPPORTED,
                "<devices/disk/backingStore> of type 'dir' is not supported");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><backingStore type='network'><source protocol='nbd'>"
                      "<host name='h'/><auth username='u'><secret type='iscsi' usage='x'/></auth></source>"
                      "</backingStore><target dev='vda'/></disk>", VB_ERROR_NOT_SUPPORTED,
                "element <devices/disk/backingStore/source/auth> is not supported");
}

/* <memoryBacking> <source>, <access>, <allocation>, <discard> and a cell's
 * memAccess/discard: bad values named. */
static void test_refuse_memory_backing(void) {
        REFUSED("<memoryBacking><source type='shm'/></memoryBacking>", NULL, VB_ERROR_NOT_SUPPORTED,
                "value 'shm' of attribute 'type' of <memoryBacking/source>");
        REFUSED("<memoryBacking><source/></memoryBacking>", NULL, VB_ERROR_XML,
                "missing attribute 'type' of <memoryBacking/source>");
        REFUSED("<memoryBacking><access mode='public'/></memoryBacking>", NULL, VB_ERROR_NOT_SUPPORTED, "'public'");
        REFUSED("<memoryBacking><allocation mode='later'/></memoryBacking>", NULL, VB_ERROR_NOT_SUPPORTED, "'later'");
        REFUSED("<memoryBacking><allocation threads='0'/></memoryBacking>", NULL, VB_ERROR_INVALID_ARG,
                "invalid threads '0'");
        REFUSED("<memoryBacking><discard/><discard/></memoryBacking>", NULL, VB_ERROR_XML, "more than once");
        REFUSED("<memoryBacking><discard>x</discard></memoryBacking>", NULL, VB_ERROR_XML, "<memoryBacking/discard>");
        REFUSED("<vcpu>1</vcpu><cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB' memAccess='open'/></numa>"
                "</cpu>", NULL, VB_ERROR_NOT_SUPPORTED, "'open' of attribute 'memAccess'");
        REFUSED("<vcpu>1</vcpu><cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB' discard='maybe'/></numa>"
                "</cpu>", NULL, VB_ERROR_INVALID_ARG, "'discard'");
}

UNIT_TESTS(test_refuse_malformed, test_refuse_unknown_everywhere, test_refuse_too_large,
           test_refuse_unmodelled, test_refuse_unmodelled_attributes, test_refuse_values, test_validate,
           test_refuse_platform_devs, test_refuse_network_disk, test_refuse_memory_backing,
           test_container_accepted, test_container_os, test_container_filesystem, test_container_idmap)
