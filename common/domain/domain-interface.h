/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Interface bandwidth (Get/SetInterfaceParameters): DomainDriver.interface.
 *
 * The bandwidth is the <bandwidth> of an <interface> (DomainNetDef's
 * NetworkBandwidth, libvirt's units: kilobytes per second, bursts in
 * kibibytes). The core reads and changes the definitions (domain-interface-
 * dbus.c); the driver applies a running interface's new bandwidth to its
 * host side, the tap that networkd made, through networkd. */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "domain-driver.h"
#include "domain-conf.h"

struct NetworkBandwidth;
typedef struct Domain Domain;

/* r = 0 once the new bandwidth is in force, else -errno with error (which
 * may be NULL) saying why. */
typedef void (*domain_interface_done_fn)(int r, const sd_bus_error *error, void *userdata);

struct DomainInterfaceOps {
        /* Applies bw (present = false: no limits) to the host side of the
         * running interface net of d. 1: done() comes later (always, once);
         * -errno with error set: refused now. */
        int (*set_bandwidth)(Domain *d, const DomainNetDef *net, const struct NetworkBandwidth *bw,
                             domain_interface_done_fn done, void *userdata, sd_bus_error *error);
};

/* <bandwidth>...</bandwidth> of bw, for networkd's AllocatePort and
 * SetPortBandwidth; "" when bw is NULL or not present. NULL: out of memory. */
char *domain_interface_bandwidth_xml(const struct NetworkBandwidth *bw);
/* An interface's <vlan> as networkd's AllocatePort takes it ("" for none);
 * NULL when out of memory. */
char *domain_interface_vlan_xml(const struct NetworkVlan *vlan);
