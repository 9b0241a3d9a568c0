/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest agent's procedures (libvirt's virDomainGetHostname, GetTime,
 * SetTime, FSFreeze, FSThaw, FSTrim, GetFSInfo, InterfaceAddresses,
 * SetUserPassword, GetGuestVcpus, SetGuestVcpus) and their conversions.
 * ShutdownFlags and Reboot carry the GUEST_AGENT flag through the core's
 * rows (procedures.c) as they are. None is allowed read-only: each talks to
 * the guest, as libvirt's checks say. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "procedures.h"
#include "util.h"

#define DOMAIN "org.libvirt.Domain"

/* "(tu)" -> hyper seconds, unsigned nseconds */
static int reply_time(Call *c, sd_bus_message *m) {
        uint64_t seconds;
        uint32_t nseconds;
        int r = sd_bus_message_read(m, "(tu)", &seconds, &nseconds);

        if (r < 0)
                return r;
        xdr_put_u64(&c->w, seconds);
        xdr_put_u32(&c->w, nseconds);
        return 0;
}

/* "u" -> int */
static int reply_u_as_int(Call *c, sd_bus_message *m) {
        uint32_t n;
        int r = sd_bus_message_read(m, "u", &n);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, (int32_t) n);
        return 0;
}

/* a(sssas) -> remote_domain_fsinfo info<>, unsigned ret (their count) */
static int reply_fsinfo(Call *c, sd_bus_message *m) {
        size_t count_at;
        uint32_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(sssas)");
        if (r < 0)
                return r;
        count_at = c->w.len;
        xdr_put_u32(&c->w, 0);
        while ((r = sd_bus_message_enter_container(m, 'r', "sssas")) > 0) {
                const char *mountpoint, *name, *fstype;
                _cleanup_strv_free_ char **aliases = NULL;

                r = sd_bus_message_read(m, "sss", &mountpoint, &name, &fstype);
                if (r >= 0)
                        r = sd_bus_message_read_strv(m, &aliases);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                xdr_put_string(&c->w, mountpoint);
                xdr_put_string(&c->w, name);
                xdr_put_string(&c->w, fstype);
                xdr_put_u32(&c->w, (uint32_t) strv_length(aliases));
                for (char **a = aliases; a && *a; a++)
                        xdr_put_string(&c->w, *a);
                n++;
        }
        if (r < 0)
                return r;
        xdr_patch_u32(&c->w, count_at, n);
        xdr_put_u32(&c->w, n);
        return 0;
}

/* a(ssa(isu)) -> remote_domain_interface ifaces<> */
static int reply_ifaces(Call *c, sd_bus_message *m) {
        size_t count_at;
        uint32_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ssa(isu))");
        if (r < 0)
                return r;
        count_at = c->w.len;
        xdr_put_u32(&c->w, 0);
        while ((r = sd_bus_message_enter_container(m, 'r', "ssa(isu)")) > 0) {
                const char *name, *hwaddr, *addr;
                int32_t type;
                uint32_t prefix, k = 0;
                size_t addrs_at;

                r = sd_bus_message_read(m, "ss", &name, &hwaddr);
                if (r >= 0)
                        r = sd_bus_message_enter_container(m, 'a', "(isu)");
                if (r < 0)
                        return r;
                xdr_put_string(&c->w, name);
                xdr_put_optional_string(&c->w, *hwaddr ? hwaddr : NULL);
                addrs_at = c->w.len;
                xdr_put_u32(&c->w, 0);
                while ((r = sd_bus_message_read(m, "(isu)", &type, &addr, &prefix)) > 0) {
                        xdr_put_i32(&c->w, type);
                        xdr_put_string(&c->w, addr);
                        xdr_put_u32(&c->w, prefix);
                        k++;
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                xdr_patch_u32(&c->w, addrs_at, k);
                n++;
        }
        if (r < 0)
                return r;
        xdr_patch_u32(&c->w, count_at, n);
        return 0;
}

/* a{sv} of strings -> remote_typed_param params<> (VIR_TYPED_PARAM_STRING) */
static int reply_string_params(Call *c, sd_bus_message *m) {
        size_t count_at;
        uint32_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        count_at = c->w.len;
        xdr_put_u32(&c->w, 0);
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *value;

                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0)
                        r = sd_bus_message_read(m, "v", "s", &value);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                xdr_put_string(&c->w, key);
                xdr_put_i32(&c->w, 7); /* VIR_TYPED_PARAM_STRING */
                xdr_put_string(&c->w, value);
                n++;
        }
        if (r < 0)
                return r;
        xdr_patch_u32(&c->w, count_at, n);
        return 0;
}

