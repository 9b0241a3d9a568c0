/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "domain-manager.h"
#include "error.h"
#include "qemu-console.h"
#include "util.h"

static const DomainChrDef *first_of(const DomainDef *def, DomainChrKind kind) {
        for (size_t i = 0; i < def->n_chrs; i++)
                if (def->chrs[i].kind == kind)
                        return &def->chrs[i];
        return NULL;
}

/* libvirt's choice: by alias, or the first console, or the first serial
 * port. A console of target type serial shows the first serial port. */
static const DomainChrDef *find_chr(const DomainDef *def, const char *dev_name) {
        const DomainChrDef *chr = NULL;

        if (dev_name) {
                for (size_t i = 0; i < def->n_chrs && !chr; i++)
                        if (streq_ptr(def->chrs[i].alias, dev_name))
                                chr = &def->chrs[i];
        } else
                chr = first_of(def, DOMAIN_CHR_CONSOLE) ?: first_of(def, DOMAIN_CHR_SERIAL);
        if (chr && chr->kind == DOMAIN_CHR_CONSOLE && !chr->path &&
            (!chr->target_type || streq(chr->target_type, "serial")) && first_of(def, DOMAIN_CHR_SERIAL))
                chr = first_of(def, DOMAIN_CHR_SERIAL);
        return chr;
}

static int open_pty(const char *path) {
        struct termios t;
        int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

        if (fd < 0)
                return -errno;
        /* bytes as they are, both ways: the client's terminal does the rest */
        if (tcgetattr(fd, &t) == 0) {
                cfmakeraw(&t);
                (void) tcsetattr(fd, TCSANOW, &t);
        }
        return fd;
}

static int connect_unix(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* a local listener: it accepts at once or not at all */
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static int qemu_console_open(Domain *d, const char *dev_name, int *ret_fd, char **ret_key, sd_bus_error *error) {
        const DomainChrDef *chr = d->live ? find_chr(d->live, dev_name) : NULL;
        int fd;

        if (!chr)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot find character device %s",
                                     dev_name ?: "<null>");
        if (chr->type != DOMAIN_CHR_PTY && !(chr->type == DOMAIN_CHR_UNIX && chr->listen))
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                     "character device %s is not using a PTY (nor a unix socket QEMU listens on)",
                                     dev_name ?: chr->alias ?: "console");
        if (!chr->path)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "character device %s has no path yet",
                                     dev_name ?: chr->alias ?: "console");
        fd = chr->type == DOMAIN_CHR_PTY ? open_pty(chr->path) : connect_unix(chr->path);
        if (fd < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot open the console %s: %s", chr->path,
                                     strerror(-fd));
        *ret_key = strdup(chr->path);
        if (!*ret_key) {
                close(fd);
                return -ENOMEM;
        }
        *ret_fd = fd;
        return 0;
}

const DomainConsoleOps qemu_console_ops = {
        .open = qemu_console_open,
};
