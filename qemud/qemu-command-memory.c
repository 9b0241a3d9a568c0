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

static const DomainNumaCell *cell_of(const DomainDef *def, int node) {
        for (size_t i = 0; node >= 0 && i < def->cpu.n_cells; i++)
                if (def->cpu.cells[i].id == (unsigned) node)
                        return &def->cpu.cells[i];
        return NULL;
}

DomainMemoryAccess qemu_memory_access(const DomainDef *def, DomainMemoryAccess own, int node) {
        const DomainNumaCell *cell = cell_of(def, node);

        if (own == DOMAIN_MEMORY_ACCESS_DEFAULT && cell)
                own = cell->mem_access;
        return own != DOMAIN_MEMORY_ACCESS_DEFAULT ? own : def->memory_backing.access;
}

Tristate qemu_memory_discard(const DomainDef *def, Tristate own, int node) {
        const DomainNumaCell *cell = cell_of(def, node);

        if (own == TRISTATE_ABSENT && cell)
                own = cell->discard;
        if (own == TRISTATE_ABSENT && def->memory_backing.discard)
                own = TRISTATE_ON;
        return own;
}

bool qemu_memory_wants_file(const DomainDef *def, DomainMemoryAccess access) {
        return access != DOMAIN_MEMORY_ACCESS_DEFAULT || def->memory_backing.source == DOMAIN_MEMORY_SOURCE_FILE;
}

int qemu_memory_file_path(QemuCmd *c, const char *alias, char **ret) {
        if (!c->params->memory_dir)
                return cmd_fail(c, -EINVAL, "RAM backend %s must be a file, but the driver gave no memory backing "
                                "directory", alias);
        if (asprintf(ret, "%s/%s", c->params->memory_dir, alias) < 0)
                return -ENOMEM;
        return 0;
}

/* "TYPE,id=ID" and where the memory comes from: memfd, else a file (in
 * hugetlbfs, or the guest's memory directory for shared or private access
 * or <source type='file'>, as libvirt's: a vhost-user back end maps it),
 * else anonymous RAM. */
static int add_type(QemuCmd *c, OptBuf *b, const char *id, DomainMemoryAccess access, bool *ret_file) {
        const DomainMemoryBackingDef *mb = &c->def->memory_backing;
        _cleanup_free_ char *path = NULL;
        int r;

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
        if (mb->hugepages) {
                if (!c->params->hugepages_dir)
                        return cmd_fail(c, -EINVAL, "hugepages asked but the driver gave no directory for the "
                                        "guest's RAM");
                /* a directory: QEMU makes an unlinked file in it */
                opt_add(b, "memory-backend-file,id=%s", id);
                opt_add_str(b, "mem-path", c->params->hugepages_dir);
                *ret_file = true;
                return 0;
        }
        if (qemu_memory_wants_file(c->def, access)) {
                r = qemu_memory_file_path(c, id, &path);
                if (r < 0)
                        return r;
                opt_add(b, "memory-backend-file,id=%s", id);
                opt_add_str(b, "mem-path", path);
                *ret_file = true;
                return 0;
        }
        opt_add(b, "memory-backend-ram,id=%s", id);
        return 0;
}

int qemu_memory_backend_start(QemuCmd *c, OptBuf *b, const char *id, const DomainNumaCell *cell) {
        const DomainMemoryBackingDef *mb = &c->def->memory_backing;
        int node = cell ? (int) cell->id : -1;
        DomainMemoryAccess access = qemu_memory_access(c->def, DOMAIN_MEMORY_ACCESS_DEFAULT, node);
        Tristate discard = qemu_memory_discard(c->def, TRISTATE_ABSENT, node);
        bool file;
        int r;

        r = add_type(c, b, id, access, &file);
        if (r < 0)
                return r;
        /* a guest must not find its hugepages gone at run time */
        if (mb->hugepages || mb->allocation == DOMAIN_MEMORY_ALLOCATION_IMMEDIATE)
                opt_add(b, "prealloc=on");
        if (mb->allocation_threads)
                opt_add(b, "prealloc-threads=%u", mb->allocation_threads);
        if (access != DOMAIN_MEMORY_ACCESS_DEFAULT)
                opt_add_bool(b, "share", access == DOMAIN_MEMORY_ACCESS_SHARED);
        /* discard-data is the file backend's own, as libvirt gives it: on or off when asked */
        if (discard != TRISTATE_ABSENT && file)
                opt_add_bool(b, "discard-data", discard == TRISTATE_ON);
        /* The whole RAM in a file or memfd keeps the RAM block name "pc.ram"
         * of QEMU's own default backend (-m alone), as libvirt's: a guest
         * migrates between the two kinds of command line. */
        if (!cell && (file || mb->source == DOMAIN_MEMORY_SOURCE_MEMFD))
                opt_add(b, "x-use-canonical-path-for-ramblock-id=off");
        return 0;
}
