/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every golden argv of tests/data/qemu-command/ (test-qemu-command checks
 * them against the builder) run by the real QEMU: it must accept each, or
 * the test says why it cannot run one here. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "domain-conf.h"
#include "error.h"
#include "qemu-address.h"
#include "qemu-caps.h"
#include "qemu-command.h"
#include "qemu-command-test.h"
#include "unit.h"
#include "util.h"

/* ---- the real QEMU accepts every golden argv ---- */

static bool kvm_usable(void) {
        int fd;

        if (getenv("QEMU_COMMAND_TEST_TCG"))
                return false;
        fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

static char *replace_all(const char *s, const char *from, const char *to) {
        size_t fl = strlen(from), n = 0;
        const char *p;
        char *out, *o;

        for (p = s; (p = strstr(p, from)); p += fl)
                n++;
        out = malloc(strlen(s) + n * strlen(to) + 1);  /* an upper bound */
        if (!out)
                return NULL;
        for (o = out, p = s;;) {
                const char *m = strstr(p, from);
                if (!m) {
                        strcpy(o, p);
                        break;
                }
                memcpy(o, p, (size_t) (m - p));
                o += m - p;
                strcpy(o, to);
                o += strlen(to);
                p = m + fl;
        }
        return out;
}

static int write_bytes(const char *path, const void *data, size_t len, off_t size) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0)
                return -errno;
        if (len > 0 && write(fd, data, len) != (ssize_t) len)
                return -EIO;
        if (size > 0 && ftruncate(fd, size) < 0)
                return -errno;
        return 0;
}

/* Just enough of a bzImage header (boot protocol 2.15) for QEMU's loader. */
static int write_fake_kernel(const char *path) {
        static uint8_t k[16384];

        memset(k, 0, sizeof(k));
        k[0x1f1] = 4;                           /* setup sectors */
        k[0x1fe] = 0x55, k[0x1ff] = 0xaa;
        memcpy(k + 0x202, "HdrS", 4);
        k[0x206] = 0x0f, k[0x207] = 0x02;       /* protocol 2.15 */
        k[0x211] = 0x01;                        /* loaded high */
        k[0x22c] = 0xff, k[0x22d] = 0xff, k[0x22e] = 0xff, k[0x22f] = 0x37; /* initrd_addr_max */
        k[0x238] = 0x00, k[0x239] = 0x08;       /* cmdline_size 2048 */
        return write_bytes(path, k, sizeof(k), 0);
}

