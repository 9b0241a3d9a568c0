/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DetachDevice: device_del, the guest's DEVICE_DELETED (or libvirt's
 * wait and asynchronous removal), then the backends (a memory device's
 * memory-backend object-del), lease and port. Each unplug under way is in
 * the live state until its backends are gone (qemu-hotplug-pending.c). */
#include <errno.h>
#include <stdarg.h>

#include "domain-device.h"
#include "domain-manager.h"
#include "domain-status.h"
#include "error.h"
#include "lockd-client.h"
#include "networkd-client.h"
#include "storaged-client.h"
#include "log.h"
#include "qemu-address.h"
#include "qemu-command-internal.h"
#include "qemu-command.h"
#include "qemu-device.h"
#include "qemu-domain.h"
#include "qemu-driver.h"
#include "qemu-hotplug-internal.h"
#include "qemu-memory-dir.h"
#include "qemu-hotplug-chr.h"
#include "qemu-confine.h"
#include "qemu-security.h"
#include "qemu-tune.h"
#include "qemu-interface.h"
#include "qemu-lease.h"
#include "qemu-passt.h"
#include "qemu-pr-helper.h"
#include "qemu-monitor.h"
#include "qemu-net-direct.h"
#include "qemu-validate.h"
#include "util.h"

/* libvirt waits this long for the guest to let a device go. */
#define UNPLUG_WAIT_USEC (5ULL * 1000000ULL)

/* ---- detach ---- */

static Unplug *unplugs;

static Unplug *unplug_free(Unplug *u) {
        domain_handle_unref(u->handle);
        free(u->alias);
        free(u->kind);
        json_object_put(u->backends);
        free(u->lease_path);
        free(u->pool);
        free(u->volume);
        domain_job_unref(u->job);
        domain_def_free(u->config);
        sd_event_source_disable_unref(u->timer);
        return mfree(u);
}

/* Of a domain gone, or of a QEMU that is no longer the one running. */
static bool unplug_stale(const Unplug *u) {
        const Domain *d = u->handle->owner;

        return !d || d->pid <= 0 || u->pid != d->pid;
}

void hotplug_unplug_remove(Unplug *u) {
        Domain *d = unplug_stale(u) ? NULL : u->handle->owner;
        bool listed = false;

        for (Unplug **i = &unplugs; *i; i = &(*i)->next)
                if (*i == u) {
                        *i = u->next;
                        listed = true;
                        break;
                }
        unplug_free(u);
        if (d && listed)
                (void) domain_status_save(d); /* the live state names it no more */
}

/* The unplug of alias in d waiting for the guest; stale ones go away. */
Unplug *hotplug_unplug_find(Domain *d, const char *alias) {
        Unplug *found = NULL;

        for (Unplug *u = unplugs, *next; u; u = next) {
                next = u->next;
                if (unplug_stale(u))
                        hotplug_unplug_remove(u);
                else if (u->handle->owner == d && !u->deleted && streq(u->alias, alias))
                        found = u;
        }
        return found;
}

Unplug *hotplug_unplug_next(Domain *d, Unplug *after) {
        for (Unplug *u = after ? after->next : unplugs; u; u = u->next)
                if (u->handle->owner == d && !unplug_stale(u))
                        return u;
        return NULL;
}

void hotplug_unplug_add(Unplug *u) {
        u->next = unplugs;
        unplugs = u;
}

Unplug *hotplug_unplug_new(Domain *d, const DevRef *ref, const char *alias, const char *kind, json_object *backends) {
        Unplug *u = calloc(1, sizeof(*u));

        if (!u) {
                json_object_put(backends);
                return NULL;
        }
        u->backends = backends;
        u->handle = domain_handle_get(&d->handle, d);
        u->alias = strdup(alias);
        u->kind = strdup(kind);
        u->pid = d->pid;
        if (!u->handle || !u->alias || !u->kind)
                return unplug_free(u);
        if (ref)
                hotplug_unplug_fill(u, d->live, ref);
        return u;
}

