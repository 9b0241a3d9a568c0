/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: block jobs (pull, commit, copy, abort and pivot,
 * speed), disk resize, write thresholds and their signals. The arguments
 * are read and checked here; the work is the driver's DomainBlockOps
 * (domain-block.h). */
#include <inttypes.h>
#include <libxml/tree.h>

#include "bus-util.h"
#include "domain-block.h"
#include "domain-control.h"
#include "domain-dbus.h"
#include "domain-manager.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "xml-util.h"

static const DomainBlockOps *ops_of(const Domain *d) {
        return d->manager->driver->block;
}

DomainDiskDef *domain_block_find_disk(const DomainDef *def, const char *name) {
        for (size_t i = 0; def && name && i < def->n_disks; i++)
                if (streq_ptr(def->disks[i].dst, name) || streq_ptr(def->disks[i].src, name))
                        return &def->disks[i];
        return NULL;
}

void domain_emit_block_job(Domain *d, const char *disk, int type, int status) {
        domain_emit_signal(d, "BlockJob", "sii", disk, (int32_t) type, (int32_t) status);
}

void domain_emit_block_threshold(Domain *d, const char *dev, const char *path, uint64_t threshold,
                                 uint64_t excess) {
        domain_emit_signal(d, "BlockThreshold", "sstt", dev, path ?: "", threshold, excess);
}

/* The running guest's disk called name, or an error naming both. */
static int live_disk(Domain *d, const char *name, DomainDiskDef **ret, sd_bus_error *error) {
        DomainDiskDef *disk;

        if (!domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        disk = domain_block_find_disk(d->live, name);
        if (!disk)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "domain '%s' has no disk '%s'", d->def->name,
                                     name);
        if (!disk->src)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "disk '%s' of domain '%s' has no source",
                                     disk->dst, d->def->name);
        *ret = disk;
        return 0;
}

/* libvirt's bandwidth: MiB/s unless the flag says bytes/s. */
static int bandwidth_bytes(uint64_t bandwidth, bool bytes, uint64_t *ret, sd_bus_error *error) {
        if (!bytes && bandwidth > UINT64_MAX >> 20)
                return vb_error_setf(error, VB_ERROR_OVERFLOW, "bandwidth must be less than %" PRIu64,
                                     UINT64_MAX >> 20);
        if (bandwidth > INT64_MAX)
                return vb_error_setf(error, VB_ERROR_OVERFLOW, "bandwidth must be less than %" PRIu64,
                                     (uint64_t) INT64_MAX);
        *ret = bytes ? bandwidth : bandwidth << 20;
        return 0;
}

static int begin_modify(Domain *d, sd_bus_message *msg, sd_bus_message_handler_t self, sd_bus_error *error) {
        return domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, self, d, error);
}

static int end_modify(Domain *d, sd_bus_message *msg, int r) {
        if (r > 0)
                return 1;
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

/* ---- jobs: info, abort, speed ---- */

static int method_get_block_job_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        DomainDiskDef *disk;
        const char *name;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "su", &name, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES, error)) < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->job_info)
                return domain_not_supported(d, "GetBlockJobInfo", error);
        if ((r = live_disk(d, name, &disk, error)) < 0)
                return r;
        r = ops_of(d)->job_info(d, disk, flags & DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES, msg, error);
        return r < 0 ? r : 1;
}

static int method_block_job_abort(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        DomainDiskDef *disk;
        const char *name;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "su", &name, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, DOMAIN_BLOCK_JOB_ABORT_ASYNC | DOMAIN_BLOCK_JOB_ABORT_PIVOT, error)) < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->job_abort)
                return domain_not_supported(d, "BlockJobAbort", error);
        r = begin_modify(d, msg, method_block_job_abort, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = live_disk(d, name, &disk, error);
        if (r >= 0)
                r = ops_of(d)->job_abort(d, disk, flags, error);
        return end_modify(d, msg, r);
}

