/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading what LVM's reporting commands print (pvs, vgs, lvs with
 * --separator '#' --noheadings --units b --nosuffix). Pure: the unit tests
 * feed them canned outputs. */

#include "storage-vol-conf.h"

typedef struct LvmPv {
        char *pv_name, *vg_name;
} LvmPv;

typedef struct LvmLv {
        char *name, *uuid, *path;
        uint64_t size;
        char attr[16];
        StorageVolSourceDev *devs;
        size_t n_devs;
} LvmLv;

void lvm_pvs_free(LvmPv *pvs, size_t n);
void lvm_lvs_free(LvmLv *lvs, size_t n);

/* "  /dev/loop0#vg1\n": the PVs and their VG (empty when none). */
int lvm_parse_pvs(const char *out, LvmPv **ret, size_t *ret_n);
/* "  1073741824#536870912\n": vg_size#vg_free. */
int lvm_parse_vg_size(const char *out, uint64_t *ret_size, uint64_t *ret_free);
/* One line per segment: lv_name#lv_uuid#lv_path#lv_size#lv_attr#devices#seg_size#vg_extent_size,
 * devices as "/dev/loop0(0),/dev/loop1(12)". Segments of one LV are merged;
 * thin pools and hidden LVs ("[x]") are left out. */
int lvm_parse_lvs(const char *out, LvmLv **ret, size_t *ret_n);

/* LVM's rules for a new LV name: [a-zA-Z0-9+_.-], not starting with '-',
 * not "." or "..", no reserved prefixes or parts. */
bool lvm_lv_name_is_valid(const char *name);
