/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A document defined the way qemud's DomainDefineXML does it, without a
 * bus, and the round trip its saved definition must survive: shared by the
 * tests that run many documents through qemud's define (the conformance
 * fixtures, the real-world corpus). Needs domain-test.h first. */

#include "qemu-address.h"
#include "qemu-chr-generated.h"
#include "qemu-resources.h"
#include "qemu-rules.h"
#include "qemu-security.h"
#include "qemu-spice-tls.h"
#include "qemu-validate.h"

/* The .xml files of dir, sorted; NULL-terminated, NULL if none. */
static char **list_xml(const char *dir) {
        DIR *d = opendir(dir);
        char **l = NULL;
        size_t n = 0;

        for (struct dirent *de; d && (de = readdir(d));) {
                size_t len = strlen(de->d_name);
                char *p;

                if (len < 5 || !streq(de->d_name + len - 4, ".xml") || asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        continue;
                l = realloc(l, sizeof(char *) * (n + 2));
                l[n++] = p;
                l[n] = NULL;
        }
        if (d)
                closedir(d);
        if (l)
                qsort(l, n, sizeof(char *), compare_str);
        return l;
}

/* "foo-bar.xml" of a path, without ".xml". */
static char *fixture_name(const char *path) {
        const char *b = strrchr(path, '/');

        b = b ? b + 1 : path;
        return strndup(b, strlen(b) - 4);
}

/* The settings of qemud.conf a define reads. libvirt's test suite turns
 * SPICE TLS on; a default qemu.conf and qemud.conf have it off. */
typedef struct DefineConf {
        bool spice_tls;
} DefineConf;

/* What DomainDefineXML does with a document (connect-dbus.c). */
static int define_like_qemud(const char *xml, const DefineConf *conf, DomainDef **ret, ConfError *err) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        int r;

        r = domain_def_parse(xml, strlen(xml), &def, err);
        if (r >= 0)
                r = domain_def_validate(def, err);
        if (r >= 0)
                r = qemu_validate_def(def, err);
        if (r >= 0)
                r = qemu_security_validate(def, err);
        if (r >= 0) {
                qemu_resources_post_parse(def);
                /* libvirt's tests set its channel directory to this */
                r = qemu_chr_drop_generated_paths(def, "/tmp/channel", err);
                if (r >= 0)
                        r = qemu_domain_assign_addresses(def, err);
        }
        if (r >= 0)
                r = qemu_rules_check(def, err);
        if (r >= 0)
                r = qemu_spice_tls_validate(def, conf->spice_tls, err);
        if (r >= 0)
                r = domain_def_validate(def, err);
        if (r >= 0)
                *ret = TAKE_PTR(def);
        return r;
}

/* The first line where two formatted documents part, to say what changed. */
static void print_first_difference(const char *a, const char *b) {
        size_t i = 0, bol = 0;
        unsigned line = 1;

        for (; a[i] && a[i] == b[i]; i++)
                if (a[i] == '\n') {
                        line++;
                        bol = i + 1;
                }
        fprintf(stderr, "    line %u: first \"%.*s\"\n    then  \"%.*s\"\n", line, (int) strcspn(a + bol, "\n"),
                a + bol, (int) strcspn(b + bol, "\n"), b + bol);
}

/* The defined document, formatted, parsed and formatted again, must not
 * change. */
static bool round_trip_stable(const DomainDef *def, const char *name) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        _cleanup_(domain_def_freep) DomainDef *again = NULL;
        ConfError err = {};

        if (domain_def_format(def, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE, &a) < 0)
                return false;
        if (domain_def_parse(a, strlen(a), &again, &err) < 0) {
                fprintf(stderr, "  %s: %s: our own output refused: %s\n", unit_current, name, err.message);
                return false;
        }
        if (domain_def_format(again, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE, &b) < 0)
                return false;
        if (!streq(a, b)) {
                fprintf(stderr, "  %s: %s: the round trip changed the document\n", unit_current, name);
                print_first_difference(a, b);
                return false;
        }
        return true;
}
