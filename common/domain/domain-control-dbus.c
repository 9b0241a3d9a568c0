/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: the guest's other controls (keys, NMI, wake-up,
 * rename, metadata, control info, disk errors, peeks, graphics fds) and the
 * signals of the events behind them. What needs the hypervisor goes to the
 * driver's DomainControlOps (domain-control.h). */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "bus-util.h"
#include "domain-control.h"
#include "domain-dbus.h"
#include "domain-manager.h"
#include "domain-save.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "util.h"

static const DomainControlOps *ops_of(const Domain *d) {
        return d->manager->driver->control;
}

static int require_active(Domain *d, sd_bus_error *error) {
        if (!domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        return 0;
}

/* What libvirt answers where its QEMU driver has no such function. */
static int no_driver_function(const char *api, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "this function is not supported by the connection driver: %s",
                             api);
}

/* Begins d's modify job for msg: 1 ours, 0 msg waits (self runs again), <0 error. */
static int begin_modify(Domain *d, sd_bus_message *msg, sd_bus_message_handler_t self, sd_bus_error *error) {
        return domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, self, d, error);
}

/* Ends the job for a hook's return r (domain-control.h) and answers msg. */
static int end_modify(Domain *d, sd_bus_message *msg, int r) {
        if (r > 0)
                return 1;
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

/* ---- keys, NMI, wake-up ---- */

static int method_send_key(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t codeset, holdtime, flags;
        const void *keys;
        size_t size;
        int r;

        r = sd_bus_message_read(msg, "uu", &codeset, &holdtime);
        if (r >= 0)
                r = sd_bus_message_read_array(msg, 'u', &keys, &size);
        if (r >= 0)
                r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        if (size == 0 || size / sizeof(uint32_t) > DOMAIN_SEND_KEY_MAX_KEYS)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "nkeycodes in virDomainSendKey must be between 1 and %d, not %zu",
                                     DOMAIN_SEND_KEY_MAX_KEYS, size / sizeof(uint32_t));
        if (!ops_of(d) || !ops_of(d)->send_key)
                return domain_not_supported(d, "SendKey", error);
        r = begin_modify(d, msg, method_send_key, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return end_modify(d, msg, ops_of(d)->send_key(d, codeset, holdtime, keys, size / sizeof(uint32_t), error));
}

static int method_inject_nmi(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return domain_run_job(msg, d, DOMAIN_JOB_MODIFY, method_inject_nmi,
                              ops_of(d) ? ops_of(d)->inject_nmi : NULL, error);
}

static int method_pm_wakeup(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return domain_run_job(msg, d, DOMAIN_JOB_MODIFY, method_pm_wakeup,
                              ops_of(d) ? ops_of(d)->pm_wakeup : NULL, error);
}

static int method_send_process_signal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        int64_t pid;
        uint32_t signum, flags;
        int r = sd_bus_message_read(msg, "xuu", &pid, &signum, &flags);

        if (r < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->send_process_signal)
                return no_driver_function("virDomainSendProcessSignal", error);
        if (pid == 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "pid_value in virDomainSendProcessSignal must not be 0");
        r = begin_modify(d, msg, method_send_process_signal, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return end_modify(d, msg, ops_of(d)->send_process_signal(d, pid, signum, error));
}

static int method_create_with_files(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;

        if (!ops_of(d) || !ops_of(d)->create_with_files)
                return no_driver_function("virDomainCreateWithFiles", error);
        return domain_not_supported(d, "CreateWithFiles", error); /* no driver offers it yet */
}

/* ---- rename ---- */

static char *config_file(const char *dir, const char *name) {
        char *p;
        return asprintf(&p, "%s/%s.xml", dir, name) < 0 ? NULL : p;
}

static int check_new_name(Domain *d, const char *name, sd_bus_error *error) {
        Domain *other;

        if (!*name)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "the new name of domain '%s' is empty", d->def->name);
        if (strchr(name, '/') || strpbrk(name, "\r\n") || strlen(name) > OBJECT_NAME_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "invalid domain name '%s': no '/', no line break, at most %d bytes", name,
                                     OBJECT_NAME_MAX);
        if (domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "cannot rename active domain '%s'",
                                     d->def->name);
        if (!d->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "cannot rename transient domain '%s'",
                                     d->def->name);
        if (streq(name, d->def->name))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "cannot rename domain '%s' to itself", name);
        /* the image is found by the domain's name */
        if (domain_has_managed_save(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot rename domain '%s' with a managed saved state", d->def->name);
        other = manager_find_by_name(d->manager, name);
        if (other)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain with name '%s' already exists", name);
        return 0;
}

/* The definition is written under the new name first: until then nothing
 * changed, after it the old file, link and name go. */
static int rename_domain(Domain *d, const char *name, sd_bus_error *error) {
        Manager *m = d->manager;
        _cleanup_free_ char *old = d->def->name, *new_name = strdup(name);
        _cleanup_free_ char *old_file = config_file(m->confdir, old), *old_link = config_file(m->autostartdir, old);
        int r;

        if (!new_name || !old_file || !old_link) {
                TAKE_PTR(old);
                return -ENOMEM;
        }
        d->def->name = TAKE_PTR(new_name);
        r = domain_save_config(d);
        if (r >= 0 && d->autostart)
                r = domain_set_autostart(d, true);
        if (r < 0) {
                _cleanup_free_ char *new_file = config_file(m->confdir, d->def->name);
                if (new_file)
                        (void) unlink_if_exists(new_file);
                free(d->def->name);
                d->def->name = TAKE_PTR(old);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot rename domain '%s' to '%s': %s",
                                     d->def->name, name, strerror(-r));
        }
        (void) unlink_if_exists(old_link);
        r = unlink_if_exists(old_file);
        if (r < 0)
                log_warning_errno(r, "Cannot remove %s after the rename to %s: %m", old_file, d->def->name);
        log_info("Domain %s renamed to %s.", old, d->def->name);
        domain_emit_event(d, DOMAIN_EVENT_UNDEFINED, 1 /* RENAMED */);
        domain_emit_event(d, DOMAIN_EVENT_DEFINED, 2 /* RENAMED */);
        return 0;
}

