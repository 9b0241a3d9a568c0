/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Devices as data (qemu-device.h): what hot-plug sends (device_add,
 * blockdev-add, object-add) is, object for object, what the command line
 * of the same definition carries; the properties have QAPI's types. */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "qemu-command-test.h"
#include "qemu-command-internal.h"
#include "qemu-device.h"

/* The JSON arguments of option opt in argv (-object also has key=value
 * forms, e.g. the guest RAM: those are left out). */
static json_object *argv_json(char **argv, const char *opt) {
        json_object *l = json_object_new_array();

        for (size_t i = 0; l && argv[i] && argv[i + 1]; i++) {
                json_object *o;

                if (!streq(argv[i], opt) || argv[i + 1][0] != '{')
                        continue;
                o = json_tokener_parse(argv[i + 1]);
                CHECK(o);
                if (o)
                        json_object_array_add(l, o);
        }
        return l;
}

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Marks the element of have equal to want as seen; false if there is none
 * left. seen[] has one flag per element of have. */
static bool take_equal(json_object *have, bool *seen, json_object *want) {
        for (size_t i = 0; i < json_object_array_length(have); i++)
                if (!seen[i] && json_object_equal(json_object_array_get_idx(have, i), want)) {
                        seen[i] = true;
                        return true;
                }
        return false;
}

typedef struct ArgvDevices {
        json_object *lists[3];          /* -object, -blockdev, -device */
        bool *seen[3];
} ArgvDevices;

static const char *const argv_options[3] = { "-object", "-blockdev", "-device" };

static void argv_devices_done(ArgvDevices *a) {
        for (size_t k = 0; k < 3; k++) {
                if (a->lists[k])
                        json_object_put(a->lists[k]);
                free(a->seen[k]);
        }
}

/* Each object of props must be one of the command line's, not seen before. */
static bool props_on_argv(const QemuDeviceProps *p, ArgvDevices *a, const char *what) {
        json_object *arrays[3] = { p->objects, p->blockdevs, p->devices };
        bool ok = true;

        for (size_t k = 0; k < 3; k++)
                for (size_t i = 0; i < json_object_array_length(arrays[k]); i++) {
                        json_object *o = json_object_array_get_idx(arrays[k], i);

                        if (take_equal(a->lists[k], a->seen[k], o))
                                continue;
                        fprintf(stderr, "  %s: %s %s is not on the command line\n", what, argv_options[k],
                                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
                        ok = false;
                }
        return ok;
}

static bool has_scsi_hostdev(const DomainDef *def) {
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i].type == DOMAIN_HOSTDEV_SCSI)
                        return true;
        return false;
}

/* A disk with a secret needs the start's secret objects: not hot-plugged. */
static bool has_disk_secret(const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].auth || def->disks[i].encryption)
                        return true;
        return false;
}

static bool has_managed_reservations(const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].pr && def->disks[i].pr->managed == TRISTATE_ON)
                        return true;
        return false;
}

/* An NBD disk with tls='yes': its certificate directory is qemud.conf's,
 * read at start; hot-plug refuses it. */
static bool has_tls_disk(const DomainDef *def) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].net && def->disks[i].net->tls == TRISTATE_ON)
                        return true;
        return false;
}

/* A <memory> device whose RAM is a file of the guest's memory backing
 * directory (an access mode, <source type='file'>): the start names the
 * file; a hot-plug's props have no directory (anonymous RAM, made the file
 * by qemu_memory_dir_plug(): test-qemu-memory-dir). Its entries on the
 * command line are taken by their ids unchecked. */
static bool memory_file_at_start(const DomainDef *def, QemuDeviceFamily f, size_t i, ArgvDevices *a) {
        const DomainMemoryDef *m = &def->mems[i];
        const char *id;
        char alias[48], backend[64];

        if (f != QEMU_DEVICE_MEMORY || !qemu_memdev_wants_dir_file(def, m))
                return false;
        /* the start's alias: the model's prefix and the device's place */
        snprintf(alias, sizeof(alias), "%s%zu", qemu_memdev_alias_prefix(m->model), i);
        snprintf(backend, sizeof(backend), "mem%s", alias);
        for (size_t k = 0; k < 3; k++)
                for (size_t j = 0; j < json_object_array_length(a->lists[k]); j++) {
                        id = json_object_get_string(get(json_object_array_get_idx(a->lists[k], j), "id"));
                        if (id && (streq(id, backend) || streq(id, alias)))
                                a->seen[k][j] = true;
                }
        return true;
}

