/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lxc-nbd.h"
#include "lxc-validate.h"
#include "error.h"
#include "util.h"
#include "xml-util.h"

static int validate_kind(const DomainDef *def, ConfError *err) {
        if (def->virt_type != DOMAIN_VIRT_LXC)
                return xml_err_unsupported(err, "the LXC driver does not support <domain type='%s'>: only 'lxc'",
                                           domain_virt_type_to_string(def->virt_type));
        if (def->os.type && !streq(def->os.type, "exe"))
                return xml_err_unsupported(err, "the LXC driver does not support <os><type>%s</type>: only 'exe'",
                                           def->os.type);
        if (def->os.kernel || def->os.initrd || def->os.loader)
                return xml_err_unsupported(err, "the LXC driver does not support <os><kernel>, <initrd> or "
                                           "<loader>: a container runs an <init>");
        return 0;
}

/* Devices of a virtual machine the shared model parses: a container has
 * no guest memory to add to, no TPM or USB bus of its own. Refused
 * rather than ignored, so that a definition never says more than runs. */
static int validate_machine_devices(const DomainDef *def, ConfError *err) {
        if (def->n_mems > 0)
                return xml_err_unsupported(err, "<devices/memory model='%s'> is not supported by the LXC driver",
                                           domain_memory_model_to_string(def->mems[0].model) ?: "?");
        if (def->n_tpms > 0)
                return xml_err_unsupported(err, "<devices/tpm> (backend '%s') is not supported by the LXC driver",
                                           domain_tpm_backend_to_string(def->tpms[0].backend) ?: "?");
        if (def->n_hubs > 0)
                return xml_err_unsupported(err, "<devices/hub type='usb'> is not supported by the LXC driver");
        if (def->n_smartcards > 0)
                return xml_err_unsupported(err, "<devices/smartcard> is not supported by the LXC driver");
        if (def->n_leases > 0) /* lxcd takes no leases: not held is not kept */
                return xml_err_unsupported(err, "<devices/lease> is not supported by the LXC driver (lockspace "
                                           "'%s' key '%s')", def->leases[0].lockspace, def->leases[0].key);
        if (def->n_shmems > 0)
                return xml_err_unsupported(err, "<devices/shmem> is not supported by the LXC driver: it is a "
                                           "machine's ivshmem device");
        if (def->has_genid)
                return xml_err_unsupported(err, "<genid> is not supported by the LXC driver: a container has no "
                                           "VM generation ID");
        if (def->launch_security.type != DOMAIN_LSEC_NONE)
                return xml_err_unsupported(err, "<launchSecurity> is not supported by the LXC driver: a container "
                                           "has no guest memory to encrypt");
        if (def->n_sysinfos > 0 || def->os.smbios_mode != DOMAIN_SMBIOS_NONE)
                return xml_err_unsupported(err, "<sysinfo> and <os><smbios> are not supported by the LXC driver: a "
                                           "container has no firmware tables");
        if (def->qemu_args || def->qemu_env)
                return xml_err_unsupported(err, "<qemu:commandline> is not supported by the LXC driver: it runs "
                                           "no QEMU");
        return 0;
}

/* Devices a container has no use for, each named as libvirt's LXC
 * driver names them. */

/* Every container has one console, a pty the supervisor copies to the log
 * and OpenConsole reaches: <console type='pty'> names it, as libvirt's LXC
 * driver has it. Anything else has no place here. */
static int check_consoles(const DomainDef *def, ConfError *err) {
        size_t consoles = 0;

        for (size_t i = 0; i < def->n_chrs; i++) {
                const DomainChrDef *c = &def->chrs[i];

                if (c->kind != DOMAIN_CHR_CONSOLE || c->type != DOMAIN_CHR_PTY)
                        return xml_err_unsupported(err, "the LXC driver does not support <devices/%s> of type '%s': "
                                                   "a container has one console, <console type='pty'>, and it "
                                                   "goes to its log", domain_chr_kind_to_string(c->kind),
                                                   domain_chr_type_to_string(c->type));
                if (c->target_type && !streq(c->target_type, "lxc"))
                        return xml_err_unsupported(err, "console target type '%s' is not supported by the LXC "
                                                   "driver: only 'lxc'", c->target_type);
                if (++consoles > 1)
                        return xml_err_unsupported(err, "the LXC driver gives a container one console: "
                                                   "<console> %zu is one too many", consoles);
        }
        return 0;
}

