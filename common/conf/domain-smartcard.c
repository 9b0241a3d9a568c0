/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <smartcard mode=''>: a card in a slot of a ccid controller (a USB
 * smartcard reader). mode 'host': QEMU emulates a card on the host's NSS
 * database; 'host-certificates': one on three certificates of it
 * (<certificate> nicknames, <database> the NSS directory); 'passthrough':
 * the card of a remote reader, spoken to over a chardev (type='tcp',
 * 'unix' or 'spicevmc', with a <source> and <protocol> as a <serial>'s). */
#include "domain-conf-internal.h"

static const char *const mode_names[_DOMAIN_SMARTCARD_MODE_MAX] = {
        [DOMAIN_SMARTCARD_HOST] = "host",
        [DOMAIN_SMARTCARD_HOST_CERTIFICATES] = "host-certificates",
        [DOMAIN_SMARTCARD_PASSTHROUGH] = "passthrough",
};

static int parse_mode(DomainSmartcardDef *sc, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *mode = NULL;
        int r;

        r = xml_attr_str_required(n, path, "mode", &mode, err);
        if (r < 0)
                return r;
        for (DomainSmartcardMode m = 0; m < _DOMAIN_SMARTCARD_MODE_MAX; m++)
                if (streq(mode, mode_names[m])) {
                        sc->mode = m;
                        return 0;
                }
        return xml_err_invalid(err, "value '%s' of attribute 'mode' of <%s> must be 'host', 'host-certificates' or "
                               "'passthrough'", mode, path);
}

/* A text child: a certificate's nickname or the database directory. */
static int parse_text(xmlNodePtr n, const char *path, char **ret, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        s = (char *) xmlNodeGetContent(n);
        if (!s)
                return xml_err_oom(err);
        if (!*s || str_has_newline(s))
                return xml_err_invalid(err, "invalid text '%s' of <%s>", s, path);
        *ret = TAKE_PTR(s);
        return 0;
}

static int parse_certificates(DomainSmartcardDef *sc, xmlNodePtr n, const char *path, ConfError *err) {
        size_t n_certs = 0;
        int r;

        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "certificate")) {
                        if (n_certs == DOMAIN_SMARTCARD_CERTS)
                                return xml_err_xml(err, "host-certificates mode of <%s> needs exactly three "
                                                   "certificates, not more", path);
                        r = parse_text(c, sub, &sc->certs[n_certs++], err);
                } else if (xml_is(c, "database")) {
                        r = xml_check_unique(c, sub, err);
                        if (r >= 0)
                                r = parse_text(c, sub, &sc->database, err);
                        if (r >= 0)
                                r = domain_check_abs_path(sc->database, "the directory of", sub, err);
                } else if (xml_is(c, "alias"))
                        r = domain_parse_alias(c, sub, &sc->alias, err);
                else if (xml_is(c, "address"))
                        r = domain_parse_address(c, sub, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_CCID), &sc->addr, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (n_certs != DOMAIN_SMARTCARD_CERTS)
                return xml_err_xml(err, "host-certificates mode of <%s> needs exactly three certificates, not %zu",
                                   path, n_certs);
        return 0;
}

/* <source mode='bind|connect' path=''/> of a unix passthrough. */
static int parse_unix_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *mode = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "mode", "path");
        if (r >= 0)
                r = domain_chr_parse_source_children(chr, n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "path", &chr->path, err);
        if (r >= 0)
                r = domain_check_abs_path(chr->path, "attribute 'path' of", path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "mode", &mode, err);
        if (r < 0)
                return r;
        if (mode && !streq(mode, "bind") && !streq(mode, "connect"))
                return xml_err_invalid(err, "value '%s' of attribute 'mode' of <%s> must be 'bind' or 'connect'",
                                       mode, path);
        chr->listen = streq_ptr(mode, "bind");
        return 0;
}

static int parse_passthrough_child(DomainSmartcardDef *sc, xmlNodePtr c, const char *path, ConfError *err) {
        DomainChrDef *chr = sc->src;
        XML_SUBPATH(sub, path, (const char *) c->name);
        int r;

        r = xml_check_unique(c, sub, err);
        if (r < 0)
                return r;
        if (xml_is(c, "alias"))
                return domain_parse_alias(c, sub, &sc->alias, err);
        if (xml_is(c, "address"))
                return domain_parse_address(c, sub, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_CCID), &sc->addr, err);
        /* SPICE's client is the other end of a spicevmc one */
        if (chr->type == DOMAIN_CHR_SPICEVMC)
                return xml_unsupported_element(c, path, err);
        if (xml_is(c, "source") && chr->type == DOMAIN_CHR_TCP)
                return domain_chr_parse_net_source(chr, c, sub, err);
        if (xml_is(c, "source"))
                return parse_unix_source(chr, c, sub, err);
        if (xml_is(c, "protocol") && chr->type == DOMAIN_CHR_TCP)
                return domain_chr_parse_protocol(chr, c, sub, err);
        if (xml_is(c, "protocol"))
                return domain_parse_unix_protocol(c, sub, &sc->protocol_raw, err);
        return xml_unsupported_element(c, path, err);
}

