/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How long the XML models take on the largest documents they accept, and on
 * the documents the bounds refuse (common/conf/xml-bounds.h). A daemon parses
 * on its event loop, so this is how long one call can hold every other
 * client up. Prints one line per document: its size, the outcome, and the
 * best of a few runs of parse + validate + format. */
#include <time.h>

#include "domain-conf.h"
#include "network-conf.h"
#include "xml-bounds.h"

/* A document under construction: put() appends with printf formatting; the
 * text is in s, len bytes, once finish() has flushed it. */
typedef struct Buf {
        FILE *f;
        char *s;
        size_t len;
} Buf;

#define put(b, ...) fprintf(buf_file(b), __VA_ARGS__)

static FILE *buf_file(Buf *b) {
        if (!b->f && !(b->f = open_memstream(&b->s, &b->len)))
                abort();
        return b->f;
}

static void finish(Buf *b) {
        if (b->f)
                fclose(b->f);
        b->f = NULL;
}

static double now_ms(void) {
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec * 1e3 + (double) t.tv_nsec / 1e6;
}

static int run_domain(const Buf *b, ConfError *err) {
        DomainDef *def = NULL;
        char *out = NULL;
        int r = domain_def_parse(b->s, b->len, &def, err);

        if (r >= 0)
                r = domain_def_validate(def, err);
        if (r >= 0)
                r = domain_def_format(def, 0, &out);
        free(out);
        domain_def_free(def);
        return r;
}

static int run_network(const Buf *b, ConfError *err) {
        NetworkDef *def = NULL;
        char *out = NULL;
        int r = network_def_parse(b->s, b->len, &def, err);

        if (r >= 0)
                r = network_def_validate(def, err);
        if (r >= 0)
                r = network_def_format(def, 0, &out);
        free(out);
        network_def_free(def);
        return r;
}

static void measure(const char *what, Buf *b, int (*run)(const Buf *, ConfError *)) {
        double best = 1e12;
        ConfError err = {};
        int r = 0;

        finish(b);
        for (int i = 0; i < 5; i++) {
                double t0 = now_ms();
                err = (ConfError) {};
                r = run(b, &err);
                best = MIN(best, now_ms() - t0);
        }
        printf("%-58s %8zu bytes  %-8s %8.2f ms%s%s\n", what, b->len, r < 0 ? "refused" : "accepted", best,
               r < 0 ? "  " : "", r < 0 ? err.message : "");
        free(b->s);
        *b = (Buf) {};
}

static void domain_head(Buf *b) {
        put(b, "<domain type='qemu'><name>big</name><memory unit='MiB'>64</memory>"
               "<os><type arch='x86_64' machine='q35'>hvm</type></os>");
}

static void domains(void) {
        Buf b = {};

        domain_head(&b);
        put(&b, "<metadata><m:x xmlns:m='urn:bench'");
        for (int i = 0; i < 200000; i++)
                put(&b, " a%d='1'", i);
        put(&b, "/></metadata></domain>");
        measure("domain: 200,000 attributes on one element", &b, run_domain);

        domain_head(&b);
        put(&b, "<metadata><m:r xmlns:m='urn:bench'>");
        for (int g = 0; g < XML_MAX_ELEMENTS / XML_MAX_CHILDREN - 1; g++) {
                put(&b, "<m:g>");
                for (int i = 0; i < XML_MAX_CHILDREN - 1; i++)
                        put(&b, "<m:x/>");
                put(&b, "</m:g>");
        }
        put(&b, "</m:r></metadata></domain>");
        measure("domain: metadata of ~90,000 elements (accepted bound)", &b, run_domain);

        domain_head(&b);
        put(&b, "<metadata><m:r xmlns:m='urn:bench'>");
        for (int n = 0; n + XML_MAX_ATTRIBUTES < XML_MAX_ATTRIBUTES_TOTAL; n += XML_MAX_ATTRIBUTES - 1) {
                put(&b, "<m:x");
                for (int i = 0; i < XML_MAX_ATTRIBUTES - 1; i++)
                        put(&b, " a%d='1'", i);
                put(&b, "/>");
        }
        put(&b, "</m:r></metadata></domain>");
        measure("domain: ~100,000 attributes, 63 per element (accepted bound)", &b, run_domain);

        domain_head(&b);
        put(&b, "<devices>");
        for (int i = 0; i < 200; i++)
                put(&b, "<disk type='file' device='disk'><source file='/var/lib/d%d.img'/>"
                        "<target dev='vd%c%c' bus='virtio'/></disk>", i, 'a' + i / 26, 'a' + i % 26);
        put(&b, "</devices></domain>");
        measure("domain: 200 virtio disks", &b, run_domain);
}

static void network_head(Buf *b) {
        put(b, "<network><name>big</name><bridge name='vbbig0'/><forward mode='nat'/>");
}

static void networks(void) {
        Buf b = {};

        network_head(&b);
        put(&b, "<ip address='10.0.0.1' prefix='16'><dhcp><range start='10.0.200.1' end='10.0.200.254'/>");
        for (int i = 0; i < XML_MAX_CHILDREN - 1; i++)
                put(&b, "<host mac='52:54:00:00:%02x:%02x' name='h%d' ip='10.0.%d.%d'/>", i / 256, i % 256, i,
                    1 + i / 250, 1 + i % 250);
        put(&b, "</dhcp></ip></network>");
        measure("network: 9,999 DHCP hosts (accepted bound)", &b, run_network);

        network_head(&b);
        put(&b, "<dns>");
        for (int i = 0; i < XML_MAX_CHILDREN; i++)
                put(&b, "<host ip='10.1.%d.%d'><hostname>n%d</hostname></host>", 1 + i / 250, 1 + i % 250, i);
        put(&b, "</dns><ip address='10.1.0.1' prefix='16'/></network>");
        measure("network: 10,000 DNS hosts (accepted bound)", &b, run_network);

        network_head(&b);
        put(&b, "<ip address='10.0.0.1' prefix='8'><dhcp>");
        for (int i = 0; i < 60000; i++)
                put(&b, "<host mac='52:54:00:%02x:%02x:%02x' ip='10.%d.%d.%d'/>", i >> 16, (i >> 8) & 255, i & 255,
                    1 + i / 62500, (i / 250) % 250, 1 + i % 250);
        put(&b, "</dhcp></ip></network>");
        measure("network: 60,000 DHCP hosts", &b, run_network);
}

int main(void) {
        printf("== XML models on the largest documents (best of 5: parse + validate + format)\n");
        domains();
        networks();
        return 0;
}