static int validate_devices(const DomainDef *def, ConfError *err) {
        int r;

        if (def->n_disks > 0)
                return xml_err_unsupported(err, "the LXC driver does not support <devices/disk> (target '%s'): "
                                           "only <filesystem>", def->disks[0].dst ?: "");
        if (def->n_graphics > 0)
                return xml_err_unsupported(err, "the LXC driver does not support <devices/graphics>");
        if (def->n_videos > 0)
                return xml_err_unsupported(err, "the LXC driver does not support <devices/video>");
        if (def->n_sounds > 0)
                return xml_err_unsupported(err, "the LXC driver does not support <devices/sound>");
        if (def->n_redirdevs > 0)
                return xml_err_unsupported(err, "the LXC driver does not support <devices/redirdev>");
        if (def->n_rngs > 0)
                return xml_err_unsupported(err, "the LXC driver does not support <devices/rng>");
        if (def->memballoon.present && !streq_ptr(def->memballoon.model, "none"))
                return xml_err_unsupported(err, "the LXC driver does not support <devices/memballoon>");
        if (def->watchdog.present)
                return xml_err_unsupported(err, "the LXC driver does not support <devices/watchdog>");
        if (def->n_panics > 0)
                return xml_err_unsupported(err, "the LXC driver does not support <devices/panic>");
        if ((r = validate_machine_devices(def, err)) < 0)
                return r;
        if (def->iommu.present)
                return xml_err_unsupported(err, "the LXC driver does not support <devices/iommu>");
        if (def->vsock.present)
                return xml_err_unsupported(err, "the LXC driver does not support <devices/vsock>");
        for (size_t i = 0; i < def->n_nets; i++) {
                const DomainNetDef *net = &def->nets[i];
                if (net->type != DOMAIN_NET_NETWORK && net->type != DOMAIN_NET_BRIDGE &&
                    net->type != DOMAIN_NET_ETHERNET)
                        return xml_err_unsupported(err, "the LXC driver does not support <interface type='%s'>: "
                                                   "only 'network', 'bridge' and 'ethernet'",
                                                   domain_net_type_to_string(net->type));
                /* a veth has no virtio transport, no option ROM */
                if (domain_rom_set(&net->rom))
                        return xml_err_unsupported(err, "the LXC driver does not support <interface/rom>");
                if (domain_virtio_opts_set(&net->virtio))
                        return xml_err_unsupported(err, "the LXC driver does not support iommu, ats, packed or "
                                                   "page_per_vq in <interface/driver>");
                if (net->ifname && strlen(net->ifname) > 15)
                        return xml_err_invalid(err, "invalid interface name '%s' in <interface/target dev>: at "
                                               "most 15 characters", net->ifname);
                for (size_t j = 0; j < i; j++) {
                        char a[32], b[32];
                        snprintf(a, sizeof(a), "%s", net->guest_ifname ?: "");
                        snprintf(b, sizeof(b), "%s", def->nets[j].guest_ifname ?: "");
                        if (!*a)
                                snprintf(a, sizeof(a), "eth%zu", i);
                        if (!*b)
                                snprintf(b, sizeof(b), "eth%zu", j);
                        if (streq(a, b))
                                return xml_err_invalid(err, "interfaces %zu and %zu are both named '%s' in the "
                                                       "container", j, i, a);
                }
        }
        return check_consoles(def, err);
}

static bool has_dotdot(const char *path) {
        for (const char *p = path; (p = strstr(p, "..")); p += 2)
                if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
                        return true;
        return false;
}

/* <driver> of an image file: a loop device (raw only) or qemu-nbd (any
 * format it reads), as libvirt's LXC driver. */
static int validate_fs_driver(const DomainFsDef *fs, ConfError *err) {
        if (domain_virtio_opts_set(&fs->virtio))
                return xml_err_unsupported(err, "the LXC driver does not support iommu, ats, packed or page_per_vq "
                                           "in <filesystem/driver> (target dir '%s')", fs->dst ?: "");
        /* a machine's 9p share options */
        if (fs->driver_wrpolicy || fs->fmode || fs->dmode || fs->multidevs || fs->addr.type != DOMAIN_ADDRESS_NONE)
                return xml_err_unsupported(err, "the LXC driver does not support wrpolicy, fmode, dmode, multidevs "
                                           "or <address> in <filesystem> (target dir '%s'): they are QEMU's",
                                           fs->dst ?: "");
        if (!fs->driver_type && !fs->driver_format)
                return 0;
        if (fs->type != DOMAIN_FS_FILE)
                return xml_err_unsupported(err, "the LXC driver does not support <driver> for <filesystem type='%s'> "
                                           "(target dir '%s'): only for 'file'", domain_fs_type_to_string(fs->type),
                                           fs->dst ?: "");
        if (fs->driver_type && !streq(fs->driver_type, "loop") && !streq(fs->driver_type, "nbd"))
                return xml_err_unsupported(err, "the LXC driver does not support <driver type='%s'> (target dir "
                                           "'%s'): only 'loop' and 'nbd'", fs->driver_type, fs->dst ?: "");
        if (!streq_ptr(fs->driver_type, "nbd") && fs->driver_format && !streq(fs->driver_format, "raw"))
                return xml_err_unsupported(err, "the LXC driver does not support <driver type='loop' format='%s'> "
                                           "(target dir '%s'): a loop device takes 'raw' only, "
                                           "use type='nbd' for other formats", fs->driver_format, fs->dst ?: "");
        return 0;
}

