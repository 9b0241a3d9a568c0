/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <channel type='qemu-vdagent'>: QEMU itself is the host end of the SPICE
 * agent's port (for a VNC or other display); its <source> says whether it
 * shares the clipboard (<clipboard copypaste='yes|no'/>) and passes the
 * client's absolute pointer (<mouse mode='client'/>). */
#include "domain-conf-internal.h"

static const char *const mouse_values[] = { "server", "client" };

static int parse_child(DomainChrDef *chr, xmlNodePtr c, const char *path, ConfError *err) {
        XML_SUBPATH(sub, path, (const char *) c->name);
        int r;

        r = xml_check_unique(c, sub, err);
        if (r >= 0)
                r = xml_check_empty(c, sub, err);
        if (r < 0)
                return r;
        if (xml_is(c, "clipboard")) {
                r = XML_CHECK_ATTRS(c, sub, err, "copypaste");
                if (r >= 0)
                        r = domain_attr_tristate(c, sub, "copypaste", "yes", "no", &chr->vdagent_clipboard, err);
                if (r == 0)
                        return xml_err_xml(err, "missing attribute 'copypaste' of <%s>", sub);
                return r < 0 ? r : 0;
        }
        if (xml_is(c, "mouse")) {
                r = XML_CHECK_ATTRS(c, sub, err, "mode");
                if (r >= 0)
                        r = xml_attr_choice(c, sub, "mode", mouse_values, ELEMENTSOF(mouse_values),
                                            &chr->vdagent_mouse, err);
                if (r == 0)
                        return xml_err_xml(err, "missing attribute 'mode' of <%s>", sub);
                return r < 0 ? r : 0;
        }
        return xml_unsupported_element(c, path, err);
}

int domain_chr_parse_vdagent_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                r = parse_child(chr, c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_chr_format_vdagent_source(XmlWriter *w, const DomainChrDef *chr) {
        if (chr->vdagent_clipboard == TRISTATE_ABSENT && !chr->vdagent_mouse)
                return;
        xw_start(w, "source");
        if (chr->vdagent_clipboard != TRISTATE_ABSENT) {
                xw_start(w, "clipboard");
                xw_attr(w, "copypaste", tristate_word(chr->vdagent_clipboard, "yes", "no"));
                xw_end(w);
        }
        if (chr->vdagent_mouse) {
                xw_start(w, "mouse");
                xw_attr(w, "mode", chr->vdagent_mouse);
                xw_end(w);
        }
        xw_end(w);
}
