/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "openers.h"
#include "util.h"

static bool is_qemu(int pdfd) {
        char comm[32] = "";
        _cleanup_close_ int fd = openat(pdfd, "comm", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;

        return n >= 4 && strncmp(comm, "qemu", 4) == 0;
}

static bool has_open(int pdfd, dev_t dev, ino_t ino) {
        _cleanup_(closedirp) DIR *d = NULL;
        int fd = openat(pdfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return false;
        }
        while ((de = readdir(d))) {
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;
                /* stat through the magic link: the open file itself */
                if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && st.st_dev == dev && st.st_ino == ino)
                        return true;
        }
        return false;
}

/* "guest=vm1,debug-threads=on" after -name, as qemud and libvirt give it. */
static void guest_name(int pdfd, char *out, size_t size) {
        char buf[8192];
        _cleanup_close_ int fd = openat(pdfd, "cmdline", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

        *out = 0;
        if (n <= 0)
                return;
        buf[n] = 0;
        for (char *a = buf; a < buf + n; a += strlen(a) + 1)
                if (streq(a, "-name") && a + strlen(a) + 1 < buf + n) {
                        const char *v = a + strlen(a) + 1;
                        if (strncmp(v, "guest=", 6) == 0)
                                v += 6;
                        snprintf(out, size, "%.*s", (int) strcspn(v, ","), v);
                        return;
                }
}

int file_qemu_opener(const char *path, char *buf, size_t size) {
        _cleanup_(closedirp) DIR *proc = opendir("/proc");
        struct dirent *de;
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (!proc)
                return -errno;
        while ((de = readdir(proc))) {
                _cleanup_close_ int pdfd = -1;
                char name[256];

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                pdfd = openat(dirfd(proc), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pdfd < 0 || !is_qemu(pdfd) || !has_open(pdfd, st.st_dev, st.st_ino))
                        continue;
                guest_name(pdfd, name, sizeof(name));
                if (*name)
                        snprintf(buf, size, "guest '%s' (QEMU process %s), which has it open", name, de->d_name);
                else
                        snprintf(buf, size, "QEMU process %s, which has it open", de->d_name);
                return 1;
        }
        return 0;
}
