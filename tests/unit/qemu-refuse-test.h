/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What qemud refuses at define: the model (parse, validate) and then the
 * QEMU driver's own checks (qemu_validate_def). A case passes when one of
 * them refuses with the error name given and a message naming needle. */

#include "domain-test.h"
#include "qemu-validate.h"

static void qemu_refused_(const char *top, const char *devices, const char *name, const char *needle, int line) {
        _cleanup_free_ char *xml = domain_with(top, devices);
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        int r;

        r = domain_def_parse(xml, strlen(xml), &def, &err);
        if (r >= 0)
                r = domain_def_validate(def, &err);
        if (r >= 0)
                r = qemu_validate_def(def, &err);
        if (r >= 0 || !streq_ptr(err.name, name) || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: got %d %s \"%s\", expected %s naming \"%s\"\n", line, r, err.name,
                        err.message, name, needle);
                unit_failed_checks++;
        }
}
#define QEMU_REFUSED(top, devices, name, needle) qemu_refused_(top, devices, name, needle, __LINE__)
