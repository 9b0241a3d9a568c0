/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the QEMU command line tests share: a fixed QEMU (caps), the params
 * a driver would pass, the golden files, and looking into an argv. */

#include <dirent.h>
#include <json-c/json.h>

#include "domain-conf.h"
#include "error.h"
#include "qemu-address.h"
#include "qemu-caps.h"
#include "qemu-command.h"
#include "unit.h"
#include "util.h"

/* Each test file uses only some of these. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

/* ---- fixed inputs ---- */

static QemuMachine fake_machines[] = {
        { .name = (char *) "pc-i440fx-7.2", .alias = (char *) "pc", .is_default = true, .max_cpus = 255 },
        { .name = (char *) "pc-q35-7.2", .alias = (char *) "q35", .max_cpus = 288 },
};

static char *fake_cpu_models[] = {
        (char *) "qemu64", (char *) "Haswell-noTSX", (char *) "Skylake-Client", (char *) "EPYC",
        (char *) "max", (char *) "host", NULL,
};

static char *fake_devices[] = {
        (char *) "virtio-blk-pci", (char *) "scsi-hd", (char *) "scsi-cd", (char *) "ide-hd",
        (char *) "ide-cd", (char *) "ahci", (char *) "virtio-scsi-pci", (char *) "lsi53c895a",
        (char *) "qemu-xhci", (char *) "nec-usb-xhci", (char *) "piix3-usb-uhci", (char *) "piix4-usb-uhci",
        (char *) "usb-ehci", (char *) "ich9-usb-ehci1", (char *) "ich9-usb-uhci1", (char *) "ich9-usb-uhci2",
        (char *) "ich9-usb-uhci3", (char *) "pcie-root-port", (char *) "pci-bridge",
        (char *) "i82801b11-bridge", (char *) "pcie-pci-bridge", (char *) "x3130-upstream",
        (char *) "xio3130-downstream", (char *) "pxb", (char *) "pxb-pcie",
        (char *) "virtio-serial-pci", (char *) "virtconsole", (char *) "virtserialport", (char *) "isa-serial", (char *) "pci-serial", (char *) "isa-parallel", (char *) "isa-debugcon",
        (char *) "virtio-net-pci", (char *) "e1000", (char *) "e1000e", (char *) "rtl8139", (char *) "VGA",
        (char *) "cirrus-vga", (char *) "virtio-vga", (char *) "virtio-gpu-pci", (char *) "qxl-vga",
        (char *) "qxl", (char *) "bochs-display", (char *) "ramfb", (char *) "usb-tablet",
        (char *) "usb-mouse", (char *) "usb-kbd", (char *) "virtio-keyboard-pci", (char *) "virtio-mouse-pci",
        (char *) "virtio-tablet-pci", (char *) "virtio-balloon-pci", (char *) "virtio-rng-pci",
        (char *) "ich9-intel-hda", (char *) "intel-hda", (char *) "hda-duplex", (char *) "hda-micro",
        (char *) "hda-output", (char *) "AC97", (char *) "ES1370", (char *) "sb16", (char *) "usb-audio",
        (char *) "usb-redir", (char *) "i6300esb", (char *) "ib700", (char *) "pvpanic",
        (char *) "vhost-vsock-pci", (char *) "intel-iommu", (char *) "virtio-iommu-pci", (char *) "floppy",
        (char *) "isa-fdc",
        (char *) "vmgenid",
        (char *) "vhost-user-vga", (char *) "vhost-user-gpu-pci", (char *) "virtio-vga-gl", (char *) "virtio-gpu-gl-pci",
        (char *) "usb-ccid", (char *) "ccid-card-emulated", (char *) "ccid-card-passthru", (char *) "virtio-input-host-pci",
        (char *) "vmcoreinfo",
        (char *) "vfio-pci", (char *) "usb-host", (char *) "scsi-generic", (char *) "vhost-scsi-pci",
        (char *) "pc-dimm", (char *) "nvdimm", (char *) "virtio-mem-pci", (char *) "virtio-pmem-pci",
        (char *) "tpm-tis", (char *) "tpm-crb",
        (char *) "usb-hub", (char *) "usb-storage",
        (char *) "virtio-9p-pci", (char *) "vhost-user-fs-pci", (char *) "ivshmem-plain", (char *) "ivshmem-doorbell",
        (char *) "virtio-9p-pci-transitional", (char *) "virtio-9p-pci-non-transitional",
        (char *) "virtio-rng-pci-transitional", (char *) "virtio-rng-pci-non-transitional",
        (char *) "virtio-balloon-pci-transitional", (char *) "virtio-balloon-pci-non-transitional",
        (char *) "vhost-vsock-pci-transitional", (char *) "vhost-vsock-pci-non-transitional",
        (char *) "virtio-blk-pci-transitional", (char *) "virtio-blk-pci-non-transitional", (char *) "scsi-block",
        (char *) "vhost-user-blk-pci", (char *) "vhost-user-blk-pci-non-transitional",
        (char *) "virtio-net-pci-transitional", (char *) "virtio-net-pci-non-transitional",
        (char *) "virtio-scsi-pci-transitional", (char *) "virtio-scsi-pci-non-transitional",
        NULL,
};

