/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interface bandwidth: virDomainSetInterfaceParameters and
 * virDomainGetInterfaceParameters, typed parameters both ways. A Get that
 * asks for nparams == 0 gets the count only, as from libvirtd. */

#include "procedures.h"
#include "error.h"
#include "typed-params.h"
#include "util.h"

#define R PROC_READ
#define DOMAIN "org.libvirt.Domain"
#define IFACE .params_max = REMOTE_DOMAIN_INTERFACE_PARAMETERS_MAX

/* Sorted by number. */
static const ProcDef rows[] = {
        { 256, "virDomainSetInterfaceParameters", 0, "DsTu", DOMAIN, "SetInterfaceParameters", .reply = reply_void,
          IFACE },
        { 257, "virDomainGetInterfaceParameters", R, "Dsnu", DOMAIN, "GetInterfaceParameters",
          .reply = reply_params_counted, IFACE },
};

const ProcTable proc_table_interface = { rows, ELEMENTSOF(rows) };