/* A device of the machine itself, built from a domain-wide element and
 * never plugged or unplugged on its own: <genid>'s vmgenid, <vmcoreinfo/>'s;
 * or a vCPU of <vcpus> (SetVcpu and SetVcpus plug and unplug those). */
static bool machine_device(json_object *dev) {
        const char *driver = json_object_get_string(get(dev, "driver"));
        size_t n = driver ? strlen(driver) : 0;

        return driver && (streq(driver, "vmgenid") || streq(driver, "vmcoreinfo") ||
                          (n > strlen("-x86_64-cpu") && streq(driver + n - strlen("-x86_64-cpu"), "-x86_64-cpu")));
}

static void check_golden_props(const char *dir, const char *xml_name, bool families[]) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        ArgvDevices a = {};
        ConfError err = {};

        CHECK(asprintf(&path, "%s/%s", dir, xml_name) >= 0);
        CHECK(path && parse_xml_file(path, &def) == 0);
        CHECK(def && qemu_domain_assign_addresses(def, &err) == 0);
        CHECK(def && build(def, &argv, &err) == 0);
        if (!def || !argv)
                return;
        if (has_scsi_hostdev(def)) {
                fprintf(stderr, "  %s: not compared, a SCSI hostdev's node is found at start, it is not "
                        "hot-plugged\n", xml_name);
                return;
        }
        if (has_disk_secret(def)) {
                fprintf(stderr, "  %s: not compared, a disk's secrets are fetched at start, it is not "
                        "hot-plugged\n", xml_name);
                return;
        }
        if (has_managed_reservations(def)) {
                fprintf(stderr, "  %s: not compared, the managed qemu-pr-helper's socket is made at start\n",
                        xml_name);
                return;
        }
        if (def->n_qemu_overrides) {
                fprintf(stderr, "  %s: not compared, a <qemu:override> changes the command line only, as libvirt's\n",
                        xml_name);
                return;
        }
        if (has_tls_disk(def)) {
                fprintf(stderr, "  %s: not compared, an NBD disk's TLS directory is set at start, it is not "
                        "hot-plugged\n", xml_name);
                return;
        }
        for (size_t k = 0; k < 3; k++) {
                a.lists[k] = argv_json(argv, argv_options[k]);
                a.seen[k] = calloc(json_object_array_length(a.lists[k]) + 1, sizeof(bool));
        }
        /* every device of the definition, by family and index */
        for (int f = 0; f < _QEMU_DEVICE_FAMILY_MAX; f++)
                for (size_t i = 0; i < qemu_device_family_count(def, f); i++) {
                        QemuDeviceProps p = {};
                        char what[128];
                        int r;

                        snprintf(what, sizeof(what), "%s: %s %zu", xml_name, qemu_device_family_to_string(f), i);
                        if (memory_file_at_start(def, f, i, &a)) {
                                fprintf(stderr, "  %s: not compared, its RAM file in the memory backing directory "
                                        "is named at start\n", what);
                                continue;
                        }
                        r = qemu_device_props(def, &fake_caps, f, i, &p, &err);
                        if (r < 0)
                                fprintf(stderr, "  %s: %s\n", what, err.message);
                        CHECK(r == 0);
                        CHECK(props_on_argv(&p, &a, what));
                        if (json_object_array_length(p.devices) > 0)
                                families[f] = true;
                        qemu_device_props_done(&p);
                }
        /* what is left are the controllers the builder adds: by their alias */
        for (size_t i = 0; i < json_object_array_length(a.lists[2]); i++) {
                json_object *dev = json_object_array_get_idx(a.lists[2], i), *id;
                QemuDeviceProps p = {};

                if (a.seen[2][i] || machine_device(dev))
                        continue;
                CHECK(json_object_object_get_ex(dev, "id", &id));
                CHECK(qemu_device_props_by_alias(def, &fake_caps, json_object_get_string(id), &p, &err) == 0);
                CHECK(props_on_argv(&p, &a, xml_name));
                qemu_device_props_done(&p);
        }
        /* and nothing on the command line was left out (but the firmware's
         * flash nodes and the machine's own devices: no device's) */
        for (size_t k = 0; k < 3; k++)
                for (size_t i = 0; i < json_object_array_length(a.lists[k]); i++) {
                        const char *node = json_object_get_string(
                                get(json_object_array_get_idx(a.lists[k], i), "node-name"));
                        const char *qom = json_object_get_string(
                                get(json_object_array_get_idx(a.lists[k], i), "qom-type"));
                        const char *id = json_object_get_string(
                                get(json_object_array_get_idx(a.lists[k], i), "id"));

                        /* the machine's launch security object, no device's; a
                         * network NVRAM's secret and TLS objects, the master key */
                        if ((node && strncmp(node, "pflash", 6) == 0) || (qom && streq(qom, "sev-guest")) ||
                            (id && (!strncmp(id, "pflash1-", 8) || !strncmp(id, "objpflash1-", 11) ||
                                    streq(id, "masterKey0"))) ||
                            (k == 2 && machine_device(json_object_array_get_idx(a.lists[k], i))))
                                continue;
                        if (!a.seen[k][i])
                                fprintf(stderr, "  %s: %s %s has no device of the definition\n", xml_name,
                                        argv_options[k], json_object_to_json_string(
                                                                 json_object_array_get_idx(a.lists[k], i)));
                        CHECK(a.seen[k][i]);
                }
        argv_devices_done(&a);
}

