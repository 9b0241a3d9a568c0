/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <hostdev> in a QEMU guest: the define-time rules and the host side at
 * start (qemu-hostdev.h). The command line is qemu-command-hostdev.c. */
#include <dirent.h>
#include <unistd.h>

#include "error.h"
#include "qemu-command.h"
#include "qemu-hostdev.h"
#include "qemu-hostdev-vf.h"
#include "util.h"
#include "xml-util.h"

static const char *type_name(const DomainHostdevDef *h) {
        return domain_hostdev_type_to_string(h->type) ?: "?";
}

/* The address types a hostdev of each type may have in the guest. */
static bool address_fits(const DomainHostdevDef *h) {
        DomainAddressType t = h->addr.type;

        if (t == DOMAIN_ADDRESS_NONE)
                return true;
        switch (h->type) {
        case DOMAIN_HOSTDEV_USB:
                return t == DOMAIN_ADDRESS_USB;
        case DOMAIN_HOSTDEV_SCSI:
                return t == DOMAIN_ADDRESS_DRIVE;
        case DOMAIN_HOSTDEV_PCI:
                return t == DOMAIN_ADDRESS_PCI || t == DOMAIN_ADDRESS_UNASSIGNED;
        default:
                return t == DOMAIN_ADDRESS_PCI;
        }
}

static int validate_mdev(const DomainDef *def, const DomainHostdevDef *h, ConfError *err) {
        if (!streq_ptr(h->model, "vfio-pci"))
                return xml_err_unsupported(err, "mediated device model '%s' of <devices/hostdev> is not supported "
                                           "on x86, only 'vfio-pci' (mdev %s)", h->model ?: "", h->mdev_uuid);
        if (h->display == TRISTATE_ON && def->n_graphics == 0)
                return xml_err_unsupported(err, "graphics device is needed for attribute value 'display=on' in "
                                           "<hostdev> (mdev %s)", h->mdev_uuid);
        if (h->ramfb == TRISTATE_ON && h->display != TRISTATE_ON)
                return xml_err_unsupported(err, "ramfb='on' of <devices/hostdev> needs display='on' (mdev %s)",
                                           h->mdev_uuid);
        return 0;
}

static int validate_one(const DomainDef *def, const DomainHostdevDef *h, ConfError *err) {
        char what[160];

        domain_hostdev_describe(h, what, sizeof(what));
        if (h->mode != DOMAIN_HOSTDEV_MODE_SUBSYSTEM)
                return xml_err_unsupported(err, "the QEMU driver does not support <hostdev mode='capabilities'> "
                                           "(%s): it is for containers", what);
        if (!address_fits(h))
                return xml_err_unsupported(err, "address type '%s' of <devices/hostdev/address> is not supported "
                                           "for a hostdev of type '%s' (%s)",
                                           domain_address_type_to_string(h->addr.type) ?: "?", type_name(h), what);
        switch (h->type) {
        case DOMAIN_HOSTDEV_PCI:
                if (h->driver_name && !streq(h->driver_name, "vfio"))
                        return xml_err_unsupported(err, "PCI device assignment with <driver name='%s'/> is not "
                                                   "supported, only 'vfio' (%s)", h->driver_name, what);
                return 0;
        case DOMAIN_HOSTDEV_SCSI_HOST:
                if (h->boot_order)
                        return xml_err_unsupported(err, "booting from assigned devices is not supported by vhost "
                                                   "SCSI devices (%s)", what);
                return 0;
        case DOMAIN_HOSTDEV_MDEV:
                return validate_mdev(def, h, err);
        default:
                return 0;
        }
}

int qemu_hostdev_validate(const DomainDef *def, ConfError *err) {
        size_t ramfb = 0;

        for (size_t i = 0; i < def->n_hostdevs; i++) {
                int r = validate_one(def, &def->hostdevs[i], err);
                if (r < 0)
                        return r;
                ramfb += def->hostdevs[i].ramfb == TRISTATE_ON;
        }
        if (ramfb > 1)
                return xml_err_unsupported(err, "only one mediated device <devices/hostdev> can have ramfb='on'");
        return 0;
}

bool qemu_hostdev_needs_usb(const DomainDef *def) {
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i].type == DOMAIN_HOSTDEV_USB)
                        return true;
        return false;
}

/* ---- the host side, at start ---- */

static int no_device(ConfError *err, const char *what, const char *path, const char *why) {
        conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: host device %s of <devices/hostdev> is "
                       "not on this host: %s %s", what, path, why);
        return -ENODEV;
}

