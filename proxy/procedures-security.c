/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The procedures of security labels and models: the domain's labels (121,
 * 278) from Domain.GetSecurityLabelList, the host's model (122) from
 * Connect.NodeGetSecurityModel. */
#include <string.h>

#include "procedures.h"

#define R PROC_READ

/* libvirt's "char x<N>": a count (with the closing NUL) then each char
 * as a 4-byte XDR int. */
static void put_char_array(XdrWriter *w, const char *s) {
        size_t n = strlen(s) + 1;

        xdr_put_u32(w, (uint32_t) n);
        for (size_t i = 0; i < n; i++)
                xdr_put_i32(w, (int32_t) (unsigned char) s[i]);
}

/* a(sb) -> remote_domain_get_security_label_ret: the primary's label; a
 * domain with none (shut off) gets an empty label, as libvirtd sends. */
static int reply_security_label(Call *c, sd_bus_message *m) {
        const char *label = "";
        int enforcing = 0, r;

        r = sd_bus_message_enter_container(m, 'a', "(sb)");
        if (r >= 0)
                r = sd_bus_message_read(m, "(sb)", &label, &enforcing);
        if (r < 0)
                return r;
        if (r == 0)
                label = "", enforcing = 0;
        put_char_array(&c->w, label);
        xdr_put_i32(&c->w, enforcing);
        return 0;
}

/* a(sb) -> remote_domain_get_security_label_list_ret: the labels, then
 * their count. */
static int reply_security_label_list(Call *c, sd_bus_message *m) {
        size_t count_at = c->w.len;
        const char *label;
        int enforcing, r;
        uint32_t n = 0;

        xdr_put_u32(&c->w, 0);
        r = sd_bus_message_enter_container(m, 'a', "(sb)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(sb)", &label, &enforcing)) > 0) {
                put_char_array(&c->w, label);
                xdr_put_i32(&c->w, enforcing);
                n++;
        }
        if (r < 0)
                return r;
        xdr_patch_u32(&c->w, count_at, n);
        xdr_put_i32(&c->w, (int32_t) n);
        return 0;
}

/* (ss) -> remote_node_get_security_model_ret: model and doi; no model at
 * all is both counts 0, as libvirtd sends it. */
static int reply_security_model(Call *c, sd_bus_message *m) {
        const char *model, *doi;
        int r = sd_bus_message_read(m, "(ss)", &model, &doi);

        if (r < 0)
                return r;
        if (!*model) {
                xdr_put_u32(&c->w, 0);
                xdr_put_u32(&c->w, 0);
                return 0;
        }
        put_char_array(&c->w, model);
        put_char_array(&c->w, doi);
        return 0;
}

static const ProcDef rows[] = {
        { 121, "virDomainGetSecurityLabel", R, "D", "org.libvirt.Domain", "GetSecurityLabelList",
          .reply = reply_security_label },
        { 122, "virNodeGetSecurityModel", R, "", "org.libvirt.Connect", "NodeGetSecurityModel",
          .reply = reply_security_model },
        { 278, "virDomainGetSecurityLabelList", R, "D", "org.libvirt.Domain", "GetSecurityLabelList",
          .reply = reply_security_label_list },
};

const ProcTable proc_table_security = { rows, sizeof(rows) / sizeof(rows[0]) };