static int run_wait(char **argv) {
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR);
                dup2(null, 1);
                dup2(null, 2);
                execvp(argv[0], argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static char *subst_root(const char *s, const char *root) {
        return s ? replace_all(s, TEST_ROOT, root) : NULL;
}

/* Creates the files the domain refers to, under the temporary root. */
static int make_guest_files(const DomainDef *def, const char *root) {
        static const char *const dirs[] = { "boot", "images", "run", "log", "dev", "hugepages", "ram" };
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *d = NULL;
                if (asprintf(&d, "%s/%s", root, dirs[i]) < 0 || mkdir(d, 0755) < 0)
                        return -errno ?: -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < def->n_disks; i++) {
                const DomainDiskDef *disk = &def->disks[i];
                _cleanup_free_ char *p = subst_root(disk->src, root);

                if (!p)
                        continue;
                if (disk->type == DOMAIN_DISK_TYPE_BLOCK)
                        /* any character device passes QEMU's host_device checks */
                        r = symlink("/dev/null", p) < 0 ? -errno : 0;
                else if (disk->type == DOMAIN_DISK_TYPE_DIR)
                        r = mkdir(p, 0755) < 0 ? -errno : 0;
                else if (disk->format == DOMAIN_DISK_FORMAT_QCOW2 || disk->format == DOMAIN_DISK_FORMAT_VMDK) {
                        char *argv[] = { (char *) "qemu-img", (char *) "create", (char *) "-q", (char *) "-f",
                                         (char *) domain_disk_format_to_string(disk->format), p, (char *) "16M",
                                         NULL };
                        r = run_wait(argv);
                } else
                        r = write_bytes(p, NULL, 0, 16 << 20);
                if (r >= 0 && disk->guest.transient) {
                        /* what the start makes (qemu-disk-prepare.c) */
                        _cleanup_free_ char *o = NULL;
                        char *argv[] = { (char *) "qemu-img", (char *) "create", (char *) "-q", (char *) "-f",
                                         (char *) "qcow2", (char *) "-b", p, (char *) "-F",
                                         (char *) (disk->format == DOMAIN_DISK_FORMAT_QCOW2 ? "qcow2" : "raw"),
                                         NULL, NULL };

                        r = asprintf(&o, "%s.TRANSIENT-%s", p, def->name) < 0 ? -ENOMEM : 0;
                        argv[9] = o;
                        if (r >= 0)
                                r = run_wait(argv);
                }
        }
        if (r >= 0 && def->os.kernel) {
                _cleanup_free_ char *p = subst_root(def->os.kernel, root);
                r = p ? write_fake_kernel(p) : -ENOMEM;
        }
        if (r >= 0 && def->os.initrd) {
                _cleanup_free_ char *p = subst_root(def->os.initrd, root);
                r = p ? write_bytes(p, "initrd", 6, 0) : -ENOMEM;
        }
        if (r >= 0 && def->os.loader) {
                _cleanup_free_ char *p = subst_root(def->os.loader, root);
                r = p ? write_bytes(p, NULL, 0, 2 << 20) : -ENOMEM;
        }
        if (r >= 0 && def->os.nvram) {
                _cleanup_free_ char *p = subst_root(def->os.nvram, root);
                r = p ? write_bytes(p, NULL, 0, 128 << 10) : -ENOMEM;
        }
        if (r >= 0 && def->os.acpi_slic) {
                /* a whole table: QEMU wants at least its 36-byte header */
                _cleanup_free_ char *p = subst_root(def->os.acpi_slic, root);
                r = p ? write_bytes(p, "SLIC", 4, 64) : -ENOMEM;
        }
        return r;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

static int open_tap(void) {
        struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

#define MAX_TEST_FDS 16

typedef struct FdMap {
        int from, to;
} FdMap;

static void child_exec(char **argv, const FdMap *map, size_t n, const char *log) {
        int tmp[16];
        int null = open("/dev/null", O_RDONLY), out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        /* a test that dies must not leave a paused QEMU behind */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* move everything out of the way first: a source may sit on a target */
        for (size_t i = 0; i < n && i < 16; i++)
                tmp[i] = fcntl(map[i].from, F_DUPFD, 100);
        null = fcntl(null, F_DUPFD, 100);
        out = fcntl(out, F_DUPFD, 100);
        for (size_t i = 0; i < n && i < 16; i++)
                dup2(tmp[i], map[i].to);        /* dup2 leaves the copy inheritable */
        dup2(null, 0);
        dup2(out, 1);
        dup2(out, 2);
        execv(argv[0], argv);
        _exit(127);
}

static int fd_wait(int fd, short events, int timeout_ms) {
        struct pollfd p = { .fd = fd, .events = events };
        int r = poll(&p, 1, timeout_ms);

        return r < 0 ? -errno : r == 0 ? -ETIMEDOUT : 0;
}

/* Reads QMP lines until one holds "return" or "error"; events are skipped. */
static int qmp_read_reply(int fd, char *buf, size_t size) {
        size_t len = 0;

        for (;;) {
                char *nl;
                ssize_t n;
                int r;

                while ((nl = memchr(buf, '\n', len))) {
                        size_t line = (size_t) (nl - buf) + 1;
                        bool reply;

                        *nl = 0;
                        reply = strstr(buf, "\"return\"") || strstr(buf, "\"error\"") || strstr(buf, "\"QMP\"");
                        if (reply)
                                return strstr(buf, "\"error\"") ? -EIO : 0;
                        memmove(buf, buf + line, len - line);
                        len -= line;
                }
                if (len + 1 >= size)
                        return -E2BIG;
                r = fd_wait(fd, POLLIN, 10000);
                if (r < 0)
                        return r;
                n = read(fd, buf + len, size - len - 1);
                if (n <= 0)
                        return n == 0 ? -ECONNRESET : -errno;
                len += (size_t) n;
                buf[len] = 0;
        }
}

static int qmp_command(int fd, const char *json, char *buf, size_t size) {
        char line[256];
        int n = snprintf(line, sizeof(line), "%s\n", json);

        /* one write: QEMU may act on "quit" and hang up before a second one */
        if (send(fd, line, (size_t) n, MSG_NOSIGNAL) != n)
                return -errno;
        return qmp_read_reply(fd, buf, size);
}

static int wait_exit(pid_t pid, int timeout_ms, int *status) {
        for (int t = 0; t < timeout_ms; t += 20) {
                pid_t r = waitpid(pid, status, WNOHANG);
                if (r == pid)
                        return 0;
                usleep(20000);
        }
        return -ETIMEDOUT;
}

/* Talks to the QEMU started with -S through the listening socket it was
 * given (as the driver does): greeting, qmp_capabilities, still up a moment
 * later and paused, then quit and exit status 0. */
static int qmp_session(const char *sock, pid_t pid, const char *name) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        char buf[65536];
        int r, status;

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        /* the greeting comes once QEMU has built the machine */
        for (int t = 0; (r = fd_wait(fd, POLLIN, 100)) == -ETIMEDOUT; t += 100)
                if (waitpid(pid, &status, WNOHANG) == pid || t > 20000) {
                        fprintf(stderr, "  %s: no QMP greeting\n", name);
                        return -ECHILD;
                }
        r = qmp_read_reply(fd, buf, sizeof(buf));
        if (r >= 0)
                r = qmp_command(fd, "{\"execute\":\"qmp_capabilities\"}", buf, sizeof(buf));
        if (r < 0)
                return r;
        usleep(300000);
        if (waitpid(pid, &status, WNOHANG) == pid) {
                fprintf(stderr, "  %s: QEMU went away after qmp_capabilities\n", name);
                return -ECHILD;
        }
        r = qmp_command(fd, "{\"execute\":\"query-status\"}", buf, sizeof(buf));
        if (r < 0 || !strstr(buf, "\"prelaunch\"")) {
                fprintf(stderr, "  %s: query-status: %s\n", name, buf);
                return r < 0 ? r : -EBADMSG;
        }
        /* the reply to quit may be lost when QEMU hangs up first: its exit status says it all */
        (void) qmp_command(fd, "{\"execute\":\"quit\"}", buf, sizeof(buf));
        if (wait_exit(pid, 10000, &status) < 0)
                return -ETIMEDOUT;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void print_file(const char *path) {
        _cleanup_free_ char *s = NULL;

        if (read_full_file(path, 65536, &s, NULL) >= 0)
                fprintf(stderr, "  --- QEMU said:\n%s  ---\n", s);
}

/* argv from the golden file, with TEST_ROOT moved to root and, when KVM
 * cannot be opened here, TCG instead. */
static int golden_argv(const char *args_path, const char *root, const char *qemu, bool kvm,
                       char ***ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        char *save = NULL;
        int r;

        r = read_full_file(args_path, 0, &text, NULL);
        if (r < 0)
                return r;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *a = argv ? subst_root(l, root) : strdup(qemu);

                if (!a)
                        return -ENOMEM;
                /* KVM's own accel properties (dirty-ring-size) go with it */
                if (!kvm && strncmp(a, "kvm", 3) == 0 && (a[3] == 0 || a[3] == ',') && strv_length(argv) > 0 &&
                    streq(argv[strv_length(argv) - 1], "-accel"))
                        free_and_replace_str(&a, strdup("tcg"));
                else if (!kvm && strncmp(a, "host", 4) == 0 && (a[4] == 0 || a[4] == ',') &&
                         streq(argv[strv_length(argv) - 1], "-cpu")) {
                        char *m;
                        if (asprintf(&m, "max%s", a + 4) < 0)
                                m = NULL;
                        free_and_replace_str(&a, m);
                }
                if (!a)
                        return -ENOMEM;
                r = strv_consume(&argv, a);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(argv);
        return 0;
}

static int free_tcp_port(int from) {
        for (int port = from; port < 65000; port++) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
                _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

                if (fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
                        return port;
        }
        return -EADDRINUSE;
}

/* ",key=N" of a display's option string moved to a free port from *base. */
static int move_port_opt(char **arg, const char *key, int *base) {
        _cleanup_free_ char *pat = NULL;
        char *at, *n = NULL;
        int port;

        if (asprintf(&pat, ",%s=", key) < 0)
                return -ENOMEM;
        at = strstr(*arg, pat);
        if (!at || !isdigit((unsigned char) at[strlen(pat)]))
                return 0;
        if ((port = free_tcp_port(*base)) < 0)
                return port;
        *base = port + 1;
        at += strlen(pat);
        if (asprintf(&n, "%.*s%d%s", (int) (at - *arg), *arg, port, at + strspn(at, "0123456789")) < 0)
                return -ENOMEM;
        free_and_replace_str(arg, n);
        return 0;
}

/* "key=HOST:N" of a -netdev socket's options moved to a free port from *base. */
static int move_hostport_opt(char **arg, const char *key, int *base) {
        _cleanup_free_ char *pat = NULL;
        char *at, *colon, *n = NULL;
        int port;

        if (asprintf(&pat, "%s=", key) < 0)
                return -ENOMEM;
        at = strstr(*arg, pat);
        if (!at || (at != *arg && at[-1] != ','))
                return 0;
        at += strlen(pat);
        colon = at + strcspn(at, ",");
        while (colon > at && colon[-1] != ':')
                colon--;
        if (colon == at || !isdigit((unsigned char) *colon))
                return 0;
        if ((port = free_tcp_port(*base)) < 0)
                return port;
        *base = port + 1;
        if (asprintf(&n, "%.*s%d%s", (int) (colon - *arg), *arg, port, colon + strspn(colon, "0123456789")) < 0)
                return -ENOMEM;
        free_and_replace_str(arg, n);
        return 0;
}

/* The golden ports (5901, 5905, a websocket's 5705, a chardev's 44561...)
 * may be taken on this host, by another test, a real guest or an outgoing
 * connection: move what QEMU listens on to free ones. */
static int move_display_ports(char **argv) {
        int base = 20000 + (int) (getpid() % 20000);

        for (size_t i = 1; argv[i] && argv[i + 1]; i++) {
                char *a = argv[i + 1], *n = NULL;
                int port, r;

                /* a listening chardev's port, a UDP one's local port */
                if (streq(argv[i], "-chardev") && strncmp(a, "socket,", 7) == 0 && strstr(a, ",server=on") &&
                    (r = move_port_opt(&argv[i + 1], "port", &base)) < 0)
                        return r;
                if (streq(argv[i], "-chardev") && strncmp(a, "udp,", 4) == 0 &&
                    (r = move_port_opt(&argv[i + 1], "localport", &base)) < 0)
                        return r;
                /* a -netdev socket's listening or local address */
                if (streq(argv[i], "-netdev") && strncmp(a, "socket,", 7) == 0 &&
                    ((r = move_hostport_opt(&argv[i + 1], "listen", &base)) < 0 ||
                     (r = move_hostport_opt(&argv[i + 1], "localaddr", &base)) < 0))
                        return r;
                if (!streq(argv[i], "-vnc") && !(streq(argv[i], "-spice") && strncmp(a, "port=", 5) == 0))
                        continue;
                if ((r = move_port_opt(&argv[i + 1], "websocket", &base)) < 0 ||
                    (r = move_port_opt(&argv[i + 1], "tls-port", &base)) < 0)
                        return r;
                a = argv[i + 1];
                port = free_tcp_port(base);
                /* no TCP port: -vnc none, -vnc unix:PATH */
                if (streq(argv[i], "-vnc") && (strncmp(a, "none", 4) == 0 || strncmp(a, "unix:", 5) == 0))
                        continue;
                if (port < 0)
                        return port;
                base = port + 1;
                if (streq(argv[i], "-vnc")) {
                        size_t host = strcspn(a, ",");
                        while (host > 0 && a[host - 1] != ':')
                                host--;
                        if (asprintf(&n, "%.*s%d%s", (int) host, a, port - 5900, a + host + strcspn(a + host, ",")) < 0)
                                return -ENOMEM;
                } else if (asprintf(&n, "port=%d%s", port, a + 5 + strcspn(a + 5, ",")) < 0)
                        return -ENOMEM;
                free_and_replace_str(&argv[i + 1], n);
        }
        return 0;
}

/* "tap,fds=A:B:C": one multiqueue tap, a queue opened for each fd. */
static int map_tap_queues(const char *fds, FdMap *map, size_t *n, int *taps, size_t *n_taps) {
        char name[IFNAMSIZ] = "vbmq%d";

        for (const char *p = fds; *p && *p != ',' && *n < MAX_TEST_FDS; p += strspn(p, ":")) {
                struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE };
                int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
                char *end;

                if (fd < 0)
                        return -errno;
                snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
                if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
                snprintf(name, sizeof(name), "%s", ifr.ifr_name);
                taps[(*n_taps)++] = fd;
                map[(*n)++] = (FdMap) { fd, (int) strtol(p, &end, 10) };
                p = end;
        }
        return 0;
}

/* The fds the golden argv names: the monitor and "tap,fd=N". A vsock
 * needs this host's /dev/vhost-vsock (-ENOENT without one). */
static int map_fds(char **argv, int monitor, FdMap *map, size_t *n, int *taps, size_t *n_taps) {
        *n = 0;
        *n_taps = 0;
        for (size_t i = 1; argv[i]; i++) {
                const char *a = argv[i], *p;

                if ((p = strstr(a, "id=charmonitor,fd=")) && *n < 8)
                        map[(*n)++] = (FdMap) { monitor, atoi(p + 18) };
                else if (strncmp(a, "tap,fds=", 8) == 0) {
                        int r = map_tap_queues(a + 8, map, n, taps, n_taps);
                        if (r < 0)
                                return r;
                } else if (strncmp(a, "tap,fd=", 7) == 0 && *n < 8) {
                        int fd = open_tap();
                        if (fd < 0)
                                return fd;
                        taps[(*n_taps)++] = fd;
                        map[(*n)++] = (FdMap) { fd, atoi(a + 7) };
                } else if (strstr(a, "\"vhost-vsock-pci\"") && access("/dev/vhost-vsock", R_OK | W_OK) < 0)
                        return -errno;
        }
        return 0;
}

static bool has_lun_disk(const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].device == DOMAIN_DISK_DEVICE_LUN)
                        return true;
        return false;
}

