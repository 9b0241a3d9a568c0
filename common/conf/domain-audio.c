/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <audio>: the host backend a sound card plays on. libvirt's types (none,
 * spice, alsa, coreaudio, jack, oss, pulseaudio, sdl, file, dbus), their
 * attributes, and <input>/<output> with <settings>; which a driver can run
 * is its own check (QEMU: the audio drivers it was built with). */
#include "domain-conf-internal.h"

static const char *const formats[] = { "s8", "u8", "s16", "u16", "s32", "u32", "f32" };
static const char *const sdl_drivers[] = { "esd", "alsa", "arts", "pulseaudio" };

static int parse_num(xmlNodePtr n, const char *path, const char *attr, DomainAudioNum *ret, ConfError *err) {
        int r = xml_attr_uint(n, path, attr, &ret->v, err);

        ret->set = r > 0;
        return r < 0 ? r : 0;
}

static int parse_str(xmlNodePtr n, const char *path, const char *attr, char **ret, ConfError *err) {
        int r = xml_attr_str(n, path, attr, ret, err);

        if (r > 0 && (!**ret || str_has_newline(*ret)))
                return xml_err_invalid(err, "invalid value '%s' of attribute '%s' of <%s>", *ret, attr, path);
        return r < 0 ? r : 0;
}

static int parse_settings(DomainAudioDirection *d, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "frequency", "channels", "format");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = parse_num(n, path, "frequency", &d->frequency, err);
        if (r >= 0)
                r = parse_num(n, path, "channels", &d->channels, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "format", formats, ELEMENTSOF(formats), &d->format, err);
        d->has_settings = true;
        return r < 0 ? r : 0;
}

/* The attributes of <input>/<output> that only some types have. */
static int check_direction_attrs(DomainAudioType type, xmlNodePtr n, const char *path, ConfError *err) {
#define COMMON "mixingEngine", "fixedSettings", "voices", "bufferLength"
        switch (type) {
        case DOMAIN_AUDIO_ALSA:
                return XML_CHECK_ATTRS(n, path, err, COMMON, "dev");
        case DOMAIN_AUDIO_COREAUDIO:
        case DOMAIN_AUDIO_SDL:
                return XML_CHECK_ATTRS(n, path, err, COMMON, "bufferCount");
        case DOMAIN_AUDIO_JACK:
                return XML_CHECK_ATTRS(n, path, err, COMMON, "serverName", "clientName", "connectPorts", "exactName");
        case DOMAIN_AUDIO_OSS:
                return XML_CHECK_ATTRS(n, path, err, COMMON, "dev", "bufferCount", "tryPoll");
        case DOMAIN_AUDIO_PULSEAUDIO:
                return XML_CHECK_ATTRS(n, path, err, COMMON, "name", "streamName", "latency");
        default:
                return XML_CHECK_ATTRS(n, path, err, COMMON);
        }
#undef COMMON
}

