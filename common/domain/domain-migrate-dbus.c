/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Migration's bus surface (domain-migrate.h): the v3 phases on
 * org.libvirt.Domain (source) and org.libvirt.Connect (destination), and
 * the settings of a migration. The work is the driver's. */
#include "bus-util.h"
#include "connect-dbus.h"
#include "domain-dbus.h"
#include "domain-driver.h"
#include "domain-migrate.h"
#include "error.h"
#include "log.h"
#include "util.h"

/* What the phases take; the proxy clears PEER2PEER before it calls. */
#define PHASE_FLAGS                                                                                               \
        (MIGRATE_LIVE | MIGRATE_TUNNELLED | MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE | MIGRATE_PAUSED |     \
         MIGRATE_NON_SHARED_DISK | \
         MIGRATE_NON_SHARED_INC | MIGRATE_CHANGE_PROTECTION | MIGRATE_UNSAFE | MIGRATE_OFFLINE |                  \
         MIGRATE_COMPRESSED | MIGRATE_ABORT_ON_ERROR | MIGRATE_AUTO_CONVERGE | MIGRATE_POSTCOPY |                 \
         MIGRATE_PARALLEL | MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES)
#define TYPED_PARAM_STRING_OKAY (1u << 2)

static const DomainMigrateOps *ops_of(Manager *m) {
        return m->driver->migrate;
}

static int not_supported(Manager *m, const char *what, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "this function is not supported by the %s driver: %s",
                             m->driver->name, what);
}

void migrate_params_done(MigrateParams *p) {
        p->disks = mfree(p->disks);
        p->compression = mfree(p->compression);
}

static int push(const char ***l, const char *s) {
        size_t n = 0;

        while (*l && (*l)[n])
                n++;
        const char **t = realloc(*l, (n + 2) * sizeof(char *));
        if (!t)
                return -ENOMEM;
        t[n] = s;
        t[n + 1] = NULL;
        *l = t;
        return 0;
}

typedef struct ParamSpec {
        const char *name;
        char type;
        size_t offset; /* into MigrateParams */
        size_t has;    /* offset of its has_ flag, or 0 */
        bool list;     /* may repeat: a NULL-ended list of strings */
} ParamSpec;

#define P(n, t, f) { n, t, offsetof(MigrateParams, f), 0, false }
#define PH(n, t, f) { n, t, offsetof(MigrateParams, f), offsetof(MigrateParams, has_##f), false }
#define PL(n, f) { n, 's', offsetof(MigrateParams, f), 0, true }

static const ParamSpec param_specs[] = {
        P("migrate_uri", 's', uri),
        P("destination_name", 's', dest_name),
        P("destination_xml", 's', dest_xml),
        P("persistent_xml", 's', persist_xml),
        P("listen_address", 's', listen_address),
        P("disks_uri", 's', disks_uri),
        PL("migrate_disks", disks),
        PH("bandwidth", 't', bandwidth),
        P("bandwidth.postcopy", 't', bandwidth_postcopy),
        PH("disks_port", 'i', disks_port),
        PH("parallel.connections", 'i', parallel),
        P("compression.mt.level", 'i', compression_level),
        P("auto_converge.initial", 'i', ac_initial),
        P("auto_converge.increment", 'i', ac_increment),
        PH("compression.xbzrle.cache", 't', xbzrle_cache),
        PL("compression", compression),
};

static const ParamSpec *find_spec(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(param_specs); i++)
                if (streq(param_specs[i].name, name))
                        return &param_specs[i];
        return NULL;
}

static int read_one(sd_bus_message *msg, MigrateParams *p, sd_bus_error *error) {
        const char *name, *contents;
        const ParamSpec *spec;
        char type;
        int r = sd_bus_message_read_basic(msg, 's', &name);

        if (r >= 0)
                r = sd_bus_message_peek_type(msg, &type, &contents);
        if (r < 0)
                return r;
        spec = find_spec(name);
        if (!spec)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported migration parameter '%s'", name);
        if (!contents || contents[0] != spec->type || contents[1])
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "migration parameter '%s' must have type '%c', not '%s'",
                                     name, spec->type, contents ? contents : "?");
        r = sd_bus_message_enter_container(msg, 'v', contents);
        if (r < 0)
                return r;
        void *field = (uint8_t *) p + spec->offset;
        if (spec->list) {
                const char *s;
                r = sd_bus_message_read_basic(msg, 's', &s);
                if (r >= 0)
                        r = push((const char ***) field, s);
        } else
                r = sd_bus_message_read_basic(msg, spec->type, field);
        if (r >= 0 && spec->has)
                *(bool *) ((uint8_t *) p + spec->has) = true;
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        return r;
}

