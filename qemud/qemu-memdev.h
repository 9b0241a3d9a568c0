/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <devices><memory> in a QEMU guest (the model: common/conf/
 * domain-memory-device.c; the command line: qemu-command-memdev.c).
 *
 * qemu_memdev_validate(): libvirt's define-time rules, each refused naming
 * the device: a memory device needs <maxMemory> (and so guest NUMA cells),
 * a <node> the guest has, a DIMM slot below slots='' and not taken twice,
 * dimm and nvdimm together at most slots='' many, all of them within
 * <maxMemory>; nvdimm and virtio-pmem a <path>; an nvdimm label of at least
 * 128 KiB; virtio-mem a <block> (a power of two) and <requested>, size and
 * requested multiples of the block, requested at most the size; sgx-epc is
 * refused (qemud does not probe the host's SGX).
 *
 * qemu_memdev_post_parse(): with guest NUMA cells <memory> is the cells'
 * memory plus the devices' (libvirt writes it so). */

#include "domain-conf.h"

int qemu_memdev_validate(const DomainDef *def, ConfError *err);
void qemu_memdev_post_parse(DomainDef *def);
/* Each dimm and nvdimm without a slot gets the lowest free one (called by
 * qemu_domain_assign_addresses()). */
void qemu_memdev_assign_slots(DomainDef *def);
/* The guest's initial RAM: <memory> less the memory devices. */
uint64_t qemu_memdev_initial_kib(const DomainDef *def);
