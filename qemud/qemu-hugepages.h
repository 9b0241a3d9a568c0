/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* The mount point of a hugetlbfs with pages of size_kib (0: the system's
 * default huge page size), or NULL with errno set (ENOENT: none mounted). */
char *qemu_hugepages_dir(uint64_t size_kib);
