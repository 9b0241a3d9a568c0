/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "procedures.h"

const ProcTable proc_table_security = { NULL, 0 };
