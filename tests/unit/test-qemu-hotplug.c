/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure parts of device hot-plug (qemu-hotplug.h): one device's XML
 * parsed alone, moved into and out of a definition, placed by the address
 * allocator beside what runs, and the QMP commands that plug it and take
 * it back. */

#include "domain-conf.h"
#include "qemu-address.h"
#include "qemu-hotplug.h"
#include "unit.h"
#include "util.h"

static const char base_xml[] =
        "<domain type='qemu'><name>hp</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>"
        "<disk type='file' device='disk'><source file='/tmp/a.img'/><target dev='vda' bus='virtio'/></disk>"
        "<controller type='pci' index='0' model='pcie-root'/>"
        "%s"
        "</devices></domain>";

static DomainDef *base_def(const char *extra) {
        _cleanup_free_ char *xml = NULL;
        DomainDef *def = NULL;
        ConfError e = {};

        CHECK(asprintf(&xml, base_xml, extra) > 0);
        CHECK(domain_def_parse(xml, 0, &def, &e) == 0);
        CHECK(def && qemu_domain_assign_addresses(def, &e) == 0);
        return def;
}

static void test_parse_one_device(void) {
        static const struct {
                const char *xml, *kind;
        } ok[] = {
                { "<disk type='file' device='disk'><source file='/x.img'/><target dev='vdb' bus='virtio'/></disk>", "disk" },
                { "<interface type='user'><model type='virtio'/></interface>", "interface" },
                { "<controller type='scsi' index='0' model='virtio-scsi'/>", "controller" },
                { "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>", "rng" },
                { "<channel type='unix'><source mode='bind' path='/run/x.sock'/>"
                  "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>", "channel" },
                { "<?xml version='1.0'?>\n<serial type='pty'><target port='1'/></serial>", "serial" },
        };
        for (size_t i = 0; i < ELEMENTS_OF_(ok); i++) {
                _cleanup_(domain_def_freep) DomainDef *h = NULL;
                const char *kind = NULL;
                ConfError e = {};

                CHECK_INTEQ(domain_def_parse_device(ok[i].xml, 0, &h, &kind, &e), 0);
                CHECK_STREQ(kind, ok[i].kind);
                CHECK(h && h->n_disks + h->n_nets + h->n_controllers + h->n_rngs + h->n_chrs == 1);
        }

        static const struct {
                const char *xml, *error, *words;
        } bad[] = {
                { "<disk type='file'", "org.virtbus.Error.XMLError", "malformed" },
                { "<frobnicator/>", "org.virtbus.Error.NotSupported", "unknown device type 'frobnicator'" },
                { "<emulator>/usr/bin/qemu</emulator>", "org.virtbus.Error.NotSupported", "unknown device type" },
                { "<domain type='kvm'/>", "org.virtbus.Error.NotSupported", "unknown device type 'domain'" },
                { "<disk type='file' device='disk'><target dev='vdb' bus='virtio'/><bogus/></disk>",
                  "org.virtbus.Error.NotSupported", "bogus" },
                { "", "org.virtbus.Error.", "" },
        };
        for (size_t i = 0; i < ELEMENTS_OF_(bad); i++) {
                _cleanup_(domain_def_freep) DomainDef *h = NULL;
                const char *kind = NULL;
                ConfError e = {};

                CHECK(domain_def_parse_device(bad[i].xml, 0, &h, &kind, &e) < 0);
                CHECK(!h && !kind);
                CHECK(e.name && strncmp(e.name, bad[i].error, strlen(bad[i].error)) == 0);
                CHECK(strstr(e.message, bad[i].words));
        }
}

static void test_take_and_remove(void) {
        _cleanup_(domain_def_freep) DomainDef *def = base_def(""), *h = NULL, *copy = NULL;
        const char *kind;
        ConfError e = {};

        CHECK_INTEQ(domain_def_parse_device("<disk type='file' device='disk'><source file='/b.img'/>"
                                            "<target dev='vdb' bus='virtio'/></disk>", 0, &h, &kind, &e), 0);
        CHECK_INTEQ(domain_def_take_devices(def, h), 0);
        CHECK_INTEQ((int) h->n_disks, 0);
        CHECK_INTEQ((int) def->n_disks, 2);
        CHECK_STREQ(def->disks[1].dst, "vdb");
        CHECK_STREQ(def->disks[1].src, "/b.img");
        /* the definition stays whole: copied, formatted, validated */
        CHECK_INTEQ(domain_def_copy(def, &copy), 0);
        CHECK_INTEQ(domain_def_validate(copy, &e), 0);
        CHECK_INTEQ(domain_def_remove_device(copy, "disk", 0), 0);
        CHECK_INTEQ((int) copy->n_disks, 1);
        CHECK_STREQ(copy->disks[0].dst, "vdb");
        CHECK_INTEQ(domain_def_remove_device(copy, "disk", 1), -EINVAL);
        CHECK_INTEQ(domain_def_remove_device(copy, "video", 0), -EINVAL);
        /* the original keeps both */
        CHECK_INTEQ((int) def->n_disks, 2);
        CHECK_STREQ(def->disks[0].dst, "vda");
}

static size_t root_ports(const DomainDef *def) {
        size_t n = 0;

        for (size_t i = 0; i < def->n_controllers; i++)
                n += def->controllers[i].type == DOMAIN_CONTROLLER_PCI &&
                     streq_ptr(def->controllers[i].model, "pcie-root-port");
        return n;
}

