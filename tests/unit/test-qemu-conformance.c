/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The conformance run: libvirt 9.0's own x86 QEMU domain fixtures
 * (tests/data/conformance/, from libvirt's qemuxml2argvdata; see the README
 * there) each defined the way qemud's DomainDefineXML does it: the model's
 * parse and checks, qemud's own checks, the addresses it assigns, the checks
 * again, then the checks of its start that libvirt's test suite runs too
 * (qemu_rules_check_start). Each fixture ends up
 *   accepted          qemud takes it (and its round trip is byte-identical);
 *   refused-as-libvirt qemud refuses it and so does libvirt
 *                     (libvirt-refuses.txt, or libvirt-refuses-with-qemu-7.txt
 *                     for what libvirt's test accepts only with an old QEMU);
 *   unsupported       qemud refuses what libvirt takes;
 *   too-lax           qemud takes what libvirt refuses.
 * Every fixture of accepted.txt (the "accepted" ones) must still be
 * accepted: a regression fails.
 * A newly accepted fixture is printed, to be added to accepted.txt
 * (CONFORMANCE_WRITE=1 rewrites it). The counts and the most frequent
 * reasons for "unsupported" are printed, so progress is visible.
 *
 * A second run compares qemud's define with what the real libvirtd of a
 * Debian 12 host defines (libvirt-define-here.txt, written by
 * tests/conformance/libvirt-define-verdicts.py), with qemud's default
 * qemud.conf as libvirt had its default qemu.conf. Each difference must be
 * one of libvirt-define-here-differences.txt, which says why. */

#include "domain-test.h"
#include "qemu-define-test.h"
#include "util.h"

typedef enum Verdict {
        VERDICT_ACCEPTED,
        VERDICT_REFUSED_AS_LIBVIRT,
        VERDICT_UNSUPPORTED,
        VERDICT_TOO_LAX,
        _VERDICT_MAX,
} Verdict;

static const char *const verdict_names[_VERDICT_MAX] = {
        [VERDICT_ACCEPTED] = "accepted",
        [VERDICT_REFUSED_AS_LIBVIRT] = "refused-as-libvirt",
        [VERDICT_UNSUPPORTED] = "unsupported",
        [VERDICT_TOO_LAX] = "too-lax",
};

typedef struct Reason {
        char *text;
        unsigned count;
        char *example;
} Reason;

static const char *conformance_dir(void) {
        static char buf[4096 + 64];
        const char *d = data_dir(); /* .../tests/data/domain */
        const char *s = strrchr(d, '/');

        snprintf(buf, sizeof(buf), "%.*s/conformance", s ? (int) (s - d) : 0, d);
        return buf;
}

/* A list file: one name a line; NULL-terminated, sorted. */
static char **read_names(const char *file) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        char **l = NULL, *save = NULL;
        size_t n = 0;

        if (asprintf(&path, "%s/%s", conformance_dir(), file) < 0)
                return NULL;
        text = read_file(path);
        l = calloc(1, sizeof(char *));
        if (!text || !l)
                return l;
        for (char *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
                if (!*t || *t == '#')
                        continue;
                l = realloc(l, sizeof(char *) * (n + 2));
                l[n++] = strdup(t);
                l[n] = NULL;
        }
        qsort(l, n, sizeof(char *), compare_str);
        return l;
}

static bool has_name(char **l, const char *name) {
        return l && bsearch(&name, l, strv_length(l), sizeof(char *), compare_str);
}

static void reason_add(Reason **reasons, size_t *n, const char *message, const char *name) {
        _cleanup_free_ char *text = strdup(message);

        if (!text)
                return;
        for (size_t i = 0; i < *n; i++)
                if (streq((*reasons)[i].text, text)) {
                        (*reasons)[i].count++;
                        return;
                }
        *reasons = realloc(*reasons, sizeof(Reason) * (*n + 1));
        (*reasons)[(*n)++] = (Reason) { .text = TAKE_PTR(text), .count = 1, .example = strdup(name) };
}