static int method_block_job_set_speed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        DomainDiskDef *disk;
        const char *name;
        uint64_t bandwidth, bps;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "stu", &name, &bandwidth, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES, error)) < 0 ||
            (r = bandwidth_bytes(bandwidth, flags & DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES, &bps, error)) < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->job_set_speed)
                return domain_not_supported(d, "BlockJobSetSpeed", error);
        r = begin_modify(d, msg, method_block_job_set_speed, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = live_disk(d, name, &disk, error);
        if (r >= 0)
                r = ops_of(d)->job_set_speed(d, disk, bps, error);
        return end_modify(d, msg, r);
}

/* ---- pull, rebase, commit ---- */

static int pull(sd_bus_message *msg, Domain *d, sd_bus_message_handler_t self, const char *name, const char *base,
                uint64_t bandwidth, uint32_t flags, bool bytes, sd_bus_error *error) {
        DomainDiskDef *disk;
        uint64_t bps;
        int r;

        if ((r = bandwidth_bytes(bandwidth, bytes, &bps, error)) < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->pull)
                return domain_not_supported(d, "BlockPull", error);
        r = begin_modify(d, msg, self, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = live_disk(d, name, &disk, error);
        if (r >= 0)
                r = ops_of(d)->pull(d, disk, base, bps, flags, error);
        return end_modify(d, msg, r);
}

static int method_block_pull(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *name;
        uint64_t bandwidth;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "stu", &name, &bandwidth, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, DOMAIN_BLOCK_PULL_BANDWIDTH_BYTES, error)) < 0)
                return r;
        return pull(msg, userdata, method_block_pull, name, NULL, bandwidth, flags,
                    flags & DOMAIN_BLOCK_PULL_BANDWIDTH_BYTES, error);
}

/* BlockRebase with COPY (what virsh blockcopy sends without typed
 * parameters): a BlockCopy to base, whose definition stays (libvirt keeps
 * such a copy out of the persistent definition). */
static int rebase_copy(sd_bus_message *msg, Domain *d, const char *name, const char *base, uint64_t bandwidth,
                       uint32_t flags, sd_bus_error *error) {
        DomainBlockCopyDest dest = {
                .path = base,
                .format = (flags & DOMAIN_BLOCK_REBASE_COPY_RAW) ? DOMAIN_DISK_FORMAT_RAW : DOMAIN_DISK_FORMAT_NONE,
                .block = flags & DOMAIN_BLOCK_REBASE_COPY_DEV,
        };
        uint32_t copy_flags = DOMAIN_BLOCK_COPY_TRANSIENT_JOB;
        DomainDiskDef *disk;
        int r;

        if ((r = bus_check_flags(flags, DOMAIN_BLOCK_REBASE_SHALLOW | DOMAIN_BLOCK_REBASE_REUSE_EXT |
                                                DOMAIN_BLOCK_REBASE_COPY_RAW | DOMAIN_BLOCK_REBASE_COPY |
                                                DOMAIN_BLOCK_REBASE_COPY_DEV | DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES,
                                 error)) < 0 ||
            (r = bandwidth_bytes(bandwidth, flags & DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES, &dest.bandwidth, error)) < 0)
                return end_modify(d, msg, r);
        if (!*base || base[0] != '/')
                return end_modify(d, msg, vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                                        "BlockRebase with COPY needs the absolute path of the "
                                                        "destination, not '%s'", base));
        if (flags & DOMAIN_BLOCK_REBASE_SHALLOW)
                copy_flags |= DOMAIN_BLOCK_COPY_SHALLOW;
        if (flags & DOMAIN_BLOCK_REBASE_REUSE_EXT)
                copy_flags |= DOMAIN_BLOCK_COPY_REUSE_EXT;
        if (!ops_of(d) || !ops_of(d)->copy)
                return end_modify(d, msg, domain_not_supported(d, "BlockRebase", error));
        r = live_disk(d, name, &disk, error);
        if (r >= 0)
                r = ops_of(d)->copy(d, disk, &dest, copy_flags, error);
        return end_modify(d, msg, r);
}

