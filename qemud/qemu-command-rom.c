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
