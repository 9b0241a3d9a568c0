/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One <audio> as QEMU's -audiodev option string: the driver for its type,
 * the type's own options and those of each direction ("in.", "out."), as
 * libvirt gives them. Pure: see qemu-command.h. */

#include "qemu-command-internal.h"
#include "util.h"

static const char *const drivers[_DOMAIN_AUDIO_MAX] = {
        [DOMAIN_AUDIO_NONE] = "none",     [DOMAIN_AUDIO_SPICE] = "spice", [DOMAIN_AUDIO_ALSA] = "alsa",
        [DOMAIN_AUDIO_COREAUDIO] = "coreaudio", [DOMAIN_AUDIO_JACK] = "jack", [DOMAIN_AUDIO_OSS] = "oss",
        [DOMAIN_AUDIO_PULSEAUDIO] = "pa", [DOMAIN_AUDIO_SDL] = "sdl",     [DOMAIN_AUDIO_FILE] = "wav",
        [DOMAIN_AUDIO_DBUS] = "dbus",
};

static void add_num(OptBuf *b, const char *dir, const char *key, DomainAudioNum n) {
        if (n.set)
                opt_add(b, "%s%s=%u", dir, key, n.v);
}

static void add_tristate(OptBuf *b, const char *dir, const char *key, Tristate t) {
        if (t != TRISTATE_ABSENT)
                opt_add(b, "%s%s=%s", dir, key, t == TRISTATE_ON ? "on" : "off");
}

static void add_str(OptBuf *b, const char *dir, const char *key, const char *v) {
        char k[64];

        if (!v)
                return;
        snprintf(k, sizeof(k), "%s%s", dir, key);
        opt_add_str(b, k, v);
}

static void add_direction(OptBuf *b, const char *dir, const DomainAudioDirection *d) {
        if (!d->present)
                return;
        add_tristate(b, dir, "mixing-engine", d->mixing_engine);
        add_tristate(b, dir, "fixed-settings", d->fixed_settings);
        add_num(b, dir, "voices", d->voices);
        add_num(b, dir, "buffer-length", d->buffer_length);
        add_num(b, dir, "frequency", d->frequency);
        add_num(b, dir, "channels", d->channels);
        add_str(b, dir, "format", d->format);
        add_str(b, dir, "dev", d->dev);
        add_num(b, dir, "buffer-count", d->buffer_count);
        add_tristate(b, dir, "try-poll", d->try_poll);
        add_str(b, dir, "server-name", d->server_name);
        add_str(b, dir, "client-name", d->client_name);
        add_str(b, dir, "connect-ports", d->connect_ports);
        add_tristate(b, dir, "exact-name", d->exact_name);
        add_str(b, dir, "name", d->name);
        add_str(b, dir, "stream-name", d->stream_name);
        add_num(b, dir, "latency", d->latency);
}

int qemu_audiodev_opts(QemuCmd *c, const DomainAudioDef *a, OptBuf *b) {
        const char *driver = (unsigned) a->type < _DOMAIN_AUDIO_MAX ? drivers[a->type] : NULL;

        if (!driver)
                return cmd_fail(c, -EOPNOTSUPP, "audio %u: type %d is not supported", a->id, (int) a->type);
        if (a->type == DOMAIN_AUDIO_SPICE && !qemu_has_spice(c->def))
                return cmd_fail(c, -EINVAL, "<audio id='%u' type='spice'> needs a <graphics type='spice'>", a->id);
        /* libvirt picks SDL's driver through QEMU's environment */
        if (a->driver)
                return cmd_fail(c, -EOPNOTSUPP, "audio %u: <audio type='sdl' driver='%s'> is not supported by qemud: "
                                "it sets no SDL_AUDIODRIVER for QEMU", a->id, a->driver);
        opt_add(b, "%s,id=audio%u", driver, a->id);
        if (a->timer_period > 0)
                opt_add(b, "timer-period=%u", a->timer_period);
        add_tristate(b, "", "try-mmap", a->try_mmap);
        add_tristate(b, "", "exclusive", a->exclusive);
        add_num(b, "", "dsp-policy", a->dsp_policy);
        add_str(b, "", "server", a->server_name);
        add_str(b, "", "path", a->path);
        add_direction(b, "in.", &a->input);
        add_direction(b, "out.", &a->output);
        return 0;
}