static bool has_nvme_disk(const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].nvme)
                        return true;
        return false;
}

static bool has_sd_disk(const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].bus == DOMAIN_DISK_BUS_SD)
                        return true;
        return false;
}

static bool has_vhostuser_disk(const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].vhostuser)
                        return true;
        return false;
}

static bool has_network_disk(const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].net)
                        return true;
        return def->os.nvram_net != NULL;
}

/* vxhs and sheepdog: QEMU 7.2 has no block driver for them (qemud
 * refuses their start, test_qemud_disk_net.py checks it) */
static bool has_dropped_protocol_disk(const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].net && (def->disks[i].net->protocol == DOMAIN_DISK_PROTOCOL_VXHS ||
                                          def->disks[i].net->protocol == DOMAIN_DISK_PROTOCOL_SHEEPDOG))
                        return true;
        return false;
}

/* passthrough and evdev inputs read a host /dev/input/event* */
static bool has_host_input(const DomainDef *def) {
        for (size_t i = 0; i < def->n_inputs; i++)
                if (def->inputs[i].source)
                        return true;
        return false;
}

static bool has_host_display(const DomainDef *def) {
        for (size_t i = 0; i < def->n_graphics; i++)
                if (def->graphics[i].type == DOMAIN_GRAPHICS_SDL || def->graphics[i].type == DOMAIN_GRAPHICS_EGL_HEADLESS ||
                    def->graphics[i].gl == TRISTATE_ON)
                        return true;
        /* virgl and vhost-user-gpu render on a host GPU (a vhost-user-gpu
         * process listening, for the latter) */
        for (size_t i = 0; i < def->n_videos; i++)
                if (def->videos[i].accel3d == TRISTATE_ON || def->videos[i].vhostuser)
                        return true;
        return false;
}

