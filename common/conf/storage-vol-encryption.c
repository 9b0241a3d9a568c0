/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "storage-vol-encryption.h"
#include "util.h"
#include "uuid.h"

static const char *const enc_formats[_STORAGE_ENC_MAX] = {
        [STORAGE_ENC_DEFAULT] = "default",
        [STORAGE_ENC_QCOW] = "qcow",
        [STORAGE_ENC_LUKS] = "luks",
};

const char *storage_enc_format_to_string(StorageEncFormat f) {
        return (unsigned) f < _STORAGE_ENC_MAX ? enc_formats[f] : NULL;
}

void storage_vol_encryption_done(StorageVolEncryption *e) {
        free(e->usage);
        *e = (StorageVolEncryption) {};
}

int storage_vol_encryption_copy(const StorageVolEncryption *src, StorageVolEncryption *dst) {
        *dst = *src;
        dst->usage = NULL;
        if (src->usage && !(dst->usage = strdup(src->usage)))
                return -ENOMEM;
        return 0;
}

static int parse_secret(StorageVolEncryption *e, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *type = NULL, *uuid = NULL;
        int r;

        if (e->has_secret)
                return xml_err_unsupported(err, "a second <%s> is not supported", path);
        r = XML_CHECK_ATTRS(n, path, err, "type", "uuid", "usage");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "type", &type, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "uuid", &uuid, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "usage", &e->usage, err);
        if (r < 0)
                return r;
        if (!streq(type, "passphrase"))
                return xml_err_unsupported(err, "secret type '%s' of <%s> is not supported (passphrase)", type, path);
        if (uuid && e->usage)
                return xml_err_xml(err, "either secret uuid or usage expected in <%s>, not both", path);
        if (!uuid && !e->usage)
                return xml_err_xml(err, "either secret uuid or usage expected in <%s>", path);
        if (uuid && uuid_parse(uuid, e->uuid) < 0)
                return xml_err_xml(err, "invalid secret uuid '%s' in <%s>", uuid, path);
        e->has_uuid = uuid != NULL;
        e->has_secret = true;
        return 0;
}

int storage_vol_encryption_parse(StorageVolEncryption *e, xmlNodePtr n, const char *path, ConfError *err) {
        int format, r;

        if (e->format != STORAGE_ENC_NONE)
                return xml_err_xml(err, "a second <%s> is not allowed", path);
        r = XML_CHECK_ATTRS(n, path, err, "format");
        if (r >= 0)
                r = xml_attr_enum(n, path, "format", enc_formats, _STORAGE_ENC_MAX, &format, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'format' of <%s>", path);
        if (r < 0)
                return r;
        e->format = format;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                /* <cipher>, <ivgen>: qemu-img's defaults are what we make */
                if (!xml_is(c, "secret"))
                        return xml_unsupported_element(c, path, err);
                r = parse_secret(e, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void storage_vol_encryption_format(XmlWriter *w, const StorageVolEncryption *e) {
        char uuid[UUID_STRING_MAX];

        if (e->format == STORAGE_ENC_NONE)
                return;
        xw_start(w, "encryption");
        xw_attr(w, "format", enc_formats[e->format]);
        if (e->has_secret) {
                xw_start(w, "secret");
                xw_attr(w, "type", "passphrase");
                if (e->has_uuid)
                        xw_attr(w, "uuid", uuid_format(e->uuid, uuid));
                else
                        xw_attr(w, "usage", e->usage);
                xw_end(w);
        }
        xw_end(w);
}

const char *storage_vol_encryption_secret_name(const StorageVolEncryption *e, char *buf, size_t size) {
        char uuid[UUID_STRING_MAX];

        if (e->has_uuid)
                snprintf(buf, size, "uuid '%s'", uuid_format(e->uuid, uuid));
        else
                snprintf(buf, size, "usage '%s'", e->usage ? e->usage : "");
        return buf;
}
