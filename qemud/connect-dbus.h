/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

/* org.libvirt.Connect on qemud's root object. */
int connect_dbus_register(Manager *m);
