/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The builder of the sound family: the host backends (-audiodev, one per
 * <audio>, "audioID") and the sound cards (-device, "soundN", with their
 * HDA codecs "soundN-codecK" on bus "soundN.0"), each card naming its
 * backend with "audiodev". As libvirt does, a domain with a sound card and
 * no <audio> gets one: 'spice' when it has a SPICE display (the client
 * plays the sound), else 'none'. Pure: see qemu-command.h. */

#include "qemu-command-internal.h"
#include "util.h"

/* The id of the implicit backend, as libvirt numbers it. */
#define IMPLICIT_AUDIO_ID 1u

static int build_audiodev(QemuCmd *c, const DomainAudioDef *a) {
        OptBuf b = {};
        int r = qemu_audiodev_opts(c, a, &b);

        if (r < 0) {
                opt_done(&b);
                return r;
        }
        return cmd_opt(c, "-audiodev", &b);
}

int qemu_build_audios(QemuCmd *c) {
        const DomainDef *def = c->def;

        if (def->n_audios == 0 && def->n_sounds > 0) {
                const DomainAudioDef implicit = {
                        .id = IMPLICIT_AUDIO_ID,
                        .type = qemu_has_spice(def) ? DOMAIN_AUDIO_SPICE : DOMAIN_AUDIO_NONE,
                };
                return build_audiodev(c, &implicit);
        }
        for (size_t i = 0; i < def->n_audios; i++) {
                const DomainAudioDef *a = &def->audios[i];
                int r;

                if (a->id == 0 || a->id > 255)
                        return cmd_fail(c, -EINVAL, "audio %zu: id %u is out of range: 1 to 255", i, a->id);
                for (size_t j = 0; j < i; j++)
                        if (def->audios[j].id == a->id)
                                return cmd_fail(c, -EINVAL, "two <audio> have the id %u", a->id);
                r = build_audiodev(c, a);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The backend a card plays on: the one it names, else the first. */
static int sound_audio_id(QemuCmd *c, const DomainSoundDef *s, const char *what, unsigned *ret) {
        const DomainDef *def = c->def;

        if (s->audio_id == 0) {
                *ret = def->n_audios > 0 ? def->audios[0].id : IMPLICIT_AUDIO_ID;
                return 0;
        }
        for (size_t i = 0; i < def->n_audios; i++)
                if (def->audios[i].id == s->audio_id) {
                        *ret = s->audio_id;
                        return 0;
                }
        return cmd_fail(c, -EINVAL, "%s: <audio id='%u'/> names no <audio> of the domain", what, s->audio_id);
}

static const char *const codec_types[_DOMAIN_SOUND_CODEC_MAX] = {
        [DOMAIN_SOUND_CODEC_DUPLEX] = "hda-duplex",
        [DOMAIN_SOUND_CODEC_MICRO] = "hda-micro",
        [DOMAIN_SOUND_CODEC_OUTPUT] = "hda-output",
};

/* The codecs of an HDA controller, at codec addresses 0, 1...; none
 * given: one duplex codec (libvirt's old default). */
static int build_codecs(QemuCmd *c, const DomainSoundDef *s, const char *what, unsigned audio) {
        static const DomainSoundCodec dflt = DOMAIN_SOUND_CODEC_DUPLEX;
        const DomainSoundCodec *codecs = s->n_codecs > 0 ? s->codecs : &dflt;
        size_t n = s->n_codecs > 0 ? s->n_codecs : 1;
        int r;

        if (n > 15)
                return cmd_fail(c, -EINVAL, "%s: %zu codecs, an HDA link has at most 15", what, n);
        for (size_t k = 0; k < n; k++) {
                json_object *o;
                char id[160];

                if ((unsigned) codecs[k] >= _DOMAIN_SOUND_CODEC_MAX)
                        return cmd_fail(c, -EOPNOTSUPP, "%s: codec type %d is not supported", what, (int) codecs[k]);
                snprintf(id, sizeof(id), "%s-codec%zu", what, k);
                o = dev_new(codec_types[codecs[k]], id);
                prop_strf(&o, "bus", "%s.0", what);
                prop_int(&o, "cad", (int64_t) k);
                prop_strf(&o, "audiodev", "audio%u", audio);
                r = cmd_device(c, o);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_sound(QemuCmd *c, size_t i) {
        const DomainSoundDef *s = &c->def->sounds[i];
        const char *type;
        unsigned audio = 0;
        json_object *o = NULL;
        char what[128];
        int r;

        qemu_dev_id(what, sizeof(what), s->alias, "sound%zu", i);
        r = sound_audio_id(c, s, what, &audio);
        if (r < 0)
                return r;
        if (s->n_codecs > 0 && s->model != DOMAIN_SOUND_ICH6 && s->model != DOMAIN_SOUND_ICH9)
                return cmd_fail(c, -EINVAL, "%s: only models ich6 and ich9 have codecs", what);
        switch (s->model) {
        case DOMAIN_SOUND_ICH6:
        case DOMAIN_SOUND_ICH9:
                type = s->model == DOMAIN_SOUND_ICH9 ? "ich9-intel-hda" : "intel-hda";
                r = qemu_pci_device_new(c, &s->addr, what, type, what, &o);
                if (r < 0)
                        return r;
                r = cmd_device(c, o);
                return r < 0 ? r : build_codecs(c, s, what, audio);
        case DOMAIN_SOUND_AC97:
        case DOMAIN_SOUND_ES1370:
                type = s->model == DOMAIN_SOUND_AC97 ? "AC97" : "ES1370";
                r = qemu_pci_device_new(c, &s->addr, what, type, what, &o);
                if (r < 0)
                        return r;
                break;
        case DOMAIN_SOUND_SB16:
                if (s->addr.type != DOMAIN_ADDRESS_NONE)
                        return cmd_fail(c, -EINVAL, "%s: an ISA sound card (sb16) has no <address> of type '%s'", what,
                                        domain_address_type_to_string(s->addr.type) ?: "?");
                o = dev_new("sb16", what);
                break;
        case DOMAIN_SOUND_PCSPK:
                /* the machine's own: its backend is -machine pcspk-audiodev= */
                if (s->addr.type != DOMAIN_ADDRESS_NONE)
                        return cmd_fail(c, -EINVAL, "%s: the PC speaker (pcspk) has no <address>", what);
                return 0;
        case DOMAIN_SOUND_USB:
                o = dev_new("usb-audio", what);
                r = qemu_usb_bus_props(c, &s->addr, what, &o);
                if (r < 0) {
                        qemu_json_putp(&o);
                        return r;
                }
                break;
        default:
                return cmd_fail(c, -EOPNOTSUPP, "%s: sound model %d is not supported", what, (int) s->model);
        }
        prop_strf(&o, "audiodev", "audio%u", audio);
        return cmd_device(c, o);
}

int qemu_build_sounds(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_sounds; i++) {
                int r;

                cmd_at(c, QEMU_DEVICE_SOUND, i);
                r = build_sound(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The PC speaker's backend, a property of the pc and q35 machines. */
int qemu_pcspk_machine_opt(QemuCmd *c, OptBuf *b) {
        unsigned audio = 0;
        int r;

        for (size_t i = 0; i < c->def->n_sounds; i++) {
                if (c->def->sounds[i].model != DOMAIN_SOUND_PCSPK)
                        continue;
                r = sound_audio_id(c, &c->def->sounds[i], "the PC speaker (pcspk)", &audio);
                if (r < 0)
                        return r;
                opt_add(b, "pcspk-audiodev=audio%u", audio);
                return 0;
        }
        return 0;
}
