/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a chardev's <source> holds beside its path or address: the
 * <seclabel> of the file or socket (per security model), <reconnect
 * enabled='' timeout=''/> of a connecting socket, tls='' of a TCP one, and
 * the channel='' name of a SPICE port or of a D-Bus display's channel. */
#include "domain-conf-internal.h"

/* What a channel name may hold (libvirt's rule): it becomes QEMU's name=. */
#define CHANNEL_NAME_CHARS CHARSET_ALNUM "_-."

static int parse_reconnect(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "enabled", "timeout");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "enabled", "yes", "no", &chr->reconnect, err);
        if (r < 0)
                return r;
        if (chr->reconnect == TRISTATE_ABSENT)
                return xml_err_xml(err, "missing attribute 'enabled' of <%s>", path);
        r = xml_attr_uint(n, path, "timeout", &chr->reconnect_timeout, err);
        if (r < 0)
                return r;
        if (r == 0 && chr->reconnect == TRISTATE_ON)
                return xml_err_xml(err, "missing attribute 'timeout' of <%s> with enabled='yes'", path);
        return 0;
}

/* The children of a <source>: <seclabel> for any chardev on a host file or
 * socket, <reconnect> for a tcp or unix one. */
int domain_chr_parse_source_children(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (xml_is(c, "seclabel"))
                        r = domain_parse_dev_seclabel(&chr->seclabels, &chr->n_seclabels, c, sub, err);
                else if (xml_is(c, "reconnect") && (chr->type == DOMAIN_CHR_TCP || chr->type == DOMAIN_CHR_UNIX))
                        r = parse_reconnect(chr, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Checks once the whole <source> (its mode) is known, as libvirt's. */
int domain_chr_check_source(const DomainChrDef *chr, const char *path, ConfError *err) {
        if (chr->reconnect == TRISTATE_ON && chr->listen)
                return xml_err_invalid(err, "chardev reconnect is possible only for connect mode (<%s/source>)",
                                       path);
        if (chr->reconnect == TRISTATE_ON && chr->reconnect_timeout == 0)
                return xml_err_invalid(err, "chardev reconnect source timeout cannot be '0' (<%s/source/reconnect>)",
                                       path);
        return 0;
}

/* <source channel=''/> of a spiceport or dbus chardev. */
int domain_chr_parse_channel_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "channel");
        if (r >= 0)
                r = domain_chr_parse_source_children(chr, n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "channel", &chr->channel, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_unsupported(err, "Missing source channel attribute for char device (<%s>)", path);
        if (!*chr->channel || strspn(chr->channel, CHANNEL_NAME_CHARS) < strlen(chr->channel))
                return xml_err_invalid(err, "Invalid character in source channel for char device: '%s' of <%s>",
                                       chr->channel, path);
        return 0;
}

/* The children of a <source> the caller has opened (and closes):
 * <reconnect> first, as libvirt's schema orders them. */
void domain_chr_format_source_children(XmlWriter *w, const DomainChrDef *chr) {
        if (chr->reconnect != TRISTATE_ABSENT) {
                xw_start(w, "reconnect");
                xw_attr(w, "enabled", tristate_word(chr->reconnect, "yes", "no"));
                if (chr->reconnect == TRISTATE_ON || chr->reconnect_timeout)
                        xw_attrf(w, "timeout", "%u", chr->reconnect_timeout);
                xw_end(w);
        }
        domain_format_dev_seclabels(w, chr->seclabels, chr->n_seclabels);
}

void domain_chr_source_clear(DomainChrDef *chr) {
        free(chr->channel);
        for (size_t i = 0; i < chr->n_seclabels; i++)
                domain_dev_seclabel_clear(&chr->seclabels[i]);
        free(chr->seclabels);
}

bool domain_chr_source_own(DomainChrDef *chr) {
        bool ok = own_str(&chr->channel);

        ok = OWN_ARRAY(chr->seclabels, chr->n_seclabels) && ok;
        for (size_t i = 0; i < chr->n_seclabels; i++)
                ok = domain_dev_seclabel_own(&chr->seclabels[i]) && ok;
        return ok;
}
