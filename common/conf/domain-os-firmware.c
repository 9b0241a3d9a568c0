/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os><firmware> (the features an auto-selected firmware must have or
 * lack), <loader stateless=''> and <nvram template='' type=''>: where the
 * guest's UEFI variables live, if anywhere; <bios rebootTimeout=''>. */
#include "domain-conf-internal.h"

static const char *const feature_names[] = { "secure-boot", "enrolled-keys" };

static int parse_fw_feature(void *userdata, xmlNodePtr n, const char *path, ConfError *err) {
        DomainOsDef *os = userdata;
        _cleanup_free_ char *name = NULL;
        Tristate enabled = TRISTATE_ABSENT, *slot;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "enabled", "name");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "name", feature_names, ELEMENTSOF(feature_names), &name, err);
        if (r == 0)
                r = xml_err_xml(err, "missing attribute 'name' of <%s>", path);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "enabled", "yes", "no", &enabled, err);
        if (r == 0)
                r = xml_err_xml(err, "missing attribute 'enabled' of <%s>", path);
        if (r < 0)
                return r;
        slot = streq(name, "secure-boot") ? &os->fw_secure_boot : &os->fw_enrolled_keys;
        if (*slot != TRISTATE_ABSENT)
                return xml_err_xml(err, "feature '%s' of <%s> is given twice", name, path);
        *slot = enabled;
        return 0;
}

int domain_parse_os_firmware(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_parse_list(n, path, "feature", parse_fw_feature, os, err);

        if (r == 0)
                return xml_err_xml(err, "<%s> needs at least one <feature>", path);
        return r < 0 ? r : 0;
}

/* <nvram type='file'><source file=''/></nvram>, type='block' with dev='',
 * type='network' with a network disk's source (domain-os-nvram-net.c). */
static int parse_nvram_source(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        const char *attr = streq(os->nvram_type, "file") ? "file" : "dev";
        xmlNodePtr src = NULL;
        int r;

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "source") || src)
                        return xml_unsupported_element(c, path, err);
                src = c;
        }
        if (!src)
                return xml_err_xml(err, "missing element <%s/source> for type='%s'", path, os->nvram_type);
        XML_SUBPATH(sub, path, "source");
        if (streq(os->nvram_type, "network"))
                return domain_parse_os_nvram_net(os, src, sub, err);
        r = XML_CHECK_ATTRS(src, sub, err, attr);
        if (r >= 0)
                r = xml_check_empty(src, sub, err);
        if (r >= 0)
                r = xml_attr_str_required(src, sub, attr, &os->nvram, err);
        if (r >= 0)
                r = domain_check_abs_path(os->nvram, streq(attr, "file") ? "attribute 'file' of" :
                                          "attribute 'dev' of", sub, err);
        return r < 0 ? r : 0;
}

int domain_parse_os_nvram(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const types[] = { "file", "block", "network" };
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "template", "type");
        if (r >= 0)
                r = xml_attr_str(n, path, "template", &os->nvram_template, err);
        if (r > 0)
                r = domain_check_abs_path(os->nvram_template, "attribute 'template' of", path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "type", types, ELEMENTSOF(types), &os->nvram_type, err);
        if (r < 0)
                return r;
        if (!os->nvram_type) {
                _cleanup_free_ char *text = NULL;

                r = xml_text(n, path, &text, err);
                if (r < 0)
                        return r;
                if (!*str_strip(text))
                        return 0; /* a template alone: the driver names the file */
                os->nvram = TAKE_PTR(text);
                return domain_check_abs_path(os->nvram, "", path, err);
        }
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        return parse_nvram_source(os, n, path, err);
}

/* stateless='yes|no' of <loader>. */
int domain_parse_os_loader_stateless(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        int r = domain_attr_tristate(n, path, "stateless", "yes", "no", &os->loader_stateless, err);

        return r < 0 ? r : 0;
}

void domain_format_os_firmware(XmlWriter *w, const DomainOsDef *os) {
        if (os->fw_secure_boot == TRISTATE_ABSENT && os->fw_enrolled_keys == TRISTATE_ABSENT)
                return;
        xw_start(w, "firmware");
        for (size_t i = 0; i < ELEMENTSOF(feature_names); i++) {
                Tristate t = i == 0 ? os->fw_secure_boot : os->fw_enrolled_keys;

                if (t == TRISTATE_ABSENT)
                        continue;
                xw_start(w, "feature");
                xw_attr(w, "enabled", tristate_word(t, "yes", "no"));
                xw_attr(w, "name", feature_names[i]);
                xw_end(w);
        }
        xw_end(w);
}

void domain_format_os_nvram(XmlWriter *w, const DomainOsDef *os) {
        if (!os->nvram && !os->nvram_template && !os->nvram_net)
                return;
        xw_start(w, "nvram");
        xw_attr(w, "template", os->nvram_template);
        xw_attr(w, "type", os->nvram_type);
        if (os->nvram_net)
                domain_format_os_nvram_net(w, os);
        else if (os->nvram_type) {
                xw_start(w, "source");
                xw_attr(w, streq(os->nvram_type, "file") ? "file" : "dev", os->nvram);
                xw_end(w);
        } else if (os->nvram)
                xw_text(w, os->nvram);
        xw_end(w);
}

/* <bios rebootTimeout=''/>: what the BIOS does when nothing boots (-1: stay);
 * useserial='yes': SeaBIOS writes to the serial port (libguestfs sets it). */
int domain_parse_os_bios(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "rebootTimeout", "useserial");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "useserial", "yes", "no", &os->bios_useserial, err);
        if (r >= 0)
                r = xml_attr_int(n, path, "rebootTimeout", &os->reboot_timeout, err);
        if (r > 0 && (os->reboot_timeout < -1 || os->reboot_timeout > 65535))
                return xml_err_xml(err, "invalid value for rebootTimeout, must be in range [-1,65535] "
                                   "(rebootTimeout='%d' of <%s>)", os->reboot_timeout, path);
        os->has_reboot_timeout = r > 0;
        return r < 0 ? r : 0;
}

void domain_format_os_bios(XmlWriter *w, const DomainOsDef *os) {
        if (!os->has_reboot_timeout && os->bios_useserial == TRISTATE_ABSENT)
                return;
        xw_start(w, "bios");
        if (os->bios_useserial != TRISTATE_ABSENT)
                xw_attr(w, "useserial", os->bios_useserial == TRISTATE_ON ? "yes" : "no");
        if (os->has_reboot_timeout)
                xw_attrf(w, "rebootTimeout", "%d", os->reboot_timeout);
        xw_end(w);
}