static int method_block_rebase(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const char *name, *base;
        uint64_t bandwidth;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "sstu", &name, &base, &bandwidth, &flags);

        if (r < 0)
                return r;
        if (flags & DOMAIN_BLOCK_REBASE_COPY) {
                r = begin_modify(d, msg, method_block_rebase, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
                return rebase_copy(msg, d, name, base, bandwidth, flags, error);
        }
        if ((r = bus_check_flags(flags, DOMAIN_BLOCK_REBASE_SHALLOW | DOMAIN_BLOCK_REBASE_RELATIVE |
                                                DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES, error)) < 0)
                return r;
        return pull(msg, userdata, method_block_rebase, name, *base ? base : NULL, bandwidth, flags,
                    flags & DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES, error);
}

static int method_block_commit(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        DomainDiskDef *disk;
        const char *name, *base, *top;
        uint64_t bandwidth, bps;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "ssstu", &name, &base, &top, &bandwidth, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, DOMAIN_BLOCK_COMMIT_SHALLOW | DOMAIN_BLOCK_COMMIT_DELETE |
                                                DOMAIN_BLOCK_COMMIT_ACTIVE | DOMAIN_BLOCK_COMMIT_RELATIVE |
                                                DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES, error)) < 0 ||
            (r = bandwidth_bytes(bandwidth, flags & DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES, &bps, error)) < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->commit)
                return domain_not_supported(d, "BlockCommit", error);
        r = begin_modify(d, msg, method_block_commit, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = live_disk(d, name, &disk, error);
        if (r >= 0)
                r = ops_of(d)->commit(d, disk, *base ? base : NULL, *top ? top : NULL, bps, flags, error);
        return end_modify(d, msg, r);
}

/* ---- copy ---- */

/* A <disk type='volume'> destination: <source pool='' volume=''/>. */
static int parse_volume_dest(xmlNodePtr root, DomainBlockCopyDest *dest, char **pool, char **volume,
                             sd_bus_error *error) {
        for (xmlNodePtr c = root->children; c; c = c->next)
                if (xml_is(c, "source") && !*pool) {
                        *pool = (char *) xmlGetProp(c, (const xmlChar *) "pool");
                        *volume = (char *) xmlGetProp(c, (const xmlChar *) "volume");
                }
        if (!*pool || !**pool || !*volume || !**volume || strchr(*pool, '/') || strchr(*volume, '/'))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "a volume as the destination of a copy needs <source pool='' volume=''/>");
        dest->pool = *pool;
        dest->volume = *volume;
        return 0;
}

/* The destination <disk type='file|block|volume'> with <source file|dev>
 * (or pool and volume) and an optional <driver type>; the strings are the
 * caller's. */
