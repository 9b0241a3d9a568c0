/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <video> on QEMU's command line: the primary adapter first (the one the
 * firmware shows, a VGA-compatible device), then the others. A virtio
 * adapter with <acceleration accel3d='yes'/> is QEMU's virgl device
 * (virtio-vga-gl, virtio-gpu-gl-pci); one with <driver name='vhostuser'/>
 * is a vhost-user-vga/vhost-user-gpu-pci whose rendering is done by a
 * vhost-user-gpu process on a unix socket in the run directory. */
#include "qemu-command-internal.h"
#include "util.h"

/* RUN_DIR/NAME.videoN-gpu.sock: where the vhost-user-gpu backend of video
 * i listens and QEMU connects. */
int qemu_video_vhost_user_path(const DomainDef *def, size_t i, const char *run_dir, char **ret) {
        if (!run_dir || !def->name)
                return -EINVAL;
        if (asprintf(ret, "%s/%s.video%zu-gpu.sock", run_dir, def->name, i) < 0)
                return -ENOMEM;
        return 0;
}

static int build_vhost_user_chardev(QemuCmd *c, size_t i) {
        _cleanup_free_ char *path = NULL;
        OptBuf b = {};
        int r;

        if (!cmd_renders(c))
                return 0;
        r = qemu_video_vhost_user_path(c->def, i, c->params->run_dir, &path);
        if (r < 0)
                return cmd_fail(c, r, "video%zu: a vhost-user-gpu backend needs a run directory", i);
        opt_add(&b, "socket,id=chr-vu-video%zu", i);
        opt_add_str(&b, "path", path);
        return cmd_opt(c, "-chardev", &b);
}

static const char *virtio_type(const DomainVideoDef *v, bool primary) {
        if (v->vhostuser)
                return primary ? "vhost-user-vga" : "vhost-user-gpu-pci";
        if (v->accel3d == TRISTATE_ON)
                return primary ? "virtio-vga-gl" : "virtio-gpu-gl-pci";
        return primary ? "virtio-vga" : "virtio-gpu-pci";
}

static int video_type(QemuCmd *c, const DomainVideoDef *v, bool primary, const char **ret) {
        const char *model = v->model ?: "vga";

        if (!primary && (streq(model, "vga") || streq(model, "cirrus")))
                return cmd_fail(c, -EOPNOTSUPP, "video model '%s' can only be the primary one", model);
        if (streq(model, "vga") || streq(model, "cirrus"))
                *ret = streq(model, "vga") ? "VGA" : "cirrus-vga";
        else if (streq(model, "virtio"))
                *ret = virtio_type(v, primary);
        else if (streq(model, "qxl"))
                *ret = primary ? "qxl-vga" : "qxl";
        else if (streq(model, "bochs"))
                *ret = "bochs-display";
        else
                return cmd_fail(c, -EOPNOTSUPP, "video model '%s' is not supported", model);
        /* QEMU's virtio-gpu does 3D with virgl only; no device does 2D
         * acceleration */
        if (v->accel3d == TRISTATE_ON && !streq(model, "virtio"))
                return cmd_fail(c, -EOPNOTSUPP, "video model '%s': 3d acceleration is not supported, only for "
                                "'virtio'", model);
        if (v->accel2d == TRISTATE_ON)
                return cmd_fail(c, -EOPNOTSUPP, "video model '%s': QEMU does not support the accel2d setting",
                                model);
        return 0;
}

/* The memory and screen properties of each model. */
static void video_props(const DomainVideoDef *v, const char *model, json_object **o) {
        bool qxl = streq(model, "qxl"), virtio = streq(model, "virtio");

        if ((streq(model, "vga") || streq(model, "cirrus")) && v->vram > 0)
                prop_int(o, "vgamem_mb", MAX(v->vram / 1024, 1u));
        /* QXL's memory bars: ram (with the VGA framebuffer), vram (surfaces),
         * vram64 (surfaces above 4 GiB) */
        if (qxl && v->ram > 0)
                prop_int(o, "ram_size", (int64_t) v->ram * 1024);
        if (qxl && v->vram > 0)
                prop_int(o, "vram_size", (int64_t) v->vram * 1024);
        if (qxl && v->vram64 > 0)
                prop_int(o, "vram64_size_mb", v->vram64 / 1024);
        if (qxl && v->vgamem > 0)
                prop_int(o, "vgamem_mb", MAX(v->vgamem / 1024, 1u));
        if ((virtio || qxl) && v->heads > 0)
                prop_int(o, "max_outputs", v->heads);
        if ((virtio || qxl) && v->res_x > 0) {
                prop_int(o, "xres", v->res_x);
                prop_int(o, "yres", v->res_y);
        }
}

static int build_video(QemuCmd *c, size_t i, bool primary) {
        const DomainVideoDef *v = &c->def->videos[i];
        const char *model = v->model ?: "vga", *type = NULL;
        _cleanup_(qemu_json_putp) json_object *o = NULL;
        char what[128];
        int r;

        cmd_at(c, QEMU_DEVICE_VIDEO, i);
        if (streq(model, "none"))
                return 0;
        qemu_dev_id(what, sizeof(what), v->alias, "video%zu", i);
        if (streq(model, "ramfb")) {
                if (v->addr.type != DOMAIN_ADDRESS_NONE)
                        return cmd_fail(c, -EINVAL, "video model 'ramfb' is no PCI device: it has no <address>");
                return cmd_device(c, dev_new("ramfb", what));
        }
        r = video_type(c, v, primary, &type);
        if (r < 0)
                return r;
        if (!streq(model, "qxl") && (v->ram > 0 || v->vgamem > 0 || v->vram64 > 0))
                return cmd_fail(c, -EINVAL, "%s: ram, vram64 and vgamem are for video model 'qxl' only", what);
        if (v->vhostuser) {
                r = build_vhost_user_chardev(c, i);
                if (r < 0)
                        return r;
        }
        r = qemu_pci_device_new(c, &v->addr, what, type, what, &o);
        if (r < 0)
                return r;
        video_props(v, model, &o);
        if (v->vhostuser)
                prop_strf(&o, "chardev", "chr-vu-%s", what);
        qemu_virtio_opts_props(&o, &v->virtio);
        r = qemu_acpi_index_prop(c, &o, v->acpi_index, what);
        if (r < 0)
                return r;
        return cmd_device(c, TAKE_PTR(o));
}

size_t qemu_primary_video(const DomainDef *def) {
        for (size_t i = 0; i < def->n_videos; i++)
                if (def->videos[i].primary)
                        return i;
        return 0;
}

/* The primary adapter goes first: it is the one the firmware shows. */
int qemu_build_videos(QemuCmd *c) {
        const DomainDef *def = c->def;
        size_t primary = qemu_primary_video(def);
        int r;

        if (def->n_videos == 0)
                return 0;
        r = build_video(c, primary, true);
        for (size_t i = 0; r >= 0 && i < def->n_videos; i++)
                if (i != primary)
                        r = build_video(c, i, false);
        return r;
}
