/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <devices><memory>: parsed, formatted (schema-valid, the same after a
 * second parse), libvirt's define-time rules (qemu_memdev_validate()
 * through qemu_validate_def()), and what define writes: <memory> as the
 * cells plus the devices, DIMM slots, PCI addresses of virtio-mem/pmem. */

#include "domain-test.h"
#include "qemu-address.h"
#include "qemu-resources.h"
#include "qemu-validate.h"
#include "qemu-refuse-test.h"

#define TOP "<maxMemory slots='4' unit='GiB'>4</maxMemory><features><acpi/></features>" \
            "<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0' memory='128' unit='MiB'/>"   \
            "<cell id='1' cpus='1' memory='128' unit='MiB'/></numa></cpu>"
#define DIMM(extra, target) "<memory model='dimm'>" extra "<target><size unit='MiB'>128</size>" target \
                            "</target></memory>"

#define MEM_REFUSED(top, devices, name, needle) QEMU_REFUSED(top, devices, name, needle)

static void test_rules(void) {
        MEM_REFUSED(NULL, DIMM("", ""), VB_ERROR_NOT_SUPPORTED, "'maxMemory' is not defined");
        MEM_REFUSED(TOP, DIMM("", "<node>2</node>"), VB_ERROR_NOT_SUPPORTED,
                    "can't add memory backend for guest node '2' as the guest has only '2' NUMA nodes configured");
        MEM_REFUSED(TOP, DIMM("<address type='dimm' slot='4'/>", ""), VB_ERROR_INVALID_ARG,
                    "memory device slot '4' exceeds slots count '4'");
        MEM_REFUSED(TOP, DIMM("<address type='dimm' slot='1'/>", "") DIMM("<address type='dimm' slot='1'/>", ""),
                    VB_ERROR_INVALID_ARG, "memory device slot '1' is already being used");
        MEM_REFUSED(TOP, DIMM("", "") DIMM("", "") DIMM("", "") DIMM("", "") DIMM("", ""), VB_ERROR_NOT_SUPPORTED,
                    "5 dimm and nvdimm devices need more than the 4 slots");
        MEM_REFUSED(TOP, "<memory model='nvdimm'><target><size unit='MiB'>64</size></target></memory>",
                    VB_ERROR_XML, "model 'nvdimm' needs <source><path>");
        MEM_REFUSED(TOP, "<memory model='nvdimm'><source><path>/x</path></source><target><size unit='MiB'>64</size>"
                    "<label><size unit='KiB'>64</size></label></target></memory>", VB_ERROR_XML,
                    "nvdimm label must be at least 128KiB");
        MEM_REFUSED(TOP, "<memory model='virtio-mem'><target><size unit='MiB'>64</size><block unit='KiB'>3000</block>"
                    "<requested unit='MiB'>0</requested></target></memory>", VB_ERROR_XML, "a power of two");
        MEM_REFUSED(TOP, "<memory model='virtio-mem'><target><size unit='MiB'>64</size><block unit='KiB'>2048</block>"
                    "<requested unit='KiB'>1024</requested></target></memory>", VB_ERROR_NOT_SUPPORTED,
                    "requested size must be an integer multiple of block size");
        MEM_REFUSED(TOP, "<memory model='sgx-epc'><target><size unit='MiB'>64</size></target>"
                    "<address type='dimm' slot='1'/></memory>",
                    VB_ERROR_NOT_SUPPORTED, "address type 'dimm' of <devices/memory/address> is not supported");
        MEM_REFUSED(NULL, "<memory model='sgx-epc'><target><size unit='MiB'>64</size></target></memory>",
                    VB_ERROR_NOT_SUPPORTED, "'maxMemory' is not defined");
        /* the model's own refusals: what another model has */
        check_refused("<domain type='kvm'><name>t</name><memory>65536</memory><os><type>hvm</type></os><devices>"
                      "<memory model='dimm'><source><path>/x</path></source><target><size>1024</size></target>"
                      "</memory></devices></domain>", VB_ERROR_NOT_SUPPORTED,
                      "element <devices/memory/source/path> is not supported");
}

static void test_define(void) {
        _cleanup_free_ char *xml = domain_with(TOP, DIMM("", "<node>0</node>") DIMM("<address type='dimm' slot='0'/>", "")
                "<memory model='virtio-mem'><target><size unit='MiB'>128</size><node>1</node>"
                "<block unit='KiB'>2048</block><requested unit='MiB'>64</requested></target></memory>"
                "<memory model='virtio-pmem' access='shared'><source><path>/srv/pmem</path></source>"
                "<target><size unit='MiB'>32</size></target></memory>");
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "memory devices"), *again = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;
        xmlRelaxNGPtr schema = load_schema();
        ConfError err = {};

        if (!def)
                return;
        CHECK(domain_def_validate(def, &err) == 0 && qemu_validate_def(def, &err) == 0);
        qemu_resources_post_parse(def);
        CHECK(qemu_domain_assign_addresses(def, &err) == 0);
        CHECK(domain_def_validate(def, &err) == 0);
        /* the cells (256 MiB) and the devices (416 MiB) */
        CHECK_INTEQ(def->memory_kib, (256 + 416) << 10);
        CHECK(def->mems[0].has_dimm_slot && def->mems[0].dimm_slot == 1);
        CHECK(def->mems[1].has_dimm_slot && def->mems[1].dimm_slot == 0);
        CHECK_INTEQ(def->mems[2].addr.type, DOMAIN_ADDRESS_PCI);
        CHECK_INTEQ(def->mems[3].addr.type, DOMAIN_ADDRESS_PCI);
        CHECK(!def->mems[0].addr.type);
        a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        again = a ? parse_ok(a, "formatted") : NULL;
        b = again ? format_ok(again, DOMAIN_FORMAT_INACTIVE) : NULL;
        CHECK(a && b && streq(a, b));
        CHECK_CONTAINS(a, "<address type='dimm' slot='1'/>");
        CHECK_CONTAINS(a, "<block unit='KiB'>2048</block>");
        if (schema && a)
                CHECK(schema_valid(schema, a));
}

UNIT_TESTS(test_rules, test_define)