void hotplug_unplug_fill(Unplug *u, const DomainDef *live, const DevRef *ref) {
        if (ref->family == QEMU_DEVICE_DISK && hotplug_disk_needs_lease(&live->disks[ref->index]))
                u->lease_path = strdup(live->disks[ref->index].src);
        if (ref->family == QEMU_DEVICE_DISK && live->disks[ref->index].type == DOMAIN_DISK_TYPE_VOLUME &&
            live->disks[ref->index].src_pool) {
                u->pool = strdup(live->disks[ref->index].src_pool);
                u->volume = strdup(live->disks[ref->index].src_volume);
        }
        if (ref->family == QEMU_DEVICE_NET && qemu_interface_uses_port(&live->nets[ref->index])) {
                u->port = true;
                memcpy(u->mac, live->nets[ref->index].mac, 6);
        }
}

/* The call still waits: answer it (and save the persistent definition). */
void hotplug_unplug_answer(Unplug *u, Domain *d, const char *error_name, const char *message) {
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!u->job || !u->job->owner || d->jobs->active != u->job) {
                u->job = domain_job_unref(u->job);
                return;
        }
        if (!error_name && u->config) {
                if (hotplug_save_config(d, u->config, &e) < 0)
                        error_name = e.name, message = e.message;
                else
                        u->config = NULL;
        }
        if (error_name)
                domain_job_fail(d->jobs, error_name, message);
        else
                domain_job_succeed(d->jobs);
        sd_bus_error_free(&e);
        u->job = domain_job_unref(u->job);
}

static int on_unplug_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Unplug *u = userdata;
        Domain *d = u->handle->owner;

        u->timer = sd_event_source_disable_unref(u->timer);
        if (d) {
                log_info("Domain %s: the guest has not released %s yet; its removal stays pending.", d->def->name,
                         u->alias);
                hotplug_unplug_answer(u, d, NULL, NULL);
        }
        return 0;
}

/* <memory> counts the memory devices (as at attach): a dimm gone takes
 * its size with it. */
static void memory_removed(DomainDef *def, const char *kind, size_t index) {
        uint64_t size;

        if (!streq(kind, "memory"))
                return;
        size = def->mems[index].size_kib;
        def->memory_kib -= MIN(size, def->memory_kib);
        def->current_memory_kib -= MIN(size, def->current_memory_kib);
}

static void backends_gone(Unplug *u, Domain *d) {
        if (u->end_pr)  /* as libvirt, once the last managed disk and pr-helper0 are gone */
                qemu_pr_helper_end(d);
        if (streq_ptr(u->kind, "memory"))     /* its RAM file, once its backend is gone */
                qemu_memory_dir_unplug(d, u->alias);
        if (streq_ptr(u->kind, "interface"))  /* a passt's, once netdev_del let go of it */
                qemu_passt_stop_alias(d, u->alias);
        hotplug_unplug_answer(u, d, NULL, NULL);
}

static void on_backends_gone(QemuMonitor *mon, json_object *result, const char *error_class,
                             const char *error_desc, void *userdata) {
        Unplug *u = userdata;
        Domain *d = u->handle->owner;

        if (d)
                backends_gone(u, d);
        hotplug_unplug_remove(u);
}

/* The call is answered once QEMU answered the last backend command (it
 * answers in order): the caller, or a qemud killed right after, then finds
 * no node or object of the device left. u stays in the list (and the live
 * state) until then: a qemud killed before sends them again. */
void hotplug_unplug_send_backends(Unplug *u, Domain *d) {
        QemuMonitor *mon = qemu_domain(d)->mon;
        size_t n = u->backends ? json_object_array_length(u->backends) : 0;

        for (size_t i = 0; mon && i < n; i++) {
                json_object *c = json_object_array_get_idx(u->backends, i), *exe, *args = NULL;
                bool last = i == n - 1;

                json_object_object_get_ex(c, "execute", &exe);
                if (json_object_object_get_ex(c, "arguments", &args))
                        json_object_get(args);
                if (qemu_monitor_command(mon, json_object_get_string(exe), args, last ? on_backends_gone : NULL,
                                         last ? u : NULL) >= 0 && last)
                        return;
        }
        backends_gone(u, d);
        hotplug_unplug_remove(u);
}