static void test_props_equal_command_line(void) {
        _cleanup_strv_free_ char **xmls = NULL;
        bool families[_QEMU_DEVICE_FAMILY_MAX] = {};

        CHECK(list_files(data_dir(), ".xml", &xmls) == 0);
        for (char **x = xmls; x && *x; x++)
                check_golden_props(data_dir(), *x, families);
        /* the golden files have a device of every family */
        for (int f = 0; f < _QEMU_DEVICE_FAMILY_MAX; f++) {
                if (!families[f])
                        fprintf(stderr, "  no golden file has a %s device\n", qemu_device_family_to_string(f));
                CHECK(families[f]);
        }
}

static const char *const typed_xml =
        "<domain type='kvm'><name>typed</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>"
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/>"
        "<source file='/img/a,b.qcow2'/><target dev='vda' bus='virtio'/><boot order='2'/><shareable/>"
        "<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0' multifunction='on'/></disk>"
        "<disk type='file' device='cdrom'><source file='/img/cd.iso'/><target dev='sda' bus='sata'/>"
        "<readonly/></disk>"
        "<disk type='file' device='disk'><source file='/img/t.raw'/><target dev='vdb' bus='virtio'/>"
        "<iotune><total_bytes_sec>1000000</total_bytes_sec></iotune></disk>"
        "<interface type='user'><mac address='52:54:00:00:00:01'/><model type='virtio'/><boot order='1'/>"
        "</interface>"
        "<input type='tablet' bus='usb'><address type='usb' bus='0' port='1.2'/></input>"
        "<input type='mouse' bus='ps2'/>"
        "<rng model='virtio'><rate bytes='1024' period='1000'/><backend model='random'>/dev/hwrng</backend></rng>"
        "</devices></domain>";

static json_object *first(json_object *array) {
        return array && json_object_array_length(array) > 0 ? json_object_array_get_idx(array, 0) : NULL;
}

#define CHECK_TYPE(o, key, type) CHECK(get(o, key) && json_object_is_type(get(o, key), type))

