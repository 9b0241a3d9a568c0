/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A container's cgroup through the shared module (cgroup.h): named as
 * libvirt's LXC driver and systemd-machined name it, its tuning written by
 * domain-cgroup.h as for QEMU. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cpuset.h"
#include "domain-cgroup.h"
#include "domain-manager.h"
#include "error.h"
#include "log.h"
#include "lxc-cgroup.h"
#include "util.h"

/* The supervisor's exit may be seen while the kernel still tears the last
 * processes of the pid namespace down: a short wait, never long. */
#define REMOVE_TIMEOUT_MS 1000

bool lxc_cgroup_is_v2(void) {
        return cgroup_host_is_v2();
}

static char *machine_path(const Domain *d) {
        const DomainDef *def = d->live ? d->live : d->def;
        int id = d->id >= 0 ? d->id : def->id;

        return cgroup_machine_path(d->manager->paths.root, "lxc", id, def->name);
}

static int open_cgroup(const Domain *d, bool create, Cgroup **ret) {
        _cleanup_free_ char *path = machine_path(d);

        return path ? cgroup_open(path, create, ret) : -ENOMEM;
}

static CgroupController controller_of(const char *name) {
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (streq_ptr(cgroup_controller_name(c, false), name) || streq_ptr(cgroup_controller_name(c, true), name))
                        return c;
        return CGROUP_MEMORY;
}

int lxc_cgroup_path(const Domain *d, const char *controller, char **ret) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        CgroupController c = controller ? controller_of(controller) : CGROUP_MEMORY;
        int r = open_cgroup(d, false, &cg);

        if (r < 0)
                return r;
        if (!cgroup_has(cg, c))
                return -ENODEV;
        *ret = strdup(cg->dirs[c]);
        return *ret ? 0 : -ENOMEM;
}

/* libvirt's cpuset syntax ("0-3,^2") as the kernel's list ("0-1,3"). */
static int cpus_list(const char *set, char *buf, size_t size) {
        cpu_set_t s;
        size_t len = 0;

        if (cpuset_parse(set, &s) < 0 || CPU_COUNT(&s) == 0)
                return -EINVAL;
        buf[0] = 0;
        for (int i = 0; i < CPU_SETSIZE; i++) {
                int j = i;
                if (!CPU_ISSET(i, &s))
                        continue;
                while (j + 1 < CPU_SETSIZE && CPU_ISSET(j + 1, &s))
                        j++;
                len += snprintf(buf + len, len < size ? size - len : 0, j > i ? "%s%d-%d" : "%s%d", len ? "," : "",
                                i, j);
                i = j;
        }
        return len < size ? 0 : -E2BIG;
}

/* <vcpu cpuset=''>: the container's processes on those CPUs, as libvirt's
 * LXC driver puts them (not with placement='auto'). */
static int set_cpus(const Cgroup *cg, const DomainDef *def, char *msg, size_t size) {
        char list[1024];
        int r;

        if (!def->vcpu_cpuset || streq_ptr(def->vcpu_placement, "auto"))
                return 0;
        if (cpus_list(def->vcpu_cpuset, list, sizeof(list)) < 0) {
                snprintf(msg, size, "invalid cpuset '%s' of <vcpu>", def->vcpu_cpuset);
                return -EINVAL;
        }
        if (!cgroup_has(cg, CGROUP_CPUSET)) {
                snprintf(msg, size, "cannot put the container on the CPUs '%s' of <vcpu cpuset>: the host has no "
                         "cpuset cgroup controller", def->vcpu_cpuset);
                return -EOPNOTSUPP;
        }
        r = cgroup_set(cg, CGROUP_CPUSET, "cpuset.cpus", list);
        if (r < 0)
                snprintf(msg, size, "cannot put the container on the CPUs '%s' of <vcpu cpuset> (cpuset.cpus): %s",
                         def->vcpu_cpuset,
                         r == -EINVAL || r == -ERANGE ? "not CPUs this host has online" : strerror(-r));
        return r;
}

/* libvirt's LXC driver limits the container's memory to <memory> when
 * <memtune> sets no hard limit. */
static int apply_tuning(const Cgroup *cg, const DomainDef *def, char *msg, size_t size) {
        _cleanup_(domain_def_freep) DomainDef *copy = NULL;
        int r;

        if (def->memtune.hard_limit || !def->memory_kib)
                return domain_cgroup_apply(cg, def, msg, size);
        r = domain_def_copy(def, &copy);
        if (r < 0)
                return r;
        copy->memtune.hard_limit = def->memory_kib;
        if (copy->memtune.swap_hard_limit && copy->memtune.swap_hard_limit < copy->memtune.hard_limit)
                copy->memtune.hard_limit = copy->memtune.swap_hard_limit;
        return domain_cgroup_apply(cg, copy, msg, size);
}

int lxc_cgroup_apply(const Cgroup *cg, const DomainDef *def, char *msg, size_t size) {
        int r = apply_tuning(cg, def, msg, size);

        return r < 0 ? r : set_cpus(cg, def, msg, size);
}

/* The supervisor joins each distinct folder before it forks the init. A v1
 * hierarchy is joined through "tasks": the supervisor is then a single
 * thread, and moving one thread spares the wait for an RCU grace period
 * that moving a whole process ("cgroup.procs") costs. */