/* An interface whose peer must be there when QEMU starts: a socket to
 * connect to, a multicast route, a vhost-user back end, a vDPA device. */
static bool has_net_peer(const DomainDef *def) {
        for (size_t i = 0; i < def->n_nets; i++) {
                DomainNetType t = def->nets[i].type;

                if (t == DOMAIN_NET_CLIENT || t == DOMAIN_NET_MCAST || t == DOMAIN_NET_VHOSTUSER || t == DOMAIN_NET_VDPA ||
                    domain_net_is_passt(&def->nets[i]))
                        return true;
        }
        return false;
}

static bool has_spice_tls(const DomainDef *def) {
        for (size_t i = 0; i < def->n_graphics; i++)
                if (def->graphics[i].tls_port != 0)
                        return true;
        return false;
}

static bool has_virtiofs(const DomainDef *def) {
        for (size_t i = 0; i < def->n_filesystems; i++)
                if (def->filesystems[i].virtiofs)
                        return true;
        return false;
}

static bool has_sgx_epc(const DomainDef *def) {
        for (size_t i = 0; i < def->n_mems; i++)
                if (def->mems[i].model == DOMAIN_MEMORY_SGX_EPC)
                        return true;
        return false;
}

/* *ret_said gets what QEMU wrote when it refused the line (NULL otherwise). */
static int run_qemu_with(const char *dir, const char *xml_name, const char *qemu, bool kvm, char **ret_said) {
        _cleanup_free_ char *xml_path = NULL, *args_path = NULL, *sock = NULL, *log = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_close_ int listen_fd = -1;
        char root[] = "/tmp/vbtest-qemu-command-XXXXXX";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t stem = strlen(xml_name) - 4, n_map = 0, n_taps = 0;
        int taps[MAX_TEST_FDS], r;
        FdMap map[MAX_TEST_FDS];
        pid_t pid;

        if (asprintf(&xml_path, "%s/%s", dir, xml_name) < 0 ||
            asprintf(&args_path, "%s/%.*s.args", dir, (int) stem, xml_name) < 0)
                return -ENOMEM;
        r = parse_xml_file(xml_path, &def);
        if (r < 0)
                return r;
        if (def->n_tpms > 0) {
                /* the host's TPM or an swtpm listening: test-qemu-tpm and
                 * test_qemud_tpm.py check what the start asks of the host */
                fprintf(stderr, "  %s: not run, its TPM backend is the host's or an swtpm\n", xml_name);
                return 1;
        }
        if (def->launch_security.type == DOMAIN_LSEC_SEV) {
                /* SEV needs the AMD secure processor through KVM, and the
                 * files qemud writes at start: test_qemud_platform.py checks
                 * what the start asks of the host */
                fprintf(stderr, "  %s: not run, its SEV guest needs the host's /dev/sev\n", xml_name);
                return 1;
        }
        if (has_sgx_epc(def)) {
                /* QEMU's memory-backend-epc opens the host's SGX device:
                 * test-qemu-sgx checks what the start asks of the host */
                if (access("/dev/sgx_vepc", F_OK) < 0) {
                        fprintf(stderr, "  %s: not run, its SGX EPC needs the host's /dev/sgx_vepc\n", xml_name);
                        return 1;
                }
        }
        if (def->n_hostdevs > 0 || has_host_input(def)) {
                /* QEMU opens them at start and this host has none to give:
                 * test_qemud_hostdev.py checks the start's error */
                fprintf(stderr, "  %s: not run, it passes host devices through\n", xml_name);
                return 1;
        }
        if (def->n_smartcards > 0 && def->smartcards[0].mode != DOMAIN_SMARTCARD_PASSTHROUGH) {
                /* QEMU opens the host's NSS database at start: the start's
                 * error names it when it is missing (test_qemud_smartcard.py) */
                fprintf(stderr, "  %s: not run, its emulated smartcard needs the host's NSS database\n", xml_name);
                return 1;
        }
        if (has_host_display(def)) {
                /* egl-headless needs a host GPU, sdl an X display:
                 * test_qemud_graphics_gl.py checks the start's error */
                fprintf(stderr, "  %s: not run, its display needs a host GPU or an X display\n", xml_name);
                return 1;
        }
        if (has_spice_tls(def)) {
                /* QEMU loads the certificates at start: test_qemud_graphics_tls.py
                 * makes them and starts one */
                fprintf(stderr, "  %s: not run, its SPICE TLS needs certificates\n", xml_name);
                return 1;
        }
        if (has_nvme_disk(def)) {
                /* QEMU's nvme driver takes the host's controller through VFIO:
                 * test-qemu-disk-prepare checks the start's error without one */
                fprintf(stderr, "  %s: not run, its NVMe disk needs a host NVMe controller\n", xml_name);
                return 1;
        }
        if (has_lun_disk(def)) {
                /* scsi-block asks the host's SCSI device: test-qemu-disk-prepare
                 * checks the start's error on a host without one */
                fprintf(stderr, "  %s: not run, its device='lun' disk needs a host SCSI device\n", xml_name);
                return 1;
        }
        if (has_net_peer(def)) {
                /* test_qemud_net_socket.py and test_qemud_passt.py start
                 * guests with their peers */
                fprintf(stderr, "  %s: not run, its interfaces need peers (a server, a vhost-user back end, a vDPA "
                        "device, passt)\n", xml_name);
                return 1;
        }
        if (has_virtiofs(def) || def->n_shmems > 0) {
                /* QEMU connects to virtiofsd or an ivshmem-server at once, and
                 * makes /dev/shm files: test_qemud_devices2.py starts them */
                fprintf(stderr, "  %s: not run, its virtiofs or shmem devices need host peers\n", xml_name);
                return 1;
        }
        if (has_sd_disk(def)) {
                /* x86 has no SD controller: QEMU refuses if=sd, as it does
                 * libvirt's line (test_qemud_disk_vhost.py checks the start's error) */
                fprintf(stderr, "  %s: not run, x86 machines have no SD card controller\n", xml_name);
                return 1;
        }
        if (has_vhostuser_disk(def)) {
                /* QEMU connects to the back end at once: test_qemud_disk_vhost.py
                 * starts one with qemu-storage-daemon */
                fprintf(stderr, "  %s: not run, its vhostuser disks need a vhost-user-blk back end\n", xml_name);
                return 1;
        }
        if (has_dropped_protocol_disk(def)) {
                fprintf(stderr, "  %s: not run, this QEMU has no vxhs or sheepdog block driver (QEMU dropped "
                        "them; libvirt's line for a QEMU that had them)\n", xml_name);
                return 1;
        }
        if (has_network_disk(def)) {
                /* QEMU opens them at start: test_qemud_disk_net.py starts
                 * one on a real NBD server */
                fprintf(stderr, "  %s: not run, its disks are on network servers\n", xml_name);
                return 1;
        }
        if (!mkdtemp(root))
                return -errno;
        r = make_guest_files(def, root);
        if (r >= 0)
                r = golden_argv(args_path, root, qemu, kvm, &argv);
        if (r >= 0)
                r = move_display_ports(argv);
        if (r >= 0 && (asprintf(&sock, "%s/monitor.sock", root) < 0 || asprintf(&log, "%s/qemu.log", root) < 0))
                r = -ENOMEM;
        if (r >= 0) {
                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
                listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
                    listen(listen_fd, 1) < 0)
                        r = -errno;
        }
        if (r >= 0) {
                r = map_fds(argv, listen_fd, map, &n_map, taps, &n_taps);
                if (r < 0) {
                        /* creating a tap needs CAP_NET_ADMIN, a vsock the host's
                         * vhost_vsock: not a failure of the argv */
                        fprintf(stderr, "  %s: not run, cannot create a tap device or open "
                                "/dev/vhost-vsock: %s\n", xml_name, strerror(-r));
                        r = 1;
                }
        }
        if (r == 0) {
                pid = fork();
                if (pid < 0)
                        r = -errno;
                else if (pid == 0)
                        child_exec(argv, map, n_map, log);
                else {
                        r = qmp_session(sock, pid, xml_name);
                        if (r < 0) {
                                int status;
                                kill(pid, SIGKILL);
                                waitpid(pid, &status, 0);
                                fprintf(stderr, "  %s: QEMU (%s) refused the command line: %s\n", xml_name,
                                        kvm ? "kvm" : "tcg", strerror(-r));
                                print_file(log);
                                if (ret_said)
                                        (void) read_full_file(log, 65536, ret_said, NULL);
                        }
                }
        }
        for (size_t i = 0; i < n_taps; i++)
                close(taps[i]);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return r;
}

