/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A chardev inside another device (<rng><backend model='egd' type=''>):
 * its type, <source> and <protocol>, parsed and formatted as a <serial>'s. */
#include "domain-conf-internal.h"

static bool backend_type_ok(DomainChrType t) {
        return t == DOMAIN_CHR_TCP || t == DOMAIN_CHR_UDP || t == DOMAIN_CHR_UNIX || t == DOMAIN_CHR_FILE ||
               t == DOMAIN_CHR_PIPE || t == DOMAIN_CHR_DEV || t == DOMAIN_CHR_PTY || t == DOMAIN_CHR_NULL;
}

static int parse_child(DomainChrDef *chr, xmlNodePtr c, const char *path, ConfError *err) {
        XML_SUBPATH(sub, path, (const char *) c->name);
        int r;

        /* udp has two sources, each end one */
        r = chr->type == DOMAIN_CHR_UDP && xml_is(c, "source") ? 0 : xml_check_unique(c, sub, err);
        if (r < 0)
                return r;
        if (xml_is(c, "source") && (chr->type == DOMAIN_CHR_TCP || chr->type == DOMAIN_CHR_UDP))
                return domain_chr_parse_net_source(chr, c, sub, err);
        if (xml_is(c, "source") && chr->type != DOMAIN_CHR_PTY && chr->type != DOMAIN_CHR_NULL)
                return domain_chr_parse_source(chr, c, sub, err);
        if (xml_is(c, "protocol"))
                return domain_chr_parse_protocol(chr, c, sub, err);
        return xml_unsupported_element(c, path, err);
}

int domain_chr_backend_parse(DomainChrDef **ret, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ DomainChrDef *chr = calloc(1, sizeof(*chr));
        int r;

        if (!chr)
                return xml_err_oom(err);
        /* neither a channel's defaults nor a serial's log of what passes */
        chr->kind = DOMAIN_CHR_CONSOLE;
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_chr_type, &chr->type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        if (!backend_type_ok(chr->type))
                return xml_err_unsupported(err, "value '%s' of attribute 'type' of <%s> is not supported",
                                           domain_chr_type_to_string(chr->type), path);
        XML_FOREACH_ELEMENT(c, n) {
                r = parse_child(chr, c, path, err);
                if (r < 0) {
                        domain_chr_clear(chr);
                        return r;
                }
        }
        if ((chr->type == DOMAIN_CHR_TCP || chr->type == DOMAIN_CHR_UDP) && !chr->service)
                r = xml_err_xml(err, "missing <%s/source> with a service for type '%s'", path,
                                domain_chr_type_to_string(chr->type));
        else if (chr->type != DOMAIN_CHR_TCP && chr->type != DOMAIN_CHR_UDP && chr->type != DOMAIN_CHR_PTY &&
                 chr->type != DOMAIN_CHR_NULL && !chr->path)
                r = xml_err_xml(err, "missing attribute 'path' of <%s/source> for type '%s'", path,
                                domain_chr_type_to_string(chr->type));
        if (r >= 0)
                r = domain_chr_check_source(chr, path, err);
        if (r < 0) {
                domain_chr_clear(chr);
                return r;
        }
        *ret = TAKE_PTR(chr);
        return 0;
}

/* type='' is the caller's to write, on its own element. */
void domain_chr_backend_format(XmlWriter *w, const DomainChrDef *chr) {
        if (chr->type == DOMAIN_CHR_TCP || chr->type == DOMAIN_CHR_UDP) {
                domain_chr_format_net(w, chr);
                return;
        }
        if (chr->path) {
                xw_start(w, "source");
                if (chr->type == DOMAIN_CHR_UNIX)
                        xw_attr(w, "mode", chr->listen ? "bind" : "connect");
                xw_attr(w, "path", chr->path);
                xw_attr(w, "append", tristate_word(chr->append, "on", "off"));
                domain_chr_format_source_children(w, chr);
                xw_end(w);
        }
        if (chr->protocol_raw) {
                xw_start(w, "protocol");
                xw_attr(w, "type", "raw");
                xw_end(w);
        }
}

DomainChrDef *domain_chr_backend_free(DomainChrDef *chr) {
        if (chr)
                domain_chr_clear(chr);
        free(chr);
        return NULL;
}

/* A copy's strings become its own, in a chardev of its own. */
bool domain_chr_backend_own(DomainChrDef **chr) {
        DomainChrDef *src = *chr;

        if (!src)
                return true;
        *chr = malloc(sizeof(*src));
        if (!*chr)
                return false;
        **chr = *src;
        return domain_chr_own(*chr);
}