static const QemuCaps fake_caps = {
        .binary = (char *) "/usr/bin/qemu-system-x86_64",
        .version = 7002000,
        .package = (char *) "Debian 1:7.2+dfsg-7",
        .arch = (char *) "x86_64",
        .kvm_available = true,
        .machines = fake_machines,
        .n_machines = ELEMENTSOF(fake_machines),
        .cpu_models = fake_cpu_models,
        .device_types = fake_devices,
};

#define TEST_ROOT "/srv/vbtest"
#define TEST_MONITOR_FD 3

static const int fake_tap_fds[] = { 20, 21, 22, 23, 24, 25, 26, 27 };
/* the other queues of multiqueue taps, in interface order */
static const int fake_tap_queue_fds[] = { 30, 31, 32, 33, 34, 35, 36, 37 };
static const int fake_graphics_ports[] = { 5901, 5902 };
/* The /dev/sgN qemu_hostdev_prepare() would find for hostdev i. */
static char *const fake_hostdev_paths[] = {
        (char *) "/dev/sg0", (char *) "/dev/sg1", (char *) "/dev/sg2", (char *) "/dev/sg3",
        (char *) "/dev/sg4", (char *) "/dev/sg5", (char *) "/dev/sg6", (char *) "/dev/sg7",
};

/* The host's SMBIOS a driver would have read (dmi-table.h), for
 * <os><smbios mode='host'/>: a comma in a value is QEMU's to quote. */
static DomainSmbiosSection fake_host_boards[] = {
        { { (char *) "Board Maker", (char *) "B-100", (char *) "rev 2", (char *) "BSN1", (char *) "asset-7",
            (char *) "slot, left" } },
};
static char *fake_host_oem[] = { (char *) "oem one", (char *) "oem=two" };
static const DomainSysinfo fake_host_sysinfo = {
        .type = DOMAIN_SYSINFO_SMBIOS,
        .sections = {
                [DOMAIN_SMBIOS_BIOS] = { { (char *) "Host BIOS Inc.", (char *) "2.17", (char *) "03/14/2024",
                                           (char *) "2.17" } },
                [DOMAIN_SMBIOS_SYSTEM] = { { (char *) "Host Maker", (char *) "Server X1", (char *) "v3",
                                             (char *) "HSN-42", NULL, (char *) "SKU-9", (char *) "Family, Big" } },
                [DOMAIN_SMBIOS_CHASSIS] = { { (char *) "Host Maker", (char *) "c1", (char *) "CSN-1", NULL,
                                              (char *) "CSKU" } },
        },
        .baseboards = fake_host_boards,
        .n_baseboards = ELEMENTSOF(fake_host_boards),
        .oem_strings = fake_host_oem,
        .n_oem_strings = ELEMENTSOF(fake_host_oem),
};

