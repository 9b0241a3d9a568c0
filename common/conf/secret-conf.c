/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "error.h"
#include "secret-conf.h"
#include "util.h"
#include "uuid.h"
#include "xml-util.h"

static const char *const usage_types[_SECRET_USAGE_MAX] = {
        [SECRET_USAGE_NONE] = "none",
        [SECRET_USAGE_VOLUME] = "volume",
        [SECRET_USAGE_CEPH] = "ceph",
        [SECRET_USAGE_ISCSI] = "iscsi",
        [SECRET_USAGE_TLS] = "tls",
        [SECRET_USAGE_VTPM] = "vtpm",
};

/* The element under <usage> that holds each type's usage ID. */
static const char *const usage_elements[_SECRET_USAGE_MAX] = {
        [SECRET_USAGE_VOLUME] = "volume",
        [SECRET_USAGE_CEPH] = "name",
        [SECRET_USAGE_ISCSI] = "target",
        [SECRET_USAGE_TLS] = "name",
        [SECRET_USAGE_VTPM] = "name",
};

/* libvirt's words when that element is missing. */
static const char *const usage_missing[_SECRET_USAGE_MAX] = {
        [SECRET_USAGE_VOLUME] = "volume usage specified, but volume path is missing",
        [SECRET_USAGE_CEPH] = "Ceph usage specified, but name is missing",
        [SECRET_USAGE_ISCSI] = "iSCSI usage specified, but target is missing",
        [SECRET_USAGE_TLS] = "TLS usage specified, but name is missing",
        [SECRET_USAGE_VTPM] = "vTPM usage specified, but name is missing",
};

const char *secret_usage_type_to_string(SecretUsageType t) {
        return (unsigned) t < _SECRET_USAGE_MAX ? usage_types[t] : NULL;
}

int secret_usage_type_from_string(const char *s) {
        int i = table_lookup(usage_types, _SECRET_USAGE_MAX, s);
        return i < 0 ? -EINVAL : i;
}

SecretDef *secret_def_free(SecretDef *def) {
        if (!def)
                return NULL;
        free(def->description);
        free(def->usage_id);
        free(def);
        return NULL;
}

/* ---- parsing -------------------------------------------------------------- */

static int parse_uuid(SecretDef *def, xmlNodePtr n, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        int r = XML_CHECK_ATTRS(n, "uuid", err, NULL);

        if (r >= 0)
                r = xml_text(n, "uuid", &s, err);
        if (r < 0)
                return r;
        if (uuid_parse(str_strip(s), def->uuid) < 0)
                return xml_err_xml(err, "malformed uuid element '%s'", s);
        return 0;
}

static int parse_usage(SecretDef *def, xmlNodePtr n, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        const char *child;
        int t, r;

        r = XML_CHECK_ATTRS(n, "usage", err, "type");
        if (r >= 0)
                r = xml_attr_str(n, "usage", "type", &type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "unknown secret usage type (null)");
        t = secret_usage_type_from_string(type);
        if (t <= SECRET_USAGE_NONE)
                return xml_err_xml(err, "unknown secret usage type %s", type);
        def->usage_type = t;
        child = usage_elements[t];
        r = xml_check_no_text(n, "usage", err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(path, "usage", child);

                if (!xml_is(c, child) || def->usage_id)
                        return xml_unsupported_element(c, "usage", err);
                r = XML_CHECK_ATTRS(c, path, err, NULL);
                if (r >= 0)
                        r = xml_text(c, path, &def->usage_id, err);
                if (r < 0)
                        return r;
        }
        if (!def->usage_id || !def->usage_id[0])
                return xml_err_xml(err, "%s", usage_missing[t]);
        return 0;
}

static int parse_child(SecretDef *def, xmlNodePtr c, bool *seen_uuid, ConfError *err) {
        int r;

        r = xml_check_unique(c, (const char *) c->name, err);
        if (r < 0)
                return r;
        if (xml_is(c, "uuid")) {
                *seen_uuid = true;
                return parse_uuid(def, c, err);
        }
        if (xml_is(c, "description")) {
                r = XML_CHECK_ATTRS(c, "description", err, NULL);
                return r < 0 ? r : xml_text(c, "description", &def->description, err);
        }
        if (xml_is(c, "usage"))
                return parse_usage(def, c, err);
        return xml_unsupported_element(c, "", err);
}

int secret_def_parse(const char *xml, size_t len, SecretDef **ret, ConfError *err) {
        _cleanup_(secret_def_freep) SecretDef *def = calloc(1, sizeof(*def));
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        bool seen_uuid = false;
        xmlNodePtr root;
        int r;

        if (!def)
                return xml_err_oom(err);
        r = xml_read_document(xml, len, "secret", &doc, err);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        r = XML_CHECK_ATTRS(root, "secret", err, "ephemeral", "private");
        if (r >= 0)
                r = xml_attr_bool(root, "secret", "ephemeral", "yes", "no", &def->ephemeral, err);
        if (r >= 0)
                r = xml_attr_bool(root, "secret", "private", "yes", "no", &def->private_, err);
        if (r >= 0)
                r = xml_check_no_text(root, "secret", err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, root) {
                r = parse_child(def, c, &seen_uuid, err);
                if (r < 0)
                        return r;
        }
        if (!seen_uuid && uuid_generate(def->uuid) < 0)
                return conf_fail(err, VB_ERROR_INTERNAL, "cannot generate a uuid");
        *ret = TAKE_PTR(def);
        return 0;
}

/* ---- formatting ----------------------------------------------------------- */

int secret_def_format(const SecretDef *def, char **ret) {
        XmlWriter w = {};
        char uuid[UUID_STRING_MAX];

        xw_start(&w, "secret");
        xw_attr(&w, "ephemeral", def->ephemeral ? "yes" : "no");
        xw_attr(&w, "private", def->private_ ? "yes" : "no");
        xw_element(&w, "uuid", uuid_format(def->uuid, uuid));
        xw_element(&w, "description", def->description);
        if (def->usage_type != SECRET_USAGE_NONE) {
                xw_start(&w, "usage");
                xw_attr(&w, "type", usage_types[def->usage_type]);
                xw_element(&w, usage_elements[def->usage_type], def->usage_id);
                xw_end(&w);
        }
        xw_end(&w);
        return xw_finish(&w, ret);
}