static int method_rename(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const char *name;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "su", &name, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, 0, error)) < 0 || (r = check_new_name(d, name, error)) < 0)
                return r;
        r = begin_modify(d, msg, method_rename, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* checked again: the domain may have changed while we waited */
        r = check_new_name(d, name, error);
        if (r >= 0)
                r = rename_domain(d, name, error);
        return end_modify(d, msg, r);
}

/* ---- metadata ---- */

static int method_get_metadata(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        _cleanup_free_ char *value = NULL;
        const DomainDef *def;
        const char *uri;
        int32_t type;
        uint32_t flags;
        bool live;
        int r = sd_bus_message_read(msg, "isu", &type, &uri, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG, error)) < 0 ||
            (r = domain_affect_one(d, flags, &live, error)) < 0)
                return r;
        if (type < 0 || type >= _DOMAIN_METADATA_TYPE_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unknown metadata type '%d'", type);
        if (type == DOMAIN_METADATA_ELEMENT && !*uri)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "a metadata element is asked for by its namespace URI");
        def = live && d->live ? d->live : *domain_persistent_def(d);
        r = domain_metadata_get(def, type, uri, &value);
        if (r == -ENOENT)
                return vb_error_setf(error, VB_ERROR_NO_DOMAIN_METADATA,
                                     "metadata not found: Requested metadata element is not present");
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", value);
}

/* Sets the metadata on a copy of def, which replaces it only when all went well. */
static int set_on_copy(const DomainDef *def, int32_t type, const char *value, const char *key, const char *uri,
                       DomainDef **ret, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *copy = NULL;
        ConfError err = {};
        int r = domain_def_copy(def, &copy);

        if (r < 0)
                return r;
        r = domain_metadata_set(copy, type, value, key, uri, &err);
        if (r < 0)
                return sd_bus_error_set(error, err.name ?: VB_ERROR_INVALID_ARG, err.message);
        *ret = TAKE_PTR(copy);
        return 0;
}

