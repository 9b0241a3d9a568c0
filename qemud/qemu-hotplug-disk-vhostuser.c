/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hot-plug of a vhostuser disk: its socket chardev (which the command line
 * gives as -chardev) by QMP's chardev-add, QEMU connecting as the client,
 * as libvirt does; removed after its device. */
#include "qemu-command.h"
#include "qemu-hotplug-internal.h"
#include "util.h"

static json_object *id_args(const char *alias) {
        _cleanup_free_ char *id = qemu_disk_vhostuser_chardev_id(alias);
        json_object *args = id ? json_object_new_object() : NULL;

        if (args)
                json_object_object_add(args, "id", json_object_new_string(id));
        return args;
}

/* ChardevSocket: {"addr": {"type": "unix", "data": {"path"}}, "server": false, "reconnect"} */
static json_object *socket_backend(const DomainDiskVhostUser *v) {
        json_object *path = json_object_new_object(), *addr = json_object_new_object();
        json_object *data = json_object_new_object(), *backend = json_object_new_object();

        if (!path || !addr || !data || !backend) {
                json_object_put(path);
                json_object_put(addr);
                json_object_put(data);
                json_object_put(backend);
                return NULL;
        }
        json_object_object_add(path, "path", json_object_new_string(v->path));
        json_object_object_add(addr, "type", json_object_new_string("unix"));
        json_object_object_add(addr, "data", path);
        json_object_object_add(data, "addr", addr);
        json_object_object_add(data, "server", json_object_new_boolean(false));
        if (v->reconnect != TRISTATE_ABSENT)
                json_object_object_add(data, "reconnect", json_object_new_int64(v->reconnect == TRISTATE_ON ?
                                                                                v->reconnect_timeout : 0));
        json_object_object_add(backend, "type", json_object_new_string("socket"));
        json_object_object_add(backend, "data", data);
        return backend;
}

int hotplug_disk_vhostuser_chardev(const DomainDiskDef *disk, json_object *cmds, json_object *undo) {
        json_object *args, *backend;
        int r;

        if (!disk->alias)
                return -EINVAL;
        args = id_args(disk->alias);
        backend = socket_backend(disk->vhostuser);
        if (!args || !backend) {
                json_object_put(args);
                json_object_put(backend);
                return -ENOMEM;
        }
        json_object_object_add(args, "backend", backend);
        r = hotplug_push_cmd(cmds, "chardev-add", args);
        if (r < 0)
                return r;
        args = id_args(disk->alias);
        return args ? hotplug_push_cmd(undo, "chardev-remove", args) : -ENOMEM;
}

int hotplug_disk_vhostuser_unplug(const char *alias, json_object *backends) {
        json_object *args = id_args(alias);

        return args ? hotplug_push_cmd(backends, "chardev-remove", args) : -ENOMEM;
}