static int add_procs(LxcPlan *plan, const Cgroup *cg) {
        for (size_t c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                const char *file;
                bool seen = false;
                int r;

                if (!cg->dirs[c])
                        continue;
                for (size_t i = 0; i < c; i++)
                        seen = seen || (cg->dirs[i] && streq(cg->dirs[i], cg->dirs[c]));
                if (seen)
                        continue;
                file = cgroup_has_file(cg, c, "tasks") ? "tasks" : "cgroup.procs";
                if ((r = strv_consume(&plan->cgroups, path_join(cg->dirs[c], file))) < 0)
                        return r;
        }
        /* a hybrid host's cgroup2 twin, where the BPF device filter is */
        if (cgroup_bpf_dir_extra(cg))
                return strv_consume(&plan->cgroups, path_join(cg->bpf_dir, "cgroup.procs"));
        return 0;
}

int lxc_cgroup_prepare(Domain *d, LxcPlan *plan, char *msg, size_t size) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        int r = open_cgroup(d, true, &cg);

        if (r < 0)
                snprintf(msg, size, "cannot make the cgroup of '%s': %s", d->def->name, strerror(-r));
        /* the device filter (v1 controller or v2 BPF program) is written
         * here too, from d->live's devices: domain_cgroup_set_devices() */
        if (r >= 0)
                r = lxc_cgroup_apply(cg, d->live, msg, size);
        if (r >= 0)
                r = add_procs(plan, cg);
        if (r < 0)
                lxc_cgroup_remove(d);
        return r;
}

int lxc_cgroup_freeze(Domain *d, bool freeze) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        int r = open_cgroup(d, false, &cg);

        if (r < 0)
                return r;
        return lxc_cgroup_set_frozen(cg, freeze);
}

void lxc_cgroup_remove(Domain *d) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        int r;

        if (open_cgroup(d, false, &cg) < 0)
                return;
        /* what the pid namespace did not take along: a process that joined
         * the cgroup alone (libvirt's lxc-enter-namespace --cgroup does) */
        if (cgroup_is_populated(cg))
                (void) lxc_cgroup_kill_all(cg);
        r = cgroup_remove(cg, REMOVE_TIMEOUT_MS);
        if (r < 0)
                log_warning("Cannot remove the cgroup %s: %s", cg->path, strerror(-r));
}

/* --- changes while the container runs (DomainTuneOps) ---------------------- */

static int tune_part(const Cgroup *cg, DomainTuneWhat what, const DomainDef *old, const DomainDef *def, char *msg,
                     size_t size) {
        switch (what) {
        case DOMAIN_TUNE_SCHEDULER:
                return domain_cgroup_set_cputune(cg, def, msg, size);
        case DOMAIN_TUNE_MEMORY:
                return domain_cgroup_set_memtune(cg, def, msg, size);
        case DOMAIN_TUNE_BLKIO:
                return domain_cgroup_set_blkiotune(cg, old, def, msg, size);
        case DOMAIN_TUNE_NUMA:
                return domain_cgroup_set_numatune(cg, def, msg, size);
        default:
                snprintf(msg, size, "a container has no vCPU threads or disks to tune");
                return -EOPNOTSUPP;
        }
}

/* A hard limit below what the container already uses: v1 refuses it
 * (EBUSY) only after reclaiming what it can, v2 takes it and kills the
 * container's processes. Refused first, naming both figures. */
static int check_hard_limit(const Cgroup *cg, const Domain *d, const DomainDef *newlive, sd_bus_error *error) {
        uint64_t limit = newlive->memtune.hard_limit, usage = 0;

        if (!limit || limit >= DOMAIN_TUNE_MEMORY_UNLIMITED || !cgroup_has(cg, CGROUP_MEMORY) ||
            cgroup_get_u64(cg, CGROUP_MEMORY, cg->v2 ? "memory.current" : "memory.usage_in_bytes", &usage) < 0)
                return 0;
        if (limit * 1024 >= usage)
                return 0;
        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid argument: the hard_limit %" PRIu64 " KiB of '%s' "
                             "is below what the container uses now (%" PRIu64 " KiB)", limit, d->def->name,
                             (usage + 1023) / 1024);
}

/* The cgroup follows newlive at once; when the kernel refuses a value half
 * way, the old ones go back. */
static int tune_apply(Domain *d, DomainTuneWhat what, const DomainDef *old, const DomainDef *newlive, size_t index,
                      DomainTuneDoneFn done, void *userdata, sd_bus_error *error) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        char msg[512] = "", ignored[512];
        int r = open_cgroup(d, false, &cg);

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot open the cgroup of '%s': %s",
                                     d->def->name, strerror(-r));
        if (what == DOMAIN_TUNE_MEMORY && (r = check_hard_limit(cg, d, newlive, error)) < 0)
                return r;
        r = tune_part(cg, what, old, newlive, msg, sizeof(msg));
        if (r < 0) {
                (void) tune_part(cg, what, newlive, old, ignored, sizeof(ignored));
                return vb_error_setf(error, r == -EOPNOTSUPP ? VB_ERROR_OPERATION_INVALID : VB_ERROR_OPERATION_FAILED,
                                     "%s", msg);
        }
        return 0;
}

const DomainTuneOps lxc_tune_ops = {
        .apply = tune_apply,
};