static int set_metadata(Domain *d, int32_t type, const char *value, const char *key, const char *uri,
                        bool live, bool config, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *new_live = NULL, *new_conf = NULL;
        int r;

        if (live && d->live && (r = set_on_copy(d->live, type, value, key, uri, &new_live, error)) < 0)
                return r;
        if (config && (r = set_on_copy(*domain_persistent_def(d), type, value, key, uri, &new_conf, error)) < 0)
                return r;
        if (new_conf) {
                r = domain_config_commit(d, new_conf, error);
                if (r < 0)
                        return r;
                TAKE_PTR(new_conf);
        }
        if (new_live) {
                domain_def_free(d->live);
                d->live = TAKE_PTR(new_live);
                (void) domain_status_save(d);
        }
        domain_emit_signal(d, "MetadataChange", "is", type, type == DOMAIN_METADATA_ELEMENT ? uri : "");
        return 0;
}

static int method_set_metadata(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const char *value, *key, *uri;
        int32_t type;
        uint32_t flags;
        bool live, config;
        int r = sd_bus_message_read(msg, "isssu", &type, &value, &key, &uri, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG, error)) < 0 ||
            (r = domain_affect(d, flags, &live, &config, error)) < 0)
                return r;
        if (type < 0 || type >= _DOMAIN_METADATA_TYPE_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unknown metadata type '%d'", type);
        r = begin_modify(d, msg, method_set_metadata, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* again: the domain may have stopped while the call waited */
        r = domain_affect(d, flags, &live, &config, error);
        if (r >= 0)
                r = set_metadata(d, type, value, key, uri, live, config, error);
        return end_modify(d, msg, r);
}

/* ---- control info, disk errors ---- */

static int method_get_control_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t flags, state = DOMAIN_CONTROL_OK;
        uint64_t since_ms = 0;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        if ((r = require_active(d, error)) < 0)
                return r;
        /* A job holds the domain: how long it has been at it. */
        if (d->jobs->active) {
                uint64_t now = now_usec(CLOCK_MONOTONIC), started = d->jobs->active->progress.started_usec;
                state = DOMAIN_CONTROL_JOB;
                since_ms = now > started ? (now - started) / 1000 : 0;
        }
        return sd_bus_reply_method_return(msg, "(uut)", state, (uint32_t) 0, since_ms);
}

static int method_get_disk_errors(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->disk_errors)
                return domain_not_supported(d, "GetDiskErrors", error);
        if ((r = require_active(d, error)) < 0)
                return r;
        return domain_reply_done(msg, ops_of(d)->disk_errors(d, msg, error));
}

/* ---- peeks ---- */

static const DomainDiskDef *disk_by_name_or_path(const DomainDef *def, const char *name) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (streq_ptr(def->disks[i].dst, name))
                        return &def->disks[i];
        for (size_t i = 0; i < def->n_disks; i++)
                if (streq_ptr(def->disks[i].src, name))
                        return &def->disks[i];
        return NULL;
}

static int reply_bytes(sd_bus_message *msg, const void *buf, size_t size) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);

        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', buf, size);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int read_at(const char *path, uint64_t offset, size_t size, void *buf, size_t *ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        size_t done = 0;

        if (fd < 0)
                return -errno;
        while (done < size) {
                ssize_t n = pread(fd, (char *) buf + done, size - done, (off_t) (offset + done));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                done += (size_t) n;
        }
        *ret = done;
        return 0;
}

