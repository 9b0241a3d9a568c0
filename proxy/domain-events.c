/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domain-events.h"
#include "typed-params.h"
#include "util.h"

/* libvirt's REMOTE_DOMAIN_EVENT_TUNABLE_MAX and REMOTE_DOMAIN_JOB_STATS_MAX */
#define TUNABLE_MAX 2048
#define JOB_STATS_MAX 64
#define GRAPHICS_IDENTITY_MAX 20

static int enc_none(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        return 0;
}

static int enc_i32(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        int32_t v;
        int r = sd_bus_message_read(sig, "i", &v);

        if (r >= 0)
                xdr_put_i32(w, v);
        return r;
}

static int enc_i64(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        int64_t v;
        int r = sd_bus_message_read(sig, "x", &v);

        if (r >= 0)
                xdr_put_u64(w, (uint64_t) v);
        return r;
}

static int enc_u64(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        uint64_t v;
        int r = sd_bus_message_read(sig, "t", &v);

        if (r >= 0)
                xdr_put_u64(w, v);
        return r;
}

static int enc_string(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        const char *s;
        int r = sd_bus_message_read(sig, "s", &s);

        if (r >= 0)
                xdr_put_string(w, s);
        return r;
}

/* string, then int: TrayChange, BlockJob (type, status: two ints) */
static int enc_string_i32(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        int r = enc_string(w, dom, sig);

        return r < 0 ? r : enc_i32(w, dom, sig);
}

static int enc_block_job(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        int r = enc_string_i32(w, dom, sig);

        return r < 0 ? r : enc_i32(w, dom, sig);
}

static int enc_agent(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        int r = enc_i32(w, dom, sig);

        return r < 0 ? r : enc_i32(w, dom, sig);
}

/* IOError(srcPath, device, action, reason): IO_ERROR leaves the reason out */
static int enc_io_error(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        const char *path, *dev, *reason;
        int32_t action;
        int r = sd_bus_message_read(sig, "ssis", &path, &dev, &action, &reason);

        if (r < 0)
                return r;
        xdr_put_string(w, path);
        xdr_put_string(w, dev);
        xdr_put_i32(w, action);
        return 0;
}

static int enc_io_error_reason(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        const char *path, *dev, *reason;
        int32_t action;
        int r = sd_bus_message_read(sig, "ssis", &path, &dev, &action, &reason);

        if (r < 0)
                return r;
        xdr_put_string(w, path);
        xdr_put_string(w, dev);
        xdr_put_i32(w, action);
        xdr_put_string(w, reason);
        return 0;
}

/* "" is libvirt-dbus's word for a path that is not there */
static const char *absent_if_empty(const char *s) {
        return s && *s ? s : NULL;
}

static int enc_disk_change(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        const char *old, *new, *dev;
        int32_t reason;
        int r = sd_bus_message_read(sig, "sssi", &old, &new, &dev, &reason);

        if (r < 0)
                return r;
        xdr_put_optional_string(w, absent_if_empty(old));
        xdr_put_optional_string(w, absent_if_empty(new));
        xdr_put_string(w, dev);
        xdr_put_i32(w, reason);
        return 0;
}

static int enc_metadata(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        const char *uri;
        int32_t type;
        int r = sd_bus_message_read(sig, "is", &type, &uri);

        if (r < 0)
                return r;
        xdr_put_i32(w, type);
        xdr_put_optional_string(w, absent_if_empty(uri));
        return 0;
}

static int put_graphics_address(XdrWriter *w, sd_bus_message *sig) {
        const char *node, *service;
        int32_t family;
        int r = sd_bus_message_read(sig, "(iss)", &family, &node, &service);

        if (r < 0)
                return r;
        xdr_put_i32(w, family);
        xdr_put_string(w, node);
        xdr_put_string(w, service);
        return 0;
}

static int enc_graphics(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        const char *scheme, *type, *name;
        size_t count_at;
        uint32_t n = 0;
        int32_t phase;
        int r = sd_bus_message_read(sig, "i", &phase);

        if (r < 0)
                return r;
        xdr_put_i32(w, phase);
        if ((r = put_graphics_address(w, sig)) < 0 || (r = put_graphics_address(w, sig)) < 0 ||
            (r = sd_bus_message_read(sig, "s", &scheme)) < 0)
                return r;
        xdr_put_string(w, scheme);
        r = sd_bus_message_enter_container(sig, 'a', "(ss)");
        if (r < 0)
                return r;
        count_at = w->len;
        xdr_put_u32(w, 0);
        while ((r = sd_bus_message_read(sig, "(ss)", &type, &name)) > 0) {
                if (++n > GRAPHICS_IDENTITY_MAX)
                        return -E2BIG;
                xdr_put_string(w, type);
                xdr_put_string(w, name);
        }
        if (r < 0)
                return r;
        xdr_patch_u32(w, count_at, n);
        return sd_bus_message_exit_container(sig);
}

