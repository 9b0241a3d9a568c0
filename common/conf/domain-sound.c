/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <sound> (the emulated sound card, with its HDA codecs); <audio>, the
 * host backend it plays on, is domain-audio.c. Modelled: the cards QEMU
 * 7.2 has (sb16, es1370, ac97, ich6, ich9, usb) and the PC speaker (pcspk,
 * the machine's own); ich7 is refused, naming it. */
#include "domain-conf-internal.h"

/* The schema's uint8 for <audio id=''/>; libvirt counts from 1. */
int domain_parse_audio_id(xmlNodePtr n, const char *path, unsigned *ret, ConfError *err) {
        unsigned id = 0;
        int r;

        r = xml_attr_uint(n, path, "id", &id, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'id' of <%s>", path);
        if (id == 0 || id > 255)
                return xml_err_invalid(err, "value '%u' of attribute 'id' of <%s> is out of range: 1 to 255",
                                       id, path);
        *ret = id;
        return 0;
}

/* ---- sound ---------------------------------------------------------------- */

static bool sound_has_codecs(DomainSoundModel m) {
        return m == DOMAIN_SOUND_ICH6 || m == DOMAIN_SOUND_ICH9;
}

/* The bus each card sits on: PCI, USB, or ISA (sb16: no address we model). */
static unsigned sound_address_types(DomainSoundModel m) {
        if (m == DOMAIN_SOUND_USB)
                return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_USB);
        if (m == DOMAIN_SOUND_SB16 || m == DOMAIN_SOUND_PCSPK)
                return 0;
        return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI);
}

static int parse_codec(DomainSoundDef *s, xmlNodePtr n, const char *path, ConfError *err) {
        DomainSoundCodec *codec;
        int r;

        if (!sound_has_codecs(s->model))
                return xml_err_unsupported(err, "<%s> is only supported for sound models 'ich6' and 'ich9', "
                                           "not '%s'", path, domain_sound_model_to_string(s->model));
        r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        /* an HDA link has 15 codec addresses */
        if (s->n_codecs >= 15)
                return xml_err_invalid(err, "too many <%s> elements: at most 15", path);
        r = LIST_APPEND(s->codecs, s->n_codecs, &codec, path, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_sound_codec, codec, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        return 0;
}

static int parse_sound_audio(DomainSoundDef *s, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "id");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        return domain_parse_audio_id(n, path, &s->audio_id, err);
}

int domain_parse_sound(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainSoundDef *s;
        int r;

        r = LIST_APPEND(def->sounds, def->n_sounds, &s, path, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "model", domain_sound_model, &s->model, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'model' of <%s>", path);
        r = XML_CHECK_ATTRS(n, path, err, "model");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "codec") && !xml_is(c, "audio") && !xml_is(c, "alias") && !xml_is(c, "address"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "codec"))
                        r = parse_codec(s, c, sub, err);
                else if (xml_is(c, "audio"))
                        r = parse_sound_audio(s, c, sub, err);
                else if (xml_is(c, "address")) {
                        r = xml_check_unique(c, sub, err);
                        if (r >= 0)
                                r = domain_parse_address(c, sub, sound_address_types(s->model), &s->addr, err);
                } else
                        r = domain_parse_alias(c, sub, &s->alias, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_sound(XmlWriter *w, const DomainSoundDef *s, unsigned flags) {
        xw_start(w, "sound");
        xw_attr(w, "model", domain_sound_model_to_string(s->model));
        for (size_t i = 0; i < s->n_codecs; i++) {
                xw_start(w, "codec");
                xw_attr(w, "type", domain_sound_codec_to_string(s->codecs[i]));
                xw_end(w);
        }
        if (s->audio_id) {
                xw_start(w, "audio");
                xw_attrf(w, "id", "%u", s->audio_id);
                xw_end(w);
        }
        domain_format_alias(w, s->alias, flags);
        domain_format_address(w, &s->addr);
        xw_end(w);
}

void domain_sound_clear(DomainSoundDef *s) {
        free(s->codecs);
        free(s->alias);
}

bool domain_sound_own(DomainSoundDef *s) {
        bool ok = true;

        ok = OWN_ARRAY(s->codecs, s->n_codecs) && ok;
        ok = own_str(&s->alias) && ok;
        return ok;
}