static void test_property_types(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        QemuDeviceProps p = {};
        json_object *d, *n;

        CHECK(parse_xml_string(typed_xml, &def) == 0);
        if (!def)
                return;

        /* a disk: its nodes for blockdev-add, protocol first, then the device */
        CHECK(qemu_device_props(def, &fake_caps, QEMU_DEVICE_DISK, 0, &p, NULL) == 0);
        CHECK(json_object_array_length(p.objects) == 0);
        CHECK(json_object_array_length(p.blockdevs) == 2);
        n = first(p.blockdevs);
        CHECK_STREQ(json_object_get_string(get(n, "filename")), "/img/a,b.qcow2");      /* no ",," */
        CHECK_TYPE(n, "cache", json_type_object);
        CHECK_TYPE(get(n, "cache"), "direct", json_type_boolean);
        n = json_object_array_get_idx(p.blockdevs, 1);
        CHECK_STREQ(json_object_get_string(get(n, "driver")), "qcow2");
        CHECK_STREQ(json_object_get_string(get(n, "file")), "virtio-disk0-file");
        d = first(p.devices);
        CHECK(json_object_array_length(p.devices) == 1);
        CHECK_STREQ(json_object_get_string(get(d, "driver")), "virtio-blk-pci");
        CHECK_STREQ(json_object_get_string(get(d, "id")), "virtio-disk0");
        CHECK_STREQ(json_object_get_string(get(d, "drive")), "virtio-disk0-fmt");
        CHECK_TYPE(d, "bootindex", json_type_int);
        CHECK(json_object_get_int(get(d, "bootindex")) == 2);
        CHECK_TYPE(d, "addr", json_type_string);         /* QEMU's PCI addr: "SLOT[.FN]" */
        CHECK_STREQ(json_object_get_string(get(d, "addr")), "0x5");
        CHECK_TYPE(d, "multifunction", json_type_boolean);
        CHECK_TYPE(d, "share-rw", json_type_boolean);
        CHECK_TYPE(d, "write-cache", json_type_string);  /* OnOffAuto */
        qemu_device_props_done(&p);

        /* a CD-ROM: read-only nodes */
        CHECK(qemu_device_props_by_alias(def, &fake_caps, "sata0-0-0", &p, NULL) == 0);
        CHECK_TYPE(first(p.blockdevs), "read-only", json_type_boolean);
        CHECK(json_object_get_boolean(get(first(p.blockdevs), "read-only")));
        CHECK_STREQ(json_object_get_string(get(first(p.devices), "driver")), "ide-cd");
        qemu_device_props_done(&p);

        /* iotune: the throttle group for object-add, a third node over the format node */
        CHECK(qemu_device_props(def, &fake_caps, QEMU_DEVICE_DISK, 2, &p, NULL) == 0);
        CHECK(json_object_array_length(p.objects) == 1);
        CHECK_STREQ(json_object_get_string(get(first(p.objects), "qom-type")), "throttle-group");
        CHECK_TYPE(first(p.objects), "x-bps-total", json_type_int);
        CHECK(json_object_array_length(p.blockdevs) == 3);
        CHECK_STREQ(json_object_get_string(get(json_object_array_get_idx(p.blockdevs, 2), "driver")), "throttle");
        CHECK_STREQ(json_object_get_string(get(first(p.devices), "drive")), "virtio-disk1-throttle");
        qemu_device_props_done(&p);

        /* an interface */
        CHECK(qemu_device_props(def, &fake_caps, QEMU_DEVICE_NET, 0, &p, NULL) == 0);
        d = first(p.devices);
        CHECK_STREQ(json_object_get_string(get(d, "netdev")), "hostnet0");
        CHECK_STREQ(json_object_get_string(get(d, "mac")), "52:54:00:00:00:01");
        CHECK_TYPE(d, "bootindex", json_type_int);
        qemu_device_props_done(&p);

        /* a USB device: its port path is a string */
        CHECK(qemu_device_props(def, &fake_caps, QEMU_DEVICE_INPUT, 0, &p, NULL) == 0);
        d = first(p.devices);
        CHECK_STREQ(json_object_get_string(get(d, "bus")), "usb.0");
        CHECK_TYPE(d, "port", json_type_string);
        CHECK_STREQ(json_object_get_string(get(d, "port")), "1.2");
        qemu_device_props_done(&p);

        /* a ps2 input is no device of its own: nothing to plug */
        CHECK(qemu_device_props(def, &fake_caps, QEMU_DEVICE_INPUT, 1, &p, NULL) == 0);
        CHECK(p.devices && json_object_array_length(p.devices) == 0);
        qemu_device_props_done(&p);

        /* an rng: its backend for object-add, which the device names */
        CHECK(qemu_device_props_by_alias(def, &fake_caps, "rng0", &p, NULL) == 0);
        CHECK_STREQ(json_object_get_string(get(first(p.objects), "qom-type")), "rng-random");
        CHECK_STREQ(json_object_get_string(get(first(p.objects), "filename")), "/dev/hwrng");
        d = first(p.devices);
        CHECK_STREQ(json_object_get_string(get(d, "rng")), json_object_get_string(get(first(p.objects), "id")));
        CHECK_TYPE(d, "max-bytes", json_type_int);
        CHECK_TYPE(d, "period", json_type_int);
        qemu_device_props_done(&p);

        /* the controller the tablet needs, added by the builder: by its alias */
        CHECK(qemu_device_props_by_alias(def, &fake_caps, "usb", &p, NULL) == 0);
        CHECK(json_object_array_length(p.devices) == 1);
        CHECK_STREQ(json_object_get_string(get(first(p.devices), "driver")), "qemu-xhci");
        qemu_device_props_done(&p);
}

