/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A guest's AppArmor profile as text (see apparmor-profile.h). */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apparmor-profile.h"
#include "error.h"
#include "macro.h"
#include "uuid.h"

char *apparmor_profile_name(const uint8_t uuid[16], char buf[APPARMOR_PROFILE_NAME_MAX]) {
        char u[UUID_STRING_MAX];

        snprintf(buf, APPARMOR_PROFILE_NAME_MAX, APPARMOR_PROFILE_PREFIX "%s", uuid_format(uuid, u));
        return buf;
}

/* Why path cannot go into a profile, or NULL if it can. A ".." would
 * never match (the kernel matches resolved paths) and hides where the
 * file really is, so it is refused as libvirt's virt-aa-helper does. */
static const char *unsafe_reason(const char *path) {
        if (!path || path[0] != '/')
                return "it is not an absolute path";
        for (const char *p = path; *p; p++) {
                if (*p == '\n')
                        return "it contains a newline";
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return "it contains a control character";
                if (p[0] == '/' && p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == 0))
                        return "it contains a '..' component";
        }
        return NULL;
}

/* The path's characters with AppArmor's pattern characters and the
 * double quote escaped, so that a file named "a*" matches no other file
 * and a quote does not end the string; no quotes around. */
static int escape_path(FILE *f, const char *path) {
        for (const char *p = path; *p; p++) {
                if (strchr("\\*?[]{}^\"", *p))
                        fputc('\\', f);
                fputc(*p, f);
        }
        return 0;
}

int apparmor_quote_path(const char *path, char **ret, const char **why) {
        char *buf = NULL;
        size_t size = 0;
        const char *bad = unsafe_reason(path);
        FILE *f;

        if (bad) {
                if (why)
                        *why = bad;
                return -EINVAL;
        }
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputc('"', f);
        escape_path(f, path);
        fputc('"', f);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

/* The profile being written; the first unsafe path stops it. */
typedef struct Writer {
        FILE *f;
        const AppArmorRunPaths *run;
        ConfError *err;
        int r;
} Writer;

static bool refuse(Writer *w, const char *what, const char *path) {
        const char *why = unsafe_reason(path);

        if (!why)
                return false;
        if (w->r >= 0)
                conf_error_set(w->err, VB_ERROR_INVALID_ARG,
                               "invalid argument: the path '%s' of %s cannot go into an AppArmor profile: %s",
                               path ? path : "", what, why);
        w->r = -EINVAL;
        return true;
}

/* "path" perms, -- or, with a glob, "path<glob>" perms, for what lies
 * below a directory or the files a name starts. */
static void rule_glob(Writer *w, const char *what, const char *path, const char *glob, const char *perms) {
        if (!path || w->r < 0 || refuse(w, what, path))
                return;
        fputs("  \"", w->f);
        escape_path(w->f, path);
        fprintf(w->f, "%s\" %s,\n", glob ? glob : "", perms);
}

static void rule(Writer *w, const char *what, const char *path, const char *perms) {
        _cleanup_free_ char *real = NULL;

        rule_glob(w, what, path, NULL, perms);
        if (!path || w->r < 0 || !w->run->resolve)
                return;
        real = w->run->resolve(path, w->run->userdata);
        if (real && strcmp(real, path) != 0)
                rule_glob(w, what, real, NULL, perms);
}

static void rule_tree(Writer *w, const char *what, const char *dir, const char *perms) {
        size_t n = dir ? strlen(dir) : 0;
        const char *slash = n && dir[n - 1] == '/' ? "" : "/";

        /* The directory itself is listed, its contents used. */
        rule_glob(w, what, dir, slash, "r");
        rule_glob(w, what, dir, n && dir[n - 1] == '/' ? "**" : "/**", perms);
}

static void what_of(char *buf, size_t size, const char *kind, const char *name, size_t i) {
        if (name)
                snprintf(buf, size, "%s '%s'", kind, name);
        else
                snprintf(buf, size, "%s #%zu", kind, i + 1);
}

/* QEMU takes a lock on every image it opens (shared for read-only ones),
 * hence k even where it only reads. */
static void disk_rules(Writer *w, const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainDiskDef *disk = &def->disks[i];
                bool ro = disk->readonly || disk->device == DOMAIN_DISK_DEVICE_CDROM;
                char what[128];

                what_of(what, sizeof(what), "disk", disk->dst, i);
                /* An empty cdrom, or a volume not resolved yet: nothing to open. */
                rule(w, what, disk->src, ro && !disk->shareable ? "rk" : "rwk");
                for (size_t j = 0; j < disk->n_backing; j++) {
                        snprintf(what, sizeof(what), "backing layer %zu of disk '%s'", j + 1,
                                 disk->dst ? disk->dst : "?");
                        rule(w, what, disk->backing[j].path, "rk");
                }
                if (disk->mirror) {
                        snprintf(what, sizeof(what), "the block job target of disk '%s'", disk->dst ? disk->dst : "?");
                        rule(w, what, disk->mirror->path, "rwk");
                }
        }
}

