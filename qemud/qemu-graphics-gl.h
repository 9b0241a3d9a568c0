/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Displays that render with OpenGL on a host GPU (egl-headless, and
 * spice/dbus/sdl with <gl enable='yes'/>): libvirt's define-time rules
 * for them, and at start the render node they use. */

#include "domain-conf.h"
#include "error.h"

/* libvirt's rules: egl-headless goes only with vnc and spice displays,
 * and never beside a SPICE display doing OpenGL itself. 0, or -EINVAL /
 * -EOPNOTSUPP with err set. */
int qemu_graphics_validate(const DomainDef *def, ConfError *err);

/* At start, on the live definition: each display that needs a render
 * node gets the first /dev/dri/renderD* of dev_dir (usually "/dev") when
 * it names none, as libvirt picks one; a named one must be a character
 * device there. An SDL display is refused: qemud does not give QEMU an
 * X display (DISPLAY, XAUTHORITY). 0, or -errno with err naming what is
 * missing. */
int qemu_graphics_gl_prepare(DomainDef *live, const char *dev_dir, ConfError *err);
