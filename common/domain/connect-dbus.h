/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-manager.h"

/* org.libvirt.Connect on the driver's root object: the domain methods, and
 * the capabilities through the driver. */
int connect_dbus_register(Manager *m);
