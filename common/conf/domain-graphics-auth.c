/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The password settings of a VNC or SPICE display beside passwd='':
 * passwdValidTo='YYYY-MM-DDTHH:MM:SS' (UTC), when the password expires, and
 * connected='' (fail, disconnect, keep), what a password change does to the
 * clients already connected. */
#include <stdio.h>
#include <time.h>

#include "domain-conf-internal.h"

static const char *const connected_values[] = { "fail", "disconnect", "keep" };

/* libvirt's format, read strictly: each field in its range. */
static int parse_valid_to(const char *s, int64_t *ret) {
        struct tm tm = {};
        int n = -1;

        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                   &tm.tm_sec, &n) != 6 || n < 0 || s[n])
                return -EINVAL;
        if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
            tm.tm_min > 59 || tm.tm_sec > 59 || tm.tm_year < 1970)
                return -EINVAL;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        *ret = (int64_t) timegm(&tm);
        return 0;
}

int domain_parse_graphics_auth(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *valid_to = NULL;
        int r;

        r = xml_attr_str(n, path, "passwdValidTo", &valid_to, err);
        if (r > 0 && parse_valid_to(valid_to, &g->passwd_valid_to) < 0)
                return xml_err_invalid(err, "cannot parse password validity time '%s' of <%s>, expect "
                                       "YYYY-MM-DDTHH:MM:SS", valid_to, path);
        if (r < 0)
                return r;
        g->passwd_expires = r > 0;
        r = xml_attr_choice(n, path, "connected", connected_values, ELEMENTSOF(connected_values), &g->connected, err);
        if (r < 0)
                return r;
        if (g->connected && g->type == DOMAIN_GRAPHICS_VNC && !streq(g->connected, "keep"))
                return xml_err_unsupported(err, "VNC supports connected='keep' only (<%s>)", path);
        return 0;
}

void domain_format_graphics_auth(XmlWriter *w, const DomainGraphicsDef *g) {
        if (g->passwd_expires) {
                time_t t = (time_t) g->passwd_valid_to;
                struct tm tm;
                char buf[64];

                if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) > 0)
                        xw_attr(w, "passwdValidTo", buf);
        }
        xw_attr(w, "connected", g->connected);
}
