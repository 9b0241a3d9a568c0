/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AttachDevice, DetachDevice, DetachDeviceAlias, UpdateDevice and the device signals of
 * org.libvirt.Domain. The core reads the arguments, resolves the AFFECT
 * flags as libvirt does and runs the driver's hook as the domain's modify
 * job; what plugging means is the driver's (qemud/qemu-hotplug.c). */
#include "bus-util.h"
#include "domain-dbus.h"
#include "domain-device.h"
#include "domain-driver.h"
#include "error.h"
#include "log.h"

typedef int (*DeviceHook)(Domain *d, const char *xml, unsigned flags, sd_bus_error *error);

static int resolve_flags(Domain *d, uint32_t flags, unsigned *ret, sd_bus_error *error) {
        bool live, config;
        int r = domain_affect(d, flags, &live, &config, error);

        if (r < 0)
                return r;
        *ret = (live ? DOMAIN_AFFECT_LIVE : 0) | (config ? DOMAIN_AFFECT_CONFIG : 0);
        return 0;
}

static const DomainDeviceOps *ops_of(Domain *d) {
        return d->manager->driver->devices;
}

static int run(sd_bus_message *msg, Domain *d, sd_bus_message_handler_t self, DeviceHook hook,
               sd_bus_error *error) {
        const char *xml;
        uint32_t flags;
        unsigned affect = 0;
        int r;

        r = sd_bus_message_read(msg, "s", &xml);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG, &flags, error);
        if (r < 0)
                return r;
        if (!hook)
                return domain_not_supported(d, sd_bus_message_get_member(msg), error);
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, self, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* resolved under the job: the domain may have started or stopped
         * while the call waited */
        r = resolve_flags(d, flags, &affect, error);
        if (r >= 0)
                r = hook(d, xml, affect, error);
        if (r > 0)
                return 1;
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

static int method_attach_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const DomainDeviceOps *ops = ops_of(userdata);
        return run(msg, userdata, method_attach_device, ops ? ops->attach : NULL, error);
}

static int method_detach_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const DomainDeviceOps *ops = ops_of(userdata);
        return run(msg, userdata, method_detach_device, ops ? ops->detach : NULL, error);
}

static int method_update_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const DomainDeviceOps *ops = ops_of(userdata);
        return run(msg, userdata, method_update_device, ops ? ops->update : NULL, error);
}

/* DetachDeviceAlias: the device with that alias in the definition the
 * call changes (the live one when LIVE), detached as DetachDevice would
 * detach its XML. */
static int method_detach_device_alias(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const DomainDeviceOps *ops = ops_of(userdata);
        Domain *d = userdata;
        _cleanup_free_ char *xml = NULL;
        const char *alias;
        uint32_t flags;
        unsigned affect = 0;
        int r;

        r = sd_bus_message_read(msg, "s", &alias);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG, &flags, error);
        if (r < 0)
                return r;
        if (!ops || !ops->detach)
                return domain_not_supported(d, sd_bus_message_get_member(msg), error);
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_detach_device_alias, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = resolve_flags(d, flags, &affect, error);
        if (r >= 0) {
                bool live = affect & DOMAIN_AFFECT_LIVE;

                r = domain_device_xml_by_alias(live ? d->live : *domain_persistent_def(d), alias,
                                               live ? 0 : DOMAIN_FORMAT_INACTIVE, &xml);
                if (r == -ENOENT)
                        r = vb_error_setf(error, VB_ERROR_INTERNAL, "internal error: no device found with alias %s",
                                          alias);
        }
        if (r >= 0)
                r = ops->detach(d, xml, affect, error);
        if (r > 0)
                return 1;
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

static void emit(Domain *d, const char *member, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_signal(d->manager->bus, &m, d->path, "org.libvirt.Domain", member);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_send(d->manager->bus, m, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot emit %s for %s: %m", member, d->def->name);
}

void domain_emit_device_added(Domain *d, const char *device) {
        emit(d, "DeviceAdded", "s", device);
}

void domain_emit_device_removed(Domain *d, const char *device) {
        emit(d, "DeviceRemoved", "s", device);
}

void domain_emit_device_removal_failed(Domain *d, const char *device) {
        emit(d, "DeviceRemovalFailed", "s", device);
}

void domain_emit_tray_change(Domain *d, const char *device, int reason) {
        emit(d, "TrayChange", "si", device, reason);
}

void domain_emit_disk_change(Domain *d, const char *old_src, const char *new_src, const char *device, int reason) {
        emit(d, "DiskChange", "sssi", old_src ?: "", new_src ?: "", device, reason);
}

const sd_bus_vtable domain_device_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("AttachDevice", "su", SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), NULL,,
                                 method_attach_device, 0),
        SD_BUS_METHOD_WITH_NAMES("DetachDevice", "su", SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), NULL,,
                                 method_detach_device, 0),
        SD_BUS_METHOD_WITH_NAMES("DetachDeviceAlias", "su", SD_BUS_PARAM(alias) SD_BUS_PARAM(flags), NULL,,
                                 method_detach_device_alias, 0),
        SD_BUS_METHOD_WITH_NAMES("UpdateDevice", "su", SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), NULL,,
                                 method_update_device, 0),
        SD_BUS_SIGNAL_WITH_NAMES("DeviceAdded", "s", SD_BUS_PARAM(device), 0),
        SD_BUS_SIGNAL_WITH_NAMES("DeviceRemoved", "s", SD_BUS_PARAM(device), 0),
        SD_BUS_SIGNAL_WITH_NAMES("DeviceRemovalFailed", "s", SD_BUS_PARAM(device), 0),
        SD_BUS_SIGNAL_WITH_NAMES("TrayChange", "si", SD_BUS_PARAM(device) SD_BUS_PARAM(reason), 0),
        SD_BUS_SIGNAL_WITH_NAMES("DiskChange", "sssi",
                                 SD_BUS_PARAM(oldSrcPath) SD_BUS_PARAM(newSrcPath) SD_BUS_PARAM(device)
                                 SD_BUS_PARAM(reason), 0),
        SD_BUS_VTABLE_END,
};
