/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The on-disk cache of QemuCaps: one JSON file per binary, named by a hash
 * of its path, stale when the binary (path, size, mtime), the cache format
 * or the usability of /dev/kvm changed; and the lookup that asks the cache
 * first and probes (qemu-caps-probe.c) on a miss. */
#include <inttypes.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "log.h"
#include "qemu-caps.h"
#include "qemu-caps-internal.h"
#include "util.h"

#define CACHE_FILE_MAX (16U * 1024U * 1024U)

/* FNV-1a: stable across runs and builds, which is all a file name needs; the
 * path itself is stored inside and compared on load. */
char *qemu_caps_cache_path(const char *cachedir, const char *binary) {
        uint64_t h = 0xcbf29ce484222325ULL;
        char name[32];

        for (const unsigned char *p = (const unsigned char *) binary; *p; p++) {
                h ^= *p;
                h *= 0x100000001b3ULL;
        }
        snprintf(name, sizeof(name), "%016" PRIx64 ".json", h);
        return path_join(cachedir, name);
}

/* Whether QEMU could use KVM at all: when access to /dev/kvm changes (module
 * loaded, permissions fixed), the cached kvm_available is wrong. */
static bool kvm_device_usable(void) {
        return access("/dev/kvm", R_OK | W_OK) == 0;
}

int qemu_caps_load_cache(const char *cachedir, const char *binary, QemuCaps **ret) {
        _cleanup_(qemu_caps_freep) QemuCaps *caps = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        json_object *o;
        bool kvm_device = false;
        struct stat st;
        int r;

        if (!cachedir || !binary || !ret)
                return -EINVAL;
        if (stat(binary, &st) < 0)
                return -errno;

        path = qemu_caps_cache_path(cachedir, binary);
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, CACHE_FILE_MAX, &text, NULL);
        if (r < 0)
                return r == -ENOENT ? -ENOENT : -ESTALE;

        o = json_tokener_parse(text);
        if (!o) {
                log_debug("QEMU capabilities cache %s is corrupt, ignored.", path);
                return -ESTALE;
        }
        r = qemu_caps_from_json_object(o, &caps);
        if (r >= 0)
                r = caps_json_get_bool(o, "kvm_device", &kvm_device);
        json_object_put(o);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_debug_errno(r, "QEMU capabilities cache %s unusable, ignored: %m", path);
                return -ESTALE;
        }

        if (!streq(caps->binary, binary) || caps->binary_size != (uint64_t) st.st_size ||
            caps->binary_mtime != (int64_t) st.st_mtim.tv_sec || kvm_device != kvm_device_usable()) {
                log_debug("QEMU capabilities cache %s does not match %s any more.", path, binary);
                return -ESTALE;
        }

        *ret = TAKE_PTR(caps);
        return 0;
}

int qemu_caps_save_cache(const char *cachedir, const QemuCaps *caps) {
        _cleanup_free_ char *path = NULL;
        json_object *o = NULL;
        const char *text;
        int r;

        if (!cachedir || !caps || !caps->binary)
                return -EINVAL;

        r = mkdir_p(cachedir, 0755);
        if (r < 0)
                return r;
        path = qemu_caps_cache_path(cachedir, caps->binary);
        if (!path)
                return -ENOMEM;

        r = qemu_caps_to_json_object(caps, &o);
        if (r < 0)
                return r;
        r = caps_json_add(o, "kvm_device", json_object_new_boolean(kvm_device_usable()));
        if (r >= 0) {
                text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
                r = text ? write_file_atomic(path, text, strlen(text), 0644) : -ENOMEM;
        }
        json_object_put(o);
        return r;
}

/* ---- cache first, then probe ---- */

typedef struct CacheLookup {
        char *cachedir;
        qemu_caps_done_t done;
        void *userdata;
} CacheLookup;

static void on_probed(int r, QemuCaps *caps, void *userdata) {
        CacheLookup *l = userdata;

        if (r >= 0 && l->cachedir) {
                int k = qemu_caps_save_cache(l->cachedir, caps);
                if (k < 0)
                        log_warning_errno(k, "Cannot save the capabilities of %s in %s, ignored: %m",
                                          caps->binary, l->cachedir);
        }
        l->done(r, caps, l->userdata);
        free(l->cachedir);
        free(l);
}

int qemu_caps_get_async(sd_event *event, const char *binary, const char *cachedir, const char *rundir,
                        qemu_caps_done_t done, void *userdata) {
        QemuCaps *caps = NULL;
        CacheLookup *l;
        int r;

        if (!event || !binary || !done)
                return -EINVAL;

        if (cachedir) {
                r = qemu_caps_load_cache(cachedir, binary, &caps);
                if (r >= 0) {
                        log_debug("Capabilities of %s from the cache.", binary);
                        done(0, caps, userdata);
                        return 0;
                }
                if (r != -ENOENT && r != -ESTALE)
                        log_debug_errno(r, "Cannot use the capabilities cache for %s: %m", binary);
        }

        l = calloc(1, sizeof(CacheLookup));
        if (!l)
                return -ENOMEM;
        *l = (CacheLookup) { .done = done, .userdata = userdata };
        if (cachedir) {
                l->cachedir = strdup(cachedir);
                if (!l->cachedir) {
                        free(l);
                        return -ENOMEM;
                }
        }

        r = qemu_caps_probe_async(event, binary, rundir, on_probed, l);
        if (r < 0) {
                free(l->cachedir);
                free(l);
        }
        return r;
}
