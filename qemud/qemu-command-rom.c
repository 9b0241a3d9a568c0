/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <rom> of a PCI device as QEMU's properties: romfile "" leaves it without
 * a ROM, rombar 0 keeps the ROM unmapped. */
#include "qemu-command-internal.h"

void qemu_rom_props(json_object **o, const DomainRomDef *rom) {
        if (rom->enabled == TRISTATE_OFF) {
                prop_str(o, "romfile", "");
                return;
        }
        if (rom->bar != TRISTATE_ABSENT)
                prop_int(o, "rombar", rom->bar == TRISTATE_ON ? 1 : 0);
        if (rom->file)
                prop_str(o, "romfile", rom->file);
}

/* <acpi index=''/>: QEMU's own bound is checked here, at start, rather
 * than by the guest's firmware. */
int qemu_acpi_index_prop(QemuCmd *c, json_object **o, unsigned index, const char *what) {
        if (index > 16383)
                return cmd_fail(c, -EINVAL, "%s: acpi index %u is more than QEMU's 16383", what, index);
        if (index)
                prop_int(o, "acpi-index", index);
        return 0;
}
