/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "procedures.h"

const ProcTable proc_table_perf = { NULL, 0 };
