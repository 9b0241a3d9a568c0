/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* -display for <graphics type='sdl'>, 'egl-headless' and 'dbus', and the
 * OpenGL options (gl=, rendernode=) they share with -spice. A display that
 * renders on the host GPU needs its render node: the driver picks one at
 * start (qemu-graphics-gl.c) when the definition names none. */
#include "qemu-command-internal.h"

static bool uses_render_node(const DomainGraphicsDef *g) {
        if (g->type == DOMAIN_GRAPHICS_EGL_HEADLESS)
                return true;
        return (g->type == DOMAIN_GRAPHICS_SPICE || g->type == DOMAIN_GRAPHICS_DBUS) && g->gl == TRISTATE_ON;
}

int qemu_graphics_gl_opts(QemuCmd *c, size_t i, OptBuf *b) {
        const DomainGraphicsDef *g = &c->def->graphics[i];

        /* SDL's gl=off is QEMU's default, spelt out as libvirt does */
        if (g->type == DOMAIN_GRAPHICS_SDL && g->gl != TRISTATE_ABSENT)
                opt_add_bool(b, "gl", g->gl == TRISTATE_ON);
        else if (g->gl == TRISTATE_ON)
                opt_add(b, "gl=on");
        if (!uses_render_node(g))
                return 0;
        if (!g->rendernode) {
                opt_done(b);
                return cmd_fail(c, -EINVAL, "graphics %zu: OpenGL needs a host render node, and none was picked", i);
        }
        opt_add_str(b, "rendernode", g->rendernode);
        return 0;
}

int qemu_build_local_display(QemuCmd *c, size_t i) {
        const DomainGraphicsDef *g = &c->def->graphics[i];
        OptBuf b = {};
        int r;

        opt_add(&b, "%s", domain_graphics_type_to_string(g->type));
        if (g->dbus_address)
                opt_add_str(&b, "addr", g->dbus_address);
        if (g->p2p)
                opt_add(&b, "p2p=on");
        r = qemu_graphics_gl_opts(c, i, &b);
        if (r < 0)
                return r;
        if (g->audio_id)
                opt_add(&b, "audiodev=audio%u", g->audio_id);
        r = cmd_opt(c, "-display", &b);
        if (r >= 0 && g->fullscreen)
                r = cmd_arg(c, "-full-screen");
        return r;
}
