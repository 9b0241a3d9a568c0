/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A cgroup v2 device filter as a hand-assembled BPF program (cgroup-bpf.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-bpf.h"
#include "log.h"
#include "macro.h"
#include "util.h"

/* --- rules ------------------------------------------------------------------ */

static int parse_number(const char **p, uint32_t *ret) {
        char *end;
        unsigned long v;

        if (**p == '*') {
                (*p)++;
                *ret = CGROUP_DEV_ANY;
                return 0;
        }
        if (**p < '0' || **p > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(*p, &end, 10);
        if (errno || v >= CGROUP_DEV_ANY)
                return -EINVAL;
        *p = end;
        *ret = (uint32_t) v;
        return 0;
}

int cgroup_dev_rule_parse(const char *text, CgroupDevRule *ret) {
        CgroupDevRule rule = { .type = text[0] };
        const char *p = text + 1;

        if ((rule.type != 'a' && rule.type != 'b' && rule.type != 'c') || *p++ != ' ')
                return -EINVAL;
        if (parse_number(&p, &rule.major) < 0 || *p++ != ':' || parse_number(&p, &rule.minor) < 0 || *p++ != ' ')
                return -EINVAL;
        for (; *p; p++) {
                unsigned bit = *p == 'r' ? CGROUP_DEV_READ : *p == 'w' ? CGROUP_DEV_WRITE : *p == 'm' ? CGROUP_DEV_MKNOD : 0;

                if (!bit)
                        return -EINVAL;
                rule.access |= bit;
        }
        if (!rule.access)
                return -EINVAL;
        *ret = rule;
        return 0;
}

static void format_number(uint32_t v, char *buf, size_t size) {
        if (v == CGROUP_DEV_ANY)
                snprintf(buf, size, "*");
        else
                snprintf(buf, size, "%u", v);
}

void cgroup_dev_rule_format(const CgroupDevRule *rule, char *buf, size_t size) {
        char maj[16], min[16];

        format_number(rule->major, maj, sizeof(maj));
        format_number(rule->minor, min, sizeof(min));
        snprintf(buf, size, "%c %s:%s %s%s%s", rule->type, maj, min, rule->access & CGROUP_DEV_READ ? "r" : "",
                 rule->access & CGROUP_DEV_WRITE ? "w" : "", rule->access & CGROUP_DEV_MKNOD ? "m" : "");
}

void cgroup_dev_list_clear(CgroupDevList *l) {
        l->rules = mfree(l->rules);
        l->n = 0;
}

static CgroupDevRule *find_rule(const CgroupDevList *l, const CgroupDevRule *rule) {
        for (size_t i = 0; i < l->n; i++)
                if (l->rules[i].type == rule->type && l->rules[i].major == rule->major &&
                    l->rules[i].minor == rule->minor)
                        return &l->rules[i];
        return NULL;
}

int cgroup_dev_list_add(CgroupDevList *l, const CgroupDevRule *rule) {
        CgroupDevRule *same = find_rule(l, rule), *grown;

        if (same) {
                same->access |= rule->access;
                return 0;
        }
        grown = reallocarray(l->rules, l->n + 1, sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        l->rules = grown;
        l->rules[l->n++] = *rule;
        return 0;
}

void cgroup_dev_list_remove(CgroupDevList *l, const CgroupDevRule *rule) {
        CgroupDevRule *same = find_rule(l, rule);

        if (!same)
                return;
        same->access &= ~rule->access;
        if (same->access)
                return;
        memmove(same, same + 1, (size_t) (l->rules + l->n - (same + 1)) * sizeof(*same));
        l->n--;
}

static bool rule_matches(const CgroupDevRule *r, char type, uint32_t major, uint32_t minor, unsigned access) {
        return (r->type == 'a' || r->type == type) && (r->major == CGROUP_DEV_ANY || r->major == major) &&
               (r->minor == CGROUP_DEV_ANY || r->minor == minor) && (access & ~r->access) == 0;
}

bool cgroup_dev_list_allows(const CgroupDevList *l, char type, uint32_t major, uint32_t minor, unsigned access) {
        for (size_t i = 0; i < l->n; i++)
                if (rule_matches(&l->rules[i], type, major, minor, access))
                        return true;
        return false;
}

/* --- the program ------------------------------------------------------------ */

/* Registers: r1 the context (struct bpf_cgroup_dev_ctx), r2 the access asked,
 * r3 the node's type, r4 its major, r5 its minor, r0 the answer. */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_K(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define AND_K(d, i) INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define RSH_K(d, i) INSN(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, i)
#define MOV32_X(d, s) INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define XOR32_K(d, i) INSN(BPF_ALU | BPF_XOR | BPF_K, d, 0, 0, (int32_t) (i))
/* 32-bit compare: the imm is the whole u32 (no sign extension). */
#define JNE_K(d, i, o) INSN(BPF_JMP32 | BPF_JNE | BPF_K, d, 0, o, (int32_t) (i))
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static const struct bpf_insn prologue[] = {
        LDX_W(2, 1, offsetof(struct bpf_cgroup_dev_ctx, access_type)),
        MOV_X(3, 2),
        AND_K(3, 0xffff),
        RSH_K(2, 16),
        LDX_W(4, 1, offsetof(struct bpf_cgroup_dev_ctx, major)),
        LDX_W(5, 1, offsetof(struct bpf_cgroup_dev_ctx, minor)),
};
static const struct bpf_insn epilogue[] = { MOV_K(0, 0), EXIT() };
#define RULE_TAIL 5 /* the access check and "return 1" */
#define CHECK_LEN 3 /* w6 = wN; w6 ^= value; if w6 != 0 goto next */
#define RULE_MAX (3 * CHECK_LEN + RULE_TAIL)

static int type_bit(char type) {
        return type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
}

/* One rule's instructions into out (RULE_MAX of room); their count. */
static size_t build_rule(const CgroupDevRule *r, struct bpf_insn *out) {
        uint32_t values[3] = { r->type == 'a' ? CGROUP_DEV_ANY : (uint32_t) type_bit(r->type), r->major, r->minor };
        size_t checks = 0, n = 0;

        for (size_t i = 0; i < 3; i++)
                checks += values[i] != CGROUP_DEV_ANY;
        /* Each value is compared in a scratch register, not in r3-r5: a
         * "!=" the verifier sees taken teaches it the register's value on
         * the other way, and a rule reached with r3-r5 known would not be
         * pruned against the same rule reached with them unknown; every
         * rule would be verified again for each way into it (a 76-rule
         * program took 18 ms to load). r6 is dead at the next rule. */
        for (size_t i = 0; i < 3; i++)
                if (values[i] != CGROUP_DEV_ANY) {
                        out[n++] = MOV32_X(6, 3 + i);
                        out[n++] = XOR32_K(6, values[i]);
                        /* to the next rule: past the checks left and the tail */
                        out[n] = JNE_K(6, 0, (int16_t) (checks * CHECK_LEN - n - 1 + RULE_TAIL));
                        n++;
                }
        out[n++] = MOV_X(0, 2);
        out[n++] = AND_K(0, (int32_t) (~r->access & CGROUP_DEV_ALL));
        out[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 2, 0);
        out[n++] = MOV_K(0, 1);
        out[n++] = EXIT();
        return n;
}

int cgroup_bpf_build(const CgroupDevList *l, void **ret_insns, size_t *ret_count) {
        size_t max = ELEMENTSOF(prologue) + l->n * RULE_MAX + ELEMENTSOF(epilogue), n = 0;
        struct bpf_insn *p = calloc(max, sizeof(*p));

        if (!p)
                return -ENOMEM;
        memcpy(p, prologue, sizeof(prologue));
        n = ELEMENTSOF(prologue);
        for (size_t i = 0; i < l->n; i++)
                n += build_rule(&l->rules[i], p + n);
        memcpy(p + n, epilogue, sizeof(epilogue));
        n += ELEMENTSOF(epilogue);
        *ret_insns = p;
        *ret_count = n;
        return 0;
}

static bool same_insn(const struct bpf_insn *a, const struct bpf_insn *b) {
        return a->code == b->code && a->dst_reg == b->dst_reg && a->src_reg == b->src_reg && a->off == b->off &&
               a->imm == b->imm;
}

/* One rule from insns at *pos (moved past it); -EBADMSG when they are no rule. */
static int decode_rule(const struct bpf_insn *insns, size_t count, size_t *pos, CgroupDevRule *ret) {
        uint32_t values[3] = { CGROUP_DEV_ANY, CGROUP_DEV_ANY, CGROUP_DEV_ANY };
        struct bpf_insn want[RULE_MAX];
        size_t start = *pos, n;
        CgroupDevRule r;

        for (size_t i = 0; i < 3 && *pos + CHECK_LEN <= count; i++) {
                const struct bpf_insn *in = &insns[*pos];

                if (in->code == (BPF_ALU | BPF_MOV | BPF_X) && in->src_reg == 3 + i) {
                        values[i] = (uint32_t) in[1].imm;
                        *pos += CHECK_LEN;
                }
        }
        if (*pos + RULE_TAIL > count || insns[*pos].code != (BPF_ALU64 | BPF_MOV | BPF_X))
                return -EBADMSG;
        r = (CgroupDevRule){
                .type = values[0] == CGROUP_DEV_ANY ? 'a' : values[0] == BPF_DEVCG_DEV_BLOCK ? 'b' : 'c',
                .major = values[1],
                .minor = values[2],
                .access = ~(unsigned) insns[*pos + 1].imm & CGROUP_DEV_ALL,
        };
        /* what we would have written for it, to the last bit */
        n = build_rule(&r, want);
        if (start + n > count || !r.access || (values[0] != CGROUP_DEV_ANY && values[0] != BPF_DEVCG_DEV_BLOCK &&
                                               values[0] != BPF_DEVCG_DEV_CHAR))
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                if (!same_insn(&insns[start + i], &want[i]))
                        return -EBADMSG;
        *pos = start + n;
        *ret = r;
        return 0;
}

int cgroup_bpf_decode(const void *data, size_t count, CgroupDevList *ret) {
        const struct bpf_insn *insns = data;
        CgroupDevList l = {};
        size_t pos = ELEMENTSOF(prologue);
        int r = 0;

        if (count < ELEMENTSOF(prologue) + ELEMENTSOF(epilogue))
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(prologue); i++)
                if (!same_insn(&insns[i], &prologue[i]))
                        return -EBADMSG;
        while (r >= 0 && pos + ELEMENTSOF(epilogue) < count) {
                CgroupDevRule rule;

                r = decode_rule(insns, count, &pos, &rule);
                if (r >= 0)
                        r = cgroup_dev_list_add(&l, &rule);
        }
        if (r >= 0 && (pos + ELEMENTSOF(epilogue) != count || !same_insn(&insns[pos], &epilogue[0]) ||
                       !same_insn(&insns[pos + 1], &epilogue[1])))
                r = -EBADMSG;
        if (r < 0) {
                cgroup_dev_list_clear(&l);
                return r;
        }
        *ret = l;
        return 0;
}

/* --- the kernel ------------------------------------------------------------- */

static int sys_bpf(int cmd, union bpf_attr *attr) {
        long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

        return r < 0 ? -errno : (int) r;
}

static int load(const CgroupDevList *l) {
        _cleanup_free_ void *insns = NULL;
        char log_buf[4096] = "";
        union bpf_attr attr = {};
        size_t count;
        int r = cgroup_bpf_build(l, &insns, &count);

        if (r < 0)
                return r;
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t) (uintptr_t) insns;
        attr.insn_cnt = (uint32_t) count;
        attr.license = (uint64_t) (uintptr_t) "GPL";
        memcpy(attr.prog_name, CGROUP_BPF_PROG_NAME, sizeof(CGROUP_BPF_PROG_NAME));
        r = sys_bpf(BPF_PROG_LOAD, &attr);
        if (r == -EINVAL || r == -EACCES) {
                /* once more with the verifier's word on it, for the log */
                attr.log_level = 1;
                attr.log_buf = (uint64_t) (uintptr_t) log_buf;
                attr.log_size = sizeof(log_buf);
                r = sys_bpf(BPF_PROG_LOAD, &attr);
                if (r < 0)
                        log_debug("The kernel refuses the device filter: %s", log_buf);
        }
        return r;
}

/* Our program of that id: its fd, and its instructions when ret_insns. */
static int open_ours(uint32_t id, void **ret_insns, size_t *ret_count) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ struct bpf_insn *insns = NULL;
        struct bpf_prog_info info = {};
        union bpf_attr attr = { .prog_id = id };
        int r;

        fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        if (fd < 0)
                return fd;
        memset(&attr, 0, sizeof(attr));
        attr.info.bpf_fd = (uint32_t) fd;
        attr.info.info_len = sizeof(info);
        attr.info.info = (uint64_t) (uintptr_t) &info;
        if ((r = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr)) < 0)
                return r;
        if (info.type != BPF_PROG_TYPE_CGROUP_DEVICE || !streq(info.name, CGROUP_BPF_PROG_NAME))
                return -ENOENT;
        if (ret_insns) {
                uint32_t len = info.xlated_prog_len;

                if (!(insns = malloc(len ? len : 1)))
                        return -ENOMEM;
                memset(&info, 0, sizeof(info));
                info.xlated_prog_len = len;
                info.xlated_prog_insns = (uint64_t) (uintptr_t) insns;
                if ((r = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr)) < 0)
                        return r;
                *ret_insns = TAKE_PTR(insns);
                *ret_count = len / sizeof(struct bpf_insn);
        }
        return TAKE_FD(fd);
}

