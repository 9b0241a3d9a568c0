/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's SMBIOS for <os><smbios mode='host'/> (qemu-smbios-host.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dmi-table.h"
#include "error.h"
#include "qemu-smbios-host.h"

int qemu_smbios_host_prepare(const DomainDef *def, DomainSysinfo *ret, ConfError *err) {
        const char *path = getenv("VIRTBUS_DMI_TABLE") ?: DMI_TABLE_PATH;
        int r;

        *ret = (DomainSysinfo) {};
        if (def->os.smbios_mode != DOMAIN_SMBIOS_HOST)
                return 0;
        r = dmi_table_read(path, ret);
        if (r == -EBADMSG)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "Host SMBIOS information is not available: %s is "
                               "not an SMBIOS table (a structure is cut short)", path);
        else if (r < 0)
                conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "Host SMBIOS information is not available: cannot read "
                               "%s: %s%s", path, strerror(-r), r == -ENOENT ? " (<os><smbios mode='host'/> copies "
                               "the host's tables, and this host exports none)" : "");
        return r;
}
