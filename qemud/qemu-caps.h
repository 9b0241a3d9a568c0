/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a QEMU binary supports, probed once through QMP and cached on disk,
 * keyed by the binary itself (path, size, mtime) - never by the host CPU. */

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
        char **device_types;    /* NULL-terminated, from qom-list-types implements=device */
} QemuCaps;

QemuCaps *qemu_caps_free(QemuCaps *caps);
DEFINE_TRIVIAL_CLEANUP_FUNC(QemuCaps *, qemu_caps_free);

/* Resolves "q35" to "pc-q35-7.2"; NULL machine gives the default. NULL if unknown. */
const char *qemu_caps_canonical_machine(const QemuCaps *caps, const char *machine);
bool qemu_caps_has_device(const QemuCaps *caps, const char *type);
bool qemu_caps_has_cpu_model(const QemuCaps *caps, const char *model);

/* JSON cache form. */
int qemu_caps_to_json(const QemuCaps *caps, char **ret);
int qemu_caps_from_json(const char *json, QemuCaps **ret);

/* Loads <cachedir>/<hash of path>.json when it still matches the binary's
 * size and mtime. Returns 0 and *ret, -ENOENT/-ESTALE when it must be probed. */
int qemu_caps_load_cache(const char *cachedir, const char *binary, QemuCaps **ret);
int qemu_caps_save_cache(const char *cachedir, const QemuCaps *caps);

/* Asynchronous probe: starts the binary with -machine none and a QMP socket
 * in rundir, asks query-version, query-machines, query-cpu-definitions,
 * query-kvm (a second short run with accel=kvm when /dev/kvm opens) and
 * qom-list-types; calls done() on the event loop when finished. */
typedef void (*qemu_caps_done_t)(int r, QemuCaps *caps /* owned by callee */, void *userdata);
int qemu_caps_probe_async(sd_event *event, const char *binary, const char *rundir,
                          qemu_caps_done_t done, void *userdata);

/* Cache lookup first, then probe; done() is called exactly once (maybe
 * before this returns, when the cache hit). */
int qemu_caps_get_async(sd_event *event, const char *binary, const char *cachedir,
                        const char *rundir, qemu_caps_done_t done, void *userdata);
