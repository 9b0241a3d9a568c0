/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <devices><memory>: dimm, nvdimm, virtio-pmem, virtio-mem (and sgx-epc,
 * which the model holds and qemud refuses), parsed and formatted back
 * (domain-memory-device.h). What each model may have is libvirt's schema:
 * a child another model has is refused naming it. */
#include <inttypes.h>

#include "domain-conf-internal.h"
#include "util.h"

static const char *const model_table[_DOMAIN_MEMORY_MODEL_MAX] = {
        [DOMAIN_MEMORY_DIMM] = "dimm",
        [DOMAIN_MEMORY_NVDIMM] = "nvdimm",
        [DOMAIN_MEMORY_VIRTIO_PMEM] = "virtio-pmem",
        [DOMAIN_MEMORY_VIRTIO_MEM] = "virtio-mem",
        [DOMAIN_MEMORY_SGX_EPC] = "sgx-epc",
};

const char *domain_memory_model_to_string(DomainMemoryModel m) {
        return (size_t) m < ELEMENTSOF(model_table) ? model_table[m] : NULL;
}

static bool is_dimm(const DomainMemoryDef *m) {
        return m->model == DOMAIN_MEMORY_DIMM || m->model == DOMAIN_MEMORY_NVDIMM;
}

static int parse_kib(xmlNodePtr c, const char *path, uint64_t *ret, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, "unit");
        if (r >= 0)
                r = xml_text_scaled_kib(c, path, ret, err);
        if (r == 0)
                return xml_err_xml(err, "empty <%s>", path);
        return r < 0 ? r : 0;
}

static int parse_flag(bool *flag, xmlNodePtr c, const char *path, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, NULL);
        if (r >= 0)
                r = xml_check_empty(c, path, err);
        *flag = r >= 0;
        return r < 0 ? r : 0;
}

static int parse_text(char **ret, xmlNodePtr c, const char *path, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, NULL);
        if (r >= 0)
                r = xml_text(c, path, ret, err);
        if (r == 0 || (r > 0 && !**ret))
                return xml_err_xml(err, "empty <%s>", path);
        if (r > 0)
                str_strip(*ret);
        return r < 0 ? r : 0;
}

static int parse_source(DomainMemoryDef *m, xmlNodePtr n, const char *path, ConfError *err) {
        bool file = m->model == DOMAIN_MEMORY_NVDIMM || m->model == DOMAIN_MEMORY_VIRTIO_PMEM;
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "pagesize") && !file)
                        r = parse_kib(c, sub, &m->pagesize_kib, err);
                else if (xml_is(c, "nodemask") && !file) {
                        r = parse_text(&m->nodemask, c, sub, err);
                        if (r >= 0)
                                r = domain_check_cpuset(m->nodemask, "host nodes", sub, err);
                } else if (xml_is(c, "path") && file) {
                        r = parse_text(&m->path, c, sub, err);
                        if (r >= 0)
                                r = domain_check_abs_path(m->path, "the file of", sub, err);
                } else if (xml_is(c, "alignsize") && m->model == DOMAIN_MEMORY_NVDIMM)
                        r = parse_kib(c, sub, &m->alignsize_kib, err);
                else if (xml_is(c, "pmem") && m->model == DOMAIN_MEMORY_NVDIMM)
                        r = parse_flag(&m->pmem, c, sub, err);
                else
                        return xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_label(DomainMemoryDef *m, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);
        bool size = false;

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (!xml_is(c, "size"))
                        return xml_unsupported_element(c, path, err);
                r = parse_kib(c, sub, &m->label_kib, err);
                if (r < 0)
                        return r;
                size = true;
        }
        if (!size)
                return xml_err_xml(err, "missing element <%s/size>", path);
        return 0;
}

static int parse_target(DomainMemoryDef *m, xmlNodePtr n, const char *path, ConfError *err) {
        bool virtio_mem = m->model == DOMAIN_MEMORY_VIRTIO_MEM, nvdimm = m->model == DOMAIN_MEMORY_NVDIMM;
        bool has_size = false;
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "size")) {
                        r = parse_kib(c, sub, &m->size_kib, err);
                        has_size = true;
                } else if (xml_is(c, "node")) {
                        unsigned node;

                        r = xml_check_unique(c, sub, err);
                        if (r >= 0)
                                r = XML_CHECK_ATTRS(c, sub, err, NULL);
                        if (r >= 0 && (r = xml_text_uint(c, sub, &node, err)) == 0)
                                r = xml_err_xml(err, "empty <%s>", sub);
                        if (r >= 0 && node > INT32_MAX)
                                r = xml_err_invalid(err, "guest NUMA node %u of <%s> is out of range", node, sub);
                        m->node = (int) node;
                } else if (xml_is(c, "label") && nvdimm)
                        r = parse_label(m, c, sub, err);
                else if (xml_is(c, "readonly") && nvdimm)
                        r = parse_flag(&m->readonly, c, sub, err);
                else if (xml_is(c, "block") && virtio_mem)
                        r = parse_kib(c, sub, &m->block_kib, err);
                else if (xml_is(c, "requested") && virtio_mem)
                        r = parse_kib(c, sub, &m->requested_kib, err);
                else if (xml_is(c, "current") && virtio_mem)
                        r = parse_kib(c, sub, &m->current_kib, err);
                else
                        return xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (!has_size)
                return xml_err_xml(err, "missing element <%s/size> of a memory device", path);
        return 0;
}

/* base='0x100000000': where in the guest's physical memory the DIMM sits. */
static int parse_base(DomainMemoryDef *m, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        char *end = NULL;
        int r = xml_attr_str(n, path, "base", &s, err);

        if (r <= 0)
                return r;
        errno = 0;
        m->dimm_base = strtoull(s, &end, 0);
        if (errno || !*s || *end || *s == '-')
                return xml_err_invalid(err, "value '%s' of attribute 'base' of <%s> is not a valid address", s,
                                       path);
        m->has_dimm_base = true;
        return 0;
}