/* A device added to the live definition (as hot-plug will) gets the
 * properties it would have on the command line of that definition, with
 * the slot the builder picks for it. */
static void test_props_of_added_device(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        QemuDeviceProps p = {};
        _cleanup_free_ char *json = NULL;

        CHECK(parse_xml_string("<domain type='kvm'><name>plug</name><memory unit='MiB'>128</memory>"
                               "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
                               "<interface type='user'><mac address='52:54:00:00:00:02'/><model type='e1000'/>"
                               "<address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>"
                               "</interface><rng model='virtio'><backend model='builtin'/></rng>"
                               "</devices></domain>", &def) == 0);
        if (!def)
                return;
        CHECK(qemu_device_props(def, &fake_caps, QEMU_DEVICE_RNG, 0, &p, NULL) == 0);
        /* slot 3 is given: the builder places the rng in the lowest free one, 2 */
        CHECK_STREQ(json_object_get_string(get(first(p.devices), "addr")), "0x2");
        CHECK(asprintf(&json, "%s", json_object_to_json_string_ext(first(p.devices), JSON_C_TO_STRING_PLAIN |
                                                                               JSON_C_TO_STRING_NOSLASHESCAPE)) > 0);
        CHECK(build(def, &argv, NULL) == 0);
        CHECK(strv_has(argv, json));
        qemu_device_props_done(&p);
}

static void test_props_errors(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        QemuDeviceProps p = {};
        ConfError err = {};

        CHECK(parse_xml_string(typed_xml, &def) == 0);
        if (!def)
                return;
        CHECK(qemu_device_props(def, &fake_caps, QEMU_DEVICE_DISK, 3, &p, &err) == -ENOENT);
        CHECK(err.name && streq(err.name, VB_ERROR_INVALID_ARG));
        CHECK(strstr(err.message, "no disk 3"));
        CHECK(!p.devices && !p.blockdevs && !p.objects);
        CHECK(qemu_device_props(def, &fake_caps, QEMU_DEVICE_MEMBALLOON, 0, &p, &err) == -ENOENT);
        CHECK(qemu_device_props(def, &fake_caps, _QEMU_DEVICE_FAMILY_MAX, 0, &p, &err) == -ENOENT);
        CHECK(qemu_device_props_by_alias(def, &fake_caps, "net7", &p, &err) == -ENOENT);
        CHECK(strstr(err.message, "'net7'"));
        CHECK(!p.devices);

        /* a definition the command line refuses has no device data either */
        free(def->rngs[0].model);
        def->rngs[0].model = strdup("egd");
        err = (ConfError) {};
        CHECK(qemu_device_props(def, &fake_caps, QEMU_DEVICE_DISK, 0, &p, &err) == -EOPNOTSUPP);
        CHECK(strstr(err.message, "rng model 'egd'"));
        CHECK(!p.devices);
}

/* ---- hot-plug into the real QEMU ---- */

/* A QMP client just big enough for a test: one command, its reply. */
typedef struct Qmp {
        int fd;
        char buf[1 << 16];
        size_t len;
} Qmp;