static int parse_direction(DomainAudioType type, DomainAudioDirection *d, xmlNodePtr n, const char *path,
                           ConfError *err) {
        int r = check_direction_attrs(type, n, path, err);

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        d->present = true;
        r = domain_attr_tristate(n, path, "mixingEngine", "yes", "no", &d->mixing_engine, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "fixedSettings", "yes", "no", &d->fixed_settings, err);
        if (r >= 0)
                r = parse_num(n, path, "voices", &d->voices, err);
        if (r >= 0)
                r = parse_num(n, path, "bufferLength", &d->buffer_length, err);
        if (r >= 0)
                r = parse_str(n, path, "dev", &d->dev, err);
        if (r >= 0)
                r = parse_num(n, path, "bufferCount", &d->buffer_count, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "tryPoll", "yes", "no", &d->try_poll, err);
        if (r >= 0)
                r = parse_str(n, path, "serverName", &d->server_name, err);
        if (r >= 0)
                r = parse_str(n, path, "clientName", &d->client_name, err);
        if (r >= 0)
                r = parse_str(n, path, "connectPorts", &d->connect_ports, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "exactName", "yes", "no", &d->exact_name, err);
        if (r >= 0)
                r = parse_str(n, path, "name", &d->name, err);
        if (r >= 0)
                r = parse_str(n, path, "streamName", &d->stream_name, err);
        if (r >= 0)
                r = parse_num(n, path, "latency", &d->latency, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (!xml_is(c, "settings"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = parse_settings(d, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_audio_attrs(const DomainAudioDef *a, xmlNodePtr n, const char *path, ConfError *err) {
        switch (a->type) {
        case DOMAIN_AUDIO_OSS:
                return XML_CHECK_ATTRS(n, path, err, "id", "type", "timerPeriod", "tryMMap", "exclusive", "dspPolicy");
        case DOMAIN_AUDIO_PULSEAUDIO:
                return XML_CHECK_ATTRS(n, path, err, "id", "type", "timerPeriod", "serverName");
        case DOMAIN_AUDIO_SDL:
                return XML_CHECK_ATTRS(n, path, err, "id", "type", "timerPeriod", "driver");
        case DOMAIN_AUDIO_FILE:
                return XML_CHECK_ATTRS(n, path, err, "id", "type", "timerPeriod", "path");
        default:
                return XML_CHECK_ATTRS(n, path, err, "id", "type", "timerPeriod");
        }
}

static int parse_type_attrs(DomainAudioDef *a, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = domain_attr_tristate(n, path, "tryMMap", "yes", "no", &a->try_mmap, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "exclusive", "yes", "no", &a->exclusive, err);
        if (r >= 0)
                r = parse_num(n, path, "dspPolicy", &a->dsp_policy, err);
        if (r >= 0)
                r = parse_str(n, path, "serverName", &a->server_name, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "driver", sdl_drivers, ELEMENTSOF(sdl_drivers), &a->driver, err);
        if (r >= 0)
                r = parse_str(n, path, "path", &a->path, err);
        return r < 0 ? r : 0;
}

int domain_parse_audio(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainAudioDef *a;
        int r;

        r = LIST_APPEND(def->audios, def->n_audios, &a, path, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_audio_type, &a->type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        r = check_audio_attrs(a, n, path, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = domain_parse_audio_id(n, path, &a->id, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "timerPeriod", &a->timer_period, err);
        if (r > 0 && a->timer_period == 0)
                return xml_err_invalid(err, "value '0' of attribute 'timerPeriod' of <%s> must be 1 or more", path);
        if (r >= 0)
                r = parse_type_attrs(a, n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (!xml_is(c, "input") && !xml_is(c, "output"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = parse_direction(a->type, xml_is(c, "input") ? &a->input : &a->output, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void format_num(XmlWriter *w, const char *attr, DomainAudioNum n) {
        if (n.set)
                xw_attrf(w, attr, "%u", n.v);
}

static void format_direction(XmlWriter *w, const char *name, const DomainAudioDirection *d) {
        if (!d->present)
                return;
        xw_start(w, name);
        xw_attr(w, "mixingEngine", tristate_word(d->mixing_engine, "yes", "no"));
        xw_attr(w, "fixedSettings", tristate_word(d->fixed_settings, "yes", "no"));
        format_num(w, "voices", d->voices);
        format_num(w, "bufferLength", d->buffer_length);
        xw_attr(w, "dev", d->dev);
        format_num(w, "bufferCount", d->buffer_count);
        xw_attr(w, "tryPoll", tristate_word(d->try_poll, "yes", "no"));
        xw_attr(w, "serverName", d->server_name);
        xw_attr(w, "clientName", d->client_name);
        xw_attr(w, "connectPorts", d->connect_ports);
        xw_attr(w, "exactName", tristate_word(d->exact_name, "yes", "no"));
        xw_attr(w, "name", d->name);
        xw_attr(w, "streamName", d->stream_name);
        format_num(w, "latency", d->latency);
        if (d->has_settings) {
                xw_start(w, "settings");
                format_num(w, "frequency", d->frequency);
                format_num(w, "channels", d->channels);
                xw_attr(w, "format", d->format);
                xw_end(w);
        }
        xw_end(w);
}

void domain_format_audio(XmlWriter *w, const DomainAudioDef *a) {
        xw_start(w, "audio");
        xw_attrf(w, "id", "%u", a->id);
        if (a->timer_period)
                xw_attrf(w, "timerPeriod", "%u", a->timer_period);
        xw_attr(w, "type", domain_audio_type_to_string(a->type));
        xw_attr(w, "tryMMap", tristate_word(a->try_mmap, "yes", "no"));
        xw_attr(w, "exclusive", tristate_word(a->exclusive, "yes", "no"));
        format_num(w, "dspPolicy", a->dsp_policy);
        xw_attr(w, "serverName", a->server_name);
        xw_attr(w, "driver", a->driver);
        xw_attr(w, "path", a->path);
        format_direction(w, "input", &a->input);
        format_direction(w, "output", &a->output);
        xw_end(w);
}

static void direction_clear(DomainAudioDirection *d) {
        free(d->format);
        free(d->dev);
        free(d->server_name);
        free(d->client_name);
        free(d->connect_ports);
        free(d->name);
        free(d->stream_name);
}

void domain_audio_clear(DomainAudioDef *a) {
        free(a->server_name);
        free(a->driver);
        free(a->path);
        direction_clear(&a->input);
        direction_clear(&a->output);
}

static bool direction_own(DomainAudioDirection *d) {
        bool ok = true;

        ok = own_str(&d->format) && ok;
        ok = own_str(&d->dev) && ok;
        ok = own_str(&d->server_name) && ok;
        ok = own_str(&d->client_name) && ok;
        ok = own_str(&d->connect_ports) && ok;
        ok = own_str(&d->name) && ok;
        ok = own_str(&d->stream_name) && ok;
        return ok;
}

bool domain_audio_own(DomainAudioDef *a) {
        bool ok = true;

        ok = own_str(&a->server_name) && ok;
        ok = own_str(&a->driver) && ok;
        ok = own_str(&a->path) && ok;
        ok = direction_own(&a->input) && ok;
        ok = direction_own(&a->output) && ok;
        return ok;
}