/* DEVICE_DELETED: the device is gone from the guest. */
void hotplug_unplug_finish(Unplug *u, Domain *d) {
        DevRef r = { .kind = u->kind };
        bool last_pr = false;

        if (hotplug_family_of(u->kind, &r.family) >= 0)
                for (r.index = 0; r.index < qemu_device_family_count(d->live, r.family); r.index++)
                        if (streq_ptr(hotplug_dev_alias(d->live, &r), u->alias)) {
                                /* the guest let go: its files go back */
                                if (r.family == QEMU_DEVICE_DISK) {
                                        char msg[256];

                                        qemu_security_restore_disk(d, &d->live->disks[r.index]);
                                        (void) qemu_confine_disk(d, &d->live->disks[r.index], false, msg,
                                                                 sizeof(msg));
                                }
                                hotplug_fs_removed(d, &r);
                                /* a macvtap goes with its NIC (QEMU's fd stays harmless until netdev_del) */
                                if (r.family == QEMU_DEVICE_NET)
                                        qemu_net_direct_delete(d->manager->rundir, d->def->name,
                                                               &d->live->nets[r.index]);
                                hotplug_hostdev_removed(d, &r);
                                last_pr = hotplug_pr_last(d->live, &r);
                                memory_removed(d->live, u->kind, r.index);
                                (void) domain_def_remove_device(d->live, u->kind, r.index);
                                break;
                        }
        u->end_pr = last_pr;
        u->deleted = true;
        hotplug_release_lease(d, u->lease_path);
        if (u->port)
                (void) qemu_interface_release_port(d, u->mac);
        if (u->pool && u->volume)
                (void) storaged_set_in_use_async(d->manager->bus, u->pool, u->volume, d->uuid_str, false, NULL,
                                                 NULL, NULL);
        (void) domain_status_save(d);
        domain_emit_device_removed(d, u->alias);
        hotplug_unplug_send_backends(u, d);
}

static void on_device_del(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        Unplug *u = userdata;
        Domain *d = u->handle->owner;

        if (!d) {
                hotplug_unplug_remove(u);
                return;
        }
        if (error_class) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "cannot detach %s: QEMU said: %s", u->alias, error_desc ?: error_class) < 0)
                        msg = NULL;
                hotplug_unplug_answer(u, d, VB_ERROR_OPERATION_FAILED, msg ?: "cannot detach the device");
                hotplug_unplug_remove(u);
                return;
        }
        (void) sd_event_add_time_relative(d->manager->event, &u->timer, CLOCK_MONOTONIC, UNPLUG_WAIT_USEC, 0,
                                          on_unplug_timeout, u);
}

/* The guest's only disk (cdroms aside), and it holds a lease. */
static bool is_only_leased_disk(const DomainDef *live, size_t index) {
        size_t n = 0;

        for (size_t i = 0; i < live->n_disks; i++)
                n += live->disks[i].device == DOMAIN_DISK_DEVICE_DISK;
        return n == 1 && hotplug_disk_needs_lease(&live->disks[index]);
}

