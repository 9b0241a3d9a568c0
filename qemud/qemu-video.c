/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* At start: what the guest's video adapters need of the host. A virgl
 * adapter (<acceleration accel3d='yes'/>) renders through QEMU's OpenGL
 * display, so the definition needs one; a vhost-user one needs a
 * vhost-user-gpu backend, which QEMU's vhost-user descriptions
 * (/usr/share/qemu/vhost-user, files of "type": "gpu") name, and which
 * qemud runs (qemu-video-gpu.c). */
#include <dirent.h>
#include <json-c/json.h>

#include "qemu-video.h"
#include "util.h"

static bool has_gl_display(const DomainDef *def) {
        for (size_t i = 0; i < def->n_graphics; i++)
                if (def->graphics[i].type == DOMAIN_GRAPHICS_EGL_HEADLESS || def->graphics[i].gl == TRISTATE_ON)
                        return true;
        return false;
}

/* The "binary" of a description of type "gpu", or NULL. */
static char *gpu_binary(const char *file) {
        _cleanup_free_ char *text = NULL;
        json_object *o, *type, *binary;
        char *ret = NULL;

        o = read_full_file(file, 65536, &text, NULL) >= 0 ? json_tokener_parse(text) : NULL;
        if (o && json_object_object_get_ex(o, "type", &type) && streq_ptr(json_object_get_string(type), "gpu") &&
            json_object_object_get_ex(o, "binary", &binary) && json_object_get_string(binary))
                ret = strdup(json_object_get_string(binary));
        if (o)
                json_object_put(o);
        return ret;
}

char *qemu_video_find_backend(const char *dir) {
        DIR *d = opendir(dir);
        char *best = NULL;

        for (struct dirent *e; d && (e = readdir(d));) {
                _cleanup_free_ char *path = NULL, *bin = NULL;

                if (e->d_name[0] == '.' || asprintf(&path, "%s/%s", dir, e->d_name) < 0)
                        continue;
                bin = gpu_binary(path);
                if (bin && access(bin, X_OK) == 0) {
                        best = TAKE_PTR(bin);
                        break;
                }
        }
        if (d)
                closedir(d);
        return best;
}

int qemu_video_prepare(const DomainDef *live, const char *vhost_user_dir, ConfError *err) {
        for (size_t i = 0; i < live->n_videos; i++) {
                const DomainVideoDef *v = &live->videos[i];
                _cleanup_free_ char *backend = NULL;

                if (v->vhostuser && !(backend = qemu_video_find_backend(vhost_user_dir))) {
                        conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: video %zu: "
                                       "<driver name='vhostuser'/> needs a vhost-user-gpu backend, and no "
                                       "%s/*.json of type 'gpu' names one on this host (Debian's "
                                       "qemu-system-gui has it)", i, vhost_user_dir);
                        return -EOPNOTSUPP;
                }
                if (v->accel3d == TRISTATE_ON && !has_gl_display(live)) {
                        conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: video %zu: 3d "
                                       "acceleration (virgl) needs an OpenGL display: a <graphics> with <gl "
                                       "enable='yes'/>, or one of type 'egl-headless'", i);
                        return -EOPNOTSUPP;
                }
        }
        return 0;
}
