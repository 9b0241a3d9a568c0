/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <devices><memory> on QEMU's command line, as libvirt puts it: a RAM
 * backend object "mem" ALIAS and the device ALIAS on it:
 *   dimm         memory-backend-ram (file in the hugetlbfs directory with a
 *                <pagesize> or <hugepages/>, file ALIAS in the guest's memory
 *                directory with an access mode), pc-dimm with node, slot, addr
 *   nvdimm       memory-backend-file on <path> (pmem, align), nvdimm with
 *                label-size, unarmed for <readonly/>; -machine nvdimm=on
 *   virtio-pmem  memory-backend-file on <path>, virtio-pmem-pci
 *   virtio-mem   memory-backend-ram with reserve=false, virtio-mem-pci with
 *                node, block-size, requested-size
 *   sgx-epc      memory-backend-epc (preallocated, as libvirt), no device:
 *                -machine sgx-epc.N.memdev=,sgx-epc.N.node= (N counts
 *                the EPC sections; node 0 when not given); not hot-pluggable
 * The aliases are "dimmN", "nvdimmN", "virtiopmemN", "virtiomemN" with N
 * the device's place in def->mems. The same objects are the arguments of
 * object-add and device_add for a hot-plug. */
#include <inttypes.h>

#include "qemu-command-internal.h"
#include "util.h"

static const char *const prefixes[_DOMAIN_MEMORY_MODEL_MAX] = {
        [DOMAIN_MEMORY_DIMM] = "dimm",
        [DOMAIN_MEMORY_NVDIMM] = "nvdimm",
        [DOMAIN_MEMORY_VIRTIO_PMEM] = "virtiopmem",
        [DOMAIN_MEMORY_VIRTIO_MEM] = "virtiomem",
        [DOMAIN_MEMORY_SGX_EPC] = "epc",
};

static void alias_of(const DomainDef *def, size_t i, char *buf, size_t size) {
        snprintf(buf, size, "%s%zu", prefixes[def->mems[i].model], i);
}

/* A live device keeps the alias it was plugged with: after a detach the
 * positions no longer tell them (qemu-hotplug-memory.c). */
static void live_alias_of(const DomainDef *def, size_t i, char *buf, size_t size) {
        if (def->mems[i].alias)
                snprintf(buf, size, "%s", def->mems[i].alias);
        else
                alias_of(def, i, buf, size);
}

const char *qemu_memdev_alias_prefix(DomainMemoryModel m) {
        return (size_t) m < ELEMENTSOF(prefixes) ? prefixes[m] : NULL;
}

int qemu_memdev_assign_aliases(DomainDef *def) {
        for (size_t i = 0; i < def->n_mems; i++) {
                char a[256], *s;

                alias_of(def, i, a, sizeof(a));
                s = strdup(a);
                if (!s)
                        return -ENOMEM;
                qemu_set_alias(&def->mems[i].alias, s);
        }
        return 0;
}

/* The EPC sections of <memory model='sgx-epc'>, on -machine. */
void qemu_memdev_sgx_machine_opts(const DomainDef *def, OptBuf *b) {
        unsigned n = 0;

        for (size_t i = 0; i < def->n_mems; i++) {
                const DomainMemoryDef *m = &def->mems[i];
                char alias[256];

                if (m->model != DOMAIN_MEMORY_SGX_EPC)
                        continue;
                live_alias_of(def, i, alias, sizeof(alias));
                opt_add(b, "sgx-epc.%u.memdev=mem%s,sgx-epc.%u.node=%d", n, alias, n, m->node >= 0 ? m->node : 0);
                n++;
        }
}

bool qemu_memdev_has_nvdimm(const DomainDef *def) {
        for (size_t i = 0; i < def->n_mems; i++)
                if (def->mems[i].model == DOMAIN_MEMORY_NVDIMM)
                        return true;
        return false;
}

/* "host-nodes": [0, 1] of a cpuset string. */
static int host_nodes(const char *set, json_object **ret) {
        json_object *a = json_object_new_array();
        const char *p = set;

        while (a && *p) {
                char *end;
                unsigned long lo = strtoul(p, &end, 10), hi = lo;

                if (end == p)
                        break;
                if (*end == '-')
                        hi = strtoul(end + 1, &end, 10);
                for (unsigned long n = lo; n <= hi && n < 1024; n++)
                        json_object_array_add(a, json_object_new_int64((int64_t) n));
                p = *end == ',' ? end + 1 : end;
        }
        *ret = a;
        return a ? 0 : -ENOMEM;
}