/* Whether QEMU's words say the host's KVM refused what the line asks of it
 * (MSRs such as 0x10a on some AMD hosts for -cpu host, Hyper-V
 * enlightenments on nested or older KVM, CPU features): a host limit. */
static bool kvm_refused(const char *said) {
        static const char *const signs[] = {
                "failed to set MSR", "kvm_buf_set_msrs", "kvm_init_vcpu", "KVM_SET_", "kvm: ",
                "Hyper-V", "hv-", "not supported by KVM", "host doesn't support requested feature",
        };

        for (size_t i = 0; said && i < ELEMENTSOF(signs); i++)
                if (strstr(said, signs[i]))
                        return true;
        return false;
}

/* Whether QEMU's words say the line needs KVM (an intel-iommu with eim=on
 * wants KVM's split irqchip): on a host without a usable KVM, not a fault of
 * the line. */
static bool needs_kvm(const char *said) {
        return said && strstr(said, "requires accel=kvm");
}

static int not_without_kvm(const char *xml_name) {
        fprintf(stderr, "  %s: not run, QEMU needs KVM for it and this host's KVM cannot run it\n", xml_name);
        return 1;
}

/* QEMU's words for an audio driver it was built without (Debian's
 * qemu-system-gui has pa, jack, sdl) or cannot start (oss without
 * /dev/dsp): the host's limit, not the line's. */
