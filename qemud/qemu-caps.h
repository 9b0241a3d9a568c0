/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a QEMU binary supports, probed once through QMP and cached on disk,
 * keyed by the binary itself (path, size, mtime) - never by the host CPU.
 *
 * Three files, one job each: qemu-caps.c the model (QemuCaps, its queries,
 * its JSON form), qemu-caps-cache.c the cache on disk and the lookup that
 * tries it before probing, qemu-caps-probe.c the probe (QEMU with
 * -machine none, the QMP exchange, the timeout). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "macro.h"

typedef struct QemuMachine {
        char *name;     /* "pc-q35-7.2" */
        char *alias;    /* "q35" or NULL */
        bool is_default;
        unsigned max_cpus;
        bool deprecated; /* query-machines "deprecated": libvirt taints a guest using it */
} QemuMachine;

typedef struct QemuCaps {
        char *binary;           /* absolute path */
        uint64_t binary_size;
        int64_t binary_mtime;   /* seconds */
        unsigned version;       /* major * 1000000 + minor * 1000 + micro, e.g. 7002022 */
        char *package;          /* "Debian 1:7.2+dfsg-7..." */
        char *arch;             /* "x86_64" */
        bool kvm_available;     /* query-kvm with accel=kvm reported present+enabled */
        QemuMachine *machines;
        size_t n_machines;
        char **cpu_models;      /* NULL-terminated */
        char **cpu_unusable;    /* the models QEMU cannot run on this host (its "unavailable-features") */
        bool cpu_usability_known; /* cpu_unusable was probed (an older cache has no word on it) */
        char **cpu_deprecated;  /* query-cpu-definitions' "deprecated" models (libvirt taints a guest using one) */
        char **device_types;    /* NULL-terminated, from qom-list-types implements=device */
        char **blockdev_drivers; /* blockdev-add's "driver" enum, from query-qmp-schema */
        bool blockdev_drivers_known; /* the schema was read (a QEMU without it: not known) */
} QemuCaps;

/* ---- The model (qemu-caps.c). ---- */

QemuCaps *qemu_caps_free(QemuCaps *caps);
DEFINE_TRIVIAL_CLEANUP_FUNC(QemuCaps *, qemu_caps_free);

/* Resolves "q35" to "pc-q35-7.2"; NULL machine gives the default. NULL if unknown. */
const char *qemu_caps_canonical_machine(const QemuCaps *caps, const char *machine);
bool qemu_caps_has_device(const QemuCaps *caps, const char *type);
/* A copy of caps as a definition's <qemu:capabilities> asks (qemu-caps-ns.c):
 * a <qemu:add> device type there, a <qemu:del> one gone; *ret NULL when the
 * definition has none. -ENOMEM. */
struct DomainDef;
int qemu_caps_apply_ns(const QemuCaps *caps, const struct DomainDef *def, QemuCaps **ret);
bool qemu_caps_has_cpu_model(const QemuCaps *caps, const char *model);
/* Whether blockdev-add takes this driver; true when that is not known. */
bool qemu_caps_has_blockdev_driver(const QemuCaps *caps, const char *driver);
/* Known to QEMU and runnable here with the probe's accelerator. */
bool qemu_caps_cpu_model_usable(const QemuCaps *caps, const char *model);
/* What QEMU marks deprecated: a machine (by name or alias) or a CPU model. */
bool qemu_caps_machine_deprecated(const QemuCaps *caps, const char *machine);
bool qemu_caps_cpu_model_deprecated(const QemuCaps *caps, const char *model);

/* JSON cache form. */
int qemu_caps_to_json(const QemuCaps *caps, char **ret);
int qemu_caps_from_json(const char *json, QemuCaps **ret);

/* Sorts machines, CPU models and device types by name (the probe does this,
 * so the cache file is stable). */
void qemu_caps_sort(QemuCaps *caps);

/* ---- The cache (qemu-caps-cache.c). ---- */

/* The cache file of a binary: <cachedir>/<FNV-1a hash of the path>.json. */
char *qemu_caps_cache_path(const char *cachedir, const char *binary);

/* Loads <cachedir>/<hash of path>.json when it still matches the binary's
 * path, size and mtime (and the cache format, and whether /dev/kvm is
 * usable, which decides kvm_available). Returns 0 and *ret, -ENOENT/-ESTALE
 * when it must be probed (a corrupt file is -ESTALE too). save_cache creates
 * cachedir and writes atomically. */
int qemu_caps_load_cache(const char *cachedir, const char *binary, QemuCaps **ret);
int qemu_caps_save_cache(const char *cachedir, const QemuCaps *caps);

typedef void (*qemu_caps_done_t)(int r, QemuCaps *caps /* owned by callee */, void *userdata);

/* Cache lookup first, then probe (and save what it found); done() is called
 * exactly once (maybe before this returns, when the cache hit). */
int qemu_caps_get_async(sd_event *event, const char *binary, const char *cachedir,
                        const char *rundir, qemu_caps_done_t done, void *userdata);

/* ---- The probe (qemu-caps-probe.c). ---- */

/* Asynchronous probe: starts the binary with -machine none,accel=kvm:tcg and
 * its QMP monitor on one end of a socketpair (rundir is not needed for that
 * and may be NULL), asks query-version, query-target, query-machines,
 * query-cpu-definitions, query-kvm (one run is enough: with kvm:tcg QEMU
 * reports KVM enabled only when it could use it), qom-list-types and
 * query-qmp-schema (for blockdev-add's drivers), then
 * quits and reaps it; calls done() on the event loop when finished, never
 * from inside this call. Gives up after 30 s (-ETIMEDOUT, QEMU killed). */
int qemu_caps_probe_async(sd_event *event, const char *binary, const char *rundir,
                          qemu_caps_done_t done, void *userdata);

/* Stores the reply to one probe command ("query-version", "query-machines",
 * ...) in caps: how the probe fills caps, exposed for tests on canned
 * replies. -EOPNOTSUPP for a command the probe does not send. */
struct json_object;
int qemu_caps_apply_reply(QemuCaps *caps, const char *command, struct json_object *result);
