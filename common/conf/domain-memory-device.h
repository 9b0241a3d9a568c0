/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Included by domain-conf.h (after DomainDeviceAddress and
 * DomainMemoryAccess); include that one. */

/* <devices><memory model=''>: RAM added to the guest beside its initial
 * memory (part of domain-conf.h; parse and format in
 * domain-memory-device.c). dimm and nvdimm sit in a DIMM slot
 * (<address type='dimm' slot='' base=''/>), virtio-mem and virtio-pmem are
 * PCI devices. <memory> of the domain counts them: with guest NUMA cells it
 * is the cells' memory plus these sizes (libvirt's rule, see
 * domain_memory_devices_total()). */

#include <stdbool.h>
#include <stdint.h>

typedef enum DomainMemoryModel {
        DOMAIN_MEMORY_DIMM,
        DOMAIN_MEMORY_NVDIMM,
        DOMAIN_MEMORY_VIRTIO_PMEM,
        DOMAIN_MEMORY_VIRTIO_MEM,
        DOMAIN_MEMORY_SGX_EPC,
        _DOMAIN_MEMORY_MODEL_MAX,
} DomainMemoryModel;

typedef struct DomainMemoryDef {
        DomainMemoryModel model;
        DomainMemoryAccess access;      /* access='shared|private' */
        Tristate discard;               /* discard='yes|no' */

        /* <source> */
        uint64_t pagesize_kib;          /* <pagesize>: 0 = none */
        char *nodemask;                 /* <nodemask>: host nodes, cpuset syntax */
        char *path;                     /* <path>: nvdimm, virtio-pmem */
        uint64_t alignsize_kib;         /* <alignsize>: nvdimm */
        bool pmem;                      /* <pmem/>: nvdimm */

        /* <target> */
        uint64_t size_kib;
        int node;                       /* <node>: -1 = none */
        uint64_t label_kib;             /* <label><size>: nvdimm, 0 = none */
        bool readonly;                  /* <readonly/>: nvdimm */
        uint64_t block_kib;             /* <block>: virtio-mem */
        uint64_t requested_kib;         /* <requested>: virtio-mem */
        uint64_t current_kib;           /* <current>: virtio-mem, live only */

        /* <address type='dimm' slot='' base=''/> (dimm, nvdimm) */
        bool has_dimm_slot, has_dimm_base;
        unsigned dimm_slot;
        uint64_t dimm_base;
        DomainDeviceAddress addr;       /* pci (virtio-mem, virtio-pmem); NONE: not given */
        char *alias;                    /* live */
} DomainMemoryDef;

const char *domain_memory_model_to_string(DomainMemoryModel m);