static int check_pci(const DomainHostdevDef *h, const char *sysfs, const char *what, ConfError *err) {
        _cleanup_free_ char *dev = NULL, *drv = NULL, *link = NULL;
        const char *name;

        if (asprintf(&dev, "%s/bus/pci/devices/%04x:%02x:%02x.%x", sysfs, h->pci_domain, h->pci_bus,
                     h->pci_slot, h->pci_function) < 0 || asprintf(&drv, "%s/driver", dev) < 0)
                return -ENOMEM;
        if (access(dev, F_OK) < 0)
                return no_device(err, what, dev, "does not exist");
        link = realpath(drv, NULL);
        name = link ? strrchr(link, '/') + 1 : NULL;
        if (!streq_ptr(name, "vfio-pci")) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: host device %s of "
                               "<devices/hostdev> is bound to '%s', not 'vfio-pci': qemud does not rebind host "
                               "drivers, bind it to vfio-pci first", what, name ?: "no driver");
                return -EBUSY;
        }
        return 0;
}

/* A USB device by vendor and product: some /sys/bus/usb/devices/X with
 * those ids (and that bus and device, when given too). */
static bool usb_id_matches(const char *dir, const DomainHostdevDef *h) {
        _cleanup_free_ char *v = NULL, *p = NULL, *vp = NULL, *pp = NULL;

        if (asprintf(&vp, "%s/idVendor", dir) < 0 || asprintf(&pp, "%s/idProduct", dir) < 0)
                return false;
        if (read_full_file(vp, 64, &v, NULL) < 0 || read_full_file(pp, 64, &p, NULL) < 0)
                return false;
        return strtoul(v, NULL, 16) == h->usb_vendor && strtoul(p, NULL, 16) == h->usb_product;
}

static int check_usb(const DomainHostdevDef *h, const char *sysfs, const char *devroot, const char *what,
                     ConfError *err) {
        _cleanup_free_ char *path = NULL;
        DIR *d;
        bool found = false;

        if (h->has_usb_address) {
                if (asprintf(&path, "%s/bus/usb/%03u/%03u", devroot, h->usb_bus, h->usb_device) < 0)
                        return -ENOMEM;
                return access(path, F_OK) < 0 ? no_device(err, what, path, "does not exist") : 0;
        }
        if (asprintf(&path, "%s/bus/usb/devices", sysfs) < 0)
                return -ENOMEM;
        d = opendir(path);
        for (struct dirent *de; d && !found && (de = readdir(d));) {
                _cleanup_free_ char *sub = NULL;

                if (de->d_name[0] != '.' && asprintf(&sub, "%s/%s", path, de->d_name) >= 0)
                        found = usb_id_matches(sub, h);
        }
        if (d)
                closedir(d);
        return found ? 0 : no_device(err, what, path, "lists no device with that vendor and product");
}

/* scsi_hostN:B:T:U is /sys/bus/scsi/devices/N:B:T:U; its generic node
 * is the one entry of its scsi_generic directory. */
static int check_scsi(const DomainHostdevDef *h, const char *sysfs, const char *devroot, const char *what,
                      char **ret, ConfError *err) {
        _cleanup_free_ char *dir = NULL;
        unsigned host;
        DIR *d;

        if (sscanf(h->scsi_adapter, "scsi_host%u", &host) != 1)
                return no_device(err, what, h->scsi_adapter, "is no adapter name of the form scsi_hostN");
        if (asprintf(&dir, "%s/bus/scsi/devices/%u:%u:%u:%u/scsi_generic", sysfs, host, h->scsi_bus,
                     h->scsi_target, h->scsi_unit) < 0)
                return -ENOMEM;
        d = opendir(dir);
        for (struct dirent *de; d && (de = readdir(d));)
                if (de->d_name[0] != '.') {
                        int r = asprintf(ret, "%s/%s", devroot, de->d_name);
                        closedir(d);
                        return r < 0 ? -ENOMEM : 0;
                }
        if (d)
                closedir(d);
        return no_device(err, what, dir, "does not exist (no such LUN, or the sg module is not loaded)");
}

static int check_path(const char *root, const char *fmt_rest, const char *arg, const char *what, ConfError *err) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s%s%s", root, fmt_rest, arg) < 0)
                return -ENOMEM;
        return access(path, F_OK) < 0 ? no_device(err, what, path, "does not exist") : 0;
}

/* <interface type='hostdev'>: libvirt takes only an SR-IOV VF, whose MAC
 * and VLAN it sets through its PF. */
static int check_is_vf(const DomainHostdevDef *h, const char *sysfs, const char *what, ConfError *err) {
        _cleanup_free_ char *physfn = NULL;
        int r = check_pci(h, sysfs, what, err);

        if (r < 0)
                return r;
        if (asprintf(&physfn, "%s/bus/pci/devices/%04x:%02x:%02x.%x/physfn", sysfs, h->pci_domain, h->pci_bus,
                     h->pci_slot, h->pci_function) < 0)
                return -ENOMEM;
        if (access(physfn, F_OK) < 0) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: host device %s is not "
                               "an SR-IOV virtual function (%s does not exist): an interface of type 'hostdev' "
                               "must be one", what, physfn);
                return -EOPNOTSUPP;
        }
        return 0;
}

