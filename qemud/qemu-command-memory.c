/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The type and properties of a RAM backend object from <memoryBacking>
 * (hugepages, source, access, allocation, discard) and a guest NUMA cell's
 * memAccess and discard, shared by the one backend of the whole RAM
 * (qemu-command-machine.c) and those of the cells (qemu-command-numa.c).
 * Pure: see qemu-command.h. */
#include <inttypes.h>

#include "qemu-command-internal.h"

bool qemu_memory_backing_needs_backend(const DomainDef *def) {
        const DomainMemoryBackingDef *mb = &def->memory_backing;

        return mb->hugepages || mb->source != DOMAIN_MEMORY_SOURCE_NONE || mb->access != DOMAIN_MEMORY_ACCESS_DEFAULT ||
               mb->allocation == DOMAIN_MEMORY_ALLOCATION_IMMEDIATE || mb->allocation_threads || mb->discard;
}

/* "TYPE,id=ID" and where the memory comes from. */
static int add_type(QemuCmd *c, OptBuf *b, const char *id, bool *ret_file) {
        const DomainMemoryBackingDef *mb = &c->def->memory_backing;

        *ret_file = false;
        if (mb->source == DOMAIN_MEMORY_SOURCE_MEMFD) {
                opt_add(b, "memory-backend-memfd,id=%s", id);
                if (mb->hugepages) {
                        opt_add(b, "hugetlb=on");
                        if (mb->n_pages > 0 && mb->pages[0].size_kib)
                                opt_add(b, "hugetlbsize=%" PRIu64 "k", mb->pages[0].size_kib);
                }
                return 0;
        }
        if (mb->hugepages || mb->source == DOMAIN_MEMORY_SOURCE_FILE) {
                const char *dir = mb->hugepages ? c->params->hugepages_dir : c->params->run_dir;

                if (!dir)
                        return cmd_fail(c, -EINVAL, "%s asked but the driver gave no directory for the guest's RAM",
                                        mb->hugepages ? "hugepages" : "<memoryBacking><source type='file'/>");
                /* a directory: QEMU makes an unlinked file in it */
                opt_add(b, "memory-backend-file,id=%s", id);
                opt_add_str(b, "mem-path", dir);
                *ret_file = true;
                return 0;
        }
        opt_add(b, "memory-backend-ram,id=%s", id);
        return 0;
}

int qemu_memory_backend_start(QemuCmd *c, OptBuf *b, const char *id, const DomainNumaCell *cell) {
        const DomainMemoryBackingDef *mb = &c->def->memory_backing;
        DomainMemoryAccess access = cell && cell->mem_access ? cell->mem_access : mb->access;
        bool discard = cell && cell->discard != TRISTATE_ABSENT ? cell->discard == TRISTATE_ON : mb->discard;
        bool file;
        int r;

        r = add_type(c, b, id, &file);
        if (r < 0)
                return r;
        /* a guest must not find its hugepages gone at run time */
        if (mb->hugepages || mb->allocation == DOMAIN_MEMORY_ALLOCATION_IMMEDIATE)
                opt_add(b, "prealloc=on");
        if (mb->allocation_threads)
                opt_add(b, "prealloc-threads=%u", mb->allocation_threads);
        if (access != DOMAIN_MEMORY_ACCESS_DEFAULT)
                opt_add_bool(b, "share", access == DOMAIN_MEMORY_ACCESS_SHARED);
        /* discard-data is the file backend's own, as libvirt gives it */
        if (discard && file)
                opt_add(b, "discard-data=on");
        return 0;
}