static int parse_passthrough(DomainSmartcardDef *sc, xmlNodePtr n, const char *path, ConfError *err) {
        DomainChrType type = 0;
        int r;

        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_chr_type, &type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s> in mode 'passthrough'", path);
        if (type != DOMAIN_CHR_TCP && type != DOMAIN_CHR_UNIX && type != DOMAIN_CHR_SPICEVMC)
                return xml_err_unsupported(err, "value '%s' of attribute 'type' of <%s> is not supported, only "
                                           "'tcp', 'unix' and 'spicevmc'", domain_chr_type_to_string(type), path);
        sc->src = calloc(1, sizeof(*sc->src));
        if (!sc->src)
                return xml_err_oom(err);
        sc->src->type = type;
        sc->src->kind = DOMAIN_CHR_CONSOLE; /* neither a channel's defaults nor a serial's log */
        XML_FOREACH_ELEMENT(c, n) {
                r = parse_passthrough_child(sc, c, path, err);
                if (r < 0)
                        return r;
        }
        if (type == DOMAIN_CHR_TCP && !sc->src->service)
                return xml_err_xml(err, "missing <%s/source> with a service for type 'tcp'", path);
        if (type == DOMAIN_CHR_UNIX && !sc->src->path)
                return xml_err_xml(err, "missing <%s/source> with a path for type 'unix'", path);
        return domain_chr_check_source(sc->src, path, err);
}

int domain_parse_smartcard(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainSmartcardDef *sc;
        int r;

        r = LIST_APPEND(def->smartcards, def->n_smartcards, &sc, path, err);
        if (r < 0)
                return r;
        r = parse_mode(sc, n, path, err);
        if (r < 0)
                return r;
        r = sc->mode == DOMAIN_SMARTCARD_PASSTHROUGH ? XML_CHECK_ATTRS(n, path, err, "mode", "type") :
                                                       XML_CHECK_ATTRS(n, path, err, "mode");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        switch (sc->mode) {
        case DOMAIN_SMARTCARD_HOST:
                return domain_parse_alias_address_only(n, path, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_CCID),
                                                       &sc->alias, &sc->addr, err);
        case DOMAIN_SMARTCARD_HOST_CERTIFICATES:
                return parse_certificates(sc, n, path, err);
        default:
                return parse_passthrough(sc, n, path, err);
        }
}

static void format_passthrough(XmlWriter *w, const DomainSmartcardDef *sc) {
        const DomainChrDef *chr = sc->src;

        if (chr->type == DOMAIN_CHR_TCP) {
                domain_chr_format_net(w, chr);
                return;
        }
        if (chr->type != DOMAIN_CHR_UNIX)
                return;
        xw_start(w, "source");
        xw_attr(w, "mode", chr->listen ? "bind" : "connect");
        xw_attr(w, "path", chr->path);
        domain_chr_format_source_children(w, chr);
        xw_end(w);
        if (sc->protocol_raw) {
                xw_start(w, "protocol");
                xw_attr(w, "type", "raw");
                xw_end(w);
        }
}

void domain_format_smartcard(XmlWriter *w, const DomainSmartcardDef *sc, unsigned flags) {
        xw_start(w, "smartcard");
        xw_attr(w, "mode", mode_names[sc->mode]);
        if (sc->src)
                xw_attr(w, "type", domain_chr_type_to_string(sc->src->type));
        for (size_t i = 0; i < DOMAIN_SMARTCARD_CERTS; i++)
                if (sc->certs[i])
                        xw_element(w, "certificate", sc->certs[i]);
        if (sc->database)
                xw_element(w, "database", sc->database);
        if (sc->src)
                format_passthrough(w, sc);
        domain_format_alias(w, sc->alias, flags);
        domain_format_address(w, &sc->addr);
        xw_end(w);
}

void domain_smartcard_clear(DomainSmartcardDef *sc) {
        for (size_t i = 0; i < DOMAIN_SMARTCARD_CERTS; i++)
                free(sc->certs[i]);
        free(sc->database);
        free(sc->alias);
        if (sc->src)
                domain_chr_clear(sc->src);
        free(sc->src);
}

/* A copy's strings and its chardev become its own. */
bool domain_smartcard_own(DomainSmartcardDef *sc) {
        DomainChrDef *src = sc->src;
        bool ok = own_str(&sc->database) && own_str(&sc->alias);

        for (size_t i = 0; i < DOMAIN_SMARTCARD_CERTS; i++)
                ok = own_str(&sc->certs[i]) && ok;
        if (!src)
                return ok;
        sc->src = malloc(sizeof(*src));
        if (!sc->src)
                return false;
        *sc->src = *src;
        return domain_chr_own(sc->src) && ok;
}