static int compare_reason(const void *a, const void *b) {
        const Reason *x = a, *y = b;

        return x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->text, y->text);
}

static void write_accepted(char **accepted) {
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        if (asprintf(&path, "%s/accepted.txt", conformance_dir()) < 0)
                return;
        f = fopen(path, "we");
        if (!f) {
                fprintf(stderr, "  cannot write %s: %m\n", path);
                unit_failed_checks++;
                return;
        }
        for (char **a = accepted; a && *a; a++)
                fprintf(f, "%s\n", *a);
        printf("conformance: wrote %s\n", path);
}

static void test_conformance(void) {
        _cleanup_strv_free_ char **expected = read_names("accepted.txt");
        _cleanup_strv_free_ char **refuses = read_names("libvirt-refuses.txt");
        _cleanup_strv_free_ char **refuses_here = read_names("libvirt-refuses-with-qemu-7.txt");
        _cleanup_strv_free_ char **accepted = NULL;
        _cleanup_free_ Reason *reasons = NULL;
        unsigned counts[_VERDICT_MAX] = {}, fresh = 0, total = 0;
        size_t n_reasons = 0;
        const char *dir = conformance_dir();
        char **files;

        files = list_xml(dir);
        if (!files)
                UNIT_SKIP("no fixtures in tests/data/conformance");
        for (char **f = files; f && *f; f++) {
                _cleanup_free_ char *xml = read_file(*f), *name = fixture_name(*f);
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                bool libvirt_refuses = has_name(refuses, name) || has_name(refuses_here, name);
                ConfError err = {};
                Verdict v;
                int r;

                if (!xml || !name)
                        continue;
                total++;
                r = define_like_qemud(xml, &(DefineConf) { .spice_tls = true }, &def, &err);
                /* libvirt's test suite builds the command line: its start's checks run too */
                if (r >= 0)
                        r = qemu_rules_check_start(def, &err);
                if (r >= 0 && !round_trip_stable(def, name)) {
                        unit_failed_checks++;
                        r = -EINVAL;
                        snprintf(err.message, sizeof(err.message), "round trip not stable");
                }
                if (r >= 0)
                        v = libvirt_refuses ? VERDICT_TOO_LAX : VERDICT_ACCEPTED;
                else
                        v = libvirt_refuses ? VERDICT_REFUSED_AS_LIBVIRT : VERDICT_UNSUPPORTED;
                counts[v]++;
                if (v == VERDICT_UNSUPPORTED)
                        reason_add(&reasons, &n_reasons, err.message, name);
                if (getenv("CONFORMANCE_VERBOSE"))
                        printf("%-20s %s%s%s\n", verdict_names[v], name, r < 0 ? ": " : "", r < 0 ? err.message : "");
                if (r < 0 && has_name(expected, name)) {
                        fprintf(stderr, "  %s: %s: no longer accepted: %s\n", unit_current, name, err.message);
                        unit_failed_checks++;
                }
                if (v == VERDICT_ACCEPTED) {
                        if (strv_extend(&accepted, name) < 0)
                                unit_failed_checks++;
                        if (!has_name(expected, name)) {
                                printf("conformance: newly accepted: %s (add it to accepted.txt)\n", name);
                                fresh++;
                        }
                }
        }
        strv_free(files);

        qsort(reasons, n_reasons, sizeof(Reason), compare_reason);
        printf("conformance: the most frequent reasons for \"unsupported\" (count, example fixture):\n");
        for (size_t i = 0; i < n_reasons; i++) {
                if (i < 25)
                        printf("  %4u  %s  [%s]\n", reasons[i].count, reasons[i].text, reasons[i].example);
                free(reasons[i].text);
                free(reasons[i].example);
        }
        printf("conformance: %u fixtures: %u accepted, %u refused as libvirt refuses them, "
               "%u unsupported (refused, libvirt takes them), %u too lax (taken, libvirt refuses them); "
               "%u newly accepted\n",
               total, counts[VERDICT_ACCEPTED], counts[VERDICT_REFUSED_AS_LIBVIRT], counts[VERDICT_UNSUPPORTED],
               counts[VERDICT_TOO_LAX], fresh);
        if (getenv("CONFORMANCE_WRITE"))
                write_accepted(accepted);
}

