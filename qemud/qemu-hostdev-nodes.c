/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The nodes below /dev of a guest's host devices (qemu-hostdev-nodes.h). */
#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include "qemu-hostdev-nodes.h"
#include "util.h"

const char *qemu_hostdev_sysfs_root(void) {
        const char *root = getenv("VIRTBUS_HOSTDEV_SYSFS");

        return root && *root ? root : "/sys";
}

static int add(char ***l, const char *path) {
        for (size_t i = 0; *l && (*l)[i]; i++)
                if (streq((*l)[i], path))
                        return 0;
        return strv_extend(l, path);
}

/* dir/iommu_group links to .../kernel/iommu_groups/<N>: VFIO's node is
 * /dev/vfio/<N>, beside the container every VFIO user opens. */
static int add_vfio(char ***l, const char *dir) {
        _cleanup_free_ char *link = NULL, *node = NULL;
        char target[PATH_MAX];
        ssize_t n;
        int r = add(l, QEMU_VFIO_CONTAINER);

        if (r < 0 || asprintf(&link, "%s/iommu_group", dir) < 0)
                return r < 0 ? r : -ENOMEM;
        n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
                return 0;
        target[n] = '\0';
        if (asprintf(&node, "/dev/vfio/%s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target) < 0)
                return -ENOMEM;
        return add(l, node);
}

static int add_pci(char ***l, const DomainHostdevDef *h, const char *sysfs) {
        _cleanup_free_ char *dir = NULL;

        if (asprintf(&dir, "%s/bus/pci/devices/%04x:%02x:%02x.%x", sysfs, h->pci_domain, h->pci_bus, h->pci_slot,
                     h->pci_function) < 0)
                return -ENOMEM;
        return add_vfio(l, dir);
}

static int add_mdev(char ***l, const DomainHostdevDef *h, const char *sysfs) {
        _cleanup_free_ char *dir = NULL;

        if (!h->mdev_uuid)
                return 0;
        if (asprintf(&dir, "%s/bus/mdev/devices/%s", sysfs, h->mdev_uuid) < 0)
                return -ENOMEM;
        return add_vfio(l, dir);
}

static unsigned read_number(const char *dir, const char *file, int base) {
        _cleanup_free_ char *path = NULL, *text = NULL;

        if (asprintf(&path, "%s/%s", dir, file) < 0 || read_full_file(path, 64, &text, NULL) < 0)
                return 0;
        return (unsigned) strtoul(text, NULL, base);
}

/* A USB device given by vendor and product: the first sysfs device with
 * those ids, as qemu_hostdev_prepare() finds it. */
static int usb_address(const DomainHostdevDef *h, const char *sysfs, unsigned *bus, unsigned *dev) {
        _cleanup_free_ char *path = NULL;
        DIR *d;
        int r = -ENODEV;

        if (asprintf(&path, "%s/bus/usb/devices", sysfs) < 0)
                return -ENOMEM;
        d = opendir(path);
        for (struct dirent *de; d && r == -ENODEV && (de = readdir(d));) {
                _cleanup_free_ char *sub = NULL;

                if (de->d_name[0] == '.' || asprintf(&sub, "%s/%s", path, de->d_name) < 0)
                        continue;
                if (read_number(sub, "idVendor", 16) != h->usb_vendor ||
                    read_number(sub, "idProduct", 16) != h->usb_product)
                        continue;
                *bus = read_number(sub, "busnum", 10);
                *dev = read_number(sub, "devnum", 10);
                if (*bus && *dev)
                        r = 0;
        }
        if (d)
                closedir(d);
        return r;
}

static int add_usb(char ***l, const DomainHostdevDef *h, const char *sysfs) {
        unsigned bus = h->usb_bus, dev = h->usb_device;
        char node[64];

        if (!h->has_usb_address && usb_address(h, sysfs, &bus, &dev) < 0)
                return 0;
        snprintf(node, sizeof(node), "/dev/bus/usb/%03u/%03u", bus, dev);
        return add(l, node);
}

static int add_scsi(char ***l, const DomainHostdevDef *h, const char *sysfs) {
        _cleanup_free_ char *dir = NULL, *node = NULL;
        unsigned host;
        DIR *d;
        int r = 0;

        if (!h->scsi_adapter || sscanf(h->scsi_adapter, "scsi_host%u", &host) != 1)
                return 0;
        if (asprintf(&dir, "%s/bus/scsi/devices/%u:%u:%u:%u/scsi_generic", sysfs, host, h->scsi_bus,
                     h->scsi_target, h->scsi_unit) < 0)
                return -ENOMEM;
        d = opendir(dir);
        for (struct dirent *de; d && !node && (de = readdir(d));)
                if (de->d_name[0] != '.' && asprintf(&node, "/dev/%s", de->d_name) < 0)
                        r = -ENOMEM;
        if (d)
                closedir(d);
        return r < 0 || !node ? r : add(l, node);
}

static int add_hostdev(char ***l, const DomainHostdevDef *h, const char *sysfs) {
        if (h->mode != DOMAIN_HOSTDEV_MODE_SUBSYSTEM)
                return 0;
        switch (h->type) {
        case DOMAIN_HOSTDEV_PCI:
                return add_pci(l, h, sysfs);
        case DOMAIN_HOSTDEV_MDEV:
                return add_mdev(l, h, sysfs);
        case DOMAIN_HOSTDEV_USB:
                return add_usb(l, h, sysfs);
        case DOMAIN_HOSTDEV_SCSI:
                return add_scsi(l, h, sysfs);
        case DOMAIN_HOSTDEV_SCSI_HOST:
                return add(l, "/dev/vhost-scsi");
        default:
                return 0;
        }
}

int qemu_hostdev_nodes(const DomainDef *def, const char *sysfs_root, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < def->n_hostdevs; i++)
                r = add_hostdev(&l, &def->hostdevs[i], sysfs_root);
        for (size_t i = 0; r >= 0 && i < def->n_tpms; i++)
                if (def->tpms[i].backend == DOMAIN_TPM_PASSTHROUGH)
                        r = add(&l, def->tpms[i].path ?: "/dev/tpm0");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int qemu_hostdev_nodes_own(const DomainDef *def, size_t index, const char *sysfs_root, char ***ret) {
        DomainDef one = { .hostdevs = def->hostdevs + index, .n_hostdevs = 1 };
        DomainDef rest = { .tpms = def->tpms, .n_tpms = def->n_tpms };
        _cleanup_strv_free_ char **mine = NULL, **theirs = NULL, **l = NULL;
        _cleanup_free_ DomainHostdevDef *others = NULL;
        int r;

        if (index >= def->n_hostdevs)
                return -ENOENT;
        /* a view of the others, not a copy: only read here */
        others = calloc(def->n_hostdevs, sizeof(*others));
        if (!others)
                return -ENOMEM;
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (i != index)
                        others[rest.n_hostdevs++] = def->hostdevs[i];
        rest.hostdevs = others;
        r = qemu_hostdev_nodes(&one, sysfs_root, &mine);
        if (r >= 0)
                r = qemu_hostdev_nodes(&rest, sysfs_root, &theirs);
        for (size_t i = 0; r >= 0 && mine && mine[i]; i++)
                if (!strv_contains(theirs, mine[i]))
                        r = strv_extend(&l, mine[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}