static int parse_copy_dest(const char *xml, DomainBlockCopyDest *dest, char **path, char **pool, char **volume,
                           sd_bus_error *error) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        _cleanup_free_ char *type = NULL, *fmt = NULL;
        ConfError err = {};
        xmlNodePtr root;
        int r;

        r = xml_read_document(xml, strlen(xml), "disk", &doc, &err);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_XML, "destination XML of the copy: %s", err.message);
        root = xmlDocGetRootElement(doc);
        type = (char *) xmlGetProp(root, (const xmlChar *) "type");
        if (!type || (!streq(type, "file") && !streq(type, "block") && !streq(type, "volume")))
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "the destination of a copy must be <disk type='file'>, 'block' or 'volume', "
                                     "not '%s'", type ?: "");
        dest->block = streq(type, "block");
        for (xmlNodePtr c = root->children; c; c = c->next) {
                if (xml_is(c, "source") && !*path && !streq(type, "volume"))
                        *path = (char *) xmlGetProp(c, (const xmlChar *) (dest->block ? "dev" : "file"));
                else if (xml_is(c, "driver") && !fmt)
                        fmt = (char *) xmlGetProp(c, (const xmlChar *) "type");
        }
        if (streq(type, "volume")) {
                r = parse_volume_dest(root, dest, pool, volume, error);
                if (r < 0)
                        return r;
        } else {
                dest->path = *path;
                if (!dest->path || dest->path[0] != '/')
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "the destination of a copy needs an absolute <source %s=''/>",
                                             dest->block ? "dev" : "file");
        }
        if (!fmt)
                dest->format = DOMAIN_DISK_FORMAT_NONE;
        else if (streq(fmt, "raw"))
                dest->format = DOMAIN_DISK_FORMAT_RAW;
        else if (streq(fmt, "qcow2"))
                dest->format = DOMAIN_DISK_FORMAT_QCOW2;
        else
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported format '%s' of the copy's destination (raw or qcow2)", fmt);
        return 0;
}

/* virDomainBlockCopy's typed parameters: bandwidth (t, bytes/s),
 * granularity (u), buf-size (t). */
static int read_copy_params(sd_bus_message *msg, DomainBlockCopyDest *dest, sd_bus_error *error) {
        int r = sd_bus_message_enter_container(msg, 'a', "{sv}");

        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *sig;

                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(msg, NULL, &sig);
                if (r < 0)
                        return r;
                if (streq(key, "bandwidth") && streq(sig, "t"))
                        r = sd_bus_message_read(msg, "v", "t", &dest->bandwidth);
                else if (streq(key, "granularity") && streq(sig, "u"))
                        r = sd_bus_message_read(msg, "v", "u", &dest->granularity);
                else if (streq(key, "buf-size") && streq(sig, "t"))
                        r = sd_bus_message_read(msg, "v", "t", &dest->buf_size);
                else
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "unknown parameter '%s' of type '%s' for BlockCopy (bandwidth t, "
                                             "granularity u, buf-size t)", key, sig);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (dest->granularity && (dest->granularity < 512 || dest->granularity > 64 << 20 ||
                                  (dest->granularity & (dest->granularity - 1))))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "granularity %u must be a power of 2 between 512 and 64 MiB",
                                     dest->granularity);
        return sd_bus_message_exit_container(msg);
}

static int method_block_copy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        _cleanup_free_ char *path = NULL, *pool = NULL, *volume = NULL;
        DomainBlockCopyDest dest = {};
        DomainDiskDef *disk;
        const char *name, *xml;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "ss", &name, &xml);

        if (r >= 0)
                r = read_copy_params(msg, &dest, error);
        if (r >= 0)
                r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, DOMAIN_BLOCK_COPY_SHALLOW | DOMAIN_BLOCK_COPY_REUSE_EXT |
                                                DOMAIN_BLOCK_COPY_TRANSIENT_JOB |
                                                DOMAIN_BLOCK_COPY_SYNCHRONOUS_WRITES, error)) < 0 ||
            (r = parse_copy_dest(xml, &dest, &path, &pool, &volume, error)) < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->copy)
                return domain_not_supported(d, "BlockCopy", error);
        r = begin_modify(d, msg, method_block_copy, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = live_disk(d, name, &disk, error);
        if (r >= 0)
                r = ops_of(d)->copy(d, disk, &dest, flags, error);
        return end_modify(d, msg, r);
}

/* ---- resize, threshold ---- */

