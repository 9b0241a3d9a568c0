/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "procedures.h"

const ProcTable proc_table_interface = { NULL, 0 };
