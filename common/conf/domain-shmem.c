/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <shmem name='' role=''>: <model type=''/>, <size unit=''>, <server
 * path=''/>, <msi vectors='' ioeventfd=''/>, alias and PCI address
 * (libvirt's virDomainShmemDef, with the QEMU driver's defaults and checks
 * of its post-parse). */
#include <inttypes.h>

#include "domain-conf-internal.h"

static int parse_model(DomainShmemDef *s, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const models[] = { "ivshmem", "ivshmem-plain", "ivshmem-doorbell" };
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "type", models, ELEMENTSOF(models), &s->model, err);
        return r < 0 ? r : 0;
}

/* <size unit='M'>: bytes when no unit is given (libvirt's scale 1). */
static int parse_size(DomainShmemDef *s, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *unit = NULL;
        uint64_t v = 0, scale = 1;
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "unit");
        if (r >= 0)
                r = xml_attr_str(n, path, "unit", &unit, err);
        if (r >= 0)
                r = xml_text_ullong(n, path, &v, err);
        if (r < 0)
                return r;
        if (unit && unit_scale(unit, &scale) < 0)
                return xml_err_invalid(err, "invalid unit '%s' of attribute 'unit' of <%s>", unit, path);
        if (v > XML_SIZE_MAX_BYTES / scale)
                return xml_err_invalid(err, "value '%" PRIu64 "' of <%s> is too large", v, path);
        s->size = v * scale;
        return 0;
}

static int parse_server(DomainShmemDef *s, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "path");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "path", &s->server_path, err);
        if (r > 0)
                r = domain_check_abs_path(s->server_path, "attribute 'path' of", path, err);
        s->server = true;
        return r < 0 ? r : 0;
}

static int parse_msi(DomainShmemDef *s, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "vectors", "ioeventfd");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "vectors", &s->msi_vectors, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "ioeventfd", "on", "off", &s->msi_ioeventfd, err);
        s->msi = true;
        return r < 0 ? r : 0;
}

static int parse_child(DomainShmemDef *s, xmlNodePtr c, const char *path, ConfError *err) {
        static const char *const children[] = { "model", "size", "server", "msi", "alias", "address" };

        if (!xml_is_any(c, children, ELEMENTSOF(children)))
                return xml_unsupported_element(c, path, err);
        XML_SUBPATH(sub, path, (const char *) c->name);
        if (xml_is(c, "model"))
                return parse_model(s, c, sub, err);
        if (xml_is(c, "size"))
                return parse_size(s, c, sub, err);
        if (xml_is(c, "server"))
                return parse_server(s, c, sub, err);
        if (xml_is(c, "msi"))
                return parse_msi(s, c, sub, err);
        if (xml_is(c, "alias"))
                return domain_parse_alias(c, sub, &s->alias, err);
        return domain_parse_address(c, sub, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI), &s->addr, err);
}

/* libvirt's QEMU post-parse: the defaults, and what each model takes. */
static int finish(DomainShmemDef *s, const char *path, ConfError *err) {
        bool doorbell = streq(s->model, "ivshmem-doorbell");

        if (s->msi && !s->server)
                return xml_err_xml(err, "msi option is only supported with a server (<%s/msi>)", path);
        if (!doorbell && !s->size)
                s->size = 4 << 20;
        if (streq(s->model, "ivshmem"))
                return 0;
        if (doorbell && !s->server)
                return xml_err_unsupported(err, "shmem model 'ivshmem-doorbell' is supported only with server "
                                           "option enabled (shmem '%s')", s->name);
        if (!doorbell && s->server)
                return xml_err_unsupported(err, "shmem model 'ivshmem-plain' is supported only with server "
                                           "option disabled (shmem '%s')", s->name);
        if (doorbell && s->size)
                return xml_err_unsupported(err, "shmem model 'ivshmem-doorbell' does not support size setting "
                                           "(shmem '%s')", s->name);
        if (doorbell) {
                s->msi = true;
                if (!s->msi_ioeventfd)
                        s->msi_ioeventfd = TRISTATE_ON;
        }
        return 0;
}

int domain_parse_shmem(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const roles[] = { "master", "peer" };
        DomainShmemDef *s;
        int r;

        r = LIST_APPEND(def->shmems, def->n_shmems, &s, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "name", "role");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "role", roles, ELEMENTSOF(roles), &s->role, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "name", &s->name, err);
        if (r == 0)
                return xml_err_xml(err, "shmem element must contain 'name' attribute (<%s>)", path);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                r = parse_child(s, c, path, err);
                if (r < 0)
                        return r;
        }
        if (!s->model && !(s->model = strdup("ivshmem")))
                return xml_err_oom(err);
        return finish(s, path, err);
}

void domain_format_shmem(XmlWriter *w, const DomainShmemDef *s, unsigned flags) {
        xw_start(w, "shmem");
        xw_attr(w, "name", s->name);
        xw_attr(w, "role", s->role);
        xw_start(w, "model");
        xw_attr(w, "type", s->model);
        xw_end(w);
        if (s->size) {
                /* whole MiB, as libvirt writes it; a smaller or odd size is refused */
                xw_start(w, "size");
                xw_attr(w, "unit", "M");
                xw_textf(w, "%" PRIu64, s->size >> 20);
                xw_end(w);
        }
        if (s->server) {
                xw_start(w, "server");
                xw_attr(w, "path", s->server_path);
                xw_end(w);
        }
        if (s->msi) {
                xw_start(w, "msi");
                if (s->msi_vectors)
                        xw_attrf(w, "vectors", "%u", s->msi_vectors);
                xw_attr(w, "ioeventfd", tristate_word(s->msi_ioeventfd, "on", "off"));
                xw_end(w);
        }
        domain_format_alias(w, s->alias, flags);
        domain_format_address(w, &s->addr);
        xw_end(w);
}

/* libvirt's name rules (the name is a file under /dev/shm) and its size
 * rules (QEMU's ivshmem wants a power of two, at least 1 MiB). */
static int validate_one(const DomainShmemDef *s, ConfError *err) {
        if (strchr(s->name, '/'))
                return xml_err_unsupported(err, "shmem name cannot include '/' character ('%s')", s->name);
        if (streq(s->name, ".") || streq(s->name, ".."))
                return xml_err_unsupported(err, "shmem name cannot be equal to '%s'", s->name);
        if (s->size & (s->size - 1))
                return xml_err_xml(err, "shmem '%s': shmem size must be a power of two", s->name);
        if (s->size && s->size < 1024 * 1024)
                return xml_err_xml(err, "shmem '%s': shmem size must be at least 1 MiB (1024 KiB)", s->name);
        return 0;
}

int domain_validate_shmems(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_shmems; i++) {
                int r = validate_one(&def->shmems[i], err);

                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_shmem_clear(DomainShmemDef *s) {
        free(s->name);
        free(s->model);
        free(s->role);
        free(s->server_path);
        free(s->alias);
}

bool domain_shmem_own(DomainShmemDef *s) {
        bool ok = true;

        ok = own_str(&s->name) && ok;
        ok = own_str(&s->model) && ok;
        ok = own_str(&s->role) && ok;
        ok = own_str(&s->server_path) && ok;
        ok = own_str(&s->alias) && ok;
        return ok;
}
