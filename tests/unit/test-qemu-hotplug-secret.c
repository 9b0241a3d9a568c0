/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A disk's secret and TLS objects in its hot-plug properties: without the
 * values (an unplug has none) each object is named by its id alone, which
 * is all object-del needs, and the unplug removes them after the nodes; a
 * plug's params give the TLS object its directory. */

#include "qemu-command-test.h"
#include "qemu-device.h"
#include "qemu-hotplug.h"

static const char xml[] =
        "<domain type='qemu'><name>hps</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/img/a.qcow2'>"
        "<encryption format='luks'><secret type='passphrase' uuid='6f1d7a52-0c8e-4b1a-9e55-3d2b1a0c7e01'/>"
        "</encryption></source><target dev='vda' bus='virtio'/></disk>"
        "<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
        "<source protocol='nbd' name='e0' tls='yes'><host name='127.0.0.1' port='10809'/></source>"
        "<target dev='vdb' bus='virtio'/></disk>"
        "</devices></domain>";

static const char *str(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* the ids of cmds' arguments under key, in order, joined by spaces */
static void joined(json_object *cmds, char *buf, size_t size) {
        buf[0] = 0;
        for (size_t i = 0; i < json_object_array_length(cmds); i++) {
                json_object *c = json_object_array_get_idx(cmds, i), *a;
                size_t n = strlen(buf);

                CHECK(json_object_object_get_ex(c, "arguments", &a));
                snprintf(buf + n, size - n, "%s%s:%s", n ? " " : "", str(c, "execute"),
                         str(a, "node-name") ?: str(a, "id"));
        }
}

static void test_unplug_names_objects_by_id(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        QemuDeviceProps p = {};
        json_object *undo = NULL, *o;
        ConfError e = {};
        char buf[1024];

        CHECK(parse_xml_string(xml, &def) == 0);
        CHECK(def && qemu_command_assign_aliases(def) == 0);

        CHECK_INTEQ(qemu_device_props(def, &fake_caps, QEMU_DEVICE_DISK, 0, &p, &e), 0);
        CHECK_INTEQ((int) json_object_array_length(p.objects), 1);
        o = json_object_array_get_idx(p.objects, 0);
        CHECK_STREQ(str(o, "qom-type"), "secret");
        CHECK_STREQ(str(o, "id"), "virtio-disk0-encryption-secret0");
        CHECK(!str(o, "data") && !str(o, "keyid"));  /* no value: a plug fills it in */
        CHECK_INTEQ(qemu_hotplug_unplug_backends(p.objects, p.blockdevs, &undo), 0);
        joined(undo, buf, sizeof(buf));
        CHECK_STREQ(buf, "blockdev-del:virtio-disk0-fmt blockdev-del:virtio-disk0-file "
                         "object-del:virtio-disk0-encryption-secret0");
        json_object_put(undo);
        qemu_device_props_done(&p);

        CHECK_INTEQ(qemu_device_props(def, &fake_caps, QEMU_DEVICE_DISK, 1, &p, &e), 0);
        CHECK_INTEQ((int) json_object_array_length(p.objects), 1);
        o = json_object_array_get_idx(p.objects, 0);
        CHECK_STREQ(str(o, "qom-type"), "tls-creds-x509");
        CHECK_STREQ(str(o, "id"), "objvirtio-disk1-file_tls0");
        CHECK(!str(o, "dir"));
        CHECK_STREQ(str(json_object_array_get_idx(p.blockdevs, 0), "tls-creds"), "objvirtio-disk1-file_tls0");
        CHECK_INTEQ(qemu_hotplug_unplug_backends(p.objects, p.blockdevs, &undo), 0);
        joined(undo, buf, sizeof(buf));
        CHECK_STREQ(buf, "blockdev-del:virtio-disk1-fmt blockdev-del:virtio-disk1-file "
                         "object-del:objvirtio-disk1-file_tls0");
        json_object_put(undo);
        qemu_device_props_done(&p);
}

static void test_plug_params_give_the_tls_directory(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        QemuCommandParams params = { .monitor_fd = -1, .nbd_tls_dir = "/etc/pki/nbd" };
        QemuDeviceProps p = {};
        json_object *o;
        ConfError e = {};

        CHECK(parse_xml_string(xml, &def) == 0);
        CHECK(def && qemu_command_assign_aliases(def) == 0);
        CHECK_INTEQ(qemu_device_props_params(def, &fake_caps, &params, QEMU_DEVICE_DISK, 1, &p, &e), 0);
        o = json_object_array_get_idx(p.objects, 0);
        CHECK_STREQ(str(o, "dir"), "/etc/pki/nbd");
        CHECK_STREQ(str(o, "endpoint"), "client");
        qemu_device_props_done(&p);
}

UNIT_TESTS(test_unplug_names_objects_by_id,
           test_plug_params_give_the_tls_directory)