static bool lacks_audio_driver(const char *said) {
        return said && (strstr(said, "Unknown audio driver") || strstr(said, "Could not init `"));
}

/* 0: accepted, 1: not run, 2: accepted under TCG only; or -errno.
 * A line QEMU refuses under KVM is checked again under TCG (-accel tcg,
 * -cpu host becomes max): what this host's KVM cannot do is the host's
 * limit, not the command line's. Only a refusal under TCG too fails. */
static int run_golden(const char *dir, const char *xml_name, const char *qemu, bool kvm) {
        _cleanup_free_ char *said = NULL, *said_tcg = NULL;
        int r = run_qemu_with(dir, xml_name, qemu, kvm, &said);

        if (r < 0 && !kvm && needs_kvm(said))
                return not_without_kvm(xml_name);
        if (r < 0 && lacks_audio_driver(said)) {
                fprintf(stderr, "  %s: not run, this QEMU lacks an audio driver of the line (a host limit)\n",
                        xml_name);
                return 1;
        }
        if (r >= 0 || !kvm)
                return r;
        fprintf(stderr, "  %s: %s; checking the command line with TCG (-cpu host as max) instead\n", xml_name,
                kvm_refused(said) ? "this host's KVM refused what the line asks of it (a host limit)"
                                  : "QEMU refused the line under KVM");
        r = run_qemu_with(dir, xml_name, qemu, false, &said_tcg);
        if (r < 0 && needs_kvm(said_tcg))
                return not_without_kvm(xml_name);
        if (r != 0)
                return r;
        fprintf(stderr, "  %s: accepted under TCG\n", xml_name);
        return 2;
}

static void test_qemu_accepts_golden_argv(void) {
        _cleanup_free_ char *qemu = find_qemu();
        _cleanup_strv_free_ char **xmls = NULL;
        const char *dir = data_dir();
        bool kvm = kvm_usable();

        size_t ran = 0, tcg_only = 0;

        if (!qemu)
                UNIT_SKIP("qemu-system-x86_64 is not installed");
        CHECK(list_files(dir, ".xml", &xmls) == 0);
        for (char **x = xmls; x && *x; x++) {
                int r = run_golden(dir, *x, qemu, kvm);
                if (r < 0)
                        fprintf(stderr, "  %s: %s\n", *x, strerror(-r));
                CHECK(r >= 0);
                ran += r == 0 || r == 2;
                tcg_only += r == 2;
        }
        fprintf(stderr, "  QEMU (%s) accepted %zu of %zu command lines%s%s\n", kvm ? "kvm" : "tcg", ran,
                strv_length(xmls), tcg_only ? ", some only under TCG (see above)" : "",
                ran < strv_length(xmls) ? " (see above for those not run)" : "");
}

UNIT_TESTS(test_qemu_accepts_golden_argv)