bool qemu_memdev_wants_dir_file(const DomainDef *def, const DomainMemoryDef *m) {
        const DomainMemoryBackingDef *mb = &def->memory_backing;

        if (m->model != DOMAIN_MEMORY_DIMM && m->model != DOMAIN_MEMORY_VIRTIO_MEM)
                return false;
        if (m->pagesize_kib || mb->hugepages || mb->source == DOMAIN_MEMORY_SOURCE_MEMFD)
                return false;
        return qemu_memory_wants_file(def, qemu_memory_access(def, m->access, m->node));
}

/* The backend type and where its memory comes from, as libvirt's
 * qemuBuildMemoryBackendProps: a file of the guest's memory directory
 * for an access mode or <source type='file'>, named after the device's
 * alias. Without a directory (a hot-plug's props) anonymous RAM, which
 * qemu_memory_dir_plug() turns into the file. */
static int backend_new(QemuCmd *c, const DomainMemoryDef *m, const char *alias, json_object **ret) {
        const DomainMemoryBackingDef *mb = &c->def->memory_backing;
        bool file_model = m->model == DOMAIN_MEMORY_NVDIMM || m->model == DOMAIN_MEMORY_VIRTIO_PMEM;
        bool huge = m->pagesize_kib || mb->hugepages;
        _cleanup_free_ char *path = NULL;
        json_object *o;
        char id[260];

        snprintf(id, sizeof(id), "mem%s", alias);
        if (m->model == DOMAIN_MEMORY_SGX_EPC) {
                /* the host's SGX enclave page cache, all of it taken at start */
                o = props_new("qom-type", "memory-backend-epc");
                prop_str(&o, "id", id);
                prop_bool(&o, "prealloc", true);
                *ret = o;
                return 0;
        } else if (file_model) {
                o = props_new("qom-type", "memory-backend-file");
                prop_str(&o, "id", id);
                prop_str(&o, "mem-path", m->path);
        } else if (mb->source == DOMAIN_MEMORY_SOURCE_MEMFD) {
                o = props_new("qom-type", "memory-backend-memfd");
                prop_str(&o, "id", id);
                if (huge)
                        prop_bool(&o, "hugetlb", true);
                if (m->pagesize_kib)
                        prop_int(&o, "hugetlbsize", (int64_t) (m->pagesize_kib << 10));
        } else if (huge) {
                if (!c->params->hugepages_dir)
                        return cmd_fail(c, -EINVAL, "memory device %s: the driver gave no hugetlbfs directory",
                                        id);
                o = props_new("qom-type", "memory-backend-file");
                prop_str(&o, "id", id);
                prop_str(&o, "mem-path", c->params->hugepages_dir);
        } else if (qemu_memdev_wants_dir_file(c->def, m) && c->params->memory_dir) {
                int r = qemu_memory_file_path(c, alias, &path);

                if (r < 0)
                        return r;
                o = props_new("qom-type", "memory-backend-file");
                prop_str(&o, "id", id);
                prop_str(&o, "mem-path", path);
        } else {
                o = props_new("qom-type", "memory-backend-ram");
                prop_str(&o, "id", id);
        }
        if (huge && !file_model)
                prop_bool(&o, "prealloc", true);
        *ret = o;
        return 0;
}