int migrate_params_read(sd_bus_message *msg, MigrateParams *p, sd_bus_error *error) {
        int r;

        *p = (MigrateParams) { .uri = "", .dest_name = "", .dest_xml = "", .persist_xml = "", .listen_address = "",
                               .disks_uri = "", .tunnel_fd = -1 };
        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                r = read_one(msg, p, error);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int check_flags(const MigrateParams *p, uint32_t flags, sd_bus_error *error) {
        if (flags & MIGRATE_PEER2PEER)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "peer-to-peer migration is the proxy's: qemud takes the phases only");
        /* libvirt 9.0 refuses it too with a QEMU of -blockdev (its NBD
         * mirrors do not go through the tunnel): its words */
        if ((flags & MIGRATE_TUNNELLED) && (flags & (MIGRATE_NON_SHARED_DISK | MIGRATE_NON_SHARED_INC)))
                return vb_error_setf(error, VB_ERROR_OPERATION_UNSUPPORTED,
                                     "migration of non-shared storage is not supported with tunnelled migration and this QEMU");
        if ((flags & MIGRATE_OFFLINE) && (flags & (MIGRATE_LIVE | MIGRATE_NON_SHARED_DISK | MIGRATE_NON_SHARED_INC |
                                                   MIGRATE_POSTCOPY)))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "offline migration cannot be live, postcopy or copy storage");
        if ((flags & MIGRATE_NON_SHARED_DISK) && (flags & MIGRATE_NON_SHARED_INC))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "the flags NON_SHARED_DISK and NON_SHARED_INC are mutually exclusive");
        return bus_check_flags(flags, PHASE_FLAGS, error);
}

/* Reads (params, [cookie,] flags) of a phase; the cookie is NULL when the
 * phase has none. */
static int read_phase(sd_bus_message *msg, MigrateParams *p, const void **cookie, size_t *cookie_len,
                      uint32_t *flags, sd_bus_error *error) {
        int r = migrate_params_read(msg, p, error);

        if (r >= 0 && cookie)
                r = sd_bus_message_read_array(msg, 'y', cookie, cookie_len);
        if (r >= 0)
                r = sd_bus_message_read_basic(msg, 'u', flags);
        if (r >= 0)
                r = check_flags(p, *flags, error);
        return r;
}

/* The stream's fd of a tunnel method: the phase must be TUNNELLED, and the
 * other phases never are. */
static int read_tunnel_fd(sd_bus_message *msg, MigrateParams *p, uint32_t flags, sd_bus_error *error) {
        int fd, r;

        if (!(flags & MIGRATE_TUNNELLED))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "the tunnel's methods need the flag TUNNELLED");
        r = sd_bus_message_read_basic(msg, 'h', &fd);
        if (r < 0)
                return r;
        p->tunnel_fd = fd;
        return 0;
}

static int refuse_tunnelled(uint32_t flags, const char *instead, sd_bus_error *error) {
        if (!(flags & MIGRATE_TUNNELLED))
                return 0;
        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                             "a TUNNELLED migration's stream goes through %s (the proxy runs it, with PEER2PEER)",
                             instead);
}

/* The destination's phases: a libvirtd source running peer to peer keeps
 * PEER2PEER in the flags it sends; it means nothing here. */
static int read_dest_phase(sd_bus_message *msg, MigrateParams *p, const void **cookie, size_t *cookie_len,
                           uint32_t *flags, sd_bus_error *error) {
        int r = migrate_params_read(msg, p, error);

        if (r >= 0)
                r = sd_bus_message_read_array(msg, 'y', cookie, cookie_len);
        if (r >= 0)
                r = sd_bus_message_read_basic(msg, 'u', flags);
        if (r >= 0) {
                *flags &= ~(uint32_t) MIGRATE_PEER2PEER;
                r = check_flags(p, *flags, error);
        }
        return r;
}

