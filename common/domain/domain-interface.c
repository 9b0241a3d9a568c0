/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interface bandwidth helpers shared by the drivers (domain-interface.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-interface.h"
#include "network-conf.h"

static void append_rate(FILE *f, const char *name, const NetworkRate *rate) {
        if (!rate->present)
                return;
        fprintf(f, "<%s", name);
        if (rate->average)
                fprintf(f, " average='%" PRIu64 "'", rate->average);
        if (rate->peak)
                fprintf(f, " peak='%" PRIu64 "'", rate->peak);
        if (rate->floor)
                fprintf(f, " floor='%" PRIu64 "'", rate->floor);
        if (rate->burst)
                fprintf(f, " burst='%" PRIu64 "'", rate->burst);
        fputs("/>", f);
}

char *domain_interface_bandwidth_xml(const struct NetworkBandwidth *bw) {
        char *s = NULL;
        size_t n = 0;
        FILE *f;

        if (!bw || !bw->present)
                return strdup("");
        f = open_memstream(&s, &n);
        if (!f)
                return NULL;
        fputs("<bandwidth>", f);
        append_rate(f, "inbound", &bw->in);
        append_rate(f, "outbound", &bw->out);
        fputs("</bandwidth>", f);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

char *domain_interface_vlan_xml(const struct NetworkVlan *vlan) {
        static const char *const modes[] = { [NETWORK_VLAN_NATIVE_TAGGED] = "tagged",
                                             [NETWORK_VLAN_NATIVE_UNTAGGED] = "untagged" };
        char *s = NULL;
        size_t n = 0;
        FILE *f;

        if (!vlan || !vlan->n_tags)
                return strdup("");
        f = open_memstream(&s, &n);
        if (!f)
                return NULL;
        fprintf(f, "<vlan%s>", vlan->trunk ? " trunk='yes'" : "");
        for (size_t i = 0; i < vlan->n_tags; i++) {
                bool native = vlan->native_mode != NETWORK_VLAN_NATIVE_NONE && vlan->tags[i] == vlan->native_tag;

                fprintf(f, "<tag id='%u'", vlan->tags[i]);
                if (native)
                        fprintf(f, " nativeMode='%s'", modes[vlan->native_mode]);
                fputs("/>", f);
        }
        fputs("</vlan>", f);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}
