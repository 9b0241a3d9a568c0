/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The device filter of a cgroup v2 folder: a BPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to it, which the kernel asks at
 * every open or mknod of a device node by a process of the cgroup. v2 has
 * no devices.allow: the allow-list is the program itself, written with the
 * bpf() syscall from hand-assembled instructions (no libbpf, no compiler).
 *
 * The list holds v1's rules ("c 1:3 rwm", "b 7:* rw"), everything else is
 * denied. Each rule is a few instructions:
 *
 *   if type  != T goto next     (left out for 'a')    each as w6 = wN; w6 ^= V;
 *   if major != M goto next     (left out for '*')    if w6 != 0 goto next,
 *   if minor != m goto next     (left out for '*')    for the verifier's sake
 *   if (access & ~A) goto next  (the access asked must be within A)
 *   return 1
 *   next: ...                   the last "next" returns 0
 *
 * The program is the only record of the list: a daemon that was SIGKILLed
 * finds the attached program again (BPF_PROG_QUERY, by its name), reads its
 * instructions back (BPF_OBJ_GET_INFO_BY_FD) and decodes the list from them.
 * A change loads a new program and swaps it in for the old one in one step
 * (BPF_F_ALLOW_MULTI | BPF_F_REPLACE), so the cgroup is never unfiltered
 * and never holds two of ours. Removing the cgroup drops the program.
 *
 * Every function returns 0 or -errno. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CGROUP_DEV_ANY UINT32_MAX
/* The name our programs carry (BPF_OBJ_NAME_LEN is 16 with its NUL). */
#define CGROUP_BPF_PROG_NAME "virtbus_devices"

enum {
        CGROUP_DEV_MKNOD = 1 << 0, /* BPF_DEVCG_ACC_* */
        CGROUP_DEV_READ = 1 << 1,
        CGROUP_DEV_WRITE = 1 << 2,
        CGROUP_DEV_ALL = 7,
};

typedef struct CgroupDevRule {
        char type;      /* 'b', 'c' or 'a' (both) */
        uint32_t major; /* CGROUP_DEV_ANY: '*' */
        uint32_t minor;
        unsigned access; /* CGROUP_DEV_* bits */
} CgroupDevRule;

typedef struct CgroupDevList {
        CgroupDevRule *rules;
        size_t n;
} CgroupDevList;

/* "c 1:3 rwm", "b 7:* r", "a *:* rwm" (v1's devices.allow syntax). */
int cgroup_dev_rule_parse(const char *text, CgroupDevRule *ret);
void cgroup_dev_rule_format(const CgroupDevRule *rule, char *buf, size_t size);

void cgroup_dev_list_clear(CgroupDevList *l);
/* As v1 merges them: a rule for the same type and numbers gains the
 * access; a removal takes access away and drops a rule left with none. */
int cgroup_dev_list_add(CgroupDevList *l, const CgroupDevRule *rule);
void cgroup_dev_list_remove(CgroupDevList *l, const CgroupDevRule *rule);
/* Whether the list lets access (CGROUP_DEV_*) to the node through, as the
 * program does. */
bool cgroup_dev_list_allows(const CgroupDevList *l, char type, uint32_t major, uint32_t minor, unsigned access);

/* Pure: the program's instructions (struct bpf_insn) for l, and back. */
int cgroup_bpf_build(const CgroupDevList *l, void **ret_insns, size_t *ret_count);
/* -EBADMSG when the instructions are not a program of ours. */
int cgroup_bpf_decode(const void *insns, size_t count, CgroupDevList *ret);

/* The ids of our programs attached to the cgroup v2 folder dir (none: 0
 * and *ret_n = 0). */
int cgroup_bpf_query(const char *dir, uint32_t **ret_ids, size_t *ret_n);
/* The list of the program attached to dir; -ENOENT when it has none. */
int cgroup_bpf_read(const char *dir, CgroupDevList *ret);
/* Loads l's program and attaches it to dir in the place of ours. */
int cgroup_bpf_write(const char *dir, const CgroupDevList *l);
/* Detaches ours from dir (a cgroup that stays without a filter). */
int cgroup_bpf_detach(const char *dir);
/* Whether this kernel loads and attaches cgroup device programs here:
 * -EPERM, -ENOSYS, -EINVAL... with the reason. */
int cgroup_bpf_supported(const char *dir);
