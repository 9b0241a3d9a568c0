/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mode='passthrough': the parent's own MAC, saved while a guest's is on it
 * (qemu-net-direct.h). */
#include <dirent.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "network-addr.h"
#include "qemu-net-direct.h"
#include "rtnl-req.h"
#include "util.h"

#define SAVED_DIR "macvtap-passthrough"

int qemu_net_direct_parse_saved_mac(const char *s, uint8_t mac[6]) {
        char buf[MAC_STRING_MAX];
        size_t n = strcspn(s, "\n");

        /* one line, the MAC, as qemud writes it */
        if (n != MAC_STRING_MAX - 1 || (s[n] && s[n + 1]))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = 0;
        return mac_parse(buf, mac);
}

/* NULL for no interface name (of a definition never started): it is a file name */
static char *saved_path(const char *rundir, const char *parent) {
        char *p = NULL;

        if (!*parent || strchr(parent, '/') || streq(parent, ".") || streq(parent, ".."))
                return NULL;
        return asprintf(&p, "%s/" SAVED_DIR "/%s", rundir, parent) < 0 ? NULL : p;
}

static int read_mac(const char *path, uint8_t mac[6]) {
        _cleanup_free_ char *s = NULL;
        int r = read_full_file(path, 4096, &s, NULL);

        return r < 0 ? r : qemu_net_direct_parse_saved_mac(s, mac);
}

static int set_mac(const char *ifname, const uint8_t mac[6]) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int) if_nametoindex(ifname) };
        RtnlReq q;

        if (ifi.ifi_index <= 0)
                return -ENODEV;
        rtnl_req_init(&q, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
        rtnl_req_attr(&q, IFLA_ADDRESS, mac, 6);
        return rtnl_req_send(&q);
}

/* Saved once: a file already there is from a guest whose stop could not
 * give the MAC back (the kernel let this passthrough macvtap be made, so
 * no guest has the parent now), and holds the parent's own MAC, not that
 * guest's. */
int qemu_net_direct_passthrough_set(const char *rundir, const char *parent, const uint8_t mac[6]) {
        _cleanup_free_ char *path = saved_path(rundir, parent), *dir = NULL, *addr_path = NULL, *addr = NULL;
        bool saved = false;
        uint8_t old[6];
        int r;

        if (!path)
                return -EINVAL;
        if (asprintf(&dir, "%s/" SAVED_DIR, rundir) < 0 || asprintf(&addr_path, "/sys/class/net/%s/address", parent) < 0)
                return -ENOMEM;
        if (read_mac(path, old) < 0) {
                r = read_full_file(addr_path, 4096, &addr, NULL);
                if (r < 0)
                        return r;
                if (qemu_net_direct_parse_saved_mac(addr, old) < 0)
                        return -EINVAL;
                r = mkdir_p(dir, 0700);
                if (r >= 0)
                        r = write_file_replace(path, addr, strlen(addr), 0600);
                if (r < 0)
                        return r;
                saved = true;
        }
        r = set_mac(parent, mac);
        if (r < 0 && saved)
                (void) unlink(path);
        return r;
}

/* Some macvtap (a guest's) is on parent still. */
static bool parent_has_macvtap(const char *parent) {
        _cleanup_free_ char *dir = NULL;
        struct dirent *de;
        bool found = false;
        DIR *d;

        if (asprintf(&dir, "/sys/class/net/%s", parent) < 0 || !(d = opendir(dir)))
                return false;
        while (!found && (de = readdir(d))) {
                _cleanup_free_ char *tap = NULL;

                if (strncmp(de->d_name, "upper_", 6) == 0 &&
                    asprintf(&tap, "/sys/class/net/%s/macvtap", de->d_name + strlen("upper_")) >= 0)
                        found = access(tap, F_OK) == 0;
        }
        closedir(d);
        return found;
}

void qemu_net_direct_passthrough_restore(const char *rundir, const char *guest, const char *parent) {
        _cleanup_free_ char *path = saved_path(rundir, parent);
        char buf[MAC_STRING_MAX];
        uint8_t mac[6];
        int r;

        if (!path || read_mac(path, mac) < 0)
                return;
        /* another guest's passthrough macvtap took the parent: the file is its now */
        if (parent_has_macvtap(parent))
                return;
        r = set_mac(parent, mac);
        if (r < 0 && r != -ENODEV) {
                /* kept: a later stop on this parent tries again */
                log_warning("%s: cannot give host interface %s its MAC address %s back: %s", guest, parent,
                            mac_format(mac, buf), strerror(-r));
                return;
        }
        (void) unlink(path);
        if (r >= 0)
                log_debug("%s: host interface %s has its MAC address %s back", guest, parent, mac_format(mac, buf));
}