/* What hot-plug relies on from the allocator: a new PCIe device goes to a
 * free pcie-root-port the guest already has; without one, a new port is
 * added (hot-plug refuses that: a port cannot be plugged itself); given
 * addresses are never moved. */
static void test_placed_beside_what_runs(void) {
        _cleanup_(domain_def_freep) DomainDef *spare = base_def(
                "<controller type='pci' index='1' model='pcie-root-port'/>"
                "<controller type='pci' index='2' model='pcie-root-port'/>");
        _cleanup_(domain_def_freep) DomainDef *full = base_def(""), *h1 = NULL, *h2 = NULL;
        DomainDeviceAddress vda = spare->disks[0].addr;
        size_t n_ctrl = spare->n_controllers;
        const char *kind;
        ConfError e = {};

        CHECK_INTEQ(domain_def_parse_device("<disk type='file' device='disk'><source file='/b.img'/>"
                                            "<target dev='vdb' bus='virtio'/></disk>", 0, &h1, &kind, &e), 0);
        CHECK_INTEQ(domain_def_take_devices(spare, h1), 0);
        CHECK_INTEQ(qemu_domain_assign_addresses(spare, &e), 0);
        CHECK_INTEQ((int) spare->n_controllers, (int) n_ctrl);
        CHECK_INTEQ((int) spare->disks[1].addr.type, DOMAIN_ADDRESS_PCI);
        CHECK(spare->disks[1].addr.bus != vda.bus);
        CHECK(spare->disks[1].addr.bus >= 1 && spare->disks[1].addr.bus <= 2);
        CHECK(memcmp(&spare->disks[0].addr, &vda, sizeof(vda)) == 0);

        n_ctrl = full->n_controllers;
        size_t n_ports = root_ports(full);
        CHECK_INTEQ(domain_def_parse_device("<disk type='file' device='disk'><source file='/b.img'/>"
                                            "<target dev='vdb' bus='virtio'/></disk>", 0, &h2, &kind, &e), 0);
        CHECK_INTEQ(domain_def_take_devices(full, h2), 0);
        CHECK_INTEQ(qemu_domain_assign_addresses(full, &e), 0);
        CHECK_INTEQ((int) full->n_controllers, (int) n_ctrl + 1);
        CHECK_INTEQ((int) root_ports(full), (int) n_ports + 1);
}

static json_object *parse(const char *s) {
        json_object *o = json_tokener_parse(s);
        CHECK(o);
        return o;
}

static void test_plug_and_unplug_commands(void) {
        json_object *objects = parse("[{\"qom-type\":\"throttle-group\",\"id\":\"g1\"}]");
        json_object *blockdevs = parse("[{\"driver\":\"file\",\"node-name\":\"virtio-disk1-file\"},"
                                       "{\"driver\":\"raw\",\"node-name\":\"virtio-disk1-fmt\",\"file\":\"virtio-disk1-file\"}]");
        json_object *devices = parse("[{\"driver\":\"virtio-blk-pci\",\"id\":\"virtio-disk1\"}]");
        json_object *plug = NULL, *undo = NULL;
        static const char *const plug_order[] = { "object-add", "blockdev-add", "blockdev-add", "device_add" };
        static const char *const undo_order[][2] = {
                { "blockdev-del", "virtio-disk1-fmt" },
                { "blockdev-del", "virtio-disk1-file" },
                { "object-del", "g1" },
        };

        CHECK_INTEQ(qemu_hotplug_plug_commands(objects, blockdevs, devices, &plug), 0);
        CHECK_INTEQ((int) json_object_array_length(plug), 4);
        for (size_t i = 0; i < 4; i++) {
                json_object *c = json_object_array_get_idx(plug, i), *v, *a;
                CHECK(json_object_object_get_ex(c, "execute", &v));
                CHECK_STREQ(json_object_get_string(v), plug_order[i]);
                CHECK(json_object_object_get_ex(c, "arguments", &a));
        }
        /* the arguments are the props themselves */
        {
                json_object *a;
                CHECK(json_object_object_get_ex(json_object_array_get_idx(plug, 3), "arguments", &a));
                CHECK(json_object_equal(a, json_object_array_get_idx(devices, 0)));
        }

        CHECK_INTEQ(qemu_hotplug_unplug_backends(objects, blockdevs, &undo), 0);
        CHECK_INTEQ((int) json_object_array_length(undo), 3);
        for (size_t i = 0; i < 3; i++) {
                json_object *c = json_object_array_get_idx(undo, i), *v, *a, *id;
                CHECK(json_object_object_get_ex(c, "execute", &v));
                CHECK_STREQ(json_object_get_string(v), undo_order[i][0]);
                CHECK(json_object_object_get_ex(c, "arguments", &a));
                CHECK(json_object_object_get_ex(a, i < 2 ? "node-name" : "id", &id));
                CHECK_STREQ(json_object_get_string(id), undo_order[i][1]);
        }
        json_object_put(plug);
        json_object_put(undo);

        /* nothing to plug on the host side: empty lists */
        CHECK_INTEQ(qemu_hotplug_unplug_backends(NULL, NULL, &undo), 0);
        CHECK_INTEQ((int) json_object_array_length(undo), 0);
        json_object_put(undo);
        json_object_put(objects);
        json_object_put(blockdevs);
        json_object_put(devices);
}

UNIT_TESTS(test_parse_one_device,
           test_take_and_remove,
           test_placed_beside_what_runs,
           test_plug_and_unplug_commands)