/* The next message that is no event; NULL on error or after 20 s. */
static json_object *qmp_read(Qmp *q) {
        for (;;) {
                char *nl = memchr(q->buf, '\n', q->len);
                struct pollfd p = { .fd = q->fd, .events = POLLIN };
                ssize_t n;

                if (nl) {
                        json_object *o, *ev;

                        *nl = 0;
                        o = json_tokener_parse(q->buf);
                        q->len -= (size_t) (nl + 1 - q->buf);
                        memmove(q->buf, nl + 1, q->len);
                        if (o && json_object_object_get_ex(o, "event", &ev)) {
                                json_object_put(o);
                                continue;
                        }
                        return o;
                }
                if (q->len + 1 >= sizeof(q->buf) || poll(&p, 1, 20000) <= 0)
                        return NULL;
                n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len - 1);
                if (n <= 0)
                        return NULL;
                q->len += (size_t) n;
        }
}

/* Sends {"execute": cmd, "arguments": args} (args borrowed, may be NULL);
 * the "return" value (owned by the caller), or NULL with QEMU's error
 * printed. */
static json_object *qmp_call(Qmp *q, const char *cmd, json_object *args) {
        json_object *msg = json_object_new_object(), *reply, *ret = NULL;
        const char *s;

        json_object_object_add(msg, "execute", json_object_new_string(cmd));
        if (args)
                json_object_object_add(msg, "arguments", json_object_get(args));
        s = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
        if (send(q->fd, s, strlen(s), MSG_NOSIGNAL) < 0 || send(q->fd, "\n", 1, MSG_NOSIGNAL) < 0) {
                json_object_put(msg);
                return NULL;
        }
        reply = qmp_read(q);
        if (reply && json_object_object_get_ex(reply, "return", &ret))
                json_object_get(ret);
        else
                fprintf(stderr, "  %s %s: %s\n", cmd, json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN),
                        reply ? json_object_to_json_string(reply) : "no reply");
        json_object_put(reply);
        json_object_put(msg);
        return ret;
}

/* Plugs what props lists, in order: objects, block nodes, devices. */
static bool qmp_plug(Qmp *q, const QemuDeviceProps *p) {
        static const char *const cmds[] = { "object-add", "blockdev-add", "device_add" };
        json_object *arrays[] = { p->objects, p->blockdevs, p->devices };

        for (size_t k = 0; k < 3; k++)
                for (size_t i = 0; i < json_object_array_length(arrays[k]); i++) {
                        json_object *r = qmp_call(q, cmds[k], json_object_array_get_idx(arrays[k], i));
                        if (!r)
                                return false;
                        json_object_put(r);
                }
        return true;
}

/* The slot of the device with qdev id on the root bus (query-pci), or -1. */
static int pci_slot_of(json_object *buses, const char *id) {
        for (size_t b = 0; b < json_object_array_length(buses); b++) {
                json_object *devs = get(json_object_array_get_idx(buses, b), "devices");

                for (size_t i = 0; i < json_object_array_length(devs); i++) {
                        json_object *d = json_object_array_get_idx(devs, i);

                        if (streq_ptr(json_object_get_string(get(d, "qdev_id")), id))
                                return json_object_get_int(get(d, "slot"));
                }
        }
        return -1;
}

static const char *const plug_xml =
        "<domain type='qemu'><name>plug</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>"
        "<devices>%s</devices></domain>";

static const char *const plug_devices =
        "<disk type='file' device='disk'><driver name='qemu' type='raw' cache='writeback'/>"
        "<source file='%s/disk,1.raw'/><target dev='vda' bus='virtio'/><serial>HOT1</serial>"
        "<address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/></disk>"
        "<disk type='file' device='disk'><source file='%s/disk2.raw'/><target dev='vdb' bus='virtio'/>"
        "<iotune><total_iops_sec>500</total_iops_sec></iotune>"
        "<address type='pci' domain='0x0000' bus='0x00' slot='0x08' function='0x0'/></disk>"
        "<rng model='virtio'><rate bytes='2048' period='1000'/><backend model='builtin'/>"
        "<address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/></rng>";

static DomainDef *plug_def(const char *devices) {
        _cleanup_free_ char *xml = NULL;
        DomainDef *def = NULL;

        if (asprintf(&xml, plug_xml, devices) < 0 || parse_xml_string(xml, &def) < 0)
                return NULL;
        return def;
}

/* QEMU runs a definition without the devices; what qemu_device_props()
 * gives for them, sent as QMP hot-plug commands, QEMU takes, and the
 * devices land where the definition places them. */