/* The disks' secret objects qemu-secrets.c would prepare (the data is
 * what it would encrypt; here fixed), for the golden files' disk aliases. */
#define FAKE_SECRET(alias, kind) { (char *) alias "-" kind "-secret0", (char *) "c2VjcmV0ZGF0YTEyMzQ1Ng==", \
                                   (char *) "AAECAwQFBgcICQoLDA0ODw==" }
static const QemuSecretObj fake_secrets[] = {
        FAKE_SECRET("virtio-disk0", "encryption"), FAKE_SECRET("virtio-disk1", "encryption"),
        FAKE_SECRET("virtio-disk2", "auth"),       FAKE_SECRET("virtio-disk3", "auth"),
        FAKE_SECRET("virtio-disk3", "encryption"), FAKE_SECRET("sata0-0-0", "auth"),
        FAKE_SECRET("hostdev1", "auth"),
        FAKE_SECRET("pflash1", "auth"),            FAKE_SECRET("virtio-disk1-b1", "encryption"),
};

/* What a driver would pass: fds numbered from 3, paths under TEST_ROOT
 * (which the QEMU test below swaps for a temporary directory). */
static void fake_params(const DomainDef *def, char *pidfile, size_t n, QemuCommandParams *ret) {
        snprintf(pidfile, n, TEST_ROOT "/run/%s.pid", def->name);
        *ret = (QemuCommandParams) {
                .accel = def->virt_type == DOMAIN_VIRT_KVM ? QEMU_ACCEL_KVM : QEMU_ACCEL_TCG,
                .monitor_fd = TEST_MONITOR_FD,
                .tap_fds = fake_tap_fds,
                .n_tap_fds = ELEMENTSOF(fake_tap_fds),
                .tap_queue_fds = fake_tap_queue_fds,
                .n_tap_queue_fds = ELEMENTSOF(fake_tap_queue_fds),
                .graphics_ports = fake_graphics_ports,
                .n_graphics_ports = ELEMENTSOF(fake_graphics_ports),
                .run_dir = TEST_ROOT "/run",
                .pidfile = pidfile,
                .hugepages_dir = TEST_ROOT "/hugepages",
                .memory_dir = TEST_ROOT "/ram",
                .now = 1700000000, /* 2023-11-14T22:13:20Z */
                .hostdev_paths = fake_hostdev_paths,
                .n_hostdev_paths = ELEMENTSOF(fake_hostdev_paths),
                .spice_tls_dir = "/etc/pki/libvirt-spice",
                .nbd_tls_dir = "/etc/pki/libvirt-nbd",
                /* vxhs_tls = 1, as libvirt's disk-network-tlsx509-vxhs test */
                .vxhs_tls = true,
                .vxhs_tls_dir = "/etc/pki/libvirt-vxhs",
                .secrets = fake_secrets,
                .n_secrets = ELEMENTSOF(fake_secrets),
                .master_key_path = TEST_ROOT "/run/master-key.aes",
                .host_sysinfo = &fake_host_sysinfo,
        };
}

/* ---- helpers ---- */

static const char *data_dir(void) {
        static char buf[4096 + 64];
        char exe[4096];
        ssize_t n;

        if (access("tests/data/qemu-command", F_OK) == 0)
                return "tests/data/qemu-command";
        /* build/tests/test-qemu-command -> ../../tests/data/qemu-command */
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return "tests/data/qemu-command";
        exe[n] = 0;
        for (int i = 0; i < 3; i++) {
                char *s = strrchr(exe, '/');
                if (s)
                        *s = 0;
        }
        snprintf(buf, sizeof(buf), "%s/tests/data/qemu-command", exe);
        return buf;
}

