/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-manager.h"

/* org.libvirt.Domain on <root>/domain/_<uuid>. */
int domain_dbus_register(Manager *m);