static int method_begin(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        _cleanup_(migrate_params_done) MigrateParams p = {};
        _cleanup_free_ char *cookie = NULL, *xml = NULL;
        size_t cookie_len = 0;
        uint32_t flags;
        int r = read_phase(msg, &p, NULL, NULL, &flags, error);

        if (r < 0)
                return r;
        if (!ops_of(d->manager) || !ops_of(d->manager)->begin)
                return not_supported(d->manager, "MigrateBegin3", error);
        r = ops_of(d->manager)->begin(d, &p, flags, &cookie, &cookie_len, &xml, error);
        if (r != 0)
                return r < 0 ? r : 1;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', cookie, cookie_len);
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", xml);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

/* Perform3 and Confirm3 run as the domain's MIGRATE_OUT job; the driver
 * answers. */
static int method_perform(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        _cleanup_(migrate_params_done) MigrateParams p = {};
        const char *dconnuri;
        const void *cookie;
        size_t cookie_len;
        uint32_t flags;
        int r = sd_bus_message_read_basic(msg, 's', &dconnuri);

        if (r >= 0)
                r = read_phase(msg, &p, &cookie, &cookie_len, &flags, error);
        if (r < 0)
                return r;
        if (r >= 0)
                r = streq(sd_bus_message_get_member(msg), "MigratePerform3Tunnel")
                            ? read_tunnel_fd(msg, &p, flags, error)
                            : refuse_tunnelled(flags, "MigratePerform3Tunnel", error);
        if (r < 0)
                return r;
        if (!ops_of(d->manager) || !ops_of(d->manager)->perform)
                return not_supported(d->manager, "MigratePerform3", error);
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MIGRATE_OUT, msg, method_perform, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = ops_of(d->manager)->perform(d, &p, cookie, cookie_len, flags, msg, error);
        if (r < 0)
                domain_job_end(d->jobs);
        return r < 0 ? r : 1;
}

static int method_confirm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        _cleanup_(migrate_params_done) MigrateParams p = {};
        const void *cookie;
        size_t cookie_len;
        uint32_t flags;
        int32_t cancelled;
        int r = read_phase(msg, &p, &cookie, &cookie_len, &flags, error);

        if (r >= 0)
                r = sd_bus_message_read_basic(msg, 'i', &cancelled);
        if (r < 0)
                return r;
        if (!ops_of(d->manager) || !ops_of(d->manager)->confirm)
                return not_supported(d->manager, "MigrateConfirm3", error);
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MIGRATE_OUT, msg, method_confirm, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = ops_of(d->manager)->confirm(d, &p, cookie, cookie_len, flags, cancelled != 0, msg, error);
        if (r < 0 && domain_job_is(d->jobs, DOMAIN_JOB_MIGRATE_OUT))
                domain_job_end(d->jobs);
        return r < 0 ? r : 1;
}

static int method_prepare(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(migrate_params_done) MigrateParams p = {};
        const void *cookie;
        size_t cookie_len;
        uint32_t flags;
        int r = read_dest_phase(msg, &p, &cookie, &cookie_len, &flags, error);

        if (r >= 0)
                r = streq(sd_bus_message_get_member(msg), "DomainMigratePrepareTunnel3")
                            ? read_tunnel_fd(msg, &p, flags, error)
                            : refuse_tunnelled(flags, "DomainMigratePrepareTunnel3", error);
        if (r < 0)
                return r;
        if (!ops_of(m) || !ops_of(m)->prepare)
                return not_supported(m, "DomainMigratePrepare3", error);
        r = ops_of(m)->prepare(m, &p, cookie, cookie_len, flags, msg, error);
        return r < 0 ? r : 1;
}

static int method_finish(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(migrate_params_done) MigrateParams p = {};
        const void *cookie;
        size_t cookie_len;
        uint32_t flags;
        int32_t cancelled;
        int r = read_dest_phase(msg, &p, &cookie, &cookie_len, &flags, error);

        if (r >= 0)
                r = sd_bus_message_read_basic(msg, 'i', &cancelled);
        if (r < 0)
                return r;
        if (!ops_of(m) || !ops_of(m)->finish)
                return not_supported(m, "DomainMigrateFinish3", error);
        r = ops_of(m)->finish(m, &p, cookie, cookie_len, flags, cancelled != 0, msg, error);
        return r < 0 ? r : 1;
}

/* --- settings ---------------------------------------------------------------- */

static int need_active(Domain *d, sd_bus_error *error) {
        if (domain_is_active(d))
                return 0;
        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
}