static int query_ids(int cgfd, uint32_t **ret_ids, size_t *ret_n) {
        uint32_t ids[64];
        union bpf_attr attr = {};
        size_t n = 0;
        uint32_t *out;
        int r;

        attr.query.target_fd = (uint32_t) cgfd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
        attr.query.prog_cnt = ELEMENTSOF(ids);
        r = sys_bpf(BPF_PROG_QUERY, &attr);
        if (r < 0)
                return r;
        if (!(out = calloc(attr.query.prog_cnt + 1, sizeof(*out))))
                return -ENOMEM;
        for (uint32_t i = 0; i < attr.query.prog_cnt && i < ELEMENTSOF(ids); i++) {
                int fd = open_ours(ids[i], NULL, NULL);

                if (fd < 0)
                        continue; /* another's, or gone meanwhile */
                close(fd);
                out[n++] = ids[i];
        }
        *ret_ids = out;
        *ret_n = n;
        return 0;
}

static int open_dir(const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int cgroup_bpf_query(const char *dir, uint32_t **ret_ids, size_t *ret_n) {
        _cleanup_close_ int cgfd = open_dir(dir);

        return cgfd < 0 ? cgfd : query_ids(cgfd, ret_ids, ret_n);
}

int cgroup_bpf_read(const char *dir, CgroupDevList *ret) {
        _cleanup_free_ uint32_t *ids = NULL;
        _cleanup_free_ void *insns = NULL;
        _cleanup_close_ int fd = -1;
        size_t n = 0, count = 0;
        int r = cgroup_bpf_query(dir, &ids, &n);

        if (r < 0)
                return r;
        if (n == 0)
                return -ENOENT;
        fd = open_ours(ids[0], &insns, &count);
        if (fd < 0)
                return fd;
        r = cgroup_bpf_decode(insns, count, ret);
        if (r < 0)
                log_debug("The device filter %u of %s is not one this program reads.", ids[0], dir);
        return r;
}

static int attach(int cgfd, int prog, int old) {
        union bpf_attr attr = {};

        attr.target_fd = (uint32_t) cgfd;
        attr.attach_bpf_fd = (uint32_t) prog;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI | (old >= 0 ? BPF_F_REPLACE : 0);
        attr.replace_bpf_fd = old >= 0 ? (uint32_t) old : 0;
        return sys_bpf(BPF_PROG_ATTACH, &attr);
}

static int detach(int cgfd, int prog) {
        union bpf_attr attr = {};

        attr.target_fd = (uint32_t) cgfd;
        attr.attach_bpf_fd = (uint32_t) prog;
        attr.attach_type = BPF_CGROUP_DEVICE;
        return sys_bpf(BPF_PROG_DETACH, &attr);
}

/* Detaches ours but the first, from a daemon killed between an attach and
 * a detach (never by this file's swap, which is one step). */
static void detach_extra(int cgfd, const uint32_t *ids, size_t n) {
        for (size_t i = 1; i < n; i++) {
                _cleanup_close_ int fd = open_ours(ids[i], NULL, NULL);

                if (fd >= 0)
                        (void) detach(cgfd, fd);
        }
}

int cgroup_bpf_write(const char *dir, const CgroupDevList *l) {
        _cleanup_close_ int cgfd = open_dir(dir), prog = -1, old = -1;
        _cleanup_free_ uint32_t *ids = NULL;
        size_t n = 0;
        int r;

        if (cgfd < 0)
                return cgfd;
        if ((r = query_ids(cgfd, &ids, &n)) < 0)
                return r;
        prog = load(l);
        if (prog < 0)
                return prog;
        if (n > 0 && (old = open_ours(ids[0], NULL, NULL)) < 0 && old != -ENOENT)
                return old;
        r = attach(cgfd, prog, old);
        if (r == -EINVAL && old >= 0) {
                /* a kernel before 5.6 has no BPF_F_REPLACE: the new one
                 * first, then the old one off (never a moment unfiltered) */
                r = attach(cgfd, prog, -1);
                if (r >= 0)
                        r = detach(cgfd, old);
        }
        if (r >= 0)
                detach_extra(cgfd, ids, n);
        return r;
}

int cgroup_bpf_detach(const char *dir) {
        _cleanup_close_ int cgfd = open_dir(dir);
        _cleanup_free_ uint32_t *ids = NULL;
        size_t n = 0;
        int r;

        if (cgfd < 0)
                return cgfd;
        if ((r = query_ids(cgfd, &ids, &n)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int fd = open_ours(ids[i], NULL, NULL);

                if (fd >= 0 && (r = detach(cgfd, fd)) < 0)
                        return r;
        }
        return 0;
}

int cgroup_bpf_supported(const char *dir) {
        _cleanup_close_ int cgfd = open_dir(dir), prog = -1;
        _cleanup_free_ uint32_t *ids = NULL;
        CgroupDevList none = {};
        size_t n;
        int r;

        if (cgfd < 0)
                return cgfd;
        if ((r = query_ids(cgfd, &ids, &n)) < 0)
                return r;
        prog = load(&none);
        return prog < 0 ? prog : 0;
}