static int validate_filesystems(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_filesystems; i++) {
                const DomainFsDef *fs = &def->filesystems[i];
                int r;

                if (fs->type != DOMAIN_FS_MOUNT && fs->type != DOMAIN_FS_RAM && fs->type != DOMAIN_FS_FILE &&
                    fs->type != DOMAIN_FS_BLOCK)
                        return xml_err_unsupported(err, "the LXC driver does not support <filesystem type='%s'> "
                                                   "(target dir '%s'): only 'mount', 'ram', 'file' and 'block'",
                                                   domain_fs_type_to_string(fs->type), fs->dst ?: "");
                if (!fs->dst || fs->dst[0] != '/' || has_dotdot(fs->dst))
                        return xml_err_invalid(err, "<filesystem> target dir '%s' must be an absolute path "
                                               "without '..'", fs->dst ?: "");
                if (fs->type != DOMAIN_FS_RAM && (!fs->src || fs->src[0] != '/' || has_dotdot(fs->src)))
                        return xml_err_invalid(err, "<filesystem> source %s '%s' (target '%s') must be an "
                                               "absolute path without '..'",
                                               fs->type == DOMAIN_FS_MOUNT ? "dir" :
                                               fs->type == DOMAIN_FS_FILE ? "file" : "dev",
                                               fs->src ?: "", fs->dst);
                if (fs->type == DOMAIN_FS_RAM && streq(fs->dst, "/"))
                        return xml_err_unsupported(err, "a <filesystem type='ram'> cannot be the root '/'");
                if ((r = validate_fs_driver(fs, err)) < 0)
                        return r;
        }
        return 0;
}

/* A container takes the host's nodes and interfaces (capabilities), as
 * libvirt's LXC driver; no bus device is passed through here. */
static int validate_hostdevs(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                const DomainHostdevDef *h = &def->hostdevs[i];
                char what[160];

                domain_hostdev_describe(h, what, sizeof(what));
                if (h->mode != DOMAIN_HOSTDEV_MODE_CAPABILITIES)
                        return xml_err_unsupported(err, "the LXC driver does not support <hostdev mode='%s' "
                                                   "type='%s'> (%s): only mode 'capabilities'",
                                                   domain_hostdev_mode_to_string(h->mode),
                                                   domain_hostdev_type_to_string(h->type), what);
                /* made in the container's own /dev: never a node elsewhere on the host */
                if (h->caps_path && (!(strncmp(h->caps_path, "/dev/", 5) == 0) || has_dotdot(h->caps_path)))
                        return xml_err_unsupported(err, "the LXC driver does not support the device '%s' of "
                                                   "<hostdev type='%s'>: only a node under /dev, without '..'",
                                                   h->caps_path, domain_hostdev_type_to_string(h->type));
                if (h->caps_path && (streq(h->caps_path, "/dev/console") || strncmp(h->caps_path, "/dev/pts/", 9) == 0))
                        return xml_err_unsupported(err, "the LXC driver does not support the device '%s' of "
                                                   "<hostdev>: the container has its own", h->caps_path);
        }
        return 0;
}

int lxc_validate_def(const DomainDef *def, ConfError *err) {
        int r;

        if ((r = validate_kind(def, err)) < 0 || (r = validate_devices(def, err)) < 0 ||
            (r = validate_filesystems(def, err)) < 0 || (r = validate_hostdevs(def, err)) < 0)
                return r;
        if (def->os.init && (def->os.init[0] != '/' || has_dotdot(def->os.init)))
                return xml_err_invalid(err, "<os/init> '%s' must be an absolute path without '..'", def->os.init);
        return 0;
}

static int require_dir(const char *path, const char *what, const char *dst, ConfError *err) {
        struct stat st;
        int r = stat(path, &st) < 0 ? -errno : 0;

        if (r < 0 || !S_ISDIR(st.st_mode)) {
                bool missing = r == -ENOENT;
                conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: %s '%s' (target '%s') %s", what, path,
                               dst, missing ? "does not exist" : "is not a directory");
                return -ENOENT;
        }
        return 0;
}

