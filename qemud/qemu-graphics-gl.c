/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OpenGL displays: define-time rules and the render node at start. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qemu-graphics-gl.h"
#include "util.h"

int qemu_graphics_validate(const DomainDef *def, ConfError *err) {
        bool egl = false;

        for (size_t i = 0; i < def->n_graphics; i++)
                egl = egl || def->graphics[i].type == DOMAIN_GRAPHICS_EGL_HEADLESS;
        if (!egl)
                return 0;
        for (size_t i = 0; i < def->n_graphics; i++) {
                const DomainGraphicsDef *g = &def->graphics[i];

                if (g->type != DOMAIN_GRAPHICS_EGL_HEADLESS && g->type != DOMAIN_GRAPHICS_VNC &&
                    g->type != DOMAIN_GRAPHICS_SPICE) {
                        conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: graphics type "
                                       "'egl-headless' is only supported with one of: 'vnc', 'spice' graphics types");
                        return -EOPNOTSUPP;
                }
                /* -spice gl=on and -display egl-headless both want the GPU */
                if (g->type == DOMAIN_GRAPHICS_SPICE && g->gl == TRISTATE_ON) {
                        conf_error_set(err, VB_ERROR_NOT_SUPPORTED,
                                       "unsupported configuration: multiple OpenGL displays are not supported by QEMU");
                        return -EOPNOTSUPP;
                }
        }
        return 0;
}

static bool needs_render_node(const DomainGraphicsDef *g) {
        if (g->type == DOMAIN_GRAPHICS_EGL_HEADLESS)
                return true;
        return (g->type == DOMAIN_GRAPHICS_SPICE || g->type == DOMAIN_GRAPHICS_DBUS) && g->gl == TRISTATE_ON;
}

/* The first renderD* of dev_dir/dri, by name; NULL if none. */
static char *first_render_node(const char *dev_dir) {
        _cleanup_free_ char *dri = NULL;
        char *best = NULL;
        DIR *d;

        if (asprintf(&dri, "%s/dri", dev_dir) < 0)
                return NULL;
        d = opendir(dri);
        if (!d)
                return NULL;
        for (struct dirent *e; (e = readdir(d));) {
                if (strncmp(e->d_name, "renderD", 7) != 0)
                        continue;
                if (!best || strcmp(e->d_name, best + strlen(dri) + 1) < 0) {
                        free(best);
                        if (asprintf(&best, "%s/%s", dri, e->d_name) < 0)
                                best = NULL;
                }
        }
        closedir(d);
        return best;
}

static int prepare_one(DomainGraphicsDef *g, const char *dev_dir, ConfError *err) {
        const char *type = domain_graphics_type_to_string(g->type);
        struct stat st;

        if (!g->rendernode) {
                g->rendernode = first_render_node(dev_dir);
                if (!g->rendernode) {
                        conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: OpenGL of "
                                       "<graphics type='%s'> needs a host render node (%s/dri/renderD*), and "
                                       "this host has none", type, dev_dir);
                        return -ENODEV;
                }
        }
        if (stat(g->rendernode, &st) < 0 || !S_ISCHR(st.st_mode)) {
                conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: the render node %s of "
                               "<graphics type='%s'> is not on this host", g->rendernode, type);
                return -ENODEV;
        }
        return 0;
}

int qemu_graphics_gl_prepare(DomainDef *live, const char *dev_dir, ConfError *err) {
        for (size_t i = 0; i < live->n_graphics; i++) {
                DomainGraphicsDef *g = &live->graphics[i];
                int r;

                if (g->type == DOMAIN_GRAPHICS_SDL) {
                        conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: <graphics "
                                       "type='sdl'> cannot start: qemud gives QEMU no X display (DISPLAY '%s', "
                                       "XAUTHORITY '%s')", g->display ?: "", g->xauth ?: "");
                        return -EOPNOTSUPP;
                }
                if (!needs_render_node(g))
                        continue;
                r = prepare_one(g, dev_dir, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