static int put_params(XdrWriter *w, sd_bus_message *sig, uint32_t max) {
        TypedParams tp = {};
        int r = typed_params_read_bus(sig, max, &tp, NULL);

        if (r >= 0)
                typed_params_write_xdr(w, &tp, max);
        typed_params_done(&tp);
        return r;
}

/* BlockThreshold(device, devPath, threshold, excess): the path "" is absent */
static int enc_block_threshold(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        const char *dev, *path;
        uint64_t threshold, excess;
        int r = sd_bus_message_read(sig, "sstt", &dev, &path, &threshold, &excess);

        if (r < 0)
                return r;
        xdr_put_string(w, dev);
        xdr_put_optional_string(w, absent_if_empty(path));
        xdr_put_u64(w, threshold);
        xdr_put_u64(w, excess);
        return 0;
}

static int enc_tunable(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        return put_params(w, sig, TUNABLE_MAX);
}

static int enc_job_completed(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig) {
        return put_params(w, sig, JOB_STATS_MAX);
}

/* Sorted by member (domain_event_kinds() walks the rows of one member). */
static const DomainEventKind kinds[] = {
        { "AgentEvent", "ii", 18, 348, enc_agent },
        { "BalloonChange", "t", 13, 331, enc_u64 },
        /* libvirt-dbus's BlockJob names the disk by target: BLOCK_JOB_2 */
        { "BlockJob", "sii", 16, 339, enc_block_job },
        { "BlockThreshold", "sstt", 24, 385, enc_block_threshold },
        { "ControlError", "", 7, 325, enc_none },
        { "DeviceAdded", "s", 19, 354, enc_string },
        { "DeviceRemovalFailed", "s", 22, 367, enc_string },
        { "DeviceRemoved", "s", 15, 333, enc_string },
        { "DiskChange", "sssi", 9, 327, enc_disk_change },
        { "Graphics", "i(iss)(iss)sa(ss)", 5, 323, enc_graphics },
        { "IOError", "ssis", 4, 322, enc_io_error },
        { "IOError", "ssis", 6, 324, enc_io_error_reason },
        { "JobCompleted", "a{sv}", 21, 363, enc_job_completed },
        { "MetadataChange", "is", 23, 379, enc_metadata },
        { "MigrationIteration", "i", 20, 359, enc_i32 },
        { "PMSuspend", "i", 12, 330, enc_i32, .reason_first = true },
        { "PMSuspendDisk", "i", 14, 332, enc_i32, .reason_first = true },
        { "PMWakeup", "i", 11, 329, enc_i32, .reason_first = true },
        { "RTCChange", "x", 2, 320, enc_i64 },
        { "Reboot", "", 1, 319, enc_none },
        { "TrayChange", "si", 10, 328, enc_string_i32 },
        { "Tunable", "a{sv}", 17, 346, enc_tunable },
        { "Watchdog", "i", 3, 321, enc_i32 },
};

const DomainEventKind *domain_event_kinds(const char *member, size_t *n) {
        for (size_t i = 0; member && i < ELEMENTSOF(kinds); i++)
                if (streq(kinds[i].member, member)) {
                        size_t k = i;
                        while (k < ELEMENTSOF(kinds) && streq(kinds[k].member, member))
                                k++;
                        *n = k - i;
                        return &kinds[i];
                }
        *n = 0;
        return NULL;
}

const DomainEventKind *domain_event_table(size_t *n) {
        *n = ELEMENTSOF(kinds);
        return kinds;
}

int domain_event_build(XdrWriter *w, const DomainEventKind *k, int32_t callback_id, const RemoteHandle *dom,
                       sd_bus_message *sig) {
        /* serial 1, as libvirtd sends events */
        RpcHeader h = { RPC_PROG_REMOTE, RPC_VERSION, k->msg_proc, RPC_MESSAGE, 1, RPC_OK };
        int r;

        if (!sd_bus_message_has_signature(sig, k->signature))
                return -EBADMSG;
        r = sd_bus_message_rewind(sig, true);
        if (r < 0)
                return r;
        rpc_frame_begin(w, &h);
        xdr_put_i32(w, callback_id);
        if (k->reason_first) {
                r = k->encode(w, dom, sig);
                remote_put_handle(w, HANDLE_DOMAIN, dom);
        } else {
                remote_put_handle(w, HANDLE_DOMAIN, dom);
                r = k->encode(w, dom, sig);
        }
        if (r < 0)
                return r;
        return rpc_frame_end(w);
}