static void os_rules(Writer *w, const DomainOsDef *os) {
        rule(w, "the kernel", os->kernel, "rk");
        rule(w, "the initrd", os->initrd, "rk");
        rule(w, "the loader", os->loader, "rk");
        rule(w, "the NVRAM", os->nvram, "rwk");
        rule(w, "the ACPI table", os->acpi_slic, "r");
}

static void chr_rules(Writer *w, const DomainDef *def, const AppArmorRunPaths *run) {
        for (size_t i = 0; i < def->n_chrs; i++) {
                const DomainChrDef *chr = &def->chrs[i];
                char what[128];

                what_of(what, sizeof(what), "character device", chr->alias, i);
                if (chr->type == DOMAIN_CHR_UNIX && !chr->path && run->rundir) {
                        /* Not named yet: any of this guest's sockets in the
                         * run directory, <name>.<alias>.sock. */
                        _cleanup_free_ char *prefix = NULL;

                        if (asprintf(&prefix, "%s/%s.", run->rundir, def->name ? def->name : "") < 0) {
                                w->r = -ENOMEM;
                                return;
                        }
                        rule_glob(w, what, prefix, "*.sock", "rw");
                } else if (chr->type != DOMAIN_CHR_SPICEVMC)
                        rule(w, what, chr->path, "rw");
                rule(w, what, chr->log_file, "w");
        }
}

static void fs_rules(Writer *w, const DomainDef *def) {
        for (size_t i = 0; i < def->n_filesystems; i++) {
                const DomainFsDef *fs = &def->filesystems[i];
                char what[128];

                what_of(what, sizeof(what), "filesystem", fs->dst, i);
                if (fs->type == DOMAIN_FS_MOUNT)
                        rule_tree(w, what, fs->src, fs->readonly ? "r" : "rwk");
                else if (fs->type != DOMAIN_FS_RAM)
                        rule(w, what, fs->src, fs->readonly ? "rk" : "rwk");
        }
}

static void device_rules(Writer *w, const DomainDef *def) {
        for (size_t i = 0; i < def->n_rngs; i++)
                rule(w, "the rng backend", def->rngs[i].backend_path, "rw");
        /* a container's host nodes (<hostdev mode='capabilities'>), made in its /dev */
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                const DomainHostdevDef *h = &def->hostdevs[i];

                if (h->type == DOMAIN_HOSTDEV_STORAGE || h->type == DOMAIN_HOSTDEV_MISC)
                        rule(w, "a host device node", h->caps_path, h->readonly ? "r" : "rw");
        }
        if (def->n_nets) {
                /* The taps come from networkd as file descriptors; QEMU
                 * itself opens the vhost device for virtio-net. */
                fputs("  \"/dev/net/tun\" rw,\n", w->f);
                fputs("  \"/dev/vhost-net\" rw,\n", w->f);
        }
}

static void run_rules(Writer *w, const AppArmorRunPaths *run) {
        for (size_t i = 0; i < run->n_hugepage_dirs; i++)
                rule_tree(w, "the hugepages directory", run->hugepage_dirs[i], "rw");
        /* QEMU locks its pid file (lockf). */
        rule(w, "the pid file", run->pidfile, "rwk");
        rule(w, "the monitor socket", run->monitor, "rw");
        rule(w, "the log file", run->log, "w");
        for (size_t i = 0; i < run->n_extra_rw; i++)
                rule(w, "a file handed to QEMU", run->extra_rw[i], "rw");
}

static bool is_container(const DomainDef *def) {
        return def->os.type && strcmp(def->os.type, "exe") == 0;
}

int apparmor_profile_build(const DomainDef *def, const AppArmorRunPaths *run, char **ret, ConfError *err) {
        static const AppArmorRunPaths none = {};
        char name[APPARMOR_PROFILE_NAME_MAX];
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        Writer w = { .err = err };

        if (!run)
                run = &none;
        w.run = run;
        w.f = open_memstream(&buf, &size);
        if (!w.f)
                return -ENOMEM;
        apparmor_profile_name(def->uuid, name);
        fputs("# virtbus: this guest's AppArmor profile, written by its daemon at start.\n"
              "#include <tunables/global>\n\n", w.f);
        fprintf(w.f, "profile %s flags=(attach_disconnected) {\n", name);
        fprintf(w.f, "  #include <abstractions/%s>\n\n", is_container(def) ? "virtbus-lxc" : "virtbus-qemu");
        if (!is_container(def)) {
                /* QEMU signals its own threads. */
                fprintf(w.f, "  signal (send, receive) peer=%s,\n", name);
                rule(&w, "the emulator", def->emulator, "rmix");
        }
        disk_rules(&w, def);
        os_rules(&w, &def->os);
        chr_rules(&w, def, run);
        fs_rules(&w, def);
        device_rules(&w, def);
        run_rules(&w, run);
        fputs("}\n", w.f);
        if (fclose(w.f) != 0)
                return conf_error_set(err, VB_ERROR_NO_MEMORY, "out of memory"), -ENOMEM;
        if (w.r == -ENOMEM)
                conf_error_set(err, VB_ERROR_NO_MEMORY, "out of memory");
        if (w.r < 0)
                return w.r;
        *ret = TAKE_PTR(buf);
        return 0;
}