static int method_block_peek(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        _cleanup_free_ void *buf = NULL;
        const DomainDiskDef *disk;
        const char *name;
        uint64_t offset, size;
        uint32_t flags;
        size_t got = 0;
        int r = sd_bus_message_read(msg, "sttu", &name, &offset, &size, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        disk = disk_by_name_or_path(domain_current_def(d, false), name);
        if (!disk)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid disk or path '%s'", name);
        if (!disk->src || !*disk->src)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "disk '%s' does not have a source", disk->dst);
        if (size > DOMAIN_PEEK_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "size %" PRIu64 " is too large: at most %d bytes at once",
                                     size, DOMAIN_PEEK_MAX);
        if (offset > UINT64_MAX - size)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "offset %" PRIu64 " and size %" PRIu64 " overflow",
                                     offset, size);
        buf = malloc(size ? size : 1);
        if (!buf)
                return -ENOMEM;
        r = read_at(disk->src, offset, size, buf, &got);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot read disk '%s' (%s): %s", disk->dst, disk->src,
                                     strerror(-r));
        if (got < size)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "'%s' starting from %" PRIu64 " has only %zu bytes available", disk->src, offset, got);
        return reply_bytes(msg, buf, size);
}

static int method_memory_peek(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint64_t start, size;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "ttu", &start, &size, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, DOMAIN_MEMORY_VIRTUAL | DOMAIN_MEMORY_PHYSICAL, error)) < 0)
                return r;
        if (flags != DOMAIN_MEMORY_VIRTUAL && flags != DOMAIN_MEMORY_PHYSICAL)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "flags parameter must be VIR_MEMORY_VIRTUAL (1) or VIR_MEMORY_PHYSICAL (2)");
        if (size > DOMAIN_PEEK_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "size %" PRIu64 " is too large: at most %d bytes at once",
                                     size, DOMAIN_PEEK_MAX);
        if (start > UINT64_MAX - size)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "start %" PRIu64 " and size %" PRIu64 " overflow",
                                     start, size);
        if (!ops_of(d) || !ops_of(d)->memory_peek)
                return domain_not_supported(d, "MemoryPeek", error);
        if ((r = require_active(d, error)) < 0)
                return r;
        return domain_reply_done(msg, ops_of(d)->memory_peek(d, start, size, flags == DOMAIN_MEMORY_PHYSICAL, msg, error));
}

/* ---- graphics ---- */

enum { OPEN_GRAPHICS_SKIPAUTH = 1 << 0 };