/* The settings' flags: MIGRATE_MAX_SPEED_POSTCOPY (1) on the speed only. */
#define SPEED_POSTCOPY 1u

static int method_set_u64(sd_bus_message *msg, Domain *d, const char *what, uint32_t allowed, sd_bus_error *error,
                          uint64_t *value, uint32_t *flags) {
        int r = sd_bus_message_read(msg, "tu", value, flags);

        if (r >= 0)
                r = bus_check_flags(*flags, allowed, error);
        if (r >= 0)
                r = need_active(d, error);
        if (r >= 0 && !ops_of(d->manager))
                r = not_supported(d->manager, what, error);
        return r;
}

static int method_set_max_downtime(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint64_t v;
        uint32_t flags;
        int r = method_set_u64(msg, d, "MigrateSetMaxDowntime", 0, error, &v, &flags);

        if (r >= 0 && !ops_of(d->manager)->set_max_downtime)
                r = not_supported(d->manager, "MigrateSetMaxDowntime", error);
        if (r >= 0 && v == 0)
                r = vb_error_setf(error, VB_ERROR_INVALID_ARG, "the maximum downtime must be more than 0 ms");
        if (r >= 0)
                r = ops_of(d->manager)->set_max_downtime(d, v, error);
        return domain_reply_done(msg, r);
}

static int method_set_max_speed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint64_t v;
        uint32_t flags;
        int r = method_set_u64(msg, d, "MigrateSetMaxSpeed", SPEED_POSTCOPY, error, &v, &flags);

        if (r >= 0 && !ops_of(d->manager)->set_max_speed)
                r = not_supported(d->manager, "MigrateSetMaxSpeed", error);
        if (r >= 0 && v > UINT64_MAX / 1024 / 1024)
                r = vb_error_setf(error, VB_ERROR_INVALID_ARG, "bandwidth %" PRIu64 " MiB/s is too large", v);
        if (r >= 0)
                r = ops_of(d->manager)->set_max_speed(d, v, flags & SPEED_POSTCOPY, error);
        return domain_reply_done(msg, r);
}

static int method_set_compression_cache(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint64_t v;
        uint32_t flags;
        int r = method_set_u64(msg, d, "MigrateSetCompressionCache", 0, error, &v, &flags);

        if (r >= 0 && !ops_of(d->manager)->set_compression_cache)
                r = not_supported(d->manager, "MigrateSetCompressionCache", error);
        if (r >= 0)
                r = ops_of(d->manager)->set_compression_cache(d, v, error);
        return domain_reply_done(msg, r);
}

static int reply_u64(sd_bus_message *msg, int r, uint64_t v) {
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "t", v);
}

static int get_check(sd_bus_message *msg, Domain *d, uint32_t allowed, bool have, const char *what,
                     uint32_t *flags, sd_bus_error *error) {
        int r = bus_read_flags(msg, allowed, flags, error);

        if (r >= 0)
                r = need_active(d, error);
        if (r >= 0 && (!ops_of(d->manager) || !have))
                r = not_supported(d->manager, what, error);
        return r;
}

static int method_get_max_downtime(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const DomainMigrateOps *o = ops_of(d->manager);
        uint64_t v = 0;
        uint32_t flags;
        int r = get_check(msg, d, 0, o && o->get_max_downtime, "MigrateGetMaxDowntime", &flags, error);

        if (r >= 0)
                r = o->get_max_downtime(d, &v, error);
        return reply_u64(msg, r, v);
}

static int method_get_max_speed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const DomainMigrateOps *o = ops_of(d->manager);
        uint64_t v = 0;
        uint32_t flags;
        int r = get_check(msg, d, SPEED_POSTCOPY, o && o->get_max_speed, "MigrateGetMaxSpeed", &flags, error);

        if (r >= 0)
                r = o->get_max_speed(d, flags & SPEED_POSTCOPY, &v, error);
        return reply_u64(msg, r, v);
}

static int method_get_compression_cache(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const DomainMigrateOps *o = ops_of(d->manager);
        uint64_t v = 0;
        uint32_t flags;
        int r = get_check(msg, d, 0, o && o->get_compression_cache, "MigrateGetCompressionCache", &flags, error);

        if (r >= 0)
                r = o->get_compression_cache(d, &v, error);
        return reply_u64(msg, r, v);
}