/* "0-3,^2,5": libvirt's cpu map syntax -> the bool array of SetGuestVcpus.
 * -EINVAL when it does not parse. */
static int agent_parse_cpumap(const char *s, bool **ret, size_t *ret_n) {
        _cleanup_free_ bool *map = NULL;
        size_t n = 0;

        while (*s) {
                bool neg = *s == '^';
                char *end;
                unsigned long a, b;

                s += neg;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                a = b = strtoul(s, &end, 10);
                if (*end == '-' && !neg) {
                        s = end + 1;
                        if (*s < '0' || *s > '9')
                                return -EINVAL;
                        b = strtoul(s, &end, 10);
                }
                if (a > b || b >= 4096)
                        return -EINVAL;
                if (b + 1 > n) {
                        bool *m = realloc(map, (b + 1) * sizeof(bool));
                        if (!m)
                                return -ENOMEM;
                        memset(m + n, 0, (b + 1 - n) * sizeof(bool));
                        map = m;
                        n = b + 1;
                }
                for (unsigned long i = a; i <= b; i++)
                        map[i] = !neg;
                s = end;
                if (*s == ',')
                        s++;
                else if (*s)
                        return -EINVAL;
        }
        if (n == 0)
                return -EINVAL;
        *ret = TAKE_PTR(map);
        *ret_n = n;
        return 0;
}

/* SetGuestVcpus(ab vcpumap, i state, u flags) from {cpumap, state, flags}
 * ("onn": the map's string, read as the opaque bytes it is on the wire, and
 * the two ints, kept and sent here). */
static int append_guest_vcpus(Call *c, sd_bus_message *m) {
        _cleanup_free_ bool *map = NULL;
        _cleanup_free_ char *text = strndup(c->v[0].s ? c->v[0].s : "", c->v[0].s ? c->v[0].u : 0);
        size_t n;
        int r;

        if (!text)
                return -ENOMEM;
        r = agent_parse_cpumap(text, &map, &n);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                (void) call_fail(c, VIR_ERR_INVALID_ARG, vb_error_domain_for_daemon(c->bus_name),
                                 "cannot parse the vCPU map '%s'", text);
                return -ECANCELED;
        }
        r = sd_bus_message_open_container(m, 'a', "b");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(m, "b", (int) map[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "iu", c->v[1].i, (uint32_t) c->v[2].i);
        return r;
}

/* Sorted by number (procedure_find() searches every table). */
static const ProcDef rows[] = {
        { 277, "virDomainGetHostname", 0, "Du", DOMAIN, "GetHostname", .reply = reply_string },
        { 294, "virDomainFSTrim", 0, "Dzhu", DOMAIN, "FSTrim", .reply = reply_void },
        { 335, "virDomainFSFreeze", 0, "DSu", DOMAIN, "FSFreeze", .reply = reply_u_as_int },
        { 336, "virDomainFSThaw", 0, "DSu", DOMAIN, "FSThaw", .reply = reply_u_as_int },
        { 337, "virDomainGetTime", 0, "Du", DOMAIN, "GetTime", .reply = reply_time },
        { 338, "virDomainSetTime", 0, "Dhuu", DOMAIN, "SetTime", .reply = reply_void },
        { 349, "virDomainGetFSInfo", 0, "Du", DOMAIN, "GetFSInfo", .reply = reply_fsinfo },
        { 353, "virDomainInterfaceAddresses", 0, "Duu", DOMAIN, "InterfaceAddresses", .reply = reply_ifaces },
        { 357, "virDomainSetUserPassword", 0, "Dzzu", DOMAIN, "SetUserPassword", .reply = reply_void },
        { 371, "virDomainGetGuestVcpus", 0, "Du", DOMAIN, "GetGuestVcpus", .reply = reply_string_params },
        { 372, "virDomainSetGuestVcpus", 0, "Donn", DOMAIN, "SetGuestVcpus", .append = append_guest_vcpus,
          .reply = reply_void },
};

const ProcTable proc_table_agent = { rows, sizeof(rows) / sizeof(rows[0]) };