static int method_open_graphics_fd(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t idx, flags;
        int r = sd_bus_message_read(msg, "uu", &idx, &flags);

        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, OPEN_GRAPHICS_SKIPAUTH, error)) < 0)
                return r;
        if ((r = require_active(d, error)) < 0)
                return r;
        if (idx >= d->live->n_graphics)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "no graphics device with index %u in domain '%s'", idx,
                                     d->def->name);
        if (!ops_of(d) || !ops_of(d)->open_graphics_fd)
                return domain_not_supported(d, "OpenGraphicsFD", error);
        return domain_reply_done(msg, ops_of(d)->open_graphics_fd(d, idx, flags & OPEN_GRAPHICS_SKIPAUTH, msg, error));
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable domain_control_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("BlockPeek", "sttu",
                                 SD_BUS_PARAM(disk) SD_BUS_PARAM(offset) SD_BUS_PARAM(size) SD_BUS_PARAM(flags), "ay",
                                 SD_BUS_PARAM(buffer), method_block_peek, 0),
        SD_BUS_METHOD_WITH_NAMES("CreateWithFiles", "ahu", SD_BUS_PARAM(files) SD_BUS_PARAM(flags), NULL, ,
                                 method_create_with_files, 0),
        SD_BUS_METHOD_WITH_NAMES("GetControlInfo", "u", SD_BUS_PARAM(flags), "(uut)", SD_BUS_PARAM(controlInfo),
                                 method_get_control_info, READ),
        SD_BUS_METHOD_WITH_NAMES("GetDiskErrors", "u", SD_BUS_PARAM(flags), "a(si)", SD_BUS_PARAM(diskErrors),
                                 method_get_disk_errors, READ),
        SD_BUS_METHOD_WITH_NAMES("GetMetadata", "isu", SD_BUS_PARAM(type) SD_BUS_PARAM(uri) SD_BUS_PARAM(flags), "s",
                                 SD_BUS_PARAM(metadata), method_get_metadata, READ),
        SD_BUS_METHOD_WITH_NAMES("InjectNMI", "u", SD_BUS_PARAM(flags), NULL, , method_inject_nmi, 0),
        SD_BUS_METHOD_WITH_NAMES("MemoryPeek", "ttu", SD_BUS_PARAM(offset) SD_BUS_PARAM(size) SD_BUS_PARAM(flags), "ay",
                                 SD_BUS_PARAM(buffer), method_memory_peek, 0),
        SD_BUS_METHOD_WITH_NAMES("OpenGraphicsFD", "uu", SD_BUS_PARAM(idx) SD_BUS_PARAM(flags), "h", SD_BUS_PARAM(fd),
                                 method_open_graphics_fd, 0),
        SD_BUS_METHOD_WITH_NAMES("PMWakeup", "u", SD_BUS_PARAM(flags), NULL, , method_pm_wakeup, 0),
        SD_BUS_METHOD_WITH_NAMES("Rename", "su", SD_BUS_PARAM(name) SD_BUS_PARAM(flags), NULL, , method_rename, 0),
        SD_BUS_METHOD_WITH_NAMES("SendKey", "uuauu",
                                 SD_BUS_PARAM(codeset) SD_BUS_PARAM(holdtime) SD_BUS_PARAM(keycodes) SD_BUS_PARAM(flags),
                                 NULL, , method_send_key, 0),
        SD_BUS_METHOD_WITH_NAMES("SendProcessSignal", "xuu",
                                 SD_BUS_PARAM(pidValue) SD_BUS_PARAM(sigNum) SD_BUS_PARAM(flags), NULL, ,
                                 method_send_process_signal, 0),
        SD_BUS_METHOD_WITH_NAMES("SetMetadata", "isssu",
                                 SD_BUS_PARAM(type) SD_BUS_PARAM(metadata) SD_BUS_PARAM(key) SD_BUS_PARAM(uri)
                                         SD_BUS_PARAM(flags),
                                 NULL, , method_set_metadata, 0),
        SD_BUS_SIGNAL("ControlError", NULL, 0),
        SD_BUS_SIGNAL_WITH_NAMES("BalloonChange", "t", SD_BUS_PARAM(actual), 0),
        SD_BUS_SIGNAL_WITH_NAMES("Graphics", "i(iss)(iss)sa(ss)",
                                 SD_BUS_PARAM(phase) SD_BUS_PARAM(local) SD_BUS_PARAM(remote) SD_BUS_PARAM(authScheme)
                                         SD_BUS_PARAM(identities), 0),
        SD_BUS_SIGNAL_WITH_NAMES("IOError", "ssis",
                                 SD_BUS_PARAM(srcPath) SD_BUS_PARAM(device) SD_BUS_PARAM(action) SD_BUS_PARAM(reason), 0),
        SD_BUS_SIGNAL_WITH_NAMES("MetadataChange", "is", SD_BUS_PARAM(type) SD_BUS_PARAM(nsuri), 0),
        SD_BUS_SIGNAL_WITH_NAMES("PMSuspend", "i", SD_BUS_PARAM(reason), 0),
        SD_BUS_SIGNAL_WITH_NAMES("PMSuspendDisk", "i", SD_BUS_PARAM(reason), 0),
        SD_BUS_SIGNAL_WITH_NAMES("PMWakeup", "i", SD_BUS_PARAM(reason), 0),
        SD_BUS_SIGNAL_WITH_NAMES("RTCChange", "x", SD_BUS_PARAM(utcoffset), 0),
        SD_BUS_SIGNAL_WITH_NAMES("Watchdog", "i", SD_BUS_PARAM(action), 0),
        SD_BUS_VTABLE_END,
};