static int list_files(const char *dir, const char *suffix, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        struct dirent **names = NULL;
        int n, r = 0;

        n = scandir(dir, &names, NULL, alphasort);
        if (n < 0)
                return -errno;
        for (int i = 0; i < n; i++) {
                size_t len = strlen(names[i]->d_name), sl = strlen(suffix);

                if (r >= 0 && len > sl && streq(names[i]->d_name + len - sl, suffix))
                        r = strv_extend(&l, names[i]->d_name);
                free(names[i]);
        }
        free(names);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static int parse_xml_file(const char *path, DomainDef **ret) {
        _cleanup_free_ char *xml = NULL;
        ConfError err = {};
        size_t len;
        int r;

        r = read_full_file(path, 0, &xml, &len);
        if (r < 0) {
                fprintf(stderr, "  cannot read %s: %s\n", path, strerror(-r));
                return r;
        }
        r = domain_def_parse(xml, len, ret, &err);
        if (r < 0)
                fprintf(stderr, "  %s: parse failed: %s: %s\n", path, err.name ?: "?", err.message);
        return r;
}

static int parse_xml_string(const char *xml, DomainDef **ret) {
        ConfError err = {};
        int r = domain_def_parse(xml, strlen(xml), ret, &err);

        if (r < 0)
                fprintf(stderr, "  parse failed: %s: %s\n", err.name ?: "?", err.message);
        return r;
}

static int build(const DomainDef *def, char ***ret_argv, ConfError *err) {
        QemuCommandParams params;
        char pidfile[512];

        fake_params(def, pidfile, sizeof(pidfile), &params);
        return qemu_command_build(def, &fake_caps, &params, ret_argv, NULL, NULL, err);
}

static char *join_lines(char **argv) {
        _cleanup_free_ char *s = strv_join(argv, "\n");
        char *t;

        if (!s || asprintf(&t, "%s\n", s) < 0)
                return NULL;
        return t;
}

static bool strv_has(char **l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

/* Whether some argument of option opt (-device, -blockdev, -object: JSON)
 * has exactly the properties of the JSON object want (all of them, and no
 * more unless subset). */
static bool json_subset(json_object *want, json_object *have) {
        json_object_object_foreach(want, k, v) {
                json_object *h;
                if (!json_object_object_get_ex(have, k, &h) || !json_object_equal(v, h))
                        return false;
        }
        return true;
}

static bool has_json(char **argv, const char *opt, const char *want_json, bool subset) {
        json_object *want = json_tokener_parse(want_json);
        bool found = false;

        if (!want) {
                fprintf(stderr, "  not JSON: %s\n", want_json);
                return false;
        }
        for (size_t i = 0; !found && argv && argv[i] && argv[i + 1]; i++) {
                json_object *have;

                if (!streq(argv[i], opt) || !(have = json_tokener_parse(argv[i + 1])))
                        continue;
                found = subset ? json_subset(want, have) : json_object_equal(want, have);
                json_object_put(have);
        }
        json_object_put(want);
        return found;
}
#define has_device(argv, json) has_json(argv, "-device", json, false)
#define has_device_with(argv, json) has_json(argv, "-device", json, true)

/* The argument right after option opt whose text starts with prefix. */
static const char *find_opt(char **argv, const char *opt, const char *prefix) {
        for (size_t i = 0; argv && argv[i] && argv[i + 1]; i++)
                if (streq(argv[i], opt) && strncmp(argv[i + 1], prefix, strlen(prefix)) == 0)
                        return argv[i + 1];
        return NULL;
}

/* qemu-system-x86_64 from PATH, NULL when not installed. */
static char *find_qemu(void) {
        const char *path = getenv("PATH") ?: "/usr/bin:/bin";
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        if (!copy)
                return NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                char *p;

                if (asprintf(&p, "%s/qemu-system-x86_64", d) < 0)
                        return NULL;
                if (access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}