/* A file's image must be a regular file, a block's source a block device. */
static int require_image(const LxcMount *mt, ConfError *err) {
        bool file = mt->kind == LXC_MOUNT_FILE;
        struct stat st;
        int r = stat(mt->src, &st) < 0 ? -errno : 0;

        if (r < 0 || (file ? !S_ISREG(st.st_mode) : !S_ISBLK(st.st_mode))) {
                bool missing = r == -ENOENT;
                conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: the filesystem source %s '%s' "
                               "(target '%s') %s", file ? "file" : "dev", mt->src, mt->dst,
                               missing ? "does not exist" : file ? "is not a regular file" : "is not a block device");
                return -ENOENT;
        }
        return 0;
}

static int require_sources(const LxcPlan *p, ConfError *err) {
        int r = 0;

        for (size_t i = 0; i < p->n_mounts && r >= 0; i++) {
                const LxcMount *mt = &p->mounts[i];
                if (mt->kind == LXC_MOUNT_BIND)
                        r = require_dir(mt->src, "the filesystem source", mt->dst, err);
                else if (mt->kind == LXC_MOUNT_FILE || mt->kind == LXC_MOUNT_BLOCK)
                        r = require_image(mt, err);
        }
        return r;
}

/* Each node of a <hostdev> is there, of its type; each interface is on
 * the host (one in another container is not: the caller asks first). */
static int require_hostdevs(const LxcPlan *p, ConfError *err) {
        for (size_t i = 0; i < p->n_nodes; i++) {
                const LxcDevNode *n = &p->nodes[i];
                struct stat st;
                int r = stat(n->path, &st) < 0 ? -errno : 0;

                if (r < 0 || (n->block ? !S_ISBLK(st.st_mode) : !S_ISCHR(st.st_mode))) {
                        conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: the host device '%s' of "
                                       "<hostdev type='%s'> %s", n->path, n->block ? "storage" : "misc",
                                       r == -ENOENT ? "does not exist" :
                                       n->block ? "is not a block device" : "is not a character device");
                        return -ENOENT;
                }
        }
        for (size_t i = 0; i < p->n_hostnets; i++)
                if (if_nametoindex(p->hostnets[i].peer) == 0) {
                        conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: the host interface '%s' of "
                                       "<hostdev type='net'> does not exist", p->hostnets[i].peer);
                        return -ENODEV;
                }
        return 0;
}

/* The kernel mounts no block filesystem from inside a user namespace
 * (their types lack FS_USERNS_MOUNT): it would answer EPERM from the
 * init's mount, naming nothing. */
static int nbd_available(const LxcPlan *p, ConfError *err) {
        int r;

        for (size_t i = 0; i < p->n_mounts; i++) {
                const LxcMount *mt = &p->mounts[i];
                if (!mt->nbd_format || (r = lxc_nbd_available()) >= 0)
                        continue;
                conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: <filesystem type='file'> "
                               "source '%s' (target '%s') with <driver type='nbd'> needs %s", mt->src, mt->dst,
                               r == -ENODEV ? "the host's nbd devices (/dev/nbd0: the nbd kernel module)"
                                            : "qemu-nbd (/usr/bin/qemu-nbd, qemu-utils)");
                return r;
        }
        return 0;
}

static int images_outside_userns(const LxcPlan *p, ConfError *err) {
        if (!p->uid_map)
                return 0;
        for (size_t i = 0; i < p->n_mounts; i++) {
                const LxcMount *mt = &p->mounts[i];
                if (mt->kind != LXC_MOUNT_FILE && mt->kind != LXC_MOUNT_BLOCK)
                        continue;
                conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: <filesystem type='%s'> "
                               "source '%s' (target '%s') cannot be mounted in a container with <idmap>: the kernel "
                               "mounts no image or block device from inside a user namespace",
                               mt->kind == LXC_MOUNT_FILE ? "file" : "block", mt->src, mt->dst);
                return -EPERM;
        }
        return 0;
}

int lxc_validate_host(const LxcPlan *p, ConfError *err) {
        _cleanup_free_ char *init = NULL;
        struct stat st;
        int r;

        if ((r = images_outside_userns(p, err)) < 0 || (r = nbd_available(p, err)) < 0)
                return r;
        if ((r = require_sources(p, err)) < 0 || (r = require_hostdevs(p, err)) < 0)
                return r;
        /* an image root is only seen once the init has mounted it */
        if (lxc_plan_root_image(p))
                return 0;
        if (p->root && (r = require_dir(p->root, "the root filesystem source", "/", err)) < 0)
                return r;
        init = lxc_plan_host_path(p, p->argv[0]);
        if (!init)
                return -ENOMEM;
        /* lstat is not enough: a busybox root has its init as a symlink */
        if (stat(init, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: the init '%s' %s in the container's root '%s'",
                               p->argv[0], errno == ENOENT ? "does not exist" : "is not an executable file",
                               p->root ?: "/");
                return -ENOENT;
        }
        return 0;
}