static int method_block_resize(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        DomainDiskDef *disk;
        const char *name;
        uint64_t size;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "stu", &name, &size, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, DOMAIN_BLOCK_RESIZE_BYTES, error)) < 0)
                return r;
        if (!(flags & DOMAIN_BLOCK_RESIZE_BYTES)) {
                if (size > UINT64_MAX / 1024)
                        return vb_error_setf(error, VB_ERROR_OVERFLOW, "size %" PRIu64 " KiB is too big", size);
                size *= 1024;
        }
        if (!ops_of(d) || !ops_of(d)->resize)
                return domain_not_supported(d, "BlockResize", error);
        r = begin_modify(d, msg, method_block_resize, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = live_disk(d, name, &disk, error);
        if (r >= 0)
                r = ops_of(d)->resize(d, disk, size, error);
        return end_modify(d, msg, r);
}

static int method_set_block_threshold(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        DomainDiskDef *disk;
        const char *name;
        uint64_t threshold;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "stu", &name, &threshold, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->set_threshold)
                return domain_not_supported(d, "SetBlockThreshold", error);
        r = begin_modify(d, msg, method_set_block_threshold, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = live_disk(d, name, &disk, error);
        if (r >= 0)
                r = ops_of(d)->set_threshold(d, disk, threshold, error);
        return end_modify(d, msg, r);
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable domain_block_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("BlockCommit", "ssstu",
                                 SD_BUS_PARAM(disk) SD_BUS_PARAM(base) SD_BUS_PARAM(top) SD_BUS_PARAM(bandwidth)
                                         SD_BUS_PARAM(flags),
                                 NULL, , method_block_commit, 0),
        SD_BUS_METHOD_WITH_NAMES("BlockCopy", "ssa{sv}u",
                                 SD_BUS_PARAM(disk) SD_BUS_PARAM(destxml) SD_BUS_PARAM(params) SD_BUS_PARAM(flags),
                                 NULL, , method_block_copy, 0),
        SD_BUS_METHOD_WITH_NAMES("BlockJobAbort", "su", SD_BUS_PARAM(disk) SD_BUS_PARAM(flags), NULL, ,
                                 method_block_job_abort, 0),
        SD_BUS_METHOD_WITH_NAMES("BlockJobSetSpeed", "stu",
                                 SD_BUS_PARAM(disk) SD_BUS_PARAM(bandwidth) SD_BUS_PARAM(flags), NULL, ,
                                 method_block_job_set_speed, 0),
        SD_BUS_METHOD_WITH_NAMES("BlockPull", "stu", SD_BUS_PARAM(disk) SD_BUS_PARAM(bandwidth) SD_BUS_PARAM(flags),
                                 NULL, , method_block_pull, 0),
        SD_BUS_METHOD_WITH_NAMES("BlockRebase", "sstu",
                                 SD_BUS_PARAM(disk) SD_BUS_PARAM(base) SD_BUS_PARAM(bandwidth) SD_BUS_PARAM(flags),
                                 NULL, , method_block_rebase, 0),
        SD_BUS_METHOD_WITH_NAMES("BlockResize", "stu", SD_BUS_PARAM(disk) SD_BUS_PARAM(size) SD_BUS_PARAM(flags),
                                 NULL, , method_block_resize, 0),
        SD_BUS_METHOD_WITH_NAMES("GetBlockJobInfo", "su", SD_BUS_PARAM(disk) SD_BUS_PARAM(flags), "(ittt)",
                                 SD_BUS_PARAM(blockJobInfo), method_get_block_job_info, READ),
        SD_BUS_METHOD_WITH_NAMES("SetBlockThreshold", "stu",
                                 SD_BUS_PARAM(dev) SD_BUS_PARAM(threshold) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_block_threshold, 0),
        SD_BUS_SIGNAL_WITH_NAMES("BlockJob", "sii", SD_BUS_PARAM(disk) SD_BUS_PARAM(type) SD_BUS_PARAM(status), 0),
        SD_BUS_SIGNAL_WITH_NAMES("BlockThreshold", "sstt",
                                 SD_BUS_PARAM(device) SD_BUS_PARAM(devPath) SD_BUS_PARAM(threshold)
                                         SD_BUS_PARAM(excess),
                                 0),
        SD_BUS_VTABLE_END,
};