/* <address type='dimm' slot='' base=''/>: the one address type that only
 * memory devices have, read here; a PCI one by the shared parser. */
static int parse_address(DomainMemoryDef *m, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        int r = xml_attr_str(n, path, "type", &type, err);

        if (r < 0)
                return r;
        if (!streq_ptr(type, "dimm") || !is_dimm(m)) {
                if (is_dimm(m))
                        return xml_err_unsupported(err, "address type '%s' of <%s> is not supported for a "
                                                   "memory device of model '%s', only 'dimm'", type ?: "",
                                                   path, model_table[m->model]);
                return domain_parse_address(n, path, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI), &m->addr, err);
        }
        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "type", "slot", "base");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0 && (r = xml_attr_uint(n, path, "slot", &m->dimm_slot, err)) > 0)
                m->has_dimm_slot = true;
        if (r >= 0)
                r = parse_base(m, n, path, err);
        return r < 0 ? r : 0;
}

static int parse_child(DomainMemoryDef *m, xmlNodePtr c, const char *path, ConfError *err) {
        XML_SUBPATH(sub, path, (const char *) c->name);

        if (xml_is(c, "source"))
                return parse_source(m, c, sub, err);
        if (xml_is(c, "target"))
                return parse_target(m, c, sub, err);
        if (xml_is(c, "alias"))
                return domain_parse_alias(c, sub, &m->alias, err);
        if (xml_is(c, "address"))
                return parse_address(m, c, sub, err);
        return xml_unsupported_element(c, path, err);
}

int domain_parse_memory_device(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainMemoryDef *m;
        int model = 0, r;
        bool has_target = false;

        r = LIST_APPEND(def->mems, def->n_mems, &m, path, err);
        if (r < 0)
                return r;
        m->node = -1;
        r = XML_CHECK_ATTRS(n, path, err, "model", "access", "discard");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0 && (r = xml_attr_enum(n, path, "model", model_table, ELEMENTSOF(model_table), &model, err)) == 0)
                return xml_err_xml(err, "missing attribute 'model' of <%s>", path);
        m->model = model;
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "access", domain_memory_access, &m->access, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "discard", "yes", "no", &m->discard, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                has_target = has_target || xml_is(c, "target");
                r = parse_child(m, c, path, err);
                if (r < 0)
                        return r;
        }
        if (!has_target)
                return xml_err_xml(err, "missing element <%s/target> of a memory device", path);
        return 0;
}

/* ---- format ---- */

static void format_kib(XmlWriter *w, const char *name, uint64_t kib) {
        if (!kib)
                return;
        xw_start(w, name);
        xw_attr(w, "unit", "KiB");
        xw_textf(w, "%" PRIu64, kib);
        xw_end(w);
}

static void format_source(XmlWriter *w, const DomainMemoryDef *m) {
        if (!m->pagesize_kib && !m->nodemask && !m->path && !m->alignsize_kib && !m->pmem)
                return;
        xw_start(w, "source");
        format_kib(w, "pagesize", m->pagesize_kib);
        xw_element(w, "nodemask", m->nodemask);
        xw_element(w, "path", m->path);
        format_kib(w, "alignsize", m->alignsize_kib);
        if (m->pmem)
                xw_empty(w, "pmem");
        xw_end(w);
}

static void format_target(XmlWriter *w, const DomainMemoryDef *m, unsigned flags) {
        xw_start(w, "target");
        format_kib(w, "size", m->size_kib);
        if (m->node >= 0)
                xw_elementf(w, "node", "%d", m->node);
        if (m->label_kib) {
                xw_start(w, "label");
                format_kib(w, "size", m->label_kib);
                xw_end(w);
        }
        if (m->readonly)
                xw_empty(w, "readonly");
        format_kib(w, "block", m->block_kib);
        format_kib(w, "requested", m->requested_kib);
        if (!(flags & DOMAIN_FORMAT_INACTIVE))
                format_kib(w, "current", m->current_kib);
        xw_end(w);
}

void domain_format_memory_device(XmlWriter *w, const DomainMemoryDef *m, unsigned flags) {
        xw_start(w, "memory");
        xw_attr(w, "model", model_table[m->model]);
        xw_attr(w, "access", domain_memory_access_to_string(m->access));
        xw_attr(w, "discard", tristate_word(m->discard, "yes", "no"));
        format_source(w, m);
        format_target(w, m, flags);
        domain_format_alias(w, m->alias, flags);
        if (m->has_dimm_slot || m->has_dimm_base) {
                xw_start(w, "address");
                xw_attr(w, "type", "dimm");
                if (m->has_dimm_slot)
                        xw_attrf(w, "slot", "%u", m->dimm_slot);
                if (m->has_dimm_base)
                        xw_attrf(w, "base", "0x%" PRIx64, m->dimm_base);
                xw_end(w);
        }
        domain_format_address(w, &m->addr);
        xw_end(w);
}

uint64_t domain_memory_devices_total(const DomainDef *def) {
        uint64_t kib = 0;

        for (size_t i = 0; i < def->n_mems; i++)
                kib += def->mems[i].size_kib;
        return kib;
}

void domain_memory_device_clear(DomainMemoryDef *m) {
        free(m->nodemask);
        free(m->path);
        free(m->alias);
}

bool domain_memory_device_own(DomainMemoryDef *m) {
        bool ok = true;

        ok = own_str(&m->nodemask) && ok;
        ok = own_str(&m->path) && ok;
        ok = own_str(&m->alias) && ok;
        return ok;
}