static void test_hotplug_into_qemu(void) {
        _cleanup_free_ char *qemu = find_qemu(), *devices = NULL, *sock = NULL, *disk1 = NULL, *disk2 = NULL;
        _cleanup_(domain_def_freep) DomainDef *base = NULL, *full = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        char dir[] = "/tmp/vbtest-qemu-device-XXXXXX", pidfile[512];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        QemuCommandParams params;
        Qmp q = { .fd = -1 };
        json_object *r, *pci = NULL;
        int lfd, status;
        pid_t pid;

        if (!qemu)
                UNIT_SKIP("qemu-system-x86_64 is not installed");
        CHECK(mkdtemp(dir));
        CHECK(asprintf(&devices, plug_devices, dir, dir) > 0);
        CHECK(asprintf(&sock, "%s/qmp.sock", dir) > 0);
        CHECK(asprintf(&disk1, "%s/disk,1.raw", dir) > 0 && asprintf(&disk2, "%s/disk2.raw", dir) > 0);
        for (const char *d = disk1;; d = disk2) {
                int fd = open(d, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                CHECK(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
                if (fd >= 0)
                        close(fd);
                if (d == disk2)
                        break;
        }
        base = plug_def("");
        full = devices ? plug_def(devices) : NULL;
        CHECK(base && full);
        if (!base || !full)
                goto finish;

        /* the guest as it runs, without the devices */
        fake_params(base, pidfile, sizeof(pidfile), &params);
        params.pidfile = NULL;                  /* nothing under TEST_ROOT exists here */
        params.run_dir = dir;
        CHECK(qemu_command_build(base, &fake_caps, &params, &argv, NULL, NULL, NULL) == 0);
        if (!argv)
                goto finish;
        free(argv[0]);
        argv[0] = strdup(qemu);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) == 0 && listen(lfd, 1) == 0);
        pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR);
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                /* the fd the argv names, inheritable (dup2 onto itself would keep CLOEXEC) */
                if (lfd == TEST_MONITOR_FD)
                        (void) fcntl(lfd, F_SETFD, 0);
                else
                        dup2(lfd, TEST_MONITOR_FD);
                dup2(null, 0);
                dup2(null, 1);
                execv(argv[0], argv);
                _exit(127);
        }
        close(lfd);
        CHECK(pid > 0);
        if (pid <= 0)
                goto finish;
        q.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(connect(q.fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        r = qmp_read(&q);                        /* the greeting */
        CHECK(r && get(r, "QMP"));
        json_object_put(r);
        r = qmp_call(&q, "qmp_capabilities", NULL);
        CHECK(r);
        json_object_put(r);

        /* each device of the full definition, plugged from its data */
        for (int f = 0; f < _QEMU_DEVICE_FAMILY_MAX; f++)
                for (size_t i = 0; i < qemu_device_family_count(full, f); i++) {
                        QemuDeviceProps p = {};

                        CHECK(qemu_device_props(full, &fake_caps, f, i, &p, NULL) == 0);
                        CHECK(qmp_plug(&q, &p));
                        qemu_device_props_done(&p);
                }
        pci = qmp_call(&q, "query-pci", NULL);
        CHECK(pci && json_object_is_type(pci, json_type_array));
        if (!pci)
                goto stop;
        CHECK_INTEQ(pci_slot_of(pci, "virtio-disk0"), 7);
        CHECK_INTEQ(pci_slot_of(pci, "virtio-disk1"), 8);
        CHECK_INTEQ(pci_slot_of(pci, "rng0"), 9);
        json_object_put(pci);
stop:
        r = qmp_call(&q, "quit", NULL);
        json_object_put(r);
        for (int t = 0; t < 500 && waitpid(pid, &status, WNOHANG) != pid; t++)
                usleep(20000);
        if (kill(pid, 0) == 0) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
        }
finish:
        if (q.fd >= 0)
                close(q.fd);
        if (disk1)
                unlink(disk1);
        if (disk2)
                unlink(disk2);
        if (sock)
                unlink(sock);
        rmdir(dir);
}

UNIT_TESTS(test_props_equal_command_line,
           test_property_types,
           test_props_of_added_device,
           test_props_errors,
           test_hotplug_into_qemu)
