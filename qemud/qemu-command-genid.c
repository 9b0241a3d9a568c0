/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <genid>: QEMU's vmgenid device with the generation ID as its guid. */
#include <errno.h>

#include "qemu-command-internal.h"
#include "uuid.h"

int qemu_build_genid(QemuCmd *c) {
        char buf[UUID_STRING_MAX];
        json_object *o;

        if (!c->def->has_genid)
                return 0;
        /* <genid/>: the driver picks one at start (qemu-start.c) */
        if (uuid_is_null(c->def->genid))
                return cmd_fail(c, -EINVAL, "<genid/> has not been given a UUID");
        o = props_new("driver", "vmgenid");
        prop_str(&o, "guid", uuid_format(c->def->genid, buf));
        prop_str(&o, "id", "vmgenid0");
        return cmd_device(c, o);
}