static void describe_vf(const DomainHostdevDef *h, char *what, size_t size) {
        domain_hostdev_describe(h, what, size);
        strncat(what, " (the VF of an <interface type='hostdev'>)", size - strlen(what) - 1);
}

/* The start sets the VF's MAC and VLAN through its PF (qemu-hostdev-vf.c):
 * a VLAN it cannot take, or a PF sysfs does not show, is named before
 * anything on the host changes. */
static int check_vf(const DomainHostdevDef *h, const char *sysfs, const char *what, ConfError *err) {
        QemuVf v;
        int r = check_is_vf(h, sysfs, what, err);

        if (r >= 0)
                r = qemu_hostdev_vf_validate(h, err);
        return r < 0 ? r : qemu_hostdev_vf_find(h, sysfs, &v, err);
}

int qemu_hostdev_check_vf(const DomainHostdevDef *h, const char *sysfs_root, ConfError *err) {
        char what[200];

        describe_vf(h, what, sizeof(what));
        return check_vf(h, sysfs_root, what, err);
}

static int check_one(const DomainHostdevDef *h, const char *sysfs, const char *devroot, char **ret_path,
                     ConfError *err) {
        char what[200];

        if (h->net.is_interface) {
                describe_vf(h, what, sizeof(what));
                return check_vf(h, sysfs, what, err);
        }
        domain_hostdev_describe(h, what, sizeof(what));
        switch (h->type) {
        case DOMAIN_HOSTDEV_PCI:
                return check_pci(h, sysfs, what, err);
        case DOMAIN_HOSTDEV_USB:
                return check_usb(h, sysfs, devroot, what, err);
        case DOMAIN_HOSTDEV_SCSI:
                /* an iSCSI LUN is QEMU's to reach: its error names the portal */
                return h->iscsi ? 0 : check_scsi(h, sysfs, devroot, what, ret_path, err);
        case DOMAIN_HOSTDEV_SCSI_HOST:
                return check_path(devroot, "/vhost-scsi", "", what, err);
        case DOMAIN_HOSTDEV_MDEV:
                return check_path(sysfs, "/bus/mdev/devices/", h->mdev_uuid, what, err);
        default:
                return -EOPNOTSUPP;
        }
}

void qemu_hostdev_paths_free(char **paths, size_t n) {
        for (size_t i = 0; paths && i < n; i++)
                free(paths[i]);
        free(paths);
}

int qemu_hostdev_prepare(const DomainDef *def, const char *sysfs_root, const char *dev_root, char ***ret_paths,
                         ConfError *err) {
        char **paths = calloc(def->n_hostdevs + 1, sizeof(char *));

        if (!paths)
                return -ENOMEM;
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                int r = check_one(&def->hostdevs[i], sysfs_root, dev_root, &paths[i], err);
                if (r < 0) {
                        qemu_hostdev_paths_free(paths, def->n_hostdevs);
                        return r;
                }
        }
        *ret_paths = paths;
        return 0;
}

/* The /dev/sgN of each SCSI hostdev of def; "" for one the host lacks, but
 * the one plugged. */
static int scsi_paths(const DomainDef *def, size_t index, const char *sysfs_root, const char *dev_root, bool plug,
                      char **paths, ConfError *err) {
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                const DomainHostdevDef *h = &def->hostdevs[i];
                ConfError ignored = {};
                char what[200];
                int r;

                if (h->type != DOMAIN_HOSTDEV_SCSI || h->iscsi)
                        continue;
                domain_hostdev_describe(h, what, sizeof(what));
                r = check_scsi(h, sysfs_root, dev_root, what, &paths[i], i == index ? err : &ignored);
                if (r == -ENOMEM || (r < 0 && plug && i == index))
                        return r;
                if (r < 0 && !(paths[i] = strdup("")))
                        return -ENOMEM;
        }
        return 0;
}

int qemu_hostdev_props(const DomainDef *def, const QemuCaps *caps, size_t index, const char *sysfs_root,
                       const char *dev_root, bool plug, QemuDeviceProps *ret, ConfError *err) {
        QemuCommandParams params = { .monitor_fd = -1, .n_hostdev_paths = def->n_hostdevs };
        char **paths = calloc(def->n_hostdevs + 1, sizeof(char *));
        int r;

        if (!paths)
                return -ENOMEM;
        r = scsi_paths(def, index, sysfs_root, dev_root, plug, paths, err);
        if (r >= 0) {
                params.hostdev_paths = paths;
                r = qemu_device_props_params(def, caps, &params, QEMU_DEVICE_HOSTDEV, index, ret, err);
        }
        qemu_hostdev_paths_free(paths, def->n_hostdevs);
        return r;
}