static int method_start_postcopy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const DomainMigrateOps *o = ops_of(d->manager);
        uint32_t flags;
        int r = get_check(msg, d, 0, o && o->start_postcopy, "MigrateStartPostCopy", &flags, error);

        if (r >= 0)
                r = o->start_postcopy(d, error);
        return domain_reply_done(msg, r);
}

const sd_bus_vtable domain_migrate_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("MigrateBegin3", "a{sv}u", SD_BUS_PARAM(params) SD_BUS_PARAM(flags), "ays",
                                 SD_BUS_PARAM(cookie) SD_BUS_PARAM(xml), method_begin, 0),
        SD_BUS_METHOD_WITH_NAMES("MigratePerform3", "sa{sv}ayu",
                                 SD_BUS_PARAM(dconnuri) SD_BUS_PARAM(params) SD_BUS_PARAM(cookie) SD_BUS_PARAM(flags),
                                 "ay", SD_BUS_PARAM(cookie), method_perform, 0),
        SD_BUS_METHOD_WITH_NAMES("MigratePerform3Tunnel", "sa{sv}ayuh",
                                 SD_BUS_PARAM(dconnuri) SD_BUS_PARAM(params) SD_BUS_PARAM(cookie) SD_BUS_PARAM(flags)
                                 SD_BUS_PARAM(stream),
                                 "ay", SD_BUS_PARAM(cookie), method_perform, 0),
        SD_BUS_METHOD_WITH_NAMES("MigrateConfirm3", "a{sv}ayui",
                                 SD_BUS_PARAM(params) SD_BUS_PARAM(cookie) SD_BUS_PARAM(flags) SD_BUS_PARAM(cancelled),
                                 NULL, , method_confirm, 0),
        SD_BUS_METHOD_WITH_NAMES("MigrateSetMaxDowntime", "tu", SD_BUS_PARAM(downtime) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_max_downtime, 0),
        SD_BUS_METHOD_WITH_NAMES("MigrateGetMaxDowntime", "u", SD_BUS_PARAM(flags), "t", SD_BUS_PARAM(downtime),
                                 method_get_max_downtime, 0),
        SD_BUS_METHOD_WITH_NAMES("MigrateSetMaxSpeed", "tu", SD_BUS_PARAM(bandwidth) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_max_speed, 0),
        SD_BUS_METHOD_WITH_NAMES("MigrateGetMaxSpeed", "u", SD_BUS_PARAM(flags), "t", SD_BUS_PARAM(bandwidth),
                                 method_get_max_speed, 0),
        SD_BUS_METHOD_WITH_NAMES("MigrateSetCompressionCache", "tu", SD_BUS_PARAM(cacheSize) SD_BUS_PARAM(flags),
                                 NULL, , method_set_compression_cache, 0),
        SD_BUS_METHOD_WITH_NAMES("MigrateGetCompressionCache", "u", SD_BUS_PARAM(flags), "t",
                                 SD_BUS_PARAM(cacheSize), method_get_compression_cache, 0),
        SD_BUS_METHOD_WITH_NAMES("MigrateStartPostCopy", "u", SD_BUS_PARAM(flags), NULL, , method_start_postcopy,
                                 0),
        SD_BUS_VTABLE_END,
};

const sd_bus_vtable connect_migrate_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("DomainMigratePrepare3", "a{sv}ayu",
                                 SD_BUS_PARAM(params) SD_BUS_PARAM(cookie) SD_BUS_PARAM(flags), "ays",
                                 SD_BUS_PARAM(cookie) SD_BUS_PARAM(uri), method_prepare, 0),
        SD_BUS_METHOD_WITH_NAMES("DomainMigratePrepareTunnel3", "a{sv}ayuh",
                                 SD_BUS_PARAM(params) SD_BUS_PARAM(cookie) SD_BUS_PARAM(flags) SD_BUS_PARAM(stream),
                                 "ay", SD_BUS_PARAM(cookie), method_prepare, 0),
        SD_BUS_METHOD_WITH_NAMES("DomainMigrateFinish3", "a{sv}ayui",
                                 SD_BUS_PARAM(params) SD_BUS_PARAM(cookie) SD_BUS_PARAM(flags) SD_BUS_PARAM(cancelled),
                                 "oay", SD_BUS_PARAM(domain) SD_BUS_PARAM(cookie), method_finish, 0),
        SD_BUS_VTABLE_END,
};
