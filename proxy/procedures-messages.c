/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virDomainGetMessages (426): the taint and deprecation messages of a
 * running guest, from Domain.GetMessages (qemu-taint.h says what they are). */
#include "error.h"
#include "procedures.h"
#include "util.h"
#include "xdr.h"

#define R PROC_READ
#define DOMAIN "org.libvirt.Domain"
#define MESSAGES_MAX 2048 /* REMOTE_DOMAIN_MESSAGES_MAX */

/* "as" -> remote_domain_get_messages_ret: msgs<REMOTE_DOMAIN_MESSAGES_MAX> */
static int reply_messages(Call *c, sd_bus_message *m) {
        _cleanup_strv_free_ char **msgs = NULL;
        int r = sd_bus_message_read_strv(m, &msgs);
        size_t n;

        if (r < 0)
                return r;
        n = strv_length(msgs);
        if (n > MESSAGES_MAX)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "too many messages: %zu > %d", n, MESSAGES_MAX);
        xdr_put_u32(&c->w, (uint32_t) n);
        for (size_t i = 0; i < n; i++)
                xdr_put_string(&c->w, msgs[i]);
        return 0;
}

/* Sorted by number (procedure_find() searches it). */
static const ProcDef rows[] = {
        { 426, "virDomainGetMessages", R, "Du", DOMAIN, "GetMessages", .reply = reply_messages },
};

const ProcTable proc_table_messages = { rows, ELEMENTSOF(rows) };
