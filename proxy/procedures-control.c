/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The procedures of the guest's other controls: keys, NMI, wake-up,
 * rename, metadata, control info, disk errors, peeks and the graphics fd.
 *
 * Not here, so that the proxy answers libvirt's "not supported", as
 * libvirtd does for QEMU: SEND_PROCESS_SIGNAL (295), CREATE_XML_WITH_FILES
 * (309) and CREATE_WITH_FILES (310), which libvirt's QEMU driver does not
 * have (their CALL_WITH_FDS is answered in dispatch.c). */
#include "procedures.h"
#include "util.h"

#define R PROC_READ
#define DOMAIN "org.libvirt.Domain"

/* BlockPeek and MemoryPeek: the size and flags came as 'n' (an unsigned
 * int on the wire); D-Bus takes the size as "t". */
static int append_peek_size_flags(Call *c, sd_bus_message *m) {
        const CallValue *size = &c->v[c->n_v - 2], *flags = &c->v[c->n_v - 1];

        return sd_bus_message_append(m, "tu", (uint64_t) (uint32_t) size->i, (uint32_t) flags->i);
}

/* "ay" -> opaque buffer<> */
static int reply_buffer(Call *c, sd_bus_message *m) {
        const void *buf;
        size_t size;
        int r = sd_bus_message_read_array(m, 'y', &buf, &size);

        if (r < 0)
                return r;
        xdr_put_opaque(&c->w, buf, (uint32_t) size);
        return 0;
}

/* void -> int retcode (0) */
static int reply_retcode(Call *c, sd_bus_message *m) {
        xdr_put_i32(&c->w, 0);
        return 0;
}

/* h -> REPLY_WITH_FDS of one fd, no ret (remote_domain_open_graphics_fd) */
static int reply_graphics_fd(Call *c, sd_bus_message *m) {
        int fd, r = sd_bus_message_read(m, "h", &fd);

        if (r < 0)
                return r;
        return call_reply_fd(c, fd);
}

/* (uut) -> remote_domain_get_control_info_ret */
static int reply_control_info(Call *c, sd_bus_message *m) {
        uint32_t state, details;
        uint64_t since;
        int r = sd_bus_message_read(m, "(uut)", &state, &details, &since);

        if (r < 0)
                return r;
        xdr_put_u32(&c->w, state);
        xdr_put_u32(&c->w, details);
        xdr_put_u64(&c->w, since);
        return 0;
}

/* a(si) -> remote_domain_get_disk_errors_ret: with maxerrors 0 (the first
 * call of virsh domblkerror) only the count, else at most maxerrors. */
static int reply_disk_errors(Call *c, sd_bus_message *m) {
        uint32_t max = (uint32_t) c->v[0].i, n = 0, total = 0;
        size_t count_at;
        const char *disk;
        int32_t code;
        int r;

        count_at = c->w.len;
        xdr_put_u32(&c->w, 0);
        r = sd_bus_message_enter_container(m, 'a', "(si)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(si)", &disk, &code)) > 0) {
                total++;
                if (n >= max)
                        continue;
                xdr_put_string(&c->w, disk);
                xdr_put_i32(&c->w, code);
                n++;
        }
        if (r < 0)
                return r;
        xdr_patch_u32(&c->w, count_at, n);
        xdr_put_i32(&c->w, (int32_t) (max == 0 ? total : n));
        return 0;
}

/* Sorted by number (procedure_find() searches it). */
static const ProcDef rows[] = {
        { 103, "virDomainBlockPeek", 0, "Dshnn", DOMAIN, "BlockPeek", .append = append_peek_size_flags,
          .reply = reply_buffer },
        { 104, "virDomainMemoryPeek", 0, "Dhnn", DOMAIN, "MemoryPeek", .append = append_peek_size_flags,
          .reply = reply_buffer },
        { 210, "virDomainInjectNMI", 0, "Du", DOMAIN, "InjectNMI", .reply = reply_void },
        { 226, "virDomainSendKey", 0, "DuuAu", DOMAIN, "SendKey", .reply = reply_void },
        { 229, "virDomainGetControlInfo", R, "Du", DOMAIN, "GetControlInfo", .reply = reply_control_info },
        { 263, "virDomainGetDiskErrors", R, "Dnu", DOMAIN, "GetDiskErrors", .reply = reply_disk_errors },
        { 264, "virDomainSetMetadata", 0, "Dizzzu", DOMAIN, "SetMetadata", .reply = reply_void },
        { 265, "virDomainGetMetadata", R, "Dizu", DOMAIN, "GetMetadata", .reply = reply_string },
        { 267, "virDomainPMWakeup", 0, "Du", DOMAIN, "PMWakeup", .reply = reply_void },
        { 343, "virDomainOpenGraphicsFD", 0, "Duu", DOMAIN, "OpenGraphicsFD", .reply = reply_graphics_fd },
        { 358, "virDomainRename", 0, "Dzu", DOMAIN, "Rename", .reply = reply_retcode },
};

const ProcTable proc_table_control = { rows, ELEMENTSOF(rows) };