/* One line of libvirt-define-here.txt: "NAME\taccepted" or
 * "NAME\trefused\tMESSAGE"; its first line says whether type='kvm' was
 * given to libvirt as 'qemu'. */
typedef struct HereLine {
        char *name;
        bool accepted;
        const char *message;
} HereLine;

static bool here_parse(char *line, HereLine *h) {
        char *tab = strchr(line, '\t');

        if (!tab)
                return false;
        *tab = 0;
        h->name = line;
        h->accepted = streq(tab + 1, "accepted");
        h->message = h->accepted ? "" : strchr(tab + 1, '\t') ? strchr(tab + 1, '\t') + 1 : "";
        return true;
}

static char *as_qemu(const char *xml) {
        const char *kvm = "<domain type='kvm'", *p = strstr(xml, kvm);
        char *doc;

        if (!p)
                return strdup(xml);
        if (asprintf(&doc, "%.*s<domain type='qemu'%s", (int) (p - xml), xml, p + strlen(kvm)) < 0)
                return NULL;
        return doc;
}

static void test_against_libvirt_here(void) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_strv_free_ char **known = read_names("libvirt-define-here-differences.txt");
        unsigned agree = 0, stricter = 0, laxer = 0, listed = 0;
        bool kvm_as_qemu;
        char *save = NULL;

        if (asprintf(&path, "%s/libvirt-define-here.txt", conformance_dir()) < 0)
                return;
        text = read_file(path);
        if (!text)
                UNIT_SKIP("no libvirt-define-here.txt");
        kvm_as_qemu = strstr(text, "type='kvm' given as type='qemu'") != NULL;
        for (char *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
                _cleanup_free_ char *file = NULL, *xml = NULL, *doc = NULL, *key = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};
                HereLine h;
                bool ours;

                if (*t == '#' || !here_parse(t, &h) || asprintf(&file, "%s/%s.xml", conformance_dir(), h.name) < 0)
                        continue;
                xml = read_file(file);
                doc = xml && kvm_as_qemu ? as_qemu(xml) : TAKE_PTR(xml);
                if (!doc)
                        continue;
                ours = define_like_qemud(doc, &(DefineConf) { .spice_tls = false }, &def, &err) >= 0;
                if (ours == h.accepted) {
                        agree++;
                        continue;
                }
                ours ? laxer++ : stricter++;
                /* the differences file names a fixture, then a tab and why */
                if (asprintf(&key, "%s\t", h.name) < 0)
                        continue;
                bool is_known = false;
                for (char **k = known; k && *k; k++)
                        is_known = is_known || strncmp(*k, key, strlen(key)) == 0;
                listed += is_known;
                if (getenv("CONFORMANCE_VERBOSE") || !is_known)
                        printf("  %s %s: %s\n", ours ? "laxer   " : "stricter", h.name,
                               ours ? h.message : err.message);
                if (!is_known) {
                        fprintf(stderr, "  %s: %s: qemud %s it, libvirt here %s it (not in "
                                "libvirt-define-here-differences.txt)\n", unit_current, h.name,
                                ours ? "defines" : "refuses", ours ? "refuses" : "defines");
                        unit_failed_checks++;
                }
        }
        if (listed != strv_length(known)) {
                fprintf(stderr, "  %s: libvirt-define-here-differences.txt lists %zu, %u still differ: "
                        "remove those that agree now\n", unit_current, strv_length(known), listed);
                unit_failed_checks++;
        }
        printf("conformance: against libvirt 9.0's define on a Debian 12 host: %u agree, qemud stricter on %u, "
               "laxer on %u (%u of them explained in libvirt-define-here-differences.txt)\n",
               agree, stricter, laxer, listed);
}

UNIT_TESTS(test_conformance, test_against_libvirt_here)
