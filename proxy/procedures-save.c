/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Save, restore, managed save, core dump and job progress: the libvirt
 * procedures and the conversions only they need. */
#include "error.h"
#include "procedures.h"
#include "typed-params.h"

#define R PROC_READ
#define CONNECT "org.libvirt.Connect"
#define DOMAIN "org.libvirt.Domain"

enum {
        SAVE_IMAGE_XML_SECURE = 1 << 0,
};

/* virDomainSave and virDomainRestore: no XML, no flags. */
static int append_no_xml_u0(Call *c, sd_bus_message *m) {
        return sd_bus_message_append(m, "su", "", 0);
}

/* virDomainCoreDump(dom, to, flags): CoreDump(to, format raw, flags). */
static int append_dump_raw(Call *c, sd_bus_message *m) {
        return sd_bus_message_append(m, "uu", 0, (uint32_t) c->v[1].i);
}

/* libvirtd refuses the passwords to a read-only connection itself. */
static int append_image_xml_check(Call *c, sd_bus_message *m) {
        if (c->client->readonly && (c->v[1].u & SAVE_IMAGE_XML_SECURE))
                return call_fail(c, VIR_ERR_OPERATION_DENIED, LIBVIRT_FROM_DOMAIN,
                                 "read only access prevents virDomainSaveImageGetXMLDesc with secure flag");
        return 0;
}

/* "b" -> int */
static int reply_bool_int(Call *c, sd_bus_message *m) {
        int b;
        int r = sd_bus_message_read(m, "b", &b);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, b ? 1 : 0);
        return 0;
}

/* (ittttttttttt) -> remote_domain_get_job_info_ret, field for field. */
static int reply_job_info(Call *c, sd_bus_message *m) {
        int32_t type;
        uint64_t v[11];
        int r = sd_bus_message_read(m, "(ittttttttttt)", &type, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                                    &v[7], &v[8], &v[9], &v[10]);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, type);
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                xdr_put_u64(&c->w, v[i]);
        return 0;
}

/* (ia{sv}) -> remote_domain_get_job_stats_ret: type, typed parameters. */
static int reply_job_stats(Call *c, sd_bus_message *m) {
        _cleanup_(typed_params_done) TypedParams tp = {};
        int32_t type;
        int r = sd_bus_message_enter_container(m, 'r', "ia{sv}");

        if (r >= 0)
                r = sd_bus_message_read(m, "i", &type);
        if (r >= 0)
                r = typed_params_read_bus(m, REMOTE_DOMAIN_JOB_STATS_MAX, &tp, NULL);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        xdr_put_i32(&c->w, type);
        typed_params_write_xdr(&c->w, &tp, REMOTE_DOMAIN_JOB_STATS_MAX);
        return 0;
}

/* Sorted by number (procedure_find() searches it). */
static const ProcDef rows[] = {
        { 53, "virDomainCoreDump", 0, "Dsn", DOMAIN, "CoreDump", .append = append_dump_raw, .reply = reply_void },
        { 54, "virDomainRestore", 0, "s", CONNECT, "DomainRestore", .append = append_no_xml_u0, .reply = reply_void },
        { 55, "virDomainSave", 0, "Ds", DOMAIN, "Save", .append = append_no_xml_u0, .reply = reply_void },
        { 163, "virDomainGetJobInfo", R, "D", DOMAIN, "GetJobInfo", .reply = reply_job_info },
        { 164, "virDomainAbortJob", 0, "D", DOMAIN, "AbortJob", .reply = reply_void },
        { 182, "virDomainManagedSave", 0, "Du", DOMAIN, "ManagedSave", .reply = reply_void },
        { 183, "virDomainHasManagedSaveImage", R, "Du", DOMAIN, "HasManagedSaveImage", .reply = reply_bool_int },
        { 184, "virDomainManagedSaveRemove", 0, "Du", DOMAIN, "ManagedSaveRemove", .reply = reply_void },
        { 232, "virDomainSaveFlags", 0, "Dszu", DOMAIN, "Save", .reply = reply_void },
        { 233, "virDomainRestoreFlags", 0, "szu", CONNECT, "DomainRestore", .reply = reply_void },
        { 235, "virDomainSaveImageGetXMLDesc", 0, "su", CONNECT, "DomainSaveImageGetXMLDesc",
          .append = append_image_xml_check, .reply = reply_string },
        { 236, "virDomainSaveImageDefineXML", 0, "ssu", CONNECT, "DomainSaveImageDefineXML", .reply = reply_void },
        { 298, "virDomainGetJobStats", R, "Du", DOMAIN, "GetJobStats", .reply = reply_job_stats },
        { 334, "virDomainCoreDumpWithFormat", 0, "Dsuu", DOMAIN, "CoreDump", .reply = reply_void },
};

const ProcTable proc_table_save = { rows, ELEMENTSOF(rows) };
