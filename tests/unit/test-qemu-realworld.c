/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real-world corpus (tests/data/realworld/, see the README there):
 * domain documents as virt-install, virt-manager, OpenStack nova, KubeVirt,
 * oVirt and other tools make them, each combining many features. Each is
 * defined the way qemud's DomainDefineXML does it and must be accepted; its
 * saved definition must survive a round trip unchanged and validate against
 * libvirt's domain.rng. A document named in known-gaps.txt (one "name: why"
 * a line) may be refused: a qemud gap reported, not yet fixed; it is
 * printed, and so is one that is accepted again. */

#include "domain-test.h"
#include "qemu-define-test.h"
#include "util.h"

static const char *realworld_dir(void) {
        static char buf[4096 + 64];
        const char *d = data_dir(); /* .../tests/data/domain */
        const char *s = strrchr(d, '/');

        snprintf(buf, sizeof(buf), "%.*s/realworld", s ? (int) (s - d) : 0, d);
        return buf;
}

/* The .xml files of the corpus, sorted; NULL-terminated, NULL if none. */
static char **corpus_files(void) {
        return list_xml(realworld_dir());
}

/* Whether known-gaps.txt has a line "name: ...". */
static bool known_gap(const char *gaps, const char *name) {
        size_t len = strlen(name);

        for (const char *l = gaps; l && *l;) {
                if (strncmp(l, name, len) == 0 && l[len] == ':')
                        return true;
                l = strchr(l, '\n');
                l = l ? l + 1 : NULL;
        }
        return false;
}

/* The saved definition: stable over a round trip and valid to libvirt's
 * schema. Returns whether it is. */
static bool saved_definition_ok(const DomainDef *def, const char *name, xmlRelaxNGPtr schema) {
        _cleanup_free_ char *xml = NULL;

        if (!round_trip_stable(def, name))
                return false;
        if (domain_def_format(def, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE, &xml) < 0)
                return false;
        if (schema && !schema_valid(schema, xml)) {
                fprintf(stderr, "  %s: %s: the saved definition does not validate against %s\n",
                        unit_current, name, SCHEMA);
                return false;
        }
        return true;
}

static void test_realworld(void) {
        _cleanup_free_ char *gaps_path = NULL, *gaps = NULL;
        xmlRelaxNGPtr schema = load_schema();
        unsigned total = 0, accepted = 0;
        char **files = corpus_files();

        if (!files)
                UNIT_SKIP("no documents in tests/data/realworld");
        if (!schema)
                fprintf(stderr, "  %s: %s is missing: the schema check is left out\n", unit_current, SCHEMA);
        if (asprintf(&gaps_path, "%s/known-gaps.txt", realworld_dir()) >= 0)
                gaps = read_file(gaps_path);
        for (char **f = files; *f; f++) {
                _cleanup_free_ char *xml = read_file(*f), *name = fixture_name(*f);
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                bool gap = name && known_gap(gaps, name);
                ConfError err = {};
                int r;

                if (!xml || !name)
                        continue;
                total++;
                r = define_like_qemud(xml, &(DefineConf) { .spice_tls = false }, &def, &err);
                if (r < 0) {
                        printf("realworld: %s refused%s: %s: %s\n", name, gap ? " (known gap)" : "",
                               err.name ?: "", err.message);
                        if (!gap)
                                unit_failed_checks++;
                        continue;
                }
                if (!saved_definition_ok(def, name, schema)) {
                        unit_failed_checks++;
                        continue;
                }
                accepted++;
                if (gap)
                        printf("realworld: %s is accepted now: take it out of known-gaps.txt\n", name);
        }
        strv_free(files);
        printf("realworld: %u documents, %u accepted\n", total, accepted);
}

UNIT_TESTS(test_realworld)
