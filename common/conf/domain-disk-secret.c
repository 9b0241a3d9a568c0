/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domain-conf-internal.h"
#include "domain-disk-secret.h"
#include "uuid.h"

static const char *const enc_formats[_DOMAIN_DISK_ENC_MAX] = {
        [DOMAIN_DISK_ENC_DEFAULT] = "default",
        [DOMAIN_DISK_ENC_QCOW] = "qcow",
        [DOMAIN_DISK_ENC_LUKS] = "luks",
        [DOMAIN_DISK_ENC_LUKS2] = "luks2",
};

const char *domain_disk_enc_format_to_string(DomainDiskEncFormat f) {
        return (unsigned) f < _DOMAIN_DISK_ENC_MAX ? enc_formats[f] : NULL;
}

int domain_secret_ref_usage_type(const DomainSecretRef *s) {
        if (streq_ptr(s->type, "ceph"))
                return 2;
        if (streq_ptr(s->type, "iscsi"))
                return 3;
        return 1;
}

static void secret_ref_clear(DomainSecretRef *s) {
        free(s->type);
        free(s->usage);
        *s = (DomainSecretRef) {};
}

static int parse_secret_ref(DomainSecretRef *s, xmlNodePtr n, const char *path, const char *const *types,
                            size_t n_types, ConfError *err) {
        _cleanup_free_ char *uuid = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "uuid", "usage");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "type", &s->type, err);
        if (r < 0)
                return r;
        if (table_lookup(types, n_types, s->type) < 0)
                return xml_err_unsupported(err, "value '%s' of attribute 'type' of <%s> is not supported", s->type,
                                           path);
        r = xml_attr_str(n, path, "uuid", &uuid, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "usage", &s->usage, err);
        if (r < 0)
                return r;
        if (uuid && s->usage)
                return xml_err_xml(err, "either secret uuid or usage expected in <%s>, not both", path);
        if (!uuid && !s->usage)
                return xml_err_xml(err, "either secret uuid or usage expected in <%s>", path);
        if (uuid && uuid_parse(uuid, s->uuid) < 0)
                return xml_err_xml(err, "invalid secret uuid '%s' in <%s>", uuid, path);
        s->has_uuid = uuid != NULL;
        return 0;
}

static void format_secret_ref(XmlWriter *w, const DomainSecretRef *s) {
        char uuid[UUID_STRING_MAX];

        xw_start(w, "secret");
        xw_attr(w, "type", s->type);
        if (s->has_uuid)
                xw_attr(w, "uuid", uuid_format(s->uuid, uuid));
        else
                xw_attr(w, "usage", s->usage);
        xw_end(w);
}

static int parse_enc_children(DomainDiskEncryption *e, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const types[] = { "passphrase" };
        int r = xml_check_no_text(n, path, err);

        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                /* <cipher>, <ivgen>: what a volume was made with, for
                 * storage; a guest's disk does not use them */
                if (!xml_is(c, "secret"))
                        return xml_unsupported_element(c, path, err);
                if (e->has_secret)
                        return xml_err_unsupported(err, "a second <%s> is not supported", sub);
                r = parse_secret_ref(&e->secret, c, sub, types, ELEMENTSOF(types), err);
                if (r < 0)
                        return r;
                e->has_secret = true;
        }
        return 0;
}

int domain_parse_disk_encryption(DomainDiskDef *d, xmlNodePtr n, const char *path, bool in_source,
                                 ConfError *err) {
        static const char *const engines[] = { "qemu", "librbd" };
        DomainDiskEncryption *e;
        int format, r;

        if (d->encryption)
                return xml_err_xml(err, "<encryption> is given both in <disk> and in its <source>");
        e = d->encryption = calloc(1, sizeof(*e));
        if (!e)
                return xml_err_oom(err);
        e->in_source = in_source;
        r = XML_CHECK_ATTRS(n, path, err, "format", "engine");
        if (r >= 0)
                r = xml_attr_enum(n, path, "format", enc_formats, _DOMAIN_DISK_ENC_MAX, &format, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'format' of <%s>", path);
        if (r < 0)
                return r;
        e->format = format;
        r = xml_attr_choice(n, path, "engine", engines, ELEMENTSOF(engines), &e->engine, err);
        if (r < 0)
                return r;
        return parse_enc_children(e, n, path, err);
}

int domain_parse_disk_auth(DomainDiskDef *d, xmlNodePtr n, const char *path, bool in_source, ConfError *err) {
        static const char *const types[] = { "iscsi", "ceph" };
        DomainDiskAuth *a;
        xmlNodePtr c;
        int r;

        if (d->auth)
                return xml_err_xml(err, "<auth> is given both in <disk> and in its <source>");
        a = d->auth = calloc(1, sizeof(*a));
        if (!a)
                return xml_err_oom(err);
        a->in_source = in_source;
        r = XML_CHECK_ATTRS(n, path, err, "username");
        if (r >= 0)
                r = xml_attr_str_required(n, path, "username", &a->username, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        c = xml_first_element(n);
        if (!c)
                return xml_err_xml(err, "missing element <%s/secret>", path);
        XML_FOREACH_ELEMENT(x, n)
                if (!xml_is(x, "secret") || x != c)
                        return xml_unsupported_element(x, path, err);
        XML_SUBPATH(sub, path, "secret");
        return parse_secret_ref(&a->secret, c, sub, types, ELEMENTSOF(types), err);
}

void domain_format_disk_auth(XmlWriter *w, const DomainDiskDef *d, bool in_source) {
        if (!d->auth || d->auth->in_source != in_source)
                return;
        xw_start(w, "auth");
        xw_attr(w, "username", d->auth->username);
        format_secret_ref(w, &d->auth->secret);
        xw_end(w);
}

void domain_format_disk_encryption(XmlWriter *w, const DomainDiskDef *d, bool in_source) {
        const DomainDiskEncryption *e = d->encryption;

        if (!e || e->in_source != in_source)
                return;
        xw_start(w, "encryption");
        xw_attr(w, "format", enc_formats[e->format]);
        xw_attr(w, "engine", e->engine);
        if (e->has_secret)
                format_secret_ref(w, &e->secret);
        xw_end(w);
}

void domain_disk_secrets_clear(DomainDiskDef *d) {
        if (d->encryption) {
                free(d->encryption->engine);
                secret_ref_clear(&d->encryption->secret);
                d->encryption = mfree(d->encryption);
        }
        if (d->auth) {
                free(d->auth->username);
                secret_ref_clear(&d->auth->secret);
                d->auth = mfree(d->auth);
        }
}

static bool own_ref(DomainSecretRef *s) {
        bool ok = own_str(&s->type);

        return own_str(&s->usage) && ok;
}

/* After a shallow copy of the disk: its own copies of what it points to. */
bool domain_disk_secrets_own(DomainDiskDef *d) {
        bool ok = true;

        if (d->encryption) {
                DomainDiskEncryption *e = malloc(sizeof(*e));
                if (!e) {
                        d->encryption = NULL;
                        return false;
                }
                *e = *d->encryption;
                d->encryption = e;
                ok = own_str(&e->engine) && ok;
                ok = own_ref(&e->secret) && ok;
        }
        if (d->auth) {
                DomainDiskAuth *a = malloc(sizeof(*a));
                if (!a) {
                        d->auth = NULL;
                        return false;
                }
                *a = *d->auth;
                d->auth = a;
                ok = own_str(&a->username) && ok;
                ok = own_ref(&a->secret) && ok;
        }
        return ok;
}