static int build_backend(QemuCmd *c, const DomainMemoryDef *m, const char *alias) {
        DomainMemoryAccess access = qemu_memory_access(c->def, m->access, m->node);
        Tristate discard = qemu_memory_discard(c->def, m->discard, m->node);
        bool file_model = m->model == DOMAIN_MEMORY_NVDIMM || m->model == DOMAIN_MEMORY_VIRTIO_PMEM;
        json_object *o = NULL, *nodes = NULL;
        int r;

        r = backend_new(c, m, alias, &o);
        if (r < 0)
                return r;
        prop_int(&o, "size", (int64_t) (m->size_kib << 10));
        if (access != DOMAIN_MEMORY_ACCESS_DEFAULT)
                prop_bool(&o, "share", access == DOMAIN_MEMORY_ACCESS_SHARED);
        if (m->model == DOMAIN_MEMORY_VIRTIO_MEM)
                prop_bool(&o, "reserve", false);
        if (m->alignsize_kib)
                prop_int(&o, "align", (int64_t) (m->alignsize_kib << 10));
        if (m->pmem)
                prop_bool(&o, "pmem", true);
        /* a file libvirt made up, not the device's own <path> */
        if (discard != TRISTATE_ABSENT && !file_model && json_object_object_get_ex(o, "mem-path", NULL))
                prop_bool(&o, "discard-data", discard == TRISTATE_ON);
        if (m->nodemask) {
                r = host_nodes(m->nodemask, &nodes);
                if (r < 0) {
                        qemu_json_putp(&o);
                        return r;
                }
                prop_take(&o, "host-nodes", nodes);
                prop_str(&o, "policy", "bind");
        }
        return cmd_object(c, o);
}

static int build_device(QemuCmd *c, const DomainMemoryDef *m, const char *alias, json_object **ret) {
        json_object *o = NULL;
        int r = 0;

        switch (m->model) {
        case DOMAIN_MEMORY_DIMM:
        case DOMAIN_MEMORY_NVDIMM:
                /* libvirt defines it; QEMU refuses to start it, in its own words */
                if (!c->def->features.acpi)
                        return cmd_fail(c, -EOPNOTSUPP, "%s: a DIMM needs <features><acpi/>: QEMU plugs memory "
                                        "modules through ACPI", alias);
                o = dev_new(m->model == DOMAIN_MEMORY_DIMM ? "pc-dimm" : "nvdimm", alias);
                break;
        case DOMAIN_MEMORY_VIRTIO_PMEM:
                r = qemu_pci_device_new(c, &m->addr, alias, "virtio-pmem-pci", alias, &o);
                break;
        case DOMAIN_MEMORY_VIRTIO_MEM:
                r = qemu_pci_device_new(c, &m->addr, alias, "virtio-mem-pci", alias, &o);
                break;
        default:
                return cmd_fail(c, -EOPNOTSUPP, "%s: memory model '%s' is not supported", alias,
                                domain_memory_model_to_string(m->model) ?: "?");
        }
        if (r < 0)
                return r;
        if (m->node >= 0)
                prop_int(&o, "node", m->node);
        if (m->label_kib)
                prop_int(&o, "label-size", (int64_t) (m->label_kib << 10));
        if (m->readonly)
                prop_bool(&o, "unarmed", true);
        if (m->block_kib)
                prop_int(&o, "block-size", (int64_t) (m->block_kib << 10));
        if (m->model == DOMAIN_MEMORY_VIRTIO_MEM)
                prop_int(&o, "requested-size", (int64_t) (m->requested_kib << 10));
        prop_strf(&o, "memdev", "mem%s", alias);
        if (m->has_dimm_slot)
                prop_int(&o, "slot", m->dimm_slot);
        if (m->has_dimm_base)
                prop_int(&o, "addr", (int64_t) m->dimm_base);
        *ret = o;
        return 0;
}

int qemu_build_memdevs(QemuCmd *c) {
        static const char *const drivers[_DOMAIN_MEMORY_MODEL_MAX] = {
                [DOMAIN_MEMORY_DIMM] = "pc-dimm",
                [DOMAIN_MEMORY_NVDIMM] = "nvdimm",
                [DOMAIN_MEMORY_VIRTIO_PMEM] = "virtio-pmem-pci",
                [DOMAIN_MEMORY_VIRTIO_MEM] = "virtio-mem-pci",
        };

        for (size_t i = 0; i < c->def->n_mems; i++) {
                const DomainMemoryDef *m = &c->def->mems[i];
                json_object *o = NULL;
                char alias[256];
                int r;

                cmd_at(c, QEMU_DEVICE_MEMORY, i);
                live_alias_of(c->def, i, alias, sizeof(alias));
                r = drivers[m->model] ? cmd_need_device(c, drivers[m->model]) : 0;
                if (r >= 0)
                        r = build_backend(c, m, alias);
                if (r < 0)
                        return r;
                if (m->model == DOMAIN_MEMORY_SGX_EPC)
                        continue;
                r = build_device(c, m, alias, &o);
                if (r >= 0)
                        r = cmd_device(c, o);
                if (r < 0)
                        return r;
        }
        return 0;
}
