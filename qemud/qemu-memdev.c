/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <devices><memory>: define-time rules and what qemud writes into the
 * definition (qemu-memdev.h). */
#include <inttypes.h>

#include "qemu-memdev.h"
#include "util.h"
#include "xml-util.h"

#define NVDIMM_LABEL_MIN_KIB 128

static const char *model_name(const DomainMemoryDef *m) {
        return domain_memory_model_to_string(m->model) ?: "?";
}

static bool in_slot(const DomainMemoryDef *m) {
        return m->model == DOMAIN_MEMORY_DIMM || m->model == DOMAIN_MEMORY_NVDIMM;
}

static int validate_virtio_mem(const DomainMemoryDef *m, size_t i, ConfError *err) {
        if (!m->block_kib || (m->block_kib & (m->block_kib - 1)))
                return xml_err_xml(err, "memory device %zu: virtio-mem needs a <target><block> that is a power "
                                   "of two", i);
        if (m->size_kib % m->block_kib)
                return xml_err_unsupported(err, "memory device %zu: virtio-mem device size must be multiple of "
                                           "block size", i);
        if (m->requested_kib % m->block_kib)
                return xml_err_unsupported(err, "memory device %zu: requested size must be an integer multiple "
                                           "of block size", i);
        if (m->requested_kib > m->size_kib)
                return xml_err_unsupported(err, "memory device %zu: requested size must be smaller than or equal "
                                           "to @size", i);
        return 0;
}

static int validate_one(const DomainDef *def, const DomainMemoryDef *m, size_t i, ConfError *err) {
        /* an EPC section sits in -machine, not on a bus; whether the host
         * has SGX is asked at start (qemu-sgx.c) */
        if (m->model == DOMAIN_MEMORY_SGX_EPC && (m->addr.type != DOMAIN_ADDRESS_NONE || m->has_dimm_slot ||
                                                  m->has_dimm_base))
                return xml_err_unsupported(err, "memory device address is not supported for model 'sgx-epc'");
        if (!def->max_memory_kib)
                return xml_err_unsupported(err, "cannot use/hotplug a memory device when domain 'maxMemory' is "
                                           "not defined (memory device %zu, model '%s')", i, model_name(m));
        if (m->node >= 0 && (size_t) m->node >= def->cpu.n_cells)
                return xml_err_unsupported(err, "can't add memory backend for guest node '%d' as the guest has "
                                           "only '%zu' NUMA nodes configured", m->node, def->cpu.n_cells);
        if (m->size_kib == 0)
                return xml_err_invalid(err, "memory device %zu: <target><size> must be more than 0", i);
        if (m->has_dimm_slot && m->dimm_slot >= def->max_memory_slots)
                return xml_err_invalid(err, "memory device slot '%u' exceeds slots count '%u'", m->dimm_slot,
                                       def->max_memory_slots);
        if ((m->model == DOMAIN_MEMORY_NVDIMM || m->model == DOMAIN_MEMORY_VIRTIO_PMEM) && !m->path)
                return xml_err_xml(err, "memory device %zu: model '%s' needs <source><path>", i, model_name(m));
        if (m->label_kib && m->label_kib < NVDIMM_LABEL_MIN_KIB)
                return xml_err_xml(err, "nvdimm label must be at least 128KiB (memory device %zu)", i);
        if (m->label_kib && m->label_kib >= m->size_kib)
                return xml_err_xml(err, "label size must be smaller than NVDIMM size (memory device %zu)", i);
        if (m->model == DOMAIN_MEMORY_VIRTIO_MEM)
                return validate_virtio_mem(m, i, err);
        return 0;
}

int qemu_memdev_validate(const DomainDef *def, ConfError *err) {
        size_t in_slots = 0;
        uint64_t total = 0;

        for (size_t i = 0; i < def->n_mems; i++) {
                const DomainMemoryDef *m = &def->mems[i];
                int r = validate_one(def, m, i, err);

                if (r < 0)
                        return r;
                in_slots += in_slot(m);
                total += m->size_kib;
                for (size_t j = 0; j < i; j++)
                        if (m->has_dimm_slot && def->mems[j].has_dimm_slot && def->mems[j].dimm_slot == m->dimm_slot)
                                return xml_err_invalid(err, "memory device slot '%u' is already being used by "
                                                       "another memory device", m->dimm_slot);
        }
        if (in_slots > def->max_memory_slots)
                return xml_err_unsupported(err, "%zu dimm and nvdimm devices need more than the %u slots of "
                                           "<maxMemory>", in_slots, def->max_memory_slots);
        if (def->n_mems && total > def->max_memory_kib)
                return xml_err_unsupported(err, "the memory devices (%" PRIu64 " KiB) exceed <maxMemory> of %"
                                           PRIu64 " KiB", total, def->max_memory_kib);
        return 0;
}

uint64_t qemu_memdev_initial_kib(const DomainDef *def) {
        uint64_t devs = domain_memory_devices_total(def);

        return def->memory_kib > devs ? def->memory_kib - devs : 0;
}

void qemu_memdev_assign_slots(DomainDef *def) {
        for (size_t i = 0; i < def->n_mems; i++) {
                DomainMemoryDef *m = &def->mems[i];
                unsigned slot = 0;
                bool taken = true;

                if (!in_slot(m) || m->has_dimm_slot)
                        continue;
                for (; taken; slot += taken) {
                        taken = false;
                        for (size_t j = 0; j < def->n_mems && !taken; j++)
                                taken = def->mems[j].has_dimm_slot && def->mems[j].dimm_slot == slot;
                }
                m->has_dimm_slot = true;
                m->dimm_slot = slot;
        }
}

void qemu_memdev_post_parse(DomainDef *def) {
        uint64_t cells = 0;

        if (def->n_mems == 0)
                return;
        for (size_t i = 0; i < def->cpu.n_cells; i++)
                cells += def->cpu.cells[i].memory_kib;
        if (cells) {
                def->memory_kib = cells + domain_memory_devices_total(def);
                if (def->current_memory_kib > def->memory_kib)
                        def->current_memory_kib = def->memory_kib;
        }
}
