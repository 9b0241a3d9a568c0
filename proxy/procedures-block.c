/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The procedures of block jobs: abort and pivot, info, speed, pull,
 * rebase, commit, copy, resize and write thresholds. The BLOCK_JOB,
 * BLOCK_JOB_2 and BLOCK_THRESHOLD events are not carried by the proxy
 * (proxy/events.c). */
#include "procedures.h"
#include "util.h"

#define R PROC_READ
#define DOMAIN "org.libvirt.Domain"

/* (ittt) -> remote_domain_get_block_job_info_ret: found is 0 when the disk
 * has no job (type 0), as libvirt's return value 0 says. */
static int reply_block_job_info(Call *c, sd_bus_message *m) {
        int32_t type;
        uint64_t bandwidth, cur, end;
        int r = sd_bus_message_read(m, "(ittt)", &type, &bandwidth, &cur, &end);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, type != 0);
        xdr_put_i32(&c->w, type);
        xdr_put_u64(&c->w, bandwidth);
        xdr_put_u64(&c->w, cur);
        xdr_put_u64(&c->w, end);
        return 0;
}

/* Sorted by number (procedure_find() searches it). */
static const ProcDef rows[] = {
        { 237, "virDomainBlockJobAbort", 0, "Dsu", DOMAIN, "BlockJobAbort", .reply = reply_void },
        { 238, "virDomainGetBlockJobInfo", R, "Dsu", DOMAIN, "GetBlockJobInfo", .reply = reply_block_job_info },
        { 239, "virDomainBlockJobSetSpeed", 0, "Dshu", DOMAIN, "BlockJobSetSpeed", .reply = reply_void },
        { 240, "virDomainBlockPull", 0, "Dshu", DOMAIN, "BlockPull", .reply = reply_void },
        { 251, "virDomainBlockResize", 0, "Dshu", DOMAIN, "BlockResize", .reply = reply_void },
        { 266, "virDomainBlockRebase", 0, "Dszhu", DOMAIN, "BlockRebase", .reply = reply_void },
        { 290, "virDomainBlockCommit", 0, "Dszzhu", DOMAIN, "BlockCommit", .reply = reply_void },
        { 345, "virDomainBlockCopy", 0, "DssTu", DOMAIN, "BlockCopy", .reply = reply_void },
        { 386, "virDomainSetBlockThreshold", 0, "Dshu", DOMAIN, "SetBlockThreshold", .reply = reply_void },
};

const ProcTable proc_table_block = { rows, ELEMENTSOF(rows) };
