/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <serial> and <console>: character devices backed by a pty, a file or a
 * unix socket. */
#include "domain-conf-internal.h"

static const char *const serial_target_values[] = { "isa-serial", "usb-serial", "pci-serial" };
static const char *const console_target_values[] = { "serial", "virtio" };

static int parse_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *mode = NULL;
        int r;

        /* only unix sockets have a direction */
        if (chr->type == DOMAIN_CHR_UNIX)
                r = XML_CHECK_ATTRS(n, path, err, "mode", "path");
        else
                r = XML_CHECK_ATTRS(n, path, err, "path");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "path", &chr->path, err);
        if (r > 0)
                r = domain_check_abs_path(chr->path, "attribute 'path' of", path, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "mode", &mode, err);
        if (r < 0)
                return r;
        if (mode && !streq(mode, "bind") && !streq(mode, "connect"))
                return xml_err_invalid(err, "value '%s' of attribute 'mode' of <%s> must be 'bind' or 'connect'",
                                       mode, path);
        chr->listen = streq_ptr(mode, "bind");
        return 0;
}

static int parse_target(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "port");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        if (chr->kind == DOMAIN_CHR_SERIAL)
                r = xml_attr_choice(n, path, "type", serial_target_values, ELEMENTSOF(serial_target_values),
                                    &chr->target_type, err);
        else
                r = xml_attr_choice(n, path, "type", console_target_values, ELEMENTSOF(console_target_values),
                                    &chr->target_type, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "port", &chr->port, err);
        return r < 0 ? r : 0;
}

static int parse_log(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "file");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str_required(n, path, "file", &chr->log_file, err);
        if (r < 0)
                return r;
        return domain_check_abs_path(chr->log_file, "attribute 'file' of", path, err);
}

static int parse_chr(DomainDef *def, DomainChrKind kind, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const children[] = { "source", "target", "log", "alias" };
        _cleanup_free_ char *tty = NULL;
        DomainChrDef *chr;
        int r;

        r = LIST_APPEND(def->chrs, def->n_chrs, &chr, path, err);
        if (r < 0)
                return r;
        chr->kind = kind;
        /* a bare <console/> is a pty, as in libvirt */
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_chr_type, &chr->type, err);
        if (r < 0)
                return r;
        if (r == 0 && kind == DOMAIN_CHR_SERIAL)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        r = XML_CHECK_ATTRS(n, path, err, "type", "tty");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is_any(c, children, ELEMENTSOF(children)))
                        return xml_unsupported_element(c, path, err);

                XML_SUBPATH(sub, path, (const char *) c->name);
                r = xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                if (xml_is(c, "source"))
                        r = parse_source(chr, c, sub, err);
                else if (xml_is(c, "target"))
                        r = parse_target(chr, c, sub, err);
                else if (xml_is(c, "log"))
                        r = parse_log(chr, c, sub, err);
                else
                        r = domain_parse_alias(c, sub, &chr->alias, err);
                if (r < 0)
                        return r;
        }

        /* tty='' is the live pty path, also given as <source path=''/> */
        r = xml_attr_str(n, path, "tty", &tty, err);
        if (r > 0)
                r = domain_check_abs_path(tty, "attribute 'tty' of", path, err);
        if (r < 0)
                return r;
        if (tty && chr->type != DOMAIN_CHR_PTY)
                return xml_err_invalid(err, "attribute 'tty' of <%s> is only valid for type 'pty'", path);
        if (tty && !chr->path)
                chr->path = TAKE_PTR(tty);

        if (chr->type != DOMAIN_CHR_PTY && !chr->path)
                return xml_err_xml(err, "missing attribute 'path' of <%s/source> for type '%s'",
                                   path, domain_chr_type_to_string(chr->type));
        return 0;
}

int domain_parse_serial(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_chr(def, DOMAIN_CHR_SERIAL, n, path, err);
}

int domain_parse_console(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_chr(def, DOMAIN_CHR_CONSOLE, n, path, err);
}

void domain_format_chr(XmlWriter *w, const DomainChrDef *chr, unsigned flags) {
        /* a pty's path is allocated by QEMU when the guest starts */
        bool live_pty = chr->type == DOMAIN_CHR_PTY && chr->path && !(flags & DOMAIN_FORMAT_INACTIVE);

        xw_start(w, domain_chr_kind_to_string(chr->kind));
        xw_attr(w, "type", domain_chr_type_to_string(chr->type));
        if (live_pty)
                xw_attr(w, "tty", chr->path);

        if (chr->type != DOMAIN_CHR_PTY || live_pty) {
                xw_start(w, "source");
                if (chr->type == DOMAIN_CHR_UNIX)
                        xw_attr(w, "mode", chr->listen ? "bind" : "connect");
                xw_attr(w, "path", chr->path);
                xw_end(w);
        }
        if (chr->log_file) {
                xw_start(w, "log");
                xw_attr(w, "file", chr->log_file);
                xw_end(w);
        }
        xw_start(w, "target");
        xw_attr(w, "type", chr->target_type);
        xw_attrf(w, "port", "%u", chr->port);
        xw_end(w);
        domain_format_alias(w, chr->alias, flags);
        xw_end(w);
}

void domain_chr_clear(DomainChrDef *chr) {
        free(chr->path);
        free(chr->target_type);
        free(chr->log_file);
        free(chr->alias);
}

bool domain_chr_own(DomainChrDef *chr) {
        bool ok = true;

        ok = own_str(&chr->path) && ok;
        ok = own_str(&chr->target_type) && ok;
        ok = own_str(&chr->log_file) && ok;
        ok = own_str(&chr->alias) && ok;
        return ok;
}
