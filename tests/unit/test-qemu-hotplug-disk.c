/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The unplug of a disk with <reservations managed='yes'/>
 * (qemu-hotplug-disk.c): pr-helper0 serves every managed disk, so only the
 * last one's unplug removes it (and ends the helper). */

#include "qemu-command-test.h"
#include "qemu-device.h"
#include "qemu-hotplug-internal.h"

static const char xml[] =
        "<domain type='qemu'><name>hpr</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
        "<controller type='scsi' index='0' model='virtio-scsi'/>"
        "<disk type='block' device='lun'><driver name='qemu' type='raw'/><source dev='/dev/sdx'>"
        "<reservations managed='yes'/></source><target dev='sda' bus='scsi'/></disk>"
        "<disk type='block' device='lun'><driver name='qemu' type='raw'/><source dev='/dev/sdy'>"
        "<reservations managed='yes'/></source><target dev='sdb' bus='scsi'/></disk>"
        "</devices></domain>";

static int pr_dels(json_object *cmds) {
        int n = 0;

        for (size_t i = 0; i < json_object_array_length(cmds); i++) {
                json_object *c = json_object_array_get_idx(cmds, i), *v, *a;

                if (json_object_object_get_ex(c, "execute", &v) && streq(json_object_get_string(v), "object-del") &&
                    json_object_object_get_ex(c, "arguments", &a) && json_object_object_get_ex(a, "id", &v) &&
                    streq(json_object_get_string(v), "pr-helper0"))
                        n++;
        }
        return n;
}

/* the unplug commands of disk index of def */
static json_object *backends(const DomainDef *def, size_t index) {
        QemuCommandParams params = { .monitor_fd = -1, .run_dir = "/run/vbtest/domain-1-hpr" };
        QemuDeviceProps p = {};
        json_object *undo = NULL;
        ConfError e = {};

        CHECK_INTEQ(qemu_device_props_params(def, &fake_caps, &params, QEMU_DEVICE_DISK, index, &p, &e), 0);
        CHECK_INTEQ(qemu_hotplug_unplug_backends(p.objects, p.blockdevs, &undo), 0);
        qemu_device_props_done(&p);
        return undo;
}

static void test_pr_helper_object_goes_with_the_last_managed_disk(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        DevRef first = { .kind = "disk", .family = QEMU_DEVICE_DISK, .index = 0 };
        json_object *undo;

        CHECK(parse_xml_string(xml, &def) == 0);
        CHECK(def && qemu_command_assign_aliases(def) == 0);
        /* the first managed disk's props carry pr-helper0; sdb still uses it */
        undo = backends(def, 0);
        CHECK_INTEQ(pr_dels(undo), 1);
        CHECK_INTEQ(hotplug_pr_detach_prepare(def, &first, undo), 0);
        CHECK_INTEQ(pr_dels(undo), 0);
        CHECK(json_object_array_length(undo) > 0);      /* its nodes still go */
        CHECK(!hotplug_pr_last(def, &first));
        json_object_put(undo);

        /* sda gone: sdb is the last, its unplug takes the object */
        CHECK_INTEQ(domain_def_remove_device(def, "disk", 0), 0);
        undo = backends(def, 0);
        CHECK_INTEQ(pr_dels(undo), 1);
        CHECK_INTEQ(hotplug_pr_detach_prepare(def, &first, undo), 0);
        CHECK_INTEQ(pr_dels(undo), 1);
        CHECK(hotplug_pr_last(def, &first));
        json_object_put(undo);
}

UNIT_TESTS(test_pr_helper_object_goes_with_the_last_managed_disk)
