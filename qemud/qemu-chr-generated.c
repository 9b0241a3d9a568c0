/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "qemu-chr-generated.h"
#include "macro.h"
#include "xml-util.h"

/* "domain-X/FILE": one directory named domain-*, then a file name. */
static bool is_domain_dir_file(const char *rest) {
        const char *slash;

        if (strncmp(rest, "domain-", strlen("domain-")) != 0)
                return false;
        slash = strchr(rest + strlen("domain-"), '/');
        if (!slash || slash == rest + strlen("domain-"))
                return false;
        return slash[1] && !strchr(slash + 1, '/');
}

/* "PREFIX.TARGET" with no directory in it. */
static bool is_prefixed_target(const char *rest, const char *target_name) {
        size_t n, t;

        if (!target_name || strchr(rest, '/'))
                return false;
        n = strlen(rest);
        t = strlen(target_name);
        return n > t + 1 && rest[n - t - 1] == '.' && streq(rest + n - t, target_name);
}

bool qemu_chr_path_is_generated(const char *path, const char *dir, const char *target_name) {
        size_t d;

        if (!path || !dir || !*dir)
                return false;
        d = strlen(dir);
        while (d > 1 && dir[d - 1] == '/')
                d--;
        if (strncmp(path, dir, d) != 0 || path[d] != '/')
                return false;
        return is_domain_dir_file(path + d + 1) || is_prefixed_target(path + d + 1, target_name);
}

int qemu_chr_drop_generated_paths(DomainDef *def, const char *dir, ConfError *err) {
        for (size_t i = 0; i < def->n_chrs; i++) {
                DomainChrDef *chr = &def->chrs[i];

                if (chr->kind != DOMAIN_CHR_CHANNEL || chr->type != DOMAIN_CHR_UNIX ||
                    !streq_ptr(chr->target_type, "virtio") ||
                    !qemu_chr_path_is_generated(chr->path, dir, chr->target_name))
                        continue;
                /* the model checked the mode at parse time, with the path */
                if (chr->reconnect == TRISTATE_ON)
                        return xml_err_invalid(err,
                                               "chardev reconnect is possible only for connect mode "
                                               "(<devices/channel/source>: '%s' is in the driver's channel "
                                               "directory, a socket it makes and listens on)",
                                               chr->path);
                chr->path = mfree(chr->path);
                chr->path_auto = false;
                /* a socket the driver places is one QEMU listens on */
                chr->listen = true;
        }
        return 0;
}
