/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <graphics type='sdl'>, 'egl-headless', 'dbus', <gl/> and <audio id=''/>
 * of a display: parsed and formatted (schema-valid, stable), libvirt's
 * rules (qemu_graphics_validate() through qemu_validate_def()), and the
 * render node picked at start (qemu_graphics_gl_prepare()) on a made-up
 * /dev. The command lines are the golden files graphics-egl-headless,
 * graphics-dbus-p2p and graphics-sdl-gl. */

#include <ftw.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "domain-test.h"
#include "qemu-graphics-gl.h"
#include "qemu-validate.h"
#include "qemu-refuse-test.h"

static void test_round_trip(void) {
        static const char *const graphics[] = {
                "<graphics type='sdl' display=':0.1' xauth='/root/.Xauthority' fullscreen='yes'><gl enable='yes'/>"
                "</graphics>",
                "<graphics type='egl-headless'><gl rendernode='/dev/dri/foo'/></graphics>"
                "<graphics type='vnc' port='5903' autoport='no'><audio id='1'/></graphics><audio id='1' type='none'/>",
                "<graphics type='dbus' address='unix:path=/tmp/foo'><gl enable='yes' rendernode='/dev/dri/foo'/>"
                "</graphics>",
                "<graphics type='dbus' p2p='yes'><audio id='1'/></graphics><audio id='1' type='dbus'/>",
                "<graphics type='spice' autoport='yes'><gl enable='yes' rendernode='/dev/dri/foo'/></graphics>",
        };
        xmlRelaxNGPtr schema = load_schema();

        for (size_t i = 0; i < ELEMENTSOF(graphics); i++) {
                _cleanup_free_ char *xml = domain_with(NULL, graphics[i]), *a = NULL, *b = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "graphics"), *again = NULL;
                ConfError err = {};

                if (!def)
                        continue;
                CHECK(domain_def_validate(def, &err) == 0);
                CHECK(qemu_validate_def(def, &err) == 0);
                a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
                again = a ? parse_ok(a, "formatted graphics") : NULL;
                b = again ? format_ok(again, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(a && b && streq(a, b));
                if (schema && a)
                        CHECK(schema_valid(schema, a));
                if (i == 0 && a)
                        CHECK_CONTAINS(a, "<graphics type='sdl' display=':0.1' xauth='/root/.Xauthority' "
                                          "fullscreen='yes'>\n      <gl enable='yes'/>");
                if (i == 1 && a)
                        CHECK_CONTAINS(a, "<audio id='1'/>\n    </graphics>");
                if (i == 2 && a)
                        CHECK_CONTAINS(a, "<gl enable='yes' rendernode='/dev/dri/foo'/>");
        }
}

#define RULE(devices, name, needle) QEMU_REFUSED(NULL, devices, name, needle)

static void test_rules(void) {
        RULE("<graphics type='dbus' address='unix:path=/x' p2p='yes'/>", VB_ERROR_XML,
             "'address' and 'p2p' of <devices/graphics> are exclusive");
        RULE("<graphics type='vnc'><audio id='2'/></graphics><audio id='1' type='none'/>", VB_ERROR_INVALID_ARG,
             "<devices/graphics/audio id='2'/> names no <devices/audio>");
        RULE("<graphics type='sdl'/><graphics type='egl-headless'/>", VB_ERROR_NOT_SUPPORTED,
             "'egl-headless' is only supported with one of: 'vnc', 'spice'");
        RULE("<graphics type='spice'><listen type='none'/><gl enable='yes'/></graphics>"
             "<graphics type='egl-headless'/>", VB_ERROR_NOT_SUPPORTED, "multiple OpenGL displays");
        RULE("<graphics type='sdl'><gl rendernode='/dev/dri/x'/></graphics>", VB_ERROR_NOT_SUPPORTED,
             "attribute 'rendernode'");
        RULE("<graphics type='spice'><gl rendernode='/dev/dri/x'/></graphics>", VB_ERROR_XML,
             "missing attribute 'enable'");
        RULE("<graphics type='egl-headless'><gl rendernode='dri/x'/></graphics>", VB_ERROR_INVALID_ARG,
             "absolute path");
        RULE("<graphics type='egl-headless' port='5900'/>", VB_ERROR_NOT_SUPPORTED, "attribute 'port'");
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(p);
}

static int prepare(const char *devices, const char *dev, DomainDef **ret, ConfError *err) {
        _cleanup_free_ char *xml = domain_with(NULL, devices);
        DomainDef *def = parse_ok(xml, "gl");
        int r;

        if (!def)
                return -EBADMSG;
        r = qemu_graphics_gl_prepare(def, dev, err);
        *ret = def;
        return r;
}

static void test_prepare(void) {
        char root[] = "/tmp/vbtest-gl-XXXXXX";
        _cleanup_free_ char *dri = NULL, *node = NULL, *other = NULL, *named = NULL;
        DomainDef *def = NULL;
        ConfError err = {};

        if (!mkdtemp(root) || asprintf(&dri, "%s/dri", root) < 0 || asprintf(&node, "%s/renderD129", dri) < 0 ||
            asprintf(&other, "%s/renderD130", dri) < 0) {
                CHECK(!"setup");
                return;
        }
        CHECK(prepare("<graphics type='egl-headless'/>", root, &def, &err) == -ENODEV);
        CHECK_CONTAINS(err.message, "OpenGL of <graphics type='egl-headless'> needs a host render node");
        domain_def_free(def);
        CHECK(mkdir(dri, 0755) == 0);
        /* a character device as the kernel's DRM render nodes are (major 226) */
        if (mknod(node, S_IFCHR | 0600, makedev(226, 129)) < 0 || mknod(other, S_IFCHR | 0600, makedev(226, 130)) < 0) {
                fprintf(stderr, "  mknod: %m: the render node cases need root\n");
                nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
                return;
        }
        err = (ConfError) {};
        CHECK(prepare("<graphics type='egl-headless'/>", root, &def, &err) == 0);
        CHECK(def && streq_ptr(def->graphics[0].rendernode, node));
        domain_def_free(def);
        err = (ConfError) {};
        CHECK(prepare("<graphics type='spice'><gl enable='yes' rendernode='/dev/dri/nothere'/></graphics>", root,
                      &def, &err) == -ENODEV);
        CHECK_CONTAINS(err.message, "the render node /dev/dri/nothere of <graphics type='spice'> is not on this host");
        domain_def_free(def);
        err = (ConfError) {};
        CHECK(prepare("<graphics type='spice'><gl enable='no'/></graphics>", root, &def, &err) == 0);
        CHECK(def && !def->graphics[0].rendernode);
        domain_def_free(def);
        CHECK(prepare("<graphics type='sdl' display=':0'/>", root, &def, &err) == -EOPNOTSUPP);
        CHECK_CONTAINS(err.message, "qemud gives QEMU no X display (DISPLAY ':0'");
        domain_def_free(def);
        nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

UNIT_TESTS(test_round_trip, test_rules, test_prepare)