static int detach_live(Domain *d, const DomainDef *holder, const char *kind, DomainDef *config,
                       sd_bus_error *error) {
        const QemuCaps *caps = qemu_driver_data(d->manager)->caps;
        QemuMonitor *mon = qemu_domain(d)->mon;
        _cleanup_(qemu_json_putp) json_object *backends = NULL;
        QemuDeviceProps props = {};
        ConfError e = {};
        json_object *args;
        const char *alias;
        char what[128];
        Unplug *u;
        DevRef ref;
        int r;

        if (!mon || !caps)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain is not running");
        if (hotplug_find_device(d->live, holder, kind, &ref) < 0)
                return hotplug_no_such_device(holder, kind, "live", error);
        hotplug_dev_what(d->live, &ref, what, sizeof(what));
        alias = hotplug_dev_alias(d->live, &ref);
        if (!alias)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "operation failed: %s has no alias", what);
        if (hotplug_unplug_find(d, alias))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "operation invalid: the removal of %s is already in progress", what);
        /* a floppy drive sits on the FDC's bus, which QEMU cannot unplug from */
        if (ref.family == QEMU_DEVICE_DISK && d->live->disks[ref.index].bus == DOMAIN_DISK_BUS_FDC)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: disk device type 'floppy' cannot be detached "
                                     "(%s): eject its medium with UpdateDevice", what);
        if (ref.family == QEMU_DEVICE_DISK && is_only_leased_disk(d->live, ref.index))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "operation invalid: cannot detach %s: it is the only disk of running domain "
                                     "'%s' and holds its lease", what, d->def->name);
        if (ref.family == QEMU_DEVICE_CONTROLLER)
                for (size_t i = 0; i < d->live->n_disks; i++)
                        if (d->live->controllers[ref.index].type == DOMAIN_CONTROLLER_SCSI &&
                            d->live->disks[i].bus == DOMAIN_DISK_BUS_SCSI &&
                            d->live->disks[i].addr.controller == d->live->controllers[ref.index].index)
                                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                                     "operation invalid: %s is in use by disk '%s'", what,
                                                     d->live->disks[i].dst);
        r = hotplug_device_props(d, d->live, &ref, false, &props, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot build the device", error);
        if (ref.family == QEMU_DEVICE_RNG)
                hotplug_name_rng_device(&props, alias);
        r = qemu_hotplug_unplug_backends(props.objects, props.blockdevs, &backends);
        qemu_device_props_done(&props);
        if (r < 0)
                return r;
        if (ref.family == QEMU_DEVICE_CHR) {
                r = hotplug_chr_unplug(&d->live->chrs[ref.index], alias, backends);
        } else if (ref.family == QEMU_DEVICE_RNG && d->live->rngs[ref.index].backend_chr) {
                r = hotplug_chr_unplug(d->live->rngs[ref.index].backend_chr, alias, backends);
        } else if (ref.family == QEMU_DEVICE_DISK && d->live->disks[ref.index].vhostuser) {
                r = hotplug_disk_vhostuser_unplug(alias, backends);
        } else if (ref.family == QEMU_DEVICE_NET) {
                char id[256];
                snprintf(id, sizeof(id), "host%s", alias);
                args = json_object_new_object();
                json_object_object_add(args, "id", json_object_new_string(id));
                r = hotplug_push_cmd(backends, "netdev_del", args);
        }
        if (r >= 0)
                r = hotplug_fs_detach_prepare(d->live, &ref, backends, error);
        if (r >= 0)
                r = hotplug_pr_detach_prepare(d->live, &ref, backends);
        if (r < 0)
                return r;

        u = hotplug_unplug_new(d, &ref, alias, kind, TAKE_PTR(backends));
        if (!u)
                return -ENOMEM;
        u->job = domain_job_ref(d->jobs->active);
        u->config = config;
        args = json_object_new_object();
        json_object_object_add(args, "id", json_object_new_string(alias));
        if (hotplug_chr_is_guestfwd(d->live, ref.family, ref.index)) /* no device: its netdev */
                r = qemu_monitor_command(mon, "netdev_del", args, hotplug_chr_netdev_deleted, u);
        else
                r = qemu_monitor_command(mon, "device_del", args, on_device_del, u);
        if (r < 0) {
                u->config = NULL;
                unplug_free(u);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot detach %s: %s", what, strerror(-r));
        }
        hotplug_unplug_add(u);
        (void) domain_status_save(d); /* a qemud killed from here finishes it after a restart */
        return 1;
}

int hotplug_detach(Domain *d, const char *xml, unsigned flags, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *holder = NULL, *config = NULL;
        const char *kind;
        QemuDeviceFamily f;
        DevRef ref;
        int r = qemu_lease_device_op(d, xml, flags, false, error);

        if (r != -ENOTTY)
                return r;
        r = hotplug_parse_device(xml, "detached", &holder, &kind, &f, error);
        if (r < 0)
                return r;
        if (flags & DOMAIN_AFFECT_CONFIG) {
                if (hotplug_find_device(hotplug_config_def(d), holder, kind, &ref) < 0)
                        return hotplug_no_such_device(holder, kind, "persistent", error);
                r = domain_def_copy(hotplug_config_def(d), &config);
                if (r < 0)
                        return r;
                memory_removed(config, kind, ref.index);
                r = domain_def_remove_device(config, kind, ref.index);
                if (r < 0)
                        return r;
        }
        if (flags & DOMAIN_AFFECT_LIVE) {
                r = detach_live(d, holder, kind, config, error);
                if (r > 0)
                        TAKE_PTR(config);
                return r;
        }
        r = hotplug_save_config(d, config, error);
        if (r >= 0)
                TAKE_PTR(config);
        return r;
}

